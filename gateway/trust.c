/*
 * NAME
 *	trust - per-domain anchors and path validation (see trust.h)
 * DESCRIPTION
 *	The Direct rules (gw_smime_cert_check) run before path building so
 *	that the reason an operator reads is the Direct one ("expired",
 *	"RSA key of 1024 bits") rather than OpenSSL's wording of the same.
 *	XXX no CRL checking yet (X509_V_FLAG_CRL_CHECK needs fetched CRLs);
 *	SPEC.md 7.3 asks for soft-fail CRLs at the CDP.
 * SECURITY
 *	Anchors are configuration: whoever can write keys_dir decides whom
 *	we trust, hence 0700.
 */
#include "trust.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "certfile.h"
#include "mem.h"
#include "smime_int.h"

struct domain {
	char *name;
	X509_STORE *store;
};

struct gw_trust {
	struct domain *d;
	size_t nd;
	struct gw_trust_anchor *a;
	size_t na;
};

static int
cmp_anchor(const void *x, const void *y)
{
	const struct gw_trust_anchor *a = x, *b = y;
	int c = strcmp(a->domain, b->domain);

	return c != 0 ? c : strcmp(a->info.sha256, b->info.sha256);
}

static int
load_domain(struct gw_trust *t, const char *dir, const char *name,
	    struct gw_err *err)
{
	struct domain *dom;
	char path[4200];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	d = opendir(path);
	if (d == NULL)
		return gw_err_set(err, GW_ETEMP, "4.3.0", "%s: %s", path,
				  strerror(errno));
	t->d = gw_xrealloc(t->d, (t->nd + 1) * sizeof(*t->d));
	dom = &t->d[t->nd++];
	dom->name = gw_xstrdup(name);
	dom->store = X509_STORE_new();
	if (dom->store == NULL)
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "out of memory");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct gw_trust_anchor *a;
		struct gw_smime_cert *c = NULL;

		if (!gw_certfile_name_ok(de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/%s", dir, name,
			     de->d_name) >= (int)sizeof(path)) {
			rc =
			    gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
			break;
		}
		if ((rc = gw_certfile_read(path, NULL, &c, err)) != 0)
			break;
		if (X509_STORE_add_cert(dom->store, gw_smime_cert_x509(c)) !=
		    1) {
			gw_smime_cert_free(c);
			rc = gw_err_set(err, GW_EPARSE, "4.3.0",
					"%s: cannot add to the store", path);
			break;
		}
		t->a = gw_xrealloc(t->a, (t->na + 1) * sizeof(*t->a));
		a = &t->a[t->na++];
		a->domain = dom->name;
		a->cert = c;
		gw_smime_cert_info(c, &a->info);
		a->path = gw_xstrdup(path);
	}
	closedir(d);
	ERR_clear_error();
	return rc;
}

int
gw_trust_open(const char *keys_dir, struct gw_trust **out, struct gw_err *err)
{
	struct gw_trust *t = gw_xcalloc(1, sizeof(*t));
	char dir[4200];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*out = NULL;
	if (snprintf(dir, sizeof(dir), "%s/anchors", keys_dir) >=
	    (int)sizeof(dir)) {
		free(t);
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	}
	d = opendir(dir);
	if (d == NULL && errno != ENOENT)
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "%s: %s", dir,
				strerror(errno));
	while (d != NULL && rc == 0 && (de = readdir(d)) != NULL) {
		bool lower = true;

		for (const char *p = de->d_name; *p; p++)
			if (isupper((unsigned char)*p))
				lower = false;
		if (lower && gw_addr_domain_ok(de->d_name))
			rc = load_domain(t, dir, de->d_name, err);
	}
	if (d != NULL)
		closedir(d);
	if (rc != 0) {
		gw_trust_free(t);
		return rc;
	}
	/* Domain names are kept by the domain array, never moved again. */
	if (t->na > 1)
		qsort(t->a, t->na, sizeof(*t->a), cmp_anchor);
	*out = t;
	return 0;
}

void
gw_trust_free(struct gw_trust *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->na; i++) {
		gw_smime_cert_free(t->a[i].cert);
		free(t->a[i].path);
	}
	for (size_t i = 0; i < t->nd; i++) {
		X509_STORE_free(t->d[i].store);
		free(t->d[i].name);
	}
	free(t->a);
	free(t->d);
	free(t);
}

size_t
gw_trust_count(const struct gw_trust *t)
{
	return t->na;
}

const struct gw_trust_anchor *
gw_trust_anchor_get(const struct gw_trust *t, size_t i)
{
	return i < t->na ? &t->a[i] : NULL;
}

/* Lower-case copy of a domain name; false if it is not one. */
static bool
domain_norm(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);

	if (n >= len)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	return gw_addr_domain_ok(out);
}

/* The subjects of dom's anchors, "; "-separated, for a reason text. */
static void
anchor_names(const struct gw_trust *t, const char *dom, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->na && o + 1 < len; i++) {
		int w;

		if (strcmp(t->a[i].domain, dom) != 0)
			continue;
		w = snprintf(out + o, len - o, "%s%s", o ? "; " : "",
			     t->a[i].info.subject);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* Path building from c to an anchor of dom (in store) at now. */
static int
verify_path(const struct gw_trust *t, const char *dom, X509_STORE *store,
	    const struct gw_smime_cert *c, enum gw_smime_use use, time_t now,
	    struct gw_err *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int rc = GW_ETRUST;
	int e;

	if (ctx == NULL ||
	    X509_STORE_CTX_init(ctx, store, gw_smime_cert_x509(c),
				gw_smime_cert_chain(c)) != 1) {
		rc = gw_err_set(err, GW_ERROR, "4.7.0",
				"trust: cannot start path validation");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, use == GW_SMIME_USE_SIGN
					    ? X509_PURPOSE_SMIME_SIGN
					    : X509_PURPOSE_SMIME_ENCRYPT);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	if (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
		/* Say who issued it and whom we would have trusted. */
		X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
		char issuer[256] = "?", anchors[512];

		if (cur != NULL)
			gw_smime_name_line(X509_get_issuer_name(cur), issuer,
					   sizeof(issuer));
		anchor_names(t, dom, anchors, sizeof(anchors));
		gw_err_set(err, rc, "5.7.0",
			   "trust: issued by %s, which is not an anchor of %s "
			   "(expected: %s)",
			   issuer, dom, anchors[0] ? anchors : "none");
	} else {
		gw_err_set(err, rc, "5.7.0", "trust: %s (depth %d)",
			   X509_verify_cert_error_string(e),
			   X509_STORE_CTX_get_error_depth(ctx));
	}
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int
gw_trust_check(struct gw_trust *t, const char *local_domain,
	       const struct gw_smime_cert *c, const char *bound_to,
	       enum gw_smime_use use, time_t now, struct gw_err *err)
{
	char dom[256];
	int rc;

	if (!domain_norm(local_domain, dom, sizeof(dom)))
		return gw_err_set(err, GW_ETRUST, "5.7.0",
				  "trust: bad local domain '%.100s'",
				  local_domain);
	if ((rc = gw_smime_cert_check(c, bound_to, use, now, err)) != 0)
		return rc;
	for (size_t i = 0; i < t->nd; i++)
		if (strcmp(t->d[i].name, dom) == 0)
			return verify_path(t, dom, t->d[i].store, c, use, now,
					   err);
	return gw_err_set(err, GW_ETRUST, "5.7.0",
			  "trust: no trust anchors for local domain %s", dom);
}

/* Write one certificate as an anchor into dir. */
static int
add_one(const char *dir, X509 *x, char fp[GW_SMIME_FP_LEN], struct gw_err *err)
{
	struct gw_smime_cert *c;
	int rc;

	if (X509_up_ref(x) != 1)
		return gw_err_set(err, GW_ERROR, "4.3.0", "out of memory");
	c = gw_smime_cert_wrap(x, NULL, NULL);
	gw_smime_cert_fingerprint(c, fp);
	rc = gw_certfile_write(dir, c, false, err);
	gw_smime_cert_free(c);
	return rc;
}

int
gw_trust_anchor_add(const char *keys_dir, const char *domain, const char *file,
		    char (*fps)[GW_SMIME_FP_LEN], size_t max, size_t *nadded,
		    struct gw_err *err)
{
	struct gw_smime_cert *c = NULL;
	STACK_OF(X509) * chain;
	char dom[256], dir[4200], fp[GW_SMIME_FP_LEN];
	int rc, n, dups = 0;

	*nadded = 0;
	if (!domain_norm(domain, dom, sizeof(dom)))
		return gw_err_set(err, GW_EPARSE, "5.7.0",
				  "not a domain name: '%.100s'", domain);
	if (snprintf(dir, sizeof(dir), "%s/anchors/%s", keys_dir, dom) >=
	    (int)sizeof(dir))
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	if ((rc = gw_certfile_read(file, NULL, &c, err)) != 0)
		return rc;
	chain = gw_smime_cert_chain(c);
	n = 1 + (chain != NULL ? sk_X509_num(chain) : 0);
	for (int i = 0; i < n && rc == 0; i++) {
		rc = add_one(dir,
			     i == 0 ? gw_smime_cert_x509(c)
				    : sk_X509_value(chain, i - 1),
			     fp, err);
		if (rc == GW_EEXISTS) {
			dups++;
			rc = 0;
		} else if (rc == 0 && *nadded < max) {
			memcpy(fps[(*nadded)++], fp, GW_SMIME_FP_LEN);
		}
	}
	if (rc == 0 && dups == n)
		rc = gw_err_set(err, GW_EEXISTS, "5.7.0",
				"%s: already an anchor of %s", file, dom);
	gw_smime_cert_free(c);
	return rc;
}

int
gw_trust_anchor_remove(const char *keys_dir, const char *domain, const char *fp,
		       struct gw_err *err)
{
	char dom[256], dir[4200], norm[GW_SMIME_FP_LEN];
	int rc;

	if (!domain_norm(domain, dom, sizeof(dom)))
		return gw_err_set(err, GW_EPARSE, "5.7.0",
				  "not a domain name: '%.100s'", domain);
	if (!gw_certfile_fp_parse(fp, norm))
		return gw_err_set(err, GW_EPARSE, "5.7.0",
				  "not a SHA-256 fingerprint: '%.80s'", fp);
	if (snprintf(dir, sizeof(dir), "%s/anchors/%s", keys_dir, dom) >=
	    (int)sizeof(dir))
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	rc = gw_certfile_remove(dir, norm, err);
	if (rc == GW_ENOTFOUND)
		gw_err_set(err, rc, "5.7.0", "no anchor %s for %s", norm, dom);
	return rc;
}
