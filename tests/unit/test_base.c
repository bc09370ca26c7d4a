/* Unit tests for the base layer: buf, err, id, json. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "err.h"
#include "id.h"
#include "json.h"

GW_TEST(buf_limit)
{
	struct gw_buf b;

	gw_buf_init(&b, 8);
	CHECK_INT(gw_buf_puts(&b, "12345678"), 0);
	CHECK_INT(gw_buf_puts(&b, "9"), GW_ELIMIT);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	gw_buf_dispose(&b);
}

GW_TEST(buf_printf_escape)
{
	struct gw_buf b;

	gw_buf_init(&b, 1024);
	CHECK_INT(gw_buf_printf(&b, "%d-%s", 42, "x"), 0);
	CHECK_INT(gw_buf_xml_escape(&b, "a<b&\"c'>"), 0);
	CHECK_STR(b.data, "42-xa&lt;b&amp;&quot;c&apos;&gt;");
	gw_buf_dispose(&b);
}

GW_TEST(err_set_prefix)
{
	struct gw_err e;

	gw_err_clear(&e);
	CHECK_INT(gw_err_set(&e, GW_ETEMP, "4.3.0", "disk %s", "full"),
		  GW_ETEMP);
	CHECK(e.temp);
	gw_err_prefix(&e, "spool");
	CHECK_STR(e.msg, "spool: disk full");
	CHECK_STR(e.status, "4.3.0");
}

GW_TEST(id_uuid_time_ordered)
{
	char a[GW_ID_UUID_LEN], b[GW_ID_UUID_LEN];
	struct timespec ts;
	unsigned long long ms, got = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (unsigned long long)ts.tv_sec * 1000u +
	     (unsigned long long)ts.tv_nsec / 1000000u;
	gw_id_uuid_time(a);
	CHECK_INT(strlen(a), 36);
	CHECK(a[14] == '7');                  /* version 7 */
	CHECK(strchr("89ab", a[19]) != NULL); /* RFC 9562 variant */
	/* The first 48 bits are the Unix time in milliseconds. */
	for (int i = 0; i < 13; i++)
		if (a[i] != '-')
			got = got * 16 + (unsigned)(a[i] <= '9'
							? a[i] - '0'
							: a[i] - 'a' + 10);
	CHECK(got >= ms && got < ms + 1000);
	usleep(2000);
	gw_id_uuid_time(b);
	CHECK(strcmp(a, b) < 0); /* later ids sort later */
	/* Also many within one millisecond (the counter, not chance). */
	for (int i = 0; i < 5000; i++) {
		memcpy(a, b, sizeof a);
		gw_id_uuid_time(b);
		if (strcmp(a, b) >= 0) {
			CHECK(strcmp(a, b) < 0);
			break;
		}
	}
}

GW_TEST(id_uuid_oid)
{
	char u[GW_ID_UUID_LEN], o[GW_ID_OID_LEN], o2[GW_ID_OID_LEN];

	gw_id_uuid(u);
	CHECK_INT(strlen(u), 36);
	CHECK(u[14] == '4');                  /* version 4 */
	CHECK(strchr("89ab", u[19]) != NULL); /* RFC 4122 variant */
	gw_id_uuid_oid(o);
	gw_id_uuid_oid(o2);
	CHECK(strncmp(o, "2.25.", 5) == 0);
	CHECK(strlen(o) <= 44);
	CHECK(strcmp(o, o2) != 0);
	for (const char *p = o + 5; *p; p++)
		CHECK(*p >= '0' && *p <= '9');
}

/* RFC 4648 section 10 vectors, line breaks, and what must be refused. */
GW_TEST(b64_decode_vectors_and_refusals)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"", ""},
	    {"Zg==", "f"},
	    {"Zm8=", "fo"},
	    {"Zm9v", "foo"},
	    {"Zm9vYg==", "foob"},
	    {"Zm9vYmE=", "fooba"},
	    {"Zm9vYmFy", "foobar"},
	    {"Zm9v\r\nYmFy\r\n", "foobar"},
	    {" Zm9v YmE = \t", "fooba"},
	    {"Zm9vYg", "foob"}, /* unpadded final quantum */
	};
	static const char *const bad[] = {
	    "Z", "Zm9vY", "Zg=a", "Zg===", "Zm9v-YmFy", "=Zm9", "Zg==Zg=="};
	struct gw_buf b;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		gw_buf_init(&b, 100);
		CHECK_INT(gw_b64_decode(ok[i].in, strlen(ok[i].in), &b), 0);
		CHECK_INT(b.len, strlen(ok[i].out));
		CHECK(b.len == 0 || memcmp(b.data, ok[i].out, b.len) == 0);
		gw_buf_dispose(&b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gw_buf_init(&b, 100);
		CHECK_INT(gw_b64_decode(bad[i], strlen(bad[i]), &b), GW_EPARSE);
		gw_buf_dispose(&b);
	}
	/* A body larger than the buffer may hold is a limit, not garbage. */
	gw_buf_init(&b, 4);
	CHECK_INT(gw_b64_decode("Zm9vYmFy", 8, &b), GW_ELIMIT);
	gw_buf_dispose(&b);
}

/* s as gw_json_str() writes it, into out. */
static void
json_of(const char *s, char *out, size_t len)
{
	struct gw_buf b;

	gw_buf_init(&b, 1024);
	if (gw_json_str(&b, s) == 0)
		snprintf(out, len, "%s", b.data);
	else
		snprintf(out, len, "(error)");
	gw_buf_dispose(&b);
}

GW_TEST(json_str_escapes_and_utf8)
{
	char got[200];
	struct gw_buf b;

	json_of(NULL, got, sizeof(got));
	CHECK_STR(got, "null");
	json_of("", got, sizeof(got));
	CHECK_STR(got, "\"\"");
	json_of("<a@b.example> \"q\" \\", got, sizeof(got));
	CHECK_STR(got, "\"<a@b.example> \\\"q\\\" \\\\\"");
	json_of("a\nb\rc\td\x01"
		"e\x1f\x7f",
		got, sizeof(got));
	CHECK_STR(got, "\"a\\nb\\rc\\td\\u0001e\\u001f\\u007f\"");
	/* Well-formed UTF-8 passes: é, €, U+10348, U+FFFF. */
	json_of("\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88\xef\xbf\xbf", got,
		sizeof(got));
	CHECK_STR(got, "\"\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88\xef\xbf\xbf\"");
	/*
	 * Not UTF-8: a lone continuation byte, a Latin-1 byte, an overlong
	 * '/', a surrogate, beyond U+10FFFF, a truncated sequence at the
	 * end: each bad byte is U+FFFD.
	 */
	json_of("\x80", got, sizeof(got));
	CHECK_STR(got, "\"\\ufffd\"");
	json_of("caf\xe9!", got, sizeof(got));
	CHECK_STR(got, "\"caf\\ufffd!\"");
	json_of("\xc0\xaf", got, sizeof(got));
	CHECK_STR(got, "\"\\ufffd\\ufffd\"");
	json_of("\xed\xa0\x80", got, sizeof(got));
	CHECK_STR(got, "\"\\ufffd\\ufffd\\ufffd\"");
	json_of("\xf4\x90\x80\x80", got, sizeof(got));
	CHECK_STR(got, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	json_of("x\xe2\x82", got, sizeof(got));
	CHECK_STR(got, "\"x\\ufffd\\ufffd\"");
	/* The buffer's limit holds. */
	gw_buf_init(&b, 4);
	CHECK_INT(gw_json_str(&b, "abcdef"), GW_ELIMIT);
	gw_buf_dispose(&b);
}
