/*
 * NAME
 *	xdrsrv - HTTP(S)/SOAP transport of the ITI-41 endpoint
 * SUMMARY
 *	Accept loop + worker pool (one gSOAP context per worker), the hooks
 *	that make gSOAP 2.8.124 safe for XDR, and the /health GET.
 * DESCRIPTION
 *	The accept thread only accepts and queues sockets; workers own a
 *	soap_copy() each and run the TLS handshake and soap_serve(). The
 *	ITI-41 operation itself is in xdrpnr.c. The gSOAP fixes of GSOAP.md
 *	section 7 live here:
 *	  1. SOAP_XML_TREE on input only (XDS ids are not SOAP multi-refs);
 *	  2. fserveloop frees per-request memory between keep-alive requests;
 *	  3. bufidx/buflen reset for every new socket (no cross-connection
 *	     bleed);
 *	  4. the operation calls soap_set_mime() for an MTOM response;
 *	  5. the wsaapi plugin is not registered: reply headers are built by
 *	     xdrpnr.c, non-anonymous ReplyTo/FaultTo are refused, so no
 *	     request can make us connect anywhere;
 *	  6. wsa:Action is compared with the operation in xdrpnr.c;
 *	  7. soap->actor is set to the Direct role on input, so that
 *	     direct:addressBlock is read, and cleared before replying;
 *	  8. TLS: minimum TLS 1.2; host checks are OpenSSL's (tls.c).
 * STANDARDS
 *	RFC 9110/9112 (HTTP), RFC 2387 (multipart/related), XOP 1.0.
 * SECURITY
 *	Limits are enforced before bytes are buffered: Content-Length against
 *	max_request_size, header count and size, attachment count, XML depth,
 *	and a scan that refuses any DOCTYPE in the SOAP part.
 */
#include "xdrsrv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soapH.h"

#include "buf.h"
#include "id.h"
#include "log.h"
#include "mem.h"
#include "spool.h"
#include "store.h"
#include "xdrsrv_int.h"

struct gw_xdrsrv {
	const struct gw_config *cfg;
	struct gw_store *store;
	struct gw_outbound *ob;
	struct gw_spool *spool;
	gw_xdrsrv_accept_fn accept;
	void *accept_arg;
	const struct gw_cdaval *cdaval;
	struct soap *master;
	int port;
	volatile sig_atomic_t stop;
	/* socket queue between the accept loop and the workers */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct qitem {
		SOAP_SOCKET s;
		char peer[64];
	} * q;
	size_t qhead, qlen, qcap;
	pthread_t *threads;
	size_t nthreads;
	/* gSOAP's own callbacks that our hooks wrap */
	int (*orig_parsehdr)(struct soap *, const char *, const char *);
	size_t (*orig_recv)(struct soap *, char *, size_t);
};

/* ---- per-request state ---------------------------------------------- */

void
gw_xdrreq_reset(struct gw_xdrreq *rq)
{
	for (size_t i = 0; i < rq->nparts; i++) {
		gw_spool_file_discard(rq->parts[i].file);
		free(rq->parts[i].cid);
	}
	rq->nparts = 0;
	rq->part_error = 0;
	rq->part_errmsg[0] = '\0';
	rq->nheaders = 0;
	rq->header_bytes = 0;
	rq->ct_multipart = rq->ct_xop = false;
	rq->boundary[0] = '\0';
	rq->scan_done = false;
	rq->boundaries_seen = 0;
	rq->tail_len = 0;
	rq->http_done = false;
	rq->boundary_padding = false;
	rq->not_soap = false;
	gw_buf_reset(&rq->hdr);
	gw_xmlscan_init(&rq->xs, true);
	gw_id_uuid_time(rq->txid);
}

/* ---- HTTP header hook ------------------------------------------------- */

/* Read the boundary and type parameters of a multipart Content-Type. */
static void
parse_content_type(struct gw_xdrreq *rq, const char *val)
{
	const char *p;

	rq->ct_multipart = strncasecmp(val, "multipart/related", 17) == 0;
	if (!rq->ct_multipart)
		return;
	for (p = val; (p = strchr(p, ';')) != NULL;) {
		const char *name, *v, *end;
		size_t nlen, vlen;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		v = strchr(p, '=');
		if (v == NULL)
			break;
		nlen = (size_t)(v - name);
		while (nlen > 0 && (name[nlen - 1] == ' '))
			nlen--;
		v++;
		while (*v == ' ')
			v++;
		if (*v == '"') {
			v++;
			end = strchr(v, '"');
			if (end == NULL)
				break;
		} else {
			end = v + strcspn(v, ";");
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
		}
		vlen = (size_t)(end - v);
		if (nlen == 4 && strncasecmp(name, "type", 4) == 0)
			rq->ct_xop =
			    vlen == 19 &&
			    strncasecmp(v, "application/xop+xml", 19) == 0;
		else if (nlen == 8 && strncasecmp(name, "boundary", 8) == 0 &&
			 vlen < sizeof(rq->boundary) - 2) {
			rq->boundary[0] = '-';
			rq->boundary[1] = '-';
			memcpy(rq->boundary + 2, v, vlen);
			rq->boundary[vlen + 2] = '\0';
		}
		p = end;
	}
}

static int
hook_parsehdr(struct soap *soap, const char *key, const char *val)
{
	struct gw_xdrreq *rq = soap->user;

	rq->nheaders++;
	rq->header_bytes += strlen(key) + strlen(val) + 4;
	if (rq->nheaders > rq->cfg->max_http_headers ||
	    rq->header_bytes > (size_t)rq->cfg->max_http_header_size) {
		gw_log_warn(rq->txid,
			    "request headers over the limit "
			    "headers=%ld bytes=%zu peer=%s",
			    rq->nheaders, rq->header_bytes, rq->peer);
		return soap->error = 431;
	}
	/* Content-Type is read once, by scan_http_header(). */
	if (strcasecmp(key, "Content-Length") == 0) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(val, &end, 10);
		if (errno != 0 || end == val ||
		    n > (unsigned long long)rq->cfg->max_request_size) {
			gw_log_warn(
			    rq->txid,
			    "request too large content-length=%s limit=%ld "
			    "peer=%s",
			    val, rq->cfg->max_request_size, rq->peer);
			return soap->error = 413;
		}
	} else if (strcasecmp(key, "Content-Encoding") == 0 &&
		   strcasecmp(val, "identity") != 0) {
		/* Compressed uploads are zip-bomb carriers (RELIABILITY S10).
		 */
		return soap->error = 415;
	}
	return rq->srv->orig_parsehdr(soap, key, val);
}

/* ---- receive hook: pre-scan of the SOAP part -------------------------- */

/*
 * The SOAP part is the first part of the multipart body: the bytes
 * between the first and the second boundary line (or the whole body of
 * a non-multipart request). They go through gw_xmlscan as they arrive,
 * so depth and DOCTYPE limits hold for every element, including header
 * blocks gSOAP skips. Attachments are not scanned: a document may be any
 * XML. The last bytes of each read are kept to find a boundary split
 * across two reads.
 */
static void
scan_chunk(struct gw_xdrreq *rq, const char *buf, size_t len)
{
	size_t blen = strlen(rq->boundary);
	size_t keep = sizeof(rq->tail);
	size_t n = rq->tail_len + len;
	size_t pos = rq->tail_len, srch = 0;
	const char *w;

	if (rq->scan_done || len == 0)
		return;
	if (blen == 0) {
		gw_xmlscan_feed(&rq->xs, buf, len);
		return;
	}
	if (n > rq->scratch_cap) {
		rq->scratch = gw_xrealloc(rq->scratch, n);
		rq->scratch_cap = n;
	}
	memcpy(rq->scratch, rq->tail, rq->tail_len);
	memcpy(rq->scratch + rq->tail_len, buf, len);
	w = rq->scratch;
	for (;;) {
		const char *b = memmem(w + srch, n - srch, rq->boundary, blen);
		size_t bstart = b ? (size_t)(b - w) : n;
		size_t bend = b ? bstart + blen : n;

		if (b != NULL && bend <= rq->tail_len) {
			srch = bstart + 1; /* counted in an earlier read */
			continue;
		}
		if (rq->boundaries_seen == 1 && bstart > pos)
			gw_xmlscan_feed(&rq->xs, w + pos, bstart - pos);
		if (b == NULL)
			break;
		/* RFC 2046 transport padding, which gSOAP cannot parse. */
		if (bend < n && (w[bend] == ' ' || w[bend] == '\t'))
			rq->boundary_padding = true;
		if (++rq->boundaries_seen >= 2) {
			rq->scan_done = true;
			return;
		}
		pos = bend > pos ? bend : pos;
		srch = bend;
	}
	if (n > keep) {
		memcpy(rq->tail, w + n - keep, keep);
		rq->tail_len = keep;
	} else {
		memcpy(rq->tail, w, n);
		rq->tail_len = n;
	}
}

/*
 * A SOAP 1.2 Sender fault written directly to the connection (through
 * gSOAP's fsend, so TLS works too), for when gSOAP itself has given up on
 * the request and would close without a response. reason is our text.
 */
static void
send_plain_fault(struct soap *soap, const char *reason)
{
	struct gw_buf body, msg;

	gw_buf_init(&body, 4096);
	gw_buf_init(&msg, 8192);
	gw_buf_puts(&body,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/"
		    "soap-envelope\"><env:Body><env:Fault><env:Code>"
		    "<env:Value>env:Sender</env:Value></env:Code><env:Reason>"
		    "<env:Text xml:lang=\"en\">");
	gw_buf_xml_escape(&body, reason);
	gw_buf_puts(&body, "</env:Text></env:Reason></env:Fault></env:Body>"
			   "</env:Envelope>\n");
	if (gw_buf_printf(&msg,
			  "HTTP/1.1 400 Bad Request\r\nContent-Type: "
			  "application/soap+xml; charset=utf-8\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			  "%s",
			  body.len, body.data) == 0)
		soap->fsend(soap, msg.data, msg.len);
	gw_buf_dispose(&body);
	gw_buf_dispose(&msg);
}

/*
 * gSOAP may read the HTTP header and the whole body in one recv, before
 * fparsehdr sees Content-Type; so the scan finds the end of the header
 * and the boundary itself.
 */
static void
scan_http_header(struct gw_xdrreq *rq, const char *buf, size_t len)
{
	const char *h, *end, *line;
	size_t hlen = rq->hdr.len;
	size_t room = rq->hdr.max - hlen;
	size_t take = len < room ? len : room;

	if (gw_buf_append(&rq->hdr, buf, take) != 0)
		return;
	h = rq->hdr.data;
	end = memmem(h, rq->hdr.len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (take < len)
			rq->scan_done = true; /* fparsehdr answers 431 */
		return;
	}
	end += 4;
	rq->http_done = true;
	for (line = h; line < end; line = strchr(line, '\n') + 1) {
		if (strncasecmp(line, "Content-Type:", 13) == 0) {
			char *v =
			    gw_xstrndup(line + 13, strcspn(line + 13, "\r\n"));

			parse_content_type(rq, v + strspn(v, " \t"));
			free(v);
			break;
		}
	}
	/* The SOAP part of a multipart body starts with MIME headers. */
	gw_xmlscan_init(&rq->xs, rq->ct_multipart);
	{
		size_t used = (size_t)(end - h) - hlen;

		if (used < len)
			scan_chunk(rq, buf + used, len - used);
	}
}

static size_t
hook_recv(struct soap *soap, char *buf, size_t len)
{
	struct gw_xdrreq *rq = soap->user;
	size_t n = rq->srv->orig_recv(soap, buf, len);

	if (!rq->http_done)
		scan_http_header(rq, buf, n);
	else
		scan_chunk(rq, buf, n);
	/*
	 * gSOAP would wait for a delimiter it cannot recognise until the
	 * timeout; end the read here and let serve_connection() answer.
	 */
	if (rq->xs.root_done && !rq->not_soap) {
		const char *c = strrchr(rq->xs.root, ':');

		rq->not_soap = strcmp(c ? c + 1 : rq->xs.root, "Envelope") != 0;
		if (rq->not_soap) {
			/* gSOAP would take it as a plain POST and say nothing.
			 */
			gw_log_notice(rq->txid, "not a SOAP message peer=%s",
				      rq->peer);
			send_plain_fault(soap, "not a SOAP message: the root "
					       "element must be a SOAP 1.2 "
					       "env:Envelope");
			return 0;
		}
	}
	if (rq->boundary_padding) {
		gw_log_notice(rq->txid,
			      "MIME boundary with transport padding peer=%s",
			      rq->peer);
		send_plain_fault(soap, "MIME boundary delimiter lines "
				       "followed by whitespace (transport "
				       "padding) are not supported: end each "
				       "delimiter with CRLF");
		return 0;
	}
	return n;
}

/* ---- streaming MTOM attachments into the spool ------------------------ */

static void *
hook_mime_open(struct soap *soap, void *handle, const char *id,
	       const char *type, const char *description,
	       enum soap_mime_encoding enc)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_spool_file *f = NULL;
	struct gw_err err;
	size_t idlen;

	(void)handle, (void)type, (void)description, (void)enc;
	if (rq->part_error)
		return NULL;
	if (rq->nparts >= (size_t)rq->cfg->max_attachments) {
		rq->part_error = 413;
		snprintf(rq->part_errmsg, sizeof(rq->part_errmsg),
			 "more than %ld MIME attachments (max_attachments)",
			 rq->cfg->max_attachments);
		gw_log_warn(rq->txid, "%s peer=%s", rq->part_errmsg, rq->peer);
		soap_sender_fault(soap, rq->part_errmsg, NULL);
		return NULL;
	}
	if (gw_spool_file_new(rq->spool, &f, &err) != 0) {
		gw_log_err(rq->txid, "spool: %s", err.msg);
		rq->part_error = 500;
		snprintf(rq->part_errmsg, sizeof(rq->part_errmsg),
			 "cannot spool attachment: %s", err.msg);
		soap_receiver_fault(soap, rq->part_errmsg, NULL);
		return NULL;
	}
	if (rq->nparts == rq->capparts) {
		rq->capparts = rq->capparts ? rq->capparts * 2 : 4;
		rq->parts =
		    gw_xrealloc(rq->parts, rq->capparts * sizeof(rq->parts[0]));
	}
	/* gSOAP hands the Content-ID with its angle brackets. */
	if (id == NULL)
		id = "";
	idlen = strlen(id);
	if (idlen >= 2 && id[0] == '<' && id[idlen - 1] == '>') {
		id++;
		idlen -= 2;
	}
	rq->parts[rq->nparts].cid = gw_xstrndup(id, idlen);
	rq->parts[rq->nparts].file = f;
	rq->parts[rq->nparts].used = false;
	rq->nparts++;
	return f;
}

static int
hook_mime_write(struct soap *soap, void *handle, const char *buf, size_t len)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_err err;

	if (gw_spool_file_write(handle, buf, len, &err) != 0) {
		rq->part_error = 500;
		snprintf(rq->part_errmsg, sizeof(rq->part_errmsg),
			 "cannot spool attachment: %s", err.msg);
		return soap->error = SOAP_EOF;
	}
	return SOAP_OK;
}

static void
hook_mime_close(struct soap *soap, void *handle)
{
	struct gw_xdrreq *rq = soap->user;
	struct gw_err err;

	if (gw_spool_file_finish(handle, &err) != 0 && !rq->part_error) {
		rq->part_error = 500;
		snprintf(rq->part_errmsg, sizeof(rq->part_errmsg),
			 "cannot spool attachment: %s", err.msg);
	}
}

/* ---- keep-alive loop and GET ---------------------------------------- */

/* Between two requests on one connection (GSOAP.md 7.3, 4.4). */
static int
hook_serveloop(struct soap *soap)
{
	struct gw_xdrreq *rq = soap->user;

	soap_destroy(soap);
	soap_end(soap);
	gw_xdrreq_reset(rq);
	soap->actor = GW_DIRECT_ROLE;
	/*
	 * gSOAP stops reading at the closing MIME delimiter; the CRLF a
	 * client sends after it is still buffered. RFC 9112 2.2: ignore empty
	 * lines before the next request line, or keep-alive breaks.
	 */
	while (soap->bufidx < soap->buflen &&
	       (soap->buf[soap->bufidx] == '\r' ||
		soap->buf[soap->bufidx] == '\n'))
		soap->bufidx++;
	return SOAP_OK;
}

static int
hook_get(struct soap *soap)
{
	static const char ok[] = "ok\n";

	if (strcmp(soap->path, "/health") != 0)
		return 404;
	soap->http_content = "text/plain";
	if (soap_response(soap, SOAP_FILE) ||
	    soap_send_raw(soap, ok, sizeof(ok) - 1) || soap_end_send(soap))
		return soap_closesock(soap);
	return SOAP_OK;
}

/* ---- worker pool ---------------------------------------------------- */

static int
queue_push(struct gw_xdrsrv *srv, SOAP_SOCKET s, const char *peer)
{
	int rc = 0;

	pthread_mutex_lock(&srv->mu);
	while (srv->qlen == srv->qcap && !srv->stop)
		pthread_cond_wait(&srv->cv, &srv->mu);
	if (srv->qlen < srv->qcap) {
		struct qitem *it =
		    &srv->q[(srv->qhead + srv->qlen) % srv->qcap];

		it->s = s;
		snprintf(it->peer, sizeof(it->peer), "%s", peer);
		srv->qlen++;
		pthread_cond_broadcast(&srv->cv);
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&srv->mu);
	return rc;
}

/* Next socket, or SOAP_INVALID_SOCKET once stopping and drained. */
static SOAP_SOCKET
queue_pop(struct gw_xdrsrv *srv, char *peer, size_t peerlen)
{
	SOAP_SOCKET s = SOAP_INVALID_SOCKET;

	pthread_mutex_lock(&srv->mu);
	while (srv->qlen == 0 && !srv->stop)
		pthread_cond_wait(&srv->cv, &srv->mu);
	if (srv->qlen > 0) {
		struct qitem *it = &srv->q[srv->qhead];

		s = it->s;
		snprintf(peer, peerlen, "%s", it->peer);
		srv->qhead = (srv->qhead + 1) % srv->qcap;
		srv->qlen--;
		pthread_cond_broadcast(&srv->cv);
	}
	pthread_mutex_unlock(&srv->mu);
	return s;
}

static void
serve_connection(struct soap *soap, struct gw_xdrreq *rq)
{
	/* A pooled context must not parse leftovers of the last peer. */
	soap->bufidx = 0;
	soap->buflen = 0;
	soap->keep_alive = 0;
	soap->actor = GW_DIRECT_ROLE;
	gw_xdrreq_reset(rq);
	rq->has_cert = false;
	snprintf(rq->client, sizeof(rq->client), "anonymous");
	rq->client_fp[0] = '\0';
	if (rq->cfg->tls_cert[0] != '\0') {
		if (soap_ssl_accept(soap) != SOAP_OK) {
			gw_log_warn(
			    NULL, "TLS handshake failed peer=%s: %s", rq->peer,
			    soap->fault && soap->fault->SOAP_ENV__Reason
				? soap->fault->SOAP_ENV__Reason->SOAP_ENV__Text
				: "handshake error");
			goto out;
		}
		rq->has_cert = gw_tls_peer_identity(
		    soap->ssl, rq->client, sizeof(rq->client), rq->client_fp);
		if (!rq->has_cert)
			snprintf(rq->client, sizeof(rq->client), "anonymous");
	}
	soap_serve(soap);
	if (soap->error != SOAP_OK && soap->error != SOAP_EOF) {
		const char *why = soap_fault_string(soap);

		gw_log_info(rq->txid,
			    "request ended: gSOAP error %d: %s peer=%s",
			    soap->error, why ? why : "?", rq->peer);
	}
out:
	soap_destroy(soap);
	soap_end(soap);
	gw_xdrreq_reset(rq);
	soap_closesock(soap);
	soap->socket = SOAP_INVALID_SOCKET;
}

static void *
worker_main(void *arg)
{
	struct gw_xdrsrv *srv = arg;
	struct soap *soap = soap_copy(srv->master);
	struct gw_xdrreq rq;
	SOAP_SOCKET s;

	memset(&rq, 0, sizeof(rq));
	gw_buf_init(&rq.hdr, (size_t)srv->cfg->max_http_header_size + 4096);
	rq.srv = srv;
	rq.cfg = srv->cfg;
	rq.store = srv->store;
	rq.ob = srv->ob;
	rq.spool = srv->spool;
	rq.accept = srv->accept;
	rq.accept_arg = srv->accept_arg;
	rq.cdaval = srv->cdaval;
	soap->user = &rq;
	rq.domctx =
	    soap_new1(SOAP_C_UTFSTRING | SOAP_XML_NOTYPE | SOAP_DOM_ASIS);
	/* The default table would stamp our own prefixes on the copies. */
	soap_set_namespaces(rq.domctx, NULL);
	while ((s = queue_pop(srv, rq.peer, sizeof(rq.peer))) !=
	       SOAP_INVALID_SOCKET) {
		soap->socket = s;
		serve_connection(soap, &rq);
	}
	gw_xdrreq_reset(&rq);
	free(rq.parts);
	free(rq.scratch);
	gw_buf_dispose(&rq.hdr);
	soap_free(rq.domctx);
	soap_free(soap);
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------ */

static int
setup_tls(struct gw_xdrsrv *srv, struct gw_err *err)
{
	const struct gw_config *cfg = srv->cfg;
	unsigned short flags = SOAP_SSL_DEFAULT | SOAP_TLSv1_2 | SOAP_TLSv1_3;
	const char *ca = cfg->tls_client_ca[0] ? cfg->tls_client_ca : NULL;

	/* SOAP_SSL_DEFAULT asks the *client* side to verify servers. */
	flags &= (unsigned short)~SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION;
	if (cfg->tls_client_auth == GW_TLS_CLIENT_REQUIRE)
		flags |= SOAP_SSL_REQUIRE_CLIENT_AUTHENTICATION;
	if (soap_ssl_server_context(srv->master, flags, cfg->tls_cert, NULL, ca,
				    NULL, NULL, NULL, NULL) != SOAP_OK)
		return gw_err_set(
		    err, GW_ERROR, "4.7.0", "TLS setup failed for %s: %s",
		    cfg->tls_cert,
		    srv->master->fault && srv->master->fault->SOAP_ENV__Reason
			? srv->master->fault->SOAP_ENV__Reason->SOAP_ENV__Text
			: "check the certificate, key and CA files");
	if (gw_tls_ctx_harden(srv->master->ctx, err) != 0)
		return err->code;
	if (cfg->tls_client_auth == GW_TLS_CLIENT_OPTIONAL)
		gw_tls_ctx_client_optional(srv->master->ctx);
	return 0;
}

int
gw_xdrsrv_new(const struct gw_config *cfg, struct gw_store *store,
	      struct gw_xdrsrv **out, struct gw_err *err)
{
	struct gw_xdrsrv *srv = gw_xcalloc(1, sizeof(*srv));
	struct soap *m;
	char host[256];
	int port;
	int rc = 0;

	*out = NULL;
	srv->cfg = cfg;
	srv->store = store;
	srv->spool = store != NULL ? gw_store_spool(store) : NULL;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	if (!gw_config_split_hostport(cfg->listen, host, sizeof(host), &port)) {
		rc = gw_err_set(err, GW_EPARSE, "5.3.5", "listen: bad '%s'",
				cfg->listen);
		goto out;
	}
	/*
	 * SOAP_XML_TREE on input only (GSOAP.md 7.2); MTOM on output so the
	 * RegistryResponse goes back as the IHE profile expects.
	 */
	m = soap_new2(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING | SOAP_XML_TREE |
			  SOAP_XML_STRICT,
		      SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING | SOAP_ENC_MTOM);
	srv->master = m;
	m->bind_flags = SO_REUSEADDR;
	m->accept_timeout = 1; /* wake up to check the stop flag */
	m->recv_timeout = (int)cfg->io_timeout;
	m->send_timeout = (int)cfg->io_timeout;
	m->transfer_timeout = (int)cfg->request_timeout;
	m->max_keep_alive =
	    (short)(cfg->max_keepalive > 32000 ? 32000 : cfg->max_keepalive);
	/* gSOAP counts the HTTP header too; 413 on the body is ours. */
	m->recv_maxlength =
	    (ULONG64)cfg->max_request_size + (ULONG64)cfg->max_http_header_size;
	/* Our pre-scan enforces max_xml_depth exactly; this is a backstop. */
	m->maxlevel = (unsigned int)cfg->max_xml_depth + 8;
	m->maxoccurs = (size_t)cfg->max_metadata_objects;
	m->maxlength = cfg->max_request_size;
	srv->orig_parsehdr = m->fparsehdr;
	srv->orig_recv = m->frecv;
	m->fparsehdr = hook_parsehdr;
	m->frecv = hook_recv;
	m->fmimewriteopen = hook_mime_open;
	m->fmimewrite = hook_mime_write;
	m->fmimewriteclose = hook_mime_close;
	m->fserveloop = hook_serveloop;
	m->fget = hook_get;
	if (cfg->tls_cert[0] != '\0') {
		rc = setup_tls(srv, err);
		if (rc != 0)
			goto out;
	}
	if (!soap_valid_socket(soap_bind(m, host, port, 128))) {
		rc = gw_err_set(err, GW_EUNAVAIL, "4.4.0",
				"cannot listen on %s: %s", cfg->listen,
				strerror(m->errnum ? m->errnum : errno));
		goto out;
	}
	srv->port = port;
	if (port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(m->master, (struct sockaddr *)&ss, &sl) == 0)
			srv->port =
			    ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	}
	srv->nthreads = (size_t)cfg->workers;
	srv->qcap = srv->nthreads * 4;
	srv->q = gw_xcalloc(srv->qcap, sizeof(srv->q[0]));
out:
	if (rc != 0) {
		gw_xdrsrv_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void
gw_xdrsrv_set_outbound(struct gw_xdrsrv *srv, struct gw_outbound *ob)
{
	srv->ob = ob;
}

void
gw_xdrsrv_set_cdaval(struct gw_xdrsrv *srv, const struct gw_cdaval *v)
{
	srv->cdaval = v;
}

void
gw_xdrsrv_set_accept(struct gw_xdrsrv *srv, struct gw_spool *spool,
		     gw_xdrsrv_accept_fn fn, void *arg)
{
	srv->spool = spool;
	srv->accept = fn;
	srv->accept_arg = arg;
}

int
gw_xdrsrv_port(const struct gw_xdrsrv *srv)
{
	return srv->port;
}

int
gw_xdrsrv_run(struct gw_xdrsrv *srv)
{
	struct soap *m = srv->master;

	if (srv->spool == NULL || (srv->store == NULL && srv->accept == NULL)) {
		gw_log_err(NULL, "xdrsrv: neither a store nor an accept "
				 "function");
		return -1;
	}
	srv->threads = gw_xcalloc(srv->nthreads, sizeof(pthread_t));
	for (size_t i = 0; i < srv->nthreads; i++)
		if (pthread_create(&srv->threads[i], NULL, worker_main, srv) !=
		    0) {
			gw_log_err(NULL, "cannot start worker thread");
			srv->stop = 1;
			srv->nthreads = i;
			break;
		}
	while (!srv->stop) {
		char peer[64];
		SOAP_SOCKET s = soap_accept(m);

		if (!soap_valid_socket(s))
			continue; /* timeout (stop check) or a failed accept */
		snprintf(peer, sizeof(peer), "%.48s:%d",
			 m->host[0] ? m->host : "?", m->port);
		if (queue_push(srv, s, peer) != 0)
			soap_closesocket(s);
		m->socket = SOAP_INVALID_SOCKET;
	}
	/* Wake the workers: they finish what is queued, then exit. */
	pthread_mutex_lock(&srv->mu);
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	for (size_t i = 0; i < srv->nthreads; i++)
		pthread_join(srv->threads[i], NULL);
	free(srv->threads);
	srv->threads = NULL;
	return 0;
}

void
gw_xdrsrv_stop(struct gw_xdrsrv *srv)
{
	srv->stop = 1;
}

void
gw_xdrsrv_free(struct gw_xdrsrv *srv)
{
	if (srv == NULL)
		return;
	if (srv->master != NULL) {
		soap_destroy(srv->master);
		soap_end(srv->master);
		soap_free(srv->master);
	}
	free(srv->q);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free(srv);
}
