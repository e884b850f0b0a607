/* ae_classify.h — the classification blade: one autoencoder per class,
 * each trained only on its class's rows; a row's feature vector is the
 * log of its reconstruction error under every class's autoencoder; a
 * stacked softmax regression on those C features predicts the class.
 * Beside it, the same softmax regression on the raw features is the
 * baseline (and serves the overcomplete-features check).
 *
 * Softmax regression here is a linear layer + softmax + cross-entropy,
 * trained with minibatch Adam on standardised features (mean and scale
 * kept in the model). It is not an autoencoder, so it lives here rather
 * than in the nn core.
 *
 * Legend: N = rows, D = feature width, C = classes.
 */
#ifndef SH_AE_CLASSIFY_H
#define SH_AE_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"

typedef struct {
    size_t dim, classes;  /* D, C */
    float *W;             /* [D, C], owned */
    float *b;             /* [C] */
    float *mean, *scale;  /* [D] standardisation: (x - mean) * scale */
} ae_softmax;

typedef struct {
    int epochs;           /* (20) */
    size_t batch_size;    /* (256) */
    float lr;             /* Adam (1e-2) */
    float weight_decay;   /* L2 on W (1e-4) */
    uint64_t seed;
} ae_softmax_opts;

void ae_softmax_defaults(ae_softmax_opts *o);

/* Fits m on X[N,D] with labels y[N] in 0..C-1. Returns 0 (m owns its
 * buffers; free with ae_softmax_free), SH_EINVAL (N == 0, D == 0, C < 2,
 * a label out of range) or SH_ENOMEM; m is zeroed on failure. */
int ae_softmax_fit(ae_softmax *m, const float *X, const int *y, size_t N, size_t D, size_t C,
                   const ae_softmax_opts *o);

/* Mean cross-entropy of m on X[N,D], y[N], and its gradients with respect
 * to W and b added into dW[D,C], db[C] (may be NULL), on standardised X.
 * For the gradient check and the fitting loop. Returns the value, or NAN
 * on ENOMEM. */
double ae_softmax_loss(const ae_softmax *m, const float *X, const int *y, size_t N, float *dW,
                       float *db);

/* pred[N] = argmax class of each row of X[N,D]; prob[N,C] (may be NULL)
 * the probabilities. Returns 0 or SH_ENOMEM. */
int ae_softmax_predict(const ae_softmax *m, const float *X, size_t N, int *pred, float *prob);

void ae_softmax_free(ae_softmax *m);

/* feats[N,C] = log(1e-8 + reconstruction error of each row under nets[c]).
 * Returns 0, SH_EINVAL or SH_ENOMEM. */
int ae_classify_features(nn_net *const *nets, size_t C, const nn_data *data, float *feats);

#define AE_TAG_SOFTMAX MF_TAG('S', 'M', 'X', '1')

/* Saves the C class networks (slot = class index as a byte, C <= 255) and
 * the stacked softmax as a model of kind MF_KIND_CLASSIFIER. */
int ae_classify_save(nn_net *const *nets, size_t C, const ae_softmax *head, const ae_meta *meta,
                     const char *path, char *err, size_t err_len);

/* The networks and head of a classifier model already opened with
 * ae_model_open, as ae_classify_load (the model's label in err). */
int ae_classify_read(const mf_model *m, nn_net ***nets, size_t *C, ae_softmax *head, char *err,
                     size_t err_len);

/* Loads it back: *nets is a malloc'd array of C networks (free each with
 * nn_free, then the array), head is filled (ae_softmax_free). SH_EMODEL
 * for missing or disagreeing sections. */
int ae_classify_load(const char *path, ae_meta *meta, nn_net ***nets, size_t *C, ae_softmax *head,
                     char *err, size_t err_len);

#endif
