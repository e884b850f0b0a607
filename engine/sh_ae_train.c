/* sh_ae_train.c — sh_ae_train and its defaults (semhash_ae.h): checks the
 * public options, turns them into the engine's (ae_arch, ae_fit_opts,
 * ae_dec_opts) and runs the blade's recipe from ae_train.h, the same
 * recipe `semhash ae <task>` runs. */
#include "sh_ae_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_train.h"
#include "sh_error.h"

#define MSG_LEN 512

void sh_ae_train_defaults(int blade, sh_ae_train_options *o)
{
    int known = blade >= SH_AE_REDUCE && blade <= SH_AE_CLASSIFY;
    ae_recipe r;
    ae_recipe_defaults(&r, known ? (ae_blade)blade : AE_BLADE_REDUCE);
    memset(o, 0, sizeof(*o));
    o->blade = blade;
    memcpy(o->hidden, r.arch.hidden, sizeof(o->hidden));
    o->n_hidden = r.arch.n_hidden;
    o->code = r.arch.code;
    o->activation = SH_AE_RELU;
    o->loss = SH_AE_LOSS_AUTO;
    o->sparsity_target = r.arch.sparsity_rho;
    o->epochs = r.fit.epochs;
    o->batch = r.fit.batch_size;
    o->lr = r.fit.lr;
    o->seed = r.fit.seed;
    /* denoise corrupts; the recipe's noise is none until a caller says */
    o->noise = SH_AE_NOISE_GAUSSIAN;
    o->noise_level = ae_noise_default_level(AE_NOISE_GAUSSIAN);
    o->threshold_rule = SH_AE_THRESHOLD_FPR;
    o->threshold_value = r.threshold.value;
    o->clusters = r.dec.clusters;
    o->dec_epochs = r.dec.max_epochs;
    o->dec_lr = r.dec.lr;
    o->gamma = r.dec.gamma;
    o->tol = r.dec.tol;
    o->update_interval = r.dec.update_interval;
    o->softmax_epochs = r.softmax_epochs;
}

/* ---- checking the options and rows -------------------------------------------- */

static int check_network(const sh_ae_train_options *o, char *err, size_t err_len)
{
    if (o->n_hidden > SH_AE_MAX_HIDDEN)
        return sh_fail(err, err_len, SH_EINVAL, "n_hidden is %u; at most %d hidden layers",
                       o->n_hidden, SH_AE_MAX_HIDDEN);
    for (uint32_t i = 0; i < o->n_hidden; i++)
        if (o->hidden[i] < 1 || o->hidden[i] > 1000000)
            return sh_fail(err, err_len, SH_EINVAL, "hidden[%u] is %u; widths are 1..1000000", i,
                           o->hidden[i]);
    if (o->code < 1 || o->code > 1000000)
        return sh_fail(err, err_len, SH_EINVAL, "code is %u; it must be in 1..1000000", o->code);
    if (o->activation < SH_AE_RELU || o->activation > SH_AE_TANH)
        return sh_fail(err, err_len, SH_EINVAL, "activation %d is not SH_AE_RELU, _SIGMOID or "
                       "_TANH", o->activation);
    if (o->loss < SH_AE_LOSS_AUTO || o->loss > SH_AE_LOSS_BCE)
        return sh_fail(err, err_len, SH_EINVAL, "loss %d is not SH_AE_LOSS_AUTO, _MSE or _BCE",
                       o->loss);
    if (!(o->weight_decay >= 0) || !(o->sparsity >= 0) ||
        (o->sparsity > 0 && !(o->sparsity_target > 0 && o->sparsity_target < 1)))
        return sh_fail(err, err_len, SH_EINVAL, "need weight_decay >= 0, sparsity >= 0 and a "
                       "sparsity_target in (0, 1)");
    if (o->epochs < 1 || o->batch < 1 || o->batch > NN_MAX_BATCH || !(o->lr > 0))
        return sh_fail(err, err_len, SH_EINVAL, "need epochs >= 1, batch in 1..%d, lr > 0",
                       NN_MAX_BATCH);
    if (o->threads < 0 || o->threads > 1024)
        return sh_fail(err, err_len, SH_EINVAL, "threads is %d; it must be in 0..1024",
                       o->threads);
    return 0;
}

/* The blade's own options. */
static int check_blade(const sh_ae_train_options *o, size_t n, char *err, size_t err_len)
{
    switch (o->blade) {
    case SH_AE_DENOISE:
        if (o->noise < SH_AE_NOISE_GAUSSIAN || o->noise > SH_AE_NOISE_SALT_PEPPER ||
            !(o->noise_level >= 0) || (o->noise != SH_AE_NOISE_GAUSSIAN && o->noise_level > 1))
            return sh_fail(err, err_len, SH_EINVAL, "denoise needs a noise (SH_AE_NOISE_...) "
                           "and a level (a share in [0, 1] for mask and salt-and-pepper)");
        return 0;
    case SH_AE_ANOMALY:
        if (o->threshold_rule == SH_AE_THRESHOLD_FPR &&
            !(o->threshold_value >= 0 && o->threshold_value <= 1))
            return sh_fail(err, err_len, SH_EINVAL, "threshold_value %g: a false-positive rate "
                           "is in [0, 1]", o->threshold_value);
        if (o->threshold_rule == SH_AE_THRESHOLD_PERCENTILE &&
            !(o->threshold_value >= 0 && o->threshold_value <= 100))
            return sh_fail(err, err_len, SH_EINVAL, "threshold_value %g: a percentile is in "
                           "[0, 100]", o->threshold_value);
        if (o->threshold_rule != SH_AE_THRESHOLD_FPR &&
            o->threshold_rule != SH_AE_THRESHOLD_PERCENTILE)
            return sh_fail(err, err_len, SH_EINVAL, "threshold_rule %d is not "
                           "SH_AE_THRESHOLD_FPR or _PERCENTILE", o->threshold_rule);
        return 0;
    case SH_AE_CLUSTER:
        if (o->clusters < 1 || o->clusters > n)
            return sh_fail(err, err_len, SH_EINVAL, "%zu rows cannot form %zu clusters", n,
                           o->clusters);
        if (o->dec_epochs < 1 || o->update_interval < 1 || !(o->tol >= 0) || !(o->gamma >= 0) ||
            !(o->dec_lr > 0))
            return sh_fail(err, err_len, SH_EINVAL, "cluster needs dec_epochs >= 1, "
                           "update_interval >= 1, tol >= 0, gamma >= 0, dec_lr > 0");
        return 0;
    case SH_AE_CLASSIFY:
        if (o->softmax_epochs < 1)
            return sh_fail(err, err_len, SH_EINVAL, "softmax_epochs must be >= 1");
        return 0;
    case SH_AE_REDUCE:
    case SH_AE_GENERATE:
        return 0;
    default:
        return sh_fail(err, err_len, SH_EINVAL, "blade %d is not one of SH_AE_REDUCE .. "
                       "SH_AE_CLASSIFY", o->blade);
    }
}

/* Rows and labels; *classes gets the largest label + 1. */
static int check_rows(const sh_ae_train_options *o, const float *x, size_t n, size_t d,
                      const int *labels, size_t *classes, char *err, size_t err_len)
{
    if (x == NULL || n < 2 || d < 1 || d > UINT32_MAX)
        return sh_fail(err, err_len, SH_EINVAL, "need rows x, n >= 2 and d >= 1 (n %zu, d %zu)",
                       n, d);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return sh_fail(err, err_len, SH_EINPUT, "row %zu has a non-finite value (column %zu)",
                           i / d + 1, i % d + 1);
    size_t bad = ae_first_row_outside_unit(x, n, d);
    if (o->blade == SH_AE_GENERATE && bad < n)
        return sh_fail(err, err_len, SH_EINPUT, "row %zu: values must be in [0, 1] for the "
                       "Bernoulli decoder", bad + 1);
    *classes = 0;
    if (o->blade != SH_AE_CLASSIFY)
        return 0;
    if (labels == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "classify needs labels, one per row");
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] > 254)
            return sh_fail(err, err_len, SH_EINPUT, "row %zu has label %d; labels are 0..254",
                           i + 1, labels[i]);
        if ((size_t)labels[i] + 1 > *classes)
            *classes = (size_t)labels[i] + 1;
    }
    if (*classes < 2)
        return sh_fail(err, err_len, SH_EINPUT, "classify needs at least two classes");
    return 0;
}

/* ---- progress ------------------------------------------------------------------- */

/* The engine's stage hooks in front of the caller's one callback. */
typedef struct {
    const sh_ae_train_options *o;
    char stage[32];
    uint64_t total;
} progress_bridge;

static void on_begin(const char *stage, uint64_t total, void *user)
{
    progress_bridge *b = user;
    snprintf(b->stage, sizeof(b->stage), "%s", stage);
    b->total = total;
}

static int on_step(uint64_t done, const char *status, void *user)
{
    progress_bridge *b = user;
    (void)status;
    return b->o->progress(b->stage, done, b->total, b->o->user);
}

/* ---- training --------------------------------------------------------------------- */

static sh_activation activation_of(int a)
{
    return a == SH_AE_TANH ? SH_ACT_TANH : a == SH_AE_SIGMOID ? SH_ACT_SIGMOID : SH_ACT_RELU;
}

static ae_noise_kind noise_of(int n)
{
    return n == SH_AE_NOISE_MASK ? AE_NOISE_MASK
           : n == SH_AE_NOISE_SALT_PEPPER ? AE_NOISE_SALT_PEPPER : AE_NOISE_GAUSSIAN;
}

/* Replaces every network of m by an inference-only copy (a quarter of the
 * memory: no gradients or Adam moments), as a model opened from a file. */
static int to_inference(ae_blade_model *m)
{
    for (size_t i = 0; i < m->n_nets; i++) {
        nn_net *copy = NULL;
        int rc = nn_clone(m->nets[i], 0, 1, &copy);
        if (rc != 0)
            return rc;
        nn_free(m->nets[i]);
        m->nets[i] = copy;
    }
    return 0;
}

/* The engine's recipe of checked public options. */
static ae_recipe recipe_of(const sh_ae_train_options *o)
{
    ae_recipe r;
    ae_recipe_defaults(&r, (ae_blade)o->blade);
    memcpy(r.arch.hidden, o->hidden, sizeof(r.arch.hidden));
    r.arch.n_hidden = o->n_hidden;
    r.arch.code = o->code;
    r.arch.act = activation_of(o->activation);
    r.arch.loss = o->loss == SH_AE_LOSS_AUTO ? -1
                  : o->loss == SH_AE_LOSS_BCE ? NN_LOSS_BCE : NN_LOSS_MSE;
    r.arch.weight_decay = o->weight_decay;
    r.arch.sparsity_beta = o->sparsity;
    r.arch.sparsity_rho = o->sparsity_target;
    r.fit.epochs = o->epochs;
    r.fit.batch_size = o->batch;
    r.fit.lr = o->lr;
    r.fit.seed = o->seed;
    if (o->blade == SH_AE_DENOISE) {
        r.fit.noise.kind = noise_of(o->noise);
        r.fit.noise.level = o->noise_level;
    }
    r.threshold.rule = o->threshold_rule == SH_AE_THRESHOLD_FPR ? AE_THRESH_FPR
                                                                : AE_THRESH_PERCENTILE;
    r.threshold.value = o->threshold_value;
    r.dec.clusters = o->clusters;
    r.dec.gamma = o->gamma;
    r.dec.lr = o->dec_lr;
    r.dec.max_epochs = o->dec_epochs;
    r.dec.update_interval = o->update_interval;
    r.dec.tol = o->tol;
    r.softmax_epochs = o->softmax_epochs;
    return r;
}

/* The blade's recipe on rows, into m. */
static int train_blade(const ae_recipe *r, const nn_config *cfg, const nn_data *rows,
                       const int *labels, size_t classes, const ae_progress *p,
                       ae_blade_model *m, char *err, size_t err_len)
{
    if (r->blade == AE_BLADE_CLASSIFY) {
        ae_classify_summary s;
        int rc = ae_classify_train(cfg, rows->dense, labels, rows->rows, classes, r, p, &m->nets,
                                   &m->head, &s, err, err_len);
        if (rc == 0)
            m->n_nets = classes;
        return rc;
    }
    if ((m->nets = calloc(1, sizeof(*m->nets))) == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    m->n_nets = 1;
    if (r->blade != AE_BLADE_CLUSTER) {
        int rc = ae_train_net(cfg, rows, NULL, &r->fit, p, ae_blade_name(r->blade), &m->nets[0],
                              NULL, err, err_len);
        if (rc != 0 || r->blade != AE_BLADE_ANOMALY)
            return rc;
        m->threshold = r->threshold;
        return ae_anomaly_learn(m->nets[0], rows, &m->threshold, err, err_len);
    }
    m->clusters = r->dec.clusters;
    m->alpha = r->dec.alpha;
    int *assign = malloc(rows->rows * sizeof(int));
    m->centroids = malloc(m->clusters * cfg->code_dim * sizeof(float));
    if (assign == NULL || m->centroids == NULL) {
        free(assign);
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    }
    ae_cluster_summary s;
    int rc = ae_cluster_train(cfg, rows, NULL, r, p, &m->nets[0], m->centroids, assign, NULL, &s,
                              err, err_len);
    free(assign);
    m->code_len = s.dec.code_len;
    return rc;
}

int sh_ae_train(const sh_ae_train_options *o, const float *x, size_t n, size_t d,
                const int *labels, sh_ae **out, char *err, size_t err_len)
{
    char msg[MSG_LEN] = "";
    ae_blade_model m;
    size_t classes = 0;
    int rc;
    memset(&m, 0, sizeof(m));
    if (out != NULL)
        *out = NULL;
    if (o == NULL || out == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "sh_ae_train: options and out must not be NULL");
    if ((rc = check_blade(o, n, msg, sizeof(msg))) != 0 ||
        (rc = check_network(o, msg, sizeof(msg))) != 0 ||
        (rc = check_rows(o, x, n, d, labels, &classes, msg, sizeof(msg))) != 0)
        goto fail;
    if (o->threads > 0)
        mat_set_threads(o->threads);
    ae_recipe r = recipe_of(o);
    nn_config cfg;
    int in_unit = ae_first_row_outside_unit(x, n, d) == n;
    ae_blade_config(&cfg, r.blade, &r.arch, (uint32_t)d, ae_blade_default_loss(r.blade, in_unit),
                    r.fit.batch_size);
    progress_bridge bridge = { o, "", 0 };
    ae_progress hooks = { on_begin, on_step, NULL, &bridge };
    nn_data rows = { n, d, x, NULL };
    m.meta.blade = r.blade;
    m.meta.height = o->height;
    m.meta.width = o->width;
    rc = train_blade(&r, &cfg, &rows, labels, classes, o->progress != NULL ? &hooks : NULL, &m,
                     msg, sizeof(msg));
    if (rc == 0 && (rc = to_inference(&m)) != 0)
        sh_fail(msg, sizeof(msg), rc, "out of memory");
    if (rc != 0)
        goto fail;
    if ((*out = sh_ae_wrap(&m, "trained model")) == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "sh_ae_train: out of memory");
    return 0;
fail:
    ae_blade_model_free(&m);
    return sh_fail(err, err_len, rc, "sh_ae_train: %s: %s", ae_blade_name((ae_blade)o->blade),
                   msg[0] ? msg : sh_strerror(rc));
}
