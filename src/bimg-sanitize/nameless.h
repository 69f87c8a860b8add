/*
 * The item types that hold no name, and the shapes they come in.  An item
 * passes the sanitizer unchanged only when its type is one the sanitizer
 * knows and its size (and, where the type has one, its inner layout) is
 * one that type is written with: a name item whose type byte was damaged
 * before its block was checksummed (a memory error) then no longer passes
 * as, say, an orphan item or an unknown future type, with its name in
 * clear.  See docs/robustness.md, "Sanitizing fails closed".
 */
#ifndef BIMG_SANITIZE_NAMELESS_H
#define BIMG_SANITIZE_NAMELESS_H

#include "tree.h"

#include <stdint.h>

/*
 * NULL when the item (key, its size bytes at item) is of a type known to
 * hold no name, in a shape that type allows; else why it cannot be read.
 * The types that carry names, inode items and file extents are checked
 * elsewhere (readable.c) and are not passed here.
 */
const char *nameless_item_unreadable(const struct btrfs_key *key, const uint8_t *item, uint32_t size,
				     uint32_t sectorsize);

#endif
