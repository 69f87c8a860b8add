/*
 * What the verifier keeps between the records and the final walk; shared
 * by verify*.c only (the programs use verify.h).
 *
 *   verify.c        the records: FS_INFO, SUPERBLOCK, CHUNK, DATA, END; finish
 *   verify_block.c  one tree block: its own checks, its facts and links
 *   verify_walk.c   the trees walked from the superblock through the facts
 *   verify_chunks.c chunks, block groups, addresses and data extents
 *   verify_report.c problems, notes and the report (text or JSON)
 *   verify_facts.c  the blocks' facts and links: memory up to a budget, then disk
 *
 * Memory: one struct vblock (56 bytes) per tree block record and one
 * struct vlink (40 bytes) per node pointer and per root, chunk, block
 * group or checked file extent item, up to the budget (verify_facts.c);
 * 4 bits per tree block for the walk's marks; one struct vrange (16
 * bytes) per run of adjacent data records.
 */
#ifndef BIMG_COMMON_VERIFY_STATE_H
#define BIMG_COMMON_VERIFY_STATE_H

#include "stream.h"
#include "super.h"
#include "tree.h"
#include "vec.h"
#include "verify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Why a tree block failed its own checks (index into block_fault_text). */
enum block_fault {
	FAULT_NONE,
	FAULT_DAMAGED, /* flagged DAMAGED by bimg-scan --rescue=copy */
	FAULT_BYTENR,
	FAULT_FSID,
	FAULT_CSUM,
	FAULT_LAYOUT_LEVEL,
	FAULT_LAYOUT_EMPTY_NODE,
	FAULT_LAYOUT_NODE_FULL,
	FAULT_LAYOUT_ITEMS,
	FAULT_KEY_ORDER,
	FAULT_POINTER,
	FAULT_FUTURE,
	FAULT_ALIGN,
	FAULT_COUNT
};
extern const char *const block_fault_text[FAULT_COUNT];

/* What the walk marks on a block (facts_flags) */
#define VB_REACHED 0x1	  /* the walk came here */
#define VB_SUPERSEDED 0x2 /* a later record has the same address: the restore keeps that one */
#define VB_SYSTEM 0x4	  /* reached through the chunk tree: must lie in a SYSTEM chunk */

struct vblock {
	uint64_t bytenr; /* the record's logical address */
	uint64_t generation;
	uint64_t owner;
	uint64_t key_objectid; /* first key (zero for an empty leaf) */
	uint64_t key_offset;
	uint32_t link_first; /* its links: links[link_first .. link_first + link_count) */
	uint32_t seq;	     /* order of arrival, to find the last of equal addresses */
	uint16_t link_count;
	uint8_t key_type;
	uint8_t level;
	uint8_t fault; /* enum block_fault */
};

/* docs/design.md states these sizes: keep them. */
_Static_assert(sizeof(struct vblock) == 56, "struct vblock is 56 bytes");

enum link_kind {
	LINK_CHILD,	  /* node pointer: a = child, b = generation, c/d/key_type = key */
	LINK_ROOT,	  /* ROOT_ITEM: a = root block, b = generation, c = tree, d = key offset, level, dead */
	LINK_DATA,	  /* file extent: a = disk bytenr, b = disk bytes, c = inode, d = file offset */
	LINK_CHUNK,	  /* CHUNK_ITEM: a = logical, b = length, c = type, d = item crc32c */
	LINK_BLOCK_GROUP, /* BLOCK_GROUP_ITEM: a = start, b = length, c = flags */
};

struct vlink {
	uint64_t a, b, c, d;
	uint8_t kind;
	uint8_t key_type; /* LINK_CHILD */
	uint8_t level;	  /* LINK_ROOT */
	uint8_t dead;	  /* LINK_ROOT: refs 0, the tree is being deleted */
};

_Static_assert(sizeof(struct vlink) == 40, "struct vlink is 40 bytes");

/* The blocks' facts and links (verify_facts.c): in memory, or past the budget in files. */
struct vrun {
	uint64_t offset, count; /* count blocks at offset of the blocks file, sorted */
};

/* A direct-mapped cache of pages of fixed-size records in a file. */
struct vpages {
	int fd;
	uint64_t offset, count; /* count records of rec_size bytes from offset */
	size_t rec_size;
	uint8_t *data;
	uint64_t *page_of; /* the page each slot holds (UINT64_MAX: none) */
};

struct vfacts {
	size_t max_blocks, max_links; /* how many of each the budget holds in memory */
	VEC(struct vblock) blocks;    /* every block; once spilled, those not yet in a run */
	VEC(struct vlink) links;      /* every link; once spilled, those not yet written */
	uint64_t nblocks, nlinks;     /* all of them */
	int blocks_fd, links_fd;      /* -1 until the first spill */
	uint64_t blocks_end;	      /* bytes written to blocks_fd */
	uint64_t links_written;	      /* links written to links_fd */
	VEC(struct vrun) runs;
	int blocks_on_disk, links_on_disk; /* after facts_sort: read through the caches */
	struct vpages block_pages, link_pages;
	uint64_t *page_first; /* address of each block page's first block */
	uint8_t *flags;	      /* VB_* of each block (by sorted position), a nibble each */
};

void facts_init(struct vfacts *f);
void facts_free(struct vfacts *f);
void facts_add_block(struct vfacts *f, const struct vblock *b);
void facts_add_link(struct vfacts *f, const struct vlink *l);
/* At the end of the records: the blocks sorted by address (then arrival); then: */
void facts_sort(struct vfacts *f);
void facts_block(struct vfacts *f, uint64_t i, struct vblock *out);
void facts_link(struct vfacts *f, uint64_t i, struct vlink *out);
/* Sorted position of the last block at bytenr (the one a restore keeps), or -1. */
long facts_find(struct vfacts *f, uint64_t bytenr);
unsigned facts_flags(const struct vfacts *f, uint64_t i);
void facts_set_flags(struct vfacts *f, uint64_t i, unsigned flags);

struct vrange {
	uint64_t start, end;
};

/* A chunk as the superblock's array, a CHUNK record or the chunk tree states it. */
struct vchunk {
	uint64_t logical, length, type;
	uint32_t item_crc; /* crc32c of the chunk item bytes */
};

enum problem_kind {
	PROBLEM_MISSING,
	PROBLEM_MISMATCH,
	PROBLEM_DAMAGED,
	PROBLEM_CHUNK,
	PROBLEM_ADDRESS,
	PROBLEM_DATA,
	PROBLEM_SUPERBLOCK,
	PROBLEM_DUPLICATE,
	PROBLEM_INPUT,
};

/* What points at a block: the superblock, a ROOT_ITEM in a leaf, a node's pointer. */
enum path_origin { PATH_SUPER, PATH_ROOT_ITEM, PATH_POINTER };

/* Where in the trees a problem was met (for missing, mismatching and damaged blocks). */
struct tree_path {
	int known;
	uint64_t tree, tree_offset; /* the tree's ROOT_ITEM key (objectid, offset) */
	enum path_origin origin;
	uint64_t parent; /* the leaf or node holding the item or pointer */
	uint32_t slot;
};

struct problem {
	enum problem_kind kind;
	struct tree_path path;
	uint64_t bytenr; /* the block (or range start) the problem is about */
	char text[320];
};

/* One tree the walk visited: which it is and what it holds. */
struct tree_stat {
	uint64_t id, offset;
	uint64_t blocks;  /* blocks first reached through this tree */
	uint64_t missing; /* and what it lacks or could not use */
	uint64_t bad;
};

struct owner_tally {
	uint64_t owner, blocks;
};

struct verifier {
	const char *name;
	FILE *out;
	enum verify_report report;
	int image_version; /* -1: record stream */

	struct fs_info fs;
	int have_fs;
	uint8_t sb_raw[BTRFS_SUPER_SIZE];
	struct super_info sb;
	int have_sb;
	const char *sb_error;

	uint64_t newest_generation; /* no block may be newer (the log is one transaction ahead) */
	uint64_t records, tree_blocks, data_records, data_bytes;
	int have_end;
	uint64_t end_damaged;

	struct vfacts facts;
	VEC(struct vrange) data;
	struct vchunk *sys_chunks, *record_chunks, *tree_chunks, *block_groups;
	size_t nsys_chunks, nrecord_chunks, ntree_chunks, nblock_groups;
	int chunk_tree_incomplete; /* a chunk tree block is missing or unusable */

	/* notes */
	uint64_t reference_csums;	/* non-crc32c filesystem, the reference's CRC-32C in place */
	uint64_t dir_items, dir_hash_mismatches; /* -s replaced names without their hashes */
	uint64_t same_duplicates;	/* a block stored twice, identical facts */
	uint64_t dead_roots;		/* trees being deleted: not followed */
	uint64_t data_extents_checked, cache_extents_checked;
	uint64_t block_groups_checked;

	/* results of the walk */
	struct tree_stat *trees;
	size_t ntrees, trees_cap;
	uint64_t reached, unreachable, missing, bad;
	struct owner_tally *unreachable_owners;
	size_t nunreachable_owners;

	struct problem *problems;
	size_t nproblems;
	uint64_t problems_total;
	int abandoned;
	int reported; /* the report is (being) printed */
	char abandon_text[320];
};

/* qsort, but an empty array may be NULL (qsort's arguments must not be). */
static inline void sort_array(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Problems kept (and shown) in full; the rest are counted. */
#define VERIFY_MAX_PROBLEMS 50

/* verify_block.c */
void verify_block_record(struct verifier *v, uint64_t logical, uint64_t flags, const uint8_t *block);
void vlink_append(struct verifier *v, const struct vlink *link);

/* verify_walk.c: sorts the blocks; then every tree from the superblock. */
void verify_walk(struct verifier *v);

/* verify_chunks.c */
void vchunk_append(struct vchunk **array, size_t *count, const struct vchunk *c);
/* The system chunk array / a CHUNK record, kept to compare with the chunk tree. */
void verify_sys_array(struct verifier *v);
void verify_chunk_record(struct verifier *v, const uint8_t *payload, size_t len);
/* A chunk item of a chunk tree leaf: 0 if usable, else reported. */
int verify_chunk_item(struct verifier *v, uint64_t leaf, uint32_t slot, uint64_t logical, const uint8_t *item,
		      size_t len);
/* A leaf's data link, met by the walk (the leaf is in tree `path`). */
void verify_data_link(struct verifier *v, const struct vlink *link, uint64_t leaf, uint32_t slot,
		      const struct tree_path *path);
/* Merge the data records' ranges (before the walk checks data links against them). */
void verify_data_ranges(struct verifier *v);
/* After the walk: chunk tree against the array and CHUNK records, block groups, addresses. */
void verify_chunks(struct verifier *v);

/* verify_report.c */
__attribute__((format(printf, 4, 5))) void problem(struct verifier *v, enum problem_kind kind,
						   const struct tree_path *path, const char *fmt, ...);
/* "tree 5 (FS_TREE)", "log tree of 257", ... into buf. */
const char *tree_label(uint64_t id, uint64_t offset, char *buf, size_t size);
/* "(256 INODE_ITEM 0)"-like text of a key into buf. */
const char *key_text(uint64_t objectid, uint8_t type, uint64_t offset, char *buf, size_t size);
void verify_print_report(struct verifier *v, enum verify_verdict verdict);

#endif
