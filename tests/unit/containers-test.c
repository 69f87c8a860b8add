/*
 * The chunk map (src/common/chunk_map.c) and the hash map and hash set
 * (src/common/hashmap.c) against brute force, on keys in increasing,
 * decreasing and random order.  Prints one line per check and exits 1 on
 * the first difference.
 */
#include "chunk.h"
#include "hashmap.h"
#include "msg.h"
#include "vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 20000

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int fail(const char *what, unsigned long long at)
{
	printf("FAIL: %s at %llu\n", what, at);
	return 1;
}

/* Chunk k covers [k * 16 KiB, k * 16 KiB + 4 KiB * (1 + k % 3)): gaps between chunks. */
static uint64_t start_of(size_t k) { return (uint64_t)k * 16384; }
static uint64_t length_of(size_t k) { return 4096 * (1 + k % 3); }

static int check_chunk_map(const size_t *order, const char *name)
{
	struct chunk_map map;
	const struct chunk *c;
	size_t i, k;

	chunk_map_init(&map);
	for (i = 0; i < N; i++) {
		struct chunk ch = { start_of(order[i]), length_of(order[i]), 65536, BTRFS_BLOCK_GROUP_DATA, 1, 1, NULL };
		struct chunk again = ch, overlap = ch;

		ch.stripes = xcalloc(1, sizeof(*ch.stripes));
		ch.stripes[0].offset = order[i];
		if (chunk_map_add(&map, &ch))
			return fail("add", order[i]);
		again.stripes = xcalloc(1, sizeof(*again.stripes));
		if (chunk_map_add(&map, &again) || map.count != i + 1) /* a repetition: the first stays */
			return fail("repeated add", order[i]);
		/* Same start, longer; then (for chunks over one sector) starting inside */
		overlap.length += 4096;
		overlap.stripes = xcalloc(1, sizeof(*overlap.stripes));
		if (!chunk_map_add(&map, &overlap))
			return fail("overlap accepted", order[i]);
		if (length_of(order[i]) > 4096) {
			overlap = again;
			overlap.logical += 4096;
			overlap.stripes = xcalloc(1, sizeof(*overlap.stripes));
			if (!chunk_map_add(&map, &overlap))
				return fail("overlap inside", order[i]);
		}
	}
	for (k = 0, c = chunk_map_first(&map); c; c = chunk_map_next(&map, c), k++)
		if (c->logical != start_of(k) || c->stripes[0].offset != k)
			return fail("iteration order", k);
	if (k != N)
		return fail("iteration count", k);
	for (k = 0; k < N; k++) {
		const struct chunk *after = chunk_map_after(&map, start_of(k));

		c = chunk_map_lookup(&map, start_of(k));
		if (!c || c->logical != start_of(k) || &map.added[chunk_map_index(&map, c)] != c)
			return fail("lookup at the start", k);
		c = chunk_map_lookup(&map, start_of(k) + length_of(k) - 1);
		if (!c || c->logical != start_of(k))
			return fail("lookup at the end", k);
		if (chunk_map_lookup(&map, start_of(k) + length_of(k)))
			return fail("lookup in a gap", k);
		if (k + 1 < N ? !after || after->logical != start_of(k + 1) : after != NULL)
			return fail("after", k);
	}
	chunk_map_free(&map);
	printf("ok: chunk map, %d chunks in %s order\n", N, name);
	return 0;
}

static int check_hashmap(void)
{
	struct hashmap h;
	uint64_t key, value, *v;
	size_t pos = 0, seen = 0, i;
	int added;

	hashmap_init(&h);
	for (i = 0; i < N; i++) {
		/* Multiples of 4096 as block addresses are, and key 0. */
		hashmap_insert(&h, (uint64_t)i * 4096, i, &added);
		if (!added)
			return fail("hashmap insert", i);
		if (*hashmap_insert(&h, (uint64_t)i * 4096, i + 1, &added) != i || added)
			return fail("hashmap insert again", i);
	}
	for (i = 0; i < N; i++)
		if (!(v = hashmap_find(&h, (uint64_t)i * 4096)) || *v != i || hashmap_find(&h, (uint64_t)i * 4096 + 1) ||
		    !hashmap_contains(&h, (uint64_t)i * 4096) || hashmap_contains(&h, (uint64_t)i * 4096 + 1))
			return fail("hashmap find", i);
	while (hashmap_next(&h, &pos, &key, &value)) {
		if (key != value * 4096)
			return fail("hashmap iteration", key);
		seen++;
	}
	if (seen != N || h.count != N)
		return fail("hashmap iteration count", seen);
	hashmap_free(&h);
	printf("ok: hash map, %d keys\n", N);
	return 0;
}

/* Random keys below 4 N (so that about one in eight repeats), key 0 among them, against a bitmap. */
static int check_hashset(void)
{
	static uint8_t present[4 * N];
	struct hashmap s;
	uint64_t key, value;
	size_t pos = 0, distinct = 0, seen = 0, i;

	hashmap_init_set(&s);
	for (i = 0; i < N; i++) {
		key = i == N / 2 ? 0 : next_random() % (4 * N);
		if (hashmap_test_and_add(&s, key) != present[key])
			return fail("hashset test and add", key);
		distinct += !present[key];
		present[key] = 1;
		if (!hashmap_test_and_add(&s, key))
			return fail("hashset add again", key);
	}
	for (key = 0; key < 4 * N; key++)
		if (hashmap_contains(&s, key) != present[key])
			return fail("hashset contains", key);
	while (hashmap_next(&s, &pos, &key, &value)) {
		if (key >= 4 * N || !present[key] || value != 0)
			return fail("hashset iteration", key);
		seen++;
	}
	if (seen != distinct || s.count != distinct || !hashmap_contains(&s, 0))
		return fail("hashset iteration count", seen);
	hashmap_free(&s);
	printf("ok: hash set, %zu keys\n", distinct);
	return 0;
}

struct pair {
	uint64_t key;
	int value;
};

static int check_vec(void)
{
	VEC(struct pair) v = VEC_INIT;
	size_t i;

	for (i = 0; i < N; i++) {
		struct pair p = { 2 * (uint64_t)i, (int)i };
		VEC_PUSH(v, p);
	}
	for (i = 0; i < N; i++)
		if (VEC_LOWER_BOUND(v, key, 2 * (uint64_t)i) != i || VEC_LOWER_BOUND(v, key, 2 * (uint64_t)i + 1) != i + 1)
			return fail("vec lower bound", i);
	if (v.count != N || v.items[N - 1].value != N - 1)
		return fail("vec push", v.count);
	VEC_FREE(v);
	printf("ok: vec, %d elements\n", N);
	return 0;
}

/*
 * An array that outgrows malloc into a mapping of its own, then grows
 * by moving its pages (vec.c): every element survives each move, and
 * VEC_RESERVE of a large size at once works as well as pushes.
 */
static int check_large_vec(void)
{
	VEC(uint64_t) v = VEC_INIT;
	VEC(uint8_t) bytes = VEC_INIT;
	size_t i, n = 3u << 20; /* 24 MiB of elements: several mapped sizes */

	for (i = 0; i < n; i++)
		VEC_PUSH(v, i * 0x9E3779B97F4A7C15ull);
	for (i = 0; i < n; i++)
		if (v.items[i] != i * 0x9E3779B97F4A7C15ull)
			return fail("large vec element", i);
	if (v.capacity < n || v.capacity * sizeof(*v.items) % (2u << 20) != 0)
		return fail("large vec capacity", v.capacity);
	VEC_FREE(v);
	VEC_RESERVE(bytes, (size_t)5 << 20);
	memset(bytes.items, 0xa5, (size_t)5 << 20);
	VEC_RESERVE(bytes, (size_t)9 << 20);
	for (i = 0; i < ((size_t)5 << 20); i += 4093)
		if (bytes.items[i] != 0xa5)
			return fail("reserved vec byte", i);
	VEC_FREE(bytes);
	printf("ok: large vec, %zu elements\n", n);
	return 0;
}

int main(void)
{
	static size_t order[N];
	size_t i;

	msg_init("containers-test");
	/* Before any array grows: the large ones go through mappings (the malloc side is every program's). */
	vec_map_large_arrays();
	for (i = 0; i < N; i++)
		order[i] = i;
	if (check_chunk_map(order, "increasing"))
		return 1;
	for (i = 0; i < N; i++)
		order[i] = N - 1 - i;
	if (check_chunk_map(order, "decreasing"))
		return 1;
	for (i = N - 1; i > 0; i--) {
		size_t j = (size_t)(next_random() % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	if (check_chunk_map(order, "random"))
		return 1;
	return check_hashmap() || check_hashset() || check_vec() || check_large_vec();
}
