/*
 * Integration, delivery tracking on the sender's side (issue 5) with two
 * real HISPs: exactly one final outcome per recipient, driven by the
 * MDNs that come back and by the timer, and reported to the sending
 * EHR as a direct:messageDisposition (what its ehr-sink receives).
 * The ETT delivery-notification scenarios for an XDR edge, replayed
 * with our own fixtures and short timers.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hisp.h"
#include "xdrtest.h"

#define WSA_ID "urn:uuid:6c1f3c3e-4a4b-4d8e-9f00-5e1d2c3b4a59"

GW_TEST(track_dispatched_once_and_success_to_the_ehr)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_daemon ehr_a, ehr_b;
	struct gw_hisp a, b;
	char *doc, *sum = NULL;
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_ehrsink_start(&ehr_b));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, "final_delivery = always\n"));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", ehr_b.url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", WSA_ID), 0);
	CHECK_INT(gw_ehrsink_wait(&ehr_b, 1), 1);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>success<"));
	CHECK(doc != NULL && gw_str_has(doc, "<direct:recipient>mailto:doc@"
					     "direct-b.example<"));
	CHECK(sum != NULL && gw_str_has(sum, "\"relates_to\": \"" WSA_ID));
	free(doc);
	free(sum);
	REQUIRE(gw_hisp_track_rows(&a.d, &rows, &n) == 0);
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
	struct gw_hisp a, b;
	char *doc, *sum = NULL;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, "mdn_timeout = 2s\n"));
	/* B keeps the message but never works on it: no MDN at all. */
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, "inbound_workers = 0\n"));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", WSA_ID), 0);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
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
	struct gw_hisp a, b;
	char *doc, *sum = NULL, url[100];
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port(), pe = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb,
			      "final_delivery = always\nmdn_timeout = 3s\n"));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/xdr", pe);
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", WSA_ID), 0);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_PROCESSED, 1, NULL), 1);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>failure<"));
	CHECK(doc != NULL && gw_str_has(doc, "no dispatched MDN within 3s"));
	free(doc);
	free(sum);

	/* B's EHR comes back: B delivers and sends dispatched, too late. */
	REQUIRE(gw_ehrsink_start_on(&ehr_b, pe));
	CHECK_INT(gw_ehrsink_wait(&ehr_b, 1), 1);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_DISPATCHED, 1, NULL), 1);
	sleep(2);
	CHECK_INT(gw_ehrsink_dirs(&ehr_a, NULL, 0, NULL), 1);
	REQUIRE(gw_hisp_track_rows(&a.d, &rows, &n) == 0);
	CHECK(n == 1 && strcmp(rows[0].state, "timed-out") == 0 &&
	      rows[0].final);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}

/* The dispositions a sink got, concatenated (documents only). */
static char *
all_dispositions(const struct gw_daemon *sink)
{
	char cmd[1200], *out = NULL;

	snprintf(cmd, sizeof(cmd), "cat %s/sink/*/DOC00001.xml", sink->dir);
	return gw_run(cmd, &out) == 0 ? out : (free(out), NULL);
}

/*
 * Found out after the Success (recipient_check = async): no certificate
 * published, and a certificate that does not chain to our anchors. Each
 * becomes a failure disposition that says so.
 */
GW_TEST(track_no_certificate_and_untrusted_reported_to_the_ehr)
{
	struct gw_daemon ehr_a;
	struct gw_hisp a;
	char cmd[4096], *all;
	int pa = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_hisp_start(&a, 'a', pa, gw_free_port(),
			      "recipient_check = async\n"));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	/* doc@direct-b.example: only a certificate under anchor-x. */
	gw_daemon_stop(&a.d);
	snprintf(cmd, sizeof(cmd),
		 "rm -f %s/certs/* && %s cert import -c %s %s/stranger.crt",
		 a.keys, gw_dxgw(), a.d.conf, gw_hisp_pki());
	REQUIRE(gw_sh(cmd) == 0);
	REQUIRE(gw_daemon_restart(&a.d));

	CHECK_INT(gw_hisp_submit(&a,
				 "doc@direct-b.example --to "
				 "nobody@direct-c.example",
				 WSA_ID),
		  0);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 2), 2);
	all = all_dispositions(&ehr_a);
	CHECK(all != NULL && gw_str_has(all, "mailto:nobody@direct-c.example"));
	CHECK(all != NULL && gw_str_has(all, "no certificate published"));
	CHECK(all != NULL && gw_str_has(all, "mailto:doc@direct-b.example"));
	CHECK(all != NULL && gw_str_has(all, "no usable certificate"));
	CHECK(all != NULL && gw_str_has(all, "issued by CN=Stranger anchor"));
	CHECK(all != NULL && !gw_str_has(all, ">success<"));
	if (all != NULL && !gw_str_has(all, "no usable certificate"))
		fprintf(stderr, "    %s\n", all);
	free(all);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	gw_daemon_stop(&ehr_a);
}

/* The remote HISP has no such address: its 550 is the reason. */
GW_TEST(track_remote_unknown_address_reported_to_the_ehr)
{
	struct gw_daemon ehr_a;
	struct gw_hisp a, b;
	char cmd[2048], *doc, *sum = NULL;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, NULL));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	/* A can encrypt to anyone at direct-b.example: its domain cert. */
	gw_daemon_stop(&a.d);
	snprintf(cmd, sizeof(cmd), "%s cert import -c %s %s/dom-b.crt",
		 gw_dxgw(), a.d.conf, gw_hisp_pki());
	REQUIRE(gw_sh(cmd) == 0);
	REQUIRE(gw_daemon_restart(&a.d));

	CHECK_INT(gw_hisp_submit(&a, "nobody@direct-b.example", WSA_ID), 0);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>failure<"));
	CHECK(doc != NULL && gw_str_has(doc, "550 5.1.1"));
	free(doc);
	free(sum);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
}

/*
 * The receiving HISP's EHR refuses the documents: processed first, then
 * a failed MDN; the sending EHR hears of the failure, once.
 */
GW_TEST(track_receiving_ehr_refuses_failure_reported_once)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_daemon ehr_a, ehr_b;
	struct gw_hisp a, b;
	char *doc, *sum = NULL;
	size_t n = 0;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	/* An XDR recipient that takes nothing from this sender: Failure. */
	REQUIRE(gw_daemon_start(&ehr_b, "client_allow = anonymous "
					"@nowhere.example\n"));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, "final_delivery = always\n"));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", ehr_b.url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", WSA_ID), 0);
	CHECK_INT(gw_hisp_wait_mdns(&a.d, GW_MDN_FAILED, 1, NULL), 1);
	CHECK_INT(gw_hisp_mdns(&a.d, GW_MDN_PROCESSED, NULL), 1);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, "<direct:disposition>failure<"));
	CHECK(doc != NULL && gw_str_has(doc, "reported failed"));
	/* B's words travel in the MDN: the EHR's RegistryError. */
	CHECK(doc != NULL && gw_str_has(doc, "XDSRepositoryError"));
	free(doc);
	free(sum);
	sleep(2);
	CHECK_INT(gw_ehrsink_dirs(&ehr_a, NULL, 0, NULL), 1);
	REQUIRE(gw_hisp_track_rows(&a.d, &rows, &n) == 0);
	CHECK(n == 1 && strcmp(rows[0].state, "failed") == 0 && rows[0].final);
	gw_store_trackrows_free(rows, n);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}

/*
 * The address block's X-DIRECT-FINAL-DESTINATION-DELIVERY as ETT sends
 * it: "true" asks for final delivery (dispatched completes it), a
 * malformed value does not (processed completes it) - either way one
 * success disposition.
 */
static void
flag_case(const struct gw_hisp *a, const struct gw_daemon *ehr_a,
	  const char *flag, int nth, const char *want_state)
{
	struct gw_store_trackrow *rows = NULL;
	struct gw_http_resp r;
	char msgid[64], block[300], *env, *t;
	size_t n = 0;

	xt_msgid(msgid);
	env = xt_ett("Xdr_minimal_metadata.xml", a->d.url, msgid);
	REQUIRE(env != NULL);
	t = gw_str_replace(env, "sender@direct.dxgw.test",
			   "ehr@direct-a.example");
	free(env);
	env = gw_str_replace(t, "recipient@direct.other.test",
			     "doc@direct-b.example");
	free(t);
	snprintf(block, sizeof(block),
		 "<direct:X-DIRECT-FINAL-DESTINATION-DELIVERY>%s</direct:X-"
		 "DIRECT-FINAL-DESTINATION-DELIVERY></direct:addressBlock>",
		 flag);
	t = gw_str_replace(env, "</direct:addressBlock>", block);
	free(env);
	REQUIRE(t != NULL && xt_post(&a->d, t, NULL, 0, &r));
	CHECK(r.status == 200 && gw_str_has(r.body, RS_SUCCESS));
	gw_http_resp_dispose(&r);
	free(t);
	CHECK_INT(gw_ehrsink_wait(ehr_a, nth), nth);
	REQUIRE(gw_hisp_track_rows(&a->d, &rows, &n) == 0);
	CHECK(n == 1 && strcmp(rows[0].state, want_state) == 0 &&
	      rows[0].final);
	if (n == 1 && strcmp(rows[0].state, want_state) != 0)
		fprintf(stderr, "    flag %s: state %s\n", flag, rows[0].state);
	gw_store_trackrows_free(rows, n);
}

GW_TEST(track_final_delivery_flag_valid_and_malformed)
{
	struct gw_daemon ehr_a, ehr_b;
	struct gw_hisp a, b;
	char *all;
	int pa = gw_free_port(), pb = gw_free_port();

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_ehrsink_start(&ehr_b));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, NULL));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", ehr_b.url));
	flag_case(&a, &ehr_a, "true", 1, "dispatched");
	flag_case(&a, &ehr_a, "maybe", 2, "processed");
	all = all_dispositions(&ehr_a);
	CHECK(all != NULL && !gw_str_has(all, ">failure<"));
	free(all);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}

/*
 * The same without final delivery asked: the receiving HISP answers the
 * EHR's refusal with a DSN (Action: failed) rather than a failed MDN.
 * Its processed MDN went first and completes a basic message (SPEC.md
 * 2.6), so the DSN is late: written to the history, not forwarded.
 */
GW_TEST(track_receiving_ehr_refuses_dsn_without_final_delivery)
{
	struct gw_daemon ehr_a, ehr_b;
	struct gw_hisp a, b;
	char *doc, *sum = NULL;
	int pa = gw_free_port(), pb = gw_free_port(), got = 0;

	REQUIRE(gw_hisp_pki()[0] != '\0');
	REQUIRE(gw_ehrsink_start(&ehr_a));
	REQUIRE(gw_daemon_start(&ehr_b, "client_allow = anonymous "
					"@nowhere.example\n"));
	REQUIRE(gw_hisp_start(&a, 'a', pa, pb, NULL));
	REQUIRE(gw_hisp_start(&b, 'b', pb, pa, NULL));
	REQUIRE(gw_hisp_addr_add(&a, "ehr@direct-a.example", ehr_a.url));
	REQUIRE(gw_hisp_addr_add(&b, "doc@direct-b.example", ehr_b.url));

	CHECK_INT(gw_hisp_submit(&a, "doc@direct-b.example", WSA_ID), 0);
	for (int i = 0; i < 300 && got < 1; i++, usleep(100000))
		got = gw_hisp_history_has(&a.d, "ignored failure notice");
	CHECK_INT(got, 1);
	CHECK_INT(gw_hisp_notices(&a.d, "dsn"), 1);
	CHECK_INT(gw_ehrsink_wait(&ehr_a, 1), 1);
	doc = gw_hisp_disposition(&ehr_a, &sum);
	CHECK(doc != NULL && gw_str_has(doc, ">success<"));
	free(doc);
	free(sum);
	sleep(1);
	CHECK_INT(gw_ehrsink_dirs(&ehr_a, NULL, 0, NULL), 1);
	CHECK_INT(gw_daemon_stop(&a.d), 0);
	CHECK_INT(gw_daemon_stop(&b.d), 0);
	gw_daemon_stop(&ehr_a);
	gw_daemon_stop(&ehr_b);
}
