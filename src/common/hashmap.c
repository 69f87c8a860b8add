#include "hashmap.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define FIRST_CAPACITY 64

/* The finaliser of MurmurHash3: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t slot_of(const struct hashmap *h, uint64_t key)
{
	return (size_t)mix(mix(key ^ h->seed[0]) ^ h->seed[1]) & (h->capacity - 1);
}

static void init(struct hashmap *h, size_t stride)
{
	memset(h, 0, sizeof(*h));
	h->stride = stride;
	if (getrandom(h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed)) {
		/* No entropy yet (early boot): still unknown to whoever wrote the input. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		h->seed[0] = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)h);
		h->seed[1] = mix(h->seed[0] ^ (uint64_t)(uintptr_t)&ts);
	}
}

void hashmap_init(struct hashmap *h)
{
	init(h, 2);
}

void hashmap_init_set(struct hashmap *h)
{
	init(h, 1);
}

void hashmap_free(struct hashmap *h)
{
	free(h->slots);
	h->slots = NULL;
	h->capacity = h->count = 0;
	h->has_zero = 0;
}

/* The slot of key (not 0): the one holding it, or the empty one where it would go. */
static uint64_t *probe(const struct hashmap *h, uint64_t key)
{
	size_t i;

	for (i = slot_of(h, key);; i = (i + 1) & (h->capacity - 1)) {
		uint64_t *slot = &h->slots[i * h->stride];

		if (*slot == key || *slot == 0)
			return slot;
	}
}

/* The slot holding key, or NULL (key 0 excluded). */
static uint64_t *slot_holding(const struct hashmap *h, uint64_t key)
{
	uint64_t *slot;

	if (!h->capacity)
		return NULL;
	slot = probe(h, key);
	return *slot ? slot : NULL;
}

int hashmap_contains(const struct hashmap *h, uint64_t key)
{
	return key == 0 ? h->has_zero : slot_holding(h, key) != NULL;
}

/* A set has no values to hand out: asking one for a value is a bug in the caller. */
static void require_map(const struct hashmap *h)
{
	if (h->stride != 2)
		die("internal error: a value asked of a hash set");
}

uint64_t *hashmap_find(const struct hashmap *h, uint64_t key)
{
	uint64_t *slot;

	require_map(h);
	if (key == 0)
		return h->has_zero ? (uint64_t *)&h->zero_value : NULL;
	slot = slot_holding(h, key);
	return slot ? slot + 1 : NULL;
}

static void grow(struct hashmap *h)
{
	uint64_t *old = h->slots;
	size_t old_capacity = h->capacity, i, w;

	if (old_capacity > SIZE_MAX / 2 / sizeof(*old) / h->stride)
		die("out of memory: a hash map of %zu entries", h->count);
	h->capacity = old_capacity ? old_capacity * 2 : FIRST_CAPACITY;
	h->slots = xcalloc(h->capacity * h->stride, sizeof(*h->slots));
	for (i = 0; i < old_capacity; i++) {
		const uint64_t *from = &old[i * h->stride];

		if (*from) {
			uint64_t *to = probe(h, *from);

			for (w = 0; w < h->stride; w++)
				to[w] = from[w];
		}
	}
	free(old);
}

/* Add key (absent); its value word in a map, else NULL. */
static uint64_t *add(struct hashmap *h, uint64_t key, uint64_t value)
{
	uint64_t *slot;

	h->count++;
	if (key == 0) {
		h->has_zero = 1;
		h->zero_value = value;
		return &h->zero_value;
	}
	/* At most half full: probe runs stay short. */
	if (2 * h->count > h->capacity)
		grow(h);
	slot = probe(h, key);
	slot[0] = key;
	if (h->stride == 1)
		return NULL;
	slot[1] = value;
	return &slot[1];
}

int hashmap_test_and_add(struct hashmap *h, uint64_t key)
{
	if (hashmap_contains(h, key))
		return 1;
	add(h, key, 0);
	return 0;
}

uint64_t *hashmap_insert(struct hashmap *h, uint64_t key, uint64_t value, int *added)
{
	uint64_t *have = hashmap_find(h, key);

	if (added)
		*added = !have;
	return have ? have : add(h, key, value);
}

int hashmap_next(const struct hashmap *h, size_t *pos, uint64_t *key, uint64_t *value)
{
	/* Position 0 is key 0; slot i is position i + 1. */
	if (*pos == 0) {
		*pos = 1;
		if (h->has_zero) {
			*key = 0;
			*value = h->zero_value;
			return 1;
		}
	}
	for (; *pos <= h->capacity; (*pos)++) {
		const uint64_t *slot = &h->slots[(*pos - 1) * h->stride];

		if (*slot) {
			*key = slot[0];
			*value = h->stride == 2 ? slot[1] : 0;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
