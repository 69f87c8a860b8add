/*
 * Tree blocks found by walking the trees (-w), and the log trees in every
 * mode.  seen is a hash set (hashmap_init_set) of the blocks offered so
 * far, shared by both walks: 16 to 32 bytes per tree block.
 */
#ifndef BIMG_SCAN_WALK_H
#define BIMG_SCAN_WALK_H

#include "devices.h"
#include "hashmap.h"

void offer_by_walking(struct scan_fs *fs, struct hashmap *seen);
void offer_log_tree(struct scan_fs *fs, struct hashmap *seen);

#endif
