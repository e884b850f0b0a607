/* nn_loss.h — reconstruction losses and regularisers, each a value and
 * its gradient.
 *
 * Legend: B = batch rows, D = output width, V = vocabulary, K = code
 * units, N = element count.
 * Convention: a loss is summed over the features of a row and averaged
 * over the B rows of the batch (per-example loss, as the VAE's evidence
 * bound wants). Gradients are taken with respect to the PRE-activation of
 * the output (the logits) and ADDED to the d buffer; a NULL d buffer
 * means "value only". Nothing here allocates or fails; B == 0 gives 0.
 */
#ifndef SH_NN_LOSS_H
#define SH_NN_LOSS_H

#include <stddef.h>

#include "matrix.h"

/* Linear output + squared error: (1/B) sum (y - t)^2 over y[B,D],
 * t[B,D]; dy += 2 (y - t) / B. */
double loss_mse(float *dy, const float *y, const float *t, size_t B, size_t D);

/* Sigmoid output + binary cross-entropy from logits x[B,D] against
 * t[B,D] in [0, 1], computed stably as max(x,0) - x t + log(1 + e^-|x|);
 * prob[B,D] = sigmoid(x) (may be NULL); dx += (sigmoid(x) - t) / B. */
double loss_bce_logits(float *dx, float *prob, const float *x, const float *t, size_t B, size_t D);

/* Softmax output + multinomial negative log-likelihood against a sparse
 * count target t (B = t->rows rows over V = t->cols words):
 * -(1/B) sum_b sum_{v in row b} c_bv log softmax(x_b)_v. prob[B,V]
 * receives the dense softmax (required: the gradient needs it);
 * dx[B,V] += (n_b prob_b - c_b) / B with n_b the row's total count.
 * The target is never densified. Large batches (B x V above 65,536) are
 * split by rows over mat_get_threads() threads; the value and every
 * gradient bit are the same on any number of threads. */
double loss_softmax_csr(float *dx, float *prob, const float *x, const sh_csr *t, size_t V);

/* prob[V] = softmax(x[V]) computed stably; returns log sum exp(x), so
 * log prob_v = x_v - (return value) without underflow. */
double softmax_row(float *prob, const float *x, size_t V);

/* Weight decay (L2): 0.5 * lambda * sum W^2 over W[N]; dW += lambda W. */
double reg_weight_decay(float *dW, const float *W, size_t N, float lambda);

/* KL sparsity on activations h[B,K] in (0, 1): with rho_hat_k the batch
 * mean of unit k, beta * sum_k KL(rho || rho_hat_k); dh[B,K] +=
 * beta / B * (-rho / rho_hat_k + (1 - rho) / (1 - rho_hat_k)). rho_hat is
 * clamped to [1e-6, 1 - 1e-6]. Unlike the losses this is not divided by B
 * (it is a property of the batch, not a sum over rows). */
double reg_kl_sparsity(float *dh, const float *h, size_t B, size_t K, float rho, float beta);

/* KL of each code probability p[B,K] to Bernoulli(0.5), averaged over
 * rows: weight / B * sum (p log p + (1-p) log(1-p) + log 2);
 * dp += weight / B * log(p / (1 - p)). p is clamped to [1e-7, 1 - 1e-7]
 * inside the logarithms. */
double reg_bernoulli_kl(float *dp, const float *p, size_t B, size_t K, float weight);

#endif
