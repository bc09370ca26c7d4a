/* Unit tests for xmlscan: streaming depth and DOCTYPE detection. */
#include "harness.h"

#include "xmlscan.h"

static struct gw_xmlscan
scan(const char *text, bool hdrs, size_t chunk)
{
	struct gw_xmlscan s;
	size_t n = strlen(text);

	gw_xmlscan_init(&s, hdrs);
	for (size_t i = 0; i < n; i += chunk)
		gw_xmlscan_feed(&s, text + i, n - i < chunk ? n - i : chunk);
	return s;
}

GW_TEST(xmlscan_depth)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?><a><b x=\"/>\" y='<c>'><c/><c></c>"
	    "<!-- <d><e><f> --><![CDATA[<g><h>]]><c><d/></c></b></a>";

	for (size_t chunk = 1; chunk < 8; chunk++) {
		struct gw_xmlscan s = scan(doc, false, chunk);

		CHECK_INT(s.max_depth, 4);
		CHECK(s.root_done);
		CHECK_STR(s.root, "a");
		CHECK_INT(s.depth, 0);
		CHECK(!s.doctype);
	}
}

GW_TEST(xmlscan_doctype_and_mime_headers)
{
	struct gw_xmlscan s;

	s = scan("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>"
		 "<x>&a;</x>",
		 false, 3);
	CHECK(s.doctype);
	s = scan("Content-Type: application/xop+xml\r\n"
		 "Content-ID: <root@x>\r\n\r\n<a><b/></a>",
		 true, 5);
	CHECK_INT(s.max_depth, 2);
	CHECK(!s.doctype);
	CHECK_STR(s.root, "a");
	s = scan("Content-ID: <root@x>\n\n<a><!-- x --></a>", true, 2);
	CHECK_INT(s.max_depth, 1);
	CHECK(!s.doctype);
	s = scan("<a><!-- <!DOCTYPE x> --></a>", false, 1);
	CHECK(!s.doctype);
}

GW_TEST(xmlscan_root_name)
{
	struct gw_xmlscan s = scan("<?xml version=\"1.0\"?><!-- c -->\n"
				   "<soap:Envelope xmlns:soap=\"x\"><a/>",
				   false, 2);

	CHECK(s.root_done);
	CHECK_STR(s.root, "soap:Envelope");
}
