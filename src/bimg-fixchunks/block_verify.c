#include "block_verify.h"
#include "csum.h"
#include "tree.h"

const char *verify_tree_block(uint8_t *block, uint32_t nodesize, uint64_t logical, const uint8_t *header_fsid,
			      unsigned csum_type, struct verify_counts *counts)
{
	const char *err;

	err = tree_block_check(block, nodesize, logical, header_fsid, csum_type,
			       TREE_CHECK_BYTENR | TREE_CHECK_FSID);
	if (err)
		return err;
	if (csum_block_ok(csum_type, block, nodesize))
		return NULL;
	/* The reference stores a CRC-32C whatever the filesystem uses (docs/dump.md, Scrubbing). */
	if (csum_type != BTRFS_CSUM_CRC32C && csum_block_is_reference_crc32c(block, nodesize)) {
		csum_block_set(csum_type, block, nodesize);
		counts->reference_csums++;
		return NULL;
	}
	switch (csum_type) {
	case BTRFS_CSUM_CRC32C:
		return "crc32c checksum mismatch";
	case BTRFS_CSUM_XXHASH:
		return "xxhash64 checksum mismatch (and not the reference's CRC-32C either)";
	case BTRFS_CSUM_SHA256:
		return "sha256 checksum mismatch (and not the reference's CRC-32C either)";
	default:
		return "blake2 checksum mismatch (and not the reference's CRC-32C either)";
	}
}
