/*
 * A small seeded PRNG (xoshiro256**) for replacement names.
 *
 * Not cryptographic: replacements are a function of the original name,
 * the seed and the order of first appearance, and the original cannot be
 * recovered from them because the bytes are drawn independently of it
 * (only the -ss suffix depends on the original, through its 32-bit hash,
 * which the key already shows).  Without --seed the seed comes from the
 * kernel's random source, so two dumps differ.
 */
#ifndef BIMG_SANITIZE_RNG_H
#define BIMG_SANITIZE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
/* A seed from getrandom(); dies if the kernel gives none. */
uint64_t rng_random_seed(void);
/* len bytes from getrandom() (secrets that must not follow from the seed); dies if the kernel gives none. */
void rng_random_bytes(void *buf, size_t len);
uint64_t rng_next(struct rng *r);

/* Uniform in 0..bound-1 (bound >= 1), by multiply-shift: bias below 2^-32. */
static inline uint32_t rng_below(struct rng *r, uint32_t bound)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)bound) >> 32);
}

#endif
