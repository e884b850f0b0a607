/* rng.h — the one seeded random number generator of semhash.
 *
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64. Every random
 * choice in training, corruption, sampling and data splits draws from an
 * sh_rng passed in explicitly, so the same seed gives the same bytes.
 * Not for cryptography. Not thread-safe: give each thread its own stream
 * (rng_split).
 */
#ifndef SH_RNG_H
#define SH_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} sh_rng;

/* Seeds the generator; any seed (including 0) is fine. Cannot fail. */
void rng_seed(sh_rng *rng, uint64_t seed);

/* A new independent stream derived from rng (advances rng). Cannot fail. */
sh_rng rng_split(sh_rng *rng);

/* Next 64 random bits. */
uint64_t rng_u64(sh_rng *rng);

/* Uniform integer in [0, n); n must be > 0 (returns 0 for n == 0). */
uint64_t rng_below(sh_rng *rng, uint64_t n);

/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(sh_rng *rng);

/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform_double(sh_rng *rng);

/* Standard normal sample (Box-Muller; no cached second value, so the
 * stream position does not depend on call history parity). */
float rng_normal(sh_rng *rng);

/* x[i] += sigma * N(0, 1) for i in [0, n), by Marsaglia and Tsang's
 * ziggurat (2000) with 128 strips, in float: about 99% of the values
 * cost one 64-bit draw, a multiply and a compare (no log, sqrt or
 * trigonometry); the rest take the wedge test (one exp) or the tail
 * beyond r = 3.4426 (Marsaglia's exponential rejection). Each value uses
 * its own draw: the high 32 bits give the signed abscissa, the low 7 the
 * strip and bits 7-30 the wedge's uniform, so no bit serves twice (the
 * flaw of the original, which took the strip from the abscissa). A
 * different stream from rng_normal: the same seed gives other values. The
 * tables are built on the stack on every call (128 exps, well under a
 * microsecond beside a batch), so there is no global state. Cannot fail. */
void rng_add_normal(sh_rng *rng, float *x, size_t n, float sigma);

/* Fisher-Yates shuffle of n indices in place. */
void rng_shuffle_u32(sh_rng *rng, uint32_t *items, size_t n);

#endif
