/*
 * Integration: HTTPS (TLS >= 1.2), mutual TLS and the client certificate
 * -> permitted Direct senders mapping, with a PKI made by certs/mkpki.sh.
 */
#include "harness.h"

#include <stdlib.h>

#include "itest.h"
#include "store.h"
#include "xdrtest.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

static const char *
pki(void)
{
	return gw_test_pki("mkpki.sh");
}

/* dxgw submit of the CCD (limited metadata) with TLS options. */
static int
submit(const char *url, const char *cert, const char *from, char **out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --ca %s/ca.pem %s%s%s --limited "
		 "--from %s --to b@direct.other.test --timeout 5 %s/%s",
		 gw_dxgw(), url, pki(), cert ? "--cert " : "",
		 cert ? pki() : "", cert ? cert : "", from, gw_test_corpus(),
		 CCD);
	return gw_run(cmd, out);
}

GW_TEST(tls_mutual_required_and_sender_mapping)
{
	struct gw_daemon d;
	char conf[2048], url[128];
	char *out = NULL;

	REQUIRE(pki()[0] != '\0');
	snprintf(conf, sizeof(conf),
		 "tls_cert = %s/server.pem\ntls_client_ca = %s/ca.pem\n"
		 "tls_client_auth = require\n"
		 "client_allow = ehr1 @direct.dxgw.test\n"
		 "client_allow = sha256:0000 *\n",
		 pki(), pki());
	REQUIRE(gw_daemon_start(&d, conf));
	CHECK(strncmp(d.url, "https://", 8) == 0);
	snprintf(url, sizeof(url), "https://localhost:%d/xdr", d.port);
	/* the right client, as itself */
	CHECK_INT(submit(url, "/client-ehr1.pem", "dr@direct.dxgw.test", &out),
		  0);
	CHECK(gw_str_has(out, "status: Success"));
	free(out);
	/* address literal: the IP SAN matches */
	CHECK_INT(
	    submit(d.url, "/client-ehr1.pem", "dr@direct.dxgw.test", &out), 0);
	free(out);
	/* the right client, as someone it may not be */
	CHECK_INT(submit(url, "/client-ehr1.pem", "dr@elsewhere.test", &out),
		  1);
	CHECK(gw_str_has(out, "XDSRepositoryError"));
	CHECK(gw_str_has(out, "may not send as"));
	free(out);
	/* a trusted client with no rule */
	CHECK_INT(submit(url, "/client-ehr2.pem", "dr@direct.dxgw.test", &out),
		  1);
	CHECK(gw_str_has(out, "not authorised"));
	free(out);
	/* no certificate, a self-signed one, plain HTTP: no answer at all */
	CHECK_INT(submit(url, NULL, "dr@direct.dxgw.test", &out), 3);
	free(out);
	CHECK_INT(submit(url, "/rogue.pem", "dr@direct.dxgw.test", &out), 3);
	free(out);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/xdr", d.port);
	CHECK_INT(submit(url, "/client-ehr1.pem", "dr@direct.dxgw.test", &out),
		  3);
	free(out);
	CHECK_INT(xt_count_submissions(&d), 2);
	/* TLS 1.1 is refused by the server even when the client offers it */
	{
		char cmd[2048];

		snprintf(
		    cmd, sizeof(cmd),
		    "echo | openssl s_client -connect 127.0.0.1:%d -tls1_1 "
		    "-cipher DEFAULT@SECLEVEL=0 -cert %s/client-ehr1.pem",
		    d.port, pki());
		CHECK(gw_run(cmd, &out) != 0);
		CHECK(gw_str_has(out, "Cipher is (NONE)"));
		free(out);
		snprintf(
		    cmd, sizeof(cmd),
		    "echo | openssl s_client -connect 127.0.0.1:%d -tls1_2 "
		    "-CAfile %s/ca.pem -cert %s/client-ehr1.pem",
		    d.port, pki(), pki());
		gw_run(cmd, &out);
		CHECK(gw_str_has(out, "TLSv1.2"));
		free(out);
	}
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(tls_optional_client_auth_anonymous_rule)
{
	struct gw_daemon d;
	char conf[2048], url[128];
	char *out = NULL;

	REQUIRE(pki()[0] != '\0');
	snprintf(conf, sizeof(conf),
		 "tls_cert = %s/server.pem\ntls_client_ca = %s/ca.pem\n"
		 "tls_client_auth = optional\n"
		 "client_allow = anonymous @public.dxgw.test\n"
		 "client_allow = ehr1 *\n",
		 pki(), pki());
	REQUIRE(gw_daemon_start(&d, conf));
	snprintf(url, sizeof(url), "https://localhost:%d/xdr", d.port);
	CHECK_INT(submit(url, NULL, "x@public.dxgw.test", &out), 0);
	free(out);
	CHECK_INT(submit(url, NULL, "x@direct.dxgw.test", &out), 1);
	free(out);
	CHECK_INT(submit(url, "/client-ehr1.pem", "x@direct.dxgw.test", &out),
		  0);
	free(out);
	/* a certificate that is sent must still verify */
	CHECK_INT(submit(url, "/rogue.pem", "x@public.dxgw.test", &out), 3);
	free(out);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* GSOAP.md 7.8: names are checked by OpenSSL per RFC 6125. */
GW_TEST(tls_client_checks_server_name)
{
	struct gw_daemon d;
	char conf[1024], url[128];
	char *out = NULL;

	REQUIRE(pki()[0] != '\0');
	/* a certificate named only "*" is not a name for anything */
	snprintf(conf, sizeof(conf), "tls_cert = %s/wild.pem", pki());
	REQUIRE(gw_daemon_start(&d, conf));
	snprintf(url, sizeof(url), "https://localhost:%d/xdr", d.port);
	CHECK_INT(submit(url, NULL, "x@dxgw.test", &out), 3);
	free(out);
	CHECK_INT(xt_count_submissions(&d), 0);
	CHECK_INT(gw_daemon_stop(&d), 0);
	/* a good certificate reached under a name it does not carry */
	snprintf(conf, sizeof(conf),
		 "tls_cert = %s/server.pem\nlisten = 127.0.0.2:0", pki());
	REQUIRE(gw_daemon_start(&d, conf));
	snprintf(url, sizeof(url), "https://127.0.0.2:%d/xdr", d.port);
	CHECK_INT(submit(url, NULL, "x@dxgw.test", &out), 3);
	CHECK(gw_str_has(out, "no response"));
	free(out);
	snprintf(url, sizeof(url), "https://localhost:%d/xdr", d.port);
	CHECK_INT(xt_count_submissions(&d), 0);
	CHECK_INT(gw_daemon_stop(&d), 0);
}
