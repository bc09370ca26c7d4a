/*
 * Integration: the incoming security agent (agent.c) and the incoming
 * half of smime.c (decrypt, verify) on messages made by an independent
 * implementation, the openssl cms command (PKI from certs/mkdirect.sh),
 * and on the Direct Java RI corpus messages (SPEC.md 1.3-1.8,
 * corpus/direct/EXPECTED.md 1).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "buf.h"
#include "itest.h"
#include "keys.h"
#include "smime.h"
#include "trust.h"

static const char *
pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

static int
put(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f != NULL && fwrite(p, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/*
 * A keys_dir with doc-b's key (ours) and anchor for direct-b.example;
 * made once per anchor name.
 */
static int
open_env(const char *anchor, struct gw_keys **k, struct gw_trust **t)
{
	char dir[600], pem[700], cmd[2200], fp[GW_SMIME_FP_LEN];
	char fps[2][GW_SMIME_FP_LEN];
	enum gw_keys_kind kind;
	struct gw_err e;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/agent-%s", gw_test_tmpdir(), anchor);
	snprintf(pem, sizeof(pem), "%s.doc-b.pem", dir);
	snprintf(cmd, sizeof(cmd), "cat %s/doc-b.crt %s/doc-b.key >%s", pki(),
		 pki(), pem);
	if (gw_sh(cmd) != 0)
		return -1;
	(void)gw_keys_import(dir, pem, NULL, fp, &kind, &e);
	snprintf(pem, sizeof(pem), "%s/%s.pem", pki(), anchor);
	(void)gw_trust_anchor_add(dir, "direct-b.example", pem, fps, 2, &n, &e);
	if (gw_keys_open(dir, k, &e) != 0 || gw_trust_open(dir, t, &e) != 0) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	return 0;
}

struct how {
	const char *signer; /* NULL: not signed */
	const char *md;     /* sha256 unless given */
	int unwrapped;      /* no message/rfc822 wrapper */
	int plain_only;     /* neither signed nor encrypted */
	int no_encrypt;     /* signed only */
	int oldmime;        /* application/x-pkcs7-* */
	int tamper;         /* change a byte of the signed content */
	const char *to;     /* protected To (doc@direct-b.example) */
	const char *ctype;  /* inner Content-Type (text/plain) */
};

/*
 * Make <tmp>/<name>.eml with the openssl command line as h says: an
 * inner message from ehr@direct-a.example, wrapped, signed, encrypted
 * to doc-b.
 */
static int
make(const char *name, const struct how *h, char *path, size_t plen)
{
	char inner[600], signd[600], cmd[3000], body[1200];
	const char *in = inner;
	int n;

	snprintf(path, plen, "%s/%s.eml", gw_test_tmpdir(), name);
	snprintf(inner, sizeof(inner), "%s.inner", path);
	snprintf(signd, sizeof(signd), "%s.signed", path);
	n = snprintf(body, sizeof(body),
		     "%sFrom: EHR A <ehr@direct-a.example>\r\n"
		     "To: \"Doc, B\" <%s>\r\n"
		     "Subject: XDM/1.0/DDM test\r\n"
		     "Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n"
		     "Message-ID: <%s@direct-a.example>\r\n"
		     "MIME-Version: 1.0\r\n"
		     "Content-Type: %s\r\n"
		     "\r\n"
		     "hello\r\n",
		     h->unwrapped ? "" : "Content-Type: message/rfc822\r\n\r\n",
		     h->to ? h->to : "Doc@Direct-B.example", name,
		     h->ctype ? h->ctype : "text/plain");
	if (h->unwrapped) /* only the MIME entity is signed */
		n = snprintf(body, sizeof(body),
			     "Content-Type: %s\r\n\r\nhello\r\n",
			     h->ctype ? h->ctype : "text/plain");
	if (put(inner, body, (size_t)n) != 0)
		return -1;
	if (h->plain_only)
		return put(path, body, (size_t)n);
	if (h->signer != NULL) {
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -sign -in %s -signer %s/%s.crt -inkey "
			 "%s/%s.key -md %s -out %s",
			 inner, pki(), h->signer, pki(), h->signer,
			 h->md ? h->md : "sha256", signd);
		if (gw_sh(cmd) != 0)
			return -1;
		in = signd;
		if (h->tamper) {
			size_t len = 0;
			char *s = gw_test_slurp(signd, &len);
			char *p = s ? strstr(s, "hello") : NULL;
			int rc;

			if (p == NULL) {
				free(s);
				return -1;
			}
			*p = 'j';
			rc = put(signd, s, len);
			free(s);
			if (rc != 0)
				return -1;
		}
	}
	if (h->no_encrypt)
		snprintf(cmd, sizeof(cmd), "cp %s %s", in, path);
	else
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -encrypt -in %s -aes128 "
			 "-from ehr@direct-a.example -to doc@direct-b.example "
			 "-out %s %s/doc-b.crt",
			 in, path, pki());
	if (gw_sh(cmd) != 0)
		return -1;
	if (!h->oldmime)
		return 0;
	/* The legacy types of old S/MIME agents, inside and outside. */
	snprintf(cmd, sizeof(cmd),
		 "sed -i 's|application/pkcs7-|application/x-pkcs7-|g' %s", in);
	if (gw_sh(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -encrypt -in %s -aes128 "
		 "-from ehr@direct-a.example -to doc@direct-b.example "
		 "-out %s %s/doc-b.crt && "
		 "sed -i 's|application/pkcs7-|application/x-pkcs7-|g' %s",
		 in, path, pki(), path);
	return gw_sh(cmd);
}

struct env {
	struct gw_keys *keys;
	struct gw_trust *trust;
};

/* Run the agent on a made message for rcpts; returns its code. */
static int
run(const struct env *v, const char *path, int sha1, const char *const *rcpts,
    size_t n, struct gw_agent_result *res, struct gw_err *e)
{
	struct gw_agent a = {.keys = v->keys,
			     .trust = v->trust,
			     .allow_sha1 = sha1 != 0,
			     .txid = "test"};
	size_t len = 0;
	char *msg = gw_test_slurp(path, &len);
	int rc;

	if (msg == NULL)
		return -100;
	rc = gw_agent_incoming(&a, "ehr@direct-a.example", rcpts, n, msg, len,
			       res, e);
	free(msg);
	return rc;
}

static const char *const doc[] = {"doc@direct-b.example"};

/* Make name as h says and expect refusal with status and reason. */
static void
refused(const struct env *v, const char *name, const struct how *h,
	const char *const *rcpts, size_t n, const char *status,
	const char *reason)
{
	struct gw_agent_result res;
	char path[600];
	struct gw_err e;
	int rc;

	gw_agent_result_init(&res);
	REQUIRE(make(name, h, path, sizeof(path)) == 0);
	rc = run(v, path, 0, rcpts, n, &res, &e);
	CHECK(rc < 0);
	if (rc < 0) {
		CHECK_STR(e.status, status);
		if (strstr(e.msg, reason) == NULL) {
			fprintf(stderr, "    %s: got \"%s\"\n", name, e.msg);
			CHECK(strstr(e.msg, reason) != NULL);
		}
	}
	CHECK_INT(res.message.len, 0);
	gw_agent_result_dispose(&res);
}

static int
env_open(struct env *v, const char *anchor)
{
	memset(v, 0, sizeof(*v));
	return pki()[0] != '\0' ? open_env(anchor, &v->keys, &v->trust) : -1;
}

static void
env_close(struct env *v)
{
	gw_keys_free(v->keys);
	gw_trust_free(v->trust);
}

GW_TEST(agent_accepts_openssl_cli_wrapped)
{
	struct how h = {.signer = "ehr-a"};
	struct gw_agent_result res;
	char path[600], crt[600], fp[GW_SMIME_FP_LEN];
	struct gw_smime_cert *c = NULL;
	struct env v;
	struct gw_err e;
	int rc;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	gw_agent_result_init(&res);
	REQUIRE(make("wrapped", &h, path, sizeof(path)) == 0);
	rc = run(&v, path, 0, doc, 1, &res, &e);
	if (rc != 0)
		fprintf(stderr, "    %s %s\n", e.status, e.msg);
	REQUIRE(rc == 0);
	CHECK(res.wrapped);
	CHECK(!res.sender_differs);
	CHECK_STR(res.sender, "ehr@direct-a.example");
	CHECK_INT(res.kind, GW_AGENT_MESSAGE);
	CHECK_INT(res.nsigners, 1);
	snprintf(crt, sizeof(crt), "%s/ehr-a.crt", pki());
	REQUIRE(gw_smime_cert_load(crt, NULL, &c, &e) == 0);
	gw_smime_cert_fingerprint(c, fp);
	CHECK_STR(res.signers[0], fp);
	/* The inner message as the sender wrote it, Subject included. */
	CHECK(strncmp(res.message.data, "From: EHR A <ehr@direct-a.example>",
		      34) == 0);
	CHECK(strstr(res.message.data, "Subject: XDM/1.0/DDM test\r\n") !=
	      NULL);
	CHECK(strstr(res.message.data, "\r\n\r\nhello\r\n") != NULL);
	/* A +tag and case in the envelope do not matter. */
	{
		const char *tagged[] = {"<DOC+x@direct-b.EXAMPLE>"};

		rc = run(&v, path, 0, tagged, 1, &res, &e);
		if (rc != 0)
			fprintf(stderr, "    %s %s\n", e.status, e.msg);
		CHECK_INT(rc, 0);
	}
	gw_smime_cert_free(c);
	gw_agent_result_dispose(&res);
	env_close(&v);
}

GW_TEST(agent_accepts_unwrapped_and_legacy_x_pkcs7)
{
	struct how un = {.signer = "ehr-a", .unwrapped = 1};
	struct how old = {.signer = "ehr-a", .oldmime = 1};
	struct gw_agent_result res;
	char path[600];
	size_t len = 0;
	char *raw;
	struct env v;
	struct gw_err e;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	gw_agent_result_init(&res);
	REQUIRE(make("unwrapped", &un, path, sizeof(path)) == 0);
	CHECK_INT(run(&v, path, 0, doc, 1, &res, &e), 0);
	CHECK(!res.wrapped);
	CHECK_STR(res.sender, "ehr@direct-a.example");
	/* Outer routing fields, then the signed entity. */
	CHECK(strstr(res.message.data, "To: doc@direct-b.example") != NULL);
	CHECK(strstr(res.message.data, "Content-Type: text/plain\r\n") != NULL);
	CHECK(strstr(res.message.data, "application/pkcs7-mime") == NULL);

	REQUIRE(make("legacy", &old, path, sizeof(path)) == 0);
	raw = gw_test_slurp(path, &len);
	REQUIRE(raw != NULL);
	CHECK(strstr(raw, "application/x-pkcs7-mime") != NULL);
	free(raw);
	CHECK_INT(run(&v, path, 0, doc, 1, &res, &e), 0);
	CHECK(res.wrapped);
	gw_agent_result_dispose(&res);
	env_close(&v);
}

GW_TEST(agent_refuses_untrusted_signers)
{
	struct how stranger = {.signer = "stranger-a"};
	struct how expired = {.signer = "expired-a"};
	struct how nurse = {.signer = "nurse-a"};
	struct how good = {.signer = "ehr-a"};
	struct env v, b;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	REQUIRE(env_open(&b, "anchor-b") == 0);
	/* Unknown signer: issued under an anchor nobody trusts. */
	refused(&v, "stranger", &stranger, doc, 1, "5.7.5",
		"signer not trusted by direct-b.example for "
		"ehr@direct-a.example: trust: issued by CN=Stranger "
		"anchor,O=dxgw test, which is not an anchor of "
		"direct-b.example");
	refused(&v, "expired", &expired, doc, 1, "5.7.5",
		"for ehr@direct-a.example: smime: expired");
	/* Bound to another address of the sender's domain. */
	refused(&v, "binding", &nurse, doc, 1, "5.7.5",
		"not bound to ehr@direct-a.example nor to direct-a.example");
	/* A good signer, but B's domain trusts only its own anchor. */
	refused(&b, "anchor", &good, doc, 1, "5.7.5",
		"which is not an anchor of direct-b.example (expected: "
		"CN=Direct B anchor,O=dxgw test)");
	env_close(&v);
	env_close(&b);
}

GW_TEST(agent_sha1_only_by_policy)
{
	struct how h = {.signer = "ehr-a", .md = "sha1"};
	struct gw_agent_result res;
	char path[600];
	struct env v;
	struct gw_err e;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	refused(&v, "sha1", &h, doc, 1, "5.7.5",
		"smime: digest sha1 not allowed");
	gw_agent_result_init(&res);
	REQUIRE(make("sha1ok", &h, path, sizeof(path)) == 0);
	CHECK_INT(run(&v, path, 1, doc, 1, &res, &e), 0);
	CHECK_INT(res.nsigners, 1);
	gw_agent_result_dispose(&res);
	env_close(&v);
}

GW_TEST(agent_refuses_unsigned_unencrypted_tampered)
{
	struct how unsigned_ = {0};
	struct how signed_only = {.signer = "ehr-a", .no_encrypt = 1};
	struct how plain = {.plain_only = 1, .unwrapped = 0};
	struct how tampered = {.signer = "ehr-a", .tamper = 1};
	struct env v;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	refused(&v, "unsigned", &unsigned_, doc, 1, "5.7.1",
		"smime: not signed (message/rfc822)");
	refused(&v, "signedonly", &signed_only, doc, 1, "5.7.1",
		"smime: not encrypted (multipart/signed)");
	refused(&v, "plain", &plain, doc, 1, "5.7.1",
		"smime: not encrypted (message/rfc822)");
	refused(&v, "tampered", &tampered, doc, 1, "5.7.7",
		"smime: signature does not verify");
	env_close(&v);
}

GW_TEST(agent_refuses_envelope_not_in_protected_headers)
{
	static const char *const two[] = {"doc@direct-b.example",
					  "nurse@direct-b.example"};
	static const char *const other[] = {"x@direct-c.example"};
	struct how h = {.signer = "ehr-a"};
	struct how nobody = {.signer = "ehr-a", .to = "nurse@direct-b.example"};
	struct env v;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	refused(&v, "rcpt2", &h, two, 2, "5.7.1",
		"agent: envelope recipient nurse@direct-b.example is not in "
		"the protected To/Cc");
	refused(&v, "rcptto", &nobody, doc, 1, "5.7.1",
		"agent: envelope recipient doc@direct-b.example is not in "
		"the protected To/Cc");
	/* No key of ours is bound to that recipient or its domain. */
	refused(&v, "nokey", &h, other, 1, "5.7.5",
		"smime: no key of ours opens it (0 tried)");
	env_close(&v);
}

GW_TEST(agent_refuses_outer_from_tampering_and_sees_mdn)
{
	struct how mdn = {.signer = "ehr-a",
			  .ctype = "multipart/report; "
				   "report-type=disposition-notification; "
				   "boundary=x"};
	struct how h = {.signer = "ehr-a"};
	struct gw_agent_result res;
	char path[600];
	size_t len = 0;
	char *raw, *p;
	struct env v;
	struct gw_err e;

	REQUIRE(env_open(&v, "anchor-a") == 0);
	gw_agent_result_init(&res);
	REQUIRE(make("mdn", &mdn, path, sizeof(path)) == 0);
	CHECK_INT(run(&v, path, 0, doc, 1, &res, &e), 0);
	CHECK_INT(res.kind, GW_AGENT_MDN);

	REQUIRE(make("outerfrom", &h, path, sizeof(path)) == 0);
	raw = gw_test_slurp(path, &len);
	REQUIRE(raw != NULL);
	p = strstr(raw, "From: ehr@");
	REQUIRE(p != NULL);
	memcpy(p + 6, "eve", 3); /* From: eve@direct-a.example */
	REQUIRE(put(path, raw, len) == 0);
	free(raw);
	CHECK(run(&v, path, 0, doc, 1, &res, &e) == GW_ETRUST);
	CHECK_STR(e.status, "5.7.1");
	CHECK(strstr(e.msg, "outer From eve@direct-a.example is not the "
			    "protected From ehr@direct-a.example") != NULL);
	gw_agent_result_dispose(&res);
	env_close(&v);
}

/* ---- the Direct Java RI corpus ------------------------------------- */

/* ryan.der + ryanKey.der (PKCS#8 DER) as one PEM file. */
static int
ryan_pem(char *pem, size_t len)
{
	char cmd[2400];
	const char *c = gw_test_corpus();

	snprintf(pem, len, "%s/ryan.pem", gw_test_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -inform DER -in "
		 "%s/direct/certs/direct-ri-java-agent/certs/ryan.der -out %s "
		 "&& openssl pkey -inform DER -in "
		 "%s/direct/certs/direct-ri-java-agent/certs/ryanKey.der >>%s",
		 c, pem, c, pem);
	return gw_sh(cmd);
}

static char *
corpus_msg(const char *name, size_t *len)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/direct/messages/direct-ri-java-agent/%s",
		 gw_test_corpus(), name);
	return gw_test_slurp(p, len);
}

GW_TEST(smime_corpus_ri_java_decrypt_verify)
{
	struct gw_smime_verify_opts o = {0};
	struct gw_smime_verify_result vr;
	struct gw_smime_cert *ryan = NULL;
	struct gw_trust *t = NULL;
	char pem[600], dir[600], ca[800], fps[2][GW_SMIME_FP_LEN];
	struct gw_buf dec;
	struct gw_err e;
	size_t len = 0, n;
	char *msg;

	REQUIRE(ryan_pem(pem, sizeof(pem)) == 0);
	REQUIRE(gw_smime_cert_load(pem, pem, &ryan, &e) == 0);
	gw_buf_init(&dec, 8 << 20);
	gw_smime_verify_result_init(&vr, 8 << 20);
	msg = corpus_msg("EncryptedMessage2.txt", &len);
	REQUIRE(msg != NULL);
	REQUIRE(gw_smime_decrypt(msg, len, &ryan, 1, &dec, &e) == 0);
	free(msg);
	CHECK(strncmp(dec.data, "Content-Type: multipart/signed;", 31) == 0);
	CHECK(strstr(dec.data, "micalg=sha256") != NULL);
	REQUIRE(gw_smime_verify(dec.data, dec.len, &o, &vr, &e) == 0);
	CHECK_STR(vr.micalg, "sha256");
	REQUIRE(vr.nsigners >= 1);
	CHECK(vr.signers[0].verified);
	CHECK_STR(vr.signers[0].digest, "sha256");
	CHECK(strncmp(vr.content.data, "content-type: message/rfc822", 28) ==
	      0);
	/*
	 * The certificates were re-issued in 2021 (valid to 2048): the
	 * whole Direct check holds today against the RI's CA as anchor.
	 */
	snprintf(dir, sizeof(dir), "%s/ri-keys", gw_test_tmpdir());
	snprintf(ca, sizeof(ca),
		 "%s/direct/certs/direct-ri-java-agent/certs/"
		 "secureHealthEmailCACert.der",
		 gw_test_corpus());
	REQUIRE(gw_trust_anchor_add(dir, "securehealthemail.com", ca, fps, 2,
				    &n, &e) == 0);
	REQUIRE(gw_trust_open(dir, &t, &e) == 0);
	REQUIRE(vr.signers[0].cert != NULL);
	CHECK_INT(gw_trust_check(t, "securehealthemail.com", vr.signers[0].cert,
				 "gm2552@securehealthemail.com",
				 GW_SMIME_USE_SIGN, time(NULL), &e),
		  0);

	/* Addressed to a key we do not have: a clean refusal. */
	msg = corpus_msg("EncryptedMessage3.txt", &len);
	REQUIRE(msg != NULL);
	gw_buf_reset(&dec);
	CHECK_INT(gw_smime_decrypt(msg, len, &ryan, 1, &dec, &e), GW_ETRUST);
	CHECK_STR(e.status, "5.7.5");
	CHECK_STR(e.msg, "smime: no key of ours opens it (1 tried)");
	CHECK_INT(dec.len, 0);
	free(msg);
	gw_trust_free(t);
	gw_smime_verify_result_dispose(&vr);
	gw_buf_dispose(&dec);
	gw_smime_cert_free(ryan);
}

/*
 * The .NET RI messages whose inner multipart/signed OpenSSL's S/MIME
 * reader refuses (fields without a blank after the colon): the
 * hand-written splitter hands the signature the exact first part.
 * The certificate expired in 2025 and the digest is SHA-1: only the
 * signature math is checked, and SHA-1 only when allowed.
 */
GW_TEST(smime_corpus_dotnet_envelope_signature)
{
	static const char *const files[] = {
	    "envelopeSignature.eml", "envelopeSignatureContentType1.eml",
	    "envelopeSignatureContentType2.eml"};
	struct gw_smime_verify_opts o = {0};
	struct gw_smime_cert *biff = NULL;
	char pem[600], cmd[2400], p[800];
	struct gw_err e;

	snprintf(pem, sizeof(pem), "%s/biff.pem", gw_test_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "openssl pkcs12 -legacy -nodes -passin pass:'passw0rd!' "
		 "-in %s/direct/certs/nhin-d-dotnet/nhind/Private/"
		 "nhind_umamalga1_vm1.pfx -out %s",
		 gw_test_corpus(), pem);
	REQUIRE(gw_sh(cmd) == 0);
	REQUIRE(gw_smime_cert_load(pem, pem, &biff, &e) == 0);
	for (size_t i = 0; i < 3; i++) {
		struct gw_smime_verify_result vr;
		struct gw_buf dec;
		size_t len = 0;
		char *msg;
		int rc;

		snprintf(p, sizeof(p),
			 "%s/direct/messages/nhin-d-dotnet/unittests/agent/"
			 "TestMessages/%s",
			 gw_test_corpus(), files[i]);
		msg = gw_test_slurp(p, &len);
		REQUIRE(msg != NULL);
		gw_buf_init(&dec, 1 << 20);
		gw_smime_verify_result_init(&vr, 1 << 20);
		rc = gw_smime_decrypt(msg, len, &biff, 1, &dec, &e);
		if (rc != 0)
			fprintf(stderr, "    %s: %s\n", files[i], e.msg);
		CHECK_INT(rc, 0);
		/* Signed with SHA-1 in 2010: the math holds, policy says no. */
		CHECK_INT(gw_smime_verify(dec.data, dec.len, &o, &vr, &e),
			  GW_ETRUST);
		CHECK_STR(e.msg, "smime: digest sha1 not allowed");
		CHECK(vr.nsigners >= 1 && vr.signers[0].verified);
		CHECK_STR(vr.signers[0].digest, "sha1");
		gw_smime_verify_result_dispose(&vr);
		gw_smime_verify_result_init(&vr, 1 << 20);
		o.allow_sha1 = true;
		rc = gw_smime_verify(dec.data, dec.len, &o, &vr, &e);
		o.allow_sha1 = false;
		if (rc != 0)
			fprintf(stderr, "    %s: %s\n", files[i], e.msg);
		CHECK_INT(rc, 0);
		CHECK(!vr.canonical);
		CHECK_INT(vr.content.len, 251); /* EXPECTED.md */
		gw_smime_verify_result_dispose(&vr);
		gw_buf_dispose(&dec);
		free(msg);
	}
	gw_smime_cert_free(biff);
}

GW_TEST(agent_corpus_ri_java_message_accepted)
{
	static const char *const ryan[] = {"ryan@securehealthemail.com"};
	char pem[600], dir[600], ca[800], fp[GW_SMIME_FP_LEN];
	char fps[2][GW_SMIME_FP_LEN];
	struct gw_agent_result res;
	struct gw_agent a = {.txid = "ri"};
	enum gw_keys_kind kind;
	struct gw_err e;
	size_t len = 0, n;
	char *msg;

	REQUIRE(ryan_pem(pem, sizeof(pem)) == 0);
	snprintf(dir, sizeof(dir), "%s/ri-agent", gw_test_tmpdir());
	snprintf(ca, sizeof(ca),
		 "%s/direct/certs/direct-ri-java-agent/certs/"
		 "secureHealthEmailCACert.der",
		 gw_test_corpus());
	REQUIRE(gw_keys_import(dir, pem, NULL, fp, &kind, &e) == 0);
	REQUIRE(gw_trust_anchor_add(dir, "securehealthemail.com", ca, fps, 2,
				    &n, &e) == 0);
	REQUIRE(gw_keys_open(dir, &a.keys, &e) == 0);
	REQUIRE(gw_trust_open(dir, &a.trust, &e) == 0);
	gw_agent_result_init(&res);
	msg = corpus_msg("EncryptedMessage2.txt", &len);
	REQUIRE(msg != NULL);
	if (gw_agent_incoming(&a, "gm2552@securehealthemail.com", ryan, 1, msg,
			      len, &res, &e) != 0)
		fprintf(stderr, "    %s %s\n", e.status, e.msg);
	CHECK_STR(res.sender, "gm2552@securehealthemail.com");
	CHECK(res.wrapped);
	CHECK_INT(res.nsigners, 1);
	CHECK(res.message.len > 0 &&
	      strstr(res.message.data, "Subject: test pic") != NULL);
	free(msg);
	gw_agent_result_dispose(&res);
	gw_keys_free(a.keys);
	gw_trust_free(a.trust);
}
