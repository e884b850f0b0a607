/* idx_docs.c — batched writes with map growth and replay; doc records.
 * See idx_docs.h. */
#include "idx_docs.h"

#include <stdlib.h>
#include <string.h>

#include "idx_bucket.h"
#include "idx_bulk.h"
#include "idx_compact.h"
#include "sh_error.h"

#define REC_HEADER 24
#define REC_VERSION 1

enum { OP_ADD = 1, OP_REMOVE = 2, OP_MODEL = 3, OP_PUT = 4 };

/* OP_PUT (bulk loads, idx_bulk.h) replaces only the docs record of a
 * document, with a result decided before: its payload is this head, then
 * the record. (A bulk load's new records are appended from its buffer.) */
#define PUT_HEAD 8 /* u32 id, u32 dup_of */

/* The pending write batch: its transaction, counters and a log of its
 * operations ([u8 op][u32 len][payload] each) for replay after growth. */
struct idx_batch {
    MDB_txn *txn;          /* live write txn (map_lock held for reading) */
    uint64_t next_id, doc_count;
    int ops;
    uint8_t *log;
    size_t log_len, log_cap;
};

/* --- records ------------------------------------------------------------ */

static size_t record_size(const idx_index *ix, const idx_doc *d)
{
    return REC_HEADER + (size_t)ix->code_bytes + d->name_len + 1 + d->labels_len + 1 + d->sig_len;
}

static void record_encode(const idx_index *ix, const idx_doc *d, uint8_t *p)
{
    p[0] = REC_VERSION;
    p[1] = 0;
    idx_put_u16(p + 2, (uint16_t)d->name_len);
    idx_put_u16(p + 4, (uint16_t)d->labels_len);
    idx_put_u16(p + 6, (uint16_t)d->sig_len);
    idx_put_u64(p + 8, d->content_hash);
    idx_put_u64(p + 16, d->length);
    p += REC_HEADER;
    code_to_bytes(&d->code, ix->bits, p);
    p += ix->code_bytes;
    memcpy(p, d->name, d->name_len);
    p += d->name_len;
    *p++ = 0;
    if (d->labels_len)
        memcpy(p, d->labels, d->labels_len);
    p += d->labels_len;
    *p++ = 0;
    if (d->sig_len)
        memcpy(p, d->sig, d->sig_len);
}

int idx_doc_decode(const idx_index *ix, const void *bytes, size_t len, idx_doc *d)
{
    const uint8_t *p = bytes;
    if (len < REC_HEADER + (size_t)ix->code_bytes + 2 || p[0] != REC_VERSION)
        return SH_EINDEX;
    memset(d, 0, sizeof *d);
    d->name_len = idx_get_u16(p + 2);
    d->labels_len = idx_get_u16(p + 4);
    d->sig_len = idx_get_u16(p + 6);
    if (record_size(ix, d) != len)
        return SH_EINDEX;
    d->content_hash = idx_get_u64(p + 8);
    d->length = idx_get_u64(p + 16);
    p += REC_HEADER;
    d->code = code_from_bytes(p, ix->bits);
    p += ix->code_bytes;
    d->name = (const char *)p;
    p += d->name_len;
    if (*p++ != 0)
        return SH_EINDEX;
    d->labels = (const char *)p;
    p += d->labels_len;
    if (*p++ != 0)
        return SH_EINDEX;
    d->sig = d->sig_len ? p : NULL;
    return 0;
}

static int check_doc(const idx_index *ix, const idx_doc *d, char *err, size_t err_len)
{
    if (!d->name || d->name_len == 0 || d->name_len > IDX_MAX_NAME ||
        memchr(d->name, 0, d->name_len))
        return sh_fail(err, err_len, SH_EINVAL,
                       "document name must be 1..%d bytes without NUL (got %zu bytes)",
                       IDX_MAX_NAME, d->name_len);
    if (d->labels_len > 65535 || (d->labels_len && (!d->labels || memchr(d->labels, 0, d->labels_len))))
        return sh_fail(err, err_len, SH_EINVAL,
                       "labels of document %.*s: at most 65535 bytes without NUL", (int)d->name_len,
                       d->name);
    if (d->sig_len != (size_t)ix->sig_bytes || (d->sig_len && !d->sig))
        return sh_fail(err, err_len, SH_EINVAL,
                       "signature of document %.*s has %zu bytes; index %s expects %d",
                       (int)d->name_len, d->name, d->sig_len, ix->path, ix->sig_bytes);
    /* the bits past the width: the low 128 - bits of the two words */
    uint64_t beyond0 = ix->bits >= 64 ? 0 : ~(uint64_t)0 >> ix->bits;
    uint64_t beyond1 = ix->bits <= 64 ? ~(uint64_t)0 : ix->bits >= 128 ? 0 : ~(uint64_t)0 >> (ix->bits - 64);
    if ((d->code.w[0] & beyond0) | (d->code.w[1] & beyond1))
        return sh_fail(err, err_len, SH_EINVAL,
                       "code of document %.*s has bits set beyond the index's %d bits",
                       (int)d->name_len, d->name, ix->bits);
    return 0;
}

/* --- table updates (return LMDB codes) ----------------------------------- */

static void id_key(uint32_t id, uint8_t *buf, MDB_val *k)
{
    idx_put_u32(buf, id);
    k->mv_size = IDX_ID_BYTES;
    k->mv_data = buf;
}

/* Puts (or with del != 0 deletes) the mih entries of doc id with the
 * given code and content hash. */
static int index_entries(idx_index *ix, MDB_txn *txn, uint32_t id, const sh_code *code,
                         uint64_t hash, int del)
{
    int rc = 0;
    for (int j = 0; (rc == 0 || (del && rc == MDB_NOTFOUND)) && j < ix->m; j++) {
        uint8_t sk[8], entry[IDX_ID_BYTES + IDX_TAG_BYTES + 16];
        idx_substring_key(idx_substring_value(code, &ix->sub[j]), &ix->sub[j], sk);
        idx_entry_encode(code, hash, id, &ix->sub[j], entry);
        MDB_val mk = { (size_t)ix->sub[j].key_bytes, sk };
        size_t eb = (size_t)ix->sub[j].entry_bytes;
        rc = del ? idx_bucket_remove(ix, txn, ix->db_mih[j], &mk, entry, eb)
                 : idx_bucket_insert(ix, txn, ix->db_mih[j], &mk, entry, eb);
    }
    /* Deleting tolerates entries already missing (a damaged index heals). */
    return del && rc == MDB_NOTFOUND ? 0 : rc;
}

static int lookup_name(idx_index *ix, MDB_txn *txn, const char *name, size_t len, uint32_t *id)
{
    MDB_val k = { len, (void *)name }, v;
    int rc = mdb_get(txn, ix->db_names, &k, &v);
    if (rc == 0 && v.mv_size != IDX_ID_BYTES)
        rc = MDB_CORRUPTED;
    *id = rc == 0 ? idx_get_u32(v.mv_data) : 0;
    return rc;
}

/* find_duplicate's test of one entry with the code's rest and the tag. */
typedef struct {
    idx_index *ix;
    MDB_txn *txn;
    uint64_t hash;
    uint32_t self, dup;
} dup_walk;

static int dup_entry(const uint8_t *e, void *ctx)
{
    dup_walk *w = ctx;
    uint32_t id = idx_entry_id(e, &w->ix->sub[0]);
    if (id == w->self)
        return 0;
    uint8_t kb[IDX_ID_BYTES];
    MDB_val dk, dv;
    idx_doc d;
    id_key(id, kb, &dk);
    int rc = mdb_get(w->txn, w->ix->db_docs, &dk, &dv);
    if (rc == 0 && idx_doc_decode(w->ix, dv.mv_data, dv.mv_size, &d) == 0 &&
        d.content_hash == w->hash) {
        w->dup = id;
        return IDX_BUCKET_STOP;
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* First doc id other than self whose content hash is hash (and so whose
 * code is code), or 0: the entries of mih_0's bucket with the code's rest
 * and the hash's tag (one run, in id order), each confirmed by its
 * record's whole hash. */
static int find_duplicate(idx_index *ix, MDB_txn *txn, const sh_code *code, uint64_t hash,
                          uint32_t self, uint32_t *dup)
{
    const idx_substring *s = &ix->sub[0];
    uint8_t key[8], want[IDX_ID_BYTES + IDX_TAG_BYTES + 16];
    idx_substring_key(idx_substring_value(code, s), s, key);
    idx_entry_encode(code, hash, 0, s, want);
    dup_walk w = { ix, txn, hash, self, 0 };
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, ix->db_mih[0], &cur);
    if (rc)
        return rc;
    rc = idx_bucket_run(cur, key, (size_t)s->key_bytes, (size_t)s->entry_bytes, want,
                        (size_t)(s->rest_bytes + s->tag_bytes), dup_entry, &w);
    mdb_cursor_close(cur);
    *dup = rc ? 0 : w.dup;
    return rc;
}

static int apply_add(idx_index *ix, struct idx_batch *b, const uint8_t *rec, size_t len,
                     idx_add_result *res)
{
    idx_doc d;
    if (idx_doc_decode(ix, rec, len, &d))
        return MDB_CORRUPTED; /* cannot happen: we encoded it */
    uint32_t old = 0, id;
    int rc = lookup_name(ix, b->txn, d.name, d.name_len, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    uint32_t dup;
    rc = find_duplicate(ix, b->txn, &d.code, d.content_hash, old, &dup);
    if (rc)
        return rc;
    *res = (idx_add_result){ 0, 0, dup };
    if (dup && !ix->store_duplicates) {
        res->action = IDX_SKIPPED_DUPLICATE;
        return 0;
    }
    uint8_t kb[IDX_ID_BYTES];
    MDB_val k, v;
    if (old) {
        id = old;
        id_key(id, kb, &k);
        rc = mdb_get(b->txn, ix->db_docs, &k, &v);
        idx_doc prev;
        if (rc == 0 && v.mv_size == len && memcmp(v.mv_data, rec, len) == 0) {
            *res = (idx_add_result){ IDX_UNCHANGED, id, dup };
            return 0;
        }
        if (rc == 0 && idx_doc_decode(ix, v.mv_data, v.mv_size, &prev) == 0)
            rc = index_entries(ix, b->txn, id, &prev.code, prev.content_hash, 1);
        else if (rc == 0 || rc == MDB_NOTFOUND)
            rc = 0; /* damaged or missing record: overwrite it */
        if (rc)
            return rc;
        res->action = IDX_REPLACED;
    } else {
        if (b->next_id > UINT32_MAX)
            return SH_EFULL; /* doc ids exhausted; reported by run_op */
        id = (uint32_t)b->next_id++;
        b->doc_count++;
        id_key(id, kb, &k);
        MDB_val nk = { d.name_len, (void *)d.name }, nv = { IDX_ID_BYTES, kb };
        rc = mdb_put(b->txn, ix->db_names, &nk, &nv, MDB_NOOVERWRITE);
        if (rc)
            return rc;
        res->action = IDX_ADDED;
    }
    res->id = id;
    v.mv_size = len;
    v.mv_data = (void *)rec;
    rc = mdb_put(b->txn, ix->db_docs, &k, &v, 0);
    if (rc)
        return rc;
    return index_entries(ix, b->txn, id, &d.code, d.content_hash, 0);
}

/* MDB_NOTFOUND when the name is absent (nothing changed). */
static int apply_remove(idx_index *ix, struct idx_batch *b, const uint8_t *name, size_t len,
                        uint32_t *id_out)
{
    uint32_t id;
    int rc = lookup_name(ix, b->txn, (const char *)name, len, &id);
    if (rc)
        return rc;
    uint8_t kb[IDX_ID_BYTES];
    MDB_val k, v, nk = { len, (void *)name };
    id_key(id, kb, &k);
    rc = mdb_get(b->txn, ix->db_docs, &k, &v);
    idx_doc prev;
    if (rc == 0 && idx_doc_decode(ix, v.mv_data, v.mv_size, &prev) == 0)
        rc = index_entries(ix, b->txn, id, &prev.code, prev.content_hash, 1);
    else if (rc == 0 || rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = mdb_del(b->txn, ix->db_docs, &k, NULL);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = mdb_del(b->txn, ix->db_names, &nk, NULL);
    if (!rc) {
        b->doc_count--;
        *id_out = id;
    }
    return rc;
}

/* A bulk load's replacement: the new record at the document's id. */
static int apply_put(idx_index *ix, struct idx_batch *b, const uint8_t *p, size_t len,
                     idx_add_result *res)
{
    uint32_t id = idx_get_u32(p);
    uint8_t kb[IDX_ID_BYTES];
    MDB_val k, v = { len - PUT_HEAD, (void *)(p + PUT_HEAD) };
    id_key(id, kb, &k);
    int rc = mdb_put(b->txn, ix->db_docs, &k, &v, 0);
    if (rc)
        return rc;
    *res = (idx_add_result){ IDX_REPLACED, id, idx_get_u32(p + 4) };
    return 0;
}

static int apply_op(idx_index *ix, struct idx_batch *b, int op, const uint8_t *p, size_t len,
                    idx_add_result *res, uint32_t *removed)
{
    if (op == OP_ADD)
        return apply_add(ix, b, p, len, res);
    if (op == OP_PUT)
        return apply_put(ix, b, p, len, res);
    if (op == OP_REMOVE)
        return apply_remove(ix, b, p, len, removed);
    MDB_val k = { 5, "model" }, v = { len, (void *)p };
    return mdb_put(b->txn, ix->db_model, &k, &v, 0);
}

/* --- batch lifecycle ------------------------------------------------------ */

static void batch_end_txn(idx_index *ix, struct idx_batch *b, int commit, int *rc)
{
    if (!b->txn)
        return;
    if (commit)
        *rc = mdb_txn_commit(b->txn);
    else
        mdb_txn_abort(b->txn);
    b->txn = NULL;
    pthread_rwlock_unlock(&ix->map_lock);
}

static int batch_begin_txn(idx_index *ix, struct idx_batch *b)
{
    int rc = idx_txn_begin(ix, 0, &b->txn);
    if (rc) {
        b->txn = NULL;
        return rc;
    }
    rc = idx_meta_get_u64(ix, b->txn, "next_id", &b->next_id);
    if (!rc)
        rc = idx_meta_get_u64(ix, b->txn, "doc_count", &b->doc_count);
    if (!rc && b->next_id == 0)
        b->next_id = 1;
    if (rc)
        batch_end_txn(ix, b, 0, NULL);
    return rc;
}

void idx_batch_discard(idx_index *ix)
{
    if (!ix || !ix->batch)
        return;
    batch_end_txn(ix, ix->batch, 0, NULL);
    free(ix->batch->log);
    free(ix->batch);
    ix->batch = NULL;
}

int idx_batch_pending(const idx_index *ix)
{
    return (ix && ix->batch ? ix->batch->ops : 0) + (int)idx_bulk_buffer_count(ix);
}

static int batch_open(idx_index *ix, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    if (ix->batch)
        return 0;
    struct idx_batch *b = calloc(1, sizeof *b);
    if (!b)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a write batch");
    int rc = batch_begin_txn(ix, b);
    if (rc) {
        free(b);
        return idx_lmdb_error(ix, rc, "starting a write transaction", err, err_len);
    }
    ix->batch = b;
    return 0;
}

static int log_append(struct idx_batch *b, int op, const void *head, size_t head_len,
                      const void *body, size_t body_len)
{
    size_t need = b->log_len + 5 + head_len + body_len;
    void *log = b->log;
    if (idx_reserve(&log, &b->log_cap, need, 4096))
        return SH_ENOMEM;
    b->log = log;
    uint8_t *p = b->log + b->log_len;
    p[0] = (uint8_t)op;
    idx_put_u32(p + 1, (uint32_t)(head_len + body_len));
    if (head_len)
        memcpy(p + 5, head, head_len);
    if (body_len)
        memcpy(p + 5 + head_len, body, body_len);
    b->log_len = need;
    return 0;
}

/* Aborts, grows the map, restarts the transaction and replays the log;
 * the last operation's results land in res / removed. LMDB code or a
 * semhash code from the growth. */
static int grow_and_replay(idx_index *ix, idx_add_result *res, uint32_t *removed, char *err,
                           size_t err_len)
{
    struct idx_batch *b = ix->batch;
    int rc = MDB_MAP_FULL;
    while (rc == MDB_MAP_FULL) {
        batch_end_txn(ix, b, 0, NULL);
        rc = idx_map_grow(ix, err, err_len);
        if (rc)
            return rc;
        rc = batch_begin_txn(ix, b);
        for (size_t at = 0; rc == 0 && at < b->log_len;) {
            size_t len = idx_get_u32(b->log + at + 1);
            idx_add_result r;
            uint32_t rm = 0;
            rc = apply_op(ix, b, b->log[at], b->log + at + 5, len, &r, &rm);
            if (res)
                *res = r;
            if (removed)
                *removed = rm;
            at += 5 + len;
        }
    }
    return rc;
}

static int batch_commit(idx_index *ix, char *err, size_t err_len);

/* Logs and applies one operation, growing and replaying as needed. */
static int run_op(idx_index *ix, int op, const void *head, size_t head_len, const void *body,
                  size_t body_len, idx_add_result *res, uint32_t *removed, char *err,
                  size_t err_len)
{
    int rc = batch_open(ix, err, err_len);
    if (rc)
        return rc;
    struct idx_batch *b = ix->batch;
    size_t mark = b->log_len;
    if (log_append(b, op, head, head_len, body, body_len))
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory logging a write");
    const uint8_t *payload = b->log + mark + 5;
    rc = apply_op(ix, b, op, payload, head_len + body_len, res, removed);
    if (rc == MDB_NOTFOUND && op == OP_REMOVE) {
        b->log_len = mark;
        return sh_fail(err, err_len, SH_ENOTFOUND, "no document named %.*s in index %s",
                       (int)head_len, (const char *)head, ix->path);
    }
    if (rc == SH_EFULL) {
        idx_batch_discard(ix);
        return sh_fail(err, err_len, SH_EFULL, "index %s: doc ids exhausted", ix->path);
    }
    if (rc == MDB_MAP_FULL)
        rc = grow_and_replay(ix, res, removed, err, err_len);
    if (rc) {
        idx_batch_discard(ix);
        if (rc == MDB_TXN_FULL)
            return sh_fail(err, err_len, SH_EFULL,
                           "index %s: too many changes in one transaction; use a smaller "
                           "batch size",
                           ix->path);
        /* semhash codes come with their message from the growth */
        return rc < 0 && rc > -100 ? rc : idx_lmdb_error(ix, rc, "writing", err, err_len);
    }
    b->ops++;
    if (b->ops >= ix->batch_size)
        return batch_commit(ix, err, err_len);
    return 0;
}

/* Commits the write batch (not a bulk load's buffer). */
static int batch_commit(idx_index *ix, char *err, size_t err_len)
{
    if (!ix->batch)
        return 0;
    struct idx_batch *b = ix->batch;
    int rc;
    for (;;) {
        rc = idx_meta_put_u64(ix, b->txn, "next_id", b->next_id);
        if (!rc)
            rc = idx_meta_put_u64(ix, b->txn, "doc_count", b->doc_count);
        if (!rc)
            batch_end_txn(ix, b, 1, &rc);
        if (rc != MDB_MAP_FULL)
            break;
        rc = grow_and_replay(ix, NULL, NULL, err, err_len);
        if (rc)
            break;
    }
    idx_batch_discard(ix);
    if (rc < 0 && rc > -100)
        return rc; /* semhash code from the growth, message written */
    return idx_lmdb_error(ix, rc, "committing", err, err_len);
}

/* bulk_flush's transaction: every buffered record appended to the docs
 * table with one cursor, and the counters in meta moved on. Runs again
 * from the start after a map growth (idx_rewrite). LMDB code. */
static int append_buffered(MDB_txn *wtxn, MDB_txn *rtxn, void *arg)
{
    (void)rtxn;
    idx_index *ix = arg;
    const uint8_t *p;
    size_t len;
    uint64_t next_id, doc_count;
    idx_bulk_buffer_view(ix, &p, &len);
    int rc = idx_meta_get_u64(ix, wtxn, "next_id", &next_id);
    if (!rc)
        rc = idx_meta_get_u64(ix, wtxn, "doc_count", &doc_count);
    MDB_cursor *c;
    if (!rc)
        rc = mdb_cursor_open(wtxn, ix->db_docs, &c);
    if (rc)
        return rc;
    for (size_t at = 0; rc == 0 && at < len;) {
        uint32_t n = idx_get_u32(p + at + 4);
        MDB_val k = { IDX_ID_BYTES, (void *)(p + at) }, v = { n, (void *)(p + at + 8) };
        rc = mdb_cursor_put(c, &k, &v, MDB_APPEND); /* the id: 4 bytes big-endian */
        next_id = (uint64_t)idx_get_u32(p + at) + 1;
        doc_count++;
        at += 8 + (size_t)n;
    }
    mdb_cursor_close(c);
    if (!rc)
        rc = idx_meta_put_u64(ix, wtxn, "next_id", next_id);
    if (!rc)
        rc = idx_meta_put_u64(ix, wtxn, "doc_count", doc_count);
    return rc;
}

/* Writes a bulk load's buffered records (idx_bulk.h) to the docs table,
 * after committing the pending batch: one transaction appending them in
 * id order. On failure the load is broken. */
static int bulk_flush(idx_index *ix, char *err, size_t err_len)
{
    int rc = batch_commit(ix, err, err_len);
    if (!rc)
        rc = idx_rewrite(ix, "writing the documents", append_buffered, ix, err, err_len);
    if (rc)
        idx_bulk_fail(ix);
    else
        idx_bulk_buffer_clear(ix);
    return rc;
}

int idx_commit(idx_index *ix, char *err, size_t err_len)
{
    if (ix->bulk && !idx_bulk_broken(ix) && idx_bulk_buffer_count(ix)) {
        int rc = bulk_flush(ix, err, err_len);
        if (rc)
            return rc;
    }
    return batch_commit(ix, err, err_len);
}

/* idx_add during a bulk load: the name and duplicate lookups come from
 * memory (idx_bulk.h); a new document's record waits in the load's
 * buffer, a replacement's is written at once (after the buffer, when it
 * replaces a buffered one: the old record is read back to compare). */
static int bulk_add(idx_index *ix, const idx_doc *doc, const uint8_t *rec, size_t len,
                    idx_add_result *res, char *err, size_t err_len)
{
    if (idx_bulk_broken(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: a write failed during this bulk load; close and reopen the "
                       "index (its tables are built from what was committed)",
                       ix->path);
    uint32_t old = idx_bulk_name_id(ix, doc->name, doc->name_len);
    uint32_t dup = idx_bulk_duplicate(ix, doc->content_hash, &doc->code, old);
    *res = (idx_add_result){ 0, 0, dup };
    if (dup && !ix->store_duplicates) {
        res->action = IDX_SKIPPED_DUPLICATE;
        return 0;
    }
    int rc;
    if (!old) {
        uint64_t next = idx_bulk_next_id(ix);
        if (next > UINT32_MAX) {
            idx_bulk_fail(ix);
            return sh_fail(err, err_len, SH_EFULL, "index %s: doc ids exhausted", ix->path);
        }
        uint32_t id = (uint32_t)next;
        rc = idx_bulk_buffer_add(ix, id, rec, len);
        if (!rc)
            rc = idx_bulk_note(ix, doc->name, doc->name_len, id, &doc->code, doc->content_hash,
                               0, 0);
        if (rc)
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory during a bulk load");
        *res = (idx_add_result){ IDX_ADDED, id, dup };
        if (idx_bulk_buffer_bytes(ix) >= IDX_BULK_BUFFER)
            return bulk_flush(ix, err, err_len);
        return 0;
    }
    if (idx_bulk_buffered(ix, old) && (rc = bulk_flush(ix, err, err_len)) != 0)
        return rc;
    rc = batch_open(ix, err, err_len);
    if (rc)
        return rc;
    uint8_t kb[IDX_ID_BYTES];
    MDB_val k, v;
    id_key(old, kb, &k);
    rc = mdb_get(ix->batch->txn, ix->db_docs, &k, &v);
    idx_doc prev;
    uint64_t old_hash = 0;
    if (rc == 0 && v.mv_size == len && memcmp(v.mv_data, rec, len) == 0) {
        *res = (idx_add_result){ IDX_UNCHANGED, old, dup };
        return 0;
    }
    if (rc == 0 && idx_doc_decode(ix, v.mv_data, v.mv_size, &prev) == 0)
        old_hash = prev.content_hash;
    else if (rc) {
        idx_bulk_fail(ix);
        idx_batch_discard(ix);
        return idx_lmdb_error(ix, rc, "reading a doc", err, err_len);
    }
    uint8_t head[PUT_HEAD];
    idx_put_u32(head, old);
    idx_put_u32(head + 4, dup);
    rc = run_op(ix, OP_PUT, head, sizeof head, rec, len, res, NULL, err, err_len);
    if (!rc)
        rc = idx_bulk_note(ix, doc->name, doc->name_len, old, &doc->code, doc->content_hash, 1,
                           old_hash);
    if (rc == SH_ENOMEM)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory during a bulk load");
    if (rc)
        idx_bulk_fail(ix);
    return rc;
}

int idx_add(idx_index *ix, const idx_doc *doc, idx_add_result *res, char *err, size_t err_len)
{
    idx_add_result local;
    if (!res)
        res = &local;
    *res = (idx_add_result){ 0, 0, 0 };
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    int rc = check_doc(ix, doc, err, err_len);
    if (rc)
        return rc;
    size_t len = record_size(ix, doc);
    uint8_t stack[1024];
    uint8_t *rec = len <= sizeof stack ? stack : malloc(len);
    if (!rec)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a doc record");
    record_encode(ix, doc, rec);
    if (ix->bulk)
        rc = bulk_add(ix, doc, rec, len, res, err, err_len);
    else
        rc = run_op(ix, OP_ADD, rec, len, NULL, 0, res, NULL, err, err_len);
    if (rec != stack)
        free(rec);
    return rc;
}

/* How many documents ahead idx_add_batch fetches a bulk load's lookups:
 * enough to cover a memory access while adding that many. */
#define PREFETCH_AHEAD 8

int idx_add_batch(idx_index *ix, const idx_doc *docs, size_t n, idx_add_result *res,
                  size_t *done, char *err, size_t err_len)
{
    size_t local;
    if (!done)
        done = &local;
    *done = 0;
    for (size_t i = 0; i < n; i++) {
        if (ix->bulk && i + PREFETCH_AHEAD < n) {
            const idx_doc *ahead = &docs[i + PREFETCH_AHEAD];
            if (ahead->name && ahead->name_len)
                idx_bulk_prefetch(ix, ahead->name, ahead->name_len, ahead->content_hash);
        }
        int rc = idx_add(ix, &docs[i], res ? &res[i] : NULL, err, err_len);
        if (rc)
            return rc;
        *done = i + 1;
    }
    return 0;
}

int idx_remove(idx_index *ix, const char *name, size_t len, uint32_t *id, char *err,
               size_t err_len)
{
    uint32_t local;
    if (!id)
        id = &local;
    *id = 0;
    if (len == 0 || len > IDX_MAX_NAME)
        return sh_fail(err, err_len, SH_ENOTFOUND, "no document named %.*s", (int)len, name);
    if (ix->bulk)
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: finish the bulk load (idx_bulk_finish) before removing",
                       ix->path);
    return run_op(ix, OP_REMOVE, name, len, NULL, 0, NULL, id, err, err_len);
}

int idx_model_put(idx_index *ix, const void *blob, size_t len, char *err, size_t err_len)
{
    if (len > UINT32_MAX)
        return sh_fail(err, err_len, SH_EINVAL, "model of %zu bytes is too large", len);
    int rc = run_op(ix, OP_MODEL, blob, len, NULL, 0, NULL, NULL, err, err_len);
    return rc ? rc : idx_commit(ix, err, err_len);
}

/* --- reading ---------------------------------------------------------------- */

int idx_doc_get(idx_reader *rd, uint32_t id, idx_doc *doc)
{
    uint8_t kb[IDX_ID_BYTES];
    MDB_val k, v;
    id_key(id, kb, &k);
    int rc = mdb_get(rd->txn, rd->ix->db_docs, &k, &v);
    if (rc)
        return idx_lmdb_error(rd->ix, rc, "reading a doc", NULL, 0);
    rc = idx_doc_decode(rd->ix, v.mv_data, v.mv_size, doc);
    doc->id = id;
    return rc;
}

int idx_doc_find(idx_reader *rd, const char *name, size_t len, idx_doc *doc)
{
    if (len == 0 || len > IDX_MAX_NAME)
        return SH_ENOTFOUND;
    uint32_t id;
    int rc = lookup_name(rd->ix, rd->txn, name, len, &id);
    if (rc)
        return idx_lmdb_error(rd->ix, rc, "looking up a name", NULL, 0);
    return idx_doc_get(rd, id, doc);
}

int idx_docs_foreach(idx_reader *rd, int (*fn)(const idx_doc *doc, void *ctx), void *ctx)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(rd->txn, rd->ix->db_docs, &cur);
    if (rc)
        return idx_lmdb_error(rd->ix, rc, "walking docs", NULL, 0);
    MDB_val k, v;
    int out = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && out == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        idx_doc d;
        if (k.mv_size != IDX_ID_BYTES || idx_doc_decode(rd->ix, v.mv_data, v.mv_size, &d)) {
            out = SH_EINDEX;
            break;
        }
        d.id = idx_get_u32(k.mv_data);
        out = fn(&d, ctx);
    }
    mdb_cursor_close(cur);
    if (out)
        return out;
    return rc == MDB_NOTFOUND ? 0 : idx_lmdb_error(rd->ix, rc, "walking docs", NULL, 0);
}
