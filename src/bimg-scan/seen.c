/*
 * The blocks a walk has offered: an open-addressing hash set of bytenrs.
 * It is kept at most half full, so it costs at most 16 bytes per tree
 * block (16 MiB per million blocks, i.e. per 16 GiB of 16 KiB metadata);
 * it is the one structure of walk mode that grows with the filesystem.
 */
#include "scan.h"
#include "msg.h"

#include <stdlib.h>

struct seen_set {
	uint64_t *slots; /* 0 = empty; bytenr 0 is never a tree block */
	size_t capacity; /* a power of two */
	size_t count;
	int has_zero;
};

static size_t hash(uint64_t v, size_t mask)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (size_t)v & mask;
}

struct seen_set *seen_new(void)
{
	struct seen_set *s = xcalloc(1, sizeof(*s));

	s->capacity = 1024;
	s->slots = xcalloc(s->capacity, sizeof(*s->slots));
	return s;
}

static int insert(struct seen_set *s, uint64_t v)
{
	size_t mask = s->capacity - 1, i = hash(v, mask);

	while (s->slots[i]) {
		if (s->slots[i] == v)
			return 1;
		i = (i + 1) & mask;
	}
	s->slots[i] = v;
	s->count++;
	return 0;
}

static void grow(struct seen_set *s)
{
	uint64_t *old = s->slots;
	size_t old_capacity = s->capacity, i;

	s->capacity *= 2;
	s->slots = xcalloc(s->capacity, sizeof(*s->slots));
	s->count = 0;
	for (i = 0; i < old_capacity; i++)
		if (old[i])
			insert(s, old[i]);
	free(old);
}

int seen_test_and_add(struct seen_set *s, uint64_t bytenr)
{
	if (bytenr == 0) {
		int had = s->has_zero;
		s->has_zero = 1;
		return had;
	}
	if ((s->count + 1) * 2 > s->capacity)
		grow(s);
	return insert(s, bytenr);
}

void seen_free(struct seen_set *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s);
}
