/*
 * NAME
 *	store_sqlite_queue - the outbound queue's SQL (see the header)
 * DESCRIPTION
 *	Tables (schema version 3, store_sqlite.c): outbound holds one row
 *	per Direct message and destination domain, with its spool file,
 *	attempts, next attempt time, expiry and a claimed flag;
 *	recipients.job points a recipient at the job that carries it and
 *	recipients.reason keeps the last word about it.
 *
 *	Since schema version 5 a job may also be a notification that
 *	answers an inbound message (store_sqlite_inbound.c queues them):
 *	outbound.txid is NULL, outbound.inbound names the message and the
 *	job's one recipient lives in the row (rcpt, rcpt_state,
 *	rcpt_reason) instead of in recipients. Claims and results treat
 *	both kinds alike; a notification job's txid is its inbound txid.
 *
 *	Since schema version 6 the queue keeps the delivery tracking's
 *	data of a submission's recipients (store_sqlite_track.c): each job
 *	says whether its message asked for final delivery; a recipient
 *	that is sent gets sent_at, one that fails is final and owes its
 *	EHR a disposition; every change is a history row.
 *
 *	A claim sets claimed = 1 and moves next_at to now + lease, so a
 *	crashed process's jobs wait at most one lease, and
 *	gw_sqlq_reset() makes them due at once when dxgw starts again.
 *	Because the result of an attempt is committed only after the
 *	server's reply, a crash in between sends that message again: at
 *	least once, and exactly once in the normal case.
 * STANDARDS
 *	RELIABILITY.md 3.2 (at-least-once with idempotence keys).
 */
#include "store_sqlite_queue.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "store_sqlite_track.h"
#include "store_sqlite_util.h"

enum {
	Q_PENDING,
	Q_RECENT,
	Q_INS_JOB,
	Q_RCPT_JOB,
	Q_RCPT_FAIL,
	Q_SUB_QUEUED,
	Q_DUE,
	Q_CLAIM,
	Q_JOB_RCPTS,
	Q_KIND,
	Q_RCPT_SET,
	Q_NOTE_SET,
	Q_LEFT,
	Q_NOTE_LEFT,
	Q_JOB_DONE,
	Q_JOB_AGAIN,
	Q_RESET,
	Q_N
};

static const char *const qsql[Q_N] = {
    [Q_PENDING] = "SELECT txid FROM submissions WHERE state = 'accepted'"
		  " ORDER BY rowid LIMIT ?1",
    [Q_RECENT] = "SELECT txid FROM submissions ORDER BY rowid DESC LIMIT ?1",
    [Q_INS_JOB] = "INSERT INTO outbound (txid, domain, message_id,"
		  " mail_from, path, size, created_at, next_at, expires_at,"
		  " final_delivery) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7,"
		  " ?8, ?9)",
    [Q_RCPT_JOB] = "UPDATE recipients SET job = ?1, updated_at = ?2"
		   " WHERE txid = ?3 AND address = ?4 AND state = 'queued'",
    /* Final at once, and the EHR is owed word of it (schema 6). */
    [Q_RCPT_FAIL] = "UPDATE recipients SET state = 'failed', reason = ?1,"
		    " updated_at = ?2, final = 1, final_at = ?5,"
		    " ehr_state = 'owed', ehr_next_at = ?5"
		    " WHERE txid = ?3 AND address = ?4 AND state = 'queued'",
    [Q_SUB_QUEUED] = "UPDATE submissions SET state = 'queued'"
		     " WHERE txid = ?1 AND state = 'accepted'",
    [Q_DUE] = "SELECT id, coalesce(txid, inbound), domain, message_id,"
	      " mail_from, path, size, attempts, created_at, expires_at,"
	      " inbound IS NOT NULL, rcpt, rcpt_state FROM outbound"
	      " WHERE state = 'queued' AND next_at <= ?1"
	      " ORDER BY next_at, id LIMIT ?2",
    [Q_CLAIM] = "UPDATE outbound SET claimed = 1, attempts = attempts + 1,"
		" next_at = ?2 WHERE id = ?1",
    [Q_JOB_RCPTS] = "SELECT address FROM recipients WHERE job = ?1 AND"
		    " state = 'queued' ORDER BY rowid",
    [Q_KIND] = "SELECT inbound IS NOT NULL, txid FROM outbound WHERE id = ?1",
    /*
     * Sent: sent_at; failed: final, and the EHR is owed word of it
     * (schema 6). The right-hand sides all see the row as it was.
     */
    [Q_RCPT_SET] = "UPDATE recipients SET state = ?1, reason = ?2,"
		   " updated_at = ?3,"
		   " sent_at = CASE WHEN ?1 = 'sent' THEN ?6 ELSE sent_at END,"
		   " final = CASE WHEN ?1 = 'failed' THEN 1 ELSE final END,"
		   " final_at = CASE WHEN ?1 = 'failed' THEN ?6"
		   " ELSE final_at END,"
		   " ehr_state = CASE WHEN ?1 = 'failed' THEN 'owed'"
		   " ELSE ehr_state END,"
		   " ehr_next_at = CASE WHEN ?1 = 'failed' THEN ?6"
		   " ELSE ehr_next_at END"
		   " WHERE job = ?4 AND address = ?5 AND state = 'queued'",
    [Q_NOTE_SET] = "UPDATE outbound SET rcpt_state = ?1, rcpt_reason = ?2"
		   " WHERE id = ?3 AND rcpt = ?4 AND rcpt_state = 'queued'",
    [Q_LEFT] = "SELECT count(*) FROM recipients WHERE job = ?1 AND"
	       " state = 'queued'",
    [Q_NOTE_LEFT] = "SELECT count(*) FROM outbound WHERE id = ?1 AND"
		    " rcpt_state = 'queued'",
    [Q_JOB_DONE] = "UPDATE outbound SET state = 'done', claimed = 0,"
		   " last_error = ?2 WHERE id = ?1",
    [Q_JOB_AGAIN] = "UPDATE outbound SET claimed = 0, next_at = ?2,"
		    " last_error = ?3 WHERE id = ?1",
    [Q_RESET] = "UPDATE outbound SET claimed = 0, next_at = ?1"
		" WHERE claimed = 1 AND state = 'queued'",
};

struct gw_sqlq {
	sqlite3 *db;
	sqlite3_stmt *st[Q_N];
};

int
gw_sqlq_new(sqlite3 *db, struct gw_sqlq **out, struct gw_err *err)
{
	struct gw_sqlq *q = gw_xcalloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	q->db = db;
	if ((rc = gw_sql_prepare_all(db, qsql, q->st, Q_N, err)) < 0) {
		gw_sqlq_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void
gw_sqlq_free(struct gw_sqlq *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(q->st[i]);
	free(q);
}

/* Up to max txids that statement k selects. */
static int
txids_of(struct gw_sqlq *q, int k_stmt, const char *what, size_t max,
	 char ***txids, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = q->st[k_stmt];
	char **v = gw_xcalloc(max, sizeof(*v));
	size_t k = 0;
	int src;
	int rc = -1;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW)
		v[k++] = gw_sql_col_dup(st, 0);
	if (k < max && src != SQLITE_DONE) {
		rc = gw_sql_err(err, q->db, src, what);
		goto out;
	}
	*txids = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	gw_sql_done(st);
	if (v != NULL) {
		for (size_t i = 0; i < k; i++)
			free(v[i]);
		free(v);
	}
	return rc;
}

int
gw_sqlq_pending(struct gw_sqlq *q, size_t max, char ***txids, size_t *n,
		struct gw_err *err)
{
	return txids_of(q, Q_PENDING, "pending submissions", max, txids, n,
			err);
}

int
gw_sqlq_recent(struct gw_sqlq *q, size_t max, char ***txids, size_t *n,
	       struct gw_err *err)
{
	return txids_of(q, Q_RECENT, "recent submissions", max, txids, n, err);
}

int
gw_sqlq_convert(struct gw_sqlq *q, const char *txid, struct gw_err *err)
{
	sqlite3_stmt *st = q->st[Q_SUB_QUEUED];
	int rc;

	gw_sql_bind_str(st, 1, txid);
	if ((rc = gw_sql_exec(q->db, st, "submission state", err)) < 0)
		return rc;
	if (sqlite3_changes(q->db) != 1)
		return gw_err_set(err, GW_EEXISTS, "2.0.0",
				  "store: %s is not waiting for conversion",
				  txid);
	return 0;
}

int
gw_sqlq_queue(struct gw_sqlq *q, struct gw_sqltr *tr, const char *txid,
	      const struct gw_store_outmsg *msgs, size_t nmsgs,
	      const struct gw_store_rcpt_fail *fails, size_t nfails,
	      long long now, long lifetime_s, struct gw_err *err)
{
	sqlite3_stmt *st;
	char stamp[32];
	int rc = -1;

	gw_sql_stamp(stamp);
	for (size_t i = 0; i < nmsgs; i++) {
		const struct gw_store_outmsg *m = &msgs[i];
		long long id;

		st = q->st[Q_INS_JOB];
		gw_sql_bind_str(st, 1, txid);
		gw_sql_bind_str(st, 2, m->domain);
		gw_sql_bind_str(st, 3, m->message_id);
		gw_sql_bind_str(st, 4, m->mail_from);
		gw_sql_bind_str(st, 5, gw_spool_file_relpath(m->file));
		gw_sql_bind_ll(st, 6, (long long)gw_spool_file_size(m->file));
		gw_sql_bind_ll(st, 7, now);
		gw_sql_bind_ll(st, 8, now + lifetime_s);
		sqlite3_bind_int(st, 9, m->final_delivery ? 1 : 0);
		if ((rc = gw_sql_exec(q->db, st, "insert job", err)) < 0)
			goto out;
		id = (long long)sqlite3_last_insert_rowid(q->db);
		for (size_t j = 0; j < m->nrcpts; j++) {
			st = q->st[Q_RCPT_JOB];
			gw_sql_bind_ll(st, 1, id);
			gw_sql_bind_str(st, 2, stamp);
			gw_sql_bind_str(st, 3, txid);
			gw_sql_bind_str(st, 4, m->rcpts[j]);
			if ((rc = gw_sql_exec(q->db, st, "recipient job",
					      err)) < 0)
				goto out;
			if (sqlite3_changes(q->db) != 1) {
				rc = gw_err_set(err, GW_ERROR, "5.3.0",
						"store: %s is not a queued "
						"recipient of %s",
						m->rcpts[j], txid);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < nfails; i++) {
		st = q->st[Q_RCPT_FAIL];
		gw_sql_bind_str(st, 1, fails[i].reason);
		gw_sql_bind_str(st, 2, stamp);
		gw_sql_bind_str(st, 3, txid);
		gw_sql_bind_str(st, 4, fails[i].address);
		gw_sql_bind_ll(st, 5, now);
		if ((rc = gw_sql_exec(q->db, st, "recipient failed", err)) < 0)
			goto out;
		if (sqlite3_changes(q->db) == 1 &&
		    (rc = gw_sqltr_event(tr, txid, fails[i].address, now,
					 "failed", fails[i].reason, err)) < 0)
			goto out;
	}
	rc = 0;
out:
	return rc;
}

static void
job_from_row(sqlite3_stmt *st, const char *spool_dir, struct gw_store_job *j)
{
	const unsigned char *rel = sqlite3_column_text(st, 5);
	const unsigned char *state;

	memset(j, 0, sizeof(*j));
	j->id = (long long)sqlite3_column_int64(st, 0);
	j->txid = gw_sql_col_dup(st, 1);
	j->domain = gw_sql_col_dup(st, 2);
	j->message_id = gw_sql_col_dup(st, 3);
	j->mail_from = gw_sql_col_dup(st, 4);
	j->path =
	    gw_xpath_join(spool_dir, rel != NULL ? (const char *)rel : "");
	j->size = (uint64_t)sqlite3_column_int64(st, 6);
	j->attempts = sqlite3_column_int(st, 7) + 1;
	j->created_at = (long long)sqlite3_column_int64(st, 8);
	j->expires_at = (long long)sqlite3_column_int64(st, 9);
	j->notice = sqlite3_column_int(st, 10) != 0;
	/* A notification carries its one recipient while it is queued. */
	if (j->notice && sqlite3_column_type(st, 11) != SQLITE_NULL &&
	    (state = sqlite3_column_text(st, 12)) != NULL &&
	    strcmp((const char *)state, "queued") == 0) {
		j->rcpts = gw_xcalloc(1, sizeof(*j->rcpts));
		j->rcpts[0] = gw_sql_col_dup(st, 11);
		j->nrcpts = 1;
	}
}

static int
load_rcpts(struct gw_sqlq *q, struct gw_store_job *j, struct gw_err *err)
{
	sqlite3_stmt *st = q->st[Q_JOB_RCPTS];
	size_t cap = 0;
	int src;
	int rc = 0;

	gw_sql_bind_ll(st, 1, j->id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (j->nrcpts == cap) {
			cap = cap ? 2 * cap : 4;
			j->rcpts =
			    gw_xrealloc(j->rcpts, cap * sizeof(*j->rcpts));
		}
		j->rcpts[j->nrcpts++] = gw_sql_col_dup(st, 0);
	}
	if (src != SQLITE_DONE)
		rc = gw_sql_err(err, q->db, src, "job recipients");
	gw_sql_done(st);
	return rc;
}

int
gw_sqlq_claim(struct gw_sqlq *q, const char *spool_dir, long long now,
	      long lease_s, size_t max, struct gw_store_job **jobs, size_t *n,
	      struct gw_err *err)
{
	sqlite3_stmt *st = q->st[Q_DUE];
	struct gw_store_job *v = gw_xcalloc(max, sizeof(*v));
	size_t k = 0;
	int src;
	int rc = -1;

	gw_sql_bind_ll(st, 1, now);
	gw_sql_bind_ll(st, 2, (long long)max);
	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW)
		job_from_row(st, spool_dir, &v[k++]);
	gw_sql_done(st);
	if (k < max && src != SQLITE_DONE) {
		rc = gw_sql_err(err, q->db, src, "due jobs");
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		st = q->st[Q_CLAIM];
		gw_sql_bind_ll(st, 1, v[i].id);
		gw_sql_bind_ll(st, 2, now + lease_s);
		if ((rc = gw_sql_exec(q->db, st, "claim", err)) < 0 ||
		    (!v[i].notice && (rc = load_rcpts(q, &v[i], err)) < 0))
			goto out;
	}
	*jobs = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	if (v != NULL)
		gw_store_jobs_free(v, k);
	return rc;
}

int
gw_sqlq_result(struct gw_sqlq *q, struct gw_sqltr *tr,
	       const struct gw_store_job *job,
	       const struct gw_store_rcpt_result *res, size_t n,
	       long long next_at, const char *error, long long at,
	       struct gw_err *err)
{
	static const char *const states[] = {
	    [GW_RCPT_SENT] = "sent",
	    [GW_RCPT_DEFERRED] = "queued",
	    [GW_RCPT_FAILED] = "failed",
	};
	static const char *const events[] = {
	    [GW_RCPT_SENT] = "sent",
	    [GW_RCPT_DEFERRED] = "deferred",
	    [GW_RCPT_FAILED] = "failed",
	};
	sqlite3_stmt *st;
	long long left = 0;
	bool notice = false;
	char now[32], *txid = NULL;
	int src;
	int rc = -1;

	/* The row, not the caller's copy, says what kind of job it is. */
	st = q->st[Q_KIND];
	gw_sql_bind_ll(st, 1, job->id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		notice = sqlite3_column_int(st, 0) != 0;
		txid = gw_sql_col_dup(st, 1);
	}
	gw_sql_done(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = gw_sql_err(err, q->db, src, "job kind");
		goto out;
	}
	gw_sql_stamp(now);
	for (size_t i = 0; i < n; i++) {
		if (notice) {
			st = q->st[Q_NOTE_SET];
			gw_sql_bind_str(st, 1, states[res[i].outcome]);
			gw_sql_bind_str(st, 2, res[i].reason);
			gw_sql_bind_ll(st, 3, job->id);
			gw_sql_bind_str(st, 4, res[i].address);
		} else {
			st = q->st[Q_RCPT_SET];
			gw_sql_bind_str(st, 1, states[res[i].outcome]);
			gw_sql_bind_str(st, 2, res[i].reason);
			gw_sql_bind_str(st, 3, now);
			gw_sql_bind_ll(st, 4, job->id);
			gw_sql_bind_str(st, 5, res[i].address);
			gw_sql_bind_ll(st, 6, at);
		}
		if ((rc = gw_sql_exec(q->db, st, "recipient result", err)) < 0)
			goto out;
		/* A submission's recipient that changed: its history. */
		if (!notice && txid != NULL && sqlite3_changes(q->db) == 1 &&
		    (rc = gw_sqltr_event(tr, txid, res[i].address, at,
					 events[res[i].outcome], res[i].reason,
					 err)) < 0)
			goto out;
	}
	st = q->st[notice ? Q_NOTE_LEFT : Q_LEFT];
	gw_sql_bind_ll(st, 1, job->id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		left = (long long)sqlite3_column_int64(st, 0);
	gw_sql_done(st);
	if (src != SQLITE_ROW) {
		rc = gw_sql_err(err, q->db, src, "recipients left");
		goto out;
	}
	st = q->st[left == 0 || next_at == 0 ? Q_JOB_DONE : Q_JOB_AGAIN];
	gw_sql_bind_ll(st, 1, job->id);
	if (left == 0 || next_at == 0) {
		gw_sql_bind_str(st, 2, error);
	} else {
		gw_sql_bind_ll(st, 2, next_at);
		gw_sql_bind_str(st, 3, error);
	}
	rc = gw_sql_exec(q->db, st, "job state", err);
out:
	free(txid);
	return rc;
}

int
gw_sqlq_reset(struct gw_sqlq *q, long long now, struct gw_err *err)
{
	sqlite3_stmt *st = q->st[Q_RESET];

	gw_sql_bind_ll(st, 1, now);
	return gw_sql_exec(q->db, st, "reset leases", err);
}
