/*
 * The total for the progress line, known before the dump starts: the
 * `used` bytes of every metadata and system block group (and data ones
 * with -d), from their BLOCK_GROUP_ITEMs, found by one lookup per chunk
 * in the block group tree if the filesystem has one (compat_ro
 * BLOCK_GROUP_TREE), else in the extent tree.
 *
 * Mixed block groups (mkfs --mixed) hold data and metadata together and
 * their `used` counts both, so without -d the total also counts the data
 * in them and the line ends short of 100%.  The log trees, written after
 * the last commit, are not in any `used`.
 *
 * Only an estimate: any block that cannot be read makes the total unknown
 * (0) rather than stopping the dump, which -w and --rescue may still
 * complete.
 */
#include "total.h"
#include "blockio.h"
#include "devices.h"
#include "le.h"
#include "msg.h"
#include "tree.h"

#include <stdlib.h>

#define BLOCK_GROUP_TREE_OBJECTID 11ULL
#define BLOCK_GROUP_ITEM_SIZE 24
#define BLOCK_GROUP_USED 0

/* The item with exactly this key: its offset and size in block (a leaf); 0, or -1 if absent or unreadable. */
static int lookup(struct scan_fs *fs, uint64_t root, int level, const struct btrfs_key *target, uint8_t *block,
		  uint32_t *off, uint32_t *size)
{
	struct block_damage damage;
	struct btrfs_key key;
	uint32_t slot, nritems;

	if (level < 0 || level >= BTRFS_MAX_LEVEL)
		return -1;
	for (;;) {
		uint64_t ptr, gen;

		if (read_tree_block_try(fs, root, level, block, &damage) < 0)
			return -1;
		nritems = tree_block_nritems(block);
		if (level == 0)
			break;
		/* The last pointer whose key is <= target. */
		for (slot = 1; slot < nritems; slot++) {
			node_ptr(block, slot, &key, &ptr, &gen);
			if (key_compare(&key, target) > 0)
				break;
		}
		node_ptr(block, slot - 1, &key, &ptr, &gen);
		root = ptr;
		level--;
	}
	for (slot = 0; slot < nritems; slot++)
		if (leaf_item(block, fs->nodesize, slot, &key, off, size) == 0 && key_compare(&key, target) == 0)
			return 0;
	return -1;
}

uint64_t dump_total_bytes(struct scan_fs *fs)
{
	uint64_t tree_id = (fs->sb.compat_ro_flags & BTRFS_COMPAT_RO_BLOCK_GROUP_TREE) ? BLOCK_GROUP_TREE_OBJECTID
										       : BTRFS_EXTENT_TREE_OBJECTID;
	struct btrfs_key key = { tree_id, BTRFS_ROOT_ITEM_KEY, 0 };
	uint8_t *block = xmalloc(fs->nodesize);
	uint64_t kinds = BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_SYSTEM | (fs->dump_data ? BTRFS_BLOCK_GROUP_DATA : 0);
	uint64_t root, total = 0;
	const struct chunk *c;
	uint32_t off, size;
	int level;

	if (lookup(fs, fs->sb.root, fs->sb.root_level, &key, block, &off, &size) < 0 || size < ROOT_ITEM_MIN_SIZE)
		goto unknown;
	root = get_le64(block, off + ROOT_ITEM_BYTENR);
	level = get_le8(block, off + ROOT_ITEM_LEVEL);
	for (c = chunk_map_first(&fs->map); c; c = chunk_map_next(&fs->map, c)) {
		if (!(c->type & kinds))
			continue;
		key = (struct btrfs_key){ c->logical, BTRFS_BLOCK_GROUP_ITEM_KEY, c->length };
		if (lookup(fs, root, level, &key, block, &off, &size) < 0 || size < BLOCK_GROUP_ITEM_SIZE)
			goto unknown;
		total += get_le64(block, off + BLOCK_GROUP_USED);
	}
	free(block);
	return total;
unknown:
	free(block);
	return 0;
}
