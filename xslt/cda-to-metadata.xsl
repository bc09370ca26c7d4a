<?xml version="1.0" encoding="UTF-8"?>
<!--
  cda-to-metadata.xsl - XDS DocumentEntry metadata from a C-CDA header.

  The single source of dxgw's CDA -> XDS extraction rules (SPEC 8.1-8.3).
  Input: an HL7 CDA R2 ClinicalDocument (urn:hl7-org:v3). Output: one
  md:metadata element in urn:dxgw:cda-metadata holding one md:value (a
  string value) or md:code (code, scheme, display) per DocumentEntry
  value, named by its XDS attribute (patientId, authorPerson, ...). Every
  value is already in its XDS form (DTM in UTC, CX, XCN, XON, XTN, HL7 v2
  delimiters escaped) and carries @source: the location in the CDA it came
  from (an XPath such as /ClinicalDocument/recordTarget[1]/patientRole[1]/
  id[2]), or the caller's label for a default (param *_source). A value
  that cannot be made valid for the ONC XDR validator's rules is left out
  rather than sent malformed.

  Pure XSLT 1.0 for libxslt: no extension functions, no document(), no
  includes. Only the header is read: every path starts at
  /ClinicalDocument and walks down named children (never //), so the cost
  does not depend on the size of the body.

  Parameters (strings; empty = none):
    facility_code, facility_scheme, facility_display, facility_source
      healthcareFacilityTypeCode when the header has no
      encompassingEncounter/location/healthCareFacility/code.
    practice_code, practice_scheme, practice_display, practice_source
      practiceSettingCode (no CDA header element carries it).
    format_scheme   codingScheme of the C-CDA formatCodes.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:v3="urn:hl7-org:v3"
    xmlns:md="urn:dxgw:cda-metadata"
    exclude-result-prefixes="v3">

  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:param name="facility_code" select="''"/>
  <xsl:param name="facility_scheme" select="''"/>
  <xsl:param name="facility_display" select="''"/>
  <xsl:param name="facility_source" select="'default'"/>
  <xsl:param name="practice_code" select="''"/>
  <xsl:param name="practice_scheme" select="''"/>
  <xsl:param name="practice_display" select="''"/>
  <xsl:param name="practice_source" select="'default'"/>
  <xsl:param name="format_scheme" select="'2.16.840.1.113883.4.642.1.1407'"/>

  <xsl:variable name="digits" select="'0123456789'"/>
  <!-- the longest value emitted (cda.c FIELD_MAX) -->
  <xsl:variable name="max" select="4096"/>
  <xsl:variable name="ccda" select="'2.16.840.1.113883.10.20.22.1.'"/>
  <xsl:variable name="pgd" select="'2.16.840.1.113883.10.20.29.1'"/>

  <!-- ================================================================ -->
  <!-- Root                                                             -->
  <!-- ================================================================ -->

  <xsl:template match="/">
    <md:metadata>
      <xsl:apply-templates select="v3:ClinicalDocument"/>
    </md:metadata>
  </xsl:template>

  <xsl:template match="v3:ClinicalDocument">
    <xsl:call-template name="unique-id"/>
    <xsl:call-template name="patient"/>
    <xsl:call-template name="ts-value">
      <xsl:with-param name="name" select="'creationTime'"/>
      <xsl:with-param name="at" select="v3:effectiveTime[1]/@value"/>
    </xsl:call-template>
    <xsl:call-template name="text-value">
      <xsl:with-param name="name" select="'title'"/>
      <xsl:with-param name="n" select="v3:title[1]"/>
    </xsl:call-template>
    <xsl:call-template name="code">
      <xsl:with-param name="name" select="'typeCode'"/>
      <xsl:with-param name="n" select="v3:code[1]"/>
    </xsl:call-template>
    <xsl:call-template name="class-code"/>
    <xsl:call-template name="code">
      <xsl:with-param name="name" select="'confidentialityCode'"/>
      <xsl:with-param name="n" select="v3:confidentialityCode[1]"/>
    </xsl:call-template>
    <xsl:call-template name="text-value">
      <xsl:with-param name="name" select="'languageCode'"/>
      <xsl:with-param name="n" select="v3:languageCode[1]/@code"/>
    </xsl:call-template>
    <xsl:call-template name="author"/>
    <xsl:call-template name="service-times"/>
    <xsl:call-template name="format-code"/>
    <xsl:call-template name="facility"/>
    <xsl:call-template name="practice"/>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Helpers                                                          -->
  <!-- ================================================================ -->

  <!-- The XPath of node n: /ClinicalDocument/a[i]/b[j][/@attr]. -->
  <xsl:template name="path">
    <xsl:param name="n"/>
    <xsl:for-each select="$n/ancestor-or-self::*">
      <xsl:text>/</xsl:text>
      <xsl:value-of select="local-name()"/>
      <xsl:if test="parent::*">
        <xsl:text>[</xsl:text>
        <xsl:value-of select="count(preceding-sibling::*[local-name() =
            local-name(current()) and namespace-uri() =
            namespace-uri(current())]) + 1"/>
        <xsl:text>]</xsl:text>
      </xsl:if>
    </xsl:for-each>
    <xsl:if test="$n and count($n | $n/../@*) = count($n/../@*)">
      <xsl:text>/@</xsl:text>
      <xsl:value-of select="local-name($n)"/>
    </xsl:if>
  </xsl:template>

  <!-- Replace every from in s by to. -->
  <xsl:template name="replace">
    <xsl:param name="s"/>
    <xsl:param name="from"/>
    <xsl:param name="to"/>
    <xsl:choose>
      <xsl:when test="contains($s, $from)">
        <xsl:value-of select="concat(substring-before($s, $from), $to)"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="substring-after($s, $from)"/>
          <xsl:with-param name="from" select="$from"/>
          <xsl:with-param name="to" select="$to"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$s"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    s with the HL7 v2 delimiters escaped (\E\ first, so the escapes added
    later are not escaped again), so that "Smith & Sons" cannot shift the
    components of an XON.
  -->
  <xsl:template name="esc">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="translate($s, '\^&amp;|~', '') = $s">
        <xsl:value-of select="$s"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="e">
          <xsl:call-template name="replace">
            <xsl:with-param name="s" select="$s"/>
            <xsl:with-param name="from" select="'\'"/>
            <xsl:with-param name="to" select="'\E\'"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="s1">
          <xsl:call-template name="replace">
            <xsl:with-param name="s" select="$e"/>
            <xsl:with-param name="from" select="'^'"/>
            <xsl:with-param name="to" select="'\S\'"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="t">
          <xsl:call-template name="replace">
            <xsl:with-param name="s" select="$s1"/>
            <xsl:with-param name="from" select="'&amp;'"/>
            <xsl:with-param name="to" select="'\T\'"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="f">
          <xsl:call-template name="replace">
            <xsl:with-param name="s" select="$t"/>
            <xsl:with-param name="from" select="'|'"/>
            <xsl:with-param name="to" select="'\F\'"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="$f"/>
          <xsl:with-param name="from" select="'~'"/>
          <xsl:with-param name="to" select="'\R\'"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    'y' when s is an OID as the XDR validators take it: digits and dots,
    two arcs at least, no empty arc, at most 64 characters.
  -->
  <xsl:template name="is-oid">
    <xsl:param name="s"/>
    <xsl:if test="string-length($s) &gt;= 3 and string-length($s) &lt;= 64
        and translate($s, '0123456789.', '') = '' and contains($s, '.')
        and not(starts-with($s, '.')) and not(contains($s, '..'))
        and substring($s, string-length($s)) != '.'">y</xsl:if>
  </xsl:template>

  <!-- Join components c1..c10 with ^, trailing empty ones dropped. -->
  <xsl:template name="join">
    <xsl:param name="c1" select="''"/>
    <xsl:param name="c2" select="''"/>
    <xsl:param name="c3" select="''"/>
    <xsl:param name="c4" select="''"/>
    <xsl:param name="c5" select="''"/>
    <xsl:param name="c6" select="''"/>
    <xsl:param name="c7" select="''"/>
    <xsl:param name="c8" select="''"/>
    <xsl:param name="c9" select="''"/>
    <xsl:param name="c10" select="''"/>
    <xsl:variable name="all" select="concat($c1, '^', $c2, '^', $c3, '^',
        $c4, '^', $c5, '^', $c6, '^', $c7, '^', $c8, '^', $c9, '^', $c10)"/>
    <xsl:call-template name="rtrim-carets">
      <xsl:with-param name="s" select="$all"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="rtrim-carets">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="substring($s, string-length($s)) = '^'">
        <xsl:call-template name="rtrim-carets">
          <xsl:with-param name="s"
              select="substring($s, 1, string-length($s) - 1)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$s"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    One md:value; nothing when v is empty or longer than $max (no XDS
    value is that long; the bound keeps the output small whatever the
    input).
  -->
  <xsl:template name="emit">
    <xsl:param name="name"/>
    <xsl:param name="v"/>
    <xsl:param name="src"/>
    <xsl:if test="string($v) != '' and string-length($v) &lt;= $max">
      <md:value name="{$name}" source="{$src}">
        <xsl:value-of select="$v"/>
      </md:value>
    </xsl:if>
  </xsl:template>

  <!-- A trimmed text or attribute value as it is. -->
  <xsl:template name="text-value">
    <xsl:param name="name"/>
    <xsl:param name="n"/>
    <xsl:if test="$n and normalize-space($n) != ''">
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="$name"/>
        <xsl:with-param name="v" select="normalize-space($n)"/>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$n"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!--
    A coded value from a CD element. XDS needs the code, its scheme and a
    display name; without a codeSystem it cannot be sent, and a missing
    displayName falls back to the code itself.
  -->
  <xsl:template name="code">
    <xsl:param name="name"/>
    <xsl:param name="n"/>
    <xsl:variable name="c" select="normalize-space($n/@code)"/>
    <xsl:variable name="s" select="normalize-space($n/@codeSystem)"/>
    <xsl:variable name="d" select="normalize-space($n/@displayName)"/>
    <xsl:if test="$c != '' and $s != '' and
        string-length(concat($c, $s, $d)) &lt;= $max">
      <md:code name="{$name}" code="{$c}" scheme="{$s}">
        <xsl:attribute name="display">
          <xsl:choose>
            <xsl:when test="$d != ''"><xsl:value-of select="$d"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="$c"/></xsl:otherwise>
          </xsl:choose>
        </xsl:attribute>
        <xsl:attribute name="source">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$n"/>
          </xsl:call-template>
        </xsl:attribute>
      </md:code>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Time stamps: HL7 v3 TS to XDS DTM in UTC                         -->
  <!-- ================================================================ -->

  <!-- Days in month m of year y. -->
  <xsl:template name="mdays">
    <xsl:param name="y"/>
    <xsl:param name="m"/>
    <xsl:choose>
      <xsl:when test="$m = 2">
        <xsl:choose>
          <xsl:when test="($y mod 4 = 0 and $y mod 100 != 0) or
              $y mod 400 = 0">29</xsl:when>
          <xsl:otherwise>28</xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:when test="$m = 4 or $m = 6 or $m = 9 or $m = 11">30</xsl:when>
      <xsl:otherwise>31</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    TS YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ] -> DTM in UTC, or '' when
    ts is not a valid TS. The offset is applied only when there is a time
    of day (a date is a date in every zone, SPEC 8.3); the precision is
    kept, never padded; fractional seconds are dropped. An offset moves
    the time at most a day, which may roll the day, month and year.
  -->
  <xsl:template name="dtm">
    <xsl:param name="ts"/>
    <xsl:variable name="d"
        select="substring-before(concat(translate($ts, '.+-', '   '), ' '),
        ' ')"/>
    <xsl:variable name="nd" select="string-length($d)"/>
    <xsl:variable name="r0" select="substring($ts, $nd + 1)"/>
    <!-- after an optional fraction (only after seconds) -->
    <xsl:variable name="frac"
        select="substring-before(concat(translate(substring($r0, 2), '+-',
        '  '), ' '), ' ')"/>
    <xsl:variable name="r">
      <xsl:choose>
        <xsl:when test="starts-with($r0, '.')">
          <xsl:value-of select="substring($r0, 2 + string-length($frac))"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$r0"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="y" select="number(substring($d, 1, 4))"/>
    <xsl:variable name="mo" select="number(substring($d, 5, 2))"/>
    <xsl:variable name="dd" select="number(substring($d, 7, 2))"/>
    <xsl:variable name="hh" select="number(substring($d, 9, 2))"/>
    <xsl:variable name="mi" select="number(substring($d, 11, 2))"/>
    <xsl:variable name="ss" select="number(substring($d, 13, 2))"/>
    <xsl:variable name="dim">
      <xsl:if test="$nd &gt;= 8">
        <xsl:call-template name="mdays">
          <xsl:with-param name="y" select="$y"/>
          <xsl:with-param name="m" select="$mo"/>
        </xsl:call-template>
      </xsl:if>
    </xsl:variable>
    <xsl:variable name="zone" select="substring($r, 2)"/>
    <xsl:variable name="ok" select="translate($d, $digits, '') = '' and
        $nd &gt;= 4 and $nd &lt;= 14 and $nd mod 2 = 0 and
        ($nd &lt; 6 or ($mo &gt;= 1 and $mo &lt;= 12)) and
        ($nd &lt; 8 or ($dd &gt;= 1 and $dd &lt;= number($dim))) and
        ($nd &lt; 10 or $hh &lt;= 23) and ($nd &lt; 12 or $mi &lt;= 59) and
        ($nd &lt; 14 or $ss &lt;= 60) and
        (not(starts-with($r0, '.')) or ($nd = 14 and $frac != '' and
        translate($frac, $digits, '') = '')) and
        ($r = '' or ((starts-with($r, '+') or starts-with($r, '-')) and
        string-length($zone) = 4 and translate($zone, $digits, '') = '' and
        number(substring($zone, 1, 2)) &lt;= 23 and
        number(substring($zone, 3, 2)) &lt;= 59))"/>
    <xsl:choose>
      <xsl:when test="not($ok)"/>
      <xsl:when test="$r = '' or $nd &lt;= 8">
        <xsl:value-of select="$d"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="sign">
          <xsl:choose>
            <xsl:when test="starts-with($r, '-')">-1</xsl:when>
            <xsl:otherwise>1</xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="off" select="number(substring($zone, 1, 2)) * 60
            + number(substring($zone, 3, 2))"/>
        <xsl:variable name="m0">
          <xsl:choose>
            <xsl:when test="$nd &gt;= 12">
              <xsl:value-of select="$hh * 60 + $mi - $sign * $off"/>
            </xsl:when>
            <xsl:otherwise>
              <xsl:value-of select="$hh * 60 - $sign * $off"/>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <!-- the day shift: -1, 0 or +1 -->
        <xsl:variable name="shift">
          <xsl:choose>
            <xsl:when test="$m0 &lt; 0">-1</xsl:when>
            <xsl:when test="$m0 &gt;= 1440">1</xsl:when>
            <xsl:otherwise>0</xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="mins" select="$m0 - $shift * 1440"/>
        <xsl:variable name="pm">
          <xsl:choose>
            <xsl:when test="$mo = 1">12</xsl:when>
            <xsl:otherwise><xsl:value-of select="$mo - 1"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="pdim">
          <xsl:call-template name="mdays">
            <xsl:with-param name="y" select="$y - number($mo = 1)"/>
            <xsl:with-param name="m" select="$pm"/>
          </xsl:call-template>
        </xsl:variable>
        <!-- the new year, month and day -->
        <xsl:variable name="ny">
          <xsl:choose>
            <xsl:when test="$shift = -1 and $dd = 1 and $mo = 1">
              <xsl:value-of select="$y - 1"/>
            </xsl:when>
            <xsl:when test="$shift = 1 and $dd = $dim and $mo = 12">
              <xsl:value-of select="$y + 1"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="$y"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="nm">
          <xsl:choose>
            <xsl:when test="$shift = -1 and $dd = 1">
              <xsl:value-of select="$pm"/>
            </xsl:when>
            <xsl:when test="$shift = 1 and $dd = $dim">
              <xsl:value-of select="$mo mod 12 + 1"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="$mo"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="ndd">
          <xsl:choose>
            <xsl:when test="$shift = -1 and $dd = 1">
              <xsl:value-of select="$pdim"/>
            </xsl:when>
            <xsl:when test="$shift = -1"><xsl:value-of select="$dd - 1"/>
            </xsl:when>
            <xsl:when test="$shift = 1 and $dd = $dim">1</xsl:when>
            <xsl:when test="$shift = 1"><xsl:value-of select="$dd + 1"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="$dd"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:if test="$ny &gt;= 0 and $ny &lt;= 9999">
          <xsl:value-of select="substring(concat(format-number($ny, '0000'),
              format-number($nm, '00'), format-number($ndd, '00'),
              format-number(floor($mins div 60), '00'),
              format-number($mins mod 60, '00'), substring($d, 13, 2)),
              1, $nd)"/>
        </xsl:if>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A DTM value from the TS attribute at. -->
  <xsl:template name="ts-value">
    <xsl:param name="name"/>
    <xsl:param name="at"/>
    <xsl:if test="$at">
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="$name"/>
        <xsl:with-param name="v">
          <xsl:call-template name="dtm">
            <xsl:with-param name="ts" select="normalize-space($at)"/>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$at"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="service-times">
    <xsl:variable name="et"
        select="v3:documentationOf[v3:serviceEvent][1]/v3:serviceEvent[1]/
        v3:effectiveTime[1]"/>
    <xsl:call-template name="ts-value">
      <xsl:with-param name="name" select="'serviceStartTime'"/>
      <xsl:with-param name="at" select="$et/v3:low[1]/@value"/>
    </xsl:call-template>
    <xsl:call-template name="ts-value">
      <xsl:with-param name="name" select="'serviceStopTime'"/>
      <xsl:with-param name="at" select="$et/v3:high[1]/@value"/>
    </xsl:call-template>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Identifiers                                                      -->
  <!-- ================================================================ -->

  <!--
    uniqueId: root, or root^extension (SPEC 8.3), only when XDS can take
    it: an OID root and an extension of at most 64 characters without
    white space or ^; a bare UUID root becomes a urn:uuid: URN.
    Otherwise the caller names the document with a new OID.
  -->
  <xsl:template name="unique-id">
    <xsl:variable name="id" select="v3:id[1]"/>
    <xsl:variable name="root" select="normalize-space($id/@root)"/>
    <xsl:variable name="ext" select="normalize-space($id/@extension)"/>
    <xsl:variable name="oid">
      <xsl:call-template name="is-oid">
        <xsl:with-param name="s" select="$root"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="v">
      <xsl:choose>
        <xsl:when test="$oid = 'y' and $ext = ''">
          <xsl:value-of select="$root"/>
        </xsl:when>
        <xsl:when test="$oid = 'y' and string-length($ext) &lt;= 64 and
            not(contains($ext, ' ')) and not(contains($ext, '^'))">
          <xsl:value-of select="concat($root, '^', $ext)"/>
        </xsl:when>
        <xsl:when test="$ext = '' and string-length($root) = 36 and
            translate($root, '0123456789abcdefABCDEF', '') = '----'">
          <xsl:value-of select="concat('urn:uuid:', translate($root,
              'ABCDEF', 'abcdef'))"/>
        </xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:call-template name="emit">
      <xsl:with-param name="name" select="'uniqueId'"/>
      <xsl:with-param name="v" select="$v"/>
      <xsl:with-param name="src">
        <xsl:call-template name="path">
          <xsl:with-param name="n" select="$id"/>
        </xsl:call-template>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!--
    CX id^^^&root&ISO of an II: the assigning authority must be an OID
    (type ISO) and the id one token, as the XDR validators check.
  -->
  <xsl:template name="cx">
    <xsl:param name="id"/>
    <xsl:variable name="root" select="normalize-space($id/@root)"/>
    <xsl:variable name="ext" select="normalize-space($id/@extension)"/>
    <xsl:variable name="oid">
      <xsl:call-template name="is-oid">
        <xsl:with-param name="s" select="$root"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$oid = 'y' and $ext != '' and not(contains($ext, ' '))">
      <xsl:call-template name="esc">
        <xsl:with-param name="s" select="$ext"/>
      </xsl:call-template>
      <xsl:value-of select="concat('^^^&amp;', $root, '&amp;ISO')"/>
    </xsl:if>
  </xsl:template>

  <!-- The first id of parent that makes a CX. -->
  <xsl:template name="cx-id">
    <xsl:param name="ids"/>
    <xsl:param name="i" select="1"/>
    <xsl:if test="$i &lt;= count($ids)">
      <xsl:variable name="v">
        <xsl:call-template name="cx">
          <xsl:with-param name="id" select="$ids[$i]"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:choose>
        <xsl:when test="$v != ''"><xsl:value-of select="$i"/></xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="cx-id">
            <xsl:with-param name="ids" select="$ids"/>
            <xsl:with-param name="i" select="$i + 1"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- The patient: patientId, sourcePatientId, sourcePatientInfo       -->
  <!-- ================================================================ -->

  <!--
    XPN family^given^middle^suffix^prefix of a name (each escaped). A
    second given name is a middle name unless it carries a qualifier (a
    call-me name); a name with only text is the family name.
  -->
  <xsl:template name="xpn">
    <xsl:param name="n"/>
    <xsl:param name="lead" select="false()"/>
    <xsl:param name="id" select="''"/>
    <xsl:param name="aa" select="''"/>
    <xsl:variable name="fam">
      <xsl:call-template name="esc">
        <xsl:with-param name="s">
          <xsl:choose>
            <xsl:when test="$n/v3:family or $n/v3:given">
              <xsl:value-of select="normalize-space($n/v3:family[1])"/>
            </xsl:when>
            <xsl:otherwise>
              <xsl:value-of select="normalize-space($n)"/>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="giv">
      <xsl:call-template name="esc">
        <xsl:with-param name="s" select="normalize-space($n/v3:given[1])"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="mid">
      <xsl:call-template name="esc">
        <xsl:with-param name="s"
            select="normalize-space($n/v3:given[2][not(@qualifier)])"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="suf">
      <xsl:call-template name="esc">
        <xsl:with-param name="s" select="normalize-space($n/v3:suffix[1])"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="pre">
      <xsl:call-template name="esc">
        <xsl:with-param name="s" select="normalize-space($n/v3:prefix[1])"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="$lead">
        <!-- XCN: id^family^given^middle^suffix^prefix^^^&root&ISO -->
        <xsl:call-template name="join">
          <xsl:with-param name="c1" select="$id"/>
          <xsl:with-param name="c2" select="$fam"/>
          <xsl:with-param name="c3" select="$giv"/>
          <xsl:with-param name="c4" select="$mid"/>
          <xsl:with-param name="c5" select="$suf"/>
          <xsl:with-param name="c6" select="$pre"/>
          <xsl:with-param name="c9" select="$aa"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="join">
          <xsl:with-param name="c1" select="$fam"/>
          <xsl:with-param name="c2" select="$giv"/>
          <xsl:with-param name="c3" select="$mid"/>
          <xsl:with-param name="c4" select="$suf"/>
          <xsl:with-param name="c5" select="$pre"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="patient">
    <xsl:variable name="role"
        select="v3:recordTarget[1]/v3:patientRole[1]"/>
    <xsl:variable name="pat" select="$role/v3:patient[1]"/>
    <xsl:variable name="i">
      <xsl:call-template name="cx-id">
        <xsl:with-param name="ids" select="$role/v3:id"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$i != ''">
      <xsl:variable name="id" select="$role/v3:id[number($i)]"/>
      <xsl:variable name="cx">
        <xsl:call-template name="cx">
          <xsl:with-param name="id" select="$id"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:variable name="src">
        <xsl:call-template name="path">
          <xsl:with-param name="n" select="$id"/>
        </xsl:call-template>
      </xsl:variable>
      <!-- XDR: no affinity domain mapping, the source id is the id. -->
      <md:value name="patientId" source="{$src}">
        <xsl:value-of select="$cx"/>
      </md:value>
      <md:value name="sourcePatientId" source="{$src}">
        <xsl:value-of select="$cx"/>
      </md:value>
      <md:value name="sourcePatientInfo" source="{$src}">
        <xsl:value-of select="concat('PID-3|', $cx)"/>
      </md:value>
    </xsl:if>
    <!-- the legal name (use="L"), else the first -->
    <xsl:variable name="n" select="($pat/v3:name[@use = 'L'] |
        $pat/v3:name[not(../v3:name[@use = 'L'])][1])[1]"/>
    <xsl:if test="$n">
      <xsl:variable name="npath">
        <xsl:call-template name="path">
          <xsl:with-param name="n" select="$n"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:variable name="xpn">
        <xsl:call-template name="xpn">
          <xsl:with-param name="n" select="$n"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:if test="$xpn != ''">
        <md:value name="sourcePatientInfo" source="{$npath}">
          <xsl:value-of select="concat('PID-5|', $xpn)"/>
        </md:value>
      </xsl:if>
    </xsl:if>
    <xsl:call-template name="birth">
      <xsl:with-param name="at" select="$pat/v3:birthTime[1]/@value"/>
    </xsl:call-template>
    <xsl:call-template name="gender">
      <xsl:with-param name="at"
          select="$pat/v3:administrativeGenderCode[1]/@code"/>
    </xsl:call-template>
    <xsl:call-template name="address">
      <xsl:with-param name="a" select="$role/v3:addr[1]"/>
    </xsl:call-template>
  </xsl:template>

  <!-- PID-7: the date of birth, never shifted by a zone (it is a date). -->
  <xsl:template name="birth">
    <xsl:param name="at"/>
    <xsl:variable name="t" select="normalize-space($at)"/>
    <xsl:variable name="d"
        select="substring-before(concat(translate($t, '.+-', '   '), ' '),
        ' ')"/>
    <xsl:variable name="v">
      <xsl:choose>
        <xsl:when test="translate($d, $digits, '') != ''"/>
        <xsl:when test="string-length($d) &gt;= 8">
          <xsl:value-of select="substring($d, 1, 8)"/>
        </xsl:when>
        <xsl:when test="string-length($d) = 4 or string-length($d) = 6">
          <xsl:value-of select="$d"/>
        </xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="$v != ''">
      <md:value name="sourcePatientInfo">
        <xsl:attribute name="source">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$at"/>
          </xsl:call-template>
        </xsl:attribute>
        <xsl:value-of select="concat('PID-7|', $v)"/>
      </md:value>
    </xsl:if>
  </xsl:template>

  <!-- PID-8: HL7 v2 administrative sex (v3 UN is v2 U). -->
  <xsl:template name="gender">
    <xsl:param name="at"/>
    <xsl:variable name="c" select="normalize-space($at)"/>
    <xsl:variable name="v">
      <xsl:choose>
        <xsl:when test="$c = 'UN'">U</xsl:when>
        <xsl:when test="$c = 'M' or $c = 'F' or $c = 'U' or $c = 'O' or
            $c = 'A' or $c = 'N'"><xsl:value-of select="$c"/></xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="$v != ''">
      <md:value name="sourcePatientInfo">
        <xsl:attribute name="source">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$at"/>
          </xsl:call-template>
        </xsl:attribute>
        <xsl:value-of select="concat('PID-8|', $v)"/>
      </md:value>
    </xsl:if>
  </xsl:template>

  <!-- PID-11: XAD street^other^city^state^zip^country. -->
  <xsl:template name="address">
    <xsl:param name="a"/>
    <xsl:if test="$a and not($a/@nullFlavor)">
      <xsl:variable name="v">
        <xsl:call-template name="join">
          <xsl:with-param name="c1">
            <xsl:call-template name="esc">
              <xsl:with-param name="s"
                  select="normalize-space($a/v3:streetAddressLine[1])"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="c2">
            <xsl:call-template name="esc">
              <xsl:with-param name="s"
                  select="normalize-space($a/v3:streetAddressLine[2])"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="c3">
            <xsl:call-template name="esc">
              <xsl:with-param name="s" select="normalize-space($a/v3:city[1])"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="c4">
            <xsl:call-template name="esc">
              <xsl:with-param name="s"
                  select="normalize-space($a/v3:state[1])"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="c5">
            <xsl:call-template name="esc">
              <xsl:with-param name="s"
                  select="normalize-space($a/v3:postalCode[1])"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="c6">
            <xsl:call-template name="esc">
              <xsl:with-param name="s"
                  select="normalize-space($a/v3:country[1])"/>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:variable>
      <xsl:if test="$v != ''">
        <md:value name="sourcePatientInfo">
          <xsl:attribute name="source">
            <xsl:call-template name="path">
              <xsl:with-param name="n" select="$a"/>
            </xsl:call-template>
          </xsl:attribute>
          <xsl:value-of select="concat('PID-11|', $v)"/>
        </md:value>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- The author                                                       -->
  <!-- ================================================================ -->

  <!-- CWE code^display^codeSystem of a CD (SPEC 8.3 authorSpecialty). -->
  <xsl:template name="cwe">
    <xsl:param name="name"/>
    <xsl:param name="n"/>
    <xsl:variable name="c" select="normalize-space($n/@code)"/>
    <xsl:if test="$c != ''">
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="$name"/>
        <xsl:with-param name="v">
          <xsl:call-template name="join">
            <xsl:with-param name="c1">
              <xsl:call-template name="esc">
                <xsl:with-param name="s" select="$c"/>
              </xsl:call-template>
            </xsl:with-param>
            <xsl:with-param name="c2">
              <xsl:call-template name="esc">
                <xsl:with-param name="s"
                    select="normalize-space($n/@displayName)"/>
              </xsl:call-template>
            </xsl:with-param>
            <xsl:with-param name="c3">
              <xsl:call-template name="esc">
                <xsl:with-param name="s"
                    select="normalize-space($n/@codeSystem)"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$n"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!--
    The first author that is a person or an organisation (a device-only
    author says nothing an EHR can file by).
  -->
  <xsl:template name="author">
    <xsl:variable name="au" select="v3:author[v3:assignedAuthor/
        v3:assignedPerson or v3:assignedAuthor/
        v3:representedOrganization][1]"/>
    <xsl:variable name="aa" select="$au/v3:assignedAuthor[1]"/>
    <xsl:if test="$aa">
      <xsl:call-template name="xcn">
        <xsl:with-param name="aa" select="$aa"/>
      </xsl:call-template>
      <xsl:call-template name="xon">
        <xsl:with-param name="org" select="$aa/v3:representedOrganization[1]"/>
      </xsl:call-template>
      <xsl:call-template name="cwe">
        <xsl:with-param name="name" select="'authorRole'"/>
        <xsl:with-param name="n" select="$au/v3:functionCode[1]"/>
      </xsl:call-template>
      <xsl:call-template name="cwe">
        <xsl:with-param name="name" select="'authorSpecialty'"/>
        <xsl:with-param name="n" select="$aa/v3:code[1]"/>
      </xsl:call-template>
      <xsl:call-template name="xtn">
        <xsl:with-param name="tel" select="$aa/v3:telecom[starts-with(
            translate(normalize-space(@value), 'MAILTO', 'mailto'),
            'mailto:') and string-length(normalize-space(@value)) &gt; 7][1]"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!--
    authorPerson XCN. ITI TF-3 Table 4.1-3 as the XDR validators apply it:
    an id (with its assigning authority, which must then make a valid CX)
    or else both a family and a given name.
  -->
  <xsl:template name="xcn">
    <xsl:param name="aa"/>
    <xsl:variable name="person" select="$aa/v3:assignedPerson[1]"/>
    <xsl:variable name="i">
      <xsl:call-template name="cx-id">
        <xsl:with-param name="ids" select="$aa/v3:id"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="id" select="$aa/v3:id[number($i)]"/>
    <xsl:variable name="n" select="($person/v3:name[@use = 'L'] |
        $person/v3:name[not(../v3:name[@use = 'L'])][1])[1]"/>
    <xsl:variable name="idv">
      <xsl:if test="$i != ''">
        <xsl:call-template name="esc">
          <xsl:with-param name="s" select="normalize-space($id/@extension)"/>
        </xsl:call-template>
      </xsl:if>
    </xsl:variable>
    <xsl:variable name="v">
      <xsl:call-template name="xpn">
        <xsl:with-param name="n" select="$n"/>
        <xsl:with-param name="lead" select="true()"/>
        <xsl:with-param name="id" select="$idv"/>
        <xsl:with-param name="aa">
          <xsl:if test="$i != ''">
            <xsl:value-of select="concat('&amp;', normalize-space($id/@root),
                '&amp;ISO')"/>
          </xsl:if>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="named" select="$n/v3:family[normalize-space() != '']
        and $n/v3:given[normalize-space() != '']"/>
    <xsl:if test="$idv != '' or $named">
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="'authorPerson'"/>
        <xsl:with-param name="v" select="$v"/>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$aa"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!--
    authorInstitution XON: Name^^^^^^^^^OID when the organisation id is an
    OID, Name^^^^^&root&ISO^^^^extension when it is local to an OID root;
    the name alone otherwise. XON.1 is required.
  -->
  <xsl:template name="xon">
    <xsl:param name="org"/>
    <xsl:variable name="name" select="normalize-space($org/v3:name[1])"/>
    <xsl:variable name="id" select="$org/v3:id[not(@nullFlavor) and
        translate(normalize-space(@root), '0123456789.', '') = ''][1]"/>
    <xsl:variable name="root" select="normalize-space($id/@root)"/>
    <xsl:variable name="ext" select="normalize-space($id/@extension)"/>
    <xsl:variable name="oid">
      <xsl:call-template name="is-oid">
        <xsl:with-param name="s" select="$root"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$name != ''">
      <xsl:variable name="ename">
        <xsl:call-template name="esc">
          <xsl:with-param name="s" select="$name"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:variable name="eext">
        <xsl:call-template name="esc">
          <xsl:with-param name="s" select="$ext"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="'authorInstitution'"/>
        <xsl:with-param name="v">
          <xsl:choose>
            <xsl:when test="$oid = 'y' and $ext != ''">
              <xsl:value-of select="concat($ename, '^^^^^&amp;', $root,
                  '&amp;ISO^^^^', $eext)"/>
            </xsl:when>
            <xsl:when test="$oid = 'y'">
              <xsl:value-of select="concat($ename, '^^^^^^^^^', $root)"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="$ename"/></xsl:otherwise>
          </xsl:choose>
        </xsl:with-param>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$org"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- authorTelecommunication XTN ^^Internet^addr from a mailto: URL. -->
  <xsl:template name="xtn">
    <xsl:param name="tel"/>
    <xsl:if test="$tel">
      <xsl:variable name="addr">
        <xsl:call-template name="esc">
          <xsl:with-param name="s"
              select="substring(normalize-space($tel/@value), 8)"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:call-template name="emit">
        <xsl:with-param name="name" select="'authorTelecommunication'"/>
        <xsl:with-param name="v" select="concat('^^Internet^', $addr)"/>
        <xsl:with-param name="src">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$tel/@value"/>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Codes chosen from the document type                              -->
  <!-- ================================================================ -->

  <!--
    classCode: the LOINC class of the C-CDA document type (SPEC 8.1) when
    a document-level templateId names one; otherwise the document's own
    LOINC typeCode. Sites with an affinity-domain class map change this
    template and rebuild.
  -->
  <xsl:template name="class-code">
    <xsl:variable name="t" select="v3:templateId[starts-with(
        normalize-space(@root), $ccda)][normalize-space(@root) !=
        concat($ccda, '1') and normalize-space(@root) != concat($ccda, '10')][1]"/>
    <xsl:variable name="r" select="substring-after(normalize-space($t/@root),
        $ccda)"/>
    <xsl:variable name="cd">
      <xsl:choose>
        <xsl:when test="$r = '2'">34133-9|Summarization of Episode Note</xsl:when>
        <xsl:when test="$r = '3'">34117-2|History and physical note</xsl:when>
        <xsl:when test="$r = '4'">11488-4|Consult note</xsl:when>
        <xsl:when test="$r = '5'">18748-4|Diagnostic imaging study</xsl:when>
        <xsl:when test="$r = '6'">28570-0|Procedure note</xsl:when>
        <xsl:when test="$r = '7'">11504-8|Surgical operation note</xsl:when>
        <xsl:when test="$r = '8'">18842-5|Discharge summary</xsl:when>
        <xsl:when test="$r = '9'">11506-3|Progress note</xsl:when>
        <xsl:when test="$r = '13'">18761-7|Transfer summary note</xsl:when>
        <xsl:when test="$r = '14'">57133-1|Referral note</xsl:when>
        <xsl:when test="$r = '15'">52521-2|Overall plan of care/advance care directives</xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="$cd != ''">
        <md:code name="classCode" code="{substring-before($cd, '|')}"
            scheme="2.16.840.1.113883.6.1"
            display="{substring-after($cd, '|')}">
          <xsl:attribute name="source">
            <xsl:call-template name="path">
              <xsl:with-param name="n" select="$t/@root"/>
            </xsl:call-template>
          </xsl:attribute>
        </md:code>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="code">
          <xsl:with-param name="name" select="'classCode'"/>
          <xsl:with-param name="n" select="v3:code[1]"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    formatCode (SPEC 8.2): C-CDA when a document-level templateId of
    C-CDA (or the Patient Generated Document header) is present; R2.1
    when one carries a version date on or after 2014-06-09 (R2.0 content
    is sent as 2.1), R1.1 otherwise; nonXMLBody for the Unstructured
    Document template or a nonXMLBody component. No C-CDA template, no
    formatCode.
  -->
  <xsl:template name="format-code">
    <xsl:variable name="doc" select="v3:templateId[starts-with(
        normalize-space(@root), $ccda) or normalize-space(@root) = $pgd]"/>
    <xsl:if test="$doc">
      <!-- the latest-version document template decides -->
      <xsl:variable name="r2" select="$doc[string-length(normalize-space(
          @extension)) = 10 and translate(normalize-space(@extension),
          $digits, '') = '--' and number(translate(normalize-space(
          @extension), '-', '')) &gt;= 20140609]"/>
      <xsl:variable name="nx" select="$doc[normalize-space(@root) =
          concat($ccda, '10')]"/>
      <xsl:variable name="body" select="v3:component[1]/v3:nonXMLBody[1]"/>
      <xsl:variable name="ver">
        <xsl:choose>
          <xsl:when test="$r2">2.1</xsl:when>
          <xsl:otherwise>1.1</xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <xsl:variable name="kind">
        <xsl:choose>
          <xsl:when test="$nx or $body">nonXMLBody</xsl:when>
          <xsl:otherwise>structuredBody</xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <xsl:variable name="decider" select="($r2 | $doc[not($r2)])[1]"/>
      <md:code name="formatCode"
          code="{concat('urn:hl7-org:sdwg:ccda-', $kind, ':', $ver)}"
          scheme="{$format_scheme}">
        <xsl:attribute name="display">
          <xsl:value-of select="concat('C-CDA R', $ver, ' ')"/>
          <xsl:choose>
            <xsl:when test="$kind = 'nonXMLBody'">unstructured (nonXMLBody)</xsl:when>
            <xsl:otherwise>structured body</xsl:otherwise>
          </xsl:choose>
        </xsl:attribute>
        <xsl:attribute name="source">
          <xsl:call-template name="path">
            <xsl:with-param name="n" select="$decider"/>
          </xsl:call-template>
          <xsl:if test="$body and not($nx)">
            <xsl:text> and </xsl:text>
            <xsl:call-template name="path">
              <xsl:with-param name="n" select="$body"/>
            </xsl:call-template>
          </xsl:if>
        </xsl:attribute>
      </md:code>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ -->
  <!-- Settings: the header value, else the configured default          -->
  <!-- ================================================================ -->

  <xsl:template name="facility">
    <xsl:variable name="c" select="v3:componentOf[1]/
        v3:encompassingEncounter[1]/v3:location[1]/v3:healthCareFacility[1]/
        v3:code[1]"/>
    <xsl:choose>
      <xsl:when test="normalize-space($c/@code) != '' and
          normalize-space($c/@codeSystem) != ''">
        <xsl:call-template name="code">
          <xsl:with-param name="name" select="'healthcareFacilityTypeCode'"/>
          <xsl:with-param name="n" select="$c"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="param-code">
          <xsl:with-param name="name" select="'healthcareFacilityTypeCode'"/>
          <xsl:with-param name="c" select="$facility_code"/>
          <xsl:with-param name="s" select="$facility_scheme"/>
          <xsl:with-param name="d" select="$facility_display"/>
          <xsl:with-param name="src" select="$facility_source"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="practice">
    <xsl:call-template name="param-code">
      <xsl:with-param name="name" select="'practiceSettingCode'"/>
      <xsl:with-param name="c" select="$practice_code"/>
      <xsl:with-param name="s" select="$practice_scheme"/>
      <xsl:with-param name="d" select="$practice_display"/>
      <xsl:with-param name="src" select="$practice_source"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="param-code">
    <xsl:param name="name"/>
    <xsl:param name="c"/>
    <xsl:param name="s"/>
    <xsl:param name="d"/>
    <xsl:param name="src"/>
    <xsl:if test="$c != '' and $s != ''">
      <md:code name="{$name}" code="{$c}" scheme="{$s}" source="{$src}">
        <xsl:attribute name="display">
          <xsl:choose>
            <xsl:when test="$d != ''"><xsl:value-of select="$d"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="$c"/></xsl:otherwise>
          </xsl:choose>
        </xsl:attribute>
      </md:code>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
