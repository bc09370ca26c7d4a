/*
 * Unit tests for the store's address book (schema version 4): add,
 * update and re-activate, deactivate, list, lookup with the @domain
 * fallback, key and URL checks, persistence across reopen, and an
 * administrative open that leaves the spool alone.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "addr.h"
#include "err.h"
#include "spool.h"
#include "store.h"

struct env {
	char db[400];
	char spool[400];
};

static struct gw_store *
open_store(struct env *v, bool fresh)
{
	struct gw_store *st = NULL;
	struct gw_err e;

	if (fresh) {
		const char *d = gw_test_tmpdir();

		snprintf(v->db, sizeof(v->db), "sqlite:%s/dxgw.db", d);
		snprintf(v->spool, sizeof(v->spool), "%s/spool", d);
	}
	if (gw_store_open(v->db, v->spool, &st, &e) != 0) {
		printf("    open: %s\n", e.msg);
		return NULL;
	}
	return st;
}

GW_TEST(storeaddr_put_list_deactivate_readd)
{
	struct gw_store_address *v = NULL;
	struct gw_store *st;
	struct gw_err e;
	struct env env;
	size_t n = 0;

	REQUIRE((st = open_store(&env, true)) != NULL);
	CHECK_INT(gw_store_addr_put(st, "<Dr.B+tag@Direct.Example.ORG>",
				    "https://ehr.example.org/xdr",
				    "/etc/dxgw/ehr-client.pem",
				    "/etc/dxgw/ehr-ca.pem", &e),
		  0);
	CHECK_INT(gw_store_addr_put(st, "@Clinic.Example.org",
				    "http://127.0.0.1:9000/xdr", NULL, NULL,
				    &e),
		  0);
	REQUIRE(gw_store_addr_list(st, &v, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(v[0].address, "@clinic.example.org");
	CHECK(v[0].cert == NULL && v[0].ca == NULL && v[0].active);
	CHECK_STR(v[1].address, "dr.b@direct.example.org");
	CHECK_STR(v[1].url, "https://ehr.example.org/xdr");
	CHECK_STR(v[1].cert, "/etc/dxgw/ehr-client.pem");
	CHECK_STR(v[1].ca, "/etc/dxgw/ehr-ca.pem");
	CHECK(v[1].created_at != NULL && v[1].updated_at != NULL);
	gw_store_addresses_free(v, n);

	CHECK_INT(gw_store_addr_deactivate(st, "DR.B@direct.example.org", &e),
		  0);
	CHECK_INT(gw_store_addr_deactivate(st, "nobody@direct.example.org", &e),
		  GW_ENOTFOUND);
	REQUIRE(gw_store_addr_list(st, &v, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK(!v[1].active);
	gw_store_addresses_free(v, n);

	/* A re-add updates the target and re-activates the row. */
	CHECK_INT(gw_store_addr_put(st, "dr.b@direct.example.org",
				    "https://ehr2.example.org/xdr", NULL, NULL,
				    &e),
		  0);
	gw_store_close(st);
	REQUIRE((st = open_store(&env, false)) != NULL);
	REQUIRE(gw_store_addr_list(st, &v, &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK(v[1].active);
	CHECK_STR(v[1].url, "https://ehr2.example.org/xdr");
	CHECK(v[1].cert == NULL);
	gw_store_addresses_free(v, n);
	gw_store_close(st);
}

GW_TEST(storeaddr_lookup_exact_then_domain)
{
	struct gw_store_address *a = NULL;
	struct gw_store *st;
	struct gw_err e;
	struct env env;

	REQUIRE((st = open_store(&env, true)) != NULL);
	REQUIRE(gw_store_addr_put(st, "@direct.example.org",
				  "https://domain-ehr.example.org/xdr", NULL,
				  NULL, &e) == 0);
	REQUIRE(gw_store_addr_put(st, "dr.b@direct.example.org",
				  "https://b-ehr.example.org/xdr", NULL, NULL,
				  &e) == 0);
	CHECK_INT(gw_store_addr_lookup(st, "Dr.B@Direct.Example.org", &a, &e),
		  0);
	CHECK_STR(a ? a->url : NULL, "https://b-ehr.example.org/xdr");
	gw_store_addresses_free(a, 1);
	CHECK_INT(gw_store_addr_lookup(st, "other@direct.example.org", &a, &e),
		  0);
	CHECK_STR(a ? a->url : NULL, "https://domain-ehr.example.org/xdr");
	CHECK_STR(a ? a->address : NULL, "@direct.example.org");
	gw_store_addresses_free(a, 1);
	/* Deactivated exact row: the domain row answers. */
	REQUIRE(gw_store_addr_deactivate(st, "dr.b@direct.example.org", &e) ==
		0);
	CHECK_INT(gw_store_addr_lookup(st, "dr.b@direct.example.org", &a, &e),
		  0);
	CHECK_STR(a ? a->address : NULL, "@direct.example.org");
	gw_store_addresses_free(a, 1);
	/* No domain either: not found, with the address in the message. */
	REQUIRE(gw_store_addr_deactivate(st, "@direct.example.org", &e) == 0);
	CHECK_INT(gw_store_addr_lookup(st, "dr.b@direct.example.org", &a, &e),
		  GW_ENOTFOUND);
	CHECK(a == NULL);
	CHECK(strstr(e.msg, "dr.b@direct.example.org") != NULL);
	CHECK_INT(gw_store_addr_lookup(st, "x@other.example", &a, &e),
		  GW_ENOTFOUND);
	CHECK_INT(gw_store_addr_lookup(st, "not-an-address", &a, &e),
		  GW_EPARSE);
	CHECK_INT(gw_store_addr_lookup(st, "@direct.example.org", &a, &e),
		  GW_EPARSE);
	gw_store_close(st);
}

GW_TEST(storeaddr_rejects_bad_keys_and_urls)
{
	static const struct {
		const char *addr, *url;
		int rc;
	} cases[] = {
	    {"a@b.example", "https://ehr.example/xdr", 0},
	    {"a@b.example", "http://127.0.0.1:8080/xdr", 0},
	    {"a@b.example", "http://localhost/xdr", 0},
	    {"a@b.example", "http://[::1]:99/xdr", 0},
	    {"a@b.example", "HTTPS://[2001:db8::1]/xdr", 0},
	    {"a@b.example", "http://ehr.example/xdr", GW_EPARSE},
	    {"a@b.example", "http://127.0.0.1.evil.example/xdr", GW_EPARSE},
	    {"a@b.example", "ftp://ehr.example/xdr", GW_EPARSE},
	    {"a@b.example", "https:///xdr", GW_EPARSE},
	    {"a@b.example", "https://user@ehr.example/xdr", GW_EPARSE},
	    {"a@b.example", "https://ehr.example/x dr", GW_EPARSE},
	    {"a@b.example", "", GW_EPARSE},
	    {"no-at-sign", "https://ehr.example/xdr", GW_EPARSE},
	    {"@", "https://ehr.example/xdr", GW_EPARSE},
	    {"@bad..domain", "https://ehr.example/xdr", GW_EPARSE},
	    {"a@b@c.example", "https://ehr.example/xdr", GW_EPARSE},
	    {"", "https://ehr.example/xdr", GW_EPARSE},
	};
	struct gw_store_address *v = NULL;
	struct gw_store *st;
	struct gw_err e;
	struct env env;
	size_t n = 0;

	REQUIRE((st = open_store(&env, true)) != NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = gw_store_addr_put(st, cases[i].addr, cases[i].url,
					   NULL, NULL, &e);

		if (rc != cases[i].rc)
			printf("    case %zu (%s %s): %d %s\n", i,
			       cases[i].addr, cases[i].url, rc, e.msg);
		CHECK_INT(rc, cases[i].rc);
	}
	CHECK_INT(gw_store_addr_put(st, "a@b.example", "https://e.example/x",
				    "", NULL, &e),
		  GW_EPARSE);
	REQUIRE(gw_store_addr_list(st, &v, &n, &e) == 0);
	CHECK_INT(n, 1);
	gw_store_addresses_free(v, n);
	gw_store_close(st);
}

GW_TEST(storeaddr_admin_open_leaves_spool_tmp_alone)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_spool_file *f = NULL;
	struct gw_store *st, *adm = NULL;
	struct gw_err e;
	struct env env;
	struct stat sb;

	REQUIRE((st = open_store(&env, true)) != NULL);
	REQUIRE(gw_spool_file_new(gw_store_spool(st), &f, &e) == 0);
	REQUIRE(gw_spool_file_write(f, "x", 1, &e) == 0);
	/* A second, administrative open while the file is in flight. */
	REQUIRE(gw_store_open_opts(env.db, env.spool, &o, &adm, &e) == 0);
	CHECK(stat(gw_spool_file_path(f), &sb) == 0);
	CHECK_INT(gw_store_addr_put(adm, "@x.example", "https://x.example/",
				    NULL, NULL, &e),
		  0);
	gw_store_close(adm);
	gw_spool_file_discard(f);
	gw_store_close(st);
}
