/*
 * Integration: dxgw ehr-sink, the ITI-41 recipient that writes what it
 * accepts to a directory; and xdrcli's outcome classes against it and
 * against dxgw serve.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "itest.h"
#include "xdrcli.h"
#include "xdrtest.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

static char *
slurp_in(const char *dir, const char *name, size_t *len)
{
	char p[1200];

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) < 0)
		return NULL;
	return gw_test_slurp(p, len);
}

GW_TEST(ehrsink_receives_dxgw_submit_ccda)
{
	struct gw_daemon d;
	char cmd[2048], sub[800];
	char *out = NULL, *orig, *doc, *md, *sum;
	size_t olen = 0, dlen = 0;
	int tmps = 0;

	REQUIRE(gw_ehrsink_start(&d));
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from dr.a@direct.dxgw.test "
		 "--to dr.b@direct.other.test --to dr.c@direct.other.test "
		 "--message-id urn:uuid:0b8f6a1e-1d6c-4c59-9f1e-9a1b2c3d4e5f "
		 "%s/%s",
		 gw_dxgw(), d.url, gw_test_corpus(), CCD);
	CHECK_INT(gw_run(cmd, &out), 0);
	CHECK(gw_str_has(out, "status: Success"));
	CHECK(gw_str_has(out, "class: ok"));
	free(out);
	CHECK_INT(gw_ehrsink_dirs(&d, sub, sizeof(sub), &tmps), 1);
	CHECK_INT(tmps, 0);
	orig = xt_corpus(CCD, &olen);
	doc = slurp_in(sub, "DOC00001.xml", &dlen);
	CHECK(orig != NULL && doc != NULL && olen == dlen &&
	      memcmp(orig, doc, olen) == 0);
	md = slurp_in(sub, "metadata.xml", NULL);
	CHECK(md != NULL && gw_str_has(md, "SubmitObjectsRequest") &&
	      gw_str_has(md, "Document01") &&
	      gw_str_has(md, "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"));
	sum = slurp_in(sub, "summary.json", NULL);
	REQUIRE(sum != NULL);
	CHECK(gw_str_has(sum, "\"message_id\": \"urn:uuid:0b8f6a1e-1d6c-4c59-"
			      "9f1e-9a1b2c3d4e5f\""));
	CHECK(gw_str_has(sum, "\"patient_id\": \"444222222^^^&2.16.840.1."
			      "113883.4.1&ISO\""));
	CHECK(gw_str_has(sum, "\"direct_from\": \"mailto:dr.a@direct.dxgw."
			      "test\""));
	CHECK(gw_str_has(sum, "\"recipients\": [\"dr.b@direct.other.test\", "
			      "\"dr.c@direct.other.test\"]"));
	CHECK(gw_str_has(sum, "\"file\": \"DOC00001.xml\""));
	CHECK(gw_str_has(sum, "\"unique_id\": \"2.16.840.1.113883.19.5.99999."
			      "1^TT988\""));
	CHECK(gw_str_has(sum, "\"metadata_level\": \"minimal\""));
	CHECK(gw_str_has(sum, "\"size\": "));
	CHECK(gw_str_has(sum, "\"sha1\": \""));
	free(orig);
	free(doc);
	free(md);
	free(sum);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* errorCode="..." values of a response in order, joined by ','. */
static void
codes_of(const char *body, char *out, size_t len)
{
	const char *p = body;
	size_t n = 0;

	out[0] = '\0';
	while (p != NULL && (p = strstr(p, "errorCode=\"")) != NULL) {
		const char *e = strchr(p + 11, '"');
		int w;

		if (e == NULL)
			break;
		w = snprintf(out + n, len - n, "%s%.*s", n ? "," : "",
			     (int)(e - p - 11), p + 11);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
		p = e;
	}
}

/* ETT's negative templates: the same Failure from the sink as from dxgw. */
GW_TEST(ehrsink_rejects_like_dxgw_serve)
{
	static const char *const files[] = {
	    "negative_missing_metadata_elements1.xml",
	    "negative_missing_metadata_elements4.xml",
	    "negative_missing_metadata_elements5.xml",
	    "negative_bad_soap.xml",
	    "Xdr_full_metadata.xml",
	};
	struct gw_daemon sink, gw;
	size_t doclen = 0;
	char *doc = xt_corpus(CCD, &doclen);

	REQUIRE(doc != NULL);
	REQUIRE(gw_ehrsink_start(&sink));
	if (!gw_daemon_start(&gw, NULL)) {
		gw_test_fail(__FILE__, __LINE__, "daemon start");
		gw_daemon_stop(&sink);
		free(doc);
		return;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct gw_http_resp a, b;
		char *ea = xt_ett(files[i], sink.url, NULL);
		char *eb = xt_ett(files[i], gw.url, NULL);
		char ca[512], cb[512];

		if (ea == NULL || eb == NULL ||
		    !xt_post_with_doc(&sink, ea, doc, doclen, &a)) {
			gw_test_fail(__FILE__, __LINE__, files[i]);
			free(ea);
			free(eb);
			continue;
		}
		if (!xt_post_with_doc(&gw, eb, doc, doclen, &b)) {
			gw_test_fail(__FILE__, __LINE__, files[i]);
			gw_http_resp_dispose(&a);
			free(ea);
			free(eb);
			continue;
		}
		codes_of(a.body, ca, sizeof(ca));
		codes_of(b.body, cb, sizeof(cb));
		printf("    %s: sink HTTP %d [%s], dxgw HTTP %d [%s]\n",
		       files[i], a.status, ca, b.status, cb);
		CHECK_INT(a.status, b.status);
		CHECK(strcmp(ca, cb) == 0);
		CHECK(gw_str_has(a.body, RS_FAILURE) ==
		      gw_str_has(b.body, RS_FAILURE));
		CHECK(gw_str_has(a.body, "Fault") ==
		      gw_str_has(b.body, "Fault"));
		gw_http_resp_dispose(&a);
		gw_http_resp_dispose(&b);
		free(ea);
		free(eb);
	}
	/* Only the positive template left a submission behind. */
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 1);
	free(doc);
	CHECK_INT(gw_daemon_stop(&gw), 0);
	CHECK_INT(gw_daemon_stop(&sink), 0);
}

/*
 * The XDR client of the inbound leg: documents from a file with our
 * Content-ID; Success from the sink; a metadata error at dxgw serve is
 * permanent with its XDS code; a closed port is temporary.
 */
GW_TEST(ehrsink_xdrcli_classes)
{
	static const char *const to[] = {"dr.b@direct.other.test"};
	struct gw_daemon sink, gw;
	struct gw_xdrcli_result res;
	struct gw_xdrcli_doc doc = {.id = "Document01",
				    .mime_type = "text/xml",
				    .content_id = "ccd-1@ehr.example"};
	struct gw_xdrcli_req req = {.from = "dr.a@direct.dxgw.test",
				    .to = to,
				    .nto = 1,
				    .metadata_level = "minimal",
				    .docs = &doc,
				    .ndocs = 1,
				    .timeout = 10};
	struct gw_err err;
	char cmd[2048], path[400], sub[800];
	char *out = NULL, *md = NULL, *sum, *bad;
	size_t mdlen = 0;

	REQUIRE(gw_ehrsink_start(&sink));
	/* Metadata as dxgw submit builds it, taken from a first run. */
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from dr.a@direct.dxgw.test "
		 "--to dr.b@direct.other.test %s/%s",
		 gw_dxgw(), sink.url, gw_test_corpus(), CCD);
	CHECK_INT(gw_run(cmd, &out), 0);
	free(out);
	REQUIRE(gw_ehrsink_dirs(&sink, sub, sizeof(sub), NULL) == 1);
	md = slurp_in(sub, "metadata.xml", &mdlen);
	REQUIRE(md != NULL);
	snprintf(path, sizeof(path), "%s/%s", gw_test_corpus(), CCD);
	doc.path = path;
	req.endpoint = sink.url;
	req.metadata = md;
	req.metadata_len = mdlen;
	CHECK_INT(gw_xdrcli_send(&req, &res, &err), 0);
	CHECK_INT(res.cls, GW_XDRCLI_OK);
	CHECK(res.success && res.reason == NULL);
	gw_xdrcli_result_dispose(&res);
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 2);
	/* The Content-ID we chose travelled. */
	{
		char dir[400];
		struct dirent *e;
		DIR *dp;
		int found = 0;

		snprintf(dir, sizeof(dir), "%s/sink", sink.dir);
		dp = opendir(dir);
		while (dp != NULL && (e = readdir(dp)) != NULL) {
			char p2[700];

			if (e->d_name[0] == '.' ||
			    snprintf(p2, sizeof(p2), "%s/%s", dir, e->d_name) <
				0)
				continue;
			sum = slurp_in(p2, "summary.json", NULL);
			if (sum && gw_str_has(sum, "\"content_id\": "
						   "\"ccd-1@ehr.example\""))
				found++;
			free(sum);
		}
		if (dp != NULL)
			closedir(dp);
		CHECK_INT(found, 1);
	}
	CHECK_INT(gw_daemon_stop(&sink), 0);

	/* The sink is gone: nobody listens on its port any more. */
	CHECK_INT(gw_xdrcli_send(&req, &res, &err), GW_EUNAVAIL);
	CHECK_INT(res.cls, GW_XDRCLI_TEMP);
	CHECK(res.reason != NULL);
	gw_xdrcli_result_dispose(&res);

	/* dxgw serve: a DocumentEntry whose document is missing. */
	REQUIRE(gw_daemon_start(&gw, NULL));
	bad = gw_str_replace(md, "\"Document01\"", "\"Document99\"");
	req.endpoint = gw.url;
	req.metadata = bad;
	req.metadata_len = strlen(bad);
	CHECK_INT(gw_xdrcli_send(&req, &res, &err), 0);
	CHECK_INT(res.cls, GW_XDRCLI_PERM);
	CHECK(!res.success);
	CHECK(res.nerrors >= 1);
	CHECK(res.reason != NULL &&
	      (strstr(res.reason, "XDSMissingDocument") != NULL));
	if (res.reason != NULL)
		printf("    reason: %s\n", res.reason);
	gw_xdrcli_result_dispose(&res);
	CHECK_INT(xt_count_submissions(&gw), 0);
	CHECK_INT(gw_daemon_stop(&gw), 0);

	free(bad);
	free(md);
}
