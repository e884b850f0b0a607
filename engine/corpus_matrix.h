/* corpus_matrix.h — a whole corpus as the matrices training and
 * evaluation work on.
 *
 * Two streaming passes over a corpus (corpus.h): corpus_build_vocab counts
 * the vocabulary (text_vocab.h), corpus_vectorize turns every document
 * into a tf-idf row and a count row (text_vectorize.h) and keeps its id,
 * labels and split. Memory is what the result holds (O(nnz + documents)),
 * plus one document at a time.
 *
 * Documents the reader skips (binary, malformed under skip_malformed)
 * appear in neither pass; the stats say how many there were.
 */
#ifndef SH_CORPUS_MATRIX_H
#define SH_CORPUS_MATRIX_H

#include <stddef.h>

#include "corpus.h"
#include "matrix.h"
#include "metrics.h"
#include "text_strtab.h"
#include "text_vocab.h"

typedef struct {
    size_t rows;              /* B documents */
    sh_csr tfidf;             /* B x V, L2-normalised rows */
    sh_csr counts;            /* B x V, raw term counts */
    char **ids;               /* B ids, each owned */
    corpus_split *split;      /* B splits */
    metrics_labels labels;    /* B label sets, ids into label_names */
    text_strtab label_names;  /* label id -> name */
    size_t cap;               /* allocated entries in ids / split */
} corpus_matrix;

/* Counts the vocabulary of the corpus at path with the text options cfg.
 * With skip_test, documents whose split is "test" are not counted (so test
 * queries stay unseen). Returns 0 and *out (free with text_vocab_free);
 * corpus_open / corpus_next errors; text_vocab_builder_finish errors
 * (SH_EEMPTY, SH_ECONFIG); SH_ENOMEM. stats (may be NULL) receives the
 * reader's counters. Messages name the file and line. */
int corpus_build_vocab(const char *path, const corpus_options *opts,
                       const sh_text_config *cfg, int skip_test, text_vocab **out,
                       corpus_stats *stats, char *err, size_t err_len);

/* Vectorises every document of the corpus at path with vocab into *out
 * (initialised here; free with corpus_matrix_free, also after an error).
 * Returns 0; corpus_open / corpus_next errors; SH_ECONFIG; SH_ENOMEM. */
int corpus_vectorize(const char *path, const corpus_options *opts, const text_vocab *vocab,
                     corpus_matrix *out, corpus_stats *stats, char *err, size_t err_len);

/* Frees everything and zeroes *m. Accepts NULL. */
void corpus_matrix_free(corpus_matrix *m);

#endif
