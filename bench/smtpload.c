/*
 * NAME
 *	smtpload - SMTP load generator for make bench
 * SUMMARY
 *	smtpload HOST PORT FROM RCPT FILE COUNT CONCURRENCY
 *	Opens CONCURRENCY plain TCP connections to HOST:PORT (loopback
 *	only: no TLS, so nothing leaves the machine), each doing EHLO, then
 *	MAIL FROM:<FROM>, RCPT TO:<RCPT>, DATA and the message, one
 *	transaction after the other, until COUNT messages were sent in
 *	all. FILE is one message, or a directory whose files are sent in
 *	name order, round robin. Messages are sent with CRLF line ends and
 *	dot-stuffed. No PIPELINING. Before the clock starts it waits up to
 *	SMTPLOAD_WAIT seconds (default 10) for the port to accept a
 *	connection. Prints one line:
 *	"accepted=N failed=N seconds=S msgs_per_s=R median_ms=M p99_ms=P
 *	first_data=T last_reply=T"
 *	where the latencies are those of the step from the end of the
 *	message (the final dot) to the server's reply, and first_data and
 *	last_reply are wall-clock times (Unix seconds, comparable with file
 *	times): when the first DATA command went out, when the last reply
 *	came in. Every non-2xx reply is printed to stderr with the command
 *	that got it; the exit status is then 1 (2 for usage and set-up
 *	errors).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define IO_TIMEOUT 120 /* seconds, each read or write */
#define REPLY_MAX  4096

struct message {
	char *p; /* CRLF, dot-stuffed, ending "\r\n.\r\n" */
	size_t len;
};

static struct sockaddr_storage peer;
static socklen_t peer_len;
static const char *mail_from, *rcpt_to;
static struct message *msgs;
static size_t nmsgs;
static long total;
static long next_msg;     /* atomic */
static double first_data; /* wall clock; the first wins (mutex) */
static pthread_mutex_t first_mu = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	pthread_t th;
	int fd;
	char buf[REPLY_MAX];
	size_t have;
	double *lat; /* ms, one per accepted message */
	long ok, failed;
	double last; /* wall clock of the last reply */
	char reply[REPLY_MAX];
};

/* Dot-stuffed CRLF form of a message file. */
static void
prepare(const char *path, struct message *m)
{
	size_t len, n = 0;
	char *in = bench_slurp(path, &len);
	char *out = malloc(2 * len + 8);
	bool bol = true;

	if (out == NULL)
		bench_die("read", "out of memory");
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (bol && c == '.')
			out[n++] = '.';
		if (c == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[n++] = '\r';
		if (c == '\r' && (i + 1 == len || in[i + 1] != '\n')) {
			out[n++] = '\r';
			c = '\n';
		}
		out[n++] = c;
		bol = c == '\n';
	}
	if (!bol) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	memcpy(out + n, ".\r\n", 3);
	m->p = out;
	m->len = n + 3;
	free(in);
}

static void
load(const char *path)
{
	struct stat st;
	struct dirent **ents = NULL;
	int ne;

	if (stat(path, &st) != 0)
		bench_die(path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		msgs = calloc(1, sizeof(*msgs));
		if (msgs == NULL)
			bench_die("load", "out of memory");
		prepare(path, &msgs[0]);
		nmsgs = 1;
		return;
	}
	ne = scandir(path, &ents, NULL, alphasort);
	if (ne < 0)
		bench_die(path, strerror(errno));
	msgs = calloc((size_t)ne + 1, sizeof(*msgs));
	if (msgs == NULL)
		bench_die("load", "out of memory");
	for (int i = 0; i < ne; i++) {
		char *p = bench_path2(path, ents[i]->d_name);

		if (ents[i]->d_name[0] != '.' && stat(p, &st) == 0 &&
		    S_ISREG(st.st_mode))
			prepare(p, &msgs[nmsgs++]);
		free(p);
		free(ents[i]);
	}
	free(ents);
	if (nmsgs == 0)
		bench_die(path, "no message files");
}

/* HOST:PORT into peer; loopback addresses only. */
static void
resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	bool loop = false;

	if (rc != 0)
		bench_die(host, gai_strerror(rc));
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *s = (void *)ai->ai_addr;

		loop = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s = (void *)ai->ai_addr;

		loop = IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
	}
	if (!loop)
		bench_die(host, "not a loopback address (plain SMTP only "
				"on loopback)");
	memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
	peer_len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static int
dial(void)
{
	struct timeval tv = {.tv_sec = IO_TIMEOUT};
	int fd = socket(peer.ss_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&peer, peer_len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait until the server accepts connections (it may still be starting). */
static void
wait_port(void)
{
	const char *w = getenv("SMTPLOAD_WAIT");
	double until = bench_now() + (w != NULL ? strtod(w, NULL) : 10.0);

	for (;;) {
		int fd = dial();

		if (fd >= 0) {
			close(fd);
			return;
		}
		if (bench_now() > until)
			bench_die("connect", strerror(errno));
		usleep(50 * 1000);
	}
}

static bool
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

/*
 * Read one whole reply (the lines "NNN-..." up to "NNN ...") into
 * c->reply; its code, or -1 on a broken connection.
 */
static int
read_reply(struct conn *c)
{
	size_t rl = 0;

	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		bool more;
		size_t ll;

		if (nl == NULL) {
			ssize_t r;

			if (c->have == sizeof(c->buf))
				return -1; /* a line longer than we allow */
			r = recv(c->fd, c->buf + c->have,
				 sizeof(c->buf) - c->have, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			c->have += (size_t)r;
			continue;
		}
		ll = (size_t)(nl - c->buf) + 1;
		more = ll >= 4 && c->buf[3] == '-';
		if (rl + ll < sizeof(c->reply)) {
			memcpy(c->reply + rl, c->buf, ll);
			rl += ll;
		}
		c->reply[rl] = '\0';
		memmove(c->buf, c->buf + ll, c->have - ll);
		c->have -= ll;
		if (!more)
			break;
	}
	if (rl < 3 || c->reply[0] < '1' || c->reply[0] > '5')
		return -1;
	return (c->reply[0] - '0') * 100 + (c->reply[1] - '0') * 10 +
	       (c->reply[2] - '0');
}

/* Send a command (NULL: none, just read) and read its reply. */
static int
command(struct conn *c, const char *cmd)
{
	if (cmd != NULL && !send_all(c->fd, cmd, strlen(cmd)))
		return -1;
	return read_reply(c);
}

static void
report(struct conn *c, long k, const char *what, int code)
{
	size_t n = strlen(c->reply);

	while (n > 0 && (c->reply[n - 1] == '\n' || c->reply[n - 1] == '\r'))
		c->reply[--n] = '\0';
	fprintf(stderr, "smtpload: message %ld: %s: %s\n", k, what,
		code < 0 ? "connection lost" : c->reply);
}

/* One transaction; the reply code to the message, or -1 (I/O). */
static int
transaction(struct conn *c, long k)
{
	const struct message *m = &msgs[(size_t)k % nmsgs];
	char cmd[1100];
	double t0;
	int code;

	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", mail_from);
	if ((code = command(c, cmd)) / 100 != 2) {
		report(c, k, "MAIL", code);
		return code;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt_to);
	if ((code = command(c, cmd)) / 100 != 2) {
		report(c, k, "RCPT", code);
		return code;
	}
	pthread_mutex_lock(&first_mu);
	if (first_data == 0)
		first_data = bench_wall();
	pthread_mutex_unlock(&first_mu);
	if ((code = command(c, "DATA\r\n")) != 354) {
		report(c, k, "DATA", code);
		return code < 0 ? code : 500;
	}
	if (!send_all(c->fd, m->p, m->len))
		return -1;
	t0 = bench_now();
	code = read_reply(c);
	c->last = bench_wall();
	if (code / 100 != 2) {
		report(c, k, "end of data", code);
		return code;
	}
	c->lat[c->ok++] = (bench_now() - t0) * 1e3;
	return code;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	int code;

	c->fd = dial();
	if (c->fd < 0 || (code = command(c, NULL)) != 220 ||
	    (code = command(c, "EHLO smtpload.localhost\r\n")) != 250) {
		fprintf(stderr, "smtpload: session start: %s\n",
			c->fd < 0 ? strerror(errno) : c->reply);
		c->failed++;
		if (c->fd >= 0)
			close(c->fd);
		return NULL;
	}
	for (;;) {
		long k = __atomic_fetch_add(&next_msg, 1, __ATOMIC_RELAXED);

		if (k >= total)
			break;
		code = transaction(c, k);
		if (code / 100 == 2)
			continue;
		c->failed++;
		/* A refusal ends the transaction; a lost connection all. */
		if (code < 0 || command(c, "RSET\r\n") / 100 != 2)
			break;
	}
	(void)command(c, "QUIT\r\n");
	close(c->fd);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct conn *c;
	double t0, secs, *all, last = 0;
	long nc, ok = 0, failed = 0, n = 0;

	bench_prog = "smtpload";
	if (argc != 8) {
		fprintf(stderr,
			"usage: smtpload HOST PORT FROM RCPT FILE COUNT "
			"CONCURRENCY\n");
		return 2;
	}
	mail_from = argv[3];
	rcpt_to = argv[4];
	total = strtol(argv[6], NULL, 10);
	nc = strtol(argv[7], NULL, 10);
	if (total < 1 || nc < 1 || nc > 1000 || strlen(mail_from) > 512 ||
	    strlen(rcpt_to) > 512 || strpbrk(argv[3], "\r\n<>") != NULL ||
	    strpbrk(argv[4], "\r\n<>") != NULL)
		bench_die("usage", "bad COUNT, CONCURRENCY, FROM or RCPT");
	resolve(argv[1], argv[2]);
	load(argv[5]);
	wait_port();
	c = calloc((size_t)nc, sizeof(*c));
	all = calloc((size_t)total, sizeof(*all));
	if (c == NULL || all == NULL)
		bench_die("start", "out of memory");
	t0 = bench_now();
	for (long i = 0; i < nc; i++) {
		c[i].lat = calloc((size_t)total, sizeof(double));
		if (c[i].lat == NULL)
			bench_die("start", "out of memory");
		pthread_create(&c[i].th, NULL, conn_main, &c[i]);
	}
	for (long i = 0; i < nc; i++) {
		pthread_join(c[i].th, NULL);
		ok += c[i].ok;
		failed += c[i].failed;
		for (long k = 0; k < c[i].ok; k++)
			all[n++] = c[i].lat[k];
		if (c[i].last > last)
			last = c[i].last;
		free(c[i].lat);
	}
	secs = bench_now() - t0;
	qsort(all, (size_t)n, sizeof(*all), cmp_double);
	printf("accepted=%ld failed=%ld seconds=%.3f msgs_per_s=%.1f "
	       "median_ms=%.2f p99_ms=%.2f first_data=%.6f last_reply=%.6f\n",
	       ok, failed, secs, ok / secs, n > 0 ? all[n / 2] : 0.0,
	       n > 0 ? all[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0.0,
	       first_data, last);
	free(all);
	free(c);
	for (size_t i = 0; i < nmsgs; i++)
		free(msgs[i].p);
	free(msgs);
	return failed > 0 || ok < total ? 1 : 0;
}
