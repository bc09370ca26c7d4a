/* Unit tests for acl: client identity -> permitted Direct senders. */
#include "harness.h"

#include "acl.h"

GW_TEST(acl_rules)
{
	const char *rules[] = {"ehr1 @hospital.example, dr@other.example",
			       "sha256:ABCD *", "anonymous nobody@x.example"};
	char why[256];

	CHECK(
	    gw_acl_permits(NULL, 0, "anyone", NULL, "a@b.c", why, sizeof(why)));
	CHECK(gw_acl_permits(rules, 3, "ehr1", NULL, "Nurse@Hospital.Example",
			     why, sizeof(why)));
	CHECK(gw_acl_permits(rules, 3, "ehr1", NULL, "dr@other.example", why,
			     sizeof(why)));
	CHECK(!gw_acl_permits(rules, 3, "ehr1", NULL, "dr@evil.example", why,
			      sizeof(why)));
	CHECK(strstr(why, "may not send as 'dr@evil.example'") != NULL);
	CHECK(!gw_acl_permits(rules, 3, "ehr1", NULL, "x@sub.hospital.example",
			      why, sizeof(why)));
	CHECK(gw_acl_permits(rules, 3, "other", "sha256:abcd", "q@w.e", why,
			     sizeof(why)));
	CHECK(!gw_acl_permits(rules, 3, "stranger", "sha256:ffff", "q@w.e", why,
			      sizeof(why)));
	CHECK(strstr(why, "not authorised") != NULL);
	CHECK(gw_acl_permits(rules, 3, "anonymous", NULL, "nobody@x.example",
			     why, sizeof(why)));
}
