/* hasher.h — a document hasher: everything needed to turn a document's
 * text into a binary code, trained, saved and loaded as one object.
 *
 * A hasher is
 *   text settings + vocabulary (text_vocab.h: tokenizer options, terms,
 *   document frequencies)  ->  tf-idf row  ->  encoder  ->  sh_code
 * where the encoder (config model.encoder) is one of
 *   ae       the binary-code autoencoder (hash_train.h), with per-bit
 *            inference thresholds;
 *   simhash  Charikar's SimHash of the tf-idf weighted terms, each term
 *            hashed as XXH64(term bytes, seed 0) (baseline_hash.h);
 *   lsh      random-hyperplane LSH of the tf-idf row, planes drawn from
 *            train.seed (baseline_hash.h);
 *   itq      PCA + iterative quantisation of the mean-centred tf-idf row,
 *            random start from train.seed (itq.h).
 * Every encoder computes one score per bit and compares it with the
 * hasher's per-bit threshold: the ae's bit probability against its
 * threshold (median or 0.5); the baselines' projection against the
 * projection of the training rows' mean, i.e. they hash mean-centred
 * rows. For SimHash and LSH that centring is the standard sign random
 * projection of centred data; measured on SpamAssassin at 16..128 bits it
 * moves P@100 by +0.000..+0.008 (ham/spam and folders) and Brown's P@10 by
 * -0.02..+0.03 (100 queries): it is not what separates these baselines
 * from the learned codes. Few random planes on sparse tf-idf rows are:
 * 1024 centred random planes reach P@100 0.809 on SpamAssassin ham/spam,
 * 128 reach 0.683, against 0.891 for the exact cosine.
 *
 * Typical use:
 *   hasher_train_docs(&cfg, docs, n, NULL, &h, &summary, err, sizeof err);
 *   hasher_encode_text(h, text, len, &code);
 *   hasher_save(h, "model.shm", err, sizeof err);
 * or, to train several encoders on one vectorised collection (eval):
 *   hasher_build_vocab, hasher_vectorize_docs, then per encoder
 *   hasher_new + hasher_fit + hasher_encode_rows.
 *
 * Model file (modelfile.h, kind MF_KIND_HASHER): sections
 *   "HSH1"  u32 section version (HASHER_SECTION_VERSION), u32 encoder,
 *           u32 code bits, u32 count + that many f32 per-bit thresholds
 *           (code bits of them; simhash and lsh models written before
 *           centring have 0 and load as the uncentred encoders; an ae's
 *           are on the code layer's logits, or in a version 1 section on
 *           its bit probabilities, which load and encode as before),
 *           string: the configuration as YAML (config_to_yaml);
 *   "TXTC", "VOCB"  the vocabulary (text_vocab_write);
 *   "NC01", "NP01"  the network (nn_io.h, slot '0'), ae only;
 *   "LSH0"  the hyperplanes' shapes, seed and checksum, lsh only;
 *   "ITQ0"  the projection and offsets (itq.h), itq only.
 * Another container version or an HSH1 section version outside
 * HASHER_SECTION_OLDEST..HASHER_SECTION_VERSION is SH_EVERSION, another
 * model kind SH_EMODEL: retrain the model.
 *
 * Threads: encoding uses scratch inside the hasher (the network's
 * activations, the vectoriser): one hasher per thread, or a lock.
 * Training sets the BLAS thread count (train.threads) process-wide.
 */
#ifndef SH_HASHER_H
#define SH_HASHER_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "config.h"
#include "hash_train.h"
#include "matrix.h"
#include "modelfile.h"
#include "text_vocab.h"

#define HASHER_SECTION MF_TAG('H', 'S', 'H', '1')
#define HASHER_SECTION_VERSION 2u
#define HASHER_SECTION_OLDEST 1u  /* the oldest section version still read */

typedef struct sh_hasher sh_hasher;

/* One document's text (need not be NUL-terminated). */
typedef struct {
    const char *text;
    size_t len;
} hasher_doc;

/* ---- vocabulary and vectors --------------------------------------------- */

/* Builds the vocabulary of docs with cfg->text. Binary documents (NUL
 * bytes) are skipped and counted in *skipped (may be NULL). Returns 0 and
 * *out (free with text_vocab_free); SH_ECONFIG (bad text options);
 * SH_EEMPTY (no document, or no term survives the filters; the message
 * says which); SH_ENOMEM. */
int hasher_build_vocab(const sh_config *cfg, const hasher_doc *docs, size_t n, text_vocab **out,
                       size_t *skipped, char *err, size_t err_len);

/* Appends one tf-idf row and one count row per document to tfidf and
 * counts (initialised by the caller with csr_init(m, vocabulary size);
 * counts may be NULL). A binary document gets an empty row, so row i is
 * always document i. Returns 0, SH_ECONFIG, SH_EINVAL (wrong widths) or
 * SH_ENOMEM (the matrices may then hold part of the rows). */
int hasher_vectorize_docs(const text_vocab *vocab, const hasher_doc *docs, size_t n,
                          sh_csr *tfidf, sh_csr *counts, char *err, size_t err_len);

/* ---- the hasher ---------------------------------------------------------- */

/* A hasher for cfg (model.encoder, model.code_bits, train.seed) over a
 * copy of vocab, not yet fitted. Returns 0 and *out (free with
 * hasher_free); SH_ECONFIG (bad code width, unknown encoder); SH_ENOMEM.
 * *out is unchanged on failure. */
int hasher_new(const sh_config *cfg, const text_vocab *vocab, sh_hasher **out, char *err,
               size_t err_len);

/* Fits the encoder on the collection's rows (tfidf and counts as
 * hasher_vectorize_docs makes them, over this hasher's vocabulary): ae
 * trains with the recipe (NULL: hash_train_opts_from_config of the
 * hasher's config; its code_bits is always the hasher's), lsh draws its
 * hyperplanes, itq fits PCA and its rotation, and the three baselines
 * take their centring offsets from the rows. Fitting again replaces the
 * encoder.
 * summary (may be NULL) is filled for ae. Returns 0; hash_train's errors
 * (SH_EINVAL, SH_EEMPTY, SH_ENOMEM, SH_ECANCEL) with a message; for itq
 * SH_EINVAL when there are not more rows than bits or fewer terms than
 * bits; the hasher keeps its previous encoder on failure. */
int hasher_fit(sh_hasher *h, const sh_csr *tfidf, const sh_csr *counts,
               const hash_train_opts *recipe, hash_train_summary *summary, char *err,
               size_t err_len);

/* 1 once the hasher can encode (fitted or loaded). */
int hasher_ready(const sh_hasher *h);

/* Codes of rows (any count; width = vocabulary size) into out[rows].
 * Returns 0; SH_EINVAL (not fitted, wrong width); SH_ENOMEM. */
int hasher_encode_rows(sh_hasher *h, const sh_csr *rows, sh_code *out);

/* The code of one document's text. Returns 0; SH_EINPUT (binary
 * document); SH_EINVAL (not fitted); SH_ENOMEM. A document with no
 * vocabulary term gets the code of an empty row. */
int hasher_encode_text(sh_hasher *h, const char *text, size_t len, sh_code *out);

/* Properties. The pointers are owned by the hasher. */
int hasher_bits(const sh_hasher *h);
sh_encoder_kind hasher_encoder(const sh_hasher *h);
const char *hasher_encoder_name(sh_encoder_kind kind); /* "ae", "simhash", "lsh", "itq" */
const text_vocab *hasher_vocab(const sh_hasher *h);
const sh_config *hasher_config(const sh_hasher *h);
/* The per-bit thresholds [bits] (ae: on bit probabilities; simhash, lsh,
 * itq: the centring offsets on projections), NULL before fitting. */
const float *hasher_thresholds(const sh_hasher *h);

/* All in one: builds the vocabulary from docs, vectorises them, creates
 * and fits a hasher. Returns 0 and *out, or the errors of the steps. */
int hasher_train_docs(const sh_config *cfg, const hasher_doc *docs, size_t n,
                      const hash_train_opts *recipe, sh_hasher **out,
                      hash_train_summary *summary, char *err, size_t err_len);

/* ---- model files --------------------------------------------------------- */

/* Appends the hasher's sections to w. Returns 0, SH_EINVAL (not fitted,
 * or a section open in w) or SH_ENOMEM. */
int hasher_write(const sh_hasher *h, mf_writer *w);

/* Writes a model file of kind MF_KIND_HASHER atomically. Returns 0,
 * SH_EINVAL, SH_ENOMEM or an errno value, with the path in err. */
int hasher_save(const sh_hasher *h, const char *path, char *err, size_t err_len);

/* Rebuilds a hasher from a read model (a file or an index's blob).
 * Returns 0 and *out; SH_EMODEL (another kind, missing or inconsistent
 * sections); SH_EVERSION (another hasher section version); SH_EFORMAT /
 * SH_ETRUNC (damaged section); SH_ENOMEM; all with the model's label in
 * err. *out is unchanged on failure. */
int hasher_read(const mf_model *m, sh_hasher **out, char *err, size_t err_len);

/* Reads the file at path (mf_read_file's errors, then hasher_read's). */
int hasher_load(const char *path, sh_hasher **out, char *err, size_t err_len);

/* Frees the hasher. Accepts NULL. */
void hasher_free(sh_hasher *h);

#endif
