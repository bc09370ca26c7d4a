/*
 * NAME
 *	route - where mail for a domain goes, and with which TLS policy
 * SUMMARY
 *	A configured relay host (smarthost) takes all mail; otherwise the
 *	domain's MX records in preference order, or the domain itself when
 *	it has no MX (the implicit MX of RFC 5321 5.1). The TLS policy is
 *	smtp_tls, overridden per domain by smtp_tls_policy lines. The C-CDA
 *	validation policy of a route is cda_validate_outbound (toward a
 *	recipient domain) or cda_validate_inbound (for one of our domains),
 *	overridden per domain and direction by cda_validate_policy lines.
 * STANDARDS
 *	RFC 5321 5.1 (MX, implicit MX), RFC 7505 (null MX), RFC 3463
 *	(5.1.2 bad destination system, 5.1.10 null MX, 4.4.3 DNS failure).
 * LIMITS
 *	At most GW_ROUTE_MAX targets; DNS answers of at most 64 KiB.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "smtpcli.h"

#define GW_ROUTE_MAX 8

struct gw_route {
	struct {
		char host[256];
		int port;
	} t[GW_ROUTE_MAX];
	size_t n;
	enum gw_smtp_tls tls;
};

/*
 * Targets and TLS policy for domain. GW_ENOTFOUND (5.1.2, 5.1.10) when
 * the domain cannot receive mail, GW_ETEMP (4.4.3) when DNS fails.
 */
int gw_route_for(const struct gw_config *cfg, const char *domain,
		 struct gw_route *out, struct gw_err *err);
/*
 * Fill out from a DNS answer to an MX query for domain (exposed for
 * tests); the TLS policy is left alone.
 */
int gw_route_mx_parse(const unsigned char *ans, int len, const char *domain,
		      struct gw_route *out, struct gw_err *err);
/* The TLS policy for domain. */
enum gw_smtp_tls gw_route_tls(const struct gw_config *cfg, const char *domain);
/*
 * Check smtp_tls_policy and cda_validate_policy lines; GW_EPARSE naming
 * the bad one.
 */
int gw_route_check_config(const struct gw_config *cfg, struct gw_err *err);

/* What C-CDA validation does on a route (the order is the strictness). */
enum gw_route_cda {
	GW_ROUTE_CDA_OFF,    /* documents are not validated */
	GW_ROUTE_CDA_WARN,   /* validated; findings recorded, sent anyway */
	GW_ROUTE_CDA_REJECT, /* a document with errors is not sent */
};

/*
 * The C-CDA validation policy for mail to (outbound) or for (inbound)
 * domain: its cda_validate_policy line for that direction, else the
 * direction's default. Thread-safe (reads the config).
 */
enum gw_route_cda gw_route_cda(const struct gw_config *cfg, const char *domain,
			       bool inbound);
/* True when some route of the direction validates (so a schema is needed). */
bool gw_route_cda_any(const struct gw_config *cfg, bool inbound);
/* "off", "warn" or "reject". */
const char *gw_route_cda_name(enum gw_route_cda p);

#endif
