#include "datacheck.h"
#include "crc32c.h"
#include "csum.h"
#include "le.h"
#include "msg.h"
#include "readable.h"
#include "stream.h"

#include <string.h>

#define CRC32C_POLY 0x82F63B78u
#define CACHE_GENERATION_SIZE 8 /* the first page's table is followed by the cache's generation */

static uint32_t crc_table[256];
static uint8_t index_of_top_byte[256];

/* The reflected CRC-32C table, and for each entry's top byte its index (the top bytes are all distinct). */
static void crc_tables_init(void)
{
	static int done;

	if (done)
		return;
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int bit = 0; bit < 8; bit++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[n] = c;
		index_of_top_byte[c >> 24] = (uint8_t)n;
	}
	done = 1;
}

/* The CRC register before byte b, from the register after it: one step of the CRC run backwards. */
static uint32_t crc_unstep(uint32_t after, uint8_t b)
{
	uint8_t idx = index_of_top_byte[after >> 24];

	return ((after ^ crc_table[idx]) << 8) | (uint8_t)(idx ^ b);
}

/*
 * The number of pages n of a free space cache whose first page (page_size bytes) this is: its table
 * holds n CRC-32Cs, the first of them over the page after the table, bytes 4n to its end.  Running the
 * CRC backwards from that checksum over the page's end meets the initial register exactly at 4n,
 * which finds n in one pass.  0: no n fits.
 */
static uint32_t cache_table_pages(const uint8_t *page, uint32_t page_size)
{
	uint32_t reg = get_le32(page, 0) ^ 0xFFFFFFFFu;

	for (uint32_t k = page_size; k-- > 4;) {
		reg = crc_unstep(reg, page[k]);
		if (k % 4 == 0 && reg == 0xFFFFFFFFu && k + CACHE_GENERATION_SIZE <= page_size)
			return k / 4;
	}
	return 0;
}

static void start_extent(struct data_check *c, uint64_t logical, const uint8_t *bytes, size_t len, int continues)
{
	static const uint32_t page_sizes[] = { 4096, 16384, 65536 };

	c->in_extent = 1;
	c->start = logical;
	c->done = 0;
	c->extent_zeroed = 0;
	c->zero_until = 0;
	c->page_size = 0;
	c->pages = 0;
	/* A record continuing nothing seen does not start with the table: nothing of it verifies. */
	if (c->file_data || continues)
		return;
	crc_tables_init();
	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++) {
		uint32_t n;

		if (len < page_sizes[i] || (n = cache_table_pages(bytes, page_sizes[i])) == 0)
			continue;
		c->page_size = page_sizes[i];
		c->pages = n;
		for (uint32_t p = 0; p < n; p++)
			c->crcs[p] = get_le32(bytes, 4 * (size_t)p);
		return;
	}
}

/* Zero n bytes unless they are zero already; returns 1 if any changed. */
static int zero_run(struct data_check *c, uint8_t *p, size_t n)
{
	if (!zero_if_set(p, n))
		return 0;
	c->extent_zeroed += n;
	return 1;
}

/* Without -d: pass the whole pages of the cache whose checksums verify, zero the rest. */
static int check_cache_pages(struct data_check *c, uint8_t *bytes, size_t len)
{
	uint32_t ps = c->page_size;
	int changed = 0;

	for (size_t off = 0; off < len;) {
		uint64_t pos = c->done + off;
		size_t run = len - off;
		int verified = 0;

		if (ps) {
			uint64_t page = pos / ps, in_page = pos % ps;

			if (run > ps - in_page)
				run = (size_t)(ps - in_page);
			if (in_page == 0 && run == ps && page < c->pages) {
				size_t skip = page == 0 ? 4 * (size_t)c->pages : 0;

				verified = crc32c(bytes + off + skip, ps - skip) == c->crcs[page];
			}
		}
		if (!verified)
			changed |= zero_run(c, bytes + off, run);
		off += run;
	}
	return changed;
}

void data_check_learn(struct data_check *c, unsigned csum_type, uint64_t logical, const uint8_t *block)
{
	static const uint8_t zero[BTRFS_UUID_SIZE];

	if (c->chunk_tree_uuid_known || get_le64(block, HDR_BYTENR) != logical ||
	    memcmp(block + HDR_FSID, c->header_fsid, BTRFS_UUID_SIZE) != 0 ||
	    memcmp(block + HDR_CHUNK_TREE_UUID, zero, BTRFS_UUID_SIZE) == 0 || !csum_block_ok(csum_type, block, c->nodesize))
		return;
	memcpy(c->chunk_tree_uuid, block + HDR_CHUNK_TREE_UUID, BTRFS_UUID_SIZE);
	c->chunk_tree_uuid_known = 1;
}

/* Any of the three marks a header: a tree block whose fsid and address were both damaged is still one. */
static int is_tree_block_header(const struct data_check *c, const uint8_t *p, uint64_t logical)
{
	return memcmp(p + HDR_FSID, c->header_fsid, BTRFS_UUID_SIZE) == 0 || get_le64(p, HDR_BYTENR) == logical ||
	       (c->chunk_tree_uuid_known && memcmp(p + HDR_CHUNK_TREE_UUID, c->chunk_tree_uuid, BTRFS_UUID_SIZE) == 0);
}

/* With -d: zero a node size from every sector that begins with a tree block header of this filesystem. */
static int check_file_data(struct data_check *c, uint64_t logical, uint8_t *bytes, size_t len)
{
	int changed = 0;

	for (size_t off = 0; off < len;) {
		uint64_t at = logical + off;
		size_t step = c->sectorsize - (size_t)(at % c->sectorsize);

		if (at < c->zero_until) {
			step = c->zero_until - at < len - off ? (size_t)(c->zero_until - at) : len - off;
			changed |= zero_run(c, bytes + off, step);
		} else if (at % c->sectorsize == 0 && len - off >= HDR_SIZE && is_tree_block_header(c, bytes + off, at)) {
			c->zero_until = at + c->nodesize > at ? at + c->nodesize : UINT64_MAX;
			continue;
		}
		off += step < len - off ? step : len - off;
	}
	return changed;
}

int data_check_record(struct data_check *c, uint64_t logical, uint64_t flags, uint8_t *bytes, size_t len)
{
	int continues = !!(flags & DATA_FLAG_CONTINUES);
	int changed;

	if (!continues || !c->in_extent || logical != c->start + c->done) {
		data_check_end_extent(c);
		start_extent(c, logical, bytes, len, continues);
	}
	changed = c->file_data ? check_file_data(c, logical, bytes, len) : check_cache_pages(c, bytes, len);
	c->done += len;
	return changed;
}

void data_check_end_extent(struct data_check *c)
{
	if (c->in_extent && c->extent_zeroed) {
		if (c->file_data)
			warn("data extent at %llu: %llu bytes of tree blocks of this filesystem in the file data: zeroed",
			     (unsigned long long)c->start, (unsigned long long)c->extent_zeroed);
		else
			warn("data extent at %llu: %llu bytes that are not free space cache pages whose checksums "
			     "verify: zeroed",
			     (unsigned long long)c->start, (unsigned long long)c->extent_zeroed);
		c->bytes_zeroed += c->extent_zeroed;
		c->extents_zeroed++;
	}
	c->in_extent = 0;
}
