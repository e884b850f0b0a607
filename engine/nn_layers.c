/* nn_layers.c — dense layers (dense or CSR input) and activations.
 * Products go through matrix.h; this file knows no BLAS. */
#include "nn_layers.h"

#include <math.h>
#include <string.h>

float nn_sigmoidf(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* Copies b[O] into every row of out[B,O]. */
static void broadcast_bias(float *out, const float *b, size_t B, size_t O)
{
    for (size_t r = 0; r < B; r++)
        memcpy(out + r * O, b, O * sizeof(float));
}

/* y[n] += x[n], not overlapping: fixed-count blocks (vectorised at -O2),
 * then the remainder; the same additions as the plain loop. */
static void add_row(float *restrict y, const float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            y[i + j] += x[i + j];
    for (; i < n; i++)
        y[i] += x[i];
}

/* db[O] += column sums of dout[B,O]. */
static void bias_backward(float *db, const float *dout, size_t B, size_t O)
{
    for (size_t r = 0; r < B; r++)
        add_row(db, dout + r * O, O);
}

void dense_forward(float *out, const float *inp, const float *W, const float *b,
                   size_t B, size_t I, size_t O)
{
    broadcast_bias(out, b, B, O);
    mat_gemm(0, 0, B, O, I, 1.0f, inp, I, W, O, 1.0f, out, O);
}

void dense_backward(float *dinp, float *dW, float *db, const float *dout,
                    const float *inp, const float *W, size_t B, size_t I, size_t O)
{
    if (dinp != NULL)
        mat_gemm(0, 1, B, I, O, 1.0f, dout, O, W, O, 1.0f, dinp, I);
    mat_gemm(1, 0, I, O, B, 1.0f, inp, I, dout, O, 1.0f, dW, O);
    bias_backward(db, dout, B, O);
}

void dense_forward_aug(float *out, float *xa, const float *inp, const float *Wb, size_t B,
                       size_t I, size_t O)
{
    for (size_t r = 0; r < B; r++) {
        memcpy(xa + r * (I + 1), inp + r * I, I * sizeof(float));
        xa[r * (I + 1) + I] = 1.0f;
    }
    mat_gemm(0, 0, B, O, I + 1, 1.0f, xa, I + 1, Wb, O, 0.0f, out, O);
}

void dense_backward_aug(float *dinp, float *dWb, const float *dout, const float *xa,
                        const float *W, size_t B, size_t I, size_t O)
{
    if (dinp != NULL)
        mat_gemm(0, 1, B, I, O, 1.0f, dout, O, W, O, 1.0f, dinp, I);
    mat_gemm(1, 0, I + 1, O, B, 1.0f, xa, I + 1, dout, O, 1.0f, dWb, O);
}

void dense_forward_csr(float *out, const sh_csr *x, const float *W, const float *b, size_t O)
{
    broadcast_bias(out, b, x->rows, O);
    csr_dense_mul(out, x, W, O, 1);
}

void dense_backward_csr(float *dW, float *db, const float *dout, const sh_csr *x, size_t O)
{
    csr_t_dense_mul(dW, x, dout, O);
    bias_backward(db, dout, x->rows, O);
}

/* out[n] = max(inp[n], 0), out and inp not overlapping: fixed-count
 * blocks, which the compiler vectorises at -O2. */
static void relu_copy(float *restrict out, const float *restrict inp, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            out[i + j] = inp[i + j] > 0.0f ? inp[i + j] : 0.0f;
    for (; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

/* dinp[n] += dout[n] where out[n] > 0 (three separate arrays). */
static void relu_backward(float *restrict dinp, const float *restrict out,
                          const float *restrict dout, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            dinp[i + j] += out[i + j] > 0.0f ? dout[i + j] : 0.0f;
    for (; i < n; i++)
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

void act_forward(float *out, const float *inp, size_t N, sh_activation act)
{
    switch (act) {
    case SH_ACT_RELU:
        if (out != inp)
            relu_copy(out, inp, N);
        else /* in place: no caller on a hot path */
            for (size_t i = 0; i < N; i++)
                out[i] = out[i] > 0.0f ? out[i] : 0.0f;
        break;
    case SH_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            out[i] = nn_sigmoidf(inp[i]);
        break;
    case SH_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            out[i] = tanhf(inp[i]);
        break;
    case SH_ACT_LINEAR:
    default:
        if (out != inp)
            memmove(out, inp, N * sizeof(float));
        break;
    }
}

/* d[n] = 0 where out[n] <= 0 (two separate arrays). */
static void relu_mask(float *restrict d, const float *restrict out, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            d[i + j] = out[i + j] > 0.0f ? d[i + j] : 0.0f;
    for (; i < n; i++)
        d[i] = out[i] > 0.0f ? d[i] : 0.0f;
}

void act_backward_inplace(float *d, const float *out, size_t N, sh_activation act)
{
    switch (act) {
    case SH_ACT_RELU:
        relu_mask(d, out, N);
        break;
    case SH_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            d[i] = d[i] * out[i] * (1.0f - out[i]); /* act_backward's order */
        break;
    case SH_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            d[i] = d[i] * (1.0f - out[i] * out[i]);
        break;
    case SH_ACT_LINEAR:
    default:
        break;
    }
}

void act_backward(float *dinp, const float *out, const float *dout, size_t N, sh_activation act)
{
    switch (act) {
    case SH_ACT_RELU:
        relu_backward(dinp, out, dout, N);
        break;
    case SH_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
        break;
    case SH_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
        break;
    case SH_ACT_LINEAR:
    default:
        for (size_t i = 0; i < N; i++)
            dinp[i] += dout[i];
        break;
    }
}
