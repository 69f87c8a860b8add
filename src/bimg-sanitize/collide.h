/*
 * Replacement names that keep the btrfs name hash, for -ss.
 *
 * For names of one length the raw CRC-32C is affine in the name bits
 * (docs/sanitize.md, -ss): crc(s, y ^ d) = crc(s, y) ^ crc(0, d).  So
 * instead of searching, we draw a random printable candidate y and solve
 * a 32-row linear system over GF(2) for a correction d confined to chosen
 * bits of the last bytes: bits 0..4 of each of the last SOLVE_BYTES
 * bytes, whose bits 5..7 are fixed to 01x, so every solved byte is in
 * 0x40..0x7F.  The system's right inverse is precomputed once; a name then
 * costs one CRC and four table look-ups (retry only when a solved byte is
 * 0x7F, DEL).
 *
 * Names shorter than the solved suffix (5 and 6 bytes) have too few free
 * bits; for them every printable prefix of n-4 bytes is tried (93 or 8649
 * of them, from a random start) and the 4 remaining bytes are solved
 * exactly.  Names of 1..4 bytes have no other name with their hash.
 */
#ifndef BIMG_SANITIZE_COLLIDE_H
#define BIMG_SANITIZE_COLLIDE_H

#include "rng.h"

#include <stddef.h>
#include <stdint.h>

/* Shortest name that can have a different same-length name with its hash. */
#define COLLIDE_MIN_LEN 5
/* Replacement bytes are 0x21..0x7E except '/': this many values. */
#define PRINTABLE_COUNT 93

/* Build the solver tables; call once before collide_name. */
void collide_init(void);

/* The btrfs name hash, crc32c_raw(~1, name). */
uint32_t name_hash(const uint8_t *name, size_t n);

/* n random printable bytes (0x21..0x7E, never '/'). */
void random_printable(struct rng *r, uint8_t *out, size_t n);

/* Printable name number index of n bytes (first byte fastest; PRINTABLE_COUNT^n of them). */
void nth_printable_name(uint64_t index, uint8_t *out, size_t n);

/* Is a candidate unusable (the original, or already given to another name)? */
typedef int (*collide_taken_fn)(void *ctx, const uint8_t *candidate, size_t n);

/*
 * Write into out a name of n bytes (n <= 255) with the name hash of name,
 * whose first `keep` bytes are name's (an xattr namespace such as "user.")
 * and the rest printable, skipping candidates for which taken() says so.
 * Returns 1, or 0 if none was found: always when n - keep < 5, and for 5-
 * and 6-byte free parts whose printable collisions are all taken or do not
 * exist.
 */
int collide_name(struct rng *r, const uint8_t *name, size_t n, size_t keep, uint8_t *out, collide_taken_fn taken,
		 void *ctx);

/*
 * The same over a wider alphabet (0x20..0x7E but '/', and 0x80..0xFF), for
 * the 5-byte names (about one in five) that have no printable collision:
 * one almost always exists here.  Searches every prefix, so for short names.
 */
int collide_name_wide(struct rng *r, const uint8_t *name, size_t n, size_t keep, uint8_t *out,
		      collide_taken_fn taken, void *ctx);

/*
 * The reference's deterministic search (docs/sanitize.md, --odometer),
 * for images whose replacements must equal btrfs-image's: an (n-4)-byte
 * prefix counts up like an odometer from all spaces (first byte fastest,
 * bytes 0x20..0x7E but '/'), and the last 4 bytes are solved exactly; the
 * first candidate whose bytes are all in that range, that is not the name
 * and not taken, wins.  Returns 1, or 0 for names of 1..4 bytes or when
 * none exists.
 */
int collide_odometer(const uint8_t *name, size_t n, uint8_t *out, collide_taken_fn taken, void *ctx);

/*
 * Where a short name's keys may move.  A DIR_ITEM or INODE_EXTREF key
 * offset is crc32c_raw(seed, name) (seed ~1 or the parent directory), and
 * for a name of 1..4 bytes that hash is the name in disguise: the CRC is
 * injective on 4 bytes, so the key alone gives the name back.  Such a
 * name is therefore replaced together with its key, by a name whose hash
 * lies in [lo, hi]: the range in which the item keeps its slot (see
 * placement.h).
 */
struct hash_window {
	uint32_t seed;
	uint32_t lo, hi;
};

/*
 * Write into out a name of n (1..4) bytes, other than name, whose
 * crc32c_raw(w.seed, out) lies in every window, made of printable bytes
 * (with `wide`: also space and 0x80..0xFF), skipping taken candidates.
 * Returns 1, or 0 when none exists or the search bound is reached.
 */
int place_short_name(struct rng *r, const uint8_t *name, size_t n, const struct hash_window *windows,
		     size_t count, int wide, uint8_t *out, collide_taken_fn taken, void *ctx);

#endif
