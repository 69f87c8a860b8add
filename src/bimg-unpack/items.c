#include "items.h"
#include "image.h"
#include "msg.h"
#include "super.h"
#include "tree.h"

#include <stdlib.h>
#include <string.h>

void items_emitter_init(struct item_emitter *e, const char *name, struct record_sink *sink)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->sink = sink;
}

__attribute__((noreturn)) static void bad_item(const struct item_emitter *e, const struct item_job *job,
					       const char *why)
{
	die("%s: cluster at offset %llu: item %u (bytenr %llu): %s", e->name,
	    (unsigned long long)job->cluster_offset, job->index, (unsigned long long)job->bytenr, why);
}

static void emit_superblock(struct item_emitter *e, const struct item_job *job)
{
	struct super_info super;
	struct fs_info fs = { 0 };
	const char *why;

	if (job->bytenr != IMAGE_SUPER_BYTENR)
		bad_item(e, job, "expected the superblock item first");
	if (job->len != BTRFS_SUPER_SIZE)
		bad_item(e, job, "superblock item is not 4096 bytes");
	why = super_parse(job->bytes, &super, 1);
	if (why)
		die("%s: cluster at offset %llu: superblock item: %s", e->name,
		    (unsigned long long)job->cluster_offset, why);
	memcpy(fs.fsid, super.fsid, sizeof(fs.fsid));
	memcpy(fs.header_fsid, super.header_fsid, sizeof(fs.header_fsid));
	fs.nodesize = super.nodesize;
	fs.sectorsize = super.sectorsize;
	fs.csum_type = (uint16_t)super.csum_type;
	fs.num_devices = super.num_devices;
	fs.generation = super.generation;
	fs.content = CONTENT_FROM_IMAGE | (e->version == 1 ? CONTENT_DATA : 0);
	e->nodesize = super.nodesize;
	memcpy(e->header_fsid, super.header_fsid, sizeof(e->header_fsid));
	e->have_super = 1;
	sink_fs_info(e->sink, &fs);
	sink_superblock(e->sink, job->bytes);
}

/* A tree block item: whole nodes whose first header names this address and filesystem. */
static int looks_like_tree_blocks(const struct item_emitter *e, const struct item_job *job)
{
	return job->len % e->nodesize == 0 && tree_block_bytenr(job->bytes) == job->bytenr &&
	       memcmp(job->bytes + HDR_FSID, e->header_fsid, BTRFS_UUID_SIZE) == 0;
}

void items_emit(struct item_emitter *e, const struct item_job *job)
{
	size_t done;

	if (job->error)
		bad_item(e, job, job->error);
	e->inflated_bytes += job->len;
	if (!e->have_super) {
		emit_superblock(e, job);
		return;
	}
	if (job->bytenr == IMAGE_SUPER_BYTENR)
		bad_item(e, job, "a second superblock item");
	if (job->len == 0)
		bad_item(e, job, "empty item");
	if (job->bytenr + job->len < job->bytenr)
		bad_item(e, job, "item range wraps around the address space");
	if (looks_like_tree_blocks(e, job)) {
		for (done = 0; done < job->len; done += e->nodesize)
			sink_tree_block(e->sink, job->bytenr + done, 0, job->bytes + done);
		return;
	}
	for (done = 0; done < job->len; done += DATA_PIECE_MAX) {
		size_t piece = job->len - done < DATA_PIECE_MAX ? job->len - done : DATA_PIECE_MAX;
		sink_data(e->sink, job->bytenr + done, done ? DATA_FLAG_CONTINUES : 0, job->bytes + done, piece);
	}
}

void items_stream_begin(struct item_emitter *e, const struct item_job *job, uint64_t known_len)
{
	e->streamed = *job;
	e->streamed.bytes = NULL;
	e->streamed.stored = NULL;
	e->known_len = known_len;
	e->stream_done = 0;
	e->stream_kind = STREAM_UNSURE;
	e->piece_len = 0;
	if (!e->piece)
		e->piece = xmalloc(DATA_PIECE_MAX);
	if (!e->have_super)
		bad_item(e, job, "expected the superblock item first, 4096 bytes");
	if (job->bytenr == IMAGE_SUPER_BYTENR)
		bad_item(e, job, "a second superblock item");
}

static void classify(struct item_emitter *e)
{
	const uint8_t *first = e->piece;
	int tree = e->piece_len >= e->nodesize && tree_block_bytenr(first) == e->streamed.bytenr &&
		   memcmp(first + HDR_FSID, e->header_fsid, BTRFS_UUID_SIZE) == 0 &&
		   (!e->known_len || e->known_len % e->nodesize == 0);

	e->stream_kind = tree ? STREAM_TREE_BLOCKS : STREAM_DATA;
}

/* Emit what the piece buffer holds: whole blocks, or the whole piece (last: also a partial one). */
static void emit_piece(struct item_emitter *e, int last)
{
	size_t done = 0;

	if (e->stream_kind == STREAM_TREE_BLOCKS) {
		for (; e->piece_len - done >= e->nodesize; done += e->nodesize, e->stream_done += e->nodesize)
			sink_tree_block(e->sink, e->streamed.bytenr + e->stream_done, 0, e->piece + done);
		if (last && done < e->piece_len)
			bad_item(e, &e->streamed, "tree block item whose length is not a multiple of the node size");
	} else if (e->piece_len == DATA_PIECE_MAX || (last && e->piece_len)) {
		sink_data(e->sink, e->streamed.bytenr + e->stream_done, e->stream_done ? DATA_FLAG_CONTINUES : 0,
			  e->piece, e->piece_len);
		e->stream_done += e->piece_len;
		done = e->piece_len;
	}
	memmove(e->piece, e->piece + done, e->piece_len - done);
	e->piece_len -= done;
}

void items_stream_bytes(struct item_emitter *e, const uint8_t *bytes, size_t len)
{
	if (e->streamed.bytenr + e->stream_done + e->piece_len + len < e->streamed.bytenr)
		bad_item(e, &e->streamed, "item range wraps around the address space");
	e->inflated_bytes += len;
	while (len) {
		size_t take = DATA_PIECE_MAX - e->piece_len < len ? DATA_PIECE_MAX - e->piece_len : len;

		memcpy(e->piece + e->piece_len, bytes, take);
		e->piece_len += take;
		bytes += take;
		len -= take;
		if (e->stream_kind == STREAM_UNSURE && e->piece_len >= e->nodesize)
			classify(e);
		if (e->stream_kind != STREAM_UNSURE)
			emit_piece(e, 0);
	}
}

void items_stream_end(struct item_emitter *e)
{
	if (e->stream_kind == STREAM_UNSURE)
		classify(e);
	emit_piece(e, 1);
	if (e->stream_done == 0)
		bad_item(e, &e->streamed, "empty item");
}

void items_emitter_free(struct item_emitter *e)
{
	free(e->piece);
	e->piece = NULL;
}
