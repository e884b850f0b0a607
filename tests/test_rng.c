/* test_rng.c — the seeded generator: determinism and rough distributions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

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

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *core = tcase_create("core");
    tcase_add_test(core, same_seed_same_stream);
    tcase_add_test(core, uniform_and_normal_moments);
    tcase_add_test(core, below_is_in_range_and_covers);
    tcase_add_test(core, shuffle_is_a_permutation);
    suite_add_tcase(s, core);
    return s;
}
