/*
 * NAME
 *	store_sqlite_addr - SQL of the address book (schema version 4)
 * SUMMARY
 *	One row per local Direct address (or "@domain" for a whole domain):
 *	the EHR's XDR endpoint URL, the TLS client certificate dxgw shows
 *	it and the CA file that verifies it, and whether the row is active.
 * DESCRIPTION
 *	Rows are never deleted, only deactivated, so a message in flight
 *	that names an address can still be explained. Addresses arrive
 *	normalised (store.c checks them); a lookup tries the address, then
 *	"@" and its domain.
 * SECURITY
 *	All values are bound parameters. The paths are the operator's.
 */
#include "store_sqlite_addr.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "store_sqlite_util.h"

enum { A_PUT, A_DEACT, A_LIST, A_GET, A_NSTMT };

static const char *const asql[A_NSTMT] = {
    [A_PUT] = "INSERT INTO addresses (address, url, cert, ca, active,"
	      " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)"
	      " ON CONFLICT (address) DO UPDATE SET url = excluded.url,"
	      " cert = excluded.cert, ca = excluded.ca, active = 1,"
	      " updated_at = excluded.updated_at",
    [A_DEACT] = "UPDATE addresses SET active = 0, updated_at = ?2"
		" WHERE address = ?1",
    [A_LIST] = "SELECT address, url, cert, ca, active, created_at,"
	       " updated_at FROM addresses ORDER BY address",
    [A_GET] = "SELECT address, url, cert, ca, active, created_at,"
	      " updated_at FROM addresses WHERE address = ?1 AND active = 1",
};

struct gw_sqladdr {
	sqlite3 *db;
	sqlite3_stmt *st[A_NSTMT];
};

int
gw_sqladdr_new(sqlite3 *db, struct gw_sqladdr **out, struct gw_err *err)
{
	struct gw_sqladdr *a = gw_xcalloc(1, sizeof(*a));
	int rc;

	a->db = db;
	rc = gw_sql_prepare_all(db, asql, a->st, A_NSTMT, err);
	if (rc < 0) {
		gw_sqladdr_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void
gw_sqladdr_free(struct gw_sqladdr *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < A_NSTMT; i++)
		sqlite3_finalize(a->st[i]);
	free(a);
}

int
gw_sqladdr_put(struct gw_sqladdr *a, const struct gw_store_address *in,
	       const char *now, struct gw_err *err)
{
	sqlite3_stmt *st = a->st[A_PUT];

	gw_sql_bind_str(st, 1, in->address);
	gw_sql_bind_str(st, 2, in->url);
	gw_sql_bind_str(st, 3, in->cert);
	gw_sql_bind_str(st, 4, in->ca);
	gw_sql_bind_str(st, 5, now);
	return gw_sql_exec(a->db, st, "address put", err);
}

int
gw_sqladdr_deactivate(struct gw_sqladdr *a, const char *address,
		      const char *now, struct gw_err *err)
{
	sqlite3_stmt *st = a->st[A_DEACT];
	int rc;

	gw_sql_bind_str(st, 1, address);
	gw_sql_bind_str(st, 2, now);
	rc = gw_sql_exec(a->db, st, "address deactivate", err);
	if (rc == 0 && sqlite3_changes(a->db) == 0)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.1",
				"store: no address %s", address);
	return rc;
}

static void
read_row(sqlite3_stmt *st, struct gw_store_address *r)
{
	r->address = gw_sql_col_dup(st, 0);
	r->url = gw_sql_col_dup(st, 1);
	r->cert = gw_sql_col_dup(st, 2);
	r->ca = gw_sql_col_dup(st, 3);
	r->active = sqlite3_column_int(st, 4) != 0;
	r->created_at = gw_sql_col_dup(st, 5);
	r->updated_at = gw_sql_col_dup(st, 6);
}

int
gw_sqladdr_list(struct gw_sqladdr *a, struct gw_store_address **out, size_t *n,
		struct gw_err *err)
{
	sqlite3_stmt *st = a->st[A_LIST];
	struct gw_store_address *v = NULL;
	size_t cap = 0, cnt = 0;
	int src, rc = 0;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = gw_xrealloc(v, cap * sizeof(*v));
		}
		read_row(st, &v[cnt++]);
	}
	if (src != SQLITE_DONE) {
		rc = gw_sql_err(err, a->db, src, "address list");
		gw_store_addresses_free(v, cnt);
		v = NULL;
		cnt = 0;
	}
	gw_sql_done(st);
	*out = v;
	*n = cnt;
	return rc;
}

/* One active row by exact key; GW_ENOTFOUND when there is none. */
static int
get_one(struct gw_sqladdr *a, const char *key, struct gw_store_address **out,
	struct gw_err *err)
{
	sqlite3_stmt *st = a->st[A_GET];
	int src, rc;

	gw_sql_bind_str(st, 1, key);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*out = gw_xcalloc(1, sizeof(**out));
		read_row(st, *out);
		rc = 0;
	} else if (src == SQLITE_DONE) {
		rc = GW_ENOTFOUND;
	} else {
		rc = gw_sql_err(err, a->db, src, "address lookup");
	}
	gw_sql_done(st);
	return rc;
}

int
gw_sqladdr_lookup(struct gw_sqladdr *a, const char *address,
		  struct gw_store_address **out, struct gw_err *err)
{
	const char *at = strrchr(address, '@');
	int rc;

	*out = NULL;
	rc = get_one(a, address, out, err);
	if (rc == GW_ENOTFOUND && at != NULL && at != address)
		rc = get_one(a, at, out, err);
	if (rc == GW_ENOTFOUND)
		gw_err_set(err, GW_ENOTFOUND, "5.1.1",
			   "no active delivery target for %s", address);
	return rc;
}
