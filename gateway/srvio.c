/*
 * NAME
 *	srvio - server-side socket and TLS I/O with deadlines (see srvio.h)
 * DESCRIPTION
 *	Plaintext goes through send(MSG_NOSIGNAL)/recv; TLS through
 *	SSL_write_ex/SSL_read_ex, whose WANT_READ/WANT_WRITE become a
 *	poll() on the socket. SSL writes use write(2): callers block
 *	SIGPIPE in their session threads.
 */
#include "srvio.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

long long
gw_srvio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
gw_srvio_wait(const struct gw_srvio *io, short ev, long long deadline,
	      bool watch_stop)
{
	struct pollfd p[2] = {{.fd = io->fd, .events = ev},
			      {.fd = io->stop_fd, .events = POLLIN}};

	for (;;) {
		long long left = deadline - gw_srvio_now_ms();
		int n;

		if (left <= 0)
			return GW_SRVIO_TIMEOUT;
		n = poll(p, watch_stop ? 2 : 1,
			 left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return GW_SRVIO_ERR;
		if (n == 0)
			return GW_SRVIO_TIMEOUT;
		if (watch_stop && (p[1].revents & POLLIN))
			return GW_SRVIO_STOP;
		if (p[0].revents != 0)
			return GW_SRVIO_OK;
	}
}

int
gw_srvio_ssl_wait(const struct gw_srvio *io, int r, long long deadline,
		  bool watch_stop)
{
	int e = SSL_get_error(io->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return gw_srvio_wait(io, POLLIN, deadline, watch_stop);
	if (e == SSL_ERROR_WANT_WRITE)
		return gw_srvio_wait(io, POLLOUT, deadline, watch_stop);
	ERR_clear_error();
	return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL
		   ? GW_SRVIO_EOF
		   : GW_SRVIO_ERR;
}

int
gw_srvio_write_all(struct gw_srvio *io, const void *p, size_t len,
		   long long deadline)
{
	const char *b = p;
	size_t off = 0;
	int rc = GW_SRVIO_OK;

	while (off < len && rc == GW_SRVIO_OK) {
		if (io->ssl != NULL) {
			size_t w = 0;
			int r = SSL_write_ex(io->ssl, b + off, len - off, &w);

			if (r <= 0)
				rc = gw_srvio_ssl_wait(io, r, deadline, false);
			else
				off += w;
			continue;
		}
		ssize_t n = send(io->fd, b + off, len - off, MSG_NOSIGNAL);

		if (n >= 0)
			off += (size_t)n;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			rc = gw_srvio_wait(io, POLLOUT, deadline, false);
		else if (errno != EINTR)
			rc = GW_SRVIO_ERR;
	}
	return rc;
}

int
gw_srvio_read(struct gw_srvio *io, void *p, size_t room, size_t *got,
	      long long deadline)
{
	int rc;

	*got = 0;
	for (;;) {
		if (io->ssl != NULL) {
			size_t r = 0;
			int ok = SSL_read_ex(io->ssl, p, room, &r);

			if (ok > 0) {
				*got = r;
				return GW_SRVIO_OK;
			}
			if ((rc = gw_srvio_ssl_wait(io, ok, deadline, true)) !=
			    GW_SRVIO_OK)
				return rc;
			continue;
		}
		ssize_t n = recv(io->fd, p, room, 0);

		if (n > 0) {
			*got = (size_t)n;
			return GW_SRVIO_OK;
		}
		if (n == 0)
			return GW_SRVIO_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return GW_SRVIO_ERR;
		if ((rc = gw_srvio_wait(io, POLLIN, deadline, true)) !=
		    GW_SRVIO_OK)
			return rc;
	}
}

int
gw_srvio_tls_accept(struct gw_srvio *io, struct ssl_ctx_st *ctx,
		    long long deadline)
{
	int rc;

	io->ssl = SSL_new(ctx);
	if (io->ssl == NULL || SSL_set_fd(io->ssl, io->fd) != 1)
		return GW_SRVIO_ERR;
	for (;;) {
		int r = SSL_accept(io->ssl);

		if (r == 1)
			return GW_SRVIO_OK;
		if ((rc = gw_srvio_ssl_wait(io, r, deadline, true)) !=
		    GW_SRVIO_OK)
			return rc;
	}
}
