/* Unit tests for config: typed table, file:line errors, ranges. */
#include "harness.h"

#include <stdlib.h>

#include "config.h"

static const char *
write_conf(const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dxgw.conf", gw_test_tmpdir());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

GW_TEST(config_load_values)
{
	struct gw_config c;
	struct gw_err e;
	const char *p =
	    write_conf("# comment\n\nlisten = 127.0.0.1:0\n"
		       "max_request_size = 2M\nio_timeout = 2m\n"
		       "log_syslog = yes\ntls_client_auth = none\n"
		       "client_allow = CN=ehr1 @a.example, b@c.example\n"
		       "client_allow = anonymous *\n");

	gw_config_defaults(&c);
	CHECK_INT(gw_config_load(&c, p, &e), 0);
	CHECK_STR(c.listen, "127.0.0.1:0");
	CHECK_INT(c.max_request_size, 2 * 1024 * 1024);
	CHECK_INT(c.io_timeout, 120);
	CHECK(c.log_syslog);
	CHECK_INT(c.nclient_allow, 2);
	CHECK_INT(gw_config_check(&c, &e), 0);
	gw_config_dispose(&c);
}

GW_TEST(config_unknown_key_file_line)
{
	struct gw_config c;
	struct gw_err e;
	const char *p = write_conf("listen = 127.0.0.1:1\n\nlisen = x\n");

	gw_config_defaults(&c);
	CHECK_INT(gw_config_load(&c, p, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "dxgw.conf:3:") != NULL);
	CHECK(strstr(e.msg, "lisen") != NULL);
	gw_config_dispose(&c);
}

GW_TEST(config_out_of_range)
{
	struct gw_config c;
	struct gw_err e;

	gw_config_defaults(&c);
	CHECK_INT(gw_config_set(&c, "workers", "0", &e), GW_EPARSE);
	CHECK(strstr(e.msg, "out of range") != NULL);
	CHECK_INT(gw_config_set(&c, "workers", "1024", &e), 0);
	CHECK_INT(gw_config_set(&c, "workers", "1025", &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "max_request_size", "12X", &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "log_syslog", "maybe", &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "log_level", "loud", &e), GW_EPARSE);
	gw_config_dispose(&c);
}

GW_TEST(config_plain_http_only_loopback)
{
	struct gw_config c;
	struct gw_err e;

	gw_config_defaults(&c);
	CHECK_INT(gw_config_set(&c, "listen", "0.0.0.0:8080", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "loopback") != NULL);
	CHECK_INT(gw_config_set(&c, "listen", "[::1]:8080", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "listen", "nonsense", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	gw_config_dispose(&c);
}

GW_TEST(config_smtp_server_keys)
{
	struct gw_config c;
	struct gw_err e;

	gw_config_defaults(&c);
	CHECK_STR(c.smtp_listen, "");
	CHECK(c.smtp_require_tls);
	CHECK(!c.smtp_lmtp);
	CHECK_INT(c.smtp_max_message_size, 40L * 1024 * 1024);
	CHECK_INT(c.smtp_max_recipients, 100);
	CHECK_INT(c.smtp_command_timeout, 300);
	CHECK_INT(c.smtp_data_timeout, 600);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "smtp_max_recipients", "0", &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "smtp_lmtp", "yes", &e), 0);
	CHECK(c.smtp_lmtp);
	/* TLS required but no certificate: a listener that takes nothing. */
	CHECK_INT(gw_config_set(&c, "smtp_listen", "127.0.0.1:25", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "smtp_tls_cert") != NULL);
	CHECK_INT(gw_config_set(&c, "smtp_require_tls", "no", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "smtp_listen", "25", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	gw_config_dispose(&c);
}

/* The admin port: off by default; PHI metadata never in clear off loopback. */
GW_TEST(config_admin_keys)
{
	static const char tok[] = "0123456789abcdef0123";
	struct gw_config c;
	struct gw_err e;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	gw_config_defaults(&c);
	CHECK_STR(c.admin_listen, "");
	CHECK_STR(c.admin_token, "");
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "admin_listen", "127.0.0.1:0", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "admin_listen", "[::1]:8081", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "admin_listen", "8081", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	/* Off loopback: TLS, and a token or a client CA. */
	CHECK_INT(gw_config_set(&c, "admin_listen", "0.0.0.0:8081", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "admin_tls_cert") != NULL);
	CHECK_INT(gw_config_set(&c, "admin_token", tok, &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "admin_tls_cert", "/x/server.pem", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "admin_token", "", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "admin_token or admin_client_ca") != NULL);
	CHECK_INT(gw_config_set(&c, "admin_client_ca", "/x/ca.pem", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	/* A client CA needs TLS, even on loopback. */
	CHECK_INT(gw_config_set(&c, "admin_listen", "127.0.0.1:8081", &e), 0);
	CHECK_INT(gw_config_set(&c, "admin_tls_cert", "", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "admin_client_ca", "", &e), 0);
	/* Tokens: 16 to 256 visible ASCII characters. */
	CHECK_INT(gw_config_set(&c, "admin_token", "short", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "admin_token", "0123456789 abcdef", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "admin_token", tok, &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	/* dxgw config never prints the token. */
	f = open_memstream(&out, &len);
	REQUIRE(f != NULL);
	gw_config_dump(&c, f, true);
	fclose(f);
	CHECK(strstr(out, "admin_token = (set)\n") != NULL);
	CHECK(strstr(out, tok) == NULL);
	free(out);
	gw_config_dispose(&c);
}

/* html_part: off unless asked; only yes or no. xdm_render: on. */
GW_TEST(config_html_part)
{
	struct gw_config c;
	struct gw_err e;
	const char *p = write_conf("html_part = yes\n");

	gw_config_defaults(&c);
	CHECK(!c.html_part);
	CHECK_INT(gw_config_set(&c, "html_part", "maybe", &e), GW_EPARSE);
	CHECK(!c.html_part);
	CHECK_INT(gw_config_load(&c, p, &e), 0);
	CHECK(c.html_part);
	CHECK_INT(gw_config_set(&c, "html_part", "no", &e), 0);
	CHECK(!c.html_part);
	/* The INDEX.HTM renderings are on unless turned off. */
	CHECK(c.xdm_render);
	CHECK_INT(gw_config_set(&c, "xdm_render", "no", &e), 0);
	CHECK(!c.xdm_render);
	gw_config_dispose(&c);
}

/* C-CDA metadata defaults: documented built-ins, code^scheme^display. */
GW_TEST(config_cda_defaults)
{
	struct gw_config c;
	struct gw_err e;

	gw_config_defaults(&c);
	CHECK_STR(c.cda_facility_type_code,
		  "35971002^2.16.840.1.113883.6.96^Ambulatory care site");
	CHECK_STR(c.cda_practice_setting_code,
		  "394802001^2.16.840.1.113883.6.96^General medicine");
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "cda_practice_setting_code",
				"408467006^2.16.840.1.113883.6.96^Adult "
				"mental illness",
				&e),
		  0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	/* Empty: no default, the value is left out. */
	CHECK_INT(gw_config_set(&c, "cda_facility_type_code", "", &e), 0);
	CHECK_INT(gw_config_check(&c, &e), 0);
	CHECK_INT(gw_config_set(&c, "cda_facility_type_code", "35971002", &e),
		  0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "cda_facility_type_code") != NULL);
	CHECK_INT(gw_config_set(&c, "cda_facility_type_code", "a^b^c^d", &e),
		  0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK_INT(gw_config_set(&c, "cda_facility_type_code", "a^b^c", &e), 0);
	CHECK_INT(gw_config_set(&c, "cda_practice_setting_code", "^b^c", &e),
		  0);
	CHECK_INT(gw_config_check(&c, &e), GW_EPARSE);
	CHECK(strstr(e.msg, "cda_practice_setting_code") != NULL);
	gw_config_dispose(&c);
}
