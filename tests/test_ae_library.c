/* test_ae_library.c — the toolkit's public header (semhash_ae.h) alone:
 * every dense blade trained on a small synthetic problem through
 * sh_ae_train, asserting a real quality figure, saved, reopened and giving
 * the same outputs; operations a blade lacks, width mismatches, damaged
 * and missing files; and models passed between the library and the
 * `semhash ae` program in both directions. Nothing from engine/ but the
 * public header (xxhash.h only to forge files of another kind; fixtures
 * from test_files.h, which includes standard headers only). */
#include "semhash_ae.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "test_files.h"

/* ---- fixtures ----------------------------------------------------------------- */

/* A small seeded generator (splitmix64), so the suite needs nothing but
 * the public header. */
static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static float normal(void)
{
    double u = uniform(), v = uniform();
    return (float)(sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v));
}

/* x[N,D]: rows in a space of F random directions drawn from basis_seed,
 * plus noise. */
static void subspace_rows(float *x, size_t N, size_t D, size_t F, float noise,
                          uint64_t basis_seed)
{
    uint64_t keep = rng_state;
    rng_state = basis_seed;
    float *basis = malloc(F * D * sizeof(float));
    ck_assert_ptr_nonnull(basis);
    for (size_t i = 0; i < F * D; i++)
        basis[i] = normal() / sqrtf((float)F);
    rng_state = keep;
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = noise * normal();
        for (size_t f = 0; f < F; f++) {
            float z = normal();
            for (size_t j = 0; j < D; j++)
                x[i * D + j] += z * basis[f * D + j];
        }
    }
    free(basis);
}

/* 8x8 grey images (D = 64) of one or two bars, values 0.1 and 0.9. */
static void bar_images(float *x, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        float *im = x + i * 64;
        for (size_t p = 0; p < 64; p++)
            im[p] = 0.1f;
        size_t bars = 1 + next_u64() % 2;
        for (size_t b = 0; b < bars; b++) {
            size_t k = next_u64() % 8;
            int vertical = (int)(next_u64() % 2);
            for (size_t t = 0; t < 8; t++)
                im[vertical ? t * 8 + k : k * 8 + t] = 0.9f;
        }
    }
}

static double mse(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / (double)n;
}

/* Options for a quick run: small networks, one thread, no progress. */
static sh_ae_train_options quick(int blade, uint32_t hidden, uint32_t code, int epochs)
{
    sh_ae_train_options o;
    sh_ae_train_defaults(blade, &o);
    o.hidden[0] = hidden;
    o.n_hidden = hidden > 0;
    o.code = code;
    o.epochs = epochs;
    o.batch = 32;
    o.lr = 3e-3f;
    o.threads = 1;
    return o;
}

static sh_ae *train_ok(const sh_ae_train_options *o, const float *x, size_t n, size_t d,
                       const int *labels)
{
    sh_ae *m = NULL;
    char err[512] = "";
    int rc = sh_ae_train(o, x, n, d, labels, &m, err, sizeof(err));
    ck_assert_msg(rc == 0, "train %s: %d %s", sh_ae_blade_name(o->blade), rc, err);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* Saves m under name in the temporary directory, closes it and reopens
 * the file; the reopened model has the same description. */
static sh_ae *save_and_reopen(sh_ae *m, const char *name, char *path, size_t path_len)
{
    char err[512] = "";
    sh_ae_info before, after;
    tf_path(path, path_len, name);
    sh_ae_get_info(m, &before);
    ck_assert_msg(sh_ae_save(m, path, err, sizeof(err)) == 0, "%s", err);
    sh_ae_close(m);
    sh_ae *back = NULL;
    ck_assert_msg(sh_ae_open(path, &back, err, sizeof(err)) == 0, "%s", err);
    sh_ae_get_info(back, &after);
    ck_assert_int_eq(after.blade, before.blade);
    ck_assert_uint_eq(after.input_dim, before.input_dim);
    ck_assert_uint_eq(after.code_dim, before.code_dim);
    ck_assert_uint_eq(after.classes, before.classes);
    ck_assert_uint_eq(after.params, before.params);
    ck_assert_uint_eq(after.height, before.height);
    ck_assert(after.threshold == before.threshold);
    return back;
}

/* ---- the blades --------------------------------------------------------------- */

START_TEST(reduce_embeds_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t N = 400, NT = 100, D = 20, K = 3;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    float *codes = malloc(NT * K * sizeof(float)), *codes2 = malloc(NT * K * sizeof(float));
    float *rec = malloc(NT * D * sizeof(float)), *rec2 = malloc(NT * D * sizeof(float));
    float *zero = calloc(NT * D, sizeof(float));
    rng_state = 1;
    subspace_rows(x, N, D, 3, 0.05f, 100);
    subspace_rows(te, NT, D, 3, 0.05f, 100);
    sh_ae_train_options o = quick(SH_AE_REDUCE, 16, K, 40);
    o.activation = SH_AE_TANH;
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_REDUCE);
    ck_assert_uint_eq(info.input_dim, D);
    ck_assert_uint_eq(info.code_dim, K);
    ck_assert_uint_eq(info.classes, 0);
    ck_assert(info.params > 0);
    char err[512] = "";
    ck_assert_int_eq(sh_ae_encode(m, te, NT, D, codes, err, sizeof(err)), 0);
    ck_assert_int_eq(sh_ae_reconstruct(m, te, NT, D, rec, err, sizeof(err)), 0);
    /* three factors through a 3-unit code: most of the variance comes back */
    double var = mse(te, zero, NT * D), err_rec = mse(rec, te, NT * D);
    ck_assert_msg(err_rec < 0.2 * var, "reconstruction MSE %.4f, data variance %.4f", err_rec,
                  var);

    char path[256], path2[256];
    m = save_and_reopen(m, "reduce.model", path, sizeof(path));
    ck_assert_int_eq(sh_ae_encode(m, te, NT, D, codes2, err, sizeof(err)), 0);
    ck_assert_int_eq(sh_ae_reconstruct(m, te, NT, D, rec2, err, sizeof(err)), 0);
    ck_assert_mem_eq(codes, codes2, NT * K * sizeof(float));
    ck_assert_mem_eq(rec, rec2, NT * D * sizeof(float));
    /* saving the reopened model writes the same bytes; so does training
     * again with the same seed */
    tf_path(path2, sizeof(path2), "again.model");
    ck_assert_int_eq(sh_ae_save(m, path2, err, sizeof(err)), 0);
    size_t l1, l2;
    unsigned char *b1 = tf_read(path, &l1), *b2 = tf_read(path2, &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert_mem_eq(b1, b2, l1);
    free(b2);
    sh_ae *m2 = train_ok(&o, x, N, D, NULL);
    ck_assert_int_eq(sh_ae_save(m2, path2, err, sizeof(err)), 0);
    b2 = tf_read(path2, &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert_mem_eq(b1, b2, l1);
    free(b1);
    free(b2);
    sh_ae_close(m2);
    sh_ae_close(m);
    free(x);
    free(te);
    free(codes);
    free(codes2);
    free(rec);
    free(rec2);
    free(zero);
    tf_dir_remove();
}
END_TEST

START_TEST(denoise_cleans_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t N = 600, NT = 100, D = 64;
    float *x = malloc(N * D * sizeof(float)), *clean = malloc(NT * D * sizeof(float));
    float *noisy = malloc(NT * D * sizeof(float)), *out = malloc(NT * D * sizeof(float));
    float *out2 = malloc(NT * D * sizeof(float));
    rng_state = 2;
    bar_images(x, N);
    bar_images(clean, NT);
    for (size_t i = 0; i < NT * D; i++) {
        float v = clean[i] + 0.3f * normal();
        noisy[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    sh_ae_train_options o = quick(SH_AE_DENOISE, 48, 16, 20);
    o.noise = SH_AE_NOISE_GAUSSIAN;
    o.noise_level = 0.3f;
    o.height = o.width = 8;
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    char err[512] = "", path[256];
    ck_assert_int_eq(sh_ae_reconstruct(m, noisy, NT, D, out, err, sizeof(err)), 0);
    double before = mse(noisy, clean, NT * D), after = mse(out, clean, NT * D);
    ck_assert_msg(after < 0.5 * before, "MSE to the clean rows: noisy %.4f, denoised %.4f",
                  before, after);
    m = save_and_reopen(m, "denoise.model", path, sizeof(path));
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_DENOISE);
    ck_assert_uint_eq(info.height, 8);
    ck_assert_uint_eq(info.width, 8);
    ck_assert_int_eq(sh_ae_reconstruct(m, noisy, NT, D, out2, err, sizeof(err)), 0);
    ck_assert_mem_eq(out, out2, NT * D * sizeof(float));
    sh_ae_close(m);
    free(x);
    free(clean);
    free(noisy);
    free(out);
    free(out2);
    tf_dir_remove();
}
END_TEST

START_TEST(anomaly_flags_planted_rows_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t N = 600, NT = 300, D = 20;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    float *scores = malloc(NT * sizeof(float)), *scores2 = malloc(NT * sizeof(float));
    float *train_scores = malloc(N * sizeof(float));
    int *flags = malloc(NT * sizeof(int)), *flags2 = malloc(NT * sizeof(int));
    int *train_flags = malloc(N * sizeof(int)), *planted = malloc(NT * sizeof(int));
    rng_state = 3;
    subspace_rows(x, N, D, 3, 0.05f, 200);
    subspace_rows(te, NT, D, 3, 0.05f, 200);
    for (size_t i = 0; i < NT; i++) {
        planted[i] = i % 10 == 0; /* random directions, off the normal subspace */
        if (planted[i])
            for (size_t j = 0; j < D; j++)
                te[i * D + j] = normal();
    }
    sh_ae_train_options o = quick(SH_AE_ANOMALY, 16, 3, 40);
    o.activation = SH_AE_TANH;
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_ANOMALY);
    ck_assert_int_eq(info.threshold_rule, SH_AE_THRESHOLD_FPR);
    ck_assert(info.threshold_value == 0.05);
    ck_assert(info.threshold > 0);
    char err[512] = "", path[256];
    /* the threshold flags about 5% of the normal training rows */
    ck_assert_int_eq(sh_ae_score(m, x, N, D, train_scores, train_flags, err, sizeof(err)), 0);
    size_t flagged = 0;
    for (size_t i = 0; i < N; i++)
        flagged += (size_t)train_flags[i];
    ck_assert_msg(flagged <= N / 20 + 1 && flagged >= N / 40, "%zu of %zu flagged", flagged, N);
    ck_assert_int_eq(sh_ae_score(m, te, NT, D, scores, flags, err, sizeof(err)), 0);
    /* planted rows score above normal ones (AUROC) and are flagged */
    double above = 0, pairs = 0;
    size_t caught = 0, false_alarms = 0;
    for (size_t i = 0; i < NT; i++) {
        if (planted[i])
            caught += (size_t)flags[i];
        else
            false_alarms += (size_t)flags[i];
        for (size_t j = 0; planted[i] && j < NT; j++)
            if (!planted[j]) {
                above += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
                pairs += 1;
            }
    }
    ck_assert_msg(above / pairs > 0.95, "AUROC %.3f", above / pairs);
    ck_assert_msg(caught >= 24 && false_alarms <= 27, "caught %zu of 30, %zu false alarms",
                  caught, false_alarms);
    m = save_and_reopen(m, "anomaly.model", path, sizeof(path));
    ck_assert_int_eq(sh_ae_score(m, te, NT, D, scores2, flags2, err, sizeof(err)), 0);
    ck_assert_mem_eq(scores, scores2, NT * sizeof(float));
    ck_assert_mem_eq(flags, flags2, NT * sizeof(int));
    sh_ae_close(m);
    /* the percentile rule */
    o.threshold_rule = SH_AE_THRESHOLD_PERCENTILE;
    o.threshold_value = 90;
    m = train_ok(&o, x, N, D, NULL);
    ck_assert_int_eq(sh_ae_score(m, x, N, D, train_scores, train_flags, err, sizeof(err)), 0);
    flagged = 0;
    for (size_t i = 0; i < N; i++)
        flagged += (size_t)train_flags[i];
    ck_assert_msg(flagged >= N / 10 - 1 && flagged <= N / 10 + 1, "%zu flagged", flagged);
    sh_ae_close(m);
    free(x);
    free(te);
    free(scores);
    free(scores2);
    free(train_scores);
    free(flags);
    free(flags2);
    free(train_flags);
    free(planted);
    tf_dir_remove();
}
END_TEST

START_TEST(generate_samples_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t N = 600, NT = 100, D = 64, K = 4, S = 16;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    float *s1 = malloc(S * D * sizeof(float)), *s2 = malloc(S * D * sizeof(float));
    float *path_rows = malloc(7 * D * sizeof(float)), *ends = malloc(NT * D * sizeof(float));
    float *mean_img = calloc(D, sizeof(float)), *mu = malloc(NT * K * sizeof(float));
    rng_state = 4;
    bar_images(x, N);
    bar_images(te, NT);
    sh_ae_train_options o = quick(SH_AE_GENERATE, 32, K, 25);
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    char err[512] = "", path[256];
    ck_assert_int_eq(sh_ae_sample(m, S, 7, s1, err, sizeof(err)), 0);
    for (size_t i = 0; i < S * D; i++)
        ck_assert(s1[i] >= 0.0f && s1[i] <= 1.0f);
    ck_assert_int_eq(sh_ae_encode(m, te, NT, D, mu, err, sizeof(err)), 0);
    /* the reconstruction at the latent mean beats the mean image */
    ck_assert_int_eq(sh_ae_reconstruct(m, te, NT, D, ends, err, sizeof(err)), 0);
    for (size_t i = 0; i < N * D; i++)
        mean_img[i % D] += x[i] / (float)N;
    double base = 0;
    for (size_t i = 0; i < NT; i++)
        base += mse(te + i * D, mean_img, D) / (double)NT;
    double rec = mse(ends, te, NT * D);
    ck_assert_msg(rec < 0.8 * base, "VAE reconstruction MSE %.4f, mean image %.4f", rec, base);
    /* the path's ends decode the two latent means */
    ck_assert_int_eq(sh_ae_interpolate(m, te, te + D, D, 7, path_rows, err, sizeof(err)), 0);
    for (size_t j = 0; j < D; j++) {
        ck_assert_float_eq_tol(path_rows[j], ends[j], 1e-5f);
        ck_assert_float_eq_tol(path_rows[6 * D + j], ends[D + j], 1e-5f);
    }
    m = save_and_reopen(m, "vae.model", path, sizeof(path));
    ck_assert_int_eq(sh_ae_sample(m, S, 7, s2, err, sizeof(err)), 0);
    ck_assert_mem_eq(s1, s2, S * D * sizeof(float));
    ck_assert_int_eq(sh_ae_sample(m, S, 8, s2, err, sizeof(err)), 0);
    ck_assert(memcmp(s1, s2, S * D * sizeof(float)) != 0);
    sh_ae_close(m);
    free(x);
    free(te);
    free(s1);
    free(s2);
    free(path_rows);
    free(ends);
    free(mean_img);
    free(mu);
    tf_dir_remove();
}
END_TEST

START_TEST(cluster_recovers_planted_clusters_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t C = 4, N = 400, D = 16;
    float *x = malloc(N * D * sizeof(float)), centres[4 * 16];
    float *soft = malloc(N * C * sizeof(float)), *soft2 = malloc(N * C * sizeof(float));
    int *truth = malloc(N * sizeof(int)), *assign = malloc(N * sizeof(int));
    int *assign2 = malloc(N * sizeof(int));
    rng_state = 5;
    for (size_t i = 0; i < C * D; i++)
        centres[i] = 2.0f * normal();
    for (size_t i = 0; i < N; i++) {
        truth[i] = (int)(i % C);
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = centres[truth[i] * D + j] + 0.3f * normal();
    }
    sh_ae_train_options o = quick(SH_AE_CLUSTER, 16, 3, 30);
    o.clusters = C;
    o.update_interval = 5;
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_CLUSTER);
    ck_assert_uint_eq(info.classes, C);
    char err[512] = "", path[256];
    ck_assert_int_eq(sh_ae_cluster(m, x, N, D, assign, soft, err, sizeof(err)), 0);
    /* each planted cluster is one found cluster, a different one each */
    int seen[4] = { 0 };
    for (size_t c = 0; c < C; c++) {
        size_t count[4] = { 0 }, best = 0;
        for (size_t i = c; i < N; i += C) {
            ck_assert(assign[i] >= 0 && assign[i] < (int)C);
            count[assign[i]]++;
        }
        for (size_t k = 1; k < C; k++)
            if (count[k] > count[best])
                best = k;
        ck_assert_msg(count[best] >= 95 * (N / C) / 100, "cluster %zu: %zu of %zu together", c,
                      count[best], N / C);
        ck_assert_msg(!seen[best], "two planted clusters merged into %zu", best);
        seen[best] = 1;
    }
    for (size_t i = 0; i < N; i++) {
        double sum = 0;
        for (size_t k = 0; k < C; k++)
            sum += soft[i * C + k];
        ck_assert_double_eq_tol(sum, 1.0, 1e-4);
    }
    m = save_and_reopen(m, "dec.model", path, sizeof(path));
    ck_assert_int_eq(sh_ae_cluster(m, x, N, D, assign2, soft2, err, sizeof(err)), 0);
    ck_assert_mem_eq(assign, assign2, N * sizeof(int));
    ck_assert_mem_eq(soft, soft2, N * C * sizeof(float));
    ck_assert_int_eq(sh_ae_cluster(m, x, N, D, assign2, NULL, err, sizeof(err)), 0);
    ck_assert_mem_eq(assign, assign2, N * sizeof(int));
    sh_ae_close(m);
    free(x);
    free(soft);
    free(soft2);
    free(truth);
    free(assign);
    free(assign2);
    tf_dir_remove();
}
END_TEST

START_TEST(classify_separates_classes_and_round_trips)
{
    tf_dir_make("aelib");
    const size_t C = 3, per = 200, N = C * per, NT = 150, D = 20;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    float *prob = malloc(NT * C * sizeof(float)), *prob2 = malloc(NT * C * sizeof(float));
    int *y = malloc(N * sizeof(int)), *yte = malloc(NT * sizeof(int));
    int *pred = malloc(NT * sizeof(int)), *pred2 = malloc(NT * sizeof(int));
    rng_state = 6;
    for (size_t i = 0; i < N; i++) { /* classes interleaved, each on its own subspace */
        y[i] = (int)(i % C);
        subspace_rows(x + i * D, 1, D, 3, 0.05f, 500 + (uint64_t)y[i]);
    }
    for (size_t i = 0; i < NT; i++) {
        yte[i] = (int)(i % C);
        subspace_rows(te + i * D, 1, D, 3, 0.05f, 500 + (uint64_t)yte[i]);
    }
    sh_ae_train_options o = quick(SH_AE_CLASSIFY, 0, 3, 40);
    o.lr = 5e-3f;
    sh_ae *m = train_ok(&o, x, N, D, y);
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_CLASSIFY);
    ck_assert_uint_eq(info.classes, C);
    char err[512] = "", path[256];
    ck_assert_int_eq(sh_ae_classify(m, te, NT, D, pred, prob, err, sizeof(err)), 0);
    size_t right = 0;
    for (size_t i = 0; i < NT; i++) {
        right += pred[i] == yte[i];
        double sum = 0;
        size_t best = 0;
        for (size_t c = 0; c < C; c++) {
            sum += prob[i * C + c];
            if (prob[i * C + c] > prob[i * C + best])
                best = c;
        }
        ck_assert_double_eq_tol(sum, 1.0, 1e-4);
        ck_assert_int_eq((int)best, pred[i]);
    }
    ck_assert_msg(right > 8 * NT / 10, "accuracy %.3f (chance 0.33)", (double)right / NT);
    m = save_and_reopen(m, "classify.model", path, sizeof(path));
    ck_assert_int_eq(sh_ae_classify(m, te, NT, D, pred2, prob2, err, sizeof(err)), 0);
    ck_assert_mem_eq(pred, pred2, NT * sizeof(int));
    ck_assert_mem_eq(prob, prob2, NT * C * sizeof(float));
    sh_ae_close(m);
    free(x);
    free(te);
    free(prob);
    free(prob2);
    free(y);
    free(yte);
    free(pred);
    free(pred2);
    tf_dir_remove();
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

/* rc is the code wanted and the message is one line holding every word. */
static void expect(int rc, int want, const char *err, const char *w1, const char *w2)
{
    ck_assert_msg(rc == want, "got %d (%s), want %d: %s", rc, sh_strerror(rc), want, err);
    ck_assert_msg(strchr(err, '\n') == NULL && err[0] != '\0', "message: '%s'", err);
    ck_assert_msg(w1 == NULL || strstr(err, w1) != NULL, "'%s' lacks '%s'", err, w1);
    ck_assert_msg(w2 == NULL || strstr(err, w2) != NULL, "'%s' lacks '%s'", err, w2);
}

START_TEST(operations_a_blade_lacks_and_bad_rows)
{
    const size_t N = 60, D = 8;
    float x[60 * 8], out[60 * 8], soft[60 * 4];
    int ints[60], y[60];
    rng_state = 7;
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)uniform();
    for (size_t i = 0; i < N; i++)
        y[i] = (int)(i % 2);
    sh_ae_train_options o = quick(SH_AE_GENERATE, 8, 2, 1);
    sh_ae *vae = train_ok(&o, x, N, D, NULL);
    o = quick(SH_AE_REDUCE, 8, 2, 1);
    sh_ae *red = train_ok(&o, x, N, D, NULL);
    o = quick(SH_AE_CLASSIFY, 8, 2, 1);
    sh_ae *cls = train_ok(&o, x, N, D, y);
    char err[512] = "";

    expect(sh_ae_classify(vae, x, N, D, ints, NULL, err, sizeof(err)), SH_EMODEL, err,
           "sh_ae_classify", "generate");
    expect(sh_ae_cluster(red, x, N, D, ints, soft, err, sizeof(err)), SH_EMODEL, err,
           "sh_ae_cluster", "reduce");
    expect(sh_ae_sample(red, 4, 1, out, err, sizeof(err)), SH_EMODEL, err, "sh_ae_sample",
           "reduce");
    expect(sh_ae_interpolate(cls, x, x + D, D, 3, out, err, sizeof(err)), SH_EMODEL, err,
           "sh_ae_interpolate", "classify");
    expect(sh_ae_encode(cls, x, N, D, out, err, sizeof(err)), SH_EMODEL, err, "sh_ae_encode",
           "classify");
    expect(sh_ae_score(red, x, N, D, out, ints, err, sizeof(err)), SH_EMODEL, err,
           "threshold", NULL);
    ck_assert_int_eq(sh_ae_score(red, x, N, D, out, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(sh_ae_score(vae, x, N, D, out, NULL, err, sizeof(err)), 0);

    /* width mismatch: both widths in the message */
    expect(sh_ae_encode(red, x, N / 2, 2 * D, out, err, sizeof(err)), SH_EMODEL, err, "16",
           "expects 8");
    expect(sh_ae_classify(cls, x, N, D - 1, ints, NULL, err, sizeof(err)), SH_EMODEL, err,
           "7", "expects 8");
    expect(sh_ae_interpolate(vae, x, x + D, D + 1, 3, out, err, sizeof(err)), SH_EMODEL, err,
           "9", NULL);
    /* no rows, a non-finite value, too few steps */
    expect(sh_ae_reconstruct(red, x, 0, D, out, err, sizeof(err)), SH_EINVAL, err,
           "sh_ae_reconstruct", NULL);
    expect(sh_ae_reconstruct(red, NULL, 3, D, out, err, sizeof(err)), SH_EINVAL, err, NULL,
           NULL);
    float keep = x[3 * D + 5];
    x[3 * D + 5] = NAN;
    expect(sh_ae_encode(red, x, N, D, out, err, sizeof(err)), SH_EINPUT, err, "row 4",
           "non-finite");
    x[3 * D + 5] = keep;
    expect(sh_ae_interpolate(vae, x, x + D, D, 1, out, err, sizeof(err)), SH_EINVAL, err,
           "steps", NULL);
    expect(sh_ae_sample(vae, 0, 1, out, err, sizeof(err)), SH_EINVAL, err, NULL, NULL);
    /* a NULL error buffer is fine */
    ck_assert_int_eq(sh_ae_classify(vae, x, N, D, ints, NULL, NULL, 0), SH_EMODEL);
    ck_assert_str_eq(sh_ae_blade_name(SH_AE_CLUSTER), "cluster");
    ck_assert_str_eq(sh_ae_blade_name(99), "?");
    sh_ae_close(vae);
    sh_ae_close(red);
    sh_ae_close(cls);
    sh_ae_close(NULL);
}
END_TEST

static int cancel_at(const char *stage, uint64_t done, uint64_t total, void *user)
{
    int *calls = user;
    ck_assert_str_eq(stage, "reduce");
    ck_assert(done >= 1 && done <= total);
    return ++*calls >= 3;
}

static int count_stages(const char *stage, uint64_t done, uint64_t total, void *user)
{
    int *stages = user;
    (void)total;
    if (done == 1 && strcmp(stage, "class 1") == 0)
        stages[0]++;
    if (strcmp(stage, "dec") == 0)
        stages[1]++;
    return 0;
}

START_TEST(training_refuses_bad_options_and_rows)
{
    const size_t N = 50, D = 6;
    float x[50 * 6];
    int y[50];
    rng_state = 8;
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)uniform();
    for (size_t i = 0; i < N; i++)
        y[i] = (int)(i % 2);
    static char not_null;
    sh_ae *m = (sh_ae *)(void *)&not_null; /* set to NULL by every failure */
    char err[512] = "";
    sh_ae_train_options o;

    sh_ae_train_defaults(0, &o);
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "blade", NULL);
    ck_assert_ptr_null(m);
    o = quick(SH_AE_CLASSIFY, 4, 2, 1);
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "labels",
           NULL);
    int one[50] = { 0 };
    expect(sh_ae_train(&o, x, N, D, one, &m, err, sizeof(err)), SH_EINPUT, err, "two classes",
           NULL);
    y[7] = -1;
    expect(sh_ae_train(&o, x, N, D, y, &m, err, sizeof(err)), SH_EINPUT, err, "row 8", NULL);
    y[7] = 1;
    int lonely[50];
    for (size_t i = 0; i < N; i++)
        lonely[i] = i == 0 ? 1 : 0; /* class 1 has a single row */
    expect(sh_ae_train(&o, x, N, D, lonely, &m, err, sizeof(err)), SH_EINPUT, err, "class 1",
           "classify");
    o = quick(SH_AE_CLUSTER, 4, 2, 1);
    o.clusters = N + 1;
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "clusters",
           NULL);
    o = quick(SH_AE_REDUCE, 4, 2, 0);
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "epochs", NULL);
    o = quick(SH_AE_REDUCE, 4, 0, 1);
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "code", NULL);
    o = quick(SH_AE_DENOISE, 4, 2, 1);
    o.noise = SH_AE_NOISE_MASK;
    o.noise_level = 1.5f;
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, "noise", NULL);
    o = quick(SH_AE_ANOMALY, 4, 2, 1);
    o.threshold_value = 2;
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err,
           "false-positive", NULL);
    o = quick(SH_AE_GENERATE, 4, 2, 1);
    x[10 * D] = 1.5f;
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINPUT, err, "row 11",
           "[0, 1]");
    x[10 * D] = NAN;
    o = quick(SH_AE_REDUCE, 4, 2, 1);
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_EINPUT, err, "row 11",
           "non-finite");
    x[10 * D] = 0.5f;
    expect(sh_ae_train(&o, x, 1, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, NULL, NULL);
    expect(sh_ae_train(NULL, x, N, D, NULL, &m, err, sizeof(err)), SH_EINVAL, err, NULL, NULL);

    /* a progress callback sees its stage and can stop the run */
    int calls = 0;
    o = quick(SH_AE_REDUCE, 4, 2, 5);
    o.batch = 8;
    o.progress = cancel_at;
    o.user = &calls;
    expect(sh_ae_train(&o, x, N, D, NULL, &m, err, sizeof(err)), SH_ECANCEL, err, "cancel",
           NULL);
    ck_assert_int_eq(calls, 3);
    ck_assert_ptr_null(m);
    int stages[2] = { 0, 0 };
    o = quick(SH_AE_CLASSIFY, 4, 2, 1);
    o.progress = count_stages;
    o.user = stages;
    m = train_ok(&o, x, N, D, y);
    sh_ae_close(m);
    o = quick(SH_AE_CLUSTER, 4, 2, 1);
    o.clusters = 2;
    o.dec_epochs = 1;
    o.progress = count_stages;
    o.user = stages;
    m = train_ok(&o, x, N, D, NULL);
    sh_ae_close(m);
    ck_assert_int_eq(stages[0], 1);
    ck_assert_int_ge(stages[1], 1);
}
END_TEST

/* A model file of kind `kind` with the given payload, checksum and all:
 * a well-formed container that is not a toolkit model. */
static void forge(const char *path, uint32_t kind, const unsigned char *payload, size_t len)
{
    unsigned char *buf = calloc(1, 24 + len + 8);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, "SEMHASH\0", 8);
    buf[8] = 1; /* format version 1, little-endian */
    for (int i = 0; i < 4; i++)
        buf[12 + i] = (unsigned char)(kind >> (8 * i));
    for (int i = 0; i < 8; i++)
        buf[16 + i] = (unsigned char)((uint64_t)len >> (8 * i));
    if (len > 0)
        memcpy(buf + 24, payload, len);
    uint64_t h = XXH64(buf, 24 + len, 0);
    for (int i = 0; i < 8; i++)
        buf[24 + len + i] = (unsigned char)(h >> (8 * i));
    tf_write(path, buf, 24 + len + 8);
    free(buf);
}

START_TEST(damaged_missing_and_foreign_files)
{
    tf_dir_make("aelib");
    const size_t N = 40, D = 5;
    float x[40 * 5];
    rng_state = 9;
    for (size_t i = 0; i < N * D; i++)
        x[i] = normal();
    sh_ae_train_options o = quick(SH_AE_REDUCE, 4, 2, 1);
    sh_ae *m = train_ok(&o, x, N, D, NULL);
    char path[256], bad[256], err[512] = "";
    tf_path(path, sizeof(path), "good.model");
    tf_path(bad, sizeof(bad), "bad.model");
    ck_assert_int_eq(sh_ae_save(m, path, err, sizeof(err)), 0);
    static char not_null;
    sh_ae *back = (sh_ae *)(void *)&not_null;

    char missing[256];
    tf_path(missing, sizeof(missing), "no-such.model");
    expect(sh_ae_open(missing, &back, err, sizeof(err)), ENOENT, err, missing, "sh_ae_open");
    ck_assert_ptr_null(back);
    char nodir[300];
    tf_path(nodir, sizeof(nodir), "no-such-dir/m.model");
    expect(sh_ae_save(m, nodir, err, sizeof(err)), ENOENT, err, "no-such-dir", NULL);

    size_t len;
    unsigned char *bytes = tf_read(path, &len);
    tf_write(bad, bytes, len / 2);
    expect(sh_ae_open(bad, &back, err, sizeof(err)), SH_ETRUNC, err, bad, NULL);
    bytes[len / 2] ^= 0x10;
    tf_write(bad, bytes, len);
    expect(sh_ae_open(bad, &back, err, sizeof(err)), SH_ECHECKSUM, err, bad, NULL);
    tf_write(bad, "not a model at all, just some text\n", 35);
    expect(sh_ae_open(bad, &back, err, sizeof(err)), SH_EFORMAT, err, bad, NULL);
    tf_write(bad, "", 0);
    ck_assert_int_lt(sh_ae_open(bad, &back, err, sizeof(err)), 0);
    ck_assert_ptr_null(back);
    /* a well-formed semhash model of another kind: a document hasher */
    forge(bad, 2, NULL, 0);
    expect(sh_ae_open(bad, &back, err, sizeof(err)), SH_EMODEL, err, bad, "toolkit");
    /* the toolkit model with its kind changed to the hasher's */
    bytes[len / 2] ^= 0x10;
    forge(bad, 2, bytes + 24, len - 32);
    expect(sh_ae_open(bad, &back, err, sizeof(err)), SH_EMODEL, err, bad, NULL);
    forge(bad, 1, bytes + 24, len - 32); /* the same bytes with the right kind open */
    ck_assert_msg(sh_ae_open(bad, &back, err, sizeof(err)) == 0, "%s", err);
    sh_ae_close(back);
    expect(sh_ae_open(NULL, &back, err, sizeof(err)), SH_EINVAL, err, NULL, NULL);
    free(bytes);
    sh_ae_close(m);
    tf_dir_remove();
}
END_TEST

/* ---- the program and the library ---------------------------------------------- */

static const char *semhash_bin(void)
{
    const char *b = getenv("SEMHASH_BIN");
    return b != NULL ? b : "build/semhash";
}

static int run(const char *args, char *errbuf, size_t errlen)
{
    char cmd[2048], errp[256];
    tf_path(errp, sizeof(errp), "stderr");
    snprintf(cmd, sizeof(cmd), "'%s' %s > /dev/null 2> '%s'", semhash_bin(), args, errp);
    int status = system(cmd);
    ck_assert(status != -1 && WIFEXITED(status));
    FILE *f = fopen(errp, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(errbuf, 1, errlen - 1, f);
    errbuf[n] = '\0';
    fclose(f);
    return WEXITSTATUS(status);
}

START_TEST(models_pass_between_program_and_library)
{
    tf_dir_make("aelib");
    const size_t N = 90, D = 9;
    float x[90 * 9], scores[90];
    int flags[90];
    char csv[256], cli_model[256], lib_model[256], tsv[256], args[2048], err[2048];
    tf_path(csv, sizeof(csv), "rows.csv");
    tf_path(cli_model, sizeof(cli_model), "cli.model");
    tf_path(lib_model, sizeof(lib_model), "lib.model");
    tf_path(tsv, sizeof(tsv), "scores.tsv");
    rng_state = 10;
    FILE *f = fopen(csv, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < N; i++) { /* label column, then 9 values near a class corner */
        int c = (int)(i % 3);
        fprintf(f, "%d", c);
        for (size_t j = 0; j < D; j++) {
            x[i * D + j] = (j % 3 == (size_t)c ? 0.8f : 0.1f) + 0.05f * (float)uniform();
            fprintf(f, ",%.9g", x[i * D + j]);
        }
        fprintf(f, "\n");
    }
    ck_assert_int_eq(fclose(f), 0);

    /* the program's detector opens in the library */
    snprintf(args, sizeof(args), "ae anomaly --train '%s' --label-col 0 --normal-class 1 "
             "--hidden 8 --code 2 --epochs 3 --batch 16 --threads 1 --no-progress -o '%s'",
             csv, cli_model);
    ck_assert_msg(run(args, err, sizeof(err)) == 0, "%s", err);
    sh_ae *m = NULL;
    ck_assert_msg(sh_ae_open(cli_model, &m, err, sizeof(err)) == 0, "%s", err);
    sh_ae_info info;
    sh_ae_get_info(m, &info);
    ck_assert_int_eq(info.blade, SH_AE_ANOMALY);
    ck_assert_uint_eq(info.input_dim, D);
    ck_assert_uint_eq(info.code_dim, 2);
    ck_assert(info.threshold > 0);
    ck_assert_int_eq(sh_ae_score(m, x, N, D, scores, flags, err, sizeof(err)), 0);
    sh_ae_close(m);

    /* the library's detector scores the same rows in the program */
    sh_ae_train_options o = quick(SH_AE_ANOMALY, 8, 2, 5);
    m = train_ok(&o, x, N, D, NULL);
    ck_assert_int_eq(sh_ae_score(m, x, N, D, scores, flags, err, sizeof(err)), 0);
    ck_assert_int_eq(sh_ae_save(m, lib_model, err, sizeof(err)), 0);
    snprintf(args, sizeof(args), "ae anomaly --score '%s' --label-col 0 -m '%s' --out '%s'", csv,
             lib_model, tsv);
    ck_assert_msg(run(args, err, sizeof(err)) == 0, "%s", err);
    f = fopen(tsv, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* header */
    for (size_t i = 0; i < N; i++) {
        size_t id;
        float s;
        int flag;
        ck_assert_int_eq(fscanf(f, "%zu\t%g\t%d\n", &id, &s, &flag), 3);
        ck_assert_uint_eq(id, i);
        ck_assert_float_eq_tol(s, scores[i], 1e-6f * (1.0f + scores[i]));
        ck_assert_int_eq(flag, flags[i]);
    }
    fclose(f);
    /* and the program refuses it for another blade, naming it */
    snprintf(args, sizeof(args), "ae cluster --train '%s' --label-col 0 -m '%s'", csv, lib_model);
    ck_assert_int_eq(run(args, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "anomaly") != NULL && strstr(err, lib_model) != NULL, "%s", err);
    sh_ae_close(m);
    tf_dir_remove();
}
END_TEST

Suite *ae_library_suite(void)
{
    Suite *s = suite_create("ae_library");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, reduce_embeds_and_round_trips);
    tcase_add_test(core, denoise_cleans_and_round_trips);
    tcase_add_test(core, anomaly_flags_planted_rows_and_round_trips);
    tcase_add_test(core, generate_samples_and_round_trips);
    tcase_add_test(core, cluster_recovers_planted_clusters_and_round_trips);
    tcase_add_test(core, classify_separates_classes_and_round_trips);
    tcase_add_test(core, models_pass_between_program_and_library);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, operations_a_blade_lacks_and_bad_rows);
    tcase_add_test(limits, training_refuses_bad_options_and_rows);
    tcase_add_test(limits, damaged_missing_and_foreign_files);
    suite_add_tcase(s, limits);
    return s;
}
