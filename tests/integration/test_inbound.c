/*
 * Integration, the inbound leg through real daemons: two HISPs (two
 * dxgw serve processes with their own domains, keys and anchors) and a
 * dxgw ehr-sink behind the receiving one. An ITI-41 submission to HISP A
 * travels as Direct mail to HISP B, whose EHR gets the documents, and
 * the processed and dispatched MDNs travel back to A. Messages made by
 * the openssl command line are accepted; untrusted ones are refused in
 * SMTP's own terms; a SIGKILL while the EHR is down loses nothing and
 * posts once; an EHR that refuses gets the sender a failed MDN.
 */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "mdn.h"
#include "smtpcli.h"
#include "store.h"

#define CCD "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"

struct hisp {
	struct gw_daemon d;
	int smtp_port;
	char keys[400];
};

static const char *
pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

/*
 * Start a HISP: A is direct-a.example (our EHR ehr@), B is
 * direct-b.example (doc@). Each knows the other's public certificate
 * and trusts the other's anchor; its mail goes to relay_port.
 */
static bool
hisp_start(struct hisp *h, char side, int smtp_port, int relay_port,
	   const char *extra)
{
	const char *own = side == 'a' ? "ehr-a" : "doc-b";
	const char *peer = side == 'a' ? "doc-b" : "ehr-a";
	const char *dom = side == 'a' ? "direct-a.example" : "direct-b.example";
	const char *anchor = side == 'a' ? "anchor-b" : "anchor-a";
	char conf[1024], cmd[8192];
	FILE *f;

	h->smtp_port = smtp_port;
	snprintf(conf, sizeof(conf),
		 "hostname = hisp-%c.test\n"
		 "smtp_listen = 127.0.0.1:%d\nsmtp_require_tls = no\n"
		 "relay_host = 127.0.0.1:%d\nsmtp_tls = none\n"
		 "recipient_check = sync\ndelivery_workers = 1\n"
		 "inbound_workers = 1\nretry_min = 1s\nretry_max = 2s\n%s",
		 side, smtp_port, relay_port, extra ? extra : "");
	if (!gw_daemon_start(&h->d, conf))
		return false;
	gw_daemon_stop(&h->d);
	snprintf(h->keys, sizeof(h->keys), "%s/keys", h->d.dir);
	if ((f = fopen(h->d.conf, "a")) == NULL)
		return false;
	fprintf(f, "keys_dir = %s\n", h->keys);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cat %s/%s.crt %s/%s.key >%s/own.pem && "
		 "%s cert import -c %s %s/own.pem && "
		 "%s cert import -c %s %s/%s.crt && "
		 "%s anchor add -c %s %s %s/%s.pem",
		 pki(), own, pki(), own, h->d.dir, gw_dxgw(), h->d.conf,
		 h->d.dir, gw_dxgw(), h->d.conf, pki(), peer, gw_dxgw(),
		 h->d.conf, dom, pki(), anchor);
	return gw_sh(cmd) == 0 && gw_daemon_restart(&h->d);
}

static bool
addr_add(const struct hisp *h, const char *address, const char *url)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s addr add -c %s %s %s", gw_dxgw(),
		 h->d.conf, address, url);
	return gw_sh(cmd) == 0;
}

static int
submit(const struct hisp *a)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "--to doc@direct-b.example --timeout 10 %s/%s",
		 gw_dxgw(), a->d.url, gw_test_corpus(), CCD);
	return gw_sh(cmd);
}

/* Wait for the sink to hold n submissions (30 s). */
static int
wait_sink(const struct gw_daemon *sink, int n)
{
	int got = 0;

	for (int i = 0; i < 300; i++) {
		if ((got = gw_ehrsink_dirs(sink, NULL, 0, NULL)) >= n)
			break;
		usleep(100000);
	}
	return got;
}

/* The inbound rows of a daemon's store (the daemon may be running). */
static int
inbound_rows(const struct gw_daemon *d, struct gw_store_injob **rows, size_t *n)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_store *st = NULL;
	char spool[400];
	struct gw_err e;
	int rc;

	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if ((rc = gw_store_open_opts(d->db, spool, &o, &st, &e)) == 0)
		rc = gw_store_inbound_list(st, 100, rows, n, &e);
	if (rc != 0)
		fprintf(stderr, "    store: %s\n", e.msg);
	gw_store_close(st);
	return rc;
}

/* How many of a daemon's inbound rows are MDNs with disposition d. */
static int
mdns(const struct gw_daemon *h, enum gw_mdn_disposition d, bool *final_ext)
{
	struct gw_store_injob *rows = NULL;
	size_t n = 0;
	int count = 0;

	if (inbound_rows(h, &rows, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct gw_mdn_info mi;
		struct gw_err e;
		size_t len = 0;
		char *m;

		if (strcmp(rows[i].kind, "mdn") != 0)
			continue;
		m = gw_test_slurp(rows[i].path, &len);
		if (m != NULL && gw_mdn_parse(m, len, &mi, &e) == 0 &&
		    mi.disposition == d) {
			count++;
			if (final_ext != NULL)
				*final_ext = mi.final_delivery_ext;
		}
		free(m);
	}
	gw_store_injobs_free(rows, n);
	return count;
}

static int
wait_mdns(const struct gw_daemon *h, enum gw_mdn_disposition d, int n,
	  bool *final_ext)
{
	int got = 0;

	for (int i = 0; i < 300; i++) {
		if ((got = mdns(h, d, final_ext)) >= n)
			break;
		usleep(100000);
	}
	return got;
}

GW_TEST(inbound_two_hisps_xdr_to_ehr_with_mdns)
{
	struct gw_store_injob *rows = NULL;
	struct hisp a, b;
	struct gw_daemon sink;
	char url[200], first[800], p[900];
	bool ext = false;
	size_t n = 0;
	char *sum;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	REQUIRE(hisp_start(&a, 'a', pa, pb, "final_delivery = always\n"));
	REQUIRE(hisp_start(&b, 'b', pb, pa, NULL));
	snprintf(url, sizeof(url), "%s", sink.url);
	REQUIRE(addr_add(&b, "doc@direct-b.example", url));

	CHECK_INT(submit(&a), 0);
	CHECK_INT(wait_sink(&sink, 1), 1);
	CHECK_INT(gw_ehrsink_dirs(&sink, first, sizeof(first), NULL), 1);
	snprintf(p, sizeof(p), "%s/summary.json", first);
	sum = gw_test_slurp(p, NULL);
	CHECK(sum != NULL &&
	      gw_str_has(sum, "\"direct_from\": "
			      "\"mailto:ehr@direct-a.example\""));
	CHECK(sum != NULL &&
	      gw_str_has(sum, "\"recipients\": [\"doc@direct-b.example\"]"));
	free(sum);

	/* Back at A: processed, then dispatched with the extension. */
	CHECK_INT(wait_mdns(&a.d, GW_MDN_PROCESSED, 1, NULL), 1);
	CHECK_INT(wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, &ext), 1);
	CHECK(ext);
	/* At B: the message is done, delivered, and nothing answered twice. */
	REQUIRE(inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(rows[0].kind, "message");
		CHECK_STR(rows[0].state, "done");
		CHECK_STR(rows[0].sender, "ehr@direct-a.example");
		CHECK(rows[0].wants_final);
		CHECK_INT(rows[0].nrcpts, 1);
		CHECK_STR(rows[0].rcpts[0].state, "delivered");
		CHECK(rows[0].rcpts[0].notified);
	}
	gw_store_injobs_free(rows, n);
	CHECK_INT(mdns(&a.d, GW_MDN_PROCESSED, NULL), 1);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

/*
 * <tmp>/<name>.eml made by the openssl command line: a message from
 * ehr@direct-a.example to doc@direct-b.example with a C-CDA attached,
 * wrapped in message/rfc822, signed by signer (NULL: not signed) and
 * encrypted to doc-b.
 */
static int
make_msg(const char *name, const char *signer, char *path, size_t plen)
{
	char inner[600], signd[600], cmd[6000];

	snprintf(path, plen, "%s/%s.eml", gw_test_tmpdir(), name);
	snprintf(inner, sizeof(inner), "%s.inner", path);
	snprintf(signd, sizeof(signd), "%s.signed", path);
	snprintf(
	    cmd, sizeof(cmd),
	    "{ printf 'Content-Type: message/rfc822\\r\\n\\r\\n"
	    "From: ehr@direct-a.example\\r\\nTo: doc@direct-b.example\\r\\n"
	    "Subject: referral\\r\\nMessage-ID: <%s@direct-a.example>\\r\\n"
	    "Disposition-Notification-Options: "
	    "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\\r\\n"
	    "MIME-Version: 1.0\\r\\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\\r\\n\\r\\n"
	    "--b1\\r\\nContent-Type: text/plain\\r\\n\\r\\nsee attached"
	    "\\r\\n--b1\\r\\nContent-Type: application/xml\\r\\n"
	    "Content-Disposition: attachment; filename=ccd.xml\\r\\n"
	    "Content-Transfer-Encoding: base64\\r\\n\\r\\n'; "
	    "openssl base64 -in %s/%s | sed 's/$/\\r/'; "
	    "printf -- '--b1--\\r\\n'; } >%s",
	    name, gw_test_corpus(), CCD, inner);
	if (gw_sh(cmd) != 0)
		return -1;
	if (signer != NULL)
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -sign -in %s -signer %s/%s.crt -inkey "
			 "%s/%s.key -md sha256 -out %s && "
			 "openssl cms -encrypt -in %s -aes128 -out %s "
			 "%s/doc-b.crt",
			 inner, pki(), signer, pki(), signer, signd, signd,
			 path, pki());
	else
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -encrypt -in %s -aes128 -out %s "
			 "%s/doc-b.crt",
			 inner, path, pki());
	return gw_sh(cmd);
}

/* Send a file over SMTP to port; the reply to rcpt. */
static int
smtp_send(int port, const char *from, const char *rcpt, const char *path,
	  struct gw_smtp_rcpt *r)
{
	struct gw_smtp_opts o = {.host = "127.0.0.1",
				 .port = port,
				 .helo = "test.example",
				 .tls = GW_SMTP_TLS_NONE,
				 .timeout_ms = 20000};
	struct stat sb;
	struct gw_err e;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	r->address = rcpt;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0)
		return -1;
	rc = gw_smtp_send(&o, from, r, 1, fd, (uint64_t)sb.st_size, NULL, &e);
	close(fd);
	if (rc != 0 && r->code == 0)
		fprintf(stderr, "    smtp: %s\n", e.msg);
	return r->code;
}

GW_TEST(inbound_openssl_cli_messages_and_refusals_over_smtp)
{
	struct gw_store_injob *rows = NULL;
	struct gw_smtp_rcpt r;
	struct gw_daemon sink;
	struct hisp b;
	char path[700];
	size_t n = 0;
	int pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	/* MDNs are held (no delivery threads): nobody listens for them. */
	REQUIRE(
	    hisp_start(&b, 'b', pb, gw_free_port(), "delivery_workers = 0\n"));
	REQUIRE(addr_add(&b, "doc@direct-b.example", sink.url));

	/* The openssl command line's message is taken and delivered. */
	REQUIRE(make_msg("good", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  250);
	CHECK_INT(wait_sink(&sink, 1), 1);

	/* Each refused before the 250, with the agent's status. */
	REQUIRE(make_msg("stranger", "stranger-a", path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  554);
	CHECK_STR(r.status, "5.7.5");
	REQUIRE(make_msg("expired", "expired-a", path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  554);
	REQUIRE(make_msg("unsigned", NULL, path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  554);
	CHECK_STR(r.status, "5.7.1");
	/* Unknown local address, and not a domain of ours. */
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example",
			    "nobody@direct-b.example", path, &r),
		  550);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@elsewhere.example",
			    path, &r),
		  554);

	/* One message kept, its processed MDN queued; the sink has one. */
	REQUIRE(inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	gw_store_injobs_free(rows, n);
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 1);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

GW_TEST(inbound_sigkill_while_ehr_down_then_posted_once)
{
	struct gw_store_injob *rows = NULL;
	struct gw_smtp_rcpt r;
	struct gw_daemon sink;
	struct hisp b;
	char path[700], url[100];
	size_t n = 0;
	int sp = gw_free_port(), pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(
	    hisp_start(&b, 'b', pb, gw_free_port(), "delivery_workers = 0\n"));
	/* The EHR's port is chosen, but nothing listens there yet. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/xdr", sp);
	REQUIRE(addr_add(&b, "doc@direct-b.example", url));
	REQUIRE(make_msg("killed", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  250);
	sleep(2); /* a failed attempt or two */
	kill(b.d.pid, SIGKILL);
	waitpid(b.d.pid, NULL, 0);
	b.d.pid = 0;

	REQUIRE(gw_ehrsink_start_on(&sink, sp));
	REQUIRE(gw_daemon_restart(&b.d));
	CHECK_INT(wait_sink(&sink, 1), 1);
	sleep(3); /* time enough for a second post, if one came */
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 1);
	REQUIRE(inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(rows[0].rcpts[0].state, "delivered");
		CHECK(rows[0].attempts >= 2);
	}
	gw_store_injobs_free(rows, n);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

GW_TEST(inbound_ehr_refuses_then_failed_mdn)
{
	struct gw_store_injob *rows = NULL;
	struct gw_smtp_rcpt r;
	struct gw_daemon ehr;
	struct hisp a, b;
	char path[700];
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	/*
	 * An XDR Document Recipient that takes nothing from an anonymous
	 * client for this sender: a RegistryResponse Failure
	 * (XDSRepositoryError), final.
	 */
	REQUIRE(gw_daemon_start(&ehr, "client_allow = anonymous "
				      "@nowhere.example\n"));
	REQUIRE(hisp_start(&a, 'a', pa, pb, NULL));
	REQUIRE(hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(addr_add(&b, "doc@direct-b.example", ehr.url));
	REQUIRE(make_msg("refused", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(smtp_send(pb, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  250);
	CHECK_INT(wait_mdns(&a.d, GW_MDN_FAILED, 1, NULL), 1);
	CHECK_INT(mdns(&a.d, GW_MDN_PROCESSED, NULL), 1);
	CHECK_INT(mdns(&a.d, GW_MDN_DISPATCHED, NULL), 0);
	REQUIRE(inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(rows[0].state, "done");
		CHECK_STR(rows[0].rcpts[0].state, "failed");
		CHECK(rows[0].rcpts[0].reason != NULL &&
		      strstr(rows[0].rcpts[0].reason, "XDSRepositoryError"));
	}
	gw_store_injobs_free(rows, n);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr);
}

/* Postfix as the front MTA of direct-b.example relays to dxgw serve. */
GW_TEST(inbound_behind_postfix_front_mta)
{
	struct gw_store_injob *rows = NULL;
	struct gw_smtp_rcpt r;
	struct gw_daemon sink;
	struct hisp b;
	char path[700], base[500], pf[600], relay[64];
	char *slash;
	size_t n = 0;
	int pb = gw_free_port(), pp = gw_free_port();

	REQUIRE(pki()[0] != '\0' && gw_test_pki("mkpki.sh")[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	REQUIRE(
	    hisp_start(&b, 'b', pb, gw_free_port(), "delivery_workers = 0\n"));
	REQUIRE(addr_add(&b, "doc@direct-b.example", sink.url));
	REQUIRE(make_msg("via-postfix", "ehr-a", path, sizeof(path)) == 0);
	/* Postfix drops to its own user: it must reach its directories. */
	snprintf(base, sizeof(base), "%s", gw_test_tmpdir());
	snprintf(pf, sizeof(pf), "%s/postfix", base);
	while ((slash = strrchr(base, '/')) != NULL && slash != base) {
		chmod(base, 0711);
		*slash = '\0';
	}
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", pb);
	REQUIRE(gw_postfix_start(pf, pp, gw_test_pki("mkpki.sh"), relay) == 0);
	CHECK_INT(smtp_send(pp, "ehr@direct-a.example", "doc@direct-b.example",
			    path, &r),
		  250); /* Postfix queued it */
	CHECK_INT(wait_sink(&sink, 1), 1);
	REQUIRE(inbound_rows(&b.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(rows[0].sender, "ehr@direct-a.example");
		CHECK_STR(rows[0].mail_from, "ehr@direct-a.example");
		CHECK_STR(rows[0].rcpts[0].state, "delivered");
	}
	gw_store_injobs_free(rows, n);
	gw_postfix_stop(pf);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

/* ---- delivery tracking: the sender's side (issue 5) ----------------- */

/* The one submission of a HISP's store, its recipients' tracking rows. */
static int
track_rows(const struct gw_daemon *d, struct gw_store_trackrow **rows,
	   size_t *n)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_store *st = NULL;
	char spool[400], **txids = NULL;
	size_t nt = 0;
	struct gw_err e;
	int rc;

	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if ((rc = gw_store_open_opts(d->db, spool, &o, &st, &e)) == 0 &&
	    (rc = gw_store_submission_recent(st, 1, &txids, &nt, &e)) == 0)
		rc = nt == 1 ? gw_store_track_list(st, txids[0], rows, n, &e)
			     : -1;
	if (rc != 0)
		fprintf(stderr, "    store: %s\n",
			nt ? e.msg : "no submission");
	gw_store_txids_free(txids, nt);
	gw_store_close(st);
	return rc;
}

/* The disposition document the EHR sink got (the first one). */
static char *
disposition(const struct gw_daemon *sink, char **summary)
{
	char first[800], p[900];

	if (gw_ehrsink_dirs(sink, first, sizeof(first), NULL) < 1)
		return NULL;
	snprintf(p, sizeof(p), "%s/summary.json", first);
	*summary = gw_test_slurp(p, NULL);
	snprintf(p, sizeof(p), "%s/DOC00001.xml", first);
	return gw_test_slurp(p, NULL);
}

static int
submit_id(const struct hisp *a, const char *msgid)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "--to doc@direct-b.example --message-id %s --timeout 10 "
		 "%s/%s",
		 gw_dxgw(), a->d.url, msgid, gw_test_corpus(), CCD);
	return gw_sh(cmd);
}

#define WSA_ID "urn:uuid:6c1f3c3e-4a4b-4d8e-9f00-5e1d2c3b4a59"

GW_TEST(track_dispatched_once_and_success_to_the_ehr)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_daemon ehr_a, ehr_b;
	struct hisp a, b;
	char *doc, *sum = NULL;
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_ehrsink_start(&ehr_b));
	REQUIRE(hisp_start(&a, 'a', pa, pb, "final_delivery = always\n"));
	REQUIRE(hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	REQUIRE(addr_add(&b, "doc@direct-b.example", ehr_b.url));

	CHECK_INT(submit_id(&a, WSA_ID), 0);
	CHECK_INT(wait_sink(&ehr_b, 1), 1);
	CHECK_INT(wait_sink(&ehr_a, 1), 1);
	doc = disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>success<"));
	CHECK(doc != NULL && gw_str_has(doc, "<direct:recipient>mailto:doc@"
					     "direct-b.example<"));
	CHECK(sum != NULL && gw_str_has(sum, "\"relates_to\": \"" WSA_ID));
	free(doc);
	free(sum);
	REQUIRE(track_rows(&a.d, &rows, &n) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(rows[0].state, "dispatched");
		CHECK(rows[0].final);
		CHECK(rows[0].final_delivery);
		CHECK(rows[0].sent_at > 0);
		CHECK_STR(rows[0].ehr_state, "sent");
	}
	gw_store_trackrows_free(rows, n);
	sleep(2); /* nothing more comes: exactly one positive notice */
	CHECK_INT(gw_ehrsink_dirs(&ehr_a, NULL, 0, NULL), 1);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}

GW_TEST(track_no_processed_mdn_in_time_is_a_failure)
{
	struct gw_daemon ehr_a;
	struct hisp a, b;
	char *doc, *sum = NULL;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(hisp_start(&a, 'a', pa, pb, "mdn_timeout = 2s\n"));
	/* B keeps the message but never works on it: no MDN at all. */
	REQUIRE(hisp_start(&b, 'b', pb, pa, "inbound_workers = 0\n"));
	REQUIRE(addr_add(&a, "ehr@direct-a.example", ehr_a.url));

	CHECK_INT(submit_id(&a, WSA_ID), 0);
	CHECK_INT(wait_sink(&ehr_a, 1), 1);
	doc = disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>failure<"));
	CHECK(doc != NULL && gw_str_has(doc, "no processed MDN within 2s"));
	free(doc);
	free(sum);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
}

/*
 * Processed comes, dispatched does not (B's EHR is down): a failure;
 * when B's EHR comes back the dispatched MDN is late and goes no
 * further than the history.
 */
GW_TEST(track_dispatched_too_late_is_not_forwarded)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_daemon ehr_a, ehr_b;
	struct hisp a, b;
	char *doc, *sum = NULL, url[100];
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port(), pe = gw_free_port();

	REQUIRE(pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(hisp_start(&a, 'a', pa, pb,
			   "final_delivery = always\nmdn_timeout = 3s\n"));
	REQUIRE(hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/xdr", pe);
	REQUIRE(addr_add(&b, "doc@direct-b.example", url));

	CHECK_INT(submit_id(&a, WSA_ID), 0);
	CHECK_INT(wait_mdns(&a.d, GW_MDN_PROCESSED, 1, NULL), 1);
	CHECK_INT(wait_sink(&ehr_a, 1), 1);
	doc = disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>failure<"));
	CHECK(doc != NULL && gw_str_has(doc, "no dispatched MDN within 3s"));
	free(doc);
	free(sum);

	/* B's EHR comes back: B delivers and sends dispatched, too late. */
	REQUIRE(gw_ehrsink_start_on(&ehr_b, pe));
	CHECK_INT(wait_sink(&ehr_b, 1), 1);
	CHECK_INT(wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, NULL), 1);
	sleep(2);
	CHECK_INT(gw_ehrsink_dirs(&ehr_a, NULL, 0, NULL), 1);
	REQUIRE(track_rows(&a.d, &rows, &n) == 0);
	CHECK(n == 1 && strcmp(rows[0].state, "failed") == 0 && rows[0].final);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}
