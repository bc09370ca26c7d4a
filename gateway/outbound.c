/*
 * NAME
 *	outbound - the outbound pipeline (see outbound.h)
 * SECURITY
 *	Document bytes are read from the spool only through xdm (which
 *	re-checks size and SHA-1 against the store). Private keys stay in
 *	keys/smime. Logs carry the txid, recipients and reasons, not
 *	contents.
 */
#include "outbound.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "certdisc.h"
#include "deliver.h"
#include "log.h"
#include "mem.h"
#include "mime.h"
#include "smime.h"
#include "spool.h"
#include "xdm.h"

#define TICK_S       5
#define BATCH        32
#define CACHE_TTL    300
#define CACHE_MAX    1000
#define MSG_MAX      (2047L * 1024 * 1024)
#define GATEWAY_NAME "dxgw 0.1"
#define REASON_LEN   400
#define HTML_MAX     (16L * 1024 * 1024) /* the text/html part */

struct gw_outbound {
	const struct gw_config *cfg;
	struct gw_store *st;
	struct gw_keys *keys;
	struct gw_certdisc *cd;
	struct gw_deliver *dl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stopping;
	bool thread_running;
	pthread_t th;
};

/* One destination domain: its recipients and the certificates found. */
struct group {
	char domain[GW_ADDR_MAX];
	const char **rcpts;
	size_t nrcpts;
	struct gw_smime_cert **certs; /* references */
	size_t ncerts;
};

struct plan {
	struct group *groups;
	size_t ngroups;
	struct gw_store_rcpt_fail *fails;
	char (*why)[REASON_LEN];
	size_t nfails;
};

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i].rcpts);
		gw_smime_certs_free(p->groups[i].certs, p->groups[i].ncerts);
	}
	free(p->groups);
	free(p->fails);
	free(p->why);
	memset(p, 0, sizeof(*p));
}

static void
plan_fail(struct plan *p, const char *address, const char *why)
{
	snprintf(p->why[p->nfails], REASON_LEN, "%s", why);
	p->fails[p->nfails].address = address;
	p->fails[p->nfails].reason = p->why[p->nfails];
	p->nfails++;
}

static struct group *
plan_group(struct plan *p, const char *domain)
{
	struct group *g;

	for (size_t i = 0; i < p->ngroups; i++)
		if (strcmp(p->groups[i].domain, domain) == 0)
			return &p->groups[i];
	g = &p->groups[p->ngroups++];
	snprintf(g->domain, sizeof(g->domain), "%s", domain);
	return g;
}

int
gw_outbound_check_sender(struct gw_outbound *ob, const char *sender,
			 struct gw_err *err)
{
	struct gw_smime_cert **s = NULL;
	size_t n = 0;
	int rc;

	rc = gw_keys_signers_for(ob->keys, sender, time(NULL), &s, &n, err);
	if (rc == 0 && n == 0)
		rc = gw_err_set(err, GW_ENOTFOUND, "5.7.0",
				"no usable signing certificate for %s", sender);
	gw_smime_certs_free(s, n);
	return rc;
}

/* Look address up for sender's domain; the result on success. */
static int
lookup(struct gw_outbound *ob, const char *sender, const char *address,
       struct gw_certdisc_result **res, struct gw_err *err)
{
	char from[GW_ADDR_MAX];
	int rc;

	*res = NULL;
	if ((rc = gw_addr_normalize(sender, from, sizeof(from), err)) < 0)
		return rc;
	rc =
	    gw_certdisc_lookup(ob->cd, gw_addr_domain(from), address, res, err);
	if (rc == 0 && (*res)->status == GW_CERTDISC_FOUND)
		return 0;
	switch (*res != NULL ? (*res)->status : GW_CERTDISC_NONE) {
	case GW_CERTDISC_TEMP:
		return gw_err_set(err, GW_ETEMP, "4.7.0",
				  "%s: certificate lookup failed, try later",
				  address);
	case GW_CERTDISC_INVALID:
		return gw_err_set(err, GW_ETRUST, "5.7.0",
				  "%s: no usable certificate (%s)", address,
				  (*res)->ncerts > 0 ? (*res)->certs[0].why
						     : "refused");
	default:
		if (rc < 0 && err->code == GW_EPARSE)
			return gw_err_set(err, GW_ENOTFOUND, "5.1.3",
					  "%s: malformed address", address);
		return gw_err_set(err, GW_ENOTFOUND, "5.1.1",
				  "%s: no certificate published", address);
	}
}

int
gw_outbound_check_recipient(struct gw_outbound *ob, const char *sender,
			    const char *address, struct gw_err *err)
{
	struct gw_certdisc_result *res = NULL;
	int rc = lookup(ob, sender, address, &res, err);

	gw_certdisc_result_free(res);
	return rc;
}

/*
 * Who can be served, grouped by domain; who cannot, with the reason.
 * GW_ETEMP when a lookup should be tried again later.
 */
static int
make_plan(struct gw_outbound *ob, const struct gw_store_record *r,
	  struct plan *p, struct gw_err *err)
{
	size_t n = r->nrecipients;
	int rc = 0;

	p->groups = gw_xcalloc(n + 1, sizeof(*p->groups));
	p->fails = gw_xcalloc(n + 1, sizeof(*p->fails));
	p->why = gw_xcalloc(n + 1, sizeof(*p->why));
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *a = r->recipients[i].address;
		struct gw_certdisc_result *res = NULL;
		struct gw_err le;
		struct group *g;

		if (strcmp(r->recipients[i].state, "queued") != 0)
			continue;
		if (lookup(ob, r->sender, a, &res, &le) < 0) {
			if (le.code == GW_ETEMP)
				rc = gw_err_set(err, GW_ETEMP, le.status, "%s",
						le.msg);
			else
				plan_fail(p, a, le.msg);
			gw_certdisc_result_free(res);
			continue;
		}
		g = plan_group(p, gw_addr_domain(res->address));
		g->rcpts =
		    gw_xrealloc(g->rcpts, (g->nrcpts + 1) * sizeof(*g->rcpts));
		g->rcpts[g->nrcpts++] = a;
		for (size_t k = 0; k < res->ncerts; k++) {
			if (!res->certs[k].valid)
				continue;
			g->certs = gw_xrealloc(g->certs, (g->ncerts + 1) *
							     sizeof(*g->certs));
			g->certs[g->ncerts++] =
			    gw_smime_cert_ref(res->certs[k].cert);
		}
		gw_certdisc_result_free(res);
	}
	return rc;
}

/* "urn:uuid:..." -> a name mime accepts for the zip. */
static void
zip_name(const char *wsa_id, char *out, size_t len)
{
	const char *s =
	    strncmp(wsa_id, "urn:uuid:", 9) == 0 ? wsa_id + 9 : wsa_id;
	size_t o = 0;

	for (; *s != '\0' && o + 1 < len && o < 64; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.')
			out[o++] = *s;
	if (o == 0)
		o = (size_t)snprintf(out, len, "xdm");
	out[o] = '\0';
}

/*
 * Sign signable with signers, encrypt the result to certs and write
 * outer (the unprotected header block) and the encrypted entity to a new
 * finished spool file.
 */
static int
seal(struct gw_outbound *ob, const struct gw_buf *outer,
     const struct gw_buf *signable, struct gw_smime_cert *const *signers,
     size_t nsigners, struct gw_smime_cert *const *certs, size_t ncerts,
     struct gw_spool_file **file, struct gw_err *err)
{
	struct gw_buf signd, enc;
	int rc;

	*file = NULL;
	gw_buf_init(&signd, (size_t)MSG_MAX);
	gw_buf_init(&enc, (size_t)MSG_MAX);
	if ((rc = gw_smime_sign(signable->data, signable->len, signers,
				nsigners, &signd, err)) < 0 ||
	    (rc = gw_smime_encrypt(signd.data, signd.len, certs, ncerts,
				   (enum gw_smime_cipher)ob->cfg->smime_cipher,
				   (enum gw_smime_keyenc)ob->cfg->smime_keyenc,
				   &enc, err)) < 0)
		goto out;
	if ((rc = gw_spool_file_new(gw_store_spool(ob->st), file, err)) < 0 ||
	    (rc = gw_spool_file_write(*file, outer->data, outer->len, err)) <
		0 ||
	    (rc = gw_spool_file_write(*file, enc.data, enc.len, err)) < 0 ||
	    (rc = gw_spool_file_finish(*file, err)) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		gw_spool_file_discard(*file);
		*file = NULL;
	}
	gw_buf_dispose(&signd);
	gw_buf_dispose(&enc);
	return rc;
}

/* X-DIRECT-FINAL-DESTINATION-DELIVERY: asked, or our policy. */
static bool
wants_final(const struct gw_outbound *ob, const struct gw_store_record *r)
{
	return r->final_delivery || ob->cfg->final_delivery == 1;
}

/* Build, sign, encrypt one domain's message into a new spool file. */
static int
make_message(struct gw_outbound *ob, const struct gw_store_record *r,
	     const struct group *g, const struct gw_buf *zip,
	     const struct gw_buf *html, struct gw_smime_cert *const *signers,
	     size_t nsigners, struct gw_spool_file **file,
	     char msgid[GW_MIME_MSGID_LEN], struct gw_err *err)
{
	struct gw_mime_direct m = {
	    .from = r->sender,
	    .to = g->rcpts,
	    .nto = g->nrcpts,
	    .final_delivery = wants_final(ob, r),
	    .in_reply_to = r->relates_to != NULL && r->relates_to[0] == '<'
			       ? r->relates_to
			       : NULL,
	    .zip_data = zip->data,
	    .zip_len = zip->len,
	    .date = time(NULL),
	    .html = html->len > 0 ? html->data : NULL,
	    .html_len = html->len,
	};
	struct gw_buf signable, outer;
	char zname[80];
	int rc;

	zip_name(r->message_id, zname, sizeof(zname));
	m.zip_name = zname;
	*file = NULL;
	gw_buf_init(&signable, (size_t)MSG_MAX);
	gw_buf_init(&outer, 64 * 1024);
	if ((rc = gw_mime_build_direct(&m, &signable, &outer, msgid, err)) == 0)
		rc = seal(ob, &outer, &signable, signers, nsigners, g->certs,
			  g->ncerts, file, err);
	gw_buf_dispose(&signable);
	gw_buf_dispose(&outer);
	return rc;
}

int
gw_outbound_seal(struct gw_outbound *ob, const char *from, const char *to,
		 const struct gw_buf *outer, const struct gw_buf *signable,
		 struct gw_spool_file **file, struct gw_err *err)
{
	struct gw_smime_cert **signers = NULL, **certs = NULL;
	struct gw_certdisc_result *res = NULL;
	size_t nsigners = 0, ncerts = 0;
	int rc;

	*file = NULL;
	if ((rc = gw_keys_signers_for(ob->keys, from, time(NULL), &signers,
				      &nsigners, err)) < 0)
		goto out;
	if (nsigners == 0) {
		rc = gw_err_set(err, GW_ENOTFOUND, "5.7.0",
				"no usable signing certificate for %s", from);
		goto out;
	}
	if ((rc = lookup(ob, from, to, &res, err)) < 0)
		goto out;
	certs = gw_xcalloc(res->ncerts + 1, sizeof(*certs));
	for (size_t k = 0; k < res->ncerts; k++)
		if (res->certs[k].valid)
			certs[ncerts++] = gw_smime_cert_ref(res->certs[k].cert);
	rc = seal(ob, outer, signable, signers, nsigners, certs, ncerts, file,
		  err);
out:
	gw_certdisc_result_free(res);
	gw_smime_certs_free(signers, nsigners);
	gw_smime_certs_free(certs, ncerts);
	return rc;
}

void
gw_outbound_wake(struct gw_outbound *ob)
{
	if (ob != NULL)
		gw_deliver_kick(ob->dl);
}

/*
 * The XDM package of the record's documents, in memory; with html_part,
 * the first C-CDA's rendering goes to html (xdm has the bytes at hand).
 */
static int
make_xdm(struct gw_outbound *ob, const struct gw_store_record *r,
	 struct gw_buf *zip, struct gw_buf *html, struct gw_err *err)
{
	struct gw_xdm_doc *d = gw_xcalloc(r->ndocs + 1, sizeof(*d));
	struct gw_xdm_input in = {
	    .metadata = r->metadata,
	    .metadata_len = r->metadata_len,
	    .docs = d,
	    .ndocs = r->ndocs,
	    .institution = ob->cfg->hostname,
	    .gateway = GATEWAY_NAME,
	    .html_out = ob->cfg->html_part ? html : NULL,
	    .no_render = !ob->cfg->xdm_render,
	};
	int rc;

	for (size_t i = 0; i < r->ndocs; i++) {
		d[i].entry_id = r->docs[i].entry_id;
		d[i].mime_type = r->docs[i].mime_type;
		d[i].path = r->docs[i].path;
		d[i].size = r->docs[i].size;
		d[i].sha1 = r->docs[i].sha1;
	}
	rc = gw_xdm_build_mem(&in, zip, err);
	free(d);
	return rc;
}

/* A converted submission, built but not yet queued. */
struct prepared {
	struct gw_store_record *r;
	struct plan p;
	struct gw_store_outmsg *msgs;
	char (*ids)[GW_MIME_MSGID_LEN];
	size_t nmsgs;
};

static void
prepared_free(struct prepared *pp)
{
	for (size_t i = 0; i < pp->nmsgs; i++)
		gw_spool_file_discard(pp->msgs[i].file);
	free(pp->msgs);
	free(pp->ids);
	plan_free(&pp->p);
	gw_store_record_free(pp->r);
	memset(pp, 0, sizeof(*pp));
}

/* Every recipient of the plan's groups fails with why; no groups left. */
static void
fail_groups(struct plan *p, const char *why)
{
	for (size_t i = 0; i < p->ngroups; i++)
		for (size_t k = 0; k < p->groups[i].nrcpts; k++)
			plan_fail(p, p->groups[i].rcpts[k], why);
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i].rcpts);
		gw_smime_certs_free(p->groups[i].certs, p->groups[i].ncerts);
	}
	p->ngroups = 0;
}

/* The messages of the plan: one per domain. */
static int
build_messages(struct gw_outbound *ob, struct prepared *pp, struct gw_err *err)
{
	const struct gw_store_record *r = pp->r;
	struct plan *p = &pp->p;
	struct gw_smime_cert **signers = NULL;
	size_t nsigners = 0;
	struct gw_buf zip, html;
	int rc = 0;

	gw_buf_init(&zip, (size_t)MSG_MAX);
	gw_buf_init(&html, HTML_MAX);
	pp->msgs = gw_xcalloc(p->ngroups + 1, sizeof(*pp->msgs));
	pp->ids = gw_xcalloc(p->ngroups + 1, sizeof(*pp->ids));
	if (p->ngroups > 0 &&
	    (gw_keys_signers_for(ob->keys, r->sender, time(NULL), &signers,
				 &nsigners, err) < 0 ||
	     nsigners == 0)) {
		char why[REASON_LEN];

		/* Nothing can be signed: every recipient fails. */
		snprintf(why, sizeof(why),
			 "5.7.0 no usable signing certificate for %s",
			 r->sender);
		fail_groups(p, why);
	}
	if (p->ngroups > 0 && (rc = make_xdm(ob, r, &zip, &html, err)) < 0) {
		if (err->code != GW_ETRUST && err->code != GW_EPARSE)
			goto out; /* may pass: leave it for the next round */
		/* The stored documents are not what was accepted. */
		fail_groups(p, err->msg);
		rc = 0;
	}
	for (size_t i = 0; i < p->ngroups; i++) {
		struct group *g = &p->groups[i];
		size_t k = pp->nmsgs;

		if ((rc = make_message(ob, r, g, &zip, &html, signers, nsigners,
				       &pp->msgs[k].file, pp->ids[k], err)) < 0)
			goto out;
		pp->msgs[k].domain = g->domain;
		pp->msgs[k].message_id = pp->ids[k];
		pp->msgs[k].mail_from = r->sender;
		pp->msgs[k].rcpts = g->rcpts;
		pp->msgs[k].nrcpts = g->nrcpts;
		pp->msgs[k].final_delivery = wants_final(ob, r);
		pp->nmsgs++;
	}
out:
	gw_buf_dispose(&zip);
	gw_buf_dispose(&html);
	gw_smime_certs_free(signers, nsigners);
	return rc;
}

/* Everything but queueing: the record, the plan and the messages. */
static int
prepare(struct gw_outbound *ob, const char *txid, struct prepared *pp,
	struct gw_err *err)
{
	int rc;

	memset(pp, 0, sizeof(*pp));
	if ((rc = gw_store_submission_get(ob->st, txid, &pp->r, err)) < 0 ||
	    (rc = make_plan(ob, pp->r, &pp->p, err)) < 0 ||
	    (rc = build_messages(ob, pp, err)) < 0)
		return rc;
	return 0;
}

static void
log_queued(const struct prepared *pp)
{
	for (size_t i = 0; i < pp->nmsgs; i++)
		gw_log_info(pp->r->txid, "queued %s for %s (%zu rcpt)",
			    pp->ids[i], pp->msgs[i].domain, pp->msgs[i].nrcpts);
	for (size_t i = 0; i < pp->p.nfails; i++)
		gw_log_info(pp->r->txid, "failed %s: %s",
			    pp->p.fails[i].address, pp->p.fails[i].reason);
}

int
gw_outbound_convert(struct gw_outbound *ob, const char *txid,
		    struct gw_err *err)
{
	struct prepared pp;
	int rc;

	if ((rc = prepare(ob, txid, &pp, err)) == 0 &&
	    (rc = gw_store_outbound_queue(
		 ob->st, txid, pp.msgs, pp.nmsgs, pp.p.fails, pp.p.nfails,
		 (long long)time(NULL), ob->cfg->queue_lifetime, err)) == 0)
		log_queued(&pp);
	prepared_free(&pp);
	return rc;
}

/*
 * Prepare every waiting submission, then queue them together: they
 * share the durable commits instead of waiting for the disk one by one.
 */
int
gw_outbound_convert_many(struct gw_outbound *ob, char *const *txids, size_t nt,
			 size_t *n)
{
	struct prepared *pp = NULL;
	struct gw_store_outbatch *items = NULL;
	size_t ni = 0;

	*n = 0;
	pp = gw_xcalloc(nt + 1, sizeof(*pp));
	items = gw_xcalloc(nt + 1, sizeof(*items));
	for (size_t i = 0; i < nt; i++) {
		struct gw_err e;

		if (prepare(ob, txids[i], &pp[ni], &e) < 0) {
			gw_log_warn(txids[i], "conversion deferred: %s", e.msg);
			prepared_free(&pp[ni]);
			continue;
		}
		items[ni].txid = pp[ni].r->txid;
		items[ni].msgs = pp[ni].msgs;
		items[ni].nmsgs = pp[ni].nmsgs;
		items[ni].fails = pp[ni].p.fails;
		items[ni].nfails = pp[ni].p.nfails;
		ni++;
	}
	if (ni > 0)
		(void)gw_store_outbound_queue_many(
		    ob->st, items, ni, (long long)time(NULL),
		    ob->cfg->queue_lifetime, NULL);
	for (size_t i = 0; i < ni; i++) {
		if (items[i].rc == 0)
			log_queued(&pp[i]);
		else if (items[i].rc != GW_EEXISTS)
			gw_log_warn(items[i].txid, "conversion deferred: %s",
				    items[i].err.msg);
		if (items[i].rc == 0 || items[i].rc == GW_EEXISTS)
			(*n)++;
		prepared_free(&pp[i]);
	}
	free(pp);
	free(items);
	return 0;
}

int
gw_outbound_convert_pending(struct gw_outbound *ob, size_t *n,
			    struct gw_err *err)
{
	char **txids = NULL;
	size_t nt = 0;
	int rc;

	*n = 0;
	if ((rc = gw_store_pending(ob->st, BATCH, &txids, &nt, err)) < 0)
		return rc;
	rc = gw_outbound_convert_many(ob, txids, nt, n);
	gw_store_txids_free(txids, nt);
	return rc;
}

static void *
convert_main(void *arg)
{
	struct gw_outbound *ob = arg;

	pthread_mutex_lock(&ob->mu);
	while (!ob->stopping) {
		struct timespec until;
		struct gw_err err;
		size_t n = 0;

		ob->kicked = false;
		pthread_mutex_unlock(&ob->mu);
		if (gw_outbound_convert_pending(ob, &n, &err) < 0)
			gw_log_err(NULL, "outbound: %s", err.msg);
		if (n > 0)
			gw_deliver_kick(ob->dl);
		pthread_mutex_lock(&ob->mu);
		if (n == BATCH || ob->kicked || ob->stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TICK_S;
		pthread_cond_timedwait(&ob->cv, &ob->mu, &until);
	}
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

int
gw_outbound_new(const struct gw_config *cfg, struct gw_store *st,
		struct gw_keys *keys, struct gw_trust *trust, bool threads,
		struct gw_outbound **out, struct gw_err *err)
{
	struct gw_outbound *ob = gw_xcalloc(1, sizeof(*ob));
	struct gw_certdisc_opts co = {.cache_ttl = CACHE_TTL,
				      .cache_max = CACHE_MAX,
				      .check = gw_certdisc_check_trust,
				      .check_arg = trust};
	int rc;

	*out = NULL;
	ob->cfg = cfg;
	ob->st = st;
	ob->keys = keys;
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	if ((rc = gw_certdisc_new(&co, &ob->cd, err)) < 0 ||
	    (rc = gw_certdisc_add_backend(ob->cd, &gw_certdisc_local_ops, keys,
					  err)) < 0)
		goto out;
	if (threads) {
		if ((rc = gw_deliver_start(cfg, st, &ob->dl, err)) < 0)
			goto out;
		if (cfg->delivery_workers > 0) {
			if (pthread_create(&ob->th, NULL, convert_main, ob) !=
			    0) {
				rc = gw_err_set(err, GW_ETEMP, "4.3.0",
						"outbound: cannot start");
				goto out;
			}
			ob->thread_running = true;
		}
	}
	*out = ob;
	ob = NULL;
	rc = 0;
out:
	gw_outbound_free(ob);
	return rc;
}

void
gw_outbound_kick(struct gw_outbound *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->kicked = true;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

void
gw_outbound_free(struct gw_outbound *ob)
{
	if (ob == NULL)
		return;
	if (ob->thread_running) {
		pthread_mutex_lock(&ob->mu);
		ob->stopping = true;
		pthread_cond_signal(&ob->cv);
		pthread_mutex_unlock(&ob->mu);
		pthread_join(ob->th, NULL);
	}
	gw_deliver_stop(ob->dl);
	gw_certdisc_free(ob->cd);
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	free(ob);
}
