/* text_tokenize.h — from UTF-8 text to normalised terms.
 *
 * The one tokenizer of semhash: training, indexing and querying all call
 * it with the options stored in the model, so a query is cut into terms
 * exactly as the indexed documents were.
 *
 * What a token is:
 *  - The text is read as UTF-8. Invalid bytes become U+FFFD (one per
 *    maximal invalid subsequence), which separates tokens; nothing
 *    crashes on any input. A document with a NUL byte is "binary" and is
 *    refused (SH_EINPUT) before any token is produced.
 *  - A token is a maximal run of letters, digits and combining marks
 *    (Unicode general categories L*, N*, M*). Format characters (Cf: soft
 *    hyphen, zero-width joiner) are ignored inside a run; everything else
 *    (spaces, punctuation, symbols, emoji) separates tokens. So "don't"
 *    gives "don" and "t", and an emoji is never a token.
 *  - Chinese and Japanese are written without spaces, so ideographs and
 *    kana (Han, Hiragana, Katakana) form runs of their own that give
 *    overlapping bigrams of characters: "日本語" gives "日本" and "本語";
 *    a lone character is a one-character token (dropped by the default
 *    min_token_len of 2). These runs have no length limit: they are
 *    processed in pieces, without losing the bigram across a cut. Korean
 *    (Hangul) is written with spaces and tokenised like Latin text. Thai,
 *    Lao, Khmer and Burmese, also written without spaces, are not
 *    segmented: their runs are usually longer than max_token_len.
 *  - Each run is normalised with utf8proc: NFKC with full case folding,
 *    default-ignorable code points removed. Composed and decomposed
 *    accents, full-width forms and ligatures therefore give the same
 *    token as their plain forms. If normalisation produces separators
 *    (e.g. "½" becomes "1⁄2"), the run is split again at them.
 *    Symbols that only NFKC turns into letters (™, ㎏, circled letters)
 *    are separators, not tokens.
 *  - Length limits are in code points after normalisation: shorter than
 *    min_token_len or longer than max_token_len, the token is dropped
 *    (never split). A raw run of more than 4 * max_token_len + 8 code
 *    points is dropped without being normalised.
 *  - Tokens made only of digits (category N*) are dropped unless
 *    numbers = 1. Stop words (text_stopwords.h) are dropped when
 *    stop_words = 1, matched before stemming. With stemming = 1 the token
 *    is then reduced by the Snowball English stemmer (libstemmer).
 *  - With email = 1 and a document that text_email_looks_like_mail, the
 *    document first goes through the mail filter (text_email.h).
 *
 * Memory: a tokenizer allocates its buffers once, sized by max_token_len;
 * tokenising a document allocates nothing (the stemmer may grow its own
 * small buffer), whatever the document's size, and the text is never
 * copied or normalised as a whole.
 *
 * Threads: a tokenizer holds scratch buffers and a stemmer; use one per
 * thread. Different tokenizers may run concurrently.
 */
#ifndef SH_TEXT_TOKENIZE_H
#define SH_TEXT_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct text_tokenizer text_tokenizer;

/* Called once per token, in text order. token points into the
 * tokenizer's scratch space: valid only during the call, not
 * NUL-terminated. Return 0 to continue, nonzero to stop tokenising (the
 * tokenize call then returns SH_ECANCEL). */
typedef int (*text_token_fn)(const char *token, size_t len, void *user);

/* Creates a tokenizer for the text options cfg (copied). Returns 0 and
 * *out (free with text_tokenizer_free); SH_ECONFIG if a length limit is
 * out of range (min_token_len 1..100, max_token_len min..1000), with a
 * message in err; SH_ENOMEM. On error *out is unchanged. */
int text_tokenizer_new(const sh_text_config *cfg, text_tokenizer **out,
                       char *err, size_t err_len);

/* Frees the tokenizer. Accepts NULL. */
void text_tokenizer_free(text_tokenizer *tok);

/* The options the tokenizer was created with. */
const sh_text_config *text_tokenizer_config(const text_tokenizer *tok);

/* Tokenises len bytes of text (need not be NUL-terminated), calling
 * fn(token, token_len, user) for each token. Returns 0; SH_EINPUT if the
 * text contains a NUL byte (no call made); SH_ECANCEL if fn returned
 * nonzero; SH_ENOMEM if the stemmer could not allocate (tokens before
 * that point were delivered). len 0 is an empty document: no call. */
int text_tokenize(text_tokenizer *tok, const char *text, size_t len,
                  text_token_fn fn, void *user);

/* Most bytes text_tokenizer_capture keeps. */
#define TEXT_CAPTURE_MAX 512

/* Makes every later text_tokenize call keep the first cap bytes (at most
 * TEXT_CAPTURE_MAX; 0, the default, keeps none) of what the mail filter
 * hands the scanner, less the text of headers other than the Subject
 * (text.email_headers all), for a caller that also wants the start of a mail's
 * readable text without filtering it a second time (the index's
 * snippets). Cannot fail. */
void text_tokenizer_capture(text_tokenizer *tok, size_t cap);

/* After text_tokenize: the kept bytes (owned by tok, valid until its next
 * call; *len of them, fewer than cap if the filtered text is shorter), or
 * NULL if the last text did not go through the mail filter (not a mail,
 * email off, a binary text) or nothing is kept. */
const char *text_tokenizer_captured(const text_tokenizer *tok, size_t *len);

/* A 64-bit digest of the document's token sequence: chained XXH64 over
 * the tokens (each hashed with the previous value as seed, starting from
 * 0; 0 for a document without tokens). Texts that differ only in case,
 * Unicode normal form, spacing, punctuation, stop words or mail markup
 * get the same digest: the key of the index's exact-duplicate table.
 * Returns 0 with *digest, or text_tokenize's errors (*digest unchanged). */
int text_digest(text_tokenizer *tok, const char *text, size_t len, uint64_t *digest);

#endif
