/* test_baseline_hash.c — SimHash and random-hyperplane LSH: hand-checked
 * cases, agreement with a naive dense computation, the angle/Hamming
 * relation on random data, determinism, and saving LSH in a model file. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "baseline_hash.h"
#include "code.h"
#include "matrix.h"
#include "modelfile.h"
#include "rng.h"
#include "sh_error.h"

/* Appends a row given as (term, weight) pairs in increasing term order. */
static void add_row(sh_csr *m, size_t n, const uint32_t *terms, const float *weights)
{
    ck_assert_int_eq(csr_append_row(m, n, terms, weights), 0);
}

/* Bit k (0 = MSB) of a 64-bit word. */
static int msb_bit(uint64_t w, int k)
{
    return (int)((w >> (63 - k)) & 1);
}

START_TEST(simhash_one_term_gives_its_hash_bits)
{
    sh_rng rng;
    rng_seed(&rng, 3);
    enum { V = 16 };
    uint64_t hashes[V];
    for (int j = 0; j < V; j++)
        hashes[j] = rng_u64(&rng);
    sh_csr rows;
    ck_assert_int_eq(csr_init(&rows, V), 0);
    uint32_t term = 5;
    float weight = 0.7f;
    add_row(&rows, 1, &term, &weight);
    for (int bits = 8; bits <= 128; bits += 8) {
        sh_code code;
        ck_assert_int_eq(simhash_encode(&rows, hashes, bits, &code), 0);
        /* Block 1 is XXH64 of the hash's little-endian bytes, seed 1. */
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(hashes[term] >> (8 * i));
        uint64_t block1 = XXH64(le, 8, 1);
        for (int i = 0; i < bits; i++) {
            int want = i < 64 ? msb_bit(hashes[term], i) : msb_bit(block1, i - 64);
            ck_assert_msg(code_get_bit(&code, i) == want, "bits %d, bit %d", bits, i);
        }
        for (int i = bits; i < 128; i++)
            ck_assert_int_eq(code_get_bit(&code, i), 0);
        if (bits == 64)
            ck_assert(code.w[0] == hashes[term]);
    }
    csr_free(&rows);
}
END_TEST

START_TEST(simhash_follows_the_heavier_term_and_defines_empty)
{
    sh_rng rng;
    rng_seed(&rng, 4);
    enum { V = 4, BITS = 128 };
    uint64_t hashes[V];
    sh_csr rows;
    ck_assert_int_eq(csr_init(&rows, V), 0);
    for (int j = 0; j < V; j++)
        hashes[j] = rng_u64(&rng);
    hashes[3] = ~hashes[2]; /* disagrees with term 2 on every bit of block 0 */
    uint32_t t01[2] = { 0, 1 }, t10[2] = { 0, 1 }, t23[2] = { 2, 3 };
    float w21[2] = { 2.0f, 1.0f }, w12[2] = { 1.0f, 2.0f }, equal[2] = { 1.5f, 1.5f };
    add_row(&rows, 2, t01, w21);      /* term 0 heavier */
    add_row(&rows, 2, t10, w12);      /* term 1 heavier */
    add_row(&rows, 0, NULL, NULL);    /* empty document */
    add_row(&rows, 2, t23, equal);    /* equal weights, opposite bits: ties */
    sh_code codes[4], single[2];
    ck_assert_int_eq(simhash_encode(&rows, hashes, BITS, codes), 0);

    /* Expected bits from each term's own one-term code. */
    sh_csr one;
    ck_assert_int_eq(csr_init(&one, V), 0);
    float unit = 1.0f;
    add_row(&one, 1, &t01[0], &unit);
    add_row(&one, 1, &t01[1], &unit);
    ck_assert_int_eq(simhash_encode(&one, hashes, BITS, single), 0);
    int disagreements = 0;
    for (int i = 0; i < BITS; i++) {
        int a = code_get_bit(&single[0], i), b = code_get_bit(&single[1], i);
        disagreements += a != b;
        ck_assert_int_eq(code_get_bit(&codes[0], i), a); /* agree: that bit; else term 0 */
        ck_assert_int_eq(code_get_bit(&codes[1], i), a == b ? a : b);
    }
    ck_assert_int_gt(disagreements, 20); /* the case is not vacuous */
    /* Empty document: the all-zero code. */
    ck_assert(codes[2].w[0] == 0 && codes[2].w[1] == 0);
    /* Exact ties (sum 0) give 0: block 0 is all ties here. */
    ck_assert(codes[3].w[0] == 0);

    ck_assert_int_eq(simhash_encode(&rows, hashes, 12, codes), SH_EINVAL);
    ck_assert_int_eq(simhash_encode(&rows, NULL, 64, codes), SH_EINVAL);
    csr_free(&one);
    csr_free(&rows);
}
END_TEST

START_TEST(lsh_on_a_hyperplane_direction_sets_that_bit)
{
    enum { V = 50, BITS = 96 };
    sh_lsh *lsh = NULL;
    ck_assert_int_eq(lsh_new(V, BITS, 99, &lsh), 0);
    ck_assert_uint_eq(lsh_vocab(lsh), V);
    ck_assert_int_eq(lsh_bits(lsh), BITS);
    uint32_t terms[V];
    float along[V], against[V];
    for (int target = 0; target < BITS; target += 7) {
        sh_csr rows;
        ck_assert_int_eq(csr_init(&rows, V), 0);
        for (uint32_t j = 0; j < V; j++) {
            terms[j] = j;
            along[j] = lsh_weight(lsh, j, target);
            against[j] = -along[j];
        }
        add_row(&rows, V, terms, along);
        add_row(&rows, V, terms, against);
        add_row(&rows, 0, NULL, NULL);
        sh_code codes[3];
        ck_assert_int_eq(lsh_encode(lsh, &rows, codes), 0);
        ck_assert_int_eq(code_get_bit(&codes[0], target), 1);
        ck_assert_int_eq(code_get_bit(&codes[1], target), 0);
        /* x and -x differ in every bit with a nonzero projection: all. */
        ck_assert_int_eq(code_hamming(&codes[0], &codes[1]), BITS);
        ck_assert(codes[2].w[0] == 0 && codes[2].w[1] == 0);
        csr_free(&rows);
    }
    /* Rows wider than the vocabulary do not fit. */
    sh_csr wide;
    ck_assert_int_eq(csr_init(&wide, V + 1), 0);
    sh_code c;
    ck_assert_int_eq(lsh_encode(lsh, &wide, &c), SH_EMODEL);
    csr_free(&wide);
    lsh_free(lsh);
    lsh_free(NULL);
    ck_assert_int_eq(lsh_new(0, 64, 1, &lsh), SH_EINVAL);
    ck_assert_int_eq(lsh_new(10, 0, 1, &lsh), SH_EINVAL);
    ck_assert_int_eq(lsh_new(SIZE_MAX / 2, 64, 1, &lsh), SH_ENOMEM);
}
END_TEST

/* Random sparse documents: n_docs rows of nnz distinct terms out of V. */
static void random_docs(sh_rng *rng, sh_csr *rows, size_t V, size_t n_docs, size_t nnz)
{
    uint32_t *perm = malloc(V * sizeof *perm);
    uint32_t *terms = malloc(nnz * sizeof *terms);
    float *weights = malloc(nnz * sizeof *weights);
    ck_assert_int_eq(csr_init(rows, V), 0);
    for (size_t j = 0; j < V; j++)
        perm[j] = (uint32_t)j;
    for (size_t d = 0; d < n_docs; d++) {
        rng_shuffle_u32(rng, perm, V);
        /* The first nnz of a shuffle, sorted. */
        for (size_t k = 0; k < nnz; k++)
            terms[k] = perm[k];
        for (size_t a = 1; a < nnz; a++)
            for (size_t b = a; b > 0 && terms[b - 1] > terms[b]; b--) {
                uint32_t t = terms[b];
                terms[b] = terms[b - 1];
                terms[b - 1] = t;
            }
        for (size_t k = 0; k < nnz; k++)
            weights[k] = 0.1f + rng_uniform(rng);
        add_row(rows, nnz, terms, weights);
    }
    free(perm);
    free(terms);
    free(weights);
}

/* A near copy of row r of src: same terms, weights jittered by up to
 * +-jitter, the first `swap` terms replaced by others. */
static void near_copy(sh_rng *rng, const sh_csr *src, size_t r, size_t swap, float jitter,
                      sh_csr *dst)
{
    size_t start = src->row_ptr[r], n = src->row_ptr[r + 1] - start;
    uint32_t *terms = malloc(n * sizeof *terms);
    float *weights = malloc(n * sizeof *weights);
    uint8_t *used = calloc(src->cols, 1);
    for (size_t k = 0; k < n; k++)
        used[src->col_idx[start + k]] = 1;
    size_t m = 0;
    for (size_t k = swap; k < n; k++) {
        terms[m] = src->col_idx[start + k];
        weights[m++] = src->values[start + k] * (1.0f + jitter * (2 * rng_uniform(rng) - 1));
    }
    for (size_t k = 0; k < swap; k++) {
        uint32_t t;
        do
            t = (uint32_t)rng_below(rng, src->cols);
        while (used[t]);
        used[t] = 1;
        /* insert in order */
        size_t at = m;
        while (at > 0 && terms[at - 1] > t) {
            terms[at] = terms[at - 1];
            weights[at] = weights[at - 1];
            at--;
        }
        terms[at] = t;
        weights[at] = 0.1f + rng_uniform(rng);
        m++;
    }
    add_row(dst, m, terms, weights);
    free(terms);
    free(weights);
    free(used);
}

/* Cosine of rows a of A and b of B (both sorted sparse rows). */
static double cosine(const sh_csr *A, size_t a, const sh_csr *B, size_t b)
{
    double dot = 0, na = 0, nb = 0;
    size_t i = A->row_ptr[a], ie = A->row_ptr[a + 1], j = B->row_ptr[b], je = B->row_ptr[b + 1];
    for (size_t k = i; k < ie; k++)
        na += (double)A->values[k] * A->values[k];
    for (size_t k = j; k < je; k++)
        nb += (double)B->values[k] * B->values[k];
    while (i < ie && j < je) {
        if (A->col_idx[i] == B->col_idx[j])
            dot += (double)A->values[i++] * B->values[j++];
        else if (A->col_idx[i] < B->col_idx[j])
            i++;
        else
            j++;
    }
    return dot / sqrt(na * nb);
}

START_TEST(similar_documents_get_closer_codes)
{
    enum { V = 3000, DOCS = 300, NNZ = 40, BITS = 64 };
    sh_rng rng;
    rng_seed(&rng, 17);
    sh_csr base, near;
    random_docs(&rng, &base, V, DOCS, NNZ);
    ck_assert_int_eq(csr_init(&near, V), 0);
    for (size_t d = 0; d < DOCS; d++)
        near_copy(&rng, &base, d, 4, 0.2f, &near);
    uint64_t *hashes = malloc(V * sizeof *hashes);
    for (size_t j = 0; j < V; j++)
        hashes[j] = rng_u64(&rng);
    sh_lsh *lsh = NULL;
    ck_assert_int_eq(lsh_new(V, BITS, 5, &lsh), 0);

    sh_code *cb = malloc(DOCS * sizeof *cb), *cn = malloc(DOCS * sizeof *cn);
    for (int enc = 0; enc < 2; enc++) {
        if (enc == 0) {
            ck_assert_int_eq(simhash_encode(&base, hashes, BITS, cb), 0);
            ck_assert_int_eq(simhash_encode(&near, hashes, BITS, cn), 0);
        } else {
            ck_assert_int_eq(lsh_encode(lsh, &base, cb), 0);
            ck_assert_int_eq(lsh_encode(lsh, &near, cn), 0);
        }
        double similar = 0, unrelated = 0, expected_similar = 0, expected_unrelated = 0;
        for (size_t d = 0; d < DOCS; d++) {
            size_t other = (d + 1 + (size_t)rng_below(&rng, DOCS - 1)) % DOCS;
            similar += code_hamming(&cb[d], &cn[d]);
            unrelated += code_hamming(&cb[d], &cb[other]);
            expected_similar += acos(fmin(1.0, cosine(&base, d, &near, d))) / M_PI * BITS;
            expected_unrelated += acos(fmin(1.0, cosine(&base, d, &base, other))) / M_PI * BITS;
        }
        similar /= DOCS;
        unrelated /= DOCS;
        expected_similar /= DOCS;
        expected_unrelated /= DOCS;
        ck_assert_msg(similar < 0.5 * unrelated, "encoder %d: similar %.2f, unrelated %.2f",
                      enc, similar, unrelated);
        ck_assert_msg(unrelated > 0.4 * BITS && unrelated < 0.6 * BITS,
                      "encoder %d: unrelated %.2f", enc, unrelated);
        if (enc == 1) {
            /* LSH: E[Hamming] = bits * angle / pi (Charikar). */
            ck_assert_msg(fabs(similar - expected_similar) < 1.5,
                          "lsh similar %.2f, theory %.2f", similar, expected_similar);
            ck_assert_msg(fabs(unrelated - expected_unrelated) < 2.0,
                          "lsh unrelated %.2f, theory %.2f", unrelated, expected_unrelated);
        }
    }
    free(cb);
    free(cn);
    free(hashes);
    lsh_free(lsh);
    csr_free(&base);
    csr_free(&near);
}
END_TEST

START_TEST(lsh_matches_naive_dense_projection)
{
    enum { V = 200, DOCS = 50, BITS = 128 };
    sh_rng rng;
    rng_seed(&rng, 23);
    sh_csr rows;
    random_docs(&rng, &rows, V, DOCS, 30);
    sh_lsh *lsh = NULL;
    ck_assert_int_eq(lsh_new(V, BITS, 77, &lsh), 0);
    sh_code codes[DOCS];
    ck_assert_int_eq(lsh_encode(lsh, &rows, codes), 0);
    double *dense = calloc(V, sizeof *dense);
    int checked = 0;
    for (size_t d = 0; d < DOCS; d++) {
        memset(dense, 0, V * sizeof *dense);
        for (size_t e = rows.row_ptr[d]; e < rows.row_ptr[d + 1]; e++)
            dense[rows.col_idx[e]] = rows.values[e];
        for (int i = 0; i < BITS; i++) {
            double dot = 0;
            for (size_t j = 0; j < V; j++)
                dot += dense[j] * lsh_weight(lsh, j, i);
            if (fabs(dot) < 1e-6)
                continue; /* too close to call */
            ck_assert_int_eq(code_get_bit(&codes[d], i), dot > 0);
            checked++;
        }
    }
    ck_assert_int_gt(checked, DOCS * BITS * 9 / 10);
    free(dense);
    lsh_free(lsh);
    csr_free(&rows);
}
END_TEST

START_TEST(lsh_is_deterministic_and_saves)
{
    enum { V = 300, BITS = 64 };
    sh_lsh *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(lsh_new(V, BITS, 1234, &a), 0);
    ck_assert_int_eq(lsh_new(V, BITS, 1234, &b), 0);
    ck_assert_int_eq(lsh_new(V, BITS, 1235, &c), 0);
    int differ = 0;
    for (size_t j = 0; j < V; j++)
        for (int i = 0; i < BITS; i++) {
            ck_assert(lsh_weight(a, j, i) == lsh_weight(b, j, i));
            differ += lsh_weight(a, j, i) != lsh_weight(c, j, i);
        }
    ck_assert_int_gt(differ, V * BITS / 2);
    /* The entries look like N(0, 1). */
    double sum = 0, sq = 0;
    for (size_t j = 0; j < V; j++)
        for (int i = 0; i < BITS; i++) {
            sum += lsh_weight(a, j, i);
            sq += (double)lsh_weight(a, j, i) * lsh_weight(a, j, i);
        }
    double n = (double)V * BITS;
    ck_assert(fabs(sum / n) < 0.05 && fabs(sq / n - 1.0) < 0.05);

    /* Save, read back, same codes. */
    mf_writer *w = NULL;
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(lsh_save(a, w), 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    mf_model *m = NULL;
    char err[512];
    ck_assert_int_eq(mf_read_buffer(buf, len, "lsh model", &m, err, sizeof err), 0);
    sh_lsh *loaded = NULL;
    ck_assert_int_eq(lsh_load(m, &loaded, err, sizeof err), 0);
    ck_assert(lsh_seed(loaded) == 1234);
    sh_rng rng;
    rng_seed(&rng, 8);
    sh_csr rows;
    random_docs(&rng, &rows, V, 40, 20);
    sh_code ca[40], cl[40];
    ck_assert_int_eq(lsh_encode(a, &rows, ca), 0);
    ck_assert_int_eq(lsh_encode(loaded, &rows, cl), 0);
    ck_assert(memcmp(ca, cl, sizeof ca) == 0);
    lsh_free(loaded);
    mf_model_free(m);
    free(buf);

    /* Bad sections: wrong length, bad bits, forged checksum, missing. */
    struct { int bits; uint64_t vocab; int forge; int short_by; int want; } bad[] = {
        { 64, V, 0, 4, SH_EFORMAT },
        { 60, V, 0, 0, SH_EFORMAT },
        { 64, 0, 0, 0, SH_EFORMAT },
        { 64, (uint64_t)LSH_MAX_VOCAB + 1, 0, 0, SH_EFORMAT },
        { 64, V, 1, 0, SH_EMODEL },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
        ck_assert_int_eq(mf_writer_begin(w, LSH_SECTION), 0);
        ck_assert_int_eq(mf_put_u64(w, bad[k].vocab), 0);
        ck_assert_int_eq(mf_put_u32(w, (uint32_t)bad[k].bits), 0);
        if (bad[k].short_by == 0) {
            ck_assert_int_eq(mf_put_u64(w, 1234), 0);
            ck_assert_int_eq(mf_put_u64(w, bad[k].forge ? 42 : 0), 0);
        } else {
            ck_assert_int_eq(mf_put_u64(w, 1234), 0);
        }
        ck_assert_int_eq(mf_writer_end(w), 0);
        ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
        mf_writer_free(w);
        ck_assert_int_eq(mf_read_buffer(buf, len, "bad lsh", &m, err, sizeof err), 0);
        loaded = NULL;
        ck_assert_int_eq(lsh_load(m, &loaded, err, sizeof err), bad[k].want);
        ck_assert_ptr_null(loaded);
        ck_assert(strncmp(err, "bad lsh: ", 9) == 0);
        mf_model_free(m);
        free(buf);
    }
    ck_assert_int_eq(mf_writer_new(MF_KIND_HASHER, &w), 0);
    ck_assert_int_eq(mf_writer_finish(w, &buf, &len), 0);
    mf_writer_free(w);
    ck_assert_int_eq(mf_read_buffer(buf, len, "empty", &m, err, sizeof err), 0);
    ck_assert_int_eq(lsh_load(m, &loaded, err, sizeof err), SH_ENOTFOUND);
    mf_model_free(m);
    free(buf);

    csr_free(&rows);
    lsh_free(a);
    lsh_free(b);
    lsh_free(c);
}
END_TEST

Suite *baseline_hash_suite(void)
{
    Suite *s = suite_create("baseline_hash");
    TCase *core = tcase_create("core");
    tcase_add_test(core, simhash_one_term_gives_its_hash_bits);
    tcase_add_test(core, simhash_follows_the_heavier_term_and_defines_empty);
    tcase_add_test(core, lsh_on_a_hyperplane_direction_sets_that_bit);
    tcase_add_test(core, lsh_matches_naive_dense_projection);
    tcase_add_test(core, lsh_is_deterministic_and_saves);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, similar_documents_get_closer_codes);
    suite_add_tcase(s, limits);
    return s;
}
