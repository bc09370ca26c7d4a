/*
 * Unit tests for store + store_sqlite: round trip, reopen, idempotence,
 * concurrency (group commit), audit chain, crash sweep, and a printed
 * accepts/s measurement.
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"
#include "store.h"

struct env {
	char db[400];
	char spool[400];
};

static void
env_init(struct env *v)
{
	const char *d = gw_test_tmpdir();

	snprintf(v->db, sizeof(v->db), "sqlite:%s/dxgw.db", d);
	snprintf(v->spool, sizeof(v->spool), "%s/spool", d);
}

static struct gw_spool_file *
mkdoc(struct gw_store *st, const void *p, size_t len)
{
	struct gw_spool_file *f = NULL;
	struct gw_err e;

	if (gw_spool_file_new(gw_store_spool(st), &f, &e) < 0)
		return NULL;
	if (gw_spool_file_write(f, p, len, &e) < 0 ||
	    gw_spool_file_finish(f, &e) < 0) {
		gw_spool_file_discard(f);
		return NULL;
	}
	return f;
}

static const char *const rcpts3[] = {
    "a@direct.example.org",
    "b@direct.example.org",
    "c@direct.example.net",
};
static const char meta[] = "<lcm:SubmitObjectsRequest/>";

/* One submission with ndocs small docs; files in *files (caller frees). */
static int
accept_one(struct gw_store *st, const char *client, const char *msgid,
	   size_t ndocs, struct gw_spool_file **files, char txid[64],
	   struct gw_err *e)
{
	struct gw_store_doc docs[4];
	struct gw_store_submission s = {
	    .client = client,
	    .client_cert = "ab12",
	    .peer = "127.0.0.1",
	    .message_id = msgid,
	    .ss_unique_id = "2.25.1",
	    .sender = "ehr@hosp.example.org",
	    .recipients = rcpts3,
	    .nrecipients = 3,
	    .docs = docs,
	    .ndocs = ndocs,
	    .metadata = meta,
	    .metadata_len = sizeof(meta) - 1,
	    .metadata_level = "XDS",
	};

	for (size_t i = 0; i < ndocs; i++) {
		files[i] =
		    mkdoc(st, i == 0 ? "abc" : "hello world", i == 0 ? 3 : 11);
		if (files[i] == NULL)
			return -1;
		docs[i].entry_id = i == 0 ? "urn:uuid:e1" : "urn:uuid:e2";
		docs[i].unique_id = i == 0 ? "2.25.10" : "2.25.11";
		docs[i].mime_type = "text/xml";
		docs[i].file = files[i];
	}
	return gw_store_submission_accept(st, &s, txid, e);
}

static void
discard_all(struct gw_spool_file **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gw_spool_file_discard(files[i]);
}

static void
check_record(const struct gw_store_record *r, const char *txid)
{
	char *data = NULL;
	size_t len = 0;
	struct gw_err e;

	CHECK_STR(r->txid, txid);
	CHECK_STR(r->client, "CN=ehr1");
	CHECK_STR(r->message_id, "urn:uuid:m1");
	CHECK_STR(r->ss_unique_id, "2.25.1");
	CHECK_STR(r->sender, "ehr@hosp.example.org");
	CHECK_STR(r->metadata_level, "XDS");
	REQUIRE(r->received_at != NULL);
	CHECK(strlen(r->received_at) == 24 && r->received_at[23] == 'Z');
	CHECK_INT(r->metadata_len, sizeof(meta) - 1);
	CHECK(r->metadata != NULL && memcmp(r->metadata, meta, 27) == 0);
	REQUIRE(r->nrecipients == 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK_STR(r->recipients[i].address, rcpts3[i]);
		CHECK_STR(r->recipients[i].state, "queued");
	}
	REQUIRE(r->ndocs == 2);
	CHECK_STR(r->docs[0].entry_id, "urn:uuid:e1");
	CHECK_STR(r->docs[1].unique_id, "2.25.11");
	CHECK_STR(r->docs[0].mime_type, "text/xml");
	CHECK_INT(r->docs[0].size, 3);
	CHECK_INT(r->docs[1].size, 11);
	CHECK_STR(r->docs[0].sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK(r->docs[0].path[0] == '/' && strstr(r->docs[0].path, "/doc/"));
	CHECK_INT(gw_spool_file_read(r->docs[1].path, 100, &data, &len, &e), 0);
	CHECK_STR(data, "hello world");
	free(data);
}

GW_TEST(store_roundtrip_and_reopen)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_store_record *r = NULL;
	struct gw_spool_file *files[2];
	struct gw_err e;
	char txid[64];
	long n = -1;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:m1", 2, files, txid, &e) ==
		0);
	CHECK_INT(strlen(txid), 36);
	/* The files now live in doc/; discarding only frees the handles. */
	CHECK(strstr(gw_spool_file_path(files[0]), "/doc/") != NULL);
	discard_all(files, 2);

	REQUIRE(gw_store_submission_get(st, txid, &r, &e) == 0);
	check_record(r, txid);
	gw_store_record_free(r);
	r = NULL;
	REQUIRE(gw_store_submission_find(st, "CN=ehr1", "urn:uuid:m1", &r,
					 &e) == 0);
	check_record(r, txid);
	gw_store_record_free(r);
	r = NULL;
	CHECK_INT(gw_store_submission_get(st, "nope", &r, &e), GW_ENOTFOUND);
	CHECK_INT(
	    gw_store_submission_find(st, "CN=other", "urn:uuid:m1", &r, &e),
	    GW_ENOTFOUND);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 1);
	gw_store_close(st);

	/* Reopen (bare path form of the spec) and read back. */
	REQUIRE(gw_store_open(v.db + 7, v.spool, &st, &e) == 0);
	REQUIRE(gw_store_submission_get(st, txid, &r, &e) == 0);
	check_record(r, txid);
	gw_store_record_free(r);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 1);
	gw_store_close(st);
	gw_store_close(NULL);
}

GW_TEST(store_duplicate_message_id)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_spool_file *f1[2], *f2[2], *f3[2];
	struct gw_err e;
	char t1[64], t2[64], t3[64];
	long n = -1;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:m1", 2, f1, t1, &e) == 0);
	discard_all(f1, 2);

	/* A retransmission: same client and MessageID. */
	CHECK_INT(accept_one(st, "CN=ehr1", "urn:uuid:m1", 2, f2, t2, &e),
		  GW_EEXISTS);
	CHECK_INT(e.code, GW_EEXISTS);
	CHECK_STR(t2, t1);
	/* Its files were not adopted: still in tmp/, the caller's to drop. */
	CHECK(strstr(gw_spool_file_path(f2[0]), "/tmp/") != NULL);
	CHECK(access(gw_spool_file_path(f2[0]), F_OK) == 0);
	discard_all(f2, 2);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 1);

	/* Same MessageID from another client is a different submission. */
	REQUIRE(accept_one(st, "ip:10.0.0.9", "urn:uuid:m1", 2, f3, t3, &e) ==
		0);
	CHECK(strcmp(t3, t1) != 0);
	discard_all(f3, 2);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 2);
	gw_store_close(st);
}

GW_TEST(store_rejects_bad_submissions)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_store_doc d = {.mime_type = "text/plain"};
	struct gw_store_submission s = {.client = "CN=x", .message_id = NULL};
	struct gw_err e;
	char txid[64];
	long n = -1;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK_INT(gw_store_submission_accept(st, &s, txid, &e), GW_ERROR);
	CHECK(e.status[0] == '5');
	s.message_id = "m";
	REQUIRE(gw_spool_file_new(gw_store_spool(st), &f, &e) == 0);
	d.file = f; /* not finished */
	s.docs = &d;
	s.ndocs = 1;
	CHECK_INT(gw_store_submission_accept(st, &s, txid, &e), GW_ERROR);
	s.ndocs = GW_STORE_DOCS_MAX + 1;
	CHECK_INT(gw_store_submission_accept(st, &s, txid, &e), GW_ELIMIT);
	gw_spool_file_discard(f);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 0);
	gw_store_close(st);
	CHECK_INT(gw_store_open("pg:host=x", v.spool, &st, &e), GW_EUNAVAIL);
	CHECK(st == NULL);
}

GW_TEST(store_failed_job_rolls_back_alone)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_spool_file *f[2] = {NULL, NULL}, *ok[2];
	struct gw_store_doc docs[2];
	struct gw_store_submission s = {
	    .client = "CN=ehr1",
	    .message_id = "urn:uuid:broken",
	    .recipients = rcpts3,
	    .nrecipients = 3,
	    .docs = docs,
	    .ndocs = 2,
	};
	struct gw_err e;
	char txid[64], t2[64];
	long n = -1;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	f[0] = mkdoc(st, "one", 3);
	f[1] = mkdoc(st, "two", 3);
	REQUIRE(f[0] != NULL && f[1] != NULL);
	memset(docs, 0, sizeof(docs));
	docs[0].file = f[0];
	docs[1].file = f[1];
	/* The second file vanishes: its rename fails inside the writer. */
	REQUIRE(unlink(gw_spool_file_path(f[1])) == 0);
	CHECK_INT(gw_store_submission_accept(st, &s, txid, &e), GW_ETEMP);
	CHECK(e.temp);
	CHECK_STR(txid, "");
	/* The first file was moved back to tmp/. */
	CHECK(strstr(gw_spool_file_path(f[0]), "/tmp/") != NULL);
	CHECK(access(gw_spool_file_path(f[0]), F_OK) == 0);
	discard_all(f, 2);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 0);
	/* The writer goes on; the same key may be retried. */
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:broken", 2, ok, t2, &e) ==
		0);
	discard_all(ok, 2);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 1);
	gw_store_close(st);
}

/* --- concurrency ---------------------------------------------------- */

struct worker {
	struct gw_store *st;
	int id;
	int count;    /* accepts to do */
	size_t size;  /* document size */
	bool same;    /* all workers use one MessageID */
	int rc_first; /* result of the first accept */
	int errors;
	char txid[64];
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char *data = malloc(w->size + 1);

	memset(data, 'x', w->size);
	for (int i = 0; i < w->count; i++) {
		struct gw_store_doc d = {.entry_id = "urn:uuid:e",
					 .mime_type = "text/xml"};
		struct gw_store_submission s = {
		    .client = "CN=load",
		    .recipients = rcpts3,
		    .nrecipients = 1,
		    .docs = &d,
		    .ndocs = 1,
		    .metadata_level = "minimal",
		};
		char msgid[64];
		struct gw_err e;
		int rc;

		if (w->same)
			snprintf(msgid, sizeof(msgid), "urn:uuid:same");
		else
			snprintf(msgid, sizeof(msgid), "urn:uuid:w%d-%d", w->id,
				 i);
		s.message_id = msgid;
		d.file = mkdoc(w->st, data, w->size);
		if (d.file == NULL) {
			w->errors++;
			continue;
		}
		rc = gw_store_submission_accept(w->st, &s, w->txid, &e);
		if (i == 0)
			w->rc_first = rc;
		if (rc < 0 && !(w->same && rc == GW_EEXISTS))
			w->errors++;
		gw_spool_file_discard(d.file);
	}
	free(data);
	return NULL;
}

static double
run_workers(struct gw_store *st, struct worker *w, int nthreads, int count,
	    size_t size, bool same)
{
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
	struct timespec a, b;

	for (int i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].st = st;
		w[i].id = i;
		w[i].count = count;
		w[i].size = size;
		w[i].same = same;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(t);
	return (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

GW_TEST(store_concurrent_50_threads)
{
	struct env v;
	struct gw_store *st = NULL;
	struct worker w[50];
	struct gw_err e;
	long n = -1;
	int errors = 0;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	run_workers(st, w, 50, 1, 100, false);
	for (int i = 0; i < 50; i++) {
		struct gw_store_record *r = NULL;

		errors += w[i].errors;
		CHECK_INT(w[i].rc_first, 0);
		CHECK_INT(gw_store_submission_get(st, w[i].txid, &r, &e), 0);
		if (r != NULL) {
			CHECK_INT(r->ndocs, 1);
			CHECK_INT(r->nrecipients, 1);
		}
		gw_store_record_free(r);
	}
	CHECK_INT(errors, 0);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 50);
	gw_store_close(st);
}

GW_TEST(store_concurrent_duplicates_in_batch)
{
	struct env v;
	struct gw_store *st = NULL;
	struct worker w[20];
	struct gw_store_stats stats;
	struct gw_err e;
	long n = -1;
	int ok = 0, dup = 0;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	run_workers(st, w, 20, 1, 10, true);
	for (int i = 0; i < 20; i++) {
		CHECK_INT(w[i].errors, 0);
		ok += w[i].rc_first == 0;
		dup += w[i].rc_first == GW_EEXISTS;
		CHECK_STR(w[i].txid, w[0].txid);
	}
	CHECK_INT(ok, 1);
	CHECK_INT(dup, 19);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 1);
	gw_store_stats_get(st, &stats);
	printf("    20 racing duplicates: %ld batches, largest %ld\n",
	       stats.batches, stats.max_batch);
	gw_store_close(st);
}

/* --- audit ---------------------------------------------------------- */

static int
add_events(struct gw_store *st, int n, const char *tag)
{
	struct gw_err e;

	for (int i = 0; i < n; i++) {
		struct gw_audit_event ev = {
		    .txid = i % 2 ? "t-1" : NULL,
		    .event = i % 3 ? "xdr.accepted" : "xdr.rejected",
		    .client = "CN=ehr1",
		    .peer = "127.0.0.1",
		    .message_id = tag,
		    .outcome = i % 3 ? "success" : "failure",
		    .detail = i % 3 ? NULL : "XDSRegistryMetadataError",
		};

		if (gw_store_audit_add(st, &ev, &e) < 0)
			return -1;
	}
	return 0;
}

static int
raw_sql(const char *spec, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(spec + strlen("sqlite:"), &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

GW_TEST(store_audit_chain_and_tamper)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_err e;
	char head[65];
	long rows = -1, id = -1;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 0);
	CHECK_INT(gw_store_audit_head(st, &id, head, &e), 0);
	CHECK_INT(id, 0);
	CHECK_INT(strspn(head, "0"), 64);
	REQUIRE(add_events(st, 5, "m1") == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 5);
	gw_store_close(st);

	/* The chain continues across a reopen. */
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(add_events(st, 3, "m2") == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 8);
	CHECK_INT(gw_store_audit_head(st, &id, head, &e), 0);
	CHECK_INT(id, 8);
	CHECK_INT(strlen(head), 64);
	gw_store_close(st);

	/* Edit one field of row 3 behind the store's back. */
	REQUIRE(
	    raw_sql(v.db, "UPDATE audit SET peer = '10.6.6.6' WHERE id = 3") ==
	    SQLITE_OK);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), GW_ETRUST);
	CHECK(strstr(e.msg, "row 3") != NULL);
	CHECK_INT(rows, 2);
	gw_store_close(st);

	/* Put it back, then delete a middle row: row 5 no longer links. */
	REQUIRE(raw_sql(v.db,
			"UPDATE audit SET peer = '127.0.0.1' WHERE id = 3;"
			" DELETE FROM audit WHERE id = 4") == SQLITE_OK);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), GW_ETRUST);
	CHECK(strstr(e.msg, "row 5") != NULL);
	gw_store_close(st);
}

/* --- crash sweep ---------------------------------------------------- */

GW_TEST(store_sweep_orphans_at_open)
{
	struct env v;
	struct gw_store *st = NULL;
	struct gw_store_record *r = NULL;
	struct gw_spool_file *files[2];
	struct gw_err e;
	char txid[64], orphan[512];
	FILE *fp;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:m1", 2, files, txid, &e) ==
		0);
	discard_all(files, 2);
	gw_store_close(st);

	/* A file renamed into doc/ whose rows never committed. */
	snprintf(orphan, sizeof(orphan), "%s/doc/0f0e0d0c-orphan", v.spool);
	fp = fopen(orphan, "w");
	REQUIRE(fp != NULL);
	fputs("orphan", fp);
	fclose(fp);

	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK(access(orphan, F_OK) != 0);
	REQUIRE(gw_store_submission_get(st, txid, &r, &e) == 0);
	REQUIRE(r->ndocs == 2);
	CHECK(access(r->docs[0].path, F_OK) == 0);
	CHECK(access(r->docs[1].path, F_OK) == 0);
	gw_store_record_free(r);
	gw_store_close(st);
}

/* --- measurement (printed, not asserted) ---------------------------- */

static void
bench(int batch_max, const char *label)
{
	struct gw_store_opts o = {.batch_max = batch_max};
	struct env v;
	struct gw_store *st = NULL;
	struct gw_store_stats stats;
	struct worker w[16];
	struct gw_err e;
	double secs;
	int errors = 0;
	long n = -1;

	env_init(&v);
	REQUIRE(gw_store_open_opts(v.db, v.spool, &o, &st, &e) == 0);
	secs = run_workers(st, w, 16, 50, 10 * 1024, false);
	for (int i = 0; i < 16; i++)
		errors += w[i].errors;
	gw_store_stats_get(st, &stats);
	CHECK_INT(errors, 0);
	CHECK_INT(gw_store_submission_count(st, &n, &e), 0);
	CHECK_INT(n, 800);
	printf("    %s: 16 threads x 50 accepts (10 KB doc): %.0f accepts/s"
	       " (%.2f s, %ld batches, avg %.1f, max %ld per commit)\n",
	       label, 800 / secs, secs, stats.batches,
	       stats.batches ? (double)stats.jobs / (double)stats.batches : 0.0,
	       stats.max_batch);
	gw_store_close(st);
}

GW_TEST(store_bench_group_commit)
{
	bench(0, "group commit");
	bench(1, "one commit per accept");
}

/* A batch that cannot start (database locked by someone else) fails as a
 * whole with GW_ETEMP, leaves the files to the caller and the chain whole. */
GW_TEST(store_locked_db_is_temporary)
{
	struct gw_store_opts o = {.busy_timeout_ms = 50};
	struct gw_audit_event ev = {.event = "xdr.rejected",
				    .outcome = "failure"};
	struct env v;
	struct gw_store *st = NULL;
	struct gw_spool_file *f[1], *g[1];
	struct gw_err e;
	sqlite3 *raw = NULL;
	char txid[64];
	long rows = -1;

	env_init(&v);
	REQUIRE(gw_store_open_opts(v.db, v.spool, &o, &st, &e) == 0);
	REQUIRE(gw_store_audit_add(st, &ev, &e) == 0);
	REQUIRE(sqlite3_open(v.db + 7, &raw) == SQLITE_OK);
	REQUIRE(sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
		SQLITE_OK);
	CHECK_INT(accept_one(st, "CN=ehr1", "urn:uuid:m1", 1, f, txid, &e),
		  GW_ETEMP);
	CHECK(e.temp && e.status[0] == '4');
	CHECK(access(gw_spool_file_path(f[0]), F_OK) == 0);
	CHECK(strstr(gw_spool_file_path(f[0]), "/tmp/") != NULL);
	discard_all(f, 1);
	CHECK_INT(gw_store_audit_add(st, &ev, &e), GW_ETEMP);
	sqlite3_exec(raw, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(raw);

	CHECK_INT(accept_one(st, "CN=ehr1", "urn:uuid:m1", 1, g, txid, &e), 0);
	discard_all(g, 1);
	REQUIRE(gw_store_audit_add(st, &ev, &e) == 0);
	CHECK_INT(gw_store_audit_verify(st, &rows, &e), 0);
	CHECK_INT(rows, 2);
	gw_store_close(st);
}

/*
 * WAL pages reach the database file only through checkpoints. The write
 * connection's auto-checkpoint is replaced by the background
 * checkpointer: if that thread never ran, the database file would stay
 * at its initial few pages while the WAL grew to the inline limit.
 */
GW_TEST(store_wal_checkpointed_in_background)
{
	static char big[8192];
	struct gw_store *st = NULL;
	struct gw_store_submission s = {
	    .client = "CN=ehr1",
	    .sender = "ehr@hosp.example.org",
	    .recipients = rcpts3,
	    .nrecipients = 1,
	    .metadata = big,
	    .metadata_len = sizeof(big),
	    .metadata_level = "XDS",
	};
	char msgid[64], txid[64];
	struct stat sb = {0};
	struct gw_err e;
	struct env v;

	env_init(&v);
	memset(big, 'm', sizeof(big));
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	/* 600 x 8 KiB of metadata: about 1800 WAL frames. */
	for (int i = 0; i < 600; i++) {
		snprintf(msgid, sizeof(msgid), "urn:uuid:ckpt-%d", i);
		s.message_id = msgid;
		REQUIRE(gw_store_submission_accept(st, &s, txid, &e) == 0);
	}
	for (int i = 0; i < 100; i++) {
		if (stat(v.db + 7, &sb) == 0 && sb.st_size > 2 * 1024 * 1024)
			break;
		usleep(50000);
	}
	CHECK(sb.st_size > 2 * 1024 * 1024);
	gw_store_close(st);
}

/* A finished spool file holding s, for an outbound message. */
static struct gw_spool_file *
mkmsg(struct gw_store *st, const char *s)
{
	return mkdoc(st, s, strlen(s));
}

GW_TEST(store_outbound_queue_lifecycle)
{
	static const char *const domain_rcpts[] = {"a@direct.example.org",
						   "b@direct.example.org"};
	struct gw_store_rcpt_fail fail = {.address = "c@direct.example.net",
					  .reason = "no certificate"};
	struct gw_spool_file *files[2] = {NULL, NULL}, *m = NULL;
	struct gw_store_job *jobs = NULL;
	struct gw_store_record *r = NULL;
	struct gw_store *st = NULL;
	struct gw_store_outmsg om = {.domain = "direct.example.org",
				     .message_id = "<1@hosp.example.org>",
				     .mail_from = "ehr@hosp.example.org",
				     .rcpts = domain_rcpts,
				     .nrcpts = 2};
	char **txids = NULL;
	char txid[64];
	size_t n = 0;
	struct gw_err e;
	struct env v;
	long long now = 1000000;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:q1", 1, files, txid, &e) ==
		0);
	REQUIRE(gw_store_pending(st, 10, &txids, &n, &e) == 0);
	CHECK_INT(n, 1);
	CHECK(n == 1 && strcmp(txids[0], txid) == 0);
	gw_store_txids_free(txids, n);

	REQUIRE((m = mkmsg(st, "Subject: encrypted\r\n\r\nx\r\n")) != NULL);
	om.file = m;
	CHECK_INT(
	    gw_store_outbound_queue(st, txid, &om, 1, &fail, 1, now, 3600, &e),
	    0);
	CHECK(strstr(gw_spool_file_path(m), "/doc/") != NULL);
	REQUIRE(gw_store_pending(st, 10, &txids, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_txids_free(txids, n);
	/* Converted once only. */
	CHECK_INT(
	    gw_store_outbound_queue(st, txid, &om, 1, NULL, 0, now, 3600, &e),
	    GW_EEXISTS);

	/* Due now: one job, two recipients, its file readable. */
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_STR(jobs[0].domain, "direct.example.org");
	CHECK_STR(jobs[0].message_id, "<1@hosp.example.org>");
	CHECK_INT(jobs[0].attempts, 1);
	CHECK(jobs[0].expires_at == now + 3600);
	REQUIRE(jobs[0].nrcpts == 2);
	CHECK_STR(jobs[0].rcpts[0], "a@direct.example.org");
	CHECK(access(jobs[0].path, R_OK) == 0);
	{
		struct gw_store_job *again = NULL;
		size_t n2 = 9;

		/* Claimed: nobody else gets it inside the lease. */
		REQUIRE(gw_store_jobs_claim(st, now + 599, 600, 8, &again, &n2,
					    &e) == 0);
		CHECK_INT(n2, 0);
		gw_store_jobs_free(again, n2);
	}
	{
		struct gw_store_rcpt_result res[2] = {
		    {.address = "a@direct.example.org",
		     .outcome = GW_RCPT_SENT,
		     .reason = "250 2.0.0 ok"},
		    {.address = "b@direct.example.org",
		     .outcome = GW_RCPT_DEFERRED,
		     .reason = "451 4.3.0 later"},
		};

		CHECK_INT(gw_store_job_result(st, &jobs[0], res, 2, now + 60,
					      "451 for one", &e),
			  0);
	}
	gw_store_jobs_free(jobs, n);
	REQUIRE(gw_store_jobs_claim(st, now + 59, 600, 8, &jobs, &n, &e) == 0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(jobs, n);
	REQUIRE(gw_store_jobs_claim(st, now + 60, 600, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(jobs[0].attempts, 2);
	REQUIRE(jobs[0].nrcpts == 1); /* only the deferred one is left */
	CHECK_STR(jobs[0].rcpts[0], "b@direct.example.org");
	{
		struct gw_store_rcpt_result res = {
		    .address = "b@direct.example.org",
		    .outcome = GW_RCPT_FAILED,
		    .reason = "550 5.1.1 no such user"};

		CHECK_INT(gw_store_job_result(st, &jobs[0], &res, 1, now + 120,
					      NULL, &e),
			  0);
	}
	gw_store_jobs_free(jobs, n);
	/* Nothing left: the job is finished. */
	REQUIRE(gw_store_jobs_claim(st, now + 10000, 600, 8, &jobs, &n, &e) ==
		0);
	CHECK_INT(n, 0);
	gw_store_jobs_free(jobs, n);

	REQUIRE(gw_store_submission_get(st, txid, &r, &e) == 0);
	REQUIRE(r->nrecipients == 3);
	CHECK_STR(r->recipients[0].state, "sent");
	CHECK_STR(r->recipients[1].state, "failed");
	CHECK_STR(r->recipients[2].state, "failed");
	gw_store_record_free(r);
	gw_spool_file_discard(m);
	discard_all(files, 1);
	gw_store_close(st);
}

GW_TEST(store_outbound_survives_restart_and_lease_reset)
{
	static const char *const rc1[] = {"a@direct.example.org"};
	struct gw_spool_file *files[1] = {NULL}, *m = NULL;
	struct gw_store_job *jobs = NULL;
	struct gw_store *st = NULL;
	struct gw_store_outmsg om = {.domain = "direct.example.org",
				     .message_id = "<2@hosp.example.org>",
				     .mail_from = "ehr@hosp.example.org",
				     .rcpts = rc1,
				     .nrcpts = 1};
	char path[1024];
	char txid[64];
	size_t n = 0;
	struct gw_err e;
	struct env v;
	long long now = 2000000;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:q2", 1, files, txid, &e) ==
		0);
	REQUIRE((m = mkmsg(st, "encrypted bytes\r\n")) != NULL);
	om.file = m;
	REQUIRE(gw_store_outbound_queue(st, txid, &om, 1, NULL, 0, now, 3600,
					&e) == 0);
	REQUIRE(gw_store_jobs_claim(st, now, 600, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	snprintf(path, sizeof(path), "%s", jobs[0].path);
	gw_store_jobs_free(jobs, n);
	gw_spool_file_discard(m);
	discard_all(files, 1);
	/* "Crash" while the job is claimed; the sweep must keep its file. */
	gw_store_close(st);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	CHECK(access(path, R_OK) == 0);
	REQUIRE(gw_store_jobs_claim(st, now + 1, 600, 8, &jobs, &n, &e) == 0);
	CHECK_INT(n, 0); /* still leased */
	gw_store_jobs_free(jobs, n);
	REQUIRE(gw_store_leases_reset(st, now + 1, &e) == 0);
	REQUIRE(gw_store_jobs_claim(st, now + 1, 600, 8, &jobs, &n, &e) == 0);
	REQUIRE(n == 1);
	CHECK_INT(jobs[0].attempts, 2);
	CHECK(strcmp(jobs[0].path, path) == 0);
	gw_store_jobs_free(jobs, n);
	gw_store_close(st);
}

GW_TEST(store_outbound_refuses_unknown_recipient_atomically)
{
	static const char *const bad[] = {"a@direct.example.org",
					  "stranger@elsewhere.example"};
	struct gw_spool_file *files[1] = {NULL}, *m = NULL;
	struct gw_store *st = NULL;
	struct gw_store_outmsg om = {.domain = "direct.example.org",
				     .message_id = "<3@hosp.example.org>",
				     .mail_from = "ehr@hosp.example.org",
				     .rcpts = bad,
				     .nrcpts = 2};
	char **txids = NULL;
	char txid[64];
	size_t n = 0;
	struct gw_err e;
	struct env v;

	env_init(&v);
	REQUIRE(gw_store_open(v.db, v.spool, &st, &e) == 0);
	REQUIRE(accept_one(st, "CN=ehr1", "urn:uuid:q3", 1, files, txid, &e) ==
		0);
	REQUIRE((m = mkmsg(st, "x\r\n")) != NULL);
	om.file = m;
	CHECK_INT(
	    gw_store_outbound_queue(st, txid, &om, 1, NULL, 0, 5, 3600, &e),
	    GW_ERROR);
	CHECK(strstr(e.msg, "stranger@elsewhere.example") != NULL);
	/* Nothing happened: file back in tmp/, still waiting. */
	CHECK(strstr(gw_spool_file_path(m), "/tmp/") != NULL);
	REQUIRE(gw_store_pending(st, 10, &txids, &n, &e) == 0);
	CHECK_INT(n, 1);
	gw_store_txids_free(txids, n);
	gw_spool_file_discard(m);
	discard_all(files, 1);
	gw_store_close(st);
}
