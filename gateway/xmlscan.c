/*
 * NAME
 *	xmlscan - streaming depth and DOCTYPE scan of XML bytes
 */
#include "xmlscan.h"

#include <string.h>

enum {
	S_HDRS,    /* MIME part headers, until an empty line */
	S_TEXT,    /* character data */
	S_LT,      /* after '<' */
	S_TAG,     /* inside a start tag */
	S_TAGSL,   /* '/' inside a start tag */
	S_DQ,      /* "..." attribute value */
	S_SQ,      /* '...' attribute value */
	S_ENDTAG,  /* inside </...> */
	S_BANG,    /* after "<!" */
	S_COMMENT, /* <!-- ... --> */
	S_CDATA,   /* <![CDATA[ ... ]]> */
	S_PI,      /* <? ... ?> */
	S_DECL,    /* other <!...> */
};

void
gw_xmlscan_init(struct gw_xmlscan *s, bool skip_mime_headers)
{
	memset(s, 0, sizeof(*s));
	s->state = skip_mime_headers ? S_HDRS : S_TEXT;
}

static bool
name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || c >= 0x80;
}

static void
open_element(struct gw_xmlscan *s)
{
	s->depth++;
	if (s->depth > s->max_depth)
		s->max_depth = s->depth;
}

static void
close_element(struct gw_xmlscan *s)
{
	if (s->depth > 0)
		s->depth--;
}

/* After "<!": comment, CDATA, DOCTYPE or another declaration. */
static void
bang(struct gw_xmlscan *s, char c)
{
	if (s->kwlen < sizeof(s->kw))
		s->kw[s->kwlen++] = c;
	if (s->kwlen == 2 && memcmp(s->kw, "--", 2) == 0) {
		s->state = S_COMMENT;
		s->run = 0;
	} else if (s->kwlen == 7 && memcmp(s->kw, "[CDATA[", 7) == 0) {
		s->state = S_CDATA;
		s->run = 0;
	} else if (s->kwlen == 7 && memcmp(s->kw, "DOCTYPE", 7) == 0) {
		s->doctype = true;
		s->state = S_DECL;
	} else if (c == '>') {
		s->state = S_TEXT;
	} else if (s->kwlen >= 7) {
		s->state = S_DECL;
	}
}

static void
step(struct gw_xmlscan *s, char c)
{
	switch (s->state) {
	case S_HDRS:
		/* An empty line ends the header block (CRLF or bare LF). */
		if (c == '\n' && (s->prev == '\n' || s->run == 1))
			s->state = S_TEXT;
		s->run = (c == '\r' && s->prev == '\n') ? 1 : 0;
		break;
	case S_TEXT:
		if (c == '<')
			s->state = S_LT;
		break;
	case S_LT:
		if (c == '/') {
			s->state = S_ENDTAG;
		} else if (c == '!') {
			s->state = S_BANG;
			s->kwlen = 0;
		} else if (c == '?') {
			s->state = S_PI;
		} else if (name_start((unsigned char)c)) {
			open_element(s);
			s->state = S_TAG;
			if (!s->root_done && s->rootlen == 0)
				s->root[s->rootlen++] = c;
		} else {
			s->state = S_TEXT;
		}
		break;
	case S_TAG:
	case S_TAGSL:
		/* The root element's name ends at blank, '/' or '>'. */
		if (!s->root_done && s->rootlen > 0) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
			    c == '/' || c == '>')
				s->root_done = true;
			else if (s->rootlen < sizeof(s->root) - 1)
				s->root[s->rootlen++] = c;
		}
		if (c == '>') {
			if (s->state == S_TAGSL)
				close_element(s);
			s->state = S_TEXT;
		} else if (c == '"') {
			s->state = S_DQ;
		} else if (c == '\'') {
			s->state = S_SQ;
		} else {
			s->state = c == '/' ? S_TAGSL : S_TAG;
		}
		break;
	case S_DQ:
		if (c == '"')
			s->state = S_TAG;
		break;
	case S_SQ:
		if (c == '\'')
			s->state = S_TAG;
		break;
	case S_ENDTAG:
		if (c == '>') {
			close_element(s);
			s->state = S_TEXT;
		}
		break;
	case S_BANG:
		bang(s, c);
		break;
	case S_COMMENT:
	case S_CDATA:
		if (c == '>' && s->run >= 2)
			s->state = S_TEXT;
		else if (c == (s->state == S_COMMENT ? '-' : ']'))
			s->run++;
		else
			s->run = 0;
		break;
	case S_PI:
		if (c == '>' && s->prev == '?')
			s->state = S_TEXT;
		break;
	case S_DECL:
		if (c == '>')
			s->state = S_TEXT;
		break;
	}
	s->prev = c;
}

void
gw_xmlscan_feed(struct gw_xmlscan *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step(s, p[i]);
}
