/*
 * Test support for the xds / xdsxml unit tests: turns corpus files
 * (SOAP envelopes, PnR bodies, NIST toolkit test plans) into the inputs
 * the SOAP server would hand to gw_xdsxml_parse / gw_xds_validate.
 */
#ifndef GW_TEST_XDS_SUPPORT_H
#define GW_TEST_XDS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "xds.h"

#define FX_MAX 8

struct fx {
	char *xml; /* serialized lcm:SubmitObjectsRequest */
	size_t len;
	char *to[FX_MAX];
	size_t nto;
	char *from;
	char *level;
	struct gw_xds_part parts[FX_MAX];
	char sha[FX_MAX][41];
	char *pid[FX_MAX];
	size_t nparts;
	struct gw_xds_addressing addr;
	char expected_status[32]; /* NIST testplan ExpectedStatus */
	char expected_code[64];   /* NIST testplan ExpectedErrorCode */
	struct gw_xds_submission *s;
	struct gw_xds_errors errs;
	int parse_rc;
	int validate_rc;
};

/* Substitution pairs end with NULL; FX_NIST assigns NIST uniqueIds. */
#define FX_NIST ((const char *const *)1)
bool fx_load(struct fx *f, const char *path, const char *const *subst);
/* A NIST testkit step directory: testplan.xml + metadata (ebRS 2.1 is
 * converted to 3.0 as the toolkit does) + attached documents. */
bool fx_load_nist(struct fx *f, const char *dir);
/* Synthesize one part per ExtrinsicObject id (bodies without documents). */
void fx_parts_from_entries(struct fx *f);
void fx_add_part(struct fx *f, const char *id, const void *data, size_t len);
/* Test-only addressing when the message carries none. */
void fx_test_addressing(struct fx *f);
/* Parse (if not yet) and validate; returns true when the result failed. */
bool fx_run(struct fx *f);
/* True when the distinct error codes in f->errs are exactly codes
 * (comma-separated, any order); prints the list otherwise. */
bool fx_codes(const struct fx *f, const char *codes);
void fx_dispose(struct fx *f);
/* Replace every from with to in s (new string). */
char *fx_replace(const char *s, const char *from, const char *to);
void fx_sha1_hex(const void *data, size_t len, char out[41]);

#endif
