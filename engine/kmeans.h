/* kmeans.h — k-means clustering: k-means++ seeding from the seeded RNG,
 * Lloyd iterations, several restarts keeping the lowest inertia.
 *
 * Used to initialise Deep Embedded Clustering and as a clustering
 * baseline on raw pixels or codes. Sized for 60,000 x 784 with k = 10 in
 * seconds (about 1.7 s of CPU per restart on Fashion-MNIST): Hamerly's
 * distance bounds skip most rows once clusters settle, full searches use
 * a vectorised ||x||^2 - 2 x.c + ||c||^2 kernel, and the assignment step
 * may be split over threads.
 *
 * Determinism: the result depends only on the data, the options and the
 * RNG state, not on the thread count (each row's assignment is computed
 * the same way on any thread, and the centroid sums are accumulated in
 * row order on one thread).
 *
 * What it does not do: weighted points, other metrics, mini-batches.
 */
#ifndef SH_KMEANS_H
#define SH_KMEANS_H

#include <stddef.h>

#include "matrix.h"
#include "rng.h"

typedef struct {
    size_t k;          /* clusters, 1 <= k <= rows */
    size_t restarts;   /* independent seeded runs, >= 1 (default 4) */
    size_t max_iter;   /* Lloyd iterations per run, >= 1 (default 100) */
    size_t threads;    /* threads for the assignment step, >= 1 (default 1; more than
                        * 64 are used as 64) */
} kmeans_opts;

typedef struct {
    sh_mat centroids;  /* k x D, owned */
    int *assign;       /* N cluster ids in 0..k-1, owned */
    double inertia;    /* sum over rows of the squared distance to the row's centroid */
    size_t iterations; /* Lloyd iterations the kept run made */
    int converged;     /* 1 if the kept run stopped because no assignment changed */
} kmeans_result;

/* Defaults for k clusters (see the field comments). Cannot fail. */
kmeans_opts kmeans_default_opts(size_t k);

/* Clusters the rows of x. Each restart seeds with k-means++ (first centre
 * uniform, each next one drawn with probability proportional to the
 * squared distance to the nearest centre chosen so far), then runs Lloyd
 * iterations until no assignment changes or max_iter is reached. A
 * cluster that becomes empty is re-seeded with the row farthest from its
 * centroid. The run with the lowest inertia is kept (the first one on a
 * tie). The random draws come from rng, which advances.
 * Returns 0, SH_EINVAL (NULL argument, k == 0 or k > rows, restarts,
 * max_iter or threads == 0, a non-finite value in x), SH_ENOMEM, or an
 * errno from pthread_create. On failure *out is zeroed. */
int kmeans_fit(const sh_mat *x, const kmeans_opts *opts, sh_rng *rng, kmeans_result *out);

/* Assigns every row of x to its nearest centroid (ties to the lower
 * index, up to float rounding of the dot-product shortcut); if inertia is
 * non-NULL it receives the sum of squared distances, computed from the
 * differences rather than the shortcut. Returns 0, SH_EINVAL (NULL, width
 * mismatch, no centroid) or SH_ENOMEM. */
int kmeans_assign(const sh_mat *x, const sh_mat *centroids, int *assign, double *inertia);

/* Frees the result's buffers and zeroes it. Accepts NULL. */
void kmeans_result_free(kmeans_result *r);

#endif
