/* nn_code.c — binary (straight-through) and Gaussian (reparameterised)
 * code layers and the Gaussian KL term. The real code layer is an
 * activation from nn_layers.h and needs nothing here. */
#include "nn_code.h"

#include <math.h>

#include "nn_layers.h"

void code_binary_forward(float *b, float *p, const float *a, size_t N, nn_mode mode, sh_rng *rng)
{
    for (size_t i = 0; i < N; i++)
        p[i] = nn_sigmoidf(a[i]);
    switch (mode) {
    case NN_MODE_TRAIN:
        for (size_t i = 0; i < N; i++)
            b[i] = rng_uniform(rng) < p[i] ? 1.0f : 0.0f;
        break;
    case NN_MODE_DETERMINISTIC:
        for (size_t i = 0; i < N; i++)
            b[i] = p[i];
        break;
    case NN_MODE_INFER:
    default:
        for (size_t i = 0; i < N; i++)
            b[i] = p[i] > 0.5f ? 1.0f : 0.0f;
        break;
    }
}

void code_binary_backward(float *da, const float *p, const float *db, size_t N)
{
    for (size_t i = 0; i < N; i++)
        da[i] += db[i] * p[i] * (1.0f - p[i]);
}

void code_gauss_forward(float *z, float *eps, const float *a, size_t B, size_t K, nn_mode mode,
                        sh_rng *rng)
{
    for (size_t r = 0; r < B; r++) {
        const float *mu = a + r * 2 * K, *logvar = mu + K;
        float *zr = z + r * K, *er = eps + r * K;
        for (size_t k = 0; k < K; k++) {
            if (mode == NN_MODE_INFER) {
                zr[k] = mu[k];
                continue;
            }
            if (mode == NN_MODE_TRAIN)
                er[k] = rng_normal(rng);
            zr[k] = mu[k] + expf(0.5f * logvar[k]) * er[k];
        }
    }
}

void code_gauss_backward(float *da, const float *dz, const float *eps, const float *a,
                         size_t B, size_t K)
{
    for (size_t r = 0; r < B; r++) {
        const float *logvar = a + r * 2 * K + K;
        float *dmu = da + r * 2 * K, *dlogvar = dmu + K;
        const float *dzr = dz + r * K, *er = eps + r * K;
        for (size_t k = 0; k < K; k++) {
            dmu[k] += dzr[k];
            dlogvar[k] += dzr[k] * er[k] * 0.5f * expf(0.5f * logvar[k]);
        }
    }
}

double code_gauss_kl(float *da, const float *a, size_t B, size_t K, float weight)
{
    if (B == 0)
        return 0.0;
    double sum = 0.0;
    float scale = weight / (float)B;
    for (size_t r = 0; r < B; r++) {
        const float *mu = a + r * 2 * K, *logvar = mu + K;
        for (size_t k = 0; k < K; k++) {
            double var = exp((double)logvar[k]);
            sum += 0.5 * (var + (double)mu[k] * mu[k] - 1.0 - logvar[k]);
            if (da != NULL) {
                da[r * 2 * K + k] += scale * mu[k];
                da[r * 2 * K + K + k] += scale * 0.5f * ((float)var - 1.0f);
            }
        }
    }
    return weight * sum / (double)B;
}
