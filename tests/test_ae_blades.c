/* test_ae_blades.c — the autoencoder toolkit's blades on small synthetic
 * problems, each asserting a real quality figure, plus finite-difference
 * gradient checks of what the blades add to the core (the DEC loss with
 * respect to the codes and the centroids, softmax regression). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ae_anomaly.h"
#include "ae_classify.h"
#include "ae_dec.h"
#include "ae_denoise.h"
#include "ae_reduce.h"
#include "ae_vae.h"
#include "evalstats.h"
#include "nn_demo.h"
#include "nn_train.h"
#include "sh_error.h"
#include "test_nn_util.h"

/* ---- helpers ---------------------------------------------------------------- */

static nn_net *new_net(const nn_config *cfg, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    nn_net *net = NULL;
    char err[256] = "";
    ck_assert_msg(nn_new(cfg, &rng, &net, err, sizeof(err)) == 0, "%s", err);
    return net;
}

static void train(nn_net *net, const nn_data *x, int epochs, size_t batch, float lr,
                  nn_corrupt_fn corrupt, void *user)
{
    nn_train_opts o;
    nn_train_defaults(&o);
    o.epochs = epochs;
    o.batch_size = batch;
    o.optim.lr = lr;
    o.patience = 0;
    o.corrupt = corrupt;
    o.user = user;
    char err[256] = "";
    ck_assert_msg(nn_train(net, x, NULL, NULL, NULL, &o, NULL, err, sizeof(err)) == 0, "%s", err);
}

/* Rows x[N,D] = basis-combination of F random directions (subspace) +
 * noise; each class gets its own basis drawn from seed + class. */
static void subspace_rows(float *x, size_t N, size_t D, size_t F, float noise, uint64_t seed,
                          sh_rng *rng)
{
    sh_rng basis_rng;
    rng_seed(&basis_rng, seed);
    float *basis = malloc(F * D * sizeof(float));
    ck_assert_ptr_nonnull(basis);
    tu_fill_normal(&basis_rng, basis, F * D, 1.0f / sqrtf((float)F));
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = noise * rng_normal(rng);
        for (size_t f = 0; f < F; f++) {
            float z = rng_normal(rng);
            for (size_t j = 0; j < D; j++)
                x[i * D + j] += z * basis[f * D + j];
        }
    }
    free(basis);
}

/* 8x8 grey images of one or two random bars (values 0.1 / 0.9). */
static void bar_images(float *x, size_t N, sh_rng *rng)
{
    for (size_t i = 0; i < N; i++) {
        float *im = x + i * 64;
        for (size_t p = 0; p < 64; p++)
            im[p] = 0.1f;
        size_t bars = 1 + rng_below(rng, 2);
        for (size_t b = 0; b < bars; b++) {
            size_t k = rng_below(rng, 8);
            int vertical = rng_below(rng, 2) != 0;
            for (size_t t = 0; t < 8; t++)
                im[vertical ? t * 8 + k : k * 8 + t] = 0.9f;
        }
    }
}

/* ---- DEC ----------------------------------------------------------------------- */

typedef struct {
    float *z, *mu, *p, *q;
    size_t B, K, C;
    float alpha, weight;
} dec_ctx;

static double dec_value(void *v)
{
    dec_ctx *c = v;
    return dec_kl_loss(NULL, NULL, c->q, c->p, c->z, c->mu, c->B, c->K, c->C, c->alpha,
                       c->weight);
}

START_TEST(dec_gradients)
{
    const size_t B = 6, K = 3, C = 4;
    float z[18], mu[12], p[24], q[24], dz[18] = { 0 }, dmu[12] = { 0 };
    sh_rng rng;
    rng_seed(&rng, 3);
    tu_fill_normal(&rng, z, B * K, 1.0f);
    tu_fill_normal(&rng, mu, C * K, 1.0f);
    float alphas[2] = { 1.0f, 2.5f };
    for (int t = 0; t < 2; t++) {
        /* a target from a different set of centroids, so p != q */
        float mu2[12];
        tu_fill_normal(&rng, mu2, C * K, 1.0f);
        dec_soft_assign(q, z, mu2, B, K, C, alphas[t]);
        ck_assert_int_eq(dec_target(p, q, B, C), 0);
        dec_ctx c = { z, mu, p, q, B, K, C, alphas[t], 0.7f };
        memset(dz, 0, sizeof(dz));
        memset(dmu, 0, sizeof(dmu));
        double v = dec_kl_loss(dz, dmu, q, p, z, mu, B, K, C, alphas[t], 0.7f);
        ck_assert(v > 0);
        double ez = tu_grad_check(dec_value, &c, z, dz, B * K, 1e-3, 1e-4, 0);
        double em = tu_grad_check(dec_value, &c, mu, dmu, C * K, 1e-3, 1e-4, 0);
        ck_assert_msg(ez < 2e-2, "dz relative error %g", ez);
        ck_assert_msg(em < 2e-2, "dmu relative error %g", em);
    }
}
END_TEST

typedef struct {
    dec_ctx base;
    float *zs, *gs, *zlen;
    float len;
} dec_scaled_ctx;

static double dec_scaled_value(void *v)
{
    dec_scaled_ctx *c = v;
    const dec_ctx *b = &c->base;
    return dec_kl_loss_scaled(NULL, NULL, b->q, c->zs, c->gs, c->zlen, b->p, b->z, b->mu, b->B,
                              b->K, b->C, b->alpha, b->weight, c->len);
}

/* The same loss on codes scaled to one length (unit_codes): the gradient
 * through the normalisation against finite differences, and the value
 * equal to dec_kl_loss on codes scaled beforehand. */
START_TEST(dec_scaled_gradients)
{
    const size_t B = 6, K = 3, C = 4;
    float z[18], mu[12], mu2[12], p[24], q[24], dz[18] = { 0 }, dmu[12] = { 0 };
    float zs[18], gs[18], zlen[6], pre[18];
    sh_rng rng;
    rng_seed(&rng, 8);
    tu_fill_normal(&rng, z, B * K, 1.5f);
    tu_fill_normal(&rng, mu, C * K, 1.0f);
    tu_fill_normal(&rng, mu2, C * K, 1.0f);
    const float len = 1.7f;
    memcpy(pre, z, sizeof(z));
    dec_scale_rows(pre, zlen, B, K, len);
    for (size_t i = 0; i < B; i++) {
        double n = 0;
        for (size_t k = 0; k < K; k++)
            n += (double)pre[i * K + k] * pre[i * K + k];
        ck_assert_double_eq_tol(sqrt(n), len, 1e-5);
    }
    dec_soft_assign(q, pre, mu2, B, K, C, 1.0f);
    ck_assert_int_eq(dec_target(p, q, B, C), 0);
    dec_scaled_ctx c = { { z, mu, p, q, B, K, C, 1.0f, 0.7f }, zs, gs, zlen, len };
    double v = dec_kl_loss_scaled(dz, dmu, q, zs, gs, zlen, p, z, mu, B, K, C, 1.0f, 0.7f, len);
    ck_assert(v > 0);
    ck_assert_double_eq_tol(v, dec_kl_loss(NULL, NULL, q, p, pre, mu, B, K, C, 1.0f, 0.7f),
                            1e-9);
    double ez = tu_grad_check(dec_scaled_value, &c, z, dz, B * K, 1e-3, 1e-4, 0);
    double em = tu_grad_check(dec_scaled_value, &c, mu, dmu, C * K, 1e-3, 1e-4, 0);
    ck_assert_msg(ez < 2e-2, "dz relative error %g", ez);
    ck_assert_msg(em < 2e-2, "dmu relative error %g", em);
    /* the gradient is orthogonal to each code: a longer code, same loss */
    for (size_t i = 0; i < B; i++) {
        double dot = 0;
        for (size_t k = 0; k < K; k++)
            dot += (double)dz[i * K + k] * z[i * K + k];
        ck_assert_double_eq_tol(dot, 0.0, 1e-5);
    }
}
END_TEST

START_TEST(dec_assignments_and_target)
{
    /* two codes sitting on two centroids: q peaks there, p sharpens it */
    float z[4] = { 0, 0, 5, 5 }, mu[4] = { 0, 0, 5, 5 }, q[4], p[4];
    int a[2];
    dec_soft_assign(q, z, mu, 2, 2, 2, 1.0f);
    ck_assert_float_eq_tol(q[0] + q[1], 1.0f, 1e-6f);
    ck_assert(q[0] > 0.95f && q[3] > 0.95f);
    ck_assert_int_eq(dec_target(p, q, 2, 2), 0);
    ck_assert(p[0] > q[0] && p[3] > q[3]);
    ck_assert_float_eq_tol(p[2] + p[3], 1.0f, 1e-6f);
    dec_hard_assign(a, q, 2, 2);
    ck_assert_int_eq(a[0], 0);
    ck_assert_int_eq(a[1], 1);
    /* p == q at the same point gives a zero loss and zero gradients */
    float dz[4] = { 0 }, dmu[4] = { 0 };
    memcpy(p, q, sizeof(q));
    ck_assert_double_eq_tol(dec_kl_loss(dz, dmu, q, p, z, mu, 2, 2, 2, 1.0f, 1.0f), 0.0, 1e-6);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq_tol(dz[i], 0.0f, 1e-6f);
}
END_TEST

/* DEC on planted clusters with either way of comparing codes (unit 1,
 * the default, or 0); the model file keeps the scaling, so the loaded
 * model predicts the same. */
static void dec_planted(int unit)
{
    const size_t C = 4, per = 100, N = C * per, D = 16;
    float *x = malloc(N * D * sizeof(float));
    int *truth = malloc(N * sizeof(int)), *assign = malloc(N * sizeof(int));
    int *init = malloc(N * sizeof(int));
    float centres[4 * 16];
    sh_rng rng;
    rng_seed(&rng, 11);
    tu_fill_normal(&rng, centres, C * D, 2.0f);
    for (size_t i = 0; i < N; i++) {
        truth[i] = (int)(i % C);
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = centres[truth[i] * D + j] + 0.3f * rng_normal(&rng);
    }
    nn_config cfg;
    nn_config_defaults(&cfg, D, 3);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 16;
    cfg.max_batch = 64;
    nn_net *net = new_net(&cfg, 5);
    nn_data data = { N, D, x, NULL };
    train(net, &data, 30, 32, 3e-3f, NULL, NULL);

    ae_dec_opts o;
    ae_dec_defaults(&o);
    o.clusters = C;
    o.batch_size = 32;
    o.max_epochs = 10;
    o.update_interval = 5;
    o.seed = 2;
    o.unit_codes = unit;
    float mu[4 * 3];
    ae_dec_summary s;
    char err[256] = "";
    ck_assert_msg(ae_dec_fit(net, &data, &o, mu, assign, init, &s, err, sizeof(err)) == 0, "%s",
                  err);
    double acc, nmi;
    ck_assert_int_eq(eval_cluster_accuracy(truth, assign, N, &acc), 0);
    ck_assert_int_eq(eval_nmi(truth, assign, N, &nmi), 0);
    ck_assert_msg(acc > 0.95 && nmi > 0.9, "unit %d: ACC %.3f NMI %.3f", unit, acc, nmi);
    ck_assert(s.refreshes >= 1 && s.epochs > 0);
    ck_assert(unit ? s.code_len > 0 : s.code_len == 0);
    /* prediction agrees with the final assignments */
    int *pred = malloc(N * sizeof(int));
    ck_assert_int_eq(ae_dec_predict(net, &data, mu, C, 1.0f, s.code_len, pred), 0);
    size_t same = 0;
    for (size_t i = 0; i < N; i++)
        same += pred[i] == assign[i];
    ck_assert_uint_ge(same, N - N / 50);
    char dir[] = "/tmp/sh_dec_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/dec.shm", dir);
    ae_meta meta = { AE_BLADE_CLUSTER, 0, 0 };
    ck_assert_msg(ae_dec_save(net, mu, C, 1.0f, s.code_len, &meta, path, err, sizeof(err)) == 0,
                  "%s", err);
    nn_net *back = NULL;
    float *mu_back = NULL, alpha = 0, code_len = -1;
    size_t Cb = 0;
    ck_assert_msg(ae_dec_load(path, &meta, &back, &mu_back, &Cb, &alpha, &code_len, err,
                              sizeof(err)) == 0,
                  "%s", err);
    ck_assert(Cb == C && alpha == 1.0f && code_len == s.code_len);
    int *pred2 = malloc(N * sizeof(int));
    ck_assert_int_eq(ae_dec_predict(back, &data, mu_back, Cb, alpha, code_len, pred2), 0);
    ck_assert_mem_eq(pred, pred2, N * sizeof(int));
    unlink(path);
    rmdir(dir);
    free(pred2);
    free(mu_back);
    nn_free(back);
    free(pred);
    free(x);
    free(truth);
    free(assign);
    free(init);
    nn_free(net);
}

START_TEST(dec_recovers_planted_clusters)
{
    dec_planted(1);
    dec_planted(0);
}
END_TEST

START_TEST(dec_rejects_bad_options)
{
    nn_config cfg;
    nn_config_defaults(&cfg, 4, 2);
    nn_net *net = new_net(&cfg, 1);
    float x[8] = { 0 }, mu[4];
    int a[2];
    nn_data data = { 2, 4, x, NULL };
    ae_dec_opts o;
    ae_dec_defaults(&o);
    o.clusters = 3; /* more clusters than rows */
    ae_dec_summary s;
    char err[256] = "";
    ck_assert_int_eq(ae_dec_fit(net, &data, &o, mu, a, NULL, &s, err, sizeof(err)), SH_EINVAL);
    ck_assert(strstr(err, "clusters") != NULL);
    nn_free(net);
}
END_TEST

/* ---- VAE -------------------------------------------------------------------------- */

START_TEST(vae_elbo_improves)
{
    const size_t N = 600, D = 64;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(200 * D * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, 4);
    bar_images(x, N, &rng);
    bar_images(te, 200, &rng);
    uint32_t hidden[1] = { 32 };
    nn_config cfg;
    ae_vae_config(&cfg, D, hidden, 1, 4);
    cfg.max_batch = 64;
    nn_net *net = new_net(&cfg, 9);
    nn_data tr = { N, D, x, NULL }, td = { 200, D, te, NULL };
    double before, after, again;
    ck_assert_int_eq(ae_vae_elbo(net, &td, 2, 1, &before), 0);
    train(net, &tr, 25, 32, 3e-3f, NULL, NULL);
    ck_assert_int_eq(ae_vae_elbo(net, &td, 2, 1, &after), 0);
    ck_assert_int_eq(ae_vae_elbo(net, &td, 2, 1, &again), 0);
    ck_assert_double_eq(after, again); /* seeded */
    ck_assert_msg(after > before + 5.0, "ELBO %.2f -> %.2f", before, after);
    ck_assert(after < 0);
    /* the bound is below the reconstruction term alone at z = mu plus 0 KL?
     * simpler: it is finite and the samples are probabilities */
    float *s = malloc(10 * D * sizeof(float));
    ck_assert_int_eq(ae_vae_sample(net, 10, 3, s), 0);
    for (size_t i = 0; i < 10 * D; i++)
        ck_assert(s[i] >= 0.0f && s[i] <= 1.0f);
    /* interpolation ends decode the two latent means */
    float *path = malloc(5 * D * sizeof(float)), *ends = malloc(2 * D * sizeof(float));
    float mu[8];
    ck_assert_int_eq(ae_vae_interpolate(net, te, te + D, 5, path), 0);
    nn_data pair = { 2, D, te, NULL };
    ck_assert_int_eq(nn_encode(net, &pair, NN_MODE_INFER, NULL, mu), 0);
    ck_assert_int_eq(nn_decode(net, mu, 2, ends), 0);
    ck_assert(tu_max_rel_diff(path, ends, D) < 1e-5);
    ck_assert(tu_max_rel_diff(path + 4 * D, ends + D, D) < 1e-5);
    /* a plain autoencoder is refused */
    nn_config plain;
    nn_config_defaults(&plain, D, 4);
    nn_net *p = new_net(&plain, 1);
    ck_assert_int_eq(ae_vae_elbo(p, &td, 1, 1, &before), SH_EINVAL);
    ck_assert_int_eq(ae_vae_sample(p, 2, 1, s), SH_EINVAL);
    nn_free(p);
    free(s);
    free(path);
    free(ends);
    free(x);
    free(te);
    nn_free(net);
}
END_TEST

/* ---- denoising ------------------------------------------------------------------- */

START_TEST(denoise_raises_psnr)
{
    const size_t N = 800, D = 64;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(200 * D * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, 6);
    bar_images(x, N, &rng);
    bar_images(te, 200, &rng);
    nn_config cfg;
    nn_config_defaults(&cfg, D, 16);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 48;
    cfg.loss = NN_LOSS_BCE;
    cfg.max_batch = 64;
    nn_net *net = new_net(&cfg, 2);
    ae_noise noise = { AE_NOISE_GAUSSIAN, 0.3f, 1 };
    nn_data tr = { N, D, x, NULL }, td = { 200, D, te, NULL };
    train(net, &tr, 30, 32, 3e-3f, ae_corrupt_batch, &noise);
    ae_denoise_report r;
    ck_assert_int_eq(ae_denoise_eval(net, &td, &noise, 5, NULL, NULL, &r), 0);
    ck_assert_msg(r.psnr_denoised > r.psnr_noisy + 3.0, "PSNR %.2f -> %.2f", r.psnr_noisy,
                  r.psnr_denoised);
    ck_assert_double_eq_tol(r.psnr_noisy, 10 * log10(1 / r.mse_noisy), 1e-9);
    ae_noise mask = { AE_NOISE_MASK, 0.3f, 1 };
    ck_assert_int_eq(ae_denoise_eval(net, &td, &mask, 5, NULL, NULL, &r), 0);
    ck_assert_msg(r.psnr_denoised > r.psnr_noisy, "mask PSNR %.2f -> %.2f", r.psnr_noisy,
                  r.psnr_denoised);
    free(x);
    free(te);
    nn_free(net);
}
END_TEST

/* ---- anomaly detection ------------------------------------------------------------ */

START_TEST(anomaly_planted)
{
    const size_t N = 600, D = 20, NT = 300;
    float *x = malloc(N * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    int *is_anom = malloc(NT * sizeof(int));
    float *train_scores = malloc(N * sizeof(float)), *scores = malloc(NT * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, 8);
    subspace_rows(x, N, D, 3, 0.05f, 100, &rng);
    subspace_rows(te, NT, D, 3, 0.05f, 100, &rng);
    for (size_t i = 0; i < NT; i++) {
        is_anom[i] = i % 10 == 0; /* 10% anomalies: random directions */
        if (is_anom[i])
            for (size_t j = 0; j < D; j++)
                te[i * D + j] = rng_normal(&rng);
    }
    nn_config cfg;
    nn_config_defaults(&cfg, D, 3);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 16;
    cfg.enc_act = SH_ACT_TANH;
    cfg.max_batch = 64;
    nn_net *net = new_net(&cfg, 3);
    nn_data tr = { N, D, x, NULL }, td = { NT, D, te, NULL };
    train(net, &tr, 40, 32, 3e-3f, NULL, NULL);
    ck_assert_int_eq(ae_row_errors(net, &tr, train_scores), 0);
    ck_assert_int_eq(ae_row_errors(net, &td, scores), 0);
    ae_threshold t = { AE_THRESH_FPR, 0.05, 0 };
    ck_assert_int_eq(ae_anomaly_fit_threshold(&t, train_scores, N), 0);
    ae_anomaly_report r;
    ck_assert_int_eq(ae_anomaly_evaluate(scores, is_anom, NT, t.threshold, &r), 0);
    ck_assert_msg(r.auroc > 0.95, "AUROC %.3f", r.auroc);
    ck_assert_msg(r.recall > 0.8 && r.fpr < 0.2, "recall %.3f fpr %.3f", r.recall, r.fpr);
    ck_assert_uint_eq(r.n_anomalous, NT / 10);
    /* percentile rule: 90% of normal training scores at or below */
    ae_threshold tp = { AE_THRESH_PERCENTILE, 90, 0 };
    ck_assert_int_eq(ae_anomaly_fit_threshold(&tp, train_scores, N), 0);
    size_t below = 0;
    for (size_t i = 0; i < N; i++)
        below += train_scores[i] <= tp.threshold;
    ck_assert_uint_ge(below, 9 * N / 10);
    ck_assert_uint_le(below, 9 * N / 10 + 1);
    tp.value = 101;
    ck_assert_int_eq(ae_anomaly_fit_threshold(&tp, train_scores, N), SH_EINVAL);
    free(x);
    free(te);
    free(is_anom);
    free(train_scores);
    free(scores);
    nn_free(net);
}
END_TEST

/* ---- reduction ------------------------------------------------------------------- */

START_TEST(reduce_beats_pca_on_nonlinear_data)
{
    const size_t N = 2000, NT = 500, D = 30, F = 2;
    sh_dataset tr = { 0 }, te = { 0 };
    ck_assert_int_eq(mat_alloc(&tr.x, N, D), 0);
    ck_assert_int_eq(mat_alloc(&te.x, NT, D), 0);
    ck_assert_int_eq(nn_factor_data(tr.x.data, N, D, F, 0.01f, 7, 8), 0);
    ck_assert_int_eq(nn_factor_data(te.x.data, NT, D, F, 0.01f, 7, 9), 0);
    /* labels: the sign of the first coordinate, for the k-NN figure */
    tr.labels = malloc(N * sizeof(int));
    te.labels = malloc(NT * sizeof(int));
    tr.n_classes = te.n_classes = 2;
    for (size_t i = 0; i < N; i++)
        tr.labels[i] = tr.x.data[i * D] > 0;
    for (size_t i = 0; i < NT; i++)
        te.labels[i] = te.x.data[i * D] > 0;
    nn_config cfg;
    nn_config_defaults(&cfg, D, F);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 48;
    cfg.enc_act = SH_ACT_TANH;
    cfg.max_batch = 64;
    nn_net *net = new_net(&cfg, 4);
    nn_data x = ae_view(&tr);
    train(net, &x, 40, 64, 3e-3f, NULL, NULL);
    ae_reduce_opts o;
    ae_reduce_defaults(&o);
    o.raw_knn = 1;
    ae_reduce_report r;
    float *codes = malloc(NT * F * sizeof(float));
    char err[256] = "";
    ck_assert_msg(ae_reduce_compare(net, &tr, &te, &o, codes, &r, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_msg(r.ae_mse < r.pca_mse, "AE %.5f vs PCA %.5f", r.ae_mse, r.pca_mse);
    ck_assert(r.ae_psnr > r.pca_psnr);
    ck_assert(r.ae_knn > 0.5 && r.ae_knn <= 1.0 && r.pca_knn > 0.5 && r.raw_knn > 0.5);
    ck_assert_uint_eq(r.knn_rows, NT);
    /* the returned codes are the encoder's */
    float first[2];
    nn_data one = { 1, D, te.x.data, NULL };
    ck_assert_int_eq(nn_encode(net, &one, NN_MODE_INFER, NULL, first), 0);
    ck_assert(tu_max_rel_diff(first, codes, F) < 1e-6);
    free(codes);
    dataset_free(&tr);
    dataset_free(&te);
    nn_free(net);
}
END_TEST

/* ---- classification ---------------------------------------------------------------- */

typedef struct {
    ae_softmax *m;
    const float *X;
    const int *y;
    size_t N;
} sm_ctx;

static double sm_value(void *v)
{
    sm_ctx *c = v;
    return ae_softmax_loss(c->m, c->X, c->y, c->N, NULL, NULL);
}

START_TEST(softmax_gradients)
{
    const size_t N = 7, D = 5, C = 3;
    float X[35];
    int y[7] = { 0, 1, 2, 1, 0, 2, 2 };
    sh_rng rng;
    rng_seed(&rng, 12);
    tu_fill_normal(&rng, X, N * D, 1.0f);
    ae_softmax m;
    ae_softmax_opts o;
    ae_softmax_defaults(&o);
    o.epochs = 1;
    ck_assert_int_eq(ae_softmax_fit(&m, X, y, N, D, C, &o), 0);
    tu_fill_normal(&rng, m.W, D * C, 0.5f);
    tu_fill_normal(&rng, m.b, C, 0.5f);
    float dW[15] = { 0 }, db[3] = { 0 };
    ae_softmax_loss(&m, X, y, N, dW, db);
    sm_ctx c = { &m, X, y, N };
    ck_assert(tu_grad_check(sm_value, &c, m.W, dW, D * C, 1e-3, 1e-4, 0) < 1e-2);
    ck_assert(tu_grad_check(sm_value, &c, m.b, db, C, 1e-3, 1e-4, 0) < 1e-2);
    int bad[7] = { 0, 1, 2, 3, 0, 0, 0 };
    ae_softmax_free(&m);
    ck_assert_int_eq(ae_softmax_fit(&m, X, bad, N, D, C, &o), SH_EINVAL);
    ck_assert_ptr_null(m.W);
    ae_softmax_free(NULL);
}
END_TEST

START_TEST(classify_above_chance_and_round_trip)
{
    const size_t C = 3, per = 200, D = 20, NT = 150;
    float *x = malloc(C * per * D * sizeof(float)), *te = malloc(NT * D * sizeof(float));
    int *yte = malloc(NT * sizeof(int)), *pred = malloc(NT * sizeof(int));
    int *pred2 = malloc(NT * sizeof(int));
    sh_rng rng;
    rng_seed(&rng, 21);
    nn_net *nets[3];
    for (size_t c = 0; c < C; c++) {
        subspace_rows(x + c * per * D, per, D, 3, 0.05f, 500 + c, &rng);
        nn_config cfg;
        nn_config_defaults(&cfg, D, 3);
        cfg.max_batch = 64;
        nets[c] = new_net(&cfg, 30 + c);
        nn_data tr = { per, D, x + c * per * D, NULL };
        train(nets[c], &tr, 40, 32, 5e-3f, NULL, NULL);
    }
    for (size_t i = 0; i < NT; i++) {
        yte[i] = (int)(i % C);
        subspace_rows(te + i * D, 1, D, 3, 0.05f, 500 + (uint64_t)yte[i], &rng);
    }
    /* the stacked head learns from fresh rows of each class */
    float *xh = malloc(C * 60 * D * sizeof(float)), *fh = malloc(C * 60 * C * sizeof(float));
    int *yh = malloc(C * 60 * sizeof(int));
    for (size_t i = 0; i < C * 60; i++) {
        yh[i] = (int)(i % C);
        subspace_rows(xh + i * D, 1, D, 3, 0.05f, 500 + (uint64_t)yh[i], &rng);
    }
    nn_data h = { C * 60, D, xh, NULL }, td = { NT, D, te, NULL };
    ck_assert_int_eq(ae_classify_features(nets, C, &h, fh), 0);
    ae_softmax head;
    ae_softmax_opts o;
    ae_softmax_defaults(&o);
    o.batch_size = 16;
    o.epochs = 50;
    ck_assert_int_eq(ae_softmax_fit(&head, fh, yh, C * 60, C, C, &o), 0);
    float *ft = malloc(NT * C * sizeof(float));
    ck_assert_int_eq(ae_classify_features(nets, C, &td, ft), 0);
    ck_assert_int_eq(ae_softmax_predict(&head, ft, NT, pred, NULL), 0);
    double acc, f1;
    ck_assert_int_eq(eval_accuracy(yte, pred, NT, &acc), 0);
    ck_assert_int_eq(eval_macro_f1(yte, pred, NT, C, &f1), 0);
    ck_assert_msg(acc > 0.8 && f1 > 0.8, "accuracy %.3f macro-F1 %.3f (chance 0.33)", acc, f1);

    /* save, load, same predictions */
    char dir[] = "/tmp/semhash-ae-cls-XXXXXX", path[128], err[256] = "";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cls.model", dir);
    ae_meta meta = { AE_BLADE_CLASSIFY, 0, 0 };
    ck_assert_msg(ae_classify_save(nets, C, &head, &meta, path, err, sizeof(err)) == 0, "%s", err);
    nn_net **loaded = NULL;
    size_t lc = 0;
    ae_softmax lh;
    ck_assert_msg(ae_classify_load(path, &meta, &loaded, &lc, &lh, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_uint_eq(lc, C);
    ck_assert_int_eq(ae_classify_features(loaded, lc, &td, ft), 0);
    ck_assert_int_eq(ae_softmax_predict(&lh, ft, NT, pred2, NULL), 0);
    ck_assert_mem_eq(pred, pred2, NT * sizeof(int));
    /* the wrong blade is refused with the blade named */
    ae_meta other = { AE_BLADE_CLUSTER, 0, 0 };
    nn_net *n1 = NULL;
    float *mu = NULL;
    size_t k = 0;
    float alpha = 0, code_len = 0;
    ck_assert_int_eq(ae_dec_load(path, &other, &n1, &mu, &k, &alpha, &code_len, err, sizeof(err)),
                     SH_EMODEL);
    ck_assert_msg(strstr(err, "classify") != NULL, "%s", err);
    unlink(path);
    rmdir(dir);
    for (size_t c = 0; c < lc; c++)
        nn_free(loaded[c]);
    free(loaded);
    ae_softmax_free(&lh);
    ae_softmax_free(&head);
    for (size_t c = 0; c < C; c++)
        nn_free(nets[c]);
    free(x);
    free(te);
    free(yte);
    free(pred);
    free(pred2);
    free(xh);
    free(fh);
    free(yh);
    free(ft);
}
END_TEST

Suite *ae_blades_suite(void)
{
    Suite *s = suite_create("ae_blades");
    TCase *grad = tcase_create("gradients");
    tcase_set_timeout(grad, 60);
    tcase_add_test(grad, dec_gradients);
    tcase_add_test(grad, dec_scaled_gradients);
    tcase_add_test(grad, dec_assignments_and_target);
    tcase_add_test(grad, softmax_gradients);
    tcase_add_test(grad, dec_rejects_bad_options);
    suite_add_tcase(s, grad);
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, dec_recovers_planted_clusters);
    tcase_add_test(core, vae_elbo_improves);
    tcase_add_test(core, denoise_raises_psnr);
    tcase_add_test(core, anomaly_planted);
    tcase_add_test(core, reduce_beats_pca_on_nonlinear_data);
    tcase_add_test(core, classify_above_chance_and_round_trip);
    suite_add_tcase(s, core);
    return s;
}
