/* metrics.h — retrieval quality of binary codes (and of tf-idf) for
 * `semhash eval`.
 *
 * The protocol of the semantic-hashing literature: test documents query
 * the train documents (the database); a database document is relevant to
 * a query when their label sets share at least one label. A query or
 * document without labels has nothing relevant.
 *
 * Ranking: the database is ordered by Hamming distance to the query
 * (smallest first; for tf-idf, by cosine, largest first). Ties are broken
 * by one fixed random order of the database drawn from the seed (the same
 * permutation for every query), never by index, so a model that gives many
 * documents the same code gets no credit for the order of the input.
 *
 * Definitions, averaged over all queries (k' = min(k, database size)):
 *   P@k  = relevant among the first k' results / k'
 *   AP@k = (1 / R) * sum over i <= k' of P@i * rel(i), R = relevant among
 *          the first k' results; AP@k = 0 when R = 0. (The "mAP@k" of the
 *          hashing literature; R is not the total number of relevant
 *          documents.)
 * Within a Hamming radius r (the ball: distance <= r):
 *   precision = relevant in the ball / ball size, averaged over queries
 *               with a non-empty ball;
 *   recall    = relevant in the ball / relevant in the database, averaged
 *               over queries with at least one relevant document;
 *   mean results = average ball size; empty fraction = share of queries
 *               whose ball is empty.
 * Near-duplicates (each query has a known original in the database):
 *   recall = share of queries whose original is within r;
 *   false candidates = average number of other documents within r.
 *
 * All functions are pure computations: they allocate scratch (returning
 * SH_ENOMEM when that fails), never keep pointers, and are thread-safe.
 */
#ifndef SH_METRICS_H
#define SH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "matrix.h"
#include "text_strtab.h"

/* Label sets of n documents, as sorted distinct label ids per document. */
typedef struct {
    size_t n;
    size_t *ptr;      /* n + 1 entries; labels of doc i: ids[ptr[i] .. ptr[i+1]) */
    uint32_t *ids;
    size_t ids_cap, ptr_cap;
} metrics_labels;

/* An empty set list. Returns 0 or SH_ENOMEM. */
int metrics_labels_init(metrics_labels *l);

/* Appends a document with n label ids (any order, duplicates allowed).
 * Returns 0 or SH_ENOMEM (nothing appended). */
int metrics_labels_append(metrics_labels *l, const uint32_t *ids, size_t n);

/* Appends a document with n label names, interning them in names (so the
 * same name gets the same id across calls and label lists). Returns 0,
 * SH_EINVAL or SH_ENOMEM. */
int metrics_labels_append_names(metrics_labels *l, text_strtab *names,
                                const char *const *labels, size_t n);

/* 1 if document i of a and document j of b share a label. */
int metrics_labels_share(const metrics_labels *a, size_t i, const metrics_labels *b, size_t j);

/* Frees the lists and zeroes *l. Accepts NULL. */
void metrics_labels_free(metrics_labels *l);

/* P@k and AP@k for n_k cut-offs ks[] (each >= 1), written to
 * precision[n_k] and map[n_k] (means over the n_q queries), ranking by
 * Hamming distance. Returns 0; SH_EINVAL (n_q or n_db is 0, a k is 0, or
 * label lists do not have n_q / n_db entries); SH_ENOMEM. */
int metrics_hamming_rank(const sh_code *queries, const metrics_labels *query_labels, size_t n_q,
                         const sh_code *db, const metrics_labels *db_labels, size_t n_db,
                         const size_t *ks, size_t n_k, uint64_t seed,
                         double *precision, double *map);

/* The same ranking by cosine of L2-normalised sparse rows (dot products):
 * the real-valued reference. The database is transposed once into an
 * inverted index, so a query costs its terms' postings plus O(database)
 * for the ranking. queries and db must have the same number of columns
 * (SH_EINVAL otherwise). Same return codes. */
int metrics_cosine_rank(const sh_csr *queries, const metrics_labels *query_labels,
                        const sh_csr *db, const metrics_labels *db_labels,
                        const size_t *ks, size_t n_k, uint64_t seed,
                        double *precision, double *map);

typedef struct {
    int radius;
    double precision;       /* over queries with a non-empty ball */
    double recall;          /* over queries with something relevant */
    double mean_results;
    double empty_fraction;
} metrics_radius_row;

/* One row per radius r = 0 .. max_radius (rows has max_radius + 1
 * entries). Returns 0; SH_EINVAL (empty inputs, max_radius outside
 * 0..128, label counts wrong); SH_ENOMEM. */
int metrics_hamming_radius(const sh_code *queries, const metrics_labels *query_labels, size_t n_q,
                           const sh_code *db, const metrics_labels *db_labels, size_t n_db,
                           int max_radius, metrics_radius_row *rows);

typedef struct {
    int radius;
    double recall;                /* share of queries whose original is within r */
    double false_per_query;       /* other documents within r, per query */
} metrics_dup_row;

/* Near-duplicate quality: query q's original is db[original[q]]. One row
 * per radius 0 .. max_radius. Returns 0; SH_EINVAL (empty inputs, an
 * original index >= n_db, max_radius outside 0..128); SH_ENOMEM. */
int metrics_near_duplicates(const sh_code *queries, const size_t *original, size_t n_q,
                            const sh_code *db, size_t n_db, int max_radius,
                            metrics_dup_row *rows);

#endif
