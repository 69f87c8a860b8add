#include "samefile.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Deeper than this, sysfs is describing something we do not understand: stop looking. */
#define MAX_DEPTH 8

static int has_node(const struct file_id *id, const struct file_node *n)
{
	size_t i;

	for (i = 0; i < id->count; i++)
		if (id->nodes[i].kind == n->kind && id->nodes[i].dev == n->dev &&
		    (n->kind == NODE_BLOCK || id->nodes[i].ino == n->ino))
			return 1;
	return 0;
}

static int push(struct file_id *id, enum file_node_kind kind, dev_t dev, ino_t ino)
{
	struct file_node n = { kind, dev, kind == NODE_FILE ? ino : 0 };

	if (id->count == FILE_ID_MAX_NODES || has_node(id, &n))
		return 0;
	id->nodes[id->count++] = n;
	return 1;
}

/* A sysfs "dev" file: "MAJOR:MINOR". */
static int read_dev_file(const char *path, dev_t *dev)
{
	FILE *f = fopen(path, "re");
	unsigned maj, min;
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%u:%u", &maj, &min) == 2;
	fclose(f);
	if (!ok)
		return -1;
	*dev = makedev(maj, min);
	return 0;
}

static void add_block(struct file_id *id, dev_t rdev, int depth);

static void add_file(struct file_id *id, dev_t dev, ino_t ino, int depth)
{
	if (depth > MAX_DEPTH || !push(id, NODE_FILE, dev, ino))
		return;
	add_block(id, dev, depth + 1); /* the device its filesystem is on, if it is one */
}

/* The devices listed in DIR/slaves: what a device-mapper or md device is made of. */
static void add_slaves(struct file_id *id, const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	dev_t dev;

	if (snprintf(path, sizeof(path), "%s/slaves", dir) >= (int)sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/slaves/%s/dev", dir, e->d_name) < (int)sizeof(path) &&
		    read_dev_file(path, &dev) == 0)
			add_block(id, dev, depth + 1);
	}
	closedir(d);
}

static void add_block(struct file_id *id, dev_t rdev, int depth)
{
	char link[64], dir[PATH_MAX], path[PATH_MAX + 16];
	const char *name;
	dev_t dev;
	ino_t ino;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	/* Not a block device the kernel lists (an anonymous device number): nothing below to find. */
	if (depth > MAX_DEPTH || !realpath(link, dir) || !push(id, NODE_BLOCK, rdev, 0))
		return;
	snprintf(path, sizeof(path), "%s/partition", dir);
	if (access(path, F_OK) == 0) {
		snprintf(path, sizeof(path), "%s/../dev", dir);
		if (read_dev_file(path, &dev) == 0)
			add_block(id, dev, depth + 1);
	}
	add_slaves(id, dir, depth);
	snprintf(path, sizeof(path), "%s/loop", dir);
	name = strrchr(dir, '/');
	if (name && access(path, F_OK) == 0 && loop_backing_file(name + 1, &dev, &ino) == 0)
		add_file(id, dev, ino, depth + 1);
}

static void file_id_of_stat(const struct stat *st, struct file_id *id)
{
	id->count = 0;
	if (S_ISREG(st->st_mode))
		add_file(id, st->st_dev, st->st_ino, 0);
	else if (S_ISBLK(st->st_mode))
		add_block(id, st->st_rdev, 0);
	/* A block device sysfs does not know still is itself. */
	if (S_ISBLK(st->st_mode) && !id->count)
		push(id, NODE_BLOCK, st->st_rdev, 0);
}

int file_id_of_path(const char *path, struct file_id *id)
{
	struct stat st;

	id->count = 0;
	if (stat(path, &st) < 0)
		return -1;
	file_id_of_stat(&st, id);
	return 0;
}

void file_id_of_fd(int fd, struct file_id *id)
{
	struct stat st;

	id->count = 0;
	if (fstat(fd, &st) == 0)
		file_id_of_stat(&st, id);
}

int file_ids_overlap(const struct file_id *a, const struct file_id *b)
{
	size_t i;

	if (!a->count || !b->count)
		return 0;
	if (has_node(b, &a->nodes[0]) || has_node(a, &b->nodes[0]))
		return 1;
	for (i = 0; i < a->count; i++)
		if (a->nodes[i].kind == NODE_FILE && has_node(b, &a->nodes[i]))
			return 1;
	return 0;
}

int stdout_overlaps(const char *path)
{
	struct file_id out, in;

	file_id_of_fd(STDOUT_FILENO, &out);
	if (!path || strcmp(path, "-") == 0)
		file_id_of_fd(STDIN_FILENO, &in);
	else if (file_id_of_path(path, &in) < 0)
		return 0;
	return file_ids_overlap(&out, &in);
}

/* lo_device is the kernel's 32-bit "new" encoding: minor's low byte, major, then minor's high bits. */
static dev_t decode_lo_device(uint64_t encoded)
{
	unsigned maj = (unsigned)((encoded >> 8) & 0xfff);
	unsigned min = (unsigned)((encoded & 0xff) | ((encoded >> 12) & 0xfff00));

	return makedev(maj, min);
}

int loop_backing_file(const char *name, dev_t *dev, ino_t *ino)
{
	struct loop_info64 info;
	char path[300];
	struct stat st;
	int fd, ok;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	/* ENXIO: a loop device with nothing attached. */
	ok = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && ioctl(fd, LOOP_GET_STATUS64, &info) == 0;
	close(fd);
	if (!ok)
		return -1;
	*dev = decode_lo_device(info.lo_device);
	*ino = (ino_t)info.lo_inode;
	return 0;
}
