/* sh_index.c — the public handle: create, open, close, pools, encoding,
 * adding and removing documents, reading records (semhash.h).
 *
 * Queries and near-duplicate groups are in sh_query.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idx_bulk.h"
#include "sh_internal.h"
#include "text_email.h"

#define SNIPPET_SEP '\x1f' /* between labels and snippet in the record */

/* ---- pools ----------------------------------------------------------------- */

static void encoder_free(sh_encoder *e)
{
    if (!e)
        return;
    text_tokenizer_free(e->tok);
    text_vectorizer_free(e->vec);
    if (e->have_rows)
        csr_free(&e->rows);
    hasher_free(e->h);
    free(e);
}

static int encoder_new(const sh_index *sh, sh_encoder **out, char *err, size_t err_len)
{
    sh_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for an encoder");
    int rc = hasher_read(sh->model, &e->h, err, err_len);
    if (rc)
        goto fail;
    if (hasher_bits(e->h) != sh->bits) {
        rc = sh_fail(err, err_len, SH_EMODEL,
                     "index %s: its model gives %d-bit codes but the index holds %d-bit codes",
                     sh->ix->path, hasher_bits(e->h), sh->bits);
        goto fail;
    }
    rc = text_tokenizer_new(text_vocab_config(hasher_vocab(e->h)), &e->tok, err, err_len);
    if (rc)
        goto fail;
    rc = text_vectorizer_new(hasher_vocab(e->h), &e->vec, err, err_len);
    if (rc)
        goto fail;
    /* the start of each mail's filtered text, for its snippet */
    text_tokenizer_capture(text_vectorizer_tokenizer(e->vec), 2 * SH_SNIPPET_BYTES);
    if (csr_init(&e->rows, text_vocab_size(hasher_vocab(e->h))) != 0) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "out of memory for an encoder");
        goto fail;
    }
    e->have_rows = 1;
    *out = e;
    return 0;
fail:
    encoder_free(e);
    return rc;
}

int sh_encoder_take(sh_index *sh, sh_encoder **out, char *err, size_t err_len)
{
    pthread_mutex_lock(&sh->lock);
    while (!sh->free_encoders && sh->n_encoders >= sh->max_encoders)
        pthread_cond_wait(&sh->encoder_freed, &sh->lock);
    sh_encoder *e = sh->free_encoders;
    if (e) {
        sh->free_encoders = e->next;
        pthread_mutex_unlock(&sh->lock);
        *out = e;
        return 0;
    }
    sh->n_encoders++; /* reserve the slot, build outside the lock */
    pthread_mutex_unlock(&sh->lock);
    int rc = encoder_new(sh, out, err, err_len);
    if (rc) {
        pthread_mutex_lock(&sh->lock);
        sh->n_encoders--;
        pthread_cond_signal(&sh->encoder_freed);
        pthread_mutex_unlock(&sh->lock);
    }
    return rc;
}

void sh_encoder_give(sh_index *sh, sh_encoder *e)
{
    pthread_mutex_lock(&sh->lock);
    e->next = sh->free_encoders;
    sh->free_encoders = e;
    pthread_cond_signal(&sh->encoder_freed);
    pthread_mutex_unlock(&sh->lock);
}

static void reader_free(sh_reader *r)
{
    if (!r)
        return;
    idx_reader_end(r->rd);
    free(r->hits);
    free(r->sim);
    free(r);
}

int sh_reader_take(sh_index *sh, sh_reader **out, char *err, size_t err_len)
{
    pthread_mutex_lock(&sh->lock);
    sh_reader *r = sh->free_readers;
    if (r)
        sh->free_readers = r->next;
    pthread_mutex_unlock(&sh->lock);
    int rc;
    if (r) {
        rc = idx_reader_renew(r->rd, err, err_len);
        if (rc)
            goto fail;
    } else {
        r = calloc(1, sizeof *r);
        if (!r)
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a reader");
        rc = idx_reader_begin(sh->ix, &r->rd, err, err_len);
        if (rc)
            goto fail;
    }
    *out = r;
    return 0;
fail:
    reader_free(r);
    return rc;
}

/* Ends the snapshot but keeps the transaction and cursors for renewal,
 * so a parked reader holds neither an LMDB snapshot nor the map lock
 * (the writer may grow the map meanwhile). */
static void reader_park(idx_reader *rd)
{
    if (rd->live) {
        mdb_txn_reset(rd->txn);
        pthread_rwlock_unlock(&rd->ix->map_lock);
        rd->live = 0;
    }
}

void sh_reader_give(sh_index *sh, sh_reader *r)
{
    reader_park(r->rd);
    pthread_mutex_lock(&sh->lock);
    r->next = sh->free_readers;
    sh->free_readers = r;
    pthread_mutex_unlock(&sh->lock);
}

int sh_reader_reserve(sh_reader *r, size_t cap)
{
    if (cap <= r->cap)
        return 0;
    idx_hit *hits = realloc(r->hits, cap * sizeof *hits);
    if (!hits)
        return SH_ENOMEM;
    r->hits = hits;
    double *sim = realloc(r->sim, cap * sizeof *sim);
    if (!sim)
        return SH_ENOMEM;
    r->sim = sim;
    r->cap = cap;
    return 0;
}

/* ---- open, create, close --------------------------------------------------------- */

static int default_encoders(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
}

static int check_open_options(const sh_open_options *o, char *err, size_t err_len)
{
    if (o->flags & ~(SH_OPEN_RDONLY | SH_OPEN_NOSYNC))
        return sh_fail(err, err_len, SH_EINVAL, "unknown open flags 0x%x", (unsigned)o->flags);
    if (o->batch_size < 0 || o->encoders < 0 || o->encoders > 1024)
        return sh_fail(err, err_len, SH_EINVAL, "batch_size or encoders out of range");
    return 0;
}

static void fill_idx_options(const sh_open_options *o, idx_options *io)
{
    memset(io, 0, sizeof *io);
    io->flags = ((o->flags & SH_OPEN_RDONLY) ? IDX_RDONLY : 0) |
                ((o->flags & SH_OPEN_NOSYNC) ? IDX_NOSYNC : 0);
    io->map_size = o->map_size;
    io->batch_size = o->batch_size;
    io->store_duplicates = !o->skip_duplicates;
}

/* The handle around an open idx_index (taken over): loads the stored
 * model and builds the first encoder. */
static int handle_new(idx_index *ix, const sh_open_options *o, sh_index **out, char *err,
                      size_t err_len)
{
    sh_index *sh = calloc(1, sizeof *sh);
    if (!sh) {
        idx_close(ix);
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for an index handle");
    }
    sh->ix = ix;
    sh->bits = ix->bits;
    sh->max_encoders = o->encoders > 0 ? o->encoders : default_encoders();
    sh->nosync = (o->flags & SH_OPEN_NOSYNC) != 0;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_mutex_init(&sh->write_lock, NULL);
    pthread_cond_init(&sh->encoder_freed, NULL);

    idx_reader *rd = NULL;
    int rc = idx_reader_begin(ix, &rd, err, err_len);
    if (rc)
        goto fail;
    const void *blob;
    size_t blob_len;
    if (idx_model_get(rd, &blob, &blob_len) != 0) {
        rc = sh_fail(err, err_len, SH_EMODEL, "index %s holds no model (damaged index)",
                     ix->path);
        goto fail;
    }
    char label[64];
    snprintf(label, sizeof label, "index model");
    rc = mf_read_buffer(blob, blob_len, label, &sh->model, err, err_len);
    if (rc) {
        if (rc != SH_EVERSION && rc != SH_ENOMEM)
            rc = SH_EMODEL;
        goto fail;
    }
    sh->model_bytes = blob_len;
    idx_reader_end(rd);
    rd = NULL;
    sh_encoder *e;
    rc = sh_encoder_take(sh, &e, err, err_len);
    if (rc)
        goto fail;
    sh_encoder_give(sh, e);
    *out = sh;
    return 0;
fail:
    idx_reader_end(rd);
    sh_index_close(sh);
    return rc;
}

int sh_index_open(const char *path, const sh_open_options *opts, sh_index **out, char *err,
                  size_t err_len)
{
    *out = NULL;
    sh_open_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    int rc = check_open_options(&o, err, err_len);
    if (rc)
        return rc;
    idx_options io;
    fill_idx_options(&o, &io);
    idx_index *ix;
    rc = idx_open(path, &io, &ix, err, err_len);
    if (rc)
        return rc;
    return handle_new(ix, &o, out, err, err_len);
}

/* Reads a whole file into a malloc'd buffer. errno values or SH_ENOMEM. */
static int read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t err_len)
{
    int rc = 0;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sh_fail(err, err_len, errno, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = sh_fail(err, err_len, S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                     "%s: not a model file", path);
        goto done;
    }
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (!buf) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        rc = sh_fail(err, err_len, EIO, "%s: read error", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    *out = buf;
    *len = (size_t)st.st_size;
done:
    fclose(f);
    return rc;
}

int sh_index_create(const char *path, const sh_create_options *opts, sh_index **out,
                    char *err, size_t err_len)
{
    *out = NULL;
    if (!opts || (!opts->model_path && !opts->model_data))
        return sh_fail(err, err_len, SH_EINVAL, "creating index %s: no model given", path);
    int rc = check_open_options(&opts->open, err, err_len);
    if (rc)
        return rc;
    if (opts->open.flags & SH_OPEN_RDONLY)
        return sh_fail(err, err_len, SH_EINVAL, "creating index %s: read-only flag", path);
    uint8_t *file_bytes = NULL;
    const void *bytes = opts->model_data;
    size_t len = opts->model_len;
    mf_model *model = NULL;
    sh_hasher *h = NULL;
    idx_index *ix = NULL;
    if (opts->model_path) {
        rc = read_file(opts->model_path, &file_bytes, &len, err, err_len);
        if (rc)
            goto fail;
        bytes = file_bytes;
    }
    rc = mf_read_buffer(bytes, len, opts->model_path ? opts->model_path : "model", &model, err,
                        err_len);
    if (rc)
        goto fail;
    rc = hasher_read(model, &h, err, err_len);
    if (rc)
        goto fail;
    idx_options io;
    fill_idx_options(&opts->open, &io);
    io.flags |= IDX_CREATE;
    io.code_bits = hasher_bits(h);
    io.substrings = opts->mih_substrings;
    io.expected_docs = opts->expected_docs;
    io.sig_bytes = SIG_BYTES;
    io.config_text = opts->summary;
    io.config_len = opts->summary ? strlen(opts->summary) : 0;
    rc = idx_open(path, &io, &ix, err, err_len);
    if (rc)
        goto fail;
    rc = idx_model_put(ix, bytes, len, err, err_len);
    if (!rc && opts->bulk_load)
        rc = idx_bulk_begin(ix, err, err_len);
    if (rc)
        goto fail;
    hasher_free(h);
    mf_model_free(model);
    free(file_bytes);
    rc = handle_new(ix, &opts->open, out, err, err_len);
    if (rc == 0)
        (*out)->bulk = opts->bulk_load != 0;
    return rc;
fail:
    idx_close(ix);
    hasher_free(h);
    mf_model_free(model);
    free(file_bytes);
    return rc;
}

void sh_index_close(sh_index *sh)
{
    if (!sh)
        return;
    while (sh->free_readers) {
        sh_reader *r = sh->free_readers;
        sh->free_readers = r->next;
        reader_free(r);
    }
    while (sh->free_encoders) {
        sh_encoder *e = sh->free_encoders;
        sh->free_encoders = e->next;
        encoder_free(e);
    }
    idx_close(sh->ix);
    mf_model_free(sh->model);
    pthread_mutex_destroy(&sh->lock);
    pthread_mutex_destroy(&sh->write_lock);
    pthread_cond_destroy(&sh->encoder_freed);
    free(sh);
}

int sh_index_bits(const sh_index *sh)
{
    return sh->bits;
}

int sh_index_rdonly(const sh_index *sh)
{
    return sh->ix->rdonly;
}

int sh_index_model_matches(sh_index *sh, const char *model_path, char *err, size_t err_len)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_file(model_path, &bytes, &len, err, err_len);
    if (rc)
        return rc;
    sh_reader *r = NULL;
    rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        goto done;
    const void *blob;
    size_t blob_len;
    rc = idx_model_get(r->rd, &blob, &blob_len);
    if (rc == 0 && (blob_len != len || memcmp(blob, bytes, len) != 0))
        rc = SH_EMODEL;
    if (rc)
        rc = sh_fail(err, err_len, SH_EMODEL,
                     "%s is not the model index %s was built with: leave out the model to "
                     "use the stored one, or use another index directory",
                     model_path, sh->ix->path);
    sh_reader_give(sh, r);
done:
    free(bytes);
    return rc;
}

/* ---- encoding ---------------------------------------------------------------------- */

/* Tokenises text once for both its signature (into out) and its tf-idf
 * row, appended to e->rows; a refused text (binary: SH_EINPUT) gets an
 * empty row, so that row i stays text i. Returns 0, SH_EINPUT or
 * SH_ENOMEM. The code comes later, from hasher_encode_rows on the rows;
 * this gives what sig_text and hasher_encode_text would. */
static int encode_prepare(sh_encoder *e, const char *text, size_t len, sh_encoded *out)
{
    sig_state st;
    sig_begin(&st);
    const uint32_t *ids;
    const float *w;
    size_t n;
    int rc = text_vectorize_row_tap(e->vec, text, len, sig_token_fn, &st, &ids, &w, NULL, &n);
    if (rc) {
        int arc = csr_append_row(&e->rows, 0, NULL, NULL);
        return arc ? arc : rc;
    }
    sig_finish(&st, out->sig);
    out->tokens = st.tokens;
    out->digest = st.digest;
    return csr_append_row(&e->rows, n, ids, w);
}

int sh_encode_full(sh_index *sh, const char *text, size_t len, sh_encoded *out, char *err,
                   size_t err_len)
{
    sh_encoder *e;
    int rc = sh_encoder_take(sh, &e, err, err_len);
    if (rc)
        return rc;
    csr_clear(&e->rows);
    rc = encode_prepare(e, text, len, out);
    if (rc == 0)
        rc = hasher_encode_rows(e->h, &e->rows, &out->code);
    sh_encoder_give(sh, e);
    if (rc == SH_EINPUT)
        return sh_fail(err, err_len, rc, "binary text (a NUL byte) cannot be encoded");
    if (rc)
        return sh_fail(err, err_len, rc, "encoding a text: %s", sh_strerror(rc));
    return 0;
}

int sh_encode(sh_index *sh, const char *text, size_t len, uint8_t code[SH_CODE_BYTES],
              sh_encode_info *info, char *err, size_t err_len)
{
    sh_encoded enc;
    int rc = sh_encode_full(sh, text, len, &enc, err, err_len);
    if (rc)
        return rc;
    memset(code, 0, SH_CODE_BYTES);
    code_to_bytes(&enc.code, sh->bits, code);
    if (info) {
        info->tokens = enc.tokens;
        info->content_hash = enc.digest;
    }
    return 0;
}

/* ---- writes ---------------------------------------------------------------------------- */

static size_t strlen_or(const char *s, size_t len)
{
    return s && len == 0 ? strlen(s) : len;
}

/* The start of a mail's readable text (Subject and body), through the
 * tokenizer's mail filter. */
typedef struct {
    char buf[2 * SH_SNIPPET_BYTES];
    size_t len;
} snippet_sink;

static int snippet_emit(void *sink, const char *bytes, size_t n)
{
    snippet_sink *s = sink;
    size_t room = sizeof s->buf - s->len;
    if (n > room)
        n = room;
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
    return s->len == sizeof s->buf; /* enough: stop the filter */
}

/* Writes the snippet of text into out (SH_SNIPPET_BYTES): blanks and
 * control bytes collapsed to single spaces, cut at a character boundary;
 * for a mail, its Subject and body rather than its headers. mail_text,
 * if not NULL, is the start of the mail filter's output for text (the
 * tokenizer kept it: text_tokenizer_capture), at least 2 *
 * SH_SNIPPET_BYTES bytes unless the whole of it. Returns the length. */
static size_t make_snippet(const char *text, size_t len, const char *mail_text,
                           size_t mail_len, char *out)
{
    snippet_sink mail;
    if (mail_text) {
        text = mail_text;
        len = mail_len < sizeof mail.buf ? mail_len : sizeof mail.buf;
    } else if (len && text_email_looks_like_mail(text, len)) {
        text_email_filter f;
        mail.len = 0;
        text_email_begin(&f, snippet_emit, &mail);
        text_email_set_piece(&f, sizeof mail.buf); /* stop as soon as that is read */
        if (text_email_feed(&f, text, len) == 0)
            text_email_end(&f);
        text = mail.buf;
        len = mail.len;
    }
    size_t n = 0;
    int space = 1; /* drop leading blanks */
    for (size_t i = 0; i < len && n < SH_SNIPPET_BYTES; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= 0x20 || c == 0x7f) {
            if (!space)
                out[n++] = ' ';
            space = 1;
            continue;
        }
        out[n++] = (char)c;
        space = 0;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    /* cut at a character boundary: drop a trailing incomplete UTF-8 sequence */
    size_t lead = n;
    while (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead > 0 && ((unsigned char)out[lead - 1] & 0x80)) {
        unsigned char c = (unsigned char)out[lead - 1];
        size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (n - (lead - 1) < need)
            n = lead - 1;
    }
    return n;
}

/* Checks a document's name and labels and makes its record field (labels,
 * separator, snippet: malloc'd into *field_out). mail_text, mail_len: as
 * make_snippet's (NULL: the snippet filters the text itself). */
static int doc_prepare(const sh_doc *doc, const char *mail_text, size_t mail_len,
                       size_t *name_len_out, char **field_out, size_t *field_len_out,
                       char *err, size_t err_len)
{
    size_t name_len = doc->name ? strlen_or(doc->name, doc->name_len) : 0;
    size_t labels_len = strlen_or(doc->labels, doc->labels_len);
    if (!doc->name || name_len == 0 || name_len > SH_MAX_NAME ||
        memchr(doc->name, 0, name_len))
        return sh_fail(err, err_len, SH_EINVAL,
                       "document name must be 1..%d bytes without NUL (got %zu bytes)",
                       SH_MAX_NAME, name_len);
    if (labels_len > SH_MAX_LABELS || (labels_len && (memchr(doc->labels, 0, labels_len) ||
                                                      memchr(doc->labels, SNIPPET_SEP, labels_len))))
        return sh_fail(err, err_len, SH_EINVAL,
                       "document %.*s: labels must be at most %d bytes, without NUL or 0x1f",
                       (int)name_len, doc->name, SH_MAX_LABELS);
    if (!doc->text && doc->text_len)
        return sh_fail(err, err_len, SH_EINVAL, "document %.*s: no text", (int)name_len,
                       doc->name);
    char *field = malloc(labels_len + 1 + SH_SNIPPET_BYTES);
    if (!field)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    if (labels_len)
        memcpy(field, doc->labels, labels_len);
    field[labels_len] = SNIPPET_SEP;
    *field_len_out = labels_len + 1 + make_snippet(doc->text ? doc->text : "", doc->text_len,
                                                   mail_text, mail_len, field + labels_len + 1);
    *field_out = field;
    *name_len_out = name_len;
    return 0;
}

/* Writes a document whose fields doc_prepare made (field is not taken). */
static int doc_write(sh_index *sh, const sh_doc *doc, const sh_encoded *enc, size_t name_len,
                     const char *field, size_t field_len, sh_add_result *res, char *err,
                     size_t err_len)
{
    idx_doc d;
    memset(&d, 0, sizeof d);
    d.code = enc->code;
    d.content_hash = enc->digest;
    d.length = doc->text_len;
    d.name = doc->name;
    d.name_len = name_len;
    d.labels = field;
    d.labels_len = field_len;
    d.sig = enc->sig;
    d.sig_len = SIG_BYTES;
    idx_add_result ar;
    pthread_mutex_lock(&sh->write_lock);
    int rc = idx_add(sh->ix, &d, &ar, err, err_len);
    pthread_mutex_unlock(&sh->write_lock);
    if (rc == 0 && res) {
        res->action = ar.action;
        res->id = ar.id;
        res->dup_of = ar.dup_of;
        res->tokens = enc->tokens;
    }
    return rc;
}

static int doc_store(sh_index *sh, const sh_doc *doc, const sh_encoded *enc,
                     sh_add_result *res, char *err, size_t err_len)
{
    size_t name_len = 0, field_len = 0;
    char *field = NULL;
    int rc = doc_prepare(doc, NULL, 0, &name_len, &field, &field_len, err, err_len);
    if (rc)
        return rc;
    rc = doc_write(sh, doc, enc, name_len, field, field_len, res, err, err_len);
    free(field);
    return rc;
}

int sh_add(sh_index *sh, const sh_doc *doc, sh_add_result *res, char *err, size_t err_len)
{
    if (sh->ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", sh->ix->path);
    sh_encoded enc;
    int rc = sh_encode_full(sh, doc->text ? doc->text : "", doc->text_len, &enc, err, err_len);
    if (rc) {
        size_t name_len = doc->name ? strlen_or(doc->name, doc->name_len) : 0;
        return sh_fail(err, err_len, rc, "document %.*s: %s",
                       (int)(name_len > SH_MAX_NAME ? SH_MAX_NAME : name_len),
                       doc->name ? doc->name : "",
                       rc == SH_EINPUT ? "binary text (a NUL byte)" : sh_strerror(rc));
    }
    return doc_store(sh, doc, &enc, res, err, err_len);
}

/* ---- batches: parallel encoding, ordered writes ------------------------------------------
 *
 * sh_add_batch cuts the batch into chunks of CHUNK_MIN..CHUNK_MAX
 * documents. Worker threads (at most sh_open_options.encoders, each with
 * a pooled encoder) take chunks in order and prepare every document of a
 * chunk: one tokenisation for its signature and tf-idf row, its record
 * fields (name and labels checked, snippet made), then one network pass
 * for the chunk's codes. Meanwhile the calling thread writes the prepared
 * chunks in order, so that the single LMDB writer works while the next
 * chunks are encoded. A failure stops the writer at that document; the
 * workers then take no more chunks.
 *
 * Chunk sizes: large, because the network's first layer reads one 2 KB
 * row of weights per distinct term of a chunk, and 256 mails have far
 * fewer distinct terms than 4 x 64 (bench/index_vectorize, SpamAssassin,
 * one thread: 22.6 us per mail encoded 64 at a time, 19.0 us 256 at a
 * time). Shrinking towards the end of the batch (each chunk takes an
 * equal share of what is left over twice the threads, "guided"
 * scheduling), because the threads wait for each other when the batch
 * ends: small last chunks leave the others idle only briefly. */

#define CHUNK_MIN 64
#define CHUNK_MAX 256
#define BATCH_THREADS_MAX 16

/* What a worker prepared for one document. */
typedef struct {
    sh_encoded enc;
    char *field;              /* labels + snippet (doc_prepare), malloc'd, or NULL */
    size_t field_len, name_len;
    int rc;                   /* 0, or the document's error: SH_EINPUT for binary
                                 text, else its fields' (field is then NULL) */
    int binary;               /* rc is the encoding's: binary text */
} batch_item;

typedef struct {
    sh_index *sh;
    const sh_doc *docs;
    size_t n, n_chunks;
    size_t *chunk_begin;      /* [n_chunks + 1] first document of each chunk, then n */
    batch_item *items;        /* [n] */
    int *chunk_rc;            /* [n_chunks] a failure of the chunk itself (memory) */
    unsigned char *chunk_done; /* [n_chunks] 1 once prepared */
    size_t next_chunk;        /* the next chunk a worker takes */
    int stop;                 /* the writer failed: take no more chunks */
    pthread_mutex_t lock;     /* next_chunk, chunk_done, chunk_rc, stop */
    pthread_cond_t done_cond;
} batch_job;

/* The chunks of a batch of n on this many threads, into begin (room for
 * n / CHUNK_MIN + 2 entries): each takes 1 / (2 threads) of the documents left,
 * within CHUNK_MIN..CHUNK_MAX. Returns the number of chunks. */
static size_t plan_chunks(size_t n, size_t threads, size_t *begin)
{
    size_t c = 0, at = 0, share = 2 * (threads > 0 ? threads : 1);
    while (at < n) {
        size_t size = (n - at) / share;
        size = size < CHUNK_MIN ? CHUNK_MIN : size > CHUNK_MAX ? CHUNK_MAX : size;
        begin[c++] = at;
        at = n - at < size ? n : at + size;
    }
    begin[c] = n;
    return c;
}

static size_t chunk_end(const batch_job *j, size_t c)
{
    return j->chunk_begin[c + 1];
}

/* Prepares chunk c with encoder e. Returns 0 or an error of the chunk
 * (SH_ENOMEM; fields made so far are freed with the batch). */
static int prepare_chunk(batch_job *j, sh_encoder *e, size_t c)
{
    sh_code codes[CHUNK_MAX];
    size_t begin = j->chunk_begin[c], end = chunk_end(j, c);
    csr_clear(&e->rows);
    for (size_t i = begin; i < end; i++) {
        const sh_doc *d = &j->docs[i];
        batch_item *it = &j->items[i];
        int rc = encode_prepare(e, d->text ? d->text : "", d->text_len, &it->enc);
        it->binary = rc == SH_EINPUT;
        size_t mail_len = 0;
        const char *mail_text = text_tokenizer_captured(text_vectorizer_tokenizer(e->vec),
                                                        &mail_len);
        if (rc == 0)
            rc = doc_prepare(d, mail_text, mail_len, &it->name_len, &it->field, &it->field_len,
                             NULL, 0);
        if (rc == SH_ENOMEM)
            return rc;
        it->rc = rc;          /* a refused document keeps its (empty) row */
    }
    int rc = hasher_encode_rows(e->h, &e->rows, codes);
    for (size_t i = begin; rc == 0 && i < end; i++)
        j->items[i].enc.code = codes[i - begin];
    return rc;
}

/* Takes the next chunk; 0 when none is left or the writer stopped. */
static int take_chunk(batch_job *j, size_t *c)
{
    pthread_mutex_lock(&j->lock);
    int got = !j->stop && j->next_chunk < j->n_chunks;
    if (got)
        *c = j->next_chunk++;
    pthread_mutex_unlock(&j->lock);
    return got;
}

static void finish_chunk(batch_job *j, size_t c, int rc)
{
    pthread_mutex_lock(&j->lock);
    j->chunk_rc[c] = rc;
    j->chunk_done[c] = 1;
    pthread_cond_broadcast(&j->done_cond);
    pthread_mutex_unlock(&j->lock);
}

/* A worker: one pooled encoder, chunks until none is left. */
static void *batch_worker(void *arg)
{
    batch_job *j = arg;
    sh_encoder *e = NULL;
    int take_rc = sh_encoder_take(j->sh, &e, NULL, 0);
    size_t c;
    while (take_chunk(j, &c))
        finish_chunk(j, c, take_rc ? take_rc : prepare_chunk(j, e, c));
    if (e)
        sh_encoder_give(j->sh, e);
    return NULL;
}

/* Waits until chunk c is prepared; returns its rc. */
static int wait_chunk(batch_job *j, size_t c)
{
    pthread_mutex_lock(&j->lock);
    while (!j->chunk_done[c])
        pthread_cond_wait(&j->done_cond, &j->lock);
    int rc = j->chunk_rc[c];
    pthread_mutex_unlock(&j->lock);
    return rc;
}

static int doc_fail(const sh_doc *d, int rc, const char *what, char *err, size_t err_len)
{
    size_t name_len = d->name ? strlen_or(d->name, d->name_len) : 0;
    return sh_fail(err, err_len, rc, "document %.*s: %s",
                   (int)(name_len > SH_MAX_NAME ? SH_MAX_NAME : name_len),
                   d->name ? d->name : "", what);
}

/* Writes the documents of chunk c in order, once prepared. Returns 0, or
 * the first failing document's error (*done counts the documents written). */
static int write_chunk(batch_job *j, size_t c, sh_add_result *res, size_t *done, char *err,
                       size_t err_len)
{
    size_t begin = j->chunk_begin[c], end = chunk_end(j, c);
    int rc = wait_chunk(j, c);
    if (rc)
        return doc_fail(&j->docs[begin], rc, sh_strerror(rc), err, err_len);
    for (size_t i = begin; i < end; i++) {
        const sh_doc *d = &j->docs[i];
        batch_item *it = &j->items[i];
        if (it->binary)
            return doc_fail(d, it->rc, "binary text (a NUL byte)", err, err_len);
        if (it->rc) {
            /* the fields were refused: check them again for the message */
            char *field = NULL;
            size_t name_len, field_len;
            rc = doc_prepare(d, NULL, 0, &name_len, &field, &field_len, err, err_len);
            free(field);
            return rc ? rc : it->rc;
        }
        rc = doc_write(j->sh, d, &it->enc, it->name_len, it->field, it->field_len,
                       res ? &res[i] : NULL, err, err_len);
        if (rc)
            return rc;
        *done = i + 1;
    }
    return 0;
}

static void batch_free(batch_job *j)
{
    for (size_t i = 0; j->items && i < j->n; i++)
        free(j->items[i].field);
    free(j->items);
    free(j->chunk_rc);
    free(j->chunk_done);
    free(j->chunk_begin);
}

int sh_add_batch(sh_index *sh, const sh_doc *docs, size_t n, sh_add_result *res, size_t *done,
                 char *err, size_t err_len)
{
    *done = 0;
    if (sh->ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", sh->ix->path);
    if (n == 0)
        return 0;
    batch_job j;
    memset(&j, 0, sizeof j);
    j.sh = sh;
    j.docs = docs;
    j.n = n;
    size_t threads = (size_t)sh->max_encoders;
    if (threads > BATCH_THREADS_MAX)
        threads = BATCH_THREADS_MAX;
    /* every chunk but the last holds at least CHUNK_MIN documents */
    j.chunk_begin = malloc((n / CHUNK_MIN + 2) * sizeof *j.chunk_begin);
    if (j.chunk_begin != NULL)
        j.n_chunks = plan_chunks(n, threads, j.chunk_begin);
    j.items = calloc(n, sizeof *j.items);
    j.chunk_rc = calloc(j.n_chunks, sizeof *j.chunk_rc);
    j.chunk_done = calloc(j.n_chunks, 1);
    if (!j.chunk_begin || !j.items || !j.chunk_rc || !j.chunk_done) {
        batch_free(&j);
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a batch of %zu", n);
    }
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.done_cond, NULL);
    if (threads > j.n_chunks)
        threads = j.n_chunks;
    pthread_t tids[BATCH_THREADS_MAX];
    size_t started = 0;
    if (j.n_chunks > 1) /* a single chunk is prepared here, then written */
        while (started < threads && pthread_create(&tids[started], NULL, batch_worker, &j) == 0)
            started++;
    if (started == 0)
        batch_worker(&j); /* prepares every chunk before the writes */
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < j.n_chunks; c++)
        rc = write_chunk(&j, c, res, done, err, err_len);
    pthread_mutex_lock(&j.lock);
    j.stop = 1;
    pthread_mutex_unlock(&j.lock);
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&j.lock);
    pthread_cond_destroy(&j.done_cond);
    batch_free(&j);
    return rc;
}

int sh_remove(sh_index *sh, const char *name, size_t name_len, uint32_t *id, char *err,
              size_t err_len)
{
    if (sh->ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", sh->ix->path);
    name_len = strlen_or(name, name_len);
    if (!name || name_len == 0 || name_len > SH_MAX_NAME)
        return sh_fail(err, err_len, SH_EINVAL, "document name must be 1..%d bytes",
                       SH_MAX_NAME);
    pthread_mutex_lock(&sh->write_lock);
    int rc = sh_bulk_end_locked(sh, err, err_len);
    if (rc == 0)
        rc = idx_remove(sh->ix, name, name_len, id, err, err_len);
    pthread_mutex_unlock(&sh->write_lock);
    if (rc == SH_ENOTFOUND)
        return sh_fail(err, err_len, rc, "no document named '%.*s' in index %s",
                       (int)name_len, name, sh->ix->path);
    return rc;
}

int sh_flush_nosync(sh_index *sh, char *err, size_t err_len)
{
    if (!sh->nosync)
        return 0;
    int rc = mdb_env_sync(sh->ix->env, 1);
    return rc ? idx_lmdb_error(sh->ix, rc, "flushing to disk", err, err_len) : 0;
}

int sh_sync(sh_index *sh, char *err, size_t err_len)
{
    if (sh->ix->rdonly)
        return 0;
    pthread_mutex_lock(&sh->write_lock);
    int rc = sh->bulk ? sh_bulk_end_locked(sh, err, err_len) : idx_commit(sh->ix, err, err_len);
    if (rc == 0)
        rc = sh_flush_nosync(sh, err, err_len);
    pthread_mutex_unlock(&sh->write_lock);
    return rc;
}

int sh_bulk_end_locked(sh_index *sh, char *err, size_t err_len)
{
    if (!sh->bulk)
        return 0;
    int rc = idx_bulk_finish(sh->ix, err, err_len);
    __atomic_store_n(&sh->bulk, 0, __ATOMIC_RELEASE);
    return rc;
}

int sh_check_searchable(sh_index *sh, char *err, size_t err_len)
{
    if (__atomic_load_n(&sh->bulk, __ATOMIC_ACQUIRE))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s is being loaded in bulk: call sh_sync to build its lookup "
                       "tables before searching",
                       sh->ix->path);
    return 0;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Copies s (len bytes) into buf at *pos, at most room - 1 bytes, NUL-terminated. */
static const char *put_string(char *buf, size_t buf_len, size_t *pos, const char *s, size_t len)
{
    char *dst = buf + *pos;
    size_t room = buf_len - *pos;
    if (len > room - 1)
        len = room - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    *pos += len + 1;
    return dst;
}

static int copy_doc(const sh_index *sh, const idx_doc *d, sh_doc_info *out, char *buf,
                    size_t buf_len)
{
    memset(out, 0, sizeof *out);
    out->id = d->id;
    out->length = d->length;
    out->content_hash = d->content_hash;
    code_to_bytes(&d->code, sh->bits, out->code);
    const char *labels = d->labels ? d->labels : "";
    size_t labels_len = d->labels ? d->labels_len : 0;
    const char *sep = labels_len ? memchr(labels, SNIPPET_SEP, labels_len) : NULL;
    const char *snippet = "";
    size_t snippet_len = 0;
    if (sep) {
        snippet = sep + 1;
        snippet_len = labels_len - (size_t)(snippet - labels);
        labels_len = (size_t)(sep - labels);
    }
    size_t pos = 0;
    out->name = put_string(buf, buf_len, &pos, d->name, d->name_len);
    out->labels = pos < buf_len ? put_string(buf, buf_len, &pos, labels, labels_len) : "";
    out->snippet = pos < buf_len ? put_string(buf, buf_len, &pos, snippet, snippet_len) : "";
    return 0;
}

static int doc_lookup(sh_index *sh, uint32_t id, const char *name, size_t name_len,
                      sh_doc_info *doc, char *buf, size_t buf_len, char *err, size_t err_len)
{
    if (!buf || buf_len < SH_MAX_NAME + 3)
        return sh_fail(err, err_len, SH_EINVAL, "document buffer smaller than %d bytes",
                       SH_MAX_NAME + 3);
    sh_reader *r;
    int rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        return rc;
    idx_doc d;
    rc = name ? idx_doc_find(r->rd, name, name_len, &d) : idx_doc_get(r->rd, id, &d);
    if (rc == 0)
        copy_doc(sh, &d, doc, buf, buf_len);
    sh_reader_give(sh, r);
    if (rc == SH_ENOTFOUND && name)
        return sh_fail(err, err_len, rc, "no document named '%.*s'", (int)name_len, name);
    if (rc == SH_ENOTFOUND)
        return sh_fail(err, err_len, rc, "no document with id %u", (unsigned)id);
    if (rc)
        return sh_fail(err, err_len, rc, "index %s: damaged document record", sh->ix->path);
    return 0;
}

int sh_doc_get(sh_index *sh, uint32_t id, sh_doc_info *doc, char *buf, size_t buf_len,
               char *err, size_t err_len)
{
    return doc_lookup(sh, id, NULL, 0, doc, buf, buf_len, err, err_len);
}

int sh_doc_find(sh_index *sh, const char *name, size_t name_len, sh_doc_info *doc, char *buf,
                size_t buf_len, char *err, size_t err_len)
{
    name_len = strlen_or(name, name_len);
    if (!name || name_len == 0 || name_len > SH_MAX_NAME)
        return sh_fail(err, err_len, SH_EINVAL, "document name must be 1..%d bytes",
                       SH_MAX_NAME);
    int rc = sh_check_searchable(sh, err, err_len);
    if (rc)
        return rc;
    return doc_lookup(sh, 0, name, name_len, doc, buf, buf_len, err, err_len);
}

/* ---- statistics ----------------------------------------------------------------------------- */

int sh_stats_get(sh_index *sh, sh_stats *st, char *err, size_t err_len)
{
    memset(st, 0, sizeof *st);
    idx_stats *is = calloc(1, sizeof *is);
    if (!is)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    sh_reader *r = NULL;
    sh_encoder *e = NULL;
    int rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        goto done;
    rc = idx_stats_get(r->rd, is);
    if (rc) {
        rc = sh_fail(err, err_len, rc, "index %s: reading statistics: %s", sh->ix->path,
                     sh_strerror(rc));
        goto done;
    }
    st->bits = is->bits;
    st->substrings = is->substrings;
    st->signature_bytes = is->sig_bytes;
    st->docs = is->docs;
    st->buckets = is->buckets;
    st->max_bucket = is->max_bucket;
    memcpy(st->bucket_hist, is->bucket_hist, sizeof st->bucket_hist);
    memcpy(st->bit_ones, is->bit_ones, sizeof st->bit_ones);
    st->n_tables = is->n_tables < SH_STATS_TABLES ? is->n_tables : SH_STATS_TABLES;
    for (int i = 0; i < st->n_tables; i++) {
        snprintf(st->tables[i].name, sizeof st->tables[i].name, "%s", is->tables[i].name);
        st->tables[i].entries = is->tables[i].entries;
        st->tables[i].bytes = is->tables[i].bytes;
    }
    st->map_size = is->map_size;
    st->used_bytes = is->used_bytes;
    st->model_bytes = sh->model_bytes;
    const char *text;
    size_t len;
    if (idx_config_get(r->rd, &text, &len) == 0) {
        if (len >= sizeof st->summary)
            len = sizeof st->summary - 1;
        memcpy(st->summary, text, len);
        st->summary[len] = '\0';
    }
    rc = sh_encoder_take(sh, &e, err, err_len);
    if (rc)
        goto done;
    snprintf(st->encoder, sizeof st->encoder, "%s", hasher_encoder_name(hasher_encoder(e->h)));
    st->vocab_terms = text_vocab_size(hasher_vocab(e->h));
    sh_encoder_give(sh, e);
done:
    if (r)
        sh_reader_give(sh, r);
    free(is);
    return rc;
}
