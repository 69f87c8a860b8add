/*
 * The CRC-32C hardware path (three interleaved runs joined by shift
 * tables) against the byte-wise table path, at every alignment and at the
 * lengths around each run size, plus the standard check value.
 */
#include "crc32c.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned char buf[3 * 16384 + 64];

static int check(size_t off, size_t len)
{
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)len;

	if (crc32c_raw(seed, buf + off, len) == crc32c_raw_table(seed, buf + off, len))
		return 0;
	printf("FAIL: offset %zu length %zu\n", off, len);
	return 1;
}

int main(void)
{
	size_t i, off, len, checked = 0;
	int bad = 0;

	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	if (crc32c("123456789", 9) != 0xE3069283u) {
		printf("FAIL: check value of \"123456789\"\n");
		bad++;
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len + off <= sizeof(buf); len += len < 20000 ? 1 : 509, checked++)
			bad += check(off, len);
	if (bad)
		return 1;
	printf("ok: crc32c, %zu lengths at 8 alignments (hardware path: %s)\n", checked / 8,
	       crc32c_has_hardware() ? "yes" : "no");
	return 0;
}
