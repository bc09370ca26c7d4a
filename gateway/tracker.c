/*
 * NAME
 *	tracker - delivery tracking (see tracker.h)
 * SECURITY
 *	Notices are read back from the spool, where the inbound leg kept
 *	them after the security agent accepted them: only trusted MDNs and
 *	DSNs move a state. Logs and history carry addresses, ids and
 *	reasons, never contents.
 */
#include "tracker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "deliver.h"
#include "digest.h"
#include "id.h"
#include "log.h"
#include "mdn.h"
#include "mem.h"
#include "spool.h"
#include "xdrcli.h"
#include "xdsbuild.h"

#define TICK_S     1
#define BATCH      64
#define LEASE_S    300
#define NOTICE_MAX (1024 * 1024)
#define REASON_LEN 400

struct gw_tracker {
	const struct gw_config *cfg;
	struct gw_store *st;
	char source_id[80];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stopping, running;
	pthread_t th;
};

static const char *const ev_name[] = {"processed", "dispatched", "failed",
				      "timeout"};

static bool
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* A final state that is not a delivery. */
static bool
failure(const char *state)
{
	return is(state, "failed") || is(state, "timed-out");
}

void
gw_tracker_decide(const char *state, bool is_final, bool final_delivery,
		  enum gw_track_ev ev, bool ext, struct gw_track_step *out)
{
	bool before = is(state, "queued") || is(state, "sent");

	memset(out, 0, sizeof(*out));
	snprintf(out->event, sizeof(out->event), "mdn %s", ev_name[ev]);
	if (ev == GW_TRACK_FAILED)
		snprintf(out->event, sizeof(out->event), "failure notice");
	if (is_final) {
		return; /* a duplicate or a late notice: history only */
	}
	switch (ev) {
	case GW_TRACK_PROCESSED:
		if (!before) {
			snprintf(out->event, sizeof(out->event),
				 "duplicate mdn processed");
			return;
		}
		out->change = true;
		out->state = "processed";
		out->final = !final_delivery;
		return;
	case GW_TRACK_DISPATCHED:
		if (final_delivery && !ext) {
			/* Not final delivery for an IG message (SPEC 2.3). */
			snprintf(out->event, sizeof(out->event),
				 "mdn dispatched without "
				 "X-DIRECT-FINAL-DESTINATION-DELIVERY");
			if (before) {
				out->change = true;
				out->state = "processed";
			}
			return;
		}
		out->change = true;
		out->state = "dispatched";
		out->final = true;
		return;
	case GW_TRACK_FAILED:
		out->change = true;
		out->state = "failed";
		out->final = true;
		return;
	case GW_TRACK_TIMEOUT:
		snprintf(out->event, sizeof(out->event), "timeout");
		if (!before && !is(state, "processed"))
			return;
		out->change = true;
		out->state = "timed-out";
		out->final = true;
		return;
	}
}

/* Apply ev to the recipient row; history is written either way. */
static int
step(struct gw_tracker *tr, const struct gw_store_trackrow *r,
     enum gw_track_ev ev, bool ext, const char *reason, const char *detail,
     const char *notice, struct gw_err *err)
{
	struct gw_track_step s;
	struct gw_store_trackset t = {0};
	int rc;

	gw_tracker_decide(r->state, r->final, r->final_delivery, ev, ext, &s);
	t.txid = r->txid;
	t.address = r->address;
	t.expect = r->state;
	t.state = s.change ? s.state : r->state;
	t.final = s.final;
	t.reason = s.change && s.final && failure(s.state) ? reason : NULL;
	t.event = s.event;
	t.detail = detail;
	t.owe_ehr = s.final;
	t.notice_txid = notice;
	if (!s.change && !r->final && notice == NULL)
		return 0;
	rc = gw_store_track_set(tr->st, &t, (long long)time(NULL), err);
	if (rc == 0 && s.change)
		gw_log_info(r->txid, "track %s: %s -> %s%s%s", r->address,
			    r->state, t.state, s.final ? " (final)" : "",
			    t.reason ? t.reason : "");
	return rc == GW_EEXISTS ? 0 : rc;
}

/* One kept MDN or DSN: parse, correlate, step. */
static int
notice(struct gw_tracker *tr, const struct gw_store_injob *n,
       struct gw_err *err)
{
	struct gw_store_trackrow *r = NULL;
	struct gw_mdn_info mi;
	enum gw_track_ev ev;
	char addr[GW_ADDR_MAX], reason[REASON_LEN], detail[REASON_LEN];
	const char *who;
	char *m = NULL;
	size_t len = 0;
	int rc;

	if ((rc = gw_spool_file_read(n->path, NOTICE_MAX, &m, &len, err)) < 0)
		return rc == GW_ETEMP ? rc
				      : gw_store_notice_tracked(
					    tr->st, n->txid, "unreadable", err);
	if (gw_mdn_parse(m, len, &mi, err) < 0) {
		free(m);
		return gw_store_notice_tracked(tr->st, n->txid, "unparsable",
					       err);
	}
	free(m);
	who = mi.final_recipient[0] ? mi.final_recipient : n->sender;
	if (gw_addr_normalize(who, addr, sizeof(addr), err) < 0 ||
	    gw_store_track_find(tr->st, mi.orig_msgid, addr, &r, err) < 0) {
		gw_log_info(n->txid, "notice for %s (%s) matches nothing",
			    mi.orig_msgid, who);
		return gw_store_notice_tracked(tr->st, n->txid, "unmatched",
					       err);
	}
	if (mi.is_dsn) {
		ev = GW_TRACK_FAILED;
		snprintf(reason, sizeof(reason),
			 "%s the receiving side reported a delivery failure "
			 "(DSN from %s)%s%s",
			 mi.status[0] ? mi.status : "5.0.0", n->sender,
			 mi.failure[0] ? ": " : "", mi.failure);
	} else if (mi.disposition == GW_MDN_PROCESSED) {
		ev = GW_TRACK_PROCESSED;
	} else if (mi.disposition == GW_MDN_DISPATCHED) {
		ev = GW_TRACK_DISPATCHED;
	} else {
		ev = GW_TRACK_FAILED;
		snprintf(reason, sizeof(reason),
			 "5.0.0 the receiving HISP reported failed "
			 "delivery (MDN from %s)%s%s",
			 n->sender, mi.failure[0] ? ": " : "", mi.failure);
	}
	snprintf(detail, sizeof(detail), "%s from %s",
		 n->message_id ? n->message_id : "-", n->sender);
	rc = step(tr, r, ev, mi.final_delivery_ext, reason, detail, n->txid,
		  err);
	gw_store_trackrows_free(r, 1);
	return rc;
}

/* Recipients whose final notice is overdue fail, saying which. */
static int
overdue(struct gw_tracker *tr, size_t *n, struct gw_err *err)
{
	long long now = (long long)time(NULL);
	struct gw_store_trackrow *v = NULL;
	size_t nv = 0;
	int rc;

	if ((rc = gw_store_track_overdue(tr->st, now - tr->cfg->mdn_timeout,
					 BATCH, &v, &nv, err)) < 0)
		return rc;
	for (size_t i = 0; i < nv && rc == 0; i++) {
		char reason[REASON_LEN];

		snprintf(reason, sizeof(reason),
			 "4.4.7 no %s MDN within %lds of sending",
			 is(v[i].state, "processed") ? "dispatched"
						     : "processed",
			 tr->cfg->mdn_timeout);
		rc = step(tr, &v[i], GW_TRACK_TIMEOUT, false, reason, NULL,
			  NULL, err);
	}
	*n += nv;
	gw_store_trackrows_free(v, nv);
	return rc;
}

/* The direct:messageDisposition document (SPEC 2.7). */
static void
disposition_xml(const struct gw_store_trackrow *r, struct gw_buf *b)
{
	bool ok = !failure(r->state);

	gw_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<direct:messageDisposition "
		       "xmlns:direct=\"urn:direct:addressing\">\n"
		       "  <direct:recipient>mailto:");
	gw_buf_xml_escape(b, r->address);
	gw_buf_printf(b,
		      "</direct:recipient>\n"
		      "  <direct:disposition>%s</direct:disposition>\n",
		      ok ? "success" : "failure");
	if (!ok && r->reason != NULL) {
		gw_buf_puts(b, "  <direct:reasonForFailure>");
		gw_buf_xml_escape(b, r->reason);
		gw_buf_puts(b, "</direct:reasonForFailure>\n");
	}
	gw_buf_puts(b, "</direct:messageDisposition>\n");
}

/* A wsa:MessageID that is the same on every attempt for this row. */
static void
disposition_id(const struct gw_store_trackrow *r, char out[64])
{
	char name[2200], u[GW_ID_UUID_LEN];

	snprintf(name, sizeof(name), "disposition\n%s\n%s", r->txid,
		 r->address);
	gw_id_uuid_name(name, u);
	snprintf(out, 64, "urn:uuid:%s", u);
}

/* POST one disposition; the class of the outcome, why when not OK. */
static enum gw_xdrcli_class
send_disposition(struct gw_tracker *tr, const struct gw_store_trackrow *r,
		 const struct gw_store_address *ehr, char *why, size_t wlen)
{
	struct gw_xdsbuild_doc d = {0};
	struct gw_xdsbuild b = {0};
	struct gw_xdrcli_doc xd = {0};
	struct gw_xdrcli_req rq = {0};
	struct gw_xdrcli_result rs = {0};
	struct gw_buf doc, md;
	struct gw_err e;
	const char *to[1] = {r->sender};
	char sha1[41], id[64], uid[GW_ID_OID_LEN], telecom[GW_ADDR_MAX + 20];
	enum gw_xdrcli_class cls = GW_XDRCLI_PERM;

	gw_buf_init(&doc, 64 * 1024);
	gw_buf_init(&md, 1024 * 1024);
	disposition_xml(r, &doc);
	gw_digest_sha1_hex(doc.data, doc.len, sha1);
	gw_id_uuid_oid(uid);
	snprintf(telecom, sizeof(telecom), "^^Internet^%s", r->address);
	d.id = "Document01";
	d.mime_type = "text/xml";
	d.size = doc.len;
	d.sha1 = sha1;
	d.unique_id = uid;
	d.title = "Direct message disposition";
	b.limited = true;
	b.source_id = tr->source_id;
	b.title = "Direct message disposition";
	b.author_telecom = telecom;
	b.intended_recipients = to;
	b.nintended = 1;
	b.docs = &d;
	b.ndocs = 1;
	if (gw_xdsbuild_submission(&b, &md, &e) < 0) {
		snprintf(why, wlen, "metadata: %s", e.msg);
		goto out;
	}
	xd.id = "Document01";
	xd.mime_type = "text/xml";
	xd.data = doc.data;
	xd.len = doc.len;
	disposition_id(r, id);
	rq.endpoint = ehr->url;
	rq.message_id = id;
	rq.from = r->address;
	rq.to = to;
	rq.nto = 1;
	rq.relates_to = r->wsa_message_id;
	rq.metadata_level = "minimal";
	rq.metadata = md.data;
	rq.metadata_len = md.len;
	rq.docs = &xd;
	rq.ndocs = 1;
	rq.tls_cert = ehr->cert;
	rq.tls_ca = ehr->ca;
	rq.timeout = (int)tr->cfg->ehr_timeout;
	(void)gw_xdrcli_send(&rq, &rs, &e);
	cls = rs.cls;
	if (cls != GW_XDRCLI_OK)
		snprintf(why, wlen, "%s", rs.reason ? rs.reason : "refused");
	gw_xdrcli_result_dispose(&rs);
out:
	gw_buf_dispose(&doc);
	gw_buf_dispose(&md);
	return cls;
}

/* Dispositions owed to EHRs. */
static int
dispositions(struct gw_tracker *tr, size_t *n, struct gw_err *err)
{
	long long now = (long long)time(NULL);
	struct gw_store_trackrow *v = NULL;
	size_t nv = 0;
	int rc;

	if ((rc = gw_store_ehr_claim(tr->st, now, LEASE_S, BATCH, &v, &nv,
				     err)) < 0)
		return rc;
	for (size_t i = 0; i < nv && rc == 0; i++) {
		struct gw_store_address *ehr = NULL;
		enum gw_xdrcli_class cls;
		char why[REASON_LEN] = "";
		const char *st = "sent";
		long long next = 0;
		struct gw_err e;

		if (gw_store_addr_lookup(tr->st, v[i].sender, &ehr, &e) < 0) {
			snprintf(why, sizeof(why),
				 "no EHR endpoint for %s in the address book",
				 v[i].sender);
			cls = GW_XDRCLI_PERM;
		} else {
			cls =
			    send_disposition(tr, &v[i], ehr, why, sizeof(why));
		}
		gw_store_addresses_free(ehr, 1);
		if (cls == GW_XDRCLI_PERM) {
			st = "failed";
		} else if (cls == GW_XDRCLI_TEMP) {
			if (now - v[i].final_at >= tr->cfg->queue_lifetime) {
				st = "failed";
			} else {
				st = "owed";
				next = now + gw_deliver_backoff_jittered(
						 tr->cfg, v[i].ehr_attempts);
			}
		}
		gw_log_info(v[i].txid,
			    "disposition %s for %s to the EHR: %s%s%s",
			    failure(v[i].state) ? "failure" : "success",
			    v[i].address, st, why[0] ? ": " : "", why);
		rc = gw_store_ehr_result(tr->st, v[i].txid, v[i].address, st,
					 next, why[0] ? why : NULL, err);
	}
	*n += nv;
	gw_store_trackrows_free(v, nv);
	return rc;
}

int
gw_tracker_run_once(struct gw_tracker *tr, size_t *n, struct gw_err *err)
{
	struct gw_store_injob *v = NULL;
	size_t nv = 0;
	int rc;

	*n = 0;
	if ((rc = gw_store_notices_untracked(tr->st, BATCH, &v, &nv, err)) < 0)
		return rc;
	for (size_t i = 0; i < nv && rc == 0; i++)
		rc = notice(tr, &v[i], err);
	*n += nv;
	gw_store_injobs_free(v, nv);
	if (rc == 0)
		rc = overdue(tr, n, err);
	if (rc == 0)
		rc = dispositions(tr, n, err);
	return rc;
}

static void *
track_main(void *arg)
{
	struct gw_tracker *tr = arg;

	pthread_mutex_lock(&tr->mu);
	while (!tr->stopping) {
		struct timespec until;
		struct gw_err err;
		size_t n = 0;

		tr->kicked = false;
		pthread_mutex_unlock(&tr->mu);
		if (gw_tracker_run_once(tr, &n, &err) < 0)
			gw_log_err(NULL, "tracker: %s", err.msg);
		pthread_mutex_lock(&tr->mu);
		if (n >= BATCH || tr->kicked || tr->stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TICK_S;
		pthread_cond_timedwait(&tr->cv, &tr->mu, &until);
	}
	pthread_mutex_unlock(&tr->mu);
	return NULL;
}

int
gw_tracker_new(const struct gw_config *cfg, struct gw_store *st,
	       const char *source_id, bool threads, struct gw_tracker **out,
	       struct gw_err *err)
{
	struct gw_tracker *tr = gw_xcalloc(1, sizeof(*tr));

	tr->cfg = cfg;
	tr->st = st;
	snprintf(tr->source_id, sizeof(tr->source_id), "%s", source_id);
	pthread_mutex_init(&tr->mu, NULL);
	pthread_cond_init(&tr->cv, NULL);
	if (threads) {
		if (pthread_create(&tr->th, NULL, track_main, tr) != 0) {
			gw_tracker_free(tr);
			*out = NULL;
			return gw_err_set(err, GW_ETEMP, "4.3.0",
					  "tracker: cannot start");
		}
		tr->running = true;
	}
	*out = tr;
	return 0;
}

void
gw_tracker_kick(struct gw_tracker *tr)
{
	if (tr == NULL)
		return;
	pthread_mutex_lock(&tr->mu);
	tr->kicked = true;
	pthread_cond_signal(&tr->cv);
	pthread_mutex_unlock(&tr->mu);
}

void
gw_tracker_free(struct gw_tracker *tr)
{
	if (tr == NULL)
		return;
	if (tr->running) {
		pthread_mutex_lock(&tr->mu);
		tr->stopping = true;
		pthread_cond_signal(&tr->cv);
		pthread_mutex_unlock(&tr->mu);
		pthread_join(tr->th, NULL);
	}
	pthread_mutex_destroy(&tr->mu);
	pthread_cond_destroy(&tr->cv);
	free(tr);
}
