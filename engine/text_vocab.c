/* text_vocab.c — counting terms over a corpus and selecting the
 * vocabulary. Saving and loading live in text_vocab_io.c. */
#include "text_vocab.h"
#include "text_strtab.h"
#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct text_vocab_builder {
    text_strtab terms;
    uint32_t *df;        /* per term id: documents containing it */
    uint64_t *count;     /* per term id: total occurrences */
    uint64_t *last_doc;  /* per term id: 1 + index of the last document counting it */
    size_t cap;
    uint64_t n_docs;
    int status;          /* error inside the token callback */
};

struct text_vocab {
    sh_text_config cfg;
    text_strtab terms;   /* id order = vocabulary order */
    uint32_t *df;
    float *idf;
    uint64_t n_docs;
};

/* ---- building ------------------------------------------------------------- */

int text_vocab_builder_new(text_vocab_builder **out)
{
    text_vocab_builder *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return SH_ENOMEM;
    if (text_strtab_init(&b->terms) != 0) {
        text_vocab_builder_free(b);
        return SH_ENOMEM;
    }
    *out = b;
    return 0;
}

void text_vocab_builder_free(text_vocab_builder *b)
{
    if (b == NULL)
        return;
    text_strtab_free(&b->terms);
    free(b->df);
    free(b->count);
    free(b->last_doc);
    free(b);
}

static int grow_counts(text_vocab_builder *b)
{
    size_t n = b->cap ? b->cap * 2 : 1024;
    uint32_t *df = realloc(b->df, n * sizeof(*df));
    if (df == NULL)
        return SH_ENOMEM;
    b->df = df;
    uint64_t *count = realloc(b->count, n * sizeof(*count));
    if (count == NULL)
        return SH_ENOMEM;
    b->count = count;
    uint64_t *last = realloc(b->last_doc, n * sizeof(*last));
    if (last == NULL)
        return SH_ENOMEM;
    b->last_doc = last;
    b->cap = n;
    return 0;
}

static int count_token(const char *token, size_t len, void *user)
{
    text_vocab_builder *b = user;
    uint32_t id;
    int added;
    int rc = text_strtab_intern(&b->terms, token, len, &id, &added);
    if (rc == 0 && added && id >= b->cap)
        rc = grow_counts(b);
    if (rc != 0) {
        b->status = rc;
        return 1;
    }
    if (added) {
        b->df[id] = 0;
        b->count[id] = 0;
        b->last_doc[id] = 0;
    }
    uint64_t doc = b->n_docs + 1;
    if (b->last_doc[id] != doc) {
        b->last_doc[id] = doc;
        b->df[id]++;
    }
    b->count[id]++;
    return 0;
}

int text_vocab_builder_add(text_vocab_builder *b, text_tokenizer *tok,
                           const char *text, size_t len)
{
    b->status = 0;
    int rc = text_tokenize(tok, text, len, count_token, b);
    if (rc == SH_ECANCEL)
        rc = b->status;
    if (rc != 0)
        return rc;
    b->n_docs++;
    return 0;
}

uint64_t text_vocab_builder_docs(const text_vocab_builder *b)
{
    return b->n_docs;
}

size_t text_vocab_builder_terms(const text_vocab_builder *b)
{
    return b->terms.count;
}

/* Sorting candidates: df descending, then bytes ascending. */
typedef struct {
    const text_strtab *terms;
    const uint32_t *df;
} order_ctx;

static int compare_terms(const void *pa, const void *pb, void *arg)
{
    const order_ctx *ctx = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (ctx->df[a] != ctx->df[b])
        return ctx->df[a] > ctx->df[b] ? -1 : 1;
    size_t la, lb;
    const char *sa = text_strtab_get(ctx->terms, a, &la);
    const char *sb = text_strtab_get(ctx->terms, b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c != 0)
        return c;
    return (la > lb) - (la < lb);
}

static int vocab_alloc(const sh_text_config *cfg, uint64_t n_docs, size_t n_terms,
                       text_vocab **out)
{
    text_vocab *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return SH_ENOMEM;
    v->cfg = *cfg;
    v->n_docs = n_docs;
    v->df = malloc((n_terms ? n_terms : 1) * sizeof(*v->df));
    v->idf = malloc((n_terms ? n_terms : 1) * sizeof(*v->idf));
    if (text_strtab_init(&v->terms) != 0 || v->df == NULL || v->idf == NULL) {
        text_vocab_free(v);
        return SH_ENOMEM;
    }
    *out = v;
    return 0;
}

/* Appends a term with its df; computes its idf. */
static int vocab_push(text_vocab *v, const char *term, size_t len, uint32_t df)
{
    uint32_t id;
    int added;
    int rc = text_strtab_intern(&v->terms, term, len, &id, &added);
    if (rc != 0)
        return rc;
    if (!added)
        return SH_EFORMAT;
    v->df[id] = df;
    v->idf[id] = (float)(log((1.0 + (double)v->n_docs) / (1.0 + (double)df)) + 1.0);
    return 0;
}

int text_vocab_builder_finish(const text_vocab_builder *b, const sh_text_config *cfg,
                              text_vocab **out, char *err, size_t err_len)
{
    if (cfg->vocab_size < 1 || cfg->min_df < 1 || !(cfg->max_df > 0.0 && cfg->max_df <= 1.0))
        return sh_fail(err, err_len, SH_ECONFIG,
                       "text options: vocab_size %d, min_df %d, max_df %g: need vocab_size >= 1, "
                       "min_df >= 1 and 0 < max_df <= 1",
                       cfg->vocab_size, cfg->min_df, cfg->max_df);
    if (b->n_docs == 0)
        return sh_fail(err, err_len, SH_EEMPTY, "no documents to build a vocabulary from");
    size_t n = b->terms.count;
    uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));
    if (ids == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory selecting the vocabulary");
    size_t kept = 0;
    double max_count = cfg->max_df * (double)b->n_docs;
    for (size_t id = 0; id < n; id++) {
        uint32_t df = b->df[id];
        if (df >= (uint32_t)cfg->min_df && (double)df <= max_count + 1e-9)
            ids[kept++] = (uint32_t)id;
    }
    if (kept == 0) {
        free(ids);
        return sh_fail(err, err_len, SH_EEMPTY,
                       "no term occurs in at least min_df = %d and at most max_df = %g of "
                       "the %llu documents (%zu distinct terms seen): lower text.min_df "
                       "or raise text.max_df",
                       cfg->min_df, cfg->max_df, (unsigned long long)b->n_docs, n);
    }
    order_ctx ctx = { &b->terms, b->df };
    qsort_r(ids, kept, sizeof(*ids), compare_terms, &ctx);
    if (kept > (size_t)cfg->vocab_size)
        kept = (size_t)cfg->vocab_size;
    text_vocab *v = NULL;
    int rc = vocab_alloc(cfg, b->n_docs, kept, &v);
    for (size_t i = 0; rc == 0 && i < kept; i++) {
        size_t len;
        const char *term = text_strtab_get(&b->terms, ids[i], &len);
        rc = vocab_push(v, term, len, b->df[ids[i]]);
    }
    free(ids);
    if (rc != 0) {
        text_vocab_free(v);
        return sh_fail(err, err_len, rc, "out of memory building the vocabulary");
    }
    *out = v;
    return 0;
}

int text_vocab_from_terms(const sh_text_config *cfg, uint64_t n_docs, size_t n_terms,
                          const char *const *terms, const size_t *lens,
                          const uint32_t *dfs, text_vocab **out,
                          char *err, size_t err_len)
{
    text_vocab *v = NULL;
    int rc = vocab_alloc(cfg, n_docs, n_terms, &v);
    if (rc != 0)
        return sh_fail(err, err_len, rc, "out of memory loading the vocabulary");
    for (size_t i = 0; i < n_terms; i++) {
        if (lens[i] == 0 || dfs[i] == 0 || dfs[i] > n_docs) {
            text_vocab_free(v);
            return sh_fail(err, err_len, SH_EFORMAT,
                           "vocabulary term %zu: empty term or df %u outside 1..%llu",
                           i, dfs[i], (unsigned long long)n_docs);
        }
        rc = vocab_push(v, terms[i], lens[i], dfs[i]);
        if (rc != 0) {
            text_vocab_free(v);
            return sh_fail(err, err_len, rc, rc == SH_EFORMAT
                           ? "vocabulary term %zu appears twice" : "out of memory at term %zu", i);
        }
    }
    *out = v;
    return 0;
}

/* ---- using ----------------------------------------------------------------- */

size_t text_vocab_size(const text_vocab *v)
{
    return v->terms.count;
}

uint64_t text_vocab_docs(const text_vocab *v)
{
    return v->n_docs;
}

const sh_text_config *text_vocab_config(const text_vocab *v)
{
    return &v->cfg;
}

int64_t text_vocab_find(const text_vocab *v, const char *term, size_t len)
{
    uint32_t id;
    if (text_strtab_find(&v->terms, term, len, &id) != 0)
        return -1;
    return id;
}

const char *text_vocab_term(const text_vocab *v, uint32_t id, size_t *len)
{
    return text_strtab_get(&v->terms, id, len);
}

uint32_t text_vocab_df(const text_vocab *v, uint32_t id)
{
    return v->df[id];
}

float text_vocab_idf(const text_vocab *v, uint32_t id)
{
    return v->idf[id];
}

void text_vocab_free(text_vocab *v)
{
    if (v == NULL)
        return;
    text_strtab_free(&v->terms);
    free(v->df);
    free(v->idf);
    free(v);
}
