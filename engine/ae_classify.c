/* ae_classify.c — softmax regression, per-class reconstruction features
 * and the classifier model file (see ae_classify.h). */
#include "ae_classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "nn_io.h"
#include "nn_optim.h"
#include "nn_loss.h"
#include "sh_error.h"

void ae_softmax_defaults(ae_softmax_opts *o)
{
    o->epochs = 20;
    o->batch_size = 256;
    o->lr = 1e-2f;
    o->weight_decay = 1e-4f;
    o->seed = 1;
}

void ae_softmax_free(ae_softmax *m)
{
    if (m == NULL)
        return;
    free(m->W);
    free(m->b);
    free(m->mean);
    free(m->scale);
    memset(m, 0, sizeof(*m));
}

static int softmax_alloc(ae_softmax *m, size_t D, size_t C)
{
    memset(m, 0, sizeof(*m));
    m->dim = D;
    m->classes = C;
    m->W = calloc(D * C, sizeof(float));
    m->b = calloc(C, sizeof(float));
    m->mean = calloc(D, sizeof(float));
    m->scale = malloc(D * sizeof(float));
    if (!m->W || !m->b || !m->mean || !m->scale) {
        ae_softmax_free(m);
        return SH_ENOMEM;
    }
    for (size_t j = 0; j < D; j++)
        m->scale[j] = 1.0f;
    return 0;
}

/* logits[N,C] = standardise(X) . W + b; xs[N,D] receives the standardised rows. */
static void softmax_logits(const ae_softmax *m, const float *X, size_t N, float *xs, float *logits)
{
    size_t D = m->dim, C = m->classes;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < D; j++)
            xs[i * D + j] = (X[i * D + j] - m->mean[j]) * m->scale[j];
    for (size_t i = 0; i < N; i++)
        memcpy(logits + i * C, m->b, C * sizeof(float));
    mat_gemm(0, 0, N, C, D, 1.0f, xs, D, m->W, C, 1.0f, logits, C);
}

double ae_softmax_loss(const ae_softmax *m, const float *X, const int *y, size_t N, float *dW,
                       float *db)
{
    size_t D = m->dim, C = m->classes;
    float *xs = malloc((N ? N : 1) * D * sizeof(float));
    float *lg = malloc((N ? N : 1) * C * sizeof(float));
    float *pr = malloc(C * sizeof(float));
    double loss = NAN;
    if (xs == NULL || lg == NULL || pr == NULL)
        goto fail;
    softmax_logits(m, X, N, xs, lg);
    loss = 0.0;
    for (size_t i = 0; i < N; i++) {
        double lse = softmax_row(pr, lg + i * C, C);
        loss += lse - lg[i * C + (size_t)y[i]];
        for (size_t c = 0; c < C; c++)
            lg[i * C + c] = (pr[c] - (c == (size_t)y[i] ? 1.0f : 0.0f)) / (float)N;
    }
    loss /= (double)(N ? N : 1);
    if (dW != NULL) /* dW[D,C] += xs^T . dlogits */
        mat_gemm(1, 0, D, C, N, 1.0f, xs, D, lg, C, 1.0f, dW, C);
    if (db != NULL)
        for (size_t i = 0; i < N; i++)
            for (size_t c = 0; c < C; c++)
                db[c] += lg[i * C + c];
fail:
    free(xs);
    free(lg);
    free(pr);
    return loss;
}

int ae_softmax_fit(ae_softmax *m, const float *X, const int *y, size_t N, size_t D, size_t C,
                   const ae_softmax_opts *o)
{
    memset(m, 0, sizeof(*m));
    if (N == 0 || D == 0 || C < 2 || o->batch_size == 0 || o->epochs < 1)
        return SH_EINVAL;
    for (size_t i = 0; i < N; i++)
        if (y[i] < 0 || (size_t)y[i] >= C)
            return SH_EINVAL;
    int rc = softmax_alloc(m, D, C);
    if (rc != 0)
        return rc;
    size_t B = o->batch_size < N ? o->batch_size : N, P = D * C + C;
    float *grad = malloc(P * sizeof(float)), *mom = calloc(2 * P, sizeof(float));
    float *params = malloc(P * sizeof(float)), *xb = malloc(B * D * sizeof(float));
    int *yb = malloc(B * sizeof(int));
    uint32_t *order = malloc(N * sizeof(uint32_t));
    rc = SH_ENOMEM;
    if (!grad || !mom || !params || !xb || !yb || !order)
        goto fail;
    /* standardisation from the training rows */
    for (size_t j = 0; j < D; j++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < N; i++) {
            s += X[i * D + j];
            s2 += (double)X[i * D + j] * X[i * D + j];
        }
        double mean = s / (double)N, var = s2 / (double)N - mean * mean;
        m->mean[j] = (float)mean;
        m->scale[j] = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 1.0f;
    }
    memset(params, 0, P * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, o->seed);
    for (size_t i = 0; i < N; i++)
        order[i] = (uint32_t)i;
    uint64_t t = 0;
    for (int e = 0; e < o->epochs; e++) {
        rng_shuffle_u32(&rng, order, N);
        for (size_t row0 = 0; row0 < N; row0 += B) {
            size_t n = N - row0 < B ? N - row0 : B;
            for (size_t r = 0; r < n; r++) {
                memcpy(xb + r * D, X + (size_t)order[row0 + r] * D, D * sizeof(float));
                yb[r] = y[order[row0 + r]];
            }
            memset(grad, 0, P * sizeof(float));
            if (isnan(ae_softmax_loss(m, xb, yb, n, grad, grad + D * C)))
                goto fail;
            reg_weight_decay(grad, m->W, D * C, o->weight_decay);
            memcpy(params, m->W, D * C * sizeof(float));
            memcpy(params + D * C, m->b, C * sizeof(float));
            adam_update(params, grad, mom, mom + P, P, o->lr, 0.9f, 0.999f, 1e-8f, ++t);
            memcpy(m->W, params, D * C * sizeof(float));
            memcpy(m->b, params + D * C, C * sizeof(float));
        }
    }
    rc = 0;
fail:
    if (rc != 0)
        ae_softmax_free(m);
    free(grad);
    free(mom);
    free(params);
    free(xb);
    free(yb);
    free(order);
    return rc;
}

int ae_softmax_predict(const ae_softmax *m, const float *X, size_t N, int *pred, float *prob)
{
    size_t D = m->dim, C = m->classes, step = 1024;
    float *xs = malloc(step * D * sizeof(float)), *lg = malloc(step * C * sizeof(float));
    int rc = SH_ENOMEM;
    if (xs == NULL || lg == NULL)
        goto fail;
    for (size_t row0 = 0; row0 < N; row0 += step) {
        size_t n = N - row0 < step ? N - row0 : step;
        softmax_logits(m, X + row0 * D, n, xs, lg);
        for (size_t i = 0; i < n; i++) {
            const float *l = lg + i * C;
            size_t best = 0;
            for (size_t c = 1; c < C; c++)
                if (l[c] > l[best])
                    best = c;
            pred[row0 + i] = (int)best;
            if (prob != NULL)
                softmax_row(prob + (row0 + i) * C, l, C);
        }
    }
    rc = 0;
fail:
    free(xs);
    free(lg);
    return rc;
}

int ae_classify_features(nn_net *const *nets, size_t C, const nn_data *data, float *feats)
{
    size_t N = data->rows;
    float *err = malloc((N ? N : 1) * sizeof(float));
    if (err == NULL)
        return SH_ENOMEM;
    int rc = 0;
    for (size_t c = 0; c < C && rc == 0; c++) {
        rc = ae_row_errors(nets[c], data, err);
        for (size_t i = 0; i < N && rc == 0; i++)
            feats[i * C + c] = logf(1e-8f + err[i]);
    }
    /* centre each row: what separates the classes is which autoencoder
     * fits best, not how much ink the image has (which scales all C) */
    for (size_t i = 0; i < N && rc == 0; i++) {
        float mean = 0.0f;
        for (size_t c = 0; c < C; c++)
            mean += feats[i * C + c] / (float)C;
        for (size_t c = 0; c < C; c++)
            feats[i * C + c] -= mean;
    }
    free(err);
    return rc;
}

int ae_classify_save(nn_net *const *nets, size_t C, const ae_softmax *head, const ae_meta *meta,
                     const char *path, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    int rc = C == 0 || C > 255 || head->dim != C ? SH_EINVAL : ae_writer_new(meta, &w);
    for (size_t c = 0; c < C && rc == 0; c++)
        rc = nn_save_sections(nets[c], w, (char)c);
    if (rc == 0)
        rc = mf_writer_begin(w, AE_TAG_SOFTMAX);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)C);
    if (rc == 0)
        rc = mf_put_f32_array(w, head->W, C * C);
    if (rc == 0)
        rc = mf_put_f32_array(w, head->b, C);
    if (rc == 0)
        rc = mf_put_f32_array(w, head->mean, C);
    if (rc == 0)
        rc = mf_put_f32_array(w, head->scale, C);
    if (rc == 0)
        rc = mf_writer_end(w);
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot build the model: %s", path, sh_strerror(rc));
        goto done;
    }
    rc = mf_writer_save(w, path, err, err_len);
done:
    mf_writer_free(w);
    return rc;
}

int ae_classify_read(const mf_model *m, nn_net ***nets_out, size_t *C_out, ae_softmax *head,
                     char *err, size_t err_len)
{
    nn_net **nets = NULL;
    const void *data = NULL;
    size_t len = 0;
    uint32_t C = 0;
    mf_cursor cur;
    const char *label = mf_model_label(m);
    memset(head, 0, sizeof(*head));
    int rc = mf_model_section(m, AE_TAG_SOFTMAX, &data, &len);
    if (rc == 0) {
        mf_cursor_init(&cur, data, len);
        rc = mf_get_u32(&cur, &C);
    }
    if (rc != 0 || C < 2 || C > 255 || mf_cursor_left(&cur) != (C * C + 3 * C) * sizeof(float))
        return sh_fail(err, err_len, SH_EMODEL, "%s: missing or damaged softmax section", label);
    if ((rc = softmax_alloc(head, C, C)) != 0 || (nets = calloc(C, sizeof(*nets))) == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", label);
        goto fail;
    }
    mf_get_f32_array(&cur, head->W, (size_t)C * C);
    mf_get_f32_array(&cur, head->b, C);
    mf_get_f32_array(&cur, head->mean, C);
    mf_get_f32_array(&cur, head->scale, C);
    for (uint32_t c = 0; c < C; c++) {
        if ((rc = nn_load_sections(m, (char)c, 0, 1, &nets[c], err, err_len)) != 0)
            goto fail;
        if (nets[c]->cfg.input_dim != nets[0]->cfg.input_dim) {
            rc = sh_fail(err, err_len, SH_EMODEL, "%s: class networks disagree on the input width",
                         label);
            goto fail;
        }
    }
    *nets_out = nets;
    *C_out = C;
    nets = NULL;
fail:
    if (nets != NULL) {
        for (uint32_t c = 0; c < C; c++)
            nn_free(nets[c]);
        free(nets);
    }
    if (rc != 0)
        ae_softmax_free(head);
    return rc;
}

int ae_classify_load(const char *path, ae_meta *meta, nn_net ***nets_out, size_t *C_out,
                     ae_softmax *head, char *err, size_t err_len)
{
    mf_model *m = NULL;
    memset(head, 0, sizeof(*head));
    int rc = ae_model_open(path, meta, &m, err, err_len);
    if (rc == 0)
        rc = ae_classify_read(m, nets_out, C_out, head, err, err_len);
    mf_model_free(m);
    return rc;
}
