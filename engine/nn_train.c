/* nn_train.c — epochs of shuffled minibatches over nn_net, with
 * validation, early stopping, callbacks and timing. */
#include "nn_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sh_error.h"

void nn_train_defaults(nn_train_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->epochs = 10;
    o->batch_size = 128;
    nn_optim_defaults(&o->optim, SH_OPT_ADAM, 1e-3f);
    o->seed = 1;
    o->patience = 5;
}

void nn_train_opts_from_config(nn_train_opts *o, const sh_train_config *t)
{
    nn_train_defaults(o);
    o->epochs = t->epochs;
    o->batch_size = t->batch_size < 1 ? 0 : (size_t)t->batch_size;
    nn_optim_defaults(&o->optim, t->optimizer, (float)t->learning_rate);
    o->seed = t->seed;
    o->patience = t->patience;
    o->max_seconds = t->max_seconds;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int check_data(const nn_net *net, const nn_data *d, int is_target, const char *name,
                      char *err, size_t err_len)
{
    if ((d->dense == NULL) == (d->csr == NULL))
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: %s needs exactly one of dense/csr",
                       name);
    if (d->cols != net->cfg.input_dim)
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: %s has %zu columns, the net %u",
                       name, d->cols, net->cfg.input_dim);
    if (d->csr != NULL && (d->csr->rows != d->rows || d->csr->cols != d->cols))
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: %s: CSR shape differs from rows/cols",
                       name);
    int want_csr = is_target ? net->cfg.loss == NN_LOSS_SOFTMAX
                             : net->cfg.input_kind == NN_INPUT_CSR;
    if (want_csr != (d->csr != NULL))
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: %s must be %s for this network", name,
                       want_csr ? "CSR" : "dense");
    return 0;
}

/* Buffers for one minibatch: gathered input (corrupted if asked) and,
 * when it differs from the input, the target. */
typedef struct {
    float *in_dense, *target_dense; /* [batch, D] */
    sh_csr in_csr, target_csr;
    uint32_t *order;                /* [rows] shuffled row indices */
    float *best;                    /* [n_params] best parameters, or NULL */
} train_bufs;

static void bufs_free(train_bufs *b)
{
    free(b->in_dense);
    free(b->target_dense);
    csr_free(&b->in_csr);
    csr_free(&b->target_csr);
    free(b->order);
    free(b->best);
}

static int bufs_alloc(train_bufs *b, const nn_net *net, size_t rows, size_t batch, int validate)
{
    memset(b, 0, sizeof(*b));
    size_t D = net->cfg.input_dim;
    b->in_dense = malloc(batch * D * sizeof(float));
    b->target_dense = malloc(batch * D * sizeof(float));
    b->order = malloc(rows * sizeof(uint32_t));
    if (validate)
        b->best = malloc(net->n_params * sizeof(float));
    if (csr_init(&b->in_csr, D) != 0 || csr_init(&b->target_csr, D) != 0 ||
        b->in_dense == NULL || b->target_dense == NULL || b->order == NULL ||
        (validate && b->best == NULL))
        return SH_ENOMEM;
    return 0;
}

/* One minibatch: gather, corrupt, forward, loss, backward, update.
 * *loss receives the batch's total loss. */
static int train_batch(nn_net *net, const nn_data *in, const nn_data *target, int corrupting,
                       const uint32_t *idx, size_t n, train_bufs *b, const nn_train_opts *o,
                       sh_rng *code_rng, sh_rng *corrupt_rng, double *loss)
{
    nn_data x, t;
    int rc = nn_data_gather(&x, in, idx, n, b->in_dense, &b->in_csr);
    if (rc != 0)
        return rc;
    if (target != in || corrupting) {
        rc = nn_data_gather(&t, target, idx, n, b->target_dense, &b->target_csr);
        if (rc != 0)
            return rc;
    } else {
        t = x;
    }
    if (corrupting) {
        rc = o->corrupt(x.csr ? NULL : b->in_dense, x.csr ? &b->in_csr : NULL, n, x.cols,
                        corrupt_rng, o->user);
        if (rc != 0)
            return rc;
    }
    nn_mode mode = o->deterministic_code ? NN_MODE_DETERMINISTIC : NN_MODE_TRAIN;
    nn_loss_parts parts;
    nn_zero_grad(net);
    rc = nn_forward(net, &x, mode, code_rng);
    if (rc == 0)
        rc = nn_loss(net, &t, &parts);
    if (rc != 0)
        return rc;
    nn_backward(net, &x, NULL);
    nn_optim_step(net, &o->optim);
    *loss = parts.total;
    return 0;
}

int nn_train(nn_net *net, const nn_data *train_in, const nn_data *train_target,
             const nn_data *valid_in, const nn_data *valid_target, const nn_train_opts *o,
             nn_train_summary *summary, char *err, size_t err_len)
{
    double t_start = now_seconds(), train_seconds = 0.0, flops = 0.0;
    nn_train_summary s = { 0, -1, 0, 0, 0, 0, NAN, NAN };
    const nn_data *target = train_target != NULL ? train_target : train_in;
    const nn_data *vtarget = valid_target != NULL ? valid_target : valid_in;
    train_bufs b;
    memset(&b, 0, sizeof(b));
    int rc;

    if (o->epochs < 1 || o->batch_size < 1 || o->batch_size > net->max_batch ||
        !(o->optim.lr > 0) || o->patience < 0)
        return sh_fail(err, err_len, SH_EINVAL,
                       "nn_train: need epochs >= 1, 1 <= batch_size <= max_batch (%zu), lr > 0",
                       net->max_batch);
    if (net->grads == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: the network is inference-only");
    if ((rc = check_data(net, train_in, 0, "training input", err, err_len)) != 0 ||
        (rc = check_data(net, target, 1, "training target", err, err_len)) != 0)
        return rc;
    if (target->rows != train_in->rows)
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: %zu input rows but %zu target rows",
                       train_in->rows, target->rows);
    if (valid_in != NULL &&
        ((rc = check_data(net, valid_in, 0, "validation input", err, err_len)) != 0 ||
         (rc = check_data(net, vtarget, 1, "validation target", err, err_len)) != 0))
        return rc;
    if (valid_in != NULL && vtarget->rows != valid_in->rows)
        return sh_fail(err, err_len, SH_EINVAL, "nn_train: validation rows differ");
    if (train_in->rows == 0)
        return sh_fail(err, err_len, SH_EEMPTY, "nn_train: no training rows");
    int validate = valid_in != NULL && valid_in->rows > 0;
    if (bufs_alloc(&b, net, train_in->rows, o->batch_size, validate) != 0) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "nn_train: out of memory for batch buffers");
        goto done;
    }

    sh_rng root, shuffle_rng, code_rng, corrupt_rng;
    rng_seed(&root, o->seed);
    shuffle_rng = rng_split(&root);
    code_rng = rng_split(&root);
    corrupt_rng = rng_split(&root);
    for (size_t i = 0; i < train_in->rows; i++)
        b.order[i] = (uint32_t)i;
    size_t batches = (train_in->rows + o->batch_size - 1) / o->batch_size;
    double best = INFINITY;

    for (int epoch = 0; epoch < o->epochs; epoch++) {
        rng_shuffle_u32(&shuffle_rng, b.order, train_in->rows);
        double epoch_loss = 0.0, t0 = now_seconds(), f0 = net->flops;
        size_t rows_done = 0;
        for (size_t k = 0; k < batches; k++) {
            size_t first = k * o->batch_size;
            size_t n = train_in->rows - first < o->batch_size ? train_in->rows - first
                                                              : o->batch_size;
            double loss = 0.0;
            rc = train_batch(net, train_in, target, o->corrupt != NULL, b.order + first, n, &b, o,
                             &code_rng, &corrupt_rng, &loss);
            if (rc != 0) {
                sh_fail(err, err_len, rc, "nn_train: epoch %d batch %zu: %s", epoch, k,
                        sh_strerror(rc));
                goto done;
            }
            epoch_loss += loss * (double)n;
            rows_done += n;
            if (o->progress != NULL && o->progress(epoch, k, batches, loss, o->user) != 0) {
                rc = sh_fail(err, err_len, SH_ECANCEL, "nn_train: cancelled at epoch %d", epoch);
                goto done;
            }
            if (o->max_seconds > 0 && now_seconds() - t_start > o->max_seconds) {
                s.stopped_early = 1;
                break;
            }
        }
        train_seconds += now_seconds() - t0;
        flops += net->flops - f0;
        s.train_loss = epoch_loss / (double)rows_done;
        s.epochs_run = epoch + 1;
        if (validate) {
            nn_loss_parts vp;
            rc = nn_evaluate(net, valid_in, vtarget, &vp);
            if (rc != 0) {
                sh_fail(err, err_len, rc, "nn_train: validation: %s", sh_strerror(rc));
                goto done;
            }
            if (vp.total < best) {
                best = vp.total;
                s.best_epoch = epoch;
                memcpy(b.best, net->params, net->n_params * sizeof(float));
            } else if (o->patience > 0 && epoch - s.best_epoch >= o->patience) {
                s.stopped_early = 1;
            }
        } else {
            s.best_epoch = epoch;
        }
        if (s.stopped_early)
            break;
    }
    rc = 0;
done:
    if (validate && b.best != NULL && s.best_epoch >= 0) {
        memcpy(net->params, b.best, net->n_params * sizeof(float));
        s.valid_loss = best;
    }
    s.seconds = now_seconds() - t_start;
    s.seconds_per_epoch = s.epochs_run > 0 ? train_seconds / s.epochs_run : 0.0;
    s.gflops = train_seconds > 0 ? flops / train_seconds * 1e-9 : 0.0;
    if (summary != NULL)
        *summary = s;
    bufs_free(&b);
    return rc;
}
