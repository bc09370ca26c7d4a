/*
 * NAME
 *	err - errors that carry the status they will be reported as
 * SUMMARY
 *	A function that can fail returns 0 or a negative GW_E* code and fills
 *	the caller's struct gw_err at the point of detection. Callers pass it
 *	up unchanged; gw_err_prefix() adds context without touching the code.
 * STANDARDS
 *	RFC 3463 (enhanced status codes), ITI TF-3 4.2.4.1 (XDS error codes).
 * LIMITS
 *	Messages are truncated to sizeof(msg); the text is ours, so that is
 *	harmless.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

#include <stdbool.h>

enum {
	GW_OK = 0,
	GW_ERROR = -1,     /* anything else */
	GW_ENOTFOUND = -2, /* a looked-up thing does not exist */
	GW_ELIMIT = -3,    /* a configured limit was passed */
	GW_EPARSE = -4,    /* input is malformed */
	GW_ETRUST = -5,    /* a trust or authorisation check failed */
	GW_ETEMP = -6,     /* transient: retry later */
	GW_EUNAVAIL = -7,  /* a peer or resource is unavailable */
	GW_EEXISTS = -8,   /* already there (idempotent duplicate) */
};

struct gw_err {
	int code;
	char status[12]; /* RFC 3463 x.y.z */
	bool temp;
	char msg[256];
};

/* Clear an error record. */
void gw_err_clear(struct gw_err *err);

/*
 * Record an error. status is an RFC 3463 code ("5.6.0"); a 4.x.x status
 * marks the error temporary. Returns code so callers can write
 * "return gw_err_set(...)". err may be NULL.
 */
int gw_err_set(struct gw_err *err, int code, const char *status,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prepend "context: " to the message, keeping code and status. */
void gw_err_prefix(struct gw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short name for a GW_E* code, for logs. */
const char *gw_err_name(int code);

#endif
