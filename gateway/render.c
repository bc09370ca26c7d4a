/*
 * NAME
 *	render - C-CDA -> XHTML with xslt/cda-to-xhtml.xsl (see render.h)
 * DESCRIPTION
 *	The document is parsed by cda (the one hardened CDA parser: no DTD,
 *	no entities, no network, GW_CDA_MAX_LEN) and the tree is handed to
 *	xform, which runs the compiled stylesheet under security preferences
 *	that forbid files and network. libxml2 stays inside those two
 *	modules (scripts/lint.sh); this file only chooses the stylesheet's
 *	parameters and checks the one that comes from callers.
 *	What the stylesheet guarantees about its output (no script, no
 *	event attributes, no link or source outside the page, no style
 *	attribute, ids of a fixed scheme) is described at its top and
 *	tested over the whole corpus (tests/unit/test_render.c).
 * SECURITY
 *	The input is untrusted (an EHR's document, a mail attachment). The
 *	output is meant to be opened by people, in browsers and mail
 *	clients; see xslt/README.md for its rules.
 */
#include "render.h"

#include <stdbool.h>
#include <string.h>

#include "cda.h"
#include "xform.h"

/* The smallest input the stylesheet accepts, for the style part. */
#define EMPTY_CDA "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>"

/* A letter, then letters, digits, '-' or '_': safe in an id and a URL. */
static bool
prefix_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > GW_RENDER_PREFIX_MAX ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

int
gw_render_cda(const char *xml, size_t len, enum gw_render_part part,
	      const char *idprefix, struct gw_buf *out, struct gw_err *err)
{
	const char *params[] = {
	    "part", part == GW_RENDER_BODY ? "body" : "document", "idprefix",
	    idprefix != NULL ? idprefix : "", NULL};
	const struct gw_xform *x;
	struct _xmlDoc *doc = NULL;
	int rc;

	if (idprefix != NULL && idprefix[0] != '\0' && !prefix_ok(idprefix)) {
		rc =
		    gw_err_set(err, GW_ERROR, "5.6.0", "render: bad id prefix");
		goto out;
	}
	if ((x = gw_xform_get(GW_RENDER_XSL, err)) == NULL) {
		rc = err->code < 0 ? err->code : GW_ERROR;
		goto out;
	}
	if ((rc = gw_cda_doc_parse(xml, len, &doc, err)) < 0)
		goto out;
	/* The stylesheet writes IDs as ids and looks them up: one each. */
	(void)gw_cda_doc_unique_ids(doc);
	rc = gw_xform_run_doc(x, doc, params, out, err);
out:
	gw_cda_doc_free(doc);
	return rc;
}

int
gw_render_style(struct gw_buf *out, struct gw_err *err)
{
	static const char *const params[] = {"part", "style", NULL};
	const struct gw_xform *x = gw_xform_get(GW_RENDER_XSL, err);

	if (x == NULL)
		return err->code < 0 ? err->code : GW_ERROR;
	return gw_xform_run(x, EMPTY_CDA, strlen(EMPTY_CDA), params, out, err);
}
