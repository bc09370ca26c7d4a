/*
 * xform - compile dxgw's stylesheets once and run them under security
 * preferences that keep them inside their input. See xform.h.
 */
#include "xform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/documents.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#define MAX_SHEETS 16
#define MAX_PARAMS 16
#define PARSE_OPTS                                                             \
	(XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |             \
	 XML_PARSE_NOWARNING)

struct gw_xform {
	char name[64];
	xsltStylesheetPtr style;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_xform *sheets[MAX_SHEETS];
static size_t nsheets;
static xsltSecurityPrefsPtr prefs;

/* The loader for xsl:import, xsl:include and document(): nothing. */
static xmlDocPtr
refuse_loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
	      xsltLoadType type)
{
	(void)uri, (void)dict, (void)options, (void)ctxt, (void)type;
	return NULL;
}

static int
init_prefs(struct gw_err *err)
{
	static const xsltSecurityOption opts[] = {
	    XSLT_SECPREF_READ_FILE, XSLT_SECPREF_WRITE_FILE,
	    XSLT_SECPREF_CREATE_DIRECTORY, XSLT_SECPREF_READ_NETWORK,
	    XSLT_SECPREF_WRITE_NETWORK};

	if (prefs)
		return 0;
	prefs = xsltNewSecurityPrefs();
	if (!prefs)
		return gw_err_set(err, GW_ERROR, "4.3.0",
				  "xform: out of memory");
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		xsltSetSecurityPrefs(prefs, opts[i], xsltSecurityForbid);
	xsltSetLoaderFunc(refuse_loader);
	return 0;
}

static struct gw_xform *
compile(const char *name, struct gw_err *err)
{
	const struct gw_xform_file *f;
	struct gw_xform *x = NULL;
	xmlDocPtr doc = NULL;
	const char *data = NULL;
	size_t len = 0;

	for (f = gw_xform_files; f->name; f++)
		if (strcmp(f->name, name) == 0)
			break;
	if (!f->name) {
		gw_err_set(err, GW_ENOTFOUND, "4.3.0",
			   "xform: no stylesheet %s", name);
		goto out;
	}
	data = (const char *)f->data;
	len = f->len;
	doc = xmlReadMemory(data, (int)len, name, NULL, PARSE_OPTS);
	if (!doc) {
		gw_err_set(err, GW_EPARSE, "4.3.0",
			   "xform: %s is not well-formed XML", name);
		goto out;
	}
	x = calloc(1, sizeof *x);
	if (!x) {
		gw_err_set(err, GW_ERROR, "4.3.0", "xform: out of memory");
		goto out;
	}
	snprintf(x->name, sizeof x->name, "%s", name);
	x->style = xsltParseStylesheetDoc(doc);
	if (!x->style || x->style->errors) {
		if (!x->style)
			xmlFreeDoc(doc);
		else
			xsltFreeStylesheet(x->style);
		free(x);
		x = NULL;
		gw_err_set(err, GW_EPARSE, "4.3.0",
			   "xform: %s does not compile", name);
	}
	doc = NULL; /* owned by the stylesheet now, or freed */
out:
	if (doc)
		xmlFreeDoc(doc);
	return x;
}

const struct gw_xform *
gw_xform_get(const char *name, struct gw_err *err)
{
	struct gw_xform *x = NULL;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsheets; i++)
		if (strcmp(sheets[i]->name, name) == 0) {
			x = sheets[i];
			goto out;
		}
	if (init_prefs(err) != 0)
		goto out;
	if (nsheets == MAX_SHEETS) {
		gw_err_set(err, GW_ELIMIT, "4.3.0",
			   "xform: more than %d stylesheets", MAX_SHEETS);
		goto out;
	}
	x = compile(name, err);
	if (x)
		sheets[nsheets++] = x;
out:
	pthread_mutex_unlock(&lock);
	return x;
}

/* Quote each value as an XPath string literal for libxslt. */
static int
quote_params(const char *const *params, const char **v, char **owned,
	     struct gw_err *err)
{
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; params && params[i]; i += 2) {
		const char *val = params[i + 1];
		char q;

		if (n + 3 > MAX_PARAMS * 2 || !val) {
			rc = gw_err_set(err, GW_ELIMIT, "5.3.0",
					"xform: too many or incomplete "
					"parameters");
			break;
		}
		q = strchr(val, '\'') ? '"' : '\'';
		if (strchr(val, q)) {
			rc = gw_err_set(err, GW_EPARSE, "5.6.0",
					"xform: parameter %s holds both quote "
					"characters",
					params[i]);
			break;
		}
		owned[n / 2] = malloc(strlen(val) + 3);
		if (!owned[n / 2]) {
			rc = gw_err_set(err, GW_ERROR, "4.3.0",
					"xform: out of memory");
			break;
		}
		snprintf(owned[n / 2], strlen(val) + 3, "%c%s%c", q, val, q);
		v[n] = params[i];
		v[n + 1] = owned[n / 2];
		n += 2;
	}
	v[n] = NULL;
	return rc;
}

int
gw_xform_run_doc(const struct gw_xform *x, struct _xmlDoc *doc,
		 const char *const *params, struct gw_buf *out,
		 struct gw_err *err)
{
	const char *v[MAX_PARAMS * 2 + 1];
	char *owned[MAX_PARAMS] = {0};
	xsltTransformContextPtr ctxt = NULL;
	xmlDocPtr res = NULL;
	xmlChar *text = NULL;
	int len = 0, rc;

	rc = quote_params(params, v, owned, err);
	if (rc != 0)
		goto out;
	ctxt = xsltNewTransformContext(x->style, doc);
	if (!ctxt || xsltSetCtxtSecurityPrefs(prefs, ctxt) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "xform: out of memory");
		goto out;
	}
	res = xsltApplyStylesheetUser(x->style, doc, v, NULL, NULL, ctxt);
	if (!res || ctxt->state != XSLT_STATE_OK) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"xform: %s failed on this document", x->name);
		goto out;
	}
	if (xsltSaveResultToString(&text, &len, res, x->style) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"xform: %s: cannot serialise the result",
				x->name);
		goto out;
	}
	if (len > 0 && gw_buf_append(out, text, (size_t)len) != 0)
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"xform: %s: result larger than %zu bytes",
				x->name, out->max);
out:
	xmlFree(text);
	if (res)
		xmlFreeDoc(res);
	if (ctxt)
		xsltFreeTransformContext(ctxt);
	for (size_t i = 0; i < MAX_PARAMS; i++)
		free(owned[i]);
	return rc;
}

int
gw_xform_run(const struct gw_xform *x, const char *xml, size_t len,
	     const char *const *params, struct gw_buf *out, struct gw_err *err)
{
	xmlDocPtr doc;
	int rc;

	if (len > (size_t)INT32_MAX)
		return gw_err_set(err, GW_ELIMIT, "5.3.4",
				  "xform: input too large");
	doc = xmlReadMemory(xml, (int)len, "input.xml", NULL, PARSE_OPTS);
	if (!doc)
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "xform: input is not well-formed XML");
	rc = gw_xform_run_doc(x, doc, params, out, err);
	xmlFreeDoc(doc);
	return rc;
}
