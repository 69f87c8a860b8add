/*
 * The superblock under -s and -ss: what of it is free text or undefined,
 * cleared.  docs/sanitize.md, "What is replaced or cleared".
 */
#ifndef BIMG_SANITIZE_SUPERSCRUB_H
#define BIMG_SANITIZE_SUPERSCRUB_H

#include <stdint.h>

/*
 * Clear the label, the system chunk array past its size, every byte the
 * superblock does not define and compat_flags, and set the unused leafsize
 * to the node size (a warning names each such area found set, never its
 * bytes); recompute the checksum when a byte changed.
 */
void scrub_superblock(uint8_t *sb);

#endif
