/* test_modelfile.c — the model-file container: round trips, damage of
 * every kind (flipped bytes, truncation, wrong magic or version, hostile
 * section lengths), atomic save, and the bounds-checked cursor. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "modelfile.h"
#include "rng.h"
#include "sh_error.h"

#define TAG_A MF_TAG('A', 'A', 'A', 'A')
#define TAG_B MF_TAG('B', 'B', 'B', 'B')
#define TAG_C MF_TAG('C', 'F', 'G', '0')

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sh_mf_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (len > 0)
        ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A writer with three sections: raw random bytes, a piecewise section of
 * every put type, and an empty one. The random section's bytes go to
 * raw_out (raw_len of them). */
static mf_writer *sample_writer(uint8_t *raw_out, size_t raw_len, const float *floats,
                                size_t n_floats)
{
    sh_rng rng;
    rng_seed(&rng, 42);
    for (size_t i = 0; i < raw_len; i++)
        raw_out[i] = (uint8_t)rng_u64(&rng);
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_add(w, TAG_A, raw_out, raw_len), 0);
    ck_assert_int_eq(mf_writer_begin(w, TAG_B), 0);
    ck_assert_int_eq(mf_put_u32(w, 0xdeadbeefu), 0);
    ck_assert_int_eq(mf_put_u64(w, 0x0123456789abcdefull), 0);
    ck_assert_int_eq(mf_put_f32(w, -1.5f), 0);
    ck_assert_int_eq(mf_put_f64(w, 3.0e-300), 0);
    ck_assert_int_eq(mf_put_string(w, "vocabulary"), 0);
    ck_assert_int_eq(mf_put_f32_array(w, floats, n_floats), 0);
    ck_assert_int_eq(mf_put_bytes(w, "xyz", 3), 0);
    ck_assert_int_eq(mf_writer_end(w), 0);
    ck_assert_int_eq(mf_writer_add(w, TAG_C, NULL, 0), 0);
    return w;
}

static void check_sample_model(const mf_model *m, const uint8_t *raw, size_t raw_len,
                               const float *floats, size_t n_floats)
{
    ck_assert_uint_eq(mf_model_kind(m), MF_KIND_HASHER);
    const void *data;
    size_t len;
    ck_assert_int_eq(mf_model_section(m, TAG_A, &data, &len), 0);
    ck_assert_uint_eq(len, raw_len);
    ck_assert(memcmp(data, raw, raw_len) == 0);

    ck_assert_int_eq(mf_model_section(m, TAG_B, &data, &len), 0);
    ck_assert_uint_eq(len, 4 + 8 + 4 + 8 + 4 + 10 + 4 * n_floats + 3);
    mf_cursor c;
    mf_cursor_init(&c, data, len);
    uint32_t u32;
    uint64_t u64;
    float f;
    double d;
    const char *s;
    size_t slen;
    ck_assert_int_eq(mf_get_u32(&c, &u32), 0);
    ck_assert_uint_eq(u32, 0xdeadbeefu);
    ck_assert_int_eq(mf_get_u64(&c, &u64), 0);
    ck_assert(u64 == 0x0123456789abcdefull);
    ck_assert_int_eq(mf_get_f32(&c, &f), 0);
    ck_assert(f == -1.5f);
    ck_assert_int_eq(mf_get_f64(&c, &d), 0);
    ck_assert(d == 3.0e-300);
    ck_assert_int_eq(mf_get_string(&c, &s, &slen), 0);
    ck_assert_uint_eq(slen, 10);
    ck_assert(memcmp(s, "vocabulary", 10) == 0);
    float *back = malloc(n_floats * sizeof *back + 1);
    ck_assert_int_eq(mf_get_f32_array(&c, back, n_floats), 0);
    ck_assert(memcmp(back, floats, n_floats * sizeof *back) == 0);
    free(back);
    char tail[3];
    ck_assert_int_eq(mf_get_bytes(&c, tail, 3), 0);
    ck_assert(memcmp(tail, "xyz", 3) == 0);
    ck_assert_uint_eq(mf_cursor_left(&c), 0);

    ck_assert_int_eq(mf_model_section(m, TAG_C, &data, &len), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(mf_model_section(m, MF_TAG('N', 'O', 'N', 'E'), &data, &len),
                     SH_ENOTFOUND);
}

/* Builds the small sample model in memory (tiny, so that damage loops over
 * every byte stay fast). */
static uint8_t *small_model(size_t *len)
{
    uint8_t raw[37];
    float floats[5] = { 0.0f, -0.0f, 1.0f / 3.0f, 1e30f, -7.25f };
    mf_writer *w = sample_writer(raw, sizeof raw, floats, 5);
    uint8_t *buf = NULL;
    ck_assert_int_eq(mf_writer_finish(w, &buf, len), 0);
    mf_writer_free(w);
    return buf;
}

START_TEST(round_trip_is_bit_exact_and_file_equals_buffer)
{
    make_tmpdir();
    enum { RAW = 5000, NF = 777 };
    uint8_t *raw = malloc(RAW);
    float *floats = malloc(NF * sizeof *floats);
    sh_rng rng;
    rng_seed(&rng, 7);
    for (int i = 0; i < NF; i++)
        floats[i] = rng_normal(&rng) * 100.0f;

    /* Same content twice: one finished to a buffer, one saved to a file. */
    mf_writer *w1 = sample_writer(raw, RAW, floats, NF);
    mf_writer *w2 = sample_writer(raw, RAW, floats, NF);
    uint8_t *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mf_writer_finish(w1, &buf, &len), 0);
    /* The writer is finished: further use is refused. */
    ck_assert_int_eq(mf_writer_add(w1, TAG_A, "x", 1), SH_EINVAL);
    mf_writer_free(w1);

    char path[300], err[512];
    snprintf(path, sizeof path, "%s/model.bin", tmpdir);
    mode_t old_mask = umask(022);
    ck_assert_int_eq(mf_writer_save(w2, path, err, sizeof err), 0);
    umask(old_mask);
    mf_writer_free(w2);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644); /* an ordinary new file */

    size_t flen = 0;
    uint8_t *fbytes = read_bytes(path, &flen);
    ck_assert_uint_eq(flen, len);
    ck_assert(memcmp(fbytes, buf, len) == 0);
    /* Header fields sit where modelfile.h says. */
    ck_assert(memcmp(buf, "SEMHASH\0", 8) == 0);
    ck_assert_uint_eq(buf[8], MF_FORMAT_VERSION);
    ck_assert_uint_eq(buf[12], MF_KIND_HASHER);
    ck_assert(XXH64(buf, len - 8, 0) ==
              ((uint64_t)buf[len - 8] | (uint64_t)buf[len - 7] << 8 |
               (uint64_t)buf[len - 6] << 16 | (uint64_t)buf[len - 5] << 24 |
               (uint64_t)buf[len - 4] << 32 | (uint64_t)buf[len - 3] << 40 |
               (uint64_t)buf[len - 2] << 48 | (uint64_t)buf[len - 1] << 56));

    /* No temporary file is left beside the model. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", tmpdir);
    ck_assert_int_eq(system(cmd), 0);

    mf_model *m = NULL;
    ck_assert_int_eq(mf_read_file(path, &m, err, sizeof err), 0);
    check_sample_model(m, raw, RAW, floats, NF);
    ck_assert_str_eq(mf_model_label(m), path);
    mf_model_free(m);

    m = NULL;
    ck_assert_int_eq(mf_read_buffer(buf, len, "index model", &m, err, sizeof err), 0);
    check_sample_model(m, raw, RAW, floats, NF);
    ck_assert_str_eq(mf_model_label(m), "index model");
    mf_model_free(m);

    /* Saving over an existing file replaces it. */
    mf_writer *w3 = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_DEC, &w3), 0);
    ck_assert_int_eq(mf_writer_save(w3, path, err, sizeof err), 0);
    mf_writer_free(w3);
    ck_assert_int_eq(mf_read_file(path, &m, err, sizeof err), 0);
    ck_assert_uint_eq(mf_model_kind(m), MF_KIND_DEC);
    const void *data;
    size_t slen;
    ck_assert_int_eq(mf_model_section(m, TAG_A, &data, &slen), SH_ENOTFOUND);
    mf_model_free(m);

    free(fbytes);
    free(buf);
    free(raw);
    free(floats);
    remove_tmpdir();
}
END_TEST

START_TEST(every_flipped_byte_fails_cleanly)
{
    size_t len = 0;
    uint8_t *good = small_model(&len);
    uint8_t *bad = malloc(len);
    char err[512];
    for (size_t pos = 0; pos < len; pos++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(bad, good, len);
            bad[pos] ^= (uint8_t)(1u << bit);
            mf_model *m = (mf_model *)0x1; /* must stay unchanged */
            err[0] = '\0';
            int rc = mf_read_buffer(bad, len, "flipped.bin", &m, err, sizeof err);
            ck_assert_msg(rc < 0, "flip at %zu bit %d accepted (rc %d)", pos, bit, rc);
            ck_assert_ptr_eq(m, (mf_model *)0x1);
            ck_assert_msg(strstr(err, "flipped.bin") != NULL, "message '%s'", err);
            if (pos < 8)
                ck_assert_int_eq(rc, SH_EFORMAT);
            else if (pos < 12)
                ck_assert_int_eq(rc, SH_EVERSION);
            else if (pos >= 24)
                ck_assert_int_eq(rc, SH_ECHECKSUM);
            else if (pos < 16)
                ck_assert_int_eq(rc, SH_ECHECKSUM); /* kind is covered by the checksum */
            else
                ck_assert(rc == SH_ETRUNC || rc == SH_EFORMAT);
        }
    }
    free(bad);
    free(good);
}
END_TEST

START_TEST(every_truncation_fails_cleanly)
{
    make_tmpdir();
    size_t len = 0;
    uint8_t *good = small_model(&len);
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/cut.bin", tmpdir);
    for (size_t cut = 0; cut < len; cut++) {
        /* From a file, so that 0..23-byte files go through the file path
         * too; the exact-size allocation lets ASan catch any overread. */
        write_bytes(path, good, cut);
        mf_model *m = NULL;
        int rc = mf_read_file(path, &m, err, sizeof err);
        ck_assert_msg(rc == SH_ETRUNC, "cut at %zu: rc %d (%s)", cut, rc, err);
        ck_assert_ptr_null(m);
        ck_assert_msg(strstr(err, path) != NULL, "message '%s'", err);
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, good, cut);
        ck_assert_int_eq(mf_read_buffer(exact, cut, "cut", &m, err, sizeof err), SH_ETRUNC);
        free(exact);
    }
    /* Trailing bytes after the checksum are not silently ignored. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, good, len);
    longer[len] = 0;
    mf_model *m = NULL;
    ck_assert_int_eq(mf_read_buffer(longer, len + 1, "long", &m, err, sizeof err),
                     SH_EFORMAT);
    free(longer);
    free(good);
    remove_tmpdir();
}
END_TEST

/* Rewrites the header's payload length and checksum as a forger would. */
static void reseal(uint8_t *buf, size_t len)
{
    uint64_t payload = len - 32;
    for (int i = 0; i < 8; i++)
        buf[16 + i] = (uint8_t)(payload >> (8 * i));
    uint64_t h = XXH64(buf, len - 8, 0);
    for (int i = 0; i < 8; i++)
        buf[len - 8 + i] = (uint8_t)(h >> (8 * i));
}

START_TEST(wrong_magic_version_and_hostile_lengths)
{
    size_t len = 0;
    uint8_t *buf = small_model(&len);
    char err[512];
    mf_model *m = NULL;

    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    memcpy(copy, "NOTAMODL", 8);
    reseal(copy, len);
    ck_assert_int_eq(mf_read_buffer(copy, len, "x.bin", &m, err, sizeof err), SH_EFORMAT);
    ck_assert(strstr(err, "x.bin:") == err);

    /* A short file that does not start with the magic is not a model. */
    ck_assert_int_eq(mf_read_buffer("hello", 5, "hello.txt", &m, err, sizeof err),
                     SH_EFORMAT);

    memcpy(copy, buf, len);
    copy[8] = 2;
    reseal(copy, len);
    ck_assert_int_eq(mf_read_buffer(copy, len, "v2.bin", &m, err, sizeof err), SH_EVERSION);
    ck_assert(strstr(err, "v2.bin:") == err);
    ck_assert(strstr(err, "version 2") != NULL);

    /* First section's length field (bytes 28..35): huge, overflowing, one
     * too many; with a valid checksum so framing is what catches it. */
    const uint64_t hostile[] = { UINT64_MAX, UINT64_MAX - 5, (uint64_t)1 << 62,
                                 (uint64_t)(len - 24 - 8 - 12 + 1) };
    for (size_t k = 0; k < sizeof hostile / sizeof hostile[0]; k++) {
        memcpy(copy, buf, len);
        for (int i = 0; i < 8; i++)
            copy[28 + i] = (uint8_t)(hostile[k] >> (8 * i));
        reseal(copy, len);
        m = NULL;
        ck_assert_int_eq(mf_read_buffer(copy, len, "evil.bin", &m, err, sizeof err),
                         SH_ETRUNC);
        ck_assert_ptr_null(m);
        ck_assert(strstr(err, "evil.bin:") == err);
    }
    /* A payload length that overflows when added to the header. */
    memcpy(copy, buf, len);
    for (int i = 0; i < 8; i++)
        copy[16 + i] = 0xff;
    ck_assert_int_eq(mf_read_buffer(copy, len, "evil.bin", &m, err, sizeof err), SH_ETRUNC);

    /* A section header cut in half inside a correctly sealed payload. */
    uint8_t *cut = malloc(len + 6);
    memcpy(cut, buf, len - 8);
    memset(cut + len - 8, 0x41, 6);
    reseal(cut, len + 6);
    ck_assert_int_eq(mf_read_buffer(cut, len + 6, "half.bin", &m, err, sizeof err),
                     SH_ETRUNC);
    free(cut);
    free(copy);
    free(buf);
}
END_TEST

START_TEST(file_errors_name_the_path)
{
    make_tmpdir();
    char path[300], err[512];
    mf_model *m = NULL;
    snprintf(path, sizeof path, "%s/missing.bin", tmpdir);
    ck_assert_int_eq(mf_read_file(path, &m, err, sizeof err), ENOENT);
    ck_assert(strstr(err, path) == err);
    ck_assert_int_eq(mf_read_file(tmpdir, &m, err, sizeof err), EISDIR);
    ck_assert_ptr_null(m);

    /* Saving into a missing directory fails with errno and leaves nothing. */
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_AUTOENCODER, &w), 0);
    snprintf(path, sizeof path, "%s/no/such/dir/model.bin", tmpdir);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), ENOENT);
    ck_assert(strstr(err, path) == err);
    mf_writer_free(w);

    /* A failed save does not disturb the model already under the path. */
    snprintf(path, sizeof path, "%s/keep.bin", tmpdir);
    ck_assert_int_eq(mf_writer_new(MF_KIND_ANOMALY, &w), 0);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_writer_new(MF_KIND_ANOMALY, &w), 0);
    ck_assert_int_eq(mf_writer_begin(w, TAG_A), 0);
    ck_assert_int_eq(mf_writer_save(w, path, err, sizeof err), SH_EINVAL); /* open section */
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_file(path, &m, err, sizeof err), 0);
    ck_assert_uint_eq(mf_model_kind(m), MF_KIND_ANOMALY);
    mf_model_free(m);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(writer_misuse_is_refused)
{
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_AUTOENCODER, &w), 0);
    ck_assert_int_eq(mf_put_u32(w, 1), SH_EINVAL); /* no open section */
    ck_assert_int_eq(mf_writer_end(w), SH_EINVAL);
    ck_assert_int_eq(mf_writer_begin(w, TAG_A), 0);
    ck_assert_int_eq(mf_writer_begin(w, TAG_B), SH_EINVAL); /* one at a time */
    ck_assert_int_eq(mf_writer_add(w, TAG_B, "x", 1), SH_EINVAL);
    uint8_t *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), SH_EINVAL);
    ck_assert_ptr_null(buf);
    ck_assert_int_eq(mf_writer_end(w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    ck_assert_uint_eq(len, 24 + 12 + 8);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), SH_EINVAL);
    mf_writer_free(w);
    mf_writer_free(NULL);
    mf_model_free(NULL);
    free(buf);
}
END_TEST

START_TEST(cursor_overruns_return_etrunc_and_keep_position)
{
    uint8_t bytes[11] = { 1, 0, 0, 0, 5, 0, 0, 0, 'a', 'b', 'c' };
    mf_cursor c;
    mf_cursor_init(&c, bytes, sizeof bytes);
    uint32_t u;
    uint64_t v;
    float f[3];
    double d;
    const char *s;
    size_t slen;
    ck_assert_int_eq(mf_get_u32(&c, &u), 0);
    ck_assert_uint_eq(u, 1);
    /* The string claims 5 bytes, 3 remain. */
    ck_assert_int_eq(mf_get_string(&c, &s, &slen), SH_ETRUNC);
    ck_assert_uint_eq(c.pos, 4);
    ck_assert_int_eq(mf_get_u64(&c, &v), SH_ETRUNC);
    ck_assert_int_eq(mf_get_f64(&c, &d), SH_ETRUNC);
    ck_assert_int_eq(mf_get_f32_array(&c, f, 2), SH_ETRUNC);
    ck_assert_int_eq(mf_get_f32_array(&c, f, SIZE_MAX / 2), SH_ETRUNC); /* n*4 overflows */
    ck_assert_int_eq(mf_get_bytes(&c, f, 8), SH_ETRUNC);
    ck_assert_uint_eq(c.pos, 4);
    ck_assert_uint_eq(mf_cursor_left(&c), 7);
    ck_assert_int_eq(mf_get_f32(&c, &f[0]), 0);
    ck_assert_int_eq(mf_get_bytes(&c, f, 3), 0);
    ck_assert_uint_eq(mf_cursor_left(&c), 0);
    ck_assert_int_eq(mf_get_u32(&c, &u), SH_ETRUNC);
    ck_assert_int_eq(mf_get_bytes(&c, f, 0), 0);

    /* A string length of 0xffffffff must not wrap the bounds check. */
    uint8_t huge[6] = { 0xff, 0xff, 0xff, 0xff, 'x', 'y' };
    mf_cursor_init(&c, huge, sizeof huge);
    ck_assert_int_eq(mf_get_string(&c, &s, &slen), SH_ETRUNC);
    ck_assert_uint_eq(c.pos, 0);
}
END_TEST

Suite *modelfile_suite(void)
{
    Suite *s = suite_create("modelfile");
    TCase *core = tcase_create("core");
    tcase_add_test(core, round_trip_is_bit_exact_and_file_equals_buffer);
    tcase_add_test(core, writer_misuse_is_refused);
    tcase_add_test(core, cursor_overruns_return_etrunc_and_keep_position);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, every_flipped_byte_fails_cleanly);
    tcase_add_test(limits, every_truncation_fails_cleanly);
    tcase_add_test(limits, wrong_magic_version_and_hostile_lengths);
    tcase_add_test(limits, file_errors_name_the_path);
    suite_add_tcase(s, limits);
    return s;
}
