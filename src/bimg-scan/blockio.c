/*
 * Logical reads through the chunk map.
 *
 * A tree block is accepted only when its bytenr, fsid, checksum (in the
 * filesystem's own algorithm) and layout check out; otherwise the next copy
 * (DUP, RAID1*, RAID10 mirror) is tried, and only when every copy fails is
 * the dump stopped.  In extent-tree mode blocks come in ascending logical
 * order, mostly packed together: blockio_prefetch() reads a run of them
 * with one large pread into a window (at most WINDOW_MAX bytes).
 */
#include "scan.h"
#include "msg.h"
#include "tree.h"
#include "xio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MAX (4u << 20)
/* Unused space read along with the blocks around it rather than seeking past it. */
#define WINDOW_GAP_MAX (256u << 10)

static struct {
	uint8_t *buf;
	uint64_t logical;
	uint64_t len;
} window;

static char why[256];

/* Read len bytes of copy `copy` at logical; NULL or why not (in `why`). */
static const char *read_copy(struct scan_fs *fs, const struct chunk *c, uint64_t logical, int copy, uint8_t *buf,
			     size_t len)
{
	uint64_t devid, physical, contiguous;
	const struct scan_device *d;
	ssize_t n;

	if (chunk_map_copy(c, logical, copy, &devid, &physical, &contiguous) < 0)
		return "no such copy";
	if (contiguous < len)
		return "crosses a stripe or chunk boundary";
	d = device_by_id(fs, devid);
	if (!d) {
		snprintf(why, sizeof(why), "device devid %llu is missing", (unsigned long long)devid);
		return why;
	}
	n = pread_full(d->fd, buf, len, physical);
	if (n < 0) {
		snprintf(why, sizeof(why), "reading %s at %llu: %s", d->path, (unsigned long long)physical,
			 strerror(errno));
		return why;
	}
	if ((size_t)n < len) {
		snprintf(why, sizeof(why), "%s ends before physical %llu", d->path,
			 (unsigned long long)(physical + len));
		return why;
	}
	return NULL;
}

static const char *check_block(struct scan_fs *fs, const uint8_t *block, uint64_t logical)
{
	return tree_block_check(block, fs->nodesize, logical, fs->sb.header_fsid, fs->sb.csum_type, TREE_CHECK_ALL);
}

void read_tree_block(struct scan_fs *fs, uint64_t logical, int expect_level, uint8_t *block)
{
	const struct chunk *c = chunk_map_lookup(&fs->map, logical);
	const char *err = "not in any chunk";
	int copy, copies;

	if (c) {
		copies = chunk_num_copies(c);
		for (copy = 0; copy < copies; copy++) {
			err = read_copy(fs, c, logical, copy, block, fs->nodesize);
			if (!err)
				err = check_block(fs, block, logical);
			if (!err)
				break;
		}
	}
	if (err)
		die("%s: cannot read tree block %llu: %s", fs->name, (unsigned long long)logical, err);
	if (expect_level >= 0)
		check_child(fs, block, logical, expect_level);
}

size_t blockio_prefetch(struct scan_fs *fs, const uint64_t *logicals, size_t count)
{
	const struct chunk *c;
	uint64_t devid, physical, contiguous, start, end;
	const struct scan_device *d;
	size_t k;
	ssize_t n;

	window.len = 0;
	if (!count || !(c = chunk_map_lookup(&fs->map, logicals[0])))
		return 0;
	if (chunk_map_copy(c, logicals[0], 0, &devid, &physical, &contiguous) < 0 ||
	    !(d = device_by_id(fs, devid)))
		return 0;
	if (contiguous > WINDOW_MAX)
		contiguous = WINDOW_MAX;
	start = logicals[0];
	end = start + fs->nodesize;
	if (end - start > contiguous)
		return 0;
	for (k = 1; k < count; k++) {
		uint64_t l = logicals[k];
		if (l < end || l - end > WINDOW_GAP_MAX || l + fs->nodesize - start > contiguous)
			break;
		end = l + fs->nodesize;
	}
	if (!window.buf)
		window.buf = xmalloc(WINDOW_MAX);
	n = pread_full(d->fd, window.buf, end - start, physical);
	if (n <= 0)
		return 0;
	window.logical = start;
	window.len = (uint64_t)n;
	return k;
}

void read_tree_block_cached(struct scan_fs *fs, uint64_t logical, uint8_t *block)
{
	if (logical >= window.logical && window.len >= fs->nodesize &&
	    logical - window.logical <= window.len - fs->nodesize) {
		memcpy(block, window.buf + (logical - window.logical), fs->nodesize);
		if (!check_block(fs, block, logical))
			return;
	}
	/* Not read ahead, or this copy is bad: the careful path tries every copy. */
	read_tree_block(fs, logical, -1, block);
}

void read_logical(struct scan_fs *fs, uint64_t logical, uint8_t *buf, size_t len)
{
	while (len) {
		const struct chunk *c = chunk_map_lookup(&fs->map, logical);
		const char *err = "not in any chunk";
		uint64_t devid, physical, contiguous;
		size_t piece = len;
		int copy, copies;

		if (c) {
			if (chunk_map_copy(c, logical, 0, &devid, &physical, &contiguous) == 0 && contiguous < piece)
				piece = (size_t)contiguous;
			copies = chunk_num_copies(c);
			for (copy = 0; copy < copies; copy++) {
				err = read_copy(fs, c, logical, copy, buf, piece);
				if (!err)
					break;
			}
		}
		if (err)
			die("%s: cannot read data at logical %llu: %s", fs->name, (unsigned long long)logical, err);
		logical += piece;
		buf += piece;
		len -= piece;
	}
}

void blockio_free(void)
{
	free(window.buf);
	window.buf = NULL;
	window.len = 0;
}
