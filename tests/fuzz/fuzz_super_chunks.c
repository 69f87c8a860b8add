/*
 * Fuzz superblock parsing, the system chunk array walk, and the chunk map
 * built from it: every chunk is added to a map, looked up, and every copy
 * of a few addresses in it is mapped to a device.  The input is a
 * superblock (short inputs are zero-padded to 4096 bytes).
 */
#include "chunk.h"
#include "fuzz_common.h"
#include "super.h"

#include <string.h>

static struct chunk_map map;
static struct chunk_limits limits;

static void map_addresses(const struct chunk *c)
{
	uint64_t probes[4], devid, physical, contiguous;
	int copies = chunk_num_copies(c), i, j;

	probes[0] = c->logical;
	probes[1] = c->logical + c->length - 1;
	probes[2] = c->logical + c->length / 2;
	probes[3] = c->logical + c->stripe_len * 3 + 1;
	for (i = 0; i < 4; i++) {
		if (chunk_map_lookup(&map, probes[i]) == NULL && probes[i] - c->logical < c->length)
			__builtin_trap(); /* the chunk was just added: it must be found */
		for (j = -1; j <= copies; j++)
			(void)chunk_map_copy(c, probes[i], j, &devid, &physical, &contiguous);
	}
	(void)chunk_profile_name(c->type);
}

static const char *add_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	struct chunk copy;
	const char *err = chunk_parse(item, item_len, c->logical, &limits, &copy);

	(void)ctx;
	if (err)
		__builtin_trap(); /* the walk parsed this very item successfully */
	err = chunk_map_add(&map, &copy);
	if (!err)
		map_addresses(c);
	return NULL; /* keep walking: overlaps are the map's business */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t sb[BTRFS_SUPER_SIZE];
	struct super_info info;
	size_t error_offset;
	int check;

	fuzz_setup();
	memset(sb, 0, sizeof(sb));
	memcpy(sb, data, size < sizeof(sb) ? size : sizeof(sb));
	for (check = 0; check <= 1; check++) {
		if (super_parse(sb, &info, check))
			continue;
		chunk_map_init(&map);
		limits = chunk_limits_of(&info);
		FUZZ_TRY {
			(void)chunk_array_walk(sb + SB_SYS_CHUNK_ARRAY, info.sys_chunk_array_size, &limits, add_chunk,
					       NULL, &error_offset);
		}
		msg_set_die_jump(NULL);
		chunk_map_free(&map);
	}
	/* The walk on its own, over arbitrary bytes (as a CHUNK record would carry). */
	chunk_map_init(&map);
	limits = fuzz_loosest_chunk_limits();
	FUZZ_TRY {
		(void)chunk_array_walk(data, size, &limits, add_chunk, NULL, &error_offset);
	}
	msg_set_die_jump(NULL);
	chunk_map_free(&map);
	return 0;
}
