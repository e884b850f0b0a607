/* metrics.c — ranking and radius metrics over codes and tf-idf rows. */
#include "metrics.h"
#include "rng.h"
#include "sh_error.h"

#include <stdlib.h>
#include <string.h>

/* ---- label sets --------------------------------------------------------- */

int metrics_labels_init(metrics_labels *l)
{
    memset(l, 0, sizeof(*l));
    l->ptr_cap = 64;
    l->ptr = calloc(l->ptr_cap + 1, sizeof(size_t));
    return l->ptr ? 0 : SH_ENOMEM;
}

void metrics_labels_free(metrics_labels *l)
{
    if (l == NULL)
        return;
    free(l->ptr);
    free(l->ids);
    memset(l, 0, sizeof(*l));
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int metrics_labels_append(metrics_labels *l, const uint32_t *ids, size_t n)
{
    if (l->n == l->ptr_cap) {
        size_t cap = l->ptr_cap * 2;
        size_t *p = realloc(l->ptr, (cap + 1) * sizeof(size_t));
        if (p == NULL)
            return SH_ENOMEM;
        l->ptr = p;
        l->ptr_cap = cap;
    }
    size_t start = l->ptr[l->n];
    if (start + n > l->ids_cap) {
        size_t cap = l->ids_cap ? l->ids_cap : 64;
        while (cap < start + n)
            cap *= 2;
        uint32_t *p = realloc(l->ids, cap * sizeof(uint32_t));
        if (p == NULL)
            return SH_ENOMEM;
        l->ids = p;
        l->ids_cap = cap;
    }
    uint32_t *dst = l->ids + start;
    if (n > 0)
        memcpy(dst, ids, n * sizeof(uint32_t));
    qsort(dst, n, sizeof(uint32_t), compare_u32);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || dst[kept - 1] != dst[i])
            dst[kept++] = dst[i];
    l->ptr[l->n + 1] = start + kept;
    l->n++;
    return 0;
}

int metrics_labels_append_names(metrics_labels *l, text_strtab *names,
                                const char *const *labels, size_t n)
{
    uint32_t small[16];
    uint32_t *ids = n <= 16 ? small : malloc(n * sizeof(uint32_t));
    if (ids == NULL)
        return SH_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = text_strtab_intern(names, labels[i], strlen(labels[i]), &ids[i], NULL);
    if (rc == 0)
        rc = metrics_labels_append(l, ids, n);
    if (ids != small)
        free(ids);
    return rc;
}

int metrics_labels_share(const metrics_labels *a, size_t i, const metrics_labels *b, size_t j)
{
    size_t x = a->ptr[i], xe = a->ptr[i + 1];
    size_t y = b->ptr[j], ye = b->ptr[j + 1];
    while (x < xe && y < ye) {
        if (a->ids[x] == b->ids[y])
            return 1;
        if (a->ids[x] < b->ids[y])
            x++;
        else
            y++;
    }
    return 0;
}

/* ---- ranking ------------------------------------------------------------ */

typedef struct {
    float key;     /* smaller ranks first */
    uint32_t tie;  /* position in the seeded permutation */
    uint32_t idx;  /* database index */
} ranked;

static int ranked_before(const ranked *a, const ranked *b)
{
    return a->key < b->key || (a->key == b->key && a->tie < b->tie);
}

static int compare_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return ranked_before(a, b) ? -1 : ranked_before(b, a) ? 1 : 0;
}

/* Max-heap on "worse": the root is the worst of the kept candidates. */
static void sift_down(ranked *heap, size_t n, size_t i)
{
    for (;;) {
        size_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && ranked_before(&heap[worst], &heap[l]))
            worst = l;
        if (r < n && ranked_before(&heap[worst], &heap[r]))
            worst = r;
        if (worst == i)
            return;
        ranked t = heap[i];
        heap[i] = heap[worst];
        heap[worst] = t;
        i = worst;
    }
}

static void sift_up(ranked *heap, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ranked_before(&heap[parent], &heap[i]))
            return;
        ranked t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
    }
}

/* Fills keys[n_db] for query q. */
typedef void (*key_fn)(const void *ctx, size_t q, float *keys);

typedef struct {
    const sh_code *queries, *db;
    size_t n_db;
} hamming_ctx;

static void hamming_keys(const void *ctx, size_t q, float *keys)
{
    const hamming_ctx *h = ctx;
    for (size_t j = 0; j < h->n_db; j++)
        keys[j] = (float)code_hamming(&h->queries[q], &h->db[j]);
}

/* Cosine by an inverted index: the database transposed into postings
 * (per column: the rows that have it, with their values), so a query
 * touches only the rows sharing one of its terms. */
typedef struct {
    const sh_csr *queries;
    size_t n_db;
    size_t *col_ptr;     /* cols + 2 entries */
    uint32_t *post_row;  /* nnz entries */
    float *post_val;     /* nnz entries */
    double *score;       /* n_db entries */
} cosine_ctx;

static void cosine_keys(const void *ctx, size_t q, float *keys)
{
    const cosine_ctx *c = ctx;
    const sh_csr *Q = c->queries;
    memset(c->score, 0, c->n_db * sizeof(double));
    for (size_t e = Q->row_ptr[q]; e < Q->row_ptr[q + 1]; e++) {
        uint32_t col = Q->col_idx[e];
        double qv = Q->values[e];
        for (size_t p = c->col_ptr[col]; p < c->col_ptr[col + 1]; p++)
            c->score[c->post_row[p]] += qv * c->post_val[p];
    }
    for (size_t j = 0; j < c->n_db; j++)
        keys[j] = (float)-c->score[j]; /* larger cosine ranks first */
}

/* Fills the postings of ctx from db. Returns 0 or SH_ENOMEM. */
static int build_postings(cosine_ctx *c, const sh_csr *db)
{
    c->n_db = db->rows;
    c->col_ptr = calloc(db->cols + 2, sizeof(size_t));
    c->post_row = malloc((db->nnz ? db->nnz : 1) * sizeof(uint32_t));
    c->post_val = malloc((db->nnz ? db->nnz : 1) * sizeof(float));
    c->score = malloc((db->rows ? db->rows : 1) * sizeof(double));
    if (!c->col_ptr || !c->post_row || !c->post_val || !c->score)
        return SH_ENOMEM;
    for (size_t e = 0; e < db->nnz; e++)
        c->col_ptr[db->col_idx[e] + 2]++;
    for (size_t k = 2; k < db->cols + 2; k++)
        c->col_ptr[k] += c->col_ptr[k - 1];
    /* col_ptr[k + 1] is now the start of column k: fill and advance it */
    for (size_t r = 0; r < db->rows; r++) {
        for (size_t e = db->row_ptr[r]; e < db->row_ptr[r + 1]; e++) {
            size_t at = c->col_ptr[db->col_idx[e] + 1]++;
            c->post_row[at] = (uint32_t)r;
            c->post_val[at] = db->values[e];
        }
    }
    return 0;
}

static int rank_and_score(key_fn fill, const void *ctx,
                          const metrics_labels *query_labels, size_t n_q,
                          const metrics_labels *db_labels, size_t n_db,
                          const size_t *ks, size_t n_k, uint64_t seed,
                          double *precision, double *map)
{
    if (n_q == 0 || n_db == 0 || n_k == 0 || n_db > UINT32_MAX ||
        query_labels->n != n_q || db_labels->n != n_db)
        return SH_EINVAL;
    size_t max_k = 0;
    for (size_t i = 0; i < n_k; i++) {
        if (ks[i] == 0)
            return SH_EINVAL;
        if (ks[i] > max_k)
            max_k = ks[i];
    }
    if (max_k > n_db)
        max_k = n_db;
    int rc = SH_ENOMEM;
    float *keys = malloc(n_db * sizeof(float));
    uint32_t *tie = malloc(n_db * sizeof(uint32_t));
    uint32_t *perm = malloc(n_db * sizeof(uint32_t));
    ranked *heap = malloc(max_k * sizeof(ranked));
    unsigned char *rel = malloc(max_k);
    if (!keys || !tie || !perm || !heap || !rel)
        goto done;
    sh_rng rng;
    rng_seed(&rng, seed);
    for (size_t j = 0; j < n_db; j++)
        perm[j] = (uint32_t)j;
    rng_shuffle_u32(&rng, perm, n_db);
    for (size_t j = 0; j < n_db; j++)
        tie[perm[j]] = (uint32_t)j;
    for (size_t i = 0; i < n_k; i++)
        precision[i] = map[i] = 0.0;

    for (size_t q = 0; q < n_q; q++) {
        fill(ctx, q, keys);
        size_t size = 0;
        for (size_t j = 0; j < n_db; j++) {
            ranked c = { keys[j], tie[j], (uint32_t)j };
            if (size < max_k) {
                heap[size] = c;
                sift_up(heap, size++);
            } else if (ranked_before(&c, &heap[0])) {
                heap[0] = c;
                sift_down(heap, size, 0);
            }
        }
        qsort(heap, size, sizeof(ranked), compare_ranked);
        for (size_t i = 0; i < size; i++)
            rel[i] = (unsigned char)metrics_labels_share(query_labels, q, db_labels, heap[i].idx);
        for (size_t m = 0; m < n_k; m++) {
            size_t k = ks[m] < n_db ? ks[m] : n_db;
            size_t hits = 0;
            double ap = 0.0;
            for (size_t i = 0; i < k; i++) {
                if (rel[i]) {
                    hits++;
                    ap += (double)hits / (double)(i + 1);
                }
            }
            precision[m] += (double)hits / (double)k;
            map[m] += hits ? ap / (double)hits : 0.0;
        }
    }
    for (size_t m = 0; m < n_k; m++) {
        precision[m] /= (double)n_q;
        map[m] /= (double)n_q;
    }
    rc = 0;
done:
    free(keys);
    free(tie);
    free(perm);
    free(heap);
    free(rel);
    return rc;
}

int metrics_hamming_rank(const sh_code *queries, const metrics_labels *query_labels, size_t n_q,
                         const sh_code *db, const metrics_labels *db_labels, size_t n_db,
                         const size_t *ks, size_t n_k, uint64_t seed,
                         double *precision, double *map)
{
    hamming_ctx ctx = { queries, db, n_db };
    return rank_and_score(hamming_keys, &ctx, query_labels, n_q, db_labels, n_db,
                          ks, n_k, seed, precision, map);
}

int metrics_cosine_rank(const sh_csr *queries, const metrics_labels *query_labels,
                        const sh_csr *db, const metrics_labels *db_labels,
                        const size_t *ks, size_t n_k, uint64_t seed,
                        double *precision, double *map)
{
    if (queries->cols != db->cols || db->rows > UINT32_MAX)
        return SH_EINVAL;
    cosine_ctx ctx = { queries, 0, NULL, NULL, NULL, NULL };
    int rc = build_postings(&ctx, db);
    if (rc == 0)
        rc = rank_and_score(cosine_keys, &ctx, query_labels, queries->rows, db_labels,
                            db->rows, ks, n_k, seed, precision, map);
    free(ctx.col_ptr);
    free(ctx.post_row);
    free(ctx.post_val);
    free(ctx.score);
    return rc;
}

/* ---- radius ---------------------------------------------------------------- */

#define MAX_DISTANCE SH_CODE_MAX_BITS

int metrics_hamming_radius(const sh_code *queries, const metrics_labels *query_labels, size_t n_q,
                           const sh_code *db, const metrics_labels *db_labels, size_t n_db,
                           int max_radius, metrics_radius_row *rows)
{
    if (n_q == 0 || n_db == 0 || max_radius < 0 || max_radius > MAX_DISTANCE ||
        query_labels->n != n_q || db_labels->n != n_db)
        return SH_EINVAL;
    size_t R = (size_t)max_radius + 1;
    double *prec_sum = calloc(R, sizeof(double)), *rec_sum = calloc(R, sizeof(double));
    size_t *nonempty = calloc(R, sizeof(size_t)), *results = calloc(R, sizeof(size_t));
    int rc = SH_ENOMEM;
    if (!prec_sum || !rec_sum || !nonempty || !results)
        goto done;
    size_t with_relevant = 0;
    for (size_t q = 0; q < n_q; q++) {
        size_t all[MAX_DISTANCE + 1] = { 0 }, relevant[MAX_DISTANCE + 1] = { 0 };
        size_t total_relevant = 0;
        for (size_t j = 0; j < n_db; j++) {
            int d = code_hamming(&queries[q], &db[j]);
            int r = metrics_labels_share(query_labels, q, db_labels, j);
            all[d]++;
            relevant[d] += (size_t)r;
            total_relevant += (size_t)r;
        }
        with_relevant += total_relevant > 0;
        size_t in_ball = 0, rel_in_ball = 0;
        for (size_t r = 0; r < R; r++) {
            in_ball += all[r];
            rel_in_ball += relevant[r];
            results[r] += in_ball;
            if (in_ball > 0) {
                nonempty[r]++;
                prec_sum[r] += (double)rel_in_ball / (double)in_ball;
            }
            if (total_relevant > 0)
                rec_sum[r] += (double)rel_in_ball / (double)total_relevant;
        }
    }
    for (size_t r = 0; r < R; r++) {
        rows[r].radius = (int)r;
        rows[r].precision = nonempty[r] ? prec_sum[r] / (double)nonempty[r] : 0.0;
        rows[r].recall = with_relevant ? rec_sum[r] / (double)with_relevant : 0.0;
        rows[r].mean_results = (double)results[r] / (double)n_q;
        rows[r].empty_fraction = (double)(n_q - nonempty[r]) / (double)n_q;
    }
    rc = 0;
done:
    free(prec_sum);
    free(rec_sum);
    free(nonempty);
    free(results);
    return rc;
}

int metrics_near_duplicates(const sh_code *queries, const size_t *original, size_t n_q,
                            const sh_code *db, size_t n_db, int max_radius,
                            metrics_dup_row *rows)
{
    if (n_q == 0 || n_db == 0 || max_radius < 0 || max_radius > MAX_DISTANCE)
        return SH_EINVAL;
    for (size_t q = 0; q < n_q; q++)
        if (original[q] >= n_db)
            return SH_EINVAL;
    size_t R = (size_t)max_radius + 1;
    size_t *found = calloc(R, sizeof(size_t)), *others = calloc(R, sizeof(size_t));
    if (!found || !others) {
        free(found);
        free(others);
        return SH_ENOMEM;
    }
    for (size_t q = 0; q < n_q; q++) {
        size_t all[MAX_DISTANCE + 1] = { 0 };
        for (size_t j = 0; j < n_db; j++)
            all[code_hamming(&queries[q], &db[j])]++;
        size_t own = (size_t)code_hamming(&queries[q], &db[original[q]]);
        size_t in_ball = 0;
        for (size_t r = 0; r < R; r++) {
            in_ball += all[r];
            int hit = own <= r;
            found[r] += (size_t)hit;
            others[r] += in_ball - (size_t)hit;
        }
    }
    for (size_t r = 0; r < R; r++) {
        rows[r].radius = (int)r;
        rows[r].recall = (double)found[r] / (double)n_q;
        rows[r].false_per_query = (double)others[r] / (double)n_q;
    }
    free(found);
    free(others);
    return 0;
}
