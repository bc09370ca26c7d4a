/*
 * sch - Schematron compiled once, checked in one walk per document.
 * See sch.h for the semantics kept from the ISO skeleton.
 *
 * Why not the skeleton itself: the skeleton turns each pattern into an
 * XSLT mode and walks the whole tree once per pattern (about 430 for the
 * C-CDA R2.1 errors phase), which costs seconds per document. Here each
 * rule context is split into its union alternatives; an alternative that
 * starts with NAME[cda:templateId[@root='OID' (and @extension='EXT')]] is
 * indexed by OID and matched in C during a single walk, its remaining
 * path (if any) evaluated from that anchor; any other alternative is
 * evaluated once per document as //alternative. The (node, rule) pairs
 * are then sorted so that, per pattern and node, the first rule wins, as
 * the skeleton's descending rule priorities make it.
 */
#include "sch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "sch_int.h"

/* ---- checking --------------------------------------------------------- */

/* A rule firing candidate: sorted to keep the first rule per pattern. */
struct fire {
	size_t pattern, rule;
	long order;
	xmlNodePtr node;
};

struct checker {
	const struct gw_sch *s;
	unsigned mask;
	struct fire *f;
	size_t nf, capf;
	xmlXPathContextPtr xc;
	xmlNodePtr current; /* the rule's context node, for current() */
	size_t capv;        /* of the report's findings */
	bool oom;
	int xpath_errors;
};

static long
node_order(xmlNodePtr n)
{
	if (n->type == XML_ELEMENT_NODE)
		return -(long)(intptr_t)n->content;
	return 0; /* the document node comes first */
}

static void
push(struct checker *c, size_t rule, xmlNodePtr n)
{
	size_t pi = c->s->rules[rule].pattern;

	if (!(c->s->pats[pi].mask & c->mask))
		return;
	if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE)
		return; /* the skeleton visits the document and elements */
	if (gw_sch_grow((void **)&c->f, &c->capf, c->nf, sizeof *c->f)) {
		c->oom = true;
		return;
	}
	c->f[c->nf++] = (struct fire){pi, rule, node_order(n), n};
}

static xmlXPathObjectPtr
eval_at(struct checker *c, xmlXPathCompExprPtr e, xmlNodePtr n)
{
	c->xc->node = n;
	c->xc->contextSize = 1;
	c->xc->proximityPosition = 1;
	return xmlXPathCompiledEval(e, c->xc);
}

static void
push_set(struct checker *c, size_t rule, xmlXPathObjectPtr o)
{
	if (o && o->type == XPATH_NODESET && o->nodesetval)
		for (int i = 0; i < o->nodesetval->nodeNr; i++)
			push(c, rule, o->nodesetval->nodeTab[i]);
	xmlXPathFreeObject(o);
}

static bool
has_value(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	bool eq = v && strcmp((const char *)v, want) == 0;

	xmlFree(v);
	return eq;
}

/* The keyed alternatives anchored at element e. */
static void
match_keyed(struct checker *c, xmlNodePtr e)
{
	const struct gw_sch *s = c->s;

	for (xmlNodePtr t = e->children; t; t = t->next) {
		xmlChar *root;
		size_t lo = 0, hi = s->nkeyed;

		if (t->type != XML_ELEMENT_NODE || !t->ns ||
		    !xmlStrEqual(t->name, BAD_CAST "templateId") ||
		    !xmlStrEqual(t->ns->href, e->ns->href))
			continue;
		root = xmlGetNoNsProp(t, BAD_CAST "root");
		if (!root)
			continue;
		while (lo < hi) { /* first alt with this root */
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(s->keyed[mid].root, (const char *)root) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < s->nkeyed &&
		       strcmp(s->keyed[lo].root, (const char *)root) == 0;
		     lo++) {
			const struct alt *a = &s->keyed[lo];

			if (!xmlStrEqual(e->name, BAD_CAST a->name) ||
			    !xmlStrEqual(e->ns->href, BAD_CAST a->uri) ||
			    (a->ext && !has_value(t, "extension", a->ext)))
				continue;
			if (!a->path)
				push(c, a->rule, e);
			else
				push_set(c, a->rule, eval_at(c, a->path, e));
		}
		xmlFree(root);
	}
}

static void
walk(struct checker *c, xmlNodePtr top)
{
	xmlNodePtr n = top;
	size_t depth = 0;

	while (n && !c->oom) {
		if (n->type == XML_ELEMENT_NODE && n->ns)
			match_keyed(c, n);
		if (n->type == XML_ELEMENT_NODE && n->children &&
		    depth < MAX_WALK) {
			n = n->children;
			depth++;
			continue;
		}
		while (n && n != top && !n->next) {
			n = n->parent;
			depth--;
		}
		if (!n || n == top)
			break;
		n = n->next;
	}
}

static int
cmp_fire(const void *a, const void *b)
{
	const struct fire *x = a, *y = b;

	if (x->pattern != y->pattern)
		return x->pattern < y->pattern ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* XSLT's document(): only the schema's voc.xml, never a fetch. */
static void
fn_document(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct checker *c = ctxt->context->userData;
	xmlXPathObjectPtr uri;
	bool voc;

	if (nargs < 1 || nargs > 2) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (nargs == 2)
		xmlXPathFreeObject(valuePop(ctxt));
	uri = valuePop(ctxt);
	voc = uri && uri->type == XPATH_STRING && c->s->voc &&
	      xmlStrEqual(uri->stringval, BAD_CAST "voc.xml");
	xmlXPathFreeObject(uri);
	valuePush(ctxt, xmlXPathNewNodeSet(voc ? (xmlNodePtr)c->s->voc : NULL));
}

static void
fn_current(xmlXPathParserContextPtr ctxt, int nargs)
{
	struct checker *c = ctxt->context->userData;

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	valuePush(ctxt, xmlXPathNewNodeSet(c->current));
}

static void
xpath_error(void *data, xmlErrorPtr e)
{
	struct checker *c = data;

	(void)e;
	c->xpath_errors++;
}

/* Append s to b (capacity TEXT_MAX), collapsing white space. */
static void
text_add(char *b, size_t *n, const char *s)
{
	for (; s && *s && *n + 1 < TEXT_MAX; s++) {
		bool sp = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';

		if (sp && (*n == 0 || b[*n - 1] == ' '))
			continue;
		b[(*n)++] = sp ? ' ' : *s;
	}
	b[*n] = '\0';
}

static char *
finding_text(struct checker *c, const struct assertion *a, xmlNodePtr n)
{
	char b[TEXT_MAX];
	size_t len = 0;

	b[0] = '\0';
	for (size_t i = 0; i < a->npieces; i++) {
		const struct piece *p = &a->pieces[i];

		if (p->lit) {
			text_add(b, &len, p->lit);
		} else if (p->sel) {
			xmlXPathObjectPtr o = eval_at(c, p->sel, n);
			xmlChar *v = o ? xmlXPathCastToString(o) : NULL;

			text_add(b, &len, (const char *)v);
			xmlFree(v);
			xmlXPathFreeObject(o);
		} else {
			text_add(b, &len, (const char *)n->name);
		}
	}
	while (len && b[len - 1] == ' ')
		b[--len] = '\0';
	return strdup(b);
}

/*
 * The node's location as /ClinicalDocument[1]/component[1]/...: local
 * names (with the document's prefix when it has one) and the position
 * among same-named siblings. libxml2's xmlGetNodePath() writes "*" for
 * every element of a default namespace, which tells a reader nothing.
 */
static char *
node_path(xmlNodePtr n)
{
	char *p = strdup(""), *q;
	size_t len = 0;

	for (; p && n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		const char *pfx =
		    n->ns && n->ns->prefix ? (const char *)n->ns->prefix : NULL;
		char step[160];
		long pos = 1;
		int sl;

		for (xmlNodePtr s = n->prev; s; s = s->prev)
			pos += s->type == XML_ELEMENT_NODE &&
			       xmlStrEqual(s->name, n->name) && s->ns == n->ns;
		sl = snprintf(step, sizeof step, "/%s%s%.100s[%ld]",
			      pfx ? pfx : "", pfx ? ":" : "",
			      (const char *)n->name, pos);
		if (sl < 0 || (size_t)sl >= sizeof step)
			sl = (int)sizeof step - 1;
		q = malloc(len + (size_t)sl + 1);
		if (q) {
			memcpy(q, step, (size_t)sl);
			memcpy(q + sl, p, len + 1);
			len += (size_t)sl;
		}
		free(p);
		p = q;
	}
	if (p && len == 0) {
		free(p);
		p = strdup("/");
	}
	return p;
}

static int
add_finding(struct checker *c, struct gw_sch_report *rep, size_t max,
	    const struct rule *r, const struct assertion *a, xmlNodePtr n)
{
	const struct pattern *p = &c->s->pats[r->pattern];
	bool warn = !(p->mask & GW_SCH_ERRORS);
	struct gw_sch_finding *f;

	if (warn)
		rep->nwarnings++;
	else
		rep->nerrors++;
	if (rep->n >= max) {
		rep->truncated = true;
		return 0;
	}
	if (gw_sch_grow((void **)&rep->v, &c->capv, rep->n, sizeof *rep->v))
		return -1;
	f = &rep->v[rep->n];
	memset(f, 0, sizeof *f);
	f->warning = warn;
	f->report = a->report;
	f->id = a->id;
	f->pattern = p->id;
	f->context = r->context;
	f->location = node_path(n);
	f->line = xmlGetLineNo(n);
	f->text = finding_text(c, a, n);
	rep->n++;
	if (!f->location || !f->text)
		return -1;
	return 0;
}

static int
run_rule(struct checker *c, const struct rule *r, xmlNodePtr n,
	 struct gw_sch_report *rep, size_t max)
{
	c->current = n;
	for (size_t i = 0; i < r->nlets; i++) {
		xmlXPathObjectPtr v = eval_at(c, r->lets[i].value, n);

		if (!v)
			return -1;
		xmlXPathRegisterVariable(c->xc, BAD_CAST r->lets[i].name, v);
	}
	for (size_t i = 0; i < r->nas; i++) {
		const struct assertion *a = &r->as[i];
		int ok;

		c->xc->node = n;
		c->xc->contextSize = 1;
		c->xc->proximityPosition = 1;
		ok = xmlXPathCompiledEvalToBoolean(a->test, c->xc);
		if (ok < 0)
			return -1;
		if ((a->report ? ok == 1 : ok == 0) &&
		    add_finding(c, rep, max, r, a, n) != 0)
			return -2;
	}
	return 0;
}

int
gw_sch_check(const struct gw_sch *s, struct _xmlDoc *doc, unsigned mask,
	     size_t max, struct gw_sch_report *rep, struct gw_err *err)
{
	struct checker c = {.s = s, .mask = mask};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int rc = 0;

	memset(rep, 0, sizeof *rep);
	if (max == 0)
		max = DEF_FINDINGS;
	if (!root)
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "schematron: empty document");
	/* Element order numbers for sorting, and faster XPath sorting. */
	xmlXPathOrderDocElems(doc);
	c.xc = xmlXPathNewContext(doc);
	if (!c.xc) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"schematron: out of memory");
		goto out;
	}
	c.xc->userData = &c;
	c.xc->error = xpath_error;
	for (size_t i = 0; i < s->nns; i++)
		xmlXPathRegisterNs(c.xc, BAD_CAST s->prefix[i],
				   BAD_CAST s->uri[i]);
	xmlXPathRegisterFunc(c.xc, BAD_CAST "document", fn_document);
	xmlXPathRegisterFunc(c.xc, BAD_CAST "current", fn_current);

	walk(&c, root);
	for (size_t i = 0; i < s->nother && !c.oom; i++)
		push_set(&c, s->other[i].rule,
			 eval_at(&c, s->other[i].path, (xmlNodePtr)doc));
	if (c.oom) {
		rc = gw_err_set(err, GW_ELIMIT, "4.3.0",
				"schematron: out of memory");
		goto out;
	}
	if (c.nf)
		qsort(c.f, c.nf, sizeof *c.f, cmp_fire);
	for (size_t i = 0; i < c.nf; i++) {
		int r;

		if (i > 0 && c.f[i].pattern == c.f[i - 1].pattern &&
		    c.f[i].node == c.f[i - 1].node)
			continue; /* a higher-priority rule of the pattern */
		rep->fired++;
		r = run_rule(&c, &s->rules[c.f[i].rule], c.f[i].node, rep, max);
		if (r == -2) {
			rc = gw_err_set(err, GW_ERROR, "4.3.0",
					"schematron: out of memory");
			goto out;
		}
		if (r < 0) {
			rc = gw_err_set(err, GW_EPARSE, "5.6.0",
					"schematron: an assertion of rule "
					"%.120s cannot be evaluated",
					s->rules[c.f[i].rule].context);
			goto out;
		}
	}
out:
	if (c.xc) {
		xmlXPathRegisteredVariablesCleanup(c.xc);
		xmlXPathFreeContext(c.xc);
	}
	free(c.f);
	return rc;
}

void
gw_sch_report_dispose(struct gw_sch_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].location);
		free(rep->v[i].text);
	}
	free(rep->v);
	memset(rep, 0, sizeof *rep);
}
