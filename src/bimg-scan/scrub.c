/*
 * What the reference changes in every tree block it stores (docs/dump.md,
 * Scrubbing): unused space and inline file data are zeroed, as are items of the
 * obsolete type 120, and the checksum is recomputed.
 *
 * A data dump (-d) keeps inline file data: the point of -d is a restored
 * filesystem whose files read back, and small files live inline.  (The
 * reference's experimental -d zeroes it all the same.)
 *
 * The reference always writes a CRC-32C into bytes 0..3; we write the
 * filesystem's own checksum (identical for crc32c filesystems, and for the
 * others the only way the blocks verify).  Bytes past the digest keep their
 * value, as in the reference.
 *
 * The block has passed the layout check (every item inside the block, data
 * packed downward in slot order), so the ranges below are in bounds; the
 * item-size checks cover the rest.
 */
#include "scrub.h"
#include "csum.h"
#include "le.h"
#include "tree.h"

#include <string.h>

static void scrub_leaf_items(uint8_t *leaf, uint32_t nodesize, uint32_t nritems, int keep_inline)
{
	uint32_t slot;

	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(leaf, nodesize, slot, &key, &off, &size) < 0)
			continue;
		if (key.type == BTRFS_CSUM_ITEM_KEY) {
			memset(leaf + off, 0, size);
			continue;
		}
		if (keep_inline || key.type != BTRFS_EXTENT_DATA_KEY || size <= FILE_EXTENT_TYPE)
			continue;
		if (get_le8(leaf, off + FILE_EXTENT_TYPE) != BTRFS_FILE_EXTENT_INLINE)
			continue;
		if (size > FILE_EXTENT_INLINE_DATA)
			memset(leaf + off + FILE_EXTENT_INLINE_DATA, 0, size - FILE_EXTENT_INLINE_DATA);
	}
}

void scrub_tree_block(uint8_t *block, uint32_t nodesize, unsigned csum_type, int keep_inline)
{
	scrub_tree_block_contents(block, nodesize, keep_inline);
	csum_block_set(csum_type, block, nodesize);
}

void scrub_tree_block_contents(uint8_t *block, uint32_t nodesize, int keep_inline)
{
	uint32_t nritems = tree_block_nritems(block);

	if (nritems == 0) {
		memset(block + HDR_SIZE, 0, nodesize - HDR_SIZE);
	} else if (tree_block_level(block) == 0) {
		uint64_t items_end = HDR_SIZE + (uint64_t)ITEM_SIZE * nritems;
		uint64_t data_start = HDR_SIZE + (uint64_t)get_le32(block, items_end - ITEM_SIZE + ITEM_DATA_OFFSET);

		if (items_end <= data_start && data_start <= nodesize)
			memset(block + items_end, 0, data_start - items_end);
		scrub_leaf_items(block, nodesize, nritems, keep_inline);
	} else {
		uint64_t ptrs_end = HDR_SIZE + (uint64_t)KEY_PTR_SIZE * nritems;

		if (ptrs_end <= nodesize)
			memset(block + ptrs_end, 0, nodesize - ptrs_end);
	}
}
