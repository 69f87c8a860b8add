/*
 * The names that left memory (namestore.h), in temporary files.
 *
 * No original name is written: each is known by a 128-bit keyed hash
 * (XXH3-128 under a secret of 192 random bytes drawn from the kernel for
 * this run alone, kept in memory only).  The forward set maps that key to
 * where the replacement lies in a log of replacements; the reverse set
 * holds the keyed hash of every replacement (under a second secret).  The
 * replacements are what the output shows anyway.  On disk, 24 bytes per
 * name in each set plus the replacement's own bytes; in memory, the two
 * Bloom filters (spillset.h) and nothing per name.
 *
 * A name whose key equals another's would be taken for it; with keys
 * drawn under a secret nobody else holds, that happens with probability
 * about n^2 / 2^129 for n names (docs/sanitize.md).
 */
#ifndef BIMG_SANITIZE_NAMESPILL_H
#define BIMG_SANITIZE_NAMESPILL_H

#include "generation.h"

#include <stddef.h>
#include <stdint.h>

struct name_spill;

/* bloom_bytes: each set's filter. */
struct name_spill *name_spill_new(size_t bloom_bytes);
void name_spill_free(struct name_spill *sp);

/* Write the entries of g that are not stored yet (see generation_add). */
void name_spill_put(struct name_spill *sp, const struct generation *g);

/* The replacement of name[0..n) into repl[0..n): 1 if found. */
int name_spill_find(struct name_spill *sp, const uint8_t *name, size_t n, uint8_t *repl);

/* Is repl[0..n) the replacement of some name written here? */
int name_spill_owns(struct name_spill *sp, const uint8_t *repl, size_t n);

/* Names written here. */
uint64_t name_spill_count(const struct name_spill *sp);

#endif
