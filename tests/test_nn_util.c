/* test_nn_util.c — helpers for the nn, matrix and pca suites (no suite). */
#include "test_nn_util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

void tu_fill_uniform(sh_rng *rng, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * rng_uniform(rng);
}

void tu_fill_normal(sh_rng *rng, float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * rng_normal(rng);
}

void tu_random_csr(sh_rng *rng, sh_csr *m, size_t rows, size_t cols, double density,
                   int integral)
{
    ck_assert_int_eq(csr_init(m, cols), 0);
    uint32_t *idx = malloc((cols + 1) * sizeof(uint32_t));
    float *val = malloc((cols + 1) * sizeof(float));
    ck_assert(idx != NULL && val != NULL);
    for (size_t r = 0; r < rows; r++) {
        size_t n = 0;
        for (size_t c = 0; c < cols; c++) {
            if (rng_uniform_double(rng) < density) {
                idx[n] = (uint32_t)c;
                val[n] = integral ? (float)(1 + rng_below(rng, 4)) : 0.5f + 2.5f * rng_uniform(rng);
                n++;
            }
        }
        ck_assert_int_eq(csr_append_row(m, n, idx, val), 0);
    }
    free(idx);
    free(val);
}

double tu_max_rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double scale = fmax(1.0, fmax(fabs(a[i]), fabs(b[i])));
        double d = fabs((double)a[i] - b[i]) / scale;
        if (!(d <= worst)) /* also catches NaN */
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

double tu_grad_check(tu_loss_fn f, void *ctx, float *x, const float *grad, size_t n,
                     double h, double abs_floor, size_t max_checks)
{
    double worst = 0.0;
    size_t step = n > max_checks && max_checks > 0 ? (n + max_checks - 1) / max_checks : 1;
    for (size_t i = 0; i < n; i += step) {
        float saved = x[i];
        x[i] = (float)(saved + h);
        double hp = (double)x[i] - saved;
        double fp = f(ctx);
        x[i] = (float)(saved - h);
        double hm = saved - (double)x[i];
        double fm = f(ctx);
        x[i] = saved;
        double num = (fp - fm) / (hp + hm);
        double ana = grad[i];
        double err = fabs(num - ana) / fmax(abs_floor, fabs(num) + fabs(ana));
        if (!(err <= worst))
            worst = isnan(err) ? INFINITY : err;
    }
    return worst;
}
