/*
 * NAME
 *	xdsbuild - the lcm:SubmitObjectsRequest of an ITI-41 request
 * SUMMARY
 *	gw_xdsbuild_submission() writes the ebRIM 3.0 metadata (one
 *	ExtrinsicObject per document, one SubmissionSet RegistryPackage, one
 *	HasMember Association per document) as XML text into a bounded
 *	gw_buf, for the dxgw submit client.
 * STANDARDS
 *	IHE ITI TF-2b 3.41 (Provide and Register Document Set-b), ITI TF-3
 *	4.2/4.3 (metadata, Table 4.3.1-3 XDR DS and XDR MS columns),
 *	OASIS ebRIM/ebRS 3.0.
 */
#ifndef GW_XDSBUILD_H
#define GW_XDSBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct gw_cda_header;

/* A code: absent when code is NULL, else all three must be set. */
struct gw_xdsbuild_code {
	const char *code;    /* nodeRepresentation */
	const char *scheme;  /* codingScheme slot */
	const char *display; /* Name */
};

/* One DocumentEntry. All pointers are borrowed; NULL means absent. */
struct gw_xdsbuild_doc {
	const char *id; /* symbolic id, e.g. "Document01"; must equal the
			   xds:Document/@id the client sends */
	const char *mime_type;
	uint64_t size;    /* written when > 0 or when sha1 is set */
	const char *sha1; /* 40 hex digits of the document bytes */
	const char *unique_id;
	const char *patient_id;        /* CX */
	const char *source_patient_id; /* CX */
	const char *creation_time;     /* DTM, UTC */
	const char *title;
	const char *language;
	const char *service_start;
	const char *service_stop;
	const char *author_person;      /* XCN */
	const char *author_institution; /* XON */
	const char *author_role;        /* CWE code^display^scheme */
	const char *author_specialty;   /* CWE code^display^scheme */
	const char *author_telecom;     /* XTN */
	struct gw_xdsbuild_code class_code, type_code, format_code,
	    confidentiality, healthcare_facility, practice_setting;
	const char *const *source_patient_info; /* "PID-5|...", ... */
	size_t nsource_patient_info;
};

/* A submission. All pointers are borrowed. */
struct gw_xdsbuild {
	bool limited;                /* limitedMetadata (XDR MS) rather than
					full metadata (XDR DS) */
	const char *ss_unique_id;    /* OID; NULL -> a fresh 2.25 OID */
	const char *source_id;       /* OID, required */
	const char *patient_id;      /* SS patientId (CX) or NULL */
	const char *submission_time; /* DTM; NULL -> now, UTC */
	const char *title;
	struct gw_xdsbuild_code content_type;
	const char *author_telecom; /* sender XTN: ^^Internet^from@x */
	const char *const *intended_recipients; /* bare Direct addresses */
	size_t nintended;
	const struct gw_xdsbuild_doc *docs;
	size_t ndocs;
};

/* The symbolic id of the SubmissionSet RegistryPackage. */
#define GW_XDSBUILD_SS_ID "SubmissionSet01"

/*
 * Append the lcm:SubmitObjectsRequest element (xmlns:lcm and xmlns:rim on
 * it, no XML declaration) to out. Absent values produce no slot,
 * classification or identifier; every value is XML-escaped.
 * Returns 0; GW_ERROR with err naming the field when a required input is
 * missing or malformed (any mode: source_id, at least one document, doc
 * id/uniqueId/mimeType, a partial code, a bad sha1, duplicate ids, a
 * DocumentEntry patientId that differs from the SubmissionSet's; full mode
 * also: SS contentTypeCode and patientId, and each DocumentEntry's
 * classCode, confidentialityCode, creationTime, formatCode,
 * healthcareFacilityTypeCode, languageCode, patientId, practiceSettingCode,
 * sourcePatientId and typeCode - the XDR DS column); GW_ELIMIT if out's
 * maximum is reached. On error out is left as it was. Thread-safe.
 */
int gw_xdsbuild_submission(const struct gw_xdsbuild *in, struct gw_buf *out,
			   struct gw_err *err);

/*
 * Fill d's metadata from a parsed CDA header (cda-to-metadata.xsl):
 * uniqueId, patientId and sourcePatientId, creationTime, title, language,
 * service times, author (person, institution, role, specialty, telecom),
 * typeCode, classCode, confidentialityCode, healthcareFacilityTypeCode and
 * practiceSettingCode (the header's, else the configured defaults),
 * formatCode, sourcePatientInfo, mimeType text/xml. A code the header does
 * not carry is left absent (an error later in full mode, omitted in
 * limited mode). Leaves id, size and sha1 for the caller. Pointers are
 * borrowed from h, which must outlive d.
 */
void gw_xdsbuild_doc_from_cda(struct gw_xdsbuild_doc *d,
			      const struct gw_cda_header *h);

#endif
