/*
 * NAME
 *	outbench - outbound pipeline throughput for make bench
 * SUMMARY
 *	outbench payloads DIR CCD
 *	    writes DIR/doc-<size>.xml for 10 KB, 100 KB and 1 MB: C-CDA-like
 *	    documents made from CCD (its header and recordTarget, then its
 *	    body sections repeated, a comment of CCD text to fill up) that
 *	    are well-formed XML of exactly that many bytes.
 *	outbench run DIR PKI CCD SCALE [CLI10 CLI100 CLI1M]
 *	    with a fresh store and keys_dir under DIR (keys from
 *	    certs/mkdirect.sh in PKI: ehr-a signs for ehr@direct-a.example,
 *	    doc-b is doc@direct-b.example, anchor-b is trusted for
 *	    direct-a.example), stores accepted submissions of one document
 *	    each and times gw_outbound_convert_many() (batches of 16, as
 *	    the converter thread does) over them with 1 and 2
 *	    threads: messages per second from accepted submission to a
 *	    signed, encrypted message committed in the queue. Next to it the
 *	    ceiling: an in-process OpenSSL CMS loop that signs (detached,
 *	    SHA-256) and then encrypts (AES-128-CBC, one RecipientInfo, DER)
 *	    the same document bytes with the same keys, 1 and 2 threads.
 *	    CLI10.. are the messages per second of the openssl cms
 *	    command-line pipeline measured by bench/run.sh (0: not
 *	    measured). SCALE multiplies the message counts. Prints one
 *	    table with the ratios dxgw/ceiling and dxgw/cli.
 *	    Everything runs with gw_mem_tune() as dxgw serve does; that
 *	    speeds the ceiling up too (2-4 times for 100 KB and 1 MB: the
 *	    CMS memory BIOs stop page-faulting), so dxgw/ceiling is against
 *	    the best the minimal loop does here. The last column is the
 *	    same loop with the C library's malloc defaults (measured first,
 *	    before the tuning), as a plain minimal loop runs. cpu ms/msg is the
 *	    converter threads' CPU time per message; the rest of the wall
 *	    time is waiting for the queue's durable commit.
 *	    OUTBENCH_SIZE=<bytes> runs one size only (for profiling).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "benchutil.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "id.h"
#include "keys.h"
#include "log.h"
#include "mem.h"
#include "outbound.h"
#include "spool.h"
#include "store.h"
#include "trust.h"
#include "xdsbuild.h"

#define NSIZES 3
#define SENDER "ehr@direct-a.example"
#define RCPT   "doc@direct-b.example"

static const size_t sizes[NSIZES] = {10240, 102400, 1048576};
/* Messages per run at SCALE 1 (per thread count). */
static const int counts[NSIZES] = {600, 300, 40};

static int
cmd_payloads(const char *dir, const char *ccdpath)
{
	size_t len;
	char *ccd = bench_slurp(ccdpath, &len);

	for (int i = 0; i < NSIZES; i++) {
		char name[64], *p, *doc = bench_doc(ccd, sizes[i]);

		snprintf(name, sizeof(name), "doc-%zu.xml", sizes[i]);
		p = bench_path2(dir, name);
		bench_spit(p, doc, sizes[i]);
		free(p);
		free(doc);
	}
	free(ccd);
	return 0;
}

/* --- the gateway -------------------------------------------------------- */

struct env {
	struct gw_config cfg;
	struct gw_store *st;
	struct gw_keys *keys;
	struct gw_trust *trust;
	struct gw_outbound *ob;
};

static void
env_open(struct env *v, const char *dir, const char *pki)
{
	char *kd = bench_path2(dir, "keys"),
	     *own = bench_path2(dir, "ehr-a.pem");
	char *crt = bench_path2(pki, "ehr-a.crt"),
	     *key = bench_path2(pki, "ehr-a.key");
	char *docb = bench_path2(pki, "doc-b.crt"),
	     *anc = bench_path2(pki, "anchor-b.pem");
	char *db = malloc(strlen(dir) + 32), *spool = bench_path2(dir, "spool");
	char fp[GW_SMIME_FP_LEN], fps[4][GW_SMIME_FP_LEN];
	enum gw_keys_kind kind;
	size_t n, ca, ka;
	char *c = bench_slurp(crt, &ca), *k = bench_slurp(key, &ka);
	struct gw_err e;
	FILE *f;

	snprintf(db, strlen(dir) + 32, "sqlite:%s/dxgw.db", dir);
	f = fopen(own, "wb");
	if (f == NULL || fwrite(c, 1, ca, f) != ca ||
	    fwrite(k, 1, ka, f) != ka || fclose(f) != 0)
		bench_die("write", own);
	if (gw_keys_import(kd, own, NULL, fp, &kind, &e) < 0 ||
	    gw_keys_import(kd, docb, NULL, fp, &kind, &e) < 0 ||
	    gw_trust_anchor_add(kd, "direct-a.example", anc, fps, 4, &n, &e) <
		0 ||
	    gw_keys_open(kd, &v->keys, &e) < 0 ||
	    gw_trust_open(kd, &v->trust, &e) < 0)
		bench_die("keys", e.msg);
	gw_config_defaults(&v->cfg);
	if (gw_config_set(&v->cfg, "hostname", "dxgw.bench.test", &e) < 0 ||
	    gw_config_set(&v->cfg, "xdm_render",
			  getenv("OUTBENCH_RENDER") ? getenv("OUTBENCH_RENDER")
						    : "yes",
			  &e) < 0 ||
	    gw_store_open(db, spool, &v->st, &e) < 0 ||
	    gw_outbound_new(&v->cfg, v->st, v->keys, v->trust, false, &v->ob,
			    &e) < 0)
		bench_die("open", e.msg);
	free(c);
	free(k);
	free(kd);
	free(own);
	free(crt);
	free(key);
	free(docb);
	free(anc);
	free(db);
	free(spool);
}

static void
env_close(struct env *v)
{
	gw_outbound_free(v->ob);
	gw_store_close(v->st);
	gw_trust_free(v->trust);
	gw_keys_free(v->keys);
	gw_config_dispose(&v->cfg);
}

/* The SubmitObjectsRequest an XDR client sends for doc (limited). */
static void
metadata(const char *doc, size_t len, struct gw_buf *md)
{
	static const char *to[] = {RCPT};
	struct gw_xdsbuild_doc d = {0};
	struct gw_xdsbuild b = {0};
	struct gw_err e;
	char sha[41];

	gw_digest_sha1_hex(doc, len, sha);
	d.id = "Document01";
	d.mime_type = "text/xml";
	d.size = len;
	d.sha1 = sha;
	d.unique_id = "2.25.1234567890";
	d.title = "Continuity of Care Document";
	d.creation_time = "20240115150000";
	b.limited = true;
	b.source_id = "2.25.99";
	b.author_telecom = "^^Internet^" SENDER;
	b.intended_recipients = to;
	b.nintended = 1;
	b.docs = &d;
	b.ndocs = 1;
	gw_buf_init(md, 1 << 20);
	if (gw_xdsbuild_submission(&b, md, &e) != 0)
		bench_die("metadata", e.msg);
}

struct filler {
	pthread_t th;
	struct env *v;
	const char *doc;
	size_t len;
	const struct gw_buf *md;
	char (*txids)[GW_STORE_TXID_LEN];
	int n;
};

/* Accept f->n submissions (as xdrsrv does after an ITI-41). */
static void *
fill_main(void *arg)
{
	static const char *const rcpts[] = {RCPT};
	struct filler *f = arg;

	for (int i = 0; i < f->n; i++) {
		struct gw_spool_file *file = NULL;
		char msgid[GW_ID_UUID_LEN + 9];
		struct gw_store_doc d = {.entry_id = "Document01",
					 .unique_id = "2.25.1234567890",
					 .mime_type = "text/xml"};
		struct gw_store_submission s = {
		    .client = "CN=bench",
		    .peer = "127.0.0.1",
		    .message_id = msgid,
		    .ss_unique_id = "2.25.98",
		    .sender = SENDER,
		    .recipients = rcpts,
		    .nrecipients = 1,
		    .docs = &d,
		    .ndocs = 1,
		    .metadata = f->md->data,
		    .metadata_len = f->md->len,
		    .metadata_level = "minimal",
		};
		char uuid[GW_ID_UUID_LEN];
		struct gw_err e;

		gw_id_uuid(uuid);
		snprintf(msgid, sizeof(msgid), "urn:uuid:%s", uuid);
		if (gw_spool_file_new(gw_store_spool(f->v->st), &file, &e) <
			0 ||
		    gw_spool_file_write(file, f->doc, f->len, &e) < 0 ||
		    gw_spool_file_finish(file, &e) < 0)
			bench_die("spool", e.msg);
		d.file = file;
		if (gw_store_submission_accept(f->v->st, &s, f->txids[i], &e) <
		    0)
			bench_die("accept", e.msg);
	}
	return NULL;
}

/* n accepted submissions of doc; txids in out. Four writers, one commit. */
static void
fill(struct env *v, const char *doc, size_t len, int n,
     char (*out)[GW_STORE_TXID_LEN])
{
	struct filler f[4];
	struct gw_buf md;
	int at = 0;

	metadata(doc, len, &md);
	for (int i = 0; i < 4; i++) {
		int k = n / 4 + (i < n % 4);

		f[i] = (struct filler){.v = v,
				       .doc = doc,
				       .len = len,
				       .md = &md,
				       .txids = out + at,
				       .n = k};
		at += k;
		pthread_create(&f[i].th, NULL, fill_main, &f[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(f[i].th, NULL);
	gw_buf_dispose(&md);
}

#define CONV_BATCH 16

struct conv {
	pthread_t th;
	double cpu; /* seconds this thread ran */
	struct gw_outbound *ob;
	char (*txids)[GW_STORE_TXID_LEN];
	int n;
};

static void *
conv_main(void *arg)
{
	struct conv *c = arg;
	struct timespec t0, t1;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	/* As the converter thread does: batches that share their commits. */
	for (int i = 0; i < c->n; i += CONV_BATCH) {
		char *ids[CONV_BATCH];
		size_t k = 0, done = 0;

		for (int j = i; j < c->n && k < CONV_BATCH; j++)
			ids[k++] = c->txids[j];
		if (gw_outbound_convert_many(c->ob, ids, k, &done) < 0 ||
		    done != k)
			bench_die("convert", "a submission was not converted");
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	c->cpu = (double)(t1.tv_sec - t0.tv_sec) +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return NULL;
}

/* Convert n submissions with nth threads; messages per second. */
static double
time_convert(struct env *v, char (*txids)[GW_STORE_TXID_LEN], int n, int nth,
	     double *cpu_ms)
{
	struct conv c[2];
	double t0 = bench_now();
	int at = 0;

	for (int i = 0; i < nth; i++) {
		int k = n / nth + (i < n % nth);

		c[i] = (struct conv){.ob = v->ob, .txids = txids + at, .n = k};
		at += k;
		pthread_create(&c[i].th, NULL, conv_main, &c[i]);
	}
	*cpu_ms = 0;
	for (int i = 0; i < nth; i++) {
		pthread_join(c[i].th, NULL);
		*cpu_ms += c[i].cpu * 1e3 / n;
	}
	return n / (bench_now() - t0);
}

/* --- the ceiling: CMS sign then encrypt, in process --------------------- */

struct ceil {
	pthread_t th;
	X509 *scert, *rcert;
	EVP_PKEY *skey;
	const char *doc;
	size_t len;
	int n;
};

/*
 * Sign the document (detached, SHA-256), then encrypt the document
 * followed by the DER SignedData (what a multipart/signed carries,
 * without its MIME text) and DER-encode the EnvelopedData: the least
 * work any S/MIME sign-then-encrypt of these bytes can do.
 */
static void *
ceil_main(void *arg)
{
	const unsigned int flags = CMS_DETACHED | CMS_BINARY;
	struct ceil *c = arg;
	STACK_OF(X509) *rc = sk_X509_new_null();
	unsigned char *plain = malloc(c->len + 65536);

	sk_X509_push(rc, c->rcert);
	for (int i = 0; i < c->n; i++) {
		BIO *in = BIO_new_mem_buf(c->doc, (int)c->len), *pin = NULL;
		CMS_ContentInfo *s, *e = NULL;
		unsigned char *sig = NULL, *der = NULL;
		int slen = -1, dlen = -1;

		s = CMS_sign(c->scert, c->skey, NULL, in, flags);
		if (s != NULL)
			slen = i2d_CMS_ContentInfo(s, &sig);
		if (slen > 0 && slen <= 65536) {
			memcpy(plain, c->doc, c->len);
			memcpy(plain + c->len, sig, (size_t)slen);
			pin = BIO_new_mem_buf(plain, (int)c->len + slen);
			e = CMS_encrypt(rc, pin, EVP_aes_128_cbc(), CMS_BINARY);
		}
		if (e != NULL)
			dlen = i2d_CMS_ContentInfo(e, &der);
		if (dlen <= 0) {
			ERR_print_errors_fp(stderr);
			bench_die("ceiling", "CMS failed");
		}
		OPENSSL_free(sig);
		OPENSSL_free(der);
		CMS_ContentInfo_free(s);
		CMS_ContentInfo_free(e);
		BIO_free(in);
		BIO_free(pin);
	}
	free(plain);
	sk_X509_free(rc);
	return NULL;
}

static X509 *
pem_cert(const char *pki, const char *name)
{
	char *p = bench_path2(pki, name);
	FILE *f = fopen(p, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (x == NULL)
		bench_die("read", p);
	fclose(f);
	free(p);
	return x;
}

static double
time_ceiling(const char *pki, const char *doc, size_t len, int n, int nth)
{
	X509 *sc = pem_cert(pki, "ehr-a.crt"), *rc = pem_cert(pki, "doc-b.crt");
	char *kp = bench_path2(pki, "ehr-a.key");
	FILE *f = fopen(kp, "r");
	EVP_PKEY *k =
	    f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	struct ceil c[2];
	double t0, r;

	if (k == NULL)
		bench_die("read", kp);
	fclose(f);
	t0 = bench_now();
	for (int i = 0; i < nth; i++) {
		c[i] = (struct ceil){.scert = sc,
				     .rcert = rc,
				     .skey = k,
				     .doc = doc,
				     .len = len,
				     .n = n / nth};
		pthread_create(&c[i].th, NULL, ceil_main, &c[i]);
	}
	for (int i = 0; i < nth; i++)
		pthread_join(c[i].th, NULL);
	r = (n / nth) * nth / (bench_now() - t0);
	X509_free(sc);
	X509_free(rc);
	EVP_PKEY_free(k);
	free(kp);
	return r;
}

static int
cmd_run(const char *dir, const char *pki, const char *ccdpath, double scale,
	const double *cli)
{
	struct env v;
	size_t len;
	char *ccd = bench_slurp(ccdpath, &len);

	double plain[NSIZES][2] = {{0}};

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		bench_die("mkdir", dir);
	gw_log_setup(GW_LOG_WARN, 0);
	/*
	 * The ceiling as a minimal loop runs it, with the C library's
	 * malloc defaults (the reference of about 830/s for 100 KB
	 * was such a loop), measured before this process tunes malloc.
	 */
	for (int i = 0; i < NSIZES; i++) {
		const char *only = getenv("OUTBENCH_SIZE");
		char *doc;

		if (only != NULL && strtoul(only, NULL, 10) != sizes[i])
			continue;
		doc = bench_doc(ccd, sizes[i]);
		for (int nth = 1; nth <= 2; nth++)
			plain[i][nth - 1] =
			    time_ceiling(pki, doc, sizes[i],
					 (int)(counts[i] * scale) < 4
					     ? 4
					     : (int)(counts[i] * scale),
					 nth);
		free(doc);
	}
	gw_mem_tune(); /* as dxgw serve does */
	env_open(&v, dir, pki);
	printf("%-8s %-7s | %-10s | %-11s | %-13s | %-9s | %-12s | %-8s | "
	       "%s\n",
	       "size", "threads", "dxgw msg/s", "cpu ms/msg", "ceiling msg/s",
	       "cli msg/s", "dxgw/ceiling", "dxgw/cli",
	       "ceiling with libc malloc defaults: msg/s, dxgw/it");
	for (int i = 0; i < NSIZES; i++) {
		const char *only = getenv("OUTBENCH_SIZE");
		char *doc;
		int n = (int)(counts[i] * scale);
		char(*txids)[GW_STORE_TXID_LEN];

		if (only != NULL && strtoul(only, NULL, 10) != sizes[i])
			continue;
		if (n < 4)
			n = 4;
		doc = bench_doc(ccd, sizes[i]);
		txids = calloc((size_t)n, sizeof(*txids));
		for (int nth = 1; nth <= 2; nth++) {
			double d, c, cpu;

			fill(&v, doc, sizes[i], n, txids);
			d = time_convert(&v, txids, n, nth, &cpu);
			c = time_ceiling(pki, doc, sizes[i], n, nth);
			printf(
			    "%-8zu %-7d | %10.1f | %11.2f | %13.1f | %9.1f | "
			    "%12.2f | %8.1f | %.1f, %.2f\n",
			    sizes[i], nth, d, cpu, c, cli[i], d / c,
			    cli[i] > 0 ? d / cli[i] : 0.0, plain[i][nth - 1],
			    plain[i][nth - 1] > 0 ? d / plain[i][nth - 1]
						  : 0.0);
			fflush(stdout);
		}
		free(txids);
		free(doc);
	}
	env_close(&v);
	free(ccd);
	return 0;
}

int
main(int argc, char **argv)
{
	double cli[NSIZES] = {0, 0, 0};

	bench_prog = "outbench";

	if (argc == 4 && strcmp(argv[1], "payloads") == 0)
		return cmd_payloads(argv[2], argv[3]);
	if ((argc == 6 || argc == 9) && strcmp(argv[1], "run") == 0) {
		for (int i = 0; argc == 9 && i < NSIZES; i++)
			cli[i] = strtod(argv[6 + i], NULL);
		return cmd_run(argv[2], argv[3], argv[4], strtod(argv[5], NULL),
			       cli);
	}
	fprintf(stderr, "usage: outbench payloads DIR CCD\n"
			"       outbench run DIR PKI CCD SCALE "
			"[CLI10 CLI100 CLI1M]\n");
	return 2;
}
