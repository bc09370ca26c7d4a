/*
 * Integration, C-CDA validation (issue 6 items 2, 4, 6) through the real
 * binaries: "dxgw validate" over every complete document of the corpus
 * agrees with observed-results.tsv, with its exit statuses and JSON;
 * the outbound policy answers InvalidDocumentContent (reject: Failure,
 * nothing mailed; warn: Success with warnings, mailed, audited); the
 * inbound policy fails a recipient with the report (failed MDN back to
 * the sender, nothing posted) or posts and audits (warn); a policy
 * without schemas stops the daemon at start.
 */
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hisp.h"
#include "itest.h"
#include "smtpsink.h"

/*
 * 1 XSD error (line 691), 2 Schematron errors (a-1198-7143, a-1198-7276-c;
 * observed-results.tsv), and a header dxgw submit can describe.
 */
#define BAD_CDA "ccda/reference-ccda-validator/ivl_real_example2.xml"
#define BAD_UID                                                                \
	"1.2.840.114350.1.13.861.1.7.1.1^0bb4a6bc-f496-11eb-affe-460231621f93"
/* Neither XSD nor Schematron errors. */
#define GOOD_CDA "ccda/ett/CCDA_Ambulatory.xml"
#define RCV      "ccda/reference-ccda-validator/"

/* "cda_schema_dir = <absolute corpus>/schema\n" for a daemon's config. */
static const char *
schema_conf(void)
{
	static char line[PATH_MAX + 64];
	char abs[PATH_MAX];

	if (realpath(gw_test_corpus(), abs) == NULL)
		return "";
	snprintf(line, sizeof(line), "cda_schema_dir = %s/schema\n", abs);
	return line;
}

/* Run dxgw validate with args; exit status, output in *out. */
static int
validate(const char *args, char **out)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s validate --schema-dir %s/schema %s",
		 gw_dxgw(), gw_test_corpus(), args);
	return gw_run(cmd, out);
}

GW_TEST(validate_cli_exit_status_text_and_json)
{
	char args[2048], empty[300], *out = NULL;
	const char *c = gw_test_corpus();

	/* A valid document: 0 and VALID. */
	snprintf(args, sizeof(args), "%s/%s", c, GOOD_CDA);
	CHECK_INT(validate(args, &out), 0);
	CHECK(out != NULL && gw_str_has(out, ": VALID"));
	free(out);
	/* One valid, one not: 1, with the XSD errors and their lines. */
	snprintf(args, sizeof(args), "%s/%s %s/ccda/ccda-io/v21valid.xml", c,
		 GOOD_CDA, c);
	CHECK_INT(validate(args, &out), 1);
	CHECK(out != NULL && gw_str_has(out, "v21valid.xml: INVALID"));
	CHECK(out != NULL && gw_str_has(out, "xsd: 2 errors"));
	CHECK(out != NULL && gw_str_has(out, "line 1171: Element "
					     "'{urn:hl7-org:v3}performer'"));
	CHECK(out != NULL && gw_str_has(out, "schematron: 3 errors"));
	CHECK(out != NULL && gw_str_has(out, "error noid x3"));
	CHECK(out != NULL && gw_str_has(out, "2 files, 1 with errors"));
	free(out);
	/* Not XML: an error of the file, not of the command. */
	snprintf(args, sizeof(args), "%s/README.md", c);
	CHECK_INT(validate(args, &out), 1);
	CHECK(out != NULL && gw_str_has(out, "NOT WELL-FORMED"));
	free(out);
	/* A missing file is trouble (2); the other file is still shown. */
	snprintf(args, sizeof(args), "%s/%s %s/no-such-file.xml", c, GOOD_CDA,
		 c);
	CHECK_INT(validate(args, &out), 2);
	CHECK(out != NULL && gw_str_has(out, "no-such-file.xml: ERROR No such "
					     "file or directory"));
	CHECK(out != NULL && gw_str_has(out, "CCDA_Ambulatory.xml: VALID"));
	free(out);
	/* Usage, and schemas that are not there. */
	CHECK_INT(validate("", &out), 2);
	free(out);
	CHECK_INT(validate("--max 0 x.xml", &out), 2);
	free(out);
	snprintf(args, sizeof(args),
		 "%s validate --schema-dir /nonexistent %s/%s", gw_dxgw(), c,
		 GOOD_CDA);
	CHECK_INT(gw_run(args, &out), 2);
	CHECK(out != NULL && gw_str_has(out, "no such file: /nonexistent/"));
	free(out);

	/* JSON: one document, per source, rules with counts. */
	snprintf(
	    args, sizeof(args),
	    "--json %s/%sSDTCExtensionsTest.xml %s/ccda/ccda-io/v21valid.xml",
	    c, RCV, c);
	CHECK_INT(validate(args, &out), 1);
	CHECK(out != NULL && strncmp(out, "{\"files\":[{\"file\":", 18) == 0);
	CHECK(out != NULL &&
	      gw_str_has(out, "\"well_formed\":true,\"valid\":false,"
			      "\"errors\":7,\"truncated\":false,"
			      "\"xml\":{\"errors\":0,\"findings\":[]},"
			      "\"xsd\":{\"checked\":true,\"errors\":0,"));
	CHECK(out != NULL &&
	      gw_str_has(out, "{\"id\":\"a-1198-15350\",\"severity\":\"error\","
			      "\"count\":1}"));
	CHECK(out != NULL && gw_str_has(out, "{\"severity\":\"error\",\"id\":"
					     "\"a-1198-15350\",\"line\":167,"
					     "\"location\":\"/"
					     "ClinicalDocument[1]/"));
	CHECK(out != NULL && gw_str_has(out, "{\"line\":1171,\"location\":"
					     "\"/ClinicalDocument[1]/"));
	CHECK(out != NULL &&
	      gw_str_has(out, "],\"files_with_errors\":2,\"errors\":12,"
			      "\"unreadable\":false}\n"));
	free(out);
	/* An unreadable file in JSON, and a DOCTYPE. */
	snprintf(empty, sizeof(empty), "%s", gw_test_tmpdir());
	snprintf(args, sizeof(args), "%s/dt.xml", empty);
	{
		static const char dt[] =
		    "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>";

		CHECK(gw_test_write_file(args, dt, sizeof(dt) - 1) == 0);
	}
	snprintf(args, sizeof(args), "--json %s/dt.xml %s/none.xml", empty,
		 empty);
	CHECK_INT(validate(args, &out), 2);
	CHECK(out != NULL &&
	      gw_str_has(out, "\"well_formed\":false,\"valid\":false,"
			      "\"errors\":1"));
	CHECK(out != NULL && gw_str_has(out, "DOCTYPE) is not accepted"));
	CHECK(out != NULL && gw_str_has(out, "none.xml\",\"error\":\"No such "
					     "file or directory\"}"));
	free(out);
}

/* A shell-quoted copy of s ('...' with ' as '\''). */
static void
quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* In the JSON of one file: its "errors" count; -1 when not found. */
static long
json_errors(const char *json, const char *file)
{
	char key[2200];
	const char *p;

	snprintf(key, sizeof(key), "{\"file\":\"%s\",\"well_formed\":", file);
	p = strstr(json, key);
	if (p == NULL || (p = strstr(p, "\"errors\":")) == NULL)
		return -1;
	return strtol(p + 9, NULL, 10);
}

/*
 * Issue 6 item 6: dxgw validate over every complete C-CDA the corpus
 * measured; each file's error count is the tsv's XSD and Schematron
 * counts (not well-formed files: some error), and the exit status is 1.
 */
GW_TEST(validate_cli_every_corpus_document_matches_the_oracle)
{
	char path[1024], script[600], *tsv, *line, *save = NULL;
	char *out = NULL;
	int rows = 0, bad = 0, with_errors = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/observed-results.tsv",
		 gw_test_corpus());
	tsv = gw_test_slurp(path, NULL);
	REQUIRE(tsv != NULL);
	snprintf(script, sizeof(script), "%s/all.sh", gw_test_tmpdir());
	f = fopen(script, "w");
	REQUIRE(f != NULL);
	fprintf(f, "exec %s validate --json --schema-dir %s/schema", gw_dxgw(),
		gw_test_corpus());
	(void)strtok_r(tsv, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		snprintf(path, sizeof(path), "%s/%.*s", gw_test_corpus(),
			 (int)strcspn(line, "\t"), line);
		fputc(' ', f);
		quote(f, path);
	}
	fputc('\n', f);
	fclose(f);
	free(tsv);
	snprintf(path, sizeof(path), "sh %s", script);
	CHECK_INT(gw_run(path, &out), 1);
	REQUIRE(out != NULL);

	snprintf(path, sizeof(path), "%s/observed-results.tsv",
		 gw_test_corpus());
	tsv = gw_test_slurp(path, NULL);
	REQUIRE(tsv != NULL);
	save = NULL;
	(void)strtok_r(tsv, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *fld[9], *p = line, file[1100];
		long want, got;
		bool ns;
		int n = 0;

		for (; n < 9 && p != NULL; n++) {
			fld[n] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (n < 9)
			continue;
		rows++;
		ns = strstr(fld[5], "namespace error") != NULL;
		want = strtol(fld[4], NULL, 10) + strtol(fld[6], NULL, 10);
		with_errors += want > 0;
		snprintf(file, sizeof(file), "%s/%s", gw_test_corpus(), fld[0]);
		got = json_errors(out, file);
		if (ns ? got < 1 : got != want) {
			fprintf(stderr, "    %s: %ld errors, expected %s%ld\n",
				fld[0], got, ns ? "some, tsv " : "", want);
			bad++;
		}
	}
	CHECK(rows > 200);
	CHECK_INT(bad, 0);
	snprintf(path, sizeof(path), "],\"files_with_errors\":%d,",
		 with_errors);
	CHECK(gw_str_has(out, path));
	free(tsv);
	free(out);
}

/* dxgw submit of a corpus file from ehr@direct-a.example to doc@... */
static int
submit_file(const struct gw_daemon *d, const char *rel, char **out)
{
	char cmd[4096];
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "--to doc@direct-b.example --timeout 20 %s/%s",
		 gw_dxgw(), d->url, gw_test_corpus(), rel);
	rc = gw_run(cmd, out);
	if (getenv("GW_TEST_VERBOSE") != NULL)
		fprintf(stderr, "    %s: exit %d\n%s", rel, rc,
			*out ? *out : "");
	return rc;
}

static bool
wait_mail(struct gw_sink *s, int n)
{
	for (int i = 0; i < 300; i++) {
		if (gw_sink_count(s) >= n)
			return true;
		usleep(50000);
	}
	return false;
}

/* The audit rows' details of one event, "|"-joined (sqlite3 CLI). */
static char *
audit_details(const struct gw_daemon *d, const char *event)
{
	char cmd[1024], *out = NULL;

	snprintf(cmd, sizeof(cmd),
		 "sqlite3 %s \"SELECT outcome || ' ' || ifnull(detail, '') "
		 "FROM audit WHERE event = '%s' ORDER BY id\"",
		 d->db, event);
	if (gw_run(cmd, &out) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static const struct gw_sink_script ok_script = {.greet = 220,
						.pipelining = true,
						.size_max = -1,
						.mail = 250,
						.data = 354,
						.dot = 250};

GW_TEST(cda_outbound_reject_answers_invalid_document_content)
{
	struct gw_sink *s;
	struct gw_hisp a;
	char extra[PATH_MAX + 200];
	char *out = NULL, *aud;

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE((s = gw_sink_start(&ok_script, 1, NULL, NULL)) != NULL);
	snprintf(extra, sizeof(extra), "%scda_validate_outbound = reject\n",
		 schema_conf());
	REQUIRE(gw_hisp_start(&a, 'a', gw_free_port(), gw_sink_port(s), extra));
	CHECK_INT(submit_file(&a.d, BAD_CDA, &out), 1);
	CHECK(out != NULL && gw_str_has(out, "status: Failure"));
	/* One error naming the document and its first errors. */
	CHECK(out != NULL &&
	      gw_str_has(out, "Error: InvalidDocumentContent at " BAD_UID
			      ": document " BAD_UID " (Document01) is not "
			      "valid C-CDA: 0 XML, 1 XSD, 2 Schematron errors; "
			      "line 691 xsd: Element "
			      "'{urn:hl7-org:v3}component': This element is "
			      "not expected."));
	CHECK(out != NULL && gw_str_has(out, "; line 1619 a-1198-7143: SHALL "
					     "contain exactly one [1..1] "
					     "value"));
	free(out);
	/* A valid document goes through: the one mail is that one. */
	CHECK_INT(submit_file(&a.d, GOOD_CDA, &out), 0);
	CHECK(out != NULL && gw_str_has(out, "status: Success"));
	CHECK(out != NULL && !gw_str_has(out, "InvalidDocumentContent"));
	free(out);
	CHECK(wait_mail(s, 1));
	usleep(1000000); /* a mail for the rejected one would be here too */
	CHECK_INT(gw_sink_count(s), 1);
	aud = audit_details(&a.d, "xdr.rejected");
	CHECK(aud != NULL && gw_str_has(aud, "failure InvalidDocumentContent"));
	free(aud);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	gw_sink_stop(s);
}

GW_TEST(cda_outbound_warn_per_domain_succeeds_with_warnings)
{
	struct gw_sink *s;
	struct gw_hisp a;
	char extra[PATH_MAX + 300];
	char *out = NULL, *aud;

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE((s = gw_sink_start(&ok_script, 1, NULL, NULL)) != NULL);
	/* Off by default; warn on the route to direct-b.example. */
	snprintf(extra, sizeof(extra),
		 "%scda_validate_outbound = off\n"
		 "cda_validate_policy = direct-b.example outbound warn\n"
		 "cda_validate_policy = direct-b.example inbound reject\n",
		 schema_conf());
	REQUIRE(gw_hisp_start(&a, 'a', gw_free_port(), gw_sink_port(s), extra));
	CHECK_INT(submit_file(&a.d, BAD_CDA, &out), 0);
	CHECK(out != NULL && gw_str_has(out, "status: Success"));
	CHECK(out != NULL &&
	      gw_str_has(out, "Warning: InvalidDocumentContent at " BAD_UID
			      ": document " BAD_UID " (Document01) is not "
			      "valid C-CDA: 0 XML, 1 XSD, 2 Schematron errors; "
			      "line 691 xsd: Element "));
	free(out);
	CHECK(wait_mail(s, 1));
	/* Recorded: counts, lines and ids, no document text. */
	aud = audit_details(&a.d, "xdr.accepted");
	CHECK(aud != NULL &&
	      gw_str_has(aud, "success Document01: 0 XML, 1 XSD, 2 Schematron "
			      "errors; line 691 xsd; line 1619 a-1198-7143; "
			      "line 671 a-1198-7276-c"));
	CHECK(aud != NULL && !gw_str_has(aud, "not expected"));
	free(aud);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	gw_sink_stop(s);
}

/* HISP B validates what arrives for doc@direct-b.example. */
static bool
two_hisps(struct gw_hisp *a, struct gw_hisp *b, struct gw_daemon *sink,
	  const char *b_extra)
{
	int pa = gw_free_port(), pb = gw_free_port();

	return gw_ehrsink_start(sink) &&
	       gw_hisp_start(a, 'a', pa, pb, "final_delivery = always\n") &&
	       gw_hisp_start(b, 'b', pb, pa, b_extra) &&
	       gw_hisp_addr_add(b, "doc@direct-b.example", sink->url);
}

GW_TEST(cda_inbound_reject_fails_the_recipient_with_the_report)
{
	struct gw_store_injob *rows = NULL;
	struct gw_daemon sink;
	struct gw_hisp a, b;
	char extra[PATH_MAX + 200];
	char *out = NULL, *aud;
	size_t n = 0;

	REQUIRE(gw_hisp_pki()[0] != '\0');
	snprintf(extra, sizeof(extra), "%scda_validate_inbound = reject\n",
		 schema_conf());
	REQUIRE(two_hisps(&a, &b, &sink, extra));
	/* A does not validate: the document travels and B refuses it. */
	CHECK_INT(submit_file(&a.d, BAD_CDA, &out), 0);
	free(out);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_FAILED, 1, NULL), 1);
	CHECK_INT(gw_hisp_mdns(&a.d, GW_MDN_DISPATCHED, NULL), 0);
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 0);
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		const char *why = rows[0].rcpts[0].reason;

		CHECK_STR(rows[0].rcpts[0].state, "failed");
		CHECK(why != NULL && strncmp(why,
					     "5.6.0 C-CDA validation failed "
					     "for document Document01: 0 XML, "
					     "1 XSD, 2 Schematron errors; "
					     "line 691 xsd: Element ",
					     112) == 0);
	}
	gw_store_injobs_free(rows, n);
	aud = audit_details(&b.d, "inbound.cda");
	CHECK(aud != NULL && gw_str_has(aud, "failure document Document01: 0 "
					     "XML, 1 XSD, 2 Schematron"));
	free(aud);
	/* A valid document is posted. */
	CHECK_INT(submit_file(&a.d, GOOD_CDA, &out), 0);
	free(out);
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, NULL), 1);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

GW_TEST(cda_inbound_warn_posts_and_records)
{
	struct gw_store_injob *rows = NULL;
	struct gw_daemon sink;
	struct gw_hisp a, b;
	char extra[PATH_MAX + 200];
	char *out = NULL, *aud;
	size_t n = 0;

	REQUIRE(gw_hisp_pki()[0] != '\0');
	snprintf(extra, sizeof(extra),
		 "%scda_validate_policy = direct-b.example inbound warn\n",
		 schema_conf());
	REQUIRE(two_hisps(&a, &b, &sink, extra));
	CHECK_INT(submit_file(&a.d, BAD_CDA, &out), 0);
	free(out);
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, NULL), 1);
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
	CHECK(n == 1 && strcmp(rows[0].rcpts[0].state, "delivered") == 0);
	gw_store_injobs_free(rows, n);
	aud = audit_details(&b.d, "inbound.cda");
	CHECK(aud != NULL && gw_str_has(aud, "warning document Document01: 0 "
					     "XML, 1 XSD, 2 Schematron"));
	free(aud);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

/* A policy without schemas that load: a clear error at start. */
GW_TEST(cda_policy_without_schema_stops_serve)
{
	struct gw_daemon d;
	char log[400], *text;

	CHECK(!gw_daemon_start(&d, "cda_validate_inbound = warn\n"
				   "cda_schema_dir = /nonexistent/schema\n"));
	snprintf(log, sizeof(log), "%s/dxgw.log", d.dir);
	text = gw_test_slurp(log, NULL);
	CHECK(text != NULL &&
	      gw_str_has(text, "cda_validate_*: C-CDA validation is on but "
			       "the schemas cannot be loaded: CDA XML Schema: "
			       "no such file: /nonexistent/schema/"));
	free(text);
	if (d.pid > 0)
		gw_daemon_stop(&d);
	CHECK(!gw_daemon_start(&d, "cda_validate_policy = x.example "
				   "outbound sometimes\n"));
	snprintf(log, sizeof(log), "%s/dxgw.log", d.dir);
	text = gw_test_slurp(log, NULL);
	CHECK(text != NULL && gw_str_has(text, "cda_validate_policy: "
					       "'x.example outbound "
					       "sometimes'"));
	free(text);
	if (d.pid > 0)
		gw_daemon_stop(&d);
}
