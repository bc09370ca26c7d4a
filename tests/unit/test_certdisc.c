/*
 * Unit tests for certdisc's selection policy (SPEC.md 1.7, 6.1), with
 * fake backends that return real certificates from certs/mkdirect.sh and
 * the real trust check (anchor-b for local domain direct-a.example);
 * and for addr normalisation.
 */
#include "harness.h"

#include <stdlib.h>

#include "addr.h"
#include "certdisc.h"
#include "certfile.h"
#include "trust.h"

static bool
has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static const char *
pki(void)
{
	static char dir[512];
	char cmd[700];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/direct-pki", gw_test_tmpdir());
		snprintf(cmd, sizeof(cmd),
			 "sh certs/mkdirect.sh %s >/dev/null 2>&1", dir);
		if (system(cmd) != 0)
			dir[0] = '\0';
	}
	return dir;
}

static struct gw_smime_cert *
load(const char *name)
{
	struct gw_smime_cert *c = NULL;
	char path[700];
	struct gw_err e;

	snprintf(path, sizeof(path), "%s/%s.crt", pki(), name);
	if (gw_certfile_read(path, NULL, &c, &e) != 0)
		printf("    %s\n", e.msg);
	return c;
}

/* A fake backend: names of certificates per level, and a call count. */
struct fake {
	const char *addr[4];
	const char *dom[4];
	int rc; /* returned by every lookup */
	int calls[2];
};

static int
fake_lookup(void *be, const char *name, enum gw_certdisc_level level,
	    struct gw_certdisc_found *found, struct gw_err *err)
{
	struct fake *f = be;
	const char *const *v = level == GW_CERTDISC_ADDRESS ? f->addr : f->dom;

	(void)name;
	f->calls[level]++;
	if (f->rc != 0)
		return gw_err_set(err, f->rc, "4.4.3", "fake trouble");
	for (int i = 0; i < 4 && v[i] != NULL; i++) {
		struct gw_smime_cert *c = load(v[i]);

		gw_certdisc_found_add(found, c);
		gw_smime_cert_free(c);
	}
	gw_certdisc_found_note(found, "fake looked up %s", name);
	return 0;
}

static const struct gw_certdisc_ops fake_ops = {
    .version = GW_CERTDISC_OPS_VERSION,
    .name = "fake",
    .lookup = fake_lookup,
};

struct ctx {
	struct gw_trust *trust;
	struct gw_certdisc *cd;
};

static bool
setup(struct ctx *x, struct fake *f1, struct fake *f2, long ttl)
{
	struct gw_certdisc_opts o = {.cache_ttl = ttl,
				     .cache_max = 16,
				     .check = gw_certdisc_check_trust};
	char keys[600], anchor[700], fps[2][GW_SMIME_FP_LEN];
	struct gw_err e;
	size_t n;

	memset(x, 0, sizeof(*x));
	if (pki()[0] == '\0')
		return false;
	snprintf(keys, sizeof(keys), "%s/keys", gw_test_tmpdir());
	snprintf(anchor, sizeof(anchor), "%s/anchor-b.pem", pki());
	if (gw_trust_anchor_add(keys, "direct-a.example", anchor, fps, 2, &n,
				&e) != 0 ||
	    gw_trust_open(keys, &x->trust, &e) != 0) {
		printf("    %s\n", e.msg);
		return false;
	}
	o.check_arg = x->trust;
	return gw_certdisc_new(&o, &x->cd, &e) == 0 &&
	       gw_certdisc_add_backend(x->cd, &fake_ops, f1, &e) == 0 &&
	       (f2 == NULL ||
		gw_certdisc_add_backend(x->cd, &fake_ops, f2, &e) == 0);
}

static void
teardown(struct ctx *x)
{
	gw_certdisc_free(x->cd);
	gw_trust_free(x->trust);
}

static int
lookup(struct ctx *x, const char *addr, struct gw_certdisc_result **r,
       struct gw_err *e)
{
	int rc = gw_certdisc_lookup(x->cd, "direct-a.example", addr, r, e);

	if (*r != NULL && gw_test_failed())
		printf("    diag:\n%s", (*r)->diag);
	return rc;
}

GW_TEST(certdisc_address_valid)
{
	struct fake f = {.addr = {"doc-b"}, .dom = {"dom-b"}};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, NULL, 0));
	CHECK_INT(lookup(&x, "<Doc+tag@Direct-B.example>", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK_STR(r->address, "doc@direct-b.example");
	CHECK_INT(r->status, GW_CERTDISC_FOUND);
	CHECK_INT(r->level, GW_CERTDISC_ADDRESS);
	CHECK_INT(r->ncerts, 1);
	CHECK_INT(r->nvalid, 1);
	CHECK(r->certs[0].valid);
	CHECK_STR(r->certs[0].backend, "fake");
	/* The domain level is not even asked. */
	CHECK_INT(f.calls[GW_CERTDISC_DOMAIN], 0);
	CHECK(has(r->diag, "fake: address doc@direct-b.example: 1"));
	CHECK(has(r->diag, "fake: fake looked up doc@direct-b.example"));
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_address_all_invalid_no_domain_fallback)
{
	struct fake f = {.addr = {"expired-b", "weak-b"}, .dom = {"dom-b"}};
	struct fake later = {.addr = {"doc-b"}};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, &later, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), GW_ETRUST);
	REQUIRE(r != NULL);
	CHECK_INT(r->status, GW_CERTDISC_INVALID);
	CHECK_INT(r->level, GW_CERTDISC_ADDRESS);
	CHECK_INT(r->ncerts, 2);
	CHECK_INT(r->nvalid, 0);
	CHECK_STR(r->certs[0].why, "smime: expired");
	CHECK_STR(r->certs[1].why, "smime: RSA key of 1024 bits (2048 needed)");
	CHECK(has(e.msg, "all 2 address-bound certificate(s) refused"));
	CHECK(has(r->diag, "none is usable: the recipient fails"));
	/* Neither the domain level nor a later backend was consulted. */
	CHECK_INT(f.calls[GW_CERTDISC_DOMAIN], 0);
	CHECK_INT(later.calls[GW_CERTDISC_ADDRESS], 0);
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_no_address_domain_valid)
{
	struct fake f = {.dom = {"dom-b"}};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, NULL, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK_INT(r->status, GW_CERTDISC_FOUND);
	CHECK_INT(r->level, GW_CERTDISC_DOMAIN);
	CHECK_INT(r->nvalid, 1);
	CHECK_INT(f.calls[GW_CERTDISC_ADDRESS], 1);
	CHECK_INT(f.calls[GW_CERTDISC_DOMAIN], 1);
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_none_not_found)
{
	struct fake f = {0}, g = {0};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, &g, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), GW_ENOTFOUND);
	REQUIRE(r != NULL);
	CHECK_INT(r->status, GW_CERTDISC_NONE);
	CHECK_INT(r->ncerts, 0);
	CHECK_STR(e.status, "5.1.1");
	/* Both levels of both backends were asked. */
	CHECK_INT(f.calls[0] + f.calls[1] + g.calls[0] + g.calls[1], 4);
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_mixed_only_valid)
{
	struct fake f = {
	    .addr = {"expired-b", "doc-b", "stranger", "signonly-b"}};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, NULL, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK_INT(r->ncerts, 4);
	CHECK_INT(r->nvalid, 1);
	CHECK(!r->certs[0].valid);
	CHECK(r->certs[1].valid);
	CHECK(!r->certs[2].valid);
	CHECK(has(r->certs[2].why, "which is not an anchor of"));
	CHECK(!r->certs[3].valid);
	CHECK_STR(r->certs[3].why, "smime: keyUsage lacks keyEncipherment");
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_backend_order_and_errors)
{
	struct fake down = {.rc = GW_EUNAVAIL}, later = {.addr = {"doc-b"}};
	struct fake temp = {.rc = GW_ETEMP};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	/* An unavailable backend counts as none: the next one answers. */
	REQUIRE(setup(&x, &down, &later, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK(has(r->diag, "unavailable (fake trouble)"));
	gw_certdisc_result_free(r);
	teardown(&x);
	/* "Try later" stops the lookup: going on could skip a level. */
	later.calls[0] = 0;
	REQUIRE(setup(&x, &temp, &later, 0));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), GW_ETEMP);
	REQUIRE(r != NULL);
	CHECK_INT(r->status, GW_CERTDISC_TEMP);
	CHECK(e.temp);
	CHECK_INT(later.calls[0], 0);
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_cache)
{
	struct fake f = {.addr = {"doc-b"}};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, NULL, 3600));
	CHECK_INT(lookup(&x, "doc@direct-b.example", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK(!r->cached);
	gw_certdisc_result_free(r);
	CHECK_INT(lookup(&x, "DOC@direct-b.example", &r, &e), 0);
	REQUIRE(r != NULL);
	CHECK(r->cached);
	CHECK_INT(r->nvalid, 1);
	CHECK_INT(f.calls[0], 1);
	gw_certdisc_result_free(r);
	/* Another local domain is another decision (no anchors: refused). */
	CHECK_INT(gw_certdisc_lookup(x.cd, "other.example",
				     "doc@direct-b.example", &r, &e),
		  GW_ETRUST);
	REQUIRE(r != NULL);
	CHECK(has(r->certs[0].why,
		  "no trust anchors for local domain other.example"));
	CHECK_INT(f.calls[0], 2);
	gw_certdisc_result_free(r);
	teardown(&x);
}

GW_TEST(certdisc_bad_address)
{
	struct fake f = {0};
	struct gw_certdisc_result *r = NULL;
	struct ctx x;
	struct gw_err e;

	REQUIRE(setup(&x, &f, NULL, 0));
	CHECK_INT(lookup(&x, "no-at-sign", &r, &e), GW_EPARSE);
	CHECK(r == NULL);
	CHECK_INT(f.calls[0], 0);
	teardown(&x);
}

GW_TEST(addr_normalize)
{
	char out[GW_ADDR_MAX];
	struct gw_err e;

	CHECK_INT(gw_addr_normalize(" <Doc.Smith+x@Direct-B.Example> ", out,
				    sizeof(out), &e),
		  0);
	CHECK_STR(out, "doc.smith@direct-b.example");
	CHECK_STR(gw_addr_domain(out), "direct-b.example");
	CHECK_INT(gw_addr_normalize("a@b@c.example", out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_addr_normalize("@c.example", out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_addr_normalize("a..b@c.example", out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_addr_normalize("a@../etc", out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK_INT(gw_addr_normalize("a@-x.example", out, sizeof(out), &e),
		  GW_EPARSE);
	CHECK(gw_addr_domain_ok("direct-b.example"));
	CHECK(!gw_addr_domain_ok("direct-b.example."));
	CHECK(!gw_addr_domain_ok("*.example"));
	CHECK(!gw_addr_domain_ok(".."));
	CHECK(!gw_addr_domain_ok(""));
}
