#include "reserved.h"
#include "btrfs.h"
#include "msg.h"
#include "readable.h"

#include <stdio.h>

#define TEMPORARY_ITEM_KEY 248 /* the balance item (nameless.c) */

/* The item types with undefined bytes, in the order of their warnings. */
static const struct {
	uint8_t type;
	const char *name;
} types[] = {
	{ BTRFS_VERITY_DESC_ITEM_KEY, "VERITY_DESC_ITEM" },
	{ BTRFS_EXTENT_DATA_KEY, "EXTENT_DATA" },
	{ BTRFS_ROOT_ITEM_KEY, "ROOT_ITEM" },
	{ TEMPORARY_ITEM_KEY, "BALANCE_ITEM" },
};

/*
 * The ranges, from the layouts of btrfs-progs 6.19 (docs/sanitize.md, "What is replaced or
 * cleared").  Audited and left alone, having no byte their layout leaves undefined: the device
 * item (dev_group, seek_speed and bandwidth are fields, written 0), block group, device extent,
 * chunk, extent and metadata items and their inline references, free space info and header,
 * quota items, device replace and statistics, uuid tree items, inode refs and extrefs, dir
 * items, root refs, the checksum items.  The raid stripe tree's first format had 7 reserved
 * bytes after its encoding byte, but its items cannot always be told from the current format's
 * by their size (nameless.c), so they are not touched.
 */
static const struct {
	uint8_t type_index; /* in types[] */
	uint32_t offset, len;
	const char *what;
} ranges[] = {
	/* the descriptor header (key offset 0): size u64, reserved u64[2], encryption u8 */
	{ 0, 8, 16, "reserved" },
	/* file extent: compression and encryption bytes, then a u16 "spare for later use" */
	{ 1, 18, 2, "other_encoding, spare" },
	/* root item: the embedded inode item's reserved u64[4], and reserved u64[8] after rtime */
	{ 2, 80, 32, "reserved, in its inode item" },
	{ 2, 375, 64, "reserved" },
	/* balance item: flags u64, three 136-byte filters (data, metadata, system) whose last 48
	 * bytes are unused u64[6], then unused u64[4] */
	{ 3, 8 + 88, 48, "unused, in the data filter" },
	{ 3, 144 + 88, 48, "unused, in the metadata filter" },
	{ 3, 280 + 88, 48, "unused, in the system filter" },
	{ 3, 416, 32, "unused" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(COUNT(types) <= COUNT(((struct reserved_found *)0)->items), "one counter per type");
_Static_assert(COUNT(ranges) <= 32, "one bit per range");

static int applies(const struct btrfs_key *key, unsigned r, uint32_t size)
{
	if (key->type != types[ranges[r].type_index].type || ranges[r].offset + ranges[r].len > size)
		return 0;
	/* later verity items (offset > 0) are the descriptor's bytes, data (leaf.c) */
	return key->type != BTRFS_VERITY_DESC_ITEM_KEY || key->offset == 0;
}

/*
 * A free space bitmap whose range is not a multiple of 8 sectors: the bits
 * of its last byte past the range's last sector mean nothing.  The size
 * must be the one the range gives (readable.h); any other is left alone.
 */
static int clear_bitmap_tail(const struct btrfs_key *key, uint8_t *item, uint32_t size, uint32_t sectorsize,
			     struct reserved_found *found)
{
	uint64_t sectors;
	uint8_t in_range;

	if (!sectorsize)
		return 0;
	sectors = key->offset / sectorsize;
	if (sectors % 8 == 0 || (sectors + 7) / 8 != size)
		return 0;
	/* bit i of the range is bit i % 8 of byte i / 8 */
	in_range = (uint8_t)((1u << (sectors % 8)) - 1);
	if (!(item[size - 1] & ~in_range))
		return 0;
	item[size - 1] &= in_range;
	found->bitmap_tails++;
	return 1;
}

int reserved_zero_item(const struct btrfs_key *key, uint8_t *item, uint32_t size, uint32_t sectorsize,
		       struct reserved_found *found)
{
	int changed = 0;
	unsigned type_index = 0;

	if (key->type == BTRFS_FREE_SPACE_BITMAP_KEY)
		return clear_bitmap_tail(key, item, size, sectorsize, found);

	for (unsigned r = 0; r < COUNT(ranges); r++) {
		if (!applies(key, r, size) || !zero_if_set(item + ranges[r].offset, ranges[r].len))
			continue;
		found->ranges |= 1u << r;
		type_index = ranges[r].type_index;
		changed = 1;
	}
	if (changed)
		found->items[type_index]++;
	return changed;
}

void reserved_report(const struct reserved_found *found, uint64_t logical)
{
	if (found->bitmap_tails)
		warn("tree block %llu: FREE_SPACE_BITMAP (type %u) bits past the last sector of its range were set "
		     "in %u item%s: cleared",
		     (unsigned long long)logical, BTRFS_FREE_SPACE_BITMAP_KEY, found->bitmap_tails,
		     found->bitmap_tails == 1 ? "" : "s");
	for (unsigned t = 0; t < COUNT(types); t++) {
		char list[256];
		size_t used = 0;

		if (!found->items[t])
			continue;
		for (unsigned r = 0; r < COUNT(ranges); r++)
			if (ranges[r].type_index == t && (found->ranges & (1u << r)) && used < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%u..%u (%s)",
							 used ? ", " : "", ranges[r].offset,
							 ranges[r].offset + ranges[r].len - 1, ranges[r].what);
		warn("tree block %llu: %s (type %u) bytes %s of %u item%s were not zero: zeroed",
		     (unsigned long long)logical, types[t].name, types[t].type, list, found->items[t],
		     found->items[t] == 1 ? "" : "s");
	}
}
