/*
 * The trees that describe devices, rewritten for a multi-device source
 * restored onto one target (docs/restore.md, multi-device source).  The
 * reference runs a transaction for this; here every block keeps its
 * address and generation, only items change.
 *
 *   chunk tree leaves  CHUNK_ITEMs shrink to the layout's one or two
 *                      stripes; DEV_ITEMs of the other devices go; the kept
 *                      DEV_ITEM gets the new size and bytes used
 *   device tree leaves the same leaves refilled, in key order, with one
 *                      DEV_EXTENT per chunk copy of the layout and the
 *                      other items (DEV_STATS of removed devices dropped)
 *   nodes of both      their keys follow the new first keys of children
 *   block group items  flags take the chunk's new type (at placement)
 */
#include "fixup.h"
#include "csum.h"
#include "layout.h"
#include "le.h"
#include "msg.h"
#include "tree.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_GROUP_TREE_OBJECTID 11ULL
#define PERSISTENT_ITEM_KEY 249
#define DEV_EXTENT_SIZE 48
#define DEV_EXTENT_CHUNK_TREE 0
#define DEV_EXTENT_CHUNK_OBJECTID 8
#define DEV_EXTENT_CHUNK_OFFSET 16
#define DEV_EXTENT_LENGTH 24
#define DEV_EXTENT_CHUNK_TREE_UUID 32
#define BLOCK_GROUP_ITEM_FLAGS 16
#define BLOCK_GROUP_ITEM_SIZE 24
/* Largest item this file builds: a DUP chunk item. */
#define OWN_MAX (CHUNK_ITEM_HEADER + 2 * STRIPE_SIZE)

struct fixup_block {
	uint64_t logical;
	uint8_t *bytes;
};

struct leaf_entry {
	struct btrfs_key key;
	const uint8_t *data;
	uint32_t size;
	int owned;            /* data is own (re-pointed after entries move) */
	uint8_t own[OWN_MAX]; /* data of items built here */
};

void fixup_init(struct tree_fixup *f, uint32_t nodesize, unsigned csum_type)
{
	memset(f, 0, sizeof(*f));
	hashmap_init(&f->by_logical);
	f->nodesize = nodesize;
	f->csum_type = csum_type;
}

int fixup_wants(const uint8_t *block)
{
	uint64_t owner = tree_block_owner(block);

	return owner == BTRFS_CHUNK_TREE_OBJECTID || owner == BTRFS_DEV_TREE_OBJECTID;
}

void fixup_hold(struct tree_fixup *f, uint64_t logical, const uint8_t *block)
{
	struct fixup_block held = { logical, NULL };

	if (hashmap_contains(&f->by_logical, logical))
		return; /* the same block twice: the first one counts, as when placing */
	if (f->memory + f->nodesize > FIXUP_MEMORY_MAX)
		die("multi-device restore: chunk and device trees larger than %u MiB are not supported",
		    FIXUP_MEMORY_MAX >> 20);
	held.bytes = xmalloc(f->nodesize);
	memcpy(held.bytes, block, f->nodesize);
	hashmap_insert(&f->by_logical, logical, f->blocks.count, NULL);
	VEC_PUSH(f->blocks, held);
	f->memory += f->nodesize;
}

static void key_write(uint8_t *p, const struct btrfs_key *key)
{
	put_le64(p, KEY_OBJECTID, key->objectid);
	put_le8(p, KEY_TYPE, key->type);
	put_le64(p, KEY_OFFSET, key->offset);
}

/* The block's first key (zeros for an empty block). */
static struct btrfs_key first_key(const uint8_t *block)
{
	struct btrfs_key key = { 0, 0, 0 };

	if (tree_block_nritems(block))
		key_read(block + HDR_SIZE, &key);
	return key;
}

/* Replace the items of leaf with entries[0..n), packed from the end, free space zeroed. */
static void leaf_build(uint8_t *leaf, uint32_t nodesize, const struct leaf_entry *entries, size_t n,
		       uint8_t *scratch)
{
	uint64_t data_end = nodesize, need = HDR_SIZE + (uint64_t)ITEM_SIZE * n;
	size_t i;

	for (i = 0; i < n; i++)
		need += entries[i].size;
	if (need > nodesize)
		die("multi-device restore: rewritten leaf %llu would overflow (%llu bytes)",
		    (unsigned long long)tree_block_bytenr(leaf), (unsigned long long)need);
	memset(scratch, 0, nodesize);
	memcpy(scratch, leaf, HDR_SIZE);
	put_le32(scratch, HDR_NRITEMS, (uint32_t)n);
	for (i = 0; i < n; i++) {
		uint8_t *item = scratch + HDR_SIZE + (size_t)ITEM_SIZE * i;

		data_end -= entries[i].size;
		key_write(item, &entries[i].key);
		put_le32(item, ITEM_DATA_OFFSET, (uint32_t)(data_end - HDR_SIZE));
		put_le32(item, ITEM_DATA_SIZE, entries[i].size);
		memcpy(scratch + data_end, entries[i].data, entries[i].size);
	}
	memcpy(leaf, scratch, nodesize);
}

static const struct chunk *placed_chunk(const struct single_layout *l, uint64_t logical)
{
	const struct chunk *c = chunk_map_lookup(&l->placed, logical);

	if (!c || c->logical != logical)
		die("multi-device restore: chunk item %llu is not in the chunk map", (unsigned long long)logical);
	return c;
}

static void build_chunk_item(struct leaf_entry *e, const uint8_t *old, uint32_t old_size, const struct chunk *c)
{
	int j;

	if (old_size < CHUNK_ITEM_HEADER)
		die("multi-device restore: chunk item %llu too short", (unsigned long long)c->logical);
	memcpy(e->own, old, CHUNK_ITEM_HEADER);
	put_le64(e->own, CHUNK_TYPE, c->type);
	put_le16(e->own, CHUNK_NUM_STRIPES, c->num_stripes);
	put_le16(e->own, CHUNK_SUB_STRIPES, c->sub_stripes);
	for (j = 0; j < c->num_stripes; j++) {
		uint8_t *s = e->own + CHUNK_STRIPES + (size_t)j * STRIPE_SIZE;
		put_le64(s, STRIPE_DEVID, c->stripes[j].devid);
		put_le64(s, STRIPE_OFFSET, c->stripes[j].offset);
		memcpy(s + STRIPE_DEV_UUID, c->stripes[j].dev_uuid, BTRFS_UUID_SIZE);
	}
	e->data = e->own;
	e->size = CHUNK_ITEM_HEADER + (uint32_t)c->num_stripes * STRIPE_SIZE;
}

/* Item slot of leaf as an entry pointing into the leaf; returns the data's offset. */
static uint32_t read_leaf_entry(struct leaf_entry *e, const uint8_t *leaf, uint32_t nodesize, uint32_t slot,
				const char *tree)
{
	uint32_t off, size;

	if (leaf_item(leaf, nodesize, slot, &e->key, &off, &size) < 0)
		die("multi-device restore: %s leaf %llu: item out of bounds", tree,
		    (unsigned long long)tree_block_bytenr(leaf));
	e->data = leaf + off;
	e->size = size;
	return off;
}

static void rewrite_chunk_leaf(struct tree_fixup *f, uint8_t *leaf, const struct single_layout *l, uint8_t *scratch)
{
	uint32_t nritems = tree_block_nritems(leaf), slot;
	struct leaf_entry *entries = xcalloc(nritems + 1, sizeof(*entries));
	size_t n = 0;

	for (slot = 0; slot < nritems; slot++) {
		struct leaf_entry *e = &entries[n];
		uint32_t off = read_leaf_entry(e, leaf, f->nodesize, slot, "chunk tree"), size = e->size;

		if (e->key.type == BTRFS_DEV_ITEM_KEY && e->key.objectid == BTRFS_DEV_ITEMS_OBJECTID) {
			if (e->key.offset != l->devid)
				continue;
			if (size != DEV_ITEM_SIZE)
				die("multi-device restore: DEV_ITEM of %u bytes", size);
			memcpy(e->own, leaf + off, DEV_ITEM_SIZE);
			put_le64(e->own, DEV_ITEM_TOTAL_BYTES, l->device_size);
			put_le64(e->own, DEV_ITEM_BYTES_USED, l->bytes_used);
			e->data = e->own;
		} else if (e->key.type == BTRFS_CHUNK_ITEM_KEY) {
			build_chunk_item(e, leaf + off, size, placed_chunk(l, e->key.offset));
		}
		n++;
	}
	if (!n && nritems)
		die("multi-device restore: chunk tree leaf %llu would become empty (not supported)",
		    (unsigned long long)tree_block_bytenr(leaf));
	leaf_build(leaf, f->nodesize, entries, n, scratch);
	free(entries);
}

static int entry_cmp(const void *a, const void *b)
{
	return key_compare(&((const struct leaf_entry *)a)->key, &((const struct leaf_entry *)b)->key);
}

static int block_first_key_cmp(const void *a, const void *b)
{
	struct btrfs_key x = first_key(*(uint8_t *const *)a), y = first_key(*(uint8_t *const *)b);

	return key_compare(&x, &y);
}

/* Is a device tree item kept as it is? DEV_EXTENTs are rebuilt; stats of removed devices go. */
static int dev_item_kept(const struct btrfs_key *key, const struct single_layout *l)
{
	if (key->type == BTRFS_DEV_EXTENT_KEY)
		return 0;
	if (key->objectid == 0 && key->type == PERSISTENT_ITEM_KEY && key->offset != l->devid)
		return 0;
	return 1;
}

static void refill_dev_leaves(struct tree_fixup *f, uint8_t **leaves, size_t nleaves, const struct single_layout *l,
			      uint8_t *scratch)
{
	uint8_t (*copies)[OWN_MAX];
	struct leaf_entry *entries;
	size_t total = 0, n = 0, i, k, done;
	uint8_t uuid[BTRFS_UUID_SIZE];

	qsort(leaves, nleaves, sizeof(*leaves), block_first_key_cmp);
	memcpy(uuid, leaves[0] + HDR_CHUNK_TREE_UUID, BTRFS_UUID_SIZE);
	for (i = 0; i < nleaves; i++)
		total += tree_block_nritems(leaves[i]);
	for (k = 0; k < l->placed.count; k++)
		total += l->placed.added[k].num_stripes;
	entries = xcalloc(total + 1, sizeof(*entries));
	/* Kept items point into a copy of the old leaves, which are overwritten below. */
	copies = xmalloc(nleaves * (size_t)f->nodesize);
	for (i = 0; i < nleaves; i++) {
		uint8_t *old = (uint8_t *)copies + i * (size_t)f->nodesize;
		uint32_t slot, nritems = tree_block_nritems(leaves[i]);

		memcpy(old, leaves[i], f->nodesize);
		for (slot = 0; slot < nritems; slot++) {
			struct leaf_entry *e = &entries[n];

			read_leaf_entry(e, old, f->nodesize, slot, "device tree");
			if (dev_item_kept(&e->key, l))
				n++;
		}
	}
	for (k = 0; k < l->placed.count; k++) {
		const struct chunk *c = &l->placed.added[k];
		int j;

		for (j = 0; j < c->num_stripes; j++) {
			struct leaf_entry *e = &entries[n++];

			e->key.objectid = c->stripes[j].devid;
			e->key.type = BTRFS_DEV_EXTENT_KEY;
			e->key.offset = c->stripes[j].offset;
			put_le64(e->own, DEV_EXTENT_CHUNK_TREE, BTRFS_CHUNK_TREE_OBJECTID);
			put_le64(e->own, DEV_EXTENT_CHUNK_OBJECTID, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
			put_le64(e->own, DEV_EXTENT_CHUNK_OFFSET, c->logical);
			put_le64(e->own, DEV_EXTENT_LENGTH, c->length);
			memcpy(e->own + DEV_EXTENT_CHUNK_TREE_UUID, uuid, BTRFS_UUID_SIZE);
			e->owned = 1;
			e->size = DEV_EXTENT_SIZE;
		}
	}
	if (n < nleaves)
		die("multi-device restore: the device tree would have empty leaves (not supported)");
	qsort(entries, n, sizeof(*entries), entry_cmp);
	for (i = 0; i < n; i++)
		if (entries[i].owned)
			entries[i].data = entries[i].own;
	/* Spread evenly: the old leaves held at least as many items of the same sizes. */
	for (i = 0, done = 0; i < nleaves; i++) {
		size_t here = n / nleaves + (i < n % nleaves);
		leaf_build(leaves[i], f->nodesize, entries + done, here, scratch);
		done += here;
	}
	free(copies);
	free(entries);
}

static uint8_t *held_block(struct tree_fixup *f, uint64_t logical)
{
	uint64_t *i = hashmap_find(&f->by_logical, logical);

	return i ? f->blocks.items[*i].bytes : NULL;
}

/* Node keys follow their children's new first keys, lowest level first. */
static void fix_node_keys(struct tree_fixup *f)
{
	int level;
	size_t i;

	for (level = 1; level < BTRFS_MAX_LEVEL; level++) {
		for (i = 0; i < f->blocks.count; i++) {
			uint8_t *node = f->blocks.items[i].bytes;
			uint32_t slot, nritems = tree_block_nritems(node);

			if (tree_block_level(node) != level)
				continue;
			if (HDR_SIZE + (uint64_t)KEY_PTR_SIZE * nritems > f->nodesize)
				die("multi-device restore: node %llu has too many pointers",
				    (unsigned long long)f->blocks.items[i].logical);
			for (slot = 0; slot < nritems; slot++) {
				struct btrfs_key key;
				uint64_t child, generation;
				uint8_t *c;

				node_ptr(node, slot, &key, &child, &generation);
				c = held_block(f, child);
				if (c && tree_block_nritems(c)) {
					key = first_key(c);
					key_write(node + HDR_SIZE + (size_t)KEY_PTR_SIZE * slot, &key);
				}
			}
		}
	}
}

static int by_logical(const void *a, const void *b)
{
	const struct fixup_block *x = a, *y = b;

	return x->logical < y->logical ? -1 : x->logical > y->logical;
}

void fixup_finish(struct tree_fixup *f, const struct single_layout *l, fixup_write_fn write, void *ctx)
{
	uint8_t *scratch = xmalloc(f->nodesize);
	uint8_t **dev_leaves = xcalloc(f->blocks.count + 1, sizeof(*dev_leaves));
	size_t i, ndev = 0;

	for (i = 0; i < f->blocks.count; i++) {
		uint8_t *b = f->blocks.items[i].bytes;
		const char *err = tree_block_check(b, f->nodesize, 0, NULL, 0, TREE_CHECK_LAYOUT);

		if (err)
			die("multi-device restore: %s tree block %llu: %s",
			    tree_block_owner(b) == BTRFS_CHUNK_TREE_OBJECTID ? "chunk" : "device",
			    (unsigned long long)f->blocks.items[i].logical, err);
		if (tree_block_level(b) != 0)
			continue;
		if (tree_block_owner(b) == BTRFS_CHUNK_TREE_OBJECTID)
			rewrite_chunk_leaf(f, b, l, scratch);
		else
			dev_leaves[ndev++] = b;
	}
	if (ndev)
		refill_dev_leaves(f, dev_leaves, ndev, l, scratch);
	fix_node_keys(f);
	/* The order of writing only; held_block() is not used after this. */
	qsort(f->blocks.items, f->blocks.count, sizeof(*f->blocks.items), by_logical);
	for (i = 0; i < f->blocks.count; i++) {
		csum_block_set(f->csum_type, f->blocks.items[i].bytes, f->nodesize);
		write(ctx, f->blocks.items[i].logical, f->blocks.items[i].bytes);
	}
	free(dev_leaves);
	free(scratch);
}

void fixup_free(struct tree_fixup *f)
{
	size_t i;

	for (i = 0; i < f->blocks.count; i++)
		free(f->blocks.items[i].bytes);
	VEC_FREE(f->blocks);
	hashmap_free(&f->by_logical);
	memset(f, 0, sizeof(*f));
}

int fixup_block_groups(uint8_t *block, uint32_t nodesize, unsigned csum_type, const struct single_layout *l)
{
	uint64_t owner = tree_block_owner(block);
	uint32_t nritems, slot;
	int changed = 0;

	if (tree_block_level(block) != 0 ||
	    (owner != BTRFS_EXTENT_TREE_OBJECTID && owner != BLOCK_GROUP_TREE_OBJECTID))
		return 0;
	nritems = tree_block_nritems(block);
	for (slot = 0; slot < nritems; slot++) {
		const struct chunk *c;
		struct btrfs_key key;
		uint32_t off, size;
		uint64_t flags, wanted;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			break;
		if (key.type != BTRFS_BLOCK_GROUP_ITEM_KEY || size < BLOCK_GROUP_ITEM_SIZE)
			continue;
		c = chunk_map_lookup(&l->placed, key.objectid);
		if (!c || c->logical != key.objectid)
			continue;
		flags = get_le64(block, off + BLOCK_GROUP_ITEM_FLAGS);
		wanted = (flags & ~BTRFS_BLOCK_GROUP_PROFILE_MASK) | (c->type & BTRFS_BLOCK_GROUP_DUP);
		if (wanted != flags) {
			put_le64(block, off + BLOCK_GROUP_ITEM_FLAGS, wanted);
			changed = 1;
		}
	}
	if (changed)
		csum_block_set(csum_type, block, nodesize);
	return changed;
}
