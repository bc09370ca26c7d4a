/*
 * Unit tests for xdmin (and gw_xdm_read under it): the XDM packages of the
 * corpus forwarded with their metadata intact, the Direct RI packages,
 * hostile ZIPs (bomb, traversal, links, twins, counts, size and hash
 * lies) each refused for its reason, and limited metadata for a C-CDA,
 * a PDF, a plain ZIP and a lone note.
 */
#include "harness.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <zip.h>

#include "buf.h"
#include "cda.h"
#include "digest.h"
#include "err.h"
#include "xdm.h"
#include "xdmin.h"
#include "xds.h"
#include "xdsbuild.h"
#include "xdsxml.h"

#define SOURCE_ID "1.3.6.1.4.1.21367.2017.99"
#define SENDER    "sender@direct.example.org"
#define RCPT      "rcpt@direct.other.org"
#define CCD       "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"
#define PDF                                                                    \
	"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 " \
	"R >>\n%%EOF\n"
#define NOTE "Please find the attached documents.\r\n"

static const char *const rcpts[] = {RCPT};

static char *
corpus(const char *rel, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", gw_test_corpus(), rel);
	return gw_test_slurp(path, len);
}

static int
convert(const struct gw_xdmin_part *parts, size_t n,
	const struct gw_xdm_limits *lim, struct gw_xdmin_result *r,
	struct gw_err *e)
{
	struct gw_xdmin_msg m = {
	    .parts = parts,
	    .nparts = n,
	    .sender = SENDER,
	    .recipients = rcpts,
	    .nrecipients = 1,
	    .subject = "Referral",
	};
	struct gw_xdmin_config cfg = {.source_id = SOURCE_ID, .zip = lim};

	gw_err_clear(e);
	return gw_xdmin_convert(&m, &cfg, r, e);
}

static void
fail_msg(int line, const char *what, const char *msg)
{
	char m[512];

	snprintf(m, sizeof(m), "%s: \"%s\"", what, msg);
	gw_test_fail(__FILE__, line, m);
}

/* The entry of za whose name equals name in any case, whole. */
static char *
zread_nocase(zip_t *za, const char *name, size_t *len)
{
	zip_int64_t i = zip_name_locate(za, name, ZIP_FL_NOCASE);
	zip_stat_t st;
	zip_file_t *zf;
	char *p;

	if (i < 0 || zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0)
		return NULL;
	zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
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

/* What a corpus package should become. */
struct want {
	const char *rel;
	int limited;     /* 1 limited, 0 full, -1 refused */
	const char *why; /* when refused: a part of the reason */
	const char *md;  /* METADATA.XML entry, NULL: IHE_XDM/SUBSET01/ */
};

/*
 * One XDM package of the corpus: converted into one submission whose
 * metadata is METADATA.XML byte for byte (read here with libzip, not
 * through xdm.c), whose DocumentEntries keep their ids, uniqueIds and
 * hashes, and whose documents are the bytes the hashes name; or refused
 * for the reason expected.
 */
static void
check_package(const struct want *w)
{
	struct gw_xdmin_part part = {"application/zip", "xdm.zip", NULL, 0};
	struct gw_xdmin_result r = {0};
	struct gw_xds_submission *before = NULL, *after = NULL;
	struct gw_xds_errors xe;
	struct gw_err e;
	char path[512];
	char *orig = NULL, *data;
	size_t olen = 0, len = 0;
	zip_t *za;
	int rc;

	gw_xds_errors_init(&xe);
	data = corpus(w->rel, &len);
	REQUIRE(data != NULL);
	part.data = data;
	part.len = len;
	rc = convert(&part, 1, NULL, &r, &e);
	if (w->limited < 0) {
		CHECK(rc == GW_EPARSE);
		if (strstr(e.msg, w->why) == NULL)
			fail_msg(__LINE__, w->rel, e.msg);
		CHECK_INT(r.nsubs, 0);
		free(data);
		return;
	}
	if (rc != 0)
		fail_msg(__LINE__, w->rel, e.msg);
	REQUIRE(rc == 0);
	CHECK_INT(r.nsubs, 1);
	REQUIRE(r.nsubs == 1);
	CHECK(r.subs[0].from_xdm);
	if (r.subs[0].limited != (w->limited == 1))
		fail_msg(__LINE__, w->rel, "limited flag");
	snprintf(path, sizeof(path), "%s/%s", gw_test_corpus(), w->rel);
	za = zip_open(path, ZIP_RDONLY, NULL);
	REQUIRE(za != NULL);
	orig = zread_nocase(za, w->md ? w->md : "IHE_XDM/SUBSET01/METADATA.XML",
			    &olen);
	zip_discard(za);
	REQUIRE(orig != NULL);
	CHECK(r.subs[0].metadata_len == olen &&
	      memcmp(r.subs[0].metadata, orig, olen) == 0);
	REQUIRE(gw_xdsxml_parse(orig, olen, NULL, &before, &xe) == 0);
	REQUIRE(gw_xdsxml_parse(r.subs[0].metadata, r.subs[0].metadata_len,
				NULL, &after, &xe) == 0);
	CHECK_INT(r.subs[0].ndocs, before->nentries);
	CHECK_INT(after->nentries, before->nentries);
	for (size_t i = 0; i < before->nentries && i < r.subs[0].ndocs; i++) {
		const struct gw_xdmin_doc *d = &r.subs[0].docs[i];
		char sha[41];

		CHECK_STR(after->entries[i].unique_id,
			  before->entries[i].unique_id);
		CHECK_STR(after->entries[i].hash, before->entries[i].hash);
		CHECK_STR(d->id, before->entries[i].id);
		CHECK_STR(d->mime_type, before->entries[i].mime_type);
		gw_digest_sha1_hex(d->data, d->len, sha);
		CHECK(before->entries[i].hash != NULL &&
		      strcasecmp(sha, before->entries[i].hash) == 0);
	}
	gw_xds_submission_free(before);
	gw_xds_submission_free(after);
	gw_xds_errors_dispose(&xe);
	gw_xdmin_result_dispose(&r);
	free(orig);
	free(data);
}

/* The C32 and CCR samples (2010) double-escape the patientId. */
#define BAD_CX "patientId \"Z2004^^^&amp;1.2.840"

/*
 * EXPECTED.md 5: the conformant ETT packages. Even the "full" ones lack
 * what XDR DS requires (classCode, confidentialityCode, ...: R2 in XDM),
 * so they travel as limited metadata.
 */
GW_TEST(xdmin_ett_packages)
{
	static const struct want ett[] = {
	    {"direct/xdm/ett/C32_SAMPLE1_IN_XDM.ZIP", -1, BAD_CX, NULL},
	    {"direct/xdm/ett/CCDA_AMB.ZIP", 1, NULL, NULL},
	    {"direct/xdm/ett/CCDA_INPATIENT_IN_XDM.ZIP", 1, NULL, NULL},
	    {"direct/xdm/ett/CCR_SAMPLE1_IN_XDM.ZIP", -1, BAD_CX, NULL},
	    {"direct/xdm/ett/TOC_XDM_FULL_METADATA.ZIP", 1, NULL, NULL},
	    {"direct/xdm/ett/TOC_XDM_LIMITED_METADATA.ZIP", 1, NULL, NULL},
	    {"direct/xdm/ett/ToC_Ambulatory.zip", 1, NULL, NULL},
	    {"direct/xdm/ett/XDM_FULL.ZIP", 1, NULL, NULL},
	    {"direct/xdm/ett/XDM_LIM.ZIP", 1, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(ett) / sizeof(ett[0]); i++)
		check_package(&ett[i]);
}

/* NIST toolkit copies, vendor exports (__MACOSX, CSS) and .svn debris. */
GW_TEST(xdmin_nist_packages)
{
#define NIST "direct/xdm/nist-toolkit/"
	static const struct want nist[] = {
	    {NIST "direct-messages/C32_Sample1_in_XDM.zip", -1, BAD_CX, NULL},
	    {NIST "direct-messages/C32_Sample2_in_XDM.zip", -1, BAD_CX, NULL},
	    {NIST "direct-messages/CCDA_Ambulatory_in_XDM.zip", 1, NULL, NULL},
	    {NIST "direct-messages/CCDA_Inpatient_in_XDM.zip", 1, NULL, NULL},
	    {NIST "direct-messages/CCR_Sample1_in_XDM.zip", -1, BAD_CX, NULL},
	    {NIST "direct-messages/CCR_Sample2_in_XDM.zip", -1, BAD_CX, NULL},
	    {NIST "vendor-samples/Allscripts.zip", -1,
	     "repositoryUniqueId \"\" is not an OID", NULL},
	    {NIST "vendor-samples/MIE.zip", 0, NULL, NULL},
	    /* URI as an attribute, no size or hash: nothing to check. */
	    {NIST "vendor-samples/Medicity.zip", -1,
	     "one single-valued URI slot", NULL},
	    /* ebRIM 2.1 (XDS.a) metadata. */
	    {NIST "unit-test-data/lynn-xdm/xdm.zip", -1,
	     "root element is not lcm:SubmitObjectsRequest", NULL},
	    {NIST "unit-test-data/xdm/xdm.zip", 0, NULL,
	     "IHE_XDM/SUBSET/METADATA.xml"},
	    {NIST "unit-test-data/xdm_minimal/xdm_minimal.zip", 1, NULL,
	     "IHE_XDM/SUBSET/METADATA.xml"},
	};
#undef NIST

	for (size_t i = 0; i < sizeof(nist) / sizeof(nist[0]); i++)
		check_package(&nist[i]);
}

/* ---- crafted packages --------------------------------------------------- */

struct ent {
	const char *name;
	const char *data;
	size_t len;
	bool symlink;
};

/* A ZIP of the entries, built with libzip in the test's directory. */
static char *
make_zip(const struct ent *v, size_t n, size_t *len)
{
	static unsigned seq;
	char path[400];
	zip_t *za;

	snprintf(path, sizeof(path), "%s/z%u.zip", gw_test_tmpdir(), ++seq);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	if (za == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		zip_source_t *src =
		    zip_source_buffer(za, v[i].data, v[i].len, 0);
		zip_int64_t idx =
		    src != NULL ? zip_file_add(za, v[i].name, src, 0) : -1;

		if (idx < 0 ||
		    (v[i].symlink &&
		     zip_file_set_external_attributes(
			 za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
			 (zip_uint32_t)(S_IFLNK | 0777) << 16) != 0)) {
			zip_discard(za);
			return NULL;
		}
	}
	if (zip_close(za) != 0)
		return NULL;
	return gw_test_slurp(path, len);
}

/* METADATA.XML for one document with these URI, size and hash slots. */
static char *
metadata_for(const char *uri, uint64_t size, const char *sha1, size_t *len)
{
	struct gw_xdsbuild_doc d = {.id = "Document01",
				    .mime_type = "text/plain",
				    .unique_id = "1.2.3.4.5.6"};
	struct gw_xdsbuild b = {
	    .limited = true,
	    .source_id = SOURCE_ID,
	    .author_telecom = "^^Internet^" SENDER,
	    .intended_recipients = rcpts,
	    .nintended = 1,
	    .docs = &d,
	    .ndocs = 1,
	};
	struct gw_xdsxml_docslots s = {"Document01", uri, size, sha1};
	struct gw_buf md;
	struct gw_err e;
	char *out = NULL;

	gw_buf_init(&md, 1 << 20);
	if (gw_xdsbuild_submission(&b, &md, &e) != 0 ||
	    gw_xdsxml_set_doc_slots(md.data, md.len, NULL, &s, 1, &out, len,
				    &e) != 0)
		out = NULL;
	gw_buf_dispose(&md);
	return out;
}

#define DOC     "Hello, XDM.\n"
#define DOC_SHA "" /* computed */

/* A good package, then one extra entry (or none), converted. */
static int
convert_crafted(const struct ent *extra, const char *md, size_t mdlen,
		const struct gw_xdm_limits *lim, struct gw_xdmin_result *r,
		struct gw_err *e)
{
	struct ent v[4] = {
	    {"INDEX.HTM", "<html/>", 7, false},
	    {"IHE_XDM/SUBSET01/METADATA.XML", md, mdlen, false},
	    {"IHE_XDM/SUBSET01/DOC00001.TXT", DOC, strlen(DOC), false},
	};
	struct gw_xdmin_part part = {"application/octet-stream", NULL, NULL, 0};
	size_t n = 3, len = 0;
	char *zip;
	int rc;

	if (extra != NULL)
		v[n++] = *extra;
	zip = make_zip(v, n, &len);
	if (zip == NULL)
		return 999;
	part.data = zip;
	part.len = len;
	rc = convert(&part, 1, lim, r, e);
	free(zip);
	return rc;
}

/* Labelled octet-stream, no name: still XDM, by content. */
GW_TEST(xdmin_crafted_good)
{
	struct gw_xdmin_result r = {0};
	struct gw_err e;
	char sha[41];
	size_t mdlen = 0;
	char *md;

	gw_digest_sha1_hex(DOC, strlen(DOC), sha);
	md = metadata_for("DOC00001.TXT", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(NULL, md, mdlen, NULL, &r, &e), 0);
	REQUIRE(r.nsubs == 1);
	CHECK(r.subs[0].from_xdm);
	CHECK(r.subs[0].limited);
	REQUIRE(r.subs[0].ndocs == 1);
	CHECK_STR(r.subs[0].docs[0].id, "Document01");
	CHECK_STR(r.subs[0].docs[0].mime_type, "text/plain");
	CHECK(r.subs[0].docs[0].len == strlen(DOC) &&
	      memcmp(r.subs[0].docs[0].data, DOC, strlen(DOC)) == 0);
	gw_xdmin_result_dispose(&r);
	free(md);
}

/* Each hostile or lying package is refused for its own reason. */
GW_TEST(xdmin_crafted_refused)
{
	static const struct {
		struct ent extra;
		int rc;
		const char *why;
	} cases[] = {
	    {{"../x", "x", 1, false}, GW_EPARSE, "path traversal"},
	    {{"IHE_XDM/../../x", "x", 1, false}, GW_EPARSE, ". or .."},
	    {{"/etc/x", "x", 1, false}, GW_EPARSE, "is absolute"},
	    {{"IHE_XDM\\..\\x", "x", 1, false}, GW_EPARSE, "backslash"},
	    {{"IHE_XDM/SUBSET01/LINK", "/etc/passwd", 11, true},
	     GW_EPARSE,
	     "is a symbolic link"},
	    {{"ihe_xdm/subset01/doc00001.txt", "x", 1, false},
	     GW_EPARSE,
	     "occurs twice"},
	};
	char sha[41];
	size_t mdlen = 0;
	char *md;

	gw_digest_sha1_hex(DOC, strlen(DOC), sha);
	md = metadata_for("DOC00001.TXT", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_xdmin_result r = {0};
		struct gw_err e;

		CHECK_INT(
		    convert_crafted(&cases[i].extra, md, mdlen, NULL, &r, &e),
		    cases[i].rc);
		if (strstr(e.msg, cases[i].why) == NULL)
			fail_msg(__LINE__, cases[i].extra.name, e.msg);
		CHECK_INT(r.nsubs, 0);
	}
	free(md);
}

/* Size, hash and URI lies in METADATA.XML; entry count. */
GW_TEST(xdmin_crafted_lies_and_count)
{
	struct gw_xdm_limits lim = {.max_entries = 3};
	struct gw_xdmin_result r = {0};
	struct ent extra = {"README.TXT", "x", 1, false};
	struct gw_err e;
	char sha[41];
	size_t mdlen = 0;
	char *md;

	gw_digest_sha1_hex(DOC, strlen(DOC), sha);
	md = metadata_for("DOC00001.TXT", strlen(DOC) + 1, sha, &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(NULL, md, mdlen, NULL, &r, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "METADATA.XML says 13 and") != NULL);
	free(md);

	md = metadata_for("DOC00001.TXT", strlen(DOC),
			  "0123456789012345678901234567890123456789", &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(NULL, md, mdlen, NULL, &r, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "says 12 and 0123456789") != NULL);
	free(md);

	md = metadata_for("DOC00002.TXT", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(NULL, md, mdlen, NULL, &r, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "names no file") != NULL);
	free(md);

	/* The URI may not climb out of the package either. */
	md = metadata_for("../../../etc/passwd", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(NULL, md, mdlen, NULL, &r, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "names no file") != NULL);
	free(md);

	md = metadata_for("DOC00001.TXT", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	CHECK_INT(convert_crafted(&extra, md, mdlen, &lim, &r, &e), GW_ELIMIT);
	CHECK(strstr(e.msg, "more than 3 entries") != NULL);
	lim.max_entries = 4;
	CHECK_INT(convert_crafted(&extra, md, mdlen, &lim, &r, &e), 0);
	gw_xdmin_result_dispose(&r);
	free(md);
}

/* 50 MB of zeros deflate to ~50 kB: refused while inflating. */
GW_TEST(xdmin_zip_bomb)
{
	const size_t big = 50u << 20;
	char *zeros = calloc(1, big);
	struct gw_xdmin_result r = {0};
	struct gw_xdm_limits lim = {.max_entry = 64u << 20};
	struct ent bomb;
	struct gw_err e;
	char sha[41];
	size_t mdlen = 0;
	char *md;

	REQUIRE(zeros != NULL);
	gw_digest_sha1_hex(zeros, big, sha);
	md = metadata_for("BOMB.BIN", big, sha, &mdlen);
	REQUIRE(md != NULL);
	bomb = (struct ent){"IHE_XDM/SUBSET01/BOMB.BIN", zeros, big, false};
	/* Per-entry cap raised: the ratio stops it, past the first MiB. */
	CHECK_INT(convert_crafted(&bomb, md, mdlen, &lim, &r, &e), GW_ELIMIT);
	CHECK(strstr(e.msg, "compression ratio above 100:1 (zip bomb)") !=
	      NULL);
	/* Defaults: the announced size is already past the 40 MiB cap. */
	CHECK_INT(convert_crafted(&bomb, md, mdlen, NULL, &r, &e), GW_ELIMIT);
	CHECK(strstr(e.msg, "announces more than 41943040 bytes") != NULL);
	/* Ratio allowed, lower cap: refused from the header, unread. */
	lim = (struct gw_xdm_limits){.max_ratio = 5000, .max_entry = 20u << 20};
	CHECK_INT(convert_crafted(&bomb, md, mdlen, &lim, &r, &e), GW_ELIMIT);
	CHECK(strstr(e.msg, "announces more than") != NULL);
	CHECK_INT(r.nsubs, 0);
	free(md);
	free(zeros);
}

/* ---- RI packages, lower case, several subsets ------------------------ */

/* SPEC 5.5: the Java RI's packages. */
GW_TEST(xdmin_ri_packages)
{
	struct gw_xdmin_part part = {"application/zip", "xdm.zip", NULL, 0};
	struct gw_xdmin_result r = {0};
	struct gw_err e;
	size_t len = 0;
	char *zip = corpus("direct/xdm/direct-ri/xdm.zip", &len);

	/* "IHE_XDM/SUBSET01METADATA.xml": no subset folder; refused. */
	REQUIRE(zip != NULL);
	part.data = zip;
	part.len = len;
	CHECK_INT(convert(&part, 1, NULL, &r, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "IHE_XDM/SUBSET01METADATA.xml is not IHE_XDM/"
			    "<subset>/METADATA.XML") != NULL);
	CHECK_INT(r.nsubs, 0);
	free(zip);

	/* samplexdm/IHE_XDM/...: no IHE_XDM/ at the root, so not XDM: it
	 * travels as an application/zip document. */
	zip = corpus("direct/xdm/direct-ri/samplexdm.zip", &len);
	REQUIRE(zip != NULL);
	part.data = zip;
	part.len = len;
	CHECK_INT(convert(&part, 1, NULL, &r, &e), 0);
	REQUIRE(r.nsubs == 1);
	CHECK(!r.subs[0].from_xdm);
	CHECK(r.subs[0].limited);
	REQUIRE(r.subs[0].ndocs == 1);
	CHECK_STR(r.subs[0].docs[0].mime_type, "application/zip");
	CHECK(r.subs[0].docs[0].len == len);
	gw_xdmin_result_dispose(&r);
	free(zip);
}

/* An ETT package with every name in lower case: accepted (SPEC 5.4). */
GW_TEST(xdmin_lower_case_names)
{
	char src[512], dst[400];
	struct gw_xdmin_part part = {"application/zip", NULL, NULL, 0};
	struct gw_xdmin_result r = {0};
	struct gw_err e;
	size_t len = 0;
	char *zip;
	zip_t *za;

	snprintf(src, sizeof(src), "%s/direct/xdm/ett/XDM_LIM.ZIP",
		 gw_test_corpus());
	snprintf(dst, sizeof(dst), "%s/lower.zip", gw_test_tmpdir());
	zip = gw_test_slurp(src, &len);
	REQUIRE(zip != NULL);
	{
		FILE *f = fopen(dst, "wb");

		REQUIRE(f != NULL);
		CHECK(fwrite(zip, 1, len, f) == len);
		fclose(f);
	}
	free(zip);
	za = zip_open(dst, 0, NULL);
	REQUIRE(za != NULL);
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++) {
		char low[256];
		const char *n = zip_get_name(za, (zip_uint64_t)i, 0);
		size_t k = 0;

		for (; n[k] != '\0' && k < sizeof(low) - 1; k++)
			low[k] = (char)tolower((unsigned char)n[k]);
		low[k] = '\0';
		CHECK(zip_file_rename(za, (zip_uint64_t)i, low, 0) == 0);
	}
	REQUIRE(zip_close(za) == 0);
	zip = gw_test_slurp(dst, &len);
	REQUIRE(zip != NULL);
	part.data = zip;
	part.len = len;
	CHECK_INT(convert(&part, 1, NULL, &r, &e), 0);
	CHECK_INT(r.nsubs, 1);
	CHECK(r.nsubs == 1 && r.subs[0].from_xdm && r.subs[0].ndocs == 1);
	gw_xdmin_result_dispose(&r);
	free(zip);
}

/* Two subsets: two submissions, in ZIP order. */
GW_TEST(xdmin_two_subsets)
{
	struct gw_xdmin_part part = {"application/zip", NULL, NULL, 0};
	struct gw_xdmin_result r = {0};
	struct gw_err e;
	char sha[41], *md, *zip;
	size_t mdlen = 0, len = 0;

	gw_digest_sha1_hex(DOC, strlen(DOC), sha);
	md = metadata_for("DOC00001.TXT", strlen(DOC), sha, &mdlen);
	REQUIRE(md != NULL);
	{
		const struct ent v[] = {
		    {"IHE_XDM/SUBSET01/METADATA.XML", md, mdlen, false},
		    {"IHE_XDM/SUBSET01/DOC00001.TXT", DOC, strlen(DOC), false},
		    {"IHE_XDM/SUBSET02/METADATA.XML", md, mdlen, false},
		    {"IHE_XDM/SUBSET02/DOC00001.TXT", DOC, strlen(DOC), false},
		};

		zip = make_zip(v, 4, &len);
	}
	REQUIRE(zip != NULL);
	part.data = zip;
	part.len = len;
	CHECK_INT(convert(&part, 1, NULL, &r, &e), 0);
	CHECK_INT(r.nsubs, 2);
	for (size_t i = 0; i < r.nsubs; i++)
		CHECK(r.subs[i].from_xdm && r.subs[i].ndocs == 1);
	gw_xdmin_result_dispose(&r);
	free(zip);
	free(md);
}

/* ---- limited metadata ------------------------------------------------ */

/* Parse a produced submission and check the SPEC 3.4 basics. */
static struct gw_xds_submission *
parse_limited(const struct gw_xdmin_sub *s)
{
	struct gw_xds_submission *x = NULL;
	struct gw_xds_errors xe;
	const char *md = s->metadata;

	gw_xds_errors_init(&xe);
	if (gw_xdsxml_parse(md, s->metadata_len, NULL, &x, &xe) != 0) {
		gw_xds_errors_dispose(&xe);
		return NULL;
	}
	gw_xds_errors_dispose(&xe);
	CHECK(s->limited && !s->from_xdm);
	CHECK(strstr(md, GW_XDS_SS_LIMITED) != NULL);
	CHECK(strstr(md, GW_XDS_DE_LIMITED) != NULL);
	CHECK(strstr(md, "||^^Internet^" RCPT) != NULL);
	CHECK(strstr(md, "^^Internet^" SENDER) != NULL);
	CHECK(strstr(md, "authorTelecommunication") != NULL);
	CHECK_STR(x->ss_source_id, SOURCE_ID);
	CHECK(x->ss_unique_id != NULL &&
	      strncmp(x->ss_unique_id, "2.25.", 5) == 0);
	CHECK(strstr(md, "Referral") != NULL); /* the Subject */
	return x;
}

/* A C-CDA without XDM: its header facts, and the note is dropped. */
GW_TEST(xdmin_ccda_limited)
{
	struct gw_xdmin_part parts[2] = {
	    {"text/plain; charset=us-ascii", NULL, NOTE, strlen(NOTE)},
	    {"text/xml", "ccd.xml", NULL, 0},
	};
	struct gw_xdmin_result r = {0};
	struct gw_cda_header *h = NULL;
	struct gw_xds_submission *x;
	struct gw_err e;
	char sha[41];
	size_t len = 0;
	char *ccd = corpus(CCD, &len);

	REQUIRE(ccd != NULL);
	parts[1].data = ccd;
	parts[1].len = len;
	REQUIRE(gw_cda_header_parse(ccd, len, &h, &e) == 0);
	CHECK_INT(convert(parts, 2, NULL, &r, &e), 0);
	REQUIRE(r.nsubs == 1);
	REQUIRE(r.subs[0].ndocs == 1);
	CHECK_STR(r.subs[0].docs[0].id, "Document01");
	CHECK_STR(r.subs[0].docs[0].mime_type, "text/xml");
	CHECK(r.subs[0].docs[0].len == len &&
	      memcmp(r.subs[0].docs[0].data, ccd, len) == 0);
	x = parse_limited(&r.subs[0]);
	REQUIRE(x != NULL);
	REQUIRE(x->nentries == 1);
	CHECK_STR(x->entries[0].unique_id, h->unique_id);
	CHECK_STR(x->entries[0].patient_id, h->patient_id);
	CHECK_STR(x->ss_patient_id, h->patient_id);
	CHECK_STR(x->entries[0].title, h->title);
	CHECK_STR(x->entries[0].creation_time, h->creation_time);
	CHECK_STR(x->entries[0].mime_type, "text/xml");
	gw_digest_sha1_hex(ccd, len, sha);
	CHECK_STR(x->entries[0].hash, sha);
	/* typeCode and formatCode from the header. */
	CHECK(strstr(r.subs[0].metadata, h->type.code) != NULL);
	CHECK(h->format.code != NULL &&
	      strstr(r.subs[0].metadata, h->format.code) != NULL);
	gw_xds_submission_free(x);
	gw_cda_header_free(h);
	gw_xdmin_result_dispose(&r);
	free(ccd);
}

/*
 * The limited metadata of the inbound leg carries every value the
 * stylesheet gives, the configured defaults included.
 */
GW_TEST(xdmin_ccda_stylesheet_values)
{
	struct gw_xdmin_part part = {"text/xml", "ccd.xml", NULL, 0};
	const struct gw_cda_defaults def = {
	    .facility_type = "",
	    .practice_setting = "408467006^2.16.840.1.113883.6.96^Adult "
				"mental illness",
	};
	struct gw_xdmin_msg m = {
	    .parts = &part,
	    .nparts = 1,
	    .sender = SENDER,
	    .recipients = rcpts,
	    .nrecipients = 1,
	    .subject = "Referral",
	};
	struct gw_xdmin_config cfg = {.source_id = SOURCE_ID, .cda = &def};
	struct gw_xdmin_result r = {0};
	struct gw_xds_submission *x;
	struct gw_err e;
	size_t len = 0;
	char *ccd = corpus(CCD, &len);
	const char *md;

	REQUIRE(ccd != NULL);
	part.data = ccd;
	part.len = len;
	gw_err_clear(&e);
	REQUIRE(gw_xdmin_convert(&m, &cfg, &r, &e) == 0);
	REQUIRE(r.nsubs == 1);
	md = r.subs[0].metadata;
	x = parse_limited(&r.subs[0]);
	REQUIRE(x != NULL);
	CHECK_STR(x->entries[0].source_patient_id,
		  "444222222^^^&2.16.840.1.113883.4.1&ISO");
	/* practiceSettingCode from the configured default, no facility
	 * (configured empty), classCode the LOINC class, specialty. */
	CHECK(strstr(md, "nodeRepresentation=\"408467006\"") != NULL);
	CHECK(strstr(md, "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1") ==
	      NULL);
	CHECK(strstr(md, "Summarization of Episode Note") != NULL);
	CHECK(strstr(md, "<rim:Slot name=\"authorSpecialty\">") != NULL);
	CHECK(strstr(md, "PID-11|2222 Home Street") != NULL);
	gw_xds_submission_free(x);
	gw_xdmin_result_dispose(&r);
	free(ccd);
}

/* A PDF, labelled application/zip to show the label is not trusted. */
GW_TEST(xdmin_pdf_limited)
{
	struct gw_xdmin_part parts[2] = {
	    {"Application/PDF; name=\"r.pdf\"", "r.pdf", PDF, strlen(PDF)},
	    {"application/zip", "xdm.zip", PDF, strlen(PDF)},
	};
	struct gw_xdmin_result r = {0};
	struct gw_xds_submission *x;
	struct gw_err e;

	CHECK_INT(convert(parts, 2, NULL, &r, &e), 0);
	REQUIRE(r.nsubs == 1);
	REQUIRE(r.subs[0].ndocs == 2);
	CHECK_STR(r.subs[0].docs[0].mime_type, "application/pdf");
	CHECK_STR(r.subs[0].docs[1].mime_type, "application/zip");
	CHECK_STR(r.subs[0].docs[1].id, "Document02");
	x = parse_limited(&r.subs[0]);
	REQUIRE(x != NULL);
	REQUIRE(x->nentries == 2);
	CHECK(x->entries[0].unique_id != NULL &&
	      strncmp(x->entries[0].unique_id, "2.25.", 5) == 0);
	/* Same bytes twice, still two distinct uniqueIds. */
	CHECK(strcmp(x->entries[0].unique_id, x->entries[1].unique_id) != 0);
	CHECK(strcmp(x->entries[0].unique_id, x->ss_unique_id) != 0);
	CHECK_STR(x->entries[0].title, "r.pdf");
	CHECK(x->ss_patient_id == NULL);
	gw_xds_submission_free(x);
	gw_xdmin_result_dispose(&r);
}

/* A ZIP without IHE_XDM/ is a document; an XDM next to it is not. */
GW_TEST(xdmin_plain_zip_and_xdm)
{
	static const struct ent plain[] = {
	    {"report/DOC.TXT", DOC, sizeof(DOC) - 1, false},
	};
	struct gw_xdmin_part parts[3] = {
	    {"text/plain", NULL, NOTE, strlen(NOTE)},
	    {"application/x-zip-compressed", "p.zip", NULL, 0},
	    {"application/octet-stream", "x.bin", NULL, 0},
	};
	struct gw_xdmin_result r = {0};
	struct gw_err e;
	size_t plen = 0, xlen = 0;
	char *pz = make_zip(plain, 1, &plen);
	char *xz = corpus("direct/xdm/ett/XDM_LIM.ZIP", &xlen);

	REQUIRE(pz != NULL && xz != NULL);
	parts[1].data = pz;
	parts[1].len = plen;
	parts[2].data = xz;
	parts[2].len = xlen;
	CHECK_INT(convert(parts, 3, NULL, &r, &e), 0);
	/* The XDM subset first, then the rest as limited metadata. */
	REQUIRE(r.nsubs == 2);
	CHECK(r.subs[0].from_xdm);
	CHECK(!r.subs[1].from_xdm && r.subs[1].limited);
	REQUIRE(r.subs[1].ndocs == 1);
	CHECK_STR(r.subs[1].docs[0].mime_type, "application/x-zip-compressed");
	CHECK(r.subs[1].docs[0].len == plen);
	gw_xdmin_result_dispose(&r);
	free(pz);
	free(xz);
}

/* Only a note: the note is the document. No parts, bad config: errors. */
GW_TEST(xdmin_note_only_and_bad_input)
{
	struct gw_xdmin_part note = {"text/plain", NULL, NOTE, strlen(NOTE)};
	struct gw_xdmin_result r = {0};
	struct gw_xdmin_msg m = {.parts = &note,
				 .nparts = 1,
				 .sender = SENDER,
				 .recipients = rcpts,
				 .nrecipients = 1};
	struct gw_xdmin_config cfg = {.source_id = "not an oid"};
	struct gw_xds_submission *x;
	struct gw_err e;

	CHECK_INT(convert(&note, 1, NULL, &r, &e), 0);
	REQUIRE(r.nsubs == 1 && r.subs[0].ndocs == 1);
	CHECK_STR(r.subs[0].docs[0].mime_type, "text/plain");
	x = parse_limited(&r.subs[0]);
	gw_xds_submission_free(x);
	gw_xdmin_result_dispose(&r);

	CHECK_INT(convert(&note, 0, NULL, &r, &e), GW_ERROR);
	CHECK_INT(gw_xdmin_convert(&m, &cfg, &r, &e), GW_ERROR);
	CHECK(strstr(e.msg, "source_id") != NULL);
	cfg.source_id = SOURCE_ID;
	m.sender = "not^an address";
	CHECK_INT(gw_xdmin_convert(&m, &cfg, &r, &e), GW_ERROR);
	CHECK_INT(r.nsubs, 0);
}
