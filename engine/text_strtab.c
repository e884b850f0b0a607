/* text_strtab.c — interning hash table over an arena of strings. */
#include "text_strtab.h"
#include "sh_error.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int text_strtab_init(text_strtab *t)
{
    memset(t, 0, sizeof(*t));
    t->slot_count = 64;
    t->slots = calloc(t->slot_count, sizeof(uint64_t));
    return t->slots ? 0 : SH_ENOMEM;
}

void text_strtab_free(text_strtab *t)
{
    if (t == NULL)
        return;
    free(t->arena);
    free(t->offset);
    free(t->length);
    free(t->hash);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* A slot holds id + 1 in its low 32 bits and a tag in its high 32: the
 * string's length (up to 65535; longer ones all tag 65535) and the top 16
 * bits of its hash. A probe reads a string's bytes only on a tag match,
 * and never the per-id arrays otherwise: one cache line per lookup that
 * misses, three (slot, offset, bytes) per one that hits. */
static uint64_t slot_tag(size_t len, uint64_t h)
{
    uint64_t l = len < 0xffff ? len : 0xffff;
    return l << 16 | h >> 48;
}

static uint64_t slot_value(uint32_t id, size_t len, uint64_t h)
{
    return slot_tag(len, h) << 32 | ((uint64_t)id + 1);
}

static uint32_t slot_id(uint64_t e)
{
    return (uint32_t)(e & 0xffffffffu) - 1;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t probe(const text_strtab *t, const char *s, size_t len, uint64_t h)
{
    size_t mask = t->slot_count - 1;
    size_t i = (size_t)h & mask;
    uint64_t tag = slot_tag(len, h);
    for (;;) {
        uint64_t e = t->slots[i];
        if (e == 0)
            return i;
        if (e >> 32 == tag) {
            uint32_t id = slot_id(e);
            if ((len < 0xffff || t->length[id] == len) &&
                memcmp(t->arena + t->offset[id], s, len) == 0)
                return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow_slots(text_strtab *t)
{
    size_t n = t->slot_count * 2;
    uint64_t *slots = calloc(n, sizeof(uint64_t));
    if (slots == NULL)
        return SH_ENOMEM;
    for (size_t id = 0; id < t->count; id++) {
        size_t i = (size_t)t->hash[id] & (n - 1);
        while (slots[i] != 0)
            i = (i + 1) & (n - 1);
        slots[i] = slot_value((uint32_t)id, t->length[id], t->hash[id]);
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = n;
    return 0;
}

static int grow_ids(text_strtab *t)
{
    size_t n = t->id_cap ? t->id_cap * 2 : 64;
    uint64_t *offset = realloc(t->offset, n * sizeof(uint64_t));
    if (offset == NULL)
        return SH_ENOMEM;
    t->offset = offset;
    uint32_t *length = realloc(t->length, n * sizeof(uint32_t));
    if (length == NULL)
        return SH_ENOMEM;
    t->length = length;
    uint64_t *hash = realloc(t->hash, n * sizeof(uint64_t));
    if (hash == NULL)
        return SH_ENOMEM;
    t->hash = hash;
    t->id_cap = n;
    return 0;
}

int text_strtab_intern(text_strtab *t, const char *s, size_t len, uint32_t *id, int *added)
{
    uint64_t h = XXH3_64bits(s, len);
    size_t slot = probe(t, s, len, h);
    if (t->slots[slot] != 0) {
        *id = slot_id(t->slots[slot]);
        if (added)
            *added = 0;
        return 0;
    }
    if (t->count >= UINT32_MAX - 1 || len >= UINT32_MAX)
        return SH_EINVAL;
    int rc;
    if (t->count == t->id_cap && (rc = grow_ids(t)) != 0)
        return rc;
    if (t->arena_len + len + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_len + len + 1)
            cap *= 2;
        char *arena = realloc(t->arena, cap);
        if (arena == NULL)
            return SH_ENOMEM;
        t->arena = arena;
        t->arena_cap = cap;
    }
    if (4 * (t->count + 1) > 3 * t->slot_count) { /* load at most 3/4 */
        if ((rc = grow_slots(t)) != 0)
            return rc;
        slot = probe(t, s, len, h);
    }
    uint32_t new_id = (uint32_t)t->count;
    if (len > 0)
        memcpy(t->arena + t->arena_len, s, len);
    t->arena[t->arena_len + len] = '\0';
    t->offset[new_id] = t->arena_len;
    t->length[new_id] = (uint32_t)len;
    t->hash[new_id] = h;
    t->arena_len += len + 1;
    t->slots[slot] = slot_value(new_id, len, h);
    t->count++;
    *id = new_id;
    if (added)
        *added = 1;
    return 0;
}

int text_strtab_find(const text_strtab *t, const char *s, size_t len, uint32_t *id)
{
    uint64_t h = XXH3_64bits(s, len);
    size_t slot = probe(t, s, len, h);
    if (t->slots[slot] == 0)
        return SH_ENOTFOUND;
    *id = slot_id(t->slots[slot]);
    return 0;
}

const char *text_strtab_get(const text_strtab *t, uint32_t id, size_t *len)
{
    if (len)
        *len = t->length[id];
    return t->arena + t->offset[id];
}
