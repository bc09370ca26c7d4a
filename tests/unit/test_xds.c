/*
 * Unit tests for xds and xdsxml against the shared corpus
 * (xdr/EXPECTED.md): each case asserts the status and the exact set of
 * error codes.
 */
#include "harness.h"

#include <stdlib.h>

#include "err.h"
#include "test_xds_support.h"
#include "xds.h"
#include "xdsxml.h"

#define ETT "xdr/ett/xdrMessageFactory/"
#define MV  "xdr/nist-toolkit/messagevalidator-testdata/"
#define TK  "xdr/nist-toolkit/testkit-tests/"

/* ETT template tokens. */
static const char *const ett_subst[] = {
    "#DIRECT_FROM#",
    "mailto:ett.sender@direct.example.org",
    "#DIRECT_TO#",
    "mailto:hisp.recipient@direct.example.org",
    "#WSA_TO#",
    "https://hisp.example.org/xdr",
    "#MESSAGE_ID#",
    "urn:uuid:2b0f6a52-7f36-4b83-9d3b-1f1a8c0e4d21",
    "#UNIQUE_ID_SS#",
    "1.3.6.1.4.1.21367.2024.7.1",
    "#UNIQUE_ID#",
    "1.3.6.1.4.1.21367.2024.7.2",
    "#PATIENT_ID#",
    "1^^^&amp;2.16.840.1.113883.4.6&amp;ISO",
    NULL};

/* --- NIST XDS toolkit test kit ------------------------------------------ */

/*
 * Run one testkit step and compare with its testplan.xml. The plans
 * carry no Direct headers; where the metadata has no intendedRecipient
 * (or no authorTelecommunication) a test addressing is supplied so that
 * routing does not mask the metadata expectation.
 */
static void
nist_case(const char *dir, bool test_addr, const char *codes)
{
	struct fx f;
	bool failed;

	REQUIRE(fx_load_nist(&f, dir));
	if (test_addr)
		fx_test_addressing(&f);
	failed = fx_run(&f);
	CHECK_STR(f.expected_status, failed ? "Failure" : "Success");
	if (f.expected_code[0] != '\0')
		CHECK(gw_xds_errors_has(&f.errs, f.expected_code));
	CHECK(fx_codes(&f, codes));
	fx_dispose(&f);
}

GW_TEST(xds_nist_12371_intended_recipient)
{
	struct fx f;

	/* intendedRecipient routes; the author has no telecom: test from. */
	REQUIRE(fx_load_nist(&f, TK "12371/submit"));
	f.from = NULL;
	f.addr.from = "mailto:test.from@direct.example.org";
	CHECK(!fx_run(&f));
	CHECK_STR(f.expected_status, "Success");
	CHECK(fx_codes(&f, ""));
	REQUIRE(f.s != NULL);
	CHECK_INT(f.s->nrecipients, 2);
	if (f.s->nrecipients == 2) {
		CHECK_STR(f.s->recipients[0], "mwel@healthcare.example.org");
		CHECK_STR(f.s->recipients[1], "apeter@healthcare.example.org");
	}
	CHECK_STR(f.s->sender, "test.from@direct.example.org");
	CHECK_INT(f.s->entries[0].part, 0);
	fx_dispose(&f);
}

GW_TEST(xds_nist_12373_two_docs)
{
	nist_case(TK "12373/submit", true, "");
}

GW_TEST(xds_nist_12375_limited)
{
	nist_case(TK "12375/submit", true, "");
}

GW_TEST(xds_nist_12376_limited_unlabelled)
{
	nist_case(TK "12376/submit", true, "XDSRegistryMetadataError");
}

GW_TEST(xds_nist_11966_11979_11981)
{
	nist_case(TK "11966/submit", true, "");
	nist_case(TK "11979/submit", true, "");
	nist_case(TK "11981/submit", true, "");
	nist_case(TK "11981/submit_uppercase_hash", true, "");
	nist_case(TK "11981/submit_bad_hash", true,
		  "XDSRepositoryMetadataError");
	nist_case(TK "11981/submit_bad_size", true,
		  "XDSRepositoryMetadataError");
}

/* --- ETT XDR message factory --------------------------------------------- */

static void
ett_case(const char *file, bool want_fail, const char *codes)
{
	struct fx f;

	REQUIRE(fx_load(&f, file, ett_subst));
	CHECK_INT(fx_run(&f), want_fail);
	CHECK(fx_codes(&f, codes));
	if (!want_fail && f.s != NULL) {
		CHECK_STR(f.s->sender, "ett.sender@direct.example.org");
		CHECK_INT(f.s->nrecipients, 1);
	}
	fx_dispose(&f);
}

GW_TEST(xds_ett_positive)
{
	struct fx f;

	ett_case(ETT "Xdr_full_metadata_only.xml", false, "");
	ett_case(ETT "Xdr_minimal_metadata_only.xml", false, "");
	/* metadata-level minimal switches to the XDR MS column. */
	REQUIRE(fx_load(&f, ETT "Xdr_minimal_metadata_only.xml", ett_subst));
	CHECK(!fx_run(&f));
	CHECK(f.s != NULL && f.s->limited);
	fx_dispose(&f);
	REQUIRE(fx_load(&f, ETT "Xdr_full_metadata_only.xml", ett_subst));
	CHECK(!fx_run(&f));
	CHECK(f.s != NULL && !f.s->limited);
	fx_dispose(&f);
}

GW_TEST(xds_ett_no_soap_variants)
{
	struct fx f;

	/* Body-only variants: no Direct headers, so intendedRecipient and
	 * authorTelecommunication route; ETT's minimal one without them
	 * must be routed by a test addressing. */
	REQUIRE(
	    fx_load(&f, ETT "Xdr_full_metadata_only_no_soap.xml", ett_subst));
	fx_parts_from_entries(&f);
	CHECK(!fx_run(&f));
	CHECK(fx_codes(&f, ""));
	CHECK_STR(f.s != NULL ? f.s->recipients[0] : NULL,
		  "mwel@healthcare.example.org");
	fx_dispose(&f);
	REQUIRE(fx_load(&f,
			ETT "Xdr_minimal_metadata_only_no_soap_no_routing.xml",
			ett_subst));
	fx_parts_from_entries(&f);
	CHECK(fx_run(&f));
	/* No metadata-level header: full column, and nowhere to route. */
	CHECK(gw_xds_errors_has(&f.errs, "XDSRepositoryError"));
	fx_dispose(&f);
}

GW_TEST(xds_ett_negative)
{
	/* limited metadata, DocumentEntry uniqueId missing */
	ett_case(ETT "negative_missing_metadata_elements1.xml", true,
		 "XDSRegistryMetadataError");
	/* limited metadata, SubmissionSet sourceId missing */
	ett_case(ETT "negative_missing_metadata_elements2.xml", true,
		 "XDSRegistryMetadataError");
	/*
	 * ExtrinsicObject without id, author without nodeRepresentation:
	 * the classifications, identifiers and association still name
	 * Document01, which no longer exists (UnresolvedReferenceException),
	 * and xds:Document Document01 has no entry.
	 */
	ett_case(ETT "negative_missing_metadata_elements4.xml", true,
		 "XDSRegistryMetadataError,XDSMissingDocumentMetadata,"
		 "UnresolvedReferenceException");
	/* full metadata, creationTime missing */
	ett_case(ETT "negative_missing_metadata_elements5.xml", true,
		 "XDSRegistryMetadataError");
	/* sourcePatientId / sourcePatientInfo missing */
	ett_case(ETT "negative_missing_metadata_elements_old.xml", true,
		 "XDSRegistryMetadataError");
}

GW_TEST(xds_ett_negative_context)
{
	struct fx f;
	bool found = false;

	REQUIRE(fx_load(&f, ETT "negative_missing_metadata_elements5.xml",
			ett_subst));
	CHECK(fx_run(&f));
	for (size_t i = 0; i < f.errs.n; i++)
		if (strcmp(f.errs.v[i].context,
			   "DocumentEntry Document01: creationTime is required "
			   "(XDR full metadata)") == 0 &&
		    f.errs.v[i].location != NULL &&
		    strcmp(f.errs.v[i].location, "Document01") == 0)
			found = true;
	CHECK(found);
	CHECK_INT(f.errs.n, 1);
	fx_dispose(&f);
}

/* --- NIST message validator test data ------------------------------------ */

/* These bodies carry no xds:Document and no Direct headers: one part per
 * ExtrinsicObject and a test addressing stand in for the envelope. */
static void
mv_case(const char *file, bool want_fail, const char *codes)
{
	struct fx f;

	REQUIRE(fx_load(&f, file, NULL));
	fx_parts_from_entries(&f);
	fx_test_addressing(&f);
	CHECK_INT(fx_run(&f), want_fail);
	CHECK(fx_codes(&f, codes));
	fx_dispose(&f);
}

GW_TEST(xds_mv_pnr)
{
	mv_case(MV "pnr.xml", false, "");
	mv_case(MV "pnr-limited.xml", false, "");
	mv_case(MV "soap-pnr.xml", false, "");
}

GW_TEST(xds_mv_element_order)
{
	struct fx f;

	mv_case(MV "pnr-element-order.xml", true, "XDSRegistryMetadataError");
	mv_case(MV "soap-pnr-element-order.xml", true,
		"XDSRegistryMetadataError");
	REQUIRE(fx_load(&f, MV "pnr-element-order.xml", NULL));
	CHECK(fx_run(&f));
	CHECK_INT(f.parse_rc, GW_EPARSE);
	CHECK(f.s == NULL);
	CHECK_INT(f.errs.n, 1);
	fx_dispose(&f);
}

GW_TEST(xds_mv_assoc_to_self)
{
	mv_case(MV "pnr-assoc-to-self.xml", true, "XDSRegistryMetadataError");
}

/* --- CONNECT and Direct RI samples ---------------------------------------- */

GW_TEST(xds_connect_samples)
{
	struct fx f;

	/*
	 * Both CONNECT samples are older-style PnR bodies that are not
	 * valid XDR metadata, so the expectation is Failure:
	 * associationType "HasMember" is the ebRIM 2.1 spelling (so the
	 * DocumentEntry is not a member), author classifications lack
	 * nodeRepresentation, SubmissionSet sourceId 3670984664 is not an
	 * OID. Routing is supplied by a test addressing.
	 */
	REQUIRE(fx_load(
	    &f, "xdr/connect/ProvideAndRegisterDocumentSet-bRequest.xml",
	    NULL));
	CHECK_INT(f.nparts, 1);
	fx_test_addressing(&f);
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRegistryMetadataError"));
	fx_dispose(&f);
	/* Same defects; its intendedRecipient values carry no XTN e-mail
	 * (and sit on the DocumentEntry), so without direct:to the request
	 * also cannot be routed. */
	REQUIRE(fx_load(
	    &f,
	    "xdr/connect/ProvideAndRegisterDocumentSet-IntendedRecpient.xml",
	    NULL));
	CHECK(fx_run(&f));
	CHECK(fx_codes(&f, "XDSRegistryMetadataError,XDSRepositoryError"));
	fx_dispose(&f);
}

GW_TEST(xds_direct_ri_request)
{
	struct fx f;

	/*
	 * windows-1252 declaration, blanks before the root: the test
	 * re-serializes the SubmitObjectsRequest as UTF-8. The RI sample
	 * derives from the CONNECT one (same defects as above) and its
	 * DocumentEntry patientId "111111111^^&..." has a caret missing, so
	 * it is not a CX and differs from the SubmissionSet patientId.
	 */
	REQUIRE(fx_load(&f, "xdr/direct-ri-xd/request.xml", NULL));
	CHECK_INT(f.nparts, 1);
	fx_test_addressing(&f);
	CHECK(fx_run(&f));
	CHECK(
	    fx_codes(&f, "XDSRegistryMetadataError,XDSPatientIdDoesNotMatch"));
	fx_dispose(&f);
}
