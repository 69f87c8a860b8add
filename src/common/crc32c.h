/*
 * CRC-32C (Castagnoli), as btrfs and our record stream use it.
 *
 * crc32c_raw() runs the reflected CRC register from a caller-chosen seed
 * with no pre- or post-inversion; btrfs name hashes are crc32c_raw(~1, name)
 * and extref hashes crc32c_raw(parent, name).  crc32c() is the standard
 * checksum, crc32c_raw(~0, data) ^ ~0.
 *
 * The work is ISA-L's crc32_iscsi (libisal), which picks the fastest code
 * the CPU runs (carry-less multiply folding where there is one: about 2.5x
 * the SSE4.2 crc32 instruction on three lanes, on 16 KiB tree blocks).
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

#endif
