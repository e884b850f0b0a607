/* corp_neardup.h — edited copies of documents, for near-duplicate tests.
 *
 * Words are maximal runs of bytes other than ASCII whitespace (so UTF-8
 * characters are never cut); the whitespace between them is kept as it
 * was unless changed on purpose. Editing a text of W words at rate r:
 *
 * 1. Word edits (these define the rate). E = round(r x W) distinct word
 *    positions of the original are drawn (at least 1 when r > 0 and W > 0).
 *    Each touched word gets exactly one edit, with equal chances: it is
 *    deleted, substituted by a different pool word (if 16 draws from the
 *    pool all give the same word, case aside, it is deleted instead), or a
 *    pool word is inserted just before it. The achieved rate, touched words / W, is
 *    E / W: the requested rate to within 1/(2W).
 * 2. Cosmetic edits (optional, not counted in the rate: a case-folding,
 *    whitespace-splitting tokenizer does not see them): round(E / 4) other
 *    untouched words change case (UPPER, lower or Capitalised), and
 *    round(E / 4) gaps between words change whitespace (a space doubled,
 *    made a newline or a tab; a line break made a space).
 * 3. A sentence swap (optional, not counted: it changes no word, only the
 *    order): when the edited text has two sentences or more, two of them,
 *    chosen at random, change places. A sentence ends at a word ending in
 *    '.', '!' or '?' (closing quotes and brackets aside) or at a blank line.
 *
 * Mail mode edits only the body: everything up to and including the first
 * blank line ("\n\n" or "\r\n\r\n") is copied unchanged and W counts the
 * body's words. A text with no blank line is all body.
 *
 * Pool words are words of the corpus: corp_pool_add_text collects, from
 * the texts it is given, the tokens that are 2 to 24 ASCII letters once
 * leading and trailing punctuation is removed, in lower case, repeats
 * included (so frequent words are drawn more often).
 */
#ifndef CORP_NEARDUP_H
#define CORP_NEARDUP_H

#include "corp_io.h"
#include "rng.h"

#include <stddef.h>

typedef struct {
    double rate;          /* share of the original's words touched, 0..1 */
    int mail;             /* edit only the body after the header block */
    int cosmetic;         /* add case and whitespace changes */
    int swap_sentences;   /* swap two sentences */
} corp_edit_opts;

typedef struct {
    size_t words;         /* W: words in the edited part of the original */
    size_t touched;       /* E: words touched by a word edit */
    size_t deleted, inserted, substituted;
    size_t recased, respaced;
    int swapped;          /* 1 if two sentences changed places */
} corp_edit_stats;

/* A bag of words for insertions and substitutions. Zero-initialise. */
typedef struct {
    corp_buf letters;     /* all words, concatenated */
    size_t *start;        /* [count + 1] offsets into letters */
    size_t count, cap;
} corp_word_pool;

/* Adds the usable words of text[0..len) (see above) to the pool. Returns
 * 0 or SH_ENOMEM (the pool keeps the words added before the failure). */
int corp_pool_add_text(corp_word_pool *pool, const char *text, size_t len);

/* Frees the pool's memory; accepts NULL. */
void corp_pool_free(corp_word_pool *pool);

/* Offset of the body in mail mode: just after the first blank line, or 0
 * when there is none. Cannot fail. */
size_t corp_mail_body(const char *text, size_t len);

/* Appends an edited copy of text[0..len) to out, drawing every choice
 * from rng; fills *stats if stats is non-NULL. Returns 0, SH_EINVAL for a
 * rate outside 0..1, SH_EEMPTY when words must be inserted or substituted
 * and the pool is empty, or SH_ENOMEM. out may hold part of a copy after a
 * failure. */
int corp_edit_text(const char *text, size_t len, const corp_edit_opts *opts,
                   const corp_word_pool *pool, sh_rng *rng, corp_buf *out,
                   corp_edit_stats *stats);

#endif
