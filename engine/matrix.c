/* matrix.c — dense and CSR matrices, the products on them, and the
 * engine's parallel loop (mat_parallel). This is the only file of semhash
 * that includes cblas.h. */
#include "matrix.h"
#include "sh_error.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's single-precision symmetric eigen solver (divide and conquer),
 * exported by libopenblas; declared here since no LAPACK header is
 * required. Fortran calling convention: everything by pointer, plus the
 * hidden lengths of the two CHARACTER arguments at the end (gfortran
 * passes them as size_t; leaving them out is an ABI mismatch that newer
 * compilers can turn into a crash). */
extern void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a,
                    const int *lda, float *w, float *work, const int *lwork,
                    int *iwork, const int *liwork, int *info, size_t jobz_len,
                    size_t uplo_len);

int mat_alloc(sh_mat *m, size_t rows, size_t cols)
{
    size_t count = rows * cols;
    float *data = calloc(count > 0 ? count : 1, sizeof(float));
    if (data == NULL)
        return SH_ENOMEM;
    m->rows = rows;
    m->cols = cols;
    m->data = data;
    return 0;
}

void mat_free(sh_mat *m)
{
    if (m == NULL)
        return;
    free(m->data);
    memset(m, 0, sizeof(*m));
}

int csr_init(sh_csr *m, size_t cols)
{
    memset(m, 0, sizeof(*m));
    m->row_capacity = 16;
    m->row_ptr = calloc(m->row_capacity + 1, sizeof(size_t));
    if (m->row_ptr == NULL)
        return SH_ENOMEM;
    m->cols = cols;
    return 0;
}

int csr_append_row(sh_csr *m, size_t n, const uint32_t *col_idx, const float *values)
{
    for (size_t i = 0; i < n; i++) {
        if (col_idx[i] >= m->cols || (i > 0 && col_idx[i] <= col_idx[i - 1]))
            return SH_EINVAL;
    }
    if (m->rows == m->row_capacity) {
        size_t new_cap = m->row_capacity * 2;
        size_t *rp = realloc(m->row_ptr, (new_cap + 1) * sizeof(size_t));
        if (rp == NULL)
            return SH_ENOMEM;
        m->row_ptr = rp;
        m->row_capacity = new_cap;
    }
    if (m->nnz + n > m->capacity) {
        size_t new_cap = m->capacity ? m->capacity : 64;
        while (new_cap < m->nnz + n)
            new_cap *= 2;
        uint32_t *ci = realloc(m->col_idx, new_cap * sizeof(uint32_t));
        if (ci == NULL)
            return SH_ENOMEM;
        m->col_idx = ci;
        float *va = realloc(m->values, new_cap * sizeof(float));
        if (va == NULL)
            return SH_ENOMEM;
        m->values = va;
        m->capacity = new_cap;
    }
    if (n > 0) {
        memcpy(m->col_idx + m->nnz, col_idx, n * sizeof(uint32_t));
        memcpy(m->values + m->nnz, values, n * sizeof(float));
    }
    m->nnz += n;
    m->rows += 1;
    m->row_ptr[m->rows] = m->nnz;
    return 0;
}

void csr_free(sh_csr *m)
{
    if (m == NULL)
        return;
    free(m->row_ptr);
    free(m->col_idx);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

void csr_to_dense(float *out, const sh_csr *m)
{
    memset(out, 0, m->rows * m->cols * sizeof(float));
    for (size_t r = 0; r < m->rows; r++)
        for (size_t i = m->row_ptr[r]; i < m->row_ptr[r + 1]; i++)
            out[r * m->cols + m->col_idx[i]] = m->values[i];
}

void csr_clear(sh_csr *m)
{
    m->rows = 0;
    m->nnz = 0;
    if (m->row_ptr != NULL)
        m->row_ptr[0] = 0;
}

/* Grows the buffers of m to hold at least rows rows and nnz entries. */
static int csr_reserve(sh_csr *m, size_t rows, size_t nnz)
{
    if (rows > m->row_capacity || m->row_ptr == NULL) {
        size_t *rp = realloc(m->row_ptr, (rows + 1) * sizeof(size_t));
        if (rp == NULL)
            return SH_ENOMEM;
        m->row_ptr = rp;
        m->row_capacity = rows;
    }
    if (nnz > m->capacity) {
        uint32_t *ci = realloc(m->col_idx, nnz * sizeof(uint32_t));
        if (ci == NULL)
            return SH_ENOMEM;
        m->col_idx = ci;
        float *va = realloc(m->values, nnz * sizeof(float));
        if (va == NULL)
            return SH_ENOMEM;
        m->values = va;
        m->capacity = nnz;
    }
    return 0;
}

int csr_select_rows(sh_csr *out, const sh_csr *x, const uint32_t *idx, size_t n)
{
    csr_clear(out);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= x->rows)
            return SH_EINVAL;
        total += x->row_ptr[idx[i] + 1] - x->row_ptr[idx[i]];
    }
    int rc = csr_reserve(out, n, total);
    if (rc != 0)
        return rc;
    out->cols = x->cols;
    out->row_ptr[0] = 0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t begin = x->row_ptr[idx[i]], len = x->row_ptr[idx[i] + 1] - begin;
        if (len > 0) {
            memcpy(out->col_idx + pos, x->col_idx + begin, len * sizeof(uint32_t));
            memcpy(out->values + pos, x->values + begin, len * sizeof(float));
        }
        pos += len;
        out->row_ptr[i + 1] = pos;
    }
    out->rows = n;
    out->nnz = pos;
    return 0;
}

/* ---- dense products ------------------------------------------------- */

void mat_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B, size_t ldb,
              float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0) {
        /* BLAS would scale C by beta; keep that meaning, with beta == 0
         * overwriting instead of multiplying. */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A,
                (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

void mat_gemm_naive(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                    float beta, float *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            double sum = 0.0;
            for (size_t k = 0; k < K; k++) {
                double a = trans_a ? A[k * lda + i] : A[i * lda + k];
                double b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += a * b;
            }
            double old = beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j];
            C[i * ldc + j] = (float)(alpha * sum + old);
        }
    }
}

/* ---- sparse products -------------------------------------------------- */

/* y[n] += a * x[n], y and x not overlapping. The blocks of 8 have a fixed
 * trip count, which is what lets the compiler vectorise them at -O2 (its
 * cheap cost model adds no run-time alias or remainder checks); every
 * element still sees the same multiply and add as in the plain loop, so
 * the results are bit for bit those of the plain loop. */
static void axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            y[i + j] += a * x[i + j];
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* The entries of a CSR matrix by column: column c holds entries
 * [start[c], start[c+1]) of row[] and val[], in increasing row order. */
typedef struct {
    size_t *start; /* [cols + 1] */
    uint32_t *row; /* [nnz] */
    float *val;    /* [nnz] */
} csr_columns;

static void columns_free(csr_columns *c)
{
    free(c->start);
    free(c->row);
    free(c->val);
}

/* Builds the column view of x by counting sort, when that is worth it:
 * more than one row, and no more columns than 8 per entry (the view costs
 * O(cols) to build). Returns 1 with *c filled, or 0 (not worth it, or
 * out of memory; nothing to free). */
static int columns_build(csr_columns *c, const sh_csr *x)
{
    size_t nnz = x->row_ptr[x->rows], V = x->cols;
    if (x->rows < 2 || nnz == 0 || V > 8 * nnz)
        return 0;
    c->start = calloc(V + 1, sizeof(size_t));
    c->row = malloc(nnz * sizeof(uint32_t));
    c->val = malloc(nnz * sizeof(float));
    if (c->start == NULL || c->row == NULL || c->val == NULL) {
        columns_free(c);
        return 0;
    }
    for (size_t i = 0; i < nnz; i++)
        c->start[x->col_idx[i] + 1]++;
    for (size_t v = 0; v < V; v++)
        c->start[v + 1] += c->start[v];
    for (size_t r = 0; r < x->rows; r++) {
        for (size_t i = x->row_ptr[r]; i < x->row_ptr[r + 1]; i++) {
            size_t at = c->start[x->col_idx[i]]++;
            c->row[at] = (uint32_t)r;
            c->val[at] = x->values[i];
        }
    }
    for (size_t v = V; v > 0; v--) /* the fill advanced each start to the next */
        c->start[v] = c->start[v - 1];
    c->start[0] = 0;
    return 1;
}

/* Y += X . W, or dW += X^T . dY (transposed; then W is dW and Y is dY),
 * one column of X at a time, so each row of W (or dW) is read once however
 * many rows of X use it, while Y (or dY), B x H, stays in cache. Every
 * element of the result receives its terms in the order of the row-by-row
 * loops (increasing column for Y, increasing row for dW), so the bits are
 * the same. One thread: the product is bound by memory traffic, and
 * splitting it over two threads measured slower (SpamAssassin batches of
 * 128 rows, H = 500: 0.18 s against 0.15 s per epoch). */
static void mul_by_columns(const csr_columns *c, size_t V, float *Y, float *W, size_t H,
                           int transposed)
{
    for (size_t v = 0; v < V; v++) {
        float *w = W + v * H;
        for (size_t k = c->start[v]; k < c->start[v + 1]; k++) {
            float *y = Y + (size_t)c->row[k] * H;
            if (transposed)
                axpy(w, c->val[k], y, H);
            else
                axpy(y, c->val[k], w, H);
        }
    }
}

void csr_dense_mul(float *Y, const sh_csr *x, const float *W, size_t H, int accumulate)
{
    if (!accumulate)
        memset(Y, 0, x->rows * H * sizeof(float));
    csr_columns c;
    if (columns_build(&c, x)) {
        mul_by_columns(&c, x->cols, Y, (float *)W, H, 0); /* W is only read */
        columns_free(&c);
        return;
    }
    for (size_t r = 0; r < x->rows; r++)
        for (size_t i = x->row_ptr[r]; i < x->row_ptr[r + 1]; i++)
            axpy(Y + r * H, x->values[i], W + (size_t)x->col_idx[i] * H, H);
}

void csr_dense_mul_naive(float *Y, const sh_csr *x, const float *W, size_t H, int accumulate)
{
    for (size_t r = 0; r < x->rows; r++) {
        for (size_t h = 0; h < H; h++) {
            double sum = accumulate ? Y[r * H + h] : 0.0;
            for (size_t i = x->row_ptr[r]; i < x->row_ptr[r + 1]; i++)
                sum += (double)x->values[i] * W[(size_t)x->col_idx[i] * H + h];
            Y[r * H + h] = (float)sum;
        }
    }
}

void csr_t_dense_mul(float *dW, const sh_csr *x, const float *dY, size_t H)
{
    csr_columns c;
    if (columns_build(&c, x)) {
        mul_by_columns(&c, x->cols, (float *)dY, dW, H, 1); /* dY is only read */
        columns_free(&c);
        return;
    }
    for (size_t r = 0; r < x->rows; r++) {
        const float *dy = dY + r * H;
        for (size_t i = x->row_ptr[r]; i < x->row_ptr[r + 1]; i++)
            axpy(dW + (size_t)x->col_idx[i] * H, x->values[i], dy, H);
    }
}

void csr_t_dense_mul_naive(float *dW, const sh_csr *x, const float *dY, size_t H)
{
    /* Column by column of X: for every (v, h), sum over the rows that hold v. */
    for (size_t v = 0; v < x->cols; v++) {
        for (size_t h = 0; h < H; h++) {
            double sum = 0.0;
            int seen = 0;
            for (size_t r = 0; r < x->rows; r++) {
                for (size_t i = x->row_ptr[r]; i < x->row_ptr[r + 1]; i++) {
                    if (x->col_idx[i] == v) {
                        sum += (double)x->values[i] * dY[r * H + h];
                        seen = 1;
                    }
                }
            }
            if (seen)
                dW[v * H + h] = (float)(dW[v * H + h] + sum);
        }
    }
}

/* ---- eigen decomposition ---------------------------------------------- */

int mat_sym_eigen(float *A, float *w, size_t n)
{
    if (n == 0)
        return 0;
    if (n > 46340) /* n * n must fit LAPACK's int */
        return SH_EINVAL;
    /* Row-major symmetric A is its own column-major transpose, and the
     * column-major eigenvector columns LAPACK returns are our rows. */
    int N = (int)n, lwork = -1, liwork = -1, info = 0, iwork_query = 0;
    float work_query = 0.0f;
    ssyevd_("V", "U", &N, A, &N, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    if (info != 0)
        return SH_EINVAL;
    lwork = (int)work_query + 1;
    liwork = iwork_query;
    float *work = malloc((size_t)lwork * sizeof(float));
    int *iwork = malloc((size_t)(liwork > 0 ? liwork : 1) * sizeof(int));
    int rc = SH_ENOMEM;
    if (work == NULL || iwork == NULL)
        goto fail;
    ssyevd_("V", "U", &N, A, &N, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    rc = info == 0 ? 0 : SH_EINVAL;
fail:
    free(work);
    free(iwork);
    return rc;
}

int mat_sym_eigen_naive(float *A, float *w, size_t n)
{
    double *a = malloc(n * n * sizeof(double) + 1);
    double *v = malloc(n * n * sizeof(double) + 1);
    size_t *order = malloc(n * sizeof(size_t) + 1);
    int rc = SH_ENOMEM;
    if (a == NULL || v == NULL || order == NULL)
        goto fail;
    for (size_t i = 0; i < n * n; i++)
        a[i] = A[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            v[i * n + j] = i == j ? 1.0 : 0.0;
    rc = SH_EINVAL;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off < 1e-22) {
            rc = 0;
            break;
        }
        for (size_t p = 0; p < n; p++) {
            for (size_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < n; k++) { /* eigenvectors as columns of v */
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    if (rc != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort by eigenvalue */
        size_t key = order[i], j = i;
        while (j > 0 && a[order[j - 1] * n + order[j - 1]] > a[key * n + key]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = key;
    }
    for (size_t i = 0; i < n; i++) {
        w[i] = (float)a[order[i] * n + order[i]];
        for (size_t k = 0; k < n; k++)
            A[i * n + k] = (float)v[k * n + order[i]];
    }
fail:
    free(a);
    free(v);
    free(order);
    return rc;
}

/* ---- threads ------------------------------------------------------------ */

void mat_set_threads(int threads)
{
    if (threads <= 0)
        threads = openblas_get_num_procs();
    openblas_set_num_threads(threads);
}

int mat_get_threads(void)
{
    return openblas_get_num_threads();
}

#define MAT_MAX_THREADS 64

typedef struct {
    mat_task_fn fn;
    void *arg;
    size_t task, n_tasks;
} task_slot;

static void *task_thread(void *p)
{
    task_slot *t = p;
    t->fn(t->arg, t->task, t->n_tasks);
    return NULL;
}

size_t mat_parallel(size_t max_tasks, mat_task_fn fn, void *arg)
{
    int threads = mat_get_threads();
    size_t n = threads > 1 ? (size_t)threads : 1;
    if (n > max_tasks)
        n = max_tasks > 0 ? max_tasks : 1;
    if (n > MAT_MAX_THREADS)
        n = MAT_MAX_THREADS;
    task_slot slot[MAT_MAX_THREADS];
    pthread_t tid[MAT_MAX_THREADS];
    int started[MAT_MAX_THREADS];
    for (size_t t = 1; t < n; t++) {
        slot[t] = (task_slot){ fn, arg, t, n };
        started[t] = pthread_create(&tid[t], NULL, task_thread, &slot[t]) == 0;
    }
    fn(arg, 0, n);
    for (size_t t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(arg, t, n);
    }
    return n;
}

const char *mat_blas_config(void)
{
    return openblas_get_config();
}

const char *mat_blas_core(void)
{
    return openblas_get_corename();
}
