#include "ordered_pool.h"
#include "msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ordered_pool {
	void (*work)(void *job);
	size_t capacity;
	void **jobs;	  /* ring of capacity slots */
	unsigned char *done;
	size_t oldest;	  /* next to collect (absolute counter) */
	size_t next_run;  /* next a worker takes */
	size_t submitted; /* one past the newest */
	int stopping;
	unsigned nworkers;
	pthread_t *workers;
	pthread_mutex_t lock;
	pthread_cond_t work_ready;
	pthread_cond_t job_done;
};

static void *worker_main(void *arg)
{
	struct ordered_pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		size_t slot;
		void *job;

		while (pool->next_run == pool->submitted && !pool->stopping)
			pthread_cond_wait(&pool->work_ready, &pool->lock);
		if (pool->next_run == pool->submitted)
			break;
		slot = pool->next_run++ % pool->capacity;
		job = pool->jobs[slot];
		pthread_mutex_unlock(&pool->lock);
		pool->work(job);
		pthread_mutex_lock(&pool->lock);
		pool->done[slot] = 1;
		pthread_cond_broadcast(&pool->job_done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct ordered_pool *ordered_pool_create(unsigned workers, size_t max_jobs, void (*work)(void *job))
{
	struct ordered_pool *pool = xcalloc(1, sizeof(*pool));
	unsigned i;
	int err;

	pool->work = work;
	pool->capacity = max_jobs ? max_jobs : 1;
	pool->jobs = xcalloc(pool->capacity, sizeof(*pool->jobs));
	pool->done = xcalloc(pool->capacity, 1);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work_ready, NULL);
	pthread_cond_init(&pool->job_done, NULL);
	pool->workers = xcalloc(workers ? workers : 1, sizeof(*pool->workers));
	for (i = 0; i < workers; i++) {
		err = pthread_create(&pool->workers[i], NULL, worker_main, pool);
		if (err) {
			errno = err;
			die("cannot start a worker thread:");
		}
		pool->nworkers++;
	}
	return pool;
}

size_t ordered_pool_pending(const struct ordered_pool *pool)
{
	return pool->submitted - pool->oldest;
}

int ordered_pool_full(const struct ordered_pool *pool)
{
	return ordered_pool_pending(pool) >= pool->capacity;
}

void ordered_pool_submit(struct ordered_pool *pool, void *job)
{
	size_t slot;

	if (ordered_pool_full(pool))
		die("internal error: job submitted to a full pool");
	slot = pool->submitted % pool->capacity;
	pool->jobs[slot] = job;
	if (pool->nworkers == 0) {
		pool->work(job);
		pool->done[slot] = 1;
		pool->submitted++;
		pool->next_run = pool->submitted;
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->done[slot] = 0;
	pool->submitted++;
	pthread_cond_signal(&pool->work_ready);
	pthread_mutex_unlock(&pool->lock);
}

void *ordered_pool_collect(struct ordered_pool *pool)
{
	size_t slot;
	void *job;

	if (pool->oldest == pool->submitted)
		return NULL;
	slot = pool->oldest % pool->capacity;
	if (pool->nworkers) {
		pthread_mutex_lock(&pool->lock);
		while (!pool->done[slot])
			pthread_cond_wait(&pool->job_done, &pool->lock);
		pthread_mutex_unlock(&pool->lock);
	}
	job = pool->jobs[slot];
	pool->done[slot] = 0;
	pool->oldest++;
	return job;
}

void ordered_pool_destroy(struct ordered_pool *pool)
{
	unsigned i;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->work_ready);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nworkers; i++)
		pthread_join(pool->workers[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->work_ready);
	pthread_cond_destroy(&pool->job_done);
	free(pool->workers);
	free(pool->jobs);
	free(pool->done);
	free(pool);
}

unsigned online_cpus(unsigned max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if ((unsigned long)n > max)
		n = (long)max;
	return (unsigned)n;
}
