<?xml version="1.0" encoding="UTF-8"?>
<!--
  sch-to-xslt.xsl - dxgw's straightforward Schematron pipeline: compile an
  ISO Schematron schema (XPath 1.0 binding) into one XSLT 1.0 stylesheet,
  the classic way (one mode per pattern, one template per rule, the first
  rule of a pattern with the highest priority, the whole tree walked once
  per pattern).

  dxgw checks documents with its own engine (gateway/sch.c), which gives
  the same findings in one walk. This pipeline is kept as the yardstick:
  `make bench` runs both on the same documents and prints the ratio, and
  the unit tests check that both find the same failed assertions.

  Parameter phase: a phase id ("errors" by default) or "#ALL".
  Output of the generated stylesheet: one line per finding,
  "FAIL <assert id>" or "REPORT <report id>", "noid" for none.

  Limits: no abstract patterns, no sch:include; the generated stylesheet
  declares the namespaces declared on the schema's root element (as the
  C-CDA schemas do), not those only named by sch:ns.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:axsl="urn:dxgw:generated-xslt">

  <xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/>
  <xsl:output method="xml" indent="no"/>
  <xsl:param name="phase" select="'errors'"/>

  <xsl:key name="abstract" match="sch:rule[@abstract='true']" use="@id"/>

  <xsl:variable name="active"
      select="/sch:schema/sch:phase[@id=$phase]/sch:active/@pattern"/>

  <xsl:template match="/sch:schema">
    <axsl:stylesheet version="1.0">
      <xsl:copy-of select="namespace::*"/>
      <axsl:output method="text"/>
      <axsl:template match="/">
        <xsl:for-each select="sch:pattern">
          <xsl:if test="$phase = '#ALL' or @id = $active">
            <axsl:apply-templates select="/" mode="M{position()}"/>
          </xsl:if>
        </xsl:for-each>
      </axsl:template>
      <xsl:for-each select="sch:pattern">
        <xsl:if test="$phase = '#ALL' or @id = $active">
          <xsl:apply-templates select="sch:rule[not(@abstract='true')]">
            <xsl:with-param name="mode" select="concat('M', position())"/>
          </xsl:apply-templates>
          <axsl:template match="/|*" mode="M{position()}" priority="-2">
            <axsl:apply-templates select="*" mode="M{position()}"/>
          </axsl:template>
        </xsl:if>
      </xsl:for-each>
    </axsl:stylesheet>
  </xsl:template>

  <!-- A concrete rule: earlier rules of the pattern take precedence. -->
  <xsl:template match="sch:rule">
    <xsl:param name="mode"/>
    <axsl:template match="{@context}" mode="{$mode}"
        priority="{1000 - count(preceding-sibling::sch:rule)}">
      <xsl:apply-templates select="*" mode="body"/>
      <axsl:apply-templates select="*" mode="{$mode}"/>
    </axsl:template>
  </xsl:template>

  <xsl:template match="sch:let" mode="body">
    <axsl:variable name="{@name}" select="{@value}"/>
  </xsl:template>

  <xsl:template match="sch:extends" mode="body">
    <xsl:apply-templates select="key('abstract', @rule)/*" mode="body"/>
  </xsl:template>

  <xsl:template match="sch:assert" mode="body">
    <axsl:if test="not({@test})">
      <axsl:text>FAIL <xsl:value-of select="@id"/>
        <xsl:if test="not(@id)">noid</xsl:if><xsl:text>&#10;</xsl:text>
      </axsl:text>
    </axsl:if>
  </xsl:template>

  <xsl:template match="sch:report" mode="body">
    <axsl:if test="{@test}">
      <axsl:text>REPORT <xsl:value-of select="@id"/>
        <xsl:if test="not(@id)">noid</xsl:if><xsl:text>&#10;</xsl:text>
      </axsl:text>
    </axsl:if>
  </xsl:template>

  <xsl:template match="*" mode="body"/>

</xsl:stylesheet>
