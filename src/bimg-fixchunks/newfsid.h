/*
 * --new-fsid as btrfstune -u does it: every tree block header and DEV_ITEM
 * carries the new fsid, then so does the superblock (fsid and
 * dev_item.fsid).  When the source has METADATA_UUID, the headers and
 * DEV_ITEMs carry metadata_uuid, which stays: only the superblock's fsid
 * changes (btrfstune -M's way, already in place).
 */
#ifndef BIMG_FIXCHUNKS_NEWFSID_H
#define BIMG_FIXCHUNKS_NEWFSID_H

#include "btrfs.h"

#include <stdint.h>

struct restore_options;

struct fsid_change {
	int active;
	int headers;                         /* tree blocks change (no METADATA_UUID) */
	uint8_t old_fsid[BTRFS_UUID_SIZE];   /* in headers and DEV_ITEMs */
	uint8_t new_fsid[BTRFS_UUID_SIZE];
};
/* Decide from the stream's superblock; sb itself is changed by fsid_change_super(). */
void fsid_change_init(struct fsid_change *f, const uint8_t *sb, const struct restore_options *opt);
/* The superblock's fsid and dev_item.fsid (checksum left to the caller). */
void fsid_change_super(const struct fsid_change *f, uint8_t *sb);
/* A verified tree block: header fsid and DEV_ITEM fsids, checksum recomputed if changed. */
void fsid_change_tree_block(const struct fsid_change *f, uint8_t *block, uint32_t nodesize, unsigned csum_type);

#endif
