/* test_matrix.c — every matrix kernel against its naive reference:
 * gemm with transposes and alpha/beta, sparse x dense against the densified
 * product, the transposed sparse product, row selection, the symmetric
 * eigen decomposition, and the thread setter. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "sh_error.h"
#include "test_nn_util.h"

START_TEST(gemm_matches_naive)
{
    sh_rng rng;
    rng_seed(&rng, 11);
    const size_t sizes[] = { 1, 2, 3, 7, 16, 33 };
    const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
    int cases = 0;
    for (size_t a = 0; a < ns; a++)
        for (size_t b = 0; b < ns; b++)
            for (size_t c = 0; c < ns; c += 2)
                for (int ta = 0; ta < 2; ta++)
                    for (int tb = 0; tb < 2; tb++) {
                        size_t M = sizes[a], N = sizes[b], K = sizes[c];
                        size_t lda = (ta ? M : K) + (size_t)(cases % 3); /* padded rows too */
                        size_t ldb = (tb ? K : N) + 1, ldc = N + (size_t)(cases % 2);
                        size_t arows = ta ? K : M, brows = tb ? N : K;
                        float *A = malloc(arows * lda * sizeof(float));
                        float *B = malloc(brows * ldb * sizeof(float));
                        float *C1 = malloc(M * ldc * sizeof(float));
                        float *C2 = malloc(M * ldc * sizeof(float));
                        ck_assert(A && B && C1 && C2);
                        tu_fill_uniform(&rng, A, arows * lda, -1, 1);
                        tu_fill_uniform(&rng, B, brows * ldb, -1, 1);
                        tu_fill_uniform(&rng, C1, M * ldc, -1, 1);
                        memcpy(C2, C1, M * ldc * sizeof(float));
                        float alpha = cases % 2 ? 0.5f : 1.0f, beta = (float)(cases % 3) * 0.5f;
                        mat_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
                        mat_gemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
                        ck_assert_msg(tu_max_rel_diff(C1, C2, M * ldc) < 1e-5,
                                      "M=%zu N=%zu K=%zu ta=%d tb=%d", M, N, K, ta, tb);
                        free(A);
                        free(B);
                        free(C1);
                        free(C2);
                        cases++;
                    }
    ck_assert_int_gt(cases, 100);
}
END_TEST

START_TEST(gemm_known_product_and_beta_zero_overwrites_nan)
{
    /* [1 2; 3 4] . [5 6; 7 8] = [19 22; 43 50], computed by hand. */
    float A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 };
    float C[4] = { NAN, NAN, NAN, NAN };
    mat_gemm(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    ck_assert_float_eq(C[0], 19);
    ck_assert_float_eq(C[1], 22);
    ck_assert_float_eq(C[2], 43);
    ck_assert_float_eq(C[3], 50);
    float D[4] = { NAN, NAN, NAN, NAN };
    mat_gemm_naive(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, D, 2);
    ck_assert_float_eq(D[3], 50);
    /* K == 0: C = beta * C */
    float E[2] = { 2, 4 };
    mat_gemm(0, 0, 1, 2, 0, 1.0f, A, 1, B, 2, 0.5f, E, 2);
    ck_assert_float_eq(E[0], 1);
    ck_assert_float_eq(E[1], 2);
}
END_TEST

START_TEST(sparse_dense_matches_densified)
{
    sh_rng rng;
    rng_seed(&rng, 12);
    const size_t dims[][3] = { { 1, 1, 1 }, { 3, 7, 5 }, { 17, 40, 9 }, { 8, 200, 33 }, { 5, 3, 1 } };
    for (size_t t = 0; t < sizeof(dims) / sizeof(dims[0]); t++) {
        size_t B = dims[t][0], V = dims[t][1], H = dims[t][2];
        sh_csr x;
        tu_random_csr(&rng, &x, B, V, 0.2, 0);
        float *dense = malloc(B * V * sizeof(float));
        float *W = malloc(V * H * sizeof(float));
        float *Y = malloc(B * H * sizeof(float));
        float *Yn = malloc(B * H * sizeof(float));
        float *Yd = malloc(B * H * sizeof(float));
        ck_assert(dense && W && Y && Yn && Yd);
        csr_to_dense(dense, &x);
        tu_fill_uniform(&rng, W, V * H, -1, 1);
        for (int acc = 0; acc < 2; acc++) {
            tu_fill_uniform(&rng, Y, B * H, -1, 1);
            memcpy(Yn, Y, B * H * sizeof(float));
            memcpy(Yd, Y, B * H * sizeof(float));
            csr_dense_mul(Y, &x, W, H, acc);
            csr_dense_mul_naive(Yn, &x, W, H, acc);
            mat_gemm_naive(0, 0, B, H, V, 1.0f, dense, V, W, H, acc ? 1.0f : 0.0f, Yd, H);
            ck_assert(tu_max_rel_diff(Y, Yd, B * H) < 1e-5);
            ck_assert(tu_max_rel_diff(Yn, Yd, B * H) < 1e-5);
        }
        free(dense);
        free(W);
        free(Y);
        free(Yn);
        free(Yd);
        csr_free(&x);
    }
}
END_TEST

START_TEST(transposed_sparse_touches_only_present_rows)
{
    sh_rng rng;
    rng_seed(&rng, 13);
    const size_t dims[][3] = { { 1, 1, 1 }, { 4, 9, 3 }, { 19, 60, 7 }, { 6, 300, 2 } };
    for (size_t t = 0; t < sizeof(dims) / sizeof(dims[0]); t++) {
        size_t B = dims[t][0], V = dims[t][1], H = dims[t][2];
        sh_csr x;
        tu_random_csr(&rng, &x, B, V, 0.15, 1);
        float *dense = malloc(B * V * sizeof(float));
        float *dY = malloc(B * H * sizeof(float));
        float *dW = malloc(V * H * sizeof(float));
        float *dWn = malloc(V * H * sizeof(float));
        float *dWd = malloc(V * H * sizeof(float));
        ck_assert(dense && dY && dW && dWn && dWd);
        csr_to_dense(dense, &x);
        tu_fill_uniform(&rng, dY, B * H, -1, 1);
        /* NaN in rows never named by X must survive untouched. */
        int *present = calloc(V, sizeof(int));
        for (size_t i = 0; i < x.nnz; i++)
            present[x.col_idx[i]] = 1;
        tu_fill_uniform(&rng, dW, V * H, -1, 1);
        for (size_t v = 0; v < V; v++)
            if (!present[v])
                dW[v * H] = NAN;
        memcpy(dWn, dW, V * H * sizeof(float));
        memcpy(dWd, dW, V * H * sizeof(float));
        csr_t_dense_mul(dW, &x, dY, H);
        csr_t_dense_mul_naive(dWn, &x, dY, H);
        mat_gemm_naive(1, 0, V, H, B, 1.0f, dense, V, dY, H, 1.0f, dWd, H);
        for (size_t v = 0; v < V; v++) {
            if (!present[v]) {
                ck_assert(isnan(dW[v * H]) && isnan(dWn[v * H]));
                dW[v * H] = dWn[v * H] = dWd[v * H] = 0;
            }
        }
        ck_assert(tu_max_rel_diff(dW, dWd, V * H) < 1e-5);
        ck_assert(tu_max_rel_diff(dWn, dWd, V * H) < 1e-5);
        free(present);
        free(dense);
        free(dY);
        free(dW);
        free(dWn);
        free(dWd);
        csr_free(&x);
    }
}
END_TEST

START_TEST(select_rows_copies_in_order)
{
    sh_rng rng;
    rng_seed(&rng, 14);
    sh_csr x, out;
    tu_random_csr(&rng, &x, 30, 25, 0.3, 0);
    ck_assert_int_eq(csr_init(&out, 1), 0);
    uint32_t idx[40];
    for (int round = 0; round < 3; round++) {
        size_t n = 5 + 17 * (size_t)round;
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)rng_below(&rng, 30);
        ck_assert_int_eq(csr_select_rows(&out, &x, idx, n), 0);
        ck_assert_uint_eq(out.rows, n);
        ck_assert_uint_eq(out.cols, 25);
        float *full = malloc(30 * 25 * sizeof(float)), *sel = malloc(n * 25 * sizeof(float));
        csr_to_dense(full, &x);
        csr_to_dense(sel, &out);
        for (size_t i = 0; i < n; i++)
            ck_assert_mem_eq(sel + i * 25, full + idx[i] * 25, 25 * sizeof(float));
        free(full);
        free(sel);
    }
    idx[0] = 30;
    ck_assert_int_eq(csr_select_rows(&out, &x, idx, 1), SH_EINVAL);
    ck_assert_uint_eq(out.rows, 0);
    ck_assert_int_eq(csr_select_rows(&out, &x, idx, 0), 0);
    ck_assert_uint_eq(out.nnz, 0);
    csr_free(&out);
    csr_free(&x);
    csr_free(NULL);
    mat_free(NULL);
}
END_TEST

/* Checks A v_i = w_i v_i and orthonormality for a decomposition of S. */
static void check_eigen(const float *S, const float *vecs, const float *w, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ck_assert(w[i - 1] <= w[i] + 1e-6);
        for (size_t r = 0; r < n; r++) {
            double av = 0;
            for (size_t c = 0; c < n; c++)
                av += (double)S[r * n + c] * vecs[i * n + c];
            ck_assert_msg(fabs(av - (double)w[i] * vecs[i * n + r]) < tol, "eigenpair %zu", i);
        }
        for (size_t j = 0; j <= i; j++) {
            double dot = 0;
            for (size_t c = 0; c < n; c++)
                dot += (double)vecs[i * n + c] * vecs[j * n + c];
            ck_assert(fabs(dot - (i == j ? 1.0 : 0.0)) < tol);
        }
    }
}

START_TEST(sym_eigen_matches_jacobi)
{
    sh_rng rng;
    rng_seed(&rng, 15);
    const size_t sizes[] = { 1, 2, 5, 12, 31 };
    for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
        size_t n = sizes[t];
        float *G = malloc(n * n * sizeof(float)), *S = malloc(n * n * sizeof(float));
        float *A1 = malloc(n * n * sizeof(float)), *A2 = malloc(n * n * sizeof(float));
        float *w1 = malloc(n * sizeof(float)), *w2 = malloc(n * sizeof(float));
        tu_fill_uniform(&rng, G, n * n, -1, 1);
        mat_gemm_naive(1, 0, n, n, n, 1.0f / (float)n, G, n, G, n, 0.0f, S, n); /* S = G^T G / n */
        memcpy(A1, S, n * n * sizeof(float));
        memcpy(A2, S, n * n * sizeof(float));
        ck_assert_int_eq(mat_sym_eigen(A1, w1, n), 0);
        ck_assert_int_eq(mat_sym_eigen_naive(A2, w2, n), 0);
        check_eigen(S, A1, w1, n, 1e-4);
        check_eigen(S, A2, w2, n, 1e-4);
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(w1[i], w2[i], 1e-4);
        free(G);
        free(S);
        free(A1);
        free(A2);
        free(w1);
        free(w2);
    }
}
END_TEST

/* One row of x as a CSR matrix of its own (rows == 1: the row-by-row path). */
static void one_row(sh_csr *out, const sh_csr *x, size_t r)
{
    uint32_t idx = (uint32_t)r;
    ck_assert_int_eq(csr_select_rows(out, x, &idx, 1), 0);
}

START_TEST(sparse_products_same_bits_any_path_or_threads)
{
    /* A batch product, computed one column at a time, must give exactly
     * the bits of the row-by-row loop, whatever the thread setting. */
    sh_rng rng;
    rng_seed(&rng, 14);
    size_t B = 128, V = 2000, H = 300;
    sh_csr x, row;
    tu_random_csr(&rng, &x, B, V, 0.02, 0);
    ck_assert_int_eq(csr_init(&row, V), 0);
    float *W = malloc(V * H * sizeof(float)), *dY = malloc(B * H * sizeof(float));
    float *Y[3], *dW[3];
    for (int k = 0; k < 3; k++) {
        Y[k] = malloc(B * H * sizeof(float));
        dW[k] = malloc(V * H * sizeof(float));
        ck_assert(Y[k] && dW[k]);
    }
    ck_assert(W && dY);
    tu_fill_uniform(&rng, W, V * H, -1, 1);
    tu_fill_uniform(&rng, dY, B * H, -1, 1);
    tu_fill_uniform(&rng, dW[0], V * H, -1, 1);
    memcpy(dW[1], dW[0], V * H * sizeof(float));
    memcpy(dW[2], dW[0], V * H * sizeof(float));
    int before = mat_get_threads();
    for (int k = 0; k < 2; k++) { /* batched, on 1 then 2 threads */
        mat_set_threads(k + 1);
        csr_dense_mul(Y[k], &x, W, H, 0);
        csr_t_dense_mul(dW[k], &x, dY, H);
    }
    mat_set_threads(before);
    for (size_t r = 0; r < B; r++) { /* row by row */
        one_row(&row, &x, r);
        csr_dense_mul(Y[2] + r * H, &row, W, H, 0);
        csr_t_dense_mul(dW[2], &row, dY + r * H, H);
    }
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(memcmp(Y[k], Y[2], B * H * sizeof(float)) == 0, "Y, %d threads", k + 1);
        ck_assert_msg(memcmp(dW[k], dW[2], V * H * sizeof(float)) == 0, "dW, %d threads", k + 1);
    }
    for (int k = 0; k < 3; k++) {
        free(Y[k]);
        free(dW[k]);
    }
    free(W);
    free(dY);
    csr_free(&x);
    csr_free(&row);
}
END_TEST

typedef struct {
    int hits[8];
    size_t n_seen;
} parallel_probe;

static void probe_task(void *arg, size_t task, size_t n_tasks)
{
    parallel_probe *p = arg;
    p->hits[task]++; /* each task writes its own slot */
    if (task == 0)
        p->n_seen = n_tasks;
}

START_TEST(parallel_runs_every_task_once)
{
    int before = mat_get_threads();
    for (int threads = 1; threads <= 2; threads++) {
        mat_set_threads(threads);
        for (size_t max_tasks = 0; max_tasks <= 5; max_tasks++) {
            parallel_probe p;
            memset(&p, 0, sizeof p);
            size_t n = mat_parallel(max_tasks, probe_task, &p);
            size_t want = (size_t)mat_get_threads() < max_tasks ? (size_t)mat_get_threads()
                                                                : max_tasks;
            ck_assert_uint_eq(n, want > 0 ? want : 1);
            ck_assert_uint_eq(p.n_seen, n);
            for (size_t t = 0; t < 8; t++)
                ck_assert_int_eq(p.hits[t], t < n ? 1 : 0);
        }
    }
    mat_set_threads(before);
}
END_TEST

START_TEST(threads_setter)
{
    int before = mat_get_threads();
    mat_set_threads(1);
    ck_assert_int_eq(mat_get_threads(), 1);
    mat_set_threads(0);
    ck_assert_int_ge(mat_get_threads(), 1);
    mat_set_threads(before);
    ck_assert_ptr_nonnull(mat_blas_config());
    ck_assert_uint_gt(strlen(mat_blas_core()), 0);
}
END_TEST

START_TEST(empty_shapes)
{
    float A[4] = { 1, 2, 3, 4 }, C[4] = { 7, 7, 7, 7 };
    mat_gemm(0, 0, 0, 2, 2, 1.0f, A, 2, A, 2, 0.0f, C, 2); /* M = 0: nothing written */
    mat_gemm(0, 0, 2, 0, 2, 1.0f, A, 2, A, 2, 0.0f, C, 2);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(C[i], 7);
    sh_csr x;
    ck_assert_int_eq(csr_init(&x, 3), 0);
    csr_dense_mul(C, &x, A, 1, 0); /* zero rows */
    csr_t_dense_mul(C, &x, A, 1);
    ck_assert_float_eq(C[0], 7);
    uint32_t bad[2] = { 2, 1 };
    float v[2] = { 1, 1 };
    ck_assert_int_eq(csr_append_row(&x, 2, bad, v), SH_EINVAL); /* not increasing */
    bad[0] = 3;
    ck_assert_int_eq(csr_append_row(&x, 1, bad, v), SH_EINVAL); /* out of range */
    ck_assert_uint_eq(x.rows, 0);
    csr_free(&x);
    float w[1];
    ck_assert_int_eq(mat_sym_eigen(A, w, 0), 0);
}
END_TEST

Suite *matrix_suite(void)
{
    Suite *s = suite_create("matrix");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(core, gemm_matches_naive);
    tcase_add_test(core, gemm_known_product_and_beta_zero_overwrites_nan);
    tcase_add_test(core, sparse_dense_matches_densified);
    tcase_add_test(core, transposed_sparse_touches_only_present_rows);
    tcase_add_test(core, select_rows_copies_in_order);
    tcase_add_test(core, sym_eigen_matches_jacobi);
    tcase_add_test(core, sparse_products_same_bits_any_path_or_threads);
    tcase_add_test(core, parallel_runs_every_task_once);
    tcase_add_test(core, threads_setter);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(limits, empty_shapes);
    suite_add_tcase(s, limits);
    return s;
}
