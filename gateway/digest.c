/*
 * NAME
 *	digest - SHA-1 hex of a buffer
 */
#include "digest.h"

#include <stdio.h>

#include <openssl/evp.h>

void
gw_digest_sha1_hex(const void *p, size_t len, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!EVP_Digest(p, len, md, &n, EVP_sha1(), NULL))
		return;
	for (unsigned int i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}
