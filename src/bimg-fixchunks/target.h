/*
 * The restore's targets: opened (and refused when writing them would
 * destroy what is read), write-combined pwrites whose write-out starts
 * early, the final size.
 */
#ifndef BIMG_FIXCHUNKS_TARGET_H
#define BIMG_FIXCHUNKS_TARGET_H

#include "btrfs.h"
#include "xio.h"

#include <stddef.h>
#include <stdint.h>

struct restore_options;

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
	struct writeback writeback; /* the disk writes while the next blocks are placed */
};

/*
 * Open the targets (a regular file is created if missing) for writing.
 * Refused before anything is opened: a target that is the file or device
 * standard input reads, that is also another target (by any name), or
 * that is a symlink to a missing file.  Refused when opened: a mounted
 * device, a file behind a mounted loop device, and without --force a
 * target holding a btrfs-image file or a record stream (what restores
 * read: perhaps the one being read through a pipe).  The old primary
 * superblock is read; a target holding an earlier restore (the metadump
 * flags) is claimed at once, any other waits for the stream's superblock
 * (a real filesystem may be the image's own source; other data is left
 * as it was when the stream never starts).
 */
void targets_open(struct target *targets, char **paths, size_t count, const struct restore_options *opt);
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

#endif
