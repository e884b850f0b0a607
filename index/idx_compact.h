/* idx_compact.h — rewriting the derived tables in key order.
 *
 * The lookup tables — mih_j (substring j -> rest and id) and names
 * (name -> id) — get one entry per document added,
 * at a random place in key order, and LMDB splits a full page in the
 * middle, so their pages end up about 55-70% full. idx_compact empties
 * each of them and appends the same entries again in key order
 * (MDB_APPEND), which fills every page: on 1M 64-bit codes the
 * multi-index tables shrink by about a quarter (BENCHMARKS.md has the
 * measured figures). The docs table is written in id order already.
 *
 * Safety: each table is rebuilt in its own write transaction, and a
 * rebuilt table holds exactly the entries it held before, so a crash
 * leaves every table either as it was or rebuilt — never partial.
 * Readers keep their snapshot meanwhile (LMDB's MVCC). The freed pages
 * stay in the file for later writes (the file does not shrink).
 * Needs no pending write batch (commit first); the entries are copied
 * from a read snapshot of the table, so memory does not grow with it.
 */
#ifndef SH_IDX_COMPACT_H
#define SH_IDX_COMPACT_H

#include "idx_store.h"

/* Runs fill(wtxn, rtxn, ctx) with a new write transaction and a read
 * snapshot of the state it starts from (no other writer can commit in
 * between: LMDB has one writer at a time), then commits. When the map
 * is full (fill or the commit returns MDB_MAP_FULL) everything is
 * aborted, the map grown, and fill runs again from the start. fill
 * returns 0, an LMDB code or SH_ENOMEM; what names the job in messages.
 * Returns 0, SH_EFULL (map limit, or MDB_TXN_FULL), SH_ENOMEM, SH_EINDEX
 * (LMDB failure) or errno. Used by idx_compact and idx_bulk. */
typedef int (*idx_rewrite_fn)(MDB_txn *wtxn, MDB_txn *rtxn, void *ctx);
int idx_rewrite(idx_index *ix, const char *what, idx_rewrite_fn fill, void *ctx, char *err,
                size_t err_len);

/* Called after each rebuilt table with its name; nonzero stops (the
 * tables done so far stay rebuilt) and idx_compact returns SH_ECANCEL. */
typedef int (*idx_compact_fn)(const char *table, int done, int total, void *user);

/* Rewrites mih_0..mih_{m-1} and names. fn may be NULL.
 * Errors: SH_EREADONLY; SH_EINVAL (a write batch is pending); SH_EINDEX
 * (LMDB failure: the table being rewritten is left as it was); SH_EFULL;
 * SH_ECANCEL; errno from LMDB. */
int idx_compact(idx_index *ix, idx_compact_fn fn, void *user, char *err, size_t err_len);

#endif
