/*
 * Where each logical address goes on the single target (docs/restore.md):
 * a chunk is placed whole at its first stripe's physical offset, and a
 * DUP chunk's second copy at its second stripe's.  The map starts with the
 * superblock's system chunks and grows with every chunk tree leaf that
 * passes through; it is complete once every chunk tree block reachable
 * from chunk_root has been seen, whatever order the blocks came in.
 */
#include "restore_map.h"
#include "le.h"
#include "msg.h"
#include "tree.h"

#include <stdlib.h>
#include <string.h>

enum entry_state { ENTRY_NEEDED, ENTRY_SEEN };

struct chunk_tree_entry {
	uint64_t addr;
	uint8_t state;
	uint8_t reachable; /* children already followed */
	uint32_t nchildren;
	uint64_t *children; /* nodes only */
};

static struct chunk_tree_entry *entry_find(struct restore_map *m, uint64_t addr)
{
	uint64_t *index = hashmap_find(&m->by_addr, addr);

	return index ? &m->blocks.items[*index] : NULL;
}

/* addr must not be present.  The pointer is valid until the next insert. */
static struct chunk_tree_entry *entry_insert(struct restore_map *m, uint64_t addr, enum entry_state state)
{
	struct chunk_tree_entry e = { addr, (uint8_t)state, 0, 0, NULL };

	hashmap_insert(&m->by_addr, addr, m->blocks.count, NULL);
	VEC_PUSH(m->blocks, e);
	return &m->blocks.items[m->blocks.count - 1];
}

/*
 * addr is reachable from chunk_root: ask for it if it has not come yet,
 * else follow its children (and theirs, for blocks that came before their
 * parent).  An explicit stack, and the reachable flag, keep hostile
 * pointer cycles from recursing or looping.
 */
static void mark_reachable(struct restore_map *m, uint64_t addr)
{
	VEC(uint64_t) stack = VEC_INIT;

	VEC_PUSH(stack, addr);
	while (stack.count) {
		uint64_t a = stack.items[--stack.count];
		struct chunk_tree_entry *e = entry_find(m, a);

		if (!e) {
			entry_insert(m, a, ENTRY_NEEDED);
			m->missing++;
			continue;
		}
		if (e->state != ENTRY_SEEN || e->reachable)
			continue;
		e->reachable = 1;
		if (e->nchildren) {
			VEC_RESERVE(stack, stack.count + e->nchildren);
			memcpy(stack.items + stack.count, e->children, sizeof(*stack.items) * e->nchildren);
			stack.count += e->nchildren;
		}
	}
	VEC_FREE(stack);
	m->complete = m->from_chunk_records || !m->missing;
}

static const char *add_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	struct restore_map *m = ctx;
	struct chunk copy = *c;

	(void)item;
	(void)item_len;
	/* chunk_array_walk frees c's stripes after the callback: hand the map its own. */
	copy.stripes = xmalloc(sizeof(*copy.stripes) * c->num_stripes);
	memcpy(copy.stripes, c->stripes, sizeof(*copy.stripes) * c->num_stripes);
	return chunk_map_add(&m->chunks, &copy);
}

void restore_map_init(struct restore_map *m, const uint8_t *sb, const struct super_info *info)
{
	const char *err;
	size_t bad = 0;

	memset(m, 0, sizeof(*m));
	chunk_map_init(&m->chunks);
	hashmap_init(&m->by_addr);
	m->limits = chunk_limits_of(info);
	m->chunk_root = info->chunk_root;
	m->nodesize = info->nodesize;
	err = chunk_array_walk(sb + SB_SYS_CHUNK_ARRAY, info->sys_chunk_array_size, &m->limits, add_chunk, m, &bad);
	if (err)
		die("superblock: system chunk array at offset %zu: %s", bad, err);
	if (!m->chunks.count)
		die("superblock: the system chunk array has no chunk");
	mark_reachable(m, m->chunk_root);
}

void restore_map_add_chunk_record(struct restore_map *m, const uint8_t *payload, size_t len, uint64_t seq)
{
	const char *err;
	size_t bad = 0;

	err = chunk_array_walk(payload, len, &m->limits, add_chunk, m, &bad);
	if (err)
		die("record %llu: CHUNK at offset %zu: %s", (unsigned long long)seq, bad, err);
	m->from_chunk_records = 1;
}

void restore_map_blocks_begin(struct restore_map *m)
{
	if (m->from_chunk_records)
		m->complete = 1;
}

static const char *learn_leaf(struct restore_map *m, const uint8_t *leaf)
{
	uint32_t slot, nritems = tree_block_nritems(leaf);

	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		struct chunk c;
		uint32_t off, size;
		const char *err;

		if (leaf_item(leaf, m->nodesize, slot, &key, &off, &size) < 0)
			return "chunk tree leaf item out of bounds";
		if (key.type != BTRFS_CHUNK_ITEM_KEY)
			continue;
		err = chunk_parse(leaf + off, size, key.offset, &m->limits, &c);
		if (err)
			return err;
		err = chunk_map_add(&m->chunks, &c);
		if (err)
			return err;
	}
	return NULL;
}

const char *restore_map_see_tree_block(struct restore_map *m, const uint8_t *block, uint64_t logical)
{
	struct chunk_tree_entry *e = entry_find(m, logical);
	uint32_t nritems = tree_block_nritems(block), i;
	int was_needed = e && e->state == ENTRY_NEEDED;
	uint64_t *children = NULL;
	const char *err;

	if (tree_block_owner(block) != BTRFS_CHUNK_TREE_OBJECTID)
		return was_needed ? "a chunk tree pointer leads here but the block belongs to another tree" : NULL;
	if (e && e->state == ENTRY_SEEN)
		return NULL; /* the same block twice: the first one counted */
	err = tree_block_check(block, m->nodesize, logical, NULL, 0, TREE_CHECK_LAYOUT);
	if (err)
		return err;
	if (tree_block_level(block) > 0) {
		children = xmalloc(sizeof(*children) * nritems);
		for (i = 0; i < nritems; i++) {
			struct btrfs_key key;
			uint64_t generation;
			node_ptr(block, i, &key, &children[i], &generation);
		}
	} else if (!m->complete) {
		err = learn_leaf(m, block);
		if (err)
			return err;
	}
	if (!e)
		e = entry_insert(m, logical, ENTRY_SEEN);
	else
		m->missing--;
	e->state = ENTRY_SEEN;
	e->children = children;
	e->nchildren = children ? nritems : 0;
	/* A block met before its parent waits, unfollowed, until the parent links it in. */
	if (was_needed)
		mark_reachable(m, logical);
	return NULL;
}

const struct chunk *restore_map_lookup(const struct restore_map *m, uint64_t logical)
{
	return chunk_map_lookup(&m->chunks, logical);
}

uint64_t restore_map_first_missing(const struct restore_map *m)
{
	uint64_t lowest = 0;
	size_t i;

	for (i = 0; i < m->blocks.count; i++)
		if (m->blocks.items[i].state == ENTRY_NEEDED && (!lowest || m->blocks.items[i].addr < lowest))
			lowest = m->blocks.items[i].addr;
	return lowest;
}

void restore_map_free(struct restore_map *m)
{
	size_t i;

	for (i = 0; i < m->blocks.count; i++)
		free(m->blocks.items[i].children);
	VEC_FREE(m->blocks);
	hashmap_free(&m->by_addr);
	chunk_map_free(&m->chunks);
	memset(m, 0, sizeof(*m));
}
