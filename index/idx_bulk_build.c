/* idx_bulk_build.c — building the lookup tables of an index from the
 * documents of a bulk load (idx_bulk_build in idx_bulk.h): the end of a
 * load, and the recovery of an interrupted one (whose committed docs are
 * read into the same memory first).
 *
 * The tables are written in this order: mih_0.., names last. Each is
 * prepared (its entries collected from the documents and sorted) before
 * it is written: the mih tables by a second thread, one table ahead of
 * the writes, the names by the writing thread at the start, meanwhile
 * (idx_bulk_build says why). Each table is emptied and appended in key
 * order in its own write transaction (idx_rewrite), so no transaction
 * dirties more than one table's pages. Multi-index entries are fixed-size byte records
 * sorted by a stable sort, bucket first (records_sort): the documents
 * come in id order, and a stable sort keeps that order among equal keys,
 * which is the order of the duplicates under one key. Names are sorted
 * with qsort in LMDB's key order (bytes, then the shorter first). The
 * entries of one multi-index key go in as one value, its bucket.
 */
#include "idx_bucket.h"
#include "idx_bulk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "idx_compact.h"
#include "idx_docs.h"
#include "sh_error.h"

/* Fixed-size byte records: n of size bytes each, size a multiple of 8
 * (the entry is padded with zeros), so that a record moves as words. */
typedef struct {
    uint64_t *data, *tmp;
    size_t n, cap, words; /* words per record */
    size_t key_bytes, value_bytes;
} records;

/* expect: records to reserve room for (the docs counted before the walk). */
static int records_init(records *r, size_t key_bytes, size_t value_bytes, size_t expect)
{
    *r = (records){ 0 };
    r->key_bytes = key_bytes;
    r->value_bytes = value_bytes;
    r->words = (key_bytes + value_bytes + 7) / 8;
    if (expect) {
        r->data = malloc(expect * r->words * sizeof *r->data);
        r->cap = r->data ? expect : 0;
    }
    return expect && !r->data ? SH_ENOMEM : 0;
}

static uint8_t *records_push(records *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1 << 14;
        uint64_t *p = realloc(r->data, cap * r->words * sizeof *p);
        if (!p)
            return NULL;
        r->data = p;
        r->cap = cap;
    }
    uint64_t *rec = r->data + r->n++ * r->words;
    memset(rec, 0, r->words * sizeof *rec);
    return (uint8_t *)rec;
}

/* Stable sort of records [lo, hi) by bytes [from, to) (memcmp order),
 * most significant byte first: a few records go by insertion sort; more
 * are counted by byte `from` and moved into their sub-buckets through
 * tmp's same range (a byte equal in every record moves nothing), and
 * each sub-bucket is sorted by the bytes after. Depth at most to - from. */
static void sort_range(records *r, size_t lo, size_t hi, size_t from, size_t to)
{
    const size_t w = r->words, stride = w * 8;
    uint64_t *data = r->data, *tmp = r->tmp;
    while (from < to && hi - lo > 1) {
        if (hi - lo <= 48) {
            uint64_t rec[8]; /* words <= 8: keys of at most 40 bytes, entries of 24 */
            for (size_t i = lo + 1; i < hi; i++) {
                const uint8_t *key = (const uint8_t *)(data + i * w) + from;
                size_t j = i;
                while (j > lo &&
                       memcmp((const uint8_t *)(data + (j - 1) * w) + from, key, to - from) > 0)
                    j--;
                if (j == i)
                    continue;
                memcpy(rec, data + i * w, stride);
                memmove(data + (j + 1) * w, data + j * w, (i - j) * stride);
                memcpy(data + j * w, rec, stride);
            }
            return;
        }
        const uint8_t *bytes = (const uint8_t *)data + from;
        size_t count[256] = { 0 };
        for (size_t i = lo; i < hi; i++)
            count[bytes[i * stride]]++;
        if (count[bytes[lo * stride]] == hi - lo) {
            from++; /* the same byte everywhere: on to the next */
            continue;
        }
        size_t start[256], at = lo;
        for (int v = 0; v < 256; v++) {
            start[v] = at;
            at += count[v];
        }
        for (size_t i = lo; i < hi; i++) {
            uint64_t *out = tmp + start[bytes[i * stride]]++ * w;
            for (size_t k = 0; k < w; k++)
                out[k] = data[i * w + k];
        }
        memcpy(data + lo * w, tmp + lo * w, (hi - lo) * stride);
        /* start[v] is now the end of sub-bucket v */
        size_t sub = lo;
        for (int v = 0; v < 256; sub = start[v++])
            if (start[v] - sub > 1)
                sort_range(r, sub, start[v], from + 1, to);
        return;
    }
}

/* Sorts the records by their first sort_bytes bytes (memcmp order),
 * keeping records with equal keys in their order (sort_range: byte by
 * byte from the first; after two bytes the buckets of 1M multi-index
 * entries hold a few records each). 0 or SH_ENOMEM. */
static int records_sort(records *r, size_t sort_bytes)
{
    if (r->n < 2)
        return 0;
    r->tmp = malloc(r->n * r->words * sizeof *r->tmp);
    if (!r->tmp)
        return SH_ENOMEM;
    sort_range(r, 0, r->n, 0, sort_bytes);
    free(r->tmp);
    r->tmp = NULL;
    return 0;
}

static void records_free(records *r)
{
    free(r->data);
    free(r->tmp);
    r->data = r->tmp = NULL;
    r->n = r->cap = 0;
}

/* A name and its id. prefix holds the first 8 bytes big-endian (zeros
 * after a shorter name), so that most comparisons need not follow the
 * pointer (into the load's memory, which stays put during the build). */
typedef struct {
    uint64_t prefix;
    const char *name;
    uint32_t len, id;
} name_ref;

/* The build's prepared tables, by writing order t: j < m mih_j, m the
 * names; each is freed once written. */
typedef struct {
    const idx_index *ix;
    size_t expect; /* the documents */
    records mih[IDX_MAX_SUBSTRINGS];
    name_ref *names;
    size_t n_names;
} build_state;

/* LMDB's default key order: bytes, then the shorter first. */
static int name_ref_cmp(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n > 8 ? memcmp(x->name + 8, y->name + 8, n - 8) : 0;
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int collect_name(const idx_doc *d, void *arg)
{
    build_state *st = arg;
    uint64_t prefix = 0;
    for (size_t i = 0; i < 8; i++)
        prefix = prefix << 8 | (i < d->name_len ? (uint8_t)d->name[i] : 0);
    st->names[st->n_names++] = (name_ref){ prefix, d->name, (uint32_t)d->name_len, d->id };
    return 0;
}

typedef struct {
    records *r;
    const idx_substring *sub;
} mih_collect;

static int collect_mih(const idx_doc *d, void *arg)
{
    const mih_collect *mc = arg;
    uint8_t *rec = records_push(mc->r);
    if (!rec)
        return SH_ENOMEM;
    idx_substring_key(idx_substring_value(&d->code, mc->sub), mc->sub, rec);
    idx_entry_encode(&d->code, d->content_hash, d->id, mc->sub, rec + mc->sub->key_bytes);
    return 0;
}

/* What one idx_rewrite writes: the sorted records into dbi, or with
 * names set, the sorted names. */
typedef struct {
    MDB_dbi dbi;
    const records *rec;
    const build_state *names;
} write_job;

/* idx_rewrite's fill: empties the table and appends the entries in key
 * order (MDB_APPEND; MDB_KEYEXIST would mean a name stored twice). */
static int write_table(MDB_txn *wtxn, MDB_txn *rtxn, void *arg)
{
    (void)rtxn;
    const write_job *job = arg;
    MDB_cursor *w;
    int rc = mdb_drop(wtxn, job->dbi, 0);
    if (!rc)
        rc = mdb_cursor_open(wtxn, job->dbi, &w);
    if (rc)
        return rc;
    if (job->names) {
        const build_state *st = job->names;
        for (size_t i = 0; rc == 0 && i < st->n_names; i++) {
            uint8_t idb[IDX_ID_BYTES];
            idx_put_u32(idb, st->names[i].id);
            MDB_val k = { st->names[i].len, (void *)st->names[i].name },
                    v = { IDX_ID_BYTES, idb };
            rc = mdb_cursor_put(w, &k, &v, MDB_APPEND);
        }
    } else {
        /* each key's bucket: its entries gathered contiguous in run (the
         * records are sorted, so the entries ascend) and put as one value */
        const records *r = job->rec;
        const size_t stride = r->words * 8, vb = r->value_bytes;
        uint8_t *run = NULL;
        size_t run_cap = 0;
        for (size_t i = 0; rc == 0 && i < r->n;) {
            const uint8_t *first = (const uint8_t *)(r->data + i * r->words);
            size_t end = i + 1;
            while (end < r->n && memcmp(first + (end - i) * stride, first, r->key_bytes) == 0)
                end++;
            size_t count = end - i;
            if (count * vb > run_cap) {
                size_t cap = run_cap ? run_cap : 4096;
                while (cap < count * vb)
                    cap *= 2;
                uint8_t *p = realloc(run, cap);
                if (!p) {
                    rc = SH_ENOMEM;
                    break;
                }
                run = p;
                run_cap = cap;
            }
            for (size_t k = 0; k < count; k++)
                memcpy(run + k * vb, first + k * stride + r->key_bytes, vb);
            rc = idx_bucket_append(w, first, r->key_bytes, run, count, vb);
            i = end;
        }
        free(run);
    }
    mdb_cursor_close(w);
    return rc;
}

/* Collects table t's entries from the load's memory and sorts them.
 * 0 or SH_ENOMEM. */
static int prepare_table(build_state *st, int t)
{
    const idx_index *ix = st->ix;
    if (t == ix->m) {
        if (st->expect && !(st->names = malloc(st->expect * sizeof *st->names)))
            return SH_ENOMEM;
        idx_bulk_foreach(ix, collect_name, st);
        if (st->n_names > 1)
            qsort(st->names, st->n_names, sizeof *st->names, name_ref_cmp);
        return 0;
    }
    /* by substring, rest and tag; ids stay in id order under equal ones */
    const idx_substring *sub = &ix->sub[t];
    mih_collect mc = { &st->mih[t], sub };
    int rc = records_init(mc.r, (size_t)sub->key_bytes, (size_t)sub->entry_bytes, st->expect);
    if (!rc)
        rc = idx_bulk_foreach(ix, collect_mih, &mc);
    return rc ? rc
              : records_sort(mc.r, (size_t)(sub->key_bytes + sub->rest_bytes + sub->tag_bytes));
}

/* The preparing thread's state: mih tables 0..prepared-1 are prepared,
 * 0..written-1 written. It keeps at most one table ahead of the writes,
 * so that at most two mih tables' entries are in memory at once (the
 * names, prepared by the writing thread meanwhile, besides). */
typedef struct {
    build_state *st;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int prepared, written;
    int status; /* SH_ENOMEM when a table could not be prepared */
    int stop;   /* the writer gave up: prepare no further */
} preparer;

static void *preparer_run(void *arg)
{
    preparer *pr = arg;
    for (int t = 0; t < pr->st->ix->m; t++) {
        pthread_mutex_lock(&pr->lock);
        while (!pr->stop && t > pr->written + 1)
            pthread_cond_wait(&pr->changed, &pr->lock);
        int stop = pr->stop;
        pthread_mutex_unlock(&pr->lock);
        if (stop)
            break;
        int rc = prepare_table(pr->st, t);
        pthread_mutex_lock(&pr->lock);
        if (rc)
            pr->status = rc;
        else
            pr->prepared = t + 1;
        pthread_cond_broadcast(&pr->changed);
        pthread_mutex_unlock(&pr->lock);
        if (rc)
            break;
    }
    return NULL;
}

static int clear_mark(MDB_txn *wtxn, MDB_txn *rtxn, void *arg)
{
    (void)rtxn;
    const idx_index *ix = arg;
    MDB_val k = { 4, "bulk" };
    int rc = mdb_del(wtxn, ix->db_meta, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void build_free(build_state *st)
{
    for (int j = 0; j < st->ix->m; j++)
        records_free(&st->mih[j]);
    free(st->names);
    st->names = NULL;
}

int idx_bulk_build(idx_index *ix, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    /* the load's memory, or the committed docs read into memory */
    int own = !idx_bulk_active(ix) || idx_bulk_broken(ix), rc = 0;
    if (own && idx_batch_pending(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: commit the pending writes before building its tables",
                       ix->path);
    if (own && (rc = idx_bulk_read_docs(ix, err, err_len)) != 0)
        return rc;
    build_state st = { .ix = ix, .expect = (size_t)idx_bulk_doc_count(ix) };
    /* a second thread prepares the mih tables in writing order, one table
     * ahead of the writes, while this one first writes the load's last
     * records and prepares the names (written last): preparing is the
     * slower half (10M codes, m = 3: about 0.9 s per mih table and 1.3 s
     * for the names, against 0.2-0.4 s and 0.8 s of writing), so two
     * threads prepare. Without the thread, each table is prepared just
     * before it is written. */
    preparer pr = { .st = &st };
    pthread_mutex_init(&pr.lock, NULL);
    pthread_cond_init(&pr.changed, NULL);
    pthread_t thread;
    int threaded = pthread_create(&thread, NULL, preparer_run, &pr) == 0;
    if (!own) /* the load's last records into the docs table, while mih_0 is prepared */
        rc = idx_commit(ix, err, err_len);
    if (!rc && threaded)
        rc = prepare_table(&st, ix->m);
    for (int t = 0; !rc && t < ix->m + 1; t++) {
        if (threaded && t == ix->m) {
            /* the names: prepared above */
        } else if (threaded) {
            pthread_mutex_lock(&pr.lock);
            while (pr.prepared <= t && pr.status == 0)
                pthread_cond_wait(&pr.changed, &pr.lock);
            rc = pr.status;
            pthread_mutex_unlock(&pr.lock);
        } else {
            rc = prepare_table(&st, t);
        }
        if (rc)
            break;
        write_job job = { ix->db_names, NULL, &st };
        if (t < ix->m)
            job = (write_job){ ix->db_mih[t], &st.mih[t], NULL };
        rc = idx_rewrite(ix, "building the lookup tables", write_table, &job, err, err_len);
        if (t < ix->m) {
            records_free(&st.mih[t]);
        } else {
            free(st.names);
            st.names = NULL;
        }
        if (threaded) {
            pthread_mutex_lock(&pr.lock);
            pr.written = t + 1;
            pthread_cond_broadcast(&pr.changed);
            pthread_mutex_unlock(&pr.lock);
        }
    }
    if (threaded) {
        pthread_mutex_lock(&pr.lock);
        pr.stop = 1;
        pthread_cond_broadcast(&pr.changed);
        pthread_mutex_unlock(&pr.lock);
        pthread_join(thread, NULL);
    }
    pthread_cond_destroy(&pr.changed);
    pthread_mutex_destroy(&pr.lock);
    if (rc == SH_ENOMEM)
        rc = sh_fail(err, err_len, SH_ENOMEM, "index %s: out of memory building its tables",
                     ix->path);
    build_free(&st);
    if (own)
        idx_bulk_free(ix);
    if (rc)
        return rc;
    return idx_rewrite(ix, "finishing a bulk load", clear_mark, ix, err, err_len);
}
