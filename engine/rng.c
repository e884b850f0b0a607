/* rng.c — xoshiro256** with splitmix64 seeding. See rng.h. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(sh_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&state);
}

uint64_t rng_u64(sh_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

sh_rng rng_split(sh_rng *rng)
{
    sh_rng child;
    rng_seed(&child, rng_u64(rng));
    return child;
}

uint64_t rng_below(sh_rng *rng, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection sampling removes the modulo bias. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = rng_u64(rng);
    } while (x >= limit);
    return x % n;
}

float rng_uniform(sh_rng *rng)
{
    return (float)(rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

double rng_uniform_double(sh_rng *rng)
{
    return (double)(rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

float rng_normal(sh_rng *rng)
{
    double u1 = ((double)(rng_u64(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = rng_uniform_double(rng);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void rng_shuffle_u32(sh_rng *rng, uint32_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(rng, i);
        uint32_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}
