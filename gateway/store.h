/*
 * NAME
 *	store - durable state: accepted submissions, recipients, audit
 * SUMMARY
 *	An interface (a vtable with a version field) and its dispatch. The
 *	backend is chosen by the prefix of the spec: "sqlite:/path/dxgw.db"
 *	(a bare path also means SQLite); "pg:" is reserved for PostgreSQL.
 * DESCRIPTION
 *	Payloads live as files in the spool (spool.h); the store adopts them
 *	and keeps metadata, per-recipient states and the audit trail. Every
 *	function here is thread-safe. Writes go through one writer per store
 *	that groups concurrent callers into one transaction (group commit).
 *
 *	Document paths are stored relative to the spool directory
 *	("doc/<uuid>"); records returned to callers carry absolute paths.
 */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "spool.h"

#define GW_STORE_TXID_LEN     64   /* size of a txid buffer */
#define GW_STORE_FIELD_MAX    4096 /* longest identifier/address string */
#define GW_STORE_DOCS_MAX     1000 /* documents per submission */
#define GW_STORE_RCPTS_MAX    1000 /* recipients per submission */
#define GW_STORE_METADATA_MAX (64u * 1024 * 1024)

struct gw_store;

struct gw_store_doc {
	const char *entry_id;
	const char *unique_id;
	const char *mime_type;
	struct gw_spool_file *file; /* finished; adopted on success */
};

struct gw_audit_event;

struct gw_store_submission {
	const char *client;      /* TLS client subject or "ip:<addr>" */
	const char *client_cert; /* SHA-256 fingerprint or NULL */
	const char *peer;        /* peer address text */
	const char *message_id;  /* wsa:MessageID; key with client */
	const char *ss_unique_id;
	const char *sender; /* Direct address */
	const char *const *recipients;
	size_t nrecipients; /* each gets a row in state "queued" */
	/*
	 * Optional, one per recipient: a reason makes that recipient
	 * "failed" from the start (it cannot be served); NULL entries and a
	 * NULL array mean "queued".
	 */
	const char *const *rcpt_failed;
	const struct gw_store_doc *docs;
	size_t ndocs;
	const char *metadata; /* SubmitObjectsRequest XML as received */
	size_t metadata_len;
	const char *metadata_level; /* "XDS" or "minimal" */
	bool final_delivery;        /* X-DIRECT-FINAL-DESTINATION-DELIVERY */
	const char *relates_to;     /* direct:relatesTo, or NULL */
	/*
	 * Optional: an audit row written in the same transaction as the
	 * submission (its txid is filled in), so accepting costs one commit.
	 */
	const struct gw_audit_event *audit;
};

/* Tuning; zero fields mean the default. */
struct gw_store_opts {
	int batch_max;       /* jobs per group commit (default 256) */
	int busy_timeout_ms; /* default 5000 */
	/*
	 * Skip the crash sweep of the spool at open: for administrative
	 * opens (dxgw addr) while a daemon may be accepting, whose adopted
	 * but not yet committed files the sweep would take for debris.
	 */
	bool no_sweep;
};

/* Group-commit counters since open. */
struct gw_store_stats {
	long batches; /* transactions committed or failed */
	long jobs;    /* accepts + audit rows handled */
	long max_batch;
};

/*
 * Open the store named by spec with its spool at spool_dir (created if
 * needed). Creates or migrates the schema, sweeps unreferenced files from
 * the spool's doc/ and starts the writer. GW_ETEMP on disk/DB trouble,
 * GW_EUNAVAIL for a backend that is not built in.
 */
int gw_store_open(const char *spec, const char *spool_dir,
		  struct gw_store **out, struct gw_err *err);
int gw_store_open_opts(const char *spec, const char *spool_dir,
		       const struct gw_store_opts *opts, struct gw_store **out,
		       struct gw_err *err);
/* Finish in-flight commits, stop the writer, close; accepts NULL. */
void gw_store_close(struct gw_store *st);
/* The store's spool (borrowed, lives until gw_store_close). */
struct gw_spool *gw_store_spool(struct gw_store *st);

/*
 * Durably accept a submission. The spool files are renamed from tmp/ into
 * doc/ and doc/ is fsynced before the rows are committed (WAL,
 * synchronous=FULL); on 0 everything is on disk and txid_out holds the new
 * transaction id (a UUID). If (client, message_id) was accepted before,
 * nothing is written, the files are left to the caller, txid_out gets the
 * existing txid and the return is GW_EEXISTS (status 2.0.0). Duplicate
 * recipient addresses collapse into one row. Errors: GW_ELIMIT/GW_ERROR
 * (5.x.x) for a malformed submission, GW_ETEMP (4.x.x) for disk/DB
 * failures, after which the files are back in tmp/ for the caller to
 * discard.
 */
int gw_store_submission_accept(struct gw_store *st,
			       const struct gw_store_submission *sub,
			       char txid_out[GW_STORE_TXID_LEN],
			       struct gw_err *err);

struct gw_store_recipient {
	char *address;
	char *state;  /* queued, sent, processed, dispatched, failed,
			 timed-out */
	char *reason; /* the last word on it, or NULL */
};
struct gw_store_docrec {
	char *entry_id;
	char *unique_id;
	char *mime_type;
	char *path; /* absolute */
	uint64_t size;
	char sha1[41];
};
struct gw_store_record {
	char *txid;
	char *client;
	char *message_id;
	char *ss_unique_id;
	char *sender;
	char *metadata_level;
	bool final_delivery;
	char *relates_to;
	char *received_at; /* RFC 3339 UTC */
	struct gw_store_recipient *recipients;
	size_t nrecipients; /* in submission order */
	struct gw_store_docrec *docs;
	size_t ndocs; /* in submission order */
	char *metadata;
	size_t metadata_len;
};

/* Read one submission; the caller frees *out. GW_ENOTFOUND, GW_ETEMP. */
int gw_store_submission_get(struct gw_store *st, const char *txid,
			    struct gw_store_record **out, struct gw_err *err);
/* Same, by idempotence key. GW_ENOTFOUND, GW_ETEMP. */
int gw_store_submission_find(struct gw_store *st, const char *client,
			     const char *message_id,
			     struct gw_store_record **out, struct gw_err *err);
/* Accepts NULL. */
void gw_store_record_free(struct gw_store_record *r);
int gw_store_submission_count(struct gw_store *st, long *out,
			      struct gw_err *err);

/*
 * Audit: one row per accepted / rejected / duplicate submission, chained
 * by SHA-256 (each row's hash covers the previous hash and its own
 * fields). Never document contents or metadata values (PHI).
 */
struct gw_audit_event {
	const char *txid;
	const char *event; /* "xdr.accepted", "xdr.rejected", "xdr.duplicate" */
	const char *client;
	const char *client_cert;
	const char *peer;
	const char *message_id;
	const char *outcome; /* "success" / "failure" */
	const char *detail;  /* e.g. error codes */
};

/* Append an audit row through the writer. GW_ETEMP, GW_ELIMIT. */
int gw_store_audit_add(struct gw_store *st, const struct gw_audit_event *ev,
		       struct gw_err *err);
/*
 * Recompute the chain: 0 if intact (*rows_out = rows checked, may be
 * NULL), GW_ETRUST naming the first broken row otherwise.
 */
int gw_store_audit_verify(struct gw_store *st, long *rows_out,
			  struct gw_err *err);
/* The newest row's hash (64 hex or 64 zeros), for periodic export. */
int gw_store_audit_head(struct gw_store *st, long *id_out, char hash_out[65],
			struct gw_err *err);

/* Group-commit counters (zeros for a backend without them). */
void gw_store_stats_get(struct gw_store *st, struct gw_store_stats *out);

/*
 * Backend interface. A backend fills every member; the dispatch checks
 * version so an old backend is refused rather than called wrongly.
 */
/*
 * The outbound queue. A converted submission becomes one Direct message
 * per destination domain (a job), held as a spool file; its recipients
 * move from "queued" to "sent" (the next hop took it) or "failed" (with
 * the reason). Submissions go from "accepted" to "queued" when their
 * jobs are queued.
 */
enum gw_rcpt_outcome { GW_RCPT_SENT, GW_RCPT_DEFERRED, GW_RCPT_FAILED };

struct gw_store_outmsg {
	const char *domain;         /* destination domain, lower case */
	const char *message_id;     /* "<uuid@sending-domain>" */
	const char *mail_from;      /* envelope sender */
	struct gw_spool_file *file; /* finished; adopted on success */
	const char *const *rcpts;   /* addresses of this submission */
	size_t nrcpts;
	/* the message asked for final delivery notification (schema 6) */
	bool final_delivery;
};

struct gw_store_rcpt_fail {
	const char *address;
	const char *reason; /* why it cannot be served */
};

struct gw_store_job {
	long long id;
	char *txid;
	char *domain;
	char *message_id;
	char *mail_from;
	char *path; /* absolute */
	uint64_t size;
	int attempts;                     /* including this one */
	long long created_at, expires_at; /* Unix seconds */
	char **rcpts;                     /* still queued */
	size_t nrcpts;
	bool notice; /* a notification job: txid names an inbound message */
};

struct gw_store_rcpt_result {
	const char *address;
	enum gw_rcpt_outcome outcome;
	const char *reason; /* the server's reply, or ours */
};

/* Up to max txids of submissions waiting for conversion (malloc'ed). */
int gw_store_pending(struct gw_store *st, size_t max, char ***txids, size_t *n,
		     struct gw_err *err);
void gw_store_txids_free(char **txids, size_t n);
/* The newest max submissions' txids, newest first (malloc'ed). */
int gw_store_submission_recent(struct gw_store *st, size_t max, char ***txids,
			       size_t *n, struct gw_err *err);
/*
 * Queue the messages of a converted submission and fail the recipients
 * it cannot serve, in one transaction; the submission goes to "queued".
 * Jobs are due at now and expire at now + lifetime_s. GW_EEXISTS when
 * the submission was already converted.
 */
int gw_store_outbound_queue(struct gw_store *st, const char *txid,
			    const struct gw_store_outmsg *msgs, size_t nmsgs,
			    const struct gw_store_rcpt_fail *fails,
			    size_t nfails, long long now, long lifetime_s,
			    struct gw_err *err);

/* One converted submission, for gw_store_outbound_queue_many(). */
struct gw_store_outbatch {
	const char *txid;
	const struct gw_store_outmsg *msgs;
	size_t nmsgs;
	const struct gw_store_rcpt_fail *fails;
	size_t nfails;
	int rc;            /* out: as gw_store_outbound_queue() */
	struct gw_err err; /* out, when rc < 0 */
};

/*
 * Queue several converted submissions together: each succeeds or fails
 * alone (its rc and err), but they share the durable commits, so a
 * converter does not wait for the disk once per submission. Returns 0
 * when every item's rc is 0, else the first failing item's rc.
 */
int gw_store_outbound_queue_many(struct gw_store *st,
				 struct gw_store_outbatch *items, size_t n,
				 long long now, long lifetime_s,
				 struct gw_err *err);
/*
 * Claim up to max due jobs (their next attempt moves to now + lease_s
 * so nothing else takes them); *jobs is malloc'ed.
 */
int gw_store_jobs_claim(struct gw_store *st, long long now, long lease_s,
			size_t max, struct gw_store_job **jobs, size_t *n,
			struct gw_err *err);
/*
 * Record an attempt: per-recipient outcomes, then the job is finished
 * when next_at is 0 or no recipient is left queued, else due again at
 * next_at. error is the attempt's summary (may be NULL).
 */
int gw_store_job_result(struct gw_store *st, const struct gw_store_job *job,
			const struct gw_store_rcpt_result *res, size_t n,
			long long next_at, const char *error,
			struct gw_err *err);
void gw_store_jobs_free(struct gw_store_job *jobs, size_t n);
/*
 * After a restart: jobs and inbound messages claimed by the dead process
 * are due now.
 */
int gw_store_leases_reset(struct gw_store *st, long long now,
			  struct gw_err *err);

/*
 * The address book: where documents for a local Direct address go (the
 * inbound leg). address is a normalised "local@domain" or "@domain"
 * (a whole domain); url the EHR's ITI-41 endpoint; cert the PEM with
 * the TLS client certificate and key dxgw presents (NULL: none); ca the
 * CA file that verifies the endpoint (NULL: the system store). Rows are
 * deactivated, never deleted.
 */
struct gw_store_address {
	char *address;
	char *url;
	char *cert;
	char *ca;
	bool active;
	char *created_at; /* RFC 3339 UTC; ignored on put */
	char *updated_at;
};

/*
 * Add an address or update it (a re-add also re-activates it), through
 * the writer. store.c normalises the address (GW_EPARSE 5.1.3 when it is
 * neither a Direct address nor "@domain") and checks the URL (GW_EPARSE:
 * http:// only for a loopback host, https:// otherwise). GW_ETEMP.
 */
int gw_store_addr_put(struct gw_store *st, const char *address, const char *url,
		      const char *cert, const char *ca, struct gw_err *err);
/* Mark inactive; GW_ENOTFOUND when unknown, GW_EPARSE, GW_ETEMP. */
int gw_store_addr_deactivate(struct gw_store *st, const char *address,
			     struct gw_err *err);
/* Every row (active or not) sorted by address; *out malloc'ed. */
int gw_store_addr_list(struct gw_store *st, struct gw_store_address **out,
		       size_t *n, struct gw_err *err);
/*
 * The active target for a recipient address: the address itself (after
 * normalisation), else "@" and its domain. GW_ENOTFOUND (5.1.1) when
 * neither is active, GW_EPARSE for a malformed address. Free *out with
 * gw_store_addresses_free(*out, 1).
 */
int gw_store_addr_lookup(struct gw_store *st, const char *address,
			 struct gw_store_address **out, struct gw_err *err);
/* Accepts NULL. */
void gw_store_addresses_free(struct gw_store_address *v, size_t n);
/*
 * Normalise an address-book key into out (GW_ADDR_MAX): a Direct address
 * as gw_addr_normalize() does, or "@domain" in lower case. GW_EPARSE.
 */
int gw_store_addr_key(const char *in, char *out, size_t outlen,
		      struct gw_err *err);
/* An endpoint URL dxgw may post to: https://, or http:// on loopback. */
int gw_store_addr_url_check(const char *url, struct gw_err *err);

/*
 * The inbound leg (schema 5). A Direct message that passed the security
 * agent is kept as its inner message (decrypted, verified: the spool file
 * the caller wrote) with one row per envelope recipient. Messages go
 * "accepted" -> "done"; MDNs and DSNs that arrive for us are kept as
 * "notice" (read by the tracking of outbound messages) and are never
 * claimed. Recipients go "queued" -> "delivered" (the EHR took the
 * documents) or "failed" (with the reason); notified says that the
 * recipient's final MDN (dispatched or failed) was queued or is not owed.
 * A message is done when every recipient is final and notified.
 *
 * The notifications this HISP sends (processed, dispatched, failed MDNs)
 * travel through the outbound queue as jobs without a submission: each
 * names the inbound message it answers and carries exactly one recipient
 * (the original sender); gw_store_jobs_claim() returns them like any job
 * (txid = the inbound message's txid, rcpts = that one address) and
 * gw_store_job_result() records their outcome in the job itself.
 */
struct gw_store_inmsg {
	const char *session;    /* SMTP session id */
	const char *peer;       /* "address:port" */
	const char *mail_from;  /* envelope sender, "" for <> */
	const char *sender;     /* the protected From, normalised */
	const char *message_id; /* inner Message-ID "<...>", or NULL */
	const char *subject;    /* inner Subject (for MDN text), or NULL */
	const char *kind;       /* "message", "mdn" or "dsn" */
	bool wants_final;       /* X-DIRECT-FINAL-DESTINATION-DELIVERY */
	const char *signers; /* trusted signers' fingerprints, " "-separated */
	const char *const *rcpts;   /* envelope recipients, normalised */
	size_t nrcpts;              /* 1..GW_STORE_RCPTS_MAX */
	struct gw_spool_file *file; /* the inner message, finished; adopted */
	/* Optional, written in the same transaction (txid filled in). */
	const struct gw_audit_event *audit;
};

struct gw_store_inrcpt {
	char *address;
	char *state;  /* queued, delivered, failed */
	char *reason; /* or NULL */
	bool notified;
};

struct gw_store_injob {
	char *txid;
	char *kind;  /* message, mdn, dsn */
	char *state; /* accepted, done, notice */
	char *session;
	char *peer;
	char *mail_from;
	char *sender;
	char *message_id; /* or NULL */
	char *subject;    /* or NULL */
	bool wants_final;
	bool processed_sent; /* the processed MDNs were queued (or given up) */
	char *path;          /* absolute */
	uint64_t size;
	int attempts;                      /* including this one (claim) */
	long long received_at, expires_at; /* Unix seconds */
	char *last_error;                  /* or NULL */
	struct gw_store_inrcpt *rcpts;     /* in envelope order */
	size_t nrcpts;
};

/*
 * Durably accept an inbound message: adopt m->file (spool sync before
 * the commit, as for submissions), insert the message (state "accepted"
 * for kind "message", due now, expiring at now + lifetime_s; "notice"
 * otherwise) and its recipients "queued", and the audit row, in one
 * transaction. txid_out gets the new txid. GW_ELIMIT/GW_ERROR (5.x.x)
 * for malformed input, GW_ETEMP on disk/DB trouble (the file is back in
 * tmp/ for the caller to discard).
 */
int gw_store_inbound_accept(struct gw_store *st, const struct gw_store_inmsg *m,
			    long long now, long lifetime_s,
			    char txid_out[GW_STORE_TXID_LEN],
			    struct gw_err *err);
/*
 * Claim up to max due "accepted" messages (attempts + 1, next attempt at
 * now + lease_s, so nothing else takes them); *jobs malloc'ed.
 */
int gw_store_inbound_claim(struct gw_store *st, long long now, long lease_s,
			   size_t max, struct gw_store_injob **jobs, size_t *n,
			   struct gw_err *err);
/* Read one inbound message (any state). GW_ENOTFOUND, GW_ETEMP. */
int gw_store_inbound_get(struct gw_store *st, const char *txid,
			 struct gw_store_injob **out, struct gw_err *err);
/* The newest max inbound messages, newest first; *jobs malloc'ed. */
int gw_store_inbound_list(struct gw_store *st, size_t max,
			  struct gw_store_injob **jobs, size_t *n,
			  struct gw_err *err);
void gw_store_injobs_free(struct gw_store_injob *jobs, size_t n);

enum gw_in_outcome {
	GW_IN_QUEUED,    /* no change */
	GW_IN_DELIVERED, /* the EHR took it */
	GW_IN_FAILED,    /* final failure, reason says why */
};

/* What one attempt did for a recipient. */
struct gw_store_inresult {
	const char *address;
	enum gw_in_outcome outcome; /* only a "queued" recipient changes */
	const char *reason;         /* may be NULL */
	bool notified;              /* its final MDN is queued / not owed */
};

/* One notification to queue (an MDN to the original sender). */
struct gw_store_notice {
	const char *domain;         /* of rcpt, lower case */
	const char *message_id;     /* of the MDN, "<...>" */
	const char *mail_from;      /* envelope sender, "" for <> */
	const char *rcpt;           /* the one recipient */
	struct gw_spool_file *file; /* finished; adopted on success */
};

/*
 * Record one processing attempt of job, in one transaction: queue the
 * notices (outbound jobs due now, expiring at now + lifetime_s), set
 * processed_sent when asked (never cleared), apply the per-recipient
 * results, then either finish the message ("done": every recipient
 * final and notified) or release the claim with the next attempt at
 * next_at and error as last_error. GW_ETEMP on disk/DB trouble (the
 * notices' files are back in tmp/).
 */
int gw_store_inbound_result(struct gw_store *st,
			    const struct gw_store_injob *job,
			    bool processed_sent,
			    const struct gw_store_inresult *res, size_t nres,
			    const struct gw_store_notice *notes, size_t nnotes,
			    long long now, long lifetime_s, long long next_at,
			    const char *error, struct gw_err *err);

/*
 * Delivery tracking (schema 6): what happens to a submission's recipient
 * after the next hop took the message. States: "queued" -> "sent" (the
 * remote 250; sent_at set by gw_store_job_result) -> "processed" ->
 * "dispatched", or "failed" with the reason, or "timed-out" (the
 * tracker's timer: no final MDN in time); final says no notification
 * may change it any more (a message that asked for final delivery is
 * final on dispatched or failed, otherwise on processed or failed; a
 * failure before sending is final at once). Every change and every
 * notification that changed nothing (a duplicate, a late one) is a row
 * of the recipient's history. A final outcome of a submission that came
 * in over XDR owes the EHR a disposition (ehr_state "owed" -> "sent" or
 * "failed" once it is delivered or given up).
 */
struct gw_store_trackrow {
	char *txid;    /* the submission */
	char *address; /* the recipient */
	char *state;   /* queued, sent, processed, dispatched, failed,
			 timed-out */
	bool final;
	char *reason;         /* or NULL */
	char *message_id;     /* Message-ID of the Direct message, or NULL */
	bool final_delivery;  /* that message asked for final delivery */
	char *sender;         /* the submission's Direct sender */
	char *wsa_message_id; /* the submission's wsa:MessageID */
	long long sent_at;    /* Unix seconds; 0 before sending */
	long long final_at;   /* 0 while not final */
	char *ehr_state;      /* NULL (none owed), owed, sent, failed */
	int ehr_attempts;
	long long ehr_next_at;
	char *received_at; /* the submission's, RFC 3339 UTC (ops version 6) */
};

struct gw_store_event {
	long long at; /* Unix seconds */
	char *
	    event; /* e.g. "sent", "mdn processed", "duplicate mdn processed" */
	char *detail; /* or NULL */
};

/*
 * The recipient address of the submission whose Direct message had
 * Message-ID message_id ("<...>"). GW_ENOTFOUND. Free with
 * gw_store_trackrows_free(*out, 1).
 */
int gw_store_track_find(struct gw_store *st, const char *message_id,
			const char *address, struct gw_store_trackrow **out,
			struct gw_err *err);
/*
 * The recipients of one submission, in submission order. GW_ENOTFOUND
 * for an unknown submission.
 */
int gw_store_track_list(struct gw_store *st, const char *txid,
			struct gw_store_trackrow **rows, size_t *n,
			struct gw_err *err);
void gw_store_trackrows_free(struct gw_store_trackrow *rows, size_t n);

/* One tracking step for gw_store_track_set(). */
struct gw_store_trackset {
	const char *txid, *address;
	const char *expect; /* the state it must still be in, else EEXISTS */
	const char *state;  /* the new state (may equal expect) */
	bool final;         /* becomes final (final_at = now) */
	const char *reason; /* NULL keeps the old one */
	const char *event;  /* history row (always written) */
	const char *detail; /* may be NULL */
	bool owe_ehr;       /* with final: ehr_state "owed", due now */
	const char *notice_txid; /* an inbound notice now tracked, or NULL */
};

/*
 * Apply one step in one transaction: if the recipient is in state
 * t->expect and not final, set state, final, reason (and ehr_state
 * "owed" due at now when owe_ehr and final); write the history row; mark
 * the notice tracked. If the recipient is final or in another state,
 * only the history row (event prefixed "ignored ") and the notice mark
 * are written and the return is GW_EEXISTS. The mark is t->event, or
 * "ignored" unless an earlier step marked that notice with its event (a
 * DSN may name several recipients). expect and state are among the
 * states above (else GW_ERROR). GW_ENOTFOUND (nothing written) for an
 * unknown recipient, or a notice_txid that is no inbound MDN or DSN;
 * GW_ETEMP.
 */
int gw_store_track_set(struct gw_store *st, const struct gw_store_trackset *t,
		       long long now, struct gw_err *err);
/*
 * The history of one recipient, oldest first (none yet: 0 rows).
 * GW_ENOTFOUND for an unknown recipient.
 */
int gw_store_track_history(struct gw_store *st, const char *txid,
			   const char *address, struct gw_store_event **ev,
			   size_t *n, struct gw_err *err);
void gw_store_events_free(struct gw_store_event *ev, size_t n);
/*
 * Up to max recipients that are not final, state "sent" or
 * "processed", sent at or before sent_before (timer candidates).
 */
int gw_store_track_overdue(struct gw_store *st, long long sent_before,
			   size_t max, struct gw_store_trackrow **rows,
			   size_t *n, struct gw_err *err);
/*
 * Up to max inbound notices (kind mdn or dsn) not yet tracked, oldest
 * first; and mark one tracked without a step (unrelated to our mail):
 * outcome is the word kept; GW_ENOTFOUND when notice_txid is no MDN or
 * DSN.
 */
int gw_store_notices_untracked(struct gw_store *st, size_t max,
			       struct gw_store_injob **rows, size_t *n,
			       struct gw_err *err);
int gw_store_notice_tracked(struct gw_store *st, const char *notice_txid,
			    const char *outcome, struct gw_err *err);
/*
 * Dispositions owed to EHRs: up to max recipients with ehr_state "owed"
 * and ehr_next_at <= now, claimed (ehr_attempts + 1, ehr_next_at = now +
 * lease_s; GW_ELIMIT unless lease_s > 0); the rows show the claim
 * (attempts including this one). Then the outcome: state "sent",
 * "failed" (given up), or "owed" again at next_at, with detail in the
 * history ("ehr <state>"). An outcome applies only while the
 * disposition is owed: GW_EEXISTS once it was sent or given up,
 * GW_ENOTFOUND when none was ever owed.
 */
int gw_store_ehr_claim(struct gw_store *st, long long now, long lease_s,
		       size_t max, struct gw_store_trackrow **rows, size_t *n,
		       struct gw_err *err);
int gw_store_ehr_result(struct gw_store *st, const char *txid,
			const char *address, const char *ehr_state,
			long long next_at, const char *detail,
			struct gw_err *err);

/*
 * Status reads (version 6), for the admin API, its metrics and dxgw
 * status. Read-only; none of them changes what they report on.
 */

/* Which leg a looked-up id belongs to. */
struct gw_store_match {
	char txid[GW_STORE_TXID_LEN];
	bool inbound; /* an inbound Direct message, else a submission */
};

/*
 * The messages that id names, newest first, at most max: a submission by
 * its txid, its wsa:MessageID (of any client) or the Message-ID of one
 * of its Direct messages ("<...>", as sent); an inbound message by its
 * txid or its Message-ID. Exact matches only. No match: 0 rows.
 * GW_ETEMP. *out malloc'ed.
 */
int gw_store_message_lookup(struct gw_store *st, const char *id, size_t max,
			    struct gw_store_match **out, size_t *n,
			    struct gw_err *err);

/* A filter for gw_store_track_query(); NULL and 0 fields match all. */
struct gw_store_trackq {
	const char *state;   /* the recipient's state */
	const char *address; /* recipient or sender, in any ASCII case */
	long long since;     /* received at or after (Unix seconds) */
	long long until;     /* received before (Unix seconds) */
	size_t max;          /* rows, 1..GW_STORE_QUERY_MAX */
};

#define GW_STORE_QUERY_MAX 10000

/*
 * Submissions' recipients that match q, newest submission first (its
 * recipients in submission order). GW_ELIMIT for a bad max, GW_ETEMP.
 * Without an index for these filters a selective query reads through
 * the recipients table: meant for an operator, not for a poll loop.
 */
int gw_store_track_query(struct gw_store *st, const struct gw_store_trackq *q,
			 struct gw_store_trackrow **rows, size_t *n,
			 struct gw_err *err);

/* A row of history with its recipient's sent_at, for incremental readers. */
struct gw_store_histrow {
	long long id; /* increasing with every row written */
	long long at;
	long long sent_at; /* the recipient's; 0 when never sent */
	char *event;
};

/*
 * Up to max history rows (of every recipient) with id > after_id, in id
 * order: a cursor, so that a reader sees each row once. GW_ETEMP.
 */
int gw_store_track_events(struct gw_store *st, long long after_id, size_t max,
			  struct gw_store_histrow **rows, size_t *n,
			  struct gw_err *err);
void gw_store_histrows_free(struct gw_store_histrow *rows, size_t n);

struct gw_store_count {
	char *key;
	long long n;
};

/* Reasons are grouped by their first GW_STORE_REASON_KEY characters. */
#define GW_STORE_REASON_KEY 16

/* Queue depths and state counts, as they are now. */
struct gw_store_metrics {
	long long converting; /* submissions accepted, not yet queued */
	long long outbound;   /* Direct messages queued for sending */
	long long notices;    /* MDNs of ours queued for sending */
	long long inbound;    /* inbound messages not yet done */
	long long ehr_owed;   /* dispositions owed to EHRs */
	long long untracked;  /* MDNs/DSNs received, not yet tracked */
	struct gw_store_count *rcpt_states; /* submissions' recipients */
	size_t nrcpt_states;
	struct gw_store_count *in_states; /* inbound messages' recipients */
	size_t nin_states;
	/*
	 * Failed and timed-out recipients of submissions by the first
	 * GW_STORE_REASON_KEY characters of their reason ("" without one),
	 * most frequent first, at most max_reasons groups.
	 */
	struct gw_store_count *failed;
	size_t nfailed;
};

/* Fill *m (zeroed first; dispose it even on error). GW_ETEMP. */
int gw_store_metrics_read(struct gw_store *st, size_t max_reasons,
			  struct gw_store_metrics *m, struct gw_err *err);
void gw_store_metrics_dispose(struct gw_store_metrics *m);

/* Does the store answer a trivial read? 0 or GW_ETEMP. */
int gw_store_ping(struct gw_store *st, struct gw_err *err);

#define GW_STORE_OPS_VERSION 6

struct gw_store_ops {
	int version;
	const char *name;
	int (*open)(const char *arg, struct gw_spool *sp,
		    const struct gw_store_opts *opts, void **be_out,
		    struct gw_err *err);
	void (*close)(void *be);
	int (*accept)(void *be, const struct gw_store_submission *sub,
		      char txid_out[GW_STORE_TXID_LEN], struct gw_err *err);
	int (*get)(void *be, const char *txid, struct gw_store_record **out,
		   struct gw_err *err);
	int (*find)(void *be, const char *client, const char *message_id,
		    struct gw_store_record **out, struct gw_err *err);
	int (*count)(void *be, long *out, struct gw_err *err);
	int (*audit_add)(void *be, const struct gw_audit_event *ev,
			 struct gw_err *err);
	int (*audit_verify)(void *be, long *rows_out, struct gw_err *err);
	int (*audit_head)(void *be, long *id_out, char hash_out[65],
			  struct gw_err *err);
	void (*stats)(void *be, struct gw_store_stats *out);
	int (*pending)(void *be, size_t max, char ***txids, size_t *n,
		       struct gw_err *err);
	int (*recent)(void *be, size_t max, char ***txids, size_t *n,
		      struct gw_err *err);
	/* Fills every item's rc and err. */
	void (*outbound_queue)(void *be, struct gw_store_outbatch *const *items,
			       size_t n, long long now, long lifetime_s);
	int (*jobs_claim)(void *be, long long now, long lease_s, size_t max,
			  struct gw_store_job **jobs, size_t *n,
			  struct gw_err *err);
	int (*job_result)(void *be, const struct gw_store_job *job,
			  const struct gw_store_rcpt_result *res, size_t n,
			  long long next_at, const char *error,
			  struct gw_err *err);
	int (*leases_reset)(void *be, long long now, struct gw_err *err);
	/* version 3: the address book; addresses arrive normalised. */
	int (*addr_put)(void *be, const struct gw_store_address *a,
			struct gw_err *err);
	int (*addr_deactivate)(void *be, const char *address,
			       struct gw_err *err);
	int (*addr_list)(void *be, struct gw_store_address **out, size_t *n,
			 struct gw_err *err);
	int (*addr_lookup)(void *be, const char *address,
			   struct gw_store_address **out, struct gw_err *err);
	/* version 4: the inbound leg and notification jobs. */
	int (*in_accept)(void *be, const struct gw_store_inmsg *m,
			 long long now, long lifetime_s,
			 char txid_out[GW_STORE_TXID_LEN], struct gw_err *err);
	int (*in_claim)(void *be, long long now, long lease_s, size_t max,
			struct gw_store_injob **jobs, size_t *n,
			struct gw_err *err);
	int (*in_get)(void *be, const char *txid, struct gw_store_injob **out,
		      struct gw_err *err);
	int (*in_list)(void *be, size_t max, struct gw_store_injob **jobs,
		       size_t *n, struct gw_err *err);
	int (*in_result)(void *be, const struct gw_store_injob *job,
			 bool processed_sent,
			 const struct gw_store_inresult *res, size_t nres,
			 const struct gw_store_notice *notes, size_t nnotes,
			 long long now, long lifetime_s, long long next_at,
			 const char *error, struct gw_err *err);
	/* version 5: delivery tracking. */
	int (*tr_find)(void *be, const char *message_id, const char *address,
		       struct gw_store_trackrow **out, struct gw_err *err);
	int (*tr_list)(void *be, const char *txid,
		       struct gw_store_trackrow **rows, size_t *n,
		       struct gw_err *err);
	int (*tr_set)(void *be, const struct gw_store_trackset *t,
		      long long now, struct gw_err *err);
	int (*tr_history)(void *be, const char *txid, const char *address,
			  struct gw_store_event **ev, size_t *n,
			  struct gw_err *err);
	int (*tr_overdue)(void *be, long long sent_before, size_t max,
			  struct gw_store_trackrow **rows, size_t *n,
			  struct gw_err *err);
	int (*notices_untracked)(void *be, size_t max,
				 struct gw_store_injob **rows, size_t *n,
				 struct gw_err *err);
	int (*notice_tracked)(void *be, const char *notice_txid,
			      const char *outcome, struct gw_err *err);
	int (*ehr_claim)(void *be, long long now, long lease_s, size_t max,
			 struct gw_store_trackrow **rows, size_t *n,
			 struct gw_err *err);
	int (*ehr_result)(void *be, const char *txid, const char *address,
			  const char *ehr_state, long long next_at,
			  const char *detail, struct gw_err *err);
	/* version 6: status reads. */
	int (*lookup)(void *be, const char *id, size_t max,
		      struct gw_store_match **out, size_t *n,
		      struct gw_err *err);
	int (*tr_query)(void *be, const struct gw_store_trackq *q,
			struct gw_store_trackrow **rows, size_t *n,
			struct gw_err *err);
	int (*tr_events)(void *be, long long after_id, size_t max,
			 struct gw_store_histrow **rows, size_t *n,
			 struct gw_err *err);
	int (*metrics)(void *be, size_t max_reasons, struct gw_store_metrics *m,
		       struct gw_err *err);
	int (*ping)(void *be, struct gw_err *err);
};

extern const struct gw_store_ops gw_store_sqlite_ops;

#endif
