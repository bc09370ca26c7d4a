/*
 * Shared helpers of the XDR integration tests.
 */
#include "xdrtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "id.h"
#include "store.h"

char *
xt_corpus(const char *rel, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", gw_test_corpus(), rel);
	return gw_test_slurp(path, len);
}

void
xt_msgid(char out[64])
{
	memcpy(out, "urn:uuid:", 9);
	gw_id_uuid(out + 9);
}

static unsigned ett_seq;

char *
xt_ett(const char *name, const char *url, const char *msgid)
{
	static const char *const keys[] = {
	    "#DIRECT_FROM#",  "#DIRECT_TO#",  "#WSA_TO#",     "#MESSAGE_ID#",
	    "#UNIQUE_ID_SS#", "#PATIENT_ID#", "#ENTRY_UUID#", "#UNIQUE_ID#"};
	char path[512], mid[64], oid[64], entry[64];
	const char *vals[8];
	char serial[32];
	char *s, *t;

	snprintf(path, sizeof(path), "xdr/ett/xdrMessageFactory/%s", name);
	s = xt_corpus(path, NULL);
	if (s == NULL)
		return NULL;
	if (msgid == NULL) {
		xt_msgid(mid);
		msgid = mid;
	}
	gw_id_uuid_oid(oid);
	xt_msgid(entry);
	vals[0] = "sender@direct.dxgw.test";
	vals[1] = "recipient@direct.other.test";
	vals[2] = url;
	vals[3] = msgid;
	vals[4] = oid;
	vals[5] = "8273645"; /* the id number; the template adds the rest */
	vals[6] = entry;
	/* ETT appends a serial number to a fixed OID root. */
	snprintf(serial, sizeof(serial), "%u%u", (unsigned)getpid(), ++ett_seq);
	vals[7] = serial;
	for (size_t i = 0; i < 8; i++) {
		t = gw_str_replace(s, keys[i], vals[i]);
		free(s);
		s = t;
	}
	return s;
}

bool
xt_post(const struct gw_daemon *d, const char *env,
	const struct gw_mtom_part *parts, size_t nparts, struct gw_http_resp *r)
{
	char ct[512];
	size_t len;
	char *body = gw_mtom_build(env, parts, nparts, ct, sizeof(ct), &len);
	bool ok = gw_http_post(d->port, ct, body, len, r);

	free(body);
	return ok;
}

bool
xt_post_with_doc(const struct gw_daemon *d, const char *env, const char *doc,
		 size_t doclen, struct gw_http_resp *r)
{
	struct gw_mtom_part parts[16];
	char cids[16][256];
	size_t n = 0;
	const char *p = env;

	while (n < 16 && (p = strstr(p, "href=\"cid:")) != NULL) {
		const char *s = p + 10;
		const char *e = strchr(s, '"');

		if (e == NULL || (size_t)(e - s) >= sizeof(cids[0]))
			break;
		memcpy(cids[n], s, (size_t)(e - s));
		cids[n][e - s] = '\0';
		parts[n].cid = cids[n];
		parts[n].type = "text/xml";
		parts[n].data = doc;
		parts[n].len = doclen;
		n++;
		p = e;
	}
	return xt_post(d, env, parts, n, r);
}

char *
xt_envelope(const char *sor, const char *docs_xml, const char *url,
	    const char *msgid, const char *from, const char *to)
{
	const char *body = sor;
	char *out;
	size_t cap;
	int n;

	/* Drop an XML declaration: it cannot appear inside the Body. */
	if (strncmp(body, "<?xml", 5) == 0) {
		const char *e = strstr(body, "?>");

		if (e != NULL)
			body = e + 2;
	}
	cap = strlen(body) + strlen(docs_xml) + 4096;
	out = malloc(cap);
	n = snprintf(
	    out, cap,
	    "<soapenv:Envelope "
	    "xmlns:soapenv=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">"
	    "<soapenv:Header>"
	    "%s%s%s%s%s"
	    "<wsa:To soapenv:mustUnderstand=\"true\">%s</wsa:To>"
	    "<wsa:MessageID soapenv:mustUnderstand=\"true\">%s</wsa:MessageID>"
	    "<wsa:Action soapenv:mustUnderstand=\"true\">"
	    "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</wsa:Action>"
	    "</soapenv:Header><soapenv:Body>"
	    "<xdsb:ProvideAndRegisterDocumentSetRequest "
	    "xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\">%s%s"
	    "</xdsb:ProvideAndRegisterDocumentSetRequest>"
	    "</soapenv:Body></soapenv:Envelope>",
	    from
		? "<direct:addressBlock xmlns:direct=\"urn:direct:addressing\" "
		  "soapenv:role=\"urn:direct:addressing:destination\" "
		  "soapenv:relay=\"true\"><direct:from>mailto:"
		: "",
	    from ? from : "", from ? "</direct:from><direct:to>mailto:" : "",
	    from ? to : "", from ? "</direct:to></direct:addressBlock>" : "",
	    url, msgid, body, docs_xml);
	if (n < 0 || (size_t)n >= cap) {
		free(out);
		return NULL;
	}
	return out;
}

int
xt_count_code(const char *body, const char *code)
{
	char pat[256];
	int n = 0;
	const char *p = body;

	snprintf(pat, sizeof(pat), "errorCode=\"%s\"", code);
	while (p != NULL && (p = strstr(p, pat)) != NULL) {
		n++;
		p += strlen(pat);
	}
	return n;
}

static long
store_number(const struct gw_daemon *d, bool audit)
{
	struct gw_store *st = NULL;
	struct gw_err err;
	char spec[400], spool[400];
	long n = -1;

	snprintf(spec, sizeof(spec), "sqlite:%s", d->db);
	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	/* The daemon runs: leave its in-flight spool files alone. */
	if (gw_store_open_opts(spec, spool,
			       &(struct gw_store_opts){.no_sweep = true}, &st,
			       &err) != 0) {
		printf("    store open: %s\n", err.msg);
		return -1;
	}
	if ((audit ? gw_store_audit_verify(st, &n, &err)
		   : gw_store_submission_count(st, &n, &err)) != 0)
		n = -1;
	gw_store_close(st);
	return n;
}

long
xt_count_submissions(const struct gw_daemon *d)
{
	return store_number(d, false);
}

long
xt_audit_rows(const struct gw_daemon *d)
{
	return store_number(d, true);
}
