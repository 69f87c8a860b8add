#include "stream_item.h"
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PIECE (1u << 20)

struct source {
	const struct item_job *job;
	struct input *in; /* NULL: job->stored */
	size_t taken;
};

/* The next piece of the stored payload into buf; 0 once it is all taken. */
static size_t next_piece(struct item_emitter *e, struct source *src, uint8_t *buf)
{
	size_t want = src->job->stored_len - src->taken < PIECE ? src->job->stored_len - src->taken : PIECE;
	size_t got;

	if (!src->in) {
		memcpy(buf, src->job->stored + src->taken, want);
		src->taken += want;
		return want;
	}
	got = input_read(src->in, buf, want);
	if (got < want)
		die("%s: cluster at offset %llu: item %u (bytenr %llu): payload of %zu bytes is cut short by the "
		    "end of the image (%zu bytes there)",
		    e->name, (unsigned long long)src->job->cluster_offset, src->job->index,
		    (unsigned long long)src->job->bytenr, src->job->stored_len, src->taken + got);
	src->taken += got;
	return got;
}

__attribute__((noreturn, format(printf, 3, 4))) static void bad(struct item_emitter *e,
								  const struct item_job *job, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	die("%s: cluster at offset %llu: item %u (bytenr %llu): %s", e->name, (unsigned long long)job->cluster_offset,
	    job->index, (unsigned long long)job->bytenr, text);
}

static void stream_raw(struct item_emitter *e, struct source *src, uint8_t *in_buf)
{
	size_t n;

	while ((n = next_piece(e, src, in_buf)) > 0)
		items_stream_bytes(e, in_buf, n);
}

static void stream_inflate(struct item_emitter *e, struct source *src, uint8_t *in_buf, uint8_t *out_buf)
{
	const struct item_job *job = src->job;
	z_stream zs = { 0 };
	int ret;

	if (inflateInit(&zs) != Z_OK)
		die("cannot initialise zlib");
	for (;;) {
		if (zs.avail_in == 0 && src->taken < job->stored_len) {
			zs.avail_in = (uInt)next_piece(e, src, in_buf);
			zs.next_in = in_buf;
		}
		zs.next_out = out_buf;
		zs.avail_out = PIECE;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT)
			bad(e, job, "corrupt zlib stream after %lu input bytes (%s)", zs.total_in,
			    zs.msg ? zs.msg : "bad data");
		if (ret == Z_MEM_ERROR)
			die("out of memory in zlib");
		if (PIECE > zs.avail_out) {
			if (zs.total_out > job->full_limit)
				bad(e, job, "zlib stream inflates to more than %zu bytes", job->full_limit);
			items_stream_bytes(e, out_buf, PIECE - zs.avail_out);
		}
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_BUF_ERROR && zs.avail_in == 0 && src->taken == job->stored_len)
			bad(e, job, "zlib stream ends early (truncated after %zu bytes, %lu inflated)",
			    job->stored_len, zs.total_out);
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			bad(e, job, "zlib error %d", ret);
	}
	if (zs.avail_in != 0 || src->taken < job->stored_len)
		bad(e, job, "%zu bytes of trailing garbage after the zlib stream",
		    zs.avail_in + (job->stored_len - src->taken));
	inflateEnd(&zs);
}

void stream_item(struct item_emitter *e, const struct item_job *job, struct input *in)
{
	struct source src = { .job = job, .in = in };
	uint8_t *in_buf = xmalloc(PIECE);
	uint8_t *out_buf = job->compressed ? xmalloc(PIECE) : NULL;

	items_stream_begin(e, job, job->compressed ? 0 : job->stored_len);
	if (job->compressed)
		stream_inflate(e, &src, in_buf, out_buf);
	else
		stream_raw(e, &src, in_buf);
	items_stream_end(e);
	free(in_buf);
	free(out_buf);
}
