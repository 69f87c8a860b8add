/*
 * crc32c_raw (ISA-L's folding code, whichever the CPU picks) against the
 * definition, one bit at a time, at every alignment, at lengths around the
 * folding widths, with seeds of every kind, plus the standard check value.
 */
#include "crc32c.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned char buf[3 * 16384 + 64];

/* The definition: the reflected register shifted one bit at a time. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
	int bit;

	while (len--) {
		crc ^= *p++;
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
	}
	return crc;
}

static int check(size_t off, size_t len)
{
	uint32_t seed = 0x9e3779b9u ^ (uint32_t)len;

	if (crc32c_raw(seed, buf + off, len) == crc32c_bitwise(seed, buf + off, len))
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
	printf("ok: crc32c, %zu lengths at 8 alignments\n", checked / 8);
	return 0;
}
