/* ae_common.c — loading, reconstruction errors, corruption and model
 * framing shared by the blades (see ae_common.h). */
#include "ae_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "nn_io.h"
#include "sh_error.h"

/* ---- loading ----------------------------------------------------------- */

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

int ae_path_is_delimited(const char *path)
{
    size_t len = strlen(path);
    if (ends_with(path, len, ".gz"))
        len -= 3;
    return ends_with(path, len, ".csv") || ends_with(path, len, ".tsv") ||
           ends_with(path, len, ".tab") || ends_with(path, len, ".txt");
}

/* The image shape from the header of an IDX file that data_idx_load has
 * just read (it returns only the flattened width): rows and columns are
 * the big-endian u32s at offsets 8 and 12. Leaves 0 x 0 if the header
 * cannot be read again or disagrees with the width. */
static void idx_shape(const char *path, size_t cols, size_t *height, size_t *width)
{
    unsigned char h[16];
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL)
        return;
    int got = gzread(gz, h, sizeof(h));
    gzclose(gz);
    if (got != (int)sizeof(h))
        return;
    size_t rows = (size_t)h[8] << 24 | (size_t)h[9] << 16 | (size_t)h[10] << 8 | h[11];
    size_t cs = (size_t)h[12] << 24 | (size_t)h[13] << 16 | (size_t)h[14] << 8 | h[15];
    if (rows * cs == cols) {
        *height = rows;
        *width = cs;
    }
}

int ae_load(const char *path, const char *labels_path, const data_csv_opts *csv, sh_dataset *out,
            size_t *height, size_t *width, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    if (height != NULL)
        *height = 0;
    if (width != NULL)
        *width = 0;
    if (!ae_path_is_delimited(path)) {
        int rc = data_idx_load(path, labels_path, out, err, err_len);
        if (rc == 0 && height != NULL && width != NULL)
            idx_shape(path, out->x.cols, height, width);
        return rc;
    }
    if (labels_path != NULL)
        return sh_fail(err, err_len, SH_EINVAL,
                       "%s: a separate label file (%s) is for IDX images; give the label "
                       "column of a CSV/TSV file instead",
                       path, labels_path);
    return data_csv_read(path, csv, out, err, err_len);
}

int ae_require_labels(const sh_dataset *d, const char *path, const char *blade, char *err,
                      size_t err_len)
{
    if (d->labels == NULL)
        return sh_fail(err, err_len, SH_EINPUT,
                       "%s: no labels; %s needs one per row (give the IDX label file, or the "
                       "label column of a CSV/TSV file)",
                       path, blade);
    for (size_t i = 0; i < d->x.rows; i++)
        if (d->labels[i] < 0)
            return sh_fail(err, err_len, SH_EINPUT, "%s: row %zu has no label; %s needs one per row",
                           path, i + 1, blade);
    return 0;
}

int ae_require_width(const sh_dataset *d, size_t D, const char *path, char *err, size_t err_len)
{
    if (d->x.cols != D)
        return sh_fail(err, err_len, SH_EINPUT, "%s: rows have %zu values, the model expects %zu",
                       path, d->x.cols, D);
    return 0;
}

nn_data ae_view(const sh_dataset *d)
{
    nn_data v = { d->x.rows, d->x.cols, d->x.data, NULL };
    return v;
}

/* ---- using a trained network ------------------------------------------- */

int ae_reconstruct(nn_net *net, const nn_data *in, float *out)
{
    size_t D = net->cfg.input_dim, step = net->max_batch;
    if (in->cols != D || in->dense == NULL)
        return SH_EINVAL;
    for (size_t row0 = 0; row0 < in->rows; row0 += step) {
        size_t n = in->rows - row0 < step ? in->rows - row0 : step;
        nn_data chunk = { n, D, in->dense + row0 * D, NULL };
        int rc = nn_forward(net, &chunk, NN_MODE_INFER, NULL);
        if (rc != 0)
            return rc;
        memcpy(out + row0 * D, nn_output(net), n * D * sizeof(float));
    }
    return 0;
}

int ae_row_errors(nn_net *net, const nn_data *in, float *errors)
{
    size_t D = net->cfg.input_dim, step = net->max_batch;
    if (in->cols != D || in->dense == NULL)
        return SH_EINVAL;
    for (size_t row0 = 0; row0 < in->rows; row0 += step) {
        size_t n = in->rows - row0 < step ? in->rows - row0 : step;
        nn_data chunk = { n, D, in->dense + row0 * D, NULL };
        int rc = nn_forward(net, &chunk, NN_MODE_INFER, NULL);
        if (rc != 0)
            return rc;
        const float *y = nn_output(net); /* [n, D] */
        for (size_t r = 0; r < n; r++) {
            const float *x = chunk.dense + r * D, *yr = y + r * D;
            double s = 0.0;
            for (size_t j = 0; j < D; j++) {
                double d = (double)yr[j] - (double)x[j];
                s += d * d;
            }
            errors[row0 + r] = (float)(s / (double)D);
        }
    }
    return 0;
}

int ae_pca_row_errors(const sh_pca *p, const float *X, size_t N, float *errors)
{
    const size_t step = 256, D = p->dim;
    float *z = malloc(step * p->k * sizeof(float)), *xr = malloc(step * D * sizeof(float));
    int rc = SH_ENOMEM;
    if (z == NULL || xr == NULL)
        goto fail;
    for (size_t row0 = 0; row0 < N; row0 += step) {
        size_t n = N - row0 < step ? N - row0 : step;
        pca_transform(p, X + row0 * D, n, z);
        pca_inverse(p, z, n, xr);
        for (size_t r = 0; r < n; r++) {
            const float *x = X + (row0 + r) * D;
            double s = 0.0;
            for (size_t j = 0; j < D; j++) {
                double d = (double)xr[r * D + j] - (double)x[j];
                s += d * d;
            }
            errors[row0 + r] = (float)(s / (double)D);
        }
    }
    rc = 0;
fail:
    free(z);
    free(xr);
    return rc;
}

/* ---- corruption -------------------------------------------------------- */

int ae_noise_parse(const char *name, ae_noise_kind *kind)
{
    if (strcmp(name, "gaussian") == 0 || strcmp(name, "gauss") == 0)
        *kind = AE_NOISE_GAUSSIAN;
    else if (strcmp(name, "mask") == 0 || strcmp(name, "masking") == 0)
        *kind = AE_NOISE_MASK;
    else if (strcmp(name, "saltpepper") == 0 || strcmp(name, "salt-pepper") == 0 ||
             strcmp(name, "sp") == 0)
        *kind = AE_NOISE_SALT_PEPPER;
    else if (strcmp(name, "none") == 0)
        *kind = AE_NOISE_NONE;
    else
        return SH_EINVAL;
    return 0;
}

float ae_noise_default_level(ae_noise_kind kind)
{
    return kind == AE_NOISE_GAUSSIAN ? 0.5f : 0.3f;
}

const char *ae_noise_name(ae_noise_kind kind)
{
    switch (kind) {
    case AE_NOISE_GAUSSIAN: return "gaussian";
    case AE_NOISE_MASK: return "mask";
    case AE_NOISE_SALT_PEPPER: return "saltpepper";
    default: return "none";
    }
}

/* Sets each of x[0..n) to 0 with probability share: one draw gives two
 * 32-bit uniforms, each compared with share * 2^32. */
static void mask_values(float *x, size_t n, float share, sh_rng *rng)
{
    double t = (double)share * 4294967296.0;
    uint64_t below = t >= 4294967296.0 ? UINT64_C(4294967296) : (uint64_t)t;
    for (size_t i = 0; i < n; i += 2) {
        uint64_t r = rng_u64(rng);
        if ((r >> 32) < below)
            x[i] = 0.0f;
        if (i + 1 < n && (r & 0xffffffffu) < below)
            x[i + 1] = 0.0f;
    }
}

/* x[n] clipped to [0, 1] (NaN stays NaN) in fixed-count blocks, which
 * GCC vectorises at -O2: the plain loop was 3% of a denoising epoch, more
 * than drawing the noise. */
static void clip_unit(float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++) {
            float v = x[i + j] < 0.0f ? 0.0f : x[i + j];
            x[i + j] = v > 1.0f ? 1.0f : v;
        }
    for (; i < n; i++) {
        float v = x[i] < 0.0f ? 0.0f : x[i];
        x[i] = v > 1.0f ? 1.0f : v;
    }
}

void ae_corrupt(float *x, size_t n, const ae_noise *noise, sh_rng *rng)
{
    float level = noise->level;
    switch (noise->kind) {
    case AE_NOISE_GAUSSIAN:
        /* the ziggurat (rng.h): the denoising blade corrupts 47 million values
           per Fashion-MNIST epoch, and Marsaglia's polar method in double
           (a log and a sqrt per two values) was 9% of its time */
        rng_add_normal(rng, x, n, level);
        break;
    case AE_NOISE_MASK:
        mask_values(x, n, level, rng);
        break;
    case AE_NOISE_SALT_PEPPER:
        for (size_t i = 0; i < n; i++)
            if (rng_uniform(rng) < level)
                x[i] = rng_uniform(rng) < 0.5f ? 0.0f : 1.0f;
        break;
    default:
        break;
    }
    if (noise->clip)
        clip_unit(x, n);
}

/* Word dropout on CSR rows: rebuilds the batch keeping each entry with
 * probability 1 - level. */
static int csr_dropout(sh_csr *csr, float level, sh_rng *rng)
{
    sh_csr kept;
    int rc = csr_init(&kept, csr->cols);
    uint32_t *cols = malloc((csr->cols ? csr->cols : 1) * sizeof(uint32_t));
    float *vals = malloc((csr->cols ? csr->cols : 1) * sizeof(float));
    if (rc != 0 || cols == NULL || vals == NULL) {
        rc = SH_ENOMEM;
        goto fail;
    }
    for (size_t r = 0; r < csr->rows; r++) {
        size_t n = 0;
        for (size_t e = csr->row_ptr[r]; e < csr->row_ptr[r + 1]; e++)
            if (rng_uniform(rng) >= level) {
                cols[n] = csr->col_idx[e];
                vals[n++] = csr->values[e];
            }
        if ((rc = csr_append_row(&kept, n, cols, vals)) != 0)
            goto fail;
    }
    csr_clear(csr);
    for (size_t r = 0; r < kept.rows; r++) {
        size_t a = kept.row_ptr[r], b = kept.row_ptr[r + 1];
        if ((rc = csr_append_row(csr, b - a, kept.col_idx + a, kept.values + a)) != 0)
            goto fail;
    }
fail:
    csr_free(&kept);
    free(cols);
    free(vals);
    return rc;
}

int ae_corrupt_batch(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng, void *user)
{
    const ae_noise *noise = user;
    if (dense != NULL) {
        ae_corrupt(dense, rows * cols, noise, rng);
        return 0;
    }
    if (noise->kind != AE_NOISE_MASK)
        return SH_EINVAL;
    return csr_dropout(csr, noise->level, rng);
}

/* ---- model files -------------------------------------------------------- */

uint32_t ae_blade_kind(ae_blade blade)
{
    switch (blade) {
    case AE_BLADE_ANOMALY: return MF_KIND_ANOMALY;
    case AE_BLADE_CLUSTER: return MF_KIND_DEC;
    case AE_BLADE_CLASSIFY: return MF_KIND_CLASSIFIER;
    default: return MF_KIND_AUTOENCODER;
    }
}

const char *ae_blade_name(ae_blade blade)
{
    static const char *const names[] = { "?", "reduce", "denoise", "anomaly",
                                         "generate", "cluster", "classify" };
    return (unsigned)blade < sizeof(names) / sizeof(names[0]) ? names[blade] : "?";
}

int ae_writer_new(const ae_meta *meta, mf_writer **out)
{
    mf_writer *w = NULL;
    int rc = mf_writer_new(ae_blade_kind(meta->blade), &w);
    if (rc == 0)
        rc = mf_writer_begin(w, AE_TAG_META);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)meta->blade);
    if (rc == 0)
        rc = mf_put_u32(w, meta->height);
    if (rc == 0)
        rc = mf_put_u32(w, meta->width);
    if (rc == 0)
        rc = mf_writer_end(w);
    if (rc != 0) {
        mf_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int ae_model_open(const char *path, ae_meta *meta, mf_model **out, char *err, size_t err_len)
{
    mf_model *m = NULL;
    int rc = mf_read_file(path, &m, err, err_len);
    if (rc != 0)
        return rc;
    const void *data = NULL;
    size_t len = 0;
    uint32_t blade = 0, h = 0, w = 0;
    mf_cursor c;
    if (mf_model_section(m, AE_TAG_META, &data, &len) != 0) {
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: not a model of the autoencoder toolkit (no "
                     "blade section; kind %u)", path, mf_model_kind(m));
        goto fail;
    }
    mf_cursor_init(&c, data, len);
    if (mf_get_u32(&c, &blade) != 0 || mf_get_u32(&c, &h) != 0 || mf_get_u32(&c, &w) != 0 ||
        mf_cursor_left(&c) != 0) {
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: damaged blade section", path);
        goto fail;
    }
    if (meta->blade == 0 && (blade < AE_BLADE_REDUCE || blade > AE_BLADE_CLASSIFY ||
                             mf_model_kind(m) != ae_blade_kind((ae_blade)blade))) {
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: damaged blade section (blade %u, model "
                     "kind %u)", path, blade, mf_model_kind(m));
        goto fail;
    }
    if (meta->blade != 0 &&
        (blade != (uint32_t)meta->blade || mf_model_kind(m) != ae_blade_kind(meta->blade))) {
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: written by `semhash ae %s`, not `ae %s`", path,
                     ae_blade_name((ae_blade)blade), ae_blade_name(meta->blade));
        goto fail;
    }
    meta->blade = (ae_blade)blade;
    meta->height = h;
    meta->width = w;
    *out = m;
    return 0;
fail:
    mf_model_free(m);
    return rc;
}

int ae_save_net(const nn_net *net, const ae_meta *meta, const char *path, char *err,
                size_t err_len)
{
    mf_writer *w = NULL;
    int rc = ae_writer_new(meta, &w);
    if (rc == 0)
        rc = nn_save_sections(net, w, '0');
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot build the model: %s", path, sh_strerror(rc));
        goto done;
    }
    rc = mf_writer_save(w, path, err, err_len);
done:
    mf_writer_free(w);
    return rc;
}

int ae_load_net(const char *path, ae_meta *meta, uint32_t max_batch, nn_net **out, char *err,
                size_t err_len)
{
    mf_model *m = NULL;
    int rc = ae_model_open(path, meta, &m, err, err_len);
    if (rc == 0)
        rc = nn_load_sections(m, '0', max_batch, 1, out, err, err_len);
    mf_model_free(m);
    return rc;
}
