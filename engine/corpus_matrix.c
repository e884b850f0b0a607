/* corpus_matrix.c — vocabulary and vectors for a whole corpus. */
#include "corpus_matrix.h"
#include "text_vectorize.h"
#include "sh_error.h"

#include <stdlib.h>
#include <string.h>

int corpus_build_vocab(const char *path, const corpus_options *opts,
                       const sh_text_config *cfg, int skip_test, text_vocab **out,
                       corpus_stats *stats, char *err, size_t err_len)
{
    corpus_reader *r = NULL;
    text_tokenizer *tok = NULL;
    text_vocab_builder *b = NULL;
    int rc = corpus_open(path, opts, &r, err, err_len);
    if (rc != 0)
        return rc;
    if ((rc = text_tokenizer_new(cfg, &tok, err, err_len)) != 0)
        goto done;
    if ((rc = text_vocab_builder_new(&b)) != 0) {
        sh_fail(err, err_len, rc, "%s: out of memory counting terms", path);
        goto done;
    }
    const corpus_doc *d;
    while ((rc = corpus_next(r, &d, err, err_len)) == 0 && d != NULL) {
        if (skip_test && d->split == CORPUS_SPLIT_TEST)
            continue;
        rc = text_vocab_builder_add(b, tok, d->text, d->len);
        if (rc != 0) {
            sh_fail(err, err_len, rc, "%s: document %s: %s", path, d->id, sh_strerror(rc));
            goto done;
        }
    }
    if (rc == 0)
        rc = text_vocab_builder_finish(b, cfg, out, err, err_len);
done:
    if (stats != NULL && r != NULL)
        *stats = corpus_get_stats(r);
    text_vocab_builder_free(b);
    text_tokenizer_free(tok);
    corpus_close(r);
    return rc;
}

static int matrix_init(corpus_matrix *m, size_t cols)
{
    memset(m, 0, sizeof(*m));
    if (csr_init(&m->tfidf, cols) != 0 || csr_init(&m->counts, cols) != 0 ||
        metrics_labels_init(&m->labels) != 0 || text_strtab_init(&m->label_names) != 0)
        return SH_ENOMEM;
    return 0;
}

/* Records the id, split and labels of a document just vectorised. */
static int matrix_push(corpus_matrix *m, const corpus_doc *d)
{
    if (m->rows == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        char **ids = realloc(m->ids, cap * sizeof(char *));
        if (ids == NULL)
            return SH_ENOMEM;
        m->ids = ids;
        corpus_split *split = realloc(m->split, cap * sizeof(corpus_split));
        if (split == NULL)
            return SH_ENOMEM;
        m->split = split;
        m->cap = cap;
    }
    char *id = strdup(d->id);
    if (id == NULL)
        return SH_ENOMEM;
    int rc = metrics_labels_append_names(&m->labels, &m->label_names, d->labels, d->n_labels);
    if (rc != 0) {
        free(id);
        return rc;
    }
    m->ids[m->rows] = id;
    m->split[m->rows] = d->split;
    m->rows++;
    return 0;
}

int corpus_vectorize(const char *path, const corpus_options *opts, const text_vocab *vocab,
                     corpus_matrix *out, corpus_stats *stats, char *err, size_t err_len)
{
    corpus_reader *r = NULL;
    text_vectorizer *vec = NULL;
    int rc = matrix_init(out, text_vocab_size(vocab));
    if (rc != 0)
        return sh_fail(err, err_len, rc, "%s: out of memory", path);
    if ((rc = corpus_open(path, opts, &r, err, err_len)) != 0)
        return rc;
    if ((rc = text_vectorizer_new(vocab, &vec, err, err_len)) != 0)
        goto done;
    const corpus_doc *d;
    while ((rc = corpus_next(r, &d, err, err_len)) == 0 && d != NULL) {
        rc = text_vectorize_append(vec, d->text, d->len, &out->tfidf, &out->counts);
        if (rc == 0)
            rc = matrix_push(out, d);
        if (rc != 0) {
            sh_fail(err, err_len, rc, "%s: document %s: %s", path, d->id, sh_strerror(rc));
            goto done;
        }
    }
done:
    if (stats != NULL && r != NULL)
        *stats = corpus_get_stats(r);
    text_vectorizer_free(vec);
    corpus_close(r);
    return rc;
}

void corpus_matrix_free(corpus_matrix *m)
{
    if (m == NULL)
        return;
    csr_free(&m->tfidf);
    csr_free(&m->counts);
    for (size_t i = 0; i < m->rows; i++)
        free(m->ids[i]);
    free(m->ids);
    free(m->split);
    metrics_labels_free(&m->labels);
    text_strtab_free(&m->label_names);
    memset(m, 0, sizeof(*m));
}
