/*
 * NAME
 *	spool - payload files: tmp/ while written, doc/ once adopted
 * SUMMARY
 *	Streams a document into a private temporary file, hashing it on the
 *	way (SHA-1, the XDS "hash" slot); the store makes it durable before
 *	any committed row may point at it.
 * DESCRIPTION
 *	Layout: <dir>/tmp/<uuid> while a request is being read, renamed to
 *	<dir>/doc/<uuid> by the store in the same batch that commits the rows
 *	naming it; gw_spool_sync() runs before that COMMIT. It is one
 *	syncfs() of the spool's file system: the data of every file of the
 *	batch and the renames become durable together, one journal commit
 *	per batch instead of one fdatasync per file plus one fsync of doc/
 *	(the same guarantee; group commit for files). So a crash leaves
 *	either debris in tmp/ (removed at gw_spool_new) or an unreferenced
 *	file in doc/ (removed by the store's sweep at open), never a row
 *	without its file: the Postfix order write, sync, rename, sync,
 *	commit, reply (RELIABILITY.md 1.2, 3.2), with the two syncs merged.
 *	XXX: syncfs() also flushes other writers' data on that file system;
 *	give the spool its own file system for steady latency.
 *
 *	Ownership: the caller owns a struct gw_spool_file until
 *	gw_spool_file_discard(); adoption moves only the file on disk.
 * STANDARDS
 *	ITI TF-3 4.2.3.2 (DocumentEntry hash: SHA-1, lowercase hex), POSIX
 *	rename/fsync semantics.
 * SECURITY
 *	Document contents are PHI: directories are 0700, files 0600, created
 *	with O_EXCL|O_CLOEXEC under random names, and never logged. Reading
 *	back refuses a symlink as the final component (O_NOFOLLOW).
 * LIMITS
 *	The size of one file is bounded by the caller (message size limit);
 *	gw_spool_file_read() takes an explicit maximum.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "id.h"
#include "log.h"
#include "mem.h"

struct gw_spool {
	char *dir; /* absolute */
	char *tmp;
	char *doc;
	int docfd; /* doc/, kept open for fsync */
};

struct gw_spool_file {
	struct gw_spool *sp;
	int fd;
	char name[GW_ID_UUID_LEN];
	char rel[48]; /* "tmp/<uuid>" or "doc/<uuid>" */
	char *path;   /* absolute */
	uint64_t size;
	EVP_MD_CTX *md;
	char sha1[GW_SPOOL_SHA1_HEX];
	bool finished;
	bool adopted;
	bool failed;
	char *wbuf; /* gSOAP hands parts over in small pieces: batch them */
	size_t wlen;
};

#define SPOOL_WBUF 65536

/* Record errno e as a temporary failure of op; ENOSPC gets 4.3.1. */
static int
io_err(struct gw_err *err, int e, const char *op, const char *what)
{
	char b[128];
	const char *s = strerror_r(e, b, sizeof(b));

	if (e == ENOSPC || e == EDQUOT)
		return gw_err_set(err, GW_ETEMP, "4.3.1", "spool: %s %s: %s",
				  op, what, s);
	return gw_err_set(err, GW_ETEMP, "4.3.0", "spool: %s %s: %s", op, what,
			  s);
}

static int
mkdir_p(const char *path, struct gw_err *err)
{
	char *p = gw_xstrdup(path);
	struct stat st;
	int rc = -1;

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = io_err(err, errno, "mkdir", p);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		rc = io_err(err, errno, "mkdir", p);
		goto out;
	}
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0",
				"spool: %s is not a directory", p);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* Remove every non-directory entry of tmp/: files being written at a crash. */
static int
clean_tmp(struct gw_spool *sp, struct gw_err *err)
{
	DIR *d = opendir(sp->tmp);
	struct dirent *de;
	long n = 0;
	int rc = -1;

	if (d == NULL) {
		rc = io_err(err, errno, "opendir", sp->tmp);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			gw_log_warn(NULL,
				    "spool: cannot remove tmp/%s errno=%d",
				    de->d_name, errno);
	}
	if (n > 0)
		gw_log_notice(NULL, "spool: removed %ld leftover tmp files", n);
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

int
gw_spool_new(const char *dir, struct gw_spool **out, struct gw_err *err)
{
	return gw_spool_open(dir, true, out, err);
}

int
gw_spool_open(const char *dir, bool clean, struct gw_spool **out,
	      struct gw_err *err)
{
	struct gw_spool *sp = gw_xcalloc(1, sizeof(*sp));
	char *abs = NULL;
	int rc = -1;

	sp->docfd = -1;
	*out = NULL;
	if (dir == NULL || dir[0] == '\0') {
		rc = gw_err_set(err, GW_ERROR, "4.3.5", "spool: no directory");
		goto out;
	}
	if ((rc = mkdir_p(dir, err)) < 0)
		goto out;
	abs = realpath(dir, NULL);
	if (abs == NULL) {
		rc = io_err(err, errno, "realpath", dir);
		goto out;
	}
	sp->dir = gw_xstrdup(abs);
	sp->tmp = gw_xpath_join(sp->dir, "tmp");
	sp->doc = gw_xpath_join(sp->dir, "doc");
	if ((rc = mkdir_p(sp->tmp, err)) < 0 ||
	    (rc = mkdir_p(sp->doc, err)) < 0)
		goto out;
	sp->docfd = open(sp->doc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->docfd < 0) {
		rc = io_err(err, errno, "open", sp->doc);
		goto out;
	}
	if (clean && (rc = clean_tmp(sp, err)) < 0)
		goto out;
	*out = sp;
	sp = NULL;
	rc = 0;
out:
	free(abs);
	gw_spool_free(sp);
	return rc;
}

void
gw_spool_free(struct gw_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->docfd >= 0)
		close(sp->docfd);
	free(sp->dir);
	free(sp->tmp);
	free(sp->doc);
	free(sp);
}

const char *
gw_spool_dir(const struct gw_spool *sp)
{
	return sp->dir;
}

static void
set_rel(struct gw_spool_file *f, const char *sub)
{
	size_t ls = strlen(sub), ln = strlen(f->name);

	_Static_assert(sizeof(f->rel) >= 4 + GW_ID_UUID_LEN, "rel size");
	memcpy(f->rel, sub, ls);
	f->rel[ls] = '/';
	memcpy(f->rel + ls + 1, f->name, ln + 1);
}

int
gw_spool_file_new(struct gw_spool *sp, struct gw_spool_file **out,
		  struct gw_err *err)
{
	struct gw_spool_file *f = gw_xcalloc(1, sizeof(*f));
	int rc = -1;

	*out = NULL;
	f->sp = sp;
	f->fd = -1;
	gw_id_uuid_time(f->name);
	set_rel(f, "tmp");
	f->path = gw_xpath_join(sp->tmp, f->name);
	f->md = EVP_MD_CTX_new();
	if (f->md == NULL || EVP_DigestInit_ex(f->md, EVP_sha1(), NULL) != 1) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "spool: SHA-1 init");
		goto out;
	}
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		rc = io_err(err, errno, "create", f->rel);
		goto out;
	}
	*out = f;
	f = NULL;
	rc = 0;
out:
	if (f != NULL) {
		EVP_MD_CTX_free(f->md);
		free(f->path);
		free(f);
	}
	return rc;
}

/* write(2) all of p, counting it into the file's size. */
static int
write_all(struct gw_spool_file *f, const void *p, size_t len,
	  struct gw_err *err)
{
	const unsigned char *c = p;

	while (len > 0) {
		size_t chunk =
		    len > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : len;
		ssize_t n = write(f->fd, c, chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			f->failed = true;
			return io_err(err, errno, "write", f->rel);
		}
		c += n;
		len -= (size_t)n;
		f->size += (uint64_t)n;
	}
	return 0;
}

/* Write out what the buffer holds (already counted into size). */
static int
flush_wbuf(struct gw_spool_file *f, struct gw_err *err)
{
	size_t n = f->wlen;
	int rc;

	if (n == 0)
		return 0;
	f->wlen = 0;
	f->size -= n;
	rc = write_all(f, f->wbuf, n, err);
	return rc;
}

int
gw_spool_file_write(struct gw_spool_file *f, const void *p, size_t len,
		    struct gw_err *err)
{
	int rc = -1;

	if (f->fd < 0 || f->finished || f->failed) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"spool: write to a closed or failed file");
		goto out;
	}
	if (len > 0 && EVP_DigestUpdate(f->md, p, len) != 1) {
		f->failed = true;
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "spool: SHA-1 update");
		goto out;
	}
	if (f->wlen + len > SPOOL_WBUF && (rc = flush_wbuf(f, err)) < 0)
		goto out;
	if (len >= SPOOL_WBUF) {
		rc = write_all(f, p, len, err);
		goto out;
	}
	if (f->wbuf == NULL)
		f->wbuf = gw_xmalloc(SPOOL_WBUF);
	memcpy(f->wbuf + f->wlen, p, len);
	f->wlen += len;
	f->size += len;
	rc = 0;
out:
	return rc;
}

int
gw_spool_file_finish(struct gw_spool_file *f, struct gw_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int fd = f->fd;
	int rc = -1;

	if (fd < 0 || f->finished || f->failed) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"spool: finish of a closed or failed file");
		goto out;
	}
	if (flush_wbuf(f, err) < 0) {
		f->fd = -1;
		close(fd);
		rc = err ? err->code : GW_ETEMP;
		goto out;
	}
	free(f->wbuf);
	f->wbuf = NULL;
	f->fd = -1;
	/* Durability comes with adoption (gw_spool_sync), not here. */
	if (close(fd) != 0) {
		f->failed = true;
		rc = io_err(err, errno, "close", f->rel);
		goto out;
	}
	if (EVP_DigestFinal_ex(f->md, md, &mdlen) != 1 || mdlen != 20) {
		f->failed = true;
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "spool: SHA-1 final");
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++) {
		f->sha1[2 * i] = hex[md[i] >> 4];
		f->sha1[2 * i + 1] = hex[md[i] & 0xf];
	}
	f->sha1[2 * mdlen] = '\0';
	f->finished = true;
	rc = 0;
out:
	return rc;
}

uint64_t
gw_spool_file_size(const struct gw_spool_file *f)
{
	return f->size;
}

const char *
gw_spool_file_sha1(const struct gw_spool_file *f)
{
	return f->sha1;
}

const char *
gw_spool_file_path(const struct gw_spool_file *f)
{
	return f->path;
}

const char *
gw_spool_file_relpath(const struct gw_spool_file *f)
{
	return f->rel;
}

int
gw_spool_file_finished(const struct gw_spool_file *f)
{
	return f->finished;
}

int
gw_spool_file_read(const char *path, size_t max, char **out, size_t *len,
		   struct gw_err *err)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0, cap;
	int fd;
	int rc = -1;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = gw_err_set(err, GW_ENOTFOUND, "5.3.0",
					"spool: %s: no such file", path);
		else
			rc = io_err(err, errno, "open", path);
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = gw_err_set(err, GW_ERROR, "5.3.0",
				"spool: %s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > (uint64_t)max) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"spool: %s: larger than %zu bytes", path, max);
		goto out;
	}
	/* One byte of slack detects a file that grew since fstat. */
	cap = (size_t)st.st_size + 1;
	p = gw_xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = io_err(err, errno, "read", path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max || n == cap) {
			rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
					"spool: %s: grew while read", path);
			goto out;
		}
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

void
gw_spool_file_discard(struct gw_spool_file *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (!f->adopted && unlink(f->path) != 0 && errno != ENOENT)
		gw_log_warn(NULL, "spool: cannot remove %s errno=%d", f->rel,
			    errno);
	EVP_MD_CTX_free(f->md);
	free(f->wbuf);
	free(f->path);
	free(f);
}

int
gw_spool_file_adopt(struct gw_spool_file *f, struct gw_err *err)
{
	char *to = NULL;
	int rc = -1;

	if (!f->finished || f->adopted) {
		rc = gw_err_set(err, GW_ERROR, "5.3.0",
				"spool: %s: not finished or already adopted",
				f->rel);
		goto out;
	}
	to = gw_xpath_join(f->sp->doc, f->name);
	if (rename(f->path, to) != 0) {
		rc = io_err(err, errno, "rename", f->rel);
		goto out;
	}
	free(f->path);
	f->path = to;
	to = NULL;
	set_rel(f, "doc");
	f->adopted = true;
	rc = 0;
out:
	free(to);
	return rc;
}

int
gw_spool_file_unadopt(struct gw_spool_file *f, struct gw_err *err)
{
	char *to = NULL;
	int rc = -1;

	if (!f->adopted) {
		rc = 0;
		goto out;
	}
	to = gw_xpath_join(f->sp->tmp, f->name);
	if (rename(f->path, to) != 0) {
		/* The sweep at the next open removes it from doc/. */
		rc = io_err(err, errno, "rename back", f->rel);
		goto out;
	}
	free(f->path);
	f->path = to;
	to = NULL;
	set_rel(f, "tmp");
	f->adopted = false;
	rc = 0;
out:
	free(to);
	return rc;
}

int
gw_spool_sync(struct gw_spool *sp, struct gw_err *err)
{
	/* File data and directory entries of the whole batch, at once. */
	while (syncfs(sp->docfd) != 0) {
		if (errno != EINTR)
			return io_err(err, errno, "syncfs", "doc/");
	}
	return 0;
}

int
gw_spool_sweep(struct gw_spool *sp, gw_spool_keep_fn keep, void *arg,
	       long *removed_out, struct gw_err *err)
{
	DIR *d = opendir(sp->doc);
	struct dirent *de;
	struct stat st;
	char rel[300];
	long removed = 0;
	int rc = -1;

	if (d == NULL) {
		rc = io_err(err, errno, "opendir", sp->doc);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t ln = strlen(de->d_name);
		int k;

		if (de->d_name[0] == '.' || ln + 5 > sizeof(rel))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
			0 ||
		    S_ISDIR(st.st_mode))
			continue;
		memcpy(rel, "doc/", 4);
		memcpy(rel + 4, de->d_name, ln + 1);
		k = keep(rel, arg, err);
		if (k < 0) {
			rc = k;
			goto out;
		}
		if (k == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	if (removed > 0) {
		gw_log_notice(NULL, "spool: swept %ld unreferenced doc files",
			      removed);
		if ((rc = gw_spool_sync(sp, err)) < 0)
			goto out;
	}
	rc = 0;
out:
	if (removed_out != NULL)
		*removed_out = removed;
	if (d != NULL)
		closedir(d);
	return rc;
}
