/* sh_ae.c — the toolkit's public API (semhash_ae.h): opening, saving and
 * describing a model, and using it on dense rows. Every call checks its
 * arguments and the blade, then hands the rows to the blade's engine
 * functions (ae_common.h, ae_dec.h, ae_classify.h, ae_vae.h); training is
 * in sh_ae_train.c. */
#include "sh_ae_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_dec.h"
#include "ae_vae.h"
#include "sh_error.h"

#define MSG_LEN 512

const char *sh_ae_blade_name(int blade)
{
    return ae_blade_name((ae_blade)blade);
}

sh_ae *sh_ae_wrap(ae_blade_model *model, const char *name)
{
    sh_ae *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        ae_blade_model_free(model);
        return NULL;
    }
    m->model = *model;
    memset(model, 0, sizeof(*model));
    snprintf(m->name, sizeof(m->name), "%s", name);
    return m;
}

int sh_ae_open(const char *path, sh_ae **out, char *err, size_t err_len)
{
    char msg[MSG_LEN] = "";
    ae_blade_model model;
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "sh_ae_open: path and out must not be NULL");
    int rc = ae_blade_model_load(path, &model, msg, sizeof(msg));
    if (rc != 0)
        return sh_fail(err, err_len, rc, "sh_ae_open: %s", msg[0] ? msg : sh_strerror(rc));
    if ((*out = sh_ae_wrap(&model, path)) == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "sh_ae_open: %s: out of memory", path);
    return 0;
}

int sh_ae_save(const sh_ae *m, const char *path, char *err, size_t err_len)
{
    char msg[MSG_LEN] = "";
    if (m == NULL || path == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "sh_ae_save: model and path must not be NULL");
    int rc = ae_blade_model_save(&m->model, path, msg, sizeof(msg));
    if (rc != 0)
        return sh_fail(err, err_len, rc, "sh_ae_save: %s", msg[0] ? msg : sh_strerror(rc));
    return 0;
}

void sh_ae_close(sh_ae *m)
{
    if (m == NULL)
        return;
    ae_blade_model_free(&m->model);
    free(m);
}

void sh_ae_get_info(const sh_ae *m, sh_ae_info *info)
{
    const ae_blade_model *bm = &m->model;
    const nn_net *net = bm->nets[0];
    memset(info, 0, sizeof(*info));
    info->blade = (int)bm->meta.blade;
    info->input_dim = net->cfg.input_dim;
    info->code_dim = net->cfg.code_dim;
    info->height = bm->meta.height;
    info->width = bm->meta.width;
    if (bm->meta.blade == AE_BLADE_CLASSIFY)
        info->classes = bm->n_nets;
    else if (bm->meta.blade == AE_BLADE_CLUSTER)
        info->classes = bm->clusters;
    if (bm->meta.blade == AE_BLADE_ANOMALY) {
        info->threshold = bm->threshold.threshold;
        info->threshold_rule = bm->threshold.rule == AE_THRESH_FPR ? SH_AE_THRESHOLD_FPR
                                                                   : SH_AE_THRESHOLD_PERCENTILE;
        info->threshold_value = bm->threshold.value;
    }
    for (size_t i = 0; i < bm->n_nets; i++)
        info->params += bm->nets[i]->n_params;
}

/* ---- using a model ---------------------------------------------------------------- */

/* The operations and the blades that have them. */
typedef enum { OP_ENCODE, OP_RECONSTRUCT, OP_SCORE, OP_FLAG, OP_CLUSTER, OP_CLASSIFY,
               OP_GENERATE } op_kind;

static const char *op_missing(ae_blade blade, op_kind op)
{
    switch (op) {
    case OP_ENCODE:
    case OP_RECONSTRUCT:
    case OP_SCORE:
        return blade == AE_BLADE_CLASSIFY ? "one network per class: use sh_ae_classify" : NULL;
    case OP_FLAG:
        return blade == AE_BLADE_ANOMALY ? NULL : "no anomaly threshold: pass flags NULL";
    case OP_CLUSTER:
        return blade == AE_BLADE_CLUSTER ? NULL : "no clusters";
    case OP_CLASSIFY:
        return blade == AE_BLADE_CLASSIFY ? NULL : "no classes";
    default:
        return blade == AE_BLADE_GENERATE ? NULL : "not a generative model";
    }
}

/* Checks that m has the operation. */
static int check_op(const sh_ae *m, op_kind op, const char *fn, char *err, size_t err_len)
{
    if (m == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "%s: the model is NULL", fn);
    const char *why = op_missing(m->model.meta.blade, op);
    if (why != NULL)
        return sh_fail(err, err_len, SH_EMODEL, "%s: %s is a model of blade `%s` (%s)", fn,
                       m->name, ae_blade_name(m->model.meta.blade), why);
    return 0;
}

/* Checks that m has the operation and that rows x[n, d] fit it, and views
 * them in *rows. */
static int begin_op(const sh_ae *m, op_kind op, const float *x, size_t n, size_t d,
                    const void *out, const char *fn, nn_data *rows, char *err, size_t err_len)
{
    int rc = check_op(m, op, fn, err, err_len);
    if (rc != 0)
        return rc;
    size_t D = m->model.nets[0]->cfg.input_dim;
    if (x == NULL || out == NULL || n == 0)
        return sh_fail(err, err_len, SH_EINVAL, "%s: %s: need rows, n >= 1 and an output buffer",
                       fn, m->name);
    if (d != D)
        return sh_fail(err, err_len, SH_EMODEL, "%s: rows have %zu values, %s expects %zu", fn, d,
                       m->name, D);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return sh_fail(err, err_len, SH_EINPUT, "%s: row %zu has a non-finite value (column "
                           "%zu)", fn, i / d + 1, i % d + 1);
    nn_data view = { n, d, x, NULL };
    *rows = view;
    return 0;
}

/* The result of an engine call: 0, or its code with a message. */
static int engine_rc(const sh_ae *m, int rc, const char *fn, char *err, size_t err_len)
{
    if (rc == 0)
        return 0;
    return sh_fail(err, err_len, rc, "%s: %s: %s", fn, m->name, sh_strerror(rc));
}

int sh_ae_encode(sh_ae *m, const float *x, size_t n, size_t d, float *codes, char *err,
                 size_t err_len)
{
    static const char fn[] = "sh_ae_encode";
    nn_data rows;
    int rc = begin_op(m, OP_ENCODE, x, n, d, codes, fn, &rows, err, err_len);
    if (rc == 0)
        rc = engine_rc(m, nn_encode_all(m->model.nets[0], &rows, codes), fn, err, err_len);
    return rc;
}

int sh_ae_reconstruct(sh_ae *m, const float *x, size_t n, size_t d, float *out, char *err,
                      size_t err_len)
{
    static const char fn[] = "sh_ae_reconstruct";
    nn_data rows;
    int rc = begin_op(m, OP_RECONSTRUCT, x, n, d, out, fn, &rows, err, err_len);
    if (rc == 0)
        rc = engine_rc(m, ae_reconstruct(m->model.nets[0], &rows, out), fn, err, err_len);
    return rc;
}

int sh_ae_score(sh_ae *m, const float *x, size_t n, size_t d, float *scores, int *flags,
                char *err, size_t err_len)
{
    static const char fn[] = "sh_ae_score";
    nn_data rows;
    int rc = begin_op(m, flags != NULL ? OP_FLAG : OP_SCORE, x, n, d, scores, fn, &rows, err,
                      err_len);
    if (rc == 0)
        rc = engine_rc(m, ae_row_errors(m->model.nets[0], &rows, scores), fn, err, err_len);
    for (size_t i = 0; rc == 0 && flags != NULL && i < n; i++)
        flags[i] = scores[i] > m->model.threshold.threshold;
    return rc;
}

int sh_ae_cluster(sh_ae *m, const float *x, size_t n, size_t d, int *assign, float *soft,
                  char *err, size_t err_len)
{
    static const char fn[] = "sh_ae_cluster";
    nn_data rows;
    int rc = begin_op(m, OP_CLUSTER, x, n, d, assign, fn, &rows, err, err_len);
    if (rc != 0)
        return rc;
    const ae_blade_model *bm = &m->model;
    rc = ae_dec_predict_soft(bm->nets[0], &rows, bm->centroids, bm->clusters, bm->alpha,
                             bm->code_len, assign, soft);
    return engine_rc(m, rc, fn, err, err_len);
}

int sh_ae_classify(sh_ae *m, const float *x, size_t n, size_t d, int *pred, float *prob,
                   char *err, size_t err_len)
{
    static const char fn[] = "sh_ae_classify";
    nn_data rows;
    int rc = begin_op(m, OP_CLASSIFY, x, n, d, pred, fn, &rows, err, err_len);
    if (rc != 0)
        return rc;
    const ae_blade_model *bm = &m->model;
    size_t C = bm->n_nets;
    float *feats = malloc(n * C * sizeof(float));
    if (feats == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "%s: %s: out of memory", fn, m->name);
    rc = ae_classify_features(bm->nets, C, &rows, feats);
    if (rc == 0)
        rc = ae_softmax_predict(&bm->head, feats, n, pred, prob);
    free(feats);
    return engine_rc(m, rc, fn, err, err_len);
}

int sh_ae_sample(sh_ae *m, size_t n, uint64_t seed, float *out, char *err, size_t err_len)
{
    static const char fn[] = "sh_ae_sample";
    int rc = check_op(m, OP_GENERATE, fn, err, err_len);
    if (rc != 0)
        return rc;
    if (n == 0 || out == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "%s: %s: need n >= 1 and an output buffer", fn,
                       m->name);
    return engine_rc(m, ae_vae_sample(m->model.nets[0], n, seed, out), fn, err, err_len);
}

int sh_ae_interpolate(sh_ae *m, const float *a, const float *b, size_t d, size_t steps,
                      float *out, char *err, size_t err_len)
{
    static const char fn[] = "sh_ae_interpolate";
    nn_data rows;
    int rc = begin_op(m, OP_GENERATE, a, 1, d, out, fn, &rows, err, err_len);
    if (rc == 0)
        rc = begin_op(m, OP_GENERATE, b, 1, d, out, fn, &rows, err, err_len);
    if (rc != 0)
        return rc;
    if (steps < 2)
        return sh_fail(err, err_len, SH_EINVAL, "%s: %s: need steps >= 2 (both ends), not %zu",
                       fn, m->name, steps);
    return engine_rc(m, ae_vae_interpolate(m->model.nets[0], a, b, steps, out), fn, err,
                     err_len);
}
