/*
 * NAME
 *	digest - message digests of byte strings (OpenSSL EVP)
 * STANDARDS
 *	FIPS 180-4. SHA-1 is what XDS metadata "hash" means (ITI TF-3 4.2.3).
 */
#ifndef GW_DIGEST_H
#define GW_DIGEST_H

#include <stddef.h>

/* 40 lowercase hex digits + NUL. */
void gw_digest_sha1_hex(const void *p, size_t len, char out[41]);

#endif
