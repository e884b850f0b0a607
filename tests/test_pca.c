/* test_pca.c — PCA on data with a known low-rank structure: the
 * components span the generating subspace, variances are the eigenvalues
 * of the covariance computed naively, the reconstruction of rank-k data is
 * exact with k components and not with fewer, transform/inverse agree,
 * and bad sizes are refused. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "pca.h"
#include "sh_error.h"
#include "test_nn_util.h"

/* X[N,D] = Z[N,k] . Q[k,D] * scale_i + mean, with Q orthonormal rows from
 * a Gram-Schmidt of random vectors. Writes Q. */
static void low_rank_data(sh_rng *rng, float *X, float *Q, size_t N, size_t D, size_t k)
{
    tu_fill_normal(rng, Q, k * D, 1.0f);
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < i; j++) {
            double d = 0;
            for (size_t c = 0; c < D; c++)
                d += (double)Q[i * D + c] * Q[j * D + c];
            for (size_t c = 0; c < D; c++)
                Q[i * D + c] -= (float)d * Q[j * D + c];
        }
        double norm = 0;
        for (size_t c = 0; c < D; c++)
            norm += (double)Q[i * D + c] * Q[i * D + c];
        for (size_t c = 0; c < D; c++)
            Q[i * D + c] /= (float)sqrt(norm);
    }
    for (size_t r = 0; r < N; r++) {
        for (size_t c = 0; c < D; c++)
            X[r * D + c] = 2.0f + 0.1f * (float)c; /* mean */
        for (size_t i = 0; i < k; i++) {
            float z = (float)(k - i) * rng_normal(rng); /* distinct variances */
            for (size_t c = 0; c < D; c++)
                X[r * D + c] += z * Q[i * D + c];
        }
    }
}

START_TEST(recovers_a_low_rank_subspace)
{
    sh_rng rng;
    rng_seed(&rng, 61);
    const size_t N = 500, D = 12, k = 3;
    float *X = malloc(N * D * sizeof(float)), *Q = malloc(k * D * sizeof(float));
    low_rank_data(&rng, X, Q, N, D, k);
    sh_pca p;
    ck_assert_int_eq(pca_fit(&p, X, N, D, k), 0);
    ck_assert_uint_eq(p.k, k);
    /* each component lies in span(Q): its projection on Q has norm 1 */
    for (size_t i = 0; i < k; i++) {
        double in_span = 0;
        for (size_t j = 0; j < k; j++) {
            double d = 0;
            for (size_t c = 0; c < D; c++)
                d += (double)p.components[i * D + c] * Q[j * D + c];
            in_span += d * d;
        }
        ck_assert_double_eq_tol(in_span, 1.0, 1e-4);
        if (i > 0)
            ck_assert(p.variances[i - 1] >= p.variances[i]);
    }
    /* variance along each component = v^T C v with C computed naively */
    double *mean = calloc(D, sizeof(double));
    for (size_t r = 0; r < N; r++)
        for (size_t c = 0; c < D; c++)
            mean[c] += X[r * D + c] / (double)N;
    for (size_t i = 0; i < k; i++) {
        double var = 0;
        for (size_t r = 0; r < N; r++) {
            double proj = 0;
            for (size_t c = 0; c < D; c++)
                proj += (X[r * D + c] - mean[c]) * p.components[i * D + c];
            var += proj * proj / (double)(N - 1);
        }
        ck_assert_double_eq_tol(var, p.variances[i], 1e-3 * var);
        ck_assert_double_eq_tol(p.mean[i], mean[i], 1e-4);
    }
    double mse;
    ck_assert_int_eq(pca_reconstruction_mse(&p, X, N, &mse), 0);
    ck_assert(mse < 1e-8);
    pca_free(&p);
    /* one component fewer than the rank leaves error = the dropped
     * variance spread over D elements */
    ck_assert_int_eq(pca_fit(&p, X, N, D, k - 1), 0);
    ck_assert_int_eq(pca_reconstruction_mse(&p, X, N, &mse), 0);
    sh_pca full;
    ck_assert_int_eq(pca_fit(&full, X, N, D, k), 0);
    double dropped = full.variances[k - 1] * (double)(N - 1) / (double)N / (double)D;
    ck_assert_double_eq_tol(mse, dropped, 1e-3 * dropped);
    pca_free(&full);
    pca_free(&p);
    free(mean);
    free(X);
    free(Q);
}
END_TEST

START_TEST(transform_inverse_and_limits)
{
    sh_rng rng;
    rng_seed(&rng, 62);
    const size_t N = 40, D = 7;
    float *X = malloc(N * D * sizeof(float)), *Z = malloc(N * D * sizeof(float));
    float *Xr = malloc(N * D * sizeof(float));
    tu_fill_uniform(&rng, X, N * D, -2, 5);
    sh_pca p;
    ck_assert_int_eq(pca_fit(&p, X, N, D, D), 0); /* all components: exact */
    pca_transform(&p, X, N, Z);
    pca_inverse(&p, Z, N, Xr);
    ck_assert(tu_max_rel_diff(X, Xr, N * D) < 1e-4);
    /* codes are centred: each column of Z sums to ~0 */
    for (size_t i = 0; i < D; i++) {
        double s = 0;
        for (size_t r = 0; r < N; r++)
            s += Z[r * D + i];
        ck_assert_double_eq_tol(s / N, 0.0, 1e-4);
    }
    pca_free(&p);
    pca_free(NULL);
    ck_assert_int_eq(pca_fit(&p, X, 1, D, 1), SH_EINVAL);
    ck_assert_ptr_null(p.mean);
    ck_assert_int_eq(pca_fit(&p, X, N, D, 0), SH_EINVAL);
    ck_assert_int_eq(pca_fit(&p, X, N, D, D + 1), SH_EINVAL);
    free(X);
    free(Z);
    free(Xr);
}
END_TEST

Suite *pca_suite(void)
{
    Suite *s = suite_create("pca");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(core, recovers_a_low_rank_subspace);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(limits, transform_inverse_and_limits);
    suite_add_tcase(s, limits);
    return s;
}
