/* ae_text.c — text corpora as CSR rows for the blades (see ae_text.h). */
#include "ae_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sh_error.h"

int ae_text_load(const char *path, int vocab_size, ae_text_data *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    sh_config cfg;
    config_defaults(&cfg);
    if (vocab_size > 0)
        cfg.text.vocab_size = vocab_size;
    corpus_options opts = corpus_default_options();
    int rc = corpus_build_vocab(path, &opts, &cfg.text, 1, &out->vocab, NULL, err, err_len);
    if (rc == 0)
        rc = corpus_vectorize(path, &opts, out->vocab, &out->m, NULL, err, err_len);
    return rc;
}

void ae_text_free(ae_text_data *t)
{
    if (t == NULL)
        return;
    corpus_matrix_free(&t->m);
    text_vocab_free(t->vocab);
    memset(t, 0, sizeof(*t));
}

int ae_text_has_label(const ae_text_data *t, size_t doc, const char *label)
{
    uint32_t id;
    if (doc >= t->m.labels.n ||
        text_strtab_find(&t->m.label_names, label, strlen(label), &id) != 0)
        return 0;
    for (size_t k = t->m.labels.ptr[doc]; k < t->m.labels.ptr[doc + 1]; k++)
        if (t->m.labels.ids[k] == id)
            return 1;
    return 0;
}

int ae_row_nll(nn_net *net, const nn_data *in, const sh_csr *counts, float *scores)
{
    size_t V = net->cfg.input_dim, step = net->max_batch, N = in->rows;
    if (net->cfg.loss != NN_LOSS_SOFTMAX || in->csr == NULL || in->cols != V ||
        counts->rows != N || counts->cols != V)
        return SH_EINVAL;
    uint32_t *idx = malloc(step * sizeof(uint32_t));
    sh_csr rows;
    int rc = csr_init(&rows, V);
    if (idx == NULL || rc != 0) {
        rc = SH_ENOMEM;
        goto fail;
    }
    for (size_t row0 = 0; row0 < N; row0 += step) {
        size_t n = N - row0 < step ? N - row0 : step;
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)(row0 + i);
        nn_data chunk;
        if ((rc = nn_data_gather(&chunk, in, idx, n, NULL, &rows)) != 0 ||
            (rc = nn_forward(net, &chunk, NN_MODE_INFER, NULL)) != 0)
            goto fail;
        const float *p = nn_output(net); /* [n, V] softmax */
        for (size_t i = 0; i < n; i++) {
            size_t r = row0 + i;
            double nll = 0.0, tokens = 0.0;
            for (size_t e = counts->row_ptr[r]; e < counts->row_ptr[r + 1]; e++) {
                double c = counts->values[e];
                double pv = p[i * V + counts->col_idx[e]];
                nll -= c * log(pv > 1e-30 ? pv : 1e-30);
                tokens += c;
            }
            scores[r] = tokens > 0 ? (float)(nll / tokens) : 0.0f;
        }
    }
fail:
    free(idx);
    csr_free(&rows);
    return rc;
}
