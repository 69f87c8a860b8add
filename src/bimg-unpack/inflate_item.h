/*
 * Strict zlib inflate of one image payload: exactly one complete zlib
 * stream, nothing after it, output no larger than a limit.  libdeflate
 * does small items; anything it rejects, and large items, go through
 * zlib, whose messages say what is wrong.
 */
#ifndef BIMG_UNPACK_INFLATE_ITEM_H
#define BIMG_UNPACK_INFLATE_ITEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Inflate in[0..in_len) into a new buffer (*out, *out_len).  Returns NULL,
 * or a message (in a caller-provided buffer err of err_size bytes) saying
 * what is wrong; *out is then NULL.  Thread-safe; never dies.
 */
const char *inflate_item(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len,
			 char *err, size_t err_size);

/* The same; on failure *over_limit says whether the only fault was inflating to more than limit. */
const char *inflate_item_within(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len,
				int *over_limit, char *err, size_t err_size);

#endif
