/*
 * NAME
 *	hisp - two-HISP integration scaffolding (tests only)
 * SUMMARY
 *	HISP A is a dxgw serve for direct-a.example (its EHR sends as
 *	ehr@direct-a.example), HISP B one for direct-b.example (doc@); each
 *	imports its own key, the other's certificate and the other's anchor
 *	(certs/mkdirect.sh), listens for SMTP and relays to the other.
 *	Helpers read their stores while they run, make Direct messages with
 *	the openssl command line and send them over SMTP.
 */
#ifndef GW_TEST_HISP_H
#define GW_TEST_HISP_H

#include <stdbool.h>
#include <stddef.h>

#include "itest.h"
#include "mdn.h"
#include "smtpcli.h"
#include "store.h"

#define GW_HISP_CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

struct gw_hisp {
	struct gw_daemon d;
	int smtp_port;
	char keys[400];
};

/* The Direct test PKI directory ("" when it cannot be made). */
const char *gw_hisp_pki(void);
/*
 * Start HISP side ('a' or 'b') with SMTP on smtp_port, relaying to
 * relay_port, with extra config lines.
 */
bool gw_hisp_start(struct gw_hisp *h, char side, int smtp_port, int relay_port,
		   const char *extra);
/* dxgw addr add on h. */
bool gw_hisp_addr_add(const struct gw_hisp *h, const char *address,
		      const char *url);
/* dxgw submit of the corpus C-CDA from ehr@direct-a.example to to. */
int gw_hisp_submit(const struct gw_hisp *a, const char *to, const char *msgid);
/* Wait (30 s) for the sink to hold n submissions; how many it holds. */
int gw_ehrsink_wait(const struct gw_daemon *sink, int n);
/* The inbound rows of a daemon's store (it may be running). */
int gw_hisp_inbound_rows(const struct gw_daemon *d,
			 struct gw_store_injob **rows, size_t *n);
/* How many kept MDNs with disposition d; final_ext of the last. */
int gw_hisp_mdns(const struct gw_daemon *h, enum gw_mdn_disposition d,
		 bool *final_ext);
int gw_hisp_wait_mdns(const struct gw_daemon *h, enum gw_mdn_disposition d,
		      int n, bool *final_ext);
/*
 * <tmp>/<name>.eml by the openssl command line: from ehr@direct-a.example
 * to doc@direct-b.example, a C-CDA attached, signed by signer (NULL: not
 * signed), encrypted to doc-b.
 */
int gw_hisp_make_msg(const char *name, const char *signer, char *path,
		     size_t plen);
/* Send a file over SMTP to port; the reply code to rcpt. */
int gw_hisp_smtp_send(int port, const char *from, const char *rcpt,
		      const char *path, struct gw_smtp_rcpt *r);
/* The recipients' tracking rows of the one submission of d. */
int gw_hisp_track_rows(const struct gw_daemon *d,
		       struct gw_store_trackrow **rows, size_t *n);
/* The first disposition document a sink got, and its summary. */
char *gw_hisp_disposition(const struct gw_daemon *sink, char **summary);

/* How many inbound rows of kind ("mdn", "dsn", "message") d kept. */
int gw_hisp_notices(const struct gw_daemon *d, const char *kind);
/*
 * Whether the history of the first recipient of d's newest submission
 * has an event or detail containing needle (1, 0, -1 on error).
 */
int gw_hisp_history_has(const struct gw_daemon *d, const char *needle);

#endif
