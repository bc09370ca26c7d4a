/*
 * NAME
 *	store_sqlite_inbound - the inbound leg's SQL (messages that passed
 *	the security agent, their recipients, the notifications they
 *	queue), for store_sqlite
 * SUMMARY
 *	Statements on one connection, prepared once. accept, claim, result
 *	and reset run inside the writer thread's transaction (jobs of its
 *	group commit); get and list run on the read connection under its
 *	mutex, inside a read transaction.
 */
#ifndef GW_STORE_SQLITE_INBOUND_H
#define GW_STORE_SQLITE_INBOUND_H

#include <sqlite3.h>

#include "store.h"

struct gw_sqlin;

int gw_sqlin_new(sqlite3 *db, struct gw_sqlin **out, struct gw_err *err);
void gw_sqlin_free(struct gw_sqlin *in);

/*
 * Insert message txid and its recipients (duplicates collapse); m->file
 * is already adopted by the caller (relative path). stamp is an RFC 3339
 * time for the recipients' updated_at.
 */
int gw_sqlin_accept(struct gw_sqlin *in, const char *txid,
		    const struct gw_store_inmsg *m, long long now,
		    long lifetime_s, const char *stamp, struct gw_err *err);
/* spool_dir turns stored relative paths into absolute ones. */
int gw_sqlin_claim(struct gw_sqlin *in, const char *spool_dir, long long now,
		   long lease_s, size_t max, struct gw_store_injob **jobs,
		   size_t *n, struct gw_err *err);
/*
 * One attempt's outcome (store.h); the notices' files are already
 * adopted. GW_ENOTFOUND for an unknown message, GW_ERROR for a notice
 * message or a result for an address that is not its recipient.
 */
int gw_sqlin_result(struct gw_sqlin *in, const struct gw_store_injob *job,
		    bool processed_sent, const struct gw_store_inresult *res,
		    size_t nres, const struct gw_store_notice *notes,
		    size_t nnotes, long long now, long lifetime_s,
		    long long next_at, const char *error, const char *stamp,
		    struct gw_err *err);
/* Claimed "accepted" messages are due at now. */
int gw_sqlin_reset(struct gw_sqlin *in, long long now, struct gw_err *err);
/*
 * The columns of a struct gw_store_injob, for another module's
 * "SELECT " GW_SQLIN_COLS " FROM inbound ..." on the same connection.
 */
#define GW_SQLIN_COLS                                                          \
	"txid, kind, state, session, peer, mail_from, sender, message_id,"     \
	" subject, wants_final, processed_sent, path, size, attempts,"         \
	" received_at, expires_at, last_error"
/*
 * Step st (a bound SELECT of GW_SQLIN_COLS on in's connection) and read
 * up to max messages with their recipients, as get and list do.
 */
int gw_sqlin_read(struct gw_sqlin *in, sqlite3_stmt *st, const char *spool_dir,
		  size_t max, struct gw_store_injob **jobs, size_t *n,
		  struct gw_err *err);
int gw_sqlin_get(struct gw_sqlin *in, const char *spool_dir, const char *txid,
		 struct gw_store_injob **out, struct gw_err *err);
int gw_sqlin_list(struct gw_sqlin *in, const char *spool_dir, size_t max,
		  struct gw_store_injob **jobs, size_t *n, struct gw_err *err);

#endif
