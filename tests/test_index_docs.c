/* test_index_docs.c — add / upsert / remove against an in-memory model,
 * exact-duplicate handling, batches, damage detection, and a kill -9 in
 * the middle of a long add loop. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "idx_check.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "sh_error.h"
#include "test_index_util.h"

/* --- random operations against a model ---------------------------------- */

#define NAMES 200

typedef struct {
    int live;
    uint32_t id;
    sh_code code;
    uint64_t hash;
    char labels[16];
} model_doc;

static int model_find_id(const model_doc *m, uint32_t id)
{
    for (int i = 0; i < NAMES; i++)
        if (m[i].live && m[i].id == id)
            return i;
    return -1;
}

/* 1 if another live doc is an exact duplicate: same content hash and code. */
static int model_other_duplicate(const model_doc *m, int self, const sh_code *code,
                                 uint64_t hash)
{
    for (int i = 0; i < NAMES; i++)
        if (i != self && m[i].live && m[i].hash == hash &&
            memcmp(&m[i].code, code, sizeof *code) == 0)
            return 1;
    return 0;
}

static void check_against_model(idx_index *ix, const model_doc *m)
{
    idx_reader *rd;
    char err[256];
    ck_assert_int_eq(idx_reader_begin(ix, &rd, err, sizeof err), 0);
    ck_assert_msg(idx_verify(rd, err, sizeof err) == 0, "verify: %s", err);
    uint64_t live = 0;
    char name[32];
    for (int i = 0; i < NAMES; i++) {
        idx_doc d;
        snprintf(name, sizeof name, "doc-%d", i);
        int rc = idx_doc_find(rd, name, strlen(name), &d);
        if (!m[i].live) {
            ck_assert_int_eq(rc, SH_ENOTFOUND);
            continue;
        }
        live++;
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(d.id, m[i].id);
        ck_assert(code_hamming(&d.code, &m[i].code) == 0);
        ck_assert_uint_eq(d.content_hash, m[i].hash);
        ck_assert_str_eq(d.labels, m[i].labels);
    }
    ck_assert_uint_eq(idx_reader_doc_count(rd), live);
    /* Searches agree with the model (not with the docs table). */
    sh_rng rng;
    rng_seed(&rng, live);
    idx_hit hits[NAMES];
    for (int t = 0; t < 20; t++) {
        int base = (int)rng_below(&rng, NAMES);
        sh_code q = tix_perturb(&rng, &m[base].code, 32, (int)rng_below(&rng, 3));
        int r = (int)rng_below(&rng, 7);
        size_t total;
        ck_assert_int_eq(idx_search(rd, &q, r, t % 2 ? IDX_MODE_MIH : IDX_MODE_AUTO, hits, NAMES,
                                    &total, NULL),
                         0);
        size_t expect = 0;
        for (int i = 0; i < NAMES; i++)
            expect += m[i].live && code_hamming(&q, &m[i].code) <= r;
        ck_assert_uint_eq(total, expect);
        for (size_t h = 0; h < total; h++) {
            int i = model_find_id(m, hits[h].id);
            ck_assert_int_ge(i, 0);
            ck_assert_uint_eq(hits[h].distance, (uint32_t)code_hamming(&q, &m[i].code));
            if (h > 0)
                ck_assert(hits[h - 1].distance < hits[h].distance ||
                          (hits[h - 1].distance == hits[h].distance && hits[h - 1].id < hits[h].id));
        }
    }
    idx_reader_end(rd);
}

START_TEST(random_upserts_and_removes_match_model)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 32);
    o.batch_size = 64;
    o.map_size = 32 << 10; /* grows (and replays batches) along the way */
    char err[256];
    idx_index *ix = tix_open_with(dir, &o);
    size_t first_map = ix->map_size;
    model_doc *m = calloc(NAMES, sizeof *m);
    ck_assert_ptr_nonnull(m);
    sh_rng rng;
    rng_seed(&rng, 2024);
    sh_code centers[4];
    for (int c = 0; c < 4; c++)
        centers[c] = tix_random_code(&rng, 32);
    uint32_t next_id = 1;
    char name[32];
    int dups = 0;
    for (int op = 0; op < 4000; op++) {
        int k = (int)rng_below(&rng, NAMES), kind = (int)rng_below(&rng, 10);
        snprintf(name, sizeof name, "doc-%d", k);
        if (kind >= 8) {
            uint32_t id = 0;
            int rc = idx_remove(ix, name, strlen(name), &id, err, sizeof err);
            if (m[k].live) {
                ck_assert_int_eq(rc, 0);
                ck_assert_uint_eq(id, m[k].id);
                m[k].live = 0;
            } else {
                ck_assert_int_eq(rc, SH_ENOTFOUND);
            }
            continue;
        }
        model_doc next = m[k];
        if (kind < 7 || !m[k].live) {
            int from = (int)rng_below(&rng, NAMES);
            next.code = tix_perturb(&rng, &centers[rng_below(&rng, 4)], 32, (int)rng_below(&rng, 4));
            next.hash = rng_below(&rng, 60);
            if (rng_below(&rng, 4) == 0 && from != k && m[from].live) {
                next.code = m[from].code; /* the content of another: an exact duplicate */
                next.hash = m[from].hash;
            }
            snprintf(next.labels, sizeof next.labels, "l%d", (int)rng_below(&rng, 5));
        }
        idx_doc d;
        tix_doc(&d, name, (unsigned)k, next.code, next.hash, NULL, 0);
        d.length = (uint64_t)k * 3u + 1;
        d.labels = next.labels;
        d.labels_len = strlen(next.labels);
        idx_add_result res;
        ck_assert_int_eq(idx_add(ix, &d, &res, err, sizeof err), 0);
        int expect_dup = model_other_duplicate(m, k, &next.code, next.hash);
        dups += expect_dup;
        if (expect_dup) {
            int other = model_find_id(m, res.dup_of);
            ck_assert_int_ge(other, 0);
            ck_assert_int_ne(other, k);
            ck_assert_uint_eq(m[other].hash, next.hash);
            ck_assert(memcmp(&m[other].code, &next.code, sizeof next.code) == 0);
        } else {
            ck_assert_uint_eq(res.dup_of, 0);
        }
        if (!m[k].live) {
            ck_assert_int_eq(res.action, IDX_ADDED);
            ck_assert_uint_eq(res.id, next_id);
            next.id = next_id++;
        } else if (kind == 7 || (memcmp(&next.code, &m[k].code, sizeof next.code) == 0 &&
                                 next.hash == m[k].hash && !strcmp(next.labels, m[k].labels))) {
            ck_assert_int_eq(res.action, IDX_UNCHANGED);
            ck_assert_uint_eq(res.id, m[k].id);
        } else {
            ck_assert_int_eq(res.action, IDX_REPLACED);
            ck_assert_uint_eq(res.id, m[k].id);
        }
        next.live = 1;
        m[k] = next;
        if (op % 1000 == 999) {
            ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
            check_against_model(ix, m);
        }
    }
    ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
    ck_assert_int_gt(dups, 100); /* the duplicate path was exercised */
    ck_assert_uint_gt(ix->map_size, first_map);
    idx_close(ix);
    ix = tix_open(dir, 0, 32, 0, 0);
    check_against_model(ix, m);
    idx_close(ix);
    free(m);
    tix_rmtree(dir);
}
END_TEST

START_TEST(exact_duplicates_reported_and_skipped_or_stored)
{
    for (int store = 0; store <= 1; store++) {
        char *dir = tix_tmpdir();
        idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 64);
        o.store_duplicates = store;
        idx_index *ix = tix_open_with(dir, &o);
        idx_doc a, b;
        char na[32], nb[32];
        idx_doc c;
        char nc[32];
        tix_doc(&a, na, 1, (sh_code){ { 0xabcdef, 0 } }, 42, NULL, 0);
        tix_doc(&b, nb, 2, (sh_code){ { 0xabcdef, 0 } }, 42, NULL, 0);
        tix_doc(&c, nc, 3, (sh_code){ { 0xabcdee, 0 } }, 42, NULL, 0);
        idx_add_result ra, rb, rc;
        ck_assert_int_eq(idx_add(ix, &a, &ra, NULL, 0), 0);
        ck_assert_int_eq(ra.action, IDX_ADDED);
        ck_assert_uint_eq(ra.dup_of, 0);
        /* the same hash under another code is other content: no duplicate */
        ck_assert_int_eq(idx_add(ix, &c, &rc, NULL, 0), 0);
        ck_assert_int_eq(rc.action, IDX_ADDED);
        ck_assert_uint_eq(rc.dup_of, 0);
        ck_assert_int_eq(idx_add(ix, &b, &rb, NULL, 0), 0);
        ck_assert_uint_eq(rb.dup_of, ra.id);
        ck_assert_int_eq(rb.action, store ? IDX_ADDED : IDX_SKIPPED_DUPLICATE);
        /* Re-adding a itself is not a duplicate of itself. */
        ck_assert_int_eq(idx_add(ix, &a, &ra, NULL, 0), 0);
        ck_assert_int_eq(ra.action, IDX_UNCHANGED);
        ck_assert_uint_eq(ra.dup_of, store ? rb.id : 0);
        a.code.w[0] ^= 1u << 20;
        ck_assert_int_eq(idx_add(ix, &a, &ra, NULL, 0), 0);
        ck_assert_int_eq(ra.action, IDX_REPLACED);
        ck_assert_int_eq(idx_commit(ix, NULL, 0), 0);
        idx_reader *rd;
        ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
        idx_doc got;
        ck_assert_int_eq(idx_doc_find(rd, "doc-2", 5, &got), store ? 0 : SH_ENOTFOUND);
        ck_assert_uint_eq(idx_reader_doc_count(rd), store ? 3u : 2u);
        ck_assert_int_eq(idx_verify(rd, NULL, 0), 0);
        idx_reader_end(rd);
        idx_close(ix);
        tix_rmtree(dir);
    }
}
END_TEST

START_TEST(batches_commit_by_size_and_close_drops_pending)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 16);
    o.batch_size = 10;
    idx_index *ix = tix_open_with(dir, &o);
    char name[32];
    for (int i = 0; i < 25; i++) {
        idx_doc d;
        tix_doc(&d, name, (unsigned)i, (sh_code){ { (uint64_t)i << 48, 0 } }, (uint64_t)i, NULL, 0);
        ck_assert_int_eq(idx_add(ix, &d, NULL, NULL, 0), 0);
    }
    ck_assert_int_eq(idx_batch_pending(ix), 5);
    idx_close(ix); /* the last 5 are dropped */
    ix = tix_open(dir, IDX_RDONLY, 16, 0, 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), 20);
    ck_assert_int_eq(idx_verify(rd, NULL, 0), 0);
    idx_doc d;
    ck_assert_int_eq(idx_doc_find(rd, "doc-19", 6, &d), 0);
    ck_assert_int_eq(idx_doc_find(rd, "doc-20", 6, &d), SH_ENOTFOUND);
    ck_assert_int_eq(idx_doc_get(rd, 21, &d), SH_ENOTFOUND);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

START_TEST(invalid_documents_are_refused)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 24);
    o.sig_bytes = 4;
    idx_index *ix = tix_open_with(dir, &o);
    uint8_t sig[4] = { 1, 2, 3, 4 };
    char name[32], err[256];
    idx_doc d;
    tix_doc(&d, name, 1, (sh_code){ { 0xabcdefULL << 40, 0 } }, 1, sig, 4);
    ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), 0);
    idx_doc bad = d;
    bad.code.w[0] |= 1; /* beyond 24 bits */
    ck_assert_int_eq(idx_add(ix, &bad, NULL, err, sizeof err), SH_EINVAL);
    bad = d;
    bad.sig_len = 3;
    ck_assert_int_eq(idx_add(ix, &bad, NULL, err, sizeof err), SH_EINVAL);
    ck_assert(strstr(err, "signature") != NULL);
    bad = d;
    bad.name_len = 0;
    ck_assert_int_eq(idx_add(ix, &bad, NULL, err, sizeof err), SH_EINVAL);
    char long_name[IDX_MAX_NAME + 2];
    memset(long_name, 'x', sizeof long_name);
    bad = d;
    bad.name = long_name;
    bad.name_len = sizeof long_name;
    ck_assert_int_eq(idx_add(ix, &bad, NULL, err, sizeof err), SH_EINVAL);
    ck_assert_int_eq(idx_remove(ix, "nope", 4, NULL, err, sizeof err), SH_ENOTFOUND);
    ck_assert(strstr(err, "nope") != NULL);
    /* The valid add survived the refused ones in the same batch. */
    ck_assert_int_eq(idx_commit(ix, NULL, 0), 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), 1);
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

/* The last bit of the width is accepted, the first one past it refused. */
START_TEST(codes_may_use_every_bit_of_the_width_and_no_more)
{
    const int widths[5] = { 8, 56, 64, 72, 128 };
    for (int w = 0; w < 5; w++) {
        int bits = widths[w];
        char *dir = tix_tmpdir(), name[32], err[256];
        idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, bits, 0, 0);
        idx_doc d;
        sh_code last = { { 0, 0 } }, past = { { 0, 0 } };
        code_set_bit(&last, bits - 1, 1);
        tix_doc(&d, name, 1, last, 1, NULL, 0);
        ck_assert_msg(idx_add(ix, &d, NULL, err, sizeof err) == 0, "%d bits: %s", bits, err);
        if (bits < 128) {
            code_set_bit(&past, bits, 1);
            tix_doc(&d, name, 2, past, 2, NULL, 0);
            ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), SH_EINVAL);
            ck_assert_msg(strstr(err, "beyond") != NULL, "%s", err);
        }
        idx_close(ix);
        tix_rmtree(dir);
    }
}
END_TEST

/* Damages one table behind the index's back; verify must notice: a key
 * deleted (names, mih_0, mih_1), a bucket cut short by one byte (mih_0,
 * mih_1) or one entry taken out of a bucket (mih_0, mih_1). */
START_TEST(verify_detects_damage)
{
    enum { DELETE_KEY, CUT_BYTE, DROP_ENTRY };
    const struct { int table, how; } cases[] = {
        { 0, DELETE_KEY }, { -1, DELETE_KEY }, { 1, DELETE_KEY }, { 0, CUT_BYTE },
        { 1, CUT_BYTE },   { 0, DROP_ENTRY },  { 1, DROP_ENTRY },
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        char *dir = tix_tmpdir();
        idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 32, 3, 0);
        char err[256];
        sh_code codes[50];
        for (int i = 0; i < 50; i++) /* every code twice: buckets of two entries */
            codes[i] = (sh_code){ { (uint64_t)(i % 25) * 0x9e3779b97f4a7c15ULL &
                                        0xffffffff00000000ULL,
                                    0 } };
        tix_add_codes(ix, 0, codes, 50);
        idx_reader *rd;
        ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
        ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
        idx_reader_end(rd);

        MDB_txn *txn;
        MDB_cursor *cur;
        MDB_val k, v;
        int table = cases[t].table;
        MDB_dbi dbi = table < 0 ? ix->db_names : ix->db_mih[table];
        ck_assert_int_eq(mdb_txn_begin(ix->env, NULL, 0, &txn), 0);
        ck_assert_int_eq(mdb_cursor_open(txn, dbi, &cur), 0);
        ck_assert_int_eq(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
        if (cases[t].how == DELETE_KEY) {
            ck_assert_int_eq(mdb_cursor_del(cur, 0), 0);
        } else {
            size_t eb = (size_t)ix->sub[table].entry_bytes;
            ck_assert_uint_eq(v.mv_size, 2 * eb);
            uint8_t shorter[64];
            memcpy(shorter, (const uint8_t *)v.mv_data + (cases[t].how == DROP_ENTRY ? eb : 0),
                   v.mv_size - eb);
            MDB_val nv = { cases[t].how == CUT_BYTE ? v.mv_size - 1 : eb, shorter };
            if (cases[t].how == CUT_BYTE)
                memcpy(shorter, v.mv_data, v.mv_size - 1);
            ck_assert_int_eq(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT), 0);
        }
        mdb_cursor_close(cur);
        ck_assert_int_eq(mdb_txn_commit(txn), 0);

        ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
        ck_assert_int_eq(idx_verify(rd, err, sizeof err), SH_EINDEX);
        ck_assert_msg(strstr(err, dir) != NULL, "%s", err);
        if (cases[t].how == CUT_BYTE) {
            ck_assert_msg(strstr(err, "damaged bucket") != NULL, "%s", err);
            /* a search that reads the bucket says the index is damaged:
             * the scan walks mih_0; MIH at radius 2 (m = 3) reads the
             * bucket of each table under the query's substrings */
            size_t total;
            int damaged = 0;
            for (int i = 0; i < 25; i++) {
                idx_mode mode = table == 0 ? IDX_MODE_SCAN : IDX_MODE_MIH;
                int rc = idx_search(rd, &codes[i], 2, mode, NULL, 0, &total, NULL);
                ck_assert(rc == 0 || rc == SH_EINDEX);
                damaged += rc == SH_EINDEX;
            }
            ck_assert_int_ge(damaged, 1);
        }
        idx_reader_end(rd);
        idx_close(ix);
        tix_rmtree(dir);
    }
}
END_TEST

/* --- crash: kill -9 during a long add loop ----------------------------------- */

#define CRASH_BATCH 40

/* Operation i of the writer: kinds by i % 10.
 *   0..6  add doc-i (code from seed i, hash i)
 *   7     replace doc-(i-3) (an added doc never removed) with a new code
 *   8     remove doc-(i-5) (added at i-5, kind 3)
 *   9     re-add doc-(i-9) unchanged (kind 0) */
static sh_code op_code(unsigned i)
{
    sh_rng rng;
    rng_seed(&rng, 0xc0de0000u + i);
    return tix_random_code(&rng, 64);
}

static int crash_op(idx_index *ix, unsigned i)
{
    char name[32];
    idx_doc d;
    unsigned kind = i % 10;
    if (kind <= 6) {
        tix_doc(&d, name, i, op_code(i), i, NULL, 0);
    } else if (kind == 7) {
        if (i < 3)
            return 0;
        tix_doc(&d, name, i - 3, op_code(i), 1000000000u + i, NULL, 0);
    } else if (kind == 8) {
        snprintf(name, sizeof name, "doc-%u", i - 5);
        return idx_remove(ix, name, strlen(name), NULL, NULL, 0);
    } else {
        tix_doc(&d, name, i - 9, op_code(i - 9), i - 9, NULL, 0);
    }
    return idx_add(ix, &d, NULL, NULL, 0);
}

static void crash_writer(const char *dir, int ready_fd)
{
    idx_options o = tix_options(IDX_NOSYNC, 0);
    o.batch_size = 1 << 30; /* commits are explicit below */
    idx_index *ix;
    if (idx_open(dir, &o, &ix, NULL, 0) != 0)
        _exit(2);
    time_t start = time(NULL);
    for (unsigned i = 0; i < 2000000 && time(NULL) - start < 20; i++) {
        if (crash_op(ix, i) != 0)
            _exit(3);
        if (i % CRASH_BATCH == CRASH_BATCH - 1) {
            if (idx_commit(ix, NULL, 0) != 0)
                _exit(4);
            if (i == CRASH_BATCH - 1 && write(ready_fd, "r", 1) != 1)
                _exit(5);
        }
    }
    _exit(0);
}

typedef struct {
    int live;
    sh_code code;
    uint64_t hash;
} crash_model;

/* Applies ops [from, to) to the model (indexed by doc number). */
static void crash_simulate(crash_model *m, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++) {
        unsigned kind = i % 10;
        if (kind <= 6)
            m[i] = (crash_model){ 1, op_code(i), i };
        else if (kind == 7 && i >= 3)
            m[i - 3] = (crash_model){ 1, op_code(i), 1000000000u + i };
        else if (kind == 8)
            m[i - 5].live = 0;
    }
}

/* 1 if the index's snapshot holds exactly the model's live docs. */
static int crash_matches(idx_reader *rd, const crash_model *m, unsigned n_ops)
{
    uint64_t live = 0;
    char name[32];
    for (unsigned j = 0; j < n_ops; j++) {
        if (!m[j].live)
            continue;
        live++;
        idx_doc d;
        snprintf(name, sizeof name, "doc-%u", j);
        if (idx_doc_find(rd, name, strlen(name), &d) != 0 || code_hamming(&d.code, &m[j].code) ||
            d.content_hash != m[j].hash)
            return 0;
    }
    return live == idx_reader_doc_count(rd);
}

START_TEST(kill_9_during_adds_leaves_consistent_index)
{
    char *dir = tix_tmpdir();
    idx_close(tix_open(dir, IDX_CREATE, 64, 0, 256 << 10));
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        crash_writer(dir, fds[1]);
    }
    close(fds[1]);
    char c;
    ck_assert_int_eq(read(fds[0], &c, 1), 1);
    close(fds[0]);
    usleep(300 * 1000);
    kill(pid, SIGKILL);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "writer failed with status %d", status);

    char err[256];
    idx_index *ix = tix_open(dir, 0, 64, 0, 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, err, sizeof err), 0);
    ck_assert_msg(idx_verify(rd, err, sizeof err) == 0, "verify after crash: %s", err);
    idx_stats st;
    ck_assert_int_eq(idx_stats_get(rd, &st), 0);
    ck_assert_uint_gt(st.docs, 0);
    /* The committed state is the model after a whole number of batches. */
    unsigned max_ops = (unsigned)st.next_id * 2 + 4 * CRASH_BATCH;
    crash_model *m = calloc(max_ops, sizeof *m);
    ck_assert_ptr_nonnull(m);
    int found = 0;
    for (unsigned ops = CRASH_BATCH; ops + CRASH_BATCH <= max_ops && !found; ops += CRASH_BATCH) {
        crash_simulate(m, ops - CRASH_BATCH, ops);
        found = crash_matches(rd, m, ops);
    }
    ck_assert_msg(found, "index after kill -9 matches no batch boundary (%llu docs)",
                  (unsigned long long)st.docs);
    /* Searches still agree with brute force. */
    sh_rng rng;
    rng_seed(&rng, 1);
    for (int t = 0; t < 10; t++) {
        sh_code q = tix_random_code(&rng, 64);
        uint64_t *all;
        size_t n = tix_brute(rd, &q, 24, &all), total;
        idx_hit *hits = malloc((n + 1) * sizeof *hits);
        ck_assert_ptr_nonnull(hits);
        ck_assert_int_eq(idx_search(rd, &q, 24, IDX_MODE_AUTO, hits, n + 1, &total, NULL), 0);
        ck_assert_uint_eq(total, n);
        for (size_t h = 0; h < n; h++)
            ck_assert_uint_eq(hits[h].id, (uint32_t)all[h]);
        free(hits);
        free(all);
    }
    idx_reader_end(rd);
    /* And it takes new writes. */
    idx_doc d;
    char name[32];
    tix_doc(&d, name, 4000000000u, op_code(1), 7, NULL, 0);
    ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), 0);
    ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
    ck_assert_int_eq(idx_reader_begin(ix, &rd, err, sizeof err), 0);
    ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), st.docs + 1);
    idx_reader_end(rd);
    idx_close(ix);
    free(m);
    tix_rmtree(dir);
}
END_TEST

Suite *index_docs_suite(void)
{
    Suite *s = suite_create("index_docs");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, random_upserts_and_removes_match_model);
    tcase_add_test(core, exact_duplicates_reported_and_skipped_or_stored);
    tcase_add_test(core, batches_commit_by_size_and_close_drops_pending);
    tcase_add_test(core, kill_9_during_adds_leaves_consistent_index);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, invalid_documents_are_refused);
    tcase_add_test(limits, codes_may_use_every_bit_of_the_width_and_no_more);
    tcase_add_test(limits, verify_detects_damage);
    suite_add_tcase(s, limits);
    return s;
}
