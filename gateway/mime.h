/*
 * NAME
 *	mime - build the Direct message that carries an XDM package
 * SUMMARY
 *	Builds the inner message of an outbound Direct message made from
 *	an XDR submission: multipart/mixed with a short text/plain note,
 *	optionally a text/html rendering of the first C-CDA, and the XDM
 *	zip as a base64 application/zip attachment, wrapped as
 *	message/rfc822 for header protection, ready for gw_smime_sign().
 *	Also returns the few header fields the outer (encrypted) message
 *	may show, and the new Message-ID.
 * DESCRIPTION
 *	The inner message carries From, To, Date, Message-ID
 *	(<uuid@domain of From>), Subject (always containing XDM/1.0/DDM),
 *	MIME-Version, Disposition-Notification-Options when final delivery
 *	notification is wanted, and In-Reply-To/References when given.
 *	The outer header block holds copies of From, To, Date, Message-ID
 *	and MIME-Version only: the Subject stays protected inside, and no
 *	Bcc is ever written. All output uses CRLF line ends and no line is
 *	longer than 998 characters. The zip is streamed from its file.
 * STANDARDS
 *	RFC 5322 (message format), RFC 2045-2047 and RFC 2183 (MIME,
 *	Content-Disposition), RFC 5751 3.1 (message/rfc822 wrapping), ITI
 *	TF-3 (ITI-32 XDM "ZIP over Email": Subject XDM/1.0/DDM), Direct
 *	Implementation Guide for Delivery Notification 1.0
 *	(X-DIRECT-FINAL-DESTINATION-DELIVERY), SPEC.md 1.3, 1.4, 2.2, 3.3,
 *	5.2.
 * SECURITY
 *	Every header value is checked before use: addresses must be plain
 *	addr-specs (dot-atom local part, host-name domain), and no value may
 *	contain CR, LF or another control character, so a caller cannot
 *	smuggle in header fields (a Bcc, say). Refusals are GW_EPARSE.
 * LIMITS
 *	No display names, quoted local parts or address literals; at most
 *	GW_MIME_MAX_RCPTS recipients; subject title, text and file name are
 *	bounded (see mime.c). The message is assembled in memory, bounded by
 *	the maximum of the caller's buffer.
 */
#ifndef GW_MIME_H
#define GW_MIME_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/* "<" + 36-character UUID + "@" + domain (<= 253) + ">" + NUL. */
#define GW_MIME_MSGID_LEN 300
#define GW_MIME_MAX_RCPTS 1000

struct gw_mime_direct {
	const char *from;          /* addr-spec; its domain names the id */
	const char *const *to;     /* addr-specs */
	size_t nto;                /* at least 1 */
	const char *subject_title; /* may be NULL: Subject is the tag only */
	int final_delivery;        /* ask for X-DIRECT-FINAL-DESTINATION... */
	const char *in_reply_to;   /* "<id@domain>" or NULL */
	const char *text;          /* UTF-8 note; NULL: a default one */
	const char *zip_path;      /* the XDM zip, streamed; or: */
	const void *zip_data;      /* the XDM zip in memory (when not NULL) */
	size_t zip_len;
	const char *zip_name; /* [A-Za-z0-9._-]; ".zip" added if absent */
	time_t date;
	/*
	 * NULL, or a UTF-8 page (a C-CDA's rendering, render.h) sent as a
	 * text/html part between the note and the zip (config html_part).
	 */
	const char *html;
	size_t html_len;
};

/*
 * Build the message m describes. Appends to signable the entity to sign
 * ("Content-Type: message/rfc822", a blank line, the whole inner
 * message) and to outer_headers the header fields of the outer message
 * (each ending CRLF, no blank line after them); writes the new
 * Message-ID, angle brackets included, to message_id. GW_EPARSE for a
 * refused input, GW_ELIMIT when a buffer's maximum would be passed,
 * GW_ERROR when the zip cannot be read.
 */
int gw_mime_build_direct(const struct gw_mime_direct *m,
			 struct gw_buf *signable, struct gw_buf *outer_headers,
			 char message_id[GW_MIME_MSGID_LEN],
			 struct gw_err *err);

/* Initialise GMime once per process (thread-safe; for mime_parse.c). */
void gw_mime_init(void);

/* A leaf part of a received message, its transfer encoding undone. */
struct gw_mime_part {
	char *content_type; /* "type/subtype", lower case */
	char *filename;     /* Content-Disposition or name=, or NULL */
	unsigned char *data;
	size_t len;
};

/*
 * The leaf parts of msg (a whole RFC 5322 message, e.g. what the
 * security agent unwrapped), depth first, with base64 and
 * quoted-printable decoded. A message/rfc822 part is one leaf (its raw
 * bytes). GW_ELIMIT past max_parts parts or max_total decoded bytes;
 * GW_EPARSE when it is not a message. Free with gw_mime_parts_free().
 */
int gw_mime_parts(const void *msg, size_t len, size_t max_parts,
		  size_t max_total, struct gw_mime_part **out, size_t *n,
		  struct gw_err *err);
void gw_mime_parts_free(struct gw_mime_part *p, size_t n);

/* RFC 5322 3.3 date-time in UTC, independent of the locale; -1 if t
 * is out of range. */
int gw_mime_date(time_t t, char *out, size_t n);

#endif
