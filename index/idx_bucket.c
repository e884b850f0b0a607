/* idx_bucket.c — buckets and chunks of the mih tables. See idx_bucket.h. */
#include "idx_bucket.h"

#include <string.h>

#include "sh_error.h"

int idx_visit_bucket(const MDB_val *v, size_t entry_bytes, idx_values_fn fn, void *ctx)
{
    if (v->mv_size == 0 || v->mv_size % entry_bytes)
        return MDB_CORRUPTED;
    return fn(v->mv_data, v->mv_size / entry_bytes, ctx);
}

size_t idx_bucket_lower(const uint8_t *bucket, size_t n, size_t entry_bytes,
                        const uint8_t *want, size_t prefix)
{
    size_t lo = 0, hi = n; /* the answer is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(bucket + mid * entry_bytes, want, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int idx_bucket_key_ok(const MDB_val *k, size_t key_bytes, size_t entry_bytes)
{
    return k->mv_size == key_bytes || k->mv_size == key_bytes + entry_bytes;
}

/* 1 if k is key's whole bucket or one of its chunks. */
static int key_of_bucket(const MDB_val *k, const uint8_t *key, size_t key_bytes)
{
    return k->mv_size >= key_bytes && memcmp(k->mv_data, key, key_bytes) == 0;
}

int idx_bucket_visit(MDB_cursor *c, const uint8_t *key, size_t key_bytes, size_t entry_bytes,
                     idx_values_fn fn, void *ctx)
{
    MDB_val k = { key_bytes, (void *)key }, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    /* a whole bucket sits under the key itself; chunks follow it */
    while (rc == 0 && key_of_bucket(&k, key, key_bytes)) {
        if (!idx_bucket_key_ok(&k, key_bytes, entry_bytes))
            return MDB_CORRUPTED;
        rc = idx_visit_bucket(&v, entry_bytes, fn, ctx);
        if (rc || k.mv_size == key_bytes)
            break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    return rc == MDB_NOTFOUND || rc == IDX_BUCKET_STOP ? 0 : rc;
}

/* idx_bucket_run's walk of one chunk. */
typedef struct {
    const uint8_t *want;
    size_t prefix, entry_bytes;
    idx_entry_fn fn;
    void *ctx;
} run_walk;

static int run_entries(const uint8_t *entries, size_t count, void *ctx)
{
    const run_walk *w = ctx;
    const size_t eb = w->entry_bytes;
    for (size_t i = idx_bucket_lower(entries, count, eb, w->want, w->prefix); i < count; i++) {
        if (memcmp(entries + i * eb, w->want, w->prefix) != 0)
            return IDX_BUCKET_STOP; /* past the run */
        int rc = w->fn(entries + i * eb, w->ctx);
        if (rc)
            return rc;
    }
    return 0; /* the run may go on in the next chunk */
}

int idx_bucket_run(MDB_cursor *c, const uint8_t *key, size_t key_bytes, size_t entry_bytes,
                   const uint8_t *want, size_t prefix, idx_entry_fn fn, void *ctx)
{
    run_walk w = { want, prefix, entry_bytes, fn, ctx };
    return idx_bucket_visit(c, key, key_bytes, entry_bytes, run_entries, &w);
}

/* Where an entry goes: the key (whole bucket or chunk) and its value,
 * copied into ix's scratch buffer with room for one entry more. */
typedef struct {
    uint8_t key[8 + IDX_ID_BYTES + IDX_TAG_BYTES + 16]; /* key bytes (+ first entry) */
    size_t key_len;   /* 0: the bucket does not exist */
    size_t n;         /* entries in the buffer */
} chunk_ref;

/* Copies value v of key k (a whole bucket or a chunk) into ix's scratch
 * buffer, with room for one entry more. */
static int chunk_load(idx_index *ix, const MDB_val *k, const MDB_val *v, size_t entry_bytes,
                      chunk_ref *ref)
{
    if (k->mv_size > sizeof ref->key || v->mv_size == 0 || v->mv_size % entry_bytes)
        return MDB_CORRUPTED;
    void *buf = ix->bucket_buf;
    if (idx_reserve(&buf, &ix->bucket_cap, v->mv_size + entry_bytes, 4096))
        return SH_ENOMEM;
    ix->bucket_buf = buf;
    memcpy(ix->bucket_buf, v->mv_data, v->mv_size);
    memcpy(ref->key, k->mv_data, k->mv_size);
    ref->key_len = k->mv_size;
    ref->n = v->mv_size / entry_bytes;
    return 0;
}

/* Positions cursor c on the value of key's bucket that holds entry's
 * place: the whole bucket, or the last chunk whose first entry is not
 * above entry (the first chunk when entry is below them all), and copies
 * it into ix's scratch buffer; ref->key_len 0: no bucket. LMDB code,
 * MDB_CORRUPTED or SH_ENOMEM. */
static int chunk_find(idx_index *ix, MDB_cursor *c, const MDB_val *key, const uint8_t *entry,
                      size_t entry_bytes, chunk_ref *ref)
{
    const size_t kb = key->mv_size;
    uint8_t probe[sizeof ref->key];
    memcpy(probe, key->mv_data, kb);
    memcpy(probe + kb, entry, entry_bytes);
    MDB_val k = { kb, probe }, v;
    ref->key_len = 0;
    ref->n = 0;
    /* the first key >= key: the whole bucket, the first chunk, or none */
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && key_of_bucket(&k, key->mv_data, kb) && k.mv_size != kb) {
        /* chunks: the last one whose key is <= (key, entry) */
        k = (MDB_val){ kb + entry_bytes, probe };
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        int exact = rc == 0 && k.mv_size == kb + entry_bytes &&
                    memcmp(k.mv_data, probe, kb + entry_bytes) == 0;
        if (!exact) {
            rc = mdb_cursor_get(c, &k, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
            if (rc == MDB_NOTFOUND || (rc == 0 && !key_of_bucket(&k, key->mv_data, kb))) {
                /* below every chunk: the first one (perhaps the table's first key) */
                k = (MDB_val){ kb, probe };
                rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            }
        }
    }
    if (rc == 0 && key_of_bucket(&k, key->mv_data, kb))
        return idx_bucket_key_ok(&k, kb, entry_bytes) ? chunk_load(ix, &k, &v, entry_bytes, ref)
                                                      : MDB_CORRUPTED;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc; /* no bucket */
}

/* Puts n entries (from b) as one value of key's bucket through c: under
 * the key itself when whole, else under the key and the first entry;
 * with MDB_CURRENT over the value c stands on, MDB_APPEND at the end. */
static int chunk_put(MDB_cursor *c, const MDB_val *key, int whole, const uint8_t *b, size_t n,
                     size_t entry_bytes, unsigned flags)
{
    uint8_t kbuf[8 + IDX_ID_BYTES + IDX_TAG_BYTES + 16];
    memcpy(kbuf, key->mv_data, key->mv_size);
    MDB_val k = { key->mv_size, kbuf }, v = { n * entry_bytes, (void *)b };
    if (!whole) {
        memcpy(kbuf + key->mv_size, b, entry_bytes);
        k.mv_size += entry_bytes;
    }
    return mdb_cursor_put(c, &k, &v, flags);
}

int idx_bucket_append(MDB_cursor *w, const uint8_t *key, size_t key_bytes,
                      const uint8_t *entries, size_t n, size_t entry_bytes)
{
    MDB_val k = { key_bytes, (void *)key };
    if (n <= IDX_CHUNK_MAX)
        return chunk_put(w, &k, 1, entries, n, entry_bytes, MDB_APPEND);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n; at += IDX_CHUNK_MAX) {
        size_t part = n - at < IDX_CHUNK_MAX ? n - at : IDX_CHUNK_MAX;
        rc = chunk_put(w, &k, 0, entries + at * entry_bytes, part, entry_bytes, MDB_APPEND);
    }
    return rc;
}

/* Stores ix's scratch buffer (n entries: ref's value, changed) back
 * through c, which stands on ref's value: over it when the key stays
 * (a whole bucket, or a chunk whose first entry is unchanged), cut in
 * two chunks when over IDX_CHUNK_MAX entries. */
static int chunk_store(idx_index *ix, MDB_cursor *c, const MDB_val *key, const chunk_ref *ref,
                       size_t n, size_t entry_bytes)
{
    const size_t kb = key->mv_size;
    const uint8_t *b = ix->bucket_buf;
    int whole = ref->key_len == kb;
    int same_key = n > 0 && (whole || memcmp(ref->key + kb, b, entry_bytes) == 0);
    if (same_key && n <= IDX_CHUNK_MAX)
        return chunk_put(c, key, whole, b, n, entry_bytes, MDB_CURRENT);
    int rc = mdb_cursor_del(c, 0);
    if (rc || n == 0)
        return rc;
    if (n <= IDX_CHUNK_MAX)
        return chunk_put(c, key, whole, b, n, entry_bytes, 0);
    size_t half = n / 2;
    rc = chunk_put(c, key, 0, b, half, entry_bytes, 0);
    return rc ? rc : chunk_put(c, key, 0, b + half * entry_bytes, n - half, entry_bytes, 0);
}

/* idx_bucket_insert (remove 0) and idx_bucket_remove (remove 1). */
static int bucket_change(idx_index *ix, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                         const uint8_t *entry, size_t entry_bytes, int remove)
{
    MDB_cursor *c;
    chunk_ref ref;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    if ((rc = chunk_find(ix, c, key, entry, entry_bytes, &ref)) == 0) {
        uint8_t *b = ix->bucket_buf, *at_entry;
        size_t n = ref.n, at = idx_bucket_lower(b, n, entry_bytes, entry, entry_bytes);
        at_entry = b ? b + at * entry_bytes : NULL; /* no buffer before the first bucket read */
        int there = ref.key_len && at < n && memcmp(at_entry, entry, entry_bytes) == 0;
        if (remove && !there) {
            rc = MDB_NOTFOUND;
        } else if (remove) {
            memmove(at_entry, at_entry + entry_bytes, (n - at - 1) * entry_bytes);
            rc = chunk_store(ix, c, key, &ref, n - 1, entry_bytes);
        } else if (ref.key_len == 0) { /* a new bucket */
            MDB_val k = *key, v = { entry_bytes, (void *)entry };
            rc = mdb_cursor_put(c, &k, &v, 0);
        } else if (!there) {
            memmove(at_entry + entry_bytes, at_entry, (n - at) * entry_bytes);
            memcpy(at_entry, entry, entry_bytes);
            rc = chunk_store(ix, c, key, &ref, n + 1, entry_bytes);
        } /* else already there */
    }
    mdb_cursor_close(c);
    return rc;
}

int idx_bucket_insert(idx_index *ix, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                      const uint8_t *entry, size_t entry_bytes)
{
    return bucket_change(ix, txn, dbi, key, entry, entry_bytes, 0);
}

int idx_bucket_remove(idx_index *ix, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                      const uint8_t *entry, size_t entry_bytes)
{
    return bucket_change(ix, txn, dbi, key, entry, entry_bytes, 1);
}

int idx_bucket_count_all(MDB_txn *txn, MDB_dbi dbi, size_t entry_bytes, uint64_t *count)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    *count = 0;
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (v.mv_size == 0 || v.mv_size % entry_bytes) {
            rc = MDB_CORRUPTED;
            break;
        }
        *count += v.mv_size / entry_bytes;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
