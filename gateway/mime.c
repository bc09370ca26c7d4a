/*
 * NAME
 *	mime - the Direct message around an XDM package, with GMime 3
 *	(see mime.h)
 * DESCRIPTION
 *	Inputs are checked first (check_input), then GMime builds the inner
 *	message: header fields in a fixed order with the names RFC 5322
 *	spells, a multipart/mixed body with the note, the optional text/html
 *	rendering (base64, inline, UTF-8 checked) and the zip, streamed
 *	from its file descriptor and base64-encoded by GMime on the way
 *	out. GMime writes it with CRLF line ends into a memory stream; the
 *	result is checked (CRLF only, lines of at most 998 characters) and
 *	copied after the message/rfc822 wrapper line. The outer header
 *	fields are copied byte for byte from the inner header block, so the
 *	two can never disagree.
 *	GMime is initialised once per process (pthread_once); after that
 *	each call uses only its own objects, so threads may build messages
 *	at the same time.
 * SECURITY
 *	GMime and GLib are included here only (scripts/lint.sh). The zip is
 *	opened O_NOFOLLOW and must be a regular file.
 */
#include "mime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "id.h"

#define MAX_TITLE   512         /* bytes of subject_title */
#define MAX_TEXT    65536       /* bytes of the note */
#define MAX_NAME    128         /* bytes of the attachment's file name */
#define MAX_MSGID   400         /* bytes of in_reply_to */
#define MAX_HTML    (64L << 20) /* bytes of the text/html part */
#define HTML_NAME   "document.html"
#define MAX_LINE    998 /* RFC 5322 2.1.1, without CRLF */
#define SUBJECT_TAG "XDM/1.0/DDM"
#define DNO_FINAL   "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true"
#define DEFAULT_TEXT                                                           \
	"This Direct message carries an XDM package (IHE XDM, ZIP over\n"      \
	"e-mail) as an attachment.\n"
#define WRAPPER "Content-Type: message/rfc822\r\n\r\n"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_start(void)
{
	g_mime_init();
}

void
gw_mime_init(void)
{
	pthread_once(&gmime_once, gmime_start);
}

/* RFC 5322 atext. */
static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom-text of len bytes at p (RFC 5322 3.2.3). */
static bool
is_dot_atom(const char *p, size_t len)
{
	if (len == 0 || p[0] == '.' || p[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '.' ? p[i + 1] == '.'
				: !is_atext((unsigned char)p[i]))
			return false;
	}
	return true;
}

/* A host name: labels of letters, digits and inner hyphens. */
static bool
is_domain(const char *p, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? p[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || p[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* A plain addr-spec local@domain (no quoting, no literal, no name). */
static bool
is_addr(const char *a)
{
	const char *at = a == NULL ? NULL : strchr(a, '@');
	size_t len = a == NULL ? 0 : strlen(a);

	if (at == NULL || len > 254 || strchr(at + 1, '@') != NULL)
		return false;
	return (size_t)(at - a) <= 64 && is_dot_atom(a, (size_t)(at - a)) &&
	       is_domain(at + 1, len - (size_t)(at - a) - 1);
}

/* "<left@right>" with dot-atom sides: a message id from another HISP. */
static bool
is_msgid(const char *s)
{
	size_t len = strlen(s);
	const char *at = memchr(s, '@', len);

	if (len < 5 || len > MAX_MSGID || s[0] != '<' || s[len - 1] != '>' ||
	    at == NULL)
		return false;
	return is_dot_atom(s + 1, (size_t)(at - s - 1)) &&
	       is_dot_atom(at + 1, (size_t)(s + len - 1 - at - 1));
}

/*
 * Valid UTF-8 of at most max bytes without control characters; in a
 * body (multiline) TAB, CR and LF are allowed.
 */
static bool
is_clean(const char *s, size_t max, bool multiline)
{
	size_t len = strlen(s);

	if (len > max || !g_utf8_validate(s, (gssize)len, NULL))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 || c == 0x7f) &&
		    !(multiline && (c == '\t' || c == '\r' || c == '\n')))
			return false;
	}
	return true;
}

static bool
is_file_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_NAME || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

static int
check_input(const struct gw_mime_direct *m, struct gw_err *err)
{
	if (!is_addr(m->from))
		return gw_err_set(err, GW_EPARSE, "5.1.7",
				  "mime: From is not a plain address "
				  "(local@domain)");
	if (m->nto == 0 || m->to == NULL)
		return gw_err_set(err, GW_EPARSE, "5.1.3",
				  "mime: no recipient");
	if (m->nto > GW_MIME_MAX_RCPTS)
		return gw_err_set(err, GW_EPARSE, "5.5.3",
				  "mime: more than %d recipients",
				  GW_MIME_MAX_RCPTS);
	for (size_t i = 0; i < m->nto; i++) {
		if (!is_addr(m->to[i]))
			return gw_err_set(err, GW_EPARSE, "5.1.3",
					  "mime: recipient %zu is not a plain "
					  "address (local@domain)",
					  i + 1);
	}
	if (m->subject_title != NULL &&
	    !is_clean(m->subject_title, MAX_TITLE, false))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: subject title is not one line of "
				  "UTF-8 of at most %d bytes",
				  MAX_TITLE);
	if (m->in_reply_to != NULL && !is_msgid(m->in_reply_to))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: In-Reply-To is not a <id@domain> "
				  "message id");
	if (m->text != NULL && !is_clean(m->text, MAX_TEXT, true))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: text is not UTF-8 of at most %d "
				  "bytes without control characters",
				  MAX_TEXT);
	if (m->zip_name == NULL || !is_file_name(m->zip_name))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: attachment name must be 1-%d of "
				  "A-Z a-z 0-9 . - _, not starting with '.'",
				  MAX_NAME);
	if (m->zip_path == NULL && m->zip_data == NULL)
		return gw_err_set(err, GW_EPARSE, "5.6.0", "mime: no zip file");
	/* Declared utf-8 below, so it must be UTF-8 (and NUL-free). */
	if (m->html != NULL &&
	    (m->html_len > (size_t)MAX_HTML ||
	     memchr(m->html, '\0', m->html_len) != NULL ||
	     !g_utf8_validate(m->html, (gssize)m->html_len, NULL)))
		return gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: the HTML part is not UTF-8 of at "
				  "most %ld bytes",
				  MAX_HTML);
	return 0;
}

int
gw_mime_date(time_t t, char *out, size_t n)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};
	static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* The note with every line end made LF (GMime writes them as CRLF). */
static char *
note_text(const char *text)
{
	const char *s = text != NULL ? text : DEFAULT_TEXT;
	size_t len = strlen(s);
	char *t = g_malloc(len + 2);
	size_t j = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r') {
			t[j++] = '\n';
			if (s[i + 1] == '\n')
				i++;
		} else {
			t[j++] = s[i];
		}
	}
	if (j == 0 || t[j - 1] != '\n')
		t[j++] = '\n';
	t[j] = '\0';
	return t;
}

/* Open the zip for streaming; its size goes to size. */
static int
open_zip(const char *path, off_t *size, struct gw_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return gw_err_set(err, GW_ERROR, "4.3.0", "mime: %s: %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gw_err_set(err, GW_ERROR, "4.3.0",
				  "mime: %s: not a regular file", path);
	}
	*size = st.st_size;
	return fd;
}

/*
 * The text/plain note, in UTF-8 as given (us-ascii when it is ASCII):
 * g_mime_text_part_set_text() would recode it to the smallest charset
 * that fits (ISO-8859-1, say). GMime picks the 7-bit encoding.
 */
static GMimeObject *
make_note(const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	char *t = note_text(text);
	size_t len = strlen(t);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(t, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    st, GMIME_CONTENT_ENCODING_DEFAULT);
	bool ascii = true;

	for (size_t i = 0; i < len; i++)
		ascii = ascii && (unsigned char)t[i] < 0x80;
	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_mime_text_part_set_charset(tp, ascii ? "us-ascii" : "utf-8");
	g_mime_object_encode(GMIME_OBJECT(tp), GMIME_ENCODING_CONSTRAINT_7BIT);
	g_object_unref(dw);
	g_object_unref(st);
	g_free(t);
	return GMIME_OBJECT(tp);
}

/*
 * The application/zip part over fd (GMime owns fd from here on), or over
 * data[0..len) when fd < 0 (borrowed until the message is written).
 */
static GMimeObject *
make_zip(int fd, const void *data, size_t len_data, const char *name)
{
	GMimePart *part = g_mime_part_new_with_type("application", "zip");
	GMimeStream *st = fd >= 0 ? g_mime_stream_fs_new(fd)
				  : g_mime_stream_mem_new_with_buffer(
					(const char *)data, len_data);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    st, GMIME_CONTENT_ENCODING_DEFAULT);
	size_t len = strlen(name);
	char *fname = len >= 4 && strcasecmp(name + len - 4, ".zip") == 0
			  ? g_strdup(name)
			  : g_strconcat(name, ".zip", NULL);

	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_filename(part, fname); /* name= and filename= */
	g_free(fname);
	g_object_unref(dw);
	g_object_unref(st);
	return GMIME_OBJECT(part);
}

/*
 * The text/html part: the rendering as the reader's mail client may show
 * it (inline), base64 so that its long lines survive any transport. The
 * page carries its own Content-Security-Policy; it is signed and
 * encrypted with the rest.
 */
static GMimeObject *
make_html(const char *html, size_t len)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("html");
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(html, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    st, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(tp),
					 GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(tp), "inline");
	g_mime_part_set_filename(GMIME_PART(tp), HTML_NAME);
	g_object_unref(dw);
	g_object_unref(st);
	return GMIME_OBJECT(tp);
}

/* The inner message without its body, in our header order. */
static GMimeMessage *
make_headers(const struct gw_mime_direct *m, const char *date,
	     const char *msgid)
{
	GMimeMessage *msg = g_mime_message_new(FALSE);
	GMimeObject *o = GMIME_OBJECT(msg);
	char *subject =
	    m->subject_title != NULL && m->subject_title[0] != '\0'
		? g_strconcat(SUBJECT_TAG " ", m->subject_title, NULL)
		: g_strdup(SUBJECT_TAG);

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, m->from);
	for (size_t i = 0; i < m->nto; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL,
					   m->to[i]);
	g_mime_object_append_header(o, "Date", date, NULL);
	g_mime_object_append_header(o, "Subject", subject, "utf-8");
	g_mime_object_append_header(o, "Message-ID", msgid, NULL);
	if (m->in_reply_to != NULL) {
		g_mime_object_append_header(o, "In-Reply-To", m->in_reply_to,
					    NULL);
		g_mime_object_append_header(o, "References", m->in_reply_to,
					    NULL);
	}
	if (m->final_delivery)
		g_mime_object_append_header(
		    o, "Disposition-Notification-Options", DNO_FINAL, NULL);
	g_mime_object_append_header(o, "MIME-Version", "1.0", NULL);
	g_free(subject);
	return msg;
}

/* Only CRLF line ends, every line at most MAX_LINE characters. */
static bool
is_canonical(const unsigned char *p, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n')
			return false; /* bare LF */
		if (p[i] != '\r')
			continue;
		if (i + 1 >= len || p[i + 1] != '\n' || i - start > MAX_LINE)
			return false;
		i++;
		start = i + 1;
	}
	return start == len;
}

static bool
is_outer_field(const unsigned char *p, size_t len)
{
	static const char *const keep[] = {"From", "To", "Date", "Message-ID",
					   "MIME-Version"};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		size_t n = strlen(keep[i]);

		if (len > n && p[n] == ':' &&
		    strncasecmp((const char *)p, keep[i], n) == 0)
			return true;
	}
	return false;
}

/*
 * Copy the outer fields, folded lines included, from the canonical
 * header block at p (ended by an empty line) to out.
 */
static int
copy_outer(const unsigned char *p, size_t len, struct gw_buf *out)
{
	size_t i = 0;

	while (i + 1 < len && !(p[i] == '\r' && p[i + 1] == '\n')) {
		size_t end = i;
		const unsigned char *crlf;

		/* One field: its first line and any continuation lines. */
		do {
			crlf = memchr(p + end, '\r', len - end);
			if (crlf == NULL)
				return -1;
			end = (size_t)(crlf - p) + 2;
		} while (end < len && (p[end] == ' ' || p[end] == '\t'));
		if (is_outer_field(p + i, end - i) &&
		    gw_buf_append(out, p + i, end - i) < 0)
			return GW_ELIMIT;
		i = end;
	}
	return 0;
}

/* Undo appends after a failure. */
static void
truncate_to(struct gw_buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

int
gw_mime_build_direct(const struct gw_mime_direct *m, struct gw_buf *signable,
		     struct gw_buf *outer_headers,
		     char message_id[GW_MIME_MSGID_LEN], struct gw_err *err)
{
	GMimeMessage *msg = NULL;
	GMimeMultipart *mixed = NULL;
	GMimeObject *note = NULL, *zip = NULL, *html = NULL;
	GMimeStream *mem = NULL;
	GMimeFormatOptions *fo = NULL;
	GByteArray *ba;
	char uuid[GW_ID_UUID_LEN], date[64], *domain = NULL;
	size_t slen0 = signable->len, olen0 = outer_headers->len;
	off_t zsize = 0;
	int fd = -1, rc;

	message_id[0] = '\0';
	if ((rc = check_input(m, err)) < 0)
		goto out;
	if (gw_mime_date(m->date, date, sizeof(date)) < 0) {
		rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				"mime: date out of range");
		goto out;
	}
	if (m->zip_data != NULL)
		zsize = (off_t)m->zip_len;
	else if ((fd = open_zip(m->zip_path, &zsize, err)) < 0) {
		rc = fd;
		goto out;
	}
	/* Refuse early what cannot fit: base64 is 78 bytes a line for 57. */
	if (((uint64_t)zsize + (m->html != NULL ? m->html_len : 0)) / 57 * 78 +
		156 >
	    signable->max - signable->len) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"mime: zip of %lld bytes makes the message "
				"larger than allowed",
				(long long)zsize);
		goto out;
	}
	pthread_once(&gmime_once, gmime_start);
	domain = g_ascii_strdown(strchr(m->from, '@') + 1, -1);
	gw_id_uuid(uuid);
	snprintf(message_id, GW_MIME_MSGID_LEN, "<%s@%s>", uuid, domain);

	msg = make_headers(m, date, message_id);
	mixed = g_mime_multipart_new_with_subtype("mixed");
	note = make_note(m->text);
	zip = make_zip(fd, m->zip_data, m->zip_len, m->zip_name);
	fd = -1;
	g_mime_multipart_add(mixed, note);
	if (m->html != NULL) {
		html = make_html(m->html, m->html_len);
		g_mime_multipart_add(mixed, html);
	}
	g_mime_multipart_add(mixed, zip);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	mem = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) < 0) {
		rc = gw_err_set(
		    err, GW_ERROR, "4.3.0", "mime: cannot read %s: %s",
		    m->zip_path ? m->zip_path : "the zip", strerror(errno));
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (!is_canonical(ba->data, ba->len)) {
		rc = gw_err_set(err, GW_ERROR, "5.6.0",
				"mime: built a line over %d characters or "
				"without CRLF",
				MAX_LINE);
		goto out;
	}
	if (gw_buf_puts(signable, WRAPPER) < 0 ||
	    gw_buf_append(signable, ba->data, ba->len) < 0 ||
	    copy_outer(ba->data, ba->len, outer_headers) < 0) {
		rc = gw_err_set(err, GW_ELIMIT, "5.3.4",
				"mime: message larger than allowed");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		truncate_to(signable, slen0);
		truncate_to(outer_headers, olen0);
		message_id[0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	g_free(domain);
	if (mem != NULL)
		g_object_unref(mem);
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (note != NULL)
		g_object_unref(note);
	if (zip != NULL)
		g_object_unref(zip);
	if (html != NULL)
		g_object_unref(html);
	if (mixed != NULL)
		g_object_unref(mixed);
	if (msg != NULL)
		g_object_unref(msg);
	return rc;
}
