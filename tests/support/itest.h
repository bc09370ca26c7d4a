/*
 * NAME
 *	itest - helpers for integration tests against the real daemon
 * SUMMARY
 *	Start build/dxgw serve on 127.0.0.1 with an ephemeral port, a temp
 *	directory, a SQLite store and extra config lines; raw HTTP requests
 *	over loopback; MTOM (multipart/related XOP) packaging of SOAP
 *	envelopes; small string helpers.
 */
#ifndef GW_ITEST_H
#define GW_ITEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct gw_daemon {
	pid_t pid;
	int port;
	char dir[256]; /* state: dxgw.conf, dxgw.db, spool/, dxgw.log */
	char conf[320];
	char db[320];
	char url[128];
};

/* The dxgw binary under test: $GW_DXGW, or build/dxgw. */
const char *gw_dxgw(void);

/* Start a daemon in a new temp dir with extra "key = value" lines. */
bool gw_daemon_start(struct gw_daemon *d, const char *extra_conf);
/* Start again in the same dir with the same config (after a stop). */
bool gw_daemon_restart(struct gw_daemon *d);
/* SIGTERM and wait; returns the exit status (or -1 on timeout/kill). */
int gw_daemon_stop(struct gw_daemon *d);
/* True if the process is still running. */
bool gw_daemon_alive(const struct gw_daemon *d);

struct gw_http_resp {
	int status; /* 0 when the connection closed without a response */
	char *headers;
	char *body;
	size_t body_len;
};

/* Send raw bytes, read the response until Content-Length/close. */
bool gw_http_raw(int port, const void *req, size_t len,
		 struct gw_http_resp *resp);
/* The same, then half-close: for truncated requests. */
bool gw_http_raw_eof(int port, const void *req, size_t len,
		     struct gw_http_resp *resp);
/* POST path with the content type and body (HTTP/1.1, Connection: close). */
bool gw_http_post(int port, const char *content_type, const void *body,
		  size_t len, struct gw_http_resp *resp);
void gw_http_resp_dispose(struct gw_http_resp *resp);
/* A kept-alive connection: one request, then exactly one response. */
int gw_http_connect(int port);
bool gw_http_exchange(int fd, const void *req, size_t len,
		      struct gw_http_resp *resp);

struct gw_mtom_part {
	const char *cid; /* without <> */
	const char *type;
	const void *data;
	size_t len;
};

/*
 * Package a SOAP 1.2 envelope and parts as multipart/related XOP; returns
 * a malloc'ed body and writes the Content-Type header value to ct.
 */
char *gw_mtom_build(const char *envelope, const struct gw_mtom_part *parts,
		    size_t nparts, char *ct, size_t ctlen, size_t *len);

/* Replace every occurrence of from with to; returns a new string. */
char *gw_str_replace(const char *s, const char *from, const char *to);
/* True if hay contains needle. */
bool gw_str_has(const char *hay, const char *needle);
/*
 * A PKI made once per test process by certs/<script> ("mkpki.sh" for
 * TLS, "mkdirect.sh" for Direct): its directory, or "" if the script
 * failed.
 */
const char *gw_test_pki(const char *script);
struct gw_smime_cert;
/*
 * <name>.crt (and <name>.key when withkey) of the Direct test PKI
 * (gw_test_pki("mkdirect.sh")); NULL, with the reason on stderr, on error.
 */
struct gw_smime_cert *gw_test_direct_cert(const char *name, int withkey);
/* Write p[0..len) to path; 0 or -1. */
int gw_test_write_file(const char *path, const void *p, size_t len);
/* A new temporary file holding p[0..len), open for reading; -1 on error. */
int gw_test_file_fd(const void *p, size_t len);
/* A loopback TCP port that was free a moment ago (-1 on error). */
int gw_free_port(void);
/*
 * A private Postfix (scripts/postfix-test.sh) in dir on 127.0.0.1:port
 * for direct-b.example with pki's server certificate: delivering into
 * dir/mail/direct-b.example, or relaying to relay ("host:port") when not
 * NULL. 0 on success.
 */
int gw_postfix_start(const char *dir, int port, const char *pki,
		     const char *relay);
void gw_postfix_stop(const char *dir);
/* Run a shell command, capture stdout+stderr (malloc'ed) and the status. */
int gw_run(const char *cmd, char **out);

/* Start dxgw ehr-sink on 127.0.0.1:port (0: any) writing to <d->dir>/sink. */
bool gw_ehrsink_start_on(struct gw_daemon *d, int port);
bool gw_ehrsink_start(struct gw_daemon *d);
/*
 * Submission directories the sink wrote (names not starting with '.');
 * first gets the path of one, *tmps (may be NULL) counts unfinished ones.
 */
int gw_ehrsink_dirs(const struct gw_daemon *d, char *first, size_t len,
		    int *tmps);

/* gw_run() that prints the command and its output when it fails. */
int gw_sh(const char *cmd);

#endif
