/*
 * Privacy fails closed: bimg-sanitize passes on only tree blocks it has
 * read in full.  A block is read in full when every byte of it is either
 * a header field, an item or pointer the sanitizer understands, or free
 * space (which it zeroes).  Any other block is wiped: everything after its
 * 101-byte header (which holds no names) is zeroed.  See
 * docs/robustness.md, "Sanitizing fails closed".
 */
#ifndef BIMG_SANITIZE_READABLE_H
#define BIMG_SANITIZE_READABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * NULL when the sanitizer can read every byte of the block, else why not.
 * Checked: the layout (level below 8; a node's pointers fit, their keys
 * ascend and their addresses are non-zero multiples of sectorsize, so a
 * leaf whose level byte says node is not read as one; a leaf's items lie
 * inside it, after the item array, packed downward in slot order); and the
 * items whose bytes the sanitizer rewrites: name records (dir items, dir
 * index, xattrs, inode refs and extrefs, root refs) fill their item
 * exactly, one record at least, and a dir item carries no data; an inode
 * item is 160 bytes; a file extent is inline, or regular or prealloc of 53
 * bytes; every other item is of a type known to hold no name, in a shape
 * that type has (nameless.h).  The checksum is not looked at here (see
 * block.h).
 */
const char *block_unreadable(const uint8_t *block, uint32_t nodesize, uint32_t sectorsize);

/* Zero every byte after the header. */
void wipe_after_header(uint8_t *block, uint32_t nodesize);

/* Zero len bytes at p; 1 if one of them was not zero already. */
int zero_if_set(uint8_t *p, size_t len);

/*
 * A readable block: zero the bytes no item or pointer covers (between the
 * item array and the data, between items' data, after a node's pointers).
 * bimg-scan has already done so for the blocks it read; this covers every
 * other producer.  Returns 1 if a byte changed.
 */
int zero_unused_space(uint8_t *block, uint32_t nodesize);

#endif
