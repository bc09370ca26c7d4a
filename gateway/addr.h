/*
 * NAME
 *	addr - Direct addresses and domain names, normalised for lookups
 * SUMMARY
 *	gw_addr_normalize() turns what a sender wrote ("<Doc+x@Direct-B.
 *	Example>") into the form certificates are looked up and cached by
 *	("doc@direct-b.example"); gw_addr_domain_ok() decides whether a
 *	string may name a domain (and so a directory of anchors).
 * STANDARDS
 *	RFC 5321 4.5.3.1 (local part at most 64, domain at most 255
 *	octets), RFC 1035 2.3.1 (labels), SPEC.md 1.6 and 6.1 (strip <>,
 *	drop a +tag, compare without regard to case).
 * LIMITS
 *	GW_ADDR_MAX bytes including the NUL.
 */
#ifndef GW_ADDR_H
#define GW_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define GW_ADDR_MAX 320 /* 64 + 1 + 253, rounded up, with the NUL */

/*
 * Normalise an address into out (outlen >= GW_ADDR_MAX): surrounding
 * blanks and <> removed, a "+tag" dropped from the local part, all of it
 * in lower case. GW_EPARSE (5.1.3) for anything that is not
 * local@domain with a valid domain and a local part of at most 64
 * printable characters. Thread-safe.
 */
int gw_addr_normalize(const char *in, char *out, size_t outlen,
		      struct gw_err *err);

/*
 * True for a host name of LDH labels (1-63 characters, no leading or
 * trailing hyphen) separated by single dots, at most 253 characters:
 * never "", ".", "..", a '/' or a wildcard. Case is not checked.
 */
bool gw_addr_domain_ok(const char *d);

/* The domain part of a normalised address (after the last '@'). */
const char *gw_addr_domain(const char *addr);

#endif
