/* test_index_search.c — every search mode against brute force.
 *
 * Indexes of random and clustered codes (16, 32, 64, 128 bits; the planner's
 * and a small substring count), the empty index, a single document and many
 * identical codes. For each query and radius 0..10, ball, MIH, scan and auto
 * must return exactly the brute-force answer computed from the docs table,
 * and top-k the first k of the brute-force ranking. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx_search.h"
#include "sh_error.h"
#include "test_index_util.h"

#define BALL_BUDGET 20000.0
#define MIH_BUDGET 200000.0

static double mih_probe_count(const idx_index *ix, int r)
{
    double p = 0;
    for (int j = 0; j < ix->m; j++) {
        int q = r / ix->m, a = r % ix->m, rj = j <= a ? q : q - 1;
        if (rj >= 0)
            p += tix_ball(ix->sub[j].len, rj);
    }
    return p;
}

/* Checks one mode's answer (hits, total) against the brute-force list. */
static void check_same(const char *what, idx_mode mode, int r, const idx_hit *hits,
                       size_t total, const uint64_t *expect, size_t n_expect)
{
    ck_assert_msg(total == n_expect, "%s mode %d r %d: %zu hits, brute force %zu", what, mode, r,
                  total, n_expect);
    for (size_t i = 0; i < total; i++) {
        ck_assert_msg(hits[i].id == (uint32_t)expect[i] &&
                          hits[i].distance == (uint32_t)(expect[i] >> 32),
                      "%s mode %d r %d hit %zu: (%u,%u) expected (%u,%u)", what, mode, r, i,
                      hits[i].id, hits[i].distance, (uint32_t)expect[i],
                      (uint32_t)(expect[i] >> 32));
    }
}

/* Runs every mode for radii 0..max_r and top-k for a few k on query q. */
static void check_query(idx_reader *rd, const sh_code *q, int max_r, const char *what)
{
    const idx_index *ix = rd->ix;
    uint64_t *all;
    size_t n_all = tix_brute(rd, q, ix->bits, &all);
    size_t cap = n_all + 1;
    idx_hit *hits = malloc(cap * sizeof *hits);
    ck_assert_ptr_nonnull(hits);
    for (int r = 0; r <= max_r && r <= ix->bits; r++) {
        size_t n_expect = 0;
        while (n_expect < n_all && (int)(all[n_expect] >> 32) <= r)
            n_expect++;
        idx_mode modes[4] = { IDX_MODE_SCAN, IDX_MODE_AUTO, IDX_MODE_BALL, IDX_MODE_MIH };
        for (int mi = 0; mi < 4; mi++) {
            idx_mode mode = modes[mi];
            if (mode == IDX_MODE_BALL && tix_ball(ix->bits, r) > BALL_BUDGET)
                continue;
            if (mode == IDX_MODE_MIH && mih_probe_count(ix, r) > MIH_BUDGET)
                continue;
            size_t total = 12345;
            idx_search_info info;
            ck_assert_int_eq(idx_search(rd, q, r, mode, hits, cap, &total, &info), 0);
            ck_assert(mode == IDX_MODE_AUTO || info.mode == mode);
            check_same(what, mode, r, hits, total, all, n_expect);
        }
        /* A small buffer gets the prefix and the full total. */
        if (n_expect > 2) {
            idx_hit few[2];
            size_t total;
            ck_assert_int_eq(idx_search(rd, q, r, IDX_MODE_AUTO, few, 2, &total, NULL), 0);
            ck_assert_uint_eq(total, n_expect);
            check_same(what, IDX_MODE_AUTO, r, few, 2, all, 2);
        }
    }
    size_t ks[4] = { 1, 3, 17, n_all + 5 };
    idx_mode tmodes[4] = { IDX_MODE_AUTO, IDX_MODE_SCAN, IDX_MODE_BALL, IDX_MODE_MIH };
    for (int ki = 0; ki < 4; ki++) {
        for (int mi = 0; mi < 4; mi++) {
            size_t k = ks[ki], n = 0;
            idx_hit *top = malloc((k + 1) * sizeof *top);
            ck_assert_ptr_nonnull(top);
            ck_assert_int_eq(idx_topk(rd, q, k, tmodes[mi], top, &n, NULL), 0);
            size_t want = k < n_all ? k : n_all;
            check_same("topk", tmodes[mi], -(int)k, top, n, all, want);
            free(top);
        }
    }
    free(hits);
    free(all);
}

typedef enum { CODES_RANDOM, CODES_CLUSTERED } code_kind;

static void run_config(int bits, int substrings, code_kind kind, int n_docs, uint64_t seed)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, bits, substrings, 0);
    sh_rng rng;
    rng_seed(&rng, seed);
    int n_centers = 12;
    sh_code centers[12];
    for (int i = 0; i < n_centers; i++)
        centers[i] = tix_random_code(&rng, bits);
    sh_code *codes = malloc((size_t)n_docs * sizeof *codes);
    ck_assert_ptr_nonnull(codes);
    for (int i = 0; i < n_docs; i++)
        codes[i] = kind == CODES_RANDOM
                       ? tix_random_code(&rng, bits)
                       : tix_perturb(&rng, &centers[rng_below(&rng, (uint64_t)n_centers)], bits,
                                     (int)rng_below(&rng, 6));
    tix_add_codes(ix, 0, codes, (size_t)n_docs);
    free(codes);

    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), (uint64_t)n_docs);
    char what[64];
    snprintf(what, sizeof what, "%d bits m %d kind %d", bits, ix->m, kind);
    for (int t = 0; t < 6; t++) {
        sh_code q = t % 2 ? tix_random_code(&rng, bits)
                          : tix_perturb(&rng, &centers[rng_below(&rng, (uint64_t)n_centers)], bits,
                                        (int)rng_below(&rng, 4));
        check_query(rd, &q, 10, what);
    }
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}

START_TEST(modes_agree_random_and_clustered)
{
    static const int widths[4] = { 16, 32, 64, 128 };
    int bits = widths[_i];
    run_config(bits, 0, CODES_RANDOM, 600, 100 + (uint64_t)bits);
    run_config(bits, 0, CODES_CLUSTERED, 600, 200 + (uint64_t)bits);
    run_config(bits, (bits + 63) / 64 + 1, CODES_CLUSTERED, 400, 300 + (uint64_t)bits);
}
END_TEST

START_TEST(empty_and_single_document)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 64, 0, 0);
    sh_rng rng;
    rng_seed(&rng, 5);
    sh_code q = tix_random_code(&rng, 64);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    check_query(rd, &q, 10, "empty");
    idx_hit hit;
    size_t total = 99;
    ck_assert_int_eq(idx_search(rd, &q, 64, IDX_MODE_AUTO, &hit, 1, &total, NULL), 0);
    ck_assert_uint_eq(total, 0);
    idx_reader_end(rd);

    sh_code c = tix_perturb(&rng, &q, 64, 3);
    tix_add_codes(ix, 1, &c, 1);
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    check_query(rd, &q, 10, "single");
    ck_assert_int_eq(idx_search(rd, &q, 2, IDX_MODE_BALL, &hit, 1, &total, NULL), 0);
    ck_assert_uint_eq(total, 0);
    ck_assert_int_eq(idx_search(rd, &q, 3, IDX_MODE_MIH, &hit, 1, &total, NULL), 0);
    ck_assert_uint_eq(total, 1);
    ck_assert_uint_eq(hit.distance, 3);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

START_TEST(many_identical_codes_span_pages)
{
    /* 3000 docs on one code: their buckets in the mih tables span
     * several LMDB pages (overflow pages) and are rewritten on each add. */
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 128, 4, 0);
    sh_rng rng;
    rng_seed(&rng, 9);
    sh_code same = tix_random_code(&rng, 128);
    static sh_code codes[3200];
    for (int i = 0; i < 3200; i++)
        codes[i] = i < 3000 ? same : tix_perturb(&rng, &same, 128, 1 + (int)rng_below(&rng, 8));
    tix_add_codes(ix, 0, codes, 3200);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    check_query(rd, &same, 6, "identical");
    sh_code near = tix_perturb(&rng, &same, 128, 2);
    check_query(rd, &near, 5, "identical-near");
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

START_TEST(limits_radius_and_probe_guard)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 128, 2, 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    sh_code q = { { 1, 2 } };
    size_t total;
    idx_hit h;
    ck_assert_int_eq(idx_search(rd, &q, -1, IDX_MODE_AUTO, &h, 1, &total, NULL), SH_EINVAL);
    ck_assert_int_eq(idx_search(rd, &q, 129, IDX_MODE_SCAN, &h, 1, &total, NULL), SH_EINVAL);
    ck_assert_int_eq(idx_search(rd, &q, 10, IDX_MODE_BALL, &h, 1, &total, NULL), SH_EINVAL);
    ck_assert_int_eq(idx_search(rd, &q, 40, IDX_MODE_MIH, &h, 1, &total, NULL), SH_EINVAL);
    ck_assert_int_eq(idx_search(rd, &q, 3, (idx_mode)7, &h, 1, &total, NULL), SH_EINVAL);
    /* The planner never picks a mode over the probe limit. */
    idx_search_info info;
    ck_assert_int_eq(idx_plan(ix, 1000000, 40, &info), IDX_MODE_SCAN);
    ck_assert_int_eq(idx_plan(ix, 1000000, 0, &info), IDX_MODE_BALL);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

START_TEST(planner_prefers_cheap_modes)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 64, 4, 0);
    idx_search_info info;
    /* Tiny index: scanning 100 codes beats a radius-5 ball or MIH. */
    ck_assert_int_eq(idx_plan(ix, 100, 5, &info), IDX_MODE_SCAN);
    /* Large index, radius 0: one ball probe beats MIH's probe plus ~15
     * candidates sharing the first 16-bit substring. */
    ck_assert_int_eq(idx_plan(ix, 1000000, 0, &info), IDX_MODE_BALL);
    ck_assert(info.cost[IDX_MODE_BALL] < info.cost[IDX_MODE_SCAN]);
    /* Radius 1: two substring probes and ~30 candidates beat 65 probes. */
    ck_assert_int_eq(idx_plan(ix, 1000000, 1, &info), IDX_MODE_MIH);
    /* Large index, radius 7: MIH (4 x 16-bit substrings) beats both. */
    ck_assert_int_eq(idx_plan(ix, 1000000, 7, &info), IDX_MODE_MIH);
    ck_assert(info.cost[IDX_MODE_MIH] < info.cost[IDX_MODE_BALL]);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

Suite *index_search_suite(void)
{
    Suite *s = suite_create("index_search");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_loop_test(core, modes_agree_random_and_clustered, 0, 4);
    tcase_add_test(core, many_identical_codes_span_pages);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, empty_and_single_document);
    tcase_add_test(limits, limits_radius_and_probe_guard);
    tcase_add_test(limits, planner_prefers_cheap_modes);
    suite_add_tcase(s, limits);
    return s;
}
