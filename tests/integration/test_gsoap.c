/*
 * Integration: one regression test per gSOAP 2.8.124 behaviour that
 * needed code on our side (../shared/reference/GSOAP.md section 7).
 */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

#include "itest.h"
#include "xdrtest.h"

/* 7.2 SOAP_XML_TREE: ExtrinsicObject/@id and xds:Document/@id share
 * "Document01"; without TREE gSOAP answers DuplicateID. */
GW_TEST(gsoap_xml_tree_shared_ids)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char *env;

	REQUIRE(gw_daemon_start(&d, NULL));
	env = xt_ett("Xdr_full_metadata.xml", d.url, NULL);
	REQUIRE(env != NULL);
	CHECK(gw_str_has(env, "id=\"Document01\""));
	REQUIRE(xt_post(&d, env, NULL, 0, &r));
	CHECK(gw_str_has(r.body, RS_SUCCESS));
	CHECK(!gw_str_has(r.body, "DuplicateID"));
	gw_http_resp_dispose(&r);
	free(env);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

static long
rss_kb(pid_t pid)
{
	char path[64], *s, *p;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s = gw_test_slurp(path, NULL);
	p = s ? strstr(s, "VmRSS:") : NULL;
	if (p != NULL)
		kb = strtol(p + 6, NULL, 10);
	free(s);
	return kb;
}

/* 7.3 keep-alive memory: 60 x 1 MiB requests on one connection must not
 * pile up (without fserveloop the daemon grows by ~2 MiB per request). */
GW_TEST(gsoap_keepalive_memory_released)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char ct[512];
	size_t len;
	char *env, *body, *req;
	long before, after;
	int n = 60, hl, fd, ok = 0;

	REQUIRE(gw_daemon_start(&d, "workers = 1\nmax_keepalive = 1000"));
	/* one valid request, then the same bytes n times on one socket */
	env = xt_ett("Xdr_minimal_metadata.xml", d.url, NULL);
	REQUIRE(env != NULL);
	{
		/*
		 * Swap the document for 1 MiB of inline base64: it is parsed
		 * into gSOAP's per-request memory, which only fserveloop
		 * releases between keep-alive requests.
		 */
		static const char head[] = "<xdsb:Document id=\"Document01\">";
		char *st = strstr(env, "<xdsb:Document id=\"Document01\"");
		char *e = st ? strstr(st, "</xdsb:Document>") : NULL;
		size_t b64 = 349525 * 4, off;
		char *swapped;

		REQUIRE(st != NULL && e != NULL);
		swapped = malloc(strlen(env) + b64 + sizeof(head));
		off = (size_t)(st - env);
		memcpy(swapped, env, off);
		memcpy(swapped + off, head, sizeof(head) - 1);
		off += sizeof(head) - 1;
		for (size_t i = 0; i < b64; i += 4)
			memcpy(swapped + off + i, "eHh4", 4);
		strcpy(swapped + off + b64, e);
		free(env);
		env = swapped;
	}
	body = gw_mtom_build(env, NULL, 0, ct, sizeof(ct), &len);
	before = rss_kb(d.pid);
	req = malloc(len + 512);
	hl = snprintf(req, 512,
		      "POST /xdr HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
		      "Content-Length: %zu\r\n\r\n",
		      ct, len);
	memcpy(req + hl, body, len);
	fd = gw_http_connect(d.port);
	REQUIRE(fd >= 0);
	/* one connection, n requests, each answered before the next */
	for (int i = 0; i < n; i++) {
		if (!gw_http_exchange(fd, req, (size_t)hl + len, &r))
			break;
		ok += r.status == 200 && gw_str_has(r.body, RS_SUCCESS);
		if (i < n - 1)
			gw_http_resp_dispose(&r);
	}
	close(fd);
	CHECK_INT(ok, n);
	after = rss_kb(d.pid);
	printf("    daemon RSS %ld kB before, %ld kB after %d x 1 MiB\n",
	       before, after, n);
	/* ASan's quarantine keeps freed memory: RSS says nothing there. */
	if (strstr(gw_dxgw(), "/san/") == NULL)
		CHECK(after > 0 && after - before < 40 * 1024);
	gw_http_resp_dispose(&r);
	free(req);
	free(body);
	free(env);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* 7.4 buffer reset per pooled connection: with one worker, an aborted
 * request must not leak into the next client's request. */
GW_TEST(gsoap_no_cross_connection_bleed)
{
	static const char junk[] =
	    "POST /xdr HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
	    "Content-Length: 100000\r\n\r\n<garbage>GET / HTTP/1.1\r\n";
	struct gw_daemon d;
	struct gw_http_resp r;
	char *env;

	REQUIRE(gw_daemon_start(&d, "workers = 1"));
	env = xt_ett("Xdr_full_metadata.xml", d.url, NULL);
	for (int i = 0; i < 5; i++) {
		REQUIRE(gw_http_raw_eof(d.port, junk, sizeof(junk) - 1, &r));
		gw_http_resp_dispose(&r);
		REQUIRE(xt_post(&d, env, NULL, 0, &r));
		CHECK_INT(r.status, 200);
		CHECK(gw_str_has(r.body, RS_SUCCESS));
		gw_http_resp_dispose(&r);
		free(env);
		env = xt_ett("Xdr_full_metadata.xml", d.url, NULL);
	}
	free(env);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* 7.5/7.6/7.8: the response is MTOM-packaged, carries our own WS-A
 * headers (RelatesTo = request MessageID, response Action), does not echo
 * the Direct headers and carries no SOAP role. */
GW_TEST(gsoap_mtom_response_and_reply_headers)
{
	struct gw_daemon d;
	struct gw_http_resp r;
	char msgid[64], rel[128];
	char *env;

	REQUIRE(gw_daemon_start(&d, NULL));
	xt_msgid(msgid);
	env = xt_ett("Xdr_full_metadata.xml", d.url, msgid);
	REQUIRE(xt_post(&d, env, NULL, 0, &r));
	CHECK(gw_str_has(r.headers, "multipart/related"));
	CHECK(gw_str_has(r.headers, "application/xop+xml"));
	CHECK(gw_str_has(
	    r.body,
	    "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"));
	snprintf(rel, sizeof(rel), "RelatesTo>%s<", msgid);
	CHECK(gw_str_has(r.body, rel));
	CHECK(!gw_str_has(r.body, "addressBlock"));
	CHECK(!gw_str_has(r.body, "metadata-level"));
	CHECK(!gw_str_has(r.body, "role="));
	gw_http_resp_dispose(&r);
	free(env);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
