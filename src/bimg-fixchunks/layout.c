/*
 * One target for a multi-device source (docs/restore.md; the reference
 * lets copies overlap, and aborts on some layouts): every chunk becomes
 * SINGLE, or DUP with two copies, with its full logical length, on the
 * device whose superblock was dumped.
 *
 * A copy keeps its original physical offset when
 *   - no copy with a lower offset already took part of that range (the
 *     offsets came from different devices and may overlap), and
 *   - it stays above the first MiB (primary superblock), and
 *   - a superblock mirror inside it lands on bytes the source never used:
 *     true for the linear profiles (SINGLE, DUP, RAID1*), whose offset ->
 *     logical mapping is unchanged, so the source excluded the same
 *     logical bytes for its own mirror; a striped chunk (RAID0/10/5/6)
 *     made linear maps other logical bytes there, so it must move.
 * Every other copy goes, in logical order, to the end of used space E
 * (the maximum end over all kept copies, both DUP copies counted),
 * aligned to 1 MiB and stepping over superblock mirror locations.
 */
#include "layout.h"
#include "le.h"
#include "msg.h"
#include "super.h"

#include <stdlib.h>
#include <string.h>

#define LAYOUT_ALIGN (1ULL << 20)
#define LAYOUT_FLOOR (1ULL << 20)

struct copy_slot {
	size_t chunk;  /* chunk_map_index in the source map */
	uint64_t logical; /* the chunk's start */
	int copy;      /* 0, or 1 for the second DUP copy */
	uint64_t start;
	uint64_t length;
	int keep;
};

uint64_t layout_type(uint64_t source_type)
{
	return source_type & (BTRFS_BLOCK_GROUP_TYPE_MASK | BTRFS_BLOCK_GROUP_DUP);
}

static int is_linear(uint64_t type)
{
	return !(type & (BTRFS_BLOCK_GROUP_RAID0 | BTRFS_BLOCK_GROUP_RAID10 | BTRFS_BLOCK_GROUP_RAID5 |
			 BTRFS_BLOCK_GROUP_RAID6));
}

/* The first superblock mirror location inside [start, start + len), or 0. */
static uint64_t mirror_inside(uint64_t start, uint64_t len)
{
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		uint64_t at = super_mirror_offset(i);
		if (at + BTRFS_SUPER_SIZE > start && at < start + len)
			return at;
	}
	return 0;
}

static uint64_t align_up(uint64_t v)
{
	if (v > UINT64_MAX - LAYOUT_ALIGN)
		die("chunk layout: physical offset %llu out of range", (unsigned long long)v);
	return (v + LAYOUT_ALIGN - 1) & ~(LAYOUT_ALIGN - 1);
}

static int by_start(const void *a, const void *b)
{
	const struct copy_slot *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->chunk != y->chunk)
		return x->chunk < y->chunk ? -1 : 1;
	return x->copy - y->copy;
}

static int by_logical(const void *a, const void *b)
{
	const struct copy_slot *x = a, *y = b;

	if (x->logical != y->logical)
		return x->logical < y->logical ? -1 : 1;
	return x->copy - y->copy;
}

/* Kept copies: free, above the floor, no mirror over bytes the source used. */
static void choose_kept(struct copy_slot *slots, size_t n, const struct chunk_map *source)
{
	uint64_t taken_end = 0;
	size_t i;

	qsort(slots, n, sizeof(*slots), by_start);
	for (i = 0; i < n; i++) {
		struct copy_slot *s = &slots[i];
		const struct chunk *c = &source->added[s->chunk];

		s->keep = s->start >= LAYOUT_FLOOR && s->start <= UINT64_MAX - s->length && s->start >= taken_end &&
			  (is_linear(c->type) || !mirror_inside(s->start, s->length));
		if (s->keep)
			taken_end = s->start + s->length;
	}
}

/* Moved copies, in logical order, from the end of used space. */
static uint64_t place_moved(struct copy_slot *slots, size_t n, struct single_layout *l)
{
	uint64_t end = LAYOUT_FLOOR;
	size_t i;

	for (i = 0; i < n; i++)
		if (slots[i].keep && slots[i].start + slots[i].length > end)
			end = slots[i].start + slots[i].length;
	qsort(slots, n, sizeof(*slots), by_logical);
	for (i = 0; i < n; i++) {
		struct copy_slot *s = &slots[i];
		uint64_t at, mirror;

		if (s->keep)
			continue;
		if (mirror_inside(s->start, s->length))
			l->moved_super_chunk = 1;
		at = align_up(end);
		while (at <= UINT64_MAX - s->length && (mirror = mirror_inside(at, s->length)))
			at = align_up(mirror + BTRFS_SUPER_SIZE);
		if (at > UINT64_MAX - s->length)
			die("chunk layout: no room for chunk %llu", (unsigned long long)s->logical);
		s->start = at;
		end = at + s->length;
		l->moved_copies++;
	}
	return end;
}

static void build_placed(struct single_layout *l, const struct chunk_map *source, const struct copy_slot *slots,
			 size_t n)
{
	const struct chunk *src;
	size_t i = 0;

	/* slots are in logical order: one or two per chunk. */
	for (src = chunk_map_first(source); src; src = chunk_map_next(source, src)) {
		size_t k = chunk_map_index(source, src);
		struct chunk c = *src;
		int copies = (src->type & BTRFS_BLOCK_GROUP_DUP) ? 2 : 1, j;

		c.type = layout_type(src->type);
		c.num_stripes = (uint16_t)copies;
		c.sub_stripes = 1;
		c.stripes = xcalloc((size_t)copies, sizeof(*c.stripes));
		for (j = 0; j < copies; j++, i++) {
			if (i >= n || slots[i].chunk != k || slots[i].copy != j)
				die("chunk layout: internal inconsistency at chunk %llu", (unsigned long long)src->logical);
			c.stripes[j].devid = l->devid;
			c.stripes[j].offset = slots[i].start;
			memcpy(c.stripes[j].dev_uuid, l->dev_uuid, BTRFS_UUID_SIZE);
			l->bytes_used += slots[i].length;
		}
		if (chunk_map_add(&l->placed, &c))
			die("chunk layout: chunk %llu overlaps another one", (unsigned long long)src->logical);
	}
}

void layout_decide(struct single_layout *l, const struct chunk_map *source, const uint8_t *sb)
{
	struct copy_slot *slots = xcalloc(source->count * 2 + 1, sizeof(*slots));
	size_t n = 0, k;
	uint64_t end, original_size;

	memset(l, 0, sizeof(*l));
	chunk_map_init(&l->placed);
	l->devid = get_le64(sb, SB_DEV_ITEM + DEV_ITEM_DEVID);
	memcpy(l->dev_uuid, sb + SB_DEV_ITEM + DEV_ITEM_UUID, BTRFS_UUID_SIZE);
	for (k = 0; k < source->count; k++) {
		const struct chunk *c = &source->added[k];
		int copies = (c->type & BTRFS_BLOCK_GROUP_DUP) ? 2 : 1, j;

		for (j = 0; j < copies; j++) {
			slots[n].chunk = k;
			slots[n].logical = c->logical;
			slots[n].copy = j;
			slots[n].start = c->stripes[j].offset;
			slots[n].length = c->length;
			n++;
		}
	}
	choose_kept(slots, n, source);
	end = place_moved(slots, n, l);
	build_placed(l, source, slots, n);
	free(slots);
	original_size = get_le64(sb, SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES);
	/* The kept device keeps its free space; it grows when moved copies need more. */
	l->device_size = end > original_size ? end : original_size;
	if (l->moved_copies)
		note("%llu chunk copies moved to free space on the single target",
		     (unsigned long long)l->moved_copies);
}

void layout_free(struct single_layout *l)
{
	chunk_map_free(&l->placed);
}
