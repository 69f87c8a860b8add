/*
 * The verifier's own thread.  The records are copied, in their order, into
 * batches; a full batch goes to a one-worker ordered pool, which checks its
 * records while the caller reads the next ones.  One worker keeps the
 * records in order and leaves the verifier's state to a single thread; the
 * caller touches that state again only after verify_queue_stop().
 *
 * Batches, not single records, cross between the threads: a record costs a
 * copy of its bytes (a tree block is 16 KiB, a few microseconds to check),
 * and a lock and a wake-up per record would cost as much as its checks.
 * Blocks handed over in a buffer of their own (verifier_tree_blocks_owned)
 * are not copied: the batch keeps the buffer and frees it once checked.
 *
 * A die() while checking (out of memory, say) is caught on the verifier's
 * thread, and the checks stop there; the caller's thread dies with its
 * text at its next record (so that the die hooks, which report what was
 * checked so far, run there, once), or verifier_finish() does.
 *
 * Memory: at most BATCHES_IN_FLIGHT batches queued and one being filled,
 * each about BATCH_BYTES (one record more when a record is larger).
 */
#include "msg.h"
#include "ordered_pool.h"
#include "vec.h"
#include "verify_state.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (256u << 10)
#define BATCH_EVENTS 64
#define BATCHES_IN_FLIGHT 8

struct vbatch {
	struct verifier *v;
	size_t count;
	struct vevent events[BATCH_EVENTS];
	size_t offsets[BATCH_EVENTS]; /* each copied event's bytes in `bytes` */
	uint8_t *bytes;
	size_t used, cap;
	size_t held; /* bytes copied and owned: what the batch costs */
	int failed; /* a die() while checking it: why is in error */
	char error[512];
};

struct verify_queue {
	struct ordered_pool *pool;
	struct vbatch *filling;
	VEC(struct vbatch *) spare; /* checked batches, for reuse */
	int failed;		    /* the verifier's thread only: a batch failed, skip the rest */
	char error[512];	    /* the caller's thread: why a collected batch failed */
};

static void check_events(struct vbatch *batch)
{
	size_t i;

	for (i = 0; i < batch->count; i++) {
		struct vevent ev = batch->events[i];

		if (ev.kind != EVENT_TREE_BLOCKS_OWNED)
			ev.bytes = ev.len ? batch->bytes + batch->offsets[i] : NULL;
		verify_apply(batch->v, &ev);
	}
}

static void check_batch(void *arg)
{
	struct vbatch *batch = arg;
	struct verify_queue *q = batch->v->queue;
	jmp_buf env;

	batch->failed = 0;
	if (q->failed)
		return;
	if (setjmp(env)) {
		msg_catch_die(NULL, NULL, 0);
		q->failed = 1;
		batch->failed = 1;
		return;
	}
	msg_catch_die(&env, batch->error, sizeof(batch->error));
	check_events(batch);
	msg_catch_die(NULL, NULL, 0);
}

void verify_queue_start(struct verifier *v)
{
	struct verify_queue *q;

	if (v->queue)
		return;
	q = xcalloc(1, sizeof(*q));
	q->pool = ordered_pool_create(1, BATCHES_IN_FLIGHT, check_batch);
	v->queue = q;
}

static void free_owned(struct vbatch *batch)
{
	size_t i;

	for (i = 0; i < batch->count; i++)
		if (batch->events[i].kind == EVENT_TREE_BLOCKS_OWNED)
			free((void *)batch->events[i].bytes);
	batch->count = 0;
}

static void batch_free(struct vbatch *batch)
{
	if (batch) {
		free_owned(batch);
		free(batch->bytes);
		free(batch);
	}
}

/* Wait for the oldest queued batch and keep it for reuse. */
static void collect_one(struct verify_queue *q)
{
	struct vbatch *batch = ordered_pool_collect(q->pool);

	if (!batch)
		return;
	free_owned(batch);
	VEC_PUSH(q->spare, batch);
	if (batch->failed && !q->error[0])
		snprintf(q->error, sizeof(q->error), "%s", batch->error);
}

static void submit_filling(struct verify_queue *q)
{
	if (!q->filling || !q->filling->count)
		return;
	if (ordered_pool_full(q->pool))
		collect_one(q);
	ordered_pool_submit(q->pool, q->filling);
	q->filling = NULL;
}

/* The batch to add an event of len bytes to, with room to copy `copied` of them. */
static struct vbatch *batch_with_room(struct verifier *v, size_t len, size_t copied)
{
	struct verify_queue *q = v->queue;
	struct vbatch *batch = q->filling;

	if (batch && (batch->count == BATCH_EVENTS || (batch->count && batch->held + len > BATCH_BYTES)))
		submit_filling(q);
	if (!q->filling) {
		if (!q->spare.count && ordered_pool_full(q->pool))
			collect_one(q);
		if (q->spare.count)
			q->filling = q->spare.items[--q->spare.count];
		else
			q->filling = xcalloc(1, sizeof(*q->filling));
		q->filling->v = v;
		q->filling->count = 0;
		q->filling->used = 0;
		q->filling->held = 0;
	}
	batch = q->filling;
	if (copied > batch->cap - batch->used) {
		size_t cap = batch->used + copied > BATCH_BYTES ? batch->used + copied : BATCH_BYTES;

		batch->bytes = xrealloc(batch->bytes, cap);
		batch->cap = cap;
	}
	return batch;
}

void verify_queue_put(struct verifier *v, const struct vevent *ev)
{
	int owned = ev->kind == EVENT_TREE_BLOCKS_OWNED;
	struct vbatch *batch = batch_with_room(v, ev->len, owned ? 0 : ev->len);
	size_t i = batch->count++;

	batch->events[i] = *ev;
	batch->held += ev->len;
	if (!owned) {
		batch->events[i].bytes = NULL;
		batch->offsets[i] = batch->used;
		if (ev->len)
			memcpy(batch->bytes + batch->used, ev->bytes, ev->len);
		batch->used += ev->len;
	}
	if (v->queue->error[0])
		die("%s", v->queue->error);
}

void verify_queue_stop(struct verifier *v)
{
	struct verify_queue *q = v->queue;
	size_t i;

	if (!q)
		return;
	submit_filling(q);
	while (ordered_pool_pending(q->pool))
		collect_one(q);
	ordered_pool_destroy(q->pool);
	memcpy(v->thread_error, q->error, sizeof(v->thread_error));
	batch_free(q->filling);
	for (i = 0; i < q->spare.count; i++)
		batch_free(q->spare.items[i]);
	VEC_FREE(q->spare);
	free(q);
	v->queue = NULL;
}
