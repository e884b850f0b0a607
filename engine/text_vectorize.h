/* text_vectorize.h — documents to sparse tf-idf rows and term counts.
 *
 * One vectoriser serves training, indexing and querying: it tokenises with
 * the options recorded in the vocabulary, so a query becomes a vector
 * exactly as the indexed documents did. Terms outside the vocabulary are
 * ignored.
 *
 * For a document with count c(t) of vocabulary term t:
 *     w(t) = (1 + ln c(t)) * idf(t)           (idf from text_vocab.h)
 * and the tf-idf row is w / ||w||_2, with columns (term ids) increasing.
 * The raw counts c(t) form a second row with the same columns (the
 * reconstruction targets of a bag-of-words decoder). A document with no
 * vocabulary term gives an empty row (no entries) in both.
 *
 * A vectoriser holds a tokenizer and scratch of O(V) (V = vocabulary
 * size): use one per thread. The vocabulary must outlive it.
 */
#ifndef SH_TEXT_VECTORIZE_H
#define SH_TEXT_VECTORIZE_H

#include <stddef.h>
#include <stdint.h>

#include "matrix.h"
#include "text_vocab.h"

typedef struct text_vectorizer text_vectorizer;

/* Creates a vectoriser for vocab. Returns 0 and *out (free with
 * text_vectorizer_free); SH_ECONFIG if the recorded options are invalid;
 * SH_ENOMEM. *out is unchanged on error. */
int text_vectorizer_new(const text_vocab *vocab, text_vectorizer **out,
                        char *err, size_t err_len);

/* Frees the vectoriser. Accepts NULL. */
void text_vectorizer_free(text_vectorizer *vec);

/* One document as a sparse row held inside the vectoriser (valid until its
 * next call): *n entries, term ids strictly increasing in *ids, L2-
 * normalised tf-idf weights in *tfidf, counts (as floats) in *counts.
 * Any output pointer may be NULL. Returns 0; SH_EINPUT for a binary
 * document (nothing produced); SH_ENOMEM. */
int text_vectorize_row(text_vectorizer *vec, const char *text, size_t len,
                       const uint32_t **ids, const float **tfidf,
                       const float **counts, size_t *n);

/* The same, and every token the tokenizer delivers (in the vocabulary or
 * not, in text order) is also handed to tap(token, len, tap_user), so one
 * tokenisation gives both the row and, say, a signature (signature.h).
 * tap may be NULL. If tap returns nonzero, tokenising stops and the call
 * returns SH_ECANCEL (nothing produced). Otherwise as text_vectorize_row. */
int text_vectorize_row_tap(text_vectorizer *vec, const char *text, size_t len,
                           text_token_fn tap, void *tap_user, const uint32_t **ids,
                           const float **tfidf, const float **counts, size_t *n);

/* The vectoriser's tokenizer (owned by it), e.g. for
 * text_tokenizer_capture. */
text_tokenizer *text_vectorizer_tokenizer(text_vectorizer *vec);

/* Appends the document's row to tfidf and its counts row to counts (either
 * may be NULL; each must have text_vocab_size columns). Returns 0;
 * SH_EINPUT (binary document, nothing appended); SH_EINVAL (a matrix has
 * the wrong width, nothing appended); SH_ENOMEM (tfidf may have received
 * its row while counts did not: discard both). */
int text_vectorize_append(text_vectorizer *vec, const char *text, size_t len,
                          sh_csr *tfidf, sh_csr *counts);

#endif
