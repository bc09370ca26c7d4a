/*
 * NAME
 *	inbound - the SMTP side of the inbound pipeline and its threads
 *	(see inbound.h; the work on a kept message is in inwork.c)
 * SECURITY
 *	The received bytes go to the security agent first; only its
 *	verified inner message is kept. The refusal text given to the SMTP
 *	client is the agent's reason, which names certificates and
 *	addresses, never contents.
 */
#include "inbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "digest.h"
#include "inbound_int.h"
#include "log.h"
#include "mdn.h"
#include "mem.h"
#include "spool.h"
#include "xds.h"

#define TICK_S    5
#define LEASE_S   300
#define BATCH     4
#define FIELD_MAX 998

/*
 * A stable OID for a gateway that was not given one: 2.25 and the first
 * 128 bits of SHA-1("dxgw source_id " hostname) as a decimal integer
 * (ITU-T X.667 allows any 128-bit number under 2.25).
 */
static void
derive_source_id(const char *hostname, char out[GW_INBOUND_OID_LEN])
{
	char hex[41], buf[200], digits[48];
	unsigned char v[16];
	size_t nd = 0;
	bool zero;

	snprintf(buf, sizeof(buf), "dxgw source_id %s", hostname);
	gw_digest_sha1_hex(buf, strlen(buf), hex);
	for (int i = 0; i < 16; i++) {
		char two[3] = {hex[2 * i], hex[2 * i + 1], '\0'};

		v[i] = (unsigned char)strtoul(two, NULL, 16);
	}
	v[0] |= 0x80; /* no leading zero digits to trim: always 39 digits */
	do {          /* divide the big-endian number by 10, keep the rest */
		unsigned int rem = 0;

		zero = true;
		for (int i = 0; i < 16; i++) {
			unsigned int cur = rem * 256 + v[i];

			v[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			if (v[i] != 0)
				zero = false;
		}
		digits[nd++] = (char)('0' + rem);
	} while (!zero && nd < sizeof(digits) - 1);
	snprintf(out, GW_INBOUND_OID_LEN, "2.25.");
	for (size_t i = 0; i < nd; i++)
		out[5 + i] = digits[nd - 1 - i];
	out[5 + nd] = '\0';
}

static void
add_domain(struct gw_inbound *ib, const char *d)
{
	for (size_t i = 0; i < ib->ndomains; i++)
		if (strcmp(ib->domains[i], d) == 0)
			return;
	ib->domains =
	    gw_xrealloc(ib->domains, (ib->ndomains + 1) * sizeof(*ib->domains));
	snprintf(ib->domains[ib->ndomains++], GW_ADDR_MAX, "%s", d);
}

/* Our domains: those with trust anchors, and those of our own keys. */
static void
local_domains(struct gw_inbound *ib)
{
	for (size_t i = 0; i < gw_trust_count(ib->trust); i++)
		add_domain(ib, gw_trust_anchor_get(ib->trust, i)->domain);
	for (size_t i = 0; i < gw_keys_count(ib->keys); i++) {
		const struct gw_keys_entry *e = gw_keys_entry_get(ib->keys, i);

		if (e->kind != GW_KEYS_OWN)
			continue;
		for (size_t k = 0; k < e->info.ndomains; k++)
			add_domain(ib, e->info.domains[k]);
		for (size_t k = 0; k < e->info.naddresses; k++)
			add_domain(ib, gw_addr_domain(e->info.addresses[k]));
	}
}

static bool
is_local(const struct gw_inbound *ib, const char *domain)
{
	for (size_t i = 0; i < ib->ndomains; i++)
		if (strcasecmp(ib->domains[i], domain) == 0)
			return true;
	return false;
}

static bool
has_own_cert(struct gw_inbound *ib, const char *address)
{
	struct gw_smime_cert **c = NULL;
	size_t n = 0;

	gw_keys_certs_for(ib->keys, address, GW_KEYS_OWN, &c, &n);
	gw_smime_certs_free(c, n);
	return n > 0;
}

int
gw_inbound_rcpt_ok(void *arg, const char *address, char *why, size_t len)
{
	struct gw_inbound *ib = arg;
	struct gw_store_address *a = NULL;
	char norm[GW_ADDR_MAX];
	struct gw_err err;
	int rc;

	if (gw_addr_normalize(address, norm, sizeof(norm), &err) < 0)
		return GW_ENOTFOUND;
	rc = gw_store_addr_lookup(ib->st, norm, &a, &err);
	gw_store_addresses_free(a, 1);
	if (rc == 0)
		return 0;
	if (rc != GW_ENOTFOUND && rc != GW_EPARSE) {
		snprintf(why, len, "address book unavailable");
		return GW_ETEMP;
	}
	if (!is_local(ib, gw_addr_domain(norm)))
		return GW_ETRUST;
	/*
	 * An address with a certificate of its own is one of our senders:
	 * its MDNs come back here even when no EHR endpoint is set for it.
	 */
	if (has_own_cert(ib, norm))
		return 0;
	return GW_ENOTFOUND;
}

/* The inner message's header field name, or "" (bounded, one line). */
static void
header(const struct gw_buf *m, const char *name, char *out, size_t len)
{
	if (!gw_mdn_header(m->data, m->len, name, out, len))
		out[0] = '\0';
}

static const char *
kind_name(enum gw_agent_kind k)
{
	return k == GW_AGENT_MDN   ? "mdn"
	       : k == GW_AGENT_DSN ? "dsn"
				   : "message";
}

/* Keep what the agent accepted: spool file, rows, audit, one commit. */
static int
keep(struct gw_inbound *ib, const struct gw_smtpsrv_msg *m,
     const struct gw_agent_result *res, struct gw_err *err)
{
	char msgid[FIELD_MAX + 1], subject[FIELD_MAX + 1], detail[300];
	char txid[GW_STORE_TXID_LEN], signers[GW_SMIME_SIGNERS_MAX * 66];
	char(*norm)[GW_ADDR_MAX] = gw_xcalloc(m->nrcpt + 1, sizeof(*norm));
	const char **rcpts = gw_xcalloc(m->nrcpt + 1, sizeof(*rcpts));
	struct gw_spool_file *f = NULL;
	struct gw_audit_event ev = {0};
	struct gw_store_inmsg im = {0};
	size_t o = 0;
	int rc;

	for (size_t i = 0; i < m->nrcpt; i++) {
		if ((rc = gw_addr_normalize(m->rcpts[i], norm[i], GW_ADDR_MAX,
					    err)) < 0)
			goto out;
		rcpts[i] = norm[i];
	}
	signers[0] = '\0';
	for (size_t i = 0; i < res->nsigners; i++)
		o += (size_t)snprintf(signers + o, sizeof(signers) - o, "%s%s",
				      i ? " " : "", res->signers[i]);
	header(&res->message, "Message-ID", msgid, sizeof(msgid));
	header(&res->message, "Subject", subject, sizeof(subject));
	if ((rc = gw_spool_file_new(gw_store_spool(ib->st), &f, err)) < 0 ||
	    (rc = gw_spool_file_write(f, res->message.data, res->message.len,
				      err)) < 0 ||
	    (rc = gw_spool_file_finish(f, err)) < 0)
		goto out;
	snprintf(detail, sizeof(detail), "kind=%s signer=%.64s rcpts=%zu",
		 kind_name(res->kind), res->signers[0], m->nrcpt);
	ev.event = "direct.accepted";
	ev.client = m->mail_from;
	ev.peer = m->peer;
	ev.message_id = msgid;
	ev.outcome = "success";
	ev.detail = detail;
	im.session = m->session_id;
	im.peer = m->peer;
	im.mail_from = m->mail_from;
	im.sender = res->sender;
	im.message_id = msgid[0] ? msgid : NULL;
	im.subject = subject[0] ? subject : NULL;
	im.kind = kind_name(res->kind);
	im.wants_final =
	    res->kind == GW_AGENT_MESSAGE &&
	    gw_mdn_wants_final(res->message.data, res->message.len);
	im.signers = signers;
	im.rcpts = rcpts;
	im.nrcpts = m->nrcpt;
	im.file = f;
	im.audit = &ev;
	if ((rc = gw_store_inbound_accept(ib->st, &im, (long long)time(NULL),
					  ib->cfg->ehr_lifetime, txid, err)) <
	    0)
		goto out;
	gw_log_info(m->session_id, "kept %s as %s from=%s rcpts=%zu final=%d",
		    im.kind, txid, res->sender, m->nrcpt, im.wants_final);
	rc = 0;
out:
	gw_spool_file_discard(f); /* a no-op once adopted */
	free(norm);
	free(rcpts);
	return rc;
}

static void
kick(struct gw_inbound *ib)
{
	pthread_mutex_lock(&ib->mu);
	ib->kicked = true;
	pthread_cond_signal(&ib->cv);
	pthread_mutex_unlock(&ib->mu);
}

int
gw_inbound_deliver(void *arg, const struct gw_smtpsrv_msg *m,
		   struct gw_smtpsrv_reply *per_rcpt, struct gw_err *err)
{
	struct gw_inbound *ib = arg;
	struct gw_agent a = {
	    .keys = ib->keys,
	    .trust = ib->trust,
	    .store = ib->st,
	    .allow_sha1 = ib->cfg->allow_sha1,
	    .max_size = (size_t)ib->cfg->smtp_max_message_size,
	    .txid = m->session_id,
	    .caller_audits_accept = true,
	};
	struct gw_agent_result res;
	char *data = NULL;
	size_t len = 0;
	int rc;

	(void)per_rcpt;
	gw_agent_result_init(&res);
	if ((rc = gw_spool_file_read(gw_spool_file_path(m->file),
				     (size_t)ib->cfg->smtp_max_message_size,
				     &data, &len, err)) < 0)
		goto out;
	if ((rc = gw_agent_incoming(&a, m->mail_from, m->rcpts, m->nrcpt, data,
				    len, &res, err)) < 0)
		goto out;
	if ((rc = keep(ib, m, &res, err)) < 0)
		goto out;
	if (res.kind == GW_AGENT_MESSAGE)
		kick(ib);
out:
	free(data);
	gw_agent_result_dispose(&res);
	return rc;
}

int
gw_inbound_run_due(struct gw_inbound *ib, size_t max, size_t *n,
		   struct gw_err *err)
{
	struct gw_store_injob *jobs = NULL;
	size_t nj = 0;
	int rc;

	*n = 0;
	if ((rc = gw_store_inbound_claim(ib->st, (long long)time(NULL), LEASE_S,
					 max, &jobs, &nj, err)) < 0)
		return rc;
	for (size_t i = 0; i < nj; i++) {
		struct gw_err e;

		if (gw_inbound_process(ib, &jobs[i], &e) < 0)
			gw_log_err(jobs[i].txid, "inbound: %s", e.msg);
	}
	*n = nj;
	gw_store_injobs_free(jobs, nj);
	return 0;
}

static void *
work_main(void *arg)
{
	struct gw_inbound *ib = arg;

	pthread_mutex_lock(&ib->mu);
	while (!ib->stopping) {
		struct timespec until;
		struct gw_err err;
		size_t n = 0;

		ib->kicked = false;
		pthread_mutex_unlock(&ib->mu);
		if (gw_inbound_run_due(ib, BATCH, &n, &err) < 0)
			gw_log_err(NULL, "inbound: %s", err.msg);
		pthread_mutex_lock(&ib->mu);
		if (n > 0 || ib->kicked || ib->stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TICK_S;
		pthread_cond_timedwait(&ib->cv, &ib->mu, &until);
	}
	pthread_mutex_unlock(&ib->mu);
	return NULL;
}

int
gw_inbound_new(const struct gw_config *cfg, struct gw_store *st,
	       struct gw_keys *keys, struct gw_trust *trust,
	       struct gw_outbound *ob, const struct gw_cdaval *cdaval,
	       bool threads, struct gw_inbound **out, struct gw_err *err)
{
	struct gw_inbound *ib = gw_xcalloc(1, sizeof(*ib));
	int rc;

	*out = NULL;
	ib->cfg = cfg;
	ib->st = st;
	ib->keys = keys;
	ib->trust = trust;
	ib->ob = ob;
	ib->cdaval = cdaval;
	pthread_mutex_init(&ib->mu, NULL);
	pthread_cond_init(&ib->cv, NULL);
	if (cfg->source_id[0] != '\0') {
		if (!gw_xds_is_oid(cfg->source_id)) {
			rc = gw_err_set(err, GW_EPARSE, "5.3.5",
					"source_id: '%.80s' is not an OID",
					cfg->source_id);
			goto out;
		}
		snprintf(ib->source_id, sizeof(ib->source_id), "%s",
			 cfg->source_id);
	} else {
		derive_source_id(cfg->hostname, ib->source_id);
	}
	local_domains(ib);
	if (threads && cfg->inbound_workers > 0) {
		ib->th =
		    gw_xcalloc((size_t)cfg->inbound_workers, sizeof(*ib->th));
		for (long i = 0; i < cfg->inbound_workers; i++) {
			if (pthread_create(&ib->th[ib->nth], NULL, work_main,
					   ib) != 0) {
				rc = gw_err_set(err, GW_ETEMP, "4.3.0",
						"inbound: cannot start");
				goto out;
			}
			ib->nth++;
		}
	}
	*out = ib;
	ib = NULL;
	rc = 0;
out:
	gw_inbound_free(ib);
	return rc;
}

const char *
gw_inbound_source_id(const struct gw_inbound *ib)
{
	return ib->source_id;
}

void
gw_inbound_free(struct gw_inbound *ib)
{
	if (ib == NULL)
		return;
	pthread_mutex_lock(&ib->mu);
	ib->stopping = true;
	pthread_cond_broadcast(&ib->cv);
	pthread_mutex_unlock(&ib->mu);
	for (size_t i = 0; i < ib->nth; i++)
		pthread_join(ib->th[i], NULL);
	free(ib->th);
	free(ib->domains);
	pthread_mutex_destroy(&ib->mu);
	pthread_cond_destroy(&ib->cv);
	free(ib);
}
