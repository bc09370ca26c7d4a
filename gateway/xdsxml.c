/*
 * NAME
 *	xdsxml - ebRIM 3.0 SubmitObjectsRequest XML into the xds model
 * SUMMARY
 *	gw_xdsxml_parse(): libxml2 parse with hardened options, then one
 *	recursive walk that checks the ebRIM 3.0 content model (element
 *	names, namespaces, order and multiplicity) and fills the model.
 *	For XDM (ITI-32): gw_xdsxml_set_doc_slots() writes the URI, size and
 *	hash slots of METADATA.XML, gw_xdsxml_doc_list() reads them back.
 * DESCRIPTION
 *	The only module that includes libxml2 for XDS metadata. The tree
 *	walk replaces an XSD: every RegistryObject must list its children
 *	in the ebRIM 3.0 sequence Slot*, Name?, Description?, VersionInfo?,
 *	Classification*, ExternalIdentifier*, then ContentVersionInfo? for
 *	an ExtrinsicObject or RegistryObjectList? for a RegistryPackage.
 *	It is a few microseconds per KiB, where schema validation would cost
 *	a schema compile or a shared compiled schema. Attributes the model
 *	does not use are ignored. The walk stops at the first problem and
 *	reports it as one XDSRegistryMetadataError with the line number.
 *	Everything copied into the model is a gw_xmalloc string; the libxml2
 *	document is freed before returning.
 * STANDARDS
 *	OASIS ebRIM 3.0 (rim.xsd), ebRS 3.0 (lcm.xsd), ITI TF-3 4.2, ITI TF-2
 *	3.32 (XDM METADATA.XML: URI, size, hash).
 * SECURITY
 *	Untrusted input. XML_PARSE_NONET always; never XML_PARSE_NOENT,
 *	XML_PARSE_DTDLOAD or XML_PARSE_HUGE; a document with any DTD is
 *	rejected, so no entity is ever expanded. Depth, element count,
 *	object count and value length are bounded by gw_xds_limits.
 * LIMITS
 *	gw_xds_limits: max_depth, max_objects (elements: 32 per object),
 *	max_value_len; the caller bounds the input length.
 */
#include "xdsxml.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "err.h"
#include "mem.h"

#define NS_LCM   "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
#define NS_RIM   "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
#define NS_RS21  "urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1"
#define NS_RIM21 "urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1"

#define RO_ORDER                                                               \
	"ebRIM 3.0 order is Slot*, Name?, Description?, VersionInfo?, "        \
	"Classification*, ExternalIdentifier*"

struct walk {
	struct gw_xds_limits lim;
	struct gw_xds_submission *s;
	struct gw_xds_errors *errs;
	size_t nobjects;
	size_t nelements;
	size_t max_elements;
	int rc; /* first failure, 0 while all is well */
};

/* Children of a RegistryObject, collected before they are stored. */
enum tail { T_NONE, T_EXTRINSIC, T_PACKAGE, T_IDENTIFIABLE };

struct ro {
	const char *what; /* element name for messages */
	const char *id;   /* its id, may be NULL */
	int obj;          /* index into objects[] for nested items, or -1 */
	enum tail tail;
	struct gw_xds_slots slots;
	char *name;
	char *desc;
};

static int fail(struct walk *w, int rc, const xmlNode *n, const char *loc,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail(struct walk *w, int rc, const xmlNode *n, const char *loc, const char *fmt,
     ...)
{
	char text[400];
	va_list ap;

	if (w->rc != 0)
		return w->rc;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	gw_xds_errors_add(w->errs, GW_XDS_SEV_ERROR, GW_XDS_E_METADATA, loc,
			  "line %ld: %s", n != NULL ? xmlGetLineNo(n) : 0L,
			  text);
	w->rc = rc;
	return rc;
}

static bool
in_ns(const xmlNode *n, const char *ns)
{
	return n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

static bool
is_rim(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && in_ns(n, NS_RIM) &&
	       strcmp((const char *)n->name, name) == 0;
}

static const char *
ename(const xmlNode *n)
{
	return (const char *)n->name;
}

/*
 * True for nodes that carry no content: comments, processing
 * instructions, whitespace. Other text in element-only content fails.
 */
static bool
skip(struct walk *w, const xmlNode *n, const char *parent)
{
	switch (n->type) {
	case XML_ELEMENT_NODE:
		return false;
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return true;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		for (const xmlChar *p = n->content; p != NULL && *p; p++)
			if (*p != ' ' && *p != '\t' && *p != '\r' &&
			    *p != '\n') {
				fail(w, GW_EPARSE, n, NULL,
				     "text is not allowed inside %s", parent);
				return true;
			}
		return true;
	default:
		fail(w, GW_EPARSE, n, NULL, "unexpected node in %s", parent);
		return true;
	}
}

/* Account for one element at depth; false when a limit is passed. */
static bool
enter(struct walk *w, const xmlNode *n, unsigned depth)
{
	if (w->rc != 0)
		return false;
	if (depth > w->lim.max_depth) {
		fail(w, GW_ELIMIT, n, NULL,
		     "element %s nested %u deep, limit %u", ename(n), depth,
		     w->lim.max_depth);
		return false;
	}
	if (++w->nelements > w->max_elements) {
		fail(w, GW_ELIMIT, n, NULL, "more than %zu elements",
		     w->max_elements);
		return false;
	}
	return true;
}

static bool
count_object(struct walk *w, const xmlNode *n)
{
	if (++w->nobjects > w->lim.max_objects) {
		fail(w, GW_ELIMIT, n, NULL, "more than %u registry objects",
		     w->lim.max_objects);
		return false;
	}
	return true;
}

static bool
len_ok(struct walk *w, const xmlNode *n, const char *what, size_t len)
{
	if (len <= w->lim.max_value_len)
		return true;
	fail(w, GW_ELIMIT, n, NULL, "%s is %zu bytes long, limit %zu", what,
	     len, w->lim.max_value_len);
	return false;
}

/* A copy of attribute name (no namespace), or NULL if absent. */
static char *
attr(struct walk *w, xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *r = NULL;

	if (v == NULL)
		return NULL;
	if (len_ok(w, n, name, strlen((const char *)v)))
		r = gw_xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

/* An element with attributes only (LocalizedString, VersionInfo). */
static void
empty_element(struct walk *w, xmlNode *n, unsigned depth)
{
	for (xmlNode *c = n->children; c != NULL && w->rc == 0; c = c->next)
		if (!skip(w, c, ename(n)))
			fail(w, GW_EPARSE, c, NULL,
			     "rim:%s is not allowed inside rim:%s", ename(c),
			     ename(n));
	(void)depth;
}

/* rim:Name / rim:Description: LocalizedString*; keep the first value. */
static void
parse_intl(struct walk *w, xmlNode *n, unsigned depth, char **out)
{
	for (xmlNode *c = n->children; c != NULL && w->rc == 0; c = c->next) {
		if (skip(w, c, ename(n)))
			continue;
		if (!is_rim(c, "LocalizedString")) {
			fail(w, GW_EPARSE, c, NULL,
			     "%s is not allowed inside rim:%s", ename(c),
			     ename(n));
			return;
		}
		if (!enter(w, c, depth + 1))
			return;
		empty_element(w, c, depth + 1);
		if (*out == NULL)
			*out = attr(w, c, "value");
	}
}

/* Copy of the text of a rim:Value, trimmed of surrounding blanks. */
static char *
value_text(struct walk *w, xmlNode *n)
{
	xmlChar *t;
	const char *p, *e;
	char *r = NULL;

	for (xmlNode *c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			fail(w, GW_EPARSE, c, NULL,
			     "element %s inside rim:Value", ename(c));
			return NULL;
		}
	t = xmlNodeGetContent(n);
	p = t != NULL ? (const char *)t : "";
	e = p + strlen(p);
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	if (len_ok(w, n, "rim:Value", (size_t)(e - p)))
		r = gw_xstrndup(p, (size_t)(e - p));
	xmlFree(t);
	return r;
}

/* rim:Slot: exactly one rim:ValueList of rim:Value*. */
static void
parse_slot(struct walk *w, xmlNode *n, unsigned depth,
	   struct gw_xds_slots *slots)
{
	struct gw_xds_slot *slot;
	char *name = attr(w, n, "name");
	bool have_list = false;

	if (name == NULL) {
		fail(w, GW_EPARSE, n, NULL, "rim:Slot without a name");
		return;
	}
	slot = gw_xds_slot_add(slots, name);
	for (xmlNode *c = n->children; c != NULL && w->rc == 0; c = c->next) {
		if (skip(w, c, "rim:Slot"))
			continue;
		if (!is_rim(c, "ValueList") || have_list) {
			fail(
			    w, GW_EPARSE, c, NULL,
			    "rim:Slot %s: expected one rim:ValueList, found %s",
			    name, ename(c));
			return;
		}
		have_list = true;
		if (!enter(w, c, depth + 1))
			return;
		for (xmlNode *v = c->children; v != NULL && w->rc == 0;
		     v = v->next) {
			char *text;
			if (skip(w, v, "rim:ValueList"))
				continue;
			if (!is_rim(v, "Value")) {
				fail(w, GW_EPARSE, v, NULL,
				     "rim:Slot %s: %s inside rim:ValueList",
				     name, ename(v));
				return;
			}
			if (!enter(w, v, depth + 2))
				return;
			text = value_text(w, v);
			if (text != NULL)
				gw_xds_slot_value_add(slot, text);
		}
	}
	if (w->rc == 0 && !have_list)
		fail(w, GW_EPARSE, n, NULL, "rim:Slot %s has no rim:ValueList",
		     name);
}

static void parse_class(struct walk *w, xmlNode *n, unsigned depth, int obj,
			const char *parent_id);
static void parse_extid(struct walk *w, xmlNode *n, unsigned depth, int obj,
			const char *parent_id);
static void parse_list(struct walk *w, xmlNode *n, unsigned depth);

enum rank {
	R_SLOT,
	R_NAME,
	R_DESC,
	R_VERSION,
	R_CLASS,
	R_EXTID,
	R_TAIL,
	R_NONE
};

static enum rank
rank_of(const xmlNode *c, enum tail tail)
{
	if (is_rim(c, "Slot"))
		return R_SLOT;
	if (tail == T_IDENTIFIABLE)
		return R_NONE;
	if (is_rim(c, "Name"))
		return R_NAME;
	if (is_rim(c, "Description"))
		return R_DESC;
	if (is_rim(c, "VersionInfo"))
		return R_VERSION;
	if (is_rim(c, "Classification"))
		return R_CLASS;
	if (is_rim(c, "ExternalIdentifier"))
		return R_EXTID;
	if ((tail == T_EXTRINSIC && is_rim(c, "ContentVersionInfo")) ||
	    (tail == T_PACKAGE && is_rim(c, "RegistryObjectList")))
		return R_TAIL;
	return R_NONE;
}

/* The children of any RegistryObject, in ebRIM 3.0 order. */
static void
ro_children(struct walk *w, xmlNode *n, unsigned depth, struct ro *ro)
{
	enum rank last = R_SLOT, r;
	bool seen = false;

	for (xmlNode *c = n->children; c != NULL && w->rc == 0; c = c->next) {
		if (skip(w, c, ro->what))
			continue;
		r = rank_of(c, ro->tail);
		if (r == R_NONE) {
			fail(w, GW_EPARSE, c, ro->id,
			     "%s is not allowed inside rim:%s %s", ename(c),
			     ro->what, ro->id != NULL ? ro->id : "");
			return;
		}
		/* Slot, Classification, ExternalIdentifier may repeat. */
		if (r < last || (r == last && seen && r != R_SLOT &&
				 r != R_CLASS && r != R_EXTID)) {
			fail(w, GW_EPARSE, c, ro->id,
			     "rim:%s out of order in rim:%s %s; " RO_ORDER,
			     ename(c), ro->what, ro->id != NULL ? ro->id : "");
			return;
		}
		last = r;
		seen = true;
		if (!enter(w, c, depth + 1))
			return;
		switch (r) {
		case R_SLOT:
			parse_slot(w, c, depth + 1, &ro->slots);
			break;
		case R_NAME:
			parse_intl(w, c, depth + 1, &ro->name);
			break;
		case R_DESC:
			parse_intl(w, c, depth + 1, &ro->desc);
			break;
		case R_VERSION:
			empty_element(w, c, depth + 1);
			break;
		case R_CLASS:
			parse_class(w, c, depth + 1, ro->obj, ro->id);
			break;
		case R_EXTID:
			parse_extid(w, c, depth + 1, ro->obj, ro->id);
			break;
		case R_TAIL:
			if (ro->tail == T_PACKAGE)
				parse_list(w, c, depth + 1);
			else
				empty_element(w, c, depth + 1);
			break;
		default:
			break;
		}
	}
}

static void
ro_dispose(struct ro *ro)
{
	struct gw_xds_slots *l = &ro->slots;

	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		for (size_t j = 0; j < l->v[i].nvalues; j++)
			free(l->v[i].values[j]);
		free(l->v[i].values);
	}
	free(l->v);
	free(ro->name);
	free(ro->desc);
}

static void
parse_object(struct walk *w, xmlNode *n, unsigned depth, enum gw_xds_kind k)
{
	struct gw_xds_object *o;
	struct ro ro = {0};
	size_t idx = w->s->nobjects;

	if (!count_object(w, n))
		return;
	o = gw_xds_object_add(w->s);
	o->kind = k;
	o->line = (int)xmlGetLineNo(n);
	o->id = attr(w, n, "id");
	o->object_type = attr(w, n, "objectType");
	if (k == GW_XDS_EXTRINSIC)
		o->mime_type = attr(w, n, "mimeType");
	ro.what = k == GW_XDS_EXTRINSIC ? "ExtrinsicObject" : "RegistryPackage";
	ro.id = o->id; /* heap string: stable across reallocation */
	ro.obj = (int)idx;
	ro.tail = k == GW_XDS_EXTRINSIC ? T_EXTRINSIC : T_PACKAGE;
	ro_children(w, n, depth, &ro);
	/* Nested lists may have moved the array. */
	o = &w->s->objects[idx];
	o->slots = ro.slots;
	o->title = ro.name;
	o->comments = ro.desc;
}

static void
parse_class(struct walk *w, xmlNode *n, unsigned depth, int obj,
	    const char *parent_id)
{
	struct gw_xds_class *c;
	struct ro ro = {0};
	size_t idx = w->s->nclasses;

	if (!count_object(w, n))
		return;
	c = gw_xds_class_add(w->s);
	c->line = (int)xmlGetLineNo(n);
	c->parent = obj;
	c->id = attr(w, n, "id");
	c->scheme = attr(w, n, "classificationScheme");
	c->node = attr(w, n, "classificationNode");
	c->classified = attr(w, n, "classifiedObject");
	c->node_rep = attr(w, n, "nodeRepresentation");
	if (c->classified == NULL && obj < 0 && parent_id != NULL)
		c->classified = gw_xstrdup(parent_id);
	ro.what = "Classification";
	ro.id = c->id;
	ro.obj = -1;
	ro.tail = T_NONE;
	ro_children(w, n, depth, &ro);
	c = &w->s->classes[idx];
	c->slots = ro.slots;
	c->name = ro.name;
	free(ro.desc);
}

static void
parse_extid(struct walk *w, xmlNode *n, unsigned depth, int obj,
	    const char *parent_id)
{
	struct gw_xds_extid *x;
	struct ro ro = {0};
	size_t idx = w->s->nextids;

	if (!count_object(w, n))
		return;
	x = gw_xds_extid_add(w->s);
	x->line = (int)xmlGetLineNo(n);
	x->parent = obj;
	x->id = attr(w, n, "id");
	x->scheme = attr(w, n, "identificationScheme");
	x->value = attr(w, n, "value");
	x->registry_object = attr(w, n, "registryObject");
	if (x->registry_object == NULL && obj < 0 && parent_id != NULL)
		x->registry_object = gw_xstrdup(parent_id);
	ro.what = "ExternalIdentifier";
	ro.id = x->id;
	ro.obj = -1;
	ro.tail = T_NONE;
	ro_children(w, n, depth, &ro);
	x = &w->s->extids[idx];
	x->name = ro.name;
	ro.name = NULL;
	ro_dispose(&ro);
}

static void
parse_assoc(struct walk *w, xmlNode *n, unsigned depth)
{
	struct gw_xds_assoc *a;
	struct ro ro = {0};
	size_t idx = w->s->nassocs;

	if (!count_object(w, n))
		return;
	a = gw_xds_assoc_add(w->s);
	a->line = (int)xmlGetLineNo(n);
	a->id = attr(w, n, "id");
	a->type = attr(w, n, "associationType");
	a->source = attr(w, n, "sourceObject");
	a->target = attr(w, n, "targetObject");
	ro.what = "Association";
	ro.id = a->id;
	ro.obj = -1;
	ro.tail = T_NONE;
	ro_children(w, n, depth, &ro);
	a = &w->s->assocs[idx];
	a->slots = ro.slots;
	ro.slots.v = NULL;
	ro.slots.n = 0;
	ro_dispose(&ro);
}

static void
parse_objref(struct walk *w, xmlNode *n, unsigned depth)
{
	struct ro ro = {0};
	char *id;

	if (!count_object(w, n))
		return;
	id = attr(w, n, "id");
	if (id != NULL)
		gw_xds_ref_add(w->s, id);
	ro.what = "ObjectRef";
	ro.id = id;
	ro.obj = -1;
	ro.tail = T_IDENTIFIABLE;
	ro_children(w, n, depth, &ro);
	ro_dispose(&ro);
}

/* rim:RegistryObjectList: any number of Identifiables. */
static void
parse_list(struct walk *w, xmlNode *n, unsigned depth)
{
	for (xmlNode *c = n->children; c != NULL && w->rc == 0; c = c->next) {
		if (skip(w, c, "rim:RegistryObjectList"))
			continue;
		if (!enter(w, c, depth + 1))
			return;
		if (is_rim(c, "ExtrinsicObject"))
			parse_object(w, c, depth + 1, GW_XDS_EXTRINSIC);
		else if (is_rim(c, "RegistryPackage"))
			parse_object(w, c, depth + 1, GW_XDS_PACKAGE);
		else if (is_rim(c, "Classification"))
			parse_class(w, c, depth + 1, -1, NULL);
		else if (is_rim(c, "ExternalIdentifier"))
			parse_extid(w, c, depth + 1, -1, NULL);
		else if (is_rim(c, "Association"))
			parse_assoc(w, c, depth + 1);
		else if (is_rim(c, "ObjectRef"))
			parse_objref(w, c, depth + 1);
		else
			fail(w, GW_EPARSE, c, NULL,
			     "%s is not allowed in rim:RegistryObjectList "
			     "of an ITI-41 submission",
			     ename(c));
	}
}

/* lcm:SubmitObjectsRequest: rim:RequestSlotList?, rim:RegistryObjectList. */
static void
parse_root(struct walk *w, xmlNode *root)
{
	bool have_list = false, have_slots = false;

	if (in_ns(root, NS_RS21) || in_ns(root, NS_RIM21)) {
		fail(w, GW_EPARSE, root, NULL,
		     "ebXML RegRep 2.1 metadata is not accepted; ITI-41 "
		     "requires ebRIM/ebRS 3.0");
		return;
	}
	if (!in_ns(root, NS_LCM) ||
	    strcmp(ename(root), "SubmitObjectsRequest") != 0) {
		fail(w, GW_EPARSE, root, NULL,
		     "root element is %s, expected lcm:SubmitObjectsRequest "
		     "(%s)",
		     ename(root), NS_LCM);
		return;
	}
	if (!enter(w, root, 1))
		return;
	for (xmlNode *c = root->children; c != NULL && w->rc == 0;
	     c = c->next) {
		if (skip(w, c, "lcm:SubmitObjectsRequest"))
			continue;
		if (!enter(w, c, 2))
			return;
		if (is_rim(c, "RequestSlotList") && !have_slots && !have_list) {
			struct gw_xds_slots ignored = {0};
			have_slots = true;
			for (xmlNode *sl = c->children;
			     sl != NULL && w->rc == 0; sl = sl->next) {
				if (skip(w, sl, "rim:RequestSlotList"))
					continue;
				if (!is_rim(sl, "Slot")) {
					fail(w, GW_EPARSE, sl, NULL,
					     "%s inside rim:RequestSlotList",
					     ename(sl));
					break;
				}
				if (enter(w, sl, 3))
					parse_slot(w, sl, 3, &ignored);
			}
			for (size_t i = 0; i < ignored.n; i++) {
				free(ignored.v[i].name);
				for (size_t j = 0; j < ignored.v[i].nvalues;
				     j++)
					free(ignored.v[i].values[j]);
				free(ignored.v[i].values);
			}
			free(ignored.v);
		} else if (is_rim(c, "RegistryObjectList") && !have_list) {
			have_list = true;
			parse_list(w, c, 2);
		} else {
			fail(w, GW_EPARSE, c, NULL,
			     "%s is not allowed here in "
			     "lcm:SubmitObjectsRequest",
			     ename(c));
		}
	}
	if (w->rc == 0 && !have_list)
		fail(w, GW_EPARSE, root, NULL,
		     "lcm:SubmitObjectsRequest has no rim:RegistryObjectList");
}

/* Turn libxml2's last error into our error record. */
static int
syntax_error(struct walk *w, xmlParserCtxtPtr ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char msg[256];
	size_t n;

	if (snprintf(msg, sizeof(msg), "%s",
		     e != NULL && e->message != NULL ? e->message
						     : "unknown error") < 0)
		msg[0] = '\0';
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	gw_xds_errors_add(w->errs, GW_XDS_SEV_ERROR, GW_XDS_E_METADATA, NULL,
			  "line %d: metadata is not well-formed XML: %s",
			  e != NULL ? e->line : 0, msg);
	return GW_EPARSE;
}

int
gw_xdsxml_parse(const char *xml, size_t len, const struct gw_xds_limits *lim,
		struct gw_xds_submission **out, struct gw_xds_errors *errs)
{
	struct walk w = {0};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int rc = 0;

	*out = NULL;
	w.errs = errs;
	gw_xds_limits_resolve(lim, &w.lim);
	w.max_elements = (size_t)w.lim.max_objects * GW_XDS_ELEMENTS_PER_OBJECT;
	if (len > INT_MAX) {
		rc = fail(&w, GW_ELIMIT, NULL, NULL, "metadata too large");
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = fail(&w, GW_ERROR, NULL, NULL, "out of memory");
		goto out;
	}
	/* NONET always; never NOENT, DTDLOAD or HUGE (STYLE 5.8). */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL) {
		rc = syntax_error(&w, ctxt);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = fail(&w, GW_EPARSE, (xmlNode *)doc->intSubset, NULL,
			  "a document type declaration (DTD) is not allowed");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		rc = fail(&w, GW_EPARSE, NULL, NULL, "no root element");
		goto out;
	}
	w.s = gw_xds_submission_new();
	parse_root(&w, root);
	rc = w.rc;
	if (rc == 0) {
		gw_xds_submission_index(w.s);
		*out = w.s;
		w.s = NULL;
	}
out:
	gw_xds_submission_free(w.s);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/*
 * XDM (ITI-32) support: the same hardened parse, then a tree edit
 * (gw_xdsxml_set_doc_slots) or a listing (gw_xdsxml_doc_list).
 */

struct tree {
	struct gw_xds_limits lim;
	size_t nelements;
	size_t max_elements;
	xmlNode **eos; /* every rim:ExtrinsicObject, in document order */
	size_t neos;
	size_t cap;
};

/* Bound depth and element count; collect ExtrinsicObjects. */
static int
tree_walk(struct tree *t, xmlNode *n, unsigned depth, struct gw_err *err)
{
	if (depth > t->lim.max_depth)
		return gw_err_set(err, GW_ELIMIT, "5.6.0",
				  "xdsxml: line %ld: element nested %u deep, "
				  "limit %u",
				  xmlGetLineNo(n), depth, t->lim.max_depth);
	if (++t->nelements > t->max_elements)
		return gw_err_set(err, GW_ELIMIT, "5.6.0",
				  "xdsxml: more than %zu elements",
				  t->max_elements);
	if (is_rim(n, "ExtrinsicObject")) {
		if (t->neos == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 8;
			t->eos = gw_xrealloc(t->eos, t->cap * sizeof(*t->eos));
		}
		t->eos[t->neos++] = n;
	}
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		int rc;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		rc = tree_walk(t, c, depth + 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Parse as gw_xdsxml_parse does and check the root; *out on success. */
static int
tree_load(const char *xml, size_t len, const struct gw_xds_limits *lim,
	  struct tree *t, xmlDocPtr *out, struct gw_err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int rc = -1;

	*out = NULL;
	gw_xds_limits_resolve(lim, &t->lim);
	t->max_elements =
	    (size_t)t->lim.max_objects * GW_XDS_ELEMENTS_PER_OBJECT;
	if (len > INT_MAX) {
		rc = gw_err_set(err, GW_ELIMIT, "5.6.0",
				"xdsxml: metadata too large");
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "xdsxml: no memory");
		goto out;
	}
	/* NONET always; never NOENT, DTDLOAD or HUGE (STYLE 5.8). */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdsxml: line %d: not well-formed XML",
				e != NULL ? e->line : 0);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdsxml: a document type declaration (DTD) is "
				"not allowed");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !in_ns(root, NS_LCM) ||
	    strcmp(ename(root), "SubmitObjectsRequest") != 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xdsxml: root element is not "
				"lcm:SubmitObjectsRequest");
		goto out;
	}
	if ((rc = tree_walk(t, root, 1, err)) < 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

static bool
is_slot_named(const xmlNode *n, const char *name)
{
	xmlChar *v;
	bool r;

	if (!is_rim(n, "Slot"))
		return false;
	v = xmlGetNoNsProp(n, (const xmlChar *)"name");
	r = v != NULL && strcmp((const char *)v, name) == 0;
	xmlFree(v);
	return r;
}

static bool
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A new <rim:Slot name=name><rim:ValueList><rim:Value>v... */
static xmlNode *
new_slot(xmlNs *ns, const char *name, const char *value)
{
	xmlNode *slot = xmlNewNode(ns, (const xmlChar *)"Slot");
	xmlNode *vl;

	if (slot == NULL)
		return NULL;
	if (xmlNewProp(slot, (const xmlChar *)"name", (const xmlChar *)name) ==
		NULL ||
	    (vl = xmlNewChild(slot, ns, (const xmlChar *)"ValueList", NULL)) ==
		NULL ||
	    xmlNewTextChild(vl, ns, (const xmlChar *)"Value",
			    (const xmlChar *)value) == NULL) {
		xmlFreeNode(slot);
		return NULL;
	}
	return slot;
}

/* Replace eo's URI, size and hash slots with d's values. */
static int
set_slots(xmlNode *eo, const struct gw_xdsxml_docslots *d, struct gw_err *err)
{
	static const char *const names[] = {"URI", "size", "hash"};
	char size[24];
	const char *values[3] = {d->uri, size, d->sha1};
	xmlNode *after = NULL, *next;

	if (snprintf(size, sizeof(size), "%llu", (unsigned long long)d->size) <
	    0)
		return gw_err_set(err, GW_ERROR, "5.6.0", "xdsxml: size");
	for (xmlNode *c = eo->children; c != NULL; c = next) {
		next = c->next;
		if (is_slot_named(c, "URI") || is_slot_named(c, "size") ||
		    is_slot_named(c, "hash")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	/* ebRIM 3.0: Slot* comes first; ours follow the remaining ones. */
	for (xmlNode *c = eo->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_rim(c, "Slot"))
			break;
		after = c;
	}
	for (int i = 0; i < 3; i++) {
		xmlNode *s = new_slot(eo->ns, names[i], values[i]);
		xmlNode *r;

		if (s == NULL)
			return gw_err_set(err, GW_ERROR, "4.3.0",
					  "xdsxml: no memory");
		if (after != NULL)
			r = xmlAddNextSibling(after, s);
		else if (eo->children != NULL)
			r = xmlAddPrevSibling(eo->children, s);
		else
			r = xmlAddChild(eo, s);
		if (r == NULL) {
			xmlFreeNode(s);
			return gw_err_set(err, GW_ERROR, "4.3.0",
					  "xdsxml: no memory");
		}
		after = s;
	}
	return 0;
}

/* Match docs[] to the ExtrinsicObjects one to one, then edit them. */
static int
set_all(struct tree *t, const struct gw_xdsxml_docslots *docs, size_t ndocs,
	struct gw_err *err)
{
	bool *used = gw_xcalloc(ndocs ? ndocs : 1, sizeof(*used));
	int rc = -1;

	for (size_t i = 0; i < ndocs; i++) {
		const struct gw_xdsxml_docslots *d = &docs[i];

		if (d->id == NULL || d->uri == NULL || d->sha1 == NULL ||
		    has_ctl(d->uri) || has_ctl(d->sha1)) {
			rc = gw_err_set(err, GW_ERROR, "5.6.0",
					"xdsxml: document %zu: missing or bad "
					"id, URI or hash",
					i);
			goto out;
		}
	}
	for (size_t k = 0; k < t->neos; k++) {
		xmlChar *id = xmlGetNoNsProp(t->eos[k], (const xmlChar *)"id");
		size_t i;

		for (i = 0; id != NULL && i < ndocs; i++)
			if (strcmp((const char *)id, docs[i].id) == 0)
				break;
		if (id == NULL || i == ndocs || used[i]) {
			rc = gw_err_set(err, GW_ERROR, "5.6.0",
					"xdsxml: line %ld: ExtrinsicObject %s "
					"has %s",
					xmlGetLineNo(t->eos[k]),
					id ? (const char *)id : "(no id)",
					id && i < ndocs ? "a duplicate id"
							: "no document");
			xmlFree(id);
			goto out;
		}
		xmlFree(id);
		used[i] = true;
		if ((rc = set_slots(t->eos[k], &docs[i], err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < ndocs; i++) {
		if (!used[i]) {
			rc = gw_err_set(err, GW_ENOTFOUND, "5.6.0",
					"xdsxml: no ExtrinsicObject with id "
					"%s",
					docs[i].id);
			goto out;
		}
	}
	rc = 0;
out:
	free(used);
	return rc;
}

int
gw_xdsxml_set_doc_slots(const char *xml, size_t len,
			const struct gw_xds_limits *lim,
			const struct gw_xdsxml_docslots *docs, size_t ndocs,
			char **out, size_t *out_len, struct gw_err *err)
{
	struct tree t = {0};
	xmlDocPtr doc = NULL;
	xmlChar *mem = NULL;
	int memlen = 0;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if ((rc = tree_load(xml, len, lim, &t, &doc, err)) < 0)
		goto out;
	if ((rc = set_all(&t, docs, ndocs, err)) < 0)
		goto out;
	xmlDocDumpMemoryEnc(doc, &mem, &memlen, "UTF-8");
	if (mem == NULL || memlen <= 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"xdsxml: cannot serialise METADATA.XML");
		goto out;
	}
	*out = gw_xstrndup((const char *)mem, (size_t)memlen);
	*out_len = (size_t)memlen;
	rc = 0;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	free(t.eos);
	return rc;
}

/* Record the slot sl (named name) into *value, *nslots, *nvalues. */
static void
note_slot(xmlNode *sl, char **value, int *nslots, int *nvalues)
{
	if ((*nslots)++ > 0)
		return;
	for (xmlNode *vl = sl->children; vl != NULL; vl = vl->next) {
		if (!is_rim(vl, "ValueList"))
			continue;
		for (xmlNode *v = vl->children; v != NULL; v = v->next) {
			xmlChar *s;

			if (!is_rim(v, "Value"))
				continue;
			if ((*nvalues)++ > 0)
				continue;
			s = xmlNodeGetContent(v);
			*value = gw_xstrdup(s != NULL ? (const char *)s : "");
			xmlFree(s);
		}
	}
}

static char *
prop_dup(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *r = v != NULL ? gw_xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return r;
}

int
gw_xdsxml_doc_list(const char *xml, size_t len, const struct gw_xds_limits *lim,
		   struct gw_xdsxml_docinfo **out, size_t *n_out,
		   struct gw_err *err)
{
	struct tree t = {0};
	xmlDocPtr doc = NULL;
	struct gw_xdsxml_docinfo *v = NULL;
	int rc = -1;

	*out = NULL;
	*n_out = 0;
	if ((rc = tree_load(xml, len, lim, &t, &doc, err)) < 0)
		goto out;
	v = gw_xcalloc(t.neos ? t.neos : 1, sizeof(*v));
	for (size_t k = 0; k < t.neos; k++) {
		struct gw_xdsxml_docinfo *d = &v[k];

		d->id = prop_dup(t.eos[k], "id");
		d->mime_type = prop_dup(t.eos[k], "mimeType");
		for (xmlNode *c = t.eos[k]->children; c != NULL; c = c->next) {
			if (is_slot_named(c, "URI"))
				note_slot(c, &d->uri, &d->nuri,
					  &d->nuri_values);
			else if (is_slot_named(c, "size"))
				note_slot(c, &d->size, &d->nsize,
					  &d->nsize_values);
			else if (is_slot_named(c, "hash"))
				note_slot(c, &d->hash, &d->nhash,
					  &d->nhash_values);
		}
	}
	*out = v;
	*n_out = t.neos;
	v = NULL;
	rc = 0;
out:
	gw_xdsxml_docinfo_free(v, t.neos);
	xmlFreeDoc(doc);
	free(t.eos);
	return rc;
}

void
gw_xdsxml_docinfo_free(struct gw_xdsxml_docinfo *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].mime_type);
		free(v[i].uri);
		free(v[i].size);
		free(v[i].hash);
	}
	free(v);
}
