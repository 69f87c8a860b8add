/*
 * Is what a program is about to write something it also reads?
 *
 * Names prove nothing (./x, an absolute path, a symlink, a hard link,
 * /dev/fd/N all reach one file), so a file is known by what its name
 * leads to: a regular file by its inode (st_dev, st_ino), a block device
 * by its device number (st_rdev).  Writing one also destroys what is
 * built on it, so a file_id lists the storage it lies on as well, as far
 * as sysfs shows it: the block device holding a file's filesystem, the
 * disk of a partition, the devices a device-mapper or md device is made
 * of ("slaves"), and the file behind a loop device; recursively, at most
 * FILE_ID_MAX_NODES entries.  Pipes, sockets, terminals and other
 * character devices hold nothing to destroy: they match nothing.
 *
 * Not seen: a filesystem whose files carry an anonymous device number
 * (btrfs does) is not traced to its block devices, and a loop device whose
 * backing file cannot be asked for (no /dev node) is not traced to it.
 */
#ifndef BIMG_COMMON_SAMEFILE_H
#define BIMG_COMMON_SAMEFILE_H

#include <stddef.h>
#include <sys/types.h>

#define FILE_ID_MAX_NODES 32

enum file_node_kind { NODE_FILE, NODE_BLOCK };

struct file_node {
	enum file_node_kind kind;
	dev_t dev; /* NODE_FILE: st_dev; NODE_BLOCK: the device number */
	ino_t ino; /* NODE_FILE only */
};

struct file_id {
	size_t count; /* 0: nothing that can be destroyed (a pipe, a terminal, ...) */
	struct file_node nodes[FILE_ID_MAX_NODES]; /* nodes[0]: the file itself, then what it lies on */
};

/* What path leads to (symlinks followed); -1 with errno when it leads nowhere. */
int file_id_of_path(const char *path, struct file_id *id);
/* What an open descriptor is; count 0 when it cannot be told. */
void file_id_of_fd(int fd, struct file_id *id);
/*
 * Would writing one destroy the other: is either one the other or built
 * on it, or are both built on one file (two loop devices over it)?
 */
int file_ids_overlap(const struct file_id *a, const struct file_id *b);

/*
 * Would writing standard output destroy what path leads to (NULL or "-":
 * what standard input reads)?  For stages that read files and write a
 * stream: the shell's 1<>FILE, a loop device over FILE, /dev/fd/N.
 */
int stdout_overlaps(const char *path);

/*
 * The file behind the loop device /dev/NAME: 0 with its st_dev and st_ino,
 * or -1 when NAME is not an attached loop device (or cannot be opened).
 */
int loop_backing_file(const char *name, dev_t *dev, ino_t *ino);

#endif
