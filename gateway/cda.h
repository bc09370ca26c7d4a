/*
 * NAME
 *	cda - XDS metadata facts from a C-CDA header
 * SUMMARY
 *	gw_cda_sniff() tells cheaply whether bytes look like an HL7 CDA
 *	ClinicalDocument; gw_cda_header_parse() parses the document with
 *	hardened libxml2 options and extracts the header values that feed a
 *	DocumentEntry (SPEC 8.3), already converted to XDS value formats
 *	(DTM in UTC, CX, XCN, XON, XTN).
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

/* A coded value; any member may be NULL. */
struct gw_cda_code {
	char *code;    /* @code */
	char *scheme;  /* @codeSystem (OID) */
	char *display; /* @displayName */
};

/*
 * Header facts. Every string is owned by the struct and may be NULL when
 * the document does not carry the value (or carries it in a form we could
 * not convert, such as a malformed time stamp).
 */
struct gw_cda_header {
	char *unique_id;     /* ClinicalDocument/id: root^extension, or root */
	char *patient_id;    /* first patientRole/id with root and extension,
				as CX extension^^^&root&ISO */
	char *creation_time; /* effectiveTime/@value as DTM in UTC */
	char *title;         /* title, whitespace collapsed */
	struct gw_cda_code type;            /* ClinicalDocument/code */
	struct gw_cda_code confidentiality; /* confidentialityCode */
	struct gw_cda_code facility_type;   /* encompassingEncounter/location/
					       healthCareFacility/code */
	char *language;                     /* languageCode/@code */
	char *author_person;      /* XCN of the first author's person */
	char *author_institution; /* XON of its representedOrganization */
	char *author_telecom;     /* XTN ^^Internet^addr from a mailto: */
	char *service_start;      /* serviceEvent/effectiveTime/low, DTM UTC */
	char *service_stop;       /* serviceEvent/effectiveTime/high, DTM UTC */
	char *format_code;        /* SPEC 8.2, from templateIds and body kind */
	char *format_scheme;      /* GW_CDA_FORMAT_SCHEME when format_code */
	char *format_display;     /* a display name for format_code */
	char *source_patient_info_name; /* PID-5 XPN family^given^^suffix^prefix
					 */
	char *source_patient_info_dob;  /* PID-7 birthTime digits */
	char *source_patient_info_gender; /* PID-8 administrativeGenderCode */
	/* The same as sourcePatientInfo slot values: "PID-3|...", ... */
	char *source_patient_info[4];
	size_t nsource_patient_info;
	bool nonxml_body; /* component/nonXMLBody rather than structuredBody */
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
 * Parse xml (len bytes, need not be NUL-terminated) and extract the header.
 * On success *out is a new header the caller releases with
 * gw_cda_header_free(). Returns GW_ELIMIT if len > GW_CDA_MAX_LEN or the
 * tree is nested deeper than libxml2's default limit, GW_EPARSE if the XML
 * is not well-formed or has a DTD, GW_ENOTFOUND if the root is not an HL7
 * v3 ClinicalDocument. Thread-safe (own parser context).
 */
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
 * Convert an HL7 v3 TS (YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]) to an XDS
 * DTM in UTC: the offset is applied when the value has a time of day,
 * fractional seconds are dropped and the original precision is kept
 * (never padded). A date-only value keeps its date. Returns a new string
 * (free()) or NULL if ts is not a valid TS.
 */
char *gw_cda_ts_to_utc(const char *ts);

#endif
