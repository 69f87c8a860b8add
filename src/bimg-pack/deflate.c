#include "deflate.h"
#include "msg.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int deflate_codec_parse(const char *name)
{
	if (strcmp(name, "libdeflate") == 0)
		return DEFLATE_LIBDEFLATE;
	if (strcmp(name, "zlib") == 0)
		return DEFLATE_ZLIB;
	return -1;
}

/*
 * A libdeflate compressor is hundreds of KiB of tables: allocating one per
 * item would cost more than compressing a small item, so each thread keeps
 * one (the level is fixed for a run) and frees it when the thread ends.
 */
static pthread_key_t compressor_key;
static pthread_once_t compressor_once = PTHREAD_ONCE_INIT;

static void free_compressor(void *c)
{
	libdeflate_free_compressor(c);
}

static void make_compressor_key(void)
{
	(void)pthread_key_create(&compressor_key, free_compressor);
}

/*
 * libdeflate's levels are not zlib's.  At 1..9 it parses greedily or
 * lazily like zlib, in a fraction of zlib's time, but its level 9 comes out
 * up to 2 % larger than zlib's level 9 on lived-in filesystems; from level
 * 10 on it parses near-optimally.  Level 10 is the cheapest level smaller
 * than zlib -9 on every image we measured (1.3 to 6 % smaller, in 0.45 to
 * 0.66x zlib -9's time; the table is in docs/design.md, bench/levels.sh
 * makes it), so -c9, which asks for the smallest image, gets level 10.
 * Levels 1..8 are taken as they are: the fast choices.
 */
static int libdeflate_level(int zlib_level)
{
	return zlib_level >= 9 ? 10 : zlib_level;
}

static struct libdeflate_compressor *thread_compressor(int level)
{
	struct libdeflate_compressor *c;

	(void)pthread_once(&compressor_once, make_compressor_key);
	c = pthread_getspecific(compressor_key);
	if (!c) {
		c = libdeflate_alloc_compressor(libdeflate_level(level));
		if (c && pthread_setspecific(compressor_key, c) != 0) {
			libdeflate_free_compressor(c);
			c = NULL;
		}
	}
	return c;
}

static const char *with_libdeflate(int level, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
				   char *err, size_t err_size)
{
	struct libdeflate_compressor *c = thread_compressor(level);
	size_t bound, n;

	if (!c) {
		snprintf(err, err_size, "cannot set up libdeflate at level %d", level);
		return err;
	}
	bound = libdeflate_zlib_compress_bound(c, len);
	*out = malloc(bound);
	if (!*out) {
		snprintf(err, err_size, "out of memory compressing %zu bytes", len);
		return err;
	}
	n = libdeflate_zlib_compress(c, in, len, *out, bound);
	if (n == 0) { /* cannot happen with a bound-sized buffer */
		free(*out);
		*out = NULL;
		snprintf(err, err_size, "libdeflate could not compress %zu bytes into %zu", len, bound);
		return err;
	}
	*out_len = n;
	return NULL;
}

static const char *with_zlib(int level, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
			     size_t err_size)
{
	uLongf bound = compressBound(len);
	int ret;

	*out = malloc(bound);
	if (!*out) {
		snprintf(err, err_size, "out of memory compressing %zu bytes", len);
		return err;
	}
	ret = compress2(*out, &bound, in, len, level);
	if (ret != Z_OK) {
		free(*out);
		*out = NULL;
		snprintf(err, err_size, "zlib error %d", ret);
		return err;
	}
	*out_len = bound;
	return NULL;
}

const char *deflate_item(enum deflate_codec codec, int level, const uint8_t *in, size_t len, uint8_t **out,
			 size_t *out_len, char *err, size_t err_size)
{
	*out = NULL;
	*out_len = 0;
	if (codec == DEFLATE_LIBDEFLATE)
		return with_libdeflate(level, in, len, out, out_len, err, err_size);
	return with_zlib(level, in, len, out, out_len, err, err_size);
}

#define STREAM_OUT_SIZE (256u << 10)

struct deflate_stream {
	z_stream z;
	deflate_out_fn out;
	void *ctx;
	uint8_t buf[STREAM_OUT_SIZE];
};

struct deflate_stream *deflate_stream_begin(int level, deflate_out_fn out, void *ctx)
{
	struct deflate_stream *s = xcalloc(1, sizeof(*s));
	int ret = deflateInit(&s->z, level);

	if (ret != Z_OK)
		die("cannot set up zlib at level %d (error %d)", level, ret);
	s->out = out;
	s->ctx = ctx;
	return s;
}

/* One pass of deflate over what is in s->z, handing out every full output buffer. */
static int run(struct deflate_stream *s, int flush)
{
	int ret;

	do {
		s->z.next_out = s->buf;
		s->z.avail_out = sizeof(s->buf);
		ret = deflate(&s->z, flush);
		if (ret == Z_STREAM_ERROR)
			die("zlib deflate failed");
		if (sizeof(s->buf) > s->z.avail_out)
			s->out(s->ctx, s->buf, sizeof(s->buf) - s->z.avail_out);
	} while (s->z.avail_out == 0 || (flush == Z_NO_FLUSH && s->z.avail_in));
	return ret;
}

void deflate_stream_feed(struct deflate_stream *s, const uint8_t *in, size_t len)
{
	while (len) {
		uInt piece = len > (1u << 30) ? 1u << 30 : (uInt)len;

		s->z.next_in = (Bytef *)in;
		s->z.avail_in = piece;
		(void)run(s, Z_NO_FLUSH);
		in += piece;
		len -= piece;
	}
}

void deflate_stream_end(struct deflate_stream *s)
{
	s->z.next_in = NULL;
	s->z.avail_in = 0;
	if (run(s, Z_FINISH) != Z_STREAM_END)
		die("zlib deflate did not finish its stream");
	(void)deflateEnd(&s->z);
	free(s);
}
