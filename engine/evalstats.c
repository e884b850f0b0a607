/* evalstats.c — evaluation figures (see evalstats.h for the definitions
 * and conventions). Plain loops throughout; the only super-linear pieces
 * are the sorts (AUROC, thresholds), the Hungarian step of clustering
 * accuracy and the brute-force k-NN. */
#include "evalstats.h"
#include "assign.h"
#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of v[0..n) into a new array; *count receives
 * their number. Returns NULL on allocation failure. */
static int *distinct_sorted(const int *v, size_t n, size_t *count)
{
    int *u = malloc((n > 0 ? n : 1) * sizeof(int));
    if (u == NULL)
        return NULL;
    memcpy(u, v, n * sizeof(int));
    qsort(u, n, sizeof(int), cmp_int);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || u[i] != u[k - 1])
            u[k++] = u[i];
    *count = k;
    return u;
}

static size_t index_of(const int *sorted, size_t count, int value)
{
    const int *p = bsearch(&value, sorted, count, sizeof(int), cmp_int);
    return (size_t)(p - sorted);
}

/* The contingency table of the rows with truth >= 0: table[t * np + p]
 * counts rows with the t-th distinct truth value and the p-th distinct
 * prediction. Returns 0, SH_EINVAL (a prediction < 0, no usable row) or
 * SH_ENOMEM; on success the caller frees *table. */
static int contingency(const int *truth, const int *pred, size_t n,
                       size_t **table, size_t *nt, size_t *np, size_t *used)
{
    if (truth == NULL || pred == NULL || n == 0)
        return SH_EINVAL;
    int rc = SH_ENOMEM;
    int *t = malloc(n * sizeof(int)), *p = malloc(n * sizeof(int));
    int *tu = NULL, *pu = NULL;
    size_t m = 0;
    *table = NULL;
    if (t == NULL || p == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (pred[i] < 0) {
            rc = SH_EINVAL;
            goto done;
        }
        if (truth[i] < 0)
            continue;
        t[m] = truth[i];
        p[m++] = pred[i];
    }
    if (m == 0) {
        rc = SH_EINVAL;
        goto done;
    }
    tu = distinct_sorted(t, m, nt);
    pu = distinct_sorted(p, m, np);
    if (tu == NULL || pu == NULL)
        goto done;
    *table = calloc(*nt * *np, sizeof(size_t));
    if (*table == NULL)
        goto done;
    for (size_t i = 0; i < m; i++)
        (*table)[index_of(tu, *nt, t[i]) * *np + index_of(pu, *np, p[i])]++;
    *used = m;
    rc = 0;
done:
    free(t);
    free(p);
    free(tu);
    free(pu);
    return rc;
}

/* ---- clustering ------------------------------------------------------------ */

int eval_cluster_accuracy(const int *truth, const int *pred, size_t n, double *acc)
{
    if (acc == NULL)
        return SH_EINVAL;
    size_t *table, nt, np, used;
    int rc = contingency(truth, pred, n, &table, &nt, &np, &used);
    if (rc != 0)
        return rc;
    double *w = malloc(nt * np * sizeof(double));
    int *map = malloc(np * sizeof(int));
    double total = 0.0;
    rc = SH_ENOMEM;
    if (w == NULL || map == NULL)
        goto done;
    /* Rows: clusters; columns: classes. */
    for (size_t t = 0; t < nt; t++)
        for (size_t p = 0; p < np; p++)
            w[p * nt + t] = (double)table[t * np + p];
    rc = assign_max_weight(w, np, nt, map, &total);
    if (rc == 0)
        *acc = total / (double)used;
done:
    free(w);
    free(map);
    free(table);
    return rc;
}

int eval_nmi(const int *truth, const int *pred, size_t n, double *nmi)
{
    if (nmi == NULL)
        return SH_EINVAL;
    size_t *table, nt, np, used;
    int rc = contingency(truth, pred, n, &table, &nt, &np, &used);
    if (rc != 0)
        return rc;
    double *row = calloc(nt, sizeof(double)), *col = calloc(np, sizeof(double));
    if (row == NULL || col == NULL) {
        rc = SH_ENOMEM;
        goto done;
    }
    double total = (double)used, h_t = 0.0, h_p = 0.0, mi = 0.0;
    for (size_t t = 0; t < nt; t++)
        for (size_t p = 0; p < np; p++) {
            row[t] += (double)table[t * np + p];
            col[p] += (double)table[t * np + p];
        }
    for (size_t t = 0; t < nt; t++)
        h_t -= row[t] / total * log(row[t] / total);
    for (size_t p = 0; p < np; p++)
        h_p -= col[p] / total * log(col[p] / total);
    for (size_t t = 0; t < nt; t++)
        for (size_t p = 0; p < np; p++) {
            double c = (double)table[t * np + p];
            if (c > 0)
                mi += c / total * log(c * total / (row[t] * col[p]));
        }
    if (h_t + h_p <= 0.0) {
        *nmi = 1.0;
    } else {
        double v = mi / ((h_t + h_p) / 2.0);
        *nmi = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
done:
    free(row);
    free(col);
    free(table);
    return rc;
}

/* ---- anomaly detection ------------------------------------------------------- */

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

typedef struct {
    float score;
    int positive;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    return cmp_float(&((const scored *)a)->score, &((const scored *)b)->score);
}

int eval_auroc(const float *scores, const int *is_anomaly, size_t n, double *auroc)
{
    if (scores == NULL || is_anomaly == NULL || auroc == NULL || n == 0 || !all_finite(scores, n))
        return SH_EINVAL;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += is_anomaly[i] != 0;
    if (pos == 0 || pos == n)
        return SH_EINVAL;
    scored *s = malloc(n * sizeof(scored));
    if (s == NULL)
        return SH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        s[i].score = scores[i];
        s[i].positive = is_anomaly[i] != 0;
    }
    qsort(s, n, sizeof(scored), cmp_scored);
    /* Ranks 1..n; a run of equal scores [i, j) shares the mean rank. */
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j].score == s[i].score)
            j++;
        double mid_rank = ((double)(i + 1) + (double)j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (s[k].positive)
                rank_sum += mid_rank;
        i = j;
    }
    double p = (double)pos, q = (double)(n - pos);
    *auroc = (rank_sum - p * (p + 1.0) / 2.0) / (p * q);
    free(s);
    return 0;
}

int eval_precision_recall(const float *scores, const int *is_anomaly, size_t n,
                          float threshold, double *precision, double *recall)
{
    if (scores == NULL || is_anomaly == NULL || precision == NULL || recall == NULL || n == 0 ||
        !all_finite(scores, n) || isnan(threshold))
        return SH_EINVAL;
    size_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        int flagged = scores[i] > threshold;
        if (flagged && is_anomaly[i])
            tp++;
        else if (flagged)
            fp++;
        else if (is_anomaly[i])
            fn++;
    }
    *precision = tp + fp > 0 ? (double)tp / (double)(tp + fp) : 1.0;
    *recall = tp + fn > 0 ? (double)tp / (double)(tp + fn) : 1.0;
    return 0;
}

/* A sorted copy of n finite floats, or NULL (*rc set). */
static float *sorted_copy(const float *v, size_t n, int *rc)
{
    if (v == NULL || n == 0 || !all_finite(v, n)) {
        *rc = SH_EINVAL;
        return NULL;
    }
    float *s = malloc(n * sizeof(float));
    if (s == NULL) {
        *rc = SH_ENOMEM;
        return NULL;
    }
    memcpy(s, v, n * sizeof(float));
    qsort(s, n, sizeof(float), cmp_float);
    return s;
}

int eval_threshold_for_fpr(const float *normal_scores, size_t n, double fpr, float *threshold)
{
    if (threshold == NULL || !(fpr >= 0.0 && fpr <= 1.0))
        return SH_EINVAL;
    int rc = 0;
    float *s = sorted_copy(normal_scores, n, &rc);
    if (s == NULL)
        return rc;
    /* At most `allowed` scores may exceed the threshold; the epsilon keeps
     * e.g. 0.05 * 100 from rounding down to 4. */
    size_t allowed = (size_t)floor(fpr * (double)n + 1e-9);
    /* Scores > s[i] are those after the run of values equal to s[i]; take
     * the first i whose count of greater scores fits. */
    size_t i = 0;
    for (;;) {
        size_t j = i + 1;
        while (j < n && s[j] == s[i])
            j++;
        if (n - j <= allowed || j == n)
            break;
        i = j;
    }
    *threshold = s[i];
    free(s);
    return 0;
}

int eval_percentile(const float *values, size_t n, double q, float *out)
{
    if (out == NULL || !(q >= 0.0 && q <= 100.0))
        return SH_EINVAL;
    int rc = 0;
    float *s = sorted_copy(values, n, &rc);
    if (s == NULL)
        return rc;
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1) {
        *out = s[n - 1];
    } else {
        double frac = pos - (double)lo;
        *out = (float)((double)s[lo] + frac * ((double)s[lo + 1] - (double)s[lo]));
    }
    free(s);
    return 0;
}

/* ---- classification ----------------------------------------------------------- */

int eval_accuracy(const int *truth, const int *pred, size_t n, double *acc)
{
    if (truth == NULL || pred == NULL || acc == NULL || n == 0)
        return SH_EINVAL;
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += truth[i] == pred[i];
    *acc = (double)right / (double)n;
    return 0;
}

int eval_confusion(const int *truth, const int *pred, size_t n, size_t n_classes,
                   size_t *counts)
{
    if (truth == NULL || pred == NULL || counts == NULL || n == 0 || n_classes == 0)
        return SH_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (truth[i] < 0 || (size_t)truth[i] >= n_classes || pred[i] < 0 ||
            (size_t)pred[i] >= n_classes)
            return SH_EINVAL;
    memset(counts, 0, n_classes * n_classes * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        counts[(size_t)truth[i] * n_classes + (size_t)pred[i]]++;
    return 0;
}

int eval_macro_f1(const int *truth, const int *pred, size_t n, size_t n_classes, double *f1)
{
    if (f1 == NULL || n_classes == 0)
        return SH_EINVAL;
    size_t *c = malloc(n_classes * n_classes * sizeof(size_t));
    if (c == NULL)
        return SH_ENOMEM;
    int rc = eval_confusion(truth, pred, n, n_classes, c);
    if (rc == 0) {
        double sum = 0.0;
        size_t classes = 0;
        for (size_t k = 0; k < n_classes; k++) {
            size_t tp = c[k * n_classes + k], in_truth = 0, in_pred = 0;
            for (size_t j = 0; j < n_classes; j++) {
                in_truth += c[k * n_classes + j];
                in_pred += c[j * n_classes + k];
            }
            if (in_truth + in_pred == 0)
                continue;
            sum += 2.0 * (double)tp / (double)(in_truth + in_pred); /* 2TP/(2TP+FP+FN) */
            classes++;
        }
        *f1 = sum / (double)classes;
    }
    free(c);
    return rc;
}

/* Squared distances from x (D floats) to every train row, given the
 * train matrix transposed (D x N): dist[r] = sum_j (x[j] - tt[j][r])^2,
 * summed in j order in floats. The inner loop runs over train rows in
 * blocks of 8, which GCC vectorises at -O2. */
static void distances_to_all(const float *x, const float *tt, size_t d, size_t n, float *dist)
{
    memset(dist, 0, n * sizeof(float));
    for (size_t j = 0; j < d; j++) {
        const float xj = x[j], *restrict col = tt + j * n;
        float *restrict out = dist;
        size_t r = 0;
        for (; r + 8 <= n; r += 8)
            for (size_t t = 0; t < 8; t++) {
                float diff = xj - col[r + t];
                out[r + t] += diff * diff;
            }
        for (; r < n; r++) {
            float diff = xj - col[r];
            out[r] += diff * diff;
        }
    }
}

int eval_knn_accuracy(const sh_mat *train, const int *train_labels,
                      const sh_mat *test, const int *test_labels, size_t k, double *acc)
{
    if (train == NULL || test == NULL || train_labels == NULL || test_labels == NULL ||
        acc == NULL || k == 0 || train->cols != test->cols || train->rows == 0 ||
        train->cols == 0)
        return SH_EINVAL;
    size_t d = train->cols, n = train->rows;
    int rc = SH_ENOMEM;
    float *tt = malloc(d * n * sizeof(float));
    float *dist = malloc(n * sizeof(float));
    float *best_dist = malloc(k * sizeof(float));
    int *best_label = malloc(k * sizeof(int));
    if (tt == NULL || dist == NULL || best_dist == NULL || best_label == NULL)
        goto done;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            tt[j * n + r] = train->data[r * d + j];

    size_t scored_rows = 0, right = 0;
    for (size_t q = 0; q < test->rows; q++) {
        if (test_labels[q] < 0)
            continue;
        distances_to_all(test->data + q * d, tt, d, n, dist);
        /* Keep the k best sorted by (distance, index): scanning in index
         * order and moving only past strictly larger distances puts a
         * later row with an equal distance after the earlier ones. */
        size_t have = 0;
        for (size_t r = 0; r < n; r++) {
            if (train_labels[r] < 0 || (have == k && dist[r] >= best_dist[k - 1]))
                continue;
            size_t pos = have < k ? have++ : k - 1;
            while (pos > 0 && best_dist[pos - 1] > dist[r]) {
                best_dist[pos] = best_dist[pos - 1];
                best_label[pos] = best_label[pos - 1];
                pos--;
            }
            best_dist[pos] = dist[r];
            best_label[pos] = train_labels[r];
        }
        if (have == 0)
            break;
        /* Majority vote; scanning in rank order and replacing only on a
         * strictly larger count gives ties to the best-ranked label. */
        int winner = best_label[0];
        size_t winner_votes = 0;
        for (size_t a = 0; a < have; a++) {
            size_t votes = 0;
            for (size_t b = 0; b < have; b++)
                votes += best_label[b] == best_label[a];
            if (votes > winner_votes) {
                winner_votes = votes;
                winner = best_label[a];
            }
        }
        scored_rows++;
        right += winner == test_labels[q];
    }
    rc = SH_EINVAL;
    if (scored_rows > 0) {
        *acc = (double)right / (double)scored_rows;
        rc = 0;
    }
done:
    free(tt);
    free(dist);
    free(best_dist);
    free(best_label);
    return rc;
}

/* ---- reconstruction -------------------------------------------------------------- */

int eval_mse(const float *a, const float *b, size_t n, double *mse)
{
    if (a == NULL || b == NULL || mse == NULL || n == 0)
        return SH_EINVAL;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double diff = (double)a[i] - (double)b[i];
        sum += diff * diff;
    }
    *mse = sum / (double)n;
    return 0;
}

int eval_psnr(const float *a, const float *b, size_t n, double *psnr)
{
    double mse;
    if (psnr == NULL)
        return SH_EINVAL;
    int rc = eval_mse(a, b, n, &mse);
    if (rc != 0)
        return rc;
    *psnr = mse > 0.0 ? 10.0 * log10(1.0 / mse) : INFINITY;
    return 0;
}
