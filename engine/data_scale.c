/* data_scale.c — per-column affine scaling of feature matrices (min-max
 * and standardisation), fitted on training data and applied to any data
 * of the same width. See dataset.h. */
#include "dataset.h"
#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void data_scaler_free(data_scaler *s)
{
    if (s == NULL)
        return;
    free(s->offset);
    free(s->factor);
    memset(s, 0, sizeof(*s));
}

int data_scaler_fit(const sh_mat *x, data_scale_kind kind, data_scaler *out)
{
    if (out == NULL)
        return SH_EINVAL;
    memset(out, 0, sizeof(*out));
    if (x == NULL || x->data == NULL || x->rows == 0 || x->cols == 0 ||
        (kind != DATA_SCALE_MINMAX && kind != DATA_SCALE_STANDARD))
        return SH_EINVAL;
    size_t n = x->rows, d = x->cols;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x->data[i]))
            return SH_EINVAL;
    double *a = calloc(d, sizeof(double)), *b = calloc(d, sizeof(double));
    out->offset = malloc(d * sizeof(float));
    out->factor = malloc(d * sizeof(float));
    if (a == NULL || b == NULL || out->offset == NULL || out->factor == NULL) {
        free(a);
        free(b);
        data_scaler_free(out);
        return SH_ENOMEM;
    }
    out->cols = d;
    if (kind == DATA_SCALE_MINMAX) {
        /* a: column minimum, b: column maximum. */
        for (size_t j = 0; j < d; j++)
            a[j] = b[j] = x->data[j];
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                double v = x->data[i * d + j];
                a[j] = v < a[j] ? v : a[j];
                b[j] = v > b[j] ? v : b[j];
            }
        for (size_t j = 0; j < d; j++) {
            out->offset[j] = (float)a[j];
            out->factor[j] = b[j] > a[j] ? (float)(1.0 / (b[j] - a[j])) : 0.0f;
        }
    } else {
        /* a: column mean, b: sum of squared deviations (two passes). */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                a[j] += x->data[i * d + j];
        for (size_t j = 0; j < d; j++)
            a[j] /= (double)n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                double e = x->data[i * d + j] - a[j];
                b[j] += e * e;
            }
        for (size_t j = 0; j < d; j++) {
            double sd = sqrt(b[j] / (double)n);
            out->offset[j] = (float)a[j];
            out->factor[j] = sd > 0.0 ? (float)(1.0 / sd) : 0.0f;
        }
    }
    free(a);
    free(b);
    return 0;
}

int data_scaler_apply(const data_scaler *s, sh_mat *x)
{
    if (s == NULL || x == NULL || x->cols != s->cols || (x->data == NULL && x->rows > 0))
        return SH_EINVAL;
    for (size_t i = 0; i < x->rows; i++) {
        float *r = x->data + i * x->cols;
        for (size_t j = 0; j < x->cols; j++)
            r[j] = (r[j] - s->offset[j]) * s->factor[j];
    }
    return 0;
}
