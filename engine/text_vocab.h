/* text_vocab.h — the vocabulary: which terms a model knows, their ids,
 * document frequencies and idf weights.
 *
 * Built in one streaming pass: a builder tokenises each document and
 * counts, per distinct term, the documents it occurs in (df, once per
 * document) and its total occurrences. Finishing keeps the terms with
 *     df >= min_df  and  df <= max_df * N      (N = documents added)
 * and, of those, the vocab_size with the highest df. Ids follow a
 * deterministic order: df descending, then term bytes ascending (a term
 * that is a prefix of another comes first). The same documents in any
 * order therefore give the same vocabulary and ids.
 *
 * idf(t) = ln((1 + N) / (1 + df(t))) + 1   (smoothed; always >= 1).
 *
 * The vocabulary also keeps a copy of the text options it was built with,
 * so that vectorising later (text_vectorize.h) tokenises identically. It
 * is written into and read from a model file (text_vocab_write /
 * text_vocab_read, in text_vocab_io.c) as two sections: "TXTC" (the text
 * options) and "VOCB" (N, then each term with its df, in id order).
 *
 * A finished vocabulary is immutable: concurrent readers are safe.
 */
#ifndef SH_TEXT_VOCAB_H
#define SH_TEXT_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "text_tokenize.h"

typedef struct text_vocab text_vocab;
typedef struct text_vocab_builder text_vocab_builder;

/* ---- building ------------------------------------------------------------ */

/* A new, empty builder. Returns 0 and *out (free with
 * text_vocab_builder_free) or SH_ENOMEM (*out unchanged). */
int text_vocab_builder_new(text_vocab_builder **out);

/* Tokenises one document with tok and counts its terms. Returns 0;
 * SH_EINPUT for a binary document (a NUL byte: nothing counted, the
 * document is not added, the caller decides whether to skip it);
 * SH_ENOMEM (the builder may then hold a partly counted document: give
 * up on it). */
int text_vocab_builder_add(text_vocab_builder *b, text_tokenizer *tok,
                           const char *text, size_t len);

/* Documents added so far and distinct terms seen. */
uint64_t text_vocab_builder_docs(const text_vocab_builder *b);
size_t text_vocab_builder_terms(const text_vocab_builder *b);

/* Selects the vocabulary as described above, using cfg's vocab_size,
 * min_df and max_df, and records cfg in it. The builder is left as it
 * was. Returns 0 and *out (free with text_vocab_free); SH_ECONFIG for
 * vocab_size < 1, min_df < 1 or max_df outside (0, 1]; SH_EEMPTY if no
 * documents were added or no term survives the filters (the message says
 * which and suggests lowering min_df); SH_ENOMEM. */
int text_vocab_builder_finish(const text_vocab_builder *b, const sh_text_config *cfg,
                              text_vocab **out, char *err, size_t err_len);

/* Frees the builder. Accepts NULL. */
void text_vocab_builder_free(text_vocab_builder *b);

/* ---- using ------------------------------------------------------------- */

/* Number of terms (the width V of vectors). */
size_t text_vocab_size(const text_vocab *v);

/* Number of documents the vocabulary was counted on (N). */
uint64_t text_vocab_docs(const text_vocab *v);

/* The text options recorded with the vocabulary. */
const sh_text_config *text_vocab_config(const text_vocab *v);

/* The id of a term, or -1 if it is not in the vocabulary. */
int64_t text_vocab_find(const text_vocab *v, const char *term, size_t len);

/* Term id's bytes (NUL-terminated, owned by v) and length (len may be
 * NULL); its df; its idf. id must be < text_vocab_size(v). */
const char *text_vocab_term(const text_vocab *v, uint32_t id, size_t *len);
uint32_t text_vocab_df(const text_vocab *v, uint32_t id);
float text_vocab_idf(const text_vocab *v, uint32_t id);

/* Frees the vocabulary. Accepts NULL. */
void text_vocab_free(text_vocab *v);

/* Builds a vocabulary directly from terms and dfs (in id order) and N, as
 * read back from a file. Terms must be distinct and non-empty, dfs between
 * 1 and N. Returns 0 and *out, SH_EFORMAT (with a message) or SH_ENOMEM. */
int text_vocab_from_terms(const sh_text_config *cfg, uint64_t n_docs, size_t n_terms,
                          const char *const *terms, const size_t *lens,
                          const uint32_t *dfs, text_vocab **out,
                          char *err, size_t err_len);

/* ---- model files (text_vocab_io.c; needs engine/modelfile.h) ------------ */

struct mf_writer;
struct mf_model;

/* Appends the "TXTC" and "VOCB" sections for v. Returns 0 or SH_ENOMEM. */
int text_vocab_write(const text_vocab *v, struct mf_writer *w);

/* Reads both sections from a model. Returns 0 and *out; SH_ENOTFOUND if
 * the model has no vocabulary; SH_EFORMAT / SH_ETRUNC for a damaged
 * section (message names the model's label); SH_ENOMEM. */
int text_vocab_read(const struct mf_model *m, text_vocab **out, char *err, size_t err_len);

#endif
