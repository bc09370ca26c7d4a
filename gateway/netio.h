/*
 * NAME
 *	netio - client connections with deadlines, line reading and STARTTLS
 * SUMMARY
 *	A blocking TCP connection whose every read and write is bounded by
 *	a timeout, with a bounded line reader (CRLF or LF) for text
 *	protocols, and an in-place upgrade to TLS for STARTTLS. Used by the
 *	SMTP client; gSOAP has its own transport.
 * DESCRIPTION
 *	TLS policy: version 1.2 or newer; with verify set, the peer chain
 *	must verify against ca_file (or the system store when ca_file is
 *	NULL) and the name (host name or address literal) must match per
 *	RFC 6125. Without verify the session is encrypted but the peer is
 *	not authenticated (opportunistic TLS, RFC 7435).
 * STANDARDS
 *	RFC 3207 (STARTTLS for SMTP), RFC 6125, RFC 7435, BCP 195.
 * LIMITS
 *	Lines longer than the caller's buffer are an error (GW_ELIMIT).
 */
#ifndef GW_NETIO_H
#define GW_NETIO_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct gw_conn;

struct gw_tls_client {
	bool verify;         /* authenticate the server */
	const char *ca_file; /* PEM anchors; NULL: the system store */
	const char *name;    /* expected name; NULL: the host connected to */
};

/*
 * Connect to host:port (name or address literal, every address tried in
 * turn) within timeout_ms; the same timeout then bounds each read and
 * write. GW_EUNAVAIL when nothing answers.
 */
int gw_conn_open(const char *host, int port, int timeout_ms,
		 struct gw_conn **out, struct gw_err *err);
/* Close (with a TLS close_notify when in TLS); accepts NULL. */
void gw_conn_close(struct gw_conn *c);
/* Start TLS on the connection now. GW_ETRUST when verification fails. */
int gw_conn_starttls(struct gw_conn *c, const struct gw_tls_client *tls,
		     struct gw_err *err);
bool gw_conn_is_tls(const struct gw_conn *c);
/* Write all of p. */
int gw_conn_write(struct gw_conn *c, const void *p, size_t len,
		  struct gw_err *err);
/*
 * Read one line into line (without its CRLF or LF, NUL-terminated).
 * GW_ELIMIT when longer than size - 1, GW_EUNAVAIL on EOF or timeout.
 */
int gw_conn_read_line(struct gw_conn *c, char *line, size_t size,
		      struct gw_err *err);
/* Bytes already read from the peer but not yet consumed (pipelining). */
size_t gw_conn_pending(const struct gw_conn *c);

#endif
