#include "inflate_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* Typical tree block payloads compress 5..20x; start there and double. */
#define FIRST_GUESS_RATIO 8
#define MIN_BUFFER (64u << 10)

const char *inflate_item(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len,
			 char *err, size_t err_size)
{
	z_stream zs = { 0 };
	size_t cap = in_len * FIRST_GUESS_RATIO;
	uint8_t *buf;
	int ret;

	*out = NULL;
	*out_len = 0;
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
	for (;;) {
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
			snprintf(err, err_size, "corrupt zlib stream after %lu input bytes (%s)", zs.total_in,
				 zs.msg ? zs.msg : "bad data");
			goto fail;
		}
		if (ret == Z_MEM_ERROR) {
			snprintf(err, err_size, "out of memory in zlib");
			goto fail;
		}
		if (zs.avail_out == 0) {
			size_t used = zs.total_out;
			uint8_t *bigger;

			if (used > limit) {
				snprintf(err, err_size, "zlib stream inflates to more than %zu bytes", limit);
				goto fail;
			}
			cap = cap * 2 > limit ? limit : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				snprintf(err, err_size, "out of memory inflating to %zu bytes", cap);
				goto fail;
			}
			buf = bigger;
			zs.next_out = buf + used;
			zs.avail_out = (uInt)(cap + 1 - used);
			continue;
		}
		if (zs.avail_in == 0) {
			snprintf(err, err_size, "zlib stream ends early (truncated after %zu bytes, %lu inflated)",
				 in_len, zs.total_out);
			goto fail;
		}
		if (ret != Z_OK) {
			snprintf(err, err_size, "zlib error %d", ret);
			goto fail;
		}
	}
	if (zs.total_out > limit) {
		snprintf(err, err_size, "zlib stream inflates to more than %zu bytes", limit);
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
