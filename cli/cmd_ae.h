/* cmd_ae.h — what the `semhash ae <task>` files share: the common
 * options (data, architecture, training, model file, output), loading the
 * train/test data, building or loading a network, training it with a
 * progress bar, and JSON output. The training recipes themselves are the
 * engine's (ae_train.h), shared with the library. Internal to cli/. */
#ifndef SH_CMD_AE_H
#define SH_CMD_AE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ae_common.h"
#include "ae_train.h"
#include "nn_train.h"
#include "progress.h"

#define AE_ERR_LEN 512

typedef struct {
    /* the training recipe: blade, architecture, epochs/batch/lr/seed, DEC and
     * softmax options, from the blade's defaults; its noise stays NONE, the
     * CLI's corruption is `noise` below, applied where a task passes it */
    ae_recipe recipe;
    /* data */
    const char *train, *train_labels, *test, *test_labels;
    const char *label_name;
    int label_col;
    double test_fraction;
    size_t limit, test_limit;
    /* training */
    int threads;
    int progress; /* -1 auto (terminal), 0 off, 1 forced */
    /* model and output */
    const char *model_in, *model_out, *out;
    int json;
    /* noise (denoise, overcomplete) */
    ae_noise noise;
    int noise_set;
    /* task-specific values, parsed by the generic loop */
    const char *text;              /* --text CORPUS (anomaly) */
    const char *normal_label;      /* --normal-label NAME (text anomaly) */
    const char *classes;           /* --classes A,B,... (text classify) */
    int vocab;                     /* --vocab N */
    const char *png1, *png2;       /* --grid / --plot / --samples, --interp */
    int normal_class;              /* --normal-class, -1 = none */
    int all_classes;               /* --all-classes */
    double fpr, percentile;        /* anomaly thresholds (NAN = unset) */
    const char *score;             /* anomaly --score FILE */
    size_t knn_k, knn_rows;
    int raw_knn;
    int elbo_samples;              /* VAE held-out ELBO samples */
    int overcomplete;              /* classify/reduce: features from an overcomplete AE */
} ae_args;

/* A loaded train/test pair. */
typedef struct {
    sh_dataset train, test;
    size_t height, width;      /* image shape, 0 when not images */
    const char *train_name, *test_name; /* for messages */
} ae_data;

/* Defaults for a task; then parses argv (after the task name). Prints the
 * error and returns CLI_EXIT_ERROR, returns -1 after printing help, or 0. */
int ae_parse(ae_args *a, int argc, char **argv, const char *task, const char *usage);

/* Loads --train (required) and --test, or splits --test-fraction off the
 * training rows (stratified, seeded). need_labels: the task needs labels.
 * Prints the error and returns CLI_EXIT_ERROR, or 0. */
int ae_load_data(const ae_args *a, ae_data *d, int need_labels, const char *blade);
void ae_data_free(ae_data *d);

/* 1 if every training and test value is in [0, 1] (grey levels): the
 * blades then default to a sigmoid output with binary cross-entropy. */
int ae_data_in_unit(const ae_data *d);

/* Fills cfg from the options for input width D (ae_blade_config of the
 * task's blade): hidden layers, code, activation, loss (default_loss
 * unless --loss), regularisers, max_batch. */
void ae_make_config(const ae_args *a, nn_config *cfg, uint32_t D, nn_loss_kind default_loss);

/* The training options (--epochs, --batch, --lr, --seed) with the
 * corruption noise (may be NULL: none). */
ae_fit_opts ae_fit_options(const ae_args *a, const ae_noise *noise);

/* Progress bars on stderr for the engine's training stages (one bar per
 * stage), drawn as --progress / --no-progress / the terminal say. */
typedef struct {
    cli_progress bar;
    int mode;  /* ae_args.progress */
} ae_bars;

/* Points hooks at bars (both caller-owned, living through the training). */
void ae_bars_init(ae_bars *bars, const ae_args *a, ae_progress *hooks);

/* Builds a network for cfg and trains it (ae_train_net) with the options,
 * a progress bar labelled label and an optional corruption; target NULL =
 * the input rows. Prints the error and returns CLI_EXIT_ERROR, or 0 with
 * *net and *s filled. */
int ae_train(const ae_args *a, const nn_config *cfg, const nn_data *train, const nn_data *target,
             const ae_noise *noise, const char *label, nn_net **net, nn_train_summary *s);

/* The network of a single-network blade: loaded from -m (checked to be
 * the blade's and as wide as the data), or built from the options with
 * default_loss, trained on d->train (with noise, may be NULL) and saved
 * with -o when save is set. Prints errors; returns 0 or CLI_EXIT_ERROR. */
int ae_get_net(const ae_args *a, const ae_data *d, ae_blade blade, nn_loss_kind default_loss,
               const ae_noise *noise, int save, json_t *obj, nn_net **net);

/* Sets obj[key] to v, or null when v is not finite. */
void ae_json_real(json_t *obj, const char *key, double v);

/* Adds the training summary fields to obj (JSON) and prints a line for
 * humans unless a->json. */
void ae_report_training(const ae_args *a, json_t *obj, const nn_net *net,
                        const nn_train_summary *s);

/* Prints obj as one JSON line on stdout and frees it. */
void ae_print_json(json_t *obj);

/* The task entry points (argc/argv start at the task name). */
int cmd_ae_reduce(int argc, char **argv);
int cmd_ae_denoise(int argc, char **argv);
int cmd_ae_anomaly(int argc, char **argv);
int cmd_ae_generate(int argc, char **argv);
int cmd_ae_cluster(int argc, char **argv);
int cmd_ae_classify(int argc, char **argv);

/* `ae anomaly --text CORPUS`: the text variant (cmd_ae_text.c). */
int ae_anomaly_text(const ae_args *a);

/* `ae classify --text CORPUS --classes A,B`: the text variant. */
int ae_classify_text(const ae_args *a);

#endif
