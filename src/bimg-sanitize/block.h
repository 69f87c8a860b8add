/*
 * What bimg-sanitize does to one tree block.  A block it cannot trust (the
 * stream flags it DAMAGED, or its checksum does not verify: any byte may
 * be wrong, the type bytes and lengths its reading rests on included) or
 * cannot read in full (readable.h) is wiped after its header, flagged
 * DAMAGED, and keeps its checksum, which no longer matches; a header that
 * is not this block's (another address or fsid) is zeroed too.  Any other
 * block has its names replaced (leaf.h), its short-name keys and pointer
 * keys moved (placement.h) and its unused space zeroed; its checksum is
 * recomputed when a byte changed.  In every block the checksum field's
 * bytes past the digest are zeroed.
 */
#ifndef BIMG_SANITIZE_BLOCK_H
#define BIMG_SANITIZE_BLOCK_H

#include "btrfs.h"
#include "hashcopies.h"
#include "leaf.h"
#include "namemap.h"
#include "placement.h"

#include <stdint.h>

struct block_sanitizer {
	struct name_map *map;
	struct name_map *xattr_map;
	struct placement *placement; /* -ss without --keep-short, else NULL */
	struct hash_copies *copies;  /* with the placement: drop_progress keys, dir log ranges */
	uint32_t nodesize, sectorsize;
	uint8_t header_fsid[BTRFS_UUID_SIZE]; /* the fsid in this filesystem's tree block headers */
	unsigned csum_type;
	int keep_inline_data; /* the stream carries file data (-d): inline extents stay */
	struct leaf_stats stats;
	uint64_t wiped_flagged;	   /* wiped: flagged DAMAGED upstream */
	uint64_t wiped_csum;	   /* wiped: checksum mismatch */
	uint64_t wiped_unreadable; /* wiped: could not be read in full */
	uint64_t wiped_copies;	   /* wiped: -ss, a name hash's copy could not follow (hashcopies.h) */
};

/* Why the block must be wiped (flagged_damaged: the stream says DAMAGED), or NULL. */
const char *block_untrusted(const struct block_sanitizer *s, const uint8_t *block, int flagged_damaged);

enum block_outcome { BLOCK_UNCHANGED, BLOCK_CHANGED, BLOCK_WIPED, BLOCK_ZEROED };

/*
 * Sanitize block (read at logical) in place.  BLOCK_WIPED: everything
 * after the header is zero, *why says why, and the caller flags it DAMAGED;
 * BLOCK_ZEROED: the same, and the header was zeroed too (it was not the
 * block's own).
 */
enum block_outcome sanitize_tree_block(struct block_sanitizer *s, uint64_t logical, uint8_t *block,
				       int flagged_damaged, const char **why);

#endif
