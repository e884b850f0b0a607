/* idx_docs.h — adding, replacing and removing documents; reading records.
 *
 * Writes are batched: idx_add / idx_remove open a write transaction on
 * first use and commit it by themselves every batch_size operations;
 * idx_commit commits what is pending. A crash loses at most the batch in
 * flight (during a bulk load also the records waiting in its buffer,
 * idx_bulk.h); what was committed stays consistent (every table is
 * updated in the same transaction).
 *
 * When LMDB reports the map full (at a put or at commit), the batch's
 * transaction is aborted, the map doubled (idx_map_grow) and the batch
 * replayed from an in-memory log of its operations, so callers never see
 * MDB_MAP_FULL; results handed out earlier stay true because replay starts
 * from the same committed state.
 *
 * Any other failure during a write discards the whole uncommitted batch
 * (the caller learns it from the error code; earlier commits are kept).
 *
 * Doc record (the docs table's value), all integers big-endian:
 *   u8 version (1), u8 flags (0), u16 name_len, u16 labels_len,
 *   u16 sig_len, u64 content hash, u64 length, code (bits/8 bytes),
 *   name, NUL, labels, NUL, signature (sig_len bytes).
 * This module does not search (idx_search.h).
 */
#ifndef SH_IDX_DOCS_H
#define SH_IDX_DOCS_H

#include "idx_store.h"

/* A document as given to idx_add and as read back. Strings read back are
 * NUL-terminated and point into the map: valid until the reader is
 * renewed or ended. */
typedef struct {
    uint32_t id;             /* ignored by idx_add */
    sh_code code;            /* unused bits must be zero */
    uint64_t content_hash;   /* xxh64 of the normalised content */
    uint64_t length;         /* caller-defined length (tokens, bytes) */
    const char *name;        /* 1..IDX_MAX_NAME bytes, no NUL inside */
    size_t name_len;
    const char *labels;      /* any bytes without NUL, may be NULL */
    size_t labels_len;       /* <= 65535 */
    const uint8_t *sig;      /* exactly sig_bytes (from idx_open), or NULL if 0 */
    size_t sig_len;
} idx_doc;

enum {
    IDX_ADDED = 1,             /* a new name: new doc id */
    IDX_REPLACED = 2,          /* the name existed: same id, new record */
    IDX_UNCHANGED = 3,         /* the name existed with an identical record */
    IDX_SKIPPED_DUPLICATE = 4  /* same content as dup_of; store_duplicates is 0,
                                  nothing changed */
};

typedef struct {
    int action;       /* IDX_ADDED ... */
    uint32_t id;      /* the doc's id (0 when skipped) */
    uint32_t dup_of;  /* another doc with the same content hash and code, or 0 */
} idx_add_result;

/* Adds or replaces (upsert by name) one document. Exact duplicates (the
 * same content hash and code as another doc: the same content encoded by
 * the same model; the one with the lowest id is reported) are reported
 * in res->dup_of and stored or skipped according to store_duplicates.
 * res may be NULL.
 * Errors: SH_EREADONLY; SH_EINVAL (empty or long name, labels too long,
 * wrong signature length, bits beyond the code width); SH_EFULL (doc ids
 * or the map exhausted); SH_ENOMEM; SH_EINDEX or errno from LMDB (the
 * uncommitted batch is then discarded). */
int idx_add(idx_index *ix, const idx_doc *doc, idx_add_result *res, char *err, size_t err_len);

/* Adds docs[0..n-1] as n calls of idx_add would, in order; res (may be
 * NULL) gets n results. During a bulk load (idx_bulk.h) the in-memory
 * lookups of a document a few places ahead are fetched into the cache
 * while the current one is added (1M documents: the adds about 20%
 * faster). Stops at the first failure, with idx_add's error; *done (may
 * be NULL) gets the number of documents handled before it. */
int idx_add_batch(idx_index *ix, const idx_doc *docs, size_t n, idx_add_result *res,
                  size_t *done, char *err, size_t err_len);

/* Removes the document called name (len bytes). *id (may be NULL) gets its
 * id. SH_ENOTFOUND if no such name (nothing changes); otherwise as idx_add. */
int idx_remove(idx_index *ix, const char *name, size_t len, uint32_t *id, char *err,
               size_t err_len);

/* Stores the model blob (replacing any) in the current batch and commits.
 * Errors as idx_commit. */
int idx_model_put(idx_index *ix, const void *blob, size_t len, char *err, size_t err_len);

/* Commits the pending batch (no-op without one), during a bulk load
 * after writing the records waiting in its buffer. On failure the batch
 * is discarded (and a bulk load broken): SH_EFULL, SH_EINDEX or errno. */
int idx_commit(idx_index *ix, char *err, size_t err_len);

/* Drops the pending batch, if any. Accepts NULL and a handle without one. */
void idx_batch_discard(idx_index *ix);

/* Number of operations in the pending batch, plus the records waiting in
 * a bulk load's buffer (0 if none). */
int idx_batch_pending(const idx_index *ix);

/* Reads doc id. SH_ENOTFOUND, or SH_EINDEX for a damaged record. */
int idx_doc_get(idx_reader *rd, uint32_t id, idx_doc *doc);

/* Reads the doc called name. SH_ENOTFOUND, SH_EINDEX. */
int idx_doc_find(idx_reader *rd, const char *name, size_t len, idx_doc *doc);

/* Calls fn for every doc in id order; a nonzero return from fn stops the
 * walk and is returned. SH_EINDEX for a damaged record. */
int idx_docs_foreach(idx_reader *rd, int (*fn)(const idx_doc *doc, void *ctx), void *ctx);

/* Decodes a docs-table value (bytes, len) of index ix into doc (pointers
 * into bytes). SH_EINDEX if it is malformed. */
int idx_doc_decode(const idx_index *ix, const void *bytes, size_t len, idx_doc *doc);

#endif
