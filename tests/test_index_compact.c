/* test_index_compact.c — idx_compact: the rewritten tables hold the same
 * entries (verify passes, every search mode gives the brute-force answer,
 * names and content lookups work, statistics unchanged), take fewer pages,
 * later writes still work, refused calls change nothing, and a damaged
 * doc record is neither needed nor hidden. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx_check.h"
#include "idx_compact.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "idx_store.h"
#include "sh_error.h"
#include "test_index_util.h"

/* Every mode against brute force for a few queries and radii. */
static void check_searches(idx_index *ix, const sh_code *codes, size_t n, int bits)
{
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    char err[512];
    ck_assert_msg(idx_verify(rd, err, sizeof err) == 0, "%s", err);
    idx_hit *hits = malloc((n + 1) * sizeof *hits);
    ck_assert_ptr_nonnull(hits);
    for (size_t qi = 0; qi < n; qi += n / 7 + 1) {
        for (int r = 0; r <= 4; r += 2) {
            uint64_t *want;
            size_t n_want = tix_brute(rd, &codes[qi], r, &want);
            idx_mode modes[4] = { IDX_MODE_AUTO, IDX_MODE_BALL, IDX_MODE_MIH, IDX_MODE_SCAN };
            for (int m = 0; m < 4; m++) {
                if (modes[m] == IDX_MODE_BALL && tix_ball(bits, r) > 1e5)
                    continue;
                size_t total;
                ck_assert_int_eq(idx_search(rd, &codes[qi], r, modes[m], hits, n + 1, &total,
                                            NULL),
                                 0);
                ck_assert_uint_eq(total, n_want);
                for (size_t i = 0; i < total; i++)
                    ck_assert_uint_eq((uint64_t)hits[i].distance << 32 | hits[i].id, want[i]);
            }
            free(want);
        }
    }
    free(hits);
    idx_reader_end(rd);
}

static uint64_t mih_bytes(const idx_stats *st)
{
    uint64_t sum = 0;
    for (int t = 0; t < st->n_tables; t++)
        if (!strncmp(st->tables[t].name, "mih_", 4))
            sum += st->tables[t].bytes;
    return sum;
}

static void read_stats(idx_index *ix, idx_stats *st)
{
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_int_eq(idx_stats_get(rd, st), 0);
    idx_reader_end(rd);
}

START_TEST(compaction_keeps_every_entry_and_shrinks_the_tables)
{
    const int widths[3] = { 16, 64, 128 };
    for (int w = 0; w < 3; w++) {
        int bits = widths[w];
        char *dir = tix_tmpdir();
        idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, bits, 0, 0);
        sh_rng rng;
        rng_seed(&rng, 7 + (uint64_t)bits);
        size_t n = 20000;
        sh_code *codes = malloc(n * sizeof *codes);
        ck_assert_ptr_nonnull(codes);
        sh_code centres[40];
        for (int c = 0; c < 40; c++)
            centres[c] = tix_random_code(&rng, bits);
        for (size_t i = 0; i < n; i++)
            codes[i] = tix_perturb(&rng, &centres[rng_below(&rng, 40)], bits, (int)rng_below(&rng, 4));
        tix_add_codes(ix, 0, codes, n);
        /* some removals and replacements, so ids and entries have gaps */
        char name[32], err[512];
        for (unsigned i = 0; i < 500; i++) {
            snprintf(name, sizeof name, "doc-%u", i * 17);
            ck_assert_int_eq(idx_remove(ix, name, strlen(name), NULL, err, sizeof err), 0);
        }
        for (unsigned i = 0; i < 300; i++) {
            idx_doc d;
            unsigned k = i * 31 + 1;
            codes[k] = tix_random_code(&rng, bits);
            tix_doc(&d, name, k, codes[k], k, NULL, 0);
            ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), 0);
        }
        ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
        idx_stats before, after;
        read_stats(ix, &before);
        check_searches(ix, codes, n, bits);

        ck_assert_int_eq(idx_compact(ix, NULL, NULL, err, sizeof err), 0);
        read_stats(ix, &after);
        check_searches(ix, codes, n, bits);
        ck_assert_uint_eq(after.docs, before.docs);
        ck_assert_uint_eq(after.buckets, before.buckets);
        ck_assert_uint_eq(after.max_bucket, before.max_bucket);
        ck_assert_mem_eq(after.bit_ones, before.bit_ones, sizeof after.bit_ones);
        ck_assert_msg(mih_bytes(&after) < mih_bytes(&before), "%d bits: %llu -> %llu", bits,
                      (unsigned long long)mih_bytes(&before), (unsigned long long)mih_bytes(&after));

        /* names and content still answer; writes go on after compaction */
        idx_reader *rd;
        ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
        idx_doc got;
        snprintf(name, sizeof name, "doc-%u", 1u);
        ck_assert_int_eq(idx_doc_find(rd, name, strlen(name), &got), 0);
        snprintf(name, sizeof name, "doc-%u", 17u);
        ck_assert_int_eq(idx_doc_find(rd, name, strlen(name), &got), SH_ENOTFOUND);
        idx_reader_end(rd);
        idx_doc d;
        idx_add_result res;
        tix_doc(&d, name, 17, codes[5], 5, NULL, 0); /* doc-17 again, content of doc-5 */
        ck_assert_int_eq(idx_add(ix, &d, &res, err, sizeof err), 0);
        ck_assert_int_eq(res.action, IDX_ADDED);
        ck_assert_uint_ne(res.dup_of, 0);
        ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
        check_searches(ix, codes, n, bits);

        free(codes);
        idx_close(ix);
        tix_rmtree(dir);
    }
}
END_TEST

START_TEST(refused_compactions_change_nothing)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE, 32, 0, 0);
    sh_rng rng;
    rng_seed(&rng, 1);
    sh_code codes[100];
    for (int i = 0; i < 100; i++)
        codes[i] = tix_random_code(&rng, 32);
    tix_add_codes(ix, 0, codes, 100);
    char err[512] = "", name[32];
    idx_doc d;
    tix_doc(&d, name, 500, codes[0], 500, NULL, 0);
    ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), 0);
    ck_assert_int_eq(idx_compact(ix, NULL, NULL, err, sizeof err), SH_EINVAL);
    ck_assert_msg(strstr(err, "commit") != NULL, "%s", err);
    ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
    idx_close(ix);

    idx_options ro = tix_options(IDX_RDONLY, 32);
    ix = tix_open_with(dir, &ro);
    ck_assert_int_eq(idx_compact(ix, NULL, NULL, err, sizeof err), SH_EREADONLY);
    idx_close(ix);

    /* compaction copies the lookup tables, not the doc records: a damaged
     * record stays what it was, and verify still reports it */
    idx_options rw = tix_options(0, 32);
    ix = tix_open_with(dir, &rw);
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    ck_assert_int_eq(mdb_txn_begin(ix->env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_cursor_open(txn, ix->db_docs, &cur), 0);
    ck_assert_int_eq(mdb_cursor_get(cur, &k, &v, MDB_LAST), 0);
    uint8_t junk[3] = { 9, 9, 9 };
    MDB_val jv = { sizeof junk, junk };
    ck_assert_int_eq(mdb_cursor_put(cur, &k, &jv, MDB_CURRENT), 0);
    mdb_cursor_close(cur);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    idx_stats after;
    ck_assert_int_eq(idx_compact(ix, NULL, NULL, err, sizeof err), 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_int_eq(idx_verify(rd, err, sizeof err), SH_EINDEX);
    idx_reader_end(rd);
    read_stats(ix, &after);
    ck_assert_uint_eq(after.tables[5].entries, 101);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

static int stop_after_first(const char *table, int done, int total, void *user)
{
    (void)table;
    (void)total;
    *(int *)user = done;
    return 1;
}

START_TEST(a_callback_can_stop_between_tables)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE, 64, 0, 0);
    sh_rng rng;
    rng_seed(&rng, 2);
    sh_code codes[300];
    for (int i = 0; i < 300; i++)
        codes[i] = tix_random_code(&rng, 64);
    tix_add_codes(ix, 0, codes, 300);
    int seen = 0;
    char err[512];
    ck_assert_int_eq(idx_compact(ix, stop_after_first, &seen, err, sizeof err), SH_ECANCEL);
    ck_assert_int_eq(seen, 1);
    check_searches(ix, codes, 300, 64); /* one table rebuilt, the rest as before */
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

Suite *index_compact_suite(void)
{
    Suite *s = suite_create("index_compact");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, compaction_keeps_every_entry_and_shrinks_the_tables);
    tcase_add_test(tc, refused_compactions_change_nothing);
    tcase_add_test(tc, a_callback_can_stop_between_tables);
    suite_add_tcase(s, tc);
    return s;
}
