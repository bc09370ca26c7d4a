/*
 * Integration: the SMTP client against a scriptable server on loopback
 * (tests/support/smtpsink.c): STARTTLS with and without verification,
 * PIPELINING, SIZE, per-recipient 2xx/4xx/5xx, whole-stage failures,
 * relay down, dot-stuffing and line ends of the streamed message.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "smtpcli.h"
#include "smtpsink.h"

static const char *
pki(void)
{
	return gw_test_pki("mkpki.sh");
}

/* A message with a leading-dot line and a bare LF line end. */
static const char msg[] = "From: a@x.example\r\n"
			  "To: b@y.example\r\n"
			  "\r\n"
			  ".hidden line\r\n"
			  "bare lf\n"
			  "last";
static const char msg_sent[] = "From: a@x.example\r\n"
			       "To: b@y.example\r\n"
			       "\r\n"
			       ".hidden line\r\n"
			       "bare lf\r\n"
			       "last\r\n";

static int
msg_fd(void)
{
	return gw_test_file_fd(msg, sizeof(msg) - 1);
}

static struct gw_sink_script
ok_script(void)
{
	struct gw_sink_script sc = {
	    .greet = 220,
	    .pipelining = true,
	    .size_max = 10485760,
	    .mail = 250,
	    .data = 354,
	    .dot = 250,
	};
	return sc;
}

static struct gw_sink *
sink(const struct gw_sink_script *sc, size_t n)
{
	char cert[600], key[600];

	snprintf(cert, sizeof(cert), "%s/server.crt", pki());
	snprintf(key, sizeof(key), "%s/server.key", pki());
	return gw_sink_start(sc, n, cert, key);
}

static struct gw_smtp_opts
opts(const struct gw_sink *s, enum gw_smtp_tls tls)
{
	static char ca[600];
	struct gw_smtp_opts o = {
	    .host = "127.0.0.1",
	    .port = gw_sink_port(s),
	    .helo = "dxgw.test",
	    .tls = tls,
	    .ca_file = ca,
	    .timeout_ms = 5000,
	};

	snprintf(ca, sizeof(ca), "%s/ca.pem", pki());
	return o;
}

GW_TEST(smtpcli_starttls_verified_pipelined)
{
	struct gw_sink_script sc = ok_script();
	struct gw_smtp_rcpt r[2] = {{.address = "doc@direct-b.example"},
				    {.address = "nurse@direct-b.example"}};
	struct gw_smtp_session ss = {0};
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd();

	REQUIRE(pki()[0] != '\0' && fd >= 0);
	sc.starttls = true;
	REQUIRE((s = sink(&sc, 1)) != NULL);
	o = opts(s, GW_SMTP_TLS_VERIFY);
	CHECK_INT(gw_smtp_send(&o, "ehr@direct-a.example", r, 2, fd,
			       sizeof(msg) - 1, &ss, &e),
		  0);
	CHECK_INT(r[0].code, 250);
	CHECK_INT(r[1].code, 250);
	CHECK_STR(r[0].status, "2.0.0");
	CHECK(ss.tls && ss.pipelining && ss.size_offered);
	CHECK_INT(ss.size_max, 10485760);
	gw_sink_stop(s); /* joins: the record is complete */
	s = NULL;
	(void)s;
	close(fd);
}

GW_TEST(smtpcli_records_on_server)
{
	struct gw_sink_script sc = ok_script();
	struct gw_smtp_rcpt r[2] = {{.address = "doc@direct-b.example"},
				    {.address = "nurse@direct-b.example"}};
	const struct gw_sink_conn *c;
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd();

	REQUIRE(fd >= 0);
	sc.starttls = true;
	REQUIRE((s = sink(&sc, 1)) != NULL);
	o = opts(s, GW_SMTP_TLS_VERIFY);
	REQUIRE(gw_smtp_send(&o, "ehr@direct-a.example", r, 2, fd,
			     sizeof(msg) - 1, NULL, &e) == 0);
	for (int i = 0; i < 50 && gw_sink_count(s) < 1; i++)
		usleep(20000);
	REQUIRE((c = gw_sink_conn(s, 0)) != NULL);
	CHECK(c->tls);
	CHECK_INT(c->ehlo, 2); /* again after STARTTLS (RFC 3207 4.2) */
	CHECK(c->pipelined);
	CHECK(strncmp(c->mail_from, "<ehr@direct-a.example> SIZE=", 28) == 0);
	CHECK_INT(c->nrcpt, 2);
	CHECK_STR(c->rcpts[1], "<nurse@direct-b.example>");
	REQUIRE(c->data != NULL);
	CHECK_INT(c->data_len, sizeof(msg_sent) - 1);
	CHECK(c->data_len == sizeof(msg_sent) - 1 &&
	      memcmp(c->data, msg_sent, c->data_len) == 0);
	gw_sink_stop(s);
	close(fd);
}

GW_TEST(smtpcli_per_recipient_results)
{
	struct gw_sink_script sc = ok_script();
	struct gw_smtp_rcpt r[3] = {{.address = "gone@direct-b.example"},
				    {.address = "busy@direct-b.example"},
				    {.address = "doc@direct-b.example"}};
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd();

	REQUIRE(fd >= 0);
	sc.pipelining = false; /* the one-command-at-a-time path */
	sc.reject = "gone";
	sc.defer = "busy";
	REQUIRE((s = sink(&sc, 1)) != NULL);
	o = opts(s, GW_SMTP_TLS_NONE);
	CHECK_INT(gw_smtp_send(&o, "ehr@direct-a.example", r, 3, fd,
			       sizeof(msg) - 1, NULL, &e),
		  0);
	CHECK_INT(r[0].code, 550);
	CHECK_STR(r[0].status, "5.1.1");
	CHECK_STR(r[0].text, "no such user");
	CHECK_INT(r[1].code, 451);
	CHECK_INT(r[2].code, 250);
	gw_sink_stop(s);
	close(fd);
}

GW_TEST(smtpcli_whole_stage_failures)
{
	struct gw_sink_script g421 = ok_script(), mail5 = ok_script(),
			      dot554 = ok_script(), dot451 = ok_script();
	struct gw_smtp_rcpt r[2] = {{.address = "doc@direct-b.example"},
				    {.address = "nurse@direct-b.example"}};
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd();

	REQUIRE(fd >= 0);
	g421.greet = 421;
	mail5.mail = 553;
	dot554.dot = 554;
	dot451.dot = 451;
	{
		struct gw_sink_script all[4] = {g421, mail5, dot554, dot451};

		REQUIRE((s = sink(all, 4)) != NULL);
	}
	o = opts(s, GW_SMTP_TLS_OPPORTUNISTIC);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 2, fd, 10, NULL, &e), 0);
	CHECK(r[0].code == 421 && r[1].code == 421);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 2, fd, 10, NULL, &e), 0);
	CHECK(r[0].code == 553 && r[1].code == 553);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 2, fd, 10, NULL, &e), 0);
	CHECK(r[0].code == 554 && r[1].code == 554);
	CHECK_STR(r[1].status, "5.0.0");
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 2, fd, 10, NULL, &e), 0);
	CHECK(r[0].code == 451 && r[1].code == 451);
	gw_sink_stop(s);
	close(fd);
}

GW_TEST(smtpcli_tls_policy)
{
	struct gw_sink_script plain = ok_script(), tls = ok_script();
	struct gw_smtp_rcpt r[1] = {{.address = "doc@direct-b.example"}};
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd();

	REQUIRE(fd >= 0);
	tls.starttls = true;
	{
		struct gw_sink_script all[4] = {plain, plain, tls, tls};

		REQUIRE((s = sink(all, 4)) != NULL);
	}
	/* Required but not offered: no answer to act on, retry later. */
	o = opts(s, GW_SMTP_TLS_ENCRYPT);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 10, NULL, &e),
		  GW_EUNAVAIL);
	CHECK(strstr(e.msg, "does not offer STARTTLS") != NULL);
	CHECK_INT(r[0].code, 0);
	/* Opportunistic goes on in the clear. */
	o = opts(s, GW_SMTP_TLS_OPPORTUNISTIC);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 10, NULL, &e), 0);
	CHECK_INT(r[0].code, 250);
	/* Offered, but the certificate does not name who we wanted. */
	o = opts(s, GW_SMTP_TLS_VERIFY);
	o.tls_name = "mx.direct-b.example";
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 10, NULL, &e),
		  GW_ETRUST);
	CHECK(strstr(e.msg, "not accepted") != NULL);
	/* Encrypt-only accepts the same server. */
	o = opts(s, GW_SMTP_TLS_ENCRYPT);
	o.tls_name = "mx.direct-b.example";
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 10, NULL, &e), 0);
	CHECK_INT(r[0].code, 250);
	gw_sink_stop(s);
	close(fd);
}

GW_TEST(smtpcli_size_and_bad_input_and_relay_down)
{
	struct gw_sink_script small = ok_script();
	struct gw_smtp_rcpt r[1] = {{.address = "doc@direct-b.example"}};
	struct gw_smtp_rcpt bad[1] = {{.address = "x@y\r\nRCPT TO:<z@w>"}};
	const struct gw_sink_conn *c;
	struct gw_sink *s;
	struct gw_smtp_opts o;
	struct gw_err e;
	int fd = msg_fd(), port;

	REQUIRE(fd >= 0);
	small.size_max = 100;
	REQUIRE((s = sink(&small, 1)) != NULL);
	o = opts(s, GW_SMTP_TLS_NONE);
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 101, NULL, &e), 0);
	CHECK_INT(r[0].code, 552);
	CHECK_STR(r[0].status, "5.3.4");
	for (int i = 0; i < 50 && gw_sink_count(s) < 1; i++)
		usleep(20000);
	REQUIRE((c = gw_sink_conn(s, 0)) != NULL);
	CHECK_STR(c->mail_from, ""); /* refused before MAIL */
	CHECK_INT(gw_smtp_send(&o, "e@a.example", bad, 1, fd, 10, NULL, &e),
		  GW_EPARSE);
	port = gw_sink_port(s);
	gw_sink_stop(s);
	/* Nobody listens there any more. */
	o.port = port;
	CHECK_INT(gw_smtp_send(&o, "e@a.example", r, 1, fd, 10, NULL, &e),
		  GW_EUNAVAIL);
	CHECK_INT(r[0].code, 0);
	close(fd);
}
