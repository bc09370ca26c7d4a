/*
 * Integration: an MDN is a Direct message. A processed MDN built by mdn,
 * signed with the original recipient's key and encrypted to the
 * original sender (smime), is opened by the openssl cms command line with
 * the sender's key, verifies against the recipient's anchor, and reads
 * back as the MDN it was.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "itest.h"
#include "mdn.h"
#include "mimescan.h"
#include "smime.h"

GW_TEST(mdn_direct_message_opened_by_openssl)
{
	struct gw_mdn m = {.disposition = GW_MDN_PROCESSED,
			   .from = "doc@direct-b.example",
			   .to = "ehr@direct-a.example",
			   .orig_msgid = "<7@direct-a.example>",
			   .orig_subject = "XDM/1.0/DDM",
			   .reporting_ua = "dxgw.b; dxgw",
			   .date = 1764590000};
	struct gw_smime_cert *signer = gw_test_direct_cert("doc-b", 1);
	struct gw_smime_cert *rcpt = gw_test_direct_cert("ehr-a", 0);
	struct gw_buf s, o, signd, msg;
	struct gw_mdn_info info;
	char id[GW_MDN_MSGID_LEN], eml[600], out[700], cmd[4096];
	const char *pki = gw_test_pki("mkdirect.sh");
	char *content = NULL;
	size_t clen = 0, hlen = 0, off = 0;
	struct gw_err e;
	FILE *f;

	REQUIRE(pki[0] != '\0' && signer != NULL && rcpt != NULL);
	gw_buf_init(&s, 1 << 16);
	gw_buf_init(&o, 1 << 16);
	gw_buf_init(&signd, 1 << 18);
	gw_buf_init(&msg, 1 << 18);
	REQUIRE(gw_mdn_build(&m, &s, &o, id, &e) == 0);
	REQUIRE(gw_smime_sign(s.data, s.len, &signer, 1, &signd, &e) == 0);
	REQUIRE(gw_buf_append(&msg, o.data, o.len) == 0);
	REQUIRE(gw_smime_encrypt(signd.data, signd.len, &rcpt, 1,
				 GW_SMIME_AES128_CBC, GW_SMIME_RSA_PKCS1, &msg,
				 &e) == 0);
	snprintf(eml, sizeof(eml), "%s/mdn.eml", gw_test_tmpdir());
	snprintf(out, sizeof(out), "%s.content", eml);
	REQUIRE((f = fopen(eml, "wb")) != NULL);
	REQUIRE(fwrite(msg.data, 1, msg.len, f) == msg.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -in %s -recip %s/ehr-a.crt -inkey "
		 "%s/ehr-a.key | openssl cms -verify -CAfile %s/anchor-b.pem "
		 "-out %s",
		 eml, pki, pki, pki, out);
	CHECK_INT(gw_run(cmd, NULL), 0);
	content = gw_test_slurp(out, &clen);
	REQUIRE(content != NULL);
	/* The verified content is the message/rfc822 wrapper: unwrap. */
	gw_mimescan_split(content, clen, &hlen, &off);
	REQUIRE(off < clen);
	CHECK(gw_mdn_is_notification(content + off, clen - off));
	REQUIRE(gw_mdn_parse(content + off, clen - off, &info, &e) == 0);
	CHECK_INT(info.disposition, GW_MDN_PROCESSED);
	CHECK_STR(info.orig_msgid, "<7@direct-a.example>");
	CHECK_STR(info.final_recipient, "doc@direct-b.example");
	free(content);
	gw_smime_cert_free(signer);
	gw_smime_cert_free(rcpt);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
	gw_buf_dispose(&signd);
	gw_buf_dispose(&msg);
}
