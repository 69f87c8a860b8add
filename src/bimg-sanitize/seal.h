/*
 * The blocks -ss holds back wait in a temporary file in $TMPDIR (filter.c)
 * with every name they held.  The file has no name and dies with the
 * process, but its bytes stay on the disk under $TMPDIR until overwritten,
 * where the names would outlive the dump.  So each block is sealed before
 * it is written: AES-256 in counter mode under a key drawn from the
 * kernel's random source for this run alone, which never leaves the
 * process's memory (like the name map's spill key, docs/sanitize.md).
 */
#ifndef BIMG_SANITIZE_SEAL_H
#define BIMG_SANITIZE_SEAL_H

#include <stddef.h>
#include <stdint.h>

struct seal;

struct seal *seal_new(void);
void seal_free(struct seal *s);

/*
 * Seal or open (the same operation) the len bytes at p in place, the
 * index-th block of the file: each index must be used for one block only,
 * and opened with the index it was sealed with.
 */
void seal_block(struct seal *s, uint64_t index, uint8_t *p, size_t len);

#endif
