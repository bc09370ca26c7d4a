/*
 * NAME
 *	keys - our certificates and private keys, and the recipient
 *	certificates known locally
 * SUMMARY
 *	A directory (config key keys_dir) holds:
 *	    own/<sha256>.pem     a certificate, its chain and its private
 *	                         key: we sign (and decrypt) with these
 *	    certs/<sha256>.pem   a recipient's certificate (no key): the
 *	                         local certificate discovery backend
 *	    anchors/<domain>/    trust anchors (trust.h)
 *	A certificate is bound to the names of its subjectAltName:
 *	rfc822Name -> that address, dNSName -> that domain. Files named by
 *	the repeatable config key "cert = <path>[ <password-file>]" (PEM or
 *	PKCS#12) are loaded at start too, without being copied.
 * DESCRIPTION
 *	gw_keys_open() loads everything once, before privileges are
 *	dropped; the loaded set is read-only and so may be shared by all
 *	threads. Administration (gw_keys_import(), gw_keys_remove()) works
 *	on the directory; a running daemon sees changes when it is
 *	restarted.
 * STANDARDS
 *	Direct Applicability Statement (SPEC.md 1.6, 1.7: address- and
 *	domain-bound certificates; the sender signs with every usable
 *	certificate).
 * SECURITY
 *	Only keys and smime ever hold a private key. Files are 0600 in 0700
 *	directories, written atomically (certfile.h).
 * LIMITS
 *	GW_KEYS_MAX certificates per directory; GW_CERTFILE_MAX bytes per
 *	file.
 */
#ifndef GW_KEYS_H
#define GW_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "smime.h"

#define GW_KEYS_MAX 100000

struct gw_keys;

enum gw_keys_kind {
	GW_KEYS_OWN,       /* with a private key: ours */
	GW_KEYS_RECIPIENT, /* certificate only: someone we send to */
};

struct gw_keys_entry {
	struct gw_smime_cert *cert; /* borrowed from the set */
	struct gw_smime_cert_info info;
	enum gw_keys_kind kind;
	char *path;       /* the file it was loaded from */
	bool from_config; /* named by a "cert" line, not in keys_dir */
};

/*
 * Load own/ and certs/ under dir. A missing dir (or subdirectory) is an
 * empty set, not an error. GW_EPARSE naming the file for one that cannot
 * be read, GW_ELIMIT past GW_KEYS_MAX. The caller frees *out.
 */
int gw_keys_open(const char *dir, struct gw_keys **out, struct gw_err *err);
/*
 * Add the file of one "cert = <path>[ <password-file>]" config line.
 * GW_EPARSE, GW_ETRUST (wrong PKCS#12 password), GW_EEXISTS when that
 * certificate is loaded already. Not thread-safe (start-up only).
 */
int gw_keys_add_config(struct gw_keys *k, const char *spec, struct gw_err *err);
/* Accepts NULL. */
void gw_keys_free(struct gw_keys *k);

/* The entries, own ones first, each group in fingerprint order. */
size_t gw_keys_count(const struct gw_keys *k);
const struct gw_keys_entry *gw_keys_entry_get(const struct gw_keys *k,
					      size_t i);

/*
 * Our signing certificates for sender (an address): those bound to the
 * address that gw_smime_cert_check() accepts for signing at now; if there
 * are none, those bound to the address's domain. *out is a new array of
 * new references (gw_smime_certs_free()). GW_EPARSE for a bad address,
 * GW_ENOTFOUND when no certificate with a key is bound to either name,
 * GW_ETRUST (with the last reason) when some are but none is usable.
 * Thread-safe.
 */
int gw_keys_signers_for(struct gw_keys *k, const char *sender, time_t now,
			struct gw_smime_cert ***out, size_t *nout,
			struct gw_err *err);

/*
 * Every certificate of kind whose subjectAltName binds it to name (an
 * address: rfc822Name, or a domain: dNSName; compared in lower case),
 * valid or not; *out as above (NULL and 0 when there are none).
 * Thread-safe.
 */
void gw_keys_certs_for(struct gw_keys *k, const char *name,
		       enum gw_keys_kind kind, struct gw_smime_cert ***out,
		       size_t *nout);

/*
 * Import a PEM, DER or PKCS#12 file (pass_file: the password's file, or
 * NULL) into dir: with a private key into own/, without one into
 * certs/. fp_out gets its SHA-256 fingerprint, kind_out where it went.
 * GW_EPARSE for unreadable material, for a CA certificate (an anchor,
 * see trust.h) and for one with no rfc822Name or dNSName to bind it to;
 * GW_ETRUST for a wrong password; GW_EEXISTS when it is there already.
 */
int gw_keys_import(const char *dir, const char *path, const char *pass_file,
		   char fp_out[GW_SMIME_FP_LEN], enum gw_keys_kind *kind_out,
		   struct gw_err *err);
/*
 * Remove the certificate with this SHA-256 fingerprint (hex, any case,
 * ':' allowed) from own/ or certs/. GW_EPARSE for a malformed
 * fingerprint, GW_ENOTFOUND when there is none.
 */
int gw_keys_remove(const char *dir, const char *fp, struct gw_err *err);

#endif
