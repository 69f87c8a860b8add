#include "output.h"
#include "held.h"
#include "image.h"
#include "interrupt.h"
#include "msg.h"
#include "samefile.h"
#include "super.h"
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static struct {
	int fd;
	const char *name;  /* for messages: OUT as given, or "standard output" */
	int is_file;       /* a regular file written under a temporary name, renamed on success */
	int dir_fd;        /* its directory: the temporary file, the rename, the fsync after it */
	const char *base;  /* its name in that directory */
	int sync_in_place; /* standard output or a device that is a file or a block device: fsync at the end */
	uint64_t offset;
	int seekable;
	struct held_filesystems holds; /* perhaps the one being dumped */
	struct writeback writeback;    /* a file fsynced at the end: the disk writes while we go on */
} out = { .fd = -1, .dir_fd = -1 };

/*
 * The temporary file's name in out.dir_fd while it has one, for the die
 * hook and the signal handler (a fixed buffer: the handler may not
 * allocate).  With O_TMPFILE it has none until the commit links it, with
 * the signals blocked.
 */
static char temp_name[NAME_MAX + 1];
static volatile sig_atomic_t temp_named;

static void remove_temp(void)
{
	if (temp_named)
		(void)unlinkat(out.dir_fd, temp_name, 0);
}

static void remove_temp_on_die(const char *text)
{
	(void)text;
	remove_temp();
}

/* Whatever stdin is (a stream file, a device), the output must not be it, nor lie on or under it. */
static void refuse_input(const struct file_id *target)
{
	struct file_id input;

	file_id_of_fd(STDIN_FILENO, &input);
	if (file_ids_overlap(target, &input))
		die("refusing to write the image to %s: it is the stream being read (standard input)", out.name);
}

static void open_stdout(void)
{
	struct file_id id;
	struct stat st;
	const char *what;
	int flags = fcntl(STDOUT_FILENO, F_GETFL);

	out.fd = STDOUT_FILENO;
	out.name = "standard output";
	file_id_of_fd(STDOUT_FILENO, &id);
	refuse_input(&id);
	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return;
	out.sync_in_place = 1;
	/*
	 * Written in place: holding an image or a stream, it is most likely the
	 * one being read (bimg-unpack X | bimg-pack 1<>X).  -o X would replace
	 * it only once the new image is complete.  (A block device holding an
	 * old image is a target dumps are written to again: not refused.)
	 */
	what = stdout_image_or_stream();
	if (what)
		die("refusing to write the image to standard output in place: it holds %s, perhaps the one being read",
		    what);
	held_filesystems_of_stdout(&out.holds);
	/* Index blocks hold absolute file offsets: rewriting in place needs the file to start with our bytes. */
	out.seekable = S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_APPEND) && lseek(STDOUT_FILENO, 0, SEEK_CUR) == 0;
}

/*
 * A device, FIFO or socket is written in place: renaming a temporary file
 * over it would replace the node, and a block device must not be
 * truncated.  A block device in use (mounted, or part of a filesystem) is
 * refused, as restores refuse it.
 */
static void open_in_place(const char *path, const struct stat *st)
{
	struct file_id id;

	if (S_ISDIR(st->st_mode))
		die("cannot write the image to '%s': it is a directory", path);
	if (S_ISBLK(st->st_mode))
		held_filesystems_of(path, &out.holds);
	out.fd = open(path, O_WRONLY | O_CLOEXEC | (S_ISBLK(st->st_mode) ? O_EXCL : 0));
	if (out.fd < 0 && errno == EBUSY)
		die("refusing to write the image to %s: the device is in use (mounted or part of a filesystem)", path);
	if (out.fd < 0)
		die("cannot open '%s':", path);
	file_id_of_fd(out.fd, &id);
	refuse_input(&id);
	out.seekable = S_ISBLK(st->st_mode);
	out.sync_in_place = S_ISBLK(st->st_mode);
}

/* The temporary file: nameless where the filesystem allows (nothing to leave behind even on SIGKILL). */
static void open_temp(void)
{
	char *dir = xstrdup(out.name);
	char *slash = strrchr(dir, '/');
	int named;

	out.base = slash ? out.name + (slash - dir) + 1 : out.name;
	if (slash)
		slash[slash == dir] = 0;
	out.dir_fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out.dir_fd < 0)
		die("cannot create a temporary file for '%s':", out.name);
	/* Tests ask for the named file to exercise it: every filesystem they can use has O_TMPFILE. */
	named = getenv("BIMG_PACK_NAMED_TEMP") && *getenv("BIMG_PACK_NAMED_TEMP");
	if (!named) {
		out.fd = openat(out.dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		named = out.fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL);
	}
	if (named) {
		/* No O_TMPFILE here: a named file, which a SIGKILL would leave behind. */
		char *temp_path = xmalloc(strlen(out.name) + 16);
		sigset_t old;

		sprintf(temp_path, "%s%s.%s.XXXXXX", slash ? dir : "", slash ? "/" : "", out.base);
		interrupt_block(&old);
		out.fd = mkostemp(temp_path, O_CLOEXEC);
		snprintf(temp_name, sizeof(temp_name), "%s", strrchr(temp_path, '/') ? strrchr(temp_path, '/') + 1 : temp_path);
		temp_named = out.fd >= 0;
		interrupt_unblock(&old);
		free(temp_path);
	}
	if (out.fd < 0)
		die("cannot create a temporary file for '%s':", out.name);
	free(dir);
	out.seekable = 1;
}

/*
 * Who may read the image: as the file it replaces, or as any new file.
 * Without the right to give it to the old owner it stays ours, and the
 * group's permissions go unless it keeps the old group.  1 when the old
 * owner and group are kept.
 */
static int set_access(const struct stat *old)
{
	mode_t mode, mask;
	int kept = 1;

	if (!old) {
		mask = umask(0);
		umask(mask);
		if (fchmod(out.fd, 0666 & ~mask) < 0)
			die("%s: cannot set the file mode:", out.name);
		return 0;
	}
	mode = old->st_mode & 0777;
	if (fchown(out.fd, old->st_uid, old->st_gid) < 0) {
		int err = errno;
		struct stat now;

		if (fchown(out.fd, (uid_t)-1, old->st_gid) < 0)
			mode &= ~(mode_t)070;
		if (fstat(out.fd, &now) < 0)
			die("%s: stat:", out.name);
		warn("%s: cannot keep the owner and group (uid %u, gid %u): %s; the image belongs to uid %u, gid %u, mode %o",
		     out.name, (unsigned)old->st_uid, (unsigned)old->st_gid, strerror(err), (unsigned)now.st_uid,
		     (unsigned)now.st_gid, (unsigned)mode);
		kept = 0;
	}
	if (fchmod(out.fd, mode) < 0)
		die("%s: cannot set the file mode:", out.name);
	return kept;
}

/*
 * A security label or trusted attribute the system does not let us set is
 * its policy's to give (the new file has the label of any new file there),
 * not a loss to report on every run.
 */
static void xattr_not_kept(const char *name)
{
	int policy = errno == EPERM || errno == EACCES || errno == EOPNOTSUPP;

	if (policy && (strncmp(name, "security.", 9) == 0 || strncmp(name, "trusted.", 8) == 0))
		return;
	warn("%s: cannot keep the extended attribute %s: %s", out.name, name, strerror(errno));
}

static void copy_xattr(const char *old, const char *name)
{
	ssize_t len = getxattr(old, name, NULL, 0);
	char *value;

	if (len < 0) {
		xattr_not_kept(name);
		return;
	}
	value = xmalloc((size_t)len + 1);
	len = getxattr(old, name, value, (size_t)len);
	if (len < 0 || fsetxattr(out.fd, name, value, (size_t)len, 0) < 0)
		xattr_not_kept(name);
	free(value);
}

/*
 * The extended attributes of the file replaced: its access control list
 * (who else may read it), its security label, the user's own.  The ACL
 * only when the image keeps the old owner and group: it would give ours
 * what the old group was allowed.
 */
static void copy_xattrs(const char *old, int owner_kept)
{
	ssize_t len = listxattr(old, NULL, 0);
	char *names, *name;

	if (len <= 0)
		return;
	names = xmalloc((size_t)len);
	len = listxattr(old, names, (size_t)len);
	for (name = names; len > 0 && name < names + len; name += strlen(name) + 1)
		if (owner_kept || strncmp(name, "system.posix_acl_", strlen("system.posix_acl_")) != 0)
			copy_xattr(old, name);
	if (len < 0)
		warn("%s: cannot keep the extended attributes: %s", out.name, strerror(errno));
	free(names);
}

void output_open(const char *path)
{
	struct file_id id;
	struct stat st, lst;
	char *resolved;
	int exists;

	if (!path || strcmp(path, "-") == 0) {
		open_stdout();
		return;
	}
	out.name = path;
	if (!*path) {
		errno = ENOENT;
		die("cannot write the image to '':");
	}
	exists = stat(path, &st) == 0;
	if (exists) {
		file_id_of_path(path, &id);
		refuse_input(&id);
		if (!S_ISREG(st.st_mode)) {
			open_in_place(path, &st);
			return;
		}
		held_filesystems_of(path, &out.holds);
		/* Through a symlink the file it names is replaced, not the link. */
		resolved = realpath(path, NULL);
		if (resolved && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			out.name = resolved;
		else
			free(resolved);
	} else if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		die("refusing to write the image to %s: it is a symlink to a missing file", path);
	}
	out.is_file = 1;
	msg_on_die(remove_temp_on_die);
	interrupt_catch(remove_temp);
	open_temp();
	if (exists)
		copy_xattrs(out.name, set_access(&st));
	else
		set_access(NULL);
}

void output_check_source(const uint8_t fsid[BTRFS_UUID_SIZE])
{
	char text[37];

	if (!held_filesystems_include(&out.holds, fsid))
		return;
	uuid_format(fsid, text);
	die("refusing to write the image to %s: it holds the filesystem being dumped (fsid %s)", out.name, text);
}

void output_write(const void *buf, size_t len)
{
	if (write_full(out.fd, buf, len) < 0) {
		if (out.fd == STDOUT_FILENO && errno == EPIPE)
			die_downstream_closed("writing the image to standard output");
		die("writing the image to %s:", out.name);
	}
	out.offset += len;
	if (out.is_file || out.sync_in_place)
		writeback_wrote(&out.writeback, out.fd, len, out.name);
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
		die("writing the image to %s:", out.name);
	if (out.is_file || out.sync_in_place)
		writeback_wrote(&out.writeback, out.fd, len, out.name);
}

/* The nameless file gets a temporary name next to its final one (rename cannot take an fd). */
static void name_temp(void)
{
	char fd_path[64];
	unsigned tries;

	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", out.fd);
	for (tries = 0; tries < 100; tries++) {
		unsigned suffix = 0;

		if (getrandom(&suffix, sizeof(suffix), GRND_NONBLOCK) != (ssize_t)sizeof(suffix))
			suffix = (unsigned)getpid() * 2654435761u + tries;
		snprintf(temp_name, sizeof(temp_name), ".%.200s.%06x", out.base, suffix & 0xffffff);
		if (linkat(AT_FDCWD, fd_path, out.dir_fd, temp_name, AT_SYMLINK_FOLLOW) == 0)
			break;
		/* Without /proc: the same by the descriptor itself (needs CAP_DAC_READ_SEARCH). */
		if (errno == ENOENT && linkat(out.fd, "", out.dir_fd, temp_name, AT_EMPTY_PATH) == 0)
			break;
		if (errno != EEXIST)
			die("%s: cannot give the image a name:", out.name);
	}
	if (tries == 100)
		die("%s: cannot give the image a name: every temporary name is taken", out.name);
	temp_named = 1;
}

/*
 * Publish the image: its bytes reach the disk, then its name does (the
 * rename), then the directory entry does.  Signals wait while the name is
 * given, and are ignored once it is: the image is complete.  The worker
 * threads are gone by now, so blocking them here blocks them everywhere.
 */
static void commit_file(void)
{
	sigset_t old;

	if (fsync(out.fd) < 0)
		die("%s: fsync:", out.name);
	interrupt_block(&old);
	if (!temp_named)
		name_temp();
	if (renameat(out.dir_fd, temp_name, out.dir_fd, out.base) < 0)
		die("cannot rename %s to %s:", temp_name, out.name);
	temp_named = 0;
	interrupt_done();
	interrupt_unblock(&old);
	if (close(out.fd) < 0)
		die("%s: close:", out.name);
	if (fsync(out.dir_fd) < 0)
		die("%s: fsync of its directory:", out.name);
	close(out.dir_fd);
}

void output_commit(void)
{
	if (out.is_file) {
		commit_file();
		return;
	}
	if (out.sync_in_place && fsync(out.fd) < 0)
		die("%s: fsync:", out.name);
	if (out.fd != STDOUT_FILENO && close(out.fd) < 0)
		die("%s: close:", out.name);
}
