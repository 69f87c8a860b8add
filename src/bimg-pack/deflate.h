/*
 * Deflating one image item into a zlib stream (RFC 1950), by one of two
 * codecs.  zlib's compress2() reproduces the reference's bytes exactly;
 * libdeflate is several times faster at levels 1..8, within about 2 % of
 * zlib's size, and at 9 (its level 10) smaller than zlib's 9 in about 0.6x
 * its time (deflate.c).  Either output is one complete zlib stream, which
 * is all that a restorer requires of a payload (docs/image-format.md).
 */
#ifndef BIMG_PACK_DEFLATE_H
#define BIMG_PACK_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

enum deflate_codec { DEFLATE_LIBDEFLATE, DEFLATE_ZLIB };

/* "libdeflate" or "zlib" -> codec; -1 for anything else. */
int deflate_codec_parse(const char *name);

/*
 * Deflate in[0..len) at level 1..9 into a new buffer.  Returns NULL and
 * sets *out, *out_len, or returns a message in err (thread-safe, never
 * dies: it runs on the compression workers).
 */
const char *deflate_item(enum deflate_codec codec, int level, const uint8_t *in, size_t len, uint8_t **out,
			 size_t *out_len, char *err, size_t err_size);

/*
 * Deflate one large item in pieces, with zlib on one thread (the zlib
 * codec; the default one deflates large items on the workers,
 * piece_deflate.h): an item of up to 256 MiB must not be held whole.  Fed
 * with Z_NO_FLUSH and ended with Z_FINISH, zlib makes the same bytes as
 * compress2() on the whole item (tests/300-pack.bats checks it).  The
 * compressed bytes go to out(ctx, bytes, len) as they come.  These run on
 * the main thread and die on failure.
 */
typedef void (*deflate_out_fn)(void *ctx, const uint8_t *bytes, size_t len);
struct deflate_stream;

struct deflate_stream *deflate_stream_begin(int level, deflate_out_fn out, void *ctx);
void deflate_stream_feed(struct deflate_stream *s, const uint8_t *in, size_t len);
/* Finish the zlib stream, hand out its last bytes, and free s. */
void deflate_stream_end(struct deflate_stream *s);

#endif
