/*
 * Default mode: every tree block recorded in the extent tree, in ascending
 * logical order (docs/dump.md, Order); with -d every data extent too, between
 * them in the same order.  The extent tree holds each data extent exactly
 * once however many files (reflinks, snapshots) refer to it, whatever its
 * kind (regular, preallocated, compressed: the bytes as stored), so
 * nothing else is needed to take each extent once.  The extent tree is read one leaf at a
 * time; the tree blocks a leaf names are then read with a few large reads
 * (they are usually packed together) and offered in order.
 */
#include "extent_mode.h"
#include "blockio.h"
#include "cursor.h"
#include "devices.h"
#include "le.h"
#include "msg.h"
#include "offer.h"
#include "rescue.h"
#include "tree.h"

#include <stdlib.h>

struct extent_offer {
	uint64_t logical;
	uint64_t len;
	int is_data; /* a data extent (only with -d) */
};

/*
 * Apply the reference's cursor logic to the items of one leaf: items below
 * the cursor are skipped, and every extent item (tree block or not) moves
 * the cursor to its end.
 */
static size_t leaf_offers(struct scan_fs *fs, const uint8_t *leaf, uint32_t first_slot, uint64_t *cursor,
			  struct extent_offer *offers)
{
	uint32_t nritems = tree_block_nritems(leaf), slot;
	size_t count = 0;

	for (slot = first_slot; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		uint64_t length, flags;

		if (leaf_item(leaf, fs->nodesize, slot, &key, &off, &size) < 0)
			continue;
		if (key.objectid < *cursor)
			continue;
		if (key.type != BTRFS_EXTENT_ITEM_KEY && key.type != BTRFS_METADATA_ITEM_KEY)
			continue;
		length = key.type == BTRFS_METADATA_ITEM_KEY ? fs->nodesize : key.offset;
		if (length == 0)
			die("%s: tree block %llu: extent length 0 at bytenr %llu", fs->name,
			    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid);
		if (size < EXTENT_ITEM_MIN_SIZE)
			die("%s: tree block %llu: extent item %llu of %u bytes: the extent tree is corrupt or uses "
			    "the deprecated extent ref format",
			    fs->name, (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid,
			    size);
		if (key.objectid + length < key.objectid)
			die("%s: tree block %llu: extent %llu of length %llu wraps around", fs->name,
			    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid,
			    (unsigned long long)length);
		flags = get_le64(leaf, off + EXTENT_ITEM_FLAGS);
		if (flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) {
			/* The reference would read length/nodesize blocks; on any real filesystem it is one. */
			if (length != fs->nodesize)
				die("%s: tree block %llu: tree block extent %llu has length %llu, nodesize is %u",
				    fs->name, (unsigned long long)tree_block_bytenr(leaf),
				    (unsigned long long)key.objectid, (unsigned long long)length, fs->nodesize);
			offers[count++] = (struct extent_offer){ key.objectid, length, 0 };
		} else if (fs->dump_data && (flags & BTRFS_EXTENT_FLAG_DATA)) {
			offers[count++] = (struct extent_offer){ key.objectid, length, 1 };
		}
		*cursor = key.objectid + length;
	}
	return count;
}

static void offer_tree_blocks(struct scan_fs *fs, const struct extent_offer *offers, size_t count,
			      uint64_t *logicals, uint8_t *block)
{
	size_t i = 0, j;

	while (i < count) {
		size_t run = 0, ahead;

		if (offers[i].is_data) {
			offer_data(fs, offers[i].logical, offers[i].len);
			i++;
			continue;
		}
		while (i + run < count && !offers[i + run].is_data) {
			logicals[run] = offers[i + run].logical;
			run++;
		}
		for (j = 0; j < run; j += ahead) {
			size_t k;

			ahead = blockio_prefetch(fs, logicals + j, run - j);
			if (!ahead)
				ahead = 1;
			for (k = j; k < j + ahead; k++) {
				struct block_damage damage;

				if (read_tree_block_cached(fs, logicals[k], block, &damage) == 0)
					offer_tree_block(fs, logicals[k], block);
				else
					rescue_block(fs, logicals[k], block, &damage, 1);
			}
		}
		i += run;
	}
}

/*
 * extent-tree-v2 keeps one extent tree per global root (ROOT_ITEM offsets
 * 0, 1, ...).  btrfs-image reads only the first, and so do we, to write the
 * same image; but only while the others are empty, since their tree blocks
 * (and, with -d, data extents) would be missing from the dump.  Walk mode
 * finds every tree block whatever the extent trees say.
 */
static void require_one_extent_tree(struct scan_fs *fs, uint8_t *block)
{
	struct btrfs_key key = { BTRFS_EXTENT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, 1 };
	struct tree_cursor c;

	if (!(fs->sb.incompat_flags & BTRFS_INCOMPAT_EXTENT_TREE_V2))
		return;
	cursor_open(&c, fs, fs->sb.root, fs->sb.root_level, "root tree");
	for (cursor_seek(&c, &key); c.valid; cursor_next(&c)) {
		uint32_t off, size;

		if (leaf_item(cursor_leaf(&c), fs->nodesize, cursor_slot(&c), &key, &off, &size) < 0 ||
		    key.objectid != BTRFS_EXTENT_TREE_OBJECTID || key.type != BTRFS_ROOT_ITEM_KEY)
			break;
		if (size < ROOT_ITEM_MIN_SIZE)
			die("%s: tree block %llu: root item of extent tree %llu is too short (%u bytes)", fs->name,
			    (unsigned long long)tree_block_bytenr(cursor_leaf(&c)), (unsigned long long)key.offset,
			    size);
		read_tree_block(fs, get_le64(cursor_leaf(&c), off + ROOT_ITEM_BYTENR),
				get_le8(cursor_leaf(&c), off + ROOT_ITEM_LEVEL), block);
		if (tree_block_nritems(block))
			die("%s: extent tree %llu of this extent-tree-v2 filesystem is not empty, and only the "
			    "first one is read in extent-tree order: dump it with -w",
			    fs->name, (unsigned long long)key.offset);
	}
	cursor_close(&c);
}

void offer_from_extent_tree(struct scan_fs *fs)
{
	struct tree_cursor c;
	uint64_t root, cursor = BTRFS_SUPER_OFFSET + BTRFS_SUPER_SIZE;
	int level;
	size_t max = fs->nodesize / ITEM_SIZE + 1;
	struct extent_offer *offers = xcalloc(max, sizeof(*offers));
	uint64_t *logicals = xcalloc(max, sizeof(*logicals));
	uint8_t *block = xmalloc(fs->nodesize);

	require_one_extent_tree(fs, block);
	find_tree_root(fs, BTRFS_EXTENT_TREE_OBJECTID, &root, &level);
	cursor_open(&c, fs, root, level, "extent tree");
	while (c.valid) {
		size_t count = leaf_offers(fs, cursor_leaf(&c), cursor_slot(&c), &cursor, offers);

		offer_tree_blocks(fs, offers, count, logicals, block);
		cursor_next_leaf(&c);
	}
	cursor_close(&c);
	free(offers);
	free(logicals);
	free(block);
}
