/*
 * Integration: the rest of the corpus's XDR material, replayed as it was
 * captured (NIST toolkit HTTP captures, remaining ETT templates). The
 * stored captures lost their CRs; MIME and HTTP delimit with CRLF, so
 * the CRs are put back, and a Direct addressBlock is added to the SOAP
 * header (a HISP needs a recipient; ETT adds the same block).
 */
#include "harness.h"

#include <stdlib.h>

#include "itest.h"
#include "xdrtest.h"

#define NT "xdr/nist-toolkit/"

static const char addr_block[] =
    "<direct:addressBlock xmlns:direct=\"urn:direct:addressing\">"
    "<direct:from>mailto:sender@direct.dxgw.test</direct:from>"
    "<direct:to>mailto:recipient@direct.other.test</direct:to>"
    "</direct:addressBlock>";

/* Add the addressBlock before the first SOAP header end tag. */
static char *
with_address_block(const char *body)
{
	static const char *const closes[] = {"</soapenv:Header>", "</s:Header>",
					     "</soap:Header>", "</S:Header>"};

	for (size_t i = 0; i < sizeof(closes) / sizeof(closes[0]); i++) {
		const char *c = strstr(body, closes[i]);
		char *out;
		size_t off;

		if (c == NULL)
			continue;
		off = (size_t)(c - body);
		out = malloc(strlen(body) + sizeof(addr_block));
		memcpy(out, body, off);
		memcpy(out + off, addr_block, sizeof(addr_block) - 1);
		strcpy(out + off + sizeof(addr_block) - 1, c);
		return out;
	}
	return strdup(body);
}

/* POST captured header lines (Content-Type, ...) and body. */
static void
replay(const struct gw_daemon *d, const char *head, const char *body,
       struct gw_http_resp *r)
{
	char *b1 = gw_str_replace(body, "\r\n", "\n");
	char *b2 = gw_str_replace(b1, "\n", "\r\n");
	char *b3 = with_address_block(b2);
	const char *ct = strcasestr(head, "Content-Type:");
	char type[1024];
	size_t n;

	REQUIRE(ct != NULL);
	ct += 13;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "\r\n");
	snprintf(type, sizeof(type), "%.*s", (int)n, ct);
	CHECK(gw_http_post(d->port, type, b3, strlen(b3), r));
	free(b1);
	free(b2);
	free(b3);
}

/* A capture file holding "HTTP header \n\n body". */
static void
replay_file(const struct gw_daemon *d, const char *rel, struct gw_http_resp *r)
{
	char *all = xt_corpus(rel, NULL);
	char *norm, *sep;

	REQUIRE(all != NULL);
	norm = gw_str_replace(all, "\r\n", "\n");
	sep = strstr(norm, "\n\n");
	REQUIRE(sep != NULL);
	*sep = '\0';
	replay(d, norm, sep + 2, r);
	free(norm);
	free(all);
}

GW_TEST(capture_axis2_and_proxy)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char *h, *b;

	REQUIRE(gw_daemon_start(&d, NULL));
	/* Axis2 on the socket, 2009: OID arcs with leading zeros */
	replay_file(&d, NT "http-captures/axis2-socket-request/request.txt",
		    &r);
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	/* Axis2 multipart with an RPLC association: accepted, warned */
	h = xt_corpus(NT "http-captures/axis2-multipart/multipart.header.txt",
		      NULL);
	b = xt_corpus(NT "http-captures/axis2-multipart/multipart.body.txt",
		      NULL);
	REQUIRE(h != NULL && b != NULL);
	replay(&d, h, b, &r);
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	CHECK_INT(xt_count_code(r.body, "PartialReplaceContentNotProcessed"),
		  1);
	CHECK(gw_str_has(r.body, "ErrorSeverityType:Warning"));
	gw_http_resp_dispose(&r);
	free(h);
	free(b);
	/* The proxy rewrote Content-IDs: its xop:Include names no part */
	b = xt_corpus(NT "http-captures/sim-proxy/sample_mtom_message.txt",
		      NULL);
	REQUIRE(b != NULL);
	{
		char head[512];
		size_t n = strcspn(b + 2, "\r\n");

		snprintf(head, sizeof(head),
			 "Content-Type: multipart/related; boundary=\"%.*s\"; "
			 "type=\"application/xop+xml\"",
			 (int)n, b + 2);
		replay(&d, head, b, &r);
	}
	CHECK_INT(r.status, 400);
	CHECK(gw_str_has(r.body, "names no MIME part"));
	gw_http_resp_dispose(&r);
	free(b);
	/*
	 * Boundary lines with trailing blanks (RFC 2046 transport padding):
	 * gSOAP cannot parse them; the client is told so at once.
	 */
	replay_file(&d, NT "messagevalidator-testdata/http-mtom-pnr.txt", &r);
	CHECK_INT(r.status, 400);
	CHECK(gw_str_has(r.body, "transport padding"));
	gw_http_resp_dispose(&r);
	CHECK_INT(xt_count_submissions(&d), 2);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(capture_ett_other_templates)
{
	static const char *const ok[] = {
	    "Xdr_C32.xml", "Xdr_Ccr.xml", "XdrTestingOnly.xml",
	    "DeliveryStatusNotification_success.xml",
	    "DeliveryStatusNotification_failure.xml"};
	static const char *const bodies[] = {"Xdr_positive_delivery.xml",
					     "Xdr_negative_delivery.xml",
					     "Xdr_vanilla.xml"};
	struct gw_daemon d;
	struct gw_http_resp r;
	char *env;

	REQUIRE(gw_daemon_start(&d, NULL));
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		env = xt_ett(ok[i], d.url, NULL);
		REQUIRE(env != NULL);
		REQUIRE(xt_post_with_doc(&d, env, "<x/>", 4, &r));
		printf("    %s -> HTTP %d\n", ok[i], r.status);
		CHECK_INT(r.status, 200);
		CHECK(gw_str_has(r.body, RS_SUCCESS));
		gw_http_resp_dispose(&r);
		free(env);
	}
	/* Body-only templates: ETT wraps them; sent bare they are no SOAP */
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char msgid[64];
		char *sor, *env2;

		env = xt_ett(bodies[i], d.url, NULL);
		REQUIRE(env != NULL);
		REQUIRE(xt_post_with_doc(&d, env, "<x/>", 4, &r));
		CHECK_INT(r.status, 400);
		CHECK(gw_str_has(r.body, "not a SOAP message"));
		gw_http_resp_dispose(&r);
		/* wrapped as ETT sends them */
		sor = strstr(env, "<lcm:SubmitObjectsRequest");
		REQUIRE(sor != NULL);
		{
			char *end = strstr(sor, "</xdsb:ProvideAndRegister");

			REQUIRE(end != NULL);
			*end = '\0';
		}
		xt_msgid(msgid);
		/* sor now holds the metadata and the xds:Document elements */
		env2 = xt_envelope(sor, "", d.url, msgid,
				   "sender@direct.dxgw.test",
				   "recipient@direct.other.test");
		REQUIRE(env2 != NULL);
		REQUIRE(xt_post_with_doc(&d, env2, "<x/>", 4, &r));
		printf("    %s wrapped -> HTTP %d\n", bodies[i], r.status);
		if (strcmp(bodies[i], "Xdr_vanilla.xml") == 0) {
			/*
			 * Its SubmissionSet patientId is fixed ("1^^^&..."),
			 * the DocumentEntry's is the #PATIENT_ID# token: with
			 * any other id the two disagree.
			 */
			CHECK(gw_str_has(r.body, RS_FAILURE));
			CHECK_INT(
			    xt_count_code(r.body, "XDSPatientIdDoesNotMatch"),
			    1);
		} else {
			CHECK(gw_str_has(r.body, RS_SUCCESS));
		}
		gw_http_resp_dispose(&r);
		free(env2);
		free(env);
	}
	/* WS-Security is not processed: its mustUnderstand header faults */
	env = xt_ett("Xdr_saml_metadata.xml", d.url, NULL);
	REQUIRE(env != NULL);
	REQUIRE(xt_post_with_doc(&d, env, "<x/>", 4, &r));
	CHECK(r.status == 500 || r.status == 400);
	CHECK(gw_str_has(r.body, "MustUnderstand"));
	gw_http_resp_dispose(&r);
	free(env);
	CHECK_INT(xt_count_submissions(&d), 7);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
