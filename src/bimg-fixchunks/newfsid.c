/*
 * --new-fsid: the kernel refuses to mount a second filesystem whose fsid
 * it already knows, so a restore meant to sit next to its original needs
 * another one.
 *
 * btrfstune offers two ways.  -u rewrites the fsid everywhere it is kept:
 * every tree block header, every DEV_ITEM of the chunk tree, the
 * superblock's fsid and dev_item.fsid.  -M only changes the superblock's
 * fsid and keeps the old one as metadata_uuid, behind the incompat flag
 * METADATA_UUID, which older kernels and tools do not know.  A restore
 * writes every block anyway, so -u's way costs one checksum per tree
 * block and needs no new feature: it is the one used.
 *
 * A source that already has METADATA_UUID keeps it: its headers and
 * DEV_ITEMs (and dev_item.fsid of the superblock) carry metadata_uuid,
 * which the kernel compares with metadata_uuid, not with fsid, so only the
 * superblock's fsid changes.  Should the new fsid equal metadata_uuid, the
 * flag is no longer needed and goes, as btrfstune -M does.
 */
#include "newfsid.h"
#include "csum.h"
#include "le.h"
#include "restore.h"
#include "tree.h"

#include <string.h>

void fsid_change_init(struct fsid_change *f, const uint8_t *sb, const struct restore_options *opt)
{
	memset(f, 0, sizeof(*f));
	if (!opt->new_fsid)
		return;
	f->active = 1;
	f->headers = !(get_le64(sb, SB_INCOMPAT_FLAGS) & BTRFS_INCOMPAT_METADATA_UUID);
	memcpy(f->old_fsid, sb + SB_FSID, BTRFS_UUID_SIZE);
	memcpy(f->new_fsid, opt->new_fsid_value, BTRFS_UUID_SIZE);
}

void fsid_change_super(const struct fsid_change *f, uint8_t *sb)
{
	uint64_t incompat = get_le64(sb, SB_INCOMPAT_FLAGS);

	if (!f->active)
		return;
	memcpy(sb + SB_FSID, f->new_fsid, BTRFS_UUID_SIZE);
	if (f->headers) {
		memcpy(sb + SB_DEV_ITEM + DEV_ITEM_FSID, f->new_fsid, BTRFS_UUID_SIZE);
		return;
	}
	if (!memcmp(sb + SB_METADATA_UUID, f->new_fsid, BTRFS_UUID_SIZE)) {
		put_le64(sb, SB_INCOMPAT_FLAGS, incompat & ~BTRFS_INCOMPAT_METADATA_UUID);
		memset(sb + SB_METADATA_UUID, 0, BTRFS_UUID_SIZE);
	}
}

/* DEV_ITEMs of this filesystem; a seed device's (another fsid) are left alone. */
static int change_dev_items(const struct fsid_change *f, uint8_t *leaf, uint32_t nodesize)
{
	uint32_t nritems = tree_block_nritems(leaf), slot;
	int changed = 0;

	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(leaf, nodesize, slot, &key, &off, &size) < 0)
			break;
		if (key.objectid != BTRFS_DEV_ITEMS_OBJECTID || key.type != BTRFS_DEV_ITEM_KEY ||
		    size < DEV_ITEM_SIZE || memcmp(leaf + off + DEV_ITEM_FSID, f->old_fsid, BTRFS_UUID_SIZE))
			continue;
		memcpy(leaf + off + DEV_ITEM_FSID, f->new_fsid, BTRFS_UUID_SIZE);
		changed = 1;
	}
	return changed;
}

void fsid_change_tree_block(const struct fsid_change *f, uint8_t *block, uint32_t nodesize, unsigned csum_type)
{
	int changed = 0;

	if (!f->active || !f->headers)
		return;
	if (!memcmp(block + HDR_FSID, f->old_fsid, BTRFS_UUID_SIZE)) {
		memcpy(block + HDR_FSID, f->new_fsid, BTRFS_UUID_SIZE);
		changed = 1;
	}
	if (tree_block_owner(block) == BTRFS_CHUNK_TREE_OBJECTID && tree_block_level(block) == 0)
		changed |= change_dev_items(f, block, nodesize);
	if (changed)
		csum_block_set(csum_type, block, nodesize);
}
