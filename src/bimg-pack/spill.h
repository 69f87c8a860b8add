/*
 * Bytes that must wait (a cluster's payloads before its index, an extent
 * not yet known to fit its item) but may be too many for memory: kept in
 * memory up to a limit, the rest in an unlinked temporary file in $TMPDIR
 * (or /tmp) that vanishes with the process whatever happens.
 */
#ifndef BIMG_PACK_SPILL_H
#define BIMG_PACK_SPILL_H

#include <stddef.h>
#include <stdint.h>

/* A run of bytes appended in pieces and read back once, in order. */
struct byte_hold {
	const char *what;
	size_t mem_limit;
	uint8_t *mem;
	size_t mem_len, mem_cap;
	int fd; /* -1 until the memory is full */
	uint64_t file_len;
	uint8_t *chunk; /* for reading the file back */
};

void byte_hold_init(struct byte_hold *h, const char *what, size_t mem_limit);
void byte_hold_add(struct byte_hold *h, const uint8_t *bytes, size_t len);
uint64_t byte_hold_len(const struct byte_hold *h);
/* Hand every byte to fn in order, in pieces of at most 1 MiB, and empty h. */
void byte_hold_replay(struct byte_hold *h, void (*fn)(void *ctx, const uint8_t *bytes, size_t len), void *ctx);
void byte_hold_free(struct byte_hold *h);

#endif
