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
#include "ae_text.h"
#include "cli.h"
#include "cmd_ae.h"
#include "evalstats.h"
#include "sh_error.h"

static const char classify_usage[] =
    "One autoencoder per class, each trained on its class only (four fifths of its\n"
    "rows); a stacked softmax, fitted on the held-out fifth, maps the vector of log\n"
    "reconstruction errors to the class. Printed beside\n"
    "softmax regression on the raw features. Needs labels.\n"
    "  --softmax-epochs N    epochs of the raw-feature softmax regression (20); the\n"
    "                        stacked head on C features trains 5x as many\n"
    "  --text CORPUS --classes A,B[,...]   text variant: one bag-of-words autoencoder\n"
    "                        per label (tf-idf in, softmax out), NLL per token as the\n"
    "                        features; train split to train, test split to test\n"
    "  --overcomplete        instead: one overcomplete autoencoder (--code > input\n"
    "                        width, e.g. --code 1024 --hidden none) with --sparsity B\n"
    "                        and/or --noise; softmax on its codes vs raw features\n";

typedef struct {
    double acc, f1;
} cls_score;

/* Softmax regression for epochs on Xtr, scored on Xte. The stacked head
 * (C features, trained by ae_classify_train) gets 5x the raw regression's
 * epochs: it is tiny and its held-out training rows are few. */
static int fit_eval(const ae_args *a, int epochs, const float *Xtr, const int *ytr, size_t ntr,
                    const float *Xte, const int *yte, size_t nte, size_t D, size_t C,
                    cls_score *sc)
{
    ae_softmax m = { 0 };
    ae_softmax_opts o;
    ae_softmax_defaults(&o);
    o.epochs = epochs;
    o.seed = a->recipe.fit.seed;
    ae_softmax_small_batch(&o, ntr);
    int *pred = malloc((nte ? nte : 1) * sizeof(int));
    int rc = pred == NULL ? SH_ENOMEM : ae_softmax_fit(&m, Xtr, ytr, ntr, D, C, &o);
    if (rc == 0)
        rc = ae_softmax_predict(&m, Xte, nte, pred, NULL);
    if (rc == 0)
        rc = eval_accuracy(yte, pred, nte, &sc->acc);
    if (rc == 0)
        rc = eval_macro_f1(yte, pred, nte, C, &sc->f1);
    free(pred);
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
                        obj, &net);
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
    if ((rc = fit_eval(a, a->recipe.softmax_epochs, d->train.x.data, d->train.labels, ntr,
                       d->test.x.data, d->test.labels, nte, D, C, &raw)) != 0 ||
        (rc = fit_eval(a, a->recipe.softmax_epochs, ztr, d->train.labels, ntr, zte, d->test.labels,
                       nte, K, C, &feat)) != 0)
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
    float *fte = NULL;
    ae_softmax head = { 0 };
    int have_head = 0;
    json_t *obj = NULL;
    char err[AE_ERR_LEN] = "";
    int rc = ae_parse(&a, argc, argv, "classify", classify_usage);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.recipe.softmax_epochs < 1)
        return cli_error("ae classify: --softmax-epochs must be >= 1");
    if (a.text != NULL)
        return ae_classify_text(&a);
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
        nn_config cfg;
        ae_make_config(&a, &cfg, (uint32_t)D, ae_blade_default_loss(AE_BLADE_CLASSIFY, 0));
        ae_bars bars;
        ae_progress hooks;
        ae_bars_init(&bars, &a, &hooks);
        ae_classify_summary cs;
        rc = ae_classify_train(&cfg, d.train.x.data, d.train.labels, ntr, C, &a.recipe, &hooks,
                               &nets, &head, &cs, err, sizeof(err));
        if (rc == SH_EINPUT) {
            rc = cli_error("%s: %s", d.train_name, err);
            goto done;
        } else if (rc != 0) {
            rc = cli_error("ae classify: %s", err[0] ? err : sh_strerror(rc));
            goto done;
        }
        have_head = 1;
        ae_json_real(obj, "train_seconds", cs.seconds);
        if (!a.json)
            printf("trained %zu class autoencoders in %.1f s\n", C, cs.seconds);
    }
    fte = malloc(nte * C * sizeof(float));
    nn_data te = ae_view(&d.test);
    if (!fte || (rc = ae_classify_features(nets, C, &te, fte)) != 0) {
        rc = cli_error("ae classify: reconstruction features failed");
        goto done;
    }
    cls_score stacked, raw, argmin;
    {
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
    if ((rc = fit_eval(&a, a.recipe.softmax_epochs, d.train.x.data, d.train.labels, ntr,
                       d.test.x.data, d.test.labels, nte, D, C, &raw)) != 0)
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
    free(fte);
    ae_data_free(&d);
    return rc;
}

/* ---- text ---------------------------------------------------------------------- */

#define TEXT_MAX_CLASSES 32

/* Splits "a,b,c" into at most TEXT_MAX_CLASSES names (pointers into buf). */
static size_t split_names(char *buf, const char **names)
{
    size_t n = 0;
    for (char *tok = strtok(buf, ","); tok != NULL && n < TEXT_MAX_CLASSES;
         tok = strtok(NULL, ","))
        if (*tok)
            names[n++] = tok;
    return n;
}

/* Rows idx[0..n) of t's tf-idf and count matrices. */
static int select_text(const ae_text_data *t, const uint32_t *idx, size_t n, sh_csr *x, sh_csr *c)
{
    size_t V = t->m.tfidf.cols;
    if (csr_init(x, V) != 0 || csr_init(c, V) != 0 ||
        csr_select_rows(x, &t->m.tfidf, idx, n) != 0 || csr_select_rows(c, &t->m.counts, idx, n) != 0)
        return cli_error("ae classify: out of memory");
    return 0;
}

int ae_classify_text(const ae_args *a)
{
    char err[AE_ERR_LEN] = "", names_buf[512];
    const char *names[TEXT_MAX_CLASSES];
    ae_text_data t;
    nn_net *nets[TEXT_MAX_CLASSES] = { 0 };
    sh_csr xh, ch, xt, ct;
    uint32_t *idx = NULL, *head_idx = NULL, *test_idx = NULL, *train_idx = NULL;
    int *cls = NULL, *yh = NULL, *yt = NULL, *ytr = NULL;
    float *fh = NULL, *ft = NULL, *col = NULL, *dtr = NULL, *dte = NULL;
    json_t *obj = NULL;
    memset(&xh, 0, sizeof(xh));
    memset(&ch, 0, sizeof(ch));
    memset(&xt, 0, sizeof(xt));
    memset(&ct, 0, sizeof(ct));
    memset(&t, 0, sizeof(t));
    if (a->classes == NULL)
        return cli_error("ae classify: --text needs --classes A,B[,...] (label names)");
    snprintf(names_buf, sizeof(names_buf), "%s", a->classes);
    size_t C = split_names(names_buf, names);
    if (C < 2)
        return cli_error("ae classify: --classes needs at least two label names");
    int rc = ae_text_load(a->text, a->vocab > 0 ? a->vocab : 5000, &t, err, sizeof(err));
    if (rc != 0) {
        rc = cli_error("%s", err[0] ? err : sh_strerror(rc));
        goto done;
    }
    size_t N = t.m.rows, V = t.m.tfidf.cols, has_test = 0, nh = 0, nt = 0, ntr = 0;
    for (size_t i = 0; i < N; i++)
        has_test += t.m.split[i] == CORPUS_SPLIT_TEST;
    cls = malloc(N * sizeof(int));
    idx = malloc(N * sizeof(uint32_t));
    head_idx = malloc(N * sizeof(uint32_t));
    test_idx = malloc(N * sizeof(uint32_t));
    train_idx = malloc(N * sizeof(uint32_t));
    yh = malloc(N * sizeof(int));
    yt = malloc(N * sizeof(int));
    ytr = malloc(N * sizeof(int));
    if (!cls || !idx || !head_idx || !test_idx || !train_idx || !yh || !yt || !ytr) {
        rc = cli_error("ae classify: out of memory");
        goto done;
    }
    size_t seen[TEXT_MAX_CLASSES] = { 0 };
    for (size_t i = 0; i < N; i++) {
        cls[i] = -1;
        for (size_t c = 0; c < C && cls[i] < 0; c++)
            if (ae_text_has_label(&t, i, names[c]))
                cls[i] = (int)c;
        if (cls[i] < 0)
            continue;
        int is_test = has_test ? t.m.split[i] == CORPUS_SPLIT_TEST : i % 5 == 4;
        if (is_test) {
            yt[nt] = cls[i];
            test_idx[nt++] = (uint32_t)i;
            continue;
        }
        ytr[ntr] = cls[i];
        train_idx[ntr++] = (uint32_t)i;
        if (seen[cls[i]]++ % 5 == 4) { /* held out for the stacked head */
            yh[nh] = cls[i];
            head_idx[nh++] = (uint32_t)i;
            cls[i] = -2;
        }
    }
    if (nt == 0 || nh < 2) {
        rc = cli_error("%s: too few documents with the labels %s (%zu train, %zu test)", a->text,
                       a->classes, ntr, nt);
        goto done;
    }
    obj = json_object();
    json_object_set_new(obj, "task", json_string("classify"));
    json_object_set_new(obj, "corpus", json_string(a->text));
    json_object_set_new(obj, "vocabulary", json_integer((json_int_t)V));
    double seconds = 0;
    for (size_t c = 0; c < C; c++) {
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            if (cls[i] == (int)c && (has_test ? t.m.split[i] != CORPUS_SPLIT_TEST : i % 5 != 4))
                idx[n++] = (uint32_t)i;
        if (n < 2) {
            rc = cli_error("%s: label '%s' has %zu training documents; need at least 2", a->text,
                           names[c], n);
            goto done;
        }
        sh_csr x, cn;
        memset(&x, 0, sizeof(x));
        memset(&cn, 0, sizeof(cn));
        rc = select_text(&t, idx, n, &x, &cn);
        nn_config cfg;
        ae_make_config(a, &cfg, (uint32_t)V, NN_LOSS_SOFTMAX);
        cfg.input_kind = NN_INPUT_CSR;
        cfg.loss = NN_LOSS_SOFTMAX;
        nn_train_summary s;
        nn_data in = { n, V, NULL, &x }, target = { n, V, NULL, &cn };
        if (rc == 0)
            rc = ae_train(a, &cfg, &in, &target, NULL, names[c], &nets[c], &s);
        csr_free(&x);
        csr_free(&cn);
        if (rc != 0)
            goto done;
        seconds += s.seconds;
    }
    ae_json_real(obj, "train_seconds", seconds);
    fh = malloc(nh * C * sizeof(float));
    ft = malloc(nt * C * sizeof(float));
    col = malloc((nh > nt ? nh : nt) * sizeof(float));
    if (!fh || !ft || !col || select_text(&t, head_idx, nh, &xh, &ch) != 0 ||
        select_text(&t, test_idx, nt, &xt, &ct) != 0) {
        rc = cli_error("ae classify: out of memory");
        goto done;
    }
    nn_data hin = { nh, V, NULL, &xh }, tin = { nt, V, NULL, &xt };
    for (size_t c = 0; c < C; c++) {
        if (ae_row_nll(nets[c], &hin, &ch, col) != 0) {
            rc = cli_error("ae classify: scoring failed");
            goto done;
        }
        for (size_t i = 0; i < nh; i++)
            fh[i * C + c] = col[i];
        if (ae_row_nll(nets[c], &tin, &ct, col) != 0) {
            rc = cli_error("ae classify: scoring failed");
            goto done;
        }
        for (size_t i = 0; i < nt; i++)
            ft[i * C + c] = col[i];
    }
    cls_score stacked, argmin, raw;
    rc = fit_eval(a, 5 * a->recipe.softmax_epochs, fh, yh, nh, ft, yt, nt, C, C, &stacked);
    if (rc != 0)
        goto done;
    int *pred = (int *)idx; /* reuse: N >= nt ints of room */
    for (size_t i = 0; i < nt; i++) {
        size_t best = 0;
        for (size_t c = 1; c < C; c++)
            if (ft[i * C + c] < ft[i * C + best])
                best = c;
        pred[i] = (int)best;
    }
    eval_accuracy(yt, pred, nt, &argmin.acc);
    eval_macro_f1(yt, pred, nt, C, &argmin.f1);
    /* baseline: softmax regression on the tf-idf rows, densified */
    sh_csr xtr;
    memset(&xtr, 0, sizeof(xtr));
    dtr = malloc(ntr * V * sizeof(float));
    dte = malloc(nt * V * sizeof(float));
    if (!dtr || !dte || csr_init(&xtr, V) != 0 ||
        csr_select_rows(&xtr, &t.m.tfidf, train_idx, ntr) != 0) {
        csr_free(&xtr);
        rc = cli_error("ae classify: out of memory for the tf-idf baseline (%zu x %zu)", ntr, V);
        goto done;
    }
    csr_to_dense(dtr, &xtr);
    csr_to_dense(dte, &xt);
    csr_free(&xtr);
    if ((rc = fit_eval(a, a->recipe.softmax_epochs, dtr, ytr, ntr, dte, yt, nt, V, C, &raw)) != 0)
        goto done;
    if (!a->json)
        printf("%zu test documents, %zu classes (%s), vocabulary %zu:\n", nt, C, a->classes, V);
    print_score(a, obj, "stacked", "per-class AEs + stacked softmax", &stacked);
    print_score(a, obj, "min_error", "per-class AEs, smallest NLL", &argmin);
    print_score(a, obj, "raw_softmax", "softmax regression, tf-idf", &raw);
    if (a->json) {
        ae_print_json(obj);
        obj = NULL;
    }
    rc = 0;
done:
    json_decref(obj);
    for (size_t c = 0; c < TEXT_MAX_CLASSES; c++)
        nn_free(nets[c]);
    csr_free(&xh);
    csr_free(&ch);
    csr_free(&xt);
    csr_free(&ct);
    free(idx);
    free(head_idx);
    free(test_idx);
    free(train_idx);
    free(cls);
    free(yh);
    free(yt);
    free(ytr);
    free(fh);
    free(ft);
    free(col);
    free(dtr);
    free(dte);
    ae_text_free(&t);
    return rc;
}
