/* Unit tests for xdsbuild: the ITI-41 SubmitObjectsRequest writer. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "buf.h"
#include "cda.h"
#include "err.h"
#include "xdsbuild.h"

#define UUID_AUTHOR   "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
#define UUID_CLASS    "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
#define UUID_CONF     "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
#define UUID_FORMAT   "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
#define UUID_HCFT     "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
#define UUID_PRACTICE "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
#define UUID_TYPE     "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
#define UUID_SSAUTHOR "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
#define UUID_CONTENT  "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
#define UUID_DEPID    "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
#define UUID_DEUID    "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
#define UUID_SSPID    "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
#define UUID_SSSRC    "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
#define UUID_SSUID    "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#define UUID_SSNODE   "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define UUID_SSLTD    "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
#define UUID_DELTD    "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"

#define PID    "8273645^^^&1.3.6.1.4.1.21367.13.20.1000&ISO"
#define TITLE1 "Labs <CBC> & \"lipids\" 'today'"
#define SHA1   "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define EO     "//rim:ExtrinsicObject"
#define RP     "//rim:RegistryPackage[@id='SubmissionSet01']"

static const char *const spi[] = {"PID-3|" PID, "PID-5|Doe^Jane",
				  "PID-7|19800101", "PID-8|F"};
static const char *const rcpt[] = {"dr.smith@direct.example.org",
				   "records@direct.example.org"};

static void xpath(char *x, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format an XPath; a truncated one would test the wrong thing. */
static void
xpath(char *x, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(x, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n)
		abort();
}

static void
full_doc(struct gw_xdsbuild_doc *d, const char *id, const char *uid)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->mime_type = "text/xml";
	d->size = 1234;
	d->sha1 = SHA1;
	d->unique_id = uid;
	d->patient_id = PID;
	d->source_patient_id = "55^^^&1.2.3.4&ISO";
	d->creation_time = "20240115143000";
	d->title = "Summary";
	d->language = "en-US";
	d->service_start = "20240101";
	d->service_stop = "20240115";
	d->author_person = "^Seven^Henry^^^Dr";
	d->author_institution = "Get Well Clinic^^^^^^^^^1.2.3.4.5";
	d->author_telecom = "^^Internet^hseven@direct.example.org";
	d->class_code =
	    (struct gw_xdsbuild_code){"34133-9", "2.16.840.1.113883.6.1",
				      "Summarization of Episode Note"};
	d->type_code = d->class_code;
	d->format_code = (struct gw_xdsbuild_code){
	    "urn:hl7-org:sdwg:ccda-structuredBody:2.1", GW_CDA_FORMAT_SCHEME,
	    "C-CDA R2.1"};
	d->confidentiality =
	    (struct gw_xdsbuild_code){"N", "2.16.840.1.113883.5.25", "normal"};
	d->healthcare_facility = (struct gw_xdsbuild_code){
	    "35971002", "2.16.840.1.113883.6.96", "Ambulatory care site"};
	d->practice_setting = (struct gw_xdsbuild_code){
	    "408443003", "2.16.840.1.113883.6.96", "General medical practice"};
	d->source_patient_info = spi;
	d->nsource_patient_info = 4;
}

static void
full_sub(struct gw_xdsbuild *s, struct gw_xdsbuild_doc docs[2])
{
	full_doc(&docs[0], "Document01", "1.2.3.4.5.6^a1");
	docs[0].title = TITLE1;
	full_doc(&docs[1], "Document02", "1.2.3.4.5.7");
	docs[1].author_person = NULL;
	docs[1].author_institution = NULL;
	docs[1].author_telecom = NULL;
	memset(s, 0, sizeof(*s));
	s->ss_unique_id = "1.2.3.4.5.99";
	s->source_id = "1.2.3.4.5";
	s->patient_id = PID;
	s->submission_time = "20240115150000";
	s->title = "Referral <packet>";
	s->content_type =
	    (struct gw_xdsbuild_code){"34133-9", "2.16.840.1.113883.6.1",
				      "Summarization of Episode Note"};
	s->author_telecom = "^^Internet^sender@direct.example.org";
	s->intended_recipients = rcpt;
	s->nintended = 2;
	s->docs = docs;
	s->ndocs = 2;
}

/* Build, require success, parse. */
static xmlDocPtr
build(const struct gw_xdsbuild *s, struct gw_buf *b)
{
	struct gw_err e;
	int rc;
	xmlDocPtr doc;

	gw_err_clear(&e);
	gw_buf_init(b, 1 << 20);
	rc = gw_xdsbuild_submission(s, b, &e);
	if (rc != 0) {
		gw_test_fail(__FILE__, __LINE__, e.msg);
		return NULL;
	}
	doc = xmlReadMemory(b->data, (int)b->len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	if (doc == NULL)
		gw_test_fail(__FILE__, __LINE__, "output is not well-formed");
	return doc;
}

static xmlXPathObjectPtr
eval(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;

	if (c == NULL)
		abort();
	xmlXPathRegisterNs(
	    c, (const xmlChar *)"rim",
	    (const xmlChar *)"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0");
	xmlXPathRegisterNs(
	    c, (const xmlChar *)"lcm",
	    (const xmlChar *)"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0");
	o = xmlXPathEvalExpression((const xmlChar *)expr, c);
	xmlXPathFreeContext(c);
	if (o == NULL) {
		fprintf(stderr, "bad xpath %s\n", expr);
		abort();
	}
	return o;
}

static double
count(xmlDocPtr doc, const char *expr)
{
	char e[1024];
	xmlXPathObjectPtr o;
	double n;

	if (snprintf(e, sizeof(e), "count(%s)", expr) >= (int)sizeof(e))
		abort();
	o = eval(doc, e);
	n = o->floatval;
	xmlXPathFreeObject(o);
	return n;
}

/* string(expr), copied; caller frees. */
static char *
str(xmlDocPtr doc, const char *expr)
{
	char e[1024];
	xmlXPathObjectPtr o;
	char *s;

	if (snprintf(e, sizeof(e), "string(%s)", expr) >= (int)sizeof(e))
		abort();
	o = eval(doc, e);
	s = strdup((const char *)o->stringval);
	xmlXPathFreeObject(o);
	return s;
}

static void
check_count(xmlDocPtr doc, const char *expr, int want, int line)
{
	double got = count(doc, expr);

	if (got != (double)want) {
		char m[1200];

		if (snprintf(m, sizeof(m), "count(%s) = %g, want %d", expr, got,
			     want) < 0)
			abort();
		gw_test_fail(__FILE__, line, m);
	}
}

#define CHECK_COUNT(doc, expr, n) check_count(doc, expr, n, __LINE__)
#define CHECK_XSTR(doc, expr, want)                                            \
	do {                                                                   \
		char *s_ = str(doc, expr);                                     \
		CHECK_STR(s_, want);                                           \
		free(s_);                                                      \
	} while (0)

static int
rank(const xmlNode *n)
{
	static const char *const order[] = {"Slot", "Name", "Description",
					    "Classification",
					    "ExternalIdentifier"};

	for (int i = 0; i < 5; i++)
		if (strcmp((const char *)n->name, order[i]) == 0)
			return i;
	return -1;
}

/* ebRIM 3.0 child order in every RegistryObject; all ids unique; all
 * references resolve; no empty values. */
static void
check_shape(xmlDocPtr doc)
{
	xmlXPathObjectPtr o = eval(doc, "//rim:ExtrinsicObject | "
					"//rim:RegistryPackage | "
					"//rim:Classification | "
					"//rim:ExternalIdentifier | "
					"//rim:Association");

	REQUIRE(o->nodesetval != NULL);
	for (int i = 0; i < o->nodesetval->nodeNr; i++) {
		xmlNode *n = o->nodesetval->nodeTab[i];
		int last = 0;

		for (xmlNode *c = n->children; c != NULL; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			CHECK(rank(c) >= last);
			if (rank(c) >= last)
				last = rank(c);
		}
	}
	xmlXPathFreeObject(o);
	CHECK_COUNT(doc,
		    "//@id[. = preceding::*/@id or . = ../ancestor::*/@id]", 0);
	CHECK_COUNT(
	    doc,
	    "//@classifiedObject[not(. = //@id)] | "
	    "//@registryObject[not(. = //@id)] | "
	    "//@sourceObject[not(. = //@id)] | //@targetObject[not(. = //@id)]",
	    0);
	CHECK_COUNT(
	    doc, "//rim:Value[. = ''] | //rim:LocalizedString[@value = '']", 0);
	CHECK_COUNT(doc,
		    "//rim:Classification[@nodeRepresentation = '' and "
		    "@classificationScheme != '" UUID_AUTHOR
		    "' and @classificationScheme != '" UUID_SSAUTHOR "']",
		    0);
}

GW_TEST(xdsbuild_full_two_docs)
{
	struct gw_xdsbuild s;
	struct gw_xdsbuild_doc docs[2];
	struct gw_buf b;
	xmlDocPtr doc;
	static const char *const de_schemes[] = {UUID_CLASS,    UUID_CONF,
						 UUID_FORMAT,   UUID_HCFT,
						 UUID_PRACTICE, UUID_TYPE};
	char x[512];

	full_sub(&s, docs);
	doc = build(&s, &b);
	REQUIRE(doc != NULL);
	CHECK_STR((const char *)xmlDocGetRootElement(doc)->name,
		  "SubmitObjectsRequest");
	check_shape(doc);
	CHECK_COUNT(doc, "/lcm:SubmitObjectsRequest/rim:RegistryObjectList/*",
		    5);
	CHECK_COUNT(doc,
		    EO "[@objectType='urn:uuid:7edca82f-054d-47f2-a032-"
		       "9b2a5b5186c1' and @mimeType='text/xml']",
		    2);
	for (int d = 1; d <= 2; d++) {
		for (size_t i = 0; i < 6; i++) {
			xpath(x, sizeof(x),
			      EO "[@id='Document0%d']/rim:Classification["
				 "@classificationScheme='%s' and "
				 "rim:Slot[@name='codingScheme']/rim:ValueList/"
				 "rim:Value != '' and rim:Name]",
			      d, de_schemes[i]);
			CHECK_COUNT(doc, x, 1);
		}
		xpath(x, sizeof(x),
		      EO "[@id='Document0%d']/rim:ExternalIdentifier["
			 "@identificationScheme='" UUID_DEPID
			 "' and @value='" PID
			 "' and rim:Name/rim:LocalizedString/@value="
			 "'XDSDocumentEntry.patientId']",
		      d);
		CHECK_COUNT(doc, x, 1);
		xpath(x, sizeof(x),
		      EO "[@id='Document0%d']/rim:ExternalIdentifier["
			 "@identificationScheme='" UUID_DEUID "']",
		      d);
		CHECK_COUNT(doc, x, 1);
		xpath(x, sizeof(x),
		      "//rim:Association[@targetObject='Document0%d' and "
		      "@sourceObject='SubmissionSet01' and @associationType="
		      "'urn:oasis:names:tc:ebxml-regrep:AssociationType:"
		      "HasMember']/rim:Slot[@name='SubmissionSetStatus']/"
		      "rim:ValueList/rim:Value[.='Original']",
		      d);
		CHECK_COUNT(doc, x, 1);
	}
	/* DocumentEntry slots. */
	CHECK_XSTR(doc, EO "[@id='Document01']/rim:Slot[@name='hash']", SHA1);
	CHECK_XSTR(doc, EO "[@id='Document01']/rim:Slot[@name='size']", "1234");
	CHECK_XSTR(doc, EO "[@id='Document01']/rim:Slot[@name='creationTime']",
		   "20240115143000");
	CHECK_XSTR(doc, EO "[@id='Document01']/rim:Slot[@name='languageCode']",
		   "en-US");
	CHECK_COUNT(doc,
		    EO "[@id='Document01']/rim:Slot[@name='serviceStartTime' "
		       "or @name='serviceStopTime' or "
		       "@name='sourcePatientId']",
		    3);
	CHECK_COUNT(doc,
		    EO "[@id='Document01']/rim:Slot[@name='sourcePatientInfo']"
		       "/rim:ValueList/rim:Value",
		    4);
	CHECK_XSTR(doc,
		   EO "[@id='Document01']/rim:ExternalIdentifier"
		      "[@identificationScheme='" UUID_DEUID "']/@value",
		   "1.2.3.4.5.6^a1");
	/* Author: only where given; escaping of the title. */
	CHECK_COUNT(
	    doc,
	    EO "[@id='Document01']/"
	       "rim:Classification[@classificationScheme='" UUID_AUTHOR
	       "' and @nodeRepresentation='']/rim:Slot[@name='authorPerson' or "
	       "@name='authorInstitution' or @name='authorTelecommunication']",
	    3);
	CHECK_COUNT(doc,
		    EO "[@id='Document02']/"
		       "rim:Classification[@classificationScheme='" UUID_AUTHOR
		       "']",
		    0);
	CHECK_XSTR(doc,
		   EO "[@id='Document01']/rim:Name/rim:LocalizedString/@value",
		   TITLE1);
	CHECK(strstr(b.data, "Labs &lt;CBC&gt; &amp; &quot;lipids&quot;") !=
	      NULL);
	/* SubmissionSet. */
	CHECK_XSTR(doc, RP "/rim:Slot[@name='submissionTime']",
		   "20240115150000");
	CHECK_COUNT(
	    doc,
	    RP "/rim:Slot[@name='intendedRecipient']/rim:ValueList/rim:Value",
	    2);
	CHECK_XSTR(
	    doc,
	    RP
	    "/rim:Slot[@name='intendedRecipient']/rim:ValueList/rim:Value[1]",
	    "||^^Internet^dr.smith@direct.example.org");
	CHECK_XSTR(doc, RP "/rim:Name/rim:LocalizedString/@value",
		   "Referral <packet>");
	CHECK_XSTR(doc,
		   RP
		   "/rim:Classification[@classificationScheme='" UUID_SSAUTHOR
		   "']/rim:Slot[@name='authorTelecommunication']",
		   "^^Internet^sender@direct.example.org");
	CHECK_COUNT(doc,
		    RP
		    "/rim:Classification[@classificationScheme='" UUID_CONTENT
		    "' and @nodeRepresentation='34133-9']",
		    1);
	CHECK_COUNT(doc,
		    RP "/rim:Classification[@classificationNode='" UUID_SSNODE
		       "' and @classifiedObject='SubmissionSet01']",
		    1);
	CHECK_XSTR(doc,
		   RP
		   "/rim:ExternalIdentifier[@identificationScheme='" UUID_SSUID
		   "']/@value",
		   "1.2.3.4.5.99");
	CHECK_XSTR(doc,
		   RP
		   "/rim:ExternalIdentifier[@identificationScheme='" UUID_SSSRC
		   "']/@value",
		   "1.2.3.4.5");
	CHECK_XSTR(doc,
		   RP
		   "/rim:ExternalIdentifier[@identificationScheme='" UUID_SSPID
		   "']/@value",
		   PID);
	/* No limitedMetadata in full mode. */
	CHECK_COUNT(doc,
		    "//rim:Classification[@classificationNode='" UUID_SSLTD
		    "' or @classificationNode='" UUID_DELTD "']",
		    0);
	xmlFreeDoc(doc);
	gw_buf_dispose(&b);
}

GW_TEST(xdsbuild_limited)
{
	struct gw_xdsbuild s;
	struct gw_xdsbuild_doc d;
	struct gw_buf b;
	xmlDocPtr doc;
	char *uid, *t;

	memset(&d, 0, sizeof(d));
	d.id = "Document01";
	d.mime_type = "application/pdf";
	d.unique_id = "2.25.1234";
	d.format_code = (struct gw_xdsbuild_code){
	    "urn:ihe:iti:xds:2017:mimeTypeSufficient",
	    "1.3.6.1.4.1.19376.1.2.3", "mimeType Sufficient"};
	memset(&s, 0, sizeof(s));
	s.limited = true;
	s.source_id = "1.2.3";
	s.author_telecom = "^^Internet^a@b.example";
	s.intended_recipients = rcpt;
	s.nintended = 1;
	s.docs = &d;
	s.ndocs = 1;
	doc = build(&s, &b);
	REQUIRE(doc != NULL);
	check_shape(doc);
	CHECK_COUNT(doc,
		    EO "[@id='Document01']/"
		       "rim:Classification[@classificationNode='" UUID_DELTD
		       "' and @classifiedObject='Document01']",
		    1);
	CHECK_COUNT(
	    doc, RP "/rim:Classification[@classificationNode='" UUID_SSLTD "']",
	    1);
	CHECK_COUNT(doc, EO "/rim:Classification[@classificationScheme]", 1);
	CHECK_COUNT(doc, EO "/rim:Slot", 0);
	CHECK_COUNT(doc, EO "/rim:Name", 0);
	CHECK_COUNT(doc, EO "/rim:ExternalIdentifier", 1);
	CHECK_COUNT(doc,
		    RP
		    "/rim:ExternalIdentifier[@identificationScheme='" UUID_SSPID
		    "']",
		    0);
	CHECK_COUNT(
	    doc,
	    RP "/rim:Classification[@classificationScheme='" UUID_CONTENT "']",
	    0);
	/* Defaults: a 2.25 OID and the current time. */
	uid = str(doc, RP
		  "/rim:ExternalIdentifier[@identificationScheme='" UUID_SSUID
		  "']/@value");
	CHECK(strncmp(uid, "2.25.", 5) == 0);
	t = str(doc, RP "/rim:Slot[@name='submissionTime']");
	CHECK_INT(strlen(t), 14);
	CHECK(strspn(t, "0123456789") == 14);
	free(uid);
	free(t);
	xmlFreeDoc(doc);
	gw_buf_dispose(&b);
}

static void
expect_error(const struct gw_xdsbuild *s, int code, const char *needle)
{
	struct gw_buf b;
	struct gw_err e;
	int rc;

	gw_err_clear(&e);
	gw_buf_init(&b, 1 << 20);
	REQUIRE(gw_buf_puts(&b, "keep") == 0);
	rc = gw_xdsbuild_submission(s, &b, &e);
	CHECK_INT(rc, code);
	CHECK_INT(e.code, code);
	if (strstr(e.msg, needle) == NULL) {
		char m[400];

		if (snprintf(m, sizeof(m), "error \"%s\" lacks \"%s\"", e.msg,
			     needle) < 0)
			abort();
		gw_test_fail(__FILE__, __LINE__, m);
	}
	CHECK_STR(b.data, "keep");
	gw_buf_dispose(&b);
}

GW_TEST(xdsbuild_missing_required)
{
	struct gw_xdsbuild s;
	struct gw_xdsbuild_doc docs[2];

	full_sub(&s, docs);
	docs[1].class_code.code = NULL;
	expect_error(&s, GW_ERROR, "Document02: classCode is required");
	/* The same gap is fine with limited metadata. */
	s.limited = true;
	{
		struct gw_buf b;
		struct gw_err e;

		gw_buf_init(&b, 1 << 20);
		CHECK_INT(gw_xdsbuild_submission(&s, &b, &e), 0);
		gw_buf_dispose(&b);
	}
	full_sub(&s, docs);
	docs[0].practice_setting = (struct gw_xdsbuild_code){0};
	expect_error(&s, GW_ERROR, "practiceSettingCode");
	full_sub(&s, docs);
	docs[0].creation_time = "";
	expect_error(&s, GW_ERROR, "creationTime");
	full_sub(&s, docs);
	docs[1].source_patient_id = NULL;
	expect_error(&s, GW_ERROR, "sourcePatientId");
	full_sub(&s, docs);
	s.patient_id = NULL;
	expect_error(&s, GW_ERROR, "SubmissionSet: patientId");
	full_sub(&s, docs);
	s.content_type.code = NULL;
	expect_error(&s, GW_ERROR, "contentTypeCode");
	full_sub(&s, docs);
	s.source_id = NULL;
	s.limited = true;
	expect_error(&s, GW_ERROR, "sourceId");
	/* Any mode: uniqueId, mimeType, well-formed values. */
	full_sub(&s, docs);
	s.limited = true;
	docs[0].mime_type = NULL;
	expect_error(&s, GW_ERROR, "Document01: mimeType");
	full_sub(&s, docs);
	s.limited = true;
	docs[1].unique_id = NULL;
	expect_error(&s, GW_ERROR, "Document02: uniqueId");
	full_sub(&s, docs);
	docs[0].type_code.scheme = NULL;
	expect_error(&s, GW_ERROR, "typeCode needs a codingScheme");
	full_sub(&s, docs);
	docs[0].sha1 = "abc";
	expect_error(&s, GW_ERROR, "hash");
	full_sub(&s, docs);
	docs[1].patient_id = "1^^^&9.9&ISO";
	expect_error(&s, GW_ERROR, "patientId differs");
	full_sub(&s, docs);
	docs[1].id = "Document01";
	expect_error(&s, GW_ERROR, "duplicate id");
	full_sub(&s, docs);
	docs[1].id = "cl03";
	expect_error(&s, GW_ERROR, "reserved");
	full_sub(&s, docs);
	s.ndocs = 0;
	expect_error(&s, GW_ERROR, "no DocumentEntry");
	full_sub(&s, docs);
	{
		static const char *const bad[] = {"x^y@direct.example.org"};

		s.intended_recipients = bad;
		s.nintended = 1;
		expect_error(&s, GW_ERROR, "intendedRecipient");
	}
}

GW_TEST(xdsbuild_limit)
{
	struct gw_xdsbuild s;
	struct gw_xdsbuild_doc docs[2];
	struct gw_buf b;
	struct gw_err e;
	size_t need;

	full_sub(&s, docs);
	gw_buf_init(&b, 1 << 20);
	REQUIRE(gw_xdsbuild_submission(&s, &b, &e) == 0);
	need = b.len;
	gw_buf_dispose(&b);
	gw_buf_init(&b, need - 1);
	REQUIRE(gw_buf_puts(&b, "x") == 0);
	CHECK_INT(gw_xdsbuild_submission(&s, &b, &e), GW_ELIMIT);
	CHECK_INT(e.code, GW_ELIMIT);
	CHECK_STR(b.data, "x");
	gw_buf_dispose(&b);
	gw_buf_init(&b, need);
	CHECK_INT(gw_xdsbuild_submission(&s, &b, &e), 0);
	gw_buf_dispose(&b);
}

GW_TEST(xdsbuild_from_cda)
{
	char path[512];
	struct gw_cda_header *h = NULL;
	struct gw_xdsbuild_doc d;
	struct gw_xdsbuild s;
	struct gw_buf b;
	struct gw_err e;
	xmlDocPtr doc;
	size_t len;
	char *xml;

	REQUIRE(
	    snprintf(path, sizeof(path),
		     "%s/ccda/hl7-c-cda-examples/Documents/CCD/CCD 1/CCD.XML",
		     gw_test_corpus()) < (int)sizeof(path));
	xml = gw_test_slurp(path, &len);
	REQUIRE(xml != NULL);
	REQUIRE(gw_cda_header_parse(xml, len, &h, &e) == 0);
	free(xml);
	memset(&d, 0, sizeof(d));
	d.id = "Document01";
	d.size = len;
	d.sha1 = SHA1;
	gw_xdsbuild_doc_from_cda(&d, h);
	/* Not in this header: the caller's configuration supplies them. */
	d.healthcare_facility = (struct gw_xdsbuild_code){
	    "35971002", "2.16.840.1.113883.6.96", "Ambulatory care site"};
	d.practice_setting = (struct gw_xdsbuild_code){
	    "408443003", "2.16.840.1.113883.6.96", "General medical practice"};
	memset(&s, 0, sizeof(s));
	s.source_id = "1.2.3.4";
	s.patient_id = h->patient_id;
	s.content_type = d.type_code;
	s.docs = &d;
	s.ndocs = 1;
	doc = build(&s, &b);
	REQUIRE(doc != NULL);
	check_shape(doc);
	CHECK_XSTR(doc,
		   EO
		   "/rim:ExternalIdentifier[@identificationScheme='" UUID_DEUID
		   "']/@value",
		   "2.16.840.1.113883.19.5.99999.1^TT988");
	CHECK_XSTR(doc,
		   EO
		   "/rim:ExternalIdentifier[@identificationScheme='" UUID_DEPID
		   "']/@value",
		   "444222222^^^&2.16.840.1.113883.4.1&ISO");
	CHECK_XSTR(doc, EO "/rim:Slot[@name='creationTime']", "201308151830");
	CHECK_XSTR(doc, EO "/rim:Slot[@name='serviceStartTime']", "19750501");
	CHECK_XSTR(
	    doc,
	    EO
	    "/rim:Slot[@name='sourcePatientInfo']/rim:ValueList/rim:Value[2]",
	    "PID-5|Betterhalf^Eve");
	CHECK_XSTR(doc, EO "/rim:Name/rim:LocalizedString/@value",
		   "Patient Chart Summary");
	CHECK_XSTR(doc, EO "/@mimeType", "text/xml");
	CHECK_XSTR(doc,
		   EO "/rim:Classification[@classificationScheme='" UUID_TYPE
		      "']/@nodeRepresentation",
		   "34133-9");
	CHECK_XSTR(doc,
		   EO "/rim:Classification[@classificationScheme='" UUID_CLASS
		      "']/@nodeRepresentation",
		   "34133-9");
	CHECK_XSTR(doc,
		   EO "/rim:Classification[@classificationScheme='" UUID_CONF
		      "']/rim:Slot[@name='codingScheme']",
		   "2.16.840.1.113883.5.25");
	CHECK_XSTR(doc,
		   EO "/rim:Classification[@classificationScheme='" UUID_FORMAT
		      "']/@nodeRepresentation",
		   "urn:hl7-org:sdwg:ccda-structuredBody:2.1");
	CHECK_XSTR(
	    doc,
	    EO "/rim:Classification[@classificationScheme='" UUID_AUTHOR
	       "']/rim:Slot[@name='authorPerson']",
	    "5555555555^Primary^Patricia^^M.D.^^^^&2.16.840.1.113883.4.6&ISO");
	{
		char want[32];

		REQUIRE(snprintf(want, sizeof(want), "%zu", len) > 0);
		CHECK_XSTR(doc, EO "/rim:Slot[@name='size']", want);
	}
	xmlFreeDoc(doc);
	gw_buf_dispose(&b);
	gw_cda_header_free(h);
}
