/*
 * One run of a spill set (spillset.h): a temporary file of `count` records
 * sorted by key, SPILL_RECORD_SIZE bytes each (key high half, key low half,
 * value: little-endian 64-bit words), followed by a directory of
 * slices + 1 little-endian 64-bit record indexes: entry s is the first
 * record whose key lies in slice s or after it (slice of a key: its high
 * half times `slices`, over 2^64), the last is `count`.
 */
#ifndef BIMG_SANITIZE_SPILLRUN_H
#define BIMG_SANITIZE_SPILLRUN_H

#include <stddef.h>
#include <stdint.h>

#include "spillset.h"

#define RUN_RECORDS_PER_SLICE 64
#define RUN_WRITE_RECORDS 2730 /* 64 KiB of records at a time */
#define RUN_WRITE_DIRECTORY 512
#define RUN_READ_RECORDS 1365 /* 32 KiB */

struct spill_run {
	int fd;
	uint64_t count, slices;
	unsigned tier; /* merged from SPILL_FANIN^tier batches (about) */
};

struct run_writer {
	struct spill_run *run;
	const char *what;
	uint64_t written, next_slice, directory_written;
	size_t records_used, directory_used;
	uint8_t records[RUN_WRITE_RECORDS * SPILL_RECORD_SIZE];
	uint8_t directory[RUN_WRITE_DIRECTORY * 8];
};

struct run_reader {
	const struct spill_run *run;
	const char *what;
	uint64_t next;		/* index of the next record to read from the file */
	size_t buffered, taken; /* records in buf, and how many were returned */
	uint8_t buf[RUN_READ_RECORDS * SPILL_RECORD_SIZE];
};

/* The slice of a key's high half, among `slices`. */
static inline uint64_t run_slice(uint64_t hi, uint64_t slices)
{
	return (uint64_t)(((unsigned __int128)hi * slices) >> 64);
}

/* Compare two keys: <0, 0, >0. */
static inline int spill_key_cmp(const struct spill_record *a, const struct spill_record *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* A new run of exactly `count` records, written in key order with run_writer_put. */
void run_writer_start(struct run_writer *w, struct spill_run *run, uint64_t count, unsigned tier, const char *what);
void run_writer_put(struct run_writer *w, const struct spill_record *r);
void run_writer_finish(struct run_writer *w);

/* The records of a run in order; 0 after the last. */
void run_reader_start(struct run_reader *r, const struct spill_run *run, const char *what);
int run_reader_next(struct run_reader *r, struct spill_record *out);

/* 1 and *value if the run holds the key hi:lo. */
int run_find(const struct spill_run *run, uint64_t hi, uint64_t lo, uint64_t *value, const char *what);

void run_close(struct spill_run *run);

#endif
