/*
 * Integration: the NIST XDS toolkit ITI-41 test plans (testkit-tests) and
 * raw MTOM captures replayed against the daemon, with the toolkit's own
 * ExpectedStatus / ExpectedErrorCode asserted exactly.
 *
 * The toolkit builds the SOAP/MTOM envelope itself, converts its ebRS 2.1
 * test metadata to ebRS 3.0 (nistconv.c) and assigns uniqueIds at run time (the
 * metadata carries placeholders such as "Document01"); this test does the same.
 * The toolkit's Document Recipient needs no routing, a HISP does: like ETT, the
 * envelope carries a Direct addressBlock.
 */
#include "harness.h"

#include <stdlib.h>

#include "id.h"
#include "itest.h"
#include "nistconv.h"
#include "xdrtest.h"

#define TK "xdr/nist-toolkit/testkit-tests"

/* Text of the first <tag>...</tag> after from, in a fresh string. */
static char *
tag_text(const char *xml, const char *tag, const char **from)
{
	char open[64], close[64];
	const char *s, *e;
	char *out;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	s = strstr(from && *from ? *from : xml, open);
	if (s == NULL)
		return NULL;
	s += strlen(open);
	e = strstr(s, close);
	if (e == NULL)
		return NULL;
	if (from)
		*from = e;
	while (*s == ' ' || *s == '\n')
		s++;
	out = strndup(s, (size_t)(e - s));
	return out;
}

/*
 * Replace placeholder ExternalIdentifier values ("Document01") by fresh
 * OIDs, each occurrence its own: two_doc.xml uses one placeholder twice.
 */
static char *
assign_unique_ids(const char *xml)
{
	static const char key[] = "ExternalIdentifier value=\"";
	size_t cap = strlen(xml) * 2 + 1024, n = 0;
	char *out = malloc(cap);
	const char *p = xml, *k;

	while ((k = strstr(p, key)) != NULL) {
		const char *v = k + sizeof(key) - 1;
		const char *e = strchr(v, '"');
		char oid[GW_ID_OID_LEN];

		if (e == NULL)
			break;
		memcpy(out + n, p, (size_t)(v - p));
		n += (size_t)(v - p);
		if (memchr(v, '.', (size_t)(e - v)) ||
		    memchr(v, '^', (size_t)(e - v))) {
			memcpy(out + n, v, (size_t)(e - v));
			n += (size_t)(e - v);
		} else {
			gw_id_uuid_oid(oid);
			memcpy(out + n, oid, strlen(oid));
			n += strlen(oid);
		}
		p = e;
	}
	memcpy(out + n, p, strlen(p) + 1);
	return out;
}

static void
run_plan(const struct gw_daemon *d, const char *step)
{
	char rel[512], *plan, *md_name, *md, *md2, *env, *exp_status, *exp_code;
	struct gw_mtom_part parts[8];
	char *docs[8] = {0};
	char docs_xml[2048] = "";
	char cids[8][64], msgid[64];
	const char *cursor = NULL;
	struct gw_http_resp r;
	size_t n = 0, dl = 0;

	snprintf(rel, sizeof(rel), "%s/%s/testplan.xml", TK, step);
	plan = xt_corpus(rel, NULL);
	if (plan == NULL) {
		printf("    missing %s\n", rel);
		gw_test_fail(__FILE__, __LINE__, step);
		return;
	}
	exp_status = tag_text(plan, "ExpectedStatus", NULL);
	exp_code = tag_text(plan, "ExpectedErrorCode", NULL);
	md_name = tag_text(plan, "MetadataFile", NULL);
	snprintf(rel, sizeof(rel), "%s/%s/%s", TK, step, md_name);
	md = xt_corpus(rel, NULL);
	REQUIRE(md != NULL && exp_status != NULL);
	/* <Document id="Document01">my_document.txt</Document> ... */
	while (n < 8 && (cursor = strstr(cursor ? cursor : plan,
					 "<Document id=\"")) != NULL) {
		const char *id = cursor + 14;
		const char *q = strchr(id, '"');
		const char *fs = strchr(q, '>') + 1;
		const char *fe = strstr(fs, "</Document>");
		int w;

		snprintf(rel, sizeof(rel), "%s/%s/%.*s", TK, step,
			 (int)(fe - fs), fs);
		docs[n] = xt_corpus(rel, &dl);
		REQUIRE(docs[n] != NULL);
		snprintf(cids[n], sizeof(cids[n]), "doc%zu@nist.test", n);
		parts[n].cid = cids[n];
		parts[n].type = "text/plain";
		parts[n].data = docs[n];
		parts[n].len = dl;
		w = (int)strlen(docs_xml);
		snprintf(docs_xml + w, sizeof(docs_xml) - (size_t)w,
			 "<xdsb:Document id=\"%.*s\"><xop:Include "
			 "xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" "
			 "href=\"cid:%s\"/></xdsb:Document>",
			 (int)(q - id), id, cids[n]);
		n++;
		cursor = fe;
	}
	{
		size_t vl;
		char *v3 = gw_test_nist_v3(md, strlen(md), &vl);

		const char *sor_s, *sor_e;

		REQUIRE(v3 != NULL);
		/* Some plans hold a whole PnR request: take its metadata. */
		sor_s = strstr(v3, "<lcm:SubmitObjectsRequest");
		sor_e = strstr(v3, "</lcm:SubmitObjectsRequest>");
		if (strstr(v3, "ProvideAndRegisterDocumentSetRequest") &&
		    sor_s != NULL && sor_e != NULL) {
			char *t = strndup(sor_s, (size_t)(sor_e - sor_s) + 27);

			free(v3);
			v3 = t;
		}
		md2 = assign_unique_ids(v3);
		free(v3);
	}
	xt_msgid(msgid);
	env =
	    xt_envelope(md2, docs_xml, d->url, msgid, "sender@direct.dxgw.test",
			"recipient@direct.other.test");
	REQUIRE(env != NULL);
	REQUIRE(xt_post(d, env, parts, n, &r));
	printf("    %s: expected %s%s%s, HTTP %d\n", step, exp_status,
	       exp_code ? " " : "", exp_code ? exp_code : "", r.status);
	CHECK_INT(r.status, 200);
	if (strcmp(exp_status, "Success") == 0) {
		CHECK(gw_str_has(r.body, RS_SUCCESS));
		CHECK(!gw_str_has(r.body, "ErrorSeverityType:Error"));
	} else {
		CHECK(gw_str_has(r.body, RS_FAILURE));
	}
	if (exp_code != NULL)
		CHECK(xt_count_code(r.body, exp_code) >= 1);
	if (gw_test_failed())
		printf("%.3000s\n", r.body);
	gw_http_resp_dispose(&r);
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	free(env);
	free(md2);
	free(md);
	free(md_name);
	free(exp_status);
	free(exp_code);
	free(plan);
}

GW_TEST(xdr_nist_testkit_plans)
{
	static const char *const steps[] = {
	    "12371/submit",          "12373/submit",
	    "12375/submit",          "12376/submit",
	    "11966/submit",          "11979/submit",
	    "11981/submit",          "11981/submit_uppercase_hash",
	    "11981/submit_bad_hash", "11981/submit_bad_size"};
	struct gw_daemon d;

	if (!gw_daemon_start(&d, NULL)) {
		gw_test_fail(__FILE__, __LINE__, "daemon start");
		return;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		run_plan(&d, steps[i]);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/*
 * Raw HTTP bodies as Axis2 and .NET/WCF sent them (boundary with '+' and
 * '=', leading CRLF, no start parameter): the MTOM parser must take them
 * as they are. The Direct addressBlock is put into their SOAP header.
 */
static void
run_raw(const struct gw_daemon *d, const char *step)
{
	char rel[512], *plan, *hdrs, *body, *b2, *ct, *eol, *status;
	struct gw_http_resp r;
	size_t len = 0;

	snprintf(rel, sizeof(rel), "%s/%s/testplan.xml", TK, step);
	plan = xt_corpus(rel, NULL);
	REQUIRE(plan != NULL);
	status = tag_text(plan, "ExpectedStatus", NULL);
	hdrs = tag_text(plan, "Headers", NULL);
	REQUIRE(hdrs != NULL && status != NULL);
	ct = strstr(hdrs, "Content-Type:");
	REQUIRE(ct != NULL);
	ct += 13;
	while (*ct == ' ')
		ct++;
	eol = strchr(ct, '\n');
	if (eol)
		*eol = '\0';
	snprintf(rel, sizeof(rel), "%s/%s/body.txt", TK, step);
	body = xt_corpus(rel, &len);
	REQUIRE(body != NULL);
	/*
	 * The stored captures lost their CRs; MIME (RFC 2046) delimits parts
	 * with CRLF, as the toolkit sent them: put the CRs back.
	 */
	{
		char *crlf = gw_str_replace(body, "\n", "\r\n");

		free(body);
		body = crlf;
	}
	{
		const char *close = strstr(body, "</soapenv:Header>")
					? "</soapenv:Header>"
					: "</s:Header>";
		char rep[512];

		snprintf(
		    rep, sizeof(rep),
		    "<direct:addressBlock "
		    "xmlns:direct=\"urn:direct:addressing\">"
		    "<direct:from>mailto:sender@direct.dxgw.test</direct:from>"
		    "<direct:to>mailto:recipient@direct.other.test</direct:to>"
		    "</direct:addressBlock>%s",
		    close);
		b2 = gw_str_replace(body, close, rep);
	}
	REQUIRE(gw_http_post(d->port, ct, b2, strlen(b2), &r));
	printf("    %s: expected %s, HTTP %d\n", step, status, r.status);
	CHECK_INT(r.status, 200);
	CHECK(gw_str_has(r.body, strcmp(status, "Success") == 0 ? RS_SUCCESS
								: RS_FAILURE));
	if (gw_test_failed())
		printf("%.3000s\n", r.body);
	gw_http_resp_dispose(&r);
	free(b2);
	free(body);
	free(hdrs);
	free(status);
	free(plan);
}

GW_TEST(xdr_nist_raw_mtom_captures)
{
	struct gw_daemon d;

	if (!gw_daemon_start(&d, NULL)) {
		gw_test_fail(__FILE__, __LINE__, "daemon start");
		return;
	}
	run_raw(&d, "PnrXop/Xop");
	run_raw(&d, "PnrXop/dicom");
	run_raw(&d, "PnrNoXop/submit");
	CHECK_INT(gw_daemon_stop(&d), 0);
}
