/*
 * NAME
 *	xdsxml - ebRIM 3.0 SubmitObjectsRequest XML into the xds model
 * SUMMARY
 *	Parses the bytes of one lcm:SubmitObjectsRequest (ITI-41 body or
 *	XDM METADATA.XML) with hardened libxml2 options and checks the
 *	ebRIM 3.0 element structure and order while building the model.
 * STANDARDS
 *	ebRIM 3.0 / ebRS 3.0 (OASIS regrep-rim-3.0, regrep-lcm-3.0), ITI-41.
 */
#ifndef GW_XDSXML_H
#define GW_XDSXML_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "xds.h"

/*
 * Parse xml[0..len) - one lcm:SubmitObjectsRequest element with its
 * namespace declarations, optionally preceded by an XML declaration -
 * into a new submission (*out, free with gw_xds_submission_free) and
 * index it (gw_xds_submission_index). lim may be NULL (defaults).
 * Returns 0; or GW_EPARSE (not well-formed, DTD present, wrong root,
 * ebRIM 2.1, structure or element order invalid per ebRIM 3.0) or
 * GW_ELIMIT (depth, object count or value length limit passed), after
 * adding one XDSRegistryMetadataError to errs saying what is wrong; then
 * *out is NULL. Never reads the network or external entities.
 * Thread-safe (libxml2 must have been initialised once, which
 * xmlCtxtReadMemory does on first use).
 */
int gw_xdsxml_parse(const char *xml, size_t len,
		    const struct gw_xds_limits *lim,
		    struct gw_xds_submission **out, struct gw_xds_errors *errs);

/* The XDM slots of one DocumentEntry, to be written (ITI-32, XDM). */
struct gw_xdsxml_docslots {
	const char *id;   /* ExtrinsicObject/@id */
	const char *uri;  /* relative to METADATA.XML's folder */
	uint64_t size;    /* byte count */
	const char *sha1; /* 40 hex digits */
};

/*
 * Rewrite a stored lcm:SubmitObjectsRequest xml[0..len) for XDM: every
 * rim:ExtrinsicObject gets exactly one URI, size and hash rim:Slot with
 * the values of the docs[] entry whose id equals its @id (existing slots
 * of those names are replaced; the new ones follow the other Slots, as
 * ebRIM 3.0 puts Slot* first). *out (free()) receives the document as
 * UTF-8 with an XML declaration, *out_len its length. lim may be NULL.
 * Returns 0; GW_EPARSE (not well-formed, DTD, wrong root), GW_ELIMIT
 * (depth or element count), GW_ENOTFOUND (a docs[] id names no
 * ExtrinsicObject) or GW_ERROR (an ExtrinsicObject without a docs[]
 * entry, duplicate ids, a value with a control character); then *out is
 * NULL. Never reads the network or external entities. Thread-safe.
 */
int gw_xdsxml_set_doc_slots(const char *xml, size_t len,
			    const struct gw_xds_limits *lim,
			    const struct gw_xdsxml_docslots *docs, size_t ndocs,
			    char **out, size_t *out_len, struct gw_err *err);

/* What one ExtrinsicObject of a METADATA.XML says about its file. */
struct gw_xdsxml_docinfo {
	char *id;        /* @id, or NULL */
	char *mime_type; /* @mimeType, or NULL */
	char *uri;       /* first Value of the URI slot, NULL if none */
	char *size;      /* likewise for size */
	char *hash;      /* and hash */
	int nuri;        /* number of URI slots; values in the first */
	int nsize;
	int nhash;
	int nuri_values;
	int nsize_values;
	int nhash_values;
};

/*
 * List every rim:ExtrinsicObject of an lcm:SubmitObjectsRequest (an XDM
 * METADATA.XML) in document order: *out (gw_xdsxml_docinfo_free) and
 * *n_out. Only the hardening and the root element are checked, not the
 * ebRIM content model (that is gw_xdsxml_parse's job). lim may be NULL.
 * Returns 0; GW_EPARSE or GW_ELIMIT as gw_xdsxml_set_doc_slots, with err
 * saying why; then *out is NULL. Thread-safe.
 */
int gw_xdsxml_doc_list(const char *xml, size_t len,
		       const struct gw_xds_limits *lim,
		       struct gw_xdsxml_docinfo **out, size_t *n_out,
		       struct gw_err *err);
void gw_xdsxml_docinfo_free(struct gw_xdsxml_docinfo *v, size_t n);

#endif
