/*
 * One generation of the name store in memory (see namestore.h): original
 * name -> replacement pairs, compared whole (bytes and length), in at most
 * a fixed number of bytes.
 *
 * The entries live in one arena, one after the other: a little-endian
 * 16-bit length n, a flag byte, the original's n bytes and the
 * replacement's n bytes.  Two open-addressing tables, at most half full,
 * find an entry by its original and by its replacement: 16 bytes per slot
 * for both, so 32 bytes per entry.  Tables and arena grow by doubling up to
 * the limits given at generation_init, and keep their memory when the
 * generation is emptied, so that a filled generation costs the same from
 * then on.
 */
#ifndef BIMG_SANITIZE_GENERATION_H
#define BIMG_SANITIZE_GENERATION_H

#include <stddef.h>
#include <stdint.h>

/* An entry's bytes in the arena: length, flag, original, replacement. */
#define GENERATION_ENTRY_HEADER 3
#define GENERATION_ENTRY_MAX (GENERATION_ENTRY_HEADER + 2 * 65535)

struct generation_slot {
	uint32_t entry; /* arena offset + 1 of an entry; 0: empty */
	uint32_t tag;	/* low bits of the hash, to skip most memcmp (beside it: one cache miss) */
};

struct generation_table {
	struct generation_slot *slots;
};

struct generation {
	uint64_t hash_seed;
	uint8_t *arena;
	size_t arena_used, arena_size, arena_max;
	struct generation_table forward, reverse;
	size_t slots, slots_max; /* of each table */
	size_t count;		 /* entries */
};

struct generation_entry {
	const uint8_t *orig, *repl;
	size_t len;
	int stored; /* already in the spill (a copy read back from it) */
};

/*
 * At most slots_max slots per table (so slots_max / 2 entries) and an
 * arena of arena_max bytes (at least GENERATION_ENTRY_MAX).  hash_seed
 * keys generation_hash.
 */
void generation_init(struct generation *g, size_t slots_max, size_t arena_max, uint64_t hash_seed);
void generation_free(struct generation *g);
/* Forget every entry, keeping the memory. */
void generation_clear(struct generation *g);

/* The hash both tables use; compute it once and pass it to every generation of one store. */
uint64_t generation_hash(uint64_t hash_seed, const uint8_t *p, size_t n);

/* The replacement of name[0..n) (h: its generation_hash), or NULL; valid until the next generation_add. */
const uint8_t *generation_find(const struct generation *g, const uint8_t *name, size_t n, uint64_t h);
/* Is repl[0..n) (h: its generation_hash) the replacement of an entry? */
int generation_owns(const struct generation *g, const uint8_t *repl, size_t n, uint64_t h);

/*
 * Add orig -> repl (1 <= n <= 65535; h_orig, h_repl their hashes); 0 when
 * the generation is full and nothing was added.  stored: the pair is in
 * the spill already, so a flush leaves it out.
 */
int generation_add(struct generation *g, const uint8_t *orig, const uint8_t *repl, size_t n, uint64_t h_orig,
		   uint64_t h_repl, int stored);

/* Entries in the order they were added: *cursor starts at 0; 0 after the last. */
int generation_next(const struct generation *g, size_t *cursor, struct generation_entry *e);

#endif
