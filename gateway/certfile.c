/*
 * NAME
 *	certfile - certificate and key files (see certfile.h)
 * DESCRIPTION
 *	The whole file is read into memory once (bounded) and parsed from a
 *	memory BIO, so the format can be sniffed: "-----BEGIN" means PEM,
 *	anything else is tried as PKCS#12 and then as a DER certificate.
 *	PEM readers skip blocks of other types, so certificates and the
 *	key are read in two passes over the same bytes.
 * SECURITY
 *	Input files are operator-supplied but still parsed within limits.
 */
#include "certfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "buf.h"
#include "id.h"
#include "mem.h"
#include "smime_int.h"

#define PASS_MAX 1024

/* Read at most max bytes of path into b. */
static int
slurp(const char *path, size_t max, struct gw_buf *b, struct gw_err *err)
{
	char chunk[8192];
	FILE *f = fopen(path, "rbe");
	size_t n;
	int rc = 0;

	if (f == NULL)
		return gw_err_set(err,
				  errno == ENOENT ? GW_ENOTFOUND : GW_ERROR,
				  "5.7.0", "%s: %s", path, strerror(errno));
	gw_buf_init(b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (gw_buf_append(b, chunk, n) != 0) {
			rc = gw_err_set(err, GW_ELIMIT, "5.7.0",
					"%s: larger than %zu bytes", path, max);
			break;
		}
	if (rc == 0 && ferror(f))
		rc = gw_err_set(err, GW_ERROR, "5.7.0", "%s: read error", path);
	gw_wipe(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

/* The first line of pass_file into pass (NUL-terminated). */
static int
read_pass(const char *pass_file, char pass[PASS_MAX], struct gw_err *err)
{
	struct gw_buf b;
	size_t n;
	int rc;

	pass[0] = '\0';
	rc = slurp(pass_file, PASS_MAX - 1, &b, err);
	if (rc == 0) {
		n = b.len;
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] == '\n' || b.data[i] == '\r') {
				n = i;
				break;
			}
		memcpy(pass, b.data, n);
		pass[n] = '\0';
	} else if (rc == GW_ELIMIT) {
		rc = gw_err_set(err, GW_EPARSE, "5.7.0",
				"%s: password longer than %d bytes", pass_file,
				PASS_MAX - 1);
	}
	if (b.data != NULL)
		gw_wipe(b.data, b.len);
	gw_buf_dispose(&b);
	return rc;
}

/* PEM password callback: the password file's line, or nothing. */
static int
pem_pass(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n = pass != NULL ? strlen(pass) : 0;

	(void)rwflag;
	if (pass == NULL || n >= (size_t)size)
		return -1; /* never prompt */
	memcpy(buf, pass, n);
	return (int)n;
}

/* Put the certificate that matches key (or the first) first in certs. */
static int
pick_leaf(STACK_OF(X509) * certs, EVP_PKEY *key, struct gw_err *err)
{
	int leaf = 0;

	if (key != NULL) {
		leaf = -1;
		for (int i = 0; i < sk_X509_num(certs) && leaf < 0; i++)
			if (X509_check_private_key(sk_X509_value(certs, i),
						   key) == 1)
				leaf = i;
		ERR_clear_error();
		if (leaf < 0)
			return gw_err_set(err, GW_EPARSE, "5.7.0",
					  "the private key matches none of "
					  "the certificates");
	}
	if (leaf > 0) {
		X509 *x = sk_X509_delete(certs, leaf);

		sk_X509_unshift(certs, x);
	}
	return 0;
}

static int
read_pem(const struct gw_buf *b, const char *pass, STACK_OF(X509) * certs,
	 EVP_PKEY **key, struct gw_err *err)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *x;
	int rc = -1;

	if (bio == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, pem_pass, (void *)pass)) !=
	       NULL)
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			goto out;
		}
	ERR_clear_error();
	BIO_free(bio);
	bio = BIO_new_mem_buf(b->data, (int)b->len);
	if (bio == NULL)
		goto out;
	if (strstr(b->data, "PRIVATE KEY-----") != NULL) {
		*key =
		    PEM_read_bio_PrivateKey(bio, NULL, pem_pass, (void *)pass);
		if (*key == NULL) {
			rc = gw_smime_ossl_err(
			    err, GW_EPARSE, "5.7.0",
			    pass == NULL ? "private key (encrypted? give a "
					   "password file)"
					 : "private key");
			goto out;
		}
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static int
read_p12(PKCS12 *p12, const char *pass, STACK_OF(X509) * certs, EVP_PKEY **key,
	 struct gw_err *err)
{
	STACK_OF(X509) *ca = NULL;
	X509 *x = NULL;
	int rc = -1;

	/* An absent password may have been "" or no password at all. */
	if (pass == NULL && PKCS12_verify_mac(p12, "", 0) == 1)
		pass = "";
	if (PKCS12_mac_present(p12) &&
	    PKCS12_verify_mac(p12, pass, pass ? -1 : 0) != 1) {
		ERR_clear_error();
		rc = gw_err_set(err, GW_ETRUST, "5.7.0",
				"PKCS#12: wrong password (or a damaged "
				"file)");
		goto out;
	}
	if (PKCS12_parse(p12, pass, key, &x, &ca) != 1) {
		rc = gw_smime_ossl_err(err, GW_EPARSE, "5.7.0", "PKCS#12");
		goto out;
	}
	if (x != NULL) {
		if (!sk_X509_push(certs, x))
			goto out;
		x = NULL;
	}
	while (ca != NULL && sk_X509_num(ca) > 0)
		if (!sk_X509_push(certs, sk_X509_shift(ca)))
			goto out;
	rc = 0;
out:
	X509_free(x);
	sk_X509_pop_free(ca, X509_free);
	return rc;
}

/* Not PEM: PKCS#12, else one DER certificate. */
static int
read_der(const struct gw_buf *b, const char *pass, STACK_OF(X509) * certs,
	 EVP_PKEY **key, struct gw_err *err)
{
	const unsigned char *p = (const unsigned char *)b->data;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)b->len);
	X509 *x;
	int rc;

	if (p12 != NULL) {
		rc = read_p12(p12, pass, certs, key, err);
		PKCS12_free(p12);
		return rc;
	}
	p = (const unsigned char *)b->data;
	x = d2i_X509(NULL, &p, (long)b->len);
	if (x == NULL || p != (const unsigned char *)b->data + b->len) {
		X509_free(x);
		return gw_smime_ossl_err(
		    err, GW_EPARSE, "5.7.0",
		    "neither PEM, PKCS#12 nor a DER certificate");
	}
	if (!sk_X509_push(certs, x)) {
		X509_free(x);
		return gw_err_set(err, GW_ERROR, "5.7.0", "out of memory");
	}
	ERR_clear_error();
	return 0;
}

int
gw_certfile_read(const char *path, const char *pass_file,
		 struct gw_smime_cert **out, struct gw_err *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *leaf;
	char pass[PASS_MAX];
	EVP_PKEY *key = NULL;
	struct gw_buf b;
	int rc;

	*out = NULL;
	pass[0] = '\0';
	gw_buf_init(&b, 0);
	if (certs == NULL) {
		rc = gw_err_set(err, GW_ERROR, "5.7.0", "out of memory");
		goto out;
	}
	if (pass_file != NULL && (rc = read_pass(pass_file, pass, err)) != 0)
		goto out;
	if ((rc = slurp(path, GW_CERTFILE_MAX, &b, err)) != 0)
		goto out;
	if (b.len == 0 || b.len > 0x7fffffff) {
		rc =
		    gw_err_set(err, GW_EPARSE, "5.7.0", "%s: empty file", path);
		goto out;
	}
	if (memchr(b.data, '\0', b.len) == NULL &&
	    strstr(b.data, "-----BEGIN") != NULL)
		rc = read_pem(&b, pass_file ? pass : NULL, certs, &key, err);
	else
		rc = read_der(&b, pass_file ? pass : NULL, certs, &key, err);
	if (rc == 0 && sk_X509_num(certs) == 0)
		rc = gw_err_set(err, GW_EPARSE, "5.7.0",
				"no certificate in the file");
	if (rc == 0)
		rc = pick_leaf(certs, key, err);
	if (rc != 0) {
		gw_err_prefix(err, "%s", path);
		goto out;
	}
	leaf = sk_X509_shift(certs);
	if (sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		certs = NULL;
	}
	*out = gw_smime_cert_wrap(leaf, key, certs);
	certs = NULL;
	key = NULL;
out:
	gw_wipe(pass, sizeof(pass));
	if (b.data != NULL)
		gw_wipe(b.data, b.len);
	gw_buf_dispose(&b);
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

int
gw_certfile_mkdirs(const char *dir, struct gw_err *err)
{
	char p[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return gw_err_set(err, GW_ERROR, "4.3.0", "bad directory '%s'",
				  dir);
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return gw_err_set(err, GW_ETEMP, "4.3.0",
					  "mkdir %s: %s", p, strerror(errno));
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

static int
sync_dir(const char *dir, struct gw_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) != 0)
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "fsync %s: %s", dir,
				strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Write len bytes to a new temporary file in dir; durable on return. */
static int
write_tmp(const char *tmp, const char *p, size_t len, struct gw_err *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return gw_err_set(err, GW_ETEMP, "4.3.0", "create %s: %s", tmp,
				  strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = gw_err_set(err, GW_ETEMP, "4.3.0", "write %s: %s",
					tmp, strerror(errno));
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "fsync %s: %s", tmp,
				strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "close %s: %s", tmp,
				strerror(errno));
	return rc;
}

/* PEM text of c (chain, key when with_key) into a memory BIO. */
static BIO *
pem_text(const struct gw_smime_cert *c, bool with_key)
{
	STACK_OF(X509) *chain = gw_smime_cert_chain(c);
	EVP_PKEY *key = gw_smime_cert_pkey(c);
	BIO *b = BIO_new(BIO_s_mem());
	bool ok = b != NULL && PEM_write_bio_X509(b, gw_smime_cert_x509(c));

	for (int i = 0; ok && chain != NULL && i < sk_X509_num(chain); i++)
		ok = PEM_write_bio_X509(b, sk_X509_value(chain, i));
	if (ok && with_key && key != NULL)
		ok =
		    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	if (!ok) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

int
gw_certfile_write(const char *dir, const struct gw_smime_cert *c, bool with_key,
		  struct gw_err *err)
{
	char fp[GW_SMIME_FP_LEN], uuid[GW_ID_UUID_LEN];
	char tmp[4200] = "", dst[4200];
	BIO *pem = NULL;
	char *p = NULL;
	long len = 0;
	int rc;

	if ((rc = gw_certfile_mkdirs(dir, err)) != 0)
		goto out;
	gw_smime_cert_fingerprint(c, fp);
	gw_id_uuid(uuid);
	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, uuid) >=
		(int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s.pem", dir, fp) >=
		(int)sizeof(dst)) {
		tmp[0] = '\0';
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
		goto out;
	}
	if (access(dst, F_OK) == 0) {
		rc =
		    gw_err_set(err, GW_EEXISTS, "5.7.0",
			       "certificate %s is already there (%s)", fp, dst);
		goto out;
	}
	pem = pem_text(c, with_key);
	if (pem == NULL || (len = BIO_get_mem_data(pem, &p)) <= 0) {
		rc = gw_smime_ossl_err(err, GW_ERROR, "5.7.0", "PEM encoding");
		goto out;
	}
	if ((rc = write_tmp(tmp, p, (size_t)len, err)) != 0)
		goto out;
	/* link(), not rename(): an existing file is never replaced. */
	if (link(tmp, dst) != 0) {
		rc = errno == EEXIST
			 ? gw_err_set(err, GW_EEXISTS, "5.7.0",
				      "certificate %s is already there", fp)
			 : gw_err_set(err, GW_ETEMP, "4.3.0", "link %s: %s",
				      dst, strerror(errno));
		goto out;
	}
	rc = sync_dir(dir, err);
out:
	if (tmp[0] != '\0')
		unlink(tmp); /* after link(), or after a failure */
	if (p != NULL && len > 0)
		gw_wipe(p, (size_t)len);
	BIO_free(pem);
	ERR_clear_error();
	return rc;
}

int
gw_certfile_remove(const char *dir, const char *fp, struct gw_err *err)
{
	char path[4200];

	if (snprintf(path, sizeof(path), "%s.pem", fp) >= (int)sizeof(path) ||
	    !gw_certfile_name_ok(path))
		return gw_err_set(err, GW_EPARSE, "5.7.0",
				  "not a SHA-256 fingerprint: %s", fp);
	if (snprintf(path, sizeof(path), "%s/%s.pem", dir, fp) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_ERROR, "4.3.0", "path too long");
	if (unlink(path) != 0)
		return gw_err_set(err,
				  errno == ENOENT ? GW_ENOTFOUND : GW_ETEMP,
				  errno == ENOENT ? "5.7.0" : "4.3.0", "%s: %s",
				  path, strerror(errno));
	return sync_dir(dir, err);
}

bool
gw_certfile_fp_parse(const char *in, char out[GW_SMIME_FP_LEN])
{
	size_t n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		char ch = *p;

		if (ch == ':' && n > 0 && n % 2 == 0 && p[1] != '\0')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) ||
		    n == GW_SMIME_FP_LEN - 1)
			return false;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == GW_SMIME_FP_LEN - 1;
}

bool
gw_certfile_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n != GW_SMIME_FP_LEN - 1 + 4 || strcmp(name + n - 4, ".pem") != 0)
		return false;
	for (size_t i = 0; i < n - 4; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}
