/*
 * NAME
 *	keys - the key directory and our signing certificates (see keys.h)
 * DESCRIPTION
 *	Entries are held in one array sorted by kind and fingerprint; a
 *	lookup is a linear scan over the names parsed once at load. That is
 *	cheap for the hundreds of certificates a HISP keeps locally; the
 *	certdisc cache sits in front of it for recipient lookups.
 * SECURITY
 *	Files in keys_dir are trusted to be ours (the directory is 0700),
 *	but still parsed within limits; only names "<sha256>.pem" are read.
 */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "certfile.h"
#include "mem.h"

struct gw_keys {
	struct gw_keys_entry *e;
	size_t n, cap;
};

static void
entry_add(struct gw_keys *k, struct gw_smime_cert *c, enum gw_keys_kind kind,
	  const char *path, bool from_config)
{
	struct gw_keys_entry *e;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->e = gw_xrealloc(k->e, k->cap * sizeof(*k->e));
	}
	e = &k->e[k->n++];
	memset(e, 0, sizeof(*e));
	e->cert = c;
	gw_smime_cert_info(c, &e->info);
	e->kind = kind;
	e->path = gw_xstrdup(path);
	e->from_config = from_config;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct gw_keys_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind == GW_KEYS_OWN ? -1 : 1;
	return strcmp(x->info.sha256, y->info.sha256);
}

static const struct gw_keys_entry *
find_fp(const struct gw_keys *k, const char *fp)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->e[i].info.sha256, fp) == 0)
			return &k->e[i];
	return NULL;
}

/* Load every <sha256>.pem of dir/sub as kind. */
static int
load_dir(struct gw_keys *k, const char *dir, const char *sub,
	 enum gw_keys_kind kind, struct gw_err *err)
{
	char path[4200];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	d = opendir(path);
	if (d == NULL)
		return errno == ENOENT
			   ? 0
			   : gw_err_set(err, GW_ETEMP, "4.3.0", "%s: %s", path,
					strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct gw_smime_cert *c = NULL;

		if (!gw_certfile_name_ok(de->d_name))
			continue;
		if (k->n >= GW_KEYS_MAX) {
			rc = gw_err_set(err, GW_ELIMIT, "4.3.0",
					"%s: more than %d certificates", path,
					GW_KEYS_MAX);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, de->d_name);
		rc = gw_certfile_read(path, NULL, &c, err);
		if (rc == 0)
			entry_add(k, c, kind, path, false);
	}
	closedir(d);
	return rc;
}

int
gw_keys_open(const char *dir, struct gw_keys **out, struct gw_err *err)
{
	struct gw_keys *k = gw_xcalloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	rc = load_dir(k, dir, "own", GW_KEYS_OWN, err);
	if (rc == 0)
		rc = load_dir(k, dir, "certs", GW_KEYS_RECIPIENT, err);
	if (rc != 0) {
		gw_keys_free(k);
		return rc;
	}
	if (k->n > 1)
		qsort(k->e, k->n, sizeof(*k->e), cmp_entry);
	*out = k;
	return 0;
}

int
gw_keys_add_config(struct gw_keys *k, const char *spec, struct gw_err *err)
{
	char *copy = gw_xstrdup(spec);
	char *sp = strpbrk(copy, " \t");
	char *pass = NULL;
	struct gw_smime_cert *c = NULL;
	int rc;

	if (sp != NULL) {
		*sp = '\0';
		pass = sp + 1 + strspn(sp + 1, " \t");
		if (*pass == '\0')
			pass = NULL;
	}
	rc = gw_certfile_read(copy, pass, &c, err);
	if (rc != 0)
		goto out;
	if (!gw_smime_cert_has_key(c)) {
		rc = gw_err_set(err, GW_EPARSE, "5.7.0",
				"%s: no private key (a recipient certificate "
				"belongs in keys_dir: dxgw cert import)",
				copy);
		goto out;
	}
	entry_add(k, c, GW_KEYS_OWN, copy, true);
	c = NULL;
	if (find_fp(k, k->e[k->n - 1].info.sha256) != &k->e[k->n - 1]) {
		rc = gw_err_set(err, GW_EEXISTS, "5.7.0",
				"%s: certificate %s is loaded already", copy,
				k->e[k->n - 1].info.sha256);
		gw_smime_cert_free(k->e[k->n - 1].cert);
		free(k->e[k->n - 1].path);
		k->n--;
		goto out;
	}
	qsort(k->e, k->n, sizeof(*k->e), cmp_entry);
out:
	gw_smime_cert_free(c);
	free(copy);
	return rc;
}

void
gw_keys_free(struct gw_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		gw_smime_cert_free(k->e[i].cert);
		free(k->e[i].path);
	}
	free(k->e);
	free(k);
}

size_t
gw_keys_count(const struct gw_keys *k)
{
	return k->n;
}

const struct gw_keys_entry *
gw_keys_entry_get(const struct gw_keys *k, size_t i)
{
	return i < k->n ? &k->e[i] : NULL;
}

/* Is the entry bound to name (an address when it has '@')? */
static bool
bound_to(const struct gw_keys_entry *e, const char *name)
{
	bool address = strchr(name, '@') != NULL;
	size_t n = address ? e->info.naddresses : e->info.ndomains;

	for (size_t i = 0; i < n; i++)
		if (strcasecmp(address ? e->info.addresses[i]
				       : e->info.domains[i],
			       name) == 0)
			return true;
	return false;
}

static void
push(struct gw_smime_cert ***v, size_t *n, struct gw_smime_cert *c)
{
	*v = gw_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = gw_smime_cert_ref(c);
}

void
gw_keys_certs_for(struct gw_keys *k, const char *name, enum gw_keys_kind kind,
		  struct gw_smime_cert ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < k->n; i++)
		if (k->e[i].kind == kind && bound_to(&k->e[i], name))
			push(out, nout, k->e[i].cert);
}

/* Usable signers bound to name; counts those bound at all in *seen. */
static void
signers_at(struct gw_keys *k, const char *name, time_t now,
	   struct gw_smime_cert ***out, size_t *nout, size_t *seen,
	   struct gw_err *why)
{
	for (size_t i = 0; i < k->n; i++) {
		const struct gw_keys_entry *e = &k->e[i];

		if (e->kind != GW_KEYS_OWN || !bound_to(e, name))
			continue;
		(*seen)++;
		if (gw_smime_cert_check(e->cert, name, GW_SMIME_USE_SIGN, now,
					why) == 0)
			push(out, nout, e->cert);
		else
			gw_err_prefix(why, "%.16s", e->info.sha256);
	}
}

int
gw_keys_signers_for(struct gw_keys *k, const char *sender, time_t now,
		    struct gw_smime_cert ***out, size_t *nout,
		    struct gw_err *err)
{
	char addr[GW_ADDR_MAX];
	struct gw_err why;
	size_t seen = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	gw_err_clear(&why);
	if ((rc = gw_addr_normalize(sender, addr, sizeof(addr), err)) != 0)
		return rc;
	signers_at(k, addr, now, out, nout, &seen, &why);
	if (*nout == 0)
		signers_at(k, gw_addr_domain(addr), now, out, nout, &seen,
			   &why);
	if (*nout > 0)
		return 0;
	if (seen == 0)
		return gw_err_set(err, GW_ENOTFOUND, "5.7.0",
				  "no signing certificate for %s or %s", addr,
				  gw_addr_domain(addr));
	return gw_err_set(err, GW_ETRUST, "5.7.0",
			  "no usable signing certificate for %s (%zu "
			  "refused; last: %s)",
			  addr, seen, why.msg);
}

int
gw_keys_import(const char *dir, const char *path, const char *pass_file,
	       char fp_out[GW_SMIME_FP_LEN], enum gw_keys_kind *kind_out,
	       struct gw_err *err)
{
	struct gw_smime_cert_info *info = gw_xmalloc(sizeof(*info));
	struct gw_smime_cert *c = NULL;
	char sub[4200], other[4200];
	bool own;
	int rc;

	fp_out[0] = '\0';
	if ((rc = gw_certfile_read(path, pass_file, &c, err)) != 0)
		goto out;
	gw_smime_cert_info(c, info);
	snprintf(fp_out, GW_SMIME_FP_LEN, "%s", info->sha256);
	own = info->has_key;
	*kind_out = own ? GW_KEYS_OWN : GW_KEYS_RECIPIENT;
	if (info->is_ca) {
		rc = gw_err_set(err, GW_EPARSE, "5.7.0",
				"%s: a CA certificate (for a trust anchor use "
				"dxgw anchor add)",
				path);
		goto out;
	}
	if (info->naddresses == 0 && info->ndomains == 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.7.0",
				"%s: no subjectAltName rfc822Name or dNSName "
				"to bind it to an address or a domain",
				path);
		goto out;
	}
	/* One certificate lives in one place: own/ or certs/. */
	if (snprintf(sub, sizeof(sub), "%s/%s", dir, own ? "own" : "certs") >=
		(int)sizeof(sub) ||
	    snprintf(other, sizeof(other), "%s/%s/%s.pem", dir,
		     own ? "certs" : "own",
		     info->sha256) >= (int)sizeof(other)) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
		goto out;
	}
	if (access(other, F_OK) == 0) {
		rc = gw_err_set(err, GW_EEXISTS, "5.7.0",
				"certificate %s is already there (%s)",
				info->sha256, other);
		goto out;
	}
	rc = gw_certfile_write(sub, c, own, err);
out:
	gw_smime_cert_free(c);
	free(info);
	return rc;
}

int
gw_keys_remove(const char *dir, const char *fp, struct gw_err *err)
{
	char norm[GW_SMIME_FP_LEN], sub[4200];
	int rc = GW_ENOTFOUND;

	if (!gw_certfile_fp_parse(fp, norm))
		return gw_err_set(err, GW_EPARSE, "5.7.0",
				  "not a SHA-256 fingerprint: '%.80s'", fp);
	for (int i = 0; i < 2 && rc == GW_ENOTFOUND; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, i ? "certs" : "own");
		rc = gw_certfile_remove(sub, norm, err);
	}
	if (rc == GW_ENOTFOUND)
		gw_err_set(err, rc, "5.7.0", "no certificate %s in %s", norm,
			   dir);
	return rc;
}
