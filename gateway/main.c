/*
 * NAME
 *	main - dxgw entry point and subcommand dispatch
 * SUMMARY
 *	dxgw serve [-c FILE]      run the gateway
 *	dxgw submit ...           send an ITI-41 to an XDR endpoint (cli.c)
 *	dxgw config [-c FILE] [-a] check a config file and print settings
 *	dxgw cert import|list|remove, dxgw anchor add|list|remove
 *	                          keys and trust anchors (cli_keys.c)
 *	dxgw addr add|list|deactivate
 *	dxgw status [-c FILE] [-n N] [-j] [ID]  traffic (cli_status.c)
 *	                          the address book (cli_addr.c)
 *	dxgw ehr-sink ...         an ITI-41 recipient writing to a directory
 *	dxgw validate [-c FILE] [--json] FILE...
 *	                          C-CDA XSD + Schematron (cli_validate.c)
 *	dxgw render FILE [-o OUT] a C-CDA as safe XHTML (cli_render.c)
 * DESCRIPTION
 *	Startup errors (config, store, bind) are fatal with a message and a
 *	non-zero exit; after startup a bad input fails one transaction,
 *	never the daemon.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adminsrv.h"
#include "cdaval.h"
#include "cli.h"
#include "config.h"
#include "ehrsink.h"
#include "inbound.h"
#include "keys.h"
#include "outbound.h"
#include "log.h"
#include "mem.h"
#include "route.h"
#include "smtpsrv.h"
#include "store.h"
#include "tracker.h"
#include "trust.h"
#include "xdrsrv.h"

#define DEFAULT_CONFIG "/etc/dxgw/dxgw.conf"

static struct gw_xdrsrv *running;
static struct gw_smtpsrv *running_smtp;
static struct gw_adminsrv *running_admin;

static void
on_signal(int sig)
{
	(void)sig;
	if (running != NULL)
		gw_xdrsrv_stop(running);
	if (running_smtp != NULL)
		gw_smtpsrv_stop(running_smtp);
}

static int
load_config(const char *path, struct gw_config *cfg)
{
	struct gw_err err;

	gw_config_defaults(cfg);
	if (path != NULL && gw_config_load(cfg, path, &err) != 0) {
		fprintf(stderr, "dxgw: %s\n", err.msg);
		return -1;
	}
	if (gw_config_check(cfg, &err) != 0) {
		fprintf(stderr, "dxgw: %s%s%s\n", path ? path : "",
			path ? ": " : "", err.msg);
		return -1;
	}
	return 0;
}

static const char *
config_arg(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			return argv[i + 1];
	return access(DEFAULT_CONFIG, R_OK) == 0 ? DEFAULT_CONFIG : NULL;
}

/* Our keys (keys_dir and "cert" lines) and anchors, loaded at start. */
static int
load_keys(const struct gw_config *cfg, struct gw_keys **keys,
	  struct gw_trust **trust)
{
	struct gw_err err;

	if (gw_keys_open(cfg->keys_dir, keys, &err) != 0)
		goto fail;
	for (size_t i = 0; i < cfg->ncert; i++)
		if (gw_keys_add_config(*keys, cfg->cert[i], &err) != 0)
			goto fail;
	if (gw_trust_open(cfg->keys_dir, trust, &err) != 0)
		goto fail;
	gw_log_info(NULL, "keys: %zu certificates, %zu trust anchors",
		    gw_keys_count(*keys), gw_trust_count(*trust));
	return 0;
fail:
	fprintf(stderr, "dxgw: keys: %s\n", err.msg);
	return -1;
}

/* Stop on SIGTERM/SIGINT, print where we listen, serve. */
static void
serve_until_signal(struct gw_xdrsrv *srv, const struct gw_config *cfg,
		   const char *what)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	running = srv;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("dxgw: listening on %s://%.*s:%d/xdr\n",
	       cfg->tls_cert[0] ? "https" : "http",
	       (int)(strrchr(cfg->listen, ':') - cfg->listen), cfg->listen,
	       gw_xdrsrv_port(srv));
	if (running_smtp != NULL)
		printf("dxgw: smtp listening on %.*s:%d\n",
		       (int)(strrchr(cfg->smtp_listen, ':') - cfg->smtp_listen),
		       cfg->smtp_listen, gw_smtpsrv_port(running_smtp));
	if (running_admin != NULL)
		printf(
		    "dxgw: admin listening on %s://%.*s:%d/\n",
		    gw_adminsrv_tls(running_admin) ? "https" : "http",
		    (int)(strrchr(cfg->admin_listen, ':') - cfg->admin_listen),
		    cfg->admin_listen, gw_adminsrv_port(running_admin));
	fflush(stdout);
	gw_log_notice(NULL, "%s started listen=%s port=%d workers=%ld", what,
		      cfg->listen, gw_xdrsrv_port(srv), cfg->workers);
	gw_xdrsrv_run(srv);
	gw_log_notice(NULL, "stopped");
	running = NULL;
}

/*
 * The C-CDA validator, when some route validates: a policy other than
 * off without a schema that loads stops the daemon at start.
 */
static int
open_cdaval(const struct gw_config *cfg, struct gw_cdaval **out)
{
	char xsd[4096], sch[4096];
	struct gw_err err;

	*out = NULL;
	if (!gw_route_cda_any(cfg, false) && !gw_route_cda_any(cfg, true))
		return 0;
	if (cfg->cda_schema_dir[0] == '\0' && cfg->cda_xsd[0] != '/') {
		fprintf(stderr, "dxgw: cda_validate_*: C-CDA validation is "
				"on but cda_schema_dir is not set\n");
		return -1;
	}
	if (gw_cdaval_paths(cfg->cda_schema_dir, cfg->cda_xsd,
			    cfg->cda_schematron, xsd, sizeof(xsd), sch,
			    sizeof(sch), &err) != 0 ||
	    gw_cdaval_open(xsd, sch, out, &err) != 0) {
		fprintf(stderr,
			"dxgw: cda_validate_*: C-CDA validation is on but "
			"the schemas cannot be loaded: %s\n",
			err.msg);
		return -1;
	}
	gw_log_info(NULL, "cda validation: xsd=%s schematron=%s", xsd,
		    sch[0] ? sch : "(none)");
	return 0;
}

static void *
smtp_main(void *arg)
{
	gw_smtpsrv_run(arg);
	return NULL;
}

/* The SMTP listener of the inbound leg, over ib. */
static int
smtp_new(const struct gw_config *cfg, struct gw_store *store,
	 struct gw_inbound *ib, struct gw_smtpsrv **out, struct gw_err *err)
{
	static struct gw_smtpsrv_opts o; /* borrowed by the server */

	memset(&o, 0, sizeof(o));
	o.listen = cfg->smtp_listen;
	o.hostname = cfg->hostname;
	o.tls_cert = cfg->smtp_tls_cert;
	o.require_tls = cfg->smtp_require_tls;
	o.lmtp = cfg->smtp_lmtp;
	o.spool = gw_store_spool(store);
	o.rcpt_ok = gw_inbound_rcpt_ok;
	o.deliver = gw_inbound_deliver;
	o.arg = ib;
	o.deliver_syncs = true; /* it keeps the inner message, synced */
	o.max_message_size = (uint64_t)cfg->smtp_max_message_size;
	o.max_recipients = (size_t)cfg->smtp_max_recipients;
	o.command_timeout_ms = (int)(cfg->smtp_command_timeout * 1000);
	o.data_timeout_ms = (int)(cfg->smtp_data_timeout * 1000);
	return gw_smtpsrv_new(&o, out, err);
}

static int
cmd_serve(int argc, char **argv)
{
	const char *path = config_arg(argc, argv);
	struct gw_keys *keys = NULL;
	struct gw_trust *trust = NULL;
	struct gw_store *store = NULL;
	struct gw_xdrsrv *srv = NULL;
	struct gw_outbound *ob = NULL;
	struct gw_inbound *ib = NULL;
	struct gw_tracker *tr = NULL;
	struct gw_smtpsrv *smtp = NULL;
	struct gw_adminsrv *admin = NULL;
	struct gw_cdaval *cdaval = NULL;
	bool smtp_thread = false;
	pthread_t smtp_th;
	struct gw_config cfg;
	struct gw_err err;
	int rc = 1;

	if (load_config(path, &cfg) != 0)
		goto out;
	gw_log_setup((enum gw_log_level)cfg.log_level, cfg.log_syslog);
	gw_mem_tune();
	if (load_keys(&cfg, &keys, &trust) != 0)
		goto out;
	if (gw_store_open(cfg.store, cfg.spool_dir, &store, &err) != 0) {
		fprintf(stderr, "dxgw: store %s: %s\n", cfg.store, err.msg);
		goto out;
	}
	if (gw_route_check_config(&cfg, &err) != 0) {
		fprintf(stderr, "dxgw: %s: %s\n", path ? path : "config",
			err.msg);
		goto out;
	}
	if (open_cdaval(&cfg, &cdaval) != 0)
		goto out;
	if (gw_outbound_new(&cfg, store, keys, trust, true, &ob, &err) != 0) {
		fprintf(stderr, "dxgw: outbound: %s\n", err.msg);
		goto out;
	}
	if (gw_inbound_new(&cfg, store, keys, trust, ob, cdaval, true, &ib,
			   &err) != 0) {
		fprintf(stderr, "dxgw: inbound: %s\n", err.msg);
		goto out;
	}
	if (gw_tracker_new(&cfg, store, gw_inbound_source_id(ib), true, &tr,
			   &err) != 0) {
		fprintf(stderr, "dxgw: tracker: %s\n", err.msg);
		goto out;
	}
	if (gw_xdrsrv_new(&cfg, store, &srv, &err) != 0) {
		fprintf(stderr, "dxgw: %s\n", err.msg);
		goto out;
	}
	if (cfg.smtp_listen[0] != '\0') {
		if (smtp_new(&cfg, store, ib, &smtp, &err) != 0) {
			fprintf(stderr, "dxgw: smtp_listen: %s\n", err.msg);
			goto out;
		}
		if (pthread_create(&smtp_th, NULL, smtp_main, smtp) != 0) {
			fprintf(stderr, "dxgw: smtp: cannot start\n");
			goto out;
		}
		smtp_thread = true;
		running_smtp = smtp;
	}
	if (cfg.admin_listen[0] != '\0') {
		if (gw_adminsrv_start(&cfg, store, &admin, &err) != 0) {
			fprintf(stderr, "dxgw: admin_listen: %s\n", err.msg);
			goto out;
		}
		running_admin = admin;
	}
	gw_xdrsrv_set_outbound(srv, ob);
	gw_xdrsrv_set_cdaval(srv, cdaval);
	gw_log_info(NULL, "store=%s source_id=%s", cfg.store,
		    gw_inbound_source_id(ib));
	serve_until_signal(srv, &cfg, "dxgw");
	rc = 0;
out:
	running = NULL;
	if (smtp_thread) {
		gw_smtpsrv_stop(smtp);
		pthread_join(smtp_th, NULL);
	}
	running_smtp = NULL;
	running_admin = NULL;
	gw_adminsrv_free(admin); /* it reads the store */
	gw_smtpsrv_free(smtp);
	gw_xdrsrv_free(srv);
	gw_tracker_free(tr);
	gw_inbound_free(ib);  /* its threads use ob and the store */
	gw_outbound_free(ob); /* its threads use the store */
	gw_cdaval_free(cdaval);
	gw_store_close(store);
	gw_trust_free(trust);
	gw_keys_free(keys);
	gw_config_dispose(&cfg);
	return rc;
}

static void
sink_usage(FILE *f)
{
	fprintf(f,
		"usage: dxgw ehr-sink [-c FILE] [--listen HOST:PORT] "
		"[--dir DIR]\n"
		"                     [--tls-cert PEM] [--client-ca PEM]\n"
		"  An XDR Document Recipient (ITI-41) that checks each "
		"submission as\n"
		"  dxgw serve does and writes it to DIR/<time>-<uuid>/ "
		"(metadata.xml,\n"
		"  DOC00001.<ext>..., summary.json). DIR defaults to "
		"ehr_sink_dir.\n"
		"  --client-ca requires a client certificate (mutual TLS).\n");
}

/* Command-line settings over the config file's; 0, 1 (error), 2 (usage). */
static int
sink_options(int argc, char **argv, struct gw_config *cfg)
{
	static const struct option lo[] = {
	    {"listen", 1, NULL, 'l'},   {"dir", 1, NULL, 'd'},
	    {"tls-cert", 1, NULL, 't'}, {"client-ca", 1, NULL, 'a'},
	    {"help", 0, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	struct gw_err err;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'l':
			rc = gw_config_set(cfg, "listen", optarg, &err);
			break;
		case 'd':
			rc = gw_config_set(cfg, "ehr_sink_dir", optarg, &err);
			break;
		case 't':
			rc = gw_config_set(cfg, "tls_cert", optarg, &err);
			break;
		case 'a':
			if ((rc = gw_config_set(cfg, "tls_client_ca", optarg,
						&err)) == 0)
				rc = gw_config_set(cfg, "tls_client_auth",
						   "require", &err);
			break;
		case 'h':
			sink_usage(stdout);
			return 3;
		default:
			sink_usage(stderr);
			return 2;
		}
		if (rc != 0) {
			fprintf(stderr, "dxgw ehr-sink: %s\n", err.msg);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		sink_usage(stderr);
		return 2;
	}
	if (cfg->ehr_sink_dir[0] == '\0') {
		fprintf(stderr, "dxgw ehr-sink: --dir DIR (or ehr_sink_dir) "
				"is required\n");
		return 2;
	}
	if (gw_config_check(cfg, &err) != 0) {
		fprintf(stderr, "dxgw ehr-sink: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/*
 * dxgw ehr-sink: dxgw's XDR endpoint (same transport, same checks, same
 * answers) with a directory writer in place of the store and the
 * Direct pipeline.
 */
static int
cmd_ehr_sink(int argc, char **argv)
{
	const char *path = NULL;
	struct gw_ehrsink *sink = NULL;
	struct gw_xdrsrv *srv = NULL;
	struct gw_config cfg;
	struct gw_err err;
	int rc;

	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], "-c") == 0)
			path = argv[i + 1];
	gw_config_defaults(&cfg);
	if (path != NULL && gw_config_load(&cfg, path, &err) != 0) {
		fprintf(stderr, "dxgw: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	rc = sink_options(argc, argv, &cfg);
	if (rc != 0) {
		rc = rc == 3 ? 0 : rc;
		goto out;
	}
	rc = 1;
	gw_log_setup((enum gw_log_level)cfg.log_level, cfg.log_syslog);
	if (gw_ehrsink_new(cfg.ehr_sink_dir, &sink, &err) != 0) {
		fprintf(stderr, "dxgw ehr-sink: %s\n", err.msg);
		goto out;
	}
	if (gw_xdrsrv_new(&cfg, NULL, &srv, &err) != 0) {
		fprintf(stderr, "dxgw ehr-sink: %s\n", err.msg);
		goto out;
	}
	gw_xdrsrv_set_accept(srv, gw_ehrsink_spool(sink), gw_ehrsink_accept,
			     sink);
	serve_until_signal(srv, &cfg, "ehr-sink");
	rc = 0;
out:
	gw_xdrsrv_free(srv);
	gw_ehrsink_free(sink);
	gw_config_dispose(&cfg);
	return rc;
}

/* dxgw cert / anchor / addr ...: config first, then cli_keys.c, cli_addr.c. */
static int
cmd_keys(int argc, char **argv)
{
	struct gw_config cfg;
	int rc = 2;

	if (load_config(config_arg(argc, argv), &cfg) == 0)
		rc = strcmp(argv[1], "cert") == 0
			 ? gw_cli_cert(&cfg, argc - 1, argv + 1)
		     : strcmp(argv[1], "addr") == 0
			 ? gw_cli_addr(&cfg, argc - 1, argv + 1)
		     : strcmp(argv[1], "status") == 0
			 ? gw_cli_status(&cfg, argc - 1, argv + 1)
			 : gw_cli_anchor(&cfg, argc - 1, argv + 1);
	gw_config_dispose(&cfg);
	return rc;
}

static int
cmd_config(int argc, char **argv)
{
	struct gw_config cfg;
	bool all = false;
	int rc;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "-a") == 0)
			all = true;
	rc = load_config(config_arg(argc, argv), &cfg);
	if (rc == 0)
		gw_config_dump(&cfg, stdout, all);
	gw_config_dispose(&cfg);
	return rc == 0 ? 0 : 1;
}

/* dxgw validate: the config names the schema files; 2 when it is bad. */
static int
cmd_validate(int argc, char **argv)
{
	struct gw_config cfg;
	int rc = 2;

	if (load_config(config_arg(argc, argv), &cfg) == 0)
		rc = gw_cli_validate(&cfg, argc - 1, argv + 1);
	gw_config_dispose(&cfg);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw serve [-c FILE]\n"
		   "       dxgw submit [options] FILE...   (dxgw submit -h)\n"
		   "       dxgw config [-c FILE] [-a]\n"
		   "       dxgw cert import|list|remove [-c FILE] ...   "
		   "(dxgw cert -h)\n"
		   "       dxgw anchor add|list|remove [-c FILE] ...  "
		   "(dxgw anchor -h)\n"
		   "       dxgw addr add|list|deactivate [-c FILE] ...  "
		   "(dxgw addr -h)\n"
		   "       dxgw status [-c FILE] [-n N] [-j] [ID]\n"
		   "       dxgw validate [-c FILE] [--json] [--warnings] "
		   "FILE...  (dxgw validate -h)\n"
		   "       dxgw ehr-sink [-c FILE] [--listen HOST:PORT] "
		   "[--dir DIR] ...  (dxgw ehr-sink -h)\n"
		   "       dxgw render FILE [-o OUT]\n");
}

int
main(int argc, char **argv)
{
	/* A peer that closes mid-send is an error to report, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc, argv);
	if (strcmp(argv[1], "submit") == 0)
		return gw_cli_submit(argc - 1, argv + 1);
	if (strcmp(argv[1], "render") == 0)
		return gw_cli_render(argc - 1, argv + 1);
	if (strcmp(argv[1], "ehr-sink") == 0)
		return cmd_ehr_sink(argc, argv);
	if (strcmp(argv[1], "config") == 0)
		return cmd_config(argc, argv);
	if (strcmp(argv[1], "validate") == 0)
		return cmd_validate(argc, argv);
	if (strcmp(argv[1], "cert") == 0 || strcmp(argv[1], "anchor") == 0 ||
	    strcmp(argv[1], "addr") == 0 || strcmp(argv[1], "status") == 0)
		return cmd_keys(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "dxgw: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
