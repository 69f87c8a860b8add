/*
 * A hash map from uint64 keys (block addresses, devids, tree ids) to uint64
 * values (often an index into a VEC of records), or a set of uint64 keys.
 *
 * Open addressing with linear probing, kept at most half full: a map's
 * slot holds key and value (16 bytes, so 32 to 64 bytes per entry), a
 * set's slot the key alone (8 bytes, so 16 to 32 bytes per entry).  The
 * keys come from images and streams that may be hostile, so they are
 * hashed with a random seed per table: an input cannot be made of keys
 * that all collide and turn every lookup into a scan.  Nothing is ever
 * removed.
 *
 *   struct hashmap h;
 *   hashmap_init(&h);
 *   hashmap_insert(&h, key, value, &added);   (keeps the old value if present)
 *   uint64_t *v = hashmap_find(&h, key);       (NULL if absent)
 *   hashmap_free(&h);
 *
 *   hashmap_init_set(&s);
 *   if (hashmap_test_and_add(&s, key)) ...     (key was there already)
 *
 * A value pointer stays valid until the next insertion.
 */
#ifndef BIMG_COMMON_HASHMAP_H
#define BIMG_COMMON_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hashmap {
	/*
	 * capacity slots of `stride` words each: the key (0: empty; key 0
	 * itself lives in zero_value), then in a map the value.
	 */
	uint64_t *slots;
	size_t capacity; /* a power of two, or 0 before the first insertion */
	size_t count;    /* entries, key 0 included */
	size_t stride;   /* 2: a map; 1: a set */
	uint64_t seed[2];
	int has_zero;
	uint64_t zero_value;
};

/* An empty map. */
void hashmap_init(struct hashmap *h);
/* An empty set: keys without values, half the memory. */
void hashmap_init_set(struct hashmap *h);
void hashmap_free(struct hashmap *h);
/* Is key present (map or set)? */
int hashmap_contains(const struct hashmap *h, uint64_t key);
/* Add key to a set (or to a map, with value 0); returns 1 if it was present already. */
int hashmap_test_and_add(struct hashmap *h, uint64_t key);
/* A map's value for key, or NULL. */
uint64_t *hashmap_find(const struct hashmap *h, uint64_t key);
/*
 * Store value for key in a map unless key is present.  Returns the stored
 * value (the old one if key was present); *added (may be NULL) says which.
 */
uint64_t *hashmap_insert(struct hashmap *h, uint64_t key, uint64_t value, int *added);
/*
 * Iterate in no particular order: start with *pos = 0; returns 0 when
 * done.  A set's values read as 0.  The table must not change meanwhile.
 */
int hashmap_next(const struct hashmap *h, size_t *pos, uint64_t *key, uint64_t *value);

#endif
