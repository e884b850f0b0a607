/* text_vocab_io.c — the vocabulary and the text options in model files.
 *
 * Section "TXTC" (text options), little-endian:
 *   u32 section version (1)
 *   u32 vocab_size, u32 min_df, f64 max_df, u32 stop_words, u32 stemming,
 *   u32 numbers, u32 min_token_len, u32 max_token_len,
 *   u32 email (0 off, 1 on with the Subject kept, 2 on with every header's
 *   text kept: text.email_headers rides on this field, so that models
 *   written before that option read as 0 or 1),
 *   u32 on_binary, u64 digest of the stop-word list
 * Section "VOCB":
 *   u32 section version (1), u64 N (documents counted), u32 V (terms),
 *   then V times: string term (u32 length + bytes), u32 df — in id order.
 */
#include "text_vocab.h"
#include "modelfile.h"
#include "text_stopwords.h"
#include "sh_error.h"

#include <stdlib.h>

#define TEXT_TAG_CONFIG MF_TAG('T', 'X', 'T', 'C')
#define TEXT_TAG_VOCAB MF_TAG('V', 'O', 'C', 'B')
#define TEXT_SECTION_VERSION 1u

int text_vocab_write(const text_vocab *v, mf_writer *w)
{
    const sh_text_config *c = text_vocab_config(v);
    int rc = mf_writer_begin(w, TEXT_TAG_CONFIG);
    if (rc == 0) rc = mf_put_u32(w, TEXT_SECTION_VERSION);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->vocab_size);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->min_df);
    if (rc == 0) rc = mf_put_f64(w, c->max_df);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->stop_words);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->stemming);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->numbers);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->min_token_len);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->max_token_len);
    uint32_t email = !c->email ? 0u : c->email_headers == SH_EMAIL_ALL_HEADERS ? 2u : 1u;
    if (rc == 0) rc = mf_put_u32(w, email);
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)c->on_binary);
    if (rc == 0) rc = mf_put_u64(w, text_stopwords_digest());
    if (rc == 0) rc = mf_writer_end(w);
    if (rc == 0) rc = mf_writer_begin(w, TEXT_TAG_VOCAB);
    if (rc == 0) rc = mf_put_u32(w, TEXT_SECTION_VERSION);
    if (rc == 0) rc = mf_put_u64(w, text_vocab_docs(v));
    if (rc == 0) rc = mf_put_u32(w, (uint32_t)text_vocab_size(v));
    for (uint32_t id = 0; rc == 0 && id < text_vocab_size(v); id++) {
        rc = mf_put_string(w, text_vocab_term(v, id, NULL));
        if (rc == 0)
            rc = mf_put_u32(w, text_vocab_df(v, id));
    }
    if (rc == 0)
        rc = mf_writer_end(w);
    return rc;
}

static int read_config(const mf_model *m, sh_text_config *c, char *err, size_t err_len)
{
    const void *data;
    size_t len;
    const char *label = mf_model_label(m);
    if (mf_model_section(m, TEXT_TAG_CONFIG, &data, &len) != 0)
        return sh_fail(err, err_len, SH_ENOTFOUND, "%s: no text options (TXTC section): "
                       "not a text model", label);
    mf_cursor cur;
    mf_cursor_init(&cur, data, len);
    uint32_t version, u[9];
    uint64_t digest;
    double max_df;
    int rc = mf_get_u32(&cur, &version);
    if (rc == 0 && version != TEXT_SECTION_VERSION)
        return sh_fail(err, err_len, SH_EVERSION, "%s: text options section version %u, "
                       "this build reads version %u", label, version, TEXT_SECTION_VERSION);
    if (rc == 0) rc = mf_get_u32(&cur, &u[0]);
    if (rc == 0) rc = mf_get_u32(&cur, &u[1]);
    if (rc == 0) rc = mf_get_f64(&cur, &max_df);
    for (int i = 2; rc == 0 && i < 9; i++)
        rc = mf_get_u32(&cur, &u[i]);
    if (rc == 0) rc = mf_get_u64(&cur, &digest);
    if (rc != 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: text options section is truncated", label);
    c->vocab_size = (int)u[0];
    c->min_df = (int)u[1];
    c->max_df = max_df;
    c->stop_words = (int)u[2];
    c->stemming = (int)u[3];
    c->numbers = (int)u[4];
    c->min_token_len = (int)u[5];
    c->max_token_len = (int)u[6];
    c->email = u[7] != 0;
    c->email_headers = u[7] == 2 ? SH_EMAIL_ALL_HEADERS : SH_EMAIL_SUBJECT;
    c->on_binary = (sh_binary_policy)u[8];
    if (u[0] < 1 || u[0] > 10000000 || u[1] < 1 || u[1] > 0x7fffffffu ||
        !(max_df > 0.0 && max_df <= 1.0) || u[2] > 1 || u[3] > 1 || u[4] > 1 ||
        u[5] < 1 || u[5] > 100 || u[6] < u[5] || u[6] > 1000 || u[7] > 2 || u[8] > 1)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: text options out of range", label);
    if (c->stop_words && digest != text_stopwords_digest())
        return sh_fail(err, err_len, SH_EMODEL, "%s: built with another stop-word list than "
                       "this build's; retrain the model", label);
    return 0;
}

int text_vocab_read(const mf_model *m, text_vocab **out, char *err, size_t err_len)
{
    sh_text_config cfg;
    int rc = read_config(m, &cfg, err, err_len);
    if (rc != 0)
        return rc;
    const char *label = mf_model_label(m);
    const void *data;
    size_t len;
    if (mf_model_section(m, TEXT_TAG_VOCAB, &data, &len) != 0)
        return sh_fail(err, err_len, SH_ENOTFOUND, "%s: no vocabulary (VOCB section)", label);
    mf_cursor cur;
    mf_cursor_init(&cur, data, len);
    uint32_t version, n_terms;
    uint64_t n_docs;
    rc = mf_get_u32(&cur, &version);
    if (rc == 0 && version != TEXT_SECTION_VERSION)
        return sh_fail(err, err_len, SH_EVERSION, "%s: vocabulary section version %u, this "
                       "build reads version %u", label, version, TEXT_SECTION_VERSION);
    if (rc == 0) rc = mf_get_u64(&cur, &n_docs);
    if (rc == 0) rc = mf_get_u32(&cur, &n_terms);
    if (rc != 0)
        return sh_fail(err, err_len, SH_ETRUNC, "%s: vocabulary section is truncated", label);
    /* each term needs at least 9 bytes: a bound before allocating */
    if ((uint64_t)n_terms * 9 > mf_cursor_left(&cur))
        return sh_fail(err, err_len, SH_ETRUNC, "%s: vocabulary section is shorter than its "
                       "%u terms", label, n_terms);
    size_t n = n_terms ? n_terms : 1;
    const char **terms = malloc(n * sizeof(char *));
    size_t *lens = malloc(n * sizeof(size_t));
    uint32_t *dfs = malloc(n * sizeof(uint32_t));
    if (!terms || !lens || !dfs) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory reading the vocabulary", label);
        goto done;
    }
    for (uint32_t i = 0; i < n_terms; i++) {
        rc = mf_get_string(&cur, &terms[i], &lens[i]);
        if (rc == 0)
            rc = mf_get_u32(&cur, &dfs[i]);
        if (rc != 0) {
            rc = sh_fail(err, err_len, SH_ETRUNC, "%s: vocabulary truncated at term %u",
                         label, i);
            goto done;
        }
    }
    if (mf_cursor_left(&cur) != 0) {
        rc = sh_fail(err, err_len, SH_EFORMAT, "%s: %zu unexpected bytes after the vocabulary",
                     label, mf_cursor_left(&cur));
        goto done;
    }
    rc = text_vocab_from_terms(&cfg, n_docs, n_terms, terms, lens, dfs, out, err, err_len);
done:
    free(terms);
    free(lens);
    free(dfs);
    return rc;
}
