/*
 * Turn inflated image items into records.  The first item handed over
 * must be the superblock: it gives FS_INFO and the facts (nodesize,
 * header fsid) that tell tree block items from data items.
 */
#ifndef UNPACK_ITEMS_H
#define UNPACK_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

struct item_job {
	uint64_t cluster_offset; /* for messages */
	uint32_t index;
	uint64_t bytenr;
	int compressed;
	size_t limit; /* most bytes the payload may inflate to */
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
};

void items_emitter_init(struct item_emitter *e, const char *name, struct record_sink *sink);
/* Dies, naming the cluster and item, if the job failed or the item is unusable. */
void items_emit(struct item_emitter *e, const struct item_job *job);

#endif
