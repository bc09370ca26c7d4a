/*
 * NAME
 *	cda - XDS metadata facts from a C-CDA header
 * SUMMARY
 *	Sniff, parse (libxml2) and read the ClinicalDocument header into a
 *	struct gw_cda_header whose strings are XDS-ready values.
 * DESCRIPTION
 *	The document is parsed into a libxml2 tree that lives only inside
 *	gw_cda_header_parse(); every value is copied out with gw_xstrdup()
 *	into the header, which the caller owns and frees with
 *	gw_cda_header_free(). Elements are matched by local name in the
 *	urn:hl7-org:v3 namespace only, so foreign extensions (sdtc:) are never
 *	mistaken for header parts. An element with a nullFlavor simply has no
 *	values and leaves its field NULL.
 *	HL7 v2 delimiters (^ & | ~ \) inside values are escaped (\S\ \T\ \F\
 *	\R\ \E\) so that a name such as "Smith & Sons" cannot shift the
 *	components of an XCN or XON.
 * STANDARDS
 *	HL7 CDA R2 and C-CDA R1.1/R2.x (SPEC 8.1-8.3), ITI TF-3 4.2.3.2,
 *	HL7 v2.5 data types CX, XCN, XON, XTN, DTM and escape sequences.
 * SECURITY
 *	Input is untrusted (EHR files, mail attachments). Parsed with
 *	XML_PARSE_NONET, never NOENT/DTDLOAD/HUGE; a DOCTYPE is rejected before
 *	parsing (no entity declarations reach libxml2) and again after
 *	parsing, in case an encoding hid it from the byte scan. No privileges.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes of input; element depth is bounded by libxml2's
 *	default maximum (256 without XML_PARSE_HUGE); each built field is
 *	bounded by FIELD_MAX bytes (a longer one is dropped, i.e. NULL).
 *	xmlInitParser() is called here, but a threaded process should call it
 *	once at startup as libxml2 asks.
 */
#include "cda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "mem.h"

#define V3_NS         "urn:hl7-org:v3"
#define FIELD_MAX     4096
#define SCRATCH_MAX   24
#define CCDA_DOC_ROOT "2.16.840.1.113883.10.20.22.1."
#define CCDA_PGD_ROOT "2.16.840.1.113883.10.20.29.1"
#define CCDA_UNSTRUCT "2.16.840.1.113883.10.20.22.1.10"
#define CCDA_R20_DATE "2014-06-09"
#define PARSE_OPTIONS                                                          \
	(XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |             \
	 XML_PARSE_NOWARNING)

/* Scratch strings released together (keeps the builders free of leaks). */
struct tmp {
	char *p[SCRATCH_MAX];
	size_t n;
};

static char *
keep(struct tmp *t, char *s)
{
	if (s != NULL && t->n < SCRATCH_MAX)
		t->p[t->n++] = s;
	else if (s != NULL)
		abort(); /* a builder asked for more than SCRATCH_MAX: a bug */
	return s;
}

static void
tmp_free(struct tmp *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->p[i]);
	t->n = 0;
}

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

/* --- tree helpers ------------------------------------------------------- */

static bool
is_v3(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, V3_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* The first v3 child element named name after 'after' (NULL: from start). */
static xmlNode *
next_child(const xmlNode *parent, const xmlNode *after, const char *name)
{
	xmlNode *c;

	if (parent == NULL)
		return NULL;
	c = after != NULL ? after->next : parent->children;
	for (; c != NULL; c = c->next)
		if (is_v3(c, name))
			return c;
	return NULL;
}

static xmlNode *
child(const xmlNode *parent, const char *name)
{
	return next_child(parent, NULL, name);
}

/* Collapse runs of white space to one space and trim; NULL if empty. */
static char *
collapse(const char *s)
{
	char *out = gw_xmalloc(strlen(s) + 1), *o = out;
	bool sp = false;

	for (; *s != '\0'; s++) {
		if (is_ws(*s)) {
			sp = o != out;
			continue;
		}
		if (sp)
			*o++ = ' ';
		sp = false;
		*o++ = *s;
	}
	*o = '\0';
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

/* A copy of attribute name, trimmed; NULL if absent or empty. */
static char *
attr(const xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	s = collapse((const char *)v);
	xmlFree(v);
	return s;
}

/* The text content of n, white space collapsed; NULL if empty. */
static char *
text(const xmlNode *n)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlNodeGetContent(n);
	if (v == NULL)
		return NULL;
	s = collapse((const char *)v);
	xmlFree(v);
	return s;
}

static void
code_get(struct gw_cda_code *c, const xmlNode *n)
{
	c->code = attr(n, "code");
	c->scheme = attr(n, "codeSystem");
	c->display = attr(n, "displayName");
}

/* --- HL7 v2 value builders ---------------------------------------------- */

/* s with the HL7 v2 delimiters escaped; NULL stays NULL. */
static char *
v2_esc(const char *s)
{
	struct gw_buf b;
	const char *rep;
	int rc = 0;

	if (s == NULL)
		return NULL;
	gw_buf_init(&b, FIELD_MAX);
	for (; *s != '\0' && rc == 0; s++) {
		switch (*s) {
		case '^':
			rep = "\\S\\";
			break;
		case '&':
			rep = "\\T\\";
			break;
		case '|':
			rep = "\\F\\";
			break;
		case '~':
			rep = "\\R\\";
			break;
		case '\\':
			rep = "\\E\\";
			break;
		default:
			rep = NULL;
			break;
		}
		rc = rep != NULL ? gw_buf_puts(&b, rep)
				 : gw_buf_append(&b, s, 1);
	}
	if (rc != 0 || b.len == 0) {
		gw_buf_dispose(&b);
		return NULL;
	}
	return gw_buf_take(&b);
}

/* "&" root "&ISO" (HD with ISO type), root escaped; NULL if no root. */
static char *
v2_authority(const char *root)
{
	struct gw_buf b;
	char *e = v2_esc(root);
	int rc;

	if (e == NULL)
		return NULL;
	gw_buf_init(&b, FIELD_MAX);
	rc = gw_buf_printf(&b, "&%s&ISO", e);
	free(e);
	if (rc != 0) {
		gw_buf_dispose(&b);
		return NULL;
	}
	return gw_buf_take(&b);
}

/* Join already-escaped components with ^, dropping trailing empty ones. */
static char *
v2_join(char *const *comp, size_t n)
{
	struct gw_buf b;
	size_t last = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (comp[i] != NULL && comp[i][0] != '\0')
			last = i + 1;
	if (last == 0)
		return NULL;
	gw_buf_init(&b, FIELD_MAX);
	for (size_t i = 0; i < last && rc == 0; i++) {
		if (i > 0)
			rc = gw_buf_puts(&b, "^");
		if (rc == 0 && comp[i] != NULL)
			rc = gw_buf_puts(&b, comp[i]);
	}
	if (rc != 0) {
		gw_buf_dispose(&b);
		return NULL;
	}
	return gw_buf_take(&b);
}

/* The first id child with both root and extension. */
static xmlNode *
full_id(const xmlNode *parent)
{
	xmlNode *id = NULL;

	while ((id = next_child(parent, id, "id")) != NULL) {
		if (xmlHasProp(id, (const xmlChar *)"root") &&
		    xmlHasProp(id, (const xmlChar *)"extension"))
			return id;
	}
	return NULL;
}

/* CX: extension^^^&root&ISO from an II element. */
static char *
cx_from_id(const xmlNode *id)
{
	struct tmp t = {.n = 0};
	char *comp[4] = {NULL, NULL, NULL, NULL}, *out = NULL;

	if (id == NULL)
		return NULL;
	comp[0] = keep(&t, v2_esc(keep(&t, attr(id, "extension"))));
	comp[3] = keep(&t, v2_authority(keep(&t, attr(id, "root"))));
	if (comp[0] != NULL && comp[3] != NULL)
		out = v2_join(comp, 4);
	tmp_free(&t);
	return out;
}

/* The name to use from a person: the legal one (use="L") or the first. */
static xmlNode *
pick_name(const xmlNode *person)
{
	xmlNode *n = NULL, *first = child(person, "name");

	while ((n = next_child(person, n, "name")) != NULL) {
		xmlChar *use = xmlGetNoNsProp(n, (const xmlChar *)"use");
		bool legal = use != NULL && strcmp((char *)use, "L") == 0;

		xmlFree(use);
		if (legal)
			return n;
	}
	return first;
}

/*
 * Person name parts, escaped, into comp[]: family, given, middle, suffix,
 * prefix - the XPN/XCN order after the leading id. A name with no parts
 * but text is taken as the family name.
 */
static void
name_parts(struct tmp *t, const xmlNode *name, char *comp[5])
{
	xmlNode *g1 = child(name, "given");
	xmlNode *g2 = next_child(name, g1, "given");

	memset(comp, 0, 5 * sizeof(comp[0]));
	if (name == NULL)
		return;
	comp[0] = keep(t, v2_esc(keep(t, text(child(name, "family")))));
	comp[1] = keep(t, v2_esc(keep(t, text(g1))));
	/* A second given name is a middle name unless it is a call-me name. */
	if (g2 != NULL && !xmlHasProp(g2, (const xmlChar *)"qualifier"))
		comp[2] = keep(t, v2_esc(keep(t, text(g2))));
	comp[3] = keep(t, v2_esc(keep(t, text(child(name, "suffix")))));
	comp[4] = keep(t, v2_esc(keep(t, text(child(name, "prefix")))));
	if (comp[0] == NULL && comp[1] == NULL &&
	    child(name, "family") == NULL && g1 == NULL)
		comp[0] = keep(t, v2_esc(keep(t, text(name))));
}

/* --- header parts ------------------------------------------------------- */

static void
get_ids(struct gw_cda_header *h, const xmlNode *root)
{
	xmlNode *id = child(root, "id");
	char *r = attr(id, "root"), *x = attr(id, "extension");
	struct gw_buf b;

	if (r != NULL) {
		gw_buf_init(&b, FIELD_MAX);
		if ((x != NULL ? gw_buf_printf(&b, "%s^%s", r, x)
			       : gw_buf_puts(&b, r)) == 0)
			h->unique_id = gw_buf_take(&b);
		else
			gw_buf_dispose(&b);
	}
	free(r);
	free(x);
}

static void
get_patient(struct gw_cda_header *h, const xmlNode *root)
{
	xmlNode *role = child(child(root, "recordTarget"), "patientRole");
	xmlNode *pat = child(role, "patient"), *bt;
	struct tmp t = {.n = 0};
	char *comp[5];
	char *v;

	h->patient_id = cx_from_id(full_id(role));
	name_parts(&t, pick_name(pat), comp);
	h->source_patient_info_name = v2_join(comp, 5);
	tmp_free(&t);
	bt = child(pat, "birthTime");
	v = attr(bt, "value");
	if (v != NULL) {
		/* A birth date is a date: keep the digits, never shift it. */
		size_t n = strspn(v, "0123456789");

		if (n >= 4)
			h->source_patient_info_dob = gw_xstrndup(v, n);
		free(v);
	}
	h->source_patient_info_gender =
	    attr(child(pat, "administrativeGenderCode"), "code");
}

static void
spi_add(struct gw_cda_header *h, const char *pid, const char *v)
{
	struct gw_buf b;

	if (v == NULL || h->nsource_patient_info >= 4)
		return;
	gw_buf_init(&b, FIELD_MAX);
	if (gw_buf_printf(&b, "%s|%s", pid, v) == 0)
		h->source_patient_info[h->nsource_patient_info++] =
		    gw_buf_take(&b);
	else
		gw_buf_dispose(&b);
}

/* XCN: id^family^given^middle^suffix^prefix^^^&root&ISO. */
static char *
xcn(const xmlNode *aa)
{
	struct tmp t = {.n = 0};
	xmlNode *id = full_id(aa);
	char *comp[9] = {NULL};
	char *out;

	name_parts(&t, pick_name(child(aa, "assignedPerson")), comp + 1);
	if (id != NULL) {
		comp[0] = keep(&t, v2_esc(keep(&t, attr(id, "extension"))));
		comp[8] = keep(&t, v2_authority(keep(&t, attr(id, "root"))));
	}
	out = comp[0] != NULL || comp[1] != NULL || comp[2] != NULL
		  ? v2_join(comp, 9)
		  : NULL;
	tmp_free(&t);
	return out;
}

/* XON: Name^^^^^^^^^OID, or Name^^^^^&root&ISO^^^^extension. */
static char *
xon(const xmlNode *org)
{
	struct tmp t = {.n = 0};
	xmlNode *id = NULL;
	char *comp[10] = {NULL};
	char *root = NULL, *out = NULL;

	comp[0] = keep(&t, v2_esc(keep(&t, text(child(org, "name")))));
	while ((id = next_child(org, id, "id")) != NULL) {
		root = keep(&t, attr(id, "root"));
		if (root != NULL)
			break;
	}
	if (root != NULL) {
		char *ext = keep(&t, v2_esc(keep(&t, attr(id, "extension"))));

		if (ext != NULL) {
			comp[5] = keep(&t, v2_authority(root));
			comp[9] = ext;
		} else {
			comp[9] = keep(&t, v2_esc(root));
		}
	}
	if (comp[0] != NULL)
		out = v2_join(comp, 10);
	tmp_free(&t);
	return out;
}

/* XTN ^^Internet^addr from the first mailto: telecom of n. */
static char *
xtn_mail(const xmlNode *n)
{
	xmlNode *tel = NULL;
	struct gw_buf b;
	char *v, *e;

	while ((tel = next_child(n, tel, "telecom")) != NULL) {
		v = attr(tel, "value");
		if (v == NULL || strncasecmp(v, "mailto:", 7) != 0 ||
		    v[7] == '\0') {
			free(v);
			continue;
		}
		e = v2_esc(v + 7);
		free(v);
		if (e == NULL)
			return NULL;
		gw_buf_init(&b, FIELD_MAX);
		if (gw_buf_printf(&b, "^^Internet^%s", e) != 0)
			gw_buf_dispose(&b);
		free(e);
		return b.data != NULL && b.len > 0 ? gw_buf_take(&b) : NULL;
	}
	return NULL;
}

static void
get_author(struct gw_cda_header *h, const xmlNode *root)
{
	xmlNode *au = NULL, *aa = NULL;

	/* The first author that is a person or an organisation (not a
	 * device-only author). */
	while ((au = next_child(root, au, "author")) != NULL) {
		xmlNode *c = child(au, "assignedAuthor");

		if (child(c, "assignedPerson") != NULL ||
		    child(c, "representedOrganization") != NULL) {
			aa = c;
			break;
		}
	}
	if (aa == NULL)
		return;
	h->author_person = xcn(aa);
	h->author_institution = xon(child(aa, "representedOrganization"));
	h->author_telecom = xtn_mail(aa);
}

static void
get_times(struct gw_cda_header *h, const xmlNode *root)
{
	xmlNode *se = NULL, *doc = NULL, *et;
	char *v;

	v = attr(child(root, "effectiveTime"), "value");
	h->creation_time = v != NULL ? gw_cda_ts_to_utc(v) : NULL;
	free(v);
	while ((doc = next_child(root, doc, "documentationOf")) != NULL) {
		se = child(doc, "serviceEvent");
		if (se != NULL)
			break;
	}
	et = child(se, "effectiveTime");
	v = attr(child(et, "low"), "value");
	h->service_start = v != NULL ? gw_cda_ts_to_utc(v) : NULL;
	free(v);
	v = attr(child(et, "high"), "value");
	h->service_stop = v != NULL ? gw_cda_ts_to_utc(v) : NULL;
	free(v);
}

static bool
is_date_ext(const char *x)
{
	static const char shape[] = "dddd-dd-dd";

	if (x == NULL || strlen(x) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		bool d = x[i] >= '0' && x[i] <= '9';

		if (shape[i] == 'd' ? !d : x[i] != '-')
			return false;
	}
	return true;
}

/* SPEC 8.2: C-CDA version from the templateId extension, body kind. */
static void
get_format(struct gw_cda_header *h, const xmlNode *root)
{
	static const char *const codes[2][2][2] = {
	    {{"urn:hl7-org:sdwg:ccda-structuredBody:1.1",
	      "C-CDA R1.1 structured body"},
	     {"urn:hl7-org:sdwg:ccda-nonXMLBody:1.1",
	      "C-CDA R1.1 unstructured (nonXMLBody)"}},
	    {{"urn:hl7-org:sdwg:ccda-structuredBody:2.1",
	      "C-CDA R2.1 structured body"},
	     {"urn:hl7-org:sdwg:ccda-nonXMLBody:2.1",
	      "C-CDA R2.1 unstructured (nonXMLBody)"}}};
	xmlNode *tid = NULL;
	bool ccda = false, r2 = false;

	while ((tid = next_child(root, tid, "templateId")) != NULL) {
		char *r = attr(tid, "root"), *x = attr(tid, "extension");

		if (r != NULL &&
		    (strncmp(r, CCDA_DOC_ROOT, strlen(CCDA_DOC_ROOT)) == 0 ||
		     strcmp(r, CCDA_PGD_ROOT) == 0)) {
			ccda = true;
			/* R2.0 content is sent as 2.1 (SPEC 8.2). */
			if (is_date_ext(x) && strcmp(x, CCDA_R20_DATE) >= 0)
				r2 = true;
			if (strcmp(r, CCDA_UNSTRUCT) == 0)
				h->nonxml_body = true;
		}
		free(r);
		free(x);
	}
	if (child(child(root, "component"), "nonXMLBody") != NULL)
		h->nonxml_body = true;
	if (!ccda)
		return;
	h->format_code = gw_xstrdup(codes[r2][h->nonxml_body][0]);
	h->format_display = gw_xstrdup(codes[r2][h->nonxml_body][1]);
	h->format_scheme = gw_xstrdup(GW_CDA_FORMAT_SCHEME);
}

static void
extract(struct gw_cda_header *h, const xmlNode *root)
{
	xmlNode *hcf;

	get_ids(h, root);
	h->title = text(child(root, "title"));
	code_get(&h->type, child(root, "code"));
	code_get(&h->confidentiality, child(root, "confidentialityCode"));
	h->language = attr(child(root, "languageCode"), "code");
	hcf = child(
	    child(child(child(root, "componentOf"), "encompassingEncounter"),
		  "location"),
	    "healthCareFacility");
	code_get(&h->facility_type, child(hcf, "code"));
	get_patient(h, root);
	get_author(h, root);
	get_times(h, root);
	get_format(h, root);
	spi_add(h, "PID-3", h->patient_id);
	spi_add(h, "PID-5", h->source_patient_info_name);
	spi_add(h, "PID-7", h->source_patient_info_dob);
	spi_add(h, "PID-8", h->source_patient_info_gender);
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
gw_cda_header_parse(const char *xml, size_t len, struct gw_cda_header **out,
		    struct gw_err *err)
{
	xmlDocPtr doc = NULL;
	struct gw_cda_header *h;
	int rc;

	*out = NULL;
	if ((rc = gw_cda_doc_parse(xml, len, &doc, err)) < 0)
		return rc;
	h = gw_xcalloc(1, sizeof(*h));
	extract(h, xmlDocGetRootElement(doc));
	*out = h;
	gw_cda_doc_free(doc);
	return 0;
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
	free(h->creation_time);
	free(h->title);
	code_free(&h->type);
	code_free(&h->confidentiality);
	code_free(&h->facility_type);
	free(h->language);
	free(h->author_person);
	free(h->author_institution);
	free(h->author_telecom);
	free(h->service_start);
	free(h->service_stop);
	free(h->format_code);
	free(h->format_scheme);
	free(h->format_display);
	free(h->source_patient_info_name);
	free(h->source_patient_info_dob);
	free(h->source_patient_info_gender);
	for (size_t i = 0; i < h->nsource_patient_info; i++)
		free(h->source_patient_info[i]);
	free(h);
}

/* --- time stamps -------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, long *y, long *m, long *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static long
num(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool
leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool
ts_fields_ok(const char *ts, size_t nd)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	long y = num(ts, 4), mo, d;

	if (nd >= 6) {
		mo = num(ts + 4, 2);
		if (mo < 1 || mo > 12)
			return false;
		if (nd >= 8) {
			d = num(ts + 6, 2);
			if (d < 1 || d > mdays[mo - 1] ||
			    (mo == 2 && d == 29 && !leap(y)))
				return false;
		}
	}
	if (nd >= 10 && num(ts + 8, 2) > 23)
		return false;
	if (nd >= 12 && num(ts + 10, 2) > 59)
		return false;
	if (nd >= 14 && num(ts + 12, 2) > 60)
		return false;
	return true;
}

char *
gw_cda_ts_to_utc(const char *ts)
{
	size_t nd = strspn(ts, "0123456789");
	const char *p = ts + nd;
	long sign = 0, off = 0, mins, days, y, mo, d;
	char buf[32];
	int n;

	if (nd < 4 || nd > 14 || nd % 2 != 0 || !ts_fields_ok(ts, nd))
		return NULL;
	if (*p == '.') {
		if (nd != 14 || p[1] < '0' || p[1] > '9')
			return NULL;
		p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (strspn(p + 1, "0123456789") != 4 || p[5] != '\0' ||
		    num(p + 1, 2) > 23 || num(p + 3, 2) > 59)
			return NULL;
		off = num(p + 1, 2) * 60 + num(p + 3, 2);
		p += 5;
	}
	if (*p != '\0')
		return NULL;
	/* No time of day: a date is a date in every zone (SPEC 8.3). */
	if (sign == 0 || nd <= 8)
		return gw_xstrndup(ts, nd);
	mins =
	    days_from_civil(num(ts, 4), num(ts + 4, 2), num(ts + 6, 2)) * 1440 +
	    num(ts + 8, 2) * 60 + (nd >= 12 ? num(ts + 10, 2) : 0) - sign * off;
	days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
	mins -= days * 1440;
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return NULL;
	n = snprintf(buf, sizeof(buf), "%04ld%02ld%02ld%02ld%02ld%.2s", y, mo,
		     d, mins / 60, mins % 60, nd == 14 ? ts + 12 : "");
	if (n < 12 || (size_t)n >= sizeof(buf))
		return NULL;
	return gw_xstrndup(buf, nd);
}
