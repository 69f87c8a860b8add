/*
 * The filesystem being read (struct scan_fs: its devices, superblock,
 * chunk map, output and rescue state, shared by every part of bimg-scan)
 * and its devices: every DEVICE argument opened read-only, the first one's
 * superblock used.
 */
#ifndef BIMG_SCAN_DEVICES_H
#define BIMG_SCAN_DEVICES_H

#include "btrfs.h"
#include "chunk.h"
#include "hashmap.h"
#include "progress.h"
#include "stream.h"
#include "super.h"

#include <stddef.h>
#include <stdint.h>

struct scan_device {
	const char *path;
	int fd;
	uint64_t devid;
	uint64_t size;
	uint64_t total_bytes; /* the device's size as its superblock gives it */
};

enum rescue_mode {
	RESCUE_NONE, /* a block with no good copy stops the dump */
	RESCUE_COPY, /* --rescue=copy: the best copy as read, flagged DAMAGED */
	RESCUE_SKIP, /* --rescue=skip: left out */
};

struct scan_fs {
	const char *name; /* the first DEVICE argument: names the filesystem in messages */
	struct scan_device *devices;
	size_t device_count;
	struct super_info sb;
	uint8_t sb_raw[BTRFS_SUPER_SIZE];
	struct chunk_map map;
	uint32_t nodesize;
	int dump_data; /* -d: data extents offered too, inline file data kept */
	struct stream_writer *out;
	/*
	 * Off while the chunk tree is read (rescue cannot help without it);
	 * then from the command line.
	 */
	enum rescue_mode rescue;
	struct hashmap damaged_blocks; /* a set: the damaged blocks reported so far */
	uint64_t damaged_copied;       /* of them, copied into the stream */
	uint64_t data_left_out;        /* data extents (or their tails) unreadable */
	struct progress progress;
};

void devices_open(struct scan_fs *fs, char **paths, size_t count);
void devices_close(struct scan_fs *fs);
const struct scan_device *device_by_id(const struct scan_fs *fs, uint64_t devid);
void warn_if_mounted(const char *path, int fd, const uint8_t fsid[BTRFS_UUID_SIZE]);

#endif
