/*
 * NAME
 *	cda - XDS metadata facts from a C-CDA header
 * SUMMARY
 *	Sniff, parse (libxml2) and run xslt/cda-to-metadata.xsl over the
 *	ClinicalDocument; read its small result document into a struct
 *	gw_cda_header whose strings are XDS-ready values.
 * DESCRIPTION
 *	The extraction rules (which CDA element feeds which DocumentEntry
 *	value, DTM/CX/XCN/XON/XTN building, HL7 v2 escaping, formatCode and
 *	classCode choice) live only in the stylesheet; this file parses the
 *	input safely, passes the configured defaults as parameters and copies
 *	the stylesheet's md:value/md:code elements (urn:dxgw:cda-metadata)
 *	into the header, keeping each value's source for --explain. The
 *	libxml2 trees live only inside gw_cda_header_parse_with(); every value
 *	is copied out with gw_xstrdup() into the header, which the caller owns
 *	and frees with gw_cda_header_free().
 * STANDARDS
 *	HL7 CDA R2 and C-CDA R1.1/R2.x (SPEC 8.1-8.3), ITI TF-3 4.2.3.2,
 *	HL7 v2.5 data types CX, XCN, XON, XTN, DTM and escape sequences.
 * SECURITY
 *	Input is untrusted (EHR files, mail attachments). Parsed with
 *	XML_PARSE_NONET, never NOENT/DTDLOAD/HUGE; a DOCTYPE is rejected before
 *	parsing (no entity declarations reach libxml2) and again after
 *	parsing, in case an encoding hid it from the byte scan. The stylesheet
 *	runs under xform's security preferences (no files, no network). No
 *	privileges.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes of input; element depth is bounded by libxml2's
 *	default maximum (256 without XML_PARSE_HUGE); the stylesheet's output
 *	by OUT_MAX bytes; each value by FIELD_MAX bytes (a longer one is
 *	dropped, i.e. NULL); GW_CDA_MAX_SPI sourcePatientInfo values and
 *	GW_CDA_MAX_FACTS values in all. xmlInitParser() is called here, but a
 *	threaded process should call it once at startup as libxml2 asks.
 */
#include "cda.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "mem.h"
#include "xform.h"

#define V3_NS      "urn:hl7-org:v3"
#define MD_NS      "urn:dxgw:cda-metadata"
#define FIELD_MAX  4096
#define OUT_MAX    (256u * 1024u)
#define CODE_PARTS 3
#define PARSE_OPTIONS                                                          \
	(XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |             \
	 XML_PARSE_NOWARNING)

/* --- prolog scanning (no parser) ----------------------------------------- */

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t nl = strlen(needle);

	for (; (size_t)(end - p) >= nl; p++)
		if (memcmp(p, needle, nl) == 0)
			return p;
	return NULL;
}

/*
 * Skip BOM, white space, XML declaration, PIs and comments. Returns the
 * offset of the first other markup (the root start tag, or a DOCTYPE) or
 * len when there is none.
 */
static size_t
skip_prolog(const char *p, size_t len)
{
	const char *s = p, *end = p + len, *q;

	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	for (;;) {
		while (s < end && is_ws(*s))
			s++;
		if (end - s >= 2 && memcmp(s, "<?", 2) == 0) {
			q = find(s + 2, end, "?>");
			if (q == NULL)
				return len;
			s = q + 2;
		} else if (end - s >= 4 && memcmp(s, "<!--", 4) == 0) {
			q = find(s + 4, end, "-->");
			if (q == NULL)
				return len;
			s = q + 3;
		} else {
			return (size_t)(s - p);
		}
	}
}

static bool
is_doctype(const char *p, size_t len, size_t off)
{
	return len - off >= 9 && memcmp(p + off, "<!DOCTYPE", 9) == 0;
}

/* Does the start tag [s, e) bind prefix (len pl, 0 = default) to V3? */
static bool
binds_v3(const char *s, const char *e, const char *prefix, size_t pl)
{
	const char *q;
	char quote;

	for (q = find(s, e, "xmlns"); q != NULL; q = find(q + 5, e, "xmlns")) {
		const char *a = q + 5;

		if (pl > 0) {
			if (a >= e || *a != ':' || (size_t)(e - a - 1) < pl ||
			    memcmp(a + 1, prefix, pl) != 0)
				continue;
			a += 1 + pl;
		}
		while (a < e && is_ws(*a))
			a++;
		if (a >= e || *a != '=')
			continue;
		a++;
		while (a < e && is_ws(*a))
			a++;
		if (a >= e || (*a != '"' && *a != '\''))
			continue;
		quote = *a++;
		if ((size_t)(e - a) > strlen(V3_NS) &&
		    memcmp(a, V3_NS, strlen(V3_NS)) == 0 &&
		    a[strlen(V3_NS)] == quote)
			return true;
	}
	return false;
}

bool
gw_cda_sniff(const char *p, size_t len)
{
	size_t off, nl;
	const char *s, *e, *name, *colon;

	if (p == NULL)
		return false;
	off = skip_prolog(p, len);
	if (off >= len || p[off] != '<' || is_doctype(p, len, off))
		return false;
	s = p + off + 1;
	e = s;
	while (e < p + len && *e != '>')
		e++;
	if (e >= p + len)
		return false;
	name = s;
	while (s < e && !is_ws(*s) && *s != '/')
		s++;
	nl = (size_t)(s - name);
	colon = memchr(name, ':', nl);
	if (colon != NULL) {
		if ((size_t)(s - colon - 1) != 16 ||
		    memcmp(colon + 1, "ClinicalDocument", 16) != 0)
			return false;
		return binds_v3(s, e, name, (size_t)(colon - name));
	}
	if (nl != 16 || memcmp(name, "ClinicalDocument", 16) != 0)
		return false;
	return binds_v3(s, e, NULL, 0);
}

/* --- result reading ---------------------------------------------------- */

static bool
is_v3(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, V3_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Where each stylesheet value goes in the header. */
enum kind { K_STR, K_CODE, K_SPI };

static const struct field {
	const char *name;
	enum kind kind;
	size_t off;
} fields[] = {
    {"uniqueId", K_STR, offsetof(struct gw_cda_header, unique_id)},
    {"patientId", K_STR, offsetof(struct gw_cda_header, patient_id)},
    {"sourcePatientId", K_STR,
     offsetof(struct gw_cda_header, source_patient_id)},
    {"sourcePatientInfo", K_SPI, 0},
    {"creationTime", K_STR, offsetof(struct gw_cda_header, creation_time)},
    {"title", K_STR, offsetof(struct gw_cda_header, title)},
    {"typeCode", K_CODE, offsetof(struct gw_cda_header, type)},
    {"classCode", K_CODE, offsetof(struct gw_cda_header, class_code)},
    {"confidentialityCode", K_CODE,
     offsetof(struct gw_cda_header, confidentiality)},
    {"languageCode", K_STR, offsetof(struct gw_cda_header, language)},
    {"authorPerson", K_STR, offsetof(struct gw_cda_header, author_person)},
    {"authorInstitution", K_STR,
     offsetof(struct gw_cda_header, author_institution)},
    {"authorRole", K_STR, offsetof(struct gw_cda_header, author_role)},
    {"authorSpecialty", K_STR,
     offsetof(struct gw_cda_header, author_specialty)},
    {"authorTelecommunication", K_STR,
     offsetof(struct gw_cda_header, author_telecom)},
    {"serviceStartTime", K_STR, offsetof(struct gw_cda_header, service_start)},
    {"serviceStopTime", K_STR, offsetof(struct gw_cda_header, service_stop)},
    {"formatCode", K_CODE, offsetof(struct gw_cda_header, format)},
    {"healthcareFacilityTypeCode", K_CODE,
     offsetof(struct gw_cda_header, facility_type)},
    {"practiceSettingCode", K_CODE,
     offsetof(struct gw_cda_header, practice_setting)},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* A copy of attribute name of n; NULL if absent, empty or too long. */
static char *
attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = NULL;

	if (v != NULL && v[0] != '\0' && strlen((char *)v) <= FIELD_MAX)
		s = gw_xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* The text of n; NULL if empty or too long. */
static char *
text(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = NULL;

	if (v != NULL && v[0] != '\0' && strlen((char *)v) <= FIELD_MAX)
		s = gw_xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* code^scheme^display of c for --explain; NULL if it does not fit. */
static char *
code_text(const struct gw_cda_code *c)
{
	struct gw_buf b;

	gw_buf_init(&b, FIELD_MAX * 3 + 3);
	if (gw_buf_printf(&b, "%s^%s^%s", c->code, c->scheme, c->display) !=
	    0) {
		gw_buf_dispose(&b);
		return NULL;
	}
	return gw_buf_take(&b);
}

/*
 * Store one md:value or md:code. The first value of a single-valued
 * field wins (the stylesheet emits one; a site's edited copy might not).
 */
static void
take(struct gw_cda_header *h, const struct field *f, const xmlNode *n)
{
	char *value = NULL, *src = attr(n, "source");
	bool code = strcmp((const char *)n->name, "code") == 0;

	if (f->kind == K_CODE && code) {
		struct gw_cda_code *c = (void *)((char *)h + f->off);
		struct gw_cda_code v = {attr(n, "code"), attr(n, "scheme"),
					attr(n, "display")};

		if (c->code == NULL && v.code != NULL && v.scheme != NULL &&
		    v.display != NULL) {
			value = code_text(&v);
			*c = v;
		} else {
			free(v.code);
			free(v.scheme);
			free(v.display);
		}
	} else if (f->kind == K_STR && !code) {
		char **p = (char **)((char *)h + f->off);

		if (*p == NULL && (*p = text(n)) != NULL)
			value = gw_xstrdup(*p);
	} else if (f->kind == K_SPI && !code &&
		   h->nsource_patient_info < GW_CDA_MAX_SPI) {
		char *v = text(n);

		if (v != NULL) {
			h->source_patient_info[h->nsource_patient_info++] = v;
			value = gw_xstrdup(v);
		}
	}
	if (value != NULL && h->nfacts < GW_CDA_MAX_FACTS) {
		struct gw_cda_fact *x = &h->facts[h->nfacts++];

		x->name = gw_xstrdup(f->name);
		x->value = value;
		x->source = src != NULL ? src : gw_xstrdup("?");
		src = NULL;
	} else {
		free(value);
	}
	free(src);
}

/* Fill h from the stylesheet's result (md:metadata). */
static int
read_result(struct gw_cda_header *h, const struct gw_buf *res,
	    struct gw_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNode *root, *n;
	int rc = 0;

	doc = xmlReadMemory(res->data, (int)res->len, "metadata.xml", NULL,
			    PARSE_OPTIONS);
	root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || root->ns == NULL ||
	    strcmp((const char *)root->ns->href, MD_NS) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0",
				"CDA: %s gave no md:metadata", GW_CDA_XSL);
		goto out;
	}
	for (n = root->children; n != NULL; n = n->next) {
		xmlChar *name;

		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    strcmp((const char *)n->ns->href, MD_NS) != 0)
			continue;
		name = xmlGetNoNsProp(n, (const xmlChar *)"name");
		for (size_t i = 0; name != NULL && i < NFIELDS; i++)
			if (strcmp((const char *)name, fields[i].name) == 0) {
				take(h, &fields[i], n);
				break;
			}
		xmlFree(name);
	}
out:
	xmlFreeDoc(doc);
	return rc;
}

bool
gw_cda_code_ok(const char *s)
{
	const char *a, *b;

	if (s == NULL || *s == '\0')
		return true;
	a = strchr(s, '^');
	b = a != NULL ? strchr(a + 1, '^') : NULL;
	return a != NULL && b != NULL && a > s && b > a + 1 && b[1] != '\0' &&
	       strchr(b + 1, '^') == NULL && strlen(s) <= FIELD_MAX;
}

/*
 * The stylesheet parameters for one default code: NAME_code, _scheme,
 * _display and _source. Split copies go to store[0..2].
 */
static int
code_params(const char *prefix, const char *v, const char *label,
	    const char **p, char store[CODE_PARTS][FIELD_MAX + 1],
	    char names[4][32], struct gw_err *err)
{
	static const char *const part[] = {"code", "scheme", "display",
					   "source"};
	const char *s = v != NULL ? v : "";

	if (!gw_cda_code_ok(s))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "CDA: default %s '%.80s' is not "
				  "code^codingScheme^display",
				  prefix, s);
	for (int i = 0; i < CODE_PARTS; i++) {
		size_t n = strcspn(s, "^");

		memcpy(store[i], s, n);
		store[i][n] = '\0';
		s += s[n] == '^' ? n + 1 : n;
	}
	for (int i = 0; i < 4; i++) {
		if (snprintf(names[i], sizeof(names[i]), "%s_%s", prefix,
			     part[i]) >= (int)sizeof(names[i]))
			return gw_err_set(err, GW_ERROR, "4.3.0",
					  "CDA: parameter name too long");
		p[2 * i] = names[i];
		p[2 * i + 1] = i < CODE_PARTS  ? store[i]
			       : label != NULL ? label
					       : "default";
	}
	return 0;
}

/* Run the stylesheet on doc and fill a new header. */
static int
extract(xmlDocPtr doc, const struct gw_cda_defaults *def,
	struct gw_cda_header **out, struct gw_err *err)
{
	const struct gw_cda_defaults builtin = {
	    .facility_type = GW_CDA_DEF_FACILITY,
	    .practice_setting = GW_CDA_DEF_PRACTICE,
	};
	const char *params[2 * 9 + 1];
	char names[2][4][32];
	char(*st)[CODE_PARTS][FIELD_MAX + 1] = NULL;
	const struct gw_xform *x;
	struct gw_cda_header *h = NULL;
	struct gw_buf res;
	int rc;

	gw_buf_init(&res, OUT_MAX);
	st = gw_xmalloc(2 * sizeof(*st));
	if (def == NULL)
		def = &builtin;
	if ((rc = code_params("facility", def->facility_type,
			      def->facility_source, params, st[0], names[0],
			      err)) != 0 ||
	    (rc = code_params("practice", def->practice_setting,
			      def->practice_source, params + 8, st[1], names[1],
			      err)) != 0)
		goto out;
	params[16] = "format_scheme";
	params[17] = GW_CDA_FORMAT_SCHEME;
	params[18] = NULL;
	x = gw_xform_get(GW_CDA_XSL, err);
	if (x == NULL) {
		rc = GW_ERROR;
		goto out;
	}
	if ((rc = gw_xform_run_doc(x, doc, params, &res, err)) != 0)
		goto out;
	h = gw_xcalloc(1, sizeof(*h));
	if ((rc = read_result(h, &res, err)) != 0)
		goto out;
	*out = h;
	h = NULL;
out:
	gw_cda_header_free(h);
	gw_buf_dispose(&res);
	free(st);
	return rc;
}

/* --- parse -------------------------------------------------------------- */

static int
xml_error(xmlParserCtxtPtr ctxt, struct gw_err *err)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char msg[160];
	size_t n;
	int code = GW_EPARSE;

	if (e == NULL || e->message == NULL)
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "CDA: not well-formed XML");
	n = strlen(e->message);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, e->message, n);
	while (n > 0 && is_ws(msg[n - 1]))
		n--;
	msg[n] = '\0';
	/* libxml2 2.9 reports its depth cap as an internal error. */
	if (strstr(msg, "depth") != NULL)
		code = GW_ELIMIT;
	return gw_err_set(err, code, "5.6.0", "CDA: line %d: %s", e->line, msg);
}

int
gw_cda_doc_parse(const char *xml, size_t len, struct _xmlDoc **out,
		 struct gw_err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int rc = 0;

	*out = NULL;
	if (len > GW_CDA_MAX_LEN) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"CDA: document of %zu bytes exceeds %u", len,
				GW_CDA_MAX_LEN);
		goto done;
	}
	if (is_doctype(xml, len, skip_prolog(xml, len))) {
		rc = gw_err_set(
		    err, GW_EPARSE, "5.6.0",
		    "CDA: document type declarations are not accepted");
		goto done;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "CDA: no parser");
		goto done;
	}
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, PARSE_OPTIONS);
	if (doc == NULL) {
		rc = xml_error(ctxt, err);
		goto done;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = gw_err_set(
		    err, GW_EPARSE, "5.6.0",
		    "CDA: document type declarations are not accepted");
		goto done;
	}
	if (!is_v3(xmlDocGetRootElement(doc), "ClinicalDocument")) {
		rc = gw_err_set(
		    err, GW_ENOTFOUND, "5.6.0",
		    "CDA: root element is not an HL7 v3 ClinicalDocument");
		goto done;
	}
	*out = doc;
	doc = NULL;
done:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

void
gw_cda_doc_free(struct _xmlDoc *doc)
{
	xmlFreeDoc(doc);
}

size_t
gw_cda_doc_unique_ids(struct _xmlDoc *doc)
{
	xmlHashTablePtr seen = xmlHashCreate(256);
	xmlNode *n = xmlDocGetRootElement(doc);
	size_t removed = 0;

	if (seen == NULL)
		return 0;
	/* Iterative pre-order walk: no recursion on untrusted depth. */
	while (n != NULL) {
		xmlAttr *a = n->type == XML_ELEMENT_NODE
				 ? xmlHasNsProp(n, BAD_CAST "ID", NULL)
				 : NULL;

		if (a != NULL) {
			xmlChar *v = xmlNodeGetContent((xmlNode *)a);

			if (v != NULL && xmlHashLookup(seen, v) != NULL) {
				xmlRemoveProp(a);
				removed++;
			} else if (v != NULL) {
				xmlHashAddEntry(seen, v, n);
			}
			xmlFree(v);
		}
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent != NULL &&
				    n->parent->type == XML_ELEMENT_NODE
				? n->parent
				: NULL;
		if (n != NULL)
			n = n->next;
	}
	xmlHashFree(seen, NULL);
	return removed;
}

int
gw_cda_header_parse_with(const char *xml, size_t len,
			 const struct gw_cda_defaults *def,
			 struct gw_cda_header **out, struct gw_err *err)
{
	xmlDocPtr doc = NULL;
	int rc;

	*out = NULL;
	if ((rc = gw_cda_doc_parse(xml, len, &doc, err)) == 0)
		rc = extract(doc, def, out, err);
	gw_cda_doc_free(doc);
	return rc;
}

int
gw_cda_header_parse(const char *xml, size_t len, struct gw_cda_header **out,
		    struct gw_err *err)
{
	return gw_cda_header_parse_with(xml, len, NULL, out, err);
}

static void
code_free(struct gw_cda_code *c)
{
	free(c->code);
	free(c->scheme);
	free(c->display);
}

void
gw_cda_header_free(struct gw_cda_header *h)
{
	if (h == NULL)
		return;
	free(h->unique_id);
	free(h->patient_id);
	free(h->source_patient_id);
	free(h->creation_time);
	free(h->title);
	code_free(&h->type);
	code_free(&h->class_code);
	code_free(&h->confidentiality);
	code_free(&h->facility_type);
	code_free(&h->practice_setting);
	code_free(&h->format);
	free(h->language);
	free(h->author_person);
	free(h->author_institution);
	free(h->author_role);
	free(h->author_specialty);
	free(h->author_telecom);
	free(h->service_start);
	free(h->service_stop);
	for (size_t i = 0; i < h->nsource_patient_info; i++)
		free(h->source_patient_info[i]);
	for (size_t i = 0; i < h->nfacts; i++) {
		free(h->facts[i].name);
		free(h->facts[i].value);
		free(h->facts[i].source);
	}
	free(h);
}
