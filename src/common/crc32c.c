#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[8][256];
static int table_ready;
static int hardware = -1;

static void table_init(void)
{
	uint32_t i, j, crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc_table[0][i] = crc;
	}
	/* Slicing-by-8 tables: entry k advances a byte through k more zero bytes. */
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] = (crc_table[j - 1][i] >> 8) ^
					  crc_table[0][crc_table[j - 1][i] & 0xFF];
	table_ready = 1;
}

uint32_t crc32c_raw_table(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!table_ready)
		table_init();
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
		      crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
		      crc_table[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
	return crc;
}

#if defined(__x86_64__)
/*
 * The crc32 instruction has a latency of three cycles and a throughput of
 * one: three independent streams over three consecutive runs keep it
 * busy, and their registers are joined by "advance over n zero bytes",
 * which is linear in the register and so four table look-ups for a fixed n.
 */
#define LONG_RUN 5456 /* three runs cover a 16 KiB tree block but 16 bytes */
#define SHORT_RUN 256

static uint32_t shift_long[4][256], shift_short[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2"))) static uint32_t crc32c_serial_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t crc64 = crc;

	while (len && ((uintptr_t)p & 7)) {
		crc64 = __builtin_ia32_crc32qi((uint32_t)crc64, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t word;
		memcpy(&word, p, 8);
		crc64 = __builtin_ia32_crc32di(crc64, word);
		p += 8;
		len -= 8;
	}
	while (len--)
		crc64 = __builtin_ia32_crc32qi((uint32_t)crc64, *p++);
	return (uint32_t)crc64;
}

static void shift_table_init(uint32_t table[4][256], size_t run)
{
	static const uint8_t zeros[LONG_RUN];
	uint32_t k, b;

	for (k = 0; k < 4; k++)
		for (b = 0; b < 256; b++)
			table[k][b] = crc32c_serial_sse42(b << (8 * k), zeros, run);
}

static void shift_tables_init(void)
{
	shift_table_init(shift_long, LONG_RUN);
	shift_table_init(shift_short, SHORT_RUN);
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t crc)
{
	return table[0][crc & 0xFF] ^ table[1][(crc >> 8) & 0xFF] ^ table[2][(crc >> 16) & 0xFF] ^
	       table[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static const uint8_t *crc32c_three_runs(uint32_t *crc, const uint8_t *p,
									    size_t *len, size_t run,
									    uint32_t table[4][256])
{
	while (*len >= 3 * run) {
		uint64_t a = *crc, b = 0, c = 0, wa, wb, wc;
		size_t i;

		for (i = 0; i < run; i += 8) {
			memcpy(&wa, p + i, 8);
			memcpy(&wb, p + run + i, 8);
			memcpy(&wc, p + 2 * run + i, 8);
			a = __builtin_ia32_crc32di(a, wa);
			b = __builtin_ia32_crc32di(b, wb);
			c = __builtin_ia32_crc32di(c, wc);
		}
		*crc = shift(table, shift(table, (uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
		p += 3 * run;
		*len -= 3 * run;
	}
	return p;
}

static uint32_t crc32c_raw_sse42(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len >= 3 * SHORT_RUN) {
		pthread_once(&shift_once, shift_tables_init);
		p = crc32c_three_runs(&crc, p, &len, LONG_RUN, shift_long);
		p = crc32c_three_runs(&crc, p, &len, SHORT_RUN, shift_short);
	}
	return crc32c_serial_sse42(crc, p, len);
}
#endif

int crc32c_has_hardware(void)
{
	if (hardware < 0) {
#if defined(__x86_64__)
		__builtin_cpu_init();
		hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
		hardware = 0;
#endif
	}
	return hardware;
}

uint32_t crc32c_raw(uint32_t seed, const void *data, size_t len)
{
#if defined(__x86_64__)
	if (crc32c_has_hardware())
		return crc32c_raw_sse42(seed, data, len);
#endif
	return crc32c_raw_table(seed, data, len);
}
