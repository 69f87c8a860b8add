/*
 * One tree block as it passes: the checks it can pass or fail on its own,
 * then its facts (struct vblock) and what its items point at (struct
 * vlink), kept for the walk at the end.  A block that fails a check keeps
 * its header facts (the report names its tree and level) but no links:
 * nothing it points at can be trusted.
 */
#include "crc32c.h"
#include "csum.h"
#include "le.h"
#include "msg.h"
#include "verify_state.h"

#include <string.h>

const char *const block_fault_text[FAULT_COUNT] = {
	[FAULT_NONE] = "sound",
	[FAULT_DAMAGED] = "flagged damaged by bimg-scan --rescue=copy (copied as it was read)",
	[FAULT_BYTENR] = "header bytenr does not match its address",
	[FAULT_FSID] = "header fsid is not the filesystem's",
	[FAULT_CSUM] = "checksum mismatch",
	[FAULT_LAYOUT_LEVEL] = "invalid tree level",
	[FAULT_LAYOUT_EMPTY_NODE] = "node has no pointers",
	[FAULT_LAYOUT_NODE_FULL] = "node has more pointers than fit",
	[FAULT_LAYOUT_ITEMS] = "leaf items or their data lie outside the block or overlap",
	[FAULT_KEY_ORDER] = "keys are not in ascending order",
	[FAULT_POINTER] = "a node pointer has address 0, an unaligned address or generation 0",
	[FAULT_FUTURE] = "generation is newer than the superblock's",
	[FAULT_ALIGN] = "address is not a multiple of the sector size",
};

/* The btrfs name hash seed: crc32c_raw(~1, name). */
#define NAME_HASH_SEED 0xFFFFFFFEu

void vlink_append(struct verifier *v, const struct vlink *link)
{
	facts_add_link(&v->facts, link);
}

static enum block_fault layout_fault(const uint8_t *block, uint32_t nodesize)
{
	const char *why = tree_block_check(block, nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT);

	if (!why)
		return FAULT_NONE;
	if (tree_block_level(block) >= BTRFS_MAX_LEVEL)
		return FAULT_LAYOUT_LEVEL;
	if (tree_block_level(block) > 0)
		return tree_block_nritems(block) == 0 ? FAULT_LAYOUT_EMPTY_NODE : FAULT_LAYOUT_NODE_FULL;
	return FAULT_LAYOUT_ITEMS;
}

/* Key of slot `slot` (item or pointer: the key comes first in both). */
static void slot_key(const uint8_t *block, uint32_t slot, struct btrfs_key *key)
{
	size_t size = tree_block_level(block) ? KEY_PTR_SIZE : ITEM_SIZE;

	key_read(block + HDR_SIZE + size * slot, key);
}

static enum block_fault content_fault(const struct verifier *v, const uint8_t *block)
{
	uint32_t nritems = tree_block_nritems(block), slot;
	uint64_t newest = v->newest_generation;
	struct btrfs_key prev, key;

	if (tree_block_generation(block) > newest)
		return FAULT_FUTURE;
	for (slot = 0; slot < nritems; slot++) {
		slot_key(block, slot, &key);
		if (slot && key_compare(&prev, &key) >= 0)
			return FAULT_KEY_ORDER;
		prev = key;
		if (tree_block_level(block)) {
			uint64_t ptr, gen;

			node_ptr(block, slot, &key, &ptr, &gen);
			if (!ptr || ptr % v->fs.sectorsize || !gen || gen > newest)
				return FAULT_POINTER;
		}
	}
	return FAULT_NONE;
}

static enum block_fault block_fault(struct verifier *v, uint64_t logical, uint64_t flags, const uint8_t *block)
{
	uint32_t nodesize = v->fs.nodesize;
	enum block_fault fault;

	if (flags & TREE_BLOCK_FLAG_DAMAGED)
		return FAULT_DAMAGED;
	if (logical % v->fs.sectorsize)
		return FAULT_ALIGN;
	if (tree_block_bytenr(block) != logical)
		return FAULT_BYTENR;
	if (memcmp(block + HDR_FSID, v->fs.header_fsid, BTRFS_UUID_SIZE) != 0)
		return FAULT_FSID;
	if (!csum_block_ok(v->fs.csum_type, block, nodesize)) {
		/* What the reference btrfs-image writes for a non-crc32c filesystem (the restore fixes it). */
		if (v->fs.csum_type == BTRFS_CSUM_CRC32C || !csum_block_is_reference_crc32c(block, nodesize))
			return FAULT_CSUM;
		v->reference_csums++;
	}
	fault = layout_fault(block, nodesize);
	if (fault == FAULT_NONE)
		fault = content_fault(v, block);
	return fault;
}

static void node_links(struct verifier *v, const uint8_t *block)
{
	uint32_t nritems = tree_block_nritems(block), slot;

	for (slot = 0; slot < nritems; slot++) {
		struct vlink link = { .kind = LINK_CHILD };
		struct btrfs_key key;

		node_ptr(block, slot, &key, &link.a, &link.b);
		link.c = key.objectid;
		link.d = key.offset;
		link.key_type = key.type;
		vlink_append(v, &link);
	}
}

static void root_item_link(struct verifier *v, const uint8_t *leaf, const struct btrfs_key *key, uint32_t off,
			   uint32_t size)
{
	struct vlink link = { .kind = LINK_ROOT, .c = key->objectid, .d = key->offset };

	if (size < ROOT_ITEM_MIN_SIZE) {
		/* A root with no usable item: the walk reports its address 0 as missing. */
		link.a = 0;
		vlink_append(v, &link);
		return;
	}
	link.a = get_le64(leaf, off + ROOT_ITEM_BYTENR);
	link.b = get_le64(leaf, off + ROOT_ITEM_GENERATION);
	link.level = get_le8(leaf, off + ROOT_ITEM_LEVEL);
	link.dead = get_le32(leaf, off + ROOT_ITEM_REFS) == 0;
	vlink_append(v, &link);
}

/* A regular (or compressed) extent with its bytes on disk: what a data image must hold. */
static void file_extent_link(struct verifier *v, const uint8_t *leaf, const struct btrfs_key *key, uint32_t off,
			     uint32_t size)
{
	struct vlink link = { .kind = LINK_DATA, .c = key->objectid, .d = key->offset };

	if (size < FILE_EXTENT_REG_SIZE || get_le8(leaf, off + FILE_EXTENT_TYPE) != BTRFS_FILE_EXTENT_REG)
		return;
	link.a = get_le64(leaf, off + FILE_EXTENT_DISK_BYTENR);
	link.b = get_le64(leaf, off + FILE_EXTENT_DISK_NUM_BYTES);
	if (!link.a || !link.b) /* a hole */
		return;
	vlink_append(v, &link);
}

static void chunk_item_link(struct verifier *v, const uint8_t *leaf, uint32_t slot, const struct btrfs_key *key,
			    uint32_t off, uint32_t size)
{
	struct vlink link = { .kind = LINK_CHUNK, .a = key->offset };

	if (verify_chunk_item(v, tree_block_bytenr(leaf), slot, key->offset, leaf + off, size))
		return;
	link.b = get_le64(leaf, off + CHUNK_LENGTH);
	link.c = get_le64(leaf, off + CHUNK_TYPE);
	link.d = crc32c(leaf + off, size);
	vlink_append(v, &link);
}

static void block_group_link(struct verifier *v, const uint8_t *leaf, const struct btrfs_key *key, uint32_t off,
			     uint32_t size)
{
	struct vlink link = { .kind = LINK_BLOCK_GROUP, .a = key->objectid, .b = key->offset };

	if (size >= BLOCK_GROUP_ITEM_SIZE)
		link.c = get_le64(leaf, off + BLOCK_GROUP_ITEM_FLAGS);
	vlink_append(v, &link);
}

/* Directory entries whose name does not hash to their key: names replaced by -s (counted, not damage). */
static void check_dir_item(struct verifier *v, const uint8_t *leaf, const struct btrfs_key *key, uint32_t off,
			   uint32_t size)
{
	uint32_t pos = 0;

	v->dir_items++;
	while (size - pos >= DIR_ITEM_HEADER) {
		uint32_t name_len = get_le16(leaf, off + pos + DIR_ITEM_NAME_LEN);
		uint32_t data_len = get_le16(leaf, off + pos + DIR_ITEM_DATA_LEN);

		if ((uint64_t)DIR_ITEM_HEADER + name_len + data_len > size - pos)
			return;
		if (crc32c_raw(NAME_HASH_SEED, leaf + off + pos + DIR_ITEM_HEADER, name_len) != key->offset) {
			v->dir_hash_mismatches++;
			return;
		}
		pos += DIR_ITEM_HEADER + name_len + data_len;
	}
}

static int is_fs_tree_owner(uint64_t owner)
{
	return owner == BTRFS_FS_TREE_OBJECTID || owner == BTRFS_TREE_RELOC_OBJECTID ||
	       owner == BTRFS_DATA_RELOC_TREE_OBJECTID || owner == BTRFS_TREE_LOG_OBJECTID ||
	       (owner >= BTRFS_FIRST_FREE_OBJECTID && owner <= BTRFS_LAST_FREE_OBJECTID);
}

/* The items the walk will need, by the tree the leaf says it belongs to. */
static void leaf_links(struct verifier *v, const uint8_t *leaf)
{
	uint64_t owner = tree_block_owner(leaf);
	int roots = owner == BTRFS_ROOT_TREE_OBJECTID || owner == BTRFS_TREE_LOG_OBJECTID;
	/* the v1 free space cache is in every image; file data only in data images */
	int data = owner == BTRFS_ROOT_TREE_OBJECTID || ((v->fs.content & CONTENT_DATA) && is_fs_tree_owner(owner));
	uint32_t nritems = tree_block_nritems(leaf), slot;

	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		leaf_item(leaf, v->fs.nodesize, slot, &key, &off, &size);
		if (key.type == BTRFS_ROOT_ITEM_KEY && roots)
			root_item_link(v, leaf, &key, off, size);
		else if (key.type == BTRFS_EXTENT_DATA_KEY && data)
			file_extent_link(v, leaf, &key, off, size);
		else if (key.type == BTRFS_CHUNK_ITEM_KEY && owner == BTRFS_CHUNK_TREE_OBJECTID)
			chunk_item_link(v, leaf, slot, &key, off, size);
		else if (key.type == BTRFS_BLOCK_GROUP_ITEM_KEY)
			block_group_link(v, leaf, &key, off, size);
		else if (key.type == BTRFS_DIR_ITEM_KEY)
			check_dir_item(v, leaf, &key, off, size);
	}
}

void verify_block_record(struct verifier *v, uint64_t logical, uint64_t flags, const uint8_t *block)
{
	struct vblock b = { 0 };
	struct btrfs_key first = { 0 };

	if (v->facts.nblocks >= UINT32_MAX)
		die("verify: more than %u tree blocks", UINT32_MAX);
	b.bytenr = logical;
	b.seq = (uint32_t)v->facts.nblocks;
	b.generation = tree_block_generation(block);
	b.owner = tree_block_owner(block);
	b.level = tree_block_level(block);
	b.fault = (uint8_t)block_fault(v, logical, flags, block);
	b.link_first = (uint32_t)v->facts.nlinks;
	if (b.fault == FAULT_NONE) {
		if (tree_block_nritems(block))
			slot_key(block, 0, &first);
		if (b.level)
			node_links(v, block);
		else
			leaf_links(v, block);
	}
	b.key_objectid = first.objectid;
	b.key_type = first.type;
	b.key_offset = first.offset;
	/* a block has at most 2617 items (64 KiB leaf): only the total can overflow */
	if (v->facts.nlinks > UINT32_MAX)
		die("verify: more than %u pointers and items to follow", UINT32_MAX);
	b.link_count = (uint16_t)(v->facts.nlinks - b.link_first);
	facts_add_block(&v->facts, &b);
}
