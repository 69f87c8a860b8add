#include "chunk.h"
#include "le.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

static int is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

size_t chunk_item_size(const uint8_t *item, size_t avail)
{
	if (avail < CHUNK_ITEM_HEADER)
		return 0;
	return CHUNK_ITEM_HEADER + (size_t)STRIPE_SIZE * get_le16(item, CHUNK_NUM_STRIPES);
}

/* Fewest stripes each profile can have. */
static unsigned min_stripes(uint64_t type)
{
	if (type & BTRFS_BLOCK_GROUP_RAID1C4)
		return 4;
	if (type & (BTRFS_BLOCK_GROUP_RAID1C3 | BTRFS_BLOCK_GROUP_RAID6))
		return 3;
	if (type & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_RAID10 |
		    BTRFS_BLOCK_GROUP_RAID5))
		return 2;
	return 1;
}

const char *chunk_parse(const uint8_t *item, size_t item_len, uint64_t logical, struct chunk *out)
{
	uint64_t profile;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (item_len < CHUNK_ITEM_HEADER + STRIPE_SIZE)
		return "chunk item too short";
	out->logical = logical;
	out->length = get_le64(item, CHUNK_LENGTH);
	out->stripe_len = get_le64(item, CHUNK_STRIPE_LEN);
	out->type = get_le64(item, CHUNK_TYPE);
	out->num_stripes = get_le16(item, CHUNK_NUM_STRIPES);
	out->sub_stripes = get_le16(item, CHUNK_SUB_STRIPES);
	if (out->num_stripes == 0)
		return "chunk item has no stripes";
	if (chunk_item_size(item, item_len) != item_len)
		return "chunk item size does not match its stripe count";
	if (out->length == 0 || logical + out->length < logical)
		return "invalid chunk length";
	if (!is_power_of_two(out->stripe_len) || out->stripe_len > (1ULL << 30))
		return "invalid chunk stripe length";
	if (!(out->type & BTRFS_BLOCK_GROUP_TYPE_MASK))
		return "chunk has no data, metadata or system type";
	profile = out->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	if (profile & (profile - 1))
		return "chunk has more than one profile";
	if (out->num_stripes < min_stripes(out->type))
		return "too few stripes for the chunk profile";
	if ((profile & (BTRFS_BLOCK_GROUP_DUP)) && out->num_stripes != 2)
		return "DUP chunk without exactly two stripes";
	if ((profile & BTRFS_BLOCK_GROUP_RAID1) && out->num_stripes != 2)
		return "RAID1 chunk without exactly two stripes";
	if ((profile & BTRFS_BLOCK_GROUP_RAID1C3) && out->num_stripes != 3)
		return "RAID1C3 chunk without exactly three stripes";
	if ((profile & BTRFS_BLOCK_GROUP_RAID1C4) && out->num_stripes != 4)
		return "RAID1C4 chunk without exactly four stripes";
	if ((profile & BTRFS_BLOCK_GROUP_RAID10) &&
	    (out->sub_stripes < 2 || out->num_stripes % out->sub_stripes))
		return "RAID10 chunk with inconsistent sub stripes";
	out->stripes = xcalloc(out->num_stripes, sizeof(*out->stripes));
	for (i = 0; i < out->num_stripes; i++) {
		const uint8_t *s = item + CHUNK_STRIPES + (size_t)i * STRIPE_SIZE;
		out->stripes[i].devid = get_le64(s, STRIPE_DEVID);
		out->stripes[i].offset = get_le64(s, STRIPE_OFFSET);
		memcpy(out->stripes[i].dev_uuid, s + STRIPE_DEV_UUID, BTRFS_UUID_SIZE);
	}
	return NULL;
}

void chunk_free(struct chunk *c)
{
	free(c->stripes);
	c->stripes = NULL;
}

const char *chunk_array_walk(const uint8_t *array, size_t size, chunk_array_fn fn, void *ctx, size_t *error_offset)
{
	size_t pos = 0;

	while (pos < size) {
		struct chunk c;
		const char *err;
		size_t item_len;

		*error_offset = pos;
		if (size - pos < KEY_SIZE)
			return "truncated key in chunk array";
		if (get_le8(array, pos + KEY_TYPE) != BTRFS_CHUNK_ITEM_KEY)
			return "chunk array entry is not a chunk item";
		item_len = chunk_item_size(array + pos + KEY_SIZE, size - pos - KEY_SIZE);
		if (!item_len || item_len > size - pos - KEY_SIZE)
			return "truncated chunk item in chunk array";
		err = chunk_parse(array + pos + KEY_SIZE, item_len, get_le64(array, pos + KEY_OFFSET), &c);
		if (err)
			return err;
		err = fn(ctx, &c, array + pos + KEY_SIZE, item_len);
		chunk_free(&c);
		if (err)
			return err;
		pos += KEY_SIZE + item_len;
	}
	return NULL;
}

const char *chunk_profile_name(uint64_t type)
{
	if (type & BTRFS_BLOCK_GROUP_RAID0)
		return "raid0";
	if (type & BTRFS_BLOCK_GROUP_RAID1)
		return "raid1";
	if (type & BTRFS_BLOCK_GROUP_DUP)
		return "dup";
	if (type & BTRFS_BLOCK_GROUP_RAID10)
		return "raid10";
	if (type & BTRFS_BLOCK_GROUP_RAID5)
		return "raid5";
	if (type & BTRFS_BLOCK_GROUP_RAID6)
		return "raid6";
	if (type & BTRFS_BLOCK_GROUP_RAID1C3)
		return "raid1c3";
	if (type & BTRFS_BLOCK_GROUP_RAID1C4)
		return "raid1c4";
	return "single";
}

int chunk_num_copies(const struct chunk *c)
{
	if (c->type & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_RAID1C3 |
		       BTRFS_BLOCK_GROUP_RAID1C4))
		return c->num_stripes;
	if (c->type & BTRFS_BLOCK_GROUP_RAID10)
		return c->sub_stripes;
	return 1;
}

int chunk_map_copy(const struct chunk *c, uint64_t logical, int copy, uint64_t *devid, uint64_t *physical,
		   uint64_t *contiguous)
{
	uint64_t off, nr, in, row;
	unsigned index;

	if (logical < c->logical || logical - c->logical >= c->length)
		return -1;
	if (copy < 0 || copy >= chunk_num_copies(c))
		return -1;
	off = logical - c->logical;
	nr = off / c->stripe_len;
	in = off % c->stripe_len;

	if (c->type & BTRFS_BLOCK_GROUP_RAID0) {
		index = (unsigned)(nr % c->num_stripes);
		row = nr / c->num_stripes;
	} else if (c->type & BTRFS_BLOCK_GROUP_RAID10) {
		unsigned factor = c->num_stripes / c->sub_stripes;
		index = (unsigned)(nr % factor) * c->sub_stripes + (unsigned)copy;
		row = nr / factor;
	} else if (c->type & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6)) {
		unsigned data_stripes = c->num_stripes - ((c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1);
		uint64_t k = nr % data_stripes;
		row = nr / data_stripes;
		index = (unsigned)((row + k) % c->num_stripes);
	} else {
		/* single, dup, raid1*: every copy is the whole chunk, linear. */
		*devid = c->stripes[copy].devid;
		*physical = c->stripes[copy].offset + off;
		*contiguous = c->length - off;
		return 0;
	}
	*devid = c->stripes[index].devid;
	*physical = c->stripes[index].offset + row * c->stripe_len + in;
	*contiguous = c->stripe_len - in;
	if (*contiguous > c->length - off)
		*contiguous = c->length - off;
	return 0;
}

void chunk_map_init(struct chunk_map *map)
{
	memset(map, 0, sizeof(*map));
}

void chunk_map_free(struct chunk_map *map)
{
	size_t i;

	for (i = 0; i < map->count; i++)
		chunk_free(&map->chunks[i]);
	free(map->chunks);
	memset(map, 0, sizeof(*map));
}

/* Index of the first chunk whose end is above logical. */
static size_t chunk_map_search(const struct chunk_map *map, uint64_t logical)
{
	size_t lo = 0, hi = map->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct chunk *c = &map->chunks[mid];
		if (c->logical + c->length <= logical)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *chunk_map_add(struct chunk_map *map, struct chunk *c)
{
	size_t pos = chunk_map_search(map, c->logical);

	if (pos < map->count) {
		struct chunk *old = &map->chunks[pos];
		if (old->logical == c->logical && old->length == c->length) {
			chunk_free(old);
			*old = *c;
			c->stripes = NULL;
			return NULL;
		}
		if (old->logical < c->logical + c->length) {
			chunk_free(c);
			return "chunk overlaps another chunk";
		}
	}
	if (map->count == map->capacity) {
		map->capacity = map->capacity ? map->capacity * 2 : 64;
		map->chunks = xrealloc(map->chunks, map->capacity * sizeof(*map->chunks));
	}
	memmove(&map->chunks[pos + 1], &map->chunks[pos], (map->count - pos) * sizeof(*map->chunks));
	map->chunks[pos] = *c;
	c->stripes = NULL;
	map->count++;
	return NULL;
}

const struct chunk *chunk_map_lookup(const struct chunk_map *map, uint64_t logical)
{
	size_t pos = chunk_map_search(map, logical);

	if (pos < map->count && map->chunks[pos].logical <= logical)
		return &map->chunks[pos];
	return NULL;
}
