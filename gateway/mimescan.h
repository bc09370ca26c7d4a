/*
 * NAME
 *	mimescan - read received MIME entities in place: header fields,
 *	Content-Type parameters, multipart bodies, address lists
 * SUMMARY
 *	The few reading steps the incoming security agent needs before and
 *	after the cryptography, done over (pointer, length) without copying
 *	the entity: where the header block ends, the value of a field,
 *	type/subtype and a parameter of a Content-Type, the parts of a
 *	multipart body exactly as received, the addresses of To/Cc/From.
 * DESCRIPTION
 *	Pure functions: no allocation except into the caller's gw_buf, no
 *	I/O, no globals; thread-safe. Line ends may be CRLF or a bare LF
 *	(messages saved on Unix). A multipart part is the octets between
 *	the end of one delimiter line and the CRLF before the next
 *	delimiter (RFC 2046 5.1.1: that CRLF belongs to the delimiter), so
 *	a multipart/signed first part is handed to the verifier byte for
 *	byte as the signer wrote it (SPEC.md pitfall P1) - which is why
 *	this is not done by a MIME library that re-serialises parts.
 * STANDARDS
 *	RFC 5322 2.2 (header fields, folding), 3.4 (address lists), RFC
 *	2045 5.1 (Content-Type parameters), RFC 2046 5.1.1 (multipart
 *	delimiters), RFC 1847 / RFC 5751 3.5.3 (multipart/signed).
 * SECURITY
 *	Input is untrusted: every scan is bounded by its length; embedded
 *	NULs end nothing early; values are copied only into bounded
 *	buffers.
 * LIMITS
 *	Parameter values and types are truncated to the caller's buffer
 *	(and then refused); boundaries up to 70 characters (RFC 2046);
 *	the caller's maximum of parts and addresses.
 */
#ifndef GW_MIMESCAN_H
#define GW_MIMESCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "err.h"

/*
 * Split an entity into its header block (hlen bytes from p, the last
 * line end included) and its body (from *body_off). An entity that
 * starts with its blank line has no header fields; one without a blank
 * line is all header. Cannot fail.
 */
void gw_mimescan_split(const char *p, size_t len, size_t *hlen,
		       size_t *body_off);

/*
 * The nth (0: first) field called name (any case) in the header block
 * h, hlen: its value unfolded (line ends removed), without leading and
 * trailing blanks, replacing what out held. False when there is no
 * such field or out's maximum is passed.
 */
bool gw_mimescan_field(const char *h, size_t hlen, const char *name, size_t nth,
		       struct gw_buf *out);

/*
 * "type/subtype" of a Content-Type value, lower case, into out; an
 * empty value means "text/plain" (RFC 2045 5.2). GW_EPARSE for
 * anything that is not token/token or does not fit.
 */
int gw_mimescan_ctype(const char *value, char *out, size_t outlen,
		      struct gw_err *err);

/*
 * The parameter name (any case) of a structured value such as a
 * Content-Type, unquoted, into out. False when absent, malformed or
 * too long for out.
 */
bool gw_mimescan_param(const char *value, const char *name, char *out,
		       size_t outlen);

struct gw_mimescan_part {
	const char *p;
	size_t len;
};

/*
 * The parts of a multipart body (preamble and epilogue dropped), each
 * exactly as received. GW_EPARSE when the boundary is not 1-70
 * characters, there is no delimiter or no closing delimiter;
 * GW_ELIMIT past max parts.
 */
int gw_mimescan_multipart(const char *body, size_t len, const char *boundary,
			  struct gw_mimescan_part *parts, size_t max,
			  size_t *nout, struct gw_err *err);

/*
 * The addresses of an address-list value (To, Cc, From: display names,
 * comments, quoted strings and groups allowed), each normalised with
 * gw_addr_normalize(), appended to out from *n on. GW_EPARSE (5.6.0)
 * naming the first element that is not an address, GW_ELIMIT past max.
 */
int gw_mimescan_addrs(const char *value, char (*out)[GW_ADDR_MAX], size_t max,
		      size_t *n, struct gw_err *err);

#endif
