#include "packer.h"
#include "cluster.h"
#include "deflate.h"
#include "image.h"
#include "le.h"
#include "msg.h"
#include "ordered_pool.h"
#include "output.h"
#include "piece_deflate.h"
#include "spill.h"

#include <stdlib.h>
#include <string.h>

/*
 * Memory bound: at most JOBS_PER_THREAD items per thread are being
 * compressed, and no more than IN_FLIGHT_BUDGET raw bytes of them, plus
 * the cluster's held payloads (cluster.h).  Items up to STREAM_THRESHOLD
 * are built in memory and compressed whole on the workers (a v0 item is
 * at most 256 KiB, so metadata always goes this way); a larger v1 item is
 * streamed: its bytes go to the cluster as they arrive, deflated on the
 * way, so that no 256 MiB item is ever held whole: by the workers in
 * 1 MiB pieces with the default codec (piece_deflate.h), by zlib on this
 * thread with the zlib codec (the reference's bytes need one stream).
 */
#define JOBS_PER_THREAD 4
#define IN_FLIGHT_BUDGET (32u << 20)
#define STREAM_THRESHOLD (1u << 20)
/* An extent not yet known to fit the pending item waits here; more goes to a temporary file. */
#define UNDECIDED_MEMORY (8u << 20)

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
	int level;
	enum deflate_codec codec;
	uint64_t max_pending;
	unsigned workers;
	struct ordered_pool *pool;
	size_t in_flight;
	struct cluster *cluster;
	/* the pending range (1.6) */
	int have_pending;
	enum range_kind pending_kind;
	uint64_t pending_start;
	uint64_t pending_len;
	uint8_t *pending; /* its bytes, unless streaming */
	size_t pending_cap;
	/* the pending range outgrew STREAM_THRESHOLD: its bytes go straight to the cluster */
	int streaming;
	struct deflate_stream *deflater; /* level > 0, zlib codec */
	struct piece_deflater *pieces;	 /* level > 0, libdeflate codec; kept for the next item */
	int piecewise;			 /* the streaming item goes to pieces */
	/* the data extent being offered in pieces */
	int in_extent;
	int undecided; /* it may still join the pending item, if it ends in time */
	uint64_t extent_start, extent_len;
	struct byte_hold held; /* its bytes while undecided */
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

	p->level = level;
	p->codec = codec;
	p->max_pending = image_max_pending(version);
	p->workers = workers;
	p->pool = ordered_pool_create(workers, (workers ? workers : 1) * JOBS_PER_THREAD, compress_item);
	p->cluster = cluster_create(version, level > 0);
	byte_hold_init(&p->held, "holding a data extent", UNDECIDED_MEMORY);
	return p;
}

static void add_to_cluster(struct packer *p, struct item *it)
{
	if (it->error)
		die("compressing the item at logical %llu (%zu bytes): %s", (unsigned long long)it->bytenr, it->len,
		    it->error);
	cluster_add(p->cluster, it->bytenr, it->stored, it->stored_len);
	free(it);
}

static void collect_one(struct packer *p)
{
	struct item *it = ordered_pool_collect(p->pool);

	p->in_flight -= it->len;
	add_to_cluster(p, it);
}

static void to_cluster(void *ctx, const uint8_t *bytes, size_t len)
{
	cluster_item_write(ctx, bytes, len);
}

/* Items before this one are still being compressed: they take their slots first. */
static void start_streaming(struct packer *p)
{
	while (ordered_pool_pending(p->pool))
		collect_one(p);
	cluster_begin_item(p->cluster, p->pending_start);
	p->streaming = 1;
	if (p->level > 0 && p->codec == DEFLATE_LIBDEFLATE) {
		/* created at the first large item: v0 images never need its threads */
		if (!p->pieces)
			p->pieces = piece_deflater_create(p->level, p->workers);
		p->piecewise = 1;
		piece_deflater_begin(p->pieces, to_cluster, p->cluster);
		piece_deflater_feed(p->pieces, p->pending, (size_t)p->pending_len);
	} else if (p->level > 0) {
		p->deflater = deflate_stream_begin(p->level, to_cluster, p->cluster);
		deflate_stream_feed(p->deflater, p->pending, (size_t)p->pending_len);
	} else {
		cluster_item_write(p->cluster, p->pending, (size_t)p->pending_len);
	}
}

static void stream_bytes(struct packer *p, const uint8_t *bytes, size_t len)
{
	if (p->piecewise)
		piece_deflater_feed(p->pieces, bytes, len);
	else if (p->deflater)
		deflate_stream_feed(p->deflater, bytes, len);
	else
		cluster_item_write(p->cluster, bytes, len);
}

static void end_streaming(struct packer *p)
{
	if (p->piecewise)
		piece_deflater_end(p->pieces);
	if (p->deflater)
		deflate_stream_end(p->deflater);
	p->deflater = NULL;
	p->piecewise = 0;
	cluster_end_item(p->cluster);
	p->streaming = 0;
	p->have_pending = 0;
	p->pending_len = 0; /* the buffer is kept for the next range */
}

static void emit_pending(struct packer *p)
{
	struct item *it;

	if (p->streaming) {
		end_streaming(p);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->bytenr = p->pending_start;
	it->raw = p->pending;
	it->len = (size_t)p->pending_len;
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

/* Append to the pending range (already started): in its buffer, or streamed once it is large. */
static void append_pending(struct packer *p, const uint8_t *bytes, size_t len)
{
	if (!p->streaming && p->pending_len + len > STREAM_THRESHOLD)
		start_streaming(p);
	if (p->streaming) {
		stream_bytes(p, bytes, len);
		p->pending_len += len;
		return;
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

static void append_pending_cb(void *ctx, const uint8_t *bytes, size_t len)
{
	append_pending(ctx, bytes, len);
}

static void start_pending(struct packer *p, uint64_t start, enum range_kind kind)
{
	p->have_pending = 1;
	p->pending_kind = kind;
	p->pending_start = start;
	p->pending_len = 0;
}

/* Ends the pending range unless a range of kind at start may join it. */
static int may_join(struct packer *p, uint64_t start, enum range_kind kind)
{
	if (p->have_pending && (kind != p->pending_kind || p->pending_start + p->pending_len != start))
		emit_pending(p);
	return p->have_pending;
}

void packer_offer(struct packer *p, uint64_t start, size_t len, enum range_kind kind, const uint8_t *bytes)
{
	if (p->in_extent)
		die("internal error: a range offered inside a data extent");
	if (len > IMAGE_MAX_PENDING_V1)
		die("range at logical %llu: %zu bytes is more than an image item can hold",
		    (unsigned long long)start, len);
	if (may_join(p, start, kind) && p->pending_len + len > p->max_pending)
		emit_pending(p);
	if (!p->have_pending)
		start_pending(p, start, kind);
	append_pending(p, bytes, len);
}

void packer_begin_extent(struct packer *p, uint64_t start)
{
	if (p->in_extent)
		die("internal error: a data extent begun inside another");
	p->in_extent = 1;
	p->extent_start = start;
	p->extent_len = 0;
	p->undecided = may_join(p, start, RANGE_DATA);
	if (!p->undecided)
		start_pending(p, start, RANGE_DATA);
}

void packer_extent_bytes(struct packer *p, const uint8_t *bytes, size_t len)
{
	if (p->extent_len + len > IMAGE_MAX_PENDING_V1)
		die("data extent at logical %llu is larger than an image item can hold (more than %u bytes)",
		    (unsigned long long)p->extent_start, IMAGE_MAX_PENDING_V1);
	p->extent_len += len;
	if (!p->undecided) {
		append_pending(p, bytes, len);
		return;
	}
	if (p->pending_len + p->extent_len <= p->max_pending) {
		byte_hold_add(&p->held, bytes, len);
		return;
	}
	/* Too big to join: the extent starts an item of its own, as if offered whole. */
	p->undecided = 0;
	emit_pending(p);
	start_pending(p, p->extent_start, RANGE_DATA);
	byte_hold_replay(&p->held, append_pending_cb, p);
	append_pending(p, bytes, len);
}

void packer_end_extent(struct packer *p)
{
	if (!p->in_extent)
		return;
	if (p->undecided)
		byte_hold_replay(&p->held, append_pending_cb, p);
	p->in_extent = 0;
	p->undecided = 0;
}

void packer_finish(struct packer *p)
{
	packer_end_extent(p);
	if (p->have_pending)
		emit_pending(p);
	while (ordered_pool_pending(p->pool))
		collect_one(p);
	cluster_finish(p->cluster);
	byte_hold_free(&p->held);
	ordered_pool_destroy(p->pool);
	piece_deflater_free(p->pieces);
	free(p->pending);
	free(p);
}
