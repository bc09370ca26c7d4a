/*
 * NAME
 *	config - the typed configuration table and its snapshot
 * SUMMARY
 *	dxgw reads one "name = value" file (Postfix main.cf style). Every key
 *	is a row of one table in config.c: name, type, default, range and
 *	offset into struct gw_config. Unknown keys, bad values and
 *	out-of-range numbers are errors reported as file:line.
 * DESCRIPTION
 *	The parsed struct is an immutable snapshot shared read-only by all
 *	threads. Sizes accept k/M/G suffixes (powers of 1024), times s/m/h.
 *	A key marked repeatable (client_allow, cert) collects one entry per
 *	line.
 * LIMITS
 *	Lines longer than 4096 bytes are errors.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum gw_tls_client_auth {
	GW_TLS_CLIENT_NONE,
	GW_TLS_CLIENT_OPTIONAL,
	GW_TLS_CLIENT_REQUIRE,
};

struct gw_config {
	/* SOAP endpoint */
	char *listen;        /* host:port; port 0 picks a free one */
	char *tls_cert;      /* PEM with certificate chain and key */
	char *tls_client_ca; /* CA bundle that signs EHR client certs */
	int tls_client_auth; /* enum gw_tls_client_auth */
	char **client_allow; /* "<identity> <sender>[,<sender>...]" */
	size_t nclient_allow;
	char *hostname; /* our name in Content-IDs and ids */
	long workers;   /* concurrent connections served */
	/* store */
	char *store;        /* sqlite:/path/dxgw.db */
	char *spool_dir;    /* document spool */
	char *ehr_sink_dir; /* dxgw ehr-sink: where submissions are written */
	/* keys and certificates (keys.h, trust.h) */
	char *keys_dir; /* own/, certs/, anchors/<domain>/ */
	char **cert;    /* "<path>[ <password-file>]": PEM or PKCS#12 */
	size_t ncert;
	/* logging */
	long log_level; /* enum gw_log_level */
	bool log_syslog;
	/* limits (each has a test one step beyond) */
	long max_request_size;     /* bytes of one HTTP request */
	long max_attachments;      /* MIME parts per request */
	long max_xml_depth;        /* element nesting */
	long max_http_header_size; /* bytes of all HTTP header lines */
	long max_http_headers;     /* number of HTTP header lines */
	long max_metadata_objects; /* ebRIM objects per submission */
	long request_timeout;      /* seconds for a whole request */
	long io_timeout;           /* seconds of silence on a socket */
	long max_keepalive;        /* requests per connection */
	/* outbound Direct */
	char *relay_host;       /* host[:port] for all mail; "" = MX */
	char *smtp_helo;        /* EHLO name; "" = hostname */
	long smtp_tls;          /* enum gw_smtp_tls, default verify */
	char *smtp_tls_ca;      /* PEM anchors; "" = system store */
	char **smtp_tls_policy; /* "<domain> <verify|encrypt|...>" */
	size_t nsmtp_tls_policy;
	long smtp_timeout;         /* seconds per SMTP read/write */
	long delivery_workers;     /* SMTP delivery threads; 0 = none */
	long queue_lifetime;       /* seconds before a message fails */
	long retry_min, retry_max; /* backoff bounds, seconds */
	long recipient_check; /* 0 sync: in the RegistryResponse; 1 async */
	long final_delivery;  /* 0: as the address block asks; 1: always */
	long smime_cipher;    /* enum gw_smime_cipher */
	long smime_keyenc;    /* enum gw_smime_keyenc */
	bool html_part;       /* add the first C-CDA's rendering as text/html */
	bool xdm_render;      /* render C-CDAs into the XDM INDEX.HTM */
	/* inbound SMTP (smtpsrv.h) */
	char *smtp_listen;          /* host:port; "" = no SMTP listener */
	char *smtp_tls_cert;        /* PEM with chain and key: STARTTLS */
	bool smtp_require_tls;      /* MAIL before STARTTLS gets 530 */
	long smtp_max_message_size; /* bytes (SIZE, enforced in DATA) */
	long smtp_max_recipients;   /* RCPTs per message */
	long smtp_command_timeout;  /* seconds to receive one command */
	long smtp_data_timeout;     /* seconds of silence in DATA */
	bool smtp_lmtp;             /* speak LMTP (a front MTA hands over) */
	/* inbound Direct -> the EHR (inbound.h) */
	long inbound_workers; /* threads delivering to EHRs; 0 = none */
	long ehr_timeout;     /* seconds per XDR request to an EHR */
	long ehr_lifetime;    /* seconds of retrying before a failed MDN */
	char *source_id;      /* our OID for limited metadata; "" derives */
	bool allow_sha1;      /* accept SHA-1 signatures (policy) */
	/* C-CDA metadata defaults (cda.h): code^codingScheme^display */
	char *cda_facility_type_code;    /* healthcareFacilityTypeCode */
	char *cda_practice_setting_code; /* practiceSettingCode */
	/* delivery tracking (tracker.h) */
	long mdn_timeout; /* seconds from sending to the final MDN */
	/* the admin HTTP API (adminsrv.h) */
	char *admin_listen;    /* host:port; "" = no admin port */
	char *admin_token;     /* bearer token every request needs; "" none */
	char *admin_tls_cert;  /* PEM with chain and key: HTTPS */
	char *admin_client_ca; /* clients need a certificate it signed */
	/* C-CDA validation (cdaval.h; policies in route.h) */
	char *cda_schema_dir; /* the schema tree (corpus schema/ layout) */
	char *cda_xsd;        /* CDA_SDTC.xsd, relative to cda_schema_dir */
	char *cda_schematron; /* the C-CDA .sch, relative; "" = XSD only */
	long cda_validate_outbound; /* enum gw_route_cda: off, warn, reject */
	long cda_validate_inbound;  /* enum gw_route_cda */
	char **cda_validate_policy; /* "<domain> <outbound|inbound> <policy>" */
	size_t ncda_validate_policy;
};

/* Defaults for every key (strings are heap copies). */
void gw_config_defaults(struct gw_config *cfg);
/*
 * Read a file over the defaults. GW_EPARSE with "file:line: reason" in
 * err on any bad line; the struct then holds partial data and must still
 * be disposed.
 */
int gw_config_load(struct gw_config *cfg, const char *path, struct gw_err *err);
/* Apply one "name = value" assignment (used by the loader and tests). */
int gw_config_set(struct gw_config *cfg, const char *name, const char *value,
		  struct gw_err *err);
/* Cross-key checks after loading (e.g. plain HTTP only on loopback). */
int gw_config_check(const struct gw_config *cfg, struct gw_err *err);
/* Print every key that differs from its default. */
void gw_config_dump(const struct gw_config *cfg, FILE *out, bool all);
void gw_config_dispose(struct gw_config *cfg);
/* Split "host:port" / "[v6]:port"; false when malformed. */
bool gw_config_split_hostport(const char *s, char *host, size_t hostlen,
			      int *port);
/* True for 127.0.0.0/8, ::1 and "localhost". */
bool gw_config_is_loopback(const char *host);

#endif
