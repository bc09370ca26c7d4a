/*
 * Integration: "dxgw cert" and "dxgw anchor" with the real binary on the
 * PKI of certs/mkdirect.sh (PEM and PKCS#12 imports, list content,
 * removal, errors, file modes), trust decisions through gw_trust_check
 * on the anchors the CLI stored, signer selection, the local discovery
 * backend, and "dxgw serve" loading keys at start.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "certdisc.h"
#include "certfile.h"
#include "itest.h"
#include "keys.h"
#include "trust.h"

static const char *
pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

struct env {
	char dir[400];
	char conf[450];
	char keys[450];
};

static bool
env_new(struct env *v, const char *extra)
{
	FILE *f;

	snprintf(v->dir, sizeof(v->dir), "%s", gw_test_tmpdir());
	snprintf(v->conf, sizeof(v->conf), "%s/dxgw.conf", v->dir);
	snprintf(v->keys, sizeof(v->keys), "%s/keys", v->dir);
	f = fopen(v->conf, "w");
	if (f == NULL)
		return false;
	fprintf(f, "keys_dir = %s\n%s", v->keys, extra ? extra : "");
	fclose(f);
	return pki()[0] != '\0';
}

/* Run "dxgw <args>" with -c; returns the exit status, output in *out. */
static int
dxgw(const struct env *v, char **out, const char *args)
{
	char cmd[12000];

	snprintf(cmd, sizeof(cmd), "%s %s -c %s", gw_dxgw(), args, v->conf);
	return gw_run(cmd, out);
}

static int __attribute__((format(printf, 3, 4)))
dxgwf(const struct env *v, char **out, const char *fmt, ...)
{
	char args[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return dxgw(v, out, args);
}

/* The fingerprint from "imported ... certificate <fp>". */
static void
fp_of(const char *out, char fp[65])
{
	const char *p = strstr(out ? out : "", "certificate ");

	fp[0] = '\0';
	if (p != NULL)
		snprintf(fp, 65, "%.64s", p + 12);
}

GW_TEST(keys_cli_import_pem_list_remove)
{
	struct env v;
	char *out = NULL, path[2048], fp[65], fpb[65], file[8192];
	struct stat st;

	REQUIRE(env_new(&v, NULL));
	/* Certificate and key in one PEM: one of ours. */
	snprintf(path, sizeof(path), "%s/ehr-a.pem", v.dir);
	snprintf(file, sizeof(file), "cat %s/ehr-a.crt %s/ehr-a.key > %s",
		 pki(), pki(), path);
	REQUIRE(gw_run(file, NULL) == 0);
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 0);
	CHECK(gw_str_has(out, "imported own certificate "));
	fp_of(out, fp);
	free(out);
	/* A certificate alone: a recipient's. */
	snprintf(path, sizeof(path), "%s/doc-b.crt", pki());
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 0);
	CHECK(gw_str_has(out, "imported recipient certificate "));
	fp_of(out, fpb);
	free(out);
	/* The same again: a duplicate. */
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 1);
	CHECK(gw_str_has(out, "is already there"));
	free(out);

	/* Files: 0600 in 0700 directories. */
	snprintf(file, sizeof(file), "%s/own/%s.pem", v.keys, fp);
	REQUIRE(stat(file, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(file, sizeof(file), "%s/own", v.keys);
	REQUIRE(stat(file, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0700);

	CHECK_INT(dxgw(&v, &out, "cert list"), 0);
	CHECK(gw_str_has(out, "kind: own\nsha256: "));
	CHECK(gw_str_has(out, fp));
	CHECK(gw_str_has(out, fpb));
	CHECK(gw_str_has(out, "subject: CN=ehr-a,O=dxgw test"));
	CHECK(gw_str_has(out, "issuer: CN=Direct A anchor,O=dxgw test"));
	CHECK(gw_str_has(out, "binding: address ehr@direct-a.example"));
	CHECK(gw_str_has(out, "binding: address doc@direct-b.example"));
	CHECK(gw_str_has(out, "kind: recipient"));
	CHECK(gw_str_has(out, "key: RSA 2048"));
	CHECK(gw_str_has(out, "not-before: 20"));
	CHECK(gw_str_has(out, "not-after: 20"));
	CHECK(gw_str_has(out, "validity: valid"));
	CHECK(gw_str_has(out, "sha1: "));
	free(out);

	/* Remove by fingerprint (any case, with colons), then it is gone. */
	{
		char colons[200];
		size_t n = 0;

		for (int i = 0; i < 64; i++) {
			colons[n++] =
			    (char)(fpb[i] >= 'a' ? fpb[i] - 32 : fpb[i]);
			if (i % 2 == 1 && i < 63)
				colons[n++] = ':';
		}
		colons[n] = '\0';
		CHECK_INT(dxgwf(&v, &out, "cert remove %s", colons), 0);
		free(out);
	}
	CHECK_INT(dxgwf(&v, &out, "cert remove %s", fpb), 1);
	CHECK(gw_str_has(out, "no certificate"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "cert remove 1234"), 1);
	CHECK(gw_str_has(out, "not a SHA-256 fingerprint"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "cert list"), 0);
	CHECK(!gw_str_has(out, fpb));
	CHECK(gw_str_has(out, fp));
	free(out);
}

GW_TEST(keys_cli_import_pkcs12)
{
	struct env v;
	char *out = NULL, cmd[16384], p12[2048], pw[2048], bad[2048];

	REQUIRE(env_new(&v, NULL));
	snprintf(p12, sizeof(p12), "%s/dom-a.p12", v.dir);
	snprintf(pw, sizeof(pw), "%s/pw", v.dir);
	snprintf(bad, sizeof(bad), "%s/bad", v.dir);
	snprintf(cmd, sizeof(cmd),
		 "echo 's3cret pass' > %s && echo wrong > %s && "
		 "openssl pkcs12 -export -in %s/dom-a.crt -inkey %s/dom-a.key "
		 "-certfile %s/anchor-a.pem -passout file:%s -out %s",
		 pw, bad, pki(), pki(), pki(), pw, p12);
	REQUIRE(gw_run(cmd, NULL) == 0);
	CHECK_INT(
	    dxgwf(&v, &out, "cert import --p12-pass-file %s %s", bad, p12), 1);
	CHECK(gw_str_has(out, "PKCS#12: wrong password"));
	free(out);
	CHECK_INT(dxgwf(&v, &out, "cert import %s", p12), 1);
	CHECK(gw_str_has(out, "wrong password"));
	free(out);
	CHECK_INT(dxgwf(&v, &out, "cert import --p12-pass-file %s %s", pw, p12),
		  0);
	CHECK(gw_str_has(out, "imported own certificate"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "cert list"), 0);
	CHECK(gw_str_has(out, "binding: domain direct-a.example"));
	CHECK(gw_str_has(out, "chain: 1 more certificate(s)"));
	CHECK(gw_str_has(out, "kind: own"));
	free(out);
}

GW_TEST(keys_cli_import_errors)
{
	struct env v;
	char *out = NULL, path[2048], cmd[8192];

	REQUIRE(env_new(&v, NULL));
	CHECK_INT(dxgw(&v, &out, "cert import /nonexistent.pem"), 1);
	CHECK(gw_str_has(out, "No such file"));
	free(out);
	snprintf(path, sizeof(path), "%s/junk.pem", v.dir);
	snprintf(cmd, sizeof(cmd), "echo 'not a certificate' > %s", path);
	REQUIRE(gw_run(cmd, NULL) == 0);
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 1);
	CHECK(gw_str_has(out, "neither PEM, PKCS#12 nor a DER certificate"));
	free(out);
	snprintf(path, sizeof(path), "%s/nosan-b.crt", pki());
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 1);
	CHECK(gw_str_has(out, "no subjectAltName rfc822Name or dNSName"));
	free(out);
	snprintf(path, sizeof(path), "%s/anchor-b.pem", pki());
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 1);
	CHECK(gw_str_has(out, "a CA certificate"));
	free(out);
	/* A key that belongs to another certificate. */
	snprintf(path, sizeof(path), "%s/mismatch.pem", v.dir);
	snprintf(cmd, sizeof(cmd), "cat %s/doc-b.crt %s/dom-b.key > %s", pki(),
		 pki(), path);
	REQUIRE(gw_run(cmd, NULL) == 0);
	CHECK_INT(dxgwf(&v, &out, "cert import %s", path), 1);
	CHECK(gw_str_has(out, "matches none of the certificates"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "cert frobnicate"), 2);
	free(out);
	CHECK_INT(dxgw(&v, &out, "cert list"), 0);
	CHECK_STR(out, "");
	free(out);
}

GW_TEST(keys_cli_anchors)
{
	struct env v;
	char *out = NULL, a[2048], b[2048], fp[65];
	const char *p;

	REQUIRE(env_new(&v, NULL));
	snprintf(a, sizeof(a), "%s/anchor-a.pem", pki());
	snprintf(b, sizeof(b), "%s/anchor-b.pem", pki());
	CHECK_INT(dxgwf(&v, &out, "anchor add Direct-A.Example %s", a), 0);
	CHECK(gw_str_has(out, "added anchor "));
	p = strstr(out, "added anchor ");
	snprintf(fp, sizeof(fp), "%.64s", p ? p + 13 : "");
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor add direct-a.example %s", a), 1);
	CHECK(gw_str_has(out, "already an anchor of direct-a.example"));
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor add other.example %s", b), 0);
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor add ../../etc %s", b), 1);
	CHECK(gw_str_has(out, "not a domain name"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "anchor list"), 0);
	CHECK(gw_str_has(out, "domain: direct-a.example\nsha256: "));
	CHECK(gw_str_has(out, "subject: CN=Direct A anchor,O=dxgw test"));
	CHECK(gw_str_has(out, "domain: other.example"));
	free(out);
	CHECK_INT(dxgw(&v, &out, "anchor list other.example"), 0);
	CHECK(!gw_str_has(out, "direct-a.example"));
	CHECK(gw_str_has(out, "CN=Direct B anchor"));
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor remove other.example %s", fp), 1);
	CHECK(gw_str_has(out, "no anchor"));
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor remove direct-a.example %s", fp), 0);
	free(out);
	CHECK_INT(dxgw(&v, &out, "anchor list direct-a.example"), 0);
	CHECK_STR(out, "");
	free(out);
	CHECK_INT(dxgw(&v, &out, "anchor add only-one-arg"), 2);
	free(out);
}

/* gw_trust_check of <pki>/name.crt for local domain, bound_to, use. */
static const char *
decide(struct gw_trust *t, const char *local, const char *name,
       const char *bound_to, enum gw_smime_use use, struct gw_err *e)
{
	struct gw_smime_cert *c = NULL;
	char path[2048];
	int rc;

	snprintf(path, sizeof(path), "%s/%s.crt", pki(), name);
	if (gw_certfile_read(path, NULL, &c, e) != 0)
		return "load failed";
	rc = gw_trust_check(t, local, c, bound_to, use, time(NULL), e);
	gw_smime_cert_free(c);
	if (rc == 0)
		return "ok";
	CHECK_INT(rc, GW_ETRUST);
	return e->msg;
}

GW_TEST(keys_trust_decisions)
{
	const enum gw_smime_use ENC = GW_SMIME_USE_ENCRYPT;
	const char *doc = "doc@direct-b.example";
	struct gw_trust *t = NULL;
	struct env v;
	char *out = NULL, a[2048], b[2048];
	struct gw_err e;

	REQUIRE(env_new(&v, NULL));
	snprintf(a, sizeof(a), "%s/anchor-a.pem", pki());
	snprintf(b, sizeof(b), "%s/anchor-b.pem", pki());
	/* direct-a.example trusts B's anchor; only-a.example only A's. */
	CHECK_INT(dxgwf(&v, &out, "anchor add direct-a.example %s", b), 0);
	free(out);
	CHECK_INT(dxgwf(&v, &out, "anchor add only-a.example %s", a), 0);
	free(out);
	REQUIRE(gw_trust_open(v.keys, &t, &e) == 0);
	CHECK_INT(gw_trust_count(t), 2);
	CHECK_STR(decide(t, "direct-a.example", "doc-b", doc, ENC, &e), "ok");
	CHECK_STR(
	    decide(t, "Direct-A.Example", "dom-b", "direct-b.example", ENC, &e),
	    "ok");
	/* The reason names the issuer and the anchors expected. */
	CHECK_STR(decide(t, "only-a.example", "doc-b", doc, ENC, &e),
		  "trust: issued by CN=Direct B anchor,O=dxgw test, which is "
		  "not an anchor of only-a.example (expected: CN=Direct A "
		  "anchor,O=dxgw test)");
	CHECK_STR(decide(t, "nowhere.example", "doc-b", doc, ENC, &e),
		  "trust: no trust anchors for local domain nowhere.example");
	CHECK_STR(decide(t, "direct-a.example", "expired-b", doc, ENC, &e),
		  "smime: expired");
	CHECK_STR(decide(t, "direct-a.example", "weak-b", doc, ENC, &e),
		  "smime: RSA key of 1024 bits (2048 needed)");
	CHECK_STR(decide(t, "direct-a.example", "nosan-b", doc, ENC, &e),
		  "smime: no subjectAltName rfc822Name equal to "
		  "doc@direct-b.example");
	CHECK_STR(decide(t, "direct-a.example", "signonly-b", doc, ENC, &e),
		  "smime: keyUsage lacks keyEncipherment");
	CHECK_STR(decide(t, "direct-a.example", "signonly-b", doc,
			 GW_SMIME_USE_SIGN, &e),
		  "ok");
	CHECK_STR(decide(t, "direct-a.example", "stranger", doc, ENC, &e),
		  "trust: issued by CN=Stranger anchor,O=dxgw test, which is "
		  "not an anchor of direct-a.example (expected: CN=Direct B "
		  "anchor,O=dxgw test)");
	/* Bound to another address. */
	CHECK_STR(decide(t, "direct-a.example", "doc-b",
			 "nurse@direct-b.example", ENC, &e),
		  "smime: no subjectAltName rfc822Name equal to "
		  "nurse@direct-b.example");
	gw_trust_free(t);
}

/* Is c the certificate <pki>/name.crt? */
static bool
same(const struct gw_smime_cert *c, const char *name)
{
	char a[GW_SMIME_FP_LEN], b[GW_SMIME_FP_LEN], path[2048];
	struct gw_smime_cert *x = NULL;
	struct gw_err e;

	snprintf(path, sizeof(path), "%s/%s.crt", pki(), name);
	if (gw_certfile_read(path, NULL, &x, &e) != 0)
		return false;
	gw_smime_cert_fingerprint(c, a);
	gw_smime_cert_fingerprint(x, b);
	gw_smime_cert_free(x);
	return strcmp(a, b) == 0;
}

GW_TEST(keys_signers_and_local_discovery)
{
	struct gw_smime_cert **v = NULL;
	struct gw_certdisc_opts o = {.cache_ttl = 60, .cache_max = 8};
	struct gw_certdisc_result *r = NULL;
	struct gw_certdisc *cd = NULL;
	struct gw_trust *t = NULL;
	struct gw_keys *k = NULL;
	struct env en;
	char *out = NULL, path[2048], extra[8192];
	struct gw_err e;
	size_t n = 0;

	REQUIRE(env_new(&en, NULL));
	snprintf(path, sizeof(path), "%s/dom-a.pem", en.dir);
	snprintf(extra, sizeof(extra), "cat %s/dom-a.crt %s/dom-a.key > %s",
		 pki(), pki(), path);
	REQUIRE(gw_run(extra, NULL) == 0);
	CHECK_INT(dxgwf(&en, &out, "cert import %s", path), 0);
	free(out);
	snprintf(extra, sizeof(extra), "%s/doc-b.crt", pki());
	CHECK_INT(dxgwf(&en, &out, "cert import %s", extra), 0);
	free(out);
	snprintf(extra, sizeof(extra), "%s/expired-b.crt", pki());
	CHECK_INT(dxgwf(&en, &out, "cert import %s", extra), 0);
	free(out);
	snprintf(extra, sizeof(extra), "%s/anchor-b.pem", pki());
	CHECK_INT(dxgwf(&en, &out, "anchor add direct-a.example %s", extra), 0);
	free(out);

	REQUIRE(gw_keys_open(en.keys, &k, &e) == 0);
	/* ehr-a comes from the config line, PEM with its key. */
	snprintf(path, sizeof(path), "%s/ehr-a.pem", en.dir);
	snprintf(extra, sizeof(extra), "cat %s/ehr-a.crt %s/ehr-a.key > %s",
		 pki(), pki(), path);
	REQUIRE(gw_run(extra, NULL) == 0);
	CHECK_INT(gw_keys_add_config(k, path, &e), 0);
	CHECK_INT(gw_keys_add_config(k, path, &e), GW_EEXISTS);
	/* The address-bound signer first; the domain's for anyone else. */
	CHECK_INT(gw_keys_signers_for(k, "EHR@direct-a.example", time(NULL), &v,
				      &n, &e),
		  0);
	CHECK_INT(n, 1);
	CHECK(n == 1 && gw_smime_cert_has_key(v[0]));
	CHECK(n == 1 && same(v[0], "ehr-a"));
	gw_smime_certs_free(v, n);
	CHECK_INT(gw_keys_signers_for(k, "nurse@direct-a.example", time(NULL),
				      &v, &n, &e),
		  0);
	CHECK_INT(n, 1);
	CHECK(n == 1 && same(v[0], "dom-a"));
	gw_smime_certs_free(v, n);
	CHECK_INT(gw_keys_signers_for(k, "x@direct-z.example", time(NULL), &v,
				      &n, &e),
		  GW_ENOTFOUND);
	/* Expired: the address-bound one is refused, none on the domain. */
	CHECK_INT(gw_keys_signers_for(k, "ehr@direct-a.example", (time_t)86400,
				      &v, &n, &e),
		  GW_ETRUST);
	CHECK(gw_str_has(e.msg, "not valid yet"));

	/* Local discovery: doc-b valid, expired-b refused, same level. */
	REQUIRE(gw_trust_open(en.keys, &t, &e) == 0);
	o.check = gw_certdisc_check_trust;
	o.check_arg = t;
	REQUIRE(gw_certdisc_new(&o, &cd, &e) == 0);
	REQUIRE(gw_certdisc_add_backend(cd, &gw_certdisc_local_ops, k, &e) ==
		0);
	CHECK_INT(gw_certdisc_lookup(cd, "direct-a.example",
				     "doc@direct-b.example", &r, &e),
		  0);
	REQUIRE(r != NULL);
	CHECK_INT(r->ncerts, 2);
	CHECK_INT(r->nvalid, 1);
	CHECK(gw_str_has(r->diag, "local: address doc@direct-b.example: 2"));
	CHECK(gw_str_has(r->diag, "refused: smime: expired"));
	gw_certdisc_result_free(r);
	CHECK_INT(gw_certdisc_lookup(cd, "direct-a.example",
				     "nurse@direct-b.example", &r, &e),
		  GW_ENOTFOUND);
	gw_certdisc_result_free(r);
	gw_certdisc_free(cd);
	gw_trust_free(t);
	gw_keys_free(k);
}

GW_TEST(keys_serve_loads_keys)
{
	struct gw_daemon d;
	char extra[8192], path[2048], cmd[8192];
	char *log = NULL;

	REQUIRE(pki()[0] != '\0');
	snprintf(path, sizeof(path), "%s/ehr-a.pem", gw_test_tmpdir());
	snprintf(cmd, sizeof(cmd), "cat %s/ehr-a.crt %s/ehr-a.key > %s", pki(),
		 pki(), path);
	REQUIRE(gw_run(cmd, NULL) == 0);
	snprintf(extra, sizeof(extra), "keys_dir = %s/k\ncert = %s\n",
		 gw_test_tmpdir(), path);
	REQUIRE(gw_daemon_start(&d, extra));
	CHECK_INT(gw_daemon_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/dxgw.log", d.dir);
	log = gw_test_slurp(path, NULL);
	CHECK(gw_str_has(log, "keys: 1 certificates, 0 trust anchors"));
	free(log);
	/* A "cert" line naming a certificate without its key: no start. */
	snprintf(extra, sizeof(extra), "cert = %s/doc-b.crt\n", pki());
	CHECK(!gw_daemon_start(&d, extra));
	if (d.pid > 0)
		gw_daemon_stop(&d);
	snprintf(path, sizeof(path), "%s/dxgw.log", d.dir);
	log = gw_test_slurp(path, NULL);
	CHECK(gw_str_has(log, "no private key"));
	free(log);
}
