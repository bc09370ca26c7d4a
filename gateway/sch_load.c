/*
 * sch_load - read a Schematron schema once into the compiled form of
 * sch_int.h: namespaces, phases, patterns, rules with sch:extends
 * expanded in place, lets and assertions compiled with libxml2, and each
 * rule context split into indexed (templateId-keyed) and plain
 * alternatives. See sch.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "sch_int.h"

/* Growable arrays: one helper so every push checks its allocation. */
int
gw_sch_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

static bool
is_sch(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       xmlStrEqual(n->ns->href, BAD_CAST SCH_NS) &&
	       (!name || xmlStrEqual(n->name, BAD_CAST name));
}

static char *
prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* Compile errors are reported through gw_err, not libxml2's stderr. */
static void
quiet(void *data, xmlErrorPtr e)
{
	(void)data, (void)e;
}

/* ---- loading ---------------------------------------------------------- */

struct loader {
	struct gw_sch *s;
	xmlDocPtr doc;
	xmlXPathContextPtr xc; /* for compiling with the schema's prefixes */
	size_t cap_pats, cap_rules, cap_keyed, cap_other;
	bool uses_document;
	struct gw_err *err;
};

static xmlXPathCompExprPtr
compile(struct loader *l, const char *expr, const char *what)
{
	xmlXPathCompExprPtr c = xmlXPathCtxtCompile(l->xc, BAD_CAST expr);

	if (!c)
		gw_err_set(l->err, GW_EPARSE, "5.6.0",
			   "schematron: %s does not compile: %.120s", what,
			   expr);
	if (strstr(expr, "document('voc.xml')") ||
	    strstr(expr, "document(\"voc.xml\")"))
		l->uses_document = true;
	return c;
}

static int
add_piece(struct assertion *a, size_t *cap, char *lit, xmlXPathCompExprPtr sel)
{
	if (gw_sch_grow((void **)&a->pieces, cap, a->npieces,
			sizeof *a->pieces)) {
		free(lit);
		xmlXPathFreeCompExpr(sel);
		return -1;
	}
	a->pieces[a->npieces].lit = lit;
	a->pieces[a->npieces].sel = sel;
	a->npieces++;
	return 0;
}

/* The text of an assert/report: text nodes, value-of, name, and the text
 * of any other child element (emph, dir, span). */
static int
load_text(struct loader *l, xmlNodePtr n, struct assertion *a, size_t *cap)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && c->content) {
			char *t = strdup((const char *)c->content);

			if (!t || add_piece(a, cap, t, NULL))
				return -1;
		} else if (is_sch(c, "value-of")) {
			char *sel = prop(c, "select");
			xmlXPathCompExprPtr e =
			    sel ? compile(l, sel, "value-of") : NULL;

			free(sel);
			if (!e || add_piece(a, cap, NULL, e))
				return -1;
		} else if (is_sch(c, "name")) {
			if (add_piece(a, cap, NULL, NULL))
				return -1;
		} else if (c->type == XML_ELEMENT_NODE) {
			if (load_text(l, c, a, cap))
				return -1;
		}
	}
	return 0;
}

static xmlNodePtr
find_abstract(struct loader *l, const char *id)
{
	xmlNodePtr root = xmlDocGetRootElement(l->doc);

	for (xmlNodePtr p = root->children; p; p = p->next) {
		if (!is_sch(p, "pattern"))
			continue;
		for (xmlNodePtr r = p->children; r; r = r->next) {
			xmlChar *ab, *rid;
			bool hit;

			if (!is_sch(r, "rule"))
				continue;
			ab = xmlGetNoNsProp(r, BAD_CAST "abstract");
			rid = xmlGetNoNsProp(r, BAD_CAST "id");
			hit = ab && rid && xmlStrEqual(ab, BAD_CAST "true") &&
			      xmlStrEqual(rid, BAD_CAST id);
			xmlFree(ab);
			xmlFree(rid);
			if (hit)
				return r;
		}
	}
	return NULL;
}

/* Lets and assertions of rule element n (and of the abstract rules it
 * extends, in place) appended to r. */
static int
load_body(struct loader *l, xmlNodePtr n, struct rule *r, size_t *cap_as,
	  size_t *cap_lets, int depth)
{
	if (depth > MAX_DEPTH)
		return gw_err_set(l->err, GW_EPARSE, "5.6.0",
				  "schematron: sch:extends nested too deep");
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (is_sch(c, "let")) {
			char *name = prop(c, "name"), *val = prop(c, "value");
			xmlXPathCompExprPtr e =
			    val ? compile(l, val, "let") : NULL;

			free(val);
			if (!name || !e ||
			    gw_sch_grow((void **)&r->lets, cap_lets, r->nlets,
					sizeof *r->lets)) {
				free(name);
				xmlXPathFreeCompExpr(e);
				return gw_err_set(l->err, GW_EPARSE, "5.6.0",
						  "schematron: bad sch:let "
						  "in rule %s",
						  r->context);
			}
			r->lets[r->nlets].name = name;
			r->lets[r->nlets++].value = e;
		} else if (is_sch(c, "assert") || is_sch(c, "report")) {
			struct assertion *a;
			size_t cap_p = 0;

			if (gw_sch_grow((void **)&r->as, cap_as, r->nas,
					sizeof *r->as))
				return gw_err_set(l->err, GW_ERROR, "4.3.0",
						  "schematron: out of memory");
			a = &r->as[r->nas++];
			memset(a, 0, sizeof *a);
			a->report = is_sch(c, "report");
			a->id = prop(c, "id");
			a->test_src = prop(c, "test");
			if (!a->test_src)
				return gw_err_set(l->err, GW_EPARSE, "5.6.0",
						  "schematron: assertion %s "
						  "without a test",
						  a->id ? a->id : "(no id)");
			a->test = compile(l, a->test_src, "test");
			if (!a->test || load_text(l, c, a, &cap_p))
				return gw_err_set(l->err, GW_EPARSE, "5.6.0",
						  "schematron: assertion %s "
						  "does not compile",
						  a->id ? a->id : "(no id)");
			l->s->nasserts++;
		} else if (is_sch(c, "extends")) {
			char *id = prop(c, "rule");
			xmlNodePtr ab = id ? find_abstract(l, id) : NULL;
			int rc;

			if (!ab) {
				rc = gw_err_set(l->err, GW_EPARSE, "5.6.0",
						"schematron: sch:extends names "
						"no abstract rule %s",
						id ? id : "");
				free(id);
				return rc;
			}
			free(id);
			rc = load_body(l, ab, r, cap_as, cap_lets, depth + 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Skip an NCName at *p; false if there is none. */
static bool
ncname(const char **p)
{
	const char *q = *p;

	while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	       (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' ||
	       (*q == '.' && q > *p))
		q++;
	if (q == *p)
		return false;
	*p = q;
	return true;
}

static bool
lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

static char *
quoted(const char **p)
{
	const char *q;
	char *s;

	if (**p != '\'')
		return NULL;
	q = strchr(*p + 1, '\'');
	if (!q)
		return NULL;
	s = strndup(*p + 1, (size_t)(q - *p - 1));
	*p = q + 1;
	return s;
}

static const char *
ns_uri(const struct gw_sch *s, const char *pfx, size_t len)
{
	for (size_t i = 0; i < s->nns; i++)
		if (strlen(s->prefix[i]) == len &&
		    strncmp(s->prefix[i], pfx, len) == 0)
			return s->uri[i];
	return NULL;
}

/*
 * Recognise P:NAME[P:templateId[@root='OID'( and @extension='EXT')?]]REST
 * with REST empty or a path starting with '/'. Fills the keyed fields of a
 * and returns the offset of REST, or -1 when alt is of another form.
 */
static long
parse_keyed(const struct gw_sch *s, const char *src, struct alt *a)
{
	const char *p = src, *b, *uri, *uri2;
	char *root = NULL, *ext = NULL;

	b = p;
	if (!ncname(&p) || *p != ':')
		return -1;
	uri = ns_uri(s, b, (size_t)(p - b));
	p++;
	b = p;
	if (!uri || !ncname(&p) || *p != '[')
		return -1;
	a->name = strndup(b, (size_t)(p - b));
	p++;
	b = p;
	if (!ncname(&p) || *p != ':')
		goto no;
	uri2 = ns_uri(s, b, (size_t)(p - b));
	p++;
	if (!uri2 || strcmp(uri, uri2) != 0 || !lit(&p, "templateId[@root=") ||
	    !(root = quoted(&p)))
		goto no;
	if (lit(&p, " and @extension=") && !(ext = quoted(&p)))
		goto no;
	if (!lit(&p, "]]") || (*p && *p != '/'))
		goto no;
	a->root = root;
	a->ext = ext;
	a->uri = strdup(uri);
	return p - src;
no:
	free(a->name);
	a->name = NULL;
	free(root);
	free(ext);
	return -1;
}

/* Split s at '|' outside brackets, parentheses and quotes. */
static size_t
split_union(const char *s, const char **start, size_t *len, size_t max)
{
	size_t n = 0;
	int depth = 0;
	char q = 0;
	const char *b = s;

	for (const char *p = s;; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			else if (!*p)
				return 0; /* unterminated literal */
			continue;
		}
		if (*p == '\'' || *p == '"')
			q = *p;
		else if (*p == '[' || *p == '(')
			depth++;
		else if (*p == ']' || *p == ')')
			depth--;
		else if ((*p == '|' && depth == 0) || !*p) {
			if (n == max)
				return 0;
			while (*b == ' ' || *b == '\t' || *b == '\n')
				b++;
			len[n] = (size_t)(p - b);
			while (len[n] &&
			       (b[len[n] - 1] == ' ' || b[len[n] - 1] == '\t' ||
				b[len[n] - 1] == '\n'))
				len[n]--;
			start[n++] = b;
			b = p + 1;
			if (!*p)
				break;
		}
	}
	return n;
}

static int
add_alts(struct loader *l, size_t ri, const char *context)
{
	const char *start[256];
	size_t len[256], n = split_union(context, start, len, 256);
	struct gw_sch *s = l->s;

	if (n == 0)
		return gw_err_set(l->err, GW_EPARSE, "5.6.0",
				  "schematron: rule context not understood: "
				  "%.120s",
				  context);
	for (size_t i = 0; i < n; i++) {
		char *src = strndup(start[i], len[i]), *expr = NULL;
		struct alt a = {.rule = ri};
		long rest = src ? parse_keyed(s, src, &a) : -1;
		int rc = 0;

		if (!src)
			return gw_err_set(l->err, GW_ERROR, "4.3.0",
					  "schematron: out of memory");
		if (rest >= 0 && src[rest]) {
			/* A//B from the anchor is .//B; A/B is B. */
			size_t m = strlen(src + rest) + 2;

			expr = malloc(m);
			if (expr)
				snprintf(expr, m, "%s%s",
					 src[rest + 1] == '/' ? "." : "",
					 src + rest + (src[rest + 1] != '/'));
		} else if (rest < 0) {
			size_t m = strlen(src) + 3;

			expr = malloc(m);
			if (expr)
				snprintf(expr, m, "%s%s",
					 src[0] == '/' ? "" : "//", src);
		}
		if ((rest < 0 || src[rest]) &&
		    (!expr || !(a.path = compile(l, expr, "rule context"))))
			rc = -1;
		free(expr);
		free(src);
		if (rc == 0 && a.root &&
		    gw_sch_grow((void **)&s->keyed, &l->cap_keyed, s->nkeyed,
				sizeof a) == 0)
			s->keyed[s->nkeyed++] = a;
		else if (rc == 0 && !a.root &&
			 gw_sch_grow((void **)&s->other, &l->cap_other,
				     s->nother, sizeof a) == 0)
			s->other[s->nother++] = a;
		else {
			free(a.root), free(a.ext), free(a.name), free(a.uri);
			xmlXPathFreeCompExpr(a.path);
			if (rc == 0)
				gw_err_set(l->err, GW_ERROR, "4.3.0",
					   "schematron: out of memory");
			return -1;
		}
	}
	return 0;
}

static int
load_pattern(struct loader *l, xmlNodePtr p)
{
	struct gw_sch *s = l->s;
	size_t pi = s->npats;
	int rc;

	if (xmlHasProp(p, BAD_CAST "is-a") ||
	    xmlHasProp(p, BAD_CAST "abstract"))
		return gw_err_set(l->err, GW_EPARSE, "5.6.0",
				  "schematron: abstract patterns are not "
				  "supported");
	if (gw_sch_grow((void **)&s->pats, &l->cap_pats, s->npats,
			sizeof *s->pats))
		return gw_err_set(l->err, GW_ERROR, "4.3.0",
				  "schematron: out of memory");
	s->pats[pi].id = prop(p, "id");
	s->pats[pi].mask = 0;
	s->npats++;
	for (xmlNodePtr c = p->children; c; c = c->next) {
		struct rule *r;
		size_t cap_as = 0, cap_lets = 0;
		xmlChar *ab;
		bool abstract;

		if (is_sch(c, "let"))
			return gw_err_set(l->err, GW_EPARSE, "5.6.0",
					  "schematron: pattern-level sch:let "
					  "is not supported");
		if (!is_sch(c, "rule"))
			continue;
		ab = xmlGetNoNsProp(c, BAD_CAST "abstract");
		abstract = ab && xmlStrEqual(ab, BAD_CAST "true");
		xmlFree(ab);
		if (abstract)
			continue;
		if (gw_sch_grow((void **)&s->rules, &l->cap_rules, s->nrules,
				sizeof *s->rules))
			return gw_err_set(l->err, GW_ERROR, "4.3.0",
					  "schematron: out of memory");
		r = &s->rules[s->nrules];
		memset(r, 0, sizeof *r);
		r->pattern = pi;
		r->context = prop(c, "context");
		s->nrules++;
		if (!r->context)
			return gw_err_set(l->err, GW_EPARSE, "5.6.0",
					  "schematron: rule without context in "
					  "pattern %s",
					  s->pats[pi].id ? s->pats[pi].id : "");
		rc = load_body(l, c, r, &cap_as, &cap_lets, 0);
		if (rc == 0)
			rc = add_alts(l, s->nrules - 1, r->context);
		if (rc)
			return rc;
	}
	return 0;
}

/* Mark the patterns of phase "errors" / "warnings". */
static void
load_phase(struct gw_sch *s, xmlNodePtr ph)
{
	xmlChar *id = xmlGetNoNsProp(ph, BAD_CAST "id");
	unsigned bit = !id                                    ? 0
		       : xmlStrEqual(id, BAD_CAST "errors")   ? GW_SCH_ERRORS
		       : xmlStrEqual(id, BAD_CAST "warnings") ? GW_SCH_WARNINGS
							      : 0;

	xmlFree(id);
	for (xmlNodePtr a = ph->children; bit && a; a = a->next) {
		xmlChar *pat;

		if (!is_sch(a, "active"))
			continue;
		pat = xmlGetNoNsProp(a, BAD_CAST "pattern");
		for (size_t i = 0; pat && i < s->npats; i++)
			if (s->pats[i].id &&
			    strcmp(s->pats[i].id, (const char *)pat) == 0)
				s->pats[i].mask |= bit;
		xmlFree(pat);
	}
}

static int
cmp_keyed(const void *a, const void *b)
{
	const struct alt *x = a, *y = b;
	int c = strcmp(x->root, y->root);

	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int
load_voc(struct loader *l, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
	char *vp = malloc(dlen + sizeof "voc.xml");

	if (!vp)
		return gw_err_set(l->err, GW_ERROR, "4.3.0",
				  "schematron: out of memory");
	memcpy(vp, path, dlen);
	memcpy(vp + dlen, "voc.xml", sizeof "voc.xml");
	l->s->voc = xmlReadFile(vp, NULL, PARSE_OPTS);
	if (!l->s->voc) {
		gw_err_set(l->err, GW_ENOTFOUND, "4.3.0",
			   "schematron: %s is missing or not XML (the schema "
			   "calls document('voc.xml'))",
			   vp);
		free(vp);
		return -1;
	}
	free(vp);
	xmlXPathOrderDocElems(l->s->voc);
	return 0;
}

int
gw_sch_load(const char *path, struct gw_sch **out, struct gw_err *err)
{
	struct loader l = {.err = err};
	xmlNodePtr root;
	int rc = GW_EPARSE;

	*out = NULL;
	l.s = calloc(1, sizeof *l.s);
	l.doc = xmlReadFile(path, NULL, PARSE_OPTS);
	l.xc = xmlXPathNewContext(NULL);
	if (!l.s || !l.xc) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"schematron: out of memory");
		goto out;
	}
	l.xc->error = quiet;
	root = l.doc ? xmlDocGetRootElement(l.doc) : NULL;
	if (!root || !is_sch(root, "schema")) {
		gw_err_set(err, GW_EPARSE, "5.6.0",
			   "schematron: %s is not an ISO Schematron schema",
			   path);
		goto out;
	}
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (is_sch(c, "ns") && l.s->nns < MAX_NS) {
			char *p = prop(c, "prefix"), *u = prop(c, "uri");

			if (!p || !u) {
				free(p);
				free(u);
				gw_err_set(err, GW_EPARSE, "5.6.0",
					   "schematron: sch:ns without prefix "
					   "or uri");
				goto out;
			}
			l.s->prefix[l.s->nns] = p;
			l.s->uri[l.s->nns++] = u;
			xmlXPathRegisterNs(l.xc, BAD_CAST p, BAD_CAST u);
		} else if (is_sch(c, "let") || is_sch(c, "include")) {
			gw_err_set(err, GW_EPARSE, "5.6.0",
				   "schematron: schema-level sch:%s is not "
				   "supported",
				   (const char *)c->name);
			goto out;
		}
	}
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (is_sch(c, "pattern") && load_pattern(&l, c) != 0)
			goto out;
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (is_sch(c, "phase"))
			load_phase(l.s, c);
	if (l.s->nkeyed)
		qsort(l.s->keyed, l.s->nkeyed, sizeof *l.s->keyed, cmp_keyed);
	if (l.uses_document && load_voc(&l, path) != 0)
		goto out;
	*out = l.s;
	l.s = NULL;
	rc = 0;
out:
	if (l.xc)
		xmlXPathFreeContext(l.xc);
	if (l.doc)
		xmlFreeDoc(l.doc);
	gw_sch_free(l.s);
	return rc;
}

static void
free_alt(struct alt *a)
{
	free(a->root);
	free(a->ext);
	free(a->name);
	free(a->uri);
	xmlXPathFreeCompExpr(a->path);
}

void
gw_sch_free(struct gw_sch *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nns; i++) {
		free(s->prefix[i]);
		free(s->uri[i]);
	}
	for (size_t i = 0; i < s->npats; i++)
		free(s->pats[i].id);
	for (size_t i = 0; i < s->nrules; i++) {
		struct rule *r = &s->rules[i];

		for (size_t j = 0; j < r->nlets; j++) {
			free(r->lets[j].name);
			xmlXPathFreeCompExpr(r->lets[j].value);
		}
		for (size_t j = 0; j < r->nas; j++) {
			struct assertion *a = &r->as[j];

			for (size_t k = 0; k < a->npieces; k++) {
				free(a->pieces[k].lit);
				xmlXPathFreeCompExpr(a->pieces[k].sel);
			}
			free(a->pieces);
			free(a->id);
			free(a->test_src);
			xmlXPathFreeCompExpr(a->test);
		}
		free(r->lets);
		free(r->as);
		free(r->context);
	}
	for (size_t i = 0; i < s->nkeyed; i++)
		free_alt(&s->keyed[i]);
	for (size_t i = 0; i < s->nother; i++)
		free_alt(&s->other[i]);
	free(s->keyed);
	free(s->other);
	free(s->rules);
	free(s->pats);
	if (s->voc)
		xmlFreeDoc(s->voc);
	free(s);
}

void
gw_sch_stats(const struct gw_sch *s, size_t *patterns, size_t *rules,
	     size_t *asserts)
{
	*patterns = s->npats;
	*rules = s->nrules;
	*asserts = s->nasserts;
}
