/* idx_search.h — Hamming search over an index snapshot.
 *
 * Every mode returns the same answer: all documents whose code is within
 * Hamming distance `radius` of the query, as (doc id, distance) sorted by
 * distance then doc id.
 *
 *   IDX_MODE_BALL  enumerate every code within the radius (sum over i <= r
 *                  of C(bits, i) codes) and look each up (one B-tree search
 *                  in mih_0 for the run of that code, idx_store.h).
 *   IDX_MODE_MIH   multi-index hashing (Norouzi, Punjani, Fleet): the code
 *                  is cut into m substrings. Write r = m * q + a (0 <= a < m);
 *                  a code within r of the query has a substring among the
 *                  first a + 1 within q of the query's, or one among the
 *                  others within q - 1 (otherwise the distance would be at
 *                  least (a+1)(q+1) + (m-a-1)q = r + 1). Each substring table
 *                  is probed within its radius; candidates are verified
 *                  with the rest of the code stored beside the id (the key
 *                  gives the other bits: no second lookup), and a candidate
 *                  is kept only from the first substring that can find it,
 *                  so no deduplication memory is needed.
 *   IDX_MODE_SCAN  walk the whole of mih_0 (one popcount per document, keys
 *                  farther than r from the query's substring skipped
 *                  whole): the reference and the fallback for large r.
 *   IDX_MODE_AUTO  the planner (idx_plan) picks the cheapest of the three.
 *
 * Searches allocate nothing per result: hits are gathered in the reader's
 * scratch buffer (grown when needed, kept for the next query). Use a
 * reader from one thread at a time; many threads each with a reader may
 * search one handle at once.
 */
#ifndef SH_IDX_SEARCH_H
#define SH_IDX_SEARCH_H

#include "idx_store.h"

typedef enum {
    IDX_MODE_AUTO = 0,
    IDX_MODE_BALL = 1,
    IDX_MODE_MIH = 2,
    IDX_MODE_SCAN = 3
} idx_mode;

/* Explicit ball or MIH searches needing more probes than this are refused
 * (SH_EINVAL): use IDX_MODE_AUTO or IDX_MODE_SCAN. */
#define IDX_MAX_PROBES 50000000.0

typedef struct {
    uint32_t id;
    uint32_t distance;
} idx_hit;

/* What a search did (filled by idx_plan and by the searches). */
typedef struct {
    idx_mode mode;        /* the mode that ran (or was planned) */
    double cost[4];       /* planner estimates by mode (index = idx_mode) */
    uint64_t probes;      /* key lookups done (ball, MIH) */
    uint64_t candidates;  /* entries examined (MIH candidates, scan codes) */
    int radius;           /* final radius (top-k: where growth stopped) */
} idx_search_info;

/* Estimated cost of each mode for radius r on n documents; returns the
 * cheapest (ball and MIH only when within IDX_MAX_PROBES). info may be
 * NULL. Cannot fail. */
idx_mode idx_plan(const idx_index *ix, uint64_t n_docs, int radius, idx_search_info *info);

/* All docs within radius (0..bits) of query. Writes the first min(cap,
 * total) hits into hits (may be NULL when cap is 0) and the number of
 * matches into *total. info may be NULL.
 * Errors: SH_EINVAL (radius out of range, unknown mode, explicit mode over
 * IDX_MAX_PROBES), SH_ENOMEM, SH_EINDEX (LMDB failure, damaged entry). */
int idx_search(idx_reader *rd, const sh_code *query, int radius, idx_mode mode, idx_hit *hits,
               size_t cap, size_t *total, idx_search_info *info);

/* The k nearest docs (ties by doc id): grows the radius from 0 until k
 * docs are within it (or the radius reaches bits), with the given mode for
 * each step; once an explicit ball or MIH step would cost more than a
 * scan (planner estimates), one scan finishes the job. hits must hold k; *n gets min(k, doc count).
 * Errors as idx_search. */
int idx_topk(idx_reader *rd, const sh_code *query, size_t k, idx_mode mode, idx_hit *hits,
             size_t *n, idx_search_info *info);

#endif
