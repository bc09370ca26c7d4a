/*
 * NAME
 *	outbound - accepted XDR submissions become queued Direct messages
 * SUMMARY
 *	The outbound pipeline: for each submission the store holds as
 *	"accepted", find the recipients' certificates (certdisc + trust),
 *	build the XDM package from the stored metadata and documents, the
 *	MIME message per destination domain, sign it with the sender's
 *	keys and encrypt it to every valid certificate of that domain's
 *	recipients, then queue one message per domain in one transaction
 *	(store) and wake the delivery threads (deliver). Recipients that
 *	cannot be served are failed with the reason.
 *	Also answers, while an ITI-41 request is open, whether the sender
 *	can sign and each recipient can be served (issue 3 item 7).
 * DESCRIPTION
 *	A conversion either queues everything or nothing: a failure that
 *	may pass (a temporary certificate lookup, the disk) leaves the
 *	submission "accepted" for the next round; a permanent one (no
 *	signing key, documents that no longer match their hash) fails every
 *	recipient with the reason. The XDM package is built in memory (no
 *	temporary file to clean up); message files are spool files adopted
 *	by the store in the queueing transaction.
 * STANDARDS
 *	Direct Applicability Statement 1.x, XDR and XDM for Direct
 *	Messaging (SPEC.md 1, 3.3, 5), ITI-32.
 */
#ifndef GW_OUTBOUND_H
#define GW_OUTBOUND_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "buf.h"
#include "keys.h"
#include "spool.h"
#include "store.h"
#include "trust.h"

struct gw_outbound;

/*
 * Set up certificate discovery over keys and trust (both borrowed, they
 * must outlive the pipeline); with threads, also start the converter
 * thread and cfg->delivery_workers delivery threads.
 */
int gw_outbound_new(const struct gw_config *cfg, struct gw_store *st,
		    struct gw_keys *keys, struct gw_trust *trust, bool threads,
		    struct gw_outbound **out, struct gw_err *err);
/* Stop the threads and free; accepts NULL. */
void gw_outbound_free(struct gw_outbound *ob);
/* A new submission was accepted: convert soon. */
void gw_outbound_kick(struct gw_outbound *ob);

/* Convert one accepted submission now (the converter's unit of work). */
int gw_outbound_convert(struct gw_outbound *ob, const char *txid,
			struct gw_err *err);
/*
 * Convert these submissions and queue them together (they share the
 * durable commits); *n is how many are done. One that cannot be
 * converted now is logged and left for later.
 */
int gw_outbound_convert_many(struct gw_outbound *ob, char *const *txids,
			     size_t nt, size_t *n);
/* Convert up to a batch of what is waiting; *n is how many were done. */
int gw_outbound_convert_pending(struct gw_outbound *ob, size_t *n,
				struct gw_err *err);

/*
 * Can sender sign now? 0, or GW_ETRUST / GW_ENOTFOUND with the reason
 * in err.
 */
int gw_outbound_check_sender(struct gw_outbound *ob, const char *sender,
			     struct gw_err *err);
/*
 * Can address be served for sender now? 0; GW_ENOTFOUND when it is
 * malformed or no certificate is published (XDS UnknownRecipient);
 * GW_ETRUST or GW_ETEMP when certificates exist but none is usable now
 * (UnavailableRecipient). The reason is in err.
 */
int gw_outbound_check_recipient(struct gw_outbound *ob, const char *sender,
				const char *address, struct gw_err *err);

/*
 * Seal a message that is not a submission (an MDN): sign signable as
 * from (our address: its own certificates, else its domain's), encrypt
 * to the certificates of to found for from's domain, and write outer and
 * the encrypted entity to a new finished spool file (*file, the caller's).
 * GW_ETEMP when the lookup may pass later; GW_ENOTFOUND / GW_ETRUST when
 * there is nothing to sign or encrypt with.
 */
int gw_outbound_seal(struct gw_outbound *ob, const char *from, const char *to,
		     const struct gw_buf *outer, const struct gw_buf *signable,
		     struct gw_spool_file **file, struct gw_err *err);
/* Queued jobs were added outside the converter: wake the delivery. */
void gw_outbound_wake(struct gw_outbound *ob);

#endif
