/*
 * cdabench - C-CDA work per document over the corpus (issue 6 item 7):
 * XML parse, metadata extraction (gw_cda_header_parse: the
 * cda-to-metadata stylesheet), and validation as the gateway runs it
 * (gw_cdaval_check: parse, CDA R2 + SDTC XSD, C-CDA R2.1 Schematron
 * errors phase, each check timed by cdaval), then the Schematron with the
 * straightforward pipeline (xslt/sch-to-xslt.xsl compiled once, run by libxslt)
 * on the same documents, with the ratio. Peak RSS at the end.
 *
 * usage: cdabench CORPUS_DIR XSLT_DIR [XSLT_EVERY]
 * The documents are those of CORPUS_DIR/observed-results.tsv. The XSLT
 * pipeline (about half a second per document) runs on every XSLT_EVERY-th
 * document (default 8); dxgw's engine on the same ones for the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libxml/parser.h>
#include <libxslt/documents.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "benchutil.h"
#include "cda.h"
#include "cdaval.h"
#include "err.h"

#define SCH_REL                                                                \
	"schema/ccda-r2.1-schematron/Consolidated CDA Templates for Clinical " \
	"Notes (US Realm) DSTU R2.1.sch"
#define XSD_REL  "schema/cda-r2-sdtc/infrastructure/cda/CDA_SDTC.xsd"
#define MAX_DOCS 1024
#define OPTS     (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

struct doc {
	char *path;
	char *data;
	size_t len;
};

static struct doc docs[MAX_DOCS];
static size_t ndocs;

static void
load_docs(const char *corpus)
{
	char *tsvp = bench_path2(corpus, "observed-results.tsv"), *save = NULL;
	size_t len;
	char *tsv = bench_slurp(tsvp, &len);

	for (char *l = strtok_r(tsv, "\n", &save); l && ndocs < MAX_DOCS;
	     l = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(l, '\t');
		struct doc *d;

		if (!tab || strncmp(l, "file\t", 5) == 0)
			continue;
		*tab = '\0';
		d = &docs[ndocs];
		d->path = bench_path2(corpus, l);
		d->data = bench_slurp(d->path, &d->len);
		ndocs++;
	}
	free(tsv);
	free(tsvp);
}

/* Parsed outside the timed part; one document held at a time. */
static xmlDocPtr
parse(size_t i)
{
	xmlDocPtr d = xmlReadMemory(docs[i].data, (int)docs[i].len,
				    docs[i].path, NULL, OPTS);

	if (!d)
		bench_die("not XML", docs[i].path);
	return d;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One row: documents per second, MB/s, median and p99 ms per document. */
static void
row(const char *what, double *ms, size_t n, size_t bytes)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ms[i];
	qsort(ms, n, sizeof *ms, cmp_dbl);
	printf("%-24s %5zu %9.1f %8.2f %9.3f %9.3f\n", what, n, n / (sum / 1e3),
	       bytes / 1048576.0 / (sum / 1e3), ms[n / 2],
	       ms[n - 1 - (n - 1) / 100]);
}

int
main(int argc, char **argv)
{
	static double ms[MAX_DOCS], mine[MAX_DOCS], base[MAX_DOCS];
	xsltStylesheetPtr comp, gen;
	static double xsd_ms[MAX_DOCS], sch_ms[MAX_DOCS];
	struct gw_cdaval *val;
	struct gw_err err;
	struct rusage ru;
	xmlDocPtr schdoc, gendoc;
	size_t bytes = 0, every, nx = 0, xbytes = 0;
	const char *params[] = {"phase", "'errors'", NULL};
	char *p;
	double t, sum_mine = 0, sum_base = 0;

	bench_prog = "cdabench";
	if (argc < 3)
		bench_die("usage", "cdabench CORPUS_DIR XSLT_DIR [XSLT_EVERY]");
	every = argc > 3 ? strtoul(argv[3], NULL, 10) : 8;
	if (every == 0)
		every = 8;
	load_docs(argv[1]);
	if (ndocs == 0)
		bench_die("corpus", "no documents");
	for (size_t i = 0; i < ndocs; i++)
		bytes += docs[i].len;

	p = bench_path2(argv[1], SCH_REL);
	{
		char *x = bench_path2(argv[1], XSD_REL);

		if (gw_cdaval_open(x, p, &val, &err) != 0)
			bench_die("cdaval", err.msg);
		free(x);
	}
	schdoc = xmlReadFile(p, NULL, OPTS);
	free(p);

	printf("C-CDA work over %zu corpus documents (%.1f MB), one thread\n",
	       ndocs, bytes / 1048576.0);
	printf("%-24s %5s %9s %8s %9s %9s\n", "stage", "docs", "docs/s", "MB/s",
	       "median ms", "p99 ms");

	for (size_t i = 0; i < ndocs; i++) {
		xmlDocPtr d;

		t = bench_now();
		d = xmlReadMemory(docs[i].data, (int)docs[i].len, "d.xml", NULL,
				  OPTS);
		ms[i] = (bench_now() - t) * 1e3;
		xmlFreeDoc(d);
	}
	row("parse (libxml2)", ms, ndocs, bytes);

	for (size_t i = 0; i < ndocs; i++) {
		struct gw_cda_header *h = NULL;

		t = bench_now();
		if (gw_cda_header_parse(docs[i].data, docs[i].len, &h, &err) !=
		    0)
			h = NULL;
		ms[i] = (bench_now() - t) * 1e3;
		gw_cda_header_free(h);
	}
	row("metadata (parse incl.)", ms, ndocs, bytes);

	/* dxgw's validator as the gateway runs it: parse, XSD, Schematron
	 * errors phase; it times the two checks itself. */
	for (size_t i = 0; i < ndocs; i++) {
		struct gw_cdaval_report rep;

		t = bench_now();
		if (gw_cdaval_check(val, docs[i].data, docs[i].len, 0, 0, &rep,
				    &err) != 0)
			bench_die("cdaval", err.msg);
		ms[i] = (bench_now() - t) * 1e3;
		xsd_ms[i] = rep.xsd_seconds * 1e3;
		sch_ms[i] = rep.sch_seconds * 1e3;
		gw_cdaval_report_dispose(&rep);
	}
	row("xsd CDA_SDTC", xsd_ms, ndocs, bytes);
	row("schematron (dxgw)", sch_ms, ndocs, bytes);
	row("validate (parse incl.)", ms, ndocs, bytes);
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS so far %ld MB (the %.1f MB of document bytes held, "
	       "one parsed at a time; the CDA XSD, the compiled Schematron "
	       "and voc.xml loaded)\n",
	       ru.ru_maxrss / 1024, bytes / 1048576.0);

	/* The straightforward pipeline, compiled once, on every N-th doc.
	 * dxgw's xform installed a loader that refuses every file; this
	 * pipeline reads its stylesheet and voc.xml as xsltproc does. */
	xsltSetLoaderFunc(NULL);
	p = bench_path2(argv[2], "sch-to-xslt.xsl");
	comp = xsltParseStylesheetFile((const xmlChar *)p);
	free(p);
	if (!comp || !schdoc)
		bench_die("xslt", "sch-to-xslt.xsl");
	gendoc = xsltApplyStylesheet(comp, schdoc, params);
	if (!gendoc)
		bench_die("xslt", "compiling the schema");
	/* document('voc.xml') resolves beside the schema, as xsltproc's. */
	xmlFree((xmlChar *)gendoc->URL);
	gendoc->URL = xmlStrdup(schdoc->URL);
	gen = xsltParseStylesheetDoc(gendoc);
	if (!gen)
		bench_die("xslt", "the generated stylesheet");
	for (size_t i = 0; i < ndocs; i += every) {
		struct gw_cdaval_report rep;
		xmlDocPtr r, d = parse(i);

		t = bench_now();
		r = xsltApplyStylesheet(gen, d, NULL);
		base[nx] = (bench_now() - t) * 1e3;
		if (!r)
			bench_die("xslt", docs[i].path);
		xmlFreeDoc(r);
		xmlFreeDoc(d);
		if (gw_cdaval_check(val, docs[i].data, docs[i].len, 0, 0, &rep,
				    &err) != 0)
			bench_die("cdaval", err.msg);
		mine[nx] = rep.sch_seconds * 1e3;
		gw_cdaval_report_dispose(&rep);
		sum_base += base[nx];
		sum_mine += mine[nx];
		xbytes += docs[i].len;
		nx++;
	}
	row("schematron (xslt)", base, nx, xbytes);
	row("schematron (dxgw, same)", mine, nx, xbytes);
	printf("  xslt / dxgw on the same %zu documents: %.0fx (total time); "
	       "ratio of the medians %.0fx\n",
	       nx, sum_base / sum_mine, base[nx / 2] / mine[nx / 2]);
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS at the end %ld MB (the XSLT form of the "
	       "Schematron added)\n",
	       ru.ru_maxrss / 1024);

	xsltFreeStylesheet(gen);
	xsltFreeStylesheet(comp);
	xmlFreeDoc(schdoc);
	gw_cdaval_free(val);
	for (size_t i = 0; i < ndocs; i++) {
		free(docs[i].data);
		free(docs[i].path);
	}
	return 0;
}
