/*
 * NAME
 *	ehrsink - dxgw ehr-sink: an XDR Document Recipient that writes each
 *	accepted submission to a directory
 * SUMMARY
 *	The accept function for xdrsrv (gw_xdrsrv_set_accept): instead of
 *	the store and the Direct pipeline, each submission that passed the
 *	same checks as dxgw's endpoint becomes a directory
 *	DIR/<UTC time>-<uuid>/ holding metadata.xml, the documents as
 *	DOC00001.<ext>, ... in DocumentEntry order, and summary.json.
 * DESCRIPTION
 *	For demos, tests, and to see what an EHR would receive. A
 *	submission directory is built as DIR/.tmp-<name>, every file and the
 *	directory fsync'ed, then renamed into place and DIR fsync'ed: a
 *	reader sees a complete submission or none. Attachments are streamed
 *	into the spool DIR/.spool and hard-linked (copied across file
 *	systems) into the submission.
 * SECURITY
 *	File names are ours (never from the request); summary.json escapes
 *	every value. Directories 0700, files 0600.
 */
#ifndef GW_EHRSINK_H
#define GW_EHRSINK_H

#include "err.h"
#include "xdrsrv.h"

struct gw_ehrsink;

/* Create dir (mkdir -p, 0700) and its spool. GW_ETEMP. */
int gw_ehrsink_new(const char *dir, struct gw_ehrsink **out,
		   struct gw_err *err);
void gw_ehrsink_free(struct gw_ehrsink *s);
/* The spool attachments are streamed into (borrowed). */
struct gw_spool *gw_ehrsink_spool(struct gw_ehrsink *s);
/*
 * The gw_xdrsrv_accept_fn: arg is the struct gw_ehrsink. Writes one
 * submission durably; GW_ETEMP (err->temp) on I/O trouble, after which
 * nothing is left behind. Thread-safe.
 */
int gw_ehrsink_accept(void *arg, const struct gw_xdrsrv_accepted *a,
		      struct gw_err *err);

#endif
