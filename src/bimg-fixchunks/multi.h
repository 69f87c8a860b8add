/*
 * -m: each stripe of each chunk goes to its own target at its own
 * physical offset; RAID5/6 parity is recomputed at the end for every full
 * stripe written to (16 bytes remembered per piece written into a RAID5/6
 * chunk, never anything per byte of a chunk's length).
 */
#ifndef BIMG_FIXCHUNKS_MULTI_H
#define BIMG_FIXCHUNKS_MULTI_H

#include "chunk.h"
#include "stream.h"
#include "target.h"

#include <stddef.h>
#include <stdint.h>

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

#endif
