/*
 * Unit tests for mdn: building processed / dispatched / failed MDNs,
 * reading them back, reading the reference implementations' MDNs and
 * DSNs from the corpus, and the request header.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mdn.h"

static char *
corpus_file(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *p = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/direct/messages/%s", gw_test_corpus(),
		 rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL &&
	    fread(p, 1, (size_t)n, f) == (size_t)n) {
		p[n] = '\0';
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* Build m; the signable entity with its message/rfc822 line cut off. */
static const char *
build(const struct gw_mdn *m, struct gw_buf *s, struct gw_buf *o,
      char id[GW_MDN_MSGID_LEN])
{
	static const char wrap[] = "Content-Type: message/rfc822\r\n\r\n";
	struct gw_err e;

	gw_buf_init(s, 1 << 16);
	gw_buf_init(o, 1 << 16);
	if (gw_mdn_build(m, s, o, id, &e) < 0) {
		fprintf(stderr, "    %s\n", e.msg);
		return NULL;
	}
	if (s->len < sizeof(wrap) - 1 ||
	    memcmp(s->data, wrap, sizeof(wrap) - 1) != 0)
		return NULL;
	return s->data + sizeof(wrap) - 1;
}

GW_TEST(mdn_processed_roundtrip)
{
	struct gw_mdn m = {.disposition = GW_MDN_PROCESSED,
			   .from = "doc@direct-b.example",
			   .to = "ehr@direct-a.example",
			   .orig_msgid = "<1@direct-a.example>",
			   .orig_subject = "XDM/1.0/DDM",
			   .reporting_ua = "dxgw.b; dxgw 0.1",
			   .date = 1764590000};
	struct gw_mdn_info info;
	struct gw_buf s, o;
	char id[GW_MDN_MSGID_LEN], v[256];
	const char *msg;
	struct gw_err e;

	REQUIRE((msg = build(&m, &s, &o, id)) != NULL);
	CHECK(strncmp(id, "<", 1) == 0 && strstr(id, "@direct-b.example>"));
	CHECK(gw_mdn_is_notification(msg, strlen(msg)));
	CHECK(gw_mdn_header(msg, strlen(msg), "Subject", v, sizeof(v)));
	CHECK_STR(v, "Processed: XDM/1.0/DDM");
	CHECK(gw_mdn_header(msg, strlen(msg), "In-Reply-To", v, sizeof(v)));
	CHECK_STR(v, "<1@direct-a.example>");
	/* An MDN never asks for another one. */
	CHECK(!gw_mdn_header(msg, strlen(msg), "Disposition-Notification-To", v,
			     sizeof(v)));
	CHECK(!gw_mdn_wants_final(msg, strlen(msg)));
	REQUIRE(gw_mdn_parse(msg, strlen(msg), &info, &e) == 0);
	CHECK(!info.is_dsn);
	CHECK_INT(info.disposition, GW_MDN_PROCESSED);
	CHECK(!info.final_delivery_ext);
	CHECK_STR(info.orig_msgid, "<1@direct-a.example>");
	CHECK_STR(info.final_recipient, "doc@direct-b.example");
	/* Outer fields: routing only, the Subject stays inside. */
	CHECK(strstr(o.data, "From: doc@direct-b.example\r\n") == o.data);
	CHECK(strstr(o.data, "Message-ID: ") != NULL);
	CHECK(strstr(o.data, "Subject") == NULL);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

GW_TEST(mdn_dispatched_and_failed)
{
	struct gw_mdn m = {.disposition = GW_MDN_DISPATCHED,
			   .from = "Doc@Direct-B.example",
			   .to = "<ehr@direct-a.example>",
			   .orig_msgid = "<2@direct-a.example>",
			   .reporting_ua = "dxgw.b; dxgw 0.1",
			   .date = 1764590000};
	struct gw_mdn_info info;
	struct gw_buf s, o;
	char id[GW_MDN_MSGID_LEN], v[256];
	const char *msg;
	struct gw_err e;

	REQUIRE((msg = build(&m, &s, &o, id)) != NULL);
	REQUIRE(gw_mdn_parse(msg, strlen(msg), &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_DISPATCHED);
	CHECK(info.final_delivery_ext);
	CHECK_STR(info.final_recipient, "doc@direct-b.example");
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);

	/* A hostile Subject and reason cannot add header fields. */
	m.disposition = GW_MDN_FAILED;
	m.orig_subject = "hi\r\nBcc: evil@x.example";
	m.reason = "endpoint said no\r\nX-Evil: 1";
	REQUIRE((msg = build(&m, &s, &o, id)) != NULL);
	CHECK(!gw_mdn_header(msg, strlen(msg), "Bcc", v, sizeof(v)));
	CHECK(strstr(msg, "\r\nX-Evil") == NULL);
	CHECK(strstr(msg, "Failure: endpoint said no  X-Evil: 1\r\n") != NULL);
	REQUIRE(gw_mdn_parse(msg, strlen(msg), &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_FAILED);
	CHECK(!info.final_delivery_ext);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);

	/* Bad input: nothing appended. */
	m.orig_msgid = "no brackets";
	gw_buf_init(&s, 1024);
	gw_buf_init(&o, 1024);
	CHECK_INT(gw_mdn_build(&m, &s, &o, id, &e), GW_EPARSE);
	CHECK_INT(s.len + o.len, 0);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

GW_TEST(mdn_request_header_variants)
{
	static const struct {
		const char *msg;
		bool want;
	} cases[] = {
	    {"Disposition-Notification-Options: "
	     "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\nx",
	     true},
	    {"disposition-notification-options: x-direct-final-destination-"
	     "delivery = optional , TRUE\n\nx",
	     true},
	    {"Disposition-Notification-Options:\r\n "
	     "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n\r\n",
	     true},
	    {"Disposition-Notification-Options: "
	     "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,false\r\n\r\n",
	     false},
	    {"Subject: x\r\n\r\nDisposition-Notification-Options: "
	     "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n",
	     false}, /* in the body: not a header */
	    {"Subject: x\r\n\r\n", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(
		    gw_mdn_wants_final(cases[i].msg, strlen(cases[i].msg)),
		    cases[i].want);
}

GW_TEST(mdn_reads_reference_implementation_samples)
{
	struct gw_mdn_info info;
	struct gw_err e;
	size_t len = 0;
	char *m;

	REQUIRE((m = corpus_file("direct-ri-java-agent/MDNMessage.txt",
				 &len)) != NULL);
	CHECK(gw_mdn_is_notification(m, len));
	REQUIRE(gw_mdn_parse(m, len, &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_PROCESSED);
	CHECK_STR(info.orig_msgid,
		  "<9501051053.aa04167@IETF.CNR I.Reston.VA.US>");
	CHECK_STR(info.final_recipient, "externUser1@starugh-stateline.com");
	free(m);

	REQUIRE((m = corpus_file("direct-ri-java-gateway/"
				 "MDNDispatchedMessage.txt",
				 &len)) != NULL);
	REQUIRE(gw_mdn_parse(m, len, &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_DISPATCHED);
	CHECK(info.final_delivery_ext);
	free(m);

	REQUIRE((m = corpus_file("nhin-d-dotnet/unittests/common/"
				 "DsnTestMessages/DSNMessage.txt",
				 &len)) != NULL);
	CHECK(gw_mdn_is_notification(m, len));
	REQUIRE(gw_mdn_parse(m, len, &info, &e) == 0);
	CHECK(info.is_dsn);
	CHECK_INT(info.disposition, GW_MDN_FAILED);
	CHECK_STR(info.status, "5.0.0");
	CHECK_STR(info.final_recipient, "Carol@Ivory.EDU");
	CHECK_STR(info.orig_msgid,
		  "<9501051053.aa04167@IETF.CNR I.Reston.VA.US>");
	free(m);

	/* RFC 3464 makes Action and Status mandatory: not a failure report. */
	REQUIRE((m = corpus_file("nhin-d-dotnet/unittests/common/"
				 "DsnTestMessages/"
				 "DSNMessageNoActionOrStatus.txt",
				 &len)) != NULL);
	REQUIRE(gw_mdn_parse(m, len, &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_OTHER);
	CHECK_STR(info.status, "");
	free(m);

	/* A message that asked for an MDN is not one itself. */
	REQUIRE((m = corpus_file("direct-ri-java-agent/CCTestMessage.txt",
				 &len)) != NULL);
	CHECK(!gw_mdn_is_notification(m, len));
	CHECK_INT(gw_mdn_parse(m, len, &info, &e), GW_EPARSE);
	free(m);
}

/* A DSN for a failed delivery reads back as one (SPEC.md 2.5). */
GW_TEST(mdn_dsn_failed_roundtrip)
{
	static const struct {
		const char *reason, *status;
	} cases[] = {
	    {"5.6.0 cannot convert for XDR: bad", "5.6.0"},
	    {"4.4.7 EHR delivery gave up after 9 attempts", "4.4.7"},
	    {"the EHR refused it", "5.0.0"},
	    {"5.1.1x not a status", "5.0.0"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_mdn m = {.disposition = GW_MDN_FAILED,
				   .from = "doc@direct-b.example",
				   .to = "ehr@direct-a.example",
				   .orig_msgid = "<2@direct-a.example>",
				   .reporting_ua = "dxgw.b; dxgw 0.1",
				   .reason = cases[i].reason,
				   .date = 1764590000,
				   .dsn = true};
		struct gw_mdn_info info;
		struct gw_buf s, o;
		char id[GW_MDN_MSGID_LEN];
		const char *msg;
		struct gw_err e;

		REQUIRE((msg = build(&m, &s, &o, id)) != NULL);
		CHECK(gw_mdn_is_notification(msg, strlen(msg)));
		CHECK(strstr(msg, "report-type=delivery-status") != NULL);
		CHECK(strstr(msg, "Reporting-MTA: dns; dxgw.b\r\n") != NULL);
		REQUIRE(gw_mdn_parse(msg, strlen(msg), &info, &e) == 0);
		CHECK(info.is_dsn);
		CHECK_INT(info.disposition, GW_MDN_FAILED);
		CHECK_STR(info.orig_msgid, "<2@direct-a.example>");
		CHECK_STR(info.final_recipient, "doc@direct-b.example");
		CHECK_STR(info.status, cases[i].status);
		CHECK_STR(info.failure, cases[i].reason);
		gw_buf_dispose(&s);
		gw_buf_dispose(&o);
	}
}

/* Only a failure is reported as a DSN. */
GW_TEST(mdn_dsn_only_for_failed)
{
	struct gw_mdn m = {.disposition = GW_MDN_PROCESSED,
			   .from = "doc@direct-b.example",
			   .to = "ehr@direct-a.example",
			   .orig_msgid = "<3@direct-a.example>",
			   .reporting_ua = "dxgw.b; dxgw 0.1",
			   .date = 1764590000,
			   .dsn = true};
	struct gw_buf s, o;
	char id[GW_MDN_MSGID_LEN];
	struct gw_err e;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 1 << 16);
	CHECK_INT(gw_mdn_build(&m, &s, &o, id, &e), GW_EPARSE);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}
