/* nn_layers.h — dense layers and activations: plain forward/backward pairs.
 *
 * Legend: B = batch rows, I = layer input width, O = layer output width,
 * V = sparse (vocabulary) input width, N = element count.
 * One argument order everywhere: outputs, inputs, weights, sizes. Gradient
 * buffers carry a `d` prefix and every backward ACCUMULATES (+=) into
 * them, so the caller zeroes them once per step. Weights are stored
 * W[I,O] row-major (input-major, as the sparse first layer needs), so
 * out = inp . W + b. Nothing here allocates or fails.
 */
#ifndef SH_NN_LAYERS_H
#define SH_NN_LAYERS_H

#include <stddef.h>

#include "config.h" /* sh_activation */
#include "matrix.h"

/* out[B,O] = inp[B,I] . W[I,O] + b[O] */
void dense_forward(float *out, const float *inp, const float *W, const float *b,
                   size_t B, size_t I, size_t O);

/* dinp[B,I] += dout . W^T (skipped when dinp is NULL), dW[I,O] += inp^T .
 * dout, db[O] += column sums of dout[B,O]. */
void dense_backward(float *dinp, float *dW, float *db, const float *dout,
                    const float *inp, const float *W, size_t B, size_t I, size_t O);

/* The same layer with the bias as one more row of weights, so that one
 * product computes it (no broadcast of b before, no column sums for db
 * after): Wb[I+1,O] is W[I,O] followed by b[O] (as the network's arenas
 * lay them out). xa[B,I+1] receives [inp | 1]; keep it for the backward.
 * out[B,O] = xa . Wb. */
void dense_forward_aug(float *out, float *xa, const float *inp, const float *Wb, size_t B,
                       size_t I, size_t O);

/* Backward of dense_forward_aug: dinp[B,I] += dout . W^T (skipped when dinp
 * is NULL; W = the first I rows of Wb), dWb[I+1,O] += xa^T . dout (dW
 * followed by db). */
void dense_backward_aug(float *dinp, float *dWb, const float *dout, const float *xa,
                        const float *W, size_t B, size_t I, size_t O);

/* out[B,O] = X[B,V] . W[V,O] + b[O] with X sparse (B = x->rows). */
void dense_forward_csr(float *out, const sh_csr *x, const float *W, const float *b, size_t O);

/* dW[V,O] += X^T . dout (only rows of dW that X names), db[O] += column
 * sums of dout. No input gradient: a sparse input is data. */
void dense_backward_csr(float *dW, float *db, const float *dout, const sh_csr *x, size_t O);

/* out[N] = act(inp[N]); out may be inp (in place) but not overlap it
 * otherwise. */
void act_forward(float *out, const float *inp, size_t N, sh_activation act);

/* dinp[N] += act'(.) * dout[N], computed from the activation's OUTPUT
 * out[N] (relu: out > 0; sigmoid: out(1-out); tanh: 1-out^2). The three
 * arrays do not overlap. */
void act_backward(float *dinp, const float *out, const float *dout, size_t N, sh_activation act);

/* The same gradient in place: d (dL/d out on entry) becomes dL/d inp,
 * d[n] *= act'(n) from out[n]; d and out must not overlap. Each element
 * gets the value act_backward adds to a zeroed dinp (a zero's sign
 * aside), without a zeroed array to add to. Cannot fail. */
void act_backward_inplace(float *d, const float *out, size_t N, sh_activation act);

/* Numerically safe logistic function. */
float nn_sigmoidf(float x);

#endif
