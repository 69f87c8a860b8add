/*
 * Where the name map keeps its original -> replacement pairs: in memory up
 * to a fixed budget, the rest in temporary files that hold no original
 * name (namespill.h).  Lookups answer the same either way.
 *
 * Memory holds two generations (generation.h): new pairs go into the young
 * one; when it is full the old one is written out, emptied, and becomes
 * the young one.  So the last one to two generations' worth of names are
 * always in memory: a name comes back soon after it was first seen (its
 * DIR_ITEM, DIR_INDEX and INODE_REF lie in the same or nearby leaves), and
 * only names seen again long after reach the disk.  A pair read back from
 * the disk is copied into the young generation, for its next occurrences.
 *
 * The budget B is split as: B/4 for each of the two Bloom filters (about
 * 15 bits per name at 2 million names: one lookup of an absent name in 550
 * reads the disk), and the rest among the two generations (16 bytes per
 * table slot and 12 per slot of arena, so slots = B/136, half of them
 * entries of up to 10 bytes on average before the arena is the limit) and
 * the batch that carries a generation to the disk (24 bytes per entry).
 * Once the first generation is written out all of it is in use, and it
 * stays the same however many names follow; the runs' directories and
 * merge buffers add at most a few hundred KiB (spillset.h).
 */
#ifndef BIMG_SANITIZE_NAMESTORE_H
#define BIMG_SANITIZE_NAMESTORE_H

#include <stddef.h>
#include <stdint.h>

/* The smallest budget: a few hundred names per generation. */
#define NAME_STORE_MIN_BUDGET (48u << 10)

struct name_store;

/* budget: bytes (at least NAME_STORE_MIN_BUDGET); hash_seed: keys the in-memory tables. */
struct name_store *name_store_new(size_t budget, uint64_t hash_seed);
void name_store_free(struct name_store *s);

/* The replacement of name[0..n), or NULL: valid until the next call on s. */
const uint8_t *name_store_find(struct name_store *s, const uint8_t *name, size_t n);

/* Is repl[0..n) some name's replacement? */
int name_store_owns(struct name_store *s, const uint8_t *repl, size_t n);

/* name -> repl, for a name not in the store and a replacement nobody owns. */
void name_store_add(struct name_store *s, const uint8_t *name, const uint8_t *repl, size_t n);

/* Distinct names written to the temporary files, and lookups answered from them. */
uint64_t name_store_spilled(const struct name_store *s);
uint64_t name_store_read_back(const struct name_store *s);

#endif
