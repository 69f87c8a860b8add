/*
 * Walk mode (-w) and the log trees (docs/dump.md, Order): trees walked
 * depth first, pre-order, each block offered once.  In a tree that holds
 * root items (the root tree, the chunk tree, the log root tree) every
 * ROOT_ITEM's tree is walked in full, in slot order, before the walk goes
 * on; those trees do not recurse further, so at most two paths of
 * BTRFS_MAX_LEVEL blocks are held at once.
 *
 * A block already offered is skipped with its whole subtree (shared
 * subtrees of snapshots).  It is read first nevertheless, so that its
 * level is checked against the pointer: a pointer back to the block itself
 * or to an ancestor is reported instead of being skipped.
 */
#include "walk.h"
#include "blockio.h"
#include "devices.h"
#include "hashmap.h"
#include "le.h"
#include "log_data.h"
#include "msg.h"
#include "offer.h"
#include "rescue.h"
#include "tree.h"

#include <stdlib.h>

/* Set while the log trees are walked for a data dump (-d). */
static int log_data;

/*
 * Read, check and offer a block; 0 if it had been offered already, or if
 * it is damaged (--rescue: handed to rescue_block, its subtree not walked).
 */
static int enter(struct scan_fs *fs, struct hashmap *seen, uint64_t bytenr, int level, uint8_t *block)
{
	struct block_damage damage;

	if (read_tree_block_try(fs, bytenr, level, block, &damage) < 0) {
		/* A pointer that does not fit says nothing about the block: it may be offered elsewhere. */
		if (damage.bad_pointer || !hashmap_test_and_add(seen, bytenr))
			rescue_block(fs, bytenr, block, &damage, 1);
		return 0;
	}
	if (hashmap_test_and_add(seen, bytenr))
		return 0;
	offer_tree_block(fs, bytenr, block);
	if (log_data && level == 0)
		offer_log_leaf_data(fs, block);
	return 1;
}

static void walk_tree(struct scan_fs *fs, struct hashmap *seen, uint64_t root, int root_level, int is_root_tree);

static void walk_root_items(struct scan_fs *fs, struct hashmap *seen, const uint8_t *leaf)
{
	uint32_t nritems = tree_block_nritems(leaf), slot;

	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(leaf, fs->nodesize, slot, &key, &off, &size) < 0 || key.type != BTRFS_ROOT_ITEM_KEY)
			continue;
		if (size < ROOT_ITEM_MIN_SIZE)
			die("%s: tree block %llu: root item of tree %llu is too short (%u bytes)", fs->name,
			    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid, size);
		walk_tree(fs, seen, get_le64(leaf, off + ROOT_ITEM_BYTENR), get_le8(leaf, off + ROOT_ITEM_LEVEL), 0);
	}
}

static void walk_tree(struct scan_fs *fs, struct hashmap *seen, uint64_t root, int root_level, int is_root_tree)
{
	uint8_t *blocks[BTRFS_MAX_LEVEL] = { 0 };
	uint32_t slots[BTRFS_MAX_LEVEL] = { 0 };
	int level;

	if (root_level < 0 || root_level >= BTRFS_MAX_LEVEL)
		die("%s: tree root %llu: invalid level %d", fs->name, (unsigned long long)root, root_level);
	for (level = 0; level <= root_level; level++)
		blocks[level] = xmalloc(fs->nodesize);
	level = root_level;
	if (!enter(fs, seen, root, level, blocks[level]))
		goto out;
	slots[level] = 0;
	for (;;) {
		const uint8_t *b = blocks[level];

		if (level == 0) {
			if (is_root_tree)
				walk_root_items(fs, seen, b);
		} else if (slots[level] < tree_block_nritems(b)) {
			struct btrfs_key key;
			uint64_t ptr, gen;

			node_ptr(b, slots[level], &key, &ptr, &gen);
			if (enter(fs, seen, ptr, level - 1, blocks[level - 1])) {
				level--;
				slots[level] = 0;
			} else {
				slots[level]++;
			}
			continue;
		}
		/* This block is done: back to its parent's next pointer. */
		if (++level > root_level)
			break;
		slots[level]++;
	}
out:
	for (level = 0; level < BTRFS_MAX_LEVEL; level++)
		free(blocks[level]);
}

void offer_by_walking(struct scan_fs *fs, struct hashmap *seen)
{
	walk_tree(fs, seen, fs->sb.chunk_root, fs->sb.chunk_root_level, 1);
	walk_tree(fs, seen, fs->sb.root, fs->sb.root_level, 1);
}

void offer_log_tree(struct scan_fs *fs, struct hashmap *seen)
{
	if (!fs->sb.log_root)
		return;
	log_data = fs->dump_data;
	walk_tree(fs, seen, fs->sb.log_root, fs->sb.log_root_level, 1);
	log_data = 0;
	log_data_free();
}
