/*
 * seedgen: cut fuzzing seeds out of a real filesystem image or metadump.
 *
 *   seedgen fs IMAGE NAME OUTDIR      superblock, tree blocks and a small
 *                                     record stream from a btrfs image
 *   seedgen metadump FILE NAME OUTDIR clusters of a btrfs-image file
 *
 * Seeds go to OUTDIR/<harness>/NAME-<what>.  Tree blocks are found by a
 * physical scan (nodesize-aligned, matching fsid, valid checksum), so no
 * chunk map is needed; a few of each (owner, level) pair are kept so the
 * seeds cover every tree without growing with the filesystem.
 */
#include "btrfs.h"
#include "chunk.h"
#include "csum.h"
#include "image.h"
#include "le.h"
#include "msg.h"
#include "stream.h"
#include "super.h"
#include "tree.h"
#include "xio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCKS_PER_KIND 3
#define MAX_KINDS 64
#define MAX_STREAM_BLOCKS 6
#define MAX_CLUSTERS 24
#define MAX_CLUSTER_SEED (64u << 10)

static void write_seed(const char *outdir, const char *harness, const char *name, const char *what,
		       const void *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s-%s", outdir, harness, name, what);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("creating %s:", path);
	if (write_full(fd, buf, len) < 0)
		die("writing %s:", path);
	close(fd);
}

struct kind {
	uint64_t owner;
	uint8_t level;
	int count;
};

/* Keep at most BLOCKS_PER_KIND blocks per (owner, level). */
static int want_block(struct kind *kinds, int *nkinds, uint64_t owner, uint8_t level)
{
	int i;

	for (i = 0; i < *nkinds; i++)
		if (kinds[i].owner == owner && kinds[i].level == level)
			return kinds[i].count++ < BLOCKS_PER_KIND;
	if (*nkinds == MAX_KINDS)
		return 0;
	kinds[(*nkinds)++] = (struct kind){ owner, level, 1 };
	return 1;
}

static const char *copy_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	(void)ctx, (void)c, (void)item, (void)item_len;
	return NULL;
}

static void seed_fs(const char *image, const char *name, const char *outdir)
{
	uint8_t sb[BTRFS_SUPER_SIZE];
	struct super_info info;
	struct stream_writer w;
	struct fs_info fi = { 0 };
	struct kind kinds[MAX_KINDS];
	int nkinds = 0, stream_blocks = 0, fd, out;
	const char *err;
	uint8_t *block;
	off_t pos, end;
	char path[4096], what[64];
	size_t error_offset;
	struct chunk_limits limits;

	fd = xopen_input(image);
	if (pread_full(fd, sb, sizeof(sb), BTRFS_SUPER_OFFSET) != (ssize_t)sizeof(sb))
		die("%s: cannot read the superblock", image);
	err = super_parse(sb, &info, 1);
	if (err)
		die("%s: %s", image, err);
	write_seed(outdir, "super_chunks", name, "super", sb, sizeof(sb));

	snprintf(path, sizeof(path), "%s/stream", outdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/stream/%s-stream", outdir, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("creating %s:", path);
	stream_writer_init(&w, out);
	memcpy(fi.fsid, info.fsid, BTRFS_UUID_SIZE);
	memcpy(fi.header_fsid, info.header_fsid, BTRFS_UUID_SIZE);
	fi.nodesize = info.nodesize;
	fi.sectorsize = info.sectorsize;
	fi.csum_type = (uint16_t)info.csum_type;
	fi.num_devices = info.num_devices;
	fi.generation = info.generation;
	stream_write_fs_info(&w, &fi);
	stream_write(&w, REC_SUPERBLOCK, 0, sb, sizeof(sb), NULL, 0);
	limits = chunk_limits_of(&info);
	if (!chunk_array_walk(sb + SB_SYS_CHUNK_ARRAY, info.sys_chunk_array_size, &limits, copy_chunk, NULL,
			      &error_offset))
		stream_write(&w, REC_CHUNK, 0, sb + SB_SYS_CHUNK_ARRAY, info.sys_chunk_array_size, NULL, 0);

	block = xmalloc(info.nodesize);
	end = lseek(fd, 0, SEEK_END);
	pos = 0;
	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);

		if (data < 0)
			break;
		pos = data - data % info.nodesize;
		if (pread_full(fd, block, info.nodesize, (uint64_t)pos) != (ssize_t)info.nodesize)
			break;
		pos += info.nodesize;
		if (memcmp(block + HDR_FSID, info.header_fsid, BTRFS_UUID_SIZE) != 0 ||
		    tree_block_check(block, info.nodesize, 0, info.header_fsid, info.csum_type,
				     TREE_CHECK_FSID | TREE_CHECK_CSUM | TREE_CHECK_LAYOUT))
			continue;
		if (!want_block(kinds, &nkinds, tree_block_owner(block), tree_block_level(block)))
			continue;
		snprintf(what, sizeof(what), "tree-%llu-%d-%llu", (unsigned long long)tree_block_owner(block),
			 tree_block_level(block), (unsigned long long)tree_block_bytenr(block));
		write_seed(outdir, "tree_block", name, what, block, info.nodesize);
		if (stream_blocks++ < MAX_STREAM_BLOCKS)
			stream_write_tree_block(&w, tree_block_bytenr(block), 0, block, info.nodesize);
	}
	/* A little data so the DATA path is seeded too. */
	stream_write_data(&w, 1 << 20, 0, sb, 512);
	stream_write_data(&w, (1 << 20) + 512, DATA_FLAG_CONTINUES, sb + 512, 100);
	stream_write_end(&w);
	stream_writer_free(&w);
	close(out);
	free(block);
	close(fd);
}

static void seed_metadump(const char *file, const char *name, const char *outdir)
{
	uint8_t *buf = xmalloc(MAX_CLUSTER_SEED);
	uint64_t off = 0, size;
	int fd = xopen_input(file), n = 0;
	char what[64];

	size = fd_size(fd);
	while (off + IMAGE_BLOCK_SIZE <= size && n < MAX_CLUSTERS) {
		struct image_index index;
		uint64_t payload = 0, len;
		uint32_t i;
		ssize_t got;

		got = pread_full(fd, buf, IMAGE_BLOCK_SIZE, off);
		if (got != IMAGE_BLOCK_SIZE || image_index_parse(buf, off, -1, &index))
			break;
		for (i = 0; i < index.nritems; i++)
			payload += index.items[i].size;
		len = IMAGE_BLOCK_SIZE + payload;
		if (len > MAX_CLUSTER_SEED)
			len = MAX_CLUSTER_SEED;
		got = pread_full(fd, buf, (size_t)len, off);
		if (got < 0)
			die("reading %s:", file);
		snprintf(what, sizeof(what), "cluster-%d", n++);
		write_seed(outdir, "image_index", name, what, buf, (size_t)got);
		off += IMAGE_BLOCK_SIZE + payload;
		off = (off + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE * IMAGE_BLOCK_SIZE;
	}
	free(buf);
	close(fd);
}

int main(int argc, char **argv)
{
	msg_init(argv[0]);
	csum_init();
	if (argc == 5 && !strcmp(argv[1], "fs"))
		seed_fs(argv[2], argv[3], argv[4]);
	else if (argc == 5 && !strcmp(argv[1], "metadump"))
		seed_metadump(argv[2], argv[3], argv[4]);
	else
		die("usage: seedgen fs IMAGE NAME OUTDIR | seedgen metadump FILE NAME OUTDIR");
	return 0;
}
