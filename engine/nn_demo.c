/* nn_demo.c — the factor-model experiment: a nonlinear autoencoder beats
 * PCA at the same code width on data from a nonlinear low-dimensional
 * map. */
#include "nn_demo.h"

#include <math.h>
#include <stdlib.h>

#include "nn_net.h"
#include "nn_train.h"
#include "pca.h"
#include "rng.h"
#include "sh_error.h"

int nn_factor_data(float *X, size_t N, size_t D, size_t F, float noise, uint64_t map_seed,
                   uint64_t data_seed)
{
    if (N == 0 || D == 0 || F == 0)
        return SH_EINVAL;
    size_t H = 2 * D / 5 + F;
    float *m1 = malloc(F * H * sizeof(float)), *c = malloc(H * sizeof(float));
    float *m2 = malloc(H * D * sizeof(float)), *z = malloc(F * sizeof(float));
    float *h = malloc(H * sizeof(float));
    int rc = SH_ENOMEM;
    if (!m1 || !c || !m2 || !z || !h)
        goto fail;
    sh_rng map, data;
    rng_seed(&map, map_seed);
    rng_seed(&data, data_seed);
    for (size_t i = 0; i < F * H; i++)
        m1[i] = 1.5f * rng_normal(&map);
    for (size_t i = 0; i < H; i++)
        c[i] = 0.5f * rng_normal(&map);
    for (size_t i = 0; i < H * D; i++)
        m2[i] = rng_normal(&map) / sqrtf((float)H);
    for (size_t r = 0; r < N; r++) {
        for (size_t f = 0; f < F; f++)
            z[f] = rng_normal(&data);
        for (size_t j = 0; j < H; j++) {
            float a = c[j];
            for (size_t f = 0; f < F; f++)
                a += z[f] * m1[f * H + j];
            h[j] = tanhf(a);
        }
        for (size_t d = 0; d < D; d++) {
            float x = noise * rng_normal(&data);
            for (size_t j = 0; j < H; j++)
                x += h[j] * m2[j * D + d];
            X[r * D + d] = x;
        }
    }
    rc = 0;
fail:
    free(m1);
    free(c);
    free(m2);
    free(z);
    free(h);
    return rc;
}

int nn_demo_factor_model(uint64_t seed, nn_factor_result *res, char *err, size_t err_len)
{
    const size_t n_train = 4000, n_test = 1000, D = 50, F = 5;
    float *train = malloc(n_train * D * sizeof(float));
    float *test = malloc(n_test * D * sizeof(float));
    nn_net *net = NULL;
    sh_pca pca = { 0 };
    int rc = SH_ENOMEM;
    if (train == NULL || test == NULL)
        goto fail;
    if ((rc = nn_factor_data(train, n_train, D, F, 0.01f, seed, seed + 1)) != 0 ||
        (rc = nn_factor_data(test, n_test, D, F, 0.01f, seed, seed + 2)) != 0)
        goto fail;

    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)D, (uint32_t)F);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 64;
    cfg.enc_act = SH_ACT_TANH;
    cfg.max_batch = 64;
    sh_rng init;
    rng_seed(&init, seed);
    if ((rc = nn_new(&cfg, &init, &net, err, err_len)) != 0)
        goto fail;
    nn_train_opts opts;
    nn_train_defaults(&opts);
    opts.epochs = 40;
    opts.batch_size = 64;
    opts.optim.lr = 3e-3f;
    opts.seed = seed;
    opts.patience = 0;
    nn_data tr = { n_train, D, train, NULL }, te = { n_test, D, test, NULL };
    nn_train_summary sum;
    if ((rc = nn_train(net, &tr, NULL, NULL, NULL, &opts, &sum, err, err_len)) != 0)
        goto fail;
    nn_loss_parts parts;
    if ((rc = nn_evaluate(net, &te, NULL, &parts)) != 0)
        goto fail;
    if ((rc = pca_fit(&pca, train, n_train, D, F)) != 0 ||
        (rc = pca_reconstruction_mse(&pca, test, n_test, &res->pca_mse)) != 0) {
        sh_fail(err, err_len, rc, "factor demo: PCA failed: %s", sh_strerror(rc));
        goto fail;
    }
    res->train_rows = n_train;
    res->test_rows = n_test;
    res->dim = D;
    res->factors = F;
    res->ae_mse = parts.recon / (double)D; /* per example -> per element */
    res->epochs = sum.epochs_run;
    res->seconds = sum.seconds;
    res->gflops = sum.gflops;
    rc = 0;
fail:
    if (rc == SH_ENOMEM)
        sh_fail(err, err_len, rc, "factor demo: out of memory");
    free(train);
    free(test);
    nn_free(net);
    pca_free(&pca);
    return rc;
}
