/* cmd_ae_classify.c — `semhash ae classify`: one autoencoder per class and
 * a stacked softmax on the per-class reconstruction errors, beside softmax
 * regression on the raw features; with --overcomplete, softmax regression
 * on the features of one overcomplete sparse or denoising autoencoder
 * instead, beside the raw features. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_classify.h"
#include "cli.h"
#include "cmd_ae.h"
#include "evalstats.h"
#include "sh_error.h"

static const char classify_usage[] =
    "One autoencoder per class, each trained on its class only (four fifths of its\n"
    "rows); a stacked softmax, fitted on the held-out fifth, maps the vector of log\n"
    "reconstruction errors to the class. Printed beside\n"
    "softmax regression on the raw features. Needs labels.\n"
    "  --softmax-epochs N    epochs of both softmax regressions (20)\n"
    "  --overcomplete        instead: one overcomplete autoencoder (--code > input\n"
    "                        width, e.g. --code 1024 --hidden none) with --sparsity B\n"
    "                        and/or --noise; softmax on its codes vs raw features\n";

typedef struct {
    double acc, f1;
} cls_score;

static int fit_eval(const ae_args *a, const float *Xtr, const int *ytr, size_t ntr,
                    const float *Xte, const int *yte, size_t nte, size_t D, size_t C,
                    ae_softmax *keep, cls_score *sc)
{
    ae_softmax m = { 0 };
    ae_softmax_opts o;
    ae_softmax_defaults(&o);
    o.epochs = a->softmax_epochs;
    o.seed = a->seed;
    /* at least about 20 steps per epoch on small sets */
    if (ntr / 20 < o.batch_size)
        o.batch_size = ntr / 20 > 16 ? ntr / 20 : 16;
    int *pred = malloc((nte ? nte : 1) * sizeof(int));
    int rc = pred == NULL ? SH_ENOMEM : ae_softmax_fit(&m, Xtr, ytr, ntr, D, C, &o);
    if (rc == 0)
        rc = ae_softmax_predict(&m, Xte, nte, pred, NULL);
    if (rc == 0)
        rc = eval_accuracy(yte, pred, nte, &sc->acc);
    if (rc == 0)
        rc = eval_macro_f1(yte, pred, nte, C, &sc->f1);
    free(pred);
    if (rc == 0 && keep != NULL)
        *keep = m;
    else
        ae_softmax_free(&m);
    return rc != 0 ? cli_error("ae classify: softmax regression failed: %s", sh_strerror(rc)) : 0;
}

static void print_score(const ae_args *a, json_t *obj, const char *key, const char *what,
                        const cls_score *s)
{
    char k[64];
    snprintf(k, sizeof(k), "%s_accuracy", key);
    ae_json_real(obj, k, s->acc);
    snprintf(k, sizeof(k), "%s_macro_f1", key);
    ae_json_real(obj, k, s->f1);
    if (!a->json)
        printf("  %-36s accuracy %.4f  macro-F1 %.4f\n", what, s->acc, s->f1);
}

/* --overcomplete: softmax on the codes of one overcomplete AE. */
static int overcomplete(const ae_args *a, const ae_data *d, json_t *obj)
{
    nn_net *net = NULL;
    float *ztr = NULL, *zte = NULL;
    size_t ntr = d->train.x.rows, nte = d->test.x.rows, D = d->train.x.cols;
    size_t C = d->train.n_classes > d->test.n_classes ? d->train.n_classes : d->test.n_classes;
    int rc = ae_get_net(a, d, AE_BLADE_CLASSIFY, NN_LOSS_BCE, a->noise_set ? &a->noise : NULL, 0,
                        NULL, obj, &net);
    if (rc != 0)
        return rc;
    size_t K = net->cfg.code_dim;
    json_object_set_new(obj, "code", json_integer((json_int_t)K));
    json_object_set_new(obj, "input_width", json_integer((json_int_t)D));
    ztr = malloc(ntr * K * sizeof(float));
    zte = malloc(nte * K * sizeof(float));
    nn_data tr = ae_view(&d->train), te = ae_view(&d->test);
    if (!ztr || !zte || nn_encode_all(net, &tr, ztr) != 0 || nn_encode_all(net, &te, zte) != 0) {
        rc = cli_error("ae classify: encoding failed");
        goto done;
    }
    cls_score raw, feat;
    if ((rc = fit_eval(a, d->train.x.data, d->train.labels, ntr, d->test.x.data, d->test.labels,
                       nte, D, C, NULL, &raw)) != 0 ||
        (rc = fit_eval(a, ztr, d->train.labels, ntr, zte, d->test.labels, nte, K, C, NULL,
                       &feat)) != 0)
        goto done;
    double mean_act = 0;
    for (size_t i = 0; i < nte * K; i++)
        mean_act += zte[i];
    mean_act /= (double)(nte * K);
    ae_json_real(obj, "mean_code_activation", mean_act);
    if (!a->json)
        printf("linear classifier (softmax regression), %zu test rows:\n", nte);
    print_score(a, obj, "raw", "raw features", &raw);
    char what[64];
    snprintf(what, sizeof(what), "overcomplete AE features (%zu)", K);
    print_score(a, obj, "overcomplete", what, &feat);
    rc = 0;
done:
    nn_free(net);
    free(ztr);
    free(zte);
    return rc;
}

int cmd_ae_classify(int argc, char **argv)
{
    ae_args a;
    ae_data d;
    nn_net **nets = NULL;
    size_t C = 0;
    float *ftr = NULL, *fte = NULL;
    ae_softmax head = { 0 };
    int have_head = 0;
    json_t *obj = NULL;
    char err[AE_ERR_LEN] = "";
    int rc = ae_parse(&a, argc, argv, "classify", classify_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.softmax_epochs < 1)
        return cli_error("ae classify: --softmax-epochs must be >= 1");
    if ((rc = ae_load_data(&a, &d, 1, "ae classify")) != 0)
        return rc;
    obj = json_object();
    json_object_set_new(obj, "task", json_string("classify"));
    size_t ntr = d.train.x.rows, nte = d.test.x.rows, D = d.train.x.cols;
    size_t classes = d.train.n_classes > d.test.n_classes ? d.train.n_classes : d.test.n_classes;
    if (classes < 2) {
        rc = cli_error("%s: classification needs at least two classes", d.train_name);
        goto done;
    }
    if (a.overcomplete) {
        rc = overcomplete(&a, &d, obj);
        goto out;
    }
    if (a.model_in != NULL) {
        ae_meta meta = { AE_BLADE_CLASSIFY, 0, 0 };
        if ((rc = ae_classify_load(a.model_in, &meta, &nets, &C, &head, err, sizeof(err))) != 0 ||
            (rc = ae_require_width(&d.train, nets[0]->cfg.input_dim, d.train_name, err,
                                   sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
        have_head = 1;
        if (C < classes) {
            rc = cli_error("%s: the model knows %zu classes, the data have %zu", a.model_in, C,
                           classes);
            goto done;
        }
    } else {
        C = classes;
        if (C > 255) {
            rc = cli_error("%s: at most 255 classes", d.train_name);
            goto done;
        }
        if ((nets = calloc(C, sizeof(*nets))) == NULL) {
            rc = cli_error("ae classify: out of memory");
            goto done;
        }
        double seconds = 0;
        for (size_t c = 0; c < C; c++) {
            size_t *rows = malloc(ntr * sizeof(size_t)), n = 0;
            if (rows == NULL) {
                rc = cli_error("ae classify: out of memory");
                goto done;
            }
            /* every fifth row of the class is held out for the stacked head */
            size_t seen = 0;
            for (size_t i = 0; i < ntr; i++)
                if (d.train.labels[i] == (int)c && seen++ % 5 != 4)
                    rows[n++] = i;
            ae_data cd = d;
            memset(&cd.train, 0, sizeof(cd.train));
            rc = n < 2 ? SH_EEMPTY : dataset_take_rows(&d.train, rows, n, &cd.train);
            free(rows);
            if (rc != 0) {
                rc = cli_error("%s: class %zu has %zu training rows; need at least 2",
                               d.train_name, c, n);
                goto done;
            }
            char label[32];
            snprintf(label, sizeof(label), "class %zu", c);
            nn_config cfg;
            ae_make_config(&a, &cfg, (uint32_t)D, NN_LOSS_MSE);
            nn_train_summary s;
            nn_data tr = ae_view(&cd.train);
            rc = ae_new_net(&a, &cfg, &nets[c]);
            if (rc == 0)
                rc = ae_fit(&a, nets[c], &tr, NULL, NULL, NULL, label, a.epochs, &s);
            dataset_free(&cd.train);
            if (rc != 0)
                goto done;
            seconds += s.seconds;
        }
        ae_json_real(obj, "train_seconds", seconds);
        if (!a.json)
            printf("trained %zu class autoencoders in %.1f s\n", C, seconds);
    }
    ftr = malloc(ntr * C * sizeof(float));
    fte = malloc(nte * C * sizeof(float));
    nn_data tr = ae_view(&d.train), te = ae_view(&d.test);
    if (!ftr || !fte || (rc = ae_classify_features(nets, C, &tr, ftr)) != 0 ||
        (rc = ae_classify_features(nets, C, &te, fte)) != 0) {
        rc = cli_error("ae classify: reconstruction features failed");
        goto done;
    }
    cls_score stacked, raw, argmin;
    if (!have_head) {
        /* the head learns from the held-out fifth: errors of rows an
         * autoencoder was trained on are optimistic */
        size_t nh = 0;
        int *yh = malloc(ntr * sizeof(int));
        if (yh == NULL) {
            rc = cli_error("ae classify: out of memory");
            goto done;
        }
        size_t *seen = calloc(C, sizeof(size_t));
        for (size_t i = 0; seen != NULL && i < ntr; i++) {
            int y = d.train.labels[i];
            if (seen[y]++ % 5 == 4) {
                memmove(ftr + nh * C, ftr + i * C, C * sizeof(float));
                yh[nh++] = y;
            }
        }
        free(seen);
        rc = nh < 2 ? cli_error("%s: too few rows to hold out for the stacked softmax",
                                d.train_name)
                    : fit_eval(&a, ftr, yh, nh, fte, d.test.labels, nte, C, C, &head, &stacked);
        free(yh);
        if (rc != 0)
            goto done;
        have_head = 1;
    } else {
        int *pred = malloc(nte * sizeof(int));
        if (pred == NULL || ae_softmax_predict(&head, fte, nte, pred, NULL) != 0 ||
            eval_accuracy(d.test.labels, pred, nte, &stacked.acc) != 0 ||
            eval_macro_f1(d.test.labels, pred, nte, C, &stacked.f1) != 0) {
            free(pred);
            rc = cli_error("ae classify: prediction failed");
            goto done;
        }
        free(pred);
    }
    { /* the rule without a head: the class whose autoencoder fits best */
        int *pred = malloc(nte * sizeof(int));
        if (pred == NULL) {
            rc = cli_error("ae classify: out of memory");
            goto done;
        }
        for (size_t i = 0; i < nte; i++) {
            size_t best = 0;
            for (size_t c = 1; c < C; c++)
                if (fte[i * C + c] < fte[i * C + best])
                    best = c;
            pred[i] = (int)best;
        }
        eval_accuracy(d.test.labels, pred, nte, &argmin.acc);
        eval_macro_f1(d.test.labels, pred, nte, C, &argmin.f1);
        free(pred);
    }
    if ((rc = fit_eval(&a, d.train.x.data, d.train.labels, ntr, d.test.x.data, d.test.labels, nte,
                       D, C, NULL, &raw)) != 0)
        goto done;
    if (!a.json)
        printf("%zu test rows, %zu classes:\n", nte, C);
    print_score(&a, obj, "stacked", "per-class AEs + stacked softmax", &stacked);
    print_score(&a, obj, "min_error", "per-class AEs, smallest error", &argmin);
    print_score(&a, obj, "raw_softmax", "softmax regression, raw features", &raw);
    if (a.model_out != NULL && a.model_in == NULL) {
        ae_meta meta = { AE_BLADE_CLASSIFY, (uint32_t)d.height, (uint32_t)d.width };
        if ((rc = ae_classify_save(nets, C, &head, &meta, a.model_out, err, sizeof(err))) != 0) {
            rc = cli_error("%s", err);
            goto done;
        }
        json_object_set_new(obj, "saved", json_string(a.model_out));
    }
    rc = 0;
out:
    if (rc == 0 && a.json) {
        ae_print_json(obj);
        obj = NULL;
    }
done:
    json_decref(obj);
    if (nets != NULL)
        for (size_t c = 0; c < C; c++)
            nn_free(nets[c]);
    free(nets);
    if (have_head)
        ae_softmax_free(&head);
    free(ftr);
    free(fte);
    ae_data_free(&d);
    return rc;
}
