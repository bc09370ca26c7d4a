/* Unit tests for mimescan: header fields, parameters, multipart, addresses. */
#include "harness.h"

#include <string.h>

#include "mimescan.h"

GW_TEST(mimescan_split_and_fields)
{
	static const char m[] = "content-type:multipart/signed;\r\n"
				"\tboundary=\"b 1\"; micalg=SHA256\r\n"
				"To: a@x.example\n"
				"To : b@x.example\r\n"
				"\r\n"
				"body\r\n";
	size_t hlen, body;
	struct gw_buf v;
	char t[64], p[64];

	gw_buf_init(&v, 1024);
	gw_mimescan_split(m, sizeof(m) - 1, &hlen, &body);
	CHECK_STR(m + body, "body\r\n");
	REQUIRE(gw_mimescan_field(m, hlen, "Content-Type", 0, &v));
	CHECK_STR(v.data, "multipart/signed;\tboundary=\"b 1\"; micalg=SHA256");
	CHECK_INT(gw_mimescan_ctype(v.data, t, sizeof(t), NULL), 0);
	CHECK_STR(t, "multipart/signed");
	CHECK(gw_mimescan_param(v.data, "BOUNDARY", p, sizeof(p)));
	CHECK_STR(p, "b 1");
	CHECK(gw_mimescan_param(v.data, "micalg", p, sizeof(p)));
	CHECK_STR(p, "SHA256");
	CHECK(!gw_mimescan_param(v.data, "protocol", p, sizeof(p)));
	REQUIRE(gw_mimescan_field(m, hlen, "to", 1, &v));
	CHECK_STR(v.data, "b@x.example");
	CHECK(!gw_mimescan_field(m, hlen, "to", 2, &v));
	CHECK(!gw_mimescan_field(m, hlen, "Cc", 0, &v));
	/* Headers only; no headers at all. */
	gw_mimescan_split("A: b\r\n", 6, &hlen, &body);
	CHECK_INT(hlen, 6);
	CHECK_INT(body, 6);
	gw_mimescan_split("\r\nx", 3, &hlen, &body);
	CHECK_INT(hlen, 0);
	CHECK_INT(body, 2);
	CHECK_INT(gw_mimescan_ctype("", t, sizeof(t), NULL), 0);
	CHECK_STR(t, "text/plain");
	CHECK_INT(gw_mimescan_ctype("text", t, sizeof(t), NULL), GW_EPARSE);
	CHECK_INT(gw_mimescan_ctype("a/b/c", t, sizeof(t), NULL), GW_EPARSE);
	gw_buf_dispose(&v);
}

GW_TEST(mimescan_multipart_exact_bytes)
{
	static const char b[] = "preamble\r\n"
				"--xy\r\n"
				"first\r\n\r\n"
				"--xyz is not a delimiter\r\n"
				"--xy  \r\n"
				"second\n"
				"--xy--\r\n"
				"epilogue\r\n";
	struct gw_mimescan_part parts[3];
	struct gw_err e;
	size_t n = 0;

	REQUIRE(gw_mimescan_multipart(b, sizeof(b) - 1, "xy", parts, 3, &n,
				      &e) == 0);
	REQUIRE(n == 2);
	CHECK_INT(parts[0].len, strlen("first\r\n\r\n--xyz is not a "
				       "delimiter"));
	CHECK(memcmp(parts[0].p, "first\r\n\r\n--xyz", 14) == 0);
	CHECK_INT(parts[1].len, 6);
	CHECK(memcmp(parts[1].p, "second", 6) == 0);
	CHECK_INT(
	    gw_mimescan_multipart(b, sizeof(b) - 1, "xy", parts, 1, &n, &e),
	    GW_ELIMIT);
	CHECK_INT(
	    gw_mimescan_multipart("--xy\r\na\r\n", 9, "xy", parts, 3, &n, &e),
	    GW_EPARSE);
	CHECK(strstr(e.msg, "closing delimiter") != NULL);
	CHECK_INT(gw_mimescan_multipart("a\r\n", 3, "xy", parts, 3, &n, &e),
		  GW_EPARSE);
	CHECK_INT(gw_mimescan_multipart("a", 1, "", parts, 3, &n, &e),
		  GW_EPARSE);
}

GW_TEST(mimescan_address_lists)
{
	char a[6][GW_ADDR_MAX];
	struct gw_err e;
	size_t n = 0;

	REQUIRE(gw_mimescan_addrs("\"Doe, Jane\" <Jane+x@A.example>, "
				  "b@b.example (Dr. B, <c@c.example>), "
				  "team: c@c.example, <d@d.example>;",
				  a, 6, &n, &e) == 0);
	REQUIRE(n == 4);
	CHECK_STR(a[0], "jane@a.example");
	CHECK_STR(a[1], "b@b.example");
	CHECK_STR(a[2], "c@c.example");
	CHECK_STR(a[3], "d@d.example");
	n = 0;
	CHECK_INT(gw_mimescan_addrs("x@y.example, nobody", a, 6, &n, &e),
		  GW_EPARSE);
	CHECK(strstr(e.msg, "nobody") != NULL);
	n = 0;
	CHECK_INT(gw_mimescan_addrs("a@b.example, c@d.example", a, 1, &n, &e),
		  GW_ELIMIT);
	n = 0;
	CHECK_INT(gw_mimescan_addrs("  ", a, 6, &n, &e), 0);
	CHECK_INT(n, 0);
}
