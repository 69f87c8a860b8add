/*
 * Offers become records.  The order of the offers is the whole point of
 * the dump (it decides how bimg-pack groups them into image items), so
 * every producer calls these functions and nothing else writes
 * TREE_BLOCK or DATA records.  The progress line counts what they wrote.
 */
#include "offer.h"
#include "blockio.h"
#include "devices.h"
#include "msg.h"
#include "scrub.h"

#include <stdlib.h>
#include <string.h>

/* Largest data extent taken (free space cache extents are a few hundred KiB). */
#define DATA_EXTENT_MAX (256ULL << 20)

void offer_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block)
{
	static uint8_t *copy;

	if (!copy)
		copy = xmalloc(BTRFS_MAX_NODESIZE);
	memcpy(copy, block, fs->nodesize);
	scrub_tree_block(copy, fs->nodesize, fs->sb.csum_type, fs->dump_data);
	stream_write_tree_block(fs->out, logical, 0, copy, fs->nodesize);
	progress_update(&fs->progress, fs->out->tree_blocks * fs->nodesize + fs->out->data_bytes);
}

/*
 * A block whose layout is broken is copied byte for byte: the scrubbing
 * needs the item bounds it cannot trust, so such a block may keep file data
 * (inline extents, stale bytes in free space) that a sound one would lose.
 */
void offer_damaged_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, int layout_ok)
{
	static uint8_t *copy;

	if (!copy)
		copy = xmalloc(BTRFS_MAX_NODESIZE);
	memcpy(copy, block, fs->nodesize);
	if (layout_ok)
		scrub_tree_block_contents(copy, fs->nodesize, fs->dump_data);
	stream_write_tree_block(fs->out, logical, TREE_BLOCK_FLAG_DAMAGED, copy, fs->nodesize);
	progress_update(&fs->progress, fs->out->tree_blocks * fs->nodesize + fs->out->data_bytes);
}

void offer_data(struct scan_fs *fs, uint64_t logical, uint64_t len)
{
	static uint8_t *piece;
	uint16_t flags = 0;

	if (len == 0 || len > DATA_EXTENT_MAX || logical + len < logical)
		die("%s: data extent at %llu has an unreasonable length %llu", fs->name,
		    (unsigned long long)logical, (unsigned long long)len);
	if (!piece)
		piece = xmalloc(DATA_PIECE_MAX);
	while (len) {
		size_t n = len < DATA_PIECE_MAX ? (size_t)len : DATA_PIECE_MAX;
		const char *err = read_logical_try(fs, logical, piece, n);

		if (err && fs->rescue == RESCUE_NONE)
			die("%s: %s", fs->name, err);
		if (err) {
			/* rescue: the pieces before stay, the rest of the extent is left out */
			progress_clear(&fs->progress);
			warn("%s: %s (the rest of the extent is left out)", fs->name, err);
			fs->data_left_out++;
			return;
		}
		stream_write_data(fs->out, logical, flags, piece, n);
		progress_update(&fs->progress, fs->out->tree_blocks * fs->nodesize + fs->out->data_bytes);
		flags = DATA_FLAG_CONTINUES;
		logical += n;
		len -= n;
	}
}
