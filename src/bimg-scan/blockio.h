/*
 * Logical reads through the chunk map: tree blocks checked (every copy
 * tried), data, and runs of tree blocks read ahead with one large read.
 */
#ifndef BIMG_SCAN_BLOCKIO_H
#define BIMG_SCAN_BLOCKIO_H

#include "devices.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Read the tree block at logical into block (nodesize bytes) and check it
 * (bytenr, fsid, checksum, layout), trying every copy.  expect_level is
 * the level the pointer implies, or -1.  Dies naming the block when no
 * copy is good.
 */
void read_tree_block(struct scan_fs *fs, uint64_t logical, int expect_level, uint8_t *block);
/*
 * What was wrong with a tree block that has no good copy.  bad_copy: block
 * holds the copy that looked best (correct address first, then fsid,
 * checksum, layout), as read; 0 when no copy could be read at all.
 * bad_pointer: the block itself is sound but not what its parent's pointer
 * says (level or generation): a pointer to itself, an ancestor or another
 * tree's block.
 */
struct block_damage {
	char why[256];
	int bad_copy;
	int layout_ok; /* bad_copy passed the layout check: safe to scrub */
	int bad_pointer;
};
/* The same without dying: 0 if good, -1 with *damage filled. */
int read_tree_block_try(struct scan_fs *fs, uint64_t logical, int expect_level, uint8_t *block,
			struct block_damage *damage);
/*
 * read_tree_block_try, but first look in a window of blocks read ahead
 * with one large read (see blockio_prefetch).
 */
int read_tree_block_cached(struct scan_fs *fs, uint64_t logical, uint8_t *block, struct block_damage *damage);
/*
 * Read ahead the blocks at logicals[0..count) (ascending) that are close
 * together on disk with as few large reads as possible; returns how many
 * of them the window now holds (at least 1 when count >= 1, unless the
 * first cannot be read ahead, in which case 0).
 */
size_t blockio_prefetch(struct scan_fs *fs, const uint64_t *logicals, size_t count);
/* Read len bytes of data at logical (any copy that exists). Dies on failure. */
void read_logical(struct scan_fs *fs, uint64_t logical, uint8_t *buf, size_t len);
/* The same without dying: NULL, or why not. */
const char *read_logical_try(struct scan_fs *fs, uint64_t logical, uint8_t *buf, size_t len);
void blockio_free(void);

#endif
