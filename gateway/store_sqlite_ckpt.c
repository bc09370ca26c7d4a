/*
 * NAME
 *	store_sqlite_ckpt - WAL checkpoints off the commit path
 * SUMMARY
 *	SQLite's default auto-checkpoint runs inside the COMMIT that crosses
 *	1000 WAL pages, in the writer thread, while every caller of that
 *	batch waits: the whole copy back into the database file plus its
 *	fsync landed on one unlucky batch (a seventh of the writer's time
 *	under load). Here a thread of its own, with its own connection,
 *	runs PASSIVE checkpoints when the writer's WAL hook says the log has
 *	grown; the writer goes on committing meanwhile.
 * DESCRIPTION
 *	The WAL hook (installed on the write connection, replacing
 *	auto-checkpoint) wakes the thread at CKPT_WAKE_PAGES. A PASSIVE
 *	checkpoint never blocks the writer, so under a steady stream of
 *	commits it may never catch up with the log's end, and SQLite only
 *	rewinds the WAL file after a complete one: past CKPT_FORCE_PAGES the
 *	hook checkpoints inline, the old behaviour, which bounds the WAL.
 *	Durability is unchanged: a commit is durable once its WAL frames are
 *	synced (synchronous=FULL); a checkpoint only moves them.
 * STANDARDS
 *	SQLite WAL mode (sqlite3_wal_hook, sqlite3_wal_checkpoint_v2).
 * LIMITS
 *	One checkpointer per write connection.
 */
#include "store_sqlite_ckpt.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "mem.h"

#define CKPT_WAKE_PAGES  1000
#define CKPT_FORCE_PAGES 16000 /* 64 MiB of 4 KiB pages */
#define CKPT_IDLE_SEC    5     /* also checkpoint a quiet log */

struct gw_sqlckpt {
	sqlite3 *wdb; /* the writer's; only its hook is ours */
	sqlite3 *cdb; /* ours */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool want;
	int done; /* WAL frames the last checkpoint had copied */
	bool stopping;
	bool running;
};

/* A PASSIVE checkpoint; returns how many frames of the log are copied. */
static int
checkpoint(sqlite3 *db, const char *who)
{
	int nlog = 0, nckpt = 0;
	int src = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					    &nlog, &nckpt);

	if (src != SQLITE_OK && src != SQLITE_BUSY && src != SQLITE_LOCKED)
		gw_log_warn(NULL, "store: %s checkpoint: %s", who,
			    sqlite3_errstr(src));
	return nckpt > 0 ? nckpt : 0;
}

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct gw_sqlckpt *c = arg;

	(void)name;
	if (pages >= CKPT_FORCE_PAGES) {
		(void)checkpoint(db, "inline");
		return SQLITE_OK;
	}
	if (pages >= CKPT_WAKE_PAGES) {
		pthread_mutex_lock(&c->mu);
		/*
		 * Under a steady load the log does not rewind between
		 * checkpoints: wake again only once another CKPT_WAKE_PAGES
		 * frames have been appended, not after every commit.
		 */
		if (pages < c->done)
			c->done = 0; /* the log was rewound */
		if (!c->want && pages - c->done >= CKPT_WAKE_PAGES) {
			c->want = true;
			pthread_cond_signal(&c->cv);
		}
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct gw_sqlckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stopping) {
		struct timespec until;
		int done;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CKPT_IDLE_SEC;
		while (!c->want && !c->stopping)
			if (pthread_cond_timedwait(&c->cv, &c->mu, &until) ==
			    ETIMEDOUT)
				break;
		if (c->stopping)
			break;
		c->want = false;
		pthread_mutex_unlock(&c->mu);
		done = checkpoint(c->cdb, "background");
		pthread_mutex_lock(&c->mu);
		c->done = done;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
gw_sqlckpt_start(sqlite3 *wdb, sqlite3 *cdb, struct gw_sqlckpt **out,
		 struct gw_err *err)
{
	struct gw_sqlckpt *c = gw_xcalloc(1, sizeof(*c));
	int rc = -1;

	*out = NULL;
	c->wdb = wdb;
	c->cdb = cdb;
	if (pthread_mutex_init(&c->mu, NULL) != 0 ||
	    pthread_cond_init(&c->cv, NULL) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0",
				"store: checkpointer init");
		goto out;
	}
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0",
				"store: cannot start the checkpointer");
		goto out;
	}
	c->running = true;
	sqlite3_wal_hook(wdb, wal_hook, c);
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(c);
	return rc;
}

void
gw_sqlckpt_stop(struct gw_sqlckpt *c)
{
	if (c == NULL)
		return;
	/* Back to SQLite's own auto-checkpoint for whatever follows. */
	sqlite3_wal_autocheckpoint(c->wdb, CKPT_WAKE_PAGES);
	if (c->running) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
