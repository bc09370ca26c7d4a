/*
 * NAME
 *	certdisc_local - certificate discovery from keys_dir/certs
 * SUMMARY
 *	The "local" backend: recipient certificates an operator imported
 *	with "dxgw cert import" (keys.h), bound by their subjectAltName.
 *	The RI, too, consults a local store before public discovery.
 * SECURITY
 *	Imported certificates get no trust from being local: the front
 *	end checks them like any other.
 */
#include "certdisc.h"

#include "keys.h"

static int
local_lookup(void *be, const char *name, enum gw_certdisc_level level,
	     struct gw_certdisc_found *found, struct gw_err *err)
{
	struct gw_smime_cert **v = NULL;
	size_t n = 0;
	int rc = 0;

	(void)level; /* the name says it: an address has an '@' */
	gw_keys_certs_for(be, name, GW_KEYS_RECIPIENT, &v, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = gw_certdisc_found_add(found, v[i]);
	if (rc != 0)
		gw_certdisc_found_note(found,
				       "more than %d certificates for "
				       "%s; the rest ignored",
				       GW_CERTDISC_MAX_CERTS, name);
	gw_smime_certs_free(v, n);
	(void)err;
	return 0;
}

const struct gw_certdisc_ops gw_certdisc_local_ops = {
    .version = GW_CERTDISC_OPS_VERSION,
    .name = "local",
    .lookup = local_lookup,
    .free = NULL,
};
