/*
 * A bounded path through one tree, in key order: memory is (levels) x
 * nodesize whatever the tree's size.  Also the root tree lookups every
 * reader starts from.
 */
#ifndef BIMG_SCAN_CURSOR_H
#define BIMG_SCAN_CURSOR_H

#include "btrfs.h"
#include "devices.h"
#include "tree.h"

#include <stddef.h>
#include <stdint.h>

struct tree_cursor {
	struct scan_fs *fs;
	int top; /* level of the root; -1 if rescue could not read it */
	uint8_t *nodes[BTRFS_MAX_LEVEL];
	uint32_t slots[BTRFS_MAX_LEVEL];
	int valid; /* 0 once past the last item */
};
void cursor_open(struct tree_cursor *c, struct scan_fs *fs, uint64_t root, int root_level, const char *what);
void cursor_close(struct tree_cursor *c);
/* Position at the first item whose key is >= key. */
void cursor_seek(struct tree_cursor *c, const struct btrfs_key *key);
/* Current item: leaf, slot (only while c->valid). */
static inline const uint8_t *cursor_leaf(const struct tree_cursor *c) { return c->nodes[0]; }
static inline uint32_t cursor_slot(const struct tree_cursor *c) { return c->slots[0]; }
/* Advance to the next item (crossing leaves). */
void cursor_next(struct tree_cursor *c);
/* Move past the current leaf, to the first item of the next one. */
void cursor_next_leaf(struct tree_cursor *c);
/* Does a child block read through a pointer fit it (level, generation)?  NULL, or why not (in why). */
const char *child_mismatch(const struct scan_fs *fs, const uint8_t *child, int expect_level, char *why, size_t size);

/* Read the root tree's root block (dies if it has no good copy). */
void check_root_tree(struct scan_fs *fs);
/* The root of a tree from the root tree's ROOT_ITEM (objectid), or dies. */
void find_tree_root(struct scan_fs *fs, uint64_t objectid, uint64_t *bytenr, int *level);

#endif
