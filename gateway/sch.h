/*
 * NAME
 *	sch - ISO Schematron (XPath 1.0 binding) compiled for one-pass checks
 * SUMMARY
 *	gw_sch_load() reads a Schematron schema once: namespaces, phases,
 *	patterns, rules (abstract rules expanded through sch:extends), lets,
 *	asserts and reports, and compiles every XPath with libxml2. A rule
 *	context of the usual C-CDA form NAME[cda:templateId[@root='OID' ...]]
 *	is indexed by element name and templateId root, so gw_sch_check()
 *	finds each rule's candidate nodes in one walk of the document and
 *	evaluates the context predicate and the asserts on those nodes only.
 *	Other contexts are evaluated once per document as //context.
 *
 *	The findings are those of the ISO skeleton compiled to XSLT 1.0 and
 *	run with libxslt: within a pattern a node is handled by the first
 *	rule whose context matches it (the skeleton's rule priorities), every
 *	element is visited, a failed assert or a true report is one finding
 *	per (assertion, node). document('voc.xml') reads the value-set file
 *	next to the schema (loaded once; never fetched from anywhere else).
 * STANDARDS
 *	ISO/IEC 19757-3 Schematron (2006/2016), XPath 1.0; HL7 C-CDA R2.1
 *	Schematron as published by HL7 (errata 2022-2025).
 * LIMITS
 *	No abstract patterns (sch:pattern is-a), no sch:include; XSLT-only
 *	functions other than document() and current() are not available to
 *	assertions. A compiled schema is read-only and may be used by many
 *	threads at once.
 */
#ifndef GW_SCH_H
#define GW_SCH_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct gw_sch;
struct _xmlDoc;

/* Which phases to run (a schema's phase called "errors" / "warnings"). */
enum {
	GW_SCH_ERRORS = 1,   /* patterns active in phase "errors" */
	GW_SCH_WARNINGS = 2, /* patterns active in phase "warnings" */
};

struct gw_sch_finding {
	bool warning;   /* from a pattern of the warnings phase */
	bool report;    /* a true sch:report rather than a failed assert */
	const char *id; /* the assertion's @id, or NULL (owned by schema) */
	const char *pattern; /* the pattern's @id (owned by the schema) */
	const char *context; /* the rule's @context (owned by the schema) */
	char *location;      /* XPath of the node: /ClinicalDocument[1]/... */
	long line;           /* line of the node in the document, 0 unknown */
	char *text;          /* the assertion's text, value-of filled in,
				white space collapsed */
};

struct gw_sch_report {
	struct gw_sch_finding *v; /* in document order per pattern */
	size_t n;
	size_t nerrors, nwarnings;
	size_t fired;   /* rule firings (context node, rule) */
	bool truncated; /* more than max findings; the rest were counted
			   in nerrors/nwarnings but not kept */
};

/*
 * Compile the schema at path. voc.xml is looked for in the same directory
 * when an assertion calls document('voc.xml'). GW_EPARSE when the schema is
 * not Schematron or an XPath does not compile.
 */
int gw_sch_load(const char *path, struct gw_sch **out, struct gw_err *err);

/* Free a compiled schema. */
void gw_sch_free(struct gw_sch *s);

/*
 * Check doc against the phases in mask. At most max findings are kept
 * (0 = a default of 1000). The report is zeroed first; dispose it with
 * gw_sch_report_dispose() whatever the result.
 */
int gw_sch_check(const struct gw_sch *s, struct _xmlDoc *doc, unsigned mask,
		 size_t max, struct gw_sch_report *rep, struct gw_err *err);

void gw_sch_report_dispose(struct gw_sch_report *rep);

/* Counts for benchmarks and logs: patterns, rules, assertions compiled. */
void gw_sch_stats(const struct gw_sch *s, size_t *patterns, size_t *rules,
		  size_t *asserts);

#endif
