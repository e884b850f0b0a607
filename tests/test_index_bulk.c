/* test_index_bulk.c — idx_bulk: a bulk load gives every add the result a
 * one-by-one load gives and leaves byte-identical tables (checked entry
 * by entry against an index loaded without it, at several code widths,
 * with replacements, unchanged re-adds and exact duplicates, through map
 * growth, added one at a time and with idx_add_batch); an interrupted
 * load is refused read-only and finished by the next read-write open; a
 * broken load builds its tables from the committed docs; refused calls
 * change nothing; idx_add_batch stops at the first bad document. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx_bucket.h"
#include "idx_bulk.h"
#include "idx_check.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "idx_store.h"
#include "sh_error.h"
#include "test_index_util.h"

/* One planned add: doc number (its name), code and content hash. */
typedef struct {
    unsigned n;
    sh_code code;
    uint64_t hash;
} planned_add;

/* n adds of clustered codes; about 1 in 10 reuses an earlier name (with
 * new content, or unchanged), 1 in 12 copies an earlier document's
 * content (code and content hash: an exact duplicate). */
static planned_add *plan_adds(size_t n, int bits, uint64_t seed)
{
    planned_add *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    sh_rng rng;
    rng_seed(&rng, seed);
    sh_code centres[30];
    for (int c = 0; c < 30; c++)
        centres[c] = tix_random_code(&rng, bits);
    for (size_t i = 0; i < n; i++) {
        p[i].n = (unsigned)i;
        p[i].code = tix_perturb(&rng, &centres[rng_below(&rng, 30)], bits, (int)rng_below(&rng, 4));
        /* spread over the 64-bit range: the tags (top 32 bits) in mih_0
         * differ */
        p[i].hash = (1000 + i) * 0x9E3779B97F4A7C15ULL;
        if (i > 10 && rng_below(&rng, 10) == 0) {
            size_t j = rng_below(&rng, i);
            p[i].n = p[j].n; /* the same name again */
            if (rng_below(&rng, 3) == 0) {
                p[i].code = p[j].code; /* and the same record: unchanged */
                p[i].hash = p[j].hash;
            }
        } else if (i > 10 && rng_below(&rng, 12) == 0) {
            size_t j = rng_below(&rng, i);
            p[i].code = p[j].code; /* an exact duplicate: the same content */
            p[i].hash = p[j].hash;
        }
    }
    return p;
}

/* Runs the plan on ix, the results into res: one idx_add per document,
 * or with batched, idx_add_batch on runs of 500. */
static void run_adds(idx_index *ix, const planned_add *p, size_t n, idx_add_result *res,
                     int batched)
{
    char err[512] = "";
    if (!batched) {
        char name[32];
        for (size_t i = 0; i < n; i++) {
            idx_doc d;
            tix_doc(&d, name, p[i].n, p[i].code, p[i].hash, NULL, 0);
            ck_assert_msg(idx_add(ix, &d, &res[i], err, sizeof err) == 0, "add %zu: %s", i, err);
        }
        return;
    }
    idx_doc *docs = malloc(n * sizeof *docs);
    char *names = malloc(n * 32);
    ck_assert_ptr_nonnull(docs);
    ck_assert_ptr_nonnull(names);
    for (size_t i = 0; i < n; i++)
        tix_doc(&docs[i], names + i * 32, p[i].n, p[i].code, p[i].hash, NULL, 0);
    for (size_t at = 0; at < n; at += 500) {
        size_t k = n - at < 500 ? n - at : 500, done = 0;
        ck_assert_msg(idx_add_batch(ix, docs + at, k, res + at, &done, err, sizeof err) == 0,
                      "batch at %zu: %s", at, err);
        ck_assert_uint_eq(done, k);
    }
    free(docs);
    free(names);
}

/* Every entry of table dbi in a equals the one in b, in the same order. */
static void assert_same_table(idx_index *a, MDB_dbi da, idx_index *b, MDB_dbi db,
                              const char *what)
{
    MDB_txn *ta, *tb;
    MDB_cursor *ca, *cb;
    ck_assert_int_eq(mdb_txn_begin(a->env, NULL, MDB_RDONLY, &ta), 0);
    ck_assert_int_eq(mdb_txn_begin(b->env, NULL, MDB_RDONLY, &tb), 0);
    ck_assert_int_eq(mdb_cursor_open(ta, da, &ca), 0);
    ck_assert_int_eq(mdb_cursor_open(tb, db, &cb), 0);
    MDB_val ka, va, kb, vb;
    size_t count = 0;
    int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST), rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
    while (ra == 0 && rb == 0) {
        ck_assert_msg(ka.mv_size == kb.mv_size && !memcmp(ka.mv_data, kb.mv_data, ka.mv_size),
                      "%s: key %zu differs", what, count);
        ck_assert_msg(va.mv_size == vb.mv_size && !memcmp(va.mv_data, vb.mv_data, va.mv_size),
                      "%s: value %zu differs", what, count);
        count++;
        ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
        rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
    }
    ck_assert_msg(ra == MDB_NOTFOUND && rb == MDB_NOTFOUND, "%s: %d vs %d after %zu entries",
                  what, ra, rb, count);
    mdb_cursor_close(ca);
    mdb_cursor_close(cb);
    mdb_txn_abort(ta);
    mdb_txn_abort(tb);
}

/* Every entry of mih table dbi of ix, in order, each as its key's
 * substring bytes then the entry: the buckets whatever their chunks.
 * Returns the bytes (caller frees), their count in *len. */
static uint8_t *table_entries(idx_index *ix, MDB_dbi dbi, const idx_substring *sub, size_t *len)
{
    MDB_txn *t;
    MDB_cursor *c;
    ck_assert_int_eq(mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &t), 0);
    ck_assert_int_eq(mdb_cursor_open(t, dbi, &c), 0);
    size_t kb = (size_t)sub->key_bytes, eb = (size_t)sub->entry_bytes, cap = 4096;
    uint8_t *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    *len = 0;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        ck_assert(idx_bucket_key_ok(&k, kb, eb));
        ck_assert(v.mv_size > 0 && v.mv_size % eb == 0);
        for (size_t i = 0; i < v.mv_size / eb; i++) {
            while (*len + kb + eb > cap)
                ck_assert_ptr_nonnull(out = realloc(out, cap *= 2));
            memcpy(out + *len, k.mv_data, kb);
            memcpy(out + *len + kb, (const uint8_t *)v.mv_data + i * eb, eb);
            *len += kb + eb;
        }
    }
    mdb_cursor_close(c);
    mdb_txn_abort(t);
    return out;
}

/* mih table j of a and b hold the same entries in the same buckets and
 * order (their cut into chunks may differ: a bulk load fills chunks,
 * adds one by one halve them). */
static void assert_same_buckets(idx_index *a, idx_index *b, int j, const char *what)
{
    size_t la, lb;
    uint8_t *ea = table_entries(a, a->db_mih[j], &a->sub[j], &la);
    uint8_t *eb = table_entries(b, b->db_mih[j], &b->sub[j], &lb);
    ck_assert_msg(la == lb, "%s %d: %zu vs %zu bytes of entries", what, j, la, lb);
    ck_assert_msg(memcmp(ea, eb, la) == 0, "%s %d: the entries differ", what, j);
    free(ea);
    free(eb);
}

static void assert_same_index(idx_index *a, idx_index *b)
{
    ck_assert_int_eq(a->m, b->m);
    assert_same_table(a, a->db_docs, b, b->db_docs, "docs");
    assert_same_table(a, a->db_names, b, b->db_names, "names");
    for (int j = 0; j < a->m; j++)
        assert_same_buckets(a, b, j, "mih");
    idx_reader *ra, *rb;
    ck_assert_int_eq(idx_reader_begin(a, &ra, NULL, 0), 0);
    ck_assert_int_eq(idx_reader_begin(b, &rb, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(ra), idx_reader_doc_count(rb));
    char err[512] = "";
    ck_assert_msg(idx_verify(rb, err, sizeof err) == 0, "%s", err);
    idx_reader_end(ra);
    idx_reader_end(rb);
}

/* idx_search of q within radius r in mode (hits has room for cap)
 * answers what brute force does; returns the number of answers. */
static size_t assert_search_is_brute(idx_reader *rd, const sh_code *q, int r, idx_mode mode,
                                     idx_hit *hits, size_t cap)
{
    uint64_t *want;
    size_t n_want = tix_brute(rd, q, r, &want), total;
    ck_assert_int_eq(idx_search(rd, q, r, mode, hits, cap, &total, NULL), 0);
    ck_assert_uint_eq(total, n_want);
    for (size_t i = 0; i < total; i++)
        ck_assert_uint_eq((uint64_t)hits[i].distance << 32 | hits[i].id, want[i]);
    free(want);
    return n_want;
}

/* The search answers of ix for a few stored codes equal brute force. */
static void assert_searches(idx_index *ix, const planned_add *p, size_t n)
{
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    idx_hit *hits = malloc((n + 1) * sizeof *hits);
    ck_assert_ptr_nonnull(hits);
    for (size_t qi = 0; qi < n; qi += n / 5 + 1)
        ck_assert_uint_gt(assert_search_is_brute(rd, &p[qi].code, 3, IDX_MODE_MIH, hits, n + 1), 0);
    free(hits);
    idx_reader_end(rd);
}

/* The adds' results in a bulk load (got) equal those one by one (want). */
static void assert_same_results(const idx_add_result *got, const idx_add_result *want, size_t n,
                                const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i].action == want[i].action && got[i].id == want[i].id &&
                          got[i].dup_of == want[i].dup_of,
                      "%s, add %zu: bulk (%d, %u, %u), one by one (%d, %u, %u)", what, i,
                      got[i].action, got[i].id, got[i].dup_of, want[i].action, want[i].id,
                      want[i].dup_of);
}

START_TEST(a_bulk_load_matches_adding_one_by_one)
{
    const int widths[3] = { 16, 64, 128 };
    for (int w = 0; w < 3; w++) {
        for (int store = 0; store <= 1; store++) {
            int bits = widths[w];
            size_t n = 6000;
            planned_add *plan = plan_adds(n, bits, 11 + (uint64_t)bits);
            idx_add_result *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
            ck_assert_ptr_nonnull(want);
            ck_assert_ptr_nonnull(got);
            char *dir_a = tix_tmpdir(), *dir_b = tix_tmpdir(), err[512] = "";

            idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, bits);
            o.store_duplicates = store;
            o.batch_size = 700;
            idx_index *a = tix_open_with(dir_a, &o);
            run_adds(a, plan, n, want, 0);
            ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);

            o.map_size = 256 << 10; /* small: the map grows during the load and the build */
            idx_index *b = tix_open_with(dir_b, &o);
            ck_assert_msg(idx_bulk_begin(b, err, sizeof err) == 0, "%s", err);
            ck_assert_int_eq(idx_bulk_active(b), 1);
            run_adds(b, plan, n, got, store); /* idx_add_batch, or one at a time */
            ck_assert_msg(idx_bulk_finish(b, err, sizeof err) == 0, "%s", err);
            ck_assert_int_eq(idx_bulk_active(b), 0);

            char what[32];
            snprintf(what, sizeof what, "%d bits", bits);
            assert_same_results(got, want, n, what);
            int actions[5] = { 0 };
            for (size_t i = 0; i < n; i++)
                actions[want[i].action]++;
            /* the plan exercised every kind of result */
            ck_assert_int_gt(actions[IDX_REPLACED], 50);
            ck_assert_int_gt(actions[IDX_UNCHANGED], 20);
            if (store)
                ck_assert_int_eq(actions[IDX_SKIPPED_DUPLICATE], 0);
            else
                ck_assert_int_gt(actions[IDX_SKIPPED_DUPLICATE], 50);
            assert_same_index(a, b);
            assert_searches(b, plan, n);

            /* after the load the index takes ordinary writes */
            char name[32];
            idx_doc d;
            tix_doc(&d, name, 999999, plan[0].code, 77, NULL, 0);
            ck_assert_int_eq(idx_add(a, &d, NULL, err, sizeof err), 0);
            ck_assert_int_eq(idx_add(b, &d, NULL, err, sizeof err), 0);
            snprintf(name, sizeof name, "doc-%u", plan[5].n);
            ck_assert_int_eq(idx_remove(a, name, strlen(name), NULL, err, sizeof err), 0);
            ck_assert_int_eq(idx_remove(b, name, strlen(name), NULL, err, sizeof err), 0);
            ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);
            ck_assert_int_eq(idx_commit(b, err, sizeof err), 0);
            assert_same_table(a, a->db_names, b, b->db_names, "names after writes");
            assert_same_buckets(a, b, 0, "mih_0 after writes");

            idx_close(a);
            idx_close(b);
            tix_rmtree(dir_a);
            tix_rmtree(dir_b);
            free(plan);
            free(want);
            free(got);
        }
    }
}
END_TEST

/* Half the documents on one code: its buckets are cut into chunks
 * (IDX_CHUNK_MAX entries each when loaded in bulk, halves when split by
 * adds one at a time); both ways give the same entries, exact duplicates,
 * searches and a clean verify, also after removals that empty chunks and
 * take their first entries. */
START_TEST(a_hot_code_in_chunks_matches_adding_one_by_one)
{
    size_t n = 3 * IDX_CHUNK_MAX + 500;
    planned_add *plan = plan_adds(n, 64, 5);
    for (size_t i = 0; i < n; i += 2) /* every other add: the hot code, all zeros, so */
        plan[i].code = (sh_code){ { 0, 0 } }; /* that its chunks are each table's first keys */
    idx_add_result *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    char *dir_a = tix_tmpdir(), *dir_b = tix_tmpdir(), err[512] = "";
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 64);
    o.batch_size = 700;
    idx_index *a = tix_open_with(dir_a, &o), *b = tix_open_with(dir_b, &o);
    run_adds(a, plan, n, want, 0);
    ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);
    ck_assert_msg(idx_bulk_begin(b, err, sizeof err) == 0, "%s", err);
    run_adds(b, plan, n, got, 1);
    ck_assert_msg(idx_bulk_finish(b, err, sizeof err) == 0, "%s", err);
    assert_same_results(got, want, n, "hot code");

    /* the hot code's bucket is in chunks in every table of both */
    for (int t = 0; t < 2; t++) {
        idx_index *ix = t ? b : a;
        for (int j = 0; j < ix->m; j++) {
            MDB_txn *txn;
            MDB_cursor *c;
            MDB_val k, v;
            size_t chunks = 0;
            ck_assert_int_eq(mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &txn), 0);
            ck_assert_int_eq(mdb_cursor_open(txn, ix->db_mih[j], &c), 0);
            for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                ck_assert_uint_le(v.mv_size / (size_t)ix->sub[j].entry_bytes, IDX_CHUNK_MAX);
                chunks += k.mv_size > (size_t)ix->sub[j].key_bytes;
            }
            ck_assert_uint_ge(chunks, 2);
            mdb_cursor_close(c);
            mdb_txn_abort(txn);
        }
    }
    assert_same_index(a, b);
    assert_searches(b, plan, n);

    /* removals: every hot document of the first third, then a re-add of
     * one of them (an exact duplicate of nothing now: added) */
    char name[32];
    for (size_t i = 0; i < n / 3; i += 2) {
        snprintf(name, sizeof name, "doc-%u", plan[i].n);
        int ra = idx_remove(a, name, strlen(name), NULL, err, sizeof err);
        ck_assert_int_eq(idx_remove(b, name, strlen(name), NULL, err, sizeof err), ra);
    }
    idx_doc d;
    idx_add_result ra, rb;
    tix_doc(&d, name, 777777, plan[0].code, plan[0].hash, NULL, 0);
    ck_assert_int_eq(idx_add(a, &d, &ra, err, sizeof err), 0);
    ck_assert_int_eq(idx_add(b, &d, &rb, err, sizeof err), 0);
    ck_assert_int_eq(ra.action, rb.action);
    ck_assert_uint_eq(ra.dup_of, rb.dup_of);
    ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);
    ck_assert_int_eq(idx_commit(b, err, sizeof err), 0);
    assert_same_index(a, b);

    /* the hot code's documents through every search mode */
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(b, &rd, NULL, 0), 0);
    idx_hit *hits = malloc((n + 1) * sizeof *hits);
    ck_assert_ptr_nonnull(hits);
    for (int mode = IDX_MODE_AUTO; mode <= IDX_MODE_SCAN; mode++)
        ck_assert_uint_gt(assert_search_is_brute(rd, &plan[0].code, 2, (idx_mode)mode, hits, n + 1),
                          IDX_CHUNK_MAX);
    free(hits);
    idx_reader_end(rd);

    idx_close(a);
    idx_close(b);
    tix_rmtree(dir_a);
    tix_rmtree(dir_b);
    free(plan);
    free(want);
    free(got);
}
END_TEST

START_TEST(an_interrupted_bulk_load_is_finished_by_the_next_writer)
{
    int bits = 64;
    size_t n = 3250, batch = 500, committed = 3000; /* the last 250 never commit */
    planned_add *plan = plan_adds(n, bits, 5);
    for (size_t i = 0; i < n; i++) { /* distinct names and contents: every add is new */
        plan[i].n = (unsigned)i;
        plan[i].hash = 1000 + i;
    }
    idx_add_result *res = malloc(n * sizeof *res);
    ck_assert_ptr_nonnull(res);
    char *dir_a = tix_tmpdir(), *dir_b = tix_tmpdir(), err[512] = "";
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, bits);
    o.batch_size = (int)batch;
    idx_index *a = tix_open_with(dir_a, &o);
    run_adds(a, plan, committed, res, 0);
    ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);

    idx_index *b = tix_open_with(dir_b, &o);
    ck_assert_int_eq(idx_bulk_begin(b, err, sizeof err), 0);
    run_adds(b, plan, committed, res, 1);
    ck_assert_int_eq(idx_batch_pending(b), (int)committed); /* waiting in the buffer */
    ck_assert_int_eq(idx_commit(b, err, sizeof err), 0);   /* written and committed */
    ck_assert_int_eq(idx_batch_pending(b), 0);
    run_adds(b, plan + committed, n - committed, res, 1);
    ck_assert_int_eq(idx_batch_pending(b), (int)(n - committed));
    idx_close(b); /* as if the process died: the pending batch is lost */

    /* a reader is refused, with the way out in the message */
    idx_options ro = tix_options(IDX_RDONLY, bits);
    idx_index *r = NULL;
    ck_assert_int_eq(idx_open(dir_b, &ro, &r, err, sizeof err), SH_EINDEX);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err, "incomplete") && strstr(err, "for writing"), "%s", err);

    /* a writer builds the tables from the committed records */
    idx_options rw = tix_options(0, bits);
    b = tix_open_with(dir_b, &rw);
    ck_assert_int_eq(idx_bulk_active(b), 0);
    assert_same_index(a, b);
    assert_searches(b, plan, committed);
    idx_close(b);
    b = tix_open_with(dir_b, &ro); /* and the mark is gone */
    idx_close(b);

    idx_close(a);
    tix_rmtree(dir_a);
    tix_rmtree(dir_b);
    free(plan);
    free(res);
}
END_TEST

START_TEST(a_broken_load_builds_its_tables_from_the_committed_docs)
{
    int bits = 32;
    size_t n = 2500;
    planned_add *plan = plan_adds(n, bits, 9);
    for (size_t i = 0; i < n; i++) { /* distinct names and contents */
        plan[i].n = (unsigned)i;
        plan[i].hash = 5000 + i;
    }
    idx_add_result *res = malloc(n * sizeof *res);
    ck_assert_ptr_nonnull(res);
    char *dir_a = tix_tmpdir(), *dir_b = tix_tmpdir(), err[512] = "", name[32];
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, bits);
    idx_index *a = tix_open_with(dir_a, &o);
    run_adds(a, plan, n, res, 0);
    ck_assert_int_eq(idx_commit(a, err, sizeof err), 0);

    idx_index *b = tix_open_with(dir_b, &o);
    ck_assert_int_eq(idx_bulk_begin(b, err, sizeof err), 0);
    run_adds(b, plan, n, res, 1);
    ck_assert_int_eq(idx_commit(b, err, sizeof err), 0);
    idx_bulk_fail(b); /* as after a failed write: the memory is not trusted */
    idx_doc d;
    tix_doc(&d, name, 777777, plan[0].code, 1, NULL, 0);
    ck_assert_int_eq(idx_add(b, &d, NULL, err, sizeof err), SH_EINVAL);
    ck_assert_msg(strstr(err, "reopen") != NULL, "%s", err);
    ck_assert_msg(idx_bulk_finish(b, err, sizeof err) == 0, "%s", err);
    assert_same_index(a, b);
    assert_searches(b, plan, n);
    idx_close(a);
    idx_close(b);
    tix_rmtree(dir_a);
    tix_rmtree(dir_b);
    free(plan);
    free(res);
}
END_TEST

START_TEST(a_batch_stops_at_its_first_bad_document)
{
    char *dir = tix_tmpdir(), err[512] = "", names[5][32];
    for (int bulk = 0; bulk <= 1; bulk++) {
        idx_index *ix = tix_open(dir, IDX_CREATE, 32, 0, 0);
        if (bulk)
            ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), 0);
        sh_rng rng;
        rng_seed(&rng, 4);
        idx_doc docs[5];
        for (int i = 0; i < 5; i++)
            tix_doc(&docs[i], names[i], (unsigned)i, tix_random_code(&rng, 32), 100 + (uint64_t)i,
                    NULL, 0);
        docs[3].name_len = 0; /* refused: an empty name */
        idx_add_result res[5];
        size_t done = 99;
        ck_assert_int_eq(idx_add_batch(ix, docs, 5, res, &done, err, sizeof err), SH_EINVAL);
        ck_assert_uint_eq(done, 3);
        ck_assert_msg(strstr(err, "name") != NULL, "%s", err);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(res[i].action, IDX_ADDED);
        ck_assert_int_eq(bulk ? idx_bulk_finish(ix, err, sizeof err) : idx_commit(ix, err, sizeof err),
                         0);
        idx_reader *rd;
        ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
        ck_assert_uint_eq(idx_reader_doc_count(rd), 3);
        ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
        idx_reader_end(rd);
        idx_close(ix);
        tix_rmtree(dir);
        dir = tix_tmpdir();
    }
    tix_rmtree(dir);
}
END_TEST

START_TEST(refused_bulk_calls_change_nothing)
{
    char *dir = tix_tmpdir(), err[512] = "", name[32];
    idx_index *ix = tix_open(dir, IDX_CREATE, 32, 0, 0);
    sh_rng rng;
    rng_seed(&rng, 3);
    sh_code codes[50];
    for (int i = 0; i < 50; i++)
        codes[i] = tix_random_code(&rng, 32);

    /* during a load: no second begin, no removal */
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), 0);
    tix_add_codes(ix, 0, codes, 50);
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), SH_EINVAL);
    snprintf(name, sizeof name, "doc-%u", 3u);
    ck_assert_int_eq(idx_remove(ix, name, strlen(name), NULL, err, sizeof err), SH_EINVAL);
    ck_assert_msg(strstr(err, "bulk") != NULL, "%s", err);
    ck_assert_int_eq(idx_bulk_finish(ix, err, sizeof err), 0);
    ck_assert_int_eq(idx_bulk_finish(ix, err, sizeof err), 0); /* a no-op now */

    /* not on an index with documents, nor with a pending batch */
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), SH_EINVAL);
    ck_assert_msg(strstr(err, "empty") != NULL, "%s", err);
    ck_assert_int_eq(idx_remove(ix, name, strlen(name), NULL, err, sizeof err), 0);
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), SH_EINVAL);
    ck_assert_msg(strstr(err, "commit") != NULL, "%s", err);
    ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
    idx_close(ix);

    idx_options ro = tix_options(IDX_RDONLY, 32);
    ix = tix_open_with(dir, &ro);
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), SH_EREADONLY);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), 49);
    ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
    idx_doc d;
    snprintf(name, sizeof name, "doc-%u", 4u);
    ck_assert_int_eq(idx_doc_find(rd, name, strlen(name), &d), 0);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

START_TEST(an_empty_bulk_load_leaves_an_empty_complete_index)
{
    char *dir = tix_tmpdir(), err[512] = "";
    idx_index *ix = tix_open(dir, IDX_CREATE, 64, 0, 0);
    ck_assert_int_eq(idx_bulk_begin(ix, err, sizeof err), 0);
    ck_assert_msg(idx_bulk_finish(ix, err, sizeof err) == 0, "%s", err);
    idx_close(ix);
    idx_options ro = tix_options(IDX_RDONLY, 64);
    ix = tix_open_with(dir, &ro); /* not marked incomplete */
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), 0);
    ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

Suite *index_bulk_suite(void)
{
    Suite *s = suite_create("index_bulk");
    TCase *tc = tcase_create("bulk");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_bulk_load_matches_adding_one_by_one);
    tcase_add_test(tc, a_hot_code_in_chunks_matches_adding_one_by_one);
    tcase_add_test(tc, an_interrupted_bulk_load_is_finished_by_the_next_writer);
    tcase_add_test(tc, a_broken_load_builds_its_tables_from_the_committed_docs);
    tcase_add_test(tc, a_batch_stops_at_its_first_bad_document);
    tcase_add_test(tc, refused_bulk_calls_change_nothing);
    tcase_add_test(tc, an_empty_bulk_load_leaves_an_empty_complete_index);
    suite_add_tcase(s, tc);
    return s;
}
