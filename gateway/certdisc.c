/*
 * NAME
 *	certdisc - discovery front end: order, policy, cache (see
 *	certdisc.h)
 * DESCRIPTION
 *	resolve() is the only place that knows the selection rules. The
 *	cache holds deep copies (certificates by reference) keyed by
 *	"<local domain> <address>", one mutex around it; lookups run
 *	outside the lock, so two threads may resolve the same address at
 *	once and the second insert wins (harmless).
 * SECURITY
 *	Certificates are never used unless the check accepted them; the
 *	result says why each was refused, without any message content.
 */
#include "certdisc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "trust.h"

#define DIAG_MAX (16 * 1024)

struct gw_certdisc_found {
	struct gw_smime_cert *c[GW_CERTDISC_MAX_CERTS];
	size_t n;
	struct gw_buf *diag;
	const char *backend;
};

struct backend {
	const struct gw_certdisc_ops *ops;
	void *be;
};

struct entry {
	char *key;
	time_t expires;
	struct gw_certdisc_result *res;
};

struct gw_certdisc {
	struct gw_certdisc_opts o;
	struct backend b[GW_CERTDISC_MAX_BACKENDS];
	size_t nb;
	pthread_mutex_t lock;
	struct entry *cache;
	size_t ncache;
};

static const char *const level_name[] = {"address", "domain"};

int
gw_certdisc_found_add(struct gw_certdisc_found *f, struct gw_smime_cert *c)
{
	if (f->n == GW_CERTDISC_MAX_CERTS)
		return gw_err_set(NULL, GW_ELIMIT, "5.7.0", "too many");
	f->c[f->n++] = gw_smime_cert_ref(c);
	return 0;
}

static void
diag_vadd(struct gw_buf *d, const char *fmt, va_list ap)
{
	/* Past the limit a line is dropped: diagnostics, not data. */
	if (gw_buf_vprintf(d, fmt, ap) == 0)
		(void)gw_buf_puts(d, "\n");
}

static void __attribute__((format(printf, 2, 3)))
diag_add(struct gw_buf *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, fmt, ap);
	va_end(ap);
}

void
gw_certdisc_found_note(struct gw_certdisc_found *f, const char *fmt, ...)
{
	va_list ap;

	(void)gw_buf_printf(f->diag, "%s: ", f->backend);
	va_start(ap, fmt);
	diag_vadd(f->diag, fmt, ap);
	va_end(ap);
}

int
gw_certdisc_check_trust(void *trust, const char *local_domain,
			const struct gw_smime_cert *c, const char *bound_to,
			time_t now, struct gw_err *err)
{
	return gw_trust_check(trust, local_domain, c, bound_to,
			      GW_SMIME_USE_ENCRYPT, now, err);
}

int
gw_certdisc_new(const struct gw_certdisc_opts *opts, struct gw_certdisc **out,
		struct gw_err *err)
{
	struct gw_certdisc *cd;

	*out = NULL;
	if (opts == NULL || opts->check == NULL)
		return gw_err_set(err, GW_ERROR, "4.3.0",
				  "certdisc: a check is required");
	cd = gw_xcalloc(1, sizeof(*cd));
	cd->o = *opts;
	pthread_mutex_init(&cd->lock, NULL);
	*out = cd;
	return 0;
}

int
gw_certdisc_add_backend(struct gw_certdisc *cd,
			const struct gw_certdisc_ops *ops, void *be,
			struct gw_err *err)
{
	if (ops == NULL || ops->version != GW_CERTDISC_OPS_VERSION)
		return gw_err_set(err, GW_EUNAVAIL, "4.3.0",
				  "certdisc: backend %s has ops version %d, "
				  "not %d",
				  ops ? ops->name : "?", ops ? ops->version : 0,
				  GW_CERTDISC_OPS_VERSION);
	if (cd->nb == GW_CERTDISC_MAX_BACKENDS)
		return gw_err_set(err, GW_ELIMIT, "4.3.0",
				  "certdisc: more than %d backends",
				  GW_CERTDISC_MAX_BACKENDS);
	cd->b[cd->nb].ops = ops;
	cd->b[cd->nb].be = be;
	cd->nb++;
	return 0;
}

void
gw_certdisc_result_free(struct gw_certdisc_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ncerts; i++)
		gw_smime_cert_free(r->certs[i].cert);
	free(r->certs);
	free(r->diag);
	free(r);
}

void
gw_certdisc_free(struct gw_certdisc *cd)
{
	if (cd == NULL)
		return;
	for (size_t i = 0; i < cd->nb; i++)
		if (cd->b[i].ops->free != NULL)
			cd->b[i].ops->free(cd->b[i].be);
	for (size_t i = 0; i < cd->ncache; i++) {
		free(cd->cache[i].key);
		gw_certdisc_result_free(cd->cache[i].res);
	}
	free(cd->cache);
	pthread_mutex_destroy(&cd->lock);
	free(cd);
}

/* Judge the certificates of the deciding step into res. */
static void
judge(struct gw_certdisc *cd, const char *local, const char *name,
      enum gw_certdisc_level lvl, const char *backend,
      struct gw_certdisc_found *f, time_t now, struct gw_certdisc_result *res)
{
	res->level = lvl;
	res->certs = gw_xcalloc(f->n, sizeof(*res->certs));
	for (size_t i = 0; i < f->n; i++) {
		struct gw_certdisc_cert *c = &res->certs[res->ncerts++];
		struct gw_err e;

		c->cert = f->c[i];
		f->c[i] = NULL;
		gw_smime_cert_fingerprint(c->cert, c->fp);
		c->level = lvl;
		c->backend = backend;
		gw_err_clear(&e);
		c->valid = cd->o.check(cd->o.check_arg, local, c->cert, name,
				       now, &e) == 0;
		if (c->valid) {
			res->nvalid++;
			diag_add(f->diag, "%s: %s: accepted", backend, c->fp);
		} else {
			snprintf(c->why, sizeof(c->why), "%s", e.msg);
			diag_add(f->diag, "%s: %s: refused: %s", backend, c->fp,
				 e.msg);
		}
	}
}

/*
 * The Direct selection rules (SPEC.md 1.7, 6.1). Steps are (backend,
 * level) in order; the first step with any certificate decides.
 */
static int
resolve(struct gw_certdisc *cd, const char *local, time_t now,
	struct gw_certdisc_result *res, struct gw_buf *diag, struct gw_err *err)
{
	const char *names[2] = {res->address, gw_addr_domain(res->address)};
	struct gw_certdisc_found f;

	for (size_t b = 0; b < cd->nb; b++) {
		for (int lvl = 0; lvl < 2; lvl++) {
			const char *bn = cd->b[b].ops->name;
			struct gw_err e;
			int rc;

			memset(&f, 0, sizeof(f));
			f.diag = diag;
			f.backend = bn;
			gw_err_clear(&e);
			rc = cd->b[b].ops->lookup(cd->b[b].be, names[lvl],
						  (enum gw_certdisc_level)lvl,
						  &f, &e);
			if (rc == GW_ETEMP) {
				diag_add(diag, "%s: %s %s: try later: %s", bn,
					 level_name[lvl], names[lvl], e.msg);
				diag_add(diag, "decision: temporary failure "
					       "(going on could skip an "
					       "address level)");
				for (size_t i = 0; i < f.n; i++)
					gw_smime_cert_free(f.c[i]);
				res->status = GW_CERTDISC_TEMP;
				return gw_err_set(err, GW_ETEMP, "4.4.3",
						  "certdisc: %s: %s: %s", bn,
						  names[lvl], e.msg);
			}
			if (rc != 0) {
				diag_add(diag,
					 "%s: %s %s: unavailable (%s), taken "
					 "as none",
					 bn, level_name[lvl], names[lvl],
					 e.msg);
				for (size_t i = 0; i < f.n; i++)
					gw_smime_cert_free(f.c[i]);
				continue;
			}
			diag_add(diag, "%s: %s %s: %zu certificate(s)", bn,
				 level_name[lvl], names[lvl], f.n);
			if (f.n == 0)
				continue;
			judge(cd, local, names[lvl],
			      (enum gw_certdisc_level)lvl, bn, &f, now, res);
			if (res->nvalid > 0) {
				diag_add(diag,
					 "decision: %zu of %zu %s-bound "
					 "certificate(s) usable",
					 res->nvalid, res->ncerts,
					 level_name[lvl]);
				res->status = GW_CERTDISC_FOUND;
				return 0;
			}
			diag_add(diag,
				 "decision: %s-bound certificates exist but "
				 "none is usable: the recipient fails (no "
				 "fallback)",
				 level_name[lvl]);
			res->status = GW_CERTDISC_INVALID;
			return gw_err_set(err, GW_ETRUST, "5.7.0",
					  "certdisc: %s: all %zu %s-bound "
					  "certificate(s) refused; first: %s",
					  res->address, res->ncerts,
					  level_name[lvl], res->certs[0].why);
		}
	}
	diag_add(diag, "decision: no certificate for %s or %s", names[0],
		 names[1]);
	res->status = GW_CERTDISC_NONE;
	return gw_err_set(err, GW_ENOTFOUND, "5.1.1",
			  "certdisc: no certificate for %s", res->address);
}

static struct gw_certdisc_result *
result_copy(const struct gw_certdisc_result *r)
{
	struct gw_certdisc_result *c = gw_xmalloc(sizeof(*c));

	*c = *r;
	c->certs = gw_xcalloc(r->ncerts ? r->ncerts : 1, sizeof(*c->certs));
	for (size_t i = 0; i < r->ncerts; i++) {
		c->certs[i] = r->certs[i];
		gw_smime_cert_ref(c->certs[i].cert);
	}
	c->diag = gw_xstrdup(r->diag);
	return c;
}

static int
status_rc(const struct gw_certdisc_result *r, struct gw_err *err)
{
	switch (r->status) {
	case GW_CERTDISC_FOUND:
		return 0;
	case GW_CERTDISC_NONE:
		return gw_err_set(err, GW_ENOTFOUND, "5.1.1",
				  "certdisc: no certificate for %s (cached)",
				  r->address);
	case GW_CERTDISC_INVALID:
		return gw_err_set(err, GW_ETRUST, "5.7.0",
				  "certdisc: %s: all certificates refused "
				  "(cached)",
				  r->address);
	case GW_CERTDISC_TEMP:
		break;
	}
	return gw_err_set(err, GW_ETEMP, "4.4.3", "certdisc: try later");
}

/* A cached copy for key, or NULL. Called with the lock held. */
static struct gw_certdisc_result *
cache_get(struct gw_certdisc *cd, const char *key, time_t now)
{
	for (size_t i = 0; i < cd->ncache; i++) {
		struct entry *e = &cd->cache[i];

		if (strcmp(e->key, key) != 0)
			continue;
		if (e->expires <= now)
			return NULL;
		return result_copy(e->res);
	}
	return NULL;
}

/* Insert or replace; evicts the entry closest to expiry when full. */
static void
cache_put(struct gw_certdisc *cd, const char *key, time_t now,
	  const struct gw_certdisc_result *r)
{
	struct entry *slot = NULL;

	for (size_t i = 0; i < cd->ncache && slot == NULL; i++)
		if (strcmp(cd->cache[i].key, key) == 0 ||
		    cd->cache[i].expires <= now)
			slot = &cd->cache[i];
	if (slot == NULL && cd->ncache < cd->o.cache_max) {
		cd->cache = gw_xrealloc(cd->cache,
					(cd->ncache + 1) * sizeof(*cd->cache));
		slot = &cd->cache[cd->ncache++];
		memset(slot, 0, sizeof(*slot));
	}
	if (slot == NULL)
		for (size_t i = 0; i < cd->ncache; i++)
			if (slot == NULL ||
			    cd->cache[i].expires < slot->expires)
				slot = &cd->cache[i];
	if (slot == NULL)
		return;
	free(slot->key);
	gw_certdisc_result_free(slot->res);
	slot->key = gw_xstrdup(key);
	slot->expires = now + cd->o.cache_ttl;
	slot->res = result_copy(r);
}

int
gw_certdisc_lookup(struct gw_certdisc *cd, const char *local_domain,
		   const char *address, struct gw_certdisc_result **out,
		   struct gw_err *err)
{
	struct gw_certdisc_result *res = gw_xcalloc(1, sizeof(*res));
	char key[GW_ADDR_MAX + 260];
	time_t now = time(NULL);
	struct gw_buf diag;
	struct gw_certdisc_result *hit = NULL;
	int rc;

	*out = NULL;
	gw_buf_init(&diag, DIAG_MAX);
	rc =
	    gw_addr_normalize(address, res->address, sizeof(res->address), err);
	if (rc != 0) {
		gw_certdisc_result_free(res);
		goto out;
	}
	snprintf(key, sizeof(key), "%.255s %s", local_domain, res->address);
	for (char *p = key; *p != ' '; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cd->o.cache_ttl > 0) {
		pthread_mutex_lock(&cd->lock);
		hit = cache_get(cd, key, now);
		pthread_mutex_unlock(&cd->lock);
	}
	if (hit != NULL) {
		gw_certdisc_result_free(res);
		hit->cached = true;
		*out = hit;
		rc = status_rc(hit, err);
		goto out;
	}
	rc = resolve(cd, local_domain, now, res, &diag, err);
	res->diag = gw_buf_take(&diag);
	if (res->diag == NULL)
		res->diag = gw_xstrdup("");
	if (cd->o.cache_ttl > 0 && cd->o.cache_max > 0 &&
	    res->status != GW_CERTDISC_TEMP) {
		pthread_mutex_lock(&cd->lock);
		cache_put(cd, key, now, res);
		pthread_mutex_unlock(&cd->lock);
	}
	*out = res;
out:
	gw_buf_dispose(&diag);
	return rc;
}

void
gw_certdisc_lookup_async(struct gw_certdisc *cd, const char *local_domain,
			 const char *address, gw_certdisc_done_fn done,
			 void *arg)
{
	struct gw_certdisc_result *res = NULL;
	struct gw_err err;
	int rc;

	gw_err_clear(&err);
	rc = gw_certdisc_lookup(cd, local_domain, address, &res, &err);
	done(arg, rc, res, &err);
}
