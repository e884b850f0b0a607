/* nn_optim.c — Adam and SGD, one loop over the parameter arena each.
 * Adam has an SSE2 path (x86-64 always has SSE2) that gives the same bits
 * as the plain loop, which stays as the reference and the fallback. */
#include "nn_optim.h"

#include <math.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "matrix.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nn_optim_defaults(nn_optim *o, sh_optimizer_kind kind, float lr)
{
    o->kind = kind;
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
}

/* The Adam step of elements [i, n): the reference formula, one element at
 * a time. */
static void adam_scalar(float *params, const float *grads, float *m, float *v, size_t i,
                        size_t n, float lr, float beta1, float beta2, float eps, float c1,
                        float c2)
{
    for (; i < n; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float m_hat = m[i] / c1, v_hat = v[i] / c2;
        params[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
    }
}

#if defined(__SSE2__)
/* The same formula four elements at a time, with the same operations in
 * the same order (IEEE division and square root, no fused multiply-add),
 * so every element gets exactly the bits adam_scalar gives it. Returns
 * the number of elements done (a multiple of 4). The compiler cannot
 * vectorise adam_scalar itself: sqrtf may set errno. */
static size_t adam_sse2(float *params, const float *grads, float *m, float *v, size_t n,
                        float lr, float beta1, float beta2, float eps, float c1, float c2)
{
    const __m128 b1 = _mm_set1_ps(beta1), b2 = _mm_set1_ps(beta2);
    const __m128 a1 = _mm_set1_ps(1.0f - beta1), a2 = _mm_set1_ps(1.0f - beta2);
    const __m128 vc1 = _mm_set1_ps(c1), vc2 = _mm_set1_ps(c2);
    const __m128 vlr = _mm_set1_ps(lr), veps = _mm_set1_ps(eps);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 g = _mm_loadu_ps(grads + i);
        __m128 mi = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(a1, g));
        __m128 vi = _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)),
                               _mm_mul_ps(_mm_mul_ps(a2, g), g));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        __m128 m_hat = _mm_div_ps(mi, vc1), v_hat = _mm_div_ps(vi, vc2);
        __m128 step = _mm_div_ps(_mm_mul_ps(vlr, m_hat), _mm_add_ps(_mm_sqrt_ps(v_hat), veps));
        _mm_storeu_ps(params + i, _mm_sub_ps(_mm_loadu_ps(params + i), step));
    }
    return i;
}
#endif

/* One Adam step over a range of the arrays. */
static void adam_range(float *params, const float *grads, float *m, float *v, size_t n,
                       float lr, float beta1, float beta2, float eps, float c1, float c2)
{
    size_t done = 0;
#if defined(__SSE2__)
    done = adam_sse2(params, grads, m, v, n, lr, beta1, beta2, eps, c1, c2);
#endif
    adam_scalar(params, grads, m, v, done, n, lr, beta1, beta2, eps, c1, c2);
}

typedef struct {
    float *params, *m, *v;
    const float *grads;
    size_t n;
    float lr, beta1, beta2, eps, c1, c2;
} adam_job;

/* Share task of n_tasks, cut at multiples of 16 elements (64 bytes). */
static void adam_task(void *arg, size_t task, size_t n_tasks)
{
    const adam_job *j = arg;
    size_t blocks = (j->n + 15) / 16;
    size_t i0 = blocks * task / n_tasks * 16, i1 = blocks * (task + 1) / n_tasks * 16;
    if (i1 > j->n)
        i1 = j->n;
    if (i0 < i1)
        adam_range(j->params + i0, j->grads + i0, j->m + i0, j->v + i0, i1 - i0, j->lr,
                   j->beta1, j->beta2, j->eps, j->c1, j->c2);
}

void adam_update(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                 float beta1, float beta2, float eps, uint64_t t)
{
    adam_job j = { params, m, v, grads, n, lr, beta1, beta2, eps,
                   (float)(1.0 - pow(beta1, (double)t)), (float)(1.0 - pow(beta2, (double)t)) };
    /* element by element, so threads (for large arenas) change no bit */
    mat_parallel(n >= ((size_t)1 << 16) ? n / ((size_t)1 << 15) : 1, adam_task, &j);
}

/* The SGD step over arrays that do not overlap: fixed-count blocks, which
 * the compiler vectorises at -O2, then the remainder. */
static void sgd_blocks(float *restrict params, const float *restrict grads, size_t n, float lr)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            params[i + j] -= lr * grads[i + j];
    for (; i < n; i++)
        params[i] -= lr * grads[i];
}

void sgd_update(float *params, const float *grads, size_t n, float lr)
{
    sgd_blocks(params, grads, n, lr);
}

void nn_optim_step(nn_net *net, const nn_optim *o)
{
    if (net->grads == NULL)
        return; /* inference-only */
    double t0 = now_seconds();
    net->adam_t++;
    if (o->kind == SH_OPT_SGD)
        sgd_update(net->params, net->grads, net->n_params, o->lr);
    else
        adam_update(net->params, net->grads, net->adam_m, net->adam_v, net->n_params, o->lr,
                    o->beta1, o->beta2, o->eps, net->adam_t);
    net->timing.optim_seconds += now_seconds() - t0;
}
