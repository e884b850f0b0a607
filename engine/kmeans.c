/* kmeans.c — k-means++ seeding and Lloyd iterations (see kmeans.h).
 *
 * Shapes: N rows of x, D columns, K clusters, KP = K rounded up to a
 * multiple of 8 (the width of the transposed centroid table ct, D x KP,
 * padded with zero columns that are never chosen).
 *
 * Lloyd iterations are accelerated with Hamerly's bounds (Hamerly 2010):
 * each row keeps an upper bound u on the distance to its centroid and a
 * lower bound l on the distance to every other centroid; when centroids
 * move by p[c], u grows by p[own] and l shrinks by the largest other
 * move. A row whose u is below max(l, half the distance from its centroid
 * to the nearest other one) cannot change cluster and is skipped. Late
 * iterations skip nearly every row, so the assignment step, not the
 * iteration count, sets the cost. Centroid sums are updated only for the
 * rows that changed cluster.
 *
 * Full distance computations go through a dot-product kernel: for four
 * rows at a time, acc[r][c] = sum_j x[r][j] * ct[j][c] in blocks of 8
 * clusters kept in vector registers; the squared distance is
 * ||x||^2 - 2 acc + ||c||^2. (A gemm would do the same work; BLAS lives in
 * matrix.c only, and this kernel runs near the machine's peak without
 * it.)
 */
#include "kmeans.h"
#include "sh_error.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KM_BLOCK 8       /* clusters per register block */
#define KM_ROWS 4        /* rows per pass of dot_rows4 */
#define KM_MAX_THREADS 64

kmeans_opts kmeans_default_opts(size_t k)
{
    kmeans_opts o = { k, 4, 100, 1 };
    return o;
}

void kmeans_result_free(kmeans_result *r)
{
    if (r == NULL)
        return;
    mat_free(&r->centroids);
    free(r->assign);
    memset(r, 0, sizeof(*r));
}

/* ---- dot-product kernels ------------------------------------------------- */

/* Four floats in one SSE register (GCC/Clang vector extension; the
 * compiler lowers it to whatever the target has). Loads and stores go
 * through memcpy, so no alignment is assumed. */
typedef float km_f4 __attribute__((vector_size(16)));

static inline km_f4 load4(const float *p)
{
    km_f4 v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Squared Euclidean distance with four vector partial sums (16 lanes):
 * independent chains, so the loop runs at throughput, not latency. */
static float sqdist(const float *restrict a, const float *restrict b, size_t d)
{
    km_f4 s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
    size_t j = 0;
    for (; j + 16 <= d; j += 16) {
        km_f4 e0 = load4(a + j) - load4(b + j), e1 = load4(a + j + 4) - load4(b + j + 4);
        km_f4 e2 = load4(a + j + 8) - load4(b + j + 8), e3 = load4(a + j + 12) - load4(b + j + 12);
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
    }
    float sum = 0.0f;
    for (; j < d; j++) {
        float diff = a[j] - b[j];
        sum += diff * diff;
    }
    km_f4 all = (s0 + s1) + (s2 + s3);
    return sum + ((all[0] + all[1]) + (all[2] + all[3]));
}

/* Dot products of four rows (D wide each) with every centroid:
 * out[r * KP + c]. One block of 8 clusters at a time, the 4 rows x 8 sums
 * held in 8 vector registers; four rows at once give independent addition
 * chains (a single chain is latency-bound) and share the centroid loads.
 * No branch on zero inputs: mispredictions cost more than the skipped
 * work. */
static void dot_rows4(const float *const rows[KM_ROWS], size_t d, const float *restrict ct,
                      size_t kp, float *restrict out)
{
    const float *x0 = rows[0], *x1 = rows[1], *x2 = rows[2], *x3 = rows[3];
    for (size_t c = 0; c < kp; c += KM_BLOCK) {
        km_f4 a0 = { 0 }, b0 = { 0 }, a1 = { 0 }, b1 = { 0 };
        km_f4 a2 = { 0 }, b2 = { 0 }, a3 = { 0 }, b3 = { 0 };
        const float *restrict cj = ct + c;
        for (size_t j = 0; j < d; j++, cj += kp) {
            km_f4 lo = load4(cj), hi = load4(cj + 4);
            a0 += x0[j] * lo;
            b0 += x0[j] * hi;
            a1 += x1[j] * lo;
            b1 += x1[j] * hi;
            a2 += x2[j] * lo;
            b2 += x2[j] * hi;
            a3 += x3[j] * lo;
            b3 += x3[j] * hi;
        }
        memcpy(out + c, &a0, sizeof(a0));
        memcpy(out + c + 4, &b0, sizeof(b0));
        memcpy(out + kp + c, &a1, sizeof(a1));
        memcpy(out + kp + c + 4, &b1, sizeof(b1));
        memcpy(out + 2 * kp + c, &a2, sizeof(a2));
        memcpy(out + 2 * kp + c + 4, &b2, sizeof(b2));
        memcpy(out + 3 * kp + c, &a3, sizeof(a3));
        memcpy(out + 3 * kp + c + 4, &b3, sizeof(b3));
    }
}

/* The same for one row, with the very same operations per sum, so a
 * row's result does not depend on how rows are grouped or split over
 * threads. */
static void dot_row1(const float *restrict x, size_t d, const float *restrict ct,
                     size_t kp, float *restrict out)
{
    for (size_t c = 0; c < kp; c += KM_BLOCK) {
        km_f4 a0 = { 0 }, b0 = { 0 };
        const float *restrict cj = ct + c;
        for (size_t j = 0; j < d; j++, cj += kp) {
            a0 += x[j] * load4(cj);
            b0 += x[j] * load4(cj + 4);
        }
        memcpy(out + c, &a0, sizeof(a0));
        memcpy(out + c + 4, &b0, sizeof(b0));
    }
}

/* ---- shared state of one fit ---------------------------------------------- */

typedef struct {
    size_t n, d, k, kp, threads;
    const float *x;     /* N x D */
    const float *cent;  /* K x D current centroids */
    double *xx;         /* N: squared row norms */
    float *ct;          /* D x KP: transposed centroids */
    double *cc;         /* K: squared centroid norms */
    double *upper;      /* N: upper bound on the distance to the own centroid */
    double *lower;      /* N: lower bound on the distance to any other centroid */
    double *half_gap;   /* K: half the distance to the nearest other centroid */
    double *moved;      /* K: how far each centroid moved in the last update */
    float *acc;         /* threads x KM_ROWS x KP scratch */
} km_work;

/* ---- assignment step ------------------------------------------------------- */

typedef struct {
    km_work *w;
    size_t lo, hi;      /* rows [lo, hi) */
    double move_max;    /* largest centroid move */
    double move_next;   /* second largest */
    size_t move_argmax;
    int *assign;        /* N, updated in place (-1 = none yet: full search) */
    float *acc;         /* KM_ROWS x KP */
    size_t changed;     /* out */
} assign_job;

/* Full search for row i given its dot products: nearest centroid (ties
 * to the lower index) and tight bounds. */
static void settle_row(assign_job *job, size_t i, const float *dots)
{
    km_work *w = job->w;
    int best = 0;
    double best_d = INFINITY, second_d = INFINITY;
    for (size_t c = 0; c < w->k; c++) {
        double dc = w->xx[i] - 2.0 * (double)dots[c] + w->cc[c];
        if (dc < best_d) {
            second_d = best_d;
            best_d = dc;
            best = (int)c;
        } else if (dc < second_d) {
            second_d = dc;
        }
    }
    if (job->assign[i] != best)
        job->changed++;
    job->assign[i] = best;
    w->upper[i] = sqrt(best_d > 0.0 ? best_d : 0.0);
    w->lower[i] = second_d == INFINITY ? INFINITY : sqrt(second_d > 0.0 ? second_d : 0.0);
}

static void assign_rows(assign_job *job)
{
    km_work *w = job->w;
    size_t pending[KM_ROWS], np = 0;
    const float *rows[KM_ROWS];
    job->changed = 0;
    for (size_t i = job->lo; i < job->hi; i++) {
        int a = job->assign[i];
        if (a >= 0) {
            w->upper[i] += w->moved[a];
            w->lower[i] -= (size_t)a == job->move_argmax ? job->move_next : job->move_max;
            double bound = w->lower[i] > w->half_gap[a] ? w->lower[i] : w->half_gap[a];
            if (w->upper[i] <= bound)
                continue;
            w->upper[i] = sqrt(sqdist(w->x + i * w->d, w->cent + (size_t)a * w->d, w->d));
            if (w->upper[i] <= bound)
                continue;
        }
        pending[np] = i;
        rows[np++] = w->x + i * w->d;
        if (np == KM_ROWS) {
            dot_rows4(rows, w->d, w->ct, w->kp, job->acc);
            for (size_t r = 0; r < KM_ROWS; r++)
                settle_row(job, pending[r], job->acc + r * w->kp);
            np = 0;
        }
    }
    for (size_t r = 0; r < np; r++) {
        dot_row1(rows[r], w->d, w->ct, w->kp, job->acc);
        settle_row(job, pending[r], job->acc);
    }
}

static void *assign_thread(void *arg)
{
    assign_rows(arg);
    return NULL;
}

/* Loads the centroids into the transposed table, their norms and the
 * half gaps to the nearest other centroid. */
static void load_centroids(km_work *w, const float *centroids)
{
    w->cent = centroids;
    memset(w->ct, 0, w->d * w->kp * sizeof(float));
    for (size_t c = 0; c < w->k; c++) {
        const float *cr = centroids + c * w->d;
        double norm = 0.0;
        for (size_t j = 0; j < w->d; j++) {
            w->ct[j * w->kp + c] = cr[j];
            norm += (double)cr[j] * cr[j];
        }
        w->cc[c] = norm;
        w->half_gap[c] = INFINITY;
    }
    for (size_t c = 0; c < w->k; c++)
        for (size_t e = c + 1; e < w->k; e++) {
            double g = 0.5 * sqrt(sqdist(centroids + c * w->d, centroids + e * w->d, w->d));
            if (g < w->half_gap[c])
                w->half_gap[c] = g;
            if (g < w->half_gap[e])
                w->half_gap[e] = g;
        }
}

/* Assigns all rows (rows with assign -1 get a full search); *changed
 * receives the count of changed rows. Returns 0 or an errno from
 * pthread_create. */
static int assign_all(km_work *w, int *assign, size_t *changed)
{
    assign_job jobs[KM_MAX_THREADS];
    pthread_t tid[KM_MAX_THREADS];
    size_t threads = w->threads;
    if (threads > w->n)
        threads = w->n > 0 ? w->n : 1;
    double move_max = 0.0, move_next = 0.0;
    size_t move_argmax = 0;
    for (size_t c = 0; c < w->k; c++) {
        if (w->moved[c] > move_max) {
            move_next = move_max;
            move_max = w->moved[c];
            move_argmax = c;
        } else if (w->moved[c] > move_next) {
            move_next = w->moved[c];
        }
    }
    for (size_t t = 0; t < threads; t++) {
        assign_job job = { w, w->n * t / threads, w->n * (t + 1) / threads,
                           move_max, move_next, move_argmax, assign,
                           w->acc + t * KM_ROWS * w->kp, 0 };
        jobs[t] = job;
    }
    size_t started = 0;
    int rc = 0;
    for (size_t t = 1; t < threads && rc == 0; t++) {
        rc = pthread_create(&tid[t], NULL, assign_thread, &jobs[t]);
        if (rc == 0)
            started = t;
    }
    assign_rows(&jobs[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    if (rc != 0)
        return rc;
    *changed = 0;
    for (size_t t = 0; t < threads; t++)
        *changed += jobs[t].changed;
    /* The bounds now include every move so far. */
    memset(w->moved, 0, w->k * sizeof(double));
    return 0;
}

static int work_init(km_work *w, const sh_mat *x, size_t k, size_t threads)
{
    memset(w, 0, sizeof(*w));
    w->n = x->rows;
    w->d = x->cols;
    w->k = k;
    w->kp = (k + KM_BLOCK - 1) / KM_BLOCK * KM_BLOCK;
    w->threads = threads < KM_MAX_THREADS ? threads : KM_MAX_THREADS;
    w->x = x->data;
    size_t n1 = w->n > 0 ? w->n : 1;
    w->xx = malloc(n1 * sizeof(double));
    w->ct = malloc((w->d > 0 ? w->d : 1) * w->kp * sizeof(float));
    w->cc = malloc(k * sizeof(double));
    w->upper = malloc(n1 * sizeof(double));
    w->lower = malloc(n1 * sizeof(double));
    w->half_gap = malloc(k * sizeof(double));
    w->moved = calloc(k, sizeof(double));
    w->acc = malloc(w->threads * KM_ROWS * w->kp * sizeof(float));
    if (!w->xx || !w->ct || !w->cc || !w->upper || !w->lower || !w->half_gap || !w->moved ||
        !w->acc)
        return SH_ENOMEM;
    for (size_t i = 0; i < w->n; i++) {
        const float *r = w->x + i * w->d;
        double norm = 0.0;
        for (size_t j = 0; j < w->d; j++)
            norm += (double)r[j] * r[j];
        w->xx[i] = norm;
    }
    return 0;
}

static void work_free(km_work *w)
{
    free(w->xx);
    free(w->ct);
    free(w->cc);
    free(w->upper);
    free(w->lower);
    free(w->half_gap);
    free(w->moved);
    free(w->acc);
}

/* Sum of squared distances of rows to their assigned centroids. */
static double inertia_of(const sh_mat *x, const float *centroids, const int *assign)
{
    double sum = 0.0;
    for (size_t i = 0; i < x->rows; i++)
        sum += sqdist(x->data + i * x->cols, centroids + (size_t)assign[i] * x->cols, x->cols);
    return sum;
}

/* ---- one run ------------------------------------------------------------------ */

/* k-means++ seeding into centroids (K x D); mind is N scratch. */
static void seed_plus_plus(const sh_mat *x, size_t k, sh_rng *rng, float *centroids, double *mind)
{
    size_t n = x->rows, d = x->cols;
    size_t pick = (size_t)rng_below(rng, n);
    memcpy(centroids, x->data + pick * d, d * sizeof(float));
    for (size_t i = 0; i < n; i++)
        mind[i] = sqdist(x->data + i * d, centroids, d);
    for (size_t c = 1; c < k; c++) {
        double total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += mind[i];
        if (total > 0.0) {
            double r = rng_uniform_double(rng) * total, cum = 0.0;
            for (size_t i = 0; i < n; i++) {
                if (mind[i] <= 0.0)
                    continue;
                pick = i; /* the last positive row if rounding runs past the end */
                cum += mind[i];
                if (cum > r)
                    break;
            }
        } else {
            pick = (size_t)rng_below(rng, n); /* every row sits on a centre */
        }
        float *cr = centroids + c * d;
        memcpy(cr, x->data + pick * d, d * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            double dd = sqdist(x->data + i * d, cr, d);
            if (dd < mind[i])
                mind[i] = dd;
        }
    }
}

typedef struct {
    double *sums;   /* K x D running sums of the rows in each cluster */
    size_t *counts; /* K */
    int *held;      /* N: the cluster each row is counted in (-1 = none) */
    float *old;     /* K x D centroids before the update */
} km_update;

/* Moves the rows that changed cluster between the running sums (in row
 * order, on one thread), recomputes the centroids as means and records
 * how far each moved. An empty cluster takes the row with the largest
 * upper bound (a finite one: each such row is used once). */
static void update_centroids(km_work *w, km_update *u, const int *assign, float *centroids)
{
    size_t d = w->d, k = w->k;
    for (size_t i = 0; i < w->n; i++) {
        int from = u->held[i], to = assign[i];
        if (from == to)
            continue;
        const float *r = w->x + i * d;
        if (from >= 0) {
            double *s = u->sums + (size_t)from * d;
            for (size_t j = 0; j < d; j++)
                s[j] -= r[j];
            u->counts[from]--;
        }
        double *s = u->sums + (size_t)to * d;
        for (size_t j = 0; j < d; j++)
            s[j] += r[j];
        u->counts[to]++;
        u->held[i] = to;
    }
    memcpy(u->old, centroids, k * d * sizeof(float));
    for (size_t c = 0; c < k; c++) {
        float *cr = centroids + c * d;
        if (u->counts[c] > 0) {
            for (size_t j = 0; j < d; j++)
                cr[j] = (float)(u->sums[c * d + j] / (double)u->counts[c]);
        } else {
            size_t far = 0;
            double far_u = -1.0;
            for (size_t i = 0; i < w->n; i++)
                if (w->upper[i] > far_u && w->upper[i] < INFINITY) {
                    far = i;
                    far_u = w->upper[i];
                }
            memcpy(cr, w->x + far * d, d * sizeof(float));
            w->upper[far] = INFINITY; /* not picked twice; the next pass re-searches it */
        }
        w->moved[c] = sqrt(sqdist(cr, u->old + c * d, d));
    }
}

int kmeans_fit(const sh_mat *x, const kmeans_opts *opts, sh_rng *rng, kmeans_result *out)
{
    if (out == NULL)
        return SH_EINVAL;
    memset(out, 0, sizeof(*out));
    if (x == NULL || opts == NULL || rng == NULL || x->data == NULL || opts->k == 0 ||
        opts->k > x->rows || opts->restarts == 0 || opts->max_iter == 0 || opts->threads == 0 ||
        x->cols == 0 || opts->k > (size_t)1 << 30)
        return SH_EINVAL;
    for (size_t i = 0; i < x->rows * x->cols; i++)
        if (!isfinite(x->data[i]))
            return SH_EINVAL;

    size_t n = x->rows, d = x->cols, k = opts->k;
    km_work w;
    km_update u = { 0 };
    int rc = work_init(&w, x, k, opts->threads);
    float *centroids = malloc(k * d * sizeof(float));
    int *assign = malloc(n * sizeof(int));
    double *mind = malloc(n * sizeof(double));
    u.sums = malloc(k * d * sizeof(double));
    u.counts = malloc(k * sizeof(size_t));
    u.held = malloc(n * sizeof(int));
    u.old = malloc(k * d * sizeof(float));
    if (rc == 0 && (!centroids || !assign || !mind || !u.sums || !u.counts || !u.held || !u.old))
        rc = SH_ENOMEM;
    if (rc == 0)
        rc = mat_alloc(&out->centroids, k, d);
    if (rc == 0 && (out->assign = malloc(n * sizeof(int))) == NULL)
        rc = SH_ENOMEM;
    if (rc != 0)
        goto fail;

    out->inertia = INFINITY;
    for (size_t run = 0; run < opts->restarts; run++) {
        seed_plus_plus(x, k, rng, centroids, mind);
        for (size_t i = 0; i < n; i++)
            assign[i] = u.held[i] = -1;
        memset(u.sums, 0, k * d * sizeof(double));
        memset(u.counts, 0, k * sizeof(size_t));
        memset(w.moved, 0, k * sizeof(double));
        size_t it = 0;
        int converged = 0;
        for (;; it++) {
            size_t changed = 0;
            load_centroids(&w, centroids);
            rc = assign_all(&w, assign, &changed);
            if (rc != 0)
                goto fail;
            if (changed == 0) {
                converged = 1;
                break;
            }
            if (it == opts->max_iter)
                break;
            update_centroids(&w, &u, assign, centroids);
        }
        double inertia = inertia_of(x, centroids, assign);
        if (inertia < out->inertia) {
            out->inertia = inertia;
            out->iterations = it;
            out->converged = converged;
            memcpy(out->centroids.data, centroids, k * d * sizeof(float));
            memcpy(out->assign, assign, n * sizeof(int));
        }
    }
    rc = 0;
    goto done;
fail:
    kmeans_result_free(out);
done:
    work_free(&w);
    free(centroids);
    free(assign);
    free(mind);
    free(u.sums);
    free(u.counts);
    free(u.held);
    free(u.old);
    return rc;
}

int kmeans_assign(const sh_mat *x, const sh_mat *centroids, int *assign, double *inertia)
{
    if (x == NULL || centroids == NULL || assign == NULL || centroids->rows == 0 ||
        centroids->data == NULL || x->cols != centroids->cols || x->cols == 0 ||
        (x->data == NULL && x->rows > 0))
        return SH_EINVAL;
    km_work w;
    int rc = work_init(&w, x, centroids->rows, 1);
    if (rc == 0) {
        size_t changed;
        load_centroids(&w, centroids->data);
        for (size_t i = 0; i < x->rows; i++)
            assign[i] = -1;
        rc = assign_all(&w, assign, &changed);
    }
    if (rc == 0 && inertia != NULL)
        *inertia = inertia_of(x, centroids->data, assign);
    work_free(&w);
    return rc;
}
