/*
 * NAME
 *	cli_status - dxgw status: what the store says about recent traffic
 * SUMMARY
 *	dxgw status [-c FILE] [-n N] [TXID]
 *	Prints the N (default 10) newest XDR submissions, each recipient
 *	with its state and last word, and the N newest inbound Direct
 *	messages: for a message its recipients' EHR delivery state and
 *	whether their MDN is done; for an MDN or DSN what it reports
 *	(disposition, the original Message-ID, the final recipient).
 *	With TXID (a submission's): each recipient's tracking state, whether
 *	the EHR got its disposition, and its history.
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

#include "config.h"
#include "mdn.h"
#include "spool.h"
#include "store.h"

#define NOTICE_MAX (1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw status [-c FILE] [-n N] [TXID]\n"
		   "  the N (default 10) newest submissions and inbound "
		   "messages,\n"
		   "  or one submission's recipients with their history\n");
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
	for (size_t i = 0; i < n; i++) {
		const struct gw_store_injob *j = &v[i];
		char t[32];

		when(j->received_at, t, sizeof(t));
		printf("  %s  %s  %s %s  from %s  %s\n", j->txid, t, j->kind,
		       j->state, j->sender, j->message_id ? j->message_id : "");
		if (strcmp(j->kind, "message") != 0) {
			notice_line(j);
			continue;
		}
		for (size_t k = 0; k < j->nrcpts; k++)
			printf("    %-32s %-9s mdn:%s %s\n",
			       j->rcpts[k].address, j->rcpts[k].state,
			       j->rcpts[k].notified ? "done" : "owed",
			       j->rcpts[k].reason ? j->rcpts[k].reason : "");
		if (j->last_error != NULL && strcmp(j->state, "done") != 0)
			printf("    next attempt pending: %s\n", j->last_error);
	}
	gw_store_injobs_free(v, n);
	return 0;
}

/* One submission: every recipient's tracking row and history. */
static int
one(struct gw_store *st, const char *txid)
{
	struct gw_store_trackrow *v = NULL;
	struct gw_err err;
	size_t n = 0;

	if (gw_store_track_list(st, txid, &v, &n, &err) != 0) {
		fprintf(stderr, "dxgw status: %s: %s\n", txid, err.msg);
		return 1;
	}
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

int
gw_cli_status(const struct gw_config *cfg, int argc, char **argv)
{
	struct gw_store *st = NULL;
	long max = 10;
	int c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "c:n:h")) != -1) {
		switch (c) {
		case 'c': /* read by main */
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
	if (gw_cli_open_store(cfg, "dxgw status", &st) != 0)
		return 1;
	if (optind < argc) {
		rc = one(st, argv[optind]);
		gw_store_close(st);
		return rc;
	}
	rc = submissions(st, (size_t)max);
	printf("\n");
	if (rc == 0)
		rc = inbound(st, (size_t)max);
	gw_store_close(st);
	return rc;
}
