#include "tree.h"
#include "csum.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int leaf_item(const uint8_t *leaf, uint32_t nodesize, uint32_t slot, struct btrfs_key *key, uint32_t *data_offset,
	      uint32_t *data_size)
{
	uint64_t item = HDR_SIZE + (uint64_t)ITEM_SIZE * slot;
	uint64_t off, size;

	if (item + ITEM_SIZE > nodesize)
		return -1;
	key_read(leaf + item, key);
	off = get_le32(leaf, item + ITEM_DATA_OFFSET);
	size = get_le32(leaf, item + ITEM_DATA_SIZE);
	if (HDR_SIZE + off + size > nodesize)
		return -1;
	*data_offset = (uint32_t)(HDR_SIZE + off);
	*data_size = (uint32_t)size;
	return 0;
}

void node_ptr(const uint8_t *node, uint32_t slot, struct btrfs_key *key, uint64_t *blockptr, uint64_t *generation)
{
	const uint8_t *p = node + HDR_SIZE + (size_t)KEY_PTR_SIZE * slot;

	key_read(p, key);
	*blockptr = get_le64(p, KEY_PTR_BLOCKPTR);
	*generation = get_le64(p, KEY_PTR_GENERATION);
}

static const char *check_layout(const uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	uint8_t level = tree_block_level(block);
	uint64_t item_end, data_floor = nodesize;
	uint32_t slot;

	if (level >= BTRFS_MAX_LEVEL)
		return "invalid tree level";
	if (level > 0) {
		if (nritems == 0)
			return "node has no pointers";
		if (HDR_SIZE + (uint64_t)KEY_PTR_SIZE * nritems > nodesize)
			return "node has too many pointers";
		return NULL;
	}
	item_end = HDR_SIZE + (uint64_t)ITEM_SIZE * nritems;
	if (item_end > nodesize)
		return "leaf has too many items";
	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			return "leaf item data out of bounds";
		if (off < item_end)
			return "leaf item data overlaps the item array";
		/* Data is packed from the end of the block toward the front, in slot order. */
		if ((uint64_t)off + size > data_floor)
			return "leaf item data out of order";
		data_floor = off;
	}
	return NULL;
}

const char *tree_block_check(const uint8_t *block, uint32_t nodesize, uint64_t bytenr,
			     const uint8_t fsid[BTRFS_UUID_SIZE], unsigned csum_type, unsigned checks)
{
	if ((checks & TREE_CHECK_BYTENR) && tree_block_bytenr(block) != bytenr)
		return "header bytenr does not match its address";
	if ((checks & TREE_CHECK_FSID) && memcmp(block + HDR_FSID, fsid, BTRFS_UUID_SIZE) != 0)
		return "header fsid does not match the filesystem";
	if ((checks & TREE_CHECK_CSUM) && !csum_block_ok(csum_type, block, nodesize))
		return "checksum mismatch";
	if (checks & TREE_CHECK_LAYOUT)
		return check_layout(block, nodesize);
	return NULL;
}

const char *tree_name(uint64_t owner)
{
	static char number[24];

	switch (owner) {
	case 1: return "ROOT_TREE";
	case 2: return "EXTENT_TREE";
	case 3: return "CHUNK_TREE";
	case 4: return "DEV_TREE";
	case 5: return "FS_TREE";
	case 6: return "ROOT_TREE_DIR";
	case 7: return "CSUM_TREE";
	case 8: return "QUOTA_TREE";
	case 9: return "UUID_TREE";
	case 10: return "FREE_SPACE_TREE";
	case 11: return "BLOCK_GROUP_TREE";
	case 12: return "RAID_STRIPE_TREE";
	case (uint64_t)-6: return "TREE_LOG";
	case (uint64_t)-7: return "TREE_LOG_FIXUP";
	case (uint64_t)-8: return "TREE_RELOC";
	case (uint64_t)-9: return "DATA_RELOC_TREE";
	}
	snprintf(number, sizeof(number), "%" PRIu64, owner);
	return number;
}
