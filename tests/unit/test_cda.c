/* Unit tests for cda: sniffing, header extraction, time conversion. */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "cda.h"
#include "digest.h"
#include "err.h"
#include "id.h"
#include "xds.h"
#include "xdsbuild.h"
#include "xdsxml.h"

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

/* The value of sourcePatientInfo field pid ("PID-5"), or NULL. */
static const char *
spi(const struct gw_cda_header *h, const char *pid)
{
	size_t n = strlen(pid);

	for (size_t i = 0; i < h->nsource_patient_info; i++)
		if (strncmp(h->source_patient_info[i], pid, n) == 0 &&
		    h->source_patient_info[i][n] == '|')
			return h->source_patient_info[i] + n + 1;
	return NULL;
}

/* The --explain source and value of the first fact called name. */
static const char *
fact_source(const struct gw_cda_header *h, const char *name)
{
	for (size_t i = 0; i < h->nfacts; i++)
		if (strcmp(h->facts[i].name, name) == 0)
			return h->facts[i].source;
	return NULL;
}

static const char *
fact_value(const struct gw_cda_header *h, const char *name)
{
	for (size_t i = 0; i < h->nfacts; i++)
		if (strcmp(h->facts[i].name, name) == 0)
			return h->facts[i].value;
	return NULL;
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
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	CHECK_STR(h->format.scheme, GW_CDA_FORMAT_SCHEME);
	CHECK_STR(spi(h, "PID-5"), "Betterhalf^Eve");
	CHECK_STR(spi(h, "PID-7"), "19750501");
	CHECK_STR(spi(h, "PID-8"), "F");
	/* PID-11 is new with the stylesheet (the patient's address). */
	REQUIRE(h->nsource_patient_info == 5);
	CHECK_STR(h->source_patient_info[0],
		  "PID-3|444222222^^^&2.16.840.1.113883.4.1&ISO");
	CHECK_STR(h->source_patient_info[1], "PID-5|Betterhalf^Eve");
	CHECK_STR(h->source_patient_info[2], "PID-7|19750501");
	CHECK_STR(h->source_patient_info[3], "PID-8|F");
	CHECK_STR(h->source_patient_info[4],
		  "PID-11|2222 Home Street^^Beaverton^OR^97867^US");
	CHECK_STR(h->source_patient_id, h->patient_id);
	/* CCD template -> LOINC class; NUCC taxonomy -> authorSpecialty. */
	CHECK_STR(h->class_code.code, "34133-9");
	CHECK_STR(h->class_code.display, "Summarization of Episode Note");
	CHECK_STR(h->author_specialty,
		  "207QA0505X^Allopathic \\T\\ Osteopathic Physicians; "
		  "Family Medicine, Adult Medicine^2.16.840.1.113883.6.101");
	/* No healthCareFacility code in the header: the built-in defaults. */
	CHECK_STR(h->facility_type.code, "35971002");
	CHECK_STR(h->practice_setting.code, "394802001");
	CHECK_STR(fact_source(h, "patientId"),
		  "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[1]");
	CHECK_STR(fact_source(h, "creationTime"),
		  "/ClinicalDocument/effectiveTime[1]/@value");
	CHECK_STR(fact_source(h, "typeCode"), "/ClinicalDocument/code[1]");
	CHECK_STR(fact_source(h, "healthcareFacilityTypeCode"), "default");
	CHECK_STR(fact_value(h, "typeCode"),
		  "34133-9^2.16.840.1.113883.6.1^Summary of episode note");
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
	CHECK_STR(spi(h, "PID-5"), "Everyman^Adam^^^Mr.");
	CHECK_STR(spi(h, "PID-8"), "M");
	CHECK_STR(spi(h, "PID-7"), "19541125");
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
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
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
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
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:1.1");
	CHECK_STR(h->author_person, "987a79a21ad14d58833c2527f26e03b8^^^^^^^^"
				    "&2.16.840.1.113883.4.6&ISO");
	CHECK_STR(
	    h->author_institution,
	    "Get Well Clinic^^^^^&2.16.840.1.113883.3.441.1.50&ISO^^^^300011");
	CHECK_STR(spi(h, "PID-5"), "Export5^Data^5");
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
		/* CCD 2's id has a UUID root and an extension: no XDS
		 * uniqueId can say that, so none is taken (the caller names
		 * the document with a new OID). */
		CHECK(i == 1 ? h->unique_id == NULL
			     : gw_xds_is_uniqueid(h->unique_id));
		CHECK(h->patient_id != NULL);
		CHECK(all_digits(h->creation_time));
		CHECK(h->type.code != NULL);
		CHECK(h->format.code != NULL);
		gw_cda_header_free(h);
	}
}

#define ONC_YCU                                                                \
	"ccda/onc-2015-cert-samples/DrummondGroup/ETT Version 1.2.0/"          \
	"DrummondGroup - YourCareUniverse Health Portal_v8__v8.5_v9.0/"

/* C-CDA R2.1 Discharge Summary; an author with a prefix. */
GW_TEST(cda_discharge_summary_exact)
{
	struct gw_cda_header *h = parse_corpus(
	    ONC_YCU "170.315_e1_vdt_toc_inp_ds_r21_sample1_v8.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->unique_id, "2.16.840.1.113883.19.5.99999.1^TT107");
	CHECK_STR(h->patient_id, "118283339^^^&2.16.840.1.113883.4.1&ISO");
	CHECK_STR(h->type.code, "18842-5");
	CHECK_STR(h->class_code.code, "18842-5");
	CHECK_STR(h->class_code.scheme, "2.16.840.1.113883.6.1");
	CHECK_STR(fact_source(h, "classCode"),
		  "/ClinicalDocument/templateId[3]/@root");
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	/* XCN: id^family^given^middle^suffix^prefix^^^&NPI&ISO */
	CHECK_STR(h->author_person,
		  "111111^Seven^Henry^^^Dr^^^&2.16.840.1.113883.4.6&ISO");
	CHECK_STR(spi(h, "PID-5"), "Angeles^Rabecca^Jones");
	CHECK_STR(h->service_start, "20150622");
	CHECK_STR(h->service_stop, "20150624");
	gw_cda_header_free(h);
}

/* C-CDA R2.1 Referral Note. */
GW_TEST(cda_referral_note_exact)
{
	struct gw_cda_header *h = parse_corpus(
	    ONC_YCU "170.315_e1_vdt_toc_inp_rn_r21_sample1_v8.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->type.code, "57133-1");
	CHECK_STR(h->class_code.code, "57133-1");
	CHECK_STR(h->class_code.display, "Referral note");
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	CHECK_STR(h->format.display, "C-CDA R2.1 structured body");
	CHECK_STR(h->creation_time, "20150622");
	gw_cda_header_free(h);
}

/* C-CDA R1.1 CCD (no version extensions): the 1.1 formatCode. */
GW_TEST(cda_r11_ccd_exact)
{
	struct gw_cda_header *h = parse_corpus("ccda/ett/CCDA_Inpatient.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-structuredBody:1.1");
	CHECK_STR(h->format.scheme, GW_CDA_FORMAT_SCHEME);
	CHECK_STR(h->class_code.code, "34133-9");
	CHECK_STR(fact_source(h, "classCode"),
		  "/ClinicalDocument/templateId[2]/@root");
	CHECK_STR(h->unique_id, "2.16.840.1.113883.3.72^"
				"05397a63-f4f8-42b2-8e10-04476978d35e");
	CHECK_STR(h->creation_time, "20120912000000");
	gw_cda_header_free(h);
}

/* Unstructured Document (nonXMLBody, R2.1): no class of its own. */
GW_TEST(cda_unstructured_exact)
{
	struct gw_cda_header *h = parse_corpus(
	    "ccda/hl7-c-cda-examples/Unstructured/"
	    "CDA with Embedded PDF 1/Unstructured_Document_embed.xml");

	REQUIRE(h != NULL);
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-nonXMLBody:2.1");
	CHECK_STR(h->format.display, "C-CDA R2.1 unstructured (nonXMLBody)");
	/* The Unstructured Document template names no class: typeCode. */
	CHECK_STR(h->class_code.code, "11490-0");
	CHECK_STR(fact_source(h, "classCode"), "/ClinicalDocument/code[1]");
	CHECK_STR(h->patient_id, "111-00-2330^^^&2.16.840.1.113883.4.1&ISO");
	gw_cda_header_free(h);
}

/* A header built to exercise each rule, with its sources. */
GW_TEST(cda_rules_exact)
{
	struct gw_cda_header *h = NULL;
	static const char doc[] = ROOT_V3
	    "<templateId root=\"2.16.840.1.113883.10.20.22.1.1\" "
	    "extension=\"2015-08-01\"/>"
	    "<templateId root=\"2.16.840.1.113883.10.20.22.1.8\" "
	    "extension=\"2015-08-01\"/>"
	    "<id root=\"0A1B2C3D-4E5F-6789-ABCD-EF0123456789\"/>"
	    "<code code=\"18842-5\" codeSystem=\"2.16.840.1.113883.6.1\"/>"
	    "<effectiveTime value=\"20231231221500-0500\"/>"
	    "<recordTarget><patientRole>"
	    "<id root=\"2.16.840.1.113883.4.1\" nullFlavor=\"UNK\"/>"
	    "<id root=\"be84a8e4-a22e-4210-a4a6-b3c48273e84c\" "
	    "extension=\"X1\"/>"
	    "<id root=\"1.2.3.4\" extension=\"has space\"/>"
	    "<id root=\" 1.3.6.1.4.1.21367.13.20.1000 \" "
	    "extension=\" 8273645 \"/>"
	    "<patient><name use=\"P\"><given>Bob</given></name>"
	    "<name use=\"L\"><prefix>Mr.</prefix><given>Robert</given>"
	    "<given qualifier=\"CL\">Bobby</given><family>O'Neil</family>"
	    "<suffix>Jr.</suffix></name>"
	    "<administrativeGenderCode code=\"UN\"/>"
	    "<birthTime value=\"19800229123000-0800\"/></patient>"
	    "</patientRole></recordTarget>"
	    "<author><functionCode code=\"PCP\" displayName=\"primary "
	    "care physician\" codeSystem=\"2.16.840.1.113883.5.88\"/>"
	    "<assignedAuthor><id root=\"2.16.840.1.113883.4.6\"/>"
	    "<assignedPerson><name><prefix>Dr</prefix><given>Ann</given>"
	    "<family>Lee</family><suffix>MD</suffix></name>"
	    "</assignedPerson>"
	    "<representedOrganization><id root=\"1.2.3.4.5\" "
	    "extension=\"dept~7\"/><name>A^B Clinic</name>"
	    "</representedOrganization></assignedAuthor></author>"
	    "<documentationOf><serviceEvent><effectiveTime>"
	    "<low value=\"20240301003000+0100\"/>"
	    "<high value=\"2024030112\"/></effectiveTime>"
	    "</serviceEvent></documentationOf>"
	    "<componentOf><encompassingEncounter><location>"
	    "<healthCareFacility><code code=\"22232009\" "
	    "codeSystem=\"2.16.840.1.113883.6.96\" displayName=\"Hospital\"/>"
	    "</healthCareFacility></location></encompassingEncounter>"
	    "</componentOf>"
	    "<component><nonXMLBody/></component>"
	    "</ClinicalDocument>";
	const struct gw_cda_defaults def = {
	    .facility_type = "1^2.3^x",
	    .practice_setting = "408467006^2.16.840.1.113883.6.96^Adult mental "
				"illness",
	    .practice_source = "config",
	};

	REQUIRE(gw_cda_header_parse_with(doc, strlen(doc), &def, &h, NULL) ==
		0);
	/* A bare UUID root becomes a urn:uuid: uniqueId, lower case. */
	CHECK_STR(h->unique_id,
		  "urn:uuid:0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	/* 22:15 -05:00 on New Year's Eve is 03:15 UTC on January 1st. */
	CHECK_STR(h->creation_time, "20240101031500");
	/* The first id that makes a CX: not the null, the UUID-rooted or
	 * the one with white space in it. */
	CHECK_STR(h->patient_id, "8273645^^^&1.3.6.1.4.1.21367.13.20.1000&ISO");
	CHECK_STR(fact_source(h, "patientId"),
		  "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[4]");
	/* The legal name; a call-me given name is no middle name. */
	CHECK_STR(spi(h, "PID-5"), "O'Neil^Robert^^Jr.^Mr.");
	CHECK_STR(fact_source(h, "sourcePatientInfo"),
		  "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[4]");
	CHECK_STR(spi(h, "PID-7"), "19800229"); /* a date is not shifted */
	CHECK_STR(spi(h, "PID-8"), "U");
	CHECK(spi(h, "PID-11") == NULL);
	/* An id without extension is no person id: the name is enough. */
	CHECK_STR(h->author_person, "^Lee^Ann^^MD^Dr");
	CHECK_STR(h->author_institution,
		  "A\\S\\B Clinic^^^^^&1.2.3.4.5&ISO^^^^dept\\R\\7");
	CHECK_STR(h->author_role,
		  "PCP^primary care physician^2.16.840.1.113883.5.88");
	CHECK(h->author_specialty == NULL);
	CHECK(h->author_telecom == NULL);
	CHECK_STR(h->service_start, "20240229233000"); /* back into Feb 29 */
	CHECK_STR(h->service_stop, "2024030112");
	CHECK_STR(h->format.code, "urn:hl7-org:sdwg:ccda-nonXMLBody:2.1");
	CHECK_STR(fact_source(h, "formatCode"),
		  "/ClinicalDocument/templateId[1] and "
		  "/ClinicalDocument/component[1]/nonXMLBody[1]");
	CHECK_STR(h->class_code.code, "18842-5");
	CHECK_STR(h->type.display, "18842-5"); /* no displayName: the code */
	/* The header's facility wins over the default; practice from the
	 * caller's default, labelled as it asked. */
	CHECK_STR(h->facility_type.code, "22232009");
	CHECK_STR(fact_source(h, "healthcareFacilityTypeCode"),
		  "/ClinicalDocument/componentOf[1]/encompassingEncounter[1]/"
		  "location[1]/healthCareFacility[1]/code[1]");
	CHECK_STR(h->practice_setting.code, "408467006");
	CHECK_STR(h->practice_setting.display, "Adult mental illness");
	CHECK_STR(fact_source(h, "practiceSettingCode"), "config");
	CHECK(gw_xds_is_xcn(h->author_person));
	CHECK(gw_xds_is_xon(h->author_institution));
	gw_cda_header_free(h);
}

/* A name-only author needs family and given (XCN rule); bad defaults. */
GW_TEST(cda_rules_refusals)
{
	struct gw_cda_header *h = NULL;
	struct gw_err e;
	static const char doc[] =
	    ROOT_V3 "<id root=\"1.2.3\" extension=\"a b\"/>"
		    "<author><assignedAuthor><id root=\"1.2.3\" "
		    "extension=\"has space\"/><assignedPerson><name>"
		    "<family>Solo</family></name></assignedPerson>"
		    "<telecom value=\"mailto:\"/>"
		    "<representedOrganization><id "
		    "root=\"2e1c0d5a-0000-4000-8000-000000000000\"/>"
		    "<name>Org</name></representedOrganization>"
		    "</assignedAuthor></author></ClinicalDocument>";
	const struct gw_cda_defaults none = {.facility_type = "",
					     .practice_setting = NULL};
	const struct gw_cda_defaults bad = {.facility_type = "a^b"};

	REQUIRE(gw_cda_header_parse_with(doc, strlen(doc), &none, &h, &e) == 0);
	CHECK(h->unique_id == NULL); /* extension with white space */
	CHECK(h->author_person == NULL);
	CHECK(h->author_telecom == NULL);
	CHECK_STR(h->author_institution, "Org"); /* UUID id: name only */
	CHECK(h->facility_type.code == NULL);
	CHECK(h->practice_setting.code == NULL);
	gw_cda_header_free(h);
	h = NULL;
	CHECK_INT(gw_cda_header_parse_with(doc, strlen(doc), &bad, &h, &e),
		  GW_EPARSE);
	CHECK(h == NULL);
	CHECK(gw_cda_code_ok(""));
	CHECK(gw_cda_code_ok(GW_CDA_DEF_FACILITY));
	CHECK(gw_cda_code_ok(GW_CDA_DEF_PRACTICE));
	CHECK(!gw_cda_code_ok("a^b"));
	CHECK(!gw_cda_code_ok("a^^c"));
	CHECK(!gw_cda_code_ok("a^b^c^d"));
}

/* --- every ClinicalDocument of the corpus --------------------------- */

struct walk {
	int files;   /* .xml files seen */
	int docs;    /* ClinicalDocuments run through the stylesheet */
	int full;    /* of which carried every XDR DS value */
	int skipped; /* not a ClinicalDocument (CCR, fragments) */
	double secs; /* time inside gw_cda_header_parse_with */
};

static void
bad(const char *path, const char *what, const char *v)
{
	char m[1024];

	if (snprintf(m, sizeof(m), "%s: %s \"%s\"", path, what, v ? v : "") < 0)
		abort();
	gw_test_fail(__FILE__, __LINE__, m);
}

/* Each value in the format the ONC XDR validator checks it against. */
static void
check_facts(const char *path, const struct gw_cda_header *h)
{
	for (size_t i = 0; i < h->nfacts; i++) {
		const char *n = h->facts[i].name, *v = h->facts[i].value;
		const char *src = h->facts[i].source;
		bool ok = true;

		if (strcmp(n, "uniqueId") == 0)
			ok = gw_xds_is_uniqueid(v);
		else if (strcmp(n, "patientId") == 0 ||
			 strcmp(n, "sourcePatientId") == 0)
			ok = gw_xds_is_cx(v);
		else if (strcmp(n, "creationTime") == 0 ||
			 strcmp(n, "serviceStartTime") == 0 ||
			 strcmp(n, "serviceStopTime") == 0)
			ok = gw_xds_is_dtm(v);
		else if (strcmp(n, "authorPerson") == 0)
			ok = gw_xds_is_xcn(v);
		else if (strcmp(n, "authorInstitution") == 0)
			ok = gw_xds_is_xon(v);
		else if (strcmp(n, "authorTelecommunication") == 0)
			ok = gw_xds_is_xtn(v);
		else if (strcmp(n, "sourcePatientInfo") == 0) {
			const char *bar = strchr(v, '|');

			ok = strncmp(v, "PID-", 4) == 0 && bar != NULL &&
			     bar[1] != '\0' && strchr(bar + 1, '|') == NULL &&
			     (strncmp(v, "PID-3|", 6) != 0 ||
			      gw_xds_is_cx(v + 6));
		}
		if (!ok)
			bad(path, n, v);
		if (strncmp(src, "/ClinicalDocument/", 18) != 0 &&
		    strcmp(src, "default") != 0)
			bad(path, "source of", n);
	}
}

/* The document's metadata, built and parsed back, passes xdsrules. */
static bool
check_submission(const char *path, const char *xml, size_t len,
		 const struct gw_cda_header *h)
{
	static const char *const to[] = {"dr.b@direct-b.example"};
	struct gw_xdsbuild_doc d = {0};
	struct gw_xdsbuild b = {0};
	struct gw_xds_submission *x = NULL;
	struct gw_xds_errors xe;
	struct gw_xds_part part;
	struct gw_buf md;
	struct gw_err e;
	char sha[41], uid[GW_ID_OID_LEN];
	bool full;

	gw_xdsbuild_doc_from_cda(&d, h);
	gw_digest_sha1_hex(xml, len, sha);
	d.id = "Document01";
	d.size = len;
	d.sha1 = sha;
	if (d.unique_id == NULL) {
		gw_id_uuid_oid(uid);
		d.unique_id = uid;
	}
	full = h->patient_id != NULL && h->creation_time != NULL &&
	       h->language != NULL && h->type.code != NULL &&
	       h->class_code.code != NULL && h->confidentiality.code != NULL &&
	       h->format.code != NULL && h->facility_type.code != NULL &&
	       h->practice_setting.code != NULL;
	b.limited = !full;
	b.source_id = "1.2.840.114350.1.13.99998.8734";
	b.patient_id = h->patient_id;
	b.content_type = d.type_code;
	b.author_telecom = "^^Internet^dr.a@direct-a.example";
	b.intended_recipients = to;
	b.nintended = 1;
	b.docs = &d;
	b.ndocs = 1;
	gw_buf_init(&md, 1u << 20);
	gw_xds_errors_init(&xe);
	if (gw_xdsbuild_submission(&b, &md, &e) != 0) {
		bad(path, "xdsbuild", e.msg);
		goto out;
	}
	if (gw_xdsxml_parse(md.data, md.len, NULL, &x, &xe) != 0) {
		bad(path, "xdsxml", xe.n > 0 ? xe.v[0].context : "");
		goto out;
	}
	part =
	    (struct gw_xds_part){.id = "Document01", .size = len, .sha1 = sha};
	if (gw_xds_validate(x, &part, 1, NULL, &xe) != 0 || xe.n > 0)
		bad(path, "xdsrules", xe.n > 0 ? xe.v[0].context : "");
out:
	gw_xds_submission_free(x);
	gw_xds_errors_dispose(&xe);
	gw_buf_dispose(&md);
	return full;
}

static double
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
corpus_file(const char *path, struct walk *w)
{
	struct gw_cda_header *h = NULL;
	struct gw_err e;
	size_t len;
	char *xml = gw_test_slurp(path, &len);
	double t0;
	int rc;

	w->files++;
	if (xml == NULL || !gw_cda_sniff(xml, len)) {
		w->skipped++;
		free(xml);
		return;
	}
	gw_err_clear(&e);
	t0 = now_secs();
	rc = gw_cda_header_parse_with(xml, len, NULL, &h, &e);
	w->secs += now_secs() - t0;
	if (rc != 0) {
		bad(path, "parse", e.msg);
	} else {
		w->docs++;
		check_facts(path, h);
		if (check_submission(path, xml, len, h))
			w->full++;
	}
	gw_cda_header_free(h);
	free(xml);
}

static void
walk(const char *dir, struct walk *w)
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
		if (S_ISDIR(st.st_mode))
			walk(p, w);
		else if (n > 4 && strcasecmp(de->d_name + n - 4, ".xml") == 0)
			corpus_file(p, w);
	}
	closedir(d);
}

/*
 * Every ClinicalDocument of the corpus (BOMs, non-ASCII, odd prefixes,
 * UUID roots, R1.1 to R3.0): it parses, each value passes the XDR
 * validator's format rules, and its DocumentEntry - full metadata when
 * the header has every XDR DS value, else limited - passes xdsrules.
 * Prints the time per document spent in the stylesheet run.
 */
GW_TEST(cda_corpus_all)
{
	struct walk w = {0};
	char *p = corpus_path("ccda");

	walk(p, &w);
	free(p);
	CHECK(w.docs >= 200);
	CHECK(w.full >= w.docs / 2);
	printf("  cda corpus: %d files, %d ClinicalDocuments (%d with full "
	       "XDR DS metadata), %d skipped; %.3f ms per document\n",
	       w.files, w.docs, w.full, w.skipped,
	       w.docs > 0 ? w.secs * 1e3 / w.docs : 0.0);
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
	deep = malloc(depth * 7 + 4200);
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
	/* A value one past the field limit is dropped, not an error. */
	n = strlen(ROOT_V3 "<title>");
	memcpy(deep, ROOT_V3 "<title>", n);
	memset(deep + n, 'x', 4097);
	n += 4097;
	memcpy(
	    deep + n, "</title><languageCode code=\"en\"/></ClinicalDocument>",
	    strlen("</title><languageCode code=\"en\"/></ClinicalDocument>") +
		1);
	REQUIRE(parse_str(deep, &h) == 0);
	CHECK(h->title == NULL);
	CHECK_STR(h->language, "en");
	gw_cda_header_free(h);
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
	CHECK(h->format.code == NULL); /* plain CDA, no C-CDA template */
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

/* The creationTime made of an effectiveTime value (NULL: none). */
static char *
ts_to_dtm(const char *ts)
{
	struct gw_cda_header *h = NULL;
	char doc[512];
	char *out = NULL;

	if (snprintf(doc, sizeof(doc),
		     ROOT_V3 "<effectiveTime value=\"%s\"/></ClinicalDocument>",
		     ts) >= (int)sizeof(doc))
		abort();
	if (parse_str(doc, &h) != 0)
		return NULL;
	if (h->creation_time != NULL)
		out = strdup(h->creation_time);
	gw_cda_header_free(h);
	return out;
}

static void
ts_case(const char *in, const char *want)
{
	char *got = ts_to_dtm(in);

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

/* The stylesheet's TS -> DTM rules (SPEC 4.7, 8.3). */
GW_TEST(cda_time_offsets)
{
	ts_case("20240115093000-0500", "20240115143000");
	ts_case("20240115-0500", "20240115");
	ts_case("201401010030+0100", "201312312330"); /* back a year */
	ts_case("20240115093000.1234+0000", "20240115093000");
	ts_case("20240115093000.5-0500", "20240115143000");
	ts_case("20240115093000", "20240115093000");
	ts_case("2024011509-0530", "2024011514"); /* 14:30 UTC, kept to hour */
	ts_case("20241231233059-0100", "20250101003059"); /* year rolls */
	ts_case("20240229120000+1400", "20240228220000"); /* leap day */
	/* A negative offset crossing midnight into the next month. */
	ts_case("20240131203000-0500", "20240201013000");
	ts_case("20230228233000-0100", "20230301003000"); /* not leap */
	ts_case("20240228233000-0100", "20240229003000"); /* leap */
	ts_case("20240301003000+0100", "20240229233000"); /* back, leap */
	ts_case("20240430230000-0300", "20240501020000"); /* 30-day month */
	ts_case("2024", "2024");
	ts_case("202401", "202401");
	ts_case("202401+0100", "202401");
	ts_case("20230229", NULL); /* not a leap year */
	ts_case("20241301", NULL);
	ts_case("20240431", NULL);
	ts_case("2024011524", NULL);
	ts_case("202401150960", NULL);
	ts_case("202401150930-05", NULL);
	ts_case("202401150930-2400", NULL);
	ts_case("20240115093", NULL); /* odd precision */
	ts_case("20240115.5", NULL);  /* fraction without seconds */
	ts_case("20240115093000.", NULL);
	ts_case("20240115093000Z", NULL);
	ts_case("2024-01-15", NULL);
	ts_case("", NULL);
	ts_case("abc", NULL);
}
