/* hash_train.c — the semantic-hashing recipe on the nn core: network
 * config, neighbourhood targets, input corruption, epoch-wise KL
 * annealing, neighbour-precision validation, bit thresholds.
 * See hash_train.h. It deliberately contains no layer, loss or optimiser
 * code: those are nn_net's and nn_train's. */
#include "hash_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itq.h"
#include "nn_train.h"
#include "rng.h"
#include "sh_error.h"

#define VALID_TOP 10           /* neighbour precision looks at the first 10 results */
#define VALID_MAX_QUERIES 1000 /* validation cost is bounded whatever N */
#define VALID_MAX_DB 20000
#define MEDIAN_MAX_DOCS 100000
#define HASH_WARMUP_EPOCHS 10  /* no early stop before this epoch (see hash_train.h) */ /* thresholds from at most this many documents */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- options ------------------------------------------------------------ */

void hash_train_opts_from_config(hash_train_opts *o, const sh_config *cfg)
{
    memset(o, 0, sizeof(*o));
    o->code_bits = cfg->model.code_bits;
    o->n_hidden = cfg->model.n_hidden;
    for (int i = 0; i < cfg->model.n_hidden; i++)
        o->hidden[i] = cfg->model.hidden[i];
    o->activation = cfg->model.activation;
    o->adapt_sizes = 1;
    o->epochs = cfg->train.epochs;
    o->batch_size = cfg->train.batch_size;
    o->learning_rate = cfg->train.learning_rate;
    o->weight_decay = cfg->train.weight_decay;
    o->seed = cfg->train.seed;
    o->threads = cfg->train.threads;
    o->validation_fraction = cfg->train.validation_fraction;
    o->patience = cfg->train.patience;
    o->max_seconds = cfg->train.max_seconds;
    o->kl_weight = 1.0;
    o->kl_anneal_epochs = 5;
    o->neighbours = 10;
    o->neighbour_weight = 1.0;
    o->neighbour_max_docs = 200000;
    o->neighbour_min_sim = 0.0;
    o->neighbour_pca_dims = 64;
    o->drop_rate = 0.2;
    o->sub_rate = 0.1;
    o->median_threshold = 1;
    o->threshold_window = 0.1;
    o->deterministic_epochs = 0;
    o->start = cfg->train.start;
    o->itq_init = 2.0;
    o->itq_warmup = 5;
    o->itq_lr_scale = 1.0;
    o->unigram_bias = 0;
    o->tfidf_target = 0;
    o->decorrelation = 0.0;
    o->decoder_warmup = 0;
    o->neighbour_pull = 0.0;
    o->consistency = 5.0;
    o->consistency_min_docs = 1000;
    o->consistency_min_bits = 64;
    o->margin = 0.0;
}

int hash_train_opts_set(hash_train_opts *o, const char *assignment, char *err, size_t err_len)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "recipe option '%s': expected NAME=VALUE",
                       assignment);
    size_t name_len = (size_t)(eq - assignment);
#define NAME_IS(s) (name_len == strlen(s) && strncmp(assignment, (s), name_len) == 0)
    static const char *const starts[] = { "random", "itq", "auto", "both" };
    for (int i = 0; i < 4 && NAME_IS("start"); i++)
        if (strcmp(eq + 1, starts[i]) == 0) {
            o->start = (sh_train_start)i;
            return 0;
        }
    char *end = NULL;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end != '\0' || !isfinite(v))
        return sh_fail(err, err_len, SH_EINVAL, "recipe option '%.*s': '%s' is not a number%s",
                       (int)name_len, assignment, eq + 1,
                       NAME_IS("start") ? " nor random, itq, auto or both" : "");
    if (NAME_IS("kl_weight") && v >= 0)
        o->kl_weight = v;
    else if (NAME_IS("kl_anneal_epochs") && v >= 0 && v <= 100000 && v == floor(v))
        o->kl_anneal_epochs = (int)v;
    else if (NAME_IS("neighbours") && v >= 0 && v <= 64 && v == floor(v))
        o->neighbours = (int)v;
    else if (NAME_IS("neighbour_weight") && v >= 0)
        o->neighbour_weight = v;
    else if (NAME_IS("neighbour_min_sim") && v >= 0 && v <= 1)
        o->neighbour_min_sim = v;
    else if (NAME_IS("drop_rate") && v >= 0 && v < 1)
        o->drop_rate = v;
    else if (NAME_IS("sub_rate") && v >= 0 && v < 1)
        o->sub_rate = v;
    else if (NAME_IS("median_threshold") && (v == 0 || v == 1))
        o->median_threshold = (int)v;
    else if (NAME_IS("threshold_window") && v >= 0 && v < 0.5)
        o->threshold_window = v;
    else if (NAME_IS("deterministic_epochs") && v >= 0 && v <= 100000 && v == floor(v))
        o->deterministic_epochs = (int)v;
    else if (NAME_IS("adapt_sizes") && (v == 0 || v == 1))
        o->adapt_sizes = (int)v;
    else if (NAME_IS("start") && (v == 0 || v == 1 || v == 2 || v == 3))
        o->start = (sh_train_start)(int)v;
    else if (NAME_IS("itq_init") && v >= 0 && v <= 100)
        o->itq_init = v;
    else if (NAME_IS("itq_warmup") && v >= 0 && v <= 100000 && v == floor(v))
        o->itq_warmup = (int)v;
    else if (NAME_IS("itq_candidate") && (v == 0 || v == 1))
        o->itq_candidate = (int)v;
    else if (NAME_IS("itq_lr_scale") && v > 0 && v <= 1)
        o->itq_lr_scale = v;
    else if (NAME_IS("unigram_bias") && (v == 0 || v == 1))
        o->unigram_bias = (int)v;
    else if (NAME_IS("tfidf_target") && (v == 0 || v == 1))
        o->tfidf_target = (int)v;
    else if (NAME_IS("decorrelation") && v >= 0)
        o->decorrelation = v;
    else if (NAME_IS("decoder_warmup") && v >= 0 && v <= 100000 && v == floor(v))
        o->decoder_warmup = (int)v;
    else if (NAME_IS("neighbour_pca_dims") && v >= 0 && v <= 128 && v == floor(v))
        o->neighbour_pca_dims = (int)v;
    else if (NAME_IS("neighbour_pull") && v >= 0)
        o->neighbour_pull = v;
    else if (NAME_IS("consistency") && v >= 0)
        o->consistency = v;
    else if (NAME_IS("consistency_min_docs") && v >= 0 && v <= 1e15 && v == floor(v))
        o->consistency_min_docs = (size_t)v;
    else if (NAME_IS("consistency_min_bits") && v >= 0 && v <= 128 && v == floor(v))
        o->consistency_min_bits = (int)v;
    else if (NAME_IS("margin") && v >= 0)
        o->margin = v;
    else
        return sh_fail(err, err_len, SH_EINVAL,
                       "recipe option '%.*s': unknown name or value out of range (names: "
                       "kl_weight, kl_anneal_epochs, neighbours 0..64, neighbour_weight, "
                       "neighbour_min_sim [0,1], neighbour_pca_dims 0..128, "
                       "drop_rate [0,1), sub_rate [0,1), median_threshold 0/1, "
                       "threshold_window [0,0.5), "
                       "deterministic_epochs, adapt_sizes 0/1, start random/itq/auto/both, "
                       "itq_init 0..100, itq_warmup, itq_candidate 0/1, itq_lr_scale (0,1], "
                       "unigram_bias 0/1, tfidf_target 0/1, decorrelation, decoder_warmup, "
                       "neighbour_pull, consistency, consistency_min_docs, consistency_min_bits, "
                       "margin)",
                       (int)name_len, assignment);
#undef NAME_IS
    return 0;
}

void hash_train_adapt(const hash_train_opts *o, size_t n_docs, int *hidden, int *batch)
{
    size_t cap_h = n_docs / 8, cap_b = n_docs / 32;
    if (cap_h < 2 * (size_t)o->code_bits)
        cap_h = 2 * (size_t)o->code_bits;
    cap_h = (cap_h + 7) / 8 * 8;
    if (cap_b < 16)
        cap_b = 16;
    for (int i = 0; i < o->n_hidden; i++)
        hidden[i] = o->adapt_sizes && (size_t)o->hidden[i] > cap_h ? (int)cap_h : o->hidden[i];
    *batch = o->adapt_sizes && (size_t)o->batch_size > cap_b ? (int)cap_b : o->batch_size;
}

/* Replaces the count values by the tf-idf weights of the same entries,
 * scaled by one factor so that the total over the collection stays the
 * count total (the loss keeps its scale against the KL term). Returns 0
 * or SH_EINVAL (the two matrices' entries differ; counts unchanged). */
static int tfidf_targets(sh_csr *counts, const sh_csr *tfidf)
{
    size_t nnz = counts->row_ptr[counts->rows];
    if (tfidf->rows != counts->rows || tfidf->row_ptr[tfidf->rows] != nnz)
        return SH_EINVAL;
    for (size_t r = 0; r <= counts->rows; r++)
        if (counts->row_ptr[r] != tfidf->row_ptr[r])
            return SH_EINVAL;
    double total_counts = 0.0, total_tfidf = 0.0;
    for (size_t e = 0; e < nnz; e++) {
        if (counts->col_idx[e] != tfidf->col_idx[e])
            return SH_EINVAL;
        total_counts += counts->values[e];
        total_tfidf += tfidf->values[e];
    }
    float scale = total_tfidf > 0 ? (float)(total_counts / total_tfidf) : 1.0f;
    for (size_t e = 0; e < nnz; e++)
        counts->values[e] = tfidf->values[e] * scale;
    return 0;
}

/* ---- denoising corruption ---------------------------------------------- */

typedef struct {
    double drop_rate, sub_rate;
    const sh_csr *source;      /* training input: substitutes are its entries */
    uint32_t *cols;            /* scratch, [max row length] */
    float *vals;
    size_t cap;
    sh_csr copy;               /* the batch before corruption */
} corrupt_state;

static int grow_scratch(corrupt_state *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    uint32_t *c = realloc(s->cols, n * sizeof(uint32_t));
    if (c == NULL)
        return SH_ENOMEM;
    s->cols = c;
    float *v = realloc(s->vals, n * sizeof(float));
    if (v == NULL)
        return SH_ENOMEM;
    s->vals = v;
    s->cap = n;
    return 0;
}

/* Sorts (col, val) pairs by column and merges equal columns (summing). */
static size_t sort_merge(uint32_t *cols, float *vals, size_t n)
{
    for (size_t a = 1; a < n; a++) {
        uint32_t c = cols[a];
        float v = vals[a];
        size_t b = a;
        while (b > 0 && cols[b - 1] > c) {
            cols[b] = cols[b - 1];
            vals[b] = vals[b - 1];
            b--;
        }
        cols[b] = c;
        vals[b] = v;
    }
    size_t out = 0;
    for (size_t a = 0; a < n; a++) {
        if (out > 0 && cols[out - 1] == cols[a]) {
            vals[out - 1] += vals[a];
        } else {
            cols[out] = cols[a];
            vals[out] = vals[a];
            out++;
        }
    }
    return out;
}

/* nn_corrupt_fn: drops or substitutes each term of each row, then
 * re-normalises the row to unit length (the input is tf-idf). */
static int corrupt_batch(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng,
                         void *user)
{
    (void)dense;
    (void)cols;
    corrupt_state *s = user;
    int rc;
    /* copy the batch: csr is rewritten row by row below */
    csr_clear(&s->copy);
    s->copy.cols = csr->cols;
    for (size_t r = 0; r < rows; r++) {
        size_t a = csr->row_ptr[r], n = csr->row_ptr[r + 1] - a;
        if ((rc = csr_append_row(&s->copy, n, csr->col_idx + a, csr->values + a)) != 0)
            return rc;
    }
    csr_clear(csr);
    const sh_csr *src = s->source;
    for (size_t r = 0; r < rows; r++) {
        size_t a = s->copy.row_ptr[r], n = s->copy.row_ptr[r + 1] - a, used = 0;
        if ((rc = grow_scratch(s, n + 1)) != 0)
            return rc;
        for (size_t e = 0; e < n; e++) {
            float u = rng_uniform(rng);
            uint32_t c = s->copy.col_idx[a + e];
            if (u < s->drop_rate)
                continue;
            if (u < s->drop_rate + s->sub_rate && src->row_ptr[src->rows] > 0) {
                /* a term drawn in proportion to its occurrences in the corpus */
                c = src->col_idx[rng_below(rng, src->row_ptr[src->rows])];
            }
            s->cols[used] = c;
            s->vals[used] = s->copy.values[a + e];
            used++;
        }
        used = sort_merge(s->cols, s->vals, used);
        double norm = 0.0;
        for (size_t e = 0; e < used; e++)
            norm += (double)s->vals[e] * s->vals[e];
        float inv = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0.0f;
        for (size_t e = 0; e < used; e++)
            s->vals[e] *= inv;
        if ((rc = csr_append_row(csr, used, s->cols, s->vals)) != 0)
            return rc;
    }
    return 0;
}

/* ---- encoding and thresholds ------------------------------------------- */

/* The code layer's outputs for every row of rows into out[N,K]: the
 * logits (pre-activations) when logits is set, else the bit
 * probabilities. Codes and thresholds work on the logits: a logit of 17
 * and one of 30 both give the probability 1.0f, so thresholds on
 * probabilities tie every saturated row (see hash_train.h). */
static int encode_scores(nn_net *net, const sh_csr *rows, int logits, float *out)
{
    size_t K = net->cfg.code_dim, chunk = net->max_batch;
    uint32_t *idx = malloc(chunk * sizeof(uint32_t));
    sh_csr part;
    int rc = csr_init(&part, rows->cols);
    if (idx == NULL || rc != 0) {
        rc = SH_ENOMEM;
        goto fail;
    }
    for (size_t r0 = 0; r0 < rows->rows; r0 += chunk) {
        size_t n = rows->rows - r0 < chunk ? rows->rows - r0 : chunk;
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)(r0 + i);
        if ((rc = csr_select_rows(&part, rows, idx, n)) != 0)
            goto fail;
        nn_data in = { n, rows->cols, NULL, &part };
        if ((rc = nn_encode(net, &in, NN_MODE_INFER, NULL, NULL)) != 0)
            goto fail;
        memcpy(out + r0 * K, logits ? net->pre[net->code_layer] : net->code_p,
               n * K * sizeof(float));
    }
fail:
    free(idx);
    csr_free(&part);
    return rc;
}

static void scores_to_codes(const float *score, size_t N, size_t K, const float *thresholds,
                            sh_code *out)
{
    for (size_t i = 0; i < N; i++) {
        sh_code c = { { 0, 0 } };
        for (size_t k = 0; k < K; k++)
            if (score[i * K + k] > thresholds[k])
                c.w[k >> 6] |= 1ull << (63 - (k & 63));
        out[i] = c;
    }
}

int hash_encode_rows(nn_net *net, const float *thresholds, int logit_thresholds,
                     const sh_csr *rows, sh_code *out)
{
    if (rows->cols != net->cfg.input_dim || net->cfg.code_kind != NN_CODE_BINARY ||
        net->cfg.code_dim > SH_CODE_MAX_BITS)
        return SH_EINVAL;
    size_t K = net->cfg.code_dim, chunk = 4096;
    float *score = malloc(chunk * K * sizeof(float));  /* [chunk, K] */
    uint32_t *idx = malloc(chunk * sizeof(uint32_t));
    sh_csr part;
    int rc = csr_init(&part, rows->cols);
    if (score == NULL || idx == NULL || rc != 0) {
        rc = SH_ENOMEM;
        goto fail;
    }
    for (size_t r0 = 0; r0 < rows->rows; r0 += chunk) {
        size_t n = rows->rows - r0 < chunk ? rows->rows - r0 : chunk;
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)(r0 + i);
        if ((rc = csr_select_rows(&part, rows, idx, n)) != 0 ||
            (rc = encode_scores(net, &part, logit_thresholds, score)) != 0)
            goto fail;
        scores_to_codes(score, n, K, thresholds, out + r0);
    }
fail:
    free(score);
    free(idx);
    csr_free(&part);
    return rc;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int hash_thresholds(const float *logits, size_t N, size_t K, double window, float *thresholds)
{
    if (N > MEDIAN_MAX_DOCS)
        N = MEDIAN_MAX_DOCS;
    float *col = malloc((N ? N : 1) * sizeof(float));  /* [N] */
    if (col == NULL)
        return SH_ENOMEM;
    for (size_t k = 0; k < K; k++) {
        for (size_t i = 0; i < N; i++)
            col[i] = logits[i * K + k];
        qsort(col, N, sizeof(float), cmp_float);
        thresholds[k] = N > 0 ? col[(N - 1) / 2] : 0.0f;
        if (window <= 0 || N < 4)
            continue;
        double lo_q = (0.5 - window) * (double)(N - 1), hi_q = (0.5 + window) * (double)(N - 1);
        size_t lo = lo_q > 0 ? (size_t)lo_q : 0, hi = (size_t)hi_q;
        if (hi > N - 2)
            hi = N - 2;
        double best_gap = 0.0, best_mid = 0.0;
        for (size_t i = lo; i <= hi; i++) {
            double a = col[i], b = col[i + 1];
            if (b - a > best_gap) {
                best_gap = b - a;
                best_mid = 0.5 * (a + b);
            }
        }
        if (best_gap > 0)
            thresholds[k] = (float)best_mid;
    }
    free(col);
    return 0;
}

/* The inference thresholds (on logits) of the training rows: medians, or
 * 0 (probability 0.5) each. */
static int compute_thresholds(nn_net *net, const sh_csr *rows, int median, double window,
                              float *thresholds)
{
    size_t K = net->cfg.code_dim;
    for (size_t k = 0; k < K; k++)
        thresholds[k] = 0.0f;
    if (!median || rows->rows == 0)
        return 0;
    float *logits = malloc(rows->rows * K * sizeof(float));   /* [N, K] */
    if (logits == NULL)
        return SH_ENOMEM;
    int rc = encode_scores(net, rows, 1, logits);
    if (rc == 0)
        rc = hash_thresholds(logits, rows->rows, K, window, thresholds);
    free(logits);
    return rc;
}

/* ---- validation: neighbour precision ------------------------------------ */

typedef struct {
    sh_csr queries, db;      /* held-out queries and the training documents they search */
    uint32_t *relevant;      /* [n_q, VALID_TOP] tf-idf neighbours in db */
    uint32_t *tie_rank;      /* [n_db] fixed tie order */
    sh_code *q_codes, *db_codes;
    float *q_logit, *db_logit; /* [n, K] */
} valid_state;

static void valid_free(valid_state *v)
{
    csr_free(&v->queries);
    csr_free(&v->db);
    free(v->relevant);
    free(v->tie_rank);
    free(v->q_codes);
    free(v->db_codes);
    free(v->q_logit);
    free(v->db_logit);
}

static int valid_init(valid_state *v, const sh_csr *train, const uint32_t *train_rows,
                      size_t n_train, const uint32_t *valid_rows, size_t n_valid, size_t K,
                      sh_rng *rng, int pca_dims, uint64_t seed)
{
    size_t n_q = n_valid < VALID_MAX_QUERIES ? n_valid : VALID_MAX_QUERIES;
    size_t n_db = n_train < VALID_MAX_DB ? n_train : VALID_MAX_DB;
    int rc = csr_init(&v->queries, train->cols);
    if (rc == 0)
        rc = csr_init(&v->db, train->cols);
    if (rc != 0)
        return rc;
    if ((rc = csr_select_rows(&v->queries, train, valid_rows, n_q)) != 0 ||
        (rc = csr_select_rows(&v->db, train, train_rows, n_db)) != 0)
        return rc;
    v->relevant = malloc(n_q * VALID_TOP * sizeof(uint32_t));
    v->tie_rank = malloc(n_db * sizeof(uint32_t));
    v->q_codes = malloc(n_q * sizeof(sh_code));
    v->db_codes = malloc(n_db * sizeof(sh_code));
    v->q_logit = malloc(n_q * K * sizeof(float));
    v->db_logit = malloc(n_db * K * sizeof(float));
    if (v->relevant == NULL || v->tie_rank == NULL || v->q_codes == NULL ||
        v->db_codes == NULL || v->q_logit == NULL || v->db_logit == NULL)
        return SH_ENOMEM;
    for (size_t i = 0; i < n_db; i++)
        v->tie_rank[i] = (uint32_t)i;
    rng_shuffle_u32(rng, v->tie_rank, n_db);
    if (pca_dims > 0)
        return hash_neighbours_pca(&v->queries, &v->db, VALID_TOP, 0, pca_dims, seed,
                                   v->relevant);
    return hash_neighbours(&v->queries, &v->db, VALID_TOP, 0, v->relevant);
}

/* Neighbour precision of the current net (logits thresholded at 0, or at
 * the db's medians when median is set). */
static int valid_measure(valid_state *v, nn_net *net, int median, double window, double *out)
{
    size_t K = net->cfg.code_dim, n_q = v->queries.rows, n_db = v->db.rows;
    float thr[SH_CODE_MAX_BITS];
    int rc;
    for (size_t k = 0; k < K; k++)
        thr[k] = 0.0f;
    if ((rc = encode_scores(net, &v->queries, 1, v->q_logit)) != 0 ||
        (rc = encode_scores(net, &v->db, 1, v->db_logit)) != 0 ||
        (median && (rc = hash_thresholds(v->db_logit, n_db, K, window, thr)) != 0))
        return rc;
    scores_to_codes(v->q_logit, n_q, K, thr, v->q_codes);
    scores_to_codes(v->db_logit, n_db, K, thr, v->db_codes);
    size_t top = n_db < VALID_TOP ? n_db : VALID_TOP;
    double sum = 0.0;
    size_t counted = 0;
    for (size_t q = 0; q < n_q; q++) {
        uint64_t best[VALID_TOP];
        size_t len = 0;
        const uint32_t *rel = v->relevant + q * VALID_TOP;
        if (rel[0] == UINT32_MAX)
            continue; /* nothing relevant: the query says nothing */
        for (size_t j = 0; j < n_db; j++) {
            uint64_t key = (uint64_t)code_hamming(&v->q_codes[q], &v->db_codes[j]) << 32 |
                           v->tie_rank[j];
            if (len == top && key >= best[top - 1])
                continue;
            size_t at = len < top ? len++ : top - 1;
            while (at > 0 && best[at - 1] > key) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = key;
        }
        size_t hits = 0;
        for (size_t i = 0; i < len; i++) {
            /* recover the db row from its tie rank: rank -> row is the
             * inverse permutation, found by search in the small relevant list */
            uint32_t rank = (uint32_t)(best[i] & 0xffffffffu);
            for (size_t r = 0; r < VALID_TOP && rel[r] != UINT32_MAX; r++)
                if (v->tie_rank[rel[r]] == rank) {
                    hits++;
                    break;
                }
        }
        sum += (double)hits / (double)top;
        counted++;
    }
    *out = counted > 0 ? sum / (double)counted : NAN;
    return 0;
}

/* ---- initialisation from PCA + ITQ --------------------------------------- */

/* Sets the encoder of net so that, before any training, its bit k is
 * exactly ITQ's bit k of the training rows (itq.h): z = (x - m) A.
 *   no hidden layer:  code pre-activation a = s * z (W = s A, b = -s A^T m);
 *   hidden layers:    layer 0 units [0, K) compute relu(s z) and [K, 2K)
 *                     relu(-s z); later hidden layers pass units [0, 2K)
 *                     through (identity columns, relu of a non-negative
 *                     value is itself); the code layer reads
 *                     a_k = h_k - h_{K+k} = s_k z_k and nothing from the
 *                     other units (their weights into the code start at 0;
 *                     they still train). The scale sits in the first layer
 *                     so that its weights are large against Adam's steps.
 * s_k = logit_std / std(z_k), so every bit's logit starts with that
 * spread. Needs every hidden width >= 2K (SH_EINVAL otherwise). The ITQ
 * fit is *fit when not NULL, else fitted here and left in *fit (the
 * caller frees it with itq_free): auto's probe and its ITQ run share one.
 * Returns 0, SH_EINVAL or SH_ENOMEM. */
static int itq_initialise(nn_net *net, const sh_csr *rows, double logit_std, uint64_t seed,
                          sh_itq **fit)
{
    size_t K = net->cfg.code_dim, V = net->cfg.input_dim, L = net->code_layer;
    for (size_t l = 0; l < L; l++)
        if (net->out_dim[l] < 2 * K)
            return SH_EINVAL;
    float *z = malloc(rows->rows * K * sizeof(float));     /* [N,K] */
    int rc = z == NULL ? SH_ENOMEM : 0;
    if (rc == 0 && *fit == NULL)
        rc = itq_fit(rows, (int)K, ITQ_ITERATIONS, seed, fit, NULL);
    const sh_itq *q = *fit;
    if (rc != 0 || (rc = itq_project(q, rows, z)) != 0)
        goto fail;
    double scale[SH_CODE_MAX_BITS];
    for (size_t k = 0; k < K; k++) {
        double sq = 0.0;
        for (size_t i = 0; i < rows->rows; i++)
            sq += (double)z[i * K + k] * z[i * K + k];
        double sd = sqrt(sq / (double)rows->rows);
        scale[k] = sd > 0 ? logit_std / sd : 1.0;
    }
    if (L == 0) {
        for (size_t v = 0; v < V; v++)
            for (size_t k = 0; k < K; k++)
                net->W[0][v * K + k] = (float)(scale[k] * itq_weight(q, v, (int)k));
        for (size_t k = 0; k < K; k++)
            net->b[0][k] = (float)(-scale[k] * itq_offset(q, (int)k));
        goto done;
    }
    size_t H = net->out_dim[0];
    for (size_t v = 0; v < V; v++)
        for (size_t k = 0; k < K; k++) {
            net->W[0][v * H + k] = (float)(scale[k] * itq_weight(q, v, (int)k));
            net->W[0][v * H + K + k] = (float)(-scale[k] * itq_weight(q, v, (int)k));
        }
    for (size_t k = 0; k < K; k++) {
        net->b[0][k] = (float)(-scale[k] * itq_offset(q, (int)k));
        net->b[0][K + k] = (float)(scale[k] * itq_offset(q, (int)k));
    }
    for (size_t l = 1; l < L; l++) {
        size_t in = net->in_dim[l], out = net->out_dim[l];
        for (size_t i = 0; i < in; i++)
            for (size_t j = 0; j < 2 * K; j++)
                net->W[l][i * out + j] = i == j ? 1.0f : 0.0f;
        for (size_t j = 0; j < 2 * K; j++)
            net->b[l][j] = 0.0f;
    }
    size_t in = net->in_dim[L];
    memset(net->W[L], 0, in * K * sizeof(float));
    for (size_t k = 0; k < K; k++) {
        net->W[L][k * K + k] = 1.0f;
        net->W[L][(K + k) * K + k] = -1.0f;
        net->b[L][k] = 0.0f;
    }
done:
    rc = 0;
fail:
    free(z);
    return rc;
}

/* The decoder's output bias (the last layer's b[V]) = log of each word's
 * share of all training word occurrences (add-one smoothed): the
 * decoder starts at the unigram model, so the code learns what the
 * unigram model does not explain. */
static void unigram_bias(nn_net *net, const sh_csr *counts)
{
    size_t V = counts->cols, last = net->n_layers - 1;
    double total = (double)V;
    float *b = net->b[last];
    for (size_t v = 0; v < V; v++)
        b[v] = 1.0f;
    for (size_t e = 0; e < counts->row_ptr[counts->rows]; e++) {
        b[counts->col_idx[e]] += counts->values[e];
        total += counts->values[e];
    }
    for (size_t v = 0; v < V; v++)
        b[v] = (float)log((double)b[v] / total);
}

/* ---- bit decorrelation ---------------------------------------------------- */

double hash_decorrelation(float *dp, const float *p, size_t B, size_t K, float weight, double *C)
{
    if (B < 2 || K < 2 || weight == 0.0f)
        return 0.0;
    double mean[SH_CODE_MAX_BITS] = { 0 };
    for (size_t b = 0; b < B; b++)
        for (size_t k = 0; k < K; k++)
            mean[k] += p[b * K + k];
    for (size_t k = 0; k < K; k++)
        mean[k] /= (double)B;
    for (size_t i = 0; i < K; i++)          /* C[K,K] = (1/B) Pc^T Pc */
        for (size_t j = i; j < K; j++) {
            double c = 0.0;
            for (size_t b = 0; b < B; b++)
                c += (p[b * K + i] - mean[i]) * (p[b * K + j] - mean[j]);
            C[i * K + j] = C[j * K + i] = c / (double)B;
        }
    double alpha = 16.0 * weight / ((double)K * (double)(K - 1)), value = 0.0;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++)
            if (i != j)
                value += C[i * K + j] * C[i * K + j];
    if (dp != NULL) /* dL/dp[b,k] = (4 alpha / B) sum_{j != k} C[k,j] (p[b,j] - m_j) */
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < K; k++) {
                double g = 0.0;
                for (size_t j = 0; j < K; j++)
                    if (j != k)
                        g += C[k * K + j] * (p[b * K + j] - mean[j]);
                dp[b * K + k] += (float)(4.0 * alpha / (double)B * g);
            }
    return alpha * value;
}

/* ---- neighbour pull ------------------------------------------------------- */

double hash_neighbour_pull(float *dp, const float *p, const float *m, size_t B, size_t K,
                           float weight)
{
    if (B == 0 || K == 0 || weight == 0.0f)
        return 0.0;
    double scale = (double)weight / ((double)K * (double)B), value = 0.0;
    for (size_t i = 0; i < B * K; i++) {
        value += p[i] * (1.0 - m[i]) + m[i] * (1.0 - p[i]);
        if (dp != NULL)
            dp[i] += (float)(scale * (1.0 - 2.0 * m[i]));
    }
    return scale * value;
}

/* ---- consistency -------------------------------------------------------- */

double hash_consistency(float *dp, const float *p, const float *clean, size_t B, size_t K,
                        float weight)
{
    if (B == 0 || K == 0)
        return 0.0;
    double scale = (double)weight / ((double)K * (double)B), sum = 0.0;
    for (size_t i = 0; i < B * K; i++) {
        double diff = (double)p[i] - (double)clean[i];
        sum += diff * diff;
        if (dp != NULL)
            dp[i] += (float)(scale * 2.0 * diff);
    }
    return scale * sum;
}

/* ---- margin ------------------------------------------------------------- */

double hash_margin(float *dp, const float *p, size_t B, size_t K, float weight)
{
    if (B == 0 || K == 0 || weight == 0.0f)
        return 0.0;
    double scale = 4.0 * (double)weight / ((double)K * (double)B), value = 0.0;
    for (size_t i = 0; i < B * K; i++) {
        value += (double)p[i] * (1.0 - p[i]);
        if (dp != NULL)
            dp[i] += (float)(scale * (1.0 - 2.0 * p[i]));
    }
    return scale * value;
}

/* ---- one epoch with code terms -------------------------------------------- */

/* The minibatch loop of nn_train (nn_train.h) with one addition: between
 * nn_loss and nn_backward, code-level terms that nn_loss does not have
 * (bit decorrelation, neighbour pull, consistency, margin) add their gradient on
 * p as nn_backward's dcode_extra (the straight-through code passes a
 * gradient on b to a as one on p). Used when such a term is switched on;
 * nn_train otherwise. The rng streams are seeded once and continue
 * across epochs. The neighbour pull's targets are the neighbours' bit
 * probabilities, encoded at the start of every epoch (the encoder only: a
 * small part of an epoch's work). The consistency target is the clean
 * batch's, encoded with the current weights just before the batch is
 * corrupted (the same work again, per batch), so that the term measures
 * what the corruption changes, not how far the weights moved since the
 * epoch began. */
typedef struct {
    uint32_t *order;          /* [N] shuffled rows */
    sh_csr in_batch, target_batch;
    float *dcode;             /* [max_batch, K] */
    double *cov;              /* [K, K] scratch */
    float *p_cache;           /* [N, K] clean rows' bit probabilities, or NULL */
    float *m;                 /* [max_batch, K] neighbours' mean probabilities */
    float *clean_p;           /* [max_batch, K] the clean batch's probabilities, or NULL */
    const uint32_t *nbr;      /* [N, n_nbr] neighbour lists, or NULL */
    size_t n_nbr;
    double target_words;      /* mean target total per row: scales the code terms */
    sh_rng shuffle_rng, code_rng, corrupt_rng;
} code_epoch_state;

static void code_epoch_free(code_epoch_state *st)
{
    free(st->order);
    free(st->dcode);
    free(st->cov);
    free(st->p_cache);
    free(st->m);
    free(st->clean_p);
    csr_free(&st->in_batch);
    csr_free(&st->target_batch);
}

static int code_epoch_init(code_epoch_state *st, nn_net *net, const sh_csr *in,
                           const sh_csr *target, const uint32_t *nbr, size_t n_nbr,
                           int cache, int clean, uint64_t seed)
{
    memset(st, 0, sizeof(*st));
    size_t V = net->cfg.input_dim, K = net->cfg.code_dim, n = in->rows;
    double total = 0.0;
    for (size_t e = 0; e < target->row_ptr[target->rows]; e++)
        total += target->values[e];
    st->target_words = n > 0 ? total / (double)n : 0.0;
    st->nbr = nbr;
    st->n_nbr = n_nbr;
    if (cache) {
        st->p_cache = malloc((n ? n : 1) * K * sizeof(float));
        st->m = malloc(net->max_batch * K * sizeof(float));
        if (st->p_cache == NULL || st->m == NULL)
            return SH_ENOMEM;
    }
    if (clean && (st->clean_p = malloc(net->max_batch * K * sizeof(float))) == NULL)
        return SH_ENOMEM;
    st->order = malloc((n ? n : 1) * sizeof(uint32_t));
    st->dcode = malloc(net->max_batch * K * sizeof(float));
    st->cov = malloc(K * K * sizeof(double));
    if (st->order == NULL || st->dcode == NULL || st->cov == NULL ||
        csr_init(&st->in_batch, V) != 0 ||
        csr_init(&st->target_batch, V) != 0)
        return SH_ENOMEM;
    for (size_t i = 0; i < n; i++)
        st->order[i] = (uint32_t)i;
    sh_rng root;
    rng_seed(&root, seed ^ 0x5deece66dull);
    st->shuffle_rng = rng_split(&root);
    st->code_rng = rng_split(&root);
    st->corrupt_rng = rng_split(&root);
    return 0;
}

/* st->m[r] = the mean cached probabilities of row rows[r]'s neighbours
 * (its own when it has none). */
static void neighbour_means(code_epoch_state *st, const uint32_t *rows, size_t n, size_t K)
{
    for (size_t r = 0; r < n; r++) {
        float *m = st->m + r * K;
        const uint32_t *list = st->nbr + (size_t)rows[r] * st->n_nbr;
        size_t have = 0;
        memset(m, 0, K * sizeof(float));
        for (size_t t = 0; t < st->n_nbr && list[t] != UINT32_MAX; t++, have++)
            for (size_t k = 0; k < K; k++)
                m[k] += st->p_cache[(size_t)list[t] * K + k];
        if (have == 0)
            memcpy(m, st->p_cache + (size_t)rows[r] * K, K * sizeof(float));
        else
            for (size_t k = 0; k < K; k++)
                m[k] /= (float)have;
    }
}

/* One epoch over in/target (CSR rows) in batches of `batch`; *loss gets
 * the mean batch loss, *stopped 1 if deadline (0 = none) passed. */
static int code_epoch(nn_net *net, code_epoch_state *st, const nn_data *in,
                      const nn_data *target, size_t batch, const nn_optim *optim,
                      const hash_train_opts *o, int epoch, corrupt_state *corrupt,
                      double deadline, double *loss, int *stopped)
{
    size_t N = in->rows, K = net->cfg.code_dim;
    size_t batches = (N + batch - 1) / batch, done = 0;
    double sum = 0.0;
    int rc;
    *stopped = 0;
    rng_shuffle_u32(&st->shuffle_rng, st->order, N);
    if (st->p_cache != NULL && (rc = encode_scores(net, in->csr, 0, st->p_cache)) != 0)
        return rc;
    for (size_t k = 0; k < batches; k++) {
        size_t first = k * batch, n = N - first < batch ? N - first : batch;
        nn_data x, t;
        if ((rc = nn_data_gather(&x, in, st->order + first, n, NULL, &st->in_batch)) != 0 ||
            (rc = nn_data_gather(&t, target, st->order + first, n, NULL,
                                 &st->target_batch)) != 0)
            return rc;
        if (st->clean_p != NULL) {
            if ((rc = nn_encode(net, &x, NN_MODE_INFER, NULL, NULL)) != 0)
                return rc;
            memcpy(st->clean_p, net->code_p, n * K * sizeof(float));
        }
        if (corrupt != NULL &&
            (rc = corrupt_batch(NULL, &st->in_batch, n, x.cols, &st->corrupt_rng, corrupt)) != 0)
            return rc;
        nn_loss_parts parts;
        nn_zero_grad(net);
        if ((rc = nn_forward(net, &x, NN_MODE_TRAIN, &st->code_rng)) != 0 ||
            (rc = nn_loss(net, &t, &parts)) != 0)
            return rc;
        memset(st->dcode, 0, n * K * sizeof(float));
        double words = st->target_words;
        double extra = hash_decorrelation(st->dcode, net->code_p, n, K,
                                          (float)(o->decorrelation * words), st->cov);
        if (st->nbr != NULL && o->neighbour_pull > 0) {
            neighbour_means(st, st->order + first, n, K);
            extra += hash_neighbour_pull(st->dcode, net->code_p, st->m, n, K,
                                         (float)(o->neighbour_pull * words));
        }
        if (st->clean_p != NULL)
            extra += hash_consistency(st->dcode, net->code_p, st->clean_p, n, K,
                                      (float)(o->consistency * words));
        extra += hash_margin(st->dcode, net->code_p, n, K, (float)(o->margin * words));
        nn_backward(net, &x, st->dcode);
        if (epoch < o->decoder_warmup) /* the encoder stays as initialised */
            for (size_t l = 0; l <= net->code_layer; l++) {
                memset(net->dW[l], 0, net->in_dim[l] * net->out_dim[l] * sizeof(float));
                memset(net->db[l], 0, net->out_dim[l] * sizeof(float));
            }
        nn_optim_step(net, optim);
        double batch_loss = parts.total + extra;
        sum += batch_loss * (double)n;
        done += n;
        if (o->on_batch != NULL && o->on_batch(epoch, k, batches, batch_loss, o->user) != 0)
            return SH_ECANCEL;
        if (deadline > 0 && now_seconds() > deadline) {
            *stopped = 1;
            break;
        }
    }
    *loss = done > 0 ? sum / (double)done : 0.0;
    return 0;
}

/* ---- the training driver ------------------------------------------------ */

typedef struct {
    const hash_train_opts *o;
    int epoch;
} batch_relay;

static int relay_batch(int epoch, size_t batch, size_t batches, double loss, void *user)
{
    (void)epoch;
    batch_relay *r = user;
    return r->o->on_batch(r->epoch, batch, batches, loss, r->o->user);
}

/* nn_train passes one user pointer to both callbacks. */
typedef struct {
    batch_relay relay;
    corrupt_state corrupt;
} train_user;

static int relay_corrupt(float *dense, sh_csr *csr, size_t rows, size_t cols, sh_rng *rng,
                         void *user)
{
    return corrupt_batch(dense, csr, rows, cols, rng, &((train_user *)user)->corrupt);
}

static int relay_batch_user(int epoch, size_t batch, size_t batches, double loss, void *user)
{
    return relay_batch(epoch, batch, batches, loss, &((train_user *)user)->relay);
}

static int check_opts(const hash_train_opts *o, const sh_csr *tfidf, const sh_csr *counts,
                      char *err, size_t err_len)
{
    if (!code_bits_valid(o->code_bits))
        return sh_fail(err, err_len, SH_EINVAL,
                       "code bits %d: need a multiple of 8 between 8 and 128", o->code_bits);
    if (o->n_hidden < 0 || o->n_hidden > SH_MAX_HIDDEN_LAYERS || o->epochs < 1 ||
        o->batch_size < 1 || o->batch_size > NN_MAX_BATCH || !(o->learning_rate > 0) ||
        !(o->validation_fraction >= 0 && o->validation_fraction <= 0.5) || o->patience < 0 ||
        !(o->kl_weight >= 0) || o->kl_anneal_epochs < 0 || o->neighbours < 0 ||
        o->neighbours > 64 || !(o->neighbour_weight >= 0) ||
        !(o->drop_rate >= 0 && o->drop_rate + o->sub_rate < 1) || !(o->sub_rate >= 0))
        return sh_fail(err, err_len, SH_EINVAL, "hash_train: an option is out of range");
    for (int i = 0; i < o->n_hidden; i++)
        if (o->hidden[i] < 1)
            return sh_fail(err, err_len, SH_EINVAL, "hash_train: hidden layer %d has %d units",
                           i, o->hidden[i]);
    if (tfidf == NULL || counts == NULL || tfidf->rows != counts->rows ||
        tfidf->cols != counts->cols || tfidf->cols == 0)
        return sh_fail(err, err_len, SH_EINVAL,
                       "hash_train: tf-idf and count rows must have the same non-zero shape");
    if (tfidf->rows == 0 || tfidf->row_ptr[tfidf->rows] == 0)
        return sh_fail(err, err_len, SH_EEMPTY,
                       "no training document has a vocabulary term: the corpus is empty");
    return 0;
}

/* What every run of hash_train shares: the training rows, targets,
 * neighbour lists and validation set. */
typedef struct {
    const sh_csr *in, *counts, *target; /* [n_train, V] */
    const uint32_t *nbr;                /* [n_train, neighbours] or NULL */
    valid_state *vs;                    /* NULL without validation */
    size_t n_train, V, K;
    sh_itq **itq;                       /* the ITQ fit, made by the first ITQ start */
} train_data;

/* One training run from one start (itq: PCA + ITQ, else random weights
 * from init_rng) up to deadline (0 = none): builds the network, trains it
 * epoch by epoch and leaves the best validated epoch's parameters in
 * *out_net (free with nn_free). Fills the run's fields of *s (epochs,
 * best epoch, stops, loss, validation precision, sizes, itq_initialised,
 * valid_itq_codes, seconds_per_epoch, gflops). With itq_required, a start
 * that cannot be ITQ's (a hidden layer narrower than 2K, no more rows or
 * terms than bits) returns 0 with *out_net NULL instead of training from
 * random weights. With probe_below above -INFINITY, an ITQ start whose
 * own codes' validation precision is not above it stops there (0,
 * *out_net NULL, s->valid_itq_codes set). With trail_bar above
 * -INFINITY, patience counts the epochs since the validation precision
 * last rose above both the run's best and trail_bar: a run that stays at
 * or below trail_bar stops `patience` epochs after its first trained
 * epoch. Returns 0, SH_ENOMEM, SH_ECANCEL or a training error, with a
 * message in err; *out_net is unchanged on error. The caller sets the
 * BLAS threads. */
static int train_run(const hash_train_opts *o, const train_data *td, sh_rng init_rng, int itq,
                     int itq_required, double probe_below, double trail_bar, double deadline,
                     nn_net **out_net, hash_train_summary *s, char *err, size_t err_len)
{
    size_t V = td->V, K = td->K, n_train = td->n_train, n_valid = td->vs != NULL;
    const sh_csr *target = td->target;
    hash_train_opts ro = *o; /* the ITQ start adds its decoder warmup */
    if (itq && ro.itq_warmup > ro.decoder_warmup)
        ro.decoder_warmup = ro.itq_warmup;
    /* small collections and short codes: no pull (hash_train.h) */
    if (n_train < ro.consistency_min_docs || (int)K < ro.consistency_min_bits)
        ro.consistency = 0.0;
    o = &ro;
    nn_net *net = NULL;
    float *best_params = NULL;
    train_user tu;
    code_epoch_state ce;
    memset(&ce, 0, sizeof(ce));
    memset(&tu, 0, sizeof(tu));
    int rc = csr_init(&tu.corrupt.copy, V);
    if (rc != 0) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory");
        goto fail;
    }
    s->itq_initialised = 0;
    /* the network */
    int hidden[SH_MAX_HIDDEN_LAYERS], batch;
    hash_train_adapt(o, n_train, hidden, &batch);
    nn_config nc;
    nn_config_defaults(&nc, (uint32_t)V, (uint32_t)K);
    nc.input_kind = NN_INPUT_CSR;
    nc.n_enc = (uint32_t)o->n_hidden;
    for (int i = 0; i < o->n_hidden; i++)
        nc.enc_hidden[i] = (uint32_t)hidden[i];
    nc.enc_act = o->activation;
    nc.code_kind = NN_CODE_BINARY;
    nc.dec_mirror = 0;   /* NASH: the decoder is one linear map of the code */
    nc.n_dec = 0;
    nc.loss = NN_LOSS_SOFTMAX;
    nc.weight_decay = (float)o->weight_decay;
    nc.bernoulli_kl = 0.0f;
    nc.max_batch = (uint32_t)(batch > 256 ? batch : 256);
    if ((rc = nn_new(&nc, &init_rng, &net, err, err_len)) != 0)
        goto fail;
    if (itq && o->itq_init > 0) {
        rc = itq_initialise(net, td->in, o->itq_init, o->seed, td->itq);
        if (rc == SH_ENOMEM) {
            sh_fail(err, err_len, rc, "hash_train: out of memory for the ITQ start");
            goto fail;
        }
        /* SH_EINVAL: a hidden layer narrower than 2K, or no more rows or
         * terms than bits: the encoder keeps its random start */
        s->itq_initialised = rc == 0;
        rc = 0;
    }
    if (itq && itq_required && !s->itq_initialised) {
        nn_free(net); /* *out_net NULL: no ITQ start here */
        net = NULL;
        goto done;
    }
    s->valid_itq_codes = NAN;
    if (s->itq_initialised && n_valid &&
        (rc = valid_measure(td->vs, net, o->median_threshold, o->threshold_window,
                            &s->valid_itq_codes)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: validation: %s", sh_strerror(rc));
        goto fail;
    }
    if (probe_below > -INFINITY && s->itq_initialised && !(s->valid_itq_codes > probe_below)) {
        nn_free(net); /* the probe says no: *out_net NULL */
        net = NULL;
        goto done;
    }
    if (o->unigram_bias)
        unigram_bias(net, td->counts);
    s->n_hidden = o->n_hidden;
    for (int i = 0; i < o->n_hidden; i++)
        s->hidden_used[i] = hidden[i];
    s->batch_used = batch;
    if (n_valid && (best_params = malloc(net->n_params * sizeof(float))) == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory");
        goto fail;
    }

    nn_train_opts to;
    nn_train_defaults(&to);
    to.epochs = 1;
    to.batch_size = (size_t)batch;
    nn_optim_defaults(&to.optim, SH_OPT_ADAM, (float)o->learning_rate);
    to.patience = 0;
    to.user = &tu;
    tu.relay.o = o;
    if (o->on_batch != NULL)
        to.progress = relay_batch_user;
    if (o->drop_rate > 0 || o->sub_rate > 0) {
        tu.corrupt.drop_rate = o->drop_rate;
        tu.corrupt.sub_rate = o->sub_rate;
        tu.corrupt.source = td->in;
        to.corrupt = relay_corrupt;
    }
    nn_data d_in = { n_train, V, NULL, td->in }, d_target = { n_train, V, NULL, target };
    int pull = o->neighbour_pull > 0 && td->nbr != NULL;
    int own_loop = o->decorrelation > 0 || o->decoder_warmup > 0 || pull || o->consistency > 0 ||
                   o->margin > 0;
    if (own_loop && (rc = code_epoch_init(&ce, net, td->in, target, pull ? td->nbr : NULL,
                                          (size_t)o->neighbours, pull, o->consistency > 0,
                                          o->seed)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: out of memory");
        goto fail;
    }

    double best = -1.0, train_seconds = 0.0, flops = 0.0;
    int first_candidate = HASH_WARMUP_EPOCHS + o->decoder_warmup; /* 1-based epoch */
    if (first_candidate > o->epochs)
        first_candidate = o->epochs;
    /* patience: epochs since the validation last rose above trained_best,
     * which starts at trail_bar when there is one, counted from the epoch
     * before the first trained one */
    int have_best = 0, trained_best_epoch = -1;
    double trained_best = -1.0;
    if (trail_bar > -INFINITY) { /* false for NAN too */
        trained_best = trail_bar;
        trained_best_epoch = first_candidate - 2;
    }
    for (int epoch = 0; epoch < o->epochs; epoch++) {
        double t0 = now_seconds();
        double ramp = o->kl_anneal_epochs > 0 ? (double)(epoch + 1) / o->kl_anneal_epochs : 1.0;
        net->cfg.bernoulli_kl = (float)(o->kl_weight * (ramp < 1.0 ? ramp : 1.0));
        to.seed = o->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(epoch + 1));
        if (deadline > 0) {
            to.max_seconds = deadline - now_seconds();
            if (to.max_seconds <= 0) {
                s->stopped_early = 1;
                break;
            }
        }
        tu.relay.epoch = epoch;
        to.deterministic_code = epoch < o->deterministic_epochs;
        /* an ITQ start trains its decoder alone at the full rate, then
         * everything at itq_lr_scale times it (0 counts as 1) */
        double lr_scale = s->itq_initialised && epoch >= o->decoder_warmup &&
                          o->itq_lr_scale > 0 ? o->itq_lr_scale : 1.0;
        to.optim.lr = (float)(o->learning_rate * lr_scale);
        nn_train_summary ts;
        double f0 = net->flops;
        if (own_loop) {
            rc = code_epoch(net, &ce, &d_in, &d_target, (size_t)batch, &to.optim, o, epoch,
                            to.corrupt != NULL ? &tu.corrupt : NULL, deadline, &ts.train_loss,
                            &ts.stopped_early);
            if (rc == SH_ECANCEL)
                rc = sh_fail(err, err_len, rc, "training cancelled at epoch %d", epoch + 1);
            else if (rc != 0)
                sh_fail(err, err_len, rc, "hash_train: epoch %d: %s", epoch + 1,
                        sh_strerror(rc));
        } else {
            rc = nn_train(net, &d_in, &d_target, NULL, NULL, &to, &ts, err, err_len);
        }
        if (rc != 0)
            goto fail;
        train_seconds += now_seconds() - t0;
        flops += net->flops - f0;
        s->epochs_run = epoch + 1;
        s->train_loss = ts.train_loss;
        hash_epoch_info info = { epoch, o->epochs, ts.train_loss, NAN,
                                 net->cfg.bernoulli_kl, 0.0, 0, itq };
        if (n_valid) {
            double prec;
            if ((rc = valid_measure(td->vs, net, o->median_threshold, o->threshold_window,
                                    &prec)) != 0) {
                sh_fail(err, err_len, rc, "hash_train: validation: %s", sh_strerror(rc));
                goto fail;
            }
            if (isnan(prec))
                prec = 0.0;
            info.valid_precision = prec;
            /* the first epochs are no candidates (see hash_train.h); the
             * last decoder-only epoch of an ITQ start (ITQ's own codes, the
             * encoder untouched, with a trained decoder) may be one, but
             * patience counts over the trained epochs alone, so it changes
             * which epoch is kept, never how long training runs */
            int trained = epoch + 1 >= first_candidate;
            int candidate = trained || (o->itq_candidate && s->itq_initialised &&
                                        epoch + 1 == o->decoder_warmup);
            if (candidate && prec > best) {
                best = prec;
                s->best_epoch = epoch;
                s->valid_precision = prec;
                info.best = 1;
                have_best = 1;
                memcpy(best_params, net->params, net->n_params * sizeof(float));
            }
            if (trained && prec > trained_best) {
                trained_best = prec;
                trained_best_epoch = epoch;
            } else if (trained && o->patience > 0 && epoch + 1 >= o->kl_anneal_epochs &&
                       epoch - trained_best_epoch >= o->patience) {
                s->stopped_early = 1;
            }
        } else {
            s->best_epoch = epoch;
            info.best = 1;
        }
        info.seconds = now_seconds() - t0;
        if (o->on_epoch != NULL && o->on_epoch(&info, o->user) != 0) {
            rc = sh_fail(err, err_len, SH_ECANCEL, "training cancelled at epoch %d", epoch + 1);
            goto fail;
        }
        if (ts.stopped_early)
            s->stopped_early = 1;
        if (s->stopped_early)
            break;
    }
    if (best_params != NULL && have_best)
        memcpy(net->params, best_params, net->n_params * sizeof(float));
    net->cfg.bernoulli_kl = (float)o->kl_weight;
    s->seconds_per_epoch = s->epochs_run > 0 ? train_seconds / s->epochs_run : 0.0;
    s->gflops = train_seconds > 0 ? flops / train_seconds * 1e-9 : 0.0;
done:
    *out_net = net;
    net = NULL;
    rc = 0;
fail:
    nn_free(net);
    free(best_params);
    csr_free(&tu.corrupt.copy);
    free(tu.corrupt.cols);
    free(tu.corrupt.vals);
    code_epoch_free(&ce);
    return rc;
}

int hash_train(const hash_train_opts *o, const sh_csr *tfidf, const sh_csr *counts,
               nn_net **out_net, float *thresholds, hash_train_summary *summary,
               char *err, size_t err_len)
{
    double t_start = now_seconds();
    hash_train_summary s;
    memset(&s, 0, sizeof(s));
    s.best_epoch = -1;
    s.valid_precision = s.valid_random = s.valid_itq = s.valid_itq_codes = NAN;
    int rc = check_opts(o, tfidf, counts, err, err_len);
    if (rc != 0)
        return rc;

    size_t N = tfidf->rows, V = tfidf->cols, K = (size_t)o->code_bits;
    nn_net *net = NULL;
    nn_net *other = NULL;
    sh_itq *itq = NULL; /* fitted by the first ITQ start, shared by the next */
    uint32_t *order = NULL, *nbr = NULL;
    sh_csr tr_in, tr_counts, tr_target;
    valid_state vs;
    memset(&vs, 0, sizeof(vs));
    int have_in = csr_init(&tr_in, V) == 0, have_counts = csr_init(&tr_counts, V) == 0;
    int have_target = csr_init(&tr_target, V) == 0;
    if (!have_in || !have_counts || !have_target) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory");
        goto fail;
    }

    /* the seeded validation split */
    sh_rng root, split_rng, init_rng, valid_rng;
    rng_seed(&root, o->seed);
    split_rng = rng_split(&root);
    init_rng = rng_split(&root);
    valid_rng = rng_split(&root);
    order = malloc(N * sizeof(uint32_t));
    if (order == NULL) {
        rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < N; i++)
        order[i] = (uint32_t)i;
    rng_shuffle_u32(&split_rng, order, N);
    size_t n_valid = (size_t)floor(o->validation_fraction * (double)N);
    if (N - n_valid < 2 || n_valid < 5)
        n_valid = 0;
    size_t n_train = N - n_valid;
    /* training rows in their original order (the trainer shuffles them),
     * for a data-order-independent layout: every row not drawn for
     * validation, in one pass (an insertion sort here was O(N^2)) */
    uint32_t *train_rows = order + n_valid;
    {
        uint8_t *is_valid = calloc(N ? N : 1, 1);
        if (is_valid == NULL) {
            rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < n_valid; i++)
            is_valid[order[i]] = 1;
        size_t t = 0;
        for (size_t i = 0; i < N; i++)
            if (!is_valid[i])
                train_rows[t++] = (uint32_t)i;
        free(is_valid);
    }
    if ((rc = csr_select_rows(&tr_in, tfidf, train_rows, n_train)) != 0 ||
        (rc = csr_select_rows(&tr_counts, counts, train_rows, n_train)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: out of memory");
        goto fail;
    }
    if (n_valid > 0 &&
        (rc = valid_init(&vs, tfidf, train_rows, n_train, order, n_valid, K, &valid_rng,
                         o->neighbour_pca_dims, o->seed)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: validation set: %s", sh_strerror(rc));
        goto fail;
    }

    /* targets: the counts (or the tf-idf weights), plus neighbours if asked */
    if (o->tfidf_target && (rc = tfidf_targets(&tr_counts, &tr_in)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: tf-idf targets need count rows with the "
                "tf-idf rows' entries");
        goto fail;
    }
    const sh_csr *target = &tr_counts;
    if (o->neighbours > 0 && (o->neighbour_weight > 0 || o->neighbour_pull > 0) &&
        n_train > 1 && n_train <= o->neighbour_max_docs) {
        nbr = malloc(n_train * (size_t)o->neighbours * sizeof(uint32_t));
        if (nbr == NULL) {
            rc = sh_fail(err, err_len, SH_ENOMEM, "hash_train: out of memory for neighbours");
            goto fail;
        }
        rc = o->neighbour_pca_dims > 0
                 ? hash_neighbours_pca(&tr_in, &tr_in, (size_t)o->neighbours, 1,
                                       o->neighbour_pca_dims, o->seed, nbr)
                 : hash_neighbours(&tr_in, &tr_in, (size_t)o->neighbours, 1, nbr);
        if (rc == 0 &&
            o->neighbour_min_sim > 0)
            hash_neighbours_gate(nbr, (size_t)o->neighbours, &tr_in, o->neighbour_min_sim);
        if (rc != 0 ||
            (o->neighbour_weight > 0 &&
             (rc = hash_neighbour_targets(&tr_target, &tr_counts, nbr, (size_t)o->neighbours,
                                     o->neighbour_weight)) != 0)) {
            sh_fail(err, err_len, rc, "hash_train: neighbour targets: %s", sh_strerror(rc));
            goto fail;
        }
        if (o->neighbour_weight > 0)
            target = &tr_target;
    }

    /* the runs: one start, or (auto, both) random first, then ITQ, and
     * the better validation kept */
    train_data td = { &tr_in, &tr_counts, target, nbr, n_valid > 0 ? &vs : NULL, n_train, V, K,
                      &itq };
    double deadline = o->max_seconds > 0 ? t_start + o->max_seconds : 0.0;
    mat_set_threads(o->threads);
    sh_train_start start = o->start;
    int two = start == SH_START_AUTO || start == SH_START_BOTH;
    if (two && (n_valid == 0 || o->itq_init <= 0))
        start = SH_START_RANDOM; /* nothing to choose by, or no ITQ start asked */
    if (!two || start == SH_START_RANDOM) {
        rc = train_run(o, &td, init_rng, start == SH_START_ITQ, 0, -INFINITY, -INFINITY,
                       deadline, &net, &s, err, err_len);
        if (rc != 0)
            goto fail;
        s.starts_tried = 1;
        if (s.itq_initialised)
            s.valid_itq = s.valid_precision;
        else
            s.valid_random = s.valid_precision;
    } else {
        /* each run gets half of max_seconds; auto trains the ITQ start
         * only when the random run's validation precision is not above
         * ITQ's own codes' (the start's before any training); an
         * impossible ITQ start leaves the random run alone. auto measures
         * ITQ's own codes first (an ITQ start probed against +INFINITY:
         * built, validated, freed): a random run that has not risen above
         * them within `patience` trained epochs stops there, since the
         * ITQ start is trained then anyway */
        double half = o->max_seconds > 0 ? t_start + o->max_seconds / 2 : 0.0;
        double trail_bar = -INFINITY;
        if (start == SH_START_AUTO) {
            hash_train_summary sp = s;
            nn_net *none = NULL;
            if ((rc = train_run(o, &td, init_rng, 1, 1, INFINITY, -INFINITY, half, &none, &sp,
                                err, err_len)) != 0)
                goto fail;
            nn_free(none); /* NULL: the probe never trains */
            trail_bar = sp.valid_itq_codes; /* NAN without an ITQ start: no bar */
        }
        if ((rc = train_run(o, &td, init_rng, 0, 0, -INFINITY, trail_bar, half, &net, &s, err,
                            err_len)) != 0)
            goto fail;
        s.valid_random = s.valid_precision;
        s.starts_tried = 1;
        hash_train_summary si = s;
        si.best_epoch = -1;
        si.valid_precision = NAN;
        si.epochs_run = 0;
        si.stopped_early = 0;
        double probe = start == SH_START_AUTO ? s.valid_random : -INFINITY;
        if ((rc = train_run(o, &td, init_rng, 1, 1, probe, -INFINITY, deadline, &other, &si,
                            err, err_len)) != 0)
            goto fail;
        s.valid_itq_codes = si.valid_itq_codes;
        if (other != NULL) {
            s.starts_tried = 2;
            s.valid_itq = si.valid_precision;
            int epochs = s.epochs_run + si.epochs_run;
            double per_epoch = epochs > 0 ? (s.seconds_per_epoch * s.epochs_run +
                                             si.seconds_per_epoch * si.epochs_run) / epochs : 0;
            double gflops = (s.gflops * s.seconds_per_epoch * s.epochs_run +
                             si.gflops * si.seconds_per_epoch * si.epochs_run) /
                            (per_epoch * epochs > 0 ? per_epoch * epochs : 1);
            int stopped = s.stopped_early || si.stopped_early;
            if (si.valid_precision > s.valid_precision) { /* ties keep the random start */
                nn_net *t = net;
                net = other;
                other = t;
                si.valid_random = s.valid_random;
                si.valid_itq = s.valid_itq;
                si.starts_tried = 2;
                s = si;
            }
            s.stopped_early = stopped;
            s.seconds_per_epoch = per_epoch; /* over both runs */
            s.gflops = gflops;
        }
    }
    if ((rc = compute_thresholds(net, &tr_in, o->median_threshold, o->threshold_window,
                                 thresholds)) != 0) {
        sh_fail(err, err_len, rc, "hash_train: thresholds: %s", sh_strerror(rc));
        goto fail;
    }
    *out_net = net;
    net = NULL;
    rc = 0;
fail:
    s.seconds = now_seconds() - t_start;
    if (summary != NULL)
        *summary = s;
    nn_free(net);
    nn_free(other);
    itq_free(itq);
    free(order);
    free(nbr);
    csr_free(&tr_in);
    csr_free(&tr_counts);
    csr_free(&tr_target);
    valid_free(&vs);
    return rc;
}
