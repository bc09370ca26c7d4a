/*
 * Unit tests for sch: the skeleton semantics on small hand-written
 * schemas, and the same findings as xslt/sch-to-xslt.xsl (the classic
 * pipeline) on corpus documents. The recorded skeleton findings of every
 * corpus document (observed-results.tsv) are checked through cdaval in
 * test_cdaval.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxslt/documents.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "buf.h"
#include "sch.h"

#define R21 "schema/ccda-r2.1-schematron/"
#define R21S                                                                   \
	R21 "Consolidated CDA Templates for Clinical Notes (US Realm) "        \
	    "DSTU R2.1.sch"
#define OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static char *
cpath(const char *rel)
{
	size_t n = strlen(gw_test_corpus()) + strlen(rel) + 2;
	char *p = malloc(n);

	if (!p)
		abort();
	snprintf(p, n, "%s/%s", gw_test_corpus(), rel);
	return p;
}

/* Write text to a file under the test directory; returns its path. */
static char *
tmpfile_with(const char *name, const char *text)
{
	size_t n = strlen(gw_test_tmpdir()) + strlen(name) + 2;
	char *p = malloc(n);
	FILE *f;

	if (!p)
		abort();
	snprintf(p, n, "%s/%s", gw_test_tmpdir(), name);
	f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	return p;
}

#define SCH_HEAD                                                               \
	"<sch:schema xmlns:sch='http://purl.oclc.org/dsdl/schematron'>"        \
	"<sch:ns prefix='cda' uri='urn:hl7-org:v3'/>"                          \
	"<sch:phase id='errors'><sch:active pattern='p1'/>"                    \
	"<sch:active pattern='p2'/></sch:phase>"                               \
	"<sch:phase id='warnings'><sch:active pattern='w'/></sch:phase>"

static const char small_schema[] = SCH_HEAD
    /* p1: the first matching rule wins; the second never fires on the
       observation that has both templateIds. */
    "<sch:pattern id='p1'>"
    "<sch:rule abstract='true' id='abs'>"
    "<sch:assert id='a-abs' test='@classCode=\"OBS\"'>class of "
    "<sch:name/></sch:assert></sch:rule>"
    "<sch:rule context=\"cda:observation[cda:templateId[@root='1.1' and "
    "@extension='2015']]\">"
    "<sch:let name='r' value='cda:templateId[1]/@root'/>"
    "<sch:extends rule='abs'/>"
    "<sch:assert id='a-let' test='$r = \"9.9\"'>root is <sch:value-of "
    "select='$r'/></sch:assert></sch:rule>"
    "<sch:rule context=\"cda:observation[cda:templateId[@root='1.2']]\">"
    "<sch:assert id='a-second' test='false()'>second</sch:assert>"
    "</sch:rule></sch:pattern>"
    /* p2: union of a keyed path and a plain XPath context; a report. */
    "<sch:pattern id='p2'>"
    "<sch:rule context=\"cda:section[cda:templateId[@root='2.1']]/cda:entry "
    "| //cda:code[@code='X']\">"
    "<sch:report id='r-seen' test='true()'>seen</sch:report></sch:rule>"
    "</sch:pattern>"
    "<sch:pattern id='w'>"
    "<sch:rule context=\"cda:section[cda:templateId[@root='2.1']]\">"
    "<sch:assert id='w-voc' test=\"count(document('elsewhere.xml')/*) = "
    "0\">never fetched</sch:assert>"
    "<sch:assert id='w-title' test='cda:title'>no title</sch:assert>"
    "</sch:rule></sch:pattern></sch:schema>";

static const char small_doc[] =
    "<ClinicalDocument xmlns='urn:hl7-org:v3'>\n"
    "<observation classCode='ACT'><templateId root='1.1' extension='2015'/>"
    "<templateId root='1.2'/></observation>\n"
    "<observation classCode='OBS'><templateId root='1.2'/></observation>\n"
    "<observation classCode='ACT'><templateId root='1.1'/></observation>\n"
    "<section><templateId root='2.1'/><entry/><entry><code code='X'/>"
    "</entry></section>\n"
    "</ClinicalDocument>\n";

static size_t
count_id(const struct gw_sch_report *rep, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n; i++)
		n += rep->v[i].id && strcmp(rep->v[i].id, id) == 0;
	return n;
}

static const struct gw_sch_finding *
find_id(const struct gw_sch_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].id && strcmp(rep->v[i].id, id) == 0)
			return &rep->v[i];
	return NULL;
}

GW_TEST(sch_skeleton_semantics_on_a_small_schema)
{
	char *sp = tmpfile_with("small.sch", small_schema);
	xmlDocPtr doc =
	    xmlReadMemory(small_doc, sizeof small_doc - 1, "d.xml", NULL, OPTS);
	const struct gw_sch_finding *f;
	struct gw_sch_report rep;
	struct gw_sch *s = NULL;
	size_t np, nr, na;
	struct gw_err e;

	REQUIRE(doc != NULL);
	REQUIRE(gw_sch_load(sp, &s, &e) == 0);
	gw_sch_stats(s, &np, &nr, &na);
	CHECK_INT((long)np, 3);
	CHECK_INT((long)nr, 4);
	CHECK_INT((long)na, 6); /* the abstract one counted where extended */

	REQUIRE(gw_sch_check(s, doc, GW_SCH_ERRORS, 0, &rep, &e) == 0);
	/* Rule 1 on the first observation only: a-abs and a-let fail. */
	CHECK_INT((long)count_id(&rep, "a-abs"), 1);
	CHECK_INT((long)count_id(&rep, "a-let"), 1);
	/* Rule 2 on the second observation only (the first is taken). */
	CHECK_INT((long)count_id(&rep, "a-second"), 1);
	/* Two entries plus the code: three reports. */
	CHECK_INT((long)count_id(&rep, "r-seen"), 3);
	CHECK_INT((long)count_id(&rep, "w-title"), 0);
	CHECK_INT((long)rep.nerrors, 6);
	f = find_id(&rep, "a-let");
	REQUIRE(f != NULL);
	CHECK_STR(f->text, "root is 1.1");
	CHECK_INT(f->line, 2);
	CHECK_STR(f->pattern, "p1");
	f = find_id(&rep, "a-abs");
	REQUIRE(f != NULL);
	CHECK_STR(f->text, "class of observation");
	CHECK_STR(f->location, "/ClinicalDocument[1]/observation[1]");
	f = find_id(&rep, "r-seen");
	REQUIRE(f != NULL);
	CHECK(f->report);
	gw_sch_report_dispose(&rep);

	/* Warnings phase: document() reaches nothing but voc.xml. */
	REQUIRE(gw_sch_check(s, doc, GW_SCH_WARNINGS, 0, &rep, &e) == 0);
	CHECK_INT((long)rep.nerrors, 0);
	CHECK_INT((long)rep.nwarnings, 1);
	CHECK_INT((long)count_id(&rep, "w-voc"), 0);
	CHECK(rep.n == 1 && rep.v[0].warning);
	gw_sch_report_dispose(&rep);

	/* A bound on kept findings keeps the counts exact. */
	REQUIRE(gw_sch_check(s, doc, GW_SCH_ERRORS, 2, &rep, &e) == 0);
	CHECK_INT((long)rep.n, 2);
	CHECK_INT((long)rep.nerrors, 6);
	CHECK(rep.truncated);
	gw_sch_report_dispose(&rep);

	gw_sch_free(s);
	xmlFreeDoc(doc);
	free(sp);
}

GW_TEST(sch_load_refuses_what_it_cannot_run)
{
	static const char *bad[] = {
	    "<schema/>",
	    SCH_HEAD "<sch:pattern id='p1'><sch:rule context='cda:x'>"
		     "<sch:assert test='count(('>x</sch:assert></sch:rule>"
		     "</sch:pattern></sch:schema>",
	    SCH_HEAD "<sch:pattern id='p1'><sch:rule context='cda:x'>"
		     "<sch:extends rule='nowhere'/></sch:rule></sch:pattern>"
		     "</sch:schema>",
	    SCH_HEAD "<sch:pattern is-a='q' id='p1'/></sch:schema>",
	    /* document() used but no voc.xml beside the schema */
	    SCH_HEAD "<sch:pattern id='p1'><sch:rule context='cda:x'>"
		     "<sch:assert test=\"document('voc.xml')\">x</sch:assert>"
		     "</sch:rule></sch:pattern></sch:schema>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[32], *p;
		struct gw_sch *s = NULL;
		struct gw_err e;

		snprintf(name, sizeof name, "bad%zu.sch", i);
		p = tmpfile_with(name, bad[i]);
		gw_err_clear(&e);
		CHECK(gw_sch_load(p, &s, &e) != 0);
		CHECK(s == NULL);
		CHECK(e.msg[0] != '\0');
		free(p);
	}
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the '\n'-ended lines of text in place. */
static void
sort_lines(char *text)
{
	size_t n = 0, len, at = 0;
	char **v, *copy;

	if (!text)
		return;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	len = strlen(text);
	v = calloc(n + 1, sizeof *v);
	copy = strdup(text);
	if (!v || !copy)
		abort();
	for (char *p = copy, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		v[at++] = p;
	}
	qsort(v, at, sizeof *v, cmp_line);
	text[0] = '\0';
	for (size_t i = 0, w = 0; i < at; i++)
		w += (size_t)snprintf(text + w, len + 1 - w, "%s\n", v[i]);
	free(v);
	free(copy);
}

/* Findings of the straightforward pipeline, as "FAIL id" lines sorted. */
static char *
xslt_findings(xsltStylesheetPtr gen, xmlDocPtr doc)
{
	xmlDocPtr r = xsltApplyStylesheet(gen, doc, NULL);
	xmlChar *text = NULL;
	int len = 0;
	char *out;

	if (!r)
		return NULL;
	xsltSaveResultToString(&text, &len, r, gen);
	xmlFreeDoc(r);
	out = strndup(text ? (const char *)text : "", (size_t)len);
	xmlFree(text);
	return out;
}

/*
 * dxgw's engine and xslt/sch-to-xslt.xsl (the classic pipeline) find the
 * same failed assertions: an oracle independent of the recorded results.
 */
GW_TEST(sch_same_findings_as_the_xslt_pipeline)
{
	static const char *docs[] = {
	    "ccda/hl7-c-cda-examples/Referrals - Planned and Completed/Close "
	    "Referral with a Document/Consult Document Closing "
	    "Referral(C-CDAR2.1).xml",
	    "ccda/ett/ToC_Ambulatory_No_Stylesheet.xml",
	};
	const char *params[] = {"phase", "'errors'", NULL};
	char *sp = cpath(R21S), xp[512];
	xmlDocPtr schdoc = xmlReadFile(sp, NULL, OPTS), gendoc;
	xsltStylesheetPtr comp, gen;
	struct gw_sch *s = NULL;
	struct gw_err e;

	/* As xsltproc: files may be read (xform refuses them process-wide
	 * once it ran; its own runs stay confined by their security prefs).
	 */
	xsltSetLoaderFunc(NULL);
	snprintf(xp, sizeof xp, "%s", "xslt/sch-to-xslt.xsl");
	comp = xsltParseStylesheetFile((const xmlChar *)xp);
	REQUIRE(comp != NULL && schdoc != NULL);
	REQUIRE(gw_sch_load(sp, &s, &e) == 0);
	gendoc = xsltApplyStylesheet(comp, schdoc, params);
	REQUIRE(gendoc != NULL);
	xmlFree((xmlChar *)gendoc->URL); /* voc.xml beside the schema */
	gendoc->URL = xmlStrdup(schdoc->URL);
	gen = xsltParseStylesheetDoc(gendoc);
	REQUIRE(gen != NULL);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		char *dp = cpath(docs[i]), *got, *want, line[256];
		xmlDocPtr d = xmlReadFile(dp, NULL, OPTS);
		struct gw_sch_report rep;
		struct gw_buf b;

		REQUIRE(d != NULL);
		want = xslt_findings(gen, d);
		REQUIRE(want != NULL);
		CHECK(strstr(want, "FAIL ") != NULL); /* not vacuous */
		REQUIRE(gw_sch_check(s, d, GW_SCH_ERRORS, 0, &rep, &e) == 0);
		gw_buf_init(&b, 1 << 20);
		for (size_t k = 0; k < rep.n; k++) {
			snprintf(line, sizeof line, "FAIL %s\n",
				 rep.v[k].id ? rep.v[k].id : "noid");
			gw_buf_puts(&b, line);
		}
		got = gw_buf_take(&b);
		/* The same lines with the same counts, in any order. */
		sort_lines(want);
		sort_lines(got);
		CHECK_STR(got ? got : "", want);
		free(got);
		free(want);
		gw_sch_report_dispose(&rep);
		xmlFreeDoc(d);
		free(dp);
	}
	xsltFreeStylesheet(gen);
	xsltFreeStylesheet(comp);
	xmlFreeDoc(schdoc);
	gw_sch_free(s);
	free(sp);
}
