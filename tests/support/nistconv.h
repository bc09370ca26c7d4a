/*
 * NAME
 *	nistconv - what the NIST XDS toolkit does to its ebRS 2.1 test
 *	metadata before sending it as ITI-41 (ebRS 3.0)
 */
#ifndef GW_NISTCONV_H
#define GW_NISTCONV_H

#include <stddef.h>

/*
 * The lcm:SubmitObjectsRequest (3.0) for a 2.1 rs:SubmitObjectsRequest,
 * serialised without an XML declaration; a copy of the input when it is
 * not 2.1. NULL on error. Caller frees.
 */
char *gw_test_nist_v3(const char *xml, size_t len, size_t *outlen);

#endif
