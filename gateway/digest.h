/*
 * NAME
 *	digest - message digests of byte strings (OpenSSL EVP)
 * STANDARDS
 *	FIPS 180-4. SHA-1 is what XDS metadata "hash" means (ITI TF-3 4.2.3).
 */
#ifndef GW_DIGEST_H
#define GW_DIGEST_H

#include <stddef.h>

struct gw_digest;

/* 40 lowercase hex digits + NUL. */
void gw_digest_sha1_hex(const void *p, size_t len, char out[41]);

/*
 * Incremental SHA-1: gw_digest_sha1_new(), any number of
 * gw_digest_update(), then gw_digest_final_hex() (40 lowercase hex + NUL)
 * and gw_digest_free() (accepts NULL). new returns NULL and update or
 * final return -1 only when OpenSSL fails. One object per thread.
 */
struct gw_digest *gw_digest_sha1_new(void);
int gw_digest_update(struct gw_digest *d, const void *p, size_t len);
int gw_digest_final_hex(struct gw_digest *d, char out[41]);
void gw_digest_free(struct gw_digest *d);

#endif
