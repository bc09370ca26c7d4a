/*
 * NAME
 *	agent - the Direct security agent, incoming: decrypt, verify,
 *	trust, unwrap, check the envelope against the protected headers
 * SUMMARY
 *	gw_agent_incoming() takes a message as it arrived over SMTP (the
 *	envelope sender and recipients, the bytes) and either accepts it,
 *	returning the inner message the sender wrote (header protected:
 *	the message/rfc822 inside the signature), the sender, the trusted
 *	signers and whether it is an MDN or a DSN, or refuses it with a
 *	precise reason and an RFC 3463 status. A refused message must not
 *	get a processed MDN (SPEC.md 1.8).
 * DESCRIPTION
 *	Steps, each refusing on failure:
 *	1. every envelope recipient is normalised (gw_addr_normalize); our
 *	   private keys bound to a recipient's address or domain are
 *	   collected (keys.h);
 *	2. gw_smime_decrypt() with those keys;
 *	3. gw_smime_verify(): at least one signer whose signature holds
 *	   with SHA-256/384/512 (SHA-1 only with allow_sha1);
 *	4. the signed content is message/rfc822 (header protection: the
 *	   inner message is its body) or, from peers that do not wrap, any
 *	   other entity (the inner message is then the outer header fields
 *	   other than Content-* and MIME-Version, followed by the entity);
 *	5. the sender is the one address of the protected From. The
 *	   protected From is authoritative (SPEC.md 1.4); a visible outer
 *	   From that names another address is tampering and refused. The
 *	   envelope sender (MAIL FROM) is not checked against it: MDNs and
 *	   DSNs come with an empty one and forwarders rewrite it; a
 *	   difference is logged and reported (sender_differs);
 *	6. trust, for every domain among the envelope recipients: some
 *	   verified signer passes gw_trust_check() for that local domain,
 *	   bound to the sender's address or else to its domain (binding,
 *	   validity, RSA >= 2048, keyUsage, a path to one of the domain's
 *	   anchors);
 *	7. every envelope recipient appears in the protected To, Cc or
 *	   Bcc (normalised, so without regard to case or a +tag).
 *	The whole message is refused when one recipient fails (the RI
 *	does the same); per-recipient refusal is later work.
 * STANDARDS
 *	RFC 5751 (S/MIME 3.2), RFC 5652 (CMS), RFC 3463 (status codes:
 *	5.7.1 not authorised - not encrypted, not signed, header
 *	tampering; 5.7.5 cryptographic failure - no key opens it,
 *	untrusted or unusable signer, refused digest; 5.7.7 integrity -
 *	the signature does not match the content), RFC 3798/8098 and RFC
 *	3464 (multipart/report), Direct Applicability Statement (SPEC.md
 *	1.3-1.8).
 * SECURITY
 *	Everything in msg is untrusted. Logs carry addresses, fingerprints,
 *	status and reason, never contents or subjects. No revocation
 *	checking yet (trust.h).
 * LIMITS
 *	max_size bounds the decrypted and inner message;
 *	GW_AGENT_MAX_RCPTS envelope recipients; GW_SMIME_SIGNERS_MAX
 *	signers looked at.
 */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "keys.h"
#include "smime.h"
#include "store.h"
#include "trust.h"

#define GW_AGENT_MAX_RCPTS 1000

/*
 * What the agent works with. Cheap: a caller may fill one per message
 * (for txid) or share one (txid NULL) between threads; nothing in it is
 * written by the agent.
 */
struct gw_agent {
	struct gw_keys *keys;   /* ours: decryption keys (borrowed) */
	struct gw_trust *trust; /* anchors per local domain (borrowed) */
	struct gw_store *store; /* audit rows; NULL: none */
	bool allow_sha1;        /* accept SHA-1 signatures (policy) */
	size_t max_size;        /* decrypted message; 0: 64 MB */
	time_t now;             /* 0: the clock */
	const char *txid;       /* log prefix; may be NULL */
	/*
	 * The caller writes the "direct.accepted" audit row itself, in the
	 * transaction that keeps the message (refusals are still audited
	 * here).
	 */
	bool caller_audits_accept;
};

enum gw_agent_kind {
	GW_AGENT_MESSAGE, /* anything else */
	GW_AGENT_MDN,     /* multipart/report; disposition-notification */
	GW_AGENT_DSN,     /* multipart/report; delivery-status */
};

struct gw_agent_result {
	struct gw_buf message;    /* the inner message, header and body */
	char sender[GW_ADDR_MAX]; /* the protected From, normalised */
	bool wrapped;             /* it came as message/rfc822 */
	bool sender_differs;      /* MAIL FROM was another address */
	enum gw_agent_kind kind;
	/* SHA-256 fingerprints of the signers that were trusted */
	char signers[GW_SMIME_SIGNERS_MAX][GW_SMIME_FP_LEN];
	size_t nsigners;
};

void gw_agent_result_init(struct gw_agent_result *r);
void gw_agent_result_dispose(struct gw_agent_result *r);

/*
 * Open and check one incoming message for the envelope recipients
 * rcpts (mail_from may be "" or NULL for the null sender). 0 and res
 * filled on acceptance. On refusal a negative code with err's status
 * and reason (also logged, and an audit row when a->store is set):
 * GW_ETRUST (5.7.1 / 5.7.5 / 5.7.7, see STANDARDS), GW_EPARSE (5.6.0,
 * 5.1.3 for a bad recipient address), GW_ELIMIT, GW_ETEMP when the
 * audit row cannot be written. Thread-safe as long as a is not
 * changed.
 */
int gw_agent_incoming(struct gw_agent *a, const char *mail_from,
		      const char *const *rcpts, size_t nrcpts, const void *msg,
		      size_t len, struct gw_agent_result *res,
		      struct gw_err *err);

#endif
