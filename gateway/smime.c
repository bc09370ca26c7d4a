/*
 * NAME
 *	smime - Direct S/MIME sign and encrypt with OpenSSL CMS (see smime.h)
 * DESCRIPTION
 *	Signing uses CMS_DETACHED | CMS_BINARY on content we canonicalised
 *	ourselves: OpenSSL's text mode would canonicalise a copy and leave
 *	the bytes we write out of step with the bytes it signed (SPEC.md
 *	pitfall P1). The SignedData is DER, base64 in 76-column lines, in
 *	the second part of a multipart/signed whose boundary is a fresh
 *	UUID, so it cannot occur in the content.
 *	Encryption adds one RecipientInfo per certificate; with OAEP the
 *	key transport uses SHA-256 for both the OAEP digest and MGF1.
 * SECURITY
 *	Private keys stay in EVP_PKEY objects and are never written out.
 *	Certificate checks are made by the caller with gw_smime_cert_check()
 *	before a certificate is handed to sign or encrypt.
 */
#include "smime.h"
#include "smime_int.h"

#include <stdatomic.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "id.h"
#include "mimescan.h"
#include "mem.h"

#define B64_LINE_IN 57 /* 57 bytes -> 76 base64 characters */

struct gw_smime_cert {
	X509 *x;
	EVP_PKEY *key;          /* NULL when only the certificate is known */
	STACK_OF(X509) * chain; /* intermediates that came with it, or NULL */
	atomic_int refs;
};

/* Record the newest OpenSSL error after what (see smime_int.h). */
int
gw_smime_ossl_err(struct gw_err *err, int code, const char *status,
		  const char *what)
{
	char b[256];
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, b, sizeof(b));
	else
		snprintf(b, sizeof(b), "no detail");
	ERR_clear_error();
	return gw_err_set(err, code, status, "%s: %s", what, b);
}

static int
ossl_err(struct gw_err *err, int code, const char *what)
{
	char w[200];

	snprintf(w, sizeof(w), "smime: %s", what);
	return gw_smime_ossl_err(err, code,
				 code == GW_EPARSE ? "5.7.5" : "4.7.0", w);
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x = NULL;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k = NULL;

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

int
gw_smime_cert_load(const char *cert_path, const char *key_path,
		   struct gw_smime_cert **out, struct gw_err *err)
{
	struct gw_smime_cert *c = gw_xcalloc(1, sizeof(*c));
	int rc = -1;

	*out = NULL;
	atomic_init(&c->refs, 1);
	c->x = read_cert(cert_path);
	if (c->x == NULL) {
		rc = ossl_err(err, GW_EPARSE, cert_path);
		goto out;
	}
	if (key_path != NULL) {
		c->key = read_key(key_path);
		if (c->key == NULL) {
			rc = ossl_err(err, GW_EPARSE, key_path);
			goto out;
		}
		if (X509_check_private_key(c->x, c->key) != 1) {
			rc = ossl_err(err, GW_EPARSE,
				      "private key does not match certificate");
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	gw_smime_cert_free(c);
	return rc;
}

struct gw_smime_cert *
gw_smime_cert_ref(struct gw_smime_cert *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void
gw_smime_cert_free(struct gw_smime_cert *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	X509_free(c->x);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->chain, X509_free);
	free(c);
}

void
gw_smime_certs_free(struct gw_smime_cert **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		gw_smime_cert_free(v[i]);
	free(v);
}

struct gw_smime_cert *
gw_smime_cert_wrap(X509 *x, EVP_PKEY *key, STACK_OF(X509) * chain)
{
	struct gw_smime_cert *c = gw_xcalloc(1, sizeof(*c));

	atomic_init(&c->refs, 1);
	c->x = x;
	c->key = key;
	c->chain = chain;
	return c;
}

X509 *
gw_smime_cert_x509(const struct gw_smime_cert *c)
{
	return c->x;
}

EVP_PKEY *
gw_smime_cert_pkey(const struct gw_smime_cert *c)
{
	return c->key;
}

STACK_OF(X509) * gw_smime_cert_chain(const struct gw_smime_cert *c)
{
	return c->chain;
}

bool
gw_smime_cert_has_key(const struct gw_smime_cert *c)
{
	return c->key != NULL;
}

static void
hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
gw_smime_cert_fingerprint(const struct gw_smime_cert *c,
			  char out[GW_SMIME_FP_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (X509_digest(c->x, EVP_sha256(), md, &n) != 1 || n != 32) {
		/* Cannot happen for a parsed certificate; never match. */
		memset(out, '0', GW_SMIME_FP_LEN - 1);
		out[GW_SMIME_FP_LEN - 1] = '\0';
		ERR_clear_error();
		return;
	}
	hex(md, n, out);
}

void
gw_smime_name_line(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long got;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		got = BIO_get_mem_data(b, &p);
		if (got > 0)
			snprintf(out, len, "%.*s", (int)got, p);
	}
	BIO_free(b);
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Copy printable SAN names of one type, lower case. */
static size_t
san_names(X509 *x, int want, char names[][GW_SMIME_NAME_LEN])
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) &&
			n < GW_SMIME_NAMES_MAX;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;
		bool ok = true;

		if (g->type != want)
			continue;
		s = want == GEN_EMAIL ? g->d.rfc822Name : g->d.dNSName;
		if (s == NULL || s->length <= 0 ||
		    s->length >= GW_SMIME_NAME_LEN)
			continue;
		for (int k = 0; k < s->length; k++)
			if (s->data[k] <= 0x20 || s->data[k] >= 0x7f)
				ok = false;
		if (!ok)
			continue;
		for (int k = 0; k < s->length; k++)
			names[n][k] = (char)tolower(s->data[k]);
		names[n][s->length] = '\0';
		n++;
	}
	GENERAL_NAMES_free(gens);
	return n;
}

void
gw_smime_cert_info(const struct gw_smime_cert *c,
		   struct gw_smime_cert_info *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_PKEY *pk = X509_get0_pubkey(c->x);

	memset(out, 0, sizeof(*out));
	gw_smime_name_line(X509_get_subject_name(c->x), out->subject,
			   sizeof(out->subject));
	gw_smime_name_line(X509_get_issuer_name(c->x), out->issuer,
			   sizeof(out->issuer));
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		out->rsa_bits = EVP_PKEY_get_bits(pk);
	out->not_before = asn1_time(X509_get0_notBefore(c->x));
	out->not_after = asn1_time(X509_get0_notAfter(c->x));
	gw_smime_cert_fingerprint(c, out->sha256);
	if (X509_digest(c->x, EVP_sha1(), md, &n) == 1 && n == 20)
		hex(md, n, out->sha1);
	out->has_key = c->key != NULL;
	out->is_ca = X509_check_ca(c->x) != 0;
	out->nchain = c->chain != NULL ? (size_t)sk_X509_num(c->chain) : 0;
	out->naddresses = san_names(c->x, GEN_EMAIL, out->addresses);
	out->ndomains = san_names(c->x, GEN_DNS, out->domains);
	ERR_clear_error();
}

/* Does a subjectAltName of type want equal name (ASCII, any case)? */
static int
san_matches(X509 *x, int want, const char *name)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t nl = strlen(name);
	int found = 0;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != want)
			continue;
		s = want == GEN_EMAIL ? g->d.rfc822Name : g->d.dNSName;
		if (s != NULL && (size_t)s->length == nl &&
		    memchr(s->data, '\0', (size_t)s->length) == NULL &&
		    strncasecmp((const char *)s->data, name, nl) == 0)
			found = 1;
	}
	GENERAL_NAMES_free(gens);
	return found;
}

int
gw_smime_cert_check(const struct gw_smime_cert *c, const char *bound_to,
		    enum gw_smime_use use, time_t now, struct gw_err *err)
{
	EVP_PKEY *pk = X509_get0_pubkey(c->x);
	uint32_t ku;
	int address = strchr(bound_to, '@') != NULL;
	int rc = GW_ETRUST;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		gw_err_set(err, rc, "5.7.0", "smime: not an RSA key");
		goto out;
	}
	if (EVP_PKEY_get_bits(pk) < 2048) {
		gw_err_set(err, rc, "5.7.0",
			   "smime: RSA key of %d bits (2048 needed)",
			   EVP_PKEY_get_bits(pk));
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(c->x), &now) > 0) {
		gw_err_set(err, rc, "5.7.0", "smime: not valid yet");
		goto out;
	}
	if (X509_cmp_time(X509_get0_notAfter(c->x), &now) < 0) {
		gw_err_set(err, rc, "5.7.0", "smime: expired");
		goto out;
	}
	if (!san_matches(c->x, address ? GEN_EMAIL : GEN_DNS, bound_to)) {
		gw_err_set(err, rc, "5.7.0",
			   "smime: no subjectAltName %s equal to %s",
			   address ? "rfc822Name" : "dNSName", bound_to);
		goto out;
	}
	ku = X509_get_key_usage(c->x); /* all bits when absent */
	if (use == GW_SMIME_USE_SIGN && !(ku & KU_DIGITAL_SIGNATURE)) {
		gw_err_set(err, rc, "5.7.0",
			   "smime: keyUsage lacks digitalSignature");
		goto out;
	}
	if (use == GW_SMIME_USE_ENCRYPT && !(ku & KU_KEY_ENCIPHERMENT)) {
		gw_err_set(err, rc, "5.7.0",
			   "smime: keyUsage lacks keyEncipherment");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	return rc;
}

int
gw_smime_canon(const void *p, size_t len, struct gw_buf *out)
{
	const char *s = p;
	size_t run = 0; /* bytes since the last line end, copied in runs */

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\r' && s[i] != '\n') {
			run++;
			continue;
		}
		if (gw_buf_append(out, s + i - run, run) < 0 ||
		    gw_buf_append(out, "\r\n", 2) < 0)
			return -1;
		run = 0;
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			i++;
	}
	return gw_buf_append(out, s + len - run, run);
}

/* Append DER as base64 in 76-column CRLF lines. */
static int
append_b64(struct gw_buf *out, const unsigned char *der, size_t len)
{
	unsigned char line[80];

	(void)gw_buf_reserve(out, len / B64_LINE_IN * 78 + 78); /* a hint */
	for (size_t off = 0; off < len; off += B64_LINE_IN) {
		size_t n = len - off < B64_LINE_IN ? len - off : B64_LINE_IN;
		int w = EVP_EncodeBlock(line, der + off, (int)n);

		if (gw_buf_append(out, line, (size_t)w) < 0 ||
		    gw_buf_append(out, "\r\n", 2) < 0)
			return -1;
	}
	return 0;
}

/* DER of cms, base64, appended to out. */
static int
append_cms(struct gw_buf *out, CMS_ContentInfo *cms, struct gw_err *err)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *der = NULL;
	long len;
	int rc = -1;

	if (mem == NULL || i2d_CMS_bio(mem, cms) != 1) {
		rc = ossl_err(err, GW_ERROR, "DER encoding");
		goto out;
	}
	len = BIO_get_mem_data(mem, &der);
	if (len <= 0 ||
	    append_b64(out, (unsigned char *)der, (size_t)len) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"smime: output larger than allowed");
		goto out;
	}
	rc = 0;
out:
	BIO_free(mem);
	return rc;
}

/* Only CRLF line ends: the canonical form already (RFC 8551 3.1.1). */
static bool
is_crlf_only(const char *p, size_t len)
{
	const char *e = p + len;

	for (const char *s = p; (s = memchr(s, '\n', (size_t)(e - s))) != NULL;
	     s++)
		if (s == p || s[-1] != '\r')
			return false;
	for (const char *s = p; (s = memchr(s, '\r', (size_t)(e - s))) != NULL;
	     s++)
		if (s + 1 == e || s[1] != '\n')
			return false;
	return true;
}

int
gw_smime_sign(const void *entity, size_t len,
	      struct gw_smime_cert *const *signers, size_t nsigners,
	      struct gw_buf *out, struct gw_err *err)
{
	const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
	CMS_ContentInfo *cms = NULL;
	struct gw_buf canon;
	char bnd[GW_ID_UUID_LEN + 16];
	char uuid[GW_ID_UUID_LEN];
	const char *data = entity;
	size_t dlen = len;
	BIO *in = NULL;
	int rc = -1;

	/* Every bare LF or CR may become two bytes: at most 2 x len. */
	gw_buf_init(&canon, len > ((size_t)-1 - 2) / 2 ? 0 : 2 * len + 2);
	if (nsigners == 0) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.0", "smime: no signer");
		goto out;
	}
	/* What mime builds is canonical already: sign it without a copy. */
	if (!is_crlf_only(entity, len)) {
		if (gw_smime_canon(entity, len, &canon) < 0) {
			rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
					"smime: too large");
			goto out;
		}
		data = canon.data;
		dlen = canon.len;
	}
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (cms == NULL) {
		rc = ossl_err(err, GW_ERROR, "CMS_sign");
		goto out;
	}
	for (size_t i = 0; i < nsigners; i++) {
		if (signers[i]->key == NULL) {
			rc = gw_err_set(err, GW_ETRUST, "5.7.0",
					"smime: signer without a private key");
			goto out;
		}
		if (CMS_add1_signer(cms, signers[i]->x, signers[i]->key,
				    EVP_sha256(), flags) == NULL) {
			rc = ossl_err(err, GW_ERROR, "add signer");
			goto out;
		}
	}
	if (dlen > (size_t)0x7fffffff) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
		goto out;
	}
	in = BIO_new_mem_buf(data, (int)dlen);
	if (in == NULL || CMS_final(cms, in, NULL, flags) != 1) {
		rc = ossl_err(err, GW_ERROR, "signing");
		goto out;
	}
	gw_id_uuid(uuid);
	snprintf(bnd, sizeof(bnd), "dxgw-s-%s", uuid);
	/*
	 * Room for the content, the headers and a signature of a few KB in
	 * one allocation; only a hint: the appends below enforce the limit.
	 */
	(void)gw_buf_reserve(out, dlen + 8192);
	if (gw_buf_printf(out,
			  "Content-Type: multipart/signed;"
			  " protocol=\"application/pkcs7-signature\";"
			  " micalg=sha-256;\r\n boundary=\"%s\"\r\n\r\n"
			  "--%s\r\n",
			  bnd, bnd) < 0 ||
	    gw_buf_append(out, data, dlen) < 0 ||
	    gw_buf_printf(out,
			  "\r\n--%s\r\n"
			  "Content-Type: application/pkcs7-signature;"
			  " name=\"smime.p7s\"\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "Content-Disposition: attachment;"
			  " filename=\"smime.p7s\"\r\n\r\n",
			  bnd) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
		goto out;
	}
	if ((rc = append_cms(out, cms, err)) < 0)
		goto out;
	if (gw_buf_printf(out, "\r\n--%s--\r\n", bnd) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
		goto out;
	}
	rc = 0;
out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	gw_buf_dispose(&canon);
	ERR_clear_error();
	return rc;
}

/* Switch one RecipientInfo to RSAES-OAEP with SHA-256 and MGF1-SHA-256. */
static int
use_oaep(CMS_RecipientInfo *ri)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);

	return pctx != NULL &&
	       EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

int
gw_smime_encrypt(const void *entity, size_t len,
		 struct gw_smime_cert *const *rcpts, size_t nrcpts,
		 enum gw_smime_cipher cipher, enum gw_smime_keyenc keyenc,
		 struct gw_buf *out, struct gw_err *err)
{
	const unsigned int flags = CMS_BINARY | CMS_PARTIAL;
	const EVP_CIPHER *ciph = cipher == GW_SMIME_AES256_CBC
				     ? EVP_aes_256_cbc()
				     : EVP_aes_128_cbc();
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	int rc = -1;

	if (nrcpts == 0) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.0",
				"smime: no recipient certificate");
		goto out;
	}
	cms = CMS_encrypt(NULL, NULL, ciph, flags);
	if (cms == NULL) {
		rc = ossl_err(err, GW_ERROR, "CMS_encrypt");
		goto out;
	}
	for (size_t i = 0; i < nrcpts; i++) {
		CMS_RecipientInfo *ri = CMS_add1_recipient_cert(
		    cms, rcpts[i]->x,
		    keyenc == GW_SMIME_RSA_OAEP ? CMS_KEY_PARAM : 0);

		if (ri == NULL ||
		    (keyenc == GW_SMIME_RSA_OAEP && !use_oaep(ri))) {
			rc = ossl_err(err, GW_ERROR, "add recipient");
			goto out;
		}
	}
	if (len > (size_t)0x7fffffff) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
		goto out;
	}
	in = BIO_new_mem_buf(entity, (int)len);
	if (in == NULL || CMS_final(cms, in, NULL, flags) != 1) {
		rc = ossl_err(err, GW_ERROR, "encrypting");
		goto out;
	}
	if (gw_buf_puts(out, "Content-Type: application/pkcs7-mime;"
			     " smime-type=enveloped-data;"
			     " name=\"smime.p7m\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;"
			     " filename=\"smime.p7m\"\r\n\r\n") < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
		goto out;
	}
	rc = append_cms(out, cms, err);
out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

/* ---- incoming: decrypt and verify --------------------------------- */

/* application/pkcs7-<sub> or the legacy application/x-pkcs7-<sub>? */
static bool
is_pkcs7(const char *type, const char *sub)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "application/pkcs7-%s", sub);
	snprintf(b, sizeof(b), "application/x-pkcs7-%s", sub);
	return strcmp(type, a) == 0 || strcmp(type, b) == 0;
}

/* The parsed top of an entity: type, the raw Content-Type, the body. */
struct entity {
	const char *p;
	size_t len, hlen, body;
	char type[128];
	struct gw_buf ct; /* the Content-Type value */
};

static int
entity_open(struct entity *e, const void *p, size_t len, struct gw_err *err)
{
	e->p = p;
	e->len = len;
	gw_buf_init(&e->ct, 8192);
	gw_mimescan_split(e->p, len, &e->hlen, &e->body);
	if (!gw_mimescan_field(e->p, e->hlen, "Content-Type", 0, &e->ct))
		gw_buf_reset(&e->ct);
	if (gw_buf_append(&e->ct, "", 0) < 0)
		return gw_err_set(err, GW_ERROR, "4.3.0", "out of memory");
	return gw_mimescan_ctype(e->ct.data, e->type, sizeof(e->type), err);
}

/* The base64 body of e, decoded into der. */
static int
entity_der(const struct entity *e, struct gw_buf *der, struct gw_err *err)
{
	struct gw_buf cte;
	int rc = GW_EPARSE;

	gw_buf_init(&cte, 256);
	if (gw_mimescan_field(e->p, e->hlen, "Content-Transfer-Encoding", 0,
			      &cte) &&
	    strcasecmp(cte.data, "base64") != 0) {
		gw_err_set(err, rc, "5.6.0",
			   "smime: %s body in %.40s, not base64", e->type,
			   cte.data);
		goto out;
	}
	/* One pass with a table: EVP_DecodeUpdate was the agent's cost. */
	rc = gw_b64_decode(e->p + e->body, e->len - e->body, der);
	if (rc == GW_ELIMIT) {
		gw_err_set(err, rc, "5.3.4", "smime: too large");
		goto out;
	}
	if (rc < 0 || der->len == 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"smime: %s body is not base64", e->type);
		goto out;
	}
	rc = 0;
out:
	gw_buf_dispose(&cte);
	return rc;
}

static CMS_ContentInfo *
cms_parse(const struct gw_buf *der, struct gw_err *err)
{
	const unsigned char *p = (const unsigned char *)der->data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der->len);

	if (cms == NULL)
		gw_smime_ossl_err(err, GW_EPARSE, "5.7.5", "smime: not CMS");
	return cms;
}

/* One decryption attempt on a fresh parse; appends to out on success. */
static int
try_decrypt(const struct gw_buf *der, const struct gw_smime_cert *k,
	    bool by_cert, struct gw_buf *out)
{
	CMS_ContentInfo *cms = cms_parse(der, NULL);
	BIO *mem = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int rc = -1;

	if (cms == NULL || mem == NULL || k->key == NULL)
		goto out;
	if (CMS_decrypt(cms, k->key, by_cert ? k->x : NULL, NULL, mem,
			CMS_BINARY | (by_cert ? 0 : CMS_DEBUG_DECRYPT)) != 1)
		goto out;
	n = BIO_get_mem_data(mem, &p);
	rc = n >= 0 && gw_buf_append(out, p, (size_t)n) == 0 ? 0 : GW_ELIMIT;
out:
	if (p != NULL)
		OPENSSL_cleanse(p, (size_t)BIO_get_mem_data(mem, &p));
	BIO_free(mem);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

int
gw_smime_decrypt(const void *msg, size_t len, struct gw_smime_cert *const *keys,
		 size_t nkeys, struct gw_buf *out, struct gw_err *err)
{
	CMS_ContentInfo *cms = NULL;
	struct entity e;
	struct gw_buf der;
	char st[64];
	int rc, nid;

	gw_buf_init(&der, len);
	if ((rc = entity_open(&e, msg, len, err)) != 0)
		goto out;
	rc = GW_ETRUST;
	if (!is_pkcs7(e.type, "mime")) {
		gw_err_set(err, rc, "5.7.1", "smime: not encrypted (%s)",
			   e.type);
		goto out;
	}
	if (gw_mimescan_param(e.ct.data, "smime-type", st, sizeof(st)) &&
	    strcasecmp(st, "enveloped-data") != 0) {
		gw_err_set(err, rc, "5.7.1",
			   "smime: not encrypted (smime-type=%.40s)", st);
		goto out;
	}
	if ((rc = entity_der(&e, &der, err)) != 0)
		goto out;
	if ((cms = cms_parse(&der, err)) == NULL) {
		rc = GW_EPARSE;
		goto out;
	}
	nid = OBJ_obj2nid(CMS_get0_type(cms));
	if (nid != NID_pkcs7_enveloped) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.1",
				"smime: not encrypted (CMS %s)",
				OBJ_nid2sn(nid));
		goto out;
	}
	/* By certificate first: no guessing, no padding oracle. */
	for (size_t i = 0; i < nkeys; i++)
		if ((rc = try_decrypt(&der, keys[i], true, out)) != -1)
			goto done;
	for (size_t i = 0; i < nkeys; i++)
		if ((rc = try_decrypt(&der, keys[i], false, out)) != -1)
			goto done;
	rc = gw_err_set(err, GW_ETRUST, "5.7.5",
			"smime: no key of ours opens it (%zu tried)", nkeys);
	goto out;
done:
	if (rc == GW_ELIMIT)
		gw_err_set(err, rc, "5.3.4", "smime: decrypted too large");
out:
	CMS_ContentInfo_free(cms);
	gw_buf_dispose(&der);
	gw_buf_dispose(&e.ct);
	ERR_clear_error();
	return rc;
}

void
gw_smime_verify_result_init(struct gw_smime_verify_result *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	gw_buf_init(&r->content, max);
}

void
gw_smime_verify_result_dispose(struct gw_smime_verify_result *r)
{
	for (size_t i = 0; i < r->nsigners; i++)
		gw_smime_cert_free(r->signers[i].cert);
	r->nsigners = 0;
	gw_buf_dispose(&r->content);
}

static bool
digest_allowed(int nid, const struct gw_smime_verify_opts *o)
{
	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512 ||
	       (nid == NID_sha1 && o != NULL && o->allow_sha1);
}

/* A handle on signer with the message's other certificates as chain. */
static struct gw_smime_cert *
signer_handle(X509 *signer, STACK_OF(X509) * certs)
{
	STACK_OF(X509) *chain = sk_X509_new_null();

	for (int i = 0; chain != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_cmp(x, signer) != 0 && X509_up_ref(x) == 1 &&
		    !sk_X509_push(chain, x))
			X509_free(x);
	}
	if (X509_up_ref(signer) != 1) {
		sk_X509_pop_free(chain, X509_free);
		return NULL;
	}
	return gw_smime_cert_wrap(signer, NULL, chain);
}

/* Read the data BIO chain to its end (digesting it); content if wanted. */
static int
drain(BIO *chain, struct gw_buf *content)
{
	char b[8192];
	int n;

	while ((n = BIO_read(chain, b, sizeof(b))) > 0)
		if (content != NULL && gw_buf_append(content, b, (size_t)n) < 0)
			return GW_ELIMIT;
	return n < 0 && !BIO_eof(chain) ? -1 : 0;
}

/*
 * Check every SignerInfo of cms over dcont (NULL: the eContent, copied
 * to res->content). Fills res->signers; the number that verified with
 * an allowed digest in *good.
 */
static int
check_signers(CMS_ContentInfo *cms, const void *dcont, size_t dlen,
	      const struct gw_smime_verify_opts *o,
	      struct gw_smime_verify_result *res, size_t *good,
	      struct gw_err *err)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	BIO *in = NULL, *chain = NULL;
	int rc = -1;

	*good = 0;
	for (size_t i = 0; i < res->nsigners; i++)
		gw_smime_cert_free(res->signers[i].cert);
	res->nsigners = 0;
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) == 0) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.1",
				"smime: not signed (no SignerInfo)");
		goto out;
	}
	(void)CMS_set1_signers_certs(cms, NULL, 0);
	ERR_clear_error();
	if (dcont != NULL) {
		in = BIO_new_mem_buf(dcont, (int)dlen);
		if (in == NULL)
			goto oom;
	}
	chain = CMS_dataInit(cms, in);
	if (chain == NULL) {
		rc = ossl_err(err, GW_EPARSE, "signed data");
		goto out;
	}
	if ((rc = drain(chain, dcont == NULL ? &res->content : NULL)) != 0) {
		rc = rc == GW_ELIMIT ? gw_err_set(err, rc, "5.3.4",
						  "smime: content too large")
				     : ossl_err(err, GW_EPARSE, "content");
		goto out;
	}
	for (int i = 0; i < sk_CMS_SignerInfo_num(sis) &&
			res->nsigners < GW_SMIME_SIGNERS_MAX;
	     i++) {
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, i);
		struct gw_smime_signer *s = &res->signers[res->nsigners++];
		X509_ALGOR *dig = NULL;
		X509 *x = NULL;
		int nid;

		memset(s, 0, sizeof(*s));
		CMS_SignerInfo_get0_algs(si, NULL, &x, &dig, NULL);
		nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
		snprintf(s->digest, sizeof(s->digest), "%s",
			 nid != NID_undef ? OBJ_nid2sn(nid) : "unknown");
		for (char *c = s->digest; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		s->digest_ok = digest_allowed(nid, o);
		if (x == NULL) {
			snprintf(s->why, sizeof(s->why),
				 "signer certificate not in the message");
			continue;
		}
		s->cert = signer_handle(x, certs);
		s->verified = (CMS_signed_get_attr_count(si) < 0 ||
			       CMS_SignerInfo_verify(si) == 1) &&
			      CMS_SignerInfo_verify_content(si, chain) == 1;
		if (!s->verified) {
			unsigned long e = ERR_peek_last_error();
			char b[120] = "no detail";

			if (e != 0)
				ERR_error_string_n(e, b, sizeof(b));
			snprintf(s->why, sizeof(s->why),
				 "signature does not verify: %s", b);
		} else if (!s->digest_ok) {
			snprintf(s->why, sizeof(s->why),
				 "digest %s not allowed", s->digest);
		}
		ERR_clear_error();
		if (s->verified && s->digest_ok)
			(*good)++;
	}
	rc = 0;
	goto out;
oom:
	rc = gw_err_set(err, GW_ERROR, "4.3.0", "out of memory");
out:
	/* Free the digest BIOs, never the caller's content (in). */
	while (chain != NULL && chain != in) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(in);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

/* The refusal for a message in which no signer is good enough. */
static int
no_good_signer(const struct gw_smime_verify_result *res, struct gw_err *err)
{
	for (size_t i = 0; i < res->nsigners; i++)
		if (res->signers[i].verified)
			return gw_err_set(err, GW_ETRUST, "5.7.5", "smime: %s",
					  res->signers[i].why);
	/* RFC 3463 5.7.7: altered (the math fails), not only unverifiable. */
	return gw_err_set(
	    err, GW_ETRUST,
	    res->nsigners > 0 && res->signers[0].cert != NULL ? "5.7.7"
							      : "5.7.5",
	    "smime: %s", res->nsigners > 0 ? res->signers[0].why : "no signer");
}

/* multipart/signed: split by hand, verify over the first part's bytes. */
static int
verify_detached(const struct entity *e, const struct gw_smime_verify_opts *o,
		struct gw_smime_verify_result *res, struct gw_err *err)
{
	struct gw_mimescan_part parts[3];
	CMS_ContentInfo *cms = NULL;
	struct entity sig;
	struct gw_buf der, canon;
	char bnd[128], proto[64];
	size_t n, good = 0;
	int rc = GW_EPARSE;

	memset(&sig, 0, sizeof(sig));
	gw_buf_init(&der, e->len);
	gw_buf_init(&canon, e->len > ((size_t)-1 - 2) / 2 ? 0 : 2 * e->len + 2);
	if (!gw_mimescan_param(e->ct.data, "boundary", bnd, sizeof(bnd))) {
		gw_err_set(err, rc, "5.6.0",
			   "smime: multipart/signed without a boundary");
		goto out;
	}
	if (!gw_mimescan_param(e->ct.data, "protocol", proto, sizeof(proto)) ||
	    (strcasecmp(proto, "application/pkcs7-signature") != 0 &&
	     strcasecmp(proto, "application/x-pkcs7-signature") != 0)) {
		gw_err_set(err, rc, "5.6.0",
			   "smime: multipart/signed protocol is not "
			   "application/pkcs7-signature");
		goto out;
	}
	(void)gw_mimescan_param(e->ct.data, "micalg", res->micalg,
				sizeof(res->micalg));
	if ((rc = gw_mimescan_multipart(e->p + e->body, e->len - e->body, bnd,
					parts, 3, &n, err)) != 0)
		goto out;
	if (n != 2) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"smime: multipart/signed with %zu parts (2 "
				"needed)",
				n);
		goto out;
	}
	if ((rc = entity_open(&sig, parts[1].p, parts[1].len, err)) != 0)
		goto out;
	if (!is_pkcs7(sig.type, "signature")) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"smime: second part is %s, not "
				"application/pkcs7-signature",
				sig.type);
		goto out;
	}
	if ((rc = entity_der(&sig, &der, err)) != 0)
		goto out;
	if ((cms = cms_parse(&der, err)) == NULL) {
		rc = GW_EPARSE;
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    CMS_is_detached(cms) != 1) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"smime: signature part is not a detached "
				"SignedData");
		goto out;
	}
	if (gw_buf_append(&res->content, parts[0].p, parts[0].len) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"smime: content too large");
		goto out;
	}
	rc = check_signers(cms, parts[0].p, parts[0].len, o, res, &good, err);
	if (rc == 0 && good == 0 && !is_crlf_only(parts[0].p, parts[0].len) &&
	    gw_smime_canon(parts[0].p, parts[0].len, &canon) == 0) {
		rc = check_signers(cms, canon.data, canon.len, o, res, &good,
				   err);
		res->canonical = rc == 0 && good > 0;
	}
	if (rc == 0 && good == 0)
		rc = no_good_signer(res, err);
out:
	CMS_ContentInfo_free(cms);
	gw_buf_dispose(&der);
	gw_buf_dispose(&canon);
	gw_buf_dispose(&sig.ct);
	return rc;
}

/* application/pkcs7-mime signed-data: the content is inside. */
static int
verify_opaque(const struct entity *e, const struct gw_smime_verify_opts *o,
	      struct gw_smime_verify_result *res, struct gw_err *err)
{
	CMS_ContentInfo *cms = NULL;
	struct gw_buf der;
	size_t good = 0;
	int rc, nid;

	res->opaque = true;
	gw_buf_init(&der, e->len);
	if ((rc = entity_der(e, &der, err)) != 0)
		goto out;
	if ((cms = cms_parse(&der, err)) == NULL) {
		rc = GW_EPARSE;
		goto out;
	}
	nid = OBJ_obj2nid(CMS_get0_type(cms));
	if (nid != NID_pkcs7_signed || CMS_is_detached(cms) == 1) {
		rc = gw_err_set(err, GW_ETRUST, "5.7.1",
				"smime: not signed (CMS %s%s)", OBJ_nid2sn(nid),
				nid == NID_pkcs7_signed ? " without content"
							: "");
		goto out;
	}
	rc = check_signers(cms, NULL, 0, o, res, &good, err);
	if (rc == 0 && good == 0)
		rc = no_good_signer(res, err);
out:
	CMS_ContentInfo_free(cms);
	gw_buf_dispose(&der);
	return rc;
}

int
gw_smime_verify(const void *entity, size_t len,
		const struct gw_smime_verify_opts *o,
		struct gw_smime_verify_result *res, struct gw_err *err)
{
	struct entity e;
	char st[64];
	int rc;

	if (len > (size_t)0x7fffffff)
		return gw_err_set(err, GW_ELIMIT, "5.3.4", "smime: too large");
	if ((rc = entity_open(&e, entity, len, err)) != 0)
		goto out;
	if (strcmp(e.type, "multipart/signed") == 0) {
		rc = verify_detached(&e, o, res, err);
	} else if (is_pkcs7(e.type, "mime")) {
		if (gw_mimescan_param(e.ct.data, "smime-type", st,
				      sizeof(st)) &&
		    strcasecmp(st, "signed-data") != 0)
			rc = gw_err_set(err, GW_ETRUST, "5.7.1",
					"smime: not signed (smime-type=%.40s)",
					st);
		else
			rc = verify_opaque(&e, o, res, err);
	} else {
		rc = gw_err_set(err, GW_ETRUST, "5.7.1",
				"smime: not signed (%s)", e.type);
	}
out:
	gw_buf_dispose(&e.ct);
	ERR_clear_error();
	return rc;
}
