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

void hashmap_init(struct hashmap *h)
{
	memset(h, 0, sizeof(*h));
	if (getrandom(h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed)) {
		/* No entropy yet (early boot): still unknown to whoever wrote the input. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		h->seed[0] = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)h);
		h->seed[1] = mix(h->seed[0] ^ (uint64_t)(uintptr_t)&ts);
	}
}

void hashmap_free(struct hashmap *h)
{
	free(h->slots);
	h->slots = NULL;
	h->capacity = h->count = 0;
	h->has_zero = 0;
}

uint64_t *hashmap_find(const struct hashmap *h, uint64_t key)
{
	size_t i;

	if (key == 0)
		return h->has_zero ? (uint64_t *)&h->zero_value : NULL;
	if (!h->capacity)
		return NULL;
	for (i = slot_of(h, key);; i = (i + 1) & (h->capacity - 1)) {
		struct hashmap_slot *s = &h->slots[i];

		if (s->key == key)
			return &s->value;
		if (s->key == 0)
			return NULL;
	}
}

/* key (not 0) is absent and there is room. */
static uint64_t *place(struct hashmap *h, uint64_t key, uint64_t value)
{
	size_t i = slot_of(h, key);

	while (h->slots[i].key)
		i = (i + 1) & (h->capacity - 1);
	h->slots[i].key = key;
	h->slots[i].value = value;
	return &h->slots[i].value;
}

static void grow(struct hashmap *h)
{
	struct hashmap_slot *old = h->slots;
	size_t old_capacity = h->capacity, i;

	if (old_capacity > SIZE_MAX / 2 / sizeof(*old))
		die("out of memory: a hash map of %zu entries", h->count);
	h->capacity = old_capacity ? old_capacity * 2 : FIRST_CAPACITY;
	h->slots = xcalloc(h->capacity, sizeof(*h->slots));
	for (i = 0; i < old_capacity; i++)
		if (old[i].key)
			place(h, old[i].key, old[i].value);
	free(old);
}

uint64_t *hashmap_insert(struct hashmap *h, uint64_t key, uint64_t value, int *added)
{
	uint64_t *have = hashmap_find(h, key);

	if (added)
		*added = !have;
	if (have)
		return have;
	h->count++;
	if (key == 0) {
		h->has_zero = 1;
		h->zero_value = value;
		return &h->zero_value;
	}
	/* At most half full: probe runs stay short. */
	if (2 * h->count > h->capacity)
		grow(h);
	return place(h, key, value);
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
		const struct hashmap_slot *s = &h->slots[*pos - 1];

		if (s->key) {
			*key = s->key;
			*value = s->value;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
