/* bench/search_codes.c — search benchmark on given codes.
 *
 *   search_codes --n N [--bits 64] [--dist clustered|random] [--seed S]
 *                [--queries Q] [--scan-queries QS] [--max-radius R]
 *                [--dir DIR] [--dump PREFIX] [--label NAME] [--compact 1]
 *                [--batch B] [--bulk R]
 *
 * Generates N codes (seeded), adds them to a new index in DIR through the
 * index layer (idx_add: the codes are given, no text, no model), then
 * answers Q queries at every radius 0..R in every search mode and prints
 * one JSON object with:
 *   - build: seconds, codes per second, bytes per document of each table,
 *     peak RSS; with --compact 1 also the same after idx_compact (the
 *     derived tables rewritten in key order) and its seconds; the queries
 *     then run on the compacted index; with --bulk R (R >= 1) also a
 *     second index (DIR-bulk, removed afterwards) built from the same
 *     codes by a bulk load (idx_bulk.h, documents handed over with
 *     idx_add_batch), R times over: the seconds of every run, the codes
 *     per second of the fastest (the run least disturbed on a shared
 *     machine), bytes per document;
 *   - per radius and mode: latency p50/p99/mean in microseconds (code to
 *     result list, one query at a time), mean results, probes, candidates;
 *   - the same for an in-memory popcount scan over a plain array of the
 *     codes (the floor any index must beat);
 *   - check: every mode returned the same result set as the in-memory
 *     scan for every query (the benchmark fails otherwise).
 * With --dump PREFIX it writes PREFIX.codes and PREFIX.queries (raw code
 * bytes, bits/8 per code, big-endian) for the FAISS peer script.
 *
 * Codes: "random" draws every bit uniformly; "clustered" draws N/100
 * centres uniformly and each code from a random centre with each bit
 * flipped with probability 0.03 (about 2 of 64 bits; two codes of a
 * cluster differ in about 4), so buckets and
 * substring tables are uneven, as with semantic codes. Queries are stored
 * codes with 2 random bits flipped, so that small radii have answers.
 *
 * Ball enumeration and MIH are skipped at radii where the planner's probe
 * estimate exceeds --max-probes (default 2e5: the ball at r = 4 of 64 bits
 * is 680k probes, about a second per query); the LMDB scan runs only
 * --scan-queries queries (its cost does not depend on the radius).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "code.h"
#include "idx_bulk.h"
#include "idx_check.h"
#include "idx_compact.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "idx_store.h"
#include "rng.h"
#include "sh_error.h"

#define MAX_RADIUS 16
#define N_MODES 4

static const char *MODE_NAMES[N_MODES] = { "auto", "ball", "mih", "scan" };
static const idx_mode MODES[N_MODES] = { IDX_MODE_AUTO, IDX_MODE_BALL, IDX_MODE_MIH,
                                         IDX_MODE_SCAN };

typedef struct {
    uint64_t n;
    int bits;
    const char *dist;
    uint64_t seed;
    int queries;
    int scan_queries;
    int max_radius;
    double max_probes;
    const char *dir;
    const char *dump;
    const char *label;
    int compact;
    int bulk;
    int batch;
} options;

/* Latency and work of one (radius, mode) cell. */
typedef struct {
    int ran;
    int n;
    double *us;          /* per query */
    double results;      /* sum over queries */
    double probes, candidates;
    int planned[N_MODES]; /* auto: how often each mode was chosen */
} cell;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc, const char *err)
{
    fprintf(stderr, "search_codes: %s: %s%s%s\n", what, sh_strerror(rc), err && *err ? ": " : "",
            err ? err : "");
    exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "search_codes: out of memory\n");
        exit(2);
    }
    return p;
}

static void usage(void)
{
    fprintf(stderr, "usage: search_codes --n N [--bits 64] [--dist clustered|random] [--seed S]\n"
                    "       [--queries Q] [--scan-queries QS] [--max-radius R] [--max-probes P]\n"
                    "       [--dir DIR] [--dump PREFIX] [--label NAME] [--compact 0|1] [--batch B]\n"
                    "       [--bulk RUNS]\n");
    exit(2);
}

static void parse_options(int argc, char **argv, options *o)
{
    *o = (options){ .n = 0, .bits = 64, .dist = "clustered", .seed = 1, .queries = 200,
                    .scan_queries = 10, .max_radius = 10, .max_probes = 2e5,
                    .dir = "build/bench/search.idx", .dump = NULL, .label = "",
                    .batch = 10000 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--n"))
            o->n = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--bits"))
            o->bits = atoi(v);
        else if (!strcmp(a, "--dist"))
            o->dist = v;
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--queries"))
            o->queries = atoi(v);
        else if (!strcmp(a, "--scan-queries"))
            o->scan_queries = atoi(v);
        else if (!strcmp(a, "--max-radius"))
            o->max_radius = atoi(v);
        else if (!strcmp(a, "--max-probes"))
            o->max_probes = atof(v);
        else if (!strcmp(a, "--dir"))
            o->dir = v;
        else if (!strcmp(a, "--dump"))
            o->dump = v;
        else if (!strcmp(a, "--label"))
            o->label = v;
        else if (!strcmp(a, "--compact"))
            o->compact = atoi(v);
        else if (!strcmp(a, "--bulk"))
            o->bulk = atoi(v);
        else if (!strcmp(a, "--batch"))
            o->batch = atoi(v);
        else
            usage();
        i++;
    }
    if (o->n == 0 || o->n > 100000000 || !code_bits_valid(o->bits) || o->queries < 1 ||
        o->scan_queries < 0 || o->scan_queries > o->queries || o->max_radius < 0 ||
        o->max_radius > MAX_RADIUS || o->max_radius > o->bits || o->batch < 1 ||
        (strcmp(o->dist, "clustered") && strcmp(o->dist, "random")))
        usage();
}

/* --- codes ------------------------------------------------------------------ */

static sh_code random_code(sh_rng *rng, int bits)
{
    sh_code c = { { rng_u64(rng), bits > 64 ? rng_u64(rng) : 0 } };
    if (bits < 64)
        c.w[0] &= ~0ULL << (64 - bits);
    if (bits > 64 && bits < 128)
        c.w[1] &= ~0ULL << (128 - bits);
    return c;
}

static void flip_bit(sh_code *c, int i)
{
    c->w[i >> 6] ^= 1ULL << (63 - (i & 63));
}

static sh_code *make_codes(const options *o, sh_rng *rng)
{
    sh_code *codes = xcalloc(o->n, sizeof *codes);
    int clustered = !strcmp(o->dist, "clustered");
    uint64_t n_centres = o->n / 100 ? o->n / 100 : 1;
    sh_code *centres = NULL;
    if (clustered) {
        centres = xcalloc(n_centres, sizeof *centres);
        for (uint64_t i = 0; i < n_centres; i++)
            centres[i] = random_code(rng, o->bits);
    }
    for (uint64_t i = 0; i < o->n; i++) {
        if (!clustered) {
            codes[i] = random_code(rng, o->bits);
            continue;
        }
        codes[i] = centres[rng_below(rng, n_centres)];
        for (int b = 0; b < o->bits; b++)
            if (rng_uniform(rng) < 0.03f)
                flip_bit(&codes[i], b);
    }
    free(centres);
    return codes;
}

static sh_code *make_queries(const options *o, const sh_code *codes, sh_rng *rng)
{
    sh_code *q = xcalloc((size_t)o->queries, sizeof *q);
    for (int i = 0; i < o->queries; i++) {
        q[i] = codes[rng_below(rng, o->n)];
        int a = (int)rng_below(rng, (uint64_t)o->bits), b;
        do
            b = (int)rng_below(rng, (uint64_t)o->bits);
        while (b == a);
        flip_bit(&q[i], a);
        flip_bit(&q[i], b);
    }
    return q;
}

static void dump_codes(const char *path, const sh_code *codes, uint64_t n, int bits)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, errno, NULL);
    uint8_t buf[16];
    for (uint64_t i = 0; i < n; i++) {
        code_to_bytes(&codes[i], bits, buf);
        if (fwrite(buf, (size_t)bits / 8, 1, f) != 1)
            die(path, errno, NULL);
    }
    if (fclose(f))
        die(path, errno, NULL);
}

/* --- building the index --------------------------------------------------------- */

/* Removes an index directory written by build_index (its two LMDB files). */
static void remove_index_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* Builds the index in dir from the codes, one idx_add each; with bulk, as
 * a bulk load (idx_bulk.h) finished at the end, the documents handed
 * over with idx_add_batch in runs of 4,096, their names written before
 * the clock starts (the codes and names are given). Returns the
 * seconds. */
static double build_index(const options *o, const char *dir, int bulk, const sh_code *codes,
                          idx_index **out)
{
    idx_options io = { .flags = IDX_CREATE | IDX_NOSYNC, .batch_size = o->batch,
                       .store_duplicates = 1, .code_bits = o->bits,
                       .expected_docs = o->n, .map_size = (size_t)(o->n * 160 + (64 << 20)) };
    char err[512] = "";
    int rc = idx_open(dir, &io, out, err, sizeof err);
    if (rc)
        die(dir, rc, err);
    enum { NAME_ROOM = 24, RUN = 4096 };
    char *names = NULL;
    idx_doc *docs = NULL;
    if (bulk) {
        names = malloc(o->n * NAME_ROOM);
        docs = malloc(o->n * sizeof *docs);
        if (!names || !docs)
            die("out of memory for the documents", SH_ENOMEM, "");
        for (uint64_t i = 0; i < o->n; i++) {
            char *name = names + i * NAME_ROOM;
            int len = snprintf(name, NAME_ROOM, "d%llu", (unsigned long long)i);
            docs[i] = (idx_doc){ .code = codes[i], .content_hash = i * 0x9E3779B97F4A7C15ULL + 1,
                                 .length = 1, .name = name, .name_len = (size_t)len };
        }
    }
    double t0 = now_seconds();
    if (bulk) {
        if ((rc = idx_bulk_begin(*out, err, sizeof err)) != 0)
            die("idx_bulk_begin", rc, err);
        for (uint64_t i = 0; i < o->n; i += RUN) {
            size_t k = o->n - i < RUN ? (size_t)(o->n - i) : RUN;
            if ((rc = idx_add_batch(*out, docs + i, k, NULL, NULL, err, sizeof err)) != 0)
                die("idx_add_batch", rc, err);
        }
    } else {
        char name[32];
        for (uint64_t i = 0; i < o->n; i++) {
            int len = snprintf(name, sizeof name, "d%llu", (unsigned long long)i);
            idx_doc d = { .code = codes[i], .content_hash = i * 0x9E3779B97F4A7C15ULL + 1,
                          .length = 1, .name = name, .name_len = (size_t)len };
            rc = idx_add(*out, &d, NULL, err, sizeof err);
            if (rc)
                die("idx_add", rc, err);
        }
    }
    rc = bulk ? idx_bulk_finish(*out, err, sizeof err) : idx_commit(*out, err, sizeof err);
    if (rc)
        die(bulk ? "idx_bulk_finish" : "idx_commit", rc, err);
    double seconds = now_seconds() - t0;
    free(docs);
    free(names);
    return seconds;
}

/* --- the in-memory floor and the reference answer --------------------------------- */

/* Every id (1-based, as the index assigns them) within radius r of q,
 * in id order; returns the count. The codes are a plain array of
 * n_words 64-bit words each (1 up to 64 bits, 2 above): the floor any
 * index must beat, as a program holding the codes in memory would scan
 * them. */
SH_POPCOUNT_HOT static size_t popcount_scan(const uint64_t *words, int n_words, uint64_t n,
                                            const sh_code *q, int r, uint32_t *ids)
{
    size_t k = 0;
    if (n_words == 1) {
        uint64_t q0 = q->w[0];
        for (uint64_t i = 0; i < n; i++)
            if (__builtin_popcountll(words[i] ^ q0) <= r)
                ids[k++] = (uint32_t)(i + 1);
        return k;
    }
    for (uint64_t i = 0; i < n; i++) {
        int d = __builtin_popcountll(words[2 * i] ^ q->w[0]) +
                __builtin_popcountll(words[2 * i + 1] ^ q->w[1]);
        if (d <= r)
            ids[k++] = (uint32_t)(i + 1);
    }
    return k;
}

/* An order-independent fingerprint of a set of ids: exact sets give
 * equal values; different sets collide with negligible probability. */
static uint64_t fingerprint_ids(const uint32_t *ids, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = ids[i] + 0x9E3779B97F4A7C15ULL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
        sum += x ^ (x >> 31);
    }
    return sum;
}

/* --- statistics ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n values (sorted in place): nearest rank. */
static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(q * n + 0.999999) - 1;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    return v[i];
}

static void print_cell(const char *name, cell *c, int first)
{
    double sum = 0;
    for (int i = 0; i < c->n; i++)
        sum += c->us[i];
    printf("%s\"%s\": {\"queries\": %d, \"p50_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f, "
           "\"mean_results\": %.2f, \"mean_probes\": %.1f, \"mean_candidates\": %.1f",
           first ? "" : ", ", name, c->n, quantile(c->us, c->n, 0.5), quantile(c->us, c->n, 0.99),
           sum / c->n, c->results / c->n, c->probes / c->n, c->candidates / c->n);
    if (c->planned[IDX_MODE_BALL] + c->planned[IDX_MODE_MIH] + c->planned[IDX_MODE_SCAN])
        printf(", \"chose\": {\"ball\": %d, \"mih\": %d, \"scan\": %d}", c->planned[IDX_MODE_BALL],
               c->planned[IDX_MODE_MIH], c->planned[IDX_MODE_SCAN]);
    printf("}");
}

static void print_tables(const idx_stats *st, uint64_t n)
{
    printf("{");
    for (int t = 0; t < st->n_tables; t++)
        printf("%s\"%s\": %.1f", t ? ", " : "", st->tables[t].name,
               (double)st->tables[t].bytes / (double)n);
    printf("}");
}

static void read_stats(idx_index *ix, idx_stats *st)
{
    idx_reader *rd;
    char err[512] = "";
    int rc = idx_reader_begin(ix, &rd, err, sizeof err);
    if (rc)
        die("idx_reader_begin", rc, err);
    rc = idx_stats_get(rd, st);
    if (rc)
        die("idx_stats_get", rc, NULL);
    idx_reader_end(rd);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* --- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    options o;
    parse_options(argc, argv, &o);
    sh_rng rng;
    rng_seed(&rng, o.seed);
    sh_code *codes = make_codes(&o, &rng);
    sh_code *queries = make_queries(&o, codes, &rng);
    if (o.dump) {
        char path[4096];
        snprintf(path, sizeof path, "%s.codes", o.dump);
        dump_codes(path, codes, o.n, o.bits);
        snprintf(path, sizeof path, "%s.queries", o.dump);
        dump_codes(path, queries, (uint64_t)o.queries, o.bits);
    }
    long rss_before = peak_rss_kib();

    idx_index *ix;
    double build_s = build_index(&o, o.dir, 0, codes, &ix);
    long rss_build = peak_rss_kib();

    idx_stats st, st_compact;
    read_stats(ix, &st);
    char err[512] = "";
    double compact_s = 0;
    if (o.compact) {
        double t0 = now_seconds();
        int crc = idx_compact(ix, NULL, NULL, err, sizeof err);
        if (crc)
            die("idx_compact", crc, err);
        compact_s = now_seconds() - t0;
        read_stats(ix, &st_compact);
    }
    double bulk_s = 0, bulk_runs[16];
    int n_bulk = o.bulk < 16 ? o.bulk : 16;
    idx_stats st_bulk;
    for (int run = 0; run < n_bulk; run++) {
        char bulk_dir[4096];
        snprintf(bulk_dir, sizeof bulk_dir, "%s-bulk", o.dir);
        idx_index *bx;
        bulk_runs[run] = build_index(&o, bulk_dir, 1, codes, &bx);
        if (run == 0 || bulk_runs[run] < bulk_s)
            bulk_s = bulk_runs[run];
        read_stats(bx, &st_bulk);
        if (st_bulk.docs != st.docs || st_bulk.buckets != st.buckets ||
            st_bulk.max_bucket != st.max_bucket)
            die("bulk load", SH_EINDEX, "its index differs from the one added one by one");
        idx_close(bx);
        remove_index_dir(bulk_dir);
    }
    idx_reader *rd;
    int rc = idx_reader_begin(ix, &rd, err, sizeof err);
    if (rc)
        die("idx_reader_begin", rc, err);

    uint32_t *ref = xcalloc(o.n, sizeof *ref), *tmp = xcalloc(o.n, sizeof *tmp);
    /* every cell holds at most o.queries latencies */
    idx_hit *hits = xcalloc(o.n, sizeof *hits);
    cell cells[MAX_RADIUS + 1][N_MODES + 1]; /* [r][mode], [r][N_MODES] = memory scan */
    memset(cells, 0, sizeof cells);
    for (int r = 0; r <= o.max_radius; r++)
        for (int m = 0; m <= N_MODES; m++)
            cells[r][m].us = xcalloc((size_t)o.queries, sizeof(double));

    /* Pass 1: the in-memory scan gives every query's reference answer
     * (a fingerprint: count and a sum of mixed ids) and the floor's
     * latency. Pass 2: each mode in turn runs every query at the radius,
     * so every mode starts from the same cache state. */
    int n_words = o.bits > 64 ? 2 : 1;
    uint64_t *words = xcalloc(o.n * (uint64_t)n_words, sizeof *words);
    for (uint64_t i = 0; i < o.n; i++)
        for (int w = 0; w < n_words; w++)
            words[i * (uint64_t)n_words + (uint64_t)w] = codes[i].w[w];
    uint64_t *ref_count = xcalloc((size_t)o.queries * (MAX_RADIUS + 1), sizeof *ref_count);
    uint64_t *ref_sum = xcalloc((size_t)o.queries * (MAX_RADIUS + 1), sizeof *ref_sum);
    for (int r = 0; r <= o.max_radius; r++) {
        cell *mem = &cells[r][N_MODES];
        mem->ran = 1;
        for (int qi = 0; qi < o.queries; qi++) {
            double t0 = now_seconds();
            size_t n_ref = popcount_scan(words, n_words, o.n, &queries[qi], r, ref);
            mem->us[mem->n++] = (now_seconds() - t0) * 1e6;
            mem->results += (double)n_ref;
            ref_count[qi * (MAX_RADIUS + 1) + r] = n_ref;
            ref_sum[qi * (MAX_RADIUS + 1) + r] = fingerprint_ids(ref, n_ref);
        }
    }
    long mismatches = 0;
    for (int r = 0; r <= o.max_radius; r++) {
        idx_search_info plan;
        idx_plan(ix, o.n, r, &plan);
        for (int m = 0; m < N_MODES; m++) {
            idx_mode mode = MODES[m];
            if ((mode == IDX_MODE_BALL || mode == IDX_MODE_MIH) && plan.cost[mode] > o.max_probes)
                continue;
            int n_queries = mode == IDX_MODE_SCAN ? o.scan_queries : o.queries;
            cell *c = &cells[r][m];
            for (int qi = 0; qi < n_queries; qi++) {
                idx_search_info info;
                size_t total;
                double t0 = now_seconds();
                rc = idx_search(rd, &queries[qi], r, mode, hits, o.n, &total, &info);
                double us = (now_seconds() - t0) * 1e6;
                if (rc)
                    die("idx_search", rc, NULL);
                c->ran = 1;
                c->us[c->n++] = us;
                c->results += (double)total;
                c->probes += (double)info.probes;
                c->candidates += (double)info.candidates;
                if (mode == IDX_MODE_AUTO)
                    c->planned[info.mode]++;
                for (size_t i = 0; i < total; i++)
                    tmp[i] = hits[i].id;
                if (total != ref_count[qi * (MAX_RADIUS + 1) + r] ||
                    fingerprint_ids(tmp, total) != ref_sum[qi * (MAX_RADIUS + 1) + r])
                    mismatches++;
            }
        }
    }
    free(ref_count);
    free(ref_sum);
    free(words);

    printf("{\"label\": \"%s\", \"n\": %llu, \"bits\": %d, \"dist\": \"%s\", \"seed\": %llu, "
           "\"substrings\": %d, \"batch\": %d,\n",
           o.label, (unsigned long long)o.n, o.bits, o.dist, (unsigned long long)o.seed, ix->m,
           o.batch);
    printf(" \"build\": {\"seconds\": %.3f, \"codes_per_s\": %.0f, \"rss_kib_before\": %ld, "
           "\"rss_kib_after\": %ld, \"buckets\": %llu, \"max_bucket\": %llu, "
           "\"used_bytes_per_doc\": %.1f, \"tables\": ",
           build_s, (double)o.n / build_s, rss_before, rss_build,
           (unsigned long long)st.buckets, (unsigned long long)st.max_bucket,
           (double)st.used_bytes / (double)o.n);
    print_tables(&st, o.n);
    if (o.compact) {
        printf(", \"compact_seconds\": %.3f, \"compacted_tables\": ", compact_s);
        print_tables(&st_compact, o.n);
    }
    if (n_bulk > 0) {
        printf(", \"bulk\": {\"seconds\": %.3f, \"codes_per_s\": %.0f, \"runs\": [", bulk_s,
               (double)o.n / bulk_s);
        for (int run = 0; run < n_bulk; run++)
            printf("%s%.3f", run ? ", " : "", bulk_runs[run]);
        printf("], \"tables\": ");
        print_tables(&st_bulk, o.n);
        printf("}");
    }
    printf("},\n \"radii\": [\n");
    for (int r = 0; r <= o.max_radius; r++) {
        idx_search_info plan;
        idx_plan(ix, o.n, r, &plan);
        printf("  {\"radius\": %d, \"planned\": \"%s\", ", r, MODE_NAMES[plan.mode]);
        print_cell("memory_scan", &cells[r][N_MODES], 1);
        for (int m = 0; m < N_MODES; m++)
            if (cells[r][m].ran)
                print_cell(MODE_NAMES[m], &cells[r][m], 0);
        printf("}%s\n", r < o.max_radius ? "," : "");
    }
    printf(" ],\n \"mismatches\": %ld, \"peak_rss_kib\": %ld}\n", mismatches, peak_rss_kib());

    idx_reader_end(rd);
    idx_close(ix);
    for (int r = 0; r <= o.max_radius; r++)
        for (int m = 0; m <= N_MODES; m++)
            free(cells[r][m].us);
    free(ref);
    free(tmp);
    free(hits);
    free(codes);
    free(queries);
    if (mismatches) {
        fprintf(stderr, "search_codes: %ld answers differ from the reference scan\n", mismatches);
        return 1;
    }
    return 0;
}
