/* Test support for xds: corpus loading, SOR extraction, parts. */
#include "test_xds_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "harness.h"
#include "mem.h"
#include "xdsxml.h"
#include "nistconv.h"

#define NS_DIRECT "urn:direct:addressing"
#define NS_XDSB   "urn:ihe:iti:xds-b:2007"

char *
fx_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p;
	char *r, *o;

	for (p = strstr(s, from); p != NULL; p = strstr(p + fl, from))
		n++;
	r = gw_xmalloc(strlen(s) + n * (tl + 1) + 1);
	o = r;
	for (p = s;;) {
		const char *q = strstr(p, from);
		if (q == NULL)
			break;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		p = q + fl;
	}
	memcpy(o, p, strlen(p) + 1);
	return r;
}

void
fx_sha1_hex(const void *data, size_t len, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL);
	for (unsigned i = 0; i < mdlen && i < 20; i++) {
		static const char hex[] = "0123456789abcdef";
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[40] = '\0';
}

void
fx_add_part(struct fx *f, const char *id, const void *data, size_t len)
{
	if (f->nparts == FX_MAX)
		return;
	f->pid[f->nparts] = gw_xstrdup(id);
	fx_sha1_hex(data, len, f->sha[f->nparts]);
	f->parts[f->nparts].id = f->pid[f->nparts];
	f->parts[f->nparts].size = len;
	f->parts[f->nparts].sha1 = f->sha[f->nparts];
	f->nparts++;
}

static bool
is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0 &&
	       (ns == NULL ||
		(n->ns != NULL && strcmp((const char *)n->ns->href, ns) == 0));
}

static char *
text_of(xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *r = gw_xstrdup(t != NULL ? (const char *)t : "");

	xmlFree(t);
	return r;
}

/* Base64 text of an inline xds:Document into bytes. */
static void
add_inline_part(struct fx *f, xmlNode *n)
{
	xmlChar *id = xmlGetNoNsProp(n, (const xmlChar *)"id");
	char *t = text_of(n), *c = t;
	unsigned char *bin;
	size_t k = 0;
	int len;

	for (char *p = t; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			c[k++] = *p;
	c[k] = '\0';
	bin = gw_xmalloc(k + 1);
	len = EVP_DecodeBlock(bin, (unsigned char *)c, (int)k);
	if (len >= 0 && k >= 1 && c[k - 1] == '=')
		len--;
	if (len >= 0 && k >= 2 && c[k - 2] == '=')
		len--;
	fx_add_part(f, id != NULL ? (const char *)id : "", bin,
		    len > 0 ? (size_t)len : 0);
	free(bin);
	free(t);
	xmlFree(id);
}

static void
scan(struct fx *f, xmlNode *n, xmlNode **sor)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (*sor == NULL && strcmp((const char *)n->name,
					   "SubmitObjectsRequest") == 0) {
			*sor = n;
			continue;
		}
		if (is_el(n, NS_DIRECT, "to") && f->nto < FX_MAX)
			f->to[f->nto++] = text_of(n);
		else if (is_el(n, NS_DIRECT, "from") && f->from == NULL)
			f->from = text_of(n);
		else if (is_el(n, NS_DIRECT, "metadata-level"))
			f->level = text_of(n);
		else if (is_el(n, NULL, "Document") && n->parent != NULL &&
			 strcmp((const char *)n->parent->name,
				"ProvideAndRegisterDocumentSetRequest") == 0) {
			xmlNode *c = n->children;
			while (c != NULL && c->type != XML_ELEMENT_NODE)
				c = c->next;
			if (c != NULL &&
			    strcmp((const char *)c->name, "Include") == 0) {
				/* MTOM reference: the bytes are not in the
				 * file. These messages carry no hash/size,
				 * so the href stands in for the content. */
				xmlChar *id =
				    xmlGetNoNsProp(n, (const xmlChar *)"id");
				xmlChar *href =
				    xmlGetNoNsProp(c, (const xmlChar *)"href");
				fx_add_part(f, id ? (const char *)id : "",
					    href ? (const char *)href : "",
					    href ? strlen((const char *)href)
						 : 0);
				xmlFree(id);
				xmlFree(href);
			} else {
				add_inline_part(f, n);
			}
			continue;
		}
		scan(f, n->children, sor);
	}
}

static void
set_addr(struct fx *f)
{
	f->addr.from = f->from;
	f->addr.to = (const char *const *)f->to;
	f->addr.nto = f->nto;
	f->addr.metadata_level = f->level;
}

/* Serialize the SubmitObjectsRequest element as a document of its own. */
static bool
dump_sor(struct fx *f, xmlNode *sor)
{
	xmlDocPtr nd = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *copy = xmlDocCopyNode(sor, nd, 1);
	xmlChar *mem = NULL;
	int len = 0;

	if (copy == NULL) {
		xmlFreeDoc(nd);
		return false;
	}
	xmlDocSetRootElement(nd, copy);
	xmlReconciliateNs(nd, copy);
	xmlDocDumpMemory(nd, &mem, &len);
	f->xml = gw_xstrndup((const char *)mem, (size_t)len);
	f->len = (size_t)len;
	xmlFree(mem);
	xmlFreeDoc(nd);
	return true;
}

/*
 * NIST AssignUids: every symbolic uniqueId placeholder becomes a fresh
 * OID (two_doc.xml uses "Document01" for both entries).
 */
static char *
assign_uids(char *raw)
{
	static const char *const ph[] = {
	    "value=\"Document01_uniqueid\"",
	    "value=\"SubmissionSet01_uniqueid\"", "value=\"Document01\"",
	    "value=\"Document02\"", "value=\"SubmissionSet01\""};
	unsigned serial = 0;

	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		char *p;
		while ((p = strstr(raw, ph[i])) != NULL) {
			char oid[64], *r;
			size_t pl = strlen(ph[i]);
			if (snprintf(oid, sizeof(oid),
				     "value=\"1.3.6.1.4.1.21367.99.1.%u\"",
				     ++serial) >= (int)sizeof(oid))
				break;
			r = gw_xmalloc(strlen(raw) + strlen(oid) + 1);
			memcpy(r, raw, (size_t)(p - raw));
			memcpy(r + (p - raw), oid, strlen(oid));
			memcpy(r + (p - raw) + strlen(oid), p + pl,
			       strlen(p + pl) + 1);
			free(raw);
			raw = r;
		}
	}
	return raw;
}

bool
fx_load(struct fx *f, const char *path, const char *const *subst)
{
	char full[1024];
	size_t len;
	char *raw;
	xmlDocPtr doc;
	xmlNode *sor = NULL;
	bool ok;

	memset(f, 0, sizeof(*f));
	gw_xds_errors_init(&f->errs);
	if (snprintf(full, sizeof(full), "%s/%s", gw_test_corpus(), path) >=
	    (int)sizeof(full))
		return false;
	raw = gw_test_slurp(full, &len);
	if (raw == NULL)
		return false;
	if (subst == FX_NIST)
		raw = assign_uids(raw);
	for (size_t i = 0;
	     subst != NULL && subst != FX_NIST && subst[i] != NULL; i += 2) {
		char *r = fx_replace(raw, subst[i], subst[i + 1]);
		free(raw);
		raw = r;
	}
	doc = xmlReadMemory(raw, (int)strlen(raw), NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				XML_PARSE_NOWARNING);
	free(raw);
	if (doc == NULL)
		return false;
	scan(f, xmlDocGetRootElement(doc), &sor);
	ok = sor != NULL && dump_sor(f, sor);
	xmlFreeDoc(doc);
	set_addr(f);
	return ok;
}

static bool
convert_v2(struct fx *f)
{
	xmlDocPtr in;
	xmlNode *root;
	char *v3;
	size_t len;
	bool ok = false;

	if (strstr(f->xml, "registry:xsd:2.1") == NULL)
		return true;
	v3 = gw_test_nist_v3(f->xml, f->len, &len);
	in = v3 ? xmlReadMemory(v3, (int)len, NULL, NULL, XML_PARSE_NONET)
		: NULL;
	root = in != NULL ? xmlDocGetRootElement(in) : NULL;
	if (root != NULL) {
		free(f->xml);
		ok = dump_sor(f, root);
	}
	xmlFreeDoc(in);
	free(v3);
	return ok;
}

static void
copy_text(char *dst, size_t n, xmlNode *el)
{
	char *t = text_of(el);

	if (snprintf(dst, n, "%s", t) < 0)
		dst[0] = '\0';
	free(t);
}

bool
fx_load_nist(struct fx *f, const char *dir)
{
	char path[1024], meta[256] = "";
	char *plan;
	size_t len;
	xmlDocPtr doc;
	struct {
		char id[64];
		char file[128];
	} docs[FX_MAX];
	size_t ndocs = 0;
	char status[sizeof(f->expected_status)];
	char code[sizeof(f->expected_code)];
	bool ok;

	memset(f, 0, sizeof(*f));
	gw_xds_errors_init(&f->errs);
	if (snprintf(path, sizeof(path), "%s/%s/testplan.xml", gw_test_corpus(),
		     dir) >= (int)sizeof(path))
		return false;
	plan = gw_test_slurp(path, &len);
	if (plan == NULL)
		return false;
	doc = xmlReadMemory(plan, (int)len, NULL, NULL, XML_PARSE_NONET);
	free(plan);
	if (doc == NULL)
		return false;
	/* The step's elements: walk the whole plan, later ones win. */
	for (xmlNode *n = xmlDocGetRootElement(doc); n != NULL;) {
		if (n->type == XML_ELEMENT_NODE) {
			const char *nm = (const char *)n->name;
			if (strcmp(nm, "ExpectedStatus") == 0)
				copy_text(f->expected_status,
					  sizeof(f->expected_status), n);
			else if (strcmp(nm, "ExpectedErrorCode") == 0)
				copy_text(f->expected_code,
					  sizeof(f->expected_code), n);
			else if (strcmp(nm, "MetadataFile") == 0)
				copy_text(meta, sizeof(meta), n);
			else if (strcmp(nm, "Document") == 0 &&
				 ndocs < FX_MAX) {
				xmlChar *id =
				    xmlGetNoNsProp(n, (const xmlChar *)"id");
				if (snprintf(docs[ndocs].id,
					     sizeof(docs[ndocs].id), "%s",
					     id ? (const char *)id : "") < 0)
					docs[ndocs].id[0] = '\0';
				copy_text(docs[ndocs].file,
					  sizeof(docs[ndocs].file), n);
				ndocs++;
				xmlFree(id);
			}
		}
		if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent != (xmlNode *)doc ? n->parent : NULL;
		if (n != NULL)
			n = n->next;
	}
	xmlFreeDoc(doc);
	if (snprintf(path, sizeof(path), "%s/%s", dir, meta) >=
	    (int)sizeof(path))
		return false;
	memcpy(status, f->expected_status, sizeof(status));
	memcpy(code, f->expected_code, sizeof(code));
	ok = fx_load(f, path, FX_NIST);
	/* fx_load reset the record. */
	memcpy(f->expected_status, status, sizeof(status));
	memcpy(f->expected_code, code, sizeof(code));
	if (!ok)
		return false;
	for (size_t i = 0; i < ndocs; i++) {
		char full[1024];
		char *data;
		size_t dlen;
		if (snprintf(full, sizeof(full), "%s/%s/%s", gw_test_corpus(),
			     dir, docs[i].file) >= (int)sizeof(full))
			return false;
		data = gw_test_slurp(full, &dlen);
		if (data == NULL)
			return false;
		fx_add_part(f, docs[i].id, data, dlen);
		free(data);
	}
	return convert_v2(f);
}

void
fx_parts_from_entries(struct fx *f)
{
	struct gw_xds_errors e;
	struct gw_xds_submission *s = NULL;

	gw_xds_errors_init(&e);
	if (gw_xdsxml_parse(f->xml, f->len, NULL, &s, &e) == 0)
		for (size_t i = 0; i < s->nentries; i++)
			if (s->entries[i].id != NULL)
				fx_add_part(f, s->entries[i].id,
					    s->entries[i].id,
					    strlen(s->entries[i].id));
	gw_xds_submission_free(s);
	gw_xds_errors_dispose(&e);
}

void
fx_test_addressing(struct fx *f)
{
	if (f->nto == 0)
		f->to[f->nto++] =
		    gw_xstrdup("mailto:test.to@direct.example.org");
	if (f->from == NULL)
		f->from = gw_xstrdup("mailto:test.from@direct.example.org");
	set_addr(f);
}

bool
fx_run(struct fx *f)
{
	f->parse_rc = gw_xdsxml_parse(f->xml, f->len, NULL, &f->s, &f->errs);
	if (f->parse_rc != 0)
		return true;
	f->validate_rc =
	    gw_xds_validate(f->s, f->parts, f->nparts, &f->addr, &f->errs);
	return f->validate_rc != 0;
}

bool
fx_codes(const struct fx *f, const char *codes)
{
	char want[512];
	bool ok = true;
	char *save = NULL;

	if (snprintf(want, sizeof(want), ",%s,", codes) >= (int)sizeof(want))
		return false;
	for (size_t i = 0; i < f->errs.n; i++) {
		char k[128];
		if (snprintf(k, sizeof(k), ",%s,", f->errs.v[i].code) >=
		    (int)sizeof(k))
			ok = false;
		else if (strstr(want, k) == NULL)
			ok = false;
	}
	/* Every wanted code present. */
	for (char *p = want + 1; *p != '\0'; p = save) {
		char *comma = strchr(p, ',');
		if (comma == NULL)
			break;
		*comma = '\0';
		save = comma + 1;
		if (*p != '\0' && !gw_xds_errors_has(&f->errs, p))
			ok = false;
	}
	if (!ok)
		for (size_t i = 0; i < f->errs.n; i++)
			fprintf(stderr, "  got %s [%s] %s\n", f->errs.v[i].code,
				f->errs.v[i].location ? f->errs.v[i].location
						      : "",
				f->errs.v[i].context);
	return ok;
}

void
fx_dispose(struct fx *f)
{
	free(f->xml);
	for (size_t i = 0; i < f->nto; i++)
		free(f->to[i]);
	free(f->from);
	free(f->level);
	for (size_t i = 0; i < f->nparts; i++)
		free(f->pid[i]);
	gw_xds_submission_free(f->s);
	gw_xds_errors_dispose(&f->errs);
	memset(f, 0, sizeof(*f));
}
