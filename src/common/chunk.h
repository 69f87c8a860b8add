/*
 * Chunk items and the logical-to-physical chunk map.
 *
 * The map is a sorted array of chunks looked up by binary search.  It is
 * the one structure of the dump and restore that grows with the
 * filesystem: one entry (about 100 bytes + 32 per stripe) per chunk, i.e.
 * a few hundred KiB for a 100 TiB filesystem of 1 GiB data chunks.
 */
#ifndef BIMG_CHUNK_H
#define BIMG_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "btrfs.h"

struct chunk_stripe {
	uint64_t devid;
	uint64_t offset;
	uint8_t dev_uuid[BTRFS_UUID_SIZE];
};

struct chunk {
	uint64_t logical;
	uint64_t length;
	uint64_t stripe_len;
	uint64_t type;
	uint16_t num_stripes;
	uint16_t sub_stripes;
	struct chunk_stripe *stripes;
};

/*
 * Parse and validate a chunk item of item_len bytes for the chunk starting
 * at logical.  On success returns NULL and fills *out (out->stripes is
 * allocated; free with chunk_free).  On failure returns a static message.
 */
const char *chunk_parse(const uint8_t *item, size_t item_len, uint64_t logical, struct chunk *out);
void chunk_free(struct chunk *c);

/* Size in bytes of the chunk item that starts at item, given the bytes available (0 if too short). */
size_t chunk_item_size(const uint8_t *item, size_t avail);

/*
 * Walk a system chunk array (or any packed sequence of key + chunk item
 * pairs, as in a CHUNK record).  The callback gets each parsed chunk and
 * the raw item; a non-NULL return from it stops the walk and is returned.
 * Returns NULL on success or the first error, with *error_offset set to
 * the array offset of the bad entry.
 */
typedef const char *(*chunk_array_fn)(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len);
const char *chunk_array_walk(const uint8_t *array, size_t size, chunk_array_fn fn, void *ctx, size_t *error_offset);

/* Profile name ("single", "dup", "raid1", ...) of a type. */
const char *chunk_profile_name(uint64_t type);

/* Number of complete copies of each byte (1 for single/raid0/raid5/raid6). */
int chunk_num_copies(const struct chunk *c);

/*
 * Where copy `copy` (0 .. chunk_num_copies-1) of logical lives: device,
 * physical offset, and how many bytes from there are contiguous on that
 * device (to the end of the stripe unit or chunk).  Returns 0, or -1 if
 * logical is outside the chunk or copy is out of range.
 */
int chunk_map_copy(const struct chunk *c, uint64_t logical, int copy, uint64_t *devid, uint64_t *physical,
		   uint64_t *contiguous);

struct chunk_map {
	struct chunk *chunks;
	size_t count;
	size_t capacity;
};

void chunk_map_init(struct chunk_map *map);
void chunk_map_free(struct chunk_map *map);
/*
 * Add a chunk (taking ownership of its stripes).  A chunk equal in start
 * and length to one present replaces it; a chunk overlapping another one
 * differently is an error (returned as a static message).
 */
const char *chunk_map_add(struct chunk_map *map, struct chunk *c);
/* The chunk containing logical, or NULL. */
const struct chunk *chunk_map_lookup(const struct chunk_map *map, uint64_t logical);

#endif
