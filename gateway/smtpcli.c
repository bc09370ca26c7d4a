/*
 * NAME
 *	smtpcli - one SMTP transaction, per-recipient results (see smtpcli.h)
 * SECURITY
 *	Addresses are checked for CR, LF, '<' and '>' before they are put on
 *	a command line (no SMTP command injection). Server replies are read
 *	into bounded lines and only their code, enhanced status and first
 *	words are kept.
 */
#include "smtpcli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "netio.h"

#define LINE_MAX_SMTP 1001
#define REPLY_LINES   100
#define CHUNK         65536

struct reply {
	int code;
	char status[12];
	char text[GW_SMTP_TEXT_LEN];
};

struct caps {
	bool starttls, pipelining, size, eightbit;
	uint64_t size_max;
};

int
gw_smtp_class(int code)
{
	return code >= 200 && code < 600 ? code / 100 : 0;
}

/* "x.y.z " at the start of text, with x matching the code's class. */
static size_t
enhanced(const char *t, int code, char out[12])
{
	size_t n = strspn(t, "0123456789.");

	if (n < 5 || n > 11 || t[0] - '0' != code / 100 || t[1] != '.' ||
	    (t[n] != ' ' && t[n] != '\0'))
		return 0;
	memcpy(out, t, n);
	out[n] = '\0';
	return n;
}

static void
parse_cap(const char *kw, struct caps *cp)
{
	if (strcasecmp(kw, "STARTTLS") == 0)
		cp->starttls = true;
	else if (strcasecmp(kw, "PIPELINING") == 0)
		cp->pipelining = true;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		cp->eightbit = true;
	else if (strncasecmp(kw, "SIZE", 4) == 0 &&
		 (kw[4] == '\0' || kw[4] == ' ')) {
		cp->size = true;
		cp->size_max = kw[4] == ' ' ? strtoull(kw + 5, NULL, 10) : 0;
	}
}

/* Read one (multi-line) reply; capabilities into cp when not NULL. */
static int
read_reply(struct gw_conn *c, struct reply *r, struct caps *cp,
	   struct gw_err *err)
{
	char line[LINE_MAX_SMTP];
	int rc;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < REPLY_LINES; i++) {
		int code;

		if ((rc = gw_conn_read_line(c, line, sizeof(line), err)) < 0)
			return rc;
		if (strlen(line) < 3 || strspn(line, "0123456789") < 3 ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
			return gw_err_set(err, GW_EUNAVAIL, "4.5.0",
					  "smtp: malformed reply line");
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		       (line[2] - '0');
		if (gw_smtp_class(code) == 0 || (r->code && code != r->code))
			return gw_err_set(err, GW_EUNAVAIL, "4.5.0",
					  "smtp: bad reply code %.3s", line);
		if (r->code == 0) {
			const char *t = line[3] ? line + 4 : "";
			size_t en = enhanced(t, code, r->status);

			t += en;
			t += strspn(t, " ");
			snprintf(r->text, sizeof(r->text), "%s", t);
		} else if (cp != NULL) {
			parse_cap(line + 4, cp);
		}
		r->code = code;
		if (line[3] != '-')
			return 0;
	}
	return gw_err_set(err, GW_EUNAVAIL, "4.5.0",
			  "smtp: reply of more than %d lines", REPLY_LINES);
}

static int
command(struct gw_conn *c, const char *cmd, struct reply *r, struct caps *cp,
	struct gw_err *err)
{
	int rc = gw_conn_write(c, cmd, strlen(cmd), err);

	if (rc == 0)
		rc = read_reply(c, r, cp, err);
	return rc;
}

static void
give(struct gw_smtp_rcpt *p, const struct reply *r)
{
	p->code = r->code;
	if (r->status[0] != '\0')
		memcpy(p->status, r->status, sizeof(p->status));
	else
		snprintf(p->status, sizeof(p->status), "%d.0.0",
			 gw_smtp_class(r->code));
	snprintf(p->text, sizeof(p->text), "%s", r->text);
}

/* Every recipient without a decisive reply yet gets r. */
static void
give_pending(struct gw_smtp_rcpt *rcpts, size_t n, const struct reply *r)
{
	for (size_t i = 0; i < n; i++)
		if (rcpts[i].code == 0 || gw_smtp_class(rcpts[i].code) == 2)
			give(&rcpts[i], r);
}

static bool
addr_ok(const char *a)
{
	return a != NULL && strlen(a) < 512 && strpbrk(a, "\r\n<> ") == NULL;
}

/* EHLO (HELO when EHLO is refused), capabilities into cp. */
static int
hello(struct gw_conn *c, const char *helo, struct caps *cp, struct reply *r,
      struct gw_err *err)
{
	char cmd[300];
	int rc;

	memset(cp, 0, sizeof(*cp));
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
	if ((rc = command(c, cmd, r, cp, err)) < 0)
		return rc;
	if (gw_smtp_class(r->code) == 5) {
		snprintf(cmd, sizeof(cmd), "HELO %s\r\n", helo);
		if ((rc = command(c, cmd, r, NULL, err)) < 0)
			return rc;
	}
	return 0;
}

/* STARTTLS as the policy says; < 0 when TLS is required and not had. */
static int
negotiate_tls(struct gw_conn *c, const struct gw_smtp_opts *o, struct caps *cp,
	      struct reply *r, struct gw_err *err)
{
	struct gw_tls_client tc = {
	    .verify = o->tls == GW_SMTP_TLS_VERIFY,
	    .ca_file = o->ca_file,
	    .name = o->tls_name,
	};
	bool required =
	    o->tls == GW_SMTP_TLS_VERIFY || o->tls == GW_SMTP_TLS_ENCRYPT;
	int rc;

	if (o->tls == GW_SMTP_TLS_NONE)
		return 0;
	if (!cp->starttls) {
		if (!required)
			return 0;
		return gw_err_set(err, GW_EUNAVAIL, "4.7.4",
				  "smtp: %s does not offer STARTTLS and TLS "
				  "is required",
				  o->host);
	}
	if ((rc = command(c, "STARTTLS\r\n", r, NULL, err)) < 0)
		return rc;
	if (r->code != 220) {
		if (!required)
			return 0;
		return gw_err_set(err, GW_EUNAVAIL, "4.7.4",
				  "smtp: %s refused STARTTLS: %d %s", o->host,
				  r->code, r->text);
	}
	if ((rc = gw_conn_starttls(c, &tc, err)) < 0)
		return rc;
	/* RFC 3207 4.2: forget what was said before; ask again. */
	return hello(c, o->helo, cp, r, err);
}

/* Stream the message, dot-stuffed, CRLF-normalised, with the final dot. */
static int
send_body(struct gw_conn *c, int fd, struct gw_err *err)
{
	char *in = malloc(CHUNK), *out = malloc(2 * CHUNK + 8);
	bool bol = true;  /* at the beginning of a line */
	char prev = '\n'; /* last byte sent */
	off_t off = 0;
	int rc = -1;

	if (in == NULL || out == NULL) {
		rc = gw_err_set(err, GW_ETEMP, "4.3.0", "smtp: out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, in, CHUNK, off);
		size_t o = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gw_err_set(err, GW_ETEMP, "4.3.0",
					"smtp: reading the message: %s",
					strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		off += n;
		for (ssize_t i = 0; i < n; i++) {
			char ch = in[i];

			if (bol && ch == '.')
				out[o++] = '.';
			if (ch == '\n' && prev != '\r')
				out[o++] = '\r';
			out[o++] = ch;
			prev = ch;
			bol = ch == '\n';
		}
		if ((rc = gw_conn_write(c, out, o, err)) < 0)
			goto out;
	}
	rc = gw_conn_write(c, bol ? ".\r\n" : "\r\n.\r\n", bol ? 3 : 5, err);
out:
	free(in);
	free(out);
	return rc;
}

/* MAIL, RCPTs, DATA (pipelined when offered), the body and its reply. */
static int
transaction(struct gw_conn *c, const struct gw_smtp_opts *o,
	    const struct caps *cp, const char *from, struct gw_smtp_rcpt *rcpts,
	    size_t n, int fd, uint64_t size, struct gw_err *err)
{
	struct gw_buf cmds;
	struct reply r;
	size_t accepted = 0;
	int rc = -1;

	gw_buf_init(&cmds, 1 << 20);
	gw_buf_printf(&cmds, "MAIL FROM:<%s>", from);
	if (cp->size)
		gw_buf_printf(&cmds, " SIZE=%llu", (unsigned long long)size);
	if (o->body_8bit)
		gw_buf_puts(&cmds, " BODY=8BITMIME");
	gw_buf_puts(&cmds, "\r\n");
	if (!cp->pipelining) {
		if ((rc = command(c, cmds.data, &r, NULL, err)) < 0)
			goto out;
		if (gw_smtp_class(r.code) != 2) {
			give_pending(rcpts, n, &r);
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			char cmd[600];

			snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n",
				 rcpts[i].address);
			if ((rc = command(c, cmd, &r, NULL, err)) < 0)
				goto out;
			give(&rcpts[i], &r);
			accepted += gw_smtp_class(r.code) == 2;
		}
		if (accepted == 0)
			goto done;
		if ((rc = command(c, "DATA\r\n", &r, NULL, err)) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < n; i++)
			gw_buf_printf(&cmds, "RCPT TO:<%s>\r\n",
				      rcpts[i].address);
		if (gw_buf_puts(&cmds, "DATA\r\n") < 0) {
			rc = gw_err_set(err, GW_ELIMIT, "5.5.3",
					"smtp: too many recipients");
			goto out;
		}
		if ((rc = gw_conn_write(c, cmds.data, cmds.len, err)) < 0 ||
		    (rc = read_reply(c, &r, NULL, err)) < 0)
			goto out;
		if (gw_smtp_class(r.code) != 2)
			give_pending(rcpts, n, &r);
		for (size_t i = 0; i < n; i++) {
			struct reply rr;

			if ((rc = read_reply(c, &rr, NULL, err)) < 0)
				goto out;
			if (rcpts[i].code == 0)
				give(&rcpts[i], &rr);
			accepted += gw_smtp_class(rcpts[i].code) == 2;
		}
		if ((rc = read_reply(c, &r, NULL, err)) < 0)
			goto out;
		if (accepted == 0) {
			/* RFC 2920 3.1: a 354 with no recipient gets a dot. */
			if (r.code == 354 &&
			    (rc = command(c, ".\r\n", &r, NULL, err)) < 0)
				goto out;
			goto done;
		}
	}
	if (r.code != 354) {
		give_pending(rcpts, n, &r);
		goto done;
	}
	if ((rc = send_body(c, fd, err)) < 0 ||
	    (rc = read_reply(c, &r, NULL, err)) < 0)
		goto out;
	/* The reply to the dot decides for every recipient accepted. */
	give_pending(rcpts, n, &r);
done:
	rc = 0;
out:
	gw_buf_dispose(&cmds);
	return rc;
}

int
gw_smtp_send(const struct gw_smtp_opts *o, const char *mail_from,
	     struct gw_smtp_rcpt *rcpts, size_t n, int msg_fd,
	     uint64_t msg_size, struct gw_smtp_session *sess,
	     struct gw_err *err)
{
	struct gw_conn *c = NULL;
	struct caps cp = {0};
	struct reply r;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		rcpts[i].code = 0;
		rcpts[i].status[0] = rcpts[i].text[0] = '\0';
		if (!addr_ok(rcpts[i].address)) {
			rc = gw_err_set(err, GW_EPARSE, "5.1.3",
					"smtp: unusable recipient address");
			goto out;
		}
	}
	if (n == 0 || !addr_ok(mail_from) || o->helo == NULL ||
	    strpbrk(o->helo, "\r\n ") != NULL) {
		rc = gw_err_set(err, GW_EPARSE, "5.5.2",
				"smtp: bad sender, HELO name or no recipient");
		goto out;
	}
	if ((rc = gw_conn_open(o->host, o->port, o->timeout_ms, &c, err)) < 0)
		goto out;
	if ((rc = read_reply(c, &r, NULL, err)) < 0)
		goto out;
	if (gw_smtp_class(r.code) != 2) {
		give_pending(rcpts, n, &r);
		goto quit;
	}
	if ((rc = hello(c, o->helo, &cp, &r, err)) < 0)
		goto out;
	if (gw_smtp_class(r.code) != 2) {
		give_pending(rcpts, n, &r);
		goto quit;
	}
	if ((rc = negotiate_tls(c, o, &cp, &r, err)) < 0)
		goto out;
	if (gw_smtp_class(r.code) != 2) {
		give_pending(rcpts, n, &r);
		goto quit;
	}
	if (sess != NULL) {
		sess->tls = gw_conn_is_tls(c);
		sess->pipelining = cp.pipelining;
		sess->size_offered = cp.size;
		sess->size_max = cp.size_max;
	}
	if (cp.size && cp.size_max > 0 && msg_size > cp.size_max) {
		struct reply big = {.code = 552, .status = "5.3.4"};

		snprintf(big.text, sizeof(big.text),
			 "message of %llu bytes exceeds the server's SIZE %llu",
			 (unsigned long long)msg_size,
			 (unsigned long long)cp.size_max);
		give_pending(rcpts, n, &big);
		goto quit;
	}
	if (o->body_8bit && !cp.eightbit) {
		struct reply no8 = {.code = 554,
				    .status = "5.6.3",
				    .text = "8-bit body and no 8BITMIME"};

		give_pending(rcpts, n, &no8);
		goto quit;
	}
	if ((rc = transaction(c, o, &cp, mail_from, rcpts, n, msg_fd, msg_size,
			      err)) < 0)
		goto out;
quit:
	/* The outcome is known; a failing QUIT changes nothing. */
	{
		struct gw_err ignored;

		(void)command(c, "QUIT\r\n", &r, NULL, &ignored);
	}
	rc = 0;
out:
	gw_conn_close(c);
	return rc;
}
