/*
 * storefix - the store set-up the store unit tests share: a SQLite store
 * and spool in the test's temporary directory, and finished spool files.
 */
#ifndef GW_STOREFIX_H
#define GW_STOREFIX_H

#include "spool.h"
#include "store.h"

struct gw_fix_env {
	char db[400];    /* "sqlite:<tmpdir>/dxgw.db" */
	char spool[400]; /* "<tmpdir>/spool" */
};

/* The paths of a store in gw_test_tmpdir(). */
void gw_fix_env_init(struct gw_fix_env *v);

/* Open that store (busy_ms 0: the default busy timeout); NULL, with the
 * reason printed, on failure. */
struct gw_store *gw_fix_store_open(const struct gw_fix_env *v, int busy_ms);

/* A finished spool file of st holding s; NULL on failure. */
struct gw_spool_file *gw_fix_spool_file(struct gw_store *st, const char *s);

#endif
