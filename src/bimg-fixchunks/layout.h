/*
 * Where each chunk of a multi-device source goes on the one target.  A
 * copy keeps its original physical offset when that range is free (lower
 * offsets win) and does not put a superblock mirror into bytes the source
 * used; every other copy is moved past the end of used space.  The placed
 * map doubles the chunk map (chunk.h gives its size).
 */
#ifndef BIMG_FIXCHUNKS_LAYOUT_H
#define BIMG_FIXCHUNKS_LAYOUT_H

#include "btrfs.h"
#include "chunk.h"

#include <stdint.h>

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

#endif
