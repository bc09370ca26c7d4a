/*
 * Integration: Direct S/MIME made by smime.c, opened by an independent
 * implementation (the openssl cms command) with the recipient's key and
 * the sender's anchor; certificate usability rules; canonical form.
 * PKI from certs/mkdirect.sh.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "itest.h"
#include "smime.h"

static const char *
pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

/* Load <pki>/<name>.crt, with its key when withkey. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
			p[n] = '\0';
			*len = (size_t)n;
		} else {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

/* An inner message with bare LF line ends, wrapped as message/rfc822. */
static const char entity[] = "Content-Type: message/rfc822\n"
			     "\n"
			     "From: ehr@direct-a.example\n"
			     "To: doc@direct-b.example\n"
			     "Subject: XDM/1.0/DDM test\n"
			     "Message-ID: <1@direct-a.example>\n"
			     "\n"
			     "hello\n"
			     "trailing spaces   \n";

/*
 * Sign with ehr-a, encrypt to doc-b and dom-b, write the message to
 * <tmp>/<name>.eml with outer headers. Returns 0 on success.
 */
static int
make_message(const char *name, enum gw_smime_cipher ciph,
	     enum gw_smime_keyenc kenc, char *path, size_t pathlen)
{
	struct gw_smime_cert *signer = gw_test_direct_cert("ehr-a", 1);
	struct gw_smime_cert *r[2] = {gw_test_direct_cert("doc-b", 0),
				      gw_test_direct_cert("dom-b", 0)};
	struct gw_buf signd, msg;
	struct gw_err e;
	int rc = -1;

	gw_buf_init(&signd, 1 << 20);
	gw_buf_init(&msg, 1 << 20);
	snprintf(path, pathlen, "%s/%s.eml", gw_test_tmpdir(), name);
	if (signer == NULL || r[0] == NULL || r[1] == NULL)
		goto out;
	if (gw_smime_sign(entity, sizeof(entity) - 1, &signer, 1, &signd, &e) <
		0 ||
	    gw_buf_puts(&msg, "From: ehr@direct-a.example\r\n"
			      "To: doc@direct-b.example\r\n"
			      "MIME-Version: 1.0\r\n") < 0 ||
	    gw_smime_encrypt(signd.data, signd.len, r, 2, ciph, kenc, &msg,
			     &e) < 0) {
		fprintf(stderr, "    %s\n", e.msg);
		goto out;
	}
	rc = gw_test_write_file(path, msg.data, msg.len);
out:
	gw_smime_cert_free(signer);
	gw_smime_cert_free(r[0]);
	gw_smime_cert_free(r[1]);
	gw_buf_dispose(&signd);
	gw_buf_dispose(&msg);
	return rc;
}

/* openssl cms -decrypt with <pki>/<who>.{crt,key}; output to out. */
static int
decrypt(const char *in, const char *who, const char *out)
{
	char cmd[3000];

	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -in %s -recip %s/%s.crt -inkey "
		 "%s/%s.key -out %s",
		 in, pki(), who, pki(), who, out);
	return gw_run(cmd, NULL);
}

static int
verify(const char *in, const char *anchor, const char *out)
{
	char cmd[3000];

	snprintf(cmd, sizeof(cmd),
		 "openssl cms -verify -in %s -CAfile %s/%s.pem -out %s", in,
		 pki(), anchor, out);
	return gw_run(cmd, NULL);
}

static char *
print_cms(const char *in)
{
	char cmd[1200];
	char *out = NULL;

	snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -in %s", in);
	if (gw_run(cmd, &out) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

GW_TEST(smime_canonical_crlf)
{
	struct gw_buf b;

	gw_buf_init(&b, 1024);
	REQUIRE(gw_smime_canon("a\nb\r\nc\rd\r", 9, &b) == 0);
	CHECK_INT(b.len, 12);
	CHECK(memcmp(b.data, "a\r\nb\r\nc\r\nd\r\n", 12) == 0);
	gw_buf_dispose(&b);
}

GW_TEST(smime_openssl_cli_decrypts_and_verifies)
{
	char eml[600], d1[700], d2[700], c1[700], bad[700];
	char *content = NULL, *signd = NULL, *print = NULL;
	size_t clen = 0, slen = 0;
	struct gw_buf canon;

	REQUIRE(pki()[0] != '\0');
	gw_buf_init(&canon, 4096);
	REQUIRE(make_message("m128", GW_SMIME_AES128_CBC, GW_SMIME_RSA_PKCS1,
			     eml, sizeof(eml)) == 0);
	snprintf(d1, sizeof(d1), "%s.doc", eml);
	snprintf(d2, sizeof(d2), "%s.dom", eml);
	snprintf(c1, sizeof(c1), "%s.content", eml);
	snprintf(bad, sizeof(bad), "%s.bad", eml);

	/* One RecipientInfo per certificate: both keys open it. */
	CHECK_INT(decrypt(eml, "doc-b", d1), 0);
	CHECK_INT(decrypt(eml, "dom-b", d2), 0);
	/* A certificate it was not encrypted to does not. */
	CHECK(decrypt(eml, "stranger", bad) != 0);

	print = print_cms(eml);
	REQUIRE(print != NULL);
	CHECK(strstr(print, "aes-128-cbc") != NULL);
	CHECK(strstr(print, "rsaEncryption") != NULL);
	free(print);

	/* The signed layer: detached SHA-256, verifies under A's anchor. */
	signd = read_file(d1, &slen);
	REQUIRE(signd != NULL);
	CHECK(strstr(signd, "Content-Type: multipart/signed;") == signd);
	CHECK(strstr(signd, "protocol=\"application/pkcs7-signature\"") !=
	      NULL);
	CHECK(strstr(signd, "micalg=sha-256;") != NULL);
	CHECK(strstr(signd, "name=\"smime.p7s\"") != NULL);
	print = print_cms(d1);
	REQUIRE(print != NULL);
	CHECK(strstr(print, "eContent: <ABSENT>") != NULL);
	/* The digest OID itself: certificates mention sha256WithRSA. */
	CHECK(strstr(print, "sha256 (2.16.840.1.101.3.4.2.1)") != NULL);
	CHECK(strstr(print, "sha1 (") == NULL);
	free(print);
	CHECK_INT(verify(d1, "anchor-a", c1), 0);
	content = read_file(c1, &clen);
	REQUIRE(content != NULL);
	REQUIRE(gw_smime_canon(entity, sizeof(entity) - 1, &canon) == 0);
	CHECK_INT(clen, canon.len);
	CHECK(clen == canon.len && memcmp(content, canon.data, clen) == 0);
	/* B's anchor did not issue the signer. */
	CHECK(verify(d1, "anchor-b", bad) != 0);

	/* One changed byte of the signed content: the signature fails. */
	{
		char *p = strstr(signd, "hello");

		REQUIRE(p != NULL);
		*p = 'j';
		REQUIRE(gw_test_write_file(d2, signd, slen) == 0);
		CHECK(verify(d2, "anchor-a", bad) != 0);
	}
	free(content);
	free(signd);
	gw_buf_dispose(&canon);
}

GW_TEST(smime_aes256_oaep)
{
	char eml[600], d1[700], c1[700];
	char *print = NULL;

	REQUIRE(pki()[0] != '\0');
	REQUIRE(make_message("m256", GW_SMIME_AES256_CBC, GW_SMIME_RSA_OAEP,
			     eml, sizeof(eml)) == 0);
	print = print_cms(eml);
	REQUIRE(print != NULL);
	CHECK(strstr(print, "aes-256-cbc") != NULL);
	CHECK(strstr(print, "rsaesOaep") != NULL);
	CHECK(strstr(print, "rsaEncryption") == NULL);
	free(print);
	snprintf(d1, sizeof(d1), "%s.doc", eml);
	snprintf(c1, sizeof(c1), "%s.content", eml);
	CHECK_INT(decrypt(eml, "doc-b", d1), 0);
	CHECK_INT(verify(d1, "anchor-a", c1), 0);
}

/* Check name for bound_to and use; returns the error message or "ok". */
static const char *
check(const char *name, const char *bound_to, enum gw_smime_use use, time_t now,
      struct gw_err *e)
{
	struct gw_smime_cert *c = gw_test_direct_cert(name, 0);
	int rc;

	if (c == NULL)
		return "load failed";
	rc = gw_smime_cert_check(c, bound_to, use, now, e);
	gw_smime_cert_free(c);
	if (rc == 0)
		return "ok";
	CHECK_INT(rc, GW_ETRUST);
	return e->msg;
}

GW_TEST(smime_certificate_rules)
{
	const enum gw_smime_use ENC = GW_SMIME_USE_ENCRYPT;
	const enum gw_smime_use SIG = GW_SMIME_USE_SIGN;
	time_t now = time(NULL);
	struct gw_err e;

	REQUIRE(pki()[0] != '\0');
	CHECK_STR(check("doc-b", "doc@direct-b.example", ENC, now, &e), "ok");
	CHECK_STR(check("doc-b", "DOC@Direct-B.Example", ENC, now, &e), "ok");
	CHECK_STR(check("ehr-a", "ehr@direct-a.example", SIG, now, &e), "ok");
	CHECK_STR(check("dom-b", "direct-b.example", ENC, now, &e), "ok");
	/* Bound to another address, or to the domain only. */
	CHECK_STR(check("doc-b", "nurse@direct-b.example", ENC, now, &e),
		  "smime: no subjectAltName rfc822Name equal to "
		  "nurse@direct-b.example");
	CHECK_STR(check("dom-b", "doc@direct-b.example", ENC, now, &e),
		  "smime: no subjectAltName rfc822Name equal to "
		  "doc@direct-b.example");
	CHECK_STR(check("doc-b", "direct-b.example", ENC, now, &e),
		  "smime: no subjectAltName dNSName equal to direct-b.example");
	CHECK_STR(check("nosan-b", "doc@direct-b.example", ENC, now, &e),
		  "smime: no subjectAltName rfc822Name equal to "
		  "doc@direct-b.example");
	CHECK_STR(check("weak-b", "doc@direct-b.example", ENC, now, &e),
		  "smime: RSA key of 1024 bits (2048 needed)");
	CHECK_STR(check("expired-b", "doc@direct-b.example", ENC, now, &e),
		  "smime: expired");
	/* Valid in 2020, the year it was issued for. */
	CHECK_STR(check("expired-b", "doc@direct-b.example", ENC,
			(time_t)1593561600, &e),
		  "ok");
	CHECK_STR(
	    check("doc-b", "doc@direct-b.example", ENC, (time_t)86400, &e),
	    "smime: not valid yet");
	CHECK_STR(check("signonly-b", "doc@direct-b.example", ENC, now, &e),
		  "smime: keyUsage lacks keyEncipherment");
	CHECK_STR(check("signonly-b", "doc@direct-b.example", SIG, now, &e),
		  "ok");
}

GW_TEST(smime_refuses_bad_inputs)
{
	struct gw_smime_cert *c = NULL,
			     *nokey = gw_test_direct_cert("doc-b", 0);
	char crt[700], key[700];
	struct gw_buf b;
	struct gw_err e;

	REQUIRE(pki()[0] != '\0');
	gw_buf_init(&b, 1 << 16);
	/* A key that belongs to another certificate. */
	snprintf(crt, sizeof(crt), "%s/doc-b.crt", pki());
	snprintf(key, sizeof(key), "%s/dom-b.key", pki());
	CHECK_INT(gw_smime_cert_load(crt, key, &c, &e), GW_EPARSE);
	CHECK(c == NULL);
	CHECK(strstr(e.msg, "does not match") != NULL);
	CHECK_INT(gw_smime_cert_load("/nonexistent.crt", NULL, &c, &e),
		  GW_EPARSE);
	/* Signing needs the private key; encrypting needs a recipient. */
	REQUIRE(nokey != NULL);
	CHECK_INT(gw_smime_sign("x", 1, &nokey, 1, &b, &e), GW_ETRUST);
	CHECK_INT(gw_smime_encrypt("x", 1, NULL, 0, GW_SMIME_AES128_CBC,
				   GW_SMIME_RSA_PKCS1, &b, &e),
		  GW_ETRUST);
	CHECK_INT(b.len, 0);
	gw_smime_cert_free(nokey);
	gw_buf_dispose(&b);
}
