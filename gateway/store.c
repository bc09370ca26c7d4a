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

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
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
	if ((rc = gw_spool_open(spool_dir, opts == NULL || !opts->no_sweep,
				&st->sp, err)) < 0)
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
		if ((rc = check_str(s->recipients[i], "recipient", 1, err)) <
			0 ||
		    (s->rcpt_failed != NULL &&
		     (rc = check_str(s->rcpt_failed[i], "reason", 0, err)) < 0))
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
		free(r->recipients[i].reason);
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

static int
check_audit(const struct gw_audit_event *ev, struct gw_err *err)
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
	return 0;
}

int
gw_store_audit_add(struct gw_store *st, const struct gw_audit_event *ev,
		   struct gw_err *err)
{
	int rc;

	if ((rc = check_audit(ev, err)) < 0)
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

/* --- outbound queue ------------------------------------------------- */

int
gw_store_submission_recent(struct gw_store *st, size_t max, char ***txids,
			   size_t *n, struct gw_err *err)
{
	*txids = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->recent(st->be, max, txids, n, err);
}

int
gw_store_pending(struct gw_store *st, size_t max, char ***txids, size_t *n,
		 struct gw_err *err)
{
	*txids = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->pending(st->be, max, txids, n, err);
}

void
gw_store_txids_free(char **txids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(txids[i]);
	free(txids);
}

/* Bounds of one converted submission. */
static int
check_outbatch(const struct gw_store_outbatch *b, long lifetime_s,
	       struct gw_err *err)
{
	int rc;

	if ((rc = check_str(b->txid, "txid", 1, err)) < 0)
		return rc;
	if (b->nmsgs > GW_STORE_RCPTS_MAX || b->nfails > GW_STORE_RCPTS_MAX ||
	    lifetime_s <= 0)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: bad outbound counts or lifetime");
	for (size_t i = 0; i < b->nmsgs; i++) {
		const struct gw_store_outmsg *m = &b->msgs[i];

		if ((rc = check_str(m->domain, "domain", 1, err)) < 0 ||
		    (rc = check_str(m->message_id, "message id", 1, err)) < 0 ||
		    (rc = check_str(m->mail_from, "mail from", 1, err)) < 0)
			return rc;
		if (m->file == NULL || !gw_spool_file_finished(m->file) ||
		    m->nrcpts == 0 || m->nrcpts > GW_STORE_RCPTS_MAX)
			return gw_err_set(err, GW_ERROR, "5.3.0",
					  "store: message %zu has no finished "
					  "file or no recipient",
					  i);
		for (size_t j = 0; j < m->nrcpts; j++)
			if ((rc = check_str(m->rcpts[j], "recipient", 1, err)) <
			    0)
				return rc;
	}
	for (size_t i = 0; i < b->nfails; i++)
		if ((rc = check_str(b->fails[i].address, "recipient", 1, err)) <
			0 ||
		    (rc = check_str(b->fails[i].reason, "reason", 1, err)) < 0)
			return rc;
	return 0;
}

int
gw_store_outbound_queue_many(struct gw_store *st,
			     struct gw_store_outbatch *items, size_t n,
			     long long now, long lifetime_s, struct gw_err *err)
{
	struct gw_store_outbatch **ok = gw_xcalloc(n + 1, sizeof(*ok));
	size_t nok = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		items[i].rc =
		    check_outbatch(&items[i], lifetime_s, &items[i].err);
		if (items[i].rc == 0)
			ok[nok++] = &items[i];
	}
	if (nok > 0)
		st->ops->outbound_queue(st->be, ok, nok, now, lifetime_s);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (items[i].rc < 0) {
			rc = items[i].rc;
			if (err != NULL)
				*err = items[i].err;
		}
	free(ok);
	return rc;
}

int
gw_store_outbound_queue(struct gw_store *st, const char *txid,
			const struct gw_store_outmsg *msgs, size_t nmsgs,
			const struct gw_store_rcpt_fail *fails, size_t nfails,
			long long now, long lifetime_s, struct gw_err *err)
{
	struct gw_store_outbatch b = {.txid = txid,
				      .msgs = msgs,
				      .nmsgs = nmsgs,
				      .fails = fails,
				      .nfails = nfails};

	return gw_store_outbound_queue_many(st, &b, 1, now, lifetime_s, err);
}

int
gw_store_jobs_claim(struct gw_store *st, long long now, long lease_s,
		    size_t max, struct gw_store_job **jobs, size_t *n,
		    struct gw_err *err)
{
	*jobs = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->jobs_claim(st->be, now, lease_s, max, jobs, n, err);
}

int
gw_store_job_result(struct gw_store *st, const struct gw_store_job *job,
		    const struct gw_store_rcpt_result *res, size_t n,
		    long long next_at, const char *error, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(error, "error", 0, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_str(res[i].address, "recipient", 1, err)) < 0 ||
		    (rc = check_str(res[i].reason, "reason", 0, err)) < 0)
			return rc;
		if (res[i].outcome != GW_RCPT_SENT &&
		    res[i].outcome != GW_RCPT_DEFERRED &&
		    res[i].outcome != GW_RCPT_FAILED)
			return gw_err_set(err, GW_ERROR, "5.3.0",
					  "store: bad outcome %d",
					  (int)res[i].outcome);
	}
	return st->ops->job_result(st->be, job, res, n, next_at, error, err);
}

void
gw_store_jobs_free(struct gw_store_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gw_store_job *j = &jobs[i];

		free(j->txid);
		free(j->domain);
		free(j->message_id);
		free(j->mail_from);
		free(j->path);
		for (size_t k = 0; k < j->nrcpts; k++)
			free(j->rcpts[k]);
		free(j->rcpts);
	}
	free(jobs);
}

int
gw_store_leases_reset(struct gw_store *st, long long now, struct gw_err *err)
{
	return st->ops->leases_reset(st->be, now, err);
}

/* --- address book ----------------------------------------------------- */

int
gw_store_addr_key(const char *in, char *out, size_t outlen, struct gw_err *err)
{
	size_t n;

	if (in == NULL || outlen < GW_ADDR_MAX)
		return gw_err_set(err, GW_EPARSE, "5.1.3", "no address");
	if (in[0] != '@')
		return gw_addr_normalize(in, out, outlen, err);
	n = strlen(in);
	if (n >= outlen || !gw_addr_domain_ok(in + 1))
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "not a Direct address or @domain: '%.100s'",
				  in);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	return 0;
}

/* 127.0.0.0/8, ::1 and localhost: where plain HTTP stays on this host. */
static bool
host_is_loopback(const char *h, size_t n)
{
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	       (n == 3 && strncmp(h, "::1", 3) == 0) ||
	       (n > 4 && strncmp(h, "127.", 4) == 0 &&
		strspn(h, "0123456789.") == n);
}

int
gw_store_addr_url_check(const char *url, struct gw_err *err)
{
	const char *h, *e;
	size_t hl;
	bool https;

	if (url == NULL)
		return gw_err_set(err, GW_EPARSE, "5.1.3", "no endpoint URL");
	https = strncasecmp(url, "https://", 8) == 0;
	if (!https && strncasecmp(url, "http://", 7) != 0)
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "endpoint '%.100s' is not an http:// or "
				  "https:// URL",
				  url);
	h = url + (https ? 8 : 7);
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "endpoint '%.100s': no user info in URLs",
				  url);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return gw_err_set(err, GW_EPARSE, "5.1.3",
					  "endpoint URL with a blank or "
					  "non-ASCII character");
	if (*h == '[') {
		const char *c = memchr(h, ']', (size_t)(e - h));

		if (c == NULL)
			return gw_err_set(err, GW_EPARSE, "5.1.3",
					  "endpoint '%.100s': bad host", url);
		hl = (size_t)(c - h - 1);
		h++;
	} else {
		const char *c = memchr(h, ':', (size_t)(e - h));

		hl = (size_t)((c != NULL ? c : e) - h);
	}
	if (hl == 0)
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "endpoint '%.100s' has no host", url);
	if (!https && !host_is_loopback(h, hl))
		return gw_err_set(err, GW_EPARSE, "5.7.10",
				  "endpoint '%.100s': plain http:// only to a "
				  "loopback host; use https://",
				  url);
	return 0;
}

static int
check_path(const char *p, const char *what, struct gw_err *err)
{
	int rc = check_str(p, what, 0, err);

	if (rc == 0 && p != NULL && p[0] == '\0')
		rc = gw_err_set(err, GW_EPARSE, "5.5.2", "store: empty %s",
				what);
	return rc;
}

int
gw_store_addr_put(struct gw_store *st, const char *address, const char *url,
		  const char *cert, const char *ca, struct gw_err *err)
{
	char key[GW_ADDR_MAX];
	struct gw_store_address a = {0};
	int rc;

	if ((rc = gw_store_addr_key(address, key, sizeof(key), err)) < 0 ||
	    (rc = gw_store_addr_url_check(url, err)) < 0 ||
	    (rc = check_str(url, "url", 1, err)) < 0 ||
	    (rc = check_path(cert, "cert", err)) < 0 ||
	    (rc = check_path(ca, "ca", err)) < 0)
		return rc;
	a.address = key;
	a.url = (char *)url;
	a.cert = (char *)cert;
	a.ca = (char *)ca;
	a.active = true;
	return st->ops->addr_put(st->be, &a, err);
}

int
gw_store_addr_deactivate(struct gw_store *st, const char *address,
			 struct gw_err *err)
{
	char key[GW_ADDR_MAX];
	int rc;

	if ((rc = gw_store_addr_key(address, key, sizeof(key), err)) < 0)
		return rc;
	return st->ops->addr_deactivate(st->be, key, err);
}

int
gw_store_addr_list(struct gw_store *st, struct gw_store_address **out,
		   size_t *n, struct gw_err *err)
{
	*out = NULL;
	*n = 0;
	return st->ops->addr_list(st->be, out, n, err);
}

int
gw_store_addr_lookup(struct gw_store *st, const char *address,
		     struct gw_store_address **out, struct gw_err *err)
{
	char key[GW_ADDR_MAX];
	int rc;

	*out = NULL;
	if (address != NULL && address[0] == '@')
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "lookup of a domain key '%.100s'", address);
	if ((rc = gw_store_addr_key(address, key, sizeof(key), err)) < 0)
		return rc;
	return st->ops->addr_lookup(st->be, key, out, err);
}

void
gw_store_addresses_free(struct gw_store_address *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].address);
		free(v[i].url);
		free(v[i].cert);
		free(v[i].ca);
		free(v[i].created_at);
		free(v[i].updated_at);
	}
	free(v);
}

/* --- inbound leg ------------------------------------------------------ */

/* A string that must be there but may be empty (mail_from "" for <>). */
static int
check_str0(const char *s, const char *what, struct gw_err *err)
{
	if (s == NULL)
		return gw_err_set(err, GW_ERROR, "5.5.2", "store: no %s", what);
	return check_str(s, what, 0, err);
}

static int
check_file(const struct gw_spool_file *f, const char *what, struct gw_err *err)
{
	if (f == NULL || !gw_spool_file_finished(f))
		return gw_err_set(err, GW_ERROR, "5.3.0",
				  "store: %s is not a finished file", what);
	return 0;
}

static int
check_inmsg(const struct gw_store_inmsg *m, long lifetime_s, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(m->session, "session", 1, err)) < 0 ||
	    (rc = check_str(m->peer, "peer", 1, err)) < 0 ||
	    (rc = check_str0(m->mail_from, "mail from", err)) < 0 ||
	    (rc = check_str(m->sender, "sender", 1, err)) < 0 ||
	    (rc = check_str(m->message_id, "message id", 0, err)) < 0 ||
	    (rc = check_str(m->subject, "subject", 0, err)) < 0 ||
	    (rc = check_str(m->kind, "kind", 1, err)) < 0 ||
	    (rc = check_str(m->signers, "signers", 0, err)) < 0 ||
	    (rc = check_file(m->file, "the message", err)) < 0 ||
	    (m->audit != NULL && (rc = check_audit(m->audit, err)) < 0))
		return rc;
	if (strcmp(m->kind, "message") != 0 && strcmp(m->kind, "mdn") != 0 &&
	    strcmp(m->kind, "dsn") != 0)
		return gw_err_set(err, GW_ERROR, "5.5.2",
				  "store: unknown inbound kind '%.40s'",
				  m->kind);
	if (m->nrcpts == 0 || m->rcpts == NULL)
		return gw_err_set(err, GW_ERROR, "5.5.2",
				  "store: inbound message without recipients");
	if (m->nrcpts > GW_STORE_RCPTS_MAX || lifetime_s <= 0)
		return gw_err_set(err, GW_ELIMIT, "5.5.3",
				  "store: %zu recipients or lifetime %ld out "
				  "of bounds",
				  m->nrcpts, lifetime_s);
	for (size_t i = 0; i < m->nrcpts; i++)
		if ((rc = check_str(m->rcpts[i], "recipient", 1, err)) < 0)
			return rc;
	return 0;
}

int
gw_store_inbound_accept(struct gw_store *st, const struct gw_store_inmsg *m,
			long long now, long lifetime_s,
			char txid_out[GW_STORE_TXID_LEN], struct gw_err *err)
{
	int rc;

	txid_out[0] = '\0';
	if ((rc = check_inmsg(m, lifetime_s, err)) < 0)
		return rc;
	return st->ops->in_accept(st->be, m, now, lifetime_s, txid_out, err);
}

int
gw_store_inbound_claim(struct gw_store *st, long long now, long lease_s,
		       size_t max, struct gw_store_injob **jobs, size_t *n,
		       struct gw_err *err)
{
	*jobs = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->in_claim(st->be, now, lease_s, max, jobs, n, err);
}

int
gw_store_inbound_get(struct gw_store *st, const char *txid,
		     struct gw_store_injob **out, struct gw_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = check_str(txid, "txid", 1, err)) < 0)
		return rc;
	return st->ops->in_get(st->be, txid, out, err);
}

int
gw_store_inbound_list(struct gw_store *st, size_t max,
		      struct gw_store_injob **jobs, size_t *n,
		      struct gw_err *err)
{
	*jobs = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->in_list(st->be, max, jobs, n, err);
}

void
gw_store_injobs_free(struct gw_store_injob *jobs, size_t n)
{
	if (jobs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct gw_store_injob *j = &jobs[i];

		free(j->txid);
		free(j->kind);
		free(j->state);
		free(j->session);
		free(j->peer);
		free(j->mail_from);
		free(j->sender);
		free(j->message_id);
		free(j->subject);
		free(j->path);
		free(j->last_error);
		for (size_t k = 0; k < j->nrcpts; k++) {
			free(j->rcpts[k].address);
			free(j->rcpts[k].state);
			free(j->rcpts[k].reason);
		}
		free(j->rcpts);
	}
	free(jobs);
}

/*
 * A processed MDN and a final one for every recipient may go out in
 * one attempt.
 */
#define NOTES_MAX (2 * GW_STORE_RCPTS_MAX)

static int
check_notes(const struct gw_store_notice *notes, size_t nnotes, long lifetime_s,
	    struct gw_err *err)
{
	int rc;

	if (nnotes > NOTES_MAX || (nnotes > 0 && lifetime_s <= 0))
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: %zu notices or lifetime %ld out of "
				  "bounds",
				  nnotes, lifetime_s);
	for (size_t i = 0; i < nnotes; i++) {
		const struct gw_store_notice *o = &notes[i];

		if ((rc = check_str(o->domain, "domain", 1, err)) < 0 ||
		    (rc = check_str(o->message_id, "message id", 1, err)) < 0 ||
		    (rc = check_str0(o->mail_from, "mail from", err)) < 0 ||
		    (rc = check_str(o->rcpt, "recipient", 1, err)) < 0 ||
		    (rc = check_file(o->file, "a notice", err)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (notes[j].file == o->file)
				return gw_err_set(
				    err, GW_ERROR, "5.3.0",
				    "store: notice %zu repeats a file", i);
	}
	return 0;
}

int
gw_store_inbound_result(struct gw_store *st, const struct gw_store_injob *job,
			bool processed_sent,
			const struct gw_store_inresult *res, size_t nres,
			const struct gw_store_notice *notes, size_t nnotes,
			long long now, long lifetime_s, long long next_at,
			const char *error, struct gw_err *err)
{
	int rc;

	if (job == NULL)
		return gw_err_set(err, GW_ERROR, "5.5.2", "store: no job");
	if ((rc = check_str(job->txid, "txid", 1, err)) < 0 ||
	    (rc = check_str(error, "error", 0, err)) < 0 ||
	    (rc = check_notes(notes, nnotes, lifetime_s, err)) < 0)
		return rc;
	if (nres > GW_STORE_RCPTS_MAX)
		return gw_err_set(err, GW_ELIMIT, "5.5.3",
				  "store: %zu results over the limit", nres);
	for (size_t i = 0; i < nres; i++) {
		if ((rc = check_str(res[i].address, "recipient", 1, err)) < 0 ||
		    (rc = check_str(res[i].reason, "reason", 0, err)) < 0)
			return rc;
		if (res[i].outcome != GW_IN_QUEUED &&
		    res[i].outcome != GW_IN_DELIVERED &&
		    res[i].outcome != GW_IN_FAILED)
			return gw_err_set(err, GW_ERROR, "5.3.0",
					  "store: bad outcome %d",
					  (int)res[i].outcome);
	}
	return st->ops->in_result(st->be, job, processed_sent, res, nres, notes,
				  nnotes, now, lifetime_s, next_at, error, err);
}

/* --- delivery tracking ------------------------------------------------ */

static const char *const track_states[] = {"queued",     "sent",   "processed",
					   "dispatched", "failed", "timed-out"};

/* One of the tracking states (store.h). */
static int
check_state(const char *s, const char *what, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(s, what, 1, err)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(track_states) / sizeof(track_states[0]);
	     i++)
		if (strcmp(s, track_states[i]) == 0)
			return 0;
	return gw_err_set(err, GW_ERROR, "5.5.2", "store: unknown %s '%.40s'",
			  what, s);
}

int
gw_store_track_find(struct gw_store *st, const char *message_id,
		    const char *address, struct gw_store_trackrow **out,
		    struct gw_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = check_str(message_id, "message id", 1, err)) < 0 ||
	    (rc = check_str(address, "recipient", 1, err)) < 0)
		return rc;
	return st->ops->tr_find(st->be, message_id, address, out, err);
}

int
gw_store_track_list(struct gw_store *st, const char *txid,
		    struct gw_store_trackrow **rows, size_t *n,
		    struct gw_err *err)
{
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rc = check_str(txid, "txid", 1, err)) < 0)
		return rc;
	return st->ops->tr_list(st->be, txid, rows, n, err);
}

void
gw_store_trackrows_free(struct gw_store_trackrow *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct gw_store_trackrow *r = &rows[i];

		free(r->txid);
		free(r->address);
		free(r->state);
		free(r->reason);
		free(r->message_id);
		free(r->sender);
		free(r->wsa_message_id);
		free(r->ehr_state);
		free(r->received_at);
	}
	free(rows);
}

int
gw_store_track_set(struct gw_store *st, const struct gw_store_trackset *t,
		   long long now, struct gw_err *err)
{
	int rc;

	if (t == NULL)
		return gw_err_set(err, GW_ERROR, "5.5.2",
				  "store: no tracking step");
	if ((rc = check_str(t->txid, "txid", 1, err)) < 0 ||
	    (rc = check_str(t->address, "recipient", 1, err)) < 0 ||
	    (rc = check_state(t->expect, "expected state", err)) < 0 ||
	    (rc = check_state(t->state, "state", err)) < 0 ||
	    (rc = check_str(t->reason, "reason", 0, err)) < 0 ||
	    (rc = check_str(t->event, "event", 1, err)) < 0 ||
	    (rc = check_str(t->detail, "detail", 0, err)) < 0 ||
	    (rc = check_str(t->notice_txid, "notice txid", 0, err)) < 0)
		return rc;
	if (t->notice_txid != NULL && t->notice_txid[0] == '\0')
		return gw_err_set(err, GW_ERROR, "5.5.2",
				  "store: empty notice txid");
	return st->ops->tr_set(st->be, t, now, err);
}

int
gw_store_track_history(struct gw_store *st, const char *txid,
		       const char *address, struct gw_store_event **ev,
		       size_t *n, struct gw_err *err)
{
	int rc;

	*ev = NULL;
	*n = 0;
	if ((rc = check_str(txid, "txid", 1, err)) < 0 ||
	    (rc = check_str(address, "recipient", 1, err)) < 0)
		return rc;
	return st->ops->tr_history(st->be, txid, address, ev, n, err);
}

void
gw_store_events_free(struct gw_store_event *ev, size_t n)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(ev[i].event);
		free(ev[i].detail);
	}
	free(ev);
}

int
gw_store_track_overdue(struct gw_store *st, long long sent_before, size_t max,
		       struct gw_store_trackrow **rows, size_t *n,
		       struct gw_err *err)
{
	*rows = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->tr_overdue(st->be, sent_before, max, rows, n, err);
}

int
gw_store_notices_untracked(struct gw_store *st, size_t max,
			   struct gw_store_injob **rows, size_t *n,
			   struct gw_err *err)
{
	*rows = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->notices_untracked(st->be, max, rows, n, err);
}

int
gw_store_notice_tracked(struct gw_store *st, const char *notice_txid,
			const char *outcome, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(notice_txid, "notice txid", 1, err)) < 0 ||
	    (rc = check_str(outcome, "outcome", 1, err)) < 0)
		return rc;
	return st->ops->notice_tracked(st->be, notice_txid, outcome, err);
}

int
gw_store_ehr_claim(struct gw_store *st, long long now, long lease_s, size_t max,
		   struct gw_store_trackrow **rows, size_t *n,
		   struct gw_err *err)
{
	*rows = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if (lease_s <= 0)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: lease %ld out of bounds", lease_s);
	return st->ops->ehr_claim(st->be, now, lease_s, max, rows, n, err);
}

int
gw_store_ehr_result(struct gw_store *st, const char *txid, const char *address,
		    const char *ehr_state, long long next_at,
		    const char *detail, struct gw_err *err)
{
	int rc;

	if ((rc = check_str(txid, "txid", 1, err)) < 0 ||
	    (rc = check_str(address, "recipient", 1, err)) < 0 ||
	    (rc = check_str(ehr_state, "disposition state", 1, err)) < 0 ||
	    (rc = check_str(detail, "detail", 0, err)) < 0)
		return rc;
	if (strcmp(ehr_state, "owed") != 0 && strcmp(ehr_state, "sent") != 0 &&
	    strcmp(ehr_state, "failed") != 0)
		return gw_err_set(err, GW_ERROR, "5.5.2",
				  "store: unknown disposition state '%.40s'",
				  ehr_state);
	return st->ops->ehr_result(st->be, txid, address, ehr_state, next_at,
				   detail, err);
}

/* --- status reads (version 6) ---------------------------------------- */

int
gw_store_message_lookup(struct gw_store *st, const char *id, size_t max,
			struct gw_store_match **out, size_t *n,
			struct gw_err *err)
{
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = check_str(id, "id", 1, err)) < 0)
		return rc;
	if (max == 0)
		return 0;
	return st->ops->lookup(st->be, id, max, out, n, err);
}

int
gw_store_track_query(struct gw_store *st, const struct gw_store_trackq *q,
		     struct gw_store_trackrow **rows, size_t *n,
		     struct gw_err *err)
{
	int rc;

	*rows = NULL;
	*n = 0;
	if (q->max == 0 || q->max > GW_STORE_QUERY_MAX)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "store: query limit %zu not in 1..%d", q->max,
				  GW_STORE_QUERY_MAX);
	if ((q->state != NULL &&
	     (rc = check_state(q->state, "state", err)) < 0) ||
	    (rc = check_str(q->address, "address", 0, err)) < 0)
		return rc;
	return st->ops->tr_query(st->be, q, rows, n, err);
}

int
gw_store_track_events(struct gw_store *st, long long after_id, size_t max,
		      struct gw_store_histrow **rows, size_t *n,
		      struct gw_err *err)
{
	*rows = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	return st->ops->tr_events(st->be, after_id, max, rows, n, err);
}

void
gw_store_histrows_free(struct gw_store_histrow *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].event);
	free(rows);
}

static void
counts_free(struct gw_store_count *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

int
gw_store_metrics_read(struct gw_store *st, size_t max_reasons,
		      struct gw_store_metrics *m, struct gw_err *err)
{
	memset(m, 0, sizeof(*m));
	return st->ops->metrics(st->be, max_reasons, m, err);
}

void
gw_store_metrics_dispose(struct gw_store_metrics *m)
{
	counts_free(m->rcpt_states, m->nrcpt_states);
	counts_free(m->in_states, m->nin_states);
	counts_free(m->failed, m->nfailed);
	memset(m, 0, sizeof(*m));
}

int
gw_store_ping(struct gw_store *st, struct gw_err *err)
{
	return st->ops->ping(st->be, err);
}
