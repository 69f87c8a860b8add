/*
 * The v1 free space cache (docs/dump.md, Order): the only files kept in the
 * root tree.  Every regular extent of theirs is offered as data, verbatim,
 * in root tree key order (by cache inode), from key (0, EXTENT_DATA, 0).
 */
#include "space_cache.h"
#include "cursor.h"
#include "devices.h"
#include "le.h"
#include "msg.h"
#include "offer.h"
#include "tree.h"

void offer_space_cache(struct scan_fs *fs)
{
	struct tree_cursor c;
	struct btrfs_key start = { 0, BTRFS_EXTENT_DATA_KEY, 0 };

	cursor_open(&c, fs, fs->sb.root, fs->sb.root_level, "root tree");
	cursor_seek(&c, &start);
	for (; c.valid; cursor_next(&c)) {
		const uint8_t *leaf = cursor_leaf(&c);
		struct btrfs_key key;
		uint32_t off, size;
		uint64_t disk_bytenr;

		leaf_item(leaf, fs->nodesize, cursor_slot(&c), &key, &off, &size);
		if (key.type != BTRFS_EXTENT_DATA_KEY || size <= FILE_EXTENT_TYPE ||
		    get_le8(leaf, off + FILE_EXTENT_TYPE) != BTRFS_FILE_EXTENT_REG)
			continue;
		if (size < FILE_EXTENT_REG_SIZE)
			die("%s: tree block %llu: file extent item of inode %llu is too short (%u bytes)", fs->name,
			    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)key.objectid, size);
		disk_bytenr = get_le64(leaf, off + FILE_EXTENT_DISK_BYTENR);
		if (disk_bytenr == 0) /* a hole */
			continue;
		offer_data(fs, disk_bytenr, get_le64(leaf, off + FILE_EXTENT_DISK_NUM_BYTES));
	}
	cursor_close(&c);
}
