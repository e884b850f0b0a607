/* test_nn_io.c — saving and loading networks: bit-exact round trips
 * (same bytes, same outputs) for every code kind and both input kinds,
 * several networks in one model, and SH_EMODEL for damaged or foreign
 * content. Fixtures live in a mkdtemp directory. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modelfile.h"
#include "nn_io.h"
#include "sh_error.h"
#include "test_files.h"
#include "test_nn_util.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sh_nn_io_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(const char **files, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    ck_assert_int_eq(rmdir(tmpdir), 0);
}

/* Finishes w (and frees it) and reads the bytes back as a model labelled
 * label. The bytes stay in *buf for the caller to free after the model. */
static mf_model *finish_and_read(mf_writer *w, const char *label, uint8_t **buf)
{
    size_t len;
    ck_assert_int_eq(mf_writer_finish(w, buf, &len), 0);
    mf_writer_free(w);
    mf_model *m;
    ck_assert_int_eq(mf_read_buffer(*buf, len, label, &m, NULL, 0), 0);
    return m;
}

static nn_net *make_net(int code_kind, int csr, uint64_t seed)
{
    nn_config cfg;
    nn_config_defaults(&cfg, 23, 6);
    cfg.input_kind = csr ? NN_INPUT_CSR : NN_INPUT_DENSE;
    cfg.n_enc = 2;
    cfg.enc_hidden[0] = 11;
    cfg.enc_hidden[1] = 7;
    cfg.code_kind = (nn_code_kind)code_kind;
    cfg.loss = csr ? NN_LOSS_SOFTMAX : NN_LOSS_BCE;
    cfg.dec_mirror = (uint32_t)!csr;
    cfg.n_dec = 1;
    cfg.dec_hidden[0] = 9;
    cfg.dec_act = SH_ACT_TANH;
    cfg.weight_decay = 0.25f;
    cfg.max_batch = 8;
    sh_rng rng;
    rng_seed(&rng, seed);
    nn_net *net;
    ck_assert_int_eq(nn_new(&cfg, &rng, &net, NULL, 0), 0);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] += 0.01f * rng_normal(&rng); /* biases non-zero too */
    return net;
}

START_TEST(round_trip_is_bit_exact)
{
    make_tmpdir();
    const char *files[] = { "net.shm", "again.shm" };
    char path[512], again[512], err[300];
    snprintf(path, sizeof path, "%s/net.shm", tmpdir);
    snprintf(again, sizeof again, "%s/again.shm", tmpdir);
    sh_rng rng;
    rng_seed(&rng, 51);
    sh_csr xs;
    tu_random_csr(&rng, &xs, 8, 23, 0.3, 1);
    float xd[8 * 23];
    tu_fill_uniform(&rng, xd, 8 * 23, 0, 1);
    for (int kind = 0; kind < 3; kind++) {
        for (int csr = 0; csr < 2; csr++) {
            nn_net *a = make_net(kind, csr, 100 + (uint64_t)kind), *b = NULL;
            ck_assert_msg(nn_save_file(a, path, err, sizeof err) == 0, "%s", err);
            ck_assert_msg(nn_load_file(path, 0, 0, &b, err, sizeof err) == 0, "%s", err);
            ck_assert_mem_eq(&a->cfg, &b->cfg, sizeof(nn_config));
            ck_assert_uint_eq(a->n_params, b->n_params);
            ck_assert_mem_eq(a->params, b->params, a->n_params * sizeof(float));
            nn_data in = { 8, 23, csr ? NULL : xd, csr ? &xs : NULL };
            float out_a[8 * 23], out_b[8 * 23];
            ck_assert_int_eq(nn_forward(a, &in, NN_MODE_INFER, NULL), 0);
            memcpy(out_a, nn_output(a), sizeof out_a);
            ck_assert_int_eq(nn_forward(b, &in, NN_MODE_INFER, NULL), 0);
            memcpy(out_b, nn_output(b), sizeof out_b);
            ck_assert_mem_eq(out_a, out_b, sizeof out_a);
            ck_assert_mem_eq(a->code, b->code, 8 * 6 * sizeof(float));
            /* saving the loaded net gives the same file, byte for byte */
            ck_assert_int_eq(nn_save_file(b, again, err, sizeof err), 0);
            size_t len1, len2;
            char *f1 = tf_read(path, &len1), *f2 = tf_read(again, &len2);
            ck_assert_uint_eq(len1, len2);
            ck_assert_mem_eq(f1, f2, len1);
            ck_assert_uint_gt(len1, a->n_params * sizeof(float));
            free(f1);
            free(f2);
            nn_free(b);
            /* max_batch override */
            ck_assert_int_eq(nn_load_file(path, 3, 1, &b, err, sizeof err), 0);
            ck_assert_uint_eq(b->max_batch, 3);
            ck_assert_ptr_null(b->grads); /* inference-only */
            ck_assert_mem_eq(a->params, b->params, a->n_params * sizeof(float));
            nn_free(b);
            nn_free(a);
        }
    }
    csr_free(&xs);
    remove_tmpdir(files, 2);
}
END_TEST

START_TEST(several_networks_in_one_model)
{
    nn_net *a = make_net(NN_CODE_BINARY, 0, 1), *b = make_net(NN_CODE_REAL, 1, 2), *got = NULL;
    mf_writer *w;
    ck_assert_int_eq(mf_writer_new(MF_KIND_CLASSIFIER, &w), 0);
    ck_assert_int_eq(nn_save_sections(a, w, '0'), 0);
    ck_assert_int_eq(nn_save_sections(b, w, '1'), 0);
    uint8_t *buf;
    mf_model *m = finish_and_read(w, "two nets", &buf);
    ck_assert_int_eq(nn_load_sections(m, '1', 0, 0, &got, NULL, 0), 0);
    ck_assert_uint_eq(got->n_params, b->n_params);
    ck_assert_mem_eq(got->params, b->params, b->n_params * sizeof(float));
    nn_free(got);
    ck_assert_int_eq(nn_load_sections(m, '0', 0, 1, &got, NULL, 0), 0);
    ck_assert_mem_eq(got->params, a->params, a->n_params * sizeof(float));
    nn_free(got);
    got = NULL;
    char err[300];
    ck_assert_int_eq(nn_load_sections(m, '2', 0, 0, &got, err, sizeof err), SH_EMODEL);
    ck_assert_ptr_null(got);
    ck_assert(strstr(err, "two nets") != NULL);
    mf_model_free(m);
    free(buf);
    nn_free(a);
    nn_free(b);
}
END_TEST

/* Builds a model whose config section is `cfg_bytes` (patched) and whose
 * parameter section is `params`, and tries to load it. */
static int load_forged(const void *cfg_bytes, size_t cfg_len, const float *params, size_t n,
                       char *err, size_t err_len)
{
    mf_writer *w;
    ck_assert_int_eq(mf_writer_new(MF_KIND_AUTOENCODER, &w), 0);
    ck_assert_int_eq(mf_writer_add(w, NN_TAG_CONFIG('0'), cfg_bytes, cfg_len), 0);
    ck_assert_int_eq(mf_writer_add(w, NN_TAG_PARAMS('0'), params, n * sizeof(float)), 0);
    uint8_t *buf;
    mf_model *m = finish_and_read(w, "forged", &buf);
    nn_net *net = NULL;
    int rc = nn_load_sections(m, '0', 0, 0, &net, err, err_len);
    if (rc == 0)
        nn_free(net);
    else
        ck_assert_ptr_null(net);
    mf_model_free(m);
    free(buf);
    return rc;
}

START_TEST(mismatches_are_model_errors)
{
    nn_net *a = make_net(NN_CODE_GAUSSIAN, 0, 7);
    mf_writer *w;
    ck_assert_int_eq(mf_writer_new(MF_KIND_AUTOENCODER, &w), 0);
    ck_assert_int_eq(nn_save_sections(a, w, '0'), 0);
    uint8_t *buf;
    mf_model *m = finish_and_read(w, "good", &buf);
    const void *cdata;
    size_t clen;
    ck_assert_int_eq(mf_model_section(m, NN_TAG_CONFIG('0'), &cdata, &clen), 0);
    uint8_t *cfg = malloc(clen);
    char err[300] = "";

    /* unchanged sections load */
    memcpy(cfg, cdata, clen);
    ck_assert_int_eq(load_forged(cfg, clen, a->params, a->n_params, err, sizeof err), 0);
    /* one parameter short */
    ck_assert_int_eq(load_forged(cfg, clen, a->params, a->n_params - 1, err, sizeof err), SH_EMODEL);
    ck_assert(strstr(err, "forged") != NULL);
    /* every byte of the config changed in turn: loads fine or SH_EMODEL,
     * never anything else, never a crash */
    int rejected = 0;
    for (size_t i = 0; i < clen; i++) {
        memcpy(cfg, cdata, clen);
        cfg[i] ^= 0x5a;
        int rc = load_forged(cfg, clen, a->params, a->n_params, err, sizeof err);
        ck_assert_msg(rc == 0 || rc == SH_EMODEL, "byte %zu: %d", i, rc);
        rejected += rc == SH_EMODEL;
    }
    ck_assert_int_gt(rejected, (int)clen / 2);
    /* every truncation of the config section */
    for (size_t cut = 0; cut < clen; cut++) {
        memcpy(cfg, cdata, clen);
        ck_assert_int_eq(load_forged(cfg, cut, a->params, a->n_params, err, sizeof err), SH_EMODEL);
    }
    /* a stored layer shape that disagrees with the config: the first
     * layer's input width lives right after the version, the config fields
     * and the layer count */
    size_t shape_at = clen - 8 - 16 * a->n_layers;
    memcpy(cfg, cdata, clen);
    cfg[shape_at] ^= 1;
    ck_assert_int_eq(load_forged(cfg, clen, a->params, a->n_params, err, sizeof err), SH_EMODEL);
    ck_assert(strstr(err, "shapes") != NULL);
    free(cfg);
    mf_model_free(m);
    free(buf);

    /* a model of another kind is not an autoencoder file */
    make_tmpdir();
    const char *files[] = { "k.shm" };
    char path[512];
    snprintf(path, sizeof path, "%s/k.shm", tmpdir);
    ck_assert_int_eq(mf_writer_new(MF_KIND_DEC, &w), 0);
    ck_assert_int_eq(nn_save_sections(a, w, '0'), 0);
    ck_assert_int_eq(mf_writer_save(w, path, NULL, 0), 0);
    mf_writer_free(w);
    nn_net *b = NULL;
    ck_assert_int_eq(nn_load_file(path, 0, 0, &b, err, sizeof err), SH_EMODEL);
    ck_assert_ptr_null(b);
    remove_tmpdir(files, 1);
    nn_free(a);
}
END_TEST

Suite *nn_io_suite(void)
{
    Suite *s = suite_create("nn_io");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(core, round_trip_is_bit_exact);
    tcase_add_test(core, several_networks_in_one_model);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60); /* seconds: stays safe on a loaded machine */
    tcase_add_test(limits, mismatches_are_model_errors);
    suite_add_tcase(s, limits);
    return s;
}
