/*
 * NAME
 *	xdmin - the ITI-41 submissions of a received Direct message
 * SUMMARY
 *	Attachments -> XDM subsets forwarded as found, or limited metadata
 *	built from the envelope and C-CDA headers; every result validated.
 * DESCRIPTION
 *	The MIME parsing, decryption and signature checks happened before;
 *	this module sees decoded leaf parts only. Each part is first offered
 *	to gw_xdm_read, which recognises XDM by content (never by file name
 *	or Content-Type: senders label XDM application/zip, octet-stream or
 *	x-zip-compressed, and a .zip name proves nothing). Decisions:
 *	- Every subset of every XDM part is its own submission (an ITI-41
 *	  carries exactly one SubmissionSet), in ZIP order; the METADATA.XML
 *	  is forwarded byte for byte (URI/size/hash slots included - they are
 *	  optional in XDR), so the EHR sees the sender's metadata.
 *	- The parts that are not XDM (a ZIP without IHE_XDM/ is one of them,
 *	  as application/zip) together make one more submission with limited
 *	  metadata (SPEC 3.4), after the XDM ones. The inline text/plain note
 *	  of a Direct message (no filename) is not a document unless the
 *	  message has nothing else.
 *	- One bad part refuses the whole message: the sender is told (failed
 *	  MDN) rather than the EHR getting part of what was sent.
 *	- C-CDA parts give their header facts (gw_xdsbuild_doc_from_cda); a
 *	  CDA whose id is no valid uniqueId, or repeats one, gets a new 2.25
 *	  OID instead; CDAs that disagree on the patient leave patientId out
 *	  (R2 in limited metadata) rather than mixing patients.
 *	- The mimeType is the part's Content-Type, type/subtype only and in
 *	  lower case (DirectTrust: SHALL equal it); only a C-CDA labelled
 *	  application/octet-stream (or unlabelled) becomes text/xml.
 *	- Subject and file names with control characters are left out of
 *	  the metadata (they would make it not well-formed XML).
 *	Every submission is parsed back (gw_xdsxml_parse) and checked with
 *	gw_xds_validate against its documents and the envelope: what the EHR
 *	would refuse is refused here, with the RegistryError it would give.
 * STANDARDS
 *	XDR and XDM for Direct Messaging; DirectTrust Metadata & Payloads
 *	6.2.2; ITI TF-2 3.32, ITI TF-2b 3.41, ITI TF-3 4.3 (XDR MS / DS).
 * SECURITY
 *	All parts are untrusted (the signature proves who sent them, not
 *	that they are well made). ZIPs are read from memory with the limits
 *	of gw_xdm_read; XML through the hardened parsers of xdsxml and cda.
 *	Nothing is logged about contents.
 * LIMITS
 *	gw_xdm_limits (ZIP), gw_xds_limits (metadata); the built metadata is
 *	capped at META_MAX bytes.
 */
#include "xdmin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cda.h"
#include "digest.h"
#include "id.h"
#include "mem.h"
#include "xdsbuild.h"
#include "xdsxml.h"

#define META_MAX (16u << 20)
#define MIME_MAX 127
#define XTN_MAX  300
#define STATUS   "5.6.0"
#define OCTETS   "application/octet-stream"

struct conv {
	const struct gw_xdmin_msg *msg;
	const struct gw_xdmin_config *cfg;
	struct gw_xdmin_result *out;
};

static struct gw_xdmin_sub *
sub_add(struct gw_xdmin_result *r)
{
	r->subs = gw_xrealloc(r->subs, (r->nsubs + 1) * sizeof(*r->subs));
	memset(&r->subs[r->nsubs], 0, sizeof(r->subs[0]));
	return &r->subs[r->nsubs++];
}

void
gw_xdmin_result_dispose(struct gw_xdmin_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nsubs; i++) {
		struct gw_xdmin_sub *s = &r->subs[i];

		for (size_t k = 0; k < s->ndocs; k++) {
			free(s->docs[k].id);
			free(s->docs[k].mime_type);
			free(s->docs[k].data);
		}
		free(s->docs);
		free(s->metadata);
	}
	free(r->subs);
	r->subs = NULL;
	r->nsubs = 0;
}

/* The type/subtype of a Content-Type, lower case; NULL if there is none
 * or it is not a plausible token/token. */
static char *
mime_of(const char *ct)
{
	size_t n = 0, slash = 0;
	char *m;

	if (ct == NULL)
		return NULL;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	while (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t') {
		if (ct[n] == '/')
			slash = slash == 0 ? n : (size_t)-1;
		else if (!isalnum((unsigned char)ct[n]) &&
			 strchr("!#$&-^_.+", ct[n]) == NULL)
			return NULL;
		n++;
	}
	if (n == 0 || n > MIME_MAX || slash == 0 || slash == (size_t)-1 ||
	    slash == n - 1)
		return NULL;
	m = gw_xstrndup(ct, n);
	for (char *p = m; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return m;
}

/* The inline body note: text/plain without a file name. */
static bool
is_note(const struct gw_xdmin_part *p)
{
	char *m = mime_of(p->content_type);
	bool note =
	    p->filename == NULL && m != NULL && strcmp(m, "text/plain") == 0;

	free(m);
	return note;
}

/* s itself if it is printable text for a metadata value, else NULL. */
static const char *
clean(const char *s)
{
	if (s == NULL || *s == '\0')
		return NULL;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return s;
}

/* ---- XDM ------------------------------------------------------------ */

/* Move every subset of pkg into a submission of its own. */
static void
take_package(struct conv *c, struct gw_xdm_package *pkg)
{
	for (size_t i = 0; i < pkg->nsubsets; i++) {
		struct gw_xdm_subset *ss = &pkg->subsets[i];
		struct gw_xdmin_sub *s = sub_add(c->out);

		s->from_xdm = true;
		s->metadata = ss->metadata;
		s->metadata_len = ss->metadata_len;
		ss->metadata = NULL;
		s->docs = gw_xcalloc(ss->ndocs, sizeof(*s->docs));
		for (size_t k = 0; k < ss->ndocs; k++, s->ndocs++) {
			s->docs[k] = (struct gw_xdmin_doc){
			    .id = ss->docs[k].id,
			    .mime_type = ss->docs[k].mime_type,
			    .data = ss->docs[k].data,
			    .len = ss->docs[k].len,
			};
			ss->docs[k].id = NULL;
			ss->docs[k].mime_type = NULL;
			ss->docs[k].data = NULL;
		}
	}
}

/*
 * Part i: an XDM package (its subsets become submissions, *is_xdm set),
 * or not one (0, *is_xdm false), or a package we refuse.
 */
static int
try_xdm(struct conv *c, size_t i, bool *is_xdm, struct gw_err *err)
{
	const struct gw_xdmin_part *p = &c->msg->parts[i];
	struct gw_xdm_package *pkg = NULL;
	int rc;

	*is_xdm = false;
	if (!gw_xdm_is_zip(p->data, p->len))
		return 0;
	rc = gw_xdm_read(p->data, p->len, c->cfg->zip, c->cfg->xds, &pkg, err);
	if (rc == GW_ENOTFOUND) {
		gw_err_clear(err);
		return 0;
	}
	if (rc < 0) {
		gw_err_prefix(err, "xdmin: part %zu", i + 1);
		return rc;
	}
	*is_xdm = true;
	take_package(c, pkg);
	gw_xdm_package_free(pkg);
	return 0;
}

/* ---- limited metadata ------------------------------------------------ */

/* What one non-XDM part needs while its metadata is built. */
struct ldoc {
	struct gw_xdsbuild_doc meta;
	struct gw_cda_header *cda;
	char *mime;
	char id[24];
	char sha1[41];
	char uid[GW_ID_OID_LEN];
};

/* Facts of part p for entry n (0-based) of the submission. */
static void
ldoc_fill(struct ldoc *l, size_t n, const struct gw_xdmin_part *p,
	  const struct ldoc *prev, size_t nprev,
	  const struct gw_cda_defaults *def)
{
	struct gw_xdsbuild_doc *d = &l->meta;
	struct gw_err e;
	bool fresh;

	l->mime = mime_of(p->content_type);
	if (snprintf(l->id, sizeof(l->id), "Document%02zu", n + 1) < 0)
		l->id[0] = '\0';
	gw_digest_sha1_hex(p->data, p->len, l->sha1);
	/* SPEC 8.1: parse rather than string-search; a CDA whose header
	 * cannot be read travels as a plain document. */
	if (gw_cda_sniff(p->data, p->len) &&
	    gw_cda_header_parse_with(p->data, p->len, def, &l->cda, &e) == 0)
		gw_xdsbuild_doc_from_cda(d, l->cda);
	if (l->mime != NULL &&
	    !(l->cda != NULL && strcmp(l->mime, OCTETS) == 0))
		d->mime_type = l->mime;
	else if (d->mime_type == NULL)
		d->mime_type = OCTETS;
	d->id = l->id;
	d->size = p->len;
	d->sha1 = l->sha1;
	if (d->title == NULL)
		d->title = clean(p->filename);
	fresh = d->unique_id == NULL || !gw_xds_is_uniqueid(d->unique_id);
	for (size_t k = 0; k < nprev && !fresh; k++)
		fresh = strcmp(prev[k].meta.unique_id, d->unique_id) == 0;
	if (fresh) {
		gw_id_uuid_oid(l->uid);
		d->unique_id = l->uid;
	}
}

/* The one patient of the submission, or NULL (and none on any entry). */
static const char *
common_patient(struct ldoc *v, size_t n)
{
	const char *pid = NULL;
	bool agree = true;

	for (size_t i = 0; i < n; i++) {
		const char *p = v[i].meta.patient_id;

		if (p == NULL)
			continue;
		if (pid == NULL)
			pid = p;
		else if (strcmp(pid, p) != 0)
			agree = false;
	}
	if (agree)
		return pid;
	for (size_t i = 0; i < n; i++)
		v[i].meta.patient_id = NULL;
	return NULL;
}

/* The first C-CDA's document type, the SubmissionSet contentTypeCode. */
static struct gw_xdsbuild_code
content_type(const struct ldoc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].cda != NULL && v[i].meta.type_code.code != NULL)
			return v[i].meta.type_code;
	return (struct gw_xdsbuild_code){0};
}

static int
build_limited(struct conv *c, struct ldoc *v, size_t n, struct gw_buf *md,
	      struct gw_err *err)
{
	const struct gw_xdmin_msg *m = c->msg;
	char xtn[XTN_MAX];
	struct gw_xdsbuild b = {
	    .limited = true,
	    .source_id = c->cfg->source_id,
	    .submission_time = m->submission_time,
	    .title = clean(m->subject),
	    .author_telecom = xtn,
	    .intended_recipients = m->recipients,
	    .nintended = m->nrecipients,
	};
	struct gw_xdsbuild_doc *docs = gw_xcalloc(n, sizeof(*docs));
	int rc;

	if (snprintf(xtn, sizeof(xtn), "^^Internet^%s", m->sender) >=
	    (int)sizeof(xtn)) {
		free(docs);
		return gw_err_set(err, GW_ERROR, STATUS,
				  "xdmin: sender address too long");
	}
	b.patient_id = common_patient(v, n);
	b.content_type = content_type(v, n);
	for (size_t i = 0; i < n; i++)
		docs[i] = v[i].meta;
	b.docs = docs;
	b.ndocs = n;
	rc = gw_xdsbuild_submission(&b, md, err);
	if (rc < 0)
		gw_err_prefix(err, "xdmin: limited metadata");
	free(docs);
	return rc;
}

/* The parts listed in idx[0..n) become one limited-metadata submission. */
static int
limited_sub(struct conv *c, const size_t *idx, size_t n, struct gw_err *err)
{
	struct ldoc *v = gw_xcalloc(n, sizeof(*v));
	struct gw_xdmin_sub *s;
	struct gw_buf md;
	int rc;

	gw_buf_init(&md, META_MAX);
	for (size_t i = 0; i < n; i++)
		ldoc_fill(&v[i], i, &c->msg->parts[idx[i]], v, i, c->cfg->cda);
	if ((rc = build_limited(c, v, n, &md, err)) < 0)
		goto out;
	s = sub_add(c->out);
	s->metadata_len = md.len;
	s->metadata = gw_buf_take(&md);
	s->limited = true;
	s->docs = gw_xcalloc(n, sizeof(*s->docs));
	for (size_t i = 0; i < n; i++, s->ndocs++) {
		const struct gw_xdmin_part *p = &c->msg->parts[idx[i]];

		s->docs[i].id = gw_xstrdup(v[i].id);
		s->docs[i].mime_type = gw_xstrdup(v[i].meta.mime_type);
		s->docs[i].data = gw_xmalloc(p->len + 1);
		memcpy(s->docs[i].data, p->data, p->len);
		s->docs[i].data[p->len] = '\0';
		s->docs[i].len = p->len;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		gw_cda_header_free(v[i].cda);
		free(v[i].mime);
	}
	free(v);
	gw_buf_dispose(&md);
	return rc;
}

/* ---- validation ------------------------------------------------------ */

/* The first Error of errs as err (GW_EPARSE). */
static int
first_error(const struct gw_xds_errors *errs, size_t sub, struct gw_err *err)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct gw_xds_error *x = &errs->v[i];

		if (x->severity != GW_XDS_SEV_ERROR)
			continue;
		return gw_err_set(
		    err, GW_EPARSE, STATUS, "xdmin: submission %zu: %s%s%s: %s",
		    sub + 1, x->code ? x->code : "?", x->location ? " at " : "",
		    x->location ? x->location : "",
		    x->context ? x->context : "");
	}
	return gw_err_set(err, GW_EPARSE, STATUS,
			  "xdmin: submission %zu refused", sub + 1);
}

/* What the EHR's Document Recipient will check (SPEC 4.10). */
static int
validate_sub(struct conv *c, size_t i, struct gw_err *err)
{
	struct gw_xdmin_sub *s = &c->out->subs[i];
	struct gw_xds_part *parts = gw_xcalloc(s->ndocs, sizeof(*parts));
	char(*sha)[41] = gw_xcalloc(s->ndocs, sizeof(*sha));
	struct gw_xds_addressing addr = {
	    .from = c->msg->sender,
	    .to = c->msg->recipients,
	    .nto = c->msg->nrecipients,
	};
	struct gw_xds_submission *x = NULL;
	struct gw_xds_errors errs;
	int rc;

	gw_xds_errors_init(&errs);
	for (size_t k = 0; k < s->ndocs; k++) {
		gw_digest_sha1_hex(s->docs[k].data, s->docs[k].len, sha[k]);
		parts[k] =
		    (struct gw_xds_part){s->docs[k].id, s->docs[k].len, sha[k]};
	}
	if (gw_xdsxml_parse(s->metadata, s->metadata_len, c->cfg->xds, &x,
			    &errs) < 0) {
		rc = first_error(&errs, i, err);
		goto out;
	}
	if (gw_xds_validate(x, parts, s->ndocs, &addr, &errs) < 0) {
		/*
		 * XDM makes most attributes R2 (ITI TF-3 Table 4.3.1-3, XDM
		 * column), so a package without the limitedMetadata flag
		 * may still lack what XDR DS requires: it then travels as
		 * limited metadata (direct:metadata-level minimal) if the
		 * XDR MS column accepts it.
		 */
		addr.metadata_level = "minimal";
		gw_xds_errors_dispose(&errs);
		gw_xds_errors_init(&errs);
		if (x->limited ||
		    gw_xds_validate(x, parts, s->ndocs, &addr, &errs) < 0) {
			rc = first_error(&errs, i, err);
			goto out;
		}
	}
	s->limited = x->limited;
	rc = 0;
out:
	gw_xds_submission_free(x);
	gw_xds_errors_dispose(&errs);
	free(parts);
	free(sha);
	return rc;
}

/* ---- the conversion -------------------------------------------------- */

static int
check_input(const struct gw_xdmin_msg *m, const struct gw_xdmin_config *cfg,
	    struct gw_err *err)
{
	if (m == NULL || cfg == NULL || m->nparts == 0 || m->parts == NULL)
		return gw_err_set(err, GW_ERROR, STATUS,
				  "xdmin: the message has no content");
	if (cfg->source_id == NULL || !gw_xds_is_oid(cfg->source_id))
		return gw_err_set(err, GW_ERROR, STATUS,
				  "xdmin: source_id is not an OID");
	if (m->sender == NULL || !gw_xds_is_address(m->sender) ||
	    m->nrecipients == 0)
		return gw_err_set(err, GW_ERROR, STATUS,
				  "xdmin: need a sender and a recipient");
	for (size_t i = 0; i < m->nrecipients; i++)
		if (m->recipients[i] == NULL ||
		    !gw_xds_is_address(m->recipients[i]))
			return gw_err_set(err, GW_ERROR, STATUS,
					  "xdmin: recipient %zu is not a "
					  "Direct address",
					  i + 1);
	return 0;
}

/* XDM parts first (in order); the others, then notes, as limited. */
static int
convert(struct conv *c, struct gw_err *err)
{
	const struct gw_xdmin_msg *m = c->msg;
	size_t *docs = gw_xcalloc(m->nparts, sizeof(*docs));
	size_t *notes = gw_xcalloc(m->nparts, sizeof(*notes));
	size_t ndocs = 0, nnotes = 0;
	int rc = 0;

	for (size_t i = 0; i < m->nparts && rc == 0; i++) {
		bool xdm = false;

		if (m->parts[i].data == NULL && m->parts[i].len > 0)
			rc = gw_err_set(err, GW_ERROR, STATUS,
					"xdmin: part %zu has no bytes", i + 1);
		else if (is_note(&m->parts[i]))
			notes[nnotes++] = i;
		else if ((rc = try_xdm(c, i, &xdm, err)) == 0 && !xdm)
			docs[ndocs++] = i;
	}
	if (rc == 0 && ndocs > 0)
		rc = limited_sub(c, docs, ndocs, err);
	else if (rc == 0 && c->out->nsubs == 0)
		rc = limited_sub(c, notes, nnotes, err);
	for (size_t i = 0; i < c->out->nsubs && rc == 0; i++)
		rc = validate_sub(c, i, err);
	free(docs);
	free(notes);
	return rc;
}

int
gw_xdmin_convert(const struct gw_xdmin_msg *msg,
		 const struct gw_xdmin_config *cfg, struct gw_xdmin_result *out,
		 struct gw_err *err)
{
	struct conv c = {.msg = msg, .cfg = cfg, .out = out};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_input(msg, cfg, err)) < 0)
		return rc;
	if ((rc = convert(&c, err)) < 0)
		gw_xdmin_result_dispose(out);
	return rc;
}
