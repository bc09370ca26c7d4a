/*
 * NAME
 *	store_sqlite_track - SQL of the delivery tracking (schema version 6)
 * SUMMARY
 *	A submission's recipient (recipients) goes on after "sent": the
 *	tracking moves it to "processed", "dispatched" or "failed" as MDNs,
 *	DSNs and timers say, and final says nothing may change it any more.
 *	Every change and every notification that changed nothing is a row
 *	of rcpt_events, its history. A final outcome may owe the EHR that
 *	submitted the message a disposition (ehr_state "owed", claimed like
 *	a job with ehr_next_at as its lease, then "sent" or "failed").
 *	Inbound notices (MDNs and DSNs kept by store_sqlite_inbound.c) are
 *	marked tracked with the outcome word once the tracking used them.
 * DESCRIPTION
 *	Columns (store_sqlite.c, migration 6): recipients.sent_at,
 *	final, final_at, ehr_state, ehr_attempts, ehr_next_at (Unix
 *	seconds, NULL when unset); outbound.final_delivery;
 *	inbound.tracked (NULL until tracked). The queue
 *	(store_sqlite_queue.c) and the submission's accept set them when a
 *	recipient is sent or fails and write their history rows through
 *	gw_sqltr_event().
 *
 *	A step is a compare-and-set on (state, final = 0) in the caller's
 *	transaction: applied, or only its "ignored" history row; either way
 *	the notice it came from is marked in the same transaction, so a
 *	notice is tracked exactly once. A DSN may name several recipients:
 *	its mark keeps the word of a step that applied over "ignored".
 * STANDARDS
 *	RFC 8098 (MDN dispositions), RFC 3464 (DSN); "Implementation
 *	Guide for Delivery Notification in Direct" (processed, then
 *	dispatched when final delivery was asked for).
 * SECURITY
 *	All values are bound parameters. Addresses and reasons stay in the
 *	database; error texts name txids and addresses only.
 */
#include "store_sqlite_track.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "store_sqlite_util.h"

/* The columns of a struct gw_store_trackrow, in read_row() order. */
#define TR_COLS                                                                \
	"r.txid, r.address, r.state, r.final, r.reason, o.message_id,"         \
	" coalesce(o.final_delivery, 0), s.sender, s.message_id,"              \
	" coalesce(r.sent_at, 0), coalesce(r.final_at, 0), r.ehr_state,"       \
	" r.ehr_attempts, coalesce(r.ehr_next_at, 0), s.received_at"
/* A recipient with its submission and, once queued, its message. */
#define TR_FROM                                                                \
	" FROM recipients r JOIN submissions s ON s.txid = r.txid"             \
	" LEFT JOIN outbound o ON o.id = r.job"

enum {
	T_EVENT,
	T_STEP,
	T_CUR,
	T_SUB,
	T_NOTICE_STEP,
	T_NOTICE_SET,
	T_FIND,
	T_LIST,
	T_HISTORY,
	T_OVERDUE,
	T_UNTRACKED,
	T_EHR_DUE,
	T_EHR_CLAIM,
	T_EHR_SET,
	T_EHR_STATE,
	T_QUERY,
	T_EVENTS,
	T_N
};

static const char *const tsql[T_N] = {
    [T_EVENT] = "INSERT INTO rcpt_events (txid, address, at, event, detail)"
		" VALUES (?1, ?2, ?3, coalesce(?6, '') || ?4, ?5)",
    /* The right-hand sides all see the row as it was. */
    [T_STEP] = "UPDATE recipients SET state = ?3, final = ?4,"
	       " final_at = CASE WHEN ?4 THEN ?5 ELSE final_at END,"
	       " reason = coalesce(?6, reason),"
	       " ehr_state = CASE WHEN ?4 AND ?7 THEN 'owed'"
	       " ELSE ehr_state END,"
	       " ehr_next_at = CASE WHEN ?4 AND ?7 THEN ?5"
	       " ELSE ehr_next_at END,"
	       " updated_at = ?9"
	       " WHERE txid = ?1 AND address = ?2 AND state = ?8 AND"
	       " final = 0",
    [T_CUR] = "SELECT state, final FROM recipients WHERE txid = ?1 AND"
	      " address = ?2",
    [T_SUB] = "SELECT 1 FROM submissions WHERE txid = ?1",
    /* A step that applied names the outcome; "ignored" never hides one. */
    [T_NOTICE_STEP] = "UPDATE inbound SET tracked = coalesce(?2,"
		      " tracked, 'ignored') WHERE txid = ?1 AND"
		      " kind IN ('mdn', 'dsn')",
    [T_NOTICE_SET] = "UPDATE inbound SET tracked = ?2 WHERE txid = ?1 AND"
		     " kind IN ('mdn', 'dsn')",
    [T_FIND] = "SELECT " TR_COLS " FROM outbound o"
	       " JOIN recipients r ON r.txid = o.txid AND r.job = o.id"
	       " JOIN submissions s ON s.txid = r.txid"
	       " WHERE o.message_id = ?1 AND r.address = ?2"
	       " ORDER BY o.id LIMIT 1",
    [T_LIST] = "SELECT " TR_COLS TR_FROM " WHERE r.txid = ?1"
	       " ORDER BY r.rowid",
    [T_HISTORY] = "SELECT at, event, detail FROM rcpt_events"
		  " WHERE txid = ?1 AND address = ?2 ORDER BY id",
    [T_OVERDUE] = "SELECT " TR_COLS TR_FROM " WHERE r.final = 0 AND"
		  " r.state IN ('sent', 'processed') AND r.sent_at <= ?1"
		  " ORDER BY r.sent_at, r.rowid LIMIT ?2",
    [T_UNTRACKED] = "SELECT " GW_SQLIN_COLS " FROM inbound"
		    " WHERE kind IN ('mdn', 'dsn') AND tracked IS NULL"
		    " ORDER BY received_at, rowid LIMIT ?1",
    [T_EHR_DUE] = "SELECT " TR_COLS TR_FROM " WHERE r.ehr_state = 'owed'"
		  " AND r.ehr_next_at <= ?1"
		  " ORDER BY r.ehr_next_at, r.rowid LIMIT ?2",
    [T_EHR_CLAIM] = "UPDATE recipients SET ehr_attempts = ehr_attempts + 1,"
		    " ehr_next_at = ?3 WHERE txid = ?1 AND address = ?2",
    [T_EHR_SET] = "UPDATE recipients SET ehr_state = ?3,"
		  " ehr_next_at = CASE WHEN ?3 = 'owed' THEN ?4 END"
		  " WHERE txid = ?1 AND address = ?2 AND ehr_state = 'owed'",
    [T_EHR_STATE] = "SELECT ehr_state FROM recipients WHERE txid = ?1 AND"
		    " address = ?2",
    /*
     * The status query: NULL parameters match everything; times are
     * RFC 3339 stamps, compared as text like received_at itself.
     */
    [T_QUERY] = "SELECT " TR_COLS TR_FROM " WHERE (?1 IS NULL OR r.state = ?1)"
		" AND (?2 IS NULL OR r.address = ?2 COLLATE NOCASE"
		" OR s.sender = ?2 COLLATE NOCASE)"
		" AND (?3 IS NULL OR s.received_at >= ?3)"
		" AND (?4 IS NULL OR s.received_at < ?4)"
		" ORDER BY s.rowid DESC, r.rowid LIMIT ?5",
    [T_EVENTS] = "SELECT e.id, e.at, coalesce(r.sent_at, 0), e.event"
		 " FROM rcpt_events e LEFT JOIN recipients r"
		 " ON r.txid = e.txid AND r.address = e.address"
		 " WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
};

struct gw_sqltr {
	sqlite3 *db;
	sqlite3_stmt *st[T_N];
};

int
gw_sqltr_new(sqlite3 *db, struct gw_sqltr **out, struct gw_err *err)
{
	struct gw_sqltr *tr = gw_xcalloc(1, sizeof(*tr));
	int rc;

	*out = NULL;
	tr->db = db;
	if ((rc = gw_sql_prepare_all(db, tsql, tr->st, T_N, err)) < 0) {
		gw_sqltr_free(tr);
		return rc;
	}
	*out = tr;
	return 0;
}

void
gw_sqltr_free(struct gw_sqltr *tr)
{
	if (tr == NULL)
		return;
	for (int i = 0; i < T_N; i++)
		sqlite3_finalize(tr->st[i]);
	free(tr);
}

/* LIMIT takes a signed 64-bit count. */
static long long
limit(size_t max)
{
	return max > (size_t)INT_MAX ? INT_MAX : (long long)max;
}

/* A history row whose event is prefix (may be NULL) and event. */
static int
event_row(struct gw_sqltr *tr, const char *txid, const char *address,
	  long long at, const char *prefix, const char *event,
	  const char *detail, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_EVENT];

	gw_sql_bind_str(st, 1, txid);
	gw_sql_bind_str(st, 2, address);
	gw_sql_bind_ll(st, 3, at);
	gw_sql_bind_str(st, 4, event);
	gw_sql_bind_str(st, 5, detail);
	gw_sql_bind_str(st, 6, prefix);
	return gw_sql_exec(tr->db, st, "insert history", err);
}

int
gw_sqltr_event(struct gw_sqltr *tr, const char *txid, const char *address,
	       long long at, const char *event, const char *detail,
	       struct gw_err *err)
{
	return event_row(tr, txid, address, at, NULL, event, detail, err);
}

static void
read_row(sqlite3_stmt *st, struct gw_store_trackrow *r)
{
	memset(r, 0, sizeof(*r));
	r->txid = gw_sql_col_dup(st, 0);
	r->address = gw_sql_col_dup(st, 1);
	r->state = gw_sql_col_dup(st, 2);
	r->final = sqlite3_column_int(st, 3) != 0;
	r->reason = gw_sql_col_dup(st, 4);
	r->message_id = gw_sql_col_dup(st, 5);
	r->final_delivery = sqlite3_column_int(st, 6) != 0;
	r->sender = gw_sql_col_dup(st, 7);
	r->wsa_message_id = gw_sql_col_dup(st, 8);
	r->sent_at = (long long)sqlite3_column_int64(st, 9);
	r->final_at = (long long)sqlite3_column_int64(st, 10);
	r->ehr_state = gw_sql_col_dup(st, 11);
	r->ehr_attempts = sqlite3_column_int(st, 12);
	r->ehr_next_at = (long long)sqlite3_column_int64(st, 13);
	r->received_at = gw_sql_col_dup(st, 14);
}

/* Step st (bound by the caller) and read up to max rows. */
static int
read_rows(struct gw_sqltr *tr, sqlite3_stmt *st, size_t max, const char *what,
	  struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	struct gw_store_trackrow *v = NULL;
	size_t k = 0, cap = 0;
	int src = SQLITE_DONE;
	int rc = 0;

	*rows = NULL;
	*n = 0;
	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 8;
			if (cap > max)
				cap = max;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		read_row(st, &v[k++]);
	}
	if (k < max && src != SQLITE_DONE)
		rc = gw_sql_err(err, tr->db, src, what);
	gw_sql_done(st);
	if (rc < 0) {
		gw_store_trackrows_free(v, k);
		return rc;
	}
	*rows = v;
	*n = k;
	return 0;
}

/*
 * Why a step did not apply: GW_EEXISTS naming the recipient's state,
 * GW_ENOTFOUND when there is no such recipient.
 */
static int
why_not(struct gw_sqltr *tr, const struct gw_store_trackset *t,
	struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_CUR];
	const unsigned char *state;
	int src;
	int rc;

	gw_sql_bind_str(st, 1, t->txid);
	gw_sql_bind_str(st, 2, t->address);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				"store: %s is not a recipient of %s",
				t->address, t->txid);
	else if (src != SQLITE_ROW)
		rc = gw_sql_err(err, tr->db, src, "tracking state");
	else if ((state = sqlite3_column_text(st, 0)) == NULL)
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"store: recipient without a state");
	else
		rc = gw_err_set(err, GW_EEXISTS, "2.0.0",
				"store: %s of %s is %s%s, not %s: %s ignored",
				t->address, t->txid,
				sqlite3_column_int(st, 1) != 0 ? "final " : "",
				(const char *)state, t->expect, t->event);
	gw_sql_done(st);
	return rc;
}

int
gw_sqltr_set(struct gw_sqltr *tr, const struct gw_store_trackset *t,
	     long long now, const char *stamp, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_STEP];
	bool applied;
	int rc, why = 0;

	gw_sql_bind_str(st, 1, t->txid);
	gw_sql_bind_str(st, 2, t->address);
	gw_sql_bind_str(st, 3, t->state);
	sqlite3_bind_int(st, 4, t->final ? 1 : 0);
	gw_sql_bind_ll(st, 5, now);
	gw_sql_bind_str(st, 6, t->reason);
	sqlite3_bind_int(st, 7, t->owe_ehr ? 1 : 0);
	gw_sql_bind_str(st, 8, t->expect);
	gw_sql_bind_str(st, 9, stamp);
	if ((rc = gw_sql_exec(tr->db, st, "tracking step", err)) < 0)
		return rc;
	applied = sqlite3_changes(tr->db) == 1;
	/* Not applied: only GW_EEXISTS goes on (err keeps its text). */
	if (!applied && (why = why_not(tr, t, err)) != GW_EEXISTS)
		return why;
	if ((rc = event_row(tr, t->txid, t->address, now,
			    applied ? NULL : "ignored ", t->event, t->detail,
			    err)) < 0)
		return rc;
	if (t->notice_txid != NULL) {
		st = tr->st[T_NOTICE_STEP];
		gw_sql_bind_str(st, 1, t->notice_txid);
		gw_sql_bind_str(st, 2, applied ? t->event : NULL);
		if ((rc = gw_sql_exec(tr->db, st, "notice tracked", err)) < 0)
			return rc;
		if (sqlite3_changes(tr->db) != 1)
			return gw_err_set(err, GW_ENOTFOUND, "5.1.0",
					  "store: no inbound notice %s",
					  t->notice_txid);
	}
	return why;
}

int
gw_sqltr_notice_tracked(struct gw_sqltr *tr, const char *notice_txid,
			const char *outcome, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_NOTICE_SET];
	int rc;

	gw_sql_bind_str(st, 1, notice_txid);
	gw_sql_bind_str(st, 2, outcome);
	if ((rc = gw_sql_exec(tr->db, st, "notice tracked", err)) < 0)
		return rc;
	if (sqlite3_changes(tr->db) != 1)
		return gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				  "store: no inbound notice %s", notice_txid);
	return 0;
}

int
gw_sqltr_ehr_claim(struct gw_sqltr *tr, long long now, long lease_s, size_t max,
		   struct gw_store_trackrow **rows, size_t *n,
		   struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_EHR_DUE];
	struct gw_store_trackrow *v = NULL;
	size_t k = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	gw_sql_bind_ll(st, 1, now);
	gw_sql_bind_ll(st, 2, limit(max));
	if ((rc = read_rows(tr, st, max, "owed dispositions", &v, &k, err)) < 0)
		return rc;
	for (size_t i = 0; i < k; i++) {
		st = tr->st[T_EHR_CLAIM];
		gw_sql_bind_str(st, 1, v[i].txid);
		gw_sql_bind_str(st, 2, v[i].address);
		gw_sql_bind_ll(st, 3, now + lease_s);
		if ((rc = gw_sql_exec(tr->db, st, "disposition claim", err)) <
		    0) {
			gw_store_trackrows_free(v, k);
			return rc;
		}
		v[i].ehr_attempts++; /* including this one */
		v[i].ehr_next_at = now + lease_s;
	}
	*rows = v;
	*n = k;
	return 0;
}

int
gw_sqltr_ehr_result(struct gw_sqltr *tr, const char *txid, const char *address,
		    const char *ehr_state, long long next_at,
		    const char *detail, long long at, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_EHR_SET];
	const unsigned char *was;
	int src;
	int rc;

	gw_sql_bind_str(st, 1, txid);
	gw_sql_bind_str(st, 2, address);
	gw_sql_bind_str(st, 3, ehr_state);
	gw_sql_bind_ll(st, 4, next_at);
	if ((rc = gw_sql_exec(tr->db, st, "disposition result", err)) < 0)
		return rc;
	if (sqlite3_changes(tr->db) == 1)
		return event_row(tr, txid, address, at, "ehr ", ehr_state,
				 detail, err);
	st = tr->st[T_EHR_STATE];
	gw_sql_bind_str(st, 1, txid);
	gw_sql_bind_str(st, 2, address);
	src = sqlite3_step(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		rc = gw_sql_err(err, tr->db, src, "disposition state");
	else if (src == SQLITE_DONE ||
		 (was = sqlite3_column_text(st, 0)) == NULL)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				"store: no disposition owed for %s of %s",
				address, txid);
	else
		rc = gw_err_set(err, GW_EEXISTS, "2.0.0",
				"store: the disposition for %s of %s is %s"
				" already",
				address, txid, (const char *)was);
	gw_sql_done(st);
	return rc;
}

/* Does statement k (one text parameter, or two) select a row? */
static int
exists(struct gw_sqltr *tr, int k, const char *a, const char *b,
       struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[k];
	int src;
	int rc;

	gw_sql_bind_str(st, 1, a);
	if (b != NULL)
		gw_sql_bind_str(st, 2, b);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		rc = 1;
	else if (src == SQLITE_DONE)
		rc = 0;
	else
		rc = gw_sql_err(err, tr->db, src, "tracking lookup");
	gw_sql_done(st);
	return rc;
}

int
gw_sqltr_find(struct gw_sqltr *tr, const char *message_id, const char *address,
	      struct gw_store_trackrow **out, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_FIND];
	size_t n = 0;
	int rc;

	gw_sql_bind_str(st, 1, message_id);
	gw_sql_bind_str(st, 2, address);
	if ((rc = read_rows(tr, st, 1, "find recipient", out, &n, err)) < 0)
		return rc;
	if (n == 0)
		return gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				  "store: %s was no recipient of a message we"
				  " sent as %s",
				  address, message_id);
	return 0;
}

int
gw_sqltr_list(struct gw_sqltr *tr, const char *txid,
	      struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_LIST];
	int rc;

	gw_sql_bind_str(st, 1, txid);
	if ((rc = read_rows(tr, st, GW_STORE_RCPTS_MAX, "list recipients", rows,
			    n, err)) < 0 ||
	    *n > 0)
		return rc;
	if ((rc = exists(tr, T_SUB, txid, NULL, err)) < 0)
		return rc;
	return rc == 1 ? 0
		       : gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				    "store: no submission %s", txid);
}

int
gw_sqltr_history(struct gw_sqltr *tr, const char *txid, const char *address,
		 struct gw_store_event **ev, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_HISTORY];
	struct gw_store_event *v = NULL;
	size_t k = 0, cap = 0;
	int src;
	int rc = 0;

	*ev = NULL;
	*n = 0;
	gw_sql_bind_str(st, 1, txid);
	gw_sql_bind_str(st, 2, address);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 8;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		v[k].at = (long long)sqlite3_column_int64(st, 0);
		v[k].event = gw_sql_col_dup(st, 1);
		v[k].detail = gw_sql_col_dup(st, 2);
		k++;
	}
	if (src != SQLITE_DONE)
		rc = gw_sql_err(err, tr->db, src, "history");
	gw_sql_done(st);
	if (rc == 0 && k == 0 &&
	    (rc = exists(tr, T_CUR, txid, address, err)) == 0)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				"store: %s is not a recipient of %s", address,
				txid);
	if (rc < 0) {
		gw_store_events_free(v, k);
		return rc;
	}
	*ev = v;
	*n = k;
	return 0;
}

int
gw_sqltr_overdue(struct gw_sqltr *tr, long long sent_before, size_t max,
		 struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_OVERDUE];

	gw_sql_bind_ll(st, 1, sent_before);
	gw_sql_bind_ll(st, 2, limit(max));
	return read_rows(tr, st, max, "overdue recipients", rows, n, err);
}

int
gw_sqltr_notices(struct gw_sqltr *tr, struct gw_sqlin *in,
		 const char *spool_dir, size_t max,
		 struct gw_store_injob **rows, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_UNTRACKED];

	gw_sql_bind_ll(st, 1, limit(max));
	return gw_sqlin_read(in, st, spool_dir, max, rows, n, err);
}

/* Unix seconds as the text received_at is compared with, or NULL for 0. */
static const char *
stamp_of(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm) == 0)
		return NULL;
	return out;
}

int
gw_sqltr_query(struct gw_sqltr *tr, const struct gw_store_trackq *q,
	       struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_QUERY];
	char since[32], until[32];

	gw_sql_bind_str(st, 1, q->state);
	gw_sql_bind_str(st, 2, q->address);
	gw_sql_bind_str(st, 3, stamp_of(q->since, since));
	gw_sql_bind_str(st, 4, stamp_of(q->until, until));
	gw_sql_bind_ll(st, 5, limit(q->max));
	return read_rows(tr, st, q->max, "query recipients", rows, n, err);
}

int
gw_sqltr_events(struct gw_sqltr *tr, long long after_id, size_t max,
		struct gw_store_histrow **rows, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = tr->st[T_EVENTS];
	struct gw_store_histrow *v = NULL;
	size_t k = 0, cap = 0;
	int src = SQLITE_DONE;
	int rc = 0;

	*rows = NULL;
	*n = 0;
	gw_sql_bind_ll(st, 1, after_id);
	gw_sql_bind_ll(st, 2, limit(max));
	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 64;
			if (cap > max)
				cap = max;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		v[k].id = (long long)sqlite3_column_int64(st, 0);
		v[k].at = (long long)sqlite3_column_int64(st, 1);
		v[k].sent_at = (long long)sqlite3_column_int64(st, 2);
		v[k].event = gw_sql_col_dup(st, 3);
		k++;
	}
	if (k < max && src != SQLITE_DONE)
		rc = gw_sql_err(err, tr->db, src, "history rows");
	gw_sql_done(st);
	if (rc < 0) {
		gw_store_histrows_free(v, k);
		return rc;
	}
	*rows = v;
	*n = k;
	return 0;
}
