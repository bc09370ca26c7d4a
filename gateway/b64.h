/*
 * NAME
 *	b64 - base64 decoding for MIME bodies
 * SUMMARY
 *	gw_b64_decode() decodes a base64 body (RFC 2045 6.8) in one pass
 *	with a table, skipping line breaks and other whitespace. It exists
 *	because OpenSSL's EVP_Decode* and BIO_f_base64 cost most of the
 *	time of reading a large S/MIME message (measured: about 38 % of the
 *	incoming agent at 1 MB).
 * STANDARDS
 *	RFC 2045 6.8, RFC 4648 4 (the standard alphabet, '=' padding).
 * LIMITS
 *	Strict about the alphabet: any other character (but CR, LF, space,
 *	tab) is an error, as is data after the padding or a final quantum
 *	of a single character.
 */
#ifndef GW_B64_H
#define GW_B64_H

#include <stddef.h>

#include "buf.h"

/*
 * Append the bytes that the base64 text in[0..len) encodes to out.
 * GW_EPARSE for text that is not base64, GW_ELIMIT when out's limit is
 * reached (out then holds a prefix).
 */
int gw_b64_decode(const char *in, size_t len, struct gw_buf *out);

#endif
