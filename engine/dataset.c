/* dataset.c — the sh_dataset container: freeing, copying rows, the
 * stratified train/test split and the TSV writer. The readers live in
 * data_idx.c and data_csv.c. */
#include "dataset.h"
#include "sh_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_names(char **names, size_t n)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void dataset_free(sh_dataset *d)
{
    if (d == NULL)
        return;
    free_names(d->class_names, d->n_classes);
    free_names(d->col_names, d->x.cols);
    free(d->labels);
    mat_free(&d->x);
    memset(d, 0, sizeof(*d));
}

/* A deep copy of n strings, or NULL with *ok = 0 on allocation failure.
 * A NULL input gives NULL with *ok untouched. */
static char **copy_names(char *const *names, size_t n, int *ok)
{
    if (names == NULL)
        return NULL;
    char **out = calloc(n > 0 ? n : 1, sizeof(char *));
    if (out == NULL) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(names[i]);
        if (out[i] == NULL) {
            free_names(out, n);
            *ok = 0;
            return NULL;
        }
    }
    return out;
}

int dataset_take_rows(const sh_dataset *d, const size_t *rows, size_t n, sh_dataset *out)
{
    memset(out, 0, sizeof(*out));
    size_t cols = d->x.cols;
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= d->x.rows)
            return SH_EINVAL;
    int rc = mat_alloc(&out->x, n, cols);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        memcpy(out->x.data + i * cols, d->x.data + rows[i] * cols, cols * sizeof(float));
    if (d->labels != NULL) {
        out->labels = malloc((n > 0 ? n : 1) * sizeof(int));
        if (out->labels == NULL)
            goto fail;
        for (size_t i = 0; i < n; i++)
            out->labels[i] = d->labels[rows[i]];
        out->n_classes = d->n_classes;
    }
    int ok = 1;
    out->class_names = copy_names(d->class_names, d->n_classes, &ok);
    out->col_names = copy_names(d->col_names, cols, &ok);
    if (!ok)
        goto fail;
    return 0;
fail:
    dataset_free(out);
    return SH_ENOMEM;
}

int data_split(const sh_dataset *d, double test_fraction, sh_rng *rng,
               sh_dataset *train, sh_dataset *test,
               size_t **train_rows, size_t **test_rows)
{
    memset(train, 0, sizeof(*train));
    memset(test, 0, sizeof(*test));
    if (train_rows != NULL)
        *train_rows = NULL;
    if (test_rows != NULL)
        *test_rows = NULL;
    if (!(test_fraction >= 0.0 && test_fraction <= 1.0))
        return SH_EINVAL;

    size_t n = d->x.rows;
    size_t strata = (d->labels != NULL ? d->n_classes : 0) + 1; /* last = missing label */
    int rc = SH_ENOMEM;
    size_t *count = calloc(strata, sizeof(size_t));
    size_t *start = calloc(strata + 1, sizeof(size_t));
    uint32_t *order = malloc((n > 0 ? n : 1) * sizeof(uint32_t));
    unsigned char *in_test = calloc(n > 0 ? n : 1, 1);
    size_t *tr = malloc((n > 0 ? n : 1) * sizeof(size_t));
    size_t *te = malloc((n > 0 ? n : 1) * sizeof(size_t));
    if (!count || !start || !order || !in_test || !tr || !te)
        goto fail;

    /* Bucket row indices by stratum (counting sort keeps row order). */
    for (size_t i = 0; i < n; i++) {
        int l = d->labels != NULL ? d->labels[i] : -1;
        size_t s = (l >= 0 && (size_t)l < strata - 1) ? (size_t)l : strata - 1;
        count[s]++;
    }
    for (size_t s = 0; s < strata; s++)
        start[s + 1] = start[s] + count[s];
    memset(count, 0, strata * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        int l = d->labels != NULL ? d->labels[i] : -1;
        size_t s = (l >= 0 && (size_t)l < strata - 1) ? (size_t)l : strata - 1;
        order[start[s] + count[s]++] = (uint32_t)i;
    }
    /* Shuffle each stratum and send its first round(f * size) rows to test. */
    for (size_t s = 0; s < strata; s++) {
        rng_shuffle_u32(rng, order + start[s], count[s]);
        size_t k = (size_t)llround(test_fraction * (double)count[s]);
        for (size_t j = 0; j < k; j++)
            in_test[order[start[s] + j]] = 1;
    }
    size_t n_tr = 0, n_te = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_test[i])
            te[n_te++] = i;
        else
            tr[n_tr++] = i;
    }
    rc = dataset_take_rows(d, tr, n_tr, train);
    if (rc != 0)
        goto fail;
    rc = dataset_take_rows(d, te, n_te, test);
    if (rc != 0)
        goto fail;
    if (train_rows != NULL) {
        *train_rows = tr;
        tr = NULL;
    }
    if (test_rows != NULL) {
        *test_rows = te;
        te = NULL;
    }
    rc = 0;
    goto done;
fail:
    dataset_free(train);
    dataset_free(test);
done:
    free(count);
    free(start);
    free(order);
    free(in_test);
    free(tr);
    free(te);
    return rc;
}

static int has_tab_or_newline(const char *s)
{
    return strpbrk(s, "\t\r\n") != NULL;
}

int data_tsv_write(const char *path, const sh_mat *m, const char *const *ids,
                   const char *const *col_names, char *err, size_t err_len)
{
    if (path == NULL || m == NULL || (m->data == NULL && m->rows * m->cols > 0))
        return sh_fail(err, err_len, SH_EINVAL, "data_tsv_write: NULL argument");
    for (size_t r = 0; ids != NULL && r < m->rows; r++)
        if (ids[r] == NULL || has_tab_or_newline(ids[r]))
            return sh_fail(err, err_len, SH_EINVAL,
                           "%s: id of row %zu is missing or contains a tab or newline", path, r);
    for (size_t c = 0; col_names != NULL && c < m->cols; c++)
        if (col_names[c] == NULL || has_tab_or_newline(col_names[c]))
            return sh_fail(err, err_len, SH_EINVAL,
                           "%s: name of column %zu is missing or contains a tab or newline",
                           path, c);

    FILE *f = fopen(path, "w");
    if (f == NULL) {
        int e = errno;
        return sh_fail(err, err_len, e, "%s: cannot open for writing: %s", path, strerror(e));
    }
    fputs("id", f);
    for (size_t c = 0; c < m->cols; c++) {
        if (col_names != NULL)
            fprintf(f, "\t%s", col_names[c]);
        else
            fprintf(f, "\td%zu", c);
    }
    fputc('\n', f);
    for (size_t r = 0; r < m->rows; r++) {
        if (ids != NULL)
            fputs(ids[r], f);
        else
            fprintf(f, "%zu", r);
        const float *row = m->data + r * m->cols;
        for (size_t c = 0; c < m->cols; c++)
            fprintf(f, "\t%.9g", (double)row[c]);
        fputc('\n', f);
    }
    int bad = ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return sh_fail(err, err_len, e ? e : EIO, "%s: write failed: %s", path,
                       strerror(e ? e : EIO));
    return 0;
}
