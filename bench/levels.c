/*
 * bench/levels IMAGE [LEVEL,...]: deflate every item of an uncompressed
 * (-c0) btrfs-image file with zlib at level 9 (what btrfs-image -c9 does)
 * and with libdeflate at each LEVEL (default 6,8,9,10,11,12), on one
 * thread, and print per codec and level: the total compressed size, its
 * difference from zlib 9's, the CPU time and its ratio to zlib 9's, and
 * how many items came out larger than zlib 9 made them.  bench/levels.sh
 * builds and runs it; the table in docs/design.md comes from it.
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
};

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
		printf("libdeflate %-3s %12zu %+8.2f%% %9.2f %8.2fx %14zu\n", level, sum,
		       100.0 * ((double)sum - (double)total) / (double)total, t, t / zlib_time, larger);
	}
	return 0;
}
