/* main.c — the `semhash` program: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    { "train", cmd_train, "fit a vocabulary and a hashing model on documents" },
    { "encode", cmd_encode, "print the code of every document: <id>TAB<hex>" },
    { "eval", cmd_eval, "train on split train, query with split test, report precision" },
    { "index", cmd_index, "create or extend an index with the documents of corpora" },
    { "query", cmd_query, "documents whose code is near a text's (or near-duplicates)" },
    { "rm", cmd_rm, "remove documents from an index by name" },
    { "stats", cmd_stats, "documents, buckets, bit balance and sizes of an index" },
    { "dups", cmd_dups, "every near-duplicate group in an index" },
    { "compact", cmd_compact, "rewrite an index's lookup tables in key order (smaller)" },
    { "ae", cmd_ae, "autoencoder toolkit: reduce, denoise, anomaly, generate, cluster, classify" },
    { NULL, NULL, NULL }
};

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: semhash <command> [options]\n"
            "\n"
            "semantic hashing search engine, version %s\n"
            "\n"
            "commands:\n", sh_version());
    for (const cli_command *c = commands; c->name != NULL; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n'semhash <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_ERROR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("semhash %s\n", sh_version());
        return CLI_EXIT_OK;
    }
    for (const cli_command *c = commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c->run(argc - 1, argv + 1);
    }
    cli_error("unknown command '%s' (try 'semhash --help')", name);
    return CLI_EXIT_ERROR;
}
