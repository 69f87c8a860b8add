#include "crc32c.h"

#include <isa-l/crc.h>

/* crc32_iscsi takes an int length: longer buffers go through in pieces. */
#define PIECE (1u << 30)

uint32_t crc32c_raw(uint32_t seed, const void *data, size_t len)
{
	/* crc32_iscsi only reads the buffer; its prototype lacks the const. */
	unsigned char *p = (unsigned char *)(uintptr_t)data;

	while (len > PIECE) {
		seed = crc32_iscsi(p, (int)PIECE, seed);
		p += PIECE;
		len -= PIECE;
	}
	return crc32_iscsi(p, (int)len, seed);
}
