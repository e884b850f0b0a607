/* idx_store.c — environment, tables, metadata, readers, map growth.
 * See idx_store.h. */
#include "idx_store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "idx_bulk.h"
#include "sh_error.h"

#define IDX_MAX_MAP ((size_t)1 << (sizeof(size_t) > 4 ? 40 : 30))
#define IDX_MAX_READERS 1024
#define IDX_GROW_WAIT_S 10

/* --- small helpers ---------------------------------------------------- */

int idx_reserve(void **buf, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    void *p = realloc(*buf, n);
    if (!p)
        return SH_ENOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

void idx_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (p && end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void idx_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void idx_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

void idx_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint16_t idx_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t idx_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t idx_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int idx_choose_substrings(int bits, uint64_t expected_docs)
{
    if (expected_docs < 2)
        expected_docs = 2;
    /* Substrings of about log2(N) bits, rounded down so that a substring
     * key holds a few docs: on 1M random 64-bit codes m = 4 (16-bit keys)
     * measured 121 bytes/doc for codes + mih against 161 for m = 3, and a
     * lower r <= 3 latency. */
    int m = (int)ceil((double)bits / log2((double)expected_docs) - 1e-9);
    int lo = (bits + 63) / 64, hi = bits / 8 < IDX_MAX_SUBSTRINGS ? bits / 8 : IDX_MAX_SUBSTRINGS;
    if (m < lo)
        m = lo;
    if (m > hi)
        m = hi;
    return m;
}

/* A mask of code bits [from, to). */
static sh_code bit_range(int from, int to)
{
    sh_code m = { { 0, 0 } };
    for (int b = from; b < to; b++)
        code_set_bit(&m, b, 1);
    return m;
}

void idx_layout_substrings(int bits, int m, idx_substring *sub)
{
    int start = 0;
    for (int j = 0; j < m; j++) {
        int len = bits / m + (j < bits % m ? 1 : 0);
        sub[j].start = start;
        sub[j].len = len;
        sub[j].key_bytes = (len + 7) / 8;
        sub[j].mask = bit_range(start, start + len);
        sub[j].rest_bits = bits - len;
        sub[j].rest_bytes = (bits - len + 7) / 8;
        sub[j].tag_bytes = j == 0 ? IDX_TAG_BYTES : 0;
        sub[j].entry_bytes = sub[j].rest_bytes + sub[j].tag_bytes + IDX_ID_BYTES;
        sub[j].before = bit_range(0, start);
        sub[j].after = bit_range(start + len, bits);
        sub[j].rest_after = bit_range(start, bits - len);
        int rb = sub[j].rest_bytes * 8;
        sub[j].rest_word_mask = rb == 0 ? 0 : rb >= 64 ? ~(uint64_t)0 : ~(uint64_t)0 << (64 - rb);
        start += len;
    }
}

/* The 128-bit code shifted towards bit 0 (left) or away from it (right)
 * by n bits, 0 <= n < 128. */
static sh_code shift_left(sh_code c, int n)
{
    if (n == 0)
        return c;
    if (n >= 64)
        return (sh_code){ { c.w[1] << (n - 64), 0 } };
    return (sh_code){ { (c.w[0] << n) | (c.w[1] >> (64 - n)), c.w[1] << n } };
}

static sh_code shift_right(sh_code c, int n)
{
    if (n == 0)
        return c;
    if (n >= 64)
        return (sh_code){ { 0, c.w[0] >> (n - 64) } };
    return (sh_code){ { c.w[0] >> n, (c.w[1] >> n) | (c.w[0] << (64 - n)) } };
}

sh_code idx_code_rest(const sh_code *c, const idx_substring *sub)
{
    sh_code later = shift_left((sh_code){ { c->w[0] & sub->after.w[0], c->w[1] & sub->after.w[1] } },
                               sub->len);
    return (sh_code){ { (c->w[0] & sub->before.w[0]) | later.w[0],
                        (c->w[1] & sub->before.w[1]) | later.w[1] } };
}

sh_code idx_code_join(uint64_t value, const sh_code *rest, const idx_substring *sub)
{
    sh_code later = shift_right(
        (sh_code){ { rest->w[0] & sub->rest_after.w[0], rest->w[1] & sub->rest_after.w[1] } },
        sub->len);
    uint64_t top = sub->len == 64 ? value : value << (64 - sub->len);
    sh_code mid = shift_right((sh_code){ { top, 0 } }, sub->start);
    return (sh_code){ { (rest->w[0] & sub->before.w[0]) | mid.w[0] | later.w[0],
                        (rest->w[1] & sub->before.w[1]) | mid.w[1] | later.w[1] } };
}

void idx_entry_encode(const sh_code *c, uint64_t content_hash, uint32_t id,
                      const idx_substring *sub, uint8_t *out)
{
    sh_code rest = idx_code_rest(c, sub);
    code_to_bytes(&rest, sub->rest_bytes * 8, out);
    if (sub->tag_bytes)
        idx_put_u32(out + sub->rest_bytes, (uint32_t)(content_hash >> 32));
    idx_put_u32(out + sub->rest_bytes + sub->tag_bytes, id);
}

/* 8 bytes at p as a big-endian integer. */
static uint64_t load_be64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#elif !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    w = idx_get_u64(p);
#endif
    return w;
}

sh_code idx_entry_rest(const uint8_t *entry, const idx_substring *sub)
{
    /* The common case (codes up to 96 bits): the rest and the id span at
     * least 8 bytes, so one load reads the rest whatever follows it. */
    if (sub->rest_bytes <= 8 && sub->entry_bytes >= 8)
        return (sh_code){ { load_be64(entry) & sub->rest_word_mask, 0 } };
    return code_from_bytes(entry, sub->rest_bytes * 8);
}

uint32_t idx_entry_id(const uint8_t *entry, const idx_substring *sub)
{
    return idx_get_u32(entry + sub->rest_bytes + sub->tag_bytes);
}

uint64_t idx_substring_value(const sh_code *c, const idx_substring *sub)
{
    /* Shift the 128-bit code left by start, keep the top len bits. */
    int s = sub->start;
    uint64_t hi;
    if (s == 0)
        hi = c->w[0];
    else if (s < 64)
        hi = (c->w[0] << s) | (c->w[1] >> (64 - s));
    else
        hi = c->w[1] << (s - 64);
    return sub->len == 64 ? hi : hi >> (64 - sub->len);
}

void idx_substring_key(uint64_t v, const idx_substring *sub, uint8_t *out)
{
    for (int i = 0; i < sub->key_bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (sub->key_bytes - 1 - i)));
}

/* LMDB reports a write that the disk cut short as EIO. When the device
 * holding the index has (almost) no room left, that was a full disk. */
#define IDX_LOW_SPACE ((uint64_t)64 << 20)

static int disk_is_full(const char *path)
{
    struct statvfs fs;
    if (!path || statvfs(path, &fs) != 0)
        return 0;
    return (uint64_t)fs.f_bavail * fs.f_frsize < IDX_LOW_SPACE;
}

int idx_lmdb_error(const idx_index *ix, int rc, const char *what, char *err, size_t err_len)
{
    if (rc == 0)
        return 0;
    if ((rc == EIO || rc == ENOSPC) && disk_is_full(ix ? ix->path : NULL))
        return sh_fail(err, err_len, ENOSPC, "%s: no space left on the device (index %s)", what,
                       ix->path);
    int code;
    if (rc == MDB_NOTFOUND)
        code = SH_ENOTFOUND;
    else if (rc == MDB_MAP_FULL)
        code = SH_EFULL;
    else if (rc > 0)
        code = rc;
    else
        code = SH_EINDEX;
    return sh_fail(err, err_len, code, "%s: %s (index %s)", what, mdb_strerror(rc),
                   ix && ix->path ? ix->path : "?");
}

/* --- meta ------------------------------------------------------------- */

static int meta_put(const idx_index *ix, MDB_txn *txn, const char *key, const void *data,
                    size_t len)
{
    MDB_val k = { strlen(key), (void *)key }, v = { len, (void *)data };
    return mdb_put(txn, ix->db_meta, &k, &v, 0);
}

int idx_meta_put_u64(const idx_index *ix, MDB_txn *txn, const char *key, uint64_t v)
{
    uint8_t buf[8];
    idx_put_u64(buf, v);
    return meta_put(ix, txn, key, buf, 8);
}

int idx_meta_get_u64(const idx_index *ix, MDB_txn *txn, const char *key, uint64_t *v)
{
    MDB_val k = { strlen(key), (void *)key }, d;
    int rc = mdb_get(txn, ix->db_meta, &k, &d);
    if (rc == MDB_NOTFOUND) {
        *v = 0;
        return 0;
    }
    if (rc)
        return rc;
    if (d.mv_size != 8)
        return MDB_INVALID;
    *v = idx_get_u64(d.mv_data);
    return 0;
}

/* --- locking around transactions ------------------------------------- */

static int lock_for_resize(idx_index *ix)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += IDX_GROW_WAIT_S;
    return pthread_rwlock_timedwrlock(&ix->map_lock, &until);
}

/* Adopts a map size grown by another process. */
static int adopt_map_size(idx_index *ix)
{
    if (lock_for_resize(ix) != 0)
        return MDB_MAP_RESIZED;
    int rc = mdb_env_set_mapsize(ix->env, 0);
    MDB_envinfo info;
    if (rc == 0 && mdb_env_info(ix->env, &info) == 0)
        ix->map_size = info.me_mapsize;
    pthread_rwlock_unlock(&ix->map_lock);
    return rc;
}

int idx_txn_begin(idx_index *ix, unsigned flags, MDB_txn **txn)
{
    for (int attempt = 0;; attempt++) {
        pthread_rwlock_rdlock(&ix->map_lock);
        int rc = mdb_txn_begin(ix->env, NULL, flags, txn);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&ix->map_lock);
        if (rc != MDB_MAP_RESIZED || attempt >= 3)
            return rc;
        rc = adopt_map_size(ix);
        if (rc)
            return rc;
    }
}

int idx_map_grow(idx_index *ix, char *err, size_t err_len)
{
    MDB_envinfo info;
    mdb_env_info(ix->env, &info);
    size_t cur = info.me_mapsize, want = cur * 2;
    if (cur >= IDX_MAX_MAP)
        return sh_fail(err, err_len, SH_EFULL, "index %s: map size limit %zu bytes reached",
                       ix->path, (size_t)IDX_MAX_MAP);
    if (want > IDX_MAX_MAP)
        want = IDX_MAX_MAP;
    if (lock_for_resize(ix) != 0)
        return sh_fail(err, err_len, SH_EFULL,
                       "index %s: cannot grow the map while read transactions stay open "
                       "on this handle; end them first",
                       ix->path);
    int rc = mdb_env_set_mapsize(ix->env, want);
    if (rc == 0 && mdb_env_info(ix->env, &info) == 0)
        ix->map_size = info.me_mapsize;
    pthread_rwlock_unlock(&ix->map_lock);
    return idx_lmdb_error(ix, rc, "growing the map", err, err_len);
}

/* --- open, create, close ---------------------------------------------- */

static int check_options(const idx_options *o, char *err, size_t err_len)
{
    if ((o->flags & IDX_RDONLY) && (o->flags & IDX_CREATE))
        return sh_fail(err, err_len, SH_EINVAL, "IDX_CREATE and IDX_RDONLY exclude each other");
    if (o->batch_size < 0)
        return sh_fail(err, err_len, SH_EINVAL, "batch size %d is negative", o->batch_size);
    if (!(o->flags & IDX_CREATE))
        return 0;
    if (!code_bits_valid(o->code_bits))
        return sh_fail(err, err_len, SH_EINVAL,
                       "code bits %d: must be a multiple of 8 from 8 to 128", o->code_bits);
    int lo = (o->code_bits + 63) / 64;
    int hi = o->code_bits / 8 < IDX_MAX_SUBSTRINGS ? o->code_bits / 8 : IDX_MAX_SUBSTRINGS;
    if (o->substrings != 0 && (o->substrings < lo || o->substrings > hi))
        return sh_fail(err, err_len, SH_EINVAL, "%d substrings for %d-bit codes: use %d..%d",
                       o->substrings, o->code_bits, lo, hi);
    if (o->sig_bytes < 0 || o->sig_bytes > IDX_MAX_SIG)
        return sh_fail(err, err_len, SH_EINVAL, "signature length %d: use 0..%d", o->sig_bytes,
                       IDX_MAX_SIG);
    return 0;
}

static int open_tables(idx_index *ix, MDB_txn *txn, int create)
{
    unsigned c = create ? MDB_CREATE : 0;
    int rc = mdb_dbi_open(txn, "model", c, &ix->db_model);
    if (!rc)
        rc = mdb_dbi_open(txn, "docs", c, &ix->db_docs);
    if (!rc)
        rc = mdb_dbi_open(txn, "names", c, &ix->db_names);
    for (int j = 0; !rc && j < ix->m; j++) {
        char name[16];
        snprintf(name, sizeof name, "mih_%d", j);
        rc = mdb_dbi_open(txn, name, c, &ix->db_mih[j]);
    }
    return rc;
}

static int write_meta(idx_index *ix, MDB_txn *txn, const idx_options *o)
{
    int rc = meta_put(ix, txn, "magic", IDX_MAGIC, strlen(IDX_MAGIC));
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "format", IDX_FORMAT_VERSION);
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "bits", (uint64_t)ix->bits);
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "substrings", (uint64_t)ix->m);
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "sig_bytes", (uint64_t)ix->sig_bytes);
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "next_id", 1);
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "doc_count", 0);
    if (!rc)
        rc = meta_put(ix, txn, "config", o->config_text ? o->config_text : "",
                      o->config_text ? o->config_len : 0);
    return rc;
}

/* Reads and checks magic, version and shape from meta. */
static int read_meta(idx_index *ix, MDB_txn *txn, char *err, size_t err_len)
{
    MDB_val k = { 5, "magic" }, d;
    int rc = mdb_get(txn, ix->db_meta, &k, &d);
    if (rc == MDB_NOTFOUND ||
        (rc == 0 && (d.mv_size != strlen(IDX_MAGIC) || memcmp(d.mv_data, IDX_MAGIC, d.mv_size))))
        return sh_fail(err, err_len, SH_EINDEX,
                       "%s is an LMDB environment but not a semhash index (no semhash magic in "
                       "meta)",
                       ix->path);
    if (rc)
        return idx_lmdb_error(ix, rc, "reading meta", err, err_len);
    uint64_t format, bits, m, sig;
    rc = idx_meta_get_u64(ix, txn, "format", &format);
    if (!rc)
        rc = idx_meta_get_u64(ix, txn, "bits", &bits);
    if (!rc)
        rc = idx_meta_get_u64(ix, txn, "substrings", &m);
    if (!rc)
        rc = idx_meta_get_u64(ix, txn, "sig_bytes", &sig);
    if (rc)
        return sh_fail(err, err_len, SH_EINDEX, "index %s: damaged meta table (%s)", ix->path,
                       mdb_strerror(rc));
    if (format != IDX_FORMAT_VERSION)
        return sh_fail(err, err_len, SH_EVERSION,
                       "index %s has format version %llu, this build reads version %d: rebuild "
                       "the index with this version",
                       ix->path, (unsigned long long)format, IDX_FORMAT_VERSION);
    if (!code_bits_valid((int)bits) || bits > 128 || m < (bits + 63) / 64 || m > IDX_MAX_SUBSTRINGS ||
        m > bits / 8 || sig > IDX_MAX_SIG)
        return sh_fail(err, err_len, SH_EINDEX,
                       "index %s: impossible meta values (bits %llu, substrings %llu, "
                       "signature %llu)",
                       ix->path, (unsigned long long)bits, (unsigned long long)m,
                       (unsigned long long)sig);
    ix->bits = (int)bits;
    ix->m = (int)m;
    ix->sig_bytes = (int)sig;
    return 0;
}

/* Checks the directory: exists (or is created), holds an index or not. */
static int check_directory(const char *path, int create, char *err, size_t err_len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return sh_fail(err, err_len, errno, "index %s: %s", path, strerror(errno));
        if (!create)
            return sh_fail(err, err_len, SH_ENOTFOUND, "index directory %s does not exist", path);
        if (mkdir(path, 0755) != 0)
            return sh_fail(err, err_len, errno, "creating index directory %s: %s", path,
                           strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return sh_fail(err, err_len, SH_EINDEX, "%s is not a directory, so not a semhash index",
                       path);
    }
    size_t n = strlen(path) + 16;
    char *data = malloc(n);
    if (!data)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
    snprintf(data, n, "%s/data.mdb", path);
    int exists = stat(data, &st) == 0;
    free(data);
    if (create && exists)
        return sh_fail(err, err_len, SH_EINVAL,
                       "%s already holds an index: open it, or remove it first", path);
    if (!create && !exists)
        return sh_fail(err, err_len, SH_EINDEX, "%s holds no semhash index (no data.mdb)", path);
    if (!create && (exists && st.st_size == 0))
        return sh_fail(err, err_len, SH_EINDEX, "%s holds an empty data.mdb, not an index", path);
    return 0;
}

int idx_open(const char *path, const idx_options *opts, idx_index **out, char *err,
             size_t err_len)
{
    idx_options o = { 0 };
    if (opts)
        o = *opts;
    *out = NULL;
    int create = (o.flags & IDX_CREATE) != 0, rdonly = (o.flags & IDX_RDONLY) != 0;
    int rc = check_options(&o, err, err_len);
    if (rc)
        return rc;
    rc = check_directory(path, create, err, err_len);
    if (rc)
        return rc;

    idx_index *ix = calloc(1, sizeof *ix);
    MDB_txn *txn = NULL;
    int lock_ready = 0;
    uint64_t bulk_mark = 0; /* meta "bulk": a bulk load did not finish */
    if (!ix || !(ix->path = strdup(path))) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "out of memory opening %s", path);
        goto fail;
    }
    ix->rdonly = rdonly;
    ix->batch_size = o.batch_size ? o.batch_size : IDX_DEFAULT_BATCH;
    ix->store_duplicates = o.store_duplicates;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    rc = pthread_rwlock_init(&ix->map_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc) {
        rc = sh_fail(err, err_len, rc, "index %s: cannot create lock", path);
        goto fail;
    }
    lock_ready = 1;

    rc = mdb_env_create(&ix->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(ix->env, 8 + IDX_MAX_SUBSTRINGS);
    if (!rc) /* every live idx_reader holds a slot (in the lock file) */
        rc = mdb_env_set_maxreaders(ix->env, IDX_MAX_READERS);
    if (!rc && create)
        rc = mdb_env_set_mapsize(ix->env, o.map_size ? o.map_size : IDX_DEFAULT_MAP);
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "creating the LMDB environment", err, err_len);
        goto fail;
    }
    unsigned env_flags = MDB_NOTLS | (rdonly ? MDB_RDONLY : 0) | ((o.flags & IDX_NOSYNC) ? MDB_NOSYNC : 0);
    rc = mdb_env_open(ix->env, path, env_flags, 0644);
    if (rc == MDB_INVALID) {
        rc = sh_fail(err, err_len, SH_EINDEX, "%s holds no semhash index (data.mdb is not LMDB)",
                     path);
        goto fail;
    }
    if (rc == MDB_VERSION_MISMATCH) {
        rc = sh_fail(err, err_len, SH_EVERSION,
                     "index %s was written by another LMDB version: rebuild it", path);
        goto fail;
    }
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "opening the environment", err, err_len);
        goto fail;
    }
    MDB_envinfo info;
    mdb_env_info(ix->env, &info);
    if (!create && !rdonly && o.map_size > info.me_mapsize) {
        mdb_env_set_mapsize(ix->env, o.map_size);
        mdb_env_info(ix->env, &info);
    }
    ix->map_size = info.me_mapsize;

    rc = mdb_txn_begin(ix->env, NULL, rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "starting a transaction", err, err_len);
        goto fail;
    }
    rc = mdb_dbi_open(txn, "meta", create ? MDB_CREATE : 0, &ix->db_meta);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        rc = sh_fail(err, err_len, SH_EINDEX,
                     "%s is an LMDB environment but not a semhash index (no meta table)", path);
        goto fail;
    }
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "opening the meta table", err, err_len);
        goto fail;
    }
    if (create) {
        ix->bits = o.code_bits;
        ix->m = o.substrings ? o.substrings
                             : idx_choose_substrings(o.code_bits, o.expected_docs
                                                                      ? o.expected_docs
                                                                      : IDX_DEFAULT_EXPECTED);
        ix->sig_bytes = o.sig_bytes;
        rc = write_meta(ix, txn, &o);
        if (rc) {
            rc = idx_lmdb_error(ix, rc, "writing meta", err, err_len);
            goto fail;
        }
    } else {
        rc = read_meta(ix, txn, err, err_len);
        if (!rc && (rc = idx_meta_get_u64(ix, txn, "bulk", &bulk_mark)) != 0)
            rc = sh_fail(err, err_len, SH_EINDEX, "index %s: damaged meta table (%s)", path,
                         mdb_strerror(rc));
        if (!rc && bulk_mark && rdonly)
            rc = sh_fail(err, err_len, SH_EINDEX,
                         "index %s is incomplete: a bulk load is running or was interrupted; "
                         "once nothing writes to it, open it for writing (e.g. semhash "
                         "compact -i %s) to build its lookup tables",
                         path, path);
        if (rc)
            goto fail;
    }
    ix->code_bytes = ix->bits / 8;
    idx_layout_substrings(ix->bits, ix->m, ix->sub);
    rc = open_tables(ix, txn, create);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
        rc = sh_fail(err, err_len, SH_EINDEX, "index %s: a table is missing or has the wrong kind",
                     path);
        goto fail;
    }
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "opening the tables", err, err_len);
        goto fail;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        rc = idx_lmdb_error(ix, rc, "committing the new index", err, err_len);
        goto fail;
    }
    if (bulk_mark) { /* an interrupted bulk load: build the tables from the docs */
        rc = idx_bulk_build(ix, err, err_len);
        if (rc) {
            idx_close(ix);
            return rc;
        }
    }
    *out = ix;
    return 0;

fail:
    if (txn)
        mdb_txn_abort(txn);
    if (ix) {
        if (ix->env)
            mdb_env_close(ix->env);
        if (lock_ready)
            pthread_rwlock_destroy(&ix->map_lock);
        free(ix->path);
        free(ix);
    }
    return rc;
}

/* Defined in idx_docs.c: drops an uncommitted batch. */
void idx_batch_discard(idx_index *ix);

void idx_close(idx_index *ix)
{
    if (!ix)
        return;
    idx_batch_discard(ix);
    idx_bulk_free(ix);
    mdb_env_close(ix->env);
    pthread_rwlock_destroy(&ix->map_lock);
    free(ix->bucket_buf);
    free(ix->path);
    free(ix);
}

/* --- readers ------------------------------------------------------------ */

static int reader_open_cursors(idx_reader *rd)
{
    idx_index *ix = rd->ix;
    int rc = 0;
    if (rd->cur_mih[0]) {
        for (int j = 0; !rc && j < ix->m; j++)
            rc = mdb_cursor_renew(rd->txn, rd->cur_mih[j]);
        return rc;
    }
    for (int j = 0; !rc && j < ix->m; j++)
        rc = mdb_cursor_open(rd->txn, ix->db_mih[j], &rd->cur_mih[j]);
    return rc;
}

int idx_reader_begin(idx_index *ix, idx_reader **out, char *err, size_t err_len)
{
    *out = NULL;
    idx_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a reader");
    rd->ix = ix;
    int rc = idx_txn_begin(ix, MDB_RDONLY, &rd->txn);
    if (rc) {
        free(rd);
        return idx_lmdb_error(ix, rc, "starting a read transaction", err, err_len);
    }
    rd->live = 1;
    rc = reader_open_cursors(rd);
    if (rc) {
        idx_reader_end(rd);
        return idx_lmdb_error(ix, rc, "opening cursors", err, err_len);
    }
    *out = rd;
    return 0;
}

int idx_reader_renew(idx_reader *rd, char *err, size_t err_len)
{
    idx_index *ix = rd->ix;
    if (rd->live) {
        mdb_txn_reset(rd->txn);
        pthread_rwlock_unlock(&ix->map_lock);
        rd->live = 0;
    }
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        pthread_rwlock_rdlock(&ix->map_lock);
        rc = mdb_txn_renew(rd->txn);
        if (rc == 0)
            break;
        pthread_rwlock_unlock(&ix->map_lock);
        if (rc != MDB_MAP_RESIZED || attempt >= 3)
            return idx_lmdb_error(ix, rc, "renewing a read transaction", err, err_len);
        rc = adopt_map_size(ix);
        if (rc)
            return idx_lmdb_error(ix, rc, "adopting a grown map", err, err_len);
    }
    rd->live = 1;
    rc = reader_open_cursors(rd);
    return idx_lmdb_error(ix, rc, "renewing cursors", err, err_len);
}

void idx_reader_end(idx_reader *rd)
{
    if (!rd)
        return;
    for (int j = 0; j < IDX_MAX_SUBSTRINGS; j++)
        if (rd->cur_mih[j])
            mdb_cursor_close(rd->cur_mih[j]);
    if (rd->txn) {
        mdb_txn_abort(rd->txn);
        if (rd->live)
            pthread_rwlock_unlock(&rd->ix->map_lock);
    }
    free(rd->scratch);
    free(rd);
}

uint64_t idx_reader_doc_count(const idx_reader *rd)
{
    MDB_stat st;
    if (!rd->live || mdb_stat(rd->txn, rd->ix->db_docs, &st) != 0)
        return 0;
    return st.ms_entries;
}

/* The value of key in table dbi, pointing into the map. */
static int get_value(idx_reader *rd, MDB_dbi dbi, const char *key, const char *what,
                     const void **data, size_t *len)
{
    MDB_val k = { strlen(key), (void *)key }, d;
    int rc = mdb_get(rd->txn, dbi, &k, &d);
    if (rc)
        return idx_lmdb_error(rd->ix, rc, what, NULL, 0);
    *data = d.mv_data;
    *len = d.mv_size;
    return 0;
}

int idx_model_get(idx_reader *rd, const void **data, size_t *len)
{
    return get_value(rd, rd->ix->db_model, "model", "reading the model", data, len);
}

int idx_config_get(idx_reader *rd, const char **text, size_t *len)
{
    const void *data = NULL;
    int rc = get_value(rd, rd->ix->db_meta, "config", "reading the config", &data, len);
    if (rc == 0)
        *text = data;
    return rc;
}
