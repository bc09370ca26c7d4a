/*
 * NAME
 *	cda - XDS metadata facts from a C-CDA header
 * SUMMARY
 *	gw_cda_sniff() tells cheaply whether bytes look like an HL7 CDA
 *	ClinicalDocument; gw_cda_header_parse() parses the document with
 *	hardened libxml2 options and runs xslt/cda-to-metadata.xsl, the one
 *	place the CDA -> XDS rules live, to get the header values that feed
 *	a DocumentEntry (SPEC 8.3), already in XDS value formats (DTM in UTC,
 *	CX, XCN, XON, XTN), each with the CDA location it came from.
 * STANDARDS
 *	HL7 CDA R2, C-CDA R1.1/R2.0/R2.1, ITI TF-3 4.2.3.2 (DocumentEntry
 *	attributes), HL7 v2 data types CX/XCN/XON/XTN/DTM.
 */
#ifndef GW_CDA_H
#define GW_CDA_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Largest document gw_cda_header_parse() accepts. */
#define GW_CDA_MAX_LEN (64u * 1024u * 1024u)

/* The formatCode codingScheme we emit (SPEC 8.2: current NIST toolkit). */
#define GW_CDA_FORMAT_SCHEME "2.16.840.1.113883.4.642.1.1407"

/* The stylesheet that holds the extraction rules (xslt/). */
#define GW_CDA_XSL "cda-to-metadata.xsl"

/*
 * Built-in defaults for the two DocumentEntry codes a C-CDA header does
 * not (always) carry, as code^codingScheme^display (SNOMED CT, the value
 * sets of HITSP C80 that XDS affinity domains in the US use): an
 * ambulatory care site, general medicine. Config keys
 * cda_facility_type_code and cda_practice_setting_code override them.
 */
#define GW_CDA_DEF_FACILITY                                                    \
	"35971002^2.16.840.1.113883.6.96^Ambulatory care site"
#define GW_CDA_DEF_PRACTICE "394802001^2.16.840.1.113883.6.96^General medicine"

/* Most sourcePatientInfo values kept (PID-3, -5, -7, -8, -11 today). */
#define GW_CDA_MAX_SPI 8
/* Most explained values kept (the stylesheet emits about 25). */
#define GW_CDA_MAX_FACTS 64

/* A coded value; any member may be NULL. */
struct gw_cda_code {
	char *code;    /* @code */
	char *scheme;  /* @codeSystem (OID) */
	char *display; /* @displayName */
};

/*
 * One DocumentEntry value as the stylesheet made it, for dxgw submit
 * --explain: name is the XDS attribute (patientId, authorPerson, ...),
 * value the XDS value (a code as code^codingScheme^display), source the
 * CDA location (an XPath such as /ClinicalDocument/recordTarget[1]/
 * patientRole[1]/id[1]) or the label of the default that supplied it.
 */
struct gw_cda_fact {
	char *name;
	char *value;
	char *source;
};

/*
 * Header facts. Every string is owned by the struct and may be NULL when
 * the document does not carry the value (or carries it in a form that
 * would not pass the XDR validators' rules, such as a malformed time
 * stamp or a patient id whose assigning authority is not an OID).
 */
struct gw_cda_header {
	char *unique_id;         /* ClinicalDocument/id: root^extension, root,
				    or urn:uuid: of a UUID root */
	char *patient_id;        /* CX extension^^^&root&ISO of the first
				    patientRole/id that makes one */
	char *source_patient_id; /* CX; the same id (no domain mapping) */
	char *creation_time;     /* effectiveTime/@value as DTM in UTC */
	char *title;             /* title, whitespace collapsed */
	struct gw_cda_code type; /* ClinicalDocument/code */
	struct gw_cda_code class_code;       /* LOINC class of the type */
	struct gw_cda_code confidentiality;  /* confidentialityCode */
	struct gw_cda_code facility_type;    /* healthCareFacility/code, or the
						default */
	struct gw_cda_code practice_setting; /* the default */
	struct gw_cda_code format;           /* SPEC 8.2 formatCode */
	char *language;                      /* languageCode/@code */
	char *author_person;      /* XCN of the first person/org author */
	char *author_institution; /* XON of its representedOrganization */
	char *author_role;        /* CWE of author/functionCode */
	char *author_specialty;   /* CWE of assignedAuthor/code */
	char *author_telecom;     /* XTN ^^Internet^addr from a mailto: */
	char *service_start;      /* serviceEvent/effectiveTime/low, DTM UTC */
	char *service_stop;       /* serviceEvent/effectiveTime/high, DTM UTC */
	/* sourcePatientInfo slot values: "PID-3|...", "PID-5|...", ... */
	char *source_patient_info[GW_CDA_MAX_SPI];
	size_t nsource_patient_info;
	/* Every value with its source, in the stylesheet's order. */
	struct gw_cda_fact facts[GW_CDA_MAX_FACTS];
	size_t nfacts;
};

/*
 * Defaults for the values a header may lack, each "code^scheme^display"
 * (NULL or "" = none), with the label --explain shows as their source
 * (NULL = "default").
 */
struct gw_cda_defaults {
	const char *facility_type;
	const char *facility_source;
	const char *practice_setting;
	const char *practice_source;
};

/*
 * True if p looks like an XML ClinicalDocument in urn:hl7-org:v3: after an
 * optional UTF-8 BOM, white space, the XML declaration, comments and
 * processing instructions, the root start tag is ClinicalDocument (any
 * prefix) bound to the HL7 v3 namespace. A DOCTYPE makes it false. Does not
 * parse; a true answer does not promise gw_cda_header_parse() succeeds.
 * Thread-safe.
 */
bool gw_cda_sniff(const char *p, size_t len);

/*
 * Parse xml (len bytes, need not be NUL-terminated), run the stylesheet
 * GW_CDA_XSL over it with def's codes as parameters (def NULL: the
 * built-in GW_CDA_DEF_* defaults) and fill a header from its output. On
 * success *out is a new header the caller releases with
 * gw_cda_header_free(). Returns GW_ELIMIT if len > GW_CDA_MAX_LEN or the
 * tree is nested deeper than libxml2's default limit, GW_EPARSE if the XML
 * is not well-formed or has a DTD (or a default is not code^scheme^display),
 * GW_ENOTFOUND if the root is not an HL7 v3 ClinicalDocument, GW_ERROR if
 * the stylesheet cannot be loaded or run. Thread-safe (own parser context;
 * the compiled stylesheet is shared read-only). This is the per-document
 * cost of every submission: a bench times this call.
 */
int gw_cda_header_parse_with(const char *xml, size_t len,
			     const struct gw_cda_defaults *def,
			     struct gw_cda_header **out, struct gw_err *err);

/* gw_cda_header_parse_with() with the built-in defaults. */
int gw_cda_header_parse(const char *xml, size_t len, struct gw_cda_header **out,
			struct gw_err *err);

/*
 * Parse xml with the checks of gw_cda_header_parse() (same limits and
 * return codes) and hand over the libxml2 tree in *out, for a stylesheet
 * run (gw_xform_run_doc). The caller frees it with gw_cda_doc_free().
 * Thread-safe.
 */
struct _xmlDoc;
int gw_cda_doc_parse(const char *xml, size_t len, struct _xmlDoc **out,
		     struct gw_err *err);
void gw_cda_doc_free(struct _xmlDoc *doc);

/*
 * Remove the ID attribute (CDA's, no namespace) from every element whose
 * ID an earlier element in document order already holds, so that IDs are
 * unique (the renderer writes them as XHTML ids and looks them up).
 * Linear in the size of the tree. Returns how many were removed.
 */
size_t gw_cda_doc_unique_ids(struct _xmlDoc *doc);

/* Release a header; NULL is fine. */
void gw_cda_header_free(struct gw_cda_header *h);

/*
 * True if s is "" (no default) or code^codingScheme^display with three
 * non-empty parts and no further ^ (the form of the config keys).
 */
bool gw_cda_code_ok(const char *s);

#endif
