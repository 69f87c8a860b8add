/*
 * The devices of the filesystem: every DEVICE argument is opened read-only
 * and must carry a valid superblock of the same filesystem.  The superblock
 * of the first argument is the one used (and stored): the reference takes
 * the first device of its own scan order instead, which for multi-device
 * filesystems is not predictable from the command line.
 */
#include "scan.h"
#include "csum.h"
#include "le.h"
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
		/* O_RDONLY only: the source is never written (P23). */
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

/* Does /proc/self/mountinfo list the block device rdev (as st_dev or as the mount source)? */
static int mountinfo_has(dev_t rdev)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		char source[4096];
		const char *sep = strstr(line, " - ");
		struct stat st;

		/* Fields: mount id, parent id, major:minor, ..., " - ", fstype, source, options */
		if (sscanf(line, "%*u %*u %u:%u", &ma, &mi) == 2 && makedev(ma, mi) == rdev)
			found = 1;
		/* btrfs reports an anonymous st_dev: the source names the real device. */
		else if (sep && sscanf(sep, " - %*s %4095s", source) == 1 && source[0] == '/' &&
			 stat(source, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == rdev)
			found = 1;
	}
	fclose(f);
	return found;
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
	return mountinfo_has(rdev);
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	return 0;
}

/* Is a loop device backed by the regular file `real` (a resolved path) mounted? */
static int backing_loop_is_mounted(const char *real, const uint8_t fsid[BTRFS_UUID_SIZE])
{
	DIR *dir = opendir("/sys/block");
	struct dirent *e;
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (e = readdir(dir))) {
		char path[512], value[PATH_MAX + 32];
		unsigned ma, mi;

		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", e->d_name);
		if (read_small_file(path, value, sizeof(value)) < 0 || strcmp(value, real) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", e->d_name);
		if (read_small_file(path, value, sizeof(value)) == 0 && sscanf(value, "%u:%u", &ma, &mi) == 2 &&
		    block_device_mounted(makedev(ma, mi), fsid))
			found = 1;
	}
	closedir(dir);
	return found;
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
		char *real = realpath(path, NULL);
		if (real) {
			mounted = backing_loop_is_mounted(real, fsid);
			free(real);
		}
	}
	if (mounted)
		warn("%s is mounted, results may be inaccurate", path);
}
