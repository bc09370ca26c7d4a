/*
 * NAME
 *	mem - allocation wrappers
 */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t n)
{
	fprintf(stderr, "dxgw: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

void *
gw_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
gw_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
gw_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
gw_xstrdup(const char *s)
{
	return gw_xstrndup(s, strlen(s));
}

char *
gw_xstrndup(const char *p, size_t len)
{
	char *s = gw_xmalloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

void
gw_wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

char *
gw_xpath_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = gw_xmalloc(la + 1 + lb + 1);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}
