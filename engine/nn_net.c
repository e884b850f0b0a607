/* nn_net.c — the network: layer shapes, the four parameter arenas, the
 * activation arenas, and forward / loss / backward / encode / decode.
 * Kernels live in nn_layers.c, nn_code.c and nn_loss.c; this file only
 * orders them. It does not train (nn_train.c) nor save (nn_io.c). */
#include "nn_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_layers.h"
#include "nn_loss.h"
#include "sh_error.h"

void nn_config_defaults(nn_config *cfg, uint32_t input_dim, uint32_t code_dim)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->input_dim = input_dim;
    cfg->input_kind = NN_INPUT_DENSE;
    cfg->enc_act = SH_ACT_RELU;
    cfg->code_kind = NN_CODE_REAL;
    cfg->code_dim = code_dim;
    cfg->code_act = SH_ACT_LINEAR;
    cfg->dec_mirror = 1;
    cfg->dec_act = SH_ACT_RELU;
    cfg->loss = NN_LOSS_MSE;
    cfg->sparsity_rho = 0.05f;
    cfg->vae_kl = 1.0f;
    cfg->max_batch = 256;
}

void nn_config_for_hashing(nn_config *cfg, const sh_config *conf, uint32_t vocab)
{
    nn_config_defaults(cfg, vocab, (uint32_t)conf->model.code_bits);
    cfg->input_kind = NN_INPUT_CSR;
    cfg->n_enc = conf->model.n_hidden < 0 ? 0 : (uint32_t)conf->model.n_hidden;
    if (cfg->n_enc > NN_MAX_HIDDEN)
        cfg->n_enc = NN_MAX_HIDDEN + 1; /* let nn_config_check say so */
    for (uint32_t i = 0; i < cfg->n_enc && i < NN_MAX_HIDDEN; i++)
        cfg->enc_hidden[i] = conf->model.hidden[i] < 0 ? 0 : (uint32_t)conf->model.hidden[i];
    cfg->enc_act = conf->model.activation;
    cfg->code_kind = NN_CODE_BINARY;
    cfg->loss = NN_LOSS_SOFTMAX;
    cfg->weight_decay = (float)conf->train.weight_decay;
    cfg->max_batch = conf->train.batch_size < 1 ? 0 : (uint32_t)conf->train.batch_size;
}

static int act_valid(sh_activation a)
{
    return a == SH_ACT_LINEAR || a == SH_ACT_RELU || a == SH_ACT_SIGMOID || a == SH_ACT_TANH;
}

int nn_config_check(const nn_config *cfg, char *err, size_t err_len)
{
    if (cfg->input_dim == 0)
        return sh_fail(err, err_len, SH_EINVAL, "nn: input_dim must be at least 1");
    if (cfg->input_kind != NN_INPUT_DENSE && cfg->input_kind != NN_INPUT_CSR)
        return sh_fail(err, err_len, SH_EINVAL, "nn: unknown input kind %d", (int)cfg->input_kind);
    if (cfg->n_enc > NN_MAX_HIDDEN || (!cfg->dec_mirror && cfg->n_dec > NN_MAX_HIDDEN))
        return sh_fail(err, err_len, SH_EINVAL, "nn: at most %d hidden layers per side",
                       NN_MAX_HIDDEN);
    for (uint32_t i = 0; i < cfg->n_enc; i++)
        if (cfg->enc_hidden[i] == 0)
            return sh_fail(err, err_len, SH_EINVAL, "nn: encoder layer %u has width 0", i);
    for (uint32_t i = 0; !cfg->dec_mirror && i < cfg->n_dec; i++)
        if (cfg->dec_hidden[i] == 0)
            return sh_fail(err, err_len, SH_EINVAL, "nn: decoder layer %u has width 0", i);
    if (!act_valid(cfg->enc_act) || !act_valid(cfg->dec_act) || !act_valid(cfg->code_act))
        return sh_fail(err, err_len, SH_EINVAL, "nn: unknown activation");
    if (cfg->code_kind != NN_CODE_REAL && cfg->code_kind != NN_CODE_BINARY &&
        cfg->code_kind != NN_CODE_GAUSSIAN)
        return sh_fail(err, err_len, SH_EINVAL, "nn: unknown code kind %d", (int)cfg->code_kind);
    if (cfg->code_dim == 0)
        return sh_fail(err, err_len, SH_EINVAL, "nn: code_dim must be at least 1");
    if (cfg->loss != NN_LOSS_MSE && cfg->loss != NN_LOSS_BCE && cfg->loss != NN_LOSS_SOFTMAX)
        return sh_fail(err, err_len, SH_EINVAL, "nn: unknown loss %d", (int)cfg->loss);
    if (!(cfg->weight_decay >= 0) || !(cfg->sparsity_beta >= 0) || !(cfg->bernoulli_kl >= 0) ||
        !(cfg->vae_kl >= 0))
        return sh_fail(err, err_len, SH_EINVAL, "nn: regulariser weights must be >= 0");
    if (cfg->sparsity_beta > 0) {
        if (!(cfg->sparsity_rho > 0 && cfg->sparsity_rho < 1))
            return sh_fail(err, err_len, SH_EINVAL, "nn: sparsity_rho must be in (0, 1)");
        if (!(cfg->code_kind == NN_CODE_BINARY ||
              (cfg->code_kind == NN_CODE_REAL && cfg->code_act == SH_ACT_SIGMOID)))
            return sh_fail(err, err_len, SH_EINVAL,
                           "nn: KL sparsity needs a binary code or a sigmoid real code");
    }
    if (cfg->bernoulli_kl > 0 && cfg->code_kind != NN_CODE_BINARY)
        return sh_fail(err, err_len, SH_EINVAL, "nn: bernoulli_kl needs a binary code");
    if (cfg->max_batch == 0 || cfg->max_batch > NN_MAX_BATCH)
        return sh_fail(err, err_len, SH_EINVAL, "nn: max_batch must be in 1..%d", NN_MAX_BATCH);
    return 0;
}

/* Fills n_layers, code_layer, in_dim, out_dim from the config. */
static void plan_layers(nn_net *net)
{
    const nn_config *c = &net->cfg;
    size_t l = 0, width = c->input_dim;
    for (uint32_t i = 0; i < c->n_enc; i++, l++) {
        net->in_dim[l] = width;
        net->out_dim[l] = width = c->enc_hidden[i];
    }
    net->code_layer = l;
    net->in_dim[l] = width;
    net->out_dim[l] = c->code_kind == NN_CODE_GAUSSIAN ? 2 * (size_t)c->code_dim : c->code_dim;
    l++;
    width = c->code_dim;
    uint32_t n_dec = c->dec_mirror ? c->n_enc : c->n_dec;
    for (uint32_t i = 0; i < n_dec; i++, l++) {
        net->in_dim[l] = width;
        net->out_dim[l] = width = c->dec_mirror ? c->enc_hidden[c->n_enc - 1 - i] : c->dec_hidden[i];
    }
    net->in_dim[l] = width;
    net->out_dim[l] = c->input_dim;
    net->n_layers = l + 1;
}

size_t nn_config_param_count(const nn_config *cfg)
{
    nn_net shape;
    memset(&shape, 0, sizeof(shape));
    shape.cfg = *cfg;
    plan_layers(&shape);
    size_t n = 0;
    for (size_t l = 0; l < shape.n_layers; l++)
        n += shape.in_dim[l] * shape.out_dim[l] + shape.out_dim[l];
    return n;
}

static sh_activation hidden_act(const nn_net *net, size_t l)
{
    if (l < net->code_layer)
        return net->cfg.enc_act;
    return net->cfg.dec_mirror ? net->cfg.enc_act : net->cfg.dec_act;
}

/* Points W/b (or dW/db) views into an arena laid out W0 b0 W1 b1 ... */
static void carve(float *arena, float **W, float **b, const nn_net *net)
{
    size_t off = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        W[l] = arena + off;
        off += net->in_dim[l] * net->out_dim[l];
        b[l] = arena + off;
        off += net->out_dim[l];
    }
}

/* Points pre/post/code views into an activation arena; returns its size
 * in floats (arena may be NULL to only count). */
static size_t carve_acts(float *arena, float **pre, float **post, float **code, float **p,
                         float **eps, const nn_net *net)
{
    size_t off = 0, B = net->max_batch, K = net->cfg.code_dim;
    for (size_t l = 0; l < net->n_layers; l++) {
        if (arena != NULL) {
            pre[l] = arena + off;
            post[l] = arena + off + B * net->out_dim[l];
        }
        off += 2 * B * net->out_dim[l];
    }
    if (arena != NULL) {
        *code = arena + off;
        if (p != NULL)
            *p = arena + off + B * K;
        if (eps != NULL)
            *eps = arena + off + 2 * B * K;
    }
    return off + 3 * B * K;
}

/* Points xa views into an arena (NULL to only count); returns its size
 * in floats. A CSR first layer has none. */
static size_t carve_xa(float *arena, nn_net *net)
{
    size_t off = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        if (l == 0 && net->cfg.input_kind == NN_INPUT_CSR) {
            net->xa[l] = NULL;
            continue;
        }
        if (arena != NULL)
            net->xa[l] = arena + off;
        off += net->max_batch * (net->in_dim[l] + 1);
    }
    return off;
}

/* Allocates a zeroed network for cfg (already checked): parameters and
 * activations always, gradients and Adam moments only for training. */
static int net_create(const nn_config *cfg, int training, nn_net **out)
{
    nn_net *net = calloc(1, sizeof(*net));
    if (net == NULL)
        return SH_ENOMEM;
    net->cfg = *cfg;
    plan_layers(net);
    net->n_params = nn_config_param_count(cfg);
    net->max_batch = cfg->max_batch;
    size_t n_acts = carve_acts(NULL, NULL, NULL, NULL, NULL, NULL, net);
    net->params = calloc(net->n_params, sizeof(float));
    net->acts = calloc(n_acts, sizeof(float));
    net->xa_arena = calloc(carve_xa(NULL, net) + 1, sizeof(float));
    if (net->params == NULL || net->acts == NULL || net->xa_arena == NULL)
        goto fail;
    carve_xa(net->xa_arena, net);
    carve(net->params, net->W, net->b, net);
    carve_acts(net->acts, net->pre, net->post, &net->code, &net->code_p, &net->eps, net);
    if (training) {
        net->grads = calloc(net->n_params, sizeof(float));
        net->adam_m = calloc(net->n_params, sizeof(float));
        net->adam_v = calloc(net->n_params, sizeof(float));
        net->dacts = calloc(n_acts, sizeof(float));
        if (!net->grads || !net->adam_m || !net->adam_v || !net->dacts)
            goto fail;
        carve(net->grads, net->dW, net->db, net);
        carve_acts(net->dacts, net->dpre, net->dpost, &net->dcode, NULL, NULL, net);
        /* a hidden layer's dpre is computed in place over its dpost */
        for (size_t l = 0; l < net->n_layers; l++)
            if (l != net->code_layer && l != net->n_layers - 1)
                net->dpre[l] = net->dpost[l];
    }
    *out = net;
    return 0;
fail:
    nn_free(net);
    return SH_ENOMEM;
}

int nn_new(const nn_config *cfg, sh_rng *rng, nn_net **out, char *err, size_t err_len)
{
    int rc = nn_config_check(cfg, err, err_len);
    if (rc != 0)
        return rc;
    nn_net *net = NULL;
    rc = net_create(cfg, 1, &net);
    if (rc != 0)
        return sh_fail(err, err_len, rc, "nn: out of memory for %zu parameters",
                       nn_config_param_count(cfg));
    if (rng != NULL) {
        for (size_t l = 0; l < net->n_layers; l++) {
            size_t n = net->in_dim[l] * net->out_dim[l];
            float limit = sqrtf(6.0f / (float)(net->in_dim[l] + net->out_dim[l]));
            for (size_t i = 0; i < n; i++)
                net->W[l][i] = limit * (2.0f * rng_uniform(rng) - 1.0f);
        }
    }
    *out = net;
    return 0;
}

int nn_new_inference(const nn_config *cfg, nn_net **out, char *err, size_t err_len)
{
    int rc = nn_config_check(cfg, err, err_len);
    if (rc == 0 && (rc = net_create(cfg, 0, out)) != 0)
        sh_fail(err, err_len, rc, "nn: out of memory for %zu parameters",
                nn_config_param_count(cfg));
    return rc;
}

int nn_clone(const nn_net *src, uint32_t max_batch, int inference_only, nn_net **out)
{
    nn_config cfg = src->cfg;
    if (max_batch > 0)
        cfg.max_batch = max_batch;
    if (nn_config_check(&cfg, NULL, 0) != 0)
        return SH_EINVAL;
    nn_net *net = NULL;
    int training = !inference_only && src->grads != NULL;
    int rc = net_create(&cfg, training, &net);
    if (rc != 0)
        return rc;
    memcpy(net->params, src->params, src->n_params * sizeof(float));
    if (training) {
        memcpy(net->adam_m, src->adam_m, src->n_params * sizeof(float));
        memcpy(net->adam_v, src->adam_v, src->n_params * sizeof(float));
        net->adam_t = src->adam_t;
    }
    *out = net;
    return 0;
}

void nn_free(nn_net *net)
{
    if (net == NULL)
        return;
    free(net->params);
    free(net->grads);
    free(net->adam_m);
    free(net->adam_v);
    free(net->acts);
    free(net->dacts);
    free(net->xa_arena);
    free(net);
}

typedef struct {
    float *x;
    size_t n;
} zero_job;

static void zero_task(void *arg, size_t task, size_t n_tasks)
{
    const zero_job *j = arg;
    size_t i0 = j->n * task / n_tasks, i1 = j->n * (task + 1) / n_tasks;
    memset(j->x + i0, 0, (i1 - i0) * sizeof(float));
}

void nn_zero_grad(nn_net *net)
{
    if (net->grads == NULL)
        return;
    zero_job j = { net->grads, net->n_params };
    /* a large arena (the first layer of a text model) is zeroed by all threads */
    mat_parallel(j.n >= ((size_t)1 << 18) ? 16 : 1, zero_task, &j);
}

/* ---- forward ------------------------------------------------------------- */

static int check_input(const nn_net *net, const nn_data *in)
{
    if (in == NULL || in->rows > net->max_batch || in->cols != net->cfg.input_dim)
        return SH_EINVAL;
    if (net->cfg.input_kind == NN_INPUT_DENSE)
        return in->dense != NULL && in->csr == NULL ? 0 : SH_EINVAL;
    if (in->csr == NULL || in->dense != NULL || in->csr->rows != in->rows ||
        in->csr->cols != in->cols)
        return SH_EINVAL;
    return 0;
}

/* The input buffer of layer l > 0 ([B, in_dim[l]]). */
static float *layer_input(const nn_net *net, size_t l)
{
    return l == net->code_layer + 1 ? net->code : net->post[l - 1];
}

static float *layer_dinput(const nn_net *net, size_t l)
{
    return l == net->code_layer + 1 ? net->dcode : net->dpost[l - 1];
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Adds one layer product (forward or backward) to net->timing. */
static void count_product(nn_net *net, int sparse, double seconds, double flops)
{
    net->flops += flops;
    if (sparse) {
        net->timing.sparse_seconds += seconds;
        net->timing.sparse_flops += flops;
    } else {
        net->timing.dense_seconds += seconds;
        net->timing.dense_flops += flops;
    }
}

static double layer_flops(const nn_net *net, size_t l, const nn_data *in, int backward)
{
    double io = (double)net->in_dim[l] * net->out_dim[l];
    if (l == 0 && in->csr != NULL)
        return 2.0 * (double)in->csr->nnz * net->out_dim[l];
    if (l == 0)
        return 2.0 * (double)net->batch * io; /* forward, or backward without dinp */
    return (backward ? 4.0 : 2.0) * (double)net->batch * io;
}

/* Runs layer l (its dense product, then its activation or code layer). */
static void forward_layer(nn_net *net, size_t l, const nn_data *in, nn_mode mode, sh_rng *rng)
{
    size_t B = net->batch, I = net->in_dim[l], O = net->out_dim[l], K = net->cfg.code_dim;
    int sparse = l == 0 && in->csr != NULL;
    double t0 = now_seconds();
    if (sparse)
        dense_forward_csr(net->pre[0], in->csr, net->W[0], net->b[0], O);
    else /* W[l] is followed by b[l] in the arena: [W; b] */
        dense_forward_aug(net->pre[l], net->xa[l], l == 0 ? in->dense : layer_input(net, l),
                          net->W[l], B, I, O);
    count_product(net, sparse, now_seconds() - t0, layer_flops(net, l, in, 0));
    if (l == net->n_layers - 1)
        return; /* logits: the loss or nn_output applies the activation */
    if (l != net->code_layer) {
        act_forward(net->post[l], net->pre[l], B * O, hidden_act(net, l));
        return;
    }
    switch (net->cfg.code_kind) {
    case NN_CODE_BINARY:
        code_binary_forward(net->code, net->code_p, net->pre[l], B * K, mode, rng);
        break;
    case NN_CODE_GAUSSIAN:
        code_gauss_forward(net->code, net->eps, net->pre[l], B, K, mode, rng);
        break;
    case NN_CODE_REAL:
    default:
        act_forward(net->code, net->pre[l], B * K, net->cfg.code_act);
        break;
    }
}

/* Stochastic code layers draw from rng in training mode. */
static int check_rng(const nn_net *net, nn_mode mode, const sh_rng *rng)
{
    return mode == NN_MODE_TRAIN && net->cfg.code_kind != NN_CODE_REAL && rng == NULL ? SH_EINVAL
                                                                                       : 0;
}

int nn_forward(nn_net *net, const nn_data *in, nn_mode mode, sh_rng *rng)
{
    if (check_input(net, in) != 0 || check_rng(net, mode, rng) != 0)
        return SH_EINVAL;
    net->batch = in->rows;
    for (size_t l = 0; l < net->n_layers; l++)
        forward_layer(net, l, in, mode, rng);
    return 0;
}

int nn_encode(nn_net *net, const nn_data *in, nn_mode mode, sh_rng *rng, float *code)
{
    if (check_input(net, in) != 0 || check_rng(net, mode, rng) != 0)
        return SH_EINVAL;
    net->batch = in->rows;
    for (size_t l = 0; l <= net->code_layer; l++)
        forward_layer(net, l, in, mode, rng);
    if (code != NULL)
        memcpy(code, net->code, net->batch * net->cfg.code_dim * sizeof(float));
    return 0;
}

const float *nn_output(nn_net *net)
{
    size_t last = net->n_layers - 1, B = net->batch, D = net->out_dim[last];
    float *out = net->post[last];
    const float *logits = net->pre[last];
    switch (net->cfg.loss) {
    case NN_LOSS_BCE:
        act_forward(out, logits, B * D, SH_ACT_SIGMOID);
        break;
    case NN_LOSS_SOFTMAX:
        for (size_t r = 0; r < B; r++)
            softmax_row(out + r * D, logits + r * D, D);
        break;
    case NN_LOSS_MSE:
    default:
        memcpy(out, logits, B * D * sizeof(float));
        break;
    }
    return out;
}

int nn_decode(nn_net *net, const float *code, size_t B, float *out)
{
    if (B > net->max_batch)
        return SH_EINVAL;
    net->batch = B;
    memcpy(net->code, code, B * net->cfg.code_dim * sizeof(float));
    nn_data none = { B, net->cfg.input_dim, NULL, NULL };
    for (size_t l = net->code_layer + 1; l < net->n_layers; l++)
        forward_layer(net, l, &none, NN_MODE_INFER, NULL);
    memcpy(out, nn_output(net), B * net->cfg.input_dim * sizeof(float));
    return 0;
}

/* ---- loss and backward ------------------------------------------------------ */

/* Zeroes the activation gradients the backward pass accumulates into, for
 * the rows of the last forward only: dpost of the hidden layers (their
 * dpre is the same array, turned into dL/dpre in place), dpre of the code
 * layer and of the output layer, dcode. (dpost of the code layer and of
 * the output layer are never used: the code's gradient is dcode, the
 * logits' is dpre.) */
static void zero_act_grads(nn_net *net)
{
    size_t B = net->batch, last = net->n_layers - 1;
    for (size_t l = 0; l < net->n_layers; l++) {
        int hidden = l != net->code_layer && l != last;
        memset(hidden ? net->dpost[l] : net->dpre[l], 0, B * net->out_dim[l] * sizeof(float));
    }
    memset(net->dcode, 0, B * net->cfg.code_dim * sizeof(float));
}

int nn_loss(nn_net *net, const nn_data *target, nn_loss_parts *parts)
{
    size_t B = net->batch, K = net->cfg.code_dim, last = net->n_layers - 1;
    size_t D = net->out_dim[last];
    const nn_config *c = &net->cfg;
    if (target == NULL || target->rows != B || target->cols != D)
        return SH_EINVAL;
    int want_csr = c->loss == NN_LOSS_SOFTMAX;
    if (want_csr ? (target->csr == NULL || target->csr->rows != B || target->csr->cols != D)
                 : target->dense == NULL)
        return SH_EINVAL;
    double t0 = now_seconds();
    int grads = net->dacts != NULL; /* inference-only nets compute values only */
    if (grads)
        zero_act_grads(net);
    nn_loss_parts p = { 0, 0, 0, 0 };
    float *dlogits = grads ? net->dpre[last] : NULL, *dcode = grads ? net->dcode : NULL;
    float *dcode_pre = grads ? net->dpre[net->code_layer] : NULL;
    switch (c->loss) {
    case NN_LOSS_BCE:
        p.recon = loss_bce_logits(dlogits, net->post[last], net->pre[last], target->dense, B, D);
        break;
    case NN_LOSS_SOFTMAX:
        p.recon = loss_softmax_csr(dlogits, net->post[last], net->pre[last], target->csr, D);
        break;
    case NN_LOSS_MSE:
    default:
        p.recon = loss_mse(dlogits, net->pre[last], target->dense, B, D);
        break;
    }
    if (c->sparsity_beta > 0) {
        const float *h = c->code_kind == NN_CODE_BINARY ? net->code_p : net->code;
        p.code_reg += reg_kl_sparsity(dcode, h, B, K, c->sparsity_rho, c->sparsity_beta);
    }
    if (c->bernoulli_kl > 0 && c->code_kind == NN_CODE_BINARY)
        p.code_reg += reg_bernoulli_kl(dcode, net->code_p, B, K, c->bernoulli_kl);
    if (c->vae_kl > 0 && c->code_kind == NN_CODE_GAUSSIAN)
        p.code_reg += code_gauss_kl(dcode_pre, net->pre[net->code_layer], B, K, c->vae_kl);
    if (c->weight_decay > 0)
        for (size_t l = 0; l < net->n_layers; l++)
            p.weight_decay += reg_weight_decay(NULL, net->W[l], net->in_dim[l] * net->out_dim[l],
                                               c->weight_decay);
    p.total = p.recon + p.code_reg + p.weight_decay;
    if (parts != NULL)
        *parts = p;
    net->timing.loss_seconds += now_seconds() - t0;
    return 0;
}

void nn_backward(nn_net *net, const nn_data *in, const float *dcode_extra)
{
    size_t B = net->batch, K = net->cfg.code_dim;
    if (net->grads == NULL)
        return; /* inference-only */
    for (size_t l = net->n_layers; l-- > 0;) {
        size_t I = net->in_dim[l], O = net->out_dim[l];
        if (l == net->code_layer) {
            if (dcode_extra != NULL)
                for (size_t i = 0; i < B * K; i++)
                    net->dcode[i] += dcode_extra[i];
            switch (net->cfg.code_kind) {
            case NN_CODE_BINARY:
                code_binary_backward(net->dpre[l], net->code_p, net->dcode, B * K);
                break;
            case NN_CODE_GAUSSIAN:
                code_gauss_backward(net->dpre[l], net->dcode, net->eps, net->pre[l], B, K);
                break;
            case NN_CODE_REAL:
            default:
                act_backward(net->dpre[l], net->code, net->dcode, B * K, net->cfg.code_act);
                break;
            }
        } else if (l != net->n_layers - 1) {
            /* dpre[l] is dpost[l]: one pass, no zeroed array (a relu backward
               over three arrays was 5% of a DEC autoencoder's epoch) */
            act_backward_inplace(net->dpre[l], net->post[l], B * O, hidden_act(net, l));
        }
        int sparse = l == 0 && in->csr != NULL;
        double t0 = now_seconds();
        if (sparse)
            dense_backward_csr(net->dW[0], net->db[0], net->dpre[0], in->csr, O);
        else /* dW[l] is followed by db[l]; xa[l] holds the forward's input */
            dense_backward_aug(l == 0 ? NULL : layer_dinput(net, l), net->dW[l], net->dpre[l],
                               net->xa[l], net->W[l], B, I, O);
        count_product(net, sparse, now_seconds() - t0, layer_flops(net, l, in, 1));
        if (net->cfg.weight_decay > 0)
            reg_weight_decay(net->dW[l], net->W[l], I * O, net->cfg.weight_decay);
    }
}

double nn_step_flops(const nn_net *net, const nn_data *in)
{
    double f = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        f += layer_flops(net, l, in, 0) + layer_flops(net, l, in, 1);
    return f;
}

/* ---- whole data sets ------------------------------------------------------ */

int nn_data_gather(nn_data *out, const nn_data *src, const uint32_t *idx, size_t n,
                   float *dense_buf, sh_csr *csr_buf)
{
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= src->rows)
            return SH_EINVAL;
    out->rows = n;
    out->cols = src->cols;
    out->dense = NULL;
    out->csr = NULL;
    if (src->csr != NULL) {
        int rc = csr_select_rows(csr_buf, src->csr, idx, n);
        if (rc != 0)
            return rc;
        out->csr = csr_buf;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(dense_buf + i * src->cols, src->dense + (size_t)idx[i] * src->cols,
               src->cols * sizeof(float));
    out->dense = dense_buf;
    return 0;
}

/* Rows [row0, row0 + n) of src: dense rows by pointer, CSR rows copied
 * into csr_buf (idx is scratch of n entries). */
static int data_chunk(nn_data *out, const nn_data *src, size_t row0, size_t n, uint32_t *idx,
                      sh_csr *csr_buf)
{
    if (src->csr == NULL) {
        *out = (nn_data){ n, src->cols, src->dense + row0 * src->cols, NULL };
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)(row0 + i);
    return nn_data_gather(out, src, idx, n, NULL, csr_buf);
}

int nn_encode_all(nn_net *net, const nn_data *data, float *codes)
{
    uint32_t *idx = malloc(net->max_batch * sizeof(uint32_t));
    sh_csr rows;
    int rc = csr_init(&rows, data->cols);
    if (idx == NULL || rc != 0) {
        rc = SH_ENOMEM;
        goto fail;
    }
    for (size_t row0 = 0; row0 < data->rows; row0 += net->max_batch) {
        size_t n = data->rows - row0 < net->max_batch ? data->rows - row0 : net->max_batch;
        nn_data chunk;
        rc = data_chunk(&chunk, data, row0, n, idx, &rows);
        if (rc == 0)
            rc = nn_encode(net, &chunk, NN_MODE_INFER, NULL, codes + row0 * net->cfg.code_dim);
        if (rc != 0)
            goto fail;
    }
fail:
    free(idx);
    csr_free(&rows);
    return rc;
}

int nn_evaluate(nn_net *net, const nn_data *in, const nn_data *target, nn_loss_parts *parts)
{
    if (target == NULL)
        target = in;
    if (target->rows != in->rows)
        return SH_EINVAL;
    uint32_t *idx = malloc(net->max_batch * sizeof(uint32_t));
    sh_csr in_rows, target_rows;
    int rc_in = csr_init(&in_rows, in->cols), rc_t = csr_init(&target_rows, target->cols);
    int rc = SH_ENOMEM;
    nn_loss_parts sum = { 0, 0, 0, 0 };
    if (idx == NULL || rc_in != 0 || rc_t != 0)
        goto fail;
    rc = 0;
    for (size_t row0 = 0; row0 < in->rows; row0 += net->max_batch) {
        size_t n = in->rows - row0 < net->max_batch ? in->rows - row0 : net->max_batch;
        nn_data x, t;
        nn_loss_parts p;
        rc = data_chunk(&x, in, row0, n, idx, &in_rows);
        if (rc == 0)
            rc = data_chunk(&t, target, row0, n, idx, &target_rows);
        if (rc == 0)
            rc = nn_forward(net, &x, NN_MODE_INFER, NULL);
        if (rc == 0)
            rc = nn_loss(net, &t, &p);
        if (rc != 0)
            goto fail;
        sum.recon += p.recon * (double)n;
        sum.code_reg += p.code_reg * (double)n;
        sum.weight_decay = p.weight_decay;
    }
    if (in->rows > 0) {
        sum.recon /= (double)in->rows;
        sum.code_reg /= (double)in->rows;
    }
    sum.total = sum.recon + sum.code_reg;
    if (parts != NULL)
        *parts = sum;
fail:
    free(idx);
    csr_free(&in_rows);
    csr_free(&target_rows);
    return rc;
}
