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

struct gw_xdrcli_doc {
	const char *id;        /* xds:Document/@id = ExtrinsicObject/@id */
	const char *mime_type; /* Content-Type of the MIME part */
	const char *data;
	size_t len;
};

struct gw_xdrcli_req {
	const char *endpoint;   /* http(s)://host:port/path */
	const char *message_id; /* urn:uuid:...; NULL makes a new one */
	const char *from;       /* direct:from; NULL omits the addressBlock */
	const char *const *to;
	size_t nto;
	bool final_delivery;        /* X-DIRECT-FINAL-DESTINATION-DELIVERY */
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

struct gw_xdrcli_result {
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
 * TLS, I/O), GW_EPARSE also for bad metadata XML. res must be disposed.
 */
int gw_xdrcli_send(const struct gw_xdrcli_req *req,
		   struct gw_xdrcli_result *res, struct gw_err *err);
void gw_xdrcli_result_dispose(struct gw_xdrcli_result *res);

#endif
