/*
 * NAME
 *	trust - trust anchors per local domain, and the decision whether a
 *	peer's certificate may be used
 * SUMMARY
 *	Each of our domains has its own set of anchors, kept as
 *	<keys_dir>/anchors/<domain>/<sha256>.pem and managed with
 *	"dxgw anchor add|list|remove". gw_trust_check() accepts a
 *	certificate for an address or a domain when it passes
 *	gw_smime_cert_check() (RSA >= 2048, validity, subjectAltName
 *	binding, keyUsage) and OpenSSL builds a path from it to one of the
 *	local domain's anchors at the given time.
 * DESCRIPTION
 *	One X509_STORE per local domain, built at open and read-only after
 *	that (OpenSSL locks it internally), so checks are thread-safe.
 *	Intermediates are taken from the certificates that came with the
 *	peer's certificate (its file, later its S/MIME message). An anchor
 *	may be a root or an intermediate CA (X509_V_FLAG_PARTIAL_CHAIN).
 *	The purpose is set explicitly: S/MIME signing or encryption.
 * STANDARDS
 *	RFC 5280 6 (path validation), SPEC.md 1.6-1.7 and 7.1.
 * SECURITY
 *	Domain names become directory names only after gw_addr_domain_ok().
 * LIMITS
 *	No revocation yet: CRLs (SPEC.md 7.3) and AIA fetching of missing
 *	intermediates come with the DNS/LDAP discovery issue. One anchor
 *	set per domain for both directions (the RI keeps incoming and
 *	outgoing sets apart). No trust bundles (.p7b) yet.
 */
#ifndef GW_TRUST_H
#define GW_TRUST_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "smime.h"

struct gw_trust;

struct gw_trust_anchor {
	const char *domain;         /* lower case */
	struct gw_smime_cert *cert; /* borrowed from the set */
	struct gw_smime_cert_info info;
	char *path;
};

/*
 * Load every anchors/<domain>/<sha256>.pem under keys_dir. A missing
 * directory is an empty set. GW_EPARSE naming a bad file. The caller
 * frees *out.
 */
int gw_trust_open(const char *keys_dir, struct gw_trust **out,
		  struct gw_err *err);
/* Accepts NULL. */
void gw_trust_free(struct gw_trust *t);

/* All anchors, by domain then fingerprint. */
size_t gw_trust_count(const struct gw_trust *t);
const struct gw_trust_anchor *gw_trust_anchor_get(const struct gw_trust *t,
						  size_t i);

/*
 * May our local_domain use c for use (sign: verify a signer; encrypt:
 * encrypt to a recipient) on behalf of bound_to (an address or a
 * domain) at now? 0, or GW_ETRUST with the reason in err: the
 * gw_smime_cert_check() rules first, then "no trust anchors for local
 * domain" or the path-building failure. Thread-safe.
 */
int gw_trust_check(struct gw_trust *t, const char *local_domain,
		   const struct gw_smime_cert *c, const char *bound_to,
		   enum gw_smime_use use, time_t now, struct gw_err *err);

/*
 * Add every certificate of file (PEM or DER) as an anchor of domain
 * under keys_dir; fps gets the fingerprints of those added (up to max),
 * *nadded their number. Ones already there are skipped; GW_EEXISTS
 * when all are. GW_EPARSE for a bad domain name or file.
 */
int gw_trust_anchor_add(const char *keys_dir, const char *domain,
			const char *file, char (*fps)[GW_SMIME_FP_LEN],
			size_t max, size_t *nadded, struct gw_err *err);
/* GW_EPARSE (bad domain or fingerprint), GW_ENOTFOUND. */
int gw_trust_anchor_remove(const char *keys_dir, const char *domain,
			   const char *fp, struct gw_err *err);

#endif
