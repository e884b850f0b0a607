/* text_strtab.h — an interning table: byte strings <-> dense ids.
 *
 * Open addressing with linear probing (load at most 3/4), keyed by
 * XXH3-64 of the bytes; each slot also holds the string's length and 16
 * bits of its hash, so a probe touches a string only when those match.
 * Ids are 0, 1, 2, ... in insertion order. Strings are copied into one
 * arena and kept NUL-terminated (they may also contain NUL bytes; lengths
 * are explicit). Used for vocabularies (term -> id) and label names.
 *
 * Not thread-safe for writers; concurrent text_strtab_find calls on a
 * table nobody modifies are safe.
 */
#ifndef SH_TEXT_STRTAB_H
#define SH_TEXT_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *arena;          /* all strings, each followed by a NUL; owned */
    size_t arena_len, arena_cap;
    uint64_t *offset;     /* per id: start in arena; owned */
    uint32_t *length;     /* per id: byte length; owned */
    uint64_t *hash;       /* per id: XXH3-64 of the bytes; owned */
    size_t count, id_cap;
    uint64_t *slots;      /* tag (length, hash bits) << 32 | (id + 1), or 0 for
                             empty; slot_count entries, owned */
    size_t slot_count;    /* a power of two, at least 4/3 * count */
} text_strtab;

/* Initialises an empty table. Returns 0 or SH_ENOMEM (then *t is safe to
 * free). */
int text_strtab_init(text_strtab *t);

/* Frees everything and zeroes *t. Accepts NULL. */
void text_strtab_free(text_strtab *t);

/* Finds s (len bytes) or adds it. Returns 0 with *id and *added (1 if it
 * was new; added may be NULL), SH_EINVAL if the table already holds
 * 2^32 - 2 strings or len >= 2^32, or SH_ENOMEM (table unchanged). */
int text_strtab_intern(text_strtab *t, const char *s, size_t len, uint32_t *id, int *added);

/* Finds s. Returns 0 with *id, or SH_ENOTFOUND. */
int text_strtab_find(const text_strtab *t, const char *s, size_t len, uint32_t *id);

/* The string with this id (NUL-terminated, owned by the table, valid until
 * the next intern or free) and its length in *len (len may be NULL).
 * id must be < t->count. */
const char *text_strtab_get(const text_strtab *t, uint32_t id, size_t *len);

#endif
