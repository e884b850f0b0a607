/* idx_check.c — statistics and consistency check. See idx_check.h. */
#include "idx_check.h"

#include <stdio.h>
#include <string.h>

#include "idx_bucket.h"
#include "idx_docs.h"
#include "sh_error.h"

static void table_stats(idx_reader *rd, MDB_dbi dbi, const char *name, idx_stats *st)
{
    MDB_stat ms;
    idx_table_stats *t = &st->tables[st->n_tables++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    if (mdb_stat(rd->txn, dbi, &ms) == 0) {
        t->entries = ms.ms_entries;
        t->bytes = (uint64_t)ms.ms_psize * (ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages);
    }
}

static int bucket_stats(idx_reader *rd, idx_stats *st);

int idx_stats_get(idx_reader *rd, idx_stats *st)
{
    idx_index *ix = rd->ix;
    memset(st, 0, sizeof *st);
    st->bits = ix->bits;
    st->substrings = ix->m;
    st->sig_bytes = ix->sig_bytes;
    int rc = idx_meta_get_u64(ix, rd->txn, "next_id", &st->next_id);
    if (rc)
        return idx_lmdb_error(ix, rc, "reading meta", NULL, 0);
    table_stats(rd, ix->db_meta, "meta", st);
    table_stats(rd, ix->db_model, "model", st);
    table_stats(rd, ix->db_docs, "docs", st);
    table_stats(rd, ix->db_names, "names", st);
    for (int j = 0; j < ix->m; j++) {
        char name[16];
        snprintf(name, sizeof name, "mih_%d", j);
        table_stats(rd, ix->db_mih[j], name, st);
        /* LMDB counts a mih table's keys; its entries are in the buckets */
        rc = idx_bucket_count_all(rd->txn, ix->db_mih[j], (size_t)ix->sub[j].entry_bytes,
                                  &st->tables[st->n_tables - 1].entries);
        if (rc)
            return idx_lmdb_error(ix, rc, "walking the mih tables", NULL, 0);
    }
    st->docs = st->tables[2].entries;

    MDB_envinfo info;
    MDB_stat env;
    mdb_env_info(ix->env, &info);
    mdb_env_stat(ix->env, &env);
    st->map_size = info.me_mapsize;
    st->used_bytes = (uint64_t)(info.me_last_pgno + 1) * env.ms_psize;

    return bucket_stats(rd, st);
}

/* Adds one bucket (n docs sharing code) to the statistics. */
static void count_bucket(idx_stats *st, int bits, const sh_code *code, uint64_t n)
{
    st->buckets++;
    if (n > st->max_bucket)
        st->max_bucket = n;
    int bin = 0;
    while (bin < IDX_HIST_BINS - 1 && ((uint64_t)2 << bin) <= n)
        bin++;
    st->bucket_hist[bin]++;
    for (int b = 0; b < bits; b++)
        st->bit_ones[b] += (uint64_t)code_get_bit(code, b) * n;
}

/* The run of equal codes being counted while walking one key. */
typedef struct {
    idx_stats *st;
    const idx_substring *sub;
    int bits;
    uint64_t value;   /* the key: substring 0 */
    sh_code rest;     /* the run's rest */
    uint64_t run;     /* its length, 0 before the first entry */
} bucket_walk;

static void end_run(bucket_walk *w)
{
    if (w->run) {
        sh_code code = idx_code_join(w->value, &w->rest, w->sub);
        count_bucket(w->st, w->bits, &code, w->run);
    }
    w->run = 0;
}

static int bucket_entries(const uint8_t *entries, size_t count, void *ctx)
{
    bucket_walk *w = ctx;
    for (size_t i = 0; i < count; i++) {
        sh_code rest = idx_entry_rest(entries + i * (size_t)w->sub->entry_bytes, w->sub);
        if (w->run && rest.w[0] == w->rest.w[0] && rest.w[1] == w->rest.w[1]) {
            w->run++;
            continue;
        }
        end_run(w);
        w->rest = rest;
        w->run = 1;
    }
    return 0;
}

/* Buckets (documents sharing a code) from mih_0: under each key the
 * entries sort by rest, so a bucket is a run of equal rests (which may
 * go on from one chunk of the key to the next). */
static int bucket_stats(idx_reader *rd, idx_stats *st)
{
    idx_index *ix = rd->ix;
    bucket_walk w = { st, &ix->sub[0], ix->bits, 0, { { 0, 0 } }, 0 };
    MDB_cursor *c = rd->cur_mih[0];
    MDB_val k, v;
    int rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (!idx_bucket_key_ok(&k, (size_t)w.sub->key_bytes, (size_t)w.sub->entry_bytes))
            return SH_EINDEX;
        uint64_t value = 0;
        for (int i = 0; i < w.sub->key_bytes; i++)
            value = value << 8 | ((const uint8_t *)k.mv_data)[i];
        if (value != w.value)
            end_run(&w); /* a new key, not the next chunk of the same one */
        w.value = value;
        rc = idx_visit_bucket(&v, (size_t)w.sub->entry_bytes, bucket_entries, &w);
        if (rc)
            break;
    }
    end_run(&w);
    return rc == MDB_NOTFOUND ? 0 : idx_lmdb_error(ix, rc, "walking mih_0", NULL, 0);
}

typedef struct {
    idx_reader *rd;
    MDB_cursor *cur[IDX_MAX_SUBSTRINGS]; /* mih... */
    uint64_t next_id;
    char *err;
    size_t err_len;
} verify_ctx;

static int found_entry(const uint8_t *entry, void *ctx)
{
    (void)entry;
    *(int *)ctx = 1;
    return IDX_BUCKET_STOP;
}

/* 0 if entry (entry_bytes) is in key's bucket of the table under c. */
static int has_entry(MDB_cursor *c, const void *key, size_t klen, const uint8_t *entry,
                     size_t entry_bytes)
{
    int found = 0;
    int rc = idx_bucket_run(c, key, klen, entry_bytes, entry, entry_bytes, found_entry, &found);
    return rc ? rc : found ? 0 : MDB_NOTFOUND;
}

static int verify_doc(const idx_doc *d, void *ctx)
{
    verify_ctx *vc = ctx;
    idx_index *ix = vc->rd->ix;
    if (d->id == 0 || d->id >= vc->next_id)
        return sh_fail(vc->err, vc->err_len, SH_EINDEX, "index %s: doc id %u not below next id %llu",
                       ix->path, d->id, (unsigned long long)vc->next_id);
    MDB_val nk = { d->name_len, (void *)d->name }, nv;
    if (mdb_get(vc->rd->txn, ix->db_names, &nk, &nv) != 0 || nv.mv_size != IDX_ID_BYTES ||
        idx_get_u32(nv.mv_data) != d->id)
        return sh_fail(vc->err, vc->err_len, SH_EINDEX, "index %s: name %s does not map to doc %u",
                       ix->path, d->name, d->id);
    for (int j = 0; j < ix->m; j++) {
        uint8_t sk[8], entry[IDX_ID_BYTES + IDX_TAG_BYTES + 16];
        idx_substring_key(idx_substring_value(&d->code, &ix->sub[j]), &ix->sub[j], sk);
        idx_entry_encode(&d->code, d->content_hash, d->id, &ix->sub[j], entry);
        if (has_entry(vc->cur[j], sk, (size_t)ix->sub[j].key_bytes, entry,
                     (size_t)ix->sub[j].entry_bytes))
            return sh_fail(vc->err, vc->err_len, SH_EINDEX,
                           "index %s: doc %u (%s) missing from mih_%d", ix->path, d->id, d->name, j);
    }
    return 0;
}

int idx_verify(idx_reader *rd, char *err, size_t err_len)
{
    idx_index *ix = rd->ix;
    verify_ctx vc = { rd, { NULL }, 0, err, err_len };
    uint64_t count;
    if (err && err_len)
        err[0] = '\0';
    int rc = idx_meta_get_u64(ix, rd->txn, "next_id", &vc.next_id);
    if (!rc)
        rc = idx_meta_get_u64(ix, rd->txn, "doc_count", &count);
    if (rc)
        return idx_lmdb_error(ix, rc, "reading meta", err, err_len);

    MDB_dbi dbis[IDX_MAX_SUBSTRINGS];
    for (int j = 0; j < ix->m; j++)
        dbis[j] = ix->db_mih[j];
    int n_cur = ix->m, out = 0;
    for (int i = 0; i < n_cur && !rc; i++)
        rc = mdb_cursor_open(rd->txn, dbis[i], &vc.cur[i]);
    if (rc) {
        out = idx_lmdb_error(ix, rc, "opening cursors", err, err_len);
        goto done;
    }
    MDB_stat ms;
    MDB_dbi all[3 + IDX_MAX_SUBSTRINGS] = { ix->db_docs, ix->db_names };
    for (int i = 0; i < n_cur; i++)
        all[2 + i] = dbis[i];
    for (int i = 0; i < 2 + n_cur; i++) {
        uint64_t entries = 0;
        rc = mdb_stat(rd->txn, all[i], &ms);
        entries = ms.ms_entries;
        if (!rc && i >= 2) /* a mih table: LMDB counts its buckets */
            rc = idx_bucket_count_all(rd->txn, all[i], (size_t)ix->sub[i - 2].entry_bytes,
                                      &entries);
        if (rc == MDB_CORRUPTED) {
            out = sh_fail(err, err_len, SH_EINDEX, "index %s: mih_%d holds a damaged bucket",
                          ix->path, i - 2);
            goto done;
        }
        if (rc) {
            out = idx_lmdb_error(ix, rc, "reading table stats", err, err_len);
            goto done;
        }
        if (entries != count) {
            out = sh_fail(err, err_len, SH_EINDEX,
                          "index %s: a table holds %llu entries, meta counts %llu docs", ix->path,
                          (unsigned long long)entries, (unsigned long long)count);
            goto done;
        }
    }
    out = idx_docs_foreach(rd, verify_doc, &vc);
    if (out == SH_EINDEX && !(err && err_len && err[0]))
        sh_fail(err, err_len, SH_EINDEX, "index %s: damaged doc record", ix->path);

done:
    for (int i = 0; i < n_cur; i++)
        if (vc.cur[i])
            mdb_cursor_close(vc.cur[i]);
    return out;
}
