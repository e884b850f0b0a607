/* test_nn_layers.c — finite-difference gradient checks of every layer,
 * activation, code layer, loss and regulariser, plus the behaviour of the
 * binary code at inference and in sampling. Scalar objectives are
 * L = sum r . output with a fixed random r, evaluated in double. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_code.h"
#include "nn_layers.h"
#include "nn_loss.h"
#include "test_nn_util.h"

#define GRAD_TOL 2e-2

static float *fvec(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    ck_assert(p != NULL);
    return p;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- dense layer ------------------------------------------------------ */

typedef struct {
    size_t B, I, O;
    float *inp, *W, *b, *out, *r;
    const sh_csr *x; /* sparse input instead of inp when non-NULL */
} dense_ctx;

static double dense_objective(void *p)
{
    dense_ctx *c = p;
    if (c->x != NULL)
        dense_forward_csr(c->out, c->x, c->W, c->b, c->O);
    else
        dense_forward(c->out, c->inp, c->W, c->b, c->B, c->I, c->O);
    return dot(c->out, c->r, c->B * c->O);
}

START_TEST(dense_layer_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 21);
    const size_t dims[][3] = { { 1, 1, 1 }, { 3, 5, 4 }, { 7, 2, 9 } };
    for (size_t t = 0; t < 3; t++) {
        dense_ctx c = { dims[t][0], dims[t][1], dims[t][2], 0, 0, 0, 0, 0, NULL };
        c.inp = fvec(c.B * c.I);
        c.W = fvec(c.I * c.O);
        c.b = fvec(c.O);
        c.out = fvec(c.B * c.O);
        c.r = fvec(c.B * c.O);
        float *dinp = fvec(c.B * c.I), *dW = fvec(c.I * c.O), *db = fvec(c.O);
        tu_fill_uniform(&rng, c.inp, c.B * c.I, -1, 1);
        tu_fill_uniform(&rng, c.W, c.I * c.O, -1, 1);
        tu_fill_uniform(&rng, c.b, c.O, -1, 1);
        tu_fill_uniform(&rng, c.r, c.B * c.O, -1, 1);
        dense_backward(dinp, dW, db, c.r, c.inp, c.W, c.B, c.I, c.O);
        ck_assert(tu_grad_check(dense_objective, &c, c.W, dW, c.I * c.O, 1e-2, 1e-3, 200) < GRAD_TOL);
        ck_assert(tu_grad_check(dense_objective, &c, c.b, db, c.O, 1e-2, 1e-3, 200) < GRAD_TOL);
        ck_assert(tu_grad_check(dense_objective, &c, c.inp, dinp, c.B * c.I, 1e-2, 1e-3, 200) < GRAD_TOL);
        /* backward accumulates: a second call doubles every gradient */
        float *dW2 = fvec(c.I * c.O);
        memcpy(dW2, dW, c.I * c.O * sizeof(float));
        dense_backward(NULL, dW2, db, c.r, c.inp, c.W, c.B, c.I, c.O);
        for (size_t i = 0; i < c.I * c.O; i++)
            ck_assert_float_eq_tol(dW2[i], 2 * dW[i], 1e-5);
        free(dW2);
        free(c.inp); free(c.W); free(c.b); free(c.out); free(c.r);
        free(dinp); free(dW); free(db);
    }
}
END_TEST

START_TEST(dense_layer_with_bias_row_matches_dense_layer)
{
    /* dense_forward_aug / dense_backward_aug ([W; b] as one matrix, the
     * input with a column of ones) compute what dense_forward /
     * dense_backward compute, gradients accumulating alike. */
    sh_rng rng;
    rng_seed(&rng, 23);
    const size_t dims[][3] = { { 1, 1, 1 }, { 3, 5, 4 }, { 17, 9, 33 }, { 128, 64, 300 } };
    for (size_t t = 0; t < sizeof(dims) / sizeof(dims[0]); t++) {
        size_t B = dims[t][0], I = dims[t][1], O = dims[t][2];
        float *inp = fvec(B * I), *Wb = fvec((I + 1) * O), *xa = fvec(B * (I + 1));
        float *out = fvec(B * O), *out_aug = fvec(B * O), *dout = fvec(B * O);
        float *dinp = fvec(B * I), *dinp_aug = fvec(B * I);
        float *dWb = fvec((I + 1) * O), *dWb_aug = fvec((I + 1) * O);
        tu_fill_uniform(&rng, inp, B * I, -1, 1);
        tu_fill_uniform(&rng, Wb, (I + 1) * O, -1, 1);
        tu_fill_uniform(&rng, dout, B * O, -1, 1);
        tu_fill_uniform(&rng, dinp, B * I, -1, 1);
        tu_fill_uniform(&rng, dWb, (I + 1) * O, -1, 1);
        memcpy(dinp_aug, dinp, B * I * sizeof(float));
        memcpy(dWb_aug, dWb, (I + 1) * O * sizeof(float));
        dense_forward(out, inp, Wb, Wb + I * O, B, I, O);
        dense_forward_aug(out_aug, xa, inp, Wb, B, I, O);
        ck_assert(tu_max_rel_diff(out, out_aug, B * O) < 1e-5);
        dense_backward(dinp, dWb, dWb + I * O, dout, inp, Wb, B, I, O);
        dense_backward_aug(dinp_aug, dWb_aug, dout, xa, Wb, B, I, O);
        ck_assert(tu_max_rel_diff(dinp, dinp_aug, B * I) < 1e-5);
        ck_assert(tu_max_rel_diff(dWb, dWb_aug, (I + 1) * O) < 1e-5);
        dense_backward_aug(NULL, dWb_aug, dout, xa, Wb, B, I, O); /* no dinp: skipped */
        free(inp); free(Wb); free(xa); free(out); free(out_aug); free(dout);
        free(dinp); free(dinp_aug); free(dWb); free(dWb_aug);
    }
}
END_TEST

START_TEST(dense_csr_layer_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 22);
    sh_csr x;
    tu_random_csr(&rng, &x, 6, 30, 0.2, 1);
    dense_ctx c = { 6, 30, 5, 0, 0, 0, 0, 0, &x };
    c.W = fvec(30 * 5);
    c.b = fvec(5);
    c.out = fvec(6 * 5);
    c.r = fvec(6 * 5);
    float *dW = fvec(30 * 5), *db = fvec(5), *dense = fvec(6 * 30), *out2 = fvec(6 * 5);
    tu_fill_uniform(&rng, c.W, 150, -1, 1);
    tu_fill_uniform(&rng, c.b, 5, -1, 1);
    tu_fill_uniform(&rng, c.r, 30, -1, 1);
    dense_backward_csr(dW, db, c.r, &x, 5);
    ck_assert(tu_grad_check(dense_objective, &c, c.W, dW, 150, 1e-2, 1e-3, 200) < GRAD_TOL);
    ck_assert(tu_grad_check(dense_objective, &c, c.b, db, 5, 1e-2, 1e-3, 200) < GRAD_TOL);
    /* same forward as the dense layer on the densified input */
    csr_to_dense(dense, &x);
    dense_objective(&c);
    dense_forward(out2, dense, c.W, c.b, 6, 30, 5);
    ck_assert(tu_max_rel_diff(c.out, out2, 30) < 1e-5);
    free(c.W); free(c.b); free(c.out); free(c.r); free(dW); free(db); free(dense); free(out2);
    csr_free(&x);
}
END_TEST

/* ---- activations -------------------------------------------------------- */

typedef struct {
    size_t n;
    sh_activation act;
    float *inp, *out, *r;
} act_ctx;

static double act_objective(void *p)
{
    act_ctx *c = p;
    act_forward(c->out, c->inp, c->n, c->act);
    return dot(c->out, c->r, c->n);
}

START_TEST(activation_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 23);
    const size_t n = 41;
    for (int a = SH_ACT_LINEAR; a <= SH_ACT_TANH; a++) {
        act_ctx c = { n, (sh_activation)a, fvec(n), fvec(n), fvec(n) };
        float *dinp = fvec(n);
        tu_fill_uniform(&rng, c.inp, n, -3, 3);
        for (size_t i = 0; i < n; i++) /* keep relu's kink out of reach of h */
            if (fabsf(c.inp[i]) < 0.1f)
                c.inp[i] = 0.5f;
        tu_fill_uniform(&rng, c.r, n, -1, 1);
        act_forward(c.out, c.inp, n, c.act);
        act_backward(dinp, c.out, c.r, n, c.act);
        /* in place (as the net's hidden layers use it): the same values
           (before the gradient check, which leaves c.out perturbed) */
        float *d = fvec(n);
        memcpy(d, c.r, n * sizeof(float));
        act_backward_inplace(d, c.out, n, c.act);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(d[i] == dinp[i], "activation %d, element %zu: %g in place, %g added",
                          a, i, (double)d[i], (double)dinp[i]);
        free(d);
        ck_assert_msg(tu_grad_check(act_objective, &c, c.inp, dinp, n, 1e-3, 1e-3, 100) < GRAD_TOL,
                      "activation %d", a);
        free(c.inp); free(c.out); free(c.r); free(dinp);
    }
    float v[3] = { -1000, 0, 1000 };
    act_forward(v, v, 3, SH_ACT_SIGMOID); /* in place, no overflow */
    ck_assert_float_eq(v[0], 0);
    ck_assert_float_eq(v[1], 0.5f);
    ck_assert_float_eq(v[2], 1);
}
END_TEST

/* ---- code layers ---------------------------------------------------------- */

typedef struct {
    size_t B, K;
    float *a, *b, *p, *eps, *r;
    float kl_weight;
} code_ctx;

static double binary_objective(void *p)
{
    code_ctx *c = p;
    code_binary_forward(c->b, c->p, c->a, c->B * c->K, NN_MODE_DETERMINISTIC, NULL);
    return dot(c->b, c->r, c->B * c->K);
}

START_TEST(binary_code_gradient_deterministic)
{
    sh_rng rng;
    rng_seed(&rng, 24);
    size_t B = 4, K = 9, N = B * K;
    code_ctx c = { B, K, fvec(N), fvec(N), fvec(N), NULL, fvec(N), 0 };
    float *da = fvec(N);
    tu_fill_uniform(&rng, c.a, N, -3, 3);
    tu_fill_uniform(&rng, c.r, N, -1, 1);
    binary_objective(&c);
    code_binary_backward(da, c.p, c.r, N);
    ck_assert(tu_grad_check(binary_objective, &c, c.a, da, N, 1e-3, 1e-3, 100) < GRAD_TOL);
    free(c.a); free(c.b); free(c.p); free(c.r); free(da);
}
END_TEST

START_TEST(binary_code_threshold_and_sampling)
{
    sh_rng rng;
    rng_seed(&rng, 25);
    size_t N = 64;
    float *a = fvec(N), *b = fvec(N), *p = fvec(N);
    tu_fill_uniform(&rng, a, N, -4, 4);
    a[0] = 0.0f; /* p = 0.5 exactly: not above the threshold */
    code_binary_forward(b, p, a, N, NN_MODE_INFER, NULL);
    for (size_t i = 0; i < N; i++)
        ck_assert_float_eq(b[i], p[i] > 0.5f ? 1.0f : 0.0f);
    ck_assert_float_eq(b[0], 0.0f);
    /* sampling: bits are 0/1 and their frequency follows p */
    double freq[64] = { 0 };
    const int draws = 4000;
    for (int d = 0; d < draws; d++) {
        code_binary_forward(b, p, a, N, NN_MODE_TRAIN, &rng);
        for (size_t i = 0; i < N; i++) {
            ck_assert(b[i] == 0.0f || b[i] == 1.0f);
            freq[i] += b[i];
        }
    }
    for (size_t i = 0; i < N; i++)
        ck_assert_double_eq_tol(freq[i] / draws, p[i], 0.04);
    free(a); free(b); free(p);
}
END_TEST

static double gauss_objective(void *p)
{
    code_ctx *c = p;
    code_gauss_forward(c->b, c->eps, c->a, c->B, c->K, NN_MODE_DETERMINISTIC, NULL);
    return dot(c->b, c->r, c->B * c->K) + code_gauss_kl(NULL, c->a, c->B, c->K, c->kl_weight);
}

START_TEST(gaussian_code_and_kl_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 26);
    size_t B = 3, K = 5;
    code_ctx c = { B, K, fvec(B * 2 * K), fvec(B * K), NULL, fvec(B * K), fvec(B * K), 0.7f };
    float *da = fvec(B * 2 * K);
    tu_fill_uniform(&rng, c.a, B * 2 * K, -1.5f, 1.5f);
    tu_fill_uniform(&rng, c.r, B * K, -1, 1);
    code_gauss_forward(c.b, c.eps, c.a, B, K, NN_MODE_TRAIN, &rng); /* draws eps once */
    double kl = code_gauss_kl(da, c.a, B, K, c.kl_weight);
    code_gauss_backward(da, c.r, c.eps, c.a, B, K);
    ck_assert(tu_grad_check(gauss_objective, &c, c.a, da, B * 2 * K, 1e-3, 1e-3, 100) < GRAD_TOL);
    /* KL by its closed form for one entry, mu = 0, logvar = 0 gives 0 */
    ck_assert(kl > 0);
    float zero[2] = { 0, 0 };
    ck_assert_double_eq_tol(code_gauss_kl(NULL, zero, 1, 1, 1.0f), 0.0, 1e-12);
    /* inference: z = mu */
    code_gauss_forward(c.b, c.eps, c.a, B, K, NN_MODE_INFER, NULL);
    for (size_t r = 0; r < B; r++)
        for (size_t k = 0; k < K; k++)
            ck_assert_float_eq(c.b[r * K + k], c.a[r * 2 * K + k]);
    free(c.a); free(c.b); free(c.eps); free(c.r); free(da);
}
END_TEST

/* ---- losses ------------------------------------------------------------- */

typedef struct {
    int kind; /* 0 mse, 1 bce, 2 softmax */
    size_t B, D;
    float *x, *t, *prob;
    const sh_csr *tc;
} loss_ctx;

static double loss_value(loss_ctx *c, float *dx)
{
    switch (c->kind) {
    case 0: return loss_mse(dx, c->x, c->t, c->B, c->D);
    case 1: return loss_bce_logits(dx, c->prob, c->x, c->t, c->B, c->D);
    default: return loss_softmax_csr(dx, c->prob, c->x, c->tc, c->D);
    }
}

static double loss_objective(void *p)
{
    return loss_value(p, NULL);
}

START_TEST(loss_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 27);
    size_t B = 5, D = 13;
    sh_csr tc;
    tu_random_csr(&rng, &tc, B, D, 0.3, 1);
    for (int kind = 0; kind < 3; kind++) {
        loss_ctx c = { kind, B, D, fvec(B * D), fvec(B * D), fvec(B * D), &tc };
        float *dx = fvec(B * D);
        tu_fill_uniform(&rng, c.x, B * D, -3, 3);
        tu_fill_uniform(&rng, c.t, B * D, 0, 1);
        double v = loss_value(&c, dx);
        ck_assert(isfinite(v) && v > 0);
        ck_assert_msg(tu_grad_check(loss_objective, &c, c.x, dx, B * D, 1e-3, 1e-3, 100) < GRAD_TOL,
                      "loss %d", kind);
        free(c.x); free(c.t); free(c.prob); free(dx);
    }
    csr_free(&tc);
}
END_TEST

/* The vectorised BCE (four at a time, plus a scalar remainder) against
 * the formula in double, element by element through prob and dx. */
START_TEST(bce_matches_a_double_reference)
{
    sh_rng rng;
    rng_seed(&rng, 31);
    size_t B = 7, D = 1001; /* B * D not a multiple of 4 */
    size_t n = B * D;
    float *x = fvec(n), *t = fvec(n), *prob = fvec(n), *dx = fvec(n);
    tu_fill_uniform(&rng, x, n, -30, 30);
    tu_fill_uniform(&rng, t, n, 0, 1);
    x[0] = 0.0f;
    x[1] = -0.0f;
    x[2] = 1e-6f;
    x[n - 1] = -1e-6f;
    double want = 0.0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i];
        double l = (xi > 0 ? xi : 0.0) - xi * t[i] + log1p(exp(-fabs(xi)));
        want += l;
        dx[i] = 0.5f;
    }
    double got = loss_bce_logits(dx, prob, x, t, B, D);
    ck_assert_double_eq_tol(got, want / (double)B, 1e-6 * (want / (double)B));
    for (size_t i = 0; i < n; i++) {
        double p = 1.0 / (1.0 + exp(-(double)x[i]));
        ck_assert_msg(fabs(prob[i] - p) <= 1e-6 * p + 1e-30, "prob %zu: %g vs %g", i, prob[i], p);
        double g = 0.5 + (p - t[i]) / (double)B;
        ck_assert_msg(fabs(dx[i] - g) <= 1e-6, "dx %zu: %g vs %g", i, dx[i], g);
    }
    free(x); free(t); free(prob); free(dx);
}
END_TEST

START_TEST(loss_values_are_stable_and_match_definitions)
{
    /* BCE from huge logits stays finite; equals the naive formula
     * in the safe range. */
    float x[4] = { -200, 200, 0.3f, -1.2f }, t[4] = { 1, 0, 1, 0 }, prob[4];
    double v = loss_bce_logits(NULL, prob, x, t, 1, 4);
    ck_assert(isfinite(v));
    ck_assert_double_eq_tol(v, 400.0 - log(1 / (1 + exp(-0.3))) - log(1 - 1 / (1 + exp(1.2))),
                            1e-4);
    /* softmax NLL: a row with one count of word 1 over 3 equal logits */
    sh_csr tc;
    ck_assert_int_eq(csr_init(&tc, 3), 0);
    uint32_t idx[1] = { 1 };
    float val[1] = { 2 };
    ck_assert_int_eq(csr_append_row(&tc, 1, idx, val), 0);
    float lx[3] = { 5, 5, 5 }, lp[3];
    ck_assert_double_eq_tol(loss_softmax_csr(NULL, lp, lx, &tc, 3), 2 * log(3.0), 1e-5);
    ck_assert_float_eq_tol(lp[0], 1.0f / 3, 1e-6);
    csr_free(&tc);
    float y[2] = { 1, 3 }, tt[2] = { 0, 1 };
    ck_assert_double_eq_tol(loss_mse(NULL, y, tt, 2, 1), (1 + 4) / 2.0, 1e-9);
}
END_TEST

START_TEST(softmax_matches_a_double_reference)
{
    /* softmax_row computes its own exponential (vectorised): every
     * probability within 1e-6 relative of exp in double (plus what
     * rounding x - max to a float costs: |x - max| ulp), for widths with
     * and without a remainder of four, logits far below the maximum
     * (probabilities that underflow to 0 or nearly), and a row whose
     * maximum is last. */
    sh_rng rng;
    rng_seed(&rng, 29);
    const size_t widths[] = { 1, 3, 4, 7, 64, 1001, 10000 };
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        size_t V = widths[w];
        float *x = fvec(V), *p = fvec(V);
        tu_fill_uniform(&rng, x, V, -40, 10);
        if (V > 2) {
            x[1] = -300;      /* exp underflows: must be 0 or tiny */
            x[V - 1] = 25;    /* the maximum, last */
        }
        double max = x[0], z = 0;
        for (size_t v = 0; v < V; v++)
            max = x[v] > max ? x[v] : max;
        for (size_t v = 0; v < V; v++)
            z += exp((double)x[v] - max);
        double lse = softmax_row(p, x, V);
        ck_assert_double_eq_tol(lse, max + log(z), 1e-6 * (1 + fabs(max + log(z))));
        double sum = 0;
        for (size_t v = 0; v < V; v++) {
            double want = exp((double)x[v] - max) / z;
            double tol = (1e-6 + fabs((double)x[v] - max) * 6e-8) * want + 1e-37;
            ck_assert_msg(fabs(p[v] - want) <= tol, "V %zu v %zu: %g vs %g", V, v, p[v], want);
            sum += p[v];
        }
        ck_assert_double_eq_tol(sum, 1.0, 1e-5);
        free(x);
        free(p);
    }
    /* exact values: equal logits give 1/V; a 0/-ln 2 pair gives 2/3, 1/3 */
    float x2[5] = { 2, 2, 2, 2, 2 }, p2[5];
    softmax_row(p2, x2, 5);
    for (int v = 0; v < 5; v++)
        ck_assert_float_eq_tol(p2[v], 0.2f, 1e-7f);
    float x3[2] = { 0, (float)-log(2.0) }, p3[2];
    softmax_row(p3, x3, 2);
    ck_assert_float_eq_tol(p3[0], 2.0f / 3, 1e-7f);
    ck_assert_float_eq_tol(p3[1], 1.0f / 3, 1e-7f);
    /* a batch big enough for threads: the same loss and bits on 1 and 2 */
    {
        size_t B = 96, V = 1500;
        sh_csr tc;
        tu_random_csr(&rng, &tc, B, V, 0.01, 1);
        float *x = fvec(B * V), *p1 = fvec(B * V), *p2 = fvec(B * V);
        float *d1 = fvec(B * V), *d2 = fvec(B * V);
        tu_fill_uniform(&rng, x, B * V, -5, 5);
        int before = mat_get_threads();
        mat_set_threads(1);
        double l1 = loss_softmax_csr(d1, p1, x, &tc, V);
        mat_set_threads(2);
        double l2 = loss_softmax_csr(d2, p2, x, &tc, V);
        mat_set_threads(before);
        ck_assert(l1 == l2);
        ck_assert(memcmp(p1, p2, B * V * sizeof(float)) == 0);
        ck_assert(memcmp(d1, d2, B * V * sizeof(float)) == 0);
        free(x); free(p1); free(p2); free(d1); free(d2);
        csr_free(&tc);
    }
    /* a NaN logit makes its row NaN instead of vanishing */
    float x4[6] = { 1, 2, NAN, 0, 1, 2 }, p4[6];
    softmax_row(p4, x4, 6);
    ck_assert(isnan(p4[2]));
}
END_TEST

/* ---- regularisers -------------------------------------------------------- */

typedef struct {
    int kind; /* 0 weight decay, 1 KL sparsity, 2 Bernoulli KL */
    size_t B, K;
    float *h;
} reg_ctx;

static double reg_value(reg_ctx *c, float *dh)
{
    switch (c->kind) {
    case 0: return reg_weight_decay(dh, c->h, c->B * c->K, 0.3f);
    case 1: return reg_kl_sparsity(dh, c->h, c->B, c->K, 0.05f, 0.8f);
    default: return reg_bernoulli_kl(dh, c->h, c->B, c->K, 0.6f);
    }
}

static double reg_objective(void *p)
{
    return reg_value(p, NULL);
}

START_TEST(regulariser_gradients)
{
    sh_rng rng;
    rng_seed(&rng, 28);
    for (int kind = 0; kind < 3; kind++) {
        reg_ctx c = { kind, 6, 7, fvec(42) };
        float *dh = fvec(42);
        tu_fill_uniform(&rng, c.h, 42, kind == 0 ? -2 : 0.05f, kind == 0 ? 2 : 0.95f);
        double v = reg_value(&c, dh);
        ck_assert(v > 0);
        ck_assert_msg(tu_grad_check(reg_objective, &c, c.h, dh, 42, 1e-3, 1e-3, 100) < GRAD_TOL,
                      "regulariser %d", kind);
        free(c.h);
        free(dh);
    }
    /* minima: activations at rho, probabilities at one half */
    float at_rho[4] = { 0.05f, 0.05f, 0.05f, 0.05f }, half[4] = { 0.5f, 0.5f, 0.5f, 0.5f };
    ck_assert_double_eq_tol(reg_kl_sparsity(NULL, at_rho, 2, 2, 0.05f, 1), 0, 1e-6);
    ck_assert_double_eq_tol(reg_bernoulli_kl(NULL, half, 2, 2, 1), 0, 1e-6);
}
END_TEST

START_TEST(empty_batches)
{
    float x[2] = { 1, 2 }, d[2] = { 0, 0 };
    sh_csr t;
    ck_assert_int_eq(csr_init(&t, 2), 0);
    ck_assert_double_eq(loss_mse(d, x, x, 0, 2), 0);
    ck_assert_double_eq(loss_bce_logits(d, NULL, x, x, 0, 2), 0);
    ck_assert_double_eq(loss_softmax_csr(d, x, x, &t, 2), 0);
    ck_assert_double_eq(reg_kl_sparsity(d, x, 0, 2, 0.1f, 1), 0);
    ck_assert_double_eq(reg_bernoulli_kl(d, x, 0, 2, 1), 0);
    ck_assert_double_eq(code_gauss_kl(d, x, 0, 1, 1), 0);
    ck_assert_float_eq(d[0], 0);
    ck_assert_float_eq(d[1], 0);
    csr_free(&t);
}
END_TEST

Suite *nn_layers_suite(void)
{
    Suite *s = suite_create("nn_layers");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(core, dense_layer_gradients);
    tcase_add_test(core, dense_layer_with_bias_row_matches_dense_layer);
    tcase_add_test(core, dense_csr_layer_gradients);
    tcase_add_test(core, activation_gradients);
    tcase_add_test(core, binary_code_gradient_deterministic);
    tcase_add_test(core, binary_code_threshold_and_sampling);
    tcase_add_test(core, gaussian_code_and_kl_gradients);
    tcase_add_test(core, loss_gradients);
    tcase_add_test(core, loss_values_are_stable_and_match_definitions);
    tcase_add_test(core, bce_matches_a_double_reference);
    tcase_add_test(core, softmax_matches_a_double_reference);
    tcase_add_test(core, regulariser_gradients);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(limits, empty_batches);
    suite_add_tcase(s, limits);
    return s;
}
