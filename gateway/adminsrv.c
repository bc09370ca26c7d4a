/*
 * NAME
 *	adminsrv - the admin HTTP(S) port (see adminsrv.h)
 * DESCRIPTION
 *	The accept thread polls the listener and a stop pipe; each accepted
 *	connection gets a detached thread (at most SESSIONS_MAX, beyond
 *	that an immediate 503) that runs the TLS handshake, reads the head
 *	into a fixed buffer, decides access, asks adminapi.c for the answer,
 *	writes it with "Connection: close" and closes. Every wait is a
 *	poll() on the socket (and, while reading, the stop pipe) with a
 *	deadline, through srvio.c as in smtpsrv.c.
 *
 *	A client may have sent more than the head (a body we refuse, a
 *	pipelined request): closing with unread bytes makes the kernel send
 *	a reset that can destroy the response in flight, so after the
 *	answer the write side is shut down and what arrives is read and
 *	dropped for a short while (a "lingering close").
 * SECURITY
 *	See adminsrv.h. The token is compared in constant time and never
 *	logged; logs name the peer, the method, the path (not the query,
 *	which may carry an address) and the status.
 */
#include "adminsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "adminapi.h"
#include "id.h"
#include "log.h"
#include "mem.h"
#include "srvio.h"
#include "tls.h"

#define SESSIONS_MAX 16
#define HEAD_MS      10000 /* handshake and request head */
#define WRITE_MS     30000 /* the answer */
#define LINGER_MS    500
#define LINGER_BYTES 65536

struct gw_adminsrv {
	const struct gw_config *cfg;
	struct gw_adminapi *api;
	int lfd;
	int port;
	int stop_pipe[2];
	volatile sig_atomic_t stop;
	SSL_CTX *ctx;
	bool has_ca;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int active;
};

struct sess {
	struct gw_adminsrv *srv;
	struct gw_srvio io; /* the socket, its SSL, the stop pipe */
	struct sockaddr_storage peer_sa;
	char peer[80];
	char id[GW_ID_UUID_LEN];
	char head[GW_ADMINSRV_HEAD_MAX + 1];
	size_t len;
};

/* ---- pure pieces ------------------------------------------------------ */

bool
gw_adminsrv_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* Equal in time that depends on want's length only. */
static bool
token_equal(const char *want, const char *got)
{
	size_t wl = strlen(want), gl = strlen(got);
	volatile unsigned char d = (unsigned char)(wl != gl);

	for (size_t i = 0; i < wl; i++)
		d |= (unsigned char)((unsigned char)want[i] ^
				     (unsigned char)(i < gl ? got[i] : 0));
	return d == 0;
}

int
gw_adminsrv_access(const struct sockaddr *peer, const char *token, bool has_ca,
		   bool cert, const char *authorization)
{
	const char *cred;

	if (has_ca && !cert)
		return 403; /* the handshake should have refused it */
	if (token[0] != '\0') {
		if (authorization == NULL ||
		    strncasecmp(authorization, "Bearer ", 7) != 0)
			return 401;
		cred = authorization + 7;
		cred += strspn(cred, " ");
		return token_equal(token, cred) ? 0 : 401;
	}
	if (has_ca)
		return 0;
	return gw_adminsrv_is_loopback(peer) ? 0 : 403;
}

/* RFC 9110 5.6.2 token characters. */
static bool
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One header line "name: value" (NUL-terminated, no CRLF) into rq. */
static int
parse_header(char *line, struct gw_adminsrv_req *rq, bool *body)
{
	char *colon = strchr(line, ':');
	char *v, *e;

	if (colon == NULL || colon == line)
		return 400;
	for (char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return 400; /* also "name :" (RFC 9112 5.1) */
	*colon = '\0';
	v = colon + 1;
	v += strspn(v, " \t");
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return 400;
	if (strcasecmp(line, "Authorization") == 0) {
		if (rq->authorization != NULL)
			return 400;
		rq->authorization = v;
	} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
		*body = true;
	} else if (strcasecmp(line, "Content-Length") == 0) {
		if (v[0] == '\0' || strspn(v, "0123456789") != strlen(v))
			return 400;
		if (strspn(v, "0") != strlen(v))
			*body = true;
	}
	return 0;
}

int
gw_adminsrv_parse(char *head, size_t len, struct gw_adminsrv_req *rq)
{
	char *line = head, *end, *sp1, *sp2;
	bool body = false;
	size_t tlen;
	int rc;

	memset(rq, 0, sizeof(*rq));
	if (strlen(head) != len)
		return 400; /* a NUL byte */
	if ((end = strstr(line, "\r\n")) == NULL)
		return 400;
	*end = '\0';
	/* method SP request-target SP HTTP-version */
	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    strchr(sp2 + 1, ' ') != NULL || sp1 == line || sp2 == sp1 + 1)
		return 400;
	*sp1 = '\0';
	*sp2 = '\0';
	for (const char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return 400;
	rq->method = line;
	rq->target = sp1 + 1;
	tlen = strlen(rq->target);
	if (rq->target[0] != '/' || tlen > GW_ADMINSRV_TARGET_MAX)
		return 400;
	for (const char *p = rq->target; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 400;
	if (strncmp(sp2 + 1, "HTTP/", 5) != 0 || strlen(sp2 + 1) != 8 ||
	    sp2[7] != '.' || sp2[6] < '0' || sp2[6] > '9' || sp2[8] < '0' ||
	    sp2[8] > '9')
		return 400;
	if (sp2[6] != '1')
		return 505;
	rq->minor = sp2[8] - '0';
	for (line = end + 2; *line != '\0'; line = end + 2) {
		if ((end = strstr(line, "\r\n")) == NULL)
			return 400;
		if (end == line)
			return 0; /* the empty line */
		*end = '\0';
		if (line[0] == ' ' || line[0] == '\t')
			return 400; /* obs-fold */
		if (strchr(line, '\r') != NULL || strchr(line, '\n') != NULL)
			return 400; /* a bare CR or LF */
		if ((rc = parse_header(line, rq, &body)) != 0)
			return rc;
		if (body)
			return 400; /* a GET carries none; we read none */
	}
	return 400; /* no empty line */
}

/* ---- reading the head ------------------------------------------------ */

/* Read more of the head; GW_SRVIO_OK with s->len grown. */
static int
read_some(struct sess *s, long long deadline)
{
	size_t got = 0;
	int rc = gw_srvio_read(&s->io, s->head + s->len,
			       GW_ADMINSRV_HEAD_MAX - s->len, &got, deadline);

	s->len += got;
	return rc;
}

/*
 * Read until the empty line that ends the head: GW_SRVIO_OK (s->head
 * holds the head, NUL-terminated, s->len its length), or 431 when it
 * does not fit, or a GW_SRVIO_ error.
 */
static int
read_head(struct sess *s, long long deadline)
{
	int rc;

	s->len = 0;
	for (;;) {
		const char *end = memmem(s->head, s->len, "\r\n\r\n", 4);

		if (end != NULL) {
			/* The head only: bytes after it are never looked at. */
			s->len = (size_t)(end - s->head) + 4;
			s->head[s->len] = '\0';
			return GW_SRVIO_OK;
		}
		if (s->len == GW_ADMINSRV_HEAD_MAX)
			return 431;
		if ((rc = read_some(s, deadline)) != GW_SRVIO_OK)
			return rc;
	}
}

/* ---- one connection --------------------------------------------------- */

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

/* Write the whole response; body may be NULL (a short text instead). */
static void
respond(struct sess *s, int status, const char *type, const char *body,
	size_t blen)
{
	struct gw_buf h;
	char text[64];

	if (body == NULL) {
		int n =
		    snprintf(text, sizeof(text), "%s\n", reason_phrase(status));

		body = text;
		blen = n > 0 ? (size_t)n : 0;
		type = "text/plain; charset=utf-8";
	}
	gw_buf_init(&h, 1024);
	if (gw_buf_printf(&h,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			  "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			  "X-Content-Type-Options: nosniff\r\n"
			  "Connection: close\r\n%s%s\r\n",
			  status, reason_phrase(status), type, blen,
			  status == 401 ? "WWW-Authenticate: Bearer "
					  "realm=\"dxgw\"\r\n"
					: "",
			  status == 405 ? "Allow: GET\r\n" : "") == 0) {
		long long deadline = gw_srvio_now_ms() + WRITE_MS;

		if (gw_srvio_write_all(&s->io, h.data, h.len, deadline) ==
		    GW_SRVIO_OK)
			gw_srvio_write_all(&s->io, body, blen, deadline);
	}
	gw_buf_dispose(&h);
}

/* Drop what the client still sends, briefly, so the answer arrives. */
static void
linger(struct sess *s)
{
	long long deadline = gw_srvio_now_ms() + LINGER_MS;
	size_t total = 0;
	char b[4096];

	if (s->io.ssl != NULL) {
		SSL_shutdown(s->io.ssl);
		ERR_clear_error();
	}
	shutdown(s->io.fd, SHUT_WR);
	while (total < LINGER_BYTES &&
	       gw_srvio_wait(&s->io, POLLIN, deadline, false) == GW_SRVIO_OK) {
		ssize_t n = recv(s->io.fd, b, sizeof(b), 0);

		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

/* The path of a target (no query), at most 200 bytes, for logs. */
static int
path_len(const char *target)
{
	size_t n = strcspn(target, "?");

	return n > 200 ? 200 : (int)n;
}

static void
session(struct sess *s)
{
	struct gw_adminsrv *srv = s->srv;
	long long deadline = gw_srvio_now_ms() + HEAD_MS;
	struct gw_adminsrv_req rq;
	struct gw_admin_resp resp;
	char subject[256] = "", fp[GW_TLS_FP_LEN];
	bool cert = false;
	int rc;

	if (srv->ctx != NULL) {
		if ((rc = gw_srvio_tls_accept(&s->io, srv->ctx, deadline)) !=
		    GW_SRVIO_OK) {
			gw_log_info(s->id,
				    "admin: TLS handshake failed peer=%s",
				    s->peer);
			return;
		}
		cert = srv->has_ca &&
		       SSL_get_verify_result(s->io.ssl) == X509_V_OK &&
		       gw_tls_peer_identity(s->io.ssl, subject, sizeof(subject),
					    fp);
	}
	if ((rc = read_head(s, deadline)) != GW_SRVIO_OK) {
		if (rc == 431 || rc == GW_SRVIO_TIMEOUT)
			respond(s, rc == 431 ? 431 : 408, NULL, NULL, 0);
		return;
	}
	if ((rc = gw_adminsrv_parse(s->head, s->len, &rq)) != 0) {
		gw_log_notice(s->id, "admin: malformed request (%d) peer=%s",
			      rc, s->peer);
		respond(s, rc, NULL, NULL, 0);
		return;
	}
	rc = gw_adminsrv_access((const struct sockaddr *)&s->peer_sa,
				srv->cfg->admin_token, srv->has_ca, cert,
				rq.authorization);
	if (rc != 0) {
		gw_log_notice(s->id, "admin: %s %.*s refused (%d) peer=%s",
			      rq.method, path_len(rq.target), rq.target, rc,
			      s->peer);
		respond(s, rc, NULL, NULL, 0);
		return;
	}
	if (strcmp(rq.method, "GET") != 0) {
		respond(s, 405, NULL, NULL, 0);
		return;
	}
	gw_adminapi_get(srv->api, rq.target, &resp);
	gw_log_info(s->id, "admin: GET %.*s %d peer=%s%s%s",
		    path_len(rq.target), rq.target, resp.status, s->peer,
		    cert ? " cert=" : "", cert ? subject : "");
	respond(s, resp.status, resp.type, resp.body.data, resp.body.len);
	gw_buf_dispose(&resp.body);
}

static void *
session_main(void *arg)
{
	struct sess *s = arg;
	struct gw_adminsrv *srv = s->srv;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	session(s);
	linger(s);
	if (s->io.ssl != NULL)
		SSL_free(s->io.ssl);
	ERR_clear_error();
	close(s->io.fd);
	free(s);
	/* The last touch of srv: free() may go on once active is 0. */
	pthread_mutex_lock(&srv->mu);
	if (--srv->active == 0)
		pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

static void
start_session(struct gw_adminsrv *srv, int fd, const struct sockaddr *sa,
	      socklen_t sl)
{
	char host[64] = "?", serv[16] = "?";
	pthread_attr_t attr;
	struct sess *s;
	pthread_t th;
	bool busy;

	getnameinfo(sa, sl, host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	pthread_mutex_lock(&srv->mu);
	busy = srv->active >= SESSIONS_MAX;
	if (!busy)
		srv->active++;
	pthread_mutex_unlock(&srv->mu);
	if (busy) {
		static const char msg[] =
		    "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n";

		gw_log_warn(NULL, "admin: too many connections, refused %s",
			    host);
		if (srv->ctx == NULL)
			(void)!send(fd, msg, sizeof(msg) - 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	s = gw_xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->io.fd = fd;
	s->io.stop_fd = srv->stop_pipe[0];
	memcpy(&s->peer_sa, sa,
	       sl < sizeof(s->peer_sa) ? sl : sizeof(s->peer_sa));
	snprintf(s->peer, sizeof(s->peer), "%s:%s", host, serv);
	gw_id_uuid_time(s->id);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, session_main, s) != 0) {
		gw_log_err(NULL, "admin: cannot start a connection thread");
		close(fd);
		free(s);
		pthread_mutex_lock(&srv->mu);
		if (--srv->active == 0)
			pthread_cond_broadcast(&srv->cv);
		pthread_mutex_unlock(&srv->mu);
	}
	pthread_attr_destroy(&attr);
}

static void *
accept_main(void *arg)
{
	struct gw_adminsrv *srv = arg;
	struct pollfd p[2] = {{.fd = srv->lfd, .events = POLLIN},
			      {.fd = srv->stop_pipe[0], .events = POLLIN}};
	sigset_t set;

	/*
	 * Asynchronous signals are the main thread's (it stops the daemon);
	 * connection threads inherit this mask. Faults stay deliverable.
	 */
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGTRAP);
	sigdelset(&set, SIGABRT);
	sigdelset(&set, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!srv->stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int n = poll(p, 2, -1), fd;

		if (n < 0 && errno != EINTR) {
			gw_log_err(NULL, "admin: poll: %s", strerror(errno));
			break;
		}
		if (n <= 0 || (p[1].revents & POLLIN))
			continue;
		fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				poll(NULL, 0, 100);
			continue;
		}
		start_session(srv, fd, (struct sockaddr *)&ss, sl);
	}
	/* Connections watch the stop pipe too while they read. */
	pthread_mutex_lock(&srv->mu);
	while (srv->active > 0)
		pthread_cond_wait(&srv->cv, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* ---- set-up ----------------------------------------------------------- */

static int
tls_error(struct gw_err *err, const char *what, const char *file)
{
	char b[256];

	ERR_error_string_n(ERR_peek_last_error(), b, sizeof(b));
	ERR_clear_error();
	return gw_err_set(err, GW_ETRUST, "4.7.0", "admin %s %s: %s", what,
			  file, b);
}

static int
setup_tls(struct gw_adminsrv *srv, struct gw_err *err)
{
	const char *pem = srv->cfg->admin_tls_cert;
	const char *ca = srv->cfg->admin_client_ca;
	STACK_OF(X509_NAME) * names;

	srv->ctx = SSL_CTX_new(TLS_server_method());
	if (srv->ctx == NULL)
		return gw_err_set(err, GW_ERROR, "4.7.0", "TLS context");
	if (gw_tls_ctx_harden(srv->ctx, err) != 0)
		return err != NULL ? err->code : GW_ERROR;
	if (SSL_CTX_use_certificate_chain_file(srv->ctx, pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ctx, pem, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(srv->ctx) != 1)
		return tls_error(err, "TLS certificate", pem);
	SSL_CTX_set_session_cache_mode(srv->ctx, SSL_SESS_CACHE_OFF);
	if (ca[0] == '\0')
		return 0;
	if (SSL_CTX_load_verify_locations(srv->ctx, ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(ca)) == NULL)
		return tls_error(err, "client CA", ca);
	SSL_CTX_set_client_CA_list(srv->ctx, names);
	SSL_CTX_set_verify(
	    srv->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	srv->has_ca = true;
	return 0;
}

static int
bind_listener(struct gw_adminsrv *srv, struct gw_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], portstr[16];
	int port, g, one = 1;

	if (!gw_config_split_hostport(srv->cfg->admin_listen, host,
				      sizeof(host), &port))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "admin_listen: bad '%s'",
				  srv->cfg->admin_listen);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((g = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return gw_err_set(err, GW_EUNAVAIL, "4.4.0",
				  "admin_listen %s: %s", srv->cfg->admin_listen,
				  gai_strerror(g));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
				ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0) {
			srv->lfd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (srv->lfd < 0)
		return gw_err_set(err, GW_EUNAVAIL, "4.4.0",
				  "cannot listen on %s: %s",
				  srv->cfg->admin_listen, strerror(errno));
	if (getsockname(srv->lfd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, portstr,
			sizeof(portstr), NI_NUMERICSERV) == 0)
		srv->port = (int)strtol(portstr, NULL, 10);
	return 0;
}

int
gw_adminsrv_start(const struct gw_config *cfg, struct gw_store *store,
		  struct gw_adminsrv **out, struct gw_err *err)
{
	struct gw_adminsrv *srv = gw_xcalloc(1, sizeof(*srv));
	int rc = -1;

	*out = NULL;
	srv->cfg = cfg;
	srv->lfd = -1;
	srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	if (pipe2(srv->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "pipe: %s",
				strerror(errno));
		goto out;
	}
	if ((rc = gw_adminapi_new(store, &srv->api, err)) < 0 ||
	    (cfg->admin_tls_cert[0] != '\0' &&
	     (rc = setup_tls(srv, err)) < 0) ||
	    (rc = bind_listener(srv, err)) < 0)
		goto out;
	if (pthread_create(&srv->thread, NULL, accept_main, srv) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"admin: cannot start the accept thread");
		goto out;
	}
	srv->running = true;
	gw_log_notice(NULL, "admin: listening on %s port=%d%s",
		      cfg->admin_listen, srv->port,
		      srv->has_ca ? " (client certificates)"
		      : srv->ctx  ? " (TLS)"
				  : "");
	*out = srv;
	srv = NULL;
	rc = 0;
out:
	gw_adminsrv_free(srv);
	return rc;
}

int
gw_adminsrv_port(const struct gw_adminsrv *srv)
{
	return srv->port;
}

bool
gw_adminsrv_tls(const struct gw_adminsrv *srv)
{
	return srv->ctx != NULL;
}

void
gw_adminsrv_stop(struct gw_adminsrv *srv)
{
	int saved = errno;

	srv->stop = 1;
	/* Never read: it stays readable and wakes every poll(). */
	(void)!write(srv->stop_pipe[1], "x", 1);
	errno = saved;
}

void
gw_adminsrv_free(struct gw_adminsrv *srv)
{
	if (srv == NULL)
		return;
	if (srv->running) {
		gw_adminsrv_stop(srv);
		pthread_join(srv->thread, NULL);
	}
	if (srv->lfd >= 0)
		close(srv->lfd);
	for (int i = 0; i < 2; i++)
		if (srv->stop_pipe[i] >= 0)
			close(srv->stop_pipe[i]);
	SSL_CTX_free(srv->ctx);
	gw_adminapi_free(srv->api);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free(srv);
}
