#include "chunk.h"
#include "le.h"
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* chunk_parse's messages: one at a time, like the static strings they replace. */
static char why[256];

__attribute__((format(printf, 1, 2))) static const char *because(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return why;
}

struct chunk_limits chunk_limits_of(const struct super_info *sb)
{
	struct chunk_limits l = { sb->sectorsize, sb->total_bytes, sb->num_devices };

	return l;
}

size_t chunk_item_size(const uint8_t *item, size_t avail)
{
	if (avail < CHUNK_ITEM_HEADER)
		return 0;
	return CHUNK_ITEM_HEADER + (size_t)STRIPE_SIZE * get_le16(item, CHUNK_NUM_STRIPES);
}

/* The stripe count each profile needs; stripes beyond the first copy lie on distinct devices. */
static const char *check_stripes(const struct chunk *c, const struct chunk_limits *l)
{
	uint64_t profile = c->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	const char *name = chunk_profile_name(c->type);
	unsigned exactly = 0, at_least = 1;

	if (profile & (profile - 1))
		return "chunk has more than one profile";
	if (!profile)
		exactly = 1;
	else if (profile & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1))
		exactly = 2;
	else if (profile & BTRFS_BLOCK_GROUP_RAID1C3)
		exactly = 3;
	else if (profile & BTRFS_BLOCK_GROUP_RAID1C4)
		exactly = 4;
	else if (profile & (BTRFS_BLOCK_GROUP_RAID10 | BTRFS_BLOCK_GROUP_RAID5))
		at_least = 2;
	else if (profile & BTRFS_BLOCK_GROUP_RAID6)
		at_least = 3;
	if (exactly && c->num_stripes != exactly)
		return because("%s chunk with %u stripes (%s has exactly %u)", name, c->num_stripes, name, exactly);
	if (c->num_stripes < at_least)
		return because("%s chunk with %u stripes (%s needs at least %u)", name, c->num_stripes, name,
			       at_least);
	if ((profile & BTRFS_BLOCK_GROUP_RAID10) && (c->sub_stripes != 2 || c->num_stripes % 2))
		return because("raid10 chunk with %u stripes of %u sub stripes (pairs expected)", c->num_stripes,
			       c->sub_stripes);
	if (!(profile & BTRFS_BLOCK_GROUP_DUP) && c->num_stripes > l->num_devices)
		return because("%s chunk with %u stripes on a filesystem of %llu devices", name, c->num_stripes,
			       (unsigned long long)l->num_devices);
	return NULL;
}

/* Start, length, stripe length and stripes within what the filesystem can hold. */
static const char *check_extent(const struct chunk *c, const struct chunk_limits *l)
{
	uint64_t per_stripe;
	unsigned i;

	if (c->logical % l->sectorsize || c->length % l->sectorsize)
		return because("chunk start or length %llu is not a multiple of the sectorsize %u",
			       (unsigned long long)(c->logical % l->sectorsize ? c->logical : c->length), l->sectorsize);
	if (c->length > l->total_bytes)
		return because("chunk length %llu is larger than the filesystem (%llu bytes)",
			       (unsigned long long)c->length, (unsigned long long)l->total_bytes);
	if (!is_power_of_two(c->stripe_len) || c->stripe_len < l->sectorsize || c->stripe_len > CHUNK_MAX_STRIPE_LEN)
		return because("invalid chunk stripe length %llu (a power of two from the sectorsize %u to %u)",
			       (unsigned long long)c->stripe_len, l->sectorsize, CHUNK_MAX_STRIPE_LEN);
	per_stripe = chunk_stripe_bytes(c);
	for (i = 0; i < c->num_stripes; i++) {
		const struct chunk_stripe *s = &c->stripes[i];

		if (s->offset % l->sectorsize)
			return because("stripe %u offset %llu is not a multiple of the sectorsize", i,
				       (unsigned long long)s->offset);
		if (s->offset > l->total_bytes || per_stripe > l->total_bytes - s->offset)
			return because("stripe %u (devid %llu, offset %llu, %llu bytes) lies beyond the end of the "
				       "filesystem (%llu bytes)",
				       i, (unsigned long long)s->devid, (unsigned long long)s->offset,
				       (unsigned long long)per_stripe, (unsigned long long)l->total_bytes);
	}
	return NULL;
}

static void read_stripes(const uint8_t *item, struct chunk *out)
{
	unsigned i;

	out->stripes = xcalloc(out->num_stripes, sizeof(*out->stripes));
	for (i = 0; i < out->num_stripes; i++) {
		const uint8_t *s = item + CHUNK_STRIPES + (size_t)i * STRIPE_SIZE;
		out->stripes[i].devid = get_le64(s, STRIPE_DEVID);
		out->stripes[i].offset = get_le64(s, STRIPE_OFFSET);
		memcpy(out->stripes[i].dev_uuid, s + STRIPE_DEV_UUID, BTRFS_UUID_SIZE);
	}
}

const char *chunk_parse(const uint8_t *item, size_t item_len, uint64_t logical, const struct chunk_limits *limits,
			struct chunk *out)
{
	const char *err;

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
	if (!(out->type & BTRFS_BLOCK_GROUP_TYPE_MASK))
		return "chunk has no data, metadata or system type";
	if (out->type & ~(BTRFS_BLOCK_GROUP_TYPE_MASK | BTRFS_BLOCK_GROUP_PROFILE_MASK))
		return because("chunk type 0x%llx has unknown bits", (unsigned long long)out->type);
	err = check_stripes(out, limits);
	if (err)
		return err;
	read_stripes(item, out);
	err = check_extent(out, limits);
	if (err)
		chunk_free(out);
	return err;
}

void chunk_free(struct chunk *c)
{
	free(c->stripes);
	c->stripes = NULL;
}

const char *chunk_array_walk(const uint8_t *array, size_t size, const struct chunk_limits *limits, chunk_array_fn fn,
			     void *ctx, size_t *error_offset)
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
		err = chunk_parse(array + pos + KEY_SIZE, item_len, get_le64(array, pos + KEY_OFFSET), limits, &c);
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

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t chunk_stripe_bytes(const struct chunk *c)
{
	uint64_t n = c->num_stripes;

	if (c->type & BTRFS_BLOCK_GROUP_RAID0)
		return div_round_up(c->length, n);
	if (c->type & BTRFS_BLOCK_GROUP_RAID10)
		return c->length / n * c->sub_stripes + div_round_up((c->length % n) * c->sub_stripes, n);
	if ((c->type & BTRFS_BLOCK_GROUP_RAID5) && n > 1)
		return div_round_up(c->length, n - 1);
	if ((c->type & BTRFS_BLOCK_GROUP_RAID6) && n > 2)
		return div_round_up(c->length, n - 2);
	return c->length;
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
