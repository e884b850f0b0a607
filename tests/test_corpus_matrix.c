/* test_corpus_matrix.c — a labelled corpus with a train/test split, from
 * file to vectors to retrieval metrics. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "corpus_matrix.h"
#include "metrics.h"
#include "sh_error.h"
#include "test_text_util.h"

static const char corpus_jsonl[] =
    "{\"id\": \"s1\", \"text\": \"football match goal team score\", \"labels\": [\"sports\"], \"split\": \"train\"}\n"
    "{\"id\": \"c1\", \"text\": \"recipe bake bread oven flour\", \"labels\": [\"cooking\"], \"split\": \"train\"}\n"
    "{\"id\": \"a1\", \"text\": \"rocket launch orbit nasa\", \"labels\": [\"space\"], \"split\": \"train\"}\n"
    "{\"id\": \"s2\", \"text\": \"team won the football league\", \"labels\": [\"sports\"], \"split\": \"train\"}\n"
    "{\"id\": \"c2\", \"text\": \"oven roasted chicken recipe\", \"labels\": [\"cooking\"], \"split\": \"train\"}\n"
    "{\"id\": \"a2\", \"text\": \"orbit satellite rocket\", \"labels\": [\"space\"], \"split\": \"train\"}\n"
    "{\"id\": \"s3\", \"text\": \"goal keeper saved the match\", \"labels\": [\"sports\"], \"split\": \"train\"}\n"
    "{\"id\": \"c3\", \"text\": \"flour sugar bake cake\", \"labels\": [\"cooking\"], \"split\": \"train\"}\n"
    "{\"id\": \"a3\", \"text\": \"nasa astronaut space station orbit\", \"labels\": [\"space\"], \"split\": \"train\"}\n"
    "{\"id\": \"t1\", \"text\": \"the team scored a late goal in the match\", \"labels\": [\"sports\"], \"split\": \"test\"}\n"
    "{\"id\": \"t2\", \"text\": \"bake the bread in a hot oven, zebra\", \"labels\": [\"cooking\"], \"split\": \"test\"}\n"
    "{\"id\": \"t3\", \"text\": \"the rocket reached orbit\", \"labels\": [\"space\"], \"split\": \"test\"}\n";

/* Copies the rows of m with the given split into a new CSR and labels. */
static void select_split(const corpus_matrix *m, corpus_split split, sh_csr *rows,
                         metrics_labels *labels)
{
    ck_assert_int_eq(csr_init(rows, m->tfidf.cols), 0);
    ck_assert_int_eq(metrics_labels_init(labels), 0);
    for (size_t i = 0; i < m->rows; i++) {
        if (m->split[i] != split)
            continue;
        size_t a = m->tfidf.row_ptr[i], b = m->tfidf.row_ptr[i + 1];
        ck_assert_int_eq(csr_append_row(rows, b - a, m->tfidf.col_idx + a, m->tfidf.values + a), 0);
        size_t la = m->labels.ptr[i], lb = m->labels.ptr[i + 1];
        ck_assert_int_eq(metrics_labels_append(labels, m->labels.ids + la, lb - la), 0);
    }
}

START_TEST(labelled_corpus_to_vectors_to_metrics)
{
    const char *dir = tt_mkdtemp();
    tt_write(dir, "topics.jsonl", corpus_jsonl, strlen(corpus_jsonl));
    char path[256], err[512] = "";
    snprintf(path, sizeof path, "%s/topics.jsonl", dir);
    sh_text_config cfg = tt_text_defaults();
    cfg.min_df = 1;
    cfg.max_df = 1.0;

    /* the vocabulary of the train split never sees the test-only word */
    text_vocab *all = NULL, *train = NULL;
    corpus_stats st;
    ck_assert_int_eq(corpus_build_vocab(path, NULL, &cfg, 0, &all, &st, err, sizeof err), 0);
    ck_assert_uint_eq(st.docs, 12);
    ck_assert_int_ge(text_vocab_find(all, "zebra", 5), 0);
    ck_assert_int_eq(corpus_build_vocab(path, NULL, &cfg, 1, &train, NULL, err, sizeof err), 0);
    ck_assert_int_eq(text_vocab_find(train, "zebra", 5), -1);
    ck_assert_uint_eq(text_vocab_docs(train), 9);
    text_vocab_free(all);

    corpus_matrix m;
    ck_assert_int_eq(corpus_vectorize(path, NULL, train, &m, &st, err, sizeof err), 0);
    ck_assert_uint_eq(m.rows, 12);
    ck_assert_uint_eq(m.tfidf.rows, 12);
    ck_assert_uint_eq(m.counts.rows, 12);
    ck_assert_str_eq(m.ids[0], "s1");
    ck_assert_str_eq(m.ids[11], "t3");
    ck_assert_int_eq(m.split[8], CORPUS_SPLIT_TRAIN);
    ck_assert_int_eq(m.split[9], CORPUS_SPLIT_TEST);
    ck_assert_uint_eq(m.label_names.count, 3);
    ck_assert_int_eq(metrics_labels_share(&m.labels, 0, &m.labels, 9), 1);
    ck_assert_int_eq(metrics_labels_share(&m.labels, 0, &m.labels, 10), 0);
    for (size_t i = 0; i < m.rows; i++) {
        double norm = 0;
        for (size_t e = m.tfidf.row_ptr[i]; e < m.tfidf.row_ptr[i + 1]; e++)
            norm += (double)m.tfidf.values[e] * m.tfidf.values[e];
        ck_assert_double_eq_tol(norm, 1.0, 1e-5);
    }

    /* each test document's three nearest train documents by cosine are of
     * its own topic */
    sh_csr train_rows, test_rows;
    metrics_labels train_labels, test_labels;
    select_split(&m, CORPUS_SPLIT_TRAIN, &train_rows, &train_labels);
    select_split(&m, CORPUS_SPLIT_TEST, &test_rows, &test_labels);
    size_t ks[] = { 1, 3, 9 };
    double p[3], map[3];
    ck_assert_int_eq(metrics_cosine_rank(&test_rows, &test_labels, &train_rows, &train_labels,
                                         ks, 3, 1, p, map), 0);
    ck_assert_double_eq_tol(p[0], 1.0, 1e-12);
    ck_assert_double_eq_tol(p[1], 1.0, 1e-12);
    ck_assert_double_eq_tol(p[2], 1.0 / 3, 1e-12);
    ck_assert_double_eq_tol(map[2], 1.0, 1e-12);
    csr_free(&train_rows);
    csr_free(&test_rows);
    metrics_labels_free(&train_labels);
    metrics_labels_free(&test_labels);
    corpus_matrix_free(&m);

    /* errors name the file */
    snprintf(path, sizeof path, "%s/missing.jsonl", dir);
    ck_assert_int_ne(corpus_vectorize(path, NULL, train, &m, NULL, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "missing.jsonl"));
    corpus_matrix_free(&m);
    cfg.min_df = 50;
    snprintf(path, sizeof path, "%s/topics.jsonl", dir);
    text_vocab *none = NULL;
    ck_assert_int_eq(corpus_build_vocab(path, NULL, &cfg, 1, &none, NULL, err, sizeof err),
                     SH_EEMPTY);
    text_vocab_free(train);
    tt_rmtree(dir);
}
END_TEST

Suite *corpus_matrix_suite(void)
{
    Suite *s = suite_create("corpus_matrix");
    TCase *core = tcase_create("core");
    tcase_add_test(core, labelled_corpus_to_vectors_to_metrics);
    suite_add_tcase(s, core);
    return s;
}
