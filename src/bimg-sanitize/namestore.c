#include "namestore.h"

#include "generation.h"
#include "msg.h"
#include "namespill.h"

#include <stdlib.h>

/* Bytes of budget per table slot of one generation, all costs counted (namestore.h). */
#define TABLE_BYTES_PER_SLOT 16
#define ARENA_BYTES_PER_SLOT 12
#define BATCH_BYTES_PER_SLOT 12 /* a 24-byte record per entry, an entry per two slots */

struct name_store {
	uint64_t hash_seed;
	struct generation generations[2];
	struct generation *young, *old;
	struct name_spill *spill; /* NULL until a generation is first written out */
	size_t bloom_bytes;
	uint64_t read_back;
	uint8_t found[65536];
};

struct name_store *name_store_new(size_t budget, uint64_t hash_seed)
{
	struct name_store *s = xcalloc(1, sizeof(*s));
	size_t bloom, slots;

	if (budget < NAME_STORE_MIN_BUDGET)
		budget = NAME_STORE_MIN_BUDGET;
	bloom = budget / 4;
	slots = (budget - 2 * bloom) /
		(2 * (TABLE_BYTES_PER_SLOT + ARENA_BYTES_PER_SLOT) + BATCH_BYTES_PER_SLOT);
	s->hash_seed = hash_seed;
	s->bloom_bytes = bloom;
	for (int i = 0; i < 2; i++)
		generation_init(&s->generations[i], slots, slots * ARENA_BYTES_PER_SLOT, hash_seed);
	s->young = &s->generations[0];
	s->old = &s->generations[1];
	return s;
}

void name_store_free(struct name_store *s)
{
	generation_free(&s->generations[0]);
	generation_free(&s->generations[1]);
	name_spill_free(s->spill);
	free(s);
}

/* The old generation goes to the disk and the young one takes its place. */
static void rotate(struct name_store *s)
{
	struct generation *emptied = s->old;

	if (s->old->count) {
		if (!s->spill)
			s->spill = name_spill_new(s->bloom_bytes);
		name_spill_put(s->spill, s->old);
		generation_clear(s->old);
	}
	s->old = s->young;
	s->young = emptied;
}

static void remember(struct name_store *s, const uint8_t *name, const uint8_t *repl, size_t n, uint64_t h_name,
		     int stored)
{
	uint64_t h_repl = generation_hash(s->hash_seed, repl, n);

	if (generation_add(s->young, name, repl, n, h_name, h_repl, stored))
		return;
	rotate(s);
	if (!generation_add(s->young, name, repl, n, h_name, h_repl, stored))
		die("internal error: a name of %zu bytes does not fit an empty generation of the name map", n);
}

const uint8_t *name_store_find(struct name_store *s, const uint8_t *name, size_t n)
{
	uint64_t h = generation_hash(s->hash_seed, name, n);
	const uint8_t *repl = generation_find(s->young, name, n, h);

	if (!repl)
		repl = generation_find(s->old, name, n, h);
	if (repl || !s->spill || !name_spill_find(s->spill, name, n, s->found))
		return repl;
	s->read_back++;
	remember(s, name, s->found, n, h, 1);
	return s->found;
}

int name_store_owns(struct name_store *s, const uint8_t *repl, size_t n)
{
	uint64_t h = generation_hash(s->hash_seed, repl, n);

	if (generation_owns(s->young, repl, n, h) || generation_owns(s->old, repl, n, h))
		return 1;
	return s->spill && name_spill_owns(s->spill, repl, n);
}

void name_store_add(struct name_store *s, const uint8_t *name, const uint8_t *repl, size_t n)
{
	remember(s, name, repl, n, generation_hash(s->hash_seed, name, n), 0);
}

uint64_t name_store_spilled(const struct name_store *s)
{
	return name_spill_count(s->spill);
}

uint64_t name_store_read_back(const struct name_store *s)
{
	return s->read_back;
}
