/* itq.c — PCA + iterative quantisation on sparse rows (see itq.h).
 *
 * Legend: N = rows, V = vocabulary, K = bits, L = subspace columns.
 * Dense buffers are row-major floats unless a comment says double; small
 * K x K and L x L problems are done in double through LAPACK's dgesvd.
 * Deliberately not here: the code layout (code.h), the model container
 * (modelfile.h), anything about text.
 */
#include "itq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sh_error.h"

/* LAPACK (OpenBLAS): singular value decomposition of a column-major m x n
 * matrix, with the hidden lengths of the two character arguments. */
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt,
                    const int *ldvt, double *work, const int *lwork, int *info,
                    size_t jobu_len, size_t jobvt_len);

struct sh_itq {
    size_t vocab;      /* V */
    int bits;          /* K */
    float *proj;       /* [V,K] A = W R */
    float offset[SH_CODE_MAX_BITS]; /* [K] m^T A */
    float *rotation;   /* [K,K] R, fitted models only (NULL when loaded) */
};

/* ---- small dense helpers ------------------------------------------------ */

/* M[n,n] (row-major, double) = U diag(s) Vt, U and Vt row-major [n,n], s
 * descending. Returns 0, SH_ENOMEM or SH_EINVAL (LAPACK failed). */
static int svd_square(const double *M, size_t n, double *U, double *s, double *Vt)
{
    int N = (int)n, lwork = -1, info = 0;
    double *a = malloc(n * n * sizeof(double));
    double *u = malloc(n * n * sizeof(double));
    double *vt = malloc(n * n * sizeof(double));
    double *work = NULL, query = 0.0;
    int rc = SH_ENOMEM;
    if (a == NULL || u == NULL || vt == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)          /* column-major copy */
        for (size_t j = 0; j < n; j++)
            a[i + j * n] = M[i * n + j];
    dgesvd_("A", "A", &N, &N, a, &N, s, u, &N, vt, &N, &query, &lwork, &info, 1, 1);
    rc = SH_EINVAL;
    if (info != 0)
        goto fail;
    lwork = (int)query + 1;
    rc = SH_ENOMEM;
    if ((work = malloc((size_t)lwork * sizeof(double))) == NULL)
        goto fail;
    dgesvd_("A", "A", &N, &N, a, &N, s, u, &N, vt, &N, work, &lwork, &info, 1, 1);
    rc = SH_EINVAL;
    if (info != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++) {
            U[i * n + k] = u[i + k * n];
            Vt[k * n + i] = vt[k + i * n];
        }
    rc = 0;
fail:
    free(a);
    free(u);
    free(vt);
    free(work);
    return rc;
}

/* Orthonormalises the L columns of Q[V,L] in place (modified Gram-Schmidt
 * in double, two passes). A column that is (numerically) a combination of
 * the earlier ones is replaced by a random direction from rng, so the
 * result always has orthonormal columns (requires L <= V). Returns 0 or
 * SH_ENOMEM. */
static int orthonormalise(float *Q, size_t V, size_t L, sh_rng *rng)
{
    double *c = malloc(L * V * sizeof(double));   /* [L][V]: column j contiguous */
    if (c == NULL)
        return SH_ENOMEM;
    for (size_t v = 0; v < V; v++)
        for (size_t j = 0; j < L; j++)
            c[j * V + v] = Q[v * L + j];
    for (size_t j = 0; j < L; j++) {
        double *x = c + j * V;
        for (int attempt = 0;; attempt++) {
            double before = 0.0, after = 0.0;
            for (size_t v = 0; v < V; v++)
                before += x[v] * x[v];
            for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < j; i++) {
                    const double *y = c + i * V;
                    double dot = 0.0;
                    for (size_t v = 0; v < V; v++)
                        dot += x[v] * y[v];
                    for (size_t v = 0; v < V; v++)
                        x[v] -= dot * y[v];
                }
            for (size_t v = 0; v < V; v++)
                after += x[v] * x[v];
            if (after > 1e-20 && after > 1e-12 * before) {
                double inv = 1.0 / sqrt(after);
                for (size_t v = 0; v < V; v++)
                    x[v] *= inv;
                break;
            }
            for (size_t v = 0; v < V; v++) /* dependent: start afresh */
                x[v] = rng_normal(rng);
            (void)attempt;
        }
    }
    for (size_t v = 0; v < V; v++)
        for (size_t j = 0; j < L; j++)
            Q[v * L + j] = (float)c[j * V + v];
    free(c);
    return 0;
}

/* mean[V] (double) of the rows. */
static void row_mean(const sh_csr *rows, double *mean)
{
    memset(mean, 0, rows->cols * sizeof(double));
    for (size_t e = 0; e < rows->row_ptr[rows->rows]; e++)
        mean[rows->col_idx[e]] += rows->values[e];
    for (size_t v = 0; v < rows->cols; v++)
        mean[v] /= (double)rows->rows;
}

/* Z[N,H] = (X - 1 m^T) Q[V,H]: the sparse product, then m^T Q off every row. */
static void centred_mul(float *Z, const sh_csr *X, const double *mean, const float *Q, size_t H)
{
    csr_dense_mul(Z, X, Q, H, 0);
    for (size_t h = 0; h < H; h++) {
        double shift = 0.0;
        for (size_t v = 0; v < X->cols; v++)
            shift += mean[v] * Q[v * H + h];
        for (size_t r = 0; r < X->rows; r++)
            Z[r * H + h] -= (float)shift;
    }
}

/* Y[V,H] = (X - 1 m^T)^T Z[N,H]. */
static void centred_t_mul(float *Y, const sh_csr *X, const double *mean, const float *Z, size_t H)
{
    memset(Y, 0, X->cols * H * sizeof(float));
    csr_t_dense_mul(Y, X, Z, H);
    for (size_t h = 0; h < H; h++) {
        double colsum = 0.0;
        for (size_t r = 0; r < X->rows; r++)
            colsum += Z[r * H + h];
        for (size_t v = 0; v < X->cols; v++)
            Y[v * H + h] -= (float)(mean[v] * colsum);
    }
}

/* ---- PCA ------------------------------------------------------------------ */

/* The top K principal directions W[V,K] of the centred rows, their
 * variances var[K] and the centred projections P[N,K] = (X - 1 m^T) W. */
static int pca_sparse(const sh_csr *X, const double *mean, size_t K, sh_rng *rng, float *W,
                      double *var, float *P)
{
    size_t N = X->rows, V = X->cols;
    size_t L = K + ITQ_OVERSAMPLE < V ? K + ITQ_OVERSAMPLE : V;
    float *Q = malloc(V * L * sizeof(float));      /* [V,L] subspace basis */
    float *Y = malloc(V * L * sizeof(float));      /* [V,L] */
    float *Z = malloc(N * L * sizeof(float));      /* [N,L] */
    double *T = malloc(L * L * sizeof(double));    /* [L,L] Z^T Z */
    double *U = malloc(L * L * sizeof(double)), *Ut = malloc(L * L * sizeof(double));
    double *s = malloc(L * sizeof(double));
    int rc = SH_ENOMEM;
    if (!Q || !Y || !Z || !T || !U || !Ut || !s)
        goto fail;
    for (size_t i = 0; i < V * L; i++)
        Q[i] = rng_normal(rng);
    if ((rc = orthonormalise(Q, V, L, rng)) != 0)
        goto fail;
    for (int it = 0; it < ITQ_PCA_ITERATIONS; it++) {
        centred_mul(Z, X, mean, Q, L);
        centred_t_mul(Y, X, mean, Z, L);
        memcpy(Q, Y, V * L * sizeof(float));
        if ((rc = orthonormalise(Q, V, L, rng)) != 0)
            goto fail;
    }
    /* Rayleigh-Ritz: the eigenvectors of Z^T Z rotate the basis onto the
     * principal directions inside the subspace. */
    centred_mul(Z, X, mean, Q, L);
    for (size_t i = 0; i < L; i++)
        for (size_t j = 0; j <= i; j++) {
            double dot = 0.0;
            for (size_t r = 0; r < N; r++)
                dot += (double)Z[r * L + i] * Z[r * L + j];
            T[i * L + j] = T[j * L + i] = dot;
        }
    if ((rc = svd_square(T, L, U, s, Ut)) != 0)
        goto fail;
    for (size_t v = 0; v < V; v++)                 /* W = Q U[:, :K] */
        for (size_t k = 0; k < K; k++) {
            double w = 0.0;
            for (size_t l = 0; l < L; l++)
                w += (double)Q[v * L + l] * U[l * L + k];
            W[v * K + k] = (float)w;
        }
    for (size_t r = 0; r < N; r++)                 /* P = Z U[:, :K] */
        for (size_t k = 0; k < K; k++) {
            double p = 0.0;
            for (size_t l = 0; l < L; l++)
                p += (double)Z[r * L + l] * U[l * L + k];
            P[r * K + k] = (float)p;
        }
    for (size_t k = 0; k < K; k++)
        var[k] = s[k] / (double)(N - 1);
    rc = 0;
fail:
    free(Q);
    free(Y);
    free(Z);
    free(T);
    free(U);
    free(Ut);
    free(s);
    return rc;
}

/* ---- ITQ -------------------------------------------------------------------- */

/* |B - P R|^2 / N with B = sign(P R) (+1 where > 0, else -1); Z[N,K]
 * receives P R and B[N,K] the signs. */
static double quantise(const float *P, const float *R, size_t N, size_t K, float *Z, float *B)
{
    mat_gemm(0, 0, N, K, K, 1.0f, P, K, R, K, 0.0f, Z, K);
    double loss = 0.0;
    for (size_t i = 0; i < N * K; i++) {
        B[i] = Z[i] > 0.0f ? 1.0f : -1.0f;
        double d = (double)B[i] - Z[i];
        loss += d * d;
    }
    return loss / (double)N;
}

/* The orthogonal R[K,K] minimising |B - P R|_F: with B^T P = S O Sh^T,
 * R = Sh S^T. */
static int procrustes(const float *P, const float *B, size_t N, size_t K, float *R)
{
    float *M = malloc(K * K * sizeof(float));
    double *Md = malloc(K * K * sizeof(double)), *S = malloc(K * K * sizeof(double));
    double *Sht = malloc(K * K * sizeof(double)), *sv = malloc(K * sizeof(double));
    int rc = SH_ENOMEM;
    if (!M || !Md || !S || !Sht || !sv)
        goto fail;
    mat_gemm(1, 0, K, K, N, 1.0f, B, K, P, K, 0.0f, M, K);   /* M = B^T P */
    for (size_t i = 0; i < K * K; i++)
        Md[i] = M[i];
    if ((rc = svd_square(Md, K, S, sv, Sht)) != 0)
        goto fail;
    for (size_t i = 0; i < K; i++)        /* R[i][j] = sum_k Sh[i][k] S[j][k] */
        for (size_t j = 0; j < K; j++) {
            double r = 0.0;
            for (size_t k = 0; k < K; k++)
                r += Sht[k * K + i] * S[j * K + k];
            R[i * K + j] = (float)r;
        }
    rc = 0;
fail:
    free(M);
    free(Md);
    free(S);
    free(Sht);
    free(sv);
    return rc;
}

/* A random orthogonal R[K,K]: orthonormalised Gaussian columns. */
static int random_rotation(float *R, size_t K, sh_rng *rng)
{
    for (size_t i = 0; i < K * K; i++)
        R[i] = rng_normal(rng);
    return orthonormalise(R, K, K, rng);
}

/* ---- the encoder ------------------------------------------------------------ */

void itq_free(sh_itq *q)
{
    if (q == NULL)
        return;
    free(q->proj);
    free(q->rotation);
    free(q);
}

int itq_fit(const sh_csr *rows, int bits, int iterations, uint64_t seed, sh_itq **out,
            itq_fit_info *info)
{
    if (rows == NULL || out == NULL || !code_bits_valid(bits) || iterations < 0 ||
        iterations > ITQ_ITERATIONS || (size_t)bits > rows->cols || rows->rows < (size_t)bits + 1)
        return SH_EINVAL;
    size_t N = rows->rows, V = rows->cols, K = (size_t)bits;
    sh_rng root, pca_rng, rot_rng;
    rng_seed(&root, seed);
    pca_rng = rng_split(&root);
    rot_rng = rng_split(&root);
    itq_fit_info fi;
    memset(&fi, 0, sizeof fi);
    fi.iterations = iterations;
    sh_itq *q = calloc(1, sizeof *q);
    double *mean = malloc(V * sizeof(double));
    float *W = malloc(V * K * sizeof(float));   /* [V,K] principal directions */
    float *P = malloc(N * K * sizeof(float));   /* [N,K] centred projections */
    float *Z = malloc(N * K * sizeof(float));   /* [N,K] P R */
    float *B = malloc(N * K * sizeof(float));   /* [N,K] signs */
    int rc = SH_ENOMEM;
    if (q == NULL || mean == NULL || W == NULL || P == NULL || Z == NULL || B == NULL)
        goto fail;
    q->vocab = V;
    q->bits = bits;
    q->proj = malloc(V * K * sizeof(float));
    q->rotation = malloc(K * K * sizeof(float));
    if (q->proj == NULL || q->rotation == NULL)
        goto fail;
    row_mean(rows, mean);
    if ((rc = pca_sparse(rows, mean, K, &pca_rng, W, fi.variance, P)) != 0 ||
        (rc = random_rotation(q->rotation, K, &rot_rng)) != 0)
        goto fail;
    fi.quant_loss[0] = quantise(P, q->rotation, N, K, Z, B);
    for (int it = 0; it < iterations; it++) {
        if ((rc = procrustes(P, B, N, K, q->rotation)) != 0)
            goto fail;
        fi.quant_loss[it + 1] = quantise(P, q->rotation, N, K, Z, B);
    }
    /* A = W R, offsets = m^T A */
    mat_gemm(0, 0, V, K, K, 1.0f, W, K, q->rotation, K, 0.0f, q->proj, K);
    for (size_t k = 0; k < K; k++) {
        double off = 0.0;
        for (size_t v = 0; v < V; v++)
            off += mean[v] * q->proj[v * K + k];
        q->offset[k] = (float)off;
    }
    if (info != NULL)
        *info = fi;
    *out = q;
    q = NULL;
    rc = 0;
fail:
    itq_free(q);
    free(mean);
    free(W);
    free(P);
    free(Z);
    free(B);
    return rc;
}

/* acc[K] = x . A[:, k] of row r. */
static void itq_row(const sh_itq *q, const sh_csr *rows, size_t r, double *acc)
{
    size_t K = (size_t)q->bits;
    memset(acc, 0, K * sizeof *acc);
    for (size_t e = rows->row_ptr[r]; e < rows->row_ptr[r + 1]; e++) {
        double x = rows->values[e];
        const float *a = q->proj + (size_t)rows->col_idx[e] * K;
        for (size_t k = 0; k < K; k++)
            acc[k] += x * a[k];
    }
}

int itq_project(const sh_itq *q, const sh_csr *rows, float *z)
{
    if (q == NULL || rows == NULL || z == NULL)
        return SH_EINVAL;
    if (rows->cols > q->vocab)
        return SH_EMODEL;
    double acc[SH_CODE_MAX_BITS];
    size_t K = (size_t)q->bits;
    for (size_t r = 0; r < rows->rows; r++) {
        itq_row(q, rows, r, acc);
        for (size_t k = 0; k < K; k++)
            z[r * K + k] = (float)(acc[k] - q->offset[k]);
    }
    return 0;
}

int itq_encode(const sh_itq *q, const sh_csr *rows, const float *offsets, sh_code *out)
{
    if (q == NULL || rows == NULL || out == NULL)
        return SH_EINVAL;
    if (rows->cols > q->vocab)
        return SH_EMODEL;
    const float *off = offsets != NULL ? offsets : q->offset;
    double acc[SH_CODE_MAX_BITS];
    for (size_t r = 0; r < rows->rows; r++) {
        itq_row(q, rows, r, acc);
        sh_code c = { { 0, 0 } };
        for (int k = 0; k < q->bits; k++)
            if (acc[k] > (double)off[k])
                code_set_bit(&c, k, 1);
        out[r] = c;
    }
    return 0;
}

size_t itq_vocab(const sh_itq *q)
{
    return q->vocab;
}

int itq_bits(const sh_itq *q)
{
    return q->bits;
}

float itq_weight(const sh_itq *q, size_t term, int bit)
{
    return q->proj[term * (size_t)q->bits + (size_t)bit];
}

float itq_offset(const sh_itq *q, int bit)
{
    return q->offset[bit];
}

const float *itq_rotation(const sh_itq *q)
{
    return q->rotation;
}

/* ---- model files ------------------------------------------------------------ */

int itq_save(const sh_itq *q, mf_writer *w)
{
    if (q == NULL || w == NULL)
        return SH_EINVAL;
    int rc = mf_writer_begin(w, ITQ_SECTION);
    if (rc == 0)
        rc = mf_put_u64(w, (uint64_t)q->vocab);
    if (rc == 0)
        rc = mf_put_u32(w, (uint32_t)q->bits);
    if (rc == 0)
        rc = mf_put_f32_array(w, q->offset, (size_t)q->bits);
    if (rc == 0)
        rc = mf_put_f32_array(w, q->proj, q->vocab * (size_t)q->bits);
    if (rc == 0)
        rc = mf_writer_end(w);
    return rc;
}

int itq_load(const mf_model *m, sh_itq **out, char *err, size_t err_len)
{
    const char *label = m ? mf_model_label(m) : "(null)";
    const void *data;
    size_t len;
    if (m == NULL || out == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "%s: no model", label);
    if (mf_model_section(m, ITQ_SECTION, &data, &len) != 0)
        return sh_fail(err, err_len, SH_ENOTFOUND, "%s: no ITQ encoder in this model", label);
    mf_cursor c;
    uint64_t vocab;
    uint32_t bits;
    mf_cursor_init(&c, data, len);
    if (mf_get_u64(&c, &vocab) != 0 || mf_get_u32(&c, &bits) != 0)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: ITQ section cut short", label);
    if (vocab == 0 || vocab > ITQ_MAX_VOCAB || bits > SH_CODE_MAX_BITS ||
        !code_bits_valid((int)bits))
        return sh_fail(err, err_len, SH_EFORMAT,
                       "%s: ITQ section has vocabulary %llu and %u bits (need 1..%u and "
                       "8..128 in steps of 8)", label, (unsigned long long)vocab, bits,
                       ITQ_MAX_VOCAB);
    size_t want = 12 + 4 * (size_t)bits * (1 + (size_t)vocab);
    if (len != want)
        return sh_fail(err, err_len, SH_EFORMAT, "%s: ITQ section has %zu bytes, expected %zu",
                       label, len, want);
    sh_itq *q = calloc(1, sizeof *q);
    if (q == NULL || (q->proj = malloc((size_t)vocab * bits * sizeof(float))) == NULL) {
        itq_free(q);
        return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory for the ITQ encoder", label);
    }
    q->vocab = (size_t)vocab;
    q->bits = (int)bits;
    if (mf_get_f32_array(&c, q->offset, bits) != 0 ||
        mf_get_f32_array(&c, q->proj, (size_t)vocab * bits) != 0) {
        itq_free(q);
        return sh_fail(err, err_len, SH_EFORMAT, "%s: ITQ section cut short", label);
    }
    for (size_t i = 0; i < (size_t)vocab * bits; i++)
        if (!isfinite(q->proj[i]) || (i < bits && !isfinite(q->offset[i]))) {
            itq_free(q);
            return sh_fail(err, err_len, SH_EFORMAT, "%s: ITQ section holds a non-finite value",
                           label);
        }
    *out = q;
    return 0;
}
