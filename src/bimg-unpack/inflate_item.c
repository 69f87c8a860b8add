#include "inflate_item.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* Typical tree block payloads compress 5..20x; start there and double. */
#define FIRST_GUESS_RATIO 8
#define MIN_BUFFER (64u << 10)

/*
 * Whole-buffer inflate with libdeflate is several times faster than
 * zlib's, but needs an output buffer as big as the limit; that is cheap
 * for v0 items (512 KiB) and not for v1 ones (512 MiB), which stream
 * through zlib.
 */
#define WHOLE_BUFFER_LIMIT (1u << 20)

static pthread_key_t decompressor_key;
static pthread_once_t decompressor_once = PTHREAD_ONCE_INIT;

static void free_decompressor(void *d)
{
	libdeflate_free_decompressor(d);
}

static void make_decompressor_key(void)
{
	(void)pthread_key_create(&decompressor_key, free_decompressor);
}

/* One decompressor per thread, freed when the thread ends. */
static struct libdeflate_decompressor *thread_decompressor(void)
{
	struct libdeflate_decompressor *d;

	(void)pthread_once(&decompressor_once, make_decompressor_key);
	d = pthread_getspecific(decompressor_key);
	if (!d) {
		d = libdeflate_alloc_decompressor();
		if (d && pthread_setspecific(decompressor_key, d) != 0) {
			libdeflate_free_decompressor(d);
			d = NULL;
		}
	}
	return d;
}

/*
 * 1 when in[] is exactly one complete zlib stream of at most limit bytes:
 * nothing after it (actual_in), not cut short (libdeflate reports that as
 * bad data).  0 leaves the verdict, and its precise message, to zlib.
 */
static int whole_buffer_inflate(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len)
{
	struct libdeflate_decompressor *d = thread_decompressor();
	size_t used_in = 0, used_out = 0;
	uint8_t *buf;

	if (!d)
		return 0;
	buf = malloc(limit ? limit : 1);
	if (!buf)
		return 0;
	if (libdeflate_zlib_decompress_ex(d, in, in_len, buf, limit, &used_in, &used_out) != LIBDEFLATE_SUCCESS ||
	    used_in != in_len) {
		free(buf);
		return 0;
	}
	*out = buf;
	*out_len = used_out;
	return 1;
}

/* More room for output: the buffer doubles, up to limit (plus the byte that tells "more"). */
static const char *grow_output(z_stream *zs, uint8_t **buf, size_t *cap, size_t limit, int *over_limit, char *err,
			       size_t err_size)
{
	size_t used = zs->total_out;
	uint8_t *bigger;

	if (used > limit) {
		snprintf(err, err_size, "zlib stream inflates to more than %zu bytes", limit);
		*over_limit = 1;
		return err;
	}
	*cap = *cap * 2 > limit ? limit : *cap * 2;
	bigger = realloc(*buf, *cap + 1);
	if (!bigger) {
		snprintf(err, err_size, "out of memory inflating to %zu bytes", *cap);
		return err;
	}
	*buf = bigger;
	zs->next_out = bigger + used;
	zs->avail_out = (uInt)(*cap + 1 - used);
	return NULL;
}

/* Run zlib to the end of its stream, growing *buf as needed. */
static const char *inflate_to_end(z_stream *zs, uint8_t **buf, size_t *cap, size_t in_len, size_t limit,
				  int *over_limit, char *err, size_t err_size)
{
	for (;;) {
		int ret = inflate(zs, Z_NO_FLUSH);

		if (ret == Z_STREAM_END)
			return NULL;
		if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
			snprintf(err, err_size, "corrupt zlib stream after %lu input bytes (%s)", zs->total_in,
				 zs->msg ? zs->msg : "bad data");
			return err;
		}
		if (ret == Z_MEM_ERROR) {
			snprintf(err, err_size, "out of memory in zlib");
			return err;
		}
		if (zs->avail_out == 0) {
			if (grow_output(zs, buf, cap, limit, over_limit, err, err_size))
				return err;
			continue;
		}
		if (zs->avail_in == 0) {
			snprintf(err, err_size, "zlib stream ends early (truncated after %zu bytes, %lu inflated)",
				 in_len, zs->total_out);
			return err;
		}
		if (ret != Z_OK) {
			snprintf(err, err_size, "zlib error %d", ret);
			return err;
		}
	}
}

const char *inflate_item_within(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len,
				int *over_limit, char *err, size_t err_size)
{
	z_stream zs = { 0 };
	size_t cap = in_len * FIRST_GUESS_RATIO;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	*over_limit = 0;
	if (limit <= WHOLE_BUFFER_LIMIT && whole_buffer_inflate(in, in_len, limit, out, out_len))
		return NULL;
	if (cap < MIN_BUFFER)
		cap = MIN_BUFFER;
	if (cap > limit)
		cap = limit;
	/* One byte beyond the limit tells "exactly the limit" from "more". */
	buf = malloc(cap + 1);
	if (!buf) {
		snprintf(err, err_size, "out of memory inflating %zu bytes", in_len);
		return err;
	}
	if (inflateInit(&zs) != Z_OK) {
		free(buf);
		snprintf(err, err_size, "cannot initialise zlib");
		return err;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	zs.next_out = buf;
	zs.avail_out = (uInt)(cap + 1);
	if (inflate_to_end(&zs, &buf, &cap, in_len, limit, over_limit, err, err_size))
		goto fail;
	if (zs.total_out > limit) {
		snprintf(err, err_size, "zlib stream inflates to more than %zu bytes", limit);
		*over_limit = 1;
		goto fail;
	}
	if (zs.avail_in != 0) {
		snprintf(err, err_size, "%u bytes of trailing garbage after the zlib stream", zs.avail_in);
		goto fail;
	}
	*out_len = zs.total_out;
	*out = buf;
	inflateEnd(&zs);
	return NULL;
fail:
	inflateEnd(&zs);
	free(buf);
	return err;
}

const char *inflate_item(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len,
			 char *err, size_t err_size)
{
	int over_limit;

	return inflate_item_within(in, in_len, limit, out, out_len, &over_limit, err, err_size);
}
