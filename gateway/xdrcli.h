/*
 * NAME
 *	xdrcli - ITI-41 Document Source client (gSOAP)
 * SUMMARY
 *	Sends one ProvideAndRegisterDocumentSet-b request: SOAP 1.2,
 *	WS-Addressing, the Direct addressing headers, and the documents as
 *	MTOM/XOP parts (or inline base64 when asked, as ETT sends it). Reads
 *	back the RegistryResponse or the SOAP fault.
 * STANDARDS
 *	ITI TF-2 3.41; WS-Addressing 1.0; XOP 1.0; XDR and XDM for Direct
 *	Messaging (direct:addressBlock, direct:metadata-level).
 * SECURITY
 *	HTTPS verifies the server against tls_ca with OpenSSL's RFC 6125
 *	host check (not gSOAP's pattern matcher, GSOAP.md 7.7), TLS >= 1.2.
 */
#ifndef GW_XDRCLI_H
#define GW_XDRCLI_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define GW_XDRCLI_DOC_MAX (64L * 1024 * 1024) /* one document from a file */

struct gw_xdrcli_doc {
	const char *id;        /* xds:Document/@id = ExtrinsicObject/@id */
	const char *mime_type; /* Content-Type of the MIME part */
	const char *data;      /* the bytes, or NULL to read path */
	size_t len;
	const char *path; /* a file (e.g. a spool file) read at send time */
	const char *content_id; /* MIME Content-ID without <>; NULL: ours */
};

struct gw_xdrcli_req {
	const char *endpoint;   /* http(s)://host:port/path */
	const char *message_id; /* urn:uuid:...; NULL makes a new one */
	const char *from;       /* direct:from; NULL omits the addressBlock */
	const char *const *to;
	size_t nto;
	bool final_delivery;        /* X-DIRECT-FINAL-DESTINATION-DELIVERY */
	const char *relates_to;     /* direct:relatesTo, or NULL */
	const char *metadata_level; /* "XDS" or "minimal" or NULL */
	const char *metadata;       /* lcm:SubmitObjectsRequest XML */
	size_t metadata_len;
	const struct gw_xdrcli_doc *docs;
	size_t ndocs;
	bool inline_base64;   /* documents as base64 text, not XOP parts */
	const char *tls_cert; /* PEM with client certificate and key */
	const char *tls_ca;   /* CA bundle for the server certificate */
	int timeout;          /* seconds for connect and each I/O */
};

struct gw_xdrcli_error {
	char *code;
	char *context;
	char *location;
	char *severity;
};

/*
 * What a sender does next. OK: the endpoint took the documents
 * (Success, or PartialSuccess). PERM: final, report to the sender
 * (RegistryResponse Failure, SOAP Sender fault, HTTP 4xx, a bad URL or
 * request). TEMP: try again later (no connection, TLS or I/O failure,
 * timeout, HTTP 5xx, 408, 429, SOAP Receiver fault).
 */
enum gw_xdrcli_class { GW_XDRCLI_OK, GW_XDRCLI_PERM, GW_XDRCLI_TEMP };

struct gw_xdrcli_result {
	enum gw_xdrcli_class cls;
	char *reason;     /* one line for the sender's report (not OK) */
	bool partial;     /* status PartialSuccess */
	int http_status;  /* of the response, 0 when none */
	char *fault_code; /* "Sender", "Receiver" (or 1.1 Client/Server) */
	bool success;     /* RegistryResponse status Success */
	char *status;     /* the status URN, NULL after a fault */
	char *message_id; /* the wsa:MessageID we sent */
	char *relates_to; /* wsa:RelatesTo of the response */
	char *fault;      /* fault text when the server sent a fault */
	char *fault_subcode;
	struct gw_xdrcli_error *errors;
	size_t nerrors;
};

/*
 * Send the request. Returns 0 when a RegistryResponse came back (look at
 * res->success), GW_EPARSE when the server answered with a SOAP fault
 * (res->fault set), GW_EUNAVAIL when no answer could be had (connect,
 * TLS, I/O, an HTTP error status), GW_EPARSE also for bad metadata XML
 * or URL, GW_ETEMP/GW_ELIMIT/GW_ENOTFOUND when a document file cannot be
 * read. In every case res->cls (and res->reason unless OK) says what to
 * do next. Thread-safe (one gSOAP context per call). res must be
 * disposed.
 */
int gw_xdrcli_send(const struct gw_xdrcli_req *req,
		   struct gw_xdrcli_result *res, struct gw_err *err);
void gw_xdrcli_result_dispose(struct gw_xdrcli_result *res);

/*
 * The class of an outcome: rc as gw_xdrcli_send returned it, res as it
 * filled it (status, errors, fault_code, http_status). Pure; exported
 * for the tests and for a retry queue.
 */
enum gw_xdrcli_class gw_xdrcli_classify(int rc,
					const struct gw_xdrcli_result *res);
/* "ok", "permanent", "temporary". */
const char *gw_xdrcli_class_name(enum gw_xdrcli_class c);

#endif
