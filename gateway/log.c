/*
 * NAME
 *	log - levelled logging to stderr or syslog
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum gw_log_level min_level = GW_LOG_INFO;
static int to_syslog;

static const char *const names[] = {"debug", "info", "notice", "warning",
				    "error"};

void
gw_log_setup(enum gw_log_level min, int use_syslog)
{
	min_level = min;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog("dxgw", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
gw_log_level_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void
gw_log(enum gw_log_level lvl, const char *txid, const char *fmt, ...)
{
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING,
				   LOG_ERR};
	char line[1024];
	char stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		line[0] = '\0';
	va_end(ap);
	/* Control characters from peers must not forge log lines. */
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	if (to_syslog) {
		syslog(prio[lvl], "%s: %s", txid ? txid : "-", line);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		stamp[0] = '\0';
	fprintf(stderr, "%s dxgw[%s] %s: %s\n", stamp, names[lvl],
		txid ? txid : "-", line);
}
