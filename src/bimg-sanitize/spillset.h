/*
 * A set of records (a 128-bit key, a 64-bit value) on disk, for the part of
 * the name store that left memory (namestore.h).  The keys are keyed
 * hashes, uniformly spread, and each is added once.
 *
 * Records arrive in batches.  Each batch becomes a run (spillrun.h): an
 * unlinked temporary file in $TMPDIR (xio.h temp_file_open) holding its
 * records sorted by key, 24 bytes each, with a directory in memory that
 * leads a lookup to one slice of the file: one pread per run, served by the
 * page cache.  The directories of all runs together keep to 8192 slices
 * (64 KiB), growing coarser as the runs grow.  Runs are merged as in a
 * counter in base SPILL_FANIN: SPILL_FANIN runs of one size make one of the
 * next, so a record is rewritten log_SPILL_FANIN(batches) times, and there
 * are at most SPILL_FANIN - 1 runs of each size.  A merge reads its runs
 * through 8 KiB buffers.
 *
 * A Bloom filter of fixed size in memory answers most lookups of keys that
 * are not there without reading the disk: those are most lookups (every new
 * name, every candidate replacement).  A key sets 6 bits within one 64-byte
 * block (one cache miss); at 15 bits per key about one lookup in 550 of an
 * absent key passes, at 8 bits one in 40.  Past the point where it fills,
 * lookups stay correct and get slower, never larger.
 *
 * Nothing but this process can open the files (O_TMPFILE, or a name
 * unlinked at once), so what is read back is what was written; a short read
 * still dies as an internal error.
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
