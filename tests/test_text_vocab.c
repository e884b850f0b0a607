/* test_text_vocab.c — the interning table, vocabulary selection and
 * determinism, and tf-idf rows against hand-computed values. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sh_error.h"
#include "test_text_util.h"
#include "modelfile.h"
#include "text_strtab.h"
#include "text_vectorize.h"
#include "text_vocab.h"

static const char *fruit_docs[] = {
    "apple banana apple",
    "banana cherry",
    "Banana date cherry",
    "elder fig",
};

static sh_text_config fruit_cfg(void)
{
    sh_text_config cfg = tt_text_defaults();
    cfg.min_df = 1;
    cfg.max_df = 1.0;
    cfg.email = 0;
    return cfg;
}

/* Builds a vocabulary from docs in the given order. */
static text_vocab *build(const sh_text_config *cfg, const char **docs, size_t n,
                         const uint32_t *order, int expect_rc)
{
    text_tokenizer *tok = NULL;
    text_vocab_builder *b = NULL;
    ck_assert_int_eq(text_tokenizer_new(cfg, &tok, NULL, 0), 0);
    ck_assert_int_eq(text_vocab_builder_new(&b), 0);
    for (size_t i = 0; i < n; i++) {
        const char *d = docs[order ? order[i] : i];
        ck_assert_int_eq(text_vocab_builder_add(b, tok, d, strlen(d)), 0);
    }
    text_vocab *v = NULL;
    char err[256] = "";
    ck_assert_int_eq(text_vocab_builder_finish(b, cfg, &v, err, sizeof err), expect_rc);
    text_vocab_builder_free(b);
    text_tokenizer_free(tok);
    return v;
}

/* "term:df" joined by spaces, in id order. */
static const char *describe(const text_vocab *v)
{
    static char buf[4096];
    size_t pos = 0;
    buf[0] = '\0';
    for (uint32_t id = 0; id < text_vocab_size(v); id++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s:%u", id ? " " : "",
                                text_vocab_term(v, id, NULL), text_vocab_df(v, id));
    return buf;
}

START_TEST(selection_by_df_with_deterministic_order)
{
    sh_text_config cfg = fruit_cfg();
    text_vocab *v = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_str_eq(describe(v), "banana:3 cherry:2 apple:1 date:1 elder:1 fig:1");
    ck_assert_uint_eq(text_vocab_docs(v), 4);
    ck_assert_int_eq(text_vocab_find(v, "cherry", 6), 1);
    ck_assert_int_eq(text_vocab_find(v, "kiwi", 4), -1);
    ck_assert_int_eq(text_vocab_find(v, "cherr", 5), -1);
    /* idf = ln((1 + N) / (1 + df)) + 1, by hand: ln(5/4) + 1 */
    ck_assert_float_eq_tol(text_vocab_idf(v, 0), 1.2231435513f, 1e-6f);
    text_vocab_free(v);

    cfg.min_df = 2;
    v = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_str_eq(describe(v), "banana:3 cherry:2");
    text_vocab_free(v);

    cfg.min_df = 1;
    cfg.max_df = 0.5; /* banana is in 3 of 4 documents */
    v = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_str_eq(describe(v), "cherry:2 apple:1 date:1 elder:1 fig:1");
    text_vocab_free(v);

    cfg.max_df = 1.0;
    cfg.vocab_size = 3;
    v = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_str_eq(describe(v), "banana:3 cherry:2 apple:1");
    text_vocab_free(v);
}
END_TEST

START_TEST(two_orders_of_the_same_documents_give_the_same_vocabulary)
{
    /* 300 generated documents over a 500-word alphabet, many df ties. */
    enum { N = 300 };
    static char storage[N][400];
    const char *docs[N];
    sh_rng rng;
    rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        size_t pos = 0;
        int words = 5 + (int)rng_below(&rng, 30);
        for (int w = 0; w < words; w++)
            pos += (size_t)snprintf(storage[i] + pos, sizeof storage[i] - pos, "w%c%c%c ",
                                    'a' + (int)rng_below(&rng, 5), 'a' + (int)rng_below(&rng, 10),
                                    'a' + (int)rng_below(&rng, 10));
        docs[i] = storage[i];
    }
    uint32_t order[N];
    for (uint32_t i = 0; i < N; i++)
        order[i] = i;
    rng_shuffle_u32(&rng, order, N);
    sh_text_config cfg = tt_text_defaults();
    cfg.vocab_size = 200;
    text_vocab *a = build(&cfg, docs, N, NULL, 0);
    text_vocab *b = build(&cfg, docs, N, order, 0);
    ck_assert_uint_eq(text_vocab_size(a), 200);
    ck_assert_uint_eq(text_vocab_size(b), 200);
    char da[4096];
    snprintf(da, sizeof da, "%s", describe(a));
    ck_assert_str_eq(da, describe(b));
    /* the order is df descending, then bytes ascending */
    for (uint32_t id = 1; id < 200; id++) {
        uint32_t d0 = text_vocab_df(a, id - 1), d1 = text_vocab_df(a, id);
        ck_assert_uint_ge(d0, d1);
        if (d0 == d1)
            ck_assert_int_lt(strcmp(text_vocab_term(a, id - 1, NULL), text_vocab_term(a, id, NULL)), 0);
    }
    text_vocab_free(a);
    text_vocab_free(b);
}
END_TEST

START_TEST(tfidf_rows_match_a_hand_computation)
{
    sh_text_config cfg = fruit_cfg();
    text_vocab *v = build(&cfg, fruit_docs, 4, NULL, 0);
    text_vectorizer *vec = NULL;
    ck_assert_int_eq(text_vectorizer_new(v, &vec, NULL, 0), 0);
    sh_csr tfidf, counts;
    ck_assert_int_eq(csr_init(&tfidf, text_vocab_size(v)), 0);
    ck_assert_int_eq(csr_init(&counts, text_vocab_size(v)), 0);
    const char *d0 = "kiwi Apple apple cherry APPLE";
    const char *d1 = "kiwi mango";
    const char *d2 = "fig banana";
    ck_assert_int_eq(text_vectorize_append(vec, d0, strlen(d0), &tfidf, &counts), 0);
    ck_assert_int_eq(text_vectorize_append(vec, d1, strlen(d1), &tfidf, &counts), 0);
    ck_assert_int_eq(text_vectorize_append(vec, "", 0, &tfidf, &counts), 0);
    ck_assert_int_eq(text_vectorize_append(vec, d2, strlen(d2), &tfidf, &counts), 0);
    ck_assert_int_eq(text_vectorize_append(vec, "a\0b", 3, &tfidf, &counts), SH_EINPUT);
    ck_assert_uint_eq(tfidf.rows, 4);
    ck_assert_uint_eq(counts.rows, 4);
    /* row 0: cherry (id 1) once, apple (id 2) three times.
     * w(apple)  = (1 + ln 3) * (ln(5/2) + 1) = 2.098612 * 1.916291 = 4.021552
     * w(cherry) = 1 * (ln(5/3) + 1)          = 1.510826
     * norm = 4.296024; normalised 0.936119 and 0.351683. */
    ck_assert_uint_eq(tfidf.row_ptr[1], 2);
    ck_assert_uint_eq(tfidf.col_idx[0], 1);
    ck_assert_uint_eq(tfidf.col_idx[1], 2);
    ck_assert_float_eq_tol(tfidf.values[0], 0.3516833f, 1e-6f);
    ck_assert_float_eq_tol(tfidf.values[1], 0.9361190f, 1e-6f);
    ck_assert_float_eq(counts.values[0], 1.0f);
    ck_assert_float_eq(counts.values[1], 3.0f);
    /* rows 1 and 2 are empty: only unknown words, and an empty document */
    ck_assert_uint_eq(tfidf.row_ptr[2], 2);
    ck_assert_uint_eq(tfidf.row_ptr[3], 2);
    ck_assert_uint_eq(counts.row_ptr[3], 2);
    /* row 3: banana (id 0, idf 1.223144), fig (id 5, idf ln(5/2)+1 = 1.916291):
     * normalised 0.538029 and 0.842926 */
    ck_assert_uint_eq(tfidf.row_ptr[4], 4);
    ck_assert_uint_eq(tfidf.col_idx[2], 0);
    ck_assert_uint_eq(tfidf.col_idx[3], 5);
    ck_assert_float_eq_tol(tfidf.values[2], 0.5380290f, 1e-6f);
    ck_assert_float_eq_tol(tfidf.values[3], 0.8429263f, 1e-6f);
    /* a matrix of the wrong width is refused */
    sh_csr narrow;
    ck_assert_int_eq(csr_init(&narrow, 3), 0);
    ck_assert_int_eq(text_vectorize_append(vec, d0, strlen(d0), &narrow, NULL), SH_EINVAL);
    ck_assert_uint_eq(narrow.rows, 0);
    csr_free(&narrow);
    csr_free(&tfidf);
    csr_free(&counts);
    text_vectorizer_free(vec);
    text_vocab_free(v);
}
END_TEST

START_TEST(finish_reports_empty_and_bad_options)
{
    sh_text_config cfg = fruit_cfg();
    text_vocab_builder *b = NULL;
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_vocab_builder_new(&b), 0);
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    text_vocab *v = NULL;
    char err[256] = "";
    ck_assert_int_eq(text_vocab_builder_finish(b, &cfg, &v, err, sizeof err), SH_EEMPTY);
    ck_assert_int_eq(text_vocab_builder_add(b, tok, "x\0y", 3), SH_EINPUT);
    ck_assert_uint_eq(text_vocab_builder_docs(b), 0);
    ck_assert_int_eq(text_vocab_builder_add(b, tok, "alpha beta", 10), 0);
    ck_assert_int_eq(text_vocab_builder_add(b, tok, "gamma", 5), 0);
    ck_assert_uint_eq(text_vocab_builder_docs(b), 2);
    ck_assert_uint_eq(text_vocab_builder_terms(b), 3);
    cfg.min_df = 2;
    ck_assert_int_eq(text_vocab_builder_finish(b, &cfg, &v, err, sizeof err), SH_EEMPTY);
    ck_assert_ptr_nonnull(strstr(err, "min_df"));
    cfg.max_df = 0.0;
    ck_assert_int_eq(text_vocab_builder_finish(b, &cfg, &v, err, sizeof err), SH_ECONFIG);
    ck_assert_ptr_null(v);
    text_vocab_builder_free(b);
    text_tokenizer_free(tok);
}
END_TEST

START_TEST(strtab_interns_many_strings)
{
    text_strtab t;
    ck_assert_int_eq(text_strtab_init(&t), 0);
    char key[32];
    for (uint32_t i = 0; i < 50000; i++) {
        int n = snprintf(key, sizeof key, "k%u", i * 7919u);
        uint32_t id;
        int added;
        ck_assert_int_eq(text_strtab_intern(&t, key, (size_t)n, &id, &added), 0);
        ck_assert_uint_eq(id, i);
        ck_assert_int_eq(added, 1);
    }
    uint32_t id;
    int added;
    ck_assert_int_eq(text_strtab_intern(&t, "", 0, &id, &added), 0);
    ck_assert_uint_eq(id, 50000);
    for (uint32_t i = 0; i < 50000; i += 7) {
        int n = snprintf(key, sizeof key, "k%u", i * 7919u);
        ck_assert_int_eq(text_strtab_find(&t, key, (size_t)n, &id), 0);
        ck_assert_uint_eq(id, i);
        ck_assert_int_eq(text_strtab_intern(&t, key, (size_t)n, &id, &added), 0);
        ck_assert_int_eq(added, 0);
        size_t len;
        ck_assert_str_eq(text_strtab_get(&t, id, &len), key);
        ck_assert_uint_eq(len, (size_t)n);
    }
    ck_assert_int_eq(text_strtab_find(&t, "k1", 2, &id), SH_ENOTFOUND);
    /* the same first 8 bytes (a slot's head), told apart by the rest */
    uint32_t i8, i9a, i9b;
    ck_assert_int_eq(text_strtab_intern(&t, "abcdefgh", 8, &i8, &added), 0);
    ck_assert_int_eq(text_strtab_intern(&t, "abcdefgh1", 9, &i9a, &added), 0);
    ck_assert_int_eq(text_strtab_intern(&t, "abcdefgh2", 9, &i9b, &added), 0);
    ck_assert(i8 != i9a && i9a != i9b && i8 != i9b);
    ck_assert_int_eq(text_strtab_find(&t, "abcdefgh2", 9, &id), 0);
    ck_assert_uint_eq(id, i9b);
    ck_assert_int_eq(text_strtab_find(&t, "abcdefgh3", 9, &id), SH_ENOTFOUND);
    ck_assert_int_eq(text_strtab_find(&t, "abcdefg\0", 8, &id), SH_ENOTFOUND);
    /* strings longer than a slot's length tag: told apart by their bytes */
    size_t big = 70000;
    char *a = malloc(big + 1), *b = malloc(big + 1);
    ck_assert(a && b);
    memset(a, 'x', big);
    memcpy(b, a, big);
    b[big - 1] = 'y';
    uint32_t ida, idb;
    ck_assert_int_eq(text_strtab_intern(&t, a, big, &ida, &added), 0);
    ck_assert_int_eq(text_strtab_intern(&t, b, big, &idb, &added), 0);
    ck_assert_uint_ne(ida, idb);
    ck_assert_int_eq(text_strtab_find(&t, a, big, &id), 0);
    ck_assert_uint_eq(id, ida);
    ck_assert_int_eq(text_strtab_find(&t, b, big - 1, &id), SH_ENOTFOUND);
    ck_assert_int_eq(text_strtab_find(&t, b, big, &id), 0);
    ck_assert_uint_eq(id, idb);
    free(a);
    free(b);
    ck_assert_int_eq(text_strtab_find(&t, "", 0, &id), 0);
    ck_assert_uint_eq(t.count, 50006);
    text_strtab_free(&t);
    text_strtab_free(NULL);
}
END_TEST

START_TEST(vocab_from_terms_checks_its_input)
{
    sh_text_config cfg = fruit_cfg();
    const char *terms[] = { "alpha", "beta", "alpha" };
    size_t lens[] = { 5, 4, 5 };
    uint32_t dfs[] = { 3, 2, 1 };
    text_vocab *v = NULL;
    char err[128];
    ck_assert_int_eq(text_vocab_from_terms(&cfg, 10, 3, terms, lens, dfs, &v, err, sizeof err),
                     SH_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
    dfs[1] = 11;
    ck_assert_int_eq(text_vocab_from_terms(&cfg, 10, 2, terms, lens, dfs, &v, err, sizeof err),
                     SH_EFORMAT);
    dfs[1] = 2;
    ck_assert_int_eq(text_vocab_from_terms(&cfg, 10, 2, terms, lens, dfs, &v, err, sizeof err), 0);
    ck_assert_int_eq(text_vocab_find(v, "beta", 4), 1);
    ck_assert_float_eq_tol(text_vocab_idf(v, 1), 2.2992830f, 1e-6f); /* ln(11/3) + 1 */
    text_vocab_free(v);
}
END_TEST

/* v written to a model file and read back (the caller frees both). */
static text_vocab *through_model_file(const text_vocab *v)
{
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(text_vocab_write(v, w), 0);
    const char *dir = tt_mkdtemp();
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "%s/model.bin", dir);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), 0);
    mf_writer_free(w);
    mf_model *m = NULL;
    ck_assert_int_eq(mf_read_file(path, &m, err, sizeof err), 0);
    text_vocab *back = NULL;
    ck_assert_msg(text_vocab_read(m, &back, err, sizeof err) == 0, "%s", err);
    mf_model_free(m);
    tt_rmtree(dir);
    return back;
}

START_TEST(vocabulary_round_trips_through_a_model_file)
{
    sh_text_config cfg = fruit_cfg();
    cfg.stemming = 1;
    cfg.numbers = 1;
    cfg.max_token_len = 25;
    text_vocab *v = build(&cfg, fruit_docs, 4, NULL, 0);
    text_vocab *back = through_model_file(v);

    char before[4096];
    snprintf(before, sizeof before, "%s", describe(v));
    ck_assert_str_eq(describe(back), before);
    ck_assert_uint_eq(text_vocab_docs(back), 4);
    const sh_text_config *ca = text_vocab_config(v), *cb = text_vocab_config(back);
    ck_assert_int_eq(cb->vocab_size, ca->vocab_size);
    ck_assert_int_eq(cb->min_df, ca->min_df);
    ck_assert(cb->max_df == ca->max_df);
    ck_assert_int_eq(cb->stop_words, ca->stop_words);
    ck_assert_int_eq(cb->stemming, 1);
    ck_assert_int_eq(cb->numbers, 1);
    ck_assert_int_eq(cb->min_token_len, ca->min_token_len);
    ck_assert_int_eq(cb->max_token_len, 25);
    ck_assert_int_eq(cb->email, ca->email);
    ck_assert_int_eq((int)cb->on_binary, (int)ca->on_binary);
    for (uint32_t id = 0; id < text_vocab_size(v); id++)
        ck_assert_float_eq(text_vocab_idf(back, id), text_vocab_idf(v, id));
    /* the same document gives the same row through either vocabulary */
    text_vectorizer *va = NULL, *vb = NULL;
    ck_assert_int_eq(text_vectorizer_new(v, &va, NULL, 0), 0);
    ck_assert_int_eq(text_vectorizer_new(back, &vb, NULL, 0), 0);
    const char *doc = "Apples and cherries, banana 42";
    const uint32_t *ia, *ib;
    const float *wa, *wb;
    size_t na, nb;
    ck_assert_int_eq(text_vectorize_row(va, doc, strlen(doc), &ia, &wa, NULL, &na), 0);
    ck_assert_int_eq(text_vectorize_row(vb, doc, strlen(doc), &ib, &wb, NULL, &nb), 0);
    ck_assert_uint_eq(na, 3); /* stemmed "appl", "cherri", "banana"; 42 is unknown */
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(ia, ib, na * sizeof *ia) == 0);
    ck_assert(memcmp(wa, wb, na * sizeof *wa) == 0);
    text_vectorizer_free(va);
    text_vectorizer_free(vb);
    text_vocab_free(back);
    text_vocab_free(v);
}
END_TEST

/* text.email and text.email_headers share one field of the model file. */
START_TEST(mail_options_round_trip_through_a_model_file)
{
    const int email[] = { 0, 1, 1 };
    const sh_email_headers headers[] = { SH_EMAIL_SUBJECT, SH_EMAIL_SUBJECT,
                                         SH_EMAIL_ALL_HEADERS };
    for (int i = 0; i < 3; i++) {
        sh_text_config cfg = fruit_cfg();
        cfg.email = email[i];
        cfg.email_headers = headers[i];
        text_vocab *v = build(&cfg, fruit_docs, 4, NULL, 0);
        text_vocab *back = through_model_file(v);
        ck_assert_int_eq(text_vocab_config(back)->email, email[i]);
        if (email[i])
            ck_assert_int_eq((int)text_vocab_config(back)->email_headers, (int)headers[i]);
        text_vocab_free(back);
        text_vocab_free(v);
    }
}
END_TEST

START_TEST(damaged_vocabulary_sections_are_errors)
{
    /* a model without text sections */
    mf_writer *w = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    mf_model *m = NULL;
    text_vocab *v = NULL;
    char err[256];
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "blob", &m, err, sizeof err), 0);
    ck_assert_int_eq(text_vocab_read(m, &v, err, sizeof err), SH_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "blob"));
    mf_model_free(m);
    free(buf);

    /* valid options, then a vocabulary claiming 1000 terms with none present */
    sh_text_config cfg = fruit_cfg();
    text_vocab *good = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(text_vocab_write(good, w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    /* find the VOCB term count (after tag, length, version, N) and raise it */
    uint8_t *tag = NULL;
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "VOCB", 4) == 0)
            tag = buf + i;
    ck_assert_ptr_nonnull(tag);
    uint8_t *count = tag + 4 + 8 + 4 + 8;
    ck_assert_uint_eq(count[0], 6);
    count[0] = 0xE8;
    count[1] = 0x03;
    /* the checksum no longer matches: reading the container must say so */
    ck_assert_int_eq(mf_read_buffer(buf, len, "blob", &m, err, sizeof err), SH_ECHECKSUM);
    free(buf);
    text_vocab_free(good);

    /* a hand-built section with a bad count, inside a valid container */
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    good = build(&cfg, fruit_docs, 4, NULL, 0);
    ck_assert_int_eq(text_vocab_write(good, w), 0);
    text_vocab_free(good);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "blob", &m, err, sizeof err), 0);
    const void *sec;
    size_t sec_len;
    ck_assert_int_eq(mf_model_section(m, MF_TAG('V', 'O', 'C', 'B'), &sec, &sec_len), 0);
    uint8_t *copy = malloc(sec_len);
    memcpy(copy, sec, sec_len);
    copy[12] = 0xE8;
    copy[13] = 0x03;
    const void *txtc;
    size_t txtc_len;
    ck_assert_int_eq(mf_model_section(m, MF_TAG('T', 'X', 'T', 'C'), &txtc, &txtc_len), 0);
    mf_writer *w2 = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w2), 0);
    ck_assert_int_eq(mf_writer_add(w2, MF_TAG('T', 'X', 'T', 'C'), txtc, txtc_len), 0);
    ck_assert_int_eq(mf_writer_add(w2, MF_TAG('V', 'O', 'C', 'B'), copy, sec_len), 0);
    uint8_t *buf2;
    size_t len2;
    ck_assert_int_eq(mf_writer_finish(w2, &buf2, &len2), 0);
    mf_writer_free(w2);
    mf_model *m2 = NULL;
    ck_assert_int_eq(mf_read_buffer(buf2, len2, "blob2", &m2, err, sizeof err), 0);
    ck_assert_int_eq(text_vocab_read(m2, &v, err, sizeof err), SH_ETRUNC);
    ck_assert_ptr_nonnull(strstr(err, "blob2"));
    ck_assert_ptr_null(v);
    mf_model_free(m2);
    mf_model_free(m);
    free(copy);
    free(buf);
    free(buf2);
}
END_TEST

/* A container with the given TXTC and VOCB section bytes. */
static int read_sections(const void *txtc, size_t txtc_len, const void *vocb, size_t vocb_len,
                         text_vocab **v, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    mf_model *m = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_add(w, MF_TAG('T', 'X', 'T', 'C'), txtc, txtc_len), 0);
    ck_assert_int_eq(mf_writer_add(w, MF_TAG('V', 'O', 'C', 'B'), vocb, vocb_len), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "cut", &m, err, err_len), 0);
    int rc = text_vocab_read(m, v, err, err_len);
    mf_model_free(m);
    free(buf);
    return rc;
}

START_TEST(every_truncation_of_the_sections_is_an_error)
{
    sh_text_config cfg = fruit_cfg();
    text_vocab *good = build(&cfg, fruit_docs, 4, NULL, 0);
    mf_writer *w = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    mf_model *m = NULL;
    char err[256];
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(text_vocab_write(good, w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "whole", &m, err, sizeof err), 0);
    const void *txtc, *vocb;
    size_t txtc_len, vocb_len;
    ck_assert_int_eq(mf_model_section(m, MF_TAG('T', 'X', 'T', 'C'), &txtc, &txtc_len), 0);
    ck_assert_int_eq(mf_model_section(m, MF_TAG('V', 'O', 'C', 'B'), &vocb, &vocb_len), 0);
    text_vocab *v = NULL;
    ck_assert_int_eq(read_sections(txtc, txtc_len, vocb, vocb_len, &v, err, sizeof err), 0);
    text_vocab_free(v);
    for (size_t cut = 0; cut < txtc_len; cut++) {
        v = NULL;
        ck_assert_int_eq(read_sections(txtc, cut, vocb, vocb_len, &v, err, sizeof err), SH_ETRUNC);
        ck_assert_ptr_null(v);
    }
    for (size_t cut = 0; cut < vocb_len; cut++) {
        v = NULL;
        ck_assert_int_eq(read_sections(txtc, txtc_len, vocb, cut, &v, err, sizeof err), SH_ETRUNC);
        ck_assert_ptr_null(v);
    }
    /* one byte too many */
    uint8_t *longer = malloc(vocb_len + 1);
    memcpy(longer, vocb, vocb_len);
    longer[vocb_len] = 0;
    ck_assert_int_eq(read_sections(txtc, txtc_len, longer, vocb_len + 1, &v, err, sizeof err),
                     SH_EFORMAT);
    /* an option out of range: min_token_len (bytes 32..35) set to 0 */
    uint8_t *bad = malloc(txtc_len);
    memcpy(bad, txtc, txtc_len);
    memset(bad + 32, 0, 4);
    ck_assert_int_eq(read_sections(bad, txtc_len, vocb, vocb_len, &v, err, sizeof err),
                     SH_EFORMAT);
    /* another stop-word list */
    memcpy(bad, txtc, txtc_len);
    bad[txtc_len - 1] ^= 0x5a;
    ck_assert_int_eq(read_sections(bad, txtc_len, vocb, vocb_len, &v, err, sizeof err),
                     SH_EMODEL);
    free(bad);
    free(longer);
    mf_model_free(m);
    free(buf);
    text_vocab_free(good);
}
END_TEST

/* Term i of a made-up vocabulary: "x" and i in base 26 (letters only). */
static size_t made_up_term(uint32_t i, char *out)
{
    size_t n = 0;
    out[n++] = 'x';
    do {
        out[n++] = (char)('a' + i % 26);
        i /= 26;
    } while (i > 0);
    out[n] = '\0';
    return n;
}

START_TEST(rows_are_sorted_for_every_vocabulary_width)
{
    sh_text_config cfg = fruit_cfg();
    const uint32_t widths[] = { 40, 300, 70000 };   /* 1, 2 and 3 radix passes */
    const size_t lengths[] = { 1, 5, 32, 33, 500, 3000 };
    uint64_t x = 99;
    for (size_t w = 0; w < 3; w++) {
        uint32_t V = widths[w];
        char **terms = malloc(V * sizeof *terms);
        size_t *lens = malloc(V * sizeof *lens);
        uint32_t *dfs = malloc(V * sizeof *dfs), *expect = calloc(V, sizeof *expect);
        ck_assert(terms && lens && dfs && expect);
        for (uint32_t i = 0; i < V; i++) {
            terms[i] = malloc(16);
            lens[i] = made_up_term(i, terms[i]);
            dfs[i] = 1;
        }
        text_vocab *v = NULL;
        ck_assert_int_eq(text_vocab_from_terms(&cfg, 10, V, (const char *const *)terms, lens,
                                               dfs, &v, NULL, 0), 0);
        text_vectorizer *vec = NULL;
        ck_assert_int_eq(text_vectorizer_new(v, &vec, NULL, 0), 0);
        char *doc = malloc(3000 * 17);
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t pos = 0;
            for (size_t k = 0; k < lengths[l]; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                uint32_t id = (uint32_t)(x % V);
                expect[id]++;
                pos += made_up_term(id, doc + pos);
                doc[pos++] = ' ';
            }
            const uint32_t *ids;
            const float *counts;
            size_t n;
            ck_assert_int_eq(text_vectorize_row(vec, doc, pos, &ids, NULL, &counts, &n), 0);
            size_t distinct = 0;
            for (uint32_t id = 0; id < V; id++)
                distinct += expect[id] != 0;
            ck_assert_uint_eq(n, distinct);
            for (size_t i = 0; i < n; i++) {
                if (i > 0)
                    ck_assert_uint_lt(ids[i - 1], ids[i]);
                ck_assert_float_eq(counts[i], (float)expect[ids[i]]);
                expect[ids[i]] = 0;
            }
        }
        free(doc);
        text_vectorizer_free(vec);
        text_vocab_free(v);
        for (uint32_t i = 0; i < V; i++)
            free(terms[i]);
        free(terms);
        free(lens);
        free(dfs);
        free(expect);
    }
}
END_TEST

Suite *text_vocab_suite(void)
{
    Suite *s = suite_create("text_vocab");
    TCase *core = tcase_create("core");
    tcase_add_test(core, selection_by_df_with_deterministic_order);
    tcase_add_test(core, two_orders_of_the_same_documents_give_the_same_vocabulary);
    tcase_add_test(core, tfidf_rows_match_a_hand_computation);
    tcase_add_test(core, vocabulary_round_trips_through_a_model_file);
    tcase_add_test(core, mail_options_round_trip_through_a_model_file);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, finish_reports_empty_and_bad_options);
    tcase_add_test(limits, strtab_interns_many_strings);
    tcase_add_test(limits, rows_are_sorted_for_every_vocabulary_width);
    tcase_add_test(limits, vocab_from_terms_checks_its_input);
    tcase_add_test(limits, damaged_vocabulary_sections_are_errors);
    tcase_add_test(limits, every_truncation_of_the_sections_is_an_error);
    suite_add_tcase(s, limits);
    return s;
}
