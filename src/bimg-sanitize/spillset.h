/*
 * A set of records (a 128-bit key, a 64-bit value) on disk, for the part of
 * the name store that left memory (namestore.h).  The keys are keyed
 * hashes, uniformly spread, and each is added once.
 *
 * Records arrive in batches.  Each batch becomes a run: an unlinked
 * temporary file in $TMPDIR (xio.h temp_file_open) holding its records
 * sorted by key, 24 bytes each, then a directory of where each of
 * count / 64 equal slices of the key space begins.  A lookup reads two
 * directory entries and one slice of about 64 records: two preads per run,
 * served by the page cache.  Runs are merged as in a binary counter, SPILL_FANIN
 * of one size making one of the next, so a record is rewritten
 * log_SPILL_FANIN(batches) times and there are fewer than
 * SPILL_FANIN * log_SPILL_FANIN(batches) runs.
 *
 * A Bloom filter of fixed size in memory answers most lookups of keys that
 * are not there without reading the disk: those are most lookups (every new
 * name, every candidate replacement).  With b bits per key its false
 * positive rate is about 0.6185^b; past the point where it fills, lookups
 * stay correct and get slower, never larger.
 *
 * Nothing but this process can open the files (O_TMPFILE, or a name
 * unlinked at once), so what is read back is what was written; lengths and
 * offsets are still checked, and a mismatch dies as an internal error.
 */
#ifndef BIMG_SANITIZE_SPILLSET_H
#define BIMG_SANITIZE_SPILLSET_H

#include <stddef.h>
#include <stdint.h>

#define SPILL_FANIN 4
#define SPILL_RECORD_SIZE 24

struct spill_record {
	uint64_t hi, lo; /* the key */
	uint64_t value;
};

struct spill_set;

/* what: named in messages ("name map"); bloom_bytes: the filter's memory. */
struct spill_set *spill_set_new(const char *what, size_t bloom_bytes);
void spill_set_free(struct spill_set *s);

/* Add records[0..count) (keys not yet in the set); reorders the array. */
void spill_set_add(struct spill_set *s, struct spill_record *records, size_t count);

/* 1 and *value if a record has the key hi:lo, else 0. */
int spill_set_find(struct spill_set *s, uint64_t hi, uint64_t lo, uint64_t *value);

/* Records in the set, and runs holding them (for tests and -v). */
uint64_t spill_set_count(const struct spill_set *s);
unsigned spill_set_runs(const struct spill_set *s);

#endif
