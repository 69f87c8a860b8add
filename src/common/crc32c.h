/*
 * CRC-32C (Castagnoli), as btrfs and our record stream use it.
 *
 * crc32c_raw() runs the reflected CRC register from a caller-chosen seed
 * with no pre- or post-inversion; btrfs name hashes are crc32c_raw(~1, name)
 * and extref hashes crc32c_raw(parent, name).  crc32c() is the standard
 * checksum, crc32c_raw(~0, data) ^ ~0.
 *
 * The SSE4.2 crc32 instruction is used when the CPU has it, on three
 * lanes at once for buffers of 3 KiB and more (about 60x the table's speed
 * on 16 KiB blocks); the table is the portable fallback.
 */
#ifndef BIMG_COMMON_CRC32C_H
#define BIMG_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c_raw(uint32_t seed, const void *data, size_t len);

static inline uint32_t crc32c(const void *data, size_t len)
{
	return crc32c_raw(0xFFFFFFFFu, data, len) ^ 0xFFFFFFFFu;
}

/* The same computation, always through the table (for differential tests). */
uint32_t crc32c_raw_table(uint32_t seed, const void *data, size_t len);

/* Non-zero when the hardware path is in use. */
int crc32c_has_hardware(void);

#endif
