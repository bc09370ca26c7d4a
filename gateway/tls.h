/*
 * NAME
 *	tls - TLS policy and peer identity on top of gSOAP's OpenSSL use
 * SUMMARY
 *	gSOAP creates the SSL_CTX and runs the handshakes; these helpers set
 *	what its defaults get wrong and read who the peer is. Types are
 *	passed as void * so callers need no OpenSSL headers.
 * STANDARDS
 *	RFC 8996 / BCP 195 (TLS 1.2 minimum), RFC 6125 (host-name checks).
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define GW_TLS_FP_LEN 72 /* "sha256:" + 64 hex + NUL */

/* TLS 1.2 or newer only, on an SSL_CTX. */
int gw_tls_ctx_harden(void *ssl_ctx, struct gw_err *err);
/*
 * Ask for a client certificate but accept a handshake without one; a
 * certificate that is sent must still verify.
 */
void gw_tls_ctx_client_optional(void *ssl_ctx);
/*
 * Replace gSOAP's loose host matcher (GSOAP.md 7.7): OpenSSL checks the
 * server name against host per RFC 6125 during the handshake.
 */
int gw_tls_ctx_verify_host(void *ssl_ctx, const char *host, struct gw_err *err);
/*
 * The verified peer certificate of an SSL, if any: its subject CN (or the
 * whole subject when it has no CN) and its SHA-256 fingerprint. Returns
 * false when the peer sent none.
 */
bool gw_tls_peer_identity(void *ssl, char *subject, size_t subject_len,
			  char fp[GW_TLS_FP_LEN]);

#endif
