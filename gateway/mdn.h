/*
 * NAME
 *	mdn - Direct message disposition notifications: build and read
 * SUMMARY
 *	Builds the MDNs a receiving HISP owes the sender (processed for
 *	every trusted message; dispatched, with the
 *	X-DIRECT-FINAL-DESTINATION-DELIVERY extension field, after the
 *	final destination took it when the sender asked; failed when it
 *	could not be delivered) as a MIME entity ready for gw_smime_sign()
 *	and gw_smime_encrypt(): MDNs are Direct messages too. Reads the
 *	header fields that decide about MDNs, and reads MDNs and DSNs that
 *	come back (disposition, original message id, final recipient).
 * DESCRIPTION
 *	Header reading is a small bounded RFC 5322 scanner over the header
 *	block (unfolding continuation lines); it never looks at the body
 *	except to find the report part of a multipart/report.
 *	An MDN carries no Disposition-Notification-To and no
 *	Disposition-Notification-Options: it must never ask for another
 *	notification (ETT DTS 452), and gw_mdn_is_notification() tells a
 *	caller not to answer MDNs and DSNs at all.
 * STANDARDS
 *	RFC 8098 (MDN; 3798 before it), RFC 6522 (multipart/report), RFC
 *	3464 (DSN), Implementation Guide for Delivery Notification in
 *	Direct 1.0 (SPEC.md 2.2-2.5), RFC 5322.
 * LIMITS
 *	Header fields of at most GW_MDN_FIELD_MAX bytes after unfolding;
 *	header blocks of at most 256 KiB are scanned.
 */
#ifndef GW_MDN_H
#define GW_MDN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define GW_MDN_FIELD_MAX 1000
#define GW_MDN_MSGID_LEN 300

enum gw_mdn_disposition {
	GW_MDN_PROCESSED,
	GW_MDN_DISPATCHED,
	GW_MDN_FAILED,
	GW_MDN_OTHER, /* displayed, deleted, denied, error, ...: read only */
};

struct gw_mdn {
	enum gw_mdn_disposition disposition;
	const char *from;         /* the original recipient (our user) */
	const char *to;           /* the original sender */
	const char *orig_msgid;   /* "<id@domain>" of the original */
	const char *orig_subject; /* may be NULL */
	const char *reporting_ua; /* "host; product" */
	const char *reason;       /* failed: the Failure: text; else NULL */
	time_t date;
	/*
	 * Failed only: a DSN (RFC 3464, multipart/report;
	 * report-type=delivery-status) instead of a failed MDN, for a
	 * sender that did not ask for final delivery notification.
	 */
	bool dsn;
};

/*
 * Build the MDN (or DSN, see dsn) m describes. Appends to signable the entity
 * to sign (message/rfc822 wrapping the whole MDN, CRLF) and to outer_headers
 * the unprotected header block (From, To, Date, Message-ID, MIME-Version);
 * message_id gets the new MDN's id. GW_EPARSE for unusable input.
 */
int gw_mdn_build(const struct gw_mdn *m, struct gw_buf *signable,
		 struct gw_buf *outer_headers,
		 char message_id[GW_MDN_MSGID_LEN], struct gw_err *err);

/*
 * The value of header field name in the header block of msg, unfolded
 * and trimmed; false when absent (or longer than outlen - 1).
 */
bool gw_mdn_header(const void *msg, size_t len, const char *name, char *out,
		   size_t outlen);

/*
 * Did the message ask for final destination delivery notification
 * (Disposition-Notification-Options:
 * X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true, any case,
 * whitespace tolerated)? A malformed value counts as no.
 */
bool gw_mdn_wants_final(const void *msg, size_t len);

/* Is msg an MDN or a DSN (never to be answered with an MDN)? */
bool gw_mdn_is_notification(const void *msg, size_t len);

/* What a received MDN or DSN says. */
struct gw_mdn_info {
	bool is_dsn;
	enum gw_mdn_disposition disposition; /* MDN; DSN: failed or other */
	bool final_delivery_ext; /* X-DIRECT-FINAL-DESTINATION-DELIVERY */
	char orig_msgid[GW_MDN_MSGID_LEN]; /* Original-Message-ID, else
					      X-Original-Message-ID, else
					      In-Reply-To */
	char final_recipient[330];         /* address only */
	char status[16];                   /* DSN Status */
	char failure[300]; /* MDN Failure: (or Error:), DSN Diagnostic-Code */
};

/* Read an MDN or DSN (after decryption). GW_EPARSE when it is neither. */
int gw_mdn_parse(const void *msg, size_t len, struct gw_mdn_info *out,
		 struct gw_err *err);

#endif
