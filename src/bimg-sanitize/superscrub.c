#include "superscrub.h"
#include "btrfs.h"
#include "csum.h"
#include "le.h"
#include "msg.h"
#include "readable.h"

#include <stddef.h>

#define BACKUP_ROOT_SIZE 168
#define BACKUP_ROOTS 4

/*
 * Bytes no btrfs version defines (layout as of btrfs-progs 6.19; docs/sanitize.md):
 * what a bug, a tool or an old kernel left there cannot be read, so it does not pass.
 * Fields newer kernels define (metadata_uuid, nr_global_roots, the remap root at
 * 595..611) are numbers and uuids, and kept.
 */
static const struct {
	uint32_t offset, len;
	const char *what;
} undefined_areas[] = {
	{ 104, 8, "unused (formerly log_root_transid)" },
	{ 612, 199, "reserved" },
	{ SB_SUPER_ROOTS + BACKUP_ROOTS * BACKUP_ROOT_SIZE, BTRFS_SUPER_SIZE - SB_SUPER_ROOTS - BACKUP_ROOTS * BACKUP_ROOT_SIZE,
	  "padding" },
};

/* In each backup root record: four unused u64 after num_devices, ten bytes after the six levels. */
static const struct {
	uint32_t offset, len;
} backup_unused[] = { { 120, 32 }, { 158, 10 } };

static int zero_undefined(uint8_t *sb, uint32_t offset, uint32_t len, const char *what)
{
	if (!zero_if_set(sb + offset, len))
		return 0;
	warn("superblock: bytes %u..%u (%s) were not zero: zeroed", offset, offset + len - 1, what);
	return 1;
}

/*
 * Two fields that hold nothing a kernel reads, so any bits there could be a name: the unused
 * leafsize, which every mkfs writes equal to the node size (so anything but that or 0, which
 * says nothing either, is written the node size), and compat_flags, of which no flag is defined
 * and which kernels ignore whatever they hold.
 */
static int scrub_unread_fields(uint8_t *sb)
{
	uint32_t nodesize = get_le32(sb, SB_NODESIZE);
	int changed;

	changed = zero_undefined(sb, SB_COMPAT_FLAGS, 8, "compat_flags, none of them defined");
	if (get_le32(sb, SB_LEAFSIZE) == nodesize || get_le32(sb, SB_LEAFSIZE) == 0)
		return changed;
	put_le32(sb, SB_LEAFSIZE, nodesize);
	warn("superblock: bytes %u..%u (unused leafsize) were not the node size: set to it", SB_LEAFSIZE,
	     SB_LEAFSIZE + 3);
	return 1;
}

/*
 * The label is free text chosen by the owner (often a host or project
 * name) and nothing in the filesystem refers to it, so it is cleared.  So
 * are the bytes of the system chunk array past its size: no chunk, only
 * what a removed chunk or anything else left there.
 */
void scrub_superblock(uint8_t *sb)
{
	unsigned csum_type = get_le16(sb, SB_CSUM_TYPE);
	uint32_t used = get_le32(sb, SB_SYS_CHUNK_ARRAY_SIZE);
	int changed;

	if (used > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
		used = BTRFS_SYSTEM_CHUNK_ARRAY_SIZE;
	changed = zero_if_set(sb + SB_LABEL, BTRFS_LABEL_SIZE);
	changed |= zero_if_set(sb + SB_SYS_CHUNK_ARRAY + used, BTRFS_SYSTEM_CHUNK_ARRAY_SIZE - used);
	changed |= scrub_unread_fields(sb);
	for (size_t i = 0; i < sizeof(undefined_areas) / sizeof(undefined_areas[0]); i++)
		changed |= zero_undefined(sb, undefined_areas[i].offset, undefined_areas[i].len, undefined_areas[i].what);
	for (uint32_t r = 0; r < BACKUP_ROOTS; r++)
		for (size_t i = 0; i < sizeof(backup_unused) / sizeof(backup_unused[0]); i++)
			changed |= zero_undefined(sb, SB_SUPER_ROOTS + r * BACKUP_ROOT_SIZE + backup_unused[i].offset,
						  backup_unused[i].len, "unused, in a backup root");
	if (changed && csum_size(csum_type))
		csum_block_set(csum_type, sb, BTRFS_SUPER_SIZE);
}
