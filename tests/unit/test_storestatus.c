/*
 * Unit tests for the store's status reads (ops version 6): a message
 * looked up by txid, wsa:MessageID, Direct Message-ID or inbound
 * Message-ID; the filtered list of tracked recipients; the history
 * cursor the metrics read; queue depths, state counts and failure
 * reasons; the readiness ping; argument checks.
 */
#include "harness.h"
#include "storefix.h"

#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "spool.h"
#include "store.h"

#define LIFE   86400
#define SENDER "ehr@hosp.example.org"
#define A      "a@direct.example.org"
#define B      "b@direct.example.org"
#define C      "c@direct.example.org"

/* A fresh store in the test's directory. */
static struct gw_store *
open_store(struct gw_fix_env *v)
{
	gw_fix_env_init(v);
	return gw_fix_store_open(v, 0);
}

static int
accept_sub(struct gw_store *st, const char *client, const char *wsa,
	   const char *sender, const char *const *rc, size_t n,
	   const char *const *failed, char txid[GW_STORE_TXID_LEN])
{
	struct gw_store_submission s = {
	    .client = client,
	    .peer = "127.0.0.1",
	    .message_id = wsa,
	    .sender = sender,
	    .recipients = rc,
	    .nrecipients = n,
	    .rcpt_failed = failed,
	    .metadata_level = "XDS",
	};
	struct gw_err e;
	int r = gw_store_submission_accept(st, &s, txid, &e);

	if (r != 0)
		printf("    accept: %s\n", e.msg);
	return r;
}

static int
queue_sub(struct gw_store *st, const char *txid, const char *msgid,
	  const char *const *rc, size_t n,
	  const struct gw_store_rcpt_fail *fails, size_t nfails, long long now)
{
	struct gw_store_outmsg m = {.domain = "direct.example.org",
				    .message_id = msgid,
				    .mail_from = SENDER,
				    .rcpts = rc,
				    .nrcpts = n};
	struct gw_err e;
	int r;

	if ((m.file = gw_fix_spool_file(st, "Direct message\r\n")) == NULL)
		return -1;
	r = gw_store_outbound_queue(st, txid, &m, n > 0 ? 1 : 0, fails, nfails,
				    now, LIFE, &e);
	gw_spool_file_discard(m.file);
	if (r != 0)
		printf("    queue: %s\n", e.msg);
	return r;
}

/* Claim the one due job and record res for it. */
static int
send_job(struct gw_store *st, long long now,
	 const struct gw_store_rcpt_result *res, size_t n)
{
	struct gw_store_job *jobs = NULL;
	size_t nj = 0;
	struct gw_err e;
	int r;

	if ((r = gw_store_jobs_claim(st, now, 600, 1, &jobs, &nj, &e)) < 0)
		return r;
	r = nj == 1
		? gw_store_job_result(st, &jobs[0], res, n, now + 60, NULL, &e)
		: -100;
	gw_store_jobs_free(jobs, nj);
	return r;
}

static int
step(struct gw_store *st, const char *txid, const char *addr,
     const char *expect, const char *state, bool final, const char *reason,
     const char *event, long long now)
{
	struct gw_store_trackset t = {.txid = txid,
				      .address = addr,
				      .expect = expect,
				      .state = state,
				      .final = final,
				      .reason = reason,
				      .event = event,
				      .owe_ehr = final};
	struct gw_err e;

	return gw_store_track_set(st, &t, now, &e);
}

static int
accept_inbound(struct gw_store *st, const char *msgid, long long now,
	       char txid[GW_STORE_TXID_LEN])
{
	static const char *const rc[] = {"dr.a@direct.example.org"};
	struct gw_store_inmsg m = {
	    .session = "s-1",
	    .peer = "192.0.2.7:2525",
	    .mail_from = "sender@hisp.example.net",
	    .sender = "sender@hisp.example.net",
	    .message_id = msgid,
	    .kind = "message",
	    .rcpts = rc,
	    .nrcpts = 1,
	};
	struct gw_err e;
	int r;

	if ((m.file = gw_fix_spool_file(st, "Subject: x\r\n\r\nbody\r\n")) ==
	    NULL)
		return -1;
	r = gw_store_inbound_accept(st, &m, now, LIFE, txid, &e);
	gw_spool_file_discard(m.file);
	return r;
}

/* Look id up: "<n>:<txid>[i]" joined by " ", into out. */
static void
lookup(struct gw_store *st, const char *id, char *out, size_t len)
{
	struct gw_store_match *v = NULL;
	struct gw_err e;
	size_t n = 0, w = 0;

	out[0] = '\0';
	if (gw_store_message_lookup(st, id, 10, &v, &n, &e) != 0) {
		snprintf(out, len, "error: %.100s", e.msg);
		return;
	}
	for (size_t i = 0; i < n && w < len; i++) {
		int r = snprintf(out + w, len - w, "%s%s%s", i ? " " : "",
				 v[i].txid, v[i].inbound ? "[i]" : "");

		if (r < 0)
			break;
		w += (size_t)r;
	}
	free(v);
}

GW_TEST(storestatus_lookup_by_any_id)
{
	static const char *const rc[] = {A, B};
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN],
	    t3[GW_STORE_TXID_LEN], in[GW_STORE_TXID_LEN];
	char got[200], want[200];
	struct gw_store *st;
	struct gw_fix_env v;
	long long now = (long long)time(NULL);

	REQUIRE((st = open_store(&v)) != NULL);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:one", SENDER, rc, 2, NULL,
			   t1) == 0);
	/* The same wsa:MessageID from another client is another message. */
	REQUIRE(accept_sub(st, "CN=ehr2", "urn:uuid:one", SENDER, rc, 1, NULL,
			   t2) == 0);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:two", SENDER, rc, 1, NULL,
			   t3) == 0);
	REQUIRE(queue_sub(st, t3, "<m3@hosp.example.org>", rc, 1, NULL, 0,
			  now) == 0);
	REQUIRE(accept_inbound(st, "<in1@hisp.example.net>", now, in) == 0);

	lookup(st, t1, got, sizeof(got));
	CHECK_STR(got, t1);
	/* Newest first. */
	lookup(st, "urn:uuid:one", got, sizeof(got));
	snprintf(want, sizeof(want), "%s %s", t2, t1);
	CHECK_STR(got, want);
	lookup(st, "<m3@hosp.example.org>", got, sizeof(got));
	CHECK_STR(got, t3);
	lookup(st, "<in1@hisp.example.net>", got, sizeof(got));
	snprintf(want, sizeof(want), "%s[i]", in);
	CHECK_STR(got, want);
	lookup(st, in, got, sizeof(got));
	CHECK_STR(got, want);
	/* Exact only. */
	lookup(st, "m3@hosp.example.org", got, sizeof(got));
	CHECK_STR(got, "");
	lookup(st, "urn:uuid:ONE", got, sizeof(got));
	CHECK_STR(got, "");
	{
		struct gw_store_match *m = NULL;
		size_t n = 9;
		struct gw_err e;

		CHECK(gw_store_message_lookup(st, "", 10, &m, &n, &e) < 0);
		CHECK(m == NULL && n == 0);
		CHECK_INT(gw_store_message_lookup(st, t1, 0, &m, &n, &e), 0);
		CHECK(m == NULL && n == 0);
	}
	gw_store_close(st);
}

/* Query q: "address:state" of the rows joined by " ", into out. */
static int
query(struct gw_store *st, const struct gw_store_trackq *q, char *out,
      size_t len)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_err e;
	size_t n = 0, w = 0;
	int rc;

	out[0] = '\0';
	if ((rc = gw_store_track_query(st, q, &rows, &n, &e)) != 0) {
		snprintf(out, len, "error: %.100s", e.msg);
		return rc;
	}
	for (size_t i = 0; i < n && w < len; i++) {
		int r = snprintf(out + w, len - w, "%s%c:%s", i ? " " : "",
				 rows[i].address[0], rows[i].state);

		if (r < 0)
			break;
		w += (size_t)r;
		CHECK(rows[i].received_at != NULL &&
		      strlen(rows[i].received_at) == 24);
	}
	gw_store_trackrows_free(rows, n);
	return 0;
}

GW_TEST(storestatus_query_filters)
{
	static const char *const rc[] = {A, B};
	static const char *const rc2[] = {C};
	static const struct gw_store_rcpt_fail fail_b[] = {
	    {.address = B, .reason = "5.1.1 no certificate for b"}};
	static const struct gw_store_rcpt_result sent_a[] = {
	    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250 ok"}};
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN];
	char got[200];
	struct gw_store_trackq q = {.max = 100};
	struct gw_store *st;
	struct gw_fix_env v;
	long long now = (long long)time(NULL);
	struct gw_store_trackrow *rows = NULL;
	size_t n = 0;
	struct gw_err e;

	REQUIRE((st = open_store(&v)) != NULL);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:q1", SENDER, rc, 2, NULL,
			   t1) == 0);
	REQUIRE(queue_sub(st, t1, "<q1@hosp.example.org>", rc, 1, fail_b, 1,
			  now) == 0);
	REQUIRE(send_job(st, now, sent_a, 1) == 0);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:q2",
			   "other@hosp.example.org", rc2, 1, NULL, t2) == 0);

	/* Newest submission first, its recipients in order. */
	CHECK_INT(query(st, &q, got, sizeof(got)), 0);
	CHECK_STR(got, "c:queued a:sent b:failed");
	q.state = "failed";
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "b:failed");
	q.state = NULL;
	q.address = A;
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "a:sent");
	/* Addresses are kept as sent: matched without regard to case. */
	q.address = "A@Direct.Example.ORG";
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "a:sent");
	/* The sender matches all of its submission's recipients. */
	q.address = "other@hosp.example.org";
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "c:queued");
	q.address = NULL;
	q.since = now + 3600;
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "");
	q.since = now - 3600;
	q.until = now + 3600;
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "c:queued a:sent b:failed");
	q.until = now - 60;
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "");
	q.until = 0;
	q.since = 0;
	q.max = 2;
	query(st, &q, got, sizeof(got));
	CHECK_STR(got, "c:queued a:sent");
	/* Whole rows, as the tracking list gives them. */
	q.max = 1;
	q.address = A;
	REQUIRE(gw_store_track_query(st, &q, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(rows[0].txid, t1);
	CHECK_STR(rows[0].message_id, "<q1@hosp.example.org>");
	CHECK_STR(rows[0].wsa_message_id, "urn:uuid:q1");
	CHECK_STR(rows[0].sender, SENDER);
	CHECK(rows[0].sent_at >= now && rows[0].sent_at <= now + 5);
	gw_store_trackrows_free(rows, n);
	/* Argument checks. */
	q.address = NULL;
	q.max = 0;
	CHECK_INT(query(st, &q, got, sizeof(got)), GW_ELIMIT);
	q.max = GW_STORE_QUERY_MAX + 1;
	CHECK_INT(query(st, &q, got, sizeof(got)), GW_ELIMIT);
	q.max = 10;
	q.state = "lost";
	CHECK(query(st, &q, got, sizeof(got)) < 0);
	gw_store_close(st);
}

GW_TEST(storestatus_history_cursor)
{
	static const char *const rc[] = {A, B};
	static const struct gw_store_rcpt_result sent[] = {
	    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250 ok"},
	    {.address = B, .outcome = GW_RCPT_SENT, .reason = "250 ok"}};
	struct gw_store_histrow *h = NULL;
	char t1[GW_STORE_TXID_LEN];
	struct gw_store *st;
	struct gw_fix_env v;
	long long now = (long long)time(NULL);
	size_t n = 0;
	struct gw_err e;

	REQUIRE((st = open_store(&v)) != NULL);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:h1", SENDER, rc, 2, NULL,
			   t1) == 0);
	REQUIRE(queue_sub(st, t1, "<h1@hosp.example.org>", rc, 2, NULL, 0,
			  now) == 0);
	REQUIRE(send_job(st, now, sent, 2) == 0);
	{
		struct gw_store_trackrow *r = NULL;

		/* Sent at the writer's clock: steps count from there. */
		REQUIRE(gw_store_track_list(st, t1, &r, &n, &e) == 0);
		REQUIRE(n == 2 && r[0].sent_at > 0);
		now = r[0].sent_at;
		gw_store_trackrows_free(r, n);
	}
	REQUIRE(step(st, t1, A, "sent", "processed", false, NULL,
		     "mdn processed", now + 30) == 0);
	REQUIRE(step(st, t1, A, "processed", "dispatched", true, NULL,
		     "mdn dispatched", now + 90) == 0);

	CHECK_INT(gw_store_track_events(st, 0, 100, &h, &n, &e), 0);
	REQUIRE(n == 4); /* sent a, sent b, processed a, dispatched a */
	for (size_t i = 1; i < n; i++)
		CHECK(h[i].id > h[i - 1].id);
	CHECK_STR(h[2].event, "mdn processed");
	CHECK_INT(h[2].at - h[2].sent_at, 30);
	CHECK_STR(h[3].event, "mdn dispatched");
	CHECK_INT(h[3].at - h[3].sent_at, 90);
	{
		long long cursor = h[1].id;
		struct gw_store_histrow *h2 = NULL;
		size_t n2 = 0;

		/* From a cursor, at most max rows. */
		CHECK_INT(gw_store_track_events(st, cursor, 1, &h2, &n2, &e),
			  0);
		REQUIRE(n2 == 1);
		CHECK(h2[0].id == h[2].id);
		gw_store_histrows_free(h2, n2);
		CHECK_INT(gw_store_track_events(st, h[3].id, 10, &h2, &n2, &e),
			  0);
		CHECK(n2 == 0 && h2 == NULL);
	}
	gw_store_histrows_free(h, n);
	gw_store_close(st);
}

static long long
count_of(const struct gw_store_count *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].n;
	return -1;
}

GW_TEST(storestatus_metrics_counts)
{
	static const char *const rc[] = {A, B, C};
	static const struct gw_store_rcpt_fail fails[] = {
	    {.address = B, .reason = "5.1.1 no certificate for b"},
	    {.address = C, .reason = "5.1.1 no certificate for c"}};
	static const char *const one[] = {A};
	static const char *const refused[] = {"4.4.7 unreachable"};
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN],
	    t3[GW_STORE_TXID_LEN], in[GW_STORE_TXID_LEN];
	struct gw_store_metrics m;
	struct gw_store *st;
	struct gw_fix_env v;
	long long now = (long long)time(NULL);
	struct gw_err e;

	REQUIRE((st = open_store(&v)) != NULL);
	CHECK_INT(gw_store_ping(st, &e), 0);
	CHECK_INT(gw_store_metrics_read(st, 10, &m, &e), 0);
	CHECK(m.converting == 0 && m.outbound == 0 && m.nrcpt_states == 0 &&
	      m.nfailed == 0);
	gw_store_metrics_dispose(&m);

	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:m1", SENDER, rc, 3, NULL,
			   t1) == 0);
	REQUIRE(queue_sub(st, t1, "<m1@hosp.example.org>", rc, 1, fails, 2,
			  now) == 0);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:m2", SENDER, one, 1, NULL,
			   t2) == 0);
	REQUIRE(accept_sub(st, "CN=ehr1", "urn:uuid:m3", SENDER, one, 1,
			   refused, t3) == 0);
	REQUIRE(accept_inbound(st, "<in@hisp.example.net>", now, in) == 0);

	CHECK_INT(gw_store_metrics_read(st, 10, &m, &e), 0);
	CHECK_INT(m.converting, 2); /* m2 and m3 wait for conversion */
	CHECK_INT(m.outbound, 1);
	CHECK_INT(m.notices, 0);
	CHECK_INT(m.inbound, 1);
	/* b and c; m3's a was refused in the RegistryResponse itself. */
	CHECK_INT(m.ehr_owed, 2);
	CHECK_INT(m.untracked, 0);
	CHECK_INT(count_of(m.rcpt_states, m.nrcpt_states, "queued"), 2);
	CHECK_INT(count_of(m.rcpt_states, m.nrcpt_states, "failed"), 3);
	CHECK_INT(count_of(m.in_states, m.nin_states, "queued"), 1);
	/* Grouped by the reason's first GW_STORE_REASON_KEY characters. */
	REQUIRE(m.nfailed == 2);
	CHECK_STR(m.failed[0].key, "5.1.1 no certifi");
	CHECK_INT(m.failed[0].n, 2);
	CHECK_STR(m.failed[1].key, "4.4.7 unreachabl");
	CHECK_INT(m.failed[1].n, 1);
	gw_store_metrics_dispose(&m);
	/* At most max_reasons groups; none asked, none read. */
	CHECK_INT(gw_store_metrics_read(st, 1, &m, &e), 0);
	CHECK_INT(m.nfailed, 1);
	gw_store_metrics_dispose(&m);
	CHECK_INT(gw_store_metrics_read(st, 0, &m, &e), 0);
	CHECK(m.nfailed == 0 && m.failed == NULL);
	gw_store_metrics_dispose(&m);
	gw_store_close(st);
}
