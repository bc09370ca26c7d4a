/*
 * NAME
 *	store_sqlite_inbound - SQL of the inbound leg (schema version 5)
 * SUMMARY
 *	inbound holds one row per Direct message that passed the security
 *	agent (its inner message as a spool file), inbound_rcpts one row
 *	per envelope recipient; the notifications a processing attempt
 *	sends go into outbound as jobs that name the inbound message
 *	(outbound.inbound) and carry their one recipient in the row itself
 *	(rcpt, rcpt_state, rcpt_reason).
 * DESCRIPTION
 *	Messages of kind "message" start "accepted" and due at once; a claim
 *	sets claimed = 1 and moves next_at to now + lease, like the outbound
 *	queue (store_sqlite_queue.c), so a crashed process's messages wait
 *	at most one lease and gw_sqlin_reset() makes them due at start.
 *	MDNs and DSNs are kept as "notice" and never claimed.
 *
 *	A result applies, in the caller's transaction: the notices (new
 *	outbound rows), processed_sent (only ever set), the recipients'
 *	outcomes (only a "queued" recipient changes state; notified is only
 *	ever set), then "done" when every recipient is final and notified,
 *	else the claim is released with the next attempt time.
 * STANDARDS
 *	RELIABILITY.md 3.2 (at-least-once: a crash between an EHR's answer
 *	and the commit of the result delivers that message again).
 * SECURITY
 *	All values are bound parameters. Subjects and addresses are PHI-
 *	adjacent: they stay in the database, never in SQL text or logs.
 */
#include "store_sqlite_inbound.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "store_sqlite_util.h"

enum {
	I_INS_MSG,
	I_INS_RCPT,
	I_DUE,
	I_CLAIM,
	I_RCPTS,
	I_STATE,
	I_INS_NOTE,
	I_PROCESSED,
	I_RCPT_SET,
	I_LEFT,
	I_DONE,
	I_AGAIN,
	I_RESET,
	I_GET,
	I_LIST,
	I_NSTMT
};

static const char *const isql[I_NSTMT] = {
    [I_INS_MSG] = "INSERT INTO inbound (txid, kind, state, session, peer,"
		  " mail_from, sender, message_id, subject, wants_final,"
		  " signers, path, size, received_at, next_at, expires_at)"
		  " VALUES (?1, ?2, CASE WHEN ?2 = 'message' THEN 'accepted'"
		  " ELSE 'notice' END, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		  " ?12, ?13, ?13, ?14)",
    [I_INS_RCPT] = "INSERT INTO inbound_rcpts (txid, address, updated_at)"
		   " VALUES (?1, ?2, ?3)"
		   " ON CONFLICT (txid, address) DO NOTHING",
    [I_DUE] = "SELECT " GW_SQLIN_COLS " FROM inbound"
	      " WHERE state = 'accepted' AND next_at <= ?1"
	      " ORDER BY next_at, rowid LIMIT ?2",
    [I_CLAIM] = "UPDATE inbound SET claimed = 1, attempts = attempts + 1,"
		" next_at = ?2 WHERE txid = ?1",
    [I_RCPTS] = "SELECT address, state, reason, notified FROM inbound_rcpts"
		" WHERE txid = ?1 ORDER BY rowid",
    [I_STATE] = "SELECT state FROM inbound WHERE txid = ?1",
    [I_INS_NOTE] = "INSERT INTO outbound (inbound, rcpt, rcpt_state, domain,"
		   " message_id, mail_from, path, size, created_at, next_at,"
		   " expires_at) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6,"
		   " ?7, ?8, ?8, ?9)",
    [I_PROCESSED] = "UPDATE inbound SET processed_sent = 1 WHERE txid = ?1",
    /* The right-hand sides all see the row as it was. */
    [I_RCPT_SET] = "UPDATE inbound_rcpts SET"
		   " reason = CASE WHEN state <> 'queued' THEN reason"
		   " WHEN ?1 = 'queued' THEN coalesce(?2, reason) ELSE ?2 END,"
		   " state = CASE WHEN state = 'queued' THEN ?1 ELSE state END,"
		   " notified = max(notified, ?3), updated_at = ?4"
		   " WHERE txid = ?5 AND address = ?6",
    [I_LEFT] = "SELECT count(*) FROM inbound_rcpts WHERE txid = ?1 AND"
	       " (state = 'queued' OR notified = 0)",
    [I_DONE] = "UPDATE inbound SET state = 'done', claimed = 0,"
	       " last_error = ?2 WHERE txid = ?1 AND state = 'accepted'",
    [I_AGAIN] = "UPDATE inbound SET claimed = 0, next_at = ?2,"
		" last_error = ?3 WHERE txid = ?1 AND state = 'accepted'",
    [I_RESET] = "UPDATE inbound SET claimed = 0, next_at = ?1"
		" WHERE claimed = 1 AND state = 'accepted'",
    [I_GET] = "SELECT " GW_SQLIN_COLS " FROM inbound WHERE txid = ?1",
    [I_LIST] = "SELECT " GW_SQLIN_COLS " FROM inbound ORDER BY rowid DESC"
	       " LIMIT ?1",
};

struct gw_sqlin {
	sqlite3 *db;
	sqlite3_stmt *st[I_NSTMT];
};

int
gw_sqlin_new(sqlite3 *db, struct gw_sqlin **out, struct gw_err *err)
{
	struct gw_sqlin *in = gw_xcalloc(1, sizeof(*in));
	int rc;

	*out = NULL;
	in->db = db;
	if ((rc = gw_sql_prepare_all(db, isql, in->st, I_NSTMT, err)) < 0) {
		gw_sqlin_free(in);
		return rc;
	}
	*out = in;
	return 0;
}

void
gw_sqlin_free(struct gw_sqlin *in)
{
	if (in == NULL)
		return;
	for (int i = 0; i < I_NSTMT; i++)
		sqlite3_finalize(in->st[i]);
	free(in);
}

int
gw_sqlin_accept(struct gw_sqlin *in, const char *txid,
		const struct gw_store_inmsg *m, long long now, long lifetime_s,
		const char *stamp, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_INS_MSG];
	int rc;

	gw_sql_bind_str(st, 1, txid);
	gw_sql_bind_str(st, 2, m->kind);
	gw_sql_bind_str(st, 3, m->session);
	gw_sql_bind_str(st, 4, m->peer);
	gw_sql_bind_str(st, 5, m->mail_from);
	gw_sql_bind_str(st, 6, m->sender);
	gw_sql_bind_str(st, 7, m->message_id);
	gw_sql_bind_str(st, 8, m->subject);
	sqlite3_bind_int(st, 9, m->wants_final ? 1 : 0);
	gw_sql_bind_str(st, 10, m->signers);
	gw_sql_bind_str(st, 11, gw_spool_file_relpath(m->file));
	gw_sql_bind_ll(st, 12, (long long)gw_spool_file_size(m->file));
	gw_sql_bind_ll(st, 13, now);
	gw_sql_bind_ll(st, 14, now + lifetime_s);
	if ((rc = gw_sql_exec(in->db, st, "insert inbound", err)) < 0)
		return rc;
	for (size_t i = 0; i < m->nrcpts; i++) {
		st = in->st[I_INS_RCPT];
		gw_sql_bind_str(st, 1, txid);
		gw_sql_bind_str(st, 2, m->rcpts[i]);
		gw_sql_bind_str(st, 3, stamp);
		if ((rc = gw_sql_exec(in->db, st, "insert inbound recipient",
				      err)) < 0)
			return rc;
	}
	return 0;
}

static void
read_row(sqlite3_stmt *st, const char *spool_dir, struct gw_store_injob *j)
{
	const unsigned char *rel = sqlite3_column_text(st, 11);

	memset(j, 0, sizeof(*j));
	j->txid = gw_sql_col_dup(st, 0);
	j->kind = gw_sql_col_dup(st, 1);
	j->state = gw_sql_col_dup(st, 2);
	j->session = gw_sql_col_dup(st, 3);
	j->peer = gw_sql_col_dup(st, 4);
	j->mail_from = gw_sql_col_dup(st, 5);
	j->sender = gw_sql_col_dup(st, 6);
	j->message_id = gw_sql_col_dup(st, 7);
	j->subject = gw_sql_col_dup(st, 8);
	j->wants_final = sqlite3_column_int(st, 9) != 0;
	j->processed_sent = sqlite3_column_int(st, 10) != 0;
	j->path =
	    gw_xpath_join(spool_dir, rel != NULL ? (const char *)rel : "");
	j->size = (uint64_t)sqlite3_column_int64(st, 12);
	j->attempts = sqlite3_column_int(st, 13);
	j->received_at = (long long)sqlite3_column_int64(st, 14);
	j->expires_at = (long long)sqlite3_column_int64(st, 15);
	j->last_error = gw_sql_col_dup(st, 16);
}

/* Every recipient of j, in envelope order. */
static int
load_rcpts(struct gw_sqlin *in, struct gw_store_injob *j, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_RCPTS];
	size_t cap = 0;
	int src;
	int rc = 0;

	gw_sql_bind_str(st, 1, j->txid);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct gw_store_inrcpt *r;

		if (j->nrcpts == cap) {
			cap = cap ? 2 * cap : 4;
			j->rcpts =
			    gw_xrealloc(j->rcpts, cap * sizeof(*j->rcpts));
		}
		r = &j->rcpts[j->nrcpts++];
		r->address = gw_sql_col_dup(st, 0);
		r->state = gw_sql_col_dup(st, 1);
		r->reason = gw_sql_col_dup(st, 2);
		r->notified = sqlite3_column_int(st, 3) != 0;
	}
	if (src != SQLITE_DONE)
		rc = gw_sql_err(err, in->db, src, "inbound recipients");
	gw_sql_done(st);
	return rc;
}

/*
 * Step st (bound by the caller) and read up to max rows with their
 * recipients into a new array.
 */
static int
read_jobs(struct gw_sqlin *in, sqlite3_stmt *st, const char *spool_dir,
	  size_t max, struct gw_store_injob **jobs, size_t *n,
	  struct gw_err *err)
{
	struct gw_store_injob *v = NULL;
	size_t k = 0, cap = 0;
	int src = SQLITE_DONE;
	int rc = -1;

	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 8;
			if (cap > max)
				cap = max;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		read_row(st, spool_dir, &v[k++]);
	}
	gw_sql_done(st);
	if (k < max && src != SQLITE_DONE) {
		rc = gw_sql_err(err, in->db, src, "inbound messages");
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		if ((rc = load_rcpts(in, &v[i], err)) < 0)
			goto out;
	*jobs = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	gw_store_injobs_free(v, k);
	return rc;
}

/* LIMIT takes a signed 64-bit count. */
static long long
limit(size_t max)
{
	return max > (size_t)INT_MAX ? INT_MAX : (long long)max;
}

int
gw_sqlin_read(struct gw_sqlin *in, sqlite3_stmt *st, const char *spool_dir,
	      size_t max, struct gw_store_injob **jobs, size_t *n,
	      struct gw_err *err)
{
	*jobs = NULL;
	*n = 0;
	return read_jobs(in, st, spool_dir, max, jobs, n, err);
}

int
gw_sqlin_claim(struct gw_sqlin *in, const char *spool_dir, long long now,
	       long lease_s, size_t max, struct gw_store_injob **jobs,
	       size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_DUE];
	struct gw_store_injob *v = NULL;
	size_t k = 0;
	int rc;

	*jobs = NULL;
	*n = 0;
	gw_sql_bind_ll(st, 1, now);
	gw_sql_bind_ll(st, 2, limit(max));
	if ((rc = read_jobs(in, st, spool_dir, max, &v, &k, err)) < 0)
		return rc;
	for (size_t i = 0; i < k; i++) {
		st = in->st[I_CLAIM];
		gw_sql_bind_str(st, 1, v[i].txid);
		gw_sql_bind_ll(st, 2, now + lease_s);
		if ((rc = gw_sql_exec(in->db, st, "inbound claim", err)) < 0) {
			gw_store_injobs_free(v, k);
			return rc;
		}
		v[i].attempts++; /* including this one */
	}
	*jobs = v;
	*n = k;
	return 0;
}

/* The message must exist and be one that is processed. */
static int
check_state(struct gw_sqlin *in, const char *txid, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_STATE];
	const unsigned char *state;
	int src;
	int rc = 0;

	gw_sql_bind_str(st, 1, txid);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				"store: no inbound message %s", txid);
	else if (src != SQLITE_ROW)
		rc = gw_sql_err(err, in->db, src, "inbound state");
	else if ((state = sqlite3_column_text(st, 0)) == NULL ||
		 strcmp((const char *)state, "notice") == 0)
		rc = gw_err_set(err, GW_ERROR, "5.3.0",
				"store: %s is a notice, not processed", txid);
	gw_sql_done(st);
	return rc;
}

static int
insert_notes(struct gw_sqlin *in, const char *txid,
	     const struct gw_store_notice *notes, size_t nnotes, long long now,
	     long lifetime_s, struct gw_err *err)
{
	int rc;

	for (size_t i = 0; i < nnotes; i++) {
		const struct gw_store_notice *o = &notes[i];
		sqlite3_stmt *st = in->st[I_INS_NOTE];

		gw_sql_bind_str(st, 1, txid);
		gw_sql_bind_str(st, 2, o->rcpt);
		gw_sql_bind_str(st, 3, o->domain);
		gw_sql_bind_str(st, 4, o->message_id);
		gw_sql_bind_str(st, 5, o->mail_from);
		gw_sql_bind_str(st, 6, gw_spool_file_relpath(o->file));
		gw_sql_bind_ll(st, 7, (long long)gw_spool_file_size(o->file));
		gw_sql_bind_ll(st, 8, now);
		gw_sql_bind_ll(st, 9, now + lifetime_s);
		if ((rc = gw_sql_exec(in->db, st, "insert notice", err)) < 0)
			return rc;
	}
	return 0;
}

static int
apply_results(struct gw_sqlin *in, const char *txid,
	      const struct gw_store_inresult *res, size_t nres,
	      const char *stamp, struct gw_err *err)
{
	static const char *const states[] = {
	    [GW_IN_QUEUED] = "queued",
	    [GW_IN_DELIVERED] = "delivered",
	    [GW_IN_FAILED] = "failed",
	};
	int rc;

	for (size_t i = 0; i < nres; i++) {
		sqlite3_stmt *st = in->st[I_RCPT_SET];

		gw_sql_bind_str(st, 1, states[res[i].outcome]);
		gw_sql_bind_str(st, 2, res[i].reason);
		sqlite3_bind_int(st, 3, res[i].notified ? 1 : 0);
		gw_sql_bind_str(st, 4, stamp);
		gw_sql_bind_str(st, 5, txid);
		gw_sql_bind_str(st, 6, res[i].address);
		if ((rc = gw_sql_exec(in->db, st, "inbound recipient result",
				      err)) < 0)
			return rc;
		if (sqlite3_changes(in->db) != 1)
			return gw_err_set(err, GW_ERROR, "5.3.0",
					  "store: %s is not a recipient of %s",
					  res[i].address, txid);
	}
	return 0;
}

int
gw_sqlin_result(struct gw_sqlin *in, const struct gw_store_injob *job,
		bool processed_sent, const struct gw_store_inresult *res,
		size_t nres, const struct gw_store_notice *notes, size_t nnotes,
		long long now, long lifetime_s, long long next_at,
		const char *error, const char *stamp, struct gw_err *err)
{
	sqlite3_stmt *st;
	long long left = 0;
	int src;
	int rc;

	if ((rc = check_state(in, job->txid, err)) < 0 ||
	    (rc = insert_notes(in, job->txid, notes, nnotes, now, lifetime_s,
			       err)) < 0)
		return rc;
	if (processed_sent) {
		st = in->st[I_PROCESSED];
		gw_sql_bind_str(st, 1, job->txid);
		if ((rc = gw_sql_exec(in->db, st, "processed sent", err)) < 0)
			return rc;
	}
	if ((rc = apply_results(in, job->txid, res, nres, stamp, err)) < 0)
		return rc;
	st = in->st[I_LEFT];
	gw_sql_bind_str(st, 1, job->txid);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		left = (long long)sqlite3_column_int64(st, 0);
	gw_sql_done(st);
	if (src != SQLITE_ROW)
		return gw_sql_err(err, in->db, src, "inbound recipients left");
	st = in->st[left == 0 ? I_DONE : I_AGAIN];
	gw_sql_bind_str(st, 1, job->txid);
	if (left == 0) {
		gw_sql_bind_str(st, 2, error);
	} else {
		gw_sql_bind_ll(st, 2, next_at);
		gw_sql_bind_str(st, 3, error);
	}
	return gw_sql_exec(in->db, st, "inbound state", err);
}

int
gw_sqlin_reset(struct gw_sqlin *in, long long now, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_RESET];

	gw_sql_bind_ll(st, 1, now);
	return gw_sql_exec(in->db, st, "reset inbound leases", err);
}

int
gw_sqlin_get(struct gw_sqlin *in, const char *spool_dir, const char *txid,
	     struct gw_store_injob **out, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_GET];
	size_t n = 0;
	int rc;

	*out = NULL;
	gw_sql_bind_str(st, 1, txid);
	if ((rc = read_jobs(in, st, spool_dir, 1, out, &n, err)) < 0)
		return rc;
	if (n == 0)
		return gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				  "store: no inbound message %s", txid);
	return 0;
}

int
gw_sqlin_list(struct gw_sqlin *in, const char *spool_dir, size_t max,
	      struct gw_store_injob **jobs, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = in->st[I_LIST];

	*jobs = NULL;
	*n = 0;
	gw_sql_bind_ll(st, 1, limit(max));
	return read_jobs(in, st, spool_dir, max, jobs, n, err);
}
