/*
 * NAME
 *	xdmin - the ITI-41 submissions of a received Direct message
 * SUMMARY
 *	gw_xdmin_convert() turns the attachments of a decrypted and verified
 *	Direct message into ITI-41 submissions for the EHR's XDR endpoint:
 *	each IHE_XDM/<subset>/ of an XDM attachment is forwarded with its own
 *	METADATA.XML; the other attachments get limited metadata built from
 *	the envelope (and from the header of a C-CDA).
 * STANDARDS
 *	XDR and XDM for Direct Messaging (SPEC 3.4, 3.5), ITI TF-2 3.32
 *	(XDM), ITI TF-2b 3.41 and ITI TF-3 4.3 (XDR MS / DS columns),
 *	C-CDA header facts (SPEC 8.1-8.3).
 */
#ifndef GW_XDMIN_H
#define GW_XDMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cda.h"
#include "err.h"
#include "xdm.h"
#include "xds.h"

/* One MIME leaf of the message, as the MIME parser gave it (borrowed). */
struct gw_xdmin_part {
	const char *content_type; /* "type/subtype; params" or NULL */
	const char *filename;     /* Content-Disposition/name, or NULL */
	const char *data;         /* decoded bytes */
	size_t len;
};

/* The message (all pointers borrowed). */
struct gw_xdmin_msg {
	const struct gw_xdmin_part *parts;
	size_t nparts;
	const char *sender;            /* bare Direct address */
	const char *const *recipients; /* bare Direct addresses */
	size_t nrecipients;            /* those this endpoint serves */
	const char *subject;           /* SubmissionSet title, or NULL */
	const char *submission_time;   /* DTM (UTC), NULL: now */
};

/* Settings (borrowed). */
struct gw_xdmin_config {
	const char *source_id;           /* our OID: SubmissionSet sourceId */
	const struct gw_xdm_limits *zip; /* NULL: defaults */
	const struct gw_xds_limits *xds; /* NULL: defaults */
	/* C-CDA metadata defaults (cda.h), NULL: the built-in ones */
	const struct gw_cda_defaults *cda;
};

/* One document of a submission; owned by the result. */
struct gw_xdmin_doc {
	char *id;        /* xds:Document/@id = ExtrinsicObject/@id */
	char *mime_type; /* the ExtrinsicObject's mimeType */
	char *data;
	size_t len;
};

/* One ITI-41 request; owned by the result. */
struct gw_xdmin_sub {
	char *metadata; /* lcm:SubmitObjectsRequest XML */
	size_t metadata_len;
	bool limited;  /* XDR MS: send direct:metadata-level minimal */
	bool from_xdm; /* METADATA.XML of an XDM subset, as found */
	struct gw_xdmin_doc *docs; /* in the order the metadata names them */
	size_t ndocs;
};

struct gw_xdmin_result {
	struct gw_xdmin_sub *subs;
	size_t nsubs;
};

/*
 * Convert msg. An attachment is XDM by content alone (ZIP magic and an
 * IHE_XDM/ folder, gw_xdm_read), whatever its name or MIME label; every
 * subset of every XDM attachment becomes one submission with the
 * subset's METADATA.XML byte for byte and its documents (sizes and hashes
 * checked). All other parts - a ZIP without IHE_XDM/ included, as
 * application/zip - become the documents of one more submission with
 * limited metadata (SPEC 3.4): limitedMetadata classifications,
 * intendedRecipient = recipients, authorTelecommunication = sender, new
 * 2.25 OIDs, sourceId = cfg->source_id, the part's mimeType, size and
 * SHA-1, and the header facts of a C-CDA. An inline text/plain part (no
 * filename) is the message's note: it becomes a document only when the
 * message has nothing else. Every submission is then parsed and checked
 * with gw_xds_validate (XDR MS when limited, else XDR DS) against its
 * documents and the envelope, so the EHR gets only what its Document
 * Recipient accepts.
 * Returns 0 and fills *out (gw_xdmin_result_dispose); or GW_EPARSE /
 * GW_ELIMIT (an unsafe, broken or oversized XDM package, or metadata the
 * rules refuse: err names the entry or the RegistryError code and its
 * context), GW_ERROR (no parts, no source_id, sender or recipient); then
 * *out is empty. Thread-safe.
 */
int gw_xdmin_convert(const struct gw_xdmin_msg *msg,
		     const struct gw_xdmin_config *cfg,
		     struct gw_xdmin_result *out, struct gw_err *err);
void gw_xdmin_result_dispose(struct gw_xdmin_result *r);

#endif
