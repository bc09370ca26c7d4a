/*
 * NAME
 *	cli - dxgw submit: build and send an ITI-41 from document files
 * SUMMARY
 *	dxgw submit --url URL --from ADDR --to ADDR [--to ADDR...]
 *	    [--limited] [--source-id OID] [metadata options] FILE...
 * DESCRIPTION
 *	For a C-CDA file the CDA header supplies the DocumentEntry metadata
 *	(cda.c, that is xslt/cda-to-metadata.xsl, with the defaults of
 *	cda_facility_type_code and cda_practice_setting_code from -c FILE or
 *	built in); for any other file the options do (--mime-type,
 *	--class-code, --type-code, --format-code, --confidentiality,
 *	--facility-code, --practice-code, --patient-id, --title), and they win
 *	over the header for a C-CDA. Codes are written
 *	"code^codingScheme^display". The metadata text comes from xdsbuild,
 *	the transport from xdrcli. --explain prints each DocumentEntry value
 *	with where it came from (the CDA element's XPath, an option, a
 *	default) and whether the metadata would be accepted, and sends
 *	nothing: it answers "what would be sent", as make -n does.
 * LIMITS
 *	Each file at most 64 MiB; at most 100 files.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cda.h"
#include "config.h"
#include "digest.h"
#include "id.h"
#include "mem.h"
#include "xdrcli.h"
#include "xdsbuild.h"

#define MAX_FILE  (64L * 1024 * 1024)
#define MAX_FILES 100
/* dxgw's own OID arc is not registered; 2.25 UUID OIDs need no arc. */
#define DEFAULT_SOURCE_ID "2.25.166198946125467452151153937006426906383"

struct opts {
	const char *url, *from, *message_id, *cert, *ca, *source_id, *config;
	const char *to[64];
	size_t nto;
	bool limited, inline_b64, final_delivery, explain;
	const char *mime_type, *patient_id, *title, *level;
	const char *class_code, *type_code, *format_code, *conf, *facility,
	    *practice, *content_type;
	int timeout;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: dxgw submit --url URL --from ADDR --to ADDR [--to ADDR]... "
	    "[options] FILE...\n"
	    "       dxgw submit --explain [options] FILE...\n"
	    "  --explain             print each DocumentEntry value and where "
	    "it "
	    "came\n"
	    "                        from (CDA XPath, option, default), check "
	    "the\n"
	    "                        metadata, and exit without sending (0 "
	    "ok,\n"
	    "                        1 the metadata would be refused)\n"
	    "  -c FILE               config file: cda_facility_type_code and\n"
	    "                        cda_practice_setting_code for C-CDA "
	    "files\n"
	    "  --url URL             XDR endpoint (http:// or https://)\n"
	    "  --from ADDR           Direct sender address\n"
	    "  --to ADDR             Direct recipient (repeatable)\n"
	    "  --limited             limited metadata (XDR Limited Metadata)\n"
	    "  --metadata-level L    send direct:metadata-level (XDS|minimal)\n"
	    "  --final-delivery      ask for final destination delivery "
	    "notification\n"
	    "  --message-id URN      wsa:MessageID (default: new urn:uuid)\n"
	    "  --source-id OID       SubmissionSet sourceId\n"
	    "  --cert PEM            client certificate and key (mutual TLS)\n"
	    "  --ca PEM              CA bundle for the server certificate\n"
	    "  --inline              documents as inline base64, not XOP "
	    "parts\n"
	    "  --timeout SECONDS     connect/IO timeout (default 30)\n"
	    " for files that are not C-CDA (code = code^scheme^display):\n"
	    "  --mime-type T  --patient-id CX  --title T  --class-code C\n"
	    "  --type-code C  --format-code C  --confidentiality C\n"
	    "  --facility-code C  --practice-code C\n"
	    "  --content-type-code C  SubmissionSet contentTypeCode (default:\n"
	    "                         the first document's typeCode)\n");
}

static bool
split_code(const char *s, struct gw_xdsbuild_code *c, char **store)
{
	char *a, *b;

	if (s == NULL)
		return true;
	*store = gw_xstrdup(s);
	a = strchr(*store, '^');
	b = a ? strchr(a + 1, '^') : NULL;
	if (a == NULL || b == NULL)
		return false;
	*a = *b = '\0';
	c->code = *store;
	c->scheme = a + 1;
	c->display = b + 1;
	return c->code[0] && c->scheme[0] && c->display[0];
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_URL = 256,
		O_FROM,
		O_TO,
		O_LIMITED,
		O_LEVEL,
		O_FINAL,
		O_MSGID,
		O_SOURCE,
		O_CERT,
		O_CA,
		O_INLINE,
		O_TIMEOUT,
		O_MIME,
		O_PID,
		O_TITLE,
		O_CLASS,
		O_TYPE,
		O_FORMAT,
		O_CONF,
		O_FAC,
		O_PRAC,
		O_CTYPE,
		O_EXPLAIN
	};
	static const struct option lo[] = {
	    {"url", 1, NULL, O_URL},
	    {"from", 1, NULL, O_FROM},
	    {"to", 1, NULL, O_TO},
	    {"limited", 0, NULL, O_LIMITED},
	    {"metadata-level", 1, NULL, O_LEVEL},
	    {"final-delivery", 0, NULL, O_FINAL},
	    {"message-id", 1, NULL, O_MSGID},
	    {"source-id", 1, NULL, O_SOURCE},
	    {"cert", 1, NULL, O_CERT},
	    {"ca", 1, NULL, O_CA},
	    {"inline", 0, NULL, O_INLINE},
	    {"timeout", 1, NULL, O_TIMEOUT},
	    {"mime-type", 1, NULL, O_MIME},
	    {"patient-id", 1, NULL, O_PID},
	    {"title", 1, NULL, O_TITLE},
	    {"class-code", 1, NULL, O_CLASS},
	    {"type-code", 1, NULL, O_TYPE},
	    {"format-code", 1, NULL, O_FORMAT},
	    {"confidentiality", 1, NULL, O_CONF},
	    {"facility-code", 1, NULL, O_FAC},
	    {"practice-code", 1, NULL, O_PRAC},
	    {"content-type-code", 1, NULL, O_CTYPE},
	    {"explain", 0, NULL, O_EXPLAIN},
	    {"config", 1, NULL, 'c'},
	    {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->source_id = DEFAULT_SOURCE_ID;
	o->timeout = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hc:", lo, NULL)) != -1) {
		switch (c) {
		case O_URL:
			o->url = optarg;
			break;
		case O_FROM:
			o->from = optarg;
			break;
		case O_TO:
			if (o->nto == sizeof(o->to) / sizeof(o->to[0])) {
				fprintf(stderr, "dxgw submit: too many --to\n");
				return -1;
			}
			o->to[o->nto++] = optarg;
			break;
		case O_LIMITED:
			o->limited = true;
			break;
		case O_LEVEL:
			o->level = optarg;
			break;
		case O_FINAL:
			o->final_delivery = true;
			break;
		case O_MSGID:
			o->message_id = optarg;
			break;
		case O_SOURCE:
			o->source_id = optarg;
			break;
		case O_CERT:
			o->cert = optarg;
			break;
		case O_CA:
			o->ca = optarg;
			break;
		case O_INLINE:
			o->inline_b64 = true;
			break;
		case O_TIMEOUT: {
			char *end;
			long t = strtol(optarg, &end, 10);

			if (*end != '\0' || t < 1 || t > 3600) {
				fprintf(stderr, "dxgw submit: bad --timeout\n");
				return -1;
			}
			o->timeout = (int)t;
			break;
		}
		case O_MIME:
			o->mime_type = optarg;
			break;
		case O_PID:
			o->patient_id = optarg;
			break;
		case O_TITLE:
			o->title = optarg;
			break;
		case O_CLASS:
			o->class_code = optarg;
			break;
		case O_TYPE:
			o->type_code = optarg;
			break;
		case O_FORMAT:
			o->format_code = optarg;
			break;
		case O_CONF:
			o->conf = optarg;
			break;
		case O_FAC:
			o->facility = optarg;
			break;
		case O_PRAC:
			o->practice = optarg;
			break;
		case O_CTYPE:
			o->content_type = optarg;
			break;
		case O_EXPLAIN:
			o->explain = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if ((o->url == NULL && !o->explain) || optind >= argc) {
		fprintf(stderr, "dxgw submit: --url and at least one FILE are "
				"required\n");
		usage(stderr);
		return -1;
	}
	if (argc - optind > MAX_FILES) {
		fprintf(stderr, "dxgw submit: at most %d files\n", MAX_FILES);
		return -1;
	}
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct gw_buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "dxgw submit: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	gw_buf_init(&b, MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (gw_buf_append(&b, chunk, n) != 0) {
			fprintf(stderr, "dxgw submit: %s: larger than 64 MiB\n",
				path);
			fclose(f);
			gw_buf_dispose(&b);
			return NULL;
		}
	fclose(f);
	*len = b.len;
	return gw_buf_take(&b);
}

static const char *
guess_mime(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcasecmp(dot, ".xml") == 0)
		return "text/xml";
	if (strcasecmp(dot, ".pdf") == 0)
		return "application/pdf";
	if (strcasecmp(dot, ".txt") == 0)
		return "text/plain";
	if (strcasecmp(dot, ".htm") == 0 || strcasecmp(dot, ".html") == 0)
		return "text/html";
	return "application/octet-stream";
}

static void
print_result(const struct gw_xdrcli_result *r)
{
	printf("status: %s\n", r->success   ? "Success"
			       : r->partial ? "PartialSuccess"
					    : "Failure");
	printf("message-id: %s\n", r->message_id);
	if (r->relates_to != NULL)
		printf("relates-to: %s\n", r->relates_to);
	for (size_t i = 0; i < r->nerrors; i++) {
		const char *sev = r->errors[i].severity;
		const char *s = sev ? strrchr(sev, ':') : NULL;

		printf("%s: %s%s%s: %s\n", s ? s + 1 : "Error",
		       r->errors[i].code ? r->errors[i].code : "?",
		       r->errors[i].location ? " at " : "",
		       r->errors[i].location ? r->errors[i].location : "",
		       r->errors[i].context ? r->errors[i].context : "");
	}
}

/* The documents of one submit, as parallel arrays for xdsbuild/xdrcli. */
struct files {
	struct gw_xdsbuild_doc meta[MAX_FILES];
	struct gw_xdrcli_doc part[MAX_FILES];
	struct gw_cda_header *cda[MAX_FILES];
	char *data[MAX_FILES];
	char id[MAX_FILES][24];
	char sha[MAX_FILES][41];
	char uid[MAX_FILES][GW_ID_OID_LEN];
	size_t n;
};

/*
 * Read file i and fill in its metadata: from the CDA header when it is a
 * C-CDA, then the command line's options, which win.
 */
static int
load_file(struct files *fs, size_t i, const char *path, const struct opts *o,
	  const struct gw_xdsbuild_code cc[7],
	  const struct gw_cda_defaults *def)
{
	struct gw_xdsbuild_doc *d = &fs->meta[i];
	struct gw_err err;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	fs->data[i] = read_file(path, &len);
	if (fs->data[i] == NULL)
		return -1;
	snprintf(fs->id[i], sizeof(fs->id[i]), "Document%02u",
		 (unsigned)(i + 1));
	gw_digest_sha1_hex(fs->data[i], len, fs->sha[i]);
	if (gw_cda_sniff(fs->data[i], len)) {
		if (gw_cda_header_parse_with(fs->data[i], len, def, &fs->cda[i],
					     &err) != 0) {
			fprintf(stderr, "dxgw submit: %s: %s\n", path, err.msg);
			return -1;
		}
		gw_xdsbuild_doc_from_cda(d, fs->cda[i]);
	}
	d->id = fs->id[i];
	if (d->unique_id == NULL) {
		/* Not a CDA (or no id): a fresh OID names the file. */
		gw_id_uuid_oid(fs->uid[i]);
		d->unique_id = fs->uid[i];
	}
	d->size = len;
	d->sha1 = fs->sha[i];
	if (d->mime_type == NULL)
		d->mime_type = o->mime_type ? o->mime_type
			       : fs->cda[i] ? "text/xml"
					    : guess_mime(path);
	if (o->patient_id != NULL)
		d->patient_id = d->source_patient_id = o->patient_id;
	if (o->title != NULL)
		d->title = o->title;
	if (cc[0].code)
		d->class_code = cc[0];
	if (cc[1].code)
		d->type_code = cc[1];
	if (cc[2].code)
		d->format_code = cc[2];
	if (cc[3].code)
		d->confidentiality = cc[3];
	if (cc[4].code)
		d->healthcare_facility = cc[4];
	if (cc[5].code)
		d->practice_setting = cc[5];
	fs->part[i].id = fs->id[i];
	fs->part[i].mime_type = d->mime_type;
	fs->part[i].data = fs->data[i];
	fs->part[i].len = len;
	return 0;
}

/* --- --explain ---------------------------------------------------------- */

/* The options that replace a header value, by XDS attribute name. */
static const struct {
	const char *name;
	const char *opt;
} overrides[] = {
    {"patientId", "--patient-id"},
    {"sourcePatientId", "--patient-id"},
    {"title", "--title"},
    {"classCode", "--class-code"},
    {"typeCode", "--type-code"},
    {"formatCode", "--format-code"},
    {"confidentialityCode", "--confidentiality"},
    {"healthcareFacilityTypeCode", "--facility-code"},
    {"practiceSettingCode", "--practice-code"},
};

#define NOVERRIDES (sizeof(overrides) / sizeof(overrides[0]))

/* Is overrides[k] given on the command line? */
static bool
overridden(const struct opts *o, size_t k)
{
	const char *v[] = {o->patient_id, o->patient_id, o->title,
			   o->class_code, o->type_code,  o->format_code,
			   o->conf,       o->facility,   o->practice};

	_Static_assert(sizeof(v) / sizeof(v[0]) == NOVERRIDES,
		       "one option per override");
	return v[k] != NULL;
}

static void
explain_row(const char *name, const char *value, const char *source)
{
	printf("  %-27s %s\n  %-27s   from %s\n", name, value, "", source);
}

static void
explain_code(const char *name, const struct gw_xdsbuild_code *c,
	     const char *source)
{
	if (c->code == NULL)
		return;
	printf("  %-27s %s^%s^%s\n  %-27s   from %s\n", name, c->code,
	       c->scheme, c->display, "", source);
}

/*
 * One document: the stylesheet's values with their CDA sources, then
 * what options replaced and what dxgw computed.
 */
static void
explain_doc(const struct files *fs, size_t i, const char *path,
	    const struct opts *o)
{
	const struct gw_xdsbuild_doc *d = &fs->meta[i];
	const struct gw_cda_header *h = fs->cda[i];
	char size[24];

	printf("%s %s%s\n", fs->id[i], path,
	       h != NULL ? " (C-CDA: xslt/cda-to-metadata.xsl)" : "");
	for (size_t f = 0; h != NULL && f < h->nfacts; f++) {
		bool skip = false;

		for (size_t k = 0; k < NOVERRIDES; k++)
			if (strcmp(overrides[k].name, h->facts[f].name) == 0 &&
			    overridden(o, k))
				skip = true;
		if (!skip)
			explain_row(h->facts[f].name, h->facts[f].value,
				    h->facts[f].source);
	}
	if (o->patient_id != NULL) {
		explain_row("patientId", d->patient_id, "option --patient-id");
		explain_row("sourcePatientId", d->source_patient_id,
			    "option --patient-id");
	}
	if (o->title != NULL)
		explain_row("title", d->title, "option --title");
	if (o->class_code != NULL)
		explain_code("classCode", &d->class_code,
			     "option --class-code");
	if (o->type_code != NULL)
		explain_code("typeCode", &d->type_code, "option --type-code");
	if (o->format_code != NULL)
		explain_code("formatCode", &d->format_code,
			     "option --format-code");
	if (o->conf != NULL)
		explain_code("confidentialityCode", &d->confidentiality,
			     "option --confidentiality");
	if (o->facility != NULL)
		explain_code("healthcareFacilityTypeCode",
			     &d->healthcare_facility, "option --facility-code");
	if (o->practice != NULL)
		explain_code("practiceSettingCode", &d->practice_setting,
			     "option --practice-code");
	if (d->unique_id == fs->uid[i])
		explain_row("uniqueId", d->unique_id,
			    h != NULL ? "dxgw: a new 2.25 OID (no usable "
					"ClinicalDocument/id)"
				      : "dxgw: a new 2.25 OID");
	explain_row("mimeType", d->mime_type,
		    o->mime_type != NULL ? "option --mime-type"
		    : h != NULL          ? "C-CDA (text/xml, SPEC 8.2)"
					 : "file name");
	explain_row("hash", d->sha1, "the file (SHA-1)");
	if (snprintf(size, sizeof(size), "%llu", (unsigned long long)d->size) <
	    (int)sizeof(size))
		explain_row("size", size, "the file (length)");
}

/* Print every document, then whether the metadata would be accepted. */
static int
explain(const struct files *fs, char **paths, const struct opts *o,
	const struct gw_xdsbuild *b)
{
	struct gw_buf md;
	struct gw_err err;
	int rc;

	for (size_t i = 0; i < fs->n; i++)
		explain_doc(fs, i, paths[i], o);
	gw_buf_init(&md, 16L * 1024 * 1024);
	rc = gw_xdsbuild_submission(b, &md, &err);
	if (rc == 0)
		printf("metadata: ok (%s)\n", b->limited
						  ? "limited metadata, XDR MS"
						  : "full metadata, XDR DS");
	else
		printf("metadata: refused: %s%s\n", err.msg,
		       b->limited ? "" : " (add the codes, or use --limited)");
	gw_buf_dispose(&md);
	return rc == 0 ? 0 : 1;
}

/* The C-CDA defaults: -c FILE's keys, or the built-in ones. */
static int
load_defaults(const struct opts *o, struct gw_config *cfg,
	      struct gw_cda_defaults *def)
{
	struct gw_err err;

	gw_config_defaults(cfg);
	if (o->config == NULL)
		return 0;
	if (gw_config_load(cfg, o->config, &err) != 0) {
		fprintf(stderr, "dxgw submit: %s\n", err.msg);
		return -1;
	}
	def->facility_type = cfg->cda_facility_type_code;
	def->facility_source = "config cda_facility_type_code";
	def->practice_setting = cfg->cda_practice_setting_code;
	def->practice_source = "config cda_practice_setting_code";
	return 0;
}

int
gw_cli_submit(int argc, char **argv)
{
	struct files *fs = gw_xcalloc(1, sizeof(*fs));
	char *codebufs[7] = {0};
	struct gw_xdsbuild_code cc[7] = {0};
	struct gw_xdrcli_result res = {0};
	struct gw_xdsbuild b = {0};
	struct gw_xdrcli_req req;
	struct gw_buf md;
	struct gw_err err;
	char sender_xtn[300];
	struct gw_config cfg;
	struct gw_cda_defaults dflt = {0};
	const struct gw_cda_defaults *def = NULL;
	struct opts o;
	int rc = parse_opts(argc, argv, &o);

	gw_buf_init(&md, 16L * 1024 * 1024);
	gw_config_defaults(&cfg);
	if (rc != 0) {
		rc = rc > 0 ? 0 : 2;
		goto out;
	}
	rc = 2;
	gw_config_dispose(&cfg);
	if (load_defaults(&o, &cfg, &dflt) != 0)
		goto out;
	if (o.config != NULL)
		def = &dflt;
	{
		const char *src[7] = {o.class_code,  o.type_code, o.format_code,
				      o.conf,        o.facility,  o.practice,
				      o.content_type};

		for (int k = 0; k < 7; k++)
			if (!split_code(src[k], &cc[k], &codebufs[k])) {
				fprintf(stderr, "dxgw submit: codes are "
						"written code^codingScheme^"
						"display\n");
				goto out;
			}
	}
	for (int k = optind; k < argc; k++, fs->n++)
		if (load_file(fs, fs->n, argv[k], &o, cc, def) != 0)
			goto out;
	b.limited = o.limited;
	b.source_id = o.source_id;
	b.patient_id = o.patient_id ? o.patient_id
		       : fs->cda[0] ? fs->cda[0]->patient_id
				    : NULL;
	if (o.from != NULL && snprintf(sender_xtn, sizeof(sender_xtn),
				       "^^Internet^%s", o.from) > 0)
		b.author_telecom = sender_xtn;
	/* The SubmissionSet's clinical activity: given, or the first type. */
	if (cc[6].code)
		b.content_type = cc[6];
	else if (fs->n > 0)
		b.content_type = fs->meta[0].type_code;
	b.intended_recipients = o.to;
	b.nintended = o.nto;
	b.docs = fs->meta;
	b.ndocs = fs->n;
	if (o.explain) {
		rc = explain(fs, argv + optind, &o, &b);
		goto out;
	}
	if (gw_xdsbuild_submission(&b, &md, &err) != 0) {
		fprintf(stderr, "dxgw submit: metadata: %s%s\n", err.msg,
			o.limited ? "" : " (add the codes, or use --limited)");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.endpoint = o.url;
	req.message_id = o.message_id;
	req.from = o.from;
	req.to = o.to;
	req.nto = o.nto;
	req.final_delivery = o.final_delivery;
	req.metadata_level = o.level ? o.level : o.limited ? "minimal" : "XDS";
	req.metadata = md.data;
	req.metadata_len = md.len;
	req.docs = fs->part;
	req.ndocs = fs->n;
	req.inline_base64 = o.inline_b64;
	req.tls_cert = o.cert;
	req.tls_ca = o.ca;
	req.timeout = o.timeout;
	switch (gw_xdrcli_send(&req, &res, &err)) {
	case 0:
		print_result(&res);
		rc = res.cls == GW_XDRCLI_OK ? 0 : 1;
		break;
	case GW_EPARSE:
		if (res.fault != NULL) {
			printf("fault: %s%s%s\n", res.fault,
			       res.fault_subcode ? " subcode=" : "",
			       res.fault_subcode ? res.fault_subcode : "");
			rc = 3;
		} else {
			fprintf(stderr, "dxgw submit: %s\n", err.msg);
			rc = 2;
		}
		break;
	default:
		fprintf(stderr, "dxgw submit: %s\n", err.msg);
		rc = 3;
	}
	/* What a sender would do with this outcome (retry or give up). */
	if (rc != 2)
		printf("class: %s\n", gw_xdrcli_class_name(res.cls));
out:
	gw_xdrcli_result_dispose(&res);
	for (size_t i = 0; i < MAX_FILES; i++) {
		free(fs->data[i]);
		gw_cda_header_free(fs->cda[i]);
	}
	free(fs);
	for (int k = 0; k < 7; k++)
		free(codebufs[k]);
	gw_buf_dispose(&md);
	gw_config_dispose(&cfg);
	return rc;
}
