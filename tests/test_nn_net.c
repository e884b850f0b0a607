/* test_nn_net.c — the whole network: end-to-end finite-difference
 * gradient checks (dense and CSR input, each code kind, each loss, the
 * regularisers and the extra code-gradient hook), encode/decode against
 * the full forward, and argument checking. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_net.h"
#include "sh_error.h"
#include "test_nn_util.h"

typedef struct {
    nn_net *net;
    nn_data in, target;
    const float *dcode_extra; /* [B,K]: objective gains sum(extra . code) */
} net_ctx;

static double net_objective(void *p)
{
    net_ctx *c = p;
    nn_loss_parts parts;
    ck_assert_int_eq(nn_forward(c->net, &c->in, NN_MODE_DETERMINISTIC, NULL), 0);
    ck_assert_int_eq(nn_loss(c->net, &c->target, &parts), 0);
    double f = parts.total;
    size_t n = c->in.rows * c->net->cfg.code_dim;
    for (size_t i = 0; i < n && c->dcode_extra != NULL; i++)
        f += (double)c->dcode_extra[i] * c->net->code[i];
    return f;
}

/* Builds the net, computes analytic gradients once and compares every
 * tensor (sampled) with central differences. */
static void check_net_gradients(const nn_config *cfg, const nn_data *in, const nn_data *target,
                                const float *extra, uint64_t seed)
{
    sh_rng rng;
    rng_seed(&rng, seed);
    nn_net *net = NULL;
    char err[200];
    ck_assert_msg(nn_new(cfg, &rng, &net, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < net->n_params; i++) /* non-zero biases too */
        net->params[i] += 0.1f * rng_normal(&rng);
    if (cfg->code_kind == NN_CODE_GAUSSIAN) { /* eps held fixed */
        for (size_t i = 0; i < in->rows * cfg->code_dim; i++)
            net->eps[i] = rng_normal(&rng);
    }
    net_ctx c = { net, *in, *target, extra };
    nn_zero_grad(net);
    net_objective(&c);
    nn_backward(net, in, extra);
    float *grads = malloc(net->n_params * sizeof(float));
    memcpy(grads, net->grads, net->n_params * sizeof(float));
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t nw = net->in_dim[l] * net->out_dim[l];
        double ew = tu_grad_check(net_objective, &c, net->W[l], grads + (net->W[l] - net->params),
                                  nw, 3e-3, 1e-2, 60);
        double eb = tu_grad_check(net_objective, &c, net->b[l], grads + (net->b[l] - net->params),
                                  net->out_dim[l], 3e-3, 1e-2, 60);
        ck_assert_msg(ew < 3e-2 && eb < 3e-2, "layer %zu: W err %g, b err %g", l, ew, eb);
    }
    free(grads);
    nn_free(net);
}

START_TEST(gradcheck_dense_real_sparse_mse)
{
    sh_rng rng;
    rng_seed(&rng, 31);
    size_t B = 4, D = 7, K = 3;
    float *x = malloc(B * D * sizeof(float)), *extra = malloc(B * K * sizeof(float));
    tu_fill_uniform(&rng, x, B * D, -1, 1);
    tu_fill_uniform(&rng, extra, B * K, -1, 1);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)D, (uint32_t)K);
    cfg.n_enc = 2;
    cfg.enc_hidden[0] = 6;
    cfg.enc_hidden[1] = 5;
    cfg.enc_act = SH_ACT_TANH;
    cfg.code_act = SH_ACT_SIGMOID;
    cfg.sparsity_beta = 0.5f;
    cfg.sparsity_rho = 0.2f;
    cfg.weight_decay = 0.1f;
    cfg.max_batch = 8;
    nn_data in = { B, D, x, NULL };
    check_net_gradients(&cfg, &in, &in, extra, 1);
    check_net_gradients(&cfg, &in, &in, NULL, 2);
    free(x);
    free(extra);
}
END_TEST

START_TEST(gradcheck_csr_binary_softmax)
{
    sh_rng rng;
    rng_seed(&rng, 32);
    size_t B = 5, V = 20, K = 4;
    sh_csr x;
    tu_random_csr(&rng, &x, B, V, 0.25, 1);
    float *extra = malloc(B * K * sizeof(float));
    tu_fill_uniform(&rng, extra, B * K, -1, 1);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)V, (uint32_t)K);
    cfg.input_kind = NN_INPUT_CSR;
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 6;
    cfg.enc_act = SH_ACT_SIGMOID;
    cfg.code_kind = NN_CODE_BINARY;
    cfg.bernoulli_kl = 0.3f;
    cfg.sparsity_beta = 0.2f;
    cfg.dec_mirror = 0;
    cfg.n_dec = 2;
    cfg.dec_hidden[0] = 5;
    cfg.dec_hidden[1] = 7;
    cfg.dec_act = SH_ACT_TANH;
    cfg.loss = NN_LOSS_SOFTMAX;
    cfg.max_batch = 5;
    nn_data in = { B, V, NULL, &x };
    check_net_gradients(&cfg, &in, &in, extra, 3);
    free(extra);
    csr_free(&x);
}
END_TEST

START_TEST(gradcheck_gaussian_bce)
{
    sh_rng rng;
    rng_seed(&rng, 33);
    size_t B = 3, D = 9, K = 2;
    float *x = malloc(B * D * sizeof(float)), *extra = malloc(B * K * sizeof(float));
    tu_fill_uniform(&rng, x, B * D, 0, 1);
    tu_fill_uniform(&rng, extra, B * K, -1, 1);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)D, (uint32_t)K);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 5;
    cfg.enc_act = SH_ACT_TANH;
    cfg.code_kind = NN_CODE_GAUSSIAN;
    cfg.vae_kl = 0.8f;
    cfg.loss = NN_LOSS_BCE;
    cfg.weight_decay = 0.05f;
    cfg.max_batch = 3;
    nn_data in = { B, D, x, NULL };
    check_net_gradients(&cfg, &in, &in, extra, 4);
    free(x);
    free(extra);
}
END_TEST

START_TEST(csr_input_equals_its_dense_copy)
{
    sh_rng rng;
    rng_seed(&rng, 35);
    size_t B = 7, V = 40, K = 5;
    sh_csr xs;
    tu_random_csr(&rng, &xs, B, V, 0.2, 1);
    float *xd = malloc(B * V * sizeof(float));
    csr_to_dense(xd, &xs);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)V, (uint32_t)K);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 9;
    cfg.code_kind = NN_CODE_BINARY;
    cfg.loss = NN_LOSS_SOFTMAX;
    cfg.max_batch = 8;
    cfg.input_kind = NN_INPUT_CSR;
    nn_net *sparse, *dense;
    rng_seed(&rng, 1);
    ck_assert_int_eq(nn_new(&cfg, &rng, &sparse, NULL, 0), 0);
    cfg.input_kind = NN_INPUT_DENSE;
    rng_seed(&rng, 1);
    ck_assert_int_eq(nn_new(&cfg, &rng, &dense, NULL, 0), 0);
    ck_assert_mem_eq(sparse->params, dense->params, sparse->n_params * sizeof(float));
    ck_assert_int_eq(sparse->cfg.input_kind, NN_INPUT_CSR);
    nn_data in_s = { B, V, NULL, &xs }, in_d = { B, V, xd, NULL };
    nn_loss_parts ps, pd;
    nn_zero_grad(sparse);
    nn_zero_grad(dense);
    ck_assert_int_eq(nn_forward(sparse, &in_s, NN_MODE_DETERMINISTIC, NULL), 0);
    ck_assert_int_eq(nn_forward(dense, &in_d, NN_MODE_DETERMINISTIC, NULL), 0);
    ck_assert_int_eq(nn_loss(sparse, &in_s, &ps), 0);
    ck_assert_int_eq(nn_loss(dense, &in_s, &pd), 0); /* the target is CSR for both */
    ck_assert_double_eq_tol(ps.total, pd.total, 1e-5 * (1 + pd.total));
    nn_backward(sparse, &in_s, NULL);
    nn_backward(dense, &in_d, NULL);
    ck_assert(tu_max_rel_diff(sparse->grads, dense->grads, sparse->n_params) < 1e-4);
    /* flops: the sparse first layer costs 2 nnz H, not 2 B V H */
    ck_assert(nn_step_flops(sparse, &in_s) < nn_step_flops(dense, &in_d));
    nn_free(sparse);
    nn_free(dense);
    free(xd);
    csr_free(&xs);
}
END_TEST

START_TEST(encode_decode_match_forward)
{
    sh_rng rng;
    rng_seed(&rng, 34);
    for (int kind = 0; kind < 3; kind++) {
        size_t B = 6, D = 10, K = 3;
        float *x = malloc(B * D * sizeof(float));
        tu_fill_uniform(&rng, x, B * D, 0, 1);
        nn_config cfg;
        nn_config_defaults(&cfg, (uint32_t)D, (uint32_t)K);
        cfg.n_enc = 1;
        cfg.enc_hidden[0] = 8;
        cfg.code_kind = (nn_code_kind)kind;
        cfg.loss = NN_LOSS_BCE;
        cfg.max_batch = 3; /* smaller than B: encode_all must chunk (same chunks as below, so the same bits) */
        nn_net *net;
        ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
        float *codes = malloc(B * K * sizeof(float)), *dec = malloc(B * D * sizeof(float));
        nn_data all = { B, D, x, NULL };
        ck_assert_int_eq(nn_encode_all(net, &all, codes), 0);
        for (size_t row0 = 0; row0 < B; row0 += 3) {
            nn_data part = { 3, D, x + row0 * D, NULL };
            ck_assert_int_eq(nn_forward(net, &part, NN_MODE_INFER, NULL), 0);
            ck_assert_mem_eq(net->code, codes + row0 * K, 3 * K * sizeof(float));
            if (kind == NN_CODE_BINARY)
                for (size_t i = 0; i < 3 * K; i++)
                    ck_assert_float_eq(net->code[i], net->code_p[i] > 0.5f ? 1.0f : 0.0f);
            float *full = malloc(3 * D * sizeof(float));
            memcpy(full, nn_output(net), 3 * D * sizeof(float));
            ck_assert_int_eq(nn_decode(net, codes + row0 * K, 3, dec), 0);
            ck_assert_mem_eq(dec, full, 3 * D * sizeof(float));
            for (size_t i = 0; i < 3 * D; i++)
                ck_assert(dec[i] > 0 && dec[i] < 1);
            free(full);
        }
        ck_assert_int_eq(nn_decode(net, codes, 5, dec), SH_EINVAL);
        free(codes);
        free(dec);
        free(x);
        nn_free(net);
    }
}
END_TEST

START_TEST(clones_compute_the_same)
{
    sh_rng rng;
    rng_seed(&rng, 36);
    size_t B = 5, D = 12, K = 3;
    float *x = malloc(B * D * sizeof(float));
    tu_fill_uniform(&rng, x, B * D, -1, 1);
    nn_config cfg;
    nn_config_defaults(&cfg, (uint32_t)D, (uint32_t)K);
    cfg.n_enc = 1;
    cfg.enc_hidden[0] = 7;
    cfg.code_kind = NN_CODE_BINARY;
    cfg.bernoulli_kl = 0.1f;
    cfg.max_batch = 5;
    nn_net *net, *infer, *full;
    ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
    ck_assert_int_eq(nn_clone(net, 2, 1, &infer), 0);
    ck_assert_int_eq(nn_clone(net, 0, 0, &full), 0);
    ck_assert_ptr_null(infer->grads);
    ck_assert_ptr_null(infer->adam_m);
    ck_assert_ptr_nonnull(full->grads);
    ck_assert_uint_eq(infer->max_batch, 2);
    ck_assert_uint_eq(full->max_batch, 5);
    nn_data in = { B, D, x, NULL };
    float *c1 = malloc(B * K * sizeof(float)), *c2 = malloc(B * K * sizeof(float));
    ck_assert_int_eq(nn_encode_all(net, &in, c1), 0);
    ck_assert_int_eq(nn_encode_all(infer, &in, c2), 0); /* chunks of 2 rows */
    for (size_t i = 0; i < B * K; i++)
        ck_assert_float_eq(c1[i], c2[i]);
    nn_loss_parts p1, p2;
    ck_assert_int_eq(nn_evaluate(net, &in, NULL, &p1), 0);
    ck_assert_int_eq(nn_evaluate(infer, &in, NULL, &p2), 0); /* values only */
    ck_assert_double_eq_tol(p1.total, p2.total, 1e-6 * (1 + p1.total));
    ck_assert(p2.code_reg > 0);
    /* training steps: nothing on the inference clone, the same on the full clone */
    nn_data two = { 2, D, x, NULL };
    float before = infer->params[0];
    for (int k = 0; k < 2; k++) {
        nn_net *n = k == 0 ? net : full;
        nn_zero_grad(n);
        ck_assert_int_eq(nn_forward(n, &in, NN_MODE_DETERMINISTIC, NULL), 0);
        ck_assert_int_eq(nn_loss(n, &in, NULL), 0);
        nn_backward(n, &in, NULL);
    }
    ck_assert_mem_eq(net->grads, full->grads, net->n_params * sizeof(float));
    nn_zero_grad(infer);
    ck_assert_int_eq(nn_forward(infer, &two, NN_MODE_DETERMINISTIC, NULL), 0);
    ck_assert_int_eq(nn_loss(infer, &two, NULL), 0);
    nn_backward(infer, &two, NULL);
    ck_assert_float_eq(infer->params[0], before);
    nn_free(net);
    nn_free(infer);
    nn_free(full);
    free(x);
    free(c1);
    free(c2);
}
END_TEST

START_TEST(rejects_bad_configs_and_inputs)
{
    nn_config cfg;
    char err[200] = "";
    nn_net *net = NULL;
    nn_config_defaults(&cfg, 0, 4);
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), SH_EINVAL);
    ck_assert_ptr_null(net);
    ck_assert(strstr(err, "input_dim") != NULL);
    nn_config_defaults(&cfg, 10, 4);
    cfg.bernoulli_kl = 1; /* real code */
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), SH_EINVAL);
    nn_config_defaults(&cfg, 10, 4);
    cfg.sparsity_beta = 1; /* identity real code: no sparsity */
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), SH_EINVAL);
    nn_config_defaults(&cfg, 10, 4);
    cfg.n_enc = NN_MAX_HIDDEN + 1;
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), SH_EINVAL);
    nn_config_defaults(&cfg, 10, 4);
    cfg.max_batch = 2;
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), 0);
    float x[30] = { 0 };
    nn_data three = { 3, 10, x, NULL }, wide = { 2, 15, x, NULL }, ok = { 2, 10, x, NULL };
    ck_assert_int_eq(nn_forward(net, &three, NN_MODE_INFER, NULL), SH_EINVAL);
    ck_assert_int_eq(nn_forward(net, &wide, NN_MODE_INFER, NULL), SH_EINVAL);
    sh_csr s;
    ck_assert_int_eq(csr_init(&s, 10), 0);
    ck_assert_int_eq(csr_append_row(&s, 0, NULL, NULL), 0);
    ck_assert_int_eq(csr_append_row(&s, 0, NULL, NULL), 0);
    nn_data sparse = { 2, 10, NULL, &s };
    ck_assert_int_eq(nn_forward(net, &sparse, NN_MODE_INFER, NULL), SH_EINVAL);
    ck_assert_int_eq(nn_forward(net, &ok, NN_MODE_INFER, NULL), 0);
    ck_assert_int_eq(nn_loss(net, &sparse, NULL), SH_EINVAL); /* MSE wants dense */
    ck_assert_int_eq(nn_loss(net, &wide, NULL), SH_EINVAL);
    /* an empty batch is fine */
    nn_data none = { 0, 10, x, NULL };
    nn_loss_parts parts;
    ck_assert_int_eq(nn_forward(net, &none, NN_MODE_INFER, NULL), 0);
    ck_assert_int_eq(nn_loss(net, &none, &parts), 0);
    ck_assert_double_eq(parts.total, 0.0);
    /* parameter count: 10x4 + 4 + 4x10 + 10 */
    ck_assert_uint_eq(net->n_params, 94);
    csr_free(&s);
    nn_free(net);
    nn_free(NULL);
    /* a binary code cannot sample without an rng */
    nn_config_defaults(&cfg, 10, 4);
    cfg.code_kind = NN_CODE_BINARY;
    ck_assert_int_eq(nn_new(&cfg, NULL, &net, err, sizeof err), 0);
    ck_assert_int_eq(nn_forward(net, &ok, NN_MODE_TRAIN, NULL), SH_EINVAL);
    ck_assert_int_eq(nn_encode(net, &ok, NN_MODE_TRAIN, NULL, NULL), SH_EINVAL);
    ck_assert_int_eq(nn_forward(net, &ok, NN_MODE_INFER, NULL), 0);
    nn_free(net);
}
END_TEST

Suite *nn_net_suite(void)
{
    Suite *s = suite_create("nn_net");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(core, gradcheck_dense_real_sparse_mse);
    tcase_add_test(core, gradcheck_csr_binary_softmax);
    tcase_add_test(core, gradcheck_gaussian_bce);
    tcase_add_test(core, csr_input_equals_its_dense_copy);
    tcase_add_test(core, encode_decode_match_forward);
    tcase_add_test(core, clones_compute_the_same);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(limits, rejects_bad_configs_and_inputs);
    suite_add_tcase(s, limits);
    return s;
}
