#include "hashcopies.h"
#include "btrfs.h"
#include "crc32c.h"
#include "le.h"
#include "tree.h"
#include "vec.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>

#define DIR_NAME_SEED 0xFFFFFFFEu
#define DIR_LOG_ITEM_SIZE 8

/* A drop_progress key whose type makes its offset a name hash, and where it goes. */
struct drop_key {
	struct btrfs_key key;
	struct btrfs_key now;
	uint8_t seen;	  /* a node pointer had this key */
	uint8_t conflict; /* pointers with this key went to different keys */
};

/* A short name's DIR_ITEM hash and its replacement's. */
struct hash_move {
	uint32_t old, now;
	uint32_t ambiguous; /* another short name has the old hash and a different new one */
};

struct hash_copies {
	VEC(struct drop_key) drops;
	VEC(struct hash_move) moves;
	int dir_logs; /* a dir log item or pointer was seen: moves are built */
	struct name_map *map; /* for add_move */
	uint64_t drops_moved, drops_hidden, log_bounds_moved;
};

static const char why_log_range[] =
	"a directory log range whose bounds cannot follow the short names (two names with its hash, or "
	"ranges out of order)";

struct hash_copies *hash_copies_new(void)
{
	return xcalloc(1, sizeof(struct hash_copies));
}

void hash_copies_free(struct hash_copies *hc)
{
	VEC_FREE(hc->drops);
	VEC_FREE(hc->moves);
	free(hc);
}

static int is_hash_type(uint8_t type)
{
	return type == BTRFS_DIR_ITEM_KEY || type == BTRFS_INODE_EXTREF_KEY;
}

/* --- first pass ----------------------------------------------------------- */

int hash_copies_scan(struct hash_copies *hc, const uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	int found = 0;

	if (tree_block_level(block) != 0) {
		if (nritems > (nodesize - HDR_SIZE) / KEY_PTR_SIZE)
			return 0;
		for (uint32_t i = 0; i < nritems; i++)
			if (block[HDR_SIZE + (size_t)i * KEY_PTR_SIZE + KEY_TYPE] == BTRFS_DIR_LOG_ITEM_KEY)
				found = hc->dir_logs = 1;
		return found;
	}
	if (nritems > (nodesize - HDR_SIZE) / ITEM_SIZE)
		return 0;
	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		struct drop_key drop = { 0 };
		uint32_t off, size;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			continue;
		if (key.type == BTRFS_DIR_LOG_ITEM_KEY) {
			found = hc->dir_logs = 1;
			continue;
		}
		if (key.type != BTRFS_ROOT_ITEM_KEY || size < ROOT_ITEM_MIN_SIZE)
			continue;
		key_read(block + off + ROOT_ITEM_DROP_PROGRESS, &drop.key);
		if (!is_hash_type(drop.key.type))
			continue;
		drop.now = drop.key;
		VEC_PUSH(hc->drops, drop);
		found = 1;
	}
	return found;
}

/* --- resolving ------------------------------------------------------------ */

static int by_key(const void *a, const void *b)
{
	return key_compare(&((const struct drop_key *)a)->key, &((const struct drop_key *)b)->key);
}

static struct drop_key *find_drop(const struct hash_copies *hc, const struct btrfs_key *key)
{
	size_t lo = 0, hi = hc->drops.count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_compare(&hc->drops.items[mid].key, key);

		if (c == 0)
			return &hc->drops.items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void see_pointer(void *ctx, const struct btrfs_key *old_key, const struct btrfs_key *new_key)
{
	struct drop_key *d = find_drop(ctx, old_key);

	if (!d)
		return;
	if (!d->seen)
		d->now = *new_key;
	else if (key_compare(&d->now, new_key) != 0)
		d->conflict = 1;
	d->seen = 1;
}

static void add_move(void *ctx, const uint8_t *name, size_t n)
{
	struct hash_copies *hc = ctx;
	struct hash_move m = { crc32c_raw(DIR_NAME_SEED, name, n), 0, 0 };

	m.now = crc32c_raw(DIR_NAME_SEED, name_map_get(hc->map, name, n), n);
	VEC_PUSH(hc->moves, m);
}

static int by_old(const void *a, const void *b)
{
	const struct hash_move *x = a, *y = b;

	if (x->old != y->old)
		return x->old < y->old ? -1 : 1;
	return x->now < y->now ? -1 : x->now > y->now;
}

void hash_copies_resolve(struct hash_copies *hc, const struct placement *p, struct name_map *map)
{
	size_t kept = 0;

	if (hc->drops.count > 1)
		qsort(hc->drops.items, hc->drops.count, sizeof(*hc->drops.items), by_key);
	for (size_t i = 0; i < hc->drops.count; i++)
		if (kept == 0 || key_compare(&hc->drops.items[kept - 1].key, &hc->drops.items[i].key) != 0)
			hc->drops.items[kept++] = hc->drops.items[i];
	hc->drops.count = kept;
	placement_each_pointer(p, see_pointer, hc);
	for (size_t i = 0; i < hc->drops.count; i++) {
		struct drop_key *d = &hc->drops.items[i];

		/* No pointer says where the key went: hidden, past where the deletion stopped. */
		if (!d->seen || d->conflict) {
			d->now = d->key;
			d->now.offset = UINT64_MAX;
		}
	}
	if (!hc->dir_logs)
		return;
	hc->map = map;
	placement_each_name(p, add_move, hc);
	if (hc->moves.count > 1)
		qsort(hc->moves.items, hc->moves.count, sizeof(*hc->moves.items), by_old);
	for (size_t i = 1; i < hc->moves.count; i++)
		if (hc->moves.items[i].old == hc->moves.items[i - 1].old &&
		    hc->moves.items[i].now != hc->moves.items[i - 1].now)
			hc->moves.items[i].ambiguous = hc->moves.items[i - 1].ambiguous = 1;
}

/* --- second pass ---------------------------------------------------------- */

static const struct hash_move *find_move(const struct hash_copies *hc, uint64_t hash)
{
	size_t i;

	if (hash > UINT32_MAX)
		return NULL;
	i = VEC_LOWER_BOUND(hc->moves, old, (uint32_t)hash);
	return i < hc->moves.count && hc->moves.items[i].old == hash ? &hc->moves.items[i] : NULL;
}

/*
 * Where a dir log bound goes: a short name's hash follows the name, and so
 * does one above it (a range that starts after an entry) or below it (one
 * that ends before an entry), in that order.  0 when it stays, 1 when it
 * moves, -1 when it cannot follow for sure.
 */
static int map_bound(const struct hash_copies *hc, uint64_t v, uint64_t *out)
{
	const struct hash_move *m;

	*out = v;
	if ((m = find_move(hc, v)) != NULL) {
		*out = m->now;
	} else if (v > 0 && (m = find_move(hc, v - 1)) != NULL) {
		*out = (uint64_t)m->now + 1;
	} else if (v < UINT64_MAX && (m = find_move(hc, v + 1)) != NULL) {
		if (m->now == 0)
			return -1;
		*out = (uint64_t)m->now - 1;
	} else {
		return 0;
	}
	if (m->ambiguous)
		return -1;
	return *out != v;
}

/*
 * The key of slot i, a leaf's item or a node's pointer; for a leaf's dir
 * log item also its end, and where that is (*at).  -1: no such item.
 */
static int slot_key(const uint8_t *block, uint32_t nodesize, uint32_t i, struct btrfs_key *key, uint64_t *end,
		    uint32_t *at)
{
	uint32_t size;

	*end = 0;
	*at = 0;
	if (tree_block_level(block) != 0) {
		uint64_t child, generation;

		node_ptr(block, i, key, &child, &generation);
		return 0;
	}
	if (leaf_item(block, nodesize, i, key, at, &size) < 0)
		return -1;
	if (key->type == BTRFS_DIR_LOG_ITEM_KEY) {
		if (size != DIR_LOG_ITEM_SIZE)
			return -1;
		*end = get_le64(block, *at);
	}
	return 0;
}

/* Where a dir log range's bounds go (end: a leaf's item only); -1 when one cannot follow for sure. */
static int map_range(const struct hash_copies *hc, int leaf, struct btrfs_key *key, uint64_t *end)
{
	if (map_bound(hc, key->offset, &key->offset) < 0)
		return -1;
	if (leaf && map_bound(hc, *end, end) < 0)
		return -1;
	return 0;
}

const char *hash_copies_unmappable(const struct hash_copies *hc, const uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	int leaf = tree_block_level(block) == 0;
	struct btrfs_key prev = { 0, 0, 0 };
	int have_prev = 0;

	if (!hc->dir_logs || nritems > (nodesize - HDR_SIZE) / (leaf ? ITEM_SIZE : KEY_PTR_SIZE))
		return NULL;
	for (uint32_t i = 0; i < nritems; i++) {
		struct btrfs_key key;
		uint64_t start, end;
		uint32_t at;

		/* A readable block's items lie inside it, dir log items of 8 bytes (nameless.c). */
		if (slot_key(block, nodesize, i, &key, &end, &at) < 0)
			return why_log_range;
		if (key.type != BTRFS_DIR_LOG_ITEM_KEY) {
			have_prev = 0;
			continue;
		}
		start = key.offset;
		if (map_range(hc, leaf, &key, &end) < 0)
			return why_log_range;
		/* The bounds keep their order: between the ranges of one directory, and within a range. */
		if (have_prev && prev.objectid == key.objectid && prev.offset >= key.offset)
			return why_log_range;
		if (leaf && get_le64(block, at) >= start && end < key.offset)
			return why_log_range;
		prev = key;
		have_prev = 1;
	}
	return NULL;
}

static int fix_drop(struct hash_copies *hc, uint8_t *item)
{
	struct btrfs_key key;
	const struct drop_key *d;

	key_read(item + ROOT_ITEM_DROP_PROGRESS, &key);
	if (!is_hash_type(key.type) || (d = find_drop(hc, &key)) == NULL || d->now.offset == key.offset)
		return 0;
	if (d->seen && !d->conflict)
		hc->drops_moved++;
	else
		hc->drops_hidden++;
	put_le64(item + ROOT_ITEM_DROP_PROGRESS, KEY_OFFSET, d->now.offset);
	return 1;
}

int hash_copies_fix(struct hash_copies *hc, uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	int leaf = tree_block_level(block) == 0, changed = 0;

	if (nritems > (nodesize - HDR_SIZE) / (leaf ? ITEM_SIZE : KEY_PTR_SIZE))
		return 0;
	for (uint32_t i = 0; i < nritems; i++) {
		uint8_t *key_at = block + HDR_SIZE + (size_t)i * (leaf ? ITEM_SIZE : KEY_PTR_SIZE);
		struct btrfs_key key;
		uint64_t end;
		uint32_t at, size;

		key_read(key_at, &key);
		if (leaf && key.type == BTRFS_ROOT_ITEM_KEY && leaf_item(block, nodesize, i, &key, &at, &size) == 0 &&
		    size >= ROOT_ITEM_MIN_SIZE)
			changed |= fix_drop(hc, block + at);
		/* hash_copies_unmappable passed the block: every range maps. */
		if (key.type != BTRFS_DIR_LOG_ITEM_KEY || !hc->dir_logs || slot_key(block, nodesize, i, &key, &end, &at) < 0 ||
		    map_range(hc, leaf, &key, &end) < 0)
			continue;
		if (get_le64(key_at, KEY_OFFSET) != key.offset) {
			put_le64(key_at, KEY_OFFSET, key.offset);
			hc->log_bounds_moved++;
			changed = 1;
		}
		if (leaf && get_le64(block, at) != end) {
			put_le64(block, at, end);
			hc->log_bounds_moved++;
			changed = 1;
		}
	}
	return changed;
}

void hash_copies_counts(const struct hash_copies *hc, uint64_t *drops_moved, uint64_t *drops_hidden,
			uint64_t *log_bounds_moved)
{
	*drops_moved = hc->drops_moved;
	*drops_hidden = hc->drops_hidden;
	*log_bounds_moved = hc->log_bounds_moved;
}
