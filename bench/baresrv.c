/*
 * NAME
 *	baresrv - the reference for make bench: a bare gSOAP ITI-41 server
 * SUMMARY
 *	baresrv PORT WORKERS
 *	The same generated code and MTOM handling as dxgw, the stock gSOAP
 *	way (attachments in memory, DOM body), answering every request
 *	Success without validating or storing anything. Only the fixes that
 *	keep it correct under load are applied (SOAP_XML_TREE, fserveloop,
 *	buffer reset, MTOM response). It prints its port and serves until
 *	killed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "soapH.h"

#include "DocumentRecipient.nsmap"

static struct soap *master;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int
__xds__PnR(struct soap *soap, struct soap_dom_element *req,
	   struct rs__RegistryResponseType *resp)
{
	(void)req;
	soap_default_rs__RegistryResponseType(soap, resp);
	resp->status =
	    "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
	soap->header = NULL;
	soap_set_mime(soap, NULL, "<rootpart@bare>");
	return SOAP_OK;
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
	return soap_sender_fault(soap, "not a request", NULL);
}

static int
serveloop(struct soap *soap)
{
	soap_destroy(soap);
	soap_end(soap);
	return SOAP_OK;
}

static void *
worker(void *arg)
{
	struct soap *soap = soap_copy(master);

	(void)arg;
	for (;;) {
		SOAP_SOCKET s;

		pthread_mutex_lock(&mu);
		s = soap_accept(master);
		pthread_mutex_unlock(&mu);
		if (!soap_valid_socket(s))
			continue;
		soap->socket = s;
		soap->bufidx = soap->buflen = 0;
		soap->keep_alive = 0;
		soap_serve(soap);
		soap_destroy(soap);
		soap_end(soap);
		soap_closesock(soap);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int workers = argc > 2 ? atoi(argv[2]) : 16;
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	master =
	    soap_new2(SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING | SOAP_XML_TREE,
		      SOAP_IO_KEEPALIVE | SOAP_C_UTFSTRING | SOAP_ENC_MTOM);
	master->bind_flags = SO_REUSEADDR;
	master->fserveloop = serveloop;
	if (!soap_valid_socket(soap_bind(master, "127.0.0.1",
					 argc > 1 ? atoi(argv[1]) : 0, 128))) {
		soap_print_fault(master, stderr);
		return 1;
	}
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);

		getsockname(master->master, (struct sockaddr *)&sa, &sl);
		printf("baresrv: listening on port %d\n", ntohs(sa.sin_port));
		fflush(stdout);
	}
	for (int i = 0; i < workers; i++)
		pthread_create(&th, NULL, worker, NULL);
	pause();
	return 0;
}
