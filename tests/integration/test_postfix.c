/*
 * Integration: delivery through a real Postfix on loopback (a private
 * instance made by scripts/postfix-test.sh) with STARTTLS verified
 * against the test CA, into the mbox file the test reads back.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "itest.h"
#include "spool.h"
#include "store.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = 2 * cap + 8192;
			p = realloc(p, cap);
			if (p == NULL)
				break;
		}
		n = fread(p + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (p != NULL)
		p[len] = '\0';
	return p;
}

GW_TEST(postfix_delivers_over_verified_starttls)
{
	static const char *const rcpt[] = {"doc@direct-b.example"};
	static const char msgtext[] = "From: ehr@direct-a.example\r\n"
				      "To: doc@direct-b.example\r\n"
				      "Message-ID: <pf1@direct-a.example>\r\n"
				      "\r\n"
				      ".leading dot survives\r\n"
				      "the end\r\n";
	struct gw_store_doc d = {.entry_id = "urn:uuid:e1",
				 .unique_id = "2.25.7",
				 .mime_type = "text/xml"};
	struct gw_store_submission s = {.client = "CN=ehr1",
					.message_id = "urn:uuid:pf1",
					.sender = "ehr@direct-a.example",
					.recipients = rcpt,
					.nrecipients = 1,
					.docs = &d,
					.ndocs = 1,
					.metadata = "<x/>",
					.metadata_len = 4,
					.metadata_level = "XDS"};
	struct gw_store_outmsg om = {.domain = "direct-b.example",
				     .message_id = "<pf1@direct-a.example>",
				     .mail_from = "ehr@direct-a.example",
				     .rcpts = rcpt,
				     .nrcpts = 1};
	struct gw_store_record *r = NULL;
	struct gw_spool_file *fd = NULL, *fm = NULL;
	struct gw_store *st = NULL;
	struct gw_config cfg;
	char pki[600], pf[600], db[700], spool[700], relay[64], ca[700];
	char mbox[700], txid[64], cmd[700];
	char *box = NULL;
	struct gw_err e;
	int port = gw_free_port(), done = 0;

	REQUIRE(port > 0);
	{
		/* One directory; Postfix's own user must be able to reach it.
		 */
		char base[500];
		char *slash;

		snprintf(base, sizeof(base), "%s", gw_test_tmpdir());
		snprintf(pki, sizeof(pki), "%s/pf-pki", base);
		snprintf(pf, sizeof(pf), "%s/postfix", base);
		while ((slash = strrchr(base, '/')) != NULL && slash != base) {
			chmod(base, 0711);
			*slash = '\0';
		}
	}
	snprintf(cmd, sizeof(cmd), "sh certs/mkpki.sh %s", pki);
	REQUIRE(gw_run(cmd, NULL) == 0);
	REQUIRE(gw_postfix_start(pf, port, pki, NULL) == 0);

	gw_config_defaults(&cfg);
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	REQUIRE(gw_config_set(&cfg, "relay_host", relay, &e) == 0);
	REQUIRE(gw_config_set(&cfg, "smtp_tls_ca", ca, &e) == 0);
	snprintf(db, sizeof(db), "sqlite:%s/pf.db", gw_test_tmpdir());
	snprintf(spool, sizeof(spool), "%s/pf.spool", gw_test_tmpdir());
	REQUIRE(gw_store_open(db, spool, &st, &e) == 0);
	REQUIRE(gw_spool_file_new(gw_store_spool(st), &fd, &e) == 0);
	REQUIRE(gw_spool_file_write(fd, "<x/>", 4, &e) == 0 &&
		gw_spool_file_finish(fd, &e) == 0);
	REQUIRE(gw_spool_file_new(gw_store_spool(st), &fm, &e) == 0);
	REQUIRE(gw_spool_file_write(fm, msgtext, sizeof(msgtext) - 1, &e) ==
		    0 &&
		gw_spool_file_finish(fm, &e) == 0);
	d.file = fd;
	om.file = fm;
	REQUIRE(gw_store_submission_accept(st, &s, txid, &e) == 0);
	REQUIRE(gw_store_outbound_queue(st, txid, &om, 1, NULL, 0, time(NULL),
					3600, &e) == 0);
	/* smtp_tls = verify (the default): Postfix's certificate must pass. */
	CHECK_INT(gw_deliver_run(&cfg, st, time(NULL), &done, &e), 0);
	CHECK_INT(done, 1);
	REQUIRE(gw_store_submission_get(st, txid, &r, &e) == 0);
	REQUIRE(r->nrecipients == 1);
	CHECK_STR(r->recipients[0].state, "sent");
	gw_store_record_free(r);

	snprintf(mbox, sizeof(mbox), "%s/mail/direct-b.example", pf);
	for (int i = 0; i < 100; i++) {
		free(box);
		box = slurp(mbox);
		if (box != NULL && strstr(box, "the end") != NULL)
			break;
		usleep(100000);
	}
	REQUIRE(box != NULL);
	CHECK(strstr(box, "Message-ID: <pf1@direct-a.example>") != NULL);
	CHECK(strstr(box, "\n.leading dot survives\n") != NULL);
	CHECK(strstr(box, "Delivered-To: doc@direct-b.example") != NULL);
	/* Postfix notes the TLS session in its Received header. */
	CHECK(strstr(box, "using TLS") != NULL);
	free(box);
	gw_spool_file_discard(fd);
	gw_spool_file_discard(fm);
	gw_store_close(st);
	gw_config_dispose(&cfg);
	gw_postfix_stop(pf);
}
