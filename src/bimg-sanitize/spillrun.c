#include "spillrun.h"

#include "le.h"
#include "msg.h"
#include "xio.h"

#include <stdlib.h>
#include <unistd.h>

#define RUN_READ_SLICE 256 /* records read at a time by a lookup: 6 KiB */

static void encode(uint8_t *p, const struct spill_record *r)
{
	put_le64(p, 0, r->hi);
	put_le64(p, 8, r->lo);
	put_le64(p, 16, r->value);
}

static void decode(const uint8_t *p, struct spill_record *r)
{
	r->hi = get_le64(p, 0);
	r->lo = get_le64(p, 8);
	r->value = get_le64(p, 16);
}

static void write_at(const struct run_writer *w, const void *buf, size_t len, uint64_t off)
{
	if (pwrite_full(w->run->fd, buf, len, off) < 0)
		die("%s: cannot write its temporary file:", w->what);
}

static void read_at(const struct spill_run *run, void *buf, size_t len, uint64_t off, const char *what)
{
	ssize_t got = pread_full(run->fd, buf, len, off);

	if (got < 0)
		die("%s: cannot read its temporary file back:", what);
	if ((size_t)got != len)
		die("%s: internal error: its temporary file is shorter than what was written to it", what);
}

/* The finest directory worth having: about RUN_RECORDS_PER_SLICE records a slice. */
static unsigned slice_bits_for(uint64_t count, unsigned max_bits)
{
	unsigned bits = 0;

	while (bits < max_bits && bits < 62 && count >> (bits + 1) >= RUN_RECORDS_PER_SLICE)
		bits++;
	return bits;
}

void run_writer_start(struct run_writer *w, struct spill_run *run, uint64_t count, unsigned tier,
		      unsigned max_slice_bits, const char *what)
{
	run->fd = temp_file_open(what);
	run->count = count;
	run->tier = tier;
	run->slice_bits = slice_bits_for(count, max_slice_bits);
	run->directory = xmalloc((((size_t)1 << run->slice_bits) + 1) * sizeof(*run->directory));
	w->run = run;
	w->what = what;
	w->written = w->next_slice = 0;
	w->records_used = 0;
}

static void flush_records(struct run_writer *w)
{
	write_at(w, w->records, w->records_used * SPILL_RECORD_SIZE,
		 (w->written - w->records_used) * SPILL_RECORD_SIZE);
	w->records_used = 0;
}

/* Directory entries up to slice `last`: they begin at the record about to be written. */
static void directory_to(struct run_writer *w, uint64_t last)
{
	for (; w->next_slice <= last; w->next_slice++)
		w->run->directory[w->next_slice] = w->written;
}

void run_writer_put(struct run_writer *w, const struct spill_record *r)
{
	if (w->written == w->run->count)
		die("%s: internal error: more records than the run was made for", w->what);
	directory_to(w, run_slice(r->hi, w->run->slice_bits));
	if (w->records_used == RUN_WRITE_RECORDS)
		flush_records(w);
	encode(w->records + w->records_used++ * SPILL_RECORD_SIZE, r);
	w->written++;
}

void run_writer_finish(struct run_writer *w)
{
	if (w->written != w->run->count)
		die("%s: internal error: fewer records than the run was made for", w->what);
	flush_records(w);
	directory_to(w, (uint64_t)1 << w->run->slice_bits);
}

void run_coarsen(struct spill_run *run)
{
	size_t slices = (size_t)1 << (run->slice_bits - 1);

	/* Coarse slice c is fine slices 2c and 2c + 1: it begins where 2c did. */
	for (size_t c = 1; c <= slices; c++)
		run->directory[c] = run->directory[2 * c];
	run->slice_bits--;
	run->directory = xrealloc(run->directory, (slices + 1) * sizeof(*run->directory));
}

void run_reader_start(struct run_reader *r, const struct spill_run *run, const char *what)
{
	r->run = run;
	r->what = what;
	r->next = 0;
	r->buffered = r->taken = 0;
}

int run_reader_next(struct run_reader *r, struct spill_record *out)
{
	if (r->taken == r->buffered) {
		uint64_t left = r->run->count - r->next;
		size_t n = left < RUN_READ_RECORDS ? (size_t)left : RUN_READ_RECORDS;

		if (n == 0)
			return 0;
		read_at(r->run, r->buf, n * SPILL_RECORD_SIZE, r->next * SPILL_RECORD_SIZE, r->what);
		r->next += n;
		r->buffered = n;
		r->taken = 0;
	}
	decode(r->buf + r->taken++ * SPILL_RECORD_SIZE, out);
	return 1;
}

int run_find(const struct spill_run *run, uint64_t hi, uint64_t lo, uint64_t *value, const char *what)
{
	const struct spill_record key = { hi, lo, 0 };
	uint8_t buf[RUN_READ_SLICE * SPILL_RECORD_SIZE];
	uint64_t slice = run_slice(hi, run->slice_bits);
	uint64_t first = run->directory[slice], last = run->directory[slice + 1];

	while (first < last) {
		size_t n = last - first < RUN_READ_SLICE ? (size_t)(last - first) : RUN_READ_SLICE;

		read_at(run, buf, n * SPILL_RECORD_SIZE, first * SPILL_RECORD_SIZE, what);
		for (size_t i = 0; i < n; i++) {
			struct spill_record r;
			int cmp;

			decode(buf + i * SPILL_RECORD_SIZE, &r);
			cmp = spill_key_cmp(&r, &key);
			if (cmp == 0)
				*value = r.value;
			if (cmp >= 0)
				return cmp == 0;
		}
		first += n;
	}
	return 0;
}

void run_close(struct spill_run *run)
{
	if (run->fd >= 0)
		close(run->fd);
	free(run->directory);
	run->fd = -1;
	run->count = 0;
	run->directory = NULL;
}
