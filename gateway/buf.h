/*
 * NAME
 *	buf - bounded, binary-safe growable buffer
 * SUMMARY
 *	Every gw_buf has a maximum chosen by its creator; growing past it
 *	returns GW_ELIMIT. The data is always NUL-terminated for convenience
 *	but may contain NULs.
 */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct gw_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* Start an empty buffer that may hold at most max bytes. */
void gw_buf_init(struct gw_buf *b, size_t max);
/* Free the contents; the struct may be reused after gw_buf_init. */
void gw_buf_dispose(struct gw_buf *b);
/* Forget the contents, keep the memory. */
void gw_buf_reset(struct gw_buf *b);
/* Append; GW_ELIMIT if the maximum would be passed (nothing appended). */
int gw_buf_append(struct gw_buf *b, const void *p, size_t len);
/* Make room for extra more bytes now (one allocation); GW_ELIMIT. */
int gw_buf_reserve(struct gw_buf *b, size_t extra);
int gw_buf_puts(struct gw_buf *b, const char *s);
int gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int gw_buf_vprintf(struct gw_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append s with the five XML special characters escaped. */
int gw_buf_xml_escape(struct gw_buf *b, const char *s);
/* Hand the data to the caller (free() it); the buffer becomes empty. */
char *gw_buf_take(struct gw_buf *b);
/* Write all len bytes of p to fd, retrying short writes and EINTR; -1
 * with errno set on failure. */
int gw_buf_write_fd(int fd, const void *p, size_t len);

#endif
