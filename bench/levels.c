/*
 * bench/levels IMAGE [LEVEL,...]: deflate every item of an uncompressed
 * (-c0) btrfs-image file with zlib at level 9 (what btrfs-image -c9 does)
 * and with libdeflate at each LEVEL (default 6,8,9,10,11,12), on one
 * thread, and print per codec and level: the total compressed size, its
 * difference from zlib 9's, the CPU time and its ratio to zlib 9's, and
 * how many items came out larger than zlib 9 made them.  Then why the
 * near-optimal levels cost what they cost: how much of the image is long
 * runs of zero bytes, and each level's CPU time on all-zero items of the
 * same sizes; and whether spending level 10 only where a fast level
 * compresses badly could beat zlib 9 on size at a fraction of the CPU.
 * bench/levels.sh builds and runs it; the tables in docs/design.md
 * ("Compression levels") come from it.
 */
#include "image.h"

#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

struct item {
	const uint8_t *bytes;
	size_t len;
	size_t zlib_size;
	size_t fast_size, best_size; /* libdeflate at HYBRID_FAST and HYBRID_BEST */
	double fast_time, best_time;
};

/* A zero run this long is free space in a tree block, not a field's zeros. */
#define LONG_ZERO_RUN 64
#define HYBRID_FAST 6
#define HYBRID_BEST 10

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "levels: %s: %s\n", what, why);
	exit(1);
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		fail(path, "cannot read it");
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail(path, "cannot read it");
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The items of an uncompressed image, in file order. */
static struct item *image_items(const char *path, const uint8_t *img, size_t size, size_t *count)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0, off = 0;

	while (off + IMAGE_BLOCK_SIZE <= size) {
		struct image_index index;
		const char *err = image_index_parse(img + off, off, -1, &index);
		size_t at = off + IMAGE_BLOCK_SIZE;
		uint32_t i;

		if (err)
			fail(path, err);
		if (index.compressed)
			fail(path, "a compressed image (make it with -c0)");
		for (i = 0; i < index.nritems; i++) {
			if (index.items[i].size > size - at)
				fail(path, "an item runs past the end of the file");
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				items = realloc(items, cap * sizeof(*items));
				if (!items)
					fail(path, "out of memory");
			}
			items[n].bytes = img + at;
			items[n].len = index.items[i].size;
			n++;
			at += index.items[i].size;
		}
		off = (at + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE * IMAGE_BLOCK_SIZE;
	}
	*count = n;
	return items;
}

/* Share of the bytes of all items that lie in runs of LONG_ZERO_RUN or more zero bytes. */
static double long_zero_share(const struct item *items, size_t count)
{
	size_t i, in_runs = 0, raw = 0;

	for (i = 0; i < count; i++) {
		size_t at = 0, run = 0;

		for (at = 0; at <= items[i].len; at++) {
			if (at < items[i].len && items[i].bytes[at] == 0) {
				run++;
				continue;
			}
			if (run >= LONG_ZERO_RUN)
				in_runs += run;
			run = 0;
		}
		raw += items[i].len;
	}
	return raw ? (double)in_runs / (double)raw : 0;
}

/* CPU seconds libdeflate at `level` takes on all-zero items of the sizes of the real ones. */
static double zeros_time(int level, const struct item *items, size_t count, uint8_t *out, size_t out_size)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	uint8_t *zeros = calloc(1, IMAGE_MAX_PENDING_V0);
	double t0;
	size_t i;

	if (!c || !zeros)
		fail("zero items", "out of memory");
	t0 = cpu_seconds();
	for (i = 0; i < count; i++)
		libdeflate_zlib_compress(c, zeros, items[i].len, out, out_size);
	t0 = cpu_seconds() - t0;
	libdeflate_free_compressor(c);
	free(zeros);
	return t0;
}

/*
 * Fixed-Huffman bits for a run of `len` zero bytes as a deflate block of its
 * own: the 3-bit header, one literal 0 (8 bits), matches of 258 at distance 1
 * (8 + 5 bits each) and the end-of-block code (7 bits).
 */
static size_t zero_run_bits(size_t len)
{
	return 3 + 8 + (len - 1 + 257) / 258 * 13 + 7;
}

/*
 * Level 10 kept off the zero runs: each item cut at runs of SPLIT_ZERO_RUN or
 * more zero bytes, every piece between them deflated alone (no window
 * across a cut), every run coded as zero_run_bits, 5 bytes per cut for
 * joining the pieces.  Prints the size this lower bound reaches and the
 * CPU it takes.
 */
#define SPLIT_ZERO_RUN 4096
static void print_split(const struct item *items, size_t count, size_t zlib_total, double zlib_time, uint8_t *out,
			size_t out_size)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(HYBRID_BEST);
	size_t i, sum = 0, run_bits = 0;
	double t0 = cpu_seconds();

	if (!c)
		fail("split", "out of memory");
	for (i = 0; i < count; i++) {
		const uint8_t *b = items[i].bytes;
		size_t len = items[i].len, piece = 0, at = 0;

		while (at < len) {
			size_t end = at;

			if (b[at] != 0) {
				at++;
				continue;
			}
			while (end < len && b[end] == 0)
				end++;
			if (end - at >= SPLIT_ZERO_RUN) {
				if (at > piece)
					sum += libdeflate_deflate_compress(c, b + piece, at - piece, out, out_size) + 5;
				run_bits += zero_run_bits(end - at);
				piece = end;
			}
			at = end;
		}
		if (len > piece)
			sum += libdeflate_deflate_compress(c, b + piece, len - piece, out, out_size);
		sum += 6; /* the zlib header and Adler-32 */
	}
	t0 = cpu_seconds() - t0;
	libdeflate_free_compressor(c);
	sum += run_bits / 8;
	printf("%d, cut at %d-byte zero runs %8zu %+8.2f%% %9.2f %8.2fx\n", HYBRID_BEST, SPLIT_ZERO_RUN, sum,
	       100.0 * ((double)sum - (double)zlib_total) / (double)zlib_total, t0, t0 / zlib_time);
}

/* Each item's size and CPU time at one libdeflate level, into the item's fast or best fields. */
static void measure_level(int level, struct item *items, size_t count, uint8_t *out, size_t out_size)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t i;

	if (!c)
		fail("hybrid", "out of memory");
	for (i = 0; i < count; i++) {
		double t0 = cpu_seconds();
		size_t n = libdeflate_zlib_compress(c, items[i].bytes, items[i].len, out, out_size);
		double t = cpu_seconds() - t0;

		if (level == HYBRID_FAST) {
			items[i].fast_size = n;
			items[i].fast_time = t;
		} else {
			items[i].best_size = n;
			items[i].best_time = t;
		}
	}
	libdeflate_free_compressor(c);
}

/*
 * The hybrid: every item at HYBRID_FAST, and again at HYBRID_BEST (keeping
 * the smaller) where the fast level left more than `share` of the item.
 */
static void print_hybrid(const struct item *items, size_t count, size_t zlib_total, double zlib_time)
{
	static const double shares[] = { 0.03, 0.04, 0.05, 0.06, 0.08 };
	size_t s, i;

	for (s = 0; s < sizeof(shares) / sizeof(shares[0]); s++) {
		size_t sum = 0;
		double t = 0;

		for (i = 0; i < count; i++) {
			size_t n = items[i].fast_size;

			t += items[i].fast_time;
			if ((double)n > shares[s] * (double)items[i].len) {
				t += items[i].best_time;
				if (items[i].best_size < n)
					n = items[i].best_size;
			}
			sum += n;
		}
		printf("%d, %d where %d left > %2.0f%%  %12zu %+8.2f%% %9.2f %8.2fx\n", HYBRID_FAST, HYBRID_BEST,
		       HYBRID_FAST, 100 * shares[s], sum, 100.0 * ((double)sum - (double)zlib_total) / (double)zlib_total,
		       t, t / zlib_time);
	}
}

int main(int argc, char **argv)
{
	size_t size, count, i, total = 0, raw = 0;
	uint8_t *img, *out;
	struct item *items;
	char *list, *level;
	double t0, zlib_time;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: levels IMAGE [LEVEL,...]\n");
		return 1;
	}
	img = read_file(argv[1], &size);
	items = image_items(argv[1], img, size, &count);
	out = malloc(2 * IMAGE_MAX_PENDING_V0 + 4096);
	if (!out)
		fail(argv[1], "out of memory");
	t0 = cpu_seconds();
	for (i = 0; i < count; i++) {
		uLongf n = 2 * IMAGE_MAX_PENDING_V0 + 4096;

		if (items[i].len > IMAGE_MAX_PENDING_V0 || compress2(out, &n, items[i].bytes, items[i].len, 9) != Z_OK)
			fail(argv[1], "an item zlib cannot take (a -d image? only metadata images are measured)");
		items[i].zlib_size = n;
		total += n;
		raw += items[i].len;
	}
	zlib_time = cpu_seconds() - t0;
	printf("%-14s %12s %9s %9s %9s %14s\n", "codec", "bytes", "vs zlib", "CPU s", "vs zlib", "items larger");
	printf("%-14s %12zu %9s %9.2f %9s %14s   (%zu items, %zu bytes raw)\n", "zlib 9", total, "", zlib_time, "", "",
	       count, raw);
	list = strdup(argc > 2 ? argv[2] : "6,8,9,10,11,12");
	while ((level = strsep(&list, ","))) {
		struct libdeflate_compressor *c = libdeflate_alloc_compressor(atoi(level));
		size_t sum = 0, larger = 0;
		double t;

		if (!c)
			fail(level, "not a libdeflate level");
		t0 = cpu_seconds();
		for (i = 0; i < count; i++) {
			size_t n = libdeflate_zlib_compress(c, items[i].bytes, items[i].len, out,
							    2 * IMAGE_MAX_PENDING_V0 + 4096);
			sum += n;
			larger += n > items[i].zlib_size;
		}
		t = cpu_seconds() - t0;
		libdeflate_free_compressor(c);
		printf("libdeflate %-3s %12zu %+8.2f%% %9.2f %8.2fx %14zu   (on all-zero items: %.2f s)\n", level, sum,
		       100.0 * ((double)sum - (double)total) / (double)total, t, t / zlib_time, larger,
		       zeros_time(atoi(level), items, count, out, 2 * IMAGE_MAX_PENDING_V0 + 4096));
	}
	printf("%.1f%% of the bytes lie in runs of %d or more zero bytes\n", 100 * long_zero_share(items, count),
	       LONG_ZERO_RUN);
	measure_level(HYBRID_FAST, items, count, out, 2 * IMAGE_MAX_PENDING_V0 + 4096);
	measure_level(HYBRID_BEST, items, count, out, 2 * IMAGE_MAX_PENDING_V0 + 4096);
	print_hybrid(items, count, total, zlib_time);
	print_split(items, count, total, zlib_time, out, 2 * IMAGE_MAX_PENDING_V0 + 4096);
	return 0;
}
