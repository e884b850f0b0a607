/* baseline_hash.c — SimHash and random-hyperplane LSH encoders (see
 * baseline_hash.h for the definitions and bit order).
 *
 * Dimension letters: V = vocabulary (columns of the sparse rows), K = code
 * bits. Deliberately not here: hashing term strings (the caller does) and
 * anything about the index.
 */
#include "baseline_hash.h"
#include "rng.h"
#include "sh_error.h"

#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>

/* Turns per-bit sums into a code: bit i set where acc[i] > offsets[i]
 * (offsets NULL: > 0). */
static sh_code code_from_sums(const double *acc, const float *offsets, int bits)
{
    sh_code c = { { 0, 0 } };
    for (int i = 0; i < bits; i++)
        if (acc[i] > (offsets != NULL ? (double)offsets[i] : 0.0))
            code_set_bit(&c, i, 1);
    return c;
}

/* offsets[i] = sum[i] / n (0 when n is 0). */
static void mean_offsets(const double *sum, size_t n, int bits, float *offsets)
{
    for (int i = 0; i < bits; i++)
        offsets[i] = n > 0 ? (float)(sum[i] / (double)n) : 0.0f;
}

/* ---- SimHash ---------------------------------------------------------- */

/* The b-th 64-bit block of a term's signature: the hash itself for block
 * 0, a rehash with seed b for later blocks. */
static uint64_t simhash_block(uint64_t term_hash, int b)
{
    if (b == 0)
        return term_hash;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(term_hash >> (8 * i));
    return XXH64(le, sizeof le, (XXH64_hash_t)b);
}

/* acc[K] = the signed weight sums of row r. */
static void simhash_row(const sh_csr *rows, size_t r, const uint64_t *term_hash, int bits,
                        double *acc)
{
    int blocks = (bits + 63) / 64;
    memset(acc, 0, (size_t)bits * sizeof *acc);
    for (size_t e = rows->row_ptr[r]; e < rows->row_ptr[r + 1]; e++) {
        double weight = rows->values[e];
        uint64_t h = term_hash[rows->col_idx[e]];
        for (int b = 0; b < blocks; b++) {
            uint64_t block = simhash_block(h, b);
            int n = bits - 64 * b < 64 ? bits - 64 * b : 64;
            double *sums = acc + 64 * b;
            for (int k = 0; k < n; k++)
                sums[k] += (block >> (63 - k)) & 1 ? weight : -weight;
        }
    }
}

static int simhash_args_ok(const sh_csr *rows, const uint64_t *term_hash, int bits)
{
    return rows != NULL && code_bits_valid(bits) && (term_hash != NULL || rows->nnz == 0);
}

int simhash_encode(const sh_csr *rows, const uint64_t *term_hash, int bits, sh_code *out)
{
    return simhash_encode_centred(rows, term_hash, bits, NULL, out);
}

int simhash_encode_centred(const sh_csr *rows, const uint64_t *term_hash, int bits,
                           const float *offsets, sh_code *out)
{
    if (out == NULL || !simhash_args_ok(rows, term_hash, bits))
        return SH_EINVAL;
    double acc[SH_CODE_MAX_BITS];  /* [K] signed weight sums */
    for (size_t r = 0; r < rows->rows; r++) {
        simhash_row(rows, r, term_hash, bits, acc);
        out[r] = code_from_sums(acc, offsets, bits);
    }
    return 0;
}

int simhash_fit_offsets(const sh_csr *rows, const uint64_t *term_hash, int bits, float *offsets)
{
    if (offsets == NULL || !simhash_args_ok(rows, term_hash, bits))
        return SH_EINVAL;
    double acc[SH_CODE_MAX_BITS], sum[SH_CODE_MAX_BITS] = { 0 };
    for (size_t r = 0; r < rows->rows; r++) {
        simhash_row(rows, r, term_hash, bits, acc);
        for (int i = 0; i < bits; i++)
            sum[i] += acc[i];
    }
    mean_offsets(sum, rows->rows, bits, offsets);
    return 0;
}

/* ---- random-hyperplane LSH -------------------------------------------- */

struct sh_lsh {
    size_t vocab;      /* V */
    int bits;          /* K */
    uint64_t seed;
    float *planes;     /* [V][K]: planes[j * K + i] = R[j][i] */
};

/* xxh64 of the planes as little-endian float bytes (the same value on any
 * host). */
static uint64_t planes_checksum(const sh_lsh *lsh)
{
    XXH64_state_t state;
    XXH64_reset(&state, 0);
    uint8_t chunk[4096];
    size_t total = lsh->vocab * (size_t)lsh->bits, used = 0;
    for (size_t i = 0; i < total; i++) {
        uint32_t u;
        memcpy(&u, &lsh->planes[i], sizeof u);
        for (int b = 0; b < 4; b++)
            chunk[used++] = (uint8_t)(u >> (8 * b));
        if (used == sizeof chunk) {
            XXH64_update(&state, chunk, used);
            used = 0;
        }
    }
    XXH64_update(&state, chunk, used);
    return XXH64_digest(&state);
}

int lsh_new(size_t vocab, int bits, uint64_t seed, sh_lsh **out)
{
    if (out == NULL || vocab == 0 || !code_bits_valid(bits))
        return SH_EINVAL;
    if (vocab > SIZE_MAX / sizeof(float) / (size_t)bits)
        return SH_ENOMEM;
    sh_lsh *lsh = calloc(1, sizeof *lsh);
    if (lsh == NULL)
        return SH_ENOMEM;
    lsh->planes = malloc(vocab * (size_t)bits * sizeof *lsh->planes);
    if (lsh->planes == NULL) {
        free(lsh);
        return SH_ENOMEM;
    }
    lsh->vocab = vocab;
    lsh->bits = bits;
    lsh->seed = seed;
    sh_rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < vocab * (size_t)bits; i++)
        lsh->planes[i] = rng_normal(&rng);
    *out = lsh;
    return 0;
}

/* acc[K] = the projections x . R[:, i] of row r. */
static void lsh_row(const sh_lsh *lsh, const sh_csr *rows, size_t r, double *acc)
{
    int bits = lsh->bits;
    memset(acc, 0, (size_t)bits * sizeof *acc);
    for (size_t e = rows->row_ptr[r]; e < rows->row_ptr[r + 1]; e++) {
        double x = rows->values[e];
        const float *plane_row = lsh->planes + (size_t)rows->col_idx[e] * (size_t)bits;
        for (int i = 0; i < bits; i++)
            acc[i] += x * plane_row[i];
    }
}

int lsh_encode(const sh_lsh *lsh, const sh_csr *rows, sh_code *out)
{
    return lsh_encode_centred(lsh, rows, NULL, out);
}

int lsh_encode_centred(const sh_lsh *lsh, const sh_csr *rows, const float *offsets, sh_code *out)
{
    if (lsh == NULL || rows == NULL || out == NULL)
        return SH_EINVAL;
    if (rows->cols > lsh->vocab)
        return SH_EMODEL;
    double acc[SH_CODE_MAX_BITS];  /* [K] projections x . R[:, i] */
    for (size_t r = 0; r < rows->rows; r++) {
        lsh_row(lsh, rows, r, acc);
        out[r] = code_from_sums(acc, offsets, lsh->bits);
    }
    return 0;
}

int lsh_fit_offsets(const sh_lsh *lsh, const sh_csr *rows, float *offsets)
{
    if (lsh == NULL || rows == NULL || offsets == NULL)
        return SH_EINVAL;
    if (rows->cols > lsh->vocab)
        return SH_EMODEL;
    double acc[SH_CODE_MAX_BITS], sum[SH_CODE_MAX_BITS] = { 0 };
    for (size_t r = 0; r < rows->rows; r++) {
        lsh_row(lsh, rows, r, acc);
        for (int i = 0; i < lsh->bits; i++)
            sum[i] += acc[i];
    }
    mean_offsets(sum, rows->rows, lsh->bits, offsets);
    return 0;
}

size_t lsh_vocab(const sh_lsh *lsh)
{
    return lsh->vocab;
}

int lsh_bits(const sh_lsh *lsh)
{
    return lsh->bits;
}

uint64_t lsh_seed(const sh_lsh *lsh)
{
    return lsh->seed;
}

float lsh_weight(const sh_lsh *lsh, size_t term, int bit)
{
    return lsh->planes[term * (size_t)lsh->bits + (size_t)bit];
}

int lsh_save(const sh_lsh *lsh, mf_writer *w)
{
    if (lsh == NULL || w == NULL)
        return SH_EINVAL;
    int rc = mf_writer_begin(w, LSH_SECTION);
    if (rc == 0)
        rc = mf_put_u64(w, (uint64_t)lsh->vocab);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)lsh->bits);
    if (rc == 0)
        rc = mf_put_u64(w, lsh->seed);
    if (rc == 0)
        rc = mf_put_u64(w, planes_checksum(lsh));
    if (rc == 0)
        rc = mf_writer_end(w);
    return rc;
}

int lsh_load(const mf_model *m, sh_lsh **out, char *err, size_t err_len)
{
    const char *label = m ? mf_model_label(m) : "(null)";
    const void *data;
    size_t len;
    if (m == NULL || out == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "%s: no model", label);
    if (mf_model_section(m, LSH_SECTION, &data, &len) != 0)
        return sh_fail(err, err_len, SH_ENOTFOUND, "%s: no LSH encoder in this model", label);
    mf_cursor c;
    uint64_t vocab, seed, checksum;
    uint32_t bits;
    mf_cursor_init(&c, data, len);
    if (mf_get_u64(&c, &vocab) != 0 || mf_get_u32(&c, &bits) != 0 ||
        mf_get_u64(&c, &seed) != 0 || mf_get_u64(&c, &checksum) != 0 ||
        mf_cursor_left(&c) != 0)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: LSH section has %zu bytes, expected 28",
                       label, len);
    if (vocab == 0 || vocab > LSH_MAX_VOCAB || bits > SH_CODE_MAX_BITS ||
        !code_bits_valid((int)bits))
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: LSH section has vocabulary %llu and %u bits (need 1..%u and "
                       "8..128 in steps of 8)", label, (unsigned long long)vocab, bits,
                       LSH_MAX_VOCAB);
    sh_lsh *lsh = NULL;
    int rc = lsh_new((size_t)vocab, (int)bits, seed, &lsh);
    if (rc != 0)
        return sh_fail(err, err_len, rc, "%s: cannot rebuild LSH hyperplanes (%llu x %u): %s",
                       label, (unsigned long long)vocab, bits, sh_strerror(rc));
    if (planes_checksum(lsh) != checksum) {
        lsh_free(lsh);
        return sh_fail(err, err_len, SH_EMODEL,
                       "%s: regenerated LSH hyperplanes differ from the saved ones (the "
                       "random generator changed); rebuild the index", label);
    }
    *out = lsh;
    return 0;
}

void lsh_free(sh_lsh *lsh)
{
    if (lsh == NULL)
        return;
    free(lsh->planes);
    free(lsh);
}
