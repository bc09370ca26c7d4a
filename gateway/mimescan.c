/*
 * NAME
 *	mimescan - read received MIME entities in place (see mimescan.h)
 * DESCRIPTION
 *	Everything works on (pointer, length); a line ends at LF, with or
 *	without the CR before it. Field names are compared without regard
 *	to case and may be followed by blanks before the colon (RFC 5322
 *	obsolete syntax, still seen). Values are unfolded by dropping the
 *	CR and LF of each folding line end and keeping its blanks.
 */
#include "mimescan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70

/* Offset just after the line that starts at off. */
static size_t
line_end(const char *p, size_t len, size_t off)
{
	const char *nl = memchr(p + off, '\n', len - off);

	return nl != NULL ? (size_t)(nl - p) + 1 : len;
}

/* Is the line at off empty (only CRLF or LF)? */
static bool
blank_line(const char *p, size_t len, size_t off)
{
	return (off < len && p[off] == '\n') ||
	       (off + 1 < len && p[off] == '\r' && p[off + 1] == '\n');
}

void
gw_mimescan_split(const char *p, size_t len, size_t *hlen, size_t *body_off)
{
	size_t off = 0;

	while (off < len) {
		if (blank_line(p, len, off)) {
			*hlen = off;
			*body_off = line_end(p, len, off);
			return;
		}
		off = line_end(p, len, off);
	}
	*hlen = len;
	*body_off = len;
}

/* Does the field line at off carry name? Offset of its value in *val. */
static bool
field_is(const char *h, size_t hlen, size_t off, const char *name, size_t *val)
{
	size_t nl = strlen(name), i;

	if (hlen - off < nl + 1 || strncasecmp(h + off, name, nl) != 0)
		return false;
	i = off + nl;
	while (i < hlen && (h[i] == ' ' || h[i] == '\t'))
		i++;
	if (i >= hlen || h[i] != ':')
		return false;
	*val = i + 1;
	return true;
}

bool
gw_mimescan_field(const char *h, size_t hlen, const char *name, size_t nth,
		  struct gw_buf *out)
{
	size_t off = 0, val, end;

	gw_buf_reset(out);
	if (gw_buf_append(out, "", 0) < 0)
		return false;
	for (; off < hlen; off = line_end(h, hlen, off)) {
		if (h[off] == ' ' || h[off] == '\t' ||
		    !field_is(h, hlen, off, name, &val))
			continue;
		if (nth-- > 0)
			continue;
		/* The value runs on over continuation lines. */
		end = line_end(h, hlen, off);
		while (end < hlen && (h[end] == ' ' || h[end] == '\t'))
			end = line_end(h, hlen, end);
		for (size_t i = val; i < end; i++)
			if (h[i] != '\r' && h[i] != '\n' &&
			    gw_buf_append(out, h + i, 1) < 0)
				return false;
		/* Trim blanks at both ends. */
		while (out->len > 0 && (out->data[out->len - 1] == ' ' ||
					out->data[out->len - 1] == '\t'))
			out->data[--out->len] = '\0';
		end = strspn(out->data, " \t");
		memmove(out->data, out->data + end, out->len - end + 1);
		out->len -= end;
		return true;
	}
	return false;
}

/* RFC 2045 token character. */
static bool
tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skip blanks and (nested) comments. */
static const char *
skip_cfws(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '(')
			return s;
		for (int depth = 0; *s != '\0'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '(')
				depth++;
			else if (*s == ')' && --depth == 0) {
				s++;
				break;
			}
		}
	}
}

int
gw_mimescan_ctype(const char *value, char *out, size_t outlen,
		  struct gw_err *err)
{
	const char *s = skip_cfws(value);
	size_t n = 0;
	int slash = 0;

	if (*s == '\0' || *s == ';') {
		if (outlen < sizeof("text/plain"))
			goto bad;
		memcpy(out, "text/plain", sizeof("text/plain"));
		return 0;
	}
	for (; tchar((unsigned char)*s) || *s == '/'; s++) {
		if (*s == '/')
			slash++;
		if (n + 1 >= outlen)
			goto bad;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	s = skip_cfws(s);
	if (slash == 1 && out[0] != '/' && out[n - 1] != '/' &&
	    (*s == '\0' || *s == ';'))
		return 0;
bad:
	if (outlen > 0)
		out[0] = '\0';
	return gw_err_set(err, GW_EPARSE, "5.6.0",
			  "mime: bad Content-Type '%.80s'", value);
}

/* Copy a token or quoted string at s into out; the end, or NULL. */
static const char *
param_value(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return NULL;
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (n + 1 >= outlen)
				return NULL;
			out[n++] = *s;
		}
		s++;
	} else {
		for (; tchar((unsigned char)*s); s++) {
			if (n + 1 >= outlen)
				return NULL;
			out[n++] = *s;
		}
		if (n == 0)
			return NULL;
	}
	out[n] = '\0';
	return s;
}

bool
gw_mimescan_param(const char *value, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *s = value;
	char tmp[1024];

	if (outlen == 0)
		return false;
	/* Skip type/subtype, then walk "; attribute=value" pairs. */
	while (*s != '\0' && *s != ';')
		s++;
	while (*s == ';') {
		const char *a = skip_cfws(s + 1), *ae = a, *v;

		while (tchar((unsigned char)*ae))
			ae++;
		v = skip_cfws(ae);
		if (*v != '=')
			return false;
		v = skip_cfws(v + 1);
		if ((size_t)(ae - a) == nl && strncasecmp(a, name, nl) == 0)
			return param_value(v, out, outlen) != NULL;
		v = param_value(v, tmp, sizeof(tmp));
		if (v == NULL)
			return false;
		s = skip_cfws(v);
	}
	return false;
}

/*
 * Is there a delimiter line "--boundary" (then "--" when close, or
 * blanks and the line end) at off? The offset after its line in *next.
 */
static bool
delimiter_at(const char *b, size_t len, size_t off, const char *bnd, size_t bl,
	     bool *close, size_t *next)
{
	size_t i = off + 2 + bl;

	if (len - off < 2 + bl || b[off] != '-' || b[off + 1] != '-' ||
	    memcmp(b + off + 2, bnd, bl) != 0)
		return false;
	*close = i + 1 < len && b[i] == '-' && b[i + 1] == '-';
	if (*close)
		i += 2;
	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	if (i < len && b[i] != '\r' && b[i] != '\n')
		return false; /* "--boundaryX": a longer line, not ours */
	*next = line_end(b, len, i < len ? i : len);
	return true;
}

int
gw_mimescan_multipart(const char *body, size_t len, const char *boundary,
		      struct gw_mimescan_part *parts, size_t max, size_t *nout,
		      struct gw_err *err)
{
	size_t bl = strlen(boundary), off = 0, start = 0, next;
	bool open = false, close = false;

	*nout = 0;
	if (bl == 0 || bl > BOUNDARY_MAX)
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: boundary of %zu characters", bl);
	while (off < len) {
		if (!delimiter_at(body, len, off, boundary, bl, &close,
				  &next)) {
			off = line_end(body, len, off);
			continue;
		}
		if (open) {
			size_t end = off;

			/* The line end before the delimiter is its own. */
			if (end > start && body[end - 1] == '\n')
				end--;
			if (end > start && body[end - 1] == '\r')
				end--;
			if (*nout >= max)
				return gw_err_set(err, GW_ELIMIT, "5.6.0",
						  "mime: more than %zu parts",
						  max);
			parts[*nout].p = body + start;
			parts[*nout].len = end - start;
			(*nout)++;
		}
		if (close)
			return 0;
		open = true;
		start = next;
		off = next;
	}
	return gw_err_set(err, GW_EPARSE, "5.6.0", "mime: multipart %s",
			  open ? "without its closing delimiter"
			       : "without a delimiter");
}

/* One element of an address list, s..e: the addr-spec in it. */
static int
one_addr(const char *s, const char *e, char *out, struct gw_err *err)
{
	char spec[GW_ADDR_MAX];
	const char *lt = NULL, *gt = NULL;
	size_t n = 0;
	bool q = false;
	int depth = 0;

	for (const char *p = s; p < e; p++) {
		if (*p == '\\' && p + 1 < e) {
			p++;
			continue;
		}
		if (*p == '"' && depth == 0)
			q = !q;
		else if (!q && *p == '(')
			depth++;
		else if (!q && *p == ')' && depth > 0)
			depth--;
		else if (!q && depth == 0 && *p == '<')
			lt = p;
		else if (!q && depth == 0 && *p == '>' && lt != NULL)
			gt = p;
	}
	if (lt != NULL && gt != NULL && gt > lt) {
		s = lt + 1;
		e = gt;
	}
	/* Copy without comments and blanks (addr-spec only). */
	depth = 0;
	for (const char *p = s; p < e; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t') {
			if (n + 1 >= sizeof(spec))
				goto bad;
			spec[n++] = *p;
		}
	}
	spec[n] = '\0';
	if (gw_addr_normalize(spec, out, GW_ADDR_MAX, NULL) == 0)
		return 0;
bad:
	return gw_err_set(err, GW_EPARSE, "5.6.0",
			  "mime: not an address: '%.*s'",
			  (int)(e - s > 100 ? 100 : e - s), s);
}

int
gw_mimescan_addrs(const char *value, char (*out)[GW_ADDR_MAX], size_t max,
		  size_t *n, struct gw_err *err)
{
	const char *s = value, *p;
	bool q = false, angle = false;
	int depth = 0, rc;

	for (p = value;; p++) {
		bool end = *p == '\0';

		if (!end && *p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (!end && *p == '"' && depth == 0) {
			q = !q;
			continue;
		}
		if (!end && q)
			continue;
		if (!end && *p == '(')
			depth++;
		else if (!end && *p == ')' && depth > 0)
			depth--;
		if (depth > 0 && !end)
			continue;
		if (*p == '<')
			angle = true;
		else if (*p == '>')
			angle = false;
		if (!end && !angle && *p == ':') {
			s = p + 1; /* a group's display name */
			continue;
		}
		if (!end && (angle || (*p != ',' && *p != ';')))
			continue;
		if (skip_cfws(s) < p) {
			if (*n >= max)
				return gw_err_set(err, GW_ELIMIT, "5.6.0",
						  "mime: more than %zu "
						  "addresses",
						  max);
			if ((rc = one_addr(s, p, out[*n], err)) != 0)
				return rc;
			(*n)++;
		}
		if (end)
			return 0;
		s = p + 1;
	}
}
