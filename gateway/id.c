/*
 * NAME
 *	id - UUIDs and 2.25 OIDs
 */
#include "id.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include <openssl/rand.h>

/*
 * A version 4 UUID from OpenSSL's DRBG: libuuid's uuid_generate_random()
 * makes five system calls per UUID (getrandom, getpid, ...), and dxgw
 * draws several per request. libuuid still writes the text form.
 */
static void
random_uuid(uuid_t u)
{
	if (RAND_bytes(u, 16) != 1) {
		uuid_generate_random(u);
		return;
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

void
gw_id_uuid(char out[GW_ID_UUID_LEN])
{
	uuid_t u;

	random_uuid(u);
	uuid_unparse_lower(u, out);
}

/* The last time-ordered id's milliseconds and 12-bit sequence. */
static pthread_mutex_t time_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static unsigned last_seq;

void
gw_id_uuid_time(char out[GW_ID_UUID_LEN])
{
	struct timespec ts;
	uint64_t ms;
	unsigned seq;
	uuid_t u;

	random_uuid(u);
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	/*
	 * RFC 9562 6.2 method 1: rand_a is a counter within a millisecond
	 * (started at a random value below 2048 so it has room to count),
	 * so ids of one process sort in the order they were made, even
	 * several per millisecond or across a clock step back.
	 */
	pthread_mutex_lock(&time_lock);
	if (ms > last_ms) {
		last_ms = ms;
		last_seq = ((unsigned)u[6] << 8 | u[7]) & 0x7ff;
	} else if (++last_seq > 0xfff) {
		last_ms++;
		last_seq = 0;
	}
	ms = last_ms;
	seq = last_seq;
	pthread_mutex_unlock(&time_lock);
	for (int i = 5; i >= 0; i--, ms >>= 8)
		u[i] = (unsigned char)(ms & 0xff);
	u[6] = (unsigned char)(0x70 | (seq >> 8)); /* version 7 */
	u[7] = (unsigned char)(seq & 0xff);
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

	random_uuid(u);
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

void
gw_id_uuid_name(const char *name, char out[GW_ID_UUID_LEN])
{
	/* dxgw's namespace: a fixed random UUID, never to change. */
	static const uuid_t ns = {0x5b, 0x2e, 0x8c, 0x41, 0x9d, 0x07,
				  0x4f, 0x6a, 0xa3, 0x1c, 0x72, 0xe4,
				  0x0b, 0x96, 0xd8, 0x35};
	uuid_t u;

	uuid_generate_sha1(u, ns, name, strlen(name));
	uuid_unparse_lower(u, out);
}
