/*
 * NAME
 *	cli_status - dxgw status: what the store says about recent traffic
 * SUMMARY
 *	dxgw status [-c FILE] [-n N] [-j] [ID]
 *	Prints the queue depths and recipient counts (what GET /metrics
 *	reports), the N (default 10) newest XDR submissions, each recipient
 *	with its state and last word, and the N newest inbound Direct
 *	messages: for a message its recipients' EHR delivery state and
 *	whether their MDN is done; for an MDN or DSN what it reports
 *	(disposition, the original Message-ID, the final recipient).
 *	With ID (a txid, a wsa:MessageID, or the Message-ID of a Direct
 *	message, with or without its <>): that message, as GET
 *	/v1/messages/<id> finds it; for a submission each recipient's
 *	tracking state, whether the EHR got its disposition, and its
 *	history. -j prints the admin API's JSON instead.
 *	Read-only; safe while the daemon runs.
 * SECURITY
 *	Shows addresses, identifiers and states, never document contents
 *	or subjects.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adminapi.h"
#include "config.h"
#include "mdn.h"
#include "spool.h"
#include "store.h"

#define NOTICE_MAX (1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw status [-c FILE] [-n N] [-j] [ID]\n"
		   "  queues, and the N (default 10) newest submissions and "
		   "inbound messages,\n"
		   "  or one message (ID: txid, wsa:MessageID or Message-ID) "
		   "with each\n"
		   "  recipient's state and history; -j: as JSON (the admin "
		   "API's)\n");
}

/* What GET /metrics says about queues and states, in two lines. */
static int
queues(struct gw_store *st)
{
	static const char *const states[] = {
	    "queued", "sent", "processed", "dispatched", "failed", "timed-out"};
	struct gw_store_metrics m;
	struct gw_err err;

	if (gw_store_metrics_read(st, 0, &m, &err) != 0) {
		fprintf(stderr, "dxgw status: %s\n", err.msg);
		gw_store_metrics_dispose(&m);
		return 1;
	}
	printf("queues: to convert %lld, Direct out %lld, our MDNs %lld, "
	       "inbound to deliver %lld,\n        dispositions owed %lld, "
	       "notices to track %lld\nrecipients:",
	       m.converting, m.outbound, m.notices, m.inbound, m.ehr_owed,
	       m.untracked);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		long long n = 0;

		for (size_t k = 0; k < m.nrcpt_states; k++)
			if (strcmp(m.rcpt_states[k].key, states[i]) == 0)
				n = m.rcpt_states[k].n;
		printf(" %s %lld", states[i], n);
	}
	printf("\n\n");
	gw_store_metrics_dispose(&m);
	return 0;
}

static int
submissions(struct gw_store *st, size_t max)
{
	char **txids = NULL;
	size_t n = 0;
	struct gw_err err;

	if (gw_store_submission_recent(st, max, &txids, &n, &err) != 0) {
		fprintf(stderr, "dxgw status: %s\n", err.msg);
		return 1;
	}
	printf("submissions (XDR in, Direct out): %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		struct gw_store_record *r = NULL;

		if (gw_store_submission_get(st, txids[i], &r, &err) != 0)
			continue;
		printf("  %s  %s  from %s  %s\n", r->txid, r->received_at,
		       r->sender ? r->sender : "-", r->message_id);
		for (size_t k = 0; k < r->nrecipients; k++)
			printf("    %-32s %-8s %s\n", r->recipients[k].address,
			       r->recipients[k].state,
			       r->recipients[k].reason ? r->recipients[k].reason
						       : "");
		gw_store_record_free(r);
	}
	gw_store_txids_free(txids, n);
	return 0;
}

static const char *const disp[] = {"processed", "dispatched", "failed",
				   "other"};

/* What a kept MDN or DSN reports, on one line. */
static void
notice_line(const struct gw_store_injob *j)
{
	struct gw_mdn_info mi;
	struct gw_err err;
	char *m = NULL;
	size_t len = 0;

	if (gw_spool_file_read(j->path, NOTICE_MAX, &m, &len, &err) != 0 ||
	    gw_mdn_parse(m, len, &mi, &err) != 0) {
		printf("    (unreadable: %s)\n", err.msg);
		free(m);
		return;
	}
	printf("    %s %s%s for %s from %s\n", mi.is_dsn ? "DSN" : "MDN",
	       mi.is_dsn ? (mi.status[0] ? mi.status : "?")
			 : disp[mi.disposition],
	       mi.final_delivery_ext ? " (final delivery)" : "",
	       mi.orig_msgid[0] ? mi.orig_msgid : "?",
	       mi.final_recipient[0] ? mi.final_recipient : j->sender);
	free(m);
}

static void
when(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(out, len, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One inbound message (or MDN, DSN) and its recipients. */
static void
inbound_one(const struct gw_store_injob *j)
{
	char t[32];

	when(j->received_at, t, sizeof(t));
	printf("  %s  %s  %s %s  from %s  %s\n", j->txid, t, j->kind, j->state,
	       j->sender, j->message_id ? j->message_id : "");
	if (strcmp(j->kind, "message") != 0) {
		notice_line(j);
		return;
	}
	for (size_t k = 0; k < j->nrcpts; k++)
		printf("    %-32s %-9s mdn:%s %s\n", j->rcpts[k].address,
		       j->rcpts[k].state,
		       j->rcpts[k].notified ? "done" : "owed",
		       j->rcpts[k].reason ? j->rcpts[k].reason : "");
	if (j->last_error != NULL && strcmp(j->state, "done") != 0)
		printf("    next attempt pending: %s\n", j->last_error);
}

static int
inbound(struct gw_store *st, size_t max)
{
	struct gw_store_injob *v = NULL;
	struct gw_err err;
	size_t n = 0;

	if (gw_store_inbound_list(st, max, &v, &n, &err) != 0) {
		fprintf(stderr, "dxgw status: %s\n", err.msg);
		return 1;
	}
	printf("inbound (Direct in, XDR out): %zu\n", n);
	for (size_t i = 0; i < n; i++)
		inbound_one(&v[i]);
	gw_store_injobs_free(v, n);
	return 0;
}

/* One submission: every recipient's tracking row and history. */
static int
submission_one(struct gw_store *st, const char *txid)
{
	struct gw_store_trackrow *v = NULL;
	struct gw_store_record *r = NULL;
	struct gw_err err;
	size_t n = 0;

	if (gw_store_submission_get(st, txid, &r, &err) != 0 ||
	    gw_store_track_list(st, txid, &v, &n, &err) != 0) {
		fprintf(stderr, "dxgw status: %s: %s\n", txid, err.msg);
		gw_store_record_free(r);
		return 1;
	}
	printf("submission %s  %s  from %s  %s\n", r->txid, r->received_at,
	       r->sender ? r->sender : "-", r->message_id);
	gw_store_record_free(r);
	for (size_t i = 0; i < n; i++) {
		struct gw_store_event *ev = NULL;
		size_t ne = 0;
		char t[32];

		printf("%s  %s%s  final delivery %s  EHR notice %s\n",
		       v[i].address, v[i].state, v[i].final ? " (final)" : "",
		       v[i].final_delivery ? "asked" : "not asked",
		       v[i].ehr_state ? v[i].ehr_state : "-");
		if (v[i].reason != NULL)
			printf("  reason: %s\n", v[i].reason);
		if (v[i].message_id != NULL)
			printf("  message: %s\n", v[i].message_id);
		if (gw_store_track_history(st, txid, v[i].address, &ev, &ne,
					   &err) != 0)
			continue;
		for (size_t k = 0; k < ne; k++) {
			when(ev[k].at, t, sizeof(t));
			printf("  %s  %s%s%s\n", t, ev[k].event,
			       ev[k].detail ? ": " : "",
			       ev[k].detail ? ev[k].detail : "");
		}
		gw_store_events_free(ev, ne);
	}
	gw_store_trackrows_free(v, n);
	return 0;
}

/* The messages id names (as the admin API finds them), or their JSON. */
static int
one(struct gw_store *st, const char *id, bool json)
{
	struct gw_store_match *m = NULL;
	struct gw_err err;
	size_t n = 0;
	int rc = 0;

	if (gw_adminapi_lookup(st, id, &m, &n, &err) != 0) {
		fprintf(stderr, "dxgw status: %s\n", err.msg);
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "dxgw status: no message %s\n", id);
		rc = 1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (json) {
			struct gw_buf b;

			gw_buf_init(&b, GW_ADMINAPI_BODY_MAX);
			if (gw_adminapi_message_json(st, &m[i], &b, &err) !=
			    0) {
				fprintf(stderr, "dxgw status: %s\n", err.msg);
				rc = 1;
			} else {
				fwrite(b.data, 1, b.len, stdout);
			}
			gw_buf_dispose(&b);
		} else if (m[i].inbound) {
			struct gw_store_injob *j = NULL;

			if (gw_store_inbound_get(st, m[i].txid, &j, &err) !=
			    0) {
				fprintf(stderr, "dxgw status: %s\n", err.msg);
				rc = 1;
				continue;
			}
			printf("inbound:\n");
			inbound_one(j);
			gw_store_injobs_free(j, 1);
		} else {
			rc = submission_one(st, m[i].txid);
		}
	}
	free(m);
	return rc;
}

int
gw_cli_status(const struct gw_config *cfg, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"json", 0, NULL, 'j'},
	    {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct gw_store *st = NULL;
	bool json = false;
	long max = 10;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:jh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': /* read by main */
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			max = strtol(optarg, NULL, 10);
			if (max < 1 || max > 10000) {
				fprintf(stderr, "dxgw status: -n 1..10000\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 < argc) {
		usage(stderr);
		return 2;
	}
	if (json && optind == argc) { /* JSON of one message only */
		usage(stderr);
		return 2;
	}
	if (gw_cli_open_store(cfg, "dxgw status", &st) != 0)
		return 1;
	if (optind < argc) {
		rc = one(st, argv[optind], json);
		gw_store_close(st);
		return rc;
	}
	rc = queues(st);
	if (rc == 0)
		rc = submissions(st, (size_t)max);
	printf("\n");
	if (rc == 0)
		rc = inbound(st, (size_t)max);
	gw_store_close(st);
	return rc;
}
