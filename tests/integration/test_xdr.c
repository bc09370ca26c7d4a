/*
 * Integration: the ITI-41 endpoint of the real daemon on 127.0.0.1 with
 * the real corpus (ETT templates, NIST toolkit test plans and captures)
 * and dxgw submit as the EHR.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "itest.h"
#include "store.h"
#include "xdrtest.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

static bool
up(struct gw_daemon *d, const char *conf)
{
	if (!gw_daemon_start(d, conf)) {
		gw_test_fail(__FILE__, __LINE__, "daemon start");
		return false;
	}
	return true;
}

/* ---- dxgw submit as the EHR ---------------------------------------- */

static int
submit(const struct gw_daemon *d, const char *args, char **out)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s submit --url %s %s", gw_dxgw(), d->url,
		 args);
	return gw_run(cmd, out);
}

GW_TEST(xdr_submit_full_metadata_ccda)
{
	struct gw_daemon d;
	struct gw_store_record *rec = NULL;
	struct gw_store *st = NULL;
	struct gw_err err;
	char args[1024], spec[400], spool[400];
	char *out = NULL;

	if (!up(&d, NULL))
		return;
	snprintf(
	    args, sizeof(args),
	    "--from dr.a@direct.dxgw.test --to dr.b@direct.other.test "
	    "--facility-code \"OF^2.16.840.1.113883.5.11^Outpatient facility\" "
	    "--practice-code \"408443003^2.16.840.1.113883.6.96^General "
	    "medical "
	    "practice\" "
	    "--message-id urn:uuid:6e1c1a4e-2f6a-4a59-9a3e-7f0d5c3b9a01 "
	    "%s/%s",
	    gw_test_corpus(), CCD);
	CHECK_INT(submit(&d, args, &out), 0);
	CHECK(gw_str_has(out, "status: Success"));
	CHECK(gw_str_has(
	    out, "relates-to: urn:uuid:6e1c1a4e-2f6a-4a59-9a3e-7f0d5c3b9a01"));
	free(out);
	snprintf(spec, sizeof(spec), "sqlite:%s", d.db);
	snprintf(spool, sizeof(spool), "%s/spool", d.dir);
	REQUIRE(gw_store_open(spec, spool, &st, &err) == 0);
	CHECK_INT(gw_store_submission_find(
		      st, "anonymous",
		      "urn:uuid:6e1c1a4e-2f6a-4a59-9a3e-7f0d5c3b9a01", &rec,
		      &err),
		  0);
	if (rec != NULL) {
		CHECK_STR(rec->sender, "dr.a@direct.dxgw.test");
		CHECK_INT(rec->nrecipients, 1);
		CHECK_STR(rec->recipients[0].address, "dr.b@direct.other.test");
		CHECK_STR(rec->recipients[0].state, "queued");
		CHECK_INT(rec->ndocs, 1);
		CHECK_STR(rec->metadata_level, "XDS");
		if (rec->ndocs == 1) {
			size_t a = 0, b = 0;
			char *orig = xt_corpus(CCD, &a);
			char *kept = gw_test_slurp(rec->docs[0].path, &b);

			CHECK(orig && kept && a == b &&
			      memcmp(orig, kept, a) == 0);
			free(orig);
			free(kept);
		}
	}
	gw_store_record_free(rec);
	gw_store_close(st);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/*
 * --explain sends nothing (no --url needed) and names the CDA element of
 * each value; without --facility-code/--practice-code a C-CDA now makes
 * full metadata from the stylesheet's defaults, which the daemon takes.
 */
GW_TEST(xdr_submit_explain_and_defaults)
{
	struct gw_daemon d;
	char cmd[2048], conf[600];
	char *out = NULL;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s submit --explain %s/%s", gw_dxgw(),
		 gw_test_corpus(), CCD);
	CHECK_INT(gw_run(cmd, &out), 0);
	CHECK(gw_str_has(out, "  uniqueId "));
	CHECK(gw_str_has(out, "from /ClinicalDocument/id[1]"));
	CHECK(gw_str_has(out, "from /ClinicalDocument/recordTarget[1]/"
			      "patientRole[1]/id[1]"));
	CHECK(gw_str_has(out, "practiceSettingCode         394802001^"));
	CHECK(gw_str_has(out, "metadata: ok (full metadata, XDR DS)"));
	free(out);
	out = NULL;
	/* -c: the config file's defaults, named as the source. */
	snprintf(conf, sizeof(conf), "%s/cda.conf", gw_test_tmpdir());
	f = fopen(conf, "w");
	REQUIRE(f != NULL);
	fputs("cda_facility_type_code =\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s submit --explain -c %s %s/%s", gw_dxgw(),
		 conf, gw_test_corpus(), CCD);
	CHECK_INT(gw_run(cmd, &out), 1);
	CHECK(gw_str_has(out, "from config cda_practice_setting_code"));
	CHECK(gw_str_has(out, "metadata: refused: Document01: "
			      "healthcareFacilityTypeCode is required"));
	free(out);
	out = NULL;
	if (!up(&d, NULL))
		return;
	snprintf(cmd, sizeof(cmd),
		 "--from dr.a@direct.dxgw.test --to dr.b@direct.other.test "
		 "%s/%s",
		 gw_test_corpus(), CCD);
	CHECK_INT(submit(&d, cmd, &out), 0);
	CHECK(gw_str_has(out, "status: Success"));
	free(out);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(xdr_submit_limited_multi_doc_multi_recipient)
{
	struct gw_daemon d;
	char args[2048];
	char *out = NULL;
	const char *dir;
	char p1[400], p2[400];
	FILE *f;

	if (!up(&d, NULL))
		return;
	dir = gw_test_tmpdir();
	snprintf(p1, sizeof(p1), "%s/note.txt", dir);
	snprintf(p2, sizeof(p2), "%s/scan.pdf", dir);
	f = fopen(p1, "w");
	fputs("plain text note\n", f);
	fclose(f);
	f = fopen(p2, "w");
	fputs("%PDF-1.4 not really\n", f);
	fclose(f);
	snprintf(
	    args, sizeof(args),
	    "--limited --from a@direct.dxgw.test --to b@x.test --to c@y.test "
	    "--to b@x.test %s %s %s/%s",
	    p1, p2, gw_test_corpus(), CCD);
	CHECK_INT(submit(&d, args, &out), 0);
	CHECK(gw_str_has(out, "status: Success"));
	free(out);
	CHECK_INT(xt_count_submissions(&d), 1);
	/* Full metadata for a plain file needs the codes: a local error. */
	snprintf(args, sizeof(args),
		 "--from a@direct.dxgw.test --to b@x.test %s", p1);
	CHECK_INT(submit(&d, args, &out), 2);
	CHECK(gw_str_has(out, "metadata"));
	free(out);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* ---- ETT XDR message factory -------------------------------------- */

struct ett_case {
	const char *file;
	bool success;
	const char *codes[3];
	bool fault;
};

static const struct ett_case ett_cases[] = {
    {"Xdr_full_metadata.xml", true, {NULL}, false},
    {"Xdr_minimal_metadata.xml", true, {NULL}, false},
    {"negative_missing_metadata_elements1.xml",
     false,
     {"XDSRegistryMetadataError"},
     false},
    {"negative_missing_metadata_elements2.xml",
     false,
     {"XDSRegistryMetadataError"},
     false},
    {"negative_missing_metadata_elements4.xml",
     false,
     {"XDSRegistryMetadataError", "XDSMissingDocumentMetadata"},
     false},
    {"negative_missing_metadata_elements5.xml",
     false,
     {"XDSRegistryMetadataError"},
     false},
    {"negative_missing_metadata_elements_old.xml",
     false,
     {"XDSRegistryMetadataError"},
     false},
    {"negative_bad_soap.xml", false, {NULL}, true},
};

GW_TEST(xdr_ett_templates)
{
	struct gw_daemon d;
	size_t doclen = 0;
	char *doc = xt_corpus(CCD, &doclen);

	REQUIRE(doc != NULL);
	if (!up(&d, NULL)) {
		free(doc);
		return;
	}
	for (size_t i = 0; i < sizeof(ett_cases) / sizeof(ett_cases[0]); i++) {
		const struct ett_case *c = &ett_cases[i];
		struct gw_http_resp r;
		char *env = xt_ett(c->file, d.url, NULL);

		if (env == NULL) {
			printf("    missing corpus file %s\n", c->file);
			gw_test_fail(__FILE__, __LINE__, c->file);
			continue;
		}
		if (!xt_post_with_doc(&d, env, doc, doclen, &r)) {
			gw_test_fail(__FILE__, __LINE__, "post");
			free(env);
			continue;
		}
		printf("    %s -> HTTP %d\n", c->file, r.status);
		if (c->fault) {
			CHECK(r.status >= 400);
			CHECK(gw_str_has(r.body, "Fault"));
		} else {
			CHECK_INT(r.status, 200);
			CHECK(gw_str_has(r.body,
					 c->success ? RS_SUCCESS : RS_FAILURE));
			CHECK(gw_str_has(
			    r.body, "ProvideAndRegisterDocumentSet-bResponse"));
			for (int k = 0; k < 3 && c->codes[k]; k++)
				if (xt_count_code(r.body, c->codes[k]) < 1) {
					printf("    %s: expected %s "
					       "in:\n%.2000s\n",
					       c->file, c->codes[k], r.body);
					gw_test_fail(__FILE__, __LINE__,
						     c->codes[k]);
				}
			if (c->success && !gw_str_has(r.body, RS_SUCCESS))
				printf("%.3000s\n", r.body);
		}
		gw_http_resp_dispose(&r);
		free(env);
	}
	/* Only the two positive templates were stored. */
	CHECK_INT(xt_count_submissions(&d), 2);
	free(doc);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/*
 * Without direct:addressBlock the recipients come from intendedRecipient
 * and the sender from authorTelecommunication (SPEC 3.2 routing
 * precedence); this ETT template carries both. Without them too, there is
 * nobody to send to: Failure, XDSRepositoryError.
 */
GW_TEST(xdr_ett_missing_direct_block_routes_by_metadata)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	struct gw_store_record *rec = NULL;
	struct gw_store *st = NULL;
	struct gw_err err;
	size_t doclen = 0;
	char *doc = xt_corpus(CCD, &doclen);
	char *env, *noroute;
	char msgid[64], spec[400], spool[400];

	REQUIRE(doc != NULL);
	if (!up(&d, NULL)) {
		free(doc);
		return;
	}
	xt_msgid(msgid);
	env = xt_ett("negative_missing_direct_block.xml", d.url, msgid);
	REQUIRE(env != NULL);
	REQUIRE(xt_post_with_doc(&d, env, doc, doclen, &r));
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	if (gw_test_failed())
		printf("%.3000s\n", r.body);
	gw_http_resp_dispose(&r);
	snprintf(spec, sizeof(spec), "sqlite:%s", d.db);
	snprintf(spool, sizeof(spool), "%s/spool", d.dir);
	REQUIRE(gw_store_open(spec, spool, &st, &err) == 0);
	CHECK_INT(gw_store_submission_find(st, "anonymous", msgid, &rec, &err),
		  0);
	if (rec != NULL) {
		CHECK_STR(rec->sender, "john.doe@healthcare.example.org");
		CHECK_INT(rec->nrecipients, 1);
		if (rec->nrecipients == 1)
			CHECK_STR(rec->recipients[0].address,
				  "mwel@healthcare.example.org");
	}
	gw_store_record_free(rec);
	gw_store_close(st);

	noroute = gw_str_replace(env, "name=\"intendedRecipient\"",
				 "name=\"x-no-intendedRecipient\"");
	free(env);
	{
		char msgid2[64];

		xt_msgid(msgid2);
		env = gw_str_replace(noroute, msgid, msgid2);
	}
	REQUIRE(xt_post_with_doc(&d, env, doc, doclen, &r));
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, RS_FAILURE));
	CHECK_INT(xt_count_code(r.body, "XDSRepositoryError"), 1);
	CHECK(gw_str_has(r.body, "recipient"));
	gw_http_resp_dispose(&r);
	free(noroute);
	free(env);
	free(doc);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/*
 * direct:metadata-level is read as its own header (ETT, NIST) or inside
 * the addressBlock (Direct RI). ETT's minimal template signals limited
 * metadata only by that header: without it, full-metadata rules apply.
 * The final-delivery request and relatesTo are kept for the Direct leg.
 */
GW_TEST(xdr_metadata_level_in_address_block)
{
	static const char standalone[] =
	    "<direct:metadata-level xmlns:direct=\"urn:direct:addressing\">"
	    "minimal</direct:metadata-level>";
	struct gw_daemon d;
	struct gw_http_resp r;
	struct gw_store_record *rec = NULL;
	struct gw_store *st = NULL;
	struct gw_err err;
	char msgid[64], spec[400], spool[400];
	char *env, *t1, *t2;

	REQUIRE(up(&d, NULL));
	xt_msgid(msgid);
	env = xt_ett("Xdr_minimal_metadata.xml", d.url, msgid);
	REQUIRE(env != NULL && strstr(env, standalone) != NULL);
	t1 = gw_str_replace(env, standalone, "");
	t2 = gw_str_replace(
	    t1, "</direct:addressBlock>",
	    "<direct:metadata-level>minimal</direct:metadata-level>"
	    "<direct:X-DIRECT-FINAL-DESTINATION-DELIVERY>true"
	    "</direct:X-DIRECT-FINAL-DESTINATION-DELIVERY>"
	    "<direct:relatesTo>urn:uuid:11111111-2222-3333-4444-555555555555"
	    "</direct:relatesTo></direct:addressBlock>");
	REQUIRE(xt_post(&d, t2, NULL, 0, &r));
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	snprintf(spec, sizeof(spec), "sqlite:%s", d.db);
	snprintf(spool, sizeof(spool), "%s/spool", d.dir);
	REQUIRE(gw_store_open(spec, spool, &st, &err) == 0);
	CHECK_INT(gw_store_submission_find(st, "anonymous", msgid, &rec, &err),
		  0);
	if (rec != NULL) {
		CHECK_STR(rec->metadata_level, "minimal");
		CHECK(rec->final_delivery);
		CHECK_STR(rec->relates_to,
			  "urn:uuid:11111111-2222-3333-4444-555555555555");
	}
	gw_store_record_free(rec);
	gw_store_close(st);
	free(t2);
	/* no metadata-level anywhere: full rules, missing attributes */
	free(env);
	env = xt_ett("Xdr_minimal_metadata.xml", d.url, NULL);
	t2 = gw_str_replace(env, standalone, "");
	REQUIRE(xt_post(&d, t2, NULL, 0, &r));
	CHECK(gw_str_has(r.body, RS_FAILURE));
	CHECK(xt_count_code(r.body, "XDSRegistryMetadataError") >= 1);
	CHECK(gw_str_has(r.body, "full metadata"));
	gw_http_resp_dispose(&r);
	free(t1);
	free(t2);
	free(env);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
