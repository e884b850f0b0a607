/* idx_compact.c — rewriting the derived tables in key order. See
 * idx_compact.h.
 *
 * A table's entries already come out of a cursor in key order, which is
 * the order MDB_APPEND wants (the mih tables' buckets are one value per
 * key; MDB_APPENDDUP would serve a table with duplicates). So each table
 * is copied from a read snapshot into itself, emptied in the write
 * transaction: the read snapshot keeps the old pages alive (LMDB does
 * not reuse pages a live reader can see) while the write transaction
 * appends the same entries to fresh, full pages.
 * Memory does not grow with the table.
 */
#include "idx_compact.h"

#include <stdio.h>
#include <string.h>

#include "idx_docs.h"
#include "sh_error.h"

/* Which table: 0..m-1 a mih table, then names. */
enum { TABLE_NAMES = -1 };

/* Empties dbi in txn and appends every entry the reader's cursor c sees,
 * in their order: MDB_APPEND for a new key, MDB_APPENDDUP for another
 * value of the key before. The reader's keys point into its snapshot's
 * pages, which stay valid while it lives. LMDB code. */
static int copy_sorted(MDB_txn *txn, MDB_dbi dbi, MDB_cursor *c)
{
    int rc = mdb_drop(txn, dbi, 0);
    MDB_cursor *w;
    if (!rc)
        rc = mdb_cursor_open(txn, dbi, &w);
    if (rc)
        return rc;
    MDB_val k, v, prev = { 0, NULL };
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        int same_key = prev.mv_data && prev.mv_size == k.mv_size &&
                       memcmp(prev.mv_data, k.mv_data, k.mv_size) == 0;
        rc = mdb_cursor_put(w, &k, &v, same_key ? MDB_APPENDDUP : MDB_APPEND);
        if (rc)
            break;
        prev = k;
    }
    mdb_cursor_close(w);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static MDB_dbi table_dbi(const idx_index *ix, int table)
{
    if (table == TABLE_NAMES)
        return ix->db_names;
    return ix->db_mih[table];
}

int idx_rewrite(idx_index *ix, const char *what, idx_rewrite_fn fill, void *ctx, char *err,
                size_t err_len)
{
    for (;;) {
        MDB_txn *rtxn = NULL, *wtxn = NULL;
        int rc = idx_txn_begin(ix, 0, &wtxn);
        if (rc)
            return idx_lmdb_error(ix, rc, "starting a write transaction", err, err_len);
        /* the snapshot: the state the write transaction starts from */
        rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &rtxn);
        if (!rc)
            rc = fill(wtxn, rtxn, ctx);
        if (rc == 0)
            rc = mdb_txn_commit(wtxn);
        else
            mdb_txn_abort(wtxn);
        if (rtxn)
            mdb_txn_abort(rtxn);
        pthread_rwlock_unlock(&ix->map_lock);
        if (rc == MDB_MAP_FULL) {
            rc = idx_map_grow(ix, err, err_len);
            if (rc)
                return rc;
            continue;
        }
        if (rc == MDB_TXN_FULL)
            return sh_fail(err, err_len, SH_EFULL,
                           "index %s: %s: too large to write in one transaction", ix->path,
                           what);
        if (rc == SH_ENOMEM)
            return sh_fail(err, err_len, SH_ENOMEM, "index %s: %s: out of memory", ix->path,
                           what);
        return idx_lmdb_error(ix, rc, what, err, err_len);
    }
}

typedef struct {
    MDB_dbi dbi;
} copy_job;

/* idx_rewrite's fill for compaction: the table from the snapshot into
 * itself, emptied. */
static int copy_table(MDB_txn *wtxn, MDB_txn *rtxn, void *ctx)
{
    const copy_job *job = ctx;
    MDB_cursor *c;
    int rc = mdb_cursor_open(rtxn, job->dbi, &c);
    if (rc)
        return rc;
    rc = copy_sorted(wtxn, job->dbi, c);
    mdb_cursor_close(c);
    return rc;
}

int idx_compact(idx_index *ix, idx_compact_fn fn, void *user, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    if (idx_batch_pending(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: commit the pending writes before compacting", ix->path);
    int total = ix->m + 1;
    for (int t = 0; t < total; t++) {
        int table = t < ix->m ? t : TABLE_NAMES;
        char name[16];
        if (table >= 0)
            snprintf(name, sizeof name, "mih_%d", table);
        else
            snprintf(name, sizeof name, "names");
        copy_job job = { table_dbi(ix, table) };
        int rc = idx_rewrite(ix, "compacting", copy_table, &job, err, err_len);
        if (rc)
            return rc;
        if (fn && fn(name, t + 1, total, user))
            return sh_fail(err, err_len, SH_ECANCEL, "compacting index %s: cancelled after %s",
                           ix->path, name);
    }
    return 0;
}
