/*
 * Integration: the Direct message built by mime.c, signed and encrypted
 * by smime.c, opened by an independent implementation (the openssl cms
 * command): what it decrypts and verifies is exactly the signable
 * entity. PKI from certs/mkdirect.sh.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "itest.h"
#include "mime.h"
#include "smime.h"

static const char *
pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

GW_TEST(mime_smime_openssl_opens_direct_message)
{
	static const char *const to[] = {"doc@direct-b.example"};
	struct gw_smime_cert *signer = gw_test_direct_cert("ehr-a", 1);
	struct gw_smime_cert *rcpt = gw_test_direct_cert("doc-b", 0);
	struct gw_buf signable, outer, signd, msg;
	struct gw_mime_direct m = {
	    .from = "ehr@direct-a.example",
	    .to = to,
	    .nto = 1,
	    .subject_title = "Referral",
	    .final_delivery = 1,
	    .zip_name = "pkg",
	    .date = time(NULL),
	};
	char zip[600], eml[600], dec[700], ver[700], cmd[3000];
	char id[GW_MIME_MSGID_LEN], zdata[3000];
	char *content = NULL;
	size_t clen = 0;
	struct gw_err e;

	REQUIRE(pki()[0] != '\0');
	REQUIRE(signer != NULL && rcpt != NULL);
	gw_buf_init(&signable, 1 << 20);
	gw_buf_init(&outer, 4096);
	gw_buf_init(&signd, 1 << 21);
	gw_buf_init(&msg, 1 << 22);
	for (size_t i = 0; i < sizeof(zdata); i++)
		zdata[i] = (char)(i * 13);
	snprintf(zip, sizeof(zip), "%s/pkg.zip", gw_test_tmpdir());
	snprintf(eml, sizeof(eml), "%s/direct.eml", gw_test_tmpdir());
	snprintf(dec, sizeof(dec), "%s.dec", eml);
	snprintf(ver, sizeof(ver), "%s.ver", eml);
	REQUIRE(gw_test_write_file(zip, zdata, sizeof(zdata)) == 0);
	m.zip_path = zip;

	REQUIRE(gw_mime_build_direct(&m, &signable, &outer, id, &e) == 0);
	if (gw_smime_sign(signable.data, signable.len, &signer, 1, &signd, &e) <
		0 ||
	    gw_buf_append(&msg, outer.data, outer.len) < 0 ||
	    gw_smime_encrypt(signd.data, signd.len, &rcpt, 1,
			     GW_SMIME_AES128_CBC, GW_SMIME_RSA_PKCS1, &msg,
			     &e) < 0)
		fprintf(stderr, "    %s\n", e.msg);
	REQUIRE(msg.len > outer.len);
	REQUIRE(gw_test_write_file(eml, msg.data, msg.len) == 0);
	/* The outer message shows the routing fields, not the Subject. */
	CHECK(strncmp(msg.data, "From: ehr@direct-a.example\r\n", 28) == 0);
	CHECK(strstr(msg.data, id) != NULL);
	CHECK(strstr(msg.data, "Subject") == NULL);
	CHECK(strstr(msg.data, "\r\nContent-Type: application/pkcs7-mime;") !=
	      NULL);

	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -in %s -recip %s/doc-b.crt -inkey "
		 "%s/doc-b.key -out %s",
		 eml, pki(), pki(), dec);
	CHECK_INT(gw_run(cmd, NULL), 0);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -verify -in %s -CAfile %s/anchor-a.pem -out %s",
		 dec, pki(), ver);
	CHECK_INT(gw_run(cmd, NULL), 0);
	content = gw_test_slurp(ver, &clen);
	REQUIRE(content != NULL);
	CHECK_INT(clen, signable.len);
	CHECK(clen == signable.len &&
	      memcmp(content, signable.data, clen) == 0);
	CHECK(strstr(content, "Subject: XDM/1.0/DDM Referral\r\n") != NULL);

	free(content);
	gw_smime_cert_free(signer);
	gw_smime_cert_free(rcpt);
	gw_buf_dispose(&signable);
	gw_buf_dispose(&outer);
	gw_buf_dispose(&signd);
	gw_buf_dispose(&msg);
}
