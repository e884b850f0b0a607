/* pca.c — PCA through the covariance matrix and a symmetric eigen
 * decomposition. */
#include "pca.h"

#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "sh_error.h"

int pca_fit(sh_pca *p, const float *X, size_t N, size_t D, size_t k)
{
    memset(p, 0, sizeof(*p));
    if (N < 2 || D == 0 || k == 0 || k > D)
        return SH_EINVAL;
    float *centred = malloc(N * D * sizeof(float));
    float *cov = malloc(D * D * sizeof(float));
    float *eigval = malloc(D * sizeof(float));
    double *sum = calloc(D, sizeof(double));
    p->mean = malloc(D * sizeof(float));
    p->components = malloc(k * D * sizeof(float));
    p->variances = malloc(k * sizeof(float));
    int rc = SH_ENOMEM;
    if (!centred || !cov || !eigval || !sum || !p->mean || !p->components || !p->variances)
        goto fail;
    for (size_t r = 0; r < N; r++)
        for (size_t c = 0; c < D; c++)
            sum[c] += X[r * D + c];
    for (size_t c = 0; c < D; c++)
        p->mean[c] = (float)(sum[c] / (double)N);
    for (size_t r = 0; r < N; r++)
        for (size_t c = 0; c < D; c++)
            centred[r * D + c] = X[r * D + c] - p->mean[c];
    /* cov[D,D] = centred^T . centred / (N - 1) */
    mat_gemm(1, 0, D, D, N, 1.0f / (float)(N - 1), centred, D, centred, D, 0.0f, cov, D);
    rc = mat_sym_eigen(cov, eigval, D);
    if (rc != 0)
        goto fail;
    for (size_t i = 0; i < k; i++) { /* ascending from the solver: take the top k reversed */
        size_t src = D - 1 - i;
        memcpy(p->components + i * D, cov + src * D, D * sizeof(float));
        p->variances[i] = eigval[src];
    }
    p->dim = D;
    p->k = k;
fail:
    free(centred);
    free(cov);
    free(eigval);
    free(sum);
    if (rc != 0)
        pca_free(p);
    return rc;
}

void pca_transform(const sh_pca *p, const float *X, size_t N, float *Z)
{
    /* Z = X . C^T - mean . C^T, the second term once per component. */
    mat_gemm(0, 1, N, p->k, p->dim, 1.0f, X, p->dim, p->components, p->dim, 0.0f, Z, p->k);
    for (size_t i = 0; i < p->k; i++) {
        double shift = 0.0;
        for (size_t c = 0; c < p->dim; c++)
            shift += (double)p->mean[c] * p->components[i * p->dim + c];
        for (size_t r = 0; r < N; r++)
            Z[r * p->k + i] -= (float)shift;
    }
}

void pca_inverse(const sh_pca *p, const float *Z, size_t N, float *Xr)
{
    for (size_t r = 0; r < N; r++)
        memcpy(Xr + r * p->dim, p->mean, p->dim * sizeof(float));
    mat_gemm(0, 0, N, p->dim, p->k, 1.0f, Z, p->k, p->components, p->dim, 1.0f, Xr, p->dim);
}

int pca_reconstruction_mse(const sh_pca *p, const float *X, size_t N, double *mse)
{
    float *Z = malloc((N * p->k + 1) * sizeof(float));
    float *Xr = malloc((N * p->dim + 1) * sizeof(float));
    int rc = SH_ENOMEM;
    if (Z == NULL || Xr == NULL)
        goto fail;
    pca_transform(p, X, N, Z);
    pca_inverse(p, Z, N, Xr);
    double sum = 0.0;
    for (size_t i = 0; i < N * p->dim; i++) {
        double d = (double)X[i] - Xr[i];
        sum += d * d;
    }
    *mse = N > 0 ? sum / (double)(N * p->dim) : 0.0;
    rc = 0;
fail:
    free(Z);
    free(Xr);
    return rc;
}

void pca_free(sh_pca *p)
{
    if (p == NULL)
        return;
    free(p->mean);
    free(p->components);
    free(p->variances);
    memset(p, 0, sizeof(*p));
}
