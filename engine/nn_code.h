/* nn_code.h — code layers: the bottleneck of an autoencoder.
 *
 * Legend: B = batch rows, K = code units, N = B * K elements.
 * Kinds: real (an activation on the pre-activation, identity by default),
 * binary (p = sigmoid(a), stochastic bits with a straight-through
 * gradient, a threshold at inference), Gaussian (VAE: the pre-activation
 * holds mu and logvar, z = mu + exp(logvar / 2) * eps).
 * Backward functions accumulate. Nothing here allocates or fails.
 */
#ifndef SH_NN_CODE_H
#define SH_NN_CODE_H

#include <stddef.h>

#include "rng.h"

typedef enum {
    NN_CODE_REAL = 0,
    NN_CODE_BINARY = 1,
    NN_CODE_GAUSSIAN = 2
} nn_code_kind;

/* How stochastic layers behave in a forward pass. */
typedef enum {
    NN_MODE_TRAIN = 0,         /* binary: b ~ Bernoulli(p); Gaussian: eps ~ N(0, 1) drawn */
    NN_MODE_DETERMINISTIC = 1, /* no randomness drawn: binary b = p; Gaussian reuses
                                  the eps already in its buffer (gradient checks,
                                  "deterministic training") */
    NN_MODE_INFER = 2          /* binary b = [p > 0.5]; Gaussian z = mu */
} nn_mode;

/* p[N] = sigmoid(a[N]); b[N] as the mode says. rng is used only in
 * NN_MODE_TRAIN (N uniform draws, in element order). */
void code_binary_forward(float *b, float *p, const float *a, size_t N, nn_mode mode, sh_rng *rng);

/* Straight-through: da[N] += db[N] * p(1 - p), i.e. b treated as p. */
void code_binary_backward(float *da, const float *p, const float *db, size_t N);

/* a[B,2K] holds, per row, mu in columns [0, K) and logvar in [K, 2K).
 * z[B,K] = mu + exp(logvar / 2) * eps. eps[B,K] is drawn in
 * NN_MODE_TRAIN (B*K normals in row order), kept as is in
 * NN_MODE_DETERMINISTIC and ignored in NN_MODE_INFER (z = mu). */
void code_gauss_forward(float *z, float *eps, const float *a, size_t B, size_t K, nn_mode mode,
                        sh_rng *rng);

/* da[B,2K] += d z / d (mu, logvar) . dz[B,K] with eps as used forward:
 * dmu += dz, dlogvar += dz * eps * exp(logvar / 2) / 2. */
void code_gauss_backward(float *da, const float *dz, const float *eps, const float *a,
                         size_t B, size_t K);

/* weight * mean over rows of KL(N(mu, exp(logvar)) || N(0, I)) =
 * weight / B * sum 0.5 (exp(logvar) + mu^2 - 1 - logvar). Adds its gradient
 * to da[B,2K] when da is non-NULL. Returns the value. */
double code_gauss_kl(float *da, const float *a, size_t B, size_t K, float weight);

#endif
