/*
 * NAME
 *	id - unique identifiers (libuuid)
 * SUMMARY
 *	Random UUIDs for transaction ids, wsa:MessageID and entryUUIDs, and
 *	their OID form 2.25.<decimal> (ITU-T X.667) for XDS uniqueIds.
 * STANDARDS
 *	RFC 4122, RFC 9562 (version 7), ITU-T X.667 / ISO 9834-8 (2.25 arc).
 */
#ifndef GW_ID_H
#define GW_ID_H

#define GW_ID_UUID_LEN 37 /* 36 chars + NUL */
#define GW_ID_OID_LEN  48 /* "2.25." + up to 39 digits + NUL */

/* A random UUID in lowercase text form. */
void gw_id_uuid(char out[GW_ID_UUID_LEN]);
/*
 * A time-ordered UUID (RFC 9562 version 7: 48 bits of Unix milliseconds,
 * a 12-bit counter within the millisecond, then 62 random bits) for
 * database keys and spool names; ids of one process sort in the order
 * they were made. Consecutive
 * ids land in the same B-tree leaf and directory block, where random
 * ones dirty a different page per insert.
 */
void gw_id_uuid_time(char out[GW_ID_UUID_LEN]);
/*
 * The name-based UUID (RFC 9562 version 5, SHA-1, in dxgw's own
 * namespace) of name: the same name gives the same UUID, e.g. the
 * wsa:MessageID of a request retried after a crash.
 */
void gw_id_uuid_name(const char *name, char out[GW_ID_UUID_LEN]);
/* A random UUID as an OID under 2.25 (at most 44 characters). */
void gw_id_uuid_oid(char out[GW_ID_OID_LEN]);

#endif
