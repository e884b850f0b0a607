/* nn_optim.c — Adam and SGD, one loop over the parameter arena each. */
#include "nn_optim.h"

#include <math.h>
#include <time.h>

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

void adam_update(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                 float beta1, float beta2, float eps, uint64_t t)
{
    float c1 = (float)(1.0 - pow(beta1, (double)t));
    float c2 = (float)(1.0 - pow(beta2, (double)t));
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float m_hat = m[i] / c1, v_hat = v[i] / c2;
        params[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
    }
}

void sgd_update(float *params, const float *grads, size_t n, float lr)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= lr * grads[i];
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
