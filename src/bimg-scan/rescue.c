/*
 * --rescue: a tree block with no good copy no longer stops the dump.
 *
 * Each such block is reported once (a warning naming it and what was
 * wrong), counted, and, with --rescue=copy where the block is due in the
 * stream, offered as it was read from the copy that looked best, flagged
 * DAMAGED and with its checksum left as it was so the damage stays
 * visible.  Nothing below a damaged block is followed: its pointers are
 * not known to be the ones btrfs wrote, and a flipped bit in one would
 * lead anywhere (in copy mode, to a "block" copied over a good one at
 * restore).  The dump goes on and ends with END, so the stages downstream
 * succeed; the exit status, 2, tells the caller the image is incomplete.
 *
 * A block that does not fit its parent's pointer (wrong level or
 * generation: a pointer to itself, an ancestor or another tree's block)
 * is counted the same way but never copied from here: what is wrong is
 * the pointer, and a sound block reachable otherwise is offered there.
 */
#include "rescue.h"
#include "blockio.h"
#include "devices.h"
#include "hashmap.h"
#include "msg.h"
#include "offer.h"

void rescue_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, const struct block_damage *damage,
		  int offer)
{
	int copy = offer && fs->rescue == RESCUE_COPY && damage->bad_copy && !damage->bad_pointer;

	if (fs->rescue == RESCUE_NONE) {
		if (damage->bad_pointer)
			die("%s: tree block %llu: %s", fs->name, (unsigned long long)logical, damage->why);
		die("%s: cannot read tree block %llu: %s", fs->name, (unsigned long long)logical, damage->why);
	}
	if (!hashmap_test_and_add(&fs->damaged_blocks, logical)) {
		fs->out->damaged++;
		progress_clear(&fs->progress);
		warn("%s: damaged tree block %llu: %s", fs->name, (unsigned long long)logical, damage->why);
	}
	if (copy) {
		offer_damaged_tree_block(fs, logical, block, damage->layout_ok);
		fs->damaged_copied++;
	}
}

int rescue_report(struct scan_fs *fs)
{
	uint64_t damaged = fs->out->damaged;

	if (fs->rescue == RESCUE_NONE || (!damaged && !fs->data_left_out))
		return 0;
	if (damaged && fs->rescue == RESCUE_SKIP)
		note("%llu tree blocks were damaged (skipped)", (unsigned long long)damaged);
	else if (damaged && fs->damaged_copied >= damaged)
		note("%llu tree blocks were damaged (copied as they were)", (unsigned long long)damaged);
	else if (damaged && fs->damaged_copied)
		note("%llu tree blocks were damaged (%llu copied as they were, the others left out)",
		     (unsigned long long)damaged, (unsigned long long)fs->damaged_copied);
	else if (damaged)
		note("%llu tree blocks were damaged (none could be read to be copied: left out)",
		     (unsigned long long)damaged);
	if (fs->data_left_out)
		note("%llu data extents could not be read (left out from the first unreadable byte on)",
		     (unsigned long long)fs->data_left_out);
	return 2;
}
