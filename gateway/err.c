/*
 * NAME
 *	err - errors that carry their wire status
 * DESCRIPTION
 *	See err.h. Nothing here allocates, so an error can be recorded
 *	even when memory is short.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
gw_err_clear(struct gw_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

int
gw_err_set(struct gw_err *err, int code, const char *status, const char *fmt,
	   ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	snprintf(err->status, sizeof(err->status), "%s",
		 status != NULL ? status : "5.0.0");
	err->temp = err->status[0] == '4';
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
	return code;
}

void
gw_err_prefix(struct gw_err *err, const char *fmt, ...)
{
	char head[128];
	char old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(head, sizeof(head), fmt, ap) < 0)
		head[0] = '\0';
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old) < 0)
		err->msg[0] = '\0';
}

const char *
gw_err_name(int code)
{
	switch (code) {
	case GW_OK:
		return "ok";
	case GW_ENOTFOUND:
		return "not-found";
	case GW_ELIMIT:
		return "limit";
	case GW_EPARSE:
		return "parse";
	case GW_ETRUST:
		return "trust";
	case GW_ETEMP:
		return "temporary";
	case GW_EUNAVAIL:
		return "unavailable";
	case GW_EEXISTS:
		return "exists";
	default:
		return "error";
	}
}
