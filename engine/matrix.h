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

#endif
