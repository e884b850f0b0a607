/* nn_demo.h — a self-contained experiment of the nn core, for `make demo`
 * and for the tests: data from a few hidden factors through a fixed random
 * nonlinear map, an autoencoder with that many code units, and PCA with
 * that many components, compared on held-out reconstruction error.
 */
#ifndef SH_NN_DEMO_H
#define SH_NN_DEMO_H

#include <stddef.h>
#include <stdint.h>

/* Fills X[N,D] with x = M2 . tanh(M1 . z + c) + noise, z ~ N(0, I_F):
 * the map (M1 [F,H], c [H], M2 [H,D] with H = 2D/5 + F) is drawn from
 * map_seed, the factors and noise (standard deviation noise) from
 * data_seed, so train and test sets share one map. Returns 0, SH_EINVAL
 * (a size of 0) or SH_ENOMEM. */
int nn_factor_data(float *X, size_t N, size_t D, size_t F, float noise, uint64_t map_seed,
                   uint64_t data_seed);

typedef struct {
    size_t train_rows, test_rows, dim, factors;
    double ae_mse;      /* held-out MSE per element, autoencoder with `factors` code units */
    double pca_mse;     /* held-out MSE per element, PCA with `factors` components */
    int epochs;         /* epochs the autoencoder trained */
    double seconds;     /* training wall time */
    double gflops;      /* achieved during training */
} nn_factor_result;

/* Runs the experiment: 5 factors, 50 dimensions, 4000 training and 1000
 * test rows, a 50-64-5-64-50 tanh autoencoder trained with Adam, and PCA
 * fitted on the same training rows. Deterministic for a seed and thread
 * count. Takes about a second. Returns 0, SH_ENOMEM or another code from
 * the core, with a message in err. */
int nn_demo_factor_model(uint64_t seed, nn_factor_result *result, char *err, size_t err_len);

#endif
