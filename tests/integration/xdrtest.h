/*
 * Shared helpers of the XDR integration tests: corpus paths, ETT token
 * substitution, MTOM posting, response checks.
 */
#ifndef GW_XDRTEST_H
#define GW_XDRTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "itest.h"

#define RS_SUCCESS "ResponseStatusType:Success"
#define RS_FAILURE "ResponseStatusType:Failure"

/* ../shared/corpus/<rel> read whole; NULL when missing. */
char *xt_corpus(const char *rel, size_t *len);
/* An ETT template with its #TOKEN#s substituted. msgid may be NULL. */
char *xt_ett(const char *name, const char *url, const char *msgid);
/* A fresh urn:uuid. */
void xt_msgid(char out[64]);
/* POST an envelope as MTOM with the given parts. */
bool xt_post(const struct gw_daemon *d, const char *env,
	     const struct gw_mtom_part *parts, size_t nparts,
	     struct gw_http_resp *r);
/* POST an envelope whose xop:Include cids get doc as their content. */
bool xt_post_with_doc(const struct gw_daemon *d, const char *env,
		      const char *doc, size_t doclen, struct gw_http_resp *r);
/* Wrap a bare SubmitObjectsRequest into a full ITI-41 SOAP envelope. */
char *xt_envelope(const char *sor, const char *docs_xml, const char *url,
		  const char *msgid, const char *from, const char *to);
/* Count the RegistryErrors with this errorCode in a response body. */
int xt_count_code(const char *body, const char *code);
/* Rows of the audit trail after checking its hash chain; -1 if broken. */
long xt_audit_rows(const struct gw_daemon *d);
/* Rows in the store's submissions table (opens the store read side). */
long xt_count_submissions(const struct gw_daemon *d);

#endif
