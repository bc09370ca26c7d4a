/*
 * Unit tests for mime: the Direct message around an XDM zip, read back
 * with GMime's parser; outer header fields; CRLF and line length;
 * refused inputs (header injection); zip errors and limits; threads.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "err.h"
#include "mime.h"

#define DATE_T   ((time_t)1700000000)
#define DATE_STR "Tue, 14 Nov 2023 22:13:20 +0000"

static const char *const two_to[] = {"doc@direct-b.example",
				     "Nurse.Ann+xdm@Direct-B.example"};

/* A zip-like file: a local file header, then every byte value. */
static const char *
zip_file(size_t len, char **data)
{
	static char path[512];
	char *p = malloc(len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/x.zip", gw_test_tmpdir());
	for (size_t i = 0; i < len; i++)
		p[i] = (char)((i * 7 + i / 256) & 0xff);
	if (len >= 4)
		memcpy(p, "PK\x03\x04", 4);
	f = fopen(path, "wb");
	if (f != NULL) {
		if (fwrite(p, 1, len, f) != len)
			path[0] = '\0';
		fclose(f);
	}
	*data = p;
	return path;
}

static struct gw_mime_direct
sample(const char *zip)
{
	struct gw_mime_direct m = {
	    .from = "ehr@direct-a.example",
	    .to = two_to,
	    .nto = 2,
	    .subject_title = "Referral note",
	    .final_delivery = 1,
	    .zip_path = zip,
	    .zip_name = "9b6a0a5e-4f7e-4b7e-8d1a-0c2b3d4e5f60",
	    .date = DATE_T,
	};
	return m;
}

/* Only CRLF line ends, no line over 998 characters. */
static bool
canonical(const char *p, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
		if (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n'))
			return false;
		if (p[i] == '\n') {
			if (i - 1 - start > 998)
				return false;
			start = i + 1;
		}
	}
	return start == len;
}

/* Parse an entity with GMime; the caller unrefs. */
static GMimeObject *
parse(const char *p, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(p, len);
	GMimeParser *ps = g_mime_parser_new_with_stream(st);
	GMimeObject *o = g_mime_parser_construct_part(ps, NULL);

	g_object_unref(ps);
	g_object_unref(st);
	return o;
}

/* The field names of a header block, each followed by '\n'. */
static void
field_names(const char *h, char *out, size_t n)
{
	out[0] = '\0';
	for (const char *l = h; *l != '\0';) {
		const char *c = strchr(l, ':'), *e = strstr(l, "\r\n");

		if (e == NULL)
			break;
		if (*l != ' ' && *l != '\t' && c != NULL && c < e) {
			size_t k = strlen(out);

			snprintf(out + k, n - k, "%.*s\n", (int)(c - l), l);
		}
		l = e + 2;
	}
}

/* The decoded content of a leaf part, NUL-terminated. */
static char *
decoded(GMimeObject *o, size_t *len)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	char *p;

	g_mime_data_wrapper_write_to_stream(
	    g_mime_part_get_content(GMIME_PART(o)), mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	p = malloc(ba->len + 1);
	memcpy(p, ba->data, ba->len);
	p[ba->len] = '\0';
	*len = ba->len;
	g_object_unref(mem);
	return p;
}

static GMimeMessage *
inner_message(GMimeObject *top)
{
	if (top == NULL || !GMIME_IS_MESSAGE_PART(top))
		return NULL;
	return g_mime_message_part_get_message(GMIME_MESSAGE_PART(top));
}

GW_TEST(mime_direct_message_shape)
{
	char *zdata = NULL, *att = NULL, *from, id[GW_MIME_MSGID_LEN];
	char names[256];
	const char *zip = zip_file(5000, &zdata);
	struct gw_mime_direct m = sample(zip);
	struct gw_buf s, o;
	struct gw_err e;
	GMimeObject *top = NULL, *body, *p0, *p1;
	GMimeMessage *msg;
	InternetAddressList *to;
	GMimeContentType *ct;
	size_t alen = 0;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 4096);
	REQUIRE(zip[0] != '\0');
	REQUIRE(gw_mime_build_direct(&m, &s, &o, id, &e) == 0);
	CHECK(strncmp(s.data, "Content-Type: message/rfc822\r\n\r\n", 32) == 0);
	CHECK(canonical(s.data, s.len));
	CHECK(canonical(o.data, o.len));

	/* Message-ID: <uuid@domain of From>, as returned. */
	CHECK_INT(strlen(id), 1 + 36 + 1 + strlen("direct-a.example") + 1);
	CHECK(id[0] == '<' && id[37] == '@');
	CHECK_STR(id + 37, "@direct-a.example>");

	top = parse(s.data, s.len);
	REQUIRE(top != NULL);
	ct = g_mime_object_get_content_type(top);
	CHECK(g_mime_content_type_is_type(ct, "message", "rfc822"));
	msg = inner_message(top);
	REQUIRE(msg != NULL);
	from = internet_address_list_to_string(g_mime_message_get_from(msg),
					       NULL, FALSE);
	CHECK_STR(from, "ehr@direct-a.example");
	g_free(from);
	to = g_mime_message_get_to(msg);
	REQUIRE(internet_address_list_length(to) == 2);
	CHECK_STR(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
		      internet_address_list_get_address(to, 0))),
		  "doc@direct-b.example");
	CHECK_STR(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
		      internet_address_list_get_address(to, 1))),
		  "Nurse.Ann+xdm@Direct-B.example");
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg), "Date"),
		  DATE_STR);
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg), "Message-ID"),
		  id);
	CHECK_STR(g_mime_message_get_subject(msg), "XDM/1.0/DDM Referral note");
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg),
					   "Disposition-Notification-Options"),
		  "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true");
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg), "MIME-Version"),
		  "1.0");
	CHECK(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To") ==
	      NULL);
	CHECK(g_mime_object_get_header(GMIME_OBJECT(msg), "Bcc") == NULL);

	/* multipart/mixed: exactly text/plain, then application/zip. */
	body = g_mime_message_get_mime_part(msg);
	REQUIRE(body != NULL && GMIME_IS_MULTIPART(body));
	CHECK(g_mime_content_type_is_type(g_mime_object_get_content_type(body),
					  "multipart", "mixed"));
	REQUIRE(g_mime_multipart_get_count(GMIME_MULTIPART(body)) == 2);
	p0 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	p1 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	CHECK(g_mime_content_type_is_type(g_mime_object_get_content_type(p0),
					  "text", "plain"));
	REQUIRE(GMIME_IS_PART(p1));
	CHECK(g_mime_content_type_is_type(g_mime_object_get_content_type(p1),
					  "application", "zip"));
	CHECK_INT(g_mime_part_get_content_encoding(GMIME_PART(p1)),
		  GMIME_CONTENT_ENCODING_BASE64);
	CHECK_STR(g_mime_part_get_filename(GMIME_PART(p1)),
		  "9b6a0a5e-4f7e-4b7e-8d1a-0c2b3d4e5f60.zip");
	CHECK_STR(g_mime_content_type_get_parameter(
		      g_mime_object_get_content_type(p1), "name"),
		  "9b6a0a5e-4f7e-4b7e-8d1a-0c2b3d4e5f60.zip");
	CHECK_STR(g_mime_object_get_disposition(p1), "attachment");
	att = decoded(p1, &alen);
	CHECK_INT(alen, 5000);
	CHECK(alen == 5000 && memcmp(att, zdata, alen) == 0);
	free(att);
	CHECK_STR(g_mime_text_part_get_charset(GMIME_TEXT_PART(p0)),
		  "us-ascii");
	att = decoded(p0, &alen);
	CHECK(strstr(att, "XDM") != NULL);
	free(att);

	/* The outer fields: these five, nothing else. */
	field_names(o.data, names, sizeof(names));
	CHECK_STR(names, "From\nTo\nDate\nMessage-ID\nMIME-Version\n");
	CHECK(strstr(o.data, "Message-ID: ") != NULL &&
	      strstr(o.data, id) != NULL);
	CHECK(strstr(o.data, "To: doc@direct-b.example, "
			     "Nurse.Ann+xdm@Direct-B.example\r\n") != NULL);
	CHECK(strstr(o.data, "Date: " DATE_STR "\r\n") != NULL);
	CHECK(strstr(o.data, "Subject") == NULL);
	CHECK(strstr(o.data, "XDM/1.0/DDM") == NULL);

	g_object_unref(top);
	free(zdata);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

GW_TEST(mime_without_final_delivery_and_title)
{
	char *zdata = NULL, id[GW_MIME_MSGID_LEN];
	const char *zip = zip_file(10, &zdata);
	struct gw_mime_direct m = sample(zip);
	struct gw_buf s, o;
	struct gw_err e;
	GMimeObject *top = NULL;
	GMimeMessage *msg;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 4096);
	m.final_delivery = 0;
	m.subject_title = NULL;
	m.in_reply_to = "<orig.1@direct-b.example>";
	m.zip_name = "PKG.ZIP";
	m.nto = 1;
	REQUIRE(gw_mime_build_direct(&m, &s, &o, id, &e) == 0);
	CHECK(strstr(s.data, "Disposition-Notification-Options") == NULL);
	top = parse(s.data, s.len);
	msg = inner_message(top);
	REQUIRE(msg != NULL);
	CHECK_STR(g_mime_message_get_subject(msg), "XDM/1.0/DDM");
	CHECK(g_mime_object_get_header(GMIME_OBJECT(msg),
				       "Disposition-Notification-Options") ==
	      NULL);
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"),
		  "<orig.1@direct-b.example>");
	CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(msg), "References"),
		  "<orig.1@direct-b.example>");
	CHECK(strstr(s.data, "filename=PKG.ZIP\r\n") != NULL);
	/* In-Reply-To stays inside, like the Subject. */
	CHECK(strstr(o.data, "In-Reply-To") == NULL);
	CHECK(strstr(o.data, "\r\nTo: doc@direct-b.example\r\n") != NULL);
	g_object_unref(top);
	free(zdata);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

GW_TEST(mime_text_unicode_and_long_lines)
{
	char *zdata = NULL, *txt, *got, id[GW_MIME_MSGID_LEN];
	const char *zip = zip_file(100, &zdata);
	struct gw_mime_direct m = sample(zip);
	struct gw_buf s, o;
	struct gw_err e;
	GMimeObject *top = NULL, *p0;
	GMimeMessage *msg;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 4096);
	/* A CRLF, a 3000-character line, a bare LF, non-ASCII. */
	txt = malloc(3100);
	snprintf(txt, 3100, "Grüße\r\n%03000d\nend", 0);
	m.text = txt;
	m.subject_title = "Überweisung Müller";
	REQUIRE(gw_mime_build_direct(&m, &s, &o, id, &e) == 0);
	CHECK(canonical(s.data, s.len));
	top = parse(s.data, s.len);
	msg = inner_message(top);
	REQUIRE(msg != NULL);
	CHECK_STR(g_mime_message_get_subject(msg),
		  "XDM/1.0/DDM Überweisung Müller");
	/* The tag itself stays plain text in the encoded Subject. */
	CHECK(strstr(s.data, "Subject: XDM/1.0/DDM ") != NULL);
	p0 = g_mime_multipart_get_part(
	    GMIME_MULTIPART(g_mime_message_get_mime_part(msg)), 0);
	/* UTF-8 as given, not recoded to a smaller charset. */
	CHECK_STR(g_mime_text_part_get_charset(GMIME_TEXT_PART(p0)), "utf-8");
	got = g_mime_text_part_get_text(GMIME_TEXT_PART(p0));
	REQUIRE(got != NULL);
	CHECK(strncmp(got, "Grüße\r\n000", 12) == 0);
	CHECK_INT(strlen(got),
		  strlen("Grüße\r\n") + 3000 + strlen("\r\nend\r\n"));
	CHECK(strstr(got, "0\r\nend\r\n") != NULL);
	g_free(got);
	g_object_unref(top);
	free(txt);
	free(zdata);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

/* Build m; expect code and no output at all. */
static void
refused(const struct gw_mime_direct *m, int code, const char *what)
{
	struct gw_buf s, o;
	struct gw_err e;
	char id[GW_MIME_MSGID_LEN] = "x";
	int rc;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 4096);
	rc = gw_mime_build_direct(m, &s, &o, id, &e);
	if (rc != code) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%s: got %d, want %d", what, rc,
			 code);
		gw_test_fail(__FILE__, __LINE__, msg);
	} else {
		CHECK(strncmp(e.msg, "mime: ", 6) == 0);
	}
	CHECK_INT(s.len, 0);
	CHECK_INT(o.len, 0);
	CHECK_STR(id, "");
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

GW_TEST(mime_refuses_header_injection_and_bad_addresses)
{
	char *zdata = NULL;
	const char *zip = zip_file(10, &zdata);
	const struct gw_mime_direct base = sample(zip);
	struct gw_mime_direct m;
	static const char *const bad_addrs[] = {
	    "doc@direct-b.example\r\nBcc: spy@evil.example",
	    "doc@direct-b.example\nBcc: spy@evil.example",
	    "doc.direct-b.example",
	    "",
	    "doc@@direct-b.example",
	    "a@b@direct-b.example",
	    "Doc <doc@direct-b.example>",
	    "\"doc\"@direct-b.example",
	    ".doc@direct-b.example",
	    "d..oc@direct-b.example",
	    "doc@",
	    "doc@-direct.example",
	    "doc@direct..example",
	    "doc@[192.0.2.1]",
	    "doc@direct-b.example,spy@evil.example",
	    "doc @direct-b.example",
	};
	const char *one[1];

	for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		m = base;
		one[0] = bad_addrs[i];
		m.to = one;
		m.nto = 1;
		refused(&m, GW_EPARSE, bad_addrs[i]);
		m = base;
		m.from = bad_addrs[i];
		refused(&m, GW_EPARSE, bad_addrs[i]);
	}
	m = base;
	m.from = NULL;
	refused(&m, GW_EPARSE, "no From");
	m = base;
	m.nto = 0;
	refused(&m, GW_EPARSE, "no To");
	m = base;
	m.to = NULL;
	refused(&m, GW_EPARSE, "To NULL");
	m = base;
	m.subject_title = "Referral\r\nBcc: spy@evil.example";
	refused(&m, GW_EPARSE, "subject CRLF");
	m.subject_title = "Referral\nBcc: spy@evil.example";
	refused(&m, GW_EPARSE, "subject LF");
	m.subject_title = "tab\there";
	refused(&m, GW_EPARSE, "subject control");
	m.subject_title = "\xff\xfe not UTF-8";
	refused(&m, GW_EPARSE, "subject not UTF-8");
	m = base;
	m.in_reply_to = "<a@b.example>\r\nBcc: spy@evil.example";
	refused(&m, GW_EPARSE, "In-Reply-To CRLF");
	m.in_reply_to = "a@b.example";
	refused(&m, GW_EPARSE, "In-Reply-To without <>");
	m = base;
	m.zip_name = "x.zip\r\nBcc: spy@evil.example";
	refused(&m, GW_EPARSE, "zip name CRLF");
	m.zip_name = "../x.zip";
	refused(&m, GW_EPARSE, "zip name path");
	m.zip_name = "x y.zip";
	refused(&m, GW_EPARSE, "zip name space");
	m.zip_name = NULL;
	refused(&m, GW_EPARSE, "zip name NULL");
	m = base;
	m.text = "hello\x01";
	refused(&m, GW_EPARSE, "text control");
	free(zdata);
}

GW_TEST(mime_zip_errors_and_limits)
{
	char *zdata = NULL, link[600], id[GW_MIME_MSGID_LEN];
	const char *zip = zip_file(100000, &zdata);
	struct gw_mime_direct m = sample(zip);
	struct gw_buf s, o;
	struct gw_err e;

	m.zip_path = "/nonexistent/x.zip";
	refused(&m, GW_ERROR, "missing zip");
	m.zip_path = gw_test_tmpdir();
	refused(&m, GW_ERROR, "directory");
	snprintf(link, sizeof(link), "%s/link.zip", gw_test_tmpdir());
	REQUIRE(symlink(zip, link) == 0);
	m.zip_path = link;
	refused(&m, GW_ERROR, "symlink");

	/* Too large for the buffer: refused before reading, nothing kept. */
	m.zip_path = zip;
	gw_buf_init(&s, 100000);
	gw_buf_init(&o, 4096);
	CHECK_INT(gw_mime_build_direct(&m, &s, &o, id, &e), GW_ELIMIT);
	CHECK_INT(s.len, 0);
	/* Appends to what the buffers hold already. */
	gw_buf_dispose(&s);
	gw_buf_init(&s, 200000);
	REQUIRE(gw_buf_puts(&s, "X: y\r\n") == 0);
	REQUIRE(gw_buf_puts(&o, "Received: z\r\n") == 0);
	CHECK_INT(gw_mime_build_direct(&m, &s, &o, id, &e), 0);
	CHECK(strncmp(s.data, "X: y\r\nContent-Type: message/rfc822\r\n", 36) ==
	      0);
	CHECK(strncmp(o.data, "Received: z\r\nFrom: ", 19) == 0);
	/* The outer buffer too small: GW_ELIMIT, both left as they were. */
	gw_buf_dispose(&o);
	gw_buf_init(&o, 50);
	s.len = 6;
	CHECK_INT(gw_mime_build_direct(&m, &s, &o, id, &e), GW_ELIMIT);
	CHECK_INT(s.len, 6);
	CHECK_INT(o.len, 0);
	CHECK_STR(id, "");
	free(zdata);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

struct worker {
	const char *zip;
	int failures;
};

static void *
build_many(void *arg)
{
	struct worker *w = arg;
	struct gw_mime_direct m = sample(w->zip);

	for (int i = 0; i < 20; i++) {
		struct gw_buf s, o;
		struct gw_err e;
		char id[GW_MIME_MSGID_LEN];

		gw_buf_init(&s, 1 << 20);
		gw_buf_init(&o, 4096);
		if (gw_mime_build_direct(&m, &s, &o, id, &e) != 0 ||
		    !canonical(s.data, s.len))
			w->failures++;
		gw_buf_dispose(&s);
		gw_buf_dispose(&o);
	}
	return NULL;
}

GW_TEST(mime_threads_build_at_once)
{
	char *zdata = NULL;
	const char *zip = zip_file(20000, &zdata);
	struct worker w[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		w[i].zip = zip;
		w[i].failures = 0;
		REQUIRE(pthread_create(&t[i], NULL, build_many, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].failures, 0);
	}
	free(zdata);
}

GW_TEST(mime_parts_of_a_built_message)
{
	static const char wrap[] = "Content-Type: message/rfc822\r\n\r\n";
	struct gw_mime_part *parts = NULL;
	struct gw_mime_direct m;
	struct gw_buf s, o;
	char id[GW_MIME_MSGID_LEN];
	char *data = NULL;
	const char *zip = zip_file(5000, &data);
	size_t n = 0;
	struct gw_err e;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 1 << 16);
	m = sample(zip);
	REQUIRE(gw_mime_build_direct(&m, &s, &o, id, &e) == 0);
	REQUIRE(s.len > sizeof(wrap));
	/* What the security agent hands on: the unwrapped message. */
	REQUIRE(gw_mime_parts(s.data + sizeof(wrap) - 1,
			      s.len - (sizeof(wrap) - 1), 10, 1 << 20, &parts,
			      &n, &e) == 0);
	REQUIRE(n == 2);
	CHECK_STR(parts[0].content_type, "text/plain");
	CHECK(parts[0].filename == NULL);
	CHECK_STR(parts[1].content_type, "application/zip");
	CHECK(parts[1].filename != NULL &&
	      strcmp(parts[1].filename,
		     "9b6a0a5e-4f7e-4b7e-8d1a-0c2b3d4e5f60.zip") == 0);
	CHECK(parts[1].len == 5000 && memcmp(parts[1].data, data, 5000) == 0);
	gw_mime_parts_free(parts, n);
	/* Limits hold: one part too many, or too many bytes. */
	CHECK_INT(gw_mime_parts(s.data + sizeof(wrap) - 1,
				s.len - (sizeof(wrap) - 1), 1, 1 << 20, &parts,
				&n, &e),
		  GW_ELIMIT);
	CHECK_INT(gw_mime_parts(s.data + sizeof(wrap) - 1,
				s.len - (sizeof(wrap) - 1), 10, 4000, &parts,
				&n, &e),
		  GW_ELIMIT);
	free(data);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}

/* html_part: a text/html part between the note and the zip, as given. */
GW_TEST(mime_html_part)
{
	static const char wrap[] = "Content-Type: message/rfc822\r\n\r\n";
	static const char page[] =
	    "<!DOCTYPE html><html xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<head><title>R\xc3\xa9sum\xc3\xa9</title></head><body><p>one "
	    "very long line that a transport must not break"
	    ".................................................................."
	    "."
	    ".................................................................."
	    "."
	    "...........................................</p></body></html>\n";
	struct gw_mime_part *parts = NULL;
	struct gw_mime_direct m;
	struct gw_buf s, o;
	char id[GW_MIME_MSGID_LEN];
	char *data = NULL;
	const char *zip = zip_file(3000, &data);
	size_t n = 0;
	struct gw_err e;

	gw_buf_init(&s, 1 << 20);
	gw_buf_init(&o, 1 << 16);
	m = sample(zip);
	m.html = page;
	m.html_len = strlen(page);
	REQUIRE(gw_mime_build_direct(&m, &s, &o, id, &e) == 0);
	CHECK(strstr(s.data, "Content-Type: text/html; charset=utf-8") != NULL);
	CHECK(strstr(s.data, "Content-Disposition: inline; "
			     "filename=document.html") != NULL);
	REQUIRE(gw_mime_parts(s.data + sizeof(wrap) - 1,
			      s.len - (sizeof(wrap) - 1), 10, 1 << 20, &parts,
			      &n, &e) == 0);
	REQUIRE(n == 3);
	CHECK_STR(parts[0].content_type, "text/plain");
	CHECK_STR(parts[1].content_type, "text/html");
	CHECK(parts[1].len == strlen(page) &&
	      memcmp(parts[1].data, page, strlen(page)) == 0);
	CHECK_STR(parts[2].content_type, "application/zip");
	CHECK(parts[2].len == 3000 && memcmp(parts[2].data, data, 3000) == 0);
	gw_mime_parts_free(parts, n);
	/* Declared UTF-8, so it must be: Latin-1 bytes are refused. */
	gw_buf_reset(&s);
	gw_buf_reset(&o);
	m.html = "<p>R\xe9sum\xe9</p>";
	m.html_len = strlen(m.html);
	CHECK_INT(gw_mime_build_direct(&m, &s, &o, id, &e), GW_EPARSE);
	CHECK_INT(s.len, 0);
	free(data);
	gw_buf_dispose(&s);
	gw_buf_dispose(&o);
}
