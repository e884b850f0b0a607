/* corp_synth.c — the synthetic topic-model corpus; see corp_synth.h.
 *
 * Dimension letters: V vocabulary size, T topics, L document length. */
#include "corp_synth.h"

#include "rng.h"
#include "sh_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SYNTH_SYLLABLES 80 /* 16 consonants x 5 vowels */

static const char synth_consonants[] = "bdfghjklmnprstvz";
static const char synth_vowels[] = "aeiou";

struct corp_synth {
    corp_synth_opts o;
    size_t memory;            /* bytes allocated below */
    char *spell;              /* all spellings, concatenated */
    uint64_t *spell_off;      /* [V+1] start of word i in spell */
    uint32_t *alias_prob;     /* [V] accept threshold out of 2^32 */
    uint32_t *alias_other;    /* [V] the alias of each column */
    uint32_t *perm;           /* [T][V] rank -> word id, per topic */
    uint32_t *doc_words;      /* [max_words] */
    unsigned char *doc_ends;  /* [max_words] */
    uint64_t *label_count;    /* [T] documents of each label so far */
    uint32_t *label_slot;     /* [T] test position in the current block */
    uint64_t next_index;
    size_t longest_word;      /* letters in the longest spelling */
    int label_width;
};

void corp_synth_defaults(corp_synth_opts *opts)
{
    opts->seed = 1;
    opts->topics = 20;
    opts->vocab = 20000;
    opts->zipf_exponent = 1.05;
    opts->median_words = 60;
    opts->length_sigma = 0.5;
    opts->min_words = 5;
    opts->max_words = 2000;
    opts->background = 0.3;
    opts->test_every = 5;
}

static int synth_check(const corp_synth_opts *o, char *err, size_t err_len)
{
    if (o->topics < 1 || o->topics > 100000)
        return sh_fail(err, err_len, SH_EINVAL, "topics must be in 1..100000, not %u", o->topics);
    if (o->vocab < 10 || o->vocab > 50000000)
        return sh_fail(err, err_len, SH_EINVAL, "vocabulary must be in 10..50000000, not %u",
                       o->vocab);
    if ((uint64_t)o->topics * o->vocab > CORP_SYNTH_MAX_TABLE)
        return sh_fail(err, err_len, SH_EINVAL,
                       "topics x vocabulary must be at most %llu (the topic tables take 4 bytes "
                       "per entry); use fewer topics or a smaller vocabulary",
                       (unsigned long long)CORP_SYNTH_MAX_TABLE);
    if (!(o->zipf_exponent > 0 && o->zipf_exponent <= 4))
        return sh_fail(err, err_len, SH_EINVAL, "zipf exponent must be in (0, 4]");
    if (o->min_words < 1 || o->max_words < o->min_words || o->max_words > 1000000)
        return sh_fail(err, err_len, SH_EINVAL,
                       "need 1 <= min_words <= max_words <= 1000000 (got %u, %u)", o->min_words,
                       o->max_words);
    if (!(o->median_words >= 1 && o->median_words <= 1e6))
        return sh_fail(err, err_len, SH_EINVAL, "median words must be in 1..1000000");
    if (!(o->length_sigma >= 0 && o->length_sigma <= 3))
        return sh_fail(err, err_len, SH_EINVAL, "length sigma must be in 0..3");
    if (!(o->background >= 0 && o->background < 1))
        return sh_fail(err, err_len, SH_EINVAL, "background share must be in [0, 1)");
    if (o->test_every < 2 || o->test_every > 1000)
        return sh_fail(err, err_len, SH_EINVAL, "test_every must be in 2..1000");
    return 0;
}

/* Number of syllables of word id (2, 3, ...) and its number among the
 * words of that many syllables, scrambled by a bijection of that block
 * (multiplier coprime to 80) so that neighbouring ids look unrelated. */
static int synth_syllables(uint64_t id, uint64_t *within)
{
    uint64_t block = (uint64_t)SYNTH_SYLLABLES * SYNTH_SYLLABLES;
    int n = 2;
    while (id >= block) {
        id -= block;
        block *= SYNTH_SYLLABLES;
        n++;
    }
    *within = (id * UINT64_C(2654435761) + 12345) % block;
    return n;
}

static int synth_build_words(corp_synth *g)
{
    uint32_t V = g->o.vocab;
    size_t total = 0;
    for (uint32_t i = 0; i < V; i++) {
        uint64_t within;
        total += 2 * (size_t)synth_syllables(i, &within);
    }
    g->spell = malloc(total);
    g->spell_off = malloc(((size_t)V + 1) * sizeof *g->spell_off);
    if (!g->spell || !g->spell_off)
        return SH_ENOMEM;
    g->memory += total + ((size_t)V + 1) * sizeof *g->spell_off;
    size_t pos = 0;
    for (uint32_t i = 0; i < V; i++) {
        uint64_t within;
        int n = synth_syllables(i, &within);
        g->spell_off[i] = pos;
        for (int k = n - 1; k >= 0; k--) {
            unsigned d = (unsigned)(within % SYNTH_SYLLABLES);
            within /= SYNTH_SYLLABLES;
            g->spell[pos + 2 * (size_t)k] = synth_consonants[d / 5];
            g->spell[pos + 2 * (size_t)k + 1] = synth_vowels[d % 5];
        }
        pos += 2 * (size_t)n;
    }
    g->spell_off[V] = pos;
    uint64_t within;
    g->longest_word = 2 * (size_t)synth_syllables(V - 1, &within);
    return 0;
}

/* Walker/Vose alias table for P(r) proportional to 1/(r+1)^s. */
static int synth_build_alias(corp_synth *g)
{
    uint32_t V = g->o.vocab;
    int rc = SH_ENOMEM;
    double *scaled = malloc((size_t)V * sizeof *scaled);
    uint32_t *small = malloc((size_t)V * sizeof *small);
    uint32_t *large = malloc((size_t)V * sizeof *large);
    g->alias_prob = malloc((size_t)V * sizeof *g->alias_prob);
    g->alias_other = malloc((size_t)V * sizeof *g->alias_other);
    if (!scaled || !small || !large || !g->alias_prob || !g->alias_other)
        goto fail;
    g->memory += (size_t)V * (sizeof *g->alias_prob + sizeof *g->alias_other);

    double sum = 0;
    for (uint32_t r = 0; r < V; r++) {
        scaled[r] = pow((double)r + 1.0, -g->o.zipf_exponent);
        sum += scaled[r];
    }
    size_t n_small = 0, n_large = 0;
    for (uint32_t r = 0; r < V; r++) {
        scaled[r] *= (double)V / sum;
        if (scaled[r] < 1.0)
            small[n_small++] = r;
        else
            large[n_large++] = r;
    }
    while (n_small && n_large) {
        uint32_t s = small[--n_small], l = large[n_large - 1];
        g->alias_prob[s] = (uint32_t)(scaled[s] * 4294967296.0);
        g->alias_other[s] = l;
        scaled[l] -= 1.0 - scaled[s];
        if (scaled[l] < 1.0) {
            n_large--;
            small[n_small++] = l;
        }
    }
    /* What is left has probability 1 up to rounding: its alias is itself. */
    while (n_large) {
        uint32_t l = large[--n_large];
        g->alias_prob[l] = UINT32_MAX;
        g->alias_other[l] = l;
    }
    while (n_small) {
        uint32_t s = small[--n_small];
        g->alias_prob[s] = UINT32_MAX;
        g->alias_other[s] = s;
    }
    rc = 0;
fail:
    free(scaled);
    free(small);
    free(large);
    return rc;
}

int corp_synth_open(const corp_synth_opts *opts, corp_synth **out, char *err, size_t err_len)
{
    *out = NULL;
    int rc = synth_check(opts, err, err_len);
    if (rc)
        return rc;
    corp_synth *g = calloc(1, sizeof *g);
    if (!g)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    g->o = *opts;
    g->memory = sizeof *g;
    uint32_t V = opts->vocab, T = opts->topics;
    rc = synth_build_words(g);
    if (rc == 0)
        rc = synth_build_alias(g);
    if (rc)
        goto fail;
    rc = SH_ENOMEM;
    g->perm = malloc((size_t)T * V * sizeof *g->perm);
    g->doc_words = malloc((size_t)opts->max_words * sizeof *g->doc_words);
    g->doc_ends = malloc(opts->max_words);
    g->label_count = calloc(T, sizeof *g->label_count);
    g->label_slot = calloc(T, sizeof *g->label_slot);
    if (!g->perm || !g->doc_words || !g->doc_ends || !g->label_count || !g->label_slot)
        goto fail;
    g->memory += (size_t)T * V * sizeof *g->perm +
                 (size_t)opts->max_words * (sizeof *g->doc_words + 1) +
                 (size_t)T * (sizeof *g->label_count + sizeof *g->label_slot);

    sh_rng rng;
    rng_seed(&rng, XXH64("corp_synth topics", 17, opts->seed));
    for (uint32_t t = 0; t < T; t++) {
        uint32_t *p = g->perm + (size_t)t * V;
        for (uint32_t i = 0; i < V; i++)
            p[i] = i;
        rng_shuffle_u32(&rng, p, V);
    }
    g->label_width = 2;
    for (uint32_t x = T - 1; x >= 100; x /= 10)
        g->label_width++;
    *out = g;
    return 0;
fail:
    corp_synth_close(g);
    return sh_fail(err, err_len, rc, "out of memory building a model of %u topics x %u words",
                   T, V);
}

void corp_synth_close(corp_synth *g)
{
    if (!g)
        return;
    free(g->spell);
    free(g->spell_off);
    free(g->alias_prob);
    free(g->alias_other);
    free(g->perm);
    free(g->doc_words);
    free(g->doc_ends);
    free(g->label_count);
    free(g->label_slot);
    free(g);
}

static double synth_unit(sh_rng *rng)
{
    return (double)(rng_u64(rng) >> 11) * 0x1.0p-53;
}

void corp_synth_next(corp_synth *g, corp_synth_doc *doc)
{
    const corp_synth_opts *o = &g->o;
    uint32_t V = o->vocab, T = o->topics;
    sh_rng rng;
    rng_seed(&rng, corp_seed_key(g->next_index, 0, o->seed));
    memset(doc, 0, sizeof *doc);
    doc->index = g->next_index++;

    /* The topic mixture: dominant first, weight 1; others lighter. */
    double u = synth_unit(&rng);
    uint32_t k = u < 0.4 ? 1 : u < 0.75 ? 2 : 3;
    if (k > T)
        k = T;
    doc->n_topics = k;
    double total = 0;
    for (uint32_t j = 0; j < k; j++) {
        uint32_t t;
        int fresh;
        do {
            t = (uint32_t)rng_below(&rng, T);
            fresh = 1;
            for (uint32_t m = 0; m < j; m++)
                fresh &= doc->topics[m] != t;
        } while (!fresh);
        doc->topics[j] = t;
        doc->weights[j] = j == 0 ? 1.0 : 0.15 + 0.45 * synth_unit(&rng);
        total += doc->weights[j];
    }
    for (uint32_t j = 0; j < k; j++)
        doc->weights[j] /= total;
    doc->label = doc->topics[0];

    /* Length, then the words: background or a topic, then a Zipf rank. */
    double len = exp(log(o->median_words) + o->length_sigma * (double)rng_normal(&rng));
    uint32_t n = len >= (double)o->max_words ? o->max_words
               : len <= (double)o->min_words ? o->min_words
               : (uint32_t)(len + 0.5);
    doc->n_words = n;
    /* Integer thresholds on one 64-bit draw: below bg_cut the word is
     * background; otherwise the first topic j with draw < cut[j]. */
    const double two64 = 18446744073709551616.0;
    uint64_t bg_cut = (uint64_t)(o->background * two64);
    uint64_t cut[CORP_SYNTH_MAX_MIX];
    double acc = o->background;
    for (uint32_t j = 0; j < k; j++) {
        acc += (1.0 - o->background) * doc->weights[j];
        cut[j] = j + 1 == k || acc >= 1.0 ? UINT64_MAX : (uint64_t)(acc * two64);
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t c = rng_u64(&rng), r = rng_u64(&rng);
        uint32_t col = (uint32_t)(((r >> 32) * (uint64_t)V) >> 32);
        uint32_t rank = (uint32_t)r < g->alias_prob[col] ? col : g->alias_other[col];
        if (c < bg_cut) {
            g->doc_words[i] = rank;
            continue;
        }
        uint32_t j = 0;
        while (j + 1 < k && c >= cut[j])
            j++;
        doc->drawn[j]++;
        g->doc_words[i] = g->perm[(size_t)doc->topics[j] * V + rank];
    }
    memset(g->doc_ends, 0, n);
    for (uint32_t start = 0; start < n;) {
        uint32_t s = 5 + (uint32_t)rng_below(&rng, 11);
        start = start + s < n ? start + s : n;
        g->doc_ends[start - 1] = 1;
    }
    doc->words = g->doc_words;
    doc->ends_sentence = g->doc_ends;

    /* Split: one seeded test position per block of test_every of a label. */
    uint32_t B = o->test_every;
    uint64_t seen = g->label_count[doc->label]++;
    if (seen % B == 0) {
        sh_rng block;
        rng_seed(&block, corp_seed_key(doc->label, seen / B, o->seed ^ 0x5eed5eed5eed5eedULL));
        g->label_slot[doc->label] = (uint32_t)rng_below(&block, B);
    }
    doc->is_test = seen % B == g->label_slot[doc->label];
}

const char *corp_synth_word(const corp_synth *g, uint32_t id, size_t *len)
{
    *len = (size_t)(g->spell_off[id + 1] - g->spell_off[id]);
    return g->spell + g->spell_off[id];
}

uint32_t corp_synth_topic_word(const corp_synth *g, uint32_t t, uint32_t rank)
{
    return t == g->o.topics ? rank : g->perm[(size_t)t * g->o.vocab + rank];
}

size_t corp_synth_label(const corp_synth *g, uint32_t t, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "topic-%0*u", g->label_width, t);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t corp_synth_memory(const corp_synth *g)
{
    return g->memory;
}

int corp_synth_format(const corp_synth *g, const corp_synth_doc *doc, corp_buf *out)
{
    char label[32];
    corp_synth_label(g, doc->label, label, sizeof label);
    size_t need = (size_t)doc->n_words * (g->longest_word + 3) + 160;
    if (corp_buf_reserve(out, need) != 0)
        return SH_ENOMEM;
    char *p = out->data + out->len;
    p += sprintf(p, "{\"id\":\"syn-%08llu\",\"text\":\"", (unsigned long long)doc->index);
    int sentence_start = 1;
    for (uint32_t i = 0; i < doc->n_words; i++) {
        size_t len;
        const char *w = corp_synth_word(g, doc->words[i], &len);
        memcpy(p, w, len);
        if (sentence_start)
            *p -= 'a' - 'A';
        p += len;
        sentence_start = doc->ends_sentence[i];
        if (sentence_start)
            *p++ = '.';
        if (i + 1 < doc->n_words)
            *p++ = ' ';
    }
    p += sprintf(p, "\",\"labels\":[\"%s\"],\"split\":\"%s\"}\n", label,
                 doc->is_test ? "test" : "train");
    out->len = (size_t)(p - out->data);
    return 0;
}
