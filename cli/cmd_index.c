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

#define BATCH_DOCS 256

/* Documents read and not yet added: copies, since the reader's pointers
 * last only until its next document. */
typedef struct {
    sh_doc docs[BATCH_DOCS];
    sh_add_result res[BATCH_DOCS];
    size_t n;
} pending;

static void pending_clear(pending *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free((char *)p->docs[i].name);
        free((char *)p->docs[i].text);
        free((char *)p->docs[i].labels);
    }
    p->n = 0;
}

/* Adds the pending documents; a refused document (binary text, bad name)
 * is reported and skipped. CLI exit code. */
static int flush(sh_index *ix, pending *p, const char *path, int verbose, cli_progress *bar,
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
            pending_clear(p);
            return cli_error("%s (documents of earlier batches are stored)", err);
        }
    }
    pending_clear(p);
    progress_update(bar, c->docs, NULL);
    return CLI_EXIT_OK;
}

/* Adds every document of one corpus. CLI exit code. */
static int index_corpus(sh_index *ix, const char *path, const sh_config *cfg, int verbose,
                        cli_progress *bar, index_counts *c)
{
    char err[1024];
    corpus_options copts = corpus_default_options();
    copts.on_binary = cfg->text.on_binary;
    copts.warn = warn_skipped;
    corpus_reader *rd;
    int rc = corpus_open(path, &copts, &rd, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    static pending p;
    int status = CLI_EXIT_OK;
    for (;;) {
        const corpus_doc *doc;
        rc = corpus_next(rd, &doc, err, sizeof err);
        if (rc != 0) {
            status = cli_error("%s", err);
            break;
        }
        if (!doc)
            break;
        size_t need = 1;
        for (size_t i = 0; i < doc->n_labels; i++)
            need += strlen(doc->labels[i]) + 1;
        char *labels = malloc(need), *name = strdup(doc->id), *text = malloc(doc->len + 1);
        if (!labels || !name || !text) {
            free(labels);
            free(name);
            free(text);
            status = cli_error("out of memory");
            break;
        }
        size_t pos = 0;
        for (size_t i = 0; i < doc->n_labels; i++)
            pos += (size_t)sprintf(labels + pos, "%s%s", i ? "," : "", doc->labels[i]);
        labels[pos] = '\0';
        memcpy(text, doc->text, doc->len);
        text[doc->len] = '\0';
        p.docs[p.n++] = (sh_doc){ name, 0, text, doc->len, labels, pos };
        if (p.n == BATCH_DOCS && (status = flush(ix, &p, path, verbose, bar, c)) != CLI_EXIT_OK)
            break;
    }
    if (status == CLI_EXIT_OK)
        status = flush(ix, &p, path, verbose, bar, c);
    pending_clear(&p);
    corpus_close(rd);
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
    if (is_fresh_dir(dir)) {
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
    if (c.added > 0 && c.added >= docs_before) {
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
