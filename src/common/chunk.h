/*
 * Chunk items and the logical-to-physical chunk map.
 *
 * A chunk item is checked against the filesystem it belongs to (struct
 * chunk_limits, from the superblock) wherever one is parsed, so that no
 * stage does work in proportion to a length, a stripe size or a stripe
 * count that the filesystem cannot have.
 *
 * The map is the one structure of the dump and restore that grows with the
 * filesystem: about 130 bytes + 32 per stripe per chunk, i.e. a few hundred
 * KiB for a 100 TiB filesystem of 1 GiB data chunks.
 */
#ifndef BIMG_COMMON_CHUNK_H
#define BIMG_COMMON_CHUNK_H

#include "btrfs.h"
#include "super.h"

#include <stddef.h>
#include <stdint.h>

/* Largest stripe_len accepted: btrfs always uses 64 KiB. */
#define CHUNK_MAX_STRIPE_LEN (64u << 10)

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

/* What the superblock says a chunk must fit. */
struct chunk_limits {
	uint32_t sectorsize;  /* starts, lengths and stripe offsets are multiples of it */
	uint64_t total_bytes; /* the size of all devices together: no chunk or stripe goes beyond */
	uint64_t num_devices; /* stripes of a striped or mirrored chunk lie on distinct devices */
};
struct chunk_limits chunk_limits_of(const struct super_info *sb);

/*
 * Parse and validate a chunk item of item_len bytes for the chunk starting
 * at logical: the stripe count against the profile and num_devices, the
 * stripe length (a power of two from the sectorsize to 64 KiB), start,
 * length and stripe offsets aligned to the sectorsize and within
 * total_bytes.  On success returns NULL and fills *out (out->stripes is
 * allocated; free with chunk_free).  On failure returns a message in a
 * static buffer (valid until the next call).
 */
const char *chunk_parse(const uint8_t *item, size_t item_len, uint64_t logical, const struct chunk_limits *limits,
			struct chunk *out);
void chunk_free(struct chunk *c);

/* Size in bytes of the chunk item that starts at item, given the bytes available (0 if too short). */
size_t chunk_item_size(const uint8_t *item, size_t avail);

/*
 * Walk a system chunk array (or any packed sequence of key + chunk item
 * pairs, as in a CHUNK record), parsing each item with chunk_parse.  The
 * callback gets each parsed chunk and the raw item; a non-NULL return from
 * it stops the walk and is returned.  Returns NULL on success or the first
 * error, with *error_offset set to the array offset of the bad entry.
 */
typedef const char *(*chunk_array_fn)(void *ctx, const struct chunk *c, const uint8_t *item, size_t item_len);
const char *chunk_array_walk(const uint8_t *array, size_t size, const struct chunk_limits *limits, chunk_array_fn fn,
			     void *ctx, size_t *error_offset);

/* Profile name ("single", "dup", "raid1", ...) of a type. */
const char *chunk_profile_name(uint64_t type);

/* Number of complete copies of each byte (1 for single/raid0/raid5/raid6). */
int chunk_num_copies(const struct chunk *c);

/* Bytes each stripe of the chunk holds on its device. */
uint64_t chunk_stripe_bytes(const struct chunk *c);

/*
 * Where copy `copy` (0 .. chunk_num_copies-1) of logical lives: device,
 * physical offset, and how many bytes from there are contiguous on that
 * device (to the end of the stripe unit or chunk).  Returns 0, or -1 if
 * logical is outside the chunk or copy is out of range.
 */
int chunk_map_copy(const struct chunk *c, uint64_t logical, int copy, uint64_t *devid, uint64_t *physical,
		   uint64_t *contiguous);

/*
 * The map: chunks by logical start in a balanced search tree (an AA tree,
 * never shrinking), so that adding or finding a chunk costs O(log n)
 * whatever order the chunks come in; a stream may bring the chunk tree's
 * leaves in any order.  Each chunk keeps the index it was added with, so
 * tables about chunks can be plain arrays (chunk_map_index).
 */
struct chunk_map_node;
struct chunk_map {
	struct chunk *added; /* every chunk, in the order added: added[chunk_map_index(c)] is c */
	struct chunk_map_node *nodes;
	size_t count;
	size_t capacity;
	size_t root;  /* index of the tree's root, CHUNK_MAP_NONE when empty */
	size_t first; /* index of the lowest chunk */
};
#define CHUNK_MAP_NONE SIZE_MAX

void chunk_map_init(struct chunk_map *map);
void chunk_map_free(struct chunk_map *map);
/*
 * Add a chunk (taking ownership of its stripes).  A chunk with the same
 * start and length as one present is a repetition (the system chunk array
 * and the chunk tree both hold the system chunks): the first one stays, as
 * in btrfs itself.  A chunk overlapping another one differently is an
 * error (returned as a static message).  Pointers into the map are valid
 * until the next addition.
 */
const char *chunk_map_add(struct chunk_map *map, struct chunk *c);
/* The chunk containing logical, or NULL. */
const struct chunk *chunk_map_lookup(const struct chunk_map *map, uint64_t logical);
/* The first chunk starting above logical, or NULL. */
const struct chunk *chunk_map_after(const struct chunk_map *map, uint64_t logical);
/* In logical order: for (c = chunk_map_first(map); c; c = chunk_map_next(map, c)) */
const struct chunk *chunk_map_first(const struct chunk_map *map);
const struct chunk *chunk_map_next(const struct chunk_map *map, const struct chunk *c);
/* The index c was added with: 0 .. count-1. */
size_t chunk_map_index(const struct chunk_map *map, const struct chunk *c);

#endif
