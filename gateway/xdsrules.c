/*
 * NAME
 *	xdsrules - XDR Document Recipient validation of an XDS submission
 * SUMMARY
 *	gw_xds_validate(): structure, references, XDR DS / XDR MS
 *	optionality, value formats, patient id, uniqueIds, parts and Direct
 *	routing, each failure as one RegistryError.
 * DESCRIPTION
 *	Part of module xds (see xds.h). The rules are tables (classification
 *	schemes, identification schemes, slots) so that one loop applies
 *	the right column. Checks run in the order of SPEC 4.10 and never
 *	stop early: the sender gets every problem in one response.
 *	Nothing is rejected for a missing R2 attribute. Folders and
 *	non-HasMember associations are not supported by the gateway and
 *	only earn the matching Partial...ContentNotProcessed warning.
 * STANDARDS
 *	IHE ITI TF-3 4.2.3 (metadata attributes), 4.2.4.1 (error codes),
 *	Table 4.3.1-3 (XDR DS / XDR MS columns), ITI-41, XDR and XDM for
 *	Direct Messaging (routing from direct:to / intendedRecipient).
 * SECURITY
 *	Input is untrusted but already bounded by the parser limits; all
 *	loops are linear or n log n in the number of objects.
 * LIMITS
 *	None of its own.
 */
#include "xds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

struct vctx {
	struct gw_xds_submission *s;
	struct gw_xds_errors *errs;
	const struct gw_xds_part *parts;
	size_t nparts;
	const struct gw_xds_addressing *addr;
	const char **ids; /* every id in the submission, sorted */
	size_t nids;
};

enum fmt { F_NONE, F_DTM, F_SHA1, F_SIZE, F_OID, F_CX, F_UNIQUEID, F_SPI };
enum ckind { C_AUTHOR, C_CODED };

struct scheme_rule {
	const char *uuid;
	enum gw_xds_role role;
	const char *attr;
	enum ckind kind;
	bool multi;
	bool req_full; /* R in XDR DS; nothing is R in XDR MS here */
};

static const struct scheme_rule scheme_rules[] = {
    {"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d", GW_XDS_ROLE_ENTRY,
     "author", C_AUTHOR, true, false},
    {"urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", GW_XDS_ROLE_ENTRY,
     "classCode", C_CODED, false, true},
    {"urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", GW_XDS_ROLE_ENTRY,
     "confidentialityCode", C_CODED, true, true},
    {"urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4", GW_XDS_ROLE_ENTRY,
     "eventCodeList", C_CODED, true, false},
    {"urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", GW_XDS_ROLE_ENTRY,
     "formatCode", C_CODED, false, true},
    {"urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", GW_XDS_ROLE_ENTRY,
     "healthcareFacilityTypeCode", C_CODED, false, true},
    {"urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", GW_XDS_ROLE_ENTRY,
     "practiceSettingCode", C_CODED, false, true},
    {"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", GW_XDS_ROLE_ENTRY,
     "typeCode", C_CODED, false, true},
    {"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d", GW_XDS_ROLE_SUBSET,
     "author", C_AUTHOR, true, false},
    {"urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", GW_XDS_ROLE_SUBSET,
     "contentTypeCode", C_CODED, false, true},
};

struct extid_rule {
	const char *uuid;
	enum gw_xds_role role;
	const char *attr;
	const char *name; /* required rim:Name */
	bool req_full;
	bool req_limited;
	enum fmt fmt;
};

static const struct extid_rule extid_rules[] = {
    {"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", GW_XDS_ROLE_ENTRY,
     "patientId", "XDSDocumentEntry.patientId", true, false, F_CX},
    {"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", GW_XDS_ROLE_ENTRY,
     "uniqueId", "XDSDocumentEntry.uniqueId", true, true, F_UNIQUEID},
    {"urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", GW_XDS_ROLE_SUBSET,
     "patientId", "XDSSubmissionSet.patientId", true, false, F_CX},
    {"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", GW_XDS_ROLE_SUBSET,
     "sourceId", "XDSSubmissionSet.sourceId", true, true, F_OID},
    {"urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", GW_XDS_ROLE_SUBSET,
     "uniqueId", "XDSSubmissionSet.uniqueId", true, true, F_OID},
};

struct slot_rule {
	enum gw_xds_role role;
	const char *name;
	bool single;
	enum fmt fmt;
	bool req_full;
	bool req_limited;
};

static const struct slot_rule slot_rules[] = {
    {GW_XDS_ROLE_ENTRY, "creationTime", true, F_DTM, true, false},
    {GW_XDS_ROLE_ENTRY, "languageCode", true, F_NONE, true, false},
    {GW_XDS_ROLE_ENTRY, "sourcePatientId", true, F_CX, true, false},
    {GW_XDS_ROLE_ENTRY, "sourcePatientInfo", false, F_SPI, false, false},
    {GW_XDS_ROLE_ENTRY, "hash", true, F_SHA1, false, false},
    {GW_XDS_ROLE_ENTRY, "size", true, F_SIZE, false, false},
    {GW_XDS_ROLE_ENTRY, "serviceStartTime", true, F_DTM, false, false},
    {GW_XDS_ROLE_ENTRY, "serviceStopTime", true, F_DTM, false, false},
    {GW_XDS_ROLE_ENTRY, "legalAuthenticator", true, F_NONE, false, false},
    {GW_XDS_ROLE_ENTRY, "repositoryUniqueId", true, F_OID, false, false},
    {GW_XDS_ROLE_SUBSET, "submissionTime", true, F_DTM, true, true},
};

/* Association types the gateway does not process (SPEC 4.9). */
static const struct {
	const char *type;
	const char *warning;
} assoc_warnings[] = {
    {"urn:ihe:iti:2007:AssociationType:RPLC",
     "PartialReplaceContentNotProcessed"},
    {"urn:ihe:iti:2007:AssociationType:APND",
     "PartialAppendContentNotProcessed"},
    {"urn:ihe:iti:2007:AssociationType:XFRM",
     "PartialTransformContentNotProcessed"},
    {"urn:ihe:iti:2007:AssociationType:XFRM_RPLC",
     "PartialTransformReplaceContentNotProcessed"},
    {"urn:ihe:iti:2007:AssociationType:signs",
     "PartialRelationshipContentNotProcessed"},
    {"urn:ihe:iti:2007:AssociationType:IsSnapshotOf",
     "PartialRelationshipContentNotProcessed"},
};

#define SS_AUTHOR "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))

static void meta(struct vctx *v, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add an XDSRegistryMetadataError. */
static void
meta(struct vctx *v, const char *loc, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	gw_xds_errors_add(v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_METADATA, loc,
			  "%s", text);
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(no id)";
}

static const char *
role_name(enum gw_xds_role r)
{
	switch (r) {
	case GW_XDS_ROLE_ENTRY:
		return "DocumentEntry";
	case GW_XDS_ROLE_SUBSET:
		return "SubmissionSet";
	case GW_XDS_ROLE_FOLDER:
		return "Folder";
	default:
		return "RegistryPackage";
	}
}

static const char *
column(bool limited)
{
	return limited ? "XDR limited metadata" : "XDR full metadata";
}

static bool
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --- ids and references -------------------------------------------------- */

static void
collect_ids(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;
	size_t n =
	    s->nobjects + s->nclasses + s->nextids + s->nassocs + s->nrefs;

	v->ids = gw_xcalloc(n + 1, sizeof(*v->ids));
	v->nids = 0;
	for (size_t i = 0; i < s->nobjects; i++)
		if (s->objects[i].id != NULL)
			v->ids[v->nids++] = s->objects[i].id;
	for (size_t i = 0; i < s->nclasses; i++)
		if (s->classes[i].id != NULL)
			v->ids[v->nids++] = s->classes[i].id;
	for (size_t i = 0; i < s->nextids; i++)
		if (s->extids[i].id != NULL)
			v->ids[v->nids++] = s->extids[i].id;
	for (size_t i = 0; i < s->nassocs; i++)
		if (s->assocs[i].id != NULL)
			v->ids[v->nids++] = s->assocs[i].id;
	qsort(v->ids, v->nids, sizeof(*v->ids), str_cmp);
	/* ObjectRefs may repeat an id; they only make references legal. */
	for (size_t i = 1; i < v->nids; i++)
		if (strcmp(v->ids[i - 1], v->ids[i]) == 0 &&
		    (i < 2 || strcmp(v->ids[i - 2], v->ids[i]) != 0))
			meta(v, v->ids[i],
			     "id %s is used by more than one registry object",
			     v->ids[i]);
	for (size_t i = 0; i < s->nrefs; i++)
		if (s->refs[i] != NULL)
			v->ids[v->nids++] = s->refs[i];
	qsort(v->ids, v->nids, sizeof(*v->ids), str_cmp);
}

static bool
resolves(const struct vctx *v, const char *ref)
{
	if (strncasecmp(ref, "urn:uuid:", 9) == 0)
		return true;
	return bsearch(&ref, v->ids, v->nids, sizeof(*v->ids), str_cmp) != NULL;
}

/* Report an unresolved reference once per referenced id. */
static void
check_ref(struct vctx *v, const char **seen, size_t *nseen, const char *who,
	  const char *attr, const char *ref)
{
	if (ref == NULL) {
		meta(v, who, "%s: %s attribute is missing", nz(who), attr);
		return;
	}
	if (resolves(v, ref))
		return;
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i], ref) == 0)
			return;
	seen[(*nseen)++] = ref;
	gw_xds_errors_add(
	    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_UNRESOLVED, ref,
	    "%s: %s %s does not resolve to an object in the submission",
	    nz(who), attr, ref);
}

static void
check_refs(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;
	const char **seen;
	size_t nseen = 0;

	seen = gw_xcalloc(s->nclasses + s->nextids + 2 * s->nassocs + 1,
			  sizeof(*seen));
	for (size_t i = 0; i < s->nclasses; i++) {
		struct gw_xds_class *c = &s->classes[i];
		const char *pid =
		    c->parent >= 0 ? s->objects[c->parent].id : NULL;
		if (c->parent >= 0 && c->classified == NULL)
			continue;
		if (pid != NULL && !eq(pid, c->classified))
			meta(v, pid,
			     "Classification %s nested in %s classifies %s",
			     nz(c->id), pid, c->classified);
		check_ref(v, seen, &nseen, c->id, "classifiedObject",
			  c->classified);
	}
	for (size_t i = 0; i < s->nextids; i++) {
		struct gw_xds_extid *x = &s->extids[i];
		const char *pid =
		    x->parent >= 0 ? s->objects[x->parent].id : NULL;
		if (x->parent >= 0 && x->registry_object == NULL)
			continue;
		if (pid != NULL && !eq(pid, x->registry_object))
			meta(v, pid,
			     "ExternalIdentifier %s nested in %s names "
			     "registryObject %s",
			     nz(x->id), pid, x->registry_object);
		check_ref(v, seen, &nseen, x->id, "registryObject",
			  x->registry_object);
	}
	for (size_t i = 0; i < s->nassocs; i++) {
		struct gw_xds_assoc *a = &s->assocs[i];
		check_ref(v, seen, &nseen, a->id, "sourceObject", a->source);
		check_ref(v, seen, &nseen, a->id, "targetObject", a->target);
	}
	free(seen);
}

/* --- structure ----------------------------------------------------------- */

static void
check_structure(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;
	size_t nss = 0;

	for (size_t i = 0; i < s->nobjects; i++) {
		struct gw_xds_object *o = &s->objects[i];
		if (o->id == NULL) {
			meta(v, NULL, "%s at line %d has no id attribute",
			     o->kind == GW_XDS_EXTRINSIC ? "ExtrinsicObject"
							 : "RegistryPackage",
			     o->line);
			continue;
		}
		switch (o->role) {
		case GW_XDS_ROLE_SUBSET:
			nss++;
			break;
		case GW_XDS_ROLE_FOLDER:
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_WARNING,
			    "PartialFolderContentNotProcessed", o->id,
			    "Folder %s ignored: folders are not supported "
			    "by this Document Recipient",
			    o->id);
			break;
		case GW_XDS_ROLE_UNKNOWN:
			meta(v, o->id,
			     "RegistryPackage %s is classified as neither "
			     "SubmissionSet nor Folder",
			     o->id);
			break;
		default:
			break;
		}
	}
	if (nss == 0)
		meta(v, NULL,
		     "no SubmissionSet: no RegistryPackage classified by "
		     "%s",
		     GW_XDS_SS_NODE);
	else if (nss > 1)
		meta(v, NULL, "%zu SubmissionSets; exactly one is allowed",
		     nss);
}

static void
check_assoc(struct vctx *v, const struct gw_xds_assoc *a)
{
	const struct gw_xds_submission *s = v->s;
	const struct gw_xds_slot *st;

	if (a->type == NULL) {
		meta(v, a->id, "Association %s has no associationType",
		     nz(a->id));
		return;
	}
	if (strcmp(a->type, GW_XDS_HASMEMBER) == 0) {
		if (!eq(a->source, s->ss_id))
			return; /* folder membership: folder warned */
		for (size_t i = 0; i < s->nentries; i++) {
			if (!eq(s->entries[i].id, a->target))
				continue;
			st = gw_xds_slot_find(&a->slots, "SubmissionSetStatus");
			if (st == NULL || st->nvalues != 1 ||
			    (strcmp(st->values[0], "Original") != 0 &&
			     strcmp(st->values[0], "Reference") != 0))
				meta(v, a->id,
				     "Association %s: SubmissionSetStatus "
				     "must be Original or Reference",
				     nz(a->id));
		}
		return;
	}
	for (size_t i = 0; i < NELEM(assoc_warnings); i++)
		if (strcmp(a->type, assoc_warnings[i].type) == 0) {
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_WARNING,
			    assoc_warnings[i].warning, a->id,
			    "Association %s (%s) ignored: not supported by "
			    "this Document Recipient",
			    nz(a->id), a->type);
			return;
		}
	meta(v, a->id, "Association %s: unknown associationType %s", nz(a->id),
	     a->type);
}

static void
check_membership(struct vctx *v)
{
	const struct gw_xds_submission *s = v->s;

	for (size_t i = 0; i < s->nassocs; i++)
		check_assoc(v, &s->assocs[i]);
	if (s->ss_id == NULL)
		return;
	for (size_t i = 0; i < s->nentries; i++) {
		const struct gw_xds_entry *e = &s->entries[i];
		bool member = false;
		if (e->id == NULL)
			continue;
		for (size_t j = 0; j < s->nassocs && !member; j++) {
			const struct gw_xds_assoc *a = &s->assocs[j];
			member = eq(a->type, GW_XDS_HASMEMBER) &&
				 eq(a->source, s->ss_id) &&
				 eq(a->target, e->id);
		}
		if (!member)
			meta(
			    v, e->id,
			    "DocumentEntry %s is not a member of SubmissionSet "
			    "%s (no HasMember association)",
			    e->id, s->ss_id);
	}
}

/* --- attributes ---------------------------------------------------------- */

/*
 * A sourcePatientInfo value as the ONC XDR validator reads it: PID-n and
 * a value, one | between them, and PID-3 a valid CX.
 */
static bool
spi_ok(const char *v)
{
	const char *bar = strchr(v, '|');

	if (strncmp(v, "PID-", 4) != 0 || bar == NULL || bar[1] == '\0' ||
	    strchr(bar + 1, '|') != NULL)
		return false;
	return strncmp(v, "PID-3|", 6) != 0 || gw_xds_is_cx(v + 6);
}

static bool
fmt_ok(enum fmt f, const char *val)
{
	switch (f) {
	case F_DTM:
		return gw_xds_is_dtm(val);
	case F_SHA1:
		return gw_xds_is_sha1(val);
	case F_SIZE:
		return gw_xds_is_size(val, NULL);
	case F_OID:
		return gw_xds_is_oid(val);
	case F_CX:
		return gw_xds_is_cx(val);
	case F_UNIQUEID:
		return gw_xds_is_uniqueid(val);
	case F_SPI:
		return spi_ok(val);
	default:
		return val[0] != '\0';
	}
}

static const char *
fmt_name(enum fmt f)
{
	static const char *const names[] = {
	    [F_NONE] = "a non-empty value",
	    [F_DTM] = "a DTM YYYY[MM[DD[hh[mm[ss]]]]]",
	    [F_SHA1] = "40 hex digits",
	    [F_SIZE] = "a decimal byte count",
	    [F_OID] = "an OID",
	    [F_CX] = "a CX id^^^&OID&ISO",
	    [F_UNIQUEID] = "an OID, OID^extension or urn:uuid",
	    [F_SPI] = "PID-n|value (PID-3 a CX)",
	};
	return names[f];
}

/*
 * ITI TF-3 Table 4.1-3 as the NIST/ONC validators apply it: authorPerson
 * XCN (an id, or family and given name; with an authority, a valid CX)
 * and authorInstitution XON (a name; a non-OID XON.10 needs &OID&ISO in
 * XON.6).
 */
static void
check_author_values(struct vctx *v, const struct gw_xds_object *o,
		    const struct gw_xds_class *c)
{
	static const struct {
		const char *slot;
		bool (*ok)(const char *);
		const char *what;
	} rules[] = {
	    {"authorPerson", gw_xds_is_xcn,
	     "an XCN (an id, or family and given name)"},
	    {"authorInstitution", gw_xds_is_xon,
	     "an XON (a name; XON.6 &OID&ISO for a local XON.10)"},
	};

	for (size_t k = 0; k < NELEM(rules); k++) {
		const struct gw_xds_slot *sl =
		    gw_xds_slot_find(&c->slots, rules[k].slot);

		for (size_t j = 0; sl != NULL && j < sl->nvalues; j++)
			if (!rules[k].ok(sl->values[j]))
				meta(v, o->id, "%s %s: %s \"%s\" is not %s",
				     role_name(o->role), nz(o->id),
				     rules[k].slot, sl->values[j],
				     rules[k].what);
	}
}

static void
check_class(struct vctx *v, const struct gw_xds_object *o,
	    const struct gw_xds_class *c, const struct scheme_rule *r)
{
	const struct gw_xds_slot *cs;

	if (r->kind == C_AUTHOR) {
		/*
		 * ebRIM requires the attribute, but .NET/WCF senders omit it
		 * and the NIST toolkit accepts that (PnrXop/dicom): only a
		 * non-empty value is wrong.
		 */
		if (c->node_rep != NULL && c->node_rep[0] != '\0')
			meta(v, o->id,
			     "%s %s: author Classification %s must have "
			     "nodeRepresentation=\"\"",
			     role_name(o->role), nz(o->id), nz(c->id));
		check_author_values(v, o, c);
		if (gw_xds_slot_find(&c->slots, "authorPerson") == NULL &&
		    gw_xds_slot_find(&c->slots, "authorInstitution") == NULL &&
		    gw_xds_slot_find(&c->slots, "authorTelecommunication") ==
			NULL)
			meta(v, o->id,
			     "%s %s: author Classification %s has none of "
			     "authorPerson, authorInstitution, "
			     "authorTelecommunication",
			     role_name(o->role), nz(o->id), nz(c->id));
		return;
	}
	if (c->node_rep == NULL || c->node_rep[0] == '\0')
		meta(v, o->id, "%s %s: %s has no nodeRepresentation (code)",
		     role_name(o->role), nz(o->id), r->attr);
	cs = gw_xds_slot_find(&c->slots, "codingScheme");
	if (cs == NULL || cs->nvalues != 1 || cs->values[0][0] == '\0')
		meta(v, o->id,
		     "%s %s: %s needs exactly one codingScheme slot value",
		     role_name(o->role), nz(o->id), r->attr);
	if (c->name == NULL || c->name[0] == '\0')
		meta(v, o->id, "%s %s: %s has no display name (rim:Name)",
		     role_name(o->role), nz(o->id), r->attr);
}

static bool
node_allowed(enum gw_xds_role role, const char *node)
{
	switch (role) {
	case GW_XDS_ROLE_ENTRY:
		return strcmp(node, GW_XDS_DE_LIMITED) == 0;
	case GW_XDS_ROLE_SUBSET:
		return strcmp(node, GW_XDS_SS_NODE) == 0 ||
		       strcmp(node, GW_XDS_SS_LIMITED) == 0;
	default:
		return true;
	}
}

static void
check_classes(struct vctx *v, int oi, bool limited)
{
	const struct gw_xds_submission *s = v->s;
	const struct gw_xds_object *o = &s->objects[oi];
	unsigned count[NELEM(scheme_rules)] = {0};

	for (size_t i = 0; i < s->nclasses; i++) {
		const struct gw_xds_class *c = &s->classes[i];
		size_t k;
		if (c->obj != oi)
			continue;
		if ((c->scheme == NULL) == (c->node == NULL)) {
			meta(v, o->id,
			     "%s %s: Classification %s needs exactly one of "
			     "classificationScheme and classificationNode",
			     role_name(o->role), nz(o->id), nz(c->id));
			continue;
		}
		if (c->node != NULL) {
			if (!node_allowed(o->role, c->node))
				meta(v, o->id,
				     "%s %s: unexpected classificationNode %s",
				     role_name(o->role), nz(o->id), c->node);
			continue;
		}
		for (k = 0; k < NELEM(scheme_rules); k++)
			if (scheme_rules[k].role == o->role &&
			    strcmp(scheme_rules[k].uuid, c->scheme) == 0)
				break;
		if (k == NELEM(scheme_rules)) {
			meta(v, o->id, "%s %s: unknown classificationScheme %s",
			     role_name(o->role), nz(o->id), c->scheme);
			continue;
		}
		count[k]++;
		check_class(v, o, c, &scheme_rules[k]);
	}
	for (size_t k = 0; k < NELEM(scheme_rules); k++) {
		const struct scheme_rule *r = &scheme_rules[k];
		if (r->role != o->role)
			continue;
		if (count[k] == 0 && r->req_full && !limited)
			meta(v, o->id, "%s %s: %s is required (%s)",
			     role_name(o->role), nz(o->id), r->attr,
			     column(limited));
		if (count[k] > 1 && !r->multi)
			meta(v, o->id, "%s %s: %s given %u times, at most once",
			     role_name(o->role), nz(o->id), r->attr, count[k]);
	}
}

static void
check_extids(struct vctx *v, int oi, bool limited)
{
	const struct gw_xds_submission *s = v->s;
	const struct gw_xds_object *o = &s->objects[oi];
	unsigned count[NELEM(extid_rules)] = {0};

	for (size_t i = 0; i < s->nextids; i++) {
		const struct gw_xds_extid *x = &s->extids[i];
		const struct extid_rule *r = NULL;
		size_t k;
		if (x->obj != oi)
			continue;
		for (k = 0; k < NELEM(extid_rules); k++)
			if (extid_rules[k].role == o->role &&
			    eq(extid_rules[k].uuid, x->scheme)) {
				r = &extid_rules[k];
				break;
			}
		if (r == NULL) {
			meta(v, o->id, "%s %s: unknown identificationScheme %s",
			     role_name(o->role), nz(o->id),
			     x->scheme != NULL ? x->scheme : "(none)");
			continue;
		}
		count[k]++;
		if (!eq(x->name, r->name))
			meta(v, o->id,
			     "%s %s: %s ExternalIdentifier must be named %s",
			     role_name(o->role), nz(o->id), r->attr, r->name);
		if (x->value == NULL || !fmt_ok(r->fmt, x->value))
			meta(v, o->id, "%s %s: %s \"%s\" is not %s",
			     role_name(o->role), nz(o->id), r->attr,
			     x->value != NULL ? x->value : "",
			     fmt_name(r->fmt));
	}
	for (size_t k = 0; k < NELEM(extid_rules); k++) {
		const struct extid_rule *r = &extid_rules[k];
		if (r->role != o->role)
			continue;
		if (count[k] == 0 && (limited ? r->req_limited : r->req_full))
			meta(v, o->id, "%s %s: %s is required (%s)",
			     role_name(o->role), nz(o->id), r->attr,
			     column(limited));
		if (count[k] > 1)
			meta(v, o->id, "%s %s: %s given %u times, exactly once",
			     role_name(o->role), nz(o->id), r->attr, count[k]);
	}
}

static void
check_slots(struct vctx *v, const struct gw_xds_object *o, bool limited)
{
	for (size_t i = 0; i < o->slots.n; i++)
		for (size_t j = 0; j < i; j++)
			if (eq(o->slots.v[i].name, o->slots.v[j].name))
				meta(v, o->id, "%s %s: slot %s appears twice",
				     role_name(o->role), nz(o->id),
				     o->slots.v[i].name);
	for (size_t k = 0; k < NELEM(slot_rules); k++) {
		const struct slot_rule *r = &slot_rules[k];
		const struct gw_xds_slot *slot;
		if (r->role != o->role)
			continue;
		slot = gw_xds_slot_find(&o->slots, r->name);
		if (slot == NULL) {
			if (limited ? r->req_limited : r->req_full)
				meta(v, o->id, "%s %s: %s is required (%s)",
				     role_name(o->role), nz(o->id), r->name,
				     column(limited));
			continue;
		}
		if (slot->nvalues == 0 || (r->single && slot->nvalues > 1)) {
			meta(v, o->id, "%s %s: slot %s needs %s value",
			     role_name(o->role), nz(o->id), r->name,
			     r->single ? "exactly one" : "at least one");
			continue;
		}
		for (size_t j = 0; j < slot->nvalues; j++)
			if (!fmt_ok(r->fmt, slot->values[j]))
				meta(v, o->id, "%s %s: %s \"%s\" is not %s",
				     role_name(o->role), nz(o->id), r->name,
				     slot->values[j], fmt_name(r->fmt));
	}
}

static bool
is_mime_type(const char *s)
{
	const char *slash = strchr(s, '/');
	static const char tspecials[] = "()<>@,;:\\\"/[]?= ";

	if (slash == NULL || slash == s || slash[1] == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (p == slash)
			continue;
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr(tspecials, *p) != NULL)
			return false;
	}
	return true;
}

static void
check_entry_attrs(struct vctx *v, const struct gw_xds_object *o, bool limited)
{
	if (o->mime_type == NULL)
		meta(v, o->id, "DocumentEntry %s: mimeType is required (%s)",
		     nz(o->id), column(limited));
	else if (!is_mime_type(o->mime_type))
		meta(v, o->id,
		     "DocumentEntry %s: mimeType \"%s\" is not type/subtype",
		     nz(o->id), o->mime_type);
	if (o->object_type == NULL)
		meta(v, o->id, "DocumentEntry %s: objectType is required (%s)",
		     nz(o->id), column(limited));
	else if (strcmp(o->object_type, GW_XDS_DE_STABLE) != 0 &&
		 strcmp(o->object_type, GW_XDS_DE_ONDEMAND) != 0)
		meta(v, o->id,
		     "DocumentEntry %s: objectType %s is neither the stable "
		     "nor the on-demand DocumentEntry type",
		     nz(o->id), o->object_type);
}

static void
check_attributes(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;

	for (size_t i = 0; i < s->nobjects; i++) {
		const struct gw_xds_object *o = &s->objects[i];
		bool limited = s->limited;
		if (o->role != GW_XDS_ROLE_ENTRY &&
		    o->role != GW_XDS_ROLE_SUBSET)
			continue;
		if (o->role == GW_XDS_ROLE_ENTRY) {
			for (size_t j = 0; j < s->nentries; j++)
				if (s->entries[j].obj == (int)i &&
				    s->entries[j].limited)
					limited = true;
			check_entry_attrs(v, o, limited);
		}
		check_slots(v, o, limited);
		check_classes(v, (int)i, limited);
		check_extids(v, (int)i, limited);
	}
}

/* --- cross-object rules -------------------------------------------------- */

static void
check_patient(struct vctx *v)
{
	const struct gw_xds_submission *s = v->s;

	if (s->ss_patient_id == NULL)
		return;
	for (size_t i = 0; i < s->nentries; i++) {
		const struct gw_xds_entry *e = &s->entries[i];
		if (e->patient_id != NULL &&
		    strcmp(e->patient_id, s->ss_patient_id) != 0)
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_PID_MISMATCH,
			    e->id,
			    "DocumentEntry %s patientId %s differs from "
			    "SubmissionSet patientId %s",
			    nz(e->id), e->patient_id, s->ss_patient_id);
	}
}

static int
entry_uid_cmp(const void *a, const void *b)
{
	const struct gw_xds_entry *x = *(const struct gw_xds_entry *const *)a;
	const struct gw_xds_entry *y = *(const struct gw_xds_entry *const *)b;

	return strcmp(x->unique_id, y->unique_id);
}

static void
check_unique_ids(struct vctx *v)
{
	const struct gw_xds_submission *s = v->s;
	const struct gw_xds_entry **t;
	size_t n = 0;

	t = gw_xcalloc(s->nentries + 1, sizeof(*t));
	for (size_t i = 0; i < s->nentries; i++) {
		if (s->entries[i].unique_id == NULL)
			continue;
		t[n++] = &s->entries[i];
		if (eq(s->entries[i].unique_id, s->ss_unique_id))
			meta(v, s->entries[i].id,
			     "DocumentEntry %s uses the SubmissionSet uniqueId",
			     nz(s->entries[i].id));
	}
	qsort(t, n, sizeof(*t), entry_uid_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(t[i - 1]->unique_id, t[i]->unique_id) == 0)
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_DUP_UNIQUEID,
			    t[i]->id,
			    "DocumentEntries %s and %s share uniqueId %s",
			    nz(t[i - 1]->id), nz(t[i]->id), t[i]->unique_id);
	free(t);
}

static void
match_entry(struct vctx *v, struct gw_xds_entry *e)
{
	size_t found = 0;
	uint64_t size;

	for (size_t j = 0; j < v->nparts; j++)
		if (eq(v->parts[j].id, e->id)) {
			if (found++ == 0)
				e->part = (int)j;
		}
	if (found == 0) {
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_MISSING_DOC, e->id,
		    "DocumentEntry %s has no matching xds:Document", e->id);
		return;
	}
	if (found > 1)
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPO_METADATA, e->id,
		    "%zu xds:Document parts have id %s", found, e->id);
	if (e->hash != NULL && gw_xds_is_sha1(e->hash) &&
	    (v->parts[e->part].sha1 == NULL ||
	     strcasecmp(e->hash, v->parts[e->part].sha1) != 0))
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPO_METADATA, e->id,
		    "DocumentEntry %s: hash %s does not match the document "
		    "(SHA-1 %s)",
		    e->id, e->hash,
		    v->parts[e->part].sha1 ? v->parts[e->part].sha1 : "?");
	if (e->size != NULL && gw_xds_is_size(e->size, &size) &&
	    size != v->parts[e->part].size)
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPO_METADATA, e->id,
		    "DocumentEntry %s: size %s does not match the document "
		    "(%llu bytes)",
		    e->id, e->size, (unsigned long long)v->parts[e->part].size);
}

static void
check_parts(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;

	for (size_t i = 0; i < s->nentries; i++) {
		s->entries[i].part = -1;
		/* An entry without id was reported by check_structure. */
		if (s->entries[i].id != NULL)
			match_entry(v, &s->entries[i]);
	}
	for (size_t j = 0; j < v->nparts; j++) {
		bool used = false;
		for (size_t i = 0; i < s->nentries && !used; i++)
			used = eq(s->entries[i].id, v->parts[j].id);
		if (!used)
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_MISSING_META,
			    v->parts[j].id,
			    "xds:Document %s has no DocumentEntry",
			    v->parts[j].id != NULL ? v->parts[j].id : "");
	}
}

/* --- routing ------------------------------------------------------------- */

static const char *
strip_mailto(const char *a)
{
	if (strncasecmp(a, "mailto:", 7) == 0)
		return a + 7;
	return a;
}

/* Component n (0-based) of s split at sep, as a new string, or NULL. */
static char *
component(const char *s, size_t len, char sep, unsigned n)
{
	const char *end = s + len, *p = s;

	for (unsigned i = 0; i < n; i++) {
		p = memchr(p, sep, (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
	}
	const char *q = memchr(p, sep, (size_t)(end - p));
	return gw_xstrndup(p, (size_t)((q != NULL ? q : end) - p));
}

/* The e-mail address of an XTN (^^Internet^addr), or NULL. */
static char *
xtn_email(const char *xtn, size_t len)
{
	char *a = component(xtn, len, '^', 3);

	if (a != NULL && a[0] == '\0') {
		free(a);
		return NULL;
	}
	return a;
}

static void
add_recipient(struct gw_xds_submission *s, const char *a)
{
	for (size_t i = 0; i < s->nrecipients; i++)
		if (strcasecmp(s->recipients[i], a) == 0)
			return;
	s->recipients = gw_xrealloc(s->recipients, (s->nrecipients + 1) *
						       sizeof(*s->recipients));
	s->recipients[s->nrecipients++] = gw_xstrdup(a);
}

static void
recipients_from_metadata(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;
	const struct gw_xds_slot *ir;

	if (s->ss_obj < 0)
		return;
	ir =
	    gw_xds_slot_find(&s->objects[s->ss_obj].slots, "intendedRecipient");
	for (size_t i = 0; ir != NULL && i < ir->nvalues; i++) {
		char *xtn =
		    component(ir->values[i], strlen(ir->values[i]), '|', 2);
		char *a = xtn != NULL ? xtn_email(xtn, strlen(xtn)) : NULL;
		/* Values naming only an organisation or person route
		 * nowhere; the RI skips them too. */
		if (a != NULL && gw_xds_is_address(a))
			add_recipient(s, a);
		else if (a != NULL)
			meta(v, s->ss_id,
			     "SubmissionSet %s: intendedRecipient e-mail "
			     "\"%s\" is not a valid Direct address",
			     s->ss_id, a);
		free(a);
		free(xtn);
	}
}

static char *
sender_from_metadata(const struct gw_xds_submission *s)
{
	for (size_t i = 0; s->ss_obj >= 0 && i < s->nclasses; i++) {
		const struct gw_xds_class *c = &s->classes[i];
		const struct gw_xds_slot *t;
		if (c->obj != s->ss_obj || !eq(c->scheme, SS_AUTHOR))
			continue;
		t = gw_xds_slot_find(&c->slots, "authorTelecommunication");
		for (size_t j = 0; t != NULL && j < t->nvalues; j++) {
			char *a = xtn_email(t->values[j], strlen(t->values[j]));
			if (a != NULL)
				return a;
		}
	}
	return NULL;
}

static void
check_routing(struct vctx *v)
{
	struct gw_xds_submission *s = v->s;
	const struct gw_xds_addressing *ad = v->addr;
	char *from;

	for (size_t i = 0; ad != NULL && i < ad->nto; i++) {
		const char *a =
		    ad->to[i] != NULL ? strip_mailto(ad->to[i]) : "";
		if (gw_xds_is_address(a))
			add_recipient(s, a);
		else
			gw_xds_errors_add(
			    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPOSITORY,
			    NULL,
			    "direct:to \"%s\" is not a valid Direct address",
			    a);
	}
	if (ad == NULL || ad->nto == 0)
		recipients_from_metadata(v);
	if (s->nrecipients == 0 && (ad == NULL || ad->nto == 0))
		gw_xds_errors_add(v->errs, GW_XDS_SEV_ERROR,
				  GW_XDS_E_REPOSITORY, NULL,
				  "no Direct recipient: neither direct:to nor "
				  "intendedRecipient");
	if (ad != NULL && ad->from != NULL)
		from = gw_xstrdup(strip_mailto(ad->from));
	else
		from = sender_from_metadata(s);
	if (from == NULL) {
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPOSITORY, NULL,
		    "no Direct sender: neither direct:from nor SubmissionSet "
		    "authorTelecommunication");
	} else if (!gw_xds_is_address(from)) {
		gw_xds_errors_add(
		    v->errs, GW_XDS_SEV_ERROR, GW_XDS_E_REPOSITORY, NULL,
		    "Direct sender \"%s\" is not a valid Direct address", from);
		free(from);
	} else {
		s->sender = from;
	}
}

/* --- entry point --------------------------------------------------------- */

static bool
is_minimal(const struct gw_xds_addressing *addr)
{
	return addr != NULL && addr->metadata_level != NULL &&
	       strcasecmp(addr->metadata_level, "minimal") == 0;
}

int
gw_xds_validate(struct gw_xds_submission *s, const struct gw_xds_part *parts,
		size_t nparts, const struct gw_xds_addressing *addr,
		struct gw_xds_errors *errs)
{
	struct vctx v = {.s = s,
			 .errs = errs,
			 .parts = parts,
			 .nparts = nparts,
			 .addr = addr};
	size_t first = errs->n;

	gw_xds_submission_index(s);
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->nrecipients; i++)
		free(s->recipients[i]);
	s->nrecipients = 0;

	/* Limited if flagged by a limitedMetadata classification on the
	 * SubmissionSet or any DocumentEntry, or by direct:metadata-level. */
	s->limited = is_minimal(addr);
	for (size_t i = 0; i < s->nclasses; i++)
		if (s->ss_obj >= 0 && s->classes[i].obj == s->ss_obj &&
		    eq(s->classes[i].node, GW_XDS_SS_LIMITED))
			s->limited = true;
	for (size_t i = 0; i < s->nentries; i++)
		if (s->entries[i].limited)
			s->limited = true;

	/* SPEC 4.10 order: structure, attributes, parts, routing. */
	collect_ids(&v);
	check_structure(&v);
	check_refs(&v);
	check_membership(&v);
	check_attributes(&v);
	check_patient(&v);
	check_unique_ids(&v);
	check_parts(&v);
	check_routing(&v);
	free(v.ids);

	for (size_t i = first; i < errs->n; i++)
		if (errs->v[i].severity == GW_XDS_SEV_ERROR)
			return -1;
	return 0;
}
