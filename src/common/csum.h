/*
 * The four btrfs checksum algorithms: csum_type 0 crc32c, 1 xxhash64,
 * 2 sha256, 3 blake2b-256, over bytes 32.. of a superblock or tree block.
 *
 * CRC-32C is ours (crc32c.c); xxHash64 comes from libxxhash, SHA-256 and
 * BLAKE2b-256 from libgcrypt.  A digest is written into the first
 * csum_size bytes of a 32-byte field; the rest of the field is left alone,
 * as the reference does, so that our blocks differ from its blocks only in
 * the bytes that are actually a checksum.
 */
#ifndef BIMG_COMMON_CSUM_H
#define BIMG_COMMON_CSUM_H

#include <stddef.h>
#include <stdint.h>

#define BTRFS_CSUM_CRC32C 0
#define BTRFS_CSUM_XXHASH 1
#define BTRFS_CSUM_SHA256 2
#define BTRFS_CSUM_BLAKE2 3
#define BTRFS_CSUM_FIELD_SIZE 32

/* Digest size for a csum_type, or 0 if the type is unknown. */
size_t csum_size(unsigned csum_type);
/* Human name ("crc32c", "xxhash64", "sha256", "blake2"), "unknown" otherwise. */
const char *csum_name(unsigned csum_type);

/* Compute the digest of data into out[0..csum_size). csum_type must be valid. */
void csum_compute(unsigned csum_type, const void *data, size_t len, uint8_t out[BTRFS_CSUM_FIELD_SIZE]);

/*
 * Checksum of a superblock or tree block: digest of bytes 32..len-1.
 * csum_block_set() writes it to bytes 0..csum_size-1; csum_block_ok()
 * compares it with those bytes.
 */
void csum_block_set(unsigned csum_type, uint8_t *block, size_t len);
int csum_block_ok(unsigned csum_type, const uint8_t *block, size_t len);

/*
 * Blocks that the reference btrfs-image wrote for a non-crc32c filesystem
 * carry a CRC-32C in bytes 0..3 instead of the real digest (docs/dump.md,
 * Scrubbing).  Non-zero if block has exactly that pattern.
 */
int csum_block_is_reference_crc32c(const uint8_t *block, size_t len);

/* Must be called once, before threads start (initialises libgcrypt). */
void csum_init(void);

#endif
