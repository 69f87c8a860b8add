/*
 * -m: restore a multi-device source onto as many targets, each device as
 * it was (docs/restore.md, -m; the reference's -m always fails): the
 * chunk tree is not touched, every copy or stripe of a piece goes to its
 * own device at its own physical offset, RAID5/6 parity is recomputed for
 * the full stripes that received bytes (everything else on the targets is
 * zeros, whose parity is zeros), and each target gets the superblock with
 * its own dev_item.
 *
 * Targets are matched to devids in order: when every devid of the chunks
 * is at most the number of targets, target i is devid i (T1 = devid 1);
 * otherwise the i-th smallest devid.
 */
#include "fixchunks.h"
#include "csum.h"
#include "le.h"
#include "msg.h"
#include "tree.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>

/* More DEV_ITEMs than this in one chunk tree: not a filesystem we can restore with -m. */
#define MAX_DEV_ITEMS 1024

struct raid56_rows {
	size_t chunk; /* index in the map */
	uint64_t rows;
	uint8_t *touched; /* one bit per full stripe */
};

struct multi_restore {
	struct target *targets;
	size_t count;
	uint64_t *devids;      /* devids[i] is on targets[i] */
	/* DEV_ITEMs met in the chunk tree, by devid (at most MAX_DEV_ITEMS) */
	uint8_t *dev_items;
	uint64_t *dev_item_ids;
	size_t dev_item_count;
	const struct chunk_map *map;
	struct raid56_rows *raid56;
	size_t raid56_count;
	uint8_t sb[BTRFS_SUPER_SIZE];
};

struct multi_restore *multi_new(struct target *targets, size_t count, const uint8_t *sb)
{
	struct multi_restore *m = xcalloc(1, sizeof(*m));

	if (get_le64(sb, SB_NUM_DEVICES) != count)
		die("-m: the filesystem has %llu devices but %zu targets were given",
		    (unsigned long long)get_le64(sb, SB_NUM_DEVICES), count);
	m->targets = targets;
	m->count = count;
	m->devids = xcalloc(count, sizeof(*m->devids));
	m->dev_items = xcalloc(MAX_DEV_ITEMS, DEV_ITEM_SIZE);
	m->dev_item_ids = xcalloc(MAX_DEV_ITEMS, sizeof(*m->dev_item_ids));
	memcpy(m->sb, sb, BTRFS_SUPER_SIZE);
	return m;
}

static int devid_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void match_devids(struct multi_restore *m, const struct chunk_map *map)
{
	size_t cap = 16, n = 0, i, k;
	uint64_t *ids = xmalloc(cap * sizeof(*ids)), highest = 0;

	ids[n++] = get_le64(m->sb, SB_DEV_ITEM + DEV_ITEM_DEVID);
	for (k = 0; k < map->count; k++) {
		for (i = 0; i < map->chunks[k].num_stripes; i++) {
			if (n == cap)
				ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
			ids[n++] = map->chunks[k].stripes[i].devid;
		}
	}
	qsort(ids, n, sizeof(*ids), devid_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k && ids[k - 1] == ids[i])
			continue;
		ids[k++] = ids[i];
		if (ids[i] > highest)
			highest = ids[i];
	}
	if (ids[0] >= 1 && highest <= m->count) {
		for (i = 0; i < m->count; i++)
			m->devids[i] = i + 1;
	} else if (k == m->count) {
		memcpy(m->devids, ids, k * sizeof(*ids));
	} else {
		die("-m: the chunks use %zu devices (highest devid %llu) but %zu targets were given", k,
		    (unsigned long long)highest, m->count);
	}
	free(ids);
}

void multi_begin(struct multi_restore *m, const struct chunk_map *map)
{
	size_t k;

	m->map = map;
	match_devids(m, map);
	m->raid56 = xcalloc(map->count + 1, sizeof(*m->raid56));
	for (k = 0; k < map->count; k++) {
		const struct chunk *c = &map->chunks[k];
		unsigned parity = (c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1;
		struct raid56_rows *r;
		uint64_t full;

		if (!(c->type & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6)))
			continue;
		if (c->num_stripes <= parity)
			die("-m: RAID5/6 chunk %llu has too few stripes", (unsigned long long)c->logical);
		full = c->stripe_len * (c->num_stripes - parity);
		r = &m->raid56[m->raid56_count++];
		r->chunk = k;
		r->rows = c->length / full + (c->length % full != 0);
		/* One bit per full stripe: 1 KiB per 1 GiB chunk of 64 KiB stripes. */
		r->touched = xcalloc(r->rows / 8 + 1, 1);
	}
}

void multi_see_tree_block(struct multi_restore *m, const uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems, slot;
	size_t i;

	if (tree_block_owner(block) != BTRFS_CHUNK_TREE_OBJECTID || tree_block_level(block) != 0)
		return;
	nritems = tree_block_nritems(block);
	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			return;
		if (key.objectid != BTRFS_DEV_ITEMS_OBJECTID || key.type != BTRFS_DEV_ITEM_KEY ||
		    size != DEV_ITEM_SIZE || get_le64(block, off + DEV_ITEM_DEVID) != key.offset)
			continue;
		for (i = 0; i < m->dev_item_count && m->dev_item_ids[i] != key.offset; i++)
			;
		if (i == MAX_DEV_ITEMS)
			die("-m: more than %d DEV_ITEMs in the chunk tree", MAX_DEV_ITEMS);
		if (i == m->dev_item_count)
			m->dev_item_count++;
		m->dev_item_ids[i] = key.offset;
		memcpy(m->dev_items + i * DEV_ITEM_SIZE, block + off, DEV_ITEM_SIZE);
	}
}

static struct target *target_of(struct multi_restore *m, uint64_t devid, uint64_t logical)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (m->devids[i] == devid)
			return &m->targets[i];
	die("-m: chunk at logical %llu names devid %llu, which has no target", (unsigned long long)logical,
	    (unsigned long long)devid);
}

static void write_device(struct multi_restore *m, uint64_t devid, uint64_t physical, const uint8_t *bytes,
			 size_t len, uint64_t logical)
{
	struct target *t = target_of(m, devid, logical);

	if (physical < BTRFS_SUPER_OFFSET + BTRFS_SUPER_SIZE && physical + len > BTRFS_SUPER_OFFSET)
		die("%s: the item at logical %llu would land on the primary superblock", t->path,
		    (unsigned long long)logical);
	target_write(t, physical, bytes, len);
}

static void mark_row(struct multi_restore *m, const struct chunk *c, uint64_t logical)
{
	size_t k = (size_t)(c - m->map->chunks), i;
	unsigned parity = (c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1;
	uint64_t row = (logical - c->logical) / (c->stripe_len * (c->num_stripes - parity));

	for (i = 0; i < m->raid56_count; i++) {
		if (m->raid56[i].chunk == k) {
			if (row < m->raid56[i].rows)
				m->raid56[i].touched[row / 8] |= (uint8_t)(1u << (row % 8));
			return;
		}
	}
}

void multi_write(struct multi_restore *m, const struct chunk *c, uint64_t logical, const uint8_t *bytes, size_t len)
{
	int raid56 = !!(c->type & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6));
	int copies = chunk_num_copies(c), copy;

	for (copy = 0; copy < copies; copy++) {
		uint64_t at = logical, devid, physical, contiguous;
		const uint8_t *p = bytes;
		size_t left = len;

		while (left) {
			size_t piece;

			if (chunk_map_copy(c, at, copy, &devid, &physical, &contiguous) < 0)
				die("-m: logical %llu is outside its chunk", (unsigned long long)at);
			piece = contiguous < left ? (size_t)contiguous : left;
			write_device(m, devid, physical, p, piece, at);
			if (raid56)
				mark_row(m, c, at);
			at += piece;
			p += piece;
			left -= piece;
		}
	}
}

/* Multiplication by 2 in GF(2^8) with the RAID6 polynomial x^8 + x^4 + x^3 + x^2 + 1. */
static uint8_t gf_mul2(uint8_t v)
{
	return (uint8_t)((v << 1) ^ ((v & 0x80) ? 0x1d : 0));
}

/*
 * P = D0 ^ D1 ^ ... and Q = sum of 2^i * Di, computed by Horner's rule from
 * the last data stripe down.
 */
static void parity_row(struct multi_restore *m, const struct chunk *c, uint64_t row, uint8_t *data, uint8_t *p,
		       uint8_t *q)
{
	unsigned parity = (c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1;
	unsigned ns = c->num_stripes, nd = ns - parity, k;
	size_t len = (size_t)c->stripe_len, i;
	uint64_t offset = row * c->stripe_len;

	memset(p, 0, len);
	memset(q, 0, len);
	for (k = nd; k-- > 0;) {
		const struct chunk_stripe *s = &c->stripes[(row + k) % ns];
		struct target *t = target_of(m, s->devid, c->logical);
		ssize_t n = pread_full(t->fd, data, len, s->offset + offset);

		if (n < 0)
			die("%s: reading back a RAID5/6 stripe:", t->path);
		memset(data + n, 0, len - (size_t)n); /* beyond the file's end: zeros */
		for (i = 0; i < len; i++) {
			p[i] ^= data[i];
			q[i] = (uint8_t)(gf_mul2(q[i]) ^ data[i]);
		}
	}
	write_device(m, c->stripes[(row + nd) % ns].devid, c->stripes[(row + nd) % ns].offset + offset, p, len,
		     c->logical);
	if (parity == 2)
		write_device(m, c->stripes[(row + nd + 1) % ns].devid, c->stripes[(row + nd + 1) % ns].offset + offset,
			     q, len, c->logical);
}

static void write_parity(struct multi_restore *m)
{
	uint8_t *data = NULL, *p = NULL, *q = NULL;
	size_t i;
	uint64_t row;

	for (i = 0; i < m->count; i++)
		target_sync(&m->targets[i]);
	for (i = 0; i < m->raid56_count; i++) {
		const struct chunk *c = &m->map->chunks[m->raid56[i].chunk];

		if (c->stripe_len > (16u << 20))
			die("-m: RAID5/6 chunk %llu: stripe length %llu too large", (unsigned long long)c->logical,
			    (unsigned long long)c->stripe_len);
		data = xrealloc(data, (size_t)c->stripe_len);
		p = xrealloc(p, (size_t)c->stripe_len);
		q = xrealloc(q, (size_t)c->stripe_len);
		for (row = 0; row < m->raid56[i].rows; row++)
			if (m->raid56[i].touched[row / 8] & (1u << (row % 8)))
				parity_row(m, c, row, data, p, q);
	}
	free(data);
	free(p);
	free(q);
}

void multi_finish(struct multi_restore *m, const struct fs_info *fs)
{
	size_t i;

	write_parity(m);
	for (i = 0; i < m->count; i++) {
		uint8_t sb[BTRFS_SUPER_SIZE];
		uint64_t flags;
		size_t d;

		for (d = 0; d < m->dev_item_count && m->dev_item_ids[d] != m->devids[i]; d++)
			;
		memcpy(sb, m->sb, sizeof(sb));
		if (d < m->dev_item_count)
			memcpy(sb + SB_DEV_ITEM, m->dev_items + d * DEV_ITEM_SIZE, DEV_ITEM_SIZE);
		else if (get_le64(m->sb, SB_DEV_ITEM + DEV_ITEM_DEVID) != m->devids[i])
			die("-m: no DEV_ITEM for devid %llu in the chunk tree", (unsigned long long)m->devids[i]);
		flags = get_le64(sb, SB_FLAGS);
		if (!(fs->content & CONTENT_DATA))
			flags |= BTRFS_SUPER_FLAG_METADUMP_V2;
		put_le64(sb, SB_FLAGS, flags);
		csum_block_set(fs->csum_type, sb, sizeof(sb));
		target_extend(&m->targets[i], get_le64(sb, SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES));
		target_sync(&m->targets[i]);
		superblock_write(&m->targets[i], sb);
		note("%s: devid %llu", m->targets[i].path, (unsigned long long)m->devids[i]);
	}
}

void multi_free(struct multi_restore *m)
{
	size_t i;

	for (i = 0; i < m->raid56_count; i++)
		free(m->raid56[i].touched);
	free(m->raid56);
	free(m->devids);
	free(m->dev_items);
	free(m->dev_item_ids);
	free(m);
}
