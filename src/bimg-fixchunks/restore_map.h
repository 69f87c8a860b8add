/*
 * Where each logical address goes on the single target: the superblock's
 * system chunks, then the chunk tree leaves (or CHUNK records) as they
 * pass by.
 *
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
#ifndef BIMG_FIXCHUNKS_RESTORE_MAP_H
#define BIMG_FIXCHUNKS_RESTORE_MAP_H

#include "chunk.h"
#include "hashmap.h"
#include "super.h"
#include "vec.h"

#include <stddef.h>
#include <stdint.h>

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

#endif
