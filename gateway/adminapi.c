/*
 * NAME
 *	adminapi - answers of the admin HTTP port (see adminapi.h)
 * DESCRIPTION
 *	JSON is written compactly into one bounded buffer; struct jw keeps
 *	the first append error so that a body over GW_ADMINAPI_BODY_MAX is
 *	a 500, never a truncated document. Times are RFC 3339 UTC strings,
 *	null when unset.
 *
 *	The histograms' events are the tracking's history rows that moved
 *	a recipient (tracker.c, gw_tracker_decide): "mdn processed" (to
 *	processed) and "mdn dispatched" (to dispatched); a duplicate or an
 *	ignored notice has another event text and is not counted. The time
 *	is the row's at minus the recipient's sent_at.
 */
#include "adminapi.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mem.h"

#define HIST_CHUNK    20000  /* history rows per store read */
#define HIST_ROWS_MAX 200000 /* per scrape */
#define REASONS_MAX   1000   /* reason groups read per scrape */
#define LABELS_MAX    50     /* distinct failure labels shown */
#define LOOKUP_MAX    20     /* messages one id may name */

#define TYPE_JSON    "application/json"
#define TYPE_TEXT    "text/plain; charset=utf-8"
#define TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

static const char *const rcpt_states[] = {"queued",     "sent",   "processed",
					  "dispatched", "failed", "timed-out"};
static const char *const in_states[] = {"queued", "delivered", "failed"};

/* Upper bounds of the histogram buckets, seconds. */
static const long long bounds[] = {1,   5,    15,   30,   60,    120,   300,
				   600, 1800, 3600, 7200, 14400, 43200, 86400};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct hist {
	long long n[NBOUNDS]; /* observations <= bounds[i], not cumulative */
	long long count;
	long long sum;
};

struct gw_adminapi {
	struct gw_store *st;
	pthread_mutex_t mu; /* the histograms and their cursor */
	long long cursor;   /* the last history row counted */
	struct hist processed, dispatched;
};

int
gw_adminapi_new(struct gw_store *st, struct gw_adminapi **out,
		struct gw_err *err)
{
	struct gw_adminapi *api = gw_xcalloc(1, sizeof(*api));

	*out = NULL;
	if (pthread_mutex_init(&api->mu, NULL) != 0) {
		free(api);
		return gw_err_set(err, GW_ERROR, "4.3.0",
				  "admin: pthread init");
	}
	api->st = st;
	*out = api;
	return 0;
}

void
gw_adminapi_free(struct gw_adminapi *api)
{
	if (api == NULL)
		return;
	pthread_mutex_destroy(&api->mu);
	free(api);
}

/* ---- pure pieces ------------------------------------------------------ */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gw_adminapi_unescape(const char *in, size_t len, bool form, char *out,
		     size_t outlen, struct gw_err *err)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi = i + 2 < len ? hexval(in[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(in[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return gw_err_set(err, GW_EPARSE, "5.5.2",
						  "bad percent escape");
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return gw_err_set(err, GW_EPARSE, "5.5.2",
					  "control character in the request");
		if (k + 1 >= outlen)
			return gw_err_set(err, GW_ELIMIT, "5.3.4",
					  "value longer than %zu bytes",
					  outlen - 1);
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

/* n digits at s into *v; false unless all are digits. */
static bool
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

bool
gw_adminapi_parse_time(const char *s, long long *out)
{
	size_t len = strlen(s);
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0;
	const char *p;
	time_t t;

	if (len > 0 && len <= 12 && strspn(s, "0123456789") == len) {
		*out = strtoll(s, NULL, 10);
		return *out > 0;
	}
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
		return false;
	p = s + 10;
	if (*p == 'T') {
		if (!digits(p + 1, 2, &h) || p[3] != ':' ||
		    !digits(p + 4, 2, &mi) || p[6] != ':' ||
		    !digits(p + 7, 2, &se))
			return false;
		p += 9;
		if (*p == '.') {
			size_t nf = strspn(p + 1, "0123456789");

			if (nf == 0 || nf > 9)
				return false;
			p += 1 + nf;
		}
		if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
			return false;
	} else if (*p != '\0') {
		return false;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || se > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t < 0 || tm.tm_mday != d) /* 31 February and the like */
		return false;
	*out = (long long)t;
	return true;
}

static bool
known_state(const char *s)
{
	for (size_t i = 0; i < sizeof(rcpt_states) / sizeof(rcpt_states[0]);
	     i++)
		if (strcmp(s, rcpt_states[i]) == 0)
			return true;
	return false;
}

/* One name=value of the list's query string into q. */
static int
query_param(const char *name, const char *v, struct gw_admin_query *q,
	    unsigned *seen, struct gw_err *err)
{
	static const char *const names[] = {"state", "address", "since",
					    "until", "limit"};
	unsigned bit = 0;
	char *end;
	long n;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			bit = 1u << i;
	if (bit == 0)
		return gw_err_set(err, GW_EPARSE, "5.5.2",
				  "unknown parameter '%.40s'", name);
	if (*seen & bit)
		return gw_err_set(err, GW_EPARSE, "5.5.2",
				  "parameter %s given twice", name);
	*seen |= bit;
	if (v[0] == '\0')
		return 0; /* empty: no filter */
	switch (bit) {
	case 1u << 0:
		if (!known_state(v))
			return gw_err_set(err, GW_EPARSE, "5.5.2",
					  "state: one of queued, sent, "
					  "processed, dispatched, failed");
		snprintf(q->state, sizeof(q->state), "%.15s", v);
		return 0;
	case 1u << 1:
		/* Kept as the EHR wrote it: the store matches in any case. */
		if (strchr(v, '@') == NULL || strpbrk(v, " <>\"") != NULL ||
		    strlen(v) >= sizeof(q->address))
			return gw_err_set(err, GW_EPARSE, "5.5.2",
					  "address: not a Direct address");
		memcpy(q->address, v, strlen(v) + 1);
		return 0;
	case 1u << 2:
	case 1u << 3:
		if (!gw_adminapi_parse_time(v, bit == (1u << 2) ? &q->since
								: &q->until))
			return gw_err_set(err, GW_EPARSE, "5.5.2",
					  "%s: Unix seconds, YYYY-MM-DD or "
					  "YYYY-MM-DDTHH:MM:SSZ",
					  name);
		return 0;
	default:
		n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || n < 1 ||
		    n > GW_ADMINAPI_LIMIT_MAX)
			return gw_err_set(err, GW_EPARSE, "5.5.2",
					  "limit: 1 to %d",
					  GW_ADMINAPI_LIMIT_MAX);
		q->limit = (size_t)n;
		return 0;
	}
}

int
gw_adminapi_parse_query(const char *qs, struct gw_admin_query *q,
			struct gw_err *err)
{
	char name[16], value[GW_ADDR_MAX];
	unsigned seen = 0;
	const char *p = qs;
	int rc = 0;

	memset(q, 0, sizeof(*q));
	q->limit = GW_ADMINAPI_LIMIT_DEF;
	while (*p != '\0' && rc == 0) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq != NULL ? (size_t)(eq - p) : len;

		if (len == 0) { /* "a=1&&b=2" */
			p++;
			continue;
		}
		if ((rc = gw_adminapi_unescape(p, nlen, true, name,
					       sizeof(name), err)) < 0 ||
		    (rc = gw_adminapi_unescape(eq != NULL ? eq + 1 : p + len,
					       eq != NULL ? len - nlen - 1 : 0,
					       true, value, sizeof(value),
					       err)) < 0) {
			rc = gw_err_set(err, GW_EPARSE, "5.5.2",
					"malformed query string");
			break;
		}
		rc = query_param(name, value, q, &seen, err);
		p += len;
		if (*p == '&')
			p++;
	}
	return rc;
}

/* A well-formed RFC 3463 status at s (class 2, 4 or 5): its length. */
static size_t
status_len(const char *s)
{
	size_t i = 0, part = 0, nd = 0;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if ((part > 0 && nd == 0) || ++part > 2)
				return 0;
			nd = 0;
		} else if (isdigit((unsigned char)s[i])) {
			if (part == 0 || ++nd > 3)
				return 0;
		} else {
			break;
		}
	}
	return part == 2 && nd > 0 && (s[i] == '\0' || s[i] == ' ') ? i : 0;
}

void
gw_adminapi_reason_label(const char *reason, char out[GW_ADMINAPI_REASON_LEN])
{
	const char *p = reason != NULL ? reason : "";
	size_t n;

	p += strspn(p, " ");
	if (*p == '\0') {
		snprintf(out, GW_ADMINAPI_REASON_LEN, "none");
		return;
	}
	if ((n = status_len(p)) > 0) {
		snprintf(out, GW_ADMINAPI_REASON_LEN, "%.*s", (int)n, p);
		return;
	}
	/* An SMTP reply code, maybe followed by its enhanced status. */
	if (strspn(p, "0123456789") == 3 && (p[0] >= '2' && p[0] <= '5') &&
	    (p[3] == ' ' || p[3] == '\0')) {
		if (p[3] == ' ' && (n = status_len(p + 4)) > 0)
			snprintf(out, GW_ADMINAPI_REASON_LEN, "%.*s", (int)n,
				 p + 4);
		else
			snprintf(out, GW_ADMINAPI_REASON_LEN, "%.3s", p);
		return;
	}
	snprintf(out, GW_ADMINAPI_REASON_LEN, "other");
}

/* ---- JSON ------------------------------------------------------------- */

/* A JSON writer that remembers the first error. */
struct jw {
	struct gw_buf *b;
	int rc;
	bool first; /* no member yet in the current object or array */
};

static void
put(struct jw *w, const char *s)
{
	if (w->rc == 0)
		w->rc = gw_buf_puts(w->b, s);
}

static void
open_(struct jw *w, const char *s)
{
	put(w, s);
	w->first = true;
}

static void
close_(struct jw *w, const char *s)
{
	put(w, s);
	w->first = false;
}

/* "key": (after a comma unless first); key is ours, never escaped. */
static void
key(struct jw *w, const char *k)
{
	if (!w->first)
		put(w, ",");
	w->first = false;
	if (k != NULL) {
		put(w, "\"");
		put(w, k);
		put(w, "\":");
	}
}

static void
jstr(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	if (w->rc == 0)
		w->rc = gw_json_str(w->b, v);
}

static void
jint(struct jw *w, const char *k, long long v)
{
	key(w, k);
	if (w->rc == 0)
		w->rc = gw_buf_printf(w->b, "%lld", v);
}

static void
jbool(struct jw *w, const char *k, bool v)
{
	key(w, k);
	put(w, v ? "true" : "false");
}

/* Unix seconds as RFC 3339 UTC, null for 0. */
static void
jtime(struct jw *w, const char *k, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	key(w, k);
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm) == 0)
		put(w, "null");
	else
		put(w, s);
}

static int
history_json(struct gw_store *st, const struct gw_store_trackrow *r,
	     struct jw *w, struct gw_err *err)
{
	struct gw_store_event *ev = NULL;
	size_t n = 0;
	int rc;

	if ((rc = gw_store_track_history(st, r->txid, r->address, &ev, &n,
					 err)) < 0)
		return rc;
	key(w, "history");
	open_(w, "[");
	for (size_t i = 0; i < n; i++) {
		key(w, NULL);
		open_(w, "{");
		jtime(w, "at", ev[i].at);
		jstr(w, "event", ev[i].event);
		jstr(w, "detail", ev[i].detail);
		close_(w, "}");
	}
	close_(w, "]");
	gw_store_events_free(ev, n);
	return 0;
}

/* The members of one tracked recipient (the caller opened its object). */
static void
trackrow_members(struct jw *w, const struct gw_store_trackrow *r)
{
	jstr(w, "address", r->address);
	jstr(w, "state", r->state);
	jbool(w, "final", r->final);
	jstr(w, "reason", r->reason);
	jstr(w, "direct_message_id", r->message_id);
	jbool(w, "final_delivery", r->final_delivery);
	jtime(w, "sent_at", r->sent_at);
	jtime(w, "final_at", r->final_at);
	key(w, "ehr_disposition");
	if (r->ehr_state == NULL) {
		put(w, "null");
		return;
	}
	open_(w, "{");
	jstr(w, "state", r->ehr_state);
	jint(w, "attempts", r->ehr_attempts);
	jtime(w, "next_at",
	      strcmp(r->ehr_state, "owed") == 0 ? r->ehr_next_at : 0);
	close_(w, "}");
}

static int
submission_json(struct gw_store *st, const char *txid, struct jw *w,
		struct gw_err *err)
{
	struct gw_store_record *r = NULL;
	struct gw_store_trackrow *rows = NULL;
	size_t n = 0;
	int rc;

	if ((rc = gw_store_submission_get(st, txid, &r, err)) < 0 ||
	    (rc = gw_store_track_list(st, txid, &rows, &n, err)) < 0)
		goto out;
	open_(w, "{");
	jstr(w, "direction", "outbound");
	jstr(w, "txid", r->txid);
	jstr(w, "message_id", r->message_id);
	jstr(w, "client", r->client);
	jstr(w, "sender", r->sender);
	jstr(w, "received_at", r->received_at);
	jstr(w, "metadata_level", r->metadata_level);
	jbool(w, "final_delivery", r->final_delivery);
	jstr(w, "relates_to", r->relates_to);
	jstr(w, "submission_set_unique_id", r->ss_unique_id);
	key(w, "documents");
	open_(w, "[");
	for (size_t i = 0; i < r->ndocs; i++) {
		key(w, NULL);
		open_(w, "{");
		jstr(w, "entry_id", r->docs[i].entry_id);
		jstr(w, "unique_id", r->docs[i].unique_id);
		jstr(w, "mime_type", r->docs[i].mime_type);
		jint(w, "size", (long long)r->docs[i].size);
		jstr(w, "sha1", r->docs[i].sha1);
		close_(w, "}");
	}
	close_(w, "]");
	key(w, "recipients");
	open_(w, "[");
	for (size_t i = 0; i < n && rc == 0; i++) {
		key(w, NULL);
		open_(w, "{");
		trackrow_members(w, &rows[i]);
		rc = history_json(st, &rows[i], w, err);
		close_(w, "}");
	}
	close_(w, "]");
	close_(w, "}");
out:
	gw_store_trackrows_free(rows, n);
	gw_store_record_free(r);
	return rc;
}

static int
inbound_json(struct gw_store *st, const char *txid, struct jw *w,
	     struct gw_err *err)
{
	struct gw_store_injob *j = NULL;
	int rc;

	if ((rc = gw_store_inbound_get(st, txid, &j, err)) < 0)
		return rc;
	open_(w, "{");
	jstr(w, "direction", "inbound");
	jstr(w, "txid", j->txid);
	jstr(w, "kind", j->kind);
	jstr(w, "state", j->state);
	jstr(w, "message_id", j->message_id);
	jstr(w, "sender", j->sender);
	jstr(w, "mail_from", j->mail_from);
	jstr(w, "peer", j->peer);
	jtime(w, "received_at", j->received_at);
	jbool(w, "wants_final", j->wants_final);
	jbool(w, "processed_mdn_sent", j->processed_sent);
	jint(w, "attempts", j->attempts);
	jstr(w, "last_error", j->last_error);
	key(w, "recipients");
	open_(w, "[");
	for (size_t i = 0; i < j->nrcpts; i++) {
		key(w, NULL);
		open_(w, "{");
		jstr(w, "address", j->rcpts[i].address);
		jstr(w, "state", j->rcpts[i].state);
		jstr(w, "reason", j->rcpts[i].reason);
		jbool(w, "final_mdn_done", j->rcpts[i].notified);
		close_(w, "}");
	}
	close_(w, "]");
	close_(w, "}");
	gw_store_injobs_free(j, 1);
	return 0;
}

int
gw_adminapi_message_json(struct gw_store *st, const struct gw_store_match *m,
			 struct gw_buf *b, struct gw_err *err)
{
	struct jw w = {.b = b, .first = true};
	int rc = m->inbound ? inbound_json(st, m->txid, &w, err)
			    : submission_json(st, m->txid, &w, err);

	if (rc == 0 && w.rc == 0)
		w.rc = gw_buf_puts(b, "\n");
	if (rc == 0 && w.rc < 0)
		rc = gw_err_set(err, GW_ELIMIT, "4.3.4",
				"admin: the answer is too large");
	return rc;
}

int
gw_adminapi_lookup(struct gw_store *st, const char *id,
		   struct gw_store_match **out, size_t *n, struct gw_err *err)
{
	char *bracketed;
	int rc;

	if ((rc = gw_store_message_lookup(st, id, LOOKUP_MAX, out, n, err)) <
		0 ||
	    *n > 0 || id[0] == '<' || strchr(id, '@') == NULL)
		return rc;
	free(*out);
	bracketed = gw_xmalloc(strlen(id) + 3);
	bracketed[0] = '<';
	memcpy(bracketed + 1, id, strlen(id));
	memcpy(bracketed + 1 + strlen(id), ">", 2);
	rc = gw_store_message_lookup(st, bracketed, LOOKUP_MAX, out, n, err);
	free(bracketed);
	return rc;
}

/* ---- responses -------------------------------------------------------- */

static void
reply_text(struct gw_admin_resp *resp, int status, const char *text)
{
	resp->status = status;
	resp->type = TYPE_TEXT;
	gw_buf_reset(&resp->body);
	gw_buf_printf(&resp->body, "%s\n", text);
}

/* {"error": text} with status. */
static void
reply_error(struct gw_admin_resp *resp, int status, const char *text)
{
	resp->status = status;
	resp->type = TYPE_JSON;
	gw_buf_reset(&resp->body);
	gw_buf_puts(&resp->body, "{\"error\":");
	gw_json_str(&resp->body, text);
	gw_buf_puts(&resp->body, "}\n");
}

/* A store failure: 503 when it may pass, 500 otherwise. */
static void
reply_store_error(struct gw_admin_resp *resp, const struct gw_err *err)
{
	reply_error(resp, err->code == GW_ETEMP ? 503 : 500, err->msg);
}

static void
get_message(struct gw_adminapi *api, const char *raw, size_t rawlen,
	    struct gw_admin_resp *resp)
{
	struct gw_store_match *m = NULL;
	char id[GW_ADMINAPI_ID_MAX + 1];
	struct gw_err err;
	size_t n = 0;

	if (rawlen == 0 || memchr(raw, '/', rawlen) != NULL) {
		reply_error(resp, 404, "no such resource");
		return;
	}
	if (gw_adminapi_unescape(raw, rawlen, false, id, sizeof(id), &err) <
	    0) {
		reply_error(resp, 400, err.msg);
		return;
	}
	if (gw_adminapi_lookup(api->st, id, &m, &n, &err) < 0) {
		reply_store_error(resp, &err);
		return;
	}
	if (n == 0) {
		reply_error(resp, 404, "no message with that id");
	} else if (n > 1) {
		struct jw w = {.b = &resp->body, .first = true};

		resp->status = 409;
		resp->type = TYPE_JSON;
		open_(&w, "{");
		jstr(&w, "error", "the id names several messages");
		key(&w, "matches");
		open_(&w, "[");
		for (size_t i = 0; i < n; i++) {
			key(&w, NULL);
			open_(&w, "{");
			jstr(&w, "txid", m[i].txid);
			jstr(&w, "direction",
			     m[i].inbound ? "inbound" : "outbound");
			close_(&w, "}");
		}
		close_(&w, "]}\n");
	} else if (gw_adminapi_message_json(api->st, &m[0], &resp->body, &err) <
		   0) {
		if (err.code == GW_ENOTFOUND) /* gone since the lookup */
			reply_error(resp, 404, "no message with that id");
		else if (err.code == GW_ELIMIT)
			reply_error(resp, 500, err.msg);
		else
			reply_store_error(resp, &err);
	} else {
		resp->status = 200;
		resp->type = TYPE_JSON;
	}
	free(m);
}

static void
get_list(struct gw_adminapi *api, const char *qs, struct gw_admin_resp *resp)
{
	struct gw_store_trackrow *rows = NULL;
	struct jw w = {.b = &resp->body, .first = true};
	struct gw_admin_query aq;
	struct gw_store_trackq q;
	struct gw_err err;
	size_t n = 0;

	if (gw_adminapi_parse_query(qs, &aq, &err) < 0) {
		reply_error(resp, 400, err.msg);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.state = aq.state[0] ? aq.state : NULL;
	q.address = aq.address[0] ? aq.address : NULL;
	q.since = aq.since;
	q.until = aq.until;
	q.max = aq.limit;
	if (gw_store_track_query(api->st, &q, &rows, &n, &err) < 0) {
		reply_store_error(resp, &err);
		return;
	}
	open_(&w, "{");
	jint(&w, "count", (long long)n);
	jint(&w, "limit", (long long)aq.limit);
	jbool(&w, "truncated", n == aq.limit);
	key(&w, "recipients");
	open_(&w, "[");
	for (size_t i = 0; i < n; i++) {
		key(&w, NULL);
		open_(&w, "{");
		jstr(&w, "txid", rows[i].txid);
		jstr(&w, "message_id", rows[i].wsa_message_id);
		jstr(&w, "sender", rows[i].sender);
		jstr(&w, "received_at", rows[i].received_at);
		trackrow_members(&w, &rows[i]);
		close_(&w, "}");
	}
	close_(&w, "]}\n");
	gw_store_trackrows_free(rows, n);
	if (w.rc < 0) {
		reply_error(resp, 500, "the answer is too large");
		return;
	}
	resp->status = 200;
	resp->type = TYPE_JSON;
}

/* ---- metrics ---------------------------------------------------------- */

static void
observe(struct hist *h, long long d)
{
	size_t i = 0;

	if (d < 0)
		d = 0; /* clocks of two hosts */
	while (i < NBOUNDS && d > bounds[i])
		i++;
	if (i < NBOUNDS)
		h->n[i]++;
	h->count++;
	h->sum += d;
}

/* Count the history rows written since the last scrape. With api->mu. */
static int
catch_up(struct gw_adminapi *api, struct gw_err *err)
{
	size_t total = 0;

	while (total < HIST_ROWS_MAX) {
		struct gw_store_histrow *v = NULL;
		size_t n = 0;
		int rc = gw_store_track_events(api->st, api->cursor, HIST_CHUNK,
					       &v, &n, err);

		if (rc < 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			const char *e = v[i].event != NULL ? v[i].event : "";

			if (v[i].sent_at > 0 && strcmp(e, "mdn processed") == 0)
				observe(&api->processed,
					v[i].at - v[i].sent_at);
			else if (v[i].sent_at > 0 &&
				 strcmp(e, "mdn dispatched") == 0)
				observe(&api->dispatched,
					v[i].at - v[i].sent_at);
			api->cursor = v[i].id;
		}
		gw_store_histrows_free(v, n);
		total += n;
		if (n < HIST_CHUNK)
			break;
	}
	return 0;
}

static void
hist_text(struct gw_buf *b, const char *name, const char *help,
	  const struct hist *h)
{
	long long cum = 0;

	gw_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
		      name);
	for (size_t i = 0; i < NBOUNDS; i++) {
		cum += h->n[i];
		gw_buf_printf(b, "%s_bucket{le=\"%lld\"} %lld\n", name,
			      bounds[i], cum);
	}
	gw_buf_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n", name, h->count);
	gw_buf_printf(b, "%s_sum %lld\n%s_count %lld\n", name, h->sum, name,
		      h->count);
}

static long long
count_of(const struct gw_store_count *v, size_t n, const char *k)
{
	long long sum = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, k) == 0)
			sum += v[i].n;
	return sum;
}

/* Failed recipients by label: at most LABELS_MAX labels, then "other". */
static void
failures_text(struct gw_buf *b, const struct gw_store_metrics *m)
{
	char labels[LABELS_MAX][GW_ADMINAPI_REASON_LEN];
	long long counts[LABELS_MAX];
	long long failed =
	    count_of(m->rcpt_states, m->nrcpt_states, "failed") +
	    count_of(m->rcpt_states, m->nrcpt_states, "timed-out");
	long long seen = 0, other = 0;
	size_t nl = 0;

	for (size_t i = 0; i < m->nfailed; i++) {
		char l[GW_ADMINAPI_REASON_LEN];
		size_t k = 0;

		gw_adminapi_reason_label(m->failed[i].key, l);
		seen += m->failed[i].n;
		while (k < nl && strcmp(labels[k], l) != 0)
			k++;
		if (k == nl && (nl == LABELS_MAX || strcmp(l, "other") == 0)) {
			other += m->failed[i].n;
			continue;
		}
		if (k == nl) {
			memcpy(labels[nl], l, sizeof(l));
			counts[nl++] = 0;
		}
		counts[k] += m->failed[i].n;
	}
	/* Groups beyond what was read are "other" too. */
	if (failed > seen)
		other += failed - seen;
	gw_buf_puts(b, "# HELP dxgw_recipient_failures Failed recipients of "
		       "submissions, by the RFC 3463 status (or SMTP code) "
		       "their reason starts with.\n"
		       "# TYPE dxgw_recipient_failures gauge\n");
	for (size_t i = 0; i < nl; i++)
		gw_buf_printf(b,
			      "dxgw_recipient_failures{reason=\"%s\"} %lld\n",
			      labels[i], counts[i]);
	if (other > 0)
		gw_buf_printf(b,
			      "dxgw_recipient_failures{reason=\"other\"} "
			      "%lld\n",
			      other);
}

static void
metrics_text(struct gw_buf *b, const struct gw_store_metrics *m,
	     const struct hist *processed, const struct hist *dispatched)
{
	const struct {
		const char *name;
		long long v;
	} queues[] = {
	    {"conversion", m->converting},
	    {"outbound", m->outbound},
	    {"notification", m->notices},
	    {"inbound", m->inbound},
	    {"ehr_disposition", m->ehr_owed},
	    {"untracked_notice", m->untracked},
	};

	gw_buf_puts(b, "# HELP dxgw_store_up 1 when the store answered.\n"
		       "# TYPE dxgw_store_up gauge\ndxgw_store_up 1\n");
	gw_buf_puts(b, "# HELP dxgw_queue_depth Work waiting in the store: "
		       "submissions to convert, Direct messages and our MDNs "
		       "to send, inbound messages to deliver, dispositions "
		       "owed to EHRs, MDNs/DSNs to track.\n"
		       "# TYPE dxgw_queue_depth gauge\n");
	for (size_t i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		gw_buf_printf(b, "dxgw_queue_depth{queue=\"%s\"} %lld\n",
			      queues[i].name, queues[i].v);
	gw_buf_puts(b, "# HELP dxgw_recipients Recipients of submissions "
		       "(XDR in, Direct out), by tracking state.\n"
		       "# TYPE dxgw_recipients gauge\n");
	for (size_t i = 0; i < sizeof(rcpt_states) / sizeof(rcpt_states[0]);
	     i++)
		gw_buf_printf(
		    b, "dxgw_recipients{state=\"%s\"} %lld\n", rcpt_states[i],
		    count_of(m->rcpt_states, m->nrcpt_states, rcpt_states[i]));
	gw_buf_puts(b, "# HELP dxgw_inbound_recipients Recipients of inbound "
		       "Direct messages (Direct in, XDR out), by state.\n"
		       "# TYPE dxgw_inbound_recipients gauge\n");
	for (size_t i = 0; i < sizeof(in_states) / sizeof(in_states[0]); i++)
		gw_buf_printf(
		    b, "dxgw_inbound_recipients{state=\"%s\"} %lld\n",
		    in_states[i],
		    count_of(m->in_states, m->nin_states, in_states[i]));
	failures_text(b, m);
	hist_text(b, "dxgw_time_to_processed_seconds",
		  "From sending a Direct message to the processed MDN of a "
		  "recipient.",
		  processed);
	hist_text(b, "dxgw_time_to_dispatched_seconds",
		  "From sending a Direct message to the dispatched MDN of a "
		  "recipient (final delivery).",
		  dispatched);
}

static void
get_metrics(struct gw_adminapi *api, struct gw_admin_resp *resp)
{
	struct gw_store_metrics m;
	struct hist p, d;
	struct gw_err err;
	int rc;

	pthread_mutex_lock(&api->mu);
	rc = catch_up(api, &err);
	p = api->processed;
	d = api->dispatched;
	pthread_mutex_unlock(&api->mu);
	if (rc == 0)
		rc = gw_store_metrics_read(api->st, REASONS_MAX, &m, &err);
	else
		memset(&m, 0, sizeof(m));
	if (rc < 0) {
		reply_text(resp, 503, err.msg);
		gw_store_metrics_dispose(&m);
		return;
	}
	metrics_text(&resp->body, &m, &p, &d);
	gw_store_metrics_dispose(&m);
	resp->status = 200;
	resp->type = TYPE_METRICS;
}

void
gw_adminapi_get(struct gw_adminapi *api, const char *target,
		struct gw_admin_resp *resp)
{
	static const char msgs[] = "/v1/messages";
	size_t plen = strcspn(target, "?");
	const char *qs = target[plen] == '?' ? target + plen + 1 : "";
	struct gw_err err;

	gw_buf_init(&resp->body, GW_ADMINAPI_BODY_MAX);
	resp->status = 500;
	resp->type = TYPE_TEXT;
	if (plen == 7 && memcmp(target, "/health", 7) == 0) {
		reply_text(resp, 200, "ok");
	} else if (plen == 6 && memcmp(target, "/ready", 6) == 0) {
		if (gw_store_ping(api->st, &err) < 0)
			reply_text(resp, 503, err.msg);
		else
			reply_text(resp, 200, "ready");
	} else if (plen == 8 && memcmp(target, "/metrics", 8) == 0) {
		get_metrics(api, resp);
	} else if (plen == sizeof(msgs) - 1 &&
		   memcmp(target, msgs, plen) == 0) {
		get_list(api, qs, resp);
	} else if (plen > sizeof(msgs) &&
		   memcmp(target, msgs, sizeof(msgs) - 1) == 0 &&
		   target[sizeof(msgs) - 1] == '/') {
		get_message(api, target + sizeof(msgs), plen - sizeof(msgs),
			    resp);
	} else {
		reply_error(resp, 404, "no such resource");
	}
}
