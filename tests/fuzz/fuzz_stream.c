/*
 * Fuzz the record stream reader: the input is what a stage would read on
 * stdin.  Every record goes through the typed parsers the stages use, and
 * CHUNK / SUPERBLOCK / TREE_BLOCK payloads through the checks a consumer
 * would run on them.
 */
#include "chunk.h"
#include "fuzz_common.h"
#include "stream.h"
#include "super.h"
#include "tree.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static struct stream_reader reader;
static struct chunk_map map;
static struct fs_info info;
static int have_info;
static struct chunk_limits limits; /* from the SUPERBLOCK record once one parses */

static const char *add_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	struct chunk copy;
	const char *err = chunk_parse(item, item_len, c->logical, &limits, &copy);

	(void)ctx;
	if (err)
		return err;
	return chunk_map_add(&map, &copy);
}

static void use_record(const struct record *rec)
{
	uint64_t logical, flags;
	size_t len, error_offset;
	struct super_info si;
	const uint8_t *p;

	switch (rec->type) {
	case REC_FS_INFO:
		record_fs_info(rec, &info);
		have_info = 1;
		break;
	case REC_SUPERBLOCK:
		if (rec->len == BTRFS_SUPER_SIZE && !super_parse(rec->payload, &si, 1))
			limits = chunk_limits_of(&si);
		break;
	case REC_CHUNK:
		(void)chunk_array_walk(rec->payload, rec->len, &limits, add_chunk, NULL, &error_offset);
		break;
	case REC_TREE_BLOCK:
		if (!have_info)
			break;
		p = record_tree_block(rec, info.nodesize, &logical, &flags);
		(void)tree_block_check(p, info.nodesize, logical, info.header_fsid, info.csum_type, TREE_CHECK_ALL);
		(void)chunk_map_lookup(&map, logical);
		break;
	case REC_DATA:
		p = record_data(rec, &logical, &flags, &len);
		(void)p;
		(void)chunk_map_lookup(&map, logical);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	int fd;

	fuzz_setup();
	fd = memfd_create("fuzz-stream", 0);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	chunk_map_init(&map);
	limits = fuzz_loosest_chunk_limits();
	have_info = 0;
	reader.buf = NULL;
	FUZZ_TRY {
		stream_reader_init(&reader, fd, "fuzz input");
		while (stream_read(&reader, &rec))
			use_record(&rec);
	}
	msg_set_die_jump(NULL);
	stream_reader_free(&reader);
	chunk_map_free(&map);
	close(fd);
	return 0;
}
