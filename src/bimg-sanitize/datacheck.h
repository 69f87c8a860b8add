/*
 * What bimg-sanitize lets through in DATA records.  Without -d the only
 * data a dump holds is the v1 free space cache, a structure that proves
 * itself: its first page starts with the CRC-32C of every page.  A page
 * whose checksum verifies is passed on; every other byte is zeroed (the
 * kernel then finds the cache invalid and rebuilds it).  So tree blocks
 * that reached the stream as DATA (an image item whose first block's header
 * was damaged comes back from bimg-unpack as data), or anything else, do
 * not pass as they were.  With -d the data is the files' contents, asked
 * for and not checkable; there, a sector that begins with a tree block
 * header of this filesystem (its fsid, its own address as bytenr, or the
 * filesystem's chunk tree uuid, so that one of the three suffices) is a
 * tree block in the wrong record, and the node size from it is zeroed.
 * See docs/robustness.md, "Sanitizing fails closed".
 */
#ifndef BIMG_SANITIZE_DATACHECK_H
#define BIMG_SANITIZE_DATACHECK_H

#include "btrfs.h"

#include <stddef.h>
#include <stdint.h>

struct data_check {
	int file_data; /* the stream carries file data (-d) */
	uint32_t nodesize, sectorsize;
	uint8_t header_fsid[BTRFS_UUID_SIZE];
	/* Every tree block header holds it: learnt from the first sound tree block (data_check_learn). */
	uint8_t chunk_tree_uuid[BTRFS_UUID_SIZE];
	int chunk_tree_uuid_known;
	/* The extent in progress. */
	int in_extent;
	uint64_t start;		 /* its logical address */
	uint64_t done;		 /* its bytes seen so far */
	uint64_t zero_until;	 /* -d: end of the tree block being zeroed */
	uint32_t page_size;	 /* 0: not a free space cache whose checksums verify */
	uint32_t pages;		 /* pages its checksum table covers */
	uint32_t crcs[65536 / 4]; /* that table, copied from its first page */
	uint64_t extent_zeroed;	 /* bytes of it zeroed so far */
	/* Totals for the report. */
	uint64_t bytes_zeroed, extents_zeroed;
};

/*
 * A tree block read at logical whose checksum verifies (csum_type) and
 * whose header is its own: its chunk tree uuid is this filesystem's.
 */
void data_check_learn(struct data_check *c, unsigned csum_type, uint64_t logical, const uint8_t *block);

/*
 * Check one DATA record's bytes in place (logical, its flags, len bytes),
 * zeroing what cannot pass; returns 1 when a byte was zeroed.
 */
int data_check_record(struct data_check *c, uint64_t logical, uint64_t flags, uint8_t *bytes, size_t len);

/* The extent in progress is over (a record of another type, or the end): warn if bytes of it were zeroed. */
void data_check_end_extent(struct data_check *c);

#endif
