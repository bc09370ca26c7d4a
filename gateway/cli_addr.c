/*
 * NAME
 *	cli_addr - dxgw addr: the address book of the inbound leg
 * SUMMARY
 *	dxgw addr add [-c FILE] ADDRESS URL [--cert PEM] [--ca PEM]
 *	dxgw addr list [-c FILE]
 *	dxgw addr deactivate [-c FILE] ADDRESS
 * DESCRIPTION
 *	Each local Direct address (or "@domain" for every address of a
 *	domain) maps to the EHR's ITI-41 endpoint that receives what
 *	arrives for it, with the TLS client certificate dxgw presents
 *	(--cert) and the CA file that verifies the endpoint (--ca). The
 *	rows live in the store named by the config file, not in the config:
 *	a re-add updates a row and re-activates it. Exit status 0 on
 *	success, 1 on failure (bad address or URL, unreadable file, unknown
 *	address, store trouble), 2 for usage.
 * SECURITY
 *	The store is opened without the crash sweep, so a running daemon's
 *	in-flight files are left alone. Certificate paths are stored as
 *	absolute paths after a readability check; the files are not copied.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "store.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw addr add [-c FILE] ADDRESS URL [--cert PEM] "
		   "[--ca PEM]\n"
		   "       dxgw addr list [-c FILE]\n"
		   "       dxgw addr deactivate [-c FILE] ADDRESS\n"
		   "  ADDRESS: a local Direct address, or @domain for all "
		   "of a domain.\n"
		   "  URL: the EHR's ITI-41 endpoint; https://, or http:// "
		   "to a loopback host.\n"
		   "  --cert PEM: client certificate and key dxgw presents; "
		   "--ca PEM: CA\n"
		   "  file that verifies the endpoint (default: system "
		   "store).\n");
}

/* An absolute path to a readable file, into out; false with a message. */
static bool
abs_file(const char *opt, const char *in, char *out)
{
	if (in == NULL)
		return true;
	if (realpath(in, out) == NULL || access(out, R_OK) != 0) {
		fprintf(stderr, "dxgw addr: %s %s: %s\n", opt, in,
			strerror(errno));
		return false;
	}
	return true;
}

int
gw_cli_open_store(const struct gw_config *cfg, const char *prog,
		  struct gw_store **st)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_err err;

	if (gw_store_open_opts(cfg->store, cfg->spool_dir, &o, st, &err) != 0) {
		fprintf(stderr, "%s: store %s: %s\n", prog, cfg->store,
			err.msg);
		return 1;
	}
	return 0;
}

static int
addr_add(struct gw_store *st, const char *addr, const char *url,
	 const char *cert, const char *ca)
{
	char cbuf[PATH_MAX], abuf[PATH_MAX];
	struct gw_err err;

	if (!abs_file("--cert", cert, cbuf) || !abs_file("--ca", ca, abuf))
		return 1;
	if (gw_store_addr_put(st, addr, url, cert ? cbuf : NULL,
			      ca ? abuf : NULL, &err) != 0) {
		fprintf(stderr, "dxgw addr: %s\n", err.msg);
		return 1;
	}
	printf("added %s -> %s\n", addr, url);
	return 0;
}

static int
addr_list(struct gw_store *st)
{
	struct gw_store_address *v = NULL;
	struct gw_err err;
	size_t n = 0;

	if (gw_store_addr_list(st, &v, &n, &err) != 0) {
		fprintf(stderr, "dxgw addr: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\t%s\tcert=%s\tca=%s\n", v[i].address,
		       v[i].active ? "active" : "inactive", v[i].url,
		       v[i].cert ? v[i].cert : "-", v[i].ca ? v[i].ca : "-");
	gw_store_addresses_free(v, n);
	return 0;
}

static int
addr_deactivate(struct gw_store *st, const char *addr)
{
	struct gw_err err;

	if (gw_store_addr_deactivate(st, addr, &err) != 0) {
		fprintf(stderr, "dxgw addr: %s\n", err.msg);
		return 1;
	}
	printf("deactivated %s\n", addr);
	return 0;
}

int
gw_cli_addr(const struct gw_config *cfg, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"cert", 1, NULL, 'C'},
	    {"ca", 1, NULL, 'A'},
	    {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cert = NULL, *ca = NULL, *cmd;
	struct gw_store *st = NULL;
	int c, npos, rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': /* read by main */
			break;
		case 'C':
			cert = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argv += 1 + optind;
	npos = argc - 1 - optind;
	if (!((strcmp(cmd, "add") == 0 && npos == 2) ||
	      (strcmp(cmd, "list") == 0 && npos == 0 && !cert && !ca) ||
	      (strcmp(cmd, "deactivate") == 0 && npos == 1 && !cert && !ca))) {
		fprintf(stderr, "dxgw addr: bad arguments for '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (gw_cli_open_store(cfg, "dxgw addr", &st) != 0)
		return 1;
	if (strcmp(cmd, "add") == 0)
		rc = addr_add(st, argv[0], argv[1], cert, ca);
	else if (strcmp(cmd, "list") == 0)
		rc = addr_list(st);
	else
		rc = addr_deactivate(st, argv[0]);
	gw_store_close(st);
	return rc;
}
