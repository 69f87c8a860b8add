/*
 * The map from original names to replacements.
 *
 * One original name gets one replacement everywhere (dir item, dir index,
 * inode ref, extref, root ref; every tree), and no two originals share a
 * replacement (a reverse map is checked before a replacement is accepted),
 * so names that were distinct in a directory stay distinct.  No replacement
 * is "." or "..", or holds NUL or '/', and none equals a name that is kept
 * (see docs/robustness.md, "Sanitizing keeps every entry reachable").  Names
 * are compared whole, bytes and length, in memory; once written out, by a
 * 128-bit keyed hash (namespill.h).
 *
 * This is the structure of bimg-sanitize that grows with the number of
 * names: it holds at most a budget of memory (--map-memory) and keeps the
 * rest in temporary files (namestore.h).
 */
#ifndef BIMG_SANITIZE_NAMEMAP_H
#define BIMG_SANITIZE_NAMEMAP_H

#include "collide.h"
#include "rng.h"

#include <stddef.h>
#include <stdint.h>

enum name_mode {
	NAMES_RANDOM,	/* -s: random printable names of the same length */
	NAMES_SAME_HASH, /* -ss: same length and the same crc32c name hash */
};

struct name_stats {
	uint64_t distinct;	 /* distinct names seen */
	uint64_t hash_lost;	 /* -ss: distinct names whose replacement has another hash */
	uint64_t wide_collisions; /* -ss: 5-byte names whose collision needed bytes 0x20 or 0x80..0xFF */
	uint64_t kept_short;	 /* -ss --keep-short: distinct names of 1..4 bytes left as they were */
	uint64_t kept_xattr;	 /* xattr names kept whole (other namespace, or no same-hash name) */
	uint64_t placed;	 /* -ss: names of 1..4 bytes replaced with a hash inside their keys' windows */
	uint64_t wide_placed;	 /* -ss: of those, replacements that needed a space or bytes 0x80..0xFF */
	uint64_t kept_tight;	 /* -ss: names of 1..3 bytes kept: no other name fits their windows */
	uint64_t kept_full;	 /* names of 1 or 2 bytes kept: every other name of their length was taken */
	uint64_t non_printable; /* replacements that needed bytes outside 0x21..0x7E */
	uint64_t spilled;	 /* distinct names written to the temporary files (the memory budget was reached) */
	uint64_t read_back;	 /* lookups answered from the temporary files */
};

struct name_map;

/* "." and "..": they name nothing (every subvolume root has a ".." ref) and are never replaced. */
static inline int name_is_dot_or_dotdot(const uint8_t *name, size_t n)
{
	return (n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.');
}

/*
 * xattr: a map for xattr names.  Only the part after "user." or "trusted."
 * is replaced (other namespaces name kernel features); with -ss a part of
 * fewer than 5 bytes, or one without a same-hash replacement, is kept.
 * memory: the bytes it may hold in memory (namestore.h).
 */
struct name_map *name_map_new(enum name_mode mode, int keep_short, int xattr, uint64_t seed, size_t memory);
void name_map_free(struct name_map *m);

/* -ss: names of 5 bytes and more get the reference's replacement (collide_odometer) when one exists. */
void name_map_use_odometer(struct name_map *m);

/*
 * The replacement for name[0..n) (1 <= n <= 65535), made on first sight:
 * n bytes, valid until the next call on the map.  "." and ".." map to themselves
 * (every subvolume root has a ".." ref; it names nothing).  For an xattr
 * map see name_map_new.
 */
const uint8_t *name_map_get(struct name_map *m, const uint8_t *name, size_t n);

/* Does some original name equal name[0..n)? */
typedef int (*name_known_fn)(void *ctx, const uint8_t *name, size_t n);

/*
 * Like name_map_get for a name of 1..4 bytes whose DIR_ITEM and
 * INODE_EXTREF keys must move with it: the replacement's hash lies in
 * every window (none: no key depends on it) and is no original name
 * (is_original).  When no such name exists a name of 1..3 bytes is kept
 * and one of 4 bytes gets random bytes (counted in hash_lost).
 */
const uint8_t *name_map_place(struct name_map *m, const uint8_t *name, size_t n, const struct hash_window *windows,
			      size_t count, name_known_fn is_original, void *is_original_ctx);

const struct name_stats *name_map_stats(struct name_map *m);

#endif
