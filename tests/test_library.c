/* test_library.c — libsemhash through its public header: create, add,
 * query against brute force, upsert, remove, reopen, wrong models, bad
 * input, near-duplicate verification of a planted edited copy, and
 * groups. The model is a SimHash hasher fitted on synthetic topic
 * documents (no training time); the library does not care which
 * encoder the model holds. */
#include <check.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "hasher.h"
#include "rng.h"
#include "sh_error.h"
#include "semhash.h"
#include "test_index_util.h"
#include "test_library_util.h"

/* ---- fixtures shared with the concurrency suite ------------------------------------ */

static void word(unsigned i, char *out)
{
    /* letters only, so the tokenizer's number filter never applies */
    out[0] = 'w';
    int n = 1;
    do {
        out[n++] = (char)('a' + i % 26);
        i /= 26;
    } while (i);
    out[n] = '\0';
}

char *tlib_doc_text(unsigned n)
{
    sh_rng rng;
    rng_seed(&rng, 1000 + n);
    unsigned topic = n % 8;
    char *text = malloc(60 * 8);
    size_t pos = 0;
    for (int i = 0; i < 40; i++) {
        char w[16];
        unsigned r = (unsigned)rng_below(&rng, 10);
        word(r < 8 ? topic * 60 + (unsigned)rng_below(&rng, 60) : 500 + (unsigned)rng_below(&rng, 20),
             w);
        pos += (size_t)sprintf(text + pos, "%s%s", i ? " " : "", w);
    }
    return text;
}

void tlib_doc_name(unsigned n, char *out)
{
    sprintf(out, "doc-%u", n);
}

char *tlib_model(const char *dir, const char *file, int bits, sh_encoder_kind kind)
{
    sh_config cfg;
    config_defaults(&cfg);
    cfg.model.encoder = kind;
    cfg.model.code_bits = bits;
    cfg.text.min_df = 1;
    cfg.text.max_df = 1.0;
    hasher_doc docs[200];
    for (unsigned i = 0; i < 200; i++) {
        docs[i].text = tlib_doc_text(i);
        docs[i].len = strlen(docs[i].text);
    }
    sh_hasher *h = NULL;
    char err[256];
    int rc = hasher_train_docs(&cfg, docs, 200, NULL, &h, NULL, err, sizeof err);
    ck_assert_msg(rc == 0, "training: %s", err);
    char *path = malloc(strlen(dir) + strlen(file) + 2);
    sprintf(path, "%s/%s", dir, file);
    ck_assert_msg(hasher_save(h, path, err, sizeof err) == 0, "%s", err);
    hasher_free(h);
    for (unsigned i = 0; i < 200; i++)
        free((char *)docs[i].text);
    return path;
}

sh_index *tlib_create(const char *path, const char *model, int batch)
{
    sh_create_options co;
    memset(&co, 0, sizeof co);
    co.model_path = model;
    co.open.batch_size = batch;
    co.open.flags = SH_OPEN_NOSYNC;
    co.summary = "test model";
    sh_index *ix = NULL;
    char err[256];
    int rc = sh_index_create(path, &co, &ix, err, sizeof err);
    ck_assert_msg(rc == 0, "create: %s", err);
    return ix;
}

void tlib_add(sh_index *ix, unsigned n)
{
    char name[32], err[256];
    tlib_doc_name(n, name);
    char *text = tlib_doc_text(n);
    char labels[16];
    sprintf(labels, "topic%c", 'a' + n % 8);
    sh_doc d = { name, 0, text, strlen(text), labels, 0 };
    sh_add_result res;
    int rc = sh_add(ix, &d, &res, err, sizeof err);
    ck_assert_msg(rc == 0, "add %s: %s", name, err);
    free(text);
}

int tlib_hamming(const uint8_t *a, const uint8_t *b, int bits)
{
    int d = 0;
    for (int i = 0; i < bits / 8; i++)
        d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

/* ---- core ------------------------------------------------------------------------------- */

static char *dir, *model;
static sh_index *ix;
static char err[512];
#define N_DOCS 300

static void setup(void)
{
    dir = tix_tmpdir();
    model = tlib_model(dir, "model.shm", 32, SH_ENCODER_SIMHASH);
    char path[4096];
    snprintf(path, sizeof path, "%s/idx", dir);
    ix = tlib_create(path, model, 64);
    for (unsigned i = 0; i < N_DOCS; i++)
        tlib_add(ix, i);
    ck_assert_int_eq(sh_sync(ix, err, sizeof err), 0);
}

static void teardown(void)
{
    sh_index_close(ix);
    ix = NULL;
    free(model);
    tix_rmtree(dir);
}

/* The codes of every doc, via sh_encode (the same model). */
static void all_codes(uint8_t codes[][SH_CODE_BYTES], unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char *text = tlib_doc_text(i);
        ck_assert_int_eq(sh_encode(ix, text, strlen(text), codes[i], NULL, err, sizeof err), 0);
        free(text);
    }
}

START_TEST(queries_match_brute_force)
{
    static uint8_t codes[N_DOCS][SH_CODE_BYTES];
    all_codes(codes, N_DOCS);
    int bits = sh_index_bits(ix);
    ck_assert_int_eq(bits, 32);
    static sh_hit hits[N_DOCS];
    sh_rng rng;
    rng_seed(&rng, 7);
    for (int t = 0; t < 60; t++) {
        unsigned q = (unsigned)rng_below(&rng, N_DOCS);
        int radius = (int)rng_below(&rng, 9);
        int mode = t % 4;
        if (mode == SH_MODE_BALL && radius > 4)
            radius = 4; /* explicit balls beyond that cost millions of probes */
        sh_query_options o = { .radius = radius, .mode = mode };
        size_t n;
        sh_query_info info;
        int rc = sh_query_code(ix, codes[q], &o, hits, N_DOCS, &n, &info, err, sizeof err);
        ck_assert_msg(rc == 0, "%s", err);
        /* brute force: docs (ids 1..N in add order) within radius */
        size_t expect = 0;
        for (unsigned i = 0; i < N_DOCS; i++)
            expect += tlib_hamming(codes[q], codes[i], bits) <= radius;
        ck_assert_uint_eq(n, expect);
        ck_assert_uint_eq(info.total, expect);
        for (size_t i = 0; i < n; i++) {
            unsigned doc = hits[i].id - 1;
            ck_assert_uint_lt(doc, N_DOCS);
            ck_assert_int_eq((int)hits[i].distance, tlib_hamming(codes[q], codes[doc], bits));
            ck_assert_int_le((int)hits[i].distance, radius);
            if (i > 0)
                ck_assert(hits[i - 1].distance < hits[i].distance ||
                          (hits[i - 1].distance == hits[i].distance && hits[i - 1].id < hits[i].id));
        }
        /* a small buffer: the first hits, and the right total */
        size_t small;
        ck_assert_int_eq(sh_query_code(ix, codes[q], &o, hits, 2, &small, &info, err, sizeof err), 0);
        ck_assert_uint_eq(small, expect < 2 ? expect : 2);
        ck_assert_uint_eq(info.total, expect);
        /* top-k: the k nearest, ties by id */
        size_t k = 1 + (size_t)rng_below(&rng, 20);
        sh_query_options ko = { .k = k, .mode = mode };
        ck_assert_int_eq(sh_query_code(ix, codes[q], &ko, hits, k, &n, &info, err, sizeof err), 0);
        ck_assert_uint_eq(n, k);
        int kth = (int)hits[k - 1].distance;
        size_t closer = 0;
        for (unsigned i = 0; i < N_DOCS; i++)
            closer += tlib_hamming(codes[q], codes[i], bits) < kth;
        ck_assert_uint_le(closer, k);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq((int)hits[i].distance,
                             tlib_hamming(codes[q], codes[hits[i].id - 1], bits));
    }
}
END_TEST

START_TEST(text_query_finds_itself_and_records_read_back)
{
    char *text = tlib_doc_text(17);
    sh_query_options o = { .radius = 0 };
    sh_hit hits[50];
    size_t n;
    sh_query_info info;
    ck_assert_int_eq(sh_query_text(ix, text, strlen(text), &o, hits, 50, &n, &info, err, sizeof err), 0);
    ck_assert_uint_ge(n, 1);
    int found = 0;
    static char buf[SH_DOC_BUF];
    for (size_t i = 0; i < n; i++) {
        sh_doc_info d;
        ck_assert_int_eq(sh_doc_get(ix, hits[i].id, &d, buf, sizeof buf, err, sizeof err), 0);
        ck_assert_int_eq(memcmp(d.code, info.code, SH_CODE_BYTES), 0);
        if (strcmp(d.name, "doc-17") == 0) {
            found = 1;
            ck_assert_str_eq(d.labels, "topicb");
            ck_assert_uint_eq(d.length, strlen(text));
            ck_assert(strncmp(d.snippet, text, strlen(d.snippet)) == 0);
            ck_assert_uint_gt(strlen(d.snippet), 50);
        }
    }
    ck_assert(found);
    ck_assert_uint_eq(info.tokens, 40);
    sh_doc_info d;
    ck_assert_int_eq(sh_doc_find(ix, "doc-17", 0, &d, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_uint_eq(d.id, 18);
    ck_assert_int_eq(sh_doc_find(ix, "nope", 0, &d, buf, sizeof buf, err, sizeof err), SH_ENOTFOUND);
    ck_assert_int_eq(sh_doc_get(ix, 99999, &d, buf, sizeof buf, err, sizeof err), SH_ENOTFOUND);
    free(text);
}
END_TEST

START_TEST(upsert_remove_and_reopen)
{
    char *other = tlib_doc_text(123);
    sh_doc d = { "doc-5", 0, other, strlen(other), NULL, 0 };
    sh_add_result res;
    ck_assert_int_eq(sh_add(ix, &d, &res, err, sizeof err), 0);
    ck_assert_int_eq(res.action, SH_REPLACED);
    ck_assert_uint_eq(res.id, 6);
    ck_assert_uint_eq(res.dup_of, 124); /* doc-123 has the same text */
    ck_assert_int_eq(sh_add(ix, &d, &res, err, sizeof err), 0);
    ck_assert_int_eq(res.action, SH_UNCHANGED);
    uint32_t id = 0;
    ck_assert_int_eq(sh_remove(ix, "doc-9", 0, &id, err, sizeof err), 0);
    ck_assert_uint_eq(id, 10);
    ck_assert_int_eq(sh_remove(ix, "doc-9", 0, NULL, err, sizeof err), SH_ENOTFOUND);
    ck_assert(strstr(err, "doc-9") != NULL);
    ck_assert_int_eq(sh_sync(ix, err, sizeof err), 0);
    /* not yet committed work is lost at close: add one, close without sync */
    sh_doc lost = { "lost", 0, other, strlen(other), NULL, 0 };
    ck_assert_int_eq(sh_add(ix, &lost, NULL, err, sizeof err), 0);
    sh_index_close(ix);
    ix = NULL;

    char path[4096];
    snprintf(path, sizeof path, "%s/idx", dir);
    sh_open_options oo = { .flags = SH_OPEN_RDONLY };
    ck_assert_int_eq(sh_index_open(path, &oo, &ix, err, sizeof err), 0);
    ck_assert(sh_index_rdonly(ix));
    static char buf[SH_DOC_BUF];
    sh_doc_info info;
    ck_assert_int_eq(sh_doc_find(ix, "doc-9", 0, &info, buf, sizeof buf, err, sizeof err), SH_ENOTFOUND);
    ck_assert_int_eq(sh_doc_find(ix, "lost", 0, &info, buf, sizeof buf, err, sizeof err), SH_ENOTFOUND);
    ck_assert_int_eq(sh_doc_find(ix, "doc-5", 0, &info, buf, sizeof buf, err, sizeof err), 0);
    ck_assert_str_eq(info.labels, "");
    uint8_t code[SH_CODE_BYTES];
    ck_assert_int_eq(sh_encode(ix, other, strlen(other), code, NULL, err, sizeof err), 0);
    ck_assert_int_eq(memcmp(code, info.code, SH_CODE_BYTES), 0);
    ck_assert_int_eq(sh_add(ix, &d, NULL, err, sizeof err), SH_EREADONLY);
    ck_assert_int_eq(sh_remove(ix, "doc-5", 0, NULL, err, sizeof err), SH_EREADONLY);
    ck_assert_int_eq(sh_compact(ix, err, sizeof err), SH_EREADONLY);
    uint64_t count = 0;
    ck_assert_int_eq(sh_doc_count(ix, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, N_DOCS - 1);
    sh_stats st;
    ck_assert_int_eq(sh_stats_get(ix, &st, err, sizeof err), 0);
    ck_assert_uint_eq(st.docs, N_DOCS - 1);
    ck_assert_int_eq(st.bits, 32);
    ck_assert_str_eq(st.encoder, "simhash");
    ck_assert_str_eq(st.summary, "test model");
    uint64_t ones = 0;
    for (int b = 0; b < 32; b++)
        ones += st.bit_ones[b];
    ck_assert_uint_gt(ones, 0);
    free(other);
}
END_TEST

/* Every document's radius-3 answer, as (distance << 32 | id) sums and
 * counts per document: compared before and after compaction. */
static void answers(uint64_t *sum, size_t *count)
{
    static sh_hit hits[N_DOCS + 1];
    static char buf[SH_DOC_BUF];
    for (unsigned n = 0; n < N_DOCS; n++) {
        char name[32];
        tlib_doc_name(n, name);
        sh_doc_info info;
        ck_assert_int_eq(sh_doc_find(ix, name, 0, &info, buf, sizeof buf, err, sizeof err), 0);
        sh_query_options q = { .radius = 3 };
        ck_assert_int_eq(sh_query_code(ix, info.code, &q, hits, N_DOCS + 1, &count[n], NULL, err,
                                       sizeof err),
                         0);
        sum[n] = 0;
        for (size_t i = 0; i < count[n]; i++)
            sum[n] += ((uint64_t)hits[i].distance << 32 | hits[i].id) * (i + 1);
    }
}

START_TEST(compaction_keeps_every_answer)
{
    static uint64_t before_sum[N_DOCS], after_sum[N_DOCS];
    static size_t before_n[N_DOCS], after_n[N_DOCS];
    answers(before_sum, before_n);
    /* a pending add is committed by sh_compact, then found */
    char *text = tlib_doc_text(7);
    sh_doc d = { "late", 0, text, strlen(text), NULL, 0 };
    ck_assert_int_eq(sh_add(ix, &d, NULL, err, sizeof err), 0);
    ck_assert_int_eq(sh_compact(ix, err, sizeof err), 0);
    uint64_t count = 0;
    ck_assert_int_eq(sh_doc_count(ix, &count, err, sizeof err), 0);
    ck_assert_uint_eq(count, N_DOCS + 1);
    ck_assert_int_eq(sh_remove(ix, "late", 0, NULL, err, sizeof err), 0);
    ck_assert_int_eq(sh_sync(ix, err, sizeof err), 0);
    answers(after_sum, after_n);
    for (unsigned n = 0; n < N_DOCS; n++) {
        ck_assert_uint_eq(after_n[n], before_n[n]);
        ck_assert_uint_eq(after_sum[n], before_sum[n]);
    }
    free(text);
}
END_TEST

/* A bulk-loaded index answers as the one loaded one by one (setup's);
 * before sh_sync it refuses queries; closed before sh_sync, it is refused
 * read-only and finished by a read-write open. */
START_TEST(bulk_loads_answer_like_one_by_one_loads)
{
    static uint64_t want_sum[N_DOCS], got_sum[N_DOCS];
    static size_t want_n[N_DOCS], got_n[N_DOCS];
    answers(want_sum, want_n);
    sh_index *one_by_one = ix;
    for (int interrupted = 0; interrupted <= 1; interrupted++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bulk-%d", dir, interrupted);
        sh_create_options co;
        memset(&co, 0, sizeof co);
        co.model_path = model;
        co.open.batch_size = 64;
        co.open.flags = SH_OPEN_NOSYNC;
        co.bulk_load = 1;
        sh_index *bx = NULL;
        ck_assert_msg(sh_index_create(path, &co, &bx, err, sizeof err) == 0, "%s", err);
        for (unsigned i = 0; i < N_DOCS; i++)
            tlib_add(bx, i);
        sh_hit hit;
        size_t n;
        sh_query_options q = { .radius = 3 };
        uint8_t code[SH_CODE_BYTES] = { 0 };
        ck_assert_int_eq(sh_query_code(bx, code, &q, &hit, 1, &n, NULL, err, sizeof err),
                         SH_EINVAL);
        ck_assert_msg(strstr(err, "sh_sync") != NULL, "%s", err);
        if (interrupted) {
            /* a crash: the load's records were still waiting in its
             * buffer (IDX_BULK_BUFFER), so none of them is kept */
            sh_index_close(bx);
            sh_open_options ro = { .flags = SH_OPEN_RDONLY };
            ck_assert_int_eq(sh_index_open(path, &ro, &bx, err, sizeof err), SH_EINDEX);
            ck_assert_msg(strstr(err, "incomplete") != NULL, "%s", err);
            ck_assert_msg(sh_index_open(path, NULL, &bx, err, sizeof err) == 0, "%s", err);
            uint64_t kept = 99;
            ck_assert_int_eq(sh_doc_count(bx, &kept, err, sizeof err), 0);
            ck_assert_uint_eq(kept, 0);
            for (unsigned i = 0; i < N_DOCS; i++)
                tlib_add(bx, i); /* the lost documents again, added one by one */
        }
        ck_assert_int_eq(sh_sync(bx, err, sizeof err), 0);
        ix = bx;
        answers(got_sum, got_n);
        ix = one_by_one;
        for (unsigned i = 0; i < N_DOCS; i++) {
            ck_assert_uint_eq(got_n[i], want_n[i]);
            ck_assert_uint_eq(got_sum[i], want_sum[i]);
        }
        sh_index_close(bx);
    }
}
END_TEST

START_TEST(bad_queries_are_refused)
{
    sh_query_options o = { .radius = 2 };
    sh_hit hits[4];
    size_t n;
    sh_query_info info;
    ck_assert_int_eq(sh_query_text(ix, "", 0, &o, hits, 4, &n, NULL, err, sizeof err), SH_EEMPTY);
    ck_assert_int_eq(sh_query_text(ix, "  \n\t", 4, &o, hits, 4, &n, NULL, err, sizeof err), SH_EEMPTY);
    const char *stop = "the and of to it is";
    ck_assert_int_eq(sh_query_text(ix, stop, strlen(stop), &o, hits, 4, &n, &info, err, sizeof err),
                     SH_EEMPTY);
    ck_assert(strstr(err, "stop words") != NULL);
    uint8_t code[SH_CODE_BYTES];
    sh_encode_info ei;
    ck_assert_int_eq(sh_encode(ix, stop, strlen(stop), code, &ei, err, sizeof err), 0);
    ck_assert_uint_eq(ei.tokens, 0);
    ck_assert_int_eq(sh_query_code(ix, code, &o, hits, 4, &n, NULL, err, sizeof err), 0);
    ck_assert_int_eq(sh_query_text(ix, "a\0b", 3, &o, hits, 4, &n, NULL, err, sizeof err), SH_EINPUT);
    o.radius = 33;
    ck_assert_int_eq(sh_query_code(ix, code, &o, hits, 4, &n, NULL, err, sizeof err), SH_EINVAL);
    ck_assert(strstr(err, "32") != NULL);
    o.radius = 1;
    o.near_dup = 1;
    ck_assert_int_eq(sh_query_code(ix, code, &o, hits, 4, &n, NULL, err, sizeof err), SH_EINVAL);
    o.min_similarity = 1.5;
    ck_assert_int_eq(sh_query_text(ix, "wab wac", 7, &o, hits, 4, &n, NULL, err, sizeof err), SH_EINVAL);
    sh_doc bad = { "", 0, "x", 1, NULL, 0 };
    ck_assert_int_eq(sh_add(ix, &bad, NULL, err, sizeof err), SH_EINVAL);
    sh_doc binary = { "bin", 0, "a\0b", 3, NULL, 0 };
    ck_assert_int_eq(sh_add(ix, &binary, NULL, err, sizeof err), SH_EINPUT);
    ck_assert(strstr(err, "bin") != NULL);
}
END_TEST

/* Replaces about `rate` of the words of text with new ones. */
static char *edit_words(const char *text, double rate, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    char *out = malloc(strlen(text) * 2 + 64);
    size_t pos = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (rng_uniform(&rng) < rate)
            pos += (size_t)sprintf(out + pos, "%sedit%c%c", pos ? " " : "",
                                   'a' + (int)rng_below(&rng, 26), 'a' + (int)rng_below(&rng, 26));
        else
            pos += (size_t)sprintf(out + pos, "%s%.*s", pos ? " " : "", (int)len, p);
        p += len;
        while (*p == ' ')
            p++;
    }
    return out;
}

START_TEST(near_duplicates_are_verified_by_signature)
{
    char *orig = tlib_doc_text(42);
    char *copy = edit_words(orig, 0.1, 5);
    sh_doc d = { "copy-of-42", 0, copy, strlen(copy), NULL, 0 };
    ck_assert_int_eq(sh_add(ix, &d, NULL, err, sizeof err), 0);
    ck_assert_int_eq(sh_sync(ix, err, sizeof err), 0);
    /* the whole index is a candidate at radius = bits; only the copy survives */
    sh_query_options o = { .radius = 32, .near_dup = 1 };
    sh_hit hits[N_DOCS + 2];
    size_t n;
    sh_query_info info;
    ck_assert_int_eq(sh_query_text(ix, orig, strlen(orig), &o, hits, N_DOCS + 2, &n, &info, err,
                                   sizeof err), 0);
    ck_assert_uint_eq(info.candidates, N_DOCS + 1);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(hits[0].id, 43);       /* itself, similarity 1 */
    ck_assert(hits[0].similarity == 1.0);
    ck_assert_uint_eq(hits[1].id, N_DOCS + 1); /* the copy */
    ck_assert(hits[1].similarity >= 0.5 && hits[1].similarity < 1.0);
    /* the same through the stored document (itself left out) */
    ck_assert_int_eq(sh_query_doc(ix, 43, &o, hits, 10, &n, &info, err, sizeof err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(hits[0].id, N_DOCS + 1);
    /* without verification, plenty of same-topic documents come along */
    sh_query_options plain = { .radius = 12 };
    ck_assert_int_eq(sh_query_doc(ix, 43, &plain, hits, N_DOCS + 2, &n, &info, err, sizeof err), 0);
    ck_assert_uint_gt(n, 2);
    /* groups: the pair, and nothing else */
    sh_dup_groups g;
    ck_assert_int_eq(sh_dups(ix, 32, 0.0, &g, err, sizeof err), 0);
    ck_assert_uint_eq(g.n_groups, 1);
    ck_assert_uint_eq(g.start[1], 2);
    ck_assert_uint_eq(g.ids[0], 43);
    ck_assert_uint_eq(g.ids[1], N_DOCS + 1);
    ck_assert_uint_eq(g.pairs, 1);
    sh_dup_groups_free(&g);
    sh_dup_groups_free(&g);
    sh_dup_groups_free(NULL);
    free(orig);
    free(copy);
}
END_TEST

START_TEST(batches_equal_single_adds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/batch", dir);
    sh_index *bx = tlib_create(path, model, 100);
    static char *texts[N_DOCS];
    static char names[N_DOCS][32];
    static sh_doc docs[N_DOCS];
    for (unsigned i = 0; i < N_DOCS; i++) {
        texts[i] = tlib_doc_text(i);
        tlib_doc_name(i, names[i]);
        docs[i] = (sh_doc){ names[i], 0, texts[i], strlen(texts[i]), NULL, 0 };
    }
    docs[150].text = "binary\0text";
    docs[150].text_len = 11;
    static sh_add_result res[N_DOCS];
    size_t done;
    ck_assert_int_eq(sh_add_batch(bx, docs, N_DOCS, res, &done, err, sizeof err), SH_EINPUT);
    ck_assert_uint_eq(done, 150);
    ck_assert(strstr(err, "doc-150") != NULL);
    docs[150].text = texts[150];
    docs[150].text_len = strlen(texts[150]);
    ck_assert_int_eq(sh_add_batch(bx, docs + 150, N_DOCS - 150, res + 150, &done, err, sizeof err), 0);
    ck_assert_uint_eq(done, N_DOCS - 150);
    ck_assert_int_eq(sh_sync(bx, err, sizeof err), 0);
    static char b1[SH_DOC_BUF], b2[SH_DOC_BUF];
    for (unsigned i = 0; i < N_DOCS; i++) {
        ck_assert_int_eq(res[i].action, SH_ADDED);
        ck_assert_uint_eq(res[i].id, i + 1);
        sh_doc_info one, many;
        ck_assert_int_eq(sh_doc_get(ix, i + 1, &one, b1, sizeof b1, err, sizeof err), 0);
        ck_assert_int_eq(sh_doc_get(bx, i + 1, &many, b2, sizeof b2, err, sizeof err), 0);
        ck_assert_str_eq(one.name, many.name);
        ck_assert_int_eq(memcmp(one.code, many.code, SH_CODE_BYTES), 0);
        ck_assert_uint_eq(one.content_hash, many.content_hash);
        ck_assert_str_eq(one.snippet, many.snippet);
        free(texts[i]);
    }
    size_t n0;
    ck_assert_int_eq(sh_add_batch(bx, docs, 0, NULL, &n0, err, sizeof err), 0);
    ck_assert_uint_eq(n0, 0);
    sh_index_close(bx);
}
END_TEST

/* ---- limits: opening and creating --------------------------------------------------------- */

START_TEST(open_and_create_errors)
{
    char *tmp = tix_tmpdir();
    char path[4096], sub[4200];
    sh_index *h = (sh_index *)&h;
    snprintf(path, sizeof path, "%s/missing", tmp);
    ck_assert_int_eq(sh_index_open(path, NULL, &h, err, sizeof err), SH_ENOTFOUND);
    ck_assert_ptr_null(h);
    snprintf(path, sizeof path, "%s/empty", tmp);
    mkdir(path, 0777);
    ck_assert_int_eq(sh_index_open(path, NULL, &h, err, sizeof err), SH_EINDEX);
    /* another LMDB database */
    snprintf(path, sizeof path, "%s/other", tmp);
    mkdir(path, 0777);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_open(env, path, 0, 0644), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    MDB_val k = { 3, "key" }, v = { 5, "value" };
    ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    ck_assert_int_eq(sh_index_open(path, NULL, &h, err, sizeof err), SH_EINDEX);
    /* garbage in data.mdb */
    snprintf(path, sizeof path, "%s/junk", tmp);
    mkdir(path, 0777);
    snprintf(sub, sizeof sub, "%s/data.mdb", path);
    FILE *f = fopen(sub, "wb");
    for (int i = 0; i < 20000; i++)
        fputc(i * 7 % 251, f);
    fclose(f);
    ck_assert_int_eq(sh_index_open(path, NULL, &h, err, sizeof err), SH_EINDEX);

    /* models: no model, not a hasher, a damaged one, another one */
    sh_create_options co;
    memset(&co, 0, sizeof co);
    snprintf(path, sizeof path, "%s/new", tmp);
    ck_assert_int_eq(sh_index_create(path, &co, &h, err, sizeof err), SH_EINVAL);
    mf_writer *w;
    ck_assert_int_eq(mf_writer_new(MF_KIND_ANOMALY, &w), 0);
    ck_assert_int_eq(mf_writer_add(w, MF_TAG('X', 'X', 'X', 'X'), "abc", 3), 0);
    uint8_t *bytes;
    size_t len;
    ck_assert_int_eq(mf_writer_finish(w, &bytes, &len), 0);
    mf_writer_free(w);
    co.model_data = bytes;
    co.model_len = len;
    ck_assert_int_eq(sh_index_create(path, &co, &h, err, sizeof err), SH_EMODEL);
    bytes[len - 1] ^= 1;
    ck_assert_int_eq(sh_index_create(path, &co, &h, err, sizeof err), SH_ECHECKSUM);
    free(bytes);
    co.model_data = NULL;
    co.model_path = model;
    snprintf(path, sizeof path, "%s/twice", tmp);
    ck_assert_int_eq(sh_index_create(path, &co, &h, err, sizeof err), 0);
    sh_index_close(h);
    ck_assert_int_eq(sh_index_create(path, &co, &h, err, sizeof err), SH_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(sh_index_model_matches(ix, model, err, sizeof err), 0);
    char *other = tlib_model(tmp, "other.shm", 64, SH_ENCODER_LSH);
    ck_assert_int_eq(sh_index_model_matches(ix, other, err, sizeof err), SH_EMODEL);
    ck_assert(strstr(err, "other.shm") != NULL);
    free(other);
    ck_assert_str_eq(sh_version(), SH_VERSION_STRING);
    tix_rmtree(tmp);
}
END_TEST

START_TEST(public_codes_equal_engine_codes)
{
    /* this file saw engine/sh_error.h and version.h first; test_library_api.c
       saw only semhash.h's copies */
    const int engine[16] = { SH_OK,       SH_EINVAL, SH_ENOMEM,  SH_EFORMAT,   SH_EVERSION,
                             SH_ECHECKSUM, SH_ETRUNC, SH_ECONFIG, SH_EINPUT,    SH_EEMPTY,
                             SH_EMODEL,   SH_ENOTFOUND, SH_EINDEX, SH_ECANCEL,  SH_EFULL,
                             SH_EREADONLY };
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(tlib_public_codes[i], engine[i]);
        ck_assert_int_eq(engine[i], -i);
        ck_assert(strncmp(sh_strerror(engine[i]), "SH_", 3) == 0 || i == 0);
    }
    ck_assert_str_eq(tlib_public_version, sh_version());
}
END_TEST

Suite *library_suite(void)
{
    Suite *s = suite_create("library");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, queries_match_brute_force);
    tcase_add_test(core, text_query_finds_itself_and_records_read_back);
    tcase_add_test(core, upsert_remove_and_reopen);
    tcase_add_test(core, near_duplicates_are_verified_by_signature);
    tcase_add_test(core, batches_equal_single_adds);
    tcase_add_test(core, compaction_keeps_every_answer);
    tcase_add_test(core, bulk_loads_answer_like_one_by_one_loads);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 120);
    tcase_add_test(limits, bad_queries_are_refused);
    tcase_add_test(limits, open_and_create_errors);
    tcase_add_test(limits, public_codes_equal_engine_codes);
    suite_add_tcase(s, limits);
    return s;
}
