/*
 * A hash map from uint64 keys (block addresses, devids, tree ids) to uint64
 * values (often an index into a VEC of records).
 *
 * Open addressing with linear probing, kept at most half full: 16 bytes per
 * slot, so between 32 and 64 bytes per entry.  The keys come from images
 * and streams that may be hostile, so they are hashed with a random seed
 * per map: an input cannot be made of keys that all collide and turn every
 * lookup into a scan.  Nothing is ever removed.
 *
 *   struct hashmap h;
 *   hashmap_init(&h);
 *   hashmap_insert(&h, key, value, &added);   (keeps the old value if present)
 *   uint64_t *v = hashmap_find(&h, key);       (NULL if absent)
 *   hashmap_free(&h);
 *
 * A value pointer stays valid until the next insertion.
 */
#ifndef BIMG_HASHMAP_H
#define BIMG_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hashmap_slot {
	uint64_t key; /* 0: empty (key 0 itself lives in zero_value) */
	uint64_t value;
};

struct hashmap {
	struct hashmap_slot *slots;
	size_t capacity; /* a power of two, or 0 before the first insertion */
	size_t count;    /* entries, key 0 included */
	uint64_t seed[2];
	int has_zero;
	uint64_t zero_value;
};

void hashmap_init(struct hashmap *h);
void hashmap_free(struct hashmap *h);
/* The value stored for key, or NULL. */
uint64_t *hashmap_find(const struct hashmap *h, uint64_t key);
/*
 * Store value for key unless key is present.  Returns the stored value
 * (the old one if key was present); *added (may be NULL) says which.
 */
uint64_t *hashmap_insert(struct hashmap *h, uint64_t key, uint64_t value, int *added);
/*
 * Iterate in no particular order: start with *pos = 0; returns 0 when
 * done.  The map must not change meanwhile.
 */
int hashmap_next(const struct hashmap *h, size_t *pos, uint64_t *key, uint64_t *value);

#endif
