/* nn_loss.c — MSE, binary cross-entropy from logits, softmax multinomial
 * likelihood against sparse counts; L2, KL sparsity and Bernoulli(0.5) KL
 * regularisers. Sums run in double. The softmax and the binary
 * cross-entropy have their own vectorised exponential (see below); nothing
 * else here is platform-specific. */
#include "nn_loss.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* ---- the softmax ------------------------------------------------------------
 *
 * The softmax over a 10,000-word vocabulary is the loss's whole cost, so
 * its exponential is computed here, four at a time with SSE2 where the
 * compiler targets it (every x86-64), instead of by expf one at a time:
 *   exp(x) = 2^n exp(r),  n = round(x / ln 2),  r = x - n ln 2 in
 *   [-ln2/2, ln2/2] (ln 2 split in two parts, so n ln2_hi is exact),
 *   exp(r) by its Taylor polynomial to degree 7 (truncation below 1e-8
 *   relative), 2^n built from its exponent bits.
 * Inputs below -87 are raised to -87 (exp = 1.6e-38, so 2^n stays a normal
 * float); the softmax only feeds it x - max <= 0. The scalar function does
 * the same operations in the same order, so both paths give the same bits
 * (and so do the sums below, which keep four partial sums either way). */

#define EXP_LO (-87.0f)
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693359375f             /* 355 / 512: n * EXP_LN2_HI is exact */
#define EXP_LN2_LO (-2.12194440054690583e-4f) /* ln 2 - EXP_LN2_HI */

static float exp_poly(float r)
{
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    return p * r + 1.0f;
}

/* exp(x) for x <= 0 (NaN stays NaN). */
static float exp_nonpos(float x)
{
    x = EXP_LO > x ? EXP_LO : x;
    float n = rintf(x * EXP_LOG2E);
    float r = (x - n * EXP_LN2_HI) - n * EXP_LN2_LO;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return exp_poly(r) * scale;
}

#if defined(__SSE2__)
static __m128 exp_poly4(__m128 r)
{
    __m128 p = _mm_set1_ps(1.0f / 5040);
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f / 720));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f / 120));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f / 24));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f / 6));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(0.5f));
    p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f));
    return _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f));
}

/* exp_nonpos of four values (rounding to nearest: the default mode, as
 * rintf uses it). */
static __m128 exp_nonpos4(__m128 x)
{
    x = _mm_max_ps(_mm_set1_ps(EXP_LO), x); /* returns x when x is NaN */
    __m128i ni = _mm_cvtps_epi32(_mm_mul_ps(x, _mm_set1_ps(EXP_LOG2E)));
    __m128 n = _mm_cvtepi32_ps(ni);
    __m128 r = _mm_sub_ps(_mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(EXP_LN2_HI))),
                          _mm_mul_ps(n, _mm_set1_ps(EXP_LN2_LO)));
    __m128i bits = _mm_slli_epi32(_mm_add_epi32(ni, _mm_set1_epi32(127)), 23);
    return _mm_mul_ps(exp_poly4(r), _mm_castsi128_ps(bits));
}
#endif

/* ---- binary cross-entropy from logits ---------------------------------------
 *
 * Per element: loss = max(x, 0) - x t + log(1 + e), e = exp(-|x|), and
 * p = sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) below; e comes from
 * the exponential above and log(1 + e), e in (0, 1], from
 *   log(1 + e) = 2 atanh(s),  s = e / (2 + e) in (0, 1/3],
 * by the atanh series to s^15 (truncation below 3e-9 relative). Four at a
 * time with SSE2 (four double partial sums), the scalar path doing the
 * same operations per element for the remainder. */

static float log1p_unit(float e)
{
    float s = e / (2.0f + e), s2 = s * s;
    float p = 1.0f / 15;
    p = p * s2 + 1.0f / 13;
    p = p * s2 + 1.0f / 11;
    p = p * s2 + 1.0f / 9;
    p = p * s2 + 1.0f / 7;
    p = p * s2 + 1.0f / 5;
    p = p * s2 + 1.0f / 3;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

/* One element: its loss, and its sigmoid into *p. */
static float bce_one(float x, float t, float *p)
{
    float e = exp_nonpos(-fabsf(x));
    float inv = 1.0f / (1.0f + e);
    *p = x >= 0 ? inv : e * inv;
    return ((x > 0 ? x : 0.0f) - x * t) + log1p_unit(e);
}

#if defined(__SSE2__)
static __m128 log1p_unit4(__m128 e)
{
    __m128 s = _mm_div_ps(e, _mm_add_ps(_mm_set1_ps(2.0f), e)), s2 = _mm_mul_ps(s, s);
    __m128 p = _mm_set1_ps(1.0f / 15);
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 13));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 11));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 9));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 7));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 5));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f / 3));
    p = _mm_add_ps(_mm_mul_ps(p, s2), _mm_set1_ps(1.0f));
    return _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(2.0f), s), p);
}

/* bce_one of four elements: returns the losses, *p the sigmoids. */
static __m128 bce_four(__m128 x, __m128 t, __m128 *p)
{
    __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
    __m128 e = exp_nonpos4(_mm_or_ps(x, _mm_set1_ps(-0.0f))); /* exp(-|x|) */
    __m128 inv = _mm_div_ps(one, _mm_add_ps(one, e));
    __m128 nonneg = _mm_cmpge_ps(x, zero);
    *p = _mm_or_ps(_mm_and_ps(nonneg, inv), _mm_andnot_ps(nonneg, _mm_mul_ps(e, inv)));
    return _mm_add_ps(_mm_sub_ps(_mm_max_ps(x, zero), _mm_mul_ps(x, t)), log1p_unit4(e));
}
#endif

double loss_bce_logits(float *dx, float *prob, const float *x, const float *t, size_t B, size_t D)
{
    if (B == 0)
        return 0.0;
    double s[4] = { 0, 0, 0, 0 };
    float scale = 1.0f / (float)B;
    size_t n = B * D, i = 0;
#if defined(__SSE2__)
    __m128d s01 = _mm_setzero_pd(), s23 = _mm_setzero_pd();
    __m128 vscale = _mm_set1_ps(scale);
    for (; i + 4 <= n; i += 4) {
        __m128 p, tv = _mm_loadu_ps(t + i);
        __m128 l = bce_four(_mm_loadu_ps(x + i), tv, &p);
        s01 = _mm_add_pd(s01, _mm_cvtps_pd(l));
        s23 = _mm_add_pd(s23, _mm_cvtps_pd(_mm_movehl_ps(l, l)));
        if (prob != NULL)
            _mm_storeu_ps(prob + i, p);
        if (dx != NULL)
            _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i),
                                             _mm_mul_ps(vscale, _mm_sub_ps(p, tv))));
    }
    _mm_storeu_pd(s, s01);
    _mm_storeu_pd(s + 2, s23);
#endif
    for (; i < n; i++) { /* the remainder, or everything without SSE2 */
        float p;
        s[0] += bce_one(x[i], t[i], &p);
        if (prob != NULL)
            prob[i] = p;
        if (dx != NULL)
            dx[i] += scale * (p - t[i]);
    }
    return ((s[0] + s[1]) + (s[2] + s[3])) / (double)B;
}


/* The largest of x[V] (V >= 1). Four running maxima, each updated as
 * m = x > m ? x : m (what maxps computes), so NaNs are passed over unless
 * x[0] is one; the maximum of numbers does not depend on the order. */
static float row_max(const float *x, size_t V)
{
    float m[4] = { x[0], x[0], x[0], x[0] };
    size_t v = 0;
#if defined(__SSE2__)
    __m128 mv = _mm_set1_ps(x[0]);
    for (; v + 4 <= V; v += 4)
        mv = _mm_max_ps(_mm_loadu_ps(x + v), mv);
    _mm_storeu_ps(m, mv);
#else
    for (; v + 4 <= V; v += 4)
        for (size_t j = 0; j < 4; j++)
            m[j] = x[v + j] > m[j] ? x[v + j] : m[j];
#endif
    for (; v < V; v++)
        m[0] = x[v] > m[0] ? x[v] : m[0];
    for (size_t j = 1; j < 4; j++)
        m[0] = m[j] > m[0] ? m[j] : m[0];
    return m[0];
}

/* e[v] = exp(x[v] - max) for v < V; returns their sum, accumulated in
 * double as four partial sums (element v into sum v % 4 for the blocks of
 * four, the remainder into sum 0). */
static double exp_shifted(float *e, const float *x, size_t V, float max)
{
    double s[4] = { 0, 0, 0, 0 };
    size_t v = 0;
#if defined(__SSE2__)
    __m128d s01 = _mm_setzero_pd(), s23 = _mm_setzero_pd();
    __m128 vmax = _mm_set1_ps(max);
    for (; v + 4 <= V; v += 4) {
        __m128 ev = exp_nonpos4(_mm_sub_ps(_mm_loadu_ps(x + v), vmax));
        _mm_storeu_ps(e + v, ev);
        s01 = _mm_add_pd(s01, _mm_cvtps_pd(ev));
        s23 = _mm_add_pd(s23, _mm_cvtps_pd(_mm_movehl_ps(ev, ev)));
    }
    _mm_storeu_pd(s, s01);
    _mm_storeu_pd(s + 2, s23);
#else
    for (; v + 4 <= V; v += 4) {
        for (size_t j = 0; j < 4; j++) {
            e[v + j] = exp_nonpos(x[v + j] - max);
            s[j] += e[v + j];
        }
    }
#endif
    for (; v < V; v++) {
        e[v] = exp_nonpos(x[v] - max);
        s[0] += e[v];
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* y[n] *= a: fixed-count blocks, which the compiler vectorises at -O2. */
static void scale_row(float *restrict y, float a, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            y[i + j] *= a;
    for (; i < n; i++)
        y[i] *= a;
}

/* p[n] *= a, then y[n] += b * p[n] (p and y not overlapping): the
 * normalisation and gradient passes of the softmax loss in one pass, with
 * the bits of scale_row followed by axpy_row. */
static void scale_then_axpy(float *restrict p, float a, float *restrict y, float b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (size_t j = 0; j < 8; j++) {
            p[i + j] *= a;
            y[i + j] += b * p[i + j];
        }
    }
    for (; i < n; i++) {
        p[i] *= a;
        y[i] += b * p[i];
    }
}

double softmax_row(float *prob, const float *x, size_t V)
{
    if (V == 0)
        return 0.0;
    float max = row_max(x, V);
    double z = exp_shifted(prob, x, V, max);
    scale_row(prob, (float)(1.0 / z), V);
    return (double)max + log(z);
}

/* The rows of a softmax loss are cut into at most LOSS_CHUNKS fixed
 * chunks (however many threads run them), each summing its rows' loss in
 * order; the chunk sums are added in order, so the value does not depend
 * on the thread count. */
#define LOSS_CHUNKS 64

typedef struct {
    float *dx, *prob;
    const float *x;
    const sh_csr *t;
    size_t V, n_chunks;
    double sums[LOSS_CHUNKS];
} softmax_job;

/* Loss (negated log-likelihood, not yet divided by B) of row r, its
 * softmax into prob and its gradient into dx. */
static double softmax_loss_row(const softmax_job *j, size_t r)
{
    const sh_csr *t = j->t;
    size_t V = j->V;
    const float *xr = j->x + r * V;
    float *pr = j->prob + r * V;
    float scale = 1.0f / (float)t->rows;
    if (V == 0)
        return 0.0;
    /* softmax_row, with its last pass fused with the gradient's */
    float max = row_max(xr, V);
    double z = exp_shifted(pr, xr, V, max), sum = 0.0, count = 0.0;
    double log_z = (double)max + log(z);
    for (size_t i = t->row_ptr[r]; i < t->row_ptr[r + 1]; i++)
        count += t->values[i];
    if (j->dx == NULL) {
        scale_row(pr, (float)(1.0 / z), V);
    } else {
        float *dr = j->dx + r * V;
        scale_then_axpy(pr, (float)(1.0 / z), dr, (float)count * scale, V);
        for (size_t i = t->row_ptr[r]; i < t->row_ptr[r + 1]; i++)
            dr[t->col_idx[i]] -= scale * t->values[i];
    }
    for (size_t i = t->row_ptr[r]; i < t->row_ptr[r + 1]; i++)
        sum -= (double)t->values[i] * ((double)xr[t->col_idx[i]] - log_z);
    return sum;
}

/* Chunks task, task + n_tasks, ... of the rows. */
static void softmax_task(void *arg, size_t task, size_t n_tasks)
{
    softmax_job *j = arg;
    size_t B = j->t->rows;
    for (size_t c = task; c < j->n_chunks; c += n_tasks) {
        double sum = 0.0;
        for (size_t r = B * c / j->n_chunks; r < B * (c + 1) / j->n_chunks; r++)
            sum += softmax_loss_row(j, r);
        j->sums[c] = sum;
    }
}

double loss_softmax_csr(float *dx, float *prob, const float *x, const sh_csr *t, size_t V)
{
    size_t B = t->rows;
    if (B == 0)
        return 0.0;
    softmax_job job;
    job.dx = dx;
    job.prob = prob;
    job.x = x;
    job.t = t;
    job.V = V;
    job.n_chunks = B < LOSS_CHUNKS ? B : LOSS_CHUNKS;
    /* threads only when there is enough work (about 64k logits) */
    mat_parallel(B * V >= ((size_t)1 << 16) ? job.n_chunks : 1, softmax_task, &job);
    double sum = 0.0;
    for (size_t c = 0; c < job.n_chunks; c++)
        sum += job.sums[c];
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
