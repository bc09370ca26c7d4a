/*
 * NAME
 *	id - UUIDs and 2.25 OIDs
 */
#include "id.h"

#include <stdint.h>
#include <string.h>
#include <uuid/uuid.h>

void
gw_id_uuid(char out[GW_ID_UUID_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

void
gw_id_uuid_oid(char out[GW_ID_OID_LEN])
{
	uint8_t num[16];
	char digits[40];
	int nd = 0;
	uuid_t u;
	int nonzero;

	uuid_generate_random(u);
	memcpy(num, u, sizeof(num));
	/* Repeated division of the 128-bit big-endian number by 10. */
	do {
		unsigned rem = 0;

		nonzero = 0;
		for (int i = 0; i < 16; i++) {
			unsigned cur = (rem << 8) | num[i];

			num[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			if (num[i] != 0)
				nonzero = 1;
		}
		digits[nd++] = (char)('0' + rem);
	} while (nonzero && nd < (int)sizeof(digits));
	memcpy(out, "2.25.", 5);
	for (int i = 0; i < nd; i++)
		out[5 + i] = digits[nd - 1 - i];
	out[5 + nd] = '\0';
}
