/* storefix - shared set-up of the store unit tests; see storefix.h. */
#include "storefix.h"

#include <stdio.h>
#include <string.h>

#include "harness.h"

void
gw_fix_env_init(struct gw_fix_env *v)
{
	const char *d = gw_test_tmpdir();

	snprintf(v->db, sizeof(v->db), "sqlite:%s/dxgw.db", d);
	snprintf(v->spool, sizeof(v->spool), "%s/spool", d);
}

struct gw_store *
gw_fix_store_open(const struct gw_fix_env *v, int busy_ms)
{
	struct gw_store_opts o = {.busy_timeout_ms = busy_ms};
	struct gw_store *st = NULL;
	struct gw_err e;

	if (gw_store_open_opts(v->db, v->spool, &o, &st, &e) != 0) {
		printf("    open: %s\n", e.msg);
		return NULL;
	}
	return st;
}

struct gw_spool_file *
gw_fix_spool_file(struct gw_store *st, const char *s)
{
	struct gw_spool_file *f = NULL;
	struct gw_err e;

	if (gw_spool_file_new(gw_store_spool(st), &f, &e) < 0)
		return NULL;
	if (gw_spool_file_write(f, s, strlen(s), &e) < 0 ||
	    gw_spool_file_finish(f, &e) < 0) {
		gw_spool_file_discard(f);
		return NULL;
	}
	return f;
}
