/*
 * NAME
 *	cli - the "dxgw submit" command (EHR-side ITI-41 client)
 */
#ifndef GW_CLI_H
#define GW_CLI_H

/*
 * argv[0] is "submit". Exit status: 0 Success, 1 Failure
 * RegistryResponse, 2 usage or local error, 3 SOAP fault or no answer.
 */
int gw_cli_submit(int argc, char **argv);

#endif
