#include "namespill.h"

#include "msg.h"
#include "rng.h"
#include "spillset.h"
#include "xio.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define SECRET_SIZE 192 /* XXH3 takes 136 at least */
#define LOG_BUFFER (64u << 10)
#define INLINE_MAX 8 /* replacements this short are the record's value itself */
#define VALUE_LEN_BITS 16
#define LOG_END_MAX (1ull << (64 - VALUE_LEN_BITS))

static const char what[] = "name map";

struct name_spill {
	uint8_t forward_secret[SECRET_SIZE], reverse_secret[SECRET_SIZE];
	struct spill_set *forward; /* key of an original -> replacement (see forward_value) */
	struct spill_set *reverse; /* key of a replacement -> 0 */
	struct spill_record *batch; /* a generation's records on their way to a set */
	size_t batch_room;
	int log_fd;		  /* the replacements, one after the other */
	uint64_t log_end;	  /* bytes in the file */
	uint8_t *log_buf;	  /* bytes not yet written, after log_end */
	size_t log_buffered;
};

struct name_spill *name_spill_new(size_t bloom_bytes)
{
	struct name_spill *sp = xcalloc(1, sizeof(*sp));

	rng_random_bytes(sp->forward_secret, SECRET_SIZE);
	rng_random_bytes(sp->reverse_secret, SECRET_SIZE);
	sp->forward = spill_set_new(what, bloom_bytes);
	sp->reverse = spill_set_new(what, bloom_bytes);
	sp->log_fd = temp_file_open(what);
	sp->log_buf = xmalloc(LOG_BUFFER);
	return sp;
}

void name_spill_free(struct name_spill *sp)
{
	if (!sp)
		return;
	spill_set_free(sp->forward);
	spill_set_free(sp->reverse);
	close(sp->log_fd);
	free(sp->log_buf);
	free(sp->batch);
	free(sp);
}

static struct spill_record keyed(const uint8_t *secret, const uint8_t *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits_withSecret(p, n, secret, SECRET_SIZE);

	return (struct spill_record){ h.high64, h.low64, 0 };
}

static void log_flush(struct name_spill *sp)
{
	if (pwrite_full(sp->log_fd, sp->log_buf, sp->log_buffered, sp->log_end) < 0)
		die("%s: cannot write its temporary file:", what);
	sp->log_end += sp->log_buffered;
	sp->log_buffered = 0;
}

/* Append a replacement (at most 65535 bytes: less than the buffer) to the log: its offset << 16 | length. */
static uint64_t log_append(struct name_spill *sp, const uint8_t *repl, size_t n)
{
	uint64_t at = sp->log_end + sp->log_buffered;

	if (at + n > LOG_END_MAX)
		die("%s: more than %llu bytes of replacements", what, (unsigned long long)LOG_END_MAX);
	if (LOG_BUFFER - sp->log_buffered < n)
		log_flush(sp);
	memcpy(sp->log_buf + sp->log_buffered, repl, n);
	sp->log_buffered += n;
	return at << VALUE_LEN_BITS | n;
}

/*
 * A forward record's value: a replacement of up to 8 bytes itself (the
 * lookup knows the length: the original's), a longer one's offset in the
 * log << 16 | its length.
 */
static uint64_t forward_value(struct name_spill *sp, const uint8_t *repl, size_t n)
{
	uint64_t value = 0;

	if (n > INLINE_MAX)
		return log_append(sp, repl, n);
	for (size_t i = 0; i < n; i++)
		value |= (uint64_t)repl[i] << (8 * i);
	return value;
}

void name_spill_put(struct name_spill *sp, const struct generation *g)
{
	struct generation_entry e;
	size_t cursor = 0, count = 0;

	if (sp->batch_room < g->count) {
		sp->batch_room = g->count;
		sp->batch = xrealloc(sp->batch, sp->batch_room * sizeof(*sp->batch));
	}
	while (generation_next(g, &cursor, &e)) {
		if (e.stored)
			continue;
		sp->batch[count] = keyed(sp->forward_secret, e.orig, e.len);
		sp->batch[count++].value = forward_value(sp, e.repl, e.len);
	}
	log_flush(sp);
	spill_set_add(sp->forward, sp->batch, count);
	count = 0;
	cursor = 0;
	while (generation_next(g, &cursor, &e))
		if (!e.stored)
			sp->batch[count++] = keyed(sp->reverse_secret, e.repl, e.len);
	spill_set_add(sp->reverse, sp->batch, count);
}

int name_spill_find(struct name_spill *sp, const uint8_t *name, size_t n, uint8_t *repl)
{
	struct spill_record key = keyed(sp->forward_secret, name, n);
	uint64_t value, at;
	ssize_t got;

	if (!spill_set_find(sp->forward, key.hi, key.lo, &value))
		return 0;
	if (n <= INLINE_MAX) {
		for (size_t i = 0; i < n; i++)
			repl[i] = (uint8_t)(value >> (8 * i));
		return 1;
	}
	at = value >> VALUE_LEN_BITS;
	/* Replacements have the length of their name: anything else is not this name's. */
	if ((value & ((1u << VALUE_LEN_BITS) - 1)) != n || at > sp->log_end || sp->log_end - at < n)
		die("%s: internal error: a replacement in its temporary file does not fit its name", what);
	got = pread_full(sp->log_fd, repl, n, at);
	if (got < 0)
		die("%s: cannot read its temporary file back:", what);
	if ((size_t)got != n)
		die("%s: internal error: its temporary file is shorter than what was written to it", what);
	return 1;
}

int name_spill_owns(struct name_spill *sp, const uint8_t *repl, size_t n)
{
	struct spill_record key = keyed(sp->reverse_secret, repl, n);
	uint64_t value;

	return spill_set_find(sp->reverse, key.hi, key.lo, &value);
}

uint64_t name_spill_count(const struct name_spill *sp)
{
	return sp ? spill_set_count(sp->forward) : 0;
}
