/*
 * NAME
 *	xdrsrv - ITI-41 Document Recipient (work in progress)
 */
#include "soapH.h"

int
__xds__PnR(struct soap *soap, struct soap_dom_element *req,
    struct rs__RegistryResponseType *resp)
{
	(void)req;
	(void)resp;
	return soap_receiver_fault(soap, "not yet", NULL);
}

int
SOAP_ENV__Fault(struct soap *soap, char *faultcode, char *faultstring,
    char *faultactor, struct SOAP_ENV__Detail *detail,
    struct SOAP_ENV__Code *SOAP_ENV__Code,
    struct SOAP_ENV__Reason *SOAP_ENV__Reason, char *SOAP_ENV__Node,
    char *SOAP_ENV__Role, struct SOAP_ENV__Detail *SOAP_ENV__Detail)
{
	(void)faultcode, (void)faultstring, (void)faultactor, (void)detail;
	(void)SOAP_ENV__Code, (void)SOAP_ENV__Reason, (void)SOAP_ENV__Node;
	(void)SOAP_ENV__Role, (void)SOAP_ENV__Detail;
	return soap_sender_fault(soap, "a Fault is not a request", NULL);
}
