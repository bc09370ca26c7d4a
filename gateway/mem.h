/*
 * NAME
 *	mem - allocation that never returns NULL
 * SUMMARY
 *	gw_xmalloc and friends abort the process on out-of-memory, as Postfix,
 *	OpenSMTPD and Redis do: every input is bounded by a configured limit,
 *	so OOM means the machine is broken, not that a message is too large.
 */
#ifndef GW_MEM_H
#define GW_MEM_H

#include <stddef.h>

void *gw_xmalloc(size_t n);
void *gw_xcalloc(size_t nmemb, size_t size);
void *gw_xrealloc(void *p, size_t n);
char *gw_xstrdup(const char *s);
/* "a/b" in new memory. */
char *gw_xpath_join(const char *a, const char *b);
/* Copy len bytes of p and add a NUL. */
char *gw_xstrndup(const char *p, size_t len);
/* Overwrite len bytes in a way the compiler cannot drop. */
void gw_wipe(void *p, size_t len);
/*
 * Process start-up, before threads: keep freed memory in malloc's
 * arenas instead of handing it back to the kernel after every message
 * (see mem.c). Not thread-safe.
 */
void gw_mem_tune(void);

#endif
