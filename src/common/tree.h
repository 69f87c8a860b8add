/*
 * Tree blocks: header fields, validation, and bounds-checked access to
 * leaf items and node pointers.
 */
#ifndef BIMG_COMMON_TREE_H
#define BIMG_COMMON_TREE_H

#include "btrfs.h"
#include "le.h"

#include <stddef.h>
#include <stdint.h>

struct btrfs_key {
	uint64_t objectid;
	uint8_t type;
	uint64_t offset;
};

static inline uint64_t tree_block_bytenr(const uint8_t *b) { return get_le64(b, HDR_BYTENR); }
static inline uint64_t tree_block_generation(const uint8_t *b) { return get_le64(b, HDR_GENERATION); }
static inline uint64_t tree_block_owner(const uint8_t *b) { return get_le64(b, HDR_OWNER); }
static inline uint32_t tree_block_nritems(const uint8_t *b) { return get_le32(b, HDR_NRITEMS); }
static inline uint8_t tree_block_level(const uint8_t *b) { return get_le8(b, HDR_LEVEL); }

static inline void key_read(const uint8_t *p, struct btrfs_key *key)
{
	key->objectid = get_le64(p, KEY_OBJECTID);
	key->type = get_le8(p, KEY_TYPE);
	key->offset = get_le64(p, KEY_OFFSET);
}

/* Keys sort by (objectid, type, offset) as unsigned integers: -1, 0 or 1. */
static inline int key_compare(const struct btrfs_key *a, const struct btrfs_key *b)
{
	if (a->objectid != b->objectid)
		return a->objectid < b->objectid ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/* What tree_block_check() verifies. */
enum {
	TREE_CHECK_BYTENR = 1 << 0,
	TREE_CHECK_FSID = 1 << 1,
	TREE_CHECK_CSUM = 1 << 2,
	TREE_CHECK_LAYOUT = 1 << 3, /* level, nritems and (for leaves) item bounds */
	TREE_CHECK_ALL = 0xF,
};

/*
 * Check a tree block read from logical address bytenr.  Returns NULL if
 * the block passes every requested check, else a static message.
 */
const char *tree_block_check(const uint8_t *block, uint32_t nodesize, uint64_t bytenr,
			     const uint8_t fsid[BTRFS_UUID_SIZE], unsigned csum_type, unsigned checks);

/*
 * Leaf item `slot`: its key, and the absolute offset and size of its data
 * within the block.  Returns 0, or -1 if the item or its data lies outside
 * the block (callers that ran TREE_CHECK_LAYOUT never see -1).
 */
int leaf_item(const uint8_t *leaf, uint32_t nodesize, uint32_t slot, struct btrfs_key *key, uint32_t *data_offset,
	      uint32_t *data_size);

/* "ROOT_TREE", "FS_TREE", ... for well-known tree ids, else the decimal id (static buffer). */
const char *tree_name(uint64_t owner);

/* Node pointer `slot`: key, child address and generation. */
void node_ptr(const uint8_t *node, uint32_t slot, struct btrfs_key *key, uint64_t *blockptr, uint64_t *generation);

#endif
