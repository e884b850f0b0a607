/* matrix.h — dense row-major float matrices and CSR sparse matrices.
 *
 * Dimension legend used across engine/: B = batch rows, V = vocabulary
 * (sparse input width), H = hidden units, K = code units/bits, D = dense
 * input width.
 *
 * Ownership: a matrix owns its buffers; mat_free / csr_free release them
 * and accept NULL. Functions that allocate return SH_ENOMEM and leave the
 * output untouched on failure. Products are declared further down and go
 * through CBLAS; matrix.c is the only file that includes cblas.h.
 */
#ifndef SH_MATRIX_H
#define SH_MATRIX_H

#include <stddef.h>
#include <stdint.h>

/* Dense row-major matrix: element (r, c) is data[r * cols + c]. */
typedef struct {
    size_t rows;
    size_t cols;
    float *data;  /* rows * cols floats, owned */
} sh_mat;

/* Compressed sparse row matrix. Row r holds the entries
 * col_idx[row_ptr[r] .. row_ptr[r+1]) with values alongside; column
 * indices within a row are strictly increasing. */
typedef struct {
    size_t rows;
    size_t cols;
    size_t nnz;
    size_t *row_ptr;   /* rows + 1 entries, owned; row_ptr[0] == 0 */
    uint32_t *col_idx; /* nnz entries, owned */
    float *values;     /* nnz entries, owned */
    size_t capacity;   /* allocated entries in col_idx / values */
    size_t row_capacity; /* allocated entries in row_ptr, minus one */
} sh_csr;

/* ---- dense ---------------------------------------------------------- */

/* Allocates a zeroed rows x cols matrix into *m. Returns 0 or SH_ENOMEM. */
int mat_alloc(sh_mat *m, size_t rows, size_t cols);

/* Frees the buffers and zeroes the struct. Accepts NULL. */
void mat_free(sh_mat *m);

/* ---- sparse --------------------------------------------------------- */

/* Initialises an empty CSR matrix with 0 rows and the given column count,
 * ready for csr_append_row. Returns 0 or SH_ENOMEM. */
int csr_init(sh_csr *m, size_t cols);

/* Appends one row with n entries (col_idx strictly increasing, each
 * < cols). Returns 0, SH_EINVAL (bad indices; nothing appended) or
 * SH_ENOMEM (nothing appended). */
int csr_append_row(sh_csr *m, size_t n, const uint32_t *col_idx, const float *values);

/* Frees the buffers and zeroes the struct. Accepts NULL. */
void csr_free(sh_csr *m);

/* Dense copy of a CSR matrix into out (rows x cols floats, caller-owned,
 * fully overwritten). For tests and small data only. Cannot fail. */
void csr_to_dense(float *out, const sh_csr *m);

/* Empties m (0 rows, 0 entries) keeping its buffers and column count.
 * Cannot fail. */
void csr_clear(sh_csr *m);

/* Replaces the contents of out (initialised with csr_init, any column
 * count) with rows idx[0..n) of x, in that order; out->cols becomes
 * x->cols. Returns 0, SH_EINVAL (an index >= x->rows; out is left empty)
 * or SH_ENOMEM (out is left empty, still valid). */
int csr_select_rows(sh_csr *out, const sh_csr *x, const uint32_t *idx, size_t n);

/* ---- products ----------------------------------------------------------
 *
 * Every fast kernel has a naive reference with the same signature and the
 * suffix _naive, exported so tests compare the two. The naive versions use
 * plain loops with double accumulation.
 */

/* C[M,N] = alpha * op(A)[M,K] . op(B)[K,N] + beta * C, row-major with
 * leading dimensions lda, ldb, ldc (elements between consecutive rows as
 * stored). op(X) is X or, when trans_x is nonzero, X^T (then A is stored as
 * K x M, B as N x K). With beta == 0, C is not read (NaNs in C are
 * overwritten). Sizes of 0 are allowed; every size and leading dimension
 * must fit in an int (BLAS's limit). Cannot fail. Goes through
 * cblas_sgemm. */
void mat_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B, size_t ldb,
              float beta, float *C, size_t ldc);
void mat_gemm_naive(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                    float beta, float *C, size_t ldc);

/* Y[B,H] = X[B,V] . W[V,H] (accumulate == 0) or Y += X . W (accumulate
 * != 0), with X sparse (B = x->rows, V = x->cols) and W dense row-major.
 * Costs 2 * nnz * H flops; never densifies X. Every element receives its
 * terms in increasing column order (a batch is worked one column at a
 * time, so each row of W is read once). One thread. Cannot fail. */
void csr_dense_mul(float *Y, const sh_csr *x, const float *W, size_t H, int accumulate);
void csr_dense_mul_naive(float *Y, const sh_csr *x, const float *W, size_t H, int accumulate);

/* dW[V,H] += X^T . dY[B,H] with X sparse [B,V]: only the rows of dW whose
 * column index appears in X are touched (each once per call); each element
 * receives its terms in increasing row order of X. One thread. Cannot
 * fail. */
void csr_t_dense_mul(float *dW, const sh_csr *x, const float *dY, size_t H);
void csr_t_dense_mul_naive(float *dW, const sh_csr *x, const float *dY, size_t H);

/* ---- eigen decomposition ---------------------------------------------- */

/* Eigen decomposition of the symmetric n x n matrix A (row-major; only
 * symmetric input is meaningful) through LAPACK's ssyevd. On success the
 * eigenvalues are in w[n] in ascending order and row i of A holds the unit
 * eigenvector of w[i] (A is overwritten). Returns 0, SH_ENOMEM (A and w
 * unspecified) or SH_EINVAL (LAPACK failed to converge or rejected an
 * argument; A and w unspecified). */
int mat_sym_eigen(float *A, float *w, size_t n);

/* Reference: cyclic Jacobi rotations in double, same contract. */
int mat_sym_eigen_naive(float *A, float *w, size_t n);

/* ---- threads ------------------------------------------------------------ */

/* Sets the number of BLAS threads (0 = all cores), which is also the
 * number of threads the engine's own parallel loops use (mat_parallel:
 * Adam, the softmax loss, zeroing gradients). Process-wide; call
 * it before starting work, not while another thread is inside a product.
 * Cannot fail. */
void mat_set_threads(int threads);

/* One share of a parallel loop: task t of n_tasks. */
typedef void (*mat_task_fn)(void *arg, size_t task, size_t n_tasks);

/* Runs fn(arg, t, n) for t = 0 .. n-1, n = min(max_tasks,
 * mat_get_threads()) (at least 1): task 0 on the calling thread, the others
 * on threads started for this call, and returns when all have finished.
 * Tasks must not write the same memory; a task that cannot get a thread
 * runs on the calling thread after task 0, so the results never depend
 * on how many threads started. Returns n. Cannot fail. */
size_t mat_parallel(size_t max_tasks, mat_task_fn fn, void *arg);

/* The number of threads BLAS currently uses. */
int mat_get_threads(void);

/* What BLAS is linked: its build description (OpenBLAS: version, build
 * options, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen
 * MAX_THREADS=64") and the name of the CPU kernel it chose at run time
 * ("Zen", "Haswell"; "Prescott" is OpenBLAS's generic x86-64 kernel).
 * Static strings owned by the library. Cannot fail. */
const char *mat_blas_config(void);
const char *mat_blas_core(void);

#endif
