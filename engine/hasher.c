/* hasher.c — text settings + vocabulary + encoder as one object: fit,
 * encode, save, load. See hasher.h. */
#include "hasher.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "baseline_hash.h"
#include "itq.h"
#include "nn_io.h"
#include "sh_error.h"
#include "text_tokenize.h"
#include "text_vectorize.h"

#define HASHER_MAX_CONFIG_YAML (1u << 20)

struct sh_hasher {
    sh_config cfg;
    text_vocab *vocab;            /* owned */
    text_vectorizer *vec;         /* owned; scratch for hasher_encode_text */
    sh_csr row;                   /* [1, V] scratch row for hasher_encode_text */
    int ready;
    /* every encoder: bit k = score_k > thresholds[k] (ae: the code
     * layer's logit, or its bit probability in a version 1 model;
     * simhash, lsh: projection, 0 = the uncentred encoder) */
    float thresholds[SH_CODE_MAX_BITS];
    int ae_prob_thresholds;       /* 1: a version 1 model's probability thresholds */
    /* ae */
    nn_net *net;                  /* owned */
    /* simhash */
    uint64_t *term_hash;          /* [V], owned */
    /* lsh */
    sh_lsh *lsh;                  /* owned */
    /* itq */
    sh_itq *itq;                  /* owned */
};

const char *hasher_encoder_name(sh_encoder_kind kind)
{
    switch (kind) {
    case SH_ENCODER_AE:
        return "ae";
    case SH_ENCODER_SIMHASH:
        return "simhash";
    case SH_ENCODER_LSH:
        return "lsh";
    case SH_ENCODER_ITQ:
        return "itq";
    }
    return "unknown";
}

/* ---- vocabulary and vectors --------------------------------------------- */

int hasher_build_vocab(const sh_config *cfg, const hasher_doc *docs, size_t n, text_vocab **out,
                       size_t *skipped, char *err, size_t err_len)
{
    text_tokenizer *tok = NULL;
    text_vocab_builder *b = NULL;
    size_t binary = 0;
    int rc = text_tokenizer_new(&cfg->text, &tok, err, err_len);
    if (rc != 0)
        goto fail;
    if ((rc = text_vocab_builder_new(&b)) != 0) {
        sh_fail(err, err_len, rc, "out of memory for the vocabulary");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        rc = text_vocab_builder_add(b, tok, docs[i].text, docs[i].len);
        if (rc == SH_EINPUT) {
            binary++;
            continue;
        }
        if (rc != 0) {
            sh_fail(err, err_len, rc, "vocabulary: document %zu: %s", i, sh_strerror(rc));
            goto fail;
        }
    }
    if (text_vocab_builder_docs(b) == 0) {
        rc = sh_fail(err, err_len, SH_EEMPTY, "the corpus is empty: no text document to learn from%s",
                     binary ? " (every document was binary)" : "");
        goto fail;
    }
    rc = text_vocab_builder_finish(b, &cfg->text, out, err, err_len);
fail:
    if (skipped != NULL)
        *skipped = binary;
    text_tokenizer_free(tok);
    text_vocab_builder_free(b);
    return rc;
}

int hasher_vectorize_docs(const text_vocab *vocab, const hasher_doc *docs, size_t n,
                          sh_csr *tfidf, sh_csr *counts, char *err, size_t err_len)
{
    text_vectorizer *vec = NULL;
    int rc = text_vectorizer_new(vocab, &vec, err, err_len);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = text_vectorize_append(vec, docs[i].text, docs[i].len, tfidf, counts);
        if (rc == SH_EINPUT) { /* binary: an empty row keeps row i = document i */
            rc = csr_append_row(tfidf, 0, NULL, NULL);
            if (rc == 0 && counts != NULL)
                rc = csr_append_row(counts, 0, NULL, NULL);
        }
        if (rc != 0)
            sh_fail(err, err_len, rc, "vectorising document %zu: %s", i, sh_strerror(rc));
    }
    text_vectorizer_free(vec);
    return rc;
}

/* ---- the hasher ---------------------------------------------------------- */

static int copy_vocab(const text_vocab *v, text_vocab **out, char *err, size_t err_len)
{
    size_t n = text_vocab_size(v);
    const char **terms = malloc((n ? n : 1) * sizeof(char *));
    size_t *lens = malloc((n ? n : 1) * sizeof(size_t));
    uint32_t *dfs = malloc((n ? n : 1) * sizeof(uint32_t));
    int rc = SH_ENOMEM;
    if (terms != NULL && lens != NULL && dfs != NULL) {
        for (size_t i = 0; i < n; i++) {
            terms[i] = text_vocab_term(v, (uint32_t)i, &lens[i]);
            dfs[i] = text_vocab_df(v, (uint32_t)i);
        }
        rc = text_vocab_from_terms(text_vocab_config(v), text_vocab_docs(v), n, terms, lens, dfs,
                                   out, err, err_len);
    } else {
        sh_fail(err, err_len, rc, "out of memory copying the vocabulary");
    }
    free(terms);
    free(lens);
    free(dfs);
    return rc;
}

/* A hasher around an owned vocabulary (taken over only on success). */
static int hasher_wrap(const sh_config *cfg, text_vocab *vocab, sh_hasher **out, char *err,
                       size_t err_len)
{
    if (!code_bits_valid(cfg->model.code_bits))
        return sh_fail(err, err_len, SH_ECONFIG,
                       "key model.code_bits: %d is not a multiple of 8 between 8 and 128",
                       cfg->model.code_bits);
    if (cfg->model.encoder != SH_ENCODER_AE && cfg->model.encoder != SH_ENCODER_SIMHASH &&
        cfg->model.encoder != SH_ENCODER_LSH && cfg->model.encoder != SH_ENCODER_ITQ)
        return sh_fail(err, err_len, SH_ECONFIG, "key model.encoder: unknown encoder %d",
                       (int)cfg->model.encoder);
    sh_hasher *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    h->cfg = *cfg;
    h->cfg.text = *text_vocab_config(vocab);
    int rc = text_vectorizer_new(vocab, &h->vec, err, err_len);
    if (rc == 0 && (rc = csr_init(&h->row, text_vocab_size(vocab))) != 0)
        sh_fail(err, err_len, rc, "out of memory");
    if (rc != 0) {
        text_vectorizer_free(h->vec);
        csr_free(&h->row);
        free(h);
        return rc;
    }
    h->vocab = vocab;
    *out = h;
    return 0;
}

int hasher_new(const sh_config *cfg, const text_vocab *vocab, sh_hasher **out, char *err,
               size_t err_len)
{
    text_vocab *copy = NULL;
    int rc = copy_vocab(vocab, &copy, err, err_len);
    if (rc == 0 && (rc = hasher_wrap(cfg, copy, out, err, err_len)) != 0)
        text_vocab_free(copy);
    return rc;
}

void hasher_free(sh_hasher *h)
{
    if (h == NULL)
        return;
    text_vectorizer_free(h->vec);
    csr_free(&h->row);
    text_vocab_free(h->vocab);
    nn_free(h->net);
    free(h->term_hash);
    lsh_free(h->lsh);
    itq_free(h->itq);
    free(h);
}

static uint64_t *simhash_term_hashes(const text_vocab *v)
{
    size_t V = text_vocab_size(v);
    uint64_t *hashes = malloc((V ? V : 1) * sizeof(uint64_t));
    if (hashes == NULL)
        return NULL;
    for (size_t i = 0; i < V; i++) {
        size_t len;
        const char *term = text_vocab_term(v, (uint32_t)i, &len);
        hashes[i] = XXH64(term, len, 0);
    }
    return hashes;
}

int hasher_fit(sh_hasher *h, const sh_csr *tfidf, const sh_csr *counts,
               const hash_train_opts *recipe, hash_train_summary *summary, char *err,
               size_t err_len)
{
    size_t V = text_vocab_size(h->vocab);
    if (tfidf == NULL || tfidf->cols != V || (counts != NULL && counts->cols != V))
        return sh_fail(err, err_len, SH_EINVAL,
                       "hasher_fit: rows must have the vocabulary's %zu columns", V);
    int bits = h->cfg.model.code_bits;
    switch (h->cfg.model.encoder) {
    case SH_ENCODER_SIMHASH: {
        uint64_t *hashes = simhash_term_hashes(h->vocab);
        if (hashes == NULL)
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory for term hashes");
        float offsets[SH_CODE_MAX_BITS];
        int rc = simhash_fit_offsets(tfidf, hashes, bits, offsets);
        if (rc != 0) {
            free(hashes);
            return sh_fail(err, err_len, rc, "SimHash centring: %s", sh_strerror(rc));
        }
        free(h->term_hash);
        h->term_hash = hashes;
        memcpy(h->thresholds, offsets, (size_t)bits * sizeof(float));
        break;
    }
    case SH_ENCODER_LSH: {
        sh_lsh *lsh = NULL;
        float offsets[SH_CODE_MAX_BITS];
        int rc = lsh_new(V, bits, h->cfg.train.seed, &lsh);
        if (rc != 0)
            return sh_fail(err, err_len, rc, "LSH with %zu terms x %d bits: %s", V, bits,
                           sh_strerror(rc));
        if ((rc = lsh_fit_offsets(lsh, tfidf, offsets)) != 0) {
            lsh_free(lsh);
            return sh_fail(err, err_len, rc, "LSH centring: %s", sh_strerror(rc));
        }
        lsh_free(h->lsh);
        h->lsh = lsh;
        memcpy(h->thresholds, offsets, (size_t)bits * sizeof(float));
        break;
    }
    case SH_ENCODER_ITQ: {
        sh_itq *itq = NULL;
        int rc = itq_fit(tfidf, bits, ITQ_ITERATIONS, h->cfg.train.seed, &itq, NULL);
        if (rc == SH_EINVAL)
            return sh_fail(err, err_len, rc,
                           "ITQ with %d bits needs at least %d training documents and %d "
                           "vocabulary terms (have %zu and %zu)", bits, bits + 1, bits,
                           tfidf->rows, V);
        if (rc != 0)
            return sh_fail(err, err_len, rc, "ITQ: %s", sh_strerror(rc));
        itq_free(h->itq);
        h->itq = itq;
        for (int k = 0; k < bits; k++)
            h->thresholds[k] = itq_offset(itq, k);
        break;
    }
    case SH_ENCODER_AE:
    default: {
        if (counts == NULL)
            return sh_fail(err, err_len, SH_EINVAL, "hasher_fit: the autoencoder needs counts");
        hash_train_opts o;
        if (recipe != NULL)
            o = *recipe;
        else
            hash_train_opts_from_config(&o, &h->cfg);
        o.code_bits = bits;
        nn_net *net = NULL;
        float thr[SH_CODE_MAX_BITS];
        int rc = hash_train(&o, tfidf, counts, &net, thr, summary, err, err_len);
        if (rc != 0)
            return rc;
        nn_free(h->net);
        h->net = net;
        memcpy(h->thresholds, thr, (size_t)bits * sizeof(float));
        h->ae_prob_thresholds = 0;
        break;
    }
    }
    h->ready = 1;
    return 0;
}

int hasher_ready(const sh_hasher *h)
{
    return h != NULL && h->ready;
}

int hasher_encode_rows(sh_hasher *h, const sh_csr *rows, sh_code *out)
{
    if (!h->ready || rows->cols != text_vocab_size(h->vocab))
        return SH_EINVAL;
    switch (h->cfg.model.encoder) {
    case SH_ENCODER_SIMHASH:
        return simhash_encode_centred(rows, h->term_hash, h->cfg.model.code_bits,
                                      h->thresholds, out);
    case SH_ENCODER_LSH:
        return lsh_encode_centred(h->lsh, rows, h->thresholds, out);
    case SH_ENCODER_ITQ:
        return itq_encode(h->itq, rows, h->thresholds, out);
    case SH_ENCODER_AE:
    default:
        return hash_encode_rows(h->net, h->thresholds, !h->ae_prob_thresholds, rows, out);
    }
}

int hasher_encode_text(sh_hasher *h, const char *text, size_t len, sh_code *out)
{
    if (!h->ready)
        return SH_EINVAL;
    const uint32_t *ids;
    const float *weights;
    size_t n;
    int rc = text_vectorize_row(h->vec, text, len, &ids, &weights, NULL, &n);
    if (rc != 0)
        return rc;
    csr_clear(&h->row);
    if ((rc = csr_append_row(&h->row, n, ids, weights)) != 0)
        return rc;
    return hasher_encode_rows(h, &h->row, out);
}

int hasher_bits(const sh_hasher *h)
{
    return h->cfg.model.code_bits;
}

sh_encoder_kind hasher_encoder(const sh_hasher *h)
{
    return h->cfg.model.encoder;
}

const text_vocab *hasher_vocab(const sh_hasher *h)
{
    return h->vocab;
}

const sh_config *hasher_config(const sh_hasher *h)
{
    return &h->cfg;
}

const float *hasher_thresholds(const sh_hasher *h)
{
    return h->ready ? h->thresholds : NULL;
}

int hasher_train_docs(const sh_config *cfg, const hasher_doc *docs, size_t n,
                      const hash_train_opts *recipe, sh_hasher **out,
                      hash_train_summary *summary, char *err, size_t err_len)
{
    text_vocab *vocab = NULL;
    sh_hasher *h = NULL;
    sh_csr tfidf, counts;
    int ok_t = csr_init(&tfidf, 1) == 0, ok_c = csr_init(&counts, 1) == 0;
    int rc = SH_ENOMEM;
    if (!ok_t || !ok_c) {
        sh_fail(err, err_len, rc, "out of memory");
        goto fail;
    }
    if ((rc = hasher_build_vocab(cfg, docs, n, &vocab, NULL, err, err_len)) != 0)
        goto fail;
    tfidf.cols = counts.cols = text_vocab_size(vocab);
    if ((rc = hasher_vectorize_docs(vocab, docs, n, &tfidf, &counts, err, err_len)) != 0 ||
        (rc = hasher_wrap(cfg, vocab, &h, err, err_len)) != 0)
        goto fail;
    vocab = NULL; /* the hasher owns it now */
    if ((rc = hasher_fit(h, &tfidf, &counts, recipe, summary, err, err_len)) != 0)
        goto fail;
    *out = h;
    h = NULL;
fail:
    hasher_free(h);
    text_vocab_free(vocab);
    csr_free(&tfidf);
    csr_free(&counts);
    return rc;
}

/* ---- model files --------------------------------------------------------- */

int hasher_write(const sh_hasher *h, mf_writer *w)
{
    if (!h->ready)
        return SH_EINVAL;
    size_t yaml_len = config_to_yaml(&h->cfg, NULL, 0);
    char *yaml = malloc(yaml_len + 1);
    if (yaml == NULL)
        return SH_ENOMEM;
    config_to_yaml(&h->cfg, yaml, yaml_len + 1);
    int is_ae = h->cfg.model.encoder == SH_ENCODER_AE;
    uint32_t n_thr = (uint32_t)h->cfg.model.code_bits;
    int rc = mf_writer_begin(w, HASHER_SECTION);
    if (rc == 0)
        rc = mf_put_u32(w, HASHER_SECTION_VERSION);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)h->cfg.model.encoder);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)h->cfg.model.code_bits);
    if (rc == 0)
        rc = mf_put_u32(w, n_thr);
    if (rc == 0)
        rc = mf_put_f32_array(w, h->thresholds, n_thr);
    if (rc == 0)
        rc = mf_put_string(w, yaml);
    if (rc == 0)
        rc = mf_writer_end(w);
    free(yaml);
    if (rc == 0)
        rc = text_vocab_write(h->vocab, w);
    if (rc == 0 && is_ae)
        rc = nn_save_sections(h->net, w, '0');
    if (rc == 0 && h->cfg.model.encoder == SH_ENCODER_LSH)
        rc = lsh_save(h->lsh, w);
    if (rc == 0 && h->cfg.model.encoder == SH_ENCODER_ITQ)
        rc = itq_save(h->itq, w);
    return rc;
}

int hasher_save(const sh_hasher *h, const char *path, char *err, size_t err_len)
{
    mf_writer *w = NULL;
    int rc = mf_writer_new(MF_KIND_HASHER, &w);
    if (rc != 0)
        return sh_fail(err, err_len, rc, "%s: out of memory", path);
    if ((rc = hasher_write(h, w)) != 0)
        sh_fail(err, err_len, rc, "%s: %s", path,
                rc == SH_EINVAL ? "the hasher is not fitted" : sh_strerror(rc));
    else
        rc = mf_writer_save(w, path, err, err_len);
    mf_writer_free(w);
    return rc;
}

/* Reads the HSH1 section into cfg, thresholds and *version. */
static int read_header(const mf_model *m, sh_config *cfg, float *thresholds,
                       uint32_t *version_out, char *err, size_t err_len)
{
    const char *label = mf_model_label(m);
    const void *data;
    size_t len;
    if (mf_model_section(m, HASHER_SECTION, &data, &len) != 0)
        return sh_fail(err, err_len, SH_EMODEL, "%s: not a document hasher (no HSH1 section)",
                       label);
    mf_cursor c;
    mf_cursor_init(&c, data, len);
    uint32_t version, encoder, bits, n_thr;
    if (mf_get_u32(&c, &version) != 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: hasher section cut short", label);
    if (version < HASHER_SECTION_OLDEST || version > HASHER_SECTION_VERSION)
        return sh_fail(err, err_len, SH_EVERSION,
                       "%s: hasher section version %u, this semhash reads versions %u to %u: "
                       "retrain the model with this version", label, version,
                       HASHER_SECTION_OLDEST, HASHER_SECTION_VERSION);
    *version_out = version;
    const char *yaml;
    size_t yaml_len;
    if (mf_get_u32(&c, &encoder) != 0 || mf_get_u32(&c, &bits) != 0 ||
        mf_get_u32(&c, &n_thr) != 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: hasher section cut short", label);
    /* simhash and lsh models written before centring carry no thresholds */
    int may_omit = encoder == SH_ENCODER_SIMHASH || encoder == SH_ENCODER_LSH;
    if (encoder > SH_ENCODER_ITQ || !code_bits_valid((int)bits) ||
        !(n_thr == bits || (may_omit && n_thr == 0)))
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: hasher section: bad encoder %u, bits %u or threshold count %u",
                       label, encoder, bits, n_thr);
    memset(thresholds, 0, SH_CODE_MAX_BITS * sizeof(float));
    if (mf_get_f32_array(&c, thresholds, n_thr) != 0 ||
        mf_get_string(&c, &yaml, &yaml_len) != 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: hasher section cut short", label);
    if (yaml_len > HASHER_MAX_CONFIG_YAML)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: stored configuration too long", label);
    config_defaults(cfg);
    char cfg_err[256];
    if (config_load_buffer(cfg, yaml, yaml_len, label, cfg_err, sizeof cfg_err) != 0)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: stored configuration: %s", label, cfg_err);
    if ((uint32_t)cfg->model.encoder != encoder || (uint32_t)cfg->model.code_bits != bits)
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: stored configuration disagrees with the hasher section", label);
    return 0;
}

int hasher_read(const mf_model *m, sh_hasher **out, char *err, size_t err_len)
{
    const char *label = mf_model_label(m);
    if (mf_model_kind(m) != MF_KIND_HASHER)
        return sh_fail(err, err_len, SH_EMODEL,
                       "%s: a model of kind %u, not a document hasher (kind %u)", label,
                       mf_model_kind(m), (unsigned)MF_KIND_HASHER);
    sh_config cfg;
    float thr[SH_CODE_MAX_BITS];
    uint32_t version = 0;
    text_vocab *vocab = NULL;
    sh_hasher *h = NULL;
    int rc = read_header(m, &cfg, thr, &version, err, err_len);
    if (rc != 0)
        return rc;
    if ((rc = text_vocab_read(m, &vocab, err, err_len)) != 0) {
        if (rc == SH_ENOTFOUND)
            rc = sh_fail(err, err_len, SH_EMODEL, "%s: the model has no vocabulary", label);
        return rc;
    }
    if ((rc = hasher_wrap(&cfg, vocab, &h, err, err_len)) != 0) {
        text_vocab_free(vocab);
        return rc;
    }
    size_t V = text_vocab_size(h->vocab);
    switch (cfg.model.encoder) {
    case SH_ENCODER_SIMHASH:
        if ((h->term_hash = simhash_term_hashes(h->vocab)) == NULL)
            rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", label);
        break;
    case SH_ENCODER_LSH:
        rc = lsh_load(m, &h->lsh, err, err_len);
        if (rc == SH_ENOTFOUND)
            rc = sh_fail(err, err_len, SH_EMODEL, "%s: LSH model without its section", label);
        if (rc == 0 && (lsh_vocab(h->lsh) != V || lsh_bits(h->lsh) != cfg.model.code_bits))
            rc = sh_fail(err, err_len, SH_EMODEL,
                         "%s: LSH shapes disagree with the vocabulary or code width", label);
        break;
    case SH_ENCODER_ITQ:
        rc = itq_load(m, &h->itq, err, err_len);
        if (rc == SH_ENOTFOUND)
            rc = sh_fail(err, err_len, SH_EMODEL, "%s: ITQ model without its section", label);
        if (rc == 0 && (itq_vocab(h->itq) != V || itq_bits(h->itq) != cfg.model.code_bits))
            rc = sh_fail(err, err_len, SH_EMODEL,
                         "%s: ITQ shapes disagree with the vocabulary or code width", label);
        break;
    case SH_ENCODER_AE:
    default:
        rc = nn_load_sections(m, '0', 0, 1, &h->net, err, err_len);
        if (rc == 0 && (h->net->cfg.input_dim != V ||
                        h->net->cfg.code_dim != (uint32_t)cfg.model.code_bits ||
                        h->net->cfg.code_kind != NN_CODE_BINARY ||
                        h->net->cfg.input_kind != NN_INPUT_CSR))
            rc = sh_fail(err, err_len, SH_EMODEL,
                         "%s: the network does not fit the vocabulary or code width", label);
        break;
    }
    memcpy(h->thresholds, thr, (size_t)cfg.model.code_bits * sizeof(float));
    h->ae_prob_thresholds = version == 1;
    if (rc != 0) {
        hasher_free(h);
        return rc;
    }
    h->ready = 1;
    *out = h;
    return 0;
}

int hasher_load(const char *path, sh_hasher **out, char *err, size_t err_len)
{
    mf_model *m = NULL;
    int rc = mf_read_file(path, &m, err, err_len);
    if (rc != 0)
        return rc;
    rc = hasher_read(m, out, err, err_len);
    mf_model_free(m);
    return rc;
}
