/* nn_loss.c — MSE, binary cross-entropy from logits, softmax multinomial
 * likelihood against sparse counts; L2, KL sparsity and Bernoulli(0.5) KL
 * regularisers. Sums run in double. */
#include "nn_loss.h"

#include <math.h>

double loss_mse(float *dy, const float *y, const float *t, size_t B, size_t D)
{
    if (B == 0)
        return 0.0;
    double sum = 0.0;
    float scale = 2.0f / (float)B;
    for (size_t i = 0; i < B * D; i++) {
        float diff = y[i] - t[i];
        sum += (double)diff * diff;
        if (dy != NULL)
            dy[i] += scale * diff;
    }
    return sum / (double)B;
}

double loss_bce_logits(float *dx, float *prob, const float *x, const float *t, size_t B, size_t D)
{
    if (B == 0)
        return 0.0;
    double sum = 0.0;
    float scale = 1.0f / (float)B;
    for (size_t i = 0; i < B * D; i++) {
        double xi = x[i];
        sum += (xi > 0 ? xi : 0.0) - xi * t[i] + log1p(exp(-fabs(xi)));
        float p = xi >= 0 ? (float)(1.0 / (1.0 + exp(-xi))) : (float)(exp(xi) / (1.0 + exp(xi)));
        if (prob != NULL)
            prob[i] = p;
        if (dx != NULL)
            dx[i] += scale * (p - t[i]);
    }
    return sum / (double)B;
}

double softmax_row(float *prob, const float *x, size_t V)
{
    if (V == 0)
        return 0.0;
    float max = x[0];
    for (size_t v = 1; v < V; v++)
        max = x[v] > max ? x[v] : max;
    double z = 0.0;
    for (size_t v = 0; v < V; v++) {
        prob[v] = expf(x[v] - max);
        z += prob[v];
    }
    float inv = (float)(1.0 / z);
    for (size_t v = 0; v < V; v++)
        prob[v] *= inv;
    return (double)max + log(z);
}

double loss_softmax_csr(float *dx, float *prob, const float *x, const sh_csr *t, size_t V)
{
    size_t B = t->rows;
    if (B == 0)
        return 0.0;
    double sum = 0.0;
    float scale = 1.0f / (float)B;
    for (size_t r = 0; r < B; r++) {
        const float *xr = x + r * V;
        float *pr = prob + r * V;
        double log_z = softmax_row(pr, xr, V);
        double count = 0.0;
        for (size_t i = t->row_ptr[r]; i < t->row_ptr[r + 1]; i++) {
            double c = t->values[i];
            sum -= c * ((double)xr[t->col_idx[i]] - log_z);
            count += c;
        }
        if (dx != NULL) {
            float *dr = dx + r * V;
            float n = (float)count * scale;
            for (size_t v = 0; v < V; v++)
                dr[v] += n * pr[v];
            for (size_t i = t->row_ptr[r]; i < t->row_ptr[r + 1]; i++)
                dr[t->col_idx[i]] -= scale * t->values[i];
        }
    }
    return sum / (double)B;
}

double reg_weight_decay(float *dW, const float *W, size_t N, float lambda)
{
    double sum = 0.0;
    for (size_t i = 0; i < N; i++) {
        sum += (double)W[i] * W[i];
        if (dW != NULL)
            dW[i] += lambda * W[i];
    }
    return 0.5 * lambda * sum;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

double reg_kl_sparsity(float *dh, const float *h, size_t B, size_t K, float rho, float beta)
{
    if (B == 0)
        return 0.0;
    double value = 0.0;
    for (size_t k = 0; k < K; k++) {
        double mean = 0.0;
        for (size_t r = 0; r < B; r++)
            mean += h[r * K + k];
        mean = clamp(mean / (double)B, 1e-6, 1.0 - 1e-6);
        value += rho * log(rho / mean) + (1.0 - rho) * log((1.0 - rho) / (1.0 - mean));
        if (dh != NULL) {
            float g = (float)(beta / (double)B * (-rho / mean + (1.0 - rho) / (1.0 - mean)));
            for (size_t r = 0; r < B; r++)
                dh[r * K + k] += g;
        }
    }
    return beta * value;
}

double reg_bernoulli_kl(float *dp, const float *p, size_t B, size_t K, float weight)
{
    if (B == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < B * K; i++) {
        double q = clamp(p[i], 1e-7, 1.0 - 1e-7);
        sum += q * log(q) + (1.0 - q) * log(1.0 - q) + log(2.0);
        if (dp != NULL)
            dp[i] += (float)(weight / (double)B * log(q / (1.0 - q)));
    }
    return weight * sum / (double)B;
}
