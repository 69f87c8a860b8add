/*
 * The hardware CRC-32C (three lanes joined, for 3 KiB and more) against
 * the table, over random seeds, lengths and alignments around the lane
 * boundaries.  Prints the speed of both for the record; exit 1 on a
 * difference.
 */
#include "crc32c.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BUF (1u << 20)

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double rate(uint32_t (*fn)(uint32_t, const void *, size_t), const uint8_t *buf, int rounds)
{
	double start = seconds();
	uint32_t x = 0;
	int i;

	for (i = 0; i < rounds; i++)
		x ^= fn(x, buf, BUF);
	if (x == 0x12345678u) /* keep the loop */
		putchar(' ');
	return (double)rounds * BUF / (seconds() - start) / 1e9;
}

int main(void)
{
	uint8_t *buf = malloc(BUF + 64);
	const size_t edges[] = { 0, 1, 7, 8, 3071, 3072, 3073, 3080, 6144, 16384, 16408, 65536 };
	size_t i, e;
	int t;

	if (!buf)
		return 1;
	srand(7);
	for (i = 0; i < BUF + 64; i++)
		buf[i] = (uint8_t)rand();
	for (t = 0; t < 20000; t++) {
		size_t off = (size_t)rand() % 64, len = (size_t)rand() % 70000;
		uint32_t seed = (uint32_t)rand() * 2654435761u;

		if (t < 64 * 12) { /* every edge length at every alignment */
			off = (size_t)t % 64;
			len = edges[(size_t)t / 64];
		}
		if (crc32c_raw(seed, buf + off, len) != crc32c_raw_table(seed, buf + off, len)) {
			printf("crc32c differs from the table: offset %zu length %zu seed 0x%08x\n", off, len, seed);
			return 1;
		}
	}
	for (e = 0; e < sizeof(edges) / sizeof(edges[0]); e++)
		if (crc32c(buf, edges[e]) != (crc32c_raw_table(0xFFFFFFFFu, buf, edges[e]) ^ 0xFFFFFFFFu))
			return 1;
	printf("crc32c: hardware %d, %.2f GB/s; table %.2f GB/s\n", crc32c_has_hardware(), rate(crc32c_raw, buf, 200),
	       rate(crc32c_raw_table, buf, 20));
	free(buf);
	return 0;
}
