/*
 * Unit test and benchmark of the -ss collision solver.
 *
 *   collide-test            check solver output against a bitwise CRC-32C
 *   collide-test --bench N  time N names of 5..64 bytes, print names/s
 */
#include "collide.h"
#include "crc32c.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bit-at-a-time reflected CRC-32C: shares nothing with crc32c.c. */
static uint32_t slow_crc(uint32_t reg, const uint8_t *p, size_t n)
{
	while (n--) {
		reg ^= *p++;
		for (int k = 0; k < 8; k++)
			reg = (reg >> 1) ^ (0x82F63B78u & -(reg & 1));
	}
	return reg;
}

static int never_taken(void *ctx, const uint8_t *c, size_t n)
{
	(void)ctx, (void)c, (void)n;
	return 0;
}

struct avoid {
	const uint8_t *name;
	int calls;
};

static int is_original(void *ctx, const uint8_t *c, size_t n)
{
	struct avoid *a = ctx;

	a->calls++;
	return memcmp(a->name, c, n) == 0;
}

static int always_taken(void *ctx, const uint8_t *c, size_t n)
{
	(void)ctx, (void)c, (void)n;
	return 1;
}

static int failures;
#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			fprintf(stderr, "FAIL: " __VA_ARGS__); \
			fputc('\n', stderr);               \
			if (++failures > 20)               \
				exit(1);                   \
		}                                          \
	} while (0)

static void check_name(const uint8_t *orig, const uint8_t *out, size_t n)
{
	CHECK(slow_crc(0xFFFFFFFEu, out, n) == slow_crc(0xFFFFFFFEu, orig, n), "hash differs for length %zu", n);
	CHECK(slow_crc(257, out, n) == slow_crc(257, orig, n), "extref hash differs for length %zu", n);
	CHECK(memcmp(out, orig, n) != 0, "replacement equals the original (length %zu)", n);
	for (size_t i = 0; i < n; i++)
		CHECK(out[i] >= 0x21 && out[i] <= 0x7E && out[i] != '/', "byte 0x%02x at %zu of a %zu-byte name",
		      out[i], i, n);
}

static void test_solver(void)
{
	struct rng r;
	uint8_t orig[255], out[255];
	int found_short[7] = { 0 }, tried_short[7] = { 0 };

	rng_seed(&r, 42);
	for (int t = 0; t < 200000; t++) {
		size_t n = 5 + (size_t)rng_below(&r, 251);
		struct avoid a = { orig, 0 };

		if (t % 4 == 0)
			n = 5 + (size_t)rng_below(&r, 2);
		/* Arbitrary bytes, not only printable ones: the hash is what matters. */
		for (size_t i = 0; i < n; i++)
			orig[i] = (uint8_t)rng_next(&r);
		if (t % 2)
			random_printable(&r, orig, n);
		if (!collide_name(&r, orig, n, 0, out, is_original, &a)) {
			CHECK(n < 7, "no collision for a %zu-byte name", n);
			CHECK(collide_name_wide(&r, orig, n, 0, out, is_original, &a) &&
				      slow_crc(0xFFFFFFFEu, out, n) == slow_crc(0xFFFFFFFEu, orig, n) &&
				      memcmp(out, orig, n) && !memchr(out, '/', n) && !memchr(out, 0, n),
			      "no wide collision for a %zu-byte name", n);
			tried_short[n]++;
			continue;
		}
		if (n < 7) {
			tried_short[n]++;
			found_short[n]++;
		}
		check_name(orig, out, n);
	}
	printf("short names with a printable collision: 5 bytes %d/%d, 6 bytes %d/%d\n", found_short[5],
	       tried_short[5], found_short[6], tried_short[6]);
	CHECK(found_short[6] == tried_short[6], "some 6-byte names had no collision");
	CHECK(found_short[5] > tried_short[5] / 2, "too few 5-byte collisions");

	/* A 5-byte name whose only printable collision is itself must fail, not loop. */
	random_printable(&r, orig, 40);
	for (size_t n = 1; n < 5; n++)
		CHECK(!collide_name(&r, orig, n, 0, out, never_taken, NULL), "collision claimed for %zu bytes", n);
	CHECK(!collide_name(&r, orig, 5, 0, out, always_taken, NULL), "taken candidates returned (5)");
	CHECK(!collide_name(&r, orig, 6, 0, out, always_taken, NULL), "taken candidates returned (6)");
	CHECK(!collide_name(&r, orig, 40, 0, out, always_taken, NULL), "taken candidates returned (40)");
	CHECK(!collide_name(&r, orig, 9, 5, out, never_taken, NULL), "collision claimed for a 4-byte free part");
	/* A kept prefix (an xattr namespace) stays, the rest collides. */
	for (size_t n = 12; n < 40; n++) {
		struct avoid a = { orig, 0 };

		memcpy(orig, "user.", 5);
		CHECK(collide_name(&r, orig, n, 5, out, is_original, &a) && memcmp(out, "user.", 5) == 0,
		      "no collision keeping a prefix (%zu)", n);
		check_name(orig, out, n);
	}
}

/* Exhaustive cross-check for 5-byte names: the solver finds a collision iff one exists. */
static void test_exhaustive_short(void)
{
	struct rng r;
	uint8_t orig[5], cand[5], out[5];
	int agree = 0;

	rng_seed(&r, 7);
	for (int t = 0; t < 4000; t++) {
		uint32_t h;
		int exists = 0;
		struct avoid a = { orig, 0 };

		random_printable(&r, orig, 5);
		h = slow_crc(0xFFFFFFFEu, orig, 5);
		/* For each first byte the last 4 are determined: run the CRC register backwards
		 * from the hash (32 single-bit steps), an inversion independent of the solver. */
		for (int b0 = 0x21; b0 <= 0x7E; b0++) {
			uint32_t x = h, reg;
			int ok = 1;

			if (b0 == '/')
				continue;
			cand[0] = (uint8_t)b0;
			for (int k = 0; k < 32; k++)
				x = (x & 0x80000000u) ? ((x ^ 0x82F63B78u) << 1) | 1 : x << 1;
			reg = slow_crc(0xFFFFFFFEu, cand, 1);
			for (int j = 0; j < 4; j++) {
				cand[1 + j] = (uint8_t)((x ^ reg) >> (8 * j));
				ok &= cand[1 + j] >= 0x21 && cand[1 + j] <= 0x7E && cand[1 + j] != '/';
			}
			CHECK(slow_crc(0xFFFFFFFEu, cand, 5) == h, "backward inversion is wrong");
			if (ok && memcmp(cand, orig, 5))
				exists = 1;
		}
		if (exists == collide_name(&r, orig, 5, 0, out, is_original, &a))
			agree++;
		else
			CHECK(0, "5-byte name %d: brute force says %d, solver disagrees", t, exists);
	}
	printf("5-byte exhaustive cross-check: %d/4000 agree\n", agree);
}

/*
 * Short names placed in hash windows: the result fits every window, is
 * printable (or wide when asked) and not the original; for 1- and 2-byte
 * names a brute force over the printable names agrees on whether one exists.
 */
static void test_place_short(void)
{
	struct rng r;
	int agree = 0, placed[5] = { 0 }, tried[5] = { 0 };

	rng_seed(&r, 11);
	for (int t = 0; t < 20000; t++) {
		size_t n = 1 + (size_t)rng_below(&r, 4), count = 1 + (t % 3 == 0);
		uint8_t orig[4], out[4];
		struct hash_window w[2];
		int got;

		random_printable(&r, orig, n);
		for (size_t i = 0; i < count; i++) {
			/* Windows around the name's own hash, of sizes from 1 to 2^32. */
			uint32_t seed = i ? (uint32_t)rng_next(&r) : 0xFFFFFFFEu, h = slow_crc(seed, orig, n);
			uint64_t width = (uint64_t)1 << rng_below(&r, 33), below = rng_next(&r) % width;

			w[i].seed = seed;
			w[i].lo = h >= below ? (uint32_t)(h - below) : 0;
			w[i].hi = (uint64_t)w[i].lo + width - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(w[i].lo + width - 1);
		}
		got = place_short_name(&r, orig, n, w, count, 0, out, never_taken, NULL);
		tried[n]++;
		placed[n] += got;
		if (got) {
			CHECK(memcmp(out, orig, n) != 0, "placed name equals the original (%zu bytes)", n);
			for (size_t i = 0; i < count; i++) {
				uint32_t h = slow_crc(w[i].seed, out, n);

				CHECK(h >= w[i].lo && h <= w[i].hi, "placed %zu-byte name outside its window", n);
			}
			for (size_t i = 0; i < n; i++)
				CHECK(out[i] >= 0x21 && out[i] <= 0x7E && out[i] != '/', "placed byte 0x%02x", out[i]);
		}
		if (n <= 2) {
			int exists = 0;
			uint8_t cand[2];

			for (int a = 0x21; a <= 0x7E && !exists; a++)
				for (int b = n == 2 ? 0x21 : 0; b <= (n == 2 ? 0x7E : 0) && !exists; b++) {
					int fits = 1;

					cand[0] = (uint8_t)a;
					cand[1] = (uint8_t)b;
					if (a == '/' || (n == 2 && b == '/') || memcmp(cand, orig, n) == 0)
						continue;
					for (size_t i = 0; i < count; i++) {
						uint32_t h = slow_crc(w[i].seed, cand, n);

						fits &= h >= w[i].lo && h <= w[i].hi;
					}
					exists = fits;
				}
			if (exists == got)
				agree++;
			else
				CHECK(0, "%zu-byte name %d: brute force says %d, placement %d", n, t, exists, got);
		}
		/* A window holding only the name's own hash admits nothing else. */
		w[0].lo = w[0].hi = slow_crc(w[0].seed, orig, n);
		CHECK(!place_short_name(&r, orig, n, w, 1, 1, out, never_taken, NULL), "placed in a closed window");
	}
	printf("short names placed: 1 byte %d/%d, 2 bytes %d/%d, 3 bytes %d/%d, 4 bytes %d/%d; "
	       "1..2-byte brute force agrees %d times\n",
	       placed[1], tried[1], placed[2], tried[2], placed[3], tried[3], placed[4], tried[4], agree);
	CHECK(placed[4] > tried[4] / 2, "too few 4-byte names placed");
}

/* The reference's replacements (checked against btrfs-image 6.2). */
static void test_odometer(void)
{
	static const struct {
		const char *name, *first, *tail;
		size_t spaces;
	} vectors[] = {
		{ "file_with_a_longish_name_36", "2", "\"88x", 22 },
		{ "file_with_a_longish_name_90", "2", "\"82~", 22 },
		{ "top_secret_filename", "S", ",X1c", 14 },
	};

	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		const char *name = vectors[v].name;
		size_t n = strlen(name);
		uint8_t want[64], out[64];

		strcpy((char *)want, vectors[v].first);
		memset(want + 1, ' ', vectors[v].spaces);
		memcpy(want + 1 + vectors[v].spaces, vectors[v].tail, 4);
		CHECK(collide_odometer((const uint8_t *)name, n, out, never_taken, NULL) && memcmp(out, want, n) == 0,
		      "odometer replacement of %s: got %.*s", name, (int)n, out);
	}
	CHECK(!collide_odometer((const uint8_t *)"abcd", 4, (uint8_t[4]){ 0 }, never_taken, NULL),
	      "odometer claimed a 4-byte name");
	CHECK(!collide_odometer((const uint8_t *)"abcdefghij", 10, (uint8_t[10]){ 0 }, always_taken, NULL),
	      "odometer returned a taken candidate");
	printf("odometer: the reference's replacements reproduced\n");
}

static void bench(long count)
{
	struct rng r;
	uint8_t orig[64], out[64];
	struct timespec a, b;
	double secs;
	long ok = 0;

	rng_seed(&r, 1);
	random_printable(&r, orig, sizeof(orig));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < count; i++) {
		size_t n = 7 + (size_t)(i % 58);
		orig[i % 64] ^= (uint8_t)i;
		ok += collide_name(&r, orig, n, 0, out, never_taken, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("solver: %ld names of 7..64 bytes in %.3f s: %.0f names/s (%ld solved)\n", count, secs,
	       (double)count / secs, ok);
}

int main(int argc, char **argv)
{
	msg_init(argv[0]);
	collide_init();
	if (argc == 3 && strcmp(argv[1], "--bench") == 0) {
		bench(atol(argv[2]));
		return 0;
	}
	test_solver();
	test_exhaustive_short();
	test_place_short();
	test_odometer();
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
