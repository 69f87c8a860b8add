#include "spillset.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "spillrun.h"

#define BLOOM_PROBES 5
/* Runs never get near this: SPILL_FANIN - 1 per tier, and 2^64 records make fewer than 33 tiers. */
#define MAX_RUNS 128

struct spill_set {
	const char *what;
	uint64_t *bloom;
	uint64_t bloom_bits;
	uint64_t count;
	struct spill_run runs[MAX_RUNS]; /* oldest (largest) first */
	unsigned nruns;
};

struct spill_set *spill_set_new(const char *what, size_t bloom_bytes)
{
	struct spill_set *s = xcalloc(1, sizeof(*s));
	size_t words = bloom_bytes / 8 ? bloom_bytes / 8 : 1;

	s->what = what;
	s->bloom = xcalloc(words, 8);
	s->bloom_bits = (uint64_t)words * 64;
	return s;
}

void spill_set_free(struct spill_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nruns; i++)
		run_close(&s->runs[i]);
	free(s->bloom);
	free(s);
}

/* The filter's i-th bit for a key: the key is a keyed hash already, so its halves are independent. */
static uint64_t bloom_bit(const struct spill_set *s, uint64_t hi, uint64_t lo, unsigned i)
{
	return (uint64_t)(((unsigned __int128)(lo + i * (hi | 1)) * s->bloom_bits) >> 64);
}

static void bloom_add(struct spill_set *s, uint64_t hi, uint64_t lo)
{
	for (unsigned i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = bloom_bit(s, hi, lo, i);

		s->bloom[bit / 64] |= 1ull << (bit % 64);
	}
}

static int bloom_may_have(const struct spill_set *s, uint64_t hi, uint64_t lo)
{
	for (unsigned i = 0; i < BLOOM_PROBES; i++) {
		uint64_t bit = bloom_bit(s, hi, lo, i);

		if (!(s->bloom[bit / 64] & (1ull << (bit % 64))))
			return 0;
	}
	return 1;
}

/*
 * Sort by key in linear time: the keys are uniform, so moving each record
 * into its bucket by high bits (in place, every move settles one record)
 * leaves a handful per bucket, which insertion sort finishes.
 */
static void sort_records(struct spill_record *r, size_t count)
{
	size_t buckets = count / 4 + 1;
	size_t *end = xcalloc(buckets, sizeof(*end)), *next = xcalloc(buckets, sizeof(*next));

	for (size_t i = 0; i < count; i++)
		end[run_slice(r[i].hi, buckets)]++;
	for (size_t b = 0, sum = 0; b < buckets; b++) {
		next[b] = sum;
		sum += end[b];
		end[b] = sum;
	}
	for (size_t b = 0; b < buckets; b++)
		while (next[b] < end[b]) {
			struct spill_record x = r[next[b]];
			size_t home = run_slice(x.hi, buckets);

			if (home == b) {
				next[b]++;
				continue;
			}
			r[next[b]] = r[next[home]];
			r[next[home]++] = x;
		}
	free(end);
	free(next);
	for (size_t i = 1; i < count; i++) {
		struct spill_record x = r[i];
		size_t j = i;

		for (; j > 0 && spill_key_cmp(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/*
 * The runs a new batch merges with: the last SPILL_FANIN - 1 runs if they
 * are all of tier 0, then the SPILL_FANIN - 1 before them if of tier 1, and
 * so on (a carry in base SPILL_FANIN).  Returns the index of the first run
 * merged; *tier is the new run's.
 */
static unsigned runs_to_merge(const struct spill_set *s, unsigned *tier)
{
	unsigned first = s->nruns;

	for (*tier = 0;; (*tier)++) {
		unsigned same = 0;

		while (same < first && same < SPILL_FANIN - 1 && s->runs[first - 1 - same].tier == *tier)
			same++;
		if (same < SPILL_FANIN - 1)
			return first;
		first -= same;
	}
}

/* The batch (sorted) and runs[first..], merged into one run of the given tier in place of those runs. */
static void merge(struct spill_set *s, const struct spill_record *batch, size_t count, unsigned first,
		  unsigned tier)
{
	unsigned inputs = s->nruns - first;
	struct run_reader *readers = xmalloc((inputs ? inputs : 1) * sizeof(*readers));
	struct spill_record *heads = xmalloc((inputs + 1) * sizeof(*heads));
	int *live = xcalloc(inputs + 1, sizeof(*live));
	struct run_writer *w = xmalloc(sizeof(*w));
	struct spill_run out;
	uint64_t total = count;
	size_t taken = 0;

	for (unsigned i = 0; i < inputs; i++) {
		total += s->runs[first + i].count;
		run_reader_start(&readers[i], &s->runs[first + i], s->what);
		live[i] = run_reader_next(&readers[i], &heads[i]);
	}
	if ((live[inputs] = taken < count))
		heads[inputs] = batch[taken++];
	run_writer_start(w, &out, total, tier, s->what);
	for (;;) {
		unsigned min = inputs + 1;

		for (unsigned i = 0; i <= inputs; i++)
			if (live[i] && (min > inputs || spill_key_cmp(&heads[i], &heads[min]) < 0))
				min = i;
		if (min > inputs)
			break;
		run_writer_put(w, &heads[min]);
		if (min < inputs)
			live[min] = run_reader_next(&readers[min], &heads[min]);
		else if ((live[inputs] = taken < count))
			heads[inputs] = batch[taken++];
	}
	run_writer_finish(w);
	for (unsigned i = first; i < s->nruns; i++)
		run_close(&s->runs[i]);
	s->runs[first] = out;
	s->nruns = first + 1;
	free(w);
	free(live);
	free(heads);
	free(readers);
}

void spill_set_add(struct spill_set *s, struct spill_record *records, size_t count)
{
	unsigned tier, first;

	if (count == 0)
		return;
	sort_records(records, count);
	for (size_t i = 0; i < count; i++)
		bloom_add(s, records[i].hi, records[i].lo);
	first = runs_to_merge(s, &tier);
	if (first == s->nruns && s->nruns == MAX_RUNS)
		die("%s: internal error: too many runs in its temporary files", s->what);
	merge(s, records, count, first, tier);
	s->count += count;
}

int spill_set_find(struct spill_set *s, uint64_t hi, uint64_t lo, uint64_t *value)
{
	if (!bloom_may_have(s, hi, lo))
		return 0;
	/* Newest first: a name comes back soonest after it was last seen. */
	for (unsigned i = s->nruns; i-- > 0;)
		if (run_find(&s->runs[i], hi, lo, value, s->what))
			return 1;
	return 0;
}

uint64_t spill_set_count(const struct spill_set *s)
{
	return s ? s->count : 0;
}

unsigned spill_set_runs(const struct spill_set *s)
{
	return s ? s->nruns : 0;
}
