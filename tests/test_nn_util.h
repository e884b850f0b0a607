/* test_nn_util.h — helpers shared by the nn, matrix and pca suites:
 * seeded random fills, random CSR matrices, and central finite differences
 * in double for gradient checks. Test code only. */
#ifndef SH_TEST_NN_UTIL_H
#define SH_TEST_NN_UTIL_H

#include <stddef.h>

#include "matrix.h"
#include "rng.h"

/* Fills x[n] with uniform values in [lo, hi). */
void tu_fill_uniform(sh_rng *rng, float *x, size_t n, float lo, float hi);

/* Fills x[n] with normal values times scale. */
void tu_fill_normal(sh_rng *rng, float *x, size_t n, float scale);

/* A random rows x cols CSR matrix with each entry present with
 * probability density, values in [0.5, 3) (counts-like when integral is
 * set: values 1..4). Aborts the test on allocation failure. */
void tu_random_csr(sh_rng *rng, sh_csr *m, size_t rows, size_t cols, double density,
                   int integral);

/* Largest |a - b| / max(1, |a|, |b|) over n pairs. */
double tu_max_rel_diff(const float *a, const float *b, size_t n);

/* A scalar function of the current state, evaluated in double by the
 * caller's closure. */
typedef double (*tu_loss_fn)(void *ctx);

/* Central finite-difference check of analytic gradients: for every i in
 * [0, n) (or a seeded sample of at most max_checks indices when n is
 * larger), perturbs x[i] by +-h, evaluates f, and compares
 * (f+ - f-) / 2h with grad[i]. Returns the worst relative error
 * |num - ana| / max(abs_floor, |num| + |ana|). x is restored. */
double tu_grad_check(tu_loss_fn f, void *ctx, float *x, const float *grad, size_t n,
                     double h, double abs_floor, size_t max_checks);

#endif
