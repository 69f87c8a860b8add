/*
 * The btrfs-image writer (docs/image-format.md, Items): ranges are offered
 * in stream order, merged into items, compressed, and written 83 items
 * per cluster: byte-identical to the reference with the zlib codec.
 */
#ifndef BIMG_PACK_PACKER_H
#define BIMG_PACK_PACKER_H

#include "deflate.h"

#include <stddef.h>
#include <stdint.h>

enum range_kind { RANGE_METADATA, RANGE_DATA };

struct packer;

/* version 0 or 1; level 0 (raw) .. 9; threads used only when level > 0. */
struct packer *packer_create(int version, int level, enum deflate_codec codec, unsigned threads);
/* Offer one range; its bytes are copied. */
void packer_offer(struct packer *p, uint64_t start, size_t len, enum range_kind kind, const uint8_t *bytes);
/*
 * Offer one data extent in pieces, as DATA records bring it: the same as
 * one packer_offer() of the whole extent (it joins the pending item only
 * if it fits whole, 1.6), without ever holding it whole in memory.
 */
void packer_begin_extent(struct packer *p, uint64_t start);
void packer_extent_bytes(struct packer *p, const uint8_t *bytes, size_t len);
void packer_end_extent(struct packer *p);
/* Emit the pending item and the last cluster. */
void packer_finish(struct packer *p);

#endif
