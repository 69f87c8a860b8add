/*
 * Shared by fuzz_fixchunks.c (one target) and fuzz_fixchunks_multi.c
 * (-m): bimg-fixchunks' restore() reads the input as its standard input
 * and writes targets that live in memory.
 *
 * What the harness replaces:
 *   target.c, guard.c  stubs below: each target is a memfd (sparse, read
 *                      back like a file, gone when closed); no signal
 *                      handlers, nothing to invalidate
 *   x*alloc, free      wrapped (-Wl,--wrap=...): every block the program's
 *                      code allocates is remembered until freed, so that
 *                      what an input rejected half-way (die() jumps out of
 *                      restore()) left behind is freed, and leak detection
 *                      stays on for the inputs that finish
 *   temp_file_open     wrapped: held-back blocks spill to an unlinked file
 *                      after 8 KiB (BIMG_FIXCHUNKS_HOLDBACK_MEMORY), whose
 *                      descriptor a rejected input leaves open; it is
 *                      closed if it is still that file
 * Nothing is written outside memory and the unlinked spill files.
 *
 * Mutations would hardly ever get past the stream's crc32c framing, so the
 * harness frames the input again before the restore reads it: the stream
 * header's and every record's crc32c, sequence numbers and the END counts
 * are recomputed, and so are the checksums of the SUPERBLOCK and of every
 * TREE_BLOCK (in the filesystem's algorithm) unless option bit 4 is set.
 * The saved inputs are valid streams, which this leaves as they are.
 *
 * Options come from FS_INFO's generation (the stream's bytes 112..119):
 * bit 0 --ignore-bad-blocks, bit 1 -o (one target only), bit 2 --new-fsid,
 * bit 3 --force, bit 4 keep block checksums as they are.  With -m there are
 * as many targets as FS_INFO's num_devices (bytes 104..111), 1 to 8.
 */
#ifndef BIMG_FUZZ_FIXCHUNKS_H
#define BIMG_FUZZ_FIXCHUNKS_H

#include "crc32c.h"
#include "csum.h"
#include "fuzz_common.h"
#include "guard.h"
#include "le.h"
#include "restore.h"
#include "stream.h"
#include "target.h"
#include "xio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_MAX_TARGETS 8
#define FUZZ_FS_INFO_NUM_DEVICES 104
#define FUZZ_FS_INFO_GENERATION 112

/* ---- allocations made by the program's code, until freed ---- */

void *__real_xmalloc(size_t size);
void *__real_xcalloc(size_t count, size_t size);
void *__real_xrealloc(void *ptr, size_t size);
char *__real_xstrdup(const char *s);
void __real_free(void *ptr);
int __real_temp_file_open(const char *what);

static void **live;         /* open addressing; NULL empty, TOMBSTONE removed */
static size_t live_capacity; /* a power of two */
static size_t live_used;     /* slots not NULL (tombstones included) */
static size_t live_count;    /* blocks remembered */
static void *const TOMBSTONE = (void *)&live;

static size_t live_slot(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (live_capacity - 1);
}

static void live_put(void *p)
{
	size_t i;

	for (i = live_slot(p); live[i] && live[i] != TOMBSTONE; i = (i + 1) & (live_capacity - 1))
		;
	if (!live[i])
		live_used++;
	live[i] = p;
	live_count++;
}

/* A table for the blocks remembered now, without tombstones, at most a quarter full. */
static void live_rehash(void)
{
	void **old = live;
	size_t old_capacity = live_capacity, i;

	for (live_capacity = 1024; live_capacity < 4 * (live_count + 1);)
		live_capacity *= 2;
	live = calloc(live_capacity, sizeof(*live));
	if (!live)
		abort();
	live_used = live_count = 0;
	for (i = 0; i < old_capacity; i++)
		if (old[i] && old[i] != TOMBSTONE)
			live_put(old[i]);
	__real_free(old);
}

static void live_add(void *p)
{
	if (2 * (live_used + 1) > live_capacity)
		live_rehash();
	live_put(p);
}

static int live_remove(void *p)
{
	size_t i;

	if (!live_capacity || !p)
		return 0;
	for (i = live_slot(p); live[i]; i = (i + 1) & (live_capacity - 1)) {
		if (live[i] == p) {
			live[i] = TOMBSTONE;
			live_count--;
			return 1;
		}
	}
	return 0;
}

/*
 * Free whatever a rejected input left allocated; after a finished restore
 * only forget it (anything still allocated then is a leak to report).
 */
static void live_forget(int free_them)
{
	size_t i;

	for (i = 0; free_them && i < live_capacity; i++)
		if (live[i] && live[i] != TOMBSTONE)
			__real_free(live[i]);
	if (live)
		memset(live, 0, live_capacity * sizeof(*live));
	live_used = live_count = 0;
}

void *__wrap_xmalloc(size_t size)
{
	void *p = __real_xmalloc(size);

	live_add(p);
	return p;
}

void *__wrap_xcalloc(size_t count, size_t size)
{
	void *p = __real_xcalloc(count, size);

	live_add(p);
	return p;
}

void *__wrap_xrealloc(void *ptr, size_t size)
{
	void *p;

	live_remove(ptr);
	p = __real_xrealloc(ptr, size);
	live_add(p);
	return p;
}

char *__wrap_xstrdup(const char *s)
{
	char *p = __real_xstrdup(s);

	live_add(p);
	return p;
}

void __wrap_free(void *ptr)
{
	live_remove(ptr);
	__real_free(ptr);
}

/* ---- spill files ---- */

static struct spill {
	int fd;
	dev_t dev;
	ino_t ino;
} spills[16];
static size_t spill_count;

int __wrap_temp_file_open(const char *what)
{
	int fd = __real_temp_file_open(what);
	struct stat st;

	if (spill_count < sizeof(spills) / sizeof(spills[0]) && fstat(fd, &st) == 0)
		spills[spill_count++] = (struct spill){ fd, st.st_dev, st.st_ino };
	return fd;
}

/* After a rejected input: the spill files it still had open (a finished restore closed its own). */
static void close_spills(int rejected)
{
	struct stat st;

	while (spill_count) {
		struct spill *s = &spills[--spill_count];

		if (rejected && fstat(s->fd, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
			close(s->fd);
	}
}

/* ---- target.c and guard.c, in memory ---- */

const char *target_holds_source(const struct target *t, const uint8_t *image_sb)
{
	(void)t;
	(void)image_sb;
	return NULL;
}

void target_claim(struct target *t)
{
	if (!t->claimed && ftruncate(t->fd, 0) < 0)
		die("%s: truncating:", t->path);
	t->claimed = 1;
}

void target_write(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	if (physical > (uint64_t)INT64_MAX - len)
		die("%s: write at %llu is beyond any file size", t->path, (unsigned long long)physical);
	if (pwrite_full(t->fd, bytes, len, physical) < 0)
		die("%s: writing %zu bytes at %llu:", t->path, len, (unsigned long long)physical);
}

void target_write_now(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	target_write(t, physical, bytes, len);
}

void target_sync(struct target *t)
{
	(void)t;
}

void target_extend(struct target *t, uint64_t size)
{
	if (size > (uint64_t)INT64_MAX)
		die("%s: device size %llu is too large for a file", t->path, (unsigned long long)size);
	if (size > fd_size(t->fd) && ftruncate(t->fd, (off_t)size) < 0)
		die("%s: extending to %llu bytes:", t->path, (unsigned long long)size);
}

void target_read(struct target *t, uint64_t physical, uint8_t *bytes, size_t len)
{
	ssize_t n = pread_full(t->fd, bytes, len, physical);

	if (n < 0 || (size_t)n < len)
		die("%s: reading back %zu bytes at %llu: the target is too short", t->path, len,
		    (unsigned long long)physical);
}

uint64_t target_size(struct target *t)
{
	return fd_size(t->fd);
}

void guard_release(void)
{
}

/* ---- framing ---- */

struct reframe {
	uint64_t seq, tree_blocks, data_bytes;
	uint32_t nodesize;
	unsigned csum_type;
	int fix_checksums;
};

/* One record's payload: what the stream reader and the restore check before anything else. */
static void reframe_payload(struct reframe *f, uint16_t type, uint8_t *p, uint32_t len)
{
	switch (type) {
	case REC_FS_INFO:
		if (len >= FS_INFO_SIZE) {
			f->nodesize = get_le32(p, FS_INFO_NODESIZE);
			f->csum_type = get_le16(p, FS_INFO_CSUM_TYPE);
		}
		break;
	case REC_SUPERBLOCK:
		if (f->fix_checksums && len == BTRFS_SUPER_SIZE && csum_size(get_le16(p, SB_CSUM_TYPE)))
			csum_block_set(get_le16(p, SB_CSUM_TYPE), p, len);
		break;
	case REC_TREE_BLOCK:
		f->tree_blocks++;
		if (f->fix_checksums && f->nodesize && len == BLOCK_PREFIX_SIZE + f->nodesize && csum_size(f->csum_type))
			csum_block_set(f->csum_type, p + BLOCK_PREFIX_SIZE, f->nodesize);
		break;
	case REC_DATA:
		if (len > BLOCK_PREFIX_SIZE)
			f->data_bytes += len - BLOCK_PREFIX_SIZE;
		break;
	case REC_END:
		if (len == 40) {
			put_le64(p, 0, f->seq);
			put_le64(p, 8, f->tree_blocks);
			put_le64(p, 16, f->data_bytes);
		}
		break;
	}
}

/* Recompute the framing of the stream in buf, in place, as far as whole records go. */
static void reframe(uint8_t *buf, size_t size, int fix_checksums)
{
	struct reframe f = { 0, 0, 0, 0, 0, fix_checksums };
	size_t pos = STREAM_HEADER_SIZE;

	if (size < STREAM_HEADER_SIZE || memcmp(buf, STREAM_MAGIC, 8) != 0)
		return;
	put_le32(buf, 28, crc32c(buf, 28));
	while (size - pos >= RECORD_HEADER_SIZE) {
		uint8_t *h = buf + pos;
		uint32_t len = get_le32(h, 4), crc;
		uint16_t type = get_le16(h, 0);

		if (len > size - pos - RECORD_HEADER_SIZE)
			break;
		put_le64(h, 8, f.seq);
		reframe_payload(&f, type, h + RECORD_HEADER_SIZE, len);
		put_le32(h, 16, 0);
		crc = crc32c_raw(0xFFFFFFFFu, h, RECORD_HEADER_SIZE + (size_t)len) ^ 0xFFFFFFFFu;
		put_le32(h, 16, crc);
		f.seq++;
		pos += RECORD_HEADER_SIZE + (size_t)len;
		if (type == REC_END)
			break;
	}
}

/* ---- one run ---- */

static struct target fuzz_targets[FUZZ_MAX_TARGETS];
static char fuzz_target_names[FUZZ_MAX_TARGETS][32];

static uint64_t fuzz_field(const uint8_t *data, size_t size, size_t at)
{
	return size >= at + 8 ? get_le64(data, at) : 0;
}

static void fuzz_fixchunks_run(const uint8_t *data, size_t size, int multi)
{
	static struct restore_options opt;
	static size_t count, i;
	static int in, rejected;
	uint8_t *framed;
	uint64_t bits = fuzz_field(data, size, FUZZ_FS_INFO_GENERATION);
	uint64_t devices = fuzz_field(data, size, FUZZ_FS_INFO_NUM_DEVICES);

	fuzz_setup();
	setenv("BIMG_FIXCHUNKS_HOLDBACK_MEMORY", "8192", 1);
	memset(&opt, 0, sizeof(opt));
	opt.multi_device = multi;
	opt.ignore_bad_blocks = bits & 1;
	opt.old_restore = !multi && (bits & 2);
	opt.new_fsid = !!(bits & 4);
	memset(opt.new_fsid_value, 0x5a, sizeof(opt.new_fsid_value));
	opt.force = !!(bits & 8);
	count = multi ? (devices >= 1 && devices <= FUZZ_MAX_TARGETS ? devices : 1) : 1;

	framed = malloc(size ? size : 1);
	if (!framed)
		abort();
	memcpy(framed, data, size);
	reframe(framed, size, !(bits & 16));
	in = memfd_create("fuzz-stream", 0);
	if (in < 0 || (size && write(in, framed, size) != (ssize_t)size) || lseek(in, 0, SEEK_SET) != 0)
		abort();
	free(framed);
	for (i = 0; i < count; i++) {
		memset(&fuzz_targets[i], 0, sizeof(fuzz_targets[i]));
		snprintf(fuzz_target_names[i], sizeof(fuzz_target_names[i]), "target%zu", i + 1);
		fuzz_targets[i].path = fuzz_target_names[i];
		fuzz_targets[i].fd = memfd_create(fuzz_target_names[i], 0);
		if (fuzz_targets[i].fd < 0)
			abort();
	}
	rejected = 0;
	FUZZ_TRY {
		restore(in, "fuzz input", fuzz_targets, count, &opt);
	} else {
		rejected = 1;
	}
	msg_set_die_jump(NULL);
	live_forget(rejected);
	close_spills(rejected);
	for (i = 0; i < count; i++)
		close(fuzz_targets[i].fd);
	close(in);
}

#endif
