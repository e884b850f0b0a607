/* test_kmeans.c — k-means on planted, well-separated clusters (accuracy
 * 1.0 through the Hungarian mapping), determinism for a seed and across
 * thread counts, the Lloyd fixed point (every row at its nearest
 * centroid, every centroid the mean of its rows), degenerate data and
 * argument errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evalstats.h"
#include "kmeans.h"
#include "rng.h"
#include "sh_error.h"

enum { BLOBS = 5, PER_BLOB = 120, DIM = 6 };

/* BLOBS Gaussian blobs (sd 1) around centres 20 apart, rows shuffled;
 * truth receives the blob of each row. */
static void planted(sh_mat *x, int *truth, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    size_t n = BLOBS * PER_BLOB;
    ck_assert_int_eq(mat_alloc(x, n, DIM), 0);
    uint32_t order[BLOBS * PER_BLOB];
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    rng_shuffle_u32(&rng, order, n);
    for (size_t i = 0; i < n; i++) {
        int blob = (int)(order[i] % BLOBS);
        truth[i] = blob;
        for (size_t j = 0; j < DIM; j++) {
            float centre = (float)(20 * ((blob + (int)j) % BLOBS)) * (j % 2 ? 1.0f : -1.0f);
            x->data[i * DIM + j] = centre + rng_normal(&rng);
        }
    }
}

START_TEST(recovers_planted_clusters)
{
    sh_mat x;
    int truth[BLOBS * PER_BLOB];
    planted(&x, truth, 11);
    kmeans_opts o = kmeans_default_opts(BLOBS);
    sh_rng rng;
    rng_seed(&rng, 1);
    kmeans_result r;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    double acc;
    ck_assert_int_eq(eval_cluster_accuracy(truth, r.assign, x.rows, &acc), 0);
    ck_assert_double_eq(acc, 1.0);
    ck_assert(r.converged);
    /* Within-blob scatter only: about N * DIM * sd^2. */
    ck_assert_double_lt(r.inertia, 1.3 * BLOBS * PER_BLOB * DIM);
    ck_assert_double_gt(r.inertia, 0.7 * BLOBS * PER_BLOB * DIM);
    kmeans_result_free(&r);
    mat_free(&x);
}
END_TEST

START_TEST(fixed_point_and_assign)
{
    /* Overlapping blobs with a wrong k: still a Lloyd fixed point. */
    sh_mat x;
    int truth[BLOBS * PER_BLOB];
    planted(&x, truth, 12);
    for (size_t i = 0; i < x.rows * x.cols; i++)
        x.data[i] *= 0.1f;
    kmeans_opts o = kmeans_default_opts(7);
    o.max_iter = 500;
    sh_rng rng;
    rng_seed(&rng, 2);
    kmeans_result r;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    ck_assert(r.converged);
    size_t n = x.rows, k = 7;
    double direct_inertia = 0;
    for (size_t i = 0; i < n; i++) {
        double best = INFINITY, own = 0;
        for (size_t c = 0; c < k; c++) {
            double d2 = 0;
            for (size_t j = 0; j < DIM; j++)
                d2 += pow((double)x.data[i * DIM + j] - r.centroids.data[c * DIM + j], 2);
            if (d2 < best)
                best = d2;
            if ((int)c == r.assign[i])
                own = d2;
        }
        ck_assert_double_le(own, best + 1e-4);
        direct_inertia += own;
    }
    ck_assert_double_eq_tol(r.inertia, direct_inertia, 1e-3 * direct_inertia);
    for (size_t c = 0; c < k; c++) {
        double mean[DIM] = { 0 };
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            if (r.assign[i] == (int)c) {
                count++;
                for (size_t j = 0; j < DIM; j++)
                    mean[j] += x.data[i * DIM + j];
            }
        ck_assert_uint_gt(count, 0);
        for (size_t j = 0; j < DIM; j++)
            ck_assert_double_eq_tol(mean[j] / count, r.centroids.data[c * DIM + j], 1e-4);
    }
    /* kmeans_assign reproduces the fit's assignment and inertia. */
    int *again = malloc(n * sizeof(int));
    double inertia;
    ck_assert_int_eq(kmeans_assign(&x, &r.centroids, again, &inertia), 0);
    ck_assert_mem_eq(again, r.assign, n * sizeof(int));
    ck_assert_double_eq_tol(inertia, r.inertia, 1e-9 * r.inertia);
    free(again);
    kmeans_result_free(&r);
    mat_free(&x);
}
END_TEST

START_TEST(deterministic_for_seed_and_threads)
{
    sh_mat x;
    int truth[BLOBS * PER_BLOB];
    planted(&x, truth, 13);
    for (size_t i = 0; i < x.rows * x.cols; i++)
        x.data[i] *= 0.15f; /* overlapping: the seed matters */
    kmeans_opts o = kmeans_default_opts(6);
    o.restarts = 3;
    kmeans_result a, b, c, e;
    sh_rng rng;
    rng_seed(&rng, 77);
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &a), 0);
    rng_seed(&rng, 77);
    o.threads = 3;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &b), 0);
    ck_assert_mem_eq(a.assign, b.assign, x.rows * sizeof(int));
    ck_assert_mem_eq(a.centroids.data, b.centroids.data, 6 * DIM * sizeof(float));
    ck_assert_double_eq(a.inertia, b.inertia);
    /* Other seeds give other runs (some centroid differs in some bit). */
    int differs = 0;
    for (uint64_t seed = 78; seed < 82 && !differs; seed++) {
        rng_seed(&rng, seed);
        ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &c), 0);
        differs = memcmp(a.centroids.data, c.centroids.data, 6 * DIM * sizeof(float)) != 0;
        kmeans_result_free(&c);
    }
    ck_assert(differs);
    /* More restarts never end with a higher inertia than the first run
     * alone from the same seed (the first run is among them). */
    o.restarts = 1;
    rng_seed(&rng, 77);
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &e), 0);
    ck_assert_double_le(a.inertia, e.inertia);
    kmeans_result_free(&a);
    kmeans_result_free(&b);
    kmeans_result_free(&e);
    mat_free(&x);
}
END_TEST

START_TEST(degenerate_and_errors)
{
    /* All rows identical: k = 3 must finish with zero inertia. */
    sh_mat x;
    ck_assert_int_eq(mat_alloc(&x, 10, 2), 0);
    for (size_t i = 0; i < 20; i++)
        x.data[i] = 3.0f;
    kmeans_opts o = kmeans_default_opts(3);
    sh_rng rng;
    rng_seed(&rng, 4);
    kmeans_result r;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    ck_assert_double_eq(r.inertia, 0.0);
    kmeans_result_free(&r);
    kmeans_result_free(NULL);

    /* k = 1: the centroid is the mean. */
    for (size_t i = 0; i < 10; i++) {
        x.data[2 * i] = (float)i;
        x.data[2 * i + 1] = -2.0f * (float)i;
    }
    o.k = 1;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    ck_assert_float_eq_tol(r.centroids.data[0], 4.5f, 1e-6f);
    ck_assert_float_eq_tol(r.centroids.data[1], -9.0f, 1e-6f);
    ck_assert_double_eq_tol(r.inertia, 5.0 * 82.5, 1e-3); /* sum (i-4.5)^2 = 82.5, times 1 + 4 */
    kmeans_result_free(&r);

    /* k = N: every row its own cluster, inertia 0. */
    o.k = 10;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    ck_assert_double_eq_tol(r.inertia, 0.0, 1e-9);
    kmeans_result_free(&r);

    o.k = 11;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), SH_EINVAL);
    ck_assert_ptr_null(r.assign);
    o.k = 0;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), SH_EINVAL);
    o.k = 2;
    o.restarts = 0;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), SH_EINVAL);
    o.restarts = 1;
    x.data[3] = NAN;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), SH_EINVAL);
    mat_free(&x);
}
END_TEST

/* Nearest centroid by direct double-precision distances (the naive
 * reference for the dot-product kernel); *gap receives the margin to the
 * second nearest. */
static int nearest(const float *row, const float *cent, size_t k, size_t d, double *gap)
{
    double best = INFINITY, second = INFINITY;
    int arg = -1;
    for (size_t c = 0; c < k; c++) {
        double d2 = 0;
        for (size_t j = 0; j < d; j++)
            d2 += pow((double)row[j] - cent[c * d + j], 2);
        if (d2 < best) {
            second = best;
            best = d2;
            arg = (int)c;
        } else if (d2 < second) {
            second = d2;
        }
    }
    *gap = second - best;
    return arg;
}

START_TEST(kernel_matches_naive_distances)
{
    /* Widths and counts that exercise every path: D not a multiple of 16,
     * K over 8 (two register blocks), N not a multiple of 4, 3 threads. */
    enum { N = 203, D = 37, K = 11 };
    sh_rng rng;
    rng_seed(&rng, 31);
    sh_mat x, cent;
    ck_assert_int_eq(mat_alloc(&x, N, D), 0);
    ck_assert_int_eq(mat_alloc(&cent, K, D), 0);
    for (size_t i = 0; i < N * D; i++)
        x.data[i] = rng_uniform(&rng) < 0.4f ? 0.0f : rng_normal(&rng);
    for (size_t i = 0; i < K * D; i++)
        cent.data[i] = rng_normal(&rng);
    int assign[N];
    double inertia, want_inertia = 0, gap;
    ck_assert_int_eq(kmeans_assign(&x, &cent, assign, &inertia), 0);
    size_t checked = 0;
    for (size_t i = 0; i < N; i++) {
        int want = nearest(x.data + i * D, cent.data, K, D, &gap);
        if (gap > 1e-3) {
            ck_assert_int_eq(assign[i], want);
            checked++;
        }
        double d2 = 0;
        for (size_t j = 0; j < D; j++)
            d2 += pow((double)x.data[i * D + j] - cent.data[assign[i] * D + j], 2);
        want_inertia += d2;
    }
    ck_assert_uint_gt(checked, N - 5);
    ck_assert_double_eq_tol(inertia, want_inertia, 1e-5 * want_inertia);

    /* A fit on the same data ends at a Lloyd fixed point checked naively. */
    kmeans_opts o = kmeans_default_opts(K);
    o.threads = 3;
    o.max_iter = 1000;
    kmeans_result r;
    ck_assert_int_eq(kmeans_fit(&x, &o, &rng, &r), 0);
    ck_assert(r.converged);
    for (size_t i = 0; i < N; i++) {
        int want = nearest(x.data + i * D, r.centroids.data, K, D, &gap);
        if (gap > 1e-3)
            ck_assert_int_eq(r.assign[i], want);
    }
    kmeans_result_free(&r);
    mat_free(&x);
    mat_free(&cent);
}
END_TEST

Suite *kmeans_suite(void)
{
    Suite *s = suite_create("kmeans");
    TCase *core = tcase_create("core");
    tcase_add_test(core, recovers_planted_clusters);
    tcase_add_test(core, fixed_point_and_assign);
    tcase_add_test(core, deterministic_for_seed_and_threads);
    tcase_add_test(core, kernel_matches_naive_distances);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("limits");
    tcase_add_test(lim, degenerate_and_errors);
    suite_add_tcase(s, lim);
    return s;
}
