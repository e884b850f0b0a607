/* idx_bulk.h — loading a new index in bulk (idx_bulk.c: the load;
 * idx_bulk_build.c: building the lookup tables).
 *
 * Added one by one, every document puts an entry at a random place of
 * each lookup table (names, mih_0..mih_{m-1}): LMDB searches each B-tree
 * and copies the page it changes, which costs about 10 µs per document
 * at 1M documents and 16 at 10M (BENCHMARKS.md, "codes given").
 *
 * A bulk load writes nothing while documents arrive: it keeps in memory
 * what adding needs to answer (which names exist, for upserts; which
 * content hashes and codes, for exact duplicates), each document's
 * name, code and content hash, and the new records (a buffer, written
 * to the docs table in id order, appended, whenever it holds
 * IDX_BULK_BUFFER bytes). idx_bulk_finish then writes the last records
 * and builds every lookup table from that memory: it sorts each table's
 * entries and appends them in key order, which also leaves the pages
 * full, as idx_compact would. (Recovering an interrupted load reads the
 * committed docs table into the same memory and builds from there.)
 * Measured on 1M given 64-bit codes: about 1M documents per second,
 * 0.25 s of adds and 0.6 s of building, most of it LMDB appending 5
 * tables of 1M entries at 80-100 ns each (BENCHMARKS.md).
 *
 * Each idx_add gives the same result (action, id, dup_of) as without a
 * bulk load, and the finished tables hold the same entries.
 *
 * Crash safety: the records of new documents wait in memory (up to
 * IDX_BULK_BUFFER bytes) and are then committed in one transaction; a
 * replacement is committed batch by batch as usual; a crash loses what
 * was not committed. Meta key "bulk" marks the index incomplete from
 * idx_bulk_begin until every table is built. A read-only open of a
 * marked index fails with
 * SH_EINDEX (the message says how to finish it); a read-write open
 * builds the tables from the committed docs before it returns.
 *
 * Restrictions: only on an index without documents; the handle must be
 * the index's only writer until the load finishes; no idx_remove and no
 * searching meanwhile (the lookup tables are empty until the end).
 * Memory: about 60-110 bytes per document plus the names while loading
 * (42 in per-id arrays with up to twice the room they need, 16-32 in each
 * of two hash tables of 8-byte slots kept at most half full), the record
 * buffer (at most IDX_BULK_BUFFER bytes), and at the end up to two mih
 * tables' entries at a time (2 x 16..48 bytes per document and table)
 * and the sorted references to the names (24 bytes per document).
 */
#ifndef SH_IDX_BULK_H
#define SH_IDX_BULK_H

#include "idx_docs.h"
#include "idx_store.h"

/* Starts a bulk load: commits the mark and sets up the in-memory lookups.
 * Errors: SH_EREADONLY; SH_EINVAL (the index holds documents, a write
 * batch is pending, or a bulk load is active already); SH_ENOMEM;
 * SH_EINDEX or errno from LMDB. */
int idx_bulk_begin(idx_index *ix, char *err, size_t err_len);

/* 1 while a bulk load is active on this handle. */
int idx_bulk_active(const idx_index *ix);

/* Writes the buffered records and commits the pending batch, builds the
 * lookup tables, clears the mark and ends the load (also when building
 * fails: the mark then stays, and the next read-write open builds the
 * tables from what was committed). No-op without a load. Errors:
 * idx_commit's, idx_rewrite's (idx_compact.h). */
int idx_bulk_finish(idx_index *ix, char *err, size_t err_len);

/* Builds names and mih_0.. (each emptied first, one write transaction
 * per table) and clears the mark: from the load's memory while a load is
 * active and not broken (idx_bulk_finish's second half; it commits the
 * load's pending records first), otherwise from the docs table (what
 * idx_open runs on a marked index; no write batch may be pending then).
 * Errors as idx_commit's and idx_rewrite's. */
int idx_bulk_build(idx_index *ix, char *err, size_t err_len);

/* Frees the in-memory state (idx_close calls it). Accepts NULL. */
void idx_bulk_free(idx_index *ix);

/* --- for idx_docs.c ----------------------------------------------------- */

/* The id of the document called name in this load, or 0. */
uint32_t idx_bulk_name_id(const idx_index *ix, const char *name, size_t len);

/* Fetches into the cache the slots that idx_bulk_name_id and
 * idx_bulk_duplicate will read for a document called name with content
 * hash hash (each lookup lands at random in tables larger than the
 * cache). Only a hint: changes nothing. */
void idx_bulk_prefetch(const idx_index *ix, const char *name, size_t len, uint64_t hash);

/* The first id other than self of a document with content hash hash and
 * code code, or 0. */
uint32_t idx_bulk_duplicate(const idx_index *ix, uint64_t hash, const sh_code *code,
                            uint32_t self);

/* Records that document id is called name and has code code and content
 * hash hash; replaced != 0 when it existed before with content hash
 * old_hash. SH_ENOMEM (the load is then broken, see idx_bulk_fail). */
int idx_bulk_note(idx_index *ix, const char *name, size_t len, uint32_t id, const sh_code *code,
                  uint64_t hash, int replaced, uint64_t old_hash);

/* Marks the load broken after a failed write: the in-memory lookups may
 * hold documents that were never committed, so further adds fail with
 * SH_EINVAL; idx_bulk_finish still builds the tables from what was
 * committed. */
void idx_bulk_fail(idx_index *ix);

/* 1 if the load is broken. */
int idx_bulk_broken(const idx_index *ix);

/* The records of new documents wait in a buffer of the load and go to
 * the docs table (in id order, appended) when it holds IDX_BULK_BUFFER
 * bytes, at idx_commit, and at idx_bulk_finish (while the first lookup
 * table is prepared). A replacement of a buffered document writes the
 * buffer first. */
#define IDX_BULK_BUFFER ((size_t)64 << 20)

/* The id the next new document of the load gets. */
uint64_t idx_bulk_next_id(const idx_index *ix);

/* Appends new document id's record (len bytes) to the buffer and makes
 * id + 1 the next id. SH_ENOMEM (the load is then broken). */
int idx_bulk_buffer_add(idx_index *ix, uint32_t id, const uint8_t *rec, size_t len);

/* 1 if document id's record is in the buffer. */
int idx_bulk_buffered(const idx_index *ix, uint32_t id);

/* Records in the buffer (0 without a load) and their bytes. */
size_t idx_bulk_buffer_count(const idx_index *ix);
size_t idx_bulk_buffer_bytes(const idx_index *ix);

/* The buffer: [u32 id][u32 length][record] each, in id order (big-endian
 * integers); valid until the next call that changes it. */
void idx_bulk_buffer_view(const idx_index *ix, const uint8_t **data, size_t *len);

/* Empties the buffer (after its records were written). */
void idx_bulk_buffer_clear(idx_index *ix);

/* --- for idx_bulk_build.c ------------------------------------------------- */

/* Calls fn for every document of the active load in id order, as
 * idx_docs_foreach would for the committed docs (id, code, content hash
 * and name set; no labels, no signature). A nonzero return from fn stops
 * the walk and is returned. */
int idx_bulk_foreach(const idx_index *ix, int (*fn)(const idx_doc *doc, void *ctx), void *ctx);

/* Number of documents in the active load. */
uint64_t idx_bulk_doc_count(const idx_index *ix);

/* Replaces the handle's load memory (freeing any) by the committed docs
 * table's documents (id, name, code, content hash; not the lookups used
 * while adding), so that idx_bulk_foreach walks them: the tables of an
 * interrupted or broken load are built from it. The caller frees it with
 * idx_bulk_free. Errors: SH_ENOMEM, SH_EINDEX (a damaged record), or a
 * reader's errors. */
int idx_bulk_read_docs(idx_index *ix, char *err, size_t err_len);

#endif
