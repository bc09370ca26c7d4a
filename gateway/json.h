/*
 * NAME
 *	json - JSON text into a bounded buffer
 * SUMMARY
 *	gw_json_str() writes a C string as a JSON string (or null), the one
 *	piece every JSON writer here needs to get right; the callers lay
 *	out their objects themselves.
 * STANDARDS
 *	RFC 8259 7 (strings), RFC 3629 (UTF-8).
 * SECURITY
 *	Values come from the store and from peers: quotes, backslashes and
 *	every control character are escaped, and bytes that are not
 *	well-formed UTF-8 (overlong forms, surrogates, beyond U+10FFFF,
 *	truncated sequences) become U+FFFD, so the output is always valid
 *	JSON in valid UTF-8.
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include "buf.h"

/* Append s as a JSON string, or null when s is NULL. GW_ELIMIT. */
int gw_json_str(struct gw_buf *b, const char *s);

#endif
