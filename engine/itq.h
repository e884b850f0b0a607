/* itq.h — PCA + iterative quantisation (Gong & Lazebnik, CVPR 2011), the
 * strongest classical baseline semhash measures its autoencoder against.
 *
 * Legend: N = training rows, V = vocabulary (columns of the sparse rows),
 * K = code bits, L = K + ITQ_OVERSAMPLE columns of the PCA subspace.
 *
 * Fitting, on sparse tf-idf rows X[N,V] that are never densified:
 *  1. PCA: the mean row m[V], and the top K principal directions W[V,K]
 *     of the centred rows X - 1 m^T, by randomised subspace iteration
 *     (a seeded Gaussian V x L start, ITQ_PCA_ITERATIONS products with
 *     (X - 1 m^T)^T (X - 1 m^T) each followed by re-orthonormalisation,
 *     then Rayleigh-Ritz on the L-dimensional subspace). The centred
 *     products are X Q - 1 (m^T Q) and X^T Z - m (1^T Z), so the cost
 *     per iteration is O(nnz L + (N + V) L^2).
 *  2. ITQ: with P = (X - 1 m^T) W [N,K] and a seeded random orthogonal
 *     R[K,K], alternate B = sign(P R) and the orthogonal Procrustes step
 *     R = S_hat S^T from the SVD  B^T P = S Omega S_hat^T  (LAPACK dgesvd
 *     on the K x K matrix), `iterations` times. Each step minimises the
 *     quantisation loss |B - P R|_F^2 over one of the two, so the loss
 *     never increases.
 * Encoding: bit k of x is ((x - m) W R)_k > 0, computed as x . A[:, k] >
 * offset[k] with A = W R [V,K] and offset = m^T A: O(nnz K) per row, like
 * LSH. The model is A and the offsets (hasher.h stores the offsets as the
 * hasher's thresholds).
 *
 * On mean-centred data every principal projection has mean 0, and a
 * symmetric collection (each row x with its mirror 2m - x) gets exactly
 * balanced bits by construction; on real collections the bits are close
 * to balanced.
 *
 * Deliberately not here: dense input, more than 128 bits, K > V or
 * K >= N (no meaningful K-dimensional principal subspace: SH_EINVAL).
 *
 * Determinism: the same rows, K, seed and BLAS thread count give the
 * same model bytes. Thread safety: an sh_itq is read-only after fitting
 * or loading and may be shared by threads calling itq_encode.
 */
#ifndef SH_ITQ_H
#define SH_ITQ_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "matrix.h"
#include "modelfile.h"

#define ITQ_SECTION MF_TAG('I', 'T', 'Q', '0')
#define ITQ_ITERATIONS 50      /* Gong & Lazebnik's choice */
#define ITQ_PCA_ITERATIONS 8   /* subspace iterations of the PCA step */
#define ITQ_OVERSAMPLE 16      /* extra subspace columns for a converged top K */
#define ITQ_MAX_VOCAB 10000000u

typedef struct sh_itq sh_itq;

/* What a fit measured (every field filled by itq_fit on success). */
typedef struct {
    double variance[SH_CODE_MAX_BITS];     /* [K] variance along each principal direction */
    double quant_loss[ITQ_ITERATIONS + 1]; /* |B - P R|^2 / N after the start and each
                                              iteration (entries 0..iterations) */
    int iterations;
} itq_fit_info;

/* Fits PCA + ITQ with K = bits on rows (N x V sparse, any non-negative or
 * signed values), iterations 0..ITQ_ITERATIONS (0: PCA with a random
 * rotation), random start and rotation from seed. Returns 0 and *out
 * (free with itq_free); SH_EINVAL (NULL argument, bad bits, bits > V,
 * fewer than bits + 1 rows, iterations out of range); SH_ENOMEM; SH_EINVAL
 * also when LAPACK fails (it does not for finite input). info may be
 * NULL. *out is unchanged on error. */
int itq_fit(const sh_csr *rows, int bits, int iterations, uint64_t seed, sh_itq **out,
            itq_fit_info *info);

/* Centred principal projections of the rows after rotation:
 * z[N,K] = (x - m) W R. rows->cols must be at most the model's vocabulary
 * (SH_EMODEL otherwise). Returns 0 or SH_EINVAL (NULL argument). */
int itq_project(const sh_itq *q, const sh_csr *rows, float *z);

/* Codes of the rows: bit k = z_k > 0, i.e. x . A[:, k] > offset[k].
 * offsets[K] overrides the model's (NULL = the model's own). Returns 0,
 * SH_EINVAL (NULL argument) or SH_EMODEL (rows too wide). */
int itq_encode(const sh_itq *q, const sh_csr *rows, const float *offsets, sh_code *out);

/* Shapes, the projection A[term][bit] = (W R)[term][bit], the offset
 * m^T A[:, bit] and the rotation R[i][j] (fitted models only; loaded ones
 * keep A and the offsets, and itq_rotation returns NULL). Indices must be
 * in range (not checked). */
size_t itq_vocab(const sh_itq *q);
int itq_bits(const sh_itq *q);
float itq_weight(const sh_itq *q, size_t term, int bit);
float itq_offset(const sh_itq *q, int bit);
const float *itq_rotation(const sh_itq *q);    /* [K,K] row-major, or NULL */

/* Appends an ITQ_SECTION (u64 vocab, u32 bits, f32 offsets[K], f32
 * A[V,K] row-major) to w. Returns 0, SH_EINVAL (a section is open) or
 * SH_ENOMEM. */
int itq_save(const sh_itq *q, mf_writer *w);

/* Rebuilds the encoder from m's ITQ_SECTION. Returns 0 and *out (free
 * with itq_free), or, with "LABEL: problem" in err and *out unchanged:
 * SH_ENOTFOUND (no section), SH_EFORMAT (bad shapes, a vocabulary above
 * ITQ_MAX_VOCAB, wrong length, a non-finite value), SH_ENOMEM. */
int itq_load(const mf_model *m, sh_itq **out, char *err, size_t err_len);

/* Frees the encoder. Accepts NULL. */
void itq_free(sh_itq *q);

#endif
