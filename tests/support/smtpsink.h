/*
 * NAME
 *	smtpsink - a scriptable SMTP server on 127.0.0.1 for tests
 * SUMMARY
 *	Serves connections one after another in a thread. Each connection
 *	follows a script (greeting code, EHLO capabilities, reply codes per
 *	stage and per recipient, optional STARTTLS with a test certificate)
 *	and records what the client did: TLS or not, EHLO count, MAIL FROM,
 *	accepted recipients, and the message with dot-stuffing undone.
 *	It stands in for "a remote HISP that misbehaves in a chosen way";
 *	the happy path is also tested against a real Postfix.
 */
#ifndef GW_SMTPSINK_H
#define GW_SMTPSINK_H

#include <stdbool.h>
#include <stddef.h>

struct gw_sink_script {
	int greet;             /* e.g. 220, 421, 554 */
	bool starttls;         /* offer STARTTLS (needs cert/key) */
	bool pipelining;       /* offer PIPELINING */
	long size_max;         /* offer SIZE with this limit; < 0: no SIZE */
	int mail;              /* reply to MAIL FROM */
	int data;              /* reply to DATA (354 to go on) */
	int dot;               /* reply after the final dot */
	const char *reject;    /* recipients containing this get 550 */
	const char *defer;     /* recipients containing this get 451 */
	bool close_after_data; /* drop the connection instead of a reply */
};

#define GW_SINK_MAX_CONN 16

struct gw_sink_conn {
	bool tls;
	int ehlo;
	char mail_from[256];
	char rcpts[8][256];
	int nrcpt;  /* accepted */
	char *data; /* malloc'ed, dot-stuffing undone, or NULL */
	size_t data_len;
	bool pipelined; /* the client sent MAIL..DATA in one go */
};

struct gw_sink;

/*
 * Start on an ephemeral port; scripts[i] drives connection i, the last
 * one all later connections. cert/key (PEM paths) for STARTTLS or NULL.
 */
struct gw_sink *gw_sink_start(const struct gw_sink_script *scripts,
			      size_t nscripts, const char *cert,
			      const char *key);
/* The same on a given port (0: any); NULL when it is taken. */
struct gw_sink *gw_sink_start_on(int port, const struct gw_sink_script *scripts,
				 size_t nscripts, const char *cert,
				 const char *key);
int gw_sink_port(const struct gw_sink *s);
/* Connections served so far (complete ones). */
int gw_sink_count(struct gw_sink *s);
/* What connection i did (valid until gw_sink_stop). */
const struct gw_sink_conn *gw_sink_conn(struct gw_sink *s, int i);
void gw_sink_stop(struct gw_sink *s);

#endif
