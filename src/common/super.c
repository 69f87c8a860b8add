#include "super.h"
#include "csum.h"
#include "le.h"

#include <stdio.h>
#include <string.h>

static int is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

uint64_t super_mirror_offset(int i)
{
	if (i == 0)
		return BTRFS_SUPER_OFFSET;
	return (16ULL * 1024) << (12 * i);
}

void uuid_format(const uint8_t uuid[BTRFS_UUID_SIZE], char out[37])
{
	static const int dash_after[] = { 3, 5, 7, 9 };
	int i, d = 0;
	char *p = out;

	for (i = 0; i < BTRFS_UUID_SIZE; i++) {
		p += sprintf(p, "%02x", uuid[i]);
		if (d < 4 && i == dash_after[d]) {
			*p++ = '-';
			d++;
		}
	}
	*p = 0;
}

const char *super_parse(const uint8_t *sb, struct super_info *info, int check_csum)
{
	memset(info, 0, sizeof(*info));
	if (get_le64(sb, SB_MAGIC) != BTRFS_MAGIC)
		return "bad superblock magic";
	info->csum_type = get_le16(sb, SB_CSUM_TYPE);
	if (!csum_size(info->csum_type))
		return "unknown checksum type in superblock";
	if (check_csum && !csum_block_ok(info->csum_type, sb, BTRFS_SUPER_SIZE))
		return "superblock checksum mismatch";

	memcpy(info->fsid, sb + SB_FSID, BTRFS_UUID_SIZE);
	info->incompat_flags = get_le64(sb, SB_INCOMPAT_FLAGS);
	info->compat_ro_flags = get_le64(sb, SB_COMPAT_RO_FLAGS);
	if (info->incompat_flags & BTRFS_INCOMPAT_METADATA_UUID)
		memcpy(info->header_fsid, sb + SB_METADATA_UUID, BTRFS_UUID_SIZE);
	else
		memcpy(info->header_fsid, info->fsid, BTRFS_UUID_SIZE);
	info->bytenr = get_le64(sb, SB_BYTENR);
	info->flags = get_le64(sb, SB_FLAGS);
	info->generation = get_le64(sb, SB_GENERATION);
	info->root = get_le64(sb, SB_ROOT);
	info->chunk_root = get_le64(sb, SB_CHUNK_ROOT);
	info->log_root = get_le64(sb, SB_LOG_ROOT);
	info->total_bytes = get_le64(sb, SB_TOTAL_BYTES);
	info->bytes_used = get_le64(sb, SB_BYTES_USED);
	info->num_devices = get_le64(sb, SB_NUM_DEVICES);
	info->cache_generation = get_le64(sb, SB_CACHE_GENERATION);
	info->sectorsize = get_le32(sb, SB_SECTORSIZE);
	info->nodesize = get_le32(sb, SB_NODESIZE);
	info->sys_chunk_array_size = get_le32(sb, SB_SYS_CHUNK_ARRAY_SIZE);
	info->root_level = get_le8(sb, SB_ROOT_LEVEL);
	info->chunk_root_level = get_le8(sb, SB_CHUNK_ROOT_LEVEL);
	info->log_root_level = get_le8(sb, SB_LOG_ROOT_LEVEL);
	info->devid = get_le64(sb, SB_DEV_ITEM + DEV_ITEM_DEVID);
	info->dev_total_bytes = get_le64(sb, SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES);
	memcpy(info->dev_uuid, sb + SB_DEV_ITEM + DEV_ITEM_UUID, BTRFS_UUID_SIZE);
	memcpy(info->label, sb + SB_LABEL, BTRFS_LABEL_SIZE);
	info->label[BTRFS_LABEL_SIZE] = 0;

	if (!is_power_of_two(info->sectorsize) || info->sectorsize < 4096 || info->sectorsize > 65536)
		return "invalid sectorsize in superblock";
	if (!is_power_of_two(info->nodesize) || info->nodesize < BTRFS_MIN_NODESIZE ||
	    info->nodesize > BTRFS_MAX_NODESIZE || info->nodesize < info->sectorsize)
		return "invalid nodesize in superblock";
	if (info->sys_chunk_array_size > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
		return "sys_chunk_array_size too large";
	if (info->root_level >= BTRFS_MAX_LEVEL || info->chunk_root_level >= BTRFS_MAX_LEVEL ||
	    info->log_root_level >= BTRFS_MAX_LEVEL)
		return "invalid tree root level in superblock";
	if (!info->root || info->root % info->sectorsize)
		return "invalid root tree address in superblock";
	if (!info->chunk_root || info->chunk_root % info->sectorsize)
		return "invalid chunk root address in superblock";
	if (info->log_root % info->sectorsize)
		return "invalid log root address in superblock";
	if (!info->num_devices || info->num_devices > 65536)
		return "invalid number of devices in superblock";
	return NULL;
}
