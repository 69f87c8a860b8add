/*
 * mkhostile SHAPE [ARGS...] > OUT: hostile inputs of a chosen size, fast.
 *
 * Record streams (docs/record-stream.md) for bimg-fixchunks, and one
 * btrfs-image file for bimg-unpack, whose size grows with a count so that
 * tests/740-bounded-work.bats can compare the CPU time of 1x, 4x and 16x
 * inputs.  Written from the documents and the btrfs on-disk format alone,
 * not from src/ (it checks the implementation rather than repeating it),
 * and in C because a Python generator would be slower than the programs
 * it feeds.  Every checksum is CRC-32C.
 *
 * Shapes (4 KiB nodes and sectors):
 *   leaf-after-layout         two devices, CHUNK records; after the first
 *                             blocks, a chunk tree leaf with 159 empty items
 *                             (more than a node's worth of pointers)
 *   chunk-nodes N             two devices, no CHUNK records: N chunk tree
 *                             nodes (121 pointers each, to blocks that are
 *                             not in the stream) after the chunk root leaf
 *   raid56 LEN STRIPE_LEN MB  three devices, a RAID5 chunk of LEN bytes and
 *                             stripe_len STRIPE_LEN holding MB MiB of data
 *                             (restore with -m onto three targets)
 *   chunk-leaves N            one device: a chunk tree of N one-sector DATA
 *                             chunks, leaves sent in decreasing key order
 *   held N                    one device: N tree blocks before the chunk tree
 *                             leaf that maps them
 *   image-owners N            a btrfs-image file of N + 1 clusters, each of
 *                             one tree block of another tree (owner N, N-1,
 *                             ... 1), for bimg-unpack --info
 *   names N                   one device, N fs tree leaves of 31 files each
 *                             with distinct 8-byte names (for bimg-sanitize)
 *   bad-chunk WHAT            one device, a CHUNK record with one defect
 *                             (mkhostile without arguments lists them)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODESIZE 4096u
#define SECTORSIZE 4096u
#define STRIPE_LEN (64u << 10)
#define MIB (1ull << 20)
#define HDR 101
#define ITEM 25
#define KEY_PTR 33
#define CHUNK_ITEM(stripes) (48 + 32 * (stripes))
#define DEV_ITEM 98
/*
 * The generation of everything.  Its low bits are zero: the fixchunks fuzz
 * harnesses take options from FS_INFO's generation, and these inputs are
 * also their seeds (plain restores).
 */
#define GENERATION 16

enum { FS_INFO = 1, SUPERBLOCK = 2, CHUNK = 3, TREE_BLOCK = 4, DATA = 5, END = 15 };
enum { T_DATA = 1, T_SYSTEM = 2, T_METADATA = 4, T_RAID1 = 16, T_RAID5 = 128 };
enum { ROOT_TREE = 1, CHUNK_TREE = 3, FS_TREE = 5 };
enum { DEV_ITEM_KEY = 216, CHUNK_ITEM_KEY = 228 };

static const uint8_t FSID[16] = { 0xb1, 0x3c, 0x5e, 0x77, 0x10, 0x42, 0x4d, 0x1e,
				  0x9a, 0x0f, 0x62, 0x2b, 0x81, 0xc4, 0x55, 0x0d };
static const uint8_t CHUNK_TREE_UUID[16] = { 0x3c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* ---- little endian, CRC-32C (Castagnoli, reflected 0x82F63B78) ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static uint32_t crc_table[8][256];

static void crc_init(void)
{
	for (unsigned n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[0][n] = c;
	}
	for (unsigned n = 0; n < 256; n++)
		for (int t = 1; t < 8; t++)
			crc_table[t][n] = (crc_table[t - 1][n] >> 8) ^ crc_table[0][crc_table[t - 1][n] & 0xff];
}

/* The register run over p (no inversions). */
static uint32_t crc_raw(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t w = 0;
		for (int i = 0; i < 8; i++)
			w |= (uint64_t)p[i] << (8 * i);
		w ^= crc;
		crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^ crc_table[5][(w >> 16) & 0xff] ^
		      crc_table[4][(w >> 24) & 0xff] ^ crc_table[3][(w >> 32) & 0xff] ^
		      crc_table[2][(w >> 40) & 0xff] ^ crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	return ~crc_raw(~0u, p, n);
}

/* ---- the record stream ---- */

static uint64_t seq, tree_blocks, data_bytes;

static void out(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n) {
		perror("mkhostile: writing");
		exit(1);
	}
}

static void stream_header(void)
{
	uint8_t h[32] = "BIMGSTRM";

	put16(h + 8, 1); /* major; minor, compat, incompat, reserved: zero */
	put32(h + 28, crc32c(h, 28));
	out(h, sizeof(h));
}

/* One record: header (crc over it with the crc field zeroed, then payload), payload in two parts. */
static void record(uint16_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t h[24] = { 0 };
	uint32_t crc;

	put16(h, type);
	put32(h + 4, (uint32_t)(alen + blen));
	put64(h + 8, seq++);
	crc = crc_raw(~0u, h, sizeof(h));
	crc = crc_raw(crc, a, alen);
	crc = ~crc_raw(crc, b, blen);
	put32(h + 16, crc);
	out(h, sizeof(h));
	out(a, alen);
	out(b, blen);
}

static void end_record(void)
{
	uint8_t p[40] = { 0 };

	put64(p, seq);
	put64(p + 8, tree_blocks);
	put64(p + 16, data_bytes);
	record(END, p, sizeof(p), NULL, 0);
}

static void fs_info(uint64_t num_devices)
{
	uint8_t p[64] = { 0 };

	memcpy(p, FSID, 16);
	memcpy(p + 16, FSID, 16);
	put32(p + 32, NODESIZE);
	put32(p + 36, SECTORSIZE);
	put64(p + 48, num_devices);
	put64(p + 56, GENERATION);
	record(FS_INFO, p, sizeof(p), NULL, 0);
}

static void tree_block(uint64_t logical, const uint8_t *block)
{
	uint8_t prefix[16] = { 0 };

	put64(prefix, logical);
	record(TREE_BLOCK, prefix, sizeof(prefix), block, NODESIZE);
	tree_blocks++;
}

static void data(uint64_t logical, const uint8_t *bytes, size_t len)
{
	uint8_t prefix[16] = { 0 };

	put64(prefix, logical);
	record(DATA, prefix, sizeof(prefix), bytes, len);
	data_bytes += len;
}

/* ---- btrfs structures ---- */

struct stripe {
	uint64_t devid, offset;
};

/* A chunk item of n stripes at p; returns its size. */
static size_t chunk_item(uint8_t *p, uint64_t length, uint64_t stripe_len, uint64_t type, const struct stripe *s,
			 unsigned n)
{
	memset(p, 0, CHUNK_ITEM(n));
	put64(p, length);
	put64(p + 8, 2); /* owner: the extent tree */
	put64(p + 16, stripe_len);
	put64(p + 24, type);
	put32(p + 32, (uint32_t)stripe_len);
	put32(p + 36, (uint32_t)stripe_len);
	put32(p + 40, SECTORSIZE);
	put16(p + 44, (uint16_t)n);
	put16(p + 46, 1);
	for (unsigned i = 0; i < n; i++) {
		put64(p + 48 + 32 * i, s[i].devid);
		put64(p + 56 + 32 * i, s[i].offset);
		p[64 + 32 * i] = (uint8_t)s[i].devid; /* dev_uuid */
	}
	return CHUNK_ITEM(n);
}

static void key(uint8_t *p, uint64_t objectid, uint8_t type, uint64_t offset)
{
	put64(p, objectid);
	p[8] = type;
	put64(p + 9, offset);
}

static void dev_item(uint8_t *p, uint64_t devid, uint64_t total_bytes)
{
	memset(p, 0, DEV_ITEM);
	put64(p, devid);
	put64(p + 8, total_bytes);
	put32(p + 24, SECTORSIZE);
	put32(p + 28, SECTORSIZE);
	put32(p + 32, SECTORSIZE);
	p[66] = (uint8_t)devid; /* uuid */
	memcpy(p + 82, FSID, 16);
}

static void header(uint8_t *b, uint64_t logical, uint64_t owner, uint8_t level, uint32_t nritems)
{
	memset(b, 0, NODESIZE);
	memcpy(b + 32, FSID, 16);
	put64(b + 48, logical);
	put64(b + 56, 1 | (1ull << 56)); /* WRITTEN, backref revision 1 */
	memcpy(b + 64, CHUNK_TREE_UUID, 16);
	put64(b + 80, GENERATION);
	put64(b + 88, owner);
	put32(b + 96, nritems);
	b[100] = level;
}

static void block_csum(uint8_t *b)
{
	put32(b, crc32c(b + 32, NODESIZE - 32));
}

/* A leaf of n items given as keys and data, packed from the end. */
struct leaf_item {
	uint64_t objectid;
	uint8_t type;
	uint64_t offset;
	const uint8_t *data;
	uint32_t size;
};

static void leaf(uint8_t *b, uint64_t logical, uint64_t owner, const struct leaf_item *items, uint32_t n)
{
	uint32_t end = NODESIZE - HDR;

	header(b, logical, owner, 0, n);
	for (uint32_t i = 0; i < n; i++) {
		end -= items[i].size;
		key(b + HDR + ITEM * i, items[i].objectid, items[i].type, items[i].offset);
		put32(b + HDR + ITEM * i + 17, end);
		put32(b + HDR + ITEM * i + 21, items[i].size);
		memcpy(b + HDR + end, items[i].data, items[i].size);
	}
	block_csum(b);
}

/* The superblock: one device's view (devid dev of num_devices), system chunk array as given. */
struct fs_shape {
	uint64_t num_devices, total_bytes, dev_bytes;
	uint64_t root, chunk_root;
	const uint8_t *sys_array;
	uint32_t sys_array_size;
	uint8_t chunk_root_level;
};

static void superblock(const struct fs_shape *fs)
{
	uint8_t sb[4096] = { 0 };

	memcpy(sb + 32, FSID, 16);
	put64(sb + 48, 65536);
	memcpy(sb + 64, "_BHRfS_M", 8);
	put64(sb + 72, GENERATION);
	put64(sb + 80, fs->root);
	put64(sb + 88, fs->chunk_root);
	put64(sb + 112, fs->total_bytes);
	put64(sb + 120, 16 * NODESIZE);
	put64(sb + 128, 6);
	put64(sb + 136, fs->num_devices);
	put32(sb + 144, SECTORSIZE);
	put32(sb + 148, NODESIZE);
	put32(sb + 152, NODESIZE);
	put32(sb + 156, SECTORSIZE);
	put32(sb + 160, fs->sys_array_size);
	put64(sb + 164, GENERATION);
	sb[199] = fs->chunk_root_level;
	dev_item(sb + 201, 1, fs->dev_bytes);
	memcpy(sb + 811, fs->sys_array, fs->sys_array_size);
	put32(sb, crc32c(sb + 32, sizeof(sb) - 32));
	record(SUPERBLOCK, sb, sizeof(sb), NULL, 0);
}

/* key + chunk item, as in the system chunk array and CHUNK records; returns the size. */
static size_t array_entry(uint8_t *p, uint64_t logical, uint64_t length, uint64_t stripe_len, uint64_t type,
			  const struct stripe *s, unsigned n)
{
	key(p, 256, CHUNK_ITEM_KEY, logical);
	return 17 + chunk_item(p + 17, length, stripe_len, type, s, n);
}

/* ---- two devices: a system chunk on devid 1, a RAID1 metadata chunk ---- */

#define SYS_START MIB

struct two_devices {
	uint64_t sys_len, meta; /* the metadata chunk's start; 8 MiB long */
	uint8_t array[512];
	uint32_t array_size;
	uint8_t chunks[512]; /* CHUNK record payloads: the two entries */
	size_t sys_entry, meta_entry;
};

static void two_devices(struct two_devices *t, uint64_t sys_blocks)
{
	struct stripe sys = { 1, SYS_START };
	struct stripe meta[2];
	struct fs_shape fs = { 0 };

	t->sys_len = (sys_blocks * NODESIZE + MIB - 1) / MIB * MIB;
	t->meta = SYS_START + t->sys_len;
	meta[0] = (struct stripe){ 1, SYS_START + t->sys_len };
	meta[1] = (struct stripe){ 2, SYS_START };
	t->sys_entry = array_entry(t->chunks, SYS_START, t->sys_len, STRIPE_LEN, T_SYSTEM, &sys, 1);
	t->meta_entry = array_entry(t->chunks + t->sys_entry, t->meta, 8 * MIB, STRIPE_LEN, T_METADATA | T_RAID1,
				    meta, 2);
	memcpy(t->array, t->chunks, t->sys_entry);
	t->array_size = (uint32_t)t->sys_entry;
	fs.num_devices = 2;
	fs.dev_bytes = t->meta + 64 * MIB;
	fs.total_bytes = 2 * fs.dev_bytes;
	fs.root = t->meta;
	fs.chunk_root = SYS_START;
	fs.sys_array = t->array;
	fs.sys_array_size = t->array_size;
	stream_header();
	fs_info(2);
	superblock(&fs);
}

/* The chunk root leaf (both DEV_ITEMs, both chunks) and the empty root tree leaf. */
static void two_devices_roots(const struct two_devices *t, uint8_t *b)
{
	uint8_t dev1[DEV_ITEM], dev2[DEV_ITEM];
	struct leaf_item items[4] = {
		{ 1, DEV_ITEM_KEY, 1, dev1, DEV_ITEM },
		{ 1, DEV_ITEM_KEY, 2, dev2, DEV_ITEM },
		{ 256, CHUNK_ITEM_KEY, SYS_START, t->chunks + 17, (uint32_t)t->sys_entry - 17 },
		{ 256, CHUNK_ITEM_KEY, t->meta, t->chunks + t->sys_entry + 17, (uint32_t)t->meta_entry - 17 },
	};

	dev_item(dev1, 1, t->meta + 64 * MIB);
	dev_item(dev2, 2, t->meta + 64 * MIB);
	leaf(b, SYS_START, CHUNK_TREE, items, 4);
	tree_block(SYS_START, b);
	leaf(b, t->meta, ROOT_TREE, NULL, 0);
	tree_block(t->meta, b);
}

/* A chunk tree leaf whose item count exceeds what a node of pointers can hold. */
static void leaf_after_layout(void)
{
	static uint8_t b[NODESIZE];
	struct two_devices t;
	uint32_t n = (NODESIZE - HDR) / ITEM, i;

	two_devices(&t, 2);
	record(CHUNK, t.chunks, t.sys_entry, NULL, 0);
	record(CHUNK, t.chunks + t.sys_entry, t.meta_entry, NULL, 0);
	two_devices_roots(&t, b);
	header(b, SYS_START + NODESIZE, CHUNK_TREE, 0, n);
	for (i = 0; i < n; i++) {
		key(b + HDR + ITEM * i, 0, 0, i);
		put32(b + HDR + ITEM * i + 17, NODESIZE - HDR);
	}
	block_csum(b);
	tree_block(SYS_START + NODESIZE, b);
	end_record();
}

/* n chunk tree nodes, full of pointers to blocks the stream never brings. */
static void chunk_nodes(uint64_t n)
{
	static uint8_t b[NODESIZE];
	struct two_devices t;
	uint32_t ptrs = (NODESIZE - HDR) / KEY_PTR, i;
	uint64_t k, at;

	two_devices(&t, n + 1);
	two_devices_roots(&t, b);
	for (k = 0; k < n; k++) {
		at = SYS_START + (k + 1) * NODESIZE;
		header(b, at, CHUNK_TREE, 1, ptrs);
		for (i = 0; i < ptrs; i++) {
			uint8_t *p = b + HDR + KEY_PTR * i;
			key(p, 256, CHUNK_ITEM_KEY, k * ptrs + i);
			put64(p + 17, (1ull << 40) + (k * ptrs + i) * NODESIZE);
			put64(p + 25, GENERATION);
		}
		block_csum(b);
		tree_block(at, b);
	}
	end_record();
}

/* ---- three devices, RAID5 (restored with -m) ---- */

static void raid56(uint64_t length, uint64_t stripe_len, uint64_t mib)
{
	static uint8_t b[NODESIZE], bytes[MIB];
	struct stripe sys = { 1, SYS_START }, r5[3] = { { 1, 16 * MIB }, { 2, 16 * MIB }, { 3, 16 * MIB } };
	uint8_t chunks[512], dev[3][DEV_ITEM];
	uint64_t r = 64 * MIB, i;
	struct fs_shape fs = { 3, 3 * (16 * MIB + length / 2 + 64 * MIB), 64 * MIB, r, SYS_START, chunks, 0, 0 };
	size_t sys_entry = array_entry(chunks, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1);
	size_t r5_entry = array_entry(chunks + sys_entry, r, length, stripe_len,
				      T_DATA | T_METADATA | T_RAID5, r5, 3);
	struct leaf_item items[5] = {
		{ 1, DEV_ITEM_KEY, 1, dev[0], DEV_ITEM },
		{ 1, DEV_ITEM_KEY, 2, dev[1], DEV_ITEM },
		{ 1, DEV_ITEM_KEY, 3, dev[2], DEV_ITEM },
		{ 256, CHUNK_ITEM_KEY, SYS_START, chunks + 17, (uint32_t)sys_entry - 17 },
		{ 256, CHUNK_ITEM_KEY, r, chunks + sys_entry + 17, (uint32_t)r5_entry - 17 },
	};

	fs.sys_array_size = (uint32_t)sys_entry;
	stream_header();
	fs_info(3);
	superblock(&fs);
	record(CHUNK, chunks, sys_entry, NULL, 0);
	record(CHUNK, chunks + sys_entry, r5_entry, NULL, 0);
	for (i = 0; i < 3; i++)
		dev_item(dev[i], i + 1, 64 * MIB);
	leaf(b, SYS_START, CHUNK_TREE, items, 5);
	tree_block(SYS_START, b);
	leaf(b, r, ROOT_TREE, NULL, 0);
	tree_block(r, b);
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < mib; i++)
		data(r + (i + 1) * MIB, bytes, sizeof(bytes));
	end_record();
}

/* ---- one device ---- */

static void one_device(uint64_t total_bytes, uint64_t root, uint64_t chunk_root, int chunk_root_level,
		       const uint8_t *array, uint32_t array_size)
{
	struct fs_shape fs = { 1, total_bytes, total_bytes, root, chunk_root, array, array_size, (uint8_t)chunk_root_level };

	stream_header();
	fs_info(1);
	superblock(&fs);
}

/*
 * n one-sector DATA chunks in a chunk tree whose leaves come in decreasing
 * key order, after the nodes above them (top down).  Blocks are numbered
 * in the system chunk: leaves first, then each level of nodes, the root
 * last, then the root tree leaf.
 */
static void chunk_leaves(uint64_t n)
{
	static uint8_t b[NODESIZE];
	uint8_t array[256], items_data[38][CHUNK_ITEM(1)];
	const uint32_t per_leaf = (NODESIZE - HDR) / (ITEM + CHUNK_ITEM(1)), fanout = (NODESIZE - HDR) / KEY_PTR;
	uint64_t level_start[8], level_count[8], blocks = 0, sys_len, first, total;
	struct stripe sys = { 1, SYS_START };
	int levels = 0, l;

	for (level_count[0] = (n + per_leaf - 1) / per_leaf; ; levels++) {
		level_start[levels] = blocks;
		blocks += level_count[levels];
		if (level_count[levels] == 1)
			break;
		level_count[levels + 1] = (level_count[levels] + fanout - 1) / fanout;
	}
	sys_len = ((blocks + 1) * NODESIZE + MIB - 1) / MIB * MIB;
	first = SYS_START + sys_len; /* the first data chunk */
	total = first + n * SECTORSIZE + 64 * MIB;
	one_device(total, SYS_START + blocks * NODESIZE, SYS_START + (blocks - 1) * NODESIZE, levels,
		   array, (uint32_t)array_entry(array, SYS_START, sys_len, STRIPE_LEN, T_SYSTEM, &sys, 1));
	leaf(b, SYS_START + blocks * NODESIZE, ROOT_TREE, NULL, 0);
	tree_block(SYS_START + blocks * NODESIZE, b);
	/* chunk_root in the superblock is the top block: the last one numbered */
	for (l = levels; l >= 1; l--) {
		for (uint64_t k = 0; k < level_count[l]; k++) {
			uint64_t at = SYS_START + (level_start[l] + k) * NODESIZE, c0 = k * fanout;
			uint32_t np = (uint32_t)(level_count[l - 1] - c0 < fanout ? level_count[l - 1] - c0 : fanout);

			header(b, at, CHUNK_TREE, (uint8_t)l, np);
			for (uint32_t i = 0; i < np; i++) {
				uint64_t child = c0 + i, span = per_leaf;
				for (int d = 1; d < l; d++)
					span *= fanout;
				key(b + HDR + KEY_PTR * i, 256, CHUNK_ITEM_KEY, first + child * span * SECTORSIZE);
				put64(b + HDR + KEY_PTR * i + 17, SYS_START + (level_start[l - 1] + child) * NODESIZE);
				put64(b + HDR + KEY_PTR * i + 25, GENERATION);
			}
			block_csum(b);
			tree_block(at, b);
		}
	}
	for (uint64_t k = level_count[0]; k-- > 0;) {
		struct leaf_item items[38];
		uint32_t m = (uint32_t)(n - k * per_leaf < per_leaf ? n - k * per_leaf : per_leaf);

		for (uint32_t i = 0; i < m; i++) {
			uint64_t logical = first + (k * per_leaf + i) * SECTORSIZE;
			struct stripe s = { 1, logical };

			chunk_item(items_data[i], SECTORSIZE, STRIPE_LEN, T_DATA, &s, 1);
			items[i] = (struct leaf_item){ 256, CHUNK_ITEM_KEY, logical, items_data[i], CHUNK_ITEM(1) };
		}
		leaf(b, SYS_START + k * NODESIZE, CHUNK_TREE, items, m);
		tree_block(SYS_START + k * NODESIZE, b);
	}
	end_record();
}

/* n fs tree leaves in a chunk that only the chunk root leaf, sent last, names. */
static void held(uint64_t n)
{
	static uint8_t b[NODESIZE];
	uint8_t array[256], item[CHUNK_ITEM(1)];
	uint64_t meta = 1ull << 30, meta_len = ((n + 1) * NODESIZE + MIB - 1) / MIB * MIB, k;
	struct stripe sys = { 1, SYS_START }, m = { 1, 64 * MIB };
	struct leaf_item chunk = { 256, CHUNK_ITEM_KEY, meta, item, CHUNK_ITEM(1) };

	one_device(64 * MIB + meta_len + 64 * MIB, meta + n * NODESIZE, SYS_START, 0, array,
		   (uint32_t)array_entry(array, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1));
	for (k = 0; k < n; k++) {
		leaf(b, meta + k * NODESIZE, FS_TREE, NULL, 0);
		tree_block(meta + k * NODESIZE, b);
	}
	leaf(b, meta + n * NODESIZE, ROOT_TREE, NULL, 0);
	tree_block(meta + n * NODESIZE, b);
	chunk_item(item, meta_len, STRIPE_LEN, T_METADATA, &m, 1);
	leaf(b, SYS_START, CHUNK_TREE, &chunk, 1);
	tree_block(SYS_START, b);
	end_record();
}

/*
 * One device of 1 GiB: a CHUNK record for a DATA chunk at 512 MiB with one
 * defect (or none: "valid"), then the chunk root and root tree leaves.
 */
static int bad_chunk(const char *what)
{
	static uint8_t b[NODESIZE];
	uint8_t array[256], entry[256];
	struct stripe sys = { 1, SYS_START }, s[2] = { { 1, 512 * MIB }, { 1, 600 * MIB } };
	uint64_t length = 64 * MIB, stripe_len = STRIPE_LEN, type = T_DATA;
	unsigned n = 1;

	if (!strcmp(what, "stripe-len-1"))
		stripe_len = 1;
	else if (!strcmp(what, "stripe-len-128k"))
		stripe_len = 128 << 10;
	else if (!strcmp(what, "unaligned-length"))
		length += 512;
	else if (!strcmp(what, "length-over-total"))
		length = 2048 * MIB;
	else if (!strcmp(what, "single-two-stripes"))
		n = 2;
	else if (!strcmp(what, "raid1-one-device"))
		n = 2, type |= T_RAID1;
	else if (!strcmp(what, "unknown-type-bit"))
		type |= 1u << 20;
	else if (!strcmp(what, "stripe-beyond"))
		s[0].offset = 1024 * MIB - 32 * MIB;
	else if (strcmp(what, "valid"))
		return -1;
	one_device(1024 * MIB, SYS_START + NODESIZE, SYS_START, 0, array,
		   (uint32_t)array_entry(array, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1));
	record(CHUNK, array, array_entry(array, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1), NULL, 0);
	record(CHUNK, entry, array_entry(entry, 512 * MIB, length, stripe_len, type, s, n), NULL, 0);
	{
		struct leaf_item item = { 256, CHUNK_ITEM_KEY, SYS_START, array + 17, CHUNK_ITEM(1) };

		leaf(b, SYS_START, CHUNK_TREE, &item, 1);
		tree_block(SYS_START, b);
	}
	leaf(b, SYS_START + NODESIZE, ROOT_TREE, NULL, 0);
	tree_block(SYS_START + NODESIZE, b);
	end_record();
	return 0;
}

/*
 * n fs tree leaves (for bimg-sanitize), each with 31 distinct 8-byte names
 * of files in their own directory, as a DIR_ITEM (keyed by the name hash)
 * and a DIR_INDEX each.
 */
static void names(uint64_t n)
{
	static uint8_t b[NODESIZE], records[62][30 + 8];
	uint8_t array[256];
	struct stripe sys = { 1, SYS_START };
	uint64_t base = 1ull << 30, k;

	one_device(4ull << 30, SYS_START + NODESIZE, SYS_START, 0, array,
		   (uint32_t)array_entry(array, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1));
	for (k = 0; k < n; k++) {
		struct leaf_item items[62];
		uint64_t dir = 256 + k;

		for (int i = 0; i < 31; i++) {
			char name[9];
			uint8_t *r = records[i];

			snprintf(name, sizeof(name), "n%07llx", (unsigned long long)((k * 31 + (uint64_t)i) & 0xfffffff));
			memset(r, 0, 30);
			key(r, dir * 1000 + (uint64_t)i, 1, 0); /* location: the file's inode */
			put64(r + 17, GENERATION);                      /* transid */
			put16(r + 27, 8);                      /* name_len */
			r[29] = 1;                             /* regular file */
			memcpy(r + 30, name, 8);
			memcpy(records[31 + i], r, sizeof(records[i]));
			items[i] = (struct leaf_item){ dir, 84, crc_raw(0xFFFFFFFEu, (uint8_t *)name, 8), r, 38 };
			items[31 + i] = (struct leaf_item){ dir, 96, 2 + (uint64_t)i, records[31 + i], 38 };
		}
		/* DIR_ITEMs in key order: by name hash */
		for (int i = 1; i < 31; i++)
			for (int j = i; j > 0 && items[j].offset < items[j - 1].offset; j--) {
				struct leaf_item t = items[j];
				items[j] = items[j - 1];
				items[j - 1] = t;
			}
		leaf(b, base + k * NODESIZE, FS_TREE, items, 62);
		tree_block(base + k * NODESIZE, b);
	}
	end_record();
}

/* ---- a btrfs-image file: index block + payload + padding per cluster ---- */

static void cluster(uint64_t offset, uint64_t bytenr, const uint8_t *payload, uint32_t len)
{
	uint8_t index[1024] = { 0 };

	put64(index, 0xBD5C25E27295668BULL); /* format 0 */
	put64(index + 8, offset);
	put32(index + 16, 1);
	put64(index + 21, bytenr);
	put32(index + 29, len);
	out(index, sizeof(index));
	out(payload, len); /* len is a multiple of 1024: no padding */
}

static void image_owners(uint64_t n)
{
	static uint8_t b[NODESIZE], sb[4096];
	uint8_t array[256];
	struct stripe sys = { 1, SYS_START };
	uint32_t array_size = (uint32_t)array_entry(array, SYS_START, 4 * MIB, STRIPE_LEN, T_SYSTEM, &sys, 1);
	uint64_t k;

	memcpy(sb + 32, FSID, 16);
	put64(sb + 48, 65536);
	memcpy(sb + 64, "_BHRfS_M", 8);
	put64(sb + 72, GENERATION);
	put64(sb + 80, SYS_START + NODESIZE);
	put64(sb + 88, SYS_START);
	put64(sb + 112, 1ull << 34);
	put64(sb + 136, 1);
	put32(sb + 144, SECTORSIZE);
	put32(sb + 148, NODESIZE);
	put32(sb + 152, NODESIZE);
	put32(sb + 160, array_size);
	dev_item(sb + 201, 1, 1ull << 34);
	memcpy(sb + 811, array, array_size);
	put32(sb, crc32c(sb + 32, sizeof(sb) - 32));
	cluster(0, 65536, sb, sizeof(sb));
	for (k = 1; k <= n; k++) {
		uint64_t at = (1ull << 30) + k * NODESIZE;

		leaf(b, at, n + 1 - k, NULL, 0);
		cluster(k * (1024 + NODESIZE), at, b, NODESIZE);
	}
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "mkhostile: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *shape = argc > 1 ? argv[1] : "";

	crc_init();
	if (!strcmp(shape, "leaf-after-layout") && argc == 2)
		leaf_after_layout();
	else if (!strcmp(shape, "chunk-nodes") && argc == 3)
		chunk_nodes(number(argv[2]));
	else if (!strcmp(shape, "raid56") && argc == 5)
		raid56(number(argv[2]), number(argv[3]), number(argv[4]));
	else if (!strcmp(shape, "chunk-leaves") && argc == 3 && number(argv[2]) > 0)
		chunk_leaves(number(argv[2]));
	else if (!strcmp(shape, "held") && argc == 3)
		held(number(argv[2]));
	else if (!strcmp(shape, "image-owners") && argc == 3)
		image_owners(number(argv[2]));
	else if (!strcmp(shape, "names") && argc == 3)
		names(number(argv[2]));
	else if (!(!strcmp(shape, "bad-chunk") && argc == 3 && bad_chunk(argv[2]) == 0)) {
		fprintf(stderr, "usage: mkhostile leaf-after-layout | chunk-nodes N | raid56 LEN STRIPE_LEN MIB |\n"
				"       chunk-leaves N | held N | image-owners N | names N | bad-chunk WHAT\n"
				"WHAT: valid stripe-len-1 stripe-len-128k unaligned-length length-over-total\n"
				"      single-two-stripes raid1-one-device unknown-type-bit stripe-beyond\n");
		return 2;
	}
	if (fflush(stdout) != 0) {
		perror("mkhostile: writing");
		return 1;
	}
	return 0;
}
