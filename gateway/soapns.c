/*
 * NAME
 *	soapns - the gSOAP namespace table
 * DESCRIPTION
 *	libgsoapssl expects exactly one global "namespaces" table per binary;
 *	it is generated from wsdl/dxgw.h and compiled here.
 */
#include "soapH.h"

#include "DocumentRecipient.nsmap"
