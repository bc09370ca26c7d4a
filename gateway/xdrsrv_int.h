/*
 * NAME
 *	xdrsrv_int - state shared by xdrsrv.c (transport) and xdrpnr.c (the
 *	ITI-41 operation); not for other modules.
 */
#ifndef GW_XDRSRV_INT_H
#define GW_XDRSRV_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "route.h"
#include "tls.h"
#include "xdrsrv.h"
#include "xmlscan.h"

struct soap;
struct gw_store;
struct gw_outbound;
struct gw_spool_file;
struct gw_xdrsrv;
struct gw_cdaval;
struct gw_xds_submission;
struct gw_xds_errors;

#define GW_DIRECT_ROLE "urn:direct:addressing:destination"
#define GW_PNR_ACTION  "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
#define GW_PNR_RESPONSE_ACTION                                                 \
	"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"

/* One received MIME attachment, streamed to a spool file. */
struct gw_xdrpart {
	char *cid; /* Content-ID without <> */
	struct gw_spool_file *file;
	bool used; /* referenced by an xds:Document */
};

/* Per connection (worker) and per request state, in soap->user. */
struct gw_xdrreq {
	struct gw_xdrsrv *srv;
	const struct gw_config *cfg;
	struct gw_store *store;
	struct gw_outbound *ob; /* recipient checks and kicks; may be NULL */
	struct gw_spool *spool; /* where attachments are streamed */
	gw_xdrsrv_accept_fn accept; /* NULL: the store takes submissions */
	void *accept_arg;
	const struct gw_cdaval *cdaval; /* C-CDA validation; NULL: none */
	/* connection */
	char peer[64];
	char client[256]; /* cert CN, or "anonymous" */
	char client_fp[GW_TLS_FP_LEN];
	bool has_cert;
	/* request: HTTP */
	char txid[40];
	long nheaders;
	size_t header_bytes;
	bool ct_multipart; /* Content-Type multipart/related */
	bool ct_xop;       /* ... with type="application/xop+xml" */
	char boundary[80];
	/* request: depth/DOCTYPE pre-scan of the root (SOAP) part */
	struct gw_xmlscan xs;
	struct gw_buf hdr; /* raw HTTP header of this request */
	bool http_done;
	bool boundary_padding; /* a delimiter line had trailing blanks */
	bool not_soap;         /* the SOAP part's root is no Envelope */
	bool scan_done;
	int boundaries_seen;
	char tail[96];
	size_t tail_len;
	char *scratch;
	size_t scratch_cap;
	/* request: attachments */
	struct soap *domctx; /* serialises DOM subtrees; reused */
	struct gw_xdrpart *parts;
	size_t nparts;
	size_t capparts;
	int part_error; /* 0, or an HTTP-ish reason code */
	char part_errmsg[320];
};

/* Reset the per-request fields and discard unadopted spool files. */
void gw_xdrreq_reset(struct gw_xdrreq *rq);

/*
 * C-CDA validation of a submission's documents (xdrcda.c): the policy
 * that applied; InvalidDocumentContent entries added to errs (Errors
 * under reject, Warnings under warn); detail gets a summary for the
 * audit row (counts, lines and assertion ids; no document text).
 */
enum gw_route_cda gw_xdrcda_check(struct gw_xdrreq *rq,
				  const struct gw_xds_submission *sub,
				  struct gw_spool_file *const *files,
				  struct gw_xds_errors *errs, char *detail,
				  size_t dlen);

#endif
