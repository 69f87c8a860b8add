/*
 * The chunk map of the filesystem being read: the superblock's system
 * chunks, then the chunk tree, each of its chunks sent on as a CHUNK record.
 */
#ifndef BIMG_SCAN_CHUNKS_H
#define BIMG_SCAN_CHUNKS_H

#include "devices.h"

/* Fill fs->map; dies on a chunk that does not check out. */
void chunks_load(struct scan_fs *fs);

#endif
