/*
 * NAME
 *	store_sqlite_util - small SQLite helpers shared by the store_sqlite
 *	files
 */
#ifndef GW_STORE_SQLITE_UTIL_H
#define GW_STORE_SQLITE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "err.h"

/* Map an SQLite result to a gw_err: disk and locking trouble is temporary. */
int gw_sql_err(struct gw_err *err, sqlite3 *db, int src, const char *what);
/* Step a statement that returns no rows, then reset it. */
int gw_sql_exec(sqlite3 *db, sqlite3_stmt *st, const char *what,
		struct gw_err *err);
/* Reset a statement and clear its bindings. */
void gw_sql_done(sqlite3_stmt *st);
/* Bind a string, NULL as SQL NULL (not copied: keep it alive). */
void gw_sql_bind_str(sqlite3_stmt *st, int i, const char *s);
/* Bind a 64-bit integer (Unix seconds, ids, counts). */
void gw_sql_bind_ll(sqlite3_stmt *st, int i, long long v);
/* A malloc'ed copy of a text column, or NULL. */
char *gw_sql_col_dup(sqlite3_stmt *st, int i);
/* Copy a text column into a fixed buffer; false if NULL or too long. */
bool gw_sql_col_copy(sqlite3_stmt *st, int i, char *out, size_t size);
/* Prepare n statements that live as long as the connection. */
int gw_sql_prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **st,
		       int n, struct gw_err *err);
/* Now as RFC 3339 UTC with milliseconds. */
void gw_sql_stamp(char out[32]);

#endif
