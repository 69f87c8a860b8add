/*
 * Superblock parsing and validation.
 */
#ifndef BIMG_COMMON_SUPER_H
#define BIMG_COMMON_SUPER_H

#include "btrfs.h"

#include <stddef.h>
#include <stdint.h>

struct super_info {
	uint8_t fsid[BTRFS_UUID_SIZE];
	/* The fsid that tree block headers carry (metadata_uuid when set). */
	uint8_t header_fsid[BTRFS_UUID_SIZE];
	uint64_t bytenr;
	uint64_t flags;
	uint64_t generation;
	uint64_t root;
	uint64_t chunk_root;
	uint64_t log_root;
	uint64_t total_bytes;
	uint64_t bytes_used;
	uint64_t num_devices;
	uint64_t compat_ro_flags;
	uint64_t incompat_flags;
	uint64_t cache_generation;
	uint32_t sectorsize;
	uint32_t nodesize;
	uint32_t sys_chunk_array_size;
	unsigned csum_type;
	uint8_t root_level;
	uint8_t chunk_root_level;
	uint8_t log_root_level;
	uint64_t devid;
	uint64_t dev_total_bytes;
	uint8_t dev_uuid[BTRFS_UUID_SIZE];
	char label[BTRFS_LABEL_SIZE + 1];
};

/*
 * Parse and validate a 4096-byte superblock.  check_csum: also verify its
 * checksum with its own csum_type.  Returns NULL on success, otherwise a
 * static string saying what is wrong ("bad magic", "checksum mismatch", ...).
 */
const char *super_parse(const uint8_t *sb, struct super_info *info, int check_csum);

/* Offset of superblock copy i (0 = primary) on a device. */
uint64_t super_mirror_offset(int i);

/* Format a UUID as the usual 36-character string (out: 37 bytes). */
void uuid_format(const uint8_t uuid[BTRFS_UUID_SIZE], char out[37]);

#endif
