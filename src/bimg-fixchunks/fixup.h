/*
 * Chunk tree and device tree blocks of a multi-device source, held in
 * memory until the end (their items depend on the whole layout, and a
 * changed first key must reach the parent node).  Both trees hold a few
 * hundred bytes per chunk: FIXUP_MEMORY_MAX bounds them (enough for
 * about 200 000 chunks with 16 KiB nodes).
 */
#ifndef BIMG_FIXCHUNKS_FIXUP_H
#define BIMG_FIXCHUNKS_FIXUP_H

#include "hashmap.h"
#include "layout.h"
#include "vec.h"

#include <stddef.h>
#include <stdint.h>

#define FIXUP_MEMORY_MAX (256u << 20)
struct fixup_block;
struct tree_fixup {
	VEC(struct fixup_block) blocks;
	struct hashmap by_logical; /* block address -> index in blocks */
	uint64_t memory;
	uint32_t nodesize;
	unsigned csum_type;
};
void fixup_init(struct tree_fixup *f, uint32_t nodesize, unsigned csum_type);
/* Is this a block fixup_hold() must take (chunk or device tree)? */
int fixup_wants(const uint8_t *block);
void fixup_hold(struct tree_fixup *f, uint64_t logical, const uint8_t *block);
/*
 * Rewrite the held blocks for the layout: chunk items shrink to SINGLE or
 * DUP, DEV_ITEMs of other devices go, the device tree's extents describe
 * the new layout, node keys follow; then hand each block to write.
 */
typedef void (*fixup_write_fn)(void *ctx, uint64_t logical, const uint8_t *block);
void fixup_finish(struct tree_fixup *f, const struct single_layout *l, fixup_write_fn write, void *ctx);
void fixup_free(struct tree_fixup *f);
/*
 * Block group items of an extent tree or block group tree leaf take their
 * chunk's new type; returns 1 (checksum recomputed) if the block changed.
 */
int fixup_block_groups(uint8_t *block, uint32_t nodesize, unsigned csum_type, const struct single_layout *l);

#endif
