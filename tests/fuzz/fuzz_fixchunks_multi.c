/*
 * Fuzz bimg-fixchunks -m: every device of the stream's filesystem restored
 * onto its own target (in memory), RAID5/6 parity rewritten.  See
 * fuzz_fixchunks.h.
 */
#include "fuzz_fixchunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_fixchunks_run(data, size, 1);
	return 0;
}
