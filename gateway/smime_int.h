/*
 * NAME
 *	smime_int - the OpenSSL objects behind a struct gw_smime_cert, for
 *	the modules that must hand them to OpenSSL themselves (certfile:
 *	PEM/PKCS#12 files; trust: X509_STORE path building). Not for other
 *	modules: everyone else uses smime.h.
 * DESCRIPTION
 *	OpenSSL's own struct tags are used so that this header needs no
 *	OpenSSL include (X509 is struct x509_st, EVP_PKEY struct
 *	evp_pkey_st, STACK_OF(X509) struct stack_st_X509).
 */
#ifndef GW_SMIME_INT_H
#define GW_SMIME_INT_H

struct gw_smime_cert;
struct x509_st;
struct evp_pkey_st;
struct stack_st_X509;
struct X509_name_st;

/*
 * A new handle (one reference) that takes ownership of x, of key and of
 * chain (intermediates); key and chain may be NULL. The caller has
 * checked that key matches x.
 */
struct gw_smime_cert *gw_smime_cert_wrap(struct x509_st *x,
					 struct evp_pkey_st *key,
					 struct stack_st_X509 *chain);
/* Borrowed; live as long as c. */
struct x509_st *gw_smime_cert_x509(const struct gw_smime_cert *c);
struct evp_pkey_st *gw_smime_cert_pkey(const struct gw_smime_cert *c);
struct stack_st_X509 *gw_smime_cert_chain(const struct gw_smime_cert *c);
/* A distinguished name as one RFC 2253 line (UTF-8 kept), into out. */
void gw_smime_name_line(const struct X509_name_st *n, char *out, size_t len);

struct gw_err;
/*
 * Record OpenSSL's newest error as "what: <OpenSSL's words>" with code
 * and status, and clear OpenSSL's error queue. Returns code.
 */
int gw_smime_ossl_err(struct gw_err *err, int code, const char *status,
		      const char *what);

#endif
