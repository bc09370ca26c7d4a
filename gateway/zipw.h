/*
 * NAME
 *	zipw - a small ZIP writer for XDM packages, in memory
 * SUMMARY
 *	Appends a ZIP archive to a struct gw_buf: directory entries, then
 *	files stored or deflated (raw DEFLATE from libdeflate, which is
 *	several times faster than zlib at the same ratio), then the central
 *	directory. Everything is in memory already, so sizes and CRC-32 go
 *	into the local headers (no data descriptors), and a file that does
 *	not shrink is stored.
 * STANDARDS
 *	PKWARE APPNOTE.TXT 6.3 (4.3 file format, 4.4 fields), RFC 1951.
 * LIMITS
 *	No ZIP64: at most 65535 entries and 4 GiB - 1 in all (GW_ELIMIT
 *	beyond). Names are ASCII (the XDM names are). Reading belongs to
 *	libzip (xdm.c).
 */
#ifndef GW_ZIPW_H
#define GW_ZIPW_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct gw_zipw;

/* A writer appending to out; level 1-12 for deflated files. */
int gw_zipw_new(struct gw_buf *out, int level, struct gw_zipw **z,
		struct gw_err *err);
/* Free the writer (not out); accepts NULL. */
void gw_zipw_free(struct gw_zipw *z);
/* A directory entry; name must end with '/'. */
int gw_zipw_dir(struct gw_zipw *z, const char *name, struct gw_err *err);
/* A file, deflated when deflate is set and that makes it smaller. */
int gw_zipw_file(struct gw_zipw *z, const char *name, const void *data,
		 size_t len, bool deflate, struct gw_err *err);
/* The central directory and its end record: the archive is complete. */
int gw_zipw_finish(struct gw_zipw *z, struct gw_err *err);

#endif
