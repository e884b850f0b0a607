/* test_index_store.c — creating, opening and reopening indexes; clean
 * errors for what is not an index; substring layout; map growth. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idx_check.h"
#include "idx_docs.h"
#include "idx_store.h"
#include "sh_error.h"
#include "test_index_util.h"

static int path_exists(const char *dir, const char *file)
{
    char p[1300];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return stat(p, &st) == 0;
}

START_TEST(create_reopen_keeps_meta_config_and_model)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE, 64);
    o.expected_docs = 1000;
    o.sig_bytes = 8;
    o.config_text = "bits: 64\nlayers: [512, 64]\n";
    o.config_len = strlen(o.config_text);
    char err[256];
    idx_index *ix = tix_open_with(dir, &o);
    ck_assert_int_eq(ix->m, idx_choose_substrings(64, 1000));
    uint8_t model[5000];
    for (size_t i = 0; i < sizeof model; i++)
        model[i] = (uint8_t)(i * 31 + 7);
    ck_assert_int_eq(idx_model_put(ix, model, sizeof model, err, sizeof err), 0);
    idx_close(ix);

    idx_options ro = { 0 };
    ro.flags = IDX_RDONLY;
    ck_assert_int_eq(idx_open(dir, &ro, &ix, err, sizeof err), 0);
    ck_assert_int_eq(ix->bits, 64);
    ck_assert_int_eq(ix->m, idx_choose_substrings(64, 1000));
    ck_assert_int_eq(ix->sig_bytes, 8);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, err, sizeof err), 0);
    const char *text;
    size_t len;
    ck_assert_int_eq(idx_config_get(rd, &text, &len), 0);
    ck_assert_uint_eq(len, o.config_len);
    ck_assert(memcmp(text, o.config_text, len) == 0);
    const void *blob;
    ck_assert_int_eq(idx_model_get(rd, &blob, &len), 0);
    ck_assert_uint_eq(len, sizeof model);
    ck_assert(memcmp(blob, model, len) == 0);
    ck_assert_uint_eq(idx_reader_doc_count(rd), 0);
    idx_reader_end(rd);

    idx_doc d;
    char name[32];
    uint8_t sig[8] = { 0 };
    tix_doc(&d, name, 1, (sh_code){ { 0, 0 } }, 1, sig, 8);
    ck_assert_int_eq(idx_add(ix, &d, NULL, err, sizeof err), SH_EREADONLY);
    ck_assert_int_eq(idx_remove(ix, "doc-1", 5, NULL, err, sizeof err), SH_EREADONLY);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

/* The rest of c for sub, bit by bit: every code bit outside the
 * substring, in order; the join and the table entry agree with it, and
 * the entry carries the content hash's top 32 bits after the rest when
 * the substring has a tag (substring 0 only). */
static void check_rest_and_entry(const sh_code *c, int bits, const idx_substring *sub,
                                 uint32_t id, int first)
{
    const uint64_t hash = 0x0123456789abcdefULL;
    sh_code expect = { { 0, 0 } };
    int at = 0;
    for (int b = 0; b < bits; b++)
        if (b < sub->start || b >= sub->start + sub->len)
            code_set_bit(&expect, at++, code_get_bit(c, b));
    ck_assert_int_eq(at, sub->rest_bits);
    ck_assert_int_eq(sub->rest_bytes, (sub->rest_bits + 7) / 8);
    ck_assert_int_eq(sub->tag_bytes, first ? 4 : 0);
    ck_assert_int_eq(sub->entry_bytes, sub->rest_bytes + sub->tag_bytes + 4);
    sh_code rest = idx_code_rest(c, sub);
    ck_assert(rest.w[0] == expect.w[0] && rest.w[1] == expect.w[1]);
    sh_code back = idx_code_join(idx_substring_value(c, sub), &rest, sub);
    ck_assert(back.w[0] == c->w[0] && back.w[1] == c->w[1]);
    uint8_t entry[32];
    memset(entry, 0xAA, sizeof entry);
    idx_entry_encode(c, hash, id, sub, entry);
    if (first)
        ck_assert_uint_eq(idx_get_u32(entry + sub->rest_bytes), 0x01234567u);
    sh_code r2 = idx_entry_rest(entry, sub);
    ck_assert(r2.w[0] == expect.w[0] && r2.w[1] == expect.w[1]);
    ck_assert_uint_eq(idx_entry_id(entry, sub), id);
    ck_assert_uint_eq(entry[sub->entry_bytes], 0xAA); /* nothing written past the entry */
}

START_TEST(substring_layout_covers_code_exactly)
{
    sh_rng rng;
    rng_seed(&rng, 3);
    for (int bits = 8; bits <= 128; bits += 8) {
        int lo = (bits + 63) / 64, hi = bits / 8 < IDX_MAX_SUBSTRINGS ? bits / 8 : IDX_MAX_SUBSTRINGS;
        for (uint64_t n = 2; n < ((uint64_t)1 << 40); n *= 10) {
            int m = idx_choose_substrings(bits, n);
            ck_assert(m >= lo && m <= hi);
        }
        for (int m = lo; m <= hi; m++) {
            idx_substring sub[IDX_MAX_SUBSTRINGS];
            idx_layout_substrings(bits, m, sub);
            sh_code all = { { 0, 0 } };
            int total = 0;
            for (int j = 0; j < m; j++) {
                ck_assert(sub[j].len == bits / m || sub[j].len == bits / m + 1);
                ck_assert(sub[j].len <= 64);
                ck_assert_int_eq(sub[j].key_bytes, (sub[j].len + 7) / 8);
                ck_assert((all.w[0] & sub[j].mask.w[0]) == 0 && (all.w[1] & sub[j].mask.w[1]) == 0);
                all.w[0] |= sub[j].mask.w[0];
                all.w[1] |= sub[j].mask.w[1];
                total += sub[j].len;
            }
            ck_assert_int_eq(total, bits);
            for (int t = 0; t < 20; t++) {
                sh_code c = tix_random_code(&rng, bits);
                for (int j = 0; j < m; j++) {
                    uint64_t expect = 0;
                    for (int b = sub[j].start; b < sub[j].start + sub[j].len; b++)
                        expect = expect << 1 | (uint64_t)code_get_bit(&c, b);
                    ck_assert_uint_eq(idx_substring_value(&c, &sub[j]), expect);
                    uint8_t key[8];
                    idx_substring_key(expect, &sub[j], key);
                    uint64_t back = 0;
                    for (int i = 0; i < sub[j].key_bytes; i++)
                        back = back << 8 | key[i];
                    ck_assert_uint_eq(back, expect);
                    check_rest_and_entry(&c, bits, &sub[j], (uint32_t)rng_u64(&rng), j == 0);
                }
            }
        }
    }
}
END_TEST

/* Writes key=value pairs into a raw LMDB environment (named db or main). */
static void raw_put(const char *dir, const char *db, const char *key, const void *val, size_t len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_set_maxdbs(env, 32), 0);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0644), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, db, db ? MDB_CREATE : 0, &dbi), 0);
    MDB_val k = { strlen(key), (void *)key }, v = { len, (void *)val };
    ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void expect_open_error(const char *dir, int flags, int code)
{
    idx_options o = tix_options(flags, 0);
    idx_index *ix = (idx_index *)1;
    char err[256] = "";
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), code);
    ck_assert_ptr_null(ix);
    ck_assert_msg(strstr(err, dir) != NULL, "message names the index: %s", err);
}

START_TEST(not_an_index_gives_clean_errors)
{
    char *dir = tix_tmpdir();
    char path[600];

    snprintf(path, sizeof path, "%s/missing", dir);
    expect_open_error(path, 0, SH_ENOTFOUND);
    expect_open_error(path, IDX_RDONLY, SH_ENOTFOUND);
    ck_assert(!path_exists(dir, "missing"));

    snprintf(path, sizeof path, "%s/empty", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    expect_open_error(path, 0, SH_EINDEX);
    expect_open_error(path, IDX_RDONLY, SH_EINDEX);
    ck_assert(!path_exists(path, "data.mdb"));

    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("hello\n", f);
    fclose(f);
    expect_open_error(path, 0, SH_EINDEX);

    snprintf(path, sizeof path, "%s/garbage", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    char data[700];
    snprintf(data, sizeof data, "%s/data.mdb", path);
    f = fopen(data, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 3000; i++)
        fputs("not lmdb ", f);
    fclose(f);
    expect_open_error(path, IDX_RDONLY, SH_EINDEX);
    expect_open_error(path, 0, SH_EINDEX);

    snprintf(path, sizeof path, "%s/plain-lmdb", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    raw_put(path, NULL, "hello", "world", 5);
    expect_open_error(path, IDX_RDONLY, SH_EINDEX);
    expect_open_error(path, 0, SH_EINDEX);

    snprintf(path, sizeof path, "%s/foreign-meta", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    raw_put(path, "meta", "magic", "something-else", 14);
    expect_open_error(path, IDX_RDONLY, SH_EINDEX);
    expect_open_error(path, 0, SH_EINDEX);
    tix_rmtree(dir);
}
END_TEST

START_TEST(other_format_version_is_eversion)
{
    char *dir = tix_tmpdir();
    idx_close(tix_open(dir, IDX_CREATE, 32, 0, 0));
    uint8_t v[8];
    idx_put_u64(v, IDX_FORMAT_VERSION + 1);
    raw_put(dir, "meta", "format", v, 8);
    expect_open_error(dir, IDX_RDONLY, SH_EVERSION);
    expect_open_error(dir, 0, SH_EVERSION);
    /* Back to our version: opens again. */
    idx_put_u64(v, IDX_FORMAT_VERSION);
    raw_put(dir, "meta", "format", v, 8);
    idx_close(tix_open(dir, IDX_RDONLY, 32, 0, 0));
    /* Impossible shape values are a damaged index. */
    idx_put_u64(v, 12);
    raw_put(dir, "meta", "bits", v, 8);
    expect_open_error(dir, IDX_RDONLY, SH_EINDEX);
    tix_rmtree(dir);
}
END_TEST

START_TEST(bad_options_and_existing_index)
{
    char *dir = tix_tmpdir();
    idx_options o = { 0 };
    idx_index *ix;
    char err[256];
    o.flags = IDX_CREATE;
    o.code_bits = 12;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    o.code_bits = 64;
    o.substrings = 9;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    o.code_bits = 128;
    o.substrings = 1;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    o.substrings = 0;
    o.sig_bytes = IDX_MAX_SIG + 1;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    o.sig_bytes = 0;
    o.flags = IDX_CREATE | IDX_RDONLY;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    ck_assert(!path_exists(dir, "data.mdb"));
    o.flags = IDX_CREATE;
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), 0);
    idx_close(ix);
    ck_assert_int_eq(idx_open(dir, &o, &ix, err, sizeof err), SH_EINVAL);
    ck_assert_ptr_null(ix);
    idx_close(NULL);
    idx_reader_end(NULL);
    tix_rmtree(dir);
}
END_TEST

START_TEST(tiny_map_grows_while_adding)
{
    char *dir = tix_tmpdir();
    idx_options o = tix_options(IDX_CREATE | IDX_NOSYNC, 64);
    o.map_size = 64 << 10;
    o.batch_size = 700;
    o.sig_bytes = 32;
    char err[256];
    idx_index *ix = tix_open_with(dir, &o);
    size_t start_map = ix->map_size;
    sh_rng rng;
    rng_seed(&rng, 77);
    uint8_t sig[32];
    char name[32];
    enum { N = 6000 };
    sh_code *codes = malloc(N * sizeof *codes);
    ck_assert_ptr_nonnull(codes);
    for (int i = 0; i < N; i++) {
        codes[i] = tix_random_code(&rng, 64);
        for (int b = 0; b < 32; b++)
            sig[b] = (uint8_t)(i + b);
        idx_doc d;
        tix_doc(&d, name, (unsigned)i, codes[i], (uint64_t)i, sig, 32);
        idx_add_result res;
        ck_assert_msg(idx_add(ix, &d, &res, err, sizeof err) == 0, "add %d: %s", i, err);
        ck_assert_int_eq(res.action, IDX_ADDED);
        ck_assert_uint_eq(res.id, (uint32_t)i + 1);
    }
    ck_assert_int_eq(idx_commit(ix, err, sizeof err), 0);
    ck_assert_uint_gt(ix->map_size, 8 * start_map);
    idx_close(ix);

    ix = tix_open(dir, IDX_RDONLY, 64, 0, 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, err, sizeof err), 0);
    ck_assert_int_eq(idx_verify(rd, err, sizeof err), 0);
    idx_stats st;
    ck_assert_int_eq(idx_stats_get(rd, &st), 0);
    ck_assert_uint_eq(st.docs, N);
    ck_assert_uint_eq(st.next_id, N + 1);
    for (int i = 0; i < N; i += 97) {
        idx_doc d;
        snprintf(name, sizeof name, "doc-%d", i);
        ck_assert_int_eq(idx_doc_find(rd, name, strlen(name), &d), 0);
        ck_assert(code_hamming(&d.code, &codes[i]) == 0);
        ck_assert_uint_eq(d.sig_len, 32);
        ck_assert_uint_eq(d.sig[5], (uint8_t)(i + 5));
        ck_assert_str_eq(d.name, name);
    }
    idx_reader_end(rd);
    idx_close(ix);
    free(codes);
    tix_rmtree(dir);
}
END_TEST

START_TEST(stats_count_buckets_and_bits)
{
    char *dir = tix_tmpdir();
    idx_index *ix = tix_open(dir, IDX_CREATE | IDX_NOSYNC, 16, 2, 0);
    char name[32];
    /* Codes: 0x8000 x5, 0x0001 x2, 0xffff x1. */
    uint64_t words[8] = { 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x0001, 0x0001, 0xffff };
    for (int i = 0; i < 8; i++) {
        idx_doc d;
        tix_doc(&d, name, (unsigned)i, (sh_code){ { words[i] << 48, 0 } }, (uint64_t)i, NULL, 0);
        ck_assert_int_eq(idx_add(ix, &d, NULL, NULL, 0), 0);
    }
    ck_assert_int_eq(idx_commit(ix, NULL, 0), 0);
    idx_reader *rd;
    ck_assert_int_eq(idx_reader_begin(ix, &rd, NULL, 0), 0);
    idx_stats st;
    ck_assert_int_eq(idx_stats_get(rd, &st), 0);
    ck_assert_uint_eq(st.docs, 8);
    ck_assert_uint_eq(st.buckets, 3);
    ck_assert_uint_eq(st.max_bucket, 5);
    ck_assert_uint_eq(st.bucket_hist[0], 1); /* size 1 */
    ck_assert_uint_eq(st.bucket_hist[1], 1); /* size 2..3 */
    ck_assert_uint_eq(st.bucket_hist[2], 1); /* size 4..7 */
    ck_assert_uint_eq(st.bit_ones[0], 6);
    ck_assert_uint_eq(st.bit_ones[15], 3);
    ck_assert_uint_eq(st.bit_ones[7], 1);
    ck_assert_int_eq(st.n_tables, 4 + 2);
    ck_assert_str_eq(st.tables[4].name, "mih_0");
    ck_assert_uint_eq(st.tables[4].entries, 8);
    ck_assert_uint_gt(st.tables[4].bytes, 0);
    ck_assert_str_eq(st.tables[5].name, "mih_1");
    idx_reader_end(rd);
    idx_close(ix);
    tix_rmtree(dir);
}
END_TEST

Suite *index_store_suite(void)
{
    Suite *s = suite_create("index_store");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, create_reopen_keeps_meta_config_and_model);
    tcase_add_test(core, substring_layout_covers_code_exactly);
    tcase_add_test(core, tiny_map_grows_while_adding);
    tcase_add_test(core, stats_count_buckets_and_bits);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, not_an_index_gives_clean_errors);
    tcase_add_test(limits, other_format_version_is_eversion);
    tcase_add_test(limits, bad_options_and_existing_index);
    suite_add_tcase(s, limits);
    return s;
}
