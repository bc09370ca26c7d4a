/*
 * NAME
 *	spool - payload files made durable before anything points to
 *	them
 * SUMMARY
 *	Documents are streamed into temporary files while a SOAP request is
 *	read; the store adopts them (renames them from tmp/ into doc/) when
 *	the submission is accepted.
 * DESCRIPTION
 *	A spool is a directory with two subdirectories: <dir>/tmp for files
 *	being written and <dir>/doc for adopted ones. Names are random UUIDs.
 *	Anything left in tmp/ after a crash is debris and is removed by
 *	gw_spool_new(). Files in doc/ that no store row names are removed by
 *	gw_spool_sweep(), which the store calls at open.
 *
 *	A struct gw_spool is shared by many threads (every function taking
 *	only a struct gw_spool is thread-safe). A struct gw_spool_file
 *	belongs to one thread at a time.
 */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GW_SPOOL_SHA1_HEX 41 /* 40 hex digits + NUL */

struct gw_spool;
struct gw_spool_file;

/*
 * Open (mkdir -p, mode 0700) the spool at dir with its tmp/ and doc/
 * subdirectories and remove leftovers in tmp/. The spool remembers dir as
 * an absolute path. GW_ETEMP (4.3.0) when the directories cannot be made.
 */
int gw_spool_new(const char *dir, struct gw_spool **out, struct gw_err *err);
/*
 * The same; clean false leaves tmp/ alone (an administrative open while
 * a daemon may be streaming files into it).
 */
int gw_spool_open(const char *dir, bool clean, struct gw_spool **out,
		  struct gw_err *err);
/* Close the spool; accepts NULL. Files on disk are left alone. */
void gw_spool_free(struct gw_spool *sp);
/* The absolute spool directory (borrowed). */
const char *gw_spool_dir(const struct gw_spool *sp);

/*
 * Create a new empty file in tmp/ (O_CREAT|O_EXCL|O_CLOEXEC, 0600, UUID
 * name). The caller owns *out and ends it with gw_spool_file_discard().
 */
int gw_spool_file_new(struct gw_spool *sp, struct gw_spool_file **out,
		      struct gw_err *err);
/*
 * Append len bytes, retrying short writes and EINTR, and update the size
 * and the running SHA-1. ENOSPC/EDQUOT -> GW_ETEMP 4.3.1, other I/O
 * errors -> GW_ETEMP 4.3.0. After a failure the file cannot be finished.
 */
int gw_spool_file_write(struct gw_spool_file *f, const void *p, size_t len,
			struct gw_err *err);
/* Close; afterwards size and SHA-1 are final. Not yet durable. GW_ETEMP. */
int gw_spool_file_finish(struct gw_spool_file *f, struct gw_err *err);
uint64_t gw_spool_file_size(const struct gw_spool_file *f);
/* 40 lowercase hex digits; "" before gw_spool_file_finish(). Borrowed. */
const char *gw_spool_file_sha1(const struct gw_spool_file *f);
/* The current absolute path (tmp/ or, once adopted, doc/). Borrowed. */
const char *gw_spool_file_path(const struct gw_spool_file *f);
/* The path relative to the spool directory ("tmp/<uuid>"). Borrowed. */
const char *gw_spool_file_relpath(const struct gw_spool_file *f);
/* True once the file was finished successfully. */
int gw_spool_file_finished(const struct gw_spool_file *f);

/*
 * Read a whole file (not following a final symlink) into a new
 * NUL-terminated buffer the caller frees. GW_ELIMIT (5.3.4) when larger
 * than max, GW_ENOTFOUND when missing, GW_ETEMP on I/O errors.
 */
int gw_spool_file_read(const char *path, size_t max, char **out, size_t *len,
		       struct gw_err *err);
/*
 * Close, unlink (unless the store adopted the file) and free; accepts
 * NULL. After a successful gw_store_submission_accept() the file belongs
 * to the store on disk and this only frees the handle.
 */
void gw_spool_file_discard(struct gw_spool_file *f);

/*
 * For the store: move a finished file from tmp/ to doc/ (rename), and
 * back again when the transaction that was to name it fails. Adoption
 * is durable only after gw_spool_sync().
 */
int gw_spool_file_adopt(struct gw_spool_file *f, struct gw_err *err);
int gw_spool_file_unadopt(struct gw_spool_file *f, struct gw_err *err);
/*
 * Make every file written so far and every adoption durable: one syncfs()
 * of the spool file system. GW_ETEMP 4.3.0.
 */
int gw_spool_sync(struct gw_spool *sp, struct gw_err *err);

/*
 * Crash sweep: call keep(relpath, arg) for each regular file in doc/
 * ("doc/<name>"); keep returns 1 to keep, 0 to unlink, < 0 to stop with
 * that code (it fills err). *removed_out (may be NULL) counts unlinks.
 * Not to be run while accepts are in flight.
 */
typedef int (*gw_spool_keep_fn)(const char *relpath, void *arg,
				struct gw_err *err);
int gw_spool_sweep(struct gw_spool *sp, gw_spool_keep_fn keep, void *arg,
		   long *removed_out, struct gw_err *err);

#endif
