/*
 * NAME
 *	mdn - build and read Direct MDNs (see mdn.h)
 * SECURITY
 *	Everything read comes from a remote HISP: the scanner is bounded,
 *	never writes past out, and the text copied from the original
 *	(Subject) into an MDN is reduced to printable ASCII without line
 *	breaks, so it cannot inject header fields.
 */
#include "mdn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "id.h"
#include "mime.h"
#include "mimescan.h"

#define HEADER_SCAN_MAX (256 * 1024)
#define SUBJECT_MAX     200
#define MAX_PARTS       16

static const char *const disp_names[] = {
    [GW_MDN_PROCESSED] = "processed",
    [GW_MDN_DISPATCHED] = "dispatched",
    [GW_MDN_FAILED] = "failed",
    [GW_MDN_OTHER] = "other",
};

/* The header block of p: its length. */
static size_t
header_block(const char *p, size_t len)
{
	size_t hlen = 0, off = 0;

	gw_mimescan_split(p, len < HEADER_SCAN_MAX ? len : HEADER_SCAN_MAX,
			  &hlen, &off);
	return hlen;
}

/*
 * Field name of the field block p[0..len) into out; all_blocks also
 * looks in the blocks after empty lines (DSN per-recipient fields).
 */
static bool
field(const char *p, size_t len, const char *name, bool all_blocks, char *out,
      size_t outlen)
{
	struct gw_buf v;
	bool found = false;

	gw_buf_init(&v, GW_MDN_FIELD_MAX);
	while (len > 0 && !found) {
		size_t hlen = 0, off = 0;

		gw_mimescan_split(p, len, &hlen, &off);
		found =
		    gw_mimescan_field(p, hlen, name, 0, &v) && v.len < outlen;
		if (!all_blocks || off == 0 || off > len)
			break;
		p += off;
		len -= off;
	}
	if (found) {
		memcpy(out, v.data, v.len);
		out[v.len] = '\0';
	}
	gw_buf_dispose(&v);
	return found;
}

bool
gw_mdn_header(const void *msg, size_t len, const char *name, char *out,
	      size_t outlen)
{
	if (outlen == 0)
		return false;
	out[0] = '\0';
	return field(msg, header_block(msg, len), name, false, out, outlen);
}

bool
gw_mdn_wants_final(const void *msg, size_t len)
{
	char v[GW_MDN_FIELD_MAX], c[GW_MDN_FIELD_MAX];
	size_t o = 0;

	if (!gw_mdn_header(msg, len, "Disposition-Notification-Options", v,
			   sizeof(v)))
		return false;
	for (const char *s = v; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t')
			c[o++] = (char)tolower((unsigned char)*s);
	c[o] = '\0';
	return strstr(c, "x-direct-final-destination-delivery=optional,true") !=
	       NULL;
}

/* The Content-Type's media type (lower case), boundary and report-type. */
static void
content_type(const char *p, size_t len, char *type, size_t tlen, char *bnd,
	     size_t blen, char *report, size_t rlen)
{
	char v[GW_MDN_FIELD_MAX];
	struct gw_err e;

	type[0] = bnd[0] = report[0] = '\0';
	if (!gw_mdn_header(p, len, "Content-Type", v, sizeof(v)) ||
	    gw_mimescan_ctype(v, type, tlen, &e) < 0) {
		type[0] = '\0';
		return;
	}
	if (!gw_mimescan_param(v, "boundary", bnd, blen))
		bnd[0] = '\0';
	if (gw_mimescan_param(v, "report-type", report, rlen))
		for (char *r = report; *r != '\0'; r++)
			*r = (char)tolower((unsigned char)*r);
	else
		report[0] = '\0';
}

bool
gw_mdn_is_notification(const void *msg, size_t len)
{
	char type[64], bnd[200], report[64];

	content_type(msg, len, type, sizeof(type), bnd, sizeof(bnd), report,
		     sizeof(report));
	return strcmp(type, "multipart/report") == 0 &&
	       (strcmp(report, "disposition-notification") == 0 ||
		strcmp(report, "delivery-status") == 0);
}

/*
 * The body of the part of multipart msg whose Content-Type is want.
 * Lenient where senders are sloppy: the reference implementation's MDNs
 * end without the closing delimiter, so one is supplied (in scratch) when
 * the strict split fails.
 */
static bool
find_part(const char *msg, size_t len, const char *bnd, const char *want,
	  struct gw_buf *scratch, const char **body, size_t *blen)
{
	struct gw_mimescan_part parts[MAX_PARTS];
	size_t hlen = 0, off = 0, n = 0;
	struct gw_err e;

	gw_mimescan_split(msg, len, &hlen, &off);
	if (off > len)
		return false;
	if (gw_mimescan_multipart(msg + off, len - off, bnd, parts, MAX_PARTS,
				  &n, &e) < 0) {
		gw_buf_reset(scratch);
		if (gw_buf_append(scratch, msg + off, len - off) < 0 ||
		    gw_buf_printf(scratch, "\r\n--%s--\r\n", bnd) < 0 ||
		    gw_mimescan_multipart(scratch->data, scratch->len, bnd,
					  parts, MAX_PARTS, &n, &e) < 0)
			return false;
	}
	for (size_t i = 0; i < n; i++) {
		char type[64], b2[8], r2[8];
		size_t ph = 0, po = 0;

		content_type(parts[i].p, parts[i].len, type, sizeof(type), b2,
			     sizeof(b2), r2, sizeof(r2));
		if (strcmp(type, want) != 0)
			continue;
		gw_mimescan_split(parts[i].p, parts[i].len, &ph, &po);
		*body = parts[i].p + po;
		*blen = po <= parts[i].len ? parts[i].len - po : 0;
		return true;
	}
	return false;
}

/* Trim blanks at both ends of out (in place). */
static void
trim(char *out)
{
	size_t a = strspn(out, " \t"), n = strlen(out);

	while (n > a && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	memmove(out, out + a, n - a);
	out[n - a] = '\0';
}

/* "rfc822; addr" -> "addr". */
static void
after_semicolon(char *v)
{
	char *s = strchr(v, ';');

	if (s != NULL) {
		memmove(v, s + 1, strlen(s + 1) + 1);
		trim(v);
	}
}

static enum gw_mdn_disposition
disposition_of(const char *v)
{
	const char *s = strrchr(v, ';');
	char t[32];
	size_t n;

	s = s != NULL ? s + 1 : v;
	s += strspn(s, " \t");
	n = strcspn(s, " \t/;");
	if (n >= sizeof(t))
		return GW_MDN_OTHER;
	for (size_t i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)s[i]);
	t[n] = '\0';
	if (strcmp(t, "processed") == 0)
		return GW_MDN_PROCESSED;
	if (strcmp(t, "dispatched") == 0)
		return GW_MDN_DISPATCHED;
	if (strcmp(t, "failed") == 0 || strcmp(t, "failure") == 0 ||
	    strcmp(t, "denied") == 0 || strcmp(t, "error") == 0)
		return GW_MDN_FAILED;
	return GW_MDN_OTHER;
}

int
gw_mdn_parse(const void *msg, size_t len, struct gw_mdn_info *out,
	     struct gw_err *err)
{
	char type[64], bnd[200], report[64], v[GW_MDN_FIELD_MAX];
	struct gw_buf scratch;
	const char *body;
	size_t blen;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	gw_buf_init(&scratch, len + 256);
	content_type(msg, len, type, sizeof(type), bnd, sizeof(bnd), report,
		     sizeof(report));
	if (strcmp(type, "multipart/report") != 0 || bnd[0] == '\0') {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"mdn: not a multipart/report");
		goto out;
	}
	out->is_dsn = strcmp(report, "delivery-status") == 0;
	if (!find_part(msg, len, bnd,
		       out->is_dsn ? "message/delivery-status"
				   : "message/disposition-notification",
		       &scratch, &body, &blen)) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0", "mdn: no %s part",
				out->is_dsn ? "delivery-status"
					    : "disposition-notification");
		goto out;
	}
	if (field(body, blen, "Final-Recipient", true, v, sizeof(v))) {
		after_semicolon(v);
		snprintf(out->final_recipient, sizeof(out->final_recipient),
			 "%.329s", v);
	}
	if (out->is_dsn) {
		out->disposition = GW_MDN_OTHER;
		if (field(body, blen, "Action", true, v, sizeof(v)) &&
		    strncasecmp(v, "failed", 6) == 0)
			out->disposition = GW_MDN_FAILED;
		if (field(body, blen, "Status", true, v, sizeof(v)))
			snprintf(out->status, sizeof(out->status), "%.15s", v);
		if (field(body, blen, "X-Original-Message-ID", true, v,
			  sizeof(v)))
			snprintf(out->orig_msgid, sizeof(out->orig_msgid),
				 "%.299s", v);
		if (field(body, blen, "Diagnostic-Code", true, v, sizeof(v))) {
			after_semicolon(v);
			snprintf(out->failure, sizeof(out->failure), "%.299s",
				 v);
		}
	} else {
		if (!field(body, blen, "Disposition", true, v, sizeof(v))) {
			rc = gw_err_set(err, GW_EPARSE, "5.6.0",
					"mdn: no Disposition field");
			goto out;
		}
		out->disposition = disposition_of(v);
		out->final_delivery_ext =
		    field(body, blen, "X-DIRECT-FINAL-DESTINATION-DELIVERY",
			  true, v, sizeof(v));
		if (field(body, blen, "Original-Message-ID", true, v,
			  sizeof(v)))
			snprintf(out->orig_msgid, sizeof(out->orig_msgid),
				 "%.299s", v);
		if (field(body, blen, "Failure", true, v, sizeof(v)) ||
		    field(body, blen, "Error", true, v, sizeof(v)))
			snprintf(out->failure, sizeof(out->failure), "%.299s",
				 v);
	}
	if (out->orig_msgid[0] == '\0' &&
	    gw_mdn_header(msg, len, "In-Reply-To", v, sizeof(v)))
		snprintf(out->orig_msgid, sizeof(out->orig_msgid), "%.299s", v);
	rc = 0;
out:
	gw_buf_dispose(&scratch);
	return rc;
}

/* Printable ASCII only, at most max bytes: safe inside a header field. */
static void
sanitize(const char *in, char *out, size_t max)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < max; in++)
		out[o++] = (*in >= 0x20 && *in < 0x7f) ? *in : ' ';
	out[o] = '\0';
}

static bool
token_ok(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= max &&
	       strpbrk(s, "\r\n") == NULL;
}

/* Check the input; normalised addresses into from/to. */
static int
check_input(const struct gw_mdn *m, char *from, char *to, struct gw_err *err)
{
	struct gw_err e;

	if (m->disposition == GW_MDN_OTHER ||
	    (m->dsn && m->disposition != GW_MDN_FAILED))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mdn: only processed, dispatched or failed "
				  "(a DSN only for failed)");
	if (m->from == NULL || m->to == NULL ||
	    gw_addr_normalize(m->from, from, GW_ADDR_MAX, &e) < 0 ||
	    gw_addr_normalize(m->to, to, GW_ADDR_MAX, &e) < 0)
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "mdn: bad From or To address");
	if (!token_ok(m->orig_msgid, GW_MDN_MSGID_LEN - 1) ||
	    m->orig_msgid[0] != '<' ||
	    m->orig_msgid[strlen(m->orig_msgid) - 1] != '>' ||
	    !token_ok(m->reporting_ua, 200))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mdn: bad original Message-ID or "
				  "Reporting-UA");
	return 0;
}

/* 1 to 3 digits at p: how many, else 0. */
static size_t
digits(const char *p)
{
	size_t n = strspn(p, "0123456789");

	return n <= 3 ? n : 0;
}

/* RFC 3463 status at the start of reason ("5.1.1 ..."), else 5.0.0. */
static void
status_of(const char *reason, char out[16])
{
	const char *p = reason;
	size_t a = 0, b = 0, end;

	if ((p[0] == '4' || p[0] == '5') && p[1] == '.' &&
	    (a = digits(p + 2)) > 0 && p[2 + a] == '.' &&
	    (b = digits(p + 3 + a)) > 0) {
		end = 3 + a + b;
		if (p[end] == '\0' || p[end] == ' ') {
			snprintf(out, 16, "%.*s", (int)end, p);
			return;
		}
	}
	snprintf(out, 16, "5.0.0");
}

/*
 * The body of a DSN (RFC 3464) for a failed delivery, as the RI writes
 * it (SPEC.md 2.5): Reporting-MTA and X-Original-Message-ID per
 * message, Final-Recipient, Action: failed and Status per recipient.
 */
static void
dsn_body(const struct gw_mdn *m, const char *from, const char *subject,
	 const char *reason, const char *bnd, struct gw_buf *in)
{
	char status[16], host[201];
	size_t hl = strcspn(m->reporting_ua, ";");

	status_of(reason, status);
	snprintf(host, sizeof(host), "%.*s", (int)(hl < 200 ? hl : 200),
		 m->reporting_ua);
	gw_buf_printf(in,
		      "Subject: Delivery failed:%s%s\r\nIn-Reply-To: %s\r\n"
		      "Content-Type: multipart/report;"
		      " report-type=delivery-status;\r\n"
		      " boundary=\"%s\"\r\n\r\n"
		      "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		      "\r\nYour message could not be delivered to %s.\r\n"
		      "--%s\r\nContent-Type: message/delivery-status\r\n\r\n"
		      "Reporting-MTA: dns; %s\r\n"
		      "X-Original-Message-ID: %s\r\n\r\n"
		      "Final-Recipient: rfc822; %s\r\n"
		      "Action: failed\r\nStatus: %s\r\n",
		      subject[0] ? " " : "", subject, m->orig_msgid, bnd, bnd,
		      from, bnd, host, m->orig_msgid, from, status);
	if (reason[0] != '\0')
		gw_buf_printf(in, "Diagnostic-Code: X-dxgw; %s\r\n", reason);
}

int
gw_mdn_build(const struct gw_mdn *m, struct gw_buf *signable,
	     struct gw_buf *outer_headers, char message_id[GW_MDN_MSGID_LEN],
	     struct gw_err *err)
{
	static const char *const subj[] = {"Processed", "Dispatched", "Failed"};
	static const char *const text[] = {
	    "Your message was successfully processed.",
	    "Your message was delivered to its final destination.",
	    "Your message could not be delivered to its final destination."};
	char from[GW_ADDR_MAX], to[GW_ADDR_MAX], date[64], uuid[GW_ID_UUID_LEN];
	char subject[SUBJECT_MAX + 1], reason[SUBJECT_MAX + 1], bnd[64];
	size_t s0 = signable->len, o0 = outer_headers->len;
	struct gw_buf in;
	int rc;

	message_id[0] = '\0';
	gw_buf_init(&in, 64 * 1024);
	if ((rc = check_input(m, from, to, err)) < 0)
		goto out;
	if (gw_mime_date(m->date, date, sizeof(date)) < 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0", "mdn: bad date");
		goto out;
	}
	sanitize(m->orig_subject, subject, sizeof(subject));
	sanitize(m->reason, reason, sizeof(reason));
	gw_id_uuid(uuid);
	snprintf(message_id, GW_MDN_MSGID_LEN, "<%s@%s>", uuid,
		 gw_addr_domain(from));
	gw_id_uuid(uuid);
	snprintf(bnd, sizeof(bnd), "dxgw-r-%s", uuid);
	gw_buf_printf(&in,
		      "From: %s\r\nTo: %s\r\nDate: %s\r\nMessage-ID: %s\r\n"
		      "MIME-Version: 1.0\r\n",
		      from, to, date, message_id);
	/* The outer header block is the same fields, byte for byte. */
	if (gw_buf_append(outer_headers, in.data, in.len) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "mdn: too large");
		goto out;
	}
	if (m->dsn) {
		dsn_body(m, from, subject, reason, bnd, &in);
		goto close;
	}
	gw_buf_printf(&in,
		      "Subject: %s:%s%s\r\nIn-Reply-To: %s\r\n"
		      "Content-Type: multipart/report;"
		      " report-type=disposition-notification;\r\n"
		      " boundary=\"%s\"\r\n\r\n"
		      "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		      "\r\n%s\r\n"
		      "--%s\r\nContent-Type: message/disposition-notification"
		      "\r\n\r\nReporting-UA: %s\r\n"
		      "Original-Recipient: rfc822; %s\r\n"
		      "Final-Recipient: rfc822; %s\r\n"
		      "Original-Message-ID: %s\r\n"
		      "Disposition: automatic-action/MDN-sent-automatically;"
		      "%s\r\n",
		      subj[m->disposition], subject[0] ? " " : "", subject,
		      m->orig_msgid, bnd, bnd, text[m->disposition], bnd,
		      m->reporting_ua, from, from, m->orig_msgid,
		      disp_names[m->disposition]);
	/* The IG's extension field, with an empty value as the RI writes. */
	if (m->disposition == GW_MDN_DISPATCHED)
		gw_buf_puts(&in, "X-DIRECT-FINAL-DESTINATION-DELIVERY:\r\n");
	if (m->disposition == GW_MDN_FAILED && reason[0] != '\0')
		gw_buf_printf(&in, "Failure: %s\r\n", reason);
close:
	if (gw_buf_printf(&in, "--%s--\r\n", bnd) < 0 ||
	    gw_buf_puts(signable, "Content-Type: message/rfc822\r\n\r\n") < 0 ||
	    gw_buf_append(signable, in.data, in.len) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "mdn: too large");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		signable->len = s0;
		outer_headers->len = o0;
		message_id[0] = '\0';
	}
	gw_buf_dispose(&in);
	return rc;
}
