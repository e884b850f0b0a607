/* hash_neighbours.c — nearest-neighbour lists of tf-idf rows and the
 * training targets built from them (hash_neighbours.h). */
#include "hash_neighbours.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "itq.h"
#include "sh_error.h"

/* Scores held at once by hash_neighbours_pca: query rows per block times
 * database rows (64 MiB of floats). */
#define NEIGHBOUR_BLOCK_SCORES ((size_t)1 << 24)

/* ---- by tf-idf cosine: an inverted index ---------------------------------- */

/* Inverted index of db: postings of column c are [start[c], start[c+1]). */
typedef struct {
    size_t *start;   /* [V + 1] */
    uint32_t *doc;   /* [nnz] */
    float *weight;   /* [nnz] */
} postings;

static void postings_free(postings *p)
{
    free(p->start);
    free(p->doc);
    free(p->weight);
}

static int postings_build(postings *p, const sh_csr *db)
{
    size_t V = db->cols, nnz = db->row_ptr[db->rows];
    p->start = calloc(V + 1, sizeof(size_t));
    p->doc = malloc((nnz ? nnz : 1) * sizeof(uint32_t));
    p->weight = malloc((nnz ? nnz : 1) * sizeof(float));
    if (p->start == NULL || p->doc == NULL || p->weight == NULL)
        return SH_ENOMEM;
    for (size_t e = 0; e < nnz; e++)
        p->start[db->col_idx[e] + 1]++;
    for (size_t c = 0; c < V; c++)
        p->start[c + 1] += p->start[c];
    size_t *fill = malloc((V ? V : 1) * sizeof(size_t));
    if (fill == NULL)
        return SH_ENOMEM;
    memcpy(fill, p->start, V * sizeof(size_t));
    for (size_t r = 0; r < db->rows; r++)
        for (size_t e = db->row_ptr[r]; e < db->row_ptr[r + 1]; e++) {
            size_t at = fill[db->col_idx[e]]++;
            p->doc[at] = (uint32_t)r;
            p->weight[at] = db->values[e];
        }
    free(fill);
    return 0;
}

/* Inserts (score, id) into the best-first list top[0..*len) of capacity n:
 * higher score first, lower id first among equals. */
static void top_insert(float *score, uint32_t *id, size_t *len, size_t n, float s, uint32_t d)
{
    size_t at = *len;
    while (at > 0 && (score[at - 1] < s || (score[at - 1] == s && id[at - 1] > d)))
        at--;
    if (at >= n)
        return;
    size_t last = *len < n ? *len : n - 1;
    for (size_t i = last; i > at; i--) {
        score[i] = score[i - 1];
        id[i] = id[i - 1];
    }
    score[at] = s;
    id[at] = d;
    if (*len < n)
        (*len)++;
}

int hash_neighbours(const sh_csr *queries, const sh_csr *db, size_t n, int exclude_self,
                    uint32_t *nbr)
{
    if (n == 0 || queries->cols != db->cols)
        return SH_EINVAL;
    postings p = { NULL, NULL, NULL };
    float *acc = calloc(db->rows ? db->rows : 1, sizeof(float));  /* [N_db] */
    uint32_t *touched = malloc((db->rows ? db->rows : 1) * sizeof(uint32_t));
    float *score = malloc(n * sizeof(float));
    uint32_t *id = malloc(n * sizeof(uint32_t));
    int rc = SH_ENOMEM;
    if (acc == NULL || touched == NULL || score == NULL || id == NULL ||
        postings_build(&p, db) != 0)
        goto fail;
    for (size_t q = 0; q < queries->rows; q++) {
        size_t n_touched = 0, len = 0;
        for (size_t e = queries->row_ptr[q]; e < queries->row_ptr[q + 1]; e++) {
            uint32_t c = queries->col_idx[e];
            float w = queries->values[e];
            for (size_t k = p.start[c]; k < p.start[c + 1]; k++) {
                uint32_t d = p.doc[k];
                if (acc[d] == 0.0f)
                    touched[n_touched++] = d;
                acc[d] += w * p.weight[k];
                if (acc[d] == 0.0f) /* cancelled to exactly 0: keep it marked */
                    acc[d] = 1e-30f;
            }
        }
        for (size_t t = 0; t < n_touched; t++) {
            uint32_t d = touched[t];
            if (!(exclude_self && d == q) && acc[d] > 0.0f)
                top_insert(score, id, &len, n, acc[d], d);
            acc[d] = 0.0f;
        }
        for (size_t i = 0; i < n; i++)
            nbr[q * n + i] = i < len ? id[i] : UINT32_MAX;
    }
    rc = 0;
fail:
    postings_free(&p);
    free(acc);
    free(touched);
    free(score);
    free(id);
    return rc;
}

/* ---- by cosine in the principal subspace --------------------------------- */

/* Scales each of the n rows of z[n, D] to unit length (zero rows stay 0). */
static void normalise_rows(float *z, size_t n, size_t D)
{
    for (size_t r = 0; r < n; r++) {
        float *row = z + r * D;
        double ss = 0.0;
        for (size_t k = 0; k < D; k++)
            ss += (double)row[k] * row[k];
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t k = 0; k < D; k++)
            row[k] *= inv;
    }
}

int hash_neighbours_pca(const sh_csr *queries, const sh_csr *db, size_t n, int exclude_self,
                        int dims, uint64_t seed, uint32_t *nbr)
{
    if (n == 0 || dims < 0 || queries->cols != db->cols)
        return SH_EINVAL;
    /* the widest subspace the fit allows: a code width (multiple of 8, at
     * most 128), fewer dimensions than db rows, no more than columns */
    size_t D = (size_t)dims < SH_CODE_MAX_BITS ? (size_t)dims : SH_CODE_MAX_BITS;
    if (D > (db->rows > 0 ? db->rows - 1 : 0))
        D = db->rows > 0 ? db->rows - 1 : 0;
    if (D > db->cols)
        D = db->cols;
    D = D / 8 * 8;
    if (D == 0)
        return hash_neighbours(queries, db, n, exclude_self, nbr);
    size_t nq = queries->rows, nd = db->rows;
    size_t block = NEIGHBOUR_BLOCK_SCORES / nd ? NEIGHBOUR_BLOCK_SCORES / nd : 1;
    if (block > nq)
        block = nq ? nq : 1;
    sh_itq *pca = NULL;
    float *zq = malloc((nq ? nq : 1) * D * sizeof(float));
    float *zd = malloc(nd * D * sizeof(float));
    float *dots = malloc(block * nd * sizeof(float));
    float *score = malloc(n * sizeof(float));
    uint32_t *id = malloc(n * sizeof(uint32_t));
    int rc = SH_ENOMEM;
    if (zq == NULL || zd == NULL || dots == NULL || score == NULL || id == NULL)
        goto done;
    /* iterations 0: the principal subspace under a random rotation, which
     * leaves cosines as they are */
    if ((rc = itq_fit(db, (int)D, 0, seed, &pca, NULL)) != 0 ||
        (rc = itq_project(pca, queries, zq)) != 0 || (rc = itq_project(pca, db, zd)) != 0)
        goto done;
    normalise_rows(zq, nq, D);
    normalise_rows(zd, nd, D);
    for (size_t first = 0; first < nq; first += block) {
        size_t rows = nq - first < block ? nq - first : block;
        mat_gemm(0, 1, rows, nd, D, 1.0f, zq + first * D, D, zd, D, 0.0f, dots, nd);
        for (size_t r = 0; r < rows; r++) {
            size_t q = first + r, len = 0;
            const float *s = dots + r * nd;
            for (size_t d = 0; d < nd; d++)
                if (!(exclude_self && d == q) && (len < n || s[d] > score[len - 1]))
                    top_insert(score, id, &len, n, s[d], (uint32_t)d);
            for (size_t i = 0; i < n; i++)
                nbr[q * n + i] = i < len ? id[i] : UINT32_MAX;
        }
    }
    rc = 0;
done:
    itq_free(pca);
    free(zq);
    free(zd);
    free(dots);
    free(score);
    free(id);
    return rc;
}

/* ---- gate and targets ------------------------------------------------------ */

/* Dot product of rows a and b of m (column indices increasing). */
static double row_dot(const sh_csr *m, size_t a, size_t b)
{
    size_t i = m->row_ptr[a], ie = m->row_ptr[a + 1], j = m->row_ptr[b], je = m->row_ptr[b + 1];
    double dot = 0.0;
    while (i < ie && j < je) {
        if (m->col_idx[i] < m->col_idx[j])
            i++;
        else if (m->col_idx[i] > m->col_idx[j])
            j++;
        else
            dot += (double)m->values[i++] * m->values[j++];
    }
    return dot;
}

void hash_neighbours_gate(uint32_t *nbr, size_t n, const sh_csr *rows, double min_sim)
{
    for (size_t i = 0; i < rows->rows; i++)
        for (size_t k = 0; k < n; k++) {
            uint32_t j = nbr[i * n + k];
            if (j != UINT32_MAX && row_dot(rows, i, j) < min_sim)
                for (; k < n; k++)
                    nbr[i * n + k] = UINT32_MAX;
        }
}

int hash_neighbour_targets(sh_csr *out, const sh_csr *counts, const uint32_t *nbr,
                           size_t n_nbr, double weight)
{
    size_t V = counts->cols;
    float *row = calloc(V ? V : 1, sizeof(float));      /* [V] dense scratch */
    uint8_t *seen = calloc(V ? V : 1, 1);
    uint32_t *cols = malloc((V ? V : 1) * sizeof(uint32_t));
    float *vals = malloc((V ? V : 1) * sizeof(float));
    int rc = SH_ENOMEM;
    if (row == NULL || seen == NULL || cols == NULL || vals == NULL)
        goto fail;
    for (size_t i = 0; i < counts->rows; i++) {
        size_t used = 0, m = 0;
        double own = 0.0;
        for (size_t e = counts->row_ptr[i]; e < counts->row_ptr[i + 1]; e++) {
            uint32_t c = counts->col_idx[e];
            row[c] += counts->values[e];
            own += counts->values[e];
            if (!seen[c]) {
                seen[c] = 1;
                cols[used++] = c;
            }
        }
        for (size_t k = 0; k < n_nbr; k++)
            m += nbr[i * n_nbr + k] != UINT32_MAX;
        for (size_t k = 0; k < n_nbr && m > 0; k++) {
            uint32_t j = nbr[i * n_nbr + k];
            if (j == UINT32_MAX)
                continue;
            double total = 0.0;
            for (size_t e = counts->row_ptr[j]; e < counts->row_ptr[j + 1]; e++)
                total += counts->values[e];
            if (total <= 0)
                continue;
            float scale = (float)(weight * own / ((double)m * total));
            for (size_t e = counts->row_ptr[j]; e < counts->row_ptr[j + 1]; e++) {
                uint32_t c = counts->col_idx[e];
                row[c] += scale * counts->values[e];
                if (!seen[c]) {
                    seen[c] = 1;
                    cols[used++] = c;
                }
            }
        }
        /* columns in increasing order: a counting pass over the marks is
         * O(V); sorting the used list is cheaper for short rows */
        for (size_t a = 1; a < used; a++) {
            uint32_t c = cols[a];
            size_t b = a;
            while (b > 0 && cols[b - 1] > c) {
                cols[b] = cols[b - 1];
                b--;
            }
            cols[b] = c;
        }
        for (size_t a = 0; a < used; a++) {
            vals[a] = row[cols[a]];
            row[cols[a]] = 0.0f;
            seen[cols[a]] = 0;
        }
        if ((rc = csr_append_row(out, used, cols, vals)) != 0)
            goto fail;
    }
    rc = 0;
fail:
    free(row);
    free(seen);
    free(cols);
    free(vals);
    return rc;
}

