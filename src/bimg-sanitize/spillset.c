#include "spillset.h"

#include "msg.h"
#include "spillrun.h"

#include <stdlib.h>
#include <string.h>

#define BLOOM_PROBES 6
#define BLOOM_BLOCK_WORDS 8 /* a key's bits all lie in one 64-byte block: one cache miss */
/* Runs never get near this: SPILL_FANIN - 1 per tier, and 2^64 records make fewer than 33 tiers. */
#define MAX_RUNS 128
/*
 * Directory entries of all runs together (spillrun.h): 8192 slices, 64 KiB,
 * so about 250 records a slice (6 KiB read by a lookup) at 2 million keys.
 */
#define DIRECTORY_ENTRIES (8192 + MAX_RUNS)
#define SLICE_BITS_MAX 13

struct spill_set {
	const char *what;
	uint64_t *bloom;
	uint64_t bloom_blocks;
	uint64_t count;
	struct spill_run runs[MAX_RUNS]; /* oldest (largest) first */
	unsigned nruns;
};

struct spill_set *spill_set_new(const char *what, size_t bloom_bytes)
{
	struct spill_set *s = xcalloc(1, sizeof(*s));
	size_t blocks = bloom_bytes / (8 * BLOOM_BLOCK_WORDS) ? bloom_bytes / (8 * BLOOM_BLOCK_WORDS) : 1;

	s->what = what;
	s->bloom = xcalloc(blocks, 8 * BLOOM_BLOCK_WORDS);
	s->bloom_blocks = blocks;
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

/*
 * A key's block of the filter, and its bits there: the key is a keyed hash
 * already, so its high half picks the block and 9-bit pieces of its low
 * half the bits.
 */
static uint64_t *bloom_block(const struct spill_set *s, uint64_t hi)
{
	return s->bloom + BLOOM_BLOCK_WORDS * (size_t)(((unsigned __int128)hi * s->bloom_blocks) >> 64);
}

static void bloom_add(struct spill_set *s, uint64_t hi, uint64_t lo)
{
	uint64_t *block = bloom_block(s, hi);

	for (unsigned i = 0; i < BLOOM_PROBES; i++, lo >>= 9)
		block[(lo & 511) / 64] |= 1ull << (lo % 64);
}

static int bloom_may_have(const struct spill_set *s, uint64_t hi, uint64_t lo)
{
	const uint64_t *block = bloom_block(s, hi);

	for (unsigned i = 0; i < BLOOM_PROBES; i++, lo >>= 9)
		if (!(block[(lo & 511) / 64] & (1ull << (lo % 64))))
			return 0;
	return 1;
}

static size_t bucket_of(uint64_t hi, size_t buckets)
{
	return (size_t)(((unsigned __int128)hi * buckets) >> 64);
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
		end[bucket_of(r[i].hi, buckets)]++;
	for (size_t b = 0, sum = 0; b < buckets; b++) {
		next[b] = sum;
		sum += end[b];
		end[b] = sum;
	}
	for (size_t b = 0; b < buckets; b++)
		while (next[b] < end[b]) {
			struct spill_record x = r[next[b]];
			size_t home = bucket_of(x.hi, buckets);

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

/* Coarsen the directories with the fewest records a slice until they fit DIRECTORY_ENTRIES together. */
static void limit_directories(struct spill_set *s)
{
	for (;;) {
		size_t entries = 0;
		struct spill_run *finest = NULL;

		for (unsigned i = 0; i < s->nruns; i++) {
			struct spill_run *run = &s->runs[i];

			entries += ((size_t)1 << run->slice_bits) + 1;
			if (run->slice_bits &&
			    (!finest || run->count >> run->slice_bits < finest->count >> finest->slice_bits))
				finest = run;
		}
		if (entries <= DIRECTORY_ENTRIES || !finest)
			return;
		run_coarsen(finest);
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
	run_writer_start(w, &out, total, tier, SLICE_BITS_MAX, s->what);
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
	limit_directories(s);
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
	/*
	 * Oldest first: it holds the most records.  A name looked up here is
	 * older than both generations in memory, and those that come back
	 * soonest after they were seen are found there.
	 */
	for (unsigned i = 0; i < s->nruns; i++)
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
