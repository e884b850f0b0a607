/* test_assign.c — Hungarian algorithm: a hand-solved 4x4 case and random
 * square and rectangular matrices against brute force over all
 * assignments (sides up to 7). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "assign.h"
#include "rng.h"
#include "sh_error.h"

/* Best total over all injective maps of the smaller side into the larger
 * one, by exhaustive recursion. maximise = 1 for weights. */
static double brute(const double *a, size_t rows, size_t cols, int maximise,
                    size_t depth, unsigned used, double acc)
{
    size_t small = rows <= cols ? rows : cols, big = rows <= cols ? cols : rows;
    if (depth == small)
        return acc;
    double best = maximise ? -INFINITY : INFINITY;
    for (size_t k = 0; k < big; k++) {
        if (used & (1u << k))
            continue;
        double w = rows <= cols ? a[depth * cols + k] : a[k * cols + depth];
        double t = brute(a, rows, cols, maximise, depth + 1, used | (1u << k), acc + w);
        if (maximise ? t > best : t < best)
            best = t;
    }
    return best;
}

/* Checks row_to_col is a matching of size min(rows, cols) and returns its
 * total. */
static double matching_total(const double *a, size_t rows, size_t cols, const int *row_to_col)
{
    int col_used[8] = { 0 };
    size_t pairs = 0;
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) {
        int c = row_to_col[r];
        if (c < 0)
            continue;
        ck_assert_int_lt(c, (int)cols);
        ck_assert_int_eq(col_used[c], 0);
        col_used[c] = 1;
        pairs++;
        sum += a[r * cols + (size_t)c];
    }
    ck_assert_uint_eq(pairs, rows < cols ? rows : cols);
    return sum;
}

START_TEST(hand_solved_4x4)
{
    /* Min cost: rows take columns 1, 0, 2, 3 for 2 + 6 + 1 + 4 = 13 (the
     * row minima 2, 3, 1, 4 clash on column 2, and every way round the
     * clash costs at least 3 more). Max weight: 9 + 7 + 8 + 9 = 33 with
     * columns 0, 3, 1, 2. */
    const double a[16] = {
        9, 2, 7, 8,
        6, 4, 3, 7,
        5, 8, 1, 8,
        7, 6, 9, 4,
    };
    int map[4];
    double total = 0;
    ck_assert_int_eq(assign_min_cost(a, 4, 4, map, &total), 0);
    ck_assert_double_eq(total, 13.0);
    ck_assert_int_eq(map[0], 1);
    ck_assert_int_eq(map[1], 0);
    ck_assert_int_eq(map[2], 2);
    ck_assert_int_eq(map[3], 3);
    ck_assert_int_eq(assign_max_weight(a, 4, 4, map, &total), 0);
    ck_assert_double_eq(total, 33.0);
    ck_assert_int_eq(map[0], 0);
    ck_assert_int_eq(map[1], 3);
    ck_assert_int_eq(map[2], 1);
    ck_assert_int_eq(map[3], 2);
    ck_assert_double_eq(brute(a, 4, 4, 0, 0, 0, 0.0), 13.0);
    ck_assert_double_eq(brute(a, 4, 4, 1, 0, 0, 0.0), 33.0);
}
END_TEST

START_TEST(random_against_brute_force)
{
    sh_rng rng;
    rng_seed(&rng, 2024);
    double a[49];
    int map[7];
    for (int trial = 0; trial < 600; trial++) {
        size_t rows = 1 + rng_below(&rng, 7), cols = 1 + rng_below(&rng, 7);
        int integer = trial % 3 == 0; /* small integers: many ties */
        for (size_t i = 0; i < rows * cols; i++)
            a[i] = integer ? (double)rng_below(&rng, 4) : rng_normal(&rng) * 10.0;
        double total;
        ck_assert_int_eq(assign_min_cost(a, rows, cols, map, &total), 0);
        double got = matching_total(a, rows, cols, map);
        ck_assert_double_eq_tol(got, total, 1e-9);
        ck_assert_double_eq_tol(total, brute(a, rows, cols, 0, 0, 0, 0.0), 1e-9);
        ck_assert_int_eq(assign_max_weight(a, rows, cols, map, &total), 0);
        got = matching_total(a, rows, cols, map);
        ck_assert_double_eq_tol(got, total, 1e-9);
        ck_assert_double_eq_tol(total, brute(a, rows, cols, 1, 0, 0, 0.0), 1e-9);
    }
}
END_TEST

START_TEST(limits)
{
    int map[3] = { 7, 7, 7 };
    double total = 5;
    ck_assert_int_eq(assign_min_cost(NULL, 3, 0, map, &total), 0);
    ck_assert_int_eq(map[0], -1);
    ck_assert_int_eq(map[2], -1);
    ck_assert_double_eq(total, 0.0);
    double bad[4] = { 1, NAN, 2, 3 };
    map[0] = 7;
    ck_assert_int_eq(assign_max_weight(bad, 2, 2, map, &total), SH_EINVAL);
    ck_assert_int_eq(map[0], 7);
    ck_assert_int_eq(assign_max_weight(bad, 2, 2, NULL, &total), SH_EINVAL);

    /* A larger problem stays consistent: the optimum of a matrix with a
     * planted cheap diagonal is that diagonal. */
    size_t n = 200;
    double *c = malloc(n * n * sizeof(double));
    int *m = malloc(n * sizeof(int));
    sh_rng rng;
    rng_seed(&rng, 5);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            c[i * n + j] = i == (j * 7 + 3) % n ? 0.0 : 1.0 + rng_uniform(&rng);
    ck_assert_int_eq(assign_min_cost(c, n, n, m, &total), 0);
    ck_assert_double_eq(total, 0.0);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(i, ((size_t)m[i] * 7 + 3) % n);
    free(c);
    free(m);
}
END_TEST

Suite *assign_suite(void)
{
    Suite *s = suite_create("assign");
    TCase *core = tcase_create("core");
    tcase_add_test(core, hand_solved_4x4);
    tcase_add_test(core, random_against_brute_force);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("limits");
    tcase_add_test(lim, limits);
    suite_add_tcase(s, lim);
    return s;
}
