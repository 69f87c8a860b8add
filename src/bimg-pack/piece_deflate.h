/*
 * Deflating one large item on several threads, as pigz does, yet into one
 * zlib stream (RFC 1950): the item is cut into 1 MiB pieces, each deflated
 * raw by zlib on a worker with the 32 KiB before it as its dictionary (so
 * the ratio stays that of one stream).  Every piece but the last ends with
 * a sync flush (byte-aligned, not final), the last one with the final
 * block, so the pieces' outputs joined between a zlib header and the
 * Adler-32 of the whole item are one valid stream.
 *
 * The last piece is known only at the end: the piece being filled is
 * handed to the workers when the first byte after it arrives.  Memory:
 * at most 2 pieces per worker in flight (each its input, its output and a
 * dictionary: about 2 MiB), plus the one being filled.  The compressed
 * bytes go to out(ctx, bytes, len) in order; these run on the main thread
 * and die on failure.
 */
#ifndef BIMG_PACK_PIECE_DEFLATE_H
#define BIMG_PACK_PIECE_DEFLATE_H

#include "deflate.h"

#include <stddef.h>
#include <stdint.h>

struct piece_deflater;

/* level 1..9; workers 0 deflates every piece on the calling thread. */
struct piece_deflater *piece_deflater_create(int level, unsigned workers);
/* Start an item: writes the zlib header. */
void piece_deflater_begin(struct piece_deflater *d, deflate_out_fn out, void *ctx);
void piece_deflater_feed(struct piece_deflater *d, const uint8_t *bytes, size_t len);
/* Deflate what is left, write every piece and the Adler-32: the item is complete. */
void piece_deflater_end(struct piece_deflater *d);
void piece_deflater_free(struct piece_deflater *d);

#endif
