/*
 * NAME
 *	json - JSON strings (see json.h)
 */
#include "json.h"

/*
 * The length of the well-formed UTF-8 sequence at p (at most n bytes
 * available), or 0 when it is not one (RFC 3629 4, Table 3-7 of the
 * Unicode standard).
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

int
gw_json_str(struct gw_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int rc;

	if (s == NULL)
		return gw_buf_puts(b, "null");
	n = 0;
	while (p[n] != '\0')
		n++;
	if ((rc = gw_buf_puts(b, "\"")) < 0)
		return rc;
	while (n > 0 && rc == 0) {
		size_t run = 0, k;

		/* The longest run that needs no escape, in one append. */
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		if (run > 0) {
			rc = gw_buf_append(b, p, run);
			p += run;
			n -= run;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			rc = gw_buf_printf(b, "\\%c", *p);
			k = 1;
		} else if (*p == '\n') {
			rc = gw_buf_puts(b, "\\n");
			k = 1;
		} else if (*p == '\r') {
			rc = gw_buf_puts(b, "\\r");
			k = 1;
		} else if (*p == '\t') {
			rc = gw_buf_puts(b, "\\t");
			k = 1;
		} else if (*p < 0x80) {
			rc = gw_buf_printf(b, "\\u%04x", *p);
			k = 1;
		} else if ((k = utf8_len(p, n)) > 0) {
			rc = gw_buf_append(b, p, k);
		} else {
			rc = gw_buf_puts(b, "\\ufffd");
			k = 1;
		}
		p += k;
		n -= k;
	}
	if (rc == 0)
		rc = gw_buf_puts(b, "\"");
	return rc;
}
