/* test_dataset.c — IDX and CSV/TSV readers, the TSV writer and the
 * stratified split. Fixtures are written into a fresh temporary directory
 * (IDX files through zlib, gzip and plain) and removed afterwards. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "sh_error.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sh_dataset_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *dir = opendir(tmpdir);
    if (dir != NULL) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
            unlink(path);
        }
        closedir(dir);
    }
    rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(path[slot], sizeof(path[slot]), "%s/%s", tmpdir, name);
    return path[slot];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(tmp_path(name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes an IDX file: magic, dims, then payload (payload_len bytes, which
 * may disagree with the dims on purpose). gzip when gz, else plain. */
static void write_idx(const char *name, int gz, uint32_t magic, const uint32_t *dims,
                      int ndims, const unsigned char *payload, size_t payload_len)
{
    unsigned char head[4 * 5];
    put_be32(head, magic);
    for (int i = 0; i < ndims; i++)
        put_be32(head + 4 + 4 * i, dims[i]);
    gzFile f = gzopen(tmp_path(name), gz ? "wb9" : "wbT");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, head, (unsigned)(4 + 4 * ndims)), 4 + 4 * ndims);
    if (payload_len > 0)
        ck_assert_int_eq(gzwrite(f, payload, (unsigned)payload_len), (int)payload_len);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* 5 images of 3 x 4 with pixel (i, p) = (37 * i + 11 * p) mod 256. */
enum { N_IMG = 5, IMG_H = 3, IMG_W = 4 };
static unsigned char img_bytes[N_IMG * IMG_H * IMG_W];
static unsigned char label_bytes[N_IMG] = { 3, 0, 9, 3, 1 };

static void fill_images(void)
{
    for (int i = 0; i < N_IMG; i++)
        for (int p = 0; p < IMG_H * IMG_W; p++)
            img_bytes[i * IMG_H * IMG_W + p] = (unsigned char)((37 * i + 11 * p) % 256);
}

static void check_idx_round_trip(int gz)
{
    fill_images();
    uint32_t dims[3] = { N_IMG, IMG_H, IMG_W };
    uint32_t ldims[1] = { N_IMG };
    write_idx("img.idx", gz, DATA_IDX_MAGIC_IMAGES, dims, 3, img_bytes, sizeof(img_bytes));
    write_idx("lab.idx", gz, DATA_IDX_MAGIC_LABELS, ldims, 1, label_bytes, sizeof(label_bytes));

    sh_mat m;
    size_t h = 0, w = 0;
    char err[256] = "";
    ck_assert_int_eq(data_idx_read_images(tmp_path("img.idx"), &m, &h, &w, err, sizeof(err)), 0);
    ck_assert_uint_eq(m.rows, N_IMG);
    ck_assert_uint_eq(m.cols, IMG_H * IMG_W);
    ck_assert_uint_eq(h, IMG_H);
    ck_assert_uint_eq(w, IMG_W);
    for (size_t i = 0; i < sizeof(img_bytes); i++) {
        ck_assert(m.data[i] >= 0.0f && m.data[i] <= 1.0f);
        ck_assert_int_eq((int)lroundf(m.data[i] * 255.0f), img_bytes[i]);
    }
    mat_free(&m);

    sh_dataset d;
    ck_assert_int_eq(data_idx_load(tmp_path("img.idx"), tmp_path("lab.idx"), &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, N_IMG);
    ck_assert_uint_eq(d.n_classes, 10);
    for (int i = 0; i < N_IMG; i++)
        ck_assert_int_eq(d.labels[i], label_bytes[i]);
    ck_assert_float_eq(d.x.data[IMG_H * IMG_W + 1], (float)((37 + 11) % 256) / 255.0f);
    dataset_free(&d);
    dataset_free(&d); /* zeroed: a second free is harmless */
}

START_TEST(idx_round_trip_plain)
{
    make_tmpdir();
    check_idx_round_trip(0);
    remove_tmpdir();
}
END_TEST

START_TEST(idx_round_trip_gzip)
{
    make_tmpdir();
    check_idx_round_trip(1);
    remove_tmpdir();
}
END_TEST

START_TEST(idx_malformed)
{
    make_tmpdir();
    fill_images();
    uint32_t dims[3] = { N_IMG, IMG_H, IMG_W };
    uint32_t ldims[1] = { N_IMG };
    uint32_t ldims_short[1] = { N_IMG - 1 };
    char err[256];
    sh_mat m;
    int *labels;
    size_t count;
    sh_dataset d;

    /* A label file given as images, and an image file given as labels. */
    write_idx("lab.idx.gz", 1, DATA_IDX_MAGIC_LABELS, ldims, 1, label_bytes, N_IMG);
    ck_assert_int_eq(data_idx_read_images(tmp_path("lab.idx.gz"), &m, NULL, NULL, err, sizeof(err)),
                     SH_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "lab.idx.gz"));
    ck_assert_ptr_nonnull(strstr(err, "magic"));
    ck_assert_ptr_null(m.data);
    write_idx("img.idx", 0, DATA_IDX_MAGIC_IMAGES, dims, 3, img_bytes, sizeof(img_bytes));
    ck_assert_int_eq(data_idx_read_labels(tmp_path("img.idx"), &labels, &count, err, sizeof(err)),
                     SH_EFORMAT);
    ck_assert_ptr_null(labels);

    /* Truncated pixel data (gzip and plain), truncated header. */
    write_idx("short.gz", 1, DATA_IDX_MAGIC_IMAGES, dims, 3, img_bytes, sizeof(img_bytes) - 7);
    ck_assert_int_eq(data_idx_read_images(tmp_path("short.gz"), &m, NULL, NULL, err, sizeof(err)),
                     SH_ETRUNC);
    ck_assert_ptr_nonnull(strstr(err, "short.gz"));
    write_idx("short.idx", 0, DATA_IDX_MAGIC_IMAGES, dims, 3, img_bytes, 1);
    ck_assert_int_eq(data_idx_read_images(tmp_path("short.idx"), &m, NULL, NULL, err, sizeof(err)),
                     SH_ETRUNC);
    write_idx("head.idx", 0, DATA_IDX_MAGIC_IMAGES, dims, 1, NULL, 0);
    ck_assert_int_eq(data_idx_read_images(tmp_path("head.idx"), &m, NULL, NULL, err, sizeof(err)),
                     SH_ETRUNC);
    write_idx("short_lab.idx", 0, DATA_IDX_MAGIC_LABELS, ldims, 1, label_bytes, N_IMG - 2);
    ck_assert_int_eq(data_idx_read_labels(tmp_path("short_lab.idx"), &labels, &count, err, sizeof(err)),
                     SH_ETRUNC);
    ck_assert_uint_eq(count, 0);

    /* Extra bytes after the last image. */
    unsigned char longer[sizeof(img_bytes) + 3] = { 0 };
    write_idx("long.idx", 1, DATA_IDX_MAGIC_IMAGES, dims, 3, longer, sizeof(longer));
    ck_assert_int_eq(data_idx_read_images(tmp_path("long.idx"), &m, NULL, NULL, err, sizeof(err)),
                     SH_EFORMAT);

    /* Label count differs from image count: the message names both. */
    write_idx("lab4.idx", 1, DATA_IDX_MAGIC_LABELS, ldims_short, 1, label_bytes, N_IMG - 1);
    ck_assert_int_eq(data_idx_load(tmp_path("img.idx"), tmp_path("lab4.idx"), &d, err, sizeof(err)),
                     SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "lab4.idx"));
    ck_assert_ptr_nonnull(strstr(err, "img.idx"));
    ck_assert_ptr_null(d.x.data);
    ck_assert_ptr_null(d.labels);

    /* Missing file: errno. */
    ck_assert_int_eq(data_idx_read_images(tmp_path("nope.idx"), &m, NULL, NULL, err, sizeof(err)),
                     ENOENT);
    remove_tmpdir();
}
END_TEST

START_TEST(csv_header_and_string_labels)
{
    make_tmpdir();
    write_text("iris.csv",
               "sepal,\"petal, width\",species\r\n"
               "5.1, 3.5 ,setosa\r\n"
               "\r\n"
               "4.9,3.0,virginica\r\n"
               "-1e-3,2,setosa\r\n"
               "6,7,\r\n");
    data_csv_opts o = data_csv_default_opts();
    o.label_name = "species";
    sh_dataset d;
    char err[256] = "";
    ck_assert_int_eq(data_csv_read(tmp_path("iris.csv"), &o, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 4);
    ck_assert_uint_eq(d.x.cols, 2);
    ck_assert_str_eq(d.col_names[0], "sepal");
    ck_assert_str_eq(d.col_names[1], "petal, width");
    ck_assert_float_eq(d.x.data[0], 5.1f);
    ck_assert_float_eq(d.x.data[1], 3.5f);
    ck_assert_float_eq(d.x.data[4], -1e-3f);
    ck_assert_uint_eq(d.n_classes, 2);
    ck_assert_str_eq(d.class_names[0], "setosa");
    ck_assert_str_eq(d.class_names[1], "virginica");
    int expect[4] = { 0, 1, 0, -1 };
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(d.labels[i], expect[i]);
    dataset_free(&d);
    remove_tmpdir();
}
END_TEST

START_TEST(csv_numeric_labels_by_index_no_header)
{
    make_tmpdir();
    /* TSV by extension; semicolons by sniffing. */
    write_text("m.tsv", "7\t1.5\t2.5\n2\t0.5\t-3\n7\t1\t1\n");
    write_text("m.txt", "1;2;3\n4;5;6\n");
    data_csv_opts o = data_csv_default_opts();
    o.label_col = 0;
    sh_dataset d;
    char err[256] = "";
    ck_assert_int_eq(data_csv_read(tmp_path("m.tsv"), &o, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 3);
    ck_assert_uint_eq(d.x.cols, 2);
    ck_assert_ptr_null(d.col_names);
    ck_assert_ptr_null(d.class_names);
    ck_assert_uint_eq(d.n_classes, 8);
    ck_assert_int_eq(d.labels[0], 7);
    ck_assert_int_eq(d.labels[1], 2);
    ck_assert_float_eq(d.x.data[3], -3.0f);
    dataset_free(&d);

    /* gzip-compressed TSV: the delimiter still comes from ".tsv". */
    gzFile gz = gzopen(tmp_path("m.tsv.gz"), "wb");
    ck_assert_ptr_nonnull(gz);
    gzputs(gz, "a\tb\n1,5\t2\n3\t4\n");
    gzclose(gz);
    ck_assert_int_eq(data_csv_read(tmp_path("m.tsv.gz"), NULL, &d, err, sizeof(err)), SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "m.tsv.gz:2: column 1: not a number '1,5'"));
    gz = gzopen(tmp_path("m.tsv.gz"), "wb");
    gzputs(gz, "a\tb\n1.5\t2\n3\t4\n");
    gzclose(gz);
    ck_assert_int_eq(data_csv_read(tmp_path("m.tsv.gz"), NULL, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 2);
    ck_assert_float_eq(d.x.data[0], 1.5f);
    ck_assert_str_eq(d.col_names[1], "b");
    dataset_free(&d);

    ck_assert_int_eq(data_csv_read(tmp_path("m.txt"), NULL, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 2);
    ck_assert_uint_eq(d.x.cols, 3);
    ck_assert_ptr_null(d.labels);
    ck_assert_float_eq(d.x.data[5], 6.0f);
    dataset_free(&d);
    remove_tmpdir();
}
END_TEST

/* Reads name expecting failure code; checks the message names the file
 * and contains want (when non-NULL). */
static void expect_csv_error(const char *name, const data_csv_opts *o, int code, const char *want)
{
    sh_dataset d;
    char err[256] = "";
    int rc = data_csv_read(tmp_path(name), o, &d, err, sizeof(err));
    ck_assert_msg(rc == code, "%s: got %d (%s), want %d", name, rc, err, code);
    ck_assert_ptr_nonnull(strstr(err, name));
    if (want != NULL)
        ck_assert_msg(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    ck_assert_ptr_null(d.x.data);
    ck_assert_ptr_null(d.labels);
    ck_assert_ptr_null(d.col_names);
}

START_TEST(csv_errors)
{
    make_tmpdir();
    data_csv_opts o = data_csv_default_opts();
    write_text("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    expect_csv_error("ragged.csv", NULL, SH_EINPUT, "ragged.csv:3:");
    write_text("word.csv", "1,2,3\n4,five,6\n");
    expect_csv_error("word.csv", NULL, SH_EINPUT, "word.csv:2: column 2: not a number 'five'");
    write_text("nan.csv", "x,y\n1,2\n3,nan\n");
    expect_csv_error("nan.csv", NULL, SH_EINPUT, "nan.csv:3: column 2: not a finite");
    write_text("inf.csv", "1,-inf\n");
    expect_csv_error("inf.csv", NULL, SH_EINPUT, "not a finite");
    write_text("big.csv", "1,1e39\n");
    expect_csv_error("big.csv", NULL, SH_EINPUT, "not a finite");
    write_text("hole.csv", "1,,3\n");
    expect_csv_error("hole.csv", NULL, SH_EINPUT, "column 2: empty cell");
    write_text("empty.csv", "");
    expect_csv_error("empty.csv", NULL, SH_EEMPTY, NULL);
    write_text("blank.csv", "\n  \n");
    expect_csv_error("blank.csv", NULL, SH_EEMPTY, NULL);
    write_text("header_only.csv", "a,b\n");
    expect_csv_error("header_only.csv", NULL, SH_EEMPTY, "after the header");
    write_text("quote.csv", "\"a,b\n1,2\n");
    expect_csv_error("quote.csv", NULL, SH_EINPUT, "quote.csv:1: column 1");
    o.label_name = "class";
    write_text("nolabel.csv", "a,b\n1,2\n");
    expect_csv_error("nolabel.csv", &o, SH_EINPUT, "class");
    o = data_csv_default_opts();
    o.label_col = 5;
    expect_csv_error("nolabel.csv", &o, SH_EINPUT, "label column 5");
    remove_tmpdir();
}
END_TEST

START_TEST(tsv_write_read_back)
{
    make_tmpdir();
    sh_mat m;
    ck_assert_int_eq(mat_alloc(&m, 3, 2), 0);
    float vals[6] = { 0.1f, -2.5e-7f, 3.14159265f, 1e20f, -0.0f, 123456789.0f };
    memcpy(m.data, vals, sizeof(vals));
    const char *ids[3] = { "doc a", "b", "c" };
    char err[256] = "";
    ck_assert_int_eq(data_tsv_write(tmp_path("emb.tsv"), &m, ids, NULL, err, sizeof(err)), 0);

    data_csv_opts o = data_csv_default_opts();
    o.label_name = "id";
    sh_dataset d;
    ck_assert_int_eq(data_csv_read(tmp_path("emb.tsv"), &o, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 3);
    ck_assert_uint_eq(d.x.cols, 2);
    ck_assert_mem_eq(d.x.data, vals, sizeof(vals));
    ck_assert_str_eq(d.col_names[1], "d1");
    ck_assert_str_eq(d.class_names[0], "doc a");
    ck_assert_int_eq(d.labels[2], 2);
    dataset_free(&d);

    /* Without ids the row index is written; ids with tabs are refused. */
    const char *names[2] = { "x", "y" };
    ck_assert_int_eq(data_tsv_write(tmp_path("rows.tsv"), &m, NULL, names, err, sizeof(err)), 0);
    o.label_name = NULL;
    o.label_col = 0;
    ck_assert_int_eq(data_csv_read(tmp_path("rows.tsv"), &o, &d, err, sizeof(err)), 0);
    ck_assert_ptr_null(d.class_names);
    ck_assert_int_eq(d.labels[2], 2);
    ck_assert_str_eq(d.col_names[0], "x");
    dataset_free(&d);
    /* Lines far longer than the reader's first buffer (1000 columns). */
    sh_mat wide;
    ck_assert_int_eq(mat_alloc(&wide, 3, 1000), 0);
    for (size_t i = 0; i < 3000; i++)
        wide.data[i] = (float)i / 7.0f - 100.0f;
    ck_assert_int_eq(data_tsv_write(tmp_path("wide.tsv"), &wide, NULL, NULL, err, sizeof(err)), 0);
    o.label_col = 0;
    ck_assert_int_eq(data_csv_read(tmp_path("wide.tsv"), &o, &d, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 3);
    ck_assert_uint_eq(d.x.cols, 1000);
    ck_assert_mem_eq(d.x.data, wide.data, 3000 * sizeof(float));
    ck_assert_str_eq(d.col_names[999], "d999");
    dataset_free(&d);
    mat_free(&wide);
    const char *bad_ids[3] = { "a", "b\tc", "d" };
    ck_assert_int_eq(data_tsv_write(tmp_path("bad.tsv"), &m, bad_ids, NULL, err, sizeof(err)),
                     SH_EINVAL);
    ck_assert_int_ne(data_tsv_write("/nonexistent-dir/x.tsv", &m, NULL, NULL, err, sizeof(err)), 0);
    mat_free(&m);
    remove_tmpdir();
}
END_TEST

START_TEST(split_is_stratified_and_seeded)
{
    /* 3 classes of sizes 50, 30, 20 plus 10 unlabelled rows; x = row index. */
    sh_dataset d = { 0 };
    size_t n = 110;
    ck_assert_int_eq(mat_alloc(&d.x, n, 2), 0);
    d.labels = malloc(n * sizeof(int));
    d.n_classes = 3;
    for (size_t i = 0; i < n; i++) {
        d.x.data[2 * i] = (float)i;
        d.x.data[2 * i + 1] = -(float)i;
        d.labels[i] = i < 10 ? -1 : (int)((i * 7) % 10 < 5 ? 0 : (i * 7) % 10 < 8 ? 1 : 2);
    }
    size_t class_size[4] = { 0 };
    for (size_t i = 0; i < n; i++)
        class_size[d.labels[i] < 0 ? 3 : d.labels[i]]++;

    sh_rng rng;
    rng_seed(&rng, 99);
    sh_dataset tr, te;
    size_t *tr_rows, *te_rows;
    ck_assert_int_eq(data_split(&d, 0.2, &rng, &tr, &te, &tr_rows, &te_rows), 0);
    ck_assert_uint_eq(tr.x.rows + te.x.rows, n);
    size_t te_class[4] = { 0 };
    unsigned char seen[110] = { 0 };
    for (size_t i = 0; i < te.x.rows; i++) {
        size_t r = te_rows[i];
        ck_assert(i == 0 || r > te_rows[i - 1]); /* original order kept */
        ck_assert_float_eq(te.x.data[2 * i], (float)r);
        ck_assert_int_eq(te.labels[i], d.labels[r]);
        te_class[te.labels[i] < 0 ? 3 : te.labels[i]]++;
        seen[r]++;
    }
    for (size_t i = 0; i < tr.x.rows; i++) {
        ck_assert_float_eq(tr.x.data[2 * i + 1], -(float)tr_rows[i]);
        seen[tr_rows[i]]++;
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(seen[i], 1);
    for (int c = 0; c < 4; c++)
        ck_assert_uint_eq(te_class[c], (size_t)llround(0.2 * (double)class_size[c]));

    /* Same seed, same split; another seed, another split. */
    sh_dataset tr2, te2;
    size_t *te_rows2;
    rng_seed(&rng, 99);
    ck_assert_int_eq(data_split(&d, 0.2, &rng, &tr2, &te2, NULL, &te_rows2), 0);
    ck_assert_mem_eq(te_rows, te_rows2, te.x.rows * sizeof(size_t));
    free(te_rows2);
    dataset_free(&tr2);
    dataset_free(&te2);
    rng_seed(&rng, 100);
    ck_assert_int_eq(data_split(&d, 0.2, &rng, &tr2, &te2, NULL, &te_rows2), 0);
    ck_assert_int_ne(memcmp(te_rows, te_rows2, te.x.rows * sizeof(size_t)), 0);
    free(te_rows2);
    dataset_free(&tr2);
    dataset_free(&te2);

    ck_assert_int_eq(data_split(&d, 1.5, &rng, &tr2, &te2, NULL, NULL), SH_EINVAL);

    /* Unlabelled data form one stratum; fractions 0 and 1 are allowed. */
    free(d.labels);
    d.labels = NULL;
    d.n_classes = 0;
    ck_assert_int_eq(data_split(&d, 0.25, &rng, &tr2, &te2, NULL, NULL), 0);
    ck_assert_uint_eq(te2.x.rows, (size_t)llround(0.25 * n));
    ck_assert_ptr_null(te2.labels);
    dataset_free(&tr2);
    dataset_free(&te2);
    ck_assert_int_eq(data_split(&d, 1.0, &rng, &tr2, &te2, NULL, NULL), 0);
    ck_assert_uint_eq(tr2.x.rows, 0);
    ck_assert_uint_eq(te2.x.rows, n);
    ck_assert_mem_eq(te2.x.data, d.x.data, n * 2 * sizeof(float));
    dataset_free(&tr2);
    dataset_free(&te2);
    size_t bad_rows[2] = { 3, n };
    ck_assert_int_eq(dataset_take_rows(&d, bad_rows, 2, &tr2), SH_EINVAL);
    ck_assert_ptr_null(tr2.x.data);
    free(tr_rows);
    free(te_rows);
    dataset_free(&tr);
    dataset_free(&te);
    dataset_free(&d);
}
END_TEST

START_TEST(scalers)
{
    /* Columns: 2..6, constant 5, and -1..1. */
    float vals[3][3] = { { 2, 5, -1 }, { 6, 5, 0 }, { 4, 5, 1 } };
    sh_mat x = { 3, 3, &vals[0][0] };
    data_scaler s;
    ck_assert_int_eq(data_scaler_fit(&x, DATA_SCALE_MINMAX, &s), 0);
    float other[2][3] = { { 8, 7, 0.5f }, { 2, 5, -1 } };
    sh_mat y = { 2, 3, &other[0][0] };
    ck_assert_int_eq(data_scaler_apply(&s, &y), 0);
    ck_assert_float_eq_tol(other[0][0], 1.5f, 1e-6f); /* (8 - 2) / 4: not clipped */
    ck_assert_float_eq(other[0][1], 0.0f);            /* constant column */
    ck_assert_float_eq_tol(other[0][2], 0.75f, 1e-6f);
    ck_assert_float_eq(other[1][0], 0.0f);
    ck_assert_float_eq(other[1][2], 0.0f);
    data_scaler_free(&s);

    ck_assert_int_eq(data_scaler_fit(&x, DATA_SCALE_STANDARD, &s), 0);
    ck_assert_int_eq(data_scaler_apply(&s, &x), 0);
    /* Column 0: mean 4, population sd sqrt(8/3). */
    ck_assert_float_eq_tol(vals[0][0], (float)(-2.0 / sqrt(8.0 / 3.0)), 1e-6f);
    for (int j = 0; j < 3; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < 3; i++)
            m += vals[i][j] / 3.0;
        for (int i = 0; i < 3; i++)
            v += (vals[i][j] - m) * (vals[i][j] - m) / 3.0;
        ck_assert_double_eq_tol(m, 0.0, 1e-6);
        ck_assert_double_eq_tol(v, j == 1 ? 0.0 : 1.0, 1e-5);
    }
    sh_mat narrow = { 1, 2, &other[0][0] };
    ck_assert_int_eq(data_scaler_apply(&s, &narrow), SH_EINVAL);
    data_scaler_free(&s);
    data_scaler_free(NULL);
    vals[1][1] = INFINITY;
    ck_assert_int_eq(data_scaler_fit(&x, DATA_SCALE_MINMAX, &s), SH_EINVAL);
    ck_assert_ptr_null(s.offset);
}
END_TEST

Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *core = tcase_create("core");
    tcase_add_test(core, idx_round_trip_plain);
    tcase_add_test(core, idx_round_trip_gzip);
    tcase_add_test(core, csv_header_and_string_labels);
    tcase_add_test(core, csv_numeric_labels_by_index_no_header);
    tcase_add_test(core, tsv_write_read_back);
    tcase_add_test(core, split_is_stratified_and_seeded);
    tcase_add_test(core, scalers);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, idx_malformed);
    tcase_add_test(limits, csv_errors);
    suite_add_tcase(s, limits);
    return s;
}
