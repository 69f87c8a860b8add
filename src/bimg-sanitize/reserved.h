/*
 * The bytes item layouts leave reserved, unused or spare, zeroed under -s
 * and -ss: nothing defines them, so nothing the sanitizer can read says
 * what they hold (stale memory, as the inode item's reserved bytes were
 * seen to hold names in log trees; those are zeroed by leaf.c and
 * counted).  Each range is one the on-disk layout of btrfs-progs 6.19
 * still leaves undefined; a field any kernel defines is never touched.
 * Which ranges, and why, in src/bimg-sanitize/reserved.c and
 * docs/sanitize.md.  One warning per tree block and item type found with
 * such bytes set, naming the block's address, the type and the offset
 * ranges in the item, never the bytes.  Also the bits of a free space
 * bitmap's last byte past its range.
 */
#ifndef BIMG_SANITIZE_RESERVED_H
#define BIMG_SANITIZE_RESERVED_H

#include "tree.h"

#include <stddef.h>
#include <stdint.h>

/* What one block's items had set, for its warnings: a bit per range of the table in reserved.c. */
struct reserved_found {
	uint32_t ranges;       /* the ranges found set, in any item */
	uint32_t items[8];     /* per item type of the table: how many items had one set */
	uint32_t bitmap_tails; /* free space bitmaps with bits set past their range */
};

/*
 * Zero the undefined bytes of one item (key, its size bytes at item) when
 * its type and size have such bytes and one is set, and clear the bits of
 * a free space bitmap past its range (sectorsize: the filesystem's); note
 * them in found.  Returns 1 if a byte changed.  Sizes are those readable.h
 * let through; a range outside the item is skipped, never read.
 */
int reserved_zero_item(const struct btrfs_key *key, uint8_t *item, uint32_t size, uint32_t sectorsize,
		       struct reserved_found *found);

/* The warnings for the block at logical: one per item type with bytes found set. */
void reserved_report(const struct reserved_found *found, uint64_t logical);

#endif
