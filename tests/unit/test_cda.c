/* Unit tests for cda: sniffing, header extraction, time conversion. */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cda.h"
#include "err.h"

#define DOCS    "ccda/hl7-c-cda-examples/Documents"
#define ROOT_V3 "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">"
/* A string literal as pointer and length. */
#define LIT(s) (s), (sizeof(s) - 1)

static char *
corpus_path(const char *rel)
{
	size_t n = strlen(gw_test_corpus()) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p == NULL || snprintf(p, n, "%s/%s", gw_test_corpus(), rel) < 0)
		abort();
	return p;
}

/* Parse a corpus file; NULL (and a failure) if it does not parse. */
static struct gw_cda_header *
parse_file(const char *path)
{
	struct gw_cda_header *h = NULL;
	struct gw_err e;
	size_t len;
	char *xml = gw_test_slurp(path, &len);
	int rc;

	if (xml == NULL) {
		gw_test_fail(__FILE__, __LINE__, path);
		return NULL;
	}
	gw_err_clear(&e);
	CHECK(gw_cda_sniff(xml, len));
	rc = gw_cda_header_parse(xml, len, &h, &e);
	free(xml);
	if (rc != 0) {
		char m[512];

		if (snprintf(m, sizeof(m), "%s: %s", path, e.msg) < 0)
			abort();
		gw_test_fail(__FILE__, __LINE__, m);
	}
	return h;
}

static struct gw_cda_header *
parse_corpus(const char *rel)
{
	char *p = corpus_path(rel);
	struct gw_cda_header *h = parse_file(p);

	free(p);
	return h;
}

static int
parse_str(const char *s, struct gw_cda_header **h)
{
	struct gw_err e;

	gw_err_clear(&e);
	return gw_cda_header_parse(s, strlen(s), h, &e);
}

static bool
all_digits(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

GW_TEST(cda_ccd1_exact)
{
	struct gw_cda_header *h = parse_corpus(DOCS "/CCD/CCD 1/CCD.XML");

	REQUIRE(h != NULL);
	CHECK_STR(h->unique_id, "2.16.840.1.113883.19.5.99999.1^TT988");
	CHECK_STR(h->patient_id, "444222222^^^&2.16.840.1.113883.4.1&ISO");
	/* 201308151030-0800 */
	CHECK_STR(h->creation_time, "201308151830");
	CHECK_STR(h->title, "Patient Chart Summary");
	CHECK_STR(h->type.code, "34133-9");
	CHECK_STR(h->type.scheme, "2.16.840.1.113883.6.1");
	CHECK_STR(h->type.display, "Summary of episode note");
	CHECK_STR(h->confidentiality.code, "N");
	CHECK_STR(h->confidentiality.scheme, "2.16.840.1.113883.5.25");
	CHECK_STR(h->language, "en-US");
	CHECK_STR(
	    h->author_person,
	    "5555555555^Primary^Patricia^^M.D.^^^^&2.16.840.1.113883.4.6&ISO");
	CHECK(h->author_institution == NULL);
	CHECK(h->author_telecom == NULL);
	CHECK_STR(h->service_start, "19750501");
	CHECK_STR(h->service_stop, "20130815");
	CHECK_STR(h->format_code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	CHECK_STR(h->format_scheme, GW_CDA_FORMAT_SCHEME);
	CHECK_STR(h->source_patient_info_name, "Betterhalf^Eve");
	CHECK_STR(h->source_patient_info_dob, "19750501");
	CHECK_STR(h->source_patient_info_gender, "F");
	REQUIRE(h->nsource_patient_info == 4);
	CHECK_STR(h->source_patient_info[0],
		  "PID-3|444222222^^^&2.16.840.1.113883.4.1&ISO");
	CHECK_STR(h->source_patient_info[1], "PID-5|Betterhalf^Eve");
	CHECK_STR(h->source_patient_info[2], "PID-7|19750501");
	CHECK_STR(h->source_patient_info[3], "PID-8|F");
	gw_cda_header_free(h);
}

GW_TEST(cda_progress_note_exact)
{
	struct gw_cda_header *h =
	    parse_corpus(DOCS "/Progress Note/Progress_Note.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->unique_id, "2.16.840.1.113883.19^999022");
	CHECK_STR(h->patient_id, "12345^^^&2.16.840.1.113883.19&ISO");
	/* 20050329171504-0500 */
	CHECK_STR(h->creation_time, "20050329221504");
	CHECK_STR(h->title, "Progress Note");
	CHECK_STR(h->type.code, "11506-3");
	CHECK_STR(h->type.display, "Progress note");
	CHECK_STR(h->confidentiality.code, "N");
	CHECK_STR(h->language, "en-US");
	CHECK_STR(h->author_person,
		  "KP00017^Seven^Henry^^^^^^&2.16.840.1.113883.19.5&ISO");
	CHECK_STR(h->service_start, "20100601");
	CHECK_STR(h->service_stop, "20100915");
	CHECK_STR(h->source_patient_info_name, "Everyman^Adam^^^Mr.");
	CHECK_STR(h->source_patient_info_gender, "M");
	CHECK_STR(h->source_patient_info_dob, "19541125");
	CHECK_STR(h->format_code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	gw_cda_header_free(h);
}

GW_TEST(cda_ccda21_ccd)
{
	struct gw_cda_header *h = parse_corpus("ccda/hl7-ccda-2.1/"
					       "C-CDA_R2-1_CCD.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->unique_id, "2.16.840.1.113883.19.5.99999.1^TT988");
	CHECK_STR(h->creation_time, "201308151830");
	CHECK_STR(h->type.display, "Summarization of Episode Note");
	CHECK_STR(h->format_code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	gw_cda_header_free(h);
}

/* Greenway: UTF-8 BOM, xml-stylesheet PI, R1.1 templates, org author. */
GW_TEST(cda_greenway_bom)
{
	struct gw_cda_header *h =
	    parse_corpus("ccda/smart-sample-ccdas/Greenway Samples/"
			 "26775_ExportSummary_CCDA.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->unique_id,
		  "2.16.840.1.113883.3.441^9cb69ba3c04e498eacd748bd0f4ecf5d");
	CHECK_STR(h->patient_id,
		  "26775^^^&2.16.840.1.113883.3.441.1.50.300011.51&ISO");
	/* 20130701103447-0400 */
	CHECK_STR(h->creation_time, "20130701143447");
	CHECK_STR(h->title, "MU2 Export Summary");
	CHECK_STR(h->format_code, "urn:hl7-org:sdwg:ccda-structuredBody:1.1");
	CHECK_STR(h->author_person, "987a79a21ad14d58833c2527f26e03b8^^^^^^^^"
				    "&2.16.840.1.113883.4.6&ISO");
	CHECK_STR(
	    h->author_institution,
	    "Get Well Clinic^^^^^&2.16.840.1.113883.3.441.1.50&ISO^^^^300011");
	CHECK_STR(h->source_patient_info_name, "Export5^Data^5");
	gw_cda_header_free(h);
}

/* Every complete HL7 example document yields the core identifiers. */
GW_TEST(cda_hl7_documents_all)
{
	static const char *const docs[] = {
	    "CCD/CCD 1/CCD.XML",
	    "CCD/CCD 2/CCD.xml",
	    "Consultation Note/Consultation_Note.xml",
	    "History and Physical/History_and_Physical.xml",
	    "Operative Note/Operative_Note.xml",
	    "Procedure Note/Procedure_Note.xml",
	    "Progress Note/Progress_Note.xml",
	    "Transfer Summary/Transfer_Summary.xml",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char rel[256];
		struct gw_cda_header *h;

		REQUIRE(snprintf(rel, sizeof(rel), DOCS "/%s", docs[i]) > 0);
		h = parse_corpus(rel);
		REQUIRE(h != NULL);
		CHECK(h->unique_id != NULL);
		CHECK(h->patient_id != NULL);
		CHECK(all_digits(h->creation_time));
		CHECK(h->type.code != NULL);
		CHECK(h->format_code != NULL);
		gw_cda_header_free(h);
	}
}

static void
walk(const char *dir, int *nfiles, int *nok, int *nid)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[1024];
		struct stat st;
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(p))
			continue;
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(p, nfiles, nok, nid);
		} else if (n > 4 &&
			   strcasecmp(de->d_name + n - 4, ".xml") == 0) {
			struct gw_cda_header *h = parse_file(p);

			(*nfiles)++;
			if (h != NULL) {
				(*nok)++;
				if (h->unique_id != NULL &&
				    all_digits(h->creation_time))
					(*nid)++;
				else if (getenv("GW_TEST_VERBOSE"))
					printf("  no id/time: %s\n", p);
			}
			gw_cda_header_free(h);
		}
	}
	closedir(d);
}

/* The messy real-world samples (BOMs, non-ASCII, odd prefixes) all parse. */
GW_TEST(cda_real_world_samples)
{
	static const char *const dirs[] = {
	    "ccda/smart-sample-ccdas",
	    "ccda/onc-2015-cert-samples",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = corpus_path(dirs[i]);
		int nfiles = 0, nok = 0, nid = 0;

		walk(p, &nfiles, &nok, &nid);
		free(p);
		CHECK(nfiles >= 10);
		CHECK_INT(nok, nfiles);
		CHECK_INT(nid, nfiles);
	}
}

GW_TEST(cda_not_cda)
{
	struct gw_cda_header *h = NULL;

	CHECK_INT(
	    parse_str("<?xml version=\"1.0\"?><root xmlns=\"urn:x\"/>", &h),
	    GW_ENOTFOUND);
	CHECK(h == NULL);
	/* Right name, wrong namespace. */
	CHECK_INT(parse_str("<ClinicalDocument xmlns=\"urn:hl7-org:v2\"/>", &h),
		  GW_ENOTFOUND);
	CHECK_INT(parse_str("<ClinicalDocument/>", &h), GW_ENOTFOUND);
	CHECK_INT(parse_str("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">", &h),
		  GW_EPARSE);
	CHECK_INT(parse_str("just some text", &h), GW_EPARSE);
	CHECK_INT(parse_str("", &h), GW_EPARSE);
	CHECK(h == NULL);
}

GW_TEST(cda_dtd_rejected)
{
	struct gw_cda_header *h = NULL;
	static const char bomb[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE ClinicalDocument [<!ENTITY a \"aaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&b;</title>"
	    "</ClinicalDocument>";
	static const char ext[] =
	    "<!-- c --><!DOCTYPE ClinicalDocument SYSTEM "
	    "\"http://example.org/x.dtd\"><ClinicalDocument "
	    "xmlns=\"urn:hl7-org:v3\"/>";

	CHECK_INT(parse_str(bomb, &h), GW_EPARSE);
	CHECK_INT(parse_str(ext, &h), GW_EPARSE);
	CHECK(h == NULL);
}

GW_TEST(cda_limits)
{
	struct gw_cda_header *h = NULL;
	struct gw_err e;
	char *deep;
	size_t n = 0, depth = 300;

	gw_err_clear(&e);
	/* The length is checked before a byte is read. */
	CHECK_INT(
	    gw_cda_header_parse("<x/>", (size_t)GW_CDA_MAX_LEN + 1, &h, &e),
	    GW_ELIMIT);
	deep = malloc(depth * 7 + 128);
	REQUIRE(deep != NULL);
	memcpy(deep, ROOT_V3, strlen(ROOT_V3));
	n += strlen(ROOT_V3);
	for (size_t i = 0; i < depth; i++) {
		memcpy(deep + n, "<a>", 3);
		n += 3;
	}
	for (size_t i = 0; i < depth; i++) {
		memcpy(deep + n, "</a>", 4);
		n += 4;
	}
	memcpy(deep + n, "</ClinicalDocument>", 20);
	CHECK_INT(parse_str(deep, &h), GW_ELIMIT);
	CHECK(h == NULL);
	free(deep);
}

GW_TEST(cda_minimal_and_escaping)
{
	struct gw_cda_header *h = NULL;
	static const char doc[] =
	    "<cda:ClinicalDocument xmlns:cda=\"urn:hl7-org:v3\" "
	    "xmlns:sdtc=\"urn:hl7-org:sdtc\">"
	    "<cda:id root=\"1.2.3\"/>"
	    "<sdtc:title>not this</sdtc:title>"
	    "<cda:title>\n  A   &amp; B\n</cda:title>"
	    "<cda:effectiveTime value=\"20240115-0500\"/>"
	    "<cda:recordTarget><cda:patientRole>"
	    "<cda:id root=\"9.9\"/>"
	    "<cda:id root=\"1.2.840\" extension=\"P^1&amp;2\"/>"
	    "</cda:patientRole></cda:recordTarget>"
	    "<cda:author><cda:assignedAuthor>"
	    "<cda:telecom value=\"tel:+1-555\"/>"
	    "<cda:telecom value=\"MAILTO:dr@direct.example.org\"/>"
	    "<cda:representedOrganization><cda:id root=\"1.2.3.4\"/>"
	    "<cda:name>Smith | Sons</cda:name></cda:representedOrganization>"
	    "</cda:assignedAuthor></cda:author>"
	    "</cda:ClinicalDocument>";

	CHECK(gw_cda_sniff(doc, strlen(doc)));
	REQUIRE(parse_str(doc, &h) == 0);
	CHECK_STR(h->unique_id, "1.2.3");
	CHECK_STR(h->title, "A & B");
	CHECK_STR(h->creation_time, "20240115");
	CHECK_STR(h->patient_id, "P\\S\\1\\T\\2^^^&1.2.840&ISO");
	CHECK_STR(h->author_institution, "Smith \\F\\ Sons^^^^^^^^^1.2.3.4");
	CHECK_STR(h->author_telecom, "^^Internet^dr@direct.example.org");
	CHECK(h->author_person == NULL);
	CHECK(h->format_code == NULL); /* plain CDA, no C-CDA template */
	CHECK(h->type.code == NULL);
	CHECK(h->language == NULL);
	gw_cda_header_free(h);
	gw_cda_header_free(NULL);
}

GW_TEST(cda_sniff)
{
	static const char v3[] = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">";

	CHECK(gw_cda_sniff(v3, strlen(v3)));
	CHECK(gw_cda_sniff(
	    LIT("\xEF\xBB\xBF<?xml version='1.0'?>\n"
		"<?xml-stylesheet href='x.xsl'?>"
		"<!-- a <ClinicalDocument> comment -->\r\n"
		"<ClinicalDocument\n xmlns:xsi='x' xmlns = 'urn:hl7-"
		"org:v3'>")));
	CHECK(gw_cda_sniff(
	    LIT("<v3:ClinicalDocument xmlns:v3=\"urn:hl7-org:v3\">")));
	/* Prefix bound to something else; default namespace is not enough. */
	CHECK(!gw_cda_sniff(LIT("<v3:ClinicalDocument xmlns=\"urn:hl7-org:v3\" "
				"xmlns:v3=\"urn:x\">")));
	CHECK(
	    !gw_cda_sniff(LIT("<ClinicalDocument xmlns=\"urn:hl7-org:v3x\">")));
	CHECK(
	    !gw_cda_sniff(LIT("<ClinicalDocumentX xmlns=\"urn:hl7-org:v3\">")));
	CHECK(!gw_cda_sniff(LIT("<ClinicalDocument>")));
	CHECK(!gw_cda_sniff(LIT("Hello, this is plain text.")));
	CHECK(!gw_cda_sniff(LIT("<!DOCTYPE x><ClinicalDocument "
				"xmlns=\"urn:hl7-org:v3\">")));
	CHECK(!gw_cda_sniff(LIT("<!-- unterminated")));
	CHECK(!gw_cda_sniff(v3, 20)); /* truncated start tag */
	CHECK(!gw_cda_sniff(LIT("")));
	CHECK(!gw_cda_sniff(NULL, 0));
}

static void
ts_case(const char *in, const char *want)
{
	char *got = gw_cda_ts_to_utc(in);

	if (want == NULL) {
		if (got != NULL) {
			char m[128];

			if (snprintf(m, sizeof(m), "%s -> %s, want NULL", in,
				     got) < 0)
				abort();
			gw_test_fail(__FILE__, __LINE__, m);
		}
	} else {
		CHECK_STR(got, want);
	}
	free(got);
}

GW_TEST(cda_time_offsets)
{
	ts_case("20240115093000-0500", "20240115143000");
	ts_case("20240115-0500", "20240115");
	ts_case("201401010030+0100", "201312312330");
	ts_case("20240115093000.1234+0000", "20240115093000");
	ts_case("20240115093000.5-0500", "20240115143000");
	ts_case("20240115093000", "20240115093000");
	ts_case("2024011509-0530", "2024011514"); /* 14:30 UTC, kept to hour */
	ts_case("20241231233059-0100", "20250101003059"); /* year rolls */
	ts_case("20240229120000+1400", "20240228220000"); /* leap day */
	ts_case("2024", "2024");
	ts_case("202401", "202401");
	ts_case("202401+0100", "202401");
	ts_case("20230229", NULL); /* not a leap year */
	ts_case("20241301", NULL);
	ts_case("2024011524", NULL);
	ts_case("202401150930-05", NULL);
	ts_case("20240115093", NULL); /* odd precision */
	ts_case("20240115.5", NULL);  /* fraction without seconds */
	ts_case("20240115093000Z", NULL);
	ts_case("", NULL);
	ts_case("abc", NULL);
}
