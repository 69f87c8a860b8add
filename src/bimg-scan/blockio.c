/*
 * Logical reads through the chunk map.
 *
 * A tree block is accepted only when its bytenr, fsid, checksum (in the
 * filesystem's own algorithm) and layout check out; otherwise the next copy
 * (DUP, RAID1*, RAID10 mirror; for RAID5/6 a rebuild from P, then Q) is
 * tried, and only when every copy fails is the dump stopped.  A fallback
 * is reported, naming the copy used.  When no copy is good, the best bad
 * one is kept for --rescue=copy.  In extent-tree mode blocks come in ascending logical
 * order, mostly packed together: blockio_prefetch() reads a run of them
 * with one large pread into a window (at most WINDOW_MAX bytes), and asks
 * the kernel to read on ahead of it meanwhile.
 */
#include "blockio.h"
#include "cursor.h"
#include "devices.h"
#include "msg.h"
#include "tree.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
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
		snprintf(why, sizeof(why), "short read: %s ends before physical %llu", d->path,
			 (unsigned long long)(physical + len));
		return why;
	}
	return NULL;
}

static const char *check_block(struct scan_fs *fs, const uint8_t *block, uint64_t logical)
{
	return tree_block_check(block, fs->nodesize, logical, fs->sb.header_fsid, fs->sb.csum_type, TREE_CHECK_ALL);
}

/* Multiplication by 2 in GF(2^8) with the RAID6 polynomial x^8 + x^4 + x^3 + x^2 + 1. */
static uint8_t gf_mul2(uint8_t v)
{
	return (uint8_t)((v << 1) ^ ((v & 0x80) ? 0x1d : 0));
}

/*
 * Rebuild len bytes at logical in a RAID5/6 chunk from the other data
 * stripes of its full stripe and a parity stripe: with P, the XOR of all
 * of them; with Q (RAID6), Q = sum of 2^i * Di gives
 * Dx = (Q + sum over i != x of 2^i * Di) / 2^x.  The bytes must lie in one
 * stripe unit.  Returns NULL or why not.
 */
static const char *read_stripe(struct scan_fs *fs, const struct chunk *c, unsigned stripe, uint64_t at, uint8_t *buf,
			       size_t len)
{
	const struct scan_device *d = device_by_id(fs, c->stripes[stripe].devid);

	if (!d) {
		snprintf(why, sizeof(why), "device devid %llu is missing", (unsigned long long)c->stripes[stripe].devid);
		return why;
	}
	if (pread_full(d->fd, buf, len, c->stripes[stripe].offset + at) != (ssize_t)len) {
		/* an I/O error or a short read: either way this stripe cannot help */
		snprintf(why, sizeof(why), "cannot read %s at %llu", d->path,
			 (unsigned long long)(c->stripes[stripe].offset + at));
		return why;
	}
	return NULL;
}

static const char *rebuild_raid56(struct scan_fs *fs, const struct chunk *c, uint64_t logical, int use_q,
				  uint8_t *buf, size_t len)
{
	unsigned parity = (c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1, ns = c->num_stripes, nd, k, x, t;
	uint64_t off = logical - c->logical, nr, row, at;
	const char *err = NULL;
	uint8_t *other;
	size_t i;

	if (ns <= parity || (use_q && parity < 2))
		return "no such parity";
	nd = ns - parity;
	nr = off / c->stripe_len;
	if (off % c->stripe_len + len > c->stripe_len)
		return "crosses a stripe boundary";
	row = nr / nd;
	x = (unsigned)(nr % nd);
	at = row * c->stripe_len + off % c->stripe_len;
	other = xmalloc(len);
	memset(buf, 0, len);
	/* From the last data stripe down: Horner's rule for Q, plain XOR for P; Dx counts as zeros. */
	for (k = nd; k-- > 0 && !err;) {
		if (use_q)
			for (i = 0; i < len; i++)
				buf[i] = gf_mul2(buf[i]);
		if (k == x || (err = read_stripe(fs, c, (unsigned)((row + k) % ns), at, other, len)))
			continue;
		for (i = 0; i < len; i++)
			buf[i] ^= other[i];
	}
	if (!err)
		err = read_stripe(fs, c, (unsigned)((row + nd + (unsigned)use_q) % ns), at, other, len);
	if (!err) {
		for (i = 0; i < len; i++)
			buf[i] ^= other[i];
		/* Q gave 2^x * Dx: divide by 2^x, i.e. multiply by 2^(255 - x). */
		for (t = 0; use_q && t < (255 - x) % 255; t++)
			for (i = 0; i < len; i++)
				buf[i] = gf_mul2(buf[i]);
	}
	free(other);
	return err;
}

/* The same block is read by several walks: each fallback is reported once (the last few remembered). */
static void report_fallback(struct scan_fs *fs, uint64_t logical, const char *first_err, const char *used)
{
	static uint64_t reported[32];
	static unsigned next;
	unsigned i;

	for (i = 0; i < 32; i++)
		if (reported[i] == logical)
			return;
	reported[next++ % 32] = logical;
	note("%s: tree block %llu: first copy bad (%s); used %s", fs->name, (unsigned long long)logical, first_err,
	     used);
}

/*
 * How much a bad copy still looks like the block that belongs at logical:
 * the right address first, then the right filesystem, a good checksum,
 * a sane layout.  0: nothing was read.
 */
static int copy_score(struct scan_fs *fs, const uint8_t *block, uint64_t logical)
{
	const uint8_t *fsid = fs->sb.header_fsid;
	unsigned csum_type = fs->sb.csum_type;
	uint32_t n = fs->nodesize;

	return 1 + 8 * !tree_block_check(block, n, logical, fsid, csum_type, TREE_CHECK_BYTENR) +
	       4 * !tree_block_check(block, n, logical, fsid, csum_type, TREE_CHECK_FSID) +
	       2 * !tree_block_check(block, n, logical, fsid, csum_type, TREE_CHECK_CSUM) +
	       !tree_block_check(block, n, logical, fsid, csum_type, TREE_CHECK_LAYOUT);
}

/* Keep the best bad copy seen so far in best (nodesize bytes). */
static void keep_if_better(struct scan_fs *fs, const uint8_t *block, uint64_t logical, uint8_t *best, int *best_score)
{
	int score = copy_score(fs, block, logical);

	if (score > *best_score) {
		memcpy(best, block, fs->nodesize);
		*best_score = score;
	}
}

int read_tree_block_try(struct scan_fs *fs, uint64_t logical, int expect_level, uint8_t *block,
			struct block_damage *damage)
{
	const struct chunk *c = chunk_map_lookup(&fs->map, logical);
	const char *err = "not in any chunk";
	char first_err[256] = "";
	static uint8_t *best;
	int copy, copies, best_score = 0;

	if (!best)
		best = xmalloc(BTRFS_MAX_NODESIZE);
	if (c) {
		copies = chunk_num_copies(c);
		for (copy = 0; copy < copies; copy++) {
			const char *check_err = NULL;

			err = read_copy(fs, c, logical, copy, block, fs->nodesize);
			if (!err)
				err = check_err = check_block(fs, block, logical);
			if (!err)
				break;
			if (check_err)
				keep_if_better(fs, block, logical, best, &best_score);
			if (copy == 0)
				snprintf(first_err, sizeof(first_err), "%s", err);
		}
		if (!err && copy > 0) {
			uint64_t devid, physical, contiguous;
			char used[96];

			chunk_map_copy(c, logical, copy, &devid, &physical, &contiguous);
			snprintf(used, sizeof(used), "copy %d on devid %llu", copy + 1, (unsigned long long)devid);
			report_fallback(fs, logical, first_err, used);
		}
		for (copy = 0; err && copy < 2 && (c->type & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6));
		     copy++) {
			err = rebuild_raid56(fs, c, logical, copy, block, fs->nodesize);
			if (!err)
				err = check_block(fs, block, logical);
			if (!err)
				report_fallback(fs, logical, first_err,
						copy ? "a rebuild from the Q parity" : "a rebuild from the P parity");
		}
	}
	memset(damage, 0, sizeof(*damage));
	if (err) {
		snprintf(damage->why, sizeof(damage->why), "%s", first_err[0] ? first_err : err);
		if (best_score) {
			memcpy(block, best, fs->nodesize);
			damage->bad_copy = 1;
			damage->layout_ok = !tree_block_check(block, fs->nodesize, logical, fs->sb.header_fsid,
							      fs->sb.csum_type, TREE_CHECK_LAYOUT);
		}
		return -1;
	}
	if (expect_level >= 0 && child_mismatch(fs, block, expect_level, damage->why, sizeof(damage->why))) {
		damage->bad_pointer = 1;
		return -1;
	}
	return 0;
}

void read_tree_block(struct scan_fs *fs, uint64_t logical, int expect_level, uint8_t *block)
{
	struct block_damage damage;

	if (read_tree_block_try(fs, logical, expect_level, block, &damage) == 0)
		return;
	if (damage.bad_pointer)
		die("%s: tree block %llu: %s", fs->name, (unsigned long long)logical, damage.why);
	die("%s: cannot read tree block %llu: %s", fs->name, (unsigned long long)logical, damage.why);
}

/*
 * Blocks in extent-tree order lie mostly in ascending physical order, so
 * while a window is checked and sent on, the disk can already be reading
 * what follows it: ask the kernel (asynchronously) for the next AHEAD bytes
 * after every window.  From a warm page cache this is a short walk over
 * pages that are there.
 */
#define AHEAD (8u << 20)

static struct {
	int fd;
	uint64_t end; /* read-ahead was asked up to here on fd */
} ahead = { -1, 0 };

static void read_ahead(int fd, uint64_t from)
{
	uint64_t start = from;

	if (from > INT64_MAX - AHEAD)
		return;
	if (fd == ahead.fd && ahead.end > from && ahead.end - from <= AHEAD)
		start = ahead.end;
	if (start < from + AHEAD)
		(void)posix_fadvise(fd, (off_t)start, (off_t)(from + AHEAD - start), POSIX_FADV_WILLNEED);
	ahead.fd = fd;
	ahead.end = from + AHEAD;
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
	read_ahead(d->fd, physical + (uint64_t)n);
	window.logical = start;
	window.len = (uint64_t)n;
	return k;
}

int read_tree_block_cached(struct scan_fs *fs, uint64_t logical, uint8_t *block, struct block_damage *damage)
{
	if (logical >= window.logical && window.len >= fs->nodesize &&
	    logical - window.logical <= window.len - fs->nodesize) {
		memcpy(block, window.buf + (logical - window.logical), fs->nodesize);
		if (!check_block(fs, block, logical))
			return 0;
	}
	/* Not read ahead, or this copy is bad: the careful path tries every copy. */
	return read_tree_block_try(fs, logical, -1, block, damage);
}

const char *read_logical_try(struct scan_fs *fs, uint64_t logical, uint8_t *buf, size_t len)
{
	static char data_why[320];

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
		if (err) {
			snprintf(data_why, sizeof(data_why), "cannot read data at logical %llu: %s",
				 (unsigned long long)logical, err);
			return data_why;
		}
		logical += piece;
		buf += piece;
		len -= piece;
	}
	return NULL;
}

void read_logical(struct scan_fs *fs, uint64_t logical, uint8_t *buf, size_t len)
{
	const char *err = read_logical_try(fs, logical, buf, len);

	if (err)
		die("%s: %s", fs->name, err);
}

void blockio_free(void)
{
	free(window.buf);
	window.buf = NULL;
	window.len = 0;
}
