#include "collide.h"
#include "btrfs.h"
#include "crc32c.h"
#include "msg.h"

#include <string.h>

#define NAME_SEED 0xFFFFFFFEu
#define FREE_BITS 5 /* bits 0..4 of each solved byte */
#define MAX_SOLVE_BYTES 12
/* Linear path tries before giving up: a try fails only on DEL or a taken name. */
#define MAX_TRIES 1000
/* Bound on the short-name search (93^2 prefixes for 6-byte names). */
#define MAX_SEARCH (1u << 20)

/*
 * A right inverse of a 32 x nvars GF(2) matrix, by bytes of the target:
 * solution(t) = t[0][t & 255] ^ t[1][t >> 8 & 255] ^ ...  Variable v is
 * bit v of the solution.
 */
struct gf2_inverse {
	uint64_t t[4][256];
};

static struct gf2_inverse suffix_inverse; /* last solve_bytes bytes, FREE_BITS each */
static struct gf2_inverse word_inverse;   /* last 4 bytes, all 32 bits */
static size_t solve_bytes;
static const uint8_t zero4[4];

static const uint8_t printable[PRINTABLE_COUNT] = {
	'!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '0', '1', '2', '3', '4', '5', '6',
	'7', '8', '9', ':', ';', '<', '=', '>', '?', '@', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K',
	'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '[', '\\', ']', '^', '_', '`',
	'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u',
	'v', 'w', 'x', 'y', 'z', '{', '|', '}', '~',
};

uint32_t name_hash(const uint8_t *name, size_t n)
{
	return crc32c_raw(NAME_SEED, name, n);
}

void random_printable(struct rng *r, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = printable[rng_below(r, PRINTABLE_COUNT)];
}

static int printable_byte(uint8_t b)
{
	return b >= 0x21 && b <= 0x7E && b != '/';
}

/* The wide alphabet: printable, space, and 0x80..0xFF (no control bytes, NUL, '/' or DEL). */
static int wide_byte(uint8_t b)
{
	return (b >= 0x20 && b <= 0x7E && b != '/') || b >= 0x80;
}

#define WIDE_COUNT (94 + 128)

static int alphabet_byte(uint8_t b, int wide)
{
	return wide ? wide_byte(b) : printable_byte(b);
}

static uint8_t wide_symbol(uint64_t i)
{
	return i < 94 ? (uint8_t)(0x20 + i + (0x20 + i >= '/')) : (uint8_t)(0x80 + (i - 94));
}

/* Name number idx of n bytes over the printable (or wide) alphabet, first byte fastest. */
static void nth_name(uint64_t idx, int wide, uint8_t *out, size_t n)
{
	uint64_t symbols = wide ? WIDE_COUNT : PRINTABLE_COUNT;

	for (size_t i = 0; i < n; i++) {
		out[i] = wide ? wide_symbol(idx % symbols) : printable[idx % symbols];
		idx /= symbols;
	}
}

void nth_printable_name(uint64_t index, uint8_t *out, size_t n)
{
	nth_name(index, 0, out, n);
}

/*
 * Gaussian elimination on the columns: keep an echelon basis (one vector
 * per leading bit, with the set of columns that sums to it), then express
 * each unit vector.  Returns 0 when the columns do not span all 32 bits.
 */
static int gf2_build(struct gf2_inverse *inv, const uint32_t *cols, int nvars)
{
	uint32_t basis[32] = { 0 };
	uint64_t combo[32] = { 0 };
	uint64_t unit[32];

	for (int v = 0; v < nvars; v++) {
		uint32_t x = cols[v];
		uint64_t m = 1ULL << v;

		for (int p = 31; p >= 0 && x; p--) {
			if (!(x >> p & 1))
				continue;
			if (!basis[p]) {
				basis[p] = x;
				combo[p] = m;
				x = 0;
				break;
			}
			x ^= basis[p];
			m ^= combo[p];
		}
	}
	for (int p = 0; p < 32; p++)
		if (!basis[p])
			return 0;
	for (int i = 0; i < 32; i++) {
		uint32_t x = 1u << i;
		uint64_t m = 0;

		for (int p = 31; p >= 0; p--)
			if (x >> p & 1) {
				x ^= basis[p];
				m ^= combo[p];
			}
		unit[i] = m;
	}
	for (int byte = 0; byte < 4; byte++)
		for (int val = 0; val < 256; val++) {
			uint64_t m = 0;

			for (int b = 0; b < 8; b++)
				if (val >> b & 1)
					m ^= unit[8 * byte + b];
			inv->t[byte][val] = m;
		}
	return 1;
}

static inline uint64_t gf2_solve(const struct gf2_inverse *inv, uint32_t t)
{
	return inv->t[0][t & 0xFF] ^ inv->t[1][t >> 8 & 0xFF] ^ inv->t[2][t >> 16 & 0xFF] ^ inv->t[3][t >> 24];
}

/* crc(0, d) for a len-byte d that is zero except bit `bit` of byte `pos`. */
static uint32_t bit_column(size_t len, size_t pos, int bit)
{
	uint8_t d[MAX_SOLVE_BYTES] = { 0 };

	d[pos] = (uint8_t)(1u << bit);
	return crc32c_raw(0, d, len);
}

void collide_init(void)
{
	uint32_t cols[64];

	for (size_t j = 0; j < 4; j++)
		for (int b = 0; b < 8; b++)
			cols[8 * j + b] = bit_column(4, j, b);
	if (!gf2_build(&word_inverse, cols, 32))
		die("internal error: crc32c is not invertible over 4 bytes");

	for (solve_bytes = (32 + FREE_BITS - 1) / FREE_BITS; solve_bytes <= MAX_SOLVE_BYTES; solve_bytes++) {
		for (size_t j = 0; j < solve_bytes; j++)
			for (int b = 0; b < FREE_BITS; b++)
				cols[FREE_BITS * j + b] = bit_column(solve_bytes, j, b);
		if (gf2_build(&suffix_inverse, cols, (int)(FREE_BITS * solve_bytes)))
			return;
	}
	die("internal error: no printable suffix spans the crc32c space");
}

/* Names of at least solve_bytes bytes: random candidate, one linear solve. */
static int collide_linear(struct rng *r, uint32_t hash, size_t n, size_t keep, uint8_t *out,
			  collide_taken_fn taken, void *ctx)
{
	size_t fixed = n - solve_bytes;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		uint64_t d, bits = rng_next(r);
		int ok = 1;

		random_printable(r, out + keep, fixed - keep);
		/* Solved bytes start as 0x40 or 0x60 (bit 5 random), free bits clear. */
		for (size_t j = 0; j < solve_bytes; j++)
			out[fixed + j] = (uint8_t)(0x40 | ((bits >> j & 1) << 5));
		d = gf2_solve(&suffix_inverse, name_hash(out, n) ^ hash);
		for (size_t j = 0; j < solve_bytes; j++) {
			out[fixed + j] ^= (uint8_t)(d >> (FREE_BITS * j) & ((1u << FREE_BITS) - 1));
			if (out[fixed + j] == 0x7F)
				ok = 0;
		}
		if (ok && !taken(ctx, out, n))
			return 1;
	}
	return 0;
}

/* Short names: every printable (n-4)-byte prefix in turn, last 4 bytes solved exactly. */
static int collide_search(struct rng *r, uint32_t hash, size_t n, size_t keep, uint8_t *out,
			  collide_taken_fn taken, void *ctx, int wide)
{
	size_t prefix = n - 4;
	uint64_t count = 1, start, symbols = wide ? WIDE_COUNT : PRINTABLE_COUNT;

	for (size_t i = keep; i < prefix; i++)
		count *= symbols;
	if (count > MAX_SEARCH)
		count = MAX_SEARCH;
	start = rng_next(r) % count;
	for (uint64_t k = 0; k < count; k++) {
		uint64_t idx = (start + k) % count;
		uint32_t reg, s;
		int ok = 1;

		nth_name(idx, wide, out + keep, prefix - keep);
		reg = name_hash(out, prefix);
		s = (uint32_t)gf2_solve(&word_inverse, hash ^ crc32c_raw(reg, zero4, 4));
		for (size_t j = 0; j < 4; j++) {
			out[prefix + j] = (uint8_t)(s >> (8 * j));
			ok &= alphabet_byte(out[prefix + j], wide);
		}
		if (ok && !taken(ctx, out, n))
			return 1;
	}
	return 0;
}

int collide_name(struct rng *r, const uint8_t *name, size_t n, size_t keep, uint8_t *out, collide_taken_fn taken,
		 void *ctx)
{
	uint32_t hash;

	if (n > BTRFS_NAME_MAX || keep > n || n - keep < COLLIDE_MIN_LEN)
		return 0;
	hash = name_hash(name, n);
	memcpy(out, name, keep);
	if (n - keep >= solve_bytes)
		return collide_linear(r, hash, n, keep, out, taken, ctx);
	return collide_search(r, hash, n, keep, out, taken, ctx, 0);
}

int collide_name_wide(struct rng *r, const uint8_t *name, size_t n, size_t keep, uint8_t *out,
		      collide_taken_fn taken, void *ctx)
{
	if (n > BTRFS_NAME_MAX || keep > n || n - keep < COLLIDE_MIN_LEN)
		return 0;
	memcpy(out, name, keep);
	return collide_search(r, name_hash(name, n), n, keep, out, taken, ctx, 1);
}

static int in_windows(const uint8_t *candidate, size_t n, const struct hash_window *windows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t h = crc32c_raw(windows[i].seed, candidate, n);

		if (h < windows[i].lo || h > windows[i].hi)
			return 0;
	}
	return 1;
}

/* Hash ranges (inclusive) in the first window's seed: the hashes that satisfy every window. */
#define MAX_RANGES 512

struct hash_range {
	uint32_t lo, hi;
};

/*
 * [lo, hi] XOR c, as aligned power-of-two blocks (XOR with a constant maps
 * each such block onto another): at most 64 of them.
 */
static size_t xor_interval(uint32_t lo, uint32_t hi, uint32_t c, struct hash_range *out)
{
	uint64_t at = lo, end = (uint64_t)hi + 1;
	size_t count = 0;

	while (at < end) {
		int k = at ? __builtin_ctzll(at) : 32;
		uint32_t mask, base;

		if (k > 32)
			k = 32;
		while (at + (1ULL << k) > end)
			k--;
		mask = (uint32_t)((1ULL << k) - 1);
		base = ((uint32_t)at ^ c) & ~mask;
		out[count].lo = base;
		out[count].hi = base | mask;
		count++;
		at += 1ULL << k;
	}
	return count;
}

/*
 * The hashes h (in windows[0].seed) of n-byte names that lie in every
 * window: crc(s, r) = crc(s, 0^n) ^ crc(0, r), so window i is a window on
 * h XOR a constant.  Returns the number of ranges (0: none).
 */
static size_t window_ranges(const struct hash_window *windows, size_t count, size_t n, struct hash_range *out)
{
	static struct hash_range next[MAX_RANGES], pieces[64];
	uint32_t base = crc32c_raw(windows[0].seed, zero4, n);
	size_t have = 1;

	out[0].lo = windows[0].lo;
	out[0].hi = windows[0].hi;
	for (size_t i = 1; i < count && have; i++) {
		uint32_t c = crc32c_raw(windows[i].seed, zero4, n) ^ base;
		size_t npieces = xor_interval(windows[i].lo, windows[i].hi, c, pieces), made = 0;

		for (size_t a = 0; a < have; a++)
			for (size_t b = 0; b < npieces && made < MAX_RANGES; b++) {
				uint32_t lo = out[a].lo > pieces[b].lo ? out[a].lo : pieces[b].lo;
				uint32_t hi = out[a].hi < pieces[b].hi ? out[a].hi : pieces[b].hi;

				if (lo <= hi) {
					next[made].lo = lo;
					next[made].hi = hi;
					made++;
				}
			}
		memcpy(out, next, made * sizeof(*out));
		have = made;
	}
	return have;
}

/*
 * Walk the allowed hashes from a random point.  Each is the hash of at most
 * one n-byte name: crc(0, .) is a bijection on 4 bytes and crc(0, r) =
 * crc(0, 0^(4-n) r), so the solved 4 bytes must start with 4-n zeros.
 */
static int place_by_hash(struct rng *r, const uint8_t *name, size_t n, const struct hash_window *windows,
			 size_t count, const struct hash_range *ranges, size_t nranges, uint64_t total, int wide,
			 uint8_t *out, collide_taken_fn taken, void *ctx)
{
	uint64_t skip = rng_next(r) % total, tries = total < MAX_SEARCH * 4 ? total : MAX_SEARCH * 4;
	uint32_t base = crc32c_raw(windows[0].seed, zero4, n);
	size_t at = 0;
	uint64_t offset;

	while (skip > (uint64_t)ranges[at].hi - ranges[at].lo) {
		skip -= (uint64_t)ranges[at].hi - ranges[at].lo + 1;
		at++;
	}
	offset = skip;
	for (uint64_t k = 0; k < tries; k++) {
		uint32_t h = (uint32_t)(ranges[at].lo + offset);
		uint32_t x = (uint32_t)gf2_solve(&word_inverse, h ^ base);
		int ok = (x & (uint32_t)(((uint64_t)1 << (8 * (4 - n))) - 1)) == 0;

		for (size_t j = 0; ok && j < n; j++) {
			out[j] = (uint8_t)(x >> (8 * (4 - n + j)));
			ok = alphabet_byte(out[j], wide);
		}
		if (ok && memcmp(out, name, n) != 0 && in_windows(out, n, windows, count) && !taken(ctx, out, n))
			return 1;
		if (++offset > (uint64_t)ranges[at].hi - ranges[at].lo) {
			offset = 0;
			at = (at + 1) % nranges;
		}
	}
	return 0;
}

/* Every name of the alphabet from a random start: when there are fewer names than allowed hashes. */
static int place_by_name(struct rng *r, const uint8_t *name, size_t n, uint64_t total,
			 const struct hash_window *windows, size_t count, int wide, uint8_t *out,
			 collide_taken_fn taken, void *ctx)
{
	uint64_t start = rng_next(r) % total;

	for (uint64_t k = 0; k < total; k++) {
		nth_name((start + k) % total, wide, out, n);
		if (memcmp(out, name, n) != 0 && in_windows(out, n, windows, count) && !taken(ctx, out, n))
			return 1;
	}
	return 0;
}

int place_short_name(struct rng *r, const uint8_t *name, size_t n, const struct hash_window *windows,
		     size_t count, int wide, uint8_t *out, collide_taken_fn taken, void *ctx)
{
	static struct hash_range ranges[MAX_RANGES];
	uint64_t names = 1, hashes = 0;
	size_t nranges;

	if (n == 0 || n > 4 || count == 0)
		return 0;
	for (size_t i = 0; i < count; i++)
		if (windows[i].lo > windows[i].hi)
			return 0;
	nranges = window_ranges(windows, count, n, ranges);
	for (size_t i = 0; i < nranges; i++)
		hashes += (uint64_t)ranges[i].hi - ranges[i].lo + 1;
	if (hashes == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		names *= wide ? WIDE_COUNT : PRINTABLE_COUNT;
	/* Whichever is smaller: the names of the alphabet, or the allowed hashes. */
	if (names <= hashes && names <= MAX_SEARCH * 4)
		return place_by_name(r, name, n, names, windows, count, wide, out, taken, ctx);
	return place_by_hash(r, name, n, windows, count, ranges, nranges, hashes, wide, out, taken, ctx);
}

static int odometer_byte(uint8_t b)
{
	return b >= 0x20 && b <= 0x7E && b != '/';
}

int collide_odometer(const uint8_t *name, size_t n, uint8_t *out, collide_taken_fn taken, void *ctx)
{
	size_t prefix;
	uint32_t hash;

	if (n <= 4 || n > BTRFS_NAME_MAX)
		return 0;
	prefix = n - 4;
	hash = name_hash(name, n);
	memset(out, ' ', prefix);
	for (uint64_t tries = 0; tries < MAX_SEARCH * 4; tries++) {
		uint32_t reg = name_hash(out, prefix);
		uint32_t s = (uint32_t)gf2_solve(&word_inverse, hash ^ crc32c_raw(reg, zero4, 4));
		int ok = 1;
		size_t i;

		for (size_t j = 0; j < 4; j++) {
			out[prefix + j] = (uint8_t)(s >> (8 * j));
			ok &= odometer_byte(out[prefix + j]);
		}
		if (ok && memcmp(out, name, n) != 0 && !taken(ctx, out, n))
			return 1;
		/* Next prefix: the lowest digit below 0x7E goes up, the digits under it restart. */
		for (i = 0; i < prefix && out[i] == 0x7E; i++)
			;
		if (i == prefix)
			return 0;
		out[i] = (uint8_t)(out[i] + 1 == '/' ? '/' + 1 : out[i] + 1);
		memset(out, ' ', i);
	}
	return 0;
}
