/*
 * NAME
 *	cli - the client-side commands: "dxgw submit" (EHR-side ITI-41
 *	client, cli.c), "dxgw cert" and "dxgw anchor" (keys_dir
 *	administration, cli_keys.c), "dxgw validate" (C-CDA checks,
 *	cli_validate.c)
 */
#ifndef GW_CLI_H
#define GW_CLI_H

/*
 * argv[0] is "submit". Exit status: 0 Success, 1 Failure
 * RegistryResponse, 2 usage or local error, 3 SOAP fault or no answer.
 */
int gw_cli_submit(int argc, char **argv);

/*
 * argv[0] is "render": "dxgw render FILE [-o OUT]", a C-CDA as XHTML
 * (render.h). Exit status 0 written, 1 not a C-CDA / malformed / I/O
 * error (reason on stderr), 2 usage.
 */
int gw_cli_render(int argc, char **argv);

struct gw_config;

/*
 * argv[0] is "cert" (import, list, remove) or "anchor" (add, list,
 * remove); cfg names keys_dir. Exit status: 0 done, 1 failure (bad file,
 * wrong password, duplicate, unknown fingerprint), 2 usage.
 */
int gw_cli_cert(const struct gw_config *cfg, int argc, char **argv);
int gw_cli_anchor(const struct gw_config *cfg, int argc, char **argv);

/*
 * argv[0] is "addr" (add, list, deactivate); cfg names the store. Exit
 * status: 0 done, 1 failure (bad address or URL, unreadable file,
 * unknown address, store trouble), 2 usage.
 */
int gw_cli_addr(const struct gw_config *cfg, int argc, char **argv);

/*
 * "dxgw status [-c FILE] [-n N]": the newest submissions with their
 * recipients' states, and the newest inbound messages (with what each
 * notification says). Exit status 0, 1 when the store cannot be read.
 */
int gw_cli_status(const struct gw_config *cfg, int argc, char **argv);
/*
 * "dxgw validate [--json] [--warnings] [--schema-dir DIR] FILE...":
 * C-CDA XSD and Schematron results per file (cli_validate.c); the schema
 * files from --schema-dir or cfg. Exit status 0 no errors, 1 some file
 * has errors, 2 usage, schema trouble or an unreadable file.
 */
int gw_cli_validate(const struct gw_config *cfg, int argc, char **argv);

/*
 * Open cfg's store for an administrative command (no crash sweep: a
 * daemon may be running); 1 with a message prefixed by prog on failure.
 */
struct gw_store;
int gw_cli_open_store(const struct gw_config *cfg, const char *prog,
		      struct gw_store **st);

#endif
