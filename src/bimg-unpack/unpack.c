#include "unpack.h"
#include "image.h"
#include "inflate_item.h"
#include "items.h"
#include "msg.h"
#include "ordered_pool.h"
#include "stream_item.h"
#include "vec.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/*
 * Memory bound: jobs in flight are limited in number and in bytes; a job
 * costs its stored size plus, when compressed, the most a worker inflates
 * it to (WORKER_INFLATE_LIMIT).  Larger items are streamed on this thread
 * instead (stream_item.h), in order: an item whose stored size exceeds
 * STREAM_STORED straight from the input, a smaller one that inflates
 * beyond the worker limit from its stored bytes.  v0 items (256 KiB,
 * 512 KiB inflated at most) always go to the workers.
 */
#define JOBS_PER_THREAD 4
#define IN_FLIGHT_BUDGET (64u << 20)
#define STREAM_STORED (4u << 20)
#define WORKER_INFLATE_LIMIT (4u << 20)
/* Items before the superblock item in the first cluster are held back; this bounds them. */
#define HELD_BUDGET (64u << 20)

struct unpack {
	struct input *in;
	struct record_sink *sink;
	struct ordered_pool *pool;
	struct item_emitter emitter;
	struct progress *progress;
	size_t in_flight;
	/* first cluster: items met before the superblock item */
	VEC(struct item_job *) held;
	size_t held_bytes;
	int super_submitted;
};

static void inflate_job(void *arg)
{
	struct item_job *job = arg;
	int over_limit;

	if (!job->compressed) {
		job->bytes = job->stored;
		job->len = job->stored_len;
		job->stored = NULL;
		return;
	}
	job->error = inflate_item_within(job->stored, job->stored_len, job->limit, &job->bytes, &job->len,
					 &over_limit, job->errbuf, sizeof(job->errbuf));
	if (over_limit && job->limit < job->full_limit) {
		job->error = NULL;
		job->deferred = 1;
		return;
	}
	free(job->stored);
	job->stored = NULL;
}

static void collect_one(struct unpack *u)
{
	struct item_job *job = ordered_pool_collect(u->pool);

	u->in_flight -= job->cost;
	if (job->deferred)
		stream_item(&u->emitter, job, NULL);
	else
		items_emit(&u->emitter, job);
	free(job->stored);
	free(job->bytes);
	free(job);
}

/* Items before a streamed one take their places first. */
static void collect_all(struct unpack *u)
{
	while (ordered_pool_pending(u->pool))
		collect_one(u);
}

static void submit(struct unpack *u, struct item_job *job)
{
	while (ordered_pool_pending(u->pool) &&
	       (ordered_pool_full(u->pool) || u->in_flight + job->cost > IN_FLIGHT_BUDGET))
		collect_one(u);
	u->in_flight += job->cost;
	ordered_pool_submit(u->pool, job);
}

static void bad_cluster(struct unpack *u, uint64_t offset, const char *what)
{
	die("%s: cluster at offset %llu: %s", u->in->name, (unsigned long long)offset, what);
}

/* Returns the job, or NULL when the item was too large to read whole and has been streamed already. */
static struct item_job *read_item(struct unpack *u, const struct image_index *idx, uint32_t i, uint64_t offset)
{
	struct item_job *job = xcalloc(1, sizeof(*job));
	uint32_t size = idx->items[i].size;
	size_t got;

	job->cluster_offset = offset;
	job->index = i;
	job->bytenr = idx->items[i].bytenr;
	job->compressed = idx->compressed;
	job->full_limit = 2 * (size_t)image_max_pending(idx->version);
	job->limit = job->full_limit < WORKER_INFLATE_LIMIT ? job->full_limit : WORKER_INFLATE_LIMIT;
	if (job->compressed && size > compressBound(job->full_limit))
		die("%s: cluster at offset %llu: item %u (bytenr %llu): compressed size %u is larger than any "
		    "%zu-byte item can deflate to",
		    u->in->name, (unsigned long long)offset, i, (unsigned long long)job->bytenr, size,
		    job->full_limit);
	job->stored_len = size;
	if (size > STREAM_STORED && u->super_submitted) {
		collect_all(u);
		stream_item(&u->emitter, job, u->in);
		free(job);
		return NULL;
	}
	job->stored = xmalloc(size);
	got = input_read(u->in, job->stored, size);
	if (got < size)
		die("%s: cluster at offset %llu: item %u (bytenr %llu): payload of %u bytes is cut short by the "
		    "end of the image (%zu bytes there)",
		    u->in->name, (unsigned long long)offset, i, (unsigned long long)job->bytenr, size, got);
	job->cost = size + (job->compressed ? job->limit : 0);
	return job;
}

/* In the first cluster the superblock item goes first, whatever its slot. */
static void first_cluster_item(struct unpack *u, struct item_job *job)
{
	size_t i;

	if (job->bytenr != IMAGE_SUPER_BYTENR) {
		u->held_bytes += job->stored_len;
		if (u->held_bytes > HELD_BUDGET)
			bad_cluster(u, job->cluster_offset, "too many bytes before the superblock item");
		VEC_PUSH(u->held, job);
		return;
	}
	submit(u, job);
	u->super_submitted = 1;
	for (i = 0; i < u->held.count; i++)
		submit(u, u->held.items[i]);
	VEC_FREE(u->held);
}

void unpack_image(struct input *in, unsigned threads, struct record_sink *sink, struct progress *progress)
{
	struct unpack u = { .in = in, .sink = sink, .progress = progress };
	uint8_t block[IMAGE_BLOCK_SIZE];
	struct image_index idx;
	int version = -1;
	unsigned workers = threads > 1 ? threads : 0;

	u.pool = ordered_pool_create(workers, (workers ? workers : 1) * JOBS_PER_THREAD, inflate_job);
	items_emitter_init(&u.emitter, in->name, sink);
	sink->image.is_image = 1;
	for (;;) {
		uint64_t offset = in->offset;
		size_t got = input_read(in, block, sizeof(block));
		const char *why;
		uint32_t i;
		size_t pad;

		if (got == 0 && offset > 0)
			break;
		if (got < sizeof(block)) {
			if (offset == 0)
				die("%s: not a btrfs-image file: %zu bytes, shorter than one index block", in->name, got);
			warn("%s: ignoring %zu trailing bytes at offset %llu (a partial index block)", in->name, got,
			     (unsigned long long)offset);
			sink->image.trailing_bytes = got;
			break;
		}
		why = image_index_parse(block, offset, version, &idx);
		if (why)
			bad_cluster(&u, offset, why);
		if (version < 0 && sink->verify)
			verifier_input_kind(sink->verify, idx.version);
		version = idx.version;
		sink->image.version = version;
		sink->image.clusters++;
		sink->image.items += idx.nritems;
		if (idx.compressed)
			sink->image.compressed_clusters++;
		u.emitter.version = version;
		for (i = 0; i < idx.nritems; i++) {
			struct item_job *job = read_item(&u, &idx, i, offset);

			sink->image.stored_bytes += idx.items[i].size;
			progress_update(u.progress, in->offset);
			if (!job)
				continue;
			if (u.super_submitted)
				submit(&u, job);
			else
				first_cluster_item(&u, job);
		}
		if (!u.super_submitted)
			bad_cluster(&u, offset, "no superblock item (bytenr 65536) in the first cluster");
		pad = (size_t)((IMAGE_BLOCK_SIZE - in->offset % IMAGE_BLOCK_SIZE) % IMAGE_BLOCK_SIZE);
		if (input_skip(in, pad) < pad) {
			warn("%s: cluster at offset %llu: the image ends inside its zero padding", in->name,
			     (unsigned long long)offset);
			break;
		}
	}
	if (version < 0)
		die("%s: empty input", in->name);
	collect_all(&u);
	ordered_pool_destroy(u.pool);
	items_emitter_free(&u.emitter);
	progress_update(progress, in->offset);
	progress_finish(progress);
	sink->image.inflated_bytes = u.emitter.inflated_bytes;
	sink_finish(sink);
}

void unpack_stream(struct input *in, struct record_sink *sink)
{
	struct stream_reader reader;
	struct record rec;
	uint64_t logical, flags;
	size_t len;
	const uint8_t *bytes;

	stream_reader_init_with(&reader, in->fd, in->name, in->peek, in->npeek);
	if (sink->verify)
		verifier_input_kind(sink->verify, -1);
	while (stream_read(&reader, &rec)) {
		switch (rec.type) {
		case REC_FS_INFO: {
			struct fs_info fs;
			record_fs_info(&rec, &fs);
			sink_fs_info(sink, &fs);
			break;
		}
		case REC_SUPERBLOCK:
			if (rec.len != BTRFS_SUPER_SIZE)
				die("%s: record %llu: SUPERBLOCK of %u bytes", in->name, (unsigned long long)rec.seq,
				    rec.len);
			sink_superblock(sink, rec.payload);
			break;
		case REC_CHUNK:
			sink_chunk(sink, rec.payload, rec.len);
			break;
		case REC_TREE_BLOCK:
			if (!sink->have_fs)
				die("%s: record %llu: TREE_BLOCK before FS_INFO", in->name,
				    (unsigned long long)rec.seq);
			bytes = record_tree_block(&rec, sink->fs.nodesize, &logical, &flags);
			sink_tree_block(sink, logical, flags, bytes);
			break;
		case REC_DATA:
			bytes = record_data(&rec, &logical, &flags, &len);
			sink_data(sink, logical, flags, bytes, len);
			break;
		default:
			sink->records++;
			sink->other_records++;
			break;
		}
	}
	sink_end_record(sink, stream_reader_damaged(&reader));
	stream_reader_free(&reader);
	sink_finish(sink);
}
