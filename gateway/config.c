/*
 * NAME
 *	config - typed configuration table
 * DESCRIPTION
 *	One table row per key, built with designated initializers and
 *	offsetof (Postfix typed tables with min/max, Redis standardConfig,
 *	nginx offsetof). Parsing is strict: a typo in a key or a value is a
 *	startup error with file:line, never a silent default.
 * SECURITY
 *	The config file is trusted (root-owned) but still parsed with
 *	bounded lines.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cda.h"
#include "log.h"
#include "mem.h"

enum ctype { T_STR, T_INT, T_SIZE, T_TIME, T_BOOL, T_ENUM, T_LIST };

struct key {
	const char *name;
	enum ctype type;
	size_t off;
	const char *def;
	long min;
	long max;
	const char *const *names; /* T_ENUM: value names, index = value */
	size_t count_off;         /* T_LIST: offset of its size_t count */
};

static const char *const client_auth_names[] = {"none", "optional", "require",
						NULL};
static const char *const level_names[] = {"debug",   "info",  "notice",
					  "warning", "error", NULL};
/* Index = enum gw_smtp_tls (smtpcli.h). */
static const char *const smtp_tls_names[] = {"verify", "encrypt",
					     "opportunistic", "none", NULL};
static const char *const cipher_names[] = {"aes128", "aes256", NULL};
static const char *const keyenc_names[] = {"pkcs1", "oaep", NULL};
static const char *const rcheck_names[] = {"sync", "async", NULL};
static const char *const fdd_names[] = {"asked", "always", NULL};
/* Index = enum gw_route_cda (route.h). */
static const char *const cda_names[] = {"off", "warn", "reject", NULL};

/*
 * The Makefile compiles in the corpus's schema directory when it exists,
 * so that "dxgw validate" works in a fresh clone without a config file.
 */
#ifndef GW_CDA_SCHEMA_DIR
#define GW_CDA_SCHEMA_DIR ""
#endif

#define OFF(f) offsetof(struct gw_config, f)
#define MiB    (1024L * 1024L)

static const struct key keys[] = {
    {.name = "listen",
     .type = T_STR,
     .off = OFF(listen),
     .def = "127.0.0.1:8080"},
    {.name = "tls_cert", .type = T_STR, .off = OFF(tls_cert), .def = ""},
    {.name = "tls_client_ca",
     .type = T_STR,
     .off = OFF(tls_client_ca),
     .def = ""},
    {.name = "tls_client_auth",
     .type = T_ENUM,
     .off = OFF(tls_client_auth),
     .def = "none",
     .names = client_auth_names},
    {.name = "client_allow",
     .type = T_LIST,
     .off = OFF(client_allow),
     .count_off = OFF(nclient_allow)},
    {.name = "hostname",
     .type = T_STR,
     .off = OFF(hostname),
     .def = "dxgw.localdomain"},
    {.name = "workers",
     .type = T_INT,
     .off = OFF(workers),
     .def = "16",
     .min = 1,
     .max = 1024},
    {.name = "store",
     .type = T_STR,
     .off = OFF(store),
     .def = "sqlite:/var/lib/dxgw/dxgw.db"},
    {.name = "spool_dir",
     .type = T_STR,
     .off = OFF(spool_dir),
     .def = "/var/lib/dxgw/spool"},
    {.name = "ehr_sink_dir",
     .type = T_STR,
     .off = OFF(ehr_sink_dir),
     .def = ""},
    {.name = "keys_dir",
     .type = T_STR,
     .off = OFF(keys_dir),
     .def = "/var/lib/dxgw/keys"},
    {.name = "cert", .type = T_LIST, .off = OFF(cert), .count_off = OFF(ncert)},
    {.name = "log_level",
     .type = T_ENUM,
     .off = OFF(log_level),
     .def = "info",
     .names = level_names},
    {.name = "log_syslog", .type = T_BOOL, .off = OFF(log_syslog), .def = "no"},
    {.name = "max_request_size",
     .type = T_SIZE,
     .off = OFF(max_request_size),
     .def = "40M",
     .min = 4096,
     .max = 2047 * MiB},
    {.name = "max_attachments",
     .type = T_INT,
     .off = OFF(max_attachments),
     .def = "1000",
     .min = 1,
     .max = 100000},
    {.name = "max_xml_depth",
     .type = T_INT,
     .off = OFF(max_xml_depth),
     .def = "64",
     .min = 8,
     .max = 10000},
    {.name = "max_http_header_size",
     .type = T_SIZE,
     .off = OFF(max_http_header_size),
     .def = "32k",
     .min = 1024,
     .max = 1 * MiB},
    {.name = "max_http_headers",
     .type = T_INT,
     .off = OFF(max_http_headers),
     .def = "100",
     .min = 8,
     .max = 10000},
    {.name = "max_metadata_objects",
     .type = T_INT,
     .off = OFF(max_metadata_objects),
     .def = "10000",
     .min = 4,
     .max = 1000000},
    {.name = "request_timeout",
     .type = T_TIME,
     .off = OFF(request_timeout),
     .def = "300s",
     .min = 1,
     .max = 86400},
    {.name = "io_timeout",
     .type = T_TIME,
     .off = OFF(io_timeout),
     .def = "30s",
     .min = 1,
     .max = 3600},
    {.name = "max_keepalive",
     .type = T_INT,
     .off = OFF(max_keepalive),
     .def = "100",
     .min = 1,
     .max = 100000},
    /* outbound Direct */
    {.name = "relay_host", .type = T_STR, .off = OFF(relay_host), .def = ""},
    {.name = "smtp_helo", .type = T_STR, .off = OFF(smtp_helo), .def = ""},
    {.name = "smtp_tls",
     .type = T_ENUM,
     .off = OFF(smtp_tls),
     .def = "verify",
     .names = smtp_tls_names},
    {.name = "smtp_tls_ca", .type = T_STR, .off = OFF(smtp_tls_ca), .def = ""},
    {.name = "smtp_tls_policy",
     .type = T_LIST,
     .off = OFF(smtp_tls_policy),
     .count_off = OFF(nsmtp_tls_policy)},
    {.name = "smtp_timeout",
     .type = T_TIME,
     .off = OFF(smtp_timeout),
     .def = "60s",
     .min = 1,
     .max = 3600},
    {.name = "delivery_workers",
     .type = T_INT,
     .off = OFF(delivery_workers),
     .def = "2",
     .min = 0,
     .max = 64},
    {.name = "queue_lifetime",
     .type = T_TIME,
     .off = OFF(queue_lifetime),
     .def = "5d",
     .min = 1,
     .max = 30 * 86400},
    {.name = "retry_min",
     .type = T_TIME,
     .off = OFF(retry_min),
     .def = "60s",
     .min = 1,
     .max = 86400},
    {.name = "retry_max",
     .type = T_TIME,
     .off = OFF(retry_max),
     .def = "1h",
     .min = 1,
     .max = 86400},
    {.name = "recipient_check",
     .type = T_ENUM,
     .off = OFF(recipient_check),
     .def = "sync",
     .names = rcheck_names},
    {.name = "final_delivery",
     .type = T_ENUM,
     .off = OFF(final_delivery),
     .def = "asked",
     .names = fdd_names},
    {.name = "smime_cipher",
     .type = T_ENUM,
     .off = OFF(smime_cipher),
     .def = "aes128",
     .names = cipher_names},
    {.name = "smime_keyenc",
     .type = T_ENUM,
     .off = OFF(smime_keyenc),
     .def = "pkcs1",
     .names = keyenc_names},
    {.name = "html_part", .type = T_BOOL, .off = OFF(html_part), .def = "no"},
    {.name = "xdm_render",
     .type = T_BOOL,
     .off = OFF(xdm_render),
     .def = "yes"},
    /* inbound SMTP */
    {.name = "smtp_listen", .type = T_STR, .off = OFF(smtp_listen), .def = ""},
    {.name = "smtp_tls_cert",
     .type = T_STR,
     .off = OFF(smtp_tls_cert),
     .def = ""},
    {.name = "smtp_require_tls",
     .type = T_BOOL,
     .off = OFF(smtp_require_tls),
     .def = "yes"},
    {.name = "smtp_max_message_size",
     .type = T_SIZE,
     .off = OFF(smtp_max_message_size),
     .def = "40M",
     .min = 4096,
     .max = 2047 * MiB},
    {.name = "smtp_max_recipients",
     .type = T_INT,
     .off = OFF(smtp_max_recipients),
     .def = "100",
     .min = 1,
     .max = 10000},
    {.name = "smtp_command_timeout",
     .type = T_TIME,
     .off = OFF(smtp_command_timeout),
     .def = "5m",
     .min = 1,
     .max = 3600},
    {.name = "smtp_data_timeout",
     .type = T_TIME,
     .off = OFF(smtp_data_timeout),
     .def = "10m",
     .min = 1,
     .max = 3600},
    {.name = "smtp_lmtp", .type = T_BOOL, .off = OFF(smtp_lmtp), .def = "no"},
    /* inbound Direct -> the EHR */
    {.name = "inbound_workers",
     .type = T_INT,
     .off = OFF(inbound_workers),
     .def = "2",
     .min = 0,
     .max = 64},
    {.name = "ehr_timeout",
     .type = T_TIME,
     .off = OFF(ehr_timeout),
     .def = "60s",
     .min = 1,
     .max = 3600},
    {.name = "ehr_lifetime",
     .type = T_TIME,
     .off = OFF(ehr_lifetime),
     .def = "1h",
     .min = 1,
     .max = 30 * 86400},
    {.name = "source_id", .type = T_STR, .off = OFF(source_id), .def = ""},
    {.name = "allow_sha1", .type = T_BOOL, .off = OFF(allow_sha1), .def = "no"},
    /* C-CDA metadata (the stylesheet's defaults) */
    {.name = "cda_facility_type_code",
     .type = T_STR,
     .off = OFF(cda_facility_type_code),
     .def = GW_CDA_DEF_FACILITY},
    {.name = "cda_practice_setting_code",
     .type = T_STR,
     .off = OFF(cda_practice_setting_code),
     .def = GW_CDA_DEF_PRACTICE},
    /* delivery tracking */
    {.name = "mdn_timeout",
     .type = T_TIME,
     .off = OFF(mdn_timeout),
     .def = "1h",
     .min = 1,
     .max = 30 * 86400},
    /* the admin HTTP API */
    {.name = "admin_listen",
     .type = T_STR,
     .off = OFF(admin_listen),
     .def = ""},
    {.name = "admin_token", .type = T_STR, .off = OFF(admin_token), .def = ""},
    {.name = "admin_tls_cert",
     .type = T_STR,
     .off = OFF(admin_tls_cert),
     .def = ""},
    {.name = "admin_client_ca",
     .type = T_STR,
     .off = OFF(admin_client_ca),
     .def = ""},
    /* C-CDA validation */
    {.name = "cda_schema_dir",
     .type = T_STR,
     .off = OFF(cda_schema_dir),
     .def = GW_CDA_SCHEMA_DIR},
    {.name = "cda_xsd",
     .type = T_STR,
     .off = OFF(cda_xsd),
     .def = "cda-r2-sdtc/infrastructure/cda/CDA_SDTC.xsd"},
    {.name = "cda_schematron",
     .type = T_STR,
     .off = OFF(cda_schematron),
     .def = "ccda-r2.1-schematron/Consolidated CDA Templates for Clinical "
	    "Notes (US Realm) DSTU R2.1.sch"},
    {.name = "cda_validate_outbound",
     .type = T_ENUM,
     .off = OFF(cda_validate_outbound),
     .def = "off",
     .names = cda_names},
    {.name = "cda_validate_inbound",
     .type = T_ENUM,
     .off = OFF(cda_validate_inbound),
     .def = "off",
     .names = cda_names},
    {.name = "cda_validate_policy",
     .type = T_LIST,
     .off = OFF(cda_validate_policy),
     .count_off = OFF(ncda_validate_policy)},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Parse a decimal number with an optional unit suffix into *out. */
static bool
parse_number(const char *s, enum ctype type, long *out)
{
	char *end;
	long mult = 1;
	long v;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	v = strtol(s, &end, 10);
	if (errno != 0)
		return false;
	if (type == T_SIZE && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k':
		case 'K':
			mult = 1024L;
			break;
		case 'm':
		case 'M':
			mult = MiB;
			break;
		case 'g':
		case 'G':
			mult = 1024L * MiB;
			break;
		default:
			return false;
		}
		end++;
	} else if (type == T_TIME && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 's':
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return false;
		}
		end++;
	}
	if (*end != '\0' || v > LONG_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static int
set_value(struct gw_config *cfg, const struct key *k, const char *value,
	  struct gw_err *err)
{
	char *base = (char *)cfg + k->off;
	long n;

	switch (k->type) {
	case T_STR:
		free(*(char **)base);
		*(char **)base = gw_xstrdup(value);
		return 0;
	case T_LIST: {
		char ***list = (char ***)base;
		size_t *count = (size_t *)((char *)cfg + k->count_off);

		*list = gw_xrealloc(*list, (*count + 1) * sizeof(char *));
		(*list)[(*count)++] = gw_xstrdup(value);
		return 0;
	}
	case T_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
			*(bool *)base = true;
		else if (strcmp(value, "no") == 0 ||
			 strcmp(value, "false") == 0)
			*(bool *)base = false;
		else
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "%s: expected yes or no, got '%s'",
					  k->name, value);
		return 0;
	case T_ENUM:
		for (int i = 0; k->names[i] != NULL; i++) {
			if (strcmp(k->names[i], value) == 0) {
				if (k->off == OFF(tls_client_auth))
					*(int *)base = i;
				else
					*(long *)base = i;
				return 0;
			}
		}
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "%s: unknown value '%s'", k->name, value);
	case T_INT:
	case T_SIZE:
	case T_TIME:
		if (!parse_number(value, k->type, &n))
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "%s: not a valid %s: '%s'", k->name,
					  k->type == T_SIZE   ? "size"
					  : k->type == T_TIME ? "time"
							      : "number",
					  value);
		if (n < k->min || n > k->max)
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "%s: %ld is out of range [%ld, %ld]",
					  k->name, n, k->min, k->max);
		*(long *)base = n;
		return 0;
	}
	return gw_err_set(err, GW_ERROR, "5.3.5", "%s: bad key type", k->name);
}

int
gw_config_set(struct gw_config *cfg, const char *name, const char *value,
	      struct gw_err *err)
{
	const struct key *k = find_key(name);

	if (k == NULL)
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "unknown configuration key '%s'", name);
	return set_value(cfg, k, value, err);
}

void
gw_config_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == T_LIST)
			continue;
		if (set_value(cfg, &keys[i], keys[i].def, NULL) != 0)
			abort(); /* a bad default is a bug */
	}
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
gw_config_load(struct gw_config *cfg, const char *path, struct gw_err *err)
{
	char line[4096 + 2];
	FILE *f = NULL;
	int lineno = 0;
	int rc = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = gw_err_set(err, GW_ENOTFOUND, "5.3.5", "%s: %s", path,
				strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name, *value, *eq;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = gw_err_set(err, GW_EPARSE, "5.3.5",
					"%s:%d: line too long", path, lineno);
			goto out;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		eq = strchr(name, '=');
		if (eq == NULL) {
			rc = gw_err_set(err, GW_EPARSE, "5.3.5",
					"%s:%d: expected 'name = value'", path,
					lineno);
			goto out;
		}
		*eq = '\0';
		value = trim(eq + 1);
		name = trim(name);
		rc = gw_config_set(cfg, name, value, err);
		if (rc != 0) {
			gw_err_prefix(err, "%s:%d", path, lineno);
			goto out;
		}
	}
	if (ferror(f))
		rc = gw_err_set(err, GW_ERROR, "5.3.5", "%s: read error", path);
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

bool
gw_config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	const char *h = s;
	size_t hl;
	long p;
	char *end;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return false;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return false;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 ||
	    p > 65535)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return true;
}

bool
gw_config_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strncmp(host, "127.", 4) == 0;
}

#define ADMIN_TOKEN_MIN 16
#define ADMIN_TOKEN_MAX 256

/*
 * The admin port shows addresses and message ids (PHI metadata): plain
 * HTTP only on loopback, and beyond loopback only for clients with the
 * token or a client certificate.
 */
static int
check_admin(const struct gw_config *cfg, struct gw_err *err)
{
	size_t tl = strlen(cfg->admin_token);
	char host[256];
	int port;

	if (tl > 0 && (tl < ADMIN_TOKEN_MIN || tl > ADMIN_TOKEN_MAX))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "admin_token: %d to %d characters",
				  ADMIN_TOKEN_MIN, ADMIN_TOKEN_MAX);
	for (size_t i = 0; i < tl; i++)
		if (cfg->admin_token[i] <= ' ' || cfg->admin_token[i] > '~')
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "admin_token: only visible ASCII "
					  "characters");
	if (cfg->admin_client_ca[0] != '\0' && cfg->admin_tls_cert[0] == '\0')
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "admin_client_ca: needs admin_tls_cert");
	if (cfg->admin_listen[0] == '\0')
		return 0;
	if (!gw_config_split_hostport(cfg->admin_listen, host, sizeof(host),
				      &port))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "admin_listen: expected host:port, got '%s'",
				  cfg->admin_listen);
	if (gw_config_is_loopback(host))
		return 0;
	if (cfg->admin_tls_cert[0] == '\0')
		return gw_err_set(
		    err, GW_EPARSE, "5.3.5",
		    "admin_listen: plain HTTP is allowed only on loopback; set "
		    "admin_tls_cert to listen on %s",
		    host);
	if (tl == 0 && cfg->admin_client_ca[0] == '\0')
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "admin_listen: on %s it needs admin_token or "
				  "admin_client_ca",
				  host);
	return 0;
}

int
gw_config_check(const struct gw_config *cfg, struct gw_err *err)
{
	char host[256];
	int port;

	if (!gw_config_split_hostport(cfg->listen, host, sizeof(host), &port))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "listen: expected host:port, got '%s'",
				  cfg->listen);
	/* Plain HTTP carries PHI in clear: only for loopback testing. */
	if (cfg->tls_cert[0] == '\0' && !gw_config_is_loopback(host))
		return gw_err_set(
		    err, GW_EPARSE, "5.3.5",
		    "listen: plain HTTP is allowed only on loopback; set "
		    "tls_cert to listen on %s",
		    host);
	if (cfg->tls_client_auth != GW_TLS_CLIENT_NONE &&
	    cfg->tls_client_ca[0] == '\0')
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "tls_client_auth: needs tls_client_ca");
	if (cfg->tls_client_auth != GW_TLS_CLIENT_NONE &&
	    cfg->tls_cert[0] == '\0')
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "tls_client_auth: needs tls_cert");
	if (cfg->smtp_listen[0] != '\0' &&
	    !gw_config_split_hostport(cfg->smtp_listen, host, sizeof(host),
				      &port))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "smtp_listen: expected host:port, got '%s'",
				  cfg->smtp_listen);
	/* Direct mail is PHI: no listener that can never take mail. */
	if (cfg->smtp_listen[0] != '\0' && cfg->smtp_require_tls &&
	    cfg->smtp_tls_cert[0] == '\0')
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "smtp_require_tls: needs smtp_tls_cert");
	/* The metadata defaults go to the stylesheet as three parameters. */
	if (!gw_cda_code_ok(cfg->cda_facility_type_code))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "cda_facility_type_code: expected "
				  "code^codingScheme^display, got '%s'",
				  cfg->cda_facility_type_code);
	if (!gw_cda_code_ok(cfg->cda_practice_setting_code))
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "cda_practice_setting_code: expected "
				  "code^codingScheme^display, got '%s'",
				  cfg->cda_practice_setting_code);
	for (size_t i = 0; i < cfg->nclient_allow; i++)
		if (strchr(cfg->client_allow[i], ' ') == NULL)
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "client_allow: expected '<identity> "
					  "<sender>[,<sender>...]', got '%s'",
					  cfg->client_allow[i]);
	return check_admin(cfg, err);
}

static void
format_value(const struct gw_config *cfg, const struct key *k, char *out,
	     size_t len)
{
	const char *base = (const char *)cfg + k->off;
	int n = 0;

	switch (k->type) {
	case T_STR:
		/* A secret is never printed, only whether it is set. */
		if (k->off == OFF(admin_token) && **(char *const *)base != '\0')
			n = snprintf(out, len, "(set)");
		else
			n = snprintf(out, len, "%s", *(char *const *)base);
		break;
	case T_BOOL:
		n = snprintf(out, len, "%s",
			     *(const bool *)base ? "yes" : "no");
		break;
	case T_ENUM:
		n = snprintf(out, len, "%s",
			     k->names[k->off == OFF(tls_client_auth)
					  ? *(const int *)base
					  : (int)*(const long *)base]);
		break;
	case T_INT:
	case T_SIZE:
	case T_TIME:
		n = snprintf(out, len, "%ld", *(const long *)base);
		break;
	case T_LIST:
		n = snprintf(
		    out, len, "(%zu entries)",
		    *(const size_t *)((const char *)cfg + k->count_off));
		break;
	}
	if (n < 0)
		out[0] = '\0';
}

void
gw_config_dump(const struct gw_config *cfg, FILE *out, bool all)
{
	struct gw_config def;
	char a[512], b[512];

	gw_config_defaults(&def);
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == T_LIST) {
			char *const *v =
			    *(char *const *const *)((const char *)cfg +
						    keys[i].off);
			size_t nv = *(const size_t *)((const char *)cfg +
						      keys[i].count_off);

			for (size_t j = 0; j < nv; j++)
				fprintf(out, "%s = %s\n", keys[i].name, v[j]);
			continue;
		}
		format_value(cfg, &keys[i], a, sizeof(a));
		format_value(&def, &keys[i], b, sizeof(b));
		if (all || strcmp(a, b) != 0)
			fprintf(out, "%s = %s\n", keys[i].name, a);
	}
	gw_config_dispose(&def);
}

void
gw_config_dispose(struct gw_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == T_STR) {
			char **p = (char **)((char *)cfg + keys[i].off);

			free(*p);
			*p = NULL;
		}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == T_LIST) {
			char ***v = (char ***)((char *)cfg + keys[i].off);
			size_t *nv =
			    (size_t *)((char *)cfg + keys[i].count_off);

			for (size_t j = 0; j < *nv; j++)
				free((*v)[j]);
			free(*v);
			*v = NULL;
			*nv = 0;
		}
}
