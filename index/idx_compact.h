/* idx_compact.h — rewriting the derived tables in key order.
 *
 * Every table but docs and meta is derived from the doc records: mih_j
 * (substring j -> rest and id), names (name -> id) and content (content
 * hash -> id). Documents added one at a time land in those B-trees in
 * random key order, and LMDB splits a full page in the middle, so pages
 * end up about 55-70% full. idx_compact empties each derived table and
 * writes it again from the doc records in sorted order with MDB_APPEND,
 * which fills every page: on 1M 64-bit codes the multi-index tables
 * shrink by about a third (BENCHMARKS.md has the measured figures).
 *
 * Safety: each table is rebuilt in its own write transaction, and a
 * rebuilt table holds exactly the entries it held before, so a crash
 * leaves every table either as it was or rebuilt — never partial.
 * Readers keep their snapshot meanwhile (LMDB's MVCC). The freed pages
 * stay in the file for later writes (the file does not shrink).
 * Needs no pending write batch (commit first) and memory for one table's
 * entries (about 20 bytes per document for a mih table).
 */
#ifndef SH_IDX_COMPACT_H
#define SH_IDX_COMPACT_H

#include "idx_store.h"

/* Called after each rebuilt table with its name; nonzero stops (the
 * tables done so far stay rebuilt) and idx_compact returns SH_ECANCEL. */
typedef int (*idx_compact_fn)(const char *table, int done, int total, void *user);

/* Rebuilds mih_0..mih_{m-1}, names and content from the doc records.
 * fn may be NULL. Errors: SH_EREADONLY; SH_EINVAL (a write batch is
 * pending); SH_ENOMEM; SH_EINDEX (a damaged record: nothing is changed
 * in the table being rebuilt); SH_EFULL; SH_ECANCEL; errno from LMDB. */
int idx_compact(idx_index *ix, idx_compact_fn fn, void *user, char *err, size_t err_len);

#endif
