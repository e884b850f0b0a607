/* test_ae_common.c — the toolkit's shared pieces (loading, row errors,
 * corruption, model framing) and the `semhash ae` program on bad and good
 * input: fixtures are written to a temporary directory and removed. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ae_anomaly.h"
#include "ae_common.h"
#include "ae_text.h"
#include "sh_error.h"
#include "test_files.h"
#include "test_nn_util.h"

/* A labelled CSV: 3 classes on separate corners, label in column 0. */
static void write_csv(const char *path, size_t rows, size_t cols, int with_label)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    sh_rng rng;
    rng_seed(&rng, 77);
    for (size_t i = 0; i < rows; i++) {
        int c = (int)(i % 3);
        if (with_label)
            fprintf(f, "%d,", c);
        for (size_t j = 0; j < cols; j++) {
            float v = (j % 3 == (size_t)c ? 0.8f : 0.1f) + 0.05f * rng_uniform(&rng);
            fprintf(f, "%.4f%s", v, j + 1 < cols ? "," : "\n");
        }
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- library ---------------------------------------------------------------------- */

START_TEST(load_errors_name_the_file)
{
    tf_dir_make("ae");
    char idx[256], csv[256], err[512];
    sh_dataset d;
    tf_path(idx, sizeof(idx), "bad-images-idx3-ubyte");
    unsigned char hdr[16] = { 0, 0, 8, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 }; /* labels magic */
    tf_write(idx, hdr, sizeof(hdr));
    ck_assert_int_eq(ae_load(idx, NULL, NULL, &d, NULL, NULL, err, sizeof(err)), SH_EFORMAT);
    ck_assert_msg(strstr(err, idx) != NULL, "%s", err);
    ck_assert_ptr_null(d.x.data);

    tf_path(csv, sizeof(csv), "ragged.csv");
    const char *ragged = "1,2,3\n4,5\n";
    tf_write(csv, ragged, strlen(ragged));
    ck_assert_int_eq(ae_load(csv, NULL, NULL, &d, NULL, NULL, err, sizeof(err)), SH_EINPUT);
    ck_assert_msg(strstr(err, csv) != NULL && strstr(err, ":2") != NULL, "%s", err);

    /* a label file for a CSV is refused */
    const char *ok = "1,2\n3,4\n";
    tf_write(csv, ok, strlen(ok));
    ck_assert_int_eq(ae_load(csv, idx, NULL, &d, NULL, NULL, err, sizeof(err)), SH_EINVAL);
    ck_assert_int_eq(ae_load(csv, NULL, NULL, &d, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_uint_eq(d.x.rows, 2);
    ck_assert_int_eq(ae_require_labels(&d, csv, "ae classify", err, sizeof(err)), SH_EINPUT);
    ck_assert_msg(strstr(err, csv) != NULL && strstr(err, "ae classify") != NULL, "%s", err);
    ck_assert_int_eq(ae_require_width(&d, 3, csv, err, sizeof(err)), SH_EINPUT);
    ck_assert_int_eq(ae_require_width(&d, 2, csv, err, sizeof(err)), 0);
    dataset_free(&d);
    tf_dir_remove();
}
END_TEST

START_TEST(path_kinds)
{
    ck_assert(ae_path_is_delimited("a.csv"));
    ck_assert(ae_path_is_delimited("a.TSV.gz"));
    ck_assert(ae_path_is_delimited("dir/x.tab"));
    ck_assert(!ae_path_is_delimited("train-images-idx3-ubyte.gz"));
    ck_assert(!ae_path_is_delimited("csv"));
}
END_TEST

START_TEST(row_errors_match_the_output)
{
    const size_t N = 300, D = 7; /* more rows than max_batch: chunked */
    nn_config cfg;
    nn_config_defaults(&cfg, D, 3);
    cfg.max_batch = 64;
    cfg.loss = NN_LOSS_BCE;
    sh_rng rng;
    rng_seed(&rng, 1);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
    float *x = malloc(N * D * sizeof(float)), *e = malloc(N * sizeof(float));
    float *r = malloc(N * D * sizeof(float));
    tu_fill_uniform(&rng, x, N * D, 0, 1);
    nn_data in = { N, D, x, NULL };
    ck_assert_int_eq(ae_row_errors(net, &in, e), 0);
    ck_assert_int_eq(ae_reconstruct(net, &in, r), 0);
    for (size_t i = 0; i < N; i += 37) {
        double s = 0;
        for (size_t j = 0; j < D; j++) {
            ck_assert(r[i * D + j] > 0 && r[i * D + j] < 1); /* sigmoid output */
            s += (r[i * D + j] - x[i * D + j]) * (double)(r[i * D + j] - x[i * D + j]);
        }
        ck_assert_double_eq_tol(e[i], s / D, 1e-6);
    }
    nn_data wrong = { N, D - 1, x, NULL };
    ck_assert_int_eq(ae_row_errors(net, &wrong, e), SH_EINVAL);
    free(x);
    free(e);
    free(r);
    nn_free(net);
}
END_TEST

START_TEST(corruption_statistics)
{
    const size_t n = 20000;
    float *x = malloc(n * sizeof(float));
    sh_rng rng;
    rng_seed(&rng, 5);
    ae_noise kinds[3] = { { AE_NOISE_MASK, 0.3f, 1 },
                          { AE_NOISE_SALT_PEPPER, 0.2f, 1 },
                          { AE_NOISE_GAUSSIAN, 0.5f, 0 } };
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++)
            x[i] = 0.5f;
        ae_corrupt(x, n, &kinds[k], &rng);
        size_t zeros = 0, ones = 0, changed = 0;
        double sum = 0, sum2 = 0;
        for (size_t i = 0; i < n; i++) {
            zeros += x[i] == 0.0f;
            ones += x[i] == 1.0f;
            changed += x[i] != 0.5f;
            sum += x[i] - 0.5;
            sum2 += (x[i] - 0.5) * (x[i] - 0.5);
        }
        double frac = (double)changed / n;
        if (k == 0) {
            ck_assert_msg(fabs(frac - 0.3) < 0.02, "mask share %.3f", frac);
            ck_assert_uint_eq(zeros, changed);
        } else if (k == 1) {
            ck_assert_msg(fabs(frac - 0.2) < 0.02, "salt-and-pepper share %.3f", frac);
            ck_assert_uint_eq(zeros + ones, changed);
            ck_assert(fabs((double)zeros / changed - 0.5) < 0.05);
        } else {
            double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
            ck_assert_msg(fabs(mean) < 0.02 && fabs(sd - 0.5) < 0.02, "mean %.3f sd %.3f", mean,
                          sd);
        }
    }
    /* clipping keeps grey levels in [0, 1] */
    ae_noise clip = { AE_NOISE_GAUSSIAN, 2.0f, 1 };
    ae_corrupt(x, n, &clip, &rng);
    for (size_t i = 0; i < n; i++)
        ck_assert(x[i] >= 0.0f && x[i] <= 1.0f);
    ae_noise_kind kind;
    ck_assert_int_eq(ae_noise_parse("saltpepper", &kind), 0);
    ck_assert_int_eq(kind, AE_NOISE_SALT_PEPPER);
    ck_assert_str_eq(ae_noise_name(kind), "saltpepper");
    ck_assert_int_eq(ae_noise_parse("blur", &kind), SH_EINVAL);
    free(x);
}
END_TEST

START_TEST(corruption_batch_dropout_on_csr)
{
    sh_rng rng;
    rng_seed(&rng, 9);
    sh_csr m;
    tu_random_csr(&rng, &m, 50, 40, 0.5, 1);
    size_t before = m.nnz;
    ae_noise drop = { AE_NOISE_MASK, 0.25f, 0 };
    ck_assert_int_eq(ae_corrupt_batch(NULL, &m, 50, 40, &rng, &drop), 0);
    ck_assert_uint_eq(m.rows, 50);
    double kept = (double)m.nnz / before;
    ck_assert_msg(fabs(kept - 0.75) < 0.06, "kept %.3f", kept);
    ae_noise gauss = { AE_NOISE_GAUSSIAN, 0.1f, 0 };
    ck_assert_int_eq(ae_corrupt_batch(NULL, &m, 50, 40, &rng, &gauss), SH_EINVAL);
    csr_free(&m);
}
END_TEST

START_TEST(model_framing)
{
    tf_dir_make("ae");
    char path[256], err[512];
    tf_path(path, sizeof(path), "a.model");
    nn_config cfg;
    nn_config_defaults(&cfg, 5, 2);
    sh_rng rng;
    rng_seed(&rng, 2);
    nn_net *net = NULL, *back = NULL;
    ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
    ae_threshold t = { AE_THRESH_FPR, 0.05, 0.125f }, t2;
    ae_meta meta = { AE_BLADE_ANOMALY, 28, 28 };
    ck_assert_msg(ae_anomaly_save(net, &t, &meta, path, err, sizeof(err)) == 0, "%s", err);
    ae_meta m2 = { AE_BLADE_ANOMALY, 0, 0 };
    ck_assert_msg(ae_anomaly_load(path, &m2, &back, &t2, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(m2.height, 28);
    ck_assert_float_eq(t2.threshold, 0.125f);
    ck_assert_int_eq(t2.rule, AE_THRESH_FPR);
    ck_assert_mem_eq(back->params, net->params, net->n_params * sizeof(float));
    nn_free(back);
    back = NULL;
    /* another blade's loader refuses it and names both */
    ae_meta r = { AE_BLADE_REDUCE, 0, 0 };
    ck_assert_int_eq(ae_load_net(path, &r, 0, &back, err, sizeof(err)), SH_EMODEL);
    ck_assert_msg(strstr(err, "anomaly") && strstr(err, "reduce"), "%s", err);
    ck_assert_ptr_null(back);
    /* a plain reduce model has no threshold section */
    ck_assert_int_eq(ae_save_net(net, &r, path, err, sizeof(err)), 0);
    ck_assert_int_eq(ae_load_net(path, &r, 0, &back, err, sizeof(err)), 0);
    nn_free(back);
    ck_assert_int_eq(ae_anomaly_load(path, &m2, &back, &t2, err, sizeof(err)), SH_EMODEL);
    nn_free(net);
    tf_dir_remove();
}
END_TEST

START_TEST(row_nll_matches_the_loss)
{
    const size_t N = 70, V = 30;
    sh_rng rng;
    rng_seed(&rng, 4);
    sh_csr x, c;
    tu_random_csr(&rng, &x, N, V, 0.2, 0);
    tu_random_csr(&rng, &c, N, V, 0.2, 1);
    nn_config cfg;
    nn_config_defaults(&cfg, V, 4);
    cfg.input_kind = NN_INPUT_CSR;
    cfg.loss = NN_LOSS_SOFTMAX;
    cfg.max_batch = 32; /* scored in three chunks */
    nn_net *net = NULL, *whole = NULL;
    ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
    cfg.max_batch = 128;
    ck_assert_int_eq(nn_new(&cfg, NULL, &whole, NULL, 0), 0);
    memcpy(whole->params, net->params, net->n_params * sizeof(float));
    float *scores = malloc(N * sizeof(float));
    nn_data in = { N, V, NULL, &x }, target = { N, V, NULL, &c };
    ck_assert_int_eq(ae_row_nll(net, &in, &c, scores), 0);
    nn_loss_parts parts;
    ck_assert_int_eq(nn_forward(whole, &in, NN_MODE_INFER, NULL), 0);
    ck_assert_int_eq(nn_loss(whole, &target, &parts), 0);
    double sum = 0;
    for (size_t r = 0; r < N; r++) {
        double tokens = 0;
        for (size_t e = c.row_ptr[r]; e < c.row_ptr[r + 1]; e++)
            tokens += c.values[e];
        ck_assert(tokens == 0 ? scores[r] == 0 : scores[r] > 0);
        sum += scores[r] * tokens;
    }
    ck_assert_double_eq_tol(sum / N, parts.recon, 1e-3 * parts.recon);
    ck_assert_int_eq(ae_row_nll(net, &in, &x, scores), 0); /* any count rows of the shape */
    nn_data dense = { N, V, scores, NULL };
    ck_assert_int_eq(ae_row_nll(net, &dense, &c, scores), SH_EINVAL);
    free(scores);
    csr_free(&x);
    csr_free(&c);
    nn_free(net);
    nn_free(whole);
}
END_TEST

/* ---- the program -------------------------------------------------------------------- */

static const char *semhash_bin(void)
{
    const char *b = getenv("SEMHASH_BIN");
    return b != NULL ? b : "build/semhash";
}

/* Runs the program with args; returns the exit status, stderr in errbuf
 * and stdout in outbuf (both may be NULL). */
static int run(const char *args, char *outbuf, size_t outlen, char *errbuf, size_t errlen)
{
    char cmd[2048], out[256], errp[256];
    tf_path(out, sizeof(out), "stdout");
    tf_path(errp, sizeof(errp), "stderr");
    snprintf(cmd, sizeof(cmd), "'%s' %s > '%s' 2> '%s'", semhash_bin(), args, out, errp);
    int status = system(cmd);
    ck_assert(status != -1 && WIFEXITED(status));
    const char *paths[2] = { out, errp };
    char *bufs[2] = { outbuf, errbuf };
    size_t lens[2] = { outlen, errlen };
    for (int i = 0; i < 2; i++) {
        if (bufs[i] == NULL)
            continue;
        FILE *f = fopen(paths[i], "r");
        ck_assert_ptr_nonnull(f);
        size_t n = fread(bufs[i], 1, lens[i] - 1, f);
        bufs[i][n] = '\0';
        fclose(f);
    }
    return WEXITSTATUS(status);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(cli_bad_input)
{
    tf_dir_make("ae");
    char idx[256], csv[256], args[1024], err[2048];
    tf_path(idx, sizeof(idx), "images-idx3-ubyte");
    unsigned char hdr[16] = { 0, 0, 8, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 };
    tf_write(idx, hdr, sizeof(hdr));
    snprintf(args, sizeof(args), "ae reduce --train '%s'", idx);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, idx) != NULL && count_lines(err) == 1, "%s", err);

    tf_path(csv, sizeof(csv), "ragged.csv");
    tf_write(csv, "1,2,3\n4,5,6\n7,8\n", 16);
    snprintf(args, sizeof(args), "ae denoise --train '%s'", csv);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, csv) != NULL && count_lines(err) == 1, "%s", err);

    write_csv(csv, 30, 6, 0);
    snprintf(args, sizeof(args), "ae classify --train '%s'", csv);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, csv) && strstr(err, "no labels") && count_lines(err) == 1, "%s",
                  err);
    snprintf(args, sizeof(args), "ae cluster --train '%s' --bogus 1", csv);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "--bogus") != NULL, "%s", err);
    ck_assert_int_eq(run("ae frobnicate", NULL, 0, err, sizeof(err)), 2);
    ck_assert_int_eq(run("ae reduce --help", NULL, 0, NULL, 0), 0);
    tf_dir_remove();
}
END_TEST

START_TEST(cli_runs_and_reuses_models)
{
    tf_dir_make("ae");
    char csv[256], model[256], scores[256], emb[256], args[2048], out[8192], err[2048];
    tf_path(csv, sizeof(csv), "data.csv");
    tf_path(model, sizeof(model), "anomaly.model");
    tf_path(scores, sizeof(scores), "scores.tsv");
    tf_path(emb, sizeof(emb), "emb.tsv");
    write_csv(csv, 90, 9, 1);
    const char *common = "--label-col 0 --hidden 8 --code 2 --epochs 3 --batch 16 "
                         "--threads 1 --no-progress";
    snprintf(args, sizeof(args), "ae reduce --train '%s' %s --out '%s' --json", csv, common, emb);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"ae_mse\":") && strstr(out, "\"pca_knn\":"), "%s", out);
    FILE *f = fopen(emb, "r");
    ck_assert_ptr_nonnull(f);
    size_t lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    ck_assert_uint_eq(lines, 1 + 18); /* header + 20% of 90 test rows */

    snprintf(args, sizeof(args), "ae anomaly --train '%s' %s --normal-class 1 -o '%s'", csv,
             common, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "AUROC") != NULL, "%s", out);
    snprintf(args, sizeof(args), "ae anomaly --score '%s' --label-col 0 -m '%s' --out '%s'", csv,
             model, scores);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "of 90 rows flagged") != NULL, "%s", out);
    /* the anomaly model is not a reduce model */
    snprintf(args, sizeof(args), "ae reduce --train '%s' --label-col 0 -m '%s'", csv, model);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, model) && strstr(err, "anomaly") && count_lines(err) == 1, "%s",
                  err);
    tf_dir_remove();
}
END_TEST

/* Plain (uncompressed) IDX files: N images of side x side grey bars and
 * their labels (bar orientation and position class: 0..3). */
static void write_idx(const char *images, const char *labels, size_t N, size_t side)
{
    unsigned char hdr[16] = { 0, 0, 8, 3 }, lhdr[8] = { 0, 0, 8, 1 };
    for (int k = 0; k < 4; k++) {
        hdr[4 + k] = lhdr[4 + k] = (unsigned char)(N >> (24 - 8 * k));
        hdr[8 + k] = hdr[12 + k] = (unsigned char)(side >> (24 - 8 * k));
    }
    unsigned char *px = malloc(N * side * side), *lab = malloc(N);
    ck_assert(px != NULL && lab != NULL);
    sh_rng rng;
    rng_seed(&rng, 3);
    for (size_t i = 0; i < N; i++) {
        int c = (int)(i % 4);
        lab[i] = (unsigned char)c;
        for (size_t p = 0; p < side * side; p++)
            px[i * side * side + p] = (unsigned char)rng_below(&rng, 40);
        size_t at = (size_t)(c % 2) * side / 2 + rng_below(&rng, side / 2);
        for (size_t t = 0; t < side; t++)
            px[i * side * side + (c < 2 ? t * side + at : at * side + t)] = 230;
    }
    FILE *f = fopen(images, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(hdr, 1, 16, f), 16);
    ck_assert_uint_eq(fwrite(px, 1, N * side * side, f), N * side * side);
    ck_assert_int_eq(fclose(f), 0);
    f = fopen(labels, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(lhdr, 1, 8, f), 8);
    ck_assert_uint_eq(fwrite(lab, 1, N, f), N);
    ck_assert_int_eq(fclose(f), 0);
    free(px);
    free(lab);
}

/* Width and height from a PNG's IHDR; 0 when the file is not a PNG. */
static int png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    if (n < 24 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 1;
}

START_TEST(cli_every_blade_on_tiny_images)
{
    tf_dir_make("ae");
    char img[256], lab[256], png[256], png2[256], model[256], args[2048], out[8192], err[2048];
    tf_path(img, sizeof(img), "img-idx3-ubyte");
    tf_path(lab, sizeof(lab), "lab-idx1-ubyte");
    tf_path(png, sizeof(png), "a.png");
    tf_path(png2, sizeof(png2), "b.png");
    tf_path(model, sizeof(model), "m.model");
    write_idx(img, lab, 120, 8);
    char data[700];
    snprintf(data, sizeof(data),
             "--train '%s' --train-labels '%s' --hidden 16 --code 4 --epochs 2 --batch 16 "
             "--threads 1 --no-progress",
             img, lab);
    unsigned w = 0, h = 0;

    snprintf(args, sizeof(args), "ae denoise %s --noise saltpepper --level 0.2 --grid '%s' --json",
             data, png);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"psnr_denoised\":") != NULL, "%s", out);
    ck_assert(png_size(png, &w, &h));
    ck_assert_uint_eq(w, 10 * 8 + 9); /* 10 test images a row, 1-pixel separators */
    ck_assert_uint_eq(h, 3 * 8 + 2);  /* noisy, denoised, clean */

    snprintf(args, sizeof(args), "ae generate %s --samples '%s' --interp '%s' -o '%s'", data, png,
             png2, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "ELBO") != NULL, "%s", out);
    ck_assert(png_size(png, &w, &h) && w == 8 * 8 + 7 && h == 8 * 8 + 7);
    ck_assert(png_size(png2, &w, &h) && w == 10 * 8 + 9);
    snprintf(args, sizeof(args), "ae generate %s -m '%s' --json", data, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"test_elbo_nats\":-") != NULL, "%s", out);

    snprintf(args, sizeof(args), "ae cluster %s --k 4 --dec-epochs 2 --json -o '%s'", data, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"dec_acc\":") && strstr(out, "\"kmeans_raw_nmi\":"), "%s", out);
    snprintf(args, sizeof(args), "ae cluster %s -m '%s'", data, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);

    snprintf(args, sizeof(args), "ae classify %s --json -o '%s'", data, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"stacked_accuracy\":") != NULL, "%s", out);
    snprintf(args, sizeof(args), "ae classify %s -m '%s' --json", data, model);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    snprintf(args, sizeof(args), "ae classify %s --overcomplete --code 80 --sparsity 0.1", data);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "overcomplete AE features (80)") != NULL, "%s", out);

    snprintf(args, sizeof(args), "ae reduce %s --code 2 --plot '%s'", data, png);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert(png_size(png, &w, &h) && w == 800 && h == 800);
    snprintf(args, sizeof(args), "ae anomaly %s --all-classes --json", data);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\"mean_auroc\":") != NULL, "%s", out);
    tf_dir_remove();
}
END_TEST

START_TEST(cli_text_variants)
{
    tf_dir_make("ae");
    char corpus[256], args[1024], out[8192], err[2048];
    tf_path(corpus, sizeof(corpus), "mail.jsonl");
    static const char *const ham[] = { "meeting", "project", "schedule", "report", "team",
                                       "review", "agenda", "budget" };
    static const char *const spam[] = { "free", "money", "offer", "click", "winner", "prize",
                                        "cheap", "credit" };
    FILE *f = fopen(corpus, "w");
    ck_assert_ptr_nonnull(f);
    sh_rng rng;
    rng_seed(&rng, 8);
    for (int i = 0; i < 140; i++) {
        /* train: 60 ham, 20 spam (in the vocabulary, not in training); test: 40 + 20 */
        int is_spam = (i >= 60 && i < 80) || i >= 120, test = i >= 80;
        const char *const *w = is_spam ? spam : ham;
        fprintf(f, "{\"id\":\"d%d\",\"text\":\"", i);
        for (int k = 0; k < 6; k++)
            fprintf(f, "%s ", rng_below(&rng, 5) == 0 ? (is_spam ? ham : spam)[rng_below(&rng, 8)]
                                                     : w[rng_below(&rng, 8)]);
        fprintf(f, "\",\"labels\":[\"%s\"],\"split\":\"%s\"}\n", is_spam ? "spam" : "ham",
                test ? "test" : "train");
    }
    ck_assert_int_eq(fclose(f), 0);
    snprintf(args, sizeof(args),
             "ae anomaly --text '%s' --normal-label ham --hidden 16 --code 4 --epochs 30 "
             "--batch 8 --threads 1 --no-progress --json",
             corpus);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    const char *at = strstr(out, "\"auroc\":");
    ck_assert_msg(at != NULL, "%s", out);
    double auroc = strtod(at + 8, NULL);
    ck_assert_msg(auroc > 0.8, "AUROC %.3f: %s", auroc, out);
    ck_assert_msg(strstr(out, "\"test_docs\":60") != NULL, "%s", out);
    snprintf(args, sizeof(args),
             "ae classify --text '%s' --classes ham,spam --hidden 16 --code 4 --epochs 30 "
             "--batch 8 --threads 1 --no-progress --json",
             corpus);
    ck_assert_msg(run(args, out, sizeof(out), err, sizeof(err)) == 0, "%s", err);
    at = strstr(out, "\"min_error_accuracy\":");
    ck_assert_msg(at != NULL, "%s", out);
    double acc = strtod(at + 21, NULL);
    ck_assert_msg(acc > 0.8, "accuracy %.3f: %s", acc, out);
    ck_assert_msg(strstr(out, "\"raw_softmax_accuracy\":") != NULL, "%s", out);
    snprintf(args, sizeof(args), "ae anomaly --text '%s' --normal-label nosuch", corpus);
    ck_assert_int_eq(run(args, NULL, 0, err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, corpus) && strstr(err, "nosuch") && count_lines(err) == 1, "%s",
                  err);
    tf_dir_remove();
}
END_TEST

Suite *ae_common_suite(void)
{
    Suite *s = suite_create("ae_common");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, path_kinds);
    tcase_add_test(core, row_errors_match_the_output);
    tcase_add_test(core, corruption_statistics);
    tcase_add_test(core, corruption_batch_dropout_on_csr);
    tcase_add_test(core, model_framing);
    tcase_add_test(core, row_nll_matches_the_loss);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, load_errors_name_the_file);
    suite_add_tcase(s, limits);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 60);
    tcase_add_test(cli, cli_bad_input);
    tcase_add_test(cli, cli_runs_and_reuses_models);
    tcase_add_test(cli, cli_every_blade_on_tiny_images);
    tcase_add_test(cli, cli_text_variants);
    suite_add_tcase(s, cli);
    return s;
}
