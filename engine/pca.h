/* pca.h — principal component analysis on dense rows.
 *
 * Fit: the mean, then the covariance (X - mean)^T (X - mean) / (N - 1)
 * through one gemm, then its top-k eigenvectors (matrix.h's symmetric
 * eigen decomposition). Transform projects centred rows on the
 * components; the inverse maps codes back; the reconstruction error is the
 * mean squared error per element of transform followed by inverse.
 * Legend: N = rows, D = input width, k = components.
 * Used as the linear baseline of the autoencoders and by the toolkit.
 * Not for sparse input (it would densify) nor for D in the tens of
 * thousands (the covariance is D x D).
 */
#ifndef SH_PCA_H
#define SH_PCA_H

#include <stddef.h>

typedef struct {
    size_t dim;          /* D */
    size_t k;            /* components kept */
    float *mean;         /* [D], owned */
    float *components;   /* [k, D] orthonormal rows, largest variance first, owned */
    float *variances;    /* [k] eigenvalues of the covariance, descending, owned */
} sh_pca;

/* Fits k components (1 <= k <= D) on X[N,D] (N >= 2). On success *p owns
 * its buffers (free with pca_free). Returns 0, SH_EINVAL (bad sizes; *p
 * zeroed), SH_ENOMEM or the eigen solver's SH_EINVAL (*p zeroed). */
int pca_fit(sh_pca *p, const float *X, size_t N, size_t D, size_t k);

/* Z[N,k] = (X[N,D] - mean) . components^T. Cannot fail. X and Z must not
 * overlap. */
void pca_transform(const sh_pca *p, const float *X, size_t N, float *Z);

/* Xr[N,D] = Z[N,k] . components + mean. Cannot fail. */
void pca_inverse(const sh_pca *p, const float *Z, size_t N, float *Xr);

/* Mean squared error per element of reconstructing X[N,D] through k
 * components, into *mse. Returns 0 or SH_ENOMEM. */
int pca_reconstruction_mse(const sh_pca *p, const float *X, size_t N, double *mse);

/* Frees the buffers and zeroes *p. Accepts NULL. */
void pca_free(sh_pca *p);

#endif
