/* The restored superblock, prepared from the stream's and written last. */
#ifndef BIMG_FIXCHUNKS_SUPERBLOCK_H
#define BIMG_FIXCHUNKS_SUPERBLOCK_H

#include "layout.h"
#include "stream.h"
#include "target.h"

#include <stdint.h>

struct restore_options;

/*
 * Turn the stream's superblock into the restored one (docs/restore.md: the
 * superblock, and -o), checksummed in the filesystem's own algorithm.
 */
void superblock_prepare(uint8_t *sb, const struct fs_info *fs, const struct restore_options *opt);
/* For a multi-device source on one target: devices, sizes and the system chunks of the layout. */
void superblock_apply_layout(uint8_t *sb, const struct single_layout *l);
/*
 * Write it last: primary copy, and on a block device the copies that fit,
 * then read the primary back and check that it parses.
 */
void superblock_write(struct target *t, const uint8_t *sb);

#endif
