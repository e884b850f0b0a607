/* ae_dec.c — Deep Embedded Clustering on the nn core (see ae_dec.h). */
#include "ae_dec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmeans.h"
#include "nn_io.h"
#include "nn_optim.h"
#include "sh_error.h"

/* ---- the clustering head ------------------------------------------------- */

static double sq_dist(const float *a, const float *b, size_t K)
{
    double s = 0.0;
    for (size_t k = 0; k < K; k++) {
        double d = (double)a[k] - (double)b[k];
        s += d * d;
    }
    return s;
}

void dec_soft_assign(float *q, const float *z, const float *mu, size_t B, size_t K, size_t C,
                     float alpha)
{
    double expo = -((double)alpha + 1.0) / 2.0;
    for (size_t i = 0; i < B; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < C; j++) {
            double u = pow(1.0 + sq_dist(z + i * K, mu + j * K, K) / alpha, expo);
            q[i * C + j] = (float)u;
            sum += u;
        }
        for (size_t j = 0; j < C; j++)
            q[i * C + j] = (float)(q[i * C + j] / sum);
    }
}

int dec_target(float *p, const float *q, size_t N, size_t C)
{
    double *f = calloc(C ? C : 1, sizeof(double));
    if (f == NULL)
        return SH_ENOMEM;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++)
            f[j] += q[i * C + j];
    for (size_t i = 0; i < N; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < C; j++) {
            double v = f[j] > 0 ? (double)q[i * C + j] * q[i * C + j] / f[j] : 0.0;
            p[i * C + j] = (float)v;
            sum += v;
        }
        for (size_t j = 0; j < C; j++)
            p[i * C + j] = sum > 0 ? (float)(p[i * C + j] / sum) : 1.0f / (float)C;
    }
    free(f);
    return 0;
}

double dec_kl_loss(float *dz, float *dmu, float *q, const float *p, const float *z,
                   const float *mu, size_t B, size_t K, size_t C, float alpha, float weight)
{
    if (B == 0)
        return 0.0;
    dec_soft_assign(q, z, mu, B, K, C, alpha);
    double loss = 0.0, scale = (double)weight / (double)B;
    double coef = ((double)alpha + 1.0) / (double)alpha;
    for (size_t i = 0; i < B; i++) {
        const float *zi = z + i * K;
        for (size_t j = 0; j < C; j++) {
            double pij = p[i * C + j], qij = q[i * C + j];
            if (pij > 0)
                loss += pij * log(pij / (qij > 1e-30 ? qij : 1e-30));
            const float *mj = mu + j * K;
            double w = 1.0 / (1.0 + sq_dist(zi, mj, K) / alpha);
            double g = scale * coef * w * (pij - qij);
            for (size_t k = 0; k < K; k++) {
                double diff = (double)zi[k] - (double)mj[k];
                if (dz != NULL)
                    dz[i * K + k] += (float)(g * diff);
                if (dmu != NULL)
                    dmu[j * K + k] -= (float)(g * diff);
            }
        }
    }
    return scale * loss;
}

void dec_scale_rows(float *z, float *lengths, size_t N, size_t K, float len)
{
    for (size_t i = 0; i < N; i++) {
        double ss = 0.0;
        for (size_t k = 0; k < K; k++)
            ss += (double)z[i * K + k] * z[i * K + k];
        double n = sqrt(ss);
        if (lengths != NULL)
            lengths[i] = (float)n;
        for (size_t k = 0; k < K && n > 0; k++)
            z[i * K + k] = (float)(z[i * K + k] * len / n);
    }
}

double dec_kl_loss_scaled(float *dz, float *dmu, float *q, float *zs, float *gs, float *zlen,
                          const float *p, const float *z, const float *mu, size_t B, size_t K,
                          size_t C, float alpha, float weight, float len)
{
    memcpy(zs, z, B * K * sizeof(float));
    dec_scale_rows(zs, zlen, B, K, len);
    if (dz != NULL)
        memset(gs, 0, B * K * sizeof(float));
    double value = dec_kl_loss(dz != NULL ? gs : NULL, dmu, q, p, zs, mu, B, K, C, alpha, weight);
    for (size_t i = 0; i < B && dz != NULL; i++) {
        if (!(zlen[i] > 0))
            continue;
        const float *g = gs + i * K, *y = zs + i * K; /* y = len u */
        double dot = 0.0;
        for (size_t k = 0; k < K; k++)
            dot += (double)g[k] * y[k];
        dot /= (double)len * len;
        for (size_t k = 0; k < K; k++)
            dz[i * K + k] += (float)((g[k] - dot * y[k]) * len / zlen[i]);
    }
    return value;
}

void dec_hard_assign(int *assign, const float *q, size_t N, size_t C)
{
    for (size_t i = 0; i < N; i++) {
        size_t best = 0;
        for (size_t j = 1; j < C; j++)
            if (q[i * C + j] > q[i * C + best])
                best = j;
        assign[i] = (int)best;
    }
}

/* ---- the DEC phase ------------------------------------------------------------ */

void ae_dec_defaults(ae_dec_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->clusters = 10;
    o->alpha = 1.0f;
    o->gamma = 0.1f;
    o->recon = 1;
    o->batch_size = 256;
    o->lr = 1e-4f;
    o->max_epochs = 10;
    o->update_interval = 30;
    o->tol = 0.001;
    o->kmeans_restarts = 10;
    o->unit_codes = 1;
    o->seed = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Encodes every row, recomputes Q, P and the hard assignments; *changed
 * is the share of rows whose assignment differs from before. */
static int refresh(nn_net *net, const nn_data *data, const float *mu, size_t C, float alpha,
                   float code_len, float *codes, float *q, float *p, int *assign, int *next,
                   double *changed)
{
    size_t N = data->rows, K = net->cfg.code_dim;
    int rc = nn_encode_all(net, data, codes);
    if (rc != 0)
        return rc;
    if (code_len > 0)
        dec_scale_rows(codes, NULL, N, K, code_len);
    dec_soft_assign(q, codes, mu, N, K, C, alpha);
    if ((rc = dec_target(p, q, N, C)) != 0)
        return rc;
    dec_hard_assign(next, q, N, C);
    size_t diff = 0;
    for (size_t i = 0; i < N; i++) {
        diff += next[i] != assign[i];
        assign[i] = next[i];
    }
    *changed = (double)diff / (double)N;
    return 0;
}

int ae_dec_fit(nn_net *net, const nn_data *data, const ae_dec_opts *o, float *mu, int *assign,
               int *init_assign, ae_dec_summary *s, char *err, size_t err_len)
{
    size_t N = data->rows, D = net->cfg.input_dim, K = net->cfg.code_dim, C = o->clusters;
    size_t B = o->batch_size;
    double t0 = now_seconds();
    if (net->cfg.code_kind != NN_CODE_REAL || data->dense == NULL || data->cols != D ||
        C == 0 || C > N || B == 0 || B > net->max_batch || !(o->alpha > 0) || !(o->lr > 0) ||
        o->max_epochs < 1 || o->update_interval < 1)
        return sh_fail(err, err_len, SH_EINVAL,
                       "dec: need a real-code net, dense rows, 1 <= clusters <= rows, "
                       "1 <= batch <= max_batch, alpha > 0, lr > 0");
    float *codes = malloc(N * K * sizeof(float)), *q = malloc(N * C * sizeof(float));
    float *p = malloc(N * C * sizeof(float)), *xb = malloc(B * D * sizeof(float));
    float *pb = malloc(B * C * sizeof(float)), *qb = malloc(B * C * sizeof(float));
    float *dz = malloc(B * K * sizeof(float)), *dmu = malloc(C * K * sizeof(float));
    float *zs = malloc(B * K * sizeof(float)), *gs = malloc(B * K * sizeof(float));
    float *zlen = malloc(B * sizeof(float));
    float *mm = calloc(C * K, sizeof(float)), *mv = calloc(C * K, sizeof(float));
    int *next = malloc(N * sizeof(int));
    uint32_t *order = malloc(N * sizeof(uint32_t));
    int rc = SH_ENOMEM;
    memset(s, 0, sizeof(*s));
    if (!codes || !q || !p || !xb || !pb || !qb || !dz || !dmu || !mm || !mv || !next || !order || !zs ||
        !gs || !zlen)
        goto fail;
    if ((rc = nn_encode_all(net, data, codes)) != 0)
        goto fail;
    float len = 0.0f; /* > 0: every code is scaled to this length (unit_codes) */
    if (o->unit_codes) {
        double ss = 0.0;
        for (size_t i = 0; i < N * K; i++)
            ss += (double)codes[i] * codes[i];
        len = (float)sqrt(ss / (double)N);
        if (!(len > 0)) {
            rc = sh_fail(err, err_len, SH_EINVAL, "dec: every pretrained code is zero");
            goto fail;
        }
        dec_scale_rows(codes, NULL, N, K, len);
    }
    s->code_len = len;
    {
        /* step 2: k-means in the pretrained code space (kmeans.h) */
        sh_mat zm = { N, K, codes };
        kmeans_opts ko = kmeans_default_opts(C);
        kmeans_result km;
        ko.restarts = o->kmeans_restarts > 0 ? (size_t)o->kmeans_restarts : 1;
        ko.max_iter = 300;
        sh_rng krng;
        rng_seed(&krng, o->seed);
        if ((rc = kmeans_fit(&zm, &ko, &krng, &km)) != 0)
            goto fail;
        memcpy(mu, km.centroids.data, C * K * sizeof(float));
        memcpy(assign, km.assign, N * sizeof(int));
        s->kmeans_inertia = km.inertia;
        kmeans_result_free(&km);
    }
    if (init_assign != NULL)
        memcpy(init_assign, assign, N * sizeof(int));

    nn_optim optim;
    nn_optim_defaults(&optim, SH_OPT_ADAM, o->lr);
    sh_rng rng;
    rng_seed(&rng, o->seed + 1);
    for (size_t i = 0; i < N; i++)
        order[i] = (uint32_t)i;
    float weight = o->recon ? o->gamma * (float)D : 1.0f;
    uint64_t mu_t = 0;
    size_t steps = 0, batches = (N + B - 1) / B;
    double loss = 0.0;
    for (int epoch = 0; epoch < o->max_epochs && !s->converged; epoch++) {
        rng_shuffle_u32(&rng, order, N);
        for (size_t bi = 0; bi < batches; bi++, steps++) {
            if (steps % (size_t)o->update_interval == 0) {
                if ((rc = refresh(net, data, mu, C, o->alpha, len, codes, q, p, assign, next,
                                  &s->changed)) != 0)
                    goto fail;
                s->refreshes++;
                if (o->progress != NULL && o->progress(epoch, s->changed, loss, o->user) != 0) {
                    rc = sh_fail(err, err_len, SH_ECANCEL, "dec: cancelled");
                    goto fail;
                }
                if (s->refreshes > 1 && s->changed < o->tol) {
                    s->converged = 1;
                    break;
                }
            }
            size_t row0 = bi * B, n = N - row0 < B ? N - row0 : B;
            nn_data x;
            if ((rc = nn_data_gather(&x, data, order + row0, n, xb, NULL)) != 0)
                goto fail;
            for (size_t r = 0; r < n; r++)
                memcpy(pb + r * C, p + (size_t)order[row0 + r] * C, C * sizeof(float));
            nn_loss_parts parts;
            nn_zero_grad(net);
            if ((rc = nn_forward(net, &x, NN_MODE_TRAIN, NULL)) != 0 ||
                (rc = nn_loss(net, &x, &parts)) != 0)
                goto fail;
            if (!o->recon) /* plain DEC: no reconstruction gradient */
                memset(net->dpre[net->n_layers - 1], 0, n * D * sizeof(float));
            memset(dz, 0, n * K * sizeof(float));
            memset(dmu, 0, C * K * sizeof(float));
            if (len > 0)
                loss = dec_kl_loss_scaled(dz, dmu, qb, zs, gs, zlen, pb, net->code, mu, n, K, C,
                                          o->alpha, weight, len);
            else
                loss = dec_kl_loss(dz, dmu, qb, pb, net->code, mu, n, K, C, o->alpha, weight);
            nn_backward(net, &x, dz);
            nn_optim_step(net, &optim);
            adam_update(mu, dmu, mm, mv, C * K, o->lr, optim.beta1, optim.beta2, optim.eps,
                        ++mu_t);
        }
    }
    if (!s->converged &&
        (rc = refresh(net, data, mu, C, o->alpha, len, codes, q, p, assign, next, &s->changed)) != 0)
        goto fail;
    s->epochs = (double)steps / (double)batches;
    rc = 0;
fail:
    s->seconds = now_seconds() - t0;
    if (rc == SH_ENOMEM)
        sh_fail(err, err_len, rc, "dec: out of memory");
    free(codes);
    free(q);
    free(p);
    free(xb);
    free(pb);
    free(qb);
    free(dz);
    free(dmu);
    free(mm);
    free(mv);
    free(next);
    free(order);
    free(zs);
    free(gs);
    free(zlen);
    return rc;
}

int ae_dec_predict_soft(nn_net *net, const nn_data *data, const float *mu, size_t C, float alpha,
                        float code_len, int *assign, float *soft)
{
    size_t N = data->rows, K = net->cfg.code_dim;
    float *codes = malloc((N ? N : 1) * K * sizeof(float));
    float *q = soft != NULL ? soft : malloc((N ? N : 1) * C * sizeof(float));
    int rc = SH_ENOMEM;
    if (codes != NULL && q != NULL && (rc = nn_encode_all(net, data, codes)) == 0) {
        if (code_len > 0)
            dec_scale_rows(codes, NULL, N, K, code_len);
        dec_soft_assign(q, codes, mu, N, K, C, alpha);
        dec_hard_assign(assign, q, N, C);
    }
    free(codes);
    if (q != soft)
        free(q);
    return rc;
}

int ae_dec_predict(nn_net *net, const nn_data *data, const float *mu, size_t C, float alpha,
                   float code_len, int *assign)
{
    return ae_dec_predict_soft(net, data, mu, C, alpha, code_len, assign, NULL);
}

int ae_dec_save(const nn_net *net, const float *mu, size_t C, float alpha, float code_len,
                const ae_meta *meta, const char *path, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    int rc = ae_writer_new(meta, &w);
    if (rc == 0)
        rc = nn_save_sections(net, w, '0');
    if (rc == 0)
        rc = mf_writer_begin(w, AE_TAG_CENTROIDS2);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)C);
    if (rc == 0)
        rc = mf_put_u32(w, net->cfg.code_dim);
    if (rc == 0)
        rc = mf_put_f32(w, alpha);
    if (rc == 0)
        rc = mf_put_f32(w, code_len);
    if (rc == 0)
        rc = mf_put_f32_array(w, mu, C * net->cfg.code_dim);
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

int ae_dec_read(const mf_model *m, nn_net **net, float **mu, size_t *C, float *alpha,
                float *code_len, char *err, size_t err_len)
{
    nn_net *loaded = NULL;
    float *centroids = NULL;
    const void *data = NULL;
    size_t len = 0;
    int rc = nn_load_sections(m, '0', 0, 1, &loaded, err, err_len);
    if (rc != 0)
        return rc;
    uint32_t c = 0, k = 0;
    float a = 0;
    mf_cursor cur;
    float cl = 0;
    int v2 = mf_model_section(m, AE_TAG_CENTROIDS2, &data, &len) == 0;
    rc = v2 ? 0 : mf_model_section(m, AE_TAG_CENTROIDS, &data, &len);
    if (rc == 0) {
        mf_cursor_init(&cur, data, len);
        rc = mf_get_u32(&cur, &c);
        if (rc == 0)
            rc = mf_get_u32(&cur, &k);
        if (rc == 0)
            rc = mf_get_f32(&cur, &a);
        if (rc == 0 && v2)
            rc = mf_get_f32(&cur, &cl);
    }
    if (rc != 0 || c == 0 || k != loaded->cfg.code_dim || !(a > 0) || !(cl >= 0) ||
        mf_cursor_left(&cur) != (size_t)c * k * sizeof(float)) {
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: missing or damaged centroid section",
                     mf_model_label(m));
        goto fail;
    }
    if ((centroids = malloc((size_t)c * k * sizeof(float))) == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", mf_model_label(m));
        goto fail;
    }
    mf_get_f32_array(&cur, centroids, (size_t)c * k);
    *net = loaded;
    *mu = centroids;
    *C = c;
    *alpha = a;
    *code_len = cl;
    return 0;
fail:
    nn_free(loaded);
    return rc;
}

int ae_dec_load(const char *path, ae_meta *meta, nn_net **net, float **mu, size_t *C,
                float *alpha, float *code_len, char *err, size_t err_len)
{
    mf_model *m = NULL;
    int rc = ae_model_open(path, meta, &m, err, err_len);
    if (rc == 0)
        rc = ae_dec_read(m, net, mu, C, alpha, code_len, err, err_len);
    mf_model_free(m);
    return rc;
}
