/* Every tree block is checked before it is written. */
#ifndef BIMG_FIXCHUNKS_BLOCK_VERIFY_H
#define BIMG_FIXCHUNKS_BLOCK_VERIFY_H

#include <stdint.h>

struct verify_counts {
	uint64_t damaged;          /* written as they were (--ignore-bad-blocks) */
	uint64_t reference_csums;  /* CRC-32C of the reference replaced by the real checksum */
};
/*
 * Check a tree block about to be written at logical: header bytenr, fsid
 * and checksum in the filesystem's algorithm.  A block carrying the
 * reference's CRC-32C on a non-crc32c filesystem gets its real checksum.
 * Returns NULL when the block may be written, else why not.
 */
const char *verify_tree_block(uint8_t *block, uint32_t nodesize, uint64_t logical, const uint8_t *header_fsid,
			      unsigned csum_type, struct verify_counts *counts);

#endif
