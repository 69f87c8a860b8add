/*
 * The btrfs-image ("metadump") file format, shared by bimg-pack (writer)
 * and bimg-unpack (reader).  Layout (docs/image-format.md):
 *
 *   cluster := index block (1024 bytes) + payloads of its items + zero
 *              padding to the next multiple of 1024
 *   index   := le64 magic, le64 file offset of this index block,
 *              le32 nritems (1..83), u8 compress (0 raw, 1 zlib),
 *              then nritems x (le64 logical bytenr, le32 stored size)
 *
 * There is no trailer: the image ends where the file ends.
 */
#ifndef BIMG_COMMON_IMAGE_H
#define BIMG_COMMON_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAGIC_V0 0xBD5C25E27295668BULL
#define IMAGE_MAGIC_V1 0x31765F506D55445FULL /* "_DUmP_v1" */
#define IMAGE_BLOCK_SIZE 1024
#define IMAGE_HEADER_SIZE 21
#define IMAGE_ITEM_SIZE 12
#define IMAGE_ITEMS_PER_CLUSTER ((IMAGE_BLOCK_SIZE - IMAGE_HEADER_SIZE) / IMAGE_ITEM_SIZE) /* 83 */
#define IMAGE_IDX_MAGIC 0
#define IMAGE_IDX_BYTENR 8
#define IMAGE_IDX_NRITEMS 16
#define IMAGE_IDX_COMPRESS 20
#define IMAGE_ITEM_BYTENR 0
#define IMAGE_ITEM_SIZE_FIELD 8
/* Largest merged item ("max pending size") per format version. */
#define IMAGE_MAX_PENDING_V0 (256u << 10)
#define IMAGE_MAX_PENDING_V1 (256u << 20)
/* Logical address of the superblock item. */
#define IMAGE_SUPER_BYTENR 65536ULL

struct image_item {
	uint64_t bytenr;
	uint32_t size; /* as stored (compressed size when compressed) */
};

struct image_index {
	int version; /* 0 or 1 */
	uint64_t bytenr;
	uint32_t nritems;
	int compressed;
	struct image_item items[IMAGE_ITEMS_PER_CLUSTER];
};

/* Version (0 or 1) for an index block's magic, or -1. */
int image_version_of(const uint8_t *block);
/* Largest merged item for a version. */
uint64_t image_max_pending(int version);
/* Largest stored size an index item may announce, raw or compressed. */
uint64_t image_max_stored_size(int compressed);

/*
 * Parse and validate an index block found at file offset `offset`.
 * expected_version: -1 to accept either, else the version of the first
 * cluster.  Returns NULL or a static message saying what is wrong.
 */
const char *image_index_parse(const uint8_t block[IMAGE_BLOCK_SIZE], uint64_t offset, int expected_version,
			      struct image_index *index);

/*
 * What a file or device about to be written in place starts with, when it
 * is what our programs read: "a btrfs-image file" or "a bimg record
 * stream", else NULL.  Most likely the very one being read through a pipe
 * (bimg-unpack X | bimg-fixchunks X), which no comparison of names sees.
 */
const char *image_or_stream_at_start(int fd);
/*
 * The same for standard output when it is a regular file, which a program
 * writes in place (the shell's 1<>X or >>X; >X empties it first).
 */
const char *stdout_image_or_stream(void);

#endif
