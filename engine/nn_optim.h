/* nn_optim.h — optimisers over a network's parameter arena: Adam (with
 * bias correction) and plain SGD. Each update is one loop over the whole
 * arena. Weight decay is NOT applied here: it is a loss term of the
 * network (nn_net.h), so it shows in the reported loss and in the
 * gradient checks. Nothing here allocates or fails.
 */
#ifndef SH_NN_OPTIM_H
#define SH_NN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "config.h" /* sh_optimizer_kind */
#include "nn_net.h"

typedef struct {
    sh_optimizer_kind kind; /* SH_OPT_ADAM or SH_OPT_SGD */
    float lr;               /* learning rate > 0 */
    float beta1, beta2;     /* Adam moment decays in [0, 1) */
    float eps;              /* Adam denominator guard > 0 */
} nn_optim;

/* kind, lr, beta1 0.9, beta2 0.999, eps 1e-8. Cannot fail. */
void nn_optim_defaults(nn_optim *o, sh_optimizer_kind kind, float lr);

/* One Adam step t (>= 1) over n parameters:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * param -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 * The arrays must not overlap. Element by element, in float: the same
 * bits with or without SSE2 and on any number of threads (arenas of 65,536
 * parameters and more are split over mat_get_threads() threads). */
void adam_update(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                 float beta1, float beta2, float eps, uint64_t t);

/* param -= lr * grad over n parameters. */
void sgd_update(float *params, const float *grads, size_t n, float lr);

/* Advances net->adam_t and applies o to the whole arena of net (nothing
 * for an inference-only net). */
void nn_optim_step(nn_net *net, const nn_optim *o);

#endif
