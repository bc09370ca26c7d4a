/*
 * NAME
 *	buf - bounded growable buffer (after curl's dynbuf)
 */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mem.h"

void
gw_buf_init(struct gw_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
gw_buf_dispose(struct gw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
gw_buf_reset(struct gw_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
reserve(struct gw_buf *b, size_t extra)
{
	size_t need;
	size_t cap;

	if (extra > b->max || b->len > b->max - extra)
		return GW_ELIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = gw_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
gw_buf_reserve(struct gw_buf *b, size_t extra)
{
	return reserve(b, extra) < 0 ? GW_ELIMIT : 0;
}

int
gw_buf_append(struct gw_buf *b, const void *p, size_t len)
{
	if (reserve(b, len) < 0)
		return GW_ELIMIT;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
gw_buf_puts(struct gw_buf *b, const char *s)
{
	return gw_buf_append(b, s, strlen(s));
}

int
gw_buf_vprintf(struct gw_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return GW_ERROR;
	if (reserve(b, (size_t)n) < 0)
		return GW_ELIMIT;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return GW_ERROR;
	b->len += (size_t)n;
	return 0;
}

int
gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gw_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
gw_buf_xml_escape(struct gw_buf *b, const char *s)
{
	const char *run = s;
	const char *rep;
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		switch (*s) {
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			continue;
		}
		rc = gw_buf_append(b, run, (size_t)(s - run));
		if (rc == 0)
			rc = gw_buf_puts(b, rep);
		run = s + 1;
	}
	if (rc == 0)
		rc = gw_buf_append(b, run, strlen(run));
	return rc;
}

char *
gw_buf_take(struct gw_buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = gw_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int
gw_buf_write_fd(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}
