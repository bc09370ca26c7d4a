/*
 * NAME
 *	cli_validate - dxgw validate: C-CDA schema and Schematron results
 *	per file, for a conformance tester
 * SUMMARY
 *	dxgw validate [-c FILE] [--schema-dir DIR] [--json] [--warnings]
 *	              [--max N] FILE...
 *	Validates each file against the CDA R2 + SDTC XML Schema and the
 *	C-CDA Schematron (errors phase; --warnings adds the warnings phase)
 *	and prints, per file, whether it is well-formed, the XSD errors with
 *	their lines and the Schematron findings grouped by assertion id with
 *	their locations; --json prints one JSON document instead.
 *
 *	The schema files: --schema-dir DIR, else cda_schema_dir (with
 *	cda_xsd, cda_schematron) of the config file (-c, else
 *	/etc/dxgw/dxgw.conf when present), whose default is the directory
 *	the Makefile compiled in (the corpus's schema/ when it was there).
 *
 *	Exit status: 0 when no file has an error (warnings do not count),
 *	1 when some file has errors, 2 for usage, a schema that cannot be
 *	loaded, or a file that cannot be read (the other files are still
 *	validated and printed).
 * SECURITY
 *	The files are untrusted (cdaval.h). The output repeats the
 *	validator's messages, which may quote document values: it is meant
 *	for the person who holds the documents.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes per file; --max findings kept per file
 *	(default 100; the counts stay exact).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cda.h"
#include "cdaval.h"
#include "config.h"
#include "json.h"
#include "mem.h"

#define JSON_MAX (64u * 1024u * 1024u) /* one file's JSON object */
#define PATH_LEN 4096

struct opts {
	bool json, warnings;
	size_t max;
	const char *schema_dir;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw validate [-c FILE] [--schema-dir DIR] [--json] "
		   "[--warnings]\n"
		   "                     [--max N] FILE...\n"
		   "  C-CDA validation: the CDA R2 + SDTC XML Schema and the "
		   "C-CDA R2.1\n"
		   "  Schematron (errors phase; --warnings adds the warnings "
		   "phase).\n"
		   "  Exit 0: no errors; 1: some file has errors; 2: usage, "
		   "schema or\n"
		   "  unreadable file.\n");
}

/* Read a whole file of at most max bytes; errno-style message in why. */
static char *
slurp(const char *path, size_t max, size_t *len, char *why, size_t wlen)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		snprintf(why, wlen, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		size_t r;

		if (n == cap) {
			if (cap > max) {
				snprintf(why, wlen,
					 "larger than %zu bytes (the "
					 "limit)",
					 max);
				free(p);
				p = NULL;
				goto out;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			p = gw_xrealloc(p, cap + 1);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, wlen, "read error");
		free(p);
		p = NULL;
		goto out;
	}
	if (n > max) {
		snprintf(why, wlen, "larger than %zu bytes (the limit)", max);
		free(p);
		p = NULL;
		goto out;
	}
	p[n] = '\0';
	*len = n;
out:
	if (f != NULL)
		fclose(f);
	return p;
}

/* --- text ---------------------------------------------------------------- */

static void
text_findings(const struct gw_cdaval_report *r, enum gw_cdaval_source src)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].source == src)
			printf("    line %ld: %s\n", r->v[i].line,
			       r->v[i].text);
}

/* The Schematron findings grouped by assertion id (the rules table). */
static void
text_rules(const struct gw_cdaval_report *r)
{
	for (size_t k = 0; k < r->nrules; k++) {
		const struct gw_cdaval_rule *u = &r->rules[k];
		bool first = true;

		printf("    %s %s x%zu\n", u->warning ? "warning" : "error",
		       u->id, u->count);
		for (size_t i = 0; i < r->n; i++) {
			const struct gw_cdaval_finding *f = &r->v[i];

			if (f->source != GW_CDAVAL_SCH ||
			    f->warning != u->warning || strcmp(f->id, u->id))
				continue;
			if (first)
				printf("      %s\n", f->text);
			first = false;
			printf("      at %s (line %ld)\n",
			       f->location ? f->location : "?", f->line);
		}
	}
}

static void
text_report(const char *file, const struct gw_cdaval_report *r)
{
	size_t e = gw_cdaval_errors(r);

	printf("%s: %s\n", file,
	       !r->well_formed ? "NOT WELL-FORMED"
	       : e > 0         ? "INVALID"
			       : "VALID");
	if (r->xml_errors > 0) {
		printf("  xml: %zu error%s\n", r->xml_errors,
		       r->xml_errors == 1 ? "" : "s");
		text_findings(r, GW_CDAVAL_XML);
	}
	if (r->xsd_checked) {
		printf("  xsd: %zu error%s\n", r->xsd_errors,
		       r->xsd_errors == 1 ? "" : "s");
		text_findings(r, GW_CDAVAL_XSD);
	}
	if (r->sch_checked) {
		printf("  schematron: %zu error%s, %zu warning%s\n",
		       r->sch_errors, r->sch_errors == 1 ? "" : "s",
		       r->sch_warnings, r->sch_warnings == 1 ? "" : "s");
		text_rules(r);
	}
	if (r->truncated)
		printf("  (more findings than shown; counts are exact)\n");
}

/* --- JSON ---------------------------------------------------------------- */

static int
json_findings(struct gw_buf *b, const struct gw_cdaval_report *r,
	      enum gw_cdaval_source src)
{
	bool first = true;
	int rc = gw_buf_puts(b, "\"findings\":[");

	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const struct gw_cdaval_finding *f = &r->v[i];

		if (f->source != src)
			continue;
		rc = gw_buf_printf(b, "%s{", first ? "" : ",");
		first = false;
		if (rc == 0 && src == GW_CDAVAL_SCH)
			rc = gw_buf_printf(b, "\"severity\":\"%s\",\"id\":",
					   f->warning ? "warning" : "error");
		if (rc == 0 && src == GW_CDAVAL_SCH)
			rc = gw_json_str(b, f->id);
		if (rc == 0)
			rc = gw_buf_printf(b, "%s\"line\":%ld,\"location\":",
					   src == GW_CDAVAL_SCH ? "," : "",
					   f->line);
		if (rc == 0)
			rc = gw_json_str(b, f->location);
		if (rc == 0)
			rc = gw_buf_puts(b, ",\"message\":");
		if (rc == 0)
			rc = gw_json_str(b, f->text);
		if (rc == 0)
			rc = gw_buf_puts(b, "}");
	}
	return rc == 0 ? gw_buf_puts(b, "]") : rc;
}

static int
json_rules(struct gw_buf *b, const struct gw_cdaval_report *r)
{
	int rc = gw_buf_puts(b, "\"rules\":[");

	for (size_t k = 0; k < r->nrules && rc == 0; k++) {
		rc = gw_buf_printf(b, "%s{\"id\":", k ? "," : "");
		if (rc == 0)
			rc = gw_json_str(b, r->rules[k].id);
		if (rc == 0)
			rc = gw_buf_printf(
			    b, ",\"severity\":\"%s\",\"count\":%zu}",
			    r->rules[k].warning ? "warning" : "error",
			    r->rules[k].count);
	}
	return rc == 0 ? gw_buf_puts(b, "]") : rc;
}

static int
json_report(struct gw_buf *b, const struct gw_cdaval_report *r)
{
	int rc = gw_buf_printf(
	    b,
	    ",\"well_formed\":%s,\"valid\":%s,\"errors\":%zu,"
	    "\"truncated\":%s,\"xml\":{\"errors\":%zu,",
	    r->well_formed ? "true" : "false",
	    gw_cdaval_errors(r) == 0 ? "true" : "false", gw_cdaval_errors(r),
	    r->truncated ? "true" : "false", r->xml_errors);

	if (rc == 0)
		rc = json_findings(b, r, GW_CDAVAL_XML);
	if (rc == 0)
		rc = gw_buf_printf(b,
				   "},\"xsd\":{\"checked\":%s,\"errors\":%zu,"
				   "\"seconds\":%.3f,",
				   r->xsd_checked ? "true" : "false",
				   r->xsd_errors, r->xsd_seconds);
	if (rc == 0)
		rc = json_findings(b, r, GW_CDAVAL_XSD);
	if (rc == 0)
		rc = gw_buf_printf(b,
				   "},\"schematron\":{\"checked\":%s,"
				   "\"errors\":%zu,\"warnings\":%zu,"
				   "\"seconds\":%.3f,\"counts_exact\":%s,",
				   r->sch_checked ? "true" : "false",
				   r->sch_errors, r->sch_warnings,
				   r->sch_seconds,
				   r->rules_partial ? "false" : "true");
	if (rc == 0)
		rc = json_rules(b, r);
	if (rc == 0)
		rc = gw_buf_puts(b, ",");
	if (rc == 0)
		rc = json_findings(b, r, GW_CDAVAL_SCH);
	return rc == 0 ? gw_buf_puts(b, "}") : rc;
}

/* One file's object: {"file":..., "error":...} or the report. */
static void
json_file(const char *file, const struct gw_cdaval_report *r, const char *error,
	  bool first)
{
	struct gw_buf b;
	int rc;

	gw_buf_init(&b, JSON_MAX);
	rc = gw_buf_printf(&b, "%s{\"file\":", first ? "" : ",");
	if (rc == 0)
		rc = gw_json_str(&b, file);
	if (rc == 0 && error != NULL) {
		rc = gw_buf_puts(&b, ",\"error\":");
		if (rc == 0)
			rc = gw_json_str(&b, error);
	} else if (rc == 0) {
		rc = json_report(&b, r);
	}
	if (rc == 0)
		rc = gw_buf_puts(&b, "}");
	if (rc != 0) {
		/* Our own output outgrew its bound: say so, stay valid JSON. */
		gw_buf_reset(&b);
		rc = gw_buf_printf(&b, "%s{\"file\":", first ? "" : ",");
		if (rc == 0)
			rc = gw_json_str(&b, file);
		if (rc == 0)
			rc =
			    gw_buf_puts(&b, ",\"error\":\"report too large\"}");
	}
	fwrite(b.data, 1, b.len, stdout);
	gw_buf_dispose(&b);
}

/* --- the command ---------------------------------------------------------- */

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"json", 0, NULL, 'j'},       {"warnings", 0, NULL, 'w'},
	    {"schema-dir", 1, NULL, 'd'}, {"max", 1, NULL, 'n'},
	    {"help", 0, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jwd:n:h", lo, NULL)) != -1) {
		char *end;
		long n;

		switch (c) {
		case 'c':
			break; /* read by main.c */
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->warnings = true;
			break;
		case 'd':
			o->schema_dir = optarg;
			break;
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 100000) {
				fprintf(stderr, "dxgw validate: --max: 1 to "
						"100000\n");
				return 2;
			}
			o->max = (size_t)n;
			break;
		case 'h':
			usage(stdout);
			return 3;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int
open_validator(const struct gw_config *cfg, const struct opts *o,
	       struct gw_cdaval **v)
{
	const char *dir = o->schema_dir ? o->schema_dir : cfg->cda_schema_dir;
	char xsd[PATH_LEN], sch[PATH_LEN];
	struct gw_err err;

	if (dir[0] == '\0' && (cfg->cda_xsd[0] != '/')) {
		fprintf(stderr, "dxgw validate: no schema directory: give "
				"--schema-dir DIR or set cda_schema_dir\n");
		return 2;
	}
	if (gw_cdaval_paths(dir, cfg->cda_xsd, cfg->cda_schematron, xsd,
			    sizeof(xsd), sch, sizeof(sch), &err) != 0 ||
	    gw_cdaval_open(xsd, sch, v, &err) != 0) {
		fprintf(stderr, "dxgw validate: %s\n", err.msg);
		return 2;
	}
	return 0;
}

int
gw_cli_validate(const struct gw_config *cfg, int argc, char **argv)
{
	struct opts o = {.max = GW_CDAVAL_MAX_FINDINGS};
	struct gw_cdaval *v = NULL;
	size_t nbad = 0, nerrors = 0;
	bool unreadable = false;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0) {
		rc = rc == 3 ? 0 : rc;
		goto out;
	}
	rc = open_validator(cfg, &o, &v);
	if (rc != 0)
		goto out;
	if (o.json)
		printf("{\"files\":[");
	for (int i = optind; i < argc; i++) {
		struct gw_cdaval_report r;
		struct gw_err err;
		char why[300] = "";
		size_t len = 0;
		char *data =
		    slurp(argv[i], GW_CDA_MAX_LEN, &len, why, sizeof(why));

		memset(&r, 0, sizeof(r));
		if (data != NULL &&
		    gw_cdaval_check(v, data, len,
				    o.warnings ? GW_CDAVAL_WARNINGS : 0, o.max,
				    &r, &err) != 0)
			snprintf(why, sizeof(why), "%s", err.msg);
		if (why[0] != '\0') {
			unreadable = true;
			if (o.json)
				json_file(argv[i], NULL, why, i == optind);
			else
				printf("%s: ERROR %s\n", argv[i], why);
		} else {
			size_t e = gw_cdaval_errors(&r);

			nbad += e > 0;
			nerrors += e;
			if (o.json)
				json_file(argv[i], &r, NULL, i == optind);
			else
				text_report(argv[i], &r);
		}
		gw_cdaval_report_dispose(&r);
		free(data);
		fflush(stdout);
	}
	if (o.json)
		printf("],\"files_with_errors\":%zu,\"errors\":%zu,"
		       "\"unreadable\":%s}\n",
		       nbad, nerrors, unreadable ? "true" : "false");
	else if (argc - optind > 1)
		printf("%d files, %zu with errors%s\n", argc - optind, nbad,
		       unreadable ? ", some unreadable" : "");
	rc = unreadable ? 2 : nbad > 0 ? 1 : 0;
out:
	gw_cdaval_free(v);
	return rc;
}
