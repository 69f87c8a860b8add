#include "output.h"
#include "msg.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int fd;
	const char *path; /* final name; NULL for stdout */
	char *temp;	  /* temporary name while writing */
	uint64_t offset;
	int seekable;
} out = { .fd = -1 };

static void remove_temp(const char *text)
{
	(void)text;
	if (out.temp)
		(void)unlink(out.temp);
}

/*
 * A device, FIFO or socket is written in place: renaming a temporary file
 * over it would replace the node, and a block device must not be
 * truncated.  Only a regular file (or a new name) gets the temporary file.
 */
static int open_in_place(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		die("cannot write the image to '%s': it is a directory", path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open '%s':", path);
	out.fd = fd;
	out.path = path;
	out.seekable = S_ISBLK(st.st_mode);
	return 1;
}

/* Index blocks hold absolute file offsets: rewriting in place needs the file to start with our bytes. */
static int stdout_seekable(void)
{
	struct stat st;
	int flags = fcntl(STDOUT_FILENO, F_GETFL);

	return fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_APPEND) &&
	       lseek(STDOUT_FILENO, 0, SEEK_CUR) == 0;
}

void output_open(const char *path)
{
	const char *slash;
	size_t dirlen;
	mode_t mask;
	char *resolved;

	if (!path || strcmp(path, "-") == 0) {
		out.fd = STDOUT_FILENO;
		out.seekable = stdout_seekable();
		return;
	}
	if (open_in_place(path))
		return;
	/* Through a symlink the file it names is replaced, not the link. */
	resolved = realpath(path, NULL);
	if (resolved) {
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			path = resolved;
		else
			free(resolved);
	}
	out.path = path;
	slash = strrchr(path, '/');
	dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	out.temp = xmalloc(strlen(path) + 16);
	snprintf(out.temp, strlen(path) + 16, "%.*s.%s.XXXXXX", (int)dirlen, path, slash ? slash + 1 : path);
	out.fd = mkstemp(out.temp);
	out.seekable = 1;
	if (out.fd < 0)
		die("cannot create a temporary file for '%s':", path);
	msg_on_die(remove_temp);
	/* mkstemp makes 0600; give the image the mode a plain create would. */
	mask = umask(0);
	umask(mask);
	if (fchmod(out.fd, 0666 & ~mask) < 0)
		die("%s: cannot set the file mode:", out.temp);
}

void output_write(const void *buf, size_t len)
{
	if (write_full(out.fd, buf, len) < 0) {
		if (!out.path && errno == EPIPE)
			die_downstream_closed("writing the image to standard output");
		die("writing the image to %s:", out.temp ? out.temp : out.path ? out.path : "standard output");
	}
	out.offset += len;
}

uint64_t output_offset(void)
{
	return out.offset;
}

int output_seekable(void)
{
	return out.seekable;
}

void output_pwrite(const void *buf, size_t len, uint64_t offset)
{
	if (pwrite_full(out.fd, buf, len, offset) < 0)
		die("writing the image to %s:", out.temp ? out.temp : out.path ? out.path : "standard output");
}

void output_commit(void)
{
	if (!out.path)
		return;
	if (!out.temp) {
		if (close(out.fd) < 0)
			die("%s: close:", out.path);
		return;
	}
	if (close(out.fd) < 0)
		die("%s: close:", out.temp);
	if (rename(out.temp, out.path) < 0)
		die("cannot rename %s to %s:", out.temp, out.path);
	free(out.temp);
	out.temp = NULL;
}
