/* cmd_compact.c — `semhash compact`: rewrite an index's lookup tables in
 * key order (sh_compact), and say how much smaller they got. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "semhash.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash compact -i DIR\n"
            "\n"
            "Rewrites the lookup tables of the index (the multi-index hash tables,\n"
            "names and content) in key order, so that every page is full: adding\n"
            "documents one by one leaves pages 55-70%% full. Queries from other\n"
            "processes go on meanwhile; a crash leaves the index correct. 'semhash\n"
            "index' does this by itself after a run that at least doubled the index.\n"
            "\n"
            "  -i, --index DIR   index directory (default index.path: semhash.idx)\n"
            "  -c, --config FILE configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE   override one configuration key (repeatable)\n"
            "  -q, --quiet       no summary\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 compacted, 2 usage or index error.\n");
}

/* Bytes of the lookup tables (everything but meta, model and docs). */
static uint64_t lookup_bytes(sh_index *ix, uint64_t *docs)
{
    static sh_stats st;
    char err[1024];
    if (sh_stats_get(ix, &st, err, sizeof err) != 0)
        return 0;
    uint64_t sum = 0;
    for (int t = 0; t < st.n_tables; t++)
        if (strcmp(st.tables[t].name, "meta") && strcmp(st.tables[t].name, "model") &&
            strcmp(st.tables[t].name, "docs"))
            sum += st.tables[t].bytes;
    *docs = st.docs;
    return sum;
}

int cmd_compact(int argc, char **argv)
{
    static const cli_index_command cmd = { "compact", usage, 1, 0 };
    sh_config cfg;
    const char *dir;
    int quiet;
    int status = cli_index_command_options(argc, argv, &cmd, &cfg, &dir, &quiet);
    if (status >= 0)
        return status;
    sh_index *ix;
    if (cli_open_index(dir, 0, &ix) != 0)
        return CLI_EXIT_ERROR;
    uint64_t docs = 0, before = lookup_bytes(ix, &docs);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[1024];
    status = CLI_EXIT_OK;
    if (sh_compact(ix, err, sizeof err) != 0) {
        status = cli_error("compact: %s", err);
    } else if (!quiet) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t after = lookup_bytes(ix, &docs);
        double n = docs ? (double)docs : 1;
        printf("compacted %s in %.2f s: lookup tables %.1f -> %.1f bytes per document "
               "(%llu documents)\n",
               dir, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
               (double)before / n, (double)after / n, (unsigned long long)docs);
    }
    sh_index_close(ix);
    return status;
}
