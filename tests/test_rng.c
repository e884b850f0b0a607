/* test_rng.c — the seeded generator: determinism and rough distributions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

START_TEST(same_seed_same_stream)
{
    sh_rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differs_from_other_seed = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a);
        ck_assert_uint_eq(x, rng_u64(&b));
        if (x != rng_u64(&c))
            differs_from_other_seed = 1;
    }
    ck_assert(differs_from_other_seed);
}
END_TEST

START_TEST(uniform_and_normal_moments)
{
    sh_rng rng;
    rng_seed(&rng, 7);
    const int n = 200000;
    double sum_u = 0, sum_n = 0, sum_n2 = 0;
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&rng);
        ck_assert(u >= 0.0f && u < 1.0f);
        sum_u += u;
        double z = rng_normal(&rng);
        ck_assert(isfinite(z));
        sum_n += z;
        sum_n2 += z * z;
    }
    ck_assert_double_eq_tol(sum_u / n, 0.5, 0.01);
    ck_assert_double_eq_tol(sum_n / n, 0.0, 0.01);
    ck_assert_double_eq_tol(sum_n2 / n, 1.0, 0.02);
}
END_TEST

START_TEST(below_is_in_range_and_covers)
{
    sh_rng rng;
    rng_seed(&rng, 1);
    int seen[7] = { 0 };
    for (int i = 0; i < 7000; i++) {
        uint64_t x = rng_below(&rng, 7);
        ck_assert_uint_lt(x, 7);
        seen[x]++;
    }
    for (int i = 0; i < 7; i++)
        ck_assert_int_gt(seen[i], 800);
    ck_assert_uint_eq(rng_below(&rng, 0), 0);
}
END_TEST

START_TEST(shuffle_is_a_permutation)
{
    sh_rng rng;
    rng_seed(&rng, 3);
    uint32_t items[100];
    for (uint32_t i = 0; i < 100; i++)
        items[i] = i;
    rng_shuffle_u32(&rng, items, 100);
    int seen[100] = { 0 };
    int moved = 0;
    for (uint32_t i = 0; i < 100; i++) {
        seen[items[i]]++;
        if (items[i] != i)
            moved++;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 50);
}
END_TEST

/* |observed - expected| in standard errors of a share p among n draws. */
static double share_z(size_t hits, size_t n, double p)
{
    return fabs((double)hits / (double)n - p) / sqrt(p * (1.0 - p) / (double)n);
}

/* The ziggurat against N(0, 1) on 4 million values: mean, variance and
 * fourth moment within 5 standard errors, the tails (|x| > 2, 3, 3.5, 4:
 * beyond 3.44 every value comes from the tail branch) likewise, and a
 * chi-square over 64 bins on [-4, 4) plus the two outer bins below
 * 130 (66 degrees of freedom: mean 65, sd 11.4). A wrong table, wedge
 * test or tail would fail one of them (the wedges alone hold about 1%
 * of the mass, enough for the chi-square at this n). */
START_TEST(ziggurat_is_standard_normal)
{
    enum { N = 4000000, BINS = 64 };
    float *x = calloc(N, sizeof(float));
    ck_assert_ptr_nonnull(x);
    sh_rng rng;
    rng_seed(&rng, 11);
    rng_add_normal(&rng, x, N, 1.0f);
    double s1 = 0, s2 = 0, s4 = 0;
    size_t over2 = 0, over3 = 0, over35 = 0, over4 = 0, positive = 0, finite = 0;
    size_t bins[BINS + 2] = { 0 };
    for (size_t i = 0; i < N; i++) {
        double v = x[i], a = fabs(v);
        finite += isfinite(v) != 0; /* (ck_assert in this loop would cost a pipe write each) */
        s1 += v;
        s2 += v * v;
        s4 += v * v * v * v;
        over2 += a > 2.0;
        over3 += a > 3.0;
        over35 += a > 3.5;
        over4 += a > 4.0;
        positive += v > 0;
        int b = v < -4.0 ? 0 : v >= 4.0 ? BINS + 1 : 1 + (int)((v + 4.0) * BINS / 8.0);
        bins[b]++;
    }
    ck_assert_uint_eq(finite, N);
    double mean = s1 / N, var = s2 / N - mean * mean, m4 = s4 / N;
    ck_assert_double_le(fabs(mean) / sqrt(1.0 / N), 5.0);
    ck_assert_double_le(fabs(var - 1.0) / sqrt(2.0 / N), 5.0);
    ck_assert_double_le(fabs(m4 - 3.0) / sqrt(96.0 / N), 5.0);
    ck_assert_double_le(share_z(positive, N, 0.5), 5.0);
    ck_assert_double_le(share_z(over2, N, erfc(2.0 / sqrt(2.0))), 5.0);
    ck_assert_double_le(share_z(over3, N, erfc(3.0 / sqrt(2.0))), 5.0);
    ck_assert_double_le(share_z(over35, N, erfc(3.5 / sqrt(2.0))), 5.0);
    ck_assert_double_le(share_z(over4, N, erfc(4.0 / sqrt(2.0))), 5.0);
    double chi2 = 0;
    for (int b = 0; b < BINS + 2; b++) {
        double lo = b == 0 ? -INFINITY : -4.0 + 8.0 * (b - 1) / BINS;
        double hi = b == BINS + 1 ? INFINITY : -4.0 + 8.0 * b / BINS;
        double p = 0.5 * (erfc(-hi / sqrt(2.0)) - erfc(-lo / sqrt(2.0)));
        double e = p * N;
        chi2 += (bins[b] - e) * (bins[b] - e) / e;
    }
    ck_assert_msg(chi2 < 130.0, "chi-square %.1f over %d bins", chi2, BINS + 2);

    /* it adds sigma * N(0, 1) to what is there, and the seed fixes the values */
    sh_rng a, b;
    rng_seed(&a, 5);
    rng_seed(&b, 5);
    float y[1000], z[1000];
    for (int i = 0; i < 1000; i++)
        y[i] = 3.0f;
    memset(z, 0, sizeof(z));
    rng_add_normal(&a, y, 1000, 0.5f);
    rng_add_normal(&b, z, 1000, 1.0f);
    for (int i = 0; i < 1000; i++)
        ck_assert_float_eq_tol(y[i], 3.0f + 0.5f * z[i], 1e-5f);
    free(x);
}
END_TEST

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *core = tcase_create("core");
    tcase_add_test(core, same_seed_same_stream);
    tcase_add_test(core, uniform_and_normal_moments);
    tcase_add_test(core, below_is_in_range_and_covers);
    tcase_add_test(core, shuffle_is_a_permutation);
    tcase_add_test(core, ziggurat_is_standard_normal);
    suite_add_tcase(s, core);
    return s;
}
