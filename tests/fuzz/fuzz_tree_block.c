/*
 * Fuzz the tree block layout check and everything that walks a block once
 * the check passed: leaf items, node pointers, and the name-carrying items
 * (DIR_ITEM / DIR_INDEX / XATTR_ITEM, INODE_REF, INODE_EXTREF, ROOT_REF)
 * that -w and sanitize walk.  The input is one block; its nodesize is the
 * largest valid one that fits (short inputs are zero-padded to 4096).
 *
 * The contract under test: after TREE_CHECK_LAYOUT passes, leaf_item never
 * fails and every item's data lies inside the block; bimg-scan's
 * scrub_tree_block then keeps the layout valid and leaves a correct
 * checksum (of the type named by the byte after the block, if any; bit 0
 * of the block's last byte picks -d's keep-inline when that byte exists).
 * bimg-sanitize's sanitize_tree_block takes any block.  It fails closed: a
 * block it reports wiped has only zeros after its header, and every block
 * whose layout check fails is wiped; a block it keeps stays readable,
 * verifies, has no byte left in its free space, and keeps its header
 * (but for the flag bits no kernel sets, cleared, and a backref revision
 * above 1, written 1), keys, item offsets and sizes.  The byte after the block also picks -s or
 * -ss (bit 2), --keep-short (bit 3), keep-inline (bit 4), a checksum left
 * as it is instead of set first (bit 5: mostly wrong, so wiped), the
 * stream's DAMAGED flag (bit 6) and whether the header is the block's own
 * (bit 7: the block's address and the filesystem's fsid are the header's;
 * otherwise a wiped block is zeroed whole, header included).
 */
#include "block.h"
#include "fuzz_common.h"
#include "hashcopies.h"
#include "le.h"
#include "leaf.h"
#include "namemap.h"
#include "placement.h"
#include "readable.h"
#include "scrub.h"
#include "tree.h"

#include <stdlib.h>
#include <string.h>

/* Touch every name byte so ASan sees any read past the item. */
static volatile uint8_t name_sink;

/* Walk packed name records the way a name scrubber must: every length checked. */
static void walk_names(const uint8_t *block, uint8_t type, uint32_t off, uint32_t size)
{
	const uint8_t *p = block + off;
	uint32_t pos = 0;

	while (pos < size) {
		uint32_t header, name_len, extra = 0, i;

		switch (type) {
		case BTRFS_DIR_ITEM_KEY:
		case BTRFS_DIR_INDEX_KEY:
		case BTRFS_XATTR_ITEM_KEY:
			header = DIR_ITEM_HEADER;
			if (size - pos < header)
				return;
			name_len = get_le16(p, pos + DIR_ITEM_NAME_LEN);
			extra = get_le16(p, pos + DIR_ITEM_DATA_LEN);
			break;
		case BTRFS_INODE_REF_KEY:
			header = INODE_REF_HEADER;
			if (size - pos < header)
				return;
			name_len = get_le16(p, pos + INODE_REF_NAME_LEN);
			break;
		case BTRFS_INODE_EXTREF_KEY:
			header = INODE_EXTREF_HEADER;
			if (size - pos < header)
				return;
			name_len = get_le16(p, pos + INODE_EXTREF_NAME_LEN);
			break;
		case BTRFS_ROOT_REF_KEY:
		case BTRFS_ROOT_BACKREF_KEY:
			header = ROOT_REF_HEADER;
			if (size - pos < header)
				return;
			name_len = get_le16(p, pos + ROOT_REF_NAME_LEN);
			break;
		default:
			return;
		}
		if ((uint64_t)header + name_len + extra > size - pos)
			return;
		for (i = 0; i < name_len + extra; i++)
			name_sink ^= p[pos + header + i];
		pos += header + name_len + extra;
	}
}

/* Copy into `before` the key offsets that may move (short-name DIR_ITEM and INODE_EXTREF keys). */
static void allow_moved_keys(uint8_t *before, const uint8_t *after)
{
	uint32_t nritems = tree_block_nritems(before);

	for (uint32_t slot = 0; slot < nritems; slot++) {
		uint8_t *key = before + HDR_SIZE + (size_t)slot * ITEM_SIZE;
		uint8_t type = key[KEY_TYPE];

		if (type == BTRFS_DIR_ITEM_KEY || type == BTRFS_INODE_EXTREF_KEY)
			memcpy(key + KEY_OFFSET, after + HDR_SIZE + (size_t)slot * ITEM_SIZE + KEY_OFFSET, 8);
	}
}

static int keys_sorted(const uint8_t *leaf)
{
	uint32_t nritems = tree_block_nritems(leaf);

	for (uint32_t slot = 1; slot < nritems; slot++) {
		struct btrfs_key a, b;

		key_read(leaf + HDR_SIZE + (size_t)(slot - 1) * ITEM_SIZE, &a);
		key_read(leaf + HDR_SIZE + (size_t)slot * ITEM_SIZE, &b);
		if (key_compare(&a, &b) >= 0)
			return 0;
	}
	return 1;
}

static int zero_after_header(const uint8_t *block, uint32_t nodesize)
{
	for (uint32_t i = HDR_SIZE; i < nodesize; i++)
		if (block[i])
			return 0;
	return 1;
}

/* The header flags a kept block may have: bits 2..55 clear, a backref revision (top byte) above 1 made 1. */
static void allow_known_flags(uint8_t *before)
{
	uint64_t flags = get_le64(before, HDR_FLAGS) & (0x3ULL | 0xffULL << 56);

	if (flags >> 56 > 1)
		flags = (flags & 0x3ULL) | 1ULL << 56;
	put_le64(before, HDR_FLAGS, flags);
}

/* The invariants of a block the sanitizer kept: see the comment at the top. */
static void check_kept(uint8_t *before, const uint8_t *block, uint32_t nodesize, const struct block_sanitizer *bs)
{
	uint64_t fixed_end = tree_block_level(before) ? HDR_SIZE
						       : HDR_SIZE + (uint64_t)ITEM_SIZE * tree_block_nritems(before);

	if (block_untrusted(bs, block, 0) != NULL)
		__builtin_trap(); /* sanitizing made a readable block unreadable, or left a stale checksum */
	if (tree_block_level(before) == 0 && bs->placement)
		allow_moved_keys(before, block);
	allow_known_flags(before);
	if (memcmp(before + HDR_FSID, block + HDR_FSID, (size_t)fixed_end - HDR_FSID) != 0)
		__builtin_trap();
	if (tree_block_level(before) == 0 && bs->placement && keys_sorted(before) && !keys_sorted(block))
		__builtin_trap();
	/* Free space is zero: zeroing it again changes nothing. */
	memcpy(before, block, nodesize);
	if (zero_unused_space(before, nodesize))
		__builtin_trap();
}

/* What sanitize() owns, outside its registers: die() may jump back into it (FUZZ_TRY). */
static struct block_sanitizer bs;
static uint8_t *before;

/* A wiped block's header: the digest, fsid, address, generation, owner, count and level as they were. */
static int header_numbers_kept(const uint8_t *before, const uint8_t *block)
{
	size_t digest = csum_size(bs.csum_type);

	return memcmp(before, block, digest) == 0 && memcmp(before + HDR_FSID, block + HDR_FSID, HDR_FLAGS - HDR_FSID) == 0 &&
	       memcmp(before + HDR_GENERATION, block + HDR_GENERATION, HDR_SIZE - HDR_GENERATION) == 0;
}

static void sanitize_checked(uint8_t *block, uint32_t nodesize, int flagged, int own_header)
{
	int layout_ok = tree_block_check(block, nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT) == NULL;
	uint64_t logical = tree_block_bytenr(block) + !own_header;
	enum block_outcome outcome;
	const char *why;

	memcpy(before, block, nodesize);
	/* -ss as bimg-sanitize runs it: learn the block (if it would), place its short names, then sanitize. */
	if (bs.placement && !block_untrusted(&bs, block, flagged)) {
		(void)placement_scan(bs.placement, logical, block, nodesize);
		(void)hash_copies_scan(bs.copies, block, nodesize);
	}
	if (bs.placement) {
		placement_assign(bs.placement, bs.map);
		hash_copies_resolve(bs.copies, bs.placement, bs.map);
	}
	outcome = sanitize_tree_block(&bs, logical, block, flagged, &why);
	if (outcome == BLOCK_ZEROED) {
		/* A header not the block's own goes too. */
		if (own_header || block[0] || !zero_after_header(block, nodesize) || memcmp(block, block + 1, HDR_SIZE - 1))
			__builtin_trap();
	} else if (outcome == BLOCK_WIPED) {
		/* Fails closed: nothing after the header survives; the header keeps its address, fsid and numbers. */
		if (!zero_after_header(block, nodesize) || !own_header || !header_numbers_kept(before, block))
			__builtin_trap();
	} else if (!layout_ok || flagged) {
		__builtin_trap(); /* a block the layout check refuses, or flagged DAMAGED, was kept */
	} else {
		check_kept(before, block, nodesize, &bs);
	}
}

static void sanitize(uint8_t *block, uint32_t nodesize, uint8_t options)
{
	enum name_mode mode = (options & 4) ? NAMES_SAME_HASH : NAMES_RANDOM;
	int keep_short = (options >> 3) & 1;

	memset(&bs, 0, sizeof(bs));
	/* bimg-sanitize's default budget: one block's names never leave memory. */
	bs.map = name_map_new(mode, keep_short, 0, 42, 16 << 20);
	bs.xattr_map = name_map_new(mode, 0, 1, 43, 2 << 20);
	bs.placement = (mode == NAMES_SAME_HASH && !keep_short) ? placement_new() : NULL;
	bs.copies = bs.placement ? hash_copies_new() : NULL;
	bs.nodesize = nodesize;
	bs.sectorsize = 4096;
	bs.csum_type = options & 3;
	bs.keep_inline_data = (options >> 4) & 1;
	memcpy(bs.header_fsid, block + HDR_FSID, BTRFS_UUID_SIZE);
	before = malloc(nodesize);
	if (!(options & 0x20))
		csum_block_set(bs.csum_type, block, nodesize);
	/* A hostile block may hold more distinct 1-byte names than there are replacements: die(). */
	FUZZ_TRY {
		sanitize_checked(block, nodesize, (options >> 6) & 1, options >> 7);
	}
	msg_set_die_jump(NULL);
	if (bs.placement) {
		placement_free(bs.placement);
		hash_copies_free(bs.copies);
	}
	free(before);
	name_map_free(bs.map);
	name_map_free(bs.xattr_map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t nodesize = fuzz_nodesize_for(size < 4096 ? 4096 : size);
	uint8_t *block = calloc(1, nodesize);
	uint32_t slot, nritems;

	fuzz_setup();
	memcpy(block, data, size < nodesize ? size : nodesize);
	if (tree_block_check(block, nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT) == NULL) {
		nritems = tree_block_nritems(block);
		for (slot = 0; slot < nritems; slot++) {
			struct btrfs_key key;
			uint32_t off, len;
			uint64_t blockptr, generation;

			if (tree_block_level(block) > 0) {
				node_ptr(block, slot, &key, &blockptr, &generation);
				continue;
			}
			if (leaf_item(block, nodesize, slot, &key, &off, &len) < 0)
				__builtin_trap(); /* the layout check promised every item is in bounds */
			walk_names(block, key.type, off, len);
		}
	}
	sanitize(block, nodesize, size > nodesize ? data[nodesize] : 0);
	if (tree_block_check(block, nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT) == NULL) {
		unsigned csum_type = size > nodesize ? data[nodesize] & 3 : 0;

		scrub_tree_block(block, nodesize, csum_type, size > nodesize && (data[nodesize - 1] & 1));
		if (tree_block_check(block, nodesize, 0, NULL, csum_type, TREE_CHECK_LAYOUT | TREE_CHECK_CSUM))
			__builtin_trap(); /* scrubbing broke the block it was given */
	}
	free(block);
	return 0;
}
