#include "generation.h"

#include "le.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define FIRST_SLOTS 1024
#define FIRST_ARENA (64u << 10)
#define FLAG_STORED 1

uint64_t generation_hash(uint64_t hash_seed, const uint8_t *p, size_t n)
{
	return XXH3_64bits_withSeed(p, n, hash_seed);
}

/* The slot a hash starts probing at: the high bits, spread over any table size. */
static size_t home_slot(uint64_t h, size_t slots)
{
	return (size_t)(((unsigned __int128)h * slots) >> 64);
}

static void table_alloc(struct generation_table *t, size_t slots)
{
	t->slots = xcalloc(slots, sizeof(*t->slots));
}

static void table_release(struct generation_table *t)
{
	free(t->slots);
}

void generation_init(struct generation *g, size_t slots_max, size_t arena_max, uint64_t hash_seed)
{
	memset(g, 0, sizeof(*g));
	g->hash_seed = hash_seed;
	g->slots_max = slots_max < 4 ? 4 : slots_max;
	g->slots = g->slots_max < FIRST_SLOTS ? g->slots_max : FIRST_SLOTS;
	/* Slots hold an arena offset + 1 in 32 bits. */
	g->arena_max = arena_max < GENERATION_ENTRY_MAX ? GENERATION_ENTRY_MAX : arena_max;
	if (g->arena_max > UINT32_MAX - 1)
		g->arena_max = UINT32_MAX - 1;
	table_alloc(&g->forward, g->slots);
	table_alloc(&g->reverse, g->slots);
}

void generation_free(struct generation *g)
{
	table_release(&g->forward);
	table_release(&g->reverse);
	free(g->arena);
	memset(g, 0, sizeof(*g));
}

void generation_clear(struct generation *g)
{
	memset(g->forward.slots, 0, g->slots * sizeof(*g->forward.slots));
	memset(g->reverse.slots, 0, g->slots * sizeof(*g->reverse.slots));
	g->arena_used = 0;
	g->count = 0;
}

/* Does the entry at arena offset `at` have p[0..n) as its original (or replacement)? */
static int entry_has(const struct generation *g, size_t at, int reverse, const uint8_t *p, size_t n)
{
	const uint8_t *e = g->arena + at;

	if (get_le16(e, 0) != n)
		return 0;
	return memcmp(e + GENERATION_ENTRY_HEADER + (reverse ? n : 0), p, n) == 0;
}

/* The slot of the entry whose original (or replacement) is p[0..n), or the empty slot where it would go. */
static size_t probe(const struct generation *g, const struct generation_table *t, int reverse, const uint8_t *p,
		    size_t n, uint64_t h)
{
	size_t i = home_slot(h, g->slots);

	for (;;) {
		const struct generation_slot *s = &t->slots[i];

		if (!s->entry || (s->tag == (uint32_t)h && entry_has(g, s->entry - 1, reverse, p, n)))
			return i;
		if (++i == g->slots)
			i = 0;
	}
}

const uint8_t *generation_find(const struct generation *g, const uint8_t *name, size_t n, uint64_t h)
{
	uint32_t e = g->forward.slots[probe(g, &g->forward, 0, name, n, h)].entry;

	return e ? g->arena + (e - 1) + GENERATION_ENTRY_HEADER + n : NULL;
}

int generation_owns(const struct generation *g, const uint8_t *repl, size_t n, uint64_t h)
{
	return g->reverse.slots[probe(g, &g->reverse, 1, repl, n, h)].entry != 0;
}

static void table_put(struct generation *g, struct generation_table *t, int reverse, size_t at, uint64_t h)
{
	const uint8_t *e = g->arena + at;
	size_t n = get_le16(e, 0);
	size_t i = probe(g, t, reverse, e + GENERATION_ENTRY_HEADER + (reverse ? n : 0), n, h);

	t->slots[i].entry = (uint32_t)(at + 1);
	t->slots[i].tag = (uint32_t)h;
}

/* Larger tables, every entry hashed again. */
static void grow_tables(struct generation *g)
{
	size_t slots = 2 * g->slots < g->slots_max ? 2 * g->slots : g->slots_max;
	struct generation_entry e;
	size_t cursor = 0, at;

	table_release(&g->forward);
	table_release(&g->reverse);
	g->slots = slots;
	table_alloc(&g->forward, slots);
	table_alloc(&g->reverse, slots);
	for (at = cursor; generation_next(g, &cursor, &e); at = cursor) {
		table_put(g, &g->forward, 0, at, generation_hash(g->hash_seed, e.orig, e.len));
		table_put(g, &g->reverse, 1, at, generation_hash(g->hash_seed, e.repl, e.len));
	}
}

/* Room for `need` more arena bytes: 0 if that would pass arena_max. */
static int arena_room(struct generation *g, size_t need)
{
	size_t size = g->arena_size ? g->arena_size : FIRST_ARENA;

	if (need > g->arena_max - g->arena_used)
		return 0;
	while (size - g->arena_used < need)
		size *= 2;
	if (size > g->arena_max)
		size = g->arena_max;
	if (size != g->arena_size) {
		g->arena = xrealloc(g->arena, size);
		g->arena_size = size;
	}
	return 1;
}

int generation_add(struct generation *g, const uint8_t *orig, const uint8_t *repl, size_t n, uint64_t h_orig,
		   uint64_t h_repl, int stored)
{
	size_t at = g->arena_used;
	uint8_t *e;

	if (2 * (g->count + 1) > g->slots_max || !arena_room(g, GENERATION_ENTRY_HEADER + 2 * n))
		return 0;
	if (2 * (g->count + 1) > g->slots)
		grow_tables(g);
	e = g->arena + at;
	put_le16(e, 0, (uint16_t)n);
	e[2] = stored ? FLAG_STORED : 0;
	memcpy(e + GENERATION_ENTRY_HEADER, orig, n);
	memcpy(e + GENERATION_ENTRY_HEADER + n, repl, n);
	g->arena_used += GENERATION_ENTRY_HEADER + 2 * n;
	g->count++;
	table_put(g, &g->forward, 0, at, h_orig);
	table_put(g, &g->reverse, 1, at, h_repl);
	return 1;
}

int generation_next(const struct generation *g, size_t *cursor, struct generation_entry *e)
{
	const uint8_t *p;

	if (*cursor >= g->arena_used)
		return 0;
	p = g->arena + *cursor;
	e->len = get_le16(p, 0);
	e->stored = p[2] & FLAG_STORED;
	e->orig = p + GENERATION_ENTRY_HEADER;
	e->repl = e->orig + e->len;
	*cursor += GENERATION_ENTRY_HEADER + 2 * e->len;
	return 1;
}
