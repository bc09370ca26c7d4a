/*
 * NAME
 *	tls - TLS context policy and peer identity
 * DESCRIPTION
 *	The only file besides gSOAP itself that touches OpenSSL's TLS API.
 * SECURITY
 *	Peer certificates reach us only after OpenSSL verified them against
 *	the configured CA (SSL_VERIFY_PEER); we read, never trust, the names.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int
gw_tls_ctx_harden(void *ssl_ctx, struct gw_err *err)
{
	SSL_CTX *ctx = ssl_ctx;

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		return gw_err_set(err, GW_ERROR, "4.7.0",
				  "cannot set TLS 1.2 minimum");
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
				     SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	return 0;
}

void
gw_tls_ctx_client_optional(void *ssl_ctx)
{
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
}

int
gw_tls_ctx_verify_host(void *ssl_ctx, const char *host, struct gw_err *err)
{
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ssl_ctx);

	X509_VERIFY_PARAM_set_hostflags(p,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	/* An address literal is matched against iPAddress SANs. */
	if (X509_VERIFY_PARAM_set1_ip_asc(p, host))
		return 0;
	if (!X509_VERIFY_PARAM_set1_host(p, host, 0))
		return gw_err_set(err, GW_ERROR, "5.7.0",
				  "cannot set TLS host name '%s'", host);
	return 0;
}

bool
gw_tls_peer_identity(void *ssl, char *subject, size_t subject_len,
		     char fp[GW_TLS_FP_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *cert;
	X509_NAME *name;
	int n;

	subject[0] = '\0';
	fp[0] = '\0';
	if (ssl == NULL)
		return false;
	cert = SSL_get1_peer_certificate(ssl); /* new reference */
	if (cert == NULL)
		return false;
	name = X509_get_subject_name(cert);
	n = X509_NAME_get_text_by_NID(name, NID_commonName, subject,
				      (int)subject_len);
	if (n < 0)
		X509_NAME_oneline(name, subject, (int)subject_len);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen)) {
		memcpy(fp, "sha256:", 7);
		for (unsigned int i = 0; i < mdlen && i < 32; i++)
			snprintf(fp + 7 + 2 * i, 3, "%02x", md[i]);
	}
	X509_free(cert);
	return true;
}
