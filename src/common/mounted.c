#include "mounted.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int mountinfo_lists_device(dev_t rdev)
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

		/* Fields: mount id, parent id, major:minor, ..., " - ", fstype, source, options */
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && makedev(maj, min) == rdev)
			found = 1;
		else if (sep && sscanf(sep, " - %*s %4095s", source) == 1 && source[0] == '/' &&
			 stat(source, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == rdev)
			found = 1;
	}
	fclose(f);
	return found;
}

/* lo_device is the kernel's 32-bit "new" encoding: minor's low byte, major, then minor's high bits. */
static int same_device(uint64_t encoded, dev_t dev)
{
	unsigned maj = (unsigned)((encoded >> 8) & 0xfff);
	unsigned min = (unsigned)((encoded & 0xff) | ((encoded >> 12) & 0xfff00));

	return maj == major(dev) && min == minor(dev);
}

int backing_loop_in_use(dev_t st_dev, ino_t st_ino, int (*in_use)(const char *loop, dev_t rdev, void *ctx),
			void *ctx, char *out, size_t outlen)
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
		int fd, backed;

		if (strncmp(d->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Matching by device and inode, not by path: the same file has many names. ENXIO: unattached. */
		backed = ioctl(fd, LOOP_GET_STATUS64, &info) == 0 && same_device(info.lo_device, st_dev) &&
			 info.lo_inode == (uint64_t)st_ino;
		close(fd);
		if (backed && in_use(path, st.st_rdev, ctx)) {
			snprintf(out, outlen, "%s", path);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}
