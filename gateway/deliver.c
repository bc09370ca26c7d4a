/*
 * NAME
 *	deliver - SMTP delivery threads for the outbound queue (see deliver.h)
 * SECURITY
 *	The message file is opened with O_NOFOLLOW from the store's spool
 *	path. Logs name the transaction, recipients' domains, hosts and
 *	reply codes, never message contents.
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "route.h"
#include "smtpcli.h"

#define LEASE_S    900 /* an attempt that takes longer is retried */
#define TICK_S     1
#define CLAIM_EACH 1 /* jobs a thread takes at a time */

struct gw_deliver {
	const struct gw_config *cfg;
	struct gw_store *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	bool kicked;
	pthread_t *th;
	long nth;
};

static long long
now_s(void)
{
	return (long long)time(NULL);
}

long
gw_deliver_backoff(const struct gw_config *cfg, int attempts)
{
	long d = cfg->retry_min;

	for (int i = 1; i < attempts && d < cfg->retry_max; i++)
		d *= 2;
	return d < cfg->retry_max ? d : cfg->retry_max;
}

/* The backoff with +-20 % jitter, so retries of many jobs spread out. */
long
gw_deliver_backoff_jittered(const struct gw_config *cfg, int attempts)
{
	long d = gw_deliver_backoff(cfg, attempts);
	unsigned int r = 0;
	long span = d / 5;

	if (span > 0 && getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		d += (long)(r % (unsigned int)(2 * span + 1)) - span;
	return d > 0 ? d : 1;
}

/* "550 5.1.1 text (host)" */
static void
describe(char *out, size_t len, const struct gw_smtp_rcpt *r, const char *host)
{
	snprintf(out, len, "%d %s %s (%s)", r->code, r->status, r->text, host);
}

/* Try the route's hosts until one answers something but 4xx. */
static int
send_route(const struct gw_config *cfg, const struct gw_route *rt,
	   const struct gw_store_job *job, int fd, struct gw_smtp_rcpt *r,
	   char *host_used, size_t hlen, struct gw_err *err)
{
	int rc = -1;

	for (size_t t = 0; t < rt->n; t++) {
		struct gw_smtp_opts o = {
		    .host = rt->t[t].host,
		    .port = rt->t[t].port,
		    .helo = cfg->smtp_helo[0] ? cfg->smtp_helo : cfg->hostname,
		    .tls = rt->tls,
		    .ca_file = cfg->smtp_tls_ca[0] ? cfg->smtp_tls_ca : NULL,
		    .timeout_ms = (int)cfg->smtp_timeout * 1000,
		};
		bool all4 = true;

		snprintf(host_used, hlen, "%s:%d", o.host, o.port);
		rc = gw_smtp_send(&o, job->mail_from, r, job->nrcpts, fd,
				  job->size, NULL, err);
		if (rc < 0) {
			gw_log_notice(job->txid, "smtp %s: %s", host_used,
				      err->msg);
			continue;
		}
		for (size_t i = 0; i < job->nrcpts; i++)
			all4 = all4 && gw_smtp_class(r[i].code) == 4;
		if (!all4)
			break;
	}
	return rc;
}

/* Turn the replies into outcomes; deferred ones fail once expired. */
static void
outcomes(const struct gw_store_job *job, const struct gw_smtp_rcpt *r,
	 int send_rc, const struct gw_err *serr, const char *host,
	 long long now, struct gw_store_rcpt_result *res, char (*why)[400],
	 bool *any_left)
{
	bool expired = now >= job->expires_at;

	*any_left = false;
	for (size_t i = 0; i < job->nrcpts; i++) {
		int cls = send_rc < 0 ? 0 : gw_smtp_class(r[i].code);

		res[i].address = job->rcpts[i];
		if (cls == 0)
			snprintf(why[i], sizeof(why[i]), "%s %s", serr->status,
				 serr->msg);
		else
			describe(why[i], sizeof(why[i]), &r[i], host);
		res[i].reason = why[i];
		if (cls == 2) {
			res[i].outcome = GW_RCPT_SENT;
		} else if (cls == 5) {
			res[i].outcome = GW_RCPT_FAILED;
		} else if (expired) {
			char last[400];

			snprintf(last, sizeof(last), "%s", why[i]);
			snprintf(why[i], sizeof(why[i]),
				 "4.4.7 gave up after %d attempts: %.300s",
				 job->attempts, last);
			res[i].outcome = GW_RCPT_FAILED;
		} else {
			res[i].outcome = GW_RCPT_DEFERRED;
			*any_left = true;
		}
	}
}

static void
log_outcomes(const struct gw_store_job *job,
	     const struct gw_store_rcpt_result *res)
{
	static const char *const what[] = {"sent", "deferred", "failed"};

	for (size_t i = 0; i < job->nrcpts; i++)
		gw_log_info(job->txid, "%s %s attempt=%d: %s",
			    what[res[i].outcome], res[i].address, job->attempts,
			    res[i].reason);
}

/* All recipients of a job fail or wait with the same reason. */
static void
all_same(const struct gw_store_job *job, struct gw_store_rcpt_result *res,
	 enum gw_rcpt_outcome o, const char *why)
{
	for (size_t i = 0; i < job->nrcpts; i++) {
		res[i].address = job->rcpts[i];
		res[i].outcome = o;
		res[i].reason = why;
	}
}

static int
attempt(const struct gw_config *cfg, struct gw_store *st,
	const struct gw_store_job *job, long long now, struct gw_err *err)
{
	struct gw_smtp_rcpt *r = gw_xcalloc(job->nrcpts + 1, sizeof(*r));
	struct gw_store_rcpt_result *res =
	    gw_xcalloc(job->nrcpts + 1, sizeof(*res));
	char(*why)[400] = gw_xcalloc(job->nrcpts + 1, sizeof(*why));
	struct gw_route rt;
	struct gw_err serr;
	char host[300] = "";
	char single[400];
	long long next = 0;
	bool left = false;
	int fd = -1, src = -1;
	int rc = -1;

	gw_err_clear(&serr);
	for (size_t i = 0; i < job->nrcpts; i++)
		r[i].address = job->rcpts[i];
	if (gw_route_for(cfg, job->domain, &rt, &serr) < 0) {
		snprintf(single, sizeof(single), "%s %s", serr.status,
			 serr.msg);
		if (serr.code == GW_ENOTFOUND || serr.code == GW_EPARSE) {
			all_same(job, res, GW_RCPT_FAILED, single);
		} else {
			all_same(job, res,
				 now >= job->expires_at ? GW_RCPT_FAILED
							: GW_RCPT_DEFERRED,
				 single);
			left = now < job->expires_at;
		}
		goto record;
	}
	fd = open(job->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		/* Only a damaged spool gets here: say so, do not loop. */
		snprintf(single, sizeof(single),
			 "5.3.0 the queued message file is missing (%s)",
			 strerror(errno));
		all_same(job, res, GW_RCPT_FAILED, single);
		goto record;
	}
	src = send_route(cfg, &rt, job, fd, r, host, sizeof(host), &serr);
	outcomes(job, r, src, &serr, host, now, res, why, &left);
record:
	if (left)
		next = now + gw_deliver_backoff_jittered(cfg, job->attempts);
	log_outcomes(job, res);
	rc = gw_store_job_result(st, job, res, job->nrcpts, next,
				 src < 0 && serr.code != 0 ? serr.msg : NULL,
				 err);
	if (fd >= 0)
		close(fd);
	free(r);
	free(res);
	free(why);
	return rc;
}

int
gw_deliver_run(const struct gw_config *cfg, struct gw_store *st, long long now,
	       int *done, struct gw_err *err)
{
	int rc = 0;

	*done = 0;
	for (;;) {
		struct gw_store_job *jobs = NULL;
		size_t n = 0;

		if ((rc = gw_store_jobs_claim(st, now, LEASE_S, 16, &jobs, &n,
					      err)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			rc = attempt(cfg, st, &jobs[i], now, err);
			(*done)++;
		}
		gw_store_jobs_free(jobs, n);
		if (rc < 0 || n == 0)
			break;
	}
	return rc;
}

static void *
deliver_main(void *arg)
{
	struct gw_deliver *d = arg;

	pthread_mutex_lock(&d->mu);
	while (!d->stopping) {
		struct gw_store_job *jobs = NULL;
		struct gw_err err;
		size_t n = 0;
		long long now = now_s();

		pthread_mutex_unlock(&d->mu);
		if (gw_store_jobs_claim(d->st, now, LEASE_S, CLAIM_EACH, &jobs,
					&n, &err) < 0)
			gw_log_err(NULL, "delivery: %s", err.msg);
		for (size_t i = 0; i < n; i++)
			if (attempt(d->cfg, d->st, &jobs[i], now, &err) < 0)
				gw_log_err(jobs[i].txid, "delivery: %s",
					   err.msg);
		gw_store_jobs_free(jobs, n);
		pthread_mutex_lock(&d->mu);
		if (n > 0)
			continue; /* more may be due */
		if (!d->kicked && !d->stopping) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += TICK_S;
			pthread_cond_timedwait(&d->cv, &d->mu, &until);
		}
		d->kicked = false;
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int
gw_deliver_start(const struct gw_config *cfg, struct gw_store *st,
		 struct gw_deliver **out, struct gw_err *err)
{
	struct gw_deliver *d = gw_xcalloc(1, sizeof(*d));
	int rc = -1;

	*out = NULL;
	d->cfg = cfg;
	d->st = st;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if ((rc = gw_store_leases_reset(st, now_s(), err)) < 0)
		goto out;
	d->th = gw_xcalloc((size_t)cfg->delivery_workers + 1, sizeof(*d->th));
	for (long i = 0; i < cfg->delivery_workers; i++) {
		if (pthread_create(&d->th[i], NULL, deliver_main, d) != 0) {
			rc = gw_err_set(err, GW_ETEMP, "4.3.0",
					"delivery: cannot start threads");
			goto out;
		}
		d->nth++;
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	gw_deliver_stop(d);
	return rc;
}

void
gw_deliver_kick(struct gw_deliver *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->kicked = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void
gw_deliver_stop(struct gw_deliver *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	for (long i = 0; i < d->nth; i++)
		pthread_join(d->th[i], NULL);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d->th);
	free(d);
}
