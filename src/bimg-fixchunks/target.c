#include "fixchunks.h"
#include "msg.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Runs shorter than this are gathered before one pwrite; a 16 KiB block per syscall is slow. */
#define SLOT_CAPACITY (1u << 20)

/*
 * Non-zero if /proc/self/mountinfo lists a filesystem on device dev.  btrfs
 * reports an anonymous device number there, so the mount source (the
 * field after " - fstype ") is compared too.
 */
static int device_is_mounted(dev_t dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char source[4096];
		const char *sep = strstr(line, " - ");
		struct stat st;

		/* mount id, parent id, then major:minor */
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && maj == major(dev) && min == minor(dev))
			found = 1;
		if (sep && sscanf(sep, " - %*s %4095s", source) == 1 && source[0] == '/' && stat(source, &st) == 0 &&
		    S_ISBLK(st.st_mode) && st.st_rdev == dev)
			found = 1;
	}
	fclose(f);
	return found;
}

static void open_block_device(struct target *t, const struct stat *st)
{
	uint8_t zero[BTRFS_SUPER_SIZE] = { 0 };

	if (device_is_mounted(st->st_rdev))
		die("%s: refusing to restore: the device is mounted", t->path);
	/* O_EXCL on a block device fails while anything (a mount, a multi-device fs) holds it. */
	t->fd = open(t->path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (t->fd < 0) {
		if (errno == EBUSY)
			die("%s: refusing to restore: the device is in use (mounted or part of a filesystem)",
			    t->path);
		die("%s: cannot open:", t->path);
	}
	t->is_blockdev = 1;
	t->dev_size = fd_size(t->fd);
	if (t->dev_size < BTRFS_SUPER_OFFSET + BTRFS_SUPER_SIZE)
		die("%s: device of %llu bytes is too small for a btrfs superblock", t->path,
		    (unsigned long long)t->dev_size);
	if (pwrite_full(t->fd, zero, sizeof(zero), BTRFS_SUPER_OFFSET) < 0 || fdatasync(t->fd) < 0)
		die("%s: clearing the old primary superblock:", t->path);
}

void target_open(struct target *t, const char *path)
{
	struct stat st;
	int i;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->fd = -1;
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		open_block_device(t, &st);
	} else {
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			die("%s: not a regular file or a block device", path);
		t->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (t->fd < 0)
			die("%s: cannot create:", path);
		if (fstat(t->fd, &st) < 0)
			die("%s: stat:", path);
		if (!S_ISREG(st.st_mode))
			die("%s: not a regular file or a block device", path);
		/* A fresh sparse file: what is not written reads as zeros, as in the reference's targets. */
		if (ftruncate(t->fd, 0) < 0)
			die("%s: truncating:", path);
	}
	for (i = 0; i < WRITE_SLOTS; i++)
		t->slots[i].buf = xmalloc(SLOT_CAPACITY);
}

static void write_through(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	if (t->is_blockdev && (physical > t->dev_size || len > t->dev_size - physical))
		die("%s: writing %zu bytes at %llu: beyond the end of the device (%llu bytes)", t->path, len,
		    (unsigned long long)physical, (unsigned long long)t->dev_size);
	if (pwrite_full(t->fd, bytes, len, physical) < 0)
		die("%s: writing %zu bytes at %llu:", t->path, len, (unsigned long long)physical);
}

static void slot_flush(struct target *t, struct write_slot *s)
{
	if (s->len)
		write_through(t, s->start, s->buf, s->len);
	s->len = 0;
}

static int overlaps(const struct write_slot *s, uint64_t start, size_t len)
{
	return s->len && start < s->start + s->len && s->start < start + len;
}

/* Older buffered bytes of the same range must reach the target before newer ones. */
static void flush_overlapping(struct target *t, uint64_t physical, size_t len, const struct write_slot *keep)
{
	int i;

	for (i = 0; i < WRITE_SLOTS; i++)
		if (&t->slots[i] != keep && overlaps(&t->slots[i], physical, len))
			slot_flush(t, &t->slots[i]);
}

void target_write(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	struct write_slot *s, *victim = &t->slots[0];
	int i;

	if (physical > (uint64_t)INT64_MAX - len)
		die("%s: write at %llu is beyond any file size", t->path, (unsigned long long)physical);
	t->clock++;
	for (i = 0; i < WRITE_SLOTS; i++) {
		s = &t->slots[i];
		if (s->len && s->start + s->len == physical && s->len + len <= SLOT_CAPACITY) {
			flush_overlapping(t, physical, len, s);
			memcpy(s->buf + s->len, bytes, len);
			s->len += len;
			s->last_use = t->clock;
			return;
		}
	}
	flush_overlapping(t, physical, len, NULL);
	if (len > SLOT_CAPACITY / 2) {
		write_through(t, physical, bytes, len);
		return;
	}
	for (i = 0; i < WRITE_SLOTS; i++) {
		s = &t->slots[i];
		if (!s->len) {
			victim = s;
			break;
		}
		if (s->last_use < victim->last_use)
			victim = s;
	}
	slot_flush(t, victim);
	victim->start = physical;
	memcpy(victim->buf, bytes, len);
	victim->len = len;
	victim->last_use = t->clock;
}

void target_sync(struct target *t)
{
	int i;

	for (i = 0; i < WRITE_SLOTS; i++)
		slot_flush(t, &t->slots[i]);
	if (fsync(t->fd) < 0)
		die("%s: fsync:", t->path);
}

uint64_t target_size(struct target *t)
{
	return t->is_blockdev ? t->dev_size : fd_size(t->fd);
}

void target_extend(struct target *t, uint64_t size)
{
	if (t->is_blockdev || size <= fd_size(t->fd))
		return;
	if (size > (uint64_t)INT64_MAX)
		die("%s: device size %llu is too large for a file", t->path, (unsigned long long)size);
	if (ftruncate(t->fd, (off_t)size) < 0)
		die("%s: extending to %llu bytes:", t->path, (unsigned long long)size);
}

void target_write_now(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	write_through(t, physical, bytes, len);
}

void target_read(struct target *t, uint64_t physical, uint8_t *bytes, size_t len)
{
	ssize_t n = pread_full(t->fd, bytes, len, physical);

	if (n < 0)
		die("%s: reading back %zu bytes at %llu:", t->path, len, (unsigned long long)physical);
	if ((size_t)n < len)
		die("%s: reading back %zu bytes at %llu: the target is too short", t->path, len,
		    (unsigned long long)physical);
}

void target_close(struct target *t)
{
	int i;

	if (close(t->fd) < 0)
		die("%s: close:", t->path);
	t->fd = -1;
	for (i = 0; i < WRITE_SLOTS; i++)
		free(t->slots[i].buf);
}
