/*
 * Unit tests for the store's delivery tracking (schema version 6): what
 * the queue and the submission's accept record (sent_at, final, the
 * dispositions owed to EHRs, history rows), find by Message-ID, the
 * compare-and-set steps and their "ignored" rows, the EHR claim and
 * result, overdue timers, notices to track, argument checks, reopen, and
 * the migration of a version 5 database.
 */
#include "harness.h"
#include "storefix.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"
#include "store.h"

#define LIFE   86400
#define SENDER "ehr@hosp.example.org"
#define A      "a@direct.example.org"
#define B      "b@direct.example.org"
#define C      "c@direct.example.org"

/* One row, one text column; "" when there is none. */
static void
raw_text(const struct gw_fix_env *v, const char *sql, char *out, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	if (sqlite3_open(v->db + 7, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(out, n, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Every row's first column, " "-joined (EXPLAIN QUERY PLAN details). */
static void
raw_all(const struct gw_fix_env *v, const char *sql, int col, char *out,
	size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	size_t k = 0;

	out[0] = '\0';
	if (sqlite3_open(v->db + 7, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK)
		while (sqlite3_step(s) == SQLITE_ROW && k < n) {
			const unsigned char *t = sqlite3_column_text(s, col);
			int w = snprintf(out + k, n - k, "%s ",
					 t != NULL ? (const char *)t : "");

			if (w < 0)
				break;
			k += (size_t)w;
		}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int
raw_exec(const struct gw_fix_env *v, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(v->db + 7, &db);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc;
}

/* A submission from CN=ehr1 (with its audit row), no documents. */
static int
accept_sub(struct gw_store *st, const char *wsa, const char *const *rc,
	   size_t n, const char *const *failed, char txid[GW_STORE_TXID_LEN],
	   struct gw_err *e)
{
	struct gw_audit_event ev = {.event = "xdr.accepted",
				    .client = "CN=ehr1",
				    .message_id = wsa,
				    .outcome = "success"};
	struct gw_store_submission s = {
	    .client = "CN=ehr1",
	    .peer = "127.0.0.1",
	    .message_id = wsa,
	    .sender = SENDER,
	    .recipients = rc,
	    .nrecipients = n,
	    .rcpt_failed = failed,
	    .metadata_level = "XDS",
	    .audit = &ev,
	};

	return gw_store_submission_accept(st, &s, txid, e);
}

/* Queue one Direct message msgid for rc[0..n) and fail fails. */
static int
queue_sub(struct gw_store *st, const char *txid, const char *msgid,
	  const char *const *rc, size_t n, bool final_delivery,
	  const struct gw_store_rcpt_fail *fails, size_t nfails, long long now,
	  struct gw_err *e)
{
	struct gw_store_outmsg m = {.domain = "direct.example.org",
				    .message_id = msgid,
				    .mail_from = SENDER,
				    .rcpts = rc,
				    .nrcpts = n,
				    .final_delivery = final_delivery};
	int r;

	if ((m.file = gw_fix_spool_file(st, "Direct message\r\n")) == NULL)
		return -1;
	r = gw_store_outbound_queue(st, txid, &m, n > 0 ? 1 : 0, fails, nfails,
				    now, LIFE, e);
	gw_spool_file_discard(m.file);
	return r;
}

/* Claim the one due job and record res for it. */
static int
send_job(struct gw_store *st, long long now,
	 const struct gw_store_rcpt_result *res, size_t n, struct gw_err *e)
{
	struct gw_store_job *jobs = NULL;
	size_t nj = 0;
	int r;

	if ((r = gw_store_jobs_claim(st, now, 600, 1, &jobs, &nj, e)) < 0)
		return r;
	r = nj == 1
		? gw_store_job_result(st, &jobs[0], res, n, now + 60, NULL, e)
		: -100;
	gw_store_jobs_free(jobs, nj);
	return r;
}

static int
step(struct gw_store *st, const char *txid, const char *addr,
     const char *expect, const char *state, bool final, bool owe,
     const char *event, const char *notice, long long now, struct gw_err *e)
{
	struct gw_store_trackset t = {.txid = txid,
				      .address = addr,
				      .expect = expect,
				      .state = state,
				      .final = final,
				      .event = event,
				      .detail = "from the test",
				      .owe_ehr = owe,
				      .notice_txid = notice};

	return gw_store_track_set(st, &t, now, e);
}

/* The row, or NULL (and a failed check). */
static struct gw_store_trackrow *
find(struct gw_store *st, const char *msgid, const char *addr)
{
	struct gw_store_trackrow *r = NULL;
	struct gw_err e;

	if (gw_store_track_find(st, msgid, addr, &r, &e) != 0) {
		printf("    find %s %s: %s\n", msgid, addr, e.msg);
		return NULL;
	}
	return r;
}

/* The events of a recipient's history, " | "-joined, into out. */
static void
history(struct gw_store *st, const char *txid, const char *addr, char *out,
	size_t n)
{
	struct gw_store_event *ev = NULL;
	size_t k = 0, w = 0;
	struct gw_err e;

	out[0] = '\0';
	if (gw_store_track_history(st, txid, addr, &ev, &k, &e) != 0) {
		snprintf(out, n, "error: %.200s", e.msg);
		return;
	}
	for (size_t i = 0; i < k && w < n; i++) {
		int r = snprintf(out + w, n - w, "%s%s", i > 0 ? " | " : "",
				 ev[i].event);

		if (r < 0)
			break;
		w += (size_t)r;
	}
	gw_store_events_free(ev, k);
}

static const char *const ab[] = {A, B};
static const char *const abc[] = {A, B, C};

GW_TEST(storetrack_sent_processed_dispatched_owes_ehr)
{
	struct gw_store_trackrow *r = NULL, *rows = NULL;
	struct gw_store_event *ev = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], buf[256];
	long long now = 1000000, t0, t1;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;
	long audit = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:s1", ab, 2, NULL, txid, &e) == 0);
	REQUIRE(queue_sub(st, txid, "<m1@hosp.example.org>", ab, 2, true, NULL,
			  0, now, &e) == 0);
	raw_text(&v, "SELECT final_delivery FROM outbound", buf, sizeof(buf));
	CHECK_STR(buf, "1");
	t0 = (long long)time(NULL);
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = A,
		     .outcome = GW_RCPT_SENT,
		     .reason = "250 2.0.0 ok"},
		    {.address = B,
		     .outcome = GW_RCPT_DEFERRED,
		     .reason = "451 4.3.0 later"},
		};

		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	t1 = (long long)time(NULL);

	/* Found by the Message-ID of the Direct message it went in. */
	REQUIRE((r = find(st, "<m1@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->txid, txid);
	CHECK_STR(r->address, A);
	CHECK_STR(r->state, "sent");
	CHECK(!r->final);
	CHECK_STR(r->reason, "250 2.0.0 ok");
	CHECK_STR(r->message_id, "<m1@hosp.example.org>");
	CHECK(r->final_delivery);
	CHECK_STR(r->sender, SENDER);
	CHECK_STR(r->wsa_message_id, "urn:uuid:s1");
	CHECK(r->sent_at >= t0 && r->sent_at <= t1);
	CHECK_INT(r->final_at, 0);
	CHECK(r->ehr_state == NULL);
	CHECK_INT(r->ehr_attempts, 0);
	CHECK_INT(r->ehr_next_at, 0);
	gw_store_trackrows_free(r, 1);
	REQUIRE((r = find(st, "<m1@hosp.example.org>", B)) != NULL);
	CHECK_STR(r->state, "queued");
	CHECK_INT(r->sent_at, 0);
	gw_store_trackrows_free(r, 1);
	history(st, txid, B, buf, sizeof(buf));
	CHECK_STR(buf, "deferred");
	CHECK_INT(gw_store_track_find(st, "<m1@hosp.example.org>", C, &r, &e),
		  GW_ENOTFOUND);
	CHECK(r == NULL);
	CHECK_INT(gw_store_track_find(st, "<m2@hosp.example.org>", A, &r, &e),
		  GW_ENOTFOUND);

	/* Processed is not final when final delivery was asked for. */
	CHECK_INT(step(st, txid, A, "sent", "processed", false, false,
		       "mdn processed", NULL, now + 10, &e),
		  0);
	REQUIRE((r = find(st, "<m1@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->state, "processed");
	CHECK(!r->final && r->final_at == 0 && r->ehr_state == NULL);
	CHECK_STR(r->reason, "250 2.0.0 ok"); /* NULL keeps it */
	gw_store_trackrows_free(r, 1);
	/* Dispatched is, and owes the EHR a disposition due now. */
	CHECK_INT(step(st, txid, A, "processed", "dispatched", true, true,
		       "mdn dispatched", NULL, now + 20, &e),
		  0);
	REQUIRE((r = find(st, "<m1@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->state, "dispatched");
	CHECK(r->final);
	CHECK_INT(r->final_at, now + 20);
	CHECK_STR(r->ehr_state, "owed");
	CHECK_INT(r->ehr_next_at, now + 20);
	CHECK_INT(r->ehr_attempts, 0);
	gw_store_trackrows_free(r, 1);

	/* The EHR claim: due at ehr_next_at, leased, retried. */
	REQUIRE(gw_store_ehr_claim(st, now + 19, 60, 8, &rows, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_ehr_claim(st, now + 20, 60, 8, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(rows[0].txid, txid);
	CHECK_STR(rows[0].address, A);
	CHECK_STR(rows[0].state, "dispatched");
	CHECK_STR(rows[0].wsa_message_id, "urn:uuid:s1");
	CHECK_INT(rows[0].ehr_attempts, 1);
	CHECK_INT(rows[0].ehr_next_at, now + 80);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_ehr_claim(st, now + 79, 60, 8, &rows, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(
	    gw_store_ehr_result(st, txid, A, "owed", now + 200, "EHR 503", &e),
	    0);
	REQUIRE(gw_store_ehr_claim(st, now + 199, 60, 8, &rows, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_ehr_claim(st, now + 200, 60, 8, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(rows[0].ehr_attempts, 2);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(
	    gw_store_ehr_result(st, txid, A, "sent", 0, "EHR took it", &e), 0);
	REQUIRE((r = find(st, "<m1@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->ehr_state, "sent");
	CHECK_INT(r->ehr_next_at, 0);
	CHECK_INT(r->ehr_attempts, 2);
	gw_store_trackrows_free(r, 1);
	REQUIRE(gw_store_ehr_claim(st, now + 100000, 60, 8, &rows, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	/* No longer owed; never owed. */
	CHECK_INT(gw_store_ehr_result(st, txid, A, "failed", 0, "late", &e),
		  GW_EEXISTS);
	CHECK(strstr(e.msg, "sent already") != NULL);
	CHECK_INT(gw_store_ehr_result(st, txid, B, "sent", 0, NULL, &e),
		  GW_ENOTFOUND);
	CHECK_INT(
	    gw_store_ehr_result(st, txid, "x@y.example", "sent", 0, NULL, &e),
	    GW_ENOTFOUND);

	/* A second dispatched changes nothing and says so. */
	CHECK_INT(step(st, txid, A, "processed", "dispatched", true, true,
		       "mdn dispatched", NULL, now + 300, &e),
		  GW_EEXISTS);
	CHECK(strstr(e.msg, "final dispatched") != NULL);
	REQUIRE((r = find(st, "<m1@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->state, "dispatched");
	CHECK_INT(r->final_at, now + 20);
	CHECK_STR(r->ehr_state, "sent");
	gw_store_trackrows_free(r, 1);

	REQUIRE(gw_store_track_history(st, txid, A, &ev, &n, &e) == 0);
	REQUIRE(n == 6);
	CHECK_STR(ev[0].event, "sent");
	CHECK_STR(ev[0].detail, "250 2.0.0 ok");
	CHECK(ev[0].at >= t0 && ev[0].at <= t1);
	CHECK_STR(ev[1].event, "mdn processed");
	CHECK_STR(ev[1].detail, "from the test");
	CHECK_INT(ev[1].at, now + 10);
	CHECK_STR(ev[2].event, "mdn dispatched");
	CHECK_INT(ev[2].at, now + 20);
	CHECK_STR(ev[3].event, "ehr owed");
	CHECK_STR(ev[3].detail, "EHR 503");
	CHECK_STR(ev[4].event, "ehr sent");
	CHECK_STR(ev[4].detail, "EHR took it");
	CHECK_STR(ev[5].event, "ignored mdn dispatched");
	CHECK_INT(ev[5].at, now + 300);
	gw_store_events_free(ev, n);

	/* The submission's recipients, in submission order. */
	REQUIRE(gw_store_track_list(st, txid, &rows, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(rows[0].address, A);
	CHECK_STR(rows[0].state, "dispatched");
	CHECK_STR(rows[1].address, B);
	CHECK_STR(rows[1].state, "queued");
	CHECK_STR(rows[1].reason, "451 4.3.0 later");
	CHECK_STR(rows[1].message_id, "<m1@hosp.example.org>");
	gw_store_trackrows_free(rows, n);
	CHECK_INT(gw_store_track_list(st, "nope", &rows, &n, &e), GW_ENOTFOUND);
	CHECK(rows == NULL && n == 0);

	CHECK_INT(gw_store_audit_verify(st, &audit, &e), 0);
	CHECK_INT(audit, 1);
	gw_store_close(st);
}

GW_TEST(storetrack_late_and_duplicate_notices_are_ignored)
{
	struct gw_store_trackrow *r = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], buf[256];
	long long now = 2000000;
	struct gw_err e;
	struct gw_fix_env v;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:s2", ab, 2, NULL, txid, &e) == 0);
	REQUIRE(queue_sub(st, txid, "<m2@hosp.example.org>", ab, 2, false, NULL,
			  0, now, &e) == 0);
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = B, .outcome = GW_RCPT_SENT, .reason = "250"},
		};

		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	REQUIRE((r = find(st, "<m2@hosp.example.org>", A)) != NULL);
	CHECK(!r->final_delivery);
	gw_store_trackrows_free(r, 1);
	/* Without final delivery, processed is final. */
	CHECK_INT(step(st, txid, A, "sent", "processed", true, true,
		       "mdn processed", NULL, now + 5, &e),
		  0);
	/* A duplicate of it and a late failure: history only. */
	CHECK_INT(step(st, txid, A, "sent", "processed", true, true,
		       "mdn processed", NULL, now + 6, &e),
		  GW_EEXISTS);
	{
		struct gw_store_trackset t = {.txid = txid,
					      .address = A,
					      .expect = "processed",
					      .state = "failed",
					      .final = true,
					      .reason = "5.0.0 too late",
					      .event = "dsn failed",
					      .owe_ehr = true};

		CHECK_INT(gw_store_track_set(st, &t, now + 7, &e), GW_EEXISTS);
	}
	REQUIRE((r = find(st, "<m2@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->state, "processed");
	CHECK(r->final);
	CHECK_INT(r->final_at, now + 5);
	CHECK_STR(r->reason, "250");
	gw_store_trackrows_free(r, 1);
	history(st, txid, A, buf, sizeof(buf));
	CHECK_STR(buf, "sent | mdn processed | ignored mdn processed | "
		       "ignored dsn failed");

	/* A failure with its reason, for a recipient still sent. */
	{
		struct gw_store_trackset t = {.txid = txid,
					      .address = B,
					      .expect = "sent",
					      .state = "failed",
					      .final = true,
					      .reason = "5.1.1 no such user",
					      .event = "dsn failed",
					      .detail = "Action: failed",
					      .owe_ehr = true};

		CHECK_INT(gw_store_track_set(st, &t, now + 8, &e), 0);
	}
	REQUIRE((r = find(st, "<m2@hosp.example.org>", B)) != NULL);
	CHECK_STR(r->state, "failed");
	CHECK(r->final);
	CHECK_STR(r->reason, "5.1.1 no such user");
	CHECK_STR(r->ehr_state, "owed");
	CHECK_INT(r->ehr_next_at, now + 8);
	gw_store_trackrows_free(r, 1);

	/* Unknown recipient: nothing is written. */
	CHECK_INT(step(st, txid, C, "sent", "processed", false, false,
		       "mdn processed", NULL, now, &e),
		  GW_ENOTFOUND);
	CHECK_INT(step(st, "nope", A, "sent", "processed", false, false,
		       "mdn processed", NULL, now, &e),
		  GW_ENOTFOUND);
	raw_text(&v, "SELECT count(*) FROM rcpt_events", buf, sizeof(buf));
	CHECK_STR(buf, "6");
	gw_store_close(st);
}

GW_TEST(storetrack_failed_at_queue_or_sending_is_final_and_owed)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_store_event *ev = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], buf[256];
	long long now = 3000000, t0, t1;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:s3", abc, 3, NULL, txid, &e) == 0);
	{
		struct gw_store_rcpt_fail f = {
		    .address = C, .reason = "5.7.0 no certificate"};

		REQUIRE(queue_sub(st, txid, "<m3@hosp.example.org>", ab, 2,
				  false, &f, 1, now, &e) == 0);
	}
	REQUIRE(gw_store_track_list(st, txid, &rows, &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(rows[2].address, C);
	CHECK_STR(rows[2].state, "failed");
	CHECK(rows[2].final);
	CHECK_INT(rows[2].final_at, now);
	CHECK_STR(rows[2].reason, "5.7.0 no certificate");
	CHECK_STR(rows[2].ehr_state, "owed");
	CHECK_INT(rows[2].ehr_next_at, now);
	CHECK(rows[2].message_id == NULL); /* it went in no message */
	CHECK(!rows[2].final_delivery);
	CHECK_INT(rows[2].sent_at, 0);
	CHECK(!rows[0].final && rows[0].ehr_state == NULL);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_track_history(st, txid, C, &ev, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(ev[0].event, "failed");
	CHECK_STR(ev[0].detail, "5.7.0 no certificate");
	CHECK_INT(ev[0].at, now);
	gw_store_events_free(ev, n);
	/* Queued, not yet sent: an empty history, not an error. */
	REQUIRE(gw_store_track_history(st, txid, A, &ev, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_events_free(ev, n);
	CHECK_INT(gw_store_track_history(st, txid, "x@y.example", &ev, &n, &e),
		  GW_ENOTFOUND);

	/* Failed by the next hop: final and owed too. */
	t0 = (long long)time(NULL);
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = B,
		     .outcome = GW_RCPT_FAILED,
		     .reason = "550 5.1.1 unknown"},
		};

		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	t1 = (long long)time(NULL);
	REQUIRE(gw_store_track_list(st, txid, &rows, &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(rows[1].state, "failed");
	CHECK(rows[1].final);
	CHECK(rows[1].final_at >= t0 && rows[1].final_at <= t1);
	CHECK_STR(rows[1].ehr_state, "owed");
	CHECK_INT(rows[1].ehr_next_at, rows[1].final_at);
	CHECK_INT(rows[1].sent_at, 0);
	gw_store_trackrows_free(rows, n);
	history(st, txid, B, buf, sizeof(buf));
	CHECK_STR(buf, "failed");
	/* A sent one cannot be sent again by a stale result. */
	{
		struct gw_store_rcpt_result res = {.address = B,
						   .outcome = GW_RCPT_SENT,
						   .reason = "250 late"};
		struct gw_store_job j = {.id = 1};

		CHECK_INT(gw_store_job_result(st, &j, &res, 1, 0, NULL, &e), 0);
	}
	history(st, txid, B, buf, sizeof(buf));
	CHECK_STR(buf, "failed");

	/* Both owed, oldest due first. */
	REQUIRE(gw_store_ehr_claim(st, t1 + 1, 60, 8, &rows, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(rows[0].address, C);
	CHECK_STR(rows[1].address, B);
	CHECK_STR(rows[1].message_id, "<m3@hosp.example.org>");
	gw_store_trackrows_free(rows, n);
	gw_store_close(st);
}

GW_TEST(storetrack_refused_at_submission_is_final_not_owed)
{
	static const char *const failed[] = {NULL, "5.1.1 not a Direct address",
					     NULL};
	struct gw_store_trackrow *rows = NULL;
	struct gw_store_event *ev = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN];
	long long now = 4000000, t0, t1;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	t0 = (long long)time(NULL);
	REQUIRE(accept_sub(st, "urn:uuid:s4", abc, 3, failed, txid, &e) == 0);
	t1 = (long long)time(NULL);
	REQUIRE(gw_store_track_list(st, txid, &rows, &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(rows[1].state, "failed");
	CHECK(rows[1].final);
	CHECK(rows[1].final_at >= t0 && rows[1].final_at <= t1);
	CHECK_STR(rows[1].reason, "5.1.1 not a Direct address");
	CHECK(rows[1].ehr_state == NULL);
	CHECK(!rows[0].final && !rows[2].final);
	CHECK_STR(rows[0].state, "queued");
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_track_history(st, txid, B, &ev, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(ev[0].event, "refused at submission");
	CHECK_STR(ev[0].detail, "5.1.1 not a Direct address");
	CHECK(ev[0].at >= t0 && ev[0].at <= t1);
	gw_store_events_free(ev, n);
	/* Queueing the others leaves it alone. */
	{
		static const char *const ac[] = {A, C};

		REQUIRE(queue_sub(st, txid, "<m4@hosp.example.org>", ac, 2,
				  true, NULL, 0, now, &e) == 0);
	}
	REQUIRE(gw_store_ehr_claim(st, now + 100000, 60, 8, &rows, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(
	    gw_store_track_find(st, "<m4@hosp.example.org>", B, &rows, &e),
	    GW_ENOTFOUND);
	gw_store_close(st);
}

GW_TEST(storetrack_overdue_lists_sent_not_final)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_store *st;
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN];
	long long now = 5000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:o1", abc, 3, NULL, t1, &e) == 0);
	REQUIRE(accept_sub(st, "urn:uuid:o2", ab, 2, NULL, t2, &e) == 0);
	REQUIRE(queue_sub(st, t1, "<o1@hosp.example.org>", abc, 3, true, NULL,
			  0, now, &e) == 0);
	REQUIRE(queue_sub(st, t2, "<o2@hosp.example.org>", ab, 2, true, NULL, 0,
			  now, &e) == 0);
	{
		struct gw_store_rcpt_result res[3] = {
		    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = B, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = C, .outcome = GW_RCPT_DEFERRED, .reason = "4"},
		};

		REQUIRE(send_job(st, now, res, 3, &e) == 0);
		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	/* Sent at known times. */
	REQUIRE(raw_exec(&v,
			 "UPDATE recipients SET sent_at = 1000 WHERE"
			 " address = 'b@direct.example.org';"
			 "UPDATE recipients SET sent_at = 2000 WHERE"
			 " address = 'a@direct.example.org';") == SQLITE_OK);
	REQUIRE(gw_store_track_overdue(st, 999, 10, &rows, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_track_overdue(st, 1000, 10, &rows, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(rows[0].address, B);
	CHECK_STR(rows[1].address, B);
	CHECK_INT(rows[0].sent_at, 1000);
	gw_store_trackrows_free(rows, n);
	/* Processed and not final is still waiting; final is not. */
	REQUIRE(step(st, t1, B, "sent", "processed", false, false,
		     "mdn processed", NULL, now, &e) == 0);
	REQUIRE(step(st, t2, B, "sent", "dispatched", true, false,
		     "mdn dispatched", NULL, now, &e) == 0);
	REQUIRE(gw_store_track_overdue(st, 5000, 10, &rows, &n, &e) == 0);
	REQUIRE(n == 3); /* C of t1 is queued: not a candidate */
	CHECK_STR(rows[0].txid, t1);
	CHECK_STR(rows[0].address, B);
	CHECK_STR(rows[0].state, "processed");
	CHECK_INT(rows[1].sent_at, 2000);
	CHECK_INT(rows[2].sent_at, 2000);
	for (size_t i = 0; i < n; i++)
		CHECK(!rows[i].final);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_track_overdue(st, 5000, 1, &rows, &n, &e) == 0);
	CHECK_INT(n, 1);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_track_overdue(st, 5000, 0, &rows, &n, &e) == 0);
	CHECK(n == 0 && rows == NULL);
	gw_store_close(st);
}

static const char *const in_rcpts[] = {SENDER};

/* An inbound message of kind at now; its file is the store's. */
static int
accept_in(struct gw_store *st, const char *kind, long long now,
	  char txid[GW_STORE_TXID_LEN], struct gw_err *e)
{
	struct gw_store_inmsg m = {
	    .session = "s-1",
	    .peer = "192.0.2.7:2525",
	    .mail_from = "",
	    .sender = "a@direct.example.org",
	    .message_id = "<mdn@direct.example.org>",
	    .kind = kind,
	    .rcpts = in_rcpts,
	    .nrcpts = 1,
	};
	int r;

	if ((m.file = gw_fix_spool_file(st, "MDN\r\n")) == NULL)
		return -1;
	r = gw_store_inbound_accept(st, &m, now, LIFE, txid, e);
	gw_spool_file_discard(m.file);
	return r;
}

GW_TEST(storetrack_notices_untracked_until_marked)
{
	struct gw_store_injob *rows = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], n1[GW_STORE_TXID_LEN],
	    n2[GW_STORE_TXID_LEN], n3[GW_STORE_TXID_LEN],
	    msg[GW_STORE_TXID_LEN], buf[256], q[256];
	long long now = 6000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:n", ab, 2, NULL, txid, &e) == 0);
	REQUIRE(queue_sub(st, txid, "<n@hosp.example.org>", ab, 2, true, NULL,
			  0, now, &e) == 0);
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = B, .outcome = GW_RCPT_SENT, .reason = "250"},
		};

		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	/* Received out of order: listed oldest first; messages never. */
	REQUIRE(accept_in(st, "dsn", now + 2, n2, &e) == 0);
	REQUIRE(accept_in(st, "mdn", now + 1, n1, &e) == 0);
	REQUIRE(accept_in(st, "message", now, msg, &e) == 0);
	REQUIRE(accept_in(st, "mdn", now + 3, n3, &e) == 0);
	REQUIRE(gw_store_notices_untracked(st, 10, &rows, &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(rows[0].txid, n1);
	CHECK_STR(rows[0].kind, "mdn");
	CHECK_STR(rows[0].state, "notice");
	CHECK_STR(rows[0].message_id, "<mdn@direct.example.org>");
	CHECK_INT(rows[0].received_at, now + 1);
	CHECK(access(rows[0].path, R_OK) == 0);
	REQUIRE(rows[0].nrcpts == 1);
	CHECK_STR(rows[0].rcpts[0].address, SENDER);
	CHECK_STR(rows[1].txid, n2);
	CHECK_STR(rows[1].kind, "dsn");
	CHECK_STR(rows[2].txid, n3);
	gw_store_injobs_free(rows, n);
	REQUIRE(gw_store_notices_untracked(st, 1, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(rows[0].txid, n1);
	gw_store_injobs_free(rows, n);

	/* Unrelated to our mail: marked without a step. */
	CHECK_INT(gw_store_notice_tracked(st, n1, "unrelated", &e), 0);
	snprintf(q, sizeof(q), "SELECT tracked FROM inbound WHERE txid = '%s'",
		 n1);
	raw_text(&v, q, buf, sizeof(buf));
	CHECK_STR(buf, "unrelated");
	/* A DSN about two recipients: one step applies, one is ignored. */
	CHECK_INT(step(st, txid, A, "sent", "failed", true, true, "dsn failed",
		       n2, now + 5, &e),
		  0);
	CHECK_INT(step(st, txid, A, "sent", "failed", true, true, "dsn failed",
		       n2, now + 5, &e),
		  GW_EEXISTS);
	snprintf(q, sizeof(q), "SELECT tracked FROM inbound WHERE txid = '%s'",
		 n2);
	raw_text(&v, q, buf, sizeof(buf));
	CHECK_STR(buf, "dsn failed");
	REQUIRE(gw_store_notices_untracked(st, 10, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(rows[0].txid, n3);
	gw_store_injobs_free(rows, n);
	/* A step that changes nothing marks its notice "ignored". */
	CHECK_INT(step(st, txid, A, "sent", "processed", false, false,
		       "mdn processed", n3, now + 6, &e),
		  GW_EEXISTS);
	snprintf(q, sizeof(q), "SELECT tracked FROM inbound WHERE txid = '%s'",
		 n3);
	raw_text(&v, q, buf, sizeof(buf));
	CHECK_STR(buf, "ignored");
	REQUIRE(gw_store_notices_untracked(st, 10, &rows, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(rows, n);

	/* Not a notice: refused, and a step naming one is undone whole. */
	CHECK_INT(gw_store_notice_tracked(st, msg, "unrelated", &e),
		  GW_ENOTFOUND);
	CHECK_INT(gw_store_notice_tracked(st, "nope", "unrelated", &e),
		  GW_ENOTFOUND);
	CHECK_INT(step(st, txid, B, "sent", "processed", false, false,
		       "mdn processed", "nope", now + 7, &e),
		  GW_ENOTFOUND);
	history(st, txid, B, buf, sizeof(buf));
	CHECK_STR(buf, "sent");
	{
		struct gw_store_trackrow *r =
		    find(st, "<n@hosp.example.org>", B);

		REQUIRE(r != NULL);
		CHECK_STR(r->state, "sent");
		gw_store_trackrows_free(r, 1);
	}
	gw_store_close(st);
}

GW_TEST(storetrack_rejects_bad_arguments)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_store_injob *in = NULL;
	struct gw_store_event *ev = NULL;
	struct gw_store *st;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 7;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	CHECK_INT(gw_store_track_find(st, NULL, A, &rows, &e), GW_ERROR);
	CHECK_INT(gw_store_track_find(st, "<m@x>", "", &rows, &e), GW_ERROR);
	CHECK_INT(gw_store_track_list(st, "", &rows, &n, &e), GW_ERROR);
	CHECK(rows == NULL && n == 0);
	CHECK_INT(gw_store_track_history(st, "t", NULL, &ev, &n, &e), GW_ERROR);
	CHECK_INT(gw_store_track_set(st, NULL, 1, &e), GW_ERROR);
	CHECK_INT(step(st, "t", A, "sent", "delivered", false, false, "x", NULL,
		       1, &e),
		  GW_ERROR);
	CHECK(strstr(e.msg, "delivered") != NULL);
	CHECK_INT(
	    step(st, "t", A, NULL, "sent", false, false, "x", NULL, 1, &e),
	    GW_ERROR);
	CHECK_INT(step(st, "t", A, "sent", "processed", false, false, NULL,
		       NULL, 1, &e),
		  GW_ERROR);
	CHECK_INT(
	    step(st, "t", A, "sent", "processed", false, false, "x", "", 1, &e),
	    GW_ERROR);
	{
		char *big = malloc(GW_STORE_FIELD_MAX + 2);

		REQUIRE(big != NULL);
		memset(big, 'x', GW_STORE_FIELD_MAX + 1);
		big[GW_STORE_FIELD_MAX + 1] = '\0';
		CHECK_INT(step(st, "t", A, "sent", "processed", false, false,
			       big, NULL, 1, &e),
			  GW_ELIMIT);
		free(big);
	}
	CHECK_INT(gw_store_notice_tracked(st, "t", NULL, &e), GW_ERROR);
	CHECK_INT(gw_store_notice_tracked(st, NULL, "x", &e), GW_ERROR);
	CHECK_INT(gw_store_ehr_claim(st, 1, 0, 8, &rows, &n, &e), GW_ELIMIT);
	CHECK_INT(gw_store_ehr_claim(st, 1, 60, 0, &rows, &n, &e), 0);
	CHECK(rows == NULL && n == 0);
	CHECK_INT(gw_store_ehr_result(st, "t", A, "done", 0, NULL, &e),
		  GW_ERROR);
	CHECK_INT(gw_store_ehr_result(st, "t", A, NULL, 0, NULL, &e), GW_ERROR);
	CHECK_INT(gw_store_notices_untracked(st, 0, &in, &n, &e), 0);
	CHECK(in == NULL && n == 0);
	{
		struct gw_store_job j = {.id = 1};
		struct gw_store_rcpt_result r = {
		    .address = A, .outcome = (enum gw_rcpt_outcome)9};

		CHECK_INT(gw_store_job_result(st, &j, &r, 1, 0, NULL, &e),
			  GW_ERROR);
	}
	gw_store_trackrows_free(NULL, 0);
	gw_store_events_free(NULL, 0);
	gw_store_close(st);
}

GW_TEST(storetrack_reopen_keeps_everything)
{
	struct gw_store_trackrow *rows = NULL, *r = NULL;
	struct gw_store_injob *in = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], nt[GW_STORE_TXID_LEN], buf[256];
	long long now = 7000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;
	long audit = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_sub(st, "urn:uuid:r", abc, 3, NULL, txid, &e) == 0);
	{
		struct gw_store_rcpt_fail f = {.address = C, .reason = "5.7.0"};

		REQUIRE(queue_sub(st, txid, "<r@hosp.example.org>", ab, 2, true,
				  &f, 1, now, &e) == 0);
	}
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = A, .outcome = GW_RCPT_SENT, .reason = "250"},
		    {.address = B, .outcome = GW_RCPT_SENT, .reason = "250"},
		};

		REQUIRE(send_job(st, now, res, 2, &e) == 0);
	}
	REQUIRE(accept_in(st, "mdn", now, nt, &e) == 0);
	REQUIRE(step(st, txid, A, "sent", "processed", false, false,
		     "mdn processed", nt, now + 1, &e) == 0);
	REQUIRE(gw_store_ehr_claim(st, now, 60, 8, &rows, &n, &e) == 0);
	REQUIRE(n == 1); /* C */
	gw_store_trackrows_free(rows, n);
	gw_store_close(st);

	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE((r = find(st, "<r@hosp.example.org>", A)) != NULL);
	CHECK_STR(r->state, "processed");
	CHECK(r->final_delivery && !r->final && r->sent_at > 0);
	gw_store_trackrows_free(r, 1);
	history(st, txid, A, buf, sizeof(buf));
	CHECK_STR(buf, "sent | mdn processed");
	history(st, txid, C, buf, sizeof(buf));
	CHECK_STR(buf, "failed");
	REQUIRE(gw_store_track_list(st, txid, &rows, &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(rows[2].ehr_state, "owed");
	CHECK_INT(rows[2].ehr_attempts, 1);
	CHECK_INT(rows[2].ehr_next_at, now + 60); /* still leased */
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_ehr_claim(st, now + 60, 60, 8, &rows, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(rows[0].ehr_attempts, 2);
	gw_store_trackrows_free(rows, n);
	REQUIRE(gw_store_notices_untracked(st, 10, &in, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(in, n);
	CHECK_INT(gw_store_audit_verify(st, &audit, &e), 0);
	CHECK_INT(audit, 1);
	gw_store_close(st);
	raw_text(&v, "PRAGMA integrity_check", buf, sizeof(buf));
	CHECK_STR(buf, "ok");
	raw_text(&v, "SELECT count(*) FROM pragma_foreign_key_check", buf,
		 sizeof(buf));
	CHECK_STR(buf, "0");
}

/*
 * A database as dxgw left it at schema version 5 (migrations 1 to 5,
 * frozen here): a submission whose recipients were failed, sent, sent
 * at a time that does not parse, and queued on a claimed job; a
 * received MDN; and an audit row.
 */
static const char v5_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1), (2), (3), (4), (5);"
    "CREATE TABLE submissions ("
    " txid TEXT PRIMARY KEY, client TEXT NOT NULL, client_cert TEXT,"
    " peer TEXT, message_id TEXT NOT NULL, ss_unique_id TEXT,"
    " sender TEXT, metadata_level TEXT, metadata BLOB,"
    " received_at TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'accepted',"
    " UNIQUE (client, message_id));"
    "CREATE INDEX submissions_state ON submissions (state);"
    "CREATE TABLE documents ("
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, entry_id TEXT, unique_id TEXT, mime_type TEXT,"
    " path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,"
    " sha1 TEXT NOT NULL, PRIMARY KEY (txid, seq));"
    "CREATE TABLE recipients ("
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " address TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued',"
    " updated_at TEXT NOT NULL, PRIMARY KEY (txid, address));"
    "CREATE INDEX recipients_state ON recipients (state, updated_at);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL,"
    " txid TEXT, client TEXT, client_cert TEXT, peer TEXT,"
    " message_id TEXT, outcome TEXT NOT NULL, detail TEXT,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_txid ON audit (txid);"
    "ALTER TABLE submissions ADD COLUMN final_delivery INTEGER NOT NULL"
    " DEFAULT 0;"
    "ALTER TABLE submissions ADD COLUMN relates_to TEXT;"
    "ALTER TABLE recipients ADD COLUMN job INTEGER;"
    "ALTER TABLE recipients ADD COLUMN reason TEXT;"
    "CREATE INDEX recipients_job ON recipients (job) WHERE job IS NOT NULL;"
    "CREATE TABLE addresses ("
    " address TEXT PRIMARY KEY, url TEXT NOT NULL, cert TEXT, ca TEXT,"
    " active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE inbound ("
    " txid TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
    " session TEXT NOT NULL, peer TEXT NOT NULL, mail_from TEXT NOT NULL,"
    " sender TEXT NOT NULL, message_id TEXT, subject TEXT,"
    " wants_final INTEGER NOT NULL DEFAULT 0,"
    " processed_sent INTEGER NOT NULL DEFAULT 0, signers TEXT,"
    " path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " claimed INTEGER NOT NULL DEFAULT 0, received_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " last_error TEXT);"
    "CREATE INDEX inbound_due ON inbound (state, next_at);"
    "CREATE TABLE inbound_rcpts ("
    " txid TEXT NOT NULL REFERENCES inbound (txid) ON DELETE CASCADE,"
    " address TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued',"
    " reason TEXT, notified INTEGER NOT NULL DEFAULT 0,"
    " updated_at TEXT NOT NULL, PRIMARY KEY (txid, address));"
    "CREATE TABLE outbound ("
    " id INTEGER PRIMARY KEY,"
    " txid TEXT REFERENCES submissions (txid) ON DELETE CASCADE,"
    " domain TEXT NOT NULL, message_id TEXT NOT NULL,"
    " mail_from TEXT NOT NULL, path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'queued',"
    " claimed INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " inbound TEXT REFERENCES inbound (txid) ON DELETE CASCADE,"
    " rcpt TEXT, rcpt_state TEXT, rcpt_reason TEXT,"
    " UNIQUE (txid, domain),"
    " CHECK ((txid IS NULL) <> (inbound IS NULL)),"
    " CHECK (inbound IS NULL OR (rcpt IS NOT NULL AND"
    " rcpt_state IS NOT NULL)));"
    "CREATE INDEX outbound_due ON outbound (state, next_at);"
    "CREATE INDEX outbound_inbound ON outbound (inbound)"
    " WHERE inbound IS NOT NULL;";
static const char v5_rows[] =
    "INSERT INTO submissions (txid, client, message_id, sender,"
    " received_at, state) VALUES ('t-old', 'CN=ehr1', 'urn:uuid:old',"
    " 'ehr@hosp.example.org', '2026-01-01T00:00:00.000Z', 'queued');"
    "INSERT INTO outbound (id, txid, domain, message_id, mail_from, path,"
    " size, claimed, attempts, created_at, next_at, expires_at)"
    " VALUES (7, 't-old', 'direct.example.org', '<old@hosp.example.org>',"
    " 'ehr@hosp.example.org', 'doc/old-job', 4, 1, 1, 100, 700, 90000);"
    "INSERT INTO recipients (txid, address, state, updated_at, job, reason)"
    " VALUES ('t-old', 'a@direct.example.org', 'failed',"
    " '2026-01-01T00:00:00.000Z', NULL, '5.7.0 no certificate'),"
    " ('t-old', 'b@direct.example.org', 'sent',"
    " '2026-01-02T00:00:00.500Z', 7, '250 ok'),"
    " ('t-old', 'c@direct.example.org', 'queued', 'x', 7, NULL),"
    " ('t-old', 'd@direct.example.org', 'sent', 'x', 7, '250 ok');"
    "INSERT INTO inbound (txid, kind, state, session, peer, mail_from,"
    " sender, message_id, path, size, received_at, next_at, expires_at)"
    " VALUES ('n-old', 'mdn', 'notice', 's', '192.0.2.1:25', '',"
    " 'b@direct.example.org', '<mdn-old@direct.example.org>',"
    " 'doc/old-mdn', 4, 500, 500, 90000);"
    "INSERT INTO inbound_rcpts (txid, address, updated_at) VALUES"
    " ('n-old', 'ehr@hosp.example.org', 'x');";

/* An empty file at <spool>/doc/name. */
static int
mkspool(const struct gw_fix_env *v, const char *name)
{
	char p[600];
	FILE *fp;

	snprintf(p, sizeof(p), "%s", v->spool);
	if (mkdir(p, 0700) < 0 && access(p, F_OK) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/doc", v->spool);
	if (mkdir(p, 0700) < 0 && access(p, F_OK) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/doc/%s", v->spool, name);
	if ((fp = fopen(p, "w")) == NULL)
		return -1;
	fputs("old\n", fp);
	return fclose(fp);
}

GW_TEST(storetrack_migrates_v5_database)
{
	struct gw_store_trackrow *rows = NULL, *r = NULL;
	struct gw_store_injob *in = NULL;
	struct gw_store_job *out = NULL;
	struct gw_store *st;
	char buf[256], plan[1024];
	long long before = (long long)time(NULL);
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE(raw_exec(&v, v5_schema) == SQLITE_OK);
	REQUIRE(raw_exec(&v, v5_rows) == SQLITE_OK);
	REQUIRE(mkspool(&v, "old-job") == 0);
	REQUIRE(mkspool(&v, "old-mdn") == 0);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);

	REQUIRE(gw_store_track_list(st, "t-old", &rows, &n, &e) == 0);
	REQUIRE(n == 4);
	/* Failed: final since it was last updated; nothing owed. */
	CHECK_STR(rows[0].state, "failed");
	CHECK(rows[0].final);
	CHECK_INT(rows[0].final_at, 1767225600);
	CHECK(rows[0].ehr_state == NULL);
	CHECK_STR(rows[0].reason, "5.7.0 no certificate");
	CHECK(rows[0].message_id == NULL);
	/* Sent: then, not final. */
	CHECK_STR(rows[1].state, "sent");
	CHECK(!rows[1].final);
	CHECK_INT(rows[1].sent_at, 1767312000);
	CHECK_INT(rows[1].final_at, 0);
	CHECK_STR(rows[1].message_id, "<old@hosp.example.org>");
	CHECK(!rows[1].final_delivery);
	CHECK_STR(rows[1].sender, SENDER);
	CHECK_STR(rows[1].wsa_message_id, "urn:uuid:old");
	CHECK_STR(rows[2].state, "queued");
	CHECK(!rows[2].final && rows[2].sent_at == 0);
	CHECK_INT(rows[3].sent_at, 0); /* 'x' does not parse */
	gw_store_trackrows_free(rows, n);
	REQUIRE((r = find(st, "<old@hosp.example.org>",
			  "b@direct.example.org")) != NULL);
	CHECK_STR(r->txid, "t-old");
	gw_store_trackrows_free(r, 1);
	/* Overdue: the one sent at 0 first. */
	REQUIRE(gw_store_track_overdue(st, 1767312000, 10, &rows, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(rows[0].address, "d@direct.example.org");
	CHECK_STR(rows[1].address, "b@direct.example.org");
	gw_store_trackrows_free(rows, n);
	/* The old notice waits for the tracking. */
	REQUIRE(gw_store_notices_untracked(st, 10, &in, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(in[0].txid, "n-old");
	CHECK(access(in[0].path, R_OK) == 0);
	gw_store_injobs_free(in, n);
	/* The old job goes on, and now keeps the tracking data. */
	REQUIRE(gw_store_leases_reset(st, 700, &e) == 0);
	REQUIRE(gw_store_jobs_claim(st, 700, 600, 8, &out, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(out[0].id, 7);
	REQUIRE(out[0].nrcpts == 1);
	{
		struct gw_store_rcpt_result res = {.address =
						       "c@direct.example.org",
						   .outcome = GW_RCPT_FAILED,
						   .reason = "550 gone"};

		CHECK_INT(
		    gw_store_job_result(st, &out[0], &res, 1, 0, NULL, &e), 0);
	}
	gw_store_jobs_free(out, n);
	REQUIRE(gw_store_ehr_claim(st, (long long)time(NULL), 60, 8, &rows, &n,
				   &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(rows[0].address, "c@direct.example.org");
	CHECK(rows[0].final && rows[0].final_at >= before);
	gw_store_trackrows_free(rows, n);
	history(st, "t-old", "c@direct.example.org", buf, sizeof(buf));
	CHECK_STR(buf, "failed");
	gw_store_close(st);

	raw_text(&v, "SELECT max(version) FROM schema_version", buf,
		 sizeof(buf));
	CHECK_STR(buf, "6");
	raw_text(&v, "PRAGMA integrity_check", buf, sizeof(buf));
	CHECK_STR(buf, "ok");
	raw_text(&v, "SELECT count(*) FROM pragma_foreign_key_check", buf,
		 sizeof(buf));
	CHECK_STR(buf, "0");
	raw_text(&v,
		 "SELECT count(*) FROM sqlite_master WHERE name IN"
		 " ('rcpt_events_rcpt', 'recipients_overdue',"
		 " 'recipients_ehr', 'outbound_message_id',"
		 " 'inbound_untracked')",
		 buf, sizeof(buf));
	CHECK_STR(buf, "5");
	/* The lookups the tracking polls use their indexes. */
	raw_all(&v,
		"EXPLAIN QUERY PLAN SELECT r.address FROM outbound o JOIN"
		" recipients r ON r.txid = o.txid AND r.job = o.id"
		" WHERE o.message_id = 'm' AND r.address = 'a'",
		3, plan, sizeof(plan));
	CHECK(strstr(plan, "outbound_message_id") != NULL);
	raw_all(&v,
		"EXPLAIN QUERY PLAN SELECT txid FROM inbound WHERE kind IN"
		" ('mdn', 'dsn') AND tracked IS NULL ORDER BY received_at,"
		" rowid LIMIT 5",
		3, plan, sizeof(plan));
	CHECK(strstr(plan, "inbound_untracked") != NULL);
	raw_all(&v,
		"EXPLAIN QUERY PLAN SELECT txid FROM recipients WHERE"
		" ehr_state = 'owed' AND ehr_next_at <= 5",
		3, plan, sizeof(plan));
	CHECK(strstr(plan, "recipients_ehr") != NULL);
	raw_all(&v,
		"EXPLAIN QUERY PLAN SELECT txid FROM recipients WHERE"
		" final = 0 AND state IN ('sent', 'processed') AND"
		" sent_at <= 5",
		3, plan, sizeof(plan));
	CHECK(strstr(plan, "recipients_overdue") != NULL);
	/* History rows belong to a recipient. */
	CHECK(raw_exec(&v, "PRAGMA foreign_keys=ON; INSERT INTO rcpt_events"
			   " (txid, address, at, event) VALUES ('t-old',"
			   " 'zz@direct.example.org', 1, 'x')") != SQLITE_OK);
	/* A reopen migrates nothing. */
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	gw_store_close(st);
	raw_text(&v, "SELECT count(*) FROM schema_version", buf, sizeof(buf));
	CHECK_STR(buf, "6");
}
