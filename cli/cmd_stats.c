/* cmd_stats.c — `semhash stats`: what an index holds and how big it is. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "semhash.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash stats -i DIR\n"
            "\n"
            "Prints the index's documents, code width, buckets (distinct codes) and\n"
            "their sizes, the balance of every bit, the size of every table and the\n"
            "bytes per document, and the model it was built with.\n"
            "\n"
            "  -i, --index DIR   index directory (default index.path: semhash.idx)\n"
            "  -c, --config FILE configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE   override one configuration key (repeatable)\n"
            "  -h, --help        this text\n");
}

int cmd_stats(int argc, char **argv)
{
    static const cli_index_command cmd = { "stats", usage, 0, 0 };
    sh_config cfg;
    const char *dir;
    int quiet;
    int status = cli_index_command_options(argc, argv, &cmd, &cfg, &dir, &quiet);
    if (status >= 0)
        return status;
    sh_index *ix;
    if (cli_open_index(dir, 1, &ix) != 0)
        return CLI_EXIT_ERROR;
    static sh_stats st;
    char err[1024];
    int rc = sh_stats_get(ix, &st, err, sizeof err);
    sh_index_close(ix);
    if (rc != 0)
        return cli_error("stats: %s", err);
    double per_doc = st.docs ? 1.0 / (double)st.docs : 0.0;
    printf("index        %s\n", dir);
    printf("documents    %llu\n", (unsigned long long)st.docs);
    printf("code         %d bits, %d multi-index tables, %d-byte near-dup signatures\n",
           st.bits, st.substrings, st.signature_bytes);
    printf("model        %s encoder, %llu terms, %llu bytes\n", st.encoder,
           (unsigned long long)st.vocab_terms, (unsigned long long)st.model_bytes);
    if (st.summary[0])
        printf("training     %s\n", st.summary);
    printf("buckets      %llu distinct codes, %.2f documents per bucket, largest %llu\n",
           (unsigned long long)st.buckets, st.buckets ? (double)st.docs / st.buckets : 0.0,
           (unsigned long long)st.max_bucket);
    printf("bucket sizes");
    for (int i = 0; i < SH_STATS_HIST; i++)
        if (st.bucket_hist[i])
            printf("  %llu-%llu: %llu", 1ULL << i, (2ULL << i) - 1,
                   (unsigned long long)st.bucket_hist[i]);
    printf("\n");
    double worst = 0.5, sum = 0.0; /* the fraction of ones farthest from 0.5 */
    for (int b = 0; b < st.bits; b++) {
        double f = st.docs ? (double)st.bit_ones[b] * per_doc : 0.0;
        sum += f;
        if (fabs(f - 0.5) > fabs(worst - 0.5))
            worst = f;
    }
    printf("bit balance  mean fraction of ones %.3f, most unbalanced bit %.3f\n",
           st.bits ? sum / st.bits : 0.0, worst);
    printf("bits         ");
    for (int b = 0; b < st.bits; b++)
        printf("%c", st.docs == 0 ? '.' : "0123456789"[(int)(st.bit_ones[b] * per_doc * 9.999)]);
    printf("  (tenths of ones per bit)\n");
    printf("storage      %llu bytes used of a %llu-byte map, %.0f bytes per document\n",
           (unsigned long long)st.used_bytes, (unsigned long long)st.map_size,
           (double)st.used_bytes * per_doc);
    for (int i = 0; i < st.n_tables; i++)
        printf("  %-10s %10llu entries %12llu bytes %10.1f bytes/doc\n", st.tables[i].name,
               (unsigned long long)st.tables[i].entries, (unsigned long long)st.tables[i].bytes,
               (double)st.tables[i].bytes * per_doc);
    return CLI_EXIT_OK;
}
