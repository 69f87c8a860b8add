/*
 * The record loop of a restore: every record of the stream checked, placed
 * through the restore map (or held back until it can be), the superblock
 * written last.
 */
#ifndef BIMG_FIXCHUNKS_RESTORE_H
#define BIMG_FIXCHUNKS_RESTORE_H

#include "btrfs.h"
#include "target.h"

#include <stddef.h>
#include <stdint.h>

struct restore_options {
	int old_restore;       /* -o: every item at its logical address */
	int ignore_bad_blocks; /* write failing tree blocks as they are */
	int multi_device;      /* -m: one target per source device */
	int force;             /* overwrite the filesystem the image was made from */
	int new_fsid;          /* --new-fsid: give the restored filesystem new_fsid_value */
	uint8_t new_fsid_value[BTRFS_UUID_SIZE];
};

/* targets: one, or with -m one per source device. */
void restore(int in_fd, const char *in_name, struct target *targets, size_t target_count, const struct restore_options *opt);

#endif
