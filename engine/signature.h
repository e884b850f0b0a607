/* signature.h — the near-duplicate content signature of a document.
 *
 * A semantic code puts topically similar documents near each other, so a
 * Hamming ball holds many documents that are about the same thing without
 * being copies. This signature decides which candidates really are
 * near-duplicates: it estimates the Jaccard similarity of two documents'
 * sets of word shingles (pairs of consecutive tokens, as the tokenizer
 * gives them: normalised, stop words and short tokens already dropped; a
 * document of a single token has that token as its one shingle).
 *
 * The sketch is one-permutation MinHash (Li, Owen and Zhang, 2012) with
 * rotation densification (Shrivastava and Li, 2014): each shingle is
 * hashed once to 64 bits; the top bits pick one of SIG_BINS bins, the
 * bin keeps the minimum of the next 32 bits; an empty bin borrows the
 * value of the nearest non-empty bin to its right (circularly) plus an
 * offset per step. Each bin is stored as the low 16 bits of its minimum.
 * The fraction of equal bins estimates the Jaccard similarity J with a
 * standard deviation of about sqrt(J (1 - J) / SIG_BINS) (0.044 at J =
 * 0.5), plus a 2^-16 chance per bin of a false match. Cost: one hash per
 * token; no allocation.
 *
 * Stored form: SIG_BINS big-endian u16 values (SIG_BYTES bytes). A
 * document without any token has the all-0xFF signature (so two empty
 * documents compare as identical, and an empty one as unrelated to any
 * other, up to the 2^-16 chance per bin).
 *
 * It deliberately does not look at word order beyond pairs, nor at
 * anything the tokenizer dropped.
 */
#ifndef SH_SIGNATURE_H
#define SH_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "text_tokenize.h"

#define SIG_BINS 128
#define SIG_BYTES (2 * SIG_BINS)

/* The state of one signature being built. Plain data: keep it on the
 * stack; no free function. */
typedef struct {
    uint32_t min[SIG_BINS];   /* [SIG_BINS] minimum per bin, UINT32_MAX = empty */
    uint64_t prev;            /* hash of the previous token */
    uint64_t tokens;          /* tokens seen */
    uint64_t digest;          /* chained XXH64 of the tokens (= text_digest) */
} sig_state;

/* Starts an empty signature. Cannot fail. */
void sig_begin(sig_state *s);

/* Feeds the next token (len bytes). Cannot fail. */
void sig_add_token(sig_state *s, const char *token, size_t len);

/* sig_add_token as a token callback (text_token_fn): state is the
 * sig_state. Returns 0. For one tokenisation that feeds a signature and
 * something else (text_vectorize_row_tap). */
int sig_token_fn(const char *token, size_t len, void *state);

/* Writes the SIG_BYTES-byte signature into out. The state may be fed on
 * and finished again. Cannot fail. */
void sig_finish(const sig_state *s, uint8_t *out);

/* Tokenises text with tok and builds its signature into out (SIG_BYTES);
 * *tokens and *digest (either may be NULL) get the token count and the
 * text_digest value. Returns 0, or text_tokenize's errors (SH_EINPUT for
 * a binary document, SH_ENOMEM); out is then unspecified. */
int sig_text(text_tokenizer *tok, const char *text, size_t len, uint8_t *out,
             uint64_t *tokens, uint64_t *digest);

/* Estimated Jaccard similarity of the shingle sets behind two signatures
 * of SIG_BYTES bytes: the fraction of equal bins, in [0, 1]. Cannot fail. */
double sig_similarity(const uint8_t *a, const uint8_t *b);

#endif
