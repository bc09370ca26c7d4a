/*
 * NAME
 *	store_sqlite_status - the SQL of the status reads (message lookup,
 *	queue depths and state counts, readiness), for store_sqlite
 * SUMMARY
 *	Statements on the read connection, prepared once; every function
 *	runs under the read mutex, lookup and metrics inside a read
 *	transaction. The tracking rows of a query and the history cursor
 *	are in store_sqlite_track.c, with the other tracking reads.
 */
#ifndef GW_STORE_SQLITE_STATUS_H
#define GW_STORE_SQLITE_STATUS_H

#include <sqlite3.h>

#include "store.h"

struct gw_sqlst;

int gw_sqlst_new(sqlite3 *db, struct gw_sqlst **out, struct gw_err *err);
void gw_sqlst_free(struct gw_sqlst *s);

/* gw_store_message_lookup() */
int gw_sqlst_lookup(struct gw_sqlst *s, const char *id, size_t max,
		    struct gw_store_match **out, size_t *n, struct gw_err *err);
/* gw_store_metrics_read(); *m zeroed by the caller. */
int gw_sqlst_metrics(struct gw_sqlst *s, size_t max_reasons,
		     struct gw_store_metrics *m, struct gw_err *err);
/* gw_store_ping() */
int gw_sqlst_ping(struct gw_sqlst *s, struct gw_err *err);

#endif
