/*
 * NAME
 *	store - backend selection and argument checks for the durable store
 * SUMMARY
 *	Picks a backend by the spec prefix, owns the spool, checks what every
 *	backend would otherwise check again (limits, required fields), and
 *	forwards through the struct gw_store_ops vtable.
 * DESCRIPTION
 *	Backends are tables of function pointers, like Postfix dict_* and
 *	OpenSMTPD queue_*. A spec is "<backend>:<argument>"; a spec without
 *	a known prefix is an SQLite path. The store owns its spool and frees
 *	it after the backend has stopped.
 * STANDARDS
 *	None directly; the semantics are those of RELIABILITY.md 3.2
 *	(at-least-once with idempotence keys).
 * SECURITY
 *	Submission fields come from authenticated but untrusted clients:
 *	every string and count is bounded here before a backend sees it.
 * LIMITS
 *	GW_STORE_FIELD_MAX, GW_STORE_DOCS_MAX, GW_STORE_RCPTS_MAX,
 *	GW_STORE_METADATA_MAX (store.h).
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

struct gw_store {
	const struct gw_store_ops *ops;
	void *be;
	struct gw_spool *sp;
};

static const struct {
	const char *prefix;
	const struct gw_store_ops *ops; /* NULL: known but not built */
} backends[] = {
    {.prefix = "sqlite:", .ops = &gw_store_sqlite_ops},
    {.prefix = "pg:", .ops = NULL},
    {.prefix = "postgresql:", .ops = NULL},
};

int
gw_store_open(const char *spec, const char *spool_dir, struct gw_store **out,
	      struct gw_err *err)
{
	return gw_store_open_opts(spec, spool_dir, NULL, out, err);
}

int
gw_store_open_opts(const char *spec, const char *spool_dir,
		   const struct gw_store_opts *opts, struct gw_store **out,
		   struct gw_err *err)
{
	static const struct gw_store_opts defaults;
	struct gw_store *st = gw_xcalloc(1, sizeof(*st));
	const char *arg = spec;
	int rc = -1;

	*out = NULL;
	st->ops = &gw_store_sqlite_ops;
	if (spec == NULL || spec[0] == '\0') {
		rc = gw_err_set(err, GW_ERROR, "4.3.5", "store: empty spec");
		goto out;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i].prefix);

		if (strncmp(spec, backends[i].prefix, n) != 0)
			continue;
		if (backends[i].ops == NULL) {
			rc = gw_err_set(err, GW_EUNAVAIL, "4.3.5",
					"store: backend %.*s not built in",
					(int)(n - 1), spec);
			goto out;
		}
		st->ops = backends[i].ops;
		arg = spec + n;
		break;
	}
	if (st->ops->version != GW_STORE_OPS_VERSION) {
		rc = gw_err_set(
		    err, GW_ERROR, "4.3.5",
		    "store: backend %s has interface version %d, want %d",
		    st->ops->name, st->ops->version, GW_STORE_OPS_VERSION);
		goto out;
	}
	if ((rc = gw_spool_new(spool_dir, &st->sp, err)) < 0)
		goto out;
	rc = st->ops->open(arg, st->sp, opts != NULL ? opts : &defaults,
			   &st->be, err);
	if (rc < 0)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
out:
	gw_store_close(st);
	return rc;
}

void
gw_store_close(struct gw_store *st)
{
	if (st == NULL)
		return;
	if (st->be != NULL)
		st->ops->close(st->be);
	gw_spool_free(st->sp);
	free(st);
}

struct gw_spool *
gw_store_spool(struct gw_store *st)
{
	return st->sp;
}

/* A string that must be present (or may be NULL when optional). */
static int
check_str(const char *s, const char *what, int required, struct gw_err *err)
{
	if (s == NULL) {
		if (!required)
			return 0;
		return gw_err_set(err, GW_ERROR, "5.5.2", "store: no %s", what);
	}
	if (required && s[0] == '\0')
		return gw_err_set(err, GW_ERROR, "5.5.2", "store: empty %s",
				  what);
	if (strnlen(s, GW_STORE_FIELD_MAX + 1) > GW_STORE_FIELD_MAX)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: %s longer than %d", what,
				  GW_STORE_FIELD_MAX);
	return 0;
}

static int
check_submission(const struct gw_store_submission *s, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(s->client, "client", 1, err)) < 0 ||
	    (rc = check_str(s->message_id, "message_id", 1, err)) < 0 ||
	    (rc = check_str(s->client_cert, "client_cert", 0, err)) < 0 ||
	    (rc = check_str(s->peer, "peer", 0, err)) < 0 ||
	    (rc = check_str(s->ss_unique_id, "ss_unique_id", 0, err)) < 0 ||
	    (rc = check_str(s->sender, "sender", 0, err)) < 0 ||
	    (rc = check_str(s->metadata_level, "metadata_level", 0, err)) < 0)
		return rc;
	if (s->ndocs > GW_STORE_DOCS_MAX || s->nrecipients > GW_STORE_RCPTS_MAX)
		return gw_err_set(
		    err, GW_ELIMIT, "5.5.3",
		    "store: %zu documents / %zu recipients over the limit",
		    s->ndocs, s->nrecipients);
	if (s->metadata_len > GW_STORE_METADATA_MAX ||
	    (s->metadata == NULL && s->metadata_len > 0))
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: bad metadata length %zu",
				  s->metadata_len);
	for (size_t i = 0; i < s->nrecipients; i++)
		if ((rc = check_str(s->recipients[i], "recipient", 1, err)) < 0)
			return rc;
	for (size_t i = 0; i < s->ndocs; i++) {
		const struct gw_store_doc *d = &s->docs[i];

		if ((rc = check_str(d->entry_id, "entry_id", 0, err)) < 0 ||
		    (rc = check_str(d->unique_id, "unique_id", 0, err)) < 0 ||
		    (rc = check_str(d->mime_type, "mime_type", 0, err)) < 0)
			return rc;
		if (d->file == NULL || !gw_spool_file_finished(d->file))
			return gw_err_set(
			    err, GW_ERROR, "5.3.0",
			    "store: document %zu is not a finished file", i);
		for (size_t j = 0; j < i; j++)
			if (s->docs[j].file == d->file)
				return gw_err_set(
				    err, GW_ERROR, "5.3.0",
				    "store: document %zu repeats a file", i);
	}
	return 0;
}

int
gw_store_submission_accept(struct gw_store *st,
			   const struct gw_store_submission *sub,
			   char txid_out[GW_STORE_TXID_LEN], struct gw_err *err)
{
	int rc;

	txid_out[0] = '\0';
	if ((rc = check_submission(sub, err)) < 0)
		return rc;
	return st->ops->accept(st->be, sub, txid_out, err);
}

int
gw_store_submission_get(struct gw_store *st, const char *txid,
			struct gw_store_record **out, struct gw_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = check_str(txid, "txid", 1, err)) < 0)
		return rc;
	return st->ops->get(st->be, txid, out, err);
}

int
gw_store_submission_find(struct gw_store *st, const char *client,
			 const char *message_id, struct gw_store_record **out,
			 struct gw_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = check_str(client, "client", 1, err)) < 0 ||
	    (rc = check_str(message_id, "message_id", 1, err)) < 0)
		return rc;
	return st->ops->find(st->be, client, message_id, out, err);
}

void
gw_store_record_free(struct gw_store_record *r)
{
	if (r == NULL)
		return;
	free(r->txid);
	free(r->client);
	free(r->message_id);
	free(r->ss_unique_id);
	free(r->sender);
	free(r->metadata_level);
	free(r->relates_to);
	free(r->received_at);
	for (size_t i = 0; i < r->nrecipients; i++) {
		free(r->recipients[i].address);
		free(r->recipients[i].state);
	}
	free(r->recipients);
	for (size_t i = 0; i < r->ndocs; i++) {
		free(r->docs[i].entry_id);
		free(r->docs[i].unique_id);
		free(r->docs[i].mime_type);
		free(r->docs[i].path);
	}
	free(r->docs);
	free(r->metadata);
	free(r);
}

int
gw_store_submission_count(struct gw_store *st, long *out, struct gw_err *err)
{
	*out = 0;
	return st->ops->count(st->be, out, err);
}

int
gw_store_audit_add(struct gw_store *st, const struct gw_audit_event *ev,
		   struct gw_err *err)
{
	int rc;

	if ((rc = check_str(ev->event, "event", 1, err)) < 0 ||
	    (rc = check_str(ev->outcome, "outcome", 1, err)) < 0 ||
	    (rc = check_str(ev->txid, "txid", 0, err)) < 0 ||
	    (rc = check_str(ev->client, "client", 0, err)) < 0 ||
	    (rc = check_str(ev->client_cert, "client_cert", 0, err)) < 0 ||
	    (rc = check_str(ev->peer, "peer", 0, err)) < 0 ||
	    (rc = check_str(ev->message_id, "message_id", 0, err)) < 0 ||
	    (rc = check_str(ev->detail, "detail", 0, err)) < 0)
		return rc;
	return st->ops->audit_add(st->be, ev, err);
}

int
gw_store_audit_verify(struct gw_store *st, long *rows_out, struct gw_err *err)
{
	if (rows_out != NULL)
		*rows_out = 0;
	return st->ops->audit_verify(st->be, rows_out, err);
}

int
gw_store_audit_head(struct gw_store *st, long *id_out, char hash_out[65],
		    struct gw_err *err)
{
	return st->ops->audit_head(st->be, id_out, hash_out, err);
}

void
gw_store_stats_get(struct gw_store *st, struct gw_store_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (st->ops->stats != NULL)
		st->ops->stats(st->be, out);
}
