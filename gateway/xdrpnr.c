/*
 * NAME
 *	xdrpnr - the ITI-41 ProvideAndRegisterDocumentSet-b operation
 * SUMMARY
 *	Turns one received SOAP request into either a SOAP fault (malformed
 *	transport, envelope or addressing) or an ebRS RegistryResponse:
 *	Failure with RegistryErrors, or Success once the submission and its
 *	documents are durably in the store.
 * DESCRIPTION
 *	Order (SPEC.md 4.10): MTOM packaging, SOAP version, WS-Addressing,
 *	idempotence on (client, wsa:MessageID), body shape, xds:Document to
 *	MIME part pairing, metadata parse and rules (xdsxml, xds), client
 *	authorisation, durable accept, reply. The SubmitObjectsRequest DOM
 *	is serialised and parsed again by libxml2: one XML stack for XDR,
 *	XDM and C-CDA (GSOAP.md 6).
 * STANDARDS
 *	ITI TF-2 3.41, ITI TF-3 4.2.4 (RegistryResponse, error codes);
 *	WS-Addressing 1.0 SOAP Binding 6 (faults); XOP 1.0.
 * SECURITY
 *	No outbound connection is opened because of a request: ReplyTo and
 *	FaultTo must be anonymous. Logs carry ids and codes, no PHI.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soapH.h"

#include "acl.h"
#include "buf.h"
#include "id.h"
#include "log.h"
#include "mem.h"
#include "outbound.h"
#include "spool.h"
#include "store.h"
#include "xds.h"
#include "xdsxml.h"
#include "xdrsrv_int.h"

#define NS_XDS    "urn:ihe:iti:xds-b:2007"
#define NS_LCM    "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
#define NS_XOP    "http://www.w3.org/2004/08/xop/include"
#define WSA_ANON  "http://www.w3.org/2005/08/addressing/anonymous"
#define WSA_FAULT "http://www.w3.org/2005/08/addressing/soap/fault"
#define RS_OK     "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
#define RS_FAIL   "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"

static const char *
local_name(const char *name)
{
	const char *c = name ? strchr(name, ':') : NULL;

	return c ? c + 1 : (name ? name : "");
}

static bool
is_elt(const struct soap_dom_element *e, const char *ns, const char *local)
{
	return e != NULL && e->nstr != NULL && strcmp(e->nstr, ns) == 0 &&
	       strcmp(local_name(e->name), local) == 0;
}

static const char *
attr(const struct soap_dom_element *e, const char *local)
{
	for (const struct soap_dom_attribute *a = e->atts; a; a = a->next)
		if (strcmp(local_name(a->name), local) == 0 &&
		    (a->nstr == NULL || a->nstr[0] == '\0'))
			return a->text;
	return NULL;
}

/* Reply headers are ours, never an echo of the request (GSOAP.md 4.1). */
static void
set_reply_header(struct soap *soap, const char *action, const char *relates)
{
	struct SOAP_ENV__Header *h = soap_malloc(soap, sizeof(*h));
	char id[GW_ID_UUID_LEN + 9];

	soap_default_SOAP_ENV__Header(soap, h);
	memcpy(id, "urn:uuid:", 9);
	gw_id_uuid(id + 9);
	h->wsa5__MessageID = soap_strdup(soap, id);
	h->wsa5__Action = soap_strdup(soap, action);
	if (relates != NULL) {
		h->wsa5__RelatesTo =
		    soap_malloc(soap, sizeof(*h->wsa5__RelatesTo));
		soap_default_wsa5__RelatesToType(soap, h->wsa5__RelatesTo);
		h->wsa5__RelatesTo->__item = soap_strdup(soap, relates);
	}
	soap->header = h;
}

static int fault(struct soap *soap, const char *subcode, const char *relates,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void audit(struct gw_xdrreq *rq, const char *event, const char *txid,
		  const char *msgid, const char *outcome, const char *detail);

/* A SOAP 1.2 Sender fault, optionally with a WS-A subcode. */
static int
fault(struct soap *soap, const char *subcode, const char *relates,
      const char *fmt, ...)
{
	struct gw_xdrreq *rq = soap->user;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	gw_log_notice(rq->txid, "fault client=%s peer=%s: %s", rq->client,
		      rq->peer, msg);
	/* A fault rejects a submission too: who, when, why (our text). */
	{
		char detail[200];

		if (snprintf(detail, sizeof(detail), "%s: %.150s",
			     subcode ? subcode : "env:Sender", msg) < 0)
			detail[0] = '\0';
		audit(rq, "xdr.fault", rq->txid, relates, "failure", detail);
	}
	set_reply_header(soap, WSA_FAULT, relates);
	if (subcode != NULL)
		return soap_sender_fault_subcode(soap, subcode, msg, NULL);
	return soap_sender_fault(soap, msg, NULL);
}

/* Percent-decode a cid: URL (RFC 2392) into out; false if malformed. */
static bool
cid_decode(const char *href, char *out, size_t outlen)
{
	size_t n = 0;

	if (strncasecmp(href, "cid:", 4) != 0)
		return false;
	for (const char *p = href + 4; *p != '\0'; p++) {
		int c = (unsigned char)*p;

		if (c == '%') {
			unsigned v;
			char hex[3] = {p[1], p[1] ? p[2] : 0, 0};
			char *end;

			v = (unsigned)strtoul(hex, &end, 16);
			if (end != hex + 2)
				return false;
			c = (int)v;
			p += 2;
		}
		if (n + 1 >= outlen)
			return false;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0;
}

/* Adds an inline (base64) document to rq->parts as a spool file. */
static int
spool_inline(struct soap *soap, const char *text, const char *docid,
	     struct gw_xdrpart **out)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_spool_file *f = NULL;
	struct gw_err err;
	const char *bin;
	int n = 0;

	bin = soap_base642s(soap, text, NULL, 0, &n);
	if (bin == NULL || n < 0)
		return fault(
		    soap, NULL, NULL,
		    "xds:Document id=\"%s\": content is neither base64 nor "
		    "an xop:Include",
		    docid);
	if (gw_spool_file_new(rq->spool, &f, &err) != 0 ||
	    gw_spool_file_write(f, bin, (size_t)n, &err) != 0 ||
	    gw_spool_file_finish(f, &err) != 0) {
		gw_spool_file_discard(f);
		gw_log_err(rq->txid, "spool: %s", err.msg);
		return soap_receiver_fault(soap, "cannot store the document",
					   NULL);
	}
	if (rq->nparts == rq->capparts) {
		rq->capparts = rq->capparts ? rq->capparts * 2 : 4;
		rq->parts =
		    gw_xrealloc(rq->parts, rq->capparts * sizeof(rq->parts[0]));
	}
	rq->parts[rq->nparts].cid = NULL;
	rq->parts[rq->nparts].file = f;
	rq->parts[rq->nparts].used = true;
	*out = &rq->parts[rq->nparts++];
	return SOAP_OK;
}

struct body {
	const struct soap_dom_element *sor; /* lcm:SubmitObjectsRequest */
	struct gw_xds_part *parts;          /* one per xds:Document */
	struct gw_spool_file **files;
	const char **cids; /* Content-ID per document, NULL when inline */
	size_t ndocs;
};

/* Pair each xds:Document with its bytes (XOP part or inline base64). */
static int
read_body(struct soap *soap, const struct soap_dom_element *req, struct body *b,
	  const char *msgid)
{
	struct gw_xdrreq *rq = soap->user;
	size_t cap = 0;

	if (!is_elt(req, NS_XDS, "ProvideAndRegisterDocumentSetRequest"))
		return fault(soap, NULL, msgid,
			     "the Body must hold "
			     "xds:ProvideAndRegisterDocumentSetRequest");
	for (const struct soap_dom_element *e = req->elts; e; e = e->next) {
		const struct soap_dom_element *inc = NULL;
		struct gw_xdrpart *part = NULL;
		const char *id;

		if (is_elt(e, NS_LCM, "SubmitObjectsRequest")) {
			if (b->sor != NULL)
				return fault(
				    soap, NULL, msgid,
				    "more than one lcm:SubmitObjectsRequest");
			b->sor = e;
			continue;
		}
		if (!is_elt(e, NS_XDS, "Document"))
			return fault(soap, NULL, msgid,
				     "unexpected element '%s' in "
				     "ProvideAndRegisterDocumentSetRequest",
				     local_name(e->name));
		id = attr(e, "id");
		if (id == NULL || id[0] == '\0')
			return fault(soap, NULL, msgid,
				     "xds:Document without an id attribute");
		for (const struct soap_dom_element *c = e->elts; c; c = c->next)
			if (is_elt(c, NS_XOP, "Include"))
				inc = c;
		if (inc != NULL) {
			const char *href = attr(inc, "href");
			char cid[512];

			if (href == NULL || !cid_decode(href, cid, sizeof(cid)))
				return fault(
				    soap, NULL, msgid,
				    "xds:Document id=\"%s\": xop:Include needs "
				    "href=\"cid:...\"",
				    id);
			for (size_t i = 0; i < rq->nparts; i++)
				if (rq->parts[i].cid != NULL &&
				    strcmp(rq->parts[i].cid, cid) == 0)
					part = &rq->parts[i];
			if (part == NULL)
				return fault(
				    soap, NULL, msgid,
				    "xds:Document id=\"%s\": xop:Include "
				    "href=\"%s\" names no MIME part",
				    id, href);
			if (part->used)
				return fault(
				    soap, NULL, msgid,
				    "MIME part <%s> is referenced twice", cid);
			part->used = true;
		} else if (spool_inline(soap, e->text ? e->text : "", id,
					&part) != SOAP_OK) {
			return soap->error;
		}
		if (b->ndocs == cap) {
			cap = cap ? cap * 2 : 4;
			b->parts =
			    gw_xrealloc(b->parts, cap * sizeof(*b->parts));
			b->files =
			    gw_xrealloc(b->files, cap * sizeof(*b->files));
			b->cids = gw_xrealloc(b->cids, cap * sizeof(*b->cids));
		}
		b->files[b->ndocs] = part->file;
		b->cids[b->ndocs] = part->cid;
		b->parts[b->ndocs].id = id;
		b->parts[b->ndocs].size = gw_spool_file_size(part->file);
		b->parts[b->ndocs].sha1 = gw_spool_file_sha1(part->file);
		b->ndocs++;
	}
	if (b->sor == NULL)
		return fault(soap, NULL, msgid,
			     "no lcm:SubmitObjectsRequest in the request");
	for (size_t i = 0; i < rq->nparts; i++)
		if (!rq->parts[i].used)
			return fault(soap, NULL, msgid,
				     "MIME part <%s> is not referenced by any "
				     "xds:Document",
				     rq->parts[i].cid);
	return SOAP_OK;
}

/*
 * Serialise a DOM subtree with all its namespace declarations, with the
 * worker's scratch context (a gSOAP context is 160 KB: not one per call).
 */
static int
dom_to_xml(struct soap *ctx, const struct soap_dom_element *e,
	   struct gw_buf *out)
{
	const char *str = NULL;
	int rc = 0;

	ctx->os = &str;
	soap_serialize_xsd__anyType(ctx, e);
	if (soap_begin_send(ctx) ||
	    soap_put_xsd__anyType(ctx, e, "xsd:anyType", "") ||
	    soap_end_send(ctx) || str == NULL)
		rc = GW_EPARSE;
	else if (gw_buf_puts(out, str) != 0)
		rc = GW_ELIMIT;
	ctx->os = NULL;
	soap_destroy(ctx);
	soap_end(ctx);
	return rc;
}

/* ebRS RegistryErrorList from our error list (NULL when empty). */
static struct rs__RegistryErrorList *
error_list(struct soap *soap, const struct gw_xds_errors *errs)
{
	struct rs__RegistryErrorList *l;
	bool any_error = false;

	if (errs->n == 0)
		return NULL;
	l = soap_malloc(soap, sizeof(*l));
	soap_default_rs__RegistryErrorList(soap, l);
	l->__sizeRegistryError = (int)errs->n;
	l->rs__RegistryError =
	    soap_malloc(soap, errs->n * sizeof(*l->rs__RegistryError));
	for (size_t i = 0; i < errs->n; i++) {
		struct rs__RegistryError *r = &l->rs__RegistryError[i];
		const struct gw_xds_error *x = &errs->v[i];

		soap_default_rs__RegistryError(soap, r);
		r->errorCode = soap_strdup(soap, x->code);
		r->codeContext =
		    soap_strdup(soap, x->context ? x->context : "");
		r->location =
		    x->location ? soap_strdup(soap, x->location) : NULL;
		r->severity =
		    soap_strdup(soap, gw_xds_severity_urn(x->severity));
		if (x->severity == GW_XDS_SEV_ERROR)
			any_error = true;
	}
	l->highestSeverity = soap_strdup(
	    soap, gw_xds_severity_urn(any_error ? GW_XDS_SEV_ERROR
						: GW_XDS_SEV_WARNING));
	return l;
}

/* "XDSMissingDocument,XDSRegistryMetadataError" for the audit row. */
static void
error_codes(const struct gw_xds_errors *errs, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < errs->n && n + 1 < len; i++) {
		int w = snprintf(out + n, len - n, "%s%s", n ? "," : "",
				 errs->v[i].code);

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

static void
audit(struct gw_xdrreq *rq, const char *event, const char *txid,
      const char *msgid, const char *outcome, const char *detail)
{
	struct gw_audit_event ev = {
	    .txid = txid,
	    .event = event,
	    .client = rq->client,
	    .client_cert = rq->has_cert ? rq->client_fp : NULL,
	    .peer = rq->peer,
	    .message_id = msgid,
	    .outcome = outcome,
	    .detail = detail,
	};
	struct gw_err err;

	if (rq->store == NULL)
		return; /* ehr-sink: no store, no audit trail */
	if (gw_store_audit_add(rq->store, &ev, &err) != 0)
		gw_log_err(rq->txid, "audit write failed: %s", err.msg);
}

/* Check transport and addressing; SOAP_OK or a fault already set. */
static int
check_envelope(struct soap *soap, const char **msgid_out)
{
	struct gw_xdrreq *rq = soap->user;
	struct SOAP_ENV__Header *h = soap->header;
	const char *msgid = h ? h->wsa5__MessageID : NULL;

	*msgid_out = msgid;
	if (rq->xs.doctype)
		return fault(
		    soap, NULL, msgid,
		    "a DTD (DOCTYPE) is not allowed in a SOAP message");
	if (rq->xs.max_depth > (unsigned)rq->cfg->max_xml_depth)
		return fault(soap, NULL, msgid,
			     "XML nesting depth %u exceeds max_xml_depth (%ld)",
			     rq->xs.max_depth, rq->cfg->max_xml_depth);
	if (soap->version == 1) {
		gw_log_notice(rq->txid, "SOAP 1.1 envelope refused peer=%s",
			      rq->peer);
		return soap->error = SOAP_VERSIONMISMATCH;
	}
	if (soap->version != 2) {
		/* Plain XML without an Envelope: answer as SOAP 1.2 anyway. */
		soap->version = 2;
		return fault(soap, NULL, NULL,
			     "not a SOAP message: the root element must be a "
			     "SOAP 1.2 env:Envelope");
	}
	if (!rq->ct_multipart || !rq->ct_xop)
		return fault(
		    soap, NULL, msgid,
		    "ITI-41 requires MTOM/XOP: the request must be "
		    "multipart/related with type=\"application/xop+xml\"");
	if (h == NULL || h->wsa5__Action == NULL)
		return fault(soap, "wsa5:MessageAddressingHeaderRequired",
			     msgid, "wsa:Action header is required");
	if (strcmp(h->wsa5__Action, GW_PNR_ACTION) != 0)
		return fault(
		    soap, "wsa5:ActionNotSupported", msgid,
		    "wsa:Action '%s' is not supported here; expected %s",
		    h->wsa5__Action, GW_PNR_ACTION);
	if (msgid == NULL || msgid[0] == '\0')
		return fault(soap, "wsa5:MessageAddressingHeaderRequired", NULL,
			     "wsa:MessageID header is required");
	if (strlen(msgid) > 255)
		return fault(soap, "wsa5:InvalidAddressingHeader", NULL,
			     "wsa:MessageID longer than 255 characters");
	if ((h->wsa5__ReplyTo && h->wsa5__ReplyTo->Address &&
	     strcmp(h->wsa5__ReplyTo->Address, WSA_ANON) != 0) ||
	    (h->wsa5__FaultTo && h->wsa5__FaultTo->Address &&
	     strcmp(h->wsa5__FaultTo->Address, WSA_ANON) != 0))
		return fault(
		    soap, "wsa5:OnlyAnonymousAddressSupported", msgid,
		    "wsa:ReplyTo and wsa:FaultTo must be anonymous: the "
		    "response is sent on this connection");
	return SOAP_OK;
}

/* The Direct addressing headers (standalone or inside addressBlock). */
static void
read_addressing(struct soap *soap, struct gw_xds_addressing *a)
{
	struct SOAP_ENV__Header *h = soap->header;
	struct direct__addressBlockType *ab =
	    h ? h->direct__addressBlock : NULL;

	memset(a, 0, sizeof(*a));
	if (h == NULL)
		return;
	a->metadata_level = h->direct__metadata_level;
	if (ab == NULL)
		return;
	a->from = ab->direct__from;
	a->to = (const char *const *)ab->direct__to;
	a->nto = ab->__sizeto > 0 ? (size_t)ab->__sizeto : 0;
	if (a->metadata_level == NULL)
		a->metadata_level = ab->direct__metadata_level;
}

/* X-DIRECT-FINAL-DESTINATION-DELIVERY: "true" (any case) or "1". */
static bool
addr_final_delivery(struct soap *soap)
{
	struct SOAP_ENV__Header *h = soap->header;
	const char *v = h && h->direct__addressBlock
			    ? h->direct__addressBlock
				  ->direct__X_DIRECT_FINAL_DESTINATION_DELIVERY
			    : NULL;

	return v != NULL && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static const char *
addr_relates_to(struct soap *soap)
{
	struct SOAP_ENV__Header *h = soap->header;

	return h && h->direct__addressBlock
		   ? h->direct__addressBlock->direct__relatesTo
		   : NULL;
}

static void
respond(struct soap *soap, struct rs__RegistryResponseType *resp,
	const char *status, const struct gw_xds_errors *errs, const char *msgid)
{
	struct gw_xdrreq *rq = soap->user;
	char host[300], boundary[64];

	soap_default_rs__RegistryResponseType(soap, resp);
	resp->status = (char *)status;
	resp->rs__RegistryErrorList = error_list(soap, errs);
	set_reply_header(soap, GW_PNR_RESPONSE_ACTION, msgid);
	/* IHE and NIST expect the response MTOM-packaged (GSOAP.md 2.3). */
	if (snprintf(host, sizeof(host), "<rootpart@%s>", rq->cfg->hostname) <
	    0)
		host[0] = '\0';
	/*
	 * Our own boundary: the response holds only our XML, so the request's
	 * txid cannot occur in it, and gSOAP's random one costs a DRBG call
	 * per character.
	 */
	if (snprintf(boundary, sizeof(boundary), "==dxgw-%s==", rq->txid) < 0)
		boundary[0] = '\0';
	soap_set_mime(soap, soap_strdup(soap, boundary),
		      soap_strdup(soap, host));
}

/* A Failure RegistryResponse with errs, logged and audited. */
static void
reject(struct soap *soap, struct rs__RegistryResponseType *resp,
       const struct gw_xds_errors *errs, const char *msgid)
{
	struct gw_xdrreq *rq = soap->user;
	char codes[256];

	error_codes(errs, codes, sizeof(codes));
	gw_log_info(rq->txid, "rejected client=%s message-id=%s errors=%s",
		    rq->client, msgid, codes);
	audit(rq, "xdr.rejected", rq->txid, msgid, "failure", codes);
	respond(soap, resp, RS_FAIL, errs, msgid);
}

/*
 * Durably accept a validated submission (its audit row in the same
 * transaction). A concurrent copy with the same wsa:MessageID is a
 * duplicate: same answer, nothing stored twice. 0, or -1 with an XDS
 * error added.
 */
static int
store_submission(struct soap *soap, const struct gw_xds_submission *sub,
		 const struct body *b, const char *const *rcpt_failed,
		 const struct gw_buf *xml, const char *msgid,
		 const char *detail, struct gw_xds_errors *errs)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_store_doc *docs = gw_xcalloc(sub->nentries, sizeof(*docs));
	struct gw_audit_event ev = {
	    .event = "xdr.accepted",
	    .client = rq->client,
	    .client_cert = rq->has_cert ? rq->client_fp : NULL,
	    .peer = rq->peer,
	    .message_id = msgid,
	    .outcome = "success",
	    .detail = detail != NULL && detail[0] != '\0' ? detail : NULL,
	};
	struct gw_store_submission s = {
	    .client = rq->client,
	    .client_cert = ev.client_cert,
	    .peer = rq->peer,
	    .message_id = msgid,
	    .ss_unique_id = sub->ss_unique_id,
	    .sender = sub->sender,
	    .recipients = (const char *const *)sub->recipients,
	    .nrecipients = sub->nrecipients,
	    .rcpt_failed = rcpt_failed,
	    .docs = docs,
	    .ndocs = sub->nentries,
	    .metadata = xml->data,
	    .metadata_len = xml->len,
	    .metadata_level = sub->limited ? "minimal" : "XDS",
	    .final_delivery = addr_final_delivery(soap),
	    .relates_to = addr_relates_to(soap),
	    .audit = &ev,
	};
	char txid[64] = "";
	struct gw_err err;
	int rc = 0;

	for (size_t i = 0; i < sub->nentries; i++) {
		docs[i].entry_id = sub->entries[i].id;
		docs[i].unique_id = sub->entries[i].unique_id;
		docs[i].mime_type = sub->entries[i].mime_type;
		docs[i].file = b->files[sub->entries[i].part];
	}
	switch (gw_store_submission_accept(rq->store, &s, txid, &err)) {
	case 0:
		gw_log_info(rq->txid,
			    "accepted txid=%s client=%s message-id=%s "
			    "documents=%zu recipients=%zu",
			    txid, rq->client, msgid, sub->nentries,
			    sub->nrecipients);
		gw_outbound_kick(rq->ob);
		break;
	case GW_EEXISTS:
		audit(rq, "xdr.duplicate", txid, msgid, "success", NULL);
		break;
	default:
		gw_log_err(rq->txid, "store: %s", err.msg);
		gw_xds_errors_add(errs, GW_XDS_SEV_ERROR,
				  err.temp ? "XDSRepositoryOutOfResources"
					   : "XDSRepositoryError",
				  NULL,
				  "the gateway could not store the submission; "
				  "retry later");
		audit(rq, "xdr.rejected", rq->txid, msgid, "failure", "store");
		rc = -1;
	}
	free(docs);
	return rc;
}

/*
 * The accept function set by gw_xdrsrv_set_accept() takes the submission
 * instead of the store. 0, or -1 with an XDS error added.
 */
static int
hand_over(struct soap *soap, const struct gw_xds_submission *sub,
	  const struct body *b, const struct gw_buf *xml, const char *msgid,
	  struct gw_xds_errors *errs)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_xds_addressing addr;
	struct gw_xdrsrv_accepted a = {
	    .txid = rq->txid,
	    .client = rq->client,
	    .peer = rq->peer,
	    .message_id = msgid,
	    .sub = sub,
	    .files = b->files,
	    .content_ids = b->cids,
	    .nfiles = b->ndocs,
	    .metadata = xml->data,
	    .metadata_len = xml->len,
	};
	struct gw_err err;

	read_addressing(soap, &addr);
	a.direct_from = addr.from;
	a.direct_to = addr.to;
	a.ndirect_to = addr.nto;
	a.relates_to = addr_relates_to(soap);
	gw_err_clear(&err);
	if (rq->accept(rq->accept_arg, &a, &err) == 0) {
		gw_log_info(rq->txid,
			    "accepted client=%s message-id=%s documents=%zu",
			    rq->client, msgid, sub->nentries);
		return 0;
	}
	gw_log_err(rq->txid, "accept: %s", err.msg);
	gw_xds_errors_add(
	    errs, GW_XDS_SEV_ERROR,
	    err.temp ? "XDSRepositoryOutOfResources" : "XDSRepositoryError",
	    NULL, "the submission could not be stored; retry later");
	return -1;
}

/*
 * Issue 3 item 7: can the sender sign, and can each recipient be served
 * now? A recipient that cannot is UnknownRecipient (malformed, nothing
 * published) or UnavailableRecipient (certificates, none usable now):
 * an Error when nobody can be served, else a Warning, and that
 * recipient is stored as failed with the reason. Returns the reasons
 * (malloc'ed, one per recipient, NULL when it can be served) or NULL.
 */
static char **
check_recipients(struct gw_xdrreq *rq, const struct gw_xds_submission *sub,
		 struct gw_xds_errors *errs)
{
	char **why = gw_xcalloc(sub->nrecipients + 1, sizeof(*why));
	const char **code = gw_xcalloc(sub->nrecipients + 1, sizeof(*code));
	struct gw_err err;
	size_t nbad = 0;

	if (gw_outbound_check_sender(rq->ob, sub->sender, &err) < 0) {
		gw_xds_errors_add(errs, GW_XDS_SEV_ERROR, "XDSRepositoryError",
				  sub->ss_id, "cannot send as %s: %s",
				  sub->sender, err.msg);
		goto out;
	}
	for (size_t i = 0; i < sub->nrecipients; i++) {
		if (gw_outbound_check_recipient(rq->ob, sub->sender,
						sub->recipients[i], &err) == 0)
			continue;
		code[i] = err.code == GW_ENOTFOUND ? "UnknownRecipient"
						   : "UnavailableRecipient";
		why[i] = gw_xstrdup(err.msg);
		nbad++;
	}
	for (size_t i = 0; i < sub->nrecipients; i++)
		if (why[i] != NULL)
			gw_xds_errors_add(
			    errs,
			    nbad == sub->nrecipients ? GW_XDS_SEV_ERROR
						     : GW_XDS_SEV_WARNING,
			    code[i], sub->recipients[i], "%s", why[i]);
out:
	free(code);
	if (nbad == 0) {
		for (size_t i = 0; i < sub->nrecipients; i++)
			free(why[i]);
		free(why);
		return NULL;
	}
	return why;
}

int
__xds__PnR(struct soap *soap, struct soap_dom_element *req,
	   struct rs__RegistryResponseType *resp)
{
	struct gw_xdrreq *rq = soap->user;
	const struct gw_config *cfg = rq->cfg;
	struct gw_xds_limits lim = {
	    .max_depth = (unsigned)cfg->max_xml_depth,
	    .max_objects = (unsigned)cfg->max_metadata_objects,
	};
	struct gw_xds_submission *sub = NULL;
	struct gw_store_record *prev = NULL;
	char **rcpt_failed = NULL;
	struct gw_xds_addressing addr;
	struct gw_xds_errors errs;
	struct body b = {0};
	struct gw_buf xml;
	struct gw_err err;
	const char *msgid = NULL;
	char cda_detail[400];
	char why[300];
	int rc = SOAP_OK;

	gw_xds_errors_init(&errs);
	gw_buf_init(&xml, (size_t)cfg->max_request_size);
	/* Our role must not be stamped on reply headers (GSOAP.md 4.4). */
	soap->actor = NULL;
	if (rq->part_error) {
		gw_log_warn(rq->txid, "attachments refused: %s",
			    rq->part_errmsg);
		rc = rq->part_error == 500
			 ? soap_receiver_fault(soap, rq->part_errmsg, NULL)
			 : fault(soap, NULL, NULL, "%s", rq->part_errmsg);
		goto out;
	}
	rc = check_envelope(soap, &msgid);
	if (rc != SOAP_OK)
		goto out;
	/* A retransmission gets the answer of the first copy (WS-A 3.1). */
	if (rq->store != NULL &&
	    gw_store_submission_find(rq->store, rq->client, msgid, &prev,
				     &err) == 0) {
		gw_log_info(rq->txid, "duplicate of %s message-id=%s",
			    prev->txid, msgid);
		audit(rq, "xdr.duplicate", prev->txid, msgid, "success", NULL);
		respond(soap, resp, RS_OK, &errs, msgid);
		goto out;
	}
	rc = read_body(soap, req, &b, msgid);
	if (rc != SOAP_OK)
		goto out;
	if (dom_to_xml(rq->domctx, b.sor, &xml) != 0) {
		rc = fault(soap, NULL, msgid,
			   "cannot read lcm:SubmitObjectsRequest");
		goto out;
	}
	read_addressing(soap, &addr);
	if (gw_xdsxml_parse(xml.data, xml.len, &lim, &sub, &errs) == 0)
		gw_xds_validate(sub, b.parts, b.ndocs, &addr, &errs);
	if (!gw_xds_errors_failed(&errs) &&
	    !gw_acl_permits((const char *const *)cfg->client_allow,
			    cfg->nclient_allow, rq->client, rq->client_fp,
			    sub->sender, why, sizeof(why)))
		gw_xds_errors_add(&errs, GW_XDS_SEV_ERROR, "XDSRepositoryError",
				  sub->ss_id, "%s", why);
	if (gw_xds_errors_failed(&errs)) {
		reject(soap, resp, &errs, msgid);
		goto out;
	}
	if (!gw_xds_errors_failed(&errs) && rq->ob != NULL &&
	    cfg->recipient_check == 0)
		rcpt_failed = check_recipients(rq, sub, &errs);
	/* Last, the costliest: C-CDA schema and Schematron (SPEC 4.10). */
	if (!gw_xds_errors_failed(&errs))
		(void)gw_xdrcda_check(rq, sub, b.files, &errs, cda_detail,
				      sizeof(cda_detail));
	if (gw_xds_errors_failed(&errs)) {
		reject(soap, resp, &errs, msgid);
		goto out;
	}
	if (rq->accept != NULL
		? hand_over(soap, sub, &b, &xml, msgid, &errs) != 0
		: store_submission(soap, sub, &b,
				   (const char *const *)rcpt_failed, &xml,
				   msgid, cda_detail, &errs) != 0) {
		respond(soap, resp, RS_FAIL, &errs, msgid);
		goto out;
	}
	respond(soap, resp, RS_OK, &errs, msgid);
out:
	if (rcpt_failed != NULL)
		for (size_t i = 0; i < sub->nrecipients; i++)
			free(rcpt_failed[i]);
	free(rcpt_failed);
	gw_store_record_free(prev);
	gw_xds_submission_free(sub);
	gw_xds_errors_dispose(&errs);
	gw_buf_dispose(&xml);
	free(b.parts);
	free(b.files);
	free(b.cids);
	return rc;
}

/* wsa5.h declares a one-way Fault operation: a Fault is not a request. */
int
SOAP_ENV__Fault(struct soap *soap, char *faultcode, char *faultstring,
		char *faultactor, struct SOAP_ENV__Detail *detail,
		struct SOAP_ENV__Code *SOAP_ENV__Code,
		struct SOAP_ENV__Reason *SOAP_ENV__Reason, char *SOAP_ENV__Node,
		char *SOAP_ENV__Role, struct SOAP_ENV__Detail *SOAP_ENV__Detail)
{
	(void)faultcode, (void)faultstring, (void)faultactor, (void)detail;
	(void)SOAP_ENV__Code, (void)SOAP_ENV__Reason, (void)SOAP_ENV__Node;
	(void)SOAP_ENV__Role, (void)SOAP_ENV__Detail;
	soap->actor = NULL;
	return soap_sender_fault(soap, "a SOAP Fault is not a request", NULL);
}
