/*
 * Unit tests for the store's inbound leg (schema version 5): accept,
 * claim and result of inbound messages, the notification jobs they
 * queue in the outbound queue, the done rule (every recipient final and
 * notified), lease reset, notices that are never claimed, the audit
 * chain, argument checks, files back in tmp/ after a failure, reopen,
 * and the migration of a version 4 database with a queued job.
 */
#include "harness.h"
#include "storefix.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"
#include "store.h"

#define LIFE 86400

static const char *const rcpts[] = {
    "dr.a@direct.example.org", "dr.b@direct.example.org",
    "dr.a@direct.example.org", /* a duplicate: collapses */
};

static const char inner[] = "From: sender@hisp.example.net\r\n"
			    "Subject: referral\r\n\r\nbody\r\n";

/* A message of kind accepted at now; *f is the caller's to discard. */
static int
accept_msg(struct gw_store *st, const char *kind, long long now,
	   const struct gw_audit_event *audit, struct gw_spool_file **f,
	   char txid[GW_STORE_TXID_LEN], struct gw_err *e)
{
	struct gw_store_inmsg m = {
	    .session = "s-1",
	    .peer = "192.0.2.7:2525",
	    .mail_from = "sender@hisp.example.net",
	    .sender = "sender@hisp.example.net",
	    .message_id = "<m1@hisp.example.net>",
	    .subject = "referral",
	    .kind = kind,
	    .wants_final = true,
	    .signers = "ab12 cd34",
	    .rcpts = rcpts,
	    .nrcpts = 3,
	    .audit = audit,
	};

	if ((*f = m.file = gw_fix_spool_file(st, inner)) == NULL)
		return -1;
	return gw_store_inbound_accept(st, &m, now, LIFE, txid, e);
}

/* One row, one text column; "" when there is none. */
static void
raw_text(const struct gw_fix_env *v, const char *sql, const char *arg,
	 char *out, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	if (sqlite3_open(v->db + 7, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (arg != NULL)
			sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_text(s, 0) != NULL)
			snprintf(out, n, "%s", sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int
raw_exec(const struct gw_fix_env *v, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(v->db + 7, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static const struct gw_store_inrcpt *
find_rcpt(const struct gw_store_injob *j, const char *address)
{
	for (size_t i = 0; i < j->nrcpts; i++)
		if (strcmp(j->rcpts[i].address, address) == 0)
			return &j->rcpts[i];
	return NULL;
}

/* The MDN to the original sender, as a notice to queue. */
static struct gw_store_notice
notice_for(struct gw_spool_file *f, const char *mdn_id)
{
	struct gw_store_notice o = {.domain = "hisp.example.net",
				    .message_id = mdn_id,
				    .mail_from = "",
				    .rcpt = "sender@hisp.example.net",
				    .file = f};

	return o;
}

GW_TEST(storein_accept_claim_result_notice_job)
{
	struct gw_store_injob *jobs = NULL, *got = NULL;
	struct gw_store_job *out = NULL;
	struct gw_spool_file *f = NULL, *mdn = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], buf[256];
	long long now = 1000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_msg(st, "message", now, NULL, &f, txid, &e) == 0);
	CHECK_INT(strlen(txid), 36);
	CHECK(strstr(gw_spool_file_path(f), "/spool/doc/") != NULL);
	gw_spool_file_discard(f); /* only the handle: the store has it */

	/* What accept stored. */
	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK_STR(got->txid, txid);
	CHECK_STR(got->kind, "message");
	CHECK_STR(got->state, "accepted");
	CHECK_STR(got->session, "s-1");
	CHECK_STR(got->peer, "192.0.2.7:2525");
	CHECK_STR(got->mail_from, "sender@hisp.example.net");
	CHECK_STR(got->sender, "sender@hisp.example.net");
	CHECK_STR(got->message_id, "<m1@hisp.example.net>");
	CHECK_STR(got->subject, "referral");
	CHECK(got->wants_final && !got->processed_sent);
	CHECK_INT(got->size, strlen(inner));
	CHECK_INT(got->attempts, 0);
	CHECK_INT(got->received_at, now);
	CHECK_INT(got->expires_at, now + LIFE);
	CHECK(got->last_error == NULL);
	CHECK(strstr(got->path, "/spool/doc/") != NULL);
	CHECK(access(got->path, R_OK) == 0);
	REQUIRE(got->nrcpts == 2); /* the duplicate collapsed */
	CHECK_STR(got->rcpts[0].address, "dr.a@direct.example.org");
	CHECK_STR(got->rcpts[1].address, "dr.b@direct.example.org");
	CHECK_STR(got->rcpts[1].state, "queued");
	CHECK(got->rcpts[1].reason == NULL && !got->rcpts[1].notified);
	gw_store_injobs_free(got, 1);
	raw_text(&v, "SELECT signers FROM inbound WHERE txid = ?1", txid, buf,
		 sizeof(buf));
	CHECK_STR(buf, "ab12 cd34");

	/* Claimed once, with attempts counting this one. */
	REQUIRE(gw_store_inbound_claim(st, now, 300, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(jobs[0].txid, txid);
	CHECK_INT(jobs[0].attempts, 1);
	CHECK_INT(jobs[0].nrcpts, 2);
	{
		struct gw_store_injob *again = NULL;
		size_t n2 = 9;

		REQUIRE(gw_store_inbound_claim(st, now + 299, 300, 8, &again,
					       &n2, &e) == 0);
		CHECK_INT(n2, 0);
		gw_store_injobs_free(again, n2);
	}

	/* Attempt 1: A delivered and notified, B waits; a processed MDN. */
	REQUIRE((mdn = gw_fix_spool_file(st, "MDN processed\r\n")) != NULL);
	{
		struct gw_store_notice o = notice_for(mdn, "<mdn1@us>");
		struct gw_store_inresult res[2] = {
		    {.address = "dr.a@direct.example.org",
		     .outcome = GW_IN_DELIVERED,
		     .notified = true},
		    {.address = "dr.b@direct.example.org",
		     .outcome = GW_IN_QUEUED,
		     .reason = "EHR answered 503"},
		};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], true, res, 2,
						  &o, 1, now, LIFE, now + 60,
						  "EHR busy", &e),
			  0);
	}
	CHECK(strstr(gw_spool_file_path(mdn), "/spool/doc/") != NULL);
	gw_spool_file_discard(mdn);
	gw_store_injobs_free(jobs, n);

	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK_STR(got->state, "accepted");
	CHECK(got->processed_sent);
	CHECK_STR(got->last_error, "EHR busy");
	CHECK_STR(got->rcpts[0].state, "delivered");
	CHECK(got->rcpts[0].notified);
	CHECK_STR(got->rcpts[1].state, "queued");
	CHECK_STR(got->rcpts[1].reason, "EHR answered 503");
	CHECK(!got->rcpts[1].notified);
	gw_store_injobs_free(got, 1);

	/* The MDN is an outbound job: notice, the inbound txid, one rcpt. */
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &out, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK(out[0].notice);
	CHECK_STR(out[0].txid, txid);
	CHECK_STR(out[0].domain, "hisp.example.net");
	CHECK_STR(out[0].message_id, "<mdn1@us>");
	CHECK_STR(out[0].mail_from, "");
	CHECK_INT(out[0].attempts, 1);
	CHECK_INT(out[0].created_at, now);
	CHECK_INT(out[0].expires_at, now + LIFE);
	CHECK(access(out[0].path, R_OK) == 0);
	REQUIRE(out[0].nrcpts == 1);
	CHECK_STR(out[0].rcpts[0], "sender@hisp.example.net");
	{
		struct gw_store_rcpt_result r = {.address =
						     "sender@hisp.example.net",
						 .outcome = GW_RCPT_DEFERRED,
						 .reason = "451 4.3.0 later"};

		CHECK_INT(gw_store_job_result(st, &out[0], &r, 1, now + 30,
					      "451", &e),
			  0);
	}
	gw_store_jobs_free(out, n);
	raw_text(&v, "SELECT rcpt_state || ' ' || rcpt_reason FROM outbound",
		 NULL, buf, sizeof(buf));
	CHECK_STR(buf, "queued 451 4.3.0 later");
	REQUIRE(gw_store_jobs_claim(st, now + 30, 600, 8, &out, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK(out[0].notice);
	CHECK_INT(out[0].attempts, 2);
	REQUIRE(out[0].nrcpts == 1);
	{
		struct gw_store_rcpt_result r = {.address =
						     "sender@hisp.example.net",
						 .outcome = GW_RCPT_SENT,
						 .reason = "250 2.0.0 ok"};

		CHECK_INT(
		    gw_store_job_result(st, &out[0], &r, 1, now + 90, NULL, &e),
		    0);
	}
	gw_store_jobs_free(out, n);
	/* Sent: the notification job is finished. */
	REQUIRE(gw_store_jobs_claim(st, now + 100000, 600, 8, &out, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(out, n);
	raw_text(&v,
		 "SELECT state || ' ' || rcpt_state || ' ' || rcpt_reason ||"
		 " ' ' || inbound FROM outbound",
		 NULL, buf, sizeof(buf));
	{
		char want[256];

		snprintf(want, sizeof(want), "done sent 250 2.0.0 ok %s", txid);
		CHECK(strcmp(buf, want) == 0);
	}

	/* Not before next_at; then attempt 2. */
	REQUIRE(gw_store_inbound_claim(st, now + 59, 300, 8, &jobs, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_inbound_claim(st, now + 60, 300, 8, &jobs, &n, &e) ==
		0);
	REQUIRE(n == 1);
	CHECK_INT(jobs[0].attempts, 2);
	CHECK(jobs[0].processed_sent);
	REQUIRE(jobs[0].nrcpts == 2); /* every recipient, with its state */
	CHECK_STR(find_rcpt(&jobs[0], "dr.a@direct.example.org")->state,
		  "delivered");
	gw_store_injobs_free(jobs, n);
	gw_store_close(st);
}

GW_TEST(storein_done_only_when_final_and_notified)
{
	struct gw_store_injob *jobs = NULL, *got = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN];
	long long now = 2000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_msg(st, "message", now, NULL, &f, txid, &e) == 0);
	gw_spool_file_discard(f);
	REQUIRE(gw_store_inbound_claim(st, now, 300, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	{
		/* Both final, one not yet notified: not done. */
		struct gw_store_inresult res[2] = {
		    {.address = "dr.a@direct.example.org",
		     .outcome = GW_IN_DELIVERED,
		     .notified = true},
		    {.address = "dr.b@direct.example.org",
		     .outcome = GW_IN_FAILED,
		     .reason = "no such patient"},
		};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], false, res, 2,
						  NULL, 0, now, LIFE, now + 10,
						  NULL, &e),
			  0);
	}
	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK_STR(got->state, "accepted");
	CHECK(!got->processed_sent);
	CHECK_STR(got->rcpts[1].state, "failed");
	CHECK_STR(got->rcpts[1].reason, "no such patient");
	gw_store_injobs_free(got, 1);
	{
		/*
		 * A final recipient keeps its state and reason whatever an
		 * attempt says; notified is set and never cleared.
		 */
		struct gw_store_inresult res[2] = {
		    {.address = "dr.a@direct.example.org",
		     .outcome = GW_IN_FAILED,
		     .reason = "too late",
		     .notified = false},
		    {.address = "dr.b@direct.example.org",
		     .outcome = GW_IN_DELIVERED,
		     .reason = "what",
		     .notified = false},
		};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], false, res, 2,
						  NULL, 0, now, LIFE, now + 20,
						  NULL, &e),
			  0);
	}
	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK_STR(got->state, "accepted");
	CHECK_STR(got->rcpts[0].state, "delivered");
	CHECK(got->rcpts[0].reason == NULL && got->rcpts[0].notified);
	CHECK_STR(got->rcpts[1].state, "failed");
	CHECK_STR(got->rcpts[1].reason, "no such patient");
	CHECK(!got->rcpts[1].notified);
	gw_store_injobs_free(got, 1);
	{
		/* The failed one's MDN is queued: now every one is done. */
		struct gw_store_inresult r = {.address =
						  "dr.b@direct.example.org",
					      .outcome = GW_IN_QUEUED,
					      .notified = true};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], true, &r, 1,
						  NULL, 0, now, LIFE, now + 30,
						  "last word", &e),
			  0);
	}
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK_STR(got->state, "done");
	CHECK(got->processed_sent && got->rcpts[1].notified);
	CHECK_STR(got->rcpts[1].state, "failed");
	CHECK_STR(got->last_error, "last word");
	gw_store_injobs_free(got, 1);
	/* Done is never claimed, not even after a lease reset. */
	REQUIRE(gw_store_leases_reset(st, now + 1000, &e) == 0);
	REQUIRE(gw_store_inbound_claim(st, now + 100000, 300, 8, &jobs, &n,
				       &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);
	gw_store_close(st);
}

GW_TEST(storein_lease_reset_after_restart)
{
	struct gw_store_injob *jobs = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], path[1024];
	long long now = 3000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_msg(st, "message", now, NULL, &f, txid, &e) == 0);
	gw_spool_file_discard(f);
	REQUIRE(gw_store_inbound_claim(st, now, 300, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	snprintf(path, sizeof(path), "%s", jobs[0].path);
	gw_store_injobs_free(jobs, n);
	/* "Crash" while claimed; the sweep at open keeps the file. */
	gw_store_close(st);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	CHECK(access(path, R_OK) == 0);
	REQUIRE(gw_store_inbound_claim(st, now + 1, 300, 8, &jobs, &n, &e) ==
		0);
	CHECK_INT(n, 0); /* still leased */
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_leases_reset(st, now + 1, &e) == 0);
	REQUIRE(gw_store_inbound_claim(st, now + 1, 300, 8, &jobs, &n, &e) ==
		0);
	REQUIRE(n == 1);
	CHECK_STR(jobs[0].txid, txid);
	CHECK_INT(jobs[0].attempts, 2);
	CHECK(strcmp(jobs[0].path, path) == 0);
	gw_store_injobs_free(jobs, n);
	gw_store_close(st);
}

GW_TEST(storein_mdn_is_a_notice_never_claimed)
{
	struct gw_store_injob *jobs = NULL, *got = NULL;
	struct gw_spool_file *f = NULL, *g = NULL;
	struct gw_store *st;
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN];
	long long now = 4000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_msg(st, "mdn", now, NULL, &f, t1, &e) == 0);
	REQUIRE(accept_msg(st, "dsn", now + 1, NULL, &g, t2, &e) == 0);
	gw_spool_file_discard(f);
	gw_spool_file_discard(g);
	REQUIRE(gw_store_inbound_get(st, t1, &got, &e) == 0);
	CHECK_STR(got->kind, "mdn");
	CHECK_STR(got->state, "notice");
	CHECK_INT(got->nrcpts, 2);
	gw_store_injobs_free(got, 1);
	REQUIRE(gw_store_inbound_claim(st, now + 100000, 300, 8, &jobs, &n,
				       &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_leases_reset(st, now, &e) == 0);
	REQUIRE(gw_store_inbound_claim(st, now + 100000, 300, 8, &jobs, &n,
				       &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);
	{
		/* A notice takes no processing result. */
		struct gw_store_injob j = {.txid = t1};

		CHECK_INT(gw_store_inbound_result(st, &j, true, NULL, 0, NULL,
						  0, now, LIFE, now, NULL, &e),
			  GW_ERROR);
	}
	/* Listed, newest first. */
	REQUIRE(gw_store_inbound_list(st, 10, &jobs, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(jobs[0].txid, t2);
	CHECK_STR(jobs[0].kind, "dsn");
	CHECK_STR(jobs[1].txid, t1);
	CHECK(!jobs[1].processed_sent);
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_inbound_list(st, 1, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(jobs[0].txid, t2);
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_inbound_list(st, 0, &jobs, &n, &e) == 0);
	CHECK(n == 0 && jobs == NULL);
	gw_store_close(st);
}

GW_TEST(storein_audit_row_in_the_chain)
{
	struct gw_audit_event ev = {.event = "smtp.accepted",
				    .peer = "192.0.2.7:2525",
				    .message_id = "<m1@hisp.example.net>",
				    .outcome = "success",
				    .detail = "rcpts=2"};
	struct gw_audit_event plain = {.event = "smtp.rejected",
				       .outcome = "failure"};
	struct gw_spool_file *f = NULL, *g = NULL;
	struct gw_store *st;
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN], buf[128];
	struct gw_err e;
	struct gw_fix_env v;
	long rows = -1;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(gw_store_audit_add(st, &plain, &e) == 0);
	REQUIRE(accept_msg(st, "message", 10, &ev, &f, t1, &e) == 0);
	REQUIRE(gw_store_audit_add(st, &plain, &e) == 0);
	REQUIRE(accept_msg(st, "mdn", 11, &ev, &g, t2, &e) == 0);
	gw_spool_file_discard(f);
	gw_spool_file_discard(g);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 4);
	gw_store_close(st);
	raw_text(&v, "SELECT txid FROM audit WHERE id = 2", NULL, buf,
		 sizeof(buf));
	CHECK_STR(buf, t1);
	raw_text(&v, "SELECT event FROM audit WHERE txid = ?1", t2, buf,
		 sizeof(buf));
	CHECK_STR(buf, "smtp.accepted");
	/* The chain goes on after a reopen. */
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(gw_store_audit_add(st, &plain, &e) == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 5);
	gw_store_close(st);
}

GW_TEST(storein_rejects_bad_input)
{
	static const char *const one[] = {"dr.a@direct.example.org"};
	static char long_s[GW_STORE_FIELD_MAX + 2];
	struct gw_audit_event bad_ev = {.event = "smtp.accepted"};
	struct gw_store_injob *got = NULL, *jobs = NULL;
	struct gw_spool_file *f = NULL, *open_f = NULL;
	struct gw_store *st;
	struct gw_store_inmsg m = {
	    .session = "s",
	    .peer = "192.0.2.1:1",
	    .mail_from = "",
	    .sender = "x@hisp.example.net",
	    .kind = "message",
	    .rcpts = one,
	    .nrcpts = 1,
	};
	char txid[GW_STORE_TXID_LEN];
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	memset(long_s, 'x', sizeof(long_s) - 1);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE((f = gw_fix_spool_file(st, inner)) != NULL);
	REQUIRE(gw_spool_file_new(gw_store_spool(st), &open_f, &e) == 0);
	m.file = f;

	m.kind = NULL;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	CHECK(e.status[0] == '5' && !e.temp);
	CHECK_STR(txid, "");
	m.kind = "letter";
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.kind = "message";
	m.mail_from = NULL;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.mail_from = "";
	m.sender = NULL;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.sender = "x@hisp.example.net";
	m.subject = long_s;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e),
		  GW_ELIMIT);
	CHECK(e.status[0] == '5');
	m.subject = NULL;
	m.nrcpts = 0;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.nrcpts = GW_STORE_RCPTS_MAX + 1;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e),
		  GW_ELIMIT);
	m.nrcpts = 1;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, 0, txid, &e), GW_ELIMIT);
	m.file = open_f; /* not finished */
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.file = NULL;
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.file = f;
	m.audit = &bad_ev; /* no outcome */
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), GW_ERROR);
	m.audit = NULL;
	/* Nothing was written, the file was never touched. */
	CHECK(strstr(gw_spool_file_path(f), "/tmp/") != NULL);
	REQUIRE(gw_store_inbound_list(st, 10, &jobs, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);

	CHECK_INT(gw_store_inbound_get(st, "", &got, &e), GW_ERROR);
	CHECK_INT(gw_store_inbound_get(st, "nope", &got, &e), GW_ENOTFOUND);
	CHECK(got == NULL);
	{
		struct gw_store_injob j = {.txid = "nope"};
		struct gw_store_inresult r = {.address = "a@b.example",
					      .outcome = (enum gw_in_outcome)7};
		struct gw_store_notice o = notice_for(open_f, "<x@us>");

		CHECK_INT(gw_store_inbound_result(st, &j, false, NULL, 0, NULL,
						  0, 1, LIFE, 2, NULL, &e),
			  GW_ENOTFOUND);
		CHECK_INT(gw_store_inbound_result(st, &j, false, &r, 1, NULL, 0,
						  1, LIFE, 2, NULL, &e),
			  GW_ERROR);
		CHECK_INT(gw_store_inbound_result(st, &j, false, NULL, 0, &o, 1,
						  1, LIFE, 2, NULL, &e),
			  GW_ERROR);
		o.file = f;
		CHECK_INT(gw_store_inbound_result(st, &j, false, NULL, 0, &o, 1,
						  1, 0, 2, NULL, &e),
			  GW_ELIMIT);
		o.rcpt = NULL;
		CHECK_INT(gw_store_inbound_result(st, &j, false, NULL, 0, &o, 1,
						  1, LIFE, 2, NULL, &e),
			  GW_ERROR);
		j.txid = NULL;
		CHECK_INT(gw_store_inbound_result(st, &j, false, NULL, 0, NULL,
						  0, 1, LIFE, 2, NULL, &e),
			  GW_ERROR);
		CHECK_INT(gw_store_inbound_result(st, NULL, false, NULL, 0,
						  NULL, 0, 1, LIFE, 2, NULL,
						  &e),
			  GW_ERROR);
	}
	/* The same file is accepted once the input is right. */
	CHECK_INT(gw_store_inbound_accept(st, &m, 1, LIFE, txid, &e), 0);
	CHECK_INT(strlen(txid), 36);
	gw_spool_file_discard(f);
	gw_spool_file_discard(open_f);
	gw_store_close(st);
}

/*
 * Trouble in the writer: the files go back to tmp/ for the caller to
 * discard, nothing is written, and the store goes on.
 */
GW_TEST(storein_failures_leave_files_in_tmp)
{
	struct gw_store_injob *jobs = NULL, *got = NULL;
	struct gw_store_job *out = NULL;
	struct gw_spool_file *f = NULL, *n1 = NULL, *n2 = NULL;
	struct gw_store *st;
	char txid[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN], path[1024];
	long long now = 5000000;
	struct gw_err e;
	struct gw_fix_env v;
	sqlite3 *raw = NULL;
	size_t n = 0;
	long rows = -1;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 50)) != NULL);
	/* A locked database: GW_ETEMP, the file back in tmp/. */
	REQUIRE(sqlite3_open(v.db + 7, &raw) == SQLITE_OK);
	REQUIRE(sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
		SQLITE_OK);
	{
		struct gw_audit_event ev = {.event = "smtp.accepted",
					    .outcome = "success"};

		CHECK_INT(accept_msg(st, "message", now, &ev, &f, txid, &e),
			  GW_ETEMP);
	}
	CHECK(e.temp && e.status[0] == '4');
	CHECK_STR(txid, "");
	CHECK(strstr(gw_spool_file_path(f), "/spool/tmp/") != NULL);
	snprintf(path, sizeof(path), "%s", gw_spool_file_path(f));
	CHECK(access(path, F_OK) == 0);
	gw_spool_file_discard(f);
	CHECK(access(path, F_OK) != 0); /* discardable: gone */
	sqlite3_exec(raw, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(raw);
	REQUIRE(gw_store_inbound_list(st, 10, &jobs, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_injobs_free(jobs, n);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 0);

	/* A result naming a stranger is refused whole. */
	REQUIRE(accept_msg(st, "message", now, NULL, &f, txid, &e) == 0);
	gw_spool_file_discard(f);
	REQUIRE(gw_store_inbound_claim(st, now, 300, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	REQUIRE((n1 = gw_fix_spool_file(st, "MDN 1\r\n")) != NULL);
	REQUIRE((n2 = gw_fix_spool_file(st, "MDN 2\r\n")) != NULL);
	{
		struct gw_store_notice o[2] = {notice_for(n1, "<n1@us>"),
					       notice_for(n2, "<n2@us>")};
		struct gw_store_inresult r[2] = {
		    {.address = "dr.a@direct.example.org",
		     .outcome = GW_IN_DELIVERED,
		     .notified = true},
		    {.address = "stranger@elsewhere.example",
		     .outcome = GW_IN_DELIVERED},
		};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], true, r, 2, o,
						  2, now, LIFE, now + 60, NULL,
						  &e),
			  GW_ERROR);
		CHECK(strstr(e.msg, "stranger@elsewhere.example") != NULL);
	}
	CHECK(strstr(gw_spool_file_path(n1), "/spool/tmp/") != NULL);
	CHECK(strstr(gw_spool_file_path(n2), "/spool/tmp/") != NULL);
	CHECK(access(gw_spool_file_path(n2), F_OK) == 0);
	REQUIRE(gw_store_inbound_get(st, txid, &got, &e) == 0);
	CHECK(!got->processed_sent);
	CHECK_STR(got->rcpts[0].state, "queued");
	gw_store_injobs_free(got, 1);
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &out, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(out, n);
	/* A notice's file vanished: its rename fails, nothing is kept. */
	REQUIRE(unlink(gw_spool_file_path(n2)) == 0);
	{
		struct gw_store_notice o[2] = {notice_for(n1, "<n1@us>"),
					       notice_for(n2, "<n2@us>")};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], true, NULL, 0,
						  o, 2, now, LIFE, now + 60,
						  NULL, &e),
			  GW_ETEMP);
	}
	CHECK(strstr(gw_spool_file_path(n1), "/spool/tmp/") != NULL);
	CHECK(access(gw_spool_file_path(n1), F_OK) == 0);
	gw_spool_file_discard(n1);
	gw_spool_file_discard(n2);
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &out, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(out, n);
	gw_store_injobs_free(jobs, 1);

	/* The writer goes on. */
	REQUIRE(accept_msg(st, "message", now, NULL, &f, t2, &e) == 0);
	gw_spool_file_discard(f);
	gw_store_close(st);
}

GW_TEST(storein_reopen_keeps_everything)
{
	struct gw_store_injob *jobs = NULL, *got = NULL;
	struct gw_store_job *out = NULL;
	struct gw_spool_file *f = NULL, *g = NULL, *mdn = NULL;
	struct gw_store *st;
	char t1[GW_STORE_TXID_LEN], t2[GW_STORE_TXID_LEN], mpath[1024];
	long long now = 6000000;
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;

	gw_fix_env_init(&v);
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(accept_msg(st, "message", now, NULL, &f, t1, &e) == 0);
	REQUIRE(accept_msg(st, "mdn", now, NULL, &g, t2, &e) == 0);
	gw_spool_file_discard(f);
	gw_spool_file_discard(g);
	REQUIRE(gw_store_inbound_claim(st, now, 300, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	REQUIRE((mdn = gw_fix_spool_file(st, "MDN\r\n")) != NULL);
	{
		struct gw_store_notice o = notice_for(mdn, "<r1@us>");
		struct gw_store_inresult r = {.address =
						  "dr.b@direct.example.org",
					      .outcome = GW_IN_FAILED,
					      .reason = "unknown patient",
					      .notified = true};

		CHECK_INT(gw_store_inbound_result(st, &jobs[0], true, &r, 1, &o,
						  1, now, LIFE, now + 60, "x",
						  &e),
			  0);
	}
	snprintf(mpath, sizeof(mpath), "%s", gw_spool_file_path(mdn));
	gw_spool_file_discard(mdn);
	gw_store_injobs_free(jobs, n);
	gw_store_close(st);

	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	REQUIRE(gw_store_inbound_list(st, 10, &jobs, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(jobs[0].txid, t2);
	CHECK_STR(jobs[0].state, "notice");
	CHECK(access(jobs[0].path, R_OK) == 0);
	CHECK_STR(jobs[1].txid, t1);
	CHECK(access(jobs[1].path, R_OK) == 0);
	gw_store_injobs_free(jobs, n);
	REQUIRE(gw_store_inbound_get(st, t1, &got, &e) == 0);
	CHECK_STR(got->state, "accepted");
	CHECK(got->processed_sent);
	CHECK_INT(got->attempts, 1);
	CHECK_STR(got->last_error, "x");
	REQUIRE(got->nrcpts == 2);
	CHECK_STR(got->rcpts[0].state, "queued");
	CHECK_STR(got->rcpts[1].state, "failed");
	CHECK_STR(got->rcpts[1].reason, "unknown patient");
	CHECK(got->rcpts[1].notified);
	gw_store_injobs_free(got, 1);
	/* The notification job and its file survived the sweep. */
	CHECK(access(mpath, R_OK) == 0);
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &out, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK(out[0].notice);
	CHECK_STR(out[0].txid, t1);
	CHECK(strcmp(out[0].path, mpath) == 0);
	/* Given up (next_at 0) while queued: finished all the same. */
	CHECK_INT(gw_store_job_result(st, &out[0], NULL, 0, 0, "gave up", &e),
		  0);
	gw_store_jobs_free(out, n);
	REQUIRE(gw_store_jobs_claim(st, now + 100000, 600, 8, &out, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(out, n);
	REQUIRE(gw_store_inbound_claim(st, now + 60, 300, 8, &jobs, &n, &e) ==
		0);
	REQUIRE(n == 1);
	CHECK_INT(jobs[0].attempts, 2);
	gw_store_injobs_free(jobs, n);
	gw_store_close(st);
}

/*
 * A database as dxgw left it at schema version 4 (migrations 1 to 4,
 * frozen here): one submission converted into one claimed outbound job.
 */
static const char v4_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1), (2), (3), (4);"
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
    "CREATE TABLE outbound ("
    " id INTEGER PRIMARY KEY,"
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " domain TEXT NOT NULL, message_id TEXT NOT NULL,"
    " mail_from TEXT NOT NULL, path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'queued',"
    " claimed INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " last_error TEXT, UNIQUE (txid, domain));"
    "CREATE INDEX outbound_due ON outbound (state, next_at);"
    "CREATE TABLE addresses ("
    " address TEXT PRIMARY KEY, url TEXT NOT NULL, cert TEXT, ca TEXT,"
    " active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "INSERT INTO submissions (txid, client, message_id, sender,"
    " received_at, state) VALUES ('t-old', 'CN=ehr1', 'urn:uuid:old',"
    " 'ehr@hosp.example.org', '2026-01-01T00:00:00.000Z', 'queued');"
    "INSERT INTO outbound (id, txid, domain, message_id, mail_from, path,"
    " size, claimed, attempts, created_at, next_at, expires_at)"
    " VALUES (7, 't-old', 'direct.example.org', '<old@hosp.example.org>',"
    " 'ehr@hosp.example.org', 'doc/old-job', 4, 1, 1, 100, 700, 90000);"
    "INSERT INTO recipients (txid, address, state, updated_at, job)"
    " VALUES ('t-old', 'a@direct.example.org', 'queued', 'x', 7),"
    " ('t-old', 'b@direct.example.org', 'sent', 'x', 7);"
    "INSERT INTO addresses VALUES ('@direct.example.org',"
    " 'https://ehr.example.org/xdr', NULL, NULL, 1, 'x', 'x');";

GW_TEST(storein_migrates_v4_database_with_queued_job)
{
	struct gw_store_record *r = NULL;
	struct gw_store_job *out = NULL;
	struct gw_store *st;
	char buf[256], dir[512], job[600];
	struct gw_err e;
	struct gw_fix_env v;
	size_t n = 0;
	FILE *fp;

	gw_fix_env_init(&v);
	REQUIRE(raw_exec(&v, v4_schema) == SQLITE_OK);
	snprintf(dir, sizeof(dir), "%s", v.spool);
	REQUIRE(mkdir(dir, 0700) == 0);
	snprintf(dir, sizeof(dir), "%s/doc", v.spool);
	REQUIRE(mkdir(dir, 0700) == 0);
	snprintf(job, sizeof(job), "%s/doc/old-job", v.spool);
	REQUIRE((fp = fopen(job, "w")) != NULL);
	fputs("old\n", fp);
	fclose(fp);

	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	CHECK(access(job, R_OK) == 0); /* the sweep kept the job's file */
	/* The job kept its id (recipients.job) and its lease. */
	REQUIRE(gw_store_jobs_claim(st, 699, 600, 8, &out, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(out, n);
	REQUIRE(gw_store_leases_reset(st, 699, &e) == 0);
	REQUIRE(gw_store_jobs_claim(st, 699, 600, 8, &out, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(out[0].id, 7);
	CHECK(!out[0].notice);
	CHECK_STR(out[0].txid, "t-old");
	CHECK_INT(out[0].attempts, 2);
	CHECK_INT(out[0].expires_at, 90000);
	CHECK(strcmp(out[0].path, job) == 0);
	REQUIRE(out[0].nrcpts == 1);
	CHECK_STR(out[0].rcpts[0], "a@direct.example.org");
	{
		struct gw_store_rcpt_result res = {.address =
						       "a@direct.example.org",
						   .outcome = GW_RCPT_SENT,
						   .reason = "250 ok"};

		CHECK_INT(
		    gw_store_job_result(st, &out[0], &res, 1, 800, NULL, &e),
		    0);
	}
	gw_store_jobs_free(out, n);
	REQUIRE(gw_store_submission_get(st, "t-old", &r, &e) == 0);
	REQUIRE(r->nrecipients == 2);
	CHECK_STR(r->recipients[0].state, "sent");
	CHECK_STR(r->recipients[0].reason, "250 ok");
	gw_store_record_free(r);
	{
		struct gw_store_address *a = NULL;

		CHECK_INT(
		    gw_store_addr_lookup(st, "x@direct.example.org", &a, &e),
		    0);
		gw_store_addresses_free(a, a != NULL ? 1 : 0);
	}
	gw_store_close(st);

	raw_text(&v, "SELECT max(version) FROM schema_version", NULL, buf,
		 sizeof(buf));
	CHECK_STR(buf, "6");
	raw_text(&v, "SELECT state FROM outbound WHERE id = 7", NULL, buf,
		 sizeof(buf));
	CHECK_STR(buf, "done");
	raw_text(&v, "PRAGMA integrity_check", NULL, buf, sizeof(buf));
	CHECK_STR(buf, "ok");
	raw_text(&v, "SELECT count(*) FROM pragma_foreign_key_check", NULL, buf,
		 sizeof(buf));
	CHECK_STR(buf, "0");
	raw_text(&v,
		 "SELECT count(*) FROM sqlite_master WHERE name IN"
		 " ('outbound_due', 'outbound_inbound', 'inbound_due',"
		 " 'outbound_new')",
		 NULL, buf, sizeof(buf));
	CHECK_STR(buf, "3");
	/* Outbound rows now need a submission or an inbound message. */
	CHECK(raw_exec(&v, "PRAGMA foreign_keys=ON; INSERT INTO outbound"
			   " (domain, message_id, mail_from, path, size,"
			   " created_at, next_at, expires_at) VALUES ('d',"
			   " 'm', 'f', 'doc/x', 1, 1, 1, 1)") != SQLITE_OK);
	CHECK(raw_exec(&v, "PRAGMA foreign_keys=ON; INSERT INTO outbound"
			   " (inbound, rcpt, rcpt_state, domain, message_id,"
			   " mail_from, path, size, created_at, next_at,"
			   " expires_at) VALUES ('nope', 'r', 'queued', 'd',"
			   " 'm', 'f', 'doc/y', 1, 1, 1, 1)") != SQLITE_OK);
	/* And a reopen of a current database migrates nothing. */
	REQUIRE((st = gw_fix_store_open(&v, 0)) != NULL);
	gw_store_close(st);
	raw_text(&v, "SELECT count(*) FROM schema_version", NULL, buf,
		 sizeof(buf));
	CHECK_STR(buf, "6");
}
