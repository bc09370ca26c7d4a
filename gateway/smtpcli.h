/*
 * NAME
 *	smtpcli - one SMTP transaction to one server, per-recipient results
 * SUMMARY
 *	Connects to a relay or MX host, says EHLO, upgrades with STARTTLS as
 *	policy demands, then MAIL FROM, one RCPT TO per recipient and DATA
 *	with the message streamed from a file (dot-stuffed), and records the
 *	server's reply for every recipient. Retry decisions belong to the
 *	caller (queue): 2xx delivered, 4xx try later, 5xx failed.
 * DESCRIPTION
 *	When the server answers a whole stage (greeting, MAIL, DATA, the
 *	final dot) with an error, every recipient still pending gets that
 *	reply; the call itself succeeds because the server answered. The
 *	call fails (< 0) only when no SMTP answer was had: connection,
 *	timeout, a broken reply, TLS required but not offered or not
 *	verified (then every recipient should be retried later).
 *	Uses PIPELINING (MAIL, RCPTs and DATA in one write) and SIZE where
 *	offered; a message larger than the server's SIZE is refused before
 *	sending (552 5.3.4). The messages dxgw sends are 7-bit (S/MIME is
 *	base64), so BODY=8BITMIME is asked for only when the caller says the
 *	body has 8-bit bytes, and a server without 8BITMIME then refuses it.
 * STANDARDS
 *	RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING), RFC
 *	1870 (SIZE), RFC 6152 (8BITMIME), RFC 3463 / RFC 2034 (enhanced
 *	status codes).
 * LIMITS
 *	Reply lines of at most 1000 bytes, at most 100 lines per reply.
 */
#ifndef GW_SMTPCLI_H
#define GW_SMTPCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum gw_smtp_tls {
	GW_SMTP_TLS_VERIFY,        /* STARTTLS required, server authenticated */
	GW_SMTP_TLS_ENCRYPT,       /* STARTTLS required, not authenticated */
	GW_SMTP_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	GW_SMTP_TLS_NONE,          /* never (loopback tests only) */
};

struct gw_smtp_opts {
	const char *host;
	int port;
	const char *helo; /* our name for EHLO */
	enum gw_smtp_tls tls;
	const char *ca_file;  /* for GW_SMTP_TLS_VERIFY; NULL: system store */
	const char *tls_name; /* expected certificate name; NULL: host */
	int timeout_ms;       /* per connect, read and write */
	bool body_8bit;
};

#define GW_SMTP_TEXT_LEN 256

struct gw_smtp_rcpt {
	const char *address; /* in */
	int code;            /* out: the reply that decides, 0 if none */
	char status[12];     /* out: enhanced status, or derived from code */
	char text[GW_SMTP_TEXT_LEN]; /* out: the server's words */
};

/* What the server offered, for logs and tests. */
struct gw_smtp_session {
	bool tls;
	bool pipelining;
	bool size_offered;
	uint64_t size_max; /* 0: no limit stated */
};

/*
 * Send the message in msg_fd (msg_size bytes, CRLF lines) from mail_from
 * to every rcpts[i].address. See DESCRIPTION for results. sess may be
 * NULL.
 */
int gw_smtp_send(const struct gw_smtp_opts *o, const char *mail_from,
		 struct gw_smtp_rcpt *rcpts, size_t n, int msg_fd,
		 uint64_t msg_size, struct gw_smtp_session *sess,
		 struct gw_err *err);

/* 2, 4 or 5: the class of a reply code (0 for none). */
int gw_smtp_class(int code);

#endif
