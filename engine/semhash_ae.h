/* semhash_ae.h — the autoencoder toolkit of libsemhash: dimensionality
 * reduction, denoising, anomaly detection, generation (a variational
 * autoencoder), clustering (Deep Embedded Clustering) and classification
 * (one autoencoder per class + a stacked softmax), on dense rows of
 * floats.
 *
 * This header is the toolkit's public interface and its manual; it
 * includes only standard headers and sh_error.h (the error codes, shared
 * with semhash.h). Link with `pkg-config --cflags --libs semhash`.
 *
 * OVERVIEW
 *
 * A model (sh_ae) is a trained network of one BLADE, with what the blade
 * adds: the anomaly threshold, the cluster centroids, the per-class
 * networks and their softmax. Models are trained from rows in memory
 * (sh_ae_train) or opened from a file (sh_ae_open), and saved with
 * sh_ae_save. The files are those of the `semhash ae` program: a model
 * written by `semhash ae <task> -o MODEL` opens here, and one saved here
 * is read by `semhash ae <task> -m MODEL` (the same recipes train both).
 *
 * Rows are dense, row-major: x[n * d], n rows of d floats, d equal to the
 * model's input width. Outputs go to caller buffers of the documented
 * size. What each blade answers:
 *
 *   operation          reduce denoise anomaly generate cluster classify
 *   sh_ae_encode         x      x       x      x (mean)   x
 *   sh_ae_reconstruct    x      x       x      x          x
 *   sh_ae_score          x      x       x (+flags) x      x
 *   sh_ae_cluster                                         x
 *   sh_ae_classify                                                 x
 *   sh_ae_sample, sh_ae_interpolate            x
 *
 * Anything else is refused with SH_EMODEL and a message naming the
 * operation and the blade ("sh_ae_classify: MODEL is a model of blade
 * `generate` (no classes)").
 *
 *     sh_ae_train_options o;
 *     sh_ae_train_defaults(SH_AE_ANOMALY, &o);
 *     o.epochs = 20;
 *     sh_ae *m;
 *     char err[256];
 *     if (sh_ae_train(&o, normal_rows, n, d, NULL, &m, err, sizeof err) != 0) {
 *         fprintf(stderr, "%s\n", err);          // nothing to close
 *         return 1;
 *     }
 *     sh_ae_score(m, rows, k, d, scores, flags, err, sizeof err);
 *     sh_ae_save(m, "detector.model", err, sizeof err);
 *     sh_ae_close(m);
 *
 * CAVEATS
 *
 * - Threads: a handle keeps the activations of its networks, so it serves
 *   one thread at a time; open (or train) one handle per thread. Handles
 *   are independent of each other. The threads option of sh_ae_train sets
 *   the process-wide number of BLAS threads (see there).
 * - Determinism: the same options (seed included), rows and thread count
 *   give the same model bytes; operations on a model are deterministic
 *   (sampling is seeded).
 * - Text models: `semhash ae anomaly --text` and `ae classify --text`
 *   (tf-idf rows in, bag-of-words out) stay in the program: this header
 *   handles dense rows only.
 * - Nothing returned points into library memory except sh_ae_blade_name's
 *   static strings; the library never prints and never exits.
 *
 * ERRORS
 *
 * Every int function returns 0 on success, a negative SH_E... code
 * (sh_error.h; sh_strerror gives its name and meaning) or a positive
 * errno value (a file that cannot be opened or written: ENOENT, EACCES,
 * ENOSPC). Each takes (err, err_len) and writes there a one-line message
 * naming the function, the model (its file, or "trained model") and the
 * problem; err may be NULL and err_len 0. Codes used here:
 *   SH_EINVAL    an argument out of range (NULL rows, n == 0, bad options)
 *   SH_ENOMEM    allocation failed
 *   SH_EFORMAT, SH_EVERSION, SH_ETRUNC, SH_ECHECKSUM   a file that is not a
 *                model, of another format version, cut short, or changed
 *   SH_EMODEL    the model does not fit: the rows' width differs from the
 *                model's, the blade has no such operation, or the file is
 *                a semhash model of another kind (a document hasher)
 *   SH_EINPUT    unusable rows (a non-finite value; values outside [0, 1]
 *                where the blade needs grey levels; labels out of range)
 *   SH_ECANCEL   the progress callback asked to stop
 */
#ifndef SEMHASH_AE_H
#define SEMHASH_AE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "sh_error.h"

/* ---- blades and their options --------------------------------------------------
 * The numbers are those recorded in model files: never renumbered. */

enum {
    SH_AE_REDUCE = 1,   /* undercomplete autoencoder: a K-dimensional embedding */
    SH_AE_DENOISE = 2,  /* trained on corrupted rows against the clean ones */
    SH_AE_ANOMALY = 3,  /* trained on normal rows; score = reconstruction error,
                           flagged above a threshold learned from the normal rows */
    SH_AE_GENERATE = 4, /* variational autoencoder, Bernoulli decoder: rows in [0, 1] */
    SH_AE_CLUSTER = 5,  /* Deep Embedded Clustering: pretrained autoencoder, k-means
                           in its code space, then KL(P || Q) on Student-t assignments */
    SH_AE_CLASSIFY = 6  /* one autoencoder per class + a softmax on their
                           reconstruction errors */
};

enum { SH_AE_RELU = 1, SH_AE_SIGMOID = 2, SH_AE_TANH = 3 };   /* hidden activation */

enum {
    SH_AE_LOSS_AUTO = -1, /* the blade's default: BCE for denoise and generate, BCE
                             for anomaly when every training value is in [0, 1],
                             MSE otherwise */
    SH_AE_LOSS_MSE = 0,   /* linear output, squared error */
    SH_AE_LOSS_BCE = 1    /* sigmoid output, binary cross-entropy: values in [0, 1] */
};

enum {
    SH_AE_NOISE_GAUSSIAN = 1,    /* x + level * N(0, 1), clipped to [0, 1] */
    SH_AE_NOISE_MASK = 2,        /* each value set to 0 with probability level */
    SH_AE_NOISE_SALT_PEPPER = 3  /* each value set to 0 or 1 with probability level */
};

enum {
    SH_AE_THRESHOLD_PERCENTILE = 0, /* value q in [0, 100]: the q-th percentile of
                                       the normal training scores */
    SH_AE_THRESHOLD_FPR = 1         /* value in [0, 1]: the target false-positive
                                       rate on the normal training rows */
};

#define SH_AE_MAX_HIDDEN 8

/* The blade's name as the program spells it ("reduce", "denoise",
 * "anomaly", "generate", "cluster", "classify"; "?" for another number).
 * Static; cannot fail. */
const char *sh_ae_blade_name(int blade);

/* ---- opening, saving, closing ----------------------------------------------- */

typedef struct sh_ae sh_ae;

/* Opens the toolkit model file at path, of any blade. On success *out
 * owns the handle (sh_ae_close). On failure *out is NULL, nothing needs
 * closing, and: errno (ENOENT, EACCES...); SH_EFORMAT (not a semhash
 * model file); SH_EVERSION; SH_ETRUNC (cut short); SH_ECHECKSUM (a byte
 * changed); SH_EMODEL (a semhash model that is not the toolkit's, e.g. a
 * document hasher of `semhash train`, or a damaged section); SH_ENOMEM;
 * SH_EINVAL (path or out NULL). */
int sh_ae_open(const char *path, sh_ae **out, char *err, size_t err_len);

/* Writes the model to path atomically (a temporary file renamed over
 * path: a crash never leaves half a model). The file opens with sh_ae_open
 * and with `semhash ae <task> -m path`. Errors: errno (EACCES, ENOSPC,
 * ENOENT for a missing directory), SH_ENOMEM, SH_EINVAL. */
int sh_ae_save(const sh_ae *m, const char *path, char *err, size_t err_len);

/* Frees the model. Accepts NULL. */
void sh_ae_close(sh_ae *m);

/* What a model is. */
typedef struct {
    int blade;            /* SH_AE_... */
    size_t input_dim;     /* d: the width of every row given to the model */
    size_t code_dim;      /* K: embedding units (the latent units for generate;
                             those of each class network for classify) */
    size_t height, width; /* image shape recorded at training (IDX images), or 0 */
    size_t classes;       /* classify: classes; cluster: clusters; else 0 */
    float threshold;      /* anomaly: the score above which a row is flagged; else 0 */
    int threshold_rule;   /* anomaly: SH_AE_THRESHOLD_... it was learned by */
    double threshold_value; /* anomaly: that rule's value */
    size_t params;        /* parameters of all the model's networks */
} sh_ae_info;

/* Fills *info (m must not be NULL). Cannot fail. */
void sh_ae_get_info(const sh_ae *m, sh_ae_info *info);

/* ---- using a model ---------------------------------------------------------------
 * Every call takes n >= 1 rows x[n * d] with d = the model's input width
 * (otherwise SH_EMODEL naming both widths), values finite (otherwise
 * SH_EINPUT naming the row). After a failure the outputs are unspecified. */

/* codes[n * K]: each row's code (the embedding; for generate the mean of
 * the latent posterior; for cluster the space the centroids live in).
 * SH_EMODEL for classify. */
int sh_ae_encode(sh_ae *m, const float *x, size_t n, size_t d, float *codes, char *err,
                 size_t err_len);

/* out[n * d]: each row's reconstruction (for denoise: the denoised row;
 * for generate: the decoder's mean at the latent mean). SH_EMODEL for
 * classify. */
int sh_ae_reconstruct(sh_ae *m, const float *x, size_t n, size_t d, float *out, char *err,
                      size_t err_len);

/* scores[n]: each row's reconstruction error, the mean squared error per
 * value (the anomaly score). flags[n] (may be NULL): 1 where the score
 * exceeds the anomaly threshold, else 0; flags need an anomaly model
 * (SH_EMODEL otherwise). SH_EMODEL for classify (one error per class: use
 * sh_ae_classify). */
int sh_ae_score(sh_ae *m, const float *x, size_t n, size_t d, float *scores, int *flags,
                char *err, size_t err_len);

/* assign[n]: each row's cluster (0..classes-1, the largest soft
 * assignment); soft[n * classes] (may be NULL) the Student-t soft
 * assignments, rows summing to 1. Cluster models only (SH_EMODEL). */
int sh_ae_cluster(sh_ae *m, const float *x, size_t n, size_t d, int *assign, float *soft,
                  char *err, size_t err_len);

/* pred[n]: each row's class (0..classes-1); prob[n * classes] (may be
 * NULL) the softmax probabilities, rows summing to 1. Classify models
 * only (SH_EMODEL). */
int sh_ae_classify(sh_ae *m, const float *x, size_t n, size_t d, int *pred, float *prob,
                   char *err, size_t err_len);

/* out[n * d]: n rows decoded from latent vectors drawn from N(0, I) with
 * the given seed (values in [0, 1]). Generate models only (SH_EMODEL);
 * SH_EINVAL for n == 0. */
int sh_ae_sample(sh_ae *m, size_t n, uint64_t seed, float *out, char *err, size_t err_len);

/* out[steps * d]: rows decoded along the straight line between the latent
 * means of rows a[d] and b[d], both ends included (steps >= 2, else
 * SH_EINVAL). Generate models only (SH_EMODEL). */
int sh_ae_interpolate(sh_ae *m, const float *a, const float *b, size_t d, size_t steps,
                      float *out, char *err, size_t err_len);

/* ---- training --------------------------------------------------------------- */

/* Progress: called as training goes, stage by stage, with the units done
 * of the stage's total. Stages: the blade's name for its one network
 * ("reduce", "anomaly", ...; units: minibatches), "class 0", "class 1",
 * ... for classify, "cluster" (the pretraining) then "dec" (units: DEC
 * epochs completed, at every target refresh) for cluster. Return nonzero
 * to stop: sh_ae_train then returns SH_ECANCEL. */
typedef int (*sh_ae_progress_fn)(const char *stage, uint64_t done, uint64_t total, void *user);

/* Options of sh_ae_train. Fill with sh_ae_train_defaults, then change
 * what you need; the defaults are those of `semhash ae <task>`. */
typedef struct {
    int blade;                        /* SH_AE_... (set by the defaults) */
    /* network */
    uint32_t hidden[SH_AE_MAX_HIDDEN]; /* encoder hidden widths, decoder mirrored
                                         (128; cluster 500,500,2000; generate 512,256) */
    uint32_t n_hidden;                /* 0..SH_AE_MAX_HIDDEN (1; cluster 3; generate 2) */
    uint32_t code;                    /* K >= 1 (32; cluster 10; generate 20) */
    int activation;                   /* SH_AE_RELU (default), SH_AE_TANH, SH_AE_SIGMOID */
    int loss;                         /* SH_AE_LOSS_AUTO (default), _MSE, _BCE; generate
                                         is always BCE */
    float weight_decay;               /* L2 on the weights (0) */
    float sparsity;                   /* > 0: KL sparsity on a sigmoid code, this weight (0) */
    float sparsity_target;            /* its target mean activation (0.05) */
    /* training */
    int epochs;                       /* >= 1 (10) */
    size_t batch;                     /* rows per step, 1..65536 (256) */
    float lr;                         /* Adam learning rate (1e-3) */
    uint64_t seed;                    /* weights, shuffles, corruption, k-means (1) */
    int threads;                      /* > 0: set the process-wide BLAS thread count to
                                         this before training; 0 (default): leave it */
    /* denoise */
    int noise;                        /* SH_AE_NOISE_... (GAUSSIAN) */
    float noise_level;                /* sigma, or the corrupted share in [0, 1] (0.5) */
    /* anomaly */
    int threshold_rule;               /* SH_AE_THRESHOLD_... (FPR) */
    double threshold_value;           /* (0.05) */
    /* cluster */
    size_t clusters;                  /* 1..n (10) */
    int dec_epochs;                   /* cap on DEC passes over the rows (10) */
    float dec_lr;                     /* Adam learning rate of the DEC phase (1e-4) */
    float gamma;                      /* clustering weight beside reconstruction (0.1;
                                         0 = plain DEC, no reconstruction term) */
    double tol;                       /* stop when fewer than this share of assignments
                                         change between target refreshes (0.001) */
    int update_interval;              /* minibatches between target refreshes (30) */
    /* classify */
    int softmax_epochs;               /* the stacked softmax trains 5x this (20) */
    /* recorded in the model */
    uint32_t height, width;           /* image shape, 0 if not images (0) */
    /* progress */
    sh_ae_progress_fn progress;       /* may be NULL (NULL) */
    void *user;                       /* passed to progress */
} sh_ae_train_options;

/* The defaults of blade (SH_AE_...) into *o; an unknown blade gives the
 * reduce defaults with o->blade kept, which sh_ae_train refuses. Cannot
 * fail. */
void sh_ae_train_defaults(int blade, sh_ae_train_options *o);

/* Trains a model of o->blade on n rows x[n * d] and saves nothing (see
 * sh_ae_save). labels[n] (classify only; NULL for the others) holds each
 * row's class in 0..C-1, C = the largest label + 1 (2..255). Every fifth
 * row of each class, in order, is held out for the stacked softmax (which
 * needs at least 2 such rows in all); the others train the class's
 * autoencoder, which needs at least 2. For anomaly give normal rows only: the
 * threshold is learned from them. generate needs values in [0, 1].
 * On success *out owns the model (sh_ae_close). On failure *out is NULL
 * and: SH_EINVAL (options out of range, named in the message: a blade
 * number, widths, epochs, batch, noise, rule, clusters > n, labels NULL
 * for classify); SH_EINPUT (a non-finite value, values outside [0, 1]
 * for generate, a label out of range, a class with too few rows);
 * SH_ECANCEL; SH_ENOMEM. */
int sh_ae_train(const sh_ae_train_options *o, const float *x, size_t n, size_t d,
                const int *labels, sh_ae **out, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
