/*
 * NAME
 *	trackbench - delivery tracking throughput and store growth for
 *	make bench
 * SUMMARY
 *	trackbench run DIR CCD N
 *	    on a fresh store under DIR (DIR/dxgw.db, DIR/spool):
 *	    setup: N submissions in flight, each as xdrsrv accepts it (one
 *	    10 KB C-CDA-like document made from CCD, its limited metadata,
 *	    one recipient, doc@direct-b.example, final delivery asked for,
 *	    the audit row), queued as one Direct message each
 *	    (gw_store_outbound_queue_many, final_delivery set; the message
 *	    file is a stand-in of TRACKBENCH_MSG_SIZE bytes, default 16540:
 *	    what dxgw's converter makes of that document), claimed and
 *	    marked sent (gw_store_job_result, GW_RCPT_SENT). Timed apart.
 *	    keep: 2 N MDNs, a processed and a dispatched one (with the
 *	    X-DIRECT-FINAL-DESTINATION-DELIVERY extension field) per
 *	    message, built by gw_mdn_build() and kept as the inbound leg
 *	    keeps what the security agent accepted (inbound.c keep(): the
 *	    inner MDN written to a spool file, gw_store_inbound_accept()
 *	    with kind "mdn" and its audit row), by KEEPERS threads as SMTP
 *	    sessions would: notices per second.
 *	    tracker: gw_tracker_run_once() in a loop until a round handles
 *	    nothing: notices per second. One thread: run_once() lists the
 *	    untracked notices without claiming them, so two threads would
 *	    both work the same notices (the later step of each writes an
 *	    "ignored" or "duplicate" history row, and a duplicate re-marks
 *	    the notice with its word). The rounds also give up the N
 *	    dispositions the final outcomes owe the EHR (the sender has no
 *	    address-book entry: one lookup and one store write each, no
 *	    XDR call).
 *	    Then checks, with its own SQLite connection and
 *	    gw_store_track_list(), that every recipient is dispatched and
 *	    final and every notice tracked with its step; anything else
 *	    exits 2.
 *	    Store size: the database file after a FULL checkpoint (the WAL
 *	    file apart: reused, bounded by the store's checkpointer) and
 *	    the spool (on disk: blocks, directories included; apparent:
 *	    file sizes) before the setup, after it, after the keep and
 *	    after the tracker; the growth per message of each phase, and
 *	    the store's commits during the keep and the tracker.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "benchutil.h"
#include "buf.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "id.h"
#include "log.h"
#include "mdn.h"
#include "mem.h"
#include "spool.h"
#include "store.h"
#include "tracker.h"
#include "xdsbuild.h"

#define SENDER    "ehr@direct-a.example"
#define RCPT      "doc@direct-b.example"
#define RCPT_DOM  "direct-b.example"
#define DOC_SIZE  10240
#define MSG_SIZE  16540 /* dxgw's message for that document (outbench) */
#define LIFE      86400
#define WRITERS   16 /* setup threads: their calls share commits */
#define KEEPERS   4  /* as smtpload's 4 SMTP sessions */
#define QBATCH    64 /* submissions per gw_store_outbound_queue_many */
#define CLAIM_MAX 1000

static const char *const rcpts[] = {RCPT};

struct msg {
	char txid[GW_STORE_TXID_LEN];
	char msgid[GW_MDN_MSGID_LEN]; /* the Direct message's */
	char *mdn[2];                 /* processed, dispatched */
	size_t mdnlen[2];
	char mdnid[2][GW_MDN_MSGID_LEN];
};

struct bench {
	struct gw_store *st;
	char dbpath[1024];
	char spool[1024];
	const char *doc;
	size_t doclen;
	struct gw_buf md;
	char *msgbody;
	size_t msglen;
	struct msg *m;
	int n;
	struct gw_store_job *jobs;
	size_t njobs;
};

/* A slice [from, to) of the work for one thread. */
struct worker {
	pthread_t th;
	struct bench *b;
	int from, to;
};

static void
run_threads(struct bench *b, int nth, int n, void *(*fn)(void *))
{
	struct worker w[WRITERS > KEEPERS ? WRITERS : KEEPERS];
	int at = 0;

	if (nth > (int)(sizeof(w) / sizeof(w[0])))
		bench_die("thread", "too many");
	for (int i = 0; i < nth; i++) {
		int k = n / nth + (i < n % nth);

		w[i] = (struct worker){.b = b, .from = at, .to = at + k};
		at += k;
		if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0)
			bench_die("thread", "cannot start");
	}
	for (int i = 0; i < nth; i++)
		pthread_join(w[i].th, NULL);
}

static struct gw_spool_file *
spool_file(struct bench *b, const void *p, size_t len)
{
	struct gw_spool_file *f = NULL;
	struct gw_err e;

	if (gw_spool_file_new(gw_store_spool(b->st), &f, &e) < 0 ||
	    gw_spool_file_write(f, p, len, &e) < 0 ||
	    gw_spool_file_finish(f, &e) < 0)
		bench_die("spool", e.msg);
	return f;
}

/* --- the store's size ------------------------------------------------- */

struct size {
	long long db;     /* database file, after a checkpoint */
	long long wal;    /* its log (reused, bounded by the checkpointer) */
	long long spool;  /* on disk */
	long long spoola; /* apparent */
};

static long long walk_disk, walk_apparent;

static int
walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	walk_disk += (long long)sb->st_blocks * 512;
	if (type == FTW_F)
		walk_apparent += (long long)sb->st_size;
	return 0;
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static sqlite3 *
side_open(struct bench *b)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(b->dbpath, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		bench_die("sqlite open", b->dbpath);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/*
 * The store is idle here. A FULL checkpoint copies the whole log into
 * the database file without truncating it: the log keeps its size, as
 * in a running dxgw, where the next commits reuse it from its start
 * (truncating it made the next phase pay for growing the file again).
 * So db is the database file; the log is reported on its own.
 */
static void
measure(struct bench *b, struct size *out)
{
	sqlite3 *db = side_open(b);
	char wal[1100];
	int rc, nlog = -1, nckpt = -1;

	/* A read first, else this connection has no WAL open: a no-op. */
	rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL,
			  NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_FULL,
					       &nlog, &nckpt);
	if (rc != SQLITE_OK || nlog != nckpt)
		bench_die("checkpoint", sqlite3_errmsg(db));
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", b->dbpath);
	out->db = file_size(b->dbpath);
	out->wal = file_size(wal);
	walk_disk = walk_apparent = 0;
	if (nftw(b->spool, walk_one, 16, FTW_PHYS) != 0)
		bench_die("walk", b->spool);
	out->spool = walk_disk;
	out->spoola = walk_apparent;
}

static long long
count(struct bench *b, const char *sql)
{
	sqlite3 *db = side_open(b);
	sqlite3_stmt *s = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		bench_die("sqlite", sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* --- setup: submissions in flight ---------------------------------- */

/* The SubmitObjectsRequest an XDR client sends for the document. */
static void
metadata(struct bench *b)
{
	struct gw_xdsbuild_doc d = {0};
	struct gw_xdsbuild x = {0};
	struct gw_err e;
	char sha[41];

	gw_digest_sha1_hex(b->doc, b->doclen, sha);
	d.id = "Document01";
	d.mime_type = "text/xml";
	d.size = b->doclen;
	d.sha1 = sha;
	d.unique_id = "2.25.1234567890";
	d.title = "Continuity of Care Document";
	d.creation_time = "20240115150000";
	x.limited = true;
	x.source_id = "2.25.99";
	x.author_telecom = "^^Internet^" SENDER;
	x.intended_recipients = rcpts;
	x.nintended = 1;
	x.docs = &d;
	x.ndocs = 1;
	gw_buf_init(&b->md, 1 << 20);
	if (gw_xdsbuild_submission(&x, &b->md, &e) != 0)
		bench_die("metadata", e.msg);
}

/* Accept as xdrsrv does after an ITI-41: document, rows, audit. */
static void *
accept_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;

	for (int i = w->from; i < w->to; i++) {
		char wsa[GW_ID_UUID_LEN + 9], uuid[GW_ID_UUID_LEN];
		struct gw_audit_event ev = {.event = "xdr.accepted",
					    .client = "CN=bench",
					    .peer = "127.0.0.1",
					    .message_id = wsa,
					    .outcome = "success"};
		struct gw_store_doc d = {.entry_id = "Document01",
					 .unique_id = "2.25.1234567890",
					 .mime_type = "text/xml"};
		struct gw_store_submission s = {
		    .client = "CN=bench",
		    .peer = "127.0.0.1",
		    .message_id = wsa,
		    .ss_unique_id = "2.25.98",
		    .sender = SENDER,
		    .recipients = rcpts,
		    .nrecipients = 1,
		    .docs = &d,
		    .ndocs = 1,
		    .metadata = b->md.data,
		    .metadata_len = b->md.len,
		    .metadata_level = "minimal",
		    .final_delivery = true,
		    .audit = &ev,
		};
		struct gw_err e;

		gw_id_uuid(uuid);
		snprintf(wsa, sizeof(wsa), "urn:uuid:%s", uuid);
		d.file = spool_file(b, b->doc, b->doclen);
		if (gw_store_submission_accept(b->st, &s, b->m[i].txid, &e) < 0)
			bench_die("accept", e.msg);
	}
	return NULL;
}

/* Queue one message per submission, QBATCH submissions per call. */
static void *
queue_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	struct gw_store_outmsg om[QBATCH];
	struct gw_store_outbatch it[QBATCH];

	for (int i = w->from; i < w->to; i += QBATCH) {
		int k = w->to - i < QBATCH ? w->to - i : QBATCH;
		struct gw_err e;

		for (int j = 0; j < k; j++) {
			struct msg *m = &b->m[i + j];
			char uuid[GW_ID_UUID_LEN];

			gw_id_uuid(uuid);
			snprintf(m->msgid, sizeof(m->msgid),
				 "<%s@direct-a.example>", uuid);
			om[j] = (struct gw_store_outmsg){
			    .domain = RCPT_DOM,
			    .message_id = m->msgid,
			    .mail_from = SENDER,
			    .file = spool_file(b, b->msgbody, b->msglen),
			    .rcpts = rcpts,
			    .nrcpts = 1,
			    .final_delivery = true,
			};
			it[j] = (struct gw_store_outbatch){
			    .txid = m->txid, .msgs = &om[j], .nmsgs = 1};
		}
		if (gw_store_outbound_queue_many(b->st, it, (size_t)k,
						 (long long)time(NULL), LIFE,
						 &e) < 0)
			bench_die("queue", e.msg);
		for (int j = 0; j < k; j++)
			gw_spool_file_discard(om[j].file); /* adopted: no-op */
	}
	return NULL;
}

/* The next hop took each message: 250 for its one recipient. */
static void *
sent_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;

	for (int i = w->from; i < w->to; i++) {
		struct gw_store_job *j = &b->jobs[i];
		struct gw_store_rcpt_result r = {.address = j->rcpts[0],
						 .outcome = GW_RCPT_SENT,
						 .reason = "250 2.0.0 Ok"};
		struct gw_err e;

		if (j->nrcpts != 1)
			bench_die("claim", "a job without its recipient");
		if (gw_store_job_result(b->st, j, &r, 1, 0, NULL, &e) < 0)
			bench_die("sent", e.msg);
	}
	return NULL;
}

static void
claim_all(struct bench *b)
{
	b->jobs = gw_xcalloc((size_t)b->n, sizeof(*b->jobs));
	b->njobs = 0;
	for (;;) {
		struct gw_store_job *v = NULL;
		size_t k = 0;
		struct gw_err e;

		if (gw_store_jobs_claim(b->st, (long long)time(NULL), 3600,
					CLAIM_MAX, &v, &k, &e) < 0)
			bench_die("claim", e.msg);
		if (k == 0)
			break;
		if (b->njobs + k > (size_t)b->n)
			bench_die("claim", "more jobs than messages");
		memcpy(b->jobs + b->njobs, v, k * sizeof(*v));
		b->njobs += k;
		free(v); /* the members now belong to b->jobs */
	}
	if (b->njobs != (size_t)b->n)
		bench_die("claim", "fewer jobs than messages");
}

/* --- the notices -------------------------------------------------------- */

static void
build_mdns(struct bench *b)
{
	static const char wrap[] = "Content-Type: message/rfc822\r\n\r\n";
	static const enum gw_mdn_disposition disp[2] = {GW_MDN_PROCESSED,
							GW_MDN_DISPATCHED};

	for (int i = 0; i < b->n; i++) {
		for (int k = 0; k < 2; k++) {
			struct gw_mdn d = {.disposition = disp[k],
					   .from = RCPT,
					   .to = SENDER,
					   .orig_msgid = b->m[i].msgid,
					   .orig_subject = "XDM/1.0/DDM",
					   .reporting_ua =
					       "dxgw-b.bench.test; dxgw",
					   .date = time(NULL)};
			struct gw_buf s, o;
			struct gw_err e;

			gw_buf_init(&s, 1 << 16);
			gw_buf_init(&o, 1 << 16);
			if (gw_mdn_build(&d, &s, &o, b->m[i].mdnid[k], &e) < 0)
				bench_die("mdn", e.msg);
			/* What the agent keeps: the inner message. */
			if (s.len < sizeof(wrap) - 1 ||
			    memcmp(s.data, wrap, sizeof(wrap) - 1) != 0)
				bench_die("mdn",
					  "not wrapped as message/rfc822");
			b->m[i].mdnlen[k] = s.len - (sizeof(wrap) - 1);
			b->m[i].mdn[k] = gw_xstrndup(s.data + sizeof(wrap) - 1,
						     b->m[i].mdnlen[k]);
			gw_buf_dispose(&s);
			gw_buf_dispose(&o);
		}
	}
}

/* inbound.c keep(): spool file, rows and audit row in one commit. */
static void *
keep_main(void *arg)
{
	static const char *const to[] = {SENDER};
	struct worker *w = arg;
	struct bench *b = w->b;
	char session[32];

	snprintf(session, sizeof(session), "bench-%d", w->from);
	for (int i = w->from; i < w->to; i++) {
		for (int k = 0; k < 2; k++) {
			struct msg *m = &b->m[i];
			char txid[GW_STORE_TXID_LEN];
			struct gw_audit_event ev = {
			    .event = "direct.accepted",
			    .client = "",
			    .peer = "192.0.2.7:25",
			    .message_id = m->mdnid[k],
			    .outcome = "success",
			    .detail = "kind=mdn signer=bench rcpts=1"};
			struct gw_store_inmsg im = {
			    .session = session,
			    .peer = "192.0.2.7:25",
			    .mail_from = "",
			    .sender = RCPT,
			    .message_id = m->mdnid[k],
			    .subject = k == 0 ? "Processed: XDM/1.0/DDM"
					      : "Dispatched: XDM/1.0/DDM",
			    .kind = "mdn",
			    .signers = "bench",
			    .rcpts = to,
			    .nrcpts = 1,
			    .audit = &ev,
			};
			struct gw_err e;

			im.file = spool_file(b, m->mdn[k], m->mdnlen[k]);
			if (gw_store_inbound_accept(b->st, &im,
						    (long long)time(NULL), 3600,
						    txid, &e) < 0)
				bench_die("keep", e.msg);
			gw_spool_file_discard(im.file);
		}
	}
	return NULL;
}

/* --- checks ------------------------------------------------------------- */

static void
expect(struct bench *b, const char *what, const char *sql, long long want)
{
	long long got = count(b, sql);
	char msg[300];

	if (got != want) {
		snprintf(msg, sizeof(msg), "%s: %lld, expected %lld", what, got,
			 want);
		bench_die("the tracker did not do its job", msg);
	}
}

static void
verify(struct bench *b)
{
	long long n = b->n;
	int probe[3] = {0, b->n / 2, b->n - 1};

	expect(b, "recipients", "SELECT count(*) FROM recipients", n);
	expect(b, "recipients dispatched and final",
	       "SELECT count(*) FROM recipients WHERE state = 'dispatched'"
	       " AND final = 1",
	       n);
	expect(b, "notices untracked",
	       "SELECT count(*) FROM inbound WHERE kind = 'mdn' AND"
	       " tracked IS NULL",
	       0);
	expect(b, "notices tracked as processed",
	       "SELECT count(*) FROM inbound WHERE tracked = 'mdn processed'",
	       n);
	expect(b, "notices tracked as dispatched",
	       "SELECT count(*) FROM inbound WHERE tracked = 'mdn dispatched'",
	       n);
	expect(b, "dispositions given up (no EHR endpoint)",
	       "SELECT count(*) FROM recipients WHERE ehr_state = 'failed'", n);
	/* And through the store's own reading, for a few submissions. */
	for (int i = 0; i < 3; i++) {
		struct gw_store_trackrow *r = NULL;
		size_t k = 0;
		struct gw_err e;

		if (gw_store_track_list(b->st, b->m[probe[i]].txid, &r, &k,
					&e) < 0)
			bench_die("track list", e.msg);
		if (k != 1 || strcmp(r[0].state, "dispatched") != 0 ||
		    !r[0].final || strcmp(r[0].address, RCPT) != 0)
			bench_die("the tracker did not do its job",
				  b->m[probe[i]].txid);
		gw_store_trackrows_free(r, k);
	}
}

/* --- run ---------------------------------------------------------------- */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
growth(const char *what, const struct size *a, const struct size *z, int n)
{
	printf("  %-30s | %9.0f | %11.0f / %.0f\n", what,
	       (double)(z->db - a->db) / n, (double)(z->spool - a->spool) / n,
	       (double)(z->spoola - a->spoola) / n);
}

static int
cmd_run(const char *dir, const char *ccdpath, int n)
{
	struct bench b = {0};
	struct size s0, s1, s2, s3;
	struct gw_tracker *tr = NULL;
	struct gw_config cfg;
	double t0, t_acc, t_q, t_cl, t_sent, t_keep, t_track, c0, c_track;
	struct gw_store_stats k0, k1, k2;
	size_t len, rounds = 0, handled = 0;
	const char *ms = getenv("TRACKBENCH_MSG_SIZE");
	char *ccd = bench_slurp(ccdpath, &len), *spec;
	struct gw_err e;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("mkdir", dir);
	gw_log_setup(GW_LOG_WARN, 0);
	gw_mem_tune(); /* as dxgw serve does */
	snprintf(b.dbpath, sizeof(b.dbpath), "%s/dxgw.db", dir);
	snprintf(b.spool, sizeof(b.spool), "%s/spool", dir);
	spec = gw_xmalloc(strlen(b.dbpath) + 8);
	snprintf(spec, strlen(b.dbpath) + 8, "sqlite:%s", b.dbpath);
	if (gw_store_open(spec, b.spool, &b.st, &e) < 0)
		bench_die("open", e.msg);
	b.n = n;
	b.m = gw_xcalloc((size_t)n, sizeof(*b.m));
	b.doc = bench_doc(ccd, DOC_SIZE);
	b.doclen = DOC_SIZE;
	metadata(&b);
	b.msglen = ms != NULL ? strtoul(ms, NULL, 10) : MSG_SIZE;
	b.msgbody = gw_xmalloc(b.msglen + 1);
	for (size_t i = 0; i < b.msglen; i++) /* base64-like lines */
		b.msgbody[i] = i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'A';
	measure(&b, &s0);

	t0 = bench_now();
	run_threads(&b, WRITERS, n, accept_main);
	t_acc = bench_now() - t0;
	t0 = bench_now();
	run_threads(&b, WRITERS, n, queue_main);
	t_q = bench_now() - t0;
	t0 = bench_now();
	claim_all(&b);
	t_cl = bench_now() - t0;
	t0 = bench_now();
	run_threads(&b, WRITERS, n, sent_main);
	t_sent = bench_now() - t0;
	measure(&b, &s1);

	build_mdns(&b);
	gw_store_stats_get(b.st, &k0);
	t0 = bench_now();
	run_threads(&b, KEEPERS, n, keep_main);
	t_keep = bench_now() - t0;
	gw_store_stats_get(b.st, &k1);
	measure(&b, &s2);

	gw_config_defaults(&cfg);
	if (gw_tracker_new(&cfg, b.st, "2.25.99", false, &tr, &e) < 0)
		bench_die("tracker", e.msg);
	c0 = cpu_now();
	t0 = bench_now();
	for (;;) {
		size_t k = 0;

		if (gw_tracker_run_once(tr, &k, &e) < 0)
			bench_die("tracker", e.msg);
		rounds++;
		handled += k;
		if (k == 0)
			break;
	}
	t_track = bench_now() - t0;
	c_track = cpu_now() - c0;
	gw_store_stats_get(b.st, &k2);
	gw_tracker_free(tr);
	verify(&b);
	measure(&b, &s3);

	printf("  %d messages in flight (1 recipient each, final delivery "
	       "asked for; a %zu-byte document, a %zu-byte message file)\n",
	       n, b.doclen, b.msglen);
	printf("  setup %.1f s: accept %.1f, queue %.1f, claim %.1f, "
	       "sent %.1f (%d threads)\n",
	       t_acc + t_q + t_cl + t_sent, t_acc, t_q, t_cl, t_sent, WRITERS);
	printf("  keep: %d notices in %.1f s = %.0f notices/s (%d threads: "
	       "spool file + gw_store_inbound_accept; %ld commits)\n",
	       2 * n, t_keep, 2 * n / t_keep, KEEPERS, k1.batches - k0.batches);
	printf("  tracker: %d notices in %.1f s = %.0f notices/s (1 thread, "
	       "%zu rounds; process cpu %.2f ms/notice)\n",
	       2 * n, t_track, 2 * n / t_track, rounds,
	       c_track * 1e3 / (2 * n));
	printf("    %zu items handled: the notices and %d dispositions given "
	       "up (no EHR endpoint); %ld store commits\n",
	       handled, n, k2.batches - k1.batches);
	printf("  %-30s | %9s | %s\n", "bytes per message", "db",
	       "spool on disk / apparent");
	growth("sending (accept..sent)", &s0, &s1, n);
	growth("2 notices kept", &s1, &s2, n);
	growth("tracking", &s2, &s3, n);
	growth("total", &s0, &s3, n);
	printf("  store after tracking: db %.1f MB (and its WAL file %.1f MB),"
	       " spool %.1f MB on disk\n",
	       s3.db / 1e6, s3.wal / 1e6, s3.spool / 1e6);
	printf("  verified: %d of %d recipients dispatched and final, %d "
	       "notices tracked as processed and dispatched\n",
	       n, n, 2 * n);

	gw_store_jobs_free(b.jobs, b.njobs);
	for (int i = 0; i < n; i++) {
		free(b.m[i].mdn[0]);
		free(b.m[i].mdn[1]);
	}
	gw_store_close(b.st);
	gw_config_dispose(&cfg);
	gw_buf_dispose(&b.md);
	free(b.m);
	free(b.msgbody);
	free((char *)b.doc);
	free(spec);
	free(ccd);
	return 0;
}

int
main(int argc, char **argv)
{
	bench_prog = "trackbench";

	if (argc == 5 && strcmp(argv[1], "run") == 0) {
		long n = strtol(argv[4], NULL, 10);

		if (n < 3 || n > 1000000)
			bench_die("N", "between 3 and 1000000");
		return cmd_run(argv[2], argv[3], (int)n);
	}
	fprintf(stderr, "usage: trackbench run DIR CCD N\n");
	return 2;
}
