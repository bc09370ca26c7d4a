/*
 * NAME
 *	addr - Direct address normalisation (see addr.h)
 * DESCRIPTION
 *	Quoted local parts and address literals are refused: Direct
 *	addresses are plain dot-atoms in practice, and a refusal is better
 *	than a lookup under a name nobody publishes.
 * SECURITY
 *	Input is untrusted (from SOAP headers and mail envelopes); a valid
 *	domain never contains '/' or "..", so it is safe as a file name.
 */
#include "addr.h"

#include <ctype.h>
#include <string.h>

bool
gw_addr_domain_ok(const char *d)
{
	size_t n = strlen(d), label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-')
			return false;
		if (ch == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && d[n - 1] != '-';
}

const char *
gw_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

static bool
local_char_ok(unsigned char ch)
{
	/* RFC 5322 atext and '.', ASCII only. */
	return isalnum(ch) ||
	       (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", ch));
}

int
gw_addr_normalize(const char *in, char *out, size_t outlen, struct gw_err *err)
{
	const char *p = in, *e, *at, *plus;
	size_t llen, dlen;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > p && *p == '<' && e[-1] == '>')
		p++, e--;
	at = e > p ? memchr(p, '@', (size_t)(e - p)) : NULL;
	if (at == NULL || memchr(at + 1, '@', (size_t)(e - at - 1)) != NULL)
		goto bad;
	plus = memchr(p, '+', (size_t)(at - p));
	llen = (size_t)((plus != NULL ? plus : at) - p);
	dlen = (size_t)(e - at - 1);
	if (llen == 0 || llen > 64 || dlen == 0 || dlen > 253 ||
	    llen + 1 + dlen + 1 > outlen || p[0] == '.' || p[llen - 1] == '.')
		goto bad;
	for (size_t i = 0; i < (size_t)(at - p); i++)
		if (!local_char_ok((unsigned char)p[i]) ||
		    (p[i] == '.' && p[i + 1] == '.'))
			goto bad;
	for (size_t i = 0; i < llen; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[llen] = '@';
	for (size_t i = 0; i < dlen; i++)
		out[llen + 1 + i] = (char)tolower((unsigned char)at[1 + i]);
	out[llen + 1 + dlen] = '\0';
	if (!gw_addr_domain_ok(out + llen + 1))
		goto bad;
	return 0;
bad:
	if (outlen > 0)
		out[0] = '\0';
	return gw_err_set(err, GW_EPARSE, "5.1.3",
			  "not a Direct address: '%.100s'", in);
}
