/*
 * Integration: dxgw addr add / list / deactivate against a config file
 * and its SQLite store, with the error cases and their exit statuses.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "itest.h"

static int
addr(const char *conf, const char *args, char **out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s addr %s -c %s", gw_dxgw(), args, conf);
	return gw_run(cmd, out);
}

GW_TEST(addr_cli_round_trip_and_errors)
{
	const char *d = gw_test_tmpdir();
	char conf[400], pem[400], args[1024];
	char *out = NULL;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/dxgw.conf", d);
	snprintf(pem, sizeof(pem), "%s/client.pem", d);
	f = fopen(conf, "w");
	REQUIRE(f != NULL);
	fprintf(f, "store = sqlite:%s/dxgw.db\nspool_dir = %s/spool\n", d, d);
	fclose(f);
	f = fopen(pem, "w");
	REQUIRE(f != NULL);
	fputs("not checked here\n", f);
	fclose(f);

	snprintf(args, sizeof(args),
		 "add Dr.B@Direct.Example.org https://ehr.example.org/xdr "
		 "--cert %s --ca %s",
		 pem, pem);
	CHECK_INT(addr(conf, args, &out), 0);
	free(out);
	CHECK_INT(
	    addr(conf, "add @clinic.example http://127.0.0.1:9/xdr", &out), 0);
	free(out);
	CHECK_INT(addr(conf, "list", &out), 0);
	CHECK(gw_str_has(out, "@clinic.example\tactive\thttp://127.0.0.1:9/xdr"
			      "\tcert=-\tca=-"));
	CHECK(gw_str_has(out, "dr.b@direct.example.org\tactive\t"
			      "https://ehr.example.org/xdr\tcert=/"));
	free(out);
	CHECK_INT(addr(conf, "deactivate dr.b@direct.example.org", &out), 0);
	free(out);
	CHECK_INT(addr(conf, "list", &out), 0);
	CHECK(gw_str_has(out, "dr.b@direct.example.org\tinactive\t"));
	free(out);
	/* A re-add re-activates (and drops the certificate). */
	CHECK_INT(addr(conf, "add dr.b@direct.example.org https://e2.example/x",
		       &out),
		  0);
	free(out);
	CHECK_INT(addr(conf, "list", &out), 0);
	CHECK(gw_str_has(out, "dr.b@direct.example.org\tactive\t"
			      "https://e2.example/x\tcert=-\tca=-"));
	free(out);

	/* Failures: 1 with a reason; usage: 2. */
	CHECK_INT(addr(conf, "add x@y.example http://ehr.example/x", &out), 1);
	CHECK(gw_str_has(out, "loopback"));
	free(out);
	CHECK_INT(addr(conf, "add not-an-address https://e.example/x", &out),
		  1);
	CHECK(gw_str_has(out, "not a Direct address"));
	free(out);
	CHECK_INT(
	    addr(conf, "add x@y.example https://e.example/x --ca /nope", &out),
	    1);
	CHECK(gw_str_has(out, "--ca /nope"));
	free(out);
	CHECK_INT(addr(conf, "deactivate nobody@y.example", &out), 1);
	CHECK(gw_str_has(out, "no address nobody@y.example"));
	free(out);
	CHECK_INT(addr(conf, "add only-one-arg@y.example", &out), 2);
	free(out);
	CHECK_INT(addr(conf, "frobnicate", &out), 2);
	free(out);
	CHECK_INT(addr(conf, "list extra", &out), 2);
	free(out);
}
