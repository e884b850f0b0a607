/* cmd_ae.c — `semhash ae <task>`: the autoencoder toolkit. This file
 * dispatches to the tasks and holds what they share (options, data,
 * training with a progress bar, JSON); each task is in cmd_ae_*.c. */
#include "cmd_ae.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_reduce.h"
#include "cli.h"
#include "matrix.h"
#include "sh_error.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} ae_tasks[] = {
    { "reduce", cmd_ae_reduce, "undercomplete autoencoder embeddings beside PCA" },
    { "denoise", cmd_ae_denoise, "denoising autoencoder (gaussian, mask, salt-and-pepper)" },
    { "anomaly", cmd_ae_anomaly, "reconstruction-error anomaly detector" },
    { "generate", cmd_ae_generate, "variational autoencoder: ELBO, samples, interpolation" },
    { "cluster", cmd_ae_cluster, "deep embedded clustering (DEC) beside k-means" },
    { "classify", cmd_ae_classify, "one autoencoder per class + stacked softmax" },
};
#define N_TASKS (sizeof(ae_tasks) / sizeof(ae_tasks[0]))

static void ae_usage(FILE *out)
{
    fprintf(out, "usage: semhash ae <task> [options]   ('semhash ae <task> --help')\n\ntasks:\n");
    for (size_t i = 0; i < N_TASKS; i++)
        fprintf(out, "  %-9s %s\n", ae_tasks[i].name, ae_tasks[i].summary);
}

int cmd_ae(int argc, char **argv)
{
    if (argc < 2) {
        ae_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        ae_usage(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_TASKS; i++)
        if (strcmp(argv[1], ae_tasks[i].name) == 0)
            return ae_tasks[i].run(argc - 1, argv + 1);
    return cli_error("ae: unknown task '%s' (try 'semhash ae --help')", argv[1]);
}

/* ---- options ------------------------------------------------------------- */

static const char common_usage[] =
    "data:\n"
    "  --train PATH          training rows: IDX images (.gz ok) or CSV/TSV (required)\n"
    "  --train-labels PATH   IDX label file for --train\n"
    "  --test PATH           held-out rows (default: --test-fraction of --train)\n"
    "  --test-labels PATH    IDX label file for --test\n"
    "  --test-fraction F     stratified held-out share when no --test (0.2)\n"
    "  --label-col N         CSV/TSV: 0-based label column\n"
    "  --label NAME          CSV/TSV: label column by header name\n"
    "  --limit N             use the first N training rows only\n"
    "  --test-limit N        use the first N test rows only\n"
    "network and training:\n"
    "  --hidden W[,W...]     encoder hidden widths; the decoder mirrors them\n"
    "  --code K              code units\n"
    "  --act relu|tanh|sigmoid   hidden activation (relu)\n"
    "  --loss mse|bce        reconstruction loss\n"
    "  --weight-decay F  --sparsity BETA  --rho RHO (sigmoid code, KL sparsity)\n"
    "  --epochs N  --batch N  --lr F  --seed N  --threads N (0 = all cores)\n"
    "  --no-progress | --progress\n"
    "model and output:\n"
    "  -m MODEL              reuse a saved model (no training)\n"
    "  -o MODEL              save the trained model\n"
    "  --json                one JSON object on stdout instead of the report\n";

static int parse_size(const char *opt, const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return cli_error("ae: %s wants a non-negative integer, got '%s'", opt, s);
    *out = (size_t)v;
    return 0;
}

static int parse_int(const char *opt, const char *s, int *out)
{
    size_t v;
    if (parse_size(opt, s, &v) != 0)
        return CLI_EXIT_ERROR;
    if (v > 1000000000)
        return cli_error("ae: %s is too large", opt);
    *out = (int)v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return cli_error("ae: %s wants a number, got '%s'", opt, s);
    *out = v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out)
{
    double v;
    if (parse_double(opt, s, &v) != 0)
        return CLI_EXIT_ERROR;
    *out = (float)v;
    return 0;
}

static int parse_widths(const char *s, ae_arch *a)
{
    a->n_hidden = 0;
    if (strcmp(s, "none") == 0 || s[0] == '\0')
        return 0;
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 1000000 || (*end && *end != ','))
            return cli_error("ae: --hidden wants widths like 500,500,2000, got '%s'", s);
        if (a->n_hidden == NN_MAX_HIDDEN)
            return cli_error("ae: --hidden: at most %d layers", NN_MAX_HIDDEN);
        a->hidden[a->n_hidden++] = (uint32_t)v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* The engine's defaults of the task's blade (ae_recipe_defaults, which
 * the library uses too), then the program's own. */
static void args_defaults(ae_args *a, ae_blade blade)
{
    ae_reduce_opts reduce;
    ae_reduce_defaults(&reduce);
    memset(a, 0, sizeof(*a));
    ae_recipe_defaults(&a->recipe, blade);
    a->label_col = -1;
    a->test_fraction = 0.2;
    a->threads = 0;
    a->progress = -1;
    a->noise = a->recipe.fit.noise;
    a->normal_class = -1;
    a->fpr = NAN;
    a->percentile = NAN;
    a->knn_k = reduce.knn_k;
    a->knn_rows = reduce.knn_test_rows;
    a->elbo_samples = 1;
}

/* The blade a task's name names (AE_BLADE_REDUCE for none). */
static ae_blade blade_of(const char *task)
{
    for (int b = AE_BLADE_REDUCE; b <= AE_BLADE_CLASSIFY; b++)
        if (strcmp(task, ae_blade_name((ae_blade)b)) == 0)
            return (ae_blade)b;
    return AE_BLADE_REDUCE;
}

int ae_parse(ae_args *a, int argc, char **argv, const char *task, const char *usage)
{
    args_defaults(a, blade_of(task));
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0, used = 1;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            printf("usage: semhash ae %s [options]\n\n%s\n%s", task, usage, common_usage);
            return -1;
        }
        if (strcmp(o, "--json") == 0) { a->json = 1; continue; }
        if (strcmp(o, "--no-progress") == 0) { a->progress = 0; continue; }
        if (strcmp(o, "--progress") == 0) { a->progress = 1; continue; }
        if (strcmp(o, "--all-classes") == 0) { a->all_classes = 1; continue; }
        if (strcmp(o, "--raw-knn") == 0) { a->raw_knn = 1; continue; }
        if (strcmp(o, "--overcomplete") == 0) { a->overcomplete = 1; continue; }
        if (strcmp(o, "--raw-codes") == 0) { a->recipe.dec.unit_codes = 0; continue; }
        if (v == NULL)
            return o[0] == '-' ? cli_error("ae %s: %s needs a value (or is unknown; see --help)",
                                           task, o)
                               : cli_error("ae %s: unexpected argument '%s'", task, o);
        if (strcmp(o, "--train") == 0) a->train = v;
        else if (strcmp(o, "--train-labels") == 0) a->train_labels = v;
        else if (strcmp(o, "--text") == 0) a->text = v;
        else if (strcmp(o, "--normal-label") == 0) a->normal_label = v;
        else if (strcmp(o, "--classes") == 0) a->classes = v;
        else if (strcmp(o, "--vocab") == 0) rc = parse_int(o, v, &a->vocab);
        else if (strcmp(o, "--test") == 0) a->test = v;
        else if (strcmp(o, "--test-labels") == 0) a->test_labels = v;
        else if (strcmp(o, "--label") == 0) a->label_name = v;
        else if (strcmp(o, "--label-col") == 0) rc = parse_int(o, v, &a->label_col);
        else if (strcmp(o, "--test-fraction") == 0) rc = parse_double(o, v, &a->test_fraction);
        else if (strcmp(o, "--limit") == 0) rc = parse_size(o, v, &a->limit);
        else if (strcmp(o, "--test-limit") == 0) rc = parse_size(o, v, &a->test_limit);
        else if (strcmp(o, "--hidden") == 0) rc = parse_widths(v, &a->recipe.arch);
        else if (strcmp(o, "--code") == 0 || strcmp(o, "--dim") == 0 ||
                 strcmp(o, "--latent") == 0) {
            size_t k;
            rc = parse_size(o, v, &k);
            if (rc == 0 && (k == 0 || k > 1000000))
                rc = cli_error("ae %s: %s must be in 1..1000000", task, o);
            a->recipe.arch.code = (uint32_t)k;
        } else if (strcmp(o, "--act") == 0) {
            if (strcmp(v, "relu") == 0) a->recipe.arch.act = SH_ACT_RELU;
            else if (strcmp(v, "tanh") == 0) a->recipe.arch.act = SH_ACT_TANH;
            else if (strcmp(v, "sigmoid") == 0) a->recipe.arch.act = SH_ACT_SIGMOID;
            else rc = cli_error("ae %s: --act wants relu, tanh or sigmoid", task);
        } else if (strcmp(o, "--loss") == 0) {
            if (strcmp(v, "mse") == 0) a->recipe.arch.loss = NN_LOSS_MSE;
            else if (strcmp(v, "bce") == 0) a->recipe.arch.loss = NN_LOSS_BCE;
            else rc = cli_error("ae %s: --loss wants mse or bce", task);
        } else if (strcmp(o, "--weight-decay") == 0) {
            rc = parse_float(o, v, &a->recipe.arch.weight_decay);
        } else if (strcmp(o, "--sparsity") == 0) {
            rc = parse_float(o, v, &a->recipe.arch.sparsity_beta);
        } else if (strcmp(o, "--rho") == 0) {
            rc = parse_float(o, v, &a->recipe.arch.sparsity_rho);
        } else if (strcmp(o, "--epochs") == 0) rc = parse_int(o, v, &a->recipe.fit.epochs);
        else if (strcmp(o, "--batch") == 0) rc = parse_size(o, v, &a->recipe.fit.batch_size);
        else if (strcmp(o, "--lr") == 0) rc = parse_float(o, v, &a->recipe.fit.lr);
        else if (strcmp(o, "--seed") == 0) {
            size_t s;
            rc = parse_size(o, v, &s);
            a->recipe.fit.seed = s;
        } else if (strcmp(o, "--threads") == 0) rc = parse_int(o, v, &a->threads);
        else if (strcmp(o, "-m") == 0 || strcmp(o, "--model") == 0) a->model_in = v;
        else if (strcmp(o, "-o") == 0 || strcmp(o, "--save") == 0) a->model_out = v;
        else if (strcmp(o, "--out") == 0) a->out = v;
        else if (strcmp(o, "--noise") == 0) {
            a->noise_set = 1;
            if (ae_noise_parse(v, &a->noise.kind) != 0)
                rc = cli_error("ae %s: --noise wants gaussian, mask or saltpepper", task);
        } else if (strcmp(o, "--level") == 0) rc = parse_float(o, v, &a->noise.level);
        else if (strcmp(o, "--grid") == 0 || strcmp(o, "--plot") == 0 ||
                 strcmp(o, "--samples") == 0) a->png1 = v;
        else if (strcmp(o, "--interp") == 0) a->png2 = v;
        else if (strcmp(o, "--normal-class") == 0) rc = parse_int(o, v, &a->normal_class);
        else if (strcmp(o, "--fpr") == 0) rc = parse_double(o, v, &a->fpr);
        else if (strcmp(o, "--percentile") == 0) rc = parse_double(o, v, &a->percentile);
        else if (strcmp(o, "--score") == 0) a->score = v;
        else if (strcmp(o, "--k") == 0 || strcmp(o, "--clusters") == 0)
            rc = parse_size(o, v, &a->recipe.dec.clusters);
        else if (strcmp(o, "--knn") == 0) rc = parse_size(o, v, &a->knn_k);
        else if (strcmp(o, "--knn-rows") == 0) rc = parse_size(o, v, &a->knn_rows);
        else if (strcmp(o, "--tol") == 0) rc = parse_double(o, v, &a->recipe.dec.tol);
        else if (strcmp(o, "--dec-epochs") == 0) rc = parse_int(o, v, &a->recipe.dec.max_epochs);
        else if (strcmp(o, "--gamma") == 0) rc = parse_float(o, v, &a->recipe.dec.gamma);
        else if (strcmp(o, "--update-interval") == 0)
            rc = parse_int(o, v, &a->recipe.dec.update_interval);
        else if (strcmp(o, "--dec-lr") == 0) rc = parse_float(o, v, &a->recipe.dec.lr);
        else if (strcmp(o, "--elbo-samples") == 0) rc = parse_int(o, v, &a->elbo_samples);
        else if (strcmp(o, "--softmax-epochs") == 0)
            rc = parse_int(o, v, &a->recipe.softmax_epochs);
        else
            return cli_error("ae %s: unknown option '%s' (see --help)", task, o);
        if (rc != 0)
            return CLI_EXIT_ERROR;
        i += used;
    }
    if (a->train == NULL && a->score == NULL && a->text == NULL)
        return cli_error("ae %s: --train PATH is required (see --help)", task);
    const ae_fit_opts *fit = &a->recipe.fit;
    if (fit->epochs < 1 || fit->batch_size < 1 || fit->batch_size > NN_MAX_BATCH || !(fit->lr > 0))
        return cli_error("ae %s: need --epochs >= 1, --batch in 1..%d, --lr > 0", task,
                         NN_MAX_BATCH);
    if (!(a->test_fraction > 0 && a->test_fraction < 1))
        return cli_error("ae %s: --test-fraction must be in (0, 1)", task);
    if (a->threads < 0 || a->threads > 1024)
        return cli_error("ae %s: --threads must be in 0..1024", task);
    mat_set_threads(a->threads);
    return 0;
}

/* ---- data ------------------------------------------------------------------ */

static int load_one(const ae_args *a, const char *path, const char *labels, sh_dataset *out,
                    size_t *h, size_t *w)
{
    char err[AE_ERR_LEN] = "";
    data_csv_opts csv = data_csv_default_opts();
    csv.label_name = a->label_name;
    csv.label_col = a->label_col;
    int rc = ae_load(path, labels, &csv, out, h, w, err, sizeof(err));
    if (rc != 0)
        return cli_error("%s", err[0] ? err : sh_strerror(rc));
    return 0;
}

/* Keeps the first n rows of d (n < rows). */
static int truncate_rows(sh_dataset *d, size_t n)
{
    sh_dataset out;
    size_t *rows = malloc((n ? n : 1) * sizeof(size_t));
    if (rows == NULL)
        return cli_error("ae: out of memory");
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    int rc = dataset_take_rows(d, rows, n, &out);
    free(rows);
    if (rc != 0)
        return cli_error("ae: %s", sh_strerror(rc));
    dataset_free(d);
    *d = out;
    return 0;
}

int ae_load_data(const ae_args *a, ae_data *d, int need_labels, const char *blade)
{
    memset(d, 0, sizeof(*d));
    char err[AE_ERR_LEN] = "";
    d->train_name = a->train;
    d->test_name = a->test ? a->test : a->train;
    sh_dataset all = { 0 };
    int rc = load_one(a, a->train, a->train_labels, &all, &d->height, &d->width);
    if (rc != 0)
        return rc;
    if (a->limit > 0 && a->limit < all.x.rows && (rc = truncate_rows(&all, a->limit)) != 0)
        goto fail;
    if (need_labels && ae_require_labels(&all, a->train, blade, err, sizeof(err)) != 0) {
        rc = cli_error("%s", err);
        goto fail;
    }
    if (a->test != NULL) {
        size_t h = 0, w = 0;
        d->train = all;
        memset(&all, 0, sizeof(all));
        if ((rc = load_one(a, a->test, a->test_labels, &d->test, &h, &w)) != 0)
            goto fail;
        if (ae_require_width(&d->test, d->train.x.cols, a->test, err, sizeof(err)) != 0 ||
            (need_labels && ae_require_labels(&d->test, a->test, blade, err, sizeof(err)) != 0)) {
            rc = cli_error("%s", err);
            goto fail;
        }
    } else {
        sh_rng rng;
        rng_seed(&rng, a->recipe.fit.seed ^ 0x5eedu);
        if ((rc = data_split(&all, a->test_fraction, &rng, &d->train, &d->test, NULL, NULL)) != 0) {
            rc = cli_error("%s: cannot split off test rows: %s", a->train, sh_strerror(rc));
            goto fail;
        }
        dataset_free(&all);
    }
    if (a->test_limit > 0 && a->test_limit < d->test.x.rows &&
        (rc = truncate_rows(&d->test, a->test_limit)) != 0)
        goto fail;
    if (d->train.x.rows < 2 || d->test.x.rows < 1) {
        rc = cli_error("%s: too few rows (%zu train, %zu test)", a->train, d->train.x.rows,
                       d->test.x.rows);
        goto fail;
    }
    return 0;
fail:
    dataset_free(&all);
    ae_data_free(d);
    return rc;
}

int ae_data_in_unit(const ae_data *d)
{
    const sh_mat *m[2] = { &d->train.x, &d->test.x };
    for (int k = 0; k < 2; k++)
        if (ae_first_row_outside_unit(m[k]->data, m[k]->rows, m[k]->cols) < m[k]->rows)
            return 0;
    return 1;
}

void ae_data_free(ae_data *d)
{
    if (d == NULL)
        return;
    dataset_free(&d->train);
    dataset_free(&d->test);
}

/* ---- networks and training ------------------------------------------------ */

void ae_make_config(const ae_args *a, nn_config *cfg, uint32_t D, nn_loss_kind default_loss)
{
    ae_blade_config(cfg, a->recipe.blade, &a->recipe.arch, D, default_loss,
                    a->recipe.fit.batch_size);
}

ae_fit_opts ae_fit_options(const ae_args *a, const ae_noise *noise)
{
    ae_fit_opts o = a->recipe.fit;
    if (noise != NULL)
        o.noise = *noise;
    return o;
}

static void bar_begin(const char *stage, uint64_t total, void *user)
{
    ae_bars *b = user;
    progress_start(&b->bar, stage, total, b->mode == 1);
    if (b->mode == 0)
        b->bar.enabled = 0;
}

static int bar_step(uint64_t done, const char *status, void *user)
{
    ae_bars *b = user;
    progress_update(&b->bar, done, status);
    return 0;
}

static void bar_end(uint64_t done, const char *status, void *user)
{
    ae_bars *b = user;
    progress_finish(&b->bar, done, status);
}

void ae_bars_init(ae_bars *bars, const ae_args *a, ae_progress *hooks)
{
    memset(bars, 0, sizeof(*bars));
    bars->mode = a->progress;
    hooks->begin = bar_begin;
    hooks->step = bar_step;
    hooks->end = bar_end;
    hooks->user = bars;
}

int ae_train(const ae_args *a, const nn_config *cfg, const nn_data *train, const nn_data *target,
             const ae_noise *noise, const char *label, nn_net **net, nn_train_summary *s)
{
    char err[AE_ERR_LEN] = "";
    ae_bars bars;
    ae_progress hooks;
    ae_bars_init(&bars, a, &hooks);
    ae_fit_opts o = ae_fit_options(a, noise);
    int rc = ae_train_net(cfg, train, target, &o, &hooks, label, net, s, err, sizeof(err));
    if (rc != 0)
        return cli_error("ae: training failed: %s", err[0] ? err : sh_strerror(rc));
    return 0;
}

/* Trains a fresh network (or loads -m) for the blade and saves it with -o.
 * The network is returned in *net. */
int ae_get_net(const ae_args *a, const ae_data *d, ae_blade blade, nn_loss_kind loss,
               const ae_noise *noise, int save, json_t *obj, nn_net **net)
{
    char err[AE_ERR_LEN] = "";
    ae_meta meta = { blade, (uint32_t)d->height, (uint32_t)d->width };
    int rc;
    if (a->model_in != NULL) {
        if ((rc = ae_load_net(a->model_in, &meta, 0, net, err, sizeof(err))) != 0)
            return cli_error("%s", err);
        if (ae_require_width(&d->train, (*net)->cfg.input_dim, d->train_name, err,
                             sizeof(err)) != 0) {
            nn_free(*net);
            *net = NULL;
            return cli_error("%s", err);
        }
        json_object_set_new(obj, "model", json_string(a->model_in));
        return 0;
    }
    nn_config cfg;
    ae_make_config(a, &cfg, (uint32_t)d->train.x.cols, loss);
    nn_data tr = ae_view(&d->train);
    nn_train_summary s;
    if ((rc = ae_train(a, &cfg, &tr, NULL, noise, ae_blade_name(blade), net, &s)) != 0)
        return rc;
    ae_report_training(a, obj, *net, &s);
    if (save && a->model_out != NULL) {
        if ((rc = ae_save_net(*net, &meta, a->model_out, err, sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto fail;
        }
        json_object_set_new(obj, "saved", json_string(a->model_out));
    }
    return 0;
fail:
    nn_free(*net);
    *net = NULL;
    return rc;
}

void ae_json_real(json_t *obj, const char *key, double v)
{
    json_object_set_new(obj, key, isfinite(v) ? json_real(v) : json_null());
}

void ae_report_training(const ae_args *a, json_t *obj, const nn_net *net,
                        const nn_train_summary *s)
{
    json_object_set_new(obj, "epochs", json_integer(s->epochs_run));
    json_object_set_new(obj, "seconds", json_real(s->seconds));
    json_object_set_new(obj, "seconds_per_epoch", json_real(s->seconds_per_epoch));
    json_object_set_new(obj, "gflops", json_real(s->gflops));
    json_object_set_new(obj, "threads", json_integer(mat_get_threads()));
    json_object_set_new(obj, "params", json_integer((json_int_t)net->n_params));
    if (!a->json)
        printf("trained %d epochs in %.1f s (%.2f s/epoch, %.1f GFLOP/s, %d threads, %zu "
               "parameters), final loss %.5g\n",
               s->epochs_run, s->seconds, s->seconds_per_epoch, s->gflops, mat_get_threads(),
               net->n_params, s->train_loss);
}

void ae_print_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (text != NULL) {
        puts(text);
        free(text);
    }
    json_decref(obj);
}
