/*
 * Integration: hostile and malformed requests against the real daemon.
 * Each gets a clear answer in the protocol's terms (SOAP fault, HTTP
 * 4xx) and the daemon keeps serving; each configured limit is tested at
 * the limit and one step past it.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "xdrtest.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

/* A valid ETT full-metadata request, with an optional header inserted. */
static char *
valid_env(const struct gw_daemon *d, const char *extra_header)
{
	char *env = xt_ett("Xdr_full_metadata.xml", d->url, NULL);
	char *out;
	char *rep;
	size_t n;

	if (env == NULL || extra_header == NULL)
		return env;
	n = strlen(extra_header) + 64;
	rep = malloc(n);
	snprintf(rep, n, "%s</soapenv:Header>", extra_header);
	out = gw_str_replace(env, "</soapenv:Header>", rep);
	free(rep);
	free(env);
	return out;
}

/* A valid request must still succeed: the daemon survived. */
static void
still_serving(const struct gw_daemon *d)
{
	struct gw_http_resp r;
	char *env = valid_env(d, NULL);

	CHECK(gw_daemon_alive(d));
	REQUIRE(env != NULL);
	REQUIRE(xt_post(d, env, NULL, 0, &r));
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	free(env);
}

static void
expect_fault(const struct gw_daemon *d, const char *env, const char *what)
{
	struct gw_http_resp r;

	REQUIRE(xt_post(d, env, NULL, 0, &r));
	CHECK(r.status == 400 || r.status == 500);
	CHECK(gw_str_has(r.body, "Fault"));
	if (!gw_str_has(r.body, what)) {
		printf("    expected '%s' in: HTTP %d %.1500s\n", what,
		       r.status, r.body);
		gw_test_fail(__FILE__, __LINE__, what);
	}
	gw_http_resp_dispose(&r);
}

GW_TEST(hostile_dtd_billion_laughs_and_xxe)
{
	static const char laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol2 "
	    "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol3 "
	    "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 "
	    "\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    "]>\n";
	static const char xxe[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE x [ <!ENTITY e SYSTEM "
	    "\"file:///etc/passwd\"> ]>\n";
	struct gw_daemon d;
	char *env, *bad;
	size_t n;

	REQUIRE(gw_daemon_start(&d, NULL));
	env = valid_env(&d, NULL);
	REQUIRE(env != NULL);
	n = strlen(env) + sizeof(laughs) + 64;
	bad = malloc(n);
	snprintf(bad, n, "%s%s", laughs, env);
	{
		char *t = gw_str_replace(bad, "<rim:Value>en-us</rim:Value>",
					 "<rim:Value>&lol4;</rim:Value>");

		expect_fault(&d, t, "DTD");
		free(t);
	}
	free(bad);
	n = strlen(env) + sizeof(xxe) + 64;
	bad = malloc(n);
	snprintf(bad, n, "%s%s", xxe, env);
	{
		struct gw_http_resp r;
		char *t = gw_str_replace(bad, "<rim:Value>en-us</rim:Value>",
					 "<rim:Value>&e;</rim:Value>");

		REQUIRE(xt_post(&d, t, NULL, 0, &r));
		CHECK(gw_str_has(r.body, "DTD"));
		CHECK(!gw_str_has(r.body, "root:"));
		gw_http_resp_dispose(&r);
		free(t);
	}
	free(bad);
	free(env);
	CHECK_INT(xt_count_submissions(&d), 0);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(hostile_soap_addressing_faults)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char *env, *t;

	REQUIRE(gw_daemon_start(&d, NULL));
	env = valid_env(&d, NULL);
	REQUIRE(env != NULL);
	/* wrong wsa:Action */
	t = gw_str_replace(
	    env,
	    ">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</wsa:Action>",
	    ">urn:ihe:iti:2007:RegistryStoredQuery</wsa:Action>");
	expect_fault(&d, t, "ActionNotSupported");
	free(t);
	/* wsa:Action missing */
	{
		char *nomu =
		    gw_str_replace(env, "soapenv:mustUnderstand=\"true\"", "");

		t = gw_str_replace(nomu, "wsa:Action", "wsa:NoAction");
		expect_fault(&d, t, "MessageAddressingHeaderRequired");
		free(t);
		/* wsa:MessageID missing */
		t = gw_str_replace(nomu, "wsa:MessageID", "wsa:NoMessageID");
		expect_fault(&d, t, "MessageAddressingHeaderRequired");
		free(t);
		free(nomu);
	}
	/* ReplyTo elsewhere: refused, and nothing connects there */
	{
		int ls = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		socklen_t sl = sizeof(sa);
		struct pollfd p;
		char hdr[512];

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		REQUIRE(bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		REQUIRE(listen(ls, 4) == 0);
		getsockname(ls, (struct sockaddr *)&sa, &sl);
		snprintf(hdr, sizeof(hdr),
			 "<wsa:ReplyTo xmlns:wsa=\"http://www.w3.org/2005/08/"
			 "addressing\"><wsa:Address>http://127.0.0.1:%d/steal"
			 "</wsa:Address></wsa:ReplyTo>",
			 ntohs(sa.sin_port));
		t = valid_env(&d, hdr);
		expect_fault(&d, t, "OnlyAnonymousAddressSupported");
		free(t);
		p.fd = ls;
		p.events = POLLIN;
		CHECK_INT(poll(&p, 1, 500), 0);
		close(ls);
	}
	/* SOAP 1.1 envelope */
	t = gw_str_replace(env, "http://www.w3.org/2003/05/soap-envelope",
			   "http://schemas.xmlsoap.org/soap/envelope/");
	expect_fault(&d, t, "VersionMismatch");
	free(t);
	/* plain SOAP without MTOM packaging */
	REQUIRE(gw_http_post(
	    d.port,
	    "application/soap+xml; charset=utf-8; "
	    "action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"",
	    env, strlen(env), &r));
	CHECK(r.status == 400 || r.status == 500);
	CHECK(gw_str_has(r.body, "MTOM"));
	gw_http_resp_dispose(&r);
	/* an unknown mustUnderstand header */
	t = valid_env(&d, "<x:Secret xmlns:x=\"urn:x\" "
			  "soapenv:mustUnderstand=\"true\">1</x:Secret>");
	expect_fault(&d, t, "MustUnderstand");
	free(t);
	free(env);
	/*
	 * NIST message-validator envelopes: Header after Body, and an empty
	 * Body. Both are malformed envelopes: a fault.
	 */
	for (int i = 0; i < 2; i++) {
		static const char *const names[] = {"soap-pnr-soap-order.xml",
						    "empty-soap-wrapper.xml"};
		char rel[256];
		char *s;

		snprintf(rel, sizeof(rel),
			 "xdr/nist-toolkit/messagevalidator-testdata/%s",
			 names[i]);
		s = xt_corpus(rel, NULL);
		REQUIRE(s != NULL);
		expect_fault(&d, s, "Fault");
		free(s);
	}
	CHECK_INT(xt_count_submissions(&d), 0);
	/* our faults are audited: wrong/missing Action, MessageID, ReplyTo,
	 * no MTOM (the others are refused by gSOAP before us) */
	CHECK(xt_audit_rows(&d) >= 5);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(hostile_mtom_parts)
{
	struct gw_daemon d;
	struct gw_mtom_part parts[2];
	size_t doclen = 0;
	char *doc = xt_corpus(CCD, &doclen);
	char *env;
	struct gw_http_resp r;

	REQUIRE(doc != NULL);
	REQUIRE(gw_daemon_start(&d, NULL));
	env = xt_ett("negative_missing_metadata_elements1.xml", d.url, NULL);
	REQUIRE(env != NULL);
	/* xop:Include naming no part */
	parts[0].cid = "someone-else@x";
	parts[0].type = "text/xml";
	parts[0].data = doc;
	parts[0].len = doclen;
	REQUIRE(xt_post(&d, env, parts, 1, &r));
	CHECK(gw_str_has(r.body, "names no MIME part"));
	gw_http_resp_dispose(&r);
	free(env);
	/* A part nobody references */
	env = valid_env(&d, NULL);
	parts[0].cid = "stray@x";
	REQUIRE(xt_post(&d, env, parts, 1, &r));
	CHECK(r.status == 400 || r.status == 500);
	CHECK(gw_str_has(r.body, "not referenced"));
	gw_http_resp_dispose(&r);
	/* Compressed upload */
	{
		char ct[512];
		size_t len;
		char *body = gw_mtom_build(env, NULL, 0, ct, sizeof(ct), &len);
		char *req = malloc(len + 1024);
		int hl = snprintf(
		    req, 1024,
		    "POST /xdr HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
		    "Content-Encoding: gzip\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n",
		    ct, len);

		memcpy(req + hl, body, len);
		REQUIRE(gw_http_raw(d.port, req, (size_t)hl + len, &r));
		CHECK_INT(r.status, 415);
		gw_http_resp_dispose(&r);
		free(req);
		free(body);
	}
	/* Garbage, then a valid request served by the same pool */
	{
		static const char junk[] = "POST /xdr HTTP/1.1\r\nHost: x\r\n"
					   "Content-Type: multipart/related; "
					   "boundary=zz\r\nContent-Length: 5000"
					   "\r\n\r\n--zz\r\n\x01\x02garbage";

		for (int i = 0; i < 10; i++) {
			REQUIRE(gw_http_raw_eof(d.port, junk, sizeof(junk) - 1,
						&r));
			CHECK(r.status != 200);
			gw_http_resp_dispose(&r);
		}
	}
	free(env);
	free(doc);
	CHECK_INT(xt_count_submissions(&d), 0);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* Nested unknown header of the given total element depth. */
static char *
deep_header(int depth)
{
	/* Envelope and Header are levels 1 and 2. */
	int n = depth - 2;
	char *s = malloc((size_t)n * 40 + 64);
	size_t k = 0;

	k += (size_t)sprintf(s + k, "<x:a xmlns:x=\"urn:x\">");
	for (int i = 1; i < n; i++)
		k += (size_t)sprintf(s + k, "<x:a>");
	for (int i = 1; i < n; i++)
		k += (size_t)sprintf(s + k, "</x:a>");
	sprintf(s + k, "</x:a>");
	return s;
}

GW_TEST(limit_xml_depth)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char *h, *env;

	REQUIRE(gw_daemon_start(&d, "max_xml_depth = 20"));
	h = deep_header(20);
	env = valid_env(&d, h);
	REQUIRE(xt_post(&d, env, NULL, 0, &r));
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	free(env);
	free(h);
	h = deep_header(21);
	env = valid_env(&d, h);
	REQUIRE(xt_post(&d, env, NULL, 0, &r));
	CHECK(r.status == 400 || r.status == 500);
	CHECK(gw_str_has(r.body, "Fault"));
	gw_http_resp_dispose(&r);
	free(env);
	free(h);
	/* 100 000 levels: refused, daemon fine */
	h = deep_header(100000);
	env = valid_env(&d, h);
	REQUIRE(xt_post(&d, env, NULL, 0, &r));
	CHECK(r.status != 200);
	gw_http_resp_dispose(&r);
	free(env);
	free(h);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* Pad a valid request with a header comment to exactly total bytes. */
static char *
sized_body(const struct gw_daemon *d, size_t total, char *ct, size_t ctlen,
	   size_t *len)
{
	char *env = valid_env(d, "<x:pad xmlns:x=\"urn:x\">PAD</x:pad>");
	char *body = gw_mtom_build(env, NULL, 0, ct, ctlen, len);
	size_t pad;
	char *fill, *out, *b2;

	free(env);
	if (*len + 8 > total) {
		free(body);
		return NULL;
	}
	pad = total - *len + 3; /* replaces the 3 bytes of "PAD" */
	fill = malloc(pad + 1);
	memset(fill, 'p', pad);
	fill[pad] = '\0';
	b2 = gw_str_replace(body, "PAD", fill);
	free(fill);
	free(body);
	*len = strlen(b2);
	out = b2;
	return out;
}

GW_TEST(limit_request_size)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char ct[512];
	size_t len;
	char *b;

	REQUIRE(gw_daemon_start(&d, "max_request_size = 256k"));
	b = sized_body(&d, 262144, ct, sizeof(ct), &len);
	REQUIRE(b != NULL && len == 262144);
	REQUIRE(gw_http_post(d.port, ct, b, len, &r));
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	free(b);
	b = sized_body(&d, 262145, ct, sizeof(ct), &len);
	REQUIRE(b != NULL && len == 262145);
	REQUIRE(gw_http_post(d.port, ct, b, len, &r));
	CHECK_INT(r.status, 413);
	gw_http_resp_dispose(&r);
	free(b);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

static int
post_with_headers(const struct gw_daemon *d, int extra, size_t valsize)
{
	struct gw_http_resp r;
	char ct[512];
	size_t len, hl = 0;
	char *env = valid_env(d, NULL);
	char *body = gw_mtom_build(env, NULL, 0, ct, sizeof(ct), &len);
	char *req = malloc(len + 8192 + (size_t)extra * 40 + valsize);
	int status;

	hl += (size_t)sprintf(
	    req,
	    "POST /xdr HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n",
	    ct, len);
	for (int i = 0; i < extra; i++)
		hl += (size_t)sprintf(req + hl, "X-Extra-%d: %d\r\n", i, i);
	if (valsize > 0) {
		hl += (size_t)sprintf(req + hl, "X-Big: ");
		memset(req + hl, 'b', valsize);
		hl += valsize;
		hl += (size_t)sprintf(req + hl, "\r\n");
	}
	hl += (size_t)sprintf(req + hl, "\r\n");
	memcpy(req + hl, body, len);
	if (!gw_http_raw(d->port, req, hl + len, &r))
		status = -1;
	else
		status = r.status;
	gw_http_resp_dispose(&r);
	free(req);
	free(body);
	free(env);
	return status;
}

GW_TEST(limit_http_headers)
{
	struct gw_daemon d;

	REQUIRE(gw_daemon_start(&d, "max_http_headers = 20\n"
				    "max_http_header_size = 4k"));
	/* Host, Content-Type, Content-Length, Connection + 16 = 20 */
	CHECK_INT(post_with_headers(&d, 16, 0), 200);
	CHECK_INT(post_with_headers(&d, 17, 0), 431);
	/* 4 KiB of header bytes: a 3000-byte value fits, 4200 does not */
	CHECK_INT(post_with_headers(&d, 0, 3000), 200);
	CHECK_INT(post_with_headers(&d, 0, 4200), 431);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(limit_attachments)
{
	struct gw_daemon d;
	char cmd[2048], p[4][300];
	char *out = NULL;
	const char *dir = gw_test_tmpdir();

	REQUIRE(gw_daemon_start(&d, "max_attachments = 2"));
	for (int i = 0; i < 3; i++) {
		FILE *f;

		snprintf(p[i], sizeof(p[i]), "%s/n%d.txt", dir, i);
		f = fopen(p[i], "w");
		fprintf(f, "note %d\n", i);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from a@dxgw.test "
		 "--to b@x.test %s %s",
		 gw_dxgw(), d.url, p[0], p[1]);
	CHECK_INT(gw_run(cmd, &out), 0);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from a@dxgw.test "
		 "--to b@x.test %s %s %s",
		 gw_dxgw(), d.url, p[0], p[1], p[2]);
	CHECK_INT(gw_run(cmd, &out), 3);
	CHECK(gw_str_has(out, "max_attachments"));
	free(out);
	CHECK_INT(xt_count_submissions(&d), 1);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(limit_request_time)
{
	struct gw_daemon d;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct gw_http_resp r;
	char ct[512], head[1024];
	size_t len;
	char *env, *body;
	int fd, hl;
	time_t t0;
	char buf[256];
	ssize_t got = 0;

	REQUIRE(gw_daemon_start(&d, "request_timeout = 2s\nio_timeout = 1s"));
	env = valid_env(&d, NULL);
	body = gw_mtom_build(env, NULL, 0, ct, sizeof(ct), &len);
	/* A fast request is served. */
	REQUIRE(gw_http_post(d.port, ct, body, len, &r));
	CHECK_INT(r.status, 200);
	gw_http_resp_dispose(&r);
	/* A trickle that never finishes inside request_timeout is cut. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons((unsigned short)d.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	hl = snprintf(head, sizeof(head),
		      "POST /xdr HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
		      "Content-Length: %zu\r\n\r\n",
		      ct, len);
	send(fd, head, (size_t)hl, MSG_NOSIGNAL);
	t0 = time(NULL);
	for (size_t i = 0; i < len && time(NULL) - t0 < 8; i++) {
		if (send(fd, body + i, 1, MSG_NOSIGNAL) <= 0)
			break;
		usleep(200000);
	}
	/* Whatever came back, it is not a 200 and it came in time. */
	got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (got > 0) {
		buf[got] = '\0';
		CHECK(strncmp(buf, "HTTP/1.1 200", 12) != 0);
	}
	CHECK(time(NULL) - t0 < 8);
	close(fd);
	free(body);
	free(env);
	still_serving(&d);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(health_endpoint)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	static const char nf[] = "GET /nothing HTTP/1.1\r\nHost: x\r\n"
				 "Connection: close\r\n\r\n";

	REQUIRE(gw_daemon_start(&d, NULL));
	REQUIRE(gw_http_raw(d.port, get, sizeof(get) - 1, &r));
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, "ok"));
	gw_http_resp_dispose(&r);
	REQUIRE(gw_http_raw(d.port, nf, sizeof(nf) - 1, &r));
	CHECK_INT(r.status, 404);
	gw_http_resp_dispose(&r);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
