/* ae_vae.h — the generative blade: a variational autoencoder is the nn
 * core with a Gaussian code (reparameterised sample, KL to N(0, I) with
 * weight vae_kl = 1) and a Bernoulli decoder (sigmoid output + binary
 * cross-entropy on grey levels). This module adds what the core does not:
 * the held-out evidence lower bound in nats, samples from the prior, and
 * latent interpolation between two rows.
 *
 * Legend: N = rows, D = input width, K = latent units, S = samples.
 */
#ifndef SH_AE_VAE_H
#define SH_AE_VAE_H

#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"

/* Sets cfg up as a VAE over D inputs with the given encoder widths and K
 * latent units: Gaussian code, BCE loss, vae_kl 1, relu, mirrored decoder.
 * Cannot fail (cfg still goes through nn_config_check in nn_new). */
void ae_vae_config(nn_config *cfg, uint32_t D, const uint32_t *hidden, uint32_t n_hidden,
                   uint32_t K);

/* Mean ELBO per row, in nats, of the rows of in (dense, targets = the rows
 * themselves in [0, 1]): -(BCE(x, decoder(z)) + KL(q(z|x) || N(0, I))) with
 * z drawn S >= 1 times per row (seeded) and the S bounds averaged. The KL
 * is taken with weight 1 whatever cfg.vae_kl is. Returns 0, SH_EINVAL (not
 * a Gaussian-code BCE network, shapes) or SH_ENOMEM. */
int ae_vae_elbo(nn_net *net, const nn_data *in, int samples, uint64_t seed, double *elbo);

/* out[n,D] = decoder means for n latent vectors drawn from N(0, I)
 * (seeded). Returns 0, SH_EINVAL (not a Gaussian code) or SH_ENOMEM. */
int ae_vae_sample(nn_net *net, size_t n, uint64_t seed, float *out);

/* out[steps,D] = decoder means along the straight line between the latent
 * means of rows a[D] and b[D] (steps >= 2, both ends included). Returns 0,
 * SH_EINVAL or SH_ENOMEM. */
int ae_vae_interpolate(nn_net *net, const float *a, const float *b, size_t steps, float *out);

#endif
