/* ae_train.h — how each blade of the autoencoder toolkit is trained: the
 * recipes that `semhash ae <task>` (cli/cmd_ae*.c) and the library
 * (semhash_ae.h) share, so that a model trained by either is the same
 * model. A blade's network configuration from its architecture options,
 * the minibatch fit with optional corruption and progress hooks, the
 * per-class autoencoders and stacked softmax of the classifier, and the
 * pretraining + DEC phase of the clustering blade.
 *
 * What it does not do: evaluation against held-out data (PCA, AUROC,
 * accuracy: the CLI's reports), loading data, printing. Progress is
 * reported through ae_progress; the CLI draws its bars from it.
 *
 * Legend: N = rows, D = input width, K = code units, C = classes or
 * clusters.
 * Errors: 0 or an sh_error.h code, with one line in err (may be NULL).
 */
#ifndef SH_AE_TRAIN_H
#define SH_AE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ae_anomaly.h"
#include "ae_classify.h"
#include "ae_common.h"
#include "ae_dec.h"
#include "nn_train.h"

/* ---- architecture -------------------------------------------------------- */

/* The architecture options of a blade's network. */
typedef struct {
    uint32_t hidden[NN_MAX_HIDDEN]; /* encoder hidden widths; the decoder mirrors them */
    uint32_t n_hidden;
    uint32_t code;                  /* K: code units (latent units for generate) */
    sh_activation act;              /* hidden activation */
    int loss;                       /* an nn_loss_kind, or -1: the blade's default */
    float weight_decay;
    float sparsity_beta;            /* > 0: KL sparsity on a sigmoid code */
    float sparsity_rho;             /* its target mean activation */
} ae_arch;

/* The blade's default architecture: one hidden layer of 128 and a code of
 * 32 (cluster: 500,500,2000 and 10, as DEC; generate: 512,256 and 20),
 * relu, the blade's default loss, no regulariser (rho 0.05 for when
 * sparsity is switched on). Cannot fail. */
void ae_arch_defaults(ae_arch *a, ae_blade blade);

/* The loss a blade uses unless told otherwise: BCE for denoise and
 * generate, BCE for anomaly when every value is in [0, 1] (in_unit),
 * MSE otherwise. Cannot fail. */
nn_loss_kind ae_blade_default_loss(ae_blade blade, int in_unit);

/* Fills cfg for the blade's network over D inputs: hidden layers, code,
 * activation, loss (a->loss, or default_loss when a->loss < 0),
 * regularisers, max_batch = max(batch, 256). generate is a VAE
 * (ae_vae_config: Gaussian code, BCE, the loss and sparsity options do
 * not apply). Cannot fail (nn_new checks the result). */
void ae_blade_config(nn_config *cfg, ae_blade blade, const ae_arch *a, uint32_t D,
                     nn_loss_kind default_loss, size_t batch);

/* n if every value of the rows x[N,D] is in [0, 1], else the index of
 * the first row that is not. Cannot fail. */
size_t ae_first_row_outside_unit(const float *x, size_t N, size_t D);

/* ---- fitting ----------------------------------------------------------------- */

/* Progress of a training run, stage by stage (one network's training, the
 * DEC phase): begin before a stage with its label and total units, step
 * after each unit with the units done and a short status ("epoch 2/10
 * loss 0.031"), end after it. Any pointer may be NULL. A nonzero step
 * stops the run with SH_ECANCEL. */
typedef struct {
    void (*begin)(const char *stage, uint64_t total, void *user);
    int (*step)(uint64_t done, const char *status, void *user);
    void (*end)(uint64_t done, const char *status, void *user);
    void *user;
} ae_progress;

/* Minibatch Adam training of one network. */
typedef struct {
    int epochs;          /* >= 1 (10) */
    size_t batch_size;   /* 1..max_batch of the net (256) */
    float lr;            /* Adam learning rate (1e-3) */
    uint64_t seed;       /* weights, shuffles, corruption (1) */
    ae_noise noise;      /* input corruption (kind AE_NOISE_NONE: none; clip 1) */
} ae_fit_opts;

void ae_fit_defaults(ae_fit_opts *o);

/* Trains net on train against target (NULL = the input rows; the clean
 * rows when corrupting) for o->epochs, no early stopping, the progress
 * as one stage named label (units: batches). Returns 0 with *s filled (may
 * be NULL), or nn_train's codes (SH_EINVAL with a message, SH_ECANCEL,
 * SH_ENOMEM); the net keeps the parameters reached. */
int ae_fit_net(nn_net *net, const nn_data *train, const nn_data *target, const ae_fit_opts *o,
               const ae_progress *p, const char *label, nn_train_summary *s, char *err,
               size_t err_len);

/* Builds a network for cfg with weights drawn from o->seed and fits it as
 * ae_fit_net. Returns 0 and *out (nn_free), or nn_new's and ae_fit_net's
 * codes with *out NULL. */
int ae_train_net(const nn_config *cfg, const nn_data *train, const nn_data *target,
                 const ae_fit_opts *o, const ae_progress *p, const char *label, nn_net **out,
                 nn_train_summary *s, char *err, size_t err_len);

/* ---- a blade's whole recipe ------------------------------------------------- */

/* Every training option of a blade, as `semhash ae <task>` and sh_ae_train
 * take them. */
typedef struct {
    ae_blade blade;
    ae_arch arch;
    ae_fit_opts fit;         /* every network's training; fit.noise is the
                                denoising corruption where a caller applies it */
    ae_threshold threshold;  /* anomaly: the rule and its value (FPR 0.05) */
    ae_dec_opts dec;         /* cluster: clusters, alpha, gamma, lr, max_epochs,
                                update_interval, tol, kmeans_restarts (ae_dec_defaults);
                                batch_size and seed come from fit, recon is gamma > 0 */
    int softmax_epochs;      /* classify: the stacked softmax trains 5x this (20) */
} ae_recipe;

/* The defaults of the blade: ae_arch_defaults, ae_fit_defaults (no
 * corruption), FPR 0.05, ae_dec_defaults, 20 softmax epochs. Cannot
 * fail. */
void ae_recipe_defaults(ae_recipe *r, ae_blade blade);

/* ---- the anomaly blade ----------------------------------------------------- */

/* Scores the normal rows with net (ae_row_errors) and learns t->threshold
 * from them by t->rule and t->value. Returns 0, SH_EINVAL (no rows, a
 * value out of range, message in err) or SH_ENOMEM. */
int ae_anomaly_learn(nn_net *net, const nn_data *normal, ae_threshold *t, char *err,
                     size_t err_len);

/* ---- the classification blade ---------------------------------------------- */

/* Shrinks o->batch_size so that an epoch over rows rows has about 20 steps
 * (not below 16): softmax heads on small sets. Cannot fail. */
void ae_softmax_small_batch(ae_softmax_opts *o, size_t rows);

typedef struct {
    double seconds;      /* training time of the C networks */
    size_t head_rows;    /* rows the stacked softmax learnt from */
} ae_classify_summary;

/* The classifier on dense rows x[N,D] with labels y[N] in 0..C-1 (C >=
 * 2): for every class one network of cfg, trained on four fifths of its
 * rows (every fifth row of the class in order is held out), with the
 * progress as one stage per class ("class 0", ...), trained with r->fit;
 * then the stacked softmax (ae_softmax_fit, 5 x r->softmax_epochs, seed
 * r->fit.seed, ae_softmax_small_batch) on the centred log reconstruction errors
 * (ae_classify_features) of the held-out rows. On success *nets is a
 * malloc'd array of C networks (nn_free each, then free) and *head owns
 * its buffers (ae_softmax_free). Returns 0; SH_EINVAL (C < 2 or > 255);
 * SH_EINPUT (a label out of range, a class with fewer than 2 training
 * rows, fewer than 2 held-out rows in all: the message names the row or
 * class); nn_train's codes; SH_ENOMEM.
 * Nothing is returned on failure. */
int ae_classify_train(const nn_config *cfg, const float *x, const int *y, size_t N, size_t C,
                      const ae_recipe *r, const ae_progress *p, nn_net ***nets,
                      ae_softmax *head, ae_classify_summary *s, char *err, size_t err_len);

/* ---- the clustering blade ---------------------------------------------------- */

typedef struct {
    nn_train_summary pretrain;
    double pretrain_valid_mse;  /* per element on valid (NAN without it), before DEC */
    ae_dec_summary dec;
} ae_cluster_summary;

/* DEC on dense rows data: builds a network of cfg (real code) and
 * pretrains it as ae_train_net with r->fit (stage "cluster"), measures
 * its reconstruction error on valid (may be NULL), then runs ae_dec_fit
 * with r->dec (batch_size and seed from r->fit, recon = gamma > 0; the
 * phase is stage "dec", units = epochs). mu[C,K] (C = r->dec.clusters),
 * assign[N] and init_assign[N] (may be NULL) as ae_dec_fit. Returns 0 and
 * *net (nn_free), or the codes of both phases with *net NULL. */
int ae_cluster_train(const nn_config *cfg, const nn_data *data, const nn_data *valid,
                     const ae_recipe *r, const ae_progress *p, nn_net **net, float *mu,
                     int *assign, int *init_assign, ae_cluster_summary *s, char *err,
                     size_t err_len);

#endif
