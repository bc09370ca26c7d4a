/*
 * NAME
 *	cdaval - C-CDA document validation: CDA R2 XML Schema (with the SDTC
 *	extensions) and the C-CDA Schematron
 * SUMMARY
 *	gw_cdaval_open() parses the XML Schema once (libxml2) and compiles
 *	the Schematron once (sch.h); gw_cdaval_check() parses one document
 *	with hardened options, validates it against the schema with a
 *	validation context of its own, runs the Schematron's errors phase
 *	(and the warnings phase on request) and returns the findings. One
 *	opened validator serves many threads at once without a lock.
 *
 *	gw_cdaval_paths() resolves the files under a schema directory (the
 *	config keys cda_schema_dir, cda_xsd, cda_schematron; by default the
 *	layout of the corpus's schema/ folder:
 *	  <dir>/cda-r2-sdtc/infrastructure/cda/CDA_SDTC.xsd
 *	  <dir>/ccda-r2.1-schematron/<the R2.1 .sch>, voc.xml next to it).
 * STANDARDS
 *	HL7 CDA R2 (POCD_HD000040) XML Schema with the approved SDTC
 *	extensions; HL7 C-CDA R2.1 Schematron (ISO/IEC 19757-3); W3C XML
 *	Schema 1.0; Namespaces in XML 1.0.
 * SECURITY
 *	Documents are untrusted: XML_PARSE_NONET, never NOENT, DTDLOAD or
 *	HUGE, and a DOCTYPE stops the parse at once (no entity declaration
 *	is ever read). The schema files are trusted configuration.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes per document; element depth by libxml2's
 *	default cap; at most max findings kept per document (the counts stay
 *	exact); each message at most GW_CDAVAL_TEXT_MAX bytes.
 */
#ifndef GW_CDAVAL_H
#define GW_CDAVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Findings kept per document when the caller asks for 0. */
#define GW_CDAVAL_MAX_FINDINGS 100
/* Longest message kept (longer ones are cut at a character boundary). */
#define GW_CDAVAL_TEXT_MAX 1024

struct gw_cdaval;

enum gw_cdaval_source {
	GW_CDAVAL_XML, /* not well-formed, DOCTYPE, too large */
	GW_CDAVAL_XSD, /* XML Schema validity */
	GW_CDAVAL_SCH, /* Schematron assertion or report */
};

/* Flags of gw_cdaval_check(). */
enum {
	GW_CDAVAL_WARNINGS = 1, /* also run the Schematron warnings phase */
};

struct gw_cdaval_finding {
	bool warning; /* from the Schematron warnings phase */
	enum gw_cdaval_source source;
	char *id; /* Schematron: the assertion's @id or "noid"; else NULL */
	char *location; /* Schematron: XPath of the node; else NULL */
	long line;      /* line in the document, 0 when unknown */
	char *text;     /* the message, white space collapsed */
};

/* Schematron findings of one assertion id, counted over the document. */
struct gw_cdaval_rule {
	char *id; /* assertion @id or "noid" */
	bool warning;
	size_t count;
};

struct gw_cdaval_report {
	bool well_formed; /* parsed, namespace-well-formed, no DOCTYPE */
	bool xsd_checked; /* the XML Schema ran */
	bool sch_checked; /* the Schematron ran */
	size_t xml_errors, xsd_errors;
	size_t sch_errors, sch_warnings;
	/* Kept findings: XML, then XSD, then Schematron, document order. */
	struct gw_cdaval_finding *v;
	size_t n;
	bool truncated; /* findings were counted but not kept */
	/* Schematron findings per assertion id, sorted by id (strcmp). */
	struct gw_cdaval_rule *rules;
	size_t nrules;
	bool rules_partial; /* the engine kept too few to count all ids */
	double xsd_seconds, sch_seconds;
};

/*
 * Compute the XSD and Schematron paths under dir (the layout above) into
 * xsd and sch. An absolute xsd_rel or sch_rel is used as it is; an empty
 * sch_rel leaves sch empty (XSD only). GW_ELIMIT when a path does not
 * fit. Thread-safe.
 */
int gw_cdaval_paths(const char *dir, const char *xsd_rel, const char *sch_rel,
		    char *xsd, size_t xsdlen, char *sch, size_t schlen,
		    struct gw_err *err);

/*
 * Parse the XML Schema at xsd and compile the Schematron at sch (NULL or
 * "" for none); *out is a new validator, freed with gw_cdaval_free().
 * GW_ENOTFOUND when a file is missing, GW_EPARSE when a schema does not
 * parse or compile. Call from one thread (it initialises libxml2).
 */
int gw_cdaval_open(const char *xsd, const char *sch, struct gw_cdaval **out,
		   struct gw_err *err);

void gw_cdaval_free(struct gw_cdaval *v);

/* True when the validator has a Schematron. */
bool gw_cdaval_has_schematron(const struct gw_cdaval *v);

/*
 * Validate len bytes of xml (need not be NUL-terminated). The report is
 * zeroed first and always disposed by the caller with
 * gw_cdaval_report_dispose(). Problems of the document are findings, not
 * errors: the result is 0 whenever the check ran, even for bytes that
 * are not XML. At most max findings are kept (0: GW_CDAVAL_MAX_FINDINGS).
 * GW_ERROR only when the validator itself fails (libxml2 internal
 * error, Schematron engine failure). Thread-safe on a shared validator.
 */
int gw_cdaval_check(const struct gw_cdaval *v, const char *xml, size_t len,
		    unsigned flags, size_t max, struct gw_cdaval_report *rep,
		    struct gw_err *err);

/* XML, XSD and Schematron errors (warnings not counted). */
size_t gw_cdaval_errors(const struct gw_cdaval_report *rep);

/* "xml", "xsd" or "schematron". */
const char *gw_cdaval_source_name(enum gw_cdaval_source s);

/*
 * A one-line summary for logs, audit rows and failure reasons: the
 * counts, then up to nfirst findings, each "line N: [id] text" (with
 * text only when with_text). Written into out (always NUL-terminated,
 * cut when it does not fit).
 */
void gw_cdaval_summary(const struct gw_cdaval_report *rep, size_t nfirst,
		       bool with_text, char *out, size_t len);

void gw_cdaval_report_dispose(struct gw_cdaval_report *rep);

#endif
