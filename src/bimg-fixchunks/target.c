#include "target.h"
#include "guard.h"
#include "image.h"
#include "le.h"
#include "mounted.h"
#include "msg.h"
#include "restore.h"
#include "samefile.h"
#include "stream.h"
#include "super.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

static int old_super_is_restore(const struct target *t)
{
	return (get_le64(t->old_super, SB_FLAGS) & (BTRFS_SUPER_FLAG_METADUMP | BTRFS_SUPER_FLAG_METADUMP_V2)) != 0;
}

/* A valid superblock without the metadump flags: a filesystem in use, perhaps the image's source. */
static int holds_real_filesystem(const struct target *t)
{
	return t->had_super && !old_super_is_restore(t);
}

/* A valid superblock with them: an earlier restore, which a failed restore must not leave looking valid. */
static int holds_earlier_restore(const struct target *t)
{
	return t->had_super && old_super_is_restore(t);
}

static void open_block_device(struct target *t, const struct stat *st)
{
	if (mountinfo_lists_device(st->st_rdev))
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

/*
 * A loop device is busy when mounted, or when an exclusive open fails (a
 * multi-device filesystem holds it): writing to the file behind it would
 * corrupt a mounted filesystem behind the kernel's back.
 */
static int loop_in_use(const char *path, dev_t rdev, void *ctx)
{
	int fd;

	(void)ctx;
	if (mountinfo_lists_device(rdev))
		return 1;
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return 0;
}

static void open_regular_file(struct target *t)
{
	char loop[300];
	struct stat st;

	if (stat(t->path, &st) == 0 && !S_ISREG(st.st_mode))
		die("%s: not a regular file or a block device", t->path);
	/* A new target gets what the umask allows, as any new file; an old one keeps its mode and owner. */
	t->fd = open(t->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (t->fd < 0)
		die("%s: cannot create:", t->path);
	if (fstat(t->fd, &st) < 0)
		die("%s: stat:", t->path);
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file or a block device", t->path);
	/* Two restores at once would interleave their blocks (a block device is opened exclusively instead). */
	if (flock(t->fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		die("%s: refusing to restore: another restore is writing it", t->path);
	if (backing_loop_in_use(st.st_dev, st.st_ino, loop_in_use, NULL, loop, sizeof(loop)))
		die("%s: refusing to restore: the file backs %s, which is mounted or in use", t->path, loop);
}

static int loop_holds_our_input(const char *loop, dev_t rdev, void *ctx)
{
	const char **what = ctx;
	int fd = open(loop, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	(void)rdev;
	if (fd < 0)
		return 0;
	*what = image_or_stream_at_start(fd);
	close(fd);
	return *what != NULL;
}

/*
 * A target holding what restores read (perhaps the one being read), at its
 * start or at an offset, through a loop device over it (losetup -o).
 */
static void refuse_our_input(const struct target *t)
{
	const char *what = image_or_stream_at_start(t->fd);
	struct stat st;
	char loop[300];

	if (what)
		die("%s: refusing to restore: the target holds %s; use --force to overwrite it", t->path, what);
	if (!t->is_blockdev && fstat(t->fd, &st) == 0 &&
	    backing_loop_in_use(st.st_dev, st.st_ino, loop_holds_our_input, &what, loop, sizeof(loop)))
		die("%s: refusing to restore: %s over the target holds %s; use --force to overwrite it", t->path, loop,
		    what);
}

static void target_open(struct target *t, const char *path, const struct restore_options *opt)
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
	if (!opt->force)
		refuse_our_input(t);
	read_old_super(t);
	for (i = 0; i < WRITE_SLOTS; i++)
		t->slots[i].buf = xmalloc(SLOT_CAPACITY);
}

/*
 * What a target is, before it is opened: what it leads to, or for a name
 * still to be created, its canonical path (the same new file can be named
 * t, ./t and dir/../t).  A symlink to nothing is refused: following it
 * would create a file somewhere the command line does not name.
 */
struct target_name {
	int exists;
	struct file_id id;
	char *canonical;
};

static void name_target(struct target_name *n, const char *path)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	memset(n, 0, sizeof(*n));
	if (file_id_of_path(path, &n->id) == 0) {
		n->exists = 1;
		return;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		die("%s: refusing to restore: it is a symlink to a missing file", path);
	dir = slash ? xstrdup(path) : xstrdup(".");
	if (slash)
		dir[slash - path + (slash == path)] = 0;
	real = realpath(dir, NULL);
	n->canonical = xmalloc(strlen(real ? real : dir) + strlen(path) + 2);
	sprintf(n->canonical, "%s/%s", real ? real : dir, slash ? slash + 1 : path);
	free(real);
	free(dir);
}

static int same_target(const struct target_name *a, const struct target_name *b)
{
	if (a->exists != b->exists)
		return 0;
	return a->exists ? file_ids_overlap(&a->id, &b->id) : strcmp(a->canonical, b->canonical) == 0;
}

/* Opened now: names can change under us, the open files cannot. */
static void check_opened(struct target *targets, size_t i, const struct file_id *input)
{
	struct file_id id, other;
	size_t j;

	file_id_of_fd(targets[i].fd, &id);
	if (file_ids_overlap(&id, input))
		die("%s: refusing to restore: the target is the stream being read", targets[i].path);
	for (j = 0; j < i; j++) {
		file_id_of_fd(targets[j].fd, &other);
		if (file_ids_overlap(&id, &other))
			die("%s: refusing to restore: it is also target %s", targets[i].path, targets[j].path);
	}
}

void targets_open(struct target *targets, char **paths, size_t count, const struct restore_options *opt)
{
	struct target_name *names = xcalloc(count, sizeof(*names));
	struct file_id input;
	size_t i, j;

	/* Every comparison before the first open: a refused restore creates and changes nothing. */
	file_id_of_fd(STDIN_FILENO, &input);
	for (i = 0; i < count; i++) {
		name_target(&names[i], paths[i]);
		if (names[i].exists && file_ids_overlap(&names[i].id, &input))
			die("%s: refusing to restore: the target is the stream being read", paths[i]);
		for (j = 0; j < i; j++)
			if (same_target(&names[i], &names[j]))
				die("%s: refusing to restore: it is also target %s", paths[i], paths[j]);
	}
	for (i = 0; i < count; i++) {
		target_open(&targets[i], paths[i], opt);
		check_opened(targets, i, &input);
	}
	/*
	 * An earlier restore: clear it now, so that even a stream that fails at
	 * once leaves no filesystem.  Anything else (a file of data, another
	 * filesystem, a mistyped name) waits for the stream's superblock: a
	 * missing or unreadable image leaves it as it was.
	 */
	for (i = 0; i < count; i++)
		if (holds_earlier_restore(&targets[i]))
			target_claim(&targets[i]);
	for (i = 0; i < count; i++)
		free(names[i].canonical);
	free(names);
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

/*
 * The copies too: a restore that fails half-way must not leave one that
 * describes the old trees (btrfs rescue super-recover would bring it back
 * over half-overwritten blocks).  The restore writes its own at the end.
 */
static void clear_block_device_superblocks(struct target *t)
{
	uint8_t zero[BTRFS_SUPER_SIZE] = { 0 };
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		uint64_t at = super_mirror_offset(i);

		if (at + BTRFS_SUPER_SIZE > t->dev_size)
			break;
		if (pwrite_full(t->fd, zero, sizeof(zero), at) < 0)
			die("%s: clearing the old superblock at %llu:", t->path, (unsigned long long)at);
	}
	if (fdatasync(t->fd) < 0)
		die("%s: clearing the old superblocks:", t->path);
}

void target_claim(struct target *t)
{
	if (t->claimed)
		return;
	if (t->is_blockdev) {
		clear_block_device_superblocks(t);
	} else if (ftruncate(t->fd, 0) < 0) {
		/* A fresh sparse file: what is not written reads as zeros, as in the reference's targets. */
		die("%s: truncating:", t->path);
	}
	t->claimed = 1;
	guard_arm(t);
}

/*
 * Every WRITEBACK_BATCH bytes the target's write-out starts (xio.h): only
 * a hint, durability still comes from the fsync before the superblock
 * (target_sync), which also reports any write error.
 */
static void write_through(struct target *t, uint64_t physical, const uint8_t *bytes, size_t len)
{
	if (t->is_blockdev && (physical > t->dev_size || len > t->dev_size - physical)) {
		errno = ENOSPC;
		die("%s: writing %zu bytes at %llu, past the end of the device (%llu bytes):", t->path, len,
		    (unsigned long long)physical, (unsigned long long)t->dev_size);
	}
	if (pwrite_full(t->fd, bytes, len, physical) < 0)
		die("%s: writing %zu bytes at %llu:", t->path, len, (unsigned long long)physical);
	writeback_wrote(&t->writeback, t->fd, len, t->path);
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
