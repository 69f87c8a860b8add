/*
 * Items that arrive before their chunk is known, kept in arrival order
 * until the map is complete.  Up to HOLDBACK_MEMORY bytes of them
 * stay in memory; beyond that they go to an unlinked file in $TMPDIR
 * (the environment variable BIMG_FIXCHUNKS_HOLDBACK_MEMORY overrides the
 * bound, for tests).
 * Each held item also costs a 32-byte entry in memory.
 */
#ifndef BIMG_FIXCHUNKS_HOLDBACK_H
#define BIMG_FIXCHUNKS_HOLDBACK_H

#include "vec.h"

#include <stddef.h>
#include <stdint.h>

#define HOLDBACK_MEMORY (64u << 20)
struct held_item;
struct holdback {
	VEC(struct held_item) items;
	size_t memory_used;
	uint64_t memory_limit; /* HOLDBACK_MEMORY, or $BIMG_FIXCHUNKS_HOLDBACK_MEMORY */
	int spill_fd;
	uint64_t spill_end;
	uint64_t total_bytes;
};
enum item_kind { ITEM_TREE_BLOCK, ITEM_DATA };
void holdback_init(struct holdback *h);
void holdback_add(struct holdback *h, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len);
/* Hand every held item, in arrival order, to fn, then forget them all. */
typedef void (*holdback_fn)(void *ctx, enum item_kind kind, uint64_t logical, const uint8_t *bytes, size_t len);
void holdback_drain(struct holdback *h, holdback_fn fn, void *ctx);
void holdback_free(struct holdback *h);

#endif
