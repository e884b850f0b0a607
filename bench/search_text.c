/* bench/search_text.c — query latency on a real index, from text and from
 * code, through the public library (semhash.h), as a frontend sees it.
 *
 *   search_text INDEX CORPUS.jsonl [--max-radius R] [--queries Q] [--k K]
 *
 * Opens INDEX read-only, takes the documents of CORPUS with "split":
 * "test" (or every document if none is marked) as queries, and for every
 * radius 0..R measures, one query at a time:
 *   - text: sh_query_text (tokenise, encode, search), and sh_encode alone;
 *   - code: sh_query_code with the code the text query produced;
 * plus top-k (sh_query_text with k = K) and near-duplicate queries
 * (radius 3, signature verification). Prints one JSON object with p50,
 * p99 and mean latency in microseconds and the mean result count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "semhash.h"

#define MAX_RADIUS 16

typedef struct {
    double *us;
    int n;
    double results;
} series;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "search_text: %s: %s\n", what, err);
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, int n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(q * n + 0.999999) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void print_series(const char *name, series *s, int first)
{
    double sum = 0;
    for (int i = 0; i < s->n; i++)
        sum += s->us[i];
    printf("%s\"%s\": {\"queries\": %d, \"p50_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f, "
           "\"mean_results\": %.2f}",
           first ? "" : ", ", name, s->n, quantile(s->us, s->n, 0.5), quantile(s->us, s->n, 0.99),
           s->n ? sum / s->n : 0, s->n ? s->results / s->n : 0);
}

/* Reads up to max query texts (test split, else all) into texts/lens. */
static int read_queries(const char *path, int max, char ***texts, size_t **lens)
{
    corpus_options co = corpus_default_options();
    corpus_reader *r;
    char err[512];
    if (corpus_open(path, &co, &r, err, sizeof err))
        die(path, err);
    char **all = calloc((size_t)max, sizeof *all), **test = calloc((size_t)max, sizeof *test);
    size_t *all_len = calloc((size_t)max, sizeof *all_len), *test_len = calloc((size_t)max, sizeof *test_len);
    int n_all = 0, n_test = 0;
    const corpus_doc *d;
    int rc;
    while ((rc = corpus_next(r, &d, err, sizeof err)) == 0 && d) {
        if (n_all < max) {
            all[n_all] = malloc(d->len + 1);
            memcpy(all[n_all], d->text, d->len + 1);
            all_len[n_all++] = d->len;
        }
        if (d->split == CORPUS_SPLIT_TEST && n_test < max) {
            test[n_test] = malloc(d->len + 1);
            memcpy(test[n_test], d->text, d->len + 1);
            test_len[n_test++] = d->len;
        }
    }
    if (rc)
        die(path, err);
    corpus_close(r);
    int use_test = n_test > 0;
    for (int i = 0; i < (use_test ? n_all : n_test); i++)
        free(use_test ? all[i] : test[i]);
    free(use_test ? all : test);
    free(use_test ? all_len : test_len);
    *texts = use_test ? test : all;
    *lens = use_test ? test_len : all_len;
    return use_test ? n_test : n_all;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: search_text INDEX CORPUS.jsonl [--max-radius R] [--queries Q] [--k K]\n");
        return 2;
    }
    int max_radius = 10, max_queries = 500, k = 10;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--max-radius"))
            max_radius = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--queries"))
            max_queries = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--k"))
            k = atoi(argv[i + 1]);
    }
    if (max_radius < 0 || max_radius > MAX_RADIUS || max_queries < 1 || k < 1)
        die("options", "radius 0..16, queries >= 1, k >= 1");
    char err[512];
    sh_open_options oo = { .flags = SH_OPEN_RDONLY };
    sh_index *ix;
    if (sh_index_open(argv[1], &oo, &ix, err, sizeof err))
        die(argv[1], err);
    char **texts;
    size_t *lens;
    int nq = read_queries(argv[2], max_queries, &texts, &lens);
    if (nq == 0)
        die(argv[2], "no documents");
    sh_stats *st = calloc(1, sizeof *st);
    if (!st || sh_stats_get(ix, st, err, sizeof err))
        die("sh_stats_get", err);

    size_t cap = (size_t)st->docs + 1;
    sh_hit *hits = calloc(cap, sizeof *hits);
    series text[MAX_RADIUS + 1], code[MAX_RADIUS + 1], encode = { 0 }, topk = { 0 }, dup = { 0 };
    for (int r = 0; r <= max_radius; r++) {
        text[r] = (series){ calloc((size_t)nq, sizeof(double)), 0, 0 };
        code[r] = (series){ calloc((size_t)nq, sizeof(double)), 0, 0 };
    }
    encode.us = calloc((size_t)nq, sizeof(double));
    topk.us = calloc((size_t)nq, sizeof(double));
    dup.us = calloc((size_t)nq, sizeof(double));
    int skipped = 0;
    for (int qi = 0; qi < nq; qi++) {
        uint8_t c[SH_CODE_BYTES];
        double t0 = now_seconds();
        sh_encode_info ei;
        if (sh_encode(ix, texts[qi], lens[qi], c, &ei, err, sizeof err))
            die("sh_encode", err);
        double enc_us = (now_seconds() - t0) * 1e6;
        if (ei.tokens == 0) {
            skipped++; /* a query of stop words only is refused by sh_query_text */
            continue;
        }
        encode.us[encode.n++] = enc_us;
        for (int r = 0; r <= max_radius; r++) {
            sh_query_options q = { .radius = r };
            size_t n;
            sh_query_info info;
            t0 = now_seconds();
            if (sh_query_text(ix, texts[qi], lens[qi], &q, hits, cap, &n, &info, err, sizeof err))
                die("sh_query_text", err);
            text[r].us[text[r].n++] = (now_seconds() - t0) * 1e6;
            text[r].results += (double)info.total;
            t0 = now_seconds();
            if (sh_query_code(ix, c, &q, hits, cap, &n, &info, err, sizeof err))
                die("sh_query_code", err);
            code[r].us[code[r].n++] = (now_seconds() - t0) * 1e6;
            code[r].results += (double)info.total;
        }
        sh_query_options qk = { .k = (size_t)k };
        size_t n;
        sh_query_info info;
        t0 = now_seconds();
        if (sh_query_text(ix, texts[qi], lens[qi], &qk, hits, cap, &n, &info, err, sizeof err))
            die("sh_query_text top-k", err);
        topk.us[topk.n++] = (now_seconds() - t0) * 1e6;
        topk.results += (double)n;
        sh_query_options qd = { .radius = 3, .near_dup = 1 };
        t0 = now_seconds();
        if (sh_query_text(ix, texts[qi], lens[qi], &qd, hits, cap, &n, &info, err, sizeof err))
            die("sh_query_text near-dup", err);
        dup.us[dup.n++] = (now_seconds() - t0) * 1e6;
        dup.results += (double)info.total;
    }
    printf("{\"index\": \"%s\", \"docs\": %llu, \"bits\": %d, \"queries\": %d, "
           "\"skipped_no_terms\": %d, \"k\": %d,\n ",
           argv[1], (unsigned long long)st->docs, st->bits, encode.n, skipped, k);
    print_series("encode", &encode, 1);
    printf(",\n ");
    print_series("topk_text", &topk, 1);
    printf(",\n ");
    print_series("near_dup_r3_text", &dup, 1);
    printf(",\n \"radii\": [\n");
    for (int r = 0; r <= max_radius; r++) {
        printf("  {\"radius\": %d, ", r);
        print_series("text", &text[r], 1);
        print_series("code", &code[r], 0);
        printf("}%s\n", r < max_radius ? "," : "");
    }
    printf(" ]}\n");
    for (int r = 0; r <= max_radius; r++) {
        free(text[r].us);
        free(code[r].us);
    }
    free(encode.us);
    free(topk.us);
    free(dup.us);
    for (int i = 0; i < nq; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    free(hits);
    free(st);
    sh_index_close(ix);
    return 0;
}
