/*
 * dxgw gSOAP interface header: the source of all generated SOAP code.
 *
 * IHE ITI-41 Provide and Register Document Set-b (XDR), SOAP 1.2 with
 * WS-Addressing 1.0 and MTOM/XOP, plus the Direct addressing headers of
 * "XDR and XDM for Direct Messaging" (urn:direct:addressing).
 *
 * The request body is taken as a gSOAP DOM and handed to libxml2 (see
 * ../shared/reference/GSOAP.md section 6): gSOAP does the transport, the
 * envelope, the typed headers and the RegistryResponse; the ebRIM metadata
 * is libxml2's. One header for server and client, because a binary can
 * link exactly one generated soapC.c.
 *
 * Generated with: soapcpp2 -c -a -x -L -d build/gen wsdl/dxgw.h
 */

#import "soap12.h"
#import "wsa5.h"
#import "dom.h"

//gsoap xds    schema namespace: urn:ihe:iti:xds-b:2007
//gsoap xds    schema elementForm: qualified
//gsoap rs     schema namespace: urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0
//gsoap rs     schema elementForm: qualified
//gsoap rs     schema attributeForm: unqualified
//gsoap direct schema namespace: urn:direct:addressing
//gsoap direct schema elementForm: qualified

//gsoap xds service name: DocumentRecipient
//gsoap xds service method-style: PnR document
//gsoap xds service method-encoding: PnR literal
//gsoap xds service method-input-action: PnR urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b
//gsoap xds service method-output-action: PnR urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse

/* ebRS 3.0 RegistryError / RegistryErrorList / RegistryResponse. */
struct rs__RegistryError {
	@char *errorCode 1;
	@char *codeContext 1;
	@char *location 0;
	@char *severity 1;
};

struct rs__RegistryErrorList {
	@char *highestSeverity 0;
	$int __sizeRegistryError 0;
	struct rs__RegistryError *rs__RegistryError 0;
};

struct rs__RegistryResponseType {
	struct rs__RegistryErrorList *rs__RegistryErrorList 0;
	@char *status 1;
	@char *requestId 0;
};

/*
 * direct:addressBlock. It carries SOAP-ENV:role="urn:direct:addressing:
 * destination", which gSOAP only reads while soap->actor equals that role
 * (GSOAP.md 4.4); xdrsrv sets and clears it around each request.
 * Unknown children (direct:notification, ...) land in __any.
 */
struct direct__addressBlockType {
	char *direct__from 0;
	$int __sizeto 0;
	char **direct__to 0;
	char *direct__X_DIRECT_FINAL_DESTINATION_DELIVERY 0;
	char *direct__relatesTo 0;
	char *direct__metadata_level 0;
	$int __size 0;
	_XML *__any 0;
};

mutable struct SOAP_ENV__Header {
	struct direct__addressBlockType *direct__addressBlock 0;
	char *direct__metadata_level 0;
};

/* ITI-41: body = xds:ProvideAndRegisterDocumentSetRequest as a DOM. */
int __xds__PnR(xsd__anyType *xds__ProvideAndRegisterDocumentSetRequest,
    struct rs__RegistryResponseType *rs__RegistryResponse);
