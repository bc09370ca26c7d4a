/*
 * NAME
 *	digest - SHA-1 hex of a buffer, at once or incrementally
 */
#include "digest.h"

#include <stdio.h>

#include <openssl/evp.h>

static void
to_hex(const unsigned char *md, unsigned int n, char out[41])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n && i < 20; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * i] = '\0';
}

void
gw_digest_sha1_hex(const void *p, size_t len, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!EVP_Digest(p, len, md, &n, EVP_sha1(), NULL))
		return;
	to_hex(md, n, out);
}

struct gw_digest *
gw_digest_sha1_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c != NULL && EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return (struct gw_digest *)c;
}

int
gw_digest_update(struct gw_digest *d, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	return EVP_DigestUpdate((EVP_MD_CTX *)d, p, len) == 1 ? 0 : -1;
}

int
gw_digest_final_hex(struct gw_digest *d, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_DigestFinal_ex((EVP_MD_CTX *)d, md, &n) != 1 || n != 20)
		return -1;
	to_hex(md, n, out);
	return 0;
}

void
gw_digest_free(struct gw_digest *d)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)d);
}
