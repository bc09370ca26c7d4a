/*
 * NAME
 *	cdaval - C-CDA validation with libxml2 (XSD) and sch (Schematron)
 * SUMMARY
 *	One validator per process: the CDA R2 + SDTC XML Schema parsed once,
 *	the C-CDA Schematron compiled once; a check parses the document,
 *	validates it with its own xmlSchemaValidCtxt and runs the Schematron
 *	on the same tree.
 * DESCRIPTION
 *	Errors from libxml2 are collected through structured error handlers
 *	installed on the parser context and on the validation context of the
 *	one check (never the process-wide handlers), so concurrent checks
 *	never see each other's errors and need no lock. A parsed xmlSchema
 *	and a compiled Schematron are read-only once built.
 *
 *	A document that is not namespace-well-formed (an undeclared prefix)
 *	is reported as not well-formed: the XSD and the Schematron both
 *	depend on the namespaces being right, so neither runs on it.
 *	The Schematron runs whatever the XSD said: its findings say what a
 *	conformance tester needs to know even about a schema-invalid
 *	document.
 *
 *	Findings are kept up to the caller's bound, XML first, then XSD,
 *	then Schematron, while the counts stay exact. The Schematron is
 *	asked for up to SCH_SCAN findings so that the per-assertion counts
 *	(gw_cdaval_report.rules) are exact for any real document.
 * STANDARDS
 *	W3C XML Schema 1.0 (libxml2 xmlschemas), HL7 CDA R2 + SDTC
 *	extensions, ISO Schematron (sch.h), Namespaces in XML 1.0.
 * SECURITY
 *	The document is untrusted: XML_PARSE_NONET; never NOENT, DTDLOAD,
 *	DTDATTR or HUGE; the SAX internalSubset callback stops the parser at
 *	the first DOCTYPE, before any markup declaration is read. The schema
 *	files come from the configuration (trusted); libxml2 reads their
 *	xs:include/xs:import by relative file name.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes per document, libxml2's default depth cap (256),
 *	GW_CDAVAL_TEXT_MAX bytes per message, the caller's max findings, and
 *	SCH_SCAN Schematron findings looked at per document.
 */
#include "cdaval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "cda.h"
#include "mem.h"
#include "sch.h"

/*
 * Hardened parse options. BIG_LINES keeps line numbers right past line
 * 65535 (it does not lift any size limit, unlike HUGE).
 */
#define PARSE_OPTIONS                                                          \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
	 XML_PARSE_BIG_LINES)
/* Longest XPath location kept for an XSD finding. */
#define PATH_MAX_LEN 2048
/* Schematron findings looked at per document (counts beyond are exact). */
#define SCH_SCAN 20000

struct gw_cdaval {
	xmlSchemaPtr schema;
	struct gw_sch *sch; /* NULL: XSD only */
};

/* What one check is collecting into; reached from libxml2's callbacks. */
struct collect {
	struct gw_cdaval_report *rep;
	size_t max;        /* findings array size */
	size_t limit;      /* kept findings allowed so far (<= max) */
	bool doctype;      /* the parser met a DOCTYPE and was stopped */
	size_t xml_errors; /* error-level parser messages */
	size_t xsd_errors; /* error-level schema validity messages */
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A message as one line: white space runs become one space, ends
 * trimmed, at most GW_CDAVAL_TEXT_MAX bytes cut before a UTF-8
 * continuation byte. NULL stays "".
 */
static char *
one_line(const char *s)
{
	size_t n = 0, cap = GW_CDAVAL_TEXT_MAX;
	char *out = gw_xmalloc(cap + 1);
	bool space = false;

	for (const char *p = s ? s : ""; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = n > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			c = '?'; /* no control characters in reports */
		if (space && n < cap)
			out[n++] = ' ';
		space = false;
		if (n >= cap)
			break;
		out[n++] = (char)c;
	}
	/* Do not leave half a UTF-8 sequence at a cut. */
	if (n >= cap)
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
	if (n >= cap && n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
		n--;
	out[n] = '\0';
	return out;
}

/* Keep a finding when there is room; the caller counts it either way. */
static void
keep(struct collect *c, enum gw_cdaval_source src, bool warning, const char *id,
     const char *location, long line, const char *text)
{
	struct gw_cdaval_report *rep = c->rep;
	struct gw_cdaval_finding *f;

	if (rep->n >= c->limit) {
		rep->truncated = true;
		return;
	}
	if (rep->v == NULL)
		rep->v = gw_xcalloc(c->max, sizeof(*rep->v));
	f = &rep->v[rep->n++];
	f->source = src;
	f->warning = warning;
	f->id = id != NULL ? gw_xstrdup(id) : NULL;
	f->location = location != NULL ? gw_xstrdup(location) : NULL;
	f->line = line;
	f->text = one_line(text);
}

/* sax->serror of the document's parser: data is the parser context. */
static void
on_parse_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct collect *c = ctxt != NULL ? ctxt->_private : NULL;

	if (c == NULL || e == NULL || e->level < XML_ERR_ERROR)
		return;
	c->xml_errors++;
	keep(c, GW_CDAVAL_XML, false, NULL, NULL, e->line, e->message);
}

/* sax->internalSubset: a DOCTYPE. Stop before its declarations. */
static void
on_doctype(void *data, const xmlChar *name, const xmlChar *eid,
	   const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = data;
	struct collect *c = ctxt->_private;

	(void)name, (void)eid, (void)sid;
	c->doctype = true;
	xmlStopParser(ctxt);
}

/* Same element name and namespace. */
static bool
same_name(const xmlNode *a, const xmlNode *b)
{
	const xmlChar *na = a->ns ? a->ns->href : NULL;
	const xmlChar *nb = b->ns ? b->ns->href : NULL;

	return a->type == XML_ELEMENT_NODE && xmlStrEqual(a->name, b->name) &&
	       xmlStrEqual(na, nb);
}

/*
 * The XPath of node in the form the Schematron reports use:
 * /ClinicalDocument[1]/component[1]/... by local name (with the prefix
 * for elements outside urn:hl7-org:v3, e.g. sdtc:raceCode[1]) and the
 * position among same-named siblings; "/@name" for an attribute. libxml2's
 * xmlGetNodePath() writes "*" for any element in a default namespace.
 * Empty when the path would not fit in len.
 */
static void
node_path(const xmlNode *node, char *out, size_t len)
{
	const xmlNode *chain[300]; /* deeper than the parser lets through */
	size_t n = 0, used = 0;
	const char *attr = NULL;

	out[0] = '\0';
	if (node != NULL && node->type == XML_ATTRIBUTE_NODE) {
		attr = (const char *)node->name;
		node = node->parent;
	}
	for (; node != NULL && node->type == XML_ELEMENT_NODE;
	     node = node->parent) {
		if (n == sizeof(chain) / sizeof(chain[0]))
			goto toolong;
		chain[n++] = node;
	}
	while (n > 0) {
		const xmlNode *e = chain[--n];
		const char *pfx = "";
		size_t pos = 1;
		int w;

		for (const xmlNode *s = e->prev; s != NULL; s = s->prev)
			pos += same_name(s, e);
		if (e->ns != NULL && e->ns->prefix != NULL &&
		    !xmlStrEqual(e->ns->href, BAD_CAST "urn:hl7-org:v3"))
			pfx = (const char *)e->ns->prefix;
		w = snprintf(out + used, len - used, "/%s%s%s[%zu]", pfx,
			     pfx[0] ? ":" : "", (const char *)e->name, pos);
		if (w < 0 || (size_t)w >= len - used)
			goto toolong;
		used += (size_t)w;
	}
	if (attr != NULL) {
		int w = snprintf(out + used, len - used, "/@%s", attr);

		if (w < 0 || (size_t)w >= len - used)
			goto toolong;
	}
	return;
toolong:
	out[0] = '\0';
}

/* The validation context's structured handler. */
static void
on_xsd_error(void *data, xmlErrorPtr e)
{
	struct collect *c = data;
	char path[PATH_MAX_LEN];

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	c->xsd_errors++;
	if (c->rep->n >= c->limit) {
		c->rep->truncated = true;
		return;
	}
	node_path(e->node, path, sizeof(path));
	keep(c, GW_CDAVAL_XSD, false, NULL, path[0] ? path : NULL, e->line,
	     e->message);
}

/*
 * Parse with the hardened options. NULL when the document is not
 * (namespace-)well-formed or has a DOCTYPE, with the finding kept.
 */
static xmlDocPtr
parse(const char *xml, size_t len, struct collect *c)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	bool ns_ok;

	if (len > GW_CDA_MAX_LEN) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "document of %zu bytes is larger than the %u allowed",
			 len, GW_CDA_MAX_LEN);
		c->xml_errors++;
		keep(c, GW_CDAVAL_XML, false, NULL, NULL, 0, msg);
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		c->xml_errors++;
		keep(c, GW_CDAVAL_XML, false, NULL, NULL, 0,
		     "no parser (out of memory)");
		goto out;
	}
	ctxt->_private = c;
	ctxt->sax->serror = on_parse_error;
	ctxt->sax->internalSubset = on_doctype;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, PARSE_OPTIONS);
	ns_ok = ctxt->nsWellFormed != 0;
	if (c->doctype || (doc != NULL && (doc->intSubset != NULL ||
					   doc->extSubset != NULL))) {
		c->xml_errors++;
		keep(c, GW_CDAVAL_XML, false, NULL, NULL,
		     ctxt->input ? ctxt->input->line : 0,
		     "a document type declaration (DOCTYPE) is not accepted");
		goto bad;
	}
	if (doc != NULL && ns_ok)
		goto out;
	if (c->xml_errors == 0) {
		c->xml_errors++;
		keep(c, GW_CDAVAL_XML, false, NULL, NULL, 0,
		     "not well-formed XML");
	}
bad:
	xmlFreeDoc(doc);
	doc = NULL;
out:
	if (ctxt != NULL)
		ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* XML Schema validity with a context of this check's own. */
static int
check_xsd(const struct gw_cdaval *v, xmlDocPtr doc, struct collect *c,
	  struct gw_err *err)
{
	xmlSchemaValidCtxtPtr vctxt;
	double t0 = now_seconds();
	int rc = 0, r;

	vctxt = xmlSchemaNewValidCtxt(v->schema);
	if (vctxt == NULL) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"cdaval: no schema validation context");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, on_xsd_error, c);
	r = xmlSchemaValidateDoc(vctxt, doc);
	if (r < 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"cdaval: schema validation failed internally");
		goto out;
	}
	/* A failure libxml2 did not route to the handler still counts. */
	if (r > 0 && c->xsd_errors == 0) {
		c->xsd_errors = 1;
		keep(c, GW_CDAVAL_XSD, false, NULL, NULL, 0,
		     "the document is not valid against the CDA schema");
	}
	c->rep->xsd_checked = true;
out:
	xmlSchemaFreeValidCtxt(vctxt);
	c->rep->xsd_seconds = now_seconds() - t0;
	return rc;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct gw_cdaval_rule *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	return d != 0 ? d : (int)x->warning - (int)y->warning;
}

/* Count the engine's findings per (assertion id, phase). */
static void
count_rules(struct gw_cdaval_report *rep, const struct gw_sch_report *s)
{
	struct gw_cdaval_rule *r;
	size_t n = 0;

	if (s->n == 0)
		return;
	r = gw_xcalloc(s->n, sizeof(*r));
	for (size_t i = 0; i < s->n; i++) {
		/* Borrowed until the merge below copies the distinct ones. */
		r[i].id = (char *)(s->v[i].id != NULL ? s->v[i].id : "noid");
		r[i].warning = s->v[i].warning;
		r[i].count = 1;
	}
	qsort(r, s->n, sizeof(*r), rule_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (n > 0 && rule_cmp(&r[n - 1], &r[i]) == 0) {
			r[n - 1].count++;
			continue;
		}
		r[n++] = r[i];
	}
	for (size_t i = 0; i < n; i++)
		r[i].id = gw_xstrdup(r[i].id);
	rep->rules = r;
	rep->nrules = n;
	rep->rules_partial = s->truncated;
}

static int
check_sch(const struct gw_cdaval *v, xmlDocPtr doc, unsigned flags,
	  struct collect *c, struct gw_err *err)
{
	struct gw_sch_report s;
	unsigned mask = GW_SCH_ERRORS;
	double t0 = now_seconds();
	int rc;

	if (flags & GW_CDAVAL_WARNINGS)
		mask |= GW_SCH_WARNINGS;
	rc = gw_sch_check(v->sch, doc, mask, SCH_SCAN, &s, err);
	if (rc != 0) {
		gw_err_prefix(err, "cdaval: schematron");
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct gw_sch_finding *f = &s.v[i];

		keep(c, GW_CDAVAL_SCH, f->warning, f->id ? f->id : "noid",
		     f->location, f->line, f->text);
	}
	if (s.truncated)
		c->rep->truncated = true;
	c->rep->sch_errors = s.nerrors;
	c->rep->sch_warnings = s.nwarnings;
	count_rules(c->rep, &s);
	c->rep->sch_checked = true;
out:
	gw_sch_report_dispose(&s);
	c->rep->sch_seconds = now_seconds() - t0;
	return rc;
}

int
gw_cdaval_check(const struct gw_cdaval *v, const char *xml, size_t len,
		unsigned flags, size_t max, struct gw_cdaval_report *rep,
		struct gw_err *err)
{
	struct collect c = {.rep = rep};
	xmlDocPtr doc;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	c.max = c.limit = max ? max : GW_CDAVAL_MAX_FINDINGS;
	doc = parse(xml, len, &c);
	rep->xml_errors = c.xml_errors;
	if (doc == NULL)
		goto out;
	rep->well_formed = true;
	/*
	 * A badly broken document can have thousands of schema errors: keep
	 * half of the room for the Schematron, whose findings say more.
	 */
	if (v->sch != NULL)
		c.limit = rep->n + (c.max - rep->n + 1) / 2;
	rc = check_xsd(v, doc, &c, err);
	rep->xsd_errors = c.xsd_errors;
	c.limit = c.max;
	if (rc == 0 && v->sch != NULL)
		rc = check_sch(v, doc, flags, &c, err);
out:
	xmlFreeDoc(doc);
	return rc;
}

size_t
gw_cdaval_errors(const struct gw_cdaval_report *rep)
{
	return rep->xml_errors + rep->xsd_errors + rep->sch_errors;
}

const char *
gw_cdaval_source_name(enum gw_cdaval_source s)
{
	switch (s) {
	case GW_CDAVAL_XML:
		return "xml";
	case GW_CDAVAL_XSD:
		return "xsd";
	case GW_CDAVAL_SCH:
		return "schematron";
	}
	return "?";
}

void
gw_cdaval_summary(const struct gw_cdaval_report *rep, size_t nfirst,
		  bool with_text, char *out, size_t len)
{
	size_t used = 0, shown = 0;
	int w;

	if (len == 0)
		return;
	w = snprintf(out, len, "%zu XML, %zu XSD, %zu Schematron error%s",
		     rep->xml_errors, rep->xsd_errors, rep->sch_errors,
		     gw_cdaval_errors(rep) == 1 ? "" : "s");
	if (w < 0 || (size_t)w >= len)
		return; /* cut: snprintf terminated it */
	used = (size_t)w;
	for (size_t i = 0; i < rep->n && shown < nfirst; i++) {
		const struct gw_cdaval_finding *f = &rep->v[i];

		if (f->warning)
			continue;
		w = snprintf(out + used, len - used, "; line %ld %s%s%s",
			     f->line,
			     f->id ? f->id : gw_cdaval_source_name(f->source),
			     with_text ? ": " : "", with_text ? f->text : "");
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
		shown++;
	}
}

void
gw_cdaval_report_dispose(struct gw_cdaval_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].id);
		free(rep->v[i].location);
		free(rep->v[i].text);
	}
	free(rep->v);
	for (size_t i = 0; i < rep->nrules; i++)
		free(rep->rules[i].id);
	free(rep->rules);
	memset(rep, 0, sizeof(*rep));
}

/* --- opening ------------------------------------------------------------ */

int
gw_cdaval_paths(const char *dir, const char *xsd_rel, const char *sch_rel,
		char *xsd, size_t xsdlen, char *sch, size_t schlen,
		struct gw_err *err)
{
	int w;

	w = xsd_rel[0] == '/' ? snprintf(xsd, xsdlen, "%s", xsd_rel)
			      : snprintf(xsd, xsdlen, "%s/%s", dir, xsd_rel);
	if (w < 0 || (size_t)w >= xsdlen)
		return gw_err_set(err, GW_ELIMIT, "5.3.5",
				  "cda_xsd: path too long");
	if (sch_rel[0] == '\0')
		w = snprintf(sch, schlen, "%s", "");
	else
		w = sch_rel[0] == '/'
			? snprintf(sch, schlen, "%s", sch_rel)
			: snprintf(sch, schlen, "%s/%s", dir, sch_rel);
	if (w < 0 || (size_t)w >= schlen)
		return gw_err_set(err, GW_ELIMIT, "5.3.5",
				  "cda_schematron: path too long");
	return 0;
}

/* The first schema-parser message, for the open error. */
static void
on_schema_error(void *data, xmlErrorPtr e)
{
	char *first = data;

	if (e == NULL || e->level < XML_ERR_ERROR || first[0] != '\0')
		return;
	snprintf(first, 200, "%s:%d: %s", e->file ? e->file : "", e->line,
		 e->message ? e->message : "");
	first[strcspn(first, "\n")] = '\0';
}

static int
is_file(const char *path, const char *what, struct gw_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return gw_err_set(err, GW_ENOTFOUND, "5.3.5",
				  "%s: no such file: %s", what, path);
	return 0;
}

int
gw_cdaval_open(const char *xsd, const char *sch, struct gw_cdaval **out,
	       struct gw_err *err)
{
	struct gw_cdaval *v = gw_xcalloc(1, sizeof(*v));
	xmlSchemaParserCtxtPtr pctxt = NULL;
	char first[200] = "";
	int rc;

	*out = NULL;
	xmlInitParser(); /* once, before any thread parses (libxml2 asks) */
	rc = is_file(xsd, "CDA XML Schema", err);
	if (rc == 0 && sch != NULL && sch[0] != '\0')
		rc = is_file(sch, "C-CDA Schematron", err);
	if (rc != 0)
		goto out;
	pctxt = xmlSchemaNewParserCtxt(xsd);
	if (pctxt == NULL) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"CDA XML Schema: out of memory");
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, on_schema_error, first);
	v->schema = xmlSchemaParse(pctxt);
	if (v->schema == NULL) {
		rc = gw_err_set(err, GW_EPARSE, "5.3.5",
				"CDA XML Schema %s does not parse: %s", xsd,
				first[0] ? first : "(no message)");
		goto out;
	}
	if (sch != NULL && sch[0] != '\0') {
		rc = gw_sch_load(sch, &v->sch, err);
		if (rc != 0) {
			gw_err_prefix(err, "C-CDA Schematron %s", sch);
			goto out;
		}
	}
	*out = v;
	v = NULL;
out:
	xmlSchemaFreeParserCtxt(pctxt);
	gw_cdaval_free(v);
	return rc;
}

bool
gw_cdaval_has_schematron(const struct gw_cdaval *v)
{
	return v->sch != NULL;
}

void
gw_cdaval_free(struct gw_cdaval *v)
{
	if (v == NULL)
		return;
	xmlSchemaFree(v->schema);
	gw_sch_free(v->sch);
	free(v);
}
