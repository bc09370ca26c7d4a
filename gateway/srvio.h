/*
 * NAME
 *	srvio - server-side socket and TLS I/O with deadlines and a stop pipe
 * SUMMARY
 *	One accepted connection (a non-blocking socket, later perhaps an
 *	SSL on it) and the read end of its server's stop pipe. Every wait
 *	is a poll() on the socket, and where asked the stop pipe, bounded
 *	by an absolute deadline on the monotonic clock (gw_srvio_now_ms),
 *	so a slow client or a stopping server ends the wait. Used by the
 *	SMTP server (smtpsrv) and the admin HTTP port (adminsrv); the
 *	client side has netio.
 * DESCRIPTION
 *	Reads always watch the stop pipe; writes and the caller's own
 *	waits choose. The stop pipe is never read: once written it stays
 *	readable, so every later wait on it returns GW_SRVIO_STOP.
 *	Protocol framing, buffering and what to answer on a timeout or a
 *	stop stay with the caller.
 * LIMITS
 *	No data-rate minimum: a deadline bounds the whole operation, a
 *	client that trickles bytes within it is served. The socket must be
 *	non-blocking. The codes are negative; callers may use values below
 *	GW_SRVIO_STOP for their own.
 */
#ifndef GW_SRVIO_H
#define GW_SRVIO_H

#include <stdbool.h>
#include <stddef.h>

struct ssl_st;     /* OpenSSL's SSL */
struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

enum {
	GW_SRVIO_OK = 0,
	GW_SRVIO_EOF = -1, /* orderly close, or the peer went away */
	GW_SRVIO_ERR = -2,
	GW_SRVIO_TIMEOUT = -3,
	GW_SRVIO_STOP = -4, /* the stop pipe became readable */
};

struct gw_srvio {
	int fd;             /* the accepted socket, non-blocking */
	struct ssl_st *ssl; /* NULL while plaintext; the owner frees it */
	int stop_fd;        /* the read end of the server's stop pipe */
};

/* Milliseconds on the monotonic clock, for deadlines. */
long long gw_srvio_now_ms(void);
/*
 * Wait until the socket reports ev (POLLIN, POLLOUT) or deadline passes:
 * GW_SRVIO_OK, _TIMEOUT, _ERR, or _STOP (with watch_stop, checked first).
 */
int gw_srvio_wait(const struct gw_srvio *io, short ev, long long deadline,
		  bool watch_stop);
/*
 * After an SSL call on io->ssl returned r <= 0: wait for what OpenSSL
 * wants (GW_SRVIO_OK: call again), or GW_SRVIO_EOF / _ERR (the OpenSSL
 * error queue cleared).
 */
int gw_srvio_ssl_wait(const struct gw_srvio *io, int r, long long deadline,
		      bool watch_stop);
/* Write all len bytes (TLS when io->ssl is set); the stop is not watched. */
int gw_srvio_write_all(struct gw_srvio *io, const void *p, size_t len,
		       long long deadline);
/*
 * Read what is there, at most room (> 0) bytes, waiting for at least one:
 * GW_SRVIO_OK with *got > 0, or _EOF, _ERR, _TIMEOUT, _STOP.
 */
int gw_srvio_read(struct gw_srvio *io, void *p, size_t room, size_t *got,
		  long long deadline);
/*
 * Create io->ssl on io->fd from ctx and run the server handshake, the
 * stop watched. On failure io->ssl may be set: the caller frees it.
 */
int gw_srvio_tls_accept(struct gw_srvio *io, struct ssl_ctx_st *ctx,
			long long deadline);

#endif
