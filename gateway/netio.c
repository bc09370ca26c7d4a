/*
 * NAME
 *	netio - client connections with deadlines and STARTTLS (see netio.h)
 * DESCRIPTION
 *	The socket stays non-blocking; every read and write waits with
 *	poll() for at most the connection's timeout, for plain and TLS
 *	alike (SSL_ERROR_WANT_READ / WANT_WRITE map to the poll events).
 *	Reads go through a small buffer so lines can be split cheaply.
 * SECURITY
 *	Bytes the server sent before the TLS handshake and that we have not
 *	consumed are refused at STARTTLS: a man in the middle could inject
 *	plaintext responses that would be read as if protected (the
 *	CVE-2011-0411 class of bugs).
 */
#include "netio.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mem.h"

#define NETIO_BUF 4096

struct gw_conn {
	int fd;
	int timeout_ms;
	char host[256];
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[NETIO_BUF];
	size_t off, len; /* unread bytes are buf[off .. off+len) */
};

static int
sys_err(struct gw_err *err, int e, const char *what, const char *host)
{
	char b[128];

	return gw_err_set(err, GW_EUNAVAIL, "4.4.1", "%s %s: %s", what, host,
			  strerror_r(e, b, sizeof(b)));
}

/* Wait for events on fd; 0 when ready, GW_EUNAVAIL on timeout. */
static int
wait_fd(struct gw_conn *c, short events, struct gw_err *err)
{
	struct pollfd p = {.fd = c->fd, .events = events};

	for (;;) {
		int n = poll(&p, 1, c->timeout_ms);

		if (n > 0)
			return 0;
		if (n == 0)
			return gw_err_set(err, GW_EUNAVAIL, "4.4.2",
					  "%s: timed out after %d ms", c->host,
					  c->timeout_ms);
		if (errno != EINTR)
			return sys_err(err, errno, "poll", c->host);
	}
}

static int
connect_one(struct gw_conn *c, const struct addrinfo *ai, struct gw_err *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);
	int so = 0;
	socklen_t sl = sizeof(so);
	int rc = -1;

	if (fd < 0)
		return sys_err(err, errno, "socket", c->host);
	c->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		rc = sys_err(err, errno, "fcntl", c->host);
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			rc = sys_err(err, errno, "connect", c->host);
			goto out;
		}
		if ((rc = wait_fd(c, POLLOUT, err)) < 0)
			goto out;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 ||
		    so != 0) {
			rc = sys_err(err, so ? so : errno, "connect", c->host);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		close(fd);
		c->fd = -1;
	}
	return rc;
}

int
gw_conn_open(const char *host, int port, int timeout_ms, struct gw_conn **out,
	     struct gw_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	struct gw_conn *c = gw_xcalloc(1, sizeof(*c));
	char portstr[16];
	int g, rc = -1;

	*out = NULL;
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(portstr, sizeof(portstr), "%d", port);
	g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0) {
		rc = gw_err_set(err, GW_EUNAVAIL, "4.4.4", "%s: %s", host,
				gai_strerror(g));
		goto out;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		if ((rc = connect_one(c, ai, err)) == 0)
			break;
	if (rc < 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	gw_conn_close(c);
	return rc;
}

void
gw_conn_close(struct gw_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl); /* best effort, non-blocking */
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	ERR_clear_error();
	free(c);
}

bool
gw_conn_is_tls(const struct gw_conn *c)
{
	return c->ssl != NULL;
}

size_t
gw_conn_pending(const struct gw_conn *c)
{
	return c->len;
}

/* Map an SSL result to a wait (0 = retry) or an error. */
static int
ssl_wait(struct gw_conn *c, int r, const char *what, struct gw_err *err)
{
	int e = SSL_get_error(c->ssl, r);
	char b[256];

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN, err);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT, err);
	if (e == SSL_ERROR_ZERO_RETURN)
		return gw_err_set(err, GW_EUNAVAIL, "4.4.2",
				  "%s: connection closed", c->host);
	ERR_error_string_n(ERR_peek_last_error(), b, sizeof(b));
	ERR_clear_error();
	return gw_err_set(err, GW_EUNAVAIL, "4.4.2", "%s: TLS %s: %s", c->host,
			  what, b);
}

int
gw_conn_starttls(struct gw_conn *c, const struct gw_tls_client *tls,
		 struct gw_err *err)
{
	const char *name = tls->name != NULL ? tls->name : c->host;
	X509_VERIFY_PARAM *vp;
	long vr;
	int rc = -1;

	if (c->len > 0) {
		rc = gw_err_set(err, GW_ETRUST, "4.7.0",
				"%s: data before the TLS handshake", c->host);
		goto out;
	}
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION)) {
		rc = gw_err_set(err, GW_ERROR, "4.7.0", "TLS context");
		goto out;
	}
	SSL_CTX_set_options(c->ctx,
			    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (tls->verify) {
		int ok = tls->ca_file != NULL
			     ? SSL_CTX_load_verify_locations(c->ctx,
							     tls->ca_file, NULL)
			     : SSL_CTX_set_default_verify_paths(c->ctx);

		if (!ok) {
			rc = gw_err_set(err, GW_ERROR, "4.7.0",
					"cannot load TLS anchors %s",
					tls->ca_file ? tls->ca_file : "");
			goto out;
		}
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	}
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd)) {
		rc = gw_err_set(err, GW_ERROR, "4.7.0", "TLS session");
		goto out;
	}
	vp = SSL_get0_param(c->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (tls->verify && !X509_VERIFY_PARAM_set1_ip_asc(vp, name) &&
	    !X509_VERIFY_PARAM_set1_host(vp, name, 0)) {
		rc = gw_err_set(err, GW_ERROR, "4.7.0", "TLS name %s", name);
		goto out;
	}
	if (strchr(name, ':') == NULL &&
	    strspn(name, "0123456789.") != strlen(name)) /* SNI: names only */
		SSL_set_tlsext_host_name(c->ssl, name);
	for (;;) {
		int r = SSL_connect(c->ssl);

		if (r == 1)
			break;
		vr = SSL_get_verify_result(c->ssl);
		if (tls->verify && vr != X509_V_OK) {
			rc = gw_err_set(err, GW_ETRUST, "4.7.5",
					"%s: TLS certificate not accepted: %s",
					c->host,
					X509_verify_cert_error_string(vr));
			ERR_clear_error();
			goto out;
		}
		if ((rc = ssl_wait(c, r, "handshake", err)) < 0)
			goto out;
	}
	rc = 0;
out:
	return rc;
}

int
gw_conn_write(struct gw_conn *c, const void *p, size_t len, struct gw_err *err)
{
	const char *s = p;

	while (len > 0) {
		ssize_t n;

		if (c->ssl != NULL) {
			size_t w = 0;
			int r = SSL_write_ex(c->ssl, s, len, &w);

			if (r <= 0) {
				int rc = ssl_wait(c, r, "write", err);

				if (rc < 0)
					return rc;
				continue;
			}
			n = (ssize_t)w;
		} else {
			n = send(c->fd, s, len, MSG_NOSIGNAL);
			if (n < 0) {
				int rc;

				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					return sys_err(err, errno, "send",
						       c->host);
				if ((rc = wait_fd(c, POLLOUT, err)) < 0)
					return rc;
				continue;
			}
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Refill the read buffer (it is empty); GW_EUNAVAIL on EOF. */
static int
fill(struct gw_conn *c, struct gw_err *err)
{
	for (;;) {
		ssize_t n;

		if (c->ssl != NULL) {
			size_t r = 0;
			int ok =
			    SSL_read_ex(c->ssl, c->buf, sizeof(c->buf), &r);

			if (ok <= 0) {
				int rc = ssl_wait(c, ok, "read", err);

				if (rc < 0)
					return rc;
				continue;
			}
			n = (ssize_t)r;
		} else {
			n = recv(c->fd, c->buf, sizeof(c->buf), 0);
			if (n < 0) {
				int rc;

				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					return sys_err(err, errno, "recv",
						       c->host);
				if ((rc = wait_fd(c, POLLIN, err)) < 0)
					return rc;
				continue;
			}
			if (n == 0)
				return gw_err_set(err, GW_EUNAVAIL, "4.4.2",
						  "%s: connection closed",
						  c->host);
		}
		c->off = 0;
		c->len = (size_t)n;
		return 0;
	}
}

int
gw_conn_read_line(struct gw_conn *c, char *line, size_t size,
		  struct gw_err *err)
{
	size_t n = 0;
	int rc;

	for (;;) {
		char *nl;
		size_t take;

		if (c->len == 0 && (rc = fill(c, err)) < 0)
			return rc;
		nl = memchr(c->buf + c->off, '\n', c->len);
		take =
		    nl != NULL ? (size_t)(nl - (c->buf + c->off)) + 1 : c->len;
		if (n + take > size - 1 + (nl != NULL ? 1 : 0))
			return gw_err_set(err, GW_ELIMIT, "5.5.2",
					  "%s: line longer than %zu bytes",
					  c->host, size - 1);
		memcpy(line + n, c->buf + c->off, nl != NULL ? take - 1 : take);
		n += nl != NULL ? take - 1 : take;
		c->off += take;
		c->len -= take;
		if (nl != NULL)
			break;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}
