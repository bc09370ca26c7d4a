/*
 * Unit tests for the admin port's pure pieces and its answers:
 * percent-decoding, the list's query string, times, failure labels,
 * request heads, the access rule, and what gw_adminapi_get() makes of a
 * store with one tracked submission (JSON, 404/409, metrics).
 */
#include "harness.h"
#include "storefix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>

#include "adminapi.h"
#include "adminsrv.h"
#include "spool.h"
#include "store.h"

GW_TEST(admin_unescape)
{
	char out[16];
	struct gw_err e;

	CHECK_INT(gw_adminapi_unescape("%3Cab%40c%3e", 12, false, out,
				       sizeof(out), &e),
		  0);
	CHECK_STR(out, "<ab@c>");
	CHECK_INT(gw_adminapi_unescape("a+b%2B", 6, true, out, sizeof(out), &e),
		  0);
	CHECK_STR(out, "a b+");
	CHECK_INT(gw_adminapi_unescape("a+b", 3, false, out, sizeof(out), &e),
		  0);
	CHECK_STR(out, "a+b");
	CHECK_INT(gw_adminapi_unescape("", 0, false, out, sizeof(out), &e), 0);
	CHECK_STR(out, "");
	/* Only the bytes given are read. */
	CHECK_INT(gw_adminapi_unescape("ab&c", 2, true, out, sizeof(out), &e),
		  0);
	CHECK_STR(out, "ab");
	CHECK_INT(gw_adminapi_unescape("%4", 2, false, out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_unescape("%zz", 3, false, out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_unescape("%00", 3, false, out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_unescape("a%0Ab", 5, false, out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_unescape("0123456789abcdef", 16, false, out,
				       sizeof(out), &e),
		  GW_ELIMIT);
	CHECK_INT(gw_adminapi_unescape("0123456789abcde", 15, false, out,
				       sizeof(out), &e),
		  0);
}

GW_TEST(admin_parse_time)
{
	long long t = 0;

	CHECK(gw_adminapi_parse_time("1700000000", &t) && t == 1700000000);
	CHECK(gw_adminapi_parse_time("2024-01-02", &t) && t == 1704153600);
	CHECK(gw_adminapi_parse_time("2024-01-02T03:04:05Z", &t) &&
	      t == 1704164645);
	CHECK(gw_adminapi_parse_time("2024-01-02T03:04:05.123Z", &t) &&
	      t == 1704164645);
	CHECK(gw_adminapi_parse_time("2024-01-02T03:04:05+00:00", &t) &&
	      t == 1704164645);
	CHECK(!gw_adminapi_parse_time("", &t));
	CHECK(!gw_adminapi_parse_time("0", &t));
	CHECK(!gw_adminapi_parse_time("-5", &t));
	CHECK(!gw_adminapi_parse_time("1234567890123", &t));
	CHECK(!gw_adminapi_parse_time("2024-01-02T03:04:05", &t));
	CHECK(!gw_adminapi_parse_time("2024-01-02T03:04:05+01:00", &t));
	CHECK(!gw_adminapi_parse_time("2024-1-02", &t));
	CHECK(!gw_adminapi_parse_time("2024-02-31", &t));
	CHECK(!gw_adminapi_parse_time("2024-13-01", &t));
	CHECK(!gw_adminapi_parse_time("2024-01-02T24:00:00Z", &t));
	CHECK(!gw_adminapi_parse_time("2024-01-02 03:04:05Z", &t));
	CHECK(!gw_adminapi_parse_time("2024-01-02T03:04:05.Z", &t));
	CHECK(!gw_adminapi_parse_time("1969-12-31", &t));
}

GW_TEST(admin_parse_query)
{
	struct gw_admin_query q;
	struct gw_err e;

	CHECK_INT(gw_adminapi_parse_query("", &q, &e), 0);
	CHECK(q.state[0] == '\0' && q.address[0] == '\0' && q.since == 0 &&
	      q.until == 0 && q.limit == GW_ADMINAPI_LIMIT_DEF);
	CHECK_INT(gw_adminapi_parse_query(
		      "state=failed&limit=5&address=Doc%2Bx%40Direct-B."
		      "Example&since=2024-01-02&until=1700000000",
		      &q, &e),
		  0);
	CHECK_STR(q.state, "failed");
	CHECK_INT(q.limit, 5);
	CHECK_STR(q.address, "Doc+x@Direct-B.Example");
	CHECK_INT(q.since, 1704153600);
	CHECK_INT(q.until, 1700000000);
	/* Empty values and empty pairs filter nothing. */
	CHECK_INT(gw_adminapi_parse_query("state=&&address=&limit", &q, &e), 0);
	CHECK(q.state[0] == '\0' && q.limit == GW_ADMINAPI_LIMIT_DEF);
	CHECK_INT(gw_adminapi_parse_query("limit=1000", &q, &e), 0);
	CHECK_INT(q.limit, 1000);
	CHECK_INT(gw_adminapi_parse_query("limit=1001", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("limit=0", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("limit=-1", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("limit=5x", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("state=lost", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("state=queued&state=sent", &q, &e),
		  GW_EPARSE);
	CHECK(strstr(e.msg, "twice") != NULL);
	CHECK_INT(gw_adminapi_parse_query("sate=queued", &q, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "sate") != NULL);
	CHECK_INT(gw_adminapi_parse_query("address=nobody", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("address=%3Ca@b.example%3E", &q, &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("since=yesterday", &q, &e),
		  GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("state=%zz", &q, &e), GW_EPARSE);
	CHECK_INT(gw_adminapi_parse_query("averyveryverylongname=1", &q, &e),
		  GW_EPARSE);
}

GW_TEST(admin_reason_label)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"5.1.1 no certificate", "5.1.1"},
	    {"4.4.7 gave up after 3", "4.4.7"},
	    {"550 5.7.1 denied (mx)", "5.7.1"},
	    {"550 5.123.123 ab", "5.123.123"},
	    {"550 denied", "550"},
	    {"421", "421"},
	    {"  5.0.0 x", "5.0.0"},
	    {"", "none"},
	    {"timeout", "other"},
	    {"5.1 x", "other"},
	    {"5.1.1234 x", "other"},
	    {"6.1.1 x", "other"},
	    {"5..1 x", "other"},
	    {"5.1.1, x", "other"},
	    {"55.1.1 x", "other"},
	    {"5501 x", "other"},
	    {"650 x", "other"},
	};
	char out[GW_ADMINAPI_REASON_LEN];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gw_adminapi_reason_label(t[i].in, out);
		CHECK_STR(out, t[i].want);
	}
	gw_adminapi_reason_label(NULL, out);
	CHECK_STR(out, "none");
}

/* Parse a copy of head; the status (0 = fine). */
static int
parse(const char *head, struct gw_adminsrv_req *rq, char *buf, size_t len)
{
	snprintf(buf, len, "%s", head);
	return gw_adminsrv_parse(buf, strlen(buf), rq);
}

GW_TEST(admin_parse_request)
{
	struct gw_adminsrv_req rq;
	char b[1024];

	CHECK_INT(parse("GET /v1/messages?state=failed HTTP/1.1\r\n"
			"Host: x\r\nAuthorization:  Bearer abc \r\n"
			"Content-Length: 0\r\n\r\n",
			&rq, b, sizeof(b)),
		  0);
	CHECK_STR(rq.method, "GET");
	CHECK_STR(rq.target, "/v1/messages?state=failed");
	CHECK_INT(rq.minor, 1);
	CHECK_STR(rq.authorization, "Bearer abc");
	CHECK_INT(parse("GET / HTTP/1.0\r\n\r\n", &rq, b, sizeof(b)), 0);
	CHECK_INT(rq.minor, 0);
	CHECK(rq.authorization == NULL);
	CHECK_INT(parse("POST /health HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 0);
	CHECK_STR(rq.method, "POST");
	/* Refused. */
	CHECK_INT(parse("GET / HTTP/2.0\r\n\r\n", &rq, b, sizeof(b)), 505);
	CHECK_INT(parse("GET / HTTP/1.1x\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET / http/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET /  HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET  / HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET http://x/ HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)),
		  400);
	CHECK_INT(parse("GET * HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET /\x80 HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("G(T / HTTP/1.1\r\n\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(parse("GET / HTTP/1.1\n\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(
	    parse("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", &rq, b, sizeof(b)),
	    400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nA: b\r\n", &rq, b, sizeof(b)), 400);
	CHECK_INT(
	    parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", &rq, b, sizeof(b)),
	    400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nA : b\r\n\r\n", &rq, b, sizeof(b)),
		  400);
	CHECK_INT(parse("GET / HTTP/1.1\r\n: b\r\n\r\n", &rq, b, sizeof(b)),
		  400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nnocolon\r\n\r\n", &rq, b, sizeof(b)),
		  400);
	CHECK_INT(
	    parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", &rq, b, sizeof(b)),
	    400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nAuthorization: Bearer a\r\n"
			"Authorization: Bearer b\r\n\r\n",
			&rq, b, sizeof(b)),
		  400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", &rq, b,
			sizeof(b)),
		  400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &rq, b,
			sizeof(b)),
		  400);
	CHECK_INT(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
			&rq, b, sizeof(b)),
		  400);
	/* A NUL byte inside the head. */
	memcpy(b, "GET / HTTP/1.1\r\nA: \0\r\n\r\n", 25);
	CHECK_INT(gw_adminsrv_parse(b, 24, &rq), 400);
}

static struct sockaddr_storage
addr_of(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, text, &a->sin_addr);
	}
	return ss;
}

GW_TEST(admin_access_rule)
{
	static const char tok[] = "0123456789abcdef";
	struct sockaddr_storage lo = addr_of("127.0.0.1"),
				lo2 = addr_of("127.3.2.1"),
				lo6 = addr_of("::1"),
				mapped = addr_of("::ffff:127.0.0.1"),
				far = addr_of("192.0.2.9"),
				far6 = addr_of("2001:db8::1"),
				mappedfar = addr_of("::ffff:192.0.2.9");
#define SA(x) ((const struct sockaddr *)&(x))

	CHECK(gw_adminsrv_is_loopback(SA(lo)));
	CHECK(gw_adminsrv_is_loopback(SA(lo2)));
	CHECK(gw_adminsrv_is_loopback(SA(lo6)));
	CHECK(gw_adminsrv_is_loopback(SA(mapped)));
	CHECK(!gw_adminsrv_is_loopback(SA(far)));
	CHECK(!gw_adminsrv_is_loopback(SA(far6)));
	CHECK(!gw_adminsrv_is_loopback(SA(mappedfar)));
	/* Neither token nor client CA: loopback only. */
	CHECK_INT(gw_adminsrv_access(SA(lo), "", false, false, NULL), 0);
	CHECK_INT(gw_adminsrv_access(SA(lo6), "", false, false, NULL), 0);
	CHECK_INT(gw_adminsrv_access(SA(far), "", false, false, NULL), 403);
	CHECK_INT(gw_adminsrv_access(SA(far6), "", false, false, "Bearer x"),
		  403);
	/* A token: from anywhere, with the token only. */
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false, NULL), 401);
	CHECK_INT(gw_adminsrv_access(SA(far), tok, false, false,
				     "Bearer 0123456789abcdef"),
		  0);
	CHECK_INT(gw_adminsrv_access(SA(far), tok, false, false,
				     "bearer   0123456789abcdef"),
		  0);
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false,
				     "Bearer 0123456789abcdeF"),
		  401);
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false,
				     "Bearer 0123456789abcde"),
		  401);
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false,
				     "Bearer 0123456789abcdef0"),
		  401);
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false,
				     "Basic 0123456789abcdef"),
		  401);
	CHECK_INT(gw_adminsrv_access(SA(lo), tok, false, false, "Bearer"), 401);
	/* A client CA: the verified certificate, from anywhere. */
	CHECK_INT(gw_adminsrv_access(SA(far), "", true, true, NULL), 0);
	CHECK_INT(gw_adminsrv_access(SA(lo), "", true, false, NULL), 403);
	/* Both: both. */
	CHECK_INT(gw_adminsrv_access(SA(far), tok, true, true, NULL), 401);
	CHECK_INT(gw_adminsrv_access(SA(far), tok, true, true,
				     "Bearer 0123456789abcdef"),
		  0);
#undef SA
}

/* --- gw_adminapi_get() over a store ------------------------------------- */

struct fixture {
	struct gw_store *st;
	struct gw_adminapi *api;
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN];
};

/*
 * t1: a@ sent, processed 30 s and dispatched 90 s after sending; b@
 * failed at conversion. t2: the same wsa:MessageID from another client.
 */
static bool
fixture_open(struct fixture *fx)
{
	static const char *const rc[] = {"a@direct.example.org",
					 "b@direct.example.org"};
	static const struct gw_store_rcpt_fail fail_b[] = {
	    {.address = "b@direct.example.org",
	     .reason = "5.1.1 no certificate for \"b\""}};
	static const struct gw_store_rcpt_result sent[] = {
	    {.address = "a@direct.example.org",
	     .outcome = GW_RCPT_SENT,
	     .reason = "250 ok"}};
	struct gw_store_submission s = {.client = "CN=ehr1",
					.peer = "127.0.0.1",
					.message_id = "urn:uuid:fx",
					.sender = "ehr@hosp.example.org",
					.recipients = rc,
					.nrecipients = 2,
					.metadata_level = "minimal"};
	struct gw_store_outmsg m = {.domain = "direct.example.org",
				    .message_id = "<fx@hosp.example.org>",
				    .mail_from = "ehr@hosp.example.org",
				    .rcpts = rc,
				    .nrcpts = 1};
	struct gw_store_trackset step = {.txid = fx->t1,
					 .address = rc[0],
					 .expect = "sent",
					 .state = "processed",
					 .event = "mdn processed"};
	struct gw_store_trackrow *rows = NULL;
	struct gw_store_job *jobs = NULL;
	char db[400], spool[400];
	long long now = (long long)time(NULL), sent_at;
	size_t n = 0;
	struct gw_err e;

	memset(fx, 0, sizeof(*fx));
	snprintf(db, sizeof(db), "sqlite:%s/dxgw.db", gw_test_tmpdir());
	snprintf(spool, sizeof(spool), "%s/spool", gw_test_tmpdir());
	if (gw_store_open(db, spool, &fx->st, &e) != 0 ||
	    gw_adminapi_new(fx->st, &fx->api, &e) != 0 ||
	    gw_store_submission_accept(fx->st, &s, fx->t1, &e) != 0)
		goto fail;
	s.client = "CN=ehr2";
	s.nrecipients = 1;
	if (gw_store_submission_accept(fx->st, &s, fx->t2, &e) != 0 ||
	    (m.file = gw_fix_spool_file(fx->st, "x\r\n")) == NULL)
		goto fail;
	n = (size_t)gw_store_outbound_queue(fx->st, fx->t1, &m, 1, fail_b, 1,
					    now, 3600, &e);
	gw_spool_file_discard(m.file);
	if (n != 0 ||
	    gw_store_jobs_claim(fx->st, now, 600, 1, &jobs, &n, &e) != 0 ||
	    n != 1 ||
	    gw_store_job_result(fx->st, &jobs[0], sent, 1, now + 60, NULL,
				&e) != 0)
		goto fail;
	gw_store_jobs_free(jobs, n);
	jobs = NULL;
	if (gw_store_track_list(fx->st, fx->t1, &rows, &n, &e) != 0 || n != 2)
		goto fail;
	sent_at = rows[0].sent_at;
	gw_store_trackrows_free(rows, n);
	if (gw_store_track_set(fx->st, &step, sent_at + 30, &e) != 0)
		goto fail;
	step.expect = "processed";
	step.state = "dispatched";
	step.final = true;
	step.owe_ehr = true;
	step.event = "mdn dispatched";
	step.detail = "<mdn@b> from b";
	if (gw_store_track_set(fx->st, &step, sent_at + 90, &e) != 0)
		goto fail;
	return true;
fail:
	printf("    fixture: %s\n", e.msg);
	gw_store_jobs_free(jobs, n);
	return false;
}

static void
fixture_close(struct fixture *fx)
{
	gw_adminapi_free(fx->api);
	gw_store_close(fx->st);
}

/* GET target: the status, the body into out (NUL-terminated). */
static int
get(struct fixture *fx, const char *target, char **out)
{
	struct gw_admin_resp r;

	gw_adminapi_get(fx->api, target, &r);
	*out = gw_buf_take(&r.body);
	if (*out == NULL)
		*out = strdup("");
	return r.status;
}

GW_TEST(admin_get_answers)
{
	struct fixture fx;
	char *b = NULL, path[200];

	REQUIRE(fixture_open(&fx));
	CHECK_INT(get(&fx, "/health", &b), 200);
	CHECK_STR(b, "ok\n");
	free(b);
	CHECK_INT(get(&fx, "/ready", &b), 200);
	free(b);
	CHECK_INT(get(&fx, "/nope", &b), 404);
	free(b);
	CHECK_INT(get(&fx, "/healthz", &b), 404);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages/", &b), 404);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages/a/b", &b), 404);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages/%zz", &b), 400);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages?bogus=1", &b), 400);
	CHECK(strstr(b, "\"error\":\"unknown parameter 'bogus'\"") != NULL);
	free(b);

	/* One message by its txid: recipients, states, history. */
	snprintf(path, sizeof(path), "/v1/messages/%s", fx.t1);
	CHECK_INT(get(&fx, path, &b), 200);
	CHECK(strstr(b, "\"direction\":\"outbound\"") != NULL);
	CHECK(strstr(b, "\"message_id\":\"urn:uuid:fx\"") != NULL);
	CHECK(strstr(b, "\"address\":\"a@direct.example.org\","
			"\"state\":\"dispatched\",\"final\":true") != NULL);
	CHECK(strstr(b, "\"direct_message_id\":\"<fx@hosp.example.org>\"") !=
	      NULL);
	CHECK(strstr(b, "\"ehr_disposition\":{\"state\":\"owed\"") != NULL);
	CHECK(strstr(b, "\"event\":\"mdn processed\"") != NULL);
	CHECK(strstr(b, "\"event\":\"mdn dispatched\",\"detail\":\"<mdn@b> "
			"from b\"") != NULL);
	CHECK(strstr(b, "\"state\":\"failed\",\"final\":true,\"reason\":"
			"\"5.1.1 no certificate for \\\"b\\\"\"") != NULL);
	free(b);
	/* By the Direct Message-ID, with or without its brackets. */
	CHECK_INT(get(&fx, "/v1/messages/%3Cfx@hosp.example.org%3E", &b), 200);
	CHECK(strstr(b, fx.t1) != NULL);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages/fx%40hosp.example.org", &b), 200);
	CHECK(strstr(b, fx.t1) != NULL);
	free(b);
	/* One wsa:MessageID, two clients: 409 naming both. */
	CHECK_INT(get(&fx, "/v1/messages/urn:uuid:fx", &b), 409);
	CHECK(strstr(b, fx.t1) != NULL && strstr(b, fx.t2) != NULL);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages/urn:uuid:none", &b), 404);
	free(b);

	/* The list. */
	CHECK_INT(get(&fx, "/v1/messages?state=failed", &b), 200);
	CHECK(strstr(b, "\"count\":1,") != NULL);
	CHECK(strstr(b, "\"address\":\"b@direct.example.org\"") != NULL);
	free(b);
	CHECK_INT(get(&fx, "/v1/messages?limit=2", &b), 200);
	CHECK(strstr(b, "\"count\":2,\"limit\":2,\"truncated\":true") != NULL);
	free(b);
	fixture_close(&fx);
}

GW_TEST(admin_get_metrics)
{
	struct fixture fx;
	char *b = NULL;

	REQUIRE(fixture_open(&fx));
	CHECK_INT(get(&fx, "/metrics", &b), 200);
	CHECK(strstr(b, "\ndxgw_queue_depth{queue=\"conversion\"} 1\n") !=
	      NULL);
	CHECK(strstr(b, "\ndxgw_queue_depth{queue=\"ehr_disposition\"} 2\n") !=
	      NULL);
	CHECK(strstr(b, "\ndxgw_recipients{state=\"dispatched\"} 1\n") != NULL);
	CHECK(strstr(b, "\ndxgw_recipients{state=\"queued\"} 1\n") != NULL);
	CHECK(strstr(b, "\ndxgw_recipients{state=\"failed\"} 1\n") != NULL);
	CHECK(strstr(b, "\ndxgw_recipient_failures{reason=\"5.1.1\"} 1\n") !=
	      NULL);
	CHECK(strstr(b, "# TYPE dxgw_time_to_processed_seconds histogram\n") !=
	      NULL);
	CHECK(strstr(b, "\ndxgw_time_to_processed_seconds_bucket{le=\"15\"} "
			"0\n") != NULL);
	CHECK(strstr(b, "\ndxgw_time_to_processed_seconds_bucket{le=\"30\"} "
			"1\n") != NULL);
	CHECK(strstr(b, "\ndxgw_time_to_processed_seconds_sum 30\n") != NULL);
	CHECK(strstr(b, "\ndxgw_time_to_dispatched_seconds_bucket{le=\"60\"} "
			"0\n") != NULL);
	CHECK(strstr(b, "\ndxgw_time_to_dispatched_seconds_bucket{le=\"+Inf\"} "
			"1\n") != NULL);
	CHECK(strstr(b, "\ndxgw_time_to_dispatched_seconds_count 1\n") != NULL);
	free(b);
	/* Counted once: a second scrape sees the same histograms. */
	CHECK_INT(get(&fx, "/metrics", &b), 200);
	CHECK(strstr(b, "\ndxgw_time_to_processed_seconds_count 1\n") != NULL);
	free(b);
	fixture_close(&fx);
}
