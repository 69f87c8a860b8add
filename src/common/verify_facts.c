/*
 * The facts the tree blocks leave for the walk (struct vblock, struct
 * vlink), within a fixed budget of memory: BIMG_VERIFY_MEMORY, 4 MiB by
 * default, half for the blocks and half for their links.  Past it they go
 * to unlinked temporary files in $TMPDIR (xio.h), so that the memory stays
 * the same however large the filesystem.
 *
 *   blocks  a full buffer is sorted by (address, arrival) and written out
 *           as a run; at the end the runs are merged, FACTS_FAN_IN at a
 *           time, until one file holds them all in that order
 *   links   written out as they come, in arrival order: a block's links
 *           are contiguous and found by their index
 *
 * The walk reads both through a small direct-mapped cache of pages, and
 * finds a block by its address through the first address of each page of
 * the sorted file.  What the walk marks on a block (VB_* flags) is a
 * nibble per block, in memory whatever the budget: the part that grows
 * (docs/design.md "Verify").  Records on disk are encoded with le.h.
 */
#include "cli.h"
#include "le.h"
#include "msg.h"
#include "vec.h"
#include "verify_state.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FACTS_MEMORY_DEFAULT (4ull << 20)
#define FACTS_MEMORY_MIN (1ull << 10)
#define FACTS_MEMORY_MAX (64ull << 30)

#define BLOCK_RECORD 56
/* In a block record: what the merge and the search read without decoding it. */
#define BLOCK_REC_BYTENR 0
#define BLOCK_REC_SEQ 44
#define LINK_RECORD 40
#define PAGE_RECORDS 128 /* records per page of the walk's caches */
#define CACHE_SLOTS 64	 /* pages per cache: 448 KiB of blocks, 320 KiB of links */
#define FACTS_FAN_IN 16	 /* runs merged at a time */
#define MERGE_RECORDS 256 /* records read or written at a time by a merge: 14 KiB */

static const char facts_what[] = "verify: keeping the facts of the tree blocks";

/* BIMG_VERIFY_MEMORY: bytes, or KiB, MiB, GiB with a suffix K, M, G. */
static uint64_t facts_budget(void)
{
	const char *arg = getenv("BIMG_VERIFY_MEMORY");
	uint64_t size;

	if (!arg || !*arg)
		return FACTS_MEMORY_DEFAULT;
	if (cli_size(arg, FACTS_MEMORY_MIN, FACTS_MEMORY_MAX, &size) < 0)
		die("verify: BIMG_VERIFY_MEMORY: '%s' is not a size from 1K to 64G (bytes, or K, M, G)", arg);
	return size;
}

void facts_init(struct vfacts *f)
{
	uint64_t half = facts_budget() / 2;

	memset(f, 0, sizeof(*f));
	f->max_blocks = half / sizeof(struct vblock);
	f->max_links = half / sizeof(struct vlink);
	f->blocks_fd = f->links_fd = -1;
}

static void pages_free(struct vpages *p)
{
	free(p->data);
	free(p->page_of);
	p->data = NULL;
	p->page_of = NULL;
}

void facts_free(struct vfacts *f)
{
	VEC_FREE(f->blocks);
	VEC_FREE(f->links);
	VEC_FREE(f->runs);
	pages_free(&f->block_pages);
	pages_free(&f->link_pages);
	free(f->page_first);
	free(f->flags);
	if (f->blocks_fd >= 0)
		close(f->blocks_fd);
	if (f->links_fd >= 0)
		close(f->links_fd);
}

static void encode_block(uint8_t *p, const struct vblock *b)
{
	memset(p, 0, BLOCK_RECORD);
	put_le64(p, BLOCK_REC_BYTENR, b->bytenr);
	put_le64(p, 8, b->generation);
	put_le64(p, 16, b->owner);
	put_le64(p, 24, b->key_objectid);
	put_le64(p, 32, b->key_offset);
	put_le32(p, 40, b->link_first);
	put_le32(p, BLOCK_REC_SEQ, b->seq);
	put_le16(p, 48, b->link_count);
	put_le8(p, 50, b->key_type);
	put_le8(p, 51, b->level);
	put_le8(p, 52, b->fault);
}

static void decode_block(const uint8_t *p, struct vblock *b)
{
	memset(b, 0, sizeof(*b));
	b->bytenr = get_le64(p, BLOCK_REC_BYTENR);
	b->generation = get_le64(p, 8);
	b->owner = get_le64(p, 16);
	b->key_objectid = get_le64(p, 24);
	b->key_offset = get_le64(p, 32);
	b->link_first = get_le32(p, 40);
	b->seq = get_le32(p, BLOCK_REC_SEQ);
	b->link_count = get_le16(p, 48);
	b->key_type = get_le8(p, 50);
	b->level = get_le8(p, 51);
	b->fault = get_le8(p, 52);
}

static void encode_link(uint8_t *p, const struct vlink *l)
{
	memset(p, 0, LINK_RECORD);
	put_le64(p, 0, l->a);
	put_le64(p, 8, l->b);
	put_le64(p, 16, l->c);
	put_le64(p, 24, l->d);
	put_le8(p, 32, l->kind);
	put_le8(p, 33, l->key_type);
	put_le8(p, 34, l->level);
	put_le8(p, 35, l->dead);
}

static void decode_link(const uint8_t *p, struct vlink *l)
{
	memset(l, 0, sizeof(*l));
	l->a = get_le64(p, 0);
	l->b = get_le64(p, 8);
	l->c = get_le64(p, 16);
	l->d = get_le64(p, 24);
	l->kind = get_le8(p, 32);
	l->key_type = get_le8(p, 33);
	l->level = get_le8(p, 34);
	l->dead = get_le8(p, 35);
}

static void write_at(int fd, const void *buf, size_t len, uint64_t off)
{
	if (pwrite_full(fd, buf, len, off) < 0)
		die("%s: cannot write its temporary file:", facts_what);
}

static void read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t got = pread_full(fd, buf, len, off);

	if (got < 0)
		die("%s: cannot read its temporary file back:", facts_what);
	if ((size_t)got != len)
		die("%s: internal error: its temporary file is shorter than what was written to it", facts_what);
}

/* The blocks in memory (in arrival order), sorted and written out as one run. */
static int block_order(const void *pa, const void *pb)
{
	const struct vblock *a = pa, *b = pb;

	if (a->bytenr != b->bytenr)
		return a->bytenr < b->bytenr ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void spill_blocks(struct vfacts *f)
{
	uint8_t buf[MERGE_RECORDS * BLOCK_RECORD];
	struct vrun run = { f->blocks_end, f->blocks.count };
	size_t i, n = 0;

	if (f->blocks_fd < 0)
		f->blocks_fd = temp_file_open(facts_what);
	sort_array(f->blocks.items, f->blocks.count, sizeof(*f->blocks.items), block_order);
	for (i = 0; i < f->blocks.count; i++) {
		encode_block(buf + n * BLOCK_RECORD, &f->blocks.items[i]);
		if (++n == MERGE_RECORDS || i + 1 == f->blocks.count) {
			write_at(f->blocks_fd, buf, n * BLOCK_RECORD, f->blocks_end);
			f->blocks_end += n * BLOCK_RECORD;
			n = 0;
		}
	}
	VEC_PUSH(f->runs, run);
	f->blocks.count = 0;
}

static void spill_links(struct vfacts *f)
{
	uint8_t buf[MERGE_RECORDS * LINK_RECORD];
	size_t i, n = 0;

	if (f->links_fd < 0)
		f->links_fd = temp_file_open(facts_what);
	for (i = 0; i < f->links.count; i++) {
		encode_link(buf + n * LINK_RECORD, &f->links.items[i]);
		if (++n == MERGE_RECORDS || i + 1 == f->links.count) {
			write_at(f->links_fd, buf, n * LINK_RECORD, f->links_written * LINK_RECORD);
			f->links_written += n;
			n = 0;
		}
	}
	f->links.count = 0;
}

void facts_add_block(struct vfacts *f, const struct vblock *b)
{
	if (f->blocks.count >= f->max_blocks)
		spill_blocks(f);
	VEC_PUSH(f->blocks, *b);
	f->nblocks++;
}

void facts_add_link(struct vfacts *f, const struct vlink *l)
{
	if (f->links.count >= f->max_links)
		spill_links(f);
	VEC_PUSH(f->links, *l);
	f->nlinks++;
}

/* One run being merged: the next records of it, read MERGE_RECORDS at a time. */
struct run_cursor {
	uint64_t next, end; /* byte offsets in the blocks file */
	uint8_t buf[MERGE_RECORDS * BLOCK_RECORD];
	size_t have, at;
};

static const uint8_t *cursor_head(int fd, struct run_cursor *c)
{
	if (c->at == c->have) {
		uint64_t left = (c->end - c->next) / BLOCK_RECORD;

		if (!left)
			return NULL;
		c->have = left < MERGE_RECORDS ? (size_t)left : MERGE_RECORDS;
		read_at(fd, c->buf, c->have * BLOCK_RECORD, c->next);
		c->next += c->have * BLOCK_RECORD;
		c->at = 0;
	}
	return c->buf + c->at * BLOCK_RECORD;
}

static int record_before(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = get_le64(a, BLOCK_REC_BYTENR), y = get_le64(b, BLOCK_REC_BYTENR);

	if (x != y)
		return x < y;
	return get_le32(a, BLOCK_REC_SEQ) < get_le32(b, BLOCK_REC_SEQ);
}

/* runs[0..n) merged into one run at the end of the file. */
static struct vrun merge_runs(struct vfacts *f, const struct vrun *runs, size_t n)
{
	struct run_cursor *c = xcalloc(n, sizeof(*c));
	uint8_t *out = xmalloc(MERGE_RECORDS * BLOCK_RECORD);
	struct vrun merged = { f->blocks_end, 0 };
	size_t i, have = 0;

	for (i = 0; i < n; i++) {
		c[i].next = runs[i].offset;
		c[i].end = runs[i].offset + runs[i].count * BLOCK_RECORD;
	}
	for (;;) {
		const uint8_t *best = NULL, *head;
		size_t from = 0;

		for (i = 0; i < n; i++)
			if ((head = cursor_head(f->blocks_fd, &c[i])) && (!best || record_before(head, best))) {
				best = head;
				from = i;
			}
		if (best) {
			memcpy(out + have * BLOCK_RECORD, best, BLOCK_RECORD);
			c[from].at++;
			merged.count++;
		}
		if ((best && ++have == MERGE_RECORDS) || (!best && have)) {
			write_at(f->blocks_fd, out, have * BLOCK_RECORD, f->blocks_end);
			f->blocks_end += have * BLOCK_RECORD;
			have = 0;
		}
		if (!best)
			break;
	}
	free(out);
	free(c);
	return merged;
}

/* Merge passes until one run holds every block: each block is rewritten log16(runs) times. */
static void merge_all(struct vfacts *f)
{
	while (f->runs.count > 1) {
		size_t n = f->runs.count, i, kept = 0;

		for (i = 0; i < n; i += FACTS_FAN_IN) {
			size_t group = n - i < FACTS_FAN_IN ? n - i : FACTS_FAN_IN;
			struct vrun merged = group > 1 ? merge_runs(f, &f->runs.items[i], group) : f->runs.items[i];

			f->runs.items[kept++] = merged;
		}
		f->runs.count = kept;
	}
}

static void pages_open(struct vpages *p, int fd, uint64_t offset, uint64_t count, size_t rec_size)
{
	size_t i;

	p->fd = fd;
	p->offset = offset;
	p->count = count;
	p->rec_size = rec_size;
	p->data = xmalloc((size_t)CACHE_SLOTS * PAGE_RECORDS * rec_size);
	p->page_of = xmalloc(CACHE_SLOTS * sizeof(*p->page_of));
	for (i = 0; i < CACHE_SLOTS; i++)
		p->page_of[i] = UINT64_MAX;
}

/* Record i of the file, valid until the next call on the same cache. */
static const uint8_t *pages_get(struct vpages *p, uint64_t i)
{
	uint64_t page = i / PAGE_RECORDS;
	size_t slot = (size_t)(page % CACHE_SLOTS);
	uint8_t *data = p->data + slot * PAGE_RECORDS * p->rec_size;

	if (i >= p->count)
		die("%s: internal error: record %llu of %llu", facts_what, (unsigned long long)i,
		    (unsigned long long)p->count);
	if (p->page_of[slot] != page) {
		uint64_t first = page * PAGE_RECORDS, n = p->count - first;

		if (n > PAGE_RECORDS)
			n = PAGE_RECORDS;
		read_at(p->fd, data, (size_t)n * p->rec_size, p->offset + first * p->rec_size);
		p->page_of[slot] = page;
	}
	return data + (i % PAGE_RECORDS) * p->rec_size;
}

/* The sorted blocks file: the first address of each page, for finding a block. */
static void index_pages(struct vfacts *f)
{
	uint64_t npages = (f->nblocks + PAGE_RECORDS - 1) / PAGE_RECORDS, page;
	uint8_t rec[BLOCK_RECORD];

	f->page_first = xmalloc((size_t)npages * sizeof(*f->page_first));
	for (page = 0; page < npages; page++) {
		read_at(f->blocks_fd, rec, BLOCK_RECORD, f->block_pages.offset + page * PAGE_RECORDS * BLOCK_RECORD);
		f->page_first[page] = get_le64(rec, BLOCK_REC_BYTENR);
	}
}

void facts_sort(struct vfacts *f)
{
	/* The links first: their buffer goes before the merge needs its memory. */
	if (f->links_fd >= 0) {
		spill_links(f);
		VEC_FREE(f->links);
		pages_open(&f->link_pages, f->links_fd, 0, f->links_written, LINK_RECORD);
		f->links_on_disk = 1;
	}
	if (f->blocks_fd < 0) {
		sort_array(f->blocks.items, f->blocks.count, sizeof(*f->blocks.items), block_order);
	} else {
		if (f->blocks.count)
			spill_blocks(f);
		VEC_FREE(f->blocks);
		merge_all(f);
		pages_open(&f->block_pages, f->blocks_fd, f->runs.count ? f->runs.items[0].offset : 0, f->nblocks,
			   BLOCK_RECORD);
		index_pages(f);
		f->blocks_on_disk = 1;
	}
	f->flags = xcalloc((size_t)(f->nblocks / 2 + 1), 1);
}

void facts_block(struct vfacts *f, uint64_t i, struct vblock *out)
{
	if (f->blocks_on_disk)
		decode_block(pages_get(&f->block_pages, i), out);
	else
		*out = f->blocks.items[i];
}

void facts_link(struct vfacts *f, uint64_t i, struct vlink *out)
{
	if (f->links_on_disk)
		decode_link(pages_get(&f->link_pages, i), out);
	else
		*out = f->links.items[i];
}

/* In the sorted blocks file: the first of page `page`'s records whose address is above bytenr. */
static uint64_t page_upper_bound(struct vfacts *f, uint64_t page, uint64_t bytenr)
{
	uint64_t lo = page * PAGE_RECORDS, hi = lo + PAGE_RECORDS;

	if (hi > f->nblocks)
		hi = f->nblocks;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (get_le64(pages_get(&f->block_pages, mid), BLOCK_REC_BYTENR) <= bytenr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long facts_find(struct vfacts *f, uint64_t bytenr)
{
	uint64_t npages, page, at;
	struct vblock b;

	/* the last record at bytenr: the one a restore leaves on disk */
	if (!f->blocks_on_disk) {
		size_t lo = ARRAY_UPPER_BOUND(f->blocks.items, f->blocks.count, bytenr, bytenr);

		if (lo == 0 || f->blocks.items[lo - 1].bytenr != bytenr)
			return -1;
		return (long)(lo - 1);
	}
	npages = (f->nblocks + PAGE_RECORDS - 1) / PAGE_RECORDS;
	for (page = 0; npages > page;) { /* the first page that starts above bytenr */
		uint64_t mid = page + (npages - page) / 2;

		if (f->page_first[mid] <= bytenr)
			page = mid + 1;
		else
			npages = mid;
	}
	if (page == 0)
		return -1;
	/* pages after it start above bytenr: the last record at or below it is in this page */
	at = page_upper_bound(f, page - 1, bytenr);
	facts_block(f, at - 1, &b);
	return b.bytenr == bytenr ? (long)(at - 1) : -1;
}

unsigned facts_flags(const struct vfacts *f, uint64_t i)
{
	return (f->flags[i / 2] >> (i % 2 * 4)) & 0xF;
}

void facts_set_flags(struct vfacts *f, uint64_t i, unsigned flags)
{
	f->flags[i / 2] |= (uint8_t)((flags & 0xF) << (i % 2 * 4));
}
