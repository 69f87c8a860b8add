/*
 * The name store of bimg-sanitize (src/bimg-sanitize/namestore.c) on its
 * smallest budget, so that nearly every name goes through the temporary
 * files, against what was put in: every name finds its replacement, every
 * replacement is owned, names and replacements never added are not found,
 * at every step and at the end.  Then the spill set alone
 * (spillset.c) with a Bloom filter so small that nearly every lookup reads
 * the runs.  Prints one line per check and exits 1 on the first difference.
 *
 * Run it with TMPDIR set to where the temporary files should go.
 */
#include "msg.h"
#include "namestore.h"
#include "spillset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES 30000
#define TWO_BYTE_NAMES 4096
#define LONG_EVERY 7919 /* a name of 65535 bytes now and then */
#define BATCHES 100
#define BATCH_MAX 2000

static uint64_t splitmix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static int fail(const char *what, unsigned long long at)
{
	printf("FAIL: %s at %llu\n", what, at);
	return 1;
}

/*
 * Name i: every 1-byte name, then 4096 2-byte ones, then 4 bytes of i and
 * a filler up to 4..40 bytes (65535 now and then).  Replacement: each byte
 * xor 0x5A, so distinct names have distinct replacements.
 */
static size_t make_name(uint64_t i, uint8_t *name, uint8_t *repl)
{
	size_t n;

	if (i < 256) {
		n = 1;
		name[0] = (uint8_t)i;
	} else if (i < 256 + TWO_BYTE_NAMES) {
		n = 2;
		name[0] = (uint8_t)(i - 256);
		name[1] = (uint8_t)((i - 256) >> 8);
	} else {
		n = i % LONG_EVERY == 0 ? 65535 : 4 + splitmix(i) % 37;
		for (size_t k = 0; k < n; k++)
			name[k] = k < 4 ? (uint8_t)(i >> (8 * k)) : (uint8_t)(splitmix(i + k) >> 56);
	}
	for (size_t k = 0; k < n; k++)
		repl[k] = name[k] ^ 0x5A;
	return n;
}

/* Name i is in the store with its replacement, or (present = 0) neither is. */
static int check_name(struct name_store *s, uint64_t i, int present)
{
	static uint8_t name[65535], repl[65535];
	size_t n = make_name(i, name, repl);
	const uint8_t *found = name_store_find(s, name, n);

	if (present ? !found || memcmp(found, repl, n) != 0 : found != NULL)
		return fail(present ? "a name's replacement" : "a name never added was found", i);
	if (name_store_owns(s, repl, n) != present)
		return fail(present ? "a replacement is not owned" : "a replacement never added is owned", i);
	return 0;
}

static int check_store(void)
{
	static uint8_t name[65535], repl[65535];
	const uint64_t total = 256 + TWO_BYTE_NAMES + NAMES;
	struct name_store *s = name_store_new(NAME_STORE_MIN_BUDGET, 12345);

	for (uint64_t i = 0; i < total; i++) {
		size_t n = make_name(i, name, repl);

		name_store_add(s, name, repl, n);
		if (check_name(s, splitmix(i) % (i + 1), 1) || check_name(s, i + 1 + splitmix(i) % 1000, 0))
			return 1;
	}
	for (uint64_t i = 0; i < total; i++)
		if (check_name(s, i, 1))
			return 1;
	if (name_store_spilled(s) < total / 2 || name_store_read_back(s) == 0)
		return fail("the smallest budget kept most names in memory", name_store_spilled(s));
	printf("ok: name store, %llu names (%llu written out, %llu lookups read back)\n", (unsigned long long)total,
	       (unsigned long long)name_store_spilled(s), (unsigned long long)name_store_read_back(s));
	name_store_free(s);
	return 0;
}

static struct spill_record record_of(uint64_t k)
{
	return (struct spill_record){ splitmix(2 * k), splitmix(2 * k + 1), k };
}

static int check_spill_set(void)
{
	struct spill_set *set = spill_set_new("test", 64);
	struct spill_record *batch = malloc(BATCH_MAX * sizeof(*batch));
	uint64_t k = 0, value;
	unsigned tiers = 0;

	for (int b = 0; b < BATCHES; b++) {
		size_t count = 1 + splitmix(b) % BATCH_MAX;

		for (size_t i = 0; i < count; i++)
			batch[i] = record_of(k++);
		spill_set_add(set, batch, count);
	}
	for (uint64_t j = 0; j < k; j++) {
		struct spill_record r = record_of(j);

		if (!spill_set_find(set, r.hi, r.lo, &value) || value != j)
			return fail("a key of the spill set", j);
		r = record_of(k + j);
		if (spill_set_find(set, r.hi, r.lo, &value))
			return fail("a key never added to the spill set", j);
	}
	for (unsigned long n = BATCHES; n; n /= SPILL_FANIN)
		tiers++;
	if (spill_set_count(set) != k || spill_set_runs(set) > (SPILL_FANIN - 1) * tiers)
		return fail("the spill set's runs", spill_set_runs(set));
	printf("ok: spill set, %llu keys in %d batches, %u runs\n", (unsigned long long)k, BATCHES,
	       spill_set_runs(set));
	spill_set_free(set);
	free(batch);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	msg_init(argv[0]);
	return check_store() || check_spill_set();
}
