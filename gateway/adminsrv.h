/*
 * NAME
 *	adminsrv - the admin HTTP(S) port: status JSON, health, metrics
 * SUMMARY
 *	A small HTTP/1.1 server of its own (no gSOAP): one thread accepts,
 *	each connection gets a thread for exactly one GET, answered by
 *	adminapi.c, then the connection closes. It serves admin_listen
 *	until gw_adminsrv_free().
 * DESCRIPTION
 *	Who may ask (checked before anything else is looked at):
 *	  - admin_client_ca set: the TLS handshake requires a client
 *	    certificate that CA signed;
 *	  - admin_token set: every request needs "Authorization: Bearer
 *	    <token>" (401 otherwise), compared in constant time;
 *	  - neither: loopback peers only (403 otherwise).
 *	When both are set, both are required. gw_config_check() refuses a
 *	non-loopback admin_listen without TLS, or without the token or a
 *	client CA.
 * STANDARDS
 *	RFC 9110 (semantics: 401, 403, 405 with Allow, 431, 505), RFC 9112
 *	(message syntax), RFC 6750 2.1 (Bearer), RFC 8446/BCP 195 (TLS).
 * SECURITY
 *	The request line and headers must arrive within 10 seconds and fit
 *	in 8 KiB (else 408 / 431); lines end in CRLF, header names are
 *	tokens, obs-fold and requests with a body are refused (400), the
 *	target must be origin-form of visible ASCII. No request body is
 *	ever read. At most 16 connections are served at once.
 */
#ifndef GW_ADMINSRV_H
#define GW_ADMINSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "err.h"

#define GW_ADMINSRV_HEAD_MAX   8192
#define GW_ADMINSRV_TARGET_MAX 2048

struct gw_adminsrv;
struct gw_store;

/*
 * Bind admin_listen, set up TLS and start serving in a thread of its
 * own; cfg and store are borrowed and outlive the server. GW_EUNAVAIL
 * when the port cannot be bound, GW_ETRUST for TLS files.
 */
int gw_adminsrv_start(const struct gw_config *cfg, struct gw_store *store,
		      struct gw_adminsrv **out, struct gw_err *err);
/* The bound port (admin_listen may say port 0). */
int gw_adminsrv_port(const struct gw_adminsrv *srv);
bool gw_adminsrv_tls(const struct gw_adminsrv *srv);
/* Ask the server to stop; async-signal-safe. */
void gw_adminsrv_stop(struct gw_adminsrv *srv);
/* Stop, wait for the connections in progress, free; accepts NULL. */
void gw_adminsrv_free(struct gw_adminsrv *srv);

/* A parsed request head; pointers into the caller's buffer. */
struct gw_adminsrv_req {
	const char *method;
	const char *target;
	int minor;                 /* HTTP/1.<minor> */
	const char *authorization; /* the header's value, or NULL */
};

/*
 * Parse a request head (request line and header lines, each ending in
 * CRLF, then an empty line) in place; head[len] must be '\0'. 0, or the
 * HTTP status to answer: 400 malformed, 505 not HTTP/1.x.
 */
int gw_adminsrv_parse(char *head, size_t len, struct gw_adminsrv_req *rq);
/* 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8. */
bool gw_adminsrv_is_loopback(const struct sockaddr *sa);
/*
 * The access rule above for one request: 0 when allowed, else 401 (no
 * or a wrong token) or 403 (not loopback). token is admin_token ("" for
 * none); cert says the TLS handshake verified a client certificate
 * against admin_client_ca (has_ca).
 */
int gw_adminsrv_access(const struct sockaddr *peer, const char *token,
		       bool has_ca, bool cert, const char *authorization);

#endif
