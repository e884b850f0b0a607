/* ae_blade_model.c — loading and saving a model of any toolkit blade
 * (see ae_blade_model.h). */
#include "ae_blade_model.h"

#include <stdlib.h>
#include <string.h>

#include "ae_dec.h"
#include "nn_io.h"
#include "sh_error.h"

void ae_blade_model_free(ae_blade_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_nets && m->nets != NULL; i++)
        nn_free(m->nets[i]);
    free(m->nets);
    free(m->centroids);
    ae_softmax_free(&m->head);
    memset(m, 0, sizeof(*m));
}

/* A one-element array holding net (freed on failure). */
static int lone_net(ae_blade_model *m, nn_net *net)
{
    if ((m->nets = malloc(sizeof(*m->nets))) == NULL) {
        nn_free(net);
        return SH_ENOMEM;
    }
    m->nets[0] = net;
    m->n_nets = 1;
    return 0;
}

int ae_blade_model_load(const char *path, ae_blade_model *out, char *err, size_t err_len)
{
    mf_model *mf = NULL;
    nn_net *net = NULL;
    memset(out, 0, sizeof(*out));
    int rc = ae_model_open(path, &out->meta, &mf, err, err_len);
    if (rc != 0)
        return rc;
    switch (out->meta.blade) {
    case AE_BLADE_ANOMALY:
        rc = ae_anomaly_read(mf, &net, &out->threshold, err, err_len);
        break;
    case AE_BLADE_CLUSTER:
        rc = ae_dec_read(mf, &net, &out->centroids, &out->clusters, &out->alpha,
                         &out->code_len, err, err_len);
        break;
    case AE_BLADE_CLASSIFY:
        rc = ae_classify_read(mf, &out->nets, &out->n_nets, &out->head, err, err_len);
        break;
    default:
        rc = nn_load_sections(mf, '0', 0, 1, &net, err, err_len);
        break;
    }
    if (rc == 0 && net != NULL && (rc = lone_net(out, net)) != 0)
        sh_fail(err, err_len, rc, "%s: out of memory", path);
    mf_model_free(mf);
    if (rc != 0)
        ae_blade_model_free(out);
    return rc;
}

int ae_blade_model_save(const ae_blade_model *m, const char *path, char *err, size_t err_len)
{
    if (m->nets == NULL || m->n_nets == 0)
        return sh_fail(err, err_len, SH_EINVAL, "%s: nothing to save (the model has no network)",
                       path);
    switch (m->meta.blade) {
    case AE_BLADE_ANOMALY:
        return ae_anomaly_save(m->nets[0], &m->threshold, &m->meta, path, err, err_len);
    case AE_BLADE_CLUSTER:
        return ae_dec_save(m->nets[0], m->centroids, m->clusters, m->alpha, m->code_len, &m->meta,
                           path, err, err_len);
    case AE_BLADE_CLASSIFY:
        return ae_classify_save(m->nets, m->n_nets, &m->head, &m->meta, path, err, err_len);
    default:
        return ae_save_net(m->nets[0], &m->meta, path, err, err_len);
    }
}
