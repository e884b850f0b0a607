/* ae_vae.c — ELBO, prior samples and interpolation of the VAE blade (see
 * ae_vae.h). The network itself is the nn core's Gaussian-code net. */
#include "ae_vae.h"

#include <stdlib.h>
#include <string.h>

#include "nn_code.h"
#include "sh_error.h"

void ae_vae_config(nn_config *cfg, uint32_t D, const uint32_t *hidden, uint32_t n_hidden,
                   uint32_t K)
{
    nn_config_defaults(cfg, D, K);
    cfg->n_enc = n_hidden;
    for (uint32_t i = 0; i < n_hidden && i < NN_MAX_HIDDEN; i++)
        cfg->enc_hidden[i] = hidden[i];
    cfg->code_kind = NN_CODE_GAUSSIAN;
    cfg->loss = NN_LOSS_BCE;
    cfg->vae_kl = 1.0f;
}

static int is_vae(const nn_net *net)
{
    return net->cfg.code_kind == NN_CODE_GAUSSIAN;
}

int ae_vae_elbo(nn_net *net, const nn_data *in, int samples, uint64_t seed, double *elbo)
{
    size_t D = net->cfg.input_dim, K = net->cfg.code_dim, step = net->max_batch;
    if (!is_vae(net) || net->cfg.loss != NN_LOSS_BCE || in->dense == NULL || in->cols != D ||
        in->rows == 0 || samples < 1)
        return SH_EINVAL;
    sh_rng rng;
    rng_seed(&rng, seed);
    double total = 0.0;
    for (size_t row0 = 0; row0 < in->rows; row0 += step) {
        size_t n = in->rows - row0 < step ? in->rows - row0 : step;
        nn_data chunk = { n, D, in->dense + row0 * D, NULL };
        for (int s = 0; s < samples; s++) {
            nn_loss_parts parts;
            int rc = nn_forward(net, &chunk, NN_MODE_TRAIN, &rng);
            if (rc == 0)
                rc = nn_loss(net, &chunk, &parts);
            if (rc != 0)
                return rc;
            /* per-row means over the chunk, times its rows */
            double kl = code_gauss_kl(NULL, net->pre[net->code_layer], n, K, 1.0f);
            total += (parts.recon + kl) * (double)n;
        }
    }
    *elbo = -total / ((double)in->rows * (double)samples);
    return 0;
}

int ae_vae_sample(nn_net *net, size_t n, uint64_t seed, float *out)
{
    size_t D = net->cfg.input_dim, K = net->cfg.code_dim, step = net->max_batch;
    if (!is_vae(net))
        return SH_EINVAL;
    float *z = malloc(step * K * sizeof(float));
    if (z == NULL)
        return SH_ENOMEM;
    sh_rng rng;
    rng_seed(&rng, seed);
    int rc = 0;
    for (size_t row0 = 0; row0 < n && rc == 0; row0 += step) {
        size_t b = n - row0 < step ? n - row0 : step;
        for (size_t i = 0; i < b * K; i++)
            z[i] = rng_normal(&rng);
        rc = nn_decode(net, z, b, out + row0 * D);
    }
    free(z);
    return rc;
}

int ae_vae_interpolate(nn_net *net, const float *a, const float *b, size_t steps, float *out)
{
    size_t D = net->cfg.input_dim, K = net->cfg.code_dim;
    if (!is_vae(net) || steps < 2)
        return SH_EINVAL;
    float *x = malloc(2 * D * sizeof(float)), *mu = malloc(2 * K * sizeof(float));
    float *z = malloc(steps * K * sizeof(float));
    int rc = SH_ENOMEM;
    if (x == NULL || mu == NULL || z == NULL)
        goto fail;
    memcpy(x, a, D * sizeof(float));
    memcpy(x + D, b, D * sizeof(float));
    nn_data pair = { 2, D, x, NULL };
    if ((rc = nn_encode(net, &pair, NN_MODE_INFER, NULL, mu)) != 0)
        goto fail;
    for (size_t s = 0; s < steps; s++) {
        float t = (float)s / (float)(steps - 1);
        for (size_t k = 0; k < K; k++)
            z[s * K + k] = (1.0f - t) * mu[k] + t * mu[K + k];
    }
    for (size_t row0 = 0; row0 < steps && rc == 0; row0 += net->max_batch) {
        size_t n = steps - row0 < net->max_batch ? steps - row0 : net->max_batch;
        rc = nn_decode(net, z + row0 * K, n, out + row0 * D);
    }
fail:
    free(x);
    free(mu);
    free(z);
    return rc;
}
