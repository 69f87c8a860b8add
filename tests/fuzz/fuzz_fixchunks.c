/*
 * Fuzz bimg-fixchunks restoring a record stream onto one target (in
 * memory): the restore map, hold-back, placement, the multi-device layout
 * and chunk/device tree rewriting, the superblock.  See fuzz_fixchunks.h.
 */
#include "fuzz_fixchunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_fixchunks_run(data, size, 0);
	return 0;
}
