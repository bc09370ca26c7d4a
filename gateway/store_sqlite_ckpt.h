/*
 * NAME
 *	store_sqlite_ckpt - background WAL checkpoints for store_sqlite
 * SUMMARY
 *	Start a thread that checkpoints the WAL of wdb's database through
 *	its own connection cdb, whenever wdb's log has grown; stop it
 *	before closing either connection (the caller owns and closes both).
 */
#ifndef GW_STORE_SQLITE_CKPT_H
#define GW_STORE_SQLITE_CKPT_H

#include <sqlite3.h>

#include "err.h"

struct gw_sqlckpt;

/* Install the WAL hook on wdb and start the thread. GW_ETEMP. */
int gw_sqlckpt_start(sqlite3 *wdb, sqlite3 *cdb, struct gw_sqlckpt **out,
		     struct gw_err *err);
/* Stop the thread, give wdb back SQLite's auto-checkpoint; accepts NULL. */
void gw_sqlckpt_stop(struct gw_sqlckpt *c);

#endif
