/* hash_eval.h — labelled collections in memory and the retrieval
 * evaluation behind `semhash eval`.
 *
 * The protocol (metrics.h): an encoder is fitted on the documents of the
 * split "train", test documents query the train documents by Hamming
 * distance, a result is relevant when it shares a label with the query.
 * One vocabulary (fitted on the train split) serves every encoder and the
 * real-valued tf-idf cosine reference, so all rows of a report see the
 * same preprocessing. Near-duplicates: edited copies (a JSON-lines file
 * whose lines carry "source": the id of the original) query every
 * document of the collection; the original must come back within radius r.
 *
 * Nothing here prints. Ties in Hamming rank are broken by one fixed random
 * order of the database drawn from train.seed.
 */
#ifndef SH_HASH_EVAL_H
#define SH_HASH_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "corpus.h"
#include "hash_train.h"
#include "hasher.h"
#include "metrics.h"
#include "text_strtab.h"

#define HASH_EVAL_RADII 5  /* radius 0..4 */
#define HASH_DUP_RADII 9   /* radius 0..8 */

/* Documents read whole into memory. */
typedef struct {
    size_t n;
    hasher_doc *docs;         /* [n] texts, owned */
    char **ids;               /* [n] owned */
    corpus_split *split;      /* [n] */
    metrics_labels labels;    /* per document, after the label selection; left
                                 empty (labels.n == 0) when no document has one */
    text_strtab label_names;  /* label name <-> id */
    size_t labelled;          /* documents with at least one label */
    corpus_stats stats;       /* skipped documents, summed over the inputs */
} hash_collection;

/* Reads every document of the n_paths inputs (corpus.h formats) in order.
 * label_index selects which label of each document counts: -1 all of
 * them, k >= 0 only the k-th (0-based; documents with fewer labels get
 * none), e.g. SpamAssassin's ["ham", "easy-ham-1"]: 0 = ham/spam, 1 =
 * folders. Returns 0 with *c filled (free with hash_collection_free), or
 * corpus_open / corpus_next's errors and SH_ENOMEM with the message in
 * err; *c is then empty but safe to free. */
int hash_collection_load(hash_collection *c, const char *const *paths, size_t n_paths,
                         const corpus_options *opts, int label_index, char *err,
                         size_t err_len);

/* Frees everything and zeroes *c. Accepts NULL. */
void hash_collection_free(hash_collection *c);

/* Edited copies for the near-duplicate measure. */
typedef struct {
    size_t n;
    hasher_doc *docs;         /* [n] texts, owned */
    size_t *original;         /* [n] index of the source in the collection */
    double *edit_rate;        /* [n] */
} hash_dups;

/* Reads a JSON-lines file of edited copies ({"text", "source", and
 * "edit_rate"} per line) whose sources are ids of c. Returns 0 with *d
 * (free with hash_dups_free); an errno value; SH_EINPUT ("FILE:LINE:
 * problem": malformed line, unknown source id); SH_EEMPTY (no line);
 * SH_ENOMEM. */
int hash_dups_load(hash_dups *d, const char *path, const hash_collection *c, char *err,
                   size_t err_len);

/* Frees everything and zeroes *d. Accepts NULL. */
void hash_dups_free(hash_dups *d);

/* One row of an evaluation report. */
typedef struct {
    sh_encoder_kind encoder;
    int bits;                 /* 0 for the tf-idf cosine reference */
    double p_at_10, p_at_100, map_at_100;
    double radius_precision[HASH_EVAL_RADII]; /* over queries with a non-empty ball */
    double radius_count[HASH_EVAL_RADII];     /* mean ball size */
    double train_seconds;     /* fitting the encoder (vocabulary excluded) */
    hash_train_summary train; /* ae only */
} hash_eval_result;

/* The split collection, vectorised once. */
typedef struct {
    text_vocab *vocab;        /* fitted on the train split, owned */
    sh_csr train, test;       /* tf-idf rows */
    sh_csr train_counts;      /* counts of the train rows */
    metrics_labels train_labels, test_labels;
    size_t *train_index, *test_index; /* row -> document of the collection */
} hash_eval_data;

/* Splits c by its split field, fits the vocabulary on the train split
 * with cfg->text and vectorises both. Returns 0 with *d (free with
 * hash_eval_data_free); SH_EEMPTY ("no document has split train" / "...
 * test", or an empty vocabulary); SH_EINPUT when no document has labels
 * (need_labels) or no test document has one; hasher_build_vocab's errors;
 * SH_ENOMEM. The message in err says what to fix. */
int hash_eval_data_init(hash_eval_data *d, const hash_collection *c, const sh_config *cfg,
                        int need_labels, char *err, size_t err_len);

/* Frees everything and zeroes *d. Accepts NULL. */
void hash_eval_data_free(hash_eval_data *d);

/* Replaces d's train and test label lists with those of collection c,
 * which must hold the same documents in the same order as the collection
 * d was made from (another label selection of the same file, say).
 * Returns 0; SH_EINVAL (c has fewer documents than d refers to; d
 * unchanged); SH_ENOMEM (d unchanged). */
int hash_eval_data_relabel(hash_eval_data *d, const hash_collection *c);

/* The real-valued reference: P@10, P@100, mAP@100 by tf-idf cosine (the
 * radius fields are 0). Returns 0 or metrics' errors. */
int hash_eval_cosine(const hash_eval_data *d, uint64_t seed, hash_eval_result *out);

/* Fits the encoder of cfg (model.encoder, model.code_bits; recipe for ae,
 * NULL = from cfg) on d's train rows and measures it. *out_hasher (may be
 * NULL) receives the fitted hasher for further use (free with
 * hasher_free). Returns 0; hasher_new / hasher_fit's errors; SH_ENOMEM. */
int hash_eval_encoder(const hash_eval_data *d, const sh_config *cfg,
                      const hash_train_opts *recipe, hash_eval_result *out,
                      sh_hasher **out_hasher, char *err, size_t err_len);

/* Measures an already fitted hasher h (over d's vocabulary) on d with d's
 * current labels: out's quality fields as hash_eval_encoder's, encoder
 * and bits from h, training fields 0. Returns 0, SH_ENOMEM or the
 * encoder's and metrics' errors, with a message. */
int hash_eval_hasher(const hash_eval_data *d, sh_hasher *h, uint64_t seed,
                     hash_eval_result *out, char *err, size_t err_len);

/* Near-duplicate rows for one edit rate: the copies in dups whose
 * edit_rate is within 1e-6 of rate query all documents of c (encoded by
 * h). rows[HASH_DUP_RADII]. *n_queries receives how many copies had that
 * rate (0: rows untouched). Returns 0, SH_ENOMEM or the encoders' and
 * metrics' errors. */
int hash_eval_dups(sh_hasher *h, const hash_collection *c, const hash_dups *dups, double rate,
                   metrics_dup_row *rows, size_t *n_queries, char *err, size_t err_len);

#endif
