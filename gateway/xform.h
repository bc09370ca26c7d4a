/*
 * NAME
 *	xform - XSLT 1.0 runner (libxslt) for dxgw's own stylesheets
 * SUMMARY
 *	Stylesheets live in xslt/ and are compiled into the binary
 *	(scripts/embed.sh): dxgw needs no data files at run time, and a
 *	changed stylesheet takes a rebuild. Each stylesheet is compiled
 *	once and cached for the life of the process; a compiled stylesheet
 *	is read-only and is run by many threads at once.
 *
 *	Every run uses libxslt security preferences that forbid reading or
 *	writing files, creating directories and any network access, and a
 *	document loader that refuses everything: document(), xsl:import and
 *	xsl:include cannot reach outside the input (SECURITY in
 *	ARCHITECTURE.md).
 * STANDARDS
 *	XSLT 1.0, XPath 1.0.
 * LIMITS
 *	Stylesheets must be self-contained (no xsl:import/xsl:include).
 *	Parameters are passed as XPath string literals; a value holding both
 *	quote characters is refused.
 */
#ifndef GW_XFORM_H
#define GW_XFORM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* One embedded stylesheet (table generated at build time). */
struct gw_xform_file {
	const char *name; /* file name under xslt/, e.g. "cda-to-xhtml.xsl" */
	const unsigned char *data;
	size_t len;
};

/* The generated table, ended by a NULL name. */
extern const struct gw_xform_file gw_xform_files[];

struct gw_xform;
struct _xmlDoc;

/*
 * The compiled stylesheet called name, compiled on first use and kept for
 * the life of the process. Thread-safe. NULL with err set if it is missing
 * or does not compile.
 */
const struct gw_xform *gw_xform_get(const char *name, struct gw_err *err);

/*
 * Run x on doc (parsed by the caller's module with hardened options; not
 * modified). params: NULL, or name, value, name, value, ..., NULL, each
 * value passed as a string. The result, serialised as the stylesheet's
 * xsl:output says, is appended to out (whose maximum bounds it).
 */
int gw_xform_run_doc(const struct gw_xform *x, struct _xmlDoc *doc,
		     const char *const *params, struct gw_buf *out,
		     struct gw_err *err);

/* The same on xml bytes, parsed here (NONET, no entities, no DTD). */
int gw_xform_run(const struct gw_xform *x, const char *xml, size_t len,
		 const char *const *params, struct gw_buf *out,
		 struct gw_err *err);

#endif
