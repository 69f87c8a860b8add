/*
 * The chunk map: first the system chunks of the superblock (enough to read
 * the chunk tree), then every chunk of the chunk tree.  Each chunk of the
 * chunk tree also becomes a CHUNK record, in logical order, so that the
 * stages downstream can map addresses before the first tree block arrives.
 *
 * Beyond what chunk_parse() checks against the superblock, every stripe
 * must lie on its device (as the device's own superblock sizes it, so that
 * a truncated image still maps and its reads come up short instead).
 */
#include "chunks.h"
#include "cursor.h"
#include "devices.h"
#include "le.h"
#include "msg.h"
#include "tree.h"

#include <stdio.h>
#include <string.h>

/* NULL, or what is wrong (in a static buffer). */
static const char *chunk_misfit(const struct scan_fs *fs, const struct chunk *c)
{
	static char why[200];
	uint64_t per_stripe = chunk_stripe_bytes(c);
	unsigned i;

	for (i = 0; i < c->num_stripes; i++) {
		const struct chunk_stripe *s = &c->stripes[i];
		const struct scan_device *d = device_by_id(fs, s->devid);

		if (d && (s->offset > d->total_bytes || per_stripe > d->total_bytes - s->offset)) {
			snprintf(why, sizeof(why),
				 "stripe %u (devid %llu, offset %llu, %llu bytes) lies beyond the end of the device "
				 "(%llu bytes)",
				 i, (unsigned long long)s->devid, (unsigned long long)s->offset,
				 (unsigned long long)per_stripe, (unsigned long long)d->total_bytes);
			return why;
		}
	}
	return NULL;
}

static const char *add_system_chunk(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len)
{
	struct scan_fs *fs = ctx;
	struct chunk copy = *c;
	const char *err = chunk_misfit(fs, c);

	(void)item;
	(void)item_len;
	if (err)
		return err;
	/* chunk_array_walk frees c's stripes after this returns: give the map its own. */
	copy.stripes = xcalloc(c->num_stripes, sizeof(*c->stripes));
	memcpy(copy.stripes, c->stripes, c->num_stripes * sizeof(*c->stripes));
	return chunk_map_add(&fs->map, &copy);
}

static void load_system_chunks(struct scan_fs *fs)
{
	size_t bad = 0;
	struct chunk_limits limits = chunk_limits_of(&fs->sb);
	const char *err = chunk_array_walk(fs->sb_raw + SB_SYS_CHUNK_ARRAY, fs->sb.sys_chunk_array_size, &limits,
					   add_system_chunk, fs, &bad);

	if (err)
		die("%s: superblock system chunk array, entry at offset %zu: %s", fs->name, bad, err);
	if (fs->map.count == 0)
		die("%s: superblock system chunk array is empty", fs->name);
}

/* One chunk item of a chunk tree leaf: into the map and the stream. */
static void chunk_tree_item(struct scan_fs *fs, const uint8_t *leaf, uint32_t slot, const struct btrfs_key *key,
			    uint32_t off, uint32_t size)
{
	struct chunk_limits limits = chunk_limits_of(&fs->sb);
	struct chunk c;
	const char *err;
	uint8_t disk_key[KEY_SIZE];

	if (key->objectid != BTRFS_FIRST_CHUNK_TREE_OBJECTID)
		die("%s: chunk tree block %llu slot %u: chunk item with objectid %llu", fs->name,
		    (unsigned long long)tree_block_bytenr(leaf), slot, (unsigned long long)key->objectid);
	err = chunk_parse(leaf + off, size, key->offset, &limits, &c);
	if (err)
		die("%s: chunk tree block %llu slot %u (chunk %llu): %s", fs->name,
		    (unsigned long long)tree_block_bytenr(leaf), slot, (unsigned long long)key->offset, err);
	err = chunk_misfit(fs, &c);
	if (!err)
		err = chunk_map_add(&fs->map, &c);
	if (err)
		die("%s: chunk tree block %llu slot %u (chunk %llu): %s", fs->name,
		    (unsigned long long)tree_block_bytenr(leaf), slot, (unsigned long long)key->offset, err);
	/* The record carries the key and item exactly as a system chunk array entry. */
	memcpy(disk_key, leaf + HDR_SIZE + (size_t)ITEM_SIZE * slot, KEY_SIZE);
	stream_write(fs->out, REC_CHUNK, 0, disk_key, KEY_SIZE, leaf + off, size);
}

void chunks_load(struct scan_fs *fs)
{
	struct tree_cursor c;
	size_t chunks = 0;
	uint64_t last = 0;

	load_system_chunks(fs);
	cursor_open(&c, fs, fs->sb.chunk_root, fs->sb.chunk_root_level, "chunk tree");
	if (tree_block_owner(c.nodes[c.top]) != BTRFS_CHUNK_TREE_OBJECTID)
		die("%s: tree block %llu: chunk tree root has owner %llu", fs->name,
		    (unsigned long long)fs->sb.chunk_root, (unsigned long long)tree_block_owner(c.nodes[c.top]));
	while (c.valid) {
		struct btrfs_key key;
		uint32_t off, size;

		/* The cursor only stops on items that lie inside their leaf. */
		leaf_item(cursor_leaf(&c), fs->nodesize, cursor_slot(&c), &key, &off, &size);
		if (key.type == BTRFS_CHUNK_ITEM_KEY) {
			/* CHUNK records promise logical order; a disordered leaf must not break it. */
			if (chunks && key.offset <= last)
				die("%s: tree block %llu: chunk items out of order", fs->name,
				    (unsigned long long)tree_block_bytenr(cursor_leaf(&c)));
			last = key.offset;
			chunk_tree_item(fs, cursor_leaf(&c), cursor_slot(&c), &key, off, size);
			chunks++;
		}
		cursor_next(&c);
	}
	cursor_close(&c);
	if (!chunks)
		die("%s: the chunk tree has no chunks", fs->name);
}
