/* idx_store.h — the LMDB environment behind one semhash index.
 *
 * An index is one LMDB environment (a directory holding data.mdb and
 * lock.mdb) with these named databases:
 *
 *   meta        text key -> value: magic, format version, code bits,
 *               substring count, signature length, counters, config text
 *   model       "model" -> the serialised model blob (opaque here)
 *   mih_0..     substring j of the code (big-endian) -> its bucket: the
 *               entries of every document with that substring, one
 *               table per substring; an entry is the rest of the code
 *               (the code without substring j's bits, big-endian,
 *               left-aligned), in mih_0 then the top 32 bits of the
 *               content hash (the tag), then the doc id; a bucket is its
 *               entries (entry_bytes each) concatenated in ascending
 *               byte order: one LMDB value under the substring's key
 *               bytes, or, once it outgrows IDX_CHUNK_MAX entries, cut
 *               into chunks, each under the key bytes followed by the
 *               chunk's first entry (idx_bucket.h reads and writes them)
 *   docs        doc id -> record (see idx_docs.h)
 *   names       external name -> doc id
 *
 * The multi-index tables are also the hash table: a table's key and an
 * entry's rest together are the whole code, and entries sort by rest then
 * (tag,) id, so every document with code c sits in one contiguous run of
 * mih_0 under key substring_0(c), found with one B-tree search. They are
 * also the exact-duplicate lookup: an exact duplicate has the same
 * content, hence the same code, and the tag puts the documents with the
 * same code and content hash next to each other in that run (the whole
 * hash is then read from the records). Measured on 1M clustered 64-bit
 * codes, m = 4 (BENCHMARKS.md): format 1 kept a codes table (code -> doc
 * id) and the full code in every mih entry, 123 bytes per document for
 * codes + mih as added; format 2 dropped the codes table (78, and 57
 * after idx_compact.h rewrites the tables in key order) but kept a
 * content table (content hash -> doc id, 22 bytes per document and one
 * more B-tree entry per document to write); format 3 folds it into mih_0
 * as the tag (4 bytes per document more there); format 4 keeps a key's
 * entries in one value (a bucket) instead of LMDB duplicates: a key then
 * costs LMDB's 12 bytes of node and index instead of those plus a 16-byte
 * sub-page header and its room for 0-3 more entries, which at 1.5-15
 * documents per key was a third of a table (bulk-loaded 100k clustered
 * codes: 71.9 -> 56.3 bytes per document; 1M: 62.2 -> 51.2). A write
 * rewrites one chunk of the key's bucket, at most IDX_CHUNK_MAX entries
 * (100,000 adds one by one, half of them to one code: 0.37 s, format 3
 * 0.27 s; without chunks 3.15 s, each add copying the whole bucket; with
 * random codes 0.37 vs 0.34 s, and 6.46 vs 6.62 s for 1M).
 *
 * Doc ids are 32-bit, stored as 4 big-endian bytes (so byte order is
 * numeric order), start at 1 and are never reused.
 *
 * This module opens, creates and closes the environment, reads the
 * metadata, hands out read snapshots (idx_reader), translates LMDB error
 * codes, grows the map, and encodes and decodes table entries. It does
 * not keep the buckets (idx_bucket.h), add documents (idx_docs.h) nor
 * search (idx_search.h).
 *
 * Threads and processes
 * - One idx_index handle may be shared by many threads for reading: every
 *   thread takes its own idx_reader (a read transaction; the environment is
 *   opened with MDB_NOTLS, so a reader may be reset and renewed by the
 *   thread that uses it, and a thread may hold several).
 * - Writes (idx_docs.h) go through one thread at a time per handle; other
 *   processes may read concurrently. Only one process writes at a time
 *   (LMDB serialises writers).
 * - LMDB forbids opening the same environment twice in one process, and an
 *   environment must not be used across fork(): open it after forking.
 * - When the map must grow, this module waits for the readers of this
 *   handle to end their current transaction (a process-wide lock taken
 *   around every transaction). Keep read transactions short, and end a
 *   thread's own readers before writing from that thread: otherwise a
 *   growth waits 10 s for them and fails with SH_EFULL.
 */
#ifndef SH_IDX_STORE_H
#define SH_IDX_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "code.h"

#define IDX_FORMAT_VERSION 4
#define IDX_MAGIC "semhash-index"
#define IDX_MAX_SUBSTRINGS 16
#define IDX_ID_BYTES 4
#define IDX_TAG_BYTES 4           /* content-hash tag in mih_0 entries */
#define IDX_MAX_NAME 500          /* bytes; LMDB keys are at most 511 */
#define IDX_MAX_SIG 4096          /* bytes of near-duplicate signature */
#define IDX_DEFAULT_MAP (64u << 20)
#define IDX_DEFAULT_BATCH 1000
#define IDX_DEFAULT_EXPECTED 1000000u

/* Open flags. */
enum {
    IDX_RDONLY = 1, /* no writes; never creates or changes a file */
    IDX_CREATE = 2, /* create a new index; the directory must hold none */
    IDX_NOSYNC = 4  /* no fsync at commit: safe against a process crash,
                       not against an operating-system crash */
};

typedef struct {
    int flags;               /* IDX_RDONLY, IDX_CREATE, IDX_NOSYNC */
    size_t map_size;         /* initial map in bytes, 0 = 64 MiB (grows) */
    int batch_size;          /* adds/removes per write transaction, 0 = 1000 */
    int store_duplicates;    /* 1: exact duplicates are stored and reported;
                                0: they are reported and skipped */
    /* Used by IDX_CREATE only: */
    int code_bits;           /* 8..128, multiple of 8 */
    int substrings;          /* MIH tables m, 0 = idx_choose_substrings() */
    uint64_t expected_docs;  /* for choosing m, 0 = 1,000,000 */
    int sig_bytes;           /* near-duplicate signature length, 0..4096 */
    const char *config_text; /* stored verbatim in meta; may be NULL */
    size_t config_len;
} idx_options;

/* Substring j of a code: bits [start, start+len) of the code, len <= 64,
 * stored in key_bytes big-endian bytes (value right-aligned). mask has
 * exactly those bits set, in code layout. The rest of a code is the code
 * without those bits, shifted together: rest_bits = bits - len bits,
 * written in rest_bytes big-endian bytes; an entry of the substring's
 * table is the rest, tag_bytes of content-hash tag (IDX_TAG_BYTES for
 * substring 0, none for the others) and the doc id: entry_bytes =
 * rest_bytes + tag_bytes + 4. */
typedef struct {
    int start, len, key_bytes;
    sh_code mask;
    int rest_bits, rest_bytes, tag_bytes, entry_bytes;
    sh_code before;       /* code bits [0, start) */
    sh_code after;        /* code bits [start + len, bits) */
    sh_code rest_after;   /* rest bits [start, rest_bits): where `after` goes */
    uint64_t rest_word_mask; /* the rest's bits in its first word, when
                                rest_bytes <= 8 (for reading an entry
                                with one 8-byte load) */
} idx_substring;

struct idx_batch; /* the write batch, private to idx_docs.c */
struct idx_bulk;  /* a bulk load's state, private to idx_bulk.c */

typedef struct idx_index {
    MDB_env *env;
    char *path;
    int rdonly;
    int bits, code_bytes, m, sig_bytes;
    idx_substring sub[IDX_MAX_SUBSTRINGS];
    MDB_dbi db_meta, db_model, db_docs, db_names;
    MDB_dbi db_mih[IDX_MAX_SUBSTRINGS];
    size_t map_size;
    int batch_size, store_duplicates;
    pthread_rwlock_t map_lock; /* read: a transaction is live; write: resizing */
    struct idx_batch *batch;   /* open write batch or NULL */
    struct idx_bulk *bulk;     /* active bulk load (idx_bulk.h) or NULL */
    uint8_t *bucket_buf;       /* the writer's scratch for a rewritten bucket */
    size_t bucket_cap;
} idx_index;

/* A read snapshot with its cursors and scratch space. Use from one thread
 * at a time. Pointers returned through a reader (doc records, model bytes)
 * stay valid until idx_reader_renew or idx_reader_end. */
typedef struct idx_reader {
    idx_index *ix;
    MDB_txn *txn;
    int live;                  /* txn active and map_lock held for reading */
    MDB_cursor *cur_mih[IDX_MAX_SUBSTRINGS];
    uint64_t *scratch;         /* hits as distance << 32 | id */
    size_t scratch_len, scratch_cap;
} idx_reader;

/* m for MIH: ceil(bits / log2(expected_docs)), at least ceil(bits / 64)
 * (substrings fit 64 bits), at most min(16, bits / 8). Cannot fail. */
int idx_choose_substrings(int bits, uint64_t expected_docs);

/* Fills sub[0..m-1]: contiguous substrings covering bits, the first
 * bits % m of them one bit longer. m must be valid for bits. */
void idx_layout_substrings(int bits, int m, idx_substring *sub);

/* The rest of c for substring sub: c without the substring's bits, the
 * later bits moved up by sub->len (rest_bits bits, left-aligned). */
sh_code idx_code_rest(const sh_code *c, const idx_substring *sub);

/* The code whose substring is value and whose rest is rest (the inverse
 * of idx_substring_value and idx_code_rest). */
sh_code idx_code_join(uint64_t value, const sh_code *rest, const idx_substring *sub);

/* Writes the table entry of a document (code c, content hash, id) for
 * sub: rest_bytes bytes of the rest, the tag (the hash's top 32 bits,
 * when sub has one), then id (4 bytes BE); entry_bytes in all. */
void idx_entry_encode(const sh_code *c, uint64_t content_hash, uint32_t id,
                      const idx_substring *sub, uint8_t *out);

/* The rest and the id stored in an entry (the tag is read by
 * comparing encoded entries). */
sh_code idx_entry_rest(const uint8_t *entry, const idx_substring *sub);
uint32_t idx_entry_id(const uint8_t *entry, const idx_substring *sub);

/* Opens (or with IDX_CREATE creates) the index in directory path.
 * On success *out owns the handle (close with idx_close). On failure
 * *out is NULL, nothing needs closing, err holds a message, and:
 *   SH_ENOTFOUND  the directory does not exist
 *   SH_EINDEX     the directory holds no semhash index (no data.mdb, not
 *                 an LMDB file, no semhash meta) or it is damaged
 *   SH_EVERSION   written by another index format version
 *   SH_EINVAL     bad options (bits, substrings, sig_bytes, flags); or
 *                 IDX_CREATE on a directory that already holds an index
 *   SH_ENOMEM, or an errno value (permissions, disk).
 * IDX_CREATE creates the directory if missing (one level). */
int idx_open(const char *path, const idx_options *opts, idx_index **out,
             char *err, size_t err_len);

/* Aborts an uncommitted write batch (call idx_commit first to keep it)
 * and closes the environment. Every reader must be ended before. Accepts
 * NULL. */
void idx_close(idx_index *ix);

/* Starts a read snapshot of the latest committed state. Each reader holds
 * one of LMDB's reader slots until idx_reader_end (1024 per environment,
 * shared by all processes). On failure *out is NULL: SH_ENOMEM, SH_EINDEX
 * (LMDB failure, e.g. reader table full). */
int idx_reader_begin(idx_index *ix, idx_reader **out, char *err, size_t err_len);

/* Moves the reader to the latest committed state (documents committed
 * since become visible). Invalidates pointers obtained through it. On
 * failure the reader is left inactive (only idx_reader_end is valid). */
int idx_reader_renew(idx_reader *rd, char *err, size_t err_len);

/* Ends the snapshot and frees the reader. Accepts NULL. */
void idx_reader_end(idx_reader *rd);

/* Number of documents in the reader's snapshot (the docs table's
 * entries). Cannot fail on a live reader (0 otherwise). */
uint64_t idx_reader_doc_count(const idx_reader *rd);

/* The stored model blob: *data points into the map (valid until renew or
 * end), *len its size. SH_ENOTFOUND if none was stored. */
int idx_model_get(idx_reader *rd, const void **data, size_t *len);

/* The creation config text (may be empty). Same lifetime as above. */
int idx_config_get(idx_reader *rd, const char **text, size_t *len);

/* --- helpers shared by the index modules ------------------------------ */

/* Translates an LMDB or errno code rc into a semhash code and writes
 * "<what>: <mdb_strerror> (index <path>)" into err:
 * MDB_NOTFOUND -> SH_ENOTFOUND, MDB_MAP_FULL -> SH_EFULL, positive errno
 * unchanged, any other LMDB code -> SH_EINDEX. 0 stays 0. */
int idx_lmdb_error(const idx_index *ix, int rc, const char *what, char *err,
                   size_t err_len);

/* Grows the map: new size = max(2 * current, need); waits for this
 * handle's read transactions to end. No transaction of this handle may be
 * live in the calling thread. SH_EFULL when the limit (1 TiB on 64-bit
 * systems) is reached
 * or readers do not finish within 10 s. */
int idx_map_grow(idx_index *ix, char *err, size_t err_len);

/* Begins a transaction (flags 0 or MDB_RDONLY), adopting a map grown by
 * another process when LMDB says MDB_MAP_RESIZED. Returns an LMDB code.
 * Read transactions must be taken under map_lock (see idx_reader). */
int idx_txn_begin(idx_index *ix, unsigned flags, MDB_txn **txn);

/* Makes *buf (realloc'd bytes, *cap of them) hold at least need bytes:
 * the capacity doubles from first (or from *cap) until it does. Returns
 * 0, or SH_ENOMEM with *buf and *cap unchanged. */
int idx_reserve(void **buf, size_t *cap, size_t need, size_t first);

/* Asks the system to back the bytes at p (a large allocation, touched at
 * random: hash tables, arrays being sorted) with huge pages, where it
 * offers them (Linux, transparent huge pages in "madvise" mode); saves a
 * TLB miss on most accesses. Only a hint: cannot fail, a no-op
 * elsewhere. */
void idx_advise_huge(void *p, size_t bytes);

/* Big-endian integer helpers. */
void idx_put_u16(uint8_t *p, uint16_t v);
void idx_put_u32(uint8_t *p, uint32_t v);
void idx_put_u64(uint8_t *p, uint64_t v);
uint16_t idx_get_u16(const uint8_t *p);
uint32_t idx_get_u32(const uint8_t *p);
uint64_t idx_get_u64(const uint8_t *p);

/* Bits [sub->start, +len) of c as an integer (len <= 64). */
uint64_t idx_substring_value(const sh_code *c, const idx_substring *sub);

/* Writes value v as sub->key_bytes big-endian bytes. */
void idx_substring_key(uint64_t v, const idx_substring *sub, uint8_t *out);

/* Reads a u64 counter from meta; missing key -> *v = 0 and 0 returned.
 * Returns an LMDB code for other failures, MDB_INVALID for a wrong size. */
int idx_meta_get_u64(const idx_index *ix, MDB_txn *txn, const char *key, uint64_t *v);

/* Writes a u64 counter into meta. Returns an LMDB code. */
int idx_meta_put_u64(const idx_index *ix, MDB_txn *txn, const char *key, uint64_t v);

#endif
