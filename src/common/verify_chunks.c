/*
 * Chunks and addresses: the chunk tree against the superblock's system
 * chunk array and the CHUNK records, block groups against chunks, every
 * tree block and data record inside a chunk of its kind, and the data
 * extents the file extent items name against the data records.
 */
#include "chunk.h"
#include "crc32c.h"
#include "le.h"
#include "msg.h"
#include "vec.h"
#include "verify_state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void vchunk_append(struct vchunk **array, size_t *count, const struct vchunk *c)
{
	size_t n = *count;

	/* capacity: the next power of two, at least 16 */
	if (n >= 16 && !(n & (n - 1)))
		*array = xrealloc(*array, 2 * n * sizeof(**array));
	else if (n == 0)
		*array = xmalloc(16 * sizeof(**array));
	(*array)[n] = *c;
	*count = n + 1;
}

static int vchunk_order(const void *pa, const void *pb)
{
	const struct vchunk *a = pa, *b = pb;

	return a->logical < b->logical ? -1 : a->logical > b->logical;
}

static const struct vchunk *vchunk_find(const struct vchunk *array, size_t count, uint64_t logical)
{
	size_t lo = 0, hi = count;

	/* the last chunk starting at or below logical */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (array[mid].logical <= logical)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	return &array[lo - 1];
}

struct array_target {
	struct vchunk **array;
	size_t *count;
};

static const char *keep_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	struct array_target *t = ctx;

	vchunk_append(t->array, t->count,
		      &(struct vchunk){ c->logical, c->length, c->type, crc32c(item, item_len) });
	return NULL;
}

/* Chunks are checked against the superblock's sizes: without one, none can be. */
static const char *limits_of(const struct verifier *v, struct chunk_limits *limits)
{
	if (!v->have_sb)
		return "no superblock to check it against";
	*limits = chunk_limits_of(&v->sb);
	return NULL;
}

void verify_sys_array(struct verifier *v)
{
	struct array_target t = { &v->sys_chunks, &v->nsys_chunks };
	struct chunk_limits limits = chunk_limits_of(&v->sb);
	size_t bad = 0;
	const char *why;

	why = chunk_array_walk(v->sb_raw + SB_SYS_CHUNK_ARRAY, v->sb.sys_chunk_array_size, &limits, keep_chunk, &t,
			       &bad);
	if (why)
		problem(v, PROBLEM_SUPERBLOCK, NULL, "superblock: system chunk array at offset %zu: %s", bad, why);
	sort_array(v->sys_chunks, v->nsys_chunks, sizeof(*v->sys_chunks), vchunk_order);
}

void verify_chunk_record(struct verifier *v, const uint8_t *payload, size_t len)
{
	struct array_target t = { &v->record_chunks, &v->nrecord_chunks };
	struct chunk_limits limits;
	size_t bad = 0;
	const char *why = limits_of(v, &limits);

	if (!why)
		why = chunk_array_walk(payload, len, &limits, keep_chunk, &t, &bad);
	if (why)
		problem(v, PROBLEM_CHUNK, NULL, "CHUNK record %" PRIu64 ": %s", v->records, why);
}

int verify_chunk_item(struct verifier *v, uint64_t leaf, uint32_t slot, uint64_t logical, const uint8_t *item,
		      size_t len)
{
	struct chunk c = { 0 };
	struct chunk_limits limits;
	const char *why = limits_of(v, &limits);

	if (!why)
		why = chunk_parse(item, len, logical, &limits, &c);
	chunk_free(&c);
	if (!why)
		return 0;
	problem(v, PROBLEM_CHUNK, NULL, "chunk tree leaf %" PRIu64 " slot %u: chunk %" PRIu64 ": %s", leaf, slot,
		logical, why);
	return -1;
}

static int range_order(const void *pa, const void *pb)
{
	const struct vrange *a = pa, *b = pb;

	return a->start < b->start ? -1 : a->start > b->start;
}

void verify_data_ranges(struct verifier *v)
{
	size_t i, kept = 0;

	sort_array(v->data.items, v->data.count, sizeof(*v->data.items), range_order);
	for (i = 0; i < v->data.count; i++) {
		if (kept && v->data.items[i].start <= v->data.items[kept - 1].end) {
			if (v->data.items[i].end > v->data.items[kept - 1].end)
				v->data.items[kept - 1].end = v->data.items[i].end;
			continue;
		}
		v->data.items[kept++] = v->data.items[i];
	}
	v->data.count = kept;
}

/* Whether [start, end) lies within the merged data records. */
static int data_present(const struct verifier *v, uint64_t start, uint64_t end)
{
	size_t lo = ARRAY_UPPER_BOUND(v->data.items, v->data.count, start, start);

	return lo > 0 && v->data.items[lo - 1].end >= end;
}

/* Whether any data record touches [start, end). */
static int data_overlaps(const struct verifier *v, uint64_t start, uint64_t end)
{
	size_t lo = ARRAY_UPPER_BOUND(v->data.items, v->data.count, end, start); /* the first run ending after start */

	return lo < v->data.count && v->data.items[lo].start < end;
}

void verify_data_link(struct verifier *v, const struct vlink *link, uint64_t leaf, uint32_t slot,
		      const struct tree_path *path)
{
	uint64_t end = link->a + link->b;
	char tree[96];

	if (path->tree == BTRFS_ROOT_TREE_OBJECTID)
		v->cache_extents_checked++;
	else
		v->data_extents_checked++;
	if (end > link->a && data_present(v, link->a, end))
		return;
	problem(v, PROBLEM_DATA, path,
		"missing data extent %" PRIu64 " (%" PRIu64 " bytes)%s: file extent of inode %" PRIu64
		" at offset %" PRIu64 " in %s, leaf %" PRIu64 " slot %u",
		link->a, link->b, path->tree == BTRFS_ROOT_TREE_OBJECTID ? " of the free space cache" : "", link->c,
		link->d, tree_label(path->tree, path->tree_offset, tree, sizeof(tree)), leaf, slot);
}

static int same_chunk(const struct vchunk *a, const struct vchunk *b)
{
	return a->length == b->length && a->type == b->type && a->item_crc == b->item_crc;
}

/* Every chunk of `part` (named what) must be in the chunk tree, as it is there. */
static void compare_with_tree(struct verifier *v, const struct vchunk *part, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vchunk *t = vchunk_find(v->tree_chunks, v->ntree_chunks, part[i].logical);

		if (!t || t->logical != part[i].logical)
			problem(v, PROBLEM_CHUNK, NULL, "chunk %" PRIu64 " of the %s is not in the chunk tree",
				part[i].logical, what);
		else if (!same_chunk(t, &part[i]))
			problem(v, PROBLEM_CHUNK, NULL, "chunk %" PRIu64 " differs between the %s and the chunk tree",
				part[i].logical, what);
	}
}

/* And the other way: chunks of the tree (of type mask, 0 for all) that part lacks. */
static void missing_from(struct verifier *v, const struct vchunk *part, size_t n, uint64_t mask, const char *what)
{
	size_t i;

	for (i = 0; i < v->ntree_chunks; i++) {
		const struct vchunk *t = &v->tree_chunks[i];
		const struct vchunk *p;

		if (mask && !(t->type & mask))
			continue;
		p = vchunk_find(part, n, t->logical);
		if (!p || p->logical != t->logical)
			problem(v, PROBLEM_CHUNK, NULL, "chunk %" PRIu64 " (%s) of the chunk tree is missing from the %s",
				t->logical, chunk_profile_name(t->type), what);
	}
}

static void check_chunk_tree(struct verifier *v)
{
	size_t i;

	sort_array(v->tree_chunks, v->ntree_chunks, sizeof(*v->tree_chunks), vchunk_order);
	for (i = 0; i + 1 < v->ntree_chunks; i++)
		if (v->tree_chunks[i].logical + v->tree_chunks[i].length > v->tree_chunks[i + 1].logical)
			problem(v, PROBLEM_CHUNK, NULL, "chunk %" PRIu64 " overlaps chunk %" PRIu64,
				v->tree_chunks[i].logical, v->tree_chunks[i + 1].logical);
	compare_with_tree(v, v->sys_chunks, v->nsys_chunks, "superblock's system chunk array");
	missing_from(v, v->sys_chunks, v->nsys_chunks, BTRFS_BLOCK_GROUP_SYSTEM, "superblock's system chunk array");
	if (v->nrecord_chunks) {
		sort_array(v->record_chunks, v->nrecord_chunks, sizeof(*v->record_chunks), vchunk_order);
		compare_with_tree(v, v->record_chunks, v->nrecord_chunks, "CHUNK records");
		missing_from(v, v->record_chunks, v->nrecord_chunks, 0, "CHUNK records");
	}
}

#define BG_KIND_MASK (BTRFS_BLOCK_GROUP_TYPE_MASK | BTRFS_BLOCK_GROUP_PROFILE_MASK)

/* Every block group has its chunk, of the same size and kind; every chunk has a block group. */
static void check_block_groups(struct verifier *v)
{
	uint64_t without = 0, first_without = 0;
	size_t i;

	v->block_groups_checked = v->nblock_groups;
	sort_array(v->block_groups, v->nblock_groups, sizeof(*v->block_groups), vchunk_order);
	for (i = 0; i < v->nblock_groups; i++) {
		const struct vchunk *bg = &v->block_groups[i];
		const struct vchunk *c = vchunk_find(v->tree_chunks, v->ntree_chunks, bg->logical);

		if (!c || c->logical != bg->logical)
			problem(v, PROBLEM_CHUNK, NULL, "block group %" PRIu64 " (%" PRIu64 " bytes) has no chunk",
				bg->logical, bg->length);
		else if (c->length != bg->length || (c->type & BG_KIND_MASK) != (bg->type & BG_KIND_MASK))
			problem(v, PROBLEM_CHUNK, NULL, "block group %" PRIu64 " does not match its chunk (length or type)",
				bg->logical);
	}
	if (!v->nblock_groups)
		return; /* the tree that holds them is missing: reported there */
	for (i = 0; i < v->ntree_chunks; i++) {
		const struct vchunk *bg = vchunk_find(v->block_groups, v->nblock_groups, v->tree_chunks[i].logical);

		if (!bg || bg->logical != v->tree_chunks[i].logical) {
			if (!without++)
				first_without = v->tree_chunks[i].logical;
		}
	}
	if (without)
		problem(v, PROBLEM_CHUNK, NULL, "%" PRIu64 " chunks have no block group item (the first: %" PRIu64 ")",
			without, first_without);
}

/* Whether [start, end) lies in chunks whose type has a bit of mask. */
static int inside_chunks(const struct vchunk *map, size_t n, uint64_t start, uint64_t end, uint64_t mask)
{
	while (start < end) {
		const struct vchunk *c = vchunk_find(map, n, start);

		if (!c || c->logical + c->length <= start || !(c->type & mask))
			return 0;
		start = c->logical + c->length;
	}
	return 1;
}

struct address_tally {
	uint64_t count, first;
};

static void tally(struct address_tally *t, uint64_t where)
{
	if (!t->count++)
		t->first = where;
}

/* Tree blocks and data inside chunks of their kind (the chunk tree's, else the system array's). */
static void check_addresses(struct verifier *v)
{
	/* Without the chunk tree only its own blocks can be placed: the rest says nothing more. */
	int system_only = !v->ntree_chunks;
	const struct vchunk *map = system_only ? v->sys_chunks : v->tree_chunks;
	size_t n = system_only ? v->nsys_chunks : v->ntree_chunks, i;
	struct address_tally unmapped = { 0 }, overlaps = { 0 }, on_data = { 0 }, data_unmapped = { 0 };
	uint64_t nodesize = v->fs.nodesize;

	struct vblock block, next, *b = &block;
	uint64_t k;

	if (v->facts.nblocks)
		facts_block(&v->facts, 0, &next);
	for (k = 0; k < v->facts.nblocks; k++) {
		unsigned flags = facts_flags(&v->facts, k);
		uint64_t mask = flags & VB_SYSTEM ? BTRFS_BLOCK_GROUP_SYSTEM
						  : BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_SYSTEM;

		block = next;
		if (k + 1 < v->facts.nblocks)
			facts_block(&v->facts, k + 1, &next);
		if (flags & VB_SUPERSEDED)
			continue;
		if ((!system_only || (flags & VB_SYSTEM)) &&
		    (b->bytenr + nodesize < b->bytenr || !inside_chunks(map, n, b->bytenr, b->bytenr + nodesize, mask)))
			tally(&unmapped, b->bytenr);
		if (k + 1 < v->facts.nblocks && next.bytenr < b->bytenr + nodesize)
			tally(&overlaps, b->bytenr);
		if (data_overlaps(v, b->bytenr, b->bytenr + nodesize))
			tally(&on_data, b->bytenr);
	}
	for (i = 0; i < v->data.count; i++) {
		const struct vrange *d = &v->data.items[i];
		const struct vchunk *c = vchunk_find(map, n, d->end - 1);

		/* with the system chunks alone, data is known to be misplaced only inside one of them */
		if (system_only ? c && c->logical + c->length > d->start
				: !inside_chunks(map, n, d->start, d->end, BTRFS_BLOCK_GROUP_DATA))
			tally(&data_unmapped, d->start);
	}
	if (unmapped.count)
		problem(v, PROBLEM_ADDRESS, NULL,
			"tree blocks outside every chunk of their kind, which a restore cannot place: %" PRIu64
			" (the first at %" PRIu64 ")",
			unmapped.count, unmapped.first);
	if (overlaps.count)
		problem(v, PROBLEM_ADDRESS, NULL, "tree blocks overlapping the next one: %" PRIu64 " (the first at %" PRIu64 ")",
			overlaps.count, overlaps.first);
	if (on_data.count)
		problem(v, PROBLEM_ADDRESS, NULL, "tree blocks overlapping data records: %" PRIu64 " (the first at %" PRIu64 ")",
			on_data.count, on_data.first);
	if (data_unmapped.count)
		problem(v, PROBLEM_ADDRESS, NULL,
			"data records outside every data chunk: %" PRIu64 " runs (the first at %" PRIu64
			"; a tree block whose header is damaged is stored as data)",
			data_unmapped.count, data_unmapped.first);
}

void verify_chunks(struct verifier *v)
{
	/* Without the whole chunk tree its chunks say nothing: the missing block is the problem. */
	if (v->chunk_tree_incomplete) {
		if (v->nrecord_chunks) {
			free(v->tree_chunks);
			v->tree_chunks = v->record_chunks;
			v->ntree_chunks = v->nrecord_chunks;
			v->record_chunks = NULL;
			v->nrecord_chunks = 0;
		}
		sort_array(v->tree_chunks, v->ntree_chunks, sizeof(*v->tree_chunks), vchunk_order);
	} else {
		check_chunk_tree(v);
		check_block_groups(v);
	}
	check_addresses(v);
}
