/* Unit tests for route: MX answers, null MX, relay host, TLS policy. */
#include "harness.h"

#include <string.h>

#include "config.h"
#include "route.h"

/* Append a DNS name in wire form. */
static size_t
put_name(unsigned char *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		size_t l = strcspn(name, ".");

		p[n++] = (unsigned char)l;
		memcpy(p + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[n++] = 0;
	return n;
}

/* An answer for "example.org MX" with the given (preference, host)s. */
static int
mx_answer(unsigned char *buf, const int *pref, const char *const *host, int n)
{
	static const unsigned char hdr[12] = {0x12, 0x34, 0x81, 0x80, 0, 1,
					      0,    0,    0,    0,    0, 0};
	size_t len;

	memcpy(buf, hdr, sizeof(hdr));
	buf[7] = (unsigned char)n;
	len = sizeof(hdr);
	len += put_name(buf + len, "example.org");
	buf[len++] = 0; /* type MX */
	buf[len++] = 15;
	buf[len++] = 0; /* class IN */
	buf[len++] = 1;
	for (int i = 0; i < n; i++) {
		size_t rdl;

		buf[len++] = 0xc0; /* pointer to the question name */
		buf[len++] = 12;
		buf[len++] = 0;
		buf[len++] = 15;
		buf[len++] = 0;
		buf[len++] = 1;
		memset(buf + len, 0, 3); /* TTL 300 */
		buf[len + 3] = 0x2c;
		buf[len + 2] = 0x01;
		len += 4;
		rdl = 2 + (strcmp(host[i], ".") == 0 ? 1 : strlen(host[i]) + 2);
		buf[len++] = (unsigned char)(rdl >> 8);
		buf[len++] = (unsigned char)rdl;
		buf[len++] = (unsigned char)(pref[i] >> 8);
		buf[len++] = (unsigned char)pref[i];
		if (strcmp(host[i], ".") == 0)
			buf[len++] = 0;
		else
			len += put_name(buf + len, host[i]);
	}
	return (int)len;
}

GW_TEST(route_mx_sorted_by_preference)
{
	static const int pref[] = {20, 10, 20, 5};
	static const char *const host[] = {"mx2.example.org", "mx1.example.org",
					   "mx3.example.org",
					   "primary.example.org"};
	unsigned char buf[1024];
	struct gw_route rt;
	struct gw_err e;
	int len = mx_answer(buf, pref, host, 4);

	REQUIRE(gw_route_mx_parse(buf, len, "example.org", &rt, &e) == 0);
	REQUIRE(rt.n == 4);
	CHECK_STR(rt.t[0].host, "primary.example.org");
	CHECK_STR(rt.t[1].host, "mx1.example.org");
	CHECK_STR(rt.t[2].host, "mx2.example.org"); /* equal: answer order */
	CHECK_STR(rt.t[3].host, "mx3.example.org");
	CHECK_INT(rt.t[0].port, 25);
	/* Truncated answers are a temporary DNS failure, not a crash. */
	CHECK_INT(gw_route_mx_parse(buf, len - 7, "example.org", &rt, &e),
		  GW_ETEMP);
	CHECK_STR(e.status, "4.4.3");
}

GW_TEST(route_null_mx_refuses_mail)
{
	static const int pref[] = {0};
	static const char *const host[] = {"."};
	unsigned char buf[512];
	struct gw_route rt;
	struct gw_err e;
	int len = mx_answer(buf, pref, host, 1);

	CHECK_INT(gw_route_mx_parse(buf, len, "example.org", &rt, &e),
		  GW_ENOTFOUND);
	CHECK_STR(e.status, "5.1.10");
}

GW_TEST(route_relay_host_and_tls_policy)
{
	struct gw_config cfg;
	struct gw_route rt;
	struct gw_err e;

	gw_config_defaults(&cfg);
	REQUIRE(gw_config_set(&cfg, "relay_host", "relay.example:2525", &e) ==
		0);
	REQUIRE(gw_config_set(&cfg, "smtp_tls_policy",
			      "legacy.example opportunistic", &e) == 0);
	CHECK_INT(gw_route_check_config(&cfg, &e), 0);
	REQUIRE(gw_route_for(&cfg, "direct-b.example", &rt, &e) == 0);
	REQUIRE(rt.n == 1);
	CHECK_STR(rt.t[0].host, "relay.example");
	CHECK_INT(rt.t[0].port, 2525);
	CHECK_INT(rt.tls, GW_SMTP_TLS_VERIFY); /* the default */
	CHECK_INT(gw_route_tls(&cfg, "LEGACY.example"),
		  GW_SMTP_TLS_OPPORTUNISTIC);
	CHECK_INT(gw_route_tls(&cfg, "legacy.example.org"), GW_SMTP_TLS_VERIFY);
	REQUIRE(gw_config_set(&cfg, "smtp_tls_policy", "bad.example sometimes",
			      &e) == 0);
	CHECK_INT(gw_route_check_config(&cfg, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "bad.example sometimes") != NULL);
	gw_config_dispose(&cfg);
	gw_config_defaults(&cfg);
	REQUIRE(gw_config_set(&cfg, "relay_host", "relay.example:99999", &e) ==
		0);
	CHECK_INT(gw_route_check_config(&cfg, &e), GW_EPARSE);
	gw_config_dispose(&cfg);
}

/* C-CDA validation policy: direction defaults, per-domain lines. */
GW_TEST(route_cda_policy_per_domain_and_direction)
{
	struct gw_config cfg;
	struct gw_err err;

	gw_config_defaults(&cfg);
	CHECK_INT(gw_route_cda(&cfg, "x.example", false), GW_ROUTE_CDA_OFF);
	CHECK(!gw_route_cda_any(&cfg, false) && !gw_route_cda_any(&cfg, true));
	REQUIRE(gw_config_set(&cfg, "cda_validate_outbound", "warn", &err) ==
		0);
	REQUIRE(gw_config_set(&cfg, "cda_validate_policy",
			      "strict.example outbound reject", &err) == 0);
	REQUIRE(gw_config_set(&cfg, "cda_validate_policy",
			      "lax.example\toutbound  off", &err) == 0);
	REQUIRE(gw_config_set(&cfg, "cda_validate_policy",
			      "ours.example inbound reject", &err) == 0);
	CHECK_INT(gw_route_check_config(&cfg, &err), 0);
	CHECK_INT(gw_route_cda(&cfg, "x.example", false), GW_ROUTE_CDA_WARN);
	CHECK_INT(gw_route_cda(&cfg, "STRICT.example", false),
		  GW_ROUTE_CDA_REJECT);
	CHECK_INT(gw_route_cda(&cfg, "strict.example.org", false),
		  GW_ROUTE_CDA_WARN);
	CHECK_INT(gw_route_cda(&cfg, "lax.example", false), GW_ROUTE_CDA_OFF);
	/* A line for one direction says nothing about the other. */
	CHECK_INT(gw_route_cda(&cfg, "strict.example", true), GW_ROUTE_CDA_OFF);
	CHECK_INT(gw_route_cda(&cfg, "ours.example", true),
		  GW_ROUTE_CDA_REJECT);
	CHECK_INT(gw_route_cda(&cfg, "ours.example", false), GW_ROUTE_CDA_WARN);
	CHECK(gw_route_cda_any(&cfg, true) && gw_route_cda_any(&cfg, false));
	CHECK_STR(gw_route_cda_name(GW_ROUTE_CDA_REJECT), "reject");
	/* Malformed lines are a start-up error naming the line. */
	REQUIRE(gw_config_set(&cfg, "cda_validate_policy",
			      "bad.example sideways reject", &err) == 0);
	CHECK_INT(gw_route_check_config(&cfg, &err), GW_EPARSE);
	CHECK(strstr(err.msg, "bad.example sideways reject") != NULL);
	gw_config_dispose(&cfg);
	gw_config_defaults(&cfg);
	REQUIRE(gw_config_set(&cfg, "cda_validate_policy",
			      "bad.example inbound maybe", &err) == 0);
	CHECK_INT(gw_route_check_config(&cfg, &err), GW_EPARSE);
	CHECK_INT(gw_config_set(&cfg, "cda_validate_inbound", "strict", &err),
		  GW_EPARSE);
	gw_config_dispose(&cfg);
}
