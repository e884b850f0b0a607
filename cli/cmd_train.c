/* cmd_train.c — `semhash train`: fit a vocabulary and a hashing model
 * (model.encoder: ae, simhash, lsh or itq) on document collections and save
 * it as one model file. Also the training progress view shared with
 * `semhash eval`. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_config.h"
#include "hash_eval.h"
#include "hasher.h"
#include "matrix.h"
#include "progress.h"
#include "sh_error.h"

#define MAX_SETS 64

/* ---- the shared progress view -------------------------------------------- */

static int view_batch(int epoch, size_t batch, size_t batches, double loss, void *user)
{
    cli_train_view *v = user;
    cli_progress *bar = v->bar;
    char extra[PROGRESS_EXTRA_MAX];
    if (batch == 0) {
        char label[32];
        snprintf(label, sizeof label, "%s epoch %d", v->label, epoch + 1);
        progress_start(bar, label, batches, 0);
    }
    snprintf(extra, sizeof extra, "loss %.1f", loss);
    progress_update(bar, batch + 1, extra);
    return 0;
}

static int view_epoch(const hash_epoch_info *info, void *user)
{
    cli_train_view *v = user;
    char extra[PROGRESS_EXTRA_MAX];
    if (isnan(info->valid_precision))
        snprintf(extra, sizeof extra, "loss %.1f", info->train_loss);
    else
        snprintf(extra, sizeof extra, "loss %.1f  valid P@10 %.3f%s", info->train_loss,
                 info->valid_precision, info->best ? " *" : "");
    cli_progress *bar = v->bar;
    progress_finish(bar, bar->total, extra);
    return 0;
}

int cli_train_view_attach(cli_train_view *view, void *recipe, const char *label, int enabled)
{
    hash_train_opts *o = recipe;
    view->enabled = enabled;
    view->label = label;
    view->bar = NULL;
    if (!enabled)
        return 0;
    view->bar = calloc(1, sizeof(cli_progress));
    if (view->bar == NULL)
        return cli_error("out of memory");
    o->on_batch = view_batch;
    o->on_epoch = view_epoch;
    o->user = view;
    return 0;
}

void cli_train_view_done(cli_train_view *view)
{
    free(view->bar);
    view->bar = NULL;
}

int cli_parse_int_list(const char *s, int *out, int cap)
{
    int n = 0;
    while (*s != '\0') {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 1000000 || n == cap || (*end != ',' && *end != '\0'))
            return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* ---- sgemm peak, for the GFLOP/s report ------------------------------------ */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* GFLOP/s of a 512 x 512 x 512 sgemm repeated for about 0.2 s. */
static double sgemm_peak(void)
{
    size_t n = 512;
    float *a = calloc(n * n, sizeof(float)), *b = calloc(n * n, sizeof(float));
    float *c = calloc(n * n, sizeof(float));
    double best = 0.0;
    if (a != NULL && b != NULL && c != NULL) {
        for (size_t i = 0; i < n * n; i++) {
            a[i] = (float)(i % 7) * 0.1f;
            b[i] = (float)(i % 5) * 0.1f;
        }
        double start = seconds_now();
        for (int rep = 0; rep < 50 && seconds_now() - start < 0.2; rep++) {
            double t0 = seconds_now();
            mat_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            double dt = seconds_now() - t0;
            if (dt > 0 && 2.0 * n * n * n / dt * 1e-9 > best)
                best = 2.0 * n * n * n / dt * 1e-9;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}

/* ---- semhash train ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash train [-c CONFIG] [--set SECTION.KEY=VALUE]... [-o MODEL]\n"
            "                     [--ae NAME=VALUE]... [--quiet] CORPUS...\n"
            "\n"
            "Fits the vocabulary and the encoder of model.encoder (ae, simhash, lsh, itq)\n"
            "on every document of the corpora (JSON lines, .txt lines, directories, .gz)\n"
            "and writes one model file holding all that encoding needs.\n"
            "\n"
            "  -c, --config FILE   configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE     override one configuration key (repeatable)\n"
            "  -o, --output MODEL  model file to write (default semhash.model)\n"
            "  --ae NAME=VALUE     autoencoder recipe option (repeatable): kl_weight,\n"
            "                      kl_anneal_epochs, neighbours, neighbour_weight,\n"
            "                      drop_rate, sub_rate, median_threshold,\n"
            "                      threshold_window, adapt_sizes, deterministic_epochs,\n"
            "                      start (random, itq, auto; default train.start),\n"
            "                      itq_init, itq_warmup, itq_candidate, itq_lr_scale,\n"
            "                      unigram_bias, tfidf_target, decorrelation,\n"
            "                      decoder_warmup, neighbour_pull, consistency,\n"
            "                      consistency_min_docs, consistency_min_bits, margin\n"
            "  -q, --quiet         no progress bar, no summary\n"
            "  -h, --help          this text\n");
}

static void warn_skipped(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "semhash: warning: %s\n", message);
}

int cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' }, { "ae", required_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL, *output = "semhash.model", *sets[MAX_SETS];
    const char *recipe_sets[MAX_SETS];
    size_t n_sets = 0, n_recipe = 0;
    int quiet = 0, opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "c:o:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
            if (n_sets == MAX_SETS)
                return cli_error("train: too many --set options");
            sets[n_sets++] = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'a':
            if (n_recipe == MAX_SETS)
                return cli_error("train: too many --ae options");
            recipe_sets[n_recipe++] = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return cli_error("train: no corpus given");
    }

    char err[1024];
    sh_config cfg;
    int rc = cli_config_resolve(config_path, sets, n_sets, &cfg, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    hash_train_opts recipe;
    hash_train_opts_from_config(&recipe, &cfg);
    for (size_t i = 0; i < n_recipe; i++)
        if (hash_train_opts_set(&recipe, recipe_sets[i], err, sizeof err) != 0)
            return cli_error("--ae: %s", err);

    corpus_options copts = corpus_default_options();
    copts.on_binary = cfg.text.on_binary;
    copts.warn = warn_skipped;
    hash_collection coll;
    double t0 = seconds_now();
    rc = hash_collection_load(&coll, (const char *const *)argv + optind, (size_t)(argc - optind),
                              &copts, -1, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    if (coll.n == 0) {
        hash_collection_free(&coll);
        return cli_error("the corpus is empty: no document to train on");
    }

    cli_train_view view = { 0, NULL, NULL };
    int status = CLI_EXIT_ERROR;
    sh_hasher *h = NULL;
    hash_train_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.valid_precision = NAN;
    if (cli_train_view_attach(&view, &recipe, "train", !quiet && isatty(2)) != 0)
        goto done;
    rc = hasher_train_docs(&cfg, coll.docs, coll.n, &recipe, &h, &summary, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        goto done;
    }
    if ((rc = hasher_save(h, output, err, sizeof err)) != 0) {
        cli_error("%s", err);
        goto done;
    }
    if (!quiet) {
        printf("model      %s (%s, %d bits, %zu terms)\n", output,
               hasher_encoder_name(hasher_encoder(h)), hasher_bits(h),
               text_vocab_size(hasher_vocab(h)));
        printf("documents  %zu (%llu binary skipped)\n", coll.n,
               (unsigned long long)coll.stats.skipped_binary);
        if (hasher_encoder(h) == SH_ENCODER_AE) {
            printf("network    hidden");
            for (int i = 0; i < summary.n_hidden; i++)
                printf("%s%d", i ? "x" : " ", summary.hidden_used[i]);
            printf(", batch %d, %d threads\n", summary.batch_used, mat_get_threads());
            printf("epochs     %d (best %d%s), %.2f s per epoch\n", summary.epochs_run,
                   summary.best_epoch + 1, summary.stopped_early ? ", stopped early" : "",
                   summary.seconds_per_epoch);
            printf("speed      %.1f GFLOP/s achieved, sgemm peak %.1f GFLOP/s\n", summary.gflops,
                   sgemm_peak());
            if (!isnan(summary.valid_precision))
                printf("validation neighbour P@10 %.3f\n", summary.valid_precision);
            printf("start      %s", summary.itq_initialised ? "itq" : "random");
            if (summary.starts_tried == 2)
                printf(" (validation P@10: random %.3f, itq %.3f, ITQ's own codes %.3f)",
                       summary.valid_random, summary.valid_itq, summary.valid_itq_codes);
            else if (!isnan(summary.valid_itq_codes))
                printf(" (validation P@10 %.3f above ITQ's own codes' %.3f: no ITQ run)",
                       summary.valid_random, summary.valid_itq_codes);
            printf("\n");
        }
        printf("seconds    %.1f\n", seconds_now() - t0);
    }
    status = CLI_EXIT_OK;
done:
    cli_train_view_done(&view);
    hasher_free(h);
    hash_collection_free(&coll);
    return status;
}
