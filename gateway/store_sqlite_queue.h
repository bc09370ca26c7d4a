/*
 * NAME
 *	store_sqlite_queue - the outbound queue's SQL, for store_sqlite
 * SUMMARY
 *	Statements on one connection, prepared once. The write functions
 *	run inside the writer thread's transaction (store_sqlite.c calls
 *	them as jobs of its group commit); pending() runs on the read
 *	connection under its mutex.
 */
#ifndef GW_STORE_SQLITE_QUEUE_H
#define GW_STORE_SQLITE_QUEUE_H

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite_track.h"

struct gw_sqlq;

int gw_sqlq_new(sqlite3 *db, struct gw_sqlq **out, struct gw_err *err);
void gw_sqlq_free(struct gw_sqlq *q);

/* spool_dir turns stored relative paths into absolute ones. */
int gw_sqlq_pending(struct gw_sqlq *q, size_t max, char ***txids, size_t *n,
		    struct gw_err *err);
/* The newest max submissions' txids, newest first (read connection). */
int gw_sqlq_recent(struct gw_sqlq *q, size_t max, char ***txids, size_t *n,
		   struct gw_err *err);
/* "accepted" -> "queued"; GW_EEXISTS when it was not waiting. */
int gw_sqlq_convert(struct gw_sqlq *q, const char *txid, struct gw_err *err);
/*
 * The jobs and failed recipients of a converted submission; the message
 * files are already adopted by the caller (relative paths). A failed
 * recipient is final and owed a disposition at now, with a history row
 * through tr (statements on the same connection).
 */
int gw_sqlq_queue(struct gw_sqlq *q, struct gw_sqltr *tr, const char *txid,
		  const struct gw_store_outmsg *msgs, size_t nmsgs,
		  const struct gw_store_rcpt_fail *fails, size_t nfails,
		  long long now, long lifetime_s, struct gw_err *err);
int gw_sqlq_claim(struct gw_sqlq *q, const char *spool_dir, long long now,
		  long lease_s, size_t max, struct gw_store_job **jobs,
		  size_t *n, struct gw_err *err);
/*
 * A submission's recipient that changes gets a history row through tr
 * at at (Unix seconds), which is also its sent_at or final_at.
 */
int gw_sqlq_result(struct gw_sqlq *q, struct gw_sqltr *tr,
		   const struct gw_store_job *job,
		   const struct gw_store_rcpt_result *res, size_t n,
		   long long next_at, const char *error, long long at,
		   struct gw_err *err);
int gw_sqlq_reset(struct gw_sqlq *q, long long now, struct gw_err *err);

#endif
