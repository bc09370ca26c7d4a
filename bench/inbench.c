/*
 * NAME
 *	inbench - inbound Direct messages and their in-process throughput
 *	for make bench
 * SUMMARY
 *	inbench messages DIR PKI CCD N10 N100 N1M
 *	    writes DIR/<size>/NNNN.eml for the message sizes 10 KB, 100 KB
 *	    and 1 MB (N10, N100, N1M of each, each with its own Message-ID):
 *	    Direct messages as dxgw's agent receives them, made with dxgw's
 *	    own smime.c from certs/mkdirect.sh keys in PKI. The inner
 *	    message, from ehr@direct-a.example to doc@direct-b.example, is
 *	    a multipart/mixed of a short note and one C-CDA-like document
 *	    made from CCD (base64, text/xml), wrapped as message/rfc822,
 *	    signed by ehr-a (detached, SHA-256) and encrypted to doc-b
 *	    (AES-128-CBC, RSA PKCS#1 v1.5), with the outer From, To, Date,
 *	    Message-ID and MIME-Version. The document is sized so that the
 *	    whole message is within a few bytes of the size. Prints, and
 *	    writes to DIR/sizes, "size message-bytes document-bytes".
 *	inbench run DIR PKI SCALE [CLI10 CLI100 CLI1M]
 *	    times, on the messages of DIR, per size, with 1 and 2 threads:
 *	    the ceiling, a minimal in-process OpenSSL loop: the base64 of
 *	    the application/pkcs7-mime body decoded in one go (line breaks
 *	    stripped, EVP_DecodeBlock), d2i, CMS_decrypt with doc-b's key,
 *	    the multipart/signed split by hand (boundary, first part,
 *	    signature part decoded the same way) and CMS_verify of the
 *	    detached signature against anchor-a; and dxgw's security agent,
 *	    gw_agent_incoming() with a keys_dir holding doc-b's key and
 *	    anchor-a as the anchor of direct-b.example (no store: no audit
 *	    row). With 1 thread also OpenSSL's own S/MIME reader
 *	    (SMIME_read_CMS for both layers, then the same decrypt and
 *	    verify): what a loop that does not hand-parse runs at. CLI10..
 *	    are the messages per second of the openssl cms command-line
 *	    pipeline measured by bench/run.sh (0: not measured). SCALE
 *	    multiplies the message counts. Every loop checks every message.
 *	    Runs with gw_mem_tune() as dxgw serve does. Prints one table and
 *	    writes DIR/ceiling: "size ceiling-1-thread ceiling-2-threads".
 *	    INBENCH_SIZE=<bytes> runs one size only, INBENCH_WAY=ceiling,
 *	    agent or reader one loop only, 1 thread (for profiling).
 *	inbench freeport
 *	    prints a TCP port free on 127.0.0.1 (for a listener's config).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent.h"
#include "benchutil.h"
#include "buf.h"
#include "err.h"
#include "id.h"
#include "keys.h"
#include "log.h"
#include "mem.h"
#include "mime.h"
#include "smime.h"
#include "trust.h"

#define NSIZES    3
#define SENDER    "ehr@direct-a.example"
#define RCPT      "doc@direct-b.example"
#define LOCAL_DOM "direct-b.example"
#define MAXTH     2
#define ROUNDS    3 /* best of */

static const size_t sizes[NSIZES] = {10240, 102400, 1048576};
/* Messages per timed loop at SCALE 1. */
static const int counts[NSIZES] = {400, 300, 60};

/* --- the messages -------------------------------------------------------- */

struct maker {
	struct gw_smime_cert *signer, *rcpt;
	const char *ccd;
};

/* Append p as base64 in 76-column CRLF lines. */
static void
b64_lines(struct gw_buf *out, const char *p, size_t len)
{
	unsigned char line[80];

	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		int w = EVP_EncodeBlock(line, (const unsigned char *)p + off,
					(int)n);

		if (gw_buf_append(out, line, (size_t)w) < 0 ||
		    gw_buf_append(out, "\r\n", 2) < 0)
			bench_die("message", "too large");
	}
}

/* One whole Direct message carrying a document of doclen bytes. */
static void
make_message(const struct maker *mk, size_t doclen, struct gw_buf *msg)
{
	struct gw_buf inner, signd;
	char uuid[GW_ID_UUID_LEN], bnd[GW_ID_UUID_LEN], date[64];
	char msgid[GW_ID_UUID_LEN + 32];
	char *doc = bench_doc_compact(mk->ccd, doclen);
	struct gw_err e;

	gw_id_uuid(uuid);
	gw_id_uuid(bnd);
	snprintf(msgid, sizeof(msgid), "<%s@direct-a.example>", uuid);
	if (gw_mime_date(time(NULL), date, sizeof(date)) < 0)
		bench_die("message", "date");
	gw_buf_init(&inner, 64 << 20);
	gw_buf_init(&signd, 64 << 20);
	if (gw_buf_printf(&inner,
			  "Content-Type: message/rfc822\r\n\r\n"
			  "From: <" SENDER ">\r\n"
			  "To: <" RCPT ">\r\n"
			  "Subject: Continuity of Care Document\r\n"
			  "Date: %s\r\n"
			  "Message-ID: %s\r\n"
			  "MIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
			  "\r\n"
			  "--%s\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n"
			  "\r\n"
			  "The patient's summary of care is attached.\r\n"
			  "--%s\r\n"
			  "Content-Type: text/xml; name=\"CCD.xml\"\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "Content-Disposition: attachment; "
			  "filename=\"CCD.xml\"\r\n"
			  "\r\n",
			  date, msgid, bnd, bnd, bnd) < 0)
		bench_die("message", "too large");
	b64_lines(&inner, doc, doclen);
	if (gw_buf_printf(&inner, "--%s--\r\n", bnd) < 0)
		bench_die("message", "too large");
	gw_buf_reset(msg);
	if (gw_smime_sign(inner.data, inner.len, &mk->signer, 1, &signd, &e) <
		0 ||
	    gw_buf_printf(msg,
			  "From: <" SENDER ">\r\n"
			  "To: <" RCPT ">\r\n"
			  "Date: %s\r\n"
			  "Message-ID: %s\r\n"
			  "MIME-Version: 1.0\r\n",
			  date, msgid) < 0 ||
	    gw_smime_encrypt(signd.data, signd.len, &mk->rcpt, 1,
			     GW_SMIME_AES128_CBC, GW_SMIME_RSA_PKCS1, msg,
			     &e) < 0)
		bench_die("message", e.msg);
	gw_buf_dispose(&inner);
	gw_buf_dispose(&signd);
	free(doc);
}

/*
 * The document length that makes a message of about size bytes: the
 * message grows linearly with the document (two base64 layers), so two
 * probes give the slope, then a few corrections.
 */
static size_t
fit_doc(const struct maker *mk, size_t size)
{
	size_t d0 = size / 3, d = size / 2;
	double m0, slope;
	struct gw_buf m;

	gw_buf_init(&m, 64 << 20);
	make_message(mk, d0, &m);
	m0 = (double)m.len;
	make_message(mk, d, &m);
	slope = ((double)m.len - m0) / (double)(d - d0);
	for (int i = 0; i < 4 && (m.len > size + 32 || m.len + 32 < size);
	     i++) {
		d = (size_t)((double)d +
			     ((double)size - (double)m.len) / slope);
		make_message(mk, d, &m);
	}
	gw_buf_dispose(&m);
	return d;
}

static int
cmd_messages(const char *dir, const char *pki, const char *ccdpath, char **nv)
{
	char *crt = bench_path2(pki, "ehr-a.crt"),
	     *key = bench_path2(pki, "ehr-a.key");
	char *rc = bench_path2(pki, "doc-b.crt"),
	     *sp = bench_path2(dir, "sizes");
	struct maker mk = {0};
	struct gw_buf m;
	struct gw_err e;
	size_t len;
	FILE *out;

	mk.ccd = bench_slurp(ccdpath, &len);
	if (gw_smime_cert_load(crt, key, &mk.signer, &e) < 0 ||
	    gw_smime_cert_load(rc, NULL, &mk.rcpt, &e) < 0)
		bench_die("keys", e.msg);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("mkdir", dir);
	out = fopen(sp, "w");
	if (out == NULL)
		bench_die("write", sp);
	gw_buf_init(&m, 64 << 20);
	for (int i = 0; i < NSIZES; i++) {
		size_t doclen = fit_doc(&mk, sizes[i]), msglen = 0;
		long n = strtol(nv[i], NULL, 10);
		char sub[32], *sd;

		snprintf(sub, sizeof(sub), "%zu", sizes[i]);
		sd = bench_path2(dir, sub);
		if (mkdir(sd, 0700) != 0 && errno != EEXIST)
			bench_die("mkdir", sd);
		for (long k = 0; k < n; k++) {
			char name[32], *p;

			snprintf(name, sizeof(name), "%04ld.eml", k);
			p = bench_path2(sd, name);
			make_message(&mk, doclen, &m);
			bench_spit(p, m.data, m.len);
			msglen = m.len;
			free(p);
		}
		printf("%zu %zu %zu\n", sizes[i], msglen, doclen);
		fprintf(out, "%zu %zu %zu\n", sizes[i], msglen, doclen);
		free(sd);
	}
	if (fclose(out) != 0)
		bench_die("write", sp);
	gw_buf_dispose(&m);
	gw_smime_cert_free(mk.signer);
	gw_smime_cert_free(mk.rcpt);
	free((char *)mk.ccd);
	free(crt);
	free(key);
	free(rc);
	free(sp);
	return 0;
}

/* --- the ceiling: a minimal OpenSSL decrypt and verify ------------------ */

struct ossl {
	EVP_PKEY *key; /* doc-b's */
	X509 *cert;
	X509_STORE *anchors; /* anchor-a */
};

/* Per-thread scratch for the base64 bodies. */
struct scratch {
	unsigned char *b64, *der;
	size_t cap;
};

/*
 * Decode the base64 text of [p, end) in one call: line breaks (and any
 * other white space) removed first. The DER length, or -1.
 */
static long
b64_decode(const char *p, const char *end, struct scratch *s)
{
	size_t n = 0, pad = 0;
	int w;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		size_t k = (size_t)(le - p);

		if (k > 0 && p[k - 1] == '\r')
			k--;
		if (n + k > s->cap)
			return -1;
		memcpy(s->b64 + n, p, k);
		n += k;
		p = le + 1;
	}
	if (n == 0 || n % 4 != 0)
		return -1;
	pad = (s->b64[n - 1] == '=') + (s->b64[n - 2] == '=');
	w = EVP_DecodeBlock(s->der, s->b64, (int)n);
	return w < 0 ? -1 : (long)(w - (int)pad);
}

static CMS_ContentInfo *
cms_of(const char *p, const char *end, struct scratch *s)
{
	long n = b64_decode(p, end, s);
	const unsigned char *d = s->der;

	return n > 0 ? d2i_CMS_ContentInfo(NULL, &d, n) : NULL;
}

/* The value of the boundary parameter in header [h, hend), or false. */
static bool
boundary_of(const char *h, const char *hend, char *out, size_t max)
{
	const char *b = memmem(h, (size_t)(hend - h), "boundary=", 9);
	size_t n = 0;

	if (b == NULL)
		return false;
	b += 9;
	if (*b == '"')
		b++;
	while (b < hend && *b != '"' && *b != ';' && *b != '\r' && n + 1 < max)
		out[n++] = *b++;
	out[n] = '\0';
	return n > 0;
}

/* Decrypt and verify one message; 0 when it verified. */
static int
ceiling_one(const struct ossl *o, struct scratch *s, const char *msg,
	    size_t len)
{
	const char *end = msg + len, *hb = memmem(msg, len, "\r\n\r\n", 4);
	CMS_ContentInfo *env = NULL, *sig = NULL;
	BIO *dec = BIO_new(BIO_s_mem()), *cont = NULL;
	char bnd[128], delim[160];
	const char *d, *dend, *p1, *e1, *p2, *h2, *e2;
	size_t dl;
	long n;
	int rc = -1;

	if (hb == NULL || memmem(msg, (size_t)(hb - msg),
				 "application/pkcs7-mime", 22) == NULL)
		goto out;
	env = cms_of(hb + 4, end, s);
	if (env == NULL || dec == NULL ||
	    CMS_decrypt(env, o->key, o->cert, NULL, dec, CMS_BINARY) != 1)
		goto out;
	n = BIO_get_mem_data(dec, &d);
	if (n <= 0)
		goto out;
	dend = d + n;
	/* multipart/signed: the first part, then the signature's body. */
	hb = memmem(d, (size_t)n, "\r\n\r\n", 4);
	if (hb == NULL || !boundary_of(d, hb, bnd, sizeof(bnd)))
		goto out;
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
	p1 = memmem(hb + 2, (size_t)(dend - hb - 2), delim, dl);
	if (p1 == NULL ||
	    (p1 = memchr(p1 + dl, '\n', (size_t)(dend - p1 - dl))) == NULL)
		goto out;
	p1++;
	e1 = memmem(p1, (size_t)(dend - p1), delim, dl);
	if (e1 == NULL)
		goto out;
	p2 = e1 + dl;
	h2 = memmem(p2, (size_t)(dend - p2), "\r\n\r\n", 4);
	e2 = h2 != NULL ? memmem(h2, (size_t)(dend - h2), delim, dl) : NULL;
	if (e2 == NULL)
		goto out;
	sig = cms_of(h2 + 4, e2, s);
	cont = BIO_new_mem_buf(p1, (int)(e1 - p1));
	if (sig != NULL && cont != NULL &&
	    CMS_verify(sig, NULL, o->anchors, cont, NULL, CMS_BINARY) == 1)
		rc = 0;
out:
	if (rc != 0)
		ERR_print_errors_fp(stderr);
	BIO_free(cont);
	BIO_free(dec);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(sig);
	return rc;
}

/* The same with OpenSSL's S/MIME reader for both layers. */
static int
reader_one(const struct ossl *o, const char *msg, size_t len)
{
	BIO *in = BIO_new_mem_buf(msg, (int)len), *dec = BIO_new(BIO_s_mem());
	BIO *cont = NULL;
	CMS_ContentInfo *env = NULL, *sig = NULL;
	int rc = -1;

	if (in != NULL && dec != NULL &&
	    (env = SMIME_read_CMS(in, NULL)) != NULL &&
	    CMS_decrypt(env, o->key, o->cert, NULL, dec, CMS_BINARY) == 1 &&
	    (sig = SMIME_read_CMS(dec, &cont)) != NULL &&
	    CMS_verify(sig, NULL, o->anchors, cont, NULL, CMS_BINARY) == 1)
		rc = 0;
	if (rc != 0)
		ERR_print_errors_fp(stderr);
	BIO_free(cont);
	BIO_free(dec);
	BIO_free(in);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(sig);
	return rc;
}

static void
ossl_open(struct ossl *o, const char *pki)
{
	char *kp = bench_path2(pki, "doc-b.key"),
	     *cp = bench_path2(pki, "doc-b.crt");
	char *ap = bench_path2(pki, "anchor-a.pem");
	FILE *f;

	if ((f = fopen(kp, "r")) == NULL ||
	    (o->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		bench_die("read", kp);
	fclose(f);
	if ((f = fopen(cp, "r")) == NULL ||
	    (o->cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		bench_die("read", cp);
	fclose(f);
	o->anchors = X509_STORE_new();
	if (o->anchors == NULL || X509_STORE_load_file(o->anchors, ap) != 1)
		bench_die("read", ap);
	free(kp);
	free(cp);
	free(ap);
}

static void
ossl_close(struct ossl *o)
{
	EVP_PKEY_free(o->key);
	X509_free(o->cert);
	X509_STORE_free(o->anchors);
}

/* --- the timed loops ---------------------------------------------------- */

struct msgset {
	char **m;
	size_t *len;
	int n;
	size_t maxlen;
};

enum way { CEILING, READER, AGENT };

struct loop {
	pthread_t th;
	enum way way;
	const struct ossl *o;
	struct gw_agent *agent;
	const struct msgset *set;
	int first, n;
	double cpu; /* seconds this thread ran */
};

static void
agent_one(struct gw_agent *a, struct gw_agent_result *res, const char *msg,
	  size_t len)
{
	static const char *const rcpts[] = {RCPT};
	struct gw_err e;

	if (gw_agent_incoming(a, SENDER, rcpts, 1, msg, len, res, &e) != 0)
		bench_die("agent", e.msg);
	if (!res->wrapped || strcmp(res->sender, SENDER) != 0 ||
	    res->nsigners != 1 || res->kind != GW_AGENT_MESSAGE)
		bench_die("agent", "unexpected result");
}

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct scratch s = {0};
	struct gw_agent_result res;
	struct timespec t0, t1;

	s.cap = l->set->maxlen;
	s.b64 = malloc(s.cap + 1);
	s.der = malloc(s.cap + 1);
	if (s.b64 == NULL || s.der == NULL)
		bench_die("loop", "out of memory");
	gw_agent_result_init(&res);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (int i = 0; i < l->n; i++) {
		int k = (l->first + i) % l->set->n;
		const char *m = l->set->m[k];
		size_t len = l->set->len[k];

		switch (l->way) {
		case CEILING:
			if (ceiling_one(l->o, &s, m, len) != 0)
				bench_die("ceiling",
					  "a message did not verify");
			break;
		case READER:
			if (reader_one(l->o, m, len) != 0)
				bench_die("reader", "a message did not verify");
			break;
		case AGENT:
			agent_one(l->agent, &res, m, len);
			break;
		}
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	l->cpu = (double)(t1.tv_sec - t0.tv_sec) +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	gw_agent_result_dispose(&res);
	free(s.b64);
	free(s.der);
	return NULL;
}

/* n messages over nth threads; messages per second, CPU ms per message. */
static double
timed(enum way way, const struct ossl *o, struct gw_agent *a,
      const struct msgset *set, int n, int nth, double *cpu_ms)
{
	struct loop l[MAXTH];
	double t0 = bench_now();
	int per = n / nth;

	for (int i = 0; i < nth; i++) {
		l[i] = (struct loop){.way = way,
				     .o = o,
				     .agent = a,
				     .set = set,
				     .first = i * set->n / nth,
				     .n = per};
		pthread_create(&l[i].th, NULL, loop_main, &l[i]);
	}
	*cpu_ms = 0;
	for (int i = 0; i < nth; i++) {
		pthread_join(l[i].th, NULL);
		*cpu_ms += l[i].cpu * 1e3 / (per * nth);
	}
	return per * nth / (bench_now() - t0);
}

static void
load_set(const char *dir, size_t size, struct msgset *set)
{
	char sub[32], *sd;
	struct dirent **ents = NULL;
	int ne;

	snprintf(sub, sizeof(sub), "%zu", size);
	sd = bench_path2(dir, sub);
	ne = scandir(sd, &ents, NULL, alphasort);
	if (ne < 0)
		bench_die("read", sd);
	memset(set, 0, sizeof(*set));
	set->m = calloc((size_t)ne, sizeof(*set->m));
	set->len = calloc((size_t)ne, sizeof(*set->len));
	for (int i = 0; i < ne; i++) {
		const char *nm = ents[i]->d_name;
		size_t k = strlen(nm);

		if (k > 4 && strcmp(nm + k - 4, ".eml") == 0) {
			char *p = bench_path2(sd, nm);

			set->m[set->n] = bench_slurp(p, &set->len[set->n]);
			if (set->len[set->n] > set->maxlen)
				set->maxlen = set->len[set->n];
			set->n++;
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	if (set->n == 0)
		bench_die("no messages in", sd);
	free(sd);
}

static void
free_set(struct msgset *set)
{
	for (int i = 0; i < set->n; i++)
		free(set->m[i]);
	free(set->m);
	free(set->len);
}

/*
 * The best of ROUNDS runs of the ceiling and of the agent, alternating,
 * so that the noise of a shared machine hits both alike.
 */
static void
best(const struct ossl *o, struct gw_agent *a, const struct msgset *set, int n,
     int nth, double *ceil, double *agent, double *agent_cpu)
{
	*ceil = *agent = *agent_cpu = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double cpu, x = timed(CEILING, o, a, set, n, nth, &cpu);

		if (x > *ceil)
			*ceil = x;
		x = timed(AGENT, o, a, set, n, nth, &cpu);
		if (x > *agent) {
			*agent = x;
			*agent_cpu = cpu;
		}
	}
}

/* A keys_dir with doc-b's key (ours) and anchor-a for direct-b.example. */
static void
agent_open(const char *dir, const char *pki, struct gw_keys **keys,
	   struct gw_trust **trust)
{
	char *kd = bench_path2(dir, "keys"),
	     *own = bench_path2(dir, "doc-b.pem");
	char *crt = bench_path2(pki, "doc-b.crt"),
	     *key = bench_path2(pki, "doc-b.key");
	char *anc = bench_path2(pki, "anchor-a.pem");
	char fp[GW_SMIME_FP_LEN], fps[4][GW_SMIME_FP_LEN];
	enum gw_keys_kind kind;
	size_t ca, ka, n;
	char *c = bench_slurp(crt, &ca), *k = bench_slurp(key, &ka);
	struct gw_err e;
	FILE *f;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("mkdir", dir);
	f = fopen(own, "wb");
	if (f == NULL || fwrite(c, 1, ca, f) != ca ||
	    fwrite(k, 1, ka, f) != ka || fclose(f) != 0)
		bench_die("write", own);
	if ((gw_keys_import(kd, own, NULL, fp, &kind, &e) < 0 &&
	     e.code != GW_EEXISTS) ||
	    (gw_trust_anchor_add(kd, LOCAL_DOM, anc, fps, 4, &n, &e) < 0 &&
	     e.code != GW_EEXISTS) ||
	    gw_keys_open(kd, keys, &e) < 0 || gw_trust_open(kd, trust, &e) < 0)
		bench_die("keys", e.msg);
	free(c);
	free(k);
	free(kd);
	free(own);
	free(crt);
	free(key);
	free(anc);
}

static int
cmd_run(const char *dir, const char *pki, double scale, const double *cli)
{
	const char *only = getenv("INBENCH_SIZE");
	const char *prof = getenv("INBENCH_WAY");
	char *run = bench_path2(dir, "run"), *cp = bench_path2(dir, "ceiling");
	struct gw_keys *keys = NULL;
	struct gw_trust *trust = NULL;
	struct gw_agent a = {0};
	struct ossl o;
	FILE *cf;

	gw_log_setup(GW_LOG_WARN, 0);
	gw_mem_tune(); /* as dxgw serve does */
	ossl_open(&o, pki);
	agent_open(run, pki, &keys, &trust);
	a.keys = keys;
	a.trust = trust;
	cf = fopen(cp, "w");
	if (cf == NULL)
		bench_die("write", cp);
	printf("%-8s %-9s %-7s | %-13s | %-11s | %-10s | %-13s | %-9s | "
	       "%-11s | %s\n",
	       "size", "msg bytes", "threads", "ceiling msg/s", "agent msg/s",
	       "cpu ms/msg", "agent/ceiling", "cli msg/s", "ceiling/cli",
	       "OpenSSL S/MIME reader msg/s, ceiling/it");
	for (int i = 0; i < NSIZES; i++) {
		int n = (int)(counts[i] * scale);
		double c[MAXTH + 1] = {0}, d, cpu, r = 0, rcpu;
		struct gw_agent_result res;
		struct msgset set;
		struct scratch s;

		if (only != NULL && strtoul(only, NULL, 10) != sizes[i])
			continue;
		if (n < 4)
			n = 4;
		load_set(dir, sizes[i], &set);
		/* Every way accepts the first message before timing. */
		s.cap = set.maxlen;
		s.b64 = malloc(s.cap);
		s.der = malloc(s.cap);
		if (s.b64 == NULL || s.der == NULL ||
		    ceiling_one(&o, &s, set.m[0], set.len[0]) != 0 ||
		    reader_one(&o, set.m[0], set.len[0]) != 0)
			bench_die("check", "the first message does not verify");
		gw_agent_result_init(&res);
		agent_one(&a, &res, set.m[0], set.len[0]);
		gw_agent_result_dispose(&res);
		free(s.b64);
		free(s.der);
		if (prof != NULL) { /* one way only, for a profiler */
			enum way w = strcmp(prof, "agent") == 0    ? AGENT
				     : strcmp(prof, "reader") == 0 ? READER
								   : CEILING;

			printf("%s: %.1f msg/s\n", prof,
			       timed(w, &o, &a, &set, n, 1, &cpu));
			free_set(&set);
			continue;
		}
		for (int nth = 1; nth <= MAXTH; nth++) {
			best(&o, &a, &set, n, nth, &c[nth], &d, &cpu);
			if (nth == 1)
				r = timed(READER, &o, &a, &set, n, 1, &rcpu);
			printf("%-8zu %-9zu %-7d | %13.1f | %11.1f | %10.2f | "
			       "%13.2f | ",
			       sizes[i], set.len[0], nth, c[nth], d, cpu,
			       d / c[nth]);
			if (nth == 1)
				printf("%9.1f | %11.1f | %.1f, %.2f\n", cli[i],
				       cli[i] > 0 ? c[nth] / cli[i] : 0.0, r,
				       c[nth] / r);
			else
				printf("%9s | %11s |\n", "", "");
			fflush(stdout);
		}
		fprintf(cf, "%zu %.1f %.1f\n", sizes[i], c[1], c[2]);
		free_set(&set);
	}
	if (fclose(cf) != 0)
		bench_die("write", cp);
	gw_keys_free(keys);
	gw_trust_free(trust);
	ossl_close(&o);
	free(run);
	free(cp);
	return 0;
}

/* A TCP port that was free on 127.0.0.1 a moment ago. */
static int
cmd_freeport(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		bench_die("freeport", strerror(errno));
	printf("%d\n", ntohs(sa.sin_port));
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	double cli[NSIZES] = {0, 0, 0};

	bench_prog = "inbench";
	if (argc == 8 && strcmp(argv[1], "messages") == 0)
		return cmd_messages(argv[2], argv[3], argv[4], argv + 5);
	if ((argc == 5 || argc == 8) && strcmp(argv[1], "run") == 0) {
		for (int i = 0; argc == 8 && i < NSIZES; i++)
			cli[i] = strtod(argv[5 + i], NULL);
		return cmd_run(argv[2], argv[3], strtod(argv[4], NULL), cli);
	}
	if (argc == 2 && strcmp(argv[1], "freeport") == 0)
		return cmd_freeport();
	fprintf(stderr,
		"usage: inbench messages DIR PKI CCD N10 N100 N1M\n"
		"       inbench run DIR PKI SCALE [CLI10 CLI100 CLI1M]\n"
		"       inbench freeport\n");
	return 2;
}
