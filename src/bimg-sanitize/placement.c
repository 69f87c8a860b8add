#include "placement.h"
#include "crc32c.h"
#include "hashmap.h"
#include "le.h"
#include "leaf.h"
#include "msg.h"
#include "tree.h"
#include "vec.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIR_NAME_SEED 0xFFFFFFFEu
#define NO_WINDOW UINT32_MAX
#define MAX_LEAF_ITEMS ((BTRFS_MAX_NODESIZE - HDR_SIZE) / ITEM_SIZE + 1)

/* A name of 1..4 bytes packed with its length: the key of the name table. */
typedef uint64_t packed_name;

struct short_name {
	packed_name name;
	uint32_t first_window;
};

struct window_link {
	struct hash_window window;
	uint32_t next;
};

/* A node pointer whose key is a DIR_ITEM or INODE_EXTREF key: it moves if its child's first item does. */
struct pointer {
	uint64_t child;
	uint64_t node;
	uint32_t index;
	uint8_t child_seen; /* the child came in the stream (placement_assign); in index's padding */
	struct btrfs_key key;
};

/* Addresses noted present wait in a temporary file, this many at a time in memory. */
#define PRESENT_BATCH 512

/* A leaf whose slot 0 is a movable short name. */
struct first_item {
	uint64_t leaf;
	struct btrfs_key key;
	uint32_t name;
	struct hash_window window;
	int fixed; /* too many pointers would move with it (hostile sharing): it stays */
};

/* A leaf whose last item is a movable short name: its window waits for the key after the leaf. */
struct last_item {
	uint64_t leaf;
	struct btrfs_key key;
	uint32_t name;
	struct hash_window window; /* hi: as if nothing were known after the leaf */
	struct btrfs_key next;	   /* resolved by placement_assign */
};

/* Pointer `child` of a node is followed by one whose key is `next` (a DIR_ITEM or INODE_EXTREF key). */
struct bound {
	uint64_t child;
	struct btrfs_key next;
};

/* Pointer `child` is the last of `node`: what follows it is what follows the node. */
struct uplink {
	uint64_t child;
	uint64_t node;
};

struct rewrite {
	uint64_t node;
	uint32_t index;
	struct btrfs_key old_key, new_key;
};

struct placement {
	VEC(struct short_name) names;
	VEC(struct window_link) windows;
	VEC(struct pointer) pointers;
	VEC(struct first_item) first_items;
	VEC(struct last_item) last_items;
	VEC(struct bound) bounds;
	VEC(struct uplink) uplinks;
	VEC(struct rewrite) rewrites;
	VEC(uint64_t) wiped; /* blocks bimg-sanitize zeroed (block.h): their pointer keys must not stay */
	/*
	 * Blocks read whose first key is a DIR_ITEM or INODE_EXTREF key: what a pointer with such a key
	 * finds.  Their addresses go to a temporary file (memory stays flat however many there are)
	 * and are matched against the pointers once all are known.
	 */
	int present_fd; /* -1 until the first one */
	uint64_t present[PRESENT_BATCH];
	size_t present_count;
	struct hashmap name_index; /* packed name -> its index in names */
	uint64_t pointers_moved;
	/*
	 * Steps of the pointer walks in placement_assign.  A real tree needs
	 * at most one per pointer and level; a hostile stream (blocks sharing a
	 * logical address, thousands of parents) gets this many in all, then
	 * the keys it has not reached stay where they are.
	 */
	int64_t walk_budget;
	int found; /* scratch for placement_scan */
};

static int is_short(const uint8_t *name, size_t n)
{
	return n >= 1 && n <= 4 && !name_is_dot_or_dotdot(name, n);
}

static packed_name pack_name(const uint8_t *name, size_t n)
{
	packed_name v = (packed_name)n << 32;

	for (size_t i = 0; i < n; i++)
		v |= (packed_name)name[i] << (8 * i);
	return v;
}

static void unpack_name(packed_name v, uint8_t *name, size_t *n)
{
	*n = (size_t)(v >> 32);
	for (size_t i = 0; i < *n; i++)
		name[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t register_name(struct placement *p, const uint8_t *name, size_t n)
{
	packed_name packed = pack_name(name, n);
	struct short_name entry = { packed, NO_WINDOW };
	const uint64_t *index = hashmap_find(&p->name_index, packed);

	if (index)
		return (uint32_t)*index;
	if (p->names.count >= UINT32_MAX - 1)
		die("more than %u distinct short names", UINT32_MAX - 1);
	hashmap_insert(&p->name_index, packed, p->names.count, NULL);
	VEC_PUSH(p->names, entry);
	return (uint32_t)(p->names.count - 1);
}

/* Windows of one seed intersect; each seed keeps its own. */
static void add_window(struct placement *p, uint32_t name, struct hash_window w)
{
	uint32_t *link = &p->names.items[name].first_window;
	struct window_link fresh = { w, NO_WINDOW };

	while (*link != NO_WINDOW) {
		struct hash_window *have = &p->windows.items[*link].window;

		if (have->seed == w.seed) {
			if (w.lo > have->lo)
				have->lo = w.lo;
			if (w.hi < have->hi)
				have->hi = w.hi;
			return;
		}
		link = &p->windows.items[*link].next;
	}
	if (p->windows.count >= NO_WINDOW)
		die("too many short-name windows");
	*link = (uint32_t)p->windows.count;
	VEC_PUSH(p->windows, fresh);
}

struct placement *placement_new(void)
{
	struct placement *p = xcalloc(1, sizeof(*p));

	hashmap_init(&p->name_index);
	p->present_fd = -1;
	return p;
}

void placement_free(struct placement *p)
{
	VEC_FREE(p->names);
	VEC_FREE(p->windows);
	VEC_FREE(p->pointers);
	VEC_FREE(p->first_items);
	VEC_FREE(p->last_items);
	VEC_FREE(p->bounds);
	VEC_FREE(p->uplinks);
	VEC_FREE(p->rewrites);
	VEC_FREE(p->wiped);
	if (p->present_fd >= 0)
		close(p->present_fd);
	hashmap_free(&p->name_index);
	free(p);
}

/* --- windows ------------------------------------------------------------ */

struct record_scan {
	struct short_key *out;
	size_t count;
	uint32_t slot;
	struct btrfs_key key;
};

static void collect_short(void *ctx, uint8_t type, uint8_t *rec, uint8_t *name, size_t n)
{
	struct record_scan *s = ctx;
	struct short_key *k;

	if (!is_short(name, n))
		return;
	k = &s->out[s->count++];
	memset(k, 0, sizeof(*k));
	k->slot = s->slot;
	k->name = name;
	k->name_len = (uint8_t)n;
	k->key = s->key;
	k->window.seed = type == BTRFS_INODE_EXTREF_KEY ? (uint32_t)get_le64(rec, INODE_EXTREF_PARENT) : DIR_NAME_SEED;
}

/*
 * The highest offset key k may take below `next`, the key after it (which
 * stays, or moves up only).  0 when they are out of order.
 */
static int upper_bound(const struct btrfs_key *k, const struct btrfs_key *next, uint32_t *hi)
{
	if (next->objectid == k->objectid && next->type == k->type) {
		if (next->offset <= k->offset)
			return 0;
		*hi = next->offset - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(next->offset - 1);
		return 1;
	}
	if (key_compare(next, k) < 0)
		return 0;
	*hi = UINT32_MAX;
	return 1;
}

/*
 * The window of a movable key between its neighbours: 1 when found, 0 when
 * the neighbours are out of order (the key then stays).  next_key: the
 * first key after the leaf, if known.
 */
static int key_window(const struct btrfs_key *keys, const uint8_t *movable, uint32_t slot, uint32_t nritems,
		      const struct btrfs_key *next_key, struct hash_window *w)
{
	const struct btrfs_key *k = &keys[slot];
	uint64_t h = k->offset;

	w->lo = w->hi = (uint32_t)h;
	if (slot > 0) {
		const struct btrfs_key *prev = &keys[slot - 1];

		if (prev->objectid == k->objectid && prev->type == k->type) {
			if (prev->offset >= h)
				return 0;
			w->lo = (uint32_t)(movable[slot - 1] ? prev->offset + (h - prev->offset) / 2 + 1
							     : prev->offset + 1);
		} else if (key_compare(prev, k) < 0) {
			w->lo = 0;
		} else {
			return 0;
		}
	}
	if (slot + 1 < nritems) {
		const struct btrfs_key *next = &keys[slot + 1];

		if (!upper_bound(k, next, &w->hi))
			return 0;
		if (movable[slot + 1] && next->objectid == k->objectid && next->type == k->type)
			w->hi = (uint32_t)(h + (next->offset - h) / 2);
	} else if (next_key && !upper_bound(k, next_key, &w->hi)) {
		return 0;
	}
	return 1;
}

size_t leaf_short_keys(uint8_t *leaf, uint32_t nodesize, const struct btrfs_key *next_key, int first_fixed,
		       struct short_key *out)
{
	static struct btrfs_key keys[MAX_LEAF_ITEMS];
	static uint8_t movable[MAX_LEAF_ITEMS];
	struct record_scan scan = { out, 0, 0, { 0, 0, 0 } };
	uint32_t nritems;
	int broken = 0;

	if (tree_block_level(leaf) != 0)
		return 0;
	nritems = tree_block_nritems(leaf);
	if (nritems > (nodesize - HDR_SIZE) / ITEM_SIZE)
		return 0;
	for (uint32_t slot = 0; slot < nritems; slot++) {
		uint32_t off, size;
		size_t before = scan.count;
		struct short_key *k;

		movable[slot] = 0;
		if (leaf_item(leaf, nodesize, slot, &keys[slot], &off, &size) < 0) {
			/* An item outside the block: no key of this leaf moves. */
			broken = 1;
			break;
		}
		if (keys[slot].type != BTRFS_DIR_ITEM_KEY && keys[slot].type != BTRFS_INODE_EXTREF_KEY)
			continue;
		scan.slot = slot;
		scan.key = keys[slot];
		if (item_name_records(keys[slot].type, leaf + off, size, collect_short, &scan) != 1 ||
		    scan.count != before + 1)
			continue;
		k = &out[before];
		movable[slot] = keys[slot].offset == crc32c_raw(k->window.seed, k->name, k->name_len);
	}
	for (size_t i = 0; i < scan.count; i++) {
		struct short_key *k = &out[i];
		uint32_t own = crc32c_raw(k->window.seed, k->name, k->name_len);

		/* A movable slot holds one record, so its short key is the only one of the slot. */
		k->movable = !broken && movable[k->slot] && !(k->slot == 0 && first_fixed) &&
			     key_window(keys, movable, k->slot, nritems, next_key, &k->window);
		if (!k->movable)
			k->window.lo = k->window.hi = own;
	}
	return scan.count;
}

/* --- first pass ----------------------------------------------------------- */

static void register_record(void *ctx, uint8_t type, uint8_t *rec, uint8_t *name, size_t n)
{
	struct placement *p = ctx;

	(void)rec;
	if (type == BTRFS_XATTR_ITEM_KEY || !is_short(name, n))
		return;
	register_name(p, name, n);
	p->found = 1;
}

static int scan_leaf(struct placement *p, uint64_t logical, uint8_t *leaf, uint32_t nodesize)
{
	static struct short_key keys[SHORT_KEYS_MAX];
	uint32_t nritems = tree_block_nritems(leaf);
	size_t count;

	if (nritems > (nodesize - HDR_SIZE) / ITEM_SIZE)
		return 0;
	p->found = 0;
	for (uint32_t slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(leaf, nodesize, slot, &key, &off, &size) == 0)
			item_name_records(key.type, leaf + off, size, register_record, p);
	}
	count = leaf_short_keys(leaf, nodesize, NULL, 0, keys);
	for (size_t i = 0; i < count; i++) {
		const struct short_key *k = &keys[i];
		uint32_t name = register_name(p, k->name, k->name_len);

		if (k->movable && k->slot == 0) {
			struct first_item first = { logical, k->key, name, k->window, 0 };

			VEC_PUSH(p->first_items, first);
		}
		if (k->movable && k->slot == nritems - 1) {
			struct last_item last = { logical, k->key, name, k->window, k->key };

			VEC_PUSH(p->last_items, last);
			continue;
		}
		add_window(p, name, k->window);
	}
	return p->found;
}

static int scan_node(struct placement *p, uint64_t logical, const uint8_t *node, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(node);
	int found = 0;

	if (nritems > (nodesize - HDR_SIZE) / KEY_PTR_SIZE)
		return 0;
	for (uint32_t i = 0; i < nritems; i++) {
		struct pointer ptr = { .node = logical, .index = i };
		uint64_t generation;

		node_ptr(node, i, &ptr.key, &ptr.child, &generation);
		if (i + 1 < nritems) {
			struct bound b = { ptr.child, { 0, 0, 0 } };
			uint64_t next_child;

			node_ptr(node, i + 1, &b.next, &next_child, &generation);
			if (b.next.type == BTRFS_DIR_ITEM_KEY || b.next.type == BTRFS_INODE_EXTREF_KEY)
				VEC_PUSH(p->bounds, b);
		} else {
			struct uplink up = { ptr.child, logical };

			VEC_PUSH(p->uplinks, up);
		}
		if (ptr.key.type != BTRFS_DIR_ITEM_KEY && ptr.key.type != BTRFS_INODE_EXTREF_KEY)
			continue;
		VEC_PUSH(p->pointers, ptr);
		found = 1;
	}
	return found;
}

static const char present_what[] = "blocks noted for the node pointers";

static void flush_present(struct placement *p)
{
	if (p->present_fd < 0)
		p->present_fd = temp_file_open(present_what);
	if (write_full(p->present_fd, p->present, p->present_count * sizeof(p->present[0])) < 0)
		die("%s: cannot write its temporary file:", present_what);
	p->present_count = 0;
}

/* Note the block when its first key is one a node pointer must not keep without it. */
static void note_present(struct placement *p, uint64_t logical, const uint8_t *block, uint32_t nodesize)
{
	struct btrfs_key first;
	uint64_t child, generation;
	uint32_t off, size;

	if (tree_block_nritems(block) == 0)
		return;
	if (tree_block_level(block) == 0) {
		if (leaf_item(block, nodesize, 0, &first, &off, &size) < 0)
			return;
	} else {
		node_ptr(block, 0, &first, &child, &generation);
	}
	if (first.type != BTRFS_DIR_ITEM_KEY && first.type != BTRFS_INODE_EXTREF_KEY)
		return;
	if (p->present_count == PRESENT_BATCH)
		flush_present(p);
	p->present[p->present_count++] = logical;
}

int placement_scan(struct placement *p, uint64_t logical, uint8_t *block, uint32_t nodesize)
{
	note_present(p, logical, block, nodesize);
	if (tree_block_level(block) == 0)
		return scan_leaf(p, logical, block, nodesize);
	return scan_node(p, logical, block, nodesize);
}

void placement_wiped(struct placement *p, uint64_t logical)
{
	VEC_PUSH(p->wiped, logical);
}

/* --- assignment ----------------------------------------------------------- */

/*
 * Pointers, bounds, uplinks, first and last items and rewrites all begin
 * with the address of the block they are looked up by (LOWER_BOUND).
 */
static int by_address(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

#define SORT_BY_ADDRESS(v)                                                          \
	do {                                                                        \
		if ((v).count > 1)                                                  \
			qsort((v).items, (v).count, sizeof(*(v).items), by_address); \
	} while (0)

static int is_original(void *ctx, const uint8_t *name, size_t n)
{
	struct placement *p = ctx;

	return n >= 1 && n <= 4 && hashmap_contains(&p->name_index, pack_name(name, n));
}

/* The pointers to `child` whose key is old_key take new_key, and so on up while they are first. */
/*
 * The pointers to `child` whose key is old_key take new_key (when new_key
 * is given), and so on up while they are first.  Returns 0 when the walk
 * would exceed *budget (a hostile stream can point any number of nodes at
 * one block), so the caller counts first (new_key NULL) and moves only then.
 */
static int move_pointers(struct placement *p, uint64_t child, const struct btrfs_key *old_key,
			 const struct btrfs_key *new_key, int depth, int64_t *budget)
{
	if (depth > BTRFS_MAX_LEVEL || --*budget < 0)
		return 0;
	for (size_t i = VEC_LOWER_BOUND(p->pointers, child, child);
	     i < p->pointers.count && p->pointers.items[i].child == child; i++) {
		const struct pointer *ptr = &p->pointers.items[i];
		struct rewrite r = { ptr->node, ptr->index, *old_key, new_key ? *new_key : *old_key };

		if (key_compare(&ptr->key, old_key) != 0)
			continue;
		if (new_key)
			VEC_PUSH(p->rewrites, r);
		if (ptr->index == 0 && !move_pointers(p, ptr->node, old_key, new_key, depth + 1, budget))
			return 0;
	}
	return 1;
}


static const struct btrfs_key no_key = { UINT64_MAX, 0xFF, UINT64_MAX };


/*
 * The smallest key that follows block `child` in any tree that holds it,
 * as far as it matters here (a DIR_ITEM or INODE_EXTREF key); no_key when
 * nothing follows it.  *budget runs out on hostile sharing: the caller
 * then keeps the window closed.
 */
static struct btrfs_key key_after(const struct placement *p, uint64_t child, int depth, int64_t *budget)
{
	struct btrfs_key best = no_key;

	if (depth > BTRFS_MAX_LEVEL || --*budget < 0)
		return best;
	for (size_t i = VEC_LOWER_BOUND(p->bounds, child, child); i < p->bounds.count && p->bounds.items[i].child == child;
	     i++)
		if (key_compare(&p->bounds.items[i].next, &best) < 0)
			best = p->bounds.items[i].next;
	for (size_t i = VEC_LOWER_BOUND(p->uplinks, child, child);
	     i < p->uplinks.count && p->uplinks.items[i].child == child; i++) {
		struct btrfs_key k = key_after(p, p->uplinks.items[i].node, depth + 1, budget);

		if (key_compare(&k, &best) < 0)
			best = k;
	}
	return best;
}

/* The windows of the leaves' last items, now that the nodes are known. */
static void close_last_items(struct placement *p)
{
	SORT_BY_ADDRESS(p->bounds);
	SORT_BY_ADDRESS(p->uplinks);
	SORT_BY_ADDRESS(p->last_items);
	for (size_t i = 0; i < p->last_items.count; i++) {
		struct last_item *last = &p->last_items.items[i];
		last->next = key_after(p, last->leaf, 0, &p->walk_budget);
		if (p->walk_budget < 0 || !upper_bound(&last->key, &last->next, &last->window.hi)) {
			/* Unknown or inconsistent: the key stays where it is (placement_next_key says so). */
			last->next = last->key;
			last->window.lo = last->window.hi = (uint32_t)last->key.offset;
		}
		add_window(p, last->name, last->window);
	}
	/* A leaf's only item is its first and its last: the first-item record takes the closed window. */
	for (size_t i = 0; i < p->first_items.count; i++) {
		struct first_item *first = &p->first_items.items[i];
		size_t j = VEC_LOWER_BOUND(p->last_items, leaf, first->leaf);

		if (j < p->last_items.count && p->last_items.items[j].leaf == first->leaf &&
		    key_compare(&p->last_items.items[j].key, &first->key) == 0)
			first->window = p->last_items.items[j].window;
	}
}

const struct btrfs_key *placement_next_key(const struct placement *p, uint64_t logical)
{
	size_t j = VEC_LOWER_BOUND(p->last_items, leaf, logical);

	if (j < p->last_items.count && p->last_items.items[j].leaf == logical)
		return &p->last_items.items[j].next;
	return NULL;
}


/* A first item whose pointers cannot all be found within the budget stays, and so does its name. */
static void fix_unmovable_first_items(struct placement *p)
{
	SORT_BY_ADDRESS(p->pointers);
	SORT_BY_ADDRESS(p->first_items);
	for (size_t i = 0; i < p->first_items.count; i++) {
		struct first_item *first = &p->first_items.items[i];
		struct hash_window closed = { first->window.seed, (uint32_t)first->key.offset,
					      (uint32_t)first->key.offset };

		if (move_pointers(p, first->leaf, &first->key, NULL, 0, &p->walk_budget))
			continue;
		first->fixed = 1;
		add_window(p, first->name, closed);
	}
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A pointer whose child never came (bimg-scan --rescue=skip left it out, or
 * another producer did) keeps that child's first key as much as a pointer
 * to a wiped block does: such children count as wiped.
 */
static void mark_seen(struct placement *p, const uint64_t *addresses, size_t count)
{
	for (size_t a = 0; a < count; a++)
		for (size_t i = VEC_LOWER_BOUND(p->pointers, child, addresses[a]);
		     i < p->pointers.count && p->pointers.items[i].child == addresses[a]; i++)
			p->pointers.items[i].child_seen = 1;
}

static void wipe_missing_children(struct placement *p)
{
	SORT_BY_ADDRESS(p->pointers);
	if (p->present_fd < 0) {
		mark_seen(p, p->present, p->present_count);
	} else {
		ssize_t got;

		/* The file is read back through the batch buffer: the batch still in it goes out first. */
		flush_present(p);
		if (lseek(p->present_fd, 0, SEEK_SET) != 0)
			die("%s: cannot rewind its temporary file:", present_what);
		while ((got = read_full(p->present_fd, p->present, sizeof(p->present))) > 0)
			mark_seen(p, p->present, (size_t)got / sizeof(p->present[0]));
		if (got < 0)
			die("%s: cannot read its temporary file back:", present_what);
	}
	for (size_t i = 0; i < p->pointers.count; i++)
		if (!p->pointers.items[i].child_seen)
			VEC_PUSH(p->wiped, p->pointers.items[i].child);
}

/*
 * A wiped block's pointer key is its old first key, and a DIR_ITEM or
 * INODE_EXTREF key of a name of 1..4 bytes gives the name back.  Nothing
 * below the pointer is left to agree with it, so it moves as high as it may
 * go (just below the key after the block): it then says nothing of the
 * old hash.  Moving up keeps every key of the blocks before it below it.
 */
static void hide_wiped_keys(struct placement *p)
{
	if (p->wiped.count > 1)
		qsort(p->wiped.items, p->wiped.count, sizeof(*p->wiped.items), by_value);
	for (size_t w = 0; w < p->wiped.count; w++) {
		uint64_t block = p->wiped.items[w];
		size_t first = VEC_LOWER_BOUND(p->pointers, child, block);

		if (w > 0 && block == p->wiped.items[w - 1])
			continue;
		for (size_t i = first; i < p->pointers.count && p->pointers.items[i].child == block; i++) {
			struct btrfs_key old_key = p->pointers.items[i].key, new_key = old_key, next;
			size_t j;
			uint32_t hi;

			/* Pointers with the same key move together, once. */
			for (j = first; j < i && key_compare(&p->pointers.items[j].key, &old_key) != 0; j++)
				;
			if (j < i)
				continue;
			next = key_after(p, block, 0, &p->walk_budget);
			if (p->walk_budget < 0)
				return;
			if (!upper_bound(&old_key, &next, &hi) || hi <= old_key.offset)
				continue;
			new_key.offset = hi;
			move_pointers(p, block, &old_key, &new_key, 0, &p->walk_budget);
		}
	}
}

int placement_first_fixed(const struct placement *p, uint64_t logical)
{
	size_t j = VEC_LOWER_BOUND(p->first_items, leaf, logical);

	return j < p->first_items.count && p->first_items.items[j].leaf == logical && p->first_items.items[j].fixed;
}

void placement_assign(struct placement *p, struct name_map *map)
{
	VEC(struct hash_window) windows = VEC_INIT;

	p->walk_budget = (int64_t)(p->pointers.count + p->bounds.count + p->uplinks.count + 1) * (BTRFS_MAX_LEVEL + 2) +
			 65536;
	close_last_items(p);
	fix_unmovable_first_items(p);

	for (size_t i = 0; i < p->names.count; i++) {
		uint8_t name[4];
		size_t n;

		windows.count = 0;
		for (uint32_t link = p->names.items[i].first_window; link != NO_WINDOW;
		     link = p->windows.items[link].next)
			VEC_PUSH(windows, p->windows.items[link].window);
		unpack_name(p->names.items[i].name, name, &n);
		name_map_place(map, name, n, windows.items, windows.count, is_original, p);
	}
	VEC_FREE(windows);

	for (size_t i = 0; i < p->first_items.count; i++) {
		const struct first_item *first = &p->first_items.items[i];
		struct btrfs_key new_key = first->key;
		int64_t budget = INT64_MAX; /* the walk was counted already */
		uint8_t name[4];
		size_t n;
		uint32_t h;

		unpack_name(p->names.items[first->name].name, name, &n);
		h = crc32c_raw(first->window.seed, name_map_get(map, name, n), n);
		/* The leaf moves its key under the same rule (leaf.c move_keys). */
		if (first->fixed || h == first->key.offset || h < first->window.lo || h > first->window.hi)
			continue;
		new_key.offset = h;
		move_pointers(p, first->leaf, &first->key, &new_key, 0, &budget);
	}
	wipe_missing_children(p);
	hide_wiped_keys(p);
	SORT_BY_ADDRESS(p->rewrites);
}

/* --- second pass ---------------------------------------------------------- */

int placement_fix_node(struct placement *p, uint64_t logical, uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(block);
	int changed = 0;

	if (tree_block_level(block) == 0 || nritems > (nodesize - HDR_SIZE) / KEY_PTR_SIZE)
		return 0;
	for (size_t i = VEC_LOWER_BOUND(p->rewrites, node, logical);
	     i < p->rewrites.count && p->rewrites.items[i].node == logical; i++) {
		const struct rewrite *r = &p->rewrites.items[i];
		uint8_t *ptr = block + HDR_SIZE + (size_t)r->index * KEY_PTR_SIZE;
		struct btrfs_key key;

		if (r->index >= nritems)
			continue;
		key_read(ptr, &key);
		if (key_compare(&key, &r->old_key) != 0)
			continue;
		put_le64(ptr, KEY_OFFSET, r->new_key.offset);
		p->pointers_moved++;
		changed = 1;
	}
	return changed;
}

void placement_each_pointer(const struct placement *p, placement_pointer_fn fn, void *ctx)
{
	for (size_t i = 0; i < p->pointers.count; i++) {
		const struct pointer *ptr = &p->pointers.items[i];
		const struct btrfs_key *now = &ptr->key;

		for (size_t j = VEC_LOWER_BOUND(p->rewrites, node, ptr->node);
		     j < p->rewrites.count && p->rewrites.items[j].node == ptr->node; j++)
			if (p->rewrites.items[j].index == ptr->index &&
			    key_compare(&p->rewrites.items[j].old_key, &ptr->key) == 0) {
				now = &p->rewrites.items[j].new_key;
				break;
			}
		fn(ctx, &ptr->key, now);
	}
}

void placement_each_name(const struct placement *p, placement_name_fn fn, void *ctx)
{
	for (size_t i = 0; i < p->names.count; i++) {
		uint8_t name[4];
		size_t n;

		unpack_name(p->names.items[i].name, name, &n);
		fn(ctx, name, n);
	}
}

uint64_t placement_pointers_moved(const struct placement *p)
{
	return p->pointers_moved;
}
