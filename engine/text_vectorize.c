/* text_vectorize.c — counting vocabulary terms of one document and
 * weighting them. */
#include "text_vectorize.h"
#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct text_vectorizer {
    const text_vocab *vocab;
    text_tokenizer *tok;
    uint32_t *count_by_id; /* V entries, zero between documents */
    uint32_t *ids;         /* V entries: the distinct ids of this document */
    float *tfidf;          /* V entries */
    float *counts;         /* V entries */
    size_t n;
    text_token_fn tap;     /* during text_vectorize_row_tap, or NULL */
    void *tap_user;
};

int text_vectorizer_new(const text_vocab *vocab, text_vectorizer **out,
                        char *err, size_t err_len)
{
    size_t V = text_vocab_size(vocab);
    size_t cap = V ? V : 1;
    text_vectorizer *vec = calloc(1, sizeof(*vec));
    if (vec == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory creating a vectoriser");
    vec->vocab = vocab;
    int rc = text_tokenizer_new(text_vocab_config(vocab), &vec->tok, err, err_len);
    if (rc != 0)
        goto fail;
    vec->count_by_id = calloc(cap, sizeof(uint32_t));
    vec->ids = malloc(cap * sizeof(uint32_t));
    vec->tfidf = malloc(cap * sizeof(float));
    vec->counts = malloc(cap * sizeof(float));
    if (!vec->count_by_id || !vec->ids || !vec->tfidf || !vec->counts) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "out of memory creating a vectoriser");
        goto fail;
    }
    *out = vec;
    return 0;
fail:
    text_vectorizer_free(vec);
    return rc;
}

void text_vectorizer_free(text_vectorizer *vec)
{
    if (vec == NULL)
        return;
    text_tokenizer_free(vec->tok);
    free(vec->count_by_id);
    free(vec->ids);
    free(vec->tfidf);
    free(vec->counts);
    free(vec);
}

static int count_term(const char *token, size_t len, void *user)
{
    text_vectorizer *vec = user;
    if (vec->tap != NULL && vec->tap(token, len, vec->tap_user) != 0)
        return 1;
    int64_t id = text_vocab_find(vec->vocab, token, len);
    if (id < 0)
        return 0;
    if (vec->count_by_id[id]++ == 0)
        vec->ids[vec->n++] = (uint32_t)id;
    return 0;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int text_vectorize_row(text_vectorizer *vec, const char *text, size_t len,
                       const uint32_t **ids, const float **tfidf,
                       const float **counts, size_t *n)
{
    return text_vectorize_row_tap(vec, text, len, NULL, NULL, ids, tfidf, counts, n);
}

int text_vectorize_row_tap(text_vectorizer *vec, const char *text, size_t len,
                           text_token_fn tap, void *tap_user, const uint32_t **ids,
                           const float **tfidf, const float **counts, size_t *n)
{
    vec->n = 0;
    vec->tap = tap;
    vec->tap_user = tap_user;
    int rc = text_tokenize(vec->tok, text, len, count_term, vec);
    vec->tap = NULL;
    qsort(vec->ids, vec->n, sizeof(uint32_t), compare_u32);
    double norm2 = 0.0;
    for (size_t i = 0; i < vec->n; i++) {
        uint32_t id = vec->ids[i];
        uint32_t c = vec->count_by_id[id];
        vec->count_by_id[id] = 0; /* ready for the next document */
        double w = (1.0 + log((double)c)) * (double)text_vocab_idf(vec->vocab, id);
        vec->counts[i] = (float)c;
        vec->tfidf[i] = (float)w;
        norm2 += w * w;
    }
    if (rc != 0) {
        vec->n = 0;
        return rc;
    }
    if (norm2 > 0.0) {
        double inv = 1.0 / sqrt(norm2);
        for (size_t i = 0; i < vec->n; i++)
            vec->tfidf[i] = (float)(vec->tfidf[i] * inv);
    }
    if (ids)
        *ids = vec->ids;
    if (tfidf)
        *tfidf = vec->tfidf;
    if (counts)
        *counts = vec->counts;
    if (n)
        *n = vec->n;
    return 0;
}

int text_vectorize_append(text_vectorizer *vec, const char *text, size_t len,
                          sh_csr *tfidf, sh_csr *counts)
{
    size_t V = text_vocab_size(vec->vocab);
    if ((tfidf && tfidf->cols != V) || (counts && counts->cols != V))
        return SH_EINVAL;
    const uint32_t *ids;
    const float *w, *c;
    size_t n;
    int rc = text_vectorize_row(vec, text, len, &ids, &w, &c, &n);
    if (rc != 0)
        return rc;
    if (tfidf && (rc = csr_append_row(tfidf, n, ids, w)) != 0)
        return rc;
    if (counts && (rc = csr_append_row(counts, n, ids, c)) != 0)
        return rc;
    return 0;
}
