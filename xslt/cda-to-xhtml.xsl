<?xml version="1.0" encoding="UTF-8"?>
<!--
  cda-to-xhtml.xsl - dxgw's own rendering of an HL7 CDA R2 / C-CDA
  document as XHTML 1.0 Strict (written for dxgw, GPL-2.0-or-later).

  What it shows: the document title and type, date, patient (names, ids,
  birth date, gender, address), authors, custodian, legal authenticator,
  encounter, service event, confidentiality; a table of contents; every
  section of the structured body, nested sections included, with its
  title and its narrative block (section/text). Coded entries are not
  shown: the narrative block is the attested human-readable content
  (CDA R2 4.3.5). A nonXMLBody is described (media type), never shown.

  Parameters:
    part      'document' (default): a whole XHTML page with DOCTYPE, head,
              a Content-Security-Policy that forbids every resource but
              inline style, and the style sheet;
              'body': only the <div class="cda"> (to embed several
              renderings in one page, e.g. XDM INDEX.HTM);
              'style': only the <style> element (for that page's head).
    idprefix  prepended to every id and in-page link, so that several
              renderings in one page cannot collide; letters, digits, '-',
              '_' and '.' only (anything else is dropped).

  Safety rules (the input is untrusted; see xslt/README.md):
    - nothing is copied from the input with xsl:copy or xsl:copy-of: every
      element and attribute of the output is written here, and input text
      reaches the output only as text (escaped by the serialiser);
    - no script, no event attributes, no style attributes; styleCode
      becomes one of a fixed set of class names, unknown codes are dropped;
    - no src, no href other than "#id" of this rendering; linkHtml shows
      its text and its target as plain text; renderMultiMedia and
      observationMedia are named, never embedded or fetched;
    - ids come from a fixed scheme (idprefix + "cda-s1.2", "cda-n-ID"); a
      narrative ID is used only when it is made of safe characters, so
      hostile IDs cannot clash with the page's ids or inject anything;
      dxgw removes repeated IDs before the run (the first holder keeps
      its ID), so each id is written once;
    - no test looks at a whole subtree at every level of the narrative
      (size x depth): emptiness is judged from an element's children;
    - colspan/rowspan are written only from 1-3 digit numbers;
    - the 'body' part uses only elements of XHTML Basic 1.1 (the XDM
      INDEX.HTM is XHTML Basic): table rows without row groups;
    - processing instructions (xml-stylesheet) and comments are ignored.
  The output is XML (method xml); an element that may come out empty
  gets an empty comment node, so none is written <x/> and the page also
  parses as HTML (XHTML 1.0 Appendix C).
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:cda="urn:hl7-org:v3"
    xmlns="http://www.w3.org/1999/xhtml"
    exclude-result-prefixes="cda">

  <xsl:output method="xml" encoding="UTF-8" omit-xml-declaration="yes"
      indent="no"/>

  <xsl:param name="part" select="'document'"/>
  <xsl:param name="idprefix" select="''"/>

  <xsl:variable name="safe"
      select="'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="p"
      select="translate($idprefix, translate($idprefix, $safe, ''), '')"/>

  <!-- Narrative targets: any element with an ID (CDA's ID attribute). -->
  <xsl:key name="ids" match="*[@ID]" use="@ID"/>

  <!-- ================================================================ -->
  <!-- The page                                                          -->
  <!-- ================================================================ -->

  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="not(cda:ClinicalDocument)">
        <xsl:message terminate="yes">cda-to-xhtml: the root is not an HL7 v3 ClinicalDocument</xsl:message>
      </xsl:when>
      <xsl:when test="$part = 'style'">
        <xsl:call-template name="style"/>
      </xsl:when>
      <xsl:when test="$part = 'body'">
        <xsl:apply-templates select="cda:ClinicalDocument"/>
      </xsl:when>
      <xsl:otherwise>
        <!-- A constant; xsl:output cannot give a DOCTYPE only to the
             'document' part. -->
        <xsl:text disable-output-escaping="yes">&lt;!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"&gt;&#10;</xsl:text>
        <html>
          <head>
            <meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
            <meta http-equiv="Content-Security-Policy"
                content="default-src 'none'; style-src 'unsafe-inline'"/>
            <meta name="referrer" content="no-referrer"/>
            <title>
              <xsl:call-template name="doc-title">
                <xsl:with-param name="d" select="cda:ClinicalDocument"/>
              </xsl:call-template>
            </title>
            <xsl:call-template name="style"/>
          </head>
          <body>
            <xsl:apply-templates select="cda:ClinicalDocument"/>
          </body>
        </html>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="style">
    <style type="text/css">
body { font-family: sans-serif; font-size: 0.95em; margin: 1em 2em; color: #000; background: #fff; }
div.cda { max-width: 60em; }
h1 { font-size: 1.5em; border-bottom: 2px solid #456; padding-bottom: 0.2em; }
h2, h3, h4, h5, h6 { color: #234; margin: 1.2em 0 0.4em 0; }
table { border-collapse: collapse; margin: 0.4em 0; }
th, td { border: 1px solid #99a; padding: 0.2em 0.4em; vertical-align: top; text-align: left; }
th { background: #e8ecf2; }
table.facts th { width: 11em; }
table.facts td, table.facts th { border: none; border-bottom: 1px solid #dde; }
caption, .caption { font-weight: bold; text-align: left; }
div.toc { border: 1px solid #ccd; background: #f6f7fa; padding: 0.2em 1em; margin: 1em 0; }
div.narrative { margin-left: 0.5em; }
.b { font-weight: bold; }
.i { font-style: italic; }
.u { text-decoration: underline; }
.em { font-style: italic; font-weight: bold; }
.lrule { border-left: 1px solid #000; }
.rrule { border-right: 1px solid #000; }
.toprule { border-top: 1px solid #000; }
.botrule { border-bottom: 1px solid #000; }
.href, .media, .note, .absent { color: #555; font-size: 0.9em; }
.media, .absent { font-style: italic; }
p.rendered { color: #555; font-size: 0.8em; border-top: 1px solid #ccd; margin-top: 2em; }
</style>
  </xsl:template>

  <xsl:template name="doc-title">
    <xsl:param name="d"/>
    <xsl:choose>
      <xsl:when test="normalize-space($d/cda:title) != ''">
        <xsl:value-of select="normalize-space($d/cda:title)"/>
      </xsl:when>
      <xsl:when test="normalize-space($d/cda:code/@displayName) != ''">
        <xsl:value-of select="normalize-space($d/cda:code/@displayName)"/>
      </xsl:when>
      <xsl:otherwise>Clinical document</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="cda:ClinicalDocument">
    <div class="cda" id="{$p}cda">
      <h1>
        <xsl:call-template name="doc-title">
          <xsl:with-param name="d" select="."/>
        </xsl:call-template>
      </h1>
      <xsl:call-template name="facts"/>
      <xsl:variable name="secs"
          select="cda:component/cda:structuredBody/cda:component/cda:section"/>
      <xsl:if test="$secs">
        <div class="toc">
          <h2>Contents</h2>
          <ul>
            <xsl:apply-templates select="$secs" mode="toc"/>
          </ul>
        </div>
        <xsl:apply-templates select="$secs"/>
      </xsl:if>
      <xsl:apply-templates select="cda:component/cda:nonXMLBody"/>
      <xsl:if test="not($secs) and not(cda:component/cda:nonXMLBody)">
        <p class="absent">This document has no body.</p>
      </xsl:if>
      <p class="rendered">Rendered by dxgw from the CDA document. Links and
      multimedia of the document are shown as text; nothing is opened or
      fetched.</p>
    </div>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Header facts                                                      -->
  <!-- ================================================================ -->

  <xsl:template name="facts">
    <table class="facts">
      <tbody>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Document type'"/>
          <xsl:with-param name="value">
            <xsl:call-template name="code">
              <xsl:with-param name="c" select="cda:code"/>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Date'"/>
          <xsl:with-param name="value">
            <xsl:call-template name="ts">
              <xsl:with-param name="v" select="cda:effectiveTime/@value"/>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Document id'"/>
          <xsl:with-param name="value">
            <xsl:call-template name="ii">
              <xsl:with-param name="id" select="cda:id"/>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
        <xsl:for-each select="cda:recordTarget/cda:patientRole">
          <xsl:call-template name="patient"/>
        </xsl:for-each>
        <xsl:for-each select="cda:author">
          <xsl:call-template name="row">
            <xsl:with-param name="label" select="'Author'"/>
            <xsl:with-param name="value">
              <xsl:call-template name="author"/>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Custodian'"/>
          <xsl:with-param name="value"
              select="normalize-space(cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization/cda:name)"/>
        </xsl:call-template>
        <xsl:for-each select="cda:legalAuthenticator">
          <xsl:call-template name="row">
            <xsl:with-param name="label" select="'Legal authenticator'"/>
            <xsl:with-param name="value">
              <xsl:call-template name="entity">
                <xsl:with-param name="e" select="cda:assignedEntity"/>
              </xsl:call-template>
              <xsl:call-template name="when">
                <xsl:with-param name="t" select="cda:time"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
        <xsl:for-each select="cda:componentOf/cda:encompassingEncounter">
          <xsl:call-template name="row">
            <xsl:with-param name="label" select="'Encounter'"/>
            <xsl:with-param name="value">
              <xsl:call-template name="encounter"/>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
        <xsl:for-each select="cda:documentationOf/cda:serviceEvent">
          <xsl:call-template name="row">
            <xsl:with-param name="label" select="'Service event'"/>
            <xsl:with-param name="value">
              <xsl:call-template name="code">
                <xsl:with-param name="c" select="cda:code"/>
              </xsl:call-template>
              <xsl:call-template name="when">
                <xsl:with-param name="t" select="cda:effectiveTime"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Confidentiality'"/>
          <xsl:with-param name="value">
            <xsl:variable name="cc" select="cda:confidentialityCode"/>
            <xsl:choose>
              <xsl:when test="$cc/@code = 'N'">Normal</xsl:when>
              <xsl:when test="$cc/@code = 'R'">Restricted</xsl:when>
              <xsl:when test="$cc/@code = 'V'">Very restricted</xsl:when>
              <xsl:otherwise>
                <xsl:call-template name="code">
                  <xsl:with-param name="c" select="$cc"/>
                </xsl:call-template>
              </xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
        </xsl:call-template>
        <xsl:call-template name="row">
          <xsl:with-param name="label" select="'Language'"/>
          <xsl:with-param name="value" select="cda:languageCode/@code"/>
        </xsl:call-template>
      </tbody>
    </table>
  </xsl:template>

  <!-- One fact; nothing at all when the value is empty. -->
  <xsl:template name="row">
    <xsl:param name="label"/>
    <xsl:param name="value"/>
    <xsl:if test="normalize-space($value) != ''">
      <tr>
        <th scope="row"><xsl:value-of select="$label"/></th>
        <td><xsl:value-of select="normalize-space($value)"/></td>
      </tr>
    </xsl:if>
  </xsl:template>

  <xsl:template name="patient">
    <xsl:variable name="pt" select="cda:patient"/>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Patient'"/>
      <xsl:with-param name="value">
        <xsl:for-each select="$pt/cda:name">
          <xsl:if test="position() &gt; 1">; </xsl:if>
          <xsl:call-template name="name"/>
        </xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Patient ids'"/>
      <xsl:with-param name="value">
        <xsl:for-each select="cda:id[@root or @extension]">
          <xsl:if test="position() &gt; 1">; </xsl:if>
          <xsl:call-template name="ii">
            <xsl:with-param name="id" select="."/>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Birth date'"/>
      <xsl:with-param name="value">
        <xsl:call-template name="ts">
          <xsl:with-param name="v" select="$pt/cda:birthTime/@value"/>
        </xsl:call-template>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Gender'"/>
      <xsl:with-param name="value">
        <xsl:variable name="g" select="$pt/cda:administrativeGenderCode"/>
        <xsl:choose>
          <xsl:when test="normalize-space($g/@displayName) != ''">
            <xsl:value-of select="$g/@displayName"/>
          </xsl:when>
          <xsl:when test="$g/@code = 'F'">Female</xsl:when>
          <xsl:when test="$g/@code = 'M'">Male</xsl:when>
          <xsl:when test="$g/@code = 'UN'">Undifferentiated</xsl:when>
          <xsl:otherwise><xsl:value-of select="$g/@code"/></xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Address'"/>
      <xsl:with-param name="value">
        <xsl:for-each select="cda:addr">
          <xsl:if test="position() &gt; 1">; </xsl:if>
          <xsl:call-template name="addr"/>
        </xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'Contact'"/>
      <xsl:with-param name="value">
        <xsl:for-each select="cda:telecom[@value]">
          <xsl:if test="position() &gt; 1">; </xsl:if>
          <xsl:value-of select="@value"/>
        </xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="author">
    <xsl:variable name="aa" select="cda:assignedAuthor"/>
    <xsl:choose>
      <xsl:when test="$aa/cda:assignedPerson/cda:name">
        <xsl:for-each select="$aa/cda:assignedPerson/cda:name[1]">
          <xsl:call-template name="name"/>
        </xsl:for-each>
      </xsl:when>
      <xsl:when test="$aa/cda:assignedAuthoringDevice">
        <xsl:value-of select="normalize-space(concat($aa/cda:assignedAuthoringDevice/cda:manufacturerModelName, ' ', $aa/cda:assignedAuthoringDevice/cda:softwareName))"/>
        <xsl:text> (device)</xsl:text>
      </xsl:when>
    </xsl:choose>
    <xsl:if test="normalize-space($aa/cda:representedOrganization/cda:name) != ''">
      <xsl:text>, </xsl:text>
      <xsl:value-of select="normalize-space($aa/cda:representedOrganization/cda:name)"/>
    </xsl:if>
    <xsl:call-template name="when">
      <xsl:with-param name="t" select="cda:time"/>
    </xsl:call-template>
  </xsl:template>

  <!-- An assignedEntity: its person and organisation. -->
  <xsl:template name="entity">
    <xsl:param name="e"/>
    <xsl:for-each select="$e/cda:assignedPerson/cda:name[1]">
      <xsl:call-template name="name"/>
    </xsl:for-each>
    <xsl:if test="normalize-space($e/cda:representedOrganization/cda:name) != ''">
      <xsl:text>, </xsl:text>
      <xsl:value-of select="normalize-space($e/cda:representedOrganization/cda:name)"/>
    </xsl:if>
  </xsl:template>

  <xsl:template name="encounter">
    <xsl:call-template name="code">
      <xsl:with-param name="c" select="cda:code"/>
    </xsl:call-template>
    <xsl:call-template name="when">
      <xsl:with-param name="t" select="cda:effectiveTime"/>
    </xsl:call-template>
    <xsl:variable name="where"
        select="normalize-space(cda:location/cda:healthCareFacility/cda:location/cda:name | cda:location/cda:healthCareFacility/cda:serviceProviderOrganization/cda:name)"/>
    <xsl:if test="$where != ''">
      <xsl:text>, at </xsl:text>
      <xsl:value-of select="$where"/>
    </xsl:if>
    <xsl:if test="cda:responsibleParty/cda:assignedEntity/cda:assignedPerson/cda:name">
      <xsl:text>, responsible: </xsl:text>
      <xsl:call-template name="entity">
        <xsl:with-param name="e" select="cda:responsibleParty/cda:assignedEntity"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Data types                                                        -->
  <!-- ================================================================ -->

  <!-- PN: prefix, given names, family, suffix; or its text. -->
  <xsl:template name="name">
    <xsl:choose>
      <xsl:when test="cda:given or cda:family">
        <xsl:for-each select="cda:prefix | cda:given | cda:family | cda:suffix">
          <xsl:if test="position() &gt; 1"><xsl:text> </xsl:text></xsl:if>
          <xsl:value-of select="normalize-space(.)"/>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="normalize-space(.)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- AD: street lines, city, state, postal code, country. -->
  <xsl:template name="addr">
    <xsl:for-each select="cda:streetAddressLine | cda:city | cda:state | cda:postalCode | cda:country">
      <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
      <xsl:value-of select="normalize-space(.)"/>
    </xsl:for-each>
  </xsl:template>

  <!-- II: extension (root), or root. -->
  <xsl:template name="ii">
    <xsl:param name="id"/>
    <xsl:choose>
      <xsl:when test="$id/@extension">
        <xsl:value-of select="concat($id/@extension, ' (', $id/@root, ')')"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$id/@root"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- CD: display name, else original text, else code. -->
  <xsl:template name="code">
    <xsl:param name="c"/>
    <xsl:choose>
      <xsl:when test="normalize-space($c/@displayName) != ''">
        <xsl:value-of select="normalize-space($c/@displayName)"/>
      </xsl:when>
      <xsl:when test="normalize-space($c/cda:originalText) != ''">
        <xsl:value-of select="normalize-space($c/cda:originalText)"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$c/@code"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- " (time)" or " (low to high)" for a TS or IVL_TS, if any. -->
  <xsl:template name="when">
    <xsl:param name="t"/>
    <xsl:variable name="s">
      <xsl:choose>
        <xsl:when test="$t/@value">
          <xsl:call-template name="ts">
            <xsl:with-param name="v" select="$t/@value"/>
          </xsl:call-template>
        </xsl:when>
        <xsl:when test="$t/cda:low/@value or $t/cda:high/@value">
          <xsl:call-template name="ts">
            <xsl:with-param name="v" select="$t/cda:low/@value"/>
          </xsl:call-template>
          <xsl:text> to </xsl:text>
          <xsl:call-template name="ts">
            <xsl:with-param name="v" select="$t/cda:high/@value"/>
          </xsl:call-template>
        </xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="normalize-space($s) != ''">
      <xsl:value-of select="concat(' (', normalize-space($s), ')')"/>
    </xsl:if>
  </xsl:template>

  <!-- TS YYYYMMDDHHMMSS[.S][+-ZZZZ] as YYYY-MM-DD HH:MM:SS +ZZZZ, keeping
       its precision; anything else as it is. -->
  <xsl:template name="ts">
    <xsl:param name="v"/>
    <xsl:variable name="d"
        select="substring-before(concat(translate($v, '+-.', '###'), '#'), '#')"/>
    <xsl:variable name="tz">
      <xsl:choose>
        <xsl:when test="contains($v, '+')">
          <xsl:value-of select="concat('+', substring-after($v, '+'))"/>
        </xsl:when>
        <xsl:when test="contains($v, '-')">
          <xsl:value-of select="concat('-', substring-after($v, '-'))"/>
        </xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="string-length($d) &lt; 4 or translate($d, '0123456789', '') != ''">
        <xsl:value-of select="$v"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="substring($d, 1, 4)"/>
        <xsl:if test="string-length($d) &gt;= 6">
          <xsl:value-of select="concat('-', substring($d, 5, 2))"/>
        </xsl:if>
        <xsl:if test="string-length($d) &gt;= 8">
          <xsl:value-of select="concat('-', substring($d, 7, 2))"/>
        </xsl:if>
        <xsl:if test="string-length($d) &gt;= 12">
          <xsl:value-of select="concat(' ', substring($d, 9, 2), ':', substring($d, 11, 2))"/>
        </xsl:if>
        <xsl:if test="string-length($d) &gt;= 14">
          <xsl:value-of select="concat(':', substring($d, 13, 2))"/>
        </xsl:if>
        <xsl:if test="$tz != '' and string-length($d) &gt;= 12">
          <xsl:value-of select="concat(' ', $tz)"/>
        </xsl:if>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Body: sections and the table of contents                          -->
  <!-- ================================================================ -->

  <!-- Section ids: idprefix + "cda-s" + the section's place, "1.2.3".
       The place is handed down (parent's place + position()), which costs
       nothing, where xsl:number level="multiple" would walk the tree for
       every section, twice (contents and body). -->

  <xsl:template name="section-title">
    <xsl:choose>
      <xsl:when test="normalize-space(cda:title) != ''">
        <xsl:value-of select="normalize-space(cda:title)"/>
      </xsl:when>
      <xsl:when test="normalize-space(cda:code/@displayName) != ''">
        <xsl:value-of select="normalize-space(cda:code/@displayName)"/>
      </xsl:when>
      <xsl:otherwise>Untitled section</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="cda:section" mode="toc">
    <xsl:param name="parent" select="''"/>
    <xsl:variable name="place" select="concat($parent, position())"/>
    <li>
      <a href="#{$p}cda-s{$place}">
        <xsl:call-template name="section-title"/>
      </a>
      <xsl:if test="cda:component/cda:section">
        <ul>
          <xsl:apply-templates select="cda:component/cda:section" mode="toc">
            <xsl:with-param name="parent" select="concat($place, '.')"/>
          </xsl:apply-templates>
        </ul>
      </xsl:if>
    </li>
  </xsl:template>

  <xsl:template match="cda:section">
    <xsl:param name="parent" select="''"/>
    <xsl:variable name="place" select="concat($parent, position())"/>
    <xsl:variable name="n" select="count(ancestor::cda:section) + 2"/>
    <xsl:variable name="depth" select="$n - ($n - 6) * ($n &gt; 6)"/>
    <div class="section" id="{$p}cda-s{$place}">
      <xsl:element name="{concat('h', $depth)}">
        <xsl:call-template name="section-title"/>
      </xsl:element>
      <xsl:choose>
        <xsl:when test="cda:text[normalize-space(.) != '' or .//cda:renderMultiMedia]">
          <div class="narrative">
            <xsl:apply-templates select="cda:text/node()" mode="n"/>
          </div>
        </xsl:when>
        <xsl:when test="not(cda:component/cda:section)">
          <p class="absent">No narrative text.</p>
        </xsl:when>
      </xsl:choose>
      <xsl:apply-templates select="cda:component/cda:section">
        <xsl:with-param name="parent" select="concat($place, '.')"/>
      </xsl:apply-templates>
    </div>
  </xsl:template>

  <xsl:template match="cda:nonXMLBody">
    <div class="section" id="{$p}cda-body">
      <h2>Document body</h2>
      <p class="absent">
        <xsl:text>The body of this document is not XML</xsl:text>
        <xsl:if test="normalize-space(cda:text/@mediaType) != ''">
          <xsl:value-of select="concat(' (', normalize-space(cda:text/@mediaType), ')')"/>
        </xsl:if>
        <xsl:text>; it is not shown here. Open the document itself with a
        suitable program.</xsl:text>
        <xsl:if test="cda:text/cda:reference/@value">
          <xsl:text> It refers to an external file, which was not fetched: </xsl:text>
          <span class="href"><xsl:value-of select="cda:text/cda:reference/@value"/></span>
        </xsl:if>
      </p>
    </div>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Narrative block (mode n)                                          -->
  <!-- ================================================================ -->

  <!-- Text is text; comments and processing instructions are dropped. -->
  <xsl:template match="text()" mode="n">
    <xsl:value-of select="."/>
  </xsl:template>
  <xsl:template match="comment() | processing-instruction()" mode="n"/>

  <!-- Any element we do not know (other namespaces included): its text
       and children, no markup of its own. -->
  <xsl:template match="*" mode="n">
    <xsl:apply-templates select="node()" mode="n"/>
  </xsl:template>

  <!-- Whether an element has anything to render is judged from its
       children only (text()[normalize-space()] or *): a test of the
       whole subtree at every level of a deeply nested narrative would
       cost size x depth. -->

  <!-- Keeps an element that may still come out empty from being written
       as <x/>, which an HTML parser reads as an unclosed start tag: with
       an empty comment node inside, libxml2 writes <x></x> (the comment
       itself comes out as nothing). -->
  <xsl:template name="guard">
    <xsl:if test="not(text()[normalize-space()])">
      <xsl:comment/>
    </xsl:if>
  </xsl:template>

  <!-- class="..." from a styleCode, known codes only. -->
  <xsl:template name="style-class">
    <xsl:if test="@styleCode">
      <xsl:variable name="s"
          select="concat(' ', normalize-space(translate(@styleCode, $upper, $lower)), ' ')"/>
      <!-- One string expression (substring of length 0 or n): a variable
           built with xsl:if would be a result tree fragment, a whole
           document allocated for every element. -->
      <xsl:variable name="c" select="normalize-space(concat(
          substring(' b', 1, 2 * contains($s, ' bold ')),
          substring(' i', 1, 2 * contains($s, ' italics ')),
          substring(' u', 1, 2 * contains($s, ' underline ')),
          substring(' em', 1, 3 * contains($s, ' emphasis ')),
          substring(' lrule', 1, 6 * contains($s, ' lrule ')),
          substring(' rrule', 1, 6 * contains($s, ' rrule ')),
          substring(' toprule', 1, 8 * contains($s, ' toprule ')),
          substring(' botrule', 1, 8 * contains($s, ' botrule '))))"/>
      <xsl:if test="$c != ''">
        <xsl:attribute name="class">
          <xsl:value-of select="$c"/>
        </xsl:attribute>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <!-- The output id of a narrative ID made of safe characters only.
       dxgw removes repeated IDs before the run (gw_cda_doc_unique_ids),
       so each is written once; a per-element key() test for the first
       holder would cost the number of holders each time. -->
  <xsl:template name="narrative-id">
    <xsl:if test="@ID and translate(@ID, $safe, '') = '' and string-length(@ID) &lt;= 64">
      <xsl:attribute name="id">
        <xsl:value-of select="concat($p, 'cda-n-', @ID)"/>
      </xsl:attribute>
    </xsl:if>
  </xsl:template>

  <!-- A reference "#ID" (or IDREF) becomes an in-page link only when
       it is safe, names an element of a narrative block (which got that
       id) and is itself inside one: see the $ok variables below. -->

  <xsl:template match="cda:paragraph" mode="n">
    <xsl:if test="text()[normalize-space()] or *">
      <p>
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
        <xsl:apply-templates select="node()" mode="n"/>
        <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
      </p>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:content" mode="n">
    <xsl:if test="text()[normalize-space()] or *">
      <span>
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
        <xsl:apply-templates select="node()" mode="n"/>
        <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
      </span>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:br" mode="n">
    <br/>
  </xsl:template>

  <xsl:template match="cda:sub | cda:sup" mode="n">
    <xsl:if test="normalize-space(.) != ''">
      <xsl:element name="{local-name()}">
        <xsl:value-of select="."/>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:caption" mode="n">
    <xsl:if test="text()[normalize-space()] or *">
      <span class="caption">
        <xsl:apply-templates select="node()" mode="n"/>
        <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
      </span>
      <xsl:text> </xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:list" mode="n">
    <xsl:variable name="items" select="cda:item"/>
    <xsl:if test="normalize-space(cda:caption) != ''">
      <p class="caption">
        <xsl:apply-templates select="cda:caption/node()" mode="n"/>
        <xsl:for-each select="cda:caption">
          <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
        </xsl:for-each>
      </p>
    </xsl:if>
    <xsl:if test="$items">
      <xsl:element name="{substring('ulol', 1 + 2 * (translate(@listType, $upper, $lower) = 'ordered'), 2)}">
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
        <xsl:for-each select="$items">
          <li>
            <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
            <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
            <xsl:apply-templates select="node()" mode="n"/>
            <xsl:if test="not(text()[normalize-space()] or *)">&#160;</xsl:if>
            <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
          </li>
        </xsl:for-each>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- Rows go straight into the table (no thead/tbody/tfoot), which both
       XHTML 1.0 Strict and XHTML Basic 1.1 allow: header rows keep their
       th cells. Order: head rows, body rows, foot rows. -->
  <xsl:template match="cda:table" mode="n">
    <xsl:variable name="rows"
        select="cda:thead/cda:tr[cda:th | cda:td] | cda:tbody/cda:tr[cda:th | cda:td] | cda:tr[cda:th | cda:td] | cda:tfoot/cda:tr[cda:th | cda:td]"/>
    <xsl:if test="$rows">
      <table>
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
        <xsl:if test="normalize-space(cda:caption) != ''">
          <caption>
            <xsl:apply-templates select="cda:caption/node()" mode="n"/>
            <xsl:for-each select="cda:caption">
              <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
            </xsl:for-each>
          </caption>
        </xsl:if>
        <xsl:apply-templates select="cda:thead/cda:tr" mode="n"/>
        <xsl:apply-templates select="cda:tbody/cda:tr | cda:tr" mode="n"/>
        <xsl:apply-templates select="cda:tfoot/cda:tr" mode="n"/>
      </table>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:tr" mode="n">
    <xsl:if test="cda:th | cda:td">
      <tr>
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
        <xsl:apply-templates select="cda:th | cda:td" mode="n"/>
      </tr>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:th | cda:td" mode="n">
    <xsl:element name="{local-name()}">
      <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
      <xsl:if test="@styleCode"><xsl:call-template name="style-class"/></xsl:if>
      <xsl:if test="@colspan">
        <xsl:call-template name="span">
          <xsl:with-param name="name" select="'colspan'"/>
          <xsl:with-param name="v" select="@colspan"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="@rowspan">
        <xsl:call-template name="span">
          <xsl:with-param name="name" select="'rowspan'"/>
          <xsl:with-param name="v" select="@rowspan"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:apply-templates select="node()" mode="n"/>
      <xsl:if test="not(text()[normalize-space()] or *)">&#160;</xsl:if>
      <xsl:if test="not(text()[normalize-space()])"><xsl:comment/></xsl:if>
    </xsl:element>
  </xsl:template>

  <!-- colspan/rowspan from 1 to 3 digits (1-999), nothing otherwise. -->
  <xsl:template name="span">
    <xsl:param name="name"/>
    <xsl:param name="v"/>
    <xsl:variable name="t" select="normalize-space($v)"/>
    <xsl:if test="$t != '' and string-length($t) &lt;= 3 and translate($t, '0123456789', '') = '' and number($t) &gt;= 1">
      <xsl:attribute name="{$name}">
        <xsl:value-of select="number($t)"/>
      </xsl:attribute>
    </xsl:if>
  </xsl:template>

  <!-- footnote: its text in place, marked as a note. -->
  <xsl:template match="cda:footnote" mode="n">
    <xsl:if test="text()[normalize-space()] or *">
      <span class="note">
        <xsl:if test="@ID"><xsl:call-template name="narrative-id"/></xsl:if>
        <xsl:text>[Note: </xsl:text>
        <xsl:apply-templates select="node()" mode="n"/>
        <xsl:text>]</xsl:text>
      </span>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cda:footnoteRef" mode="n">
    <xsl:variable name="ref" select="string(@IDREF)"/>
    <xsl:variable name="ok"
        select="$ref != '' and translate($ref, $safe, '') = '' and string-length($ref) &lt;= 64 and ancestor::cda:text and key('ids', $ref)[1]/ancestor::cda:text"/>
    <xsl:choose>
      <xsl:when test="$ok">
        <a class="note" href="#{$p}cda-n-{$ref}">[see note]</a>
      </xsl:when>
      <xsl:otherwise><span class="note">[see note]</span></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- linkHtml: never an active link to anything outside this rendering;
       its text, then its target as plain text. -->
  <xsl:template match="cda:linkHtml" mode="n">
    <xsl:variable name="h" select="normalize-space(@href)"/>
    <xsl:variable name="ref" select="substring($h, 2)"/>
    <xsl:variable name="ok"
        select="starts-with($h, '#') and $ref != '' and translate($ref, $safe, '') = '' and string-length($ref) &lt;= 64 and ancestor::cda:text and key('ids', $ref)[1]/ancestor::cda:text"/>
    <xsl:choose>
      <xsl:when test="$ok">
        <a href="#{$p}cda-n-{$ref}">
          <xsl:apply-templates select="node()" mode="n"/>
          <xsl:if test="not(text()[normalize-space()] or *)">[link]</xsl:if>
        </a>
      </xsl:when>
      <xsl:otherwise>
        <span class="link">
          <xsl:apply-templates select="node()" mode="n"/>
          <xsl:if test="$h != ''">
            <span class="href">
              <xsl:value-of select="concat(' [link, not opened: ', substring($h, 1, 200))"/>
              <xsl:if test="string-length($h) &gt; 200">...</xsl:if>
              <xsl:text>]</xsl:text>
            </span>
          </xsl:if>
        </span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- renderMultiMedia: a placeholder naming each referenced object. -->
  <xsl:template match="cda:renderMultiMedia" mode="n">
    <span class="media">
      <xsl:text>[Multimedia not shown: </xsl:text>
      <xsl:call-template name="media-refs">
        <xsl:with-param name="refs" select="concat(normalize-space(@referencedObject), ' ')"/>
      </xsl:call-template>
      <xsl:if test="normalize-space(cda:caption) != ''">
        <xsl:value-of select="concat(' - ', normalize-space(cda:caption))"/>
      </xsl:if>
      <xsl:text>]</xsl:text>
    </span>
  </xsl:template>

  <!-- Each IDREF of refs (space-separated, ending in a space) as
       "ID (media type)"; at most 20. -->
  <xsl:template name="media-refs">
    <xsl:param name="refs"/>
    <xsl:param name="n" select="1"/>
    <xsl:variable name="r" select="substring-before($refs, ' ')"/>
    <xsl:if test="$r != '' and $n &lt;= 20">
      <xsl:if test="$n &gt; 1">, </xsl:if>
      <xsl:value-of select="substring($r, 1, 64)"/>
      <xsl:variable name="o" select="key('ids', $r)[1]"/>
      <xsl:variable name="mt" select="normalize-space($o/cda:value/@mediaType)"/>
      <xsl:if test="$mt != ''">
        <xsl:value-of select="concat(' (', substring($mt, 1, 64), ')')"/>
      </xsl:if>
      <xsl:call-template name="media-refs">
        <xsl:with-param name="refs" select="substring-after($refs, ' ')"/>
        <xsl:with-param name="n" select="$n + 1"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
