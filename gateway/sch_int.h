/*
 * NAME
 *	sch_int - the compiled form of a Schematron schema, shared by
 *	sch_load.c (which builds it) and sch.c (which checks documents)
 * SUMMARY
 *	Patterns, rules (abstract rules already expanded), their lets and
 *	assertions with compiled XPath, and each rule context split into
 *	union alternatives: keyed ones (anchored at an element with a given
 *	templateId root) sorted by root, the others as //alternative.
 */
#ifndef GW_SCH_INT_H
#define GW_SCH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "sch.h"

#define SCH_NS       "http://purl.oclc.org/dsdl/schematron"
#define SCH_NS       "http://purl.oclc.org/dsdl/schematron"
#define MAX_DEPTH    16   /* sch:extends chains */
#define MAX_NS       64   /* sch:ns declarations */
#define MAX_WALK     4096 /* element nesting depth walked */
#define DEF_FINDINGS 1000
#define TEXT_MAX     2048 /* one finding's text */
#define PARSE_OPTS                                                             \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
	 XML_PARSE_NOCDATA)

/* A piece of an assertion's text: literal, or a value-of / name. */
struct piece {
	char *lit;
	xmlXPathCompExprPtr sel; /* value-of select; NULL with !lit = name */
};

struct assertion {
	char *id;
	char *test_src;
	xmlXPathCompExprPtr test;
	bool report;
	struct piece *pieces;
	size_t npieces;
};

struct let {
	char *name;
	xmlXPathCompExprPtr value;
};

struct rule {
	size_t pattern;
	char *context;
	struct let *lets;
	size_t nlets;
	struct assertion *as;
	size_t nas;
};

/* One union alternative of a rule context. */
struct alt {
	size_t rule;
	char *root; /* keyed: templateId/@root; NULL = evaluated as XPath */
	char *ext;  /* keyed: @extension required, or NULL */
	char *name; /* keyed: local name of the anchor element */
	char *uri;  /* keyed: its namespace, and templateId's */
	xmlXPathCompExprPtr path; /* keyed: rest from the anchor, or NULL;
				     otherwise //alternative */
};

struct pattern {
	char *id;
	unsigned mask;
};

struct gw_sch {
	char *prefix[MAX_NS], *uri[MAX_NS];
	size_t nns;
	struct pattern *pats;
	size_t npats;
	struct rule *rules;
	size_t nrules;
	struct alt *keyed; /* sorted by root */
	size_t nkeyed;
	struct alt *other;
	size_t nother;
	size_t nasserts;
	xmlDocPtr voc;
};

/* Grow array *v (of *cap elements of size bytes) to hold n + 1. */
int gw_sch_grow(void **v, size_t *cap, size_t n, size_t size);

#endif
