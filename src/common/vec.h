/*
 * Growable arrays of any element type.
 *
 *   VEC(struct extent) list = VEC_INIT;
 *   VEC_PUSH(list, e);               list.items[i], i < list.count
 *   qsort(list.items, list.count, sizeof(*list.items), cmp);
 *   size_t at = VEC_LOWER_BOUND(list, start, wanted);
 *   VEC_FREE(list);
 *
 * Capacity doubles, so n pushes cost O(n) copies in all; a size that
 * would overflow size_t dies like running out of memory.  Large arrays
 * grow without copies or fresh page faults per 4 KiB (vec.c).
 */
#ifndef BIMG_COMMON_VEC_H
#define BIMG_COMMON_VEC_H

#include "msg.h"

#include <stddef.h>
#include <stdint.h>

#define VEC(type)                  \
	struct {                   \
		type *items;       \
		size_t count;      \
		size_t capacity;   \
	}
#define VEC_INIT { NULL, 0, 0 }

/*
 * Room for at least `need` elements of elem_size bytes at items, whose
 * capacity is *capacity (updated); returns the new items.  An array of
 * VEC_MAPPED_BYTES or more may live in a mapping of its own (vec.c), so
 * VEC_FREE (vec_release) must be how it goes.
 */
void *vec_grow(void *items, size_t *capacity, size_t need, size_t elem_size);
void vec_release(void *items, size_t capacity, size_t elem_size);
/*
 * From now on, arrays of VEC_MAPPED_BYTES or more grow in huge-page
 * mappings of their own (vec.c says when that pays); a no-op once such an
 * array was malloc()ed.
 */
void vec_map_large_arrays(void);

#define VEC_RESERVE(v, need)                                                                         \
	do {                                                                                         \
		if ((need) > (v).capacity)                                                           \
			(v).items = vec_grow((v).items, &(v).capacity, (need), sizeof(*(v).items)); \
	} while (0)

#define VEC_PUSH(v, value)                                 \
	do {                                               \
		VEC_RESERVE((v), (v).count + 1);           \
		(v).items[(v).count++] = (value);          \
	} while (0)

#define VEC_FREE(v)                                                        \
	do {                                                               \
		vec_release((v).items, (v).capacity, sizeof(*(v).items)); \
		(v).items = NULL;                                          \
		(v).count = (v).capacity = 0;                              \
	} while (0)

/* Index of the first element of a vector sorted by `field` that is >= value (count if none). */
#define VEC_LOWER_BOUND(v, field, value)                                       \
	({                                                                     \
		size_t lo_ = 0, hi_ = (v).count;                               \
		while (lo_ < hi_) {                                            \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                   \
			if ((v).items[mid_].field < (value))                   \
				lo_ = mid_ + 1;                                \
			else                                                   \
				hi_ = mid_;                                    \
		}                                                              \
		lo_;                                                           \
	})

/* Index of the first of items[0..count), sorted by `field`, whose field is > value (count if none). */
#define ARRAY_UPPER_BOUND(items, count, field, value)                          \
	({                                                                     \
		size_t lo_ = 0, hi_ = (count);                                 \
		while (lo_ < hi_) {                                            \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                   \
			if ((items)[mid_].field <= (value))                    \
				lo_ = mid_ + 1;                                \
			else                                                   \
				hi_ = mid_;                                    \
		}                                                              \
		lo_;                                                           \
	})

#endif
