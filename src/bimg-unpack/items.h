/*
 * Turn inflated image items into records.  The first item handed over
 * must be the superblock: it gives FS_INFO and the facts (nodesize,
 * header fsid) that tell tree block items from data items.
 */
#ifndef BIMG_UNPACK_ITEMS_H
#define BIMG_UNPACK_ITEMS_H

#include "sink.h"

#include <stddef.h>
#include <stdint.h>

struct item_job {
	uint64_t cluster_offset; /* for messages */
	uint32_t index;
	uint64_t bytenr;
	int compressed;
	size_t limit;	   /* most bytes the payload may inflate to (on a worker) */
	size_t full_limit; /* most bytes the format allows it to inflate to */
	int deferred;	   /* inflates beyond limit: streamed by the main thread instead */
	uint8_t *stored;
	size_t stored_len;
	size_t cost; /* memory reserved while in flight */
	/* results */
	uint8_t *bytes;
	size_t len;
	const char *error;
	char errbuf[200];
};

struct item_emitter {
	const char *name;
	struct record_sink *sink;
	int version;
	int have_super;
	uint32_t nodesize;
	uint8_t header_fsid[16];
	uint64_t inflated_bytes;
	/* the item being streamed (items_stream_*) */
	struct item_job streamed;
	uint64_t known_len; /* its length when known in advance, else 0 */
	uint64_t stream_done; /* bytes emitted */
	enum { STREAM_UNSURE, STREAM_TREE_BLOCKS, STREAM_DATA } stream_kind;
	uint8_t *piece;	/* DATA_PIECE_MAX bytes */
	size_t piece_len;
};

void items_emitter_init(struct item_emitter *e, const char *name, struct record_sink *sink);
/* Dies, naming the cluster and item, if the job failed or the item is unusable. */
void items_emit(struct item_emitter *e, const struct item_job *job);

/*
 * The same for an item too large to hold whole (a v1 item may be 256 MiB):
 * its bytes are handed over in pieces and leave as records in pieces.
 * known_len: the inflated length if known (raw items), else 0; without it
 * an item is taken for tree blocks by its first block alone.
 */
void items_stream_begin(struct item_emitter *e, const struct item_job *job, uint64_t known_len);
void items_stream_bytes(struct item_emitter *e, const uint8_t *bytes, size_t len);
void items_stream_end(struct item_emitter *e);
/* Free the piece buffer. */
void items_emitter_free(struct item_emitter *e);

#endif
