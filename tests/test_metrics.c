/* test_metrics.c — retrieval metrics on hand-computed cases, including
 * ties in Hamming distance and in cosine. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "rng.h"
#include "sh_error.h"

#define TOL 1e-9

/* Database: 8-bit codes with labels (A = 0, B = 1)
 *   d0 = 00000000 {A}   d1 = 00000001 {B}   d2 = 00000011 {A}
 *   d3 = 10000000 {A,B}
 * Queries: q0 = 00000000 {A}, q1 = 11111111 {B}.
 * Distances: q0 -> 0, 1, 2, 1     q1 -> 8, 7, 6, 7
 * Relevant:  q0 -> d0, d2, d3     q1 -> d1, d3 */
static sh_code db[4], queries[2];
static metrics_labels db_labels, query_labels;

static sh_code code8(unsigned byte)
{
    sh_code c = { { (uint64_t)byte << 56, 0 } };
    return c;
}

static void setup(void)
{
    db[0] = code8(0x00);
    db[1] = code8(0x01);
    db[2] = code8(0x03);
    db[3] = code8(0x80);
    queries[0] = code8(0x00);
    queries[1] = code8(0xFF);
    const uint32_t A = 0, B = 1, AB[] = { 1, 0, 1 };
    ck_assert_int_eq(metrics_labels_init(&db_labels), 0);
    ck_assert_int_eq(metrics_labels_init(&query_labels), 0);
    ck_assert_int_eq(metrics_labels_append(&db_labels, &A, 1), 0);
    ck_assert_int_eq(metrics_labels_append(&db_labels, &B, 1), 0);
    ck_assert_int_eq(metrics_labels_append(&db_labels, &A, 1), 0);
    ck_assert_int_eq(metrics_labels_append(&db_labels, AB, 3), 0);
    ck_assert_int_eq(metrics_labels_append(&query_labels, &A, 1), 0);
    ck_assert_int_eq(metrics_labels_append(&query_labels, &B, 1), 0);
}

static void teardown(void)
{
    metrics_labels_free(&db_labels);
    metrics_labels_free(&query_labels);
}

/* Does the seeded tie order put d3 before d1? */
static int d3_first(uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    uint32_t perm[4] = { 0, 1, 2, 3 };
    rng_shuffle_u32(&rng, perm, 4);
    for (int i = 0; i < 4; i++) {
        if (perm[i] == 3)
            return 1;
        if (perm[i] == 1)
            return 0;
    }
    return -1;
}

START_TEST(precision_and_map_at_k_with_ties)
{
    /* q0 ranks d0 (0), then d1 and d3 tied at 1, then d2 (2).
     *  d3 first: relevance 1 1 0 1 -> P@2 = 1,   AP@4 = (1 + 1 + 3/4) / 3 = 0.916667
     *  d1 first: relevance 1 0 1 1 -> P@2 = 1/2, AP@4 = (1 + 2/3 + 3/4) / 3 = 0.805556
     * q1 ranks d2 (6), then d1, d3 tied at 7 (both relevant), then d0 (8):
     *  relevance 0 1 1 0 -> P@2 = 1/2, AP@2 = (1/2) / 1; P@4 = 1/2,
     *  AP@4 = (1/2 + 2/3) / 2 = 0.583333, whatever the tie order. */
    size_t ks[] = { 1, 2, 4, 10 };
    int seen[2] = { 0, 0 };
    for (uint64_t seed = 1; seed <= 40; seed++) {
        double p[4], m[4];
        ck_assert_int_eq(metrics_hamming_rank(queries, &query_labels, 2, db, &db_labels, 4,
                                              ks, 4, seed, p, m), 0);
        int first = d3_first(seed);
        seen[first]++;
        double q0_p2 = first ? 1.0 : 0.5;
        double q0_ap4 = first ? (1 + 1 + 0.75) / 3 : (1 + 2.0 / 3 + 0.75) / 3;
        ck_assert_double_eq_tol(p[0], (1.0 + 0.0) / 2, TOL);
        ck_assert_double_eq_tol(m[0], (1.0 + 0.0) / 2, TOL);
        ck_assert_double_eq_tol(p[1], (q0_p2 + 0.5) / 2, TOL);
        ck_assert_double_eq_tol(m[1], (1.0 + 0.5) / 2, TOL);
        ck_assert_double_eq_tol(p[2], (0.75 + 0.5) / 2, TOL);
        ck_assert_double_eq_tol(m[2], (q0_ap4 + (0.5 + 2.0 / 3) / 2) / 2, TOL);
        /* k beyond the database: same as k = 4 */
        ck_assert_double_eq_tol(p[3], p[2], TOL);
        ck_assert_double_eq_tol(m[3], m[2], TOL);
    }
    ck_assert_int_gt(seen[0], 0);
    ck_assert_int_gt(seen[1], 0);
}
END_TEST

START_TEST(precision_and_recall_within_radius)
{
    /* q0: r=0 {d0}: P 1, R 1/3; r=1 {d0,d1,d3}: P 2/3, R 2/3; r=2 all: P 3/4, R 1.
     * q1: balls empty up to r=5; r=6 {d2}: P 0, R 0; r=7 {d2,d1,d3}: P 2/3, R 1. */
    metrics_radius_row rows[8];
    ck_assert_int_eq(metrics_hamming_radius(queries, &query_labels, 2, db, &db_labels, 4,
                                            7, rows), 0);
    ck_assert_int_eq(rows[2].radius, 2);
    ck_assert_double_eq_tol(rows[0].precision, 1.0, TOL);
    ck_assert_double_eq_tol(rows[0].recall, (1.0 / 3 + 0) / 2, TOL);
    ck_assert_double_eq_tol(rows[0].mean_results, 0.5, TOL);
    ck_assert_double_eq_tol(rows[0].empty_fraction, 0.5, TOL);
    ck_assert_double_eq_tol(rows[1].precision, 2.0 / 3, TOL);
    ck_assert_double_eq_tol(rows[1].recall, (2.0 / 3) / 2, TOL);
    ck_assert_double_eq_tol(rows[1].mean_results, 1.5, TOL);
    ck_assert_double_eq_tol(rows[2].precision, 0.75, TOL);
    ck_assert_double_eq_tol(rows[2].recall, 0.5, TOL);
    ck_assert_double_eq_tol(rows[6].precision, (0.75 + 0.0) / 2, TOL);
    ck_assert_double_eq_tol(rows[6].empty_fraction, 0.0, TOL);
    ck_assert_double_eq_tol(rows[6].mean_results, (4 + 1) / 2.0, TOL);
    ck_assert_double_eq_tol(rows[7].precision, (0.75 + 2.0 / 3) / 2, TOL);
    ck_assert_double_eq_tol(rows[7].recall, 1.0, TOL);
    ck_assert_int_eq(metrics_hamming_radius(queries, &query_labels, 2, db, &db_labels, 4,
                                            129, rows), SH_EINVAL);
    ck_assert_int_eq(metrics_hamming_radius(queries, &query_labels, 1, db, &db_labels, 4,
                                            3, rows), SH_EINVAL);
}
END_TEST

START_TEST(near_duplicate_recall_and_false_candidates)
{
    /* q0's original is d2 (distance 2), q1's is d3 (distance 7).
     * r=0: found none; others: q0 {d0} = 1, q1 0      -> recall 0,   false 0.5
     * r=1: found none; q0 {d0,d1,d3} = 3              -> recall 0,   false 1.5
     * r=2: q0 found; q0 others 3                      -> recall 0.5, false 1.5
     * r=7: both found; q0 others 3, q1 {d2,d1} = 2    -> recall 1,   false 2.5 */
    size_t original[] = { 2, 3 };
    metrics_dup_row rows[8];
    ck_assert_int_eq(metrics_near_duplicates(queries, original, 2, db, 4, 7, rows), 0);
    ck_assert_double_eq_tol(rows[0].recall, 0.0, TOL);
    ck_assert_double_eq_tol(rows[0].false_per_query, 0.5, TOL);
    ck_assert_double_eq_tol(rows[1].false_per_query, 1.5, TOL);
    ck_assert_double_eq_tol(rows[2].recall, 0.5, TOL);
    ck_assert_double_eq_tol(rows[2].false_per_query, 1.5, TOL);
    ck_assert_double_eq_tol(rows[7].recall, 1.0, TOL);
    ck_assert_double_eq_tol(rows[7].false_per_query, 2.5, TOL);
    original[1] = 4;
    ck_assert_int_eq(metrics_near_duplicates(queries, original, 2, db, 4, 7, rows), SH_EINVAL);
}
END_TEST

START_TEST(cosine_reference_with_ties)
{
    /* db rows (2 columns): v0 = (1, 0) {A}, v1 = (0.6, 0.8) {B}, v2 = (0, 1) {A},
     * v3 = (0.6, 0.8) {A,B}; query (1, 0) {A}: cosines 1, 0.6, 0, 0.6 — the
     * same order and ties as q0 above, so P@2 is 1 or 1/2 by tie order. */
    sh_csr D, Q;
    ck_assert_int_eq(csr_init(&D, 2), 0);
    ck_assert_int_eq(csr_init(&Q, 2), 0);
    uint32_t c0[] = { 0 }, c1[] = { 1 }, c01[] = { 0, 1 };
    float one[] = { 1.0f }, v[] = { 0.6f, 0.8f };
    ck_assert_int_eq(csr_append_row(&D, 1, c0, one), 0);
    ck_assert_int_eq(csr_append_row(&D, 2, c01, v), 0);
    ck_assert_int_eq(csr_append_row(&D, 1, c1, one), 0);
    ck_assert_int_eq(csr_append_row(&D, 2, c01, v), 0);
    ck_assert_int_eq(csr_append_row(&Q, 1, c0, one), 0);
    metrics_labels ql;
    ck_assert_int_eq(metrics_labels_init(&ql), 0);
    const uint32_t A = 0;
    ck_assert_int_eq(metrics_labels_append(&ql, &A, 1), 0);
    size_t ks[] = { 2, 4 };
    for (uint64_t seed = 1; seed <= 20; seed++) {
        double p[2], m[2];
        ck_assert_int_eq(metrics_cosine_rank(&Q, &ql, &D, &db_labels, ks, 2, seed, p, m), 0);
        int first = d3_first(seed);
        ck_assert_double_eq_tol(p[0], first ? 1.0 : 0.5, TOL);
        ck_assert_double_eq_tol(m[1], first ? (1 + 1 + 0.75) / 3 : (1 + 2.0 / 3 + 0.75) / 3, 1e-6);
    }
    metrics_labels_free(&ql);
    csr_free(&D);
    csr_free(&Q);
}
END_TEST

START_TEST(labels_by_name_and_sharing)
{
    text_strtab names;
    ck_assert_int_eq(text_strtab_init(&names), 0);
    metrics_labels a, b;
    ck_assert_int_eq(metrics_labels_init(&a), 0);
    ck_assert_int_eq(metrics_labels_init(&b), 0);
    const char *l1[] = { "sport", "news", "sport" };
    const char *l2[] = { "politics" };
    const char *l3[] = { "news" };
    /* an unlabelled document first, on an empty list */
    ck_assert_int_eq(metrics_labels_append(&b, NULL, 0), 0);
    ck_assert_int_eq(metrics_labels_append_names(&a, &names, l1, 3), 0);
    ck_assert_int_eq(metrics_labels_append_names(&a, &names, l2, 1), 0);
    ck_assert_int_eq(metrics_labels_append_names(&a, &names, NULL, 0), 0);
    ck_assert_int_eq(metrics_labels_append_names(&b, &names, l3, 1), 0);
    ck_assert_uint_eq(a.ptr[1] - a.ptr[0], 2); /* duplicates removed */
    ck_assert_int_eq(metrics_labels_share(&a, 0, &b, 0), 0);
    ck_assert_int_eq(metrics_labels_share(&a, 0, &b, 1), 1);
    ck_assert_int_eq(metrics_labels_share(&a, 1, &b, 1), 0);
    ck_assert_int_eq(metrics_labels_share(&a, 2, &b, 1), 0);
    ck_assert_uint_eq(names.count, 3);
    metrics_labels_free(&a);
    metrics_labels_free(&b);
    text_strtab_free(&names);
}
END_TEST

/* tie[j] = position of document j in the seeded permutation of n. */
static void seeded_ties(uint64_t seed, uint32_t *tie, uint32_t n)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    uint32_t *perm = malloc(n * sizeof *perm);
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    rng_shuffle_u32(&rng, perm, n);
    for (uint32_t i = 0; i < n; i++)
        tie[perm[i]] = i;
    free(perm);
}

/* Adds query q's P@k and AP@k, for a full ranking order[], divided by
 * n_q, to p[] and m[]. */
static void add_reference_scores(const uint32_t *order, const metrics_labels *ql, size_t q,
                                 const metrics_labels *dl, const size_t *ks, int n_k,
                                 size_t n_q, double *p, double *m)
{
    for (int i = 0; i < n_k; i++) {
        size_t hits = 0;
        double ap = 0;
        for (size_t r = 0; r < ks[i]; r++)
            if (metrics_labels_share(ql, q, dl, order[r]))
                ap += (double)++hits / (double)(r + 1);
        p[i] += (double)hits / (double)ks[i] / (double)n_q;
        m[i] += (hits ? ap / (double)hits : 0) / (double)n_q;
    }
}

/* Reference: full sort of the whole database for one query. */
static int full_cmp_keys[1000];
static uint32_t full_cmp_tie[1000];

static int full_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (full_cmp_keys[a] != full_cmp_keys[b])
        return full_cmp_keys[a] < full_cmp_keys[b] ? -1 : 1;
    return full_cmp_tie[a] < full_cmp_tie[b] ? -1 : 1;
}

START_TEST(top_k_selection_matches_a_full_sort)
{
    enum { NDB = 1000, NQ = 20 };
    static sh_code d[NDB], q[NQ];
    metrics_labels dl, ql;
    ck_assert_int_eq(metrics_labels_init(&dl), 0);
    ck_assert_int_eq(metrics_labels_init(&ql), 0);
    sh_rng rng;
    rng_seed(&rng, 99);
    for (int i = 0; i < NDB; i++) {
        d[i].w[0] = rng_u64(&rng) & 0xFFF0000000000000ull; /* 12 bits: many ties */
        d[i].w[1] = 0;
        uint32_t lab = (uint32_t)rng_below(&rng, 4);
        ck_assert_int_eq(metrics_labels_append(&dl, &lab, 1), 0);
    }
    for (int i = 0; i < NQ; i++) {
        q[i].w[0] = rng_u64(&rng) & 0xFFF0000000000000ull;
        q[i].w[1] = 0;
        uint32_t lab = (uint32_t)rng_below(&rng, 4);
        ck_assert_int_eq(metrics_labels_append(&ql, &lab, 1), 0);
    }
    uint64_t seed = 7;
    seeded_ties(seed, full_cmp_tie, NDB);
    size_t ks[] = { 1, 10, 100, 1000 };
    double exp_p[4] = { 0 }, exp_m[4] = { 0 };
    for (int qi = 0; qi < NQ; qi++) {
        uint32_t order[NDB];
        for (uint32_t j = 0; j < NDB; j++) {
            order[j] = j;
            full_cmp_keys[j] = code_hamming(&q[qi], &d[j]);
        }
        qsort(order, NDB, sizeof order[0], full_cmp);
        add_reference_scores(order, &ql, (size_t)qi, &dl, ks, 4, NQ, exp_p, exp_m);
    }
    double p[4], m[4];
    ck_assert_int_eq(metrics_hamming_rank(q, &ql, NQ, d, &dl, NDB, ks, 4, seed, p, m), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq_tol(p[i], exp_p[i], 1e-12);
        ck_assert_double_eq_tol(m[i], exp_m[i], 1e-12);
    }
    size_t zero = 0;
    ck_assert_int_eq(metrics_hamming_rank(q, &ql, NQ, d, &dl, NDB, &zero, 1, seed, p, m),
                     SH_EINVAL);
    metrics_labels_free(&dl);
    metrics_labels_free(&ql);
}
END_TEST

/* Reference for cosine: dot products by merging sorted rows, full sort. */
static float ref_score[300];
static uint32_t ref_tie[300];

static int ref_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (ref_score[a] != ref_score[b])
        return ref_score[a] > ref_score[b] ? -1 : 1;
    return ref_tie[a] < ref_tie[b] ? -1 : 1;
}

/* Random rows with about one entry in one_in columns. */
static void random_rows(sh_rng *rng, sh_csr *m, size_t rows, size_t cols, uint64_t one_in,
                        metrics_labels *l)
{
    ck_assert_int_eq(csr_init(m, cols), 0);
    ck_assert_int_eq(metrics_labels_init(l), 0);
    for (size_t r = 0; r < rows; r++) {
        uint32_t idx[40];
        float val[40];
        size_t n = 0;
        for (uint32_t c = 0; c < cols; c++) {
            if (rng_below(rng, one_in) == 0 && n < 40) {
                idx[n] = c;
                val[n++] = (float)(1 + rng_below(rng, 3)) / 4; /* coarse: ties happen */
            }
        }
        ck_assert_int_eq(csr_append_row(m, n, idx, val), 0);
        uint32_t lab = (uint32_t)rng_below(rng, 3);
        ck_assert_int_eq(metrics_labels_append(l, &lab, 1), 0);
    }
}

START_TEST(cosine_postings_match_brute_force)
{
    enum { NDB = 300, NQ = 15, COLS = 60 };
    sh_rng rng;
    rng_seed(&rng, 3);
    sh_csr D, Q;
    metrics_labels dl, ql;
    /* dense-ish database rows; half the queries have a single term or
     * two, so most rows score 0 and their order is the seeded one */
    random_rows(&rng, &D, NDB, COLS, 6, &dl);
    random_rows(&rng, &Q, NQ / 2, COLS, 6, &ql);
    sh_csr sparse;
    metrics_labels sparse_labels;
    random_rows(&rng, &sparse, NQ - NQ / 2, COLS, 40, &sparse_labels);
    for (size_t r = 0; r < sparse.rows; r++) {
        size_t a = sparse.row_ptr[r], b = sparse.row_ptr[r + 1];
        ck_assert_int_eq(csr_append_row(&Q, b - a, sparse.col_idx + a, sparse.values + a), 0);
        ck_assert_int_eq(metrics_labels_append(&ql, sparse_labels.ids + sparse_labels.ptr[r],
                                               sparse_labels.ptr[r + 1] - sparse_labels.ptr[r]), 0);
    }
    csr_free(&sparse);
    metrics_labels_free(&sparse_labels);
    uint64_t seed = 11;
    seeded_ties(seed, ref_tie, NDB);
    size_t ks[] = { 1, 5, 50, 300 };
    double exp_p[4] = { 0 }, exp_m[4] = { 0 };
    for (size_t q = 0; q < NQ; q++) {
        uint32_t order[NDB];
        for (uint32_t j = 0; j < NDB; j++) {
            double dot = 0;
            size_t a = Q.row_ptr[q], b = D.row_ptr[j];
            while (a < Q.row_ptr[q + 1] && b < D.row_ptr[j + 1]) {
                if (Q.col_idx[a] == D.col_idx[b])
                    dot += (double)Q.values[a++] * D.values[b++];
                else if (Q.col_idx[a] < D.col_idx[b])
                    a++;
                else
                    b++;
            }
            ref_score[j] = (float)dot;
            order[j] = j;
        }
        qsort(order, NDB, sizeof order[0], ref_cmp);
        add_reference_scores(order, &ql, q, &dl, ks, 4, NQ, exp_p, exp_m);
    }
    double p[4], m[4];
    ck_assert_int_eq(metrics_cosine_rank(&Q, &ql, &D, &dl, ks, 4, seed, p, m), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq_tol(p[i], exp_p[i], 1e-12);
        ck_assert_double_eq_tol(m[i], exp_m[i], 1e-12);
    }
    csr_free(&D);
    csr_free(&Q);
    metrics_labels_free(&dl);
    metrics_labels_free(&ql);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, precision_and_map_at_k_with_ties);
    tcase_add_test(core, precision_and_recall_within_radius);
    tcase_add_test(core, near_duplicate_recall_and_false_candidates);
    tcase_add_test(core, cosine_reference_with_ties);
    tcase_add_test(core, labels_by_name_and_sharing);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, top_k_selection_matches_a_full_sort);
    tcase_add_test(limits, cosine_postings_match_brute_force);
    suite_add_tcase(s, limits);
    return s;
}
