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

/* One xoshiro256** step. Static so that the ziggurat's loop inlines it:
 * rng_u64 is an exported symbol, which -fPIC calls through the PLT. */
static inline uint64_t xoshiro_next(uint64_t *s)
{
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

uint64_t rng_u64(sh_rng *rng)
{
    return xoshiro_next(rng->s);
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

/* ---- the ziggurat ----------------------------------------------------- */

#define ZIG_STRIPS 128
#define ZIG_R 3.442619855899       /* start of the tail */
#define ZIG_V 9.91256303526217e-3  /* area of each strip (and of the base strip with its tail) */

typedef struct {
    uint32_t k[ZIG_STRIPS]; /* |hz| below k[i]: inside strip i's rectangle */
    float w[ZIG_STRIPS];    /* x = hz * w[i] */
    float f[ZIG_STRIPS];    /* exp(-x_i^2 / 2) at the strip's right edge */
} zig_tables;

/* Marsaglia and Tsang's zigset for 128 strips, in double. */
static void zig_build(zig_tables *z)
{
    const double m1 = 2147483648.0;
    double dn = ZIG_R, tn = dn;
    double q = ZIG_V / exp(-0.5 * dn * dn);
    z->k[0] = (uint32_t)((dn / q) * m1);
    z->k[1] = 0;
    z->w[0] = (float)(q / m1);
    z->w[ZIG_STRIPS - 1] = (float)(dn / m1);
    z->f[0] = 1.0f;
    z->f[ZIG_STRIPS - 1] = (float)exp(-0.5 * dn * dn);
    for (int i = ZIG_STRIPS - 2; i >= 1; i--) {
        dn = sqrt(-2.0 * log(ZIG_V / dn + exp(-0.5 * dn * dn)));
        z->k[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        z->f[i] = (float)exp(-0.5 * dn * dn);
        z->w[i] = (float)(dn / m1);
    }
}

/* Uniform in (0, 1): never 0, so its log is finite. */
static double uniform_open(sh_rng *rng)
{
    return ((double)(xoshiro_next(rng->s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* One standard normal: the rectangle test, else the tail (strip 0) or
 * the wedge, drawing again after a rejection. */
static float zig_normal(sh_rng *rng, const zig_tables *z)
{
    for (;;) {
        uint64_t r = xoshiro_next(rng->s);
        int32_t hz = (int32_t)(uint32_t)(r >> 32);
        uint32_t iz = (uint32_t)(r & (ZIG_STRIPS - 1));
        uint32_t mag = hz < 0 ? 0u - (uint32_t)hz : (uint32_t)hz;
        float x = (float)hz * z->w[iz];
        if (mag < z->k[iz])
            return x;
        if (iz == 0) { /* the tail beyond ZIG_R */
            double t, y;
            do {
                t = -log(uniform_open(rng)) / ZIG_R;
                y = -log(uniform_open(rng));
            } while (y + y < t * t);
            return (float)(hz > 0 ? ZIG_R + t : -ZIG_R - t);
        }
        float u = (float)((r >> 7) & 0xffffffu) * (1.0f / 16777216.0f);
        if (z->f[iz] + u * (z->f[iz - 1] - z->f[iz]) < expf(-0.5f * x * x))
            return x;
    }
}

void rng_add_normal(sh_rng *rng, float *x, size_t n, float sigma)
{
    zig_tables z;
    zig_build(&z);
    sh_rng local = *rng; /* the state in registers, not behind rng */
    for (size_t i = 0; i < n; i++)
        x[i] += sigma * zig_normal(&local, &z);
    *rng = local;
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
