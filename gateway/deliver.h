/*
 * NAME
 *	deliver - the SMTP delivery service of the outbound queue
 * SUMMARY
 *	Threads that claim due jobs from the store, send each message to
 *	its domain's relay or MX hosts (route, smtpcli), and record every
 *	recipient's fate: sent on 2xx, failed on 5xx, retried on 4xx or no
 *	answer with exponential backoff and jitter until queue_lifetime,
 *	then failed with the last reason.
 * DESCRIPTION
 *	A job is claimed (leased) before the attempt and its result is
 *	committed after the server's final reply, so a crash in between
 *	repeats the attempt: at least once, normally exactly once. On
 *	start, leases of a previous process are released.
 *	Another MX host is tried when a host gives no answer or only 4xx
 *	replies (RFC 5321 5.1).
 * STANDARDS
 *	RFC 5321 4.5.4.1 (retry strategy), 5.1; RFC 3463.
 */
#ifndef GW_DELIVER_H
#define GW_DELIVER_H

#include "config.h"
#include "err.h"
#include "store.h"

struct gw_deliver;

/* Start cfg->delivery_workers threads (none when 0). */
int gw_deliver_start(const struct gw_config *cfg, struct gw_store *st,
		     struct gw_deliver **out, struct gw_err *err);
/* Ask the threads to look for due jobs now (after new jobs). */
void gw_deliver_kick(struct gw_deliver *d);
/* Stop the threads after their current attempt; accepts NULL. */
void gw_deliver_stop(struct gw_deliver *d);

/*
 * One attempt at every job due at now, in the calling thread; *done is
 * the number of jobs attempted. For tests and for "run the queue now".
 */
int gw_deliver_run(const struct gw_config *cfg, struct gw_store *st,
		   long long now, int *done, struct gw_err *err);

/* Seconds to wait before attempt number attempts + 1, without jitter. */
long gw_deliver_backoff(const struct gw_config *cfg, int attempts);
/* The same with +-20 % jitter (retries of many jobs spread out). */
long gw_deliver_backoff_jittered(const struct gw_config *cfg, int attempts);

#endif
