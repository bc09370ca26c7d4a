/*
 * NAME
 *	adminapi - what the admin HTTP port answers: message status as JSON,
 *	health, readiness and Prometheus metrics
 * SUMMARY
 *	gw_adminapi_get() turns a GET request target into a response (status,
 *	content type, body) from the store; adminsrv.c owns the sockets,
 *	TLS and who may ask. The pure pieces (percent-decoding, the list's
 *	query string, times, failure-reason labels) are exported for tests.
 * DESCRIPTION
 *	GET /health                 200 "ok"
 *	GET /ready                  200 when the store answers, else 503
 *	GET /metrics                Prometheus text format 0.0.4
 *	GET /v1/messages/<id>       one message by txid, wsa:MessageID or
 *	                            Message-ID (with or without <>): JSON
 *	                            with each recipient's state and history
 *	GET /v1/messages?state=&address=&since=&until=&limit=
 *	                            tracked recipients of submissions,
 *	                            newest first, JSON
 *	Anything else is 404. An id that names several messages (one
 *	wsa:MessageID sent by two clients) is 409 with their txids.
 *
 *	Metrics are read from the store at each scrape: queue depths and
 *	state counts as they are now (gauges), failed recipients by the
 *	status their reason starts with, and the time from sending to the
 *	processed and the dispatched MDN as histograms. The histograms read
 *	the recipients' history through a cursor: each history row is
 *	counted once per process, so they are true counters that start from
 *	the history in the store when the daemon starts (read in chunks,
 *	at most HIST_ROWS_MAX rows per scrape, so a large history is caught
 *	up over a few scrapes).
 * SECURITY
 *	Shows addresses, identifiers, states and reasons (PHI metadata),
 *	never document contents, metadata or subjects: adminsrv.c decides
 *	who may ask. Every string in JSON is escaped (json.h); the request
 *	target is decoded into bounded buffers; label values in the metrics
 *	come from fixed sets or are RFC 3463 codes checked digit by digit.
 */
#ifndef GW_ADMINAPI_H
#define GW_ADMINAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "store.h"

#define GW_ADMINAPI_BODY_MAX   (32u * 1024 * 1024)
#define GW_ADMINAPI_LIMIT_DEF  100
#define GW_ADMINAPI_LIMIT_MAX  1000
#define GW_ADMINAPI_ID_MAX     1024 /* a decoded message id */
#define GW_ADMINAPI_REASON_LEN 16   /* a failure label with its NUL */

struct gw_adminapi;

struct gw_admin_resp {
	int status;       /* HTTP status */
	const char *type; /* Content-Type (static) */
	struct gw_buf body;
};

/* Over the borrowed store (it outlives the API). */
int gw_adminapi_new(struct gw_store *st, struct gw_adminapi **out,
		    struct gw_err *err);
void gw_adminapi_free(struct gw_adminapi *api);
/*
 * Answer a GET of target (path and query as received, still
 * percent-encoded). Fills resp (its body initialised here; the caller
 * disposes it). Thread-safe.
 */
void gw_adminapi_get(struct gw_adminapi *api, const char *target,
		     struct gw_admin_resp *resp);

/*
 * One message as JSON (the body of GET /v1/messages/<id>), for m as
 * gw_store_message_lookup() found it. GW_ENOTFOUND, GW_ETEMP, GW_ELIMIT.
 */
int gw_adminapi_message_json(struct gw_store *st,
			     const struct gw_store_match *m, struct gw_buf *b,
			     struct gw_err *err);
/*
 * The messages id names: as given, then (no match, no '<', an '@') as
 * "<id>", the way a Message-ID is written in a header. *out malloc'ed.
 */
int gw_adminapi_lookup(struct gw_store *st, const char *id,
		       struct gw_store_match **out, size_t *n,
		       struct gw_err *err);

/*
 * Percent-decode in[0..len) into out (NUL-terminated); with form, '+'
 * means a space (query strings). GW_EPARSE for a bad escape or a
 * decoded control character, GW_ELIMIT when out is too small.
 */
int gw_adminapi_unescape(const char *in, size_t len, bool form, char *out,
			 size_t outlen, struct gw_err *err);

/* The parameters of GET /v1/messages. */
struct gw_admin_query {
	char state[16];            /* "" = any */
	char address[GW_ADDR_MAX]; /* as given; "" = any */
	long long since, until;    /* Unix seconds; 0 = open */
	size_t limit;
};

/*
 * Parse a query string (without the '?'; may be empty): state (one of
 * the tracking states), address (a recipient or sender address, which
 * the store matches in any ASCII case), since and until
 * (gw_adminapi_parse_time), limit (1..GW_ADMINAPI_LIMIT_MAX, default
 * GW_ADMINAPI_LIMIT_DEF). Unknown, repeated or malformed parameters are
 * GW_EPARSE, with the reason in err.
 */
int gw_adminapi_parse_query(const char *q, struct gw_admin_query *out,
			    struct gw_err *err);
/*
 * Unix seconds, "YYYY-MM-DD" (midnight UTC) or RFC 3339 in UTC
 * ("YYYY-MM-DDTHH:MM:SS[.frac]Z"). False when malformed.
 */
bool gw_adminapi_parse_time(const char *s, long long *out);
/*
 * The label of a failure reason: the RFC 3463 status it starts with
 * ("5.1.1", also after an SMTP code: "550 5.1.1 ..."), else the SMTP
 * code ("550"), "none" for an empty reason, else "other".
 */
void gw_adminapi_reason_label(const char *reason,
			      char out[GW_ADMINAPI_REASON_LEN]);

#endif
