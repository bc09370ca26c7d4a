/*
 * NAME
 *	zipw - a small in-memory ZIP writer (see zipw.h)
 * DESCRIPTION
 *	Layout per APPNOTE 4.3.6: [local file header + data] for each
 *	entry, then one central directory header per entry, then the end of
 *	central directory record. All integers are little-endian. Version
 *	"made by" is UNIX 2.0 so the external attributes carry the mode
 *	(files rw-r--r--, directories rwxr-xr-x plus the MS-DOS directory
 *	bit); the time stamp is the DOS form of the current UTC time.
 *	The deflated data is compressed straight into the output buffer
 *	behind its header, which is filled in afterwards.
 */
#include "zipw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>

#include "mem.h"

#define LOCAL_SIG   0x04034b50u
#define CENTRAL_SIG 0x02014b50u
#define END_SIG     0x06054b50u
#define LOCAL_LEN   30
#define CENTRAL_LEN 46
#define END_LEN     22
#define VERSION     20              /* 2.0: deflate, directories */
#define MADE_BY     ((3 << 8) | 20) /* UNIX, 2.0 */
#define MAX_ENTRIES 65535u
#define MAX_OFFSET  0xffffffffu

struct gw_zipw {
	struct gw_buf *out;
	size_t base; /* where the archive starts in out */
	struct gw_buf central;
	struct libdeflate_compressor *c;
	unsigned entries;
	uint16_t dos_time, dos_date;
};

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

int
gw_zipw_new(struct gw_buf *out, int level, struct gw_zipw **z,
	    struct gw_err *err)
{
	struct gw_zipw *w = gw_xcalloc(1, sizeof(*w));
	time_t now = time(NULL);
	struct tm tm;

	*z = NULL;
	w->out = out;
	w->base = out->len;
	gw_buf_init(&w->central, (size_t)MAX_ENTRIES * 128);
	w->c = libdeflate_alloc_compressor(level);
	if (w->c == NULL) {
		gw_zipw_free(w);
		return gw_err_set(err, GW_ETEMP, "4.3.0",
				  "zip: no deflate compressor (level %d)",
				  level);
	}
	gmtime_r(&now, &tm);
	if (tm.tm_year < 80)
		tm = (struct tm){.tm_year = 80, .tm_mday = 1};
	w->dos_time =
	    (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
	w->dos_date = (uint16_t)(((tm.tm_year - 80) << 9) |
				 ((tm.tm_mon + 1) << 5) | tm.tm_mday);
	*z = w;
	return 0;
}

void
gw_zipw_free(struct gw_zipw *z)
{
	if (z == NULL)
		return;
	if (z->c != NULL)
		libdeflate_free_compressor(z->c);
	gw_buf_dispose(&z->central);
	free(z);
}

/* The fields local and central headers share, from "version needed". */
static void
common(unsigned char *p, const struct gw_zipw *z, unsigned method, uint32_t crc,
       size_t csize, size_t usize, size_t namelen)
{
	put16(p, VERSION);
	put16(p + 2, 0); /* flags */
	put16(p + 4, method);
	put16(p + 6, z->dos_time);
	put16(p + 8, z->dos_date);
	put32(p + 10, crc);
	put32(p + 14, (uint32_t)csize);
	put32(p + 18, (uint32_t)usize);
	put16(p + 22, (unsigned)namelen);
	put16(p + 24, 0); /* extra field length */
}

/* Record the central directory entry of what was just written at off. */
static int
central(struct gw_zipw *z, const char *name, unsigned method, uint32_t crc,
	size_t csize, size_t usize, uint32_t attrs, size_t off,
	struct gw_err *err)
{
	unsigned char h[CENTRAL_LEN];
	size_t nl = strlen(name);

	put32(h, CENTRAL_SIG);
	put16(h + 4, MADE_BY);
	common(h + 6, z, method, crc, csize, usize, nl);
	put16(h + 32, 0); /* comment length */
	put16(h + 34, 0); /* disk number */
	put16(h + 36, 0); /* internal attributes */
	put32(h + 38, attrs);
	put32(h + 42, (uint32_t)off);
	if (gw_buf_append(&z->central, h, sizeof(h)) < 0 ||
	    gw_buf_append(&z->central, name, nl) < 0)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: central directory too large");
	z->entries++;
	return 0;
}

/* Room for one more entry of at most extra bytes, without ZIP64. */
static int
room(struct gw_zipw *z, const char *name, size_t extra, struct gw_err *err)
{
	size_t nl = strlen(name);

	if (nl == 0 || nl > 0xffff || z->entries >= MAX_ENTRIES ||
	    z->out->len - z->base > MAX_OFFSET - extra - nl - LOCAL_LEN)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: %s does not fit a ZIP without ZIP64",
				  name);
	if (gw_buf_reserve(z->out, LOCAL_LEN + nl + extra) < 0)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: package larger than allowed");
	return 0;
}

int
gw_zipw_dir(struct gw_zipw *z, const char *name, struct gw_err *err)
{
	size_t nl = strlen(name), off = z->out->len - z->base;
	unsigned char *p;
	int rc;

	if (nl == 0 || name[nl - 1] != '/')
		return gw_err_set(err, GW_ERROR, "5.3.0",
				  "zip: a directory name ends with '/'");
	if ((rc = room(z, name, 0, err)) < 0)
		return rc;
	p = (unsigned char *)z->out->data + z->out->len;
	put32(p, LOCAL_SIG);
	common(p + 4, z, 0, 0, 0, 0, nl);
	memcpy(p + LOCAL_LEN, name, nl);
	z->out->len += LOCAL_LEN + nl;
	return central(z, name, 0, 0, 0, 0, (040755u << 16) | 0x10, off, err);
}

int
gw_zipw_file(struct gw_zipw *z, const char *name, const void *data, size_t len,
	     bool deflate, struct gw_err *err)
{
	size_t nl = strlen(name), off = z->out->len - z->base;
	size_t bound =
	    deflate ? libdeflate_deflate_compress_bound(z->c, len) : 0;
	size_t extra = bound > len ? bound : len;
	uint32_t crc = (uint32_t)libdeflate_crc32(0, data, len);
	unsigned method = 0;
	size_t csize = len;
	unsigned char *p;
	int rc;

	if (len > MAX_OFFSET)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: %s is too large", name);
	if ((rc = room(z, name, extra, err)) < 0)
		return rc;
	p = (unsigned char *)z->out->data + z->out->len;
	if (deflate && len > 0) {
		size_t n = libdeflate_deflate_compress(
		    z->c, data, len, p + LOCAL_LEN + nl, bound);

		if (n > 0 && n < len) {
			method = 8;
			csize = n;
		}
	}
	if (method == 0)
		memcpy(p + LOCAL_LEN + nl, data, len);
	put32(p, LOCAL_SIG);
	common(p + 4, z, method, crc, csize, len, nl);
	memcpy(p + LOCAL_LEN, name, nl);
	z->out->len += LOCAL_LEN + nl + csize;
	return central(z, name, method, crc, csize, len, 0100644u << 16, off,
		       err);
}

int
gw_zipw_finish(struct gw_zipw *z, struct gw_err *err)
{
	unsigned char e[END_LEN];
	size_t cd_off = z->out->len - z->base;

	if (cd_off > MAX_OFFSET - z->central.len)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: package too large without ZIP64");
	put32(e, END_SIG);
	put16(e + 4, 0); /* this disk */
	put16(e + 6, 0); /* disk with the central directory */
	put16(e + 8, z->entries);
	put16(e + 10, z->entries);
	put32(e + 12, (uint32_t)z->central.len);
	put32(e + 16, (uint32_t)cd_off);
	put16(e + 20, 0); /* comment length */
	if (gw_buf_append(z->out, z->central.data, z->central.len) < 0 ||
	    gw_buf_append(z->out, e, sizeof(e)) < 0)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "zip: package larger than allowed");
	return 0;
}
