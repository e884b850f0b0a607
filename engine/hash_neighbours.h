/* hash_neighbours.h — nearest-neighbour lists of tf-idf rows, and the
 * reconstruction targets the binary autoencoder builds from them
 * (hash_train.h: neighbourhood targets, and the reference neighbours of
 * its validation).
 *
 * Two measures of "near":
 *  - tf-idf cosine (hash_neighbours): the dot product of L2-normalised
 *    sparse rows, through an inverted index of the database rows;
 *  - cosine in the principal subspace (hash_neighbours_pca): rows centred
 *    on the database's mean and projected on its top principal directions
 *    (the PCA step of itq.h), then compared by cosine. Dropping the
 *    low-variance directions smooths word choice away, so documents on the
 *    same subject that share few exact words come closer (latent semantic
 *    analysis); on Brown, documents of one genre are found more often
 *    this way than by tf-idf cosine.
 *
 * Lists are best first, ties by lower row index, padded with UINT32_MAX;
 * nbr[q * n + i] is the i-th neighbour of query row q.
 *
 * Determinism: the same rows, n, dims, seed and BLAS thread count give the
 * same lists. Thread safety: the functions share nothing.
 */
#ifndef SH_HASH_NEIGHBOURS_H
#define SH_HASH_NEIGHBOURS_H

#include <stddef.h>
#include <stdint.h>

#include "matrix.h"

/* The n nearest rows of db to each row of queries by dot product (cosine
 * for L2-normalised rows); with exclude_self (queries == db), a row is
 * never its own neighbour. Rows with fewer than n candidates scoring > 0
 * are padded. Returns 0, SH_EINVAL (column counts differ, n 0) or
 * SH_ENOMEM. Cost: one pass over db's postings per query term. */
int hash_neighbours(const sh_csr *queries, const sh_csr *db, size_t n, int exclude_self,
                    uint32_t *nbr);

/* The n nearest rows of db to each row of queries by cosine in db's top
 * D principal directions (seeded randomised PCA, itq.h), D = dims rounded
 * down to a multiple of 8 and capped at 128, db's rows - 1 and its
 * columns; every db row is a candidate (except the query itself with
 * exclude_self). With D 0 (dims < 8, or a db of at most 8 rows or
 * columns) this is hash_neighbours. Returns 0, SH_EINVAL (column counts
 * differ, n 0, dims < 0) or SH_ENOMEM. Cost: the PCA fit, then 2 D flops
 * per (query, db row) pair through sgemm, in blocks of at most 2^24
 * scores. */
int hash_neighbours_pca(const sh_csr *queries, const sh_csr *db, size_t n, int exclude_self,
                        int dims, uint64_t seed, uint32_t *nbr);

/* Drops from each list nbr[i * n .. + n) the neighbours whose tf-idf
 * cosine with row i of rows (L2-normalised, the rows the lists were made
 * for) is below min_sim; the lists stay best first, padded. Cannot fail. */
void hash_neighbours_gate(uint32_t *nbr, size_t n, const sh_csr *rows, double min_sim);

/* Reconstruction targets with neighbours, appended to out (initialised,
 * counts->cols columns): row i = counts_i + weight * (n_i / m) * sum over
 * its m listed neighbours j of counts_j / n_j, n = row totals, so the
 * neighbours together weigh weight times the document's own words.
 * Returns 0 or SH_ENOMEM. */
int hash_neighbour_targets(sh_csr *out, const sh_csr *counts, const uint32_t *nbr,
                           size_t n_nbr, double weight);

#endif
