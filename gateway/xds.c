/*
 * NAME
 *	xds - XDS metadata model, error list and value formats
 * SUMMARY
 *	Allocation and release of the submission model, the RegistryError
 *	list, the index pass that derives SubmissionSet and DocumentEntry
 *	views from raw ebRIM objects, and the value-format predicates.
 * DESCRIPTION
 *	The raw model keeps what the document said, in document order, so
 *	that validation can name the offending object. The derived view
 *	(ss_*, entries[]) holds borrowed pointers into the raw model. The
 *	validation rules themselves live in xdsrules.c.
 * STANDARDS
 *	IHE ITI TF-3 4.2 (ebRIM mapping, UUID catalogue, data types),
 *	ebRIM 3.0, RFC 5321 (address syntax, as profiled by Direct).
 * SECURITY
 *	Sees untrusted metadata values. Every predicate is bounded by the
 *	string it is given; the parser has already bounded each length.
 * LIMITS
 *	None of its own; gw_xds_limits is applied by xdsxml.
 */
#include "xds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

/* --- error list ---------------------------------------------------------- */

void
gw_xds_errors_init(struct gw_xds_errors *e)
{
	memset(e, 0, sizeof(*e));
}

void
gw_xds_errors_dispose(struct gw_xds_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].code);
		free(e->v[i].context);
		free(e->v[i].location);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

void
gw_xds_errors_add(struct gw_xds_errors *e, enum gw_xds_severity sev,
		  const char *code, const char *location, const char *fmt, ...)
{
	struct gw_xds_error *x;
	char text[512];
	va_list ap;

	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = gw_xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	va_start(ap, fmt);
	/* Truncation of our own context text is harmless. */
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	x = &e->v[e->n++];
	x->severity = sev;
	x->code = gw_xstrdup(code);
	x->context = gw_xstrdup(text);
	x->location = location != NULL ? gw_xstrdup(location) : NULL;
}

bool
gw_xds_errors_failed(const struct gw_xds_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].severity == GW_XDS_SEV_ERROR)
			return true;
	return false;
}

bool
gw_xds_errors_has(const struct gw_xds_errors *e, const char *code)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].code, code) == 0)
			return true;
	return false;
}

const char *
gw_xds_severity_urn(enum gw_xds_severity sev)
{
	if (sev == GW_XDS_SEV_WARNING)
		return "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:"
		       "Warning";
	return "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
}

void
gw_xds_limits_resolve(const struct gw_xds_limits *in, struct gw_xds_limits *out)
{
	memset(out, 0, sizeof(*out));
	if (in != NULL)
		*out = *in;
	if (out->max_depth == 0)
		out->max_depth = GW_XDS_DEF_DEPTH;
	if (out->max_objects == 0)
		out->max_objects = GW_XDS_DEF_OBJECTS;
	if (out->max_value_len == 0)
		out->max_value_len = GW_XDS_DEF_VALUE_LEN;
}

/* --- model allocation ---------------------------------------------------- */

struct gw_xds_submission *
gw_xds_submission_new(void)
{
	struct gw_xds_submission *s = gw_xcalloc(1, sizeof(*s));

	s->ss_obj = -1;
	return s;
}

static void
slots_free(struct gw_xds_slots *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		for (size_t j = 0; j < l->v[i].nvalues; j++)
			free(l->v[i].values[j]);
		free(l->v[i].values);
	}
	free(l->v);
}

static void
routing_free(struct gw_xds_submission *s)
{
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->nrecipients; i++)
		free(s->recipients[i]);
	free(s->recipients);
	s->recipients = NULL;
	s->nrecipients = 0;
}

void
gw_xds_submission_free(struct gw_xds_submission *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nobjects; i++) {
		struct gw_xds_object *o = &s->objects[i];
		free(o->id);
		free(o->object_type);
		free(o->mime_type);
		free(o->title);
		free(o->comments);
		slots_free(&o->slots);
	}
	for (size_t i = 0; i < s->nclasses; i++) {
		struct gw_xds_class *c = &s->classes[i];
		free(c->id);
		free(c->scheme);
		free(c->node);
		free(c->classified);
		free(c->node_rep);
		free(c->name);
		slots_free(&c->slots);
	}
	for (size_t i = 0; i < s->nextids; i++) {
		struct gw_xds_extid *x = &s->extids[i];
		free(x->id);
		free(x->scheme);
		free(x->value);
		free(x->registry_object);
		free(x->name);
	}
	for (size_t i = 0; i < s->nassocs; i++) {
		struct gw_xds_assoc *a = &s->assocs[i];
		free(a->id);
		free(a->type);
		free(a->source);
		free(a->target);
		slots_free(&a->slots);
	}
	for (size_t i = 0; i < s->nrefs; i++)
		free(s->refs[i]);
	free(s->objects);
	free(s->classes);
	free(s->extids);
	free(s->assocs);
	free(s->refs);
	free(s->entries);
	routing_free(s);
	free(s);
}

/* Make room for one more element of size sz in *v. */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	return gw_xrealloc(v, *cap * sz);
}

struct gw_xds_object *
gw_xds_object_add(struct gw_xds_submission *s)
{
	struct gw_xds_object *o;

	s->objects =
	    grow(s->objects, s->nobjects, &s->cap_objects, sizeof(*s->objects));
	o = &s->objects[s->nobjects++];
	memset(o, 0, sizeof(*o));
	return o;
}

struct gw_xds_class *
gw_xds_class_add(struct gw_xds_submission *s)
{
	struct gw_xds_class *c;

	s->classes =
	    grow(s->classes, s->nclasses, &s->cap_classes, sizeof(*s->classes));
	c = &s->classes[s->nclasses++];
	memset(c, 0, sizeof(*c));
	c->parent = -1;
	c->obj = -1;
	return c;
}

struct gw_xds_extid *
gw_xds_extid_add(struct gw_xds_submission *s)
{
	struct gw_xds_extid *x;

	s->extids =
	    grow(s->extids, s->nextids, &s->cap_extids, sizeof(*s->extids));
	x = &s->extids[s->nextids++];
	memset(x, 0, sizeof(*x));
	x->parent = -1;
	x->obj = -1;
	return x;
}

struct gw_xds_assoc *
gw_xds_assoc_add(struct gw_xds_submission *s)
{
	struct gw_xds_assoc *a;

	s->assocs =
	    grow(s->assocs, s->nassocs, &s->cap_assocs, sizeof(*s->assocs));
	a = &s->assocs[s->nassocs++];
	memset(a, 0, sizeof(*a));
	return a;
}

void
gw_xds_ref_add(struct gw_xds_submission *s, char *id_take)
{
	s->refs = grow(s->refs, s->nrefs, &s->cap_refs, sizeof(*s->refs));
	s->refs[s->nrefs++] = id_take;
}

struct gw_xds_slot *
gw_xds_slot_add(struct gw_xds_slots *l, char *name_take)
{
	struct gw_xds_slot *slot;

	/* Slot lists are short; grow by one keeps the struct small. */
	l->v = gw_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	slot = &l->v[l->n++];
	memset(slot, 0, sizeof(*slot));
	slot->name = name_take;
	return slot;
}

void
gw_xds_slot_value_add(struct gw_xds_slot *slot, char *value_take)
{
	slot->values = gw_xrealloc(slot->values,
				   (slot->nvalues + 1) * sizeof(*slot->values));
	slot->values[slot->nvalues++] = value_take;
}

const struct gw_xds_slot *
gw_xds_slot_find(const struct gw_xds_slots *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].name != NULL && strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* --- index pass ---------------------------------------------------------- */

struct idref {
	const char *id;
	int idx;
};

static int
idref_cmp(const void *a, const void *b)
{
	const struct idref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->idx - y->idx;
}

/* Index of the first object whose id is id, or -1. */
static int
find_object(const struct idref *tab, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	if (id == NULL)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(tab[mid].id, id);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && strcmp(tab[lo].id, id) == 0)
		return tab[lo].idx;
	return -1;
}

static const char *
slot1(const struct gw_xds_object *o, const char *name)
{
	const struct gw_xds_slot *slot = gw_xds_slot_find(&o->slots, name);

	if (slot == NULL || slot->nvalues == 0)
		return NULL;
	return slot->values[0];
}

static char *
extid_value(const struct gw_xds_submission *s, int obj, const char *scheme)
{
	for (size_t i = 0; i < s->nextids; i++)
		if (s->extids[i].obj == obj && s->extids[i].scheme != NULL &&
		    strcmp(s->extids[i].scheme, scheme) == 0)
			return s->extids[i].value;
	return NULL;
}

static bool
has_node(const struct gw_xds_submission *s, int obj, const char *node)
{
	for (size_t i = 0; i < s->nclasses; i++)
		if (s->classes[i].obj == obj && s->classes[i].node != NULL &&
		    strcmp(s->classes[i].node, node) == 0)
			return true;
	return false;
}

static void
link_objects(struct gw_xds_submission *s)
{
	struct idref *tab;
	size_t n = 0;

	tab = gw_xcalloc(s->nobjects + 1, sizeof(*tab));
	for (size_t i = 0; i < s->nobjects; i++)
		if (s->objects[i].id != NULL) {
			tab[n].id = s->objects[i].id;
			tab[n].idx = (int)i;
			n++;
		}
	qsort(tab, n, sizeof(*tab), idref_cmp);
	/*
	 * A nested Classification or ExternalIdentifier belongs to its
	 * enclosing object whatever its reference attribute says; the
	 * validator reports a disagreement.
	 */
	for (size_t i = 0; i < s->nclasses; i++) {
		struct gw_xds_class *c = &s->classes[i];
		c->obj = c->parent >= 0 ? c->parent
					: find_object(tab, n, c->classified);
	}
	for (size_t i = 0; i < s->nextids; i++) {
		struct gw_xds_extid *x = &s->extids[i];
		x->obj = x->parent >= 0
			     ? x->parent
			     : find_object(tab, n, x->registry_object);
	}
	free(tab);
}

static void
build_entry(struct gw_xds_submission *s, int obj, struct gw_xds_entry *e)
{
	struct gw_xds_object *o = &s->objects[obj];

	memset(e, 0, sizeof(*e));
	e->obj = obj;
	e->part = -1;
	e->id = o->id;
	e->mime_type = o->mime_type;
	e->object_type = o->object_type;
	e->title = o->title;
	e->unique_id = extid_value(
	    s, obj, "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab");
	e->patient_id = extid_value(
	    s, obj, "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427");
	e->hash = (char *)slot1(o, "hash");
	e->size = (char *)slot1(o, "size");
	e->creation_time = (char *)slot1(o, "creationTime");
	e->source_patient_id = (char *)slot1(o, "sourcePatientId");
	e->limited = has_node(s, obj, GW_XDS_DE_LIMITED);
}

void
gw_xds_submission_index(struct gw_xds_submission *s)
{
	size_t ne = 0;

	link_objects(s);
	s->ss_obj = -1;
	s->ss_id = s->ss_unique_id = s->ss_source_id = NULL;
	s->ss_patient_id = s->ss_submission_time = NULL;
	for (size_t i = 0; i < s->nobjects; i++) {
		struct gw_xds_object *o = &s->objects[i];
		if (o->kind == GW_XDS_EXTRINSIC) {
			o->role = GW_XDS_ROLE_ENTRY;
			ne++;
		} else if (has_node(s, (int)i, GW_XDS_SS_NODE)) {
			o->role = GW_XDS_ROLE_SUBSET;
			if (s->ss_obj < 0)
				s->ss_obj = (int)i;
		} else if (has_node(s, (int)i, GW_XDS_FOLDER_NODE)) {
			o->role = GW_XDS_ROLE_FOLDER;
		} else {
			o->role = GW_XDS_ROLE_UNKNOWN;
		}
	}
	free(s->entries);
	s->entries = gw_xcalloc(ne + 1, sizeof(*s->entries));
	s->nentries = 0;
	for (size_t i = 0; i < s->nobjects; i++)
		if (s->objects[i].role == GW_XDS_ROLE_ENTRY)
			build_entry(s, (int)i, &s->entries[s->nentries++]);
	if (s->ss_obj >= 0) {
		struct gw_xds_object *ss = &s->objects[s->ss_obj];
		s->ss_id = ss->id;
		s->ss_unique_id = extid_value(
		    s, s->ss_obj,
		    "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8");
		s->ss_source_id = extid_value(
		    s, s->ss_obj,
		    "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832");
		s->ss_patient_id = extid_value(
		    s, s->ss_obj,
		    "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446");
		s->ss_submission_time = (char *)slot1(ss, "submissionTime");
	}
}

/* --- value formats ------------------------------------------------------- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

bool
gw_xds_is_dtm(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	while (s[n] != '\0') {
		if (!is_digit(s[n]))
			return false;
		n++;
	}
	if (n < 4 || n > 14 || n % 2 != 0)
		return false;
	if (n >= 6 && (num2(s + 4) < 1 || num2(s + 4) > 12))
		return false;
	if (n >= 8 && (num2(s + 6) < 1 || num2(s + 6) > 31))
		return false;
	if (n >= 10 && num2(s + 8) > 23)
		return false;
	if (n >= 12 && num2(s + 10) > 59)
		return false;
	/* 60 allows a leap second. */
	if (n >= 14 && num2(s + 12) > 60)
		return false;
	return true;
}

/* Length of the OID at the start of s (0 if none); stops at stop. */
static size_t
oid_span(const char *s, char stop)
{
	size_t i = 0, arcs = 0;

	for (;;) {
		if (!is_digit(s[i]))
			return 0;
		while (is_digit(s[i]))
			i++;
		/*
		 * ITU-T X.660 forbids leading zeros in an arc, but the NIST
		 * toolkit's own Axis2 captures carry them (...182.0971308...)
		 * and were accepted: tolerate them, as the test tools do.
		 */
		arcs++;
		if (s[i] != '.')
			break;
		i++;
	}
	if (s[i] != '\0' && s[i] != stop)
		return 0;
	/*
	 * Two arcs at least. The first arc is not limited to 0-2: real
	 * senders (NIST test 12371 sourceId 129.6.58.92.1.1) use others.
	 */
	if (arcs < 2 || i > 64)
		return 0;
	return i;
}

bool
gw_xds_is_oid(const char *s)
{
	return s != NULL && oid_span(s, '\0') > 0;
}

bool
gw_xds_is_cx(const char *s)
{
	const char *p;
	size_t n;

	if (s == NULL)
		return false;
	/* IdNumber: non-empty, no component or subcomponent separators. */
	p = strchr(s, '^');
	if (p == NULL || p == s)
		return false;
	for (const char *q = s; q < p; q++)
		if (*q == '&' || *q == ' ' || (unsigned char)*q < 0x20)
			return false;
	if (strncmp(p, "^^^&", 4) != 0)
		return false;
	p += 4;
	n = oid_span(p, '&');
	if (n == 0)
		return false;
	return strcmp(p + n, "&ISO") == 0;
}

static bool
is_uuid_urn(const char *s)
{
	static const char pat[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strncasecmp(s, "urn:uuid:", 9) != 0)
		return false;
	s += 9;
	for (size_t i = 0; i < sizeof(pat) - 1; i++) {
		if (pat[i] == '-') {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
			   s[i] == '\0') {
			return false;
		}
	}
	return s[sizeof(pat) - 1] == '\0';
}

bool
gw_xds_is_uniqueid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	if (is_uuid_urn(s))
		return true;
	n = oid_span(s, '^');
	if (n == 0)
		return false;
	if (s[n] == '\0')
		return true;
	/* OID^extension: the extension is a non-empty token. */
	s += n + 1;
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == '^' || *s == 0x7f)
			return false;
	return true;
}

bool
gw_xds_is_sha1(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	return i == 40;
}

bool
gw_xds_is_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;
		if (!is_digit(s[i]))
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (out != NULL)
		*out = v;
	return true;
}

/* Component n (1-based) of s split at sep, as pointer and length. */
static const char *
comp_at(const char *s, char sep, unsigned n, size_t *len)
{
	for (unsigned i = 1; i < n; i++) {
		s = strchr(s, sep);
		if (s == NULL) {
			*len = 0;
			return "";
		}
		s++;
	}
	*len = strcspn(s, (char[]){sep, '\0'});
	return s;
}

bool
gw_xds_is_xcn(const char *s)
{
	const char *id, *aa;
	size_t nid, nfam, ngiv, naa;
	char cx[512];

	if (s == NULL || s[0] == '\0')
		return false;
	id = comp_at(s, '^', 1, &nid);
	comp_at(s, '^', 2, &nfam);
	comp_at(s, '^', 3, &ngiv);
	aa = comp_at(s, '^', 9, &naa);
	if (nid == 0)
		return nfam > 0 && ngiv > 0;
	if (naa == 0)
		return true;
	if (nid + naa + 4 > sizeof(cx))
		return false;
	memcpy(cx, id, nid);
	memcpy(cx + nid, "^^^", 3);
	memcpy(cx + nid + 3, aa, naa);
	cx[nid + 3 + naa] = '\0';
	return gw_xds_is_cx(cx);
}

bool
gw_xds_is_xon(const char *s)
{
	const char *c, *x10;
	size_t n, n10;
	char buf[80];

	if (s == NULL)
		return false;
	comp_at(s, '^', 1, &n);
	if (n == 0)
		return false;
	for (unsigned i = 2; i <= 9; i++) {
		comp_at(s, '^', i, &n);
		if (n > 0 && i != 6)
			return false;
	}
	x10 = comp_at(s, '^', 10, &n10);
	if (strchr(x10, '^') != NULL)
		return false; /* more than ten components */
	if (n10 == 0 || n10 >= sizeof(buf))
		return n10 == 0;
	memcpy(buf, x10, n10);
	buf[n10] = '\0';
	if (gw_xds_is_oid(buf))
		return true;
	/* A local organisation id: its authority is XON.6 = &OID&ISO. */
	c = comp_at(s, '^', 6, &n);
	if (n < 6 || n >= sizeof(buf) || c[0] != '&')
		return false;
	memcpy(buf, c + 1, n - 1);
	buf[n - 1] = '\0';
	n = strcspn(buf, "&");
	if (strcmp(buf + n, "&ISO") != 0)
		return false;
	buf[n] = '\0';
	return gw_xds_is_oid(buf);
}

bool
gw_xds_is_xtn(const char *s)
{
	return s != NULL && strncmp(s, "^^Internet^", 11) == 0 &&
	       gw_xds_is_address(s + 11);
}

static bool
is_atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

bool
gw_xds_is_address(const char *s)
{
	const char *at, *label;
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	at = strchr(s, '@');
	if (n > 254 || at == NULL || at == s || at - s > 64 ||
	    strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = s; p < at; p++)
		if (!is_atext(*p))
			return false;
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return false;
	/* Domain: dot-separated LDH labels, 1..63 octets each. */
	label = at + 1;
	if (*label == '\0')
		return false;
	for (const char *p = label;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63 || *label == '-' ||
			    p[-1] == '-')
				return false;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      is_digit(*p) || *p == '-'))
			return false;
	}
	return true;
}
