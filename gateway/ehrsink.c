/*
 * NAME
 *	ehrsink - write accepted ITI-41 submissions to a directory
 * DESCRIPTION
 *	See ehrsink.h. summary.json:
 *	  {"message_id", "received_at", "client", "peer",
 *	   "submission_set": {"id", "unique_id", "source_id", "patient_id"},
 *	   "metadata_level", "direct_from", "direct_to": [...], "relates_to",
 *	   "sender", "recipients": [...],
 *	   "documents": [{"file", "entry_id", "unique_id", "mime_type",
 *	                  "content_id", "size", "sha1"}]}
 *	direct_* are the addressBlock as sent; sender/recipients are what
 *	validation resolved (addressBlock, else metadata).
 * STANDARDS
 *	ITI TF-2 3.41 (Document Recipient).
 */
#include "ehrsink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "id.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "spool.h"
#include "xds.h"

#define SUMMARY_MAX (4u * 1024 * 1024)

struct gw_ehrsink {
	char *dir;
	int dirfd;
	struct gw_spool *spool;
};

static int
io_err(struct gw_err *err, const char *what, const char *path)
{
	char b[128];
	int e = errno;

	return gw_err_set(err, GW_ETEMP, e == ENOSPC ? "4.3.1" : "4.3.0",
			  "ehr-sink: %s %s: %s", what, path,
			  strerror_r(e, b, sizeof(b)));
}

int
gw_ehrsink_new(const char *dir, struct gw_ehrsink **out, struct gw_err *err)
{
	struct gw_ehrsink *s = gw_xcalloc(1, sizeof(*s));
	char *sp;
	int rc;

	*out = NULL;
	s->dirfd = -1;
	sp = gw_xpath_join(dir, ".spool");
	/* The spool makes dir (and itself) with mode 0700. */
	rc = gw_spool_new(sp, &s->spool, err);
	free(sp);
	if (rc < 0)
		goto fail;
	s->dir = realpath(dir, NULL);
	if (s->dir == NULL) {
		rc = io_err(err, "realpath", dir);
		goto fail;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		rc = io_err(err, "open", s->dir);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	gw_ehrsink_free(s);
	return rc;
}

void
gw_ehrsink_free(struct gw_ehrsink *s)
{
	if (s == NULL)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	gw_spool_free(s->spool);
	free(s->dir);
	free(s);
}

struct gw_spool *
gw_ehrsink_spool(struct gw_ehrsink *s)
{
	return s->spool;
}

/* Write a whole new file in dirfd and fsync it. */
static int
write_file(int dirfd, const char *name, const void *p, size_t len,
	   struct gw_err *err)
{
	int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	const char *c = p;

	if (fd < 0)
		return io_err(err, "create", name);
	while (len > 0) {
		ssize_t w = write(fd, c, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int rc = io_err(err, "write", name);

			close(fd);
			return rc;
		}
		c += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		int rc = io_err(err, "fsync", name);

		close(fd);
		return rc;
	}
	if (close(fd) != 0)
		return io_err(err, "close", name);
	return 0;
}

/* A hard link of the spool file (a copy across file systems), fsync'ed. */
static int
put_document(int dirfd, const char *name, const char *src, struct gw_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int fd, rc;

	if (linkat(AT_FDCWD, src, dirfd, name, 0) == 0) {
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return io_err(err, "open", name);
		rc = fsync(fd) == 0 ? 0 : io_err(err, "fsync", name);
		close(fd);
		return rc;
	}
	if (errno != EXDEV && errno != EPERM)
		return io_err(err, "link", name);
	if ((rc = gw_spool_file_read(src, (size_t)-1 / 2, &data, &len, err)) <
	    0)
		return rc;
	rc = write_file(dirfd, name, data, len, err);
	free(data);
	return rc;
}

static const char *
extension(const char *mime)
{
	static const struct {
		const char *type, *ext;
	} map[] = {
	    {"text/xml", "xml"},           {"application/xml", "xml"},
	    {"application/hl7-v3", "xml"}, {"application/pdf", "pdf"},
	    {"text/plain", "txt"},         {"text/html", "html"},
	    {"image/jpeg", "jpg"},         {"image/png", "png"},
	    {"image/tiff", "tif"},         {"application/zip", "zip"},
	};

	for (size_t i = 0; mime != NULL && i < sizeof(map) / sizeof(map[0]);
	     i++) {
		size_t n = strlen(map[i].type);

		if (strncasecmp(mime, map[i].type, n) == 0 &&
		    (mime[n] == '\0' || mime[n] == ';'))
			return map[i].ext;
	}
	return "bin";
}

/* One member at indent depth (2 spaces each), after a comma unless first. */
static void
json_kv(struct gw_buf *b, int depth, const char *k, const char *v, bool first)
{
	gw_buf_printf(b, "%s%*s\"%s\": ", first ? "\n" : ",\n", depth * 2, "",
		      k);
	gw_json_str(b, v);
}

static void
json_list(struct gw_buf *b, const char *k, const char *const *v, size_t n)
{
	gw_buf_printf(b, ",\n  \"%s\": [", k);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			gw_buf_puts(b, ", ");
		gw_json_str(b, v[i]);
	}
	gw_buf_puts(b, "]");
}

static void
summary(struct gw_buf *b, const struct gw_xdrsrv_accepted *a, const char *when,
	char (*names)[32])
{
	const struct gw_xds_submission *s = a->sub;

	gw_buf_puts(b, "{");
	json_kv(b, 1, "message_id", a->message_id, true);
	json_kv(b, 1, "received_at", when, false);
	json_kv(b, 1, "client", a->client, false);
	json_kv(b, 1, "peer", a->peer, false);
	gw_buf_puts(b, ",\n  \"submission_set\": {");
	json_kv(b, 2, "id", s->ss_id, true);
	json_kv(b, 2, "unique_id", s->ss_unique_id, false);
	json_kv(b, 2, "source_id", s->ss_source_id, false);
	json_kv(b, 2, "patient_id", s->ss_patient_id, false);
	gw_buf_puts(b, "\n  }");
	json_kv(b, 1, "metadata_level", s->limited ? "minimal" : "XDS", false);
	json_kv(b, 1, "direct_from", a->direct_from, false);
	json_list(b, "direct_to", a->direct_to, a->ndirect_to);
	json_kv(b, 1, "relates_to", a->relates_to, false);
	json_kv(b, 1, "sender", s->sender, false);
	json_list(b, "recipients", (const char *const *)s->recipients,
		  s->nrecipients);
	gw_buf_puts(b, ",\n  \"documents\": [");
	for (size_t i = 0; i < s->nentries; i++) {
		const struct gw_xds_entry *e = &s->entries[i];
		const struct gw_spool_file *f = a->files[e->part];

		gw_buf_puts(b, i > 0 ? ", {" : "{");
		json_kv(b, 2, "file", names[i], true);
		json_kv(b, 2, "entry_id", e->id, false);
		json_kv(b, 2, "unique_id", e->unique_id, false);
		json_kv(b, 2, "mime_type", e->mime_type, false);
		json_kv(b, 2, "content_id", a->content_ids[e->part], false);
		gw_buf_printf(b, ",\n    \"size\": %llu",
			      (unsigned long long)gw_spool_file_size(f));
		json_kv(b, 2, "sha1", gw_spool_file_sha1(f), false);
		gw_buf_puts(b, "\n  }");
	}
	gw_buf_puts(b, "]\n}\n");
}

/* Remove a half-built tmp directory (best effort). */
static void
remove_tmp(int dirfd, const char *tmp, char (*names)[32], size_t n)
{
	int fd = openat(dirfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		unlinkat(fd, "metadata.xml", 0);
		unlinkat(fd, "summary.json", 0);
		for (size_t i = 0; i < n; i++)
			unlinkat(fd, names[i], 0);
		close(fd);
	}
	unlinkat(dirfd, tmp, AT_REMOVEDIR);
}

static int
fill_tmp(int fd, const struct gw_xdrsrv_accepted *a, const char *when,
	 char (*names)[32], struct gw_err *err)
{
	const struct gw_xds_submission *s = a->sub;
	struct gw_buf b;
	int rc;

	if ((rc = write_file(fd, "metadata.xml", a->metadata, a->metadata_len,
			     err)) < 0)
		return rc;
	for (size_t i = 0; i < s->nentries; i++) {
		const struct gw_xds_entry *e = &s->entries[i];

		if (e->part < 0 || (size_t)e->part >= a->nfiles)
			return gw_err_set(err, GW_ERROR, "5.3.0",
					  "ehr-sink: entry %zu has no document",
					  i);
		if ((rc = put_document(fd, names[i],
				       gw_spool_file_path(a->files[e->part]),
				       err)) < 0)
			return rc;
	}
	gw_buf_init(&b, SUMMARY_MAX);
	summary(&b, a, when, names);
	rc = write_file(fd, "summary.json", b.data, b.len, err);
	gw_buf_dispose(&b);
	if (rc == 0 && fsync(fd) != 0)
		rc = io_err(err, "fsync", "submission directory");
	return rc;
}

int
gw_ehrsink_accept(void *arg, const struct gw_xdrsrv_accepted *a,
		  struct gw_err *err)
{
	struct gw_ehrsink *sk = arg;
	size_t n = a->sub->nentries;
	char(*names)[32] = gw_xcalloc(n + 1, sizeof(*names));
	char uuid[GW_ID_UUID_LEN], stamp[32], when[32], name[80], tmp[90];
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1, rc;

	gw_id_uuid(uuid);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (snprintf(name, sizeof(name), "%s-%s", stamp, uuid) < 0 ||
	    snprintf(tmp, sizeof(tmp), ".tmp-%s", name) < 0) {
		rc = gw_err_set(err, GW_ERROR, "5.3.0", "ehr-sink: name");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], sizeof(names[i]), "DOC%05zu.%s", i + 1,
			 extension(a->sub->entries[i].mime_type));
	if (mkdirat(sk->dirfd, tmp, 0700) != 0) {
		rc = io_err(err, "mkdir", tmp);
		goto out;
	}
	fd = openat(sk->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = io_err(err, "open", tmp);
		goto fail;
	}
	if ((rc = fill_tmp(fd, a, when, names, err)) < 0)
		goto fail;
	if (renameat(sk->dirfd, tmp, sk->dirfd, name) != 0) {
		rc = io_err(err, "rename", name);
		goto fail;
	}
	if (fsync(sk->dirfd) != 0) {
		/* In place but perhaps not durable: say so, keep it. */
		rc = io_err(err, "fsync", sk->dir);
		goto out;
	}
	gw_log_info(a->txid, "wrote %s/%s documents=%zu", sk->dir, name, n);
	rc = 0;
	goto out;
fail:
	remove_tmp(sk->dirfd, tmp, names, n);
out:
	if (fd >= 0)
		close(fd);
	free(names);
	return rc;
}
