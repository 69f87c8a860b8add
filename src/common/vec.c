/*
 * How growable arrays get their memory.
 *
 * Every array is malloc()ed, unless the program asked for mappings
 * (vec_map_large_arrays: the verifier does).  Then an array of
 * VEC_MAPPED_BYTES or more gets
 * a mapping of its own, in whole 2 MiB units, aligned and marked for
 * transparent huge pages: a page fault costs about as much as checking a
 * tree block (13-22 us each on the virtual machines the benchmarks ran on,
 * docs/design.md "Page faults"), and the verifier's facts, at 100 bytes a
 * block, would otherwise fault in a fresh 4 KiB page every 40 blocks, twice
 * over as doubling copies them.  Growing such an array moves its pages
 * into the larger mapping (mremap) instead of copying them.
 *
 * Where the kernel gives no huge pages (THP set to "never") the mapping
 * works with small pages, as malloc would.
 *
 * It is a choice per program because a huge page is resident as a whole:
 * each mapped array holds up to 2 MiB it has not used yet, which in
 * bimg-sanitize -ss, with a few arrays that grow with the filesystem, was
 * a fifth more peak RSS at 2 million files (docs/design.md "Page faults").
 */
#include "vec.h"
#include "msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAPPING_UNIT (2u << 20)

/*
 * Under AddressSanitizer every array stays on malloc, where the sanitizer
 * sees overruns: it does not watch our own mappings.
 */
#if defined(__SANITIZE_ADDRESS__)
#define VEC_ON_MALLOC_ONLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VEC_ON_MALLOC_ONLY 1
#endif
#endif

#ifdef VEC_ON_MALLOC_ONLY
#define VEC_MAPPED_BYTES SIZE_MAX
#else
#define VEC_MAPPED_BYTES (256u << 10)
#endif

/*
 * Whether arrays of VEC_MAPPED_BYTES or more live in mappings.  It only
 * ever turns on, and only while no array of that size lives on malloc, so
 * that an array's size alone says which of the two holds it.
 */
static int large_arrays_mapped;
static int large_array_on_malloc;

void vec_map_large_arrays(void)
{
	if (!large_array_on_malloc)
		large_arrays_mapped = 1;
}

static int is_mapped(size_t bytes)
{
	return large_arrays_mapped && bytes >= VEC_MAPPED_BYTES;
}

static size_t mapping_size(size_t bytes)
{
	return (bytes + MAPPING_UNIT - 1) / MAPPING_UNIT * MAPPING_UNIT;
}

/* A fresh mapping of `size` bytes (a multiple of MAPPING_UNIT), aligned to MAPPING_UNIT. */
static void *map_aligned(size_t size)
{
	uint8_t *raw, *aligned;
	size_t head, tail;

	raw = mmap(NULL, size + MAPPING_UNIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("out of memory mapping %zu bytes", size);
	aligned = (uint8_t *)(((uintptr_t)raw + MAPPING_UNIT - 1) & ~(uintptr_t)(MAPPING_UNIT - 1));
	head = (size_t)(aligned - raw);
	tail = MAPPING_UNIT - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(aligned + size, tail);
	(void)madvise(aligned, size, MADV_HUGEPAGE); /* a hint: without it, small pages */
	return aligned;
}

/* The array of old_bytes at items, moved into a mapping of new_size bytes. */
static void *move_to_mapping(void *items, size_t old_bytes, size_t new_size)
{
	uint8_t *fresh = map_aligned(new_size);

	if (!items)
		return fresh;
	if (!is_mapped(old_bytes)) {
		memcpy(fresh, items, old_bytes);
		free(items);
		return fresh;
	}
	/* Move the old pages to the start of the new mapping, replacing what is there. */
	if (mremap(items, mapping_size(old_bytes), mapping_size(old_bytes), MREMAP_MAYMOVE | MREMAP_FIXED, fresh) ==
	    MAP_FAILED) {
		memcpy(fresh, items, old_bytes);
		munmap(items, mapping_size(old_bytes));
	}
	return fresh;
}

void *vec_grow(void *items, size_t *capacity, size_t need, size_t elem_size)
{
	size_t cap = *capacity ? *capacity : 16;
	size_t old_bytes = *capacity * elem_size;
	size_t new_size;

	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			die("out of memory: an array of %zu elements", need);
		cap *= 2;
	}
	if (cap > (SIZE_MAX - MAPPING_UNIT) / elem_size)
		die("out of memory: an array of %zu elements of %zu bytes", cap, elem_size);
	if (!is_mapped(cap * elem_size)) {
		if (cap * elem_size >= VEC_MAPPED_BYTES)
			large_array_on_malloc = 1;
		*capacity = cap;
		return xrealloc(items, cap * elem_size);
	}
	/* A mapped array's capacity is all of its mapping. */
	new_size = mapping_size(cap * elem_size);
	*capacity = new_size / elem_size;
	return move_to_mapping(items, old_bytes, new_size);
}

void vec_release(void *items, size_t capacity, size_t elem_size)
{
	size_t bytes = capacity * elem_size;

	if (!items)
		return;
	if (!is_mapped(bytes))
		free(items);
	else
		munmap(items, mapping_size(bytes));
}
