#include "image.h"
#include "le.h"
#include "stream.h"
#include "xio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int image_version_of(const uint8_t *block)
{
	uint64_t magic = get_le64(block, IMAGE_IDX_MAGIC);

	if (magic == IMAGE_MAGIC_V0)
		return 0;
	if (magic == IMAGE_MAGIC_V1)
		return 1;
	return -1;
}

uint64_t image_max_pending(int version)
{
	return version == 1 ? IMAGE_MAX_PENDING_V1 : IMAGE_MAX_PENDING_V0;
}

uint64_t image_max_stored_size(int compressed)
{
	/*
	 * An uncompressed item is at most one merged range; one data extent
	 * can exceed the merge limit, but never the v1 limit.  Deflate grows
	 * incompressible data a little (zlib's bound: n/4096 + n/16384 + 13
	 * bytes more), so a compressed 256 MiB item may be somewhat larger.
	 */
	return IMAGE_MAX_PENDING_V1 + (compressed ? IMAGE_MAX_PENDING_V1 >> 11 : 0);
}

const char *image_index_parse(const uint8_t block[IMAGE_BLOCK_SIZE], uint64_t offset, int expected_version,
			      struct image_index *index)
{
	uint32_t i;
	uint8_t compress;

	index->version = image_version_of(block);
	if (index->version < 0)
		return "bad index block magic";
	if (expected_version >= 0 && index->version != expected_version)
		return "index block magic differs from the first cluster's";
	index->bytenr = get_le64(block, IMAGE_IDX_BYTENR);
	if (index->bytenr != offset)
		return "index block bytenr does not match its file offset";
	index->nritems = get_le32(block, IMAGE_IDX_NRITEMS);
	if (index->nritems == 0 || index->nritems > IMAGE_ITEMS_PER_CLUSTER)
		return "index block item count out of range (1..83)";
	compress = get_le8(block, IMAGE_IDX_COMPRESS);
	if (compress > 1)
		return "unknown compression in index block";
	index->compressed = compress;
	for (i = 0; i < index->nritems; i++) {
		const uint8_t *e = block + IMAGE_HEADER_SIZE + (size_t)i * IMAGE_ITEM_SIZE;
		index->items[i].bytenr = get_le64(e, IMAGE_ITEM_BYTENR);
		index->items[i].size = get_le32(e, IMAGE_ITEM_SIZE_FIELD);
		if (index->items[i].size == 0)
			return "index item with zero size";
		if (index->items[i].size > image_max_stored_size(compress))
			return "index item larger than the format allows";
	}
	return NULL;
}

const char *image_or_stream_at_start(int fd)
{
	uint8_t head[16];

	if (pread_full(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return NULL;
	if (memcmp(head, STREAM_MAGIC, strlen(STREAM_MAGIC)) == 0)
		return "a bimg record stream";
	if (image_version_of(head) >= 0 && get_le64(head, IMAGE_IDX_BYTENR) == 0)
		return "a btrfs-image file";
	return NULL;
}

const char *stdout_image_or_stream(void)
{
	const char *what = NULL;
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	/* Opened write-only by the shell: read it through /proc. */
	fd = open("/proc/self/fd/1", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		what = image_or_stream_at_start(fd);
		close(fd);
	}
	return what;
}
