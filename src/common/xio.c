#include "xio.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read until len bytes, end of file or an error; at off, or from the file position if off is -1. */
static ssize_t read_until(int fd, void *buf, size_t len, int64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = off < 0 ? read(fd, (char *)buf + done, len - done)
				    : pread(fd, (char *)buf + done, len - done, (off_t)(off + (int64_t)done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	return read_until(fd, buf, len, -1);
}

ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	if (off > INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return read_until(fd, buf, len, (int64_t)off);
}

int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static void enlarge_pipe(int fd)
{
	struct stat st;

	/* 1 MiB pipes halve the cost of each hop (see docs/design.md). */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

void stdio_setup_pipes(void)
{
	signal(SIGPIPE, SIG_IGN);
	enlarge_pipe(0);
	enlarge_pipe(1);
}

int xopen_input(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open '%s':", path);
	return fd;
}

int temp_file_open(const char *what)
{
	const char *dir = getenv("TMPDIR");
	sigset_t all, before;
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/*
	 * O_TMPFILE is not supported everywhere (some filesystems, old kernels).
	 * Then the file has a name from mkstemp to unlink: no signal may end the
	 * program in between (only SIGKILL can), and a name that cannot go
	 * stops the program rather than stay behind.
	 */
	path = xmalloc(strlen(dir) + 32);
	strcpy(path, dir);
	strcat(path, "/bimg.XXXXXX");
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &before);
	fd = mkstemp(path);
	if (fd >= 0 && unlink(path) < 0) {
		int unlink_errno = errno;

		close(fd);
		(void)unlink(path);
		pthread_sigmask(SIG_SETMASK, &before, NULL);
		errno = unlink_errno;
		die("%s: cannot unlink its temporary file in %s:", what, dir);
	}
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (fd < 0)
		die("%s: cannot create a temporary file in %s:", what, dir);
	free(path);
	return fd;
}

void writeback_wrote(struct writeback *wb, int fd, size_t len, const char *name)
{
	wb->unsubmitted += len;
	if (wb->off || wb->unsubmitted < WRITEBACK_BATCH)
		return;
	wb->unsubmitted = 0;
	if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0)
		return;
	if (errno == EINVAL || errno == ESPIPE || errno == ENOSYS || errno == EOPNOTSUPP)
		wb->off = 1;
	else
		die("%s: starting the write-out:", name);
}

uint64_t fd_size(int fd)
{
	struct stat st;
	uint64_t size = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &size) == 0)
		return size;
	return 0;
}
