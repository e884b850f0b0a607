/* hash_train.h — the training recipe of the binary-code autoencoder
 * (semantic hashing), as one configuration of the nn core.
 *
 * Legend: N = training documents, V = vocabulary, H = hidden units,
 * K = code bits.
 *
 * The model is NASH (Shen et al., ACL 2018) on the nn core (nn_net.h):
 *   tf-idf row (CSR) -> encoder hidden layers (relu) -> linear -> sigmoid
 *   = bit probabilities p[K] -> in training b ~ Bernoulli(p) with the
 *   straight-through gradient, at inference b = [p > t_k] -> decoder:
 *   softmax over V of a linear map of the code (word embeddings + bias)
 *   -> multinomial likelihood of the document's word counts, plus
 *   KL(p || Bernoulli(0.5)) with a weight annealed linearly over the first
 *   epochs. Adam.
 * This module adds nothing to the core's layers: it builds the network
 * config, the training targets and the corruption callback, and drives
 * nn_train one epoch at a time so that the KL weight can change between
 * epochs and the model is selected on a retrieval measure.
 *
 * Additions beyond NASH (each switchable in hash_train_opts and with
 * `--ae NAME=VALUE` on the command line; on by default only where it
 * measured better: the defaults below are those measured on SpamAssassin
 * and Brown at 64 bits, one thread, 100 epochs with patience 10 unless
 * they say otherwise):
 *  - neighbourhood targets (default 10 neighbours, weight 1, found in 64
 *    principal dimensions): each document's nearest neighbours (computed
 *    once, hash_neighbours.h) are added to its reconstruction target,
 *    scaled to `neighbour_weight` times the document's own word count, so
 *    documents that share neighbours share codes (the idea behind PairRec
 *    / RBSH). "Nearest" is the cosine of the tf-idf rows centred and
 *    projected on their top `neighbour_pca_dims` principal directions
 *    (latent semantic analysis), and the validation below measures
 *    against neighbours found the same way. Measured against tf-idf
 *    cosine (neighbour_pca_dims 0, whose defaults were cosine at least
 *    neighbour_min_sim 0.2, because on Brown 9 in 10 of the nearest
 *    tf-idf neighbours have cosine 0.1-0.2 and were noise): Brown P@10,
 *    mean of seeds 1-5, 16 / 32 / 64 / 128 bits 0.313 / 0.339 / 0.358 /
 *    0.354 -> 0.320 / 0.354 / 0.369 / 0.374 (PCA+ITQ 0.338 / 0.363 /
 *    0.364 / 0.365); SpamAssassin at 64 bits, seed 1 (every header kept):
 *    ham/spam P@100 0.964 -> 0.957, folders 0.693 -> 0.717, 10% copies
 *    within radius 3 0.990 -> 0.991; with the Subject only (the default;
 *    make bench-quality) ham/spam 0.951, folders 0.647 (the run before,
 *    on another host: 0.951, 0.640). Why itq_candidate stays off: on
 *    SpamAssassin at 32 and 64 bits ITQ's own codes validate above the
 *    trained model (0.263 / 0.427 against 0.223 / 0.404) while its
 *    ham/spam P@100 is far above ITQ's (0.940 / 0.951 against 0.918), so
 *    the candidate would give that away; with every header kept, at 16
 *    and 32 bits, it is the other way round (folders 0.646 / 0.645
 *    against ITQ's 0.713 / 0.702, ITQ's codes validating higher). The
 *    PCA reference alone (tf-idf
 *    targets) gave 0.332 / 0.352 / 0.355 / 0.354 on Brown; with 3 times
 *    the neighbour weight 0.319 / 0.362 at 16 / 32 bits, 20 neighbours
 *    0.309 / 0.353; with itq_candidate 0.334 / 0.346 / 0.361 / 0.374
 *    (differences of 0.01 are within the noise of 100 queries x 5
 *    seeds). Tried at 16 / 32 bits on top of the PCA neighbours, same
 *    seeds, none kept: kl_weight 0 0.328 / 0.359, no denoising 0.331 /
 *    0.352, itq_init 4 0.328 / 0.363, itq_lr_scale 0.3 0.294 / 0.325,
 *    neighbour_pull 1 0.256 / 0.319, 0.3 0.228 / 0.338 (the default:
 *    0.320 / 0.354). The gate `neighbour_min_sim` (tf-idf cosine) is off by
 *    default; the cost is a PCA fit and 128 flops per pair of training
 *    documents (neighbour_max_docs caps it). The one width where PCA+ITQ
 *    stays ahead: 16 bits with every header kept (SpamAssassin folders
 *    P@100 0.641 against ITQ's 0.713, make bench-quality at 6c0e0af;
 *    seeds 1-3 0.641 / 0.654 / 0.627; 0.672 since auto cuts the trailing
 *    random run and keeps the ITQ start, 42c8dfa). Tried there (one thread, seed 1
 *    unless said), none kept: neighbour_pca_dims 16, as many principal
 *    directions as bits, 0.680 / 0.671 / 0.695 on seeds 1-3, and with
 *    the Subject only ham/spam 0.938, folders 0.616 (default 0.922 /
 *    0.600), Brown P@10 (seeds 1-5) 0.336 (0.339); at 32 bits dims 32
 *    gave every header 0.723 (0.700), Subject 0.948 / 0.642 (0.940 /
 *    0.632), Brown 0.362 (0.371, lower on 4 of 5 seeds) — but
 *    SpamAssassin's ITQ start then validates higher and is trained too
 *    (a 16-bit model 76 s -> 245 s) and 16 bits still miss 0.713;
 *    unigram_bias 0.682 (Brown, seeds 1-5, 16 / 32 / 64 / 128 bits 0.341
 *    / 0.365 / 0.363 / 0.378 against 0.339 / 0.371 / 0.375 / 0.375), and
 *    with no denoising 0.694; start itq 0.672 (0.695 with unigram_bias);
 *    no denoising 0.638; neighbour_weight 3 0.633; 30 neighbours 0.643;
 *    kl_weight 0 0.600; validating against tf-idf cosine neighbours with
 *    itq_candidate 0.649 (that reference ranks the random start above
 *    ITQ's codes, 0.129 against 0.093); on another host, before logit
 *    thresholds: tfidf_target 0.636, decorrelation 1 0.632, 200 epochs
 *    or learning rate 0.003 0.678-0.690. There the
 *    label free validation and the folder labels disagree: it ranks the
 *    trained model above ITQ's codes, whose ham/spam P@100 (0.931) is
 *    below the model's (0.94-0.95) too;
 *  - denoising (default drop 0.2, substitute 0.1): each minibatch's input
 *    is corrupted (word dropout, word substitution by terms of other
 *    documents) while the target stays the clean counts, so edited copies
 *    keep their code;
 *  - consistency (default weight 5, from 1000 training documents and 64
 *    bits on): the corrupted batch's bit probabilities are pulled towards
 *    those of the same rows uncorrupted, encoded with the current weights
 *    just before the corruption, by their squared difference
 *    (hash_consistency), scaled by the mean target words per row, so that
 *    edited copies land in the original's bucket. SpamAssassin, 64 bits,
 *    seed 1 (ham/spam P@100, folders P@100, edited copies within radius 3
 *    at 10% / 20% word edits, other mails within radius 3 per copy):
 *    weight 0: 0.941, 0.641, 0.905 / 0.837, 12.6; 1: 0.948, 0.647, 0.937
 *    / 0.866, 18.1; 3: 0.947, 0.645, 0.958 / 0.921, 16.1; 5: 0.949, 0.644,
 *    0.966 / 0.934, 30.0; 10: 0.945, 0.640, 0.970 / 0.950, 51.3. The term
 *    it replaced pulled towards the clean rows encoded at the start of
 *    each epoch, by the expected Hamming distance of the Bernoulli bits
 *    (weight 1, from 32 bits): that target also anchored every row to its
 *    epoch-start code, and the distance is smallest for saturated bits,
 *    so it stalled training and coarsened the codes (with logit
 *    thresholds: the random start's run collapsed, validation 0.007;
 *    0.928, 0.634, 0.955 / 0.915, 106.8; with the probability thresholds
 *    of that time 0.951, 0.647, 0.969 / 0.931, 47.7). At 32 bits the term
 *    costs more than it gives (weight 10, with every mail header kept:
 *    folders P@100 0.610 against 0.706 without; Subject only: ham/spam
 *    0.922 against 0.946, 10% copies within radius 3 0.957 against 0.973,
 *    with 294 other mails there against 53), hence consistency_min_bits
 *    64. On Brown (360 training documents) the old pull cost P@10 at
 *    every width for seeds 2 and 3 and at three of four for seed 1 (mean
 *    over widths and seeds 0.343 -> 0.323), hence consistency_min_docs:
 *    the threshold lies between the two collections measured, not at a
 *    measured optimum;
 *  - bit balance: the inference threshold of bit k is the median of its
 *    logit over the training documents (every bit splits the collection
 *    in half, buckets stay small) instead of 0, moved to the widest gap
 *    within 0.1 of the median in rank (threshold_window), so that few
 *    documents sit next to a threshold. On logits, not probabilities:
 *    codes that saturate (the reconstruction rewards deterministic bits;
 *    the ITQ start's first trained epoch at 16 bits, every mail header
 *    kept, left 99.7% of SpamAssassin's probabilities exactly 0 or 1 in
 *    float) tie at 1.0f, and a probability threshold at 1.0 made the bit
 *    constant: that run validated at 0.002 for 15 epochs, and the 16-bit
 *    folders P@100 of auto rose from 0.634 to 0.688 with logit thresholds
 *    (PCA + ITQ 0.713).
 *
 * The start (start, from train.start): random weights, or PCA + ITQ
 * (itq.h): the encoder's first layer reproduces ITQ's projections with
 * logits of spread itq_init, and the first itq_warmup epochs train the
 * decoder only, so that a random decoder's gradients do not undo the
 * encoder. both runs the whole training twice, random start first, then
 * ITQ, on the same split, targets and validation set, and keeps the run
 * with the higher validation precision (ties: random). auto (the default)
 * does the same except that the ITQ run stops right after its start when
 * the random run's validation precision is above that of ITQ's own codes
 * (the ITQ start before any training): the ITQ start is for collections
 * where training from random weights does not even reach the baseline
 * (Brown at 16 bits, seed 1: validation 0.08 against ITQ's own 0.34),
 * and where it does, the neighbour precision can prefer the ITQ run while
 * labels and edited copies do not (SpamAssassin at 64 bits: validation
 * 0.42 from the ITQ start against 0.39, but ham/spam P@100 0.937 against
 * 0.946 and 10% copies within radius 3 0.88 against 0.92). auto also
 * measures ITQ's own codes before the random run, and that run stops
 * once it has gone `patience` trained epochs without rising above them
 * (patience counts from the epoch before its first candidate), and the
 * ITQ start is trained too. Where the ITQ start was kept already
 * (SpamAssassin at 64 and 128 bits, Brown) that changes only the time
 * (SpamAssassin 64 bits: 201 s -> 140 s, one core each, side by side);
 * at 16 and 32 bits SpamAssassin's random run used to rise above ITQ's
 * codes only after 30 trailing epochs and was kept without an ITQ run,
 * which now runs and validates higher: ham/spam P@100 0.922 -> 0.931
 * and 0.940 -> 0.944, folders 0.600 -> 0.612 and 0.632 -> 0.645, 10%
 * copies within radius 3 at 32 bits 0.954 -> 0.976, training 76 -> 143 s
 * and 78 -> 119 s (make bench-quality, one core). Each run is otherwise exactly what that start
 * gives alone (same seed, same streams), so two runs cost the sum of
 * their times (the probe: one ITQ fit, shared with the ITQ run); with max_seconds
 * the random run gets the first half. auto and both are random without a
 * validation split or when the ITQ start is impossible (a hidden layer
 * narrower than 2K, no more rows or terms than bits). With itq_candidate,
 * the ITQ run's last decoder-only epoch (ITQ's own codes with a trained
 * decoder) may be the kept epoch too. itq_lr_scale (default 1) scales the
 * ITQ run's learning rate after its decoder-only epochs, so that training
 * refines ITQ's codes rather than moving far from them (measured on Brown,
 * seed 1, 0.3: P@10 0.285 / 0.350 / 0.346 / 0.362 at 16 / 32 / 64 / 128
 * bits against 0.321 / 0.336 / 0.360 / 0.354; 0.1: 0.293 / 0.322 / 0.310 /
 * 0.342; not a win, left at 1). Also measured there and not kept:
 * itq_candidate 1 (0.323 / 0.362 / 0.349 / 0.342) and a larger
 * validation split, train.validation_fraction 0.2 (0.323 / 0.338 / 0.372 /
 * 0.337) or 0.25 (0.306 / 0.319 / 0.343 / 0.354): with 100 test queries
 * these differences are within the noise of one seed.
 *
 * Validation: a seeded validation_fraction of the documents is held out.
 * After each epoch the held-out documents query the training documents by
 * Hamming distance; "neighbour precision" is the share of the first 10
 * results that are among the query's 10 nearest neighbours (in the
 * principal subspace, or by tf-idf cosine with neighbour_pca_dims 0;
 * label free, so `train` needs no labels). The epoch with the best value is
 * kept; training stops after `patience` epochs without improvement, but
 * never before epoch 10 nor before the KL ramp ends: the first epoch's
 * nearly random codes often score well while the network is still
 * collapsing towards the mean document, and stopping there keeps a
 * collapsed model (measured on Brown at 16 bits). train.patience is 30 by
 * default: Brown validates on 40 documents, and with 10 its runs stopped
 * on a dip of that noise while still improving (P@10, seeds 1-5, 16 / 32
 * bits: 0.319 / 0.354 with 10, 0.335 / 0.360 with 30, PCA + ITQ 0.338 /
 * 0.363; 64 / 128 bits, seeds 1-3: 0.375 / 0.378 with 30); on
 * SpamAssassin at 64 bits, one thread, it changed little (ham/spam
 * 0.949 -> 0.948, folders 0.645 -> 0.647, 10% / 20% copies within radius
 * 3 0.960 / 0.925 -> 0.961 / 0.940), most runs there reaching the epoch
 * cap either way.
 *
 * Sizes that adapt to the collection (hash_train_adapt): with N training
 * documents, each hidden layer has at most max(2K, N / 8) units (rounded
 * up to a multiple of 8), and the batch has at most max(16, N / 32) rows,
 * so a 400-document collection gets a 128-wide net with 25 steps per
 * epoch instead of a 2 x 500 net with 3.
 *
 * Determinism: the same options, data and BLAS thread count give the same
 * network bytes and thresholds.
 */
#ifndef SH_HASH_TRAIN_H
#define SH_HASH_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "config.h"
#include "matrix.h"
#include "nn_net.h"
#include "hash_neighbours.h"

/* Per epoch, after validation. */
typedef struct {
    int epoch;                /* 0-based */
    int epochs;               /* the maximum */
    double train_loss;        /* mean total loss of the epoch's batches */
    double valid_precision;   /* neighbour precision, NAN without validation */
    double kl_weight;         /* the KL weight used this epoch */
    double seconds;           /* wall time of the epoch, validation included */
    int best;                 /* 1 if this epoch is the best so far (in this start's run) */
    int itq_start;            /* 1 in the run from the PCA + ITQ start */
} hash_epoch_info;

/* Progress callbacks: batch is called after every minibatch (epoch,
 * batch index, batches per epoch, loss), epoch after every epoch. Either
 * returns nonzero to cancel (hash_train then returns SH_ECANCEL). */
typedef int (*hash_batch_fn)(int epoch, size_t batch, size_t batches, double loss, void *user);
typedef int (*hash_epoch_fn)(const hash_epoch_info *info, void *user);

typedef struct {
    /* architecture */
    int code_bits;            /* K: 8..128, multiple of 8 */
    int n_hidden;             /* encoder hidden layers, 0..SH_MAX_HIDDEN_LAYERS */
    int hidden[SH_MAX_HIDDEN_LAYERS];
    sh_activation activation;
    int adapt_sizes;          /* 1: cap widths and batch by the collection size */
    /* optimisation */
    int epochs;               /* maximum epochs */
    int batch_size;
    double learning_rate;
    double weight_decay;
    uint64_t seed;
    int threads;              /* BLAS threads, 0 = all cores */
    double validation_fraction;
    int patience;             /* 0 = never stop early */
    double max_seconds;       /* 0 = no cap */
    /* the recipe */
    double kl_weight;         /* final weight of KL(p || Bernoulli(0.5)), >= 0 */
    int kl_anneal_epochs;     /* epochs of the linear ramp from 0, >= 0 (0: full weight at once) */
    int neighbours;           /* tf-idf neighbours added to each target, 0..64 */
    double neighbour_weight;  /* their total count relative to the document's own, >= 0 */
    size_t neighbour_max_docs;/* skip the neighbour search above this many documents */
    double neighbour_min_sim; /* neighbours less similar (tf-idf cosine) are left out, [0, 1] */
    int neighbour_pca_dims;   /* neighbours (targets and validation's reference) by cosine
                                 in this many principal dims, 0..128; 0: tf-idf cosine */
    double drop_rate;         /* denoising: probability of dropping each input term, [0, 1) */
    double sub_rate;          /* denoising: probability of substituting each term, [0, 1) */
    int median_threshold;     /* 1: per-bit median thresholds; 0: 0.5 */
    double threshold_window;  /* > 0: threshold at the widest logit gap within this
                                 rank distance of the median, [0, 0.5) */
    int deterministic_epochs; /* first epochs trained on p itself, not sampled bits */
    sh_train_start start;     /* random, itq or auto (both, the better validation kept) */
    double itq_init;          /* logit spread of the ITQ start; 0: never start from ITQ */
    int itq_warmup;           /* decoder-only epochs after an ITQ start (at least decoder_warmup) */
    int itq_candidate;        /* 1: the ITQ start's last decoder-only epoch (ITQ's own
                                 codes) may be the kept epoch */
    double itq_lr_scale;      /* the ITQ run's trained epochs use learning_rate times
                                 this, (0, 1]; 0 counts as 1 */
    int unigram_bias;         /* 1: decoder bias starts at the log unigram distribution */
    int tfidf_target;         /* 1: reconstruct the tf-idf weights instead of the counts */
    double decorrelation;     /* weight of the bit decorrelation term, >= 0 */
    int decoder_warmup;       /* first epochs train the decoder only (encoder frozen) */
    double neighbour_pull;    /* weight of the pull towards the neighbours' bits, >= 0 */
    double consistency;       /* weight of the pull of a corrupted row's bits to its clean ones */
    size_t consistency_min_docs; /* the pull applies from this many training documents on */
    int consistency_min_bits; /* ... and to codes of at least this many bits, 0..128 */
    double margin;            /* weight of the push of bit probabilities away from 0.5, >= 0 */
    hash_batch_fn on_batch;   /* may be NULL */
    hash_epoch_fn on_epoch;   /* may be NULL */
    void *user;
} hash_train_opts;

typedef struct {
    int epochs_run;
    int best_epoch;
    int stopped_early;        /* patience or max_seconds */
    double seconds;           /* whole call, neighbour search included */
    double seconds_per_epoch; /* training only (validation excluded) */
    double gflops;            /* achieved in forward + backward */
    double train_loss;        /* last epoch */
    double valid_precision;   /* of the kept epoch, NAN without validation */
    int hidden_used[SH_MAX_HIDDEN_LAYERS]; /* widths after adaptation */
    int n_hidden;
    int batch_used;
    int itq_initialised;      /* 1 if the kept model started as PCA + ITQ */
    int starts_tried;         /* 1, or 2 when start auto trained both */
    double valid_random;      /* validation precision of the random start's run, NAN if not run */
    double valid_itq;         /* the same for the ITQ start's run */
    double valid_itq_codes;   /* ITQ's own codes (the ITQ start before training), NAN if not run */
} hash_train_summary;

/* Fills o from cfg (model and train sections) and the recipe defaults.
 * Cannot fail. */
void hash_train_opts_from_config(hash_train_opts *o, const sh_config *cfg);

/* Sets one recipe option from "name=value" (kl_weight, kl_anneal_epochs,
 * neighbours, neighbour_weight, neighbour_min_sim, drop_rate, sub_rate,
 * median_threshold, threshold_window, deterministic_epochs, adapt_sizes,
 * itq_init, itq_lr_scale, unigram_bias, tfidf_target, decorrelation, decoder_warmup,
 * neighbour_pull, consistency, consistency_min_docs, consistency_min_bits,
 * margin). Returns 0 or
 * SH_EINVAL with a message naming the option (o unchanged). */
int hash_train_opts_set(hash_train_opts *o, const char *assignment, char *err, size_t err_len);

/* The hidden widths and batch size hash_train uses for n_docs training
 * documents (the rule in the header comment; widths unchanged when
 * adapt_sizes is 0). Cannot fail. */
void hash_train_adapt(const hash_train_opts *o, size_t n_docs, int *hidden, int *batch);

/* Trains a binary-code autoencoder on N documents: tfidf (N x V,
 * L2-normalised rows) and counts (N x V, the same columns) as the text
 * pipeline produces them. On success *out_net (free with nn_free) is the
 * trained network (binary code, K = o->code_bits) and thresholds[K]
 * (caller-allocated) the inference threshold of each bit, on its logit (hash_thresholds).
 * Returns 0; SH_EINVAL (bad options or shapes, message in err); SH_EEMPTY
 * (no documents, or no document with a vocabulary term); SH_ENOMEM;
 * SH_ECANCEL (a callback asked to stop; *out_net unchanged). summary may
 * be NULL. */
int hash_train(const hash_train_opts *o, const sh_csr *tfidf, const sh_csr *counts,
               nn_net **out_net, float *thresholds, hash_train_summary *summary,
               char *err, size_t err_len);

/* Bit decorrelation of a batch of bit probabilities p[B,K]: with C the
 * batch covariance (1/B) (p - mean)^T (p - mean), the value
 *   weight * 16 / (K (K - 1)) * sum over i != j of C_ij^2
 * (16 C_ij^2 is the squared correlation of two balanced saturated bits, so
 * a fully redundant code costs about weight). Adds the gradient with
 * respect to p into dp[B,K] when dp is non-NULL. cov[K*K] is scratch.
 * B < 2 or K < 2 gives 0. Cannot fail; K <= SH_CODE_MAX_BITS. */
double hash_decorrelation(float *dp, const float *p, size_t B, size_t K, float weight,
                          double *cov);

/* Neighbour pull of a batch: p[B,K] the rows' bit probabilities, m[B,K]
 * their neighbours' mean probabilities (held constant); the value is the
 * expected Hamming distance between a row's stochastic bits and bits
 * drawn from m, per bit, averaged over rows:
 *   weight / (K B) * sum over b, k of p (1 - m) + m (1 - p)
 * and dp[B,K] (may be NULL) receives its gradient with respect to p,
 * weight / (K B) * (1 - 2 m). B or K 0 gives 0. Cannot fail. */
double hash_neighbour_pull(float *dp, const float *p, const float *m, size_t B, size_t K,
                           float weight);

/* Margin (saturation) term of a batch of bit probabilities p[B,K]: the
 * value is the mean Bernoulli variance of the bits, scaled to 1 at 0.5,
 *   weight / (K B) * sum over b, k of 4 p (1 - p),
 * so that it pushes every probability away from 0.5 (towards the side it
 * is on) and a small change of the input flips fewer bits; dp[B,K] (may be
 * NULL) receives its gradient, weight / (K B) * 4 (1 - 2 p). It works
 * against the KL term to Bernoulli(0.5), which pulls each document's
 * probabilities towards 0.5. B or K 0 gives 0. Cannot fail.
 * Off by default (recipe option margin, 0): on SpamAssassin at 64 bits
 * 0.1 gave 10% / 20% copies within radius 3 0.913 / 0.833 (0.920 / 0.814
 * without), 0.3 collapsed the random start's run and auto's ITQ run
 * reached 0.945 / 0.899, 0.6 (ITQ start) 0.888 / 0.753; on Brown 0.3 took
 * 16-bit P@10 from 0.321 to 0.176. */
double hash_margin(float *dp, const float *p, size_t B, size_t K, float weight);

/* Consistency term of a batch: p[B,K] the corrupted rows' bit
 * probabilities, clean[B,K] those of the same rows uncorrupted, encoded
 * with the same weights (held constant). The value is the mean squared
 * difference,
 *   weight / (K B) * sum over b, k of (p - clean)^2,
 * and dp[B,K] (may be NULL) receives its gradient with respect to p,
 * weight / (K B) * 2 (p - clean). Unlike an expected Hamming distance it
 * is 0 whenever the two agree, saturated or not, so it asks for codes
 * that ignore the corruption, not for saturated ones. B or K 0 gives 0.
 * Cannot fail. */
double hash_consistency(float *dp, const float *p, const float *clean, size_t B, size_t K,
                        float weight);

/* Per-bit thresholds of the code layer's logits[N,K] (row-major), taken
 * over the first min(N, 100000) rows: thresholds[k] = the lower median of
 * column k (so that logit > t leaves at most half the rows set). With
 * window w > 0 the threshold moves to the widest gap between two
 * consecutive sorted values whose ranks lie within (0.5 +- w)(N - 1), and
 * sits at the gap's midpoint: a bit whose median falls inside a dense
 * cluster of nearly equal logits flips under the smallest change of the
 * input, and the gap keeps documents away from the threshold at the price
 * of a split up to w off balance. A column without any gap there keeps
 * its median. Logits, not probabilities: in float, every logit above
 * about 17 is the probability 1.0f, and a bit whose median row is that
 * saturated got a threshold of 1.0 that no row exceeds (a constant bit).
 * Returns 0 or SH_ENOMEM. */
int hash_thresholds(const float *logits, size_t N, size_t K, double window, float *thresholds);

/* Codes of rows (any count) under net and thresholds: bit k of row i is
 * logit_k > thresholds[k] when logit_thresholds is set (what hash_train
 * makes), else p_k > thresholds[k] (hasher section version 1 models, whose
 * thresholds are probabilities). Returns 0, SH_EINVAL (width mismatch) or
 * SH_ENOMEM. */
int hash_encode_rows(nn_net *net, const float *thresholds, int logit_thresholds,
                     const sh_csr *rows, sh_code *out);

#endif
