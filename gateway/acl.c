/*
 * NAME
 *	acl - client certificate to sender address mapping
 * DESCRIPTION
 *	A client matches the first rule whose identity equals its CN or
 *	fingerprint (or "anonymous" when it showed no certificate). Address
 *	comparison is case-insensitive: Direct addresses are routed by
 *	domain and HISPs treat local parts case-insensitively in practice.
 */
#include "acl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool
sender_matches(const char *list, size_t len, const char *sender)
{
	const char *at = strrchr(sender, '@');

	while (len > 0) {
		const char *comma = memchr(list, ',', len);
		size_t n = comma ? (size_t)(comma - list) : len;
		const char *p = list;
		size_t plen = n;

		while (plen > 0 && (*p == ' ' || *p == '\t'))
			p++, plen--;
		while (plen > 0 && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
			plen--;
		if (plen == 1 && p[0] == '*')
			return true;
		if (plen > 1 && p[0] == '@' && at != NULL &&
		    strlen(at) == plen && strncasecmp(at, p, plen) == 0)
			return true;
		if (strlen(sender) == plen && strncasecmp(sender, p, plen) == 0)
			return true;
		if (comma == NULL)
			break;
		len -= n + 1;
		list = comma + 1;
	}
	return false;
}

bool
gw_acl_permits(const char *const *rules, size_t nrules, const char *client_cn,
	       const char *client_fp, const char *sender, char *why,
	       size_t whylen)
{
	if (nrules == 0)
		return true;
	for (size_t i = 0; i < nrules; i++) {
		const char *sp = strchr(rules[i], ' ');
		size_t idlen;

		if (sp == NULL)
			continue;
		idlen = (size_t)(sp - rules[i]);
		if (!((client_cn != NULL && strlen(client_cn) == idlen &&
		       strncmp(rules[i], client_cn, idlen) == 0) ||
		      (client_fp != NULL && client_fp[0] != '\0' &&
		       strlen(client_fp) == idlen &&
		       strncasecmp(rules[i], client_fp, idlen) == 0)))
			continue;
		if (sender != NULL &&
		    sender_matches(sp + 1, strlen(sp + 1), sender))
			return true;
		if (snprintf(why, whylen, "client '%s' may not send as '%s'",
			     client_cn, sender ? sender : "(none)") < 0)
			why[0] = '\0';
		return false;
	}
	if (snprintf(why, whylen, "client '%s' is not authorised to submit",
		     client_cn) < 0)
		why[0] = '\0';
	return false;
}
