#include "packer.h"
#include "deflate.h"
#include "image.h"
#include "le.h"
#include "msg.h"
#include "ordered_pool.h"
#include "output.h"

#include <stdlib.h>
#include <string.h>

/*
 * Memory bound: at most JOBS_PER_THREAD items per thread are being
 * compressed, and no more than IN_FLIGHT_BUDGET raw bytes of them (one
 * item always allowed: a v1 data item may be 256 MiB alone), plus the
 * cluster being assembled (83 compressed items).  A v0 item is at most
 * 256 KiB, so for metadata the budget is not what limits: 4 items per
 * thread keep the workers busy, and a deeper queue only costs memory.
 */
#define JOBS_PER_THREAD 4
#define IN_FLIGHT_BUDGET (32u << 20)

struct item {
	uint64_t bytenr;
	uint8_t *raw;
	size_t len;
	uint8_t *stored; /* == raw when not compressed */
	size_t stored_len;
	int level;
	enum deflate_codec codec;
	const char *error; /* NULL, or why compressing failed */
	char errbuf[160];
};

struct packer {
	int version;
	int level;
	enum deflate_codec codec;
	uint64_t max_pending;
	struct ordered_pool *pool;
	size_t in_flight;
	/* the pending range (1.6) */
	int have_pending;
	enum range_kind pending_kind;
	uint64_t pending_start;
	uint8_t *pending;
	size_t pending_len, pending_cap;
	/* the cluster being assembled, items in order */
	struct item *cluster[IMAGE_ITEMS_PER_CLUSTER];
	unsigned nitems;
	/* One index block for the whole run: entries past nritems keep the previous cluster's (1.2). */
	uint8_t index[IMAGE_BLOCK_SIZE];
};

static void compress_item(void *arg)
{
	struct item *it = arg;

	it->error = deflate_item(it->codec, it->level, it->raw, it->len, &it->stored, &it->stored_len, it->errbuf,
				 sizeof(it->errbuf));
	free(it->raw);
	it->raw = NULL;
}

struct packer *packer_create(int version, int level, enum deflate_codec codec, unsigned threads)
{
	struct packer *p = xcalloc(1, sizeof(*p));
	unsigned workers = level > 0 && threads > 1 ? threads : 0;

	p->version = version;
	p->level = level;
	p->codec = codec;
	p->max_pending = image_max_pending(version);
	p->pool = ordered_pool_create(workers, (workers ? workers : 1) * JOBS_PER_THREAD, compress_item);
	return p;
}

static void write_cluster(struct packer *p)
{
	static const uint8_t zeros[IMAGE_BLOCK_SIZE];
	uint64_t offset = output_offset();
	uint64_t end;
	unsigned i;

	put_le64(p->index, IMAGE_IDX_MAGIC, p->version == 1 ? IMAGE_MAGIC_V1 : IMAGE_MAGIC_V0);
	put_le64(p->index, IMAGE_IDX_BYTENR, offset);
	put_le32(p->index, IMAGE_IDX_NRITEMS, p->nitems);
	put_le8(p->index, IMAGE_IDX_COMPRESS, p->level > 0);
	for (i = 0; i < p->nitems; i++) {
		uint8_t *e = p->index + IMAGE_HEADER_SIZE + (size_t)i * IMAGE_ITEM_SIZE;
		put_le64(e, IMAGE_ITEM_BYTENR, p->cluster[i]->bytenr);
		put_le32(e, IMAGE_ITEM_SIZE_FIELD, (uint32_t)p->cluster[i]->stored_len);
	}
	output_write(p->index, sizeof(p->index));
	for (i = 0; i < p->nitems; i++) {
		struct item *it = p->cluster[i];
		output_write(it->stored, it->stored_len);
		if (it->stored != it->raw)
			free(it->raw);
		free(it->stored);
		free(it);
	}
	end = output_offset();
	if (end % IMAGE_BLOCK_SIZE)
		output_write(zeros, IMAGE_BLOCK_SIZE - end % IMAGE_BLOCK_SIZE);
	p->nitems = 0;
}

static void add_to_cluster(struct packer *p, struct item *it)
{
	if (it->error)
		die("compressing the item at logical %llu (%zu bytes): %s", (unsigned long long)it->bytenr, it->len,
		    it->error);
	if (it->stored_len > UINT32_MAX)
		die("item at logical %llu is too large for the image format", (unsigned long long)it->bytenr);
	p->cluster[p->nitems++] = it;
	if (p->nitems == IMAGE_ITEMS_PER_CLUSTER)
		write_cluster(p);
}

static void collect_one(struct packer *p)
{
	struct item *it = ordered_pool_collect(p->pool);

	p->in_flight -= it->len;
	add_to_cluster(p, it);
}

static void emit_pending(struct packer *p)
{
	struct item *it = xcalloc(1, sizeof(*it));

	it->bytenr = p->pending_start;
	it->raw = p->pending;
	it->len = p->pending_len;
	it->level = p->level;
	it->codec = p->codec;
	p->have_pending = 0;
	p->pending = NULL;
	p->pending_len = p->pending_cap = 0;
	if (p->level == 0) {
		it->stored = it->raw;
		it->stored_len = it->len;
		add_to_cluster(p, it);
		return;
	}
	while (ordered_pool_pending(p->pool) &&
	       (ordered_pool_full(p->pool) || p->in_flight + it->len > IN_FLIGHT_BUDGET))
		collect_one(p);
	p->in_flight += it->len;
	ordered_pool_submit(p->pool, it);
}

void packer_offer(struct packer *p, uint64_t start, size_t len, enum range_kind kind, const uint8_t *bytes)
{
	if (len > IMAGE_MAX_PENDING_V1)
		die("range at logical %llu: %zu bytes is more than an image item can hold",
		    (unsigned long long)start, len);
	if (p->have_pending && (kind != p->pending_kind || p->pending_len + len > p->max_pending ||
				p->pending_start + p->pending_len != start))
		emit_pending(p);
	if (!p->have_pending) {
		p->have_pending = 1;
		p->pending_kind = kind;
		p->pending_start = start;
		p->pending_len = 0;
	}
	if (p->pending_len + len > p->pending_cap) {
		/* A v0 item is usually filled to its 256 KiB: start there, not below. */
		size_t cap = p->pending_cap ? p->pending_cap : IMAGE_MAX_PENDING_V0;
		while (cap < p->pending_len + len)
			cap *= 2;
		p->pending = xrealloc(p->pending, cap);
		p->pending_cap = cap;
	}
	memcpy(p->pending + p->pending_len, bytes, len);
	p->pending_len += len;
}

void packer_finish(struct packer *p)
{
	if (p->have_pending)
		emit_pending(p);
	while (ordered_pool_pending(p->pool))
		collect_one(p);
	if (p->nitems)
		write_cluster(p);
	ordered_pool_destroy(p->pool);
	free(p);
}
