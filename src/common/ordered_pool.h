/*
 * An ordered work pool: jobs are submitted in order, run on worker
 * threads in any order, and handed back to the submitter strictly in
 * submission order.  bimg-pack compresses image items with it and
 * bimg-unpack inflates them; both need parallel work with sequential
 * output and a fixed number of jobs in flight (bounded memory).
 *
 * One thread submits and collects.  With 0 workers a job runs inside
 * ordered_pool_submit(), so callers need no separate single-thread path.
 */
#ifndef BIMG_COMMON_ORDERED_POOL_H
#define BIMG_COMMON_ORDERED_POOL_H

#include <stddef.h>

struct ordered_pool;

/* work(job) runs on a worker; it must not call die() (report errors in the job). */
struct ordered_pool *ordered_pool_create(unsigned workers, size_t max_jobs, void (*work)(void *job));
/* Jobs submitted and not yet collected. */
size_t ordered_pool_pending(const struct ordered_pool *pool);
/* 1 when submit would exceed max_jobs: collect first. */
int ordered_pool_full(const struct ordered_pool *pool);
/* Queue a job; the caller must collect when the pool is full. */
void ordered_pool_submit(struct ordered_pool *pool, void *job);
/* Wait for the oldest job and return it, or NULL when nothing is pending. */
void *ordered_pool_collect(struct ordered_pool *pool);
/* Stop the workers (pending jobs are finished first) and free the pool. */
void ordered_pool_destroy(struct ordered_pool *pool);

/* Worker count for -t 0 / no -t: online CPUs, at most max. */
unsigned online_cpus(unsigned max);

#endif
