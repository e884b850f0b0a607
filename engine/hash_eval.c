/* hash_eval.c — labelled collections in memory, near-duplicate sets, and
 * the train-on-train / query-with-test evaluation. See hash_eval.h. */
#include "hash_eval.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sh_error.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- collections ----------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap * 2 : 256;
    while (cap2 < need)
        cap2 *= 2;
    void *q = realloc(*p, cap2 * size);
    if (q == NULL)
        return SH_ENOMEM;
    *p = q;
    *cap = cap2;
    return 0;
}

/* Appends one document (copies text and id). */
static int collection_add(hash_collection *c, size_t *cap, const corpus_doc *doc, int label_index)
{
    size_t need = c->n + 1, cap_docs = *cap, cap_ids = *cap, cap_split = *cap;
    if (grow((void **)&c->docs, &cap_docs, need, sizeof(hasher_doc)) != 0 ||
        grow((void **)&c->ids, &cap_ids, need, sizeof(char *)) != 0 ||
        grow((void **)&c->split, &cap_split, need, sizeof(corpus_split)) != 0)
        return SH_ENOMEM;
    *cap = cap_docs;
    char *text = malloc(doc->len + 1);
    char *id = strdup(doc->id);
    if (text == NULL || id == NULL) {
        free(text);
        free(id);
        return SH_ENOMEM;
    }
    memcpy(text, doc->text, doc->len);
    text[doc->len] = '\0';
    const char *const *labels = doc->labels;
    size_t n_labels = doc->n_labels;
    if (label_index >= 0) {
        n_labels = (size_t)label_index < doc->n_labels ? 1 : 0;
        labels = n_labels ? doc->labels + label_index : NULL;
    }
    /* Unlabelled documents before the first labelled one are appended
     * only once a label shows up (a collection without any labels keeps
     * an empty list: metrics_labels_append on an empty list with no ids
     * passes NULL to qsort, which UBSan rejects). */
    int rc = 0;
    if (n_labels > 0 || c->labelled > 0) {
        for (; rc == 0 && c->labels.n < c->n; )
            rc = metrics_labels_append(&c->labels, NULL, 0);
        if (rc == 0)
            rc = metrics_labels_append_names(&c->labels, &c->label_names, labels, n_labels);
    }
    if (rc != 0) {
        free(text);
        free(id);
        return rc;
    }
    c->docs[c->n] = (hasher_doc){ text, doc->len };
    c->ids[c->n] = id;
    c->split[c->n] = doc->split;
    c->labelled += n_labels > 0;
    c->n++;
    return 0;
}

int hash_collection_load(hash_collection *c, const char *const *paths, size_t n_paths,
                         const corpus_options *opts, int label_index, char *err,
                         size_t err_len)
{
    memset(c, 0, sizeof(*c));
    size_t cap = 0;
    corpus_reader *r = NULL;
    int rc = metrics_labels_init(&c->labels);
    if (rc == 0)
        rc = text_strtab_init(&c->label_names);
    if (rc != 0) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    for (size_t p = 0; p < n_paths; p++) {
        if ((rc = corpus_open(paths[p], opts, &r, err, err_len)) != 0)
            goto fail;
        for (;;) {
            const corpus_doc *doc;
            if ((rc = corpus_next(r, &doc, err, err_len)) != 0)
                goto fail;
            if (doc == NULL)
                break;
            if ((rc = collection_add(c, &cap, doc, label_index)) != 0) {
                sh_fail(err, err_len, rc, "%s: out of memory after %zu documents", paths[p],
                        c->n);
                goto fail;
            }
        }
        corpus_stats st = corpus_get_stats(r);
        c->stats.docs += st.docs;
        c->stats.skipped_binary += st.skipped_binary;
        c->stats.skipped_malformed += st.skipped_malformed;
        corpus_close(r);
        r = NULL;
    }
    return 0;
fail:
    corpus_close(r);
    hash_collection_free(c);
    return rc;
}

void hash_collection_free(hash_collection *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free((char *)c->docs[i].text);
        free(c->ids[i]);
    }
    free(c->docs);
    free(c->ids);
    free(c->split);
    metrics_labels_free(&c->labels);
    text_strtab_free(&c->label_names);
    memset(c, 0, sizeof(*c));
}

/* ---- near-duplicate sets --------------------------------------------------- */

void hash_dups_free(hash_dups *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        free((char *)d->docs[i].text);
    free(d->docs);
    free(d->original);
    free(d->edit_rate);
    memset(d, 0, sizeof(*d));
}

static int dups_add(hash_dups *d, size_t *cap, const char *text, size_t len, size_t original,
                    double rate)
{
    size_t need = d->n + 1, c1 = *cap, c2 = *cap, c3 = *cap;
    if (grow((void **)&d->docs, &c1, need, sizeof(hasher_doc)) != 0 ||
        grow((void **)&d->original, &c2, need, sizeof(size_t)) != 0 ||
        grow((void **)&d->edit_rate, &c3, need, sizeof(double)) != 0)
        return SH_ENOMEM;
    *cap = c1;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return SH_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    d->docs[d->n] = (hasher_doc){ copy, len };
    d->original[d->n] = original;
    d->edit_rate[d->n] = rate;
    d->n++;
    return 0;
}

int hash_dups_load(hash_dups *d, const char *path, const hash_collection *c, char *err,
                   size_t err_len)
{
    memset(d, 0, sizeof(*d));
    text_strtab ids;
    FILE *f = NULL;
    char *line = NULL;
    size_t line_cap = 0, cap = 0, line_no = 0;
    json_t *j = NULL;
    int rc = text_strtab_init(&ids);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        uint32_t id;
        rc = text_strtab_intern(&ids, c->ids[i], strlen(c->ids[i]), &id, NULL);
    }
    if (rc != 0) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    if ((f = fopen(path, "r")) == NULL) {
        rc = errno;
        sh_fail(err, err_len, rc, "%s: %s", path, strerror(rc));
        goto fail;
    }
    ssize_t got;
    while ((got = getline(&line, &line_cap, f)) >= 0) {
        line_no++;
        if (got == 0 || line[0] == '\n')
            continue;
        json_error_t jerr;
        j = json_loadb(line, (size_t)got, 0, &jerr);
        json_t *text = j ? json_object_get(j, "text") : NULL;
        json_t *source = j ? json_object_get(j, "source") : NULL;
        json_t *rate = j ? json_object_get(j, "edit_rate") : NULL;
        if (!json_is_string(text) || !json_is_string(source) || !json_is_number(rate)) {
            rc = sh_fail(err, err_len, SH_EINPUT,
                         "%s:%zu: not an edited copy (need \"text\", \"source\", \"edit_rate\")",
                         path, line_no);
            goto fail;
        }
        uint32_t original;
        const char *src = json_string_value(source);
        if (text_strtab_find(&ids, src, strlen(src), &original) != 0) {
            rc = sh_fail(err, err_len, SH_EINPUT,
                         "%s:%zu: source '%s' is not a document of the corpus", path, line_no,
                         src);
            goto fail;
        }
        if ((rc = dups_add(d, &cap, json_string_value(text), json_string_length(text), original,
                           json_number_value(rate))) != 0) {
            sh_fail(err, err_len, rc, "%s:%zu: out of memory", path, line_no);
            goto fail;
        }
        json_decref(j);
        j = NULL;
    }
    if (ferror(f)) {
        rc = errno ? errno : EIO;
        sh_fail(err, err_len, rc, "%s: read error", path);
        goto fail;
    }
    if (d->n == 0) {
        rc = sh_fail(err, err_len, SH_EEMPTY, "%s: no edited copies", path);
        goto fail;
    }
    rc = 0;
fail:
    if (rc != 0)
        hash_dups_free(d);
    json_decref(j);
    free(line);
    if (f != NULL)
        fclose(f);
    text_strtab_free(&ids);
    return rc;
}

/* ---- evaluation ------------------------------------------------------------ */

void hash_eval_data_free(hash_eval_data *d)
{
    if (d == NULL)
        return;
    text_vocab_free(d->vocab);
    csr_free(&d->train);
    csr_free(&d->test);
    csr_free(&d->train_counts);
    metrics_labels_free(&d->train_labels);
    metrics_labels_free(&d->test_labels);
    free(d->train_index);
    free(d->test_index);
    memset(d, 0, sizeof(*d));
}

/* Copies document i's label ids from the collection into l. */
static int copy_labels(metrics_labels *l, const hash_collection *c, size_t i)
{
    const metrics_labels *src = &c->labels;
    if (i >= src->n) /* a collection without labels */
        return metrics_labels_append(l, NULL, 0);
    return metrics_labels_append(l, src->ids + src->ptr[i], src->ptr[i + 1] - src->ptr[i]);
}

int hash_eval_data_init(hash_eval_data *d, const hash_collection *c, const sh_config *cfg,
                        int need_labels, char *err, size_t err_len)
{
    memset(d, 0, sizeof(*d));
    hasher_doc *train_docs = NULL, *test_docs = NULL;
    size_t n_train = 0, n_test = 0, test_labelled = 0;
    int rc = SH_ENOMEM;
    if (need_labels && c->labelled == 0)
        return sh_fail(err, err_len, SH_EINPUT,
                       "no document has labels: eval needs \"labels\" to judge relevance");
    d->train_index = malloc((c->n ? c->n : 1) * sizeof(size_t));
    d->test_index = malloc((c->n ? c->n : 1) * sizeof(size_t));
    train_docs = malloc((c->n ? c->n : 1) * sizeof(hasher_doc));
    test_docs = malloc((c->n ? c->n : 1) * sizeof(hasher_doc));
    if (d->train_index == NULL || d->test_index == NULL || train_docs == NULL ||
        test_docs == NULL || metrics_labels_init(&d->train_labels) != 0 ||
        metrics_labels_init(&d->test_labels) != 0) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (c->split[i] == CORPUS_SPLIT_TRAIN) {
            d->train_index[n_train] = i;
            train_docs[n_train++] = c->docs[i];
            rc = copy_labels(&d->train_labels, c, i);
        } else if (c->split[i] == CORPUS_SPLIT_TEST) {
            d->test_index[n_test] = i;
            test_docs[n_test++] = c->docs[i];
            test_labelled += i < c->labels.n && c->labels.ptr[i + 1] > c->labels.ptr[i];
            rc = copy_labels(&d->test_labels, c, i);
        } else {
            rc = 0;
        }
        if (rc != 0) {
            sh_fail(err, err_len, rc, "out of memory");
            goto fail;
        }
    }
    if (n_train == 0) {
        rc = sh_fail(err, err_len, SH_EEMPTY,
                     "no document has \"split\": \"train\" (%zu test documents): eval trains on "
                     "the train split and queries with the test split", n_test);
        goto fail;
    }
    if (n_test == 0) {
        rc = sh_fail(err, err_len, SH_EEMPTY,
                     "no document has \"split\": \"test\": eval queries with the test split");
        goto fail;
    }
    if (need_labels && test_labelled == 0) {
        rc = sh_fail(err, err_len, SH_EINPUT, "no test document has labels");
        goto fail;
    }
    if ((rc = hasher_build_vocab(cfg, train_docs, n_train, &d->vocab, NULL, err, err_len)) != 0)
        goto fail;
    size_t V = text_vocab_size(d->vocab);
    if ((rc = csr_init(&d->train, V)) != 0 || (rc = csr_init(&d->test, V)) != 0 ||
        (rc = csr_init(&d->train_counts, V)) != 0) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    if ((rc = hasher_vectorize_docs(d->vocab, train_docs, n_train, &d->train, &d->train_counts,
                                    err, err_len)) != 0 ||
        (rc = hasher_vectorize_docs(d->vocab, test_docs, n_test, &d->test, NULL, err,
                                    err_len)) != 0)
        goto fail;
    rc = 0;
fail:
    free(train_docs);
    free(test_docs);
    if (rc != 0)
        hash_eval_data_free(d);
    return rc;
}

int hash_eval_data_relabel(hash_eval_data *d, const hash_collection *c)
{
    metrics_labels train, test;
    int rc = metrics_labels_init(&train);
    if (rc != 0)
        return rc;
    if ((rc = metrics_labels_init(&test)) != 0) {
        metrics_labels_free(&train);
        return rc;
    }
    for (size_t r = 0; r < d->train.rows && rc == 0; r++)
        rc = d->train_index[r] < c->n ? copy_labels(&train, c, d->train_index[r]) : SH_EINVAL;
    for (size_t r = 0; r < d->test.rows && rc == 0; r++)
        rc = d->test_index[r] < c->n ? copy_labels(&test, c, d->test_index[r]) : SH_EINVAL;
    if (rc != 0) {
        metrics_labels_free(&train);
        metrics_labels_free(&test);
        return rc;
    }
    metrics_labels_free(&d->train_labels);
    metrics_labels_free(&d->test_labels);
    d->train_labels = train;
    d->test_labels = test;
    return 0;
}

int hash_eval_cosine(const hash_eval_data *d, uint64_t seed, hash_eval_result *out)
{
    memset(out, 0, sizeof(*out));
    size_t ks[2] = { 10, 100 };
    double prec[2], map[2];
    int rc = metrics_cosine_rank(&d->test, &d->test_labels, &d->train, &d->train_labels, ks, 2,
                                 seed, prec, map);
    if (rc != 0)
        return rc;
    out->p_at_10 = prec[0];
    out->p_at_100 = prec[1];
    out->map_at_100 = map[1];
    out->train_seconds = 0.0;
    return 0;
}

int hash_eval_hasher(const hash_eval_data *d, sh_hasher *h, uint64_t seed,
                     hash_eval_result *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->encoder = hasher_encoder(h);
    out->bits = hasher_bits(h);
    size_t n_db = d->train.rows, n_q = d->test.rows;
    sh_code *db = malloc((n_db ? n_db : 1) * sizeof(sh_code));
    sh_code *q = malloc((n_q ? n_q : 1) * sizeof(sh_code));
    int rc = SH_ENOMEM;
    if (db == NULL || q == NULL) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    if ((rc = hasher_encode_rows(h, &d->train, db)) != 0 ||
        (rc = hasher_encode_rows(h, &d->test, q)) != 0) {
        sh_fail(err, err_len, rc, "encoding: %s", sh_strerror(rc));
        goto fail;
    }
    size_t ks[2] = { 10, 100 };
    double prec[2], map[2];
    metrics_radius_row rows[HASH_EVAL_RADII];
    if ((rc = metrics_hamming_rank(q, &d->test_labels, n_q, db, &d->train_labels, n_db, ks, 2,
                                   seed, prec, map)) != 0 ||
        (rc = metrics_hamming_radius(q, &d->test_labels, n_q, db, &d->train_labels, n_db,
                                     HASH_EVAL_RADII - 1, rows)) != 0) {
        sh_fail(err, err_len, rc, "metrics: %s", sh_strerror(rc));
        goto fail;
    }
    out->p_at_10 = prec[0];
    out->p_at_100 = prec[1];
    out->map_at_100 = map[1];
    for (int r = 0; r < HASH_EVAL_RADII; r++) {
        out->radius_precision[r] = rows[r].precision;
        out->radius_count[r] = rows[r].mean_results;
    }
    rc = 0;
fail:
    free(db);
    free(q);
    return rc;
}

int hash_eval_encoder(const hash_eval_data *d, const sh_config *cfg,
                      const hash_train_opts *recipe, hash_eval_result *out,
                      sh_hasher **out_hasher, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    out->encoder = cfg->model.encoder;
    out->bits = cfg->model.code_bits;
    sh_hasher *h = NULL;
    hash_train_summary train;
    memset(&train, 0, sizeof train);
    int rc = hasher_new(cfg, d->vocab, &h, err, err_len);
    if (rc != 0)
        return rc;
    double t0 = now_seconds();
    if ((rc = hasher_fit(h, &d->train, &d->train_counts, recipe, &train, err, err_len)) != 0)
        goto fail;
    double seconds = now_seconds() - t0;
    if ((rc = hash_eval_hasher(d, h, cfg->train.seed, out, err, err_len)) != 0)
        goto fail;
    out->train_seconds = seconds;
    out->train = train;
    if (out_hasher != NULL) {
        *out_hasher = h;
        h = NULL;
    }
fail:
    hasher_free(h);
    return rc;
}

int hash_eval_dups(sh_hasher *h, const hash_collection *c, const hash_dups *dups, double rate,
                   metrics_dup_row *rows, size_t *n_queries, char *err, size_t err_len)
{
    size_t V = text_vocab_size(hasher_vocab(h)), n_q = 0;
    sh_csr db_rows, q_rows;
    sh_code *db = malloc((c->n ? c->n : 1) * sizeof(sh_code));
    sh_code *q = malloc((dups->n ? dups->n : 1) * sizeof(sh_code));
    hasher_doc *q_docs = malloc((dups->n ? dups->n : 1) * sizeof(hasher_doc));
    size_t *original = malloc((dups->n ? dups->n : 1) * sizeof(size_t));
    int ok1 = csr_init(&db_rows, V) == 0, ok2 = csr_init(&q_rows, V) == 0;
    int rc = SH_ENOMEM;
    *n_queries = 0;
    if (db == NULL || q == NULL || q_docs == NULL || original == NULL || !ok1 || !ok2) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < dups->n; i++)
        if (fabs(dups->edit_rate[i] - rate) < 1e-6) {
            q_docs[n_q] = dups->docs[i];
            original[n_q++] = dups->original[i];
        }
    rc = 0;
    if (n_q == 0)
        goto fail;
    if ((rc = hasher_vectorize_docs(hasher_vocab(h), c->docs, c->n, &db_rows, NULL, err,
                                    err_len)) != 0 ||
        (rc = hasher_vectorize_docs(hasher_vocab(h), q_docs, n_q, &q_rows, NULL, err,
                                    err_len)) != 0)
        goto fail;
    if ((rc = hasher_encode_rows(h, &db_rows, db)) != 0 ||
        (rc = hasher_encode_rows(h, &q_rows, q)) != 0 ||
        (rc = metrics_near_duplicates(q, original, n_q, db, c->n, HASH_DUP_RADII - 1, rows)) != 0) {
        sh_fail(err, err_len, rc, "near-duplicates: %s", sh_strerror(rc));
        goto fail;
    }
    *n_queries = n_q;
fail:
    free(db);
    free(q);
    free(q_docs);
    free(original);
    csr_free(&db_rows);
    csr_free(&q_rows);
    return rc;
}
