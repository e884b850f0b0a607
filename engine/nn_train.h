/* nn_train.h — the minibatch training loop of the nn core.
 *
 * Epochs of shuffled minibatches (seeded), input and target given
 * separately (a denoising caller passes a corrupted copy, or a corruption
 * callback that edits each batch's input), optional validation with early
 * stopping that keeps the best parameters, a progress callback that can
 * cancel, and a summary with timings and achieved GFLOP/s.
 *
 * Determinism: the same seed, data, network and BLAS thread count give the
 * same parameter bytes. The trainer draws from one rng seeded with
 * opts->seed, split into a shuffling stream, a code-sampling stream and a
 * corruption stream, so a callback's draws never shift the shuffles.
 */
#ifndef SH_NN_TRAIN_H
#define SH_NN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "nn_net.h"
#include "nn_optim.h"

/* Called after every batch with the epoch (0-based), the batch index in
 * the epoch, the batches per epoch, and the batch's training loss.
 * Return nonzero to stop: nn_train then returns SH_ECANCEL. */
typedef int (*nn_progress_fn)(int epoch, size_t batch, size_t batches, double loss, void *user);

/* Edits one minibatch's input in place before the forward pass: exactly one
 * of dense ([rows, cols] floats) and csr (rows of the batch; values may be
 * changed, entries may be rewritten with csr_clear / csr_append_row) is
 * non-NULL. The target stays the clean rows. Return 0, or an error code
 * that stops training and is returned by nn_train. */
typedef int (*nn_corrupt_fn)(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng,
                             void *user);

typedef struct {
    int epochs;               /* >= 1 */
    size_t batch_size;        /* 1..net max_batch */
    nn_optim optim;           /* kind, learning rate, Adam betas */
    uint64_t seed;            /* shuffles, code sampling, corruption */
    int patience;             /* epochs without validation improvement before stopping; 0 = off */
    int deterministic_code;   /* 1: train stochastic codes with NN_MODE_DETERMINISTIC */
    double max_seconds;       /* wall-time cap, 0 = none (checked after each batch) */
    nn_progress_fn progress;  /* may be NULL */
    nn_corrupt_fn corrupt;    /* may be NULL */
    void *user;               /* passed to both callbacks */
} nn_train_opts;

typedef struct {
    int epochs_run;           /* epochs completed */
    int best_epoch;           /* epoch whose parameters were kept (validation), else last */
    int stopped_early;        /* 1 if patience or max_seconds ended training */
    double seconds;           /* wall time of the whole call */
    double seconds_per_epoch; /* training time per epoch (validation excluded) */
    double gflops;            /* achieved GFLOP/s of forward + backward in training */
    double train_loss;        /* mean total batch loss of the last epoch */
    double valid_loss;        /* best validation loss (recon + code terms), or NAN */
} nn_train_summary;

/* epochs 10, batch 128, Adam lr 1e-3, seed 1, patience 5, nothing else. */
void nn_train_defaults(nn_train_opts *o);

/* The options of a semhash configuration's train section: epochs,
 * batch_size, learning_rate, optimizer, seed, patience, max_seconds
 * (weight_decay belongs to the network: nn_config_for_hashing; threads to
 * mat_set_threads). Callbacks are left NULL. Cannot fail. */
void nn_train_opts_from_config(nn_train_opts *o, const sh_train_config *t);

/* Trains net on train_in against train_target (NULL = train_in itself,
 * the clean rows when corrupting). valid_in / valid_target (both may be
 * NULL; valid_target NULL = valid_in) enable validation after every epoch,
 * early stopping, and restoring the best parameters at the end.
 * Returns 0; SH_EINVAL (bad options or data shapes, message in err);
 * SH_EEMPTY (no training rows); SH_ENOMEM; SH_ECANCEL (progress callback);
 * or the corruption callback's code. After a cancel or error the net
 * remains usable and holds the parameters reached so far, or, when
 * validating, the best ones seen so far. summary may be NULL (it is filled
 * on errors after the checks too). */
int nn_train(nn_net *net, const nn_data *train_in, const nn_data *train_target,
             const nn_data *valid_in, const nn_data *valid_target, const nn_train_opts *opts,
             nn_train_summary *summary, char *err, size_t err_len);

#endif
