#include "superblock.h"
#include "csum.h"
#include "layout.h"
#include "le.h"
#include "msg.h"
#include "restore.h"
#include "target.h"

#include <string.h>
#include <unistd.h>

/*
 * -o: the single system chunk of the old restore, mapping every logical
 * address to the same physical one (docs/restore.md, -o).
 */
static void write_identity_chunk_array(uint8_t *sb)
{
	uint8_t *p = sb + SB_SYS_CHUNK_ARRAY;
	uint8_t *chunk = p + KEY_SIZE;
	uint8_t *stripe = chunk + CHUNK_STRIPES;
	uint32_t sectorsize = get_le32(sb, SB_SECTORSIZE);

	/* Bytes past the new size keep the old array's content, as in the reference. */
	put_le64(p, KEY_OBJECTID, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	put_le8(p, KEY_TYPE, BTRFS_CHUNK_ITEM_KEY);
	put_le64(p, KEY_OFFSET, 0);
	put_le64(chunk, CHUNK_LENGTH, UINT64_MAX);
	put_le64(chunk, CHUNK_OWNER, BTRFS_EXTENT_TREE_OBJECTID);
	put_le64(chunk, CHUNK_STRIPE_LEN, 65536);
	put_le64(chunk, CHUNK_TYPE, BTRFS_BLOCK_GROUP_SYSTEM);
	put_le32(chunk, CHUNK_IO_ALIGN, sectorsize);
	put_le32(chunk, CHUNK_IO_WIDTH, sectorsize);
	put_le32(chunk, CHUNK_SECTOR_SIZE, sectorsize);
	put_le16(chunk, CHUNK_NUM_STRIPES, 1);
	put_le16(chunk, CHUNK_SUB_STRIPES, 0);
	put_le64(stripe, STRIPE_DEVID, get_le64(sb, SB_DEV_ITEM + DEV_ITEM_DEVID));
	put_le64(stripe, STRIPE_OFFSET, 0);
	memcpy(stripe + STRIPE_DEV_UUID, sb + SB_DEV_ITEM + DEV_ITEM_UUID, BTRFS_UUID_SIZE);
	put_le32(sb, SB_SYS_CHUNK_ARRAY_SIZE, KEY_SIZE + CHUNK_ITEM_HEADER + STRIPE_SIZE);
}

void superblock_prepare(uint8_t *sb, const struct fs_info *fs, const struct restore_options *opt)
{
	uint64_t flags = get_le64(sb, SB_FLAGS);
	/* Format-1 images carry file data: the result is a real filesystem, not a metadump. */
	int metadata_only = !(fs->content & CONTENT_DATA);

	if (opt->old_restore) {
		if (metadata_only)
			flags |= BTRFS_SUPER_FLAG_METADUMP;
		write_identity_chunk_array(sb);
	} else {
		if (metadata_only)
			flags |= BTRFS_SUPER_FLAG_METADUMP_V2;
		put_le64(sb, SB_NUM_DEVICES, 1);
	}
	put_le64(sb, SB_FLAGS, flags);
	/* In the filesystem's own algorithm: the reference's CRC-32C breaks other types (4.7). */
	csum_block_set(fs->csum_type, sb, BTRFS_SUPER_SIZE);
}

void superblock_write(struct target *t, const uint8_t *sb)
{
	uint8_t copy[BTRFS_SUPER_SIZE];
	struct super_info info;
	const char *err;
	int i;

	/*
	 * Copies only on block devices, as the reference: on a fresh regular
	 * file none of them fits when it writes the superblock.
	 */
	for (i = 1; t->is_blockdev && i < BTRFS_SUPER_MIRROR_MAX; i++) {
		uint64_t at = super_mirror_offset(i);
		if (at + BTRFS_SUPER_SIZE > t->dev_size)
			break;
		memcpy(copy, sb, sizeof(copy));
		put_le64(copy, SB_BYTENR, at);
		csum_block_set(get_le16(copy, SB_CSUM_TYPE), copy, sizeof(copy));
		target_write_now(t, at, copy, sizeof(copy));
	}
	if (t->is_blockdev && fsync(t->fd) < 0)
		die("%s: fsync:", t->path);
	/* The primary goes last: until it is there the target is not a filesystem. */
	target_write_now(t, BTRFS_SUPER_OFFSET, sb, BTRFS_SUPER_SIZE);
	if (fsync(t->fd) < 0)
		die("%s: fsync:", t->path);
	target_read(t, BTRFS_SUPER_OFFSET, copy, sizeof(copy));
	if (memcmp(copy, sb, sizeof(copy)) != 0)
		die("%s: the superblock read back differs from the one written", t->path);
	err = super_parse(copy, &info, 1);
	if (err)
		die("%s: the restored superblock is not valid: %s", t->path, err);
}

void superblock_apply_layout(uint8_t *sb, const struct single_layout *l)
{
	uint8_t array[BTRFS_SYSTEM_CHUNK_ARRAY_SIZE] = { 0 };
	const struct chunk *c;
	size_t used = 0;

	for (c = chunk_map_first(&l->placed); c; c = chunk_map_next(&l->placed, c)) {
		uint8_t *p = array + used, *item = p + KEY_SIZE;
		int j;

		if (!(c->type & BTRFS_BLOCK_GROUP_SYSTEM))
			continue;
		if (used + KEY_SIZE + CHUNK_ITEM_HEADER + (size_t)STRIPE_SIZE * c->num_stripes > sizeof(array))
			die("superblock: the system chunks do not fit the system chunk array");
		put_le64(p, KEY_OBJECTID, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
		put_le8(p, KEY_TYPE, BTRFS_CHUNK_ITEM_KEY);
		put_le64(p, KEY_OFFSET, c->logical);
		put_le64(item, CHUNK_LENGTH, c->length);
		put_le64(item, CHUNK_OWNER, BTRFS_EXTENT_TREE_OBJECTID);
		put_le64(item, CHUNK_STRIPE_LEN, c->stripe_len);
		put_le64(item, CHUNK_TYPE, c->type);
		put_le32(item, CHUNK_IO_ALIGN, (uint32_t)c->stripe_len);
		put_le32(item, CHUNK_IO_WIDTH, (uint32_t)c->stripe_len);
		put_le32(item, CHUNK_SECTOR_SIZE, get_le32(sb, SB_SECTORSIZE));
		put_le16(item, CHUNK_NUM_STRIPES, c->num_stripes);
		put_le16(item, CHUNK_SUB_STRIPES, c->sub_stripes);
		for (j = 0; j < c->num_stripes; j++) {
			uint8_t *s = item + CHUNK_STRIPES + (size_t)j * STRIPE_SIZE;
			put_le64(s, STRIPE_DEVID, c->stripes[j].devid);
			put_le64(s, STRIPE_OFFSET, c->stripes[j].offset);
			memcpy(s + STRIPE_DEV_UUID, c->stripes[j].dev_uuid, BTRFS_UUID_SIZE);
		}
		used += KEY_SIZE + CHUNK_ITEM_HEADER + (size_t)STRIPE_SIZE * c->num_stripes;
	}
	if (!used)
		die("superblock: the layout has no system chunk");
	memcpy(sb + SB_SYS_CHUNK_ARRAY, array, sizeof(array));
	put_le32(sb, SB_SYS_CHUNK_ARRAY_SIZE, (uint32_t)used);
	put_le64(sb, SB_NUM_DEVICES, 1);
	put_le64(sb, SB_TOTAL_BYTES, l->device_size);
	put_le64(sb, SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES, l->device_size);
	put_le64(sb, SB_DEV_ITEM + DEV_ITEM_BYTES_USED, l->bytes_used);
	/* A v1 cache describes the old places of the chunk that held a mirror: it must not be trusted. */
	if (l->moved_super_chunk)
		put_le64(sb, SB_CACHE_GENERATION, 0);
}
