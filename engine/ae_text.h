/* ae_text.h — text corpora for the autoencoder toolkit: a corpus (JSON
 * lines, text lines or a directory tree; corpus.h) becomes tf-idf input
 * rows and term-count target rows through the text pipeline
 * (corpus_matrix.h), with the vocabulary counted on the training split
 * only. A text autoencoder is the nn core with CSR input and the softmax
 * (bag-of-words) loss; its per-row score is the reconstruction negative
 * log-likelihood per token.
 *
 * Legend: N = documents, V = vocabulary.
 */
#ifndef SH_AE_TEXT_H
#define SH_AE_TEXT_H

#include <stddef.h>

#include "ae_common.h"
#include "corpus_matrix.h"

typedef struct {
    corpus_matrix m;   /* tf-idf and counts [N, V], ids, splits, label sets */
    text_vocab *vocab; /* owned */
} ae_text_data;

/* Reads the corpus at path twice: the vocabulary (at most vocab_size
 * terms, the configuration's defaults otherwise) from documents not in the
 * test split, then every document's rows. Returns 0 (free with
 * ae_text_free, also after an error) or the pipeline's errors with
 * "PATH[:LINE]: ..." in err; SH_EEMPTY when no terms survive. */
int ae_text_load(const char *path, int vocab_size, ae_text_data *out, char *err, size_t err_len);

/* Frees everything and zeroes *t. Accepts NULL. */
void ae_text_free(ae_text_data *t);

/* 1 if document doc carries the label name, else 0. */
int ae_text_has_label(const ae_text_data *t, size_t doc, const char *label);

/* scores[N] = - sum_v c_v log p_v / sum_v c_v per row: the softmax
 * reconstruction's negative log-likelihood per token of counts (CSR, N x
 * V) given in (CSR tf-idf rows, same N). A row without tokens scores 0.
 * Returns 0, SH_EINVAL (not a CSR-input softmax net, shapes) or
 * SH_ENOMEM. */
int ae_row_nll(nn_net *net, const nn_data *in, const sh_csr *counts, float *scores);

#endif
