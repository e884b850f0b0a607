/* ae_train.c — the training recipes of the toolkit's blades (see
 * ae_train.h). */
#include "ae_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_anomaly.h"
#include "ae_vae.h"
#include "sh_error.h"

/* ---- architecture -------------------------------------------------------- */

void ae_arch_defaults(ae_arch *a, ae_blade blade)
{
    memset(a, 0, sizeof(*a));
    a->hidden[0] = 128;
    a->n_hidden = 1;
    a->code = 32;
    if (blade == AE_BLADE_CLUSTER) {
        a->hidden[0] = 500;
        a->hidden[1] = 500;
        a->hidden[2] = 2000;
        a->n_hidden = 3;
        a->code = 10;
    } else if (blade == AE_BLADE_GENERATE) {
        a->hidden[0] = 512;
        a->hidden[1] = 256;
        a->n_hidden = 2;
        a->code = 20;
    }
    a->act = SH_ACT_RELU;
    a->loss = -1;
    a->sparsity_rho = 0.05f;
}

nn_loss_kind ae_blade_default_loss(ae_blade blade, int in_unit)
{
    switch (blade) {
    case AE_BLADE_DENOISE:
    case AE_BLADE_GENERATE:
        return NN_LOSS_BCE;
    case AE_BLADE_ANOMALY:
        return in_unit ? NN_LOSS_BCE : NN_LOSS_MSE;
    default:
        return NN_LOSS_MSE;
    }
}

void ae_blade_config(nn_config *cfg, ae_blade blade, const ae_arch *a, uint32_t D,
                     nn_loss_kind default_loss, size_t batch)
{
    if (blade == AE_BLADE_GENERATE) {
        ae_vae_config(cfg, D, a->hidden, a->n_hidden, a->code);
    } else {
        nn_config_defaults(cfg, D, a->code);
        cfg->n_enc = a->n_hidden;
        for (uint32_t i = 0; i < a->n_hidden && i < NN_MAX_HIDDEN; i++)
            cfg->enc_hidden[i] = a->hidden[i];
        cfg->loss = a->loss >= 0 ? (nn_loss_kind)a->loss : default_loss;
        if (a->sparsity_beta > 0) {
            cfg->sparsity_beta = a->sparsity_beta;
            cfg->sparsity_rho = a->sparsity_rho;
            cfg->code_act = SH_ACT_SIGMOID;
        }
    }
    cfg->enc_act = a->act;
    cfg->dec_act = a->act;
    cfg->weight_decay = a->weight_decay;
    cfg->max_batch = (uint32_t)(batch > 256 ? batch : 256);
}

size_t ae_first_row_outside_unit(const float *x, size_t N, size_t D)
{
    for (size_t i = 0; i < N * D; i++)
        if (!(x[i] >= 0.0f && x[i] <= 1.0f))
            return i / D;
    return N;
}

/* ---- fitting ----------------------------------------------------------------- */

void ae_fit_defaults(ae_fit_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->epochs = 10;
    o->batch_size = 256;
    o->lr = 1e-3f;
    o->seed = 1;
    o->noise.kind = AE_NOISE_NONE;
    o->noise.clip = 1;
}

/* The user pointer of nn_train's two callbacks. */
typedef struct {
    const ae_progress *p;
    int epochs;
    ae_noise noise;
} fit_hooks;

static int on_corrupt(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng,
                      void *user)
{
    fit_hooks *h = user;
    return ae_corrupt_batch(dense, csr, rows, cols, rng, &h->noise);
}

static int on_batch(int epoch, size_t batch, size_t batches, double loss, void *user)
{
    fit_hooks *h = user;
    char status[64];
    snprintf(status, sizeof(status), "epoch %d/%d loss %.4g", epoch + 1, h->epochs, loss);
    return h->p->step(((uint64_t)epoch * batches + batch + 1), status, h->p->user);
}

int ae_fit_net(nn_net *net, const nn_data *train, const nn_data *target, const ae_fit_opts *o,
               const ae_progress *p, const char *label, nn_train_summary *s, char *err,
               size_t err_len)
{
    nn_train_summary local;
    if (s == NULL)
        s = &local;
    memset(s, 0, sizeof(*s));
    nn_train_opts t;
    nn_train_defaults(&t);
    t.epochs = o->epochs;
    t.batch_size = o->batch_size;
    t.optim.lr = o->lr;
    t.seed = o->seed;
    t.patience = 0;
    fit_hooks h = { p, o->epochs, o->noise };
    t.user = &h;
    if (p != NULL && p->step != NULL)
        t.progress = on_batch;
    if (o->noise.kind != AE_NOISE_NONE)
        t.corrupt = on_corrupt;
    size_t batches = o->batch_size > 0 ? (train->rows + o->batch_size - 1) / o->batch_size : 0;
    uint64_t total = (uint64_t)(o->epochs > 0 ? o->epochs : 0) * batches;
    if (p != NULL && p->begin != NULL)
        p->begin(label, total, p->user);
    int rc = nn_train(net, train, target, NULL, NULL, &t, s, err, err_len);
    if (p != NULL && p->end != NULL) {
        char status[64];
        snprintf(status, sizeof(status), "loss %.4g", s->train_loss);
        p->end(total, status, p->user);
    }
    return rc;
}

int ae_train_net(const nn_config *cfg, const nn_data *train, const nn_data *target,
                 const ae_fit_opts *o, const ae_progress *p, const char *label, nn_net **out,
                 nn_train_summary *s, char *err, size_t err_len)
{
    nn_net *net = NULL;
    sh_rng init;
    rng_seed(&init, o->seed);
    *out = NULL;
    int rc = nn_new(cfg, &init, &net, err, err_len);
    if (rc != 0)
        return rc;
    if ((rc = ae_fit_net(net, train, target, o, p, label, s, err, err_len)) != 0) {
        nn_free(net);
        return rc;
    }
    *out = net;
    return 0;
}

/* ---- a blade's whole recipe ------------------------------------------------- */

void ae_recipe_defaults(ae_recipe *r, ae_blade blade)
{
    memset(r, 0, sizeof(*r));
    r->blade = blade;
    ae_arch_defaults(&r->arch, blade);
    ae_fit_defaults(&r->fit);
    r->threshold.rule = AE_THRESH_FPR;
    r->threshold.value = 0.05;
    ae_dec_defaults(&r->dec);
    ae_softmax_opts head;
    ae_softmax_defaults(&head);
    r->softmax_epochs = head.epochs;
}

/* ---- the anomaly blade ----------------------------------------------------- */

int ae_anomaly_learn(nn_net *net, const nn_data *normal, ae_threshold *t, char *err,
                     size_t err_len)
{
    if (normal->rows == 0)
        return sh_fail(err, err_len, SH_EINVAL, "anomaly: no normal rows to learn a threshold");
    float *scores = malloc(normal->rows * sizeof(float));
    if (scores == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "anomaly: out of memory");
    int rc = ae_row_errors(net, normal, scores);
    if (rc == 0 && (rc = ae_anomaly_fit_threshold(t, scores, normal->rows)) != 0)
        sh_fail(err, err_len, rc, "anomaly: cannot learn a threshold (%s %g) from %zu scores",
                t->rule == AE_THRESH_FPR ? "false-positive rate" : "percentile", t->value,
                normal->rows);
    else if (rc != 0)
        sh_fail(err, err_len, rc, "anomaly: scoring failed: %s", sh_strerror(rc));
    free(scores);
    return rc;
}

/* ---- the classification blade ---------------------------------------------- */

void ae_softmax_small_batch(ae_softmax_opts *o, size_t rows)
{
    if (rows / 20 < o->batch_size)
        o->batch_size = rows / 20 > 16 ? rows / 20 : 16;
}

/* Every fifth row of each class, in order, is held out for the stacked
 * head. Copies the rows of class c that its network trains on into out
 * (room for N x D) and returns their count. */
static size_t class_train_rows(const float *x, const int *y, size_t N, size_t D, int c,
                               float *out)
{
    size_t n = 0, seen = 0;
    for (size_t i = 0; i < N; i++)
        if (y[i] == c && seen++ % 5 != 4)
            memcpy(out + n++ * D, x + i * D, D * sizeof(float));
    return n;
}

/* The held-out rows of every class, in row order, into out (room for N x
 * D) and their labels into yh[N]; seen[C] is scratch. Returns the count. */
static size_t held_out_rows(const float *x, const int *y, size_t N, size_t D, size_t *seen,
                            float *out, int *yh)
{
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        if (seen[y[i]]++ % 5 == 4) {
            memcpy(out + n * D, x + i * D, D * sizeof(float));
            yh[n++] = y[i];
        }
    return n;
}

int ae_classify_train(const nn_config *cfg, const float *x, const int *y, size_t N, size_t C,
                      const ae_recipe *r, const ae_progress *p, nn_net ***nets_out,
                      ae_softmax *head, ae_classify_summary *s, char *err, size_t err_len)
{
    size_t D = cfg->input_dim;
    nn_net **nets = NULL;
    float *rows = NULL, *feats = NULL;
    int *yh = NULL;
    size_t *seen = NULL;
    int rc;
    memset(head, 0, sizeof(*head));
    memset(s, 0, sizeof(*s));
    if (C < 2 || C > 255)
        return sh_fail(err, err_len, SH_EINVAL, "classify: need 2..255 classes, not %zu", C);
    for (size_t i = 0; i < N; i++)
        if (y[i] < 0 || (size_t)y[i] >= C)
            return sh_fail(err, err_len, SH_EINPUT, "classify: row %zu has label %d, not in "
                           "0..%zu", i + 1, y[i], C - 1);
    rc = SH_ENOMEM;
    nets = calloc(C, sizeof(*nets));
    rows = malloc((N ? N : 1) * D * sizeof(float));
    feats = malloc((N ? N : 1) * C * sizeof(float));
    yh = malloc((N ? N : 1) * sizeof(int));
    seen = calloc(C, sizeof(size_t));
    if (!nets || !rows || !feats || !yh || !seen) {
        sh_fail(err, err_len, rc, "classify: out of memory");
        goto fail;
    }
    for (size_t c = 0; c < C; c++) {
        size_t n = class_train_rows(x, y, N, D, (int)c, rows);
        if (n < 2) {
            rc = sh_fail(err, err_len, SH_EINPUT,
                         "class %zu has %zu training rows; need at least 2", c, n);
            goto fail;
        }
        char label[32];
        snprintf(label, sizeof(label), "class %zu", c);
        nn_data tr = { n, D, rows, NULL };
        nn_train_summary ts;
        if ((rc = ae_train_net(cfg, &tr, NULL, &r->fit, p, label, &nets[c], &ts, err,
                               err_len)) != 0)
            goto fail;
        s->seconds += ts.seconds;
    }
    /* the head learns from the held-out fifth: errors of rows an
     * autoencoder was trained on are optimistic */
    size_t nh = held_out_rows(x, y, N, D, seen, rows, yh);
    if (nh < 2) {
        rc = sh_fail(err, err_len, SH_EINPUT, "too few rows to hold out for the stacked softmax");
        goto fail;
    }
    nn_data held = { nh, D, rows, NULL };
    if ((rc = ae_classify_features(nets, C, &held, feats)) != 0) {
        sh_fail(err, err_len, rc, "classify: reconstruction features failed: %s",
                sh_strerror(rc));
        goto fail;
    }
    ae_softmax_opts so;
    ae_softmax_defaults(&so);
    so.epochs = 5 * r->softmax_epochs;
    so.seed = r->fit.seed;
    ae_softmax_small_batch(&so, nh);
    if ((rc = ae_softmax_fit(head, feats, yh, nh, C, C, &so)) != 0) {
        sh_fail(err, err_len, rc, "classify: softmax regression failed: %s", sh_strerror(rc));
        goto fail;
    }
    s->head_rows = nh;
    *nets_out = nets;
    nets = NULL;
    rc = 0;
fail:
    if (nets != NULL)
        for (size_t c = 0; c < C; c++)
            nn_free(nets[c]);
    free(nets);
    free(rows);
    free(feats);
    free(yh);
    free(seen);
    return rc;
}

/* ---- the clustering blade ---------------------------------------------------- */

static int on_refresh(int epoch, double changed, double loss, void *user)
{
    const ae_progress *p = user;
    char status[64];
    snprintf(status, sizeof(status), "changed %.4f%% kl %.4g", 100.0 * changed, loss);
    return p->step((uint64_t)epoch, status, p->user);
}

int ae_cluster_train(const nn_config *cfg, const nn_data *data, const nn_data *valid,
                     const ae_recipe *r, const ae_progress *p, nn_net **out, float *mu,
                     int *assign, int *init_assign, ae_cluster_summary *s, char *err,
                     size_t err_len)
{
    nn_net *net = NULL;
    memset(s, 0, sizeof(*s));
    s->pretrain_valid_mse = NAN;
    *out = NULL;
    int rc = ae_train_net(cfg, data, NULL, &r->fit, p, ae_blade_name(AE_BLADE_CLUSTER), &net,
                          &s->pretrain, err, err_len);
    if (rc != 0)
        return rc;
    nn_loss_parts parts;
    if (valid != NULL && valid->rows > 0 && nn_evaluate(net, valid, NULL, &parts) == 0)
        s->pretrain_valid_mse = parts.recon / (double)valid->cols;
    ae_dec_opts d = r->dec;
    d.batch_size = r->fit.batch_size;
    d.seed = r->fit.seed;
    d.recon = r->dec.gamma > 0;
    d.progress = p != NULL && p->step != NULL ? on_refresh : NULL;
    d.user = (void *)p;
    if (p != NULL && p->begin != NULL)
        p->begin("dec", (uint64_t)d.max_epochs, p->user);
    rc = ae_dec_fit(net, data, &d, mu, assign, init_assign, &s->dec, err, err_len);
    if (p != NULL && p->end != NULL)
        p->end((uint64_t)ceil(s->dec.epochs), NULL, p->user);
    if (rc != 0) {
        nn_free(net);
        return rc;
    }
    *out = net;
    return 0;
}
