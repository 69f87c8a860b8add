#include "leaf.h"
#include "btrfs.h"
#include "crc32c.h"
#include "le.h"
#include "placement.h"
#include "readable.h"
#include "reserved.h"
#include "tree.h"

#include <string.h>

#define INODE_ITEM_RESERVED 80
#define INODE_ITEM_RESERVED_SIZE 32

struct leaf_ctx {
	struct name_map *map;
	struct name_map *xattr_map;
	struct leaf_stats *stats;
	uint64_t generation;
	int changed;
};

static void replace_name(struct leaf_ctx *c, struct name_map *map, uint8_t *name, size_t n)
{
	const uint8_t *repl;

	if (n == 0)
		return;
	repl = name_map_get(map, name, n);
	c->stats->names++;
	if (memcmp(repl, name, n) != 0) {
		memcpy(name, repl, n);
		c->changed = 1;
	}
}

static void zero_bytes(struct leaf_ctx *c, uint8_t *p, size_t n, uint64_t *counter)
{
	if (!zero_if_set(p, n))
		return;
	c->changed = 1;
	(*counter)++;
}

static uint32_t record_header(uint8_t type)
{
	switch (type) {
	case BTRFS_DIR_ITEM_KEY:
	case BTRFS_DIR_INDEX_KEY:
	case BTRFS_XATTR_ITEM_KEY:
		return DIR_ITEM_HEADER;
	case BTRFS_INODE_REF_KEY:
		return INODE_REF_HEADER;
	case BTRFS_INODE_EXTREF_KEY:
		return INODE_EXTREF_HEADER;
	case BTRFS_ROOT_REF_KEY:
	case BTRFS_ROOT_BACKREF_KEY:
		return ROOT_REF_HEADER;
	}
	return 0;
}

int item_holds_names(uint8_t type)
{
	return record_header(type) != 0;
}

int item_name_records(uint8_t type, uint8_t *item, uint32_t size, name_record_fn fn, void *ctx)
{
	uint32_t header = record_header(type), off = 0;
	int count = 0;

	if (!header)
		return 0;
	while (off < size) {
		uint8_t *rec = item + off;
		uint32_t name_len, data_len = 0;

		if (size - off < header)
			return -1;
		if (header == DIR_ITEM_HEADER) {
			name_len = get_le16(rec, DIR_ITEM_NAME_LEN);
			data_len = get_le16(rec, DIR_ITEM_DATA_LEN);
		} else {
			/* Every ref record's header ends with its name length. */
			name_len = get_le16(rec, header - 2);
		}
		if (size - off - header < name_len + data_len)
			return -1;
		fn(ctx, type, rec, rec + header, name_len);
		off += header + name_len + data_len;
		count++;
	}
	return count;
}

static void sanitize_record(void *ctx, uint8_t type, uint8_t *rec, uint8_t *name, size_t name_len)
{
	struct leaf_ctx *c = ctx;

	if (type == BTRFS_XATTR_ITEM_KEY) {
		zero_bytes(c, name + name_len, get_le16(rec, DIR_ITEM_DATA_LEN), &c->stats->xattr_values);
		replace_name(c, c->xattr_map, name, name_len);
		return;
	}
	replace_name(c, c->map, name, name_len);
	if ((type == BTRFS_DIR_ITEM_KEY || type == BTRFS_DIR_INDEX_KEY) &&
	    get_le64(rec, DIR_ITEM_TRANSID) > c->generation) {
		put_le64(rec, DIR_ITEM_TRANSID, c->generation);
		c->stats->transids++;
		c->changed = 1;
	}
}

/* After the names changed: keys of movable short names take their new hash, inside their windows. */
static void move_keys(struct leaf_ctx *c, uint8_t *block, const struct short_key *keys, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct short_key *k = &keys[i];
		uint32_t h;

		if (!k->movable)
			continue;
		h = crc32c_raw(k->window.seed, k->name, k->name_len);
		if (h == k->key.offset || h < k->window.lo || h > k->window.hi)
			continue;
		put_le64(block + HDR_SIZE + (size_t)k->slot * ITEM_SIZE, KEY_OFFSET, h);
		c->stats->rekeyed++;
		c->changed = 1;
	}
}

static void inline_extent(struct leaf_ctx *c, uint8_t *item, uint32_t size)
{
	if (size > FILE_EXTENT_INLINE_DATA && item[FILE_EXTENT_TYPE] == BTRFS_FILE_EXTENT_INLINE)
		zero_bytes(c, item + FILE_EXTENT_INLINE_DATA, size - FILE_EXTENT_INLINE_DATA,
			   &c->stats->inline_extents);
}

/*
 * -ss: an extent item of a tree block (filesystems without skinny metadata) repeats the block's
 * first key as it was when the block was made.  A DIR_ITEM or INODE_EXTREF key there is a name's
 * hash, and that of a name of 1..4 bytes gives the name back; it is often stale, so it cannot
 * follow the name's new key.  Its offset goes to 0: nothing reads it but relocation, which reads
 * the block's own first key instead.
 */
static void tree_block_info_key(struct leaf_ctx *c, uint8_t *item, uint32_t size)
{
	uint8_t type;

	if (size < EXTENT_ITEM_MIN_SIZE + KEY_SIZE + 1 ||
	    !(get_le64(item, EXTENT_ITEM_FLAGS) & BTRFS_EXTENT_FLAG_TREE_BLOCK))
		return;
	type = item[EXTENT_ITEM_MIN_SIZE + KEY_TYPE];
	if ((type != BTRFS_DIR_ITEM_KEY && type != BTRFS_INODE_EXTREF_KEY) ||
	    get_le64(item, EXTENT_ITEM_MIN_SIZE + KEY_OFFSET) == 0)
		return;
	put_le64(item, EXTENT_ITEM_MIN_SIZE + KEY_OFFSET, 0);
	c->stats->info_keys++;
	c->changed = 1;
}

/* The inode item's 32 reserved bytes (offset 80): log tree leaves carry stale bytes there, names included. */
static void inode_reserved(struct leaf_ctx *c, uint8_t *item, uint32_t size)
{
	if (size >= INODE_ITEM_RESERVED + INODE_ITEM_RESERVED_SIZE)
		zero_bytes(c, item + INODE_ITEM_RESERVED, INODE_ITEM_RESERVED_SIZE, &c->stats->reserved);
}

int sanitize_block(struct name_map *map, struct name_map *xattr_map, uint8_t *block, uint32_t nodesize,
		   uint32_t sectorsize, int keep_inline_data, const struct placement *placement, uint64_t logical,
		   struct leaf_stats *stats)
{
	static struct short_key short_keys[SHORT_KEYS_MAX];
	struct leaf_ctx c = { map, xattr_map, stats, tree_block_generation(block), 0 };
	struct reserved_found found = { 0 };
	size_t short_count = 0;
	uint32_t nritems = tree_block_nritems(block);

	/* Callers pass readable blocks (readable.h); these bounds only keep a wrong call in the block. */
	if (tree_block_level(block) != 0 || nritems > (nodesize - HDR_SIZE) / ITEM_SIZE)
		return 0;
	/* Windows come from the original keys, before any of them moves. */
	if (placement)
		short_count = leaf_short_keys(block, nodesize, placement_next_key(placement, logical),
					      placement_first_fixed(placement, logical), short_keys);
	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		uint8_t *item;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			continue;
		item = block + off;
		if (reserved_zero_item(&key, item, size, sectorsize, &found)) {
			stats->undefined++;
			c.changed = 1;
		}
		switch (key.type) {
		case BTRFS_INODE_ITEM_KEY:
			inode_reserved(&c, item, size);
			break;
		case BTRFS_EXTENT_DATA_KEY:
			if (!keep_inline_data)
				inline_extent(&c, item, size);
			break;
		case BTRFS_VERITY_DESC_ITEM_KEY:
		case BTRFS_VERITY_MERKLE_ITEM_KEY:
			/* Derived from the file's data (hashes, salt, a signature): data, as -d alone keeps. */
			if (!keep_inline_data && (key.type == BTRFS_VERITY_MERKLE_ITEM_KEY || key.offset))
				zero_bytes(&c, item, size, &stats->opaque);
			break;
		case BTRFS_CSUM_ITEM_KEY:
			zero_bytes(&c, item, size, &stats->opaque);
			break;
		case BTRFS_EXTENT_ITEM_KEY:
			if (placement)
				tree_block_info_key(&c, item, size);
			break;
		default:
			item_name_records(key.type, item, size, sanitize_record, &c);
			break;
		}
	}
	move_keys(&c, block, short_keys, short_count);
	reserved_report(&found, logical);
	return c.changed;
}
