/* bench/index_vectorize.c — the stages of indexing one at a time, on a
 * corpus held in memory: how long reading, tokenising, vectorising and
 * encoding the whole corpus take on one thread, and vectorising on T.
 *
 *   index_vectorize MODEL CORPUS [--threads T] [--rounds R]
 *
 * MODEL is a model file from `semhash train` (its vocabulary and text
 * options, and its encoder); CORPUS any corpus the engine reads. Stages:
 *   read       corpus_next over the file (JSON parsing, copies), once;
 *   tokenize   text_tokenize of every document (mail filter included);
 *   vectorize  text_vectorize_row: tokenise + count + tf-idf row;
 *   vec+sig    text_vectorize_row_tap with the near-duplicate signature:
 *              the single pass indexing makes per document;
 *   encode     hasher_encode_rows on the rows, 256 per call (the network;
 *              sh_add_batch encodes chunks of up to 256);
 *   vectorize on T threads (documents split in T contiguous shares).
 * Each in-memory stage runs R rounds; the fastest is reported. Times are
 * the thread's CPU time (the T-thread stage: process CPU and wall time).
 * Prints one JSON object.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "hasher.h"
#include "matrix.h"
#include "sh_error.h"
#include "signature.h"
#include "text_tokenize.h"
#include "text_vectorize.h"

#define ENCODE_ROWS 256

typedef struct {
    char **text;
    size_t *len;
    size_t n, bytes;
} collection;

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "index_vectorize: %s: %s\n", what, err);
    exit(2);
}

/* Reads every document of path into c; returns the thread CPU seconds. */
static double read_corpus(const char *path, collection *c)
{
    char err[1024];
    corpus_reader *r;
    if (corpus_open(path, NULL, &r, err, sizeof err) != 0)
        die(path, err);
    size_t cap = 0;
    memset(c, 0, sizeof *c);
    double t0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (;;) {
        const corpus_doc *d;
        if (corpus_next(r, &d, err, sizeof err) != 0)
            die(path, err);
        if (!d)
            break;
        if (c->n == cap) {
            cap = cap ? 2 * cap : 4096;
            c->text = realloc(c->text, cap * sizeof *c->text);
            c->len = realloc(c->len, cap * sizeof *c->len);
            if (!c->text || !c->len)
                die(path, "out of memory");
        }
        c->text[c->n] = malloc(d->len + 1);
        if (!c->text[c->n])
            die(path, "out of memory");
        memcpy(c->text[c->n], d->text, d->len + 1);
        c->len[c->n] = d->len;
        c->bytes += d->len;
        c->n++;
    }
    double seconds = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
    corpus_close(r);
    return seconds;
}

static int count_token(const char *token, size_t len, void *user)
{
    (void)token;
    (void)len;
    (*(size_t *)user)++;
    return 0;
}

/* One stage over the whole collection on this thread. */
enum { STAGE_TOKENIZE, STAGE_VECTORIZE, STAGE_VEC_SIG };

typedef struct {
    const collection *c;
    const text_vocab *vocab;
    size_t from, to;
    int stage;
    size_t tokens, nnz;
    double cpu;
} stage_job;

static void *run_stage(void *arg)
{
    stage_job *j = arg;
    char err[256];
    text_vectorizer *vec = NULL;
    text_tokenizer *tok = NULL;
    if (text_vectorizer_new(j->vocab, &vec, err, sizeof err) != 0 ||
        text_tokenizer_new(text_vocab_config(j->vocab), &tok, err, sizeof err) != 0)
        die("vectoriser", err);
    j->tokens = j->nnz = 0;
    double t0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = j->from; i < j->to; i++) {
        size_t n = 0;
        if (j->stage == STAGE_TOKENIZE) {
            text_tokenize(tok, j->c->text[i], j->c->len[i], count_token, &j->tokens);
        } else if (j->stage == STAGE_VECTORIZE) {
            text_vectorize_row(vec, j->c->text[i], j->c->len[i], NULL, NULL, NULL, &n);
        } else {
            sig_state st;
            sig_begin(&st);
            text_vectorize_row_tap(vec, j->c->text[i], j->c->len[i], sig_token_fn, &st, NULL,
                                   NULL, NULL, &n);
            uint8_t sig[SIG_BYTES];
            sig_finish(&st, sig);
            j->tokens += st.tokens;
        }
        j->nnz += n;
    }
    j->cpu = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
    text_vectorizer_free(vec);
    text_tokenizer_free(tok);
    return NULL;
}

static double best_stage(const collection *c, const text_vocab *vocab, int stage, int rounds,
                         size_t *tokens, size_t *nnz)
{
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        stage_job j = { c, vocab, 0, c->n, stage, 0, 0, 0 };
        run_stage(&j);
        if (r == 0 || j.cpu < best)
            best = j.cpu;
        if (tokens)
            *tokens = j.tokens;
        if (nnz)
            *nnz = j.nnz;
    }
    return best;
}

/* The network alone: rows of every document, encoded ENCODE_ROWS at a time. */
static double encode_stage(const collection *c, sh_hasher *h, int rounds)
{
    char err[256];
    text_vectorizer *vec;
    if (text_vectorizer_new(hasher_vocab(h), &vec, err, sizeof err) != 0)
        die("vectoriser", err);
    size_t V = text_vocab_size(hasher_vocab(h));
    size_t n_batches = (c->n + ENCODE_ROWS - 1) / ENCODE_ROWS;
    sh_csr *rows = calloc(n_batches ? n_batches : 1, sizeof *rows);
    if (!rows)
        die("rows", "out of memory");
    for (size_t b = 0; b < n_batches; b++) {
        if (csr_init(&rows[b], V) != 0)
            die("rows", "out of memory");
        for (size_t i = b * ENCODE_ROWS; i < c->n && i < (b + 1) * ENCODE_ROWS; i++)
            if (text_vectorize_append(vec, c->text[i], c->len[i], &rows[b], NULL) != 0)
                csr_append_row(&rows[b], 0, NULL, NULL);
    }
    sh_code codes[ENCODE_ROWS];
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        for (size_t b = 0; b < n_batches; b++)
            if (hasher_encode_rows(h, &rows[b], codes) != 0)
                die("encode", "hasher_encode_rows failed");
        double cpu = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
        if (r == 0 || cpu < best)
            best = cpu;
    }
    for (size_t b = 0; b < n_batches; b++)
        csr_free(&rows[b]);
    free(rows);
    text_vectorizer_free(vec);
    return best;
}

/* Vectorising on T threads: process CPU and wall seconds. */
static void parallel_stage(const collection *c, const text_vocab *vocab, int threads,
                           double *cpu, double *wall)
{
    stage_job jobs[64];
    pthread_t tids[64];
    double c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_seconds(CLOCK_MONOTONIC);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (stage_job){ c, vocab, c->n * (size_t)t / (size_t)threads,
                               c->n * (size_t)(t + 1) / (size_t)threads, STAGE_VECTORIZE, 0, 0, 0 };
        if (pthread_create(&tids[t], NULL, run_stage, &jobs[t]) != 0)
            die("threads", "cannot start a thread");
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    *cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *wall = clock_seconds(CLOCK_MONOTONIC) - w0;
}

static void print_stage(const char *name, double cpu, const collection *c, int last)
{
    printf("    \"%s\": {\"cpu_seconds\": %.4f, \"docs_per_s\": %.1f, \"mb_per_s\": %.2f, "
           "\"us_per_doc\": %.2f}%s\n",
           name, cpu, cpu > 0 ? (double)c->n / cpu : 0.0,
           cpu > 0 ? (double)c->bytes / cpu / 1e6 : 0.0, 1e6 * cpu / (double)c->n,
           last ? "" : ",");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: index_vectorize MODEL CORPUS [--threads T] [--rounds R]\n");
        return 2;
    }
    int threads = 2, rounds = 3;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if (threads < 1 || threads > 64 || rounds < 1)
        die("options", "--threads 1..64, --rounds >= 1");
    char err[1024];
    sh_hasher *h;
    if (hasher_load(argv[1], &h, err, sizeof err) != 0)
        die(argv[1], err);
    mat_set_threads(1); /* one thread per stage, as indexing runs it */
    collection c;
    double read_cpu = read_corpus(argv[2], &c);
    if (c.n == 0)
        die(argv[2], "no documents");
    const text_vocab *vocab = hasher_vocab(h);
    size_t tokens = 0, nnz = 0;
    double tok_cpu = best_stage(&c, vocab, STAGE_TOKENIZE, rounds, &tokens, NULL);
    double vec_cpu = best_stage(&c, vocab, STAGE_VECTORIZE, rounds, NULL, &nnz);
    double sig_cpu = best_stage(&c, vocab, STAGE_VEC_SIG, rounds, NULL, NULL);
    double enc_cpu = encode_stage(&c, h, rounds);
    double par_cpu, par_wall;
    parallel_stage(&c, vocab, threads, &par_cpu, &par_wall);

    printf("{\n  \"corpus\": \"%s\", \"docs\": %zu, \"bytes\": %zu, \"tokens\": %zu, "
           "\"row_nonzeros\": %zu,\n  \"vocabulary\": %zu, \"rounds\": %d,\n  \"stages\": {\n",
           argv[2], c.n, c.bytes, tokens, nnz, text_vocab_size(vocab), rounds);
    print_stage("read", read_cpu, &c, 0);
    print_stage("tokenize", tok_cpu, &c, 0);
    print_stage("vectorize", vec_cpu, &c, 0);
    print_stage("vectorize_signature", sig_cpu, &c, 0);
    print_stage("encode", enc_cpu, &c, 1);
    printf("  },\n  \"parallel_vectorize\": {\"threads\": %d, \"cpu_seconds\": %.4f, "
           "\"wall_seconds\": %.4f, \"docs_per_s\": %.1f}\n}\n",
           threads, par_cpu, par_wall, par_wall > 0 ? (double)c.n / par_wall : 0.0);
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    free(c.len);
    hasher_free(h);
    return 0;
}
