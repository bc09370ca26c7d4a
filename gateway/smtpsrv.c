/*
 * NAME
 *	smtpsrv - inbound SMTP/LMTP sessions (see smtpsrv.h)
 * DESCRIPTION
 *	The accept loop polls the listener and a stop pipe; each accepted
 *	connection gets a detached thread that runs one session. Every
 *	wait for the client is a poll() on the socket and the stop pipe
 *	with a deadline (srvio.c), so a timeout or a stop ends the session
 *	with 421 however slowly the client sends (slowloris). Replies are
 *	gathered in an output buffer and written when the session is about
 *	to wait for input, which is how a PIPELINING server answers a batch.
 *
 *	DATA is read by a byte-level machine (data_scan) that undoes dot
 *	stuffing and recognises only <CR><LF>.<CR><LF> as the end; any LF
 *	not preceded by CR and any CR not followed by LF stops it at once.
 *	The message then goes: spool file written, closed, gw_spool_sync()
 *	(syncfs of the spool), deliver(), reply. Nothing is answered 250
 *	before the sync returned.
 * STANDARDS
 *	RFC 5321 4.1.1 (commands), 4.5.2 (transparency), 4.5.3.1 (limits),
 *	4.5.3.2 (timeouts); RFC 2033 4.2 (LMTP replies after DATA); RFC 3207
 *	4.2 (state reset after TLS); RFC 2920 (PIPELINING); RFC 1870 (SIZE);
 *	RFC 6152 (BODY=8BITMIME); RFC 3463 (status codes).
 * SECURITY
 *	Smuggling: a bare LF or CR inside DATA gets "550 5.5.2" and the
 *	connection is closed, like Postfix's smtpd_forbid_bare_newline =
 *	reject, so no bytes after it can be read as a new transaction.
 *	STARTTLS: any byte already received after the STARTTLS line (in our
 *	buffer or the socket's) gets 554 and a close: it would otherwise be
 *	taken as if sent inside TLS (CVE-2011-0411). Recipients are accepted
 *	only when rcpt_ok() says so. SIGPIPE is blocked in session threads
 *	(OpenSSL writes with write(2)).
 * LIMITS
 *	See smtpsrv.h. A DATA stream longer than twice max_message_size
 *	(plus 64 KiB) is not read to its end: 552 and close.
 *	XXX: no minimum data rate yet; data_timeout bounds silence only.
 */
#include "smtpsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "config.h"
#include "id.h"
#include "log.h"
#include "mem.h"
#include "spool.h"
#include "srvio.h"
#include "tls.h"

#define IN_BUF     16384
#define OUT_BUF    4096
#define DATA_WBUF  8192
#define HELO_MAX   256
#define PATH_MAX_  256   /* RFC 5321 4.5.3.1.3, with the brackets */
#define LONG_LINE  65536 /* a command line this long closes the session */
#define DATA_SLACK 65536

/* read_cmd's code beyond the GW_SRVIO_ ones */
enum { IO_LONG = GW_SRVIO_STOP - 1 };

struct gw_smtpsrv {
	struct gw_smtpsrv_opts o; /* defaults filled in */
	int lfd;
	int port;
	int stop_pipe[2];
	volatile sig_atomic_t stop;
	SSL_CTX *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int active;
};

struct sess {
	struct gw_smtpsrv *srv;
	const struct gw_smtpsrv_opts *o;
	/* the socket, its SSL once STARTTLS, the server's stop pipe */
	struct gw_srvio io;
	char peer[80];
	char id[GW_ID_UUID_LEN];
	char helo[HELO_MAX];
	bool greeted;
	int errors;
	char in[IN_BUF];
	size_t off, len; /* unread input is in[off .. off+len) */
	char out[OUT_BUF];
	size_t olen;
	/* the transaction */
	bool has_mail;
	bool body_8bit;
	char *mail_from;
	char **rcpts;
	size_t nrcpt;
};

/* ---- I/O with deadlines (srvio.c) ----------------------------------- */

/* Write out the gathered replies. */
static int
io_flush(struct sess *s)
{
	long long deadline = gw_srvio_now_ms() + s->o->command_timeout_ms;
	int rc = gw_srvio_write_all(&s->io, s->out, s->olen, deadline);

	s->olen = 0;
	return rc;
}

/* Read more input after what is buffered; flushes replies first. */
static int
io_fill(struct sess *s, long long deadline)
{
	size_t got = 0;
	int rc;

	if (s->olen > 0 && (rc = io_flush(s)) != GW_SRVIO_OK)
		return rc;
	if (s->off > 0) {
		memmove(s->in, s->in + s->off, s->len);
		s->off = 0;
	}
	if (s->len == sizeof(s->in))
		return GW_SRVIO_ERR; /* callers consume before refilling */
	rc = gw_srvio_read(&s->io, s->in + s->len, sizeof(s->in) - s->len, &got,
			   deadline);
	s->len += got;
	return rc;
}

/* Protocol errors count towards max_errors; refusals of mail do not. */
static bool
is_protocol_error(int code)
{
	return (code >= 500 && code <= 504) || code == 530 || code == 555;
}

/* Queue bytes for the client (n < OUT_BUF). */
static void
out_raw(struct sess *s, const char *p, size_t n)
{
	if (s->olen + n > sizeof(s->out))
		io_flush(s);
	memcpy(s->out + s->olen, p, n);
	s->olen += n;
}

static void reply(struct sess *s, int code, const char *status, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

/*
 * Queue one reply line "code status text". Control characters in the
 * text (it may quote the client or a callback) become '?'.
 */
static void
reply(struct sess *s, int code, const char *status, const char *fmt, ...)
{
	char text[512];
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *p = text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	if (status != NULL && status[0] != '\0')
		n = snprintf(line, sizeof(line), "%d %s %s\r\n", code, status,
			     text);
	else
		n = snprintf(line, sizeof(line), "%d %s\r\n", code, text);
	if (n < 0 || (size_t)n >= sizeof(line)) /* cannot happen: 512 < 600 */
		n = snprintf(line, sizeof(line), "451 4.3.0 Error\r\n");
	out_raw(s, line, (size_t)n);
	if (is_protocol_error(code))
		s->errors++;
}

/*
 * Read one command line into line (without CRLF). Returns GW_SRVIO_OK with
 * *bad set when the line is malformed (too long, bare LF, bare CR, NUL).
 */
static int
read_cmd(struct sess *s, char *line, const char **bad)
{
	long long deadline = gw_srvio_now_ms() + s->o->command_timeout_ms;
	size_t max = s->o->max_line, n = 0, total = 0;
	bool toolong = false;
	int rc;

	*bad = NULL;
	for (;;) {
		const char *p, *nl;
		size_t take;

		if (s->len == 0 && (rc = io_fill(s, deadline)) != GW_SRVIO_OK)
			return rc;
		p = s->in + s->off;
		nl = memchr(p, '\n', s->len);
		take = nl != NULL ? (size_t)(nl - p) + 1 : s->len;
		total += take;
		if (!toolong && n + take > max)
			toolong = true;
		if (!toolong) {
			memcpy(line + n, p, take);
			n += take;
		}
		s->off += take;
		s->len -= take;
		if (nl != NULL)
			break;
		if (total > LONG_LINE)
			return IO_LONG;
	}
	if (toolong) {
		*bad = "line too long";
		return GW_SRVIO_OK;
	}
	if (n < 2 || line[n - 2] != '\r') {
		*bad = "bare <LF> received";
		return GW_SRVIO_OK;
	}
	n -= 2;
	line[n] = '\0';
	if (memchr(line, '\r', n) != NULL || strlen(line) != n)
		*bad = "bare <CR> or NUL received";
	return GW_SRVIO_OK;
}

/* ---- the transaction ------------------------------------------------- */

static void
tx_reset(struct sess *s)
{
	free(s->mail_from);
	s->mail_from = NULL;
	for (size_t i = 0; i < s->nrcpt; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpt = 0;
	s->has_mail = false;
	s->body_8bit = false;
}

/*
 * Parse "<path>" at p into out (without <>, a source route dropped):
 * false when malformed. *rest points after the '>'.
 */
static bool
parse_path(const char *p, char *out, size_t outlen, const char **rest)
{
	const char *end, *box;
	size_t len;

	if (*p != '<')
		return false;
	end = strchr(p, '>');
	if (end == NULL || (size_t)(end - p) + 1 > PATH_MAX_)
		return false;
	box = p + 1;
	if (*box == '@') { /* RFC 5321 4.1.2: a source route is ignored */
		const char *colon = memchr(box, ':', (size_t)(end - box));

		if (colon == NULL)
			return false;
		box = colon + 1;
	}
	len = (size_t)(end - box);
	if (len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)box[i] <= ' ' || box[i] == '<' ||
		    (unsigned char)box[i] >= 0x7f)
			return false;
	memcpy(out, box, len);
	out[len] = '\0';
	*rest = end + 1;
	return **rest == '\0' || **rest == ' ';
}

/* Skip "FROM:" / "TO:" and optional blanks; NULL when absent. */
static const char *
after_keyword(const char *arg, const char *kw)
{
	size_t n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	arg += n;
	while (*arg == ' ')
		arg++;
	return arg;
}

/* Handle MAIL FROM parameters; 0 or a reply already queued (< 0). */
static int
mail_params(struct sess *s, const char *p)
{
	while (*p != '\0') {
		const char *tok, *eq;
		size_t tlen;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		tlen = strcspn(p, " ");
		p += tlen;
		eq = memchr(tok, '=', tlen);
		if (eq != NULL && eq - tok == 4 &&
		    strncasecmp(tok, "SIZE", 4) == 0) {
			size_t vlen = tlen - 5;
			unsigned long long v = 0;

			if (vlen == 0 || vlen > 20 ||
			    strspn(eq + 1, "0123456789") < vlen) {
				reply(s, 501, "5.5.4", "Bad SIZE parameter");
				return -1;
			}
			for (size_t i = 0; i < vlen && v <= UINT64_MAX / 10;
			     i++)
				v = v * 10 + (unsigned)(eq[1 + i] - '0');
			if (vlen > 19 || v > s->o->max_message_size) {
				reply(s, 552, "5.3.4",
				      "Message size exceeds fixed limit");
				return -1;
			}
		} else if (eq != NULL && eq - tok == 4 &&
			   strncasecmp(tok, "BODY", 4) == 0) {
			if (tlen == 9 && strncasecmp(eq + 1, "7BIT", 4) == 0)
				s->body_8bit = false;
			else if (tlen == 13 &&
				 strncasecmp(eq + 1, "8BITMIME", 8) == 0)
				s->body_8bit = true;
			else {
				reply(s, 501, "5.5.4", "Bad BODY parameter");
				return -1;
			}
		} else {
			reply(s, 555, "5.5.4", "Unsupported parameter %.*s",
			      (int)(tlen > 40 ? 40 : tlen), tok);
			return -1;
		}
	}
	return 0;
}

/* ---- commands --------------------------------------------------------- */

static int
cmd_helo_common(struct sess *s, const char *arg, bool esmtp)
{
	const char *verb = s->o->lmtp ? "LHLO" : esmtp ? "EHLO" : "HELO";
	size_t len = strlen(arg);
	char b[512];
	int n;

	if (len == 0 || len >= sizeof(s->helo) || strchr(arg, ' ') != NULL) {
		reply(s, 501, "5.5.4", "Syntax: %s hostname", verb);
		return 0;
	}
	memcpy(s->helo, arg, len + 1);
	tx_reset(s);
	s->greeted = true;
	if (!esmtp) {
		reply(s, 250, NULL, "%s", s->o->hostname);
		return 0;
	}
	n = snprintf(
	    b, sizeof(b),
	    "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
	    "250-8BITMIME\r\n%s250 ENHANCEDSTATUSCODES\r\n",
	    s->o->hostname, (unsigned long long)s->o->max_message_size,
	    s->srv->ctx != NULL && s->io.ssl == NULL ? "250-STARTTLS\r\n" : "");
	if (n > 0 && (size_t)n < sizeof(b))
		out_raw(s, b, (size_t)n);
	return 0;
}

static int
cmd_ehlo(struct sess *s, const char *arg)
{
	if (s->o->lmtp) {
		reply(s, 500, "5.5.1", "Error: use LHLO in LMTP");
		return 0;
	}
	return cmd_helo_common(s, arg, true);
}

static int
cmd_helo(struct sess *s, const char *arg)
{
	if (s->o->lmtp) {
		reply(s, 500, "5.5.1", "Error: use LHLO in LMTP");
		return 0;
	}
	return cmd_helo_common(s, arg, false);
}

static int
cmd_lhlo(struct sess *s, const char *arg)
{
	if (!s->o->lmtp) {
		reply(s, 500, "5.5.2", "Error: command not recognized");
		return 0;
	}
	return cmd_helo_common(s, arg, true);
}

/* True when the client sent anything after the STARTTLS line. */
static bool
pipelined_input(struct sess *s)
{
	char c;

	return s->len > 0 || recv(s->io.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

static int
cmd_starttls(struct sess *s, const char *arg)
{
	long long deadline;

	if (s->srv->ctx == NULL) {
		reply(s, 502, "5.5.1", "Error: command not implemented");
		return 0;
	}
	if (s->io.ssl != NULL) {
		reply(s, 503, "5.5.1", "Error: TLS already active");
		return 0;
	}
	if (arg[0] != '\0') {
		reply(s, 501, "5.5.4", "Syntax: STARTTLS");
		return 0;
	}
	if (pipelined_input(s)) {
		gw_log_warn(s->id,
			    "smtpsrv: commands pipelined after "
			    "STARTTLS peer=%s",
			    s->peer);
		reply(s, 554, "5.5.0",
		      "Error: commands pipelined after STARTTLS");
		return 1;
	}
	reply(s, 220, "2.0.0", "Ready to start TLS");
	if (io_flush(s) != GW_SRVIO_OK)
		return 1;
	deadline = gw_srvio_now_ms() + s->o->command_timeout_ms;
	if (gw_srvio_tls_accept(&s->io, s->srv->ctx, deadline) != GW_SRVIO_OK) {
		gw_log_info(s->id, "smtpsrv: TLS handshake failed peer=%s",
			    s->peer);
		SSL_free(s->io.ssl);
		s->io.ssl = NULL;
		return 1;
	}
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	s->greeted = false;
	s->helo[0] = '\0';
	tx_reset(s);
	return 0;
}

static int
cmd_mail(struct sess *s, const char *arg)
{
	char path[PATH_MAX_], norm[GW_ADDR_MAX];
	const char *p, *rest;

	if (!s->greeted) {
		reply(s, 503, "5.5.1", "Error: send %s first",
		      s->o->lmtp ? "LHLO" : "HELO/EHLO");
		return 0;
	}
	if (s->o->require_tls && s->io.ssl == NULL) {
		reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
		return 0;
	}
	if (s->has_mail) {
		reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return 0;
	}
	p = after_keyword(arg, "FROM:");
	if (p == NULL) {
		reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return 0;
	}
	if (!parse_path(p, path, sizeof(path), &rest) ||
	    (path[0] != '\0' &&
	     gw_addr_normalize(path, norm, sizeof(norm), NULL) != 0)) {
		reply(s, 501, "5.1.7", "Bad sender address syntax");
		return 0;
	}
	if (mail_params(s, rest) != 0) {
		s->body_8bit = false;
		return 0;
	}
	s->mail_from = gw_xstrdup(path);
	s->has_mail = true;
	reply(s, 250, "2.1.0", "Ok");
	return 0;
}

static int
cmd_rcpt(struct sess *s, const char *arg)
{
	char path[PATH_MAX_], norm[GW_ADDR_MAX], why[GW_SMTPSRV_TEXT_LEN];
	const char *p, *rest;
	int rc;

	if (!s->has_mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return 0;
	}
	p = after_keyword(arg, "TO:");
	if (p == NULL) {
		reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return 0;
	}
	if (!parse_path(p, path, sizeof(path), &rest) ||
	    (strcasecmp(path, "postmaster") != 0 &&
	     gw_addr_normalize(path, norm, sizeof(norm), NULL) != 0)) {
		reply(s, 501, "5.1.3", "Bad recipient address syntax");
		return 0;
	}
	while (*rest == ' ')
		rest++;
	if (*rest != '\0') {
		reply(s, 555, "5.5.4", "Unsupported parameter");
		return 0;
	}
	if (s->nrcpt >= s->o->max_recipients) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return 0;
	}
	why[0] = '\0';
	rc = s->o->rcpt_ok != NULL
		 ? s->o->rcpt_ok(s->o->arg, path, why, sizeof(why))
		 : GW_ENOTFOUND;
	why[sizeof(why) - 1] = '\0';
	if (rc == GW_ENOTFOUND) {
		reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: %s",
		      path, why[0] ? why : "unknown or inactive address");
		return 0;
	}
	if (rc == GW_ETRUST) {
		reply(s, 554, "5.7.1", "<%s>: Relay access denied", path);
		return 0;
	}
	if (rc != 0) {
		reply(s, 451, "4.3.0", "<%s>: Temporary lookup failure%s%s",
		      path, why[0] ? ": " : "", why);
		return 0;
	}
	s->rcpts = gw_xrealloc(s->rcpts, (s->nrcpt + 1) * sizeof(char *));
	s->rcpts[s->nrcpt++] = gw_xstrdup(path);
	reply(s, 250, "2.1.5", "Ok");
	return 0;
}

/* ---- DATA --------------------------------------------------------------- */

enum dstate { D_BOL, D_MID, D_CR, D_DOT, D_DOTCR };

struct data {
	enum dstate st;
	size_t linelen; /* bytes of the current line before its CRLF */
	bool in_header;
	uint64_t header, size, wire;
	bool toolong, toobig, hdrbig, werr;
	struct gw_spool_file *f;
	struct gw_err err;
	char buf[DATA_WBUF];
	size_t blen;
};

static void
data_flush(struct data *d)
{
	if (d->blen > 0 && !d->werr &&
	    gw_spool_file_write(d->f, d->buf, d->blen, &d->err) != 0)
		d->werr = true;
	d->blen = 0;
}

static void
data_put(struct data *d, const struct gw_smtpsrv_opts *o, char c)
{
	d->size++;
	if (d->size > o->max_message_size)
		d->toobig = true;
	if (d->toobig || d->toolong || d->hdrbig || d->werr)
		return;
	d->buf[d->blen++] = c;
	if (d->blen == sizeof(d->buf))
		data_flush(d);
}

static void
data_line_end(struct data *d, const struct gw_smtpsrv_opts *o)
{
	if (d->linelen + 2 > o->max_line)
		d->toolong = true;
	if (d->in_header) {
		d->header += d->linelen + 2;
		if (d->header > o->max_header_size)
			d->hdrbig = true;
		if (d->linelen == 0)
			d->in_header = false;
	}
	d->linelen = 0;
}

/*
 * Run the machine over the buffered input. Returns 1 at the end of the
 * data (input consumed up to it), -1 on a bare CR or LF, 0 for more.
 */
static int
data_scan(struct sess *s, struct data *d)
{
	const unsigned char *p = (const unsigned char *)s->in + s->off;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->len && rc == 0; i++) {
		unsigned char c = p[i];

		switch (d->st) {
		case D_DOTCR:
			rc = c == '\n' ? 1 : -1;
			continue;
		case D_CR:
			if (c != '\n') {
				rc = -1;
				continue;
			}
			data_put(d, s->o, '\n');
			data_line_end(d, s->o);
			d->st = D_BOL;
			continue;
		case D_BOL:
			if (c == '.') {
				d->st = D_DOT;
				d->linelen = 1;
				continue;
			}
			break;
		case D_DOT:
			/* RFC 5321 4.5.2: drop the first dot of a line. */
			if (c == '\r') {
				d->st = D_DOTCR;
				continue;
			}
			break;
		case D_MID:
			break;
		}
		d->st = D_MID;
		if (c == '\n') {
			rc = -1;
			continue;
		}
		if (c == '\r')
			d->st = D_CR;
		else
			d->linelen++;
		data_put(d, s->o, (char)c);
	}
	s->off += i;
	s->len -= i;
	d->wire += i;
	return rc;
}

/* One reply after the dot, or one per recipient in LMTP mode. */
static void
reply_all(struct sess *s, int code, const char *status, const char *text)
{
	size_t n = s->o->lmtp ? s->nrcpt : 1;

	for (size_t i = 0; i < n; i++)
		reply(s, code, status, "%s", text);
}

static void
reply_err(struct sess *s, const struct gw_err *e, const char *rcpt)
{
	bool temp = e->temp || e->code == GW_ETEMP || e->code == GW_EUNAVAIL;
	const char *st = e->status;

	if (temp && st[0] != '4')
		st = "4.3.0";
	if (!temp && st[0] != '5')
		st = "5.3.0";
	reply(s, temp ? 451 : 554, st, "%s%s%s", rcpt != NULL ? rcpt : "",
	      rcpt != NULL ? " " : "",
	      e->msg[0] ? e->msg : "Error: message not accepted");
}

/* The message is in f, finished: make it durable, hand it over, reply. */
static void
data_deliver(struct sess *s, struct gw_spool_file *f, uint64_t size)
{
	struct gw_smtpsrv_reply *per = NULL;
	struct gw_smtpsrv_msg m = {
	    .session_id = s->id,
	    .peer = s->peer,
	    .helo = s->helo,
	    .tls = s->io.ssl != NULL,
	    .body_8bit = s->body_8bit,
	    .mail_from = s->mail_from,
	    .rcpts = (const char *const *)s->rcpts,
	    .nrcpt = s->nrcpt,
	    .file = f,
	    .size = size,
	};
	struct gw_err e;
	int rc;

	gw_err_clear(&e);
	if (s->o->deliver == NULL) {
		reply_all(s, 451, "4.3.2", "Error: inbound not configured");
		return;
	}
	/*
	 * Nothing is acknowledged before the bytes are on disk - ours, or
	 * what deliver() keeps of them when it says it syncs that itself.
	 */
	if (gw_spool_file_finish(f, &e) != 0 ||
	    (!s->o->deliver_syncs && gw_spool_sync(s->o->spool, &e) != 0)) {
		gw_log_err(s->id, "smtpsrv: spool: %s", e.msg);
		reply_all(s, 451, "4.3.0", "Error: local error in processing");
		return;
	}
	per = gw_xcalloc(s->nrcpt, sizeof(*per));
	rc = s->o->deliver(s->o->arg, &m, per, &e);
	gw_log_info(s->id,
		    "smtpsrv: message from=<%s> nrcpt=%zu size=%llu tls=%s "
		    "peer=%s: %s",
		    s->mail_from, s->nrcpt, (unsigned long long)size,
		    m.tls ? "yes" : "no", s->peer,
		    rc == 0 ? "accepted" : e.msg);
	if (!s->o->lmtp) {
		if (rc == 0)
			reply(s, 250, "2.0.0", "Ok: queued as %s", s->id);
		else
			reply_err(s, &e, NULL);
	}
	for (size_t i = 0; s->o->lmtp && i < s->nrcpt; i++) {
		char who[PATH_MAX_ + 4];
		int code = per[i].code;

		snprintf(who, sizeof(who), "<%s>", s->rcpts[i]);
		if (rc != 0)
			reply_err(s, &e, who);
		else if (code == 0)
			reply(s, 250, "2.0.0", "%s Ok: delivered as %s", who,
			      s->id);
		else if (code < 200 || code > 599)
			reply(s, 451, "4.3.0", "%s Error: bad local reply",
			      who);
		else
			reply(s, code,
			      per[i].status[0] ? per[i].status
			      : code < 300     ? "2.0.0"
			      : code < 500     ? "4.0.0"
					       : "5.0.0",
			      "%s %s", who, per[i].text[0] ? per[i].text : "-");
	}
	free(per);
}

/* Read the message; 0 to go on with the session, 1 to close it. */
static int
data_read(struct sess *s, struct data *d)
{
	uint64_t cap = s->o->max_message_size * 2 + DATA_SLACK;

	for (;;) {
		int r = data_scan(s, d), rc;

		if (r == 1)
			return 0;
		if (r < 0) {
			gw_log_warn(s->id,
				    "smtpsrv: bare CR or LF in DATA "
				    "peer=%s",
				    s->peer);
			reply_all(s, 550, "5.5.2",
				  "Error: bare <CR> or <LF> in message data; "
				  "lines must end with <CR><LF>");
			return 1;
		}
		if (d->wire > cap) {
			reply_all(s, 552, "5.3.4",
				  "Error: message file too big");
			return 1;
		}
		rc = io_fill(s, gw_srvio_now_ms() + s->o->data_timeout_ms);
		if (rc == GW_SRVIO_TIMEOUT) {
			reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
			      s->o->hostname);
			return 1;
		}
		if (rc == GW_SRVIO_STOP) {
			reply(s, 421, "4.3.2", "%s Service shutting down",
			      s->o->hostname);
			return 1;
		}
		if (rc != GW_SRVIO_OK)
			return 1;
	}
}

static int
cmd_data(struct sess *s, const char *arg)
{
	struct data *d = NULL;
	int close_after = 0;

	if (!s->has_mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return 0;
	}
	if (s->nrcpt == 0) {
		reply(s, 554, "5.5.1", "Error: no valid recipients");
		return 0;
	}
	if (arg[0] != '\0') {
		reply(s, 501, "5.5.4", "Syntax: DATA");
		return 0;
	}
	d = gw_xcalloc(1, sizeof(*d));
	d->in_header = true;
	if (gw_spool_file_new(s->o->spool, &d->f, &d->err) != 0) {
		gw_log_err(s->id, "smtpsrv: spool: %s", d->err.msg);
		reply(s, 451, "4.3.0", "Error: local error in processing");
		goto out;
	}
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	close_after = data_read(s, d);
	if (close_after)
		goto out;
	data_flush(d);
	if (d->toobig)
		reply_all(s, 552, "5.3.4", "Error: message file too big");
	else if (d->hdrbig)
		reply_all(s, 552, "5.3.4", "Error: message header too big");
	else if (d->toolong)
		reply_all(s, 550, "5.6.0",
			  "Error: message line longer than allowed");
	else if (d->werr) {
		gw_log_err(s->id, "smtpsrv: spool: %s", d->err.msg);
		reply_all(s, 451, "4.3.0", "Error: local error in processing");
	} else
		data_deliver(s, d->f, d->size);
out:
	if (d != NULL)
		gw_spool_file_discard(d->f);
	free(d);
	tx_reset(s);
	return close_after;
}

static int
cmd_rset(struct sess *s, const char *arg)
{
	if (arg[0] != '\0') {
		reply(s, 501, "5.5.4", "Syntax: RSET");
		return 0;
	}
	tx_reset(s);
	reply(s, 250, "2.0.0", "Ok");
	return 0;
}

static int
cmd_noop(struct sess *s, const char *arg)
{
	(void)arg;
	reply(s, 250, "2.0.0", "Ok");
	return 0;
}

static int
cmd_quit(struct sess *s, const char *arg)
{
	(void)arg;
	reply(s, 221, "2.0.0", "Bye");
	return 1;
}

static int
cmd_help(struct sess *s, const char *arg)
{
	(void)arg;
	reply(s, 214, "2.0.0", "See RFC 5321");
	return 0;
}

static int
cmd_vrfy(struct sess *s, const char *arg)
{
	(void)arg;
	reply(s, 502, "5.5.1", "Error: command disabled");
	return 0;
}

static const struct cmd {
	const char *name;
	int (*fn)(struct sess *s, const char *arg);
} cmds[] = {
    {"EHLO", cmd_ehlo},         {"HELO", cmd_helo}, {"LHLO", cmd_lhlo},
    {"STARTTLS", cmd_starttls}, {"MAIL", cmd_mail}, {"RCPT", cmd_rcpt},
    {"DATA", cmd_data},         {"RSET", cmd_rset}, {"NOOP", cmd_noop},
    {"QUIT", cmd_quit},         {"HELP", cmd_help}, {"VRFY", cmd_vrfy},
    {"EXPN", cmd_vrfy},
};

/* Run one command line; 1 when the session must end. */
static int
dispatch(struct sess *s, const char *line)
{
	size_t vlen = strcspn(line, " ");
	const char *arg = line + vlen;

	if (*arg == ' ')
		arg++;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == vlen &&
		    strncasecmp(line, cmds[i].name, vlen) == 0)
			return cmds[i].fn(s, arg);
	reply(s, 500, "5.5.2", "Error: command not recognized");
	return 0;
}

/* ---- sessions ----------------------------------------------------------- */

static void
session(struct sess *s)
{
	char *line = gw_xmalloc(s->o->max_line + 1);

	reply(s, 220, NULL, "%s %s dxgw", s->o->hostname,
	      s->o->lmtp ? "LMTP" : "ESMTP");
	for (;;) {
		const char *bad;
		int rc;

		if (s->errors >= s->o->max_errors) {
			reply(s, 421, "4.7.0", "%s Error: too many errors",
			      s->o->hostname);
			break;
		}
		rc = read_cmd(s, line, &bad);
		if (rc == GW_SRVIO_TIMEOUT)
			reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
			      s->o->hostname);
		else if (rc == GW_SRVIO_STOP)
			reply(s, 421, "4.3.2", "%s Service shutting down",
			      s->o->hostname);
		else if (rc == IO_LONG)
			reply(s, 500, "5.5.2", "Error: line too long");
		if (rc != GW_SRVIO_OK)
			break;
		if (bad != NULL) {
			reply(s, 500, "5.5.2", "Error: %s", bad);
			continue;
		}
		if (dispatch(s, line) != 0)
			break;
	}
	io_flush(s);
	free(line);
}

static void *
session_main(void *arg)
{
	struct sess *s = arg;
	struct gw_smtpsrv *srv = s->srv;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	gw_log_info(s->id, "smtpsrv: connect from %s", s->peer);
	session(s);
	gw_log_info(s->id, "smtpsrv: disconnect from %s", s->peer);
	tx_reset(s);
	if (s->io.ssl != NULL) {
		SSL_shutdown(s->io.ssl);
		SSL_free(s->io.ssl);
	}
	ERR_clear_error();
	close(s->io.fd);
	free(s);
	/* The last touch of srv: run() may free it once active is 0. */
	pthread_mutex_lock(&srv->mu);
	if (--srv->active == 0)
		pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

static void
start_session(struct gw_smtpsrv *srv, int fd, const struct sockaddr *sa,
	      socklen_t sl)
{
	char host[64] = "?", serv[16] = "?";
	struct sess *s;
	pthread_attr_t attr;
	pthread_t th;
	bool busy;

	getnameinfo(sa, sl, host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	pthread_mutex_lock(&srv->mu);
	busy = srv->active >= srv->o.max_sessions;
	if (!busy)
		srv->active++;
	pthread_mutex_unlock(&srv->mu);
	if (busy) {
		static const char msg[] = "421 4.3.2 Too many connections\r\n";

		gw_log_warn(NULL, "smtpsrv: too many sessions, refused %s",
			    host);
		(void)!send(fd, msg, sizeof(msg) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	s = gw_xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->o = &srv->o;
	s->io.fd = fd;
	s->io.stop_fd = srv->stop_pipe[0];
	snprintf(s->peer, sizeof(s->peer), "%s:%s", host, serv);
	gw_id_uuid_time(s->id);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, session_main, s) != 0) {
		gw_log_err(NULL, "smtpsrv: cannot start a session thread");
		close(fd);
		free(s);
		pthread_mutex_lock(&srv->mu);
		if (--srv->active == 0)
			pthread_cond_broadcast(&srv->cv);
		pthread_mutex_unlock(&srv->mu);
	}
	pthread_attr_destroy(&attr);
}

/* ---- the listener ----------------------------------------------------------
 */

static int
setup_tls(struct gw_smtpsrv *srv, const char *pem, struct gw_err *err)
{
	srv->ctx = SSL_CTX_new(TLS_server_method());
	if (srv->ctx == NULL)
		return gw_err_set(err, GW_ERROR, "4.7.0", "TLS context");
	if (gw_tls_ctx_harden(srv->ctx, err) != 0)
		return err != NULL ? err->code : GW_ERROR;
	if (SSL_CTX_use_certificate_chain_file(srv->ctx, pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ctx, pem, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(srv->ctx) != 1) {
		char b[256];

		ERR_error_string_n(ERR_peek_last_error(), b, sizeof(b));
		ERR_clear_error();
		return gw_err_set(err, GW_ETRUST, "4.7.0",
				  "smtp TLS certificate %s: %s", pem, b);
	}
	SSL_CTX_set_session_cache_mode(srv->ctx, SSL_SESS_CACHE_OFF);
	return 0;
}

static int
bind_listener(struct gw_smtpsrv *srv, struct gw_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], portstr[16];
	int port, g, one = 1, rc = -1;

	if (!gw_config_split_hostport(srv->o.listen, host, sizeof(host), &port))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "smtp listen: bad '%s'", srv->o.listen);
	snprintf(portstr, sizeof(portstr), "%d", port);
	g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0)
		return gw_err_set(err, GW_EUNAVAIL, "4.4.0",
				  "smtp listen %s: %s", srv->o.listen,
				  gai_strerror(g));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
				ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0) {
			srv->lfd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (srv->lfd < 0) {
		rc = gw_err_set(err, GW_EUNAVAIL, "4.4.0",
				"cannot listen on %s: %s", srv->o.listen,
				strerror(errno));
		goto out;
	}
	if (getsockname(srv->lfd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, portstr,
			    sizeof(portstr), NI_NUMERICSERV);
	srv->port = (int)strtol(portstr, NULL, 10);
	rc = 0;
out:
	return rc;
}

static void
fill_defaults(struct gw_smtpsrv_opts *o)
{
	if (o->max_message_size == 0)
		o->max_message_size = 40u * 1024 * 1024;
	if (o->max_recipients == 0)
		o->max_recipients = 100;
	if (o->max_line == 0)
		o->max_line = 1000;
	if (o->max_header_size == 0)
		o->max_header_size = 256 * 1024;
	if (o->command_timeout_ms <= 0)
		o->command_timeout_ms = 5 * 60 * 1000;
	if (o->data_timeout_ms <= 0)
		o->data_timeout_ms = 10 * 60 * 1000;
	if (o->max_errors <= 0)
		o->max_errors = 20;
	if (o->max_sessions <= 0)
		o->max_sessions = 100;
	if (o->hostname == NULL || o->hostname[0] == '\0')
		o->hostname = "localhost";
}

int
gw_smtpsrv_new(const struct gw_smtpsrv_opts *o, struct gw_smtpsrv **out,
	       struct gw_err *err)
{
	struct gw_smtpsrv *srv = gw_xcalloc(1, sizeof(*srv));
	int rc = -1;

	*out = NULL;
	srv->lfd = -1;
	srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	srv->o = *o;
	fill_defaults(&srv->o);
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	if (o->listen == NULL || o->spool == NULL || srv->o.max_line < 64 ||
	    srv->o.max_line > 65536 || strlen(srv->o.hostname) > 200) {
		rc = gw_err_set(err, GW_EPARSE, "5.3.5",
				"smtp server: listen, spool, max_line or "
				"hostname not valid");
		goto out;
	}
	if (pipe2(srv->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = gw_err_set(err, GW_ERROR, "4.3.0", "pipe: %s",
				strerror(errno));
		goto out;
	}
	if (o->tls_cert != NULL && o->tls_cert[0] != '\0' &&
	    (rc = setup_tls(srv, o->tls_cert, err)) != 0)
		goto out;
	if ((rc = bind_listener(srv, err)) != 0)
		goto out;
	*out = srv;
	srv = NULL;
	rc = 0;
out:
	gw_smtpsrv_free(srv);
	return rc;
}

int
gw_smtpsrv_port(const struct gw_smtpsrv *srv)
{
	return srv->port;
}

int
gw_smtpsrv_run(struct gw_smtpsrv *srv)
{
	struct pollfd p[2] = {{.fd = srv->lfd, .events = POLLIN},
			      {.fd = srv->stop_pipe[0], .events = POLLIN}};

	while (!srv->stop) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int n = poll(p, 2, -1), fd;

		if (n < 0 && errno != EINTR) {
			gw_log_err(NULL, "smtpsrv: poll: %s", strerror(errno));
			break;
		}
		if (n <= 0 || (p[1].revents & POLLIN))
			continue;
		fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				poll(NULL, 0, 100); /* let sessions end */
			continue;
		}
		start_session(srv, fd, (struct sockaddr *)&ss, sl);
	}
	/* Sessions see the stop pipe too: they answer 421 and end. */
	pthread_mutex_lock(&srv->mu);
	while (srv->active > 0)
		pthread_cond_wait(&srv->cv, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	return 0;
}

void
gw_smtpsrv_stop(struct gw_smtpsrv *srv)
{
	int saved = errno;

	srv->stop = 1;
	/* Never read: it stays readable and wakes every poll(). */
	(void)!write(srv->stop_pipe[1], "x", 1);
	errno = saved;
}

void
gw_smtpsrv_free(struct gw_smtpsrv *srv)
{
	if (srv == NULL)
		return;
	if (srv->lfd >= 0)
		close(srv->lfd);
	for (int i = 0; i < 2; i++)
		if (srv->stop_pipe[i] >= 0)
			close(srv->stop_pipe[i]);
	SSL_CTX_free(srv->ctx);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free(srv);
}
