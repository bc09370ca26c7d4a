/*
 * NAME
 *	xdrsrv - the IHE XDR Document Recipient endpoint (ITI-41)
 * SUMMARY
 *	An HTTP(S) SOAP 1.2 server built on gSOAP: a thread pool of
 *	connection workers, MTOM attachments streamed to the spool, the
 *	ITI-41 body handed to xdsxml/xds, the submission committed to the
 *	store before the RegistryResponse is sent.
 * STANDARDS
 *	IHE ITI TF-2 3.41 (ITI-41), ITI TF-3 4.2; SOAP 1.2; WS-Addressing 1.0
 *	(Core, SOAP Binding); XOP/MTOM; XDR and XDM for Direct Messaging
 *	(direct:addressBlock, direct:metadata-level).
 * SECURITY
 *	Every byte is hostile: size, depth, header and attachment limits from
 *	the config; DTDs refused; ReplyTo/FaultTo other than anonymous are
 *	refused (no outbound connection is ever opened on a client's word).
 * LIMITS
 *	max_request_size, max_attachments, max_xml_depth,
 *	max_http_header_size, max_http_headers, request_timeout, io_timeout,
 *	max_keepalive, workers.
 */
#ifndef GW_XDRSRV_H
#define GW_XDRSRV_H

#include "config.h"
#include "err.h"

struct gw_store;
struct gw_xdrsrv;
struct gw_outbound;
struct gw_spool;
struct gw_spool_file;
struct gw_xds_submission;

/*
 * A submission that passed every check (transport, addressing, metadata
 * rules, client authorisation), as handed to an accept function. All
 * pointers are borrowed for the duration of the call.
 */
struct gw_xdrsrv_accepted {
	const char *txid;       /* this request's log id */
	const char *client;     /* TLS client identity or "anonymous" */
	const char *peer;       /* address:port */
	const char *message_id; /* wsa:MessageID */
	/* Validated model; entries[i].part indexes files[]. */
	const struct gw_xds_submission *sub;
	struct gw_spool_file *const *files; /* one per xds:Document, finished */
	const char *const *content_ids;     /* per file, NULL when inline */
	size_t nfiles;
	const char *metadata; /* the lcm:SubmitObjectsRequest, serialised */
	size_t metadata_len;
	const char *direct_from; /* direct:addressBlock, as sent (or NULL) */
	const char *const *direct_to;
	size_t ndirect_to;
	const char *relates_to; /* direct:relatesTo (or NULL) */
};

/*
 * Make an accepted submission durable somewhere. 0 answers Success; an
 * error answers Failure with XDSRepositoryError (XDSRepositoryOutOfResources
 * when err->temp). Called from several worker threads at once.
 */
typedef int (*gw_xdrsrv_accept_fn)(void *arg,
				   const struct gw_xdrsrv_accepted *a,
				   struct gw_err *err);

/*
 * Bind the listener and set up TLS; the store is borrowed. store may be
 * NULL when gw_xdrsrv_set_accept() names where submissions go.
 */
int gw_xdrsrv_new(const struct gw_config *cfg, struct gw_store *store,
		  struct gw_xdrsrv **out, struct gw_err *err);
/*
 * The outbound pipeline that checks recipients while a request is open
 * and converts what was accepted (borrowed; before gw_xdrsrv_run).
 */
void gw_xdrsrv_set_outbound(struct gw_xdrsrv *srv, struct gw_outbound *ob);
/*
 * Instead of the store and the outbound pipeline, hand accepted
 * submissions to fn (with arg) and spool attachments in spool (both
 * borrowed; before gw_xdrsrv_run). Without a store there is no audit
 * trail and no wsa:MessageID idempotence: fn sees every copy.
 */
void gw_xdrsrv_set_accept(struct gw_xdrsrv *srv, struct gw_spool *spool,
			  gw_xdrsrv_accept_fn fn, void *arg);
/*
 * Validate the C-CDA documents of each submission with v (borrowed;
 * before gw_xdrsrv_run) under the outbound policies of route.h.
 */
struct gw_cdaval;
void gw_xdrsrv_set_cdaval(struct gw_xdrsrv *srv, const struct gw_cdaval *v);
/* The bound port (useful with port 0). */
int gw_xdrsrv_port(const struct gw_xdrsrv *srv);
/* Serve until gw_xdrsrv_stop; returns after in-flight requests finish. */
int gw_xdrsrv_run(struct gw_xdrsrv *srv);
/* Ask run() to return; async-signal-safe. */
void gw_xdrsrv_stop(struct gw_xdrsrv *srv);
void gw_xdrsrv_free(struct gw_xdrsrv *srv);

#endif
