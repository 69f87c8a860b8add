/*
 * Is a target in use by a mounted filesystem?  A block device is found in
 * /proc/self/mountinfo; a regular file is in use when it backs a loop
 * device that is mounted or held (writing to it would corrupt a mounted
 * filesystem behind the kernel's back).
 */
#include "fixchunks.h"
#include "mounted.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int device_is_mounted(dev_t dev)
{
	return mountinfo_lists_device(dev);
}

/* A loop device is busy when mounted, or when an exclusive open fails (a multi-device filesystem holds it). */
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

int file_backs_mounted_loop(dev_t st_dev, ino_t st_ino, char *out, size_t outlen)
{
	return backing_loop_in_use(st_dev, st_ino, loop_in_use, NULL, out, outlen);
}
