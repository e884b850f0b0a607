/* text_vectorize.c — counting vocabulary terms of one document and
 * weighting them. */
#include "text_vectorize.h"
#include "sh_error.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct text_vectorizer {
    const text_vocab *vocab;
    text_tokenizer *tok;
    uint32_t *count_by_id; /* V entries, zero between documents */
    uint32_t *ids;         /* V entries: the distinct ids of this document */
    uint32_t *sort_tmp;    /* V entries: scratch of sort_ids */
    int id_bytes;          /* bytes of the largest id (1..4): radix passes */
    float *tfidf;          /* V entries */
    float *counts;         /* V entries */
    size_t n;
    text_token_fn tap;     /* during text_vectorize_row_tap, or NULL */
    void *tap_user;
};

/* 1 + ln(c) for the small counts most terms have, computed once by the
 * same log() (so the weights are the same bits as computing it each time). */
#define TF_TABLE 64
static double tf_table[TF_TABLE];
static pthread_once_t tf_once = PTHREAD_ONCE_INIT;

static void fill_tf_table(void)
{
    for (int c = 1; c < TF_TABLE; c++)
        tf_table[c] = 1.0 + log((double)c);
}

static double term_weight(uint32_t c)
{
    return c < TF_TABLE ? tf_table[c] : 1.0 + log((double)c);
}

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
    vec->sort_tmp = malloc(cap * sizeof(uint32_t));
    vec->id_bytes = 1;
    while (vec->id_bytes < 4 && (cap - 1) >> (8 * vec->id_bytes) != 0)
        vec->id_bytes++;
    vec->tfidf = malloc(cap * sizeof(float));
    vec->counts = malloc(cap * sizeof(float));
    if (!vec->count_by_id || !vec->ids || !vec->sort_tmp || !vec->tfidf || !vec->counts) {
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
    free(vec->sort_tmp);
    free(vec->tfidf);
    free(vec->counts);
    free(vec);
}

text_tokenizer *text_vectorizer_tokenizer(text_vectorizer *vec)
{
    return vec->tok;
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

/* Sorts the document's distinct ids (vec->ids[0..n)) in increasing
 * order: insertion sort for a few, else a least-significant-digit radix
 * sort by bytes, one pass per byte of the largest possible id (2 for a
 * vocabulary of up to 65,536 terms). */
static void sort_ids(text_vectorizer *vec)
{
    uint32_t *a = vec->ids, *b = vec->sort_tmp;
    size_t n = vec->n;
    if (n <= 32) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > x; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    for (int pass = 0; pass < vec->id_bytes; pass++) {
        size_t count[257] = { 0 };
        int shift = 8 * pass;
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            b[count[(a[i] >> shift) & 0xff]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    if (a != vec->ids)
        memcpy(vec->ids, a, n * sizeof(uint32_t));
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
    pthread_once(&tf_once, fill_tf_table);
    vec->n = 0;
    vec->tap = tap;
    vec->tap_user = tap_user;
    int rc = text_tokenize(vec->tok, text, len, count_term, vec);
    vec->tap = NULL;
    sort_ids(vec);
    double norm2 = 0.0;
    for (size_t i = 0; i < vec->n; i++) {
        uint32_t id = vec->ids[i];
        uint32_t c = vec->count_by_id[id];
        vec->count_by_id[id] = 0; /* ready for the next document */
        double w = term_weight(c) * (double)text_vocab_idf(vec->vocab, id);
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
