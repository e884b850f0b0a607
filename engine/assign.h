/* assign.h — the assignment problem (Hungarian algorithm, O(n^2 m)).
 *
 * Given a rows x cols matrix, pairs each row of the smaller side with a
 * distinct column (or each column with a distinct row) so that the total
 * cost is minimal, or the total weight maximal. Used for clustering
 * accuracy (best mapping of cluster ids to class labels).
 *
 * Implementation: shortest augmenting paths with row and column
 * potentials (Kuhn-Munkres in the Jonker-Volgenant style), in doubles.
 * The matching always has min(rows, cols) pairs: with non-negative
 * weights that is also a maximum-weight matching in general; with
 * negative weights it is the best matching of that size.
 *
 * Not thread-hostile: no global state.
 */
#ifndef SH_ASSIGN_H
#define SH_ASSIGN_H

#include <stddef.h>

/* Minimum-cost assignment on cost (rows x cols, row-major). Writes
 * row_to_col[r] = the column of row r, or -1 for rows left over when
 * rows > cols; each column is used at most once. If total is non-NULL it
 * receives the sum of the chosen costs.
 * Returns 0, SH_EINVAL (NULL pointer, a non-finite entry, or a side
 * larger than INT_MAX) or SH_ENOMEM; on failure row_to_col is unchanged.
 * rows or cols may be 0 (then every row gets -1 and the total is 0). */
int assign_min_cost(const double *cost, size_t rows, size_t cols,
                    int *row_to_col, double *total);

/* Maximum-weight assignment: as assign_min_cost on the negated weights;
 * total receives the sum of the chosen weights. Same failures. */
int assign_max_weight(const double *weight, size_t rows, size_t cols,
                      int *row_to_col, double *total);

#endif
