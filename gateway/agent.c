/*
 * NAME
 *	agent - Direct security agent, incoming (see agent.h)
 * DESCRIPTION
 *	One pass per message with a small context (struct job) that owns
 *	every buffer; refusals set err where they are found and go to one
 *	exit that logs and audits them. The cryptography is smime's, the
 *	trust decision trust's, reading the entities mimescan's.
 * SECURITY
 *	The decrypted content is wiped before it is freed unless it is
 *	handed to the caller.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "mimescan.h"

#define DEFAULT_MAX (64UL * 1024 * 1024)
#define MAX_ADDRS   1000

struct job {
	struct gw_agent *a;
	const char *tx;
	char (*rcpt)[GW_ADDR_MAX]; /* normalised envelope recipients */
	size_t nrcpt;
	struct gw_smime_cert **keys;
	size_t nkeys;
	struct gw_buf dec; /* decrypted: the signed entity */
	struct gw_buf hdr; /* scratch: one header value */
	struct gw_smime_verify_result vr;
	char (*addrs)[GW_ADDR_MAX]; /* protected To/Cc/Bcc */
	size_t naddrs;
	time_t now;
};

void
gw_agent_result_init(struct gw_agent_result *r)
{
	memset(r, 0, sizeof(*r));
	gw_buf_init(&r->message, 0);
}

void
gw_agent_result_dispose(struct gw_agent_result *r)
{
	gw_buf_dispose(&r->message);
	r->nsigners = 0;
}

/* Add c to the job's keys unless it is there already. */
static void
add_keys(struct job *j, struct gw_smime_cert **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t k = 0; k < j->nkeys && !dup; k++)
			dup = j->keys[k] == v[i];
		if (dup) {
			gw_smime_cert_free(v[i]);
			continue;
		}
		j->keys =
		    gw_xrealloc(j->keys, (j->nkeys + 1) * sizeof(*j->keys));
		j->keys[j->nkeys++] = v[i];
	}
	free(v);
}

/* Step 1: recipients and the keys bound to them or their domains. */
static int
recipients(struct job *j, const char *const *rcpts, size_t n,
	   struct gw_err *err)
{
	if (n == 0 || n > GW_AGENT_MAX_RCPTS)
		return gw_err_set(err, GW_ELIMIT, "5.5.3",
				  "agent: %zu envelope recipients", n);
	j->rcpt = gw_xcalloc(n, sizeof(*j->rcpt));
	for (size_t i = 0; i < n; i++) {
		struct gw_smime_cert **v;
		size_t nv;
		int rc;

		if ((rc = gw_addr_normalize(rcpts[i], j->rcpt[i], GW_ADDR_MAX,
					    err)) != 0)
			return rc;
		j->nrcpt++;
		gw_keys_certs_for(j->a->keys, j->rcpt[i], GW_KEYS_OWN, &v, &nv);
		add_keys(j, v, nv);
		gw_keys_certs_for(j->a->keys, gw_addr_domain(j->rcpt[i]),
				  GW_KEYS_OWN, &v, &nv);
		add_keys(j, v, nv);
	}
	return 0;
}

/*
 * Step 4: the inner message. Wrapped: the body of the message/rfc822
 * entity. Not wrapped: the outer fields other than Content-* and
 * MIME-Version, then the signed entity itself.
 */
static int
inner_message(struct job *j, const char *msg, size_t len,
	      struct gw_agent_result *res, struct gw_err *err)
{
	const struct gw_buf *c = &j->vr.content;
	size_t hlen, body, off = 0;
	char type[128];
	int rc;

	gw_mimescan_split(c->data, c->len, &hlen, &body);
	if (!gw_mimescan_field(c->data, hlen, "Content-Type", 0, &j->hdr))
		gw_buf_reset(&j->hdr);
	if ((rc = gw_mimescan_ctype(j->hdr.data, type, sizeof(type), err)) != 0)
		return rc;
	res->message.max = j->dec.max;
	if (strcmp(type, "message/rfc822") == 0) {
		res->wrapped = true;
		if (gw_buf_append(&res->message, c->data + body,
				  c->len - body) < 0)
			goto big;
		return 0;
	}
	gw_mimescan_split(msg, len, &hlen, &body);
	while (off < hlen) {
		size_t end = off;

		/* One field: its line and the continuation lines. */
		do {
			const char *nl = memchr(msg + end, '\n', hlen - end);

			end = nl != NULL ? (size_t)(nl - msg) + 1 : hlen;
		} while (end < hlen && (msg[end] == ' ' || msg[end] == '\t'));
		if (strncasecmp(msg + off, "Content-", 8) != 0 &&
		    strncasecmp(msg + off, "MIME-Version", 12) != 0 &&
		    gw_buf_append(&res->message, msg + off, end - off) < 0)
			goto big;
		off = end;
	}
	if (gw_buf_puts(&res->message, "MIME-Version: 1.0\r\n") < 0 ||
	    gw_buf_append(&res->message, c->data, c->len) < 0)
		goto big;
	return 0;
big:
	return gw_err_set(err, GW_ELIMIT, "5.3.4",
			  "agent: inner message larger than %zu bytes",
			  res->message.max);
}

/* The single address of the From field of header block h, or refuse. */
static int
from_of(struct job *j, const char *h, size_t hlen, const char *which,
	char out[GW_ADDR_MAX], struct gw_err *err)
{
	char one[2][GW_ADDR_MAX];
	size_t n = 0;
	int rc;

	if (!gw_mimescan_field(h, hlen, "From", 0, &j->hdr))
		return gw_err_set(err, GW_EPARSE, "5.6.0", "agent: no %s From",
				  which);
	rc = gw_mimescan_addrs(j->hdr.data, one, 2, &n, err);
	if (rc == 0 && n != 1)
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"agent: %s From with %zu addresses", which, n);
	if (rc != 0) {
		gw_err_prefix(err, "%s From", which);
		return rc;
	}
	memcpy(out, one[0], GW_ADDR_MAX);
	return 0;
}

/* Step 5: the sender, against the outer From and the envelope. */
static int
sender(struct job *j, const char *mail_from, const char *msg, size_t len,
       struct gw_agent_result *res, struct gw_err *err)
{
	const char *m = res->message.data;
	char outer[GW_ADDR_MAX], env[GW_ADDR_MAX];
	size_t hlen, body;
	int rc;

	gw_mimescan_split(m, res->message.len, &hlen, &body);
	if ((rc = from_of(j, m, hlen, "protected", res->sender, err)) != 0)
		return rc;
	gw_mimescan_split(msg, len, &hlen, &body);
	if (res->wrapped && gw_mimescan_field(msg, hlen, "From", 0, &j->hdr) &&
	    from_of(j, msg, hlen, "outer", outer, NULL) == 0 &&
	    strcmp(outer, res->sender) != 0)
		return gw_err_set(err, GW_ETRUST, "5.7.1",
				  "agent: outer From %s is not the protected "
				  "From %s",
				  outer, res->sender);
	if (mail_from != NULL && mail_from[0] != '\0' &&
	    strcmp(mail_from, "<>") != 0 &&
	    (gw_addr_normalize(mail_from, env, sizeof(env), NULL) != 0 ||
	     strcmp(env, res->sender) != 0)) {
		res->sender_differs = true;
		gw_log_notice(j->tx,
			      "agent: envelope sender differs from the "
			      "protected From mail_from=%.100s from=%s",
			      mail_from, res->sender);
	}
	return 0;
}

/*
 * May c sign for sender in local domain dom? Bound to the address, or
 * else to its domain; the reason that matters in err.
 */
static int
signer_trusted(struct job *j, const char *dom, const struct gw_smime_cert *c,
	       const char *from, struct gw_err *err)
{
	struct gw_err e1, e2;

	if (gw_trust_check(j->a->trust, dom, c, from, GW_SMIME_USE_SIGN, j->now,
			   &e1) == 0 ||
	    gw_trust_check(j->a->trust, dom, c, gw_addr_domain(from),
			   GW_SMIME_USE_SIGN, j->now, &e2) == 0)
		return 0;
	/* A binding miss at address level: the domain's answer counts. */
	if (strstr(e1.msg, "no subjectAltName") == NULL)
		*err = e1;
	else if (strstr(e2.msg, "no subjectAltName") == NULL)
		*err = e2;
	else
		gw_err_set(err, GW_ETRUST, "5.7.5", "not bound to %s nor to %s",
			   from, gw_addr_domain(from));
	return GW_ETRUST;
}

/* Step 6: every recipient domain trusts at least one signer. */
static int
trust(struct job *j, struct gw_agent_result *res, struct gw_err *err)
{
	bool trusted[GW_SMIME_SIGNERS_MAX] = {false};

	for (size_t r = 0; r < j->nrcpt; r++) {
		const char *dom = gw_addr_domain(j->rcpt[r]);
		struct gw_err why;
		bool ok = false;

		gw_err_set(&why, GW_ETRUST, "5.7.5", "no verified signer");
		for (size_t s = 0; s < j->vr.nsigners; s++) {
			const struct gw_smime_signer *g = &j->vr.signers[s];

			if (!g->verified || !g->digest_ok || g->cert == NULL)
				continue;
			if (signer_trusted(j, dom, g->cert, res->sender,
					   &why) == 0)
				ok = trusted[s] = true;
		}
		if (!ok)
			return gw_err_set(err, GW_ETRUST, "5.7.5",
					  "agent: signer not trusted by %s "
					  "for %s: %s",
					  dom, res->sender, why.msg);
	}
	for (size_t s = 0; s < j->vr.nsigners; s++)
		if (trusted[s])
			gw_smime_cert_fingerprint(
			    j->vr.signers[s].cert,
			    res->signers[res->nsigners++]);
	return 0;
}

/* Step 7: the envelope recipients against the protected To/Cc/Bcc. */
static int
protected_rcpts(struct job *j, const struct gw_agent_result *res,
		struct gw_err *err)
{
	static const char *const fields[] = {"To", "Cc", "Bcc"};
	const char *m = res->message.data;
	size_t hlen, body;
	int rc;

	gw_mimescan_split(m, res->message.len, &hlen, &body);
	j->addrs = gw_xcalloc(MAX_ADDRS, sizeof(*j->addrs));
	for (size_t f = 0; f < 3; f++)
		for (size_t k = 0;
		     gw_mimescan_field(m, hlen, fields[f], k, &j->hdr); k++)
			if ((rc = gw_mimescan_addrs(j->hdr.data, j->addrs,
						    MAX_ADDRS, &j->naddrs,
						    err)) != 0) {
				gw_err_prefix(err, "protected %s", fields[f]);
				return rc;
			}
	for (size_t r = 0; r < j->nrcpt; r++) {
		bool found = false;

		for (size_t k = 0; k < j->naddrs && !found; k++)
			found = strcmp(j->rcpt[r], j->addrs[k]) == 0;
		if (!found)
			return gw_err_set(err, GW_ETRUST, "5.7.1",
					  "agent: envelope recipient %s is "
					  "not in the protected To/Cc",
					  j->rcpt[r]);
	}
	return 0;
}

static enum gw_agent_kind
kind_of(struct job *j, const struct gw_agent_result *res)
{
	const char *m = res->message.data;
	char type[64], rt[64];
	size_t hlen, body;

	gw_mimescan_split(m, res->message.len, &hlen, &body);
	if (!gw_mimescan_field(m, hlen, "Content-Type", 0, &j->hdr) ||
	    gw_mimescan_ctype(j->hdr.data, type, sizeof(type), NULL) != 0 ||
	    strcmp(type, "multipart/report") != 0 ||
	    !gw_mimescan_param(j->hdr.data, "report-type", rt, sizeof(rt)))
		return GW_AGENT_MESSAGE;
	if (strcasecmp(rt, "disposition-notification") == 0)
		return GW_AGENT_MDN;
	if (strcasecmp(rt, "delivery-status") == 0)
		return GW_AGENT_DSN;
	return GW_AGENT_MESSAGE;
}

/* Log and audit the outcome; a failed audit write fails the message. */
static int
report(struct job *j, const char *mail_from, const char *msg, size_t len,
       const struct gw_agent_result *res, int rc, struct gw_err *err)
{
	struct gw_audit_event ev = {0};
	char detail[400], msgid[256] = "";
	size_t hlen, body;
	struct gw_err aerr;

	gw_mimescan_split(msg, len, &hlen, &body);
	if (gw_mimescan_field(msg, hlen, "Message-ID", 0, &j->hdr))
		snprintf(msgid, sizeof(msgid), "%.200s", j->hdr.data);
	if (rc != 0) {
		gw_log_warn(j->tx,
			    "agent: refused status=%s mail_from=%.100s "
			    "rcpt=%s message_id=%s reason=%s",
			    err->status, mail_from ? mail_from : "",
			    j->nrcpt > 0 ? j->rcpt[0] : "-", msgid, err->msg);
		snprintf(detail, sizeof(detail), "%s %s", err->status,
			 err->msg);
	} else {
		gw_log_info(j->tx,
			    "agent: accepted from=%s rcpts=%zu signer=%.16s "
			    "wrapped=%d message_id=%s",
			    res->sender, j->nrcpt, res->signers[0],
			    res->wrapped, msgid);
		snprintf(detail, sizeof(detail), "signer=%s", res->signers[0]);
	}
	if (j->a->store == NULL || (rc == 0 && j->a->caller_audits_accept))
		return rc;
	ev.txid = j->tx;
	ev.event = rc == 0 ? "direct.accepted" : "direct.refused";
	ev.client = mail_from != NULL ? mail_from : "";
	ev.message_id = msgid;
	ev.outcome = rc == 0 ? "success" : "failure";
	ev.detail = detail;
	if (gw_store_audit_add(j->a->store, &ev, &aerr) != 0) {
		gw_log_err(j->tx, "agent: audit: %s", aerr.msg);
		if (rc == 0) {
			*err = aerr;
			return aerr.code != 0 ? aerr.code : GW_ETEMP;
		}
	}
	return rc;
}

int
gw_agent_incoming(struct gw_agent *a, const char *mail_from,
		  const char *const *rcpts, size_t nrcpts, const void *msg,
		  size_t len, struct gw_agent_result *res, struct gw_err *err)
{
	const struct gw_smime_verify_opts vo = {.allow_sha1 = a->allow_sha1};
	size_t max = a->max_size != 0 ? a->max_size : DEFAULT_MAX;
	struct job j = {.a = a, .tx = a->txid != NULL ? a->txid : "-"};
	int rc;

	j.now = a->now != 0 ? a->now : time(NULL);
	gw_buf_init(&j.dec, max);
	gw_buf_init(&j.hdr, 64 * 1024);
	gw_smime_verify_result_init(&j.vr, max);
	gw_buf_reset(&res->message);
	res->nsigners = 0;
	res->wrapped = res->sender_differs = false;
	res->sender[0] = '\0';
	res->kind = GW_AGENT_MESSAGE;
	if ((rc = recipients(&j, rcpts, nrcpts, err)) != 0)
		goto out;
	if ((rc = gw_smime_decrypt(msg, len, j.keys, j.nkeys, &j.dec, err)) !=
	    0)
		goto out;
	if ((rc = gw_smime_verify(j.dec.data, j.dec.len, &vo, &j.vr, err)) != 0)
		goto out;
	if ((rc = inner_message(&j, msg, len, res, err)) != 0 ||
	    (rc = sender(&j, mail_from, msg, len, res, err)) != 0 ||
	    (rc = trust(&j, res, err)) != 0 ||
	    (rc = protected_rcpts(&j, res, err)) != 0)
		goto out;
	res->kind = kind_of(&j, res);
out:
	rc = report(&j, mail_from, msg, len, res, rc, err);
	if (rc != 0) {
		if (res->message.data != NULL)
			gw_wipe(res->message.data, res->message.len);
		gw_buf_reset(&res->message);
		res->nsigners = 0;
	}
	if (j.dec.data != NULL)
		gw_wipe(j.dec.data, j.dec.len);
	gw_buf_dispose(&j.dec);
	gw_buf_dispose(&j.hdr);
	gw_smime_verify_result_dispose(&j.vr);
	gw_smime_certs_free(j.keys, j.nkeys);
	free(j.rcpt);
	free(j.addrs);
	return rc;
}
