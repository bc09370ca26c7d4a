/*
 * NAME
 *	xmlscan - a streaming pre-scan of XML bytes: nesting depth, DOCTYPE
 * SUMMARY
 *	Fed the SOAP part of a request as it arrives, before any parser
 *	builds anything: it measures the deepest element nesting and notices
 *	a DOCTYPE, so that both limits hold whatever gSOAP later skips
 *	(it ignores unknown header blocks without counting their depth and
 *	drops DTDs silently, GSOAP.md 5.4).
 * DESCRIPTION
 *	A byte-at-a-time state machine: tags, attribute values (quotes may
 *	hold '>' and '/'), comments, CDATA, processing instructions and
 *	declarations. It does not check well-formedness; the parsers do.
 *	Optionally it first skips a MIME part's header block.
 * STANDARDS
 *	XML 1.0 (markup recognition only); SOAP 1.2 Part 1 section 5 (no DTD).
 * SECURITY
 *	Pure; constant memory; linear time.
 */
#ifndef GW_XMLSCAN_H
#define GW_XMLSCAN_H

#include <stdbool.h>
#include <stddef.h>

struct gw_xmlscan {
	int state;
	unsigned depth;
	unsigned max_depth; /* deepest element seen */
	bool doctype;       /* a <!DOCTYPE was seen */
	char root[64];      /* the first element's name (truncated) */
	bool root_done;     /* root holds the whole name */
	unsigned rootlen;
	char kw[8]; /* the first bytes after "<!" */
	unsigned kwlen;
	unsigned run; /* '-' / ']' / newline run counters */
	char prev;
};

/* skip_mime_headers: the bytes start with a MIME part header block. */
void gw_xmlscan_init(struct gw_xmlscan *s, bool skip_mime_headers);
void gw_xmlscan_feed(struct gw_xmlscan *s, const char *p, size_t n);

#endif
