/*
 * NAME
 *	cli_keys - dxgw cert and dxgw anchor: manage keys_dir
 * SUMMARY
 *	dxgw cert import [-c FILE] [--p12-pass-file F] CERTFILE
 *	dxgw cert list [-c FILE]
 *	dxgw cert remove [-c FILE] SHA256
 *	dxgw anchor add [-c FILE] DOMAIN CERTFILE
 *	dxgw anchor list [-c FILE] [DOMAIN]
 *	dxgw anchor remove [-c FILE] DOMAIN SHA256
 * DESCRIPTION
 *	The commands work on the directory named by keys_dir in the config
 *	file (keys.h, trust.h); a running daemon sees the change when it
 *	is restarted. Exit status 0 on success, 1 on failure (bad file,
 *	wrong password, duplicate, unknown fingerprint), 2 for usage.
 * SECURITY
 *	Run as the user that owns keys_dir: files are created 0600 in
 *	0700 directories. Passwords come from files, never from argv.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "keys.h"
#include "trust.h"

static void
cert_usage(FILE *f)
{
	fprintf(f, "usage: dxgw cert import [-c FILE] [--p12-pass-file F] "
		   "CERTFILE\n"
		   "       dxgw cert list [-c FILE]\n"
		   "       dxgw cert remove [-c FILE] SHA256\n"
		   "  CERTFILE: PEM (certificate, chain, key), DER or "
		   "PKCS#12.\n"
		   "  With a private key it becomes one of our certificates; "
		   "without\n"
		   "  one, a recipient certificate for local discovery.\n");
}

static void
anchor_usage(FILE *f)
{
	fprintf(f, "usage: dxgw anchor add [-c FILE] DOMAIN CERTFILE\n"
		   "       dxgw anchor list [-c FILE] [DOMAIN]\n"
		   "       dxgw anchor remove [-c FILE] DOMAIN SHA256\n");
}

/*
 * Options shared by the subcommands; positional arguments are left in
 * argv[optind..]. Returns -1 for usage errors, 1 for -h.
 */
static int
parse(int argc, char **argv, const char **pass_file)
{
	static const struct option lo[] = {
	    {"p12-pass-file", 1, NULL, 'p'},
	    {"pass-file", 1, NULL, 'p'},
	    {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': /* read by main */
			break;
		case 'p':
			if (pass_file == NULL)
				return -1;
			*pass_file = optarg;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	return 0;
}

static void
print_time(const char *label, time_t t)
{
	char b[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(b, sizeof(b), "?");
	printf("%s: %s\n", label, b);
}

static void
print_info(const struct gw_smime_cert_info *in, time_t now)
{
	printf("sha256: %s\nsha1: %s\nsubject: %s\nissuer: %s\n", in->sha256,
	       in->sha1, in->subject, in->issuer);
	for (size_t i = 0; i < in->naddresses; i++)
		printf("binding: address %s\n", in->addresses[i]);
	for (size_t i = 0; i < in->ndomains; i++)
		printf("binding: domain %s\n", in->domains[i]);
	if (in->naddresses + in->ndomains == 0)
		printf("binding: none\n");
	if (in->rsa_bits > 0)
		printf("key: RSA %d\n", in->rsa_bits);
	else
		printf("key: not RSA\n");
	print_time("not-before", in->not_before);
	print_time("not-after", in->not_after);
	printf("validity: %s\n", now < in->not_before  ? "not yet valid"
				 : now > in->not_after ? "expired"
						       : "valid");
	if (in->nchain > 0)
		printf("chain: %zu more certificate(s)\n", in->nchain);
}

static int
cert_list(const struct gw_config *cfg)
{
	struct gw_keys *k = NULL;
	struct gw_err err;
	time_t now = time(NULL);
	int rc = 1;

	if (gw_keys_open(cfg->keys_dir, &k, &err) != 0)
		goto fail;
	for (size_t i = 0; i < cfg->ncert; i++)
		if (gw_keys_add_config(k, cfg->cert[i], &err) != 0)
			goto fail;
	for (size_t i = 0; i < gw_keys_count(k); i++) {
		const struct gw_keys_entry *e = gw_keys_entry_get(k, i);

		if (i > 0)
			printf("\n");
		printf("kind: %s\n",
		       e->kind == GW_KEYS_OWN ? "own" : "recipient");
		print_info(&e->info, now);
		printf("file: %s%s\n", e->path,
		       e->from_config ? " (config)" : "");
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "dxgw cert list: %s\n", err.msg);
out:
	gw_keys_free(k);
	return rc;
}

int
gw_cli_cert(const struct gw_config *cfg, int argc, char **argv)
{
	char fp[GW_SMIME_FP_LEN];
	const char *pass = NULL;
	enum gw_keys_kind kind;
	struct gw_err err;
	int p;

	if (argc < 2) {
		cert_usage(stderr);
		return 2;
	}
	p = parse(argc - 1, argv + 1, &pass);
	if (p != 0) {
		cert_usage(p > 0 ? stdout : stderr);
		return p > 0 ? 0 : 2;
	}
	argc--, argv++; /* now argv[optind..] are the operands */
	if (strcmp(argv[0], "list") == 0 && optind == argc)
		return cert_list(cfg);
	if (strcmp(argv[0], "import") == 0 && optind + 1 == argc) {
		if (gw_keys_import(cfg->keys_dir, argv[optind], pass, fp, &kind,
				   &err) != 0) {
			fprintf(stderr, "dxgw cert import: %s\n", err.msg);
			return 1;
		}
		printf("imported %s certificate %s\n",
		       kind == GW_KEYS_OWN ? "own" : "recipient", fp);
		return 0;
	}
	if (strcmp(argv[0], "remove") == 0 && optind + 1 == argc) {
		if (gw_keys_remove(cfg->keys_dir, argv[optind], &err) != 0) {
			fprintf(stderr, "dxgw cert remove: %s\n", err.msg);
			return 1;
		}
		printf("removed %s\n", argv[optind]);
		return 0;
	}
	cert_usage(stderr);
	return 2;
}

static int
anchor_list(const struct gw_config *cfg, const char *domain)
{
	struct gw_trust *t = NULL;
	struct gw_err err;
	time_t now = time(NULL);
	size_t shown = 0;

	if (gw_trust_open(cfg->keys_dir, &t, &err) != 0) {
		fprintf(stderr, "dxgw anchor list: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < gw_trust_count(t); i++) {
		const struct gw_trust_anchor *a = gw_trust_anchor_get(t, i);

		if (domain != NULL && strcasecmp(domain, a->domain) != 0)
			continue;
		if (shown++ > 0)
			printf("\n");
		printf("domain: %s\n", a->domain);
		print_info(&a->info, now);
		if (!a->info.is_ca)
			printf("note: not a CA certificate\n");
	}
	gw_trust_free(t);
	return 0;
}

static int
anchor_add(const struct gw_config *cfg, const char *domain, const char *file)
{
	char fps[16][GW_SMIME_FP_LEN];
	struct gw_err err;
	size_t n = 0;

	if (gw_trust_anchor_add(cfg->keys_dir, domain, file, fps, 16, &n,
				&err) != 0) {
		fprintf(stderr, "dxgw anchor add: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("added anchor %s for %s\n", fps[i], domain);
	return 0;
}

int
gw_cli_anchor(const struct gw_config *cfg, int argc, char **argv)
{
	struct gw_err err;
	int p;

	if (argc < 2) {
		anchor_usage(stderr);
		return 2;
	}
	p = parse(argc - 1, argv + 1, NULL);
	if (p != 0) {
		anchor_usage(p > 0 ? stdout : stderr);
		return p > 0 ? 0 : 2;
	}
	argc--, argv++;
	if (strcmp(argv[0], "list") == 0 && optind + 1 >= argc)
		return anchor_list(cfg, optind < argc ? argv[optind] : NULL);
	if (strcmp(argv[0], "add") == 0 && optind + 2 == argc)
		return anchor_add(cfg, argv[optind], argv[optind + 1]);
	if (strcmp(argv[0], "remove") == 0 && optind + 2 == argc) {
		if (gw_trust_anchor_remove(cfg->keys_dir, argv[optind],
					   argv[optind + 1], &err) != 0) {
			fprintf(stderr, "dxgw anchor remove: %s\n", err.msg);
			return 1;
		}
		printf("removed anchor %s for %s\n", argv[optind + 1],
		       argv[optind]);
		return 0;
	}
	anchor_usage(stderr);
	return 2;
}
