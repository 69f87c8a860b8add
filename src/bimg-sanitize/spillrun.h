/*
 * One run of a spill set (spillset.h): a temporary file of `count` records
 * sorted by key, SPILL_RECORD_SIZE bytes each (key high half, key low half,
 * value: little-endian 64-bit words), and in memory a directory: the key
 * space cut into 2^slice_bits equal slices by the high bits of the key, and
 * for each slice the index of its first record (one more entry: count).  A
 * lookup reads one slice's records, one pread.  A directory can be made
 * coarser in place (every other entry), to keep all of a set's directories
 * within a fixed number of entries.
 */
#ifndef BIMG_SANITIZE_SPILLRUN_H
#define BIMG_SANITIZE_SPILLRUN_H

#include "spillset.h"

#include <stddef.h>
#include <stdint.h>

#define RUN_RECORDS_PER_SLICE 64 /* at most, when the directory is as fine as it gets */
#define RUN_WRITE_RECORDS 1365	 /* 32 KiB of records at a time */
#define RUN_READ_RECORDS 341	 /* 8 KiB: a merge reads many runs at once */

struct spill_run {
	int fd;
	uint64_t count;
	unsigned tier; /* merged from about SPILL_FANIN^tier batches */
	unsigned slice_bits;
	uint64_t *directory; /* 2^slice_bits + 1 entries */
};

struct run_writer {
	struct spill_run *run;
	const char *what;
	uint64_t written, next_slice;
	size_t records_used;
	uint8_t records[RUN_WRITE_RECORDS * SPILL_RECORD_SIZE];
};

struct run_reader {
	const struct spill_run *run;
	const char *what;
	uint64_t next;		/* index of the next record to read from the file */
	size_t buffered, taken; /* records in buf, and how many were returned */
	uint8_t buf[RUN_READ_RECORDS * SPILL_RECORD_SIZE];
};

/* The slice of a key's high half among 2^bits. */
static inline uint64_t run_slice(uint64_t hi, unsigned bits)
{
	return bits ? hi >> (64 - bits) : 0;
}

/* Compare two keys: <0, 0, >0. */
static inline int spill_key_cmp(const struct spill_record *a, const struct spill_record *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/*
 * A new run of exactly `count` records, written in key order with
 * run_writer_put; its directory has at most 2^max_slice_bits slices.
 */
void run_writer_start(struct run_writer *w, struct spill_run *run, uint64_t count, unsigned tier,
		      unsigned max_slice_bits, const char *what);
void run_writer_put(struct run_writer *w, const struct spill_record *r);
void run_writer_finish(struct run_writer *w);

/* The records of a run in order; 0 after the last. */
void run_reader_start(struct run_reader *r, const struct spill_run *run, const char *what);
int run_reader_next(struct run_reader *r, struct spill_record *out);

/* 1 and *value if the run holds the key hi:lo. */
int run_find(const struct spill_run *run, uint64_t hi, uint64_t lo, uint64_t *value, const char *what);

/* Halve the directory's slices (it has at least two). */
void run_coarsen(struct spill_run *run);

void run_close(struct spill_run *run);

#endif
