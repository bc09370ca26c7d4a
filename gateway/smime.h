/*
 * NAME
 *	smime - Direct S/MIME: sign, then encrypt, with OpenSSL CMS
 * SUMMARY
 *	Turns a MIME entity (normally the message/rfc822 wrapper of the
 *	whole message) into the two layers the Direct Applicability
 *	Statement requires: a multipart/signed entity with a detached
 *	SHA-256 CMS signature, then an application/pkcs7-mime
 *	enveloped-data entity for every recipient certificate. Also decides
 *	whether a certificate may be used at all (key size, validity,
 *	subjectAltName binding, key usage). Incoming: decrypts an
 *	enveloped-data message with our keys and verifies a
 *	multipart/signed or opaque signed-data entity, reporting every
 *	signer (the trust decision is the caller's, trust.h).
 * DESCRIPTION
 *	Certificates are opaque handles so that OpenSSL stays inside this
 *	module (and tls). The entity handed to gw_smime_sign() is first
 *	canonicalised to CRLF line ends; what is signed is exactly what is
 *	written between the multipart/signed delimiters.
 *	Output entities carry their own MIME header fields and end with
 *	CRLF; the message composer puts the outer header fields before
 *	them.
 * STANDARDS
 *	RFC 5751 (S/MIME 3.2: multipart/signed 3.4.3.2, enveloped-data
 *	3.3, micalg sha-256), RFC 5652 (CMS), RFC 3560 / RFC 8017
 *	(RSAES-OAEP), Direct Applicability Statement 1.x (SPEC.md 1.3,
 *	1.5, 1.6): RSA >= 2048, AES-128-CBC default, AES-256-CBC by choice,
 *	PKCS#1 v1.5 default, OAEP by choice.
 * LIMITS
 *	RSA keys only (Direct certificates are RSA); entities are held in
 *	memory (the caller bounds their size).
 */
#ifndef GW_SMIME_H
#define GW_SMIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct gw_smime_cert;

enum gw_smime_cipher { GW_SMIME_AES128_CBC, GW_SMIME_AES256_CBC };
enum gw_smime_keyenc { GW_SMIME_RSA_PKCS1, GW_SMIME_RSA_OAEP };
enum gw_smime_use { GW_SMIME_USE_SIGN, GW_SMIME_USE_ENCRYPT };

/*
 * Load the first certificate of a PEM file and, when key_path is not
 * NULL (it may be the same file), its private key, which must match.
 * GW_EPARSE for unreadable or mismatched material.
 */
int gw_smime_cert_load(const char *cert_path, const char *key_path,
		       struct gw_smime_cert **out, struct gw_err *err);
/*
 * Certificates are reference counted (atomically, so a handle may be
 * shared between threads, caches and results): gw_smime_cert_ref()
 * returns c with one more reference, gw_smime_cert_free() drops one and
 * frees on the last. Both accept NULL.
 */
struct gw_smime_cert *gw_smime_cert_ref(struct gw_smime_cert *c);
void gw_smime_cert_free(struct gw_smime_cert *c);
/* Drop one reference from each of n handles, then free the array. */
void gw_smime_certs_free(struct gw_smime_cert **v, size_t n);

#define GW_SMIME_FP_LEN    65 /* SHA-256, lowercase hex, with the NUL */
#define GW_SMIME_FP1_LEN   41 /* SHA-1 */
#define GW_SMIME_NAMES_MAX 8  /* subjectAltNames reported per type */
#define GW_SMIME_NAME_LEN  256

/* What "dxgw cert list" and the binding rules need to know. */
struct gw_smime_cert_info {
	char subject[GW_SMIME_NAME_LEN]; /* RFC 2253 style, one line */
	char issuer[GW_SMIME_NAME_LEN];
	int rsa_bits; /* 0 when the key is not RSA */
	time_t not_before, not_after;
	char sha256[GW_SMIME_FP_LEN];
	char sha1[GW_SMIME_FP1_LEN];
	bool has_key;  /* a private key came with it */
	bool is_ca;    /* basicConstraints CA:TRUE */
	size_t nchain; /* extra (intermediate) certificates carried */
	/* subjectAltName rfc822Name / dNSName, lower case, printable only */
	char addresses[GW_SMIME_NAMES_MAX][GW_SMIME_NAME_LEN];
	size_t naddresses;
	char domains[GW_SMIME_NAMES_MAX][GW_SMIME_NAME_LEN];
	size_t ndomains;
};

/* Fill *out from c. Cannot fail; thread-safe. */
void gw_smime_cert_info(const struct gw_smime_cert *c,
			struct gw_smime_cert_info *out);
/* The SHA-256 fingerprint of the certificate's DER, lowercase hex. */
void gw_smime_cert_fingerprint(const struct gw_smime_cert *c,
			       char out[GW_SMIME_FP_LEN]);
/* True when c carries its private key. */
bool gw_smime_cert_has_key(const struct gw_smime_cert *c);

/*
 * May c be used for use on behalf of bound_to, at time now? bound_to is
 * an address (needs a subjectAltName rfc822Name equal to it) or a
 * domain (needs a dNSName equal to it, no wildcard); both compared
 * without regard to case. Also: an RSA key of at least 2048 bits,
 * now inside the validity period, and, when keyUsage is present,
 * digitalSignature for signing or keyEncipherment for encryption.
 * Returns 0 or GW_ETRUST with the reason in err.
 */
int gw_smime_cert_check(const struct gw_smime_cert *c, const char *bound_to,
			enum gw_smime_use use, time_t now, struct gw_err *err);

/*
 * Append the CRLF-canonical form of len bytes at p to out: a bare LF
 * or a bare CR becomes CRLF.
 */
int gw_smime_canon(const void *p, size_t len, struct gw_buf *out);

/*
 * Sign entity (canonicalised first) with every signer (each needs its
 * private key) and append the multipart/signed entity to out.
 */
int gw_smime_sign(const void *entity, size_t len,
		  struct gw_smime_cert *const *signers, size_t nsigners,
		  struct gw_buf *out, struct gw_err *err);

/*
 * Encrypt entity (as given: sign first) to every recipient certificate,
 * one RecipientInfo each, and append the application/pkcs7-mime entity
 * to out.
 */
int gw_smime_encrypt(const void *entity, size_t len,
		     struct gw_smime_cert *const *rcpts, size_t nrcpts,
		     enum gw_smime_cipher cipher, enum gw_smime_keyenc keyenc,
		     struct gw_buf *out, struct gw_err *err);

/*
 * Open an incoming Direct message: msg is a whole RFC 5322 message (or
 * entity) whose top-level Content-Type is application/pkcs7-mime or the
 * legacy application/x-pkcs7-mime, smime-type=enveloped-data (or no
 * smime-type and a CMS EnvelopedData), base64. Each of keys (ours, with
 * their private keys) is tried, first for the RecipientInfo that names
 * its certificate, then - only when none names any of them - against
 * every RecipientInfo (a peer that addressed a re-issued certificate).
 * The decrypted entity (normally multipart/signed) is appended to out.
 * GW_ETRUST (5.7.1) "not encrypted" for another Content-Type, smime-type
 * or CMS type; GW_ETRUST (5.7.5) "no key of ours opens it"; GW_EPARSE
 * (5.6.0 / 5.7.5) for a body that is not base64 or not CMS; GW_ELIMIT
 * when out's maximum is passed. Thread-safe.
 */
int gw_smime_decrypt(const void *msg, size_t len,
		     struct gw_smime_cert *const *keys, size_t nkeys,
		     struct gw_buf *out, struct gw_err *err);

#define GW_SMIME_SIGNERS_MAX 8

struct gw_smime_verify_opts {
	bool allow_sha1; /* accept SHA-1 digests (AS <= 1.2 peers) */
};

/* One SignerInfo of a verified message. */
struct gw_smime_signer {
	/*
	 * The signer's certificate (a new reference, with the other
	 * certificates of the message as its chain), or NULL when the
	 * message does not carry it.
	 */
	struct gw_smime_cert *cert;
	bool verified;   /* the signature math holds over the content */
	bool digest_ok;  /* SHA-256/384/512, or SHA-1 when allowed */
	char digest[16]; /* "sha256", "sha1", "md5", ... */
	char why[160];   /* why not verified or digest refused, else "" */
};

struct gw_smime_verify_result {
	/*
	 * The signed entity as received (multipart/signed: the first part,
	 * byte for byte; opaque: the eContent). Made by
	 * gw_smime_verify_result_init() with the caller's maximum.
	 */
	struct gw_buf content;
	bool opaque;    /* application/pkcs7-mime signed-data */
	bool canonical; /* verified only over the CRLF-canonical form */
	char micalg[32];
	struct gw_smime_signer signers[GW_SMIME_SIGNERS_MAX];
	size_t nsigners;
};

void gw_smime_verify_result_init(struct gw_smime_verify_result *r, size_t max);
/* Drops the certificate references and the content. */
void gw_smime_verify_result_dispose(struct gw_smime_verify_result *r);

/*
 * Verify a signed entity (headers and body): multipart/signed with a
 * detached application/pkcs7-signature (or x-pkcs7-signature), or
 * application/pkcs7-mime (x-pkcs7-mime) smime-type=signed-data. The
 * first part of a multipart/signed is verified over the exact bytes
 * between its delimiters; only when no signer verifies over them and
 * they are not CRLF-canonical is the CRLF form tried (RFC 5751 3.1.1;
 * res->canonical tells). Every SignerInfo is reported in res (up to
 * GW_SMIME_SIGNERS_MAX). Returns 0 when at least one signer verified
 * with an allowed digest. Trust in the signers is the caller's
 * decision (trust.h). GW_ETRUST (5.7.1) "not signed" for another
 * Content-Type; GW_ETRUST (5.7.7) when no signer verifies (the first
 * signer's reason), 5.7.5 when one does but only with a refused digest
 * or the signer's certificate is missing; GW_EPARSE (5.6.0)
 * for a malformed structure; GW_ELIMIT. Thread-safe.
 */
int gw_smime_verify(const void *entity, size_t len,
		    const struct gw_smime_verify_opts *o,
		    struct gw_smime_verify_result *res, struct gw_err *err);

#endif
