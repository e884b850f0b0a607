/* ae_reduce.c — the autoencoder-versus-PCA comparison of the reduction
 * blade (see ae_reduce.h). */
#include "ae_reduce.h"

#include <math.h>
#include <stdlib.h>

#include "evalstats.h"
#include "sh_error.h"

void ae_reduce_defaults(ae_reduce_opts *o)
{
    o->knn_k = 5;
    o->knn_test_rows = 2000;
    o->raw_knn = 0;
}

static double psnr_of(double mse)
{
    return mse > 0 ? 10.0 * log10(1.0 / mse) : INFINITY;
}

/* k-NN accuracy of test rows [0, n_test) of the embeddings. */
static int knn(float *train_emb, const sh_dataset *train, float *test_emb, const sh_dataset *test,
               size_t n_test, size_t dim, size_t k, double *acc)
{
    sh_mat a = { train->x.rows, dim, train_emb }, b = { n_test, dim, test_emb };
    return eval_knn_accuracy(&a, train->labels, &b, test->labels, k, acc);
}

int ae_reduce_compare(nn_net *net, const sh_dataset *train, const sh_dataset *test,
                      const ae_reduce_opts *o, float *test_codes, ae_reduce_report *r,
                      char *err, size_t err_len)
{
    size_t D = net->cfg.input_dim, K = net->cfg.code_dim;
    size_t n_tr = train->x.rows, n_te = test->x.rows;
    float *tr_ae = NULL, *te_ae = NULL, *tr_pca = NULL, *te_pca = NULL, *recon = NULL;
    sh_pca pca = { 0 };
    int rc, pca_failed = 0;
    if (train->x.cols != D || test->x.cols != D || n_te == 0)
        return sh_fail(err, err_len, SH_EINVAL, "reduce: data width differs from the model's %zu",
                       D);
    r->dim = K;
    r->ae_knn = r->pca_knn = r->raw_knn = NAN;
    r->knn_k = o->knn_k;
    r->knn_rows = o->knn_test_rows == 0 || o->knn_test_rows > n_te ? n_te : o->knn_test_rows;

    rc = SH_ENOMEM;
    tr_ae = malloc(n_tr * K * sizeof(float));
    te_ae = malloc(n_te * K * sizeof(float));
    tr_pca = malloc(n_tr * K * sizeof(float));
    te_pca = malloc(n_te * K * sizeof(float));
    recon = malloc(n_te * D * sizeof(float));
    if (!tr_ae || !te_ae || !tr_pca || !te_pca || !recon)
        goto fail;
    nn_data te = ae_view(test), tr = ae_view(train);
    if ((rc = ae_reconstruct(net, &te, recon)) != 0 ||
        (rc = eval_mse(recon, test->x.data, n_te * D, &r->ae_mse)) != 0)
        goto fail;
    if ((rc = pca_fit(&pca, train->x.data, n_tr, D, K)) != 0) {
        sh_fail(err, err_len, rc, "reduce: PCA with %zu components failed: %s", K,
                sh_strerror(rc));
        pca_failed = 1;
        goto fail;
    }
    if ((rc = pca_reconstruction_mse(&pca, test->x.data, n_te, &r->pca_mse)) != 0)
        goto fail;
    r->ae_psnr = psnr_of(r->ae_mse);
    r->pca_psnr = psnr_of(r->pca_mse);
    if ((rc = nn_encode_all(net, &te, te_ae)) != 0)
        goto fail;
    if (train->labels != NULL && test->labels != NULL) {
        if ((rc = nn_encode_all(net, &tr, tr_ae)) != 0)
            goto fail;
        pca_transform(&pca, train->x.data, n_tr, tr_pca);
        pca_transform(&pca, test->x.data, n_te, te_pca);
        if ((rc = knn(tr_ae, train, te_ae, test, r->knn_rows, K, o->knn_k, &r->ae_knn)) != 0 ||
            (rc = knn(tr_pca, train, te_pca, test, r->knn_rows, K, o->knn_k, &r->pca_knn)) != 0)
            goto fail;
        if (o->raw_knn &&
            (rc = knn(train->x.data, train, test->x.data, test, r->knn_rows, D, o->knn_k,
                      &r->raw_knn)) != 0)
            goto fail;
    }
    if (test_codes != NULL)
        for (size_t i = 0; i < n_te * K; i++)
            test_codes[i] = te_ae[i];
    rc = 0;
fail:
    if (rc != 0 && !pca_failed)
        sh_fail(err, err_len, rc, "reduce: %s", sh_strerror(rc));
    free(tr_ae);
    free(te_ae);
    free(tr_pca);
    free(te_pca);
    free(recon);
    pca_free(&pca);
    return rc;
}
