/*
 * Unit tests for xdm: building an XDM ZIP from spool files (names,
 * METADATA.XML slots, INDEX.HTM, clean-up on every path), and the
 * structural checker against our packages, tampered ones, and the ETT and
 * Direct RI packages of the corpus.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <zip.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "xdm.h"
#include "xds.h"
#include "xdsbuild.h"
#include "xdsxml.h"

#define BAD_SHA1 "0123456789012345678901234567890123456789"
#define CCDA     "ccda/ett/CCDA_Ambulatory.xml"
#define PDF                                                                    \
	"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 " \
	"R >>\n%%EOF\n"
/* Same length as PDF, one byte different: only the hash can tell. */
#define PDF_X                                                                  \
	"%PDF-1.4\n1 0 obj << /Type /Catalof >> endobj\ntrailer << /Root 1 0 " \
	"R >>\n%%EOF\n"

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static bool
write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(p, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = false;
	return ok;
}

/* A limited-metadata submission for two documents, with stale slots. */
static bool
metadata(struct gw_buf *b)
{
	struct gw_xdsbuild_doc docs[2] = {
	    {.id = "Document01",
	     .mime_type = "text/xml",
	     .unique_id = "1.2.3.4.5.6",
	     .size = 1,
	     .sha1 = BAD_SHA1},
	    {.id = "Document02",
	     .mime_type = "application/pdf",
	     .unique_id = "1.2.3.4.5.7"},
	};
	struct gw_xdsbuild s = {
	    .limited = true,
	    .ss_unique_id = "1.2.3.4.5.99",
	    .source_id = "1.2.3.4.5",
	    .submission_time = "20240115150000",
	    .author_telecom = "^^Internet^sender@direct.example.org",
	    .docs = docs,
	    .ndocs = 2,
	};
	struct gw_err e;

	gw_buf_init(b, 1 << 20);
	if (gw_xdsbuild_submission(&s, b, &e) != 0) {
		gw_test_fail(__FILE__, __LINE__, e.msg);
		return false;
	}
	return true;
}

/* Fixture: spool-like files of a real C-CDA and a small PDF. */
struct fx {
	struct gw_buf md;
	char *ccda;
	size_t ccda_len;
	char ccda_sha1[41];
	char pdf_sha1[41];
	char *ccda_path;
	char *pdf_path;
	char *out; /* where packages go */
	struct gw_xdm_doc docs[2];
	struct gw_xdm_input in;
};

static bool
fx_init(struct fx *f)
{
	const char *dir = gw_test_tmpdir();
	char *src = join(gw_test_corpus(), CCDA);

	memset(f, 0, sizeof(*f));
	f->ccda = gw_test_slurp(src, &f->ccda_len);
	free(src);
	if (f->ccda == NULL || !metadata(&f->md))
		return false;
	gw_digest_sha1_hex(f->ccda, f->ccda_len, f->ccda_sha1);
	gw_digest_sha1_hex(PDF, strlen(PDF), f->pdf_sha1);
	f->ccda_path = join(dir, "ccda");
	f->pdf_path = join(dir, "pdf");
	f->out = join(dir, "out");
	if (!write_file(f->ccda_path, f->ccda, f->ccda_len) ||
	    !write_file(f->pdf_path, PDF, strlen(PDF)) ||
	    mkdir(f->out, 0700) != 0)
		return false;
	f->docs[0] = (struct gw_xdm_doc){"Document01", "text/xml", f->ccda_path,
					 f->ccda_len, f->ccda_sha1};
	f->docs[1] = (struct gw_xdm_doc){"Document02", "application/pdf",
					 f->pdf_path, strlen(PDF), f->pdf_sha1};
	f->in = (struct gw_xdm_input){
	    .metadata = f->md.data,
	    .metadata_len = f->md.len,
	    .docs = f->docs,
	    .ndocs = 2,
	    .institution = "Get Well <Clinic> & Co",
	    .gateway = "dxgw 0.1",
	};
	return true;
}

static void
fx_dispose(struct fx *f)
{
	gw_buf_dispose(&f->md);
	free(f->ccda);
	free(f->ccda_path);
	free(f->pdf_path);
	free(f->out);
}

/* Whole entry idx of za, NUL-terminated. */
static char *
zread(zip_t *za, const char *name, size_t *len)
{
	zip_stat_t st;
	zip_file_t *zf;
	char *p;

	if (zip_stat(za, name, 0, &st) != 0)
		return NULL;
	zf = zip_fopen(za, name, 0);
	if (zf == NULL)
		return NULL;
	p = malloc(st.size + 1);
	if (zip_fread(zf, p, st.size) != (zip_int64_t)st.size) {
		free(p);
		p = NULL;
	} else {
		p[st.size] = '\0';
		*len = st.size;
	}
	zip_fclose(zf);
	return p;
}

GW_TEST(xdm_suffix_by_mime_type)
{
	CHECK_STR(gw_xdm_suffix("text/xml"), "XML");
	CHECK_STR(gw_xdm_suffix("Application/XML; charset=UTF-8"), "XML");
	CHECK_STR(gw_xdm_suffix("application/hl7-v3+xml"), "XML");
	CHECK_STR(gw_xdm_suffix("application/pdf"), "PDF");
	CHECK_STR(gw_xdm_suffix("text/plain"), "TXT");
	CHECK_STR(gw_xdm_suffix("text/html"), "HTM");
	CHECK_STR(gw_xdm_suffix("image/jpeg"), "JPG");
	CHECK_STR(gw_xdm_suffix("application/octet-stream"), "BIN");
	CHECK_STR(gw_xdm_suffix("text/xmlx"), "BIN");
	CHECK_STR(gw_xdm_suffix("+xml"), "BIN");
	CHECK_STR(gw_xdm_suffix(NULL), "BIN");
}

/* Exact entries, bytes, slots, INDEX.HTM links; then remove. */
GW_TEST(xdm_build_ccda_and_pdf)
{
	static const char *const want[] = {
	    "IHE_XDM/",
	    "IHE_XDM/SUBSET01/",
	    "INDEX.HTM",
	    "README.TXT",
	    "IHE_XDM/SUBSET01/METADATA.XML",
	    "IHE_XDM/SUBSET01/DOC00001.XML",
	    "IHE_XDM/SUBSET01/DOC00002.PDF",
	};
	struct fx f;
	struct gw_err e;
	struct gw_xdm_report rep;
	struct gw_xdsxml_docinfo *v = NULL;
	struct gw_xds_submission *sub = NULL;
	struct gw_xds_errors xe;
	char *zp = NULL, *p = NULL, size[24];
	size_t len = 0, nv = 0;
	zip_t *za;
	struct stat st;
	int zerr = 0;

	REQUIRE(fx_init(&f));
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), 0);
	REQUIRE(zp != NULL);
	CHECK(strncmp(zp, f.out, strlen(f.out)) == 0);
	CHECK(strstr(zp, "/xdm.") != NULL);
	CHECK_STR(strrchr(zp, '/'), "/XDM.ZIP");
	CHECK_INT(count_entries(f.out), 1);
	{
		char *dir = strndup(zp, (size_t)(strrchr(zp, '/') - zp));

		CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
		/* Only the ZIP: staged copies are gone. */
		CHECK_INT(count_entries(dir), 1);
		free(dir);
	}

	za = zip_open(zp, ZIP_RDONLY, &zerr);
	REQUIRE(za != NULL);
	CHECK_INT(zip_get_num_entries(za, 0), 7);
	for (size_t i = 0; i < 7; i++)
		CHECK_STR(zip_get_name(za, i, 0), want[i]);

	p = zread(za, "IHE_XDM/SUBSET01/DOC00001.XML", &len);
	CHECK(p != NULL && len == f.ccda_len && memcmp(p, f.ccda, len) == 0);
	free(p);
	p = zread(za, "IHE_XDM/SUBSET01/DOC00002.PDF", &len);
	CHECK(p != NULL && len == strlen(PDF) && memcmp(p, PDF, len) == 0);
	free(p);

	p = zread(za, "IHE_XDM/SUBSET01/METADATA.XML", &len);
	REQUIRE(p != NULL);
	CHECK(strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) ==
	      0);
	CHECK_INT(gw_xdsxml_doc_list(p, len, NULL, &v, &nv, &e), 0);
	REQUIRE(nv == 2);
	CHECK_STR(v[0].id, "Document01");
	CHECK_STR(v[0].uri, "DOC00001.XML");
	snprintf(size, sizeof(size), "%zu", f.ccda_len);
	CHECK_STR(v[0].size, size);
	CHECK_STR(v[0].hash, f.ccda_sha1);
	/* The stale size and hash were replaced, not duplicated. */
	CHECK_INT(v[0].nsize, 1);
	CHECK_INT(v[0].nhash, 1);
	CHECK_INT(v[0].nuri, 1);
	CHECK_STR(v[1].uri, "DOC00002.PDF");
	snprintf(size, sizeof(size), "%zu", strlen(PDF));
	CHECK_STR(v[1].size, size);
	CHECK_STR(v[1].hash, f.pdf_sha1);
	/* Still valid ebRIM 3.0, Slots in their place. */
	gw_xds_errors_init(&xe);
	CHECK_INT(gw_xdsxml_parse(p, len, NULL, &sub, &xe), 0);
	REQUIRE(sub != NULL);
	CHECK_INT(sub->nentries, 2);
	CHECK_STR(sub->entries[0].hash, f.ccda_sha1);
	gw_xds_submission_free(sub);
	gw_xds_errors_dispose(&xe);
	gw_xdsxml_docinfo_free(v, nv);
	free(p);

	p = zread(za, "INDEX.HTM", &len);
	REQUIRE(p != NULL);
	CHECK(strstr(p, "href=\"IHE_XDM/SUBSET01/DOC00001.XML\"") != NULL);
	CHECK(strstr(p, "href=\"IHE_XDM/SUBSET01/DOC00002.PDF\"") != NULL);
	CHECK(strstr(p, "href=\"README.TXT\"") != NULL);
	CHECK(strstr(p, "Get Well &lt;Clinic&gt; &amp; Co") != NULL);
	free(p);
	p = zread(za, "README.TXT", &len);
	REQUIRE(p != NULL);
	CHECK(strstr(p, "Institution: Get Well <Clinic> & Co\r\n") != NULL);
	CHECK(strstr(p, "dxgw 0.1") != NULL);
	free(p);
	zip_discard(za);

	CHECK_INT(gw_xdm_check(zp, NULL, &rep, &e), 0);
	CHECK_INT(rep.nsubsets, 1);
	CHECK_INT(rep.ndocs, 2);
	CHECK_INT(rep.njunk, 0);

	gw_xdm_remove(zp);
	CHECK_INT(count_entries(f.out), 0);
	free(zp);
	fx_dispose(&f);
}

/* Every failure: the error, no path, nothing left under tmpdir. */
GW_TEST(xdm_build_failures_leave_nothing)
{
	struct fx f;
	struct gw_err e;
	char *zp = (char *)"x";

	REQUIRE(fx_init(&f));
	f.docs[1].sha1 = BAD_SHA1;
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), GW_ETRUST);
	CHECK(zp == NULL);
	CHECK(strstr(e.msg, "Document02") != NULL);
	CHECK_INT(count_entries(f.out), 0);

	f.docs[1].sha1 = f.pdf_sha1;
	f.docs[0].size = f.ccda_len - 1;
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), GW_ETRUST);
	CHECK_INT(count_entries(f.out), 0);
	f.docs[0].size = f.ccda_len + 1;
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), GW_ETRUST);
	CHECK_INT(count_entries(f.out), 0);

	f.docs[0].size = f.ccda_len;
	f.docs[1].entry_id = "Document99";
	CHECK(gw_xdm_build(&f.in, f.out, &zp, &e) < 0);
	CHECK(zp == NULL);
	CHECK_INT(count_entries(f.out), 0);

	f.docs[1].entry_id = "Document02";
	f.in.ndocs = 1; /* Document02 has no file */
	CHECK(gw_xdm_build(&f.in, f.out, &zp, &e) < 0);
	CHECK_INT(count_entries(f.out), 0);

	f.in.ndocs = 2;
	f.docs[1].path = "/nonexistent/pdf";
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), GW_ETEMP);
	CHECK_INT(count_entries(f.out), 0);

	/* And the fixture itself is good: the same input succeeds. */
	f.docs[1].path = f.pdf_path;
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), 0);
	CHECK_INT(count_entries(f.out), 1);
	gw_xdm_remove(zp);
	CHECK_INT(count_entries(f.out), 0);
	free(zp);
	fx_dispose(&f);
}

/* Slot edit: existing slots replaced in place, unknown ids refused. */
GW_TEST(xdm_metadata_slots)
{
	static const char xml[] =
	    "<lcm:SubmitObjectsRequest "
	    "xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" "
	    "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
	    "<rim:RegistryObjectList>"
	    "<rim:ExtrinsicObject id=\"a\" mimeType=\"text/xml\">"
	    "<rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>2024"
	    "</rim:Value></rim:ValueList></rim:Slot>"
	    "<rim:Slot name=\"hash\"><rim:ValueList><rim:Value>old</rim:Value>"
	    "</rim:ValueList></rim:Slot>"
	    "<rim:Name/></rim:ExtrinsicObject>"
	    "<rim:ExtrinsicObject id=\"b\" mimeType=\"text/plain\"/>"
	    "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>";
	struct gw_xdsxml_docslots d[2] = {
	    {"a", "DOC00001.XML", 5,
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	    {"b", "DOC00002.TXT", 0,
	     "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	};
	struct gw_err e;
	char *out = NULL;
	size_t len = 0;
	const char *p;

	CHECK_INT(gw_xdsxml_set_doc_slots(xml, sizeof(xml) - 1, NULL, d, 2,
					  &out, &len, &e),
		  0);
	REQUIRE(out != NULL);
	CHECK(strstr(out, "old") == NULL);
	/* creationTime, then URI, size, hash, then Name. */
	p = strstr(out, "creationTime");
	CHECK(p != NULL &&
	      strstr(p, "<rim:Slot name=\"URI\"><rim:ValueList>"
			"<rim:Value>DOC00001.XML</rim:Value>") != NULL);
	CHECK(strstr(out, "<rim:Value>5</rim:Value></rim:ValueList></"
			  "rim:Slot><rim:Slot name=\"hash\">") != NULL);
	p = strstr(out, "name=\"hash\"");
	CHECK(p != NULL && strstr(p, "<rim:Name/>") != NULL);
	CHECK(strstr(out, "<rim:ExtrinsicObject id=\"b\" mimeType=\"text/"
			  "plain\"><rim:Slot name=\"URI\">") != NULL);
	free(out);

	d[1].id = "c";
	CHECK(gw_xdsxml_set_doc_slots(xml, sizeof(xml) - 1, NULL, d, 2, &out,
				      &len, &e) < 0);
	CHECK(out == NULL);
	CHECK_INT(gw_xdsxml_set_doc_slots(xml, sizeof(xml) - 1, NULL, d, 1,
					  &out, &len, &e),
		  GW_ERROR);
	CHECK(strstr(e.msg, "ExtrinsicObject b") != NULL);
	CHECK_INT(gw_xdsxml_set_doc_slots("<!DOCTYPE x []><x/>", 19, NULL, d, 1,
					  &out, &len, &e),
		  GW_EPARSE);
}

/* Rewrite entry name of zp with data (or add it); then check. */
static int
tamper(const char *zp, const char *name, const char *data, const char *del,
       struct gw_err *e)
{
	zip_t *za = zip_open(zp, 0, NULL);
	zip_source_t *src;
	zip_int64_t i;

	if (za == NULL)
		return 99;
	if (del != NULL) {
		i = zip_name_locate(za, del, 0);
		if (i < 0 || zip_delete(za, (zip_uint64_t)i) != 0)
			return 98;
	}
	if (name != NULL) {
		src = zip_source_buffer(za, data, strlen(data), 0);
		if (src == NULL ||
		    zip_file_add(za, name, src, ZIP_FL_OVERWRITE) < 0)
			return 97;
	}
	if (zip_close(za) != 0)
		return 96;
	return gw_xdm_check(zp, NULL, NULL, e);
}

/* Tampered copies of a good package fail, each for its reason. */
GW_TEST(xdm_check_tampered)
{
	static const struct {
		const char *name, *data, *del, *why;
	} cases[] = {
	    {"IHE_XDM/SUBSET01/DOC00002.PDF", "%PDF-1.4 other", NULL,
	     "has 14 bytes"},
	    {"IHE_XDM/SUBSET01/DOC00002.PDF", PDF_X, NULL, "SHA-1"},
	    {NULL, NULL, "IHE_XDM/SUBSET01/DOC00001.XML", "names no file"},
	    {NULL, NULL, "README.TXT", "README.TXT is missing"},
	    {NULL, NULL, "INDEX.HTM", "INDEX.HTM is missing"},
	    {"IHE_XDM/SUBSET01/doc.xml", "x", NULL, "ISO 9660"},
	    {"IHE_XDM/SUBSET01/DOCUMENT01.XML", "x", NULL, "ISO 9660"},
	    {"IHE_XDM/SUBSET01/DOC.XHTML", "x", NULL, "ISO 9660"},
	    {"../EVIL.TXT", "x", NULL, ". or .."},
	    {"A/B/C/D/E/F/G/H/I/X.TXT", "x", NULL, "8 directories"},
	    {"Index.htm", "x", "INDEX.HTM", "ISO 9660"},
	};
	struct fx f;
	struct gw_err e;

	REQUIRE(fx_init(&f));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *zp = NULL;
		int rc;

		REQUIRE(gw_xdm_build(&f.in, f.out, &zp, &e) == 0);
		gw_err_clear(&e);
		rc = tamper(zp, cases[i].name, cases[i].data, cases[i].del, &e);
		CHECK_INT(rc, GW_EPARSE);
		if (strstr(e.msg, cases[i].why) == NULL) {
			char m[400];

			snprintf(m, sizeof(m), "case %zu: \"%s\" lacks \"%s\"",
				 i, e.msg, cases[i].why);
			gw_test_fail(__FILE__, __LINE__, m);
		}
		gw_xdm_remove(zp);
		free(zp);
	}
	CHECK_INT(count_entries(f.out), 0);
	fx_dispose(&f);
}

/* ETT packages (EXPECTED.md 5): conformant, some with .DS_Store. */
GW_TEST(xdm_check_ett_packages)
{
	static const struct {
		const char *file;
		unsigned junk;
	} ett[] = {
	    {"C32_SAMPLE1_IN_XDM.ZIP", 1},
	    {"CCDA_AMB.ZIP", 0},
	    {"CCDA_INPATIENT_IN_XDM.ZIP", 0},
	    {"CCR_SAMPLE1_IN_XDM.ZIP", 1},
	    {"TOC_XDM_FULL_METADATA.ZIP", 0},
	    {"TOC_XDM_LIMITED_METADATA.ZIP", 0},
	    {"ToC_Ambulatory.zip", 0},
	    {"XDM_FULL.ZIP", 0},
	    {"XDM_LIM.ZIP", 0},
	};

	for (size_t i = 0; i < sizeof(ett) / sizeof(ett[0]); i++) {
		char rel[128];
		char *path;
		struct gw_xdm_report rep;
		struct gw_err e;
		int rc;

		snprintf(rel, sizeof(rel), "direct/xdm/ett/%s", ett[i].file);
		path = join(gw_test_corpus(), rel);
		gw_err_clear(&e);
		rc = gw_xdm_check(path, NULL, &rep, &e);
		if (rc != 0) {
			char m[400];

			snprintf(m, sizeof(m), "%s: %s", ett[i].file, e.msg);
			gw_test_fail(__FILE__, __LINE__, m);
		}
		CHECK_INT(rep.nsubsets, 1);
		CHECK_INT(rep.ndocs, 1);
		CHECK_INT(rep.njunk, ett[i].junk);
		free(path);
	}
}

/* Direct Java RI packages (SPEC 5.5, P3): not NIST-conformant. */
GW_TEST(xdm_check_ri_packages)
{
	static const struct {
		const char *file, *why;
	} ri[] = {
	    /* "IHE_XDM/SUBSET01" + a UUID name without a slash. */
	    {"direct/xdm/direct-ri/xdm.zip",
	     "\"IHE_XDM/SUBSET01871efced-488f-4699-b38d-015791e7ef04.txt\" "
	     "is not an ISO 9660"},
	    /* Everything under a lower-case samplexdm/ folder. */
	    {"direct/xdm/direct-ri/samplexdm.zip", "\"samplexdm/"},
	};

	for (size_t i = 0; i < sizeof(ri) / sizeof(ri[0]); i++) {
		char *path = join(gw_test_corpus(), ri[i].file);
		struct gw_err e;

		gw_err_clear(&e);
		CHECK_INT(gw_xdm_check(path, NULL, NULL, &e), GW_EPARSE);
		if (strstr(e.msg, ri[i].why) == NULL)
			gw_test_fail(__FILE__, __LINE__, e.msg);
		free(path);
	}
}

GW_TEST(xdm_check_limits_and_garbage)
{
	struct fx f;
	struct gw_xdm_limits lim = {.max_entries = 6};
	struct gw_err e;
	char *zp = NULL, *junk;

	REQUIRE(fx_init(&f));
	REQUIRE(gw_xdm_build(&f.in, f.out, &zp, &e) == 0);
	CHECK_INT(gw_xdm_check(zp, &lim, NULL, &e), GW_ELIMIT);
	lim = (struct gw_xdm_limits){.max_total = 1000};
	CHECK_INT(gw_xdm_check(zp, &lim, NULL, &e), GW_ELIMIT);
	lim = (struct gw_xdm_limits){.max_entries = 7};
	CHECK_INT(gw_xdm_check(zp, &lim, NULL, &e), 0);
	gw_xdm_remove(zp);
	free(zp);

	junk = join(f.out, "NOTAZIP.ZIP");
	REQUIRE(write_file(junk, "hello", 5));
	CHECK_INT(gw_xdm_check(junk, NULL, NULL, &e), GW_EPARSE);
	CHECK(gw_xdm_check("/nonexistent.zip", NULL, NULL, &e) < 0);
	free(junk);
	fx_dispose(&f);
}

/* The title of every section of the fixture's C-CDA, from its bytes. */
static bool
titles_shown(const char *ccda, const char *index)
{
	const char *p = ccda;
	int n = 0;

	/* ETT's sample writes each section title as <title>...</title>
	 * on one line with no markup inside; count those after a section. */
	while ((p = strstr(p, "<section>")) != NULL) {
		const char *t = strstr(p, "<title>"), *e;
		char want[256];

		p += 9;
		if (t == NULL || (e = strstr(t, "</title>")) == NULL ||
		    (size_t)(e - t - 7) >= sizeof(want))
			continue;
		memcpy(want, t + 7, (size_t)(e - t - 7));
		want[e - t - 7] = '\0';
		if (strstr(index, want) == NULL) {
			gw_test_fail(__FILE__, __LINE__, want);
			return false;
		}
		n++;
	}
	return n > 3;
}

/* INDEX.HTM: the list, then the C-CDA's rendering; the PDF only listed. */
GW_TEST(xdm_index_carries_ccda_rendering)
{
	struct fx f;
	struct gw_err e;
	struct gw_buf html, zip;
	char *zp = NULL, *p = NULL;
	size_t len = 0;
	zip_t *za;
	int zerr = 0;

	REQUIRE(fx_init(&f));
	gw_buf_init(&html, 16 << 20);
	f.in.html_out = &html;
	CHECK_INT(gw_xdm_build(&f.in, f.out, &zp, &e), 0);
	REQUIRE(zp != NULL);
	CHECK_INT(gw_xdm_check(zp, NULL, NULL, &e), 0);
	za = zip_open(zp, ZIP_RDONLY, &zerr);
	REQUIRE(za != NULL);
	p = zread(za, "INDEX.HTM", &len);
	REQUIRE(p != NULL);
	/* Still the manifest the XDM rules ask for. */
	CHECK(strstr(p, "href=\"README.TXT\"") != NULL);
	CHECK(strstr(p, "href=\"IHE_XDM/SUBSET01/DOC00001.XML\"") != NULL);
	CHECK(strstr(p, "href=\"IHE_XDM/SUBSET01/DOC00002.PDF\"") != NULL);
	/* And the rendering, reachable from the list, under its prefix. */
	CHECK(strstr(p, "href=\"#doc1-cda\"") != NULL);
	CHECK(strstr(p, "class=\"cda\" id=\"doc1-cda\">") != NULL);
	CHECK(strstr(p, "id=\"doc1-cda-s1\"") != NULL);
	CHECK(strstr(p, "id=\"doc2-") == NULL);
	CHECK(strstr(p, "content=\"default-src 'none'; style-src "
			"'unsafe-inline'\"") != NULL);
	CHECK(strstr(p, "type=\"text/css\">") != NULL);
	CHECK(strstr(p, "<script") == NULL);
	CHECK(titles_shown(f.ccda, p));
	{
		/* Well-formed XHTML (the DTD is named, never loaded). */
		xmlDocPtr d = xmlReadMemory(
		    p, (int)len, "INDEX.HTM", NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

		CHECK(d != NULL);
		xmlFreeDoc(d);
	}
	free(p);
	zip_discard(za);
	/* The page for a text/html part came along. */
	CHECK(html.len > 1000);
	CHECK(strncmp(html.data, "<!DOCTYPE html", 14) == 0);
	CHECK(strstr(html.data, "id=\"cda-s1\"") != NULL);
	gw_xdm_remove(zp);
	free(zp);

	/* A document that only looks like a C-CDA is listed, not rendered,
	 * and the package is built all the same. */
	{
		static const char bad[] =
		    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>x";
		char sha1[41];

		REQUIRE(write_file(f.ccda_path, bad, strlen(bad)));
		gw_digest_sha1_hex(bad, strlen(bad), sha1);
		f.docs[0].size = strlen(bad);
		f.docs[0].sha1 = sha1;
		gw_buf_reset(&html);
		gw_buf_init(&zip, 16 << 20);
		CHECK_INT(gw_xdm_build_mem(&f.in, &zip, &e), 0);
		CHECK_INT(html.len, 0);
		za = zip_open_from_source(
		    zip_source_buffer_create(zip.data, zip.len, 0, NULL), 0,
		    NULL);
		REQUIRE(za != NULL);
		p = zread(za, "INDEX.HTM", &len);
		REQUIRE(p != NULL);
		CHECK(strstr(p, "could not be rendered") != NULL);
		CHECK(strstr(p, "class=\"cda\"") == NULL);
		CHECK(strstr(p, "<style") == NULL);
		free(p);
		zip_discard(za);
		gw_buf_dispose(&zip);
	}
	gw_buf_dispose(&html);
	fx_dispose(&f);
}

/* no_render (xdm_render = no): the plain list; the page still comes. */
GW_TEST(xdm_index_without_rendering)
{
	struct fx f;
	struct gw_err e;
	struct gw_buf html, zip;
	char *p;
	size_t len = 0;
	zip_t *za;

	REQUIRE(fx_init(&f));
	gw_buf_init(&html, 16 << 20);
	gw_buf_init(&zip, 16 << 20);
	f.in.no_render = true;
	f.in.html_out = &html;
	CHECK_INT(gw_xdm_build_mem(&f.in, &zip, &e), 0);
	za = zip_open_from_source(
	    zip_source_buffer_create(zip.data, zip.len, 0, NULL), 0, NULL);
	REQUIRE(za != NULL);
	p = zread(za, "INDEX.HTM", &len);
	REQUIRE(p != NULL);
	CHECK(strstr(p, "href=\"IHE_XDM/SUBSET01/DOC00001.XML\"") != NULL);
	CHECK(strstr(p, "class=\"cda\"") == NULL);
	CHECK(strstr(p, "#doc1-cda") == NULL);
	free(p);
	zip_discard(za);
	CHECK(strncmp(html.data, "<!DOCTYPE html", 14) == 0);
	gw_buf_dispose(&zip);
	gw_buf_dispose(&html);
	fx_dispose(&f);
}
