/*
 * Integration: concurrency, restart and idempotence of the ITI-41
 * endpoint. Success means "durably accepted": what was acknowledged is
 * there after a restart, and a retransmission is not stored twice.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>

#include "itest.h"
#include "store.h"
#include "xdrtest.h"

#define NCLIENTS 50

struct job {
	const struct gw_daemon *d;
	char msgid[64];
	bool ok;
};

static void *
client(void *arg)
{
	struct job *j = arg;
	struct gw_http_resp r;
	char *env = xt_ett("Xdr_minimal_metadata.xml", j->d->url, j->msgid);

	j->ok = env != NULL && xt_post(j->d, env, NULL, 0, &r) &&
		r.status == 200 && gw_str_has(r.body, RS_SUCCESS);
	if (env != NULL)
		gw_http_resp_dispose(&r);
	free(env);
	return NULL;
}

static struct gw_store *
open_store(const struct gw_daemon *d)
{
	struct gw_store *st = NULL;
	struct gw_err err;
	char spec[400], spool[400];

	snprintf(spec, sizeof(spec), "sqlite:%s", d->db);
	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if (gw_store_open(spec, spool, &st, &err) != 0)
		printf("    store: %s\n", err.msg);
	return st;
}

GW_TEST(durable_concurrent_restart_idempotent)
{
	static struct job jobs[NCLIENTS];
	pthread_t th[NCLIENTS];
	struct gw_daemon d;
	struct gw_store *st;
	struct gw_err err;
	int ok = 0;
	long rows = 0;

	REQUIRE(gw_daemon_start(&d, "workers = 16"));
	/* 50 submissions in flight at once */
	for (int i = 0; i < NCLIENTS; i++) {
		jobs[i].d = &d;
		xt_msgid(jobs[i].msgid);
		pthread_create(&th[i], NULL, client, &jobs[i]);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += jobs[i].ok;
	}
	CHECK_INT(ok, NCLIENTS);
	CHECK_INT(xt_count_submissions(&d), NCLIENTS);
	/* stop (SIGTERM), start again on the same store */
	CHECK_INT(gw_daemon_stop(&d), 0);
	REQUIRE(gw_daemon_restart(&d));
	st = open_store(&d);
	REQUIRE(st != NULL);
	for (int i = 0; i < NCLIENTS; i++) {
		struct gw_store_record *rec = NULL;

		CHECK_INT(gw_store_submission_find(st, "anonymous",
						   jobs[i].msgid, &rec, &err),
			  0);
		if (rec == NULL)
			continue;
		CHECK_INT(rec->ndocs, 1);
		CHECK_INT(rec->nrecipients, 1);
		if (rec->ndocs == 1) {
			size_t n = 0;
			char *kept = gw_test_slurp(rec->docs[0].path, &n);

			CHECK(kept != NULL && n == rec->docs[0].size && n > 0);
			free(kept);
		}
		gw_store_record_free(rec);
	}
	/* every request left one audit row, and the chain holds */
	CHECK_INT(gw_store_audit_verify(st, &rows, &err), 0);
	CHECK_INT(rows, NCLIENTS);
	gw_store_close(st);
	/* retransmissions after the restart: same answer, no second copy */
	for (int i = 0; i < 5; i++) {
		jobs[i].ok = false;
		client(&jobs[i]);
		CHECK(jobs[i].ok);
	}
	CHECK_INT(xt_count_submissions(&d), NCLIENTS);
	st = open_store(&d);
	REQUIRE(st != NULL);
	CHECK_INT(gw_store_audit_verify(st, &rows, &err), 0);
	CHECK_INT(rows, NCLIENTS + 5);
	gw_store_close(st);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* A Failure stores nothing: no submission row, no spool file. */
GW_TEST(durable_failure_stores_nothing)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char *env, path[400], *out = NULL;

	REQUIRE(gw_daemon_start(&d, NULL));
	env = xt_ett("negative_missing_metadata_elements5.xml", d.url, NULL);
	REQUIRE(env != NULL);
	REQUIRE(xt_post_with_doc(&d, env, "<x/>", 4, &r));
	CHECK(gw_str_has(r.body, RS_FAILURE));
	gw_http_resp_dispose(&r);
	free(env);
	CHECK_INT(xt_count_submissions(&d), 0);
	snprintf(path, sizeof(path),
		 "find %s/spool -type f | wc -l | tr -d ' \\n'", d.dir);
	CHECK_INT(gw_run(path, &out), 0);
	CHECK_STR(out, "0");
	free(out);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
