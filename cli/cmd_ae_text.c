/* cmd_ae_text.c — `semhash ae anomaly --text CORPUS --normal-label NAME`:
 * the anomaly blade on a text corpus. Documents become tf-idf rows (input)
 * and count rows (target) through the text pipeline; the autoencoder has
 * CSR input and a softmax bag-of-words output; a document's score is its
 * reconstruction NLL per token. Beside it, the cosine distance to the
 * mean normal tf-idf row is a simple baseline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ae_anomaly.h"
#include "ae_text.h"
#include "cli.h"
#include "cmd_ae.h"
#include "sh_error.h"

/* 1 - cosine similarity of each row of x with the dense vector c[V]. */
static void centroid_scores(const sh_csr *x, const float *c, float *scores)
{
    double cn = 0;
    for (size_t v = 0; v < x->cols; v++)
        cn += (double)c[v] * c[v];
    cn = sqrt(cn);
    for (size_t r = 0; r < x->rows; r++) {
        double dot = 0, xn = 0;
        for (size_t e = x->row_ptr[r]; e < x->row_ptr[r + 1]; e++) {
            dot += (double)x->values[e] * c[x->col_idx[e]];
            xn += (double)x->values[e] * x->values[e];
        }
        scores[r] = xn > 0 && cn > 0 ? (float)(1.0 - dot / (sqrt(xn) * cn)) : 1.0f;
    }
}

int ae_anomaly_text(const ae_args *a)
{
    char err[AE_ERR_LEN] = "";
    ae_text_data t;
    sh_csr xtr, ctr, xte, cte;
    nn_net *net = NULL;
    uint32_t *tr_idx = NULL, *te_idx = NULL;
    int *truth = NULL;
    float *tr_scores = NULL, *te_scores = NULL, *centroid = NULL;
    json_t *obj = NULL;
    memset(&xtr, 0, sizeof(xtr));
    memset(&ctr, 0, sizeof(ctr));
    memset(&xte, 0, sizeof(xte));
    memset(&cte, 0, sizeof(cte));
    if (a->normal_label == NULL)
        return cli_error("ae anomaly: --text needs --normal-label NAME (the normal documents)");
    if (a->model_in != NULL || a->model_out != NULL)
        return cli_error("ae anomaly: -m/-o are not supported with --text yet");
    int rc = ae_text_load(a->text, a->vocab > 0 ? a->vocab : 5000, &t, err, sizeof(err));
    if (rc != 0) {
        rc = cli_error("%s", err[0] ? err : sh_strerror(rc));
        goto done;
    }
    size_t N = t.m.rows, V = t.m.tfidf.cols, ntr = 0, nte = 0, has_test = 0;
    for (size_t i = 0; i < N; i++)
        has_test += t.m.split[i] == CORPUS_SPLIT_TEST;
    tr_idx = malloc(N * sizeof(uint32_t));
    te_idx = malloc(N * sizeof(uint32_t));
    truth = malloc(N * sizeof(int));
    if (!tr_idx || !te_idx || !truth) {
        rc = cli_error("ae anomaly: out of memory");
        goto done;
    }
    /* test: the test split, or every fifth document when there is none */
    for (size_t i = 0; i < N; i++) {
        int is_test = has_test ? t.m.split[i] == CORPUS_SPLIT_TEST : i % 5 == 4;
        int normal = ae_text_has_label(&t, i, a->normal_label);
        if (is_test) {
            truth[nte] = !normal;
            te_idx[nte++] = (uint32_t)i;
        } else if (normal) {
            tr_idx[ntr++] = (uint32_t)i;
        }
    }
    if (ntr < 2 || nte == 0) {
        rc = cli_error("%s: %zu training documents labelled '%s' and %zu test documents; need "
                       "at least 2 and 1",
                       a->text, ntr, a->normal_label, nte);
        goto done;
    }
    if (csr_init(&xtr, V) || csr_init(&ctr, V) || csr_init(&xte, V) || csr_init(&cte, V) ||
        csr_select_rows(&xtr, &t.m.tfidf, tr_idx, ntr) ||
        csr_select_rows(&ctr, &t.m.counts, tr_idx, ntr) ||
        csr_select_rows(&xte, &t.m.tfidf, te_idx, nte) ||
        csr_select_rows(&cte, &t.m.counts, te_idx, nte)) {
        rc = cli_error("ae anomaly: out of memory");
        goto done;
    }
    nn_config cfg;
    ae_make_config(a, &cfg, (uint32_t)V, NN_LOSS_SOFTMAX);
    cfg.input_kind = NN_INPUT_CSR;
    cfg.loss = NN_LOSS_SOFTMAX;
    obj = json_object();
    json_object_set_new(obj, "task", json_string("anomaly"));
    json_object_set_new(obj, "corpus", json_string(a->text));
    json_object_set_new(obj, "normal_label", json_string(a->normal_label));
    json_object_set_new(obj, "vocabulary", json_integer((json_int_t)V));
    json_object_set_new(obj, "train_docs", json_integer((json_int_t)ntr));
    json_object_set_new(obj, "test_docs", json_integer((json_int_t)nte));
    nn_data in = { ntr, V, NULL, &xtr }, target = { ntr, V, NULL, &ctr };
    nn_train_summary s;
    if ((rc = ae_train(a, &cfg, &in, &target, NULL, "anomaly", &net, &s)) != 0)
        goto done;
    ae_report_training(a, obj, net, &s);
    tr_scores = malloc(ntr * sizeof(float));
    te_scores = malloc(nte * sizeof(float));
    centroid = calloc(V, sizeof(float));
    nn_data test_in = { nte, V, NULL, &xte };
    if (!tr_scores || !te_scores || !centroid || ae_row_nll(net, &in, &ctr, tr_scores) != 0 ||
        ae_row_nll(net, &test_in, &cte, te_scores) != 0) {
        rc = cli_error("ae anomaly: scoring failed");
        goto done;
    }
    ae_threshold rule = a->recipe.threshold;
    if (!isnan(a->percentile)) {
        rule.rule = AE_THRESH_PERCENTILE;
        rule.value = a->percentile;
    } else if (!isnan(a->fpr)) {
        rule.value = a->fpr;
    }
    ae_anomaly_report r, rb;
    if ((rc = ae_anomaly_fit_threshold(&rule, tr_scores, ntr)) != 0 ||
        (rc = ae_anomaly_evaluate(te_scores, truth, nte, rule.threshold, &r)) != 0) {
        rc = cli_error("%s: the test documents need both '%s' and other documents", a->text,
                       a->normal_label);
        goto done;
    }
    /* baseline: cosine distance to the mean normal tf-idf row */
    for (size_t e = 0; e < xtr.nnz; e++)
        centroid[xtr.col_idx[e]] += xtr.values[e] / (float)ntr;
    ae_threshold rule_b = rule;
    centroid_scores(&xtr, centroid, tr_scores);
    centroid_scores(&xte, centroid, te_scores);
    if (ae_anomaly_fit_threshold(&rule_b, tr_scores, ntr) != 0 ||
        ae_anomaly_evaluate(te_scores, truth, nte, rule_b.threshold, &rb) != 0)
        rb.auroc = rb.precision = rb.recall = rb.fpr = NAN;
    ae_json_real(obj, "auroc", r.auroc);
    ae_json_real(obj, "precision", r.precision);
    ae_json_real(obj, "recall", r.recall);
    ae_json_real(obj, "fpr", r.fpr);
    ae_json_real(obj, "threshold", rule.threshold);
    ae_json_real(obj, "centroid_auroc", rb.auroc);
    ae_json_real(obj, "centroid_precision", rb.precision);
    ae_json_real(obj, "centroid_recall", rb.recall);
    if (a->json) {
        ae_print_json(obj);
        obj = NULL;
    } else {
        printf("%zu test documents (%zu anomalous), vocabulary %zu:\n", nte, r.n_anomalous, V);
        printf("  autoencoder NLL/token   AUROC %.4f  precision %.4f  recall %.4f  FPR %.4f\n",
               r.auroc, r.precision, r.recall, r.fpr);
        printf("  centroid cosine         AUROC %.4f  precision %.4f  recall %.4f  FPR %.4f\n",
               rb.auroc, rb.precision, rb.recall, rb.fpr);
    }
    rc = 0;
done:
    json_decref(obj);
    nn_free(net);
    csr_free(&xtr);
    csr_free(&ctr);
    csr_free(&xte);
    csr_free(&cte);
    free(tr_idx);
    free(te_idx);
    free(truth);
    free(tr_scores);
    free(te_scores);
    free(centroid);
    ae_text_free(&t);
    return rc;
}
