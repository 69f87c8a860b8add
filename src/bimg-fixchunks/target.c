#include "fixchunks.h"
#include "le.h"
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

/* The old primary superblock, kept when it is a valid one. */
static void read_old_super(struct target *t)
{
	struct super_info info;
	ssize_t n = pread_full(t->fd, t->old_super, BTRFS_SUPER_SIZE, BTRFS_SUPER_OFFSET);

	t->had_super = n == BTRFS_SUPER_SIZE && !super_parse(t->old_super, &info, 1);
}

/* A valid superblock without the metadump flags: a filesystem in use, perhaps the image's source. */
static int holds_real_filesystem(const struct target *t)
{
	return t->had_super &&
	       !(get_le64(t->old_super, SB_FLAGS) & (BTRFS_SUPER_FLAG_METADUMP | BTRFS_SUPER_FLAG_METADUMP_V2));
}

static void open_block_device(struct target *t, const struct stat *st)
{
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
}

static void open_regular_file(struct target *t)
{
	char loop[300];
	struct stat st;

	if (stat(t->path, &st) == 0 && !S_ISREG(st.st_mode))
		die("%s: not a regular file or a block device", t->path);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t->fd < 0)
		die("%s: cannot create:", t->path);
	if (fstat(t->fd, &st) < 0)
		die("%s: stat:", t->path);
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file or a block device", t->path);
	if (file_backs_mounted_loop(st.st_dev, st.st_ino, loop, sizeof(loop)))
		die("%s: refusing to restore: the file backs %s, which is mounted or in use", t->path, loop);
}

/* The stream is read from standard input: when that is the target itself, writing would destroy it. */
static void refuse_input(const struct target *t)
{
	struct stat in, out;

	if (fstat(STDIN_FILENO, &in) == 0 && fstat(t->fd, &out) == 0 && in.st_dev == out.st_dev &&
	    in.st_ino == out.st_ino && (S_ISREG(in.st_mode) || S_ISBLK(in.st_mode)))
		die("%s: refusing to restore: the target is the stream being read", t->path);
}

void target_open(struct target *t, const char *path)
{
	struct stat st;
	int i;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->fd = -1;
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		open_block_device(t, &st);
	else
		open_regular_file(t);
	refuse_input(t);
	read_old_super(t);
	/* Nothing to protect: clear it now, so that even a stream that fails at once leaves no filesystem. */
	if (!holds_real_filesystem(t))
		target_claim(t);
	for (i = 0; i < WRITE_SLOTS; i++)
		t->slots[i].buf = xmalloc(SLOT_CAPACITY);
}

const char *target_holds_source(const struct target *t, const uint8_t *image_sb)
{
	if (!holds_real_filesystem(t))
		return NULL;
	if (memcmp(t->old_super + SB_FSID, image_sb + SB_FSID, BTRFS_UUID_SIZE) != 0 ||
	    memcmp(t->old_super + SB_DEV_ITEM + DEV_ITEM_UUID, image_sb + SB_DEV_ITEM + DEV_ITEM_UUID,
		   BTRFS_UUID_SIZE) != 0)
		return NULL;
	/* An older generation is an older copy (a backup, an earlier restore with data): fair game. */
	if (get_le64(t->old_super, SB_GENERATION) < get_le64(image_sb, SB_GENERATION))
		return NULL;
	return "target holds the filesystem this image was made from; use --force to overwrite it";
}

void target_claim(struct target *t)
{
	uint8_t zero[BTRFS_SUPER_SIZE] = { 0 };

	if (t->claimed)
		return;
	if (t->is_blockdev) {
		if (pwrite_full(t->fd, zero, sizeof(zero), BTRFS_SUPER_OFFSET) < 0 || fdatasync(t->fd) < 0)
			die("%s: clearing the old primary superblock:", t->path);
	} else if (ftruncate(t->fd, 0) < 0) {
		/* A fresh sparse file: what is not written reads as zeros, as in the reference's targets. */
		die("%s: truncating:", t->path);
	}
	t->claimed = 1;
	guard_arm(t);
}


static void write_through(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	if (t->is_blockdev && (physical > t->dev_size || len > t->dev_size - physical)) {
		errno = ENOSPC;
		die("%s: writing %zu bytes at %llu, past the end of the device (%llu bytes):", t->path, len,
		    (unsigned long long)physical, (unsigned long long)t->dev_size);
	}
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
	if (t->is_blockdev) {
		if (size > t->dev_size)
			warn("%s: the device has %llu bytes but the filesystem says %llu: btrfs may refuse it", t->path,
			     (unsigned long long)t->dev_size, (unsigned long long)size);
		return;
	}
	if (size <= fd_size(t->fd))
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
