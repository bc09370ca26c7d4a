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

#endif
