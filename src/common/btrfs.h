/*
 * btrfs on-disk constants and byte offsets (the on-disk format of the btrfs
 * documentation, https://btrfs.readthedocs.io/en/latest/dev/On-disk-format.html,
 * checked against real filesystems by the tests).
 *
 * Offsets are relative to the start of the structure they name; read them
 * with le.h.  Only what the bimg programs use is here.
 */
#ifndef BIMG_COMMON_BTRFS_H
#define BIMG_COMMON_BTRFS_H

#include <stdint.h>

/* Device layout */
#define BTRFS_SUPER_OFFSET 65536ULL
#define BTRFS_SUPER_SIZE 4096
#define BTRFS_SUPER_MIRROR_MAX 3
#define BTRFS_MAGIC 0x4D5F53665248425FULL
#define BTRFS_UUID_SIZE 16
#define BTRFS_LABEL_SIZE 256
#define BTRFS_SYSTEM_CHUNK_ARRAY_SIZE 2048
#define BTRFS_MIN_NODESIZE 4096
#define BTRFS_MAX_NODESIZE 65536
#define BTRFS_MAX_LEVEL 8
#define BTRFS_NAME_MAX 255

/* Superblock fields */
#define SB_CSUM 0
#define SB_FSID 32
#define SB_BYTENR 48
#define SB_FLAGS 56
#define SB_MAGIC 64
#define SB_GENERATION 72
#define SB_ROOT 80
#define SB_CHUNK_ROOT 88
#define SB_LOG_ROOT 96
#define SB_TOTAL_BYTES 112
#define SB_BYTES_USED 120
#define SB_ROOT_DIR_OBJECTID 128
#define SB_NUM_DEVICES 136
#define SB_SECTORSIZE 144
#define SB_NODESIZE 148
#define SB_LEAFSIZE 152
#define SB_STRIPESIZE 156
#define SB_SYS_CHUNK_ARRAY_SIZE 160
#define SB_CHUNK_ROOT_GENERATION 164
#define SB_COMPAT_FLAGS 172
#define SB_COMPAT_RO_FLAGS 180
#define SB_INCOMPAT_FLAGS 188
#define SB_CSUM_TYPE 196
#define SB_ROOT_LEVEL 198
#define SB_CHUNK_ROOT_LEVEL 199
#define SB_LOG_ROOT_LEVEL 200
#define SB_DEV_ITEM 201
#define SB_LABEL 299
#define SB_CACHE_GENERATION 555
#define SB_UUID_TREE_GENERATION 563
#define SB_METADATA_UUID 571
#define SB_SYS_CHUNK_ARRAY 811
#define SB_SUPER_ROOTS 2859

/* Superblock / header flags */
#define BTRFS_SUPER_FLAG_WRITTEN (1ULL << 0)
#define BTRFS_SUPER_FLAG_SEEDING (1ULL << 32)
#define BTRFS_SUPER_FLAG_METADUMP (1ULL << 33)
#define BTRFS_SUPER_FLAG_METADUMP_V2 (1ULL << 34)
#define BTRFS_SUPER_FLAG_CHANGING_FSID (1ULL << 35)
#define BTRFS_SUPER_FLAG_CHANGING_FSID_V2 (1ULL << 36)

#define BTRFS_INCOMPAT_MIXED_GROUPS (1ULL << 2)
#define BTRFS_INCOMPAT_METADATA_UUID (1ULL << 10)
#define BTRFS_INCOMPAT_EXTENT_TREE_V2 (1ULL << 13)
#define BTRFS_COMPAT_RO_BLOCK_GROUP_TREE (1ULL << 3)

/* Device item (98 bytes); also embedded in the superblock at SB_DEV_ITEM */
#define DEV_ITEM_SIZE 98
#define DEV_ITEM_DEVID 0
#define DEV_ITEM_TOTAL_BYTES 8
#define DEV_ITEM_BYTES_USED 16
#define DEV_ITEM_IO_ALIGN 24
#define DEV_ITEM_IO_WIDTH 28
#define DEV_ITEM_SECTOR_SIZE 32
#define DEV_ITEM_TYPE 36
#define DEV_ITEM_GENERATION 44
#define DEV_ITEM_START_OFFSET 52
#define DEV_ITEM_DEV_GROUP 60
#define DEV_ITEM_SEEK_SPEED 64
#define DEV_ITEM_BANDWIDTH 65
#define DEV_ITEM_UUID 66
#define DEV_ITEM_FSID 82

/* Tree block header (101 bytes) */
#define HDR_CSUM 0
#define HDR_FSID 32
#define HDR_BYTENR 48
#define HDR_FLAGS 56
#define HDR_CHUNK_TREE_UUID 64
#define HDR_GENERATION 80
#define HDR_OWNER 88
#define HDR_NRITEMS 96
#define HDR_LEVEL 100
#define HDR_SIZE 101

/* Keys, leaf items, node pointers */
#define KEY_SIZE 17
#define KEY_OBJECTID 0
#define KEY_TYPE 8
#define KEY_OFFSET 9
#define ITEM_SIZE 25
#define ITEM_DATA_OFFSET 17
#define ITEM_DATA_SIZE 21
#define KEY_PTR_SIZE 33
#define KEY_PTR_BLOCKPTR 17
#define KEY_PTR_GENERATION 25

/* Item types */
#define BTRFS_INODE_ITEM_KEY 1
#define BTRFS_INODE_REF_KEY 12
#define BTRFS_INODE_EXTREF_KEY 13
#define BTRFS_XATTR_ITEM_KEY 24
#define BTRFS_VERITY_DESC_ITEM_KEY 36	/* offset 0: a 25-byte header; later offsets: the descriptor */
#define BTRFS_VERITY_MERKLE_ITEM_KEY 37
#define BTRFS_DIR_LOG_ITEM_KEY 60 /* older kernels' log trees: a range of DIR_ITEM hashes */
#define BTRFS_DIR_ITEM_KEY 84
#define BTRFS_DIR_INDEX_KEY 96
#define BTRFS_EXTENT_DATA_KEY 108
#define BTRFS_CSUM_ITEM_KEY 120 /* obsolete; the reference zeroes it anyway */
#define BTRFS_EXTENT_CSUM_KEY 128
#define BTRFS_ROOT_ITEM_KEY 132
#define BTRFS_ROOT_BACKREF_KEY 144
#define BTRFS_ROOT_REF_KEY 156
#define BTRFS_EXTENT_ITEM_KEY 168
#define BTRFS_METADATA_ITEM_KEY 169
#define BTRFS_BLOCK_GROUP_ITEM_KEY 192
#define BTRFS_FREE_SPACE_BITMAP_KEY 200 /* one bit per sector of the range its key's offset gives */
#define BTRFS_DEV_EXTENT_KEY 204
#define BTRFS_DEV_ITEM_KEY 216
#define BTRFS_CHUNK_ITEM_KEY 228

/* Object ids */
#define BTRFS_ROOT_TREE_OBJECTID 1ULL
#define BTRFS_EXTENT_TREE_OBJECTID 2ULL
#define BTRFS_CHUNK_TREE_OBJECTID 3ULL
#define BTRFS_DEV_TREE_OBJECTID 4ULL
#define BTRFS_FS_TREE_OBJECTID 5ULL
#define BTRFS_ROOT_TREE_DIR_OBJECTID 6ULL
#define BTRFS_CSUM_TREE_OBJECTID 7ULL
#define BTRFS_BLOCK_GROUP_TREE_OBJECTID 11ULL
#define BTRFS_DEV_ITEMS_OBJECTID 1ULL
#define BTRFS_FIRST_FREE_OBJECTID 256ULL
#define BTRFS_LAST_FREE_OBJECTID ((uint64_t)-256)
#define BTRFS_FIRST_CHUNK_TREE_OBJECTID 256ULL
#define BTRFS_TREE_LOG_OBJECTID ((uint64_t)-6)
#define BTRFS_TREE_RELOC_OBJECTID ((uint64_t)-8)
#define BTRFS_DATA_RELOC_TREE_OBJECTID ((uint64_t)-9)
#define BTRFS_FREE_SPACE_OBJECTID ((uint64_t)-11)

/* Root item */
#define ROOT_ITEM_GENERATION 160
#define ROOT_ITEM_BYTENR 176
#define ROOT_ITEM_REFS 216
#define ROOT_ITEM_DROP_PROGRESS 220 /* a key of the tree being deleted: where its deletion stopped */
#define ROOT_ITEM_DROP_LEVEL 237
#define ROOT_ITEM_LEVEL 238
#define ROOT_ITEM_MIN_SIZE 239

/* Extent item */
#define EXTENT_ITEM_FLAGS 16
#define EXTENT_ITEM_MIN_SIZE 24
#define BTRFS_EXTENT_FLAG_DATA (1ULL << 0)
#define BTRFS_EXTENT_FLAG_TREE_BLOCK (1ULL << 1)

/* Block group item */
#define BLOCK_GROUP_ITEM_FLAGS 16
#define BLOCK_GROUP_ITEM_SIZE 24

/* File extent item */
#define FILE_EXTENT_GENERATION 0
#define FILE_EXTENT_RAM_BYTES 8
#define FILE_EXTENT_COMPRESSION 16
#define FILE_EXTENT_TYPE 20
#define FILE_EXTENT_INLINE_DATA 21
#define FILE_EXTENT_DISK_BYTENR 21
#define FILE_EXTENT_DISK_NUM_BYTES 29
#define FILE_EXTENT_OFFSET 37
#define FILE_EXTENT_NUM_BYTES 45
#define FILE_EXTENT_REG_SIZE 53
#define BTRFS_FILE_EXTENT_INLINE 0
#define BTRFS_FILE_EXTENT_REG 1
#define BTRFS_FILE_EXTENT_PREALLOC 2

/* Directory item (DIR_ITEM, DIR_INDEX, XATTR_ITEM records) */
#define DIR_ITEM_LOCATION 0
#define DIR_ITEM_TRANSID 17
#define DIR_ITEM_DATA_LEN 25
#define DIR_ITEM_NAME_LEN 27
#define DIR_ITEM_TYPE 29
#define DIR_ITEM_HEADER 30
/* Inode ref: index u64, name_len u16, name */
#define INODE_REF_INDEX 0
#define INODE_REF_NAME_LEN 8
#define INODE_REF_HEADER 10
/* Inode extref: parent u64, index u64, name_len u16, name */
#define INODE_EXTREF_PARENT 0
#define INODE_EXTREF_INDEX 8
#define INODE_EXTREF_NAME_LEN 16
#define INODE_EXTREF_HEADER 18
/* Root ref / backref: dirid u64, sequence u64, name_len u16, name */
#define ROOT_REF_NAME_LEN 16
#define ROOT_REF_HEADER 18

/* Chunk item (48 bytes + 32 per stripe) */
#define CHUNK_LENGTH 0
#define CHUNK_OWNER 8
#define CHUNK_STRIPE_LEN 16
#define CHUNK_TYPE 24
#define CHUNK_IO_ALIGN 32
#define CHUNK_IO_WIDTH 36
#define CHUNK_SECTOR_SIZE 40
#define CHUNK_NUM_STRIPES 44
#define CHUNK_SUB_STRIPES 46
#define CHUNK_STRIPES 48
#define CHUNK_ITEM_HEADER 48
#define STRIPE_SIZE 32
#define STRIPE_DEVID 0
#define STRIPE_OFFSET 8
#define STRIPE_DEV_UUID 16

/* Block group / chunk type flags */
#define BTRFS_BLOCK_GROUP_DATA (1ULL << 0)
#define BTRFS_BLOCK_GROUP_SYSTEM (1ULL << 1)
#define BTRFS_BLOCK_GROUP_METADATA (1ULL << 2)
#define BTRFS_BLOCK_GROUP_RAID0 (1ULL << 3)
#define BTRFS_BLOCK_GROUP_RAID1 (1ULL << 4)
#define BTRFS_BLOCK_GROUP_DUP (1ULL << 5)
#define BTRFS_BLOCK_GROUP_RAID10 (1ULL << 6)
#define BTRFS_BLOCK_GROUP_RAID5 (1ULL << 7)
#define BTRFS_BLOCK_GROUP_RAID6 (1ULL << 8)
#define BTRFS_BLOCK_GROUP_RAID1C3 (1ULL << 9)
#define BTRFS_BLOCK_GROUP_RAID1C4 (1ULL << 10)
#define BTRFS_BLOCK_GROUP_TYPE_MASK \
	(BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_SYSTEM | BTRFS_BLOCK_GROUP_METADATA)
#define BTRFS_BLOCK_GROUP_PROFILE_MASK                                                       \
	(BTRFS_BLOCK_GROUP_RAID0 | BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_DUP |          \
	 BTRFS_BLOCK_GROUP_RAID10 | BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6 |       \
	 BTRFS_BLOCK_GROUP_RAID1C3 | BTRFS_BLOCK_GROUP_RAID1C4)

#endif
