/*
 * The btrfs filesystems a file or device holds, for a program about to
 * write it while something upstream in a pipe may be reading it: the
 * stream's FS_INFO then names the filesystem being read, and an output
 * that holds it is refused (no comparison of names can see across a pipe).
 */
#ifndef BIMG_COMMON_HELD_H
#define BIMG_COMMON_HELD_H

#include "btrfs.h"

#include <stddef.h>
#include <stdint.h>

/* The file itself and the loop devices over it: more than this many are not looked at. */
#define HELD_MAX_FILESYSTEMS 16

struct held_filesystems {
	size_t count;
	uint8_t fsid[HELD_MAX_FILESYSTEMS][BTRFS_UUID_SIZE];
};

/*
 * What path holds: a valid btrfs superblock of its own, and for a regular
 * file also every loop device over it, which may start at an offset
 * (losetup -o: a filesystem inside a disk image).  Adds to h.
 */
void held_filesystems_of(const char *path, struct held_filesystems *h);
/*
 * The same for standard output when it is written in place (a regular file
 * or a block device); returns 0, adding nothing, when it is not.
 */
int held_filesystems_of_stdout(struct held_filesystems *h);
int held_filesystems_include(const struct held_filesystems *h, const uint8_t fsid[BTRFS_UUID_SIZE]);

#endif
