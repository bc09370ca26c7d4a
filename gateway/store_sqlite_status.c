/*
 * NAME
 *	store_sqlite_status - SQL of the status reads (see the header)
 * DESCRIPTION
 *	Lookup: a txid is the primary key of submissions and of inbound;
 *	a Direct Message-ID we sent is found through outbound_message_id;
 *	a wsa:MessageID through the (client, message_id) index, scanned as
 *	a covering index since the client is not known; an inbound
 *	Message-ID has no index and scans inbound.
 *
 *	Metrics: queue depths use the indexes the workers poll with
 *	(submissions_state, outbound_due, inbound_due, recipients_ehr,
 *	inbound_untracked); recipients by state scan recipients_state as a
 *	covering index; inbound recipients by state and failed recipients
 *	by reason scan their tables. All in one read transaction, so the
 *	numbers of one scrape agree with each other.
 * SECURITY
 *	All values are bound parameters.
 */
#include "store_sqlite_status.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "store_sqlite_util.h"

enum {
	S_LOOKUP,
	S_PING,
	S_CONVERTING,
	S_OUTQ,
	S_INQ,
	S_EHR,
	S_UNTRACKED,
	S_RSTATES,
	S_ISTATES,
	S_FAILED,
	S_N
};

static const char *const ssql[S_N] = {
    [S_LOOKUP] = "SELECT txid, 0 FROM submissions WHERE txid = ?1"
		 " UNION SELECT txid, 0 FROM submissions WHERE message_id = ?1"
		 " UNION SELECT txid, 0 FROM outbound WHERE message_id = ?1"
		 " AND txid IS NOT NULL"
		 " UNION SELECT txid, 1 FROM inbound WHERE txid = ?1"
		 " UNION SELECT txid, 1 FROM inbound WHERE message_id = ?1"
		 " ORDER BY 1 DESC LIMIT ?2",
    [S_PING] = "SELECT max(version) FROM schema_version",
    [S_CONVERTING] = "SELECT count(*) FROM submissions"
		     " WHERE state = 'accepted'",
    [S_OUTQ] = "SELECT coalesce(sum(inbound IS NULL), 0),"
	       " coalesce(sum(inbound IS NOT NULL), 0) FROM outbound"
	       " WHERE state = 'queued'",
    [S_INQ] = "SELECT count(*) FROM inbound WHERE state = 'accepted'",
    [S_EHR] = "SELECT count(*) FROM recipients WHERE ehr_state = 'owed'",
    [S_UNTRACKED] = "SELECT count(*) FROM inbound WHERE kind IN ('mdn',"
		    " 'dsn') AND tracked IS NULL",
    [S_RSTATES] = "SELECT state, count(*) FROM recipients GROUP BY state"
		  " ORDER BY state",
    [S_ISTATES] = "SELECT state, count(*) FROM inbound_rcpts GROUP BY state"
		  " ORDER BY state",
    [S_FAILED] = "SELECT substr(coalesce(reason, ''), 1, ?2), count(*)"
		 " FROM recipients WHERE state IN ('failed', 'timed-out')"
		 " GROUP BY 1"
		 " ORDER BY 2 DESC, 1 LIMIT ?1",
};

struct gw_sqlst {
	sqlite3 *db;
	sqlite3_stmt *st[S_N];
};

int
gw_sqlst_new(sqlite3 *db, struct gw_sqlst **out, struct gw_err *err)
{
	struct gw_sqlst *s = gw_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->db = db;
	if ((rc = gw_sql_prepare_all(db, ssql, s->st, S_N, err)) < 0) {
		gw_sqlst_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
gw_sqlst_free(struct gw_sqlst *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(s->st[i]);
	free(s);
}

/* LIMIT takes a signed 64-bit count. */
static sqlite3_int64
limit(size_t max)
{
	return max > (size_t)INT_MAX ? INT_MAX : (sqlite3_int64)max;
}

int
gw_sqlst_lookup(struct gw_sqlst *s, const char *id, size_t max,
		struct gw_store_match **out, size_t *n, struct gw_err *err)
{
	sqlite3_stmt *st = s->st[S_LOOKUP];
	struct gw_store_match *v = NULL;
	size_t k = 0, cap = 0;
	int src = SQLITE_DONE;
	int rc = 0;

	*out = NULL;
	*n = 0;
	gw_sql_bind_str(st, 1, id);
	sqlite3_bind_int64(st, 2, limit(max));
	while (k < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? 2 * cap : 4;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[k], 0, sizeof(v[k]));
		if (!gw_sql_col_copy(st, 0, v[k].txid, sizeof(v[k].txid)))
			continue; /* not one of our txids */
		v[k].inbound = sqlite3_column_int(st, 1) != 0;
		k++;
	}
	if (k < max && src != SQLITE_DONE)
		rc = gw_sql_err(err, s->db, src, "lookup");
	gw_sql_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

/* Run statement i, which returns one row of up to two counts. */
static int
counts(struct gw_sqlst *s, int i, long long *a, long long *b,
       struct gw_err *err)
{
	sqlite3_stmt *st = s->st[i];
	int src = sqlite3_step(st);
	int rc = 0;

	if (src != SQLITE_ROW) {
		rc = gw_sql_err(err, s->db, src, "count");
	} else {
		*a = (long long)sqlite3_column_int64(st, 0);
		if (b != NULL)
			*b = (long long)sqlite3_column_int64(st, 1);
	}
	gw_sql_done(st);
	return rc;
}

/* Run statement i (bound by the caller): rows of (key, count). */
static int
groups(struct gw_sqlst *s, int i, struct gw_store_count **out, size_t *n,
       struct gw_err *err)
{
	sqlite3_stmt *st = s->st[i];
	size_t cap = 0;
	int src;
	int rc = 0;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		char *key = gw_sql_col_dup(st, 0);

		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = gw_xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[*n].key = key != NULL ? key : gw_xstrdup("");
		(*out)[*n].n = (long long)sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (src != SQLITE_DONE)
		rc = gw_sql_err(err, s->db, src, "group count");
	gw_sql_done(st);
	return rc;
}

int
gw_sqlst_metrics(struct gw_sqlst *s, size_t max_reasons,
		 struct gw_store_metrics *m, struct gw_err *err)
{
	int rc;

	if ((rc = counts(s, S_CONVERTING, &m->converting, NULL, err)) < 0 ||
	    (rc = counts(s, S_OUTQ, &m->outbound, &m->notices, err)) < 0 ||
	    (rc = counts(s, S_INQ, &m->inbound, NULL, err)) < 0 ||
	    (rc = counts(s, S_EHR, &m->ehr_owed, NULL, err)) < 0 ||
	    (rc = counts(s, S_UNTRACKED, &m->untracked, NULL, err)) < 0 ||
	    (rc = groups(s, S_RSTATES, &m->rcpt_states, &m->nrcpt_states,
			 err)) < 0 ||
	    (rc = groups(s, S_ISTATES, &m->in_states, &m->nin_states, err)) < 0)
		return rc;
	if (max_reasons == 0)
		return 0;
	sqlite3_bind_int64(s->st[S_FAILED], 1, limit(max_reasons));
	sqlite3_bind_int(s->st[S_FAILED], 2, GW_STORE_REASON_KEY);
	return groups(s, S_FAILED, &m->failed, &m->nfailed, err);
}

int
gw_sqlst_ping(struct gw_sqlst *s, struct gw_err *err)
{
	long long v = 0;
	int rc;

	if ((rc = counts(s, S_PING, &v, NULL, err)) < 0)
		return rc;
	return v > 0 ? 0
		     : gw_err_set(err, GW_ETEMP, "4.3.0",
				  "store: no schema version");
}
