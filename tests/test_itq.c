/* test_itq.c — PCA + iterative quantisation: the PCA step against the
 * dense covariance PCA (pca.h), an orthogonal rotation, a quantisation
 * loss that never increases, exactly balanced bits on a symmetric
 * collection, codes equal to the signs of the projections, retrieval on
 * clustered data, determinism, and the model section (round trip and
 * damaged sections). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "itq.h"
#include "matrix.h"
#include "modelfile.h"
#include "pca.h"
#include "rng.h"
#include "sh_error.h"

/* n rows over V columns from C clusters: each cluster has a few heavy
 * terms of its own, every row some of them plus a little noise on other
 * terms. Non-negative and sparse like tf-idf; row i is in cluster i % C. */
static void clustered_rows(sh_csr *rows, size_t n, size_t V, size_t C, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    ck_assert_int_eq(csr_init(rows, V), 0);
    float *dense = malloc(V * sizeof(float));
    uint32_t *cols = malloc(V * sizeof(uint32_t));
    float *vals = malloc(V * sizeof(float));
    size_t per = V / C;
    for (size_t i = 0; i < n; i++) {
        memset(dense, 0, V * sizeof(float));
        size_t c = i % C;
        for (size_t t = 0; t < per / 2; t++)
            dense[c * per + rng_below(&rng, per)] += 1.0f + rng_uniform(&rng);
        for (int t = 0; t < 3; t++)
            dense[rng_below(&rng, V)] += 0.5f * rng_uniform(&rng);
        size_t m = 0;
        for (size_t v = 0; v < V; v++)
            if (dense[v] != 0.0f) {
                cols[m] = (uint32_t)v;
                vals[m++] = dense[v];
            }
        ck_assert_int_eq(csr_append_row(rows, m, cols, vals), 0);
    }
    free(dense);
    free(cols);
    free(vals);
}

START_TEST(pca_step_matches_dense_pca)
{
    enum { N = 400, V = 48, K = 8 };
    sh_csr rows;
    clustered_rows(&rows, N, V, 12, 5);
    sh_itq *q = NULL;
    itq_fit_info info;
    ck_assert_int_eq(itq_fit(&rows, K, 0, 3, &q, &info), 0);
    float *X = malloc((size_t)N * V * sizeof(float));
    csr_to_dense(X, &rows);
    sh_pca p;
    ck_assert_int_eq(pca_fit(&p, X, N, V, K), 0);
    for (int k = 0; k < K; k++)
        ck_assert_msg(fabs(info.variance[k] - p.variances[k]) < 1e-3 * p.variances[0],
                      "component %d: variance %g, dense PCA %g", k, info.variance[k],
                      p.variances[k]);
    /* The projections span the same subspace: the variance of the
     * projected rows (rotation included) is the sum of the top K. */
    float *z = malloc((size_t)N * K * sizeof(float));
    ck_assert_int_eq(itq_project(q, &rows, z), 0);
    double total = 0.0, want = 0.0;
    for (size_t i = 0; i < (size_t)N * K; i++)
        total += (double)z[i] * z[i];
    total /= N - 1;
    for (int k = 0; k < K; k++)
        want += p.variances[k];
    ck_assert_msg(fabs(total - want) < 1e-3 * want, "projected variance %g, want %g", total,
                  want);
    /* Centred: every projection has mean 0 over the training rows. */
    for (int k = 0; k < K; k++) {
        double mean = 0.0;
        for (int i = 0; i < N; i++)
            mean += z[i * K + k];
        ck_assert_msg(fabs(mean / N) < 1e-4, "bit %d: mean projection %g", k, mean / N);
    }
    free(z);
    free(X);
    pca_free(&p);
    itq_free(q);
    csr_free(&rows);
}
END_TEST

START_TEST(rotation_is_orthogonal_and_loss_never_increases)
{
    enum { N = 600, V = 200, K = 32 };
    sh_csr rows;
    clustered_rows(&rows, N, V, 20, 9);
    sh_itq *q = NULL;
    itq_fit_info info;
    ck_assert_int_eq(itq_fit(&rows, K, ITQ_ITERATIONS, 4, &q, &info), 0);
    ck_assert_int_eq(info.iterations, ITQ_ITERATIONS);
    const float *R = itq_rotation(q);
    ck_assert_ptr_nonnull(R);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double dot = 0.0;
            for (int k = 0; k < K; k++)
                dot += (double)R[k * K + i] * R[k * K + j];
            ck_assert_msg(fabs(dot - (i == j)) < 1e-5, "R^T R [%d][%d] = %g", i, j, dot);
        }
    for (int t = 0; t < ITQ_ITERATIONS; t++)
        ck_assert_msg(info.quant_loss[t + 1] <= info.quant_loss[t] * (1 + 1e-5),
                      "iteration %d: loss %g after %g", t + 1, info.quant_loss[t + 1],
                      info.quant_loss[t]);
    /* and the iterations do something */
    ck_assert_msg(info.quant_loss[ITQ_ITERATIONS] < 0.95 * info.quant_loss[0],
                  "loss %g from %g", info.quant_loss[ITQ_ITERATIONS], info.quant_loss[0]);
    itq_free(q);
    csr_free(&rows);
}
END_TEST

START_TEST(symmetric_collection_gives_balanced_bits)
{
    /* Rows x_i and their mirrors 2m - x_i (m the mean of the x_i): the
     * mean of the whole set is m, so each pair projects to z and -z. */
    enum { HALF = 150, V = 40, K = 16 };
    sh_csr half, rows;
    clustered_rows(&half, HALF, V, 8, 13);
    float *X = malloc((size_t)HALF * V * sizeof(float));
    csr_to_dense(X, &half);
    double m[V] = { 0 };
    for (int i = 0; i < HALF; i++)
        for (int v = 0; v < V; v++)
            m[v] += X[i * V + v] / (double)HALF;
    ck_assert_int_eq(csr_init(&rows, V), 0);
    uint32_t cols[V];
    for (int v = 0; v < V; v++)
        cols[v] = (uint32_t)v;
    for (int mirror = 0; mirror < 2; mirror++)
        for (int i = 0; i < HALF; i++) {
            float row[V];
            for (int v = 0; v < V; v++)
                row[v] = mirror ? (float)(2 * m[v] - X[i * V + v]) : X[i * V + v];
            ck_assert_int_eq(csr_append_row(&rows, V, cols, row), 0);
        }
    sh_itq *q = NULL;
    ck_assert_int_eq(itq_fit(&rows, K, ITQ_ITERATIONS, 1, &q, NULL), 0);
    sh_code codes[2 * HALF];
    float z[2 * HALF * K];
    ck_assert_int_eq(itq_encode(q, &rows, NULL, codes), 0);
    ck_assert_int_eq(itq_project(q, &rows, z), 0);
    for (int k = 0; k < K; k++) {
        int ones = 0, undecided = 0;
        for (int i = 0; i < HALF; i++) {
            ones += code_get_bit(&codes[i], k) + code_get_bit(&codes[HALF + i], k);
            undecided += fabsf(z[i * K + k]) < 1e-4f;
        }
        ck_assert_msg(abs(ones - HALF) <= undecided, "bit %d: %d ones of %d", k, ones,
                      2 * HALF);
    }
    free(X);
    itq_free(q);
    csr_free(&half);
    csr_free(&rows);
}
END_TEST

START_TEST(codes_are_signs_and_rank_clusters_first)
{
    enum { N = 800, V = 300, K = 32, C = 10 };
    sh_csr rows;
    clustered_rows(&rows, N, V, C, 21);
    sh_itq *q = NULL;
    ck_assert_int_eq(itq_fit(&rows, K, ITQ_ITERATIONS, 2, &q, NULL), 0);
    sh_code *codes = malloc(N * sizeof(sh_code));
    float *z = malloc((size_t)N * K * sizeof(float));
    ck_assert_int_eq(itq_encode(q, &rows, NULL, codes), 0);
    ck_assert_int_eq(itq_project(q, &rows, z), 0);
    int checked = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++) {
            if (fabsf(z[i * K + k]) < 1e-5f)
                continue;
            ck_assert_int_eq(code_get_bit(&codes[i], k), z[i * K + k] > 0);
            checked++;
        }
    ck_assert_int_gt(checked, N * K * 9 / 10);
    /* Nearest code of each row (itself left out) is in its cluster for
     * most rows; chance is 1 / C. */
    int same = 0;
    for (int i = 0; i < N; i++) {
        int best = -1, best_d = 1000;
        for (int j = 0; j < N; j++) {
            int d = code_hamming(&codes[i], &codes[j]);
            if (j != i && d < best_d) {
                best_d = d;
                best = j;
            }
        }
        same += best % C == i % C;
    }
    ck_assert_msg(same > N * 8 / 10, "nearest code in the same cluster for %d of %d", same, N);
    /* Offsets passed in override the model's. */
    float zero[K] = { 0 };
    sh_code plain[1];
    sh_csr one;
    ck_assert_int_eq(csr_init(&one, V), 0);
    ck_assert_int_eq(csr_append_row(&one, 0, NULL, NULL), 0);
    ck_assert_int_eq(itq_encode(q, &one, zero, plain), 0);
    ck_assert(plain[0].w[0] == 0 && plain[0].w[1] == 0);   /* 0 > 0 nowhere */
    csr_free(&one);
    free(codes);
    free(z);
    itq_free(q);
    csr_free(&rows);
}
END_TEST

/* The model bytes of q's section. */
static void section_bytes(const sh_itq *q, uint8_t **buf, size_t *len)
{
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(itq_save(q, w), 0);
    ck_assert_int_eq(mf_writer_finish(w, buf, len), 0);
    mf_writer_free(w);
}

START_TEST(fit_is_deterministic_and_round_trips)
{
    enum { N = 300, V = 120, K = 24 };
    sh_csr rows;
    clustered_rows(&rows, N, V, 6, 31);
    sh_itq *a = NULL, *b = NULL, *c = NULL, *back = NULL;
    ck_assert_int_eq(itq_fit(&rows, K, 20, 7, &a, NULL), 0);
    ck_assert_int_eq(itq_fit(&rows, K, 20, 7, &b, NULL), 0);
    ck_assert_int_eq(itq_fit(&rows, K, 20, 8, &c, NULL), 0);
    uint8_t *ba, *bb, *bc;
    size_t la, lb, lc;
    section_bytes(a, &ba, &la);
    section_bytes(b, &bb, &lb);
    section_bytes(c, &bc, &lc);
    ck_assert(la == lb && memcmp(ba, bb, la) == 0);
    ck_assert(la == lc && memcmp(ba, bc, la) != 0);

    mf_model *m = NULL;
    char err[256];
    ck_assert_int_eq(mf_read_buffer(ba, la, "itq model", &m, err, sizeof err), 0);
    ck_assert_msg(itq_load(m, &back, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(itq_vocab(back), V);
    ck_assert_int_eq(itq_bits(back), K);
    ck_assert_ptr_null(itq_rotation(back));
    sh_code ca[N], cl[N];
    ck_assert_int_eq(itq_encode(a, &rows, NULL, ca), 0);
    ck_assert_int_eq(itq_encode(back, &rows, NULL, cl), 0);
    ck_assert(memcmp(ca, cl, sizeof ca) == 0);
    /* rows wider than the vocabulary */
    sh_csr wide;
    ck_assert_int_eq(csr_init(&wide, V + 1), 0);
    ck_assert_int_eq(itq_encode(back, &wide, NULL, cl), SH_EMODEL);
    csr_free(&wide);
    mf_model_free(m);
    itq_free(back);

    /* damaged sections: cut short, bad bits, bad vocabulary, NaN, missing */
    struct { uint64_t vocab; uint32_t bits; size_t floats; int nan; int want; } bad[] = {
        { V, K, (size_t)K * (V + 1) - 1, 0, SH_EFORMAT },
        { V, 12, 12 * (V + 1), 0, SH_EFORMAT },
        { 0, K, 0, 0, SH_EFORMAT },
        { (uint64_t)ITQ_MAX_VOCAB + 1, K, 10, 0, SH_EFORMAT },
        { V, K, (size_t)K * (V + 1), 1, SH_EFORMAT },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mf_writer *w = NULL;
        uint8_t *buf;
        size_t len;
        ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
        ck_assert_int_eq(mf_writer_begin(w, ITQ_SECTION), 0);
        ck_assert_int_eq(mf_put_u64(w, bad[k].vocab), 0);
        ck_assert_int_eq(mf_put_u32(w, bad[k].bits), 0);
        for (size_t i = 0; i < bad[k].floats; i++)
            ck_assert_int_eq(mf_put_f32(w, bad[k].nan && i == 40 ? NAN : 0.5f), 0);
        ck_assert_int_eq(mf_writer_end(w), 0);
        ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
        mf_writer_free(w);
        ck_assert_int_eq(mf_read_buffer(buf, len, "bad itq", &m, err, sizeof err), 0);
        back = NULL;
        ck_assert_int_eq(itq_load(m, &back, err, sizeof err), bad[k].want);
        ck_assert_ptr_null(back);
        ck_assert(strncmp(err, "bad itq: ", 9) == 0);
        mf_model_free(m);
        free(buf);
    }
    mf_writer *w = NULL;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "empty", &m, err, sizeof err), 0);
    ck_assert_int_eq(itq_load(m, &back, err, sizeof err), SH_ENOTFOUND);
    mf_model_free(m);
    free(buf);

    free(ba);
    free(bb);
    free(bc);
    itq_free(a);
    itq_free(b);
    itq_free(c);
    csr_free(&rows);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    sh_csr rows;
    clustered_rows(&rows, 40, 30, 3, 1);
    sh_itq *q = NULL;
    ck_assert_int_eq(itq_fit(&rows, 12, 10, 1, &q, NULL), SH_EINVAL);     /* width */
    ck_assert_int_eq(itq_fit(&rows, 32, 10, 1, &q, NULL), SH_EINVAL);     /* > V */
    ck_assert_int_eq(itq_fit(&rows, 8, ITQ_ITERATIONS + 1, 1, &q, NULL), SH_EINVAL);
    ck_assert_int_eq(itq_fit(&rows, 8, -1, 1, &q, NULL), SH_EINVAL);
    ck_assert_int_eq(itq_fit(NULL, 8, 10, 1, &q, NULL), SH_EINVAL);
    ck_assert_ptr_null(q);
    sh_csr few;
    clustered_rows(&few, 8, 30, 3, 1);                                   /* N <= K */
    ck_assert_int_eq(itq_fit(&few, 8, 10, 1, &q, NULL), SH_EINVAL);
    ck_assert_ptr_null(q);
    /* a collection of rank 1 (all rows equal up to scale) still fits:
     * the missing directions are random and carry no variance */
    sh_csr flat;
    ck_assert_int_eq(csr_init(&flat, 30), 0);
    for (int i = 0; i < 20; i++) {
        uint32_t col[2] = { 3, 7 };
        float val[2] = { (float)i, 2.0f * (float)i };
        ck_assert_int_eq(csr_append_row(&flat, 2, col, val), 0);
    }
    itq_fit_info info;
    ck_assert_int_eq(itq_fit(&flat, 8, 10, 1, &q, &info), 0);
    ck_assert(info.variance[0] > 0 && info.variance[1] < 1e-6 * info.variance[0]);
    const float *R = itq_rotation(q);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            double dot = 0.0;
            for (int k = 0; k < 8; k++)
                dot += (double)R[k * 8 + i] * R[k * 8 + j];
            ck_assert(fabs(dot - (i == j)) < 1e-5);
        }
    itq_free(q);
    itq_free(NULL);
    csr_free(&flat);
    csr_free(&few);
    csr_free(&rows);
}
END_TEST

Suite *itq_suite(void)
{
    Suite *s = suite_create("itq");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, pca_step_matches_dense_pca);
    tcase_add_test(core, rotation_is_orthogonal_and_loss_never_increases);
    tcase_add_test(core, symmetric_collection_gives_balanced_bits);
    tcase_add_test(core, codes_are_signs_and_rank_clusters_first);
    tcase_add_test(core, fit_is_deterministic_and_round_trips);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, bad_arguments_are_refused);
    suite_add_tcase(s, limits);
    return s;
}
