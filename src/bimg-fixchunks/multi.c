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
#include "multi.h"
#include "csum.h"
#include "hashmap.h"
#include "le.h"
#include "msg.h"
#include "superblock.h"
#include "target.h"
#include "tree.h"
#include "vec.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>

/* More DEV_ITEMs than this in one chunk tree: not a filesystem we can restore with -m. */
#define MAX_DEV_ITEMS 1024

/* A full stripe of a RAID5/6 chunk that received bytes: its parity is written at the end. */
struct touched_row {
	size_t chunk; /* chunk_map_index */
	uint64_t row;
};

struct multi_restore {
	struct target *targets;
	size_t count;
	uint64_t *devids;      /* devids[i] is on targets[i], in increasing order */
	/* DEV_ITEMs met in the chunk tree (at most MAX_DEV_ITEMS), found by devid */
	VEC(uint8_t) dev_items; /* DEV_ITEM_SIZE bytes each */
	struct hashmap dev_item_of; /* devid -> index of its DEV_ITEM */
	const struct chunk_map *map;
	VEC(struct touched_row) touched;
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
	hashmap_init(&m->dev_item_of);
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
	VEC(uint64_t) devids = VEC_INIT;
	uint64_t *ids, highest = 0;
	size_t n, i, k;

	VEC_PUSH(devids, get_le64(m->sb, SB_DEV_ITEM + DEV_ITEM_DEVID));
	for (k = 0; k < map->count; k++)
		for (i = 0; i < map->added[k].num_stripes; i++)
			VEC_PUSH(devids, map->added[k].stripes[i].devid);
	ids = devids.items;
	n = devids.count;
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
	VEC_FREE(devids);
}

void multi_begin(struct multi_restore *m, const struct chunk_map *map)
{
	m->map = map;
	match_devids(m, map);
}

void multi_see_tree_block(struct multi_restore *m, const uint8_t *block, uint32_t nodesize)
{
	uint32_t nritems, slot;

	if (tree_block_owner(block) != BTRFS_CHUNK_TREE_OBJECTID || tree_block_level(block) != 0)
		return;
	nritems = tree_block_nritems(block);
	for (slot = 0; slot < nritems; slot++) {
		struct btrfs_key key;
		uint32_t off, size;
		uint64_t *index;
		int added;

		if (leaf_item(block, nodesize, slot, &key, &off, &size) < 0)
			return;
		if (key.objectid != BTRFS_DEV_ITEMS_OBJECTID || key.type != BTRFS_DEV_ITEM_KEY ||
		    size != DEV_ITEM_SIZE || get_le64(block, off + DEV_ITEM_DEVID) != key.offset)
			continue;
		index = hashmap_insert(&m->dev_item_of, key.offset, m->dev_items.count / DEV_ITEM_SIZE, &added);
		if (added) {
			if (m->dev_items.count / DEV_ITEM_SIZE == MAX_DEV_ITEMS)
				die("-m: more than %d DEV_ITEMs in the chunk tree", MAX_DEV_ITEMS);
			VEC_RESERVE(m->dev_items, m->dev_items.count + DEV_ITEM_SIZE);
			m->dev_items.count += DEV_ITEM_SIZE;
		}
		/* A later copy of a DEV_ITEM replaces the earlier one. */
		memcpy(m->dev_items.items + *index * DEV_ITEM_SIZE, block + off, DEV_ITEM_SIZE);
	}
}

static struct target *target_of(struct multi_restore *m, uint64_t devid, uint64_t logical)
{
	size_t lo = 0, hi = m->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->devids[mid] < devid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->count && m->devids[lo] == devid)
		return &m->targets[lo];
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

static unsigned parity_stripes(const struct chunk *c)
{
	return (c->type & BTRFS_BLOCK_GROUP_RAID6) ? 2 : 1;
}

/* Remember the full stripe of logical; writes come in order, so a row is often the last one noted. */
static void mark_row(struct multi_restore *m, const struct chunk *c, uint64_t logical)
{
	struct touched_row t = { chunk_map_index(m->map, c),
				 (logical - c->logical) / (c->stripe_len * (c->num_stripes - parity_stripes(c))) };
	const struct touched_row *last = m->touched.count ? &m->touched.items[m->touched.count - 1] : NULL;

	if (!last || last->chunk != t.chunk || last->row != t.row)
		VEC_PUSH(m->touched, t);
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
	unsigned parity = parity_stripes(c);
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

static int by_chunk_and_row(const void *a, const void *b)
{
	const struct touched_row *x = a, *y = b;

	if (x->chunk != y->chunk)
		return x->chunk < y->chunk ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Only the full stripes that received bytes: the work follows what the stream brought, not chunk lengths. */
static void write_parity(struct multi_restore *m)
{
	uint8_t *data = xmalloc(CHUNK_MAX_STRIPE_LEN), *p = xmalloc(CHUNK_MAX_STRIPE_LEN);
	uint8_t *q = xmalloc(CHUNK_MAX_STRIPE_LEN);
	size_t i;

	/* Parity stripes never overlap data stripes: the data read back is all on the targets now. */
	for (i = 0; i < m->count; i++)
		target_sync(&m->targets[i]);
	if (m->touched.count)
		qsort(m->touched.items, m->touched.count, sizeof(*m->touched.items), by_chunk_and_row);
	for (i = 0; i < m->touched.count; i++) {
		const struct touched_row *t = &m->touched.items[i];

		if (i && t->chunk == t[-1].chunk && t->row == t[-1].row)
			continue;
		parity_row(m, &m->map->added[t->chunk], t->row, data, p, q);
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

		const uint64_t *d = hashmap_find(&m->dev_item_of, m->devids[i]);

		memcpy(sb, m->sb, sizeof(sb));
		if (d)
			memcpy(sb + SB_DEV_ITEM, m->dev_items.items + *d * DEV_ITEM_SIZE, DEV_ITEM_SIZE);
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
	VEC_FREE(m->touched);
	VEC_FREE(m->dev_items);
	hashmap_free(&m->dev_item_of);
	free(m->devids);
	free(m);
}
