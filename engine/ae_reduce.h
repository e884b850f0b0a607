/* ae_reduce.h — the dimensionality-reduction blade: an undercomplete
 * autoencoder (any depth, real code of K units) compared in the same run
 * with PCA at the same dimension (pca.h): held-out reconstruction error
 * and k-nearest-neighbour label accuracy in each embedding, plus the
 * k-NN accuracy of the raw features as a reference.
 *
 * The k-NN figures use plain loops (evalstats.h): the test rows scored
 * may be capped (knn_test_rows) to bound the cost on large sets.
 */
#ifndef SH_AE_REDUCE_H
#define SH_AE_REDUCE_H

#include <stddef.h>

#include "ae_common.h"

typedef struct {
    size_t dim;                 /* K: code units = PCA components */
    double ae_mse, pca_mse;     /* held-out MSE per element */
    double ae_psnr, pca_psnr;   /* the same as PSNR (peak 1), dB */
    double ae_knn, pca_knn;     /* k-NN accuracy in the embeddings, NAN without labels */
    double raw_knn;             /* k-NN accuracy on the raw features, NAN if not asked */
    size_t knn_k, knn_rows;     /* k and the test rows scored */
} ae_reduce_report;

typedef struct {
    size_t knn_k;          /* neighbours, >= 1 (5 by default) */
    size_t knn_test_rows;  /* 0 = all test rows, else the first this many */
    int raw_knn;           /* 1: also k-NN on the raw features */
} ae_reduce_opts;

/* knn_k 5, knn_test_rows 2000, raw_knn 0. */
void ae_reduce_defaults(ae_reduce_opts *o);

/* Fits PCA with the code width of net on train, and fills r with the
 * figures of net and PCA on test (k-NN only when both sets carry labels).
 * test_codes (may be NULL) receives the autoencoder's test embedding
 * [N_test, K]. Returns 0, SH_EINVAL (widths differ), SH_ENOMEM or PCA's
 * errors, with a message in err. */
int ae_reduce_compare(nn_net *net, const sh_dataset *train, const sh_dataset *test,
                      const ae_reduce_opts *o, float *test_codes, ae_reduce_report *r,
                      char *err, size_t err_len);

#endif
