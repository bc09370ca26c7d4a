/*
 * NAME
 *	route - where mail for a domain goes, and with which TLS policy
 * SUMMARY
 *	A configured relay host (smarthost) takes all mail; otherwise the
 *	domain's MX records in preference order, or the domain itself when
 *	it has no MX (the implicit MX of RFC 5321 5.1). The TLS policy is
 *	smtp_tls, overridden per domain by smtp_tls_policy lines.
 * STANDARDS
 *	RFC 5321 5.1 (MX, implicit MX), RFC 7505 (null MX), RFC 3463
 *	(5.1.2 bad destination system, 5.1.10 null MX, 4.4.3 DNS failure).
 * LIMITS
 *	At most GW_ROUTE_MAX targets; DNS answers of at most 64 KiB.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

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
/* Check smtp_tls_policy lines; GW_EPARSE naming the bad one. */
int gw_route_check_config(const struct gw_config *cfg, struct gw_err *err);

#endif
