/*
 * bimg-fixchunks: write the filesystem a record stream describes onto a
 * target, each block at its physical place (docs/restore.md).
 *
 * The pieces, in the order a restore uses them:
 *   target.c      open the target, write-combined pwrites whose write-out
 *                 starts early, final size
 *   mounted.c     is a device mounted, is a file behind a mounted loop device
 *   guard.c       a failure or a signal leaves no valid superblock behind
 *   newfsid.c     --new-fsid: the restored filesystem gets another fsid
 *   restore_map.c logical -> physical placement, built from the
 *                 superblock's system chunks and the chunk tree leaves
 *                 (or CHUNK records) as they pass by
 *   holdback.c    blocks that arrive before their chunk is known
 *   verify.c      every tree block is checked before it is written
 *   layout.c      multi-device source, one target: every chunk becomes
 *                 SINGLE or DUP on the kept device, overlaps moved
 *   fixup.c       multi-device source, one target: chunk and device tree
 *                 blocks held to the end and rewritten, block group flags
 *   multi.c       -m: every device restored onto its own target
 *   superblock.c  the restored superblock, written last
 *   restore.c     the record loop tying it together
 */
#ifndef BIMG_FIXCHUNKS_H
#define BIMG_FIXCHUNKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "btrfs.h"
#include "chunk.h"
#include "hashmap.h"
#include "stream.h"
#include "super.h"
#include "vec.h"

struct options {
	int old_restore;       /* -o: every item at its logical address */
	int ignore_bad_blocks; /* write failing tree blocks as they are */
	int multi_device;      /* -m: one target per source device */
	int force;             /* overwrite the filesystem the image was made from */
	int new_fsid;          /* --new-fsid: give the restored filesystem new_fsid_value */
	uint8_t new_fsid_value[BTRFS_UUID_SIZE];
};

/* ---- target.c ---- */

#define WRITE_SLOTS 4
struct write_slot {
	uint64_t start;
	size_t len;
	uint8_t *buf;
	uint64_t last_use;
};

struct target {
	const char *path;
	int fd;
	int is_blockdev;
	int claimed;       /* the old primary superblock is gone: writing may start */
	uint64_t dev_size; /* block devices: their size */
	/* The primary superblock found at open when it is a valid one, for target_holds_source(). */
	int had_super;
	uint8_t old_super[BTRFS_SUPER_SIZE];
	struct write_slot slots[WRITE_SLOTS];
	uint64_t clock;
	uint64_t unsubmitted;  /* bytes written since the last writeback start */
	int no_writeback_hint; /* sync_file_range does not apply to this target */
};

/*
 * Open the targets (a regular file is created if missing) for writing.
 * Refused before anything is opened: a target that is the file or device
 * standard input reads, that is also another target (by any name), or
 * that is a symlink to a missing file.  Refused when opened: a mounted
 * device, a file behind a mounted loop device, and without --force a
 * target holding a btrfs-image file or a record stream (what restores
 * read: perhaps the one being read through a pipe).  The old primary
 * superblock is read and, unless it is a real filesystem (a valid
 * superblock without the metadump flags: perhaps the image's own source),
 * the target is claimed at once.
 */
void targets_open(struct target *targets, char **paths, size_t count, const struct options *opt);
/*
 * Why the target looks like the filesystem the image was made from (its
 * superblock has the image's fsid and device uuid and a generation at
 * least the image's), or NULL.
 */
const char *target_holds_source(const struct target *t, const uint8_t *image_sb);
/*
 * Destroy the old filesystem before any write: a regular file is
 * truncated to nothing, a block device gets its primary superblock zeroed,
 * so that a failed restore never leaves a target that looks like a
 * filesystem.  Arms guard.c for it.
 */
void target_claim(struct target *t);
/* Write bytes at a physical offset (buffered: adjacent writes are combined). */
void target_write(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len);
/* Write out every buffered byte and fsync: every block is on disk before the superblock is written. */
void target_sync(struct target *t);
/* Extend a regular file to size if it is shorter. */
void target_extend(struct target *t, uint64_t size);
/* Unbuffered write then read-back used for the superblocks. */
void target_write_now(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len);
void target_read(struct target *t, uint64_t physical, uint8_t *bytes, size_t len);
/* Current size: a block device's size or a regular file's length. */
uint64_t target_size(struct target *t);
void target_close(struct target *t);

/* ---- mounted.c ---- */

/* Non-zero if /proc/self/mountinfo lists a filesystem on block device dev. */
int device_is_mounted(dev_t dev);
/*
 * If the regular file (st_dev, st_ino) backs a loop device that is mounted
 * or held exclusively, that device's path in out (size outlen), return 1.
 */
int file_backs_mounted_loop(dev_t st_dev, ino_t st_ino, char *out, size_t outlen);

/* ---- guard.c ---- */

/*
 * Until the restore is done, every claimed target is invalidated (its
 * primary superblock zeroed) when the program dies or gets SIGINT,
 * SIGTERM or SIGHUP; the signals print "interrupted" and exit 1.  Signals
 * ignored at start (nohup, background jobs) stay ignored.
 */
void guard_init(size_t max_targets);
/* From now on t is invalidated on failure. */
void guard_arm(const struct target *t);
/* Every superblock is written: from here on failures and signals leave the targets alone. */
void guard_release(void);

/* ---- newfsid.c ---- */

/*
 * --new-fsid as btrfstune -u does it: every tree block header and DEV_ITEM
 * carries the new fsid, then so does the superblock (fsid and
 * dev_item.fsid).  When the source has METADATA_UUID, the headers and
 * DEV_ITEMs carry metadata_uuid, which stays: only the superblock's fsid
 * changes (btrfstune -M's way, already in place).
 */
struct fsid_change {
	int active;
	int headers;                         /* tree blocks change (no METADATA_UUID) */
	uint8_t old_fsid[BTRFS_UUID_SIZE];   /* in headers and DEV_ITEMs */
	uint8_t new_fsid[BTRFS_UUID_SIZE];
};
/* Decide from the stream's superblock; sb itself is changed by fsid_change_super(). */
void fsid_change_init(struct fsid_change *f, const uint8_t *sb, const struct options *opt);
/* The superblock's fsid and dev_item.fsid (checksum left to the caller). */
void fsid_change_super(const struct fsid_change *f, uint8_t *sb);
/* A verified tree block: header fsid and DEV_ITEM fsids, checksum recomputed if changed. */
void fsid_change_tree_block(const struct fsid_change *f, uint8_t *block, uint32_t nodesize, unsigned csum_type);

/* ---- restore_map.c ---- */

/*
 * Chunk tree blocks met so far, to know when every chunk tree block
 * reachable from the superblock's chunk_root has arrived.  One entry per
 * chunk tree block (plus the child addresses of nodes): the chunk tree is
 * about 1/100000 of the filesystem, so this stays small.
 *
 * Once the map is complete (every reachable block seen, or the chunks came
 * as CHUNK records) it no longer changes: placement has started to rely on
 * it, and a multi-device layout was decided from it.  Chunk tree leaves
 * that come later (unreachable ones, or the leaves behind CHUNK records)
 * are checked but teach nothing.
 */
struct chunk_tree_entry;
struct restore_map {
	struct chunk_map chunks;
	struct chunk_limits limits; /* every chunk item is checked against the superblock */
	int complete;           /* every chunk the target needs is known */
	int from_chunk_records; /* the stream brought the map up front */
	uint64_t chunk_root;
	uint32_t nodesize;
	struct hashmap by_addr;        /* chunk tree block address -> index in blocks */
	VEC(struct chunk_tree_entry) blocks;
	size_t missing; /* reachable chunk tree blocks not yet seen */
};

/* Start the map from the superblock's system chunk array; dies on a bad array. */
void restore_map_init(struct restore_map *m, const uint8_t *sb, const struct super_info *info);
/* Add the chunks of a CHUNK record (key + chunk item pairs). */
void restore_map_add_chunk_record(struct restore_map *m, const uint8_t *payload, size_t len, uint64_t seq);
/* The stream's first block record: a map that came as CHUNK records is complete now. */
void restore_map_blocks_begin(struct restore_map *m);
/*
 * A verified tree block passes by: if it belongs to the chunk tree, learn
 * its chunks and children.  Returns NULL or why the block is unusable as a
 * chunk tree block (the caller treats that as a damaged block).
 */
const char *restore_map_see_tree_block(struct restore_map *m, const uint8_t *block, uint64_t logical);
/* The chunk containing logical, or NULL. */
const struct chunk *restore_map_lookup(const struct restore_map *m, uint64_t logical);
/* The lowest reachable chunk tree block still missing (0 when none). */
uint64_t restore_map_first_missing(const struct restore_map *m);
void restore_map_free(struct restore_map *m);

/* ---- holdback.c ---- */

/*
 * Items whose chunk is not known yet.  Up to HOLDBACK_MEMORY bytes of them
 * stay in memory; beyond that they go to an unlinked file in $TMPDIR
 * (the environment variable BIMG_FIXCHUNKS_HOLDBACK_MEMORY overrides the
 * bound, for tests).
 * Each held item also costs a 32-byte entry in memory.
 */
#define HOLDBACK_MEMORY (64u << 20)
struct held_item;
struct holdback {
	VEC(struct held_item) items;
	size_t memory_used;
	uint64_t memory_limit; /* HOLDBACK_MEMORY, or $BIMG_FIXCHUNKS_HOLDBACK_MEMORY */
	int spill_fd;
	uint64_t spill_end;
	uint64_t total_bytes;
};
enum item_kind { ITEM_TREE_BLOCK, ITEM_DATA };
void holdback_init(struct holdback *h);
void holdback_add(struct holdback *h, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len);
/* Hand every held item, in arrival order, to fn, then forget them all. */
typedef void (*holdback_fn)(void *ctx, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len);
void holdback_drain(struct holdback *h, holdback_fn fn, void *ctx);
void holdback_free(struct holdback *h);

/* ---- verify.c ---- */

struct verify_counts {
	uint64_t damaged;          /* written as they were (--ignore-bad-blocks) */
	uint64_t reference_csums;  /* CRC-32C of the reference replaced by the real checksum */
};
/*
 * Check a tree block about to be written at logical: header bytenr, fsid
 * and checksum in the filesystem's algorithm.  A block carrying the
 * reference's CRC-32C on a non-crc32c filesystem gets its real checksum.
 * Returns NULL when the block may be written, else why not.
 */
const char *verify_tree_block(uint8_t *block, uint32_t nodesize, uint64_t logical, const uint8_t *header_fsid,
			      unsigned csum_type, struct verify_counts *counts);

/* ---- layout.c ---- */

/*
 * Where each chunk of a multi-device source goes on the one target.  A
 * copy keeps its original physical offset when that range is free (lower
 * offsets win) and does not put a superblock mirror into bytes the source
 * used; every other copy is moved past the end of used space.  The placed
 * map doubles the chunk map (chunk.h gives its size).
 */
struct single_layout {
	struct chunk_map placed; /* each chunk as SINGLE or DUP on devid, new offsets */
	uint64_t devid;
	uint8_t dev_uuid[BTRFS_UUID_SIZE];
	uint64_t device_size; /* max(original size of devid, end of the last copy) */
	uint64_t bytes_used;  /* sum of the copies' lengths */
	int moved_super_chunk; /* a moved copy had a superblock location: v1 cache invalid */
	uint64_t moved_copies;
};
/* Decide the layout from the complete source map and the superblock's dev_item. */
void layout_decide(struct single_layout *l, const struct chunk_map *source, const uint8_t *sb);
void layout_free(struct single_layout *l);
/* The profile bits a chunk keeps on one device. */
uint64_t layout_type(uint64_t source_type);

/* ---- fixup.c ---- */

/*
 * Chunk tree and device tree blocks of a multi-device source, held in
 * memory until the end (their items depend on the whole layout, and a
 * changed first key must reach the parent node).  Both trees hold a few
 * hundred bytes per chunk: FIXUP_MEMORY_MAX bounds them (enough for
 * about 200 000 chunks with 16 KiB nodes).
 */
#define FIXUP_MEMORY_MAX (256u << 20)
struct fixup_block;
struct tree_fixup {
	VEC(struct fixup_block) blocks;
	struct hashmap by_logical; /* block address -> index in blocks */
	uint64_t memory;
	uint32_t nodesize;
	unsigned csum_type;
};
void fixup_init(struct tree_fixup *f, uint32_t nodesize, unsigned csum_type);
/* Is this a block fixup_hold() must take (chunk or device tree)? */
int fixup_wants(const uint8_t *block);
void fixup_hold(struct tree_fixup *f, uint64_t logical, const uint8_t *block);
/*
 * Rewrite the held blocks for the layout: chunk items shrink to SINGLE or
 * DUP, DEV_ITEMs of other devices go, the device tree's extents describe
 * the new layout, node keys follow; then hand each block to write.
 */
typedef void (*fixup_write_fn)(void *ctx, uint64_t logical, const uint8_t *block);
void fixup_finish(struct tree_fixup *f, const struct single_layout *l, fixup_write_fn write, void *ctx);
void fixup_free(struct tree_fixup *f);
/*
 * Block group items of an extent tree or block group tree leaf take their
 * chunk's new type; returns 1 (checksum recomputed) if the block changed.
 */
int fixup_block_groups(uint8_t *block, uint32_t nodesize, unsigned csum_type, const struct single_layout *l);

/* ---- multi.c ---- */

/*
 * -m: each stripe of each chunk goes to its own target at its own
 * physical offset; RAID5/6 parity is recomputed at the end for every full
 * stripe written to (16 bytes remembered per piece written into a RAID5/6
 * chunk, never anything per byte of a chunk's length).
 */
struct multi_restore;
struct multi_restore *multi_new(struct target *targets, size_t count, const uint8_t *sb);
/* The map is complete: match devids to targets (dies when they do not match). */
void multi_begin(struct multi_restore *m, const struct chunk_map *map);
/* A chunk tree block passes: remember its DEV_ITEMs for the superblocks. */
void multi_see_tree_block(struct multi_restore *m, const uint8_t *block, uint32_t nodesize);
/* Write a piece lying inside chunk c to every device holding it. */
void multi_write(struct multi_restore *m, const struct chunk *c, uint64_t logical, const uint8_t *bytes, size_t len);
/* Parity, sizes, then each target's superblock. */
void multi_finish(struct multi_restore *m, const struct fs_info *fs);
void multi_free(struct multi_restore *m);

/* ---- superblock.c ---- */

/*
 * Turn the stream's superblock into the restored one (docs/restore.md: the
 * superblock, and -o), checksummed in the filesystem's own algorithm.
 */
void superblock_prepare(uint8_t *sb, const struct fs_info *fs, const struct options *opt);
/* For a multi-device source on one target: devices, sizes and the system chunks of the layout. */
void superblock_apply_layout(uint8_t *sb, const struct single_layout *l);
/*
 * Write it last: primary copy, and on a block device the copies that fit,
 * then read the primary back and check that it parses.
 */
void superblock_write(struct target *t, const uint8_t *sb);

/* ---- restore.c ---- */

/* targets: one, or with -m one per source device. */
void restore(int in_fd, const char *in_name, struct target *targets, size_t target_count, const struct options *opt);

#endif
