/*
 * NAME
 *	inbound - the inbound pipeline: Direct mail in, documents to the EHR
 * SUMMARY
 *	The SMTP listener's callbacks and the threads behind them. A
 *	message is checked by the security agent while the sending HISP
 *	waits for the reply to its final dot, so a message that is not
 *	trusted is refused in SMTP's own terms (554 5.7.x) and never gets a
 *	processed MDN; a trusted one is kept (its inner, decrypted message
 *	in the spool, one row per recipient in the store) and committed
 *	before the 250. Worker threads then, for each kept message:
 *	1. queue a signed and encrypted processed MDN per recipient back to
 *	   the sender (through the outbound queue);
 *	2. convert the message for each recipient's delivery target (the
 *	   address book: gw_store_addr_lookup) with xdmin and POST it to
 *	   the EHR with xdrcli, retrying with backoff while the endpoint is
 *	   down or busy, until ehr_lifetime;
 *	3. when a recipient is final: a dispatched MDN (with the
 *	   X-DIRECT-FINAL-DESTINATION-DELIVERY extension) when the sender
 *	   asked for it and the EHR took the documents, a failed MDN when
 *	   it refused them or could not be reached in time.
 *	MDNs and DSNs addressed to us are kept as notices for the tracking
 *	of outbound messages and never answered.
 * DESCRIPTION
 *	Each step's outcome is committed with the next step's work (the
 *	MDNs to send, the recipients' states) in one transaction, so a
 *	crash repeats at most the step in flight. An EHR POST carries a
 *	wsa:MessageID derived from the message, the endpoint and the
 *	submission's position: a repeat after a crash is recognisable as
 *	the same request.
 * STANDARDS
 *	Direct Applicability Statement 1.x (SPEC.md 1.7-1.8, 9.2),
 *	Implementation Guide for Delivery Notification in Direct (SPEC.md
 *	2.3-2.4), XDR and XDM for Direct Messaging (SPEC.md 3.4), ITI-41.
 * LIMITS
 *	A message is read into memory whole (smtp_max_message_size bounds
 *	it). The submission time of limited metadata is the time of
 *	conversion, not the message's Date.
 */
#ifndef GW_INBOUND_H
#define GW_INBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "keys.h"
#include "outbound.h"
#include "smtpsrv.h"
#include "store.h"
#include "trust.h"

struct gw_inbound;

struct gw_cdaval;

/*
 * Set up over the borrowed cfg, store, keys, trust and ob (the outbound
 * pipeline carries the MDNs) and cdaval (C-CDA validation under the
 * inbound policies of route.h; NULL: none); with threads, start
 * cfg->inbound_workers worker threads. GW_EPARSE for a bad source_id.
 */
int gw_inbound_new(const struct gw_config *cfg, struct gw_store *st,
		   struct gw_keys *keys, struct gw_trust *trust,
		   struct gw_outbound *ob, const struct gw_cdaval *cdaval,
		   bool threads, struct gw_inbound **out, struct gw_err *err);
/* Stop the threads (after the message in hand) and free; accepts NULL. */
void gw_inbound_free(struct gw_inbound *ib);

/*
 * smtpsrv's rcpt_ok() (arg: the gw_inbound): accepts an address with an
 * active address-book entry (its own or its domain's) or with a
 * certificate of its own (a sender of ours: its MDNs come back here);
 * other addresses of our domains get 550 5.1.1, other domains 554 (no
 * relaying). Our domains: those with trust anchors or own certificates.
 */
int gw_inbound_rcpt_ok(void *arg, const char *address, char *why, size_t len);
/* smtpsrv's deliver(): agent, then the durable commit (see above). */
int gw_inbound_deliver(void *arg, const struct gw_smtpsrv_msg *m,
		       struct gw_smtpsrv_reply *per_rcpt, struct gw_err *err);

/*
 * Process up to max due messages now, on the calling thread; *n is how
 * many were claimed. For the tests and the worker threads.
 */
int gw_inbound_run_due(struct gw_inbound *ib, size_t max, size_t *n,
		       struct gw_err *err);

/* The source_id in use (configured or derived from the hostname). */
const char *gw_inbound_source_id(const struct gw_inbound *ib);

#endif
