/* train_nash.c — the semhash side of the training-speed benchmark (the
 * `train` part of `make bench`), in two steps that share one input:
 *
 *   train_nash dump CORPUS.jsonl DIR
 *       Reads the documents of split "train", fits the vocabulary and
 *       vectorises them with the default text configuration, exactly as
 *       `semhash eval` does (hasher_build_vocab, hasher_vectorize_docs),
 *       and writes DIR/tfidf.csr and DIR/counts.csr. Prints one JSON
 *       object: documents, vocabulary, nonzeros.
 *   train_nash run DIR THREADS EPOCHS [SEED]
 *       Trains the default 64-bit hashing model (hash_train, the function
 *       `semhash train` calls: 10,000 -> 500 relu -> 500 relu -> 64 bits ->
 *       softmax over the vocabulary, batch 128, Adam 1e-3, KL to
 *       Bernoulli(0.5) ramped over 5 epochs) on those rows for EPOCHS
 *       epochs on THREADS BLAS threads, with no validation split and no
 *       early stop, so every row is trained on and every epoch runs.
 *       Prints one JSON object: seconds per epoch (training only), each
 *       epoch's seconds and loss, achieved GFLOP/s, and where the training
 *       time went (nn_timing: dense layer products, the sparse first
 *       layer, loss, optimiser, the rest) with the GFLOP/s of the dense
 *       and sparse products alone.
 *
 * The .csr format (read by bench/torch_nash.py), little-endian:
 *   8 bytes "SHCSR01\n", u64 rows, u64 cols, u64 nnz,
 *   u64 row_ptr[rows + 1], u32 col_idx[nnz], f32 values[nnz].
 * This program measures; it does not check retrieval quality.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "corpus.h"
#include "hash_eval.h"
#include "hash_train.h"
#include "hasher.h"
#include "matrix.h"
#include "nn_net.h"
#include "sh_error.h"

#define CSR_MAGIC "SHCSR01\n"
#define MAX_EPOCHS 1000

/* ---- the .csr files ------------------------------------------------------ */

static int write_csr(const char *path, const sh_csr *m)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    uint64_t head[3] = { m->rows, m->cols, m->nnz };
    int ok = fwrite(CSR_MAGIC, 1, 8, f) == 8 && fwrite(head, sizeof(uint64_t), 3, f) == 3;
    for (size_t r = 0; ok && r <= m->rows; r++) {
        uint64_t p = m->row_ptr[r];
        ok = fwrite(&p, sizeof p, 1, f) == 1;
    }
    ok = ok && fwrite(m->col_idx, sizeof(uint32_t), m->nnz, f) == m->nnz &&
         fwrite(m->values, sizeof(float), m->nnz, f) == m->nnz;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "train_nash: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* Reads a .csr file into m (initialised here). Returns 0 or 1 with a
 * message. */
static int read_csr(const char *path, sh_csr *m)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    char magic[8];
    uint64_t head[3];
    uint64_t *row_ptr = NULL;
    uint32_t *cols = NULL;
    float *vals = NULL;
    int rc = 1;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CSR_MAGIC, 8) != 0 ||
        fread(head, sizeof(uint64_t), 3, f) != 3)
        goto fail;
    row_ptr = malloc((head[0] + 1) * sizeof(uint64_t));
    cols = malloc((head[2] + 1) * sizeof(uint32_t));
    vals = malloc((head[2] + 1) * sizeof(float));
    if (row_ptr == NULL || cols == NULL || vals == NULL ||
        fread(row_ptr, sizeof(uint64_t), head[0] + 1, f) != head[0] + 1 ||
        fread(cols, sizeof(uint32_t), head[2], f) != head[2] ||
        fread(vals, sizeof(float), head[2], f) != head[2] || row_ptr[head[0]] != head[2])
        goto fail;
    if (csr_init(m, head[1]) != 0)
        goto fail;
    for (uint64_t r = 0; r < head[0]; r++) {
        if (row_ptr[r + 1] < row_ptr[r] ||
            csr_append_row(m, row_ptr[r + 1] - row_ptr[r], cols + row_ptr[r],
                           vals + row_ptr[r]) != 0) {
            csr_free(m);
            goto fail;
        }
    }
    rc = 0;
fail:
    if (rc != 0)
        fprintf(stderr, "train_nash: %s is not a valid .csr file (run `train_nash dump`)\n",
                path);
    fclose(f);
    free(row_ptr);
    free(cols);
    free(vals);
    return rc;
}

/* ---- dump -------------------------------------------------------------------- */

static int cmd_dump(const char *corpus, const char *dir)
{
    char err[1024], path[4096];
    sh_config cfg;
    config_defaults(&cfg);
    corpus_options copts = corpus_default_options();
    hash_collection coll;
    const char *paths[1] = { corpus };
    int rc = hash_collection_load(&coll, paths, 1, &copts, -1, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "train_nash: %s\n", err);
        return 1;
    }
    hasher_doc *docs = malloc((coll.n + 1) * sizeof(hasher_doc));
    text_vocab *vocab = NULL;
    sh_csr tfidf, counts;
    memset(&tfidf, 0, sizeof tfidf);
    memset(&counts, 0, sizeof counts);
    int status = 1;
    size_t n = 0;
    if (docs == NULL)
        goto done;
    for (size_t i = 0; i < coll.n; i++)
        if (coll.split[i] == CORPUS_SPLIT_TRAIN)
            docs[n++] = coll.docs[i];
    if ((rc = hasher_build_vocab(&cfg, docs, n, &vocab, NULL, err, sizeof err)) != 0 ||
        (rc = csr_init(&tfidf, text_vocab_size(vocab))) != 0 ||
        (rc = csr_init(&counts, text_vocab_size(vocab))) != 0 ||
        (rc = hasher_vectorize_docs(vocab, docs, n, &tfidf, &counts, err, sizeof err)) != 0) {
        fprintf(stderr, "train_nash: %s: %s\n", corpus, rc == SH_ENOMEM ? "out of memory" : err);
        goto done;
    }
    snprintf(path, sizeof path, "%s/tfidf.csr", dir);
    if (write_csr(path, &tfidf) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/counts.csr", dir);
    if (write_csr(path, &counts) != 0)
        goto done;
    printf("{\"corpus\": \"%s\", \"split\": \"train\", \"documents\": %zu, \"vocabulary\": %zu, "
           "\"nnz\": %zu, \"nnz_per_doc\": %.1f}\n",
           corpus, tfidf.rows, tfidf.cols, tfidf.nnz,
           tfidf.rows ? (double)tfidf.nnz / (double)tfidf.rows : 0.0);
    status = 0;
done:
    free(docs);
    text_vocab_free(vocab);
    csr_free(&tfidf);
    csr_free(&counts);
    hash_collection_free(&coll);
    return status;
}

/* ---- run --------------------------------------------------------------------- */

typedef struct {
    int n;
    double seconds[MAX_EPOCHS];
    double loss[MAX_EPOCHS];
} epoch_log;

static int log_epoch(const hash_epoch_info *info, void *user)
{
    epoch_log *log = user;
    if (log->n < MAX_EPOCHS) {
        log->seconds[log->n] = info->seconds;
        log->loss[log->n] = info->train_loss;
        log->n++;
    }
    return 0;
}

static void print_list(const char *name, const double *x, int n, const char *fmt)
{
    printf("\"%s\": [", name);
    for (int i = 0; i < n; i++) {
        printf(i ? ", " : "");
        printf(fmt, x[i]);
    }
    printf("]");
}

static nn_timing timing_minus(const nn_timing *a, const nn_timing *b)
{
    nn_timing d;
    d.dense_seconds = a->dense_seconds - b->dense_seconds;
    d.dense_flops = a->dense_flops - b->dense_flops;
    d.sparse_seconds = a->sparse_seconds - b->sparse_seconds;
    d.sparse_flops = a->sparse_flops - b->sparse_flops;
    d.loss_seconds = a->loss_seconds - b->loss_seconds;
    d.optim_seconds = a->optim_seconds - b->optim_seconds;
    return d;
}

static int cmd_run(const char *dir, int threads, int epochs, uint64_t seed)
{
    char err[1024], path[4096];
    sh_csr tfidf, counts;
    snprintf(path, sizeof path, "%s/tfidf.csr", dir);
    if (read_csr(path, &tfidf) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/counts.csr", dir);
    if (read_csr(path, &counts) != 0) {
        csr_free(&tfidf);
        return 1;
    }
    sh_config cfg;
    config_defaults(&cfg);
    hash_train_opts o;
    hash_train_opts_from_config(&o, &cfg);
    o.epochs = epochs;
    o.threads = threads;
    o.seed = seed;
    o.validation_fraction = 0.0;
    o.patience = 0;
    epoch_log log;
    memset(&log, 0, sizeof log);
    o.on_epoch = log_epoch;
    o.user = &log;
    float thresholds[128];
    nn_net *net = NULL;
    hash_train_summary s;
    int rc = hash_train(&o, &tfidf, &counts, &net, thresholds, &s, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "train_nash: %s\n", err);
        csr_free(&tfidf);
        csr_free(&counts);
        return 1;
    }
    /* net->timing also holds hash_train's final threshold pass (one
     * inference forward of every row): measure that pass again and take
     * it out, so the breakdown covers the training epochs only. */
    nn_timing all = net->timing;
    float *codes = malloc(tfidf.rows * (size_t)o.code_bits * sizeof(float) + 1);
    nn_data rows = { tfidf.rows, tfidf.cols, NULL, &tfidf };
    memset(&net->timing, 0, sizeof net->timing);
    if (codes == NULL || nn_encode_all(net, &rows, codes) != 0) {
        fprintf(stderr, "train_nash: out of memory\n");
        free(codes);
        nn_free(net);
        csr_free(&tfidf);
        csr_free(&counts);
        return 1;
    }
    free(codes);
    nn_timing t = timing_minus(&all, &net->timing);
    double train_seconds = s.seconds_per_epoch * s.epochs_run;
    double other = train_seconds - t.dense_seconds - t.sparse_seconds - t.loss_seconds -
                   t.optim_seconds;
    printf("{\"threads\": %d, \"epochs\": %d, \"documents\": %zu, \"vocabulary\": %zu, "
           "\"nnz\": %zu, \"hidden\": [%d, %d], \"bits\": %d, \"batch\": %d, \"seed\": %llu, "
           "\"seconds_per_epoch\": %.4f, \"gflops\": %.3f, \"gflop_per_epoch\": %.3f, ",
           mat_get_threads(), s.epochs_run, tfidf.rows, tfidf.cols, tfidf.nnz,
           s.hidden_used[0], s.n_hidden > 1 ? s.hidden_used[1] : 0, o.code_bits, s.batch_used,
           (unsigned long long)seed, s.seconds_per_epoch, s.gflops,
           s.gflops * s.seconds_per_epoch);
    int n_ep = s.epochs_run > 0 ? s.epochs_run : 1;
    printf("\"parameters\": %zu, \"dense_gflop_per_epoch\": %.3f, "
           "\"sparse_gflop_per_epoch\": %.3f, ",
           net->n_params, t.dense_flops * 1e-9 / n_ep, t.sparse_flops * 1e-9 / n_ep);
    printf("\"train_seconds\": %.4f, \"dense_seconds\": %.4f, \"dense_gflops\": %.3f, "
           "\"sparse_seconds\": %.4f, \"sparse_gflops\": %.3f, \"loss_seconds\": %.4f, "
           "\"optim_seconds\": %.4f, \"other_seconds\": %.4f, ",
           train_seconds, t.dense_seconds,
           t.dense_seconds > 0 ? t.dense_flops / t.dense_seconds * 1e-9 : 0.0, t.sparse_seconds,
           t.sparse_seconds > 0 ? t.sparse_flops / t.sparse_seconds * 1e-9 : 0.0,
           t.loss_seconds, t.optim_seconds, other);
    print_list("epoch_seconds", log.seconds, log.n, "%.4f");
    printf(", ");
    print_list("epoch_loss", log.loss, log.n, "%.4f");
    printf(", \"final_loss\": %.4f}\n", s.train_loss);
    nn_free(net);
    csr_free(&tfidf);
    csr_free(&counts);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: train_nash dump CORPUS.jsonl DIR\n"
                    "       train_nash run DIR THREADS EPOCHS [SEED]\n");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "dump") == 0)
        return cmd_dump(argv[2], argv[3]);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0) {
        int threads = atoi(argv[3]), epochs = atoi(argv[4]);
        uint64_t seed = argc == 6 ? strtoull(argv[5], NULL, 10) : 1;
        if (threads < 1 || epochs < 1 || epochs > MAX_EPOCHS) {
            fprintf(stderr, "train_nash: THREADS >= 1 and 1 <= EPOCHS <= %d\n", MAX_EPOCHS);
            return 2;
        }
        return cmd_run(argv[2], threads, epochs, seed);
    }
    usage();
    return 2;
}
