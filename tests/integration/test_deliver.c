/*
 * Integration: the delivery service over a real store and a scripted
 * SMTP server on loopback: 421 then success after the backoff, 550 for
 * one recipient, relay down until the lifetime runs out, TLS required
 * but not offered, and the backoff schedule.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "itest.h"
#include "smtpsink.h"
#include "spool.h"
#include "store.h"

static const char body[] = "From: ehr@direct-a.example\r\n"
			   "To: doc@direct-b.example\r\n"
			   "\r\n"
			   "pretend S/MIME\r\n";

struct fixture {
	struct gw_config cfg;
	struct gw_store *st;
	char txid[64];
	struct gw_spool_file *doc, *msg;
};

static struct gw_spool_file *
file_with(struct gw_store *st, const char *s)
{
	struct gw_spool_file *f = NULL;
	struct gw_err e;

	if (gw_spool_file_new(gw_store_spool(st), &f, &e) < 0)
		return NULL;
	if (gw_spool_file_write(f, s, strlen(s), &e) < 0 ||
	    gw_spool_file_finish(f, &e) < 0) {
		gw_spool_file_discard(f);
		return NULL;
	}
	return f;
}

/*
 * A store in a fresh directory holding one converted submission: a job
 * for direct-b.example with rcpts, due at now, expiring at now + life.
 */
static bool
setup(struct fixture *fx, const char *name, const char *const *rcpts, size_t n,
      long long now, long life, const char *relay)
{
	char db[600], spool[600];
	struct gw_store_doc d = {.entry_id = "urn:uuid:e1",
				 .unique_id = "2.25.9",
				 .mime_type = "text/xml"};
	struct gw_store_submission s = {.client = "CN=ehr1",
					.message_id = name,
					.sender = "ehr@direct-a.example",
					.recipients = rcpts,
					.nrecipients = n,
					.docs = &d,
					.ndocs = 1,
					.metadata = "<x/>",
					.metadata_len = 4,
					.metadata_level = "XDS"};
	struct gw_store_outmsg om = {.domain = "direct-b.example",
				     .message_id = "<1@direct-a.example>",
				     .mail_from = "ehr@direct-a.example",
				     .rcpts = rcpts,
				     .nrcpts = n};
	struct gw_err e;

	memset(fx, 0, sizeof(*fx));
	gw_config_defaults(&fx->cfg);
	snprintf(db, sizeof(db), "sqlite:%s/%s.db", gw_test_tmpdir(), name);
	snprintf(spool, sizeof(spool), "%s/%s.spool", gw_test_tmpdir(), name);
	if (gw_config_set(&fx->cfg, "relay_host", relay, &e) < 0 ||
	    gw_config_set(&fx->cfg, "smtp_tls", "none", &e) < 0 ||
	    gw_config_set(&fx->cfg, "smtp_timeout", "5s", &e) < 0 ||
	    gw_store_open(db, spool, &fx->st, &e) < 0)
		return false;
	d.file = fx->doc = file_with(fx->st, "<ClinicalDocument/>");
	om.file = fx->msg = file_with(fx->st, body);
	return fx->doc != NULL && fx->msg != NULL &&
	       gw_store_submission_accept(fx->st, &s, fx->txid, &e) == 0 &&
	       gw_store_outbound_queue(fx->st, fx->txid, &om, 1, NULL, 0, now,
				       life, &e) == 0;
}

static void
teardown(struct fixture *fx)
{
	gw_spool_file_discard(fx->doc);
	gw_spool_file_discard(fx->msg);
	gw_store_close(fx->st);
	gw_config_dispose(&fx->cfg);
}

/* State and reason of recipient i. */
static bool
rcpt_is(struct fixture *fx, size_t i, const char *state)
{
	struct gw_store_record *r = NULL;
	struct gw_err e;
	bool ok;

	if (gw_store_submission_get(fx->st, fx->txid, &r, &e) < 0)
		return false;
	ok = i < r->nrecipients && strcmp(r->recipients[i].state, state) == 0;
	if (!ok && i < r->nrecipients)
		fprintf(stderr, "    recipient %zu is %s, not %s\n", i,
			r->recipients[i].state, state);
	gw_store_record_free(r);
	return ok;
}

static char relay[64];

static const char *
relay_of(struct gw_sink *s)
{
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", gw_sink_port(s));
	return relay;
}

static struct gw_sink_script
ok_script(void)
{
	struct gw_sink_script sc = {.greet = 220,
				    .pipelining = true,
				    .size_max = -1,
				    .mail = 250,
				    .data = 354,
				    .dot = 250};
	return sc;
}

GW_TEST(deliver_backoff_schedule)
{
	struct gw_config cfg;

	gw_config_defaults(&cfg);
	CHECK_INT(gw_deliver_backoff(&cfg, 1), 60);
	CHECK_INT(gw_deliver_backoff(&cfg, 2), 120);
	CHECK_INT(gw_deliver_backoff(&cfg, 3), 240);
	CHECK_INT(gw_deliver_backoff(&cfg, 7), 3600);
	CHECK_INT(gw_deliver_backoff(&cfg, 100), 3600);
	gw_config_dispose(&cfg);
}

GW_TEST(deliver_421_then_success)
{
	static const char *const rc1[] = {"doc@direct-b.example"};
	struct gw_sink_script busy = ok_script(), ok = ok_script();
	struct gw_sink_script all[2];
	const struct gw_sink_conn *c;
	struct fixture fx;
	struct gw_sink *s;
	struct gw_err e;
	int done = 0;
	long long now = 1700000000;

	busy.greet = 421;
	all[0] = busy;
	all[1] = ok;
	REQUIRE((s = gw_sink_start(all, 2, NULL, NULL)) != NULL);
	REQUIRE(setup(&fx, "d421", rc1, 1, now, 86400, relay_of(s)));
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, now, &done, &e), 0);
	CHECK_INT(done, 1);
	CHECK(rcpt_is(&fx, 0, "queued"));
	/* Not before the backoff (60 s - 20 %), surely after 60 s + 20 %. */
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, now + 47, &done, &e), 0);
	CHECK_INT(done, 0);
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, now + 73, &done, &e), 0);
	CHECK_INT(done, 1);
	CHECK(rcpt_is(&fx, 0, "sent"));
	/* Finished: nothing more to do, ever. */
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, now + 99999, &done, &e), 0);
	CHECK_INT(done, 0);
	for (int i = 0; i < 50 && gw_sink_count(s) < 2; i++)
		usleep(20000);
	REQUIRE((c = gw_sink_conn(s, 1)) != NULL);
	REQUIRE(c->data != NULL);
	CHECK(c->data_len == strlen(body) &&
	      memcmp(c->data, body, c->data_len) == 0);
	CHECK_STR(c->mail_from, "<ehr@direct-a.example>");
	teardown(&fx);
	gw_sink_stop(s);
}

GW_TEST(deliver_550_for_one_recipient)
{
	static const char *const rc2[] = {"gone@direct-b.example",
					  "doc@direct-b.example"};
	struct gw_sink_script sc = ok_script();
	struct gw_store_record *r = NULL;
	struct fixture fx;
	struct gw_sink *s;
	struct gw_err e;
	int done = 0;

	sc.reject = "gone";
	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	REQUIRE(setup(&fx, "d550", rc2, 2, 1000, 86400, relay_of(s)));
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 1000, &done, &e), 0);
	CHECK(rcpt_is(&fx, 0, "failed"));
	CHECK(rcpt_is(&fx, 1, "sent"));
	REQUIRE(gw_store_submission_get(fx.st, fx.txid, &r, &e) == 0);
	REQUIRE(r->nrecipients == 2);
	CHECK(r->recipients[0].reason != NULL &&
	      strstr(r->recipients[0].reason, "550 5.1.1 no such user") !=
		  NULL);
	gw_store_record_free(r);
	/* Nothing is retried. */
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 999999, &done, &e), 0);
	CHECK_INT(done, 0);
	for (int i = 0; i < 50 && gw_sink_count(s) < 1; i++)
		usleep(20000);
	CHECK_INT(gw_sink_count(s), 1);
	teardown(&fx);
	gw_sink_stop(s);
}

GW_TEST(deliver_relay_down_until_lifetime)
{
	static const char *const rc1[] = {"doc@direct-b.example"};
	struct gw_sink_script sc = ok_script();
	struct fixture fx;
	struct gw_sink *s;
	struct gw_err e;
	char dead[64];
	int done = 0;

	/* A port where nobody listens: start a sink and stop it. */
	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	snprintf(dead, sizeof(dead), "%s", relay_of(s));
	gw_sink_stop(s);
	REQUIRE(setup(&fx, "ddown", rc1, 1, 5000, 600, dead));
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 5000, &done, &e), 0);
	CHECK_INT(done, 1);
	CHECK(rcpt_is(&fx, 0, "queued"));
	/* Past the lifetime the next attempt is the last. */
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 5600, &done, &e), 0);
	CHECK_INT(done, 1);
	CHECK(rcpt_is(&fx, 0, "failed"));
	{
		struct gw_store_job *jobs = NULL;
		size_t n = 9;

		REQUIRE(gw_store_jobs_claim(fx.st, 99999, 1, 8, &jobs, &n,
					    &e) == 0);
		CHECK_INT(n, 0);
		gw_store_jobs_free(jobs, n);
	}
	teardown(&fx);
}

GW_TEST(deliver_tls_required_not_offered_defers)
{
	static const char *const rc1[] = {"doc@direct-b.example"};
	struct gw_sink_script sc = ok_script();
	struct fixture fx;
	struct gw_sink *s;
	struct gw_err e;
	int done = 0;

	REQUIRE((s = gw_sink_start(&sc, 1, NULL, NULL)) != NULL);
	REQUIRE(setup(&fx, "dtls", rc1, 1, 7000, 86400, relay_of(s)));
	REQUIRE(gw_config_set(&fx.cfg, "smtp_tls", "verify", &e) == 0);
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 7000, &done, &e), 0);
	CHECK(rcpt_is(&fx, 0, "queued"));
	/* A per-domain policy may relax it for that domain only. */
	REQUIRE(gw_config_set(&fx.cfg, "smtp_tls_policy",
			      "direct-b.example opportunistic", &e) == 0);
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 7100, &done, &e), 0);
	CHECK(rcpt_is(&fx, 0, "sent"));
	teardown(&fx);
	gw_sink_stop(s);
}

GW_TEST(deliver_451_after_data_then_success)
{
	static const char *const rc1[] = {"doc@direct-b.example"};
	struct gw_sink_script later = ok_script(), ok = ok_script();
	struct gw_sink_script all[2];
	struct fixture fx;
	struct gw_sink *s;
	struct gw_err e;
	int done = 0;

	later.dot = 451; /* the server took the data, then said "later" */
	all[0] = later;
	all[1] = ok;
	REQUIRE((s = gw_sink_start(all, 2, NULL, NULL)) != NULL);
	REQUIRE(setup(&fx, "d451", rc1, 1, 3000, 86400, relay_of(s)));
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 3000, &done, &e), 0);
	CHECK(rcpt_is(&fx, 0, "queued"));
	CHECK_INT(gw_deliver_run(&fx.cfg, fx.st, 3100, &done, &e), 0);
	CHECK_INT(done, 1);
	CHECK(rcpt_is(&fx, 0, "sent"));
	for (int i = 0; i < 50 && gw_sink_count(s) < 2; i++)
		usleep(20000);
	CHECK_INT(gw_sink_count(s), 2);
	teardown(&fx);
	gw_sink_stop(s);
}
