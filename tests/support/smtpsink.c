/* smtpsink - a scriptable SMTP server for tests (see smtpsink.h). */
#include "smtpsink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

struct io {
	int fd;
	SSL *ssl;
	char buf[8192];
	size_t off, len;
};

struct gw_sink {
	int lfd;
	int port;
	pthread_t th;
	volatile int stop;
	struct gw_sink_script scripts[GW_SINK_MAX_CONN];
	size_t nscripts;
	SSL_CTX *ctx;
	pthread_mutex_t mu;
	int count;
	struct gw_sink_conn conns[GW_SINK_MAX_CONN];
};

static int
io_fill(struct io *io)
{
	int n = io->ssl ? SSL_read(io->ssl, io->buf, sizeof(io->buf))
			: (int)recv(io->fd, io->buf, sizeof(io->buf), 0);

	if (n <= 0)
		return -1;
	io->off = 0;
	io->len = (size_t)n;
	return 0;
}

/* One line without CRLF; -1 on EOF. */
static int
io_line(struct io *io, char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		char ch;

		if (io->len == 0 && io_fill(io) < 0)
			return -1;
		ch = io->buf[io->off++];
		io->len--;
		if (ch == '\n')
			break;
		if (n + 1 < size)
			line[n++] = ch;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

static void io_say(struct io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
io_say(struct io *io, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b))
		return;
	if (io->ssl)
		SSL_write(io->ssl, b, n);
	else
		send(io->fd, b, (size_t)n, MSG_NOSIGNAL);
}

static void
ehlo_reply(struct io *io, const struct gw_sink_script *sc)
{
	io_say(io, "250-sink.test\r\n");
	if (sc->starttls && io->ssl == NULL)
		io_say(io, "250-STARTTLS\r\n");
	if (sc->pipelining)
		io_say(io, "250-PIPELINING\r\n");
	if (sc->size_max >= 0)
		io_say(io, "250-SIZE %ld\r\n", sc->size_max);
	io_say(io, "250 8BITMIME\r\n");
}

/* Read DATA until the dot, undoing dot-stuffing. */
static void
read_data(struct io *io, struct gw_sink_conn *rec)
{
	size_t cap = 1 << 16, len = 0;
	char *d = malloc(cap);
	char line[8192];

	while (d != NULL && io_line(io, line, sizeof(line)) == 0) {
		const char *l = line;
		size_t n;

		if (strcmp(line, ".") == 0) {
			rec->data = d;
			rec->data_len = len;
			return;
		}
		if (line[0] == '.')
			l++;
		n = strlen(l);
		if (len + n + 2 >= cap) {
			char *nd = realloc(d, cap * 2 + n);

			if (nd == NULL)
				break;
			d = nd;
			cap = cap * 2 + n;
		}
		memcpy(d + len, l, n);
		memcpy(d + len + n, "\r\n", 2);
		len += n + 2;
	}
	free(d);
}

static void
serve(struct gw_sink *s, int fd, const struct gw_sink_script *sc,
      struct gw_sink_conn *rec)
{
	struct io io = {.fd = fd};
	char line[1024];

	io_say(&io, "%d sink.test ESMTP\r\n", sc->greet);
	if (sc->greet / 100 != 2)
		goto out;
	while (io_line(&io, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			rec->ehlo++;
			ehlo_reply(&io, sc);
		} else if (strcasecmp(line, "STARTTLS") == 0 && s->ctx &&
			   sc->starttls && io.ssl == NULL) {
			io_say(&io, "220 go ahead\r\n");
			io.ssl = SSL_new(s->ctx);
			SSL_set_fd(io.ssl, fd);
			if (SSL_accept(io.ssl) != 1)
				goto out;
			rec->tls = true;
			io.len = 0;
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			snprintf(rec->mail_from, sizeof(rec->mail_from),
				 "%.255s", line + 10);
			rec->pipelined = io.len > 0;
			io_say(&io, "%d 2.1.0 mail\r\n", sc->mail);
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			const char *a = line + 8;

			if (sc->reject && strstr(a, sc->reject)) {
				io_say(&io, "550 5.1.1 no such user\r\n");
			} else if (sc->defer && strstr(a, sc->defer)) {
				io_say(&io, "451 4.3.0 try later\r\n");
			} else if (sc->mail / 100 != 2) {
				io_say(&io, "503 5.5.1 no MAIL\r\n");
			} else {
				if (rec->nrcpt < 8)
					snprintf(rec->rcpts[rec->nrcpt++],
						 sizeof(rec->rcpts[0]),
						 "%.255s", a);
				io_say(&io, "250 2.1.5 ok\r\n");
			}
		} else if (strcasecmp(line, "DATA") == 0) {
			if (rec->nrcpt == 0 || sc->mail / 100 != 2) {
				io_say(&io,
				       "554 5.5.1 no valid recipients\r\n");
				continue;
			}
			io_say(&io, "%d go\r\n", sc->data);
			if (sc->data != 354)
				continue;
			read_data(&io, rec);
			if (sc->close_after_data)
				goto out;
			io_say(&io, "%d %d.0.0 done\r\n", sc->dot,
			       sc->dot / 100);
		} else if (strcasecmp(line, "QUIT") == 0) {
			io_say(&io, "221 bye\r\n");
			break;
		} else if (strcasecmp(line, "RSET") == 0) {
			io_say(&io, "250 ok\r\n");
		} else {
			io_say(&io, "500 5.5.2 what\r\n");
		}
	}
out:
	if (io.ssl) {
		SSL_shutdown(io.ssl);
		SSL_free(io.ssl);
	}
}

static void *
sink_main(void *arg)
{
	struct gw_sink *s = arg;

	while (!s->stop) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		const struct gw_sink_script *sc;
		struct gw_sink_conn rec = {0};
		int fd, i;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		i = s->count;
		pthread_mutex_unlock(&s->mu);
		sc = &s->scripts[(size_t)i < s->nscripts ? (size_t)i
							 : s->nscripts - 1];
		serve(s, fd, sc, &rec);
		close(fd);
		pthread_mutex_lock(&s->mu);
		if (s->count < GW_SINK_MAX_CONN)
			s->conns[s->count] = rec;
		else
			free(rec.data);
		s->count++;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

struct gw_sink *
gw_sink_start(const struct gw_sink_script *scripts, size_t nscripts,
	      const char *cert, const char *key)
{
	return gw_sink_start_on(0, scripts, nscripts, cert, key);
}

struct gw_sink *
gw_sink_start_on(int port, const struct gw_sink_script *scripts,
		 size_t nscripts, const char *cert, const char *key)
{
	struct gw_sink *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	if (s == NULL || nscripts == 0 || nscripts > GW_SINK_MAX_CONN)
		goto fail;
	memcpy(s->scripts, scripts, nscripts * sizeof(*scripts));
	s->nscripts = nscripts;
	pthread_mutex_init(&s->mu, NULL);
	if (cert != NULL) {
		s->ctx = SSL_CTX_new(TLS_server_method());
		if (s->ctx == NULL ||
		    SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(s->ctx, key,
						SSL_FILETYPE_PEM) != 1)
			goto fail;
	}
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (s->lfd >= 0)
		setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &(int){1},
			   sizeof(int));
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->lfd, 16) ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl))
		goto fail;
	s->port = ntohs(sa.sin_port);
	if (pthread_create(&s->th, NULL, sink_main, s) != 0)
		goto fail;
	return s;
fail:
	if (s != NULL) {
		if (s->lfd > 0)
			close(s->lfd);
		SSL_CTX_free(s->ctx);
		free(s);
	}
	return NULL;
}

int
gw_sink_port(const struct gw_sink *s)
{
	return s->port;
}

int
gw_sink_count(struct gw_sink *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->count;
	pthread_mutex_unlock(&s->mu);
	return n;
}

const struct gw_sink_conn *
gw_sink_conn(struct gw_sink *s, int i)
{
	return i >= 0 && i < gw_sink_count(s) && i < GW_SINK_MAX_CONN
		   ? &s->conns[i]
		   : NULL;
}

void
gw_sink_stop(struct gw_sink *s)
{
	if (s == NULL)
		return;
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	for (int i = 0; i < s->count && i < GW_SINK_MAX_CONN; i++)
		free(s->conns[i].data);
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
