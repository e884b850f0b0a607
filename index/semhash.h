/* semhash.h — libsemhash, the semantic-hashing search library.
 *
 * This header is the library's only public interface and its manual.
 * Link with `pkg-config --cflags --libs semhash` (or --static).
 *
 * OVERVIEW
 *
 * An index is a directory holding one LMDB environment. It stores a
 * trained document hasher (a model file written by `semhash train`: text
 * pipeline, vocabulary and encoder) and, per document, its binary code
 * (8..128 bits), name, labels, length, a short snippet of its text and a
 * near-duplicate signature. Every add and every text query is encoded by
 * the stored model, so a query is always encoded exactly as the documents
 * were. A query returns the documents whose code is within Hamming
 * distance r of the query's (radius mode), or the k nearest (top-k mode).
 *
 * Near-duplicates: a semantic code puts documents about the same topic
 * near each other, not only copies. With near_dup set, each candidate the
 * code finds is verified by its signature (MinHash of word pairs,
 * estimating the Jaccard similarity of the two texts) against a
 * threshold: the code finds candidates, the signature decides.
 *
 *     sh_index *ix;
 *     char err[256];
 *     if (sh_index_open("mail.idx", NULL, &ix, err, sizeof err) != 0) {
 *         fprintf(stderr, "%s\n", err);      // nothing to close
 *         return 1;
 *     }
 *     sh_query_options q = { .radius = 3 };
 *     sh_hit hits[100];
 *     size_t n;
 *     int rc = sh_query_text(ix, text, strlen(text), &q, hits, 100, &n, NULL,
 *                            err, sizeof err);
 *     ... hits[0..n-1]: sh_doc_get(ix, hits[i].id, ...) for names ...
 *     sh_index_close(ix);
 *
 * CAVEATS
 *
 * - Threads: one handle may be used by many threads at once for every
 *   read (sh_encode, sh_query_*, sh_doc_*, sh_stats, sh_dups). Each call
 *   takes a read snapshot of the latest committed state from a pool of
 *   LMDB read transactions, and an encoder (a copy of the hasher with its
 *   scratch space) from a pool of at most sh_open_options.encoders; a
 *   thread that finds every encoder busy waits for one. Writes (sh_add,
 *   sh_add_batch, sh_remove, sh_sync) on a read-write handle are
 *   serialised by a mutex; sh_add_batch starts (and joins) threads of its
 *   own to encode.
 * - Processes: one process writes at a time (LMDB serialises writers;
 *   a second writer waits). Readers in other processes see documents once
 *   the writer has committed them (at every batch_size operations and at
 *   sh_sync), from their next call on.
 * - LMDB forbids opening the same index twice in one process: share the
 *   handle between threads instead. Do not use a handle across fork().
 * - Results are snapshots: a hit's doc id may be gone by the time
 *   sh_doc_get reads it (SH_ENOTFOUND), if a writer removed it meanwhile.
 * - Durability: writes are batched; a crash loses at most the batch not
 *   yet committed (during a bulk load, the buffered records: see
 *   bulk_load). sh_index_close does NOT commit: call sh_sync first.
 * - Nothing returned points into library memory except where stated; the
 *   library never prints and never exits.
 *
 * ERRORS
 *
 * Every int function returns 0 on success, a negative SH_E... code for
 * the library's own errors, or a positive errno value (a failed open,
 * read or write, e.g. EACCES, EROFS, ENOSPC). sh_strerror gives a message
 * starting with the code's name. Functions that take (err, err_len)
 * also write a one-line message naming the index, the document or the
 * value (err may be NULL, err_len 0). LMDB's own codes never reach the
 * caller.
 */
#ifndef SEMHASH_H
#define SEMHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ---------------------------------------------------------------
 * The same macros as the source tree's engine/version.h (one guard, so
 * both may be included). */
#ifndef SH_VERSION_H
#define SH_VERSION_H
#define SH_VERSION_MAJOR 0
#define SH_VERSION_MINOR 1
#define SH_VERSION_PATCH 0
#define SH_VERSION_STRING "0.1.0"

/* The library's version at run time, e.g. "0.1.0". Static; cannot fail. */
const char *sh_version(void);
#endif

/* ---- error codes -----------------------------------------------------------
 * A copy of engine/sh_error.h's codes, under the same include guard, so
 * a program may include either header or both (in any order) and the
 * values can never differ: tests/test_library_api.c compares them. Never
 * renumbered; new codes are only added at the end. */
#ifndef SH_ERROR_H
#define SH_ERROR_H
enum {
    SH_OK        = 0,
    SH_EINVAL    = -1,  /* an argument or a value out of range */
    SH_ENOMEM    = -2,  /* allocation failed */
    SH_EFORMAT   = -3,  /* not a semhash file / malformed content */
    SH_EVERSION  = -4,  /* written by another format version */
    SH_ECHECKSUM = -5,  /* checksum mismatch: the file was changed or damaged */
    SH_ETRUNC    = -6,  /* file or record shorter than its header says */
    SH_ECONFIG   = -7,  /* configuration error */
    SH_EINPUT    = -8,  /* unusable input data: binary document, malformed line */
    SH_EEMPTY    = -9,  /* nothing to work on: empty query, query of stop words only */
    SH_EMODEL    = -10, /* model does not fit: wrong kind, width, another model */
    SH_ENOTFOUND = -11, /* no such name, document or directory */
    SH_EINDEX    = -12, /* index damaged or not a semhash index */
    SH_ECANCEL   = -13, /* a callback asked to stop */
    SH_EFULL     = -14, /* storage full and could not grow */
    SH_EREADONLY = -15  /* a write on a read-only handle */
};

/* A message for any code the library returns, starting with the code's
 * name ("SH_EVERSION: ..."); for positive codes strerror's text. Static;
 * never free it. Cannot fail. */
const char *sh_strerror(int code);

/* Formats a one-line message into err (if err is non-NULL and err_len >
 * 0), NUL-terminated, truncated if needed; returns code unchanged. The
 * library's own message helper, exported for frontends that want the
 * same convention. */
int sh_fail(char *err, size_t err_len, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
#endif

/* ---- limits ----------------------------------------------------------------- */

#define SH_MAX_BITS 128          /* code widths are 8..128 bits, multiples of 8 */
#define SH_CODE_BYTES 16         /* room for the widest code, in bytes */
#define SH_MAX_NAME 500          /* bytes of a document name */
#define SH_MAX_LABELS 60000      /* bytes of a document's labels */
#define SH_SNIPPET_BYTES 160     /* bytes of text kept per document for display */
#define SH_DEFAULT_SIMILARITY 0.4 /* near-duplicate threshold when 0 is given:
                                     on SpamAssassin copies with 10% of words
                                     edited it keeps 96% of the true pairs */

/* ---- opening and closing ------------------------------------------------------ */

typedef struct sh_index sh_index;

enum {
    SH_OPEN_RDONLY = 1, /* read-only: never creates or changes a file */
    SH_OPEN_NOSYNC = 2  /* no fsync at each commit, only at sh_sync: a process
                           crash loses nothing committed, an operating-system
                           crash may lose what sh_sync has not flushed */
};

/* Options for sh_index_open and sh_index_create. A zeroed struct (or a
 * NULL pointer) means: read-write, every default below. */
typedef struct {
    int flags;             /* SH_OPEN_RDONLY | SH_OPEN_NOSYNC */
    size_t map_size;       /* initial LMDB map in bytes, 0 = 64 MiB; grows by itself */
    int batch_size;        /* adds/removes per write transaction, 0 = 1000 */
    int skip_duplicates;   /* 1: an exact duplicate of a stored text is
                              reported and not stored; 0: stored and reported */
    int encoders;          /* most encoders (hasher copies, each the size of
                              the model's network) used at once; 0 = the
                              number of online CPUs, at most 8 */
} sh_open_options;

/* Options for sh_index_create. A zeroed struct means defaults, but one
 * of model_path or model_data is required. */
typedef struct {
    sh_open_options open;
    const char *model_path;  /* a model file written by `semhash train`, or NULL */
    const void *model_data;  /* or the bytes of one (copied), model_len bytes */
    size_t model_len;
    int mih_substrings;      /* tables for multi-index hashing, 0 = chosen
                                from the code width and expected_docs */
    uint64_t expected_docs;  /* for that choice, 0 = 1,000,000 */
    const char *summary;     /* free text kept with the index and shown by
                                sh_stats (e.g. the training summary), or NULL */
    int bulk_load;           /* 1: load the new index in bulk until the first
                                sh_sync (or sh_compact, sh_remove): adds keep
                                the document records in a buffer (written
                                whenever it holds 64 MiB), and sh_sync writes
                                the rest and builds the lookup tables in one
                                sorted pass — many times faster for large
                                collections (BENCHMARKS.md).
                                Until then the handle answers no query
                                (SH_EINVAL), and other processes cannot open
                                the index read-only (SH_EINDEX); if the handle
                                is closed or the process dies first, the
                                buffered records are lost and the next
                                read-write open builds the tables from the
                                written documents. */
} sh_create_options;

/* Creates a new index in directory path (created if missing, one level;
 * it must not hold an index already) with the given model, and opens it
 * read-write. On success *out owns the handle (sh_index_close). On
 * failure *out is NULL, nothing needs closing, a partly created index
 * directory may remain (delete it), and:
 *   SH_EINVAL    no model given, bad options, or path already holds an index
 *   SH_EMODEL    the model is not a document hasher (another kind of model)
 *   SH_EFORMAT, SH_EVERSION, SH_ECHECKSUM, SH_ETRUNC  the model is damaged
 *                or of another format version
 *   SH_ENOMEM, or errno (the model file cannot be read, EACCES, EROFS...). */
int sh_index_create(const char *path, const sh_create_options *opts, sh_index **out,
                    char *err, size_t err_len);

/* Opens an existing index (opts may be NULL) and loads its model. On
 * success *out owns the handle; on failure *out is NULL, nothing needs
 * closing, nothing on disk changed, and:
 *   SH_ENOTFOUND  the directory does not exist
 *   SH_EINDEX     the directory holds no semhash index (empty directory,
 *                 another LMDB database, damaged files)
 *   SH_EVERSION   the index or its model was written by another format version
 *   SH_EMODEL     the stored model is missing, damaged or does not fit
 *   SH_EINVAL     bad options
 *   SH_ENOMEM, or errno (EACCES; EROFS when opening read-write on a
 *   read-only filesystem: open with SH_OPEN_RDONLY). */
int sh_index_open(const char *path, const sh_open_options *opts, sh_index **out,
                  char *err, size_t err_len);

/* Discards writes not yet committed (see sh_sync), frees everything and
 * closes the index. No call on the handle may be running. Accepts NULL. */
void sh_index_close(sh_index *ix);

/* Code width in bits (8..128). Cannot fail. */
int sh_index_bits(const sh_index *ix);

/* 1 if the handle is read-only. Cannot fail. */
int sh_index_rdonly(const sh_index *ix);

/* Checks that the model file at model_path is the model stored in the
 * index (byte for byte). Returns 0 if so; SH_EMODEL if it is another
 * model (the message says to leave out the model or use another index);
 * errno if the file cannot be read. */
int sh_index_model_matches(sh_index *ix, const char *model_path, char *err, size_t err_len);

/* ---- encoding ---------------------------------------------------------------- */

/* What encoding a text found. */
typedef struct {
    uint64_t tokens;          /* tokens after the tokenizer's filters (stop
                                 words, short tokens, numbers dropped) */
    uint64_t content_hash;    /* xxh64 chain of those tokens: equal for texts
                                 that differ only in case, spacing, markup */
} sh_encode_info;

/* Encodes len bytes of text (UTF-8; need not be NUL-terminated) with the
 * index's model into code: sh_index_bits(ix) / 8 big-endian bytes (bit 0
 * of the code is the most significant bit of code[0]); the rest of
 * code[SH_CODE_BYTES] is zeroed. info may be NULL. A text with no token
 * left (empty, or only stop words) still has a code, the code of an empty
 * document, and info->tokens is then 0: it is returned, not refused.
 * Errors: SH_EINPUT (a NUL byte: binary document), SH_ENOMEM. */
int sh_encode(sh_index *ix, const char *text, size_t len, uint8_t code[SH_CODE_BYTES],
              sh_encode_info *info, char *err, size_t err_len);

/* ---- adding and removing ------------------------------------------------------ */

/* A document to add. The library copies what it keeps. */
typedef struct {
    const char *name;        /* unique id, 1..SH_MAX_NAME bytes, no NUL */
    size_t name_len;         /* 0 = strlen(name) */
    const char *text;        /* UTF-8 text, text_len bytes */
    size_t text_len;
    const char *labels;      /* free text (e.g. "spam,easy"), no NUL; may be NULL */
    size_t labels_len;       /* 0 = strlen(labels) when labels is not NULL */
} sh_doc;

enum {
    SH_ADDED = 1,             /* a new name: a new doc id */
    SH_REPLACED = 2,          /* the name existed: same id, new content */
    SH_UNCHANGED = 3,         /* the name existed with identical content */
    SH_SKIPPED_DUPLICATE = 4  /* skip_duplicates and an exact duplicate: not stored */
};

typedef struct {
    int action;               /* SH_ADDED ... */
    uint32_t id;              /* the document's id (0 when skipped) */
    uint32_t dup_of;          /* another document with the same content, or 0 */
    uint64_t tokens;          /* as sh_encode_info */
} sh_add_result;

/* Adds a document, or replaces the one with the same name (upsert).
 * Exact duplicates (same content_hash as a stored document) are reported
 * in res->dup_of (res may be NULL). The write joins the current batch,
 * committed every batch_size operations and by sh_sync.
 * Errors: SH_EREADONLY; SH_EINVAL (empty or long name, long labels);
 * SH_EINPUT (binary text; nothing changes); SH_EFULL (disk or doc ids
 * exhausted); SH_ENOMEM; SH_EINDEX or errno from storage (ENOSPC, EROFS):
 * then the whole uncommitted batch is discarded, earlier commits kept. */
int sh_add(sh_index *ix, const sh_doc *doc, sh_add_result *res, char *err, size_t err_len);

/* Adds n documents as n calls of sh_add would, in order, but encodes
 * them together: split among up to sh_open_options.encoders threads,
 * each encoding its share in one batch (several times faster than one
 * sh_add per document for the autoencoder). res (may be NULL) holds n
 * results. *done gets the number of documents added: all n on success;
 * on failure the documents before *done are added (in the current write
 * batch), document *done was refused (its name in the message) and the
 * rest were not tried. Errors as sh_add's. */
int sh_add_batch(sh_index *ix, const sh_doc *docs, size_t n, sh_add_result *res, size_t *done,
                 char *err, size_t err_len);

/* Removes the document called name (name_len bytes, 0 = strlen). *id
 * (may be NULL) gets its id. SH_ENOTFOUND if there is none (nothing
 * changes); otherwise as sh_add. */
int sh_remove(sh_index *ix, const char *name, size_t name_len, uint32_t *id, char *err,
              size_t err_len);

/* Commits the pending batch (no-op without one), after which readers in
 * every process see it; on a SH_OPEN_NOSYNC handle it also flushes every
 * commit so far to disk. On failure the batch is discarded: SH_EFULL,
 * SH_EINDEX or errno (ENOSPC, EIO). */
int sh_sync(sh_index *ix, char *err, size_t err_len);

/* Rewrites the lookup tables of the index (the multi-index hash tables,
 * names and content) in key order so that every page is full. Documents
 * added one at a time leave those B-tree pages 55-70% full; compacting
 * shrinks the hash tables by about a quarter to a third (BENCHMARKS.md).
 * Commits the pending batch first. Readers, in this process and others,
 * go on answering from their snapshot meanwhile; each table is rewritten
 * in one transaction of its own and holds the same entries afterwards, so
 * a crash leaves every table either as it was or compacted. The file
 * does not shrink: freed pages are reused by later writes. Costs about a
 * second per million documents (BENCHMARKS.md) and no memory beyond
 * LMDB's. `semhash index` compacts by itself when a run at least doubled
 * the index.
 * Errors: SH_EREADONLY; SH_EINDEX (an LMDB failure: the table being
 * rewritten is left as it was); SH_EFULL; errno (ENOSPC...). */
int sh_compact(sh_index *ix, char *err, size_t err_len);

/* The number of documents in the latest committed state, into *n (0 on
 * failure); costs one snapshot, not a walk. Errors: SH_ENOMEM,
 * SH_EINDEX. */
int sh_doc_count(sh_index *ix, uint64_t *n, char *err, size_t err_len);

/* ---- queries ------------------------------------------------------------------- */

enum {
    SH_MODE_AUTO = 0,  /* the planner picks the cheapest of the three */
    SH_MODE_BALL = 1,  /* enumerate every code within the radius */
    SH_MODE_MIH = 2,   /* multi-index hashing */
    SH_MODE_SCAN = 3   /* popcount over every stored code */
};

/* A zeroed struct is a radius-0 search (exact code matches). */
typedef struct {
    int radius;             /* radius mode: every doc within this distance, 0..bits */
    size_t k;               /* > 0: top-k mode instead: the k nearest documents
                               (ties by doc id); radius is then ignored */
    int near_dup;           /* 1: keep only candidates whose signature
                               similarity to the query is >= min_similarity
                               (text and document queries only) */
    double min_similarity;  /* in (0, 1]; 0 = SH_DEFAULT_SIMILARITY */
    int mode;               /* SH_MODE_...; the result is the same in every mode */
} sh_query_options;

typedef struct {
    uint32_t id;            /* doc id: sh_doc_get gives name, labels, code */
    uint32_t distance;      /* Hamming distance to the query's code */
    double similarity;      /* near_dup: estimated Jaccard similarity; else -1 */
} sh_hit;

/* What a query did. */
typedef struct {
    size_t total;           /* matches in all (may exceed cap) */
    size_t candidates;      /* near_dup: documents found by the code, before
                               verification; otherwise equal to total */
    int radius;             /* radius searched (top-k: where it stopped) */
    int mode;               /* the mode that ran (top-k: of its last step) */
    uint64_t tokens;        /* text queries: tokens of the query */
    uint8_t code[SH_CODE_BYTES]; /* the query's code */
} sh_query_info;

/* Queries by text. Writes the first min(cap, total) hits into hits
 * (hits may be NULL when cap is 0; sorted by distance then id, or for
 * near_dup by similarity (descending), distance, id) and that count into
 * *n. info may be NULL.
 * Errors: SH_EEMPTY (text of zero length or only blanks: "empty query";
 * or no token left after the filters, e.g. only stop words: its code is
 * defined, the code of an empty document, but answering with it would
 * return arbitrary documents, so it is refused; sh_encode and
 * sh_query_code still give and use that code);
 * SH_EINPUT (binary text); SH_EINVAL (radius outside 0..bits, a bad
 * mode or threshold, k = 0 with radius < 0); SH_ENOMEM; SH_EINDEX. */
int sh_query_text(sh_index *ix, const char *text, size_t len, const sh_query_options *q,
                  sh_hit *hits, size_t cap, size_t *n, sh_query_info *info, char *err,
                  size_t err_len);

/* Queries by code (sh_index_bits / 8 big-endian bytes, unused low bits
 * zero), as sh_query_text. near_dup is refused here (SH_EINVAL: a code
 * has no signature). */
int sh_query_code(sh_index *ix, const uint8_t *code, const sh_query_options *q, sh_hit *hits,
                  size_t cap, size_t *n, sh_query_info *info, char *err, size_t err_len);

/* Queries with the stored code and signature of document id (which is
 * itself left out of the hits), as sh_query_text. SH_ENOTFOUND if there
 * is no such document. */
int sh_query_doc(sh_index *ix, uint32_t id, const sh_query_options *q, sh_hit *hits,
                 size_t cap, size_t *n, sh_query_info *info, char *err, size_t err_len);

/* ---- documents ----------------------------------------------------------------- */

/* A stored document. The strings point into the buffer given to
 * sh_doc_get (NUL-terminated); they live as long as that buffer. */
typedef struct {
    uint32_t id;
    uint64_t length;              /* bytes of the text when it was added */
    uint64_t content_hash;
    uint8_t code[SH_CODE_BYTES];  /* bits/8 big-endian bytes, rest zero */
    const char *name;
    const char *labels;           /* "" when none */
    const char *snippet;          /* the start of the text, blanks collapsed, cut
                                     at a character boundary; "" when none */
} sh_doc_info;

/* Buffer size that always holds a document's strings. */
#define SH_DOC_BUF (SH_MAX_NAME + SH_MAX_LABELS + SH_SNIPPET_BYTES + 8)

/* Reads document id into *doc, copying its strings into buf (buf_len
 * bytes; labels, then the snippet, are cut short to fit a smaller buffer,
 * which must hold at least SH_MAX_NAME + 3 bytes). Errors: SH_ENOTFOUND,
 * SH_EINVAL (buffer too small), SH_EINDEX (damaged record). */
int sh_doc_get(sh_index *ix, uint32_t id, sh_doc_info *doc, char *buf, size_t buf_len,
               char *err, size_t err_len);

/* The same by name (name_len 0 = strlen). */
int sh_doc_find(sh_index *ix, const char *name, size_t name_len, sh_doc_info *doc, char *buf,
                size_t buf_len, char *err, size_t err_len);

/* ---- statistics ---------------------------------------------------------------- */

#define SH_STATS_TABLES 22
#define SH_STATS_HIST 33

typedef struct {
    int bits;                       /* code width */
    int substrings;                 /* multi-index hashing tables */
    int signature_bytes;            /* near-duplicate signature per document */
    uint64_t docs;                  /* documents stored */
    uint64_t buckets;               /* distinct codes */
    uint64_t max_bucket;            /* documents sharing the most common code */
    uint64_t bucket_hist[SH_STATS_HIST]; /* buckets with 2^i .. 2^(i+1)-1 documents */
    uint64_t bit_ones[SH_MAX_BITS]; /* documents whose bit i is 1 (balance: docs/2) */
    struct {
        char name[16];              /* "codes", "docs", "mih_0", ... */
        uint64_t entries;
        uint64_t bytes;             /* pages in use * page size */
    } tables[SH_STATS_TABLES];
    int n_tables;
    uint64_t map_size;              /* bytes reserved for the LMDB map */
    uint64_t used_bytes;            /* bytes of the data file in use */
    uint64_t model_bytes;           /* the stored model */
    char encoder[16];               /* "ae", "simhash", "lsh" */
    uint64_t vocab_terms;           /* the model's vocabulary size */
    char summary[2048];             /* sh_create_options.summary, cut to fit */
} sh_stats;

/* Fills *st from one snapshot; walks every document, so it costs
 * O(documents). Errors: SH_EINDEX, SH_ENOMEM. */
int sh_stats_get(sh_index *ix, sh_stats *st, char *err, size_t err_len);

/* ---- near-duplicate groups ------------------------------------------------------ */

/* Near-duplicate groups: documents joined by verified pairs (codes within
 * radius, signature similarity >= min_similarity), each group's ids in
 * increasing order, groups by decreasing size then smallest id. */
typedef struct {
    size_t n_groups;
    size_t *start;     /* [n_groups + 1]: group g is ids[start[g] .. start[g+1]) */
    uint32_t *ids;     /* [start[n_groups]] */
    uint64_t pairs;    /* verified pairs */
    uint64_t candidates; /* pairs found by the code before verification */
} sh_dup_groups;

/* Finds every near-duplicate group in one snapshot (each document queries
 * the codes within radius; min_similarity 0 = SH_DEFAULT_SIMILARITY). On
 * success *out owns its arrays: free them with sh_dup_groups_free. On
 * failure *out is empty. Errors: SH_EINVAL (radius outside 0..bits,
 * threshold outside [0, 1]), SH_ENOMEM, SH_EINDEX. */
int sh_dups(sh_index *ix, int radius, double min_similarity, sh_dup_groups *out, char *err,
            size_t err_len);

/* Frees the arrays and empties *g. Accepts NULL and an empty struct. */
void sh_dup_groups_free(sh_dup_groups *g);

#ifdef __cplusplus
}
#endif

#endif
