/*
 * -ss: copies of a DIR_ITEM or INODE_EXTREF key's hash outside the items
 * and node pointers that placement.h moves.  A name of 1..4 bytes is given
 * back by its hash wherever that is written, so each copy follows the key
 * it copies, or is hidden.  Two such places exist:
 *
 * - A ROOT_ITEM's drop_progress: the key of a node pointer (at drop_level)
 *   of a subvolume being deleted, where the deletion stopped.  It takes
 *   the new key of the pointers that had it.  When those are not in the
 *   stream or do not agree, its offset goes to the largest value, so the
 *   kernel resumes at or after the pointer where it stopped (never before:
 *   that would free blocks a second time), leaving at worst some blocks of
 *   that subvolume allocated.  docs/sanitize.md, "What is replaced".
 * - A DIR_LOG_ITEM (older kernels' log trees): its key offset and its end
 *   bound a range of DIR_ITEM hashes.  A bound that is a short name's hash,
 *   or one above or below it, follows that name's new hash; a leaf or node
 *   where a bound matches two names that moved apart, or where the ranges
 *   would fall out of order, is wiped (block.h) instead.
 *
 * Memory: 56 bytes per root item whose drop_progress key is of a hash type, and when
 * the stream holds a dir log item, 12 bytes per distinct short name.
 */
#ifndef BIMG_SANITIZE_HASHCOPIES_H
#define BIMG_SANITIZE_HASHCOPIES_H

#include "namemap.h"
#include "placement.h"

#include <stdint.h>

struct hash_copies;

struct hash_copies *hash_copies_new(void);
void hash_copies_free(struct hash_copies *hc);

/* First pass: note the copies in a readable block; 1 if it must wait for placement_assign. */
int hash_copies_scan(struct hash_copies *hc, const uint8_t *block, uint32_t nodesize);

/* After placement_assign: where every copy goes. */
void hash_copies_resolve(struct hash_copies *hc, const struct placement *p, struct name_map *map);

/* Second pass: NULL when the block's copies can follow, else why the block is wiped. */
const char *hash_copies_unmappable(const struct hash_copies *hc, const uint8_t *block, uint32_t nodesize);

/* Second pass: move the copies in the block; 1 if a byte changed. */
int hash_copies_fix(struct hash_copies *hc, uint8_t *block, uint32_t nodesize);

/* drop_progress keys moved with their pointers, and hidden (no pointer agreed); dir log bounds moved. */
void hash_copies_counts(const struct hash_copies *hc, uint64_t *drops_moved, uint64_t *drops_hidden,
			uint64_t *log_bounds_moved);

#endif
