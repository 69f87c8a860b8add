/*
 * Is a device or file in use by a mounted filesystem?  bimg-scan warns
 * when its source is mounted; bimg-fixchunks refuses such a target.
 */
#ifndef BIMG_COMMON_MOUNTED_H
#define BIMG_COMMON_MOUNTED_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Non-zero if /proc/self/mountinfo lists the block device rdev, as the
 * mount's device number or as its source (btrfs reports an anonymous
 * device number there, so the source is what names the real device).
 */
int mountinfo_lists_device(dev_t rdev);

/*
 * For every loop device whose backing file is the file (st_dev, st_ino),
 * call in_use(loop path, loop device number, ctx); stop at the first
 * non-zero answer, copy that loop's path into out and return 1.  Returns 0
 * if no such loop device is in use.
 */
int backing_loop_in_use(dev_t st_dev, ino_t st_ino, int (*in_use)(const char *loop, dev_t rdev, void *ctx),
			void *ctx, char *out, size_t outlen);

#endif
