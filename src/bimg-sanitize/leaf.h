/*
 * Sanitizing one tree block in place (docs/sanitize.md, without the
 * reference's bugs): every name of DIR_ITEM, DIR_INDEX, INODE_REF,
 * INODE_EXTREF, ROOT_REF and ROOT_BACKREF records goes through the name
 * map; every XATTR_ITEM value is zeroed; inline file extents are zeroed
 * (bimg-scan already did, this is a second line of defence for streams
 * from elsewhere); and a DIR_ITEM/DIR_INDEX transid larger than the leaf's
 * own generation (impossible: uninitialised bytes that mkfs --rootdir
 * leaves, observed to hold pieces of names) is set to the leaf's
 * generation; and the reserved bytes of inode items, where log tree leaves
 * were seen to carry stale name bytes, are zeroed, as are the bytes other
 * layouts leave undefined (reserved.h) and the bytes of
 * items whose content cannot be checked (fs-verity descriptors and Merkle
 * trees, which -d keeps as it keeps inline data; the obsolete checksum
 * item type 120, which bimg-scan zeroes too).  With -ss, the offset of a
 * DIR_ITEM or INODE_EXTREF key in a tree block's extent item (its first key
 * when made) goes to 0.  Item sizes and offsets
 * never change; keys change only for names of 1..4 bytes under -ss
 * (placement.h).
 *
 * Every leaf is processed whatever its owner: these item types occur only
 * in filesystem trees (top level, subvolumes, snapshots, log and
 * relocation trees) and the root tree (the `default` dir item, root refs).
 * Blocks come here only once the sanitizer has read them in full
 * (readable.h); every walk is still bounded by its item.
 */
#ifndef BIMG_SANITIZE_LEAF_H
#define BIMG_SANITIZE_LEAF_H

#include "namemap.h"
#include "placement.h"

#include <stddef.h>
#include <stdint.h>

struct leaf_stats {
	uint64_t blocks_changed;
	uint64_t names;	       /* name occurrences replaced */
	uint64_t xattr_values; /* non-empty xattr values zeroed */
	uint64_t inline_extents;
	uint64_t transids;
	uint64_t reserved; /* inode items whose reserved bytes were not zero */
	uint64_t undefined; /* other items with undefined bytes set (reserved.h), each warned of */
	uint64_t rekeyed;  /* DIR_ITEM and INODE_EXTREF keys moved with a short name */
	uint64_t opaque;   /* verity and obsolete checksum items zeroed: bytes no one can check */
	uint64_t info_keys; /* -ss: tree block extent items whose copy of a name-hash key went to 0 */
};

/* Is type one of the item types below, whose records carry names? */
int item_holds_names(uint8_t type);

/* One record of a name-bearing item: its type, the record, and its name. */
typedef void (*name_record_fn)(void *ctx, uint8_t type, uint8_t *record, uint8_t *name, size_t name_len);

/*
 * Visit the records of one item of type DIR_ITEM, DIR_INDEX, XATTR_ITEM,
 * INODE_REF, INODE_EXTREF, ROOT_REF or ROOT_BACKREF.  Returns the number
 * of records, 0 for other types, or -1 when a record overruns the item (the
 * records before it were visited).
 */
int item_name_records(uint8_t type, uint8_t *item, uint32_t size, name_record_fn fn, void *ctx);

/*
 * Sanitize a leaf the sanitizer can read in full (readable.h; other blocks
 * are left alone).  Returns 1 if the block was changed (its checksum is
 * then stale).
 * xattr_map: the map for xattr names (see name_map_new).  sectorsize: the
 * filesystem's, for the free space bitmaps (reserved.h).  keep_inline_data:
 * the stream carries file data (-d), so inline extents are data the user
 * asked for and stay.  placement: names of 1..4 bytes were placed
 * (placement.h), so their DIR_ITEM and INODE_EXTREF keys follow them
 * (NULL: keys stay); logical: the block's address.
 */
int sanitize_block(struct name_map *map, struct name_map *xattr_map, uint8_t *block, uint32_t nodesize,
		   uint32_t sectorsize, int keep_inline_data, const struct placement *placement, uint64_t logical,
		   struct leaf_stats *stats);

#endif
