/* idx_compact.c — rebuilding the derived tables in key order. See
 * idx_compact.h.
 *
 * One generic path serves every table: the (key, value) pairs of the
 * table are gathered from the doc records into an arena as
 * [u16 key length][u16 value length][key][value], sorted the way LMDB
 * orders them (keys by bytes, a shorter key first when one is a prefix
 * of the other; then values by bytes), and written into the emptied
 * table with MDB_APPEND (a new key) or MDB_APPENDDUP (another value of
 * the same key), which fills each page before starting the next.
 */
#include "idx_compact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx_docs.h"
#include "sh_error.h"

/* Which table: 0..m-1 a mih table, then names, then content. */
enum { TABLE_NAMES = -1, TABLE_CONTENT = -2 };

typedef struct {
    uint8_t *arena;
    size_t len, cap;
    size_t *at;      /* offsets of the pairs in the arena */
    size_t n, n_cap;
} pair_list;

static void pairs_free(pair_list *p)
{
    free(p->arena);
    free(p->at);
    memset(p, 0, sizeof *p);
}

static int pairs_add(pair_list *p, const void *key, size_t klen, const void *val, size_t vlen)
{
    size_t need = 4 + klen + vlen;
    if (p->len + need > p->cap) {
        size_t cap = p->cap ? p->cap : 1 << 16;
        while (cap < p->len + need)
            cap *= 2;
        uint8_t *a = realloc(p->arena, cap);
        if (!a)
            return SH_ENOMEM;
        p->arena = a;
        p->cap = cap;
    }
    if (p->n == p->n_cap) {
        size_t cap = p->n_cap ? p->n_cap * 2 : 4096;
        size_t *at = realloc(p->at, cap * sizeof *at);
        if (!at)
            return SH_ENOMEM;
        p->at = at;
        p->n_cap = cap;
    }
    uint8_t *q = p->arena + p->len;
    idx_put_u16(q, (uint16_t)klen);
    idx_put_u16(q + 2, (uint16_t)vlen);
    memcpy(q + 4, key, klen);
    memcpy(q + 4 + klen, val, vlen);
    p->at[p->n++] = p->len;
    p->len += need;
    return 0;
}

/* LMDB's default order (mdb_cmp_memn): bytes, then length. */
static int bytes_order(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

/* qsort_r comparator; arena is the pair list's arena. */
static int pair_order(const void *x, const void *y, void *arena)
{
    const uint8_t *base = arena;
    const uint8_t *a = base + *(const size_t *)x, *b = base + *(const size_t *)y;
    size_t ak = idx_get_u16(a), bk = idx_get_u16(b);
    int c = bytes_order(a + 4, ak, b + 4, bk);
    if (c)
        return c;
    return bytes_order(a + 4 + ak, idx_get_u16(a + 2), b + 4 + bk, idx_get_u16(b + 2));
}

/* The pair(s) of one document for the table. */
static int doc_pairs(const idx_index *ix, int table, const idx_doc *d, pair_list *p)
{
    uint8_t idb[IDX_ID_BYTES];
    idx_put_u32(idb, d->id);
    if (table == TABLE_NAMES)
        return pairs_add(p, d->name, d->name_len, idb, IDX_ID_BYTES);
    if (table == TABLE_CONTENT) {
        uint8_t hb[8];
        idx_put_u64(hb, d->content_hash);
        return pairs_add(p, hb, 8, idb, IDX_ID_BYTES);
    }
    const idx_substring *s = &ix->sub[table];
    uint8_t key[8], entry[IDX_ID_BYTES + 16];
    idx_substring_key(idx_substring_value(&d->code, s), s, key);
    idx_entry_encode(&d->code, d->id, s, entry);
    return pairs_add(p, key, (size_t)s->key_bytes, entry, (size_t)s->entry_bytes);
}

/* Gathers the table's pairs from every doc record seen by txn. Returns a
 * semhash code or an LMDB code. */
static int gather(idx_index *ix, MDB_txn *txn, int table, pair_list *p)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, ix->db_docs, &c);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        idx_doc d;
        if (k.mv_size != IDX_ID_BYTES || idx_doc_decode(ix, v.mv_data, v.mv_size, &d)) {
            rc = SH_EINDEX;
            break;
        }
        d.id = idx_get_u32(k.mv_data);
        rc = doc_pairs(ix, table, &d, p);
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Empties dbi and writes the sorted pairs with appends. LMDB code. */
static int write_sorted(MDB_txn *txn, MDB_dbi dbi, pair_list *p)
{
    int rc = mdb_drop(txn, dbi, 0);
    MDB_cursor *c;
    if (!rc)
        rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    const uint8_t *prev = NULL;
    for (size_t i = 0; i < p->n && !rc; i++) {
        const uint8_t *q = p->arena + p->at[i];
        size_t klen = idx_get_u16(q), vlen = idx_get_u16(q + 2);
        MDB_val k = { klen, (void *)(q + 4) }, v = { vlen, (void *)(q + 4 + klen) };
        int same_key = prev && idx_get_u16(prev) == klen && memcmp(prev + 4, q + 4, klen) == 0;
        rc = mdb_cursor_put(c, &k, &v, same_key ? MDB_APPENDDUP : MDB_APPEND);
        prev = q;
    }
    mdb_cursor_close(c);
    return rc;
}

static MDB_dbi table_dbi(const idx_index *ix, int table)
{
    if (table == TABLE_NAMES)
        return ix->db_names;
    if (table == TABLE_CONTENT)
        return ix->db_content;
    return ix->db_mih[table];
}

/* Rebuilds one table in one transaction, growing the map as needed. */
static int rebuild_table(idx_index *ix, int table, const char *name, char *err, size_t err_len)
{
    for (;;) {
        MDB_txn *txn;
        int rc = idx_txn_begin(ix, 0, &txn);
        if (rc)
            return idx_lmdb_error(ix, rc, "starting a write transaction", err, err_len);
        pair_list p = { 0 };
        rc = gather(ix, txn, table, &p);
        if (!rc) {
            if (p.n > 1)
                qsort_r(p.at, p.n, sizeof *p.at, pair_order, p.arena);
            rc = write_sorted(txn, table_dbi(ix, table), &p);
        }
        pairs_free(&p);
        if (rc == 0) {
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }
        pthread_rwlock_unlock(&ix->map_lock);
        if (rc == MDB_MAP_FULL) {
            rc = idx_map_grow(ix, err, err_len);
            if (rc)
                return rc;
            continue;
        }
        if (rc == SH_ENOMEM)
            return sh_fail(err, err_len, SH_ENOMEM, "index %s: out of memory compacting %s",
                           ix->path, name);
        if (rc == SH_EINDEX)
            return sh_fail(err, err_len, SH_EINDEX,
                           "index %s: a damaged doc record; %s left as it was", ix->path, name);
        if (rc == MDB_TXN_FULL)
            return sh_fail(err, err_len, SH_EFULL,
                           "index %s: table %s too large to rewrite in one transaction",
                           ix->path, name);
        return idx_lmdb_error(ix, rc, "compacting", err, err_len);
    }
}

int idx_compact(idx_index *ix, idx_compact_fn fn, void *user, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    if (idx_batch_pending(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: commit the pending writes before compacting", ix->path);
    int total = ix->m + 2;
    for (int t = 0; t < total; t++) {
        int table = t < ix->m ? t : t == ix->m ? TABLE_NAMES : TABLE_CONTENT;
        char name[16];
        if (table >= 0)
            snprintf(name, sizeof name, "mih_%d", table);
        else
            snprintf(name, sizeof name, "%s", table == TABLE_NAMES ? "names" : "content");
        int rc = rebuild_table(ix, table, name, err, err_len);
        if (rc)
            return rc;
        if (fn && fn(name, t + 1, total, user))
            return sh_fail(err, err_len, SH_ECANCEL, "compacting index %s: cancelled after %s",
                           ix->path, name);
    }
    return 0;
}
