/* idx_bucket.h — the values of the multi-index tables: buckets and their
 * chunks.
 *
 * A mih table (idx_store.h) maps a substring value (key_bytes big-endian
 * bytes) to its bucket: the entries (entry_bytes each) of every document
 * with that substring, concatenated in ascending byte order. A bucket of
 * at most IDX_CHUNK_MAX entries is one LMDB value under the key itself.
 * A bigger one is cut into chunks of at most IDX_CHUNK_MAX entries, each
 * under the key bytes followed by the chunk's first entry, and then no
 * value sits under the key itself: LMDB's key order (bytes, the shorter
 * first) puts a key's chunks, in entry order, right after where the
 * plain key would be and before the next substring's key. So one B-tree
 * search (MDB_SET_RANGE on the key) finds a bucket either way, and a
 * write rewrites one chunk, not a bucket that may hold a whole
 * collection's documents.
 *
 * Readers go through idx_bucket_visit (one bucket) or walk a table with
 * a cursor (every key a whole bucket or a chunk, idx_bucket_key_ok).
 * Writers (one per index) go through idx_bucket_insert and
 * idx_bucket_remove, which rewrite a chunk in the index's scratch
 * buffer. Errors are LMDB codes, MDB_CORRUPTED for a key or value of the
 * wrong size, or SH_ENOMEM.
 */
#ifndef SH_IDX_BUCKET_H
#define SH_IDX_BUCKET_H

#include "idx_store.h"

#define IDX_CHUNK_MAX 1024 /* entries in one value of a mih table */

/* Hands the entries of one value v of a mih table (a bucket or one
 * chunk of it) to fn as one array of count entries of entry_bytes each.
 * Returns fn's return, or MDB_CORRUPTED when v is empty or not a whole
 * number of entries. */
typedef int (*idx_values_fn)(const uint8_t *values, size_t count, void *ctx);
int idx_visit_bucket(const MDB_val *v, size_t entry_bytes, idx_values_fn fn, void *ctx);

/* fn's return that ends idx_bucket_visit early, without an error. */
#define IDX_BUCKET_STOP (-31000)

/* Hands the entries of key's bucket (key_bytes bytes: a substring value)
 * to fn, a chunk at a time in entry order, through cursor c on its mih
 * table. Returns 0 (also for no such bucket, or when fn returned
 * IDX_BUCKET_STOP), fn's other nonzero return, MDB_CORRUPTED, or an LMDB
 * code. */
int idx_bucket_visit(MDB_cursor *c, const uint8_t *key, size_t key_bytes, size_t entry_bytes,
                     idx_values_fn fn, void *ctx);

/* Calls fn on each entry of key's bucket whose first prefix bytes equal
 * want's, in order: they are one run of the sorted bucket (found by
 * binary search), which may go on from one chunk to the next. fn's
 * nonzero return stops the walk (IDX_BUCKET_STOP: without an error).
 * Returns as idx_bucket_visit. */
typedef int (*idx_entry_fn)(const uint8_t *entry, void *ctx);
int idx_bucket_run(MDB_cursor *c, const uint8_t *key, size_t key_bytes, size_t entry_bytes,
                   const uint8_t *want, size_t prefix, idx_entry_fn fn, void *ctx);

/* Appends a whole bucket of n sorted entries under key (key_bytes) with
 * cursor w (MDB_APPEND: the key must follow every key written before):
 * one value, or chunks of IDX_CHUNK_MAX entries when it has more.
 * Returns an LMDB code. */
int idx_bucket_append(MDB_cursor *w, const uint8_t *key, size_t key_bytes,
                      const uint8_t *entries, size_t n, size_t entry_bytes);

/* 1 if k is a key of a mih table with these sizes: key_bytes (a whole
 * bucket) or key_bytes + entry_bytes (a chunk). */
int idx_bucket_key_ok(const MDB_val *k, size_t key_bytes, size_t entry_bytes);

/* The position of the first of bucket's n entries (sorted, entry_bytes
 * each) whose first prefix bytes are not below want's. Cannot fail. */
size_t idx_bucket_lower(const uint8_t *bucket, size_t n, size_t entry_bytes,
                        const uint8_t *want, size_t prefix);

/* Puts entry into the bucket of key (key->mv_size bytes) in dbi, in
 * order (an entry already there: no change), or takes it out
 * (idx_bucket_remove: MDB_NOTFOUND when it is not there; a chunk left
 * empty loses its key). One chunk is rewritten through ix's scratch
 * buffer; a bucket or chunk that would pass IDX_CHUNK_MAX entries is cut
 * in two chunks. Returns 0, an LMDB code, MDB_CORRUPTED for a value that
 * is not a whole number of entries, or SH_ENOMEM. */
int idx_bucket_insert(idx_index *ix, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                      const uint8_t *entry, size_t entry_bytes);
int idx_bucket_remove(idx_index *ix, MDB_txn *txn, MDB_dbi dbi, const MDB_val *key,
                      const uint8_t *entry, size_t entry_bytes);

/* The entries in mih table dbi: the sum of its values' counts (one walk
 * of the table's keys). Returns 0, an LMDB code or MDB_CORRUPTED. */
int idx_bucket_count_all(MDB_txn *txn, MDB_dbi dbi, size_t entry_bytes, uint64_t *count);

#endif
