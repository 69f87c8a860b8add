/*
 * Fuzz the btrfs-image index block parser and the payload path of
 * bimg-unpack.  The input is one cluster: a 1024-byte index block
 * (zero-padded if short) followed by the payloads of its items.  Each item
 * whose payload is there is inflated (when the cluster is compressed) by
 * bimg-unpack's inflate_item and handed to its items_emit, which parses
 * the superblock item and turns the rest into tree block or data records;
 * the records go to a --list or --info sink writing to /dev/null (byte
 * 1023 of the index block, never used by an index, picks which).
 */
#include "fuzz_common.h"
#include "image.h"
#include "inflate_item.h"
#include "items.h"
#include "le.h"
#include "sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * bimg-unpack lets an item inflate to twice the format's merge limit: 512
 * KiB for v0 (inflate_item's whole-buffer path) and 512 MiB for v1 (its
 * streaming path).  The fuzzer keeps the v0 limit and caps the v1 one, so
 * a zlib bomb costs milliseconds, not seconds, and both paths are taken.
 */
#define FUZZ_INFLATE_LIMIT (4u << 20)

static FILE *devnull;
static struct record_sink sink;
static struct item_emitter emitter;
static struct item_job job;

static void check_index(const uint8_t *block)
{
	struct image_index index;
	uint64_t offset = get_le64(block, IMAGE_IDX_BYTENR);
	int expected;
	uint32_t i;

	(void)image_index_parse(block, offset + IMAGE_BLOCK_SIZE, -1, &index);
	for (expected = -1; expected <= 1; expected++) {
		if (image_index_parse(block, offset, expected, &index))
			continue;
		if (index.nritems == 0 || index.nritems > IMAGE_ITEMS_PER_CLUSTER)
			__builtin_trap(); /* a parsed index must have a usable item count */
		for (i = 0; i < index.nritems; i++)
			if (index.items[i].size == 0 || index.items[i].size > image_max_stored_size(index.compressed))
				__builtin_trap();
	}
}

/* Inflate (or copy) the payload into job.bytes and emit it; 0 once a die() stopped the cluster. */
static int emit_item(const struct image_index *index, uint32_t i, const uint8_t *stored)
{
	volatile int ok = 0;

	memset(&job, 0, sizeof(job));
	job.index = i;
	job.bytenr = index->items[i].bytenr;
	job.compressed = index->compressed;
	job.limit = 2 * (size_t)image_max_pending(index->version);
	if (job.limit > FUZZ_INFLATE_LIMIT)
		job.limit = FUZZ_INFLATE_LIMIT;
	job.stored_len = index->items[i].size;
	if (job.compressed) {
		job.error = inflate_item(stored, job.stored_len, job.limit, &job.bytes, &job.len, job.errbuf,
					 sizeof(job.errbuf));
	} else {
		/* An exact-size copy, so that ASan sees any read past the item. */
		job.bytes = xmalloc(job.stored_len);
		memcpy(job.bytes, stored, job.stored_len);
		job.len = job.stored_len;
	}
	FUZZ_TRY {
		items_emit(&emitter, &job);
		ok = 1;
	}
	msg_set_die_jump(NULL);
	free(job.bytes);
	job.bytes = NULL;
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t block[IMAGE_BLOCK_SIZE];
	struct image_index index;
	const uint8_t *payload = data + (size > IMAGE_BLOCK_SIZE ? IMAGE_BLOCK_SIZE : size);
	size_t payload_len = size > IMAGE_BLOCK_SIZE ? size - IMAGE_BLOCK_SIZE : 0;
	uint64_t pos = 0, super_pos = 0;
	uint32_t i, super_slot = IMAGE_ITEMS_PER_CLUSTER;
	int alive = 1;

	fuzz_setup();
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	memset(block, 0, sizeof(block));
	memcpy(block, data, size < sizeof(block) ? size : sizeof(block));
	check_index(block);
	if (image_index_parse(block, get_le64(block, IMAGE_IDX_BYTENR), -1, &index))
		return 0;

	sink_init(&sink, (block[IMAGE_BLOCK_SIZE - 1] & 1) ? SINK_INFO : SINK_LIST);
	sink.out = devnull;
	items_emitter_init(&emitter, "fuzz input", &sink);
	emitter.version = index.version;
	/* As in bimg-unpack, the superblock item goes first whatever its slot. */
	for (i = 0; i < index.nritems; i++) {
		if (index.items[i].bytenr == IMAGE_SUPER_BYTENR && index.items[i].size <= payload_len - pos) {
			super_slot = i;
			super_pos = pos;
			break;
		}
		if (index.items[i].size > payload_len - pos)
			break;
		pos += index.items[i].size;
	}
	if (super_slot < index.nritems)
		alive = emit_item(&index, super_slot, payload + super_pos);
	pos = 0;
	for (i = 0; alive && i < index.nritems; i++) {
		if (index.items[i].size > payload_len - pos)
			break; /* truncated cluster */
		if (i != super_slot)
			alive = emit_item(&index, i, payload + pos);
		pos += index.items[i].size;
	}
	if (alive) {
		FUZZ_TRY {
			sink_finish(&sink);
		}
		msg_set_die_jump(NULL);
	}
	VEC_FREE(sink.owners);
	hashmap_free(&sink.owner_index);
	return 0;
}
