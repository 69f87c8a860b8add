#include "piece_deflate.h"
#include "msg.h"
#include "ordered_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PIECE_SIZE (1u << 20)
/* deflate looks back at most 32 KiB: more dictionary would change nothing */
#define DICT_SIZE (32u << 10)
#define PIECES_PER_WORKER 2

struct piece {
	int level;
	int last;
	uint8_t *in;
	size_t len;
	uint8_t dict[DICT_SIZE];
	size_t dict_len;
	uint8_t *out;
	size_t out_len;
	const char *error; /* NULL, or why deflating failed */
	char errbuf[120];
};

struct piece_deflater {
	int level;
	struct ordered_pool *pool;
	size_t max_in_flight;
	deflate_out_fn out;
	void *ctx;
	uLong adler; /* of the item's bytes handed to the workers so far */
	uint8_t *fill; /* the piece being filled */
	size_t fill_len;
	uint8_t dict[DICT_SIZE]; /* the last bytes before the piece being filled */
	size_t dict_len;
};

static const char *piece_error(struct piece *pc, const char *what, int ret)
{
	snprintf(pc->errbuf, sizeof(pc->errbuf), "zlib %s failed (error %d)", what, ret);
	return pc->errbuf;
}

/* Raw deflate of pc->in, ended by a sync flush or, for the last piece, the final block. */
static const char *deflate_raw(struct piece *pc, z_stream *z)
{
	int flush = pc->last ? Z_FINISH : Z_SYNC_FLUSH;
	size_t cap = deflateBound(z, pc->len) + 64; /* + the sync flush's empty stored block */
	int ret;

	if (pc->dict_len && (ret = deflateSetDictionary(z, pc->dict, (uInt)pc->dict_len)) != Z_OK)
		return piece_error(pc, "setting the dictionary", ret);
	pc->out = malloc(cap);
	if (!pc->out)
		return "out of memory";
	z->next_in = pc->in;
	z->avail_in = (uInt)pc->len;
	z->next_out = pc->out;
	z->avail_out = (uInt)cap;
	for (;;) {
		ret = deflate(z, flush);
		if (ret == Z_STREAM_ERROR)
			return piece_error(pc, "deflate", ret);
		if (pc->last ? ret == Z_STREAM_END : z->avail_in == 0 && z->avail_out != 0)
			break;
		/* not expected with a bound-sized buffer, but never wrong */
		{
			size_t used = cap - z->avail_out;
			uint8_t *more = realloc(pc->out, cap * 2);

			if (!more)
				return "out of memory";
			pc->out = more;
			cap *= 2;
			z->next_out = pc->out + used;
			z->avail_out = (uInt)(cap - used);
		}
	}
	pc->out_len = cap - z->avail_out;
	return NULL;
}

static void deflate_piece(void *arg)
{
	struct piece *pc = arg;
	z_stream z;
	int ret;

	memset(&z, 0, sizeof(z));
	ret = deflateInit2(&z, pc->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	if (ret != Z_OK) {
		pc->error = piece_error(pc, "set-up", ret);
	} else {
		pc->error = deflate_raw(pc, &z);
		(void)deflateEnd(&z);
	}
	free(pc->in);
	pc->in = NULL;
}

struct piece_deflater *piece_deflater_create(int level, unsigned workers)
{
	struct piece_deflater *d = xcalloc(1, sizeof(*d));

	d->level = level;
	d->max_in_flight = workers ? (size_t)workers * PIECES_PER_WORKER : 1;
	d->pool = ordered_pool_create(workers, d->max_in_flight, deflate_piece);
	return d;
}

/*
 * The header zlib writes: deflate with a 32 KiB window, the level's class
 * in FLEVEL, and FCHECK making CMF * 256 + FLG a multiple of 31.
 */
static void write_header(struct piece_deflater *d)
{
	unsigned cmf = 0x78, flevel = d->level < 2 ? 0 : d->level < 6 ? 1 : d->level == 6 ? 2 : 3;
	unsigned flg = flevel << 6;
	uint8_t header[2];

	flg += 31 - (cmf * 256 + flg) % 31;
	header[0] = (uint8_t)cmf;
	header[1] = (uint8_t)flg;
	d->out(d->ctx, header, sizeof(header));
}

void piece_deflater_begin(struct piece_deflater *d, deflate_out_fn out, void *ctx)
{
	d->out = out;
	d->ctx = ctx;
	d->adler = adler32(0, NULL, 0);
	d->dict_len = 0;
	d->fill_len = 0;
	write_header(d);
}

static void write_oldest(struct piece_deflater *d)
{
	struct piece *pc = ordered_pool_collect(d->pool);

	if (pc->error)
		die("deflating a piece of a large item: %s", pc->error);
	d->out(d->ctx, pc->out, pc->out_len);
	free(pc->out);
	free(pc);
}

/* The last DICT_SIZE bytes of what came before, and then bytes[0..len). */
static void slide_dict(struct piece_deflater *d, const uint8_t *bytes, size_t len)
{
	if (len >= DICT_SIZE) {
		memcpy(d->dict, bytes + len - DICT_SIZE, DICT_SIZE);
		d->dict_len = DICT_SIZE;
		return;
	}
	if (d->dict_len + len > DICT_SIZE) {
		size_t drop = d->dict_len + len - DICT_SIZE;

		memmove(d->dict, d->dict + drop, d->dict_len - drop);
		d->dict_len -= drop;
	}
	memcpy(d->dict + d->dict_len, bytes, len);
	d->dict_len += len;
}

static void submit_fill(struct piece_deflater *d, int last)
{
	struct piece *pc = xmalloc(sizeof(*pc));

	pc->level = d->level;
	pc->last = last;
	pc->in = d->fill;
	pc->len = d->fill_len;
	memcpy(pc->dict, d->dict, d->dict_len);
	pc->dict_len = d->dict_len;
	pc->out = NULL;
	pc->out_len = 0;
	pc->error = NULL;
	if (pc->len) {
		d->adler = adler32(d->adler, pc->in, (uInt)pc->len);
		slide_dict(d, pc->in, pc->len);
	}
	d->fill = NULL;
	d->fill_len = 0;
	while (ordered_pool_pending(d->pool) >= d->max_in_flight)
		write_oldest(d);
	ordered_pool_submit(d->pool, pc);
}

void piece_deflater_feed(struct piece_deflater *d, const uint8_t *bytes, size_t len)
{
	while (len) {
		size_t n;

		if (d->fill_len == PIECE_SIZE)
			submit_fill(d, 0);
		if (!d->fill)
			d->fill = xmalloc(PIECE_SIZE);
		n = PIECE_SIZE - d->fill_len < len ? PIECE_SIZE - d->fill_len : len;
		memcpy(d->fill + d->fill_len, bytes, n);
		d->fill_len += n;
		bytes += n;
		len -= n;
	}
}

void piece_deflater_end(struct piece_deflater *d)
{
	uint8_t trailer[4];

	submit_fill(d, 1);
	while (ordered_pool_pending(d->pool))
		write_oldest(d);
	trailer[0] = (uint8_t)(d->adler >> 24);
	trailer[1] = (uint8_t)(d->adler >> 16);
	trailer[2] = (uint8_t)(d->adler >> 8);
	trailer[3] = (uint8_t)d->adler;
	d->out(d->ctx, trailer, sizeof(trailer));
}

void piece_deflater_free(struct piece_deflater *d)
{
	if (!d)
		return;
	while (ordered_pool_pending(d->pool)) {
		struct piece *pc = ordered_pool_collect(d->pool);

		free(pc->out);
		free(pc);
	}
	ordered_pool_destroy(d->pool);
	free(d->fill);
	free(d);
}
