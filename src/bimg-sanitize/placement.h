/*
 * Names of 1..4 bytes under -ss, and the keys that move with them.
 *
 * A DIR_ITEM key offset is crc32c_raw(~1, name) and an INODE_EXTREF key
 * offset crc32c_raw(parent, name).  For names of 5 bytes and more -ss finds
 * another name with the same hash and no key changes.  For 1..4 bytes no
 * other name of that length has the hash (the CRC is injective there), and
 * the key itself gives the name back, so keeping the key would leak the
 * name and keeping the name too.  Instead the name is replaced by one whose
 * hash keeps the item in its slot: above the previous key and below the
 * next (between two short names, on its side of their midpoint), and the
 * key is rewritten to that hash.  Nothing else about the item changes.
 *
 * The item at slot 0 of a leaf may only move up (its key is also its
 * parent's pointer key, and nothing is known of the previous leaf); when it
 * moves, the key of every node pointer to that leaf moves with it (and up
 * the tree while the pointer is a node's first).  The last item may move up
 * to the key that follows the leaf, found through the node pointers after
 * the first pass (down only if that is unknown).
 *
 * One name has one replacement everywhere, so its windows from every leaf
 * (and every snapshot and subvolume) are intersected before it is chosen.
 * That needs every leaf first, so bimg-sanitize -ss reads the stream
 * twice: the first pass learns the windows and passes on at once every
 * block that holds no short name and no pointer that might move; the
 * others wait in a temporary file for the second pass.
 *
 * Memory: for each distinct short name one entry (about 40 bytes) and one
 * window per distinct seed (DIR_ITEM, and each parent of an INODE_EXTREF),
 * plus one record of up to 80 bytes per leaf whose first or last item is a
 * short name, per node pointer whose key (or whose successor's key) is a
 * DIR_ITEM or INODE_EXTREF key, and per node (its last pointer); 8 bytes
 * per wiped block.  The addresses of blocks whose first key is such a key
 * go to a temporary file (8 bytes each, on disk) and are matched against
 * the pointers at the end: a pointer to any other address points at a
 * block the stream lacks, whose key is hidden like a wiped block's.
 */
#ifndef BIMG_SANITIZE_PLACEMENT_H
#define BIMG_SANITIZE_PLACEMENT_H

#include "btrfs.h"
#include "collide.h"
#include "namemap.h"
#include "tree.h"

#include <stddef.h>
#include <stdint.h>

/* A record of a DIR_ITEM or INODE_EXTREF item whose name has 1..4 bytes (not "." or ".."). */
struct short_key {
	uint32_t slot;
	uint8_t *name; /* inside the leaf */
	uint8_t name_len;
	/* The item holds only this record, its key is the name's hash, and its neighbours are in order. */
	int movable;
	struct btrfs_key key; /* the item's key as found */
	/* Movable: where the key offset may go.  Otherwise the name's own hash only. */
	struct hash_window window;
};

/* Records a leaf can hold at most (18-byte extref headers with 1-byte names). */
#define SHORT_KEYS_MAX (BTRFS_MAX_NODESIZE / (INODE_EXTREF_HEADER + 1) + 1)

/*
 * The short-name records of a leaf, in slot order, with their windows; out
 * holds SHORT_KEYS_MAX.  next_key: the first key after the leaf in its
 * tree, or NULL if unknown (the last item may then only move down).
 * first_fixed: the first item must stay (placement_first_fixed).
 */
size_t leaf_short_keys(uint8_t *leaf, uint32_t nodesize, const struct btrfs_key *next_key, int first_fixed,
		       struct short_key *out);

struct placement;

struct placement *placement_new(void);
void placement_free(struct placement *p);

/*
 * First pass: learn from one tree block read at logical.  Returns 1 if the
 * block must wait for placement_assign (it holds a short name, or a node
 * pointer whose key may move).
 */
int placement_scan(struct placement *p, uint64_t logical, uint8_t *block, uint32_t nodesize);

/*
 * First pass: the block at logical was wiped (block.h).  The keys of node
 * pointers to it move as high as they may, so that none keeps a short
 * name's hash.
 */
void placement_wiped(struct placement *p, uint64_t logical);

/* Give every short name its replacement in map, then work out which node pointers move. */
void placement_assign(struct placement *p, struct name_map *map);

/* Second pass: the key after the leaf at logical, for leaf_short_keys (NULL: unknown). */
const struct btrfs_key *placement_next_key(const struct placement *p, uint64_t logical);

/* Second pass: must the first item of the leaf at logical stay (too many pointers to it)? */
int placement_first_fixed(const struct placement *p, uint64_t logical);

/* Second pass: move the pointer keys of a node; returns 1 if it changed. */
int placement_fix_node(struct placement *p, uint64_t logical, uint8_t *block, uint32_t nodesize);

/*
 * After placement_assign: every node pointer whose key is a DIR_ITEM or
 * INODE_EXTREF key, with the key it had and the key it gets (the same when
 * it stays); and every distinct short name.
 */
typedef void (*placement_pointer_fn)(void *ctx, const struct btrfs_key *old_key, const struct btrfs_key *new_key);
typedef void (*placement_name_fn)(void *ctx, const uint8_t *name, size_t n);
void placement_each_pointer(const struct placement *p, placement_pointer_fn fn, void *ctx);
void placement_each_name(const struct placement *p, placement_name_fn fn, void *ctx);

/* Node pointer keys moved so far. */
uint64_t placement_pointers_moved(const struct placement *p);

#endif
