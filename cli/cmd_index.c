/* cmd_index.c — `semhash index`: create or extend an index with the
 * documents of corpora, training a model first when none is given.
 * Also cli_open_index, the index opening shared by the other commands.
 *
 * Everything about the index goes through the public library
 * (semhash.h). Training a model when none is given uses the engine's
 * hasher, as `semhash train` does; the model's bytes are then handed to
 * sh_index_create like a model file's. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_config.h"
#include "corpus.h"
#include "hash_eval.h"
#include "hasher.h"
#include "matrix.h"
#include "progress.h"
#include "sh_error.h"
#include "semhash.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_open_index(const char *path, int rdonly, sh_index **out)
{
    return cli_open_index_flags(path, rdonly ? SH_OPEN_RDONLY : 0, out);
}

int cli_open_index_flags(const char *path, int flags, sh_index **out)
{
    sh_open_options o;
    memset(&o, 0, sizeof o);
    o.flags = flags;
    char err[1024];
    int rc = sh_index_open(path, &o, out, err, sizeof err);
    if (rc == 0)
        return 0;
    if (rc == SH_ENOTFOUND)
        return cli_error("index %s: no such directory (create it with 'semhash index')", path);
    if (rc == EROFS)
        return cli_error("index %s is on a read-only filesystem: it can be queried, not "
                         "changed", path);
    return cli_error("%s", err);
}

int cli_config_opt(cli_config_opts *o, int opt, const char *arg)
{
    if (opt == 'c') {
        o->path = arg;
        return 0;
    }
    if (o->n_sets == CLI_MAX_SETS)
        return cli_error("too many --set options (at most %d)", CLI_MAX_SETS);
    o->sets[o->n_sets++] = arg;
    return 0;
}

int cli_config_load(const cli_config_opts *o, sh_config *cfg, const char **dir, long *radius)
{
    char err[1024];
    if (cli_config_resolve(o->path, o->sets, o->n_sets, cfg, err, sizeof err) != 0)
        return cli_error("%s", err);
    if (*dir == NULL)
        *dir = cfg->index.path;
    if (radius && *radius < 0)
        *radius = cfg->query.radius;
    return 0;
}

/* 1 if path does not exist or is an empty directory. */
static int is_fresh_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

static void warn_skipped(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "semhash: warning: %s\n", message);
}

/* Trains a hasher on the corpora; returns its model bytes in *blob (free)
 * and a summary line. CLI exit code. */
static int train_model(const sh_config *cfg, char **paths, size_t n_paths, int quiet,
                       uint8_t **blob, size_t *blob_len, char *summary, size_t summary_len)
{
    char err[1024];
    corpus_options copts = corpus_default_options();
    copts.on_binary = cfg->text.on_binary;
    copts.warn = warn_skipped;
    hash_collection coll;
    int rc = hash_collection_load(&coll, (const char *const *)paths, n_paths, &copts, -1, err,
                                  sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    int status = CLI_EXIT_ERROR;
    sh_hasher *h = NULL;
    mf_writer *w = NULL;
    cli_train_view view = { 0, NULL, NULL };
    if (coll.n == 0) {
        cli_error("the corpus is empty: no document to train a model on");
        goto done;
    }
    hash_train_opts recipe;
    hash_train_opts_from_config(&recipe, cfg);
    hash_train_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.valid_precision = NAN;
    if (cli_train_view_attach(&view, &recipe, "train", !quiet && isatty(2)) != 0)
        goto done;
    double t0 = now_seconds();
    rc = hasher_train_docs(cfg, coll.docs, coll.n, &recipe, &h, &sum, err, sizeof err);
    if (rc != 0) {
        cli_error("training a model: %s", err);
        goto done;
    }
    if (mf_writer_new(MF_KIND_HASHER, &w) != 0 || hasher_write(h, w) != 0 ||
        mf_writer_finish(w, blob, blob_len) != 0) {
        cli_error("out of memory writing the model");
        goto done;
    }
    int len = snprintf(summary, summary_len,
                       "trained by 'semhash index' on %zu documents: encoder %s, %d bits, "
                       "%zu terms, %.1f s",
                       coll.n, hasher_encoder_name(hasher_encoder(h)), hasher_bits(h),
                       text_vocab_size(hasher_vocab(h)), now_seconds() - t0);
    if (hasher_encoder(h) == SH_ENCODER_AE && len > 0 && (size_t)len < summary_len)
        snprintf(summary + len, summary_len - (size_t)len,
                 ", %d epochs (best %d), validation neighbour P@10 %.3f", sum.epochs_run,
                 sum.best_epoch + 1, sum.valid_precision);
    if (!quiet)
        fprintf(stderr, "semhash: %s\n", summary);
    status = CLI_EXIT_OK;
done:
    cli_train_view_done(&view);
    mf_writer_free(w);
    hasher_free(h);
    hash_collection_free(&coll);
    return status;
}

typedef struct {
    uint64_t docs, added, replaced, unchanged, duplicates, skipped, empty;
} index_counts;

/* A batch: documents read and not yet added. The reader's pointers last
 * only until its next document, so names, labels and texts are copied
 * into one arena per batch. A batch ends at BATCH_DOCS documents or once
 * it holds BATCH_BYTES bytes (a single larger document still fits). Large
 * enough that sh_add_batch cuts it into chunks of 256 documents, several
 * per encoding thread (4,096 mails of SpamAssassin's size: 16 chunks). */
#define BATCH_DOCS 4096
#define BATCH_BYTES ((size_t)64 << 20)

typedef struct {
    sh_doc docs[BATCH_DOCS];
    sh_add_result res[BATCH_DOCS];
    size_t off[BATCH_DOCS][3];  /* name, labels, text: offsets in arena */
    size_t n;
    char *arena;
    size_t arena_len, arena_cap;
    int status;                 /* CLI_EXIT_OK, or the reader stopped after
                                   these documents: message in err */
    int last;                   /* the reader's last batch of this corpus */
    char err[1024];
} batch;

/* Makes room for more bytes in the arena. Returns 0 or -1 (no memory). */
static int arena_reserve(batch *b, size_t more)
{
    if (b->arena_len + more <= b->arena_cap)
        return 0;
    size_t cap = b->arena_cap ? b->arena_cap : (size_t)1 << 20;
    while (cap < b->arena_len + more)
        cap *= 2;
    char *a = realloc(b->arena, cap);
    if (!a)
        return -1;
    b->arena = a;
    b->arena_cap = cap;
    return 0;
}

/* Copies a document into the batch (name, labels joined by commas, text,
 * each NUL-terminated). Returns 0 or -1 (no memory). */
static int batch_add(batch *b, const corpus_doc *doc)
{
    size_t name_len = strlen(doc->id), labels_len = 0;
    for (size_t i = 0; i < doc->n_labels; i++)
        labels_len += (i > 0) + strlen(doc->labels[i]);
    if (arena_reserve(b, name_len + labels_len + doc->len + 3) != 0)
        return -1;
    char *a = b->arena;
    size_t at = b->arena_len;
    b->off[b->n][0] = at;
    memcpy(a + at, doc->id, name_len);
    at += name_len;
    a[at++] = '\0';
    b->off[b->n][1] = at;
    for (size_t i = 0; i < doc->n_labels; i++) {
        size_t len = strlen(doc->labels[i]);
        if (i > 0)
            a[at++] = ',';
        memcpy(a + at, doc->labels[i], len);
        at += len;
    }
    a[at++] = '\0';
    b->off[b->n][2] = at;
    memcpy(a + at, doc->text, doc->len);
    at += doc->len;
    a[at++] = '\0';
    b->arena_len = at;
    b->docs[b->n] = (sh_doc){ NULL, name_len, NULL, doc->len, NULL, labels_len };
    b->n++;
    return 0;
}

/* Points the documents into the arena, now that it no longer moves. */
static void batch_seal(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->docs[i].name = b->arena + b->off[i][0];
        b->docs[i].labels = b->arena + b->off[i][1];
        b->docs[i].text = b->arena + b->off[i][2];
    }
}

/* The corpus reader runs on a thread of its own, one batch ahead of the
 * indexing: two batches take turns. */
typedef struct {
    corpus_reader *rd;
    batch *slots[2];
    int filled[2];              /* 1: read, waiting to be indexed */
    int stop;                   /* indexing failed: read no further */
    pthread_mutex_t lock;
    pthread_cond_t changed;
} read_ahead;

/* Fills b from the reader: up to BATCH_DOCS documents or BATCH_BYTES. */
static void fill_batch(corpus_reader *rd, batch *b)
{
    b->n = 0;
    b->arena_len = 0;
    b->status = CLI_EXIT_OK;
    b->last = 0;
    while (b->n < BATCH_DOCS && b->arena_len < BATCH_BYTES) {
        const corpus_doc *doc;
        if (corpus_next(rd, &doc, b->err, sizeof b->err) != 0) {
            b->status = CLI_EXIT_ERROR;
            b->last = 1;
            break;
        }
        if (!doc) {
            b->last = 1;
            break;
        }
        if (batch_add(b, doc) != 0) {
            snprintf(b->err, sizeof b->err, "out of memory");
            b->status = CLI_EXIT_ERROR;
            b->last = 1;
            break;
        }
    }
    batch_seal(b);
}

static void *read_ahead_run(void *arg)
{
    read_ahead *ra = arg;
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&ra->lock);
        while (ra->filled[k] && !ra->stop)
            pthread_cond_wait(&ra->changed, &ra->lock);
        int stop = ra->stop;
        pthread_mutex_unlock(&ra->lock);
        if (stop)
            break;
        fill_batch(ra->rd, ra->slots[k]);
        pthread_mutex_lock(&ra->lock);
        ra->filled[k] = 1;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
        if (ra->slots[k]->last)
            break;
    }
    return NULL;
}

/* Adds the batch's documents; a refused document (binary text, bad name)
 * is reported and skipped. CLI exit code. */
static int flush(sh_index *ix, batch *p, const char *path, int verbose, cli_progress *bar,
                 index_counts *c)
{
    char err[1024];
    size_t from = 0;
    while (from < p->n) {
        size_t done = 0;
        int rc = sh_add_batch(ix, p->docs + from, p->n - from, p->res + from, &done, err,
                              sizeof err);
        for (size_t i = from; i < from + done; i++) {
            const sh_add_result *r = &p->res[i];
            c->docs++;
            c->added += r->action == SH_ADDED;
            c->replaced += r->action == SH_REPLACED;
            c->unchanged += r->action == SH_UNCHANGED;
            c->duplicates += r->dup_of != 0;
            c->empty += r->tokens == 0;
            if (verbose && r->dup_of)
                fprintf(stderr, "semhash: %s: exact duplicate of doc %u%s\n", p->docs[i].name,
                        (unsigned)r->dup_of,
                        r->action == SH_SKIPPED_DUPLICATE ? ", not stored" : "");
        }
        from += done;
        if (rc == SH_EINPUT || rc == SH_EINVAL) {
            fprintf(stderr, "semhash: warning: %s: skipped: %s\n", path, err);
            c->skipped++;
            from++;
        } else if (rc != 0) {
            return cli_error("%s (documents of earlier batches are stored)", err);
        }
    }
    progress_update(bar, c->docs, NULL);
    return CLI_EXIT_OK;
}

/* Adds every document of one corpus: batches read on another thread are
 * added here in order. A read error stops the run after the batches
 * before it (the documents of its own batch are not added). CLI exit
 * code. */
static int index_corpus(sh_index *ix, const char *path, const sh_config *cfg, int verbose,
                        cli_progress *bar, index_counts *c)
{
    char err[1024];
    corpus_options copts = corpus_default_options();
    copts.on_binary = cfg->text.on_binary;
    copts.warn = warn_skipped;
    read_ahead ra;
    memset(&ra, 0, sizeof ra);
    int rc = corpus_open(path, &copts, &ra.rd, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    int status = CLI_EXIT_OK;
    ra.slots[0] = calloc(1, sizeof(batch));
    ra.slots[1] = calloc(1, sizeof(batch));
    pthread_t reader;
    pthread_mutex_init(&ra.lock, NULL);
    pthread_cond_init(&ra.changed, NULL);
    int started = ra.slots[0] && ra.slots[1] &&
                  pthread_create(&reader, NULL, read_ahead_run, &ra) == 0;
    if (!started) {
        status = cli_error("out of memory (or no thread) to read %s", path);
        goto done;
    }
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&ra.lock);
        while (!ra.filled[k])
            pthread_cond_wait(&ra.changed, &ra.lock);
        pthread_mutex_unlock(&ra.lock);
        batch *b = ra.slots[k];
        if (b->status != CLI_EXIT_OK)
            status = cli_error("%s", b->err);
        else
            status = flush(ix, b, path, verbose, bar, c);
        int last = b->last;
        pthread_mutex_lock(&ra.lock);
        ra.filled[k] = 0;
        ra.stop = status != CLI_EXIT_OK;
        pthread_cond_broadcast(&ra.changed);
        pthread_mutex_unlock(&ra.lock);
        if (last || status != CLI_EXIT_OK)
            break;
    }
    pthread_join(reader, NULL);
done:
    pthread_mutex_destroy(&ra.lock);
    pthread_cond_destroy(&ra.changed);
    for (int k = 0; k < 2; k++) {
        if (ra.slots[k])
            free(ra.slots[k]->arena);
        free(ra.slots[k]);
    }
    corpus_close(ra.rd);
    return status;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash index -i DIR [-m MODEL | -c CONFIG] [--set KEY=VALUE]...\n"
            "                     [-v] [-q] CORPUS...\n"
            "\n"
            "Adds every document of the corpora (JSON lines, .txt lines, directories,\n"
            ".gz) to the index in DIR, replacing documents of the same name. A new\n"
            "index (DIR missing or empty) stores the model MODEL, or, without -m, a\n"
            "model trained first on these documents with the configuration. An\n"
            "existing index always uses its stored model.\n"
            "\n"
            "  -i, --index DIR     index directory (default index.path of the config)\n"
            "  -m, --model MODEL   model file from 'semhash train' (new index only;\n"
            "                      for an existing index it must be the stored one)\n"
            "  -c, --config FILE   configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE     override one configuration key (repeatable)\n"
            "  --durable           fsync at every batch commit (default: once at the\n"
            "                      end; a killed process loses at most the batch in\n"
            "                      flight either way, a system crash more without it)\n"
            "  -v, --verbose       report every exact duplicate\n"
            "  -q, --quiet         no progress bar, no summary\n"
            "  -h, --help          this text\n"
            "\n"
            "Exit status: 0 done, 2 usage or input error.\n");
}

int cmd_index(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "index", required_argument, NULL, 'i' }, { "model", required_argument, NULL, 'm' },
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "verbose", no_argument, NULL, 'v' },      { "quiet", no_argument, NULL, 'q' },
        { "durable", no_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *model = NULL;
    cli_config_opts copts = { NULL, { NULL }, 0 };
    int quiet = 0, verbose = 0, durable = 0, opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "i:m:c:vqh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': dir = optarg; break;
        case 'm': model = optarg; break;
        case 'c':
        case 's':
            if (cli_config_opt(&copts, opt, optarg) != 0)
                return CLI_EXIT_ERROR;
            break;
        case 'v': verbose = 1; break;
        case 'D': durable = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return cli_error("index: no corpus given");
    }
    char err[1024];
    sh_config cfg;
    if (cli_config_load(&copts, &cfg, &dir, NULL) != 0)
        return CLI_EXIT_ERROR;

    sh_index *ix = NULL;
    uint8_t *blob = NULL;
    int status = CLI_EXIT_ERROR, rc;
    int fresh = is_fresh_dir(dir);
    if (fresh) {
        char summary[1024] = "";
        size_t blob_len = 0;
        if (!model) {
            status = train_model(&cfg, argv + optind, (size_t)(argc - optind), quiet, &blob,
                                 &blob_len, summary, sizeof summary);
            if (status != CLI_EXIT_OK)
                goto done;
            status = CLI_EXIT_ERROR;
        } else {
            snprintf(summary, sizeof summary, "model file %s", model);
        }
        sh_create_options co;
        memset(&co, 0, sizeof co);
        co.open.flags = durable ? 0 : SH_OPEN_NOSYNC;
        co.open.map_size = (size_t)cfg.index.map_size_mb << 20;
        co.open.batch_size = cfg.index.batch_size;
        co.open.skip_duplicates = !cfg.index.store_exact_duplicates;
        co.model_path = model;
        co.model_data = blob;
        co.model_len = blob_len;
        co.mih_substrings = cfg.index.mih_substrings;
        co.summary = summary;
        co.bulk_load = 1; /* a new index: lookup tables built once, sorted, at sh_sync */
        rc = sh_index_create(dir, &co, &ix, err, sizeof err);
        if (rc != 0) {
            cli_error("%s", err);
            goto done;
        }
    } else {
        if (cli_open_index_flags(dir, durable ? 0 : SH_OPEN_NOSYNC, &ix) != 0)
            goto done;
        if (model && sh_index_model_matches(ix, model, err, sizeof err) != 0) {
            cli_error("%s", err);
            goto done;
        }
    }

    uint64_t docs_before = 0;
    if (sh_doc_count(ix, &docs_before, err, sizeof err) != 0) {
        cli_error("%s", err);
        goto done;
    }
    cli_progress bar;
    progress_start(&bar, "indexing", 0, 0);
    if (quiet)
        bar.enabled = 0;
    index_counts c;
    memset(&c, 0, sizeof c);
    /* Documents are encoded in parallel (sh_add_batch): BLAS and the
     * engine's loops run on one thread each meanwhile. */
    mat_set_threads(1);
    double t0 = now_seconds();
    for (int i = optind; i < argc; i++)
        if (index_corpus(ix, argv[i], &cfg, verbose, &bar, &c) != CLI_EXIT_OK)
            goto done;
    rc = sh_sync(ix, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        goto done;
    }
    double seconds = now_seconds() - t0;
    progress_finish(&bar, c.docs, NULL);
    if (!quiet) {
        printf("indexed %llu documents into %s in %.2f s: %.0f docs/s\n",
               (unsigned long long)c.docs, dir, seconds, seconds > 0 ? c.docs / seconds : 0.0);
        printf("  %llu added, %llu replaced, %llu unchanged, %llu exact duplicates, "
               "%llu without terms, %llu skipped\n",
               (unsigned long long)c.added, (unsigned long long)c.replaced,
               (unsigned long long)c.unchanged, (unsigned long long)c.duplicates,
               (unsigned long long)c.empty, (unsigned long long)c.skipped);
    }
    /* A run that at least doubled the index wrote most of its lookup
     * tables in random key order: rewrite them full (sh_compact). */
    if (!fresh && c.added > 0 && c.added >= docs_before) {
        double tc = now_seconds();
        rc = sh_compact(ix, err, sizeof err);
        if (rc != 0) {
            cli_error("%s", err);
            goto done;
        }
        if (!quiet)
            printf("  lookup tables compacted in %.2f s\n", now_seconds() - tc);
    }
    status = CLI_EXIT_OK;
done:
    sh_index_close(ix);
    free(blob);
    return status;
}
