/*
 * Unit tests for render (xslt/cda-to-xhtml.xsl): every ClinicalDocument
 * of the corpus renders to XML that carries no script, no event
 * attribute, no link or source outside the page, no url( in style, and
 * shows every section title; a hostile hand-made C-CDA is rendered
 * harmless or refused; the body and style parts for embedding.
 *
 * The checks parse the output with libxml2 themselves (not with dxgw's
 * code) and decide what a ClinicalDocument is the same independent way.
 */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "err.h"
#include "render.h"

#define V3    "urn:hl7-org:v3"
#define XHTML "http://www.w3.org/1999/xhtml"
#define OUT   (64u << 20)
#define OPTS  (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Elements that run, embed or fetch something: never in our output. */
static const char *const bad_elems[] = {
    "script", "iframe", "frame", "frameset", "object", "embed",  "applet",
    "img",    "link",   "form",  "input",    "button", "base",   "svg",
    "math",   "audio",  "video", "source",   "track",  "picture"};
/* Attributes that name a resource or a target. */
static const char *const url_attrs[] = {
    "src",    "href",       "action", "formaction", "data",   "background",
    "poster", "srcset",     "lowsrc", "codebase",   "usemap", "longdesc",
    "cite",   "xlink:href", "ping",   "manifest",   "profile"};

/* XPath normalize-space(): collapse #x20 #x9 #xD #xA runs, trim. */
static char *
collapse(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *o = malloc(n + 1);
	bool sp = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			sp = j > 0;
			continue;
		}
		if (sp)
			o[j++] = ' ';
		sp = false;
		o[j++] = s[i];
	}
	o[j] = '\0';
	return o;
}

static bool
is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       (name == NULL || strcmp((const char *)n->name, name) == 0);
}

/* What a safety walk of one output found. */
struct scan {
	int bad;       /* forbidden elements or attributes */
	char why[256]; /* the first of them */
	char **heads;  /* normalized text of h1-h6 */
	size_t nheads;
	char **ids; /* every id */
	size_t nids;
	char **frags; /* every #fragment target */
	size_t nfrags;
	bool csp;    /* the meta Content-Security-Policy */
	int foreign; /* elements outside the XHTML namespace */
};

static void
flag(struct scan *s, const char *what, const char *name)
{
	if (s->bad++ == 0)
		snprintf(s->why, sizeof(s->why), "%s %s", what, name);
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
check_attr(struct scan *s, const xmlNode *el, const xmlAttr *a)
{
	const char *name = (const char *)a->name;
	xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
	const char *val = v != NULL ? (const char *)v : "";

	if (strncasecmp(name, "on", 2) == 0)
		flag(s, "event attribute", name);
	if (strcasecmp(name, "style") == 0)
		flag(s, "style attribute", val);
	for (size_t i = 0; i < sizeof(url_attrs) / sizeof(url_attrs[0]); i++)
		if (strcasecmp(name, url_attrs[i]) == 0) {
			if (val[0] != '#')
				flag(s, "link attribute", val);
			else
				push(&s->frags, &s->nfrags, strdup(val + 1));
		}
	if (strcmp(name, "id") == 0)
		push(&s->ids, &s->nids, strdup(val));
	if (strcmp((const char *)el->name, "meta") == 0 &&
	    strcmp(name, "content") == 0 &&
	    strcmp(val, "default-src 'none'; style-src 'unsafe-inline'") == 0)
		s->csp = true;
	if (strcmp((const char *)el->name, "meta") == 0 &&
	    strcmp(name, "http-equiv") == 0 && strcasecmp(val, "refresh") == 0)
		flag(s, "meta", "refresh");
	xmlFree(v);
}

static void
walk_out(struct scan *s, const xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type == XML_PI_NODE)
			flag(s, "processing instruction", name);
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(n, XHTML, NULL))
			s->foreign++;
		for (size_t i = 0; i < sizeof(bad_elems) / sizeof(bad_elems[0]);
		     i++)
			if (strcasecmp(name, bad_elems[i]) == 0)
				flag(s, "element", name);
		for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
			check_attr(s, n, a);
		if (strcmp(name, "style") == 0) {
			xmlChar *c = xmlNodeGetContent(n);

			if (c != NULL && (strstr((char *)c, "url(") != NULL ||
					  strstr((char *)c, "@import") != NULL))
				flag(s, "style", "url( or @import");
			xmlFree(c);
		}
		if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' &&
		    name[2] == '\0') {
			xmlChar *c = xmlNodeGetContent(n);

			push(&s->heads, &s->nheads,
			     collapse(c != NULL ? (char *)c : ""));
			xmlFree(c);
		}
		walk_out(s, n->children);
	}
}

static void
scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->nheads; i++)
		free(s->heads[i]);
	for (size_t i = 0; i < s->nids; i++)
		free(s->ids[i]);
	for (size_t i = 0; i < s->nfrags; i++)
		free(s->frags[i]);
	free(s->heads);
	free(s->ids);
	free(s->frags);
}

static bool
has(char **v, size_t n, const char *x)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], x) == 0)
			return true;
	return false;
}

/*
 * Parse out as XML and scan it; false (with a failure naming what) when
 * it does not parse, has anything forbidden, duplicate ids or a
 * #fragment without its id. *doc_out keeps the tree when not NULL.
 */
static bool
safe_output(const char *what, const struct gw_buf *out, struct scan *s,
	    xmlDocPtr *doc_out)
{
	xmlDocPtr doc =
	    xmlReadMemory(out->data, (int)out->len, "out.html", NULL, OPTS);
	char m[512];
	bool ok = true;

	memset(s, 0, sizeof(*s));
	if (doc == NULL) {
		snprintf(m, sizeof(m), "%.300s: output is not XML", what);
		gw_test_fail(__FILE__, __LINE__, m);
		return false;
	}
	walk_out(s, xmlDocGetRootElement(doc));
	if (s->bad != 0 || s->foreign != 0) {
		snprintf(m, sizeof(m), "%.200s: %d unsafe (%.200s), %d foreign",
			 what, s->bad, s->why, s->foreign);
		gw_test_fail(__FILE__, __LINE__, m);
		ok = false;
	}
	for (size_t i = 0; i < s->nids; i++)
		if (has(s->ids + i + 1, s->nids - i - 1, s->ids[i])) {
			snprintf(m, sizeof(m), "%.200s: id %.200s twice", what,
				 s->ids[i]);
			gw_test_fail(__FILE__, __LINE__, m);
			ok = false;
		}
	for (size_t i = 0; i < s->nfrags; i++)
		if (!has(s->ids, s->nids, s->frags[i])) {
			snprintf(m, sizeof(m), "%.200s: #%.200s names no id",
				 what, s->frags[i]);
			gw_test_fail(__FILE__, __LINE__, m);
			ok = false;
		}
	if (doc_out != NULL)
		*doc_out = doc;
	else
		xmlFreeDoc(doc);
	return ok;
}

/* Every v3 section title of the input among the output's headings. */
static int
missing_titles(const xmlNode *n, const struct scan *s, const char *what)
{
	int miss = 0;

	for (; n != NULL; n = n->next) {
		if (is_el(n, V3, "section")) {
			for (const xmlNode *c = n->children; c != NULL;
			     c = c->next) {
				xmlChar *t;
				char *ct;

				if (!is_el(c, V3, "title"))
					continue;
				t = xmlNodeGetContent(c);
				ct = collapse(t != NULL ? (char *)t : "");
				if (ct[0] != '\0' &&
				    !has(s->heads, s->nheads, ct)) {
					char m[512];

					snprintf(
					    m, sizeof(m),
					    "%.250s: section title \"%.200s\" "
					    "not shown",
					    what, ct);
					gw_test_fail(__FILE__, __LINE__, m);
					miss++;
				}
				free(ct);
				xmlFree(t);
				break;
			}
		}
		if (n->type == XML_ELEMENT_NODE)
			miss += missing_titles(n->children, s, what);
	}
	return miss;
}

struct corpus_run {
	int docs, ok;
	double secs;
	size_t bytes_in, bytes_out;
};

static void
one_file(const char *path, struct corpus_run *r)
{
	size_t len = 0;
	char *data = gw_test_slurp(path, &len);
	xmlDocPtr in;
	struct gw_buf out;
	struct gw_err e;
	struct timespec t0, t1;
	struct scan s;
	int rc;

	if (data == NULL)
		return;
	/* Our own oracle: a v3 ClinicalDocument root, as libxml2 sees it. */
	in = xmlReadMemory(data, (int)len, "in.xml", NULL, OPTS);
	if (in == NULL ||
	    !is_el(xmlDocGetRootElement(in), V3, "ClinicalDocument")) {
		xmlFreeDoc(in);
		free(data);
		return;
	}
	r->docs++;
	gw_buf_init(&out, OUT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = gw_render_cda(data, len, GW_RENDER_DOCUMENT, NULL, &out, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->secs += (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc != 0) {
		char m[600];

		snprintf(m, sizeof(m), "%.300s: %s", path, e.msg);
		gw_test_fail(__FILE__, __LINE__, m);
	} else if (safe_output(path, &out, &s, NULL)) {
		if (!s.csp)
			gw_test_fail(__FILE__, __LINE__, path);
		if (missing_titles(xmlDocGetRootElement(in), &s, path) == 0 &&
		    s.csp)
			r->ok++;
		r->bytes_in += len;
		r->bytes_out += out.len;
		scan_free(&s);
	} else {
		scan_free(&s);
	}
	gw_buf_dispose(&out);
	xmlFreeDoc(in);
	free(data);
}

static void
walk_dir(const char *dir, struct corpus_run *r)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[2048];
		struct stat st;

		if (de->d_name[0] == '.' ||
		    snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >=
			(int)sizeof(p) ||
		    stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk_dir(p, r);
		else if (S_ISREG(st.st_mode) && st.st_size > 0)
			one_file(p, r);
	}
	closedir(d);
}

/* Every ClinicalDocument of ccda/, whatever its file name says. */
GW_TEST(render_every_corpus_document)
{
	struct corpus_run r = {0};
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/ccda", gw_test_corpus());
	walk_dir(dir, &r);
	/* The walk found the corpus (more than 200 documents today). */
	CHECK(r.docs > 200);
	CHECK_INT(r.ok, r.docs);
	printf("    %d documents, %.1f ms each on average, %.1f MB in, "
	       "%.1f MB out\n",
	       r.docs, r.docs ? r.secs * 1000 / r.docs : 0.0,
	       (double)r.bytes_in / 1e6, (double)r.bytes_out / 1e6);
}

/* One hostile document: every trick in the narrative and around it. */
static const char hostile[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<?xml-stylesheet type=\"text/xsl\" "
    "href=\"http://evil.example/steal.xsl\"?>\n"
    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\" "
    "xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
    "<title>Evil &lt;script&gt;alert(0)&lt;/script&gt;</title>"
    "<recordTarget><patientRole><id root=\"1.2\" extension=\"&quot; "
    "onmouseover=&quot;x\"/><patient><name><given>Eve</given>"
    "<family>&lt;img src=x onerror=alert(1)&gt;</family></name>"
    "</patient></patientRole></recordTarget>"
    "<component><structuredBody><component><section ID=\"cda\">"
    "<title>Allergies <b onclick=\"x\">now</b></title>"
    "<text onload=\"alert(2)\">"
    "<script>alert(3)</script>"
    "<h:script>alert(4)</h:script>"
    "<h:img src=\"http://evil.example/pixel.png\"/>"
    "<h:a href=\"http://evil.example/\">a</h:a>"
    "<h:iframe src=\"javascript:alert(5)\"/>"
    "<paragraph onclick=\"alert(6)\" style=\"background:url(http://"
    "evil.example/bg)\" styleCode=\"Bold xEvil expression(alert(7))\" "
    "ID=\"p1\">Text with <content ID=\"good\" styleCode=\"Italics\">a "
    "target</content> and <content ID=\"bad&quot;id\">odd id</content>"
    "<content ID=\"good\">twin</content>"
    "<content styleCode=\"Bold\"><content/><!-- c --></content></paragraph>"
    "<paragraph><linkHtml href=\"javascript:alert(8)\" "
    "onclick=\"alert(9)\">click me</linkHtml> "
    "<linkHtml href=\"#good\">jump</linkHtml> "
    "<linkHtml href=\"#cda\">out of the narrative</linkHtml> "
    "<linkHtml href=\"http://evil.example/x\" xlink:href=\"http://"
    "evil.example/y\">remote</linkHtml>"
    "<footnoteRef IDREF=\"fn1\"/><footnote ID=\"fn1\">a note</footnote>"
    "</paragraph>"
    "<renderMultiMedia referencedObject=\"img1 img2\"><caption>X-ray"
    "</caption></renderMultiMedia>"
    "<table border=\"1\" onmouseover=\"alert(10)\"><tbody><tr>"
    "<td colspan=\"2;background:url(x)\" rowspan=\"3\">c1</td>"
    "<td colspan=\"99999\">c2</td><td colspan=\"2\"></td><td/></tr>"
    "</tbody></table>"
    "<list listType=\"ordered\"><item>one</item><item/></list>"
    "<?xml-stylesheet href=\"http://evil.example/in.xsl\"?>"
    "<!-- <script>alert(11)</script> -->"
    "</text>"
    "<entry><observationMedia ID=\"img1\"><value mediaType=\"image/png\">"
    "<reference value=\"http://evil.example/track.png\"/></value>"
    "</observationMedia></entry>"
    "<entry><observationMedia ID=\"img2\"><value mediaType=\"text/html\" "
    "representation=\"B64\">PHNjcmlwdD5hbGVydCgxMik8L3NjcmlwdD4=</value>"
    "</observationMedia></entry>"
    "<component><section><title>Nested</title><text>inner</text>"
    "</section></component>"
    "</section></component></structuredBody></component>"
    "</ClinicalDocument>";

static bool
contains(const struct gw_buf *b, const char *s)
{
	return b->data != NULL && strstr(b->data, s) != NULL;
}

GW_TEST(render_hostile_document_is_harmless)
{
	struct gw_buf out;
	struct gw_err e;
	struct scan s;
	xmlDocPtr in;

	gw_buf_init(&out, OUT);
	REQUIRE(gw_render_cda(hostile, strlen(hostile), GW_RENDER_DOCUMENT,
			      NULL, &out, &e) == 0);
	REQUIRE(safe_output("hostile", &out, &s, NULL));
	CHECK(s.csp);
	in = xmlReadMemory(hostile, (int)strlen(hostile), "h.xml", NULL, OPTS);
	REQUIRE(in != NULL);
	CHECK_INT(missing_titles(xmlDocGetRootElement(in), &s, "hostile"), 0);
	xmlFreeDoc(in);
	/* Nothing of the attacker's reaches a name or a value. */
	CHECK(!contains(&out, "evil.example/steal"));
	CHECK(!contains(&out, "=\"javascript"));
	CHECK(!contains(&out, "<script"));
	CHECK(!contains(&out, "expression("));
	CHECK(!contains(&out, "xEvil"));
	/* Text stays text, escaped. */
	CHECK(contains(&out, "Evil &lt;script&gt;alert(0)&lt;/script&gt;"));
	CHECK(contains(&out, "&lt;img src=x onerror=alert(1)&gt;"));
	/* linkHtml: text plus its target as text; an in-page one links. */
	CHECK(contains(&out, "click me"));
	CHECK(contains(&out, "[link, not opened: javascript:alert(8)]"));
	CHECK(contains(&out, "<a href=\"#cda-n-good\">jump</a>"));
	CHECK(contains(&out, "id=\"cda-n-good\""));
	/* Only the first holder of a twin ID gets it; an unsafe ID none. */
	CHECK(strstr(strstr(out.data, "id=\"cda-n-good\"") + 1,
		     "id=\"cda-n-good\"") == NULL);
	CHECK(!contains(&out, "cda-n-bad"));
	CHECK(contains(&out, "odd id"));
	/* A narrative ID cannot take over the page's own ids. */
	CHECK(contains(&out, "<div class=\"cda\" id=\"cda\">"));
	CHECK(contains(&out, "[link, not opened: #cda]"));
	/* renderMultiMedia: named, never embedded. */
	CHECK(contains(&out, "[Multimedia not shown: img1 (image/png), img2 "
			     "(text/html) - X-ray]"));
	CHECK(!contains(&out, "track.png"));
	CHECK(!contains(&out, "PHNjcmlw"));
	/* Only numbers make spans; known style codes make classes. */
	CHECK(contains(&out, "<td rowspan=\"3\">c1</td>"));
	CHECK(contains(&out, "<td>c2</td><td colspan=\"2\">&#160;</td>") ||
	      contains(&out, "<td>c2</td><td colspan=\"2\">\xc2\xa0</td>"));
	CHECK(contains(&out, "<p id=\"cda-n-p1\" class=\"b\">"));
	CHECK(contains(&out, "class=\"i\""));
	/* Footnotes link within the page. */
	CHECK(contains(&out, "href=\"#cda-n-fn1\""));
	/* Ordered list; an empty item is not an empty element. */
	CHECK(contains(&out, "<ol><li>one</li><li>"));
	CHECK(!contains(&out, "<li/>"));
	CHECK(!contains(&out, "<td/>"));
	/* Content whose children render nothing is still closed. */
	CHECK(!contains(&out, "<span/>"));
	CHECK(!contains(&out, "<span class=\"b\"/>"));
	CHECK(contains(&out, "<span class=\"b\"></span>"));
	scan_free(&s);
	gw_buf_dispose(&out);
}

/* DTDs, entities, other roots and broken XML are refused, not rendered. */
GW_TEST(render_refuses_what_is_not_a_plain_cda)
{
	static const char entity[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE ClinicalDocument [\n"
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&x;</title>"
	    "</ClinicalDocument>";
	static const char bomb[] =
	    "<!DOCTYPE ClinicalDocument [<!ENTITY a \"aaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&b;</title>"
	    "</ClinicalDocument>";
	static const char other[] = "<html xmlns=\"http://www.w3.org/1999/"
				    "xhtml\"><script>x</script></html>";
	static const char v2[] = "<ClinicalDocument xmlns=\"urn:hl7-org:v2\"/>";
	static const char broken[] =
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>";
	struct gw_buf out;
	struct gw_err e;

	gw_buf_init(&out, OUT);
	CHECK_INT(gw_render_cda(entity, strlen(entity), GW_RENDER_DOCUMENT,
				NULL, &out, &e),
		  GW_EPARSE);
	CHECK_INT(gw_render_cda(bomb, strlen(bomb), GW_RENDER_DOCUMENT, NULL,
				&out, &e),
		  GW_EPARSE);
	CHECK_INT(gw_render_cda(other, strlen(other), GW_RENDER_DOCUMENT, NULL,
				&out, &e),
		  GW_ENOTFOUND);
	CHECK_INT(
	    gw_render_cda(v2, strlen(v2), GW_RENDER_DOCUMENT, NULL, &out, &e),
	    GW_ENOTFOUND);
	CHECK_INT(gw_render_cda(broken, strlen(broken), GW_RENDER_DOCUMENT,
				NULL, &out, &e),
		  GW_EPARSE);
	CHECK_INT(gw_render_cda("", 0, GW_RENDER_DOCUMENT, NULL, &out, &e),
		  GW_EPARSE);
	/* A prefix that could break out of an id or a URL. */
	CHECK(gw_render_cda(hostile, strlen(hostile), GW_RENDER_BODY,
			    "x\" onclick=\"y", &out, &e) < 0);
	CHECK(gw_render_cda(hostile, strlen(hostile), GW_RENDER_BODY, "1x",
			    &out, &e) < 0);
	/* Nothing was appended by any refusal. */
	CHECK_INT(out.len, 0);
	/* The output bound holds. */
	gw_buf_dispose(&out);
	gw_buf_init(&out, 100);
	CHECK_INT(gw_render_cda(hostile, strlen(hostile), GW_RENDER_DOCUMENT,
				NULL, &out, &e),
		  GW_ELIMIT);
	CHECK_INT(out.len, 0);
	gw_buf_dispose(&out);
}

/* The body part: one div, every id and link under the prefix. */
GW_TEST(render_body_part_and_style)
{
	struct gw_buf out, style;
	struct gw_err e;
	struct scan s;

	gw_buf_init(&out, OUT);
	gw_buf_init(&style, 1 << 20);
	REQUIRE(gw_render_cda(hostile, strlen(hostile), GW_RENDER_BODY, "doc7-",
			      &out, &e) == 0);
	CHECK(strncmp(out.data, "<div ", 5) == 0);
	CHECK(!contains(&out, "<!DOCTYPE"));
	CHECK(!contains(&out, "<html"));
	REQUIRE(safe_output("body", &out, &s, NULL));
	CHECK(s.nids > 3);
	for (size_t i = 0; i < s.nids; i++)
		CHECK(strncmp(s.ids[i], "doc7-", 5) == 0);
	for (size_t i = 0; i < s.nfrags; i++)
		CHECK(strncmp(s.frags[i], "doc7-", 5) == 0);
	scan_free(&s);
	REQUIRE(gw_render_style(&style, &e) == 0);
	CHECK(strncmp(style.data, "<style", 6) == 0);
	CHECK(strstr(style.data, "url(") == NULL);
	CHECK(strstr(style.data, "@import") == NULL);
	gw_buf_dispose(&style);
	gw_buf_dispose(&out);
}

/* nonXMLBody: its media type is named; it is never embedded or linked. */
GW_TEST(render_non_xml_body)
{
	static const char doc[] =
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>Scan</title>"
	    "<component><nonXMLBody><text mediaType=\"application/pdf\" "
	    "representation=\"B64\">JVBERi0xLjQK</text></nonXMLBody>"
	    "</component></ClinicalDocument>";
	static const char ref[] =
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component>"
	    "<nonXMLBody><text mediaType=\"image/jpeg\"><reference "
	    "value=\"https://evil.example/scan.jpg\"/></text></nonXMLBody>"
	    "</component></ClinicalDocument>";
	struct gw_buf out;
	struct gw_err e;
	struct scan s;

	gw_buf_init(&out, OUT);
	REQUIRE(gw_render_cda(doc, strlen(doc), GW_RENDER_DOCUMENT, NULL, &out,
			      &e) == 0);
	CHECK(safe_output("nonxml", &out, &s, NULL));
	scan_free(&s);
	CHECK(contains(&out, "not XML (application/pdf)"));
	CHECK(!contains(&out, "JVBERi0"));
	gw_buf_reset(&out);
	REQUIRE(gw_render_cda(ref, strlen(ref), GW_RENDER_DOCUMENT, NULL, &out,
			      &e) == 0);
	CHECK(safe_output("nonxml-ref", &out, &s, NULL));
	scan_free(&s);
	CHECK(contains(&out, "not XML (image/jpeg)"));
	CHECK(contains(&out, "which was not fetched: <span class=\"href\">"
			     "https://evil.example/scan.jpg</span>"));
	gw_buf_dispose(&out);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds gw_render_cda takes on head + n x unit + tail (0 renders). */
static double
render_time(const char *head, const char *open, size_t nopen, const char *unit,
	    size_t n, const char *close, const char *tail, struct gw_buf *out)
{
	struct gw_buf in;
	struct gw_err e;
	double t = -1;

	gw_buf_init(&in, 64u << 20);
	gw_buf_reset(out);
	if (gw_buf_puts(&in, head) == 0) {
		for (size_t i = 0; i < nopen; i++)
			(void)gw_buf_puts(&in, open);
		for (size_t i = 0; i < n; i++)
			(void)gw_buf_puts(&in, unit);
		for (size_t i = 0; i < nopen; i++)
			(void)gw_buf_puts(&in, close);
		(void)gw_buf_puts(&in, tail);
		t = now_s();
		if (gw_render_cda(in.data, in.len, GW_RENDER_DOCUMENT, NULL,
				  out, &e) != 0)
			t = -1;
		else
			t = now_s() - t;
	}
	gw_buf_dispose(&in);
	return t;
}

/*
 * Shapes that cost a quadratic renderer minutes: 40 000 holders of one
 * ID and 40 000 links to it (a key() lookup per holder), and narrative
 * nested 240 deep around 4 MB of text (a subtree test per level). Each
 * is timed against the same amount of plain narrative in the same run
 * (so a slow or sanitised build does not matter): linear means within a
 * small factor of it. Both keep ids unique and write no <x/>.
 */
GW_TEST(render_pathological_shapes_stay_linear)
{
	static const char head[] =
	    "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component>"
	    "<structuredBody><component><section><title>T</title><text>";
	static const char tail[] = "</text></section></component>"
				   "</structuredBody></component>"
				   "</ClinicalDocument>";
	struct gw_buf out;
	struct scan s;
	double base, t;

	gw_buf_init(&out, OUT);
	base = render_time(head, "", 0,
			   "<paragraph>x<linkHtml href=\"#v\">l"
			   "</linkHtml></paragraph>",
			   40000, "", tail, &out);
	t = render_time(head, "", 0,
			"<paragraph ID=\"a\">x<linkHtml href=\"#a\">l"
			"</linkHtml></paragraph>",
			40000, "", tail, &out);
	printf("    40000 repeated IDs: %.2f s (plain: %.2f s)\n", t, base);
	REQUIRE(base >= 0 && t >= 0);
	CHECK(t < 3 * base + 0.5);
	CHECK(safe_output("duplicates", &out, &s, NULL));
	CHECK_INT(s.nfrags, 40001); /* and the contents entry */
	scan_free(&s);

	base = render_time(head, "<content styleCode=\"Bold\">", 1, "word ",
			   800000, "</content>", tail, &out);
	t = render_time(head, "<content styleCode=\"Bold\"><footnote>", 120,
			"word ", 800000, "</footnote></content>", tail, &out);
	printf("    240 levels around 4 MB: %.2f s (flat: %.2f s)\n", t, base);
	REQUIRE(base >= 0 && t >= 0);
	CHECK(t < 3 * base + 0.5);
	CHECK(safe_output("deep", &out, &s, NULL));
	scan_free(&s);
	CHECK(!contains(&out, "<span/>"));
	CHECK(!contains(&out, "<p/>"));
	gw_buf_dispose(&out);
}
