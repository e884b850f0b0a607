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
    size_t kept = 0;
    if (n > 0) { /* (ids may be NULL when n is 0, and so may l->ids) */
        uint32_t *dst = l->ids + start;
        memcpy(dst, ids, n * sizeof(uint32_t));
        qsort(dst, n, sizeof(uint32_t), compare_u32);
        for (size_t i = 0; i < n; i++)
            if (kept == 0 || dst[kept - 1] != dst[i])
                dst[kept++] = dst[i];
    }
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

/* ---- relevance ------------------------------------------------------------ */

/* Relevance of every (query, document) pair through their distinct label
 * sets: corpora have few distinct sets, so a small table of set pairs
 * replaces a merge of label lists per pair. Falls back to the merge when
 * the table would be large. */
typedef struct {
    const metrics_labels *ql, *dl;
    uint32_t *qset, *dset;      /* per query / document: its set's index */
    unsigned char *table;       /* n_qsets x n_dsets, or NULL: merge per pair */
    size_t n_dsets;
} relevance;

#define MAX_SET_TABLE (1u << 24)

/* Numbers the distinct label sets of l into set[] and names (their bytes). */
static int number_sets(const metrics_labels *l, text_strtab *names, uint32_t *set)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *bytes = (const char *)(l->ids + l->ptr[i]);
        int rc = text_strtab_intern(names, bytes, (l->ptr[i + 1] - l->ptr[i]) * sizeof(uint32_t),
                                    &set[i], NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Do two label sets, stored as bytes of sorted uint32 ids, intersect? */
static int sets_share(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t na = a_len / sizeof(uint32_t), nb = b_len / sizeof(uint32_t), x = 0, y = 0;
    while (x < na && y < nb) {
        uint32_t u, v;
        memcpy(&u, a + x * sizeof u, sizeof u);
        memcpy(&v, b + y * sizeof v, sizeof v);
        if (u == v)
            return 1;
        if (u < v)
            x++;
        else
            y++;
    }
    return 0;
}

static void relevance_free(relevance *r)
{
    free(r->qset);
    free(r->dset);
    free(r->table);
}

static int relevance_init(relevance *r, const metrics_labels *ql, const metrics_labels *dl)
{
    memset(r, 0, sizeof(*r));
    r->ql = ql;
    r->dl = dl;
    text_strtab qnames, dnames;
    int rc = SH_ENOMEM;
    int q_ok = text_strtab_init(&qnames) == 0, d_ok = text_strtab_init(&dnames) == 0;
    r->qset = malloc((ql->n ? ql->n : 1) * sizeof(uint32_t));
    r->dset = malloc((dl->n ? dl->n : 1) * sizeof(uint32_t));
    if (!q_ok || !d_ok || !r->qset || !r->dset)
        goto done;
    if ((rc = number_sets(ql, &qnames, r->qset)) != 0 ||
        (rc = number_sets(dl, &dnames, r->dset)) != 0)
        goto done;
    r->n_dsets = dnames.count;
    if (qnames.count * dnames.count <= MAX_SET_TABLE) {
        r->table = malloc(qnames.count * dnames.count + 1);
        if (r->table == NULL) {
            rc = SH_ENOMEM;
            goto done;
        }
        for (uint32_t a = 0; a < qnames.count; a++) {
            size_t la, lb;
            const char *sa = text_strtab_get(&qnames, a, &la);
            for (uint32_t b = 0; b < dnames.count; b++) {
                const char *sb = text_strtab_get(&dnames, b, &lb);
                r->table[(size_t)a * dnames.count + b] = (unsigned char)sets_share(sa, la, sb, lb);
            }
        }
    }
    rc = 0;
done:
    text_strtab_free(&qnames);
    text_strtab_free(&dnames);
    if (rc != 0)
        relevance_free(r);
    return rc;
}

static int is_relevant(const relevance *r, size_t q, size_t j)
{
    if (r->table != NULL)
        return r->table[(size_t)r->qset[q] * r->n_dsets + r->dset[j]];
    return metrics_labels_share(r->ql, q, r->dl, j);
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

/* Writes the indices of the k best database documents for query q into
 * top[], best first, equal scores in the order of the seeded permutation
 * (perm lists documents in that order; tie[j] is document j's position). */
typedef void (*select_fn)(void *ctx, size_t q, const uint32_t *perm, const uint32_t *tie,
                          size_t k, uint32_t *top);

typedef struct {
    const sh_code *queries, *db;
    size_t n_db;
    uint8_t *dist;  /* n_db entries */
} hamming_ctx;

/* A counting sort by distance, visiting documents in permutation order so
 * that ties come out in that order; only the first k places are written. */
static void hamming_select(void *ctx, size_t q, const uint32_t *perm, const uint32_t *tie,
                           size_t k, uint32_t *top)
{
    (void)tie;
    hamming_ctx *h = ctx;
    size_t next[SH_CODE_MAX_BITS + 1] = { 0 };
    for (size_t j = 0; j < h->n_db; j++) {
        int d = code_hamming(&h->queries[q], &h->db[j]);
        h->dist[j] = (uint8_t)d;
        next[d]++;
    }
    size_t acc = 0;
    for (int d = 0; d <= SH_CODE_MAX_BITS; d++) {
        size_t n = next[d];
        next[d] = acc;
        acc += n;
    }
    for (size_t i = 0; i < h->n_db; i++) {
        uint32_t j = perm[i];
        size_t at = next[h->dist[j]]++;
        if (at < k)
            top[at] = j;
    }
}

/* Cosine by an inverted index: the database transposed into postings
 * (per column: the rows that have it, with their values), so a query
 * touches only the rows sharing one of its terms; every other row scores
 * exactly 0. */
typedef struct {
    const sh_csr *queries;
    size_t n_db;
    size_t *col_ptr;     /* cols + 2 entries */
    uint32_t *post_row;  /* nnz entries */
    float *post_val;     /* nnz entries */
    double *score;       /* n_db entries, zero between queries */
    uint32_t *touched;   /* n_db entries: the rows scored for this query */
    unsigned char *touched_mark; /* n_db entries, zero between queries */
    ranked *heap;        /* k entries */
} cosine_ctx;

static void heap_offer(ranked *heap, size_t *size, size_t k, ranked cand)
{
    if (*size < k) {
        heap[*size] = cand;
        sift_up(heap, (*size)++);
    } else if (ranked_before(&cand, &heap[0])) {
        heap[0] = cand;
        sift_down(heap, *size, 0);
    }
}

/* Scores the touched rows, keeps the k best of them in a heap, then adds
 * untouched rows (score 0) in permutation order for as long as they still
 * beat the worst kept one. */
static void cosine_select(void *ctx, size_t q, const uint32_t *perm, const uint32_t *tie,
                          size_t k, uint32_t *top)
{
    cosine_ctx *c = ctx;
    const sh_csr *Q = c->queries;
    size_t n_touched = 0;
    for (size_t e = Q->row_ptr[q]; e < Q->row_ptr[q + 1]; e++) {
        uint32_t col = Q->col_idx[e];
        double qv = Q->values[e];
        for (size_t p = c->col_ptr[col]; p < c->col_ptr[col + 1]; p++) {
            uint32_t row = c->post_row[p];
            if (!c->touched_mark[row]) {
                c->touched_mark[row] = 1;
                c->touched[n_touched++] = row;
            }
            c->score[row] += qv * c->post_val[p];
        }
    }
    ranked *heap = c->heap;
    size_t size = 0;
    for (size_t i = 0; i < n_touched; i++) {
        uint32_t j = c->touched[i];
        ranked cand = { (float)-c->score[j], tie[j], j }; /* larger cosine first */
        heap_offer(heap, &size, k, cand);
    }
    for (size_t i = 0; i < c->n_db; i++) {
        uint32_t j = perm[i];
        if (c->touched_mark[j])
            continue;
        ranked cand = { 0.0f, tie[j], j };
        if (size == k && !ranked_before(&cand, &heap[0]))
            break; /* later untouched rows have larger ties: none can enter */
        heap_offer(heap, &size, k, cand);
    }
    for (size_t i = 0; i < n_touched; i++) {
        c->score[c->touched[i]] = 0.0;
        c->touched_mark[c->touched[i]] = 0;
    }
    qsort(heap, size, sizeof(ranked), compare_ranked);
    for (size_t i = 0; i < size; i++)
        top[i] = heap[i].idx;
}

/* Fills the postings of ctx from db. Returns 0 or SH_ENOMEM. */
static int build_postings(cosine_ctx *c, const sh_csr *db)
{
    c->n_db = db->rows;
    c->col_ptr = calloc(db->cols + 2, sizeof(size_t));
    c->post_row = malloc((db->nnz ? db->nnz : 1) * sizeof(uint32_t));
    c->post_val = malloc((db->nnz ? db->nnz : 1) * sizeof(float));
    c->score = calloc(db->rows ? db->rows : 1, sizeof(double));
    c->touched = malloc((db->rows ? db->rows : 1) * sizeof(uint32_t));
    c->touched_mark = calloc(db->rows ? db->rows : 1, 1);
    if (!c->col_ptr || !c->post_row || !c->post_val || !c->score || !c->touched ||
        !c->touched_mark)
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

/* The largest cut-off, capped at n_db; 0 if a cut-off is 0. */
static size_t largest_k(const size_t *ks, size_t n_k, size_t n_db)
{
    size_t max_k = 0;
    for (size_t i = 0; i < n_k; i++) {
        if (ks[i] == 0)
            return 0;
        if (ks[i] > max_k)
            max_k = ks[i];
    }
    return max_k < n_db ? max_k : n_db;
}

static int rank_and_score(select_fn select, void *ctx,
                          const metrics_labels *query_labels, size_t n_q,
                          const metrics_labels *db_labels, size_t n_db,
                          const size_t *ks, size_t n_k, uint64_t seed,
                          double *precision, double *map)
{
    size_t max_k = largest_k(ks, n_k, n_db);
    relevance rel;
    int rc = relevance_init(&rel, query_labels, db_labels);
    if (rc != 0)
        return rc;
    rc = SH_ENOMEM;
    uint32_t *tie = malloc(n_db * sizeof(uint32_t));
    uint32_t *perm = malloc(n_db * sizeof(uint32_t));
    uint32_t *top = malloc(max_k * sizeof(uint32_t));
    if (!tie || !perm || !top)
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
        select(ctx, q, perm, tie, max_k, top);
        for (size_t m = 0; m < n_k; m++) {
            size_t k = ks[m] < n_db ? ks[m] : n_db;
            size_t hits = 0;
            double ap = 0.0;
            for (size_t i = 0; i < k; i++) {
                if (is_relevant(&rel, q, top[i])) {
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
    relevance_free(&rel);
    free(tie);
    free(perm);
    free(top);
    return rc;
}

/* Argument checks shared by the ranking metrics. */
static int rank_args_ok(const metrics_labels *query_labels, size_t n_q,
                        const metrics_labels *db_labels, size_t n_db,
                        const size_t *ks, size_t n_k)
{
    return n_q > 0 && n_db > 0 && n_k > 0 && n_db <= UINT32_MAX &&
           query_labels->n == n_q && db_labels->n == n_db && largest_k(ks, n_k, n_db) > 0;
}

int metrics_hamming_rank(const sh_code *queries, const metrics_labels *query_labels, size_t n_q,
                         const sh_code *db, const metrics_labels *db_labels, size_t n_db,
                         const size_t *ks, size_t n_k, uint64_t seed,
                         double *precision, double *map)
{
    if (!rank_args_ok(query_labels, n_q, db_labels, n_db, ks, n_k))
        return SH_EINVAL;
    hamming_ctx ctx = { queries, db, n_db, malloc(n_db) };
    if (ctx.dist == NULL)
        return SH_ENOMEM;
    int rc = rank_and_score(hamming_select, &ctx, query_labels, n_q, db_labels, n_db,
                            ks, n_k, seed, precision, map);
    free(ctx.dist);
    return rc;
}

int metrics_cosine_rank(const sh_csr *queries, const metrics_labels *query_labels,
                        const sh_csr *db, const metrics_labels *db_labels,
                        const size_t *ks, size_t n_k, uint64_t seed,
                        double *precision, double *map)
{
    if (queries->cols != db->cols ||
        !rank_args_ok(query_labels, queries->rows, db_labels, db->rows, ks, n_k))
        return SH_EINVAL;
    cosine_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.queries = queries;
    int rc = build_postings(&ctx, db);
    if (rc == 0) {
        ctx.heap = malloc(largest_k(ks, n_k, db->rows) * sizeof(ranked));
        rc = ctx.heap ? 0 : SH_ENOMEM;
    }
    if (rc == 0)
        rc = rank_and_score(cosine_select, &ctx, query_labels, queries->rows, db_labels,
                            db->rows, ks, n_k, seed, precision, map);
    free(ctx.col_ptr);
    free(ctx.post_row);
    free(ctx.post_val);
    free(ctx.score);
    free(ctx.touched);
    free(ctx.touched_mark);
    free(ctx.heap);
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
    relevance rel;
    int rc = relevance_init(&rel, query_labels, db_labels);
    if (rc != 0)
        return rc;
    double *prec_sum = calloc(R, sizeof(double)), *rec_sum = calloc(R, sizeof(double));
    size_t *nonempty = calloc(R, sizeof(size_t)), *results = calloc(R, sizeof(size_t));
    rc = SH_ENOMEM;
    if (!prec_sum || !rec_sum || !nonempty || !results)
        goto done;
    size_t with_relevant = 0;
    for (size_t q = 0; q < n_q; q++) {
        size_t all[MAX_DISTANCE + 1] = { 0 }, relevant[MAX_DISTANCE + 1] = { 0 };
        size_t total_relevant = 0;
        for (size_t j = 0; j < n_db; j++) {
            int d = code_hamming(&queries[q], &db[j]);
            int r = is_relevant(&rel, q, j);
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
    relevance_free(&rel);
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
