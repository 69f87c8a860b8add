/*
 * The devices of the filesystem: every DEVICE argument is opened read-only
 * and must carry a valid superblock of the same filesystem.  The superblock
 * of the first argument is the one used (and stored): the reference takes
 * the first device of its own scan order instead, which for multi-device
 * filesystems is not predictable from the command line.
 */
#include "devices.h"
#include "csum.h"
#include "le.h"
#include "mounted.h"
#include "msg.h"
#include "xio.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void read_super(const char *path, int fd, uint8_t *raw, struct super_info *info)
{
	ssize_t n = pread_full(fd, raw, BTRFS_SUPER_SIZE, BTRFS_SUPER_OFFSET);
	const char *err;

	if (n < 0)
		die("%s: reading the superblock:", path);
	if (n < BTRFS_SUPER_SIZE)
		die("%s: not a btrfs filesystem (too small for a superblock)", path);
	if (get_le64(raw, SB_MAGIC) != BTRFS_MAGIC)
		die("%s: not a btrfs filesystem (no btrfs magic at offset 65536)", path);
	err = super_parse(raw, info, 1);
	if (err)
		die("%s: bad superblock: %s", path, err);
}

void devices_open(struct scan_fs *fs, char **paths, size_t count)
{
	size_t i, j;

	fs->name = paths[0];
	fs->devices = xcalloc(count, sizeof(*fs->devices));
	fs->device_count = count;
	for (i = 0; i < count; i++) {
		struct scan_device *d = &fs->devices[i];
		uint8_t raw[BTRFS_SUPER_SIZE];
		struct super_info info;

		d->path = paths[i];
		/* O_RDONLY only: a dump never writes to its source. */
		d->fd = open(d->path, O_RDONLY | O_CLOEXEC);
		if (d->fd < 0)
			die("cannot open '%s':", d->path);
		read_super(d->path, d->fd, raw, &info);
		warn_if_mounted(d->path, d->fd, info.fsid);
		d->devid = info.devid;
		d->size = fd_size(d->fd);
		d->total_bytes = info.dev_total_bytes;
		if (i == 0) {
			memcpy(fs->sb_raw, raw, sizeof(raw));
			fs->sb = info;
			continue;
		}
		if (memcmp(info.fsid, fs->sb.fsid, BTRFS_UUID_SIZE) != 0)
			die("%s: belongs to another filesystem than %s (fsid differs)", d->path, fs->name);
		for (j = 0; j < i; j++)
			if (fs->devices[j].devid == d->devid)
				die("%s: devid %llu is also %s", d->path, (unsigned long long)d->devid,
				    fs->devices[j].path);
	}
	if (count > fs->sb.num_devices)
		die("%s: %zu devices given, the filesystem has %llu", fs->name, count,
		    (unsigned long long)fs->sb.num_devices);
	fs->nodesize = fs->sb.nodesize;
}

void devices_close(struct scan_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->device_count; i++)
		close(fs->devices[i].fd);
	free(fs->devices);
	fs->devices = NULL;
	fs->device_count = 0;
}

const struct scan_device *device_by_id(const struct scan_fs *fs, uint64_t devid)
{
	size_t i;

	for (i = 0; i < fs->device_count; i++)
		if (fs->devices[i].devid == devid)
			return &fs->devices[i];
	return NULL;
}

/*
 * Is the block device rdev part of a mounted filesystem?  A mounted btrfs
 * lists every member device under /sys/fs/btrfs/FSID/devices/ (mountinfo
 * names only one of them).
 */
static int block_device_mounted(dev_t rdev, const uint8_t fsid[BTRFS_UUID_SIZE])
{
	char path[128], link[PATH_MAX], uuid[37];
	const char *name;
	ssize_t n;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		name = strrchr(link, '/');
		name = name ? name + 1 : link;
		uuid_format(fsid, uuid);
		snprintf(path, sizeof(path), "/sys/fs/btrfs/%s/devices/%.64s", uuid, name);
		if (lstat(path, &st) == 0)
			return 1;
	}
	return mountinfo_lists_device(rdev);
}

static int member_is_mounted(const char *loop, dev_t rdev, void *fsid)
{
	(void)loop;
	return block_device_mounted(rdev, fsid);
}

void warn_if_mounted(const char *path, int fd, const uint8_t fsid[BTRFS_UUID_SIZE])
{
	struct stat st;
	int mounted = 0;

	if (fstat(fd, &st) < 0)
		return;
	if (S_ISBLK(st.st_mode)) {
		mounted = block_device_mounted(st.st_rdev, fsid);
	} else if (S_ISREG(st.st_mode)) {
		char loop[300];
		mounted = backing_loop_in_use(st.st_dev, st.st_ino, member_is_mounted, (void *)fsid, loop,
					      sizeof(loop));
	}
	if (mounted)
		warn("%s is mounted, results may be inaccurate", path);
}
