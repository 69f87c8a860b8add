/*
 * bimg-scan: read a btrfs filesystem read-only and write the record stream.
 *
 * The pieces, in the order main() uses them:
 *   devices.c     open the devices, pick the superblock, warn if mounted
 *   chunks.c      chunk map from the system chunk array, then the chunk tree
 *   blockio.c     logical reads: tree blocks (all copies tried) and data
 *   cursor.c      a bounded path through one tree, in key order
 *   offer.c       what is offered becomes records (tree blocks scrubbed)
 *   scrub.c       what the reference changes in each tree block
 *   extent_mode.c tree blocks (and, with -d, data extents) from the extent tree
 *   walk.c        tree blocks by walking the trees (-w), and the log tree
 *   space_cache.c the v1 free space cache extents
 *   log_data.c    with -d, data extents only the log trees refer to
 *   rescue.c      --rescue: damaged tree blocks copied or left out, counted
 *   total.c       --progress: the total from the block group items
 */
#ifndef BIMG_SCAN_H
#define BIMG_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "btrfs.h"
#include "chunk.h"
#include "hashmap.h"
#include "progress.h"
#include "stream.h"
#include "super.h"
#include "tree.h"

struct scan_device {
	const char *path;
	int fd;
	uint64_t devid;
	uint64_t size;
	uint64_t total_bytes; /* the device's size as its superblock gives it */
};

enum rescue_mode {
	RESCUE_NONE, /* a block with no good copy stops the dump */
	RESCUE_COPY, /* --rescue=copy: the best copy as read, flagged DAMAGED */
	RESCUE_SKIP, /* --rescue=skip: left out */
};

struct scan_fs {
	const char *name; /* the first DEVICE argument: names the filesystem in messages */
	struct scan_device *devices;
	size_t device_count;
	struct super_info sb;
	uint8_t sb_raw[BTRFS_SUPER_SIZE];
	struct chunk_map map;
	uint32_t nodesize;
	int dump_data; /* -d: data extents offered too, inline file data kept */
	struct stream_writer *out;
	/*
	 * Off while the chunk tree is read (rescue cannot help without it);
	 * then from the command line.
	 */
	enum rescue_mode rescue;
	struct hashmap damaged_blocks; /* a set: the damaged blocks reported so far */
	uint64_t damaged_copied;      /* of them, copied into the stream */
	uint64_t data_left_out;       /* data extents (or their tails) unreadable */
	struct progress progress;
};

/* devices.c */
void devices_open(struct scan_fs *fs, char **paths, size_t count);
void devices_close(struct scan_fs *fs);
const struct scan_device *device_by_id(const struct scan_fs *fs, uint64_t devid);
void warn_if_mounted(const char *path, int fd, const uint8_t fsid[BTRFS_UUID_SIZE]);

/* chunks.c: map the system chunks, then read the chunk tree (emitting CHUNK records). */
void chunks_load(struct scan_fs *fs);

/* blockio.c */
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

/* cursor.c: a path from a root to one leaf; memory: (levels) x nodesize. */
struct tree_cursor {
	struct scan_fs *fs;
	int top; /* level of the root; -1 if rescue could not read it */
	uint8_t *nodes[BTRFS_MAX_LEVEL];
	uint32_t slots[BTRFS_MAX_LEVEL];
	int valid; /* 0 once past the last item */
};
void cursor_open(struct tree_cursor *c, struct scan_fs *fs, uint64_t root, int root_level, const char *what);
void cursor_close(struct tree_cursor *c);
/* Position at the first item whose key is >= key. */
void cursor_seek(struct tree_cursor *c, const struct btrfs_key *key);
/* Current item: leaf, slot (only while c->valid). */
static inline const uint8_t *cursor_leaf(const struct tree_cursor *c) { return c->nodes[0]; }
static inline uint32_t cursor_slot(const struct tree_cursor *c) { return c->slots[0]; }
/* Advance to the next item (crossing leaves). */
void cursor_next(struct tree_cursor *c);
/* Move past the current leaf, to the first item of the next one. */
void cursor_next_leaf(struct tree_cursor *c);
/* Does a child block read through a pointer fit it (level, generation)?  NULL, or why not (in why). */
const char *child_mismatch(const struct scan_fs *fs, const uint8_t *child, int expect_level, char *why, size_t size);

/* scrub.c: keep_inline leaves inline file data as it is (-d). */
void scrub_tree_block(uint8_t *block, uint32_t nodesize, unsigned csum_type, int keep_inline);
/* The zeroing alone, checksum left as it is; the block must pass the layout check. */
void scrub_tree_block_contents(uint8_t *block, uint32_t nodesize, int keep_inline);

/* offer.c */
void offer_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block);
void offer_data(struct scan_fs *fs, uint64_t logical, uint64_t len);
/* A damaged block (copy mode): scrubbed if its layout allows, checksum as read, flagged DAMAGED. */
void offer_damaged_tree_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, int layout_ok);

/*
 * rescue.c: a block read_tree_block_try() found damaged, met by a walk or
 * a cursor.  Reported (once per block) and counted; with offer (the block
 * is due in the stream here) and --rescue=copy, its bad copy is offered.
 * Dies as read_tree_block() would when not rescuing.
 */
void rescue_block(struct scan_fs *fs, uint64_t logical, const uint8_t *block, const struct block_damage *damage,
		  int offer);
/* The summary line; returns the exit status (2 if anything was damaged or left out). */
int rescue_report(struct scan_fs *fs);

/* total.c: bytes the dump will offer (used bytes of the block groups), 0 if unknown. */
uint64_t dump_total_bytes(struct scan_fs *fs);

/* extent_mode.c, walk.c, space_cache.c */
void offer_from_extent_tree(struct scan_fs *fs);
void offer_by_walking(struct scan_fs *fs, struct hashmap *seen);
void offer_log_tree(struct scan_fs *fs, struct hashmap *seen);
void offer_space_cache(struct scan_fs *fs);
/* log_data.c: offer the data extents a log leaf names that the extent tree lacks. */
void offer_log_leaf_data(struct scan_fs *fs, const uint8_t *leaf);
void log_data_free(void);

/* Read the root tree's root block (dies if it has no good copy). */
void check_root_tree(struct scan_fs *fs);
/* The root of a tree from the root tree's ROOT_ITEM (objectid), or dies. */
void find_tree_root(struct scan_fs *fs, uint64_t objectid, uint64_t *bytenr, int *level);

#endif
