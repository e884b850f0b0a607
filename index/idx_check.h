/* idx_check.h — whole-index walks: statistics and a consistency check.
 *
 * Both read one snapshot (an idx_reader) and change nothing. They walk
 * every document, so they cost O(documents); not for the query path.
 */
#ifndef SH_IDX_CHECK_H
#define SH_IDX_CHECK_H

#include "idx_store.h"

#define IDX_HIST_BINS 33
#define IDX_MAX_TABLES (6 + IDX_MAX_SUBSTRINGS)

typedef struct {
    char name[16];          /* "codes", "mih_0", ... */
    uint64_t entries;       /* items (duplicates counted) */
    uint64_t bytes;         /* pages * page size */
} idx_table_stats;

typedef struct {
    int bits, substrings, sig_bytes;
    uint64_t docs;                          /* doc count (docs table) */
    uint64_t next_id;                       /* next doc id to assign */
    uint64_t buckets;                       /* distinct codes */
    uint64_t max_bucket;                    /* docs in the largest bucket */
    uint64_t bucket_hist[IDX_HIST_BINS];    /* buckets with size in [2^i, 2^(i+1)) */
    uint64_t bit_ones[SH_CODE_MAX_BITS];    /* docs whose bit i is 1 */
    idx_table_stats tables[IDX_MAX_TABLES];
    int n_tables;
    uint64_t map_size;                      /* bytes reserved for the map */
    uint64_t used_bytes;                    /* bytes in use in data.mdb */
} idx_stats;

/* Fills st from the reader's snapshot. SH_EINDEX (LMDB failure, damaged
 * entry). */
int idx_stats_get(idx_reader *rd, idx_stats *st);

/* Checks that the tables agree: every doc record decodes, its name maps
 * to its id, its entry (rest, tag of its content hash in mih_0, id) is in
 * every mih table under its substring, its id is below next_id; and every table holds exactly as many entries as there are
 * docs (so nothing else is there), equal to meta's doc_count.
 * Returns 0, or SH_EINDEX with the first disagreement in err. */
int idx_verify(idx_reader *rd, char *err, size_t err_len);

#endif
