/* nn_io.c — a network's config and parameter arena as model-file
 * sections, and whole autoencoder model files. */
#include "nn_io.h"

#include <stdlib.h>
#include <string.h>

#include "sh_error.h"

#define NN_IO_VERSION 1u

/* Writes (or, with r non-NULL, reads) the config fields in one fixed
 * order, so the two directions cannot drift apart. */
typedef struct {
    mf_writer *w;
    mf_cursor *r;
    int rc;
} field_io;

static void io_u32(field_io *io, uint32_t *v)
{
    if (io->rc != 0)
        return;
    io->rc = io->w != NULL ? mf_put_u32(io->w, *v) : mf_get_u32(io->r, v);
}

static void io_enum(field_io *io, void *e) /* enums are stored as u32 */
{
    int *ev = e;
    uint32_t v = (uint32_t)*ev;
    io_u32(io, &v);
    *ev = (int)v;
}

static void io_f32(field_io *io, float *v)
{
    if (io->rc != 0)
        return;
    io->rc = io->w != NULL ? mf_put_f32(io->w, *v) : mf_get_f32(io->r, v);
}

static void config_fields(field_io *io, nn_config *c)
{
    io_u32(io, &c->input_dim);
    io_enum(io, &c->input_kind);
    io_u32(io, &c->n_enc);
    for (int i = 0; i < NN_MAX_HIDDEN; i++)
        io_u32(io, &c->enc_hidden[i]);
    io_enum(io, &c->enc_act);
    io_enum(io, &c->code_kind);
    io_u32(io, &c->code_dim);
    io_enum(io, &c->code_act);
    io_u32(io, &c->dec_mirror);
    io_u32(io, &c->n_dec);
    for (int i = 0; i < NN_MAX_HIDDEN; i++)
        io_u32(io, &c->dec_hidden[i]);
    io_enum(io, &c->dec_act);
    io_enum(io, &c->loss);
    io_f32(io, &c->weight_decay);
    io_f32(io, &c->sparsity_rho);
    io_f32(io, &c->sparsity_beta);
    io_f32(io, &c->bernoulli_kl);
    io_f32(io, &c->vae_kl);
    io_u32(io, &c->max_batch);
}

int nn_save_sections(const nn_net *net, mf_writer *w, char slot)
{
    nn_config cfg = net->cfg;
    int rc = mf_writer_begin(w, NN_TAG_CONFIG(slot));
    if (rc != 0)
        return rc;
    field_io io = { w, NULL, mf_put_u32(w, NN_IO_VERSION) };
    config_fields(&io, &cfg);
    if (io.rc == 0)
        io.rc = mf_put_u32(w, (uint32_t)net->n_layers);
    for (size_t l = 0; l < net->n_layers && io.rc == 0; l++) {
        io.rc = mf_put_u64(w, net->in_dim[l]);
        if (io.rc == 0)
            io.rc = mf_put_u64(w, net->out_dim[l]);
    }
    if (io.rc == 0)
        io.rc = mf_put_u64(w, net->n_params);
    if (io.rc == 0)
        io.rc = mf_writer_end(w);
    if (io.rc == 0)
        io.rc = mf_writer_begin(w, NN_TAG_PARAMS(slot));
    if (io.rc == 0)
        io.rc = mf_put_f32_array(w, net->params, net->n_params);
    if (io.rc == 0)
        io.rc = mf_writer_end(w);
    return io.rc;
}

int nn_load_sections(const mf_model *m, char slot, uint32_t max_batch, int inference_only,
                     nn_net **out, char *err, size_t err_len)
{
    const char *label = mf_model_label(m);
    const void *cdata, *pdata;
    size_t clen, plen;
    if (mf_model_section(m, NN_TAG_CONFIG(slot), &cdata, &clen) != 0 ||
        mf_model_section(m, NN_TAG_PARAMS(slot), &pdata, &plen) != 0)
        return sh_fail(err, err_len, SH_EMODEL, "%s: no network in slot '%c'", label, slot);
    mf_cursor cur;
    mf_cursor_init(&cur, cdata, clen);
    uint32_t version = 0;
    nn_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    field_io io = { NULL, &cur, mf_get_u32(&cur, &version) };
    if (io.rc == 0 && version != NN_IO_VERSION)
        return sh_fail(err, err_len, SH_EMODEL, "%s: network section version %u, expected %u",
                       label, version, NN_IO_VERSION);
    config_fields(&io, &cfg);
    if (io.rc != 0)
        return sh_fail(err, err_len, SH_EMODEL, "%s: network config section is too short", label);
    if (max_batch > 0)
        cfg.max_batch = max_batch;
    char why[160] = "";
    if (nn_config_check(&cfg, why, sizeof why) != 0)
        return sh_fail(err, err_len, SH_EMODEL, "%s: stored network config: %s", label, why);
    if (plen != nn_config_param_count(&cfg) * sizeof(float)) /* before allocating anything */
        return sh_fail(err, err_len, SH_EMODEL,
                       "%s: parameter section holds %zu bytes, the stored config needs %zu", label,
                       plen, nn_config_param_count(&cfg) * sizeof(float));
    nn_net *net = NULL;
    int rc = inference_only ? nn_new_inference(&cfg, &net, why, sizeof why)
                            : nn_new(&cfg, NULL, &net, why, sizeof why);
    if (rc != 0)
        return sh_fail(err, err_len, rc == SH_ENOMEM ? SH_ENOMEM : SH_EMODEL, "%s: %s", label,
                       rc == SH_ENOMEM ? "out of memory building the network" : why);
    uint32_t n_layers = 0;
    uint64_t n_params = 0;
    rc = mf_get_u32(&cur, &n_layers);
    if (rc == 0 && n_layers != net->n_layers)
        goto mismatch;
    for (size_t l = 0; l < net->n_layers && rc == 0; l++) {
        uint64_t in = 0, o = 0;
        rc = mf_get_u64(&cur, &in);
        if (rc == 0)
            rc = mf_get_u64(&cur, &o);
        if (rc == 0 && (in != net->in_dim[l] || o != net->out_dim[l]))
            goto mismatch;
    }
    if (rc == 0)
        rc = mf_get_u64(&cur, &n_params);
    if (rc != 0)
        goto mismatch;
    if (n_params != net->n_params || mf_cursor_left(&cur) != 0 ||
        plen != net->n_params * sizeof(float))
        goto mismatch;
    mf_cursor_init(&cur, pdata, plen);
    if (mf_get_f32_array(&cur, net->params, net->n_params) != 0)
        goto mismatch;
    *out = net;
    return 0;
mismatch:
    nn_free(net);
    return sh_fail(err, err_len, SH_EMODEL,
                   "%s: stored network shapes do not match its config (damaged or foreign model)",
                   label);
}

int nn_save_file(const nn_net *net, const char *path, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    int rc = mf_writer_new(MF_KIND_AUTOENCODER, &w);
    if (rc == 0)
        rc = nn_save_sections(net, w, '0');
    if (rc != 0) {
        sh_fail(err, err_len, rc, "%s: cannot build the model: %s", path, sh_strerror(rc));
        goto done;
    }
    rc = mf_writer_save(w, path, err, err_len);
done:
    mf_writer_free(w);
    return rc;
}

int nn_load_file(const char *path, uint32_t max_batch, int inference_only, nn_net **out,
                 char *err, size_t err_len)
{
    mf_model *m = NULL;
    int rc = mf_read_file(path, &m, err, err_len);
    if (rc != 0)
        return rc;
    if (mf_model_kind(m) != MF_KIND_AUTOENCODER)
        rc = sh_fail(err, err_len, SH_EMODEL, "%s: model kind %u is not a plain autoencoder (%u)",
                     path, mf_model_kind(m), (unsigned)MF_KIND_AUTOENCODER);
    else
        rc = nn_load_sections(m, '0', max_batch, inference_only, out, err, err_len);
    mf_model_free(m);
    return rc;
}
