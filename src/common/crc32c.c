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
 * The crc32 instruction takes 3 cycles but can start one per cycle, so
 * three independent lanes over three adjacent pieces of LANE bytes run at
 * three times the speed of one.  The lanes are then joined: the register
 * after piece A, run on through LANE zero bytes, XOR the register of piece
 * B from 0, is the register after A and B (the CRC is linear).  Running a
 * register through LANE zero bytes is a linear map of its 32 bits: four
 * tables of 256 entries (lane_shift), made once from 32 basis registers.
 */
#define LANE 1024
static uint32_t lane_shift[4][256];
static pthread_once_t lane_shift_once = PTHREAD_ONCE_INIT;

static void lane_shift_init(void)
{
	static const uint8_t zeros[LANE];
	uint32_t basis[32];
	int bit, k, b;

	for (bit = 0; bit < 32; bit++)
		basis[bit] = crc32c_raw_table(1u << bit, zeros, LANE);
	for (k = 0; k < 4; k++)
		for (b = 0; b < 256; b++) {
			uint32_t v = 0;
			for (bit = 0; bit < 8; bit++)
				if (b & (1 << bit))
					v ^= basis[8 * k + bit];
			lane_shift[k][b] = v;
		}
}

static inline uint32_t shift_lane(uint32_t crc)
{
	return lane_shift[0][crc & 0xFF] ^ lane_shift[1][(crc >> 8) & 0xFF] ^ lane_shift[2][(crc >> 16) & 0xFF] ^
	       lane_shift[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_raw_sse42(uint32_t crc, const void *data,
								    size_t len)
{
	const uint8_t *p = data;
	uint64_t crc64 = crc;

	while (len && ((uintptr_t)p & 7)) {
		crc64 = __builtin_ia32_crc32qi((uint32_t)crc64, *p++);
		len--;
	}
	if (len >= 3 * LANE)
		pthread_once(&lane_shift_once, lane_shift_init);
	while (len >= 3 * LANE) {
		uint64_t a = crc64, b = 0, c = 0, word;
		size_t i;

		for (i = 0; i < LANE; i += 8) {
			memcpy(&word, p + i, 8);
			a = __builtin_ia32_crc32di(a, word);
			memcpy(&word, p + LANE + i, 8);
			b = __builtin_ia32_crc32di(b, word);
			memcpy(&word, p + 2 * LANE + i, 8);
			c = __builtin_ia32_crc32di(c, word);
		}
		crc64 = shift_lane(shift_lane((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
		p += 3 * LANE;
		len -= 3 * LANE;
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
