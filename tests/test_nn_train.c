/* test_nn_train.c — optimisers on a known quadratic, the training loop
 * (determinism, validation and early stopping, callbacks, corruption,
 * argument checks) and the factor-model experiment: an autoencoder with a
 * 5-unit code beats 5-component PCA on held-out data. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "nn_demo.h"
#include "nn_optim.h"
#include "nn_train.h"
#include "pca.h"
#include "sh_error.h"
#include "test_nn_util.h"

/* f(x) = sum a_i (x_i - c_i)^2 / 2, minimum at c with value 0. */
static void quadratic_grad(float *g, const float *x, const float *a, const float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g[i] = a[i] * (x[i] - c[i]);
}

START_TEST(optimisers_minimise_a_quadratic)
{
    sh_rng rng;
    rng_seed(&rng, 41);
    enum { N = 17 };
    float a[N], c[N], x[N], g[N], m[N], v[N];
    tu_fill_uniform(&rng, a, N, 0.5f, 4.0f);
    tu_fill_uniform(&rng, c, N, -3, 3);
    for (int kind = 0; kind < 2; kind++) {
        memset(x, 0, sizeof x);
        memset(m, 0, sizeof m);
        memset(v, 0, sizeof v);
        double start = 0;
        for (size_t i = 0; i < N; i++)
            start += fabs(x[i] - c[i]);
        for (uint64_t t = 1; t <= 3000; t++) {
            quadratic_grad(g, x, a, c, N);
            if (kind == 0)
                adam_update(x, g, m, v, N, t < 2000 ? 0.05f : 0.005f, 0.9f, 0.999f, 1e-8f, t);
            else
                sgd_update(x, g, N, 0.2f); /* lr < 2 / max a: converges */
        }
        for (size_t i = 0; i < N; i++)
            ck_assert_msg(fabsf(x[i] - c[i]) < 1e-3f, "kind %d: x[%zu] = %g, c = %g", kind, i,
                          x[i], c[i]);
        ck_assert(start > 1);
    }
    /* the first Adam step moves each parameter by lr against its gradient's sign */
    float p[2] = { 0, 0 }, gg[2] = { 3, -0.01f }, mm[2] = { 0, 0 }, vv[2] = { 0, 0 };
    adam_update(p, gg, mm, vv, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 1);
    ck_assert_float_eq_tol(p[0], -0.1f, 1e-5);
    ck_assert_float_eq_tol(p[1], 0.1f, 1e-4);
}
END_TEST

START_TEST(adam_fast_path_gives_the_reference_bits)
{
    /* adam_update may take a vectorised path and threads: it must give
     * exactly the bits of the formula applied one element at a time (n not
     * a multiple of the vector width, gradients of every sign and scale,
     * zeros, two threads). */
    sh_rng rng;
    rng_seed(&rng, 43);
    enum { N = 70003 }; /* large enough to be split over threads */
    static float p[N], g[N], m[N], v[N], rp[N], rm[N], rv[N];
    int before = mat_get_threads();
    mat_set_threads(2);
    tu_fill_uniform(&rng, p, N, -1, 1);
    memcpy(rp, p, sizeof p);
    memset(m, 0, sizeof m);
    memset(v, 0, sizeof v);
    memset(rm, 0, sizeof rm);
    memset(rv, 0, sizeof rv);
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    for (uint64_t t = 1; t <= 20; t++) {
        tu_fill_normal(&rng, g, N, t % 3 == 0 ? 1e-4f : 2.0f);
        for (size_t i = 0; i < N; i += 17)
            g[i] = 0.0f;
        adam_update(p, g, m, v, N, lr, b1, b2, eps, t);
        float c1 = (float)(1.0 - pow(b1, (double)t)), c2 = (float)(1.0 - pow(b2, (double)t));
        for (size_t i = 0; i < N; i++) {
            rm[i] = b1 * rm[i] + (1.0f - b1) * g[i];
            rv[i] = b2 * rv[i] + (1.0f - b2) * g[i] * g[i];
            float m_hat = rm[i] / c1, v_hat = rv[i] / c2;
            rp[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
        }
    }
    mat_set_threads(before);
    ck_assert(memcmp(p, rp, sizeof p) == 0);
    ck_assert(memcmp(m, rm, sizeof m) == 0);
    ck_assert(memcmp(v, rv, sizeof v) == 0);
}
END_TEST

/* A small CSR binary-code network and its data. */
typedef struct {
    sh_csr x;
    nn_config cfg;
} small_text;

static void small_text_init(small_text *s, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    tu_random_csr(&rng, &s->x, 300, 60, 0.1, 1);
    nn_config_defaults(&s->cfg, 60, 8);
    s->cfg.input_kind = NN_INPUT_CSR;
    s->cfg.n_enc = 1;
    s->cfg.enc_hidden[0] = 32;
    s->cfg.code_kind = NN_CODE_BINARY;
    s->cfg.bernoulli_kl = 0.01f;
    s->cfg.loss = NN_LOSS_SOFTMAX;
    s->cfg.weight_decay = 1e-4f;
    s->cfg.max_batch = 32;
}

static nn_net *train_small(small_text *s, uint64_t seed, nn_train_summary *sum, int explicit_target)
{
    sh_rng init;
    rng_seed(&init, 5);
    nn_net *net;
    ck_assert_int_eq(nn_new(&s->cfg, &init, &net, NULL, 0), 0);
    nn_train_opts o;
    nn_train_defaults(&o);
    o.epochs = 3;
    o.batch_size = 32;
    o.seed = seed;
    nn_data d = { s->x.rows, s->x.cols, NULL, &s->x };
    char err[200];
    ck_assert_msg(nn_train(net, &d, explicit_target ? &d : NULL, NULL, NULL, &o, sum, err,
                           sizeof err) == 0, "%s", err);
    return net;
}

START_TEST(same_seed_same_bytes)
{
    small_text s;
    small_text_init(&s, 42);
    nn_train_summary s1, s2, s3;
    nn_net *a = train_small(&s, 9, &s1, 0), *b = train_small(&s, 9, &s2, 0);
    nn_net *c = train_small(&s, 10, &s3, 0), *t = train_small(&s, 9, &s3, 1);
    ck_assert_uint_eq(a->n_params, b->n_params);
    ck_assert_mem_eq(a->params, b->params, a->n_params * sizeof(float));
    ck_assert(memcmp(a->params, c->params, a->n_params * sizeof(float)) != 0);
    /* the same rows passed explicitly as the target: the same training */
    ck_assert_mem_eq(a->params, t->params, a->n_params * sizeof(float));
    nn_free(t);
    ck_assert_int_eq(s1.epochs_run, 3);
    ck_assert(s1.gflops > 0 && s1.seconds_per_epoch > 0 && isfinite(s1.train_loss));
    ck_assert(isnan(s1.valid_loss));
    nn_free(a);
    nn_free(b);
    nn_free(c);
    csr_free(&s.x);
}
END_TEST

typedef struct {
    int calls, cancel_at, corrupt_calls;
    double first_loss, last_loss;
    size_t rows_seen;
} cb_state;

static int count_progress(int epoch, size_t batch, size_t batches, double loss, void *user)
{
    cb_state *st = user;
    ck_assert(batch < batches);
    ck_assert(epoch >= 0);
    if (st->calls == 0)
        st->first_loss = loss;
    st->last_loss = loss;
    return ++st->calls == st->cancel_at;
}

/* Masking noise: zero a third of each dense row's entries. */
static int mask_third(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng, void *user)
{
    cb_state *st = user;
    ck_assert_ptr_null(csr);
    st->corrupt_calls++;
    st->rows_seen += rows;
    for (size_t i = 0; i < rows * cols; i++)
        if (rng_below(rng, 3) == 0)
            dense[i] = 0.0f;
    return 0;
}

START_TEST(validation_early_stopping_and_callbacks)
{
    const size_t D = 20, N = 400, NV = 100;
    float *x = malloc(N * D * sizeof(float)), *xv = malloc(NV * D * sizeof(float));
    ck_assert_int_eq(nn_factor_data(x, N, D, 3, 0.05f, 1, 2), 0);
    ck_assert_int_eq(nn_factor_data(xv, NV, D, 3, 0.05f, 1, 3), 0);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)D, 3);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 16;
    cfg.enc_act = SH_ACT_TANH;
    cfg.max_batch = 50;
    sh_rng init;
    rng_seed(&init, 1);
    nn_net *net;
    ck_assert_int_eq(nn_new(&cfg, &init, &net, NULL, 0), 0);
    nn_data tr = { N, D, x, NULL }, va = { NV, D, xv, NULL };
    nn_train_opts o;
    nn_train_defaults(&o);
    o.epochs = 60;
    o.batch_size = 50;
    o.optim.lr = 0.05f; /* large: validation gets noisy, patience ends it */
    o.patience = 3;
    cb_state st = { 0, -1, 0, 0, 0, 0 };
    o.progress = count_progress;
    o.user = &st;
    nn_train_summary sum;
    ck_assert_int_eq(nn_train(net, &tr, NULL, &va, NULL, &o, &sum, NULL, 0), 0);
    ck_assert_int_eq(st.calls, sum.epochs_run * 8);
    ck_assert(st.last_loss < st.first_loss);
    ck_assert(sum.best_epoch >= 0 && sum.best_epoch < sum.epochs_run);
    ck_assert(sum.stopped_early && sum.epochs_run < o.epochs); /* seeded: stops near epoch 33 */
    ck_assert_int_eq(sum.epochs_run, sum.best_epoch + 1 + o.patience);
    /* the kept parameters are the best epoch's: evaluating them again
     * gives the reported validation loss */
    nn_loss_parts vp;
    ck_assert_int_eq(nn_evaluate(net, &va, NULL, &vp), 0);
    ck_assert_double_eq_tol(vp.total, sum.valid_loss, 1e-9 * (1 + sum.valid_loss));

    /* cancel from the progress callback */
    st = (cb_state){ 0, 5, 0, 0, 0, 0 };
    char err[200] = "";
    ck_assert_int_eq(nn_train(net, &tr, NULL, NULL, NULL, &o, &sum, err, sizeof err), SH_ECANCEL);
    ck_assert_int_eq(st.calls, 5);
    ck_assert(strstr(err, "cancel") != NULL);

    /* corruption: called once per batch, on the batch's rows; the loss is
     * measured against the clean rows, so it stays above the clean run's */
    st = (cb_state){ 0, -1, 0, 0, 0, 0 };
    o.progress = NULL;
    o.corrupt = mask_third;
    o.epochs = 2;
    ck_assert_int_eq(nn_train(net, &tr, NULL, NULL, NULL, &o, &sum, NULL, 0), 0);
    ck_assert_int_eq(st.corrupt_calls, 2 * 8);
    ck_assert_uint_eq(st.rows_seen, 2 * N);

    /* argument checks */
    o.corrupt = NULL;
    o.batch_size = 51;
    ck_assert_int_eq(nn_train(net, &tr, NULL, NULL, NULL, &o, NULL, err, sizeof err), SH_EINVAL);
    o.batch_size = 50;
    nn_data empty = { 0, D, x, NULL }, narrow = { N, D - 1, x, NULL };
    ck_assert_int_eq(nn_train(net, &empty, NULL, NULL, NULL, &o, NULL, NULL, 0), SH_EEMPTY);
    ck_assert_int_eq(nn_train(net, &tr, &narrow, NULL, NULL, &o, NULL, NULL, 0), SH_EINVAL);
    nn_data short_target = { N - 1, D, x, NULL };
    ck_assert_int_eq(nn_train(net, &tr, &short_target, NULL, NULL, &o, NULL, NULL, 0), SH_EINVAL);
    nn_net *infer;
    ck_assert_int_eq(nn_clone(net, 0, 1, &infer), 0);
    ck_assert_int_eq(nn_train(infer, &tr, NULL, NULL, NULL, &o, NULL, err, sizeof err), SH_EINVAL);
    ck_assert(strstr(err, "inference-only") != NULL);
    nn_free(infer);
    nn_free(net);
    free(x);
    free(xv);
}
END_TEST

START_TEST(autoencoder_beats_pca_on_factor_data)
{
    mat_set_threads(1);
    nn_factor_result r;
    char err[256] = "";
    ck_assert_msg(nn_demo_factor_model(3, &r, err, sizeof err) == 0, "%s", err);
    /* PCA recomputed here on the same training rows and test rows */
    float *train = malloc(r.train_rows * r.dim * sizeof(float));
    float *test = malloc(r.test_rows * r.dim * sizeof(float));
    ck_assert_int_eq(nn_factor_data(train, r.train_rows, r.dim, r.factors, 0.01f, 3, 4), 0);
    ck_assert_int_eq(nn_factor_data(test, r.test_rows, r.dim, r.factors, 0.01f, 3, 5), 0);
    sh_pca pca;
    ck_assert_int_eq(pca_fit(&pca, train, r.train_rows, r.dim, r.factors), 0);
    double pca_mse;
    ck_assert_int_eq(pca_reconstruction_mse(&pca, test, r.test_rows, &pca_mse), 0);
    ck_assert_double_eq_tol(pca_mse, r.pca_mse, 1e-6);
    /* the data is not trivially linear: 5 components leave real error */
    ck_assert(pca_mse > 10 * 0.01 * 0.01);
    ck_assert_msg(r.ae_mse < pca_mse, "autoencoder %g vs PCA %g", r.ae_mse, pca_mse);
    ck_assert(r.ae_mse > 0);
    pca_free(&pca);
    free(train);
    free(test);
    mat_set_threads(0);
}
END_TEST

/* A synthetic corpus of `topics` topics over V words: each topic favours
 * its own band of words; documents draw 40 words, 80% from their topic's
 * band. Row r has topic r % topics. */
static void topic_corpus(sh_csr *x, size_t N, size_t V, size_t topics, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    ck_assert_int_eq(csr_init(x, V), 0);
    float *counts = calloc(V, sizeof(float));
    uint32_t *idx = malloc(V * sizeof(uint32_t));
    float *val = malloc(V * sizeof(float));
    size_t band = V / topics;
    for (size_t r = 0; r < N; r++) {
        memset(counts, 0, V * sizeof(float));
        size_t t = r % topics;
        for (int w = 0; w < 40; w++) {
            size_t word = rng_uniform(&rng) < 0.8f ? t * band + rng_below(&rng, band)
                                                    : rng_below(&rng, V);
            counts[word] += 1;
        }
        size_t n = 0;
        for (size_t v = 0; v < V; v++)
            if (counts[v] > 0) {
                idx[n] = (uint32_t)v;
                val[n++] = counts[v];
            }
        ck_assert_int_eq(csr_append_row(x, n, idx, val), 0);
    }
    free(counts);
    free(idx);
    free(val);
}

START_TEST(binary_codes_group_documents_by_topic)
{
    const size_t N = 800, V = 240, topics = 4, K = 16;
    sh_csr x;
    topic_corpus(&x, N, V, topics, 71);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)V, (uint32_t)K);
    cfg.input_kind = NN_INPUT_CSR;
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 64;
    cfg.code_kind = NN_CODE_BINARY;
    cfg.loss = NN_LOSS_SOFTMAX;
    cfg.max_batch = 64;
    sh_rng init;
    rng_seed(&init, 2);
    nn_net *net;
    ck_assert_int_eq(nn_new(&cfg, &init, &net, NULL, 0), 0);
    nn_train_opts o;
    nn_train_defaults(&o);
    o.epochs = 15;
    o.batch_size = 64;
    o.optim.lr = 3e-3f;
    nn_data d = { N, V, NULL, &x };
    nn_train_summary sum;
    ck_assert_int_eq(nn_train(net, &d, NULL, NULL, NULL, &o, &sum, NULL, 0), 0);
    float *codes = malloc(N * K * sizeof(float));
    ck_assert_int_eq(nn_encode_all(net, &d, codes), 0);
    /* mean Hamming distance within a topic vs across topics */
    double within = 0, across = 0;
    size_t n_within = 0, n_across = 0;
    for (size_t i = 0; i < N; i += 3)
        for (size_t j = i + 1; j < N; j += 5) {
            int dist = 0;
            for (size_t k = 0; k < K; k++) {
                ck_assert(codes[i * K + k] == 0.0f || codes[i * K + k] == 1.0f);
                dist += codes[i * K + k] != codes[j * K + k];
            }
            if (i % topics == j % topics) {
                within += dist;
                n_within++;
            } else {
                across += dist;
                n_across++;
            }
        }
    within /= (double)n_within;
    across /= (double)n_across;
    /* seeded run: about 2 bits within, 9 across, of 16 */
    ck_assert_msg(within + 3.0 < across && 2.0 * within < across, "within %g, across %g bits",
                  within, across);
    free(codes);
    nn_free(net);
    csr_free(&x);
}
END_TEST

START_TEST(networks_and_options_from_a_semhash_config)
{
    sh_config conf;
    config_defaults(&conf);
    nn_config cfg;
    nn_config_for_hashing(&cfg, &conf, 1000);
    nn_net *net;
    char err[200];
    ck_assert_msg(nn_new(&cfg, NULL, &net, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(net->n_layers, 2 * (size_t)conf.model.n_hidden + 2);
    ck_assert_uint_eq(net->cfg.code_dim, (uint32_t)conf.model.code_bits);
    ck_assert_uint_eq(net->in_dim[0], 1000);
    ck_assert_uint_eq(net->out_dim[0], (size_t)conf.model.hidden[0]);
    ck_assert_uint_eq(net->out_dim[net->n_layers - 1], 1000);
    ck_assert_int_eq(net->cfg.code_kind, NN_CODE_BINARY);
    ck_assert_int_eq(net->cfg.input_kind, NN_INPUT_CSR);
    ck_assert_uint_eq(net->max_batch, (size_t)conf.train.batch_size);
    nn_free(net);
    conf.model.n_hidden = NN_MAX_HIDDEN + 1;
    nn_config_for_hashing(&cfg, &conf, 1000);
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), SH_EINVAL);

    nn_train_opts o;
    conf.train.epochs = 7;
    conf.train.learning_rate = 0.25;
    conf.train.optimizer = SH_OPT_SGD;
    nn_train_opts_from_config(&o, &conf.train);
    ck_assert_int_eq(o.epochs, 7);
    ck_assert_uint_eq(o.batch_size, (size_t)conf.train.batch_size);
    ck_assert_float_eq(o.optim.lr, 0.25f);
    ck_assert_int_eq(o.optim.kind, SH_OPT_SGD);
    ck_assert_uint_eq(o.seed, conf.train.seed);
    ck_assert_int_eq(o.patience, conf.train.patience);
}
END_TEST

Suite *nn_train_suite(void)
{
    Suite *s = suite_create("nn_train");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, optimisers_minimise_a_quadratic);
    tcase_add_test(core, adam_fast_path_gives_the_reference_bits);
    tcase_add_test(core, same_seed_same_bytes);
    tcase_add_test(core, validation_early_stopping_and_callbacks);
    tcase_add_test(core, autoencoder_beats_pca_on_factor_data);
    tcase_add_test(core, binary_codes_group_documents_by_topic);
    tcase_add_test(core, networks_and_options_from_a_semhash_config);
    suite_add_tcase(s, core);
    return s;
}
