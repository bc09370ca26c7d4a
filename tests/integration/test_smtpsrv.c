/*
 * Integration: the SMTP/LMTP server in-process on 127.0.0.1:0, driven
 * by our SMTP client (STARTTLS verified with the test CA, PIPELINING)
 * and by raw sockets for what a well-behaved client never sends: relay
 * attempts, SMTP smuggling, bare LF, commands pipelined after STARTTLS,
 * overlong lines, silence.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "itest.h"
#include "smtpcli.h"
#include "smtpsrv.h"
#include "spool.h"

/* ---- what deliver() saw ------------------------------------------------- */

static struct rec {
	pthread_mutex_t mu;
	int calls;
	bool finished; /* the file was finished when deliver() ran */
	char *content; /* read from the file's path inside deliver() */
	size_t clen;
	uint64_t size;
	bool tls;
	char from[320];
	char rcpt[4][320];
	size_t nrcpt;
} rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void
rec_reset(void)
{
	pthread_mutex_lock(&rec.mu);
	free(rec.content);
	rec.content = NULL;
	rec.clen = 0;
	rec.calls = 0;
	rec.finished = false;
	rec.nrcpt = 0;
	pthread_mutex_unlock(&rec.mu);
}

static int
calls(void)
{
	int n;

	pthread_mutex_lock(&rec.mu);
	n = rec.calls;
	pthread_mutex_unlock(&rec.mu);
	return n;
}

static int
test_rcpt_ok(void *arg, const char *address, char *why, size_t len)
{
	const char *at = strrchr(address, '@');

	(void)arg;
	if (at == NULL || strcasecmp(at + 1, "direct-b.example") != 0)
		return GW_ETRUST; /* not our domain: never relay */
	if (strcmp(address, "gone@direct-b.example") == 0) {
		snprintf(why, len, "address deactivated");
		return GW_ENOTFOUND;
	}
	if (strcmp(address, "doc@direct-b.example") == 0 ||
	    strcmp(address, "nurse@direct-b.example") == 0 ||
	    strncmp(address, "r", 1) == 0)
		return 0;
	return GW_ENOTFOUND;
}

static int
test_deliver(void *arg, const struct gw_smtpsrv_msg *m,
	     struct gw_smtpsrv_reply *per_rcpt, struct gw_err *err)
{
	char *data = NULL;
	size_t len = 0;

	(void)arg;
	(void)err;
	pthread_mutex_lock(&rec.mu);
	rec.calls++;
	rec.finished = gw_spool_file_finished(m->file);
	if (gw_spool_file_read(gw_spool_file_path(m->file), 1 << 20, &data,
			       &len, NULL) == 0) {
		free(rec.content);
		rec.content = data;
		rec.clen = len;
	}
	rec.size = m->size;
	rec.tls = m->tls;
	snprintf(rec.from, sizeof(rec.from), "%s", m->mail_from);
	rec.nrcpt = m->nrcpt;
	for (size_t i = 0; i < m->nrcpt && i < 4; i++)
		snprintf(rec.rcpt[i], sizeof(rec.rcpt[i]), "%s", m->rcpts[i]);
	pthread_mutex_unlock(&rec.mu);
	for (size_t i = 0; i < m->nrcpt; i++)
		if (strcmp(m->rcpts[i], "nurse@direct-b.example") == 0) {
			per_rcpt[i].code = 450;
			snprintf(per_rcpt[i].status, sizeof(per_rcpt[i].status),
				 "4.2.2");
			snprintf(per_rcpt[i].text, sizeof(per_rcpt[i].text),
				 "mailbox full");
		}
	return 0;
}

/* ---- the server ------------------------------------------------------------
 */

struct fx {
	struct gw_spool *sp;
	struct gw_smtpsrv *srv;
	pthread_t th;
	bool running;
	int port;
};

static const char *
pki(void)
{
	return gw_test_pki("mkpki.sh");
}

static void *
run_main(void *arg)
{
	gw_smtpsrv_run(arg);
	return NULL;
}

/* Start a server with o (listen, spool and callbacks filled in here). */
static bool
fx_start(struct fx *f, struct gw_smtpsrv_opts *o, bool tls)
{
	static char cert[600];
	char dir[600];
	struct gw_err e;

	memset(f, 0, sizeof(*f));
	rec_reset();
	snprintf(dir, sizeof(dir), "%s/spool", gw_test_tmpdir());
	if (gw_spool_new(dir, &f->sp, &e) != 0)
		return false;
	snprintf(cert, sizeof(cert), "%s/server.pem", pki());
	o->listen = "127.0.0.1:0";
	o->hostname = "mx.direct-b.example";
	o->spool = f->sp;
	o->rcpt_ok = test_rcpt_ok;
	o->deliver = test_deliver;
	o->tls_cert = tls ? cert : NULL;
	if (gw_smtpsrv_new(o, &f->srv, &e) != 0) {
		fprintf(stderr, "smtpsrv: %s\n", e.msg);
		return false;
	}
	f->port = gw_smtpsrv_port(f->srv);
	if (pthread_create(&f->th, NULL, run_main, f->srv) != 0)
		return false;
	f->running = true;
	return true;
}

static void
fx_stop(struct fx *f)
{
	if (f->running) {
		gw_smtpsrv_stop(f->srv);
		pthread_join(f->th, NULL);
	}
	gw_smtpsrv_free(f->srv);
	gw_spool_free(f->sp);
}

/* ---- a raw client -----------------------------------------------------------
 */

struct raw {
	int fd;
	char buf[16384];
	size_t len;
	char last[1024]; /* the last reply line */
};

static bool
raw_open(struct raw *r, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 10};

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->fd < 0)
		return false;
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static void
raw_close(struct raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void
raw_send(struct raw *r, const char *s)
{
	size_t n = strlen(s);

	if (send(r->fd, s, n, MSG_NOSIGNAL) != (ssize_t)n)
		r->last[0] = '\0';
}

/* One line (without CRLF) into line; false on EOF. */
static bool
raw_line(struct raw *r, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		ssize_t n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - r->buf);

			snprintf(line, size, "%.*s", (int)(l > 0 ? l - 1 : 0),
				 r->buf);
			memmove(r->buf, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			return true;
		}
		if (r->len == sizeof(r->buf))
			return false;
		n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		if (n <= 0)
			return false;
		r->len += (size_t)n;
	}
}

/* The next complete reply's code (0 on EOF); its last line in r->last. */
static int
raw_reply(struct raw *r)
{
	for (;;) {
		if (!raw_line(r, r->last, sizeof(r->last))) {
			r->last[0] = '\0';
			return 0;
		}
		if (strlen(r->last) < 4 || r->last[3] != '-')
			return atoi(r->last);
	}
}

/* Send s and return the code of the reply. */
static int
raw_cmd(struct raw *r, const char *s)
{
	raw_send(r, s);
	return raw_reply(r);
}

static bool
has(const struct raw *r, const char *needle)
{
	return strstr(r->last, needle) != NULL;
}

/* Greeting and EHLO (or LHLO). */
static bool
raw_hello(struct raw *r, int port, const char *verb)
{
	char cmd[64];

	if (!raw_open(r, port) || raw_reply(r) != 220)
		return false;
	snprintf(cmd, sizeof(cmd), "%s client.example\r\n", verb);
	return raw_cmd(r, cmd) == 250;
}

/* ---- tests
 * -------------------------------------------------------------------- */

static const char msg[] = "From: ehr@direct-a.example\r\n"
			  "To: doc@direct-b.example\r\n"
			  "Subject: test\r\n"
			  "\r\n"
			  ".leading dot\r\n"
			  "..two dots\r\n"
			  "last line\r\n";

static int
msg_fd(void)
{
	return gw_test_file_fd(msg, sizeof(msg) - 1);
}

static struct gw_smtp_opts
cli_opts(int port)
{
	static char ca[600];
	struct gw_smtp_opts o = {
	    .host = "127.0.0.1",
	    .port = port,
	    .helo = "mx.direct-a.example",
	    .tls = GW_SMTP_TLS_VERIFY,
	    .ca_file = ca,
	    .timeout_ms = 10000,
	};

	snprintf(ca, sizeof(ca), "%s/ca.pem", pki());
	return o;
}

GW_TEST(smtpsrv_starttls_pipelined_delivery)
{
	struct gw_smtpsrv_opts o = {.require_tls = true};
	struct gw_smtp_rcpt r[2] = {{.address = "doc@direct-b.example"},
				    {.address = "nurse@direct-b.example"}};
	struct gw_smtp_session ss = {0};
	struct gw_smtp_opts co;
	struct gw_err e;
	struct fx f;
	int fd = msg_fd();

	REQUIRE(pki()[0] != '\0' && fd >= 0);
	REQUIRE(fx_start(&f, &o, true));
	co = cli_opts(f.port);
	CHECK_INT(gw_smtp_send(&co, "ehr@direct-a.example", r, 2, fd,
			       sizeof(msg) - 1, &ss, &e),
		  0);
	CHECK_INT(r[0].code, 250);
	CHECK_INT(r[1].code, 250);
	CHECK_STR(r[0].status, "2.0.0");
	CHECK(ss.tls && ss.pipelining && ss.size_offered);
	CHECK_INT(ss.size_max, 40 * 1024 * 1024);
	CHECK_INT(calls(), 1);
	/* At callback time the file was finished, durable and complete. */
	CHECK(rec.finished);
	CHECK(rec.tls);
	REQUIRE(rec.content != NULL);
	CHECK_INT(rec.clen, sizeof(msg) - 1);
	CHECK_INT(rec.size, sizeof(msg) - 1);
	CHECK(memcmp(rec.content, msg, sizeof(msg) - 1) == 0);
	CHECK_STR(rec.from, "ehr@direct-a.example");
	CHECK_INT(rec.nrcpt, 2);
	CHECK_STR(rec.rcpt[1], "nurse@direct-b.example");
	fx_stop(&f);
	close(fd);
}

GW_TEST(smtpsrv_unknown_rcpt_550_other_accepted)
{
	struct gw_smtpsrv_opts o = {.require_tls = true};
	struct gw_smtp_rcpt r[2] = {{.address = "gone@direct-b.example"},
				    {.address = "doc@direct-b.example"}};
	struct gw_smtp_opts co;
	struct gw_err e;
	struct fx f;
	int fd = msg_fd();

	REQUIRE(fd >= 0);
	REQUIRE(fx_start(&f, &o, true));
	co = cli_opts(f.port);
	CHECK_INT(gw_smtp_send(&co, "ehr@direct-a.example", r, 2, fd,
			       sizeof(msg) - 1, NULL, &e),
		  0);
	CHECK_INT(r[0].code, 550);
	CHECK_STR(r[0].status, "5.1.1");
	CHECK(strstr(r[0].text, "deactivated") != NULL);
	CHECK_INT(r[1].code, 250);
	CHECK_INT(calls(), 1);
	CHECK_INT(rec.nrcpt, 1);
	CHECK_STR(rec.rcpt[0], "doc@direct-b.example");
	fx_stop(&f);
	close(fd);
}

GW_TEST(smtpsrv_open_relay_refused)
{
	struct gw_smtpsrv_opts o = {0};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<spam@evil.example>\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<victim@gmail.example>\r\n"), 554);
	CHECK(has(&r, "5.7.1"));
	CHECK_INT(raw_cmd(&r, "RCPT TO:<doc@direct-b.example@gmail.example>"
			      "\r\n"),
		  501);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<@direct-b.example:victim@gmail."
			      "example>\r\n"),
		  554);
	CHECK_INT(raw_cmd(&r, "DATA\r\n"), 554);
	CHECK(has(&r, "5.5.1"));
	CHECK_INT(raw_cmd(&r, "QUIT\r\n"), 221);
	raw_close(&r);
	CHECK_INT(calls(), 0);
	fx_stop(&f);
}

GW_TEST(smtpsrv_require_tls_530)
{
	struct gw_smtpsrv_opts o = {.require_tls = true};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, true));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example>\r\n"), 530);
	CHECK(has(&r, "5.7.0"));
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_starttls_pipelining_refused)
{
	struct gw_smtpsrv_opts o = {.require_tls = true};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, true));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	raw_send(&r, "STARTTLS\r\nMAIL FROM:<ehr@direct-a.example>\r\n");
	CHECK_INT(raw_reply(&r), 554);
	CHECK(has(&r, "5.5.0"));
	CHECK_INT(raw_reply(&r), 0); /* closed */
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_size_limits)
{
	struct gw_smtpsrv_opts o = {.max_message_size = 1000};
	struct raw r;
	struct fx f;
	char *big = malloc(4000);

	REQUIRE(big != NULL);
	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	CHECK(has(&r, "ENHANCEDSTATUSCODES"));
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example> SIZE=5000"
			      "\r\n"),
		  552);
	CHECK(has(&r, "5.3.4"));
	/* Lying in SIZE=: refused after the data, which is consumed. */
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example> SIZE=10 "
			      "BODY=8BITMIME\r\n"),
		  250);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<doc@direct-b.example>\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "DATA\r\n"), 354);
	memset(big, 'a', 3000);
	for (int i = 70; i < 3000; i += 72) {
		big[i] = '\r';
		big[i + 1] = '\n';
	}
	memcpy(big + 3000, "\r\n.\r\n", 6);
	CHECK_INT(raw_cmd(&r, big), 552);
	CHECK(has(&r, "5.3.4"));
	CHECK_INT(raw_cmd(&r, "NOOP\r\n"), 250); /* still in step */
	raw_close(&r);
	CHECK_INT(calls(), 0);
	free(big);
	fx_stop(&f);
}

/* A transaction up to 354 on a fresh plain connection. */
static bool
to_data(struct raw *r, int port)
{
	return raw_hello(r, port, "EHLO") &&
	       raw_cmd(r, "MAIL FROM:<ehr@direct-a.example>\r\n") == 250 &&
	       raw_cmd(r, "RCPT TO:<doc@direct-b.example>\r\n") == 250 &&
	       raw_cmd(r, "DATA\r\n") == 354;
}

GW_TEST(smtpsrv_bare_lf_in_data_refused)
{
	struct gw_smtpsrv_opts o = {0};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(to_data(&r, f.port));
	CHECK_INT(raw_cmd(&r, "Subject: x\r\n\r\nline\nmore\r\n.\r\n"), 550);
	CHECK(has(&r, "5.5.2"));
	CHECK_INT(raw_reply(&r), 0); /* closed */
	raw_close(&r);
	/* A bare CR is refused too. */
	REQUIRE(to_data(&r, f.port));
	CHECK_INT(raw_cmd(&r, "Subject: x\r\n\r\nline\rmore\r\n.\r\n"), 550);
	raw_close(&r);
	CHECK_INT(calls(), 0);
	fx_stop(&f);
}

GW_TEST(smtpsrv_smuggling_refused)
{
	static const char *const tails[] = {
	    "body\r\n.\n", /* <CR><LF>.<LF> */
	    "body\n.\r\n", /* <LF>.<CR><LF> */
	    "body\r\n.\r", /* <CR><LF>.<CR> */
	    "body\n.\n",   /* <LF>.<LF> */
	};
	struct gw_smtpsrv_opts o = {0};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char buf[512];

		REQUIRE(to_data(&r, f.port));
		snprintf(buf, sizeof(buf),
			 "Subject: real\r\n\r\n%s"
			 "MAIL FROM:<evil@direct-a.example>\r\n"
			 "RCPT TO:<nurse@direct-b.example>\r\n"
			 "DATA\r\n"
			 "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n",
			 tails[i]);
		CHECK_INT(raw_cmd(&r, buf), 550);
		CHECK_INT(raw_reply(&r), 0); /* nothing else, closed */
		raw_close(&r);
	}
	CHECK_INT(calls(), 0);
	fx_stop(&f);
}

GW_TEST(smtpsrv_dot_stuffing_undone)
{
	struct gw_smtpsrv_opts o = {0};
	static const char wire[] = "Subject: x\r\n\r\n..a\r\n...\r\n.b\r\n"
				   "\r\n.\r\n";
	static const char want[] = "Subject: x\r\n\r\n.a\r\n..\r\nb\r\n\r\n";
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(to_data(&r, f.port));
	CHECK_INT(raw_cmd(&r, wire), 250);
	raw_close(&r);
	CHECK_INT(calls(), 1);
	REQUIRE(rec.content != NULL);
	CHECK_INT(rec.clen, sizeof(want) - 1);
	CHECK(memcmp(rec.content, want, sizeof(want) - 1) == 0);
	CHECK(!rec.tls);
	fx_stop(&f);
}

GW_TEST(smtpsrv_lines_and_commands)
{
	struct gw_smtpsrv_opts o = {0};
	char long_cmd[1300];
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_open(&r, f.port));
	CHECK_INT(raw_reply(&r), 220);
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example>\r\n"), 503);
	CHECK_INT(raw_cmd(&r, "EHLO client.example\r\n"), 250);
	CHECK(!has(&r, "STARTTLS")); /* no certificate, not offered */
	snprintf(long_cmd, sizeof(long_cmd), "NOOP %01200d\r\n", 0);
	CHECK_INT(raw_cmd(&r, long_cmd), 500);
	CHECK(has(&r, "5.5.2"));
	CHECK_INT(raw_cmd(&r, "NOOP\n"), 500); /* bare LF */
	CHECK_INT(raw_cmd(&r, "NOOP\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "VRFY doc@direct-b.example\r\n"), 502);
	CHECK_INT(raw_cmd(&r, "EXPN staff\r\n"), 502);
	CHECK_INT(raw_cmd(&r, "HELP\r\n"), 214);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<doc@direct-b.example>\r\n"), 503);
	CHECK_INT(raw_cmd(&r, "MAIL FROM:ehr@direct-a.example\r\n"), 501);
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example> SMTPUTF8\r\n"),
		  555);
	CHECK(has(&r, "5.5.4"));
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<>\r\n"), 250); /* null sender */
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<a@direct-a.example>\r\n"), 503);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<doc@direct-b.example> NOTIFY=NEVER"
			      "\r\n"),
		  555);
	CHECK_INT(raw_cmd(&r, "RSET\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "BDAT 10 LAST\r\n"), 500);
	CHECK_INT(raw_cmd(&r, "QUIT\r\n"), 221);
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_too_many_recipients)
{
	struct gw_smtpsrv_opts o = {.max_recipients = 3};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example>\r\n"), 250);
	/* Pipelined: all four RCPTs in one write. */
	raw_send(&r, "RCPT TO:<r1@direct-b.example>\r\n"
		     "RCPT TO:<r2@direct-b.example>\r\n"
		     "RCPT TO:<r3@direct-b.example>\r\n"
		     "RCPT TO:<r4@direct-b.example>\r\n");
	CHECK_INT(raw_reply(&r), 250);
	CHECK_INT(raw_reply(&r), 250);
	CHECK_INT(raw_reply(&r), 250);
	CHECK_INT(raw_reply(&r), 452);
	CHECK(has(&r, "4.5.3"));
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_timeout_421)
{
	struct gw_smtpsrv_opts o = {.command_timeout_ms = 300};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_open(&r, f.port));
	CHECK_INT(raw_reply(&r), 220);
	CHECK_INT(raw_reply(&r), 421); /* we said nothing */
	CHECK(has(&r, "4.4.2"));
	CHECK_INT(raw_reply(&r), 0);
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_stop_421)
{
	struct gw_smtpsrv_opts o = {0};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_hello(&r, f.port, "EHLO"));
	gw_smtpsrv_stop(f.srv);
	CHECK_INT(raw_reply(&r), 421);
	CHECK(has(&r, "4.3.2"));
	pthread_join(f.th, NULL); /* run() returns once sessions ended */
	f.running = false;
	raw_close(&r);
	fx_stop(&f);
}

GW_TEST(smtpsrv_lmtp_reply_per_recipient)
{
	struct gw_smtpsrv_opts o = {.lmtp = true};
	struct raw r;
	struct fx f;

	REQUIRE(fx_start(&f, &o, false));
	REQUIRE(raw_open(&r, f.port));
	CHECK_INT(raw_reply(&r), 220);
	CHECK(has(&r, "LMTP"));
	CHECK_INT(raw_cmd(&r, "EHLO client.example\r\n"), 500);
	CHECK_INT(raw_cmd(&r, "LHLO client.example\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "MAIL FROM:<ehr@direct-a.example>\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<doc@direct-b.example>\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<gone@direct-b.example>\r\n"), 550);
	CHECK_INT(raw_cmd(&r, "RCPT TO:<nurse@direct-b.example>\r\n"), 250);
	CHECK_INT(raw_cmd(&r, "DATA\r\n"), 354);
	CHECK_INT(raw_cmd(&r, "Subject: x\r\n\r\nhello\r\n.\r\n"), 250);
	CHECK(has(&r, "<doc@direct-b.example>"));
	CHECK_INT(raw_reply(&r), 450);
	CHECK(has(&r, "4.2.2 <nurse@direct-b.example> mailbox full"));
	CHECK_INT(raw_cmd(&r, "QUIT\r\n"), 221);
	raw_close(&r);
	CHECK_INT(calls(), 1);
	CHECK_INT(rec.nrcpt, 2);
	fx_stop(&f);
}

GW_TEST(smtpsrv_data_line_and_header_limits)
{
	struct gw_smtpsrv_opts o = {.max_header_size = 2048};
	char *buf = malloc(8192);
	struct raw r;
	struct fx f;

	REQUIRE(buf != NULL);
	REQUIRE(fx_start(&f, &o, false));
	/* A message line of 1001 bytes with its CRLF. */
	REQUIRE(to_data(&r, f.port));
	memcpy(buf, "Subject: x\r\n\r\n", 14);
	memset(buf + 14, 'b', 999);
	memcpy(buf + 14 + 999, "\r\n.\r\n", 6);
	CHECK_INT(raw_cmd(&r, buf), 550);
	CHECK(has(&r, "5.6.0"));
	CHECK_INT(raw_cmd(&r, "NOOP\r\n"), 250);
	raw_close(&r);
	/* 998 bytes and CRLF is the most a line may have. */
	REQUIRE(to_data(&r, f.port));
	buf[14 + 998] = '\r';
	buf[14 + 999] = '\n';
	memcpy(buf + 14 + 1000, ".\r\n", 4);
	CHECK_INT(raw_cmd(&r, buf), 250);
	raw_close(&r);
	CHECK_INT(calls(), 1);
	/* A header block over max_header_size. */
	REQUIRE(to_data(&r, f.port));
	buf[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(buf, "X-Filler: 0123456789012345678901234567890123456789"
			    "\r\n");
	strcat(buf, "\r\nbody\r\n.\r\n");
	CHECK_INT(raw_cmd(&r, buf), 552);
	CHECK(has(&r, "header"));
	raw_close(&r);
	CHECK_INT(calls(), 1);
	free(buf);
	fx_stop(&f);
}

/*
 * Issue 4 item 7: a real Postfix (scripts/postfix-test.sh, loopback) as
 * the front MTA of direct-b.example relays to the SMTP listener, which
 * takes the message over STARTTLS (Postfix's opportunistic TLS) and hands
 * it on durably.
 */
GW_TEST(smtpsrv_behind_postfix_front_mta)
{
	struct gw_smtpsrv_opts o = {.require_tls = true};
	struct gw_smtp_rcpt r[1] = {{.address = "doc@direct-b.example"}};
	char base[500], pf[600], relay[64];
	struct gw_smtp_opts co;
	struct gw_err e;
	struct fx f;
	int port = gw_free_port(), fd = msg_fd();
	char *slash;

	REQUIRE(port > 0 && fd >= 0);
	REQUIRE(fx_start(&f, &o, true));
	/* Postfix drops to its own user: it must reach its directories. */
	snprintf(base, sizeof(base), "%s", gw_test_tmpdir());
	snprintf(pf, sizeof(pf), "%s/postfix", base);
	while ((slash = strrchr(base, '/')) != NULL && slash != base) {
		chmod(base, 0711);
		*slash = '\0';
	}
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", f.port);
	REQUIRE(gw_postfix_start(pf, port, pki(), relay) == 0);
	co = cli_opts(port);
	co.tls = GW_SMTP_TLS_OPPORTUNISTIC;
	CHECK_INT(gw_smtp_send(&co, "ehr@direct-a.example", r, 1, fd,
			       sizeof(msg) - 1, NULL, &e),
		  0);
	CHECK_INT(r[0].code, 250); /* Postfix queued it */
	for (int i = 0; i < 300 && calls() < 1; i++)
		usleep(50000);
	CHECK_INT(calls(), 1);
	pthread_mutex_lock(&rec.mu);
	CHECK(rec.tls); /* the relay hop used STARTTLS */
	CHECK_STR(rec.from, "ehr@direct-a.example");
	CHECK(rec.nrcpt == 1 &&
	      strcmp(rec.rcpt[0], "doc@direct-b.example") == 0);
	/* Postfix's trace header, then our message, dots intact. */
	CHECK(rec.content != NULL &&
	      strncmp(rec.content, "Received: ", 10) == 0);
	CHECK(rec.content != NULL &&
	      strstr(rec.content, "\r\n.leading dot\r\n..two dots\r\n") !=
		  NULL);
	pthread_mutex_unlock(&rec.mu);
	gw_postfix_stop(pf);
	close(fd);
	fx_stop(&f);
}
