/*
 * Where records go: the record stream on stdout (the normal job), a
 * one-line-per-record listing (--list), a summary (--info), or a
 * verifier's report (--verify).  Images and record streams both feed a
 * sink, so --list, --info and --verify read either.
 */
#ifndef BIMG_UNPACK_SINK_H
#define BIMG_UNPACK_SINK_H

#include "hashmap.h"
#include "stream.h"
#include "super.h"
#include "vec.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sink_mode { SINK_STREAM, SINK_LIST, SINK_INFO, SINK_VERIFY };

struct verifier;

/* How many tree blocks each tree (owner) has; one entry per distinct owner. */
struct owner_count {
	uint64_t owner;
	uint64_t blocks;
};

/* What the image itself looked like (filled by the image reader). */
struct image_stats {
	int is_image; /* 0 when the input was a record stream */
	int version;
	uint64_t clusters;
	uint64_t items;
	uint64_t stored_bytes;
	uint64_t inflated_bytes;
	uint64_t compressed_clusters;
	uint64_t trailing_bytes; /* partial index block at the end */
};

struct record_sink {
	enum sink_mode mode;
	FILE *out; /* SINK_LIST / SINK_INFO */
	struct stream_writer writer;
	struct fs_info fs;
	int have_fs;
	struct super_info super;
	int have_super;
	uint64_t records;
	uint64_t chunks;
	uint64_t tree_blocks;
	uint64_t data_records;
	uint64_t data_bytes;
	uint64_t data_extents; /* DATA records without DATA_FLAG_CONTINUES */
	uint64_t other_records;
	/*
	 * In order of first appearance (sorted by owner for the summary), found
	 * through owner_index; bounded by the number of trees, capped (the rest
	 * in other_owner_blocks).
	 */
	VEC(struct owner_count) owners;
	struct hashmap owner_index; /* owner -> index in owners */
	uint64_t other_owner_blocks;
	struct image_stats image;
	struct verifier *verify; /* SINK_VERIFY */
	int exit_status;	 /* what the program ends with once the sink is finished */
};

void sink_init(struct record_sink *s, enum sink_mode mode);
/* Check what passes with v (the sink owns it from now on). */
void sink_verify(struct record_sink *s, struct verifier *v);
void sink_fs_info(struct record_sink *s, const struct fs_info *fs);
void sink_superblock(struct record_sink *s, const uint8_t *sb);
void sink_chunk(struct record_sink *s, const uint8_t *payload, size_t len);
void sink_tree_block(struct record_sink *s, uint64_t logical, uint64_t flags, const uint8_t *block);
void sink_data(struct record_sink *s, uint64_t logical, uint64_t flags, const uint8_t *bytes, size_t len);
/* A record stream's END was read: the verifier learns its damaged count. */
void sink_end_record(struct record_sink *s, uint64_t damaged);
/* END for a stream; the summary for --info; the report for --verify (exit_status 1 if not sound). */
void sink_finish(struct record_sink *s);

#endif
