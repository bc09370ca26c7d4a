/*
 * NAME
 *	log - operator logging with a transaction id
 * SUMMARY
 *	One event per line: "LEVEL txid: prose key=value ...". Lines never
 *	carry document contents, subjects or metadata values (PHI); envelope
 *	addresses, message ids and status codes are fine.
 * DESCRIPTION
 *	Output goes to stderr (default) or syslog. The logger is the only
 *	process-wide mutable state besides the config snapshot; it is
 *	thread-safe because each line is written with one locked call.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

enum gw_log_level {
	GW_LOG_DEBUG,
	GW_LOG_INFO,
	GW_LOG_NOTICE,
	GW_LOG_WARN,
	GW_LOG_ERR,
};

/* Set the lowest level written and whether to use syslog. */
void gw_log_setup(enum gw_log_level min, int use_syslog);
/* Parse "debug", "info", ...; -1 if unknown. */
int gw_log_level_parse(const char *s);

/* txid may be NULL for process-level events ("-" is printed). */
void gw_log(enum gw_log_level lvl, const char *txid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define gw_log_debug(tx, ...)  gw_log(GW_LOG_DEBUG, tx, __VA_ARGS__)
#define gw_log_info(tx, ...)   gw_log(GW_LOG_INFO, tx, __VA_ARGS__)
#define gw_log_notice(tx, ...) gw_log(GW_LOG_NOTICE, tx, __VA_ARGS__)
#define gw_log_warn(tx, ...)   gw_log(GW_LOG_WARN, tx, __VA_ARGS__)
#define gw_log_err(tx, ...)    gw_log(GW_LOG_ERR, tx, __VA_ARGS__)

#endif
