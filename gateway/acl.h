/*
 * NAME
 *	acl - which EHR client may send as which Direct sender
 * SUMMARY
 *	Rules come from the repeatable config key client_allow:
 *	"<identity> <sender>[,<sender>...]". identity is a client
 *	certificate's subject CN, its "sha256:<hex>" fingerprint, or
 *	"anonymous" (no certificate). A sender is an address, "@domain"
 *	or "*". With no rules at all every client may use any sender.
 */
#ifndef GW_ACL_H
#define GW_ACL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the client may send as sender; otherwise false with a reason
 * (for the RegistryError codeContext and the audit row) in why.
 */
bool gw_acl_permits(const char *const *rules, size_t nrules,
		    const char *client_cn, const char *client_fp,
		    const char *sender, char *why, size_t whylen);

#endif
