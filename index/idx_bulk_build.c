/* idx_bulk_build.c — building the lookup tables of an index from its
 * docs table (idx_bulk_build in idx_bulk.h): the end of a bulk load, and
 * the recovery of an interrupted one.
 *
 * One walk of the docs table (a read snapshot) collects every lookup
 * table's entries in memory. A second thread sorts the tables one ahead
 * of the writer; each table is emptied and appended in key order in its
 * own write transaction (idx_rewrite), so no transaction dirties more
 * than one table's pages. Fixed-size entries (mih, content) are byte
 * records sorted by a stable least-significant-byte-first radix sort:
 * the walk hands them over in id order, and a stable sort keeps that
 * order among equal keys, which is the order of the duplicates under one
 * key. Names are sorted with qsort in LMDB's key order (bytes, then the
 * shorter first). The values of one multi-index key go in with one
 * MDB_MULTIPLE put (the tables are DUPFIXED).
 */
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

/* Sorts the records by their first sort_bytes bytes (memcmp order),
 * keeping records with equal keys in their order: one counting pass per
 * byte, the last byte first; a byte that is the same in every record is
 * skipped. */
static int records_sort(records *r, size_t sort_bytes)
{
    if (r->n < 2)
        return 0;
    r->tmp = malloc(r->n * r->words * sizeof *r->tmp);
    if (!r->tmp)
        return SH_ENOMEM;
    const size_t w = r->words, stride = w * 8;
    for (size_t pos = sort_bytes; pos-- > 0;) {
        const uint8_t *bytes = (const uint8_t *)r->data + pos;
        size_t count[256] = { 0 };
        for (size_t i = 0; i < r->n; i++)
            count[bytes[i * stride]]++;
        if (count[bytes[0]] == r->n)
            continue;
        size_t start[256], at = 0;
        for (int v = 0; v < 256; v++) {
            start[v] = at;
            at += count[v];
        }
        for (size_t i = 0; i < r->n; i++) {
            const uint64_t *src = r->data + i * w;
            uint64_t *dst = r->tmp + start[bytes[i * stride]]++ * w;
            for (size_t k = 0; k < w; k++)
                dst[k] = src[k];
        }
        uint64_t *t = r->data;
        r->data = r->tmp;
        r->tmp = t;
    }
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

/* A name and its id: off into the build's arena while collecting (the
 * arena moves as it grows), then name points there. prefix holds the
 * first 8 bytes big-endian (zeros after a shorter name), so that most
 * comparisons need not follow the pointer. */
typedef struct {
    uint64_t prefix;
    uint64_t off;
    const char *name;
    uint32_t len, id;
} name_ref;

typedef struct {
    const idx_index *ix;
    records mih[IDX_MAX_SUBSTRINGS], content;
    name_ref *names;
    size_t n_names, cap_names;
    char *arena;
    size_t arena_len, arena_cap;
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

static int collect_name(build_state *st, const idx_doc *d)
{
    if (st->n_names == st->cap_names) {
        size_t cap = st->cap_names ? st->cap_names * 2 : 1 << 14;
        name_ref *p = realloc(st->names, cap * sizeof *p);
        if (!p)
            return SH_ENOMEM;
        st->names = p;
        st->cap_names = cap;
    }
    void *arena = st->arena;
    if (idx_reserve(&arena, &st->arena_cap, st->arena_len + d->name_len, 1 << 16))
        return SH_ENOMEM;
    st->arena = arena;
    memcpy(st->arena + st->arena_len, d->name, d->name_len);
    uint64_t prefix = 0;
    for (size_t i = 0; i < 8; i++)
        prefix = prefix << 8 | (i < d->name_len ? (uint8_t)d->name[i] : 0);
    st->names[st->n_names++] =
        (name_ref){ prefix, st->arena_len, NULL, (uint32_t)d->name_len, d->id };
    st->arena_len += d->name_len;
    return 0;
}

static int collect_doc(const idx_doc *d, void *arg)
{
    build_state *st = arg;
    const idx_index *ix = st->ix;
    if (collect_name(st, d))
        return SH_ENOMEM;
    uint8_t *r = records_push(&st->content);
    if (!r)
        return SH_ENOMEM;
    idx_put_u64(r, d->content_hash);
    idx_put_u32(r + 8, d->id);
    for (int j = 0; j < ix->m; j++) {
        const idx_substring *sub = &ix->sub[j];
        if (!(r = records_push(&st->mih[j])))
            return SH_ENOMEM;
        idx_substring_key(idx_substring_value(&d->code, sub), sub, r);
        idx_entry_encode(&d->code, d->id, sub, r + sub->key_bytes);
    }
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
 * order (MDB_APPEND for a new key, MDB_APPENDDUP for another value of
 * the key before; MDB_KEYEXIST would mean a name stored twice). */
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
        /* all values of one key in one call (MDB_MULTIPLE: the tables are
         * DUPFIXED), gathered contiguous in run */
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
            MDB_val k = { r->key_bytes, (void *)first };
            MDB_val v[2] = { { vb, run }, { count, NULL } };
            rc = mdb_cursor_put(w, &k, v, MDB_MULTIPLE | MDB_APPEND);
            i = end;
        }
        free(run);
    }
    mdb_cursor_close(w);
    return rc;
}

/* Sorts table t of the build, in writing order: 0 names, 1 content,
 * 2 + j mih_j. 0 or SH_ENOMEM. */
static int sort_table(build_state *st, int t)
{
    if (t == 0) {
        if (st->n_names > 1)
            qsort(st->names, st->n_names, sizeof *st->names, name_ref_cmp);
        return 0;
    }
    if (t == 1)
        return records_sort(&st->content, 8);
    /* by substring, then rest; ids stay in walk order under equal codes */
    const idx_substring *sub = &st->ix->sub[t - 2];
    return records_sort(&st->mih[t - 2], (size_t)(sub->key_bytes + sub->rest_bytes));
}

/* The sorting thread's state: tables 0..sorted-1 are sorted. */
typedef struct {
    build_state *st;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int sorted;
    int status; /* SH_ENOMEM when a sort failed */
    int stop;   /* the writer gave up: sort no further */
} sorter;

static void *sorter_run(void *arg)
{
    sorter *so = arg;
    for (int t = 0; t < so->st->ix->m + 2; t++) {
        pthread_mutex_lock(&so->lock);
        int stop = so->stop;
        pthread_mutex_unlock(&so->lock);
        if (stop)
            break;
        int rc = sort_table(so->st, t);
        pthread_mutex_lock(&so->lock);
        if (rc)
            so->status = rc;
        else
            so->sorted = t + 1;
        pthread_cond_broadcast(&so->changed);
        pthread_mutex_unlock(&so->lock);
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
    records_free(&st->content);
    free(st->names);
    free(st->arena);
}

int idx_bulk_build(idx_index *ix, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    if (idx_batch_pending(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: commit the pending writes before building its tables",
                       ix->path);
    /* one read snapshot: its doc count sizes the arrays, its walk fills them */
    build_state st = { .ix = ix };
    idx_reader *rd;
    int rc = idx_reader_begin(ix, &rd, err, err_len);
    if (rc)
        return rc;
    size_t expect = (size_t)idx_reader_doc_count(rd);
    rc = records_init(&st.content, 8, IDX_ID_BYTES, expect);
    for (int j = 0; !rc && j < ix->m; j++)
        rc = records_init(&st.mih[j], (size_t)ix->sub[j].key_bytes,
                          (size_t)ix->sub[j].entry_bytes, expect);
    if (!rc && expect && !(st.names = malloc(expect * sizeof *st.names)))
        rc = SH_ENOMEM;
    st.cap_names = st.names ? expect : 0;
    if (!rc)
        rc = idx_docs_foreach(rd, collect_doc, &st);
    idx_reader_end(rd);
    if (rc) {
        build_free(&st);
        if (rc == SH_ENOMEM)
            return sh_fail(err, err_len, SH_ENOMEM, "index %s: out of memory building its tables",
                           ix->path);
        return sh_fail(err, err_len, rc, "index %s: reading the docs table to build the "
                       "lookup tables failed (%s)", ix->path, sh_strerror(rc));
    }
    for (size_t i = 0; i < st.n_names; i++)
        st.names[i].name = st.arena + st.names[i].off;
    /* a second thread sorts the tables in writing order, one table ahead
     * of the writes (without the thread, each is sorted just before) */
    sorter so = { .st = &st };
    pthread_mutex_init(&so.lock, NULL);
    pthread_cond_init(&so.changed, NULL);
    pthread_t thread;
    int threaded = pthread_create(&thread, NULL, sorter_run, &so) == 0;
    int total = ix->m + 2;
    for (int t = 0; !rc && t < total; t++) {
        if (threaded) {
            pthread_mutex_lock(&so.lock);
            while (so.sorted <= t && so.status == 0)
                pthread_cond_wait(&so.changed, &so.lock);
            rc = so.status;
            pthread_mutex_unlock(&so.lock);
        } else {
            rc = sort_table(&st, t);
        }
        if (rc)
            break;
        write_job job = { ix->db_names, NULL, &st };
        if (t == 1)
            job = (write_job){ ix->db_content, &st.content, NULL };
        else if (t >= 2)
            job = (write_job){ ix->db_mih[t - 2], &st.mih[t - 2], NULL };
        rc = idx_rewrite(ix, "building the lookup tables", write_table, &job, err, err_len);
        if (t >= 2)
            records_free(&st.mih[t - 2]);
    }
    if (threaded) {
        pthread_mutex_lock(&so.lock);
        so.stop = 1;
        pthread_mutex_unlock(&so.lock);
        pthread_join(thread, NULL);
    }
    pthread_cond_destroy(&so.changed);
    pthread_mutex_destroy(&so.lock);
    if (rc == SH_ENOMEM)
        rc = sh_fail(err, err_len, SH_ENOMEM, "index %s: out of memory building its tables",
                     ix->path);
    build_free(&st);
    if (rc)
        return rc;
    return idx_rewrite(ix, "finishing a bulk load", clear_mark, ix, err, err_len);
}
