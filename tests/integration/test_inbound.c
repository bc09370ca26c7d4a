/*
 * Integration, the inbound leg through real daemons: two HISPs (two
 * dxgw serve processes with their own domains, keys and anchors) and a
 * dxgw ehr-sink behind the receiving one. An ITI-41 submission to HISP A
 * travels as Direct mail to HISP B, whose EHR gets the documents, and
 * the processed and dispatched MDNs travel back to A. Messages made by
 * the openssl command line are accepted; untrusted ones are refused in
 * SMTP's own terms; a SIGKILL while the EHR is down loses nothing and
 * posts once; an EHR that refuses gets the sender a failed MDN; Postfix
 * in front of dxgw relays to it.
 */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hisp.h"

GW_TEST(inbound_two_hisps_xdr_to_ehr_with_mdns)
{
	struct gw_store_injob *rows = NULL;
	struct gw_hisp a, b;
	struct gw_daemon sink;
	char url[200], first[800], p[900];
	bool ext = false;
	size_t n = 0;
	char *sum;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, "final_delivery = always\n"));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	snprintf(url, sizeof(url), "%s", sink.url);
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", NULL), 0);
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);
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
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_PROCESSED, 1, NULL), 1);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, &ext), 1);
	CHECK(ext);
	/* At B: the message is done, delivered, and nothing answered twice. */
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
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
	CHECK_INT(gw_hisp_mdns(&a.d, GW_MDN_PROCESSED, NULL), 1);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&sink);
}

GW_TEST(inbound_openssl_cli_messages_and_refusals_over_smtp)
{
	struct gw_store_injob *rows = NULL;
	struct gw_smtp_rcpt r;
	struct gw_daemon sink;
	struct gw_hisp b;
	char path[700];
	size_t n = 0;
	int pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	/* MDNs are held (no delivery threads): nobody listens for them. */
	REQUIRE(gw_hisp_start(&b, 'b', pb, gw_free_port(),
			      "delivery_workers = 0\n"));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", sink.url));

	/* The openssl command line's message is taken and delivered. */
	REQUIRE(gw_hisp_make_msg("good", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  250);
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);

	/* Each refused before the 250, with the agent's status. */
	REQUIRE(gw_hisp_make_msg("stranger", "stranger-a", path,
				 sizeof(path)) == 0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  554);
	CHECK_STR(r.status, "5.7.5");
	REQUIRE(gw_hisp_make_msg("expired", "expired-a", path, sizeof(path)) ==
		0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  554);
	REQUIRE(gw_hisp_make_msg("unsigned", NULL, path, sizeof(path)) == 0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  554);
	CHECK_STR(r.status, "5.7.1");
	/* Unknown local address, and not a domain of ours. */
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "nobody@direct-b.example", path, &r),
		  550);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@elsewhere.example", path, &r),
		  554);

	/* One message kept, its processed MDN queued; the sink has one. */
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
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
	struct gw_hisp b;
	char path[700], url[100];
	size_t n = 0;
	int sp = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_hisp_start(&b, 'b', pb, gw_free_port(),
			      "delivery_workers = 0\n"));
	/* The EHR's port is chosen, but nothing listens there yet. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/xdr", sp);
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", url));
	REQUIRE(gw_hisp_make_msg("killed", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  250);
	sleep(2); /* a failed attempt or two */
	kill(b.d.pid, SIGKILL);
	waitpid(b.d.pid, NULL, 0);
	b.d.pid = 0;

	REQUIRE(gw_ehrsink_start_on(&sink, sp));
	REQUIRE(gw_daemon_restart(&b.d));
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);
	sleep(3); /* time enough for a second post, if one came */
	CHECK_INT(gw_ehrsink_dirs(&sink, NULL, 0, NULL), 1);
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
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
	struct gw_hisp a, b;
	char path[700];
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	/*
	 * An XDR Document Recipient that takes nothing from an anonymous
	 * client for this sender: a RegistryResponse Failure
	 * (XDSRepositoryError), final.
	 */
	REQUIRE(gw_daemon_start(&ehr, "client_allow = anonymous "
				      "@nowhere.example\n"));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, NULL));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", ehr.url));
	REQUIRE(gw_hisp_make_msg("refused", "ehr-a", path, sizeof(path)) == 0);
	CHECK_INT(gw_hisp_smtp_send(pb, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  250);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_FAILED, 1, NULL), 1);
	CHECK_INT(gw_hisp_mdns(&a.d, GW_MDN_PROCESSED, NULL), 1);
	CHECK_INT(gw_hisp_mdns(&a.d, GW_MDN_DISPATCHED, NULL), 0);
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
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
	struct gw_hisp b;
	char path[700], base[500], pf[600], relay[64];
	char *slash;
	size_t n = 0;
	int pb = gw_free_port(), pp = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0' && gw_test_pki("mkpki.sh")[0] != '\0');
	REQUIRE(gw_ehrsink_start(&sink));
	REQUIRE(gw_hisp_start(&b, 'b', pb, gw_free_port(),
			      "delivery_workers = 0\n"));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", sink.url));
	REQUIRE(gw_hisp_make_msg("via-postfix", "ehr-a", path, sizeof(path)) ==
		0);
	/* Postfix drops to its own user: it must reach its directories. */
	snprintf(base, sizeof(base), "%s", gw_test_tmpdir());
	snprintf(pf, sizeof(pf), "%s/postfix", base);
	while ((slash = strrchr(base, '/')) != NULL && slash != base) {
		chmod(base, 0711);
		*slash = '\0';
	}
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", pb);
	REQUIRE(gw_postfix_start(pf, pp, gw_test_pki("mkpki.sh"), relay) == 0);
	CHECK_INT(gw_hisp_smtp_send(pp, "ehr@direct-a.example",
				    "doc@direct-b.example", path, &r),
		  250); /* Postfix queued it */
	CHECK_INT(gw_ehrsink_wait(&sink, 1), 1);
	REQUIRE(gw_hisp_inbound_rows(&b.d, &rows, &n) == 0);
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
