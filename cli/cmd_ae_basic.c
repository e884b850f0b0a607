/* cmd_ae_basic.c — `semhash ae reduce`, `ae denoise` and `ae anomaly`:
 * the blades that are a plain autoencoder plus an evaluation. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_anomaly.h"
#include "ae_denoise.h"
#include "ae_reduce.h"
#include "cli.h"
#include "cmd_ae.h"
#include "evalstats.h"
#include "png_write.h"
#include "sh_error.h"


/* ---- reduce ------------------------------------------------------------------ */

static const char reduce_usage[] =
    "An undercomplete autoencoder; held-out reconstruction error and k-NN label\n"
    "accuracy of its embedding beside PCA at the same dimension.\n"
    "  --code K              embedding dimension (32)\n"
    "  --out FILE.tsv        write the test embedding (id, then K values)\n"
    "  --plot FILE.png       test embedding coloured by label (its first two\n"
    "                        coordinates: use --code 2 for a true 2-D map)\n"
    "  --knn K  --knn-rows N neighbours (5), test rows scored (2000; 0 = all)\n"
    "  --raw-knn             also k-NN on the raw features\n";

int cmd_ae_reduce(int argc, char **argv)
{
    ae_args a;
    ae_data d;
    nn_net *net = NULL;
    float *codes = NULL;
    json_t *obj = NULL;
    char err[AE_ERR_LEN] = "";
    int rc = ae_parse(&a, argc, argv, "reduce", reduce_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = ae_load_data(&a, &d, 0, "ae reduce")) != 0)
        return rc;
    obj = json_object();
    json_object_set_new(obj, "task", json_string("reduce"));
    if ((rc = ae_get_net(&a, &d, AE_BLADE_REDUCE, NN_LOSS_MSE, NULL, 1, obj, &net)) != 0)
        goto done;
    ae_reduce_opts o;
    ae_reduce_defaults(&o);
    o.knn_k = a.knn_k ? a.knn_k : 1;
    o.knn_test_rows = a.knn_rows;
    o.raw_knn = a.raw_knn;
    ae_reduce_report r;
    size_t K = net->cfg.code_dim;
    codes = malloc(d.test.x.rows * K * sizeof(float));
    if (codes == NULL) {
        rc = cli_error("ae reduce: out of memory");
        goto done;
    }
    if ((rc = ae_reduce_compare(net, &d.train, &d.test, &o, codes, &r, err, sizeof(err))) != 0) {
        rc = cli_error("%s", err[0] ? err : sh_strerror(rc));
        goto done;
    }
    if (a.out != NULL) {
        sh_mat m = { d.test.x.rows, K, codes };
        if ((rc = data_tsv_write(a.out, &m, NULL, NULL, err, sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
    }
    if (a.png1 != NULL) {
        if (K < 2) {
            rc = cli_error("ae reduce: --plot needs --code 2 or more");
            goto done;
        }
        sh_mat m = { d.test.x.rows, K, codes };
        if ((rc = png_write_scatter(a.png1, &m, d.test.labels, 800, 800, err, sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
        json_object_set_new(obj, "plot", json_string(a.png1));
    }
    json_object_set_new(obj, "dim", json_integer((json_int_t)K));
    json_object_set_new(obj, "train_rows", json_integer((json_int_t)d.train.x.rows));
    json_object_set_new(obj, "test_rows", json_integer((json_int_t)d.test.x.rows));
    ae_json_real(obj, "ae_mse", r.ae_mse);
    ae_json_real(obj, "pca_mse", r.pca_mse);
    ae_json_real(obj, "ae_psnr", r.ae_psnr);
    ae_json_real(obj, "pca_psnr", r.pca_psnr);
    ae_json_real(obj, "ae_knn", r.ae_knn);
    ae_json_real(obj, "pca_knn", r.pca_knn);
    ae_json_real(obj, "raw_knn", r.raw_knn);
    json_object_set_new(obj, "knn_k", json_integer((json_int_t)r.knn_k));
    json_object_set_new(obj, "knn_rows", json_integer((json_int_t)r.knn_rows));
    if (a.json) {
        ae_print_json(obj);
        obj = NULL;
    } else {
        printf("held-out reconstruction, %zu dims (MSE per element, PSNR):\n", K);
        printf("  autoencoder  %.5f  %.2f dB\n  PCA          %.5f  %.2f dB\n", r.ae_mse,
               r.ae_psnr, r.pca_mse, r.pca_psnr);
        if (!isnan(r.ae_knn)) {
            printf("%zu-NN label accuracy on %zu test rows:\n", r.knn_k, r.knn_rows);
            printf("  autoencoder  %.4f\n  PCA          %.4f\n", r.ae_knn, r.pca_knn);
            if (!isnan(r.raw_knn))
                printf("  raw features %.4f\n", r.raw_knn);
        }
    }
    rc = 0;
done:
    json_decref(obj);
    free(codes);
    nn_free(net);
    ae_data_free(&d);
    return rc;
}

/* ---- denoise ----------------------------------------------------------------- */

static const char denoise_usage[] =
    "A denoising autoencoder: trained on corrupted rows against the clean ones;\n"
    "PSNR of noisy versus denoised held-out rows.\n"
    "  --noise gaussian|mask|saltpepper   corruption (gaussian)\n"
    "  --level F             sigma, or the corrupted share (0.5 gaussian, 0.3 otherwise)\n"
    "  --grid FILE.png       noisy / denoised / clean rows of test images\n";

/* --grid: noisy, denoised and clean rows of the first test images. */
static int denoise_grid(const ae_args *a, const ae_data *d, const float *noisy,
                        const float *denoised)
{
    char err[AE_ERR_LEN] = "";
    size_t D = d->test.x.cols, cols = d->test.x.rows < 10 ? d->test.x.rows : 10;
    if (d->height == 0)
        return cli_error("ae denoise: --grid needs image data (IDX)");
    float *tiles = malloc(3 * cols * D * sizeof(float));
    if (tiles == NULL)
        return cli_error("ae denoise: out of memory");
    memcpy(tiles, noisy, cols * D * sizeof(float));
    memcpy(tiles + cols * D, denoised, cols * D * sizeof(float));
    memcpy(tiles + 2 * cols * D, d->test.x.data, cols * D * sizeof(float));
    int rc = png_write_grid(a->png1, tiles, 3 * cols, d->height, d->width, 3, cols, err,
                            sizeof(err));
    free(tiles);
    return rc != 0 ? cli_error("%s", err) : 0;
}

int cmd_ae_denoise(int argc, char **argv)
{
    ae_args a;
    ae_data d;
    nn_net *net = NULL;
    float *noisy = NULL, *denoised = NULL;
    json_t *obj = NULL;
    int rc = ae_parse(&a, argc, argv, "denoise", denoise_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!a.noise_set)
        a.noise.kind = AE_NOISE_GAUSSIAN;
    if (a.noise.level == 0)
        a.noise.level = ae_noise_default_level(a.noise.kind);
    if (a.noise.kind == AE_NOISE_NONE || a.noise.level < 0 ||
        (a.noise.kind != AE_NOISE_GAUSSIAN && a.noise.level > 1))
        return cli_error("ae denoise: need a corruption and a level (a share in [0, 1] for "
                         "mask and saltpepper)");
    if ((rc = ae_load_data(&a, &d, 0, "ae denoise")) != 0)
        return rc;
    obj = json_object();
    json_object_set_new(obj, "task", json_string("denoise"));
    json_object_set_new(obj, "noise", json_string(ae_noise_name(a.noise.kind)));
    json_object_set_new(obj, "level", json_real(a.noise.level));
    if ((rc = ae_get_net(&a, &d, AE_BLADE_DENOISE,
                          ae_blade_default_loss(AE_BLADE_DENOISE, 1), &a.noise, 1, obj, &net)) != 0)
        goto done;
    ae_denoise_report r;
    nn_data te = ae_view(&d.test);
    size_t n = d.test.x.rows * d.test.x.cols;
    noisy = malloc(n * sizeof(float));
    denoised = malloc(n * sizeof(float));
    if (noisy == NULL || denoised == NULL) {
        rc = cli_error("ae denoise: out of memory");
        goto done;
    }
    rc = ae_denoise_eval(net, &te, &a.noise, a.recipe.fit.seed + 7, noisy, denoised, &r);
    if (rc != 0) {
        rc = cli_error("ae denoise: evaluation failed: %s", sh_strerror(rc));
        goto done;
    }
    if (a.png1 != NULL && (rc = denoise_grid(&a, &d, noisy, denoised)) != 0)
        goto done;
    json_object_set_new(obj, "test_rows", json_integer((json_int_t)r.rows));
    ae_json_real(obj, "mse_noisy", r.mse_noisy);
    ae_json_real(obj, "mse_denoised", r.mse_denoised);
    ae_json_real(obj, "psnr_noisy", r.psnr_noisy);
    ae_json_real(obj, "psnr_denoised", r.psnr_denoised);
    if (a.json) {
        ae_print_json(obj);
        obj = NULL;
    } else {
        printf("%s noise %.3g on %zu test rows:\n", ae_noise_name(a.noise.kind),
               a.noise.level, r.rows);
        printf("  noisy     PSNR %.2f dB  (MSE %.5f)\n", r.psnr_noisy, r.mse_noisy);
        printf("  denoised  PSNR %.2f dB  (MSE %.5f)\n", r.psnr_denoised, r.mse_denoised);
    }
    rc = 0;
done:
    json_decref(obj);
    free(noisy);
    free(denoised);
    nn_free(net);
    ae_data_free(&d);
    return rc;
}

/* ---- anomaly ----------------------------------------------------------------- */

static const char anomaly_usage[] =
    "An autoencoder trained on normal rows; a row is anomalous when its\n"
    "reconstruction error exceeds a threshold learned from the normal rows.\n"
    "  --normal-class C      labelled data: class C is normal, the others anomalous\n"
    "  --all-classes         each class in turn as normal; mean AUROC over them\n"
    "                        (without labels: every training row is normal)\n"
    "  --fpr F | --percentile Q   threshold rule (default --fpr 0.05)\n"
    "  (data in [0, 1] train with --loss bce by default; the score is the MSE)\n"
    "  --text CORPUS --normal-label NAME   text variant: tf-idf rows in, bag-of-words\n"
    "                        softmax out; score = NLL per token; train on the train\n"
    "                        split's NAME documents, test on the test split\n"
    "                        (--vocab N terms, 5000)\n"
    "  --score FILE -m MODEL score FILE's rows with a saved detector; writes TSV\n"
    "                        (id, score, flag) to --out or stdout\n";

/* Rows of d whose label is (want_normal ? c : not c); all rows when c < 0. */
static int take_class(const sh_dataset *d, int c, int want_normal, sh_dataset *out)
{
    size_t *rows = malloc((d->x.rows ? d->x.rows : 1) * sizeof(size_t)), n = 0;
    if (rows == NULL)
        return SH_ENOMEM;
    for (size_t i = 0; i < d->x.rows; i++)
        if (c < 0 || (d->labels[i] == c) == want_normal)
            rows[n++] = i;
    int rc = dataset_take_rows(d, rows, n, out);
    free(rows);
    return rc;
}

typedef struct {
    ae_anomaly_report ae, pca;
    float threshold;
} anomaly_run;

/* Trains on the normal training rows of class c (c < 0: all), scores the
 * test rows (anomalous = label != c), and does the same with PCA at the
 * code width. */
static int anomaly_one(const ae_args *a, const ae_data *d, int c, const ae_threshold *rule,
                       json_t *obj, anomaly_run *run)
{
    char err[AE_ERR_LEN] = "";
    sh_dataset normal = { 0 };
    nn_net *net = NULL;
    float *scores = NULL, *train_scores = NULL;
    int *truth = NULL;
    sh_pca pca = { 0 };
    ae_threshold t = *rule;
    int rc = take_class(&d->train, c, 1, &normal);
    size_t n_te = d->test.x.rows, n_tr;
    if (rc != 0)
        return cli_error("ae anomaly: %s", sh_strerror(rc));
    n_tr = normal.x.rows;
    if (n_tr < 2) {
        rc = cli_error("%s: class %d has %zu training rows; need at least 2", d->train_name, c,
                       n_tr);
        goto done;
    }
    ae_data nd = *d;
    nd.train = normal;
    if ((rc = ae_get_net(a, &nd, AE_BLADE_ANOMALY,
                         ae_blade_default_loss(AE_BLADE_ANOMALY, ae_data_in_unit(d)), NULL, 0,
                         obj, &net)) != 0)
        goto done;
    scores = malloc(n_te * sizeof(float));
    train_scores = malloc(n_tr * sizeof(float));
    truth = malloc(n_te * sizeof(int));
    if (!scores || !train_scores || !truth) {
        rc = cli_error("ae anomaly: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_te; i++)
        truth[i] = c < 0 ? 0 : d->test.labels[i] != c;
    nn_data tr = ae_view(&normal), te = ae_view(&d->test);
    if ((rc = ae_anomaly_learn(net, &tr, &t, err, sizeof(err))) != 0) {
        rc = cli_error("ae %s", err);
        goto done;
    }
    if ((rc = ae_row_errors(net, &te, scores)) != 0) {
        rc = cli_error("ae anomaly: scoring failed: %s", sh_strerror(rc));
        goto done;
    }
    run->threshold = t.threshold;
    if (c >= 0 && (rc = ae_anomaly_evaluate(scores, truth, n_te, t.threshold, &run->ae)) != 0) {
        rc = cli_error("%s: the test rows need both normal and anomalous rows",
                       d->test_name);
        goto done;
    }
    if (c >= 0) {
        size_t K = net->cfg.code_dim < normal.x.cols ? net->cfg.code_dim : normal.x.cols;
        ae_threshold tp = *rule;
        if ((rc = pca_fit(&pca, normal.x.data, n_tr, normal.x.cols, K)) != 0 ||
            (rc = ae_pca_row_errors(&pca, normal.x.data, n_tr, train_scores)) != 0 ||
            (rc = ae_pca_row_errors(&pca, d->test.x.data, n_te, scores)) != 0 ||
            (rc = ae_anomaly_fit_threshold(&tp, train_scores, n_tr)) != 0 ||
            (rc = ae_anomaly_evaluate(scores, truth, n_te, tp.threshold, &run->pca)) != 0) {
            rc = cli_error("ae anomaly: PCA baseline failed: %s", sh_strerror(rc));
            goto done;
        }
    }
    if (a->model_out != NULL && a->model_in == NULL) {
        ae_meta meta = { AE_BLADE_ANOMALY, (uint32_t)d->height, (uint32_t)d->width };
        if ((rc = ae_anomaly_save(net, &t, &meta, a->model_out, err, sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
        json_object_set_new(obj, "saved", json_string(a->model_out));
    }
    rc = 0;
done:
    dataset_free(&normal);
    nn_free(net);
    free(scores);
    free(train_scores);
    free(truth);
    pca_free(&pca);
    return rc;
}

/* --score: scores rows with a saved detector. */
static int anomaly_score(const ae_args *a)
{
    char err[AE_ERR_LEN] = "";
    ae_meta meta = { AE_BLADE_ANOMALY, 0, 0 };
    ae_threshold t;
    nn_net *net = NULL;
    sh_dataset d = { 0 };
    float *scores = NULL;
    FILE *out = stdout;
    int rc;
    if (a->model_in == NULL)
        return cli_error("ae anomaly: --score needs -m MODEL");
    if ((rc = ae_anomaly_load(a->model_in, &meta, &net, &t, err, sizeof(err))) != 0)
        return cli_error("%s", err);
    data_csv_opts csv = data_csv_default_opts();
    csv.label_name = a->label_name;
    csv.label_col = a->label_col;
    if ((rc = ae_load(a->score, NULL, &csv, &d, NULL, NULL, err, sizeof(err))) != 0 ||
        (rc = ae_require_width(&d, net->cfg.input_dim, a->score, err, sizeof(err))) != 0) {
        rc = cli_error("%s", err);
        goto done;
    }
    scores = malloc((d.x.rows ? d.x.rows : 1) * sizeof(float));
    nn_data v = ae_view(&d);
    if (scores == NULL || (rc = ae_row_errors(net, &v, scores)) != 0) {
        rc = cli_error("ae anomaly: scoring failed");
        goto done;
    }
    if (a->out != NULL && (out = fopen(a->out, "w")) == NULL) {
        rc = cli_error("%s: cannot write: %s", a->out, strerror(errno));
        goto done;
    }
    size_t flagged = 0;
    fprintf(out, "id\tscore\tanomaly\n");
    for (size_t i = 0; i < d.x.rows; i++) {
        flagged += scores[i] > t.threshold;
        fprintf(out, "%zu\t%.9g\t%d\n", i, scores[i], scores[i] > t.threshold);
    }
    if (out != stdout && fclose(out) != 0) {
        rc = cli_error("%s: write failed", a->out);
        goto done;
    }
    if (a->out != NULL && !a->json)
        printf("%zu of %zu rows flagged (threshold %.6g)\n", flagged, d.x.rows, t.threshold);
    rc = 0;
done:
    nn_free(net);
    dataset_free(&d);
    free(scores);
    return rc;
}

int cmd_ae_anomaly(int argc, char **argv)
{
    ae_args a;
    ae_data d;
    json_t *obj = NULL;
    int rc = ae_parse(&a, argc, argv, "anomaly", anomaly_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.score != NULL)
        return anomaly_score(&a);
    if (a.text != NULL)
        return ae_anomaly_text(&a);
    ae_threshold rule = a.recipe.threshold;
    if (!isnan(a.percentile)) {
        rule.rule = AE_THRESH_PERCENTILE;
        rule.value = a.percentile;
        if (a.percentile < 0 || a.percentile > 100)
            return cli_error("ae anomaly: --percentile must be in [0, 100]");
    } else if (!isnan(a.fpr)) {
        rule.value = a.fpr;
        if (a.fpr < 0 || a.fpr > 1)
            return cli_error("ae anomaly: --fpr must be in [0, 1]");
    }
    int labelled = a.all_classes || a.normal_class >= 0;
    if ((rc = ae_load_data(&a, &d, labelled, "ae anomaly --normal-class/--all-classes")) != 0)
        return rc;
    obj = json_object();
    json_object_set_new(obj, "task", json_string("anomaly"));
    json_object_set_new(obj, "rule", json_string(rule.rule == AE_THRESH_FPR ? "fpr" : "percentile"));
    json_object_set_new(obj, "rule_value", json_real(rule.value));
    if (a.all_classes && (a.model_in != NULL || a.model_out != NULL)) {
        rc = cli_error("ae anomaly: --all-classes trains one model per class; drop -m/-o");
        goto done;
    }
    if (a.normal_class >= 0 && (size_t)a.normal_class >= d.train.n_classes) {
        rc = cli_error("%s: no class %d (classes 0..%zu)", d.train_name, a.normal_class,
                       d.train.n_classes - 1);
        goto done;
    }
    /* the normal classes to run: all, one, or (unlabelled) every row normal */
    size_t first = a.all_classes ? 0 : (size_t)(a.normal_class >= 0 ? a.normal_class : 0);
    size_t last = a.all_classes ? d.train.n_classes : first + 1;
    json_t *per = json_array();
    json_object_set_new(obj, "classes", per);
    double sum_ae = 0, sum_pca = 0;
    size_t runs = 0;
    if (!a.json && labelled)
        printf("normal  AUROC  (PCA)   precision recall  FPR     threshold\n");
    for (size_t c = first; c < last; c++) {
        anomaly_run run;
        memset(&run, 0, sizeof(run));
        int cls = labelled ? (int)c : -1;
        json_t *o = json_object();
        json_array_append_new(per, o);
        if ((rc = anomaly_one(&a, &d, cls, &rule, o, &run)) != 0)
            goto done;
        json_object_set_new(o, "normal_class", cls >= 0 ? json_integer(cls) : json_null());
        json_object_set_new(o, "threshold", json_real(run.threshold));
        if (cls >= 0) {
            json_object_set_new(o, "auroc", json_real(run.ae.auroc));
            json_object_set_new(o, "pca_auroc", json_real(run.pca.auroc));
            json_object_set_new(o, "precision", json_real(run.ae.precision));
            json_object_set_new(o, "recall", json_real(run.ae.recall));
            json_object_set_new(o, "fpr", json_real(run.ae.fpr));
            sum_ae += run.ae.auroc;
            sum_pca += run.pca.auroc;
            runs++;
            if (!a.json) {
                printf("%-7d %.4f (%.4f) %.4f    %.4f  %.4f  %.6g\n", cls, run.ae.auroc,
                       run.pca.auroc, run.ae.precision, run.ae.recall, run.ae.fpr,
                       run.threshold);
                fflush(stdout);
            }
        } else if (!a.json) {
            printf("threshold %.6g learned from %zu normal rows\n", run.threshold,
                   d.train.x.rows);
        }
    }
    if (runs > 0) {
        json_object_set_new(obj, "mean_auroc", json_real(sum_ae / (double)runs));
        json_object_set_new(obj, "mean_pca_auroc", json_real(sum_pca / (double)runs));
        if (!a.json && runs > 1)
            printf("mean AUROC %.4f (PCA %.4f) over %zu classes\n", sum_ae / (double)runs,
                   sum_pca / (double)runs, runs);
    }
    if (a.json) {
        ae_print_json(obj);
        obj = NULL;
    }
    rc = 0;
done:
    json_decref(obj);
    ae_data_free(&d);
    return rc;
}
