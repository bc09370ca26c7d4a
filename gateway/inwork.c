/*
 * NAME
 *	inwork - one attempt at a kept inbound message: MDNs, EHR delivery
 * SUMMARY
 *	gw_inbound_process() takes a claimed message through the steps of
 *	inbound.h and records what happened in one store transaction: the
 *	MDNs built (as notification jobs of the outbound queue), the
 *	recipients' new states, and the next attempt if anything is left.
 * DESCRIPTION
 *	Recipients are grouped by delivery target (same URL and TLS
 *	settings): one conversion and one request (per submission) serves
 *	the group, as the RI's XD gateway does. A temporary failure (no
 *	connection, 5xx, a Receiver fault) keeps the group queued until
 *	ehr_lifetime has passed since the message came in; a permanent one
 *	(RegistryResponse Failure, Sender fault, 4xx, metadata the
 *	conversion refuses, no active target) fails it at once. MDNs are
 *	built only when they can be sealed; a certificate lookup that may
 *	pass later is tried again on the next attempt, one that cannot
 *	(no certificate for the sender) is given up and logged.
 * STANDARDS
 *	SPEC.md 2.4 (who sends what), 3.4 and 9.2; RFC 8098; ITI-41.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cda.h"
#include "cdaval.h"
#include "deliver.h"
#include "id.h"
#include "inbound_int.h"
#include "log.h"
#include "mdn.h"
#include "mem.h"
#include "mime.h"
#include "route.h"
#include "spool.h"
#include "xdmin.h"
#include "xdrcli.h"

#define REASON_LEN 400
#define PARTS_MAX  1000
#define MDN_MAX    (1024 * 1024)
#define UA_PRODUCT "dxgw 0.1"
#define CDA_KEEP   16 /* findings kept per validated document */
#define CDA_FIRST  2  /* errors quoted in a failure reason */

struct work {
	struct gw_inbound *ib;
	const struct gw_store_injob *j;
	long long now;
	bool expired;
	char *msg; /* the inner message */
	size_t len;
	struct gw_mime_part *parts;
	size_t nparts;
	bool parsed;
	struct gw_store_inresult *res; /* one per recipient, j's order */
	char (*why)[REASON_LEN];
	struct gw_store_notice *notes;
	char (*note_ids)[GW_MDN_MSGID_LEN];
	size_t nnotes, maxnotes;
	bool processed;
	char error[REASON_LEN]; /* why something is left for later */
};

/* Remember why something is left for the next attempt. */
static void
note_later(struct work *w, const char *what, const char *why)
{
	snprintf(w->error, sizeof(w->error), "%s: %s", what, why);
}

/*
 * Build and seal one MDN from rcpt (our user) to the sender; added to
 * w->notes. GW_ETEMP when it may be possible later.
 */
static int
mdn_to_sender(struct work *w, const char *rcpt, enum gw_mdn_disposition d,
	      const char *reason, bool dsn, struct gw_err *err)
{
	const struct gw_store_injob *j = w->j;
	char ua[300];
	struct gw_mdn m = {
	    .disposition = d,
	    .from = rcpt,
	    .to = j->sender,
	    .orig_msgid = j->message_id,
	    .orig_subject = j->subject,
	    .reporting_ua = ua,
	    .reason = reason,
	    .date = time(NULL),
	    .dsn = dsn,
	};
	struct gw_store_notice *n;
	struct gw_buf signable, outer;
	struct gw_spool_file *f = NULL;
	int rc;

	if (j->message_id == NULL)
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "no Message-ID to answer");
	snprintf(ua, sizeof(ua), "%s; %s", w->ib->cfg->hostname, UA_PRODUCT);
	gw_buf_init(&signable, MDN_MAX);
	gw_buf_init(&outer, 64 * 1024);
	if (w->nnotes == w->maxnotes) {
		w->maxnotes = w->maxnotes * 2 + 4;
		w->notes =
		    gw_xrealloc(w->notes, w->maxnotes * sizeof(*w->notes));
		w->note_ids = gw_xrealloc(w->note_ids,
					  w->maxnotes * sizeof(*w->note_ids));
	}
	n = &w->notes[w->nnotes];
	if ((rc = gw_mdn_build(&m, &signable, &outer, w->note_ids[w->nnotes],
			       err)) < 0 ||
	    (rc = gw_outbound_seal(w->ib->ob, rcpt, j->sender, &outer,
				   &signable, &f, err)) < 0)
		goto out;
	memset(n, 0, sizeof(*n));
	n->domain = gw_addr_domain(j->sender);
	n->message_id = w->note_ids[w->nnotes];
	n->mail_from = ""; /* RFC 8098 2.1: MDNs go with a null path */
	n->rcpt = j->sender;
	n->file = f;
	w->nnotes++;
	rc = 0;
out:
	gw_buf_dispose(&signable);
	gw_buf_dispose(&outer);
	return rc;
}

static const char *const disp_name[] = {"processed", "dispatched", "failed",
					"other"};

/*
 * MDN or give up: true when the MDN is queued or can never be sent,
 * false when it should be tried again later.
 */
static bool
mdn_or_give_up(struct work *w, const char *rcpt, enum gw_mdn_disposition d,
	       const char *reason, bool dsn)
{
	struct gw_err e;

	if (mdn_to_sender(w, rcpt, d, reason, dsn, &e) == 0)
		return true;
	if (e.code == GW_ETEMP && !w->expired) {
		note_later(w, disp_name[d], e.msg);
		return false;
	}
	gw_log_warn(w->j->txid, "no %s MDN for %s to %s: %s", disp_name[d],
		    rcpt, w->j->sender, e.msg);
	return true;
}

/* Step 1: a processed MDN per recipient, all or (for now) none. */
static void
processed_mdns(struct work *w)
{
	size_t first = w->nnotes;
	bool all = true;

	for (size_t i = 0; i < w->j->nrcpts && all; i++)
		all = mdn_or_give_up(w, w->j->rcpts[i].address,
				     GW_MDN_PROCESSED, NULL, false);
	if (all) {
		w->processed = true;
		return;
	}
	/* Keep them in order: none now rather than some before others. */
	for (size_t i = first; i < w->nnotes; i++)
		gw_spool_file_discard(w->notes[i].file);
	w->nnotes = first;
}

/* A wsa:MessageID that is the same on every attempt of this request. */
static void
request_id(const char *txid, const char *url, size_t k, char out[64])
{
	char name[2200], u[GW_ID_UUID_LEN];

	snprintf(name, sizeof(name), "%s\n%s\n%zu", txid, url, k);
	gw_id_uuid_name(name, u);
	snprintf(out, 64, "urn:uuid:%s", u);
}

static void
set_result(struct work *w, size_t i, enum gw_in_outcome o, const char *why)
{
	w->res[i].outcome = o;
	snprintf(w->why[i], REASON_LEN, "%s", why != NULL ? why : "");
	w->res[i].reason = w->why[i][0] != '\0' ? w->why[i] : NULL;
}

/* One delivery target and the queued recipients it serves. */
struct target {
	struct gw_store_address *a;
	enum gw_route_cda cda; /* the recipients' C-CDA validation policy */
	size_t *idx;           /* into j->rcpts */
	const char **rcpts;
	size_t n;
};

static int
parse_parts(struct work *w, struct gw_err *err)
{
	if (w->parsed)
		return 0;
	if (gw_mime_parts(w->msg, w->len, PARTS_MAX, w->len + 1, &w->parts,
			  &w->nparts, err) < 0)
		return err->code;
	w->parsed = true;
	return 0;
}

/* POST every submission of xr to t; the class of the first non-OK. */
static enum gw_xdrcli_class
post_all(struct work *w, const struct target *t,
	 const struct gw_xdmin_result *xr, char *why, size_t wlen)
{
	const struct gw_store_injob *j = w->j;

	for (size_t k = 0; k < xr->nsubs; k++) {
		const struct gw_xdmin_sub *s = &xr->subs[k];
		struct gw_xdrcli_doc *d = gw_xcalloc(s->ndocs + 1, sizeof(*d));
		struct gw_xdrcli_req rq = {0};
		struct gw_xdrcli_result rs = {0};
		enum gw_xdrcli_class cls;
		struct gw_err e;
		char id[64];

		for (size_t i = 0; i < s->ndocs; i++) {
			d[i].id = s->docs[i].id;
			d[i].mime_type = s->docs[i].mime_type;
			d[i].data = s->docs[i].data;
			d[i].len = s->docs[i].len;
		}
		request_id(j->txid, t->a->url, k, id);
		rq.endpoint = t->a->url;
		rq.message_id = id;
		rq.from = j->sender;
		rq.to = t->rcpts;
		rq.nto = t->n;
		rq.final_delivery = j->wants_final;
		rq.metadata_level = s->limited ? "minimal" : "XDS";
		rq.metadata = s->metadata;
		rq.metadata_len = s->metadata_len;
		rq.docs = d;
		rq.ndocs = s->ndocs;
		rq.tls_cert = t->a->cert;
		rq.tls_ca = t->a->ca;
		rq.timeout = (int)w->ib->cfg->ehr_timeout;
		(void)gw_xdrcli_send(&rq, &rs, &e);
		cls = rs.cls;
		gw_log_info(j->txid, "ehr %s submission %zu/%zu: %s%s%s",
			    t->a->url, k + 1, xr->nsubs,
			    gw_xdrcli_class_name(cls), rs.reason ? ": " : "",
			    rs.reason ? rs.reason : "");
		if (cls != GW_XDRCLI_OK)
			snprintf(why, wlen, "%s",
				 rs.reason ? rs.reason : "EHR refused it");
		gw_xdrcli_result_dispose(&rs);
		free(d);
		if (cls != GW_XDRCLI_OK)
			return cls;
	}
	return GW_XDRCLI_OK;
}

/* An audit row for C-CDA findings: counts and ids, never document text. */
static void
cda_audit(struct work *w, const char *outcome, const char *detail)
{
	struct gw_audit_event ev = {
	    .txid = w->j->txid,
	    .event = "inbound.cda",
	    .client = w->j->sender,
	    .message_id = w->j->message_id,
	    .outcome = outcome,
	    .detail = detail,
	};
	struct gw_err e;

	if (gw_store_audit_add(w->ib->st, &ev, &e) != 0)
		gw_log_err(w->j->txid, "audit write failed: %s", e.msg);
}

/*
 * Validate one document of a conversion under policy p. OK to post it,
 * PERM (reject: why says so, with the first errors) or TEMP (the
 * validator itself failed; retried like an EHR that is down).
 */
static enum gw_xdrcli_class
cda_document(struct work *w, enum gw_route_cda p, const struct gw_xdmin_doc *d,
	     char *why, size_t wlen)
{
	struct gw_cdaval_report r;
	enum gw_xdrcli_class cls = GW_XDRCLI_OK;
	char brief[300], full[REASON_LEN];
	struct gw_err e;

	if (!gw_cda_sniff(d->data, d->len))
		return GW_XDRCLI_OK;
	if (gw_cdaval_check(w->ib->cdaval, d->data, d->len, 0, CDA_KEEP, &r,
			    &e) != 0) {
		gw_log_err(w->j->txid, "cda document=%s: %s", d->id, e.msg);
		if (p == GW_ROUTE_CDA_REJECT) {
			snprintf(why, wlen, "4.3.0 C-CDA validation: %s",
				 e.msg);
			cls = GW_XDRCLI_TEMP;
		}
		goto out;
	}
	if (gw_cdaval_errors(&r) == 0)
		goto out;
	gw_cdaval_summary(&r, CDA_FIRST, false, brief, sizeof(brief));
	gw_log_notice(w->j->txid, "cda %s document=%s: %s",
		      gw_route_cda_name(p), d->id, brief);
	snprintf(full, sizeof(full), "document %.64s: %s", d->id, brief);
	cda_audit(w, p == GW_ROUTE_CDA_REJECT ? "failure" : "warning", full);
	if (p == GW_ROUTE_CDA_REJECT) {
		gw_cdaval_summary(&r, CDA_FIRST, true, full, sizeof(full));
		snprintf(why, wlen,
			 "5.6.0 C-CDA validation failed for document %.64s: "
			 "%.280s",
			 d->id, full);
		cls = GW_XDRCLI_PERM;
	}
out:
	gw_cdaval_report_dispose(&r);
	return cls;
}

/*
 * Issue 6 item 4, inbound: the C-CDA documents of a conversion under the
 * target's policy, before anything is posted to the EHR.
 */
static enum gw_xdrcli_class
cda_gate(struct work *w, const struct target *t,
	 const struct gw_xdmin_result *xr, char *why, size_t wlen)
{
	if (t->cda == GW_ROUTE_CDA_OFF || w->ib->cdaval == NULL)
		return GW_XDRCLI_OK;
	for (size_t k = 0; k < xr->nsubs; k++)
		for (size_t i = 0; i < xr->subs[k].ndocs; i++) {
			enum gw_xdrcli_class c = cda_document(
			    w, t->cda, &xr->subs[k].docs[i], why, wlen);

			if (c != GW_XDRCLI_OK)
				return c;
		}
	return GW_XDRCLI_OK;
}

/* Step 2 for one target: convert for its recipients and POST. */
static void
deliver_target(struct work *w, const struct target *t)
{
	struct gw_xdmin_part *xp = NULL;
	struct gw_xdmin_result xr = {0};
	const struct gw_config *cfg = w->ib->cfg;
	const struct gw_cda_defaults cda = {
	    .facility_type = cfg->cda_facility_type_code,
	    .facility_source = "config cda_facility_type_code",
	    .practice_setting = cfg->cda_practice_setting_code,
	    .practice_source = "config cda_practice_setting_code",
	};
	struct gw_xdmin_config xc = {.source_id = w->ib->source_id,
				     .cda = &cda};
	struct gw_xdmin_msg xm = {0};
	enum gw_xdrcli_class cls;
	char why[REASON_LEN] = "";
	struct gw_err e;

	if (parse_parts(w, &e) != 0) {
		snprintf(why, sizeof(why), "5.6.0 unreadable message: %s",
			 e.msg);
		cls = GW_XDRCLI_PERM;
		goto done;
	}
	xp = gw_xcalloc(w->nparts + 1, sizeof(*xp));
	for (size_t i = 0; i < w->nparts; i++) {
		xp[i].content_type = w->parts[i].content_type;
		xp[i].filename = w->parts[i].filename;
		xp[i].data = (const char *)w->parts[i].data;
		xp[i].len = w->parts[i].len;
	}
	xm.parts = xp;
	xm.nparts = w->nparts;
	xm.sender = w->j->sender;
	xm.recipients = t->rcpts;
	xm.nrecipients = t->n;
	xm.subject = w->j->subject;
	if (gw_xdmin_convert(&xm, &xc, &xr, &e) < 0) {
		snprintf(why, sizeof(why), "5.6.0 cannot convert for XDR: %s",
			 e.msg);
		cls = GW_XDRCLI_PERM;
		goto done;
	}
	cls = cda_gate(w, t, &xr, why, sizeof(why));
	if (cls == GW_XDRCLI_OK)
		cls = post_all(w, t, &xr, why, sizeof(why));
done:
	for (size_t i = 0; i < t->n; i++) {
		size_t r = t->idx[i];

		if (cls == GW_XDRCLI_OK) {
			set_result(w, r, GW_IN_DELIVERED, NULL);
		} else if (cls == GW_XDRCLI_PERM) {
			set_result(w, r, GW_IN_FAILED, why);
		} else if (w->expired) {
			char gave[REASON_LEN];

			snprintf(gave, sizeof(gave),
				 "4.4.7 EHR delivery gave up after %d "
				 "attempts: %.300s",
				 w->j->attempts, why);
			set_result(w, r, GW_IN_FAILED, gave);
		} else {
			note_later(w, t->a->url, why);
		}
	}
	gw_xdmin_result_dispose(&xr);
	free(xp);
}

static bool
same_target(const struct target *t, const struct gw_store_address *b,
	    enum gw_route_cda cda)
{
	const struct gw_store_address *a = t->a;

	return t->cda == cda && strcmp(a->url, b->url) == 0 &&
	       strcmp(a->cert ? a->cert : "", b->cert ? b->cert : "") == 0 &&
	       strcmp(a->ca ? a->ca : "", b->ca ? b->ca : "") == 0;
}

/* Step 2: the queued recipients, grouped by target. */
static void
deliver_all(struct work *w)
{
	const struct gw_store_injob *j = w->j;
	struct target *t = gw_xcalloc(j->nrcpts + 1, sizeof(*t));
	size_t nt = 0;

	for (size_t i = 0; i < j->nrcpts; i++) {
		struct gw_store_address *a = NULL;
		struct target *g = NULL;
		enum gw_route_cda cda;
		struct gw_err e;
		int rc;

		if (strcmp(j->rcpts[i].state, "queued") != 0)
			continue;
		rc = gw_store_addr_lookup(w->ib->st, j->rcpts[i].address, &a,
					  &e);
		if (rc == GW_ENOTFOUND || rc == GW_EPARSE) {
			set_result(w, i, GW_IN_FAILED,
				   "5.1.1 no active delivery target for this "
				   "address");
			continue;
		}
		if (rc < 0) {
			note_later(w, "address book", e.msg);
			continue;
		}
		/* Recipients of one policy share a conversion and a POST. */
		cda = gw_route_cda(w->ib->cfg,
				   gw_addr_domain(j->rcpts[i].address), true);
		for (size_t k = 0; k < nt && g == NULL; k++)
			if (same_target(&t[k], a, cda))
				g = &t[k];
		if (g == NULL) {
			g = &t[nt++];
			g->a = a;
			g->cda = cda;
			g->idx = gw_xcalloc(j->nrcpts, sizeof(*g->idx));
			g->rcpts = gw_xcalloc(j->nrcpts, sizeof(*g->rcpts));
		} else {
			gw_store_addresses_free(a, 1);
		}
		g->idx[g->n] = i;
		g->rcpts[g->n++] = j->rcpts[i].address;
	}
	for (size_t k = 0; k < nt; k++) {
		deliver_target(w, &t[k]);
		gw_store_addresses_free(t[k].a, 1);
		free(t[k].idx);
		free(t[k].rcpts);
	}
	free(t);
}

/* Step 3: the final MDN of every recipient that is final now. */
static void
final_mdns(struct work *w)
{
	const struct gw_store_injob *j = w->j;

	for (size_t i = 0; i < j->nrcpts; i++) {
		const char *st = j->rcpts[i].state;
		enum gw_in_outcome o = w->res[i].outcome;
		const char *reason = w->res[i].reason;

		if (w->res[i].notified)
			continue;
		if (o == GW_IN_QUEUED) {
			/* final since an earlier attempt, MDN still owed */
			if (strcmp(st, "delivered") == 0)
				o = GW_IN_DELIVERED;
			else if (strcmp(st, "failed") == 0)
				o = GW_IN_FAILED, reason = j->rcpts[i].reason;
			else
				continue;
		}
		if (o == GW_IN_DELIVERED && !j->wants_final)
			w->res[i].notified = true; /* processed said it all */
		else if (o == GW_IN_DELIVERED)
			w->res[i].notified =
			    mdn_or_give_up(w, j->rcpts[i].address,
					   GW_MDN_DISPATCHED, NULL, false);
		else /* a failed MDN when the sender asked, else a DSN */
			w->res[i].notified = mdn_or_give_up(
			    w, j->rcpts[i].address, GW_MDN_FAILED, reason,
			    !j->wants_final);
	}
}

static bool
finished(const struct work *w)
{
	if (!w->processed)
		return false;
	for (size_t i = 0; i < w->j->nrcpts; i++) {
		bool queued = w->res[i].outcome == GW_IN_QUEUED &&
			      strcmp(w->j->rcpts[i].state, "queued") == 0;

		if (queued || !w->res[i].notified)
			return false;
	}
	return true;
}

int
gw_inbound_process(struct gw_inbound *ib, const struct gw_store_injob *j,
		   struct gw_err *err)
{
	struct work w = {.ib = ib, .j = j};
	long long next = 0;
	int rc;

	w.now = (long long)time(NULL);
	w.expired = w.now >= j->expires_at;
	w.processed = j->processed_sent;
	w.res = gw_xcalloc(j->nrcpts + 1, sizeof(*w.res));
	w.why = gw_xcalloc(j->nrcpts + 1, sizeof(*w.why));
	for (size_t i = 0; i < j->nrcpts; i++) {
		w.res[i].address = j->rcpts[i].address;
		w.res[i].outcome = GW_IN_QUEUED;
		w.res[i].notified = j->rcpts[i].notified;
	}
	if (!w.processed)
		processed_mdns(&w); /* from the stored header facts */
	rc = gw_spool_file_read(j->path, (size_t)j->size + 1, &w.msg, &w.len,
				err);
	if (rc < 0 && err->code != GW_ETEMP) {
		/* The kept message is gone or damaged: nothing to deliver. */
		for (size_t i = 0; i < j->nrcpts; i++)
			set_result(&w, i, GW_IN_FAILED,
				   "4.3.0 the kept message cannot be read");
		gw_log_err(j->txid, "inbound: %s", err->msg);
	} else if (rc < 0) {
		note_later(&w, "spool", err->msg);
	} else {
		deliver_all(&w);
	}
	if (w.processed)
		final_mdns(&w);
	if (!finished(&w))
		next =
		    w.now + gw_deliver_backoff_jittered(ib->cfg, j->attempts);
	rc = gw_store_inbound_result(
	    ib->st, j, w.processed, w.res, j->nrcpts, w.notes, w.nnotes, w.now,
	    ib->cfg->queue_lifetime, next, w.error[0] ? w.error : NULL, err);
	if (rc == 0 && w.nnotes > 0)
		gw_outbound_wake(ib->ob);
	if (rc == 0 && next != 0)
		gw_log_info(j->txid, "inbound: again in %llds: %s",
			    next - w.now, w.error[0] ? w.error : "MDNs owed");
	for (size_t i = 0; i < w.nnotes; i++)
		gw_spool_file_discard(w.notes[i].file);
	free(w.notes);
	free(w.note_ids);
	gw_mime_parts_free(w.parts, w.nparts);
	if (w.msg != NULL)
		gw_wipe(w.msg, w.len);
	free(w.msg);
	free(w.res);
	free(w.why);
	return rc;
}
