/*
 * NAME
 *	render - C-CDA -> XHTML, safe to open (xslt/cda-to-xhtml.xsl)
 * SUMMARY
 *	gw_render_cda() parses a C-CDA with cda's hardened parser and runs
 *	dxgw's own stylesheet over it: header facts, a table of contents and
 *	every section's narrative block, as XHTML that runs and fetches
 *	nothing. Used by "dxgw render", for the XDM INDEX.HTM and for the
 *	optional text/html part of outbound Direct messages.
 * STANDARDS
 *	HL7 CDA R2 (narrative block, 4.3.5), C-CDA R1.1-R3.0, XHTML 1.0
 *	Strict (the page) / XHTML Basic 1.1 elements (the body part), CSP
 *	Level 2 (the meta policy), XSLT 1.0.
 * LIMITS
 *	Input as gw_cda_doc_parse() (GW_CDA_MAX_LEN, no DTD); output bounded
 *	by the caller's buffer; idprefix GW_RENDER_PREFIX_MAX characters.
 */
#ifndef GW_RENDER_H
#define GW_RENDER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* The stylesheet under xslt/ (embedded, see xform.h). */
#define GW_RENDER_XSL        "cda-to-xhtml.xsl"
#define GW_RENDER_PREFIX_MAX 32

enum gw_render_part {
	GW_RENDER_DOCUMENT, /* a whole XHTML 1.0 page: DOCTYPE, CSP, style */
	GW_RENDER_BODY,     /* one <div class="cda">, to embed in a page */
};

/*
 * Render the C-CDA xml[0..len) and append the result to out. idprefix
 * (NULL or "" for none) starts every id and in-page link of the result,
 * so that several bodies can share one page; it must be a letter then
 * letters, digits, '-' or '_', at most GW_RENDER_PREFIX_MAX. Returns 0;
 * GW_ENOTFOUND when the root is not an HL7 v3 ClinicalDocument,
 * GW_EPARSE when the XML is not well-formed or has a DTD, GW_ELIMIT past
 * an input limit or out's maximum, GW_ERROR otherwise (err says which).
 * On error out is left as it was. Thread-safe.
 */
int gw_render_cda(const char *xml, size_t len, enum gw_render_part part,
		  const char *idprefix, struct gw_buf *out, struct gw_err *err);

/*
 * Append the stylesheet's <style> element (what a page embedding
 * GW_RENDER_BODY parts needs in its head) to out. Thread-safe.
 */
int gw_render_style(struct gw_buf *out, struct gw_err *err);

#endif
