/* idx_bulk.c — loading a new index in bulk: the state kept while
 * documents arrive, and beginning and finishing a load. See idx_bulk.h;
 * building the lookup tables at the end is idx_bulk_build.c.
 *
 * While loading, per document id: its name (in an arena), code and
 * content hash, so that the end of the load builds the lookup tables
 * from memory instead of reading the docs table back. Beside them two
 * open-addressing hash tables: names (8-byte slots, a tag of the name's
 * hash and the id; the bytes are compared through the id) and content
 * hashes (8-byte slots too: a tag of the hash and the first id of the
 * list of ids that have it, in id order; an exact duplicate is the first
 * of them with the same code).
 */
#include "idx_bulk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "idx_docs.h"
#include "sh_error.h"
#include <xxhash.h>

typedef struct {
    uint32_t tag; /* the name hash's high 32 bits: also the home slot */
    uint32_t id;  /* 0: empty slot */
} name_slot;

/* The docs with one content hash: a list in id order from head through
 * next_same[], its last id in list_tail[head]. The whole hash is the
 * head's (docs.content_hash[head]); the slot keeps its top 32 bits. */
typedef struct {
    uint32_t tag;  /* the content hash's high 32 bits */
    uint32_t head; /* 0: empty slot; EMPTIED: a list emptied by replacements */
} content_slot;

#define EMPTIED UINT32_MAX /* never an id: ids are below next_id <= UINT32_MAX */

/* What the load knows of document id (index id of each array; id 0 is
 * unused). name_len 0: no document has that id. */
typedef struct {
    uint64_t *name_at;   /* offset of the name in the arena */
    uint16_t *name_len;
    uint64_t *content_hash;
    sh_code *code;
    uint32_t *next_same; /* the next id with the same content hash, 0 = none */
    uint32_t *list_tail; /* for a list's head: its last id */
    size_t cap;          /* ids 0..cap-1 have room */
} doc_arrays;

struct idx_bulk {
    int broken;
    uint32_t max_id;  /* the highest id noted */
    uint64_t next_id; /* the id the next new document gets */
    /* new documents' records not yet in the docs table, in id order:
     * [u32 id][u32 length][record] each; ids first_buffered.. */
    uint8_t *buffer;
    size_t buffer_len, buffer_cap, buffered;
    uint32_t first_buffered;
    name_slot *names;
    size_t names_cap, names_used; /* cap: a power of two */
    char *arena;
    size_t arena_len, arena_cap;
    content_slot *content;
    size_t content_cap, content_used;
    doc_arrays docs;
};

int idx_bulk_active(const idx_index *ix)
{
    return ix && ix->bulk != NULL;
}

int idx_bulk_broken(const idx_index *ix)
{
    return ix && ix->bulk && ix->bulk->broken;
}

void idx_bulk_fail(idx_index *ix)
{
    if (ix && ix->bulk)
        ix->bulk->broken = 1;
}

void idx_bulk_free(idx_index *ix)
{
    if (!ix || !ix->bulk)
        return;
    struct idx_bulk *b = ix->bulk;
    free(b->names);
    free(b->arena);
    free(b->content);
    free(b->buffer);
    free(b->docs.name_at);
    free(b->docs.name_len);
    free(b->docs.content_hash);
    free(b->docs.code);
    free(b->docs.next_same);
    free(b->docs.list_tail);
    free(b);
    ix->bulk = NULL;
}

/* --- the in-memory lookups -------------------------------------------------
 * Both tables use open addressing with linear probing, at most half full;
 * slots are never emptied (a content slot's list may become empty). A
 * name's home slot is its tag modulo the capacity, so doubling needs no
 * name bytes (past 2^32 slots the upper half is never a home: slower, not
 * wrong). Tables of HUGE_FROM slots or more ask for huge pages
 * (idx_advise_huge): every lookup lands at random, and with 4 KiB pages
 * most also miss the TLB (1M documents: the load about 15% faster);
 * asked for in a small table, whole 2 MiB pages would be backed for a few
 * slots each. */

#define FIRST_CAP ((size_t)1 << 12) /* slots; tables double when half full */
#define HUGE_FROM ((size_t)1 << 18) /* slots */
#define FIRST_IDS ((size_t)1 << 16) /* per-id arrays; they double as needed */

static uint64_t name_hash(const char *name, size_t len)
{
    return XXH64(name, len, 0);
}

/* Mixes a content hash (already xxh64 output, but tests use small ones). */
static uint64_t content_key(uint64_t hash)
{
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    return hash;
}

/* The slot of name (hash h): its own, or the empty slot where it would go. */
static size_t name_find(const struct idx_bulk *b, uint64_t h, const char *name, size_t len)
{
    size_t mask = b->names_cap - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
        const name_slot *s = &b->names[i];
        if (s->id == 0)
            return i;
        if (s->tag == tag && b->docs.name_len[s->id] == len &&
            memcmp(b->arena + b->docs.name_at[s->id], name, len) == 0)
            return i;
    }
}

/* The slot of hash's list, or the empty slot where it would go. An
 * emptied list's slot stays, skipped, until the table is next doubled. */
static size_t content_find(const struct idx_bulk *b, uint64_t hash)
{
    size_t mask = b->content_cap - 1;
    uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = content_key(hash) & mask;; i = (i + 1) & mask) {
        const content_slot *s = &b->content[i];
        if (s->head == 0)
            return i;
        if (s->head != EMPTIED && s->tag == tag && b->docs.content_hash[s->head] == hash)
            return i;
    }
}

/* Doubles the names table. */
static int names_grow(struct idx_bulk *b)
{
    size_t cap = b->names_cap ? b->names_cap * 2 : FIRST_CAP;
    name_slot *old = b->names, *fresh = calloc(cap, sizeof *fresh);
    if (!fresh)
        return SH_ENOMEM;
    if (cap >= HUGE_FROM)
        idx_advise_huge(fresh, cap * sizeof *fresh);
    size_t old_cap = b->names_cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id) {
            size_t mask = cap - 1, j = old[i].tag & mask;
            while (fresh[j].id)
                j = (j + 1) & mask;
            fresh[j] = old[i];
        }
    free(old);
    b->names = fresh;
    b->names_cap = cap;
    return 0;
}

static int content_grow(struct idx_bulk *b)
{
    size_t cap = b->content_cap ? b->content_cap * 2 : FIRST_CAP;
    content_slot *old = b->content, *fresh = calloc(cap, sizeof *fresh);
    if (!fresh)
        return SH_ENOMEM;
    if (cap >= HUGE_FROM)
        idx_advise_huge(fresh, cap * sizeof *fresh);
    size_t old_cap = b->content_cap, used = 0;
    b->content = fresh;
    b->content_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].head != 0 && old[i].head != EMPTIED) { /* emptied lists are dropped */
            fresh[content_find(b, b->docs.content_hash[old[i].head])] = old[i];
            used++;
        }
    b->content_used = used;
    free(old);
    return 0;
}

/* The array p of elements of size bytes grown from old to cap elements,
 * the new ones zeroed; NULL when out of memory (p unchanged). */
static void *grow_zeroed(void *p, size_t size, size_t old, size_t cap)
{
    char *q = realloc(p, cap * size);
    if (q)
        memset(q + old * size, 0, (cap - old) * size);
    return q;
}

/* Makes room for id in every per-id array (new entries zeroed). */
static int docs_reserve(doc_arrays *d, uint32_t id)
{
    if (id < d->cap)
        return 0;
    size_t cap = d->cap ? d->cap : FIRST_IDS, old = d->cap;
    while (cap <= id)
        cap *= 2;
    void *p;
    if (!(p = grow_zeroed(d->name_at, sizeof *d->name_at, old, cap)))
        return SH_ENOMEM;
    d->name_at = p;
    if (!(p = grow_zeroed(d->name_len, sizeof *d->name_len, old, cap)))
        return SH_ENOMEM;
    d->name_len = p;
    if (!(p = grow_zeroed(d->content_hash, sizeof *d->content_hash, old, cap)))
        return SH_ENOMEM;
    d->content_hash = p;
    if (!(p = grow_zeroed(d->code, sizeof *d->code, old, cap)))
        return SH_ENOMEM;
    d->code = p;
    if (!(p = grow_zeroed(d->next_same, sizeof *d->next_same, old, cap)))
        return SH_ENOMEM;
    d->next_same = p;
    if (!(p = grow_zeroed(d->list_tail, sizeof *d->list_tail, old, cap)))
        return SH_ENOMEM;
    d->list_tail = p;
    d->cap = cap;
    return 0;
}

uint32_t idx_bulk_name_id(const idx_index *ix, const char *name, size_t len)
{
    const struct idx_bulk *b = ix->bulk;
    return b->names_used ? b->names[name_find(b, name_hash(name, len), name, len)].id : 0;
}

void idx_bulk_prefetch(const idx_index *ix, const char *name, size_t len, uint64_t hash)
{
    const struct idx_bulk *b = ix->bulk;
    if (!b->names_cap || !b->content_cap)
        return;
    uint32_t tag = (uint32_t)(name_hash(name, len) >> 32);
    __builtin_prefetch(&b->names[tag & (b->names_cap - 1)]);
    __builtin_prefetch(&b->content[content_key(hash) & (b->content_cap - 1)]);
}

uint32_t idx_bulk_duplicate(const idx_index *ix, uint64_t hash, const sh_code *code,
                            uint32_t self)
{
    const struct idx_bulk *b = ix->bulk;
    if (!b->content_used)
        return 0;
    const content_slot *s = &b->content[content_find(b, hash)];
    for (uint32_t id = s->head; id; id = b->docs.next_same[id]) {
        const sh_code *c = &b->docs.code[id];
        if (id != self && c->w[0] == code->w[0] && c->w[1] == code->w[1])
            return id;
    }
    return 0;
}

/* Keeps document id's name in the arena and its arrays (reserved). */
static int name_keep(struct idx_bulk *b, const char *name, size_t len, uint32_t id)
{
    void *arena = b->arena;
    if (idx_reserve(&arena, &b->arena_cap, b->arena_len + len, 1 << 16))
        return SH_ENOMEM;
    b->arena = arena;
    memcpy(b->arena + b->arena_len, name, len);
    b->docs.name_at[id] = b->arena_len;
    b->docs.name_len[id] = (uint16_t)len;
    b->arena_len += len;
    b->names_used++;
    return 0;
}

/* Records the new document id called name (its arrays are reserved). */
static int name_add(struct idx_bulk *b, const char *name, size_t len, uint32_t id)
{
    if ((b->names_used + 1) * 2 > b->names_cap && names_grow(b))
        return SH_ENOMEM;
    uint64_t h = name_hash(name, len);
    size_t at = name_find(b, h, name, len);
    if (name_keep(b, name, len, id))
        return SH_ENOMEM;
    b->names[at] = (name_slot){ (uint32_t)(h >> 32), id };
    return 0;
}

/* Takes id out of hash's list (its slot then says EMPTIED if it was the
 * last). */
static void content_forget(struct idx_bulk *b, uint64_t hash, uint32_t id)
{
    content_slot *s = &b->content[content_find(b, hash)];
    uint32_t *next_same = b->docs.next_same, *list_tail = b->docs.list_tail;
    uint32_t head = s->head, prev = 0;
    if (head == 0)
        return;
    for (uint32_t at = head; at; prev = at, at = next_same[at]) {
        if (at != id)
            continue;
        if (prev) {
            next_same[prev] = next_same[at];
            if (list_tail[head] == id)
                list_tail[head] = prev;
        } else if (next_same[at]) { /* a new head takes the tail over */
            s->head = next_same[at];
            list_tail[s->head] = list_tail[head];
        } else {
            s->head = EMPTIED;
        }
        next_same[id] = 0;
        return;
    }
}

/* Puts id into hash's list, in id order (a new id goes last). The id's
 * content_hash must be hash already. */
static int content_add(struct idx_bulk *b, uint64_t hash, uint32_t id)
{
    if ((b->content_used + 1) * 2 > b->content_cap && content_grow(b))
        return SH_ENOMEM;
    uint32_t *next_same = b->docs.next_same, *list_tail = b->docs.list_tail;
    content_slot *s = &b->content[content_find(b, hash)];
    uint32_t head = s->head;
    if (head == 0) {
        *s = (content_slot){ (uint32_t)(hash >> 32), id };
        list_tail[id] = id;
        b->content_used++;
    } else if (id > list_tail[head]) {
        next_same[list_tail[head]] = id;
        list_tail[head] = id;
    } else if (id < head) {
        next_same[id] = head;
        list_tail[id] = list_tail[head];
        s->head = id;
    } else { /* a replaced document keeps its old id: insert it in order */
        uint32_t at = head;
        while (next_same[at] && next_same[at] < id)
            at = next_same[at];
        next_same[id] = next_same[at];
        next_same[at] = id;
    }
    return 0;
}

int idx_bulk_note(idx_index *ix, const char *name, size_t len, uint32_t id, const sh_code *code,
                  uint64_t hash, int replaced, uint64_t old_hash)
{
    struct idx_bulk *b = ix->bulk;
    int rc = docs_reserve(&b->docs, id);
    if (!rc && replaced) {
        if (old_hash != hash) {
            content_forget(b, old_hash, id); /* found through the old hash, still id's */
            b->docs.content_hash[id] = hash;
            rc = content_add(b, hash, id);
        }
    } else if (!rc) {
        rc = name_add(b, name, len, id);
        b->docs.content_hash[id] = hash;
        if (!rc)
            rc = content_add(b, hash, id);
    }
    if (rc) {
        b->broken = 1;
        return rc;
    }
    b->docs.code[id] = *code;
    if (id > b->max_id)
        b->max_id = id;
    return 0;
}

uint64_t idx_bulk_next_id(const idx_index *ix)
{
    return ix->bulk->next_id;
}

int idx_bulk_buffer_add(idx_index *ix, uint32_t id, const uint8_t *rec, size_t len)
{
    struct idx_bulk *b = ix->bulk;
    void *buf = b->buffer;
    if (idx_reserve(&buf, &b->buffer_cap, b->buffer_len + 8 + len, 1 << 20)) {
        b->broken = 1;
        return SH_ENOMEM;
    }
    b->buffer = buf;
    idx_put_u32(b->buffer + b->buffer_len, id);
    idx_put_u32(b->buffer + b->buffer_len + 4, (uint32_t)len);
    memcpy(b->buffer + b->buffer_len + 8, rec, len);
    b->buffer_len += 8 + len;
    if (b->buffered++ == 0)
        b->first_buffered = id;
    b->next_id = (uint64_t)id + 1;
    return 0;
}

int idx_bulk_buffered(const idx_index *ix, uint32_t id)
{
    const struct idx_bulk *b = ix->bulk;
    return b->buffered && id >= b->first_buffered;
}

size_t idx_bulk_buffer_count(const idx_index *ix)
{
    return ix && ix->bulk ? ix->bulk->buffered : 0;
}

size_t idx_bulk_buffer_bytes(const idx_index *ix)
{
    return ix->bulk->buffer_len;
}

void idx_bulk_buffer_view(const idx_index *ix, const uint8_t **data, size_t *len)
{
    *data = ix->bulk->buffer;
    *len = ix->bulk->buffer_len;
}

void idx_bulk_buffer_clear(idx_index *ix)
{
    ix->bulk->buffer_len = 0;
    ix->bulk->buffered = 0;
}

int idx_bulk_foreach(const idx_index *ix, int (*fn)(const idx_doc *doc, void *ctx), void *ctx)
{
    const struct idx_bulk *b = ix->bulk;
    for (uint32_t id = 1; id <= b->max_id; id++) {
        if (b->docs.name_len[id] == 0)
            continue;
        idx_doc d = { .id = id, .code = b->docs.code[id], .content_hash = b->docs.content_hash[id],
                      .name = b->arena + b->docs.name_at[id], .name_len = b->docs.name_len[id] };
        int rc = fn(&d, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

uint64_t idx_bulk_doc_count(const idx_index *ix)
{
    return ix->bulk->names_used;
}

/* idx_bulk_read_docs's walk: one committed document into the arrays. */
static int read_doc(const idx_doc *d, void *arg)
{
    struct idx_bulk *b = arg;
    if (docs_reserve(&b->docs, d->id) || name_keep(b, d->name, d->name_len, d->id))
        return SH_ENOMEM;
    b->docs.code[d->id] = d->code;
    b->docs.content_hash[d->id] = d->content_hash;
    if (d->id > b->max_id)
        b->max_id = d->id;
    return 0;
}

int idx_bulk_read_docs(idx_index *ix, char *err, size_t err_len)
{
    idx_bulk_free(ix);
    struct idx_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory building the tables of %s",
                       ix->path);
    idx_reader *rd;
    int rc = idx_reader_begin(ix, &rd, err, err_len);
    if (!rc) {
        ix->bulk = b; /* so that idx_bulk_free frees what the walk allocated */
        rc = idx_docs_foreach(rd, read_doc, b);
        idx_reader_end(rd);
        if (rc == SH_ENOMEM)
            rc = sh_fail(err, err_len, SH_ENOMEM, "index %s: out of memory building its tables",
                         ix->path);
        else if (rc)
            rc = sh_fail(err, err_len, rc, "index %s: reading the docs table to build the "
                         "lookup tables failed (%s)", ix->path, sh_strerror(rc));
        if (rc)
            idx_bulk_free(ix);
    } else {
        free(b);
    }
    return rc;
}

/* --- beginning and ending ---------------------------------------------------- */

int idx_bulk_begin(idx_index *ix, char *err, size_t err_len)
{
    if (ix->rdonly)
        return sh_fail(err, err_len, SH_EREADONLY, "index %s is open read-only", ix->path);
    if (ix->bulk)
        return sh_fail(err, err_len, SH_EINVAL, "index %s: a bulk load is active already",
                       ix->path);
    if (idx_batch_pending(ix))
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s: commit the pending writes before a bulk load", ix->path);
    struct idx_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return sh_fail(err, err_len, SH_ENOMEM, "out of memory for a bulk load");
    MDB_txn *txn;
    int rc = idx_txn_begin(ix, 0, &txn);
    if (rc) {
        free(b);
        return idx_lmdb_error(ix, rc, "starting a write transaction", err, err_len);
    }
    MDB_stat st;
    rc = mdb_stat(txn, ix->db_docs, &st);
    if (!rc && st.ms_entries > 0) {
        mdb_txn_abort(txn);
        pthread_rwlock_unlock(&ix->map_lock);
        free(b);
        return sh_fail(err, err_len, SH_EINVAL,
                       "index %s holds %zu documents: a bulk load needs an empty index",
                       ix->path, (size_t)st.ms_entries);
    }
    if (!rc)
        rc = idx_meta_get_u64(ix, txn, "next_id", &b->next_id);
    if (!rc && b->next_id == 0)
        b->next_id = 1;
    if (!rc)
        rc = idx_meta_put_u64(ix, txn, "bulk", 1);
    if (!rc)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    pthread_rwlock_unlock(&ix->map_lock);
    if (rc) {
        free(b);
        if (rc == MDB_MAP_FULL)
            return sh_fail(err, err_len, SH_EFULL, "index %s: map full", ix->path);
        return idx_lmdb_error(ix, rc, "starting a bulk load", err, err_len);
    }
    ix->bulk = b;
    return 0;
}

int idx_bulk_finish(idx_index *ix, char *err, size_t err_len)
{
    if (!ix->bulk)
        return 0;
    int rc = 0;
    if (idx_bulk_broken(ix)) { /* keep what the failure left committable; drop the buffer */
        rc = idx_commit(ix, err, err_len);
        idx_bulk_buffer_clear(ix);
    }
    if (!rc)
        rc = idx_bulk_build(ix, err, err_len); /* writes an unbroken load's pending records */
    idx_bulk_free(ix);
    return rc;
}
