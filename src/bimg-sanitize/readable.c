#include "readable.h"
#include "btrfs.h"
#include "le.h"
#include "leaf.h"
#include "nameless.h"
#include "tree.h"

#include <string.h>

#define INODE_ITEM_SIZE 160

/* A dir item or dir index entry has no data: bytes there would pass unread. */
static void check_record(void *ctx, uint8_t type, uint8_t *record, uint8_t *name, size_t name_len)
{
	int *data_found = ctx;

	(void)name, (void)name_len;
	if ((type == BTRFS_DIR_ITEM_KEY || type == BTRFS_DIR_INDEX_KEY) && get_le16(record, DIR_ITEM_DATA_LEN))
		*data_found = 1;
}

static const char *item_unreadable(const uint8_t *leaf, const struct btrfs_key *key, uint32_t off, uint32_t size,
				   uint32_t sectorsize)
{
	uint8_t type = key->type;
	int data_found = 0, records;

	switch (type) {
	case BTRFS_INODE_ITEM_KEY:
		return size == INODE_ITEM_SIZE ? NULL : "inode item of the wrong size";
	case BTRFS_EXTENT_DATA_KEY:
		if (size < FILE_EXTENT_INLINE_DATA)
			return "file extent item too short";
		if (leaf[off + FILE_EXTENT_TYPE] == BTRFS_FILE_EXTENT_INLINE)
			return NULL;
		if (leaf[off + FILE_EXTENT_TYPE] > BTRFS_FILE_EXTENT_PREALLOC)
			return "file extent of unknown type";
		return size == FILE_EXTENT_REG_SIZE ? NULL : "file extent item of the wrong size";
	}
	if (!item_holds_names(type))
		return nameless_item_unreadable(key, leaf + off, size, sectorsize);
	/* item_name_records takes a writable item only because its other callers rewrite names. */
	records = item_name_records(type, (uint8_t *)leaf + off, size, check_record, &data_found);
	if (records < 0)
		return "name record overruns its item";
	if (records == 0)
		return "name item without a record";
	return data_found ? "dir item with data" : NULL;
}

static const char *leaf_unreadable(const uint8_t *leaf, uint32_t nodesize, uint32_t sectorsize)
{
	uint32_t nritems = tree_block_nritems(leaf);

	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		const char *why;

		if (leaf_item(leaf, nodesize, slot, &key, &off, &size) < 0)
			return "leaf item data out of bounds";
		why = item_unreadable(leaf, &key, off, size, sectorsize);
		if (why)
			return why;
	}
	return NULL;
}

static const char *node_unreadable(const uint8_t *node, uint32_t sectorsize)
{
	uint32_t nritems = tree_block_nritems(node);
	struct btrfs_key prev = { 0, 0, 0 };

	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint64_t child, generation;

		node_ptr(node, slot, &key, &child, &generation);
		if (slot > 0 && key_compare(&prev, &key) >= 0)
			return "node keys out of order";
		if (child == 0 || (sectorsize && child % sectorsize))
			return "node pointer to 0 or not a multiple of the sector size";
		prev = key;
	}
	return NULL;
}

const char *block_unreadable(const uint8_t *block, uint32_t nodesize, uint32_t sectorsize)
{
	const char *why = tree_block_check(block, nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT);

	if (why)
		return why;
	if (tree_block_level(block) == 0)
		return leaf_unreadable(block, nodesize, sectorsize);
	return node_unreadable(block, sectorsize);
}

void wipe_after_header(uint8_t *block, uint32_t nodesize)
{
	memset(block + HDR_SIZE, 0, nodesize - HDR_SIZE);
}

int zero_if_set(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i]) {
			memset(p + i, 0, len - i);
			return 1;
		}
	return 0;
}

static int zero_range(uint8_t *block, uint64_t from, uint64_t to)
{
	return from < to && zero_if_set(block + from, (size_t)(to - from));
}

int zero_unused_space(uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	uint64_t floor = nodesize;
	int changed = 0;

	if (tree_block_level(block) > 0)
		return zero_range(block, HDR_SIZE + (uint64_t)KEY_PTR_SIZE * nritems, nodesize);
	/* Item data is packed downward in slot order (block_unreadable checked it): zero each gap. */
	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			return changed;
		changed |= zero_range(block, (uint64_t)off + size, floor);
		floor = off;
	}
	return changed | zero_range(block, HDR_SIZE + (uint64_t)ITEM_SIZE * nritems, floor);
}
