#include "mounted.h"
#include "samefile.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

int backing_loop_in_use(dev_t st_dev, ino_t st_ino, int (*in_use)(const char *loop, dev_t rdev, void *ctx),
			void *ctx, char *out, size_t outlen)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *d;
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		struct stat st;
		char path[300];
		dev_t dev;
		ino_t ino;

		if (strncmp(d->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		/* Matching by device and inode, not by path: the same file has many names. */
		if (loop_backing_file(d->d_name, &dev, &ino) < 0 || dev != st_dev || ino != st_ino)
			continue;
		if (in_use(path, st.st_rdev, ctx)) {
			snprintf(out, outlen, "%s", path);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}
