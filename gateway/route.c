/*
 * NAME
 *	route - relay host or MX, and the TLS policy (see route.h)
 * DESCRIPTION
 *	MX lookups use the thread-safe resolver state (res_ninit per call),
 *	so delivery threads need no lock. Records of equal preference keep
 *	the resolver's order.
 * SECURITY
 *	DNS answers are parsed with the resolver's bounds-checked ns_*
 *	functions; names longer than a host buffer are skipped.
 */
#include "route.h"

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_MAX 65536

static const char *const tls_names[] = {"verify", "encrypt", "opportunistic",
					"none"};
static const char *const cda_names[] = {"off", "warn", "reject"};

/*
 * Split a cda_validate_policy line "<domain> <outbound|inbound> <policy>"
 * (blanks between); false when malformed.
 */
static bool
cda_line(const char *l, size_t *dl, bool *inbound, enum gw_route_cda *p)
{
	const char *dir, *pol;
	size_t n;

	*dl = strcspn(l, " \t");
	dir = l + *dl + strspn(l + *dl, " \t");
	n = strcspn(dir, " \t");
	pol = dir + n + strspn(dir + n, " \t");
	if (*dl == 0)
		return false;
	if (n == 7 && strncmp(dir, "inbound", 7) == 0)
		*inbound = true;
	else if (n == 8 && strncmp(dir, "outbound", 8) == 0)
		*inbound = false;
	else
		return false;
	for (int k = 0; k < 3; k++)
		if (strcmp(pol, cda_names[k]) == 0) {
			*p = (enum gw_route_cda)k;
			return true;
		}
	return false;
}

enum gw_route_cda
gw_route_cda(const struct gw_config *cfg, const char *domain, bool inbound)
{
	for (size_t i = 0; i < cfg->ncda_validate_policy; i++) {
		const char *l = cfg->cda_validate_policy[i];
		enum gw_route_cda p;
		size_t dl;
		bool in;

		if (!cda_line(l, &dl, &in, &p) || in != inbound ||
		    dl != strlen(domain) || strncasecmp(l, domain, dl) != 0)
			continue;
		return p;
	}
	return (enum gw_route_cda)(inbound ? cfg->cda_validate_inbound
					   : cfg->cda_validate_outbound);
}

bool
gw_route_cda_any(const struct gw_config *cfg, bool inbound)
{
	if ((inbound ? cfg->cda_validate_inbound
		     : cfg->cda_validate_outbound) != GW_ROUTE_CDA_OFF)
		return true;
	for (size_t i = 0; i < cfg->ncda_validate_policy; i++) {
		enum gw_route_cda p;
		size_t dl;
		bool in;

		if (cda_line(cfg->cda_validate_policy[i], &dl, &in, &p) &&
		    in == inbound && p != GW_ROUTE_CDA_OFF)
			return true;
	}
	return false;
}

const char *
gw_route_cda_name(enum gw_route_cda p)
{
	return (unsigned)p < 3 ? cda_names[p] : "?";
}

/* Split "host[:port]" (port 25 by default); false when malformed. */
static bool
host_port(const char *s, char *host, size_t hlen, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);

	*port = 25;
	if (n == 0 || n >= hlen)
		return false;
	if (colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (*end != '\0' || p < 1 || p > 65535)
			return false;
		*port = (int)p;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return true;
}

enum gw_smtp_tls
gw_route_tls(const struct gw_config *cfg, const char *domain)
{
	for (size_t i = 0; i < cfg->nsmtp_tls_policy; i++) {
		const char *l = cfg->smtp_tls_policy[i];
		size_t dl = strcspn(l, " \t");

		if (dl != strlen(domain) || strncasecmp(l, domain, dl) != 0)
			continue;
		l += dl + strspn(l + dl, " \t");
		for (int m = 0; m < 4; m++)
			if (strcmp(l, tls_names[m]) == 0)
				return (enum gw_smtp_tls)m;
	}
	return (enum gw_smtp_tls)cfg->smtp_tls;
}

int
gw_route_check_config(const struct gw_config *cfg, struct gw_err *err)
{
	for (size_t i = 0; i < cfg->nsmtp_tls_policy; i++) {
		const char *l = cfg->smtp_tls_policy[i];
		size_t dl = strcspn(l, " \t");
		const char *m = l + dl + strspn(l + dl, " \t");
		bool ok = false;

		for (int k = 0; k < 4 && dl > 0; k++)
			ok = ok || strcmp(m, tls_names[k]) == 0;
		if (!ok)
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "smtp_tls_policy: '%s': expected "
					  "'<domain> verify|encrypt|"
					  "opportunistic|none'",
					  l);
	}
	for (size_t i = 0; i < cfg->ncda_validate_policy; i++) {
		enum gw_route_cda p;
		size_t dl;
		bool in;

		if (!cda_line(cfg->cda_validate_policy[i], &dl, &in, &p))
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "cda_validate_policy: '%s': expected "
					  "'<domain> outbound|inbound "
					  "off|warn|reject'",
					  cfg->cda_validate_policy[i]);
	}
	if (cfg->relay_host[0] != '\0') {
		char h[256];
		int p;

		if (!host_port(cfg->relay_host, h, sizeof(h), &p))
			return gw_err_set(err, GW_EPARSE, "5.3.5",
					  "relay_host: bad '%s'",
					  cfg->relay_host);
	}
	if (cfg->retry_min > cfg->retry_max)
		return gw_err_set(err, GW_EPARSE, "5.3.5",
				  "retry_min is larger than retry_max");
	return 0;
}

int
gw_route_mx_parse(const unsigned char *ans, int len, const char *domain,
		  struct gw_route *out, struct gw_err *err)
{
	int pref[GW_ROUTE_MAX];
	ns_msg msg;
	int count;

	out->n = 0;
	if (ns_initparse(ans, len, &msg) != 0)
		return gw_err_set(err, GW_ETEMP, "4.4.3",
				  "%s: unreadable DNS answer", domain);
	count = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < count; i++) {
		char name[NS_MAXDNAME];
		const unsigned char *rd;
		size_t at;
		ns_rr rr;
		int p;

		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return gw_err_set(err, GW_ETEMP, "4.4.3",
					  "%s: unreadable DNS record", domain);
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		rd = ns_rr_rdata(rr);
		p = (rd[0] << 8) | rd[1];
		if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg),
				       rd + 2, name, sizeof(name)) < 0)
			continue;
		/* RFC 7505: a lone "0 ." says the domain takes no mail. */
		if (name[0] == '\0' || strcmp(name, ".") == 0) {
			if (count == 1)
				return gw_err_set(err, GW_ENOTFOUND, "5.1.10",
						  "%s accepts no mail (null "
						  "MX)",
						  domain);
			continue;
		}
		if (out->n == GW_ROUTE_MAX || strlen(name) >= 256)
			continue;
		/* Insertion by preference, stable for equal ones. */
		at = out->n;
		while (at > 0 && pref[at - 1] > p) {
			out->t[at] = out->t[at - 1];
			pref[at] = pref[at - 1];
			at--;
		}
		snprintf(out->t[at].host, sizeof(out->t[at].host), "%s", name);
		out->t[at].port = 25;
		pref[at] = p;
		out->n++;
	}
	return 0;
}

static int
lookup_mx(const char *domain, struct gw_route *out, struct gw_err *err)
{
	struct __res_state rs;
	unsigned char *ans = malloc(DNS_MAX);
	int len, rc = -1;

	memset(&rs, 0, sizeof(rs));
	if (ans == NULL || res_ninit(&rs) != 0) {
		rc = gw_err_set(err, GW_ETEMP, "4.4.3",
				"%s: resolver unavailable", domain);
		goto out;
	}
	len = res_nquery(&rs, domain, ns_c_in, ns_t_mx, ans, DNS_MAX);
	if (len < 0) {
		if (rs.res_h_errno == HOST_NOT_FOUND) {
			rc = gw_err_set(err, GW_ENOTFOUND, "5.1.2",
					"%s: no such domain", domain);
			goto out;
		}
		if (rs.res_h_errno != NO_DATA) {
			rc = gw_err_set(err, GW_ETEMP, "4.4.3",
					"%s: DNS lookup failed", domain);
			goto out;
		}
		len = 0; /* no MX: the implicit MX below */
	}
	if (len > 0 && (rc = gw_route_mx_parse(ans, len, domain, out, err)) < 0)
		goto out;
	if (out->n == 0) {
		snprintf(out->t[0].host, sizeof(out->t[0].host), "%s", domain);
		out->t[0].port = 25;
		out->n = 1;
	}
	rc = 0;
out:
	if (ans != NULL)
		res_nclose(&rs);
	free(ans);
	return rc;
}

int
gw_route_for(const struct gw_config *cfg, const char *domain,
	     struct gw_route *out, struct gw_err *err)
{
	memset(out, 0, sizeof(*out));
	out->tls = gw_route_tls(cfg, domain);
	if (cfg->relay_host[0] != '\0') {
		if (!host_port(cfg->relay_host, out->t[0].host,
			       sizeof(out->t[0].host), &out->t[0].port))
			return gw_err_set(err, GW_EPARSE, "4.3.5",
					  "relay_host: bad '%s'",
					  cfg->relay_host);
		out->n = 1;
		return 0;
	}
	return lookup_mx(domain, out, err);
}
