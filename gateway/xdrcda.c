/*
 * NAME
 *	xdrcda - the C-CDA validation policy on the XDR endpoint (outbound)
 * SUMMARY
 *	gw_xdrcda_check() validates every document of a submission that is
 *	a C-CDA (gw_cda_sniff) against the CDA schema and the C-CDA
 *	Schematron (cdaval.h), under the strictest cda_validate_outbound /
 *	cda_validate_policy of the recipients' domains:
 *	  reject - a document with errors is an InvalidDocumentContent
 *	           Error (one per document), so nothing is stored or sent;
 *	  warn   - the same entries with severity Warning in the Success;
 *	  off    - nothing is read.
 * DESCRIPTION
 *	One ITI-41 request is accepted or refused whole (ITI TF-3 4.2.4.1,
 *	SPEC 4.8: "treat a submission atomically"), so one policy must hold
 *	for it: the strictest of its recipients' routes.
 *	The documents are read back from the spool files they were streamed
 *	to, one at a time, and checked on the worker thread that serves the
 *	request, with no lock held (the validator is read-only).
 * STANDARDS
 *	ITI TF-2 3.41, ITI TF-3 4.2.4.1 (InvalidDocumentContent; a Success
 *	may carry warnings), SPEC 4.9-4.10 step 8, C-CDA R2.1.
 * SECURITY
 *	The codeContext repeats the validator's messages (they may quote
 *	document values) to the client that sent the document, over its own
 *	connection; logs and the audit detail carry counts, lines and
 *	assertion ids only.
 * LIMITS
 *	GW_CDA_MAX_LEN bytes per document (a larger C-CDA is reported as not
 *	validated); the first FIRST_ERRORS errors in a codeContext of at most
 *	512 bytes (xds.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cda.h"
#include "cdaval.h"
#include "log.h"
#include "mem.h"
#include "route.h"
#include "spool.h"
#include "xds.h"
#include "xdrsrv_int.h"

#define FIRST_ERRORS 3  /* errors quoted in a RegistryError */
#define KEEP         16 /* findings kept per document */

/* The strictest policy of the recipients' domains. */
static enum gw_route_cda
submission_policy(const struct gw_config *cfg,
		  const struct gw_xds_submission *sub)
{
	enum gw_route_cda p = GW_ROUTE_CDA_OFF;

	if (sub->nrecipients == 0)
		return (enum gw_route_cda)cfg->cda_validate_outbound;
	for (size_t i = 0; i < sub->nrecipients; i++) {
		enum gw_route_cda q = gw_route_cda(
		    cfg, gw_addr_domain(sub->recipients[i]), false);

		if (q > p)
			p = q;
	}
	return p;
}

/*
 * Read at most GW_CDA_MAX_LEN bytes of path into *out (NUL-terminated);
 * *big when the file is longer. GW_ETEMP on I/O trouble.
 */
static int
read_doc(const char *path, char **out, size_t *len, bool *big,
	 struct gw_err *err)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0, want;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "%s: %s", path,
				strerror(errno));
		goto out;
	}
	*big = (uint64_t)st.st_size > GW_CDA_MAX_LEN;
	want = *big ? GW_CDA_MAX_LEN : (size_t)st.st_size;
	p = gw_xmalloc(want + 1);
	while (n < want) {
		ssize_t r = read(fd, p + n, want - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = gw_err_set(err, GW_ETEMP, "4.3.0",
					"%s: short read", path);
			goto out;
		}
		n += (size_t)r;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	p = NULL;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Append " | " and s to the audit detail while whole entries fit. */
static void
detail_add(char *detail, size_t dlen, const char *s)
{
	size_t used = strlen(detail);
	int w =
	    snprintf(detail + used, dlen - used, "%s%s", used ? " | " : "", s);

	if (w < 0 || (size_t)w >= dlen - used)
		detail[used] = '\0'; /* keep whole entries only */
}

/* The assertion ids with errors, "a-1198-5303,noid,..." for logs. */
static void
rule_ids(const struct gw_cdaval_report *r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nrules; i++) {
		int w;

		if (r->rules[i].warning)
			continue;
		w = snprintf(out + used, len - used, "%s%s", used ? "," : "",
			     r->rules[i].id);
		if (w < 0 || (size_t)w >= len - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)w;
	}
}

/* Validate one entry's document; the report is the caller's to dispose. */
static int
check_entry(struct gw_xdrreq *rq, const struct gw_xds_entry *e,
	    struct gw_spool_file *f, bool *is_cda, bool *big,
	    struct gw_cdaval_report *rep, struct gw_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*is_cda = false;
	rc = read_doc(gw_spool_file_path(f), &data, &len, big, err);
	if (rc != 0)
		goto out;
	*is_cda = gw_cda_sniff(data, len);
	if (!*is_cda || *big)
		goto out;
	rc = gw_cdaval_check(rq->cdaval, data, len, 0, KEEP, rep, err);
	if (rc == 0)
		gw_log_info(rq->txid,
			    "cda entry=%s xml=%zu xsd=%zu schematron=%zu "
			    "xsd_ms=%.1f sch_ms=%.1f",
			    e->id, rep->xml_errors, rep->xsd_errors,
			    rep->sch_errors, rep->xsd_seconds * 1000.0,
			    rep->sch_seconds * 1000.0);
out:
	free(data);
	return rc;
}

/* Record what was found in one document, by policy. */
static void
report_entry(struct gw_xdrreq *rq, const struct gw_xds_entry *e,
	     enum gw_route_cda p, bool big, const struct gw_cdaval_report *r,
	     struct gw_xds_errors *errs, char *detail, size_t dlen)
{
	enum gw_xds_severity sev =
	    p == GW_ROUTE_CDA_REJECT ? GW_XDS_SEV_ERROR : GW_XDS_SEV_WARNING;
	const char *uid = e->unique_id ? e->unique_id : e->id;
	char text[512], ids[160], line[300];

	if (big) {
		gw_xds_errors_add(errs, sev, "InvalidDocumentContent", uid,
				  "document %s (%s): a C-CDA larger than %u "
				  "bytes is not validated",
				  uid, e->id, GW_CDA_MAX_LEN);
		snprintf(line, sizeof(line), "%s: too large to validate",
			 e->id);
		detail_add(detail, dlen, line);
		return;
	}
	gw_cdaval_summary(r, FIRST_ERRORS, true, text, sizeof(text));
	gw_xds_errors_add(errs, sev, "InvalidDocumentContent", uid,
			  "document %s (%s) is not valid C-CDA: %s", uid, e->id,
			  text);
	rule_ids(r, ids, sizeof(ids));
	gw_log_notice(rq->txid,
		      "cda %s entry=%s xml=%zu xsd=%zu schematron=%zu ids=%s",
		      gw_route_cda_name(p), e->id, r->xml_errors, r->xsd_errors,
		      r->sch_errors, ids[0] ? ids : "-");
	gw_cdaval_summary(r, FIRST_ERRORS, false, text, sizeof(text));
	snprintf(line, sizeof(line), "%.40s: %.250s", e->id, text);
	detail_add(detail, dlen, line);
}

enum gw_route_cda
gw_xdrcda_check(struct gw_xdrreq *rq, const struct gw_xds_submission *sub,
		struct gw_spool_file *const *files, struct gw_xds_errors *errs,
		char *detail, size_t dlen)
{
	enum gw_route_cda p;

	detail[0] = '\0';
	if (rq->cdaval == NULL)
		return GW_ROUTE_CDA_OFF;
	p = submission_policy(rq->cfg, sub);
	for (size_t i = 0; i < sub->nentries && p != GW_ROUTE_CDA_OFF; i++) {
		const struct gw_xds_entry *e = &sub->entries[i];
		struct gw_cdaval_report rep;
		bool is_cda = false, big = false;
		struct gw_err err;

		memset(&rep, 0, sizeof(rep));
		if (e->part < 0)
			continue;
		if (check_entry(rq, e, files[e->part], &is_cda, &big, &rep,
				&err) != 0) {
			/* Not checked is not passed, unless only warning. */
			gw_log_err(rq->txid, "cda entry=%s: %s", e->id,
				   err.msg);
			if (p == GW_ROUTE_CDA_REJECT)
				gw_xds_errors_add(
				    errs, GW_XDS_SEV_ERROR,
				    err.temp ? "XDSRepositoryOutOfResources"
					     : "XDSRepositoryError",
				    e->id,
				    "document %s could not be validated; "
				    "retry later",
				    e->id);
		} else if (is_cda && (big || gw_cdaval_errors(&rep) > 0)) {
			report_entry(rq, e, p, big, &rep, errs, detail, dlen);
		}
		gw_cdaval_report_dispose(&rep);
	}
	return p;
}
