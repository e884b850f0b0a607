/* baseline_hash.h — the two classic encoders semhash measures its
 * autoencoder against: SimHash and random-hyperplane LSH.
 *
 * Both read documents as rows of an sh_csr (row = document, column = term
 * id, value = tf-idf weight, as the text pipeline produces them) and write
 * one sh_code per row (code.h: bit 0 is the MSB of w[0]). Neither ever
 * densifies a row: the cost is O(nnz * bits).
 *
 * SimHash (Charikar 2002). Term j contributes its weight with sign +1 to
 * every bit where its hash has a 1 and -1 where it has a 0; a code bit is
 * 1 when its sum is > 0. The caller hashes the terms (xxh64 of the term
 * string, say); bits 0..63 of the code follow term_hash[j] from its MSB
 * down, so a one-term document of 64 bits has w[0] == term_hash[j]. Bits
 * 64..127 come from XXH64 of the 8 little-endian bytes of term_hash[j]
 * with seed 1, in the same MSB-first order.
 *
 * Random-hyperplane LSH (Charikar 2002, after Goemans-Williamson). A V x
 * bits matrix R of N(0, 1) entries drawn from the seeded rng (rng.h) in
 * row-major order; code bit i = (x . R[:, i]) > 0. Two documents at angle
 * theta differ in each bit with probability theta / pi. A model stores
 * only V, bits, seed and a checksum of R; loading regenerates R and checks
 * it, so a changed random generator is an error rather than silently
 * different codes.
 *
 * Ties and empty documents: a sum of exactly 0 gives bit 0, so an empty
 * document (no terms) has the all-zero code under both encoders.
 *
 * Centring (the *_centred and *_fit_offsets functions). Both encoders are
 * linear projections s_i(x) followed by a sign, and tf-idf rows are
 * non-negative: every pair of documents is less than 90 degrees apart and
 * all of them lean towards the collection's mean document, so the signs
 * spend much of their resolution on that common direction. The standard
 * remedy is sign random projection of mean-centred rows: bit i =
 * s_i(x - m) > 0 with m the mean training row. Since s_i is linear, that
 * is s_i(x) > s_i(m) = the mean of s_i over the training rows, so a
 * centred encoder is the textbook one plus one offset per bit (the
 * random planes or term hashes are unchanged and rows stay sparse).
 * Measured on SpamAssassin, 64 bits, P@100 by ham/spam: see hasher.h.
 * With offsets NULL the *_centred encoders are exactly the plain ones.
 *
 * Thread safety: simhash_encode is pure; an sh_lsh is read-only after
 * lsh_new / lsh_load and may be shared by threads calling lsh_encode.
 */
#ifndef SH_BASELINE_HASH_H
#define SH_BASELINE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "matrix.h"
#include "modelfile.h"

/* Largest vocabulary a saved LSH encoder may declare (text.vocab_size's
 * upper bound), so a forged section cannot ask for terabytes. */
#define LSH_MAX_VOCAB 10000000u

/* Section tag of a saved LSH encoder. */
#define LSH_SECTION MF_TAG('L', 'S', 'H', '0')

/* ---- SimHash ---------------------------------------------------------- */

/* Encodes every row of rows into out[0 .. rows->rows).
 *   term_hash  one 64-bit hash per column (rows->cols entries)
 *   bits       code width, 8..128 and a multiple of 8 (code_bits_valid)
 * Returns 0; SH_EINVAL for a bad width or a NULL argument (out
 * untouched); SH_ENOMEM. Allocates nothing the caller must free. */
int simhash_encode(const sh_csr *rows, const uint64_t *term_hash, int bits, sh_code *out);

/* As simhash_encode, bit i set when its sum is > offsets[i] (offsets[bits],
 * NULL = all 0). Same return codes. */
int simhash_encode_centred(const sh_csr *rows, const uint64_t *term_hash, int bits,
                           const float *offsets, sh_code *out);

/* offsets[bits] = the mean over the rows of each bit's signed sum (0 for
 * no rows): the centring offsets of the rows' mean. Returns 0 or
 * SH_EINVAL (as simhash_encode; offsets untouched). Allocates nothing. */
int simhash_fit_offsets(const sh_csr *rows, const uint64_t *term_hash, int bits, float *offsets);

/* ---- random-hyperplane LSH -------------------------------------------- */

typedef struct sh_lsh sh_lsh;

/* Draws the V x bits hyperplane matrix from rng_seed(seed). The same
 * (vocab, bits, seed) always gives the same matrix. Returns 0 and a new
 * encoder in *out (free with lsh_free); SH_EINVAL (vocab 0, bad bits);
 * SH_ENOMEM (vocab * bits floats do not fit). *out is unchanged on error. */
int lsh_new(size_t vocab, int bits, uint64_t seed, sh_lsh **out);

/* Encodes every row of rows into out[0 .. rows->rows). rows->cols must be
 * at most the encoder's vocabulary (SH_EMODEL otherwise, out untouched).
 * Returns 0, SH_EINVAL (NULL argument) or SH_EMODEL. */
int lsh_encode(const sh_lsh *lsh, const sh_csr *rows, sh_code *out);

/* As lsh_encode, bit i set when x . R[:, i] > offsets[i] (offsets[bits],
 * NULL = all 0). Same return codes. */
int lsh_encode_centred(const sh_lsh *lsh, const sh_csr *rows, const float *offsets,
                       sh_code *out);

/* offsets[bits] = the mean over the rows of x . R[:, i] (0 for no rows).
 * Returns 0, SH_EINVAL (NULL argument) or SH_EMODEL (rows wider than the
 * vocabulary); offsets untouched on error. Allocates nothing. */
int lsh_fit_offsets(const sh_lsh *lsh, const sh_csr *rows, float *offsets);

/* Shapes and seed. */
size_t lsh_vocab(const sh_lsh *lsh);
int lsh_bits(const sh_lsh *lsh);
uint64_t lsh_seed(const sh_lsh *lsh);

/* Entry R[term][bit] of the hyperplane matrix (bit's hyperplane normal,
 * component term). Both indices must be in range (not checked). */
float lsh_weight(const sh_lsh *lsh, size_t term, int bit);

/* Appends an LSH_SECTION (u64 vocab, u32 bits, u64 seed, u64 xxh64 of R as
 * little-endian floats) to w. Returns 0, SH_EINVAL (a section is open) or
 * SH_ENOMEM. */
int lsh_save(const sh_lsh *lsh, mf_writer *w);

/* Rebuilds the encoder from m's LSH_SECTION. Returns 0 and *out (free with
 * lsh_free), or, with "LABEL: problem" in err and *out unchanged:
 * SH_ENOTFOUND (no section), SH_EFORMAT (wrong length or values, a
 * vocabulary above LSH_MAX_VOCAB),
 * SH_EMODEL (the regenerated hyperplanes do not match the saved checksum:
 * the random generator changed), SH_ENOMEM. */
int lsh_load(const mf_model *m, sh_lsh **out, char *err, size_t err_len);

/* Frees the encoder. Accepts NULL. */
void lsh_free(sh_lsh *lsh);

#endif
