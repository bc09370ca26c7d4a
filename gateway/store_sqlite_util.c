/*
 * NAME
 *	store_sqlite_util - small SQLite helpers (see store_sqlite_util.h)
 */
#include "store_sqlite_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mem.h"

/* Map an SQLite result to a gw_err: disk and locking trouble is temporary. */
int
gw_sql_err(struct gw_err *err, sqlite3 *db, int src, const char *what)
{
	const char *m = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src);

	switch (src & 0xff) {
	case SQLITE_FULL:
		return gw_err_set(err, GW_ETEMP, "4.3.1", "store: %s: %s", what,
				  m);
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
		return gw_err_set(err, GW_ERROR, "5.3.0", "store: %s: %s", what,
				  m);
	default:
		return gw_err_set(err, GW_ETEMP, "4.3.0", "store: %s: %s", what,
				  m);
	}
}

/* Step a statement that returns no rows, then reset it. */
int
gw_sql_exec(sqlite3 *db, sqlite3_stmt *st, const char *what, struct gw_err *err)
{
	int src = sqlite3_step(st);
	int rc = 0;

	if (src != SQLITE_DONE && src != SQLITE_ROW)
		rc = gw_sql_err(err, db, src, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

void
gw_sql_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

void
gw_sql_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

char *
gw_sql_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? gw_xstrdup((const char *)t) : NULL;
}

/* Copy a text column into a fixed buffer; false if NULL or too long. */
bool
gw_sql_col_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n;

	out[0] = '\0';
	if (t == NULL)
		return false;
	n = strlen((const char *)t);
	if (n >= size)
		return false;
	memcpy(out, t, n + 1);
	return true;
}

int
gw_sql_prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **st,
		   int n, struct gw_err *err)
{
	for (int i = 0; i < n; i++) {
		int src = sqlite3_prepare_v3(
		    db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);

		if (src != SQLITE_OK)
			return gw_sql_err(err, db, src, "prepare");
	}
	return 0;
}

/* RFC 3339 UTC with milliseconds. */
void
gw_sql_stamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n > 0)
		r = snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
	if (r < 0 || (size_t)r >= 32 - n)
		memcpy(out, "1970-01-01T00:00:00.000Z", 25);
}

void
gw_sql_bind_ll(sqlite3_stmt *st, int i, long long v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}
