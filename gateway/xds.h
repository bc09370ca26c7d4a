/*
 * NAME
 *	xds - XDS metadata model, error list and XDR validation rules
 * SUMMARY
 *	The in-memory form of one ebRIM 3.0 SubmitObjectsRequest (raw
 *	registry objects plus a derived SubmissionSet / DocumentEntry view),
 *	the RegistryError list that becomes an ebRS RegistryResponse, and
 *	gw_xds_validate(), which applies the XDR Document Recipient rules
 *	(XDR DS or XDR MS column, formats, parts, routing).
 * DESCRIPTION
 *	Pure code: no libxml2, no I/O. xdsxml fills the model; the SOAP
 *	server and the XDM reader call gw_xds_validate(). Every string in a
 *	struct gw_xds_submission (raw model, entries, sender, recipients) is
 *	owned by the submission and released by gw_xds_submission_free().
 *	Nothing here keeps global state: all functions are thread-safe on
 *	distinct objects.
 * STANDARDS
 *	IHE ITI TF-3 4.2 / 4.3 (metadata, Table 4.3.1-3), ITI-41, ebRIM 3.0,
 *	XDR and XDM for Direct Messaging.
 */
#ifndef GW_XDS_H
#define GW_XDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UUID catalogue (ITI TF-3 4.2.5). */
#define GW_XDS_DE_STABLE      "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
#define GW_XDS_DE_ONDEMAND    "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
#define GW_XDS_SS_NODE        "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
#define GW_XDS_FOLDER_NODE    "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
#define GW_XDS_SS_LIMITED     "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
#define GW_XDS_DE_LIMITED     "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"
#define GW_XDS_FOLDER_LIMITED "urn:uuid:2c144a76-29a9-4b7c-af54-b25409fe7d03"
#define GW_XDS_HASMEMBER                                                       \
	"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

/* RegistryError codes used by this module (ITI TF-3 4.2.4.1). */
#define GW_XDS_E_METADATA      "XDSRegistryMetadataError"
#define GW_XDS_E_REPO_METADATA "XDSRepositoryMetadataError"
#define GW_XDS_E_MISSING_DOC   "XDSMissingDocument"
#define GW_XDS_E_MISSING_META  "XDSMissingDocumentMetadata"
#define GW_XDS_E_PID_MISMATCH  "XDSPatientIdDoesNotMatch"
#define GW_XDS_E_DUP_UNIQUEID  "XDSRepositoryDuplicateUniqueIdInMessage"
#define GW_XDS_E_UNRESOLVED    "UnresolvedReferenceException"
#define GW_XDS_E_REPOSITORY    "XDSRepositoryError"

enum gw_xds_severity { GW_XDS_SEV_ERROR, GW_XDS_SEV_WARNING };

struct gw_xds_error {
	enum gw_xds_severity severity;
	char *code;     /* errorCode */
	char *context;  /* codeContext, human readable */
	char *location; /* object id or NULL */
};

struct gw_xds_errors {
	struct gw_xds_error *v;
	size_t n;
	size_t cap;
};

/* Start an empty list (caller-allocated). */
void gw_xds_errors_init(struct gw_xds_errors *e);
/* Free the entries; the list may be reused after gw_xds_errors_init. */
void gw_xds_errors_dispose(struct gw_xds_errors *e);
/* Append one RegistryError; code and location are copied, location may
 * be NULL. Never fails (allocation aborts). */
void gw_xds_errors_add(struct gw_xds_errors *e, enum gw_xds_severity sev,
		       const char *code, const char *location, const char *fmt,
		       ...) __attribute__((format(printf, 5, 6)));
/* True when any entry has Error severity. */
bool gw_xds_errors_failed(const struct gw_xds_errors *e);
/* True when an entry with this errorCode (any severity) is present. */
bool gw_xds_errors_has(const struct gw_xds_errors *e, const char *code);
/* urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error / :Warning */
const char *gw_xds_severity_urn(enum gw_xds_severity sev);

/* Parser limits; a 0 field means the default. */
struct gw_xds_limits {
	unsigned max_depth;   /* element nesting, default 64 */
	unsigned max_objects; /* registry objects, default 10000 */
	size_t max_value_len; /* any attribute or Value, default 65536 */
};
#define GW_XDS_DEF_DEPTH     64
#define GW_XDS_DEF_OBJECTS   10000
#define GW_XDS_DEF_VALUE_LEN 65536
/* Every element counts against max_objects * GW_XDS_ELEMENTS_PER_OBJECT. */
#define GW_XDS_ELEMENTS_PER_OBJECT 32

/* Copy in (may be NULL) to out with defaults filled in. */
void gw_xds_limits_resolve(const struct gw_xds_limits *in,
			   struct gw_xds_limits *out);

/* One received xds:Document: its id, byte count and SHA-1 (40 hex). */
struct gw_xds_part {
	const char *id;
	uint64_t size;
	const char *sha1;
};

/* Direct addressing from the SOAP headers; any field may be NULL/0.
 * metadata_level is "minimal", "XDS" or NULL. Values may carry a
 * "mailto:" prefix. */
struct gw_xds_addressing {
	const char *from;
	const char *const *to;
	size_t nto;
	const char *metadata_level;
};

/* --- raw ebRIM model ---------------------------------------------------- */

struct gw_xds_slot {
	char *name;
	char **values;
	size_t nvalues;
};

struct gw_xds_slots {
	struct gw_xds_slot *v;
	size_t n;
};

enum gw_xds_kind { GW_XDS_EXTRINSIC, GW_XDS_PACKAGE };

enum gw_xds_role {
	GW_XDS_ROLE_UNKNOWN,
	GW_XDS_ROLE_ENTRY,  /* ExtrinsicObject = DocumentEntry */
	GW_XDS_ROLE_SUBSET, /* RegistryPackage classified as SubmissionSet */
	GW_XDS_ROLE_FOLDER, /* RegistryPackage classified as Folder */
};

/* rim:ExtrinsicObject or rim:RegistryPackage. */
struct gw_xds_object {
	enum gw_xds_kind kind;
	enum gw_xds_role role; /* set by gw_xds_submission_index */
	char *id;
	char *object_type;
	char *mime_type;
	char *title;    /* rim:Name/rim:LocalizedString/@value */
	char *comments; /* rim:Description/... */
	struct gw_xds_slots slots;
	int line;
};

/* rim:Classification (nested or top level). */
struct gw_xds_class {
	char *id;
	char *scheme;     /* classificationScheme */
	char *node;       /* classificationNode */
	char *classified; /* classifiedObject (parent id when nested) */
	char *node_rep;   /* nodeRepresentation; NULL if absent */
	char *name;
	struct gw_xds_slots slots;
	int parent; /* index of the enclosing object, -1 if top level */
	int obj;    /* index of the classified object, -1 if none */
	int line;
};

/* rim:ExternalIdentifier. */
struct gw_xds_extid {
	char *id;
	char *scheme; /* identificationScheme */
	char *value;
	char *registry_object;
	char *name;
	int parent;
	int obj;
	int line;
};

/* rim:Association. */
struct gw_xds_assoc {
	char *id;
	char *type;
	char *source;
	char *target;
	struct gw_xds_slots slots;
	int line;
};

/* --- derived view -------------------------------------------------------- */

/* One DocumentEntry; strings point into the raw model (owned by the
 * submission), NULL when the attribute is absent. */
struct gw_xds_entry {
	char *id;
	char *unique_id;
	char *patient_id;
	char *mime_type;
	char *hash;
	char *size;
	char *title;
	char *creation_time;
	char *source_patient_id;
	char *object_type;
	int part;     /* index into parts[] after validate, -1 if none */
	int obj;      /* index into objects[] */
	bool limited; /* DocumentEntry limitedMetadata (or submission) */
};

struct gw_xds_submission {
	char *ss_id;
	char *ss_unique_id;
	char *ss_source_id;
	char *ss_patient_id;
	char *ss_submission_time;
	int ss_obj;   /* index into objects[], -1 if no SubmissionSet */
	bool limited; /* limitedMetadata classification or level minimal */
	struct gw_xds_entry *entries;
	size_t nentries;
	/* Resolved by gw_xds_validate: bare addresses, no "mailto:". */
	char *sender;
	char **recipients;
	size_t nrecipients;

	/* Raw model in document order. */
	struct gw_xds_object *objects;
	size_t nobjects;
	struct gw_xds_class *classes;
	size_t nclasses;
	struct gw_xds_extid *extids;
	size_t nextids;
	struct gw_xds_assoc *assocs;
	size_t nassocs;
	char **refs; /* rim:ObjectRef ids */
	size_t nrefs;
	/* Allocation sizes (private to xds/xdsxml). */
	size_t cap_objects, cap_classes, cap_extids, cap_assocs, cap_refs;
};

/* An empty submission (heap, caller frees with gw_xds_submission_free). */
struct gw_xds_submission *gw_xds_submission_new(void);
/* Free everything; accepts NULL. */
void gw_xds_submission_free(struct gw_xds_submission *s);

/* Append a raw object and return it zeroed (parent/obj set to -1). The
 * pointer is valid until the next append of the same kind. */
struct gw_xds_object *gw_xds_object_add(struct gw_xds_submission *s);
struct gw_xds_class *gw_xds_class_add(struct gw_xds_submission *s);
struct gw_xds_extid *gw_xds_extid_add(struct gw_xds_submission *s);
struct gw_xds_assoc *gw_xds_assoc_add(struct gw_xds_submission *s);
void gw_xds_ref_add(struct gw_xds_submission *s, char *id_take);
/* Append a slot to a list; name and values are taken over. */
struct gw_xds_slot *gw_xds_slot_add(struct gw_xds_slots *l, char *name_take);
void gw_xds_slot_value_add(struct gw_xds_slot *slot, char *value_take);
/* The slot called name, or NULL. */
const struct gw_xds_slot *gw_xds_slot_find(const struct gw_xds_slots *l,
					   const char *name);

/*
 * Link classifications and external identifiers to their objects, find
 * roles (SubmissionSet, Folder, DocumentEntry) and rebuild the derived
 * view (ss_*, entries). Adds no errors; gw_xds_validate reports what is
 * wrong. Called by gw_xdsxml_parse; call again after editing the model.
 */
void gw_xds_submission_index(struct gw_xds_submission *s);

/*
 * Validate against the XDR Document Recipient rules: structure,
 * references, the XDR DS column (or XDR MS when limited), value formats,
 * patient id consistency, duplicate uniqueIds, parts (id, size, hash),
 * unsupported content (Partial...NotProcessed warnings) and Direct
 * routing. Fills entries[i].part, s->limited, s->sender, s->recipients.
 * parts may be NULL when nparts is 0; addr may be NULL. Returns 0 when no
 * Error was added to errs, -1 otherwise. May be called again.
 */
int gw_xds_validate(struct gw_xds_submission *s,
		    const struct gw_xds_part *parts, size_t nparts,
		    const struct gw_xds_addressing *addr,
		    struct gw_xds_errors *errs);

/* Value-format predicates (exported for the builders and the tests). */
bool gw_xds_is_dtm(const char *s);      /* YYYY[MM[DD[hh[mm[ss]]]]] */
bool gw_xds_is_oid(const char *s);      /* n.n[.n]..., <= 64 chars */
bool gw_xds_is_cx(const char *s);       /* id^^^&OID&ISO */
bool gw_xds_is_uniqueid(const char *s); /* OID[^ext] or urn:uuid: */
bool gw_xds_is_sha1(const char *s);     /* 40 hex digits, any case */
bool gw_xds_is_size(const char *s, uint64_t *out); /* decimal */
bool gw_xds_is_address(const char *s);             /* bare local@domain */
/*
 * ITI TF-3 Table 4.1-3 as the NIST/ONC XDR validators apply it:
 * XCN (authorPerson): an id (and when XCN.9 is valued, XCN.1^^^XCN.9 is
 * a valid CX), or else both a family (XCN.2) and a given (XCN.3) name.
 * XON (authorInstitution): XON.1 valued; only XON.1, .6 and .10 valued;
 * when XON.10 is not an OID, XON.6 is &OID&ISO.
 * XTN (authorTelecommunication): the e-mail form ^^Internet^local@domain.
 */
bool gw_xds_is_xcn(const char *s);
bool gw_xds_is_xon(const char *s);
bool gw_xds_is_xtn(const char *s);

#endif
