/*
 * Hand-written xds / xdsxml cases: one per error code emitted, each
 * limit exactly at and one step past, formats, routing, timing.
 */
#include "harness.h"

#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "mem.h"
#include "test_xds_support.h"
#include "xds.h"
#include "xdsxml.h"

#define SLOT(n, v)                                                             \
	"<rim:Slot name=\"" n "\"><rim:ValueList><rim:Value>" v                \
	"</rim:Value></rim:ValueList></rim:Slot>"
#define CODED(scheme, code)                                                    \
	"<rim:Classification classificationScheme=\"urn:uuid:" scheme          \
	"\" nodeRepresentation=\"" code                                        \
	"\">" SLOT("codingScheme",                                             \
		   "1.2.3") "<rim:Name><rim:LocalizedString value=\"" code     \
			    "\"/></rim:Name></rim:Classification>"
#define EI(scheme, value, name)                                                \
	"<rim:ExternalIdentifier identificationScheme=\"urn:uuid:" scheme      \
	"\" value=\"" value "\"><rim:Name><rim:LocalizedString value=\"" name  \
	"\"/></rim:Name></rim:ExternalIdentifier>"
#define PID    "p1^^^&amp;1.2.840.1&amp;ISO"
#define HELLO  "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
#define HASMEM "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

static const char head[] =
    "<?xml version=\"1.0\"?>\n"
    "<lcm:SubmitObjectsRequest "
    "xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" "
    "xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">"
    "<rim:RegistryObjectList>";
static const char tail[] = "</rim:RegistryObjectList>"
			   "</lcm:SubmitObjectsRequest>";

static void
add_entry(struct gw_buf *b, const char *id, const char *uid, const char *pid)
{
	gw_buf_printf(
	    b,
	    "<rim:ExtrinsicObject id=\"%s\" mimeType=\"text/plain\" "
	    "objectType=\"urn:uuid:7edca82f-054d-47f2-a032-"
	    "9b2a5b5186c1\">" SLOT("creationTime", "20240115093000") SLOT(
		"languageCode", "en-US") SLOT("sourcePatientId", PID)
		SLOT("hash", HELLO) SLOT(
		    "size",
		    "5") "<rim:Name><rim:LocalizedString "
			 "value=\"Note\"/></rim:Name>" CODED(
			     "41a5887f-8865-4c09-adf7-e362475b143a",
			     "c") CODED("f4f85eac-e6cb-4883-b524-"
					"f2705394840f",
					"N") CODED("a09d5840-386c-46f2-b5ad-"
						   "9c3699a4309d",
						   "f") CODED("f33fb8ac-18af-"
							      "42cc-ae0e-"
							      "ed0b0bdb91e1",
							      "h")
			     CODED("cccf5598-8b07-4b77-a05e-"
				   "ae952c785ead",
				   "p") CODED("f0306f51-975f-434e-a61c-"
					      "c59651d33983",
					      "t") EI("58a6f841-87b3-4a3e-92fd-"
						      "a8ffeff98427",
						      "%s",
						      "XDSDocumentEntry."
						      "patientId")
				 EI("2e82c1f6-a085-4c72-9da3-8640a32e42ab",
				    "%s",
				    "XDSDocumentEntry.uniqueId") "</"
								 "rim:"
								 "ExtrinsicObj"
								 "ect>"
								 "<rim:"
								 "Association "
								 "id=\"as_%"
								 "s\" "
								 "associationT"
								 "ype="
								 "\"" HASMEM
								 "\" "
								 "sourceObject"
								 "=\"SS1\" "
								 "targetObject"
								 "=\"%"
								 "s\">" SLOT(
								     "Submissi"
								     "onSetSta"
								     "tus",
								     "Origina"
								     "l") "</"
									  "rim"
									  ":As"
									  "soc"
									  "iat"
									  "ion"
									  ">",
	    id, pid, uid, id, id);
}

static const char subset[] = "<rim:RegistryPackage id=\"SS1\">" SLOT(
    "submissionTime", "20240115093000")
    SLOT("intendedRecipient",
	 "|^Wel^Marcus|^^Internet^mwel@direct.example."
	 "org") "<rim:Name><rim:LocalizedString "
		"value=\"TITLE\"/></rim:Name>"
		"<rim:Classification "
		"classificationScheme=\"urn:uuid:"
		"a7058bb9-b4e4-"
		"4307-ba5b-e3f0ab85e12d\" "
		"nodeRepresentation=\"\">" SLOT(
		    "authorTelecommunication",
		    "^^Internet^sender@direct.example."
		    "org") "</rim:Classification>" CODED("aa543740-bdda-424e-"
							 "8c96-df4873be8500",
							 "ct")
		    EI("96fdda7c-d067-4183-912e-"
		       "bf5ee74998a8",
		       "1.2.3.4.1", "XDSSubmissionSet.uniqueId")
			EI("554ac39e-e3fe-47fe-b233-"
			   "965d2a147832",
			   "1.2.3.4", "XDSSubmissionSet.sourceId")
			    EI("6b5aea1a-874d-4603-a4bc-"
			       "96a0a7b38446",
			       PID,
			       "XDSSubmissionSet."
			       "patientId") "</"
					    "rim:"
					    "RegistryPack"
					    "age>"
					    "<rim:"
					    "Classificati"
					    "on "
					    "id=\"cl_"
					    "ss\" "
					    "classifiedOb"
					    "ject="
					    "\"SS1\" "
					    "classificati"
					    "onNode="
					    "\"urn:"
					    "uuid:"
					    "a54d6aa5-"
					    "d40d-43f9-"
					    "88c5-"
					    "b4633d873bdd"
					    "\"/>";

/* A full-metadata submission of n entries (Doc1..Docn), extra appended. */
static void
build(struct fx *f, int n, bool same_uid, const char *pid2, const char *extra)
{
	struct gw_buf b;

	memset(f, 0, sizeof(*f));
	gw_xds_errors_init(&f->errs);
	gw_buf_init(&b, 1 << 20);
	gw_buf_puts(&b, head);
	for (int i = 1; i <= n; i++) {
		char id[16], uid[32];
		if (snprintf(id, sizeof(id), "Doc%d", i) >= (int)sizeof(id) ||
		    snprintf(uid, sizeof(uid), "1.2.3.4.2.%d",
			     same_uid ? 1 : i) >= (int)sizeof(uid))
			break;
		add_entry(&b, id, uid, i == 2 && pid2 != NULL ? pid2 : PID);
		fx_add_part(f, id, "hello", 5);
	}
	gw_buf_puts(&b, subset);
	if (extra != NULL)
		gw_buf_puts(&b, extra);
	gw_buf_puts(&b, tail);
	f->len = b.len;
	f->xml = gw_buf_take(&b);
}

static void
edit(struct fx *f, const char *from, const char *to)
{
	char *r = fx_replace(f->xml, from, to);

	free(f->xml);
	f->xml = r;
	f->len = strlen(r);
}

static bool
has_context(const struct fx *f, const char *text)
{
	for (size_t i = 0; i < f->errs.n; i++)
		if (strstr(f->errs.v[i].context, text) != NULL)
			return true;
	return false;
}

GW_TEST(xds_case_valid)
{
	struct fx f;

	build(&f, 2, false, NULL, NULL);
	CHECK(!fx_run(&f));
	CHECK(fx_codes(&f, ""));
	REQUIRE(f.s != NULL);
	CHECK_INT(f.s->nentries, 2);
	CHECK_STR(f.s->ss_unique_id, "1.2.3.4.1");
	CHECK_STR(f.s->entries[1].unique_id, "1.2.3.4.2.2");
	CHECK_INT(f.s->entries[0].part, 0);
	CHECK_INT(f.s->entries[1].part, 1);
	CHECK_STR(f.s->sender, "sender@direct.example.org");
	CHECK_INT(f.s->nrecipients, 1);
	CHECK_STR(f.s->recipients[0], "mwel@direct.example.org");
	CHECK(!f.s->limited);
	/* Validate twice: same result, no leak of old routing. */
	CHECK_INT(gw_xds_validate(f.s, f.parts, f.nparts, NULL, &f.errs), 0);
	CHECK_INT(f.s->nrecipients, 1);
	fx_dispose(&f);
}

GW_TEST(xds_case_duplicate_uniqueid)
{
	struct fx f;

	build(&f, 2, true, NULL, NULL);
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRepositoryDuplicateUniqueIdInMessage"));
	fx_dispose(&f);
}

GW_TEST(xds_case_patient_mismatch)
{
	struct fx f;

	build(&f, 2, false, "other^^^&amp;1.2.840.1&amp;ISO", NULL);
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSPatientIdDoesNotMatch"));
	CHECK_STR(f.errs.v[0].location, "Doc2");
	fx_dispose(&f);
}

GW_TEST(xds_case_unresolved_reference)
{
	struct fx f;

	build(&f, 1, false, NULL,
	      "<rim:Association id=\"as9\" associationType=\"" HASMEM
	      "\" sourceObject=\"SS1\" targetObject=\"Nowhere\"/>");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "UnresolvedReferenceException"));
	CHECK_STR(f.errs.v[0].location, "Nowhere");
	fx_dispose(&f);
}

GW_TEST(xds_case_missing_document_and_extra_part)
{
	struct fx f;

	build(&f, 1, false, NULL, NULL);
	f.nparts = 0; /* the part record stays allocated for dispose */
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSMissingDocument"));
	f.nparts = 1;
	fx_dispose(&f);

	build(&f, 1, false, NULL, NULL);
	fx_add_part(&f, "Doc9", "x", 1);
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSMissingDocumentMetadata"));
	CHECK_STR(f.errs.v[0].location, "Doc9");
	fx_dispose(&f);
}

GW_TEST(xds_case_hash_size)
{
	struct fx f;

	build(&f, 1, false, NULL, NULL);
	edit(&f, HELLO, "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D");
	CHECK(!fx_run(&f));
	fx_dispose(&f);
	build(&f, 1, false, NULL, NULL);
	edit(&f, HELLO, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434e");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRepositoryMetadataError"));
	fx_dispose(&f);
	build(&f, 1, false, NULL, NULL);
	edit(&f, "<rim:Value>5</rim:Value>", "<rim:Value>6</rim:Value>");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRepositoryMetadataError"));
	fx_dispose(&f);
}

GW_TEST(xds_case_full_vs_limited)
{
	struct fx f;

	build(&f, 1, false, NULL, NULL);
	edit(&f, SLOT("creationTime", "20240115093000"), "");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRegistryMetadataError"));
	CHECK_STR(
	    f.errs.v[0].context,
	    "DocumentEntry Doc1: creationTime is required (XDR full metadata)");
	CHECK_STR(f.errs.v[0].location, "Doc1");
	fx_dispose(&f);

	/* metadata-level minimal: creationTime is R2, never rejected. */
	build(&f, 1, false, NULL, NULL);
	edit(&f, SLOT("creationTime", "20240115093000"), "");
	f.level = gw_xstrdup("minimal");
	f.addr.metadata_level = f.level;
	CHECK(!fx_run(&f));
	CHECK(f.s != NULL && f.s->limited);
	fx_dispose(&f);

	/* limitedMetadata classification does the same. */
	build(&f, 1, false, NULL,
	      "<rim:Classification id=\"lim\" classifiedObject=\"SS1\" "
	      "classificationNode=\"" GW_XDS_SS_LIMITED "\"/>");
	edit(&f, SLOT("creationTime", "20240115093000"), "");
	CHECK(!fx_run(&f));
	CHECK(f.s != NULL && f.s->limited);
	fx_dispose(&f);

	/* uniqueId is R in both columns. */
	build(&f, 1, false, NULL, NULL);
	edit(&f,
	     EI("2e82c1f6-a085-4c72-9da3-8640a32e42ab", "1.2.3.4.2.1",
		"XDSDocumentEntry.uniqueId"),
	     "");
	f.level = gw_xstrdup("minimal");
	f.addr.metadata_level = f.level;
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRegistryMetadataError"));
	CHECK(has_context(&f, "uniqueId is required (XDR limited metadata)"));
	fx_dispose(&f);
}

GW_TEST(xds_case_formats)
{
	static const struct {
		const char *from, *to, *context;
	} cases[] = {
	    {"<rim:Value>20240115093000</rim:Value>",
	     "<rim:Value>2024-01-15</rim:Value>", "is not a DTM"},
	    {"value=\"1.2.3.4\"", "value=\"abc\"", "sourceId \"abc\""},
	    {"value=\"1.2.3.4.1\"", "value=\"1.2.x.3\"", "uniqueId"},
	    {"<rim:Value>5</rim:Value>", "<rim:Value>-5</rim:Value>",
	     "decimal byte count"},
	    {HELLO, "abc", "40 hex digits"},
	    {"mimeType=\"text/plain\"", "mimeType=\"text\"", "mimeType"},
	    {"value=\"XDSSubmissionSet.sourceId\"", "value=\"sourceId\"",
	     "must be named XDSSubmissionSet.sourceId"},
	    {"nodeRepresentation=\"\"", "nodeRepresentation=\"x\"",
	     "nodeRepresentation=\"\""},
	    {"nodeRepresentation=\"t\"", "nodeRepresentation=\"\"",
	     "typeCode has no nodeRepresentation"},
	    {"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
	     "urn:uuid:00000000-975f-434e-a61c-c59651d33983",
	     "unknown classificationScheme"},
	    {HASMEM, "HasMember", "unknown associationType HasMember"},
	    {"<rim:Value>Original</rim:Value>", "<rim:Value>New</rim:Value>",
	     "SubmissionSetStatus"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		build(&f, 1, false, NULL, NULL);
		edit(&f, cases[i].from, cases[i].to);
		CHECK(fx_run(&f));
		CHECK(gw_xds_errors_has(&f.errs, "XDSRegistryMetadataError"));
		if (!has_context(&f, cases[i].context)) {
			fprintf(stderr, "  case %zu: no \"%s\"\n", i,
				cases[i].context);
			CHECK(fx_codes(&f, ""));
		}
		fx_dispose(&f);
	}
}

GW_TEST(xds_case_structure)
{
	struct fx f;

	/* No SubmissionSet classification. */
	build(&f, 1, false, NULL, NULL);
	edit(&f,
	     "classificationNode=\"urn:uuid:a54d6aa5-d40d-43f9-88c5-"
	     "b4633d873bdd\"",
	     "classificationNode=\"urn:uuid:d9d542f3-6cc4-48b6-8870-"
	     "ea235fbc94c2\"");
	CHECK(fx_run(&f));
	CHECK(has_context(&f, "no SubmissionSet"));
	/* ... which made SS1 a Folder: warned, not rejected for that. */
	CHECK(gw_xds_errors_has(&f.errs, "PartialFolderContentNotProcessed"));
	fx_dispose(&f);

	/* DocumentEntry not a member. */
	build(&f, 1, false, NULL, NULL);
	edit(&f, "targetObject=\"Doc1\"", "targetObject=\"as_Doc1\"");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRegistryMetadataError"));
	CHECK(has_context(&f, "not a member"));
	fx_dispose(&f);

	/* ExtrinsicObject without id. */
	build(&f, 1, false, NULL, NULL);
	edit(&f, "<rim:ExtrinsicObject id=\"Doc1\"", "<rim:ExtrinsicObject");
	CHECK(fx_run(&f));
	CHECK(has_context(&f, "has no id attribute"));
	CHECK(gw_xds_errors_has(&f.errs, "XDSMissingDocumentMetadata"));
	fx_dispose(&f);
}

GW_TEST(xds_case_rplc_warning_only)
{
	struct fx f;

	build(&f, 1, false, NULL,
	      "<rim:Association id=\"rp\" "
	      "associationType=\"urn:ihe:iti:2007:AssociationType:RPLC\" "
	      "sourceObject=\"Doc1\" "
	      "targetObject=\"urn:uuid:1f4c5b0a-8d3e-4c41-9d71-2b1c0a9e7f11\"/>"
	      "<rim:Association id=\"sg\" "
	      "associationType=\"urn:ihe:iti:2007:AssociationType:signs\" "
	      "sourceObject=\"Doc1\" targetObject=\"Doc1\"/>");
	CHECK(!fx_run(&f));
	CHECK(fx_codes(&f, "PartialReplaceContentNotProcessed,"
			   "PartialRelationshipContentNotProcessed"));
	CHECK(!gw_xds_errors_failed(&f.errs));
	CHECK_INT(f.errs.v[0].severity, GW_XDS_SEV_WARNING);
	CHECK_STR(gw_xds_severity_urn(f.errs.v[0].severity),
		  "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning");
	fx_dispose(&f);
}

/* The ONC XDR validator's value rules: XON, XCN, sourcePatient*. */
GW_TEST(xds_case_author_and_patient_formats)
{
	/* Values as they appear in the XML (& escaped). */
	static const struct {
		const char *slot, *value;
		bool ok;
	} cases[] = {
	    {"authorInstitution", "Some Hospital", true},
	    {"authorInstitution", "Some Hospital^^^^^^^^^1.2.3.4.5", true},
	    {"authorInstitution",
	     "Some Hospital^^^^^&amp;1.2.3.4&amp;ISO^^^^45", true},
	    {"authorInstitution", "^^^^^^^^^1.2.3.4.5", false},
	    {"authorInstitution", "Some Hospital^^^^^^^^^45", false},
	    {"authorInstitution", "Some Hospital^^^^^&amp;1.2.3.4&amp;L^^^^45",
	     false},
	    {"authorInstitution", "Some Hospital^x", false},
	    {"authorPerson", "^Seven^Henry^^^Dr", true},
	    {"authorPerson", "KP00017^^^^^^^^&amp;1.2.3&amp;ISO", true},
	    {"authorPerson", "KP00017", true},
	    {"authorPerson", "^Seven", false},
	    {"authorPerson", "KP00017^^^^^^^^&amp;notoid&amp;ISO", false},
	    {"sourcePatientId", "8273645^^^&amp;1.2.3.4&amp;ISO", true},
	    {"sourcePatientId", "8273645", false},
	    {"sourcePatientInfo", "PID-5|Doe^John", true},
	    {"sourcePatientInfo", "PID-3|1^^^&amp;1.2.3&amp;ISO", true},
	    {"sourcePatientInfo", "PID-3|1^^^&amp;x&amp;ISO", false},
	    {"sourcePatientInfo", "Doe^John", false},
	    {"sourcePatientInfo", "PID-5|a|b", false},
	};
	static const char name[] =
	    "<rim:Name><rim:LocalizedString value=\"Note\"/></rim:Name>";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *n = cases[i].slot, *v = cases[i].value;
		char from[256], to[1024];
		int k;
		struct fx f;

		build(&f, 1, false, NULL, NULL);
		if (strcmp(n, "sourcePatientId") == 0) {
			k = snprintf(from, sizeof(from), "%s",
				     SLOT("sourcePatientId", PID));
			if (k > 0)
				k = snprintf(to, sizeof(to), SLOT("%s", "%s"),
					     n, v);
		} else if (strcmp(n, "sourcePatientInfo") == 0) {
			k = snprintf(from, sizeof(from), "%s", name);
			if (k > 0)
				k = snprintf(to, sizeof(to),
					     SLOT("%s", "%s") "%s", n, v, name);
		} else {
			/* A DocumentEntry author with this one slot. */
			k = snprintf(from, sizeof(from), "%s", name);
			if (k > 0)
				k = snprintf(
				    to, sizeof(to),
				    "%s<rim:Classification "
				    "classificationScheme=\"urn:uuid:93606bcf-"
				    "9494-43ec-9b4e-a7748d1a838d\" "
				    "nodeRepresentation=\"\">" SLOT(
					"%s", "%s") "</rim:Classification>",
				    name, n, v);
		}
		REQUIRE(k > 0 && (size_t)k < sizeof(to));
		edit(&f, from, to);
		if (cases[i].ok == fx_run(&f)) {
			char m[300];

			if (snprintf(m, sizeof(m), "%s \"%s\" should %s", n, v,
				     cases[i].ok ? "pass" : "fail") < 0)
				abort();
			gw_test_fail(__FILE__, __LINE__, m);
		}
		if (!cases[i].ok)
			CHECK(fx_codes(&f, "XDSRegistryMetadataError"));
		fx_dispose(&f);
	}
}

GW_TEST(xds_case_routing)
{
	struct fx f;

	/* direct:to wins, mailto: stripped, case-insensitive dedupe. */
	build(&f, 1, false, NULL, NULL);
	f.to[f.nto++] = gw_xstrdup("MAILTO:a@b.example.org");
	f.to[f.nto++] = gw_xstrdup("mailto:A@B.example.org");
	f.to[f.nto++] = gw_xstrdup("c@b.example.org");
	f.from = gw_xstrdup("mailto:me@b.example.org");
	f.addr.to = (const char *const *)f.to;
	f.addr.nto = f.nto;
	f.addr.from = f.from;
	CHECK(!fx_run(&f));
	REQUIRE(f.s != NULL);
	CHECK_INT(f.s->nrecipients, 2);
	CHECK_STR(f.s->recipients[0], "a@b.example.org");
	CHECK_STR(f.s->sender, "me@b.example.org");
	fx_dispose(&f);

	/* Nothing to route to or from. */
	build(&f, 1, false, NULL, NULL);
	edit(&f,
	     SLOT("intendedRecipient",
		  "|^Wel^Marcus|^^Internet^mwel@direct.example.org"),
	     "");
	/* The SubmissionSet author is a person (a valid XCN), no e-mail. */
	edit(&f, "^^Internet^sender@direct.example.org", "^Sender^Sam");
	edit(&f, "authorTelecommunication", "authorPerson");
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRepositoryError"));
	CHECK(has_context(&f, "no Direct recipient: neither direct:to nor "
			      "intendedRecipient"));
	CHECK(has_context(&f, "no Direct sender"));
	fx_dispose(&f);

	/* Bad direct:to syntax. */
	build(&f, 1, false, NULL, NULL);
	f.to[f.nto++] = gw_xstrdup("mailto:a b@example.org");
	f.addr.to = (const char *const *)f.to;
	f.addr.nto = f.nto;
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRepositoryError"));
	fx_dispose(&f);
}

/* --- parser ------------------------------------------------------------- */

static int
parse_with(const char *xml, const struct gw_xds_limits *lim,
	   struct gw_xds_errors *errs)
{
	struct gw_xds_submission *s = NULL;
	int rc = gw_xdsxml_parse(xml, strlen(xml), lim, &s, errs);

	if (rc != 0 && s != NULL)
		rc = 99;
	gw_xds_submission_free(s);
	return rc;
}

GW_TEST(xds_parse_rejects)
{
	static const char *const bad[] = {
	    "<lcm:SubmitObjectsRequest", /* not well-formed */
	    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>"
	    "<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-"
	    "regrep:xsd:lcm:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:"
	    "xsd:rim:3.0\"><rim:RegistryObjectList/>"
	    "</lcm:SubmitObjectsRequest>",
	    "<rs:SubmitObjectsRequest xmlns:rs=\"urn:oasis:names:tc:ebxml-"
	    "regrep:registry:xsd:2.1\"/>",
	    "<x:Other xmlns:x=\"urn:x\"/>",
	    "<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-"
	    "regrep:xsd:lcm:3.0\"/>",
	};
	struct fx f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_xds_errors e;
		gw_xds_errors_init(&e);
		CHECK_INT(parse_with(bad[i], NULL, &e), GW_EPARSE);
		CHECK_INT(e.n, 1);
		CHECK(gw_xds_errors_has(&e, "XDSRegistryMetadataError"));
		gw_xds_errors_dispose(&e);
	}
	/* Element order: Name before Slot; Name twice; text in a list. */
	build(&f, 1, false, NULL, NULL);
	edit(&f, "<rim:RegistryPackage id=\"SS1\">",
	     "<rim:RegistryPackage id=\"SS1\"><rim:Name/>");
	CHECK(fx_run(&f));
	CHECK_INT(f.parse_rc, GW_EPARSE);
	CHECK(has_context(&f, "out of order"));
	fx_dispose(&f);
	build(&f, 1, false, NULL, NULL);
	edit(&f, "</rim:Name>", "</rim:Name><rim:Name/>");
	CHECK(fx_run(&f));
	CHECK_INT(f.parse_rc, GW_EPARSE);
	fx_dispose(&f);
	build(&f, 1, false, NULL, "stray text");
	CHECK(fx_run(&f));
	CHECK_INT(f.parse_rc, GW_EPARSE);
	fx_dispose(&f);
}

GW_TEST(xds_parse_limits)
{
	struct fx f;
	struct gw_xds_limits lim = {0};
	struct gw_xds_errors e;
	size_t nobj;
	char title[201];

	build(&f, 1, false, NULL, NULL);
	memset(title, 'T', 200);
	title[200] = '\0';
	edit(&f, "TITLE", title);
	/* Deepest path: SOR/ROL/EO/Classification/Slot/ValueList/Value. */
	gw_xds_errors_init(&e);
	lim.max_depth = 7;
	CHECK_INT(parse_with(f.xml, &lim, &e), 0);
	lim.max_depth = 6;
	CHECK_INT(parse_with(f.xml, &lim, &e), GW_ELIMIT);
	CHECK_INT(e.n, 1);
	CHECK(has_context(&(struct fx){.errs = e}, "limit 6"));
	gw_xds_errors_dispose(&e);

	/* Registry objects: count them, then allow one fewer. */
	CHECK(!fx_run(&f));
	REQUIRE(f.s != NULL);
	nobj = f.s->nobjects + f.s->nclasses + f.s->nextids + f.s->nassocs +
	       f.s->nrefs;
	memset(&lim, 0, sizeof(lim));
	lim.max_objects = (unsigned)nobj;
	CHECK_INT(parse_with(f.xml, &lim, &e), 0);
	lim.max_objects = (unsigned)nobj - 1;
	CHECK_INT(parse_with(f.xml, &lim, &e), GW_ELIMIT);
	gw_xds_errors_dispose(&e);

	/* Value length: the 200-byte title is the longest value. */
	memset(&lim, 0, sizeof(lim));
	lim.max_value_len = 200;
	CHECK_INT(parse_with(f.xml, &lim, &e), 0);
	lim.max_value_len = 199;
	CHECK_INT(parse_with(f.xml, &lim, &e), GW_ELIMIT);
	gw_xds_errors_dispose(&e);
	fx_dispose(&f);
}

GW_TEST(xds_predicates)
{
	CHECK(gw_xds_is_dtm("2024"));
	CHECK(gw_xds_is_dtm("20240115093000"));
	CHECK(!gw_xds_is_dtm("202401150930001"));
	CHECK(!gw_xds_is_dtm("20241315"));
	CHECK(!gw_xds_is_dtm("2024011"));
	CHECK(!gw_xds_is_dtm("20240115093000+0100"));
	CHECK(gw_xds_is_oid("1.2.840.113619"));
	CHECK(!gw_xds_is_oid("1"));
	CHECK(!gw_xds_is_oid("1..2"));
	CHECK(!gw_xds_is_oid("1.2."));
	CHECK(gw_xds_is_oid("1.02")); /* tolerated, see oid_span() */
	CHECK(!gw_xds_is_oid("1.2a"));
	CHECK(gw_xds_is_cx("8273645^^^&1.3.6.1.4.1.21367.13.20.1000&ISO"));
	CHECK(!gw_xds_is_cx("8273645^^&1.3.6&ISO"));
	CHECK(!gw_xds_is_cx("^^^&1.3.6&ISO"));
	CHECK(!gw_xds_is_cx("1^^^&GSIHealth&ISO"));
	CHECK(gw_xds_is_uniqueid("1.2.3^abc"));
	CHECK(gw_xds_is_uniqueid(
	    "urn:uuid:1f4c5b0a-8d3e-4c41-9d71-2b1c0a9e7f11"));
	CHECK(!gw_xds_is_uniqueid("Document01"));
	CHECK(!gw_xds_is_uniqueid("1.2.3^"));
	CHECK(gw_xds_is_address("dr.smith@direct.example.org"));
	CHECK(!gw_xds_is_address("a b@example.org"));
	CHECK(!gw_xds_is_address("a@b@example.org"));
	CHECK(!gw_xds_is_address("@example.org"));
	CHECK(!gw_xds_is_address("a@-x.org"));
	CHECK(!gw_xds_is_address("a@"));
	CHECK(!gw_xds_is_address("a.@x.org"));
}

GW_TEST(xds_timing)
{
	struct fx f;
	struct timespec t0, t1;
	const int rounds = 200;
	double us;

	build(&f, 1, false, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < rounds; i++) {
		struct gw_xds_submission *s = NULL;
		struct gw_xds_errors e;
		gw_xds_errors_init(&e);
		CHECK_INT(gw_xdsxml_parse(f.xml, f.len, NULL, &s, &e), 0);
		if (s != NULL)
			CHECK_INT(
			    gw_xds_validate(s, f.parts, f.nparts, NULL, &e), 0);
		gw_xds_submission_free(s);
		gw_xds_errors_dispose(&e);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
	     rounds;
	fprintf(stderr, "  parse+validate %zu bytes: %.1f us\n", f.len, us);
	fx_dispose(&f);
}
