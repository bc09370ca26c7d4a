/*
 * NAME
 *	tracker - one honest final outcome per recipient of our messages
 * SUMMARY
 *	Drives the per-recipient state the store keeps after the next hop
 *	took a Direct message (store.h, "Delivery tracking"): MDNs and DSNs
 *	that came back (kept by the inbound leg as notices) move recipients
 *	to processed, dispatched or failed; a timer fails those that wait
 *	too long for their final notice; a final outcome of a submission
 *	that came in over XDR is reported to the EHR as an ITI-41 whose one
 *	document is a direct:messageDisposition, related to the original
 *	wsa:MessageID, retried while the EHR's endpoint is down.
 * DESCRIPTION
 *	Correlation: an MDN by its Original-Message-ID (else In-Reply-To)
 *	and Final-Recipient (else its From); a DSN by X-Original-Message-ID
 *	and Final-Recipient. A message that asked for final delivery
 *	completes only on dispatched with the X-DIRECT-FINAL-DESTINATION-
 *	DELIVERY extension field, or on failure; otherwise processed
 *	completes it. Once final, a recipient never changes: duplicates and
 *	late notices are written to its history and go no further.
 *	The EHR's endpoint is the address book's entry for the submission's
 *	sender (dxgw addr add <sender> <url>): the EHR that sends as an
 *	address also receives for it.
 * STANDARDS
 *	Implementation Guide for Delivery Notification in Direct 1.0
 *	(SPEC.md 2.1-2.6), Direct Edge Protocols IG (SPEC.md 2.7: the
 *	messageDisposition document), RFC 8098, RFC 3464.
 */
#ifndef GW_TRACKER_H
#define GW_TRACKER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "store.h"

enum gw_track_ev {
	GW_TRACK_PROCESSED,  /* processed MDN */
	GW_TRACK_DISPATCHED, /* dispatched MDN */
	GW_TRACK_FAILED,     /* failed/denied/error MDN, DSN failed */
	GW_TRACK_TIMEOUT,    /* no final notice within mdn_timeout */
};

/* What one notification does to a recipient (gw_tracker_decide). */
struct gw_track_step {
	bool change;       /* false: history only */
	const char *state; /* the new state when change */
	bool final;
	char event[80]; /* the history row */
};

/*
 * The pure rule: a recipient in state (final or not) of a message that
 * did or did not ask for final delivery gets ev (ext: the dispatched
 * MDN carried the extension field).
 */
void gw_tracker_decide(const char *state, bool is_final, bool final_delivery,
		       enum gw_track_ev ev, bool ext,
		       struct gw_track_step *out);

struct gw_tracker;

/*
 * Over the borrowed cfg and store; source_id is the OID for the
 * SubmissionSets of dispositions. With threads, a thread that works
 * every second (or when kicked).
 */
int gw_tracker_new(const struct gw_config *cfg, struct gw_store *st,
		   const char *source_id, bool threads, struct gw_tracker **out,
		   struct gw_err *err);
void gw_tracker_free(struct gw_tracker *tr);
/* Notices arrived: work soon. Accepts NULL. */
void gw_tracker_kick(struct gw_tracker *tr);
/*
 * One round on the calling thread: untracked notices, overdue
 * recipients, dispositions owed to EHRs. *n counts what was handled.
 */
int gw_tracker_run_once(struct gw_tracker *tr, size_t *n, struct gw_err *err);

#endif
