/*
 * NAME
 *	store_sqlite_track - the delivery tracking's SQL (per-recipient
 *	states after sending, their history, notices to track,
 *	dispositions owed to EHRs), for store_sqlite
 * SUMMARY
 *	Statements on one connection, prepared once. event, set,
 *	notice_tracked, ehr_claim and ehr_result run inside the writer
 *	thread's transaction (jobs of its group commit, or steps of the
 *	queue's and the submission's jobs); find, list, history, overdue
 *	and notices run on the read connection under its mutex, inside a
 *	read transaction.
 */
#ifndef GW_STORE_SQLITE_TRACK_H
#define GW_STORE_SQLITE_TRACK_H

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite_inbound.h"

struct gw_sqltr;

int gw_sqltr_new(sqlite3 *db, struct gw_sqltr **out, struct gw_err *err);
void gw_sqltr_free(struct gw_sqltr *tr);

/* One history row of recipient (txid, address); detail may be NULL. */
int gw_sqltr_event(struct gw_sqltr *tr, const char *txid, const char *address,
		   long long at, const char *event, const char *detail,
		   struct gw_err *err);
/*
 * One tracking step (store.h, gw_store_track_set()); stamp is the RFC
 * 3339 time for recipients.updated_at. GW_EEXISTS when it was ignored,
 * GW_ENOTFOUND for an unknown recipient or notice.
 */
int gw_sqltr_set(struct gw_sqltr *tr, const struct gw_store_trackset *t,
		 long long now, const char *stamp, struct gw_err *err);
/* GW_ENOTFOUND when notice_txid is not an inbound notice. */
int gw_sqltr_notice_tracked(struct gw_sqltr *tr, const char *notice_txid,
			    const char *outcome, struct gw_err *err);
int gw_sqltr_ehr_claim(struct gw_sqltr *tr, long long now, long lease_s,
		       size_t max, struct gw_store_trackrow **rows, size_t *n,
		       struct gw_err *err);
/*
 * at is the time of the history row. GW_ENOTFOUND when no disposition
 * was ever owed, GW_EEXISTS when it is no longer owed (already sent or
 * given up).
 */
int gw_sqltr_ehr_result(struct gw_sqltr *tr, const char *txid,
			const char *address, const char *ehr_state,
			long long next_at, const char *detail, long long at,
			struct gw_err *err);

int gw_sqltr_find(struct gw_sqltr *tr, const char *message_id,
		  const char *address, struct gw_store_trackrow **out,
		  struct gw_err *err);
int gw_sqltr_list(struct gw_sqltr *tr, const char *txid,
		  struct gw_store_trackrow **rows, size_t *n,
		  struct gw_err *err);
int gw_sqltr_history(struct gw_sqltr *tr, const char *txid, const char *address,
		     struct gw_store_event **ev, size_t *n, struct gw_err *err);
int gw_sqltr_overdue(struct gw_sqltr *tr, long long sent_before, size_t max,
		     struct gw_store_trackrow **rows, size_t *n,
		     struct gw_err *err);
/* in: the inbound leg's statements on the same connection (recipients). */
int gw_sqltr_notices(struct gw_sqltr *tr, struct gw_sqlin *in,
		     const char *spool_dir, size_t max,
		     struct gw_store_injob **rows, size_t *n,
		     struct gw_err *err);

/* gw_store_track_query(): q checked by store.c. */
int gw_sqltr_query(struct gw_sqltr *tr, const struct gw_store_trackq *q,
		   struct gw_store_trackrow **rows, size_t *n,
		   struct gw_err *err);
/* gw_store_track_events() */
int gw_sqltr_events(struct gw_sqltr *tr, long long after_id, size_t max,
		    struct gw_store_histrow **rows, size_t *n,
		    struct gw_err *err);

#endif
