#include "leaf.h"

#include <string.h>

#include "btrfs.h"
#include "le.h"
#include "tree.h"

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
	for (size_t i = 0; i < n; i++)
		if (p[i]) {
			memset(p, 0, n);
			c->changed = 1;
			(*counter)++;
			return;
		}
}

/* DIR_ITEM, DIR_INDEX, XATTR_ITEM: 30-byte headers, each followed by name and data. */
static void dir_records(struct leaf_ctx *c, uint8_t *item, uint32_t size, uint8_t type)
{
	uint32_t off = 0;

	while (off < size) {
		uint8_t *rec = item + off;
		uint32_t name_len, data_len;

		if (size - off < DIR_ITEM_HEADER) {
			c->stats->malformed++;
			return;
		}
		name_len = get_le16(rec, DIR_ITEM_NAME_LEN);
		data_len = get_le16(rec, DIR_ITEM_DATA_LEN);
		if (size - off - DIR_ITEM_HEADER < name_len + data_len) {
			c->stats->malformed++;
			return;
		}
		if (type == BTRFS_XATTR_ITEM_KEY) {
			zero_bytes(c, rec + DIR_ITEM_HEADER + name_len, data_len, &c->stats->xattr_values);
			replace_name(c, c->xattr_map, rec + DIR_ITEM_HEADER, name_len);
		} else {
			replace_name(c, c->map, rec + DIR_ITEM_HEADER, name_len);
			if (get_le64(rec, DIR_ITEM_TRANSID) > c->generation) {
				put_le64(rec, DIR_ITEM_TRANSID, c->generation);
				c->stats->transids++;
				c->changed = 1;
			}
		}
		off += DIR_ITEM_HEADER + name_len + data_len;
	}
}

/* INODE_REF (10-byte header), INODE_EXTREF, ROOT_REF, ROOT_BACKREF (18): header ends with name_len. */
static void ref_records(struct leaf_ctx *c, uint8_t *item, uint32_t size, uint32_t header)
{
	uint32_t off = 0;

	while (off < size) {
		uint32_t name_len;

		if (size - off < header) {
			c->stats->malformed++;
			return;
		}
		name_len = get_le16(item + off, header - 2);
		if (size - off - header < name_len) {
			c->stats->malformed++;
			return;
		}
		replace_name(c, c->map, item + off + header, name_len);
		off += header + name_len;
	}
}

static void inline_extent(struct leaf_ctx *c, uint8_t *item, uint32_t size)
{
	if (size > FILE_EXTENT_INLINE_DATA && item[FILE_EXTENT_TYPE] == BTRFS_FILE_EXTENT_INLINE)
		zero_bytes(c, item + FILE_EXTENT_INLINE_DATA, size - FILE_EXTENT_INLINE_DATA,
			   &c->stats->inline_extents);
}

/* The inode item's 32 reserved bytes (offset 80): log tree leaves carry stale bytes there, names included. */
static void inode_reserved(struct leaf_ctx *c, uint8_t *item, uint32_t size)
{
	if (size >= INODE_ITEM_RESERVED + INODE_ITEM_RESERVED_SIZE)
		zero_bytes(c, item + INODE_ITEM_RESERVED, INODE_ITEM_RESERVED_SIZE, &c->stats->reserved);
}

int sanitize_block(struct name_map *map, struct name_map *xattr_map, uint8_t *block, uint32_t nodesize,
		   int keep_inline_data,
		   struct leaf_stats *stats)
{
	struct leaf_ctx c = { map, xattr_map, stats, tree_block_generation(block), 0 };
	uint32_t nritems;

	if (tree_block_level(block) != 0)
		return 0;
	nritems = tree_block_nritems(block);
	if (nritems > (nodesize - HDR_SIZE) / ITEM_SIZE) {
		stats->malformed++;
		return 0;
	}
	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		uint8_t *item;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0) {
			stats->malformed++;
			continue;
		}
		item = block + off;
		switch (key.type) {
		case BTRFS_DIR_ITEM_KEY:
		case BTRFS_DIR_INDEX_KEY:
		case BTRFS_XATTR_ITEM_KEY:
			dir_records(&c, item, size, key.type);
			break;
		case BTRFS_INODE_REF_KEY:
			ref_records(&c, item, size, INODE_REF_HEADER);
			break;
		case BTRFS_INODE_EXTREF_KEY:
			ref_records(&c, item, size, INODE_EXTREF_HEADER);
			break;
		case BTRFS_ROOT_REF_KEY:
		case BTRFS_ROOT_BACKREF_KEY:
			ref_records(&c, item, size, ROOT_REF_HEADER);
			break;
		case BTRFS_INODE_ITEM_KEY:
			inode_reserved(&c, item, size);
			break;
		case BTRFS_EXTENT_DATA_KEY:
			if (!keep_inline_data)
				inline_extent(&c, item, size);
			break;
		}
	}
	stats->blocks_changed += c.changed;
	return c.changed;
}
