/*
 * NAME
 *	xdm - IHE ITI-32 XDM packages (ZIP): build and check
 * SUMMARY
 *	gw_xdm_build_mem() / gw_xdm_build(): stored submission -> XDM ZIP,
 *	in memory or in a private temporary directory. gw_xdm_check(): the NIST
 *XDM decoder's structural rules (names, required entries, URI/size/hash of
 *every DocumentEntry). DESCRIPTION gw_xdm_build_mem() reads each spool file
 *into memory while hashing it, and the bytes must have the size and SHA-1 the
 *store recorded (ITI TF-3 4.2.3.2: hash and size are over the exact bytes,
 *pitfall P14); the metadata gets URI, size and hash slots from those very
 *	numbers (xdsxml), and zipw writes the ZIP into the caller's buffer:
 *	nothing touches the disk. gw_xdm_build() writes that to XDM.ZIP in
 *	a fresh private directory tmpdir/xdm.XXXXXX (mkdtemp, 0700), removed
 *	on failure and by gw_xdm_remove().
 *	Documents and METADATA.XML are deflated at libdeflate level 1: a
 *	C-CDA shrinks five- to sixfold, so the MIME and CMS work after it
 *	is over far fewer bytes (storing them is slower overall,
 *	bench/outbench). The two small generated texts are stored.
 *	libzip is used only to read (gw_xdm_check), which also makes it an
 *	independent check of what zipw writes, in the tests.
 *	Names are exactly those ITI-32 and the NIST decoder expect
 *	(SPEC 5.1, pitfall P3): INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/
 *	METADATA.XML, upper-case 8.3 document names.
 *
 *	INDEX.HTM lists README.TXT and the files and then carries the
 *	rendering of every C-CDA (render.h, XHTML Basic elements, ids under
 *	"docN-", the page's Content-Security-Policy forbids every resource
 *	but inline style); it is deflated when it does. A document that does
 *	not render is listed as such: the package never fails for it.
 *
 *	The checker is strict where the NIST decoder is (case-sensitive
 *	required names, ISO 9660 names) and skips only macOS debris
 *	(__MACOSX/, .DS_Store, ._*), which real conformant packages carry.
 *
 *	gw_xdm_read() is the receiving side (SPEC 5.4/5.5): a package from
 *	a message, read from memory (zip_source_buffer_create), lenient on
 *	names (any case, no ISO 9660, INDEX.HTM/README.TXT optional) but
 *	never on safety: every entry is checked for traversal, links,
 *	twins and encryption before any is inflated, and inflation is
 *	bounded per entry, in total and by ratio while it happens.
 * STANDARDS
 *	ITI TF-2 3.32 (XDM media layout, ZIP over Email), ITI TF-3 4.2.3
 *	(URI, size, hash slots), ECMA-119 (ISO 9660) level 1 names, PKWARE
 *	APPNOTE (ZIP).
 * SECURITY
 *	Documents are PHI: the build directory is 0700 and its files 0600,
 *	spool files are opened with O_NOFOLLOW. A checked ZIP is untrusted:
 *	entry names with absolute paths, backslashes or ".." fail; entry
 *	count and uncompressed bytes are bounded and counted while reading,
 *	not taken from the central directory; nothing is extracted to disk.
 * LIMITS
 *	gw_xdm_limits (entries, total and per-entry uncompressed bytes,
 *	compression ratio, name length; GW_XDM_READ_* defaults, after
 *	RELIABILITY.md: 1000 / 200 MiB / 40 MiB / 100:1 past 1 MiB);
 *	renderings VIEW_MAX each and VIEWS_MAX together (beyond, a
 *	document is listed as not rendered);
 *	metadata through gw_xds_limits; at most GW_XDM_MAX_DOCS documents per
 *package.
 */
#include "xdm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "buf.h"
#include "cda.h"
#include "digest.h"
#include "log.h"
#include "mem.h"
#include "render.h"
#include "xdsxml.h"
#include "zipw.h"

#define CHUNK         65536
#define DEF_ENTRIES   1000
#define DEF_TOTAL     (256ULL << 20)
#define TEXT_MAX      (1U << 20)  /* INDEX.HTM without renderings, README */
#define VIEW_MAX      (16U << 20) /* one C-CDA's rendering */
#define VIEWS_MAX     (48U << 20) /* all renderings in INDEX.HTM */
#define INDEX_MAX     (VIEWS_MAX + TEXT_MAX)
#define ISO_MAX_LEVEL 8
#define DOC_LEVEL     1 /* libdeflate level of documents and METADATA.XML */

static const struct {
	const char *type;
	const char *suffix;
} suffixes[] = {
    {"text/xml", "XML"},        {"application/xml", "XML"},
    {"application/pdf", "PDF"}, {"text/plain", "TXT"},
    {"text/html", "HTM"},       {"application/xhtml+xml", "HTM"},
    {"text/rtf", "RTF"},        {"application/rtf", "RTF"},
    {"image/jpeg", "JPG"},      {"image/png", "PNG"},
    {"image/tiff", "TIF"},
};

const char *
gw_xdm_suffix(const char *mime_type)
{
	size_t n = 0;

	if (mime_type == NULL)
		return "BIN";
	while (mime_type[n] != '\0' && mime_type[n] != ';' &&
	       mime_type[n] != ' ' && mime_type[n] != '\t')
		n++;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (strlen(suffixes[i].type) == n &&
		    strncasecmp(mime_type, suffixes[i].type, n) == 0)
			return suffixes[i].suffix;
	/* RFC 7303 section 4.2: a subtype ending in +xml is XML. */
	if (n > 4 && strncasecmp(mime_type + n - 4, "+xml", 4) == 0)
		return "XML";
	return "BIN";
}

static int
io_err(struct gw_err *err, int e, const char *op, const char *what)
{
	char b[128];
	const char *s = strerror_r(e, b, sizeof(b));

	return gw_err_set(err, GW_ETEMP, e == ENOSPC ? "4.3.1" : "4.3.0",
			  "xdm: %s %s: %s", op, what, s);
}

/* Remove every entry of dir (files only: we make no subdirectories). */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) != 0 &&
			    errno != ENOENT)
				gw_log_warn(NULL,
					    "xdm: cannot remove %s/%s "
					    "errno=%d",
					    dir, de->d_name, errno);
		}
		closedir(d);
	}
	if (rmdir(dir) != 0 && errno != ENOENT)
		gw_log_warn(NULL, "xdm: cannot remove %s errno=%d", dir, errno);
}

void
gw_xdm_remove(const char *zip_path)
{
	const char *slash, *base;
	char *dir;

	if (zip_path == NULL)
		return;
	slash = strrchr(zip_path, '/');
	if (slash == NULL || slash == zip_path) {
		gw_log_warn(NULL, "xdm: not removing %s: not a package path",
			    zip_path);
		return;
	}
	dir = gw_xstrndup(zip_path, (size_t)(slash - zip_path));
	base = strrchr(dir, '/');
	base = base != NULL ? base + 1 : dir;
	if (strncmp(base, "xdm.", 4) != 0 || strlen(base) != 10)
		gw_log_warn(NULL, "xdm: not removing %s: not a package path",
			    zip_path);
	else
		remove_dir(dir);
	free(dir);
}

/*
 * Read one spool file into memory, hashing the bytes as they pass, and
 * fail unless size and SHA-1 are those the store recorded.
 */
static int
load_doc(const struct gw_xdm_doc *doc, char **data, struct gw_err *err)
{
	struct gw_digest *md = gw_digest_sha1_new();
	char *buf = NULL;
	char hex[41];
	uint64_t n = 0;
	int in = -1;
	int rc = -1;

	*data = NULL;
	if (md == NULL) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "xdm: SHA-1 init");
		goto out;
	}
	if (doc->size > (uint64_t)SIZE_MAX - 1) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "xdm: too large");
		goto out;
	}
	in = open(doc->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		rc = io_err(err, errno, "open", doc->path);
		goto out;
	}
	/* One byte of room shows a file longer than recorded. */
	buf = gw_xmalloc((size_t)doc->size + 1);
	for (;;) {
		ssize_t r = read(in, buf + n, (size_t)(doc->size + 1 - n));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = io_err(err, errno, "read", doc->path);
			goto out;
		}
		if (r == 0)
			break;
		n += (uint64_t)r;
		if (n > doc->size)
			break; /* already wrong; no need to read on */
	}
	if (gw_digest_update(md, buf,
			     (size_t)(n > doc->size ? doc->size : n)) != 0 ||
	    gw_digest_final_hex(md, hex) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "xdm: SHA-1");
		goto out;
	}
	if (n != doc->size || doc->sha1 == NULL ||
	    strcasecmp(hex, doc->sha1) != 0) {
		rc = gw_err_set(err, GW_ETRUST, "5.6.0",
				"xdm: document %s: file has %s%llu bytes and "
				"SHA-1 %s, the store recorded %llu and %s",
				doc->entry_id, n > doc->size ? "over " : "",
				(unsigned long long)n, hex,
				(unsigned long long)doc->size,
				doc->sha1 ? doc->sha1 : "none");
		goto out;
	}
	*data = buf;
	buf = NULL;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	gw_digest_free(md);
	free(buf);
	return rc;
}

static bool
text_ok(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return s != NULL;
}

/* What INDEX.HTM shows of one document beyond its link. */
enum view_state { VIEW_NONE, VIEW_OK, VIEW_FAILED };

struct views {
	struct gw_buf *body;    /* per document: its rendering, if VIEW_OK */
	enum view_state *state; /* per document */
	struct gw_buf style;    /* the renderings' <style>, when any */
	bool any;
};

/*
 * Render document i for INDEX.HTM with its own id prefix "docN-", so
 * that ids and in-page links of several documents cannot collide.
 * Nothing when it is not a CDA after all; VIEW_FAILED (and a warning)
 * when it does not render: the package is built all the same, the
 * document file is the record and the rendering a convenience.
 */
static void
add_view(const struct gw_xdm_input *in, char *const *docs, size_t i,
	 size_t *total, struct views *v)
{
	const struct gw_xdm_doc *d = &in->docs[i];
	char prefix[32];
	struct gw_err e;
	int rc;

	if (snprintf(prefix, sizeof(prefix), "doc%zu-", i + 1) < 0)
		return;
	gw_buf_init(&v->body[i], *total < VIEWS_MAX ? VIEWS_MAX - *total : 0);
	if (v->body[i].max > VIEW_MAX)
		v->body[i].max = VIEW_MAX;
	rc = gw_render_cda(docs[i], (size_t)d->size, GW_RENDER_BODY, prefix,
			   &v->body[i], &e);
	if (rc == GW_ENOTFOUND)
		return; /* sniffed like a CDA, is not one */
	if (rc < 0) {
		gw_log_warn(NULL, "xdm: document %s not rendered: %s",
			    d->entry_id, e.msg);
		gw_buf_dispose(&v->body[i]);
		v->state[i] = VIEW_FAILED;
		return;
	}
	*total += v->body[i].len;
	v->state[i] = VIEW_OK;
	v->any = true;
}

/*
 * The renderings of every C-CDA among the documents for INDEX.HTM
 * (ITI-32: the manifest may carry human-readable renderings), unless
 * no_render; with html_out, the first C-CDA's rendering as a whole page
 * too (the optional text/html part).
 */
static void
make_views(const struct gw_xdm_input *in, char *const *docs, struct views *v)
{
	bool page = in->html_out != NULL; /* still owed */
	struct gw_err e;
	size_t total = 0;

	for (size_t i = 0; i < in->ndocs && (page || !in->no_render); i++) {
		const struct gw_xdm_doc *d = &in->docs[i];
		int rc;

		if (strcmp(gw_xdm_suffix(d->mime_type), "XML") != 0 ||
		    !gw_cda_sniff(docs[i], (size_t)d->size))
			continue;
		if (!in->no_render)
			add_view(in, docs, i, &total, v);
		if (!page || v->state[i] == VIEW_FAILED)
			continue;
		rc = gw_render_cda(docs[i], (size_t)d->size, GW_RENDER_DOCUMENT,
				   NULL, in->html_out, &e);
		if (rc == GW_ENOTFOUND)
			continue;
		if (rc < 0)
			gw_log_warn(NULL, "xdm: document %s: no page: %s",
				    d->entry_id, e.msg);
		page = false;
	}
	if (v->any && gw_render_style(&v->style, &e) < 0)
		gw_buf_reset(&v->style); /* unstyled, still readable */
}

static void
views_dispose(struct views *v, size_t ndocs)
{
	for (size_t i = 0; v->body != NULL && i < ndocs; i++)
		gw_buf_dispose(&v->body[i]);
	free(v->body);
	free(v->state);
	gw_buf_dispose(&v->style);
}

/*
 * INDEX.HTM: XHTML Basic, relative links to README.TXT and the files,
 * then the renderings of the C-CDAs. The page forbids every resource
 * but inline style (CSP), like the renderings themselves.
 */
static int
make_index(const struct gw_xdm_input *in, char (*names)[16],
	   const struct views *v, struct gw_buf *b)
{
	int rc = 0;

	rc |= gw_buf_puts(
	    b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	       "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML Basic 1.1//EN\" "
	       "\"http://www.w3.org/TR/xhtml-basic/xhtml-basic11.dtd\">\r\n"
	       "<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n"
	       "<head><meta http-equiv=\"Content-Type\" "
	       "content=\"text/html; charset=UTF-8\"/>\r\n"
	       "<meta http-equiv=\"Content-Security-Policy\" "
	       "content=\"default-src 'none'; style-src 'unsafe-inline'\"/>"
	       "\r\n<title>XDM package</title>");
	if (v->any)
		rc |= gw_buf_append(b, v->style.data, v->style.len);
	rc |= gw_buf_puts(b, "</head>\r\n<body>\r\n<h1>Documents from ");
	rc |= gw_buf_xml_escape(b, in->institution);
	rc |= gw_buf_puts(b, "</h1>\r\n<p>Created by ");
	rc |= gw_buf_xml_escape(b, in->gateway);
	rc |= gw_buf_puts(b, ". About this package: <a href=\"README.TXT\">"
			     "README.TXT</a>.</p>\r\n<ul>\r\n");
	for (size_t i = 0; i < in->ndocs; i++) {
		rc |= gw_buf_printf(
		    b, "<li><a href=\"" GW_XDM_SUBSET "/%s\">%s</a> (",
		    names[i], names[i]);
		rc |= gw_buf_xml_escape(b, in->docs[i].mime_type);
		rc |= gw_buf_puts(b, ")");
		if (v->state[i] == VIEW_OK)
			rc |= gw_buf_printf(b,
					    ": <a href=\"#doc%zu-cda\">read it "
					    "below</a>",
					    i + 1);
		else if (v->state[i] == VIEW_FAILED)
			rc |= gw_buf_puts(b, ": a C-CDA that could not be "
					     "rendered; open the file");
		rc |= gw_buf_puts(b, "</li>\r\n");
	}
	rc |= gw_buf_puts(b, "</ul>\r\n");
	for (size_t i = 0; i < in->ndocs; i++) {
		if (v->state[i] != VIEW_OK)
			continue;
		rc |= gw_buf_printf(b, "<hr/>\r\n<p>%s:</p>\r\n", names[i]);
		rc |= gw_buf_append(b, v->body[i].data, v->body[i].len);
		rc |= gw_buf_puts(b, "\r\n");
	}
	rc |= gw_buf_puts(b, "</body>\r\n</html>\r\n");
	return rc != 0 ? GW_ELIMIT : 0;
}

/* README.TXT: who made the package, with what, and how it is laid out. */
static int
make_readme(const struct gw_xdm_input *in, struct gw_buf *b)
{
	int rc = gw_buf_printf(
	    b,
	    "This is an IHE XDM package (ITI-32, ZIP over Email).\r\n"
	    "\r\n"
	    "Institution: %s\r\n"
	    "Created by: %s (Direct <-> XDR gateway)\r\n"
	    "\r\n"
	    "INDEX.HTM lists the documents. Each folder under IHE_XDM/ is "
	    "one\r\n"
	    "submission set: METADATA.XML holds its XDS metadata, and every\r\n"
	    "document's URI, size and SHA-1 hash in it name and describe "
	    "one\r\n"
	    "file of that folder.\r\n",
	    in->institution, in->gateway);

	return rc != 0 ? GW_ELIMIT : 0;
}

struct texts {
	bool index_big; /* carries renderings: deflate it */
	struct gw_buf index;
	struct gw_buf readme;
	char *metadata;
	size_t metadata_len;
};

/* The ZIP, built in memory (zipw), appended to out. */
static int
write_zip(const struct texts *t, char (*names)[16], char *const *docs,
	  const struct gw_xdm_doc *in_docs, size_t ndocs, struct gw_buf *out,
	  struct gw_err *err)
{
	struct gw_zipw *z = NULL;
	char entry[64];
	int rc;

	if ((rc = gw_zipw_new(out, DOC_LEVEL, &z, err)) < 0)
		goto out;
	if ((rc = gw_zipw_dir(z, "IHE_XDM/", err)) < 0 ||
	    (rc = gw_zipw_dir(z, GW_XDM_SUBSET "/", err)) < 0 ||
	    (rc = gw_zipw_file(z, "INDEX.HTM", t->index.data, t->index.len,
			       t->index_big, err)) < 0 ||
	    (rc = gw_zipw_file(z, "README.TXT", t->readme.data, t->readme.len,
			       false, err)) < 0 ||
	    (rc = gw_zipw_file(z, GW_XDM_SUBSET "/METADATA.XML", t->metadata,
			       t->metadata_len, true, err)) < 0)
		goto out;
	for (size_t i = 0; i < ndocs; i++) {
		if (snprintf(entry, sizeof(entry), GW_XDM_SUBSET "/%s",
			     names[i]) < 0)
			entry[0] = '\0';
		if ((rc = gw_zipw_file(z, entry, docs[i],
				       (size_t)in_docs[i].size, true, err)) < 0)
			goto out;
	}
	rc = gw_zipw_finish(z, err);
out:
	gw_zipw_free(z);
	return rc;
}

int
gw_xdm_build_mem(const struct gw_xdm_input *in, struct gw_buf *out,
		 struct gw_err *err)
{
	struct gw_xdsxml_docslots *slots =
	    gw_xcalloc(in->ndocs ? in->ndocs : 1, sizeof(*slots));
	char(*names)[16] = gw_xcalloc(in->ndocs ? in->ndocs : 1, 16);
	char **docs = gw_xcalloc(in->ndocs ? in->ndocs : 1, sizeof(*docs));
	struct texts t = {0};
	struct views v = {0};
	int rc = -1;

	v.body = gw_xcalloc(in->ndocs ? in->ndocs : 1, sizeof(*v.body));
	v.state = gw_xcalloc(in->ndocs ? in->ndocs : 1, sizeof(*v.state));
	gw_buf_init(&v.style, TEXT_MAX);
	gw_buf_init(&t.index, INDEX_MAX);
	gw_buf_init(&t.readme, TEXT_MAX);
	if (in->metadata == NULL || in->ndocs == 0 ||
	    in->ndocs > GW_XDM_MAX_DOCS || !text_ok(in->institution) ||
	    !text_ok(in->gateway)) {
		rc = gw_err_set(err, GW_ERROR, "5.6.0",
				"xdm: need metadata, 1 to %d documents, and an "
				"institution and gateway name without control "
				"characters",
				GW_XDM_MAX_DOCS);
		goto out;
	}
	for (size_t i = 0; i < in->ndocs; i++) {
		const struct gw_xdm_doc *d = &in->docs[i];

		if (snprintf(names[i], sizeof(names[i]), "DOC%05zu.%s", i + 1,
			     gw_xdm_suffix(d->mime_type)) < 0 ||
		    d->entry_id == NULL || d->path == NULL) {
			rc = gw_err_set(err, GW_ERROR, "5.6.0",
					"xdm: document %zu: no entry id or "
					"file",
					i + 1);
			goto out;
		}
		if ((rc = load_doc(d, &docs[i], err)) < 0)
			goto out;
		slots[i] = (struct gw_xdsxml_docslots){
		    .id = d->entry_id,
		    .uri = names[i],
		    .size = d->size,
		    .sha1 = d->sha1,
		};
	}
	if ((rc = gw_xdsxml_set_doc_slots(
		 in->metadata, in->metadata_len, in->lim, slots, in->ndocs,
		 &t.metadata, &t.metadata_len, err)) < 0) {
		gw_err_prefix(err, "xdm: METADATA.XML");
		goto out;
	}
	make_views(in, docs, &v);
	t.index_big = v.any;
	if ((rc = make_index(in, names, &v, &t.index)) < 0 ||
	    (rc = make_readme(in, &t.readme)) < 0) {
		rc = gw_err_set(err, rc, "5.3.4",
				"xdm: INDEX.HTM or "
				"README.TXT too large");
		goto out;
	}
	rc = write_zip(&t, names, docs, in->docs, in->ndocs, out, err);
out:
	for (size_t i = 0; i < in->ndocs; i++)
		free(docs[i]);
	free(docs);
	gw_buf_dispose(&t.index);
	gw_buf_dispose(&t.readme);
	views_dispose(&v, in->ndocs);
	free(t.metadata);
	free(names);
	free(slots);
	return rc;
}

int
gw_xdm_build(const struct gw_xdm_input *in, const char *tmpdir,
	     char **zip_path_out, struct gw_err *err)
{
	struct gw_buf zip;
	char *dir = NULL, *zip_path = NULL;
	int fd = -1;
	int rc = -1;

	*zip_path_out = NULL;
	gw_buf_init(&zip, (size_t)1 << 31);
	if (tmpdir == NULL) {
		rc = gw_err_set(err, GW_ERROR, "5.6.0", "xdm: no directory");
		goto out;
	}
	if ((rc = gw_xdm_build_mem(in, &zip, err)) < 0)
		goto out;
	dir = gw_xpath_join(tmpdir, "xdm.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		rc = io_err(err, errno, "mkdtemp", dir);
		free(dir);
		dir = NULL;
		goto out;
	}
	zip_path = gw_xpath_join(dir, GW_XDM_ZIP_NAME);
	fd = open(zip_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || gw_buf_write_fd(fd, zip.data, zip.len) != 0 ||
	    close(fd) != 0) {
		rc = io_err(err, errno, "write", zip_path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	*zip_path_out = zip_path;
	zip_path = NULL;
	rc = 0;
out:
	if (rc < 0 && dir != NULL)
		remove_dir(dir);
	free(zip_path);
	free(dir);
	gw_buf_dispose(&zip);
	return rc;
}

/* ---- checking a package (the NIST XDM decoder's rules) ---------------- */

struct check {
	zip_t *za;
	struct gw_xdm_limits lim; /* max_entry, max_ratio 0: not checked */
	struct gw_xdm_report rep;
	uint64_t total; /* uncompressed bytes read or announced */
	bool index, readme;
};

static int bad(struct gw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A non-conformance: GW_EPARSE with the message. */
static int
bad(struct gw_err *err, const char *fmt, ...)
{
	char m[256];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(m, sizeof(m), fmt, ap) < 0)
		m[0] = '\0';
	va_end(ap);
	return gw_err_set(err, GW_EPARSE, "5.6.0", "%s", m);
}

static bool
iso_chars(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

/* ECMA-119 level 1: a directory of 1-8 d-characters, a file 8.3. */
static bool
iso_component(const char *p, size_t n, bool is_dir)
{
	const char *dot = memchr(p, '.', n);

	if (is_dir || dot == NULL)
		return n <= 8 && iso_chars(p, n);
	return (size_t)(dot - p) <= 8 && iso_chars(p, (size_t)(dot - p)) &&
	       (n - (size_t)(dot - p) - 1 <= 3) &&
	       (n - (size_t)(dot - p) - 1 == 0 ||
		iso_chars(dot + 1, n - (size_t)(dot - p) - 1));
}

/* macOS Finder debris, which real conformant packages carry. */
static bool
is_junk(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base != NULL ? base + 1 : name;
	return strncmp(name, "__MACOSX/", 9) == 0 ||
	       strcmp(base, ".DS_Store") == 0 || strncmp(base, "._", 2) == 0;
}

/* Zip-slip and ISO 9660 checks of one entry name. */
static int
check_name(const char *name, struct gw_err *err)
{
	size_t len = strlen(name);
	bool is_dir = len > 0 && name[len - 1] == '/';
	const char *p = name, *end = name + (is_dir ? len - 1 : len);
	unsigned level = 0;

	if (len == 0 || name[0] == '/' || strchr(name, '\\') != NULL)
		return bad(err,
			   "xdm: entry name \"%s\" is absolute, empty or "
			   "has a backslash",
			   name);
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *ce = slash != NULL ? slash : end;
		size_t n = (size_t)(ce - p);
		bool dir = is_dir || slash != NULL;

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return bad(err,
				   "xdm: entry name \"%s\" has a . or .. "
				   "component",
				   name);
		if (!iso_component(p, n, dir))
			return bad(err,
				   "xdm: entry name \"%s\" is not an ISO "
				   "9660 level 1 name (A-Z 0-9 _, 8.3)",
				   name);
		if (dir && ++level > ISO_MAX_LEVEL)
			return bad(err,
				   "xdm: entry name \"%s\" is more than "
				   "8 directories deep",
				   name);
		p = ce + 1;
	}
	return 0;
}

/*
 * The per-entry bounds of gw_xdm_read, checked after each chunk: n bytes
 * inflated so far from comp compressed ones (as the central directory
 * says; a lie there only makes the ratio test weaker, never the caps).
 */
static int
entry_bounds(const struct check *c, const char *name, uint64_t n, uint64_t comp,
	     struct gw_err *err)
{
	if (c->lim.max_entry != 0 && n > c->lim.max_entry)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xdm: entry %s inflates past %llu bytes",
				  name, (unsigned long long)c->lim.max_entry);
	if (c->lim.max_ratio != 0 && n > c->lim.ratio_after &&
	    n / c->lim.max_ratio > (comp > 0 ? comp : 1))
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xdm: entry %s: compression ratio above "
				  "%u:1 (zip bomb)",
				  name, c->lim.max_ratio);
	return 0;
}

/*
 * Read entry idx: into *out (free()) if out is not NULL, hashing it into
 * hex if hex is not NULL. Counts against max_total as it reads.
 */
static int
read_entry(struct check *c, zip_uint64_t idx, const char *name, char **out,
	   uint64_t *len_out, char hex[41], struct gw_err *err)
{
	zip_file_t *zf = zip_fopen_index(c->za, idx, 0);
	struct gw_digest *md = hex != NULL ? gw_digest_sha1_new() : NULL;
	struct gw_buf b;
	char *chunk = gw_xmalloc(CHUNK);
	uint64_t n = 0, comp = 0;
	zip_stat_t st;
	int rc = -1;

	gw_buf_init(&b, (size_t)(c->lim.max_total < SIZE_MAX ? c->lim.max_total
							     : SIZE_MAX));
	if (zip_stat_index(c->za, idx, 0, &st) == 0 &&
	    (st.valid & ZIP_STAT_COMP_SIZE))
		comp = st.comp_size;
	if (zf == NULL || (hex != NULL && md == NULL)) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdm: cannot open entry %s: %s", name,
				zip_strerror(c->za));
		goto out;
	}
	for (;;) {
		zip_int64_t r = zip_fread(zf, chunk, CHUNK);

		if (r < 0) {
			rc = gw_err_set(err, GW_EPARSE, "5.6.0",
					"xdm: entry %s: %s", name,
					zip_file_strerror(zf));
			goto out;
		}
		if (r == 0)
			break;
		n += (uint64_t)r;
		c->total += (uint64_t)r;
		if ((rc = entry_bounds(c, name, n, comp, err)) < 0)
			goto out;
		if (c->total > c->lim.max_total) {
			rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
					"xdm: more than %llu uncompressed "
					"bytes",
					(unsigned long long)c->lim.max_total);
			goto out;
		}
		if ((md != NULL &&
		     gw_digest_update(md, chunk, (size_t)r) != 0) ||
		    (out != NULL && gw_buf_append(&b, chunk, (size_t)r) != 0)) {
			rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
					"xdm: entry %s: cannot hold or hash",
					name);
			goto out;
		}
	}
	if (md != NULL && gw_digest_final_hex(md, hex) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "xdm: SHA-1 final");
		goto out;
	}
	if (out != NULL)
		*out = gw_buf_take(&b);
	*len_out = n;
	rc = 0;
out:
	if (zf != NULL)
		zip_fclose(zf);
	gw_digest_free(md);
	gw_buf_dispose(&b);
	free(chunk);
	return rc;
}

/*
 * dir/uri with "." and ".." resolved, or NULL when uri is absolute, has
 * a backslash or climbs above the package root.
 */
static char *
resolve_uri(const char *dir, const char *uri)
{
	size_t ld = strlen(dir), lu = strlen(uri), n;
	char *r;

	if (lu == 0 || uri[0] == '/' || strchr(uri, '\\') != NULL ||
	    strstr(uri, "://") != NULL)
		return NULL;
	r = gw_xmalloc(ld + 1 + lu + 1);
	memcpy(r, dir, ld);
	n = ld;
	for (const char *p = uri; *p != '\0';) {
		const char *e = strchr(p, '/');
		size_t cl = e != NULL ? (size_t)(e - p) : strlen(p);

		if (cl == 2 && p[0] == '.' && p[1] == '.') {
			char *s;

			if (n == 0) {
				free(r);
				return NULL;
			}
			r[n] = '\0';
			s = strrchr(r, '/');
			n = s != NULL ? (size_t)(s - r) : 0;
		} else if (cl > 0 && !(cl == 1 && p[0] == '.')) {
			if (n > 0)
				r[n++] = '/';
			memcpy(r + n, p, cl);
			n += cl;
		}
		p += cl + (e != NULL ? 1 : 0);
	}
	r[n] = '\0';
	return r;
}

static bool
decimal_eq(const char *s, uint64_t v)
{
	uint64_t x = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	return x == v;
}

/* One DocumentEntry: single-valued slots, the file, its size and hash. */
static int
check_doc(struct check *c, const char *dir, const struct gw_xdsxml_docinfo *d,
	  struct gw_err *err)
{
	const char *id = d->id != NULL ? d->id : "(no id)";
	char *path = NULL;
	char hex[41];
	uint64_t n = 0;
	zip_int64_t idx;
	int rc = -1;

	if (d->nuri != 1 || d->nuri_values != 1 || d->nsize != 1 ||
	    d->nsize_values != 1 || d->nhash != 1 || d->nhash_values != 1) {
		rc = bad(err,
			 "xdm: DocumentEntry %s needs exactly one "
			 "single-valued URI, size and hash slot",
			 id);
		goto out;
	}
	path = resolve_uri(dir, d->uri);
	idx = path != NULL ? zip_name_locate(c->za, path, 0) : -1;
	if (idx < 0 || path[strlen(path) - 1] == '/') {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdm: DocumentEntry %s: URI %s names no file "
				"of the package",
				id, d->uri);
		goto out;
	}
	if ((rc = read_entry(c, (zip_uint64_t)idx, path, NULL, &n, hex, err)) <
	    0)
		goto out;
	if (!decimal_eq(d->size, n) || strlen(d->hash) != 40 ||
	    strcasecmp(d->hash, hex) != 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdm: DocumentEntry %s: %s has %llu bytes and "
				"SHA-1 %s, METADATA.XML says %s and %s",
				id, path, (unsigned long long)n, hex, d->size,
				d->hash);
		goto out;
	}
	c->rep.ndocs++;
	rc = 0;
out:
	free(path);
	return rc;
}

/* One IHE_XDM/<subset>/METADATA.XML. */
static int
check_subset(struct check *c, zip_uint64_t idx, const char *name,
	     struct gw_err *err)
{
	struct gw_xdsxml_docinfo *v = NULL;
	size_t nv = 0;
	char *xml = NULL, *dir;
	uint64_t len = 0;
	int rc;

	dir = gw_xstrndup(name, strlen(name) - strlen("/METADATA.XML"));
	if ((rc = read_entry(c, idx, name, &xml, &len, NULL, err)) < 0)
		goto out;
	if ((rc = gw_xdsxml_doc_list(xml, (size_t)len, NULL, &v, &nv, err)) <
	    0) {
		gw_err_prefix(err, "xdm: %s", name);
		goto out;
	}
	if (nv == 0) {
		rc = bad(err, "xdm: %s has no DocumentEntry", name);
		goto out;
	}
	for (size_t i = 0; i < nv; i++)
		if ((rc = check_doc(c, dir, &v[i], err)) < 0)
			goto out;
	c->rep.nsubsets++;
	rc = 0;
out:
	gw_xdsxml_docinfo_free(v, nv);
	free(xml);
	free(dir);
	return rc;
}

/* IHE_XDM/<one component>/METADATA.XML */
static bool
is_metadata(const char *name)
{
	const char *rest;

	if (strncmp(name, "IHE_XDM/", 8) != 0)
		return false;
	rest = strchr(name + 8, '/');
	return rest != NULL && rest > name + 8 &&
	       strcmp(rest, "/METADATA.XML") == 0;
}

/* Names, limits and the required entries; then every METADATA.XML. */
static int
check_entries(struct check *c, struct gw_err *err)
{
	zip_int64_t n = zip_get_num_entries(c->za, 0);
	bool any_metadata = false;
	int rc;

	if (n < 0 || (uint64_t)n > c->lim.max_entries)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xdm: more than %u entries",
				  c->lim.max_entries);
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;

		if (zip_stat_index(c->za, (zip_uint64_t)i, 0, &st) != 0 ||
		    !(st.valid & ZIP_STAT_NAME))
			return bad(err, "xdm: entry %s unreadable", "?");
		if (is_junk(st.name)) {
			c->rep.njunk++;
			continue;
		}
		if ((rc = check_name(st.name, err)) < 0)
			return rc;
		c->index |= strcmp(st.name, "INDEX.HTM") == 0;
		c->readme |= strcmp(st.name, "README.TXT") == 0;
		any_metadata |= is_metadata(st.name);
	}
	if (!c->index || !c->readme || !any_metadata)
		return bad(err, "xdm: %s is missing (names are case-sensitive)",
			   !c->index    ? "INDEX.HTM"
			   : !c->readme ? "README.TXT"
					: "IHE_XDM/<subset>/METADATA.XML");
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(c->za, (zip_uint64_t)i, 0);

		if (name != NULL && is_metadata(name) &&
		    (rc = check_subset(c, (zip_uint64_t)i, name, err)) < 0)
			return rc;
	}
	return 0;
}

int
gw_xdm_check(const char *zip_path, const struct gw_xdm_limits *lim,
	     struct gw_xdm_report *rep, struct gw_err *err)
{
	struct check c = {0};
	int zerr = 0;
	int rc = -1;

	c.lim.max_entries =
	    lim && lim->max_entries ? lim->max_entries : DEF_ENTRIES;
	c.lim.max_total = lim && lim->max_total ? lim->max_total : DEF_TOTAL;
	c.za = zip_open(zip_path, ZIP_RDONLY, &zerr);
	if (c.za == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		rc = gw_err_set(
		    err,
		    zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ ? GW_ETEMP
							       : GW_EPARSE,
		    "5.6.0", "xdm: %s: %s", zip_path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto out;
	}
	rc = check_entries(&c, err);
out:
	if (c.za != NULL)
		zip_discard(c.za);
	if (rep != NULL)
		*rep = c.rep;
	return rc;
}

/* ---- reading a received package (SPEC 5.4, 5.5) ------------------------ */

bool
gw_xdm_is_zip(const void *p, size_t len)
{
	return p != NULL && len >= 4 && memcmp(p, "PK\003\004", 4) == 0;
}

void
gw_xdm_package_free(struct gw_xdm_package *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nsubsets; i++) {
		struct gw_xdm_subset *s = &p->subsets[i];

		for (size_t k = 0; k < s->ndocs; k++) {
			free(s->docs[k].id);
			free(s->docs[k].mime_type);
			free(s->docs[k].entry);
			free(s->docs[k].data);
		}
		free(s->docs);
		free(s->dir);
		free(s->metadata);
	}
	free(p->subsets);
	free(p);
}

/* The first path component of name is IHE_XDM, in any case. */
static bool
in_ihe_xdm(const char *name)
{
	return strncasecmp(name, "IHE_XDM/", 8) == 0;
}

/* IHE_XDM/<one component>/METADATA.XML, in any case (SPEC 5.5). */
static bool
is_metadata_lenient(const char *name)
{
	const char *rest;

	if (!in_ihe_xdm(name))
		return false;
	rest = strchr(name + 8, '/');
	return rest != NULL && rest > name + 8 &&
	       strcasecmp(rest, "/METADATA.XML") == 0;
}

/* Zip-slip rules for any entry name (no ISO 9660 rules on receive). */
static int
safe_name(const char *name, unsigned max, struct gw_err *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > max)
		return bad(err,
			   "xdm: an entry name is empty or longer than %u "
			   "bytes",
			   max);
	for (const char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bad(err,
				   "xdm: entry name \"%.80s\" has a control "
				   "character",
				   name);
	if (name[0] == '/' || strchr(name, '\\') != NULL ||
	    (len >= 2 && name[1] == ':'))
		return bad(err,
			   "xdm: entry name \"%.120s\" is absolute or has a "
			   "backslash (path traversal)",
			   name);
	for (const char *p = name; *p != '\0';) {
		const char *e = strchr(p, '/');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return bad(err,
				   "xdm: entry name \"%.120s\" has a . or .. "
				   "component (path traversal)",
				   name);
		p += n + (e != NULL ? 1 : 0);
	}
	return 0;
}

/* Regular files and directories only; never links, devices, encryption. */
static int
safe_entry(struct check *c, zip_uint64_t i, const zip_stat_t *st,
	   struct gw_err *err)
{
	zip_uint8_t opsys = 0;
	zip_uint32_t attr = 0;

	if ((st->valid & ZIP_STAT_ENCRYPTION_METHOD) &&
	    st->encryption_method != ZIP_EM_NONE)
		return bad(err, "xdm: entry %.120s is encrypted", st->name);
	if (zip_file_get_external_attributes(c->za, i, 0, &opsys, &attr) != 0)
		return bad(err, "xdm: entry %.120s: unreadable attributes",
			   st->name);
	if (opsys == ZIP_OPSYS_UNIX) {
		unsigned mode = (attr >> 16) & S_IFMT;

		if (mode == S_IFLNK)
			return bad(err, "xdm: entry %.120s is a symbolic link",
				   st->name);
		if (mode != 0 && mode != S_IFREG && mode != S_IFDIR)
			return bad(err,
				   "xdm: entry %.120s is not a regular file "
				   "or directory",
				   st->name);
	}
	if (c->lim.max_entry != 0 && (st->valid & ZIP_STAT_SIZE) &&
	    st->size > c->lim.max_entry)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xdm: entry %.120s announces more than %llu "
				  "bytes",
				  st->name,
				  (unsigned long long)c->lim.max_entry);
	return 0;
}

/*
 * Every entry: safe name, safe kind, no case-insensitive twin. Counts
 * junk. Returns the number of METADATA.XML entries in *nmeta.
 */
static int
safe_entries(struct check *c, zip_int64_t n, size_t *nmeta, struct gw_err *err)
{
	const char **names = gw_xcalloc((size_t)n + 1, sizeof(*names));
	int rc = 0;

	*nmeta = 0;
	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		zip_stat_t st;

		if (zip_stat_index(c->za, (zip_uint64_t)i, 0, &st) != 0 ||
		    !(st.valid & ZIP_STAT_NAME)) {
			rc = bad(err, "xdm: entry %lld unreadable",
				 (long long)i);
			break;
		}
		if ((rc = safe_name(st.name, c->lim.max_name, err)) < 0 ||
		    (rc = safe_entry(c, (zip_uint64_t)i, &st, err)) < 0)
			break;
		for (zip_int64_t k = 0; k < i; k++)
			if (strcasecmp(names[k], st.name) == 0) {
				rc = bad(err,
					 "xdm: entry name \"%.120s\" occurs "
					 "twice (case-insensitively)",
					 st.name);
				break;
			}
		names[i] = st.name;
		if (is_junk(st.name))
			c->rep.njunk++;
		else if (is_metadata_lenient(st.name))
			(*nmeta)++;
	}
	free(names);
	return rc;
}

/* The Java RI's "IHE_XDM/SUBSET01" + name without a slash (SPEC 5.5). */
static int
no_metadata(struct check *c, zip_int64_t n, struct gw_err *err)
{
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(c->za, (zip_uint64_t)i, 0);
		size_t len = name != NULL ? strlen(name) : 0;

		if (len > 12 && in_ihe_xdm(name) &&
		    strcasecmp(name + len - 12, "METADATA.XML") == 0)
			return bad(err,
				   "xdm: %.120s is not IHE_XDM/<subset>/"
				   "METADATA.XML (a subset folder without "
				   "its slash, as the Direct RI wrote it)",
				   name);
	}
	return bad(err, "xdm: IHE_XDM/ holds no <subset>/METADATA.XML");
}

/* One DocumentEntry of a subset: find its file, check size and hash. */
static int
read_doc(struct check *c, const char *dir, const struct gw_xdsxml_docinfo *d,
	 struct gw_xdm_file *f, struct gw_err *err)
{
	const char *id = d->id != NULL ? d->id : "(no id)";
	char *path = NULL;
	uint64_t n = 0;
	zip_int64_t idx;
	int rc;

	if (d->id == NULL || d->mime_type == NULL || d->nuri != 1 ||
	    d->nuri_values != 1 || d->nsize > 1 || d->nsize_values > 1 ||
	    d->nhash > 1 || d->nhash_values > 1) {
		rc = bad(err,
			 "xdm: DocumentEntry %.80s needs an id, a mimeType, "
			 "one single-valued URI slot and at most one "
			 "single-valued size and hash slot",
			 id);
		goto out;
	}
	path = resolve_uri(dir, d->uri);
	/* Twins were refused, so a case-insensitive match is unique. */
	idx = path != NULL ? zip_name_locate(c->za, path, ZIP_FL_NOCASE) : -1;
	if (idx < 0 || path[strlen(path) - 1] == '/' || is_junk(path)) {
		rc = bad(err,
			 "xdm: DocumentEntry %.80s: URI %.80s names no file "
			 "of the package",
			 id, d->uri);
		goto out;
	}
	if ((rc = read_entry(c, (zip_uint64_t)idx, path, &f->data, &n, f->sha1,
			     err)) < 0)
		goto out;
	f->len = (size_t)n;
	if ((d->size != NULL && !decimal_eq(d->size, n)) ||
	    (d->hash != NULL &&
	     (strlen(d->hash) != 40 || strcasecmp(d->hash, f->sha1) != 0))) {
		rc = bad(err,
			 "xdm: DocumentEntry %.80s: %.80s has %llu bytes and "
			 "SHA-1 %s, METADATA.XML says %.24s and %.48s",
			 id, path, (unsigned long long)n, f->sha1,
			 d->size ? d->size : "(no size)",
			 d->hash ? d->hash : "(no hash)");
		goto out;
	}
	f->id = gw_xstrdup(d->id);
	f->mime_type = gw_xstrdup(d->mime_type);
	f->entry = path;
	path = NULL;
	rc = 0;
out:
	if (rc < 0) {
		/* Not counted in the subset: free what was read here. */
		free(f->data);
		f->data = NULL;
	}
	free(path);
	return rc;
}

/* One IHE_XDM/<subset>/METADATA.XML and its documents. */
static int
read_subset(struct check *c, zip_uint64_t idx, const char *name,
	    const struct gw_xds_limits *xlim, struct gw_xdm_subset *s,
	    struct gw_err *err)
{
	struct gw_xdsxml_docinfo *v = NULL;
	size_t nv = 0;
	uint64_t len = 0;
	int rc;

	s->dir = gw_xstrndup(name, strlen(name) - strlen("/METADATA.XML"));
	if ((rc = read_entry(c, idx, name, &s->metadata, &len, NULL, err)) < 0)
		goto out;
	s->metadata_len = (size_t)len;
	if ((rc = gw_xdsxml_doc_list(s->metadata, s->metadata_len, xlim, &v,
				     &nv, err)) < 0) {
		gw_err_prefix(err, "xdm: %.120s", name);
		goto out;
	}
	if (nv == 0) {
		rc = bad(err, "xdm: %.120s has no DocumentEntry", name);
		goto out;
	}
	s->docs = gw_xcalloc(nv, sizeof(*s->docs));
	for (size_t i = 0; i < nv; i++, s->ndocs++)
		if ((rc = read_doc(c, s->dir, &v[i], &s->docs[i], err)) < 0)
			goto out;
	rc = 0;
out:
	gw_xdsxml_docinfo_free(v, nv);
	return rc;
}

static void
read_limits(const struct gw_xdm_limits *in, struct gw_xdm_limits *l)
{
	static const struct gw_xdm_limits def = {
	    .max_entries = GW_XDM_READ_ENTRIES,
	    .max_total = GW_XDM_READ_TOTAL,
	    .max_entry = GW_XDM_READ_ENTRY,
	    .max_ratio = GW_XDM_READ_RATIO,
	    .ratio_after = GW_XDM_READ_RATIO_AFTER,
	    .max_name = GW_XDM_READ_NAME,
	};

	*l = def;
	if (in == NULL)
		return;
	l->max_entries = in->max_entries ? in->max_entries : l->max_entries;
	l->max_total = in->max_total ? in->max_total : l->max_total;
	l->max_entry = in->max_entry ? in->max_entry : l->max_entry;
	l->max_ratio = in->max_ratio ? in->max_ratio : l->max_ratio;
	l->ratio_after = in->ratio_after ? in->ratio_after : l->ratio_after;
	l->max_name = in->max_name ? in->max_name : l->max_name;
}

/* Recognised: count, safety, then every subset. */
static int
read_package(struct check *c, zip_int64_t n, const struct gw_xds_limits *xlim,
	     struct gw_xdm_package *p, struct gw_err *err)
{
	size_t nmeta = 0;
	int rc;

	if ((uint64_t)n > c->lim.max_entries)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xdm: more than %u entries",
				  c->lim.max_entries);
	if ((rc = safe_entries(c, n, &nmeta, err)) < 0)
		return rc;
	if (nmeta == 0)
		return no_metadata(c, n, err);
	p->subsets = gw_xcalloc(nmeta, sizeof(*p->subsets));
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(c->za, (zip_uint64_t)i, 0);

		if (name == NULL || is_junk(name) || !is_metadata_lenient(name))
			continue;
		rc = read_subset(c, (zip_uint64_t)i, name, xlim,
				 &p->subsets[p->nsubsets++], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
gw_xdm_read(const void *zip, size_t len, const struct gw_xdm_limits *lim,
	    const struct gw_xds_limits *xlim, struct gw_xdm_package **out,
	    struct gw_err *err)
{
	struct gw_xdm_package *p = NULL;
	struct check c = {0};
	zip_source_t *src = NULL;
	zip_error_t ze;
	zip_int64_t n;
	bool xdm = false;
	int rc;

	*out = NULL;
	read_limits(lim, &c.lim);
	if (!gw_xdm_is_zip(zip, len))
		return gw_err_set(err, GW_ENOTFOUND, "5.6.0",
				  "xdm: not a ZIP (no PK\\3\\4 header)");
	zip_error_init(&ze);
	src = zip_source_buffer_create(zip, len, 0, &ze);
	if (src != NULL)
		c.za =
		    zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (c.za == NULL) {
		rc = gw_err_set(err, GW_ENOTFOUND, "5.6.0",
				"xdm: not a readable ZIP: %s",
				zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	n = zip_get_num_entries(c.za, 0);
	for (zip_int64_t i = 0; i < n && !xdm; i++) {
		const char *name = zip_get_name(c.za, (zip_uint64_t)i, 0);

		xdm = name != NULL && in_ihe_xdm(name);
	}
	if (!xdm) {
		rc = gw_err_set(err, GW_ENOTFOUND, "5.6.0",
				"xdm: a ZIP without an IHE_XDM/ folder");
		goto out;
	}
	p = gw_xcalloc(1, sizeof(*p));
	if ((rc = read_package(&c, n, xlim, p, err)) < 0)
		goto out;
	p->njunk = c.rep.njunk;
	*out = p;
	p = NULL;
	rc = 0;
out:
	zip_discard(c.za); /* also frees src */
	gw_xdm_package_free(p);
	return rc;
}
