/*
 * NAME
 *	smtpsrv - the inbound SMTP (or LMTP) server
 * SUMMARY
 *	Accepts mail for local Direct addresses: ESMTP with STARTTLS,
 *	SIZE, 8BITMIME, PIPELINING and ENHANCEDSTATUSCODES, every RCPT
 *	checked by the caller's rcpt_ok() (never an open relay), the
 *	message streamed into the spool, made durable, and only then handed
 *	to the caller's deliver(), whose answer becomes the reply to the
 *	final dot (one reply per recipient in LMTP mode).
 * DESCRIPTION
 *	One listener, one thread per session (up to max_sessions; beyond
 *	that a connection gets 421 and is closed). gw_smtpsrv_run() blocks
 *	until gw_smtpsrv_stop(); sessions waiting for input then get
 *	"421 4.3.2" and close, a message being read is not delivered, and
 *	run() returns once every session has ended.
 *
 *	The callbacks run on session threads, concurrently: they must be
 *	thread-safe. deliver() receives a finished spool file that is
 *	already durable (gw_spool_sync() ran after its last byte), unless
 *	deliver_syncs says that deliver() makes what it keeps durable. The file
 *	is still in the spool's tmp/, which gw_spool_new() clears at start:
 *	a deliver() that returns 0 must have taken the file over first
 *	(gw_spool_file_adopt() plus a store commit and gw_spool_sync(), as
 *	the store does for XDR documents). After deliver() returns the
 *	server calls gw_spool_file_discard(), which removes the file unless
 *	it was adopted.
 * STANDARDS
 *	RFC 5321 (SMTP), RFC 2033 (LMTP), RFC 3207 (STARTTLS), RFC 2920
 *	(PIPELINING), RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 2034 and
 *	RFC 3463 (enhanced status codes), BCP 195 (TLS 1.2 minimum).
 * SECURITY
 *	Every byte is hostile. Only <CR><LF> ends a line; a bare LF or CR
 *	in a command is refused, and in DATA it ends the session with 550
 *	without delivering (SMTP smuggling, CVE-2023-51764 class): the
 *	message ends only at <CR><LF>.<CR><LF>. Commands pipelined behind
 *	STARTTLS are refused with 554 and the session closed (CVE-2011-0411
 *	class). VRFY and EXPN are disabled.
 * LIMITS
 *	max_message_size, max_recipients, max_line (commands and message
 *	lines, CRLF included), max_header_size, command_timeout,
 *	data_timeout, max_errors, max_sessions.
 */
#ifndef GW_SMTPSRV_H
#define GW_SMTPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct gw_spool;
struct gw_spool_file;
struct gw_smtpsrv;

#define GW_SMTPSRV_TEXT_LEN 200

/* One SMTP reply: code, RFC 3463 status and text (without either). */
struct gw_smtpsrv_reply {
	int code;                       /* 0: not set (taken as 250) */
	char status[12];                /* "2.0.0"; "" derives one from code */
	char text[GW_SMTPSRV_TEXT_LEN]; /* "" gives a default text */
};

/* A received message, valid during the deliver() call only. */
struct gw_smtpsrv_msg {
	const char *session_id;   /* UUID, also in the log lines */
	const char *peer;         /* "address:port" of the client */
	const char *helo;         /* the EHLO/HELO/LHLO argument */
	bool tls;                 /* received over TLS */
	bool body_8bit;           /* MAIL ... BODY=8BITMIME */
	const char *mail_from;    /* reverse path without <>; "" = null */
	const char *const *rcpts; /* accepted forward paths, without <> */
	size_t nrcpt;
	struct gw_spool_file *file; /* finished and durable; see DESCRIPTION */
	uint64_t size;              /* bytes in file (dot-stuffing undone) */
};

/*
 * Is address (the mailbox the client wrote, without <>) one of ours and
 * active? 0: accept. GW_ENOTFOUND: unknown or deactivated, "550 5.1.1".
 * GW_ETRUST: not a domain we serve, "554 5.7.1" relay access denied.
 * Anything else: "451 4.3.0" try again later. why (may stay "") is added
 * to the reply text; it must not leak more than the client may know.
 */
typedef int (*gw_smtpsrv_rcpt_fn)(void *arg, const char *address, char *why,
				  size_t len);

/*
 * Take a received message over. Return 0 to accept it (250), or a
 * negative GW_E* code with err filled: a temporary err (4.x.x status,
 * GW_ETEMP or GW_EUNAVAIL) gives 451, anything else 554, each with
 * err->status when it is of that class and err->msg as the text. In
 * LMTP mode deliver() may also set per_rcpt[i] (nrcpt entries, zeroed)
 * for a reply per recipient while returning 0; in SMTP mode only the
 * return value counts, so partial failures are the callback's to
 * report later (a DSN).
 */
typedef int (*gw_smtpsrv_deliver_fn)(void *arg, const struct gw_smtpsrv_msg *m,
				     struct gw_smtpsrv_reply *per_rcpt,
				     struct gw_err *err);

struct gw_smtpsrv_opts {
	const char *listen;     /* "host:port"; port 0 picks a free one */
	const char *hostname;   /* our name in the greeting and EHLO */
	const char *tls_cert;   /* PEM: chain and key; NULL/"": no STARTTLS */
	bool require_tls;       /* MAIL before STARTTLS gets 530 5.7.0 */
	bool lmtp;              /* LMTP (RFC 2033) instead of SMTP */
	struct gw_spool *spool; /* where messages go (borrowed) */
	gw_smtpsrv_rcpt_fn rcpt_ok;    /* NULL refuses every recipient */
	gw_smtpsrv_deliver_fn deliver; /* NULL refuses every message (451) */
	void *arg;                     /* passed to both callbacks */
	/*
	 * deliver() does not keep the received file but something made
	 * from it, which it makes durable itself before returning 0: the
	 * file is then handed over finished but not synced.
	 */
	bool deliver_syncs;
	/* limits; 0 takes the default in brackets */
	uint64_t max_message_size; /* bytes after unstuffing [40 MiB] */
	size_t max_recipients;     /* [100]; one more gets 452 4.5.3 */
	size_t max_line;           /* with its CRLF [1000] */
	size_t max_header_size;    /* message header bytes [256 KiB] */
	int command_timeout_ms;    /* to receive one command line [5 min] */
	int data_timeout_ms;       /* of silence while in DATA [10 min] */
	int max_errors;            /* error replies before 421 [20] */
	int max_sessions;          /* concurrent sessions [100] */
};

/*
 * Check the options, load the TLS certificate and bind the listener.
 * Borrows o's pointers (they must outlive the server). GW_EPARSE for
 * bad options, GW_EUNAVAIL when the address cannot be bound, GW_ETRUST
 * when the certificate or key cannot be used.
 */
int gw_smtpsrv_new(const struct gw_smtpsrv_opts *o, struct gw_smtpsrv **out,
		   struct gw_err *err);
/* The bound port (useful with port 0). */
int gw_smtpsrv_port(const struct gw_smtpsrv *srv);
/*
 * Accept and serve sessions until gw_smtpsrv_stop(); returns 0 after
 * every session has ended. Call once.
 */
int gw_smtpsrv_run(struct gw_smtpsrv *srv);
/* Ask run() to return; async-signal-safe, may be called before run(). */
void gw_smtpsrv_stop(struct gw_smtpsrv *srv);
/* Close the listener and free; accepts NULL. Not while run() runs. */
void gw_smtpsrv_free(struct gw_smtpsrv *srv);

#endif
