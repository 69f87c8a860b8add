/*
 * Shared by the fuzz harnesses: run library code that may die() on a
 * hostile input without ending the fuzzer.
 *
 *   FUZZ_TRY { ...calls that may die()... }
 *
 * die() prints its message and jumps back here (msg_set_die_jump); the
 * harness then frees what it owns.  Everything the guarded code changes
 * and the harness reads afterwards must live outside the harness's
 * registers: keep such state in static variables.
 */
#ifndef BIMG_FUZZ_COMMON_H
#define BIMG_FUZZ_COMMON_H

#include "chunk.h"
#include "csum.h"
#include "msg.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

static jmp_buf fuzz_die_env;

/* Two statements (setjmp must be a whole controlling expression): never the body of an unbraced if. */
#define FUZZ_TRY                             \
	msg_set_die_jump(&fuzz_die_env);     \
	if (setjmp(fuzz_die_env) == 0)

static inline void fuzz_setup(void)
{
	static int done;

	if (!done) {
		done = 1;
		msg_init("fuzz");
		csum_init();
	}
}

/* Smallest valid nodesize (power of two in 4096..65536) not above len, or 0. */
static inline uint32_t fuzz_nodesize_for(size_t len)
{
	uint32_t n = 65536;

	while (n >= 4096 && n > len)
		n >>= 1;
	return n >= 4096 ? n : 0;
}

/* Chunk limits for chunk items without a superblock: the loosest any superblock allows. */
static inline struct chunk_limits fuzz_loosest_chunk_limits(void)
{
	struct chunk_limits l = { 4096, UINT64_MAX, 65536 };

	return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
