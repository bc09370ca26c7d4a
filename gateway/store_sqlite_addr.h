/*
 * NAME
 *	store_sqlite_addr - the address book's SQL (local address or
 *	@domain -> XDR delivery target), for store_sqlite
 * SUMMARY
 *	Statements on one connection, prepared once. put and deactivate
 *	run inside the writer thread's transaction (jobs of its group
 *	commit); list and lookup run on the read connection under its
 *	mutex.
 */
#ifndef GW_STORE_SQLITE_ADDR_H
#define GW_STORE_SQLITE_ADDR_H

#include <sqlite3.h>

#include "store.h"

struct gw_sqladdr;

int gw_sqladdr_new(sqlite3 *db, struct gw_sqladdr **out, struct gw_err *err);
void gw_sqladdr_free(struct gw_sqladdr *a);

/* Insert, or update and re-activate; now is an RFC 3339 stamp. */
int gw_sqladdr_put(struct gw_sqladdr *a, const struct gw_store_address *in,
		   const char *now, struct gw_err *err);
/* GW_ENOTFOUND when the address is not in the book. */
int gw_sqladdr_deactivate(struct gw_sqladdr *a, const char *address,
			  const char *now, struct gw_err *err);
int gw_sqladdr_list(struct gw_sqladdr *a, struct gw_store_address **out,
		    size_t *n, struct gw_err *err);
/* Active rows only: address itself, then "@<its domain>". */
int gw_sqladdr_lookup(struct gw_sqladdr *a, const char *address,
		      struct gw_store_address **out, struct gw_err *err);

#endif
