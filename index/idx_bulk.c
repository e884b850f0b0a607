/* idx_bulk.c — loading a new index in bulk: the state kept while
 * documents arrive, and beginning and finishing a load. See idx_bulk.h;
 * building the lookup tables at the end is idx_bulk_build.c.
 *
 * While loading: two open-addressing hash tables in memory, names (the
 * name bytes live in an arena) and content hashes (each with the list of
 * ids that have it, in id order, as the content table would hold them).
 */
#include "idx_bulk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "idx_docs.h"
#include "sh_error.h"
#include <xxhash.h>

typedef struct {
    uint64_t hash; /* xxh64 of the name */
    uint64_t off;  /* the name in the arena */
    uint32_t len;
    uint32_t id;   /* 0: empty slot */
} name_slot;

/* The docs with one content hash, as the content table holds them: a
 * list in id order through next_same[] (head and tail ids, 0 = none). */
typedef struct {
    uint64_t hash;
    uint32_t head, tail;
    uint32_t used; /* the slot is taken (its list may be empty now) */
} content_slot;

struct idx_bulk {
    int broken;
    name_slot *names;
    size_t names_cap, names_used; /* cap: a power of two */
    char *arena;
    size_t arena_len, arena_cap;
    content_slot *content;
    size_t content_cap, content_used;
    uint32_t *next_same; /* next_same[id]: the next id with id's content hash, 0 = none */
    size_t next_cap;
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
    free(ix->bulk->names);
    free(ix->bulk->arena);
    free(ix->bulk->content);
    free(ix->bulk->next_same);
    free(ix->bulk);
    ix->bulk = NULL;
}

/* --- the in-memory lookups -------------------------------------------------
 * Both tables use open addressing with linear probing, at most half full;
 * slots are never emptied (a content slot's list may become empty). */

#define FIRST_CAP 4096 /* slots; tables double when half full */

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

static size_t name_find(const struct idx_bulk *b, uint64_t h, const char *name, size_t len)
{
    size_t mask = b->names_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const name_slot *s = &b->names[i];
        if (s->id == 0 ||
            (s->hash == h && s->len == len && memcmp(b->arena + s->off, name, len) == 0))
            return i;
    }
}

static size_t content_find(const struct idx_bulk *b, uint64_t hash)
{
    size_t mask = b->content_cap - 1;
    for (size_t i = content_key(hash) & mask;; i = (i + 1) & mask)
        if (!b->content[i].used || b->content[i].hash == hash)
            return i;
}

static int names_grow(struct idx_bulk *b)
{
    size_t cap = b->names_cap ? b->names_cap * 2 : FIRST_CAP;
    name_slot *old = b->names, *fresh = calloc(cap, sizeof *fresh);
    if (!fresh)
        return SH_ENOMEM;
    size_t old_cap = b->names_cap;
    b->names = fresh;
    b->names_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id) {
            size_t mask = cap - 1, j = old[i].hash & mask;
            while (fresh[j].id)
                j = (j + 1) & mask;
            fresh[j] = old[i];
        }
    free(old);
    return 0;
}

static int content_grow(struct idx_bulk *b)
{
    size_t cap = b->content_cap ? b->content_cap * 2 : FIRST_CAP;
    content_slot *old = b->content, *fresh = calloc(cap, sizeof *fresh);
    if (!fresh)
        return SH_ENOMEM;
    size_t old_cap = b->content_cap;
    b->content = fresh;
    b->content_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            fresh[content_find(b, old[i].hash)] = old[i];
    free(old);
    return 0;
}

uint32_t idx_bulk_name_id(const idx_index *ix, const char *name, size_t len)
{
    const struct idx_bulk *b = ix->bulk;
    return b->names_used ? b->names[name_find(b, name_hash(name, len), name, len)].id : 0;
}

uint32_t idx_bulk_duplicate(const idx_index *ix, uint64_t hash, uint32_t self)
{
    const struct idx_bulk *b = ix->bulk;
    if (!b->content_used)
        return 0;
    const content_slot *s = &b->content[content_find(b, hash)];
    if (!s->used || s->head == 0)
        return 0;
    return s->head != self ? s->head : b->next_same[s->head];
}

static int name_add(struct idx_bulk *b, const char *name, size_t len, uint32_t id)
{
    if ((b->names_used + 1) * 2 > b->names_cap && names_grow(b))
        return SH_ENOMEM;
    void *arena = b->arena;
    if (idx_reserve(&arena, &b->arena_cap, b->arena_len + len, 1 << 16))
        return SH_ENOMEM;
    b->arena = arena;
    uint64_t h = name_hash(name, len);
    name_slot *s = &b->names[name_find(b, h, name, len)];
    memcpy(b->arena + b->arena_len, name, len);
    *s = (name_slot){ h, b->arena_len, (uint32_t)len, id };
    b->arena_len += len;
    b->names_used++;
    return 0;
}

/* Takes id out of hash's list. */
static void content_forget(struct idx_bulk *b, uint64_t hash, uint32_t id)
{
    content_slot *s = &b->content[content_find(b, hash)];
    if (!s->used)
        return;
    uint32_t prev = 0;
    for (uint32_t at = s->head; at; prev = at, at = b->next_same[at]) {
        if (at != id)
            continue;
        if (prev)
            b->next_same[prev] = b->next_same[at];
        else
            s->head = b->next_same[at];
        if (s->tail == id)
            s->tail = prev;
        b->next_same[id] = 0;
        return;
    }
}

/* Puts id into hash's list, in id order (a new id goes last). */
static int content_add(struct idx_bulk *b, uint64_t hash, uint32_t id)
{
    if ((b->content_used + 1) * 2 > b->content_cap && content_grow(b))
        return SH_ENOMEM;
    if (id >= b->next_cap) {
        size_t cap = b->next_cap ? b->next_cap : 1 << 14;
        while (cap <= id)
            cap *= 2;
        uint32_t *p = realloc(b->next_same, cap * sizeof *p);
        if (!p)
            return SH_ENOMEM;
        memset(p + b->next_cap, 0, (cap - b->next_cap) * sizeof *p);
        b->next_same = p;
        b->next_cap = cap;
    }
    content_slot *s = &b->content[content_find(b, hash)];
    if (!s->used) {
        *s = (content_slot){ hash, 0, 0, 1 };
        b->content_used++;
    }
    if (s->head == 0) {
        s->head = s->tail = id;
    } else if (id > s->tail) {
        b->next_same[s->tail] = id;
        s->tail = id;
    } else if (id < s->head) {
        b->next_same[id] = s->head;
        s->head = id;
    } else { /* a replaced document keeps its old id: insert it in order */
        uint32_t at = s->head;
        while (b->next_same[at] && b->next_same[at] < id)
            at = b->next_same[at];
        b->next_same[id] = b->next_same[at];
        b->next_same[at] = id;
    }
    return 0;
}

int idx_bulk_note(idx_index *ix, const char *name, size_t len, uint32_t id, uint64_t hash,
                  int replaced, uint64_t old_hash)
{
    struct idx_bulk *b = ix->bulk;
    int rc = 0;
    if (replaced) {
        if (old_hash != hash) {
            content_forget(b, old_hash, id);
            rc = content_add(b, hash, id);
        }
    } else {
        rc = name_add(b, name, len, id);
        if (!rc)
            rc = content_add(b, hash, id);
    }
    if (rc)
        b->broken = 1;
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
    int rc = idx_commit(ix, err, err_len);
    idx_bulk_free(ix);
    return rc ? rc : idx_bulk_build(ix, err, err_len);
}

