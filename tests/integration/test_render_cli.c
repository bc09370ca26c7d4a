/*
 * Integration: dxgw render on a corpus C-CDA (standard output and -o),
 * and its clean failures: not a C-CDA, malformed, missing, usage.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

static int
render(const char *args, char **out)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s render %s", gw_dxgw(), args);
	return gw_run(cmd, out);
}

GW_TEST(render_cli_corpus_and_failures)
{
	const char *d = gw_test_tmpdir();
	char args[3000], page[600], bad[600];
	char *out = NULL, *body = NULL;
	struct stat st;
	size_t len = 0;
	FILE *f;

	snprintf(page, sizeof(page), "%s/ccd.html", d);
	snprintf(bad, sizeof(bad), "%s/bad.xml", d);

	/* To standard output. */
	snprintf(args, sizeof(args), "'%s/%s'", gw_test_corpus(), CCD);
	CHECK_INT(render(args, &out), 0);
	CHECK(out != NULL && strncmp(out, "<!DOCTYPE html", 14) == 0);
	CHECK(gw_str_has(out, "<title>"));
	CHECK(gw_str_has(out, "default-src 'none'; style-src "
			      "'unsafe-inline'"));
	free(out);
	out = NULL;

	/* To a file, private, whole. */
	snprintf(args, sizeof(args), "'%s/%s' -o %s", gw_test_corpus(), CCD,
		 page);
	CHECK_INT(render(args, &out), 0);
	CHECK(out != NULL && out[0] == '\0');
	free(out);
	out = NULL;
	CHECK(stat(page, &st) == 0 && (st.st_mode & 0777) == 0600);
	body = gw_test_slurp(page, &len);
	CHECK(body != NULL && gw_str_has(body, "</html>"));
	free(body);

	/* Not a C-CDA: exit 1, a reason, and no file. */
	f = fopen(bad, "w");
	REQUIRE(f != NULL);
	fputs("<html><script>alert(1)</script></html>\n", f);
	fclose(f);
	unlink(page);
	snprintf(args, sizeof(args), "%s -o %s", bad, page);
	CHECK_INT(render(args, &out), 1);
	CHECK(gw_str_has(out, "dxgw render: "));
	CHECK(gw_str_has(out, "not an HL7 v3 ClinicalDocument"));
	free(out);
	out = NULL;
	CHECK(access(page, F_OK) != 0);

	/* Malformed, with a DOCTYPE, missing: exit 1 with the reason. */
	f = fopen(bad, "w");
	REQUIRE(f != NULL);
	fputs("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>", f);
	fclose(f);
	CHECK_INT(render(bad, &out), 1);
	CHECK(gw_str_has(out, "CDA: line"));
	free(out);
	out = NULL;
	f = fopen(bad, "w");
	REQUIRE(f != NULL);
	fputs("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	      "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&e;</title>"
	      "</ClinicalDocument>",
	      f);
	fclose(f);
	CHECK_INT(render(bad, &out), 1);
	CHECK(gw_str_has(out, "document type declarations"));
	CHECK(!gw_str_has(out, "root:"));
	free(out);
	out = NULL;
	snprintf(args, sizeof(args), "%s/none.xml", d);
	CHECK_INT(render(args, &out), 1);
	CHECK(gw_str_has(out, "No such file"));
	free(out);
	out = NULL;

	/* Usage. */
	CHECK_INT(render("", &out), 2);
	CHECK(gw_str_has(out, "usage: dxgw render"));
	free(out);
	out = NULL;
	CHECK_INT(render("a b", &out), 2);
	free(out);
}
