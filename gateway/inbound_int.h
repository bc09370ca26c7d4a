/*
 * NAME
 *	inbound_int - what inbound.c and inwork.c share (not an interface)
 */
#ifndef GW_INBOUND_INT_H
#define GW_INBOUND_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "addr.h"
#include "inbound.h"

#define GW_INBOUND_OID_LEN 65

struct gw_inbound {
	const struct gw_config *cfg;
	struct gw_store *st;
	struct gw_keys *keys;
	struct gw_trust *trust;
	struct gw_outbound *ob;
	const struct gw_cdaval *cdaval; /* NULL: no C-CDA validation */
	char source_id[GW_INBOUND_OID_LEN];
	char (*domains)[GW_ADDR_MAX]; /* the local domains, lower case */
	size_t ndomains;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stopping;
	pthread_t *th;
	size_t nth;
};

/*
 * Process one claimed message (inwork.c): MDNs, EHR delivery, result.
 * Returns 0 when the result was recorded.
 */
int gw_inbound_process(struct gw_inbound *ib, const struct gw_store_injob *j,
		       struct gw_err *err);

#endif
