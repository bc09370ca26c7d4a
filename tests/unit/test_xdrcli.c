/*
 * Unit tests for xdrcli's outcome classes: what a sender does after a
 * RegistryResponse, a SOAP fault, an HTTP error or no answer.
 */
#include "harness.h"

#include "err.h"
#include "xdrcli.h"

GW_TEST(xdrcli_classify_table)
{
	static const struct {
		const char *name;
		int rc;
		bool success, partial;
		const char *fault, *fault_code;
		int http;
		enum gw_xdrcli_class want;
	} cases[] = {
	    {"Success", 0, true, false, NULL, NULL, 200, GW_XDRCLI_OK},
	    {"PartialSuccess", 0, false, true, NULL, NULL, 200, GW_XDRCLI_OK},
	    {"Failure", 0, false, false, NULL, NULL, 200, GW_XDRCLI_PERM},
	    {"Sender fault", GW_EPARSE, false, false, "bad", "Sender", 400,
	     GW_XDRCLI_PERM},
	    {"1.1 Client fault", GW_EPARSE, false, false, "bad", "Client", 500,
	     GW_XDRCLI_PERM},
	    {"Receiver fault", GW_EPARSE, false, false, "busy", "Receiver", 500,
	     GW_XDRCLI_TEMP},
	    {"1.1 Server fault", GW_EPARSE, false, false, "busy", "Server", 500,
	     GW_XDRCLI_TEMP},
	    {"HTTP 503", GW_EUNAVAIL, false, false, NULL, NULL, 503,
	     GW_XDRCLI_TEMP},
	    {"HTTP 500 no SOAP", GW_EUNAVAIL, false, false, NULL, NULL, 500,
	     GW_XDRCLI_TEMP},
	    {"HTTP 404", GW_EUNAVAIL, false, false, NULL, NULL, 404,
	     GW_XDRCLI_PERM},
	    {"HTTP 413", GW_EUNAVAIL, false, false, NULL, NULL, 413,
	     GW_XDRCLI_PERM},
	    {"HTTP 429", GW_EUNAVAIL, false, false, NULL, NULL, 429,
	     GW_XDRCLI_TEMP},
	    {"HTTP 408", GW_EUNAVAIL, false, false, NULL, NULL, 408,
	     GW_XDRCLI_TEMP},
	    {"refused", GW_EUNAVAIL, false, false, NULL, NULL, 0,
	     GW_XDRCLI_TEMP},
	    {"file I/O", GW_ETEMP, false, false, NULL, NULL, 0, GW_XDRCLI_TEMP},
	    {"bad URL", GW_EPARSE, false, false, NULL, NULL, 0, GW_XDRCLI_PERM},
	    {"file gone", GW_ENOTFOUND, false, false, NULL, NULL, 0,
	     GW_XDRCLI_PERM},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_xdrcli_result r = {0};
		enum gw_xdrcli_class c;

		r.success = cases[i].success;
		r.partial = cases[i].partial;
		r.fault = (char *)cases[i].fault;
		r.fault_code = (char *)cases[i].fault_code;
		r.http_status = cases[i].http;
		c = gw_xdrcli_classify(cases[i].rc, &r);
		if (c != cases[i].want)
			printf("    %s: %s\n", cases[i].name,
			       gw_xdrcli_class_name(c));
		CHECK_INT(c, cases[i].want);
	}
	CHECK_STR(gw_xdrcli_class_name(GW_XDRCLI_OK), "ok");
	CHECK_STR(gw_xdrcli_class_name(GW_XDRCLI_PERM), "permanent");
	CHECK_STR(gw_xdrcli_class_name(GW_XDRCLI_TEMP), "temporary");
}

GW_TEST(xdrcli_closed_port_is_temporary_and_missing_file_permanent)
{
	static const char md[] = "<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:"
				 "oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\"/>";
	struct gw_xdrcli_doc doc = {.id = "Document01",
				    .mime_type = "text/plain",
				    .data = "x",
				    .len = 1};
	struct gw_xdrcli_req req = {.endpoint = "http://127.0.0.1:1/xdr",
				    .metadata = md,
				    .metadata_len = sizeof(md) - 1,
				    .docs = &doc,
				    .ndocs = 1,
				    .timeout = 5};
	struct gw_xdrcli_result res;
	struct gw_err err;

	CHECK_INT(gw_xdrcli_send(&req, &res, &err), GW_EUNAVAIL);
	CHECK_INT(res.cls, GW_XDRCLI_TEMP);
	CHECK(res.reason != NULL && strstr(res.reason, "127.0.0.1:1") != NULL);
	gw_xdrcli_result_dispose(&res);

	doc.data = NULL;
	doc.path = "/nonexistent/dxgw-doc";
	CHECK_INT(gw_xdrcli_send(&req, &res, &err), GW_ENOTFOUND);
	CHECK_INT(res.cls, GW_XDRCLI_PERM);
	gw_xdrcli_result_dispose(&res);

	req.endpoint = "ftp://127.0.0.1/xdr";
	CHECK_INT(gw_xdrcli_send(&req, &res, &err), GW_EPARSE);
	CHECK_INT(res.cls, GW_XDRCLI_PERM);
	gw_xdrcli_result_dispose(&res);
}
