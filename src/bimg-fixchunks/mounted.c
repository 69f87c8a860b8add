/*
 * Is a target in use by a mounted filesystem?  A block device is found in
 * /proc/self/mountinfo; a regular file is in use when it backs a loop
 * device that is mounted or held (writing to it would corrupt a mounted
 * filesystem behind the kernel's back).
 */
#include "fixchunks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/*
 * btrfs reports an anonymous device number in mountinfo, so the mount
 * source (the field after " - fstype ") is compared too.
 */
int device_is_mounted(dev_t dev)
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

/* A loop device is busy when mounted, or when an exclusive open fails (a multi-device filesystem holds it). */
static int loop_in_use(const char *path, dev_t rdev)
{
	int fd;

	if (device_is_mounted(rdev))
		return 1;
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return 0;
}

/* lo_device is the kernel's 32-bit "new" encoding: minor's low byte, major, then minor's high bits. */
static int same_device(uint64_t encoded, dev_t dev)
{
	unsigned maj = (unsigned)((encoded >> 8) & 0xfff);
	unsigned min = (unsigned)((encoded & 0xff) | ((encoded >> 12) & 0xfff00));

	return maj == major(dev) && min == minor(dev);
}

int file_backs_mounted_loop(dev_t st_dev, ino_t st_ino, char *out, size_t outlen)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *d;
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		struct loop_info64 info;
		struct stat st;
		char path[300];
		int fd;

		if (strncmp(d->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* ENXIO: nothing attached. */
		if (ioctl(fd, LOOP_GET_STATUS64, &info) == 0 && same_device(info.lo_device, st_dev) &&
		    info.lo_inode == (uint64_t)st_ino) {
			close(fd);
			fd = -1;
			if (loop_in_use(path, st.st_rdev)) {
				snprintf(out, outlen, "%s", path);
				found = 1;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(dir);
	return found;
}
