/*
 * NAME
 *	mem - allocation wrappers
 * DESCRIPTION
 *	gw_mem_tune(): a conversion allocates and frees a few buffers of
 *	about the message size (the document, the zip, the MIME text, the
 *	signed and the encrypted message). With glibc's defaults, buffers
 *	over 128 KiB come from mmap and a thread arena whose top grows past
 *	128 KiB is trimmed with madvise on free, so every message paid
 *	again for zero-filled pages: a third of the converter's CPU time
 *	for 100 KB documents (bench/outbench). Raising both thresholds
 *	keeps that memory for the next message; the resident size stays
 *	what the largest messages needed, which the limits bound anyway.
 */
#include "mem.h"

#include <malloc.h>
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
	explicit_bzero(p, len); /* not optimised away, unlike memset */
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

#define MMAP_THRESHOLD (32 * 1024 * 1024) /* glibc's own dynamic maximum */
#define TRIM_THRESHOLD (64 * 1024 * 1024)

void
gw_mem_tune(void)
{
	/* Best effort: a libc without these leaves its defaults. */
	(void)mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	(void)mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}
