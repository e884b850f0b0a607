/* assign.c — Hungarian algorithm with potentials (see assign.h).
 *
 * Works on an n x m problem with n <= m (the caller's matrix is read
 * transposed when it has more rows than columns). Rows are added one at a
 * time; for each, a Dijkstra-like search over columns with reduced costs
 * a[i][j] - u[i] - v[j] finds the cheapest augmenting path, then the
 * potentials are updated so reduced costs stay non-negative. Indices are
 * 1-based inside, with column 0 as the virtual start of each search. */
#include "assign.h"
#include "sh_error.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

static int solve(const double *a, size_t rows, size_t cols, int transpose, double sign,
                 int *row_to_col, double *total)
{
    size_t n = transpose ? cols : rows; /* n <= m */
    size_t m = transpose ? rows : cols;
    int rc = SH_ENOMEM;
    double *u = calloc(n + 1, sizeof(double));
    double *v = calloc(m + 1, sizeof(double));
    double *minv = malloc((m + 1) * sizeof(double));
    size_t *p = calloc(m + 1, sizeof(size_t));   /* p[j]: row matched to column j, 0 = none */
    size_t *way = calloc(m + 1, sizeof(size_t)); /* previous column on the path */
    unsigned char *used = malloc(m + 1);
    if (!u || !v || !minv || !p || !way || !used)
        goto done;

#define COST(i, j) (sign * (transpose ? a[((j) - 1) * cols + ((i) - 1)] \
                                      : a[((i) - 1) * cols + ((j) - 1)]))
    for (size_t i = 1; i <= n; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= m; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            size_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = COST(i0, j) - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (size_t j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }

    for (size_t r = 0; r < rows; r++)
        row_to_col[r] = -1;
    double sum = 0.0;
    for (size_t j = 1; j <= m; j++) {
        if (p[j] == 0)
            continue;
        size_t r = transpose ? j - 1 : p[j] - 1;
        size_t c = transpose ? p[j] - 1 : j - 1;
        row_to_col[r] = (int)c;
        sum += a[r * cols + c];
    }
#undef COST
    if (total != NULL)
        *total = sum;
    rc = 0;
done:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return rc;
}

static int check_args(const double *a, size_t rows, size_t cols, const int *row_to_col)
{
    if ((a == NULL && rows * cols > 0) || (row_to_col == NULL && rows > 0))
        return SH_EINVAL;
    if (rows > INT_MAX || cols > INT_MAX)
        return SH_EINVAL;
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(a[i]))
            return SH_EINVAL;
    return 0;
}

static int assign(const double *a, size_t rows, size_t cols, double sign,
                  int *row_to_col, double *total)
{
    int rc = check_args(a, rows, cols, row_to_col);
    if (rc != 0)
        return rc;
    if (rows == 0 || cols == 0) {
        for (size_t r = 0; r < rows; r++)
            row_to_col[r] = -1;
        if (total != NULL)
            *total = 0.0;
        return 0;
    }
    return solve(a, rows, cols, rows > cols, sign, row_to_col, total);
}

int assign_min_cost(const double *cost, size_t rows, size_t cols,
                    int *row_to_col, double *total)
{
    return assign(cost, rows, cols, 1.0, row_to_col, total);
}

int assign_max_weight(const double *weight, size_t rows, size_t cols,
                      int *row_to_col, double *total)
{
    return assign(weight, rows, cols, -1.0, row_to_col, total);
}
