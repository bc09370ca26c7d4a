/*
 * NAME
 *	certfile - certificates and private keys in files: read PEM, DER
 *	and PKCS#12; write PEM durably
 * SUMMARY
 *	gw_certfile_read() turns a file an operator hands us (PEM with a
 *	certificate, its chain and maybe its key; a DER certificate; a
 *	PKCS#12 bundle with a password file) into one struct gw_smime_cert.
 *	gw_certfile_write() stores a certificate (and its key) as
 *	<dir>/<sha256>.pem the Postfix way: write a temporary file, fsync,
 *	link to its final name (never replacing one), fsync the directory.
 * DESCRIPTION
 *	The leaf is the certificate that matches the private key when there
 *	is one, else the first certificate of the file; the other
 *	certificates become its chain (intermediates for path building).
 *	Encrypted PEM keys are decrypted with the password file too; with
 *	no password file nothing ever prompts on a terminal.
 * STANDARDS
 *	RFC 7468 (PEM), RFC 7292 (PKCS#12), RFC 5280.
 * SECURITY
 *	Files are read with a size limit. Written files are mode 0600 in
 *	directories made 0700; buffers that held a key or a password are
 *	wiped. Private keys are written unencrypted (PKCS#8): the
 *	directory's permissions are their protection, as for a TLS key.
 * LIMITS
 *	GW_CERTFILE_MAX bytes per file; passwords up to 1023 bytes (first
 *	line of the password file).
 */
#ifndef GW_CERTFILE_H
#define GW_CERTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "smime.h"

#define GW_CERTFILE_MAX (1024L * 1024L)

/*
 * Read path (PEM, DER or PKCS#12; pass_file may be NULL) into *out (one
 * reference, the caller frees). GW_EPARSE for unreadable, malformed or
 * mismatched material, GW_ETRUST for a wrong PKCS#12 password,
 * GW_ELIMIT for a file that is too large, GW_ENOTFOUND when path does
 * not exist. Thread-safe.
 */
int gw_certfile_read(const char *path, const char *pass_file,
		     struct gw_smime_cert **out, struct gw_err *err);

/*
 * Write c (its chain too; its key when with_key) to dir/<fp>.pem, where
 * fp is c's SHA-256 fingerprint; dir is created (0700, parents too) if
 * missing. GW_EEXISTS when that file exists already, GW_ETEMP for disk
 * trouble. The file is durable when this returns 0.
 */
int gw_certfile_write(const char *dir, const struct gw_smime_cert *c,
		      bool with_key, struct gw_err *err);

/*
 * Remove dir/<fp>.pem and fsync dir. GW_ENOTFOUND when it is not there.
 */
int gw_certfile_remove(const char *dir, const char *fp, struct gw_err *err);

/* mkdir -p with mode 0700 for what it creates. GW_ETEMP on failure. */
int gw_certfile_mkdirs(const char *dir, struct gw_err *err);

/*
 * Normalise a fingerprint the operator typed (hex, any case, ':'
 * allowed between bytes) into 64 lowercase hex digits; false if it is
 * not a SHA-256 fingerprint.
 */
bool gw_certfile_fp_parse(const char *in, char out[GW_SMIME_FP_LEN]);

/* True for a file name "<64 lowercase hex>.pem". */
bool gw_certfile_name_ok(const char *name);

#endif
