/*
 * Data that only the log trees know about (-d).  After an fsync the log
 * holds file extent items for extents written since the last commit; the
 * committed extent tree does not list those extents yet (log replay adds
 * them), so the extent-tree pass cannot have offered them.  Without them
 * the files replayed from a restored image read as EIO (bad data csums).
 *
 * Every regular or preallocated extent a log leaf refers to is offered,
 * unless the extent tree has it (already offered) or an earlier log leaf
 * named it.  The set of extents taken here grows with the log only, which
 * a transaction commit bounds.
 */
#include "log_data.h"
#include "cursor.h"
#include "devices.h"
#include "hashmap.h"
#include "le.h"
#include "msg.h"
#include "offer.h"
#include "tree.h"

/* The extents offered here (a set), once the first log leaf came. */
static struct hashmap log_extents;
static int log_extents_used;

/* Whether the committed extent tree has the data extent (bytenr, len). */
static int in_extent_tree(struct scan_fs *fs, uint64_t bytenr, uint64_t len)
{
	struct btrfs_key key = { bytenr, BTRFS_EXTENT_ITEM_KEY, len }, found;
	struct tree_cursor c;
	uint64_t root;
	uint32_t off, size;
	int level, found_it = 0;

	find_tree_root(fs, BTRFS_EXTENT_TREE_OBJECTID, &root, &level);
	cursor_open(&c, fs, root, level, "extent tree");
	cursor_seek(&c, &key);
	if (c.valid && leaf_item(cursor_leaf(&c), fs->nodesize, cursor_slot(&c), &found, &off, &size) == 0)
		found_it = found.objectid == bytenr && found.type == BTRFS_EXTENT_ITEM_KEY && found.offset == len;
	cursor_close(&c);
	return found_it;
}

void offer_log_leaf_data(struct scan_fs *fs, const uint8_t *leaf)
{
	uint32_t nritems = tree_block_nritems(leaf), slot;

	if (!log_extents_used) {
		hashmap_init_set(&log_extents);
		log_extents_used = 1;
	}
	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		uint64_t bytenr, len;
		uint8_t type;

		if (leaf_item(leaf, fs->nodesize, slot, &key, &off, &size) < 0 || key.type != BTRFS_EXTENT_DATA_KEY ||
		    size <= FILE_EXTENT_TYPE)
			continue;
		type = get_le8(leaf, off + FILE_EXTENT_TYPE);
		if (type != BTRFS_FILE_EXTENT_REG && type != BTRFS_FILE_EXTENT_PREALLOC)
			continue;
		if (size < FILE_EXTENT_REG_SIZE)
			die("%s: tree block %llu: file extent item of inode %llu is too short (%u bytes)", fs->name,
			    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid, size);
		bytenr = get_le64(leaf, off + FILE_EXTENT_DISK_BYTENR);
		len = get_le64(leaf, off + FILE_EXTENT_DISK_NUM_BYTES);
		if (bytenr == 0) /* a hole */
			continue;
		if (hashmap_test_and_add(&log_extents, bytenr) || in_extent_tree(fs, bytenr, len))
			continue;
		offer_data(fs, bytenr, len);
	}
}

void log_data_free(void)
{
	if (log_extents_used)
		hashmap_free(&log_extents);
	log_extents_used = 0;
}
