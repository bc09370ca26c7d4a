/*
 * NAME
 *	xdrcli - ITI-41 client on gSOAP
 * DESCRIPTION
 *	The metadata is read into a gSOAP DOM from its XML text and wrapped
 *	in xds:ProvideAndRegisterDocumentSetRequest; each document becomes an
 *	xds:Document holding an xop:Include whose cid names its MIME part.
 *	Everything gSOAP allocates dies with the context at the end of the
 *	call; results are copied out first.
 */
#include "xdrcli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soapH.h"

#include "buf.h"
#include "config.h"
#include "id.h"
#include "mem.h"
#include "spool.h"
#include "tls.h"

#define NS_XDS     "urn:ihe:iti:xds-b:2007"
#define NS_XOP     "http://www.w3.org/2004/08/xop/include"
#define ACTION     "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
#define RS_OK      "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
#define RS_PARTIAL "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
#define SEV_ERROR  "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"

static char *
dup_or_null(const char *s)
{
	return s ? gw_xstrdup(s) : NULL;
}

static int
setup_tls(struct soap *soap, const struct gw_xdrcli_req *req,
	  struct gw_err *err)
{
	char host[256];
	const char *hp = req->endpoint + 8; /* after https:// */
	size_t n = strcspn(hp, "/");
	int port;

	if (n >= sizeof(host))
		return gw_err_set(err, GW_EPARSE, "5.1.3", "bad endpoint URL");
	memcpy(host, hp, n);
	host[n] = '\0';
	if (strchr(host, ':') != NULL &&
	    !gw_config_split_hostport(host, host, sizeof(host), &port))
		return gw_err_set(err, GW_EPARSE, "5.1.3", "bad endpoint URL");
	/* gSOAP's host matcher is replaced by OpenSSL's (GSOAP.md 7.7). */
	if (soap_ssl_client_context(
		soap,
		SOAP_SSL_DEFAULT | SOAP_SSL_SKIP_HOST_CHECK | SOAP_TLSv1_2 |
		    SOAP_TLSv1_3,
		req->tls_cert, NULL, req->tls_ca, NULL, NULL) != SOAP_OK)
		return gw_err_set(
		    err, GW_ERROR, "4.7.0", "TLS client setup failed: %s",
		    soap_fault_string(soap) ? soap_fault_string(soap) : "?");
	if (gw_tls_ctx_harden(soap->ctx, err) != 0 ||
	    gw_tls_ctx_verify_host(soap->ctx, host, err) != 0)
		return err->code;
	return 0;
}

static void
set_headers(struct soap *soap, const struct gw_xdrcli_req *req,
	    const char *msgid)
{
	struct SOAP_ENV__Header *h = soap_malloc(soap, sizeof(*h));

	soap_default_SOAP_ENV__Header(soap, h);
	h->wsa5__MessageID = soap_strdup(soap, msgid);
	h->wsa5__To = soap_strdup(soap, req->endpoint);
	h->wsa5__Action = soap_strdup(soap, ACTION);
	if (req->metadata_level != NULL)
		h->direct__metadata_level =
		    soap_strdup(soap, req->metadata_level);
	if (req->from != NULL || req->nto > 0 || req->relates_to != NULL) {
		struct direct__addressBlockType *ab =
		    soap_malloc(soap, sizeof(*ab));
		char buf[600];

		soap_default_direct__addressBlockType(soap, ab);
		if (req->from != NULL &&
		    snprintf(buf, sizeof(buf), "mailto:%s", req->from) > 0)
			ab->direct__from = soap_strdup(soap, buf);
		ab->__sizeto = (int)req->nto;
		ab->direct__to =
		    soap_malloc(soap, (req->nto + 1) * sizeof(char *));
		for (size_t i = 0; i < req->nto; i++)
			ab->direct__to[i] =
			    snprintf(buf, sizeof(buf), "mailto:%s",
				     req->to[i]) > 0
				? soap_strdup(soap, buf)
				: NULL;
		if (req->final_delivery)
			ab->direct__X_DIRECT_FINAL_DESTINATION_DELIVERY =
			    soap_strdup(soap, "true");
		if (req->relates_to != NULL)
			ab->direct__relatesTo =
			    soap_strdup(soap, req->relates_to);
		h->direct__addressBlock = ab;
	}
	soap->header = h;
}

/* The request body: metadata DOM + one xds:Document per document. */
/* The bytes of one document: given, or read from its file into *own. */
static int
doc_bytes(const struct gw_xdrcli_doc *d, char **own, const char **p,
	  size_t *len, struct gw_err *err)
{
	*p = d->data;
	*len = d->len;
	if (d->data != NULL || d->path == NULL)
		return 0;
	if (gw_spool_file_read(d->path, GW_XDRCLI_DOC_MAX, own, len, err) < 0)
		return err->code;
	*p = *own;
	return 0;
}

static struct soap_dom_element *
build_body(struct soap *soap, const struct gw_xdrcli_req *req, char **own,
	   struct gw_err *err)
{
	struct soap_dom_element *body, *sor;
	char *md = soap_malloc(soap, req->metadata_len + 1);

	memcpy(md, req->metadata, req->metadata_len);
	md[req->metadata_len] = '\0';
	sor = soap_elt_new(soap, NULL, NULL);
	soap->is = md;
	if (soap_begin_recv(soap) ||
	    soap_get_xsd__anyType(soap, sor, NULL, NULL) == NULL ||
	    soap_end_recv(soap)) {
		gw_err_set(err, GW_EPARSE, "5.6.0",
			   "metadata is not well-formed XML: %s",
			   soap_fault_string(soap) ? soap_fault_string(soap)
						   : "?");
		soap->is = NULL;
		return NULL;
	}
	soap->is = NULL;
	body = soap_elt_new(soap, NS_XDS,
			    "xds:ProvideAndRegisterDocumentSetRequest");
	soap_add_elt(body, sor);
	for (size_t i = 0; i < req->ndocs; i++) {
		const struct gw_xdrcli_doc *d = &req->docs[i];
		struct soap_dom_element *de =
		    soap_elt_new(soap, NS_XDS, "xds:Document");
		char cid[300];
		const char *bytes;
		size_t blen;

		if (doc_bytes(d, &own[i], &bytes, &blen, err) < 0)
			return NULL;
		soap_att_text(soap_att(de, NULL, "id"), d->id);
		if (d->content_id != NULL
			? snprintf(cid, sizeof(cid), "%s", d->content_id) >=
			      (int)sizeof(cid)
			: snprintf(cid, sizeof(cid), "doc%zu@dxgw", i + 1) <
			      0) {
			gw_err_set(err, GW_EPARSE, "5.6.0",
				   "Content-ID too long");
			return NULL;
		}
		if (req->inline_base64) {
			soap_elt_text(
			    de,
			    soap_s2base64(soap, (const unsigned char *)bytes,
					  NULL, (int)blen));
		} else {
			struct soap_dom_element *inc =
			    soap_elt_new(soap, NS_XOP, "xop:Include");
			char href[310], angle[310];

			if (snprintf(href, sizeof(href), "cid:%s", cid) < 0 ||
			    snprintf(angle, sizeof(angle), "<%s>", cid) < 0)
				return NULL;
			soap_att_text(soap_att(inc, NULL, "href"), href);
			soap_add_elt(de, inc);
			soap_set_mime_attachment(
			    soap, (char *)bytes, blen, SOAP_MIME_BINARY,
			    d->mime_type ? d->mime_type
					 : "application/octet-stream",
			    soap_strdup(soap, angle), NULL, NULL);
		}
		soap_add_elt(body, de);
	}
	return body;
}

static void
copy_result(struct soap *soap, const struct rs__RegistryResponseType *resp,
	    struct gw_xdrcli_result *res)
{
	const struct rs__RegistryErrorList *l = resp->rs__RegistryErrorList;

	res->status = dup_or_null(resp->status);
	res->success = resp->status != NULL && strcmp(resp->status, RS_OK) == 0;
	res->partial =
	    resp->status != NULL && strcmp(resp->status, RS_PARTIAL) == 0;
	if (soap->header && soap->header->wsa5__RelatesTo)
		res->relates_to =
		    dup_or_null(soap->header->wsa5__RelatesTo->__item);
	if (l == NULL || l->__sizeRegistryError <= 0)
		return;
	res->nerrors = (size_t)l->__sizeRegistryError;
	res->errors = gw_xcalloc(res->nerrors, sizeof(*res->errors));
	for (size_t i = 0; i < res->nerrors; i++) {
		const struct rs__RegistryError *e = &l->rs__RegistryError[i];

		res->errors[i].code = dup_or_null(e->errorCode);
		res->errors[i].context = dup_or_null(e->codeContext);
		res->errors[i].location = dup_or_null(e->location);
		res->errors[i].severity = dup_or_null(e->severity);
	}
}

/* "Sender" from "SOAP-ENV:Sender" (SOAP 1.2) or "SOAP-ENV:Client" (1.1). */
static char *
fault_code(struct soap *soap)
{
	const char **c = soap_faultcode(soap);
	const char *v = c != NULL ? *c : NULL;
	const char *colon = v != NULL ? strrchr(v, ':') : NULL;

	return dup_or_null(colon != NULL ? colon + 1 : v);
}

/* One line for the sender's report: the first Error, or the fault. */
static void
set_reason(int rc, struct gw_xdrcli_result *res, const struct gw_err *err)
{
	struct gw_buf b;

	if (res->cls == GW_XDRCLI_OK)
		return;
	gw_buf_init(&b, 1024);
	if (rc == 0) {
		const struct gw_xdrcli_error *e = NULL;

		for (size_t i = 0; i < res->nerrors && e == NULL; i++)
			if (res->errors[i].severity == NULL ||
			    strcmp(res->errors[i].severity, SEV_ERROR) == 0)
				e = &res->errors[i];
		if (e != NULL)
			gw_buf_printf(&b, "%.200s: %.300s%s%.100s",
				      e->code ? e->code : "?",
				      e->context ? e->context : "",
				      e->location ? " at " : "",
				      e->location ? e->location : "");
		else
			gw_buf_printf(&b, "RegistryResponse status %.200s",
				      res->status ? res->status : "missing");
	} else if (res->fault != NULL && res->http_status < 100) {
		gw_buf_printf(&b, "SOAP fault %.20s%s%.100s: %.500s",
			      res->fault_code ? res->fault_code : "?",
			      res->fault_subcode ? " " : "",
			      res->fault_subcode ? res->fault_subcode : "",
			      res->fault);
	} else {
		gw_buf_puts(&b, err->msg);
	}
	res->reason = gw_buf_take(&b);
}

enum gw_xdrcli_class
gw_xdrcli_classify(int rc, const struct gw_xdrcli_result *res)
{
	int h = res->http_status;

	if (rc == 0)
		return res->success || res->partial ? GW_XDRCLI_OK
						    : GW_XDRCLI_PERM;
	if (rc == GW_EPARSE && res->fault != NULL) {
		/* A fault that came with a 5xx is the server's trouble. */
		if (res->fault_code != NULL &&
		    (strcmp(res->fault_code, "Receiver") == 0 ||
		     strcmp(res->fault_code, "Server") == 0))
			return GW_XDRCLI_TEMP;
		return GW_XDRCLI_PERM;
	}
	if (rc == GW_EUNAVAIL && h >= 400 && h < 500 && h != 408 && h != 429)
		return GW_XDRCLI_PERM;
	if (rc == GW_EUNAVAIL || rc == GW_ETEMP)
		return GW_XDRCLI_TEMP;
	return GW_XDRCLI_PERM; /* a bad URL, request or document */
}

const char *
gw_xdrcli_class_name(enum gw_xdrcli_class c)
{
	return c == GW_XDRCLI_OK     ? "ok"
	       : c == GW_XDRCLI_TEMP ? "temporary"
				     : "permanent";
}

/* POST the request on soap; rc as gw_xdrcli_send. */
static int
call(struct soap *soap, const struct gw_xdrcli_req *req, const char *msgid,
     char **own, struct gw_xdrcli_result *res, struct gw_err *err)
{
	struct rs__RegistryResponseType resp;
	struct soap_dom_element *body;
	int rc = 0;

	soap->connect_timeout = req->timeout > 0 ? req->timeout : 30;
	soap->recv_timeout = soap->send_timeout = soap->connect_timeout;
	if (strncmp(req->endpoint, "https://", 8) == 0) {
		if ((rc = setup_tls(soap, req, err)) != 0)
			return rc;
	} else if (strncmp(req->endpoint, "http://", 7) != 0) {
		return gw_err_set(
		    err, GW_EPARSE, "5.1.3",
		    "endpoint must be an http:// or https:// URL");
	}
	/*
	 * Always multipart/related XOP, even with inline base64 (ETT). Set
	 * before the attachments: soap_set_mime() starts a new part list.
	 */
	soap_set_mime(soap, NULL, "<rootpart@dxgw>");
	body = build_body(soap, req, own, err);
	if (body == NULL)
		return err->code < 0 ? err->code : GW_EPARSE;
	set_headers(soap, req, msgid);
	soap_default_rs__RegistryResponseType(soap, &resp);
	if (soap_call___xds__PnR(soap, req->endpoint, ACTION, body, &resp) ==
	    SOAP_OK) {
		res->http_status = soap->status;
		copy_result(soap, &resp, res);
	} else if (soap->error > 0 && soap->error < 100 &&
		   soap->error != SOAP_EOF && soap->error != SOAP_TCP_ERROR &&
		   soap->error != SOAP_SSL_ERROR) {
		res->fault = dup_or_null(soap_fault_string(soap)
					     ? soap_fault_string(soap)
					     : "SOAP fault");
		res->fault_subcode = dup_or_null(soap_fault_subcode(soap));
		res->fault_code = fault_code(soap);
		res->http_status = soap->status;
		rc = GW_EPARSE;
	} else {
		const char *s = soap_fault_string(soap);
		const char *d = soap_fault_detail(soap);

		rc = gw_err_set(err, GW_EUNAVAIL, "4.4.1",
				"no response from %s (%s%s%s)", req->endpoint,
				s ? s : "connection failed", d ? ": " : "",
				d ? d : "");
		if (soap->error >= 100) {
			res->fault = dup_or_null(s);
			res->http_status = soap->error;
			rc = gw_err_set(err, GW_EUNAVAIL, "4.4.1",
					"HTTP error %d from %s", soap->error,
					req->endpoint);
		}
	}
	return rc;
}

int
gw_xdrcli_send(const struct gw_xdrcli_req *req, struct gw_xdrcli_result *res,
	       struct gw_err *err)
{
	struct soap *soap = soap_new2(SOAP_C_UTFSTRING | SOAP_XML_TREE,
				      SOAP_C_UTFSTRING | SOAP_ENC_MTOM);
	char **own = gw_xcalloc(req->ndocs + 1, sizeof(*own));
	char msgid[GW_ID_UUID_LEN + 9];
	int rc;

	memset(res, 0, sizeof(*res));
	gw_err_clear(err);
	if (req->message_id != NULL) {
		snprintf(msgid, sizeof(msgid), "%s", req->message_id);
	} else {
		memcpy(msgid, "urn:uuid:", 9);
		gw_id_uuid(msgid + 9);
	}
	res->message_id = gw_xstrdup(msgid);
	rc = call(soap, req, msgid, own, res, err);
	res->cls = gw_xdrcli_classify(rc, res);
	set_reason(rc, res, err);
	soap_destroy(soap);
	soap_end(soap);
	soap_free(soap);
	for (size_t i = 0; i < req->ndocs; i++)
		free(own[i]);
	free(own);
	return rc;
}

void
gw_xdrcli_result_dispose(struct gw_xdrcli_result *res)
{
	for (size_t i = 0; i < res->nerrors; i++) {
		free(res->errors[i].code);
		free(res->errors[i].context);
		free(res->errors[i].location);
		free(res->errors[i].severity);
	}
	free(res->errors);
	free(res->status);
	free(res->message_id);
	free(res->relates_to);
	free(res->fault);
	free(res->fault_subcode);
	free(res->fault_code);
	free(res->reason);
	memset(res, 0, sizeof(*res));
}
