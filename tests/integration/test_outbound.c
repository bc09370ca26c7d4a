/*
 * Integration, end to end through the daemon: an ITI-41 submission
 * becomes a signed and encrypted Direct message with an XDM package,
 * delivered over SMTP; the openssl command opens it with the
 * recipient's key and verifies it against the sender's anchor, and the
 * XDM passes the structural check. Recipients that cannot be served
 * are reported in the RegistryResponse (UnknownRecipient /
 * UnavailableRecipient). A daemon killed with SIGKILL while the relay is
 * down delivers after a restart, once.
 */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "smtpsink.h"
#include "store.h"
#include "xdm.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

static const char *
direct_pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

/* Import our key, doc-b's certificate and (if anchor) anchor-b. */
static bool
provision(const struct gw_daemon *d, const char *anchor)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "cat %s/ehr-a.crt %s/ehr-a.key >%s/ehr-a.pem && "
		 "%s cert import -c %s %s/ehr-a.pem && "
		 "%s cert import -c %s %s/doc-b.crt",
		 direct_pki(), direct_pki(), d->dir, gw_dxgw(), d->conf, d->dir,
		 gw_dxgw(), d->conf, direct_pki());
	if (gw_run(cmd, NULL) != 0)
		return false;
	if (anchor == NULL)
		return true;
	snprintf(cmd, sizeof(cmd), "%s anchor add -c %s direct-a.example %s/%s",
		 gw_dxgw(), d->conf, direct_pki(), anchor);
	return gw_run(cmd, NULL) == 0;
}

/*
 * A daemon whose keys live in its own directory: written config, then
 * keys imported, then started.
 */
static bool
start_with_keys(struct gw_daemon *d, const char *extra, const char *anchor)
{
	char conf[1024];
	FILE *f;

	snprintf(conf, sizeof(conf),
		 "recipient_check = sync\ndelivery_workers = 1\n"
		 "smtp_tls = none\nretry_min = 1s\nretry_max = 2s\n%s",
		 extra);
	if (!gw_daemon_start(d, conf))
		return false;
	gw_daemon_stop(d);
	f = fopen(d->conf, "a");
	if (f == NULL)
		return false;
	fprintf(f, "keys_dir = %s/keys\n", d->dir);
	fclose(f);
	return provision(d, anchor) && gw_daemon_restart(d);
}

static int
submit(const struct gw_daemon *d, const char *to, char **out)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "%s --timeout 10 %s/%s",
		 gw_dxgw(), d->url, to, gw_test_corpus(), CCD);
	return gw_run(cmd, out);
}

static bool
wait_count(struct gw_sink *s, int n)
{
	for (int i = 0; i < 300; i++) {
		if (gw_sink_count(s) >= n)
			return true;
		usleep(50000);
	}
	return false;
}

/* Pull the base64 body of the application/zip part out into zip. */
static bool
extract_zip(const char *content_path, const char *zip)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "awk '/^Content-Type: application\\/zip/ {z=1} "
		 "z && /^\\r?$/ {b=1; next} "
		 "b && /^--/ {exit} b {print}' %s | tr -d '\\r' | "
		 "openssl base64 -d >%s",
		 content_path, zip);
	return gw_run(cmd, NULL) == 0;
}

/*
 * The newest submission's recipients as the delivery tracking sees them,
 * read beside the running daemon (no sweep), once want is sent.
 */
static bool
tracked(const struct gw_daemon *d, const char *want,
	struct gw_store_trackrow **rows, size_t *n)
{
	struct gw_store_opts o = {.no_sweep = true};
	char spec[400], spool[300];

	snprintf(spec, sizeof(spec), "sqlite:%s", d->db);
	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	for (int i = 0; i < 100; i++) {
		struct gw_store *st = NULL;
		char **txids = NULL;
		size_t nt = 0;
		struct gw_err e;
		bool done = false;

		*rows = NULL;
		*n = 0;
		if (gw_store_open_opts(spec, spool, &o, &st, &e) == 0 &&
		    gw_store_submission_recent(st, 1, &txids, &nt, &e) == 0 &&
		    nt == 1 &&
		    gw_store_track_list(st, txids[0], rows, n, &e) == 0)
			for (size_t k = 0; k < *n; k++)
				if (strcmp((*rows)[k].address, want) == 0)
					done = strcmp((*rows)[k].state,
						      "sent") == 0;
		gw_store_txids_free(txids, nt);
		gw_store_close(st);
		if (done)
			return true;
		gw_store_trackrows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		usleep(100000);
	}
	return false;
}

GW_TEST(outbound_end_to_end_with_openssl_and_xdm_check)
{
	struct gw_sink_script sc = {.greet = 220,
				    .pipelining = true,
				    .size_max = -1,
				    .mail = 250,
				    .data = 354,
				    .dot = 250};
	const struct gw_sink_conn *c;
	struct gw_xdm_report rep;
	struct gw_store_trackrow *rows = NULL;
	struct gw_daemon d;
	struct gw_sink *s;
	struct gw_err e;
	size_t nrows = 0;
	char extra[128], eml[600], signd[600], content[600], zip[600];
	char cmd[8192];
	char *out = NULL;

	REQUIRE(direct_pki()[0] != '\0');
	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	/* Our policy asks every recipient for final delivery notices. */
	snprintf(extra, sizeof(extra),
		 "relay_host = 127.0.0.1:%d\nfinal_delivery = always\n",
		 gw_sink_port(s));
	REQUIRE(start_with_keys(&d, extra, "anchor-b.pem"));

	/* One recipient can be served, one has no certificate anywhere. */
	CHECK_INT(submit(&d,
			 "--to doc@direct-b.example "
			 "--to nobody@direct-c.example",
			 &out),
		  0);
	CHECK(out != NULL && gw_str_has(out, "status: Success"));
	CHECK(out != NULL && gw_str_has(out, "Warning: UnknownRecipient at "
					     "nobody@direct-c.example"));
	free(out);
	out = NULL;

	REQUIRE(wait_count(s, 1));
	REQUIRE((c = gw_sink_conn(s, 0)) != NULL);
	CHECK_STR(c->mail_from, "<ehr@direct-a.example>");
	CHECK_INT(c->nrcpt, 1);
	CHECK_STR(c->rcpts[0], "<doc@direct-b.example>");
	REQUIRE(c->data != NULL);
	/* Outer headers: routing only, the Subject stays inside. */
	CHECK(gw_str_has(c->data, "Content-Type: application/pkcs7-mime;"));
	CHECK(!gw_str_has(c->data, "Subject:"));
	snprintf(eml, sizeof(eml), "%s/msg.eml", d.dir);
	snprintf(signd, sizeof(signd), "%s/msg.signed", d.dir);
	snprintf(content, sizeof(content), "%s/msg.content", d.dir);
	snprintf(zip, sizeof(zip), "%s/msg.zip", d.dir);
	REQUIRE(gw_test_write_file(eml, c->data, c->data_len) == 0);

	/* The independent S/MIME implementation opens and verifies it. */
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -in %s -recip %s/doc-b.crt "
		 "-inkey %s/doc-b.key -out %s && "
		 "openssl cms -verify -in %s -CAfile %s/anchor-a.pem -out %s",
		 eml, direct_pki(), direct_pki(), signd, signd, direct_pki(),
		 content);
	CHECK_INT(gw_run(cmd, &out), 0);
	free(out);
	out = NULL;
	snprintf(cmd, sizeof(cmd),
		 "grep -c 'Subject: XDM/1.0/DDM' %s && "
		 "grep -c '^Disposition-Notification-Options: "
		 "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true' %s && "
		 "grep -c '^Content-Type: message/rfc822' %s && "
		 "grep -c 'micalg=sha-256' %s",
		 content, content, content, signd);
	CHECK_INT(gw_run(cmd, NULL), 0);

	/* The XDM inside, by the NIST decoder's rules. */
	REQUIRE(extract_zip(content, zip));
	CHECK_INT(gw_xdm_check(zip, NULL, &rep, &e), 0);
	CHECK_INT(rep.ndocs, 1);

	/*
	 * The tracking: sent in a message that asked for final delivery,
	 * the refused one final without a disposition owed.
	 */
	REQUIRE(tracked(&d, "doc@direct-b.example", &rows, &nrows));
	REQUIRE(nrows == 2);
	CHECK_STR(rows[0].address, "doc@direct-b.example");
	CHECK(rows[0].final_delivery && !rows[0].final);
	CHECK(rows[0].sent_at > 0);
	CHECK(rows[0].message_id != NULL && rows[0].message_id[0] == '<');
	CHECK(rows[0].message_id != NULL &&
	      gw_str_has(c->data, rows[0].message_id));
	CHECK_STR(rows[1].address, "nobody@direct-c.example");
	CHECK_STR(rows[1].state, "failed");
	CHECK(rows[1].final && rows[1].ehr_state == NULL);
	gw_store_trackrows_free(rows, nrows);
	gw_daemon_stop(&d);
	gw_sink_stop(s);
}

GW_TEST(outbound_recipients_refused_at_submission)
{
	struct gw_daemon d;
	char *out = NULL;

	REQUIRE(direct_pki()[0] != '\0');
	/* anchor-a only: doc-b's certificate does not chain to it. */
	REQUIRE(
	    start_with_keys(&d, "relay_host = 127.0.0.1:9\n", "anchor-a.pem"));
	CHECK(submit(&d, "--to doc@direct-b.example", &out) != 0);
	CHECK(out != NULL && gw_str_has(out, "status: Failure"));
	CHECK(out != NULL && gw_str_has(out, "Error: UnavailableRecipient at "
					     "doc@direct-b.example"));
	free(out);
	out = NULL;
	/* Nobody at all can be served: an Error, not a Warning. */
	CHECK(submit(&d, "--to nobody@direct-c.example", &out) != 0);
	CHECK(out != NULL && gw_str_has(out, "Error: UnknownRecipient at "
					     "nobody@direct-c.example"));
	free(out);
	gw_daemon_stop(&d);
}

GW_TEST(outbound_sigkill_while_relay_down_then_delivered_once)
{
	struct gw_sink_script sc = {.greet = 220,
				    .pipelining = true,
				    .size_max = -1,
				    .mail = 250,
				    .data = 354,
				    .dot = 250};
	struct gw_sink *s;
	struct gw_daemon d;
	char extra[128];
	char *out = NULL;
	int port, st = 0;

	REQUIRE(direct_pki()[0] != '\0');
	/* Learn a free port, then leave it closed: the relay is down. */
	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	port = gw_sink_port(s);
	gw_sink_stop(s);
	snprintf(extra, sizeof(extra), "relay_host = 127.0.0.1:%d\n", port);
	REQUIRE(start_with_keys(&d, extra, "anchor-b.pem"));
	CHECK_INT(submit(&d, "--to doc@direct-b.example", &out), 0);
	free(out);
	usleep(1500000); /* converted, and at least one failed attempt */
	kill(d.pid, SIGKILL);
	waitpid(d.pid, &st, 0);
	d.pid = 0;
	/* The relay comes back on the same port; so does the daemon. */
	REQUIRE((s = gw_sink_start_on(port, &sc, 1, NULL, NULL)) != NULL);
	REQUIRE(gw_daemon_restart(&d));
	CHECK(wait_count(s, 1));
	usleep(1500000); /* any duplicate would arrive by now */
	CHECK_INT(gw_sink_count(s), 1);
	gw_daemon_stop(&d);
	gw_sink_stop(s);
}

/* The base64 body of the first part of type ctype, decoded into out. */
static bool
extract_part(const char *content_path, const char *ctype, const char *out)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "awk 'index($0, \"Content-Type: %s\") == 1 {z=1} "
		 "z && /^\\r?$/ {b=1; next} "
		 "b && /^--/ {exit} b {print}' %s | tr -d '\\r' | "
		 "openssl base64 -d >%s && test -s %s",
		 ctype, content_path, out, out);
	return gw_run(cmd, NULL) == 0;
}

/*
 * html_part = yes: the message carries the C-CDA's rendering as a
 * text/html part inside the signed and encrypted entity; the XDM's
 * INDEX.HTM carries it too and the package still passes the check.
 */
GW_TEST(outbound_html_part_and_index_rendering)
{
	struct gw_sink_script sc = {.greet = 220,
				    .pipelining = true,
				    .size_max = -1,
				    .mail = 250,
				    .data = 354,
				    .dot = 250};
	const struct gw_sink_conn *c;
	struct gw_daemon d;
	struct gw_sink *s;
	struct gw_err e;
	char extra[128], eml[600], signd[600], content[600], zip[600];
	char html[600], cmd[8192];
	char *out = NULL, *page = NULL;
	size_t len = 0;

	REQUIRE(direct_pki()[0] != '\0');
	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	snprintf(extra, sizeof(extra),
		 "relay_host = 127.0.0.1:%d\nhtml_part = yes\n",
		 gw_sink_port(s));
	REQUIRE(start_with_keys(&d, extra, "anchor-b.pem"));
	CHECK_INT(submit(&d, "--to doc@direct-b.example", &out), 0);
	free(out);
	out = NULL;
	REQUIRE(wait_count(s, 1));
	REQUIRE((c = gw_sink_conn(s, 0)) != NULL && c->data != NULL);
	/* Nothing of it shows outside the encryption. */
	CHECK(!gw_str_has(c->data, "text/html"));
	snprintf(eml, sizeof(eml), "%s/msg.eml", d.dir);
	snprintf(signd, sizeof(signd), "%s/msg.signed", d.dir);
	snprintf(content, sizeof(content), "%s/msg.content", d.dir);
	snprintf(zip, sizeof(zip), "%s/msg.zip", d.dir);
	snprintf(html, sizeof(html), "%s/msg.html", d.dir);
	REQUIRE(gw_test_write_file(eml, c->data, c->data_len) == 0);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -in %s -recip %s/doc-b.crt "
		 "-inkey %s/doc-b.key -out %s && "
		 "openssl cms -verify -in %s -CAfile %s/anchor-a.pem -out %s",
		 eml, direct_pki(), direct_pki(), signd, signd, direct_pki(),
		 content);
	CHECK_INT(gw_run(cmd, &out), 0);
	free(out);
	out = NULL;
	/* Order: the note, the rendering, the package. */
	snprintf(cmd, sizeof(cmd),
		 "grep -o '^Content-Type: [a-z/]*' %s | tr -d '\\r' | "
		 "tr '\\n' ' '",
		 content);
	CHECK_INT(gw_run(cmd, &out), 0);
	CHECK(out != NULL && gw_str_has(out, "Content-Type: text/plain "
					     "Content-Type: text/html "
					     "Content-Type: application/zip"));
	free(out);
	out = NULL;
	REQUIRE(extract_part(content, "text/html", html));
	page = gw_test_slurp(html, &len);
	REQUIRE(page != NULL);
	CHECK(strncmp(page, "<!DOCTYPE html", 14) == 0);
	CHECK(gw_str_has(page, "default-src 'none'"));
	CHECK(!gw_str_has(page, "<script"));
	free(page);
	REQUIRE(extract_zip(content, zip));
	CHECK_INT(gw_xdm_check(zip, NULL, NULL, &e), 0);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import zipfile,sys; sys.stdout.write(zipfile."
		 "ZipFile('%s').read('INDEX.HTM').decode())\"",
		 zip);
	if (gw_run(cmd, &out) == 0) {
		CHECK(gw_str_has(out, "href=\"#doc1-cda\""));
		CHECK(gw_str_has(out, "id=\"doc1-cda-s1\""));
		CHECK(
		    gw_str_has(out, "href=\"IHE_XDM/SUBSET01/DOC00001.XML\""));
	} else {
		gw_test_fail(__FILE__, __LINE__, "INDEX.HTM not read");
	}
	free(out);
	gw_daemon_stop(&d);
	gw_sink_stop(s);
}
