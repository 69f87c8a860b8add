#include "items.h"
#include "image.h"
#include "msg.h"
#include "super.h"
#include "tree.h"

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
