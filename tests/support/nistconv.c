/*
 * NAME
 *	nistconv - ebRS 2.1 -> 3.0 as the NIST toolkit sends it (test code)
 */
#include "nistconv.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>

/*
 * What the NIST toolkit does before sending an ebRS 2.1 test file as
 * ITI-41: move to the 3.0 namespaces, rename LeafRegistryObjectList,
 * put Slots before Name/Description (3.0 sequence) and spell the
 * HasMember association type in full.
 */
static const char v2_to_v3[] =
    "<xsl:stylesheet version='1.0' "
    "xmlns:xsl='http://www.w3.org/1999/XSL/Transform' "
    "xmlns:rs2='urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1' "
    "xmlns:rim2='urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1' "
    "xmlns:lcm='urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0' "
    "xmlns:rim='urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'>"
    "<xsl:template match='rs2:SubmitObjectsRequest'>"
    "<lcm:SubmitObjectsRequest><xsl:apply-templates select='*'/>"
    "</lcm:SubmitObjectsRequest></xsl:template>"
    "<xsl:template match='rim2:LeafRegistryObjectList'>"
    "<rim:RegistryObjectList><xsl:apply-templates select='*'/>"
    "</rim:RegistryObjectList></xsl:template>"
    "<xsl:template match='rim2:*'>"
    "<xsl:element name='rim:{local-name()}' "
    "namespace='urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0'>"
    "<xsl:apply-templates select='@*'/>"
    "<xsl:apply-templates select='rim2:Slot'/>"
    "<xsl:apply-templates select='rim2:Name'/>"
    "<xsl:apply-templates select='rim2:Description'/>"
    "<xsl:apply-templates select='*[not(self::rim2:Slot or self::rim2:Name "
    "or self::rim2:Description)]|text()[normalize-space()]'/>"
    "</xsl:element></xsl:template>"
    "<xsl:template match=\"@associationType[.='HasMember']\">"
    "<xsl:attribute name='associationType'>"
    "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
    "</xsl:attribute></xsl:template>"
    "<xsl:template match='@*'><xsl:copy/></xsl:template>"
    "</xsl:stylesheet>";

char *
gw_test_nist_v3(const char *xml, size_t len, size_t *outlen)
{
	xmlDocPtr xsl_doc, in = NULL, out = NULL;
	xsltStylesheetPtr xsl = NULL;
	xmlBufferPtr buf = NULL;
	char *res = NULL;

	if (strstr(xml, "registry:xsd:2.1") == NULL) {
		res = strndup(xml, len);
		*outlen = len;
		return res;
	}
	xsl_doc = xmlReadMemory(v2_to_v3, (int)strlen(v2_to_v3), NULL, NULL,
				XML_PARSE_NONET);
	xsl = xsl_doc ? xsltParseStylesheetDoc(xsl_doc) : NULL;
	in = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	out = xsl != NULL && in != NULL ? xsltApplyStylesheet(xsl, in, NULL)
					: NULL;
	if (out != NULL && xmlDocGetRootElement(out) != NULL) {
		buf = xmlBufferCreate();
		if (xmlNodeDump(buf, out, xmlDocGetRootElement(out), 0, 0) >
		    0) {
			res = strdup((const char *)xmlBufferContent(buf));
			*outlen = strlen(res);
		}
		xmlBufferFree(buf);
	}
	xmlFreeDoc(out);
	xmlFreeDoc(in);
	xsltFreeStylesheet(xsl);
	return res;
}
