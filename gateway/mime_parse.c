/*
 * NAME
 *	mime_parse - the leaf parts of a received message (see mime.h)
 * DESCRIPTION
 *	GMime parses the message from memory; a depth-first walk over the
 *	MIME tree collects every leaf with its media type, file name and
 *	decoded content. Limits are checked while collecting, so a message
 *	with thousands of tiny parts or a huge decoded size stops early.
 * STANDARDS
 *	RFC 2045-2049 (MIME), RFC 2183 (Content-Disposition).
 * SECURITY
 *	The input is remote and only partly trusted (it passed signature
 *	verification, which says who sent it, not that it is well made):
 *	counts and sizes are bounded; nothing is written to disk.
 */
#include "mime.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "mem.h"

struct walk {
	struct gw_mime_part *v;
	size_t n, max_parts, total, max_total;
	int rc;
	struct gw_err *err;
};

static char *
lower_type(GMimeContentType *ct)
{
	char *t = g_strdup_printf(
	    "%s/%s", ct ? g_mime_content_type_get_media_type(ct) : "text",
	    ct ? g_mime_content_type_get_media_subtype(ct) : "plain");
	char *r = gw_xstrdup(t);

	g_free(t);
	for (char *p = r; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

/* Decoded bytes of a leaf into a new GByteArray (or NULL). */
static GByteArray *
leaf_bytes(GMimeObject *o)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba = NULL;
	bool ok;

	if (GMIME_IS_PART(o)) {
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));

		ok = dw != NULL &&
		     g_mime_data_wrapper_write_to_stream(dw, mem) >= 0;
	} else {
		/* message/rfc822 and the like: the raw entity body. */
		GMimeMessage *m =
		    GMIME_IS_MESSAGE_PART(o)
			? g_mime_message_part_get_message(GMIME_MESSAGE_PART(o))
			: NULL;

		ok = m != NULL && g_mime_object_write_to_stream(GMIME_OBJECT(m),
								NULL, mem) >= 0;
	}
	if (ok) {
		GByteArray *src =
		    g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));

		ba = g_byte_array_sized_new(src->len);
		g_byte_array_append(ba, src->data, src->len);
	}
	g_object_unref(mem);
	return ba;
}

static void
visit(GMimeObject *parent, GMimeObject *o, gpointer arg)
{
	struct walk *w = arg;
	GByteArray *ba;
	struct gw_mime_part *p;
	const char *fn;

	(void)parent;
	if (w->rc < 0 || GMIME_IS_MULTIPART(o))
		return;
	if (w->n >= w->max_parts) {
		w->rc = gw_err_set(w->err, GW_ELIMIT, "5.3.4",
				   "mime: more than %zu parts", w->max_parts);
		return;
	}
	ba = leaf_bytes(o);
	if (ba == NULL) {
		w->rc = gw_err_set(w->err, GW_EPARSE, "5.6.0",
				   "mime: a part cannot be decoded");
		return;
	}
	if (ba->len > w->max_total - w->total) {
		g_byte_array_unref(ba);
		w->rc = gw_err_set(w->err, GW_ELIMIT, "5.3.4",
				   "mime: parts larger than %zu bytes",
				   w->max_total);
		return;
	}
	w->total += ba->len;
	p = &w->v[w->n++];
	p->content_type = lower_type(g_mime_object_get_content_type(o));
	fn = GMIME_IS_PART(o) ? g_mime_part_get_filename(GMIME_PART(o)) : NULL;
	p->filename = fn != NULL ? gw_xstrdup(fn) : NULL;
	p->len = ba->len;
	p->data = gw_xmalloc(ba->len + 1);
	memcpy(p->data, ba->data, ba->len);
	p->data[ba->len] = '\0';
	g_byte_array_unref(ba);
}

int
gw_mime_parts(const void *msg, size_t len, size_t max_parts, size_t max_total,
	      struct gw_mime_part **out, size_t *n, struct gw_err *err)
{
	struct walk w = {
	    .max_parts = max_parts, .max_total = max_total, .err = err};
	GMimeStream *st;
	GMimeParser *parser;
	GMimeMessage *m;
	GMimeObject *body;

	*out = NULL;
	*n = 0;
	gw_mime_init();
	w.v = gw_xcalloc(max_parts + 1, sizeof(*w.v));
	st = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(st);
	m = g_mime_parser_construct_message(parser, NULL);
	body = m != NULL ? g_mime_message_get_mime_part(m) : NULL;
	if (body == NULL) {
		w.rc = gw_err_set(err, GW_EPARSE, "5.6.0",
				  "mime: not a MIME message");
	} else if (GMIME_IS_MULTIPART(body)) {
		g_mime_multipart_foreach(GMIME_MULTIPART(body), visit, &w);
	} else {
		visit(NULL, body, &w);
	}
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(st);
	if (w.rc < 0) {
		gw_mime_parts_free(w.v, w.n);
		return w.rc;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

void
gw_mime_parts_free(struct gw_mime_part *p, size_t n)
{
	for (size_t i = 0; p != NULL && i < n; i++) {
		free(p[i].content_type);
		free(p[i].filename);
		free(p[i].data);
	}
	free(p);
}
