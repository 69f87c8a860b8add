#include "nameless.h"
#include "le.h"

/* Item types beyond btrfs.h that hold no name (numbers from the btrfs on-disk format). */
enum {
	FREE_SPACE_HEADER_KEY = 0, /* key (FREE_SPACE_OBJECTID, 0, block group): the v1 cache's header */
	ORPHAN_ITEM_KEY = 48,
	DIR_LOG_ITEM_KEY = 60,
	DIR_LOG_INDEX_KEY = 72,
	TREE_BLOCK_REF_KEY = 176,
	EXTENT_DATA_REF_KEY = 178,
	SHARED_BLOCK_REF_KEY = 182,
	SHARED_DATA_REF_KEY = 184,
	EXTENT_OWNER_REF_KEY = 172, /* only as an inline reference */
	FREE_SPACE_INFO_KEY = 198,
	FREE_SPACE_EXTENT_KEY = 199,
	RAID_STRIPE_KEY = 230,
	QGROUP_STATUS_KEY = 240,
	QGROUP_INFO_KEY = 242,
	QGROUP_LIMIT_KEY = 244,
	QGROUP_RELATION_KEY = 246,
	TEMPORARY_ITEM_KEY = 248,  /* the balance item */
	PERSISTENT_ITEM_KEY = 249, /* device statistics */
	DEV_REPLACE_KEY = 250,
	UUID_KEY_SUBVOL = 251,
	UUID_KEY_RECEIVED_SUBVOL = 252,
};

#define EXTENT_CSUM_OBJECTID ((uint64_t)-10)
#define ROOT_ITEM_FULL_SIZE 439
#define TREE_BLOCK_INFO_SIZE 18 /* the first key and level of a tree block's extent item */
#define INLINE_REF_HEADER 9	/* type byte, then an offset or the start of a data ref */
#define INLINE_DATA_REF_SIZE 29
#define INLINE_SHARED_DATA_REF_SIZE 13

static const char wrong_size[] = "item of the wrong size for its type";

/* An extent or metadata item: its 24 bytes, tree block info, and inline references that fill it exactly. */
static const char *extent_item_unreadable(const struct btrfs_key *key, const uint8_t *item, uint32_t size)
{
	uint32_t off = EXTENT_ITEM_MIN_SIZE;

	if (size < EXTENT_ITEM_MIN_SIZE)
		return wrong_size;
	if (key->type == BTRFS_EXTENT_ITEM_KEY && (get_le64(item, EXTENT_ITEM_FLAGS) & BTRFS_EXTENT_FLAG_TREE_BLOCK))
		off += TREE_BLOCK_INFO_SIZE;
	while (off < size) {
		uint32_t len;

		switch (item[off]) {
		case TREE_BLOCK_REF_KEY:
		case SHARED_BLOCK_REF_KEY:
		case EXTENT_OWNER_REF_KEY:
			len = INLINE_REF_HEADER;
			break;
		case EXTENT_DATA_REF_KEY:
			len = INLINE_DATA_REF_SIZE;
			break;
		case SHARED_DATA_REF_KEY:
			len = INLINE_SHARED_DATA_REF_SIZE;
			break;
		default:
			return "extent item with an inline reference of unknown type";
		}
		if (size - off < len)
			return "extent item inline reference overruns its item";
		off += len;
	}
	return off == size ? NULL : wrong_size;
}

/* A chunk item: 48 bytes and 32 per stripe, at least one. */
static const char *chunk_item_unreadable(const uint8_t *item, uint32_t size)
{
	uint32_t stripes;

	if (size < CHUNK_ITEM_HEADER + STRIPE_SIZE)
		return wrong_size;
	stripes = get_le16(item, CHUNK_NUM_STRIPES);
	return stripes && size == CHUNK_ITEM_HEADER + STRIPE_SIZE * stripes ? NULL : wrong_size;
}

/* A free space bitmap: one bit per sector of the range its key's offset gives. */
static const char *bitmap_unreadable(const struct btrfs_key *key, uint32_t size, uint32_t sectorsize)
{
	if (!sectorsize || key->offset % sectorsize)
		return wrong_size;
	return size && (key->offset / sectorsize + 7) / 8 == size ? NULL : wrong_size;
}

/* Sizes of the types whose items are a fixed number of bytes; -1: not such a type. */
static int64_t fixed_size(uint8_t type)
{
	switch (type) {
	case ORPHAN_ITEM_KEY:
	case TREE_BLOCK_REF_KEY:
	case SHARED_BLOCK_REF_KEY:
	case FREE_SPACE_EXTENT_KEY:
	case QGROUP_RELATION_KEY:
		return 0;
	case DIR_LOG_ITEM_KEY:
	case DIR_LOG_INDEX_KEY:
	case FREE_SPACE_INFO_KEY:
		return 8;
	case SHARED_DATA_REF_KEY:
		return 4;
	case EXTENT_DATA_REF_KEY:
		return 28;
	case BTRFS_BLOCK_GROUP_ITEM_KEY:
		return BLOCK_GROUP_ITEM_SIZE;
	case QGROUP_INFO_KEY:
	case QGROUP_LIMIT_KEY:
		return 40;
	case BTRFS_DEV_EXTENT_KEY:
		return 48;
	case DEV_REPLACE_KEY:
		return 72;
	case BTRFS_DEV_ITEM_KEY:
		return 98;
	case TEMPORARY_ITEM_KEY:
		return 448;
	}
	return -1;
}

/* The types whose sizes vary: NULL when this one's size fits, else why not; unknown types too. */
static const char *varying_unreadable(const struct btrfs_key *key, const uint8_t *item, uint32_t size,
				      uint32_t sectorsize)
{
	switch (key->type) {
	case FREE_SPACE_HEADER_KEY:
		/* location key, generation, entry and bitmap counts */
		return key->objectid == BTRFS_FREE_SPACE_OBJECTID && size == 41 ? NULL : "item of unknown type 0";
	case BTRFS_ROOT_ITEM_KEY:
		return size == ROOT_ITEM_MIN_SIZE || size == ROOT_ITEM_FULL_SIZE ? NULL : wrong_size;
	case BTRFS_EXTENT_ITEM_KEY:
	case BTRFS_METADATA_ITEM_KEY:
		return extent_item_unreadable(key, item, size);
	case BTRFS_CHUNK_ITEM_KEY:
		return chunk_item_unreadable(item, size);
	case BTRFS_FREE_SPACE_BITMAP_KEY:
		return bitmap_unreadable(key, size, sectorsize);
	case BTRFS_EXTENT_CSUM_KEY:
		/* Checksums of data, 4, 8 or 32 bytes each, under the one key objectid they have. */
		if (key->objectid != EXTENT_CSUM_OBJECTID)
			return "checksum item under another objectid";
		return size % 4 == 0 ? NULL : wrong_size;
	case BTRFS_CSUM_ITEM_KEY:
		return NULL; /* obsolete; zeroed whole (leaf.c) */
	case QGROUP_STATUS_KEY:
		return size == 32 || size == 40 ? NULL : wrong_size; /* 40: with the simple quota generation */
	case PERSISTENT_ITEM_KEY:
		return size && size <= 40 && size % 8 == 0 ? NULL : wrong_size; /* older kernels kept fewer */
	case UUID_KEY_SUBVOL:
	case UUID_KEY_RECEIVED_SUBVOL:
		return size && size % 8 == 0 ? NULL : wrong_size; /* subvolume ids */
	case RAID_STRIPE_KEY:
		/* strides of device id and physical address (16 bytes); the first format had an 8-byte
		 * encoding header and a length in each stride (24 bytes) */
		return size && (size % 16 == 0 || (size > 8 && (size - 8) % 24 == 0)) ? NULL : wrong_size;
	case BTRFS_VERITY_DESC_ITEM_KEY:
		/* the header (size, reserved, encryption); the descriptor after it is zeroed (leaf.c) */
		return key->offset || size == 25 ? NULL : wrong_size;
	case BTRFS_VERITY_MERKLE_ITEM_KEY:
		return NULL; /* hashes of the file's data, zeroed (leaf.c) */
	}
	return "item of a type the sanitizer does not know";
}

const char *nameless_item_unreadable(const struct btrfs_key *key, const uint8_t *item, uint32_t size,
				     uint32_t sectorsize)
{
	int64_t want = fixed_size(key->type);

	if (want >= 0)
		return size == want ? NULL : wrong_size;
	return varying_unreadable(key, item, size, sectorsize);
}
