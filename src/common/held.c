#include "held.h"
#include "mounted.h"
#include "super.h"
#include "xio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opened read-only on its own: the caller's descriptor may be write-only (the shell's >). */
static void add_superblock(const char *path, struct held_filesystems *h)
{
	uint8_t sb[BTRFS_SUPER_SIZE];
	struct super_info info;
	int fd;

	if (h->count == HELD_MAX_FILESYSTEMS || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return;
	if (pread_full(fd, sb, sizeof(sb), BTRFS_SUPER_OFFSET) == (ssize_t)sizeof(sb) && !super_parse(sb, &info, 1))
		memcpy(h->fsid[h->count++], info.fsid, BTRFS_UUID_SIZE);
	close(fd);
}

static int add_loop_superblock(const char *loop, dev_t rdev, void *ctx)
{
	(void)rdev;
	add_superblock(loop, ctx);
	return 0;
}

void held_filesystems_of(const char *path, struct held_filesystems *h)
{
	struct stat st;
	char loop[300];

	add_superblock(path, h);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		(void)backing_loop_in_use(st.st_dev, st.st_ino, add_loop_superblock, h, loop, sizeof(loop));
}

int held_filesystems_of_stdout(struct held_filesystems *h)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return 0;
	/* Opened write-only by the shell: read it through /proc. */
	held_filesystems_of("/proc/self/fd/1", h);
	return 1;
}

int held_filesystems_include(const struct held_filesystems *h, const uint8_t fsid[BTRFS_UUID_SIZE])
{
	size_t i;

	for (i = 0; i < h->count; i++)
		if (memcmp(h->fsid[i], fsid, BTRFS_UUID_SIZE) == 0)
			return 1;
	return 0;
}
