/* corp_synth.h — a seeded synthetic corpus from a topic model with Zipf
 * vocabularies, for scale tests (any number of documents, constant memory).
 *
 * The model (all of it drawn from the seed):
 * - V invented words ("bafo", "kirumeda", ...): word id i is spelled by
 *   writing i in base 80 with consonant-vowel syllables (2 syllables for the
 *   first 6,400 ids, 3 for the next 512,000, ...), so all words are
 *   distinct lowercase ASCII letters and need no JSON escaping.
 * - One Zipf distribution over ranks, P(rank r) proportional to
 *   1/(r+1)^s, r = 0..V-1, sampled in O(1) by an alias table.
 * - A background "topic" that maps rank r to word r (short words are the
 *   frequent ones, like function words), and T topics, each mapping ranks
 *   to words through its own seeded shuffle of the vocabulary.
 * - Document i has its own generator seeded from (seed, i), so it is the
 *   same whatever the count, and any document can be made alone. It mixes
 *   1 (p 0.4), 2 (p 0.35) or 3 (p 0.25) distinct topics: the dominant one,
 *   uniform over T, has weight 1, each other one a weight uniform in
 *   [0.15, 0.6), normalised; each word comes from the background with
 *   probability `background`, otherwise from a topic chosen by weight.
 *   The label is the dominant topic. The length is log-normal (median
 *   `median_words`, sigma `length_sigma`) clamped to [min_words,
 *   max_words]; the words are cut into sentences of 5 to 15 words.
 * - Split: documents of each label are taken in blocks of `test_every`
 *   (in order of generation); one seeded position in each block is test,
 *   the others train. Each label's test share is exactly 1/test_every up
 *   to one document, without holding anything per document.
 *
 * Memory is fixed when the generator is opened: words, alias table, T
 * shuffles of V word ids (4 x T x V bytes), one document's words, and a
 * few numbers per topic. corp_synth_memory() reports it.
 */
#ifndef CORP_SYNTH_H
#define CORP_SYNTH_H

#include "corp_io.h"

#include <stddef.h>
#include <stdint.h>

#define CORP_SYNTH_MAX_MIX 3
#define CORP_SYNTH_MAX_TABLE (UINT64_C(1) << 27) /* topics x vocab entries */

typedef struct {
    uint64_t seed;
    uint32_t topics;       /* T, 1..100000 (default 20) */
    uint32_t vocab;        /* V, 10..50,000,000 (default 20000) */
    double zipf_exponent;  /* s, in (0, 4] (default 1.05) */
    double median_words;   /* median document length (default 60) */
    double length_sigma;   /* sigma of log length, 0..3 (default 0.5) */
    uint32_t min_words;    /* at least 1 (default 5) */
    uint32_t max_words;    /* at least min_words, at most 1,000,000 (default 2000) */
    double background;     /* share of background words, [0, 1) (default 0.3) */
    uint32_t test_every;   /* one test document per this many of a label,
                              2..1000 (default 5: an 80/20 split) */
} corp_synth_opts;

/* One generated document; words and counts belong to the generator and
 * change at the next corp_synth_next. */
typedef struct {
    uint64_t index;                        /* 0-based number of the document */
    uint32_t label;                        /* the dominant topic == topics[0] */
    uint32_t n_topics;                     /* 1..3 */
    uint32_t topics[CORP_SYNTH_MAX_MIX];   /* distinct; topics[0] dominant */
    double weights[CORP_SYNTH_MAX_MIX];    /* normalised; weights[0] largest */
    uint32_t drawn[CORP_SYNTH_MAX_MIX];    /* words drawn from each topic */
    uint32_t n_words;                      /* background words included */
    const uint32_t *words;                 /* [n_words] word ids */
    const unsigned char *ends_sentence;    /* [n_words] 1 after a sentence's last word */
    int is_test;
} corp_synth_doc;

typedef struct corp_synth corp_synth;

/* Fills opts with the defaults above and seed 1. Cannot fail. */
void corp_synth_defaults(corp_synth_opts *opts);

/* Builds the model. Returns 0 with *out set (close with
 * corp_synth_close), SH_EINVAL for an option out of range (message says
 * which) or SH_ENOMEM; on failure *out is NULL and nothing needs closing. */
int corp_synth_open(const corp_synth_opts *opts, corp_synth **out, char *err, size_t err_len);

/* Frees everything; accepts NULL. */
void corp_synth_close(corp_synth *g);

/* Generates the next document (numbers 0, 1, 2, ... in turn) into *doc.
 * Cannot fail. */
void corp_synth_next(corp_synth *g, corp_synth_doc *doc);

/* Appends doc as one JSON line (with '\n'):
 *   {"id":"syn-00000042","text":"...","labels":["topic-07"],"split":"train"}
 * Returns 0 or SH_ENOMEM. */
int corp_synth_format(const corp_synth *g, const corp_synth_doc *doc, corp_buf *out);

/* The spelling of word id (not NUL-terminated; *len set). id < V. */
const char *corp_synth_word(const corp_synth *g, uint32_t id, size_t *len);

/* The word at Zipf rank `rank` of topic t (t == T means the background).
 * Both must be in range. */
uint32_t corp_synth_topic_word(const corp_synth *g, uint32_t t, uint32_t rank);

/* Writes the label of topic t ("topic-07"; zero-padded to the width of
 * T-1, at least 2 digits) into buf (cap >= 16). Returns its length. */
size_t corp_synth_label(const corp_synth *g, uint32_t t, char *buf, size_t cap);

/* Bytes allocated by the generator; fixed from open to close. */
size_t corp_synth_memory(const corp_synth *g);

#endif
