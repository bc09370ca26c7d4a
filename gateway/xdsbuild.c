/*
 * NAME
 *	xdsbuild - the lcm:SubmitObjectsRequest of an ITI-41 request
 * SUMMARY
 *	Validate a struct gw_xdsbuild against the XDR DS (full) or XDR MS
 *	(limited) column, then write its ebRIM 3.0 XML into a gw_buf.
 * DESCRIPTION
 *	Writing is two passes over borrowed input: validate() finds every
 *	missing or malformed required value first, so the writer never
 *	produces half a request for a bad submission; the writer then only
 *	fails on the buffer limit. A struct writer carries the first error so
 *	each element helper can be called unconditionally. Element order
 *	inside each RegistryObject follows ebRIM 3.0: Slot*, Name?,
 *	Description?, Classification*, ExternalIdentifier*. Classification,
 *	ExternalIdentifier and Association ids are symbolic (cl01, ei01,
 *	as01); document ids that look like ours are refused so they cannot
 *	collide. The SubmissionSet classification (a54d6aa5...) is written
 *	inside the RegistryPackage.
 * STANDARDS
 *	ITI TF-2b 3.41, ITI TF-3 4.2.3 and Table 4.3.1-3, ebRIM 3.0
 *	(urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0), ebRS 3.0 lcm.
 * SECURITY
 *	Values come from EHR documents and operators; all are XML-escaped
 *	(text and attributes). Direct addresses with HL7 v2 delimiters are
 *	refused rather than written into an XTN.
 * LIMITS
 *	The caller's gw_buf maximum bounds the output (GW_ELIMIT).
 */
#include "xdsbuild.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cda.h"
#include "id.h"

#define NS_LCM "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
#define NS_RIM "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
#define OT     "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:"

#define DE_OBJECT_TYPE "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
#define SS_NODE        "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define SS_LIMITED     "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
#define DE_LIMITED     "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"
#define DE_AUTHOR      "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
#define DE_CLASS       "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
#define DE_CONF        "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
#define DE_FORMAT      "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
#define DE_HCFT        "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
#define DE_PRACTICE    "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
#define DE_TYPE        "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
#define SS_AUTHOR      "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
#define SS_CONTENT     "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
#define DE_PID         "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
#define DE_UID         "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
#define SS_PID         "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
#define SS_SRC         "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
#define SS_UID         "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#define HAS_MEMBER     "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

#define STATUS "5.6.0"

struct writer {
	struct gw_buf *b;
	int rc;
	unsigned ncl, nei, nas;
};

static bool
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* --- validation --------------------------------------------------------- */

static int
need(const char *v, const char *what, const char *obj, struct gw_err *err)
{
	if (!empty(v))
		return 0;
	return gw_err_set(err, GW_ERROR, STATUS, "%s: %s is required", obj,
			  what);
}

/* A code is absent (no code) or complete; full mode requires it. */
static int
check_code(const struct gw_xdsbuild_code *c, bool required, const char *what,
	   const char *obj, struct gw_err *err)
{
	if (empty(c->code)) {
		if (!required)
			return 0;
		return gw_err_set(err, GW_ERROR, STATUS, "%s: %s is required",
				  obj, what);
	}
	if (empty(c->scheme) || empty(c->display))
		return gw_err_set(
		    err, GW_ERROR, STATUS,
		    "%s: %s needs a codingScheme and a display name", obj,
		    what);
	return 0;
}

static bool
is_sha1(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n == 40 && s[40] == '\0';
}

/* Would this id collide with the ones we generate (cl01, ei01, as01)? */
static bool
is_our_id(const char *id)
{
	return (strncmp(id, "cl", 2) == 0 || strncmp(id, "ei", 2) == 0 ||
		strncmp(id, "as", 2) == 0) &&
	       id[2] != '\0' && strspn(id + 2, "0123456789") == strlen(id + 2);
}

static int
check_doc_ids(const struct gw_xdsbuild *in, size_t i, struct gw_err *err)
{
	const char *id = in->docs[i].id;

	if (empty(id))
		return gw_err_set(err, GW_ERROR, STATUS,
				  "DocumentEntry %zu: id is required", i + 1);
	if (strcmp(id, GW_XDSBUILD_SS_ID) == 0 || is_our_id(id))
		return gw_err_set(err, GW_ERROR, STATUS,
				  "DocumentEntry %s: id is reserved", id);
	for (size_t j = 0; j < i; j++)
		if (strcmp(in->docs[j].id, id) == 0)
			return gw_err_set(err, GW_ERROR, STATUS,
					  "DocumentEntry %s: duplicate id", id);
	return 0;
}

/* ITI TF-3 Table 4.3.1-3, DocumentEntry: XDR DS when full, XDR MS when
 * limited (where only uniqueId and mimeType are R). */
static int
check_doc(const struct gw_xdsbuild *in, size_t i, struct gw_err *err)
{
	const struct gw_xdsbuild_doc *d = &in->docs[i];
	const char *o = d->id;
	bool f = !in->limited;
	int rc;

	if ((rc = check_doc_ids(in, i, err)) != 0 ||
	    (rc = need(d->unique_id, "uniqueId", o, err)) != 0 ||
	    (rc = need(d->mime_type, "mimeType", o, err)) != 0 ||
	    (rc = check_code(&d->class_code, f, "classCode", o, err)) != 0 ||
	    (rc = check_code(&d->confidentiality, f, "confidentialityCode", o,
			     err)) != 0 ||
	    (rc = check_code(&d->format_code, f, "formatCode", o, err)) != 0 ||
	    (rc = check_code(&d->healthcare_facility, f,
			     "healthcareFacilityTypeCode", o, err)) != 0 ||
	    (rc = check_code(&d->practice_setting, f, "practiceSettingCode", o,
			     err)) != 0 ||
	    (rc = check_code(&d->type_code, f, "typeCode", o, err)) != 0)
		return rc;
	if (f &&
	    ((rc = need(d->creation_time, "creationTime", o, err)) != 0 ||
	     (rc = need(d->language, "languageCode", o, err)) != 0 ||
	     (rc = need(d->patient_id, "patientId", o, err)) != 0 ||
	     (rc = need(d->source_patient_id, "sourcePatientId", o, err)) != 0))
		return rc;
	if (d->sha1 != NULL && !is_sha1(d->sha1))
		return gw_err_set(err, GW_ERROR, STATUS,
				  "%s: hash is not 40 hex digits", o);
	/* ITI TF-3 4.1.4.1: one patient per submission. */
	if (!empty(d->patient_id) && !empty(in->patient_id) &&
	    strcmp(d->patient_id, in->patient_id) != 0)
		return gw_err_set(
		    err, GW_ERROR, STATUS,
		    "%s: patientId differs from the SubmissionSet's", o);
	return 0;
}

static int
validate(const struct gw_xdsbuild *in, struct gw_err *err)
{
	const char *o = "SubmissionSet";
	int rc;

	if ((rc = need(in->source_id, "sourceId", o, err)) != 0 ||
	    (rc = check_code(&in->content_type, !in->limited, "contentTypeCode",
			     o, err)) != 0)
		return rc;
	if (!in->limited &&
	    (rc = need(in->patient_id, "patientId", o, err)) != 0)
		return rc;
	if (in->ndocs == 0 || in->docs == NULL)
		return gw_err_set(err, GW_ERROR, STATUS, "%s: no DocumentEntry",
				  o);
	for (size_t i = 0; i < in->nintended; i++) {
		const char *a = in->intended_recipients[i];

		if (empty(a) || strpbrk(a, "^&|~\\") != NULL)
			return gw_err_set(
			    err, GW_ERROR, STATUS,
			    "%s: intendedRecipient %zu is not a bare address",
			    o, i + 1);
	}
	for (size_t i = 0; i < in->ndocs; i++)
		if ((rc = check_doc(in, i, err)) != 0)
			return rc;
	return 0;
}

/* --- element writers ---------------------------------------------------- */

static void
put(struct writer *w, const char *s)
{
	if (w->rc == 0)
		w->rc = gw_buf_puts(w->b, s);
}

static void
esc(struct writer *w, const char *s)
{
	if (w->rc == 0)
		w->rc = gw_buf_xml_escape(w->b, s);
}

static void
slot_open(struct writer *w, const char *name)
{
	put(w, "<rim:Slot name=\"");
	esc(w, name);
	put(w, "\"><rim:ValueList>");
}

static void
value(struct writer *w, const char *prefix, const char *v)
{
	put(w, "<rim:Value>");
	put(w, prefix);
	esc(w, v);
	put(w, "</rim:Value>");
}

static void
slot_close(struct writer *w)
{
	put(w, "</rim:ValueList></rim:Slot>\n");
}

static void
slot1(struct writer *w, const char *name, const char *v)
{
	if (empty(v))
		return;
	slot_open(w, name);
	value(w, "", v);
	slot_close(w);
}

/* A multi-valued slot; empty values are skipped, no values no slot. */
static void
slotn(struct writer *w, const char *name, const char *prefix,
      const char *const *v, size_t n)
{
	bool open = false;

	for (size_t i = 0; i < n; i++) {
		if (empty(v[i]))
			continue;
		if (!open)
			slot_open(w, name);
		open = true;
		value(w, prefix, v[i]);
	}
	if (open)
		slot_close(w);
}

static void
name(struct writer *w, const char *v)
{
	if (empty(v))
		return;
	put(w, "<rim:Name><rim:LocalizedString value=\"");
	esc(w, v);
	put(w, "\"/></rim:Name>\n");
}

/* The next symbolic id with prefix (cl01, ei01, as01, ...). */
static void
next_id(struct writer *w, char id[24], const char *prefix, unsigned *counter)
{
	int n = snprintf(id, 24, "%s%02u", prefix, ++*counter);

	if (n < 0 || n >= 24) {
		id[0] = '\0';
		w->rc = GW_ERROR;
	}
}

static void
class_open(struct writer *w, const char *scheme, const char *obj,
	   const char *node)
{
	char id[24];

	next_id(w, id, "cl", &w->ncl);
	put(w, "<rim:Classification classificationScheme=\"");
	put(w, scheme);
	put(w, "\" classifiedObject=\"");
	esc(w, obj);
	put(w, "\" nodeRepresentation=\"");
	esc(w, node);
	put(w, "\" id=\"");
	put(w, id);
	put(w, "\" objectType=\"" OT "Classification\">\n");
}

static void
code_class(struct writer *w, const char *scheme, const char *obj,
	   const struct gw_xdsbuild_code *c)
{
	if (empty(c->code))
		return;
	class_open(w, scheme, obj, c->code);
	slot1(w, "codingScheme", c->scheme);
	name(w, c->display);
	put(w, "</rim:Classification>\n");
}

/* The author slots of one author; all borrowed, NULL = absent. */
struct author {
	const char *person, *inst, *role, *specialty, *telecom;
};

static void
author_class(struct writer *w, const char *scheme, const char *obj,
	     const struct author *a)
{
	/* ITI TF-3 4.2.3.1.4: at least one of person, institution and
	 * telecommunication; role and specialty only qualify them. */
	if (empty(a->person) && empty(a->inst) && empty(a->telecom))
		return;
	class_open(w, scheme, obj, "");
	slot1(w, "authorPerson", a->person);
	slot1(w, "authorInstitution", a->inst);
	slot1(w, "authorRole", a->role);
	slot1(w, "authorSpecialty", a->specialty);
	slot1(w, "authorTelecommunication", a->telecom);
	put(w, "</rim:Classification>\n");
}

/* A Classification to a node (SubmissionSet, limitedMetadata). */
static void
node_class(struct writer *w, const char *node, const char *obj)
{
	char id[24];

	next_id(w, id, "cl", &w->ncl);
	put(w, "<rim:Classification classifiedObject=\"");
	esc(w, obj);
	put(w, "\" classificationNode=\"");
	put(w, node);
	put(w, "\" id=\"");
	put(w, id);
	put(w, "\" objectType=\"" OT "Classification\"/>\n");
}

static void
ext_id(struct writer *w, const char *scheme, const char *obj, const char *v,
       const char *label)
{
	char id[24];

	if (empty(v))
		return;
	next_id(w, id, "ei", &w->nei);
	put(w, "<rim:ExternalIdentifier identificationScheme=\"");
	put(w, scheme);
	put(w, "\" value=\"");
	esc(w, v);
	put(w, "\" registryObject=\"");
	esc(w, obj);
	put(w, "\" id=\"");
	put(w, id);
	put(w, "\" objectType=\"" OT "ExternalIdentifier\">\n");
	name(w, label);
	put(w, "</rim:ExternalIdentifier>\n");
}

/* --- objects ------------------------------------------------------------ */

static void
doc_slots(struct writer *w, const struct gw_xdsbuild_doc *d)
{
	char size[24];

	slot1(w, "creationTime", d->creation_time);
	slot1(w, "hash", d->sha1);
	if (d->size > 0 || d->sha1 != NULL) {
		int n = snprintf(size, sizeof(size), "%llu",
				 (unsigned long long)d->size);

		if (n < 0 || (size_t)n >= sizeof(size))
			w->rc = GW_ERROR;
		slot1(w, "size", size);
	}
	slot1(w, "languageCode", d->language);
	slot1(w, "serviceStartTime", d->service_start);
	slot1(w, "serviceStopTime", d->service_stop);
	slot1(w, "sourcePatientId", d->source_patient_id);
	slotn(w, "sourcePatientInfo", "", d->source_patient_info,
	      d->nsource_patient_info);
}

static void
doc_object(struct writer *w, const struct gw_xdsbuild *in,
	   const struct gw_xdsbuild_doc *d)
{
	put(w, "<rim:ExtrinsicObject id=\"");
	esc(w, d->id);
	put(w, "\" mimeType=\"");
	esc(w, d->mime_type);
	put(w, "\" objectType=\"" DE_OBJECT_TYPE "\">\n");
	doc_slots(w, d);
	name(w, d->title);
	author_class(w, DE_AUTHOR, d->id,
		     &(struct author){d->author_person, d->author_institution,
				      d->author_role, d->author_specialty,
				      d->author_telecom});
	code_class(w, DE_CLASS, d->id, &d->class_code);
	code_class(w, DE_CONF, d->id, &d->confidentiality);
	code_class(w, DE_FORMAT, d->id, &d->format_code);
	code_class(w, DE_HCFT, d->id, &d->healthcare_facility);
	code_class(w, DE_PRACTICE, d->id, &d->practice_setting);
	code_class(w, DE_TYPE, d->id, &d->type_code);
	if (in->limited)
		node_class(w, DE_LIMITED, d->id);
	ext_id(w, DE_PID, d->id, d->patient_id, "XDSDocumentEntry.patientId");
	ext_id(w, DE_UID, d->id, d->unique_id, "XDSDocumentEntry.uniqueId");
	put(w, "</rim:ExtrinsicObject>\n");
}

static void
ss_object(struct writer *w, const struct gw_xdsbuild *in, const char *time,
	  const char *uid)
{
	const char *ss = GW_XDSBUILD_SS_ID;

	put(w, "<rim:RegistryPackage id=\"" GW_XDSBUILD_SS_ID
	       "\" objectType=\"" OT "RegistryPackage\">\n");
	slot1(w, "submissionTime", time);
	/* XON|XCN|XTN with only the telecom part (SPEC 4.7). */
	slotn(w, "intendedRecipient", "||^^Internet^", in->intended_recipients,
	      in->nintended);
	name(w, in->title);
	author_class(
	    w, SS_AUTHOR, ss,
	    &(struct author){NULL, NULL, NULL, NULL, in->author_telecom});
	code_class(w, SS_CONTENT, ss, &in->content_type);
	node_class(w, SS_NODE, ss);
	if (in->limited)
		node_class(w, SS_LIMITED, ss);
	ext_id(w, SS_UID, ss, uid, "XDSSubmissionSet.uniqueId");
	ext_id(w, SS_SRC, ss, in->source_id, "XDSSubmissionSet.sourceId");
	ext_id(w, SS_PID, ss, in->patient_id, "XDSSubmissionSet.patientId");
	put(w, "</rim:RegistryPackage>\n");
}

static void
has_member(struct writer *w, const struct gw_xdsbuild_doc *d)
{
	char id[24];

	next_id(w, id, "as", &w->nas);
	put(w, "<rim:Association associationType=\"" HAS_MEMBER
	       "\" sourceObject=\"" GW_XDSBUILD_SS_ID "\" targetObject=\"");
	esc(w, d->id);
	put(w, "\" id=\"");
	put(w, id);
	put(w, "\" objectType=\"" OT "Association\">\n");
	slot1(w, "SubmissionSetStatus", "Original");
	put(w, "</rim:Association>\n");
}

static int
now_dtm(char out[16])
{
	time_t t = time(NULL);
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 16, "%Y%m%d%H%M%S", &tm) != 14)
		return GW_ERROR;
	return 0;
}

int
gw_xdsbuild_submission(const struct gw_xdsbuild *in, struct gw_buf *out,
		       struct gw_err *err)
{
	struct writer w = {.b = out, .rc = 0, .ncl = 0, .nei = 0, .nas = 0};
	size_t start = out->len;
	char oid[GW_ID_OID_LEN], now[16];
	const char *uid = in->ss_unique_id, *time = in->submission_time;
	int rc;

	if ((rc = validate(in, err)) != 0)
		return rc;
	if (empty(uid)) {
		gw_id_uuid_oid(oid);
		uid = oid;
	}
	if (empty(time)) {
		if (now_dtm(now) != 0)
			return gw_err_set(
			    err, GW_ERROR, "4.3.0",
			    "SubmissionSet: no clock for submissionTime");
		time = now;
	}
	put(&w, "<lcm:SubmitObjectsRequest xmlns:lcm=\"" NS_LCM
		"\" xmlns:rim=\"" NS_RIM "\">\n<rim:RegistryObjectList>\n");
	for (size_t i = 0; i < in->ndocs; i++)
		doc_object(&w, in, &in->docs[i]);
	ss_object(&w, in, time, uid);
	for (size_t i = 0; i < in->ndocs; i++)
		has_member(&w, &in->docs[i]);
	put(&w, "</rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n");
	if (w.rc != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		if (w.rc == GW_ELIMIT)
			return gw_err_set(
			    err, GW_ELIMIT, "5.3.4",
			    "SubmitObjectsRequest exceeds %zu bytes", out->max);
		return gw_err_set(err, GW_ERROR, "4.3.0",
				  "SubmitObjectsRequest: cannot format");
	}
	return 0;
}

/* A CDA code without a code system cannot be sent: leave it absent. */
static void
code_from(struct gw_xdsbuild_code *d, const struct gw_cda_code *c)
{
	d->code = d->scheme = d->display = NULL;
	if (c->code == NULL || c->scheme == NULL)
		return;
	d->code = c->code;
	d->scheme = c->scheme;
	d->display = c->display != NULL ? c->display : c->code;
}

void
gw_xdsbuild_doc_from_cda(struct gw_xdsbuild_doc *d,
			 const struct gw_cda_header *h)
{
	d->mime_type = "text/xml";
	d->unique_id = h->unique_id;
	d->patient_id = h->patient_id;
	d->source_patient_id = h->source_patient_id;
	d->creation_time = h->creation_time;
	d->title = h->title;
	d->language = h->language;
	d->service_start = h->service_start;
	d->service_stop = h->service_stop;
	d->author_person = h->author_person;
	d->author_institution = h->author_institution;
	d->author_role = h->author_role;
	d->author_specialty = h->author_specialty;
	d->author_telecom = h->author_telecom;
	code_from(&d->type_code, &h->type);
	code_from(&d->class_code, &h->class_code);
	code_from(&d->confidentiality, &h->confidentiality);
	code_from(&d->healthcare_facility, &h->facility_type);
	code_from(&d->practice_setting, &h->practice_setting);
	code_from(&d->format_code, &h->format);
	d->source_patient_info = (const char *const *)h->source_patient_info;
	d->nsource_patient_info = h->nsource_patient_info;
}
