/*
 * NAME
 *	store_sqlite - the embedded SQLite backend of store, with group commit
 * SUMMARY
 *	One writer thread owns the write connection and turns every batch of
 *	waiting accept/audit requests into ONE transaction: rename the
 *	batch's spool files into doc/, insert the rows, fsync doc/ once,
 *	COMMIT once (WAL, synchronous=FULL), then wake each caller with its
 *	own result. Reads use a second connection behind a mutex.
 * DESCRIPTION
 *	Group commit. Callers queue a job and sleep; the writer takes up to
 *	batch_max queued jobs, opens BEGIN IMMEDIATE and runs each job inside
 *	its own SAVEPOINT, so a failing job is rolled back alone and does not
 *	poison the others. A (client, message_id) that is already in the
 *	database, or earlier in the same batch, is answered GW_EEXISTS with
 *	the first txid. If the fsync of doc/ or the COMMIT fails, the whole
 *	batch is rolled back, renamed files go back to tmp/ and every member
 *	gets GW_ETEMP. The writer is the only place audit rows are appended,
 *	so the hash chain is strictly ordered; it keeps the chain head in
 *	memory and reloads it from the database after a failed batch.
 *
 *	Crash safety: files are renamed before the rows that name them are
 *	committed. A crash in between leaves files in doc/ that no row
 *	names; the sweep at open removes them (indexed lookups per file in
 *	doc/, through the UNIQUE indexes on the path columns of documents,
 *	outbound and inbound).
 *
 *	Keys are time-ordered (UUID version 7 txids and spool names), so a
 *	batch's rows share B-tree leaves and the WAL gets a few pages per
 *	submission, not one per index. WAL checkpoints run in their own
 *	thread (store_sqlite_ckpt.c), not inside a batch's COMMIT.
 *
 *	Paths in documents.path are relative to the spool directory
 *	("doc/<uuid>"), so a spool can be moved; records carry absolute
 *	paths.
 *
 *	Audit hash: hash = hex(SHA-256(enc)) where enc is "dxgw-audit-v1\0"
 *	followed by, for prev_hash, id (decimal), at, event, txid, client,
 *	client_cert, peer, message_id, outcome, detail in that order: one
 *	byte 0 for NULL, or byte 1, the length as 8 bytes big-endian and the
 *	bytes. The first row's prev_hash is 64 zeros.
 * STANDARDS
 *	SQLite WAL and synchronous=FULL durability; RELIABILITY.md 1.2, 3.2
 *	(fsync before ack), 5.4 (hash-chained audit, after Schneier-Kelsey).
 * SECURITY
 *	The database holds submission metadata (PHI): it is created 0600.
 *	All values are bound parameters, never SQL text. Audit rows carry
 *	identifiers only. SQLITE_DBCONFIG_DEFENSIVE is on.
 * LIMITS
 *	batch_max (default 256, at most 4096) jobs per transaction;
 *	busy_timeout_ms (default 5000). Field sizes are checked in store.c.
 *	audit_verify scans the whole table under the read mutex.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "id.h"
#include "log.h"
#include "mem.h"
#include "store_sqlite_addr.h"
#include "store_sqlite_ckpt.h"
#include "store_sqlite_inbound.h"
#include "store_sqlite_queue.h"
#include "store_sqlite_status.h"
#include "store_sqlite_track.h"
#include "store_sqlite_util.h"

#define SCHEMA_VERSION    6
#define BATCH_MAX_DEFAULT 256
#define BATCH_MAX_LIMIT   4096
#define BUSY_MS_DEFAULT   5000
#define ZERO_HASH                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Migrations: migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
    "CREATE TABLE submissions ("
    " txid TEXT PRIMARY KEY,"
    " client TEXT NOT NULL,"
    " client_cert TEXT,"
    " peer TEXT,"
    " message_id TEXT NOT NULL,"
    " ss_unique_id TEXT,"
    " sender TEXT,"
    " metadata_level TEXT,"
    " metadata BLOB,"
    " received_at TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'accepted',"
    " UNIQUE (client, message_id));"
    "CREATE INDEX submissions_state ON submissions (state);"
    "CREATE TABLE documents ("
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " entry_id TEXT,"
    " unique_id TEXT,"
    " mime_type TEXT,"
    " path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " sha1 TEXT NOT NULL,"
    " PRIMARY KEY (txid, seq));"
    "CREATE TABLE recipients ("
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " address TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " updated_at TEXT NOT NULL,"
    " PRIMARY KEY (txid, address));"
    "CREATE INDEX recipients_state ON recipients (state, updated_at);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at TEXT NOT NULL,"
    " event TEXT NOT NULL,"
    " txid TEXT,"
    " client TEXT,"
    " client_cert TEXT,"
    " peer TEXT,"
    " message_id TEXT,"
    " outcome TEXT NOT NULL,"
    " detail TEXT,"
    " prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL);"
    "CREATE INDEX audit_txid ON audit (txid);",
    /* 2: what the Direct headers asked for, for the outbound leg. */
    "ALTER TABLE submissions ADD COLUMN final_delivery INTEGER NOT NULL"
    " DEFAULT 0;"
    "ALTER TABLE submissions ADD COLUMN relates_to TEXT;",
    /* 3: the outbound queue (store_sqlite_queue.c). */
    "ALTER TABLE recipients ADD COLUMN job INTEGER;"
    "ALTER TABLE recipients ADD COLUMN reason TEXT;"
    "CREATE INDEX recipients_job ON recipients (job) WHERE job IS NOT NULL;"
    "CREATE TABLE outbound ("
    " id INTEGER PRIMARY KEY,"
    " txid TEXT NOT NULL REFERENCES submissions (txid) ON DELETE CASCADE,"
    " domain TEXT NOT NULL,"
    " message_id TEXT NOT NULL,"
    " mail_from TEXT NOT NULL,"
    " path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " claimed INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " UNIQUE (txid, domain));"
    "CREATE INDEX outbound_due ON outbound (state, next_at);",
    /* 4: the address book of the inbound leg (store_sqlite_addr.c). */
    "CREATE TABLE addresses ("
    " address TEXT PRIMARY KEY,"
    " url TEXT NOT NULL,"
    " cert TEXT,"
    " ca TEXT,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);",
    /*
     * 5: the inbound leg (store_sqlite_inbound.c), and notification jobs
     * in outbound. A notification has no submission, so outbound.txid
     * loses its NOT NULL: SQLite cannot drop a constraint, the table is
     * rebuilt (create, copy with the ids recipients.job points at, drop,
     * rename, as in its ALTER TABLE documentation). Nothing references
     * outbound, so neither the drop nor the rename touches a foreign
     * key. NULL txids do not collide in UNIQUE (txid, domain).
     */
    "CREATE TABLE inbound ("
    " txid TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " session TEXT NOT NULL,"
    " peer TEXT NOT NULL,"
    " mail_from TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " message_id TEXT,"
    " subject TEXT,"
    " wants_final INTEGER NOT NULL DEFAULT 0,"
    " processed_sent INTEGER NOT NULL DEFAULT 0,"
    " signers TEXT,"
    " path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " claimed INTEGER NOT NULL DEFAULT 0,"
    " received_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " last_error TEXT);"
    "CREATE INDEX inbound_due ON inbound (state, next_at);"
    "CREATE TABLE inbound_rcpts ("
    " txid TEXT NOT NULL REFERENCES inbound (txid) ON DELETE CASCADE,"
    " address TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " reason TEXT,"
    " notified INTEGER NOT NULL DEFAULT 0,"
    " updated_at TEXT NOT NULL,"
    " PRIMARY KEY (txid, address));"
    "CREATE TABLE outbound_new ("
    " id INTEGER PRIMARY KEY,"
    " txid TEXT REFERENCES submissions (txid) ON DELETE CASCADE,"
    " domain TEXT NOT NULL,"
    " message_id TEXT NOT NULL,"
    " mail_from TEXT NOT NULL,"
    " path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " claimed INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " inbound TEXT REFERENCES inbound (txid) ON DELETE CASCADE,"
    " rcpt TEXT,"
    " rcpt_state TEXT,"
    " rcpt_reason TEXT,"
    " UNIQUE (txid, domain),"
    " CHECK ((txid IS NULL) <> (inbound IS NULL)),"
    " CHECK (inbound IS NULL OR (rcpt IS NOT NULL AND"
    " rcpt_state IS NOT NULL)));"
    "INSERT INTO outbound_new (id, txid, domain, message_id, mail_from,"
    " path, size, state, claimed, attempts, created_at, next_at,"
    " expires_at, last_error) SELECT id, txid, domain, message_id,"
    " mail_from, path, size, state, claimed, attempts, created_at, next_at,"
    " expires_at, last_error FROM outbound;"
    "DROP TABLE outbound;"
    "ALTER TABLE outbound_new RENAME TO outbound;"
    "CREATE INDEX outbound_due ON outbound (state, next_at);"
    "CREATE INDEX outbound_inbound ON outbound (inbound)"
    " WHERE inbound IS NOT NULL;",
    /*
     * 6: delivery tracking (store_sqlite_track.c). Recipients keep when
     * they were sent, whether they are final and what their EHR is owed
     * (times in Unix seconds, NULL when unset); rcpt_events is their
     * history; a job says whether its message asked for final delivery;
     * an inbound notice says what the tracking made of it. Rows from
     * before: failed recipients are final since they were last updated
     * (now if that stamp does not parse), sent ones were sent then (0 if
     * it does not parse: overdue at once), and no disposition is owed
     * for what happened before the tracking existed.
     */
    "ALTER TABLE recipients ADD COLUMN sent_at INTEGER;"
    "ALTER TABLE recipients ADD COLUMN final INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE recipients ADD COLUMN final_at INTEGER;"
    "ALTER TABLE recipients ADD COLUMN ehr_state TEXT;"
    "ALTER TABLE recipients ADD COLUMN ehr_attempts INTEGER NOT NULL"
    " DEFAULT 0;"
    "ALTER TABLE recipients ADD COLUMN ehr_next_at INTEGER;"
    "ALTER TABLE outbound ADD COLUMN final_delivery INTEGER NOT NULL"
    " DEFAULT 0;"
    "ALTER TABLE inbound ADD COLUMN tracked TEXT;"
    "CREATE TABLE rcpt_events ("
    " id INTEGER PRIMARY KEY,"
    " txid TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " event TEXT NOT NULL,"
    " detail TEXT,"
    " FOREIGN KEY (txid, address) REFERENCES recipients (txid, address)"
    " ON DELETE CASCADE);"
    "CREATE INDEX rcpt_events_rcpt ON rcpt_events (txid, address);"
    "CREATE INDEX recipients_overdue ON recipients (final, state, sent_at);"
    "CREATE INDEX recipients_ehr ON recipients (ehr_state, ehr_next_at)"
    " WHERE ehr_state IS NOT NULL;"
    "CREATE INDEX outbound_message_id ON outbound (message_id);"
    "CREATE INDEX inbound_untracked ON inbound (received_at)"
    " WHERE kind IN ('mdn', 'dsn') AND tracked IS NULL;"
    "UPDATE recipients SET final = 1, final_at ="
    " coalesce(CAST(strftime('%s', updated_at) AS INTEGER),"
    " CAST(strftime('%s', 'now') AS INTEGER)) WHERE state = 'failed';"
    "UPDATE recipients SET sent_at ="
    " coalesce(CAST(strftime('%s', updated_at) AS INTEGER), 0)"
    " WHERE state = 'sent';",
};

enum {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_SAVEPOINT,
	W_RELEASE,
	W_ROLLBACK_TO,
	W_DUP,
	W_INS_SUB,
	W_INS_DOC,
	W_INS_RCPT,
	W_INS_AUDIT,
	W_HEAD,
	W_NSTMT
};

static const char *const wsql[W_NSTMT] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_ROLLBACK] = "ROLLBACK",
    [W_SAVEPOINT] = "SAVEPOINT job",
    [W_RELEASE] = "RELEASE job",
    [W_ROLLBACK_TO] = "ROLLBACK TO job",
    [W_DUP] = "SELECT txid FROM submissions WHERE client = ?1 AND "
	      "message_id = ?2",
    [W_INS_SUB] = "INSERT INTO submissions (txid, client, client_cert, peer,"
		  " message_id, ss_unique_id, sender, metadata_level,"
		  " metadata, received_at, state, final_delivery,"
		  " relates_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		  " ?10, 'accepted', ?11, ?12)",
    [W_INS_DOC] = "INSERT INTO documents (txid, seq, entry_id, unique_id,"
		  " mime_type, path, size, sha1) VALUES (?1, ?2, ?3, ?4, ?5,"
		  " ?6, ?7, ?8)",
    /* Failed from the start is final; the EHR has its answer already. */
    [W_INS_RCPT] = "INSERT OR IGNORE INTO recipients (txid, address, state,"
		   " updated_at, reason, final, final_at) VALUES (?1, ?2,"
		   " CASE WHEN ?4 IS NULL THEN 'queued' ELSE 'failed' END,"
		   " ?3, ?4, ?4 IS NOT NULL,"
		   " CASE WHEN ?4 IS NOT NULL THEN ?5 END)",
    [W_INS_AUDIT] = "INSERT INTO audit (id, at, event, txid, client,"
		    " client_cert, peer, message_id, outcome, detail,"
		    " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		    " ?8, ?9, ?10, ?11, ?12)",
    [W_HEAD] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
};

enum {
	R_BEGIN,
	R_END,
	R_SUB,
	R_FIND,
	R_DOCS,
	R_RCPTS,
	R_COUNT,
	R_AUDIT,
	R_HEAD,
	R_DOCPATH,
	R_NSTMT
};

static const char *const rsql[R_NSTMT] = {
    [R_BEGIN] = "BEGIN",
    [R_END] = "COMMIT",
    [R_SUB] = "SELECT txid, client, message_id, ss_unique_id, sender,"
	      " metadata_level, received_at, metadata, final_delivery,"
	      " relates_to FROM submissions WHERE txid = ?1",
    [R_FIND] = "SELECT txid FROM submissions WHERE client = ?1 AND "
	       "message_id = ?2",
    [R_DOCS] = "SELECT entry_id, unique_id, mime_type, path, size, sha1"
	       " FROM documents WHERE txid = ?1 ORDER BY seq",
    [R_RCPTS] = "SELECT address, state, reason FROM recipients WHERE txid = ?1"
		" ORDER BY rowid",
    [R_COUNT] = "SELECT count(*) FROM submissions",
    [R_AUDIT] = "SELECT id, at, event, txid, client, client_cert, peer,"
		" message_id, outcome, detail, prev_hash, hash FROM audit"
		" ORDER BY id",
    [R_HEAD] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [R_DOCPATH] = "SELECT 1 FROM documents WHERE path = ?1"
		  " UNION ALL SELECT 1 FROM outbound WHERE path = ?1"
		  " UNION ALL SELECT 1 FROM inbound WHERE path = ?1",
};

enum job_kind {
	JOB_ACCEPT,
	JOB_AUDIT,
	JOB_QUEUE,
	JOB_CLAIM,
	JOB_RESULT,
	JOB_RESET,
	JOB_ADDR_PUT,
	JOB_ADDR_DEACT,
	JOB_IN_ACCEPT,
	JOB_IN_CLAIM,
	JOB_IN_RESULT,
	JOB_TR_SET,
	JOB_NOTICE_TRACKED,
	JOB_EHR_CLAIM,
	JOB_EHR_RESULT
};

/* Arguments and results of the queue jobs. */
struct qargs {
	const char *txid;
	const struct gw_store_outmsg *msgs;
	size_t nmsgs;
	const struct gw_store_rcpt_fail *fails;
	size_t nfails;
	long long now;
	long lifetime_s;
	long lease_s;
	size_t max;
	struct gw_store_job *jobs; /* claim: out */
	size_t njobs;
	const struct gw_store_job *job; /* result */
	const struct gw_store_rcpt_result *res;
	size_t nres;
	long long next_at;
	const char *error;
	const struct gw_store_address *addr; /* address book */
	const char *address;
	const struct gw_store_inmsg *inmsg; /* inbound leg */
	struct gw_store_injob *injobs;      /* in claim: out */
	size_t ninjobs;
	const struct gw_store_injob *injob; /* in result */
	bool processed_sent;
	const struct gw_store_inresult *inres;
	size_t ninres;
	const struct gw_store_notice *notes;
	size_t nnotes;
	const struct gw_store_trackset *tset; /* tracking */
	const char *outcome;                  /* notice tracked */
	const char *ehr_state;                /* ehr result */
	const char *detail;
	struct gw_store_trackrow *trows; /* ehr claim: out */
	size_t ntrows;
};

struct job {
	enum job_kind kind;
	const struct gw_store_submission *sub;
	const struct gw_audit_event *ev;
	char txid[GW_STORE_TXID_LEN];
	struct qargs *q;
	size_t nadopted; /* their files [0..nadopted) are in doc/ */
	int rc;
	struct gw_err err;
	bool done;
	pthread_cond_t cv; /* its caller waits here, alone */
	struct job *next;
};

struct sqlite_be {
	struct gw_spool *sp;
	sqlite3 *wdb;
	sqlite3 *rdb;
	sqlite3 *cdb;          /* the checkpointer's */
	struct gw_sqlq *wq;    /* queue statements on wdb */
	struct gw_sqlq *rq;    /* and on rdb (under rlock) */
	struct gw_sqladdr *wa; /* address book statements on wdb */
	struct gw_sqladdr *ra; /* and on rdb (under rlock) */
	struct gw_sqlin *wi;   /* inbound leg statements on wdb */
	struct gw_sqlin *ri;   /* and on rdb (under rlock) */
	struct gw_sqltr *wt;   /* delivery tracking statements on wdb */
	struct gw_sqltr *rt;   /* and on rdb (under rlock) */
	struct gw_sqlst *rs;   /* status reads on rdb (under rlock) */
	struct gw_sqlckpt *ckpt;
	sqlite3_stmt *w[W_NSTMT];
	sqlite3_stmt *r[R_NSTMT];
	pthread_mutex_t rlock; /* the read connection */
	pthread_mutex_t qlock; /* queue, flags, stats */
	pthread_cond_t wake;   /* writer: work or stop */
	bool sync_init;
	struct job *head;
	struct job *tail;
	bool stopping;
	bool running;
	pthread_t thread;
	int batch_max;
	struct job **batch;
	struct gw_store_stats stats;
	/* Writer-thread state. */
	long long audit_id;
	char audit_hash[65];
	long long batch_s; /* the batch's time in Unix seconds */
};

/* --- audit hash ----------------------------------------------------- */

static int
hash_field(EVP_MD_CTX *md, const char *s)
{
	unsigned char h[9];
	uint64_t n;

	if (s == NULL) {
		h[0] = 0;
		return EVP_DigestUpdate(md, h, 1) == 1 ? 0 : -1;
	}
	n = strlen(s);
	h[0] = 1;
	for (int i = 0; i < 8; i++)
		h[1 + i] = (unsigned char)(n >> (56 - 8 * i));
	if (EVP_DigestUpdate(md, h, sizeof(h)) != 1 ||
	    EVP_DigestUpdate(md, s, n) != 1)
		return -1;
	return 0;
}

/* f[]: at, event, txid, client, client_cert, peer, message_id, outcome,
 * detail. */
static int
audit_hash(const char *prev, long long id, const char *const f[9], char out[65],
	   struct gw_err *err)
{
	static const char hex[] = "0123456789abcdef";
	static const char domain[] = "dxgw-audit-v1";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char ids[32];
	int n = snprintf(ids, sizeof(ids), "%lld", id);
	int rc = -1;

	if (n < 0 || (size_t)n >= sizeof(ids))
		goto out;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, domain, sizeof(domain)) != 1 ||
	    hash_field(md, prev) < 0 || hash_field(md, ids) < 0)
		goto out;
	for (int i = 0; i < 9; i++)
		if (hash_field(md, f[i]) < 0)
			goto out;
	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32)
		goto out;
	for (unsigned int i = 0; i < dlen; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[64] = '\0';
	rc = 0;
out:
	if (rc < 0)
		rc =
		    gw_err_set(err, GW_ETEMP, "4.3.0", "store: SHA-256 failed");
	EVP_MD_CTX_free(md);
	return rc;
}

/* Read the chain head (id, hash) with statement st. */
static int
load_head(sqlite3 *db, sqlite3_stmt *st, long long *id, char hash[65],
	  struct gw_err *err)
{
	int src = sqlite3_step(st);
	int rc = -1;

	*id = 0;
	memcpy(hash, ZERO_HASH, 65);
	if (src == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (!gw_sql_col_copy(st, 1, hash, 65)) {
			rc = gw_err_set(
			    err, GW_ETRUST, "5.7.0",
			    "store: audit row %lld has a malformed hash", *id);
			goto out;
		}
	} else if (src != SQLITE_DONE) {
		rc = gw_sql_err(err, db, src, "audit head");
		goto out;
	}
	rc = 0;
out:
	gw_sql_done(st);
	return rc;
}

/* --- writer --------------------------------------------------------- */

static int insert_audit(struct sqlite_be *be, const struct gw_audit_event *ev,
			const char *now, struct gw_err *err);

static int
run_accept(struct sqlite_be *be, struct job *j, const char *now)
{
	const struct gw_store_submission *s = j->sub;
	sqlite3_stmt *st = be->w[W_DUP];
	int src;
	int rc = -1;

	gw_sql_bind_str(st, 1, s->client);
	gw_sql_bind_str(st, 2, s->message_id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		if (!gw_sql_col_copy(st, 0, j->txid, sizeof(j->txid)))
			rc = gw_err_set(&j->err, GW_ERROR, "4.3.0",
					"store: bad stored txid");
		else
			rc = gw_err_set(&j->err, GW_EEXISTS, "2.0.0",
					"store: duplicate of %s", j->txid);
		gw_sql_done(st);
		goto out;
	}
	gw_sql_done(st);
	if (src != SQLITE_DONE) {
		rc = gw_sql_err(&j->err, be->wdb, src, "duplicate check");
		goto out;
	}

	gw_id_uuid_time(j->txid);
	st = be->w[W_INS_SUB];
	gw_sql_bind_str(st, 1, j->txid);
	gw_sql_bind_str(st, 2, s->client);
	gw_sql_bind_str(st, 3, s->client_cert);
	gw_sql_bind_str(st, 4, s->peer);
	gw_sql_bind_str(st, 5, s->message_id);
	gw_sql_bind_str(st, 6, s->ss_unique_id);
	gw_sql_bind_str(st, 7, s->sender);
	gw_sql_bind_str(st, 8, s->metadata_level);
	if (s->metadata != NULL)
		sqlite3_bind_blob64(st, 9, s->metadata, s->metadata_len,
				    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	gw_sql_bind_str(st, 10, now);
	sqlite3_bind_int(st, 11, s->final_delivery ? 1 : 0);
	gw_sql_bind_str(st, 12, s->relates_to);
	if ((rc = gw_sql_exec(be->wdb, st, "insert submission", &j->err)) < 0)
		goto out;

	for (size_t i = 0; i < s->ndocs; i++) {
		const struct gw_store_doc *d = &s->docs[i];

		if ((rc = gw_spool_file_adopt(d->file, &j->err)) < 0)
			goto out;
		j->nadopted++;
		st = be->w[W_INS_DOC];
		gw_sql_bind_str(st, 1, j->txid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		gw_sql_bind_str(st, 3, d->entry_id);
		gw_sql_bind_str(st, 4, d->unique_id);
		gw_sql_bind_str(st, 5, d->mime_type);
		gw_sql_bind_str(st, 6, gw_spool_file_relpath(d->file));
		sqlite3_bind_int64(st, 7,
				   (sqlite3_int64)gw_spool_file_size(d->file));
		gw_sql_bind_str(st, 8, gw_spool_file_sha1(d->file));
		rc = gw_sql_exec(be->wdb, st, "insert document", &j->err);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < s->nrecipients; i++) {
		const char *why =
		    s->rcpt_failed != NULL ? s->rcpt_failed[i] : NULL;

		st = be->w[W_INS_RCPT];
		gw_sql_bind_str(st, 1, j->txid);
		gw_sql_bind_str(st, 2, s->recipients[i]);
		gw_sql_bind_str(st, 3, now);
		gw_sql_bind_str(st, 4, why);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)be->batch_s);
		rc = gw_sql_exec(be->wdb, st, "insert recipient", &j->err);
		if (rc < 0)
			goto out;
		if (why != NULL && sqlite3_changes(be->wdb) == 1 &&
		    (rc = gw_sqltr_event(be->wt, j->txid, s->recipients[i],
					 be->batch_s, "refused at submission",
					 why, &j->err)) < 0)
			goto out;
	}
	if (s->audit != NULL) {
		struct gw_audit_event ev = *s->audit;

		ev.txid = j->txid;
		if ((rc = insert_audit(be, &ev, now, &j->err)) < 0)
			goto out;
	}
	rc = 0;
out:
	return rc;
}

static int
insert_audit(struct sqlite_be *be, const struct gw_audit_event *ev,
	     const char *now, struct gw_err *err)
{
	const char *const f[9] = {
	    now,      ev->event,      ev->txid,    ev->client, ev->client_cert,
	    ev->peer, ev->message_id, ev->outcome, ev->detail};
	long long id = be->audit_id + 1;
	sqlite3_stmt *st = be->w[W_INS_AUDIT];
	char hash[65];
	int rc = -1;

	if ((rc = audit_hash(be->audit_hash, id, f, hash, err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	for (int i = 0; i < 9; i++)
		gw_sql_bind_str(st, 2 + i, f[i]);
	gw_sql_bind_str(st, 11, be->audit_hash);
	gw_sql_bind_str(st, 12, hash);
	if ((rc = gw_sql_exec(be->wdb, st, "insert audit", err)) < 0)
		goto out;
	be->audit_id = id;
	memcpy(be->audit_hash, hash, sizeof(hash));
	rc = 0;
out:
	return rc;
}

static int
run_audit(struct sqlite_be *be, struct job *j, const char *now)
{
	return insert_audit(be, j->ev, now, &j->err);
}

/* The i-th file a job adopts. */
static struct gw_spool_file *
job_file(const struct job *j, size_t i)
{
	switch (j->kind) {
	case JOB_QUEUE:
		return j->q->msgs[i].file;
	case JOB_IN_ACCEPT:
		return j->q->inmsg->file;
	case JOB_IN_RESULT:
		return j->q->notes[i].file;
	default:
		return j->sub->docs[i].file;
	}
}

/* Put a job's adopted files back into tmp/ for the caller to discard. */
static void
undo_files(struct job *j)
{
	struct gw_err e;

	for (size_t i = j->nadopted; i > 0; i--) {
		struct gw_spool_file *f = job_file(j, i - 1);

		if (gw_spool_file_unadopt(f, &e) < 0)
			gw_log_warn(NULL, "%s", e.msg);
	}
	j->nadopted = 0;
}

/* Adopt the messages' files, then queue; all or nothing. */
static int
run_queue(struct sqlite_be *be, struct job *j)
{
	struct qargs *q = j->q;
	int rc = gw_sqlq_convert(be->wq, q->txid, &j->err);

	for (size_t i = 0; i < q->nmsgs && rc == 0; i++)
		if ((rc = gw_spool_file_adopt(q->msgs[i].file, &j->err)) == 0)
			j->nadopted++;
	if (rc == 0)
		rc = gw_sqlq_queue(be->wq, be->wt, q->txid, q->msgs, q->nmsgs,
				   q->fails, q->nfails, q->now, q->lifetime_s,
				   &j->err);
	if (rc != 0)
		undo_files(j);
	return rc;
}

/* Adopt the inner message, insert it, its recipients and the audit row. */
static int
run_in_accept(struct sqlite_be *be, struct job *j, const char *now)
{
	const struct gw_store_inmsg *m = j->q->inmsg;
	int rc;

	if ((rc = gw_spool_file_adopt(m->file, &j->err)) < 0)
		return rc;
	j->nadopted = 1;
	gw_id_uuid_time(j->txid);
	if ((rc = gw_sqlin_accept(be->wi, j->txid, m, j->q->now,
				  j->q->lifetime_s, now, &j->err)) < 0)
		return rc;
	if (m->audit != NULL) {
		struct gw_audit_event ev = *m->audit;

		ev.txid = j->txid;
		if ((rc = insert_audit(be, &ev, now, &j->err)) < 0)
			return rc;
	}
	return 0;
}

/* Adopt the notices' files, then record the attempt; all or nothing. */
static int
run_in_result(struct sqlite_be *be, struct job *j, const char *now)
{
	struct qargs *q = j->q;
	int rc = 0;

	for (size_t i = 0; i < q->nnotes && rc == 0; i++)
		if ((rc = gw_spool_file_adopt(q->notes[i].file, &j->err)) == 0)
			j->nadopted++;
	if (rc == 0)
		rc = gw_sqlin_result(be->wi, q->injob, q->processed_sent,
				     q->inres, q->ninres, q->notes, q->nnotes,
				     q->now, q->lifetime_s, q->next_at,
				     q->error, now, &j->err);
	return rc;
}

static int
run_other(struct sqlite_be *be, struct job *j, const char *now)
{
	struct qargs *q = j->q;

	switch (j->kind) {
	case JOB_ACCEPT:
		return run_accept(be, j, now);
	case JOB_AUDIT:
		return run_audit(be, j, now);
	case JOB_QUEUE:
		return run_queue(be, j);
	case JOB_CLAIM:
		return gw_sqlq_claim(be->wq, gw_spool_dir(be->sp), q->now,
				     q->lease_s, q->max, &q->jobs, &q->njobs,
				     &j->err);
	case JOB_RESULT:
		return gw_sqlq_result(be->wq, be->wt, q->job, q->res, q->nres,
				      q->next_at, q->error, be->batch_s,
				      &j->err);
	case JOB_RESET: {
		int rc = gw_sqlq_reset(be->wq, q->now, &j->err);

		return rc < 0 ? rc : gw_sqlin_reset(be->wi, q->now, &j->err);
	}
	case JOB_ADDR_PUT:
		return gw_sqladdr_put(be->wa, q->addr, now, &j->err);
	case JOB_ADDR_DEACT:
		return gw_sqladdr_deactivate(be->wa, q->address, now, &j->err);
	case JOB_IN_ACCEPT:
		return run_in_accept(be, j, now);
	case JOB_IN_CLAIM:
		return gw_sqlin_claim(be->wi, gw_spool_dir(be->sp), q->now,
				      q->lease_s, q->max, &q->injobs,
				      &q->ninjobs, &j->err);
	case JOB_IN_RESULT:
		return run_in_result(be, j, now);
	case JOB_TR_SET:
		return gw_sqltr_set(be->wt, q->tset, q->now, now, &j->err);
	case JOB_NOTICE_TRACKED:
		return gw_sqltr_notice_tracked(be->wt, q->txid, q->outcome,
					       &j->err);
	case JOB_EHR_CLAIM:
		return gw_sqltr_ehr_claim(be->wt, q->now, q->lease_s, q->max,
					  &q->trows, &q->ntrows, &j->err);
	case JOB_EHR_RESULT:
		return gw_sqltr_ehr_result(be->wt, q->txid, q->address,
					   q->ehr_state, q->next_at, q->detail,
					   be->batch_s, &j->err);
	}
	return gw_err_set(&j->err, GW_ERROR, "5.3.0", "store: bad job");
}

/* Run one job inside its own savepoint; < 0 only if the batch is lost. */
static int
run_job(struct sqlite_be *be, struct job *j, const char *now, bool *synced,
	struct gw_err *err)
{
	int rc;

	if ((rc = gw_sql_exec(be->wdb, be->w[W_SAVEPOINT], "savepoint", err)) <
	    0)
		goto out;
	j->rc = run_other(be, j, now);
	if (j->rc == 0 || j->rc == GW_EEXISTS) {
		rc = gw_sql_exec(be->wdb, be->w[W_RELEASE], "release", err);
		if (j->nadopted > 0)
			*synced = false;
		goto out;
	}
	undo_files(j);
	if (j->kind == JOB_ACCEPT || j->kind == JOB_IN_ACCEPT)
		j->txid[0] = '\0';
	if ((rc = gw_sql_exec(be->wdb, be->w[W_ROLLBACK_TO], "rollback to",
			      err)) < 0)
		goto out;
	rc = gw_sql_exec(be->wdb, be->w[W_RELEASE], "release", err);
out:
	return rc;
}

/*
 * The batch is lost: roll back, put every adopted file back into tmp/, give
 * every member that had not failed alone the batch's error, and reload
 * the audit chain head the rollback took away.
 */
static void
batch_failed(struct sqlite_be *be, struct job **jobs, size_t n,
	     const struct gw_err *err)
{
	struct gw_err e2;

	if (!sqlite3_get_autocommit(be->wdb) &&
	    gw_sql_exec(be->wdb, be->w[W_ROLLBACK], "rollback", &e2) < 0)
		gw_log_err(NULL, "%s", e2.msg);
	for (size_t i = 0; i < n; i++) {
		struct job *j = jobs[i];

		if (j->rc < 0 && j->rc != GW_EEXISTS)
			continue; /* failed alone, keep its own error */
		undo_files(j);
		j->err = *err;
		if (j->err.code == 0)
			gw_err_set(&j->err, GW_ETEMP, "4.3.0",
				   "store: batch failed");
		j->rc = j->err.code;
		j->txid[0] = '\0';
	}
	gw_log_err(NULL, "store: batch of %zu failed: %s", n, err->msg);
	if (load_head(be->wdb, be->w[W_HEAD], &be->audit_id, be->audit_hash,
		      &e2) < 0)
		gw_log_err(NULL, "%s", e2.msg);
}

static void
run_batch(struct sqlite_be *be, struct job **jobs, size_t n)
{
	struct gw_err err;
	char now[32];
	bool synced = true;
	int rc;

	gw_err_clear(&err);
	gw_sql_stamp(now);
	be->batch_s = (long long)time(NULL);
	if ((rc = gw_sql_exec(be->wdb, be->w[W_BEGIN], "begin", &err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = run_job(be, jobs[i], now, &synced, &err)) < 0)
			goto out;
	/* The renames must be durable before the rows naming them are. */
	if (!synced && (rc = gw_spool_sync(be->sp, &err)) < 0)
		goto out;
	rc = gw_sql_exec(be->wdb, be->w[W_COMMIT], "commit", &err);
out:
	if (rc < 0)
		batch_failed(be, jobs, n, &err);
}

static void *
writer_main(void *arg)
{
	struct sqlite_be *be = arg;

	pthread_mutex_lock(&be->qlock);
	for (;;) {
		size_t n = 0;

		while (be->head == NULL && !be->stopping)
			pthread_cond_wait(&be->wake, &be->qlock);
		if (be->head == NULL)
			break;
		while (be->head != NULL && n < (size_t)be->batch_max) {
			be->batch[n++] = be->head;
			be->head = be->head->next;
		}
		if (be->head == NULL)
			be->tail = NULL;
		pthread_mutex_unlock(&be->qlock);

		run_batch(be, be->batch, n);

		pthread_mutex_lock(&be->qlock);
		be->stats.batches++;
		be->stats.jobs += (long)n;
		if ((long)n > be->stats.max_batch)
			be->stats.max_batch = (long)n;
		/*
		 * Wake exactly the callers of this batch: a broadcast on one
		 * shared condition woke every waiting worker per batch.
		 */
		for (size_t i = 0; i < n; i++) {
			be->batch[i]->done = true;
			pthread_cond_signal(&be->batch[i]->cv);
		}
	}
	pthread_mutex_unlock(&be->qlock);
	return NULL;
}

/*
 * Queue jobs and sleep until the writer has committed (or failed) every
 * one: queued together, they usually share one transaction. Each job's
 * rc and err say how it went.
 */
static void
submit_many(struct sqlite_be *be, struct job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct job *j = jobs[i];

		gw_err_clear(&j->err);
		j->rc = 0;
		j->done = false;
		j->next = NULL;
		pthread_cond_init(&j->cv, NULL);
	}
	pthread_mutex_lock(&be->qlock);
	if (be->stopping || !be->running) {
		for (size_t i = 0; i < n; i++) {
			jobs[i]->rc = gw_err_set(&jobs[i]->err, GW_ETEMP,
						 "4.3.0", "store: closing");
			jobs[i]->done = true;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if (be->tail != NULL)
				be->tail->next = jobs[i];
			else
				be->head = jobs[i];
			be->tail = jobs[i];
		}
		pthread_cond_signal(&be->wake);
	}
	for (size_t i = 0; i < n; i++)
		while (!jobs[i]->done)
			pthread_cond_wait(&jobs[i]->cv, &be->qlock);
	pthread_mutex_unlock(&be->qlock);
	for (size_t i = 0; i < n; i++)
		pthread_cond_destroy(&jobs[i]->cv);
}

/* Queue a job and sleep until the writer has committed (or failed) it. */
static int
submit(struct sqlite_be *be, struct job *j, struct gw_err *err)
{
	submit_many(be, &j, 1);
	if (j->rc < 0 && err != NULL)
		*err = j->err;
	return j->rc;
}

static int
sqlite_accept(void *arg, const struct gw_store_submission *sub,
	      char txid_out[GW_STORE_TXID_LEN], struct gw_err *err)
{
	struct job j = {.kind = JOB_ACCEPT, .sub = sub};
	int rc = submit(arg, &j, err);

	memcpy(txid_out, j.txid, GW_STORE_TXID_LEN);
	return rc;
}

static int
sqlite_audit_add(void *arg, const struct gw_audit_event *ev, struct gw_err *err)
{
	struct job j = {.kind = JOB_AUDIT, .ev = ev};

	return submit(arg, &j, err);
}

static void
sqlite_outbound_queue(void *arg, struct gw_store_outbatch *const *items,
		      size_t n, long long now, long lifetime_s)
{
	struct qargs *q = gw_xcalloc(n, sizeof(*q));
	struct job *j = gw_xcalloc(n, sizeof(*j));
	struct job **jp = gw_xcalloc(n, sizeof(*jp));

	for (size_t i = 0; i < n; i++) {
		q[i].txid = items[i]->txid;
		q[i].msgs = items[i]->msgs;
		q[i].nmsgs = items[i]->nmsgs;
		q[i].fails = items[i]->fails;
		q[i].nfails = items[i]->nfails;
		q[i].now = now;
		q[i].lifetime_s = lifetime_s;
		j[i].kind = JOB_QUEUE;
		j[i].q = &q[i];
		jp[i] = &j[i];
	}
	submit_many(arg, jp, n);
	for (size_t i = 0; i < n; i++) {
		items[i]->rc = j[i].rc;
		items[i]->err = j[i].err;
	}
	free(jp);
	free(j);
	free(q);
}

static int
sqlite_jobs_claim(void *arg, long long now, long lease_s, size_t max,
		  struct gw_store_job **jobs, size_t *n, struct gw_err *err)
{
	struct qargs q = {.now = now, .lease_s = lease_s, .max = max};
	struct job j = {.kind = JOB_CLAIM, .q = &q};
	int rc = submit(arg, &j, err);

	if (rc < 0) {
		/* Claimed in a batch that was rolled back: not ours. */
		gw_store_jobs_free(q.jobs, q.njobs);
		return rc;
	}
	*jobs = q.jobs;
	*n = q.njobs;
	return 0;
}

static int
sqlite_job_result(void *arg, const struct gw_store_job *job,
		  const struct gw_store_rcpt_result *res, size_t n,
		  long long next_at, const char *error, struct gw_err *err)
{
	struct qargs q = {.job = job,
			  .res = res,
			  .nres = n,
			  .next_at = next_at,
			  .error = error};
	struct job j = {.kind = JOB_RESULT, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_leases_reset(void *arg, long long now, struct gw_err *err)
{
	struct qargs q = {.now = now};
	struct job j = {.kind = JOB_RESET, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_addr_put(void *arg, const struct gw_store_address *a, struct gw_err *err)
{
	struct qargs q = {.addr = a};
	struct job j = {.kind = JOB_ADDR_PUT, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_addr_deactivate(void *arg, const char *address, struct gw_err *err)
{
	struct qargs q = {.address = address};
	struct job j = {.kind = JOB_ADDR_DEACT, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_addr_list(void *arg, struct gw_store_address **out, size_t *n,
		 struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = gw_sqladdr_list(be->ra, out, n, err);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

static int
sqlite_addr_lookup(void *arg, const char *address,
		   struct gw_store_address **out, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = gw_sqladdr_lookup(be->ra, address, out, err);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

static int
sqlite_pending(void *arg, size_t max, char ***txids, size_t *n,
	       struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = gw_sqlq_pending(be->rq, max, txids, n, err);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

static int
sqlite_recent(void *arg, size_t max, char ***txids, size_t *n,
	      struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = gw_sqlq_recent(be->rq, max, txids, n, err);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

/* --- inbound leg ---------------------------------------------------- */

static int
sqlite_in_accept(void *arg, const struct gw_store_inmsg *m, long long now,
		 long lifetime_s, char txid_out[GW_STORE_TXID_LEN],
		 struct gw_err *err)
{
	struct qargs q = {.inmsg = m, .now = now, .lifetime_s = lifetime_s};
	struct job j = {.kind = JOB_IN_ACCEPT, .q = &q};
	int rc = submit(arg, &j, err);

	memcpy(txid_out, j.txid, GW_STORE_TXID_LEN);
	return rc;
}

static int
sqlite_in_claim(void *arg, long long now, long lease_s, size_t max,
		struct gw_store_injob **jobs, size_t *n, struct gw_err *err)
{
	struct qargs q = {.now = now, .lease_s = lease_s, .max = max};
	struct job j = {.kind = JOB_IN_CLAIM, .q = &q};
	int rc = submit(arg, &j, err);

	if (rc < 0) {
		/* Claimed in a batch that was rolled back: not ours. */
		gw_store_injobs_free(q.injobs, q.ninjobs);
		return rc;
	}
	*jobs = q.injobs;
	*n = q.ninjobs;
	return 0;
}

static int
sqlite_in_result(void *arg, const struct gw_store_injob *job,
		 bool processed_sent, const struct gw_store_inresult *res,
		 size_t nres, const struct gw_store_notice *notes,
		 size_t nnotes, long long now, long lifetime_s,
		 long long next_at, const char *error, struct gw_err *err)
{
	struct qargs q = {.injob = job,
			  .processed_sent = processed_sent,
			  .inres = res,
			  .ninres = nres,
			  .notes = notes,
			  .nnotes = nnotes,
			  .now = now,
			  .lifetime_s = lifetime_s,
			  .next_at = next_at,
			  .error = error};
	struct job j = {.kind = JOB_IN_RESULT, .q = &q};

	return submit(arg, &j, err);
}

/* --- delivery tracking --------------------------------------------- */

static int
sqlite_tr_set(void *arg, const struct gw_store_trackset *t, long long now,
	      struct gw_err *err)
{
	struct qargs q = {.tset = t, .now = now};
	struct job j = {.kind = JOB_TR_SET, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_notice_tracked(void *arg, const char *notice_txid, const char *outcome,
		      struct gw_err *err)
{
	struct qargs q = {.txid = notice_txid, .outcome = outcome};
	struct job j = {.kind = JOB_NOTICE_TRACKED, .q = &q};

	return submit(arg, &j, err);
}

static int
sqlite_ehr_claim(void *arg, long long now, long lease_s, size_t max,
		 struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	struct qargs q = {.now = now, .lease_s = lease_s, .max = max};
	struct job j = {.kind = JOB_EHR_CLAIM, .q = &q};
	int rc = submit(arg, &j, err);

	if (rc < 0) {
		/* Claimed in a batch that was rolled back: not ours. */
		gw_store_trackrows_free(q.trows, q.ntrows);
		return rc;
	}
	*rows = q.trows;
	*n = q.ntrows;
	return 0;
}

static int
sqlite_ehr_result(void *arg, const char *txid, const char *address,
		  const char *ehr_state, long long next_at, const char *detail,
		  struct gw_err *err)
{
	struct qargs q = {.txid = txid,
			  .address = address,
			  .ehr_state = ehr_state,
			  .next_at = next_at,
			  .detail = detail};
	struct job j = {.kind = JOB_EHR_RESULT, .q = &q};

	return submit(arg, &j, err);
}

/* --- readers -------------------------------------------------------- */

static char *
abs_path(struct sqlite_be *be, const char *rel)
{
	return rel[0] == '/' ? gw_xstrdup(rel)
			     : gw_xpath_join(gw_spool_dir(be->sp), rel);
}

static int
load_docs(struct sqlite_be *be, struct gw_store_record *r, struct gw_err *err)
{
	sqlite3_stmt *st = be->r[R_DOCS];
	size_t cap = 0;
	int src;
	int rc = -1;

	gw_sql_bind_str(st, 1, r->txid);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct gw_store_docrec *d;
		const unsigned char *path;

		if (r->ndocs == cap) {
			cap = cap ? 2 * cap : 4;
			r->docs = gw_xrealloc(r->docs, cap * sizeof(*r->docs));
		}
		d = &r->docs[r->ndocs++];
		memset(d, 0, sizeof(*d));
		d->entry_id = gw_sql_col_dup(st, 0);
		d->unique_id = gw_sql_col_dup(st, 1);
		d->mime_type = gw_sql_col_dup(st, 2);
		path = sqlite3_column_text(st, 3);
		d->path = abs_path(be, path != NULL ? (const char *)path : "");
		d->size = (uint64_t)sqlite3_column_int64(st, 4);
		gw_sql_col_copy(st, 5, d->sha1, sizeof(d->sha1));
	}
	if (src != SQLITE_DONE) {
		rc = gw_sql_err(err, be->rdb, src, "read documents");
		goto out;
	}
	rc = 0;
out:
	gw_sql_done(st);
	return rc;
}

static int
load_rcpts(struct sqlite_be *be, struct gw_store_record *r, struct gw_err *err)
{
	sqlite3_stmt *st = be->r[R_RCPTS];
	size_t cap = 0;
	int src;
	int rc = -1;

	gw_sql_bind_str(st, 1, r->txid);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct gw_store_recipient *p;

		if (r->nrecipients == cap) {
			cap = cap ? 2 * cap : 4;
			r->recipients = gw_xrealloc(
			    r->recipients, cap * sizeof(*r->recipients));
		}
		p = &r->recipients[r->nrecipients++];
		p->address = gw_sql_col_dup(st, 0);
		p->state = gw_sql_col_dup(st, 1);
		p->reason = gw_sql_col_dup(st, 2);
	}
	if (src != SQLITE_DONE) {
		rc = gw_sql_err(err, be->rdb, src, "read recipients");
		goto out;
	}
	rc = 0;
out:
	gw_sql_done(st);
	return rc;
}

/* With rlock held and a read transaction open. */
static int
load_record(struct sqlite_be *be, const char *txid,
	    struct gw_store_record **out, struct gw_err *err)
{
	struct gw_store_record *r = gw_xcalloc(1, sizeof(*r));
	sqlite3_stmt *st = be->r[R_SUB];
	int src;
	int rc = -1;

	gw_sql_bind_str(st, 1, txid);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		rc = gw_err_set(err, GW_ENOTFOUND, "5.1.0",
				"store: no submission %s", txid);
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = gw_sql_err(err, be->rdb, src, "read submission");
		goto out;
	}
	r->txid = gw_sql_col_dup(st, 0);
	r->client = gw_sql_col_dup(st, 1);
	r->message_id = gw_sql_col_dup(st, 2);
	r->ss_unique_id = gw_sql_col_dup(st, 3);
	r->sender = gw_sql_col_dup(st, 4);
	r->metadata_level = gw_sql_col_dup(st, 5);
	r->received_at = gw_sql_col_dup(st, 6);
	r->final_delivery = sqlite3_column_int(st, 8) != 0;
	r->relates_to = gw_sql_col_dup(st, 9);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		const void *b = sqlite3_column_blob(st, 7);
		int n = sqlite3_column_bytes(st, 7);

		r->metadata = gw_xmalloc((size_t)n + 1);
		if (n > 0)
			memcpy(r->metadata, b, (size_t)n);
		r->metadata[n] = '\0';
		r->metadata_len = (size_t)n;
	}
	gw_sql_done(st);
	if ((rc = load_docs(be, r, err)) < 0 ||
	    (rc = load_rcpts(be, r, err)) < 0)
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	gw_sql_done(st);
	gw_store_record_free(r);
	return rc;
}

/* Read the txid for (client, message_id); with rlock held. */
static int
find_txid(struct sqlite_be *be, const char *client, const char *message_id,
	  char txid[GW_STORE_TXID_LEN], struct gw_err *err)
{
	sqlite3_stmt *st = be->r[R_FIND];
	int src;
	int rc = -1;

	gw_sql_bind_str(st, 1, client);
	gw_sql_bind_str(st, 2, message_id);
	src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		rc = gw_err_set(
		    err, GW_ENOTFOUND, "5.1.0",
		    "store: no submission for that client and message id");
		goto out;
	}
	if (src != SQLITE_ROW) {
		rc = gw_sql_err(err, be->rdb, src, "find submission");
		goto out;
	}
	if (!gw_sql_col_copy(st, 0, txid, GW_STORE_TXID_LEN)) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "store: bad txid");
		goto out;
	}
	rc = 0;
out:
	gw_sql_done(st);
	return rc;
}

static int
read_begin(struct sqlite_be *be, struct gw_err *err)
{
	pthread_mutex_lock(&be->rlock);
	return gw_sql_exec(be->rdb, be->r[R_BEGIN], "read begin", err);
}

static void
read_end(struct sqlite_be *be, bool began)
{
	struct gw_err e;

	if (began && gw_sql_exec(be->rdb, be->r[R_END], "read end", &e) < 0)
		gw_log_warn(NULL, "%s", e.msg);
	pthread_mutex_unlock(&be->rlock);
}

static int
sqlite_get(void *arg, const char *txid, struct gw_store_record **out,
	   struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc < 0)
		goto out;
	rc = load_record(be, txid, out, err);
out:
	read_end(be, began);
	return rc;
}

static int
sqlite_find(void *arg, const char *client, const char *message_id,
	    struct gw_store_record **out, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	char txid[GW_STORE_TXID_LEN];
	bool began = false;
	int rc;

	/*
	 * Every submission asks, and nearly every answer is "no": the
	 * lookup runs as its own implicit read transaction, and only a hit
	 * pays for the explicit one that reads the record consistently.
	 */
	pthread_mutex_lock(&be->rlock);
	if ((rc = find_txid(be, client, message_id, txid, err)) < 0)
		goto out;
	if ((rc = gw_sql_exec(be->rdb, be->r[R_BEGIN], "read begin", err)) < 0)
		goto out;
	began = true;
	rc = load_record(be, txid, out, err);
out:
	read_end(be, began);
	return rc;
}

static int
sqlite_in_get(void *arg, const char *txid, struct gw_store_injob **out,
	      struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqlin_get(be->ri, gw_spool_dir(be->sp), txid, out, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_in_list(void *arg, size_t max, struct gw_store_injob **jobs, size_t *n,
	       struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqlin_list(be->ri, gw_spool_dir(be->sp), max, jobs, n,
				   err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_find(void *arg, const char *message_id, const char *address,
	       struct gw_store_trackrow **out, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_find(be->rt, message_id, address, out, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_list(void *arg, const char *txid, struct gw_store_trackrow **rows,
	       size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_list(be->rt, txid, rows, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_history(void *arg, const char *txid, const char *address,
		  struct gw_store_event **ev, size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_history(be->rt, txid, address, ev, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_overdue(void *arg, long long sent_before, size_t max,
		  struct gw_store_trackrow **rows, size_t *n,
		  struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_overdue(be->rt, sent_before, max, rows, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_notices_untracked(void *arg, size_t max, struct gw_store_injob **rows,
			 size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_notices(be->rt, be->ri, gw_spool_dir(be->sp), max,
				      rows, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_lookup(void *arg, const char *id, size_t max,
	      struct gw_store_match **out, size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqlst_lookup(be->rs, id, max, out, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_query(void *arg, const struct gw_store_trackq *q,
		struct gw_store_trackrow **rows, size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_query(be->rt, q, rows, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_tr_events(void *arg, long long after_id, size_t max,
		 struct gw_store_histrow **rows, size_t *n, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqltr_events(be->rt, after_id, max, rows, n, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_metrics(void *arg, size_t max_reasons, struct gw_store_metrics *m,
	       struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc == 0)
		rc = gw_sqlst_metrics(be->rs, max_reasons, m, err);
	read_end(be, began);
	return rc;
}

static int
sqlite_ping(void *arg, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = gw_sqlst_ping(be->rs, err);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

static int
sqlite_count(void *arg, long *out, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	sqlite3_stmt *st = be->r[R_COUNT];
	int src;
	int rc = -1;

	pthread_mutex_lock(&be->rlock);
	src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = gw_sql_err(err, be->rdb, src, "count");
		goto out;
	}
	*out = (long)sqlite3_column_int64(st, 0);
	rc = 0;
out:
	gw_sql_done(st);
	pthread_mutex_unlock(&be->rlock);
	return rc;
}

static int
verify_row(sqlite3_stmt *st, char prev[65], struct gw_err *err)
{
	long long id = sqlite3_column_int64(st, 0);
	const char *f[9];
	char stored_prev[65], stored[65], want[65];
	int rc = -1;

	for (int i = 0; i < 9; i++)
		f[i] = (const char *)sqlite3_column_text(st, 1 + i);
	if (!gw_sql_col_copy(st, 10, stored_prev, sizeof(stored_prev)) ||
	    !gw_sql_col_copy(st, 11, stored, sizeof(stored)) ||
	    strcmp(stored_prev, prev) != 0) {
		rc = gw_err_set(
		    err, GW_ETRUST, "5.7.0",
		    "store: audit chain broken at row %lld (prev_hash)", id);
		goto out;
	}
	if ((rc = audit_hash(prev, id, f, want, err)) < 0)
		goto out;
	if (strcmp(want, stored) != 0) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.0",
				"store: audit chain broken at row %lld (hash)",
				id);
		goto out;
	}
	memcpy(prev, stored, 65);
	rc = 0;
out:
	return rc;
}

static int
sqlite_audit_verify(void *arg, long *rows_out, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	sqlite3_stmt *st = be->r[R_AUDIT];
	char prev[65] = ZERO_HASH;
	long rows = 0;
	int src;
	int rc = read_begin(be, err);
	bool began = rc == 0;

	if (rc < 0)
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = verify_row(st, prev, err)) < 0)
			goto out;
		rows++;
	}
	if (src != SQLITE_DONE) {
		rc = gw_sql_err(err, be->rdb, src, "audit verify");
		goto out;
	}
	rc = 0;
out:
	gw_sql_done(st);
	read_end(be, began);
	if (rows_out != NULL)
		*rows_out = rows;
	return rc;
}

static int
sqlite_audit_head(void *arg, long *id_out, char hash_out[65],
		  struct gw_err *err)
{
	struct sqlite_be *be = arg;
	long long id = 0;
	int rc;

	pthread_mutex_lock(&be->rlock);
	rc = load_head(be->rdb, be->r[R_HEAD], &id, hash_out, err);
	pthread_mutex_unlock(&be->rlock);
	*id_out = (long)id;
	return rc;
}

static void
sqlite_stats(void *arg, struct gw_store_stats *out)
{
	struct sqlite_be *be = arg;

	pthread_mutex_lock(&be->qlock);
	*out = be->stats;
	pthread_mutex_unlock(&be->qlock);
}

/* --- open / close --------------------------------------------------- */

static int
pragma_wal(sqlite3 *db, struct gw_err *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int src;
	int rc = -1;

	src = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (src != SQLITE_OK || (src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = gw_sql_err(err, db, src, "journal_mode");
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0",
				"store: cannot switch to WAL mode");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
open_conn(const char *path, int busy_ms, sqlite3 **out, struct gw_err *err)
{
	sqlite3 *db = NULL;
	int src;
	int rc = -1;

	*out = NULL;
	src = sqlite3_open_v2(path, &db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				  SQLITE_OPEN_FULLMUTEX,
			      NULL);
	if (src != SQLITE_OK) {
		rc = gw_sql_err(err, db, src, path);
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	src = sqlite3_exec(db,
			   "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
			   " PRAGMA trusted_schema=OFF;"
			   /*
			    * Savepoint journals in memory: a temp file per
			    * batch would be written and then flushed by the
			    * spool's syncfs().
			    */
			   " PRAGMA temp_store=MEMORY;",
			   NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = gw_sql_err(err, db, src, "pragmas");
		goto out;
	}
	*out = db;
	db = NULL;
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}

static int
schema_version(sqlite3 *db, int *out, struct gw_err *err)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc = -1;

	src = sqlite3_prepare_v2(
	    db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
	    NULL);
	if (src != SQLITE_OK || (src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = gw_sql_err(err, db, src, "schema_version");
		goto out;
	}
	*out = sqlite3_column_int(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(sqlite3 *db, struct gw_err *err)
{
	bool began = false;
	char q[64];
	int v = 0;
	int n;
	int src;
	int rc = -1;

	src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = gw_sql_err(err, db, src, "schema begin");
		goto out;
	}
	began = true;
	src = sqlite3_exec(db,
			   "CREATE TABLE IF NOT EXISTS schema_version"
			   " (version INTEGER NOT NULL)",
			   NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = gw_sql_err(err, db, src, "schema");
		goto out;
	}
	if ((rc = schema_version(db, &v, err)) < 0)
		goto out;
	if (v > SCHEMA_VERSION) {
		rc = gw_err_set(
		    err, GW_ERROR, "4.3.5",
		    "store: schema version %d is newer than this dxgw (%d)", v,
		    SCHEMA_VERSION);
		goto out;
	}
	for (; v < SCHEMA_VERSION; v++) {
		src = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
		if (src != SQLITE_OK) {
			rc = gw_sql_err(err, db, src, "migration");
			goto out;
		}
		n = snprintf(q, sizeof(q),
			     "INSERT INTO schema_version VALUES (%d)", v + 1);
		if (n < 0 || (size_t)n >= sizeof(q)) {
			rc = gw_err_set(err, GW_ERROR, "4.3.0", "store: query");
			goto out;
		}
		src = sqlite3_exec(db, q, NULL, NULL, NULL);
		if (src != SQLITE_OK) {
			rc = gw_sql_err(err, db, src, "schema_version");
			goto out;
		}
	}
	src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = gw_sql_err(err, db, src, "schema commit");
		goto out;
	}
	began = false;
	rc = 0;
out:
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
sweep_keep(const char *rel, void *arg, struct gw_err *err)
{
	struct sqlite_be *be = arg;
	sqlite3_stmt *st = be->r[R_DOCPATH];
	int src;
	int rc;

	gw_sql_bind_str(st, 1, rel);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		rc = 1;
	else if (src == SQLITE_DONE)
		rc = 0;
	else
		rc = gw_sql_err(err, be->rdb, src, "sweep");
	gw_sql_done(st);
	return rc;
}

/* Create the database file 0600 before SQLite does (it would use 0644). */
/*
 * One read transaction around the whole sweep: a transaction per lookup
 * costs SQLite two lock system calls per spool file at every start.
 */
static int
sweep(struct sqlite_be *be, struct gw_spool *sp, long *removed,
      struct gw_err *err)
{
	int rc;

	if (sqlite3_exec(be->rdb, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return gw_sql_err(err, be->rdb, sqlite3_errcode(be->rdb),
				  "sweep begin");
	rc = gw_spool_sweep(sp, sweep_keep, be, removed, err);
	sqlite3_exec(be->rdb, "COMMIT", NULL, NULL, NULL);
	return rc;
}

static int
create_file(const char *path, struct gw_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		char b[128];

		return gw_err_set(err, GW_ETEMP, "4.3.0", "store: %s: %s", path,
				  strerror_r(errno, b, sizeof(b)));
	}
	close(fd);
	return 0;
}

static void
sqlite_close(void *arg)
{
	struct sqlite_be *be = arg;

	if (be == NULL)
		return;
	if (be->running) {
		pthread_mutex_lock(&be->qlock);
		be->stopping = true;
		pthread_cond_signal(&be->wake);
		pthread_mutex_unlock(&be->qlock);
		pthread_join(be->thread, NULL);
	}
	gw_sqlckpt_stop(be->ckpt);
	if (be->cdb != NULL && sqlite3_close(be->cdb) != SQLITE_OK)
		gw_log_err(NULL, "store: close: %s", sqlite3_errmsg(be->cdb));
	gw_sqlq_free(be->wq);
	gw_sqlq_free(be->rq);
	gw_sqladdr_free(be->wa);
	gw_sqladdr_free(be->ra);
	gw_sqlin_free(be->wi);
	gw_sqlin_free(be->ri);
	gw_sqltr_free(be->wt);
	gw_sqltr_free(be->rt);
	gw_sqlst_free(be->rs);
	for (int i = 0; i < W_NSTMT; i++)
		sqlite3_finalize(be->w[i]);
	for (int i = 0; i < R_NSTMT; i++)
		sqlite3_finalize(be->r[i]);
	if (be->rdb != NULL && sqlite3_close(be->rdb) != SQLITE_OK)
		gw_log_err(NULL, "store: close: %s", sqlite3_errmsg(be->rdb));
	if (be->wdb != NULL && sqlite3_close(be->wdb) != SQLITE_OK)
		gw_log_err(NULL, "store: close: %s", sqlite3_errmsg(be->wdb));
	if (be->sync_init) {
		pthread_mutex_destroy(&be->rlock);
		pthread_mutex_destroy(&be->qlock);
		pthread_cond_destroy(&be->wake);
	}
	free(be->batch);
	free(be);
}

static int
sqlite_open(const char *path, struct gw_spool *sp,
	    const struct gw_store_opts *opts, void **be_out, struct gw_err *err)
{
	struct sqlite_be *be = gw_xcalloc(1, sizeof(*be));
	int busy =
	    opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : BUSY_MS_DEFAULT;
	long removed = 0;
	int rc = -1;

	*be_out = NULL;
	be->sp = sp;
	be->batch_max =
	    opts->batch_max > 0 ? opts->batch_max : BATCH_MAX_DEFAULT;
	if (be->batch_max > BATCH_MAX_LIMIT)
		be->batch_max = BATCH_MAX_LIMIT;
	be->batch = gw_xcalloc((size_t)be->batch_max, sizeof(*be->batch));
	if (pthread_mutex_init(&be->rlock, NULL) != 0 ||
	    pthread_mutex_init(&be->qlock, NULL) != 0 ||
	    pthread_cond_init(&be->wake, NULL) != 0) {
		/* XXX: a partial init leaks a mutex; glibc allocates none. */
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "store: pthread init");
		goto out;
	}
	be->sync_init = true;
	if (path[0] == '\0') {
		rc = gw_err_set(err, GW_ERROR, "4.3.5",
				"store: no database path");
		goto out;
	}
	if ((rc = create_file(path, err)) < 0 ||
	    (rc = open_conn(path, busy, &be->wdb, err)) < 0 ||
	    (rc = pragma_wal(be->wdb, err)) < 0 ||
	    (rc = migrate(be->wdb, err)) < 0 ||
	    (rc = open_conn(path, busy, &be->rdb, err)) < 0 ||
	    (rc = gw_sql_prepare_all(be->wdb, wsql, be->w, W_NSTMT, err)) < 0 ||
	    (rc = gw_sql_prepare_all(be->rdb, rsql, be->r, R_NSTMT, err)) < 0 ||
	    (rc = load_head(be->wdb, be->w[W_HEAD], &be->audit_id,
			    be->audit_hash, err)) < 0 ||
	    (rc = gw_sqlq_new(be->wdb, &be->wq, err)) < 0 ||
	    (rc = gw_sqlq_new(be->rdb, &be->rq, err)) < 0 ||
	    (rc = gw_sqladdr_new(be->wdb, &be->wa, err)) < 0 ||
	    (rc = gw_sqladdr_new(be->rdb, &be->ra, err)) < 0 ||
	    (rc = gw_sqlin_new(be->wdb, &be->wi, err)) < 0 ||
	    (rc = gw_sqlin_new(be->rdb, &be->ri, err)) < 0 ||
	    (rc = gw_sqltr_new(be->wdb, &be->wt, err)) < 0 ||
	    (rc = gw_sqltr_new(be->rdb, &be->rt, err)) < 0 ||
	    (rc = gw_sqlst_new(be->rdb, &be->rs, err)) < 0 ||
	    (!opts->no_sweep && (rc = sweep(be, sp, &removed, err)) < 0) ||
	    (rc = open_conn(path, busy, &be->cdb, err)) < 0 ||
	    (rc = gw_sqlckpt_start(be->wdb, be->cdb, &be->ckpt, err)) < 0)
		goto out;
	if (pthread_create(&be->thread, NULL, writer_main, be) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0",
				"store: cannot start the writer thread");
		goto out;
	}
	be->running = true;
	*be_out = be;
	be = NULL;
	rc = 0;
out:
	if (rc < 0)
		gw_err_prefix(err, "sqlite");
	sqlite_close(be);
	return rc;
}

const struct gw_store_ops gw_store_sqlite_ops = {
    .version = GW_STORE_OPS_VERSION,
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .accept = sqlite_accept,
    .get = sqlite_get,
    .find = sqlite_find,
    .count = sqlite_count,
    .audit_add = sqlite_audit_add,
    .audit_verify = sqlite_audit_verify,
    .audit_head = sqlite_audit_head,
    .stats = sqlite_stats,
    .pending = sqlite_pending,
    .recent = sqlite_recent,
    .outbound_queue = sqlite_outbound_queue,
    .jobs_claim = sqlite_jobs_claim,
    .job_result = sqlite_job_result,
    .leases_reset = sqlite_leases_reset,
    .addr_put = sqlite_addr_put,
    .addr_deactivate = sqlite_addr_deactivate,
    .addr_list = sqlite_addr_list,
    .addr_lookup = sqlite_addr_lookup,
    .in_accept = sqlite_in_accept,
    .in_claim = sqlite_in_claim,
    .in_get = sqlite_in_get,
    .in_list = sqlite_in_list,
    .in_result = sqlite_in_result,
    .tr_find = sqlite_tr_find,
    .tr_list = sqlite_tr_list,
    .tr_set = sqlite_tr_set,
    .tr_history = sqlite_tr_history,
    .tr_overdue = sqlite_tr_overdue,
    .notices_untracked = sqlite_notices_untracked,
    .notice_tracked = sqlite_notice_tracked,
    .ehr_claim = sqlite_ehr_claim,
    .ehr_result = sqlite_ehr_result,
    .lookup = sqlite_lookup,
    .tr_query = sqlite_tr_query,
    .tr_events = sqlite_tr_events,
    .metrics = sqlite_metrics,
    .ping = sqlite_ping,
};
