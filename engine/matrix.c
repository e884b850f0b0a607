/* matrix.c — dense and CSR matrices, and the products on them.
 * This is the only file of semhash that includes cblas.h. */
#include "matrix.h"
#include "sh_error.h"

#include <stdlib.h>
#include <string.h>

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
